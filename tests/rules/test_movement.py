"""docs/spec.md §2 Targets, forecast and movement — movement on a small book with History,
computed by hand. TODAY = 2026-11-18; the period is 2026-Q4 (10-01 … 12-31), the one before it
2026-Q3 (07-01 … 09-30). The lead table's stage counts as a History row dated today.

 id   owner value  now (Close Date)          Created     History (From → To, date)
 M1   Ann   1000   Prospecting               2026-10-05  "" → Prospecting 10-05
 M2   Ann   2000   Proposal                  2026-06-01  "" → Prospecting 06-01; → Qualification 09-30 (last day
                                                         of Q3); → Proposal 10-01 (first day of Q4)
 M3   Ann   3000   Qualification             2026-05-01  "" → Proposal 05-01; → Negotiation 10-10; → Qualification 11-01
 M4   Ann   4000   Proposal                  2026-05-01  "" → Proposal 05-01; → Negotiation 10-10; → Proposal 10-20
 M5   Ann   5000   Closed Won (2026-09-30)   2026-03-01  "" → Negotiation 03-01
 M6   Ann   6000   Closed Won (2026-10-01)   2026-01-10  "" → Proposal 01-10
 M7   Ann   7000   Closed Lost (2026-11-05)  2026-04-01  "" → Needs Assessment 04-01
 M8   Ann   8000   Closed Won (no date)      2026-02-01  "" → Negotiation 02-01; → Closed Won 10-20
 M9   Ann   9000   Closed Won (2026-11-01)   2026-10-02  (none)
 M10  Bob  10000   Prospecting               2025-12-01  (none)
 M10  Bob    500   (a second row with the same Lead ID: left out)
 M12  Bob  12000   Qualification             2026-03-01  "" → Proposal 03-01; → Closed Lost 08-01; → Qualification 10-15
 M14  Bob  14000   Closed Wonn (unknown stage: left out)
 M15  Bob  15000   Closed Lost (2025-06-01)  2025-01-01  (none)
 L-999 (History only, archived): ignored.

                Q4                                  Q3
 Ann  new       M1 1000                             –   (M1, M9 created after Q3)
      advanced  M2 2000                             M2 2000
      moved back M3 3000                            –
      won       M6, M8, M9 = 23000 (3)              M5 5000
      lost      M7 7000                             –
      unchanged M4 4000 (moved and came back)       M3, M4, M6, M7, M8 = 28000 (5)
      out       M5 (closed before Q4)
 Bob  advanced  M12 12000 (reopened from Closed Lost) –
      lost      –                                   M12 12000 (History: → Closed Lost 08-01)
      unchanged M10 10000 (no History)              M10 10000
      out       M15                                 M15
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesbook.rules import movement
from salesbook.rules.history import history_from_grid
from salesbook.rules.period import parse_period
from salesbook.rules.prepare import canonical_frame, prepare
from salesbook.rules.settings import Settings

from .conftest import TODAY, leads

LEADS = [
    {"Lead ID": "M1", "Owner": "Ann", "Deal Value": "1000", "Stage": "Prospecting", "Created": "2026-10-05"},
    {"Lead ID": "M2", "Owner": "Ann", "Deal Value": "2000", "Stage": "Proposal", "Created": "2026-06-01"},
    {"Lead ID": "M3", "Owner": "Ann", "Deal Value": "3000", "Stage": "Qualification", "Created": "2026-05-01"},
    {"Lead ID": "M4", "Owner": "Ann", "Deal Value": "4000", "Stage": "Proposal", "Created": "2026-05-01"},
    {"Lead ID": "M5", "Owner": "Ann", "Deal Value": "5000", "Stage": "Closed Won", "Close Date": "2026-09-30",
     "Created": "2026-03-01"},
    {"Lead ID": "M6", "Owner": "Ann", "Deal Value": "6000", "Stage": "Closed Won", "Close Date": "2026-10-01",
     "Created": "2026-01-10"},
    {"Lead ID": "M7", "Owner": "Ann", "Deal Value": "7000", "Stage": "Closed Lost", "Close Date": "2026-11-05",
     "Created": "2026-04-01"},
    {"Lead ID": "M8", "Owner": "Ann", "Deal Value": "8000", "Stage": "Closed Won", "Created": "2026-02-01"},
    {"Lead ID": "M9", "Owner": "Ann", "Deal Value": "9000", "Stage": "Closed Won", "Close Date": "2026-11-01",
     "Created": "2026-10-02"},
    {"Lead ID": "M10", "Owner": "Bob", "Deal Value": "10000", "Stage": "Prospecting", "Created": "2025-12-01"},
    {"Lead ID": "M10", "Owner": "Bob", "Deal Value": "500", "Stage": "Proposal", "Created": "2026-10-10"},
    {"Lead ID": "M12", "Owner": "Bob", "Deal Value": "12000", "Stage": "Qualification", "Created": "2026-03-01"},
    {"Lead ID": "M14", "Owner": "Bob", "Deal Value": "14000", "Stage": "Closed Wonn", "Created": "2026-10-03"},
    {"Lead ID": "M15", "Owner": "Bob", "Deal Value": "15000", "Stage": "Closed Lost", "Close Date": "2025-06-01",
     "Created": "2025-01-01"},
]
HISTORY = [
    ["M1", "", "Prospecting", "2026-10-05"],
    ["M2", "", "Prospecting", "2026-06-01"], ["M2", "Prospecting", "Qualification", "2026-09-30"],
    ["M2", "Qualification", "Proposal", "2026-10-01"],
    ["M3", "", "Proposal", "2026-05-01"], ["M3", "Proposal", "Negotiation", "2026-10-10"],
    ["M3", "Negotiation", "Qualification", "2026-11-01"],
    ["M4", "", "Proposal", "2026-05-01"], ["M4", "Proposal", "Negotiation", "2026-10-10"],
    ["M4", "Negotiation", "Proposal", "2026-10-20"],
    ["M5", "", "Negotiation", "2026-03-01"],
    ["M6", "", "Proposal", "2026-01-10"],
    ["M7", "", "Needs Assessment", "2026-04-01"],
    ["M8", "", "Negotiation", "2026-02-01"], ["M8", "Negotiation", "Closed Won", "2026-10-20"],
    ["M12", "", "Proposal", "2026-03-01"], ["M12", "Proposal", "Closed Lost", "2026-08-01"],
    ["M12", "Closed Lost", "Qualification", "2026-10-15"],
    ["L-999", "", "Proposal", "2026-10-05"],
]
HEADER = ["Lead ID", "From", "To", "Date"]
Q4 = parse_period("2026-Q4")


def prepared(rows=LEADS):
    raw, labels = canonical_frame(leads(*rows))
    return prepare(raw, Settings(), labels)


def history(rows=HISTORY):
    return history_from_grid([HEADER, *[list(r) for r in rows]])


def run(rows=LEADS, hist=HISTORY, period=Q4, today=TODAY):
    return movement.finish(movement.partial(prepared(rows), history(hist), Settings(), today, period), period)


def figures(t: pd.DataFrame, owner: str | None = None) -> dict[str, tuple]:
    """movement → (leads, value, prev_leads, prev_value) for an owner (or the total)."""
    if owner is not None:
        t = t[t["owner"] == owner]
    return {r.movement: (int(r.leads), float(r.value), int(r.prev_leads), float(r.prev_value)) for r in t.itertuples()}


class TestByHand:
    def test_ann(self):
        owners, _ = run()
        assert figures(owners, "Ann") == {
            "new": (1, 1000, 0, 0), "advanced": (1, 2000, 1, 2000), "moved_back": (1, 3000, 0, 0),
            "won": (3, 23000, 1, 5000), "lost": (1, 7000, 0, 0), "unchanged": (1, 4000, 5, 28000)}

    def test_bob(self):
        owners, _ = run()
        assert figures(owners, "Bob") == {
            "new": (0, 0, 0, 0), "advanced": (1, 12000, 0, 0), "moved_back": (0, 0, 0, 0),
            "won": (0, 0, 0, 0), "lost": (0, 0, 1, 12000), "unchanged": (1, 10000, 1, 10000)}

    def test_total_and_change(self):
        _, total = run()
        assert total["movement"].tolist() == list(movement.MOVEMENTS)
        assert figures(total) == {
            "new": (1, 1000, 0, 0), "advanced": (2, 14000, 1, 2000), "moved_back": (1, 3000, 0, 0),
            "won": (3, 23000, 1, 5000), "lost": (1, 7000, 1, 12000), "unchanged": (2, 14000, 6, 38000)}
        assert total["change"].tolist() == [1, 1, 1, 2, 0, -4]

    def test_each_lead(self):
        p = prepared()
        ids = p.frame["lead_id"].astype(object).to_numpy()
        for period, expected in ((Q4, {"M1": "new", "M2": "advanced", "M3": "moved_back", "M4": "unchanged",
                                       "M5": None, "M6": "won", "M7": "lost", "M8": "won", "M9": "won",
                                       "M10": "unchanged", "M12": "advanced", "M15": None}),
                                 (Q4.previous(), {"M1": None, "M2": "advanced", "M3": "unchanged", "M4": "unchanged",
                                                  "M5": "won", "M6": "unchanged", "M7": "unchanged", "M8": "unchanged",
                                                  "M9": None, "M10": "unchanged", "M12": "lost", "M15": None})):
            at, code = movement.classify(p, history(), Settings(), TODAY, period)
            got = {ids[i]: (movement.MOVEMENTS[c] if c >= 0 else None) for i, c in zip(at, code)}
            assert got == expected, period.label

    def test_the_last_day_of_a_quarter_belongs_to_it(self):
        """M2 moved on 09-30 (Q3) and on 10-01 (Q4): each quarter sees exactly one move."""
        p = prepared([LEADS[1]])
        for period, before_after in ((Q4, "advanced"), (Q4.previous(), "advanced")):
            _, code = movement.classify(p, history(HISTORY[1:4]), Settings(), TODAY, period)
            assert movement.MOVEMENTS[code[0]] == before_after
        # Without the 10-01 move, Q4 sees none of M2's: it stayed in Qualification (today's stage).
        lead = {**LEADS[1], "Stage": "Qualification"}
        _, code = movement.classify(prepared([lead]), history(HISTORY[1:3]), Settings(), TODAY, Q4)
        assert movement.MOVEMENTS[code[0]] == "unchanged"

    def test_december_into_january(self):
        today = dt.date(2027, 1, 20)
        lead = {"Lead ID": "J1", "Owner": "Ann", "Deal Value": "1", "Stage": "Proposal", "Created": "2026-06-01"}
        hist = [["J1", "", "Prospecting", "2026-06-01"], ["J1", "Prospecting", "Needs Assessment", "2026-12-31"],
                ["J1", "Needs Assessment", "Proposal", "2027-01-01"]]
        jan = parse_period("2027-01")
        assert jan.previous().label == "2026-12"
        owners, _ = run([lead], hist, jan, today)
        assert figures(owners, "Ann")["advanced"] == (1, 1, 1, 1)

    def test_a_move_on_a_leap_day(self):
        today = dt.date(2028, 3, 10)
        lead = {"Lead ID": "P1", "Owner": "Ann", "Deal Value": "1", "Stage": "Qualification", "Created": "2027-06-01"}
        hist = [["P1", "", "Proposal", "2027-06-01"], ["P1", "Proposal", "Qualification", "2028-02-29"]]
        owners, _ = run([lead], hist, parse_period("2028-02"), today)
        assert figures(owners, "Ann")["moved_back"] == (1, 1, 0, 0)
        assert figures(owners, "Ann")["unchanged"] == (0, 0, 1, 1)  # January: still in Proposal

    def test_a_move_since_the_last_refresh_is_seen(self):
        """History last saw the lead in Proposal; the table now says Negotiation: today's stage counts."""
        lead = {"Lead ID": "T1", "Owner": "Ann", "Deal Value": "1", "Stage": "Negotiation", "Created": "2026-01-01"}
        owners, _ = run([lead], [["T1", "", "Proposal", "2026-01-01"]], parse_period("last-30-days", TODAY))
        assert figures(owners, "Ann")["advanced"] == (1, 1, 0, 0)

    def test_without_any_history(self):
        owners, _ = run(LEADS, [])
        ann = figures(owners, "Ann")
        # Won and lost by Close Date; M8 (no Close Date, no History before) counts as won now
        # (its stage today is Closed Won, seen in the period); the rest cannot be compared.
        assert ann["won"][:2] == (3, 23000) and ann["lost"][:2] == (1, 7000) and ann["new"][:2] == (1, 1000)
        assert ann["advanced"][:2] == ann["moved_back"][:2] == (0, 0)

    def test_chinese_stage_names_in_history(self):
        lead = {"Lead ID": "Z1", "Owner": "Ann", "Deal Value": "1", "Stage": "Proposal", "Created": "2026-01-01"}
        hist = [["Z1", "", "潜在开发", "2026-01-01"], ["Z1", "潜在开发", "提案/报价", "2026-11-02"]]
        owners, _ = run([lead], hist)
        assert figures(owners, "Ann")["advanced"] == (1, 1, 0, 0)


class TestReduce:
    def test_two_books_equal_the_concatenated_leads(self):
        one = [r for r in LEADS if r["Lead ID"] in ("M1", "M3", "M5", "M7", "M9", "M10", "M15")]
        two = [r for r in LEADS if r not in one]
        parts = [movement.partial(prepared(book), history(), Settings(), TODAY, Q4) for book in (one, two)]
        assert {"Ann", "Bob"} <= set(parts[0]["owner"]) and {"Ann", "Bob"} <= set(parts[1]["owner"])
        plain = pd.concat(parts).groupby(list(movement.KEYS)).sum().reset_index()
        want = run()
        for got in (movement.finish(plain, Q4), movement.finish(movement.reduce(parts), Q4)):
            pd.testing.assert_frame_equal(got[0], want[0], check_dtype=False)
            pd.testing.assert_frame_equal(got[1], want[1], check_dtype=False)

    def test_partial_columns_are_additive_only(self):
        part = movement.partial(prepared(), history(), Settings(), TODAY, Q4)
        assert list(part.columns) == list(movement.KEYS + movement.SUMS)
        assert set(part["period"]) == {"2026-Q4", "2026-Q3"}


def test_vectorised_on_a_big_table():
    """50,000 leads and 150,000 History rows: one pass, and the counts add up to the leads in scope."""
    rng = np.random.default_rng(11)
    n = 50_000
    names = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
    frame = pd.DataFrame({"Lead ID": [f"L{i}" for i in range(n)], "Company": [f"C{i}" for i in range(n)],
                          "Owner": rng.choice(np.array(["Ann", "Bob"], dtype=object), n),
                          "Stage": rng.choice(np.array(names[:4], dtype=object), n), "Created": "2026-01-01",
                          "Deal Value": "1"})
    raw, labels = canonical_frame(frame)
    p = prepare(raw, Settings(), labels)
    ids = np.repeat(frame["Lead ID"].to_numpy(), 3)
    dates = (pd.Timestamp("2026-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 320, 3 * n)), unit="D"))
    hist = pd.DataFrame({"lead_id": pd.array(ids, dtype="string[pyarrow]"),
                         "from": pd.array(rng.choice(names[:4], 3 * n), dtype="string[pyarrow]"),
                         "to": pd.array(rng.choice(names[:4], 3 * n), dtype="string[pyarrow]"), "date": dates})
    owners, total = movement.finish(movement.partial(p, hist, Settings(), TODAY, Q4), Q4)
    assert int(total["leads"].sum()) == n and int(total["prev_leads"].sum()) == n  # all open, created before both
    assert total.loc[total["movement"] == "new", "leads"].item() == 0
