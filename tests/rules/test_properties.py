"""Properties over random rows: no cell breaks the run, and the outputs stay in their ranges."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from salesbook.engine import evaluate
from salesbook.rules.schema import INPUTS
from salesbook.rules.settings import DEFAULT_BANT, DEFAULT_STAGES, Settings

from .conftest import TODAY, out

pytestmark = pytest.mark.slow  # left out of the quick loop; CI runs it

HOLIDAYS = (dt.date(2026, 11, 23), dt.date(2026, 11, 26), dt.date(2026, 11, 27), dt.date(2026, 12, 25),
            dt.date(2027, 1, 1))
SETTINGS = Settings(holidays=HOLIDAYS)

HEADERS = [c.en for c in INPUTS] + ["Grade"]
VOCAB = ([s.name for s in DEFAULT_STAGES] + [s.zh for s in DEFAULT_STAGES]
         + [c.value for d in DEFAULT_BANT.values() for c in d] + [c.zh for d in DEFAULT_BANT.values() for c in d]
         + ["A", "B", "C", "D", "#N/A", "#VALUE!", "=1+1", "Yes", "@", "+86 138-0013-8000", "a@b.com", " A@B.com "])

# Cells that sit at the edge of what pandas' nanosecond dates and floats can hold.
EXTREMES = ["9999-12-31", "2262-04-10", "2262-04-11", "2199-12-31", "2200-01-01", "1677-09-22", "1899-12-31",
            "0001-01-01", "1/1/1500", "2958465", "109574", "1", "0", "-1", "inf", "-inf", "nan", "1e400", "1e30",
            "2026-01-01T10:00:00Z", "2026-01-01T23:30:00+05:00", "2026-02-30", "12/31/9999", "9999年12月31日"]

dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
near = st.integers(-800, 800).map(lambda n: TODAY + dt.timedelta(days=n))
cell = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=12),
    st.sampled_from(VOCAB),
    st.sampled_from(EXTREMES),
    near.map(lambda d: d.isoformat()),
    near.map(lambda d: d.strftime("%Y/%m/%d")),
    near.map(lambda d: d.strftime("%m/%d/%Y")),
    dates.map(lambda d: d.isoformat()),
    st.integers(-10**6, 10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    near,
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2199, 1, 1)),
)
row = st.fixed_dictionaries({}, optional={h: cell for h in HEADERS})
rows = st.lists(row, min_size=1, max_size=6)

PROPS = hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frame(rs: list[dict]) -> pd.DataFrame:
    f = pd.DataFrame(rs, columns=HEADERS, dtype=object)
    return f.astype(object).where(f.notna(), None)


def check_ranges(ev) -> None:
    o = ev.outputs
    grades = o["grade"].dropna()
    assert grades.isin(["A", "B", "C", "D"]).all(), grades.tolist()
    scores = o["score"].dropna().astype(float)
    assert ((scores >= 0) & (scores <= 100) & (scores == np.floor(scores))).all(), scores.tolist()
    assert o["grade"].isna().equals(o["score"].isna())

    f = ev.prepared.frame
    hol = set(pd.Timestamp(h) for h in HOLIDAYS)
    today = pd.Timestamp(ev.today)
    for i, due in o["next_followup"].items():
        if pd.isna(due):
            assert pd.isna(o.at[i, "followup_status"]) or str(o.at[i, "followup_status"]).startswith("Check: ")
            continue
        # Grade D and Closed Lost have no cadence (defaults): never a date, booked or not.
        assert o.at[i, "grade"] != "D" and f.at[i, "kind"] != "lost", (i, due)
        booked = f.at[i, "scheduled"]
        if pd.notna(booked) and booked >= today and due == booked:
            continue  # the rep's own date is kept as booked
        assert due.weekday() < 5 and due not in hol, (i, due)
        assert o.at[i, "followup_status"] in ("Overdue", "Due today", "This week", "Later")

    stale = o["stale"].dropna()
    assert (stale == "Yes").all()
    assert o.loc[stale.index, "stale_reason"].notna().all()
    closed = f["kind"].isin(["won", "lost"])
    assert o.loc[closed, "stale"].isna().all()


@PROPS
@given(rows)
def test_no_row_breaks_the_run(rs):
    ev = evaluate(frame(rs), SETTINGS, today=TODAY)
    assert len(ev.outputs) == len(rs)
    check_ranges(ev)
    assert ev.report is not None and isinstance(ev.summary, str)


@PROPS
@given(rows)
def test_no_row_breaks_the_run_in_score_mode_and_chinese(rs):
    s = Settings(holidays=HOLIDAYS, grade_method="score", weight_profile="Startup", language="zh")
    ev = evaluate(frame(rs), s, today=TODAY)
    assert len(ev.outputs) == len(rs)


GOOD = {"Lead ID": "GOOD-1", "Company": "Good Co", "Owner": "Ann", "Stage": "Proposal", "Budget": "Confirmed",
        "Authority": "Decision maker", "Need": "Clear", "Timeline": "≤3 months", "Created": "2026-10-01",
        "Last Contact": "2026-11-16", "Stage Since": "2026-11-01"}


@PROPS
@given(rows)
def test_other_rows_never_change_a_good_row(rs):
    alone = out(evaluate(frame([GOOD]), SETTINGS, today=TODAY, only="grade,followup,stale"))
    together = out(evaluate(frame([GOOD] + rs), SETTINGS, today=TODAY, only="grade,followup,stale"))
    assert together == alone
    assert alone["grade"] == "A" and alone["next_followup"] == pd.Timestamp("2026-11-19")


@PROPS
@given(rows, st.lists(st.lists(cell, max_size=5), max_size=6))
def test_random_history_never_breaks_the_run(rs, history):
    ev = evaluate(frame(rs), SETTINGS, today=TODAY, history_rows=[["Lead ID", "From", "To", "Date"], *history])
    check_ranges(ev)


TIMELINE = st.one_of(st.sampled_from(["≤3 months", "3-6 months", "6-12 months", ">12 months", ""]), near)


@PROPS
@given(st.lists(st.tuples(st.sampled_from(["Confirmed", "Pending", "Unknown", "None", ""]),
                          st.sampled_from(["Decision maker", "Influencer", "User", "Unknown", ""]),
                          st.sampled_from(["Clear", "Identified", "Vague", "Mismatch", ""]),
                          TIMELINE), min_size=1, max_size=8))
def test_grades_follow_the_rules_for_any_bant(combos):
    rs = [{"Lead ID": f"L{i}", "Company": f"C{i}", "Owner": "x", "Stage": "Prospecting", "Created": "2026-11-01",
           "Budget": b, "Authority": a, "Need": n, "Timeline": t.isoformat() if isinstance(t, dt.date) else t}
          for i, (b, a, n, t) in enumerate(combos)]
    o = evaluate(frame(rs), SETTINGS, today=TODAY, only="grade").outputs
    for i, (b, a, n, t) in enumerate(combos):
        soon = (t - TODAY).days <= 92 if isinstance(t, dt.date) else t == "≤3 months"
        expect = "D" if n == "Mismatch" else "A" if (b == "Confirmed" and a == "Decision maker" and soon) \
            else "B" if n == "Clear" else "C"
        assert o["grade"].iloc[i] == expect, (b, a, n, t)


DATE_COLUMNS = [c.en for c in INPUTS if c.kind == "date"] + ["Timeline"]


@pytest.mark.parametrize("value", EXTREMES)
def test_extreme_cells_never_break_the_run(value):
    """An edge value in each date and number column (one bad row per column): the run finishes,
    the good row is untouched, and a date outside 1900–2199 is reported as a bad cell, not used."""
    columns = DATE_COLUMNS + ["Deal Value", "Unanswered"]
    bad = [{**GOOD, "Lead ID": f"BAD-{i}", "Company": f"Bad {i}", column: value} for i, column in enumerate(columns)]
    ev = evaluate(frame([GOOD, *bad]), SETTINGS, today=TODAY)
    check_ranges(ev)
    assert out(ev, 0)["grade"] == "A" and out(ev, 0)["next_followup"] == pd.Timestamp("2026-11-19")
    iso_year = value[:4] if len(value) >= 10 and value[:4].isdigit() and value[4] == "-" else None
    if iso_year and not 1900 <= int(iso_year) <= 2199:
        for i, column in enumerate(columns[:len(DATE_COLUMNS)], start=1):
            row = ev.outputs.index[i]
            assert ((ev.problems["row"] == row) & (ev.problems["value"] == value)).any(), column
