"""docs/spec.md §2 Targets, forecast and movement — targets: the Settings block, attainment and
coverage on a small book computed by hand, and the reduce of partial tables.

The book (TODAY = 2026-11-18; Q4 = 2026-10-01 … 2026-12-31):

 id   owner  stage             value   Close Date   Timeline     in Q4                  in 2026-11
 A1   Ann    Closed Won        10000   2026-12-31                won (last day of Q4)   –
 A2   Ann    Closed Won         5000   2026-09-30                – (last day of Q3)     –
 A3   Ann    Closed Won         2000   2026-11-01                won                    won
 A4   Ann    Proposal 55%      20000   2026-12-15                open, weighted 11000   –
 A5   Ann    Negotiation 75%    8000                2026-11-30   open, weighted 6000    open, weighted 6000
 A6   Ann    Prospecting 5%     4000                2027-01-01   – (Q1 of 2027)         –
 A7   Ann    Closed Lost        9000   2026-11-10                –                      –
 A8   Ann    Qualification      1000                ≤3 months    – (no date)            –
 A9   Ann    Closed Won            –   2026-10-05                won, value 0           –
 B1   Bob    Initial Contact   10000   2026-10-15                open (date passed,     –
                     20%                                          still in Q4), w. 2000
 B2   Bob    Closed Won        30000   2026-11-20                won                    won
 C1   Cara   Proposal 55%      50000   2026-11-25                open, weighted 27500   open, weighted 27500

Targets: Ann 2026-Q4 40000 · Ann 2026-11 10000 · Bob 2026-Q4 25000 · Dan 2026-Q4 7000 (no leads).

 Q4     won (n)     open (n)    weighted  target  attainment  remaining  coverage  weighted cov.
 Ann    12000 (3)   28000 (2)   17000     40000   0.30        28000      1.0       17000/28000
 Bob    30000 (1)   10000 (1)    2000     25000   1.20        -5000      –         –  (met)
 Cara       0 (0)   50000 (1)   27500     –       –           –          –         –  (no target)
 Dan        0 (0)       0 (0)       0      7000   0            7000      0         0

 2026-11
 Ann     2000 (1)    8000 (1)    6000     10000   0.20         8000      1.0       0.75
 Bob    30000 (1)       0 (0)       0     –       –           –          –         –
 Cara       0 (0)   50000 (1)   27500     –       –           –          –         –
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from salesbook.rules import targets
from salesbook.rules.period import parse_period
from salesbook.rules.prepare import canonical_frame, prepare
from salesbook.rules.settings import Settings, Target
from salesbook.rules.settings_sheet import SettingsError, settings_from_grid, settings_rows

from .conftest import TODAY, leads

BOOK = {
    "A1": {"Owner": "Ann", "Stage": "Closed Won", "Deal Value": "10000", "Close Date": "2026-12-31"},
    "A2": {"Owner": "Ann", "Stage": "Closed Won", "Deal Value": "5000", "Close Date": "2026-09-30"},
    "A3": {"Owner": "Ann", "Stage": "Closed Won", "Deal Value": "2000", "Close Date": "2026-11-01"},
    "A4": {"Owner": "Ann", "Stage": "Proposal", "Deal Value": "20000", "Close Date": "2026-12-15"},
    "A5": {"Owner": "Ann", "Stage": "Negotiation", "Deal Value": "8000", "Timeline": "2026-11-30"},
    "A6": {"Owner": "Ann", "Stage": "Prospecting", "Deal Value": "4000", "Timeline": "2027-01-01"},
    "A7": {"Owner": "Ann", "Stage": "Closed Lost", "Deal Value": "9000", "Close Date": "2026-11-10"},
    "A8": {"Owner": "Ann", "Stage": "Qualification", "Deal Value": "1000", "Timeline": "≤3 months"},
    "A9": {"Owner": "Ann", "Stage": "Closed Won", "Close Date": "2026-10-05"},
    "B1": {"Owner": "Bob", "Stage": "Initial Contact", "Deal Value": "10000", "Close Date": "2026-10-15"},
    "B2": {"Owner": "Bob", "Stage": "Closed Won", "Deal Value": "30000", "Close Date": "2026-11-20"},
    "C1": {"Owner": "Cara", "Stage": "Proposal", "Deal Value": "50000", "Close Date": "2026-11-25"},
}
TARGETS = (Target("Ann", "2026-Q4", 40000.0), Target("Ann", "2026-11", 10000.0), Target("Bob", "2026-Q4", 25000.0),
           Target("Dan", "2026-Q4", 7000.0))
SETTINGS = Settings(targets=TARGETS)
Q4, NOV = parse_period("2026-Q4"), parse_period("2026-11")


def prepared(ids, settings: Settings = SETTINGS):
    raw, labels = canonical_frame(leads(*[{"Lead ID": i, **BOOK[i]} for i in ids]))
    return prepare(raw, settings, labels)


def table(ids=tuple(BOOK), settings: Settings = SETTINGS, periods=None) -> pd.DataFrame:
    return targets.finish(targets.partial(prepared(ids, settings), settings, TODAY, periods))


def row(t: pd.DataFrame, owner: str, period: str) -> dict:
    found = t[(t["owner"] == owner) & (t["period"] == period)]
    assert len(found) == 1, (owner, period, t[["owner", "period"]].values.tolist())
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in found.iloc[0].items()}


def same(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12))


class TestByHand:
    @pytest.mark.parametrize("owner, period, won_n, won, open_n, open_, weighted, target, attain, remaining, cov, wcov", [
        ("Ann", "2026-Q4", 3, 12000, 2, 28000, 17000, 40000, 0.30, 28000, 1.0, 17000 / 28000),
        ("Bob", "2026-Q4", 1, 30000, 1, 10000, 2000, 25000, 1.20, -5000, None, None),
        ("Cara", "2026-Q4", 0, 0, 1, 50000, 27500, None, None, None, None, None),
        ("Dan", "2026-Q4", 0, 0, 0, 0, 0, 7000, 0.0, 7000, 0.0, 0.0),
        ("Ann", "2026-11", 1, 2000, 1, 8000, 6000, 10000, 0.20, 8000, 1.0, 0.75),
        ("Bob", "2026-11", 1, 30000, 0, 0, 0, None, None, None, None, None),
        ("Cara", "2026-11", 0, 0, 1, 50000, 27500, None, None, None, None, None),
    ])
    def test_rows(self, owner, period, won_n, won, open_n, open_, weighted, target, attain, remaining, cov, wcov):
        r = row(table(), owner, period)
        assert (r["won_count"], r["open_count"]) == (won_n, open_n)
        for key, want in (("won_value", won), ("open_value", open_), ("weighted_open", weighted), ("target", target),
                          ("attainment", attain), ("remaining", remaining), ("coverage", cov),
                          ("weighted_coverage", wcov)):
            assert same(r[key], want), (key, r[key], want)

    def test_owners_and_periods_listed(self):
        t = table()
        assert t[["period", "owner"]].values.tolist() == [
            ["2026-11", "Ann"], ["2026-11", "Bob"], ["2026-11", "Cara"],
            ["2026-Q4", "Ann"], ["2026-Q4", "Bob"], ["2026-Q4", "Cara"], ["2026-Q4", "Dan"]]

    def test_without_targets_the_current_quarter_lists_every_owner(self):
        t = table(settings=Settings())
        assert t["period"].unique().tolist() == ["2026-Q4"]
        assert t["owner"].tolist() == ["Ann", "Bob", "Cara"]
        assert t["target"].isna().all() and t["attainment"].isna().all() and t["coverage"].isna().all()
        assert t["won_value"].tolist() == [12000, 30000, 0]

    def test_an_extra_period_of_a_run(self):
        periods = targets.target_periods(SETTINGS, TODAY, (parse_period("2026"),))
        assert [p.label for p in periods] == ["2026-Q4", "2026-11", "2026"]
        r = row(table(periods=periods), "Ann", "2026")
        # 2026: A1, A2, A3, A9 won; A4, A5 open (A6 is 2027).
        assert (r["won_count"], r["won_value"], r["open_value"], r["target"]) == (4, 17000, 28000, None)

    def test_the_last_day_of_the_quarter_is_in_it_and_the_next_day_is_not(self):
        edge = {"Q4-last": {"Owner": "Eve", "Stage": "Closed Won", "Deal Value": "100", "Close Date": "2026-12-31"},
                "Q1-first": {"Owner": "Eve", "Stage": "Closed Won", "Deal Value": "1", "Close Date": "2027-01-01"},
                "Q3-last": {"Owner": "Eve", "Stage": "Proposal", "Deal Value": "10", "Close Date": "2026-09-30"},
                "Q4-first": {"Owner": "Eve", "Stage": "Proposal", "Deal Value": "1000", "Timeline": "2026-10-01"}}
        raw, labels = canonical_frame(leads(*[{"Lead ID": k, **v} for k, v in edge.items()]))
        p = prepare(raw, Settings(), labels)
        t = targets.finish(targets.partial(p, Settings(), TODAY, [Q4, parse_period("2027-Q1"), parse_period("2026-Q3")]))
        assert (row(t, "Eve", "2026-Q4")["won_value"], row(t, "Eve", "2026-Q4")["open_value"]) == (100, 1000)
        assert (row(t, "Eve", "2027-Q1")["won_value"], row(t, "Eve", "2026-Q3")["open_value"]) == (1, 10)

    def test_leap_day(self):
        raw, labels = canonical_frame(leads({"Owner": "Eve", "Stage": "Closed Won", "Deal Value": "5",
                                             "Close Date": "2028-02-29"}))
        p = prepare(raw, Settings(), labels)
        t = targets.finish(targets.partial(p, Settings(), TODAY, [parse_period("2028-02"), parse_period("2028-03")]))
        assert row(t, "Eve", "2028-02")["won_value"] == 5 and row(t, "Eve", "2028-03")["won_value"] == 0

    def test_a_won_lead_without_a_close_date_is_in_no_period(self):
        """Even with a Timeline date in the period: a won lead's period is its Close Date's."""
        raw, labels = canonical_frame(leads({"Owner": "Eve", "Stage": "Closed Won", "Deal Value": "5",
                                             "Timeline": "2026-11-20"},
                                            {"Owner": "Eve", "Stage": "Closed Won", "Deal Value": "7",
                                             "Timeline": "2026-11-20", "Close Date": "2026-11-02"}))
        t = targets.finish(targets.partial(prepare(raw, Settings(), labels), Settings(), TODAY, [NOV]))
        assert (row(t, "Eve", "2026-11")["won_count"], row(t, "Eve", "2026-11")["won_value"]) == (1, 7)

    def test_an_unreadable_close_date_counts_in_no_period(self):
        raw, labels = canonical_frame(leads({"Owner": "Eve", "Stage": "Proposal", "Deal Value": "5",
                                             "Close Date": "soon", "Timeline": "2026-11-20"}))
        t = targets.finish(targets.partial(prepare(raw, Settings(), labels), Settings(), TODAY, [NOV]))
        assert row(t, "Eve", "2026-11")["open_count"] == 0

    def test_unknown_stages_and_blank_rows_are_left_out(self):
        raw, labels = canonical_frame(leads({"Owner": "Eve", "Stage": "Closed Wonn", "Deal Value": "5", "Close Date": "2026-11-02"},
                                            {"Owner": "Eve", "Stage": "Closed Won", "Deal Value": "7", "Close Date": "2026-11-02"}))
        t = targets.finish(targets.partial(prepare(raw, Settings(), labels), Settings(), TODAY, [NOV]))
        assert row(t, "Eve", "2026-11")["won_value"] == 7


class TestReduce:
    SPLIT = (("A1", "A2", "A3", "A4", "B1", "C1"), ("A5", "A6", "A7", "A8", "A9", "B2"))

    def test_two_books_equal_the_concatenated_leads(self):
        periods = targets.target_periods(SETTINGS, TODAY)
        books = [targets.lead_partial(prepared(ids), SETTINGS, periods) for ids in self.SPLIT]
        reduced = targets.reduce([*books, targets.target_partial(SETTINGS, periods)])
        whole = targets.finish(targets.partial(prepared(tuple(BOOK)), SETTINGS, TODAY))
        pd.testing.assert_frame_equal(targets.finish(reduced), whole, check_dtype=False)

    def test_each_book_with_its_own_targets(self):
        """Two books whose Settings each name their own owners' targets: partial() per book adds up."""
        one = Settings(targets=TARGETS[:2])  # Ann's
        two = Settings(targets=TARGETS[2:])  # Bob's and Dan's
        periods = targets.target_periods(SETTINGS, TODAY)
        parts = [targets.partial(prepared(ids, s), s, TODAY, periods) for ids, s in zip(self.SPLIT, (one, two))]
        whole = targets.finish(targets.partial(prepared(tuple(BOOK)), SETTINGS, TODAY))
        pd.testing.assert_frame_equal(targets.finish(targets.reduce(parts)), whole, check_dtype=False)

    def test_the_reduce_is_concat_group_sum(self):
        periods = targets.target_periods(SETTINGS, TODAY)
        parts = [targets.lead_partial(prepared(ids), SETTINGS, periods) for ids in self.SPLIT]
        parts.append(targets.target_partial(SETTINGS, periods))
        plain = pd.concat(parts).groupby(list(targets.KEYS)).sum().reset_index()
        pd.testing.assert_frame_equal(targets.finish(plain), targets.finish(targets.reduce(parts)), check_dtype=False)

    def test_partial_columns_are_additive_only(self):
        part = targets.partial(prepared(tuple(BOOK)), SETTINGS, TODAY)
        assert list(part.columns) == list(targets.KEYS + targets.SUMS)


def sheet(*lines: list[object], title: str = "Targets 目标") -> list[list[object]]:
    return [[title], *[list(x) for x in lines], []]


class TestSettingsBlock:
    def test_read(self):
        s = settings_from_grid(sheet(["Owner", "Period", "Target"], ["Ann", "2026-Q4", 40000],
                                     ["Ann", dt.datetime(2026, 11, 1), "10,000"], ["Bob", 2026, 1000.5],
                                     ["Cara", "2026-12", None]))
        assert s.targets == (Target("Ann", "2026-Q4", 40000.0), Target("Ann", "2026-11", 10000.0),
                             Target("Bob", "2026", 1000.5))

    def test_frame(self):
        f = Settings(targets=TARGETS[:2]).targets_frame()
        assert f.to_dict("list") == {"owner": ["Ann", "Ann"], "period": ["2026-Q4", "2026-11"],
                                     "target": [40000.0, 10000.0]}

    def test_chinese(self):
        s = settings_from_grid(sheet(["负责人", "期间", "目标"], ["王伟", "2026年第4季度", "50000"], title="目标"))
        assert s.targets == (Target("王伟", "2026-Q4", 50000.0),)

    def test_round_trip(self):
        s = Settings(targets=TARGETS)
        rows: list[list[object]] = []
        for title, block, _ in settings_rows(s):
            rows += [[title], *[list(r) for r in block], []]
        assert settings_from_grid(rows) == s
        assert settings_from_grid([r for r in rows]).targets_frame()["target"].sum() == 82000

    def test_empty_block_is_no_targets(self):
        assert settings_from_grid(sheet(["Owner", "Period", "Target"])).targets == ()
        assert Settings().targets == ()

    @pytest.mark.parametrize("cells, where, says", [
        (["Ann", "Q4", 1000], "B3", "'Q4' is not a month (2026-11), a quarter (2026-Q4) or a year (2026)."),
        (["Ann", "last-30-days", 1000], "B3", "'last-30-days' is not a month (2026-11), a quarter (2026-Q4) or a year (2026)."),
        (["Ann", dt.datetime(2026, 11, 5), 1000], "B3", "is not a month (2026-11)"),
        (["Ann", "2026-Q4", -5], "C3", "-5 is not a target amount of 0 or more."),
        (["Ann", "2026-Q4", "lots"], "C3", "'lots' is not a target amount of 0 or more."),
        ([None, "2026-Q4", 1000], "A3", "the owner of this target is empty. Write the rep it is for"),
    ])
    def test_bad_cells_name_the_cell(self, cells, where, says):
        with pytest.raises(SettingsError) as e:
            settings_from_grid(sheet(["Owner", "Period", "Target"], cells))
        assert str(e.value).startswith(f"Settings sheet 'Settings', cell {where}: ") and says in str(e.value)

    def test_a_second_target_for_the_same_owner_and_period(self):
        with pytest.raises(SettingsError) as e:
            settings_from_grid(sheet(["Owner", "Period", "Target"], ["Ann", "2026-Q4", 1], ["Bob", "2026-Q4", 2],
                                     ["ann", "2026-Q4", 3], [" Ann ", "2026-q4", 4]))
        assert str(e.value) == ("Settings sheet 'Settings', cell A6: 'Ann' has a second target for 2026-Q4 "
                                "(the first is on row 3). Keep one line per owner and period and run again.")

    def test_a_header_without_the_columns(self):
        with pytest.raises(SettingsError) as e:
            settings_from_grid(sheet(["Rep", "When"], ["Ann", "2026-Q4"]))
        assert str(e.value) == ("Settings sheet 'Settings', row 2: the Targets block needs the header "
                                "Owner | Period | Target (found 'Rep | When'). Fix the header and run again.")


def test_vectorised_on_a_big_table():
    """100,000 leads in a few hundred milliseconds and the same sums as a plain pandas query."""
    rng = np.random.default_rng(3)
    n = 100_000
    stages = np.array(["Prospecting", "Proposal", "Closed Won", "Closed Lost"], dtype=object)
    days = pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    frame = pd.DataFrame({"Lead ID": [f"L{i}" for i in range(n)], "Company": [f"C{i}" for i in range(n)],
                          "Owner": rng.choice(np.array(["Ann", "Bob", "Cara"], dtype=object), n),
                          "Stage": rng.choice(stages, n), "Created": "2026-01-01",
                          "Deal Value": rng.integers(0, 1000, n).astype(float),
                          "Close Date": days.strftime("%Y-%m-%d")})
    raw, labels = canonical_frame(frame)
    p = prepare(raw, Settings(), labels)
    t = targets.finish(targets.partial(p, Settings(), TODAY, [Q4]))
    in_q4 = (days >= "2026-10-01") & (days <= "2026-12-31")
    for owner in ("Ann", "Bob", "Cara"):
        mine = (frame["Owner"] == owner).to_numpy()
        assert row(t, owner, "2026-Q4")["won_value"] == frame["Deal Value"][mine & in_q4 & (frame["Stage"] == "Closed Won")].sum()
        assert row(t, owner, "2026-Q4")["open_value"] == frame["Deal Value"][mine & in_q4 & frame["Stage"].isin(["Prospecting", "Proposal"])].sum()
