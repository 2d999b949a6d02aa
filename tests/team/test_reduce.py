"""salesbook.team.reduce on hand-made partial tables: what each book's step returns, added up.

No workbook is read: the partial tables are written here by hand, the way the per-book step
would return them, so each figure of the team can be worked out on paper."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from salesbook.rules import forecast, movement, targets
from salesbook.rules.period import parse_period
from salesbook.rules.settings import Settings, Target
from salesbook.team import reduce as r
from salesbook.team.partials import FUNNEL_KEYS, FUNNEL_SUMS, TABLES, BookPartial, Plan

DAY = dt.date(2026, 11, 20)
PLAN = Plan(settings=None, day=DAY, period=None, moves=parse_period("2026-11"))
STAGES = pd.DataFrame({"stage": ["Prospecting", "Proposal", "Closed Won", "Closed Lost"],
                       "zh": ["", "", "", ""], "kind": ["open", "open", "won", "lost"],
                       "probability": [0.1, 0.5, 1.0, 0.0]})


def funnel(*rows: dict) -> pd.DataFrame:
    """Funnel partial rows: owner, source, stage and the sums given (the others 0)."""
    out = pd.DataFrame([{**{k: "" for k in FUNNEL_KEYS}, **{k: 0 for k in FUNNEL_SUMS}, **row} for row in rows])
    return out[list(FUNNEL_KEYS + FUNNEL_SUMS)]


def months(*rows: tuple) -> pd.DataFrame:
    """targets.lead_partial rows: (owner, month, won_count, won_value, open_count, open_value, weighted_open)."""
    return pd.DataFrame([dict(zip(targets.KEYS + targets.SUMS, (*row, 0.0, 0))) for row in rows])


def keys() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ("lead_id", "owner", "email", "person", "phone", "mobile")}
                        ).assign(row=pd.Series(dtype="int64"))


def part(path: str, *, funnel_rows=(), month_rows=(), target_lines=None, fc=None, mv=None) -> BookPartial:
    return BookPartial(path, leads=int(sum(x.get("leads", 0) for x in funnel_rows)), stages=STAGES,
                       funnel=funnel(*funnel_rows) if funnel_rows else funnel({"stage": "Prospecting"}).iloc[:0],
                       unknown=pd.DataFrame({"owner": [], "stage": [], "leads": []}),
                       months=months(*month_rows) if month_rows else months().reindex(
                           columns=list(targets.KEYS + targets.SUMS)),
                       target_lines=target_lines, forecast=fc, movement=mv, flagged=None, keys=keys())


def test_counts_and_sums_add_across_books():
    a = part("reps/a.xlsx", funnel_rows=[
        {"owner": "Li Wei", "source": "Web", "stage": "Proposal", "leads": 2, "open": 2, "value": 100.0,
         "pipeline": 100.0, "weighted_open": 50.0, "stale": 1, "grade_A": 2},
        {"owner": "Li Wei", "source": "Web", "stage": "Closed Won", "leads": 1, "won": 1, "value": 40.0}])
    b = part("reps/b.xlsx", funnel_rows=[
        {"owner": "Li Wei", "source": "Fair", "stage": "Proposal", "leads": 3, "open": 3, "value": 250.0,
         "pipeline": 250.0, "weighted_open": 125.0, "grade_A": 1},
        {"owner": "Bo", "source": "Web", "stage": "Closed Lost", "leads": 4, "lost": 4}])
    fig = r.reduce([a, b], PLAN)
    assert fig.books == ["a.xlsx", "b.xlsx"] and fig.leads == 10
    owners = r.by(fig.funnel, "owner", fig.stages).set_index("owner")
    assert owners.loc["Li Wei", "leads"] == 6 and owners.loc["Li Wei", "open"] == 5
    assert owners.loc["Li Wei", "pipeline"] == 350.0 and owners.loc["Li Wei", "stale"] == 1
    assert owners.loc["Bo", "lost"] == 4
    stage = r.stage_table(fig.funnel, fig.stages).set_index("stage")
    assert stage.loc["Proposal", "in_stage"] == 5 and stage.loc["Proposal", "value"] == 350.0
    k = r.kpis(fig.funnel, r.stage_table(fig.funnel, fig.stages), 5)
    assert (k["open"], k["won"], k["lost"], k["pipeline"], k["weighted"]) == (5, 1, 4, 350.0, 175.0)
    assert k["grades"]["A"] == 3
    assert k["win_rate"] == pytest.approx(1 / 5)  # from the added counts: 1 won of 5 closed
    books = r.by(fig.funnel, "book", fig.stages).set_index("book")
    assert books.loc["a.xlsx", "leads"] == 3 and books.loc["b.xlsx", "leads"] == 7


def test_averages_are_carried_as_sum_and_count():
    # a.xlsx: 3 open leads with a stage date (and one without), 30 days in stage together (mean 10);
    # b.xlsx: 1 lead, 50 days. The team's mean is 80 / 4 = 20 days, not the books' means' mean (30).
    a = part("a.xlsx", funnel_rows=[{"owner": "Li Wei", "stage": "Proposal", "leads": 4, "open": 4,
                                     "days_sum": 30.0, "days_n": 3},
                                    {"owner": "Li Wei", "stage": "Closed Won", "leads": 3, "won": 3,
                                     "won_valued": 3, "won_value": 300.0, "cycle_sum": 90.0, "cycle_n": 3}])
    b = part("b.xlsx", funnel_rows=[{"owner": "Bo", "stage": "Proposal", "leads": 1, "open": 1,
                                     "days_sum": 50.0, "days_n": 1},
                                    {"owner": "Bo", "stage": "Closed Won", "leads": 1, "won": 1,
                                     "won_valued": 1, "won_value": 900.0, "cycle_sum": 10.0, "cycle_n": 1}])
    fig = r.reduce([a, b], PLAN)
    stage = r.stage_table(fig.funnel, fig.stages).set_index("stage")
    assert stage.loc["Proposal", "avg_days"] == pytest.approx(20.0)
    k = r.kpis(fig.funnel, r.stage_table(fig.funnel, fig.stages), 5)
    assert k["avg_won"] == pytest.approx(1200 / 4)  # not (100 + 900) / 2
    assert k["avg_cycle"] == pytest.approx(100 / 4)  # not (30 + 10) / 2
    owners = r.by(fig.funnel, "owner", fig.stages).set_index("owner")
    assert owners.loc["Li Wei", "avg_won"] == pytest.approx(100.0) and owners.loc["Bo", "avg_won"] == 900.0


def test_months_add_into_the_target_quarter_and_owners_without_a_target_are_listed():
    lines = pd.DataFrame({"owner": ["Li Wei"], "period": ["2026-Q4"], "target": [1000.0]})
    a = part("a.xlsx", month_rows=[("Li Wei", "2026-10", 1, 100.0, 0, 0.0, 0.0),
                                   ("Li Wei", "2027-01", 1, 999.0, 0, 0.0, 0.0),  # next quarter: not counted
                                   ("Bo", "2026-12", 0, 0.0, 2, 80.0, 40.0)], target_lines=lines,
             funnel_rows=[{"owner": "Cao", "stage": "Prospecting", "leads": 1, "open": 1}])  # nothing due
    b = part("b.xlsx", month_rows=[("Li Wei", "2026-12", 2, 300.0, 1, 1200.0, 600.0)], target_lines=lines)
    fig = r.reduce([a, b], PLAN)
    t = fig.targets.set_index(["period", "owner"])
    li = t.loc[("2026-Q4", "Li Wei")]
    assert li["won_value"] == 400.0 and li["won_count"] == 3
    assert li["target"] == 1000.0  # the same line in two books counted once
    assert li["attainment"] == pytest.approx(0.4) and li["remaining"] == 600.0
    assert li["coverage"] == pytest.approx(1200 / 600) and li["weighted_coverage"] == pytest.approx(600 / 600)
    bo = t.loc[("2026-Q4", "Bo")]
    assert np.isnan(bo["target"]) and bo["open_value"] == 80.0
    cao = t.loc[("2026-Q4", "Cao")]  # in the funnel only: listed with zeros
    assert np.isnan(cao["target"]) and cao["won_value"] == 0 and cao["open_count"] == 0
    assert not fig.notes


def test_books_disagreeing_on_a_target_keep_the_first_and_say_so():
    a = part("a.xlsx", target_lines=pd.DataFrame({"owner": ["Li Wei"], "period": ["2026-Q4"], "target": [1000.0]}))
    b = part("b.xlsx", target_lines=pd.DataFrame({"owner": ["Li Wei "], "period": ["2026-Q4"], "target": [2000.0]}))
    fig = r.reduce([a, b], PLAN)
    assert fig.targets.set_index("owner").loc["Li Wei", "target"] == 1000.0
    assert fig.notes == [("targets_conflict", {"o": "Li Wei", "p": "2026-Q4", "t": "a.xlsx: 1,000, b.xlsx: 2,000"})]


def test_the_team_settings_targets_replace_the_books():
    team = Plan(settings=Settings(targets=(Target("Bo", "2026-11", 50.0),)), day=DAY, period=None,
                moves=parse_period("2026-11"))
    a = part("a.xlsx", month_rows=[("Bo", "2026-11", 1, 20.0, 0, 0.0, 0.0)],
             target_lines=pd.DataFrame({"owner": ["Bo"], "period": ["2026-11"], "target": [999.0]}))
    t = r.reduce([a], team).targets.set_index("owner")
    assert t.loc["Bo", "target"] == 50.0 and t.loc["Bo", "attainment"] == pytest.approx(0.4)


def test_forecast_and_movement_add_per_owner_and_bucket():
    fa = pd.DataFrame({"owner": ["Li Wei", "Li Wei"], "bucket": ["2026-11", "later"], "open_count": [1, 2],
                       "best_case": [100.0, 50.0], "weighted": [10.0, 5.0], "won_count": [0, 0],
                       "won_value": [0.0, 0.0]})
    fb = pd.DataFrame({"owner": ["Li Wei", "Bo"], "bucket": ["2026-11", "2026-12"], "open_count": [3, 1],
                       "best_case": [300.0, 70.0], "weighted": [30.0, 7.0], "won_count": [1, 0],
                       "won_value": [25.0, 0.0]})
    ma = pd.DataFrame({"owner": ["Li Wei"], "period": ["2026-11"], "movement": ["moved_back"], "leads": [1],
                       "value": [100.0]})
    mb = pd.DataFrame({"owner": ["Li Wei", "Li Wei"], "period": ["2026-11", "2026-10"],
                       "movement": ["moved_back", "won"], "leads": [2, 1], "value": [30.0, 5.0]})
    fig = r.reduce([part("a.xlsx", fc=fa, mv=ma), part("b.xlsx", fc=fb, mv=mb)], PLAN)
    per_owner, total = fig.forecast
    assert list(total["bucket"]) == forecast.buckets(DAY)
    nov = total.set_index("bucket").loc["2026-11"]
    assert (nov["open_count"], nov["best_case"], nov["weighted"], nov["won_value"]) == (4, 400.0, 40.0, 25.0)
    li = per_owner.set_index(["owner", "bucket"]).loc[("Li Wei", "later")]
    assert li["open_count"] == 2 and li["best_case"] == 50.0
    moves, moves_total = fig.movement
    back = moves_total.set_index("movement").loc["moved_back"]
    assert (back["leads"], back["value"], back["prev_leads"]) == (3, 130.0, 0)
    won = moves_total.set_index("movement").loc["won"]
    assert (won["leads"], won["prev_leads"], won["prev_value"]) == (0, 1, 5.0)
    assert set(movement.MOVEMENTS) == set(moves_total["movement"])


def test_a_failed_book_is_listed_and_adds_nothing():
    a = part("a.xlsx", funnel_rows=[{"owner": "Bo", "stage": "Proposal", "leads": 2, "open": 2}])
    bad = BookPartial("bad.xlsx", error="bad.xlsx is a text file")
    fig = r.reduce([a, bad], PLAN)
    assert fig.books == ["a.xlsx"] and fig.failed == [("bad.xlsx", "bad.xlsx is a text file")]
    assert fig.leads == 2 and int(fig.funnel["leads"].sum()) == 2


def test_books_of_the_same_file_name_are_named_by_their_path():
    assert r.names(["north/rep.xlsx", "south/rep.xlsx", "c.xlsx"]) == ["north/rep.xlsx", "south/rep.xlsx", "c.xlsx"]


def test_consume_adds_up_the_same_and_leaves_the_partials_without_their_tables():
    """``rollup`` reduces with ``consume=True``: each kind of table leaves the partials once it
    is added up, so the client never holds it twice; the figures are the same."""
    import copy

    rows = [{"owner": "Li Wei", "source": "Web", "stage": "Proposal", "leads": 2, "open": 2, "value": 100.0},
            {"owner": "Bo", "source": "Fair", "stage": "Closed Won", "leads": 1, "won": 1, "value": 40.0}]
    books = [part("a.xlsx", funnel_rows=rows[:1], month_rows=[("Li Wei", "2026-11", 0, 0.0, 2, 100.0, 50.0)]),
             part("b.xlsx", funnel_rows=rows[1:], month_rows=[("Bo", "2026-11", 1, 40.0, 0, 0.0, 0.0)])]
    kept, taken = r.reduce(copy.deepcopy(books), PLAN), r.reduce(books, PLAN, consume=True)
    for name in ("funnel", "unknown", "targets", "flagged", "cross"):
        pd.testing.assert_frame_equal(getattr(taken, name), getattr(kept, name))
    assert taken.leads == kept.leads == 3 and int(taken.funnel["won"].sum()) == 1
    for p in books:
        assert [k for k in TABLES if getattr(p, k) is not None] == []
        assert p.leads  # the book's own figures stay
