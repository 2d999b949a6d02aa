"""docs/spec.md §2 Funnel and the History sheet, on a small book computed by hand.

The book (TODAY = Wed 2026-11-18; open leads were contacted yesterday so their follow-up
is C + 30 days, unless noted):

 id   stage              value   owner  source    notes
 L1   Prospecting         1000   Ann    Web       Stage Since 10 days ago
 L2   Qualification       2000   Ann    Web       Stage Since 5 days ago
 L3   Proposal           10000   Bob    Referral  Stage Since 40 days ago (stuck, limit 30); last contact
                                                  40 days ago → due 10 days ago (Overdue)
 L4   Negotiation        20000   Bob    Referral  Stage Since 6 days ago
 L5   Closed Won          5000   Ann    Web       Created 2026-01-01, closed 2026-03-01 (59 days)
 L6   Closed Won         15000   Bob    Referral  Created 2026-02-01, closed 2026-04-03 (61 days)
 L7   Closed Lost         3000   Ann    Web       Lost At Stage Needs Assessment
 L8   Closed Lost            –   Bob    Referral  no Lost At Stage, no History
 L9   Prospecting          500   Ann    Referral  History: Prospecting → Proposal → back to Prospecting 17 days ago
 L10  Qualification          –   Bob    Referral  History: Prospecting → Qualification 10 days ago
 L11  Negotiation         4000   Bob    (blank)   Stage Since 2 days ago

Reached (furthest funnel position):
 L1 1 · L2 2 · L3 5 · L4 6 · L5 7 · L6 7 · L7 4 · L8 1 · L9 5 (History) · L10 2 · L11 6
 stage:     Prosp  Qual  Init  Needs  Prop  Nego  Won
 reached:     11     9     7     7     6     4     2
 conv next: 9/11   7/9   7/7   6/7   4/6   2/4    –
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from salesbook.rules.settings import Settings

from .conftest import day, leads, out, run

OPEN_FRESH = {"Created": "2026-01-05", "Last Contact": day(-1)}

BOOK = [
    {"Lead ID": "L1", "Stage": "Prospecting", "Deal Value": "1000", "Owner": "Ann", "Source": "Web", **OPEN_FRESH,
     "Stage Since": day(-10)},
    {"Lead ID": "L2", "Stage": "Qualification", "Deal Value": "2000", "Owner": "Ann", "Source": "Web", **OPEN_FRESH,
     "Stage Since": day(-5)},
    {"Lead ID": "L3", "Stage": "Proposal", "Deal Value": "10,000.00", "Owner": "Bob", "Source": "Referral",
     "Created": "2026-01-05", "Last Contact": day(-40), "Stage Since": day(-40)},
    {"Lead ID": "L4", "Stage": "Negotiation", "Deal Value": "20000", "Owner": "Bob", "Source": "Referral", **OPEN_FRESH,
     "Stage Since": day(-6)},
    {"Lead ID": "L5", "Stage": "Closed Won", "Deal Value": "5000", "Owner": "Ann", "Source": "Web",
     "Created": "2026-01-01", "Close Date": "2026-03-01", "Last Contact": "2026-03-01"},
    {"Lead ID": "L6", "Stage": "Closed Won", "Deal Value": "15000", "Owner": "Bob", "Source": "Referral",
     "Created": "2026-02-01", "Close Date": "2026-04-03", "Last Contact": "2026-04-03"},
    {"Lead ID": "L7", "Stage": "Closed Lost", "Lost At Stage": "Needs Assessment", "Deal Value": "3000", "Owner": "Ann",
     "Source": "Web", "Created": "2026-01-01", "Close Date": "2026-02-01"},
    {"Lead ID": "L8", "Stage": "Closed Lost", "Owner": "Bob", "Source": "Referral", "Created": "2026-01-01"},
    {"Lead ID": "L9", "Stage": "Prospecting", "Deal Value": "500", "Owner": "Ann", "Source": "Referral", **OPEN_FRESH},
    {"Lead ID": "L10", "Stage": "Qualification", "Owner": "Bob", "Source": "Referral", **OPEN_FRESH},
    {"Lead ID": "L11", "Stage": "Negotiation", "Deal Value": "4000", "Owner": "Bob", **OPEN_FRESH, "Stage Since": day(-2)},
]
HISTORY = [
    ["Lead ID", "From", "To", "Date"],
    ["L9", "", "Prospecting", "2026-09-01"],
    ["L9", "Prospecting", "Proposal", "2026-10-01"],
    ["L9", "Proposal", "Prospecting", day(-17)],
    ["L10", "Prospecting", "Qualification", day(-10)],
]
STAGES = ["Prospecting", "Qualification", "Initial Contact", "Needs Assessment", "Proposal", "Negotiation",
          "Closed Won", "Closed Lost"]


@pytest.fixture(scope="module")
def ev():
    return run(*BOOK, history_rows=HISTORY)


@pytest.fixture(scope="module")
def stages(ev) -> pd.DataFrame:
    return ev.report.stages.set_index("stage")


def approx(x):
    return pytest.approx(x, rel=1e-9)


def test_the_book_is_clean(ev):
    assert ev.problems.empty
    assert list(ev.report.stages["stage"]) == STAGES


class TestReached:
    def test_reached_per_stage(self, stages):
        assert stages["reached"].tolist()[:7] == [11, 9, 7, 7, 6, 4, 2]
        assert pd.isna(stages.loc["Closed Lost", "reached"])

    def test_conversion_to_next(self, stages):
        conv = stages["conversion"].tolist()
        assert conv[:6] == [approx(9 / 11), approx(7 / 9), approx(1.0), approx(6 / 7), approx(4 / 6), approx(2 / 4)]
        assert pd.isna(conv[6]) and pd.isna(conv[7])  # nothing after Closed Won; Lost is off the path

    def test_cumulative_conversion(self, stages):
        assert stages["cumulative"].tolist()[:7] == [approx(x / 11) for x in (11, 9, 7, 7, 6, 4, 2)]

    def test_without_history_the_moved_back_lead_counts_where_it_is(self):
        stages = run(*BOOK).report.stages.set_index("stage")
        # L9 only reaches Prospecting now: Qualification to Proposal lose one each.
        assert stages["reached"].tolist()[:7] == [11, 8, 6, 6, 5, 4, 2]

    def test_a_lead_that_moved_back_counts_once(self):
        # Prospecting → Proposal → Prospecting → Proposal → Prospecting: still one lead.
        history = [["Lead ID", "From", "To", "Date"]] + [
            ["L1", a, b, day(-50 + i)] for i, (a, b) in enumerate(
                [("Prospecting", "Proposal"), ("Proposal", "Prospecting")] * 2)]
        stages = run({"Lead ID": "L1"}, history_rows=history).report.stages.set_index("stage")
        assert stages["reached"].tolist()[:7] == [1, 1, 1, 1, 1, 0, 0]

    def test_closed_won_reaches_every_stage(self):
        stages = run({"Stage": "Closed Won"}).report.stages
        assert stages["reached"].tolist()[:7] == [1] * 7

    @pytest.mark.parametrize("lost_at, reached", [
        ("Proposal", [1, 1, 1, 1, 1, 0, 0]),
        ("", [1, 0, 0, 0, 0, 0, 0]),         # lost with no stage: it entered the funnel
        ("资格审查", [1, 1, 0, 0, 0, 0, 0]),
    ])
    def test_closed_lost_reaches_its_lost_at_stage(self, lost_at, reached):
        stages = run({"Stage": "Closed Lost", "Lost At Stage": lost_at}).report.stages
        assert stages["reached"].tolist()[:7] == reached

    def test_the_history_grid_may_use_chinese_headers(self):
        history = [["线索编号", "原阶段", "新阶段", "日期"], ["L1", "潜在开发", "谈判", day(-3)]]
        stages = run({"Lead ID": "L1"}, history_rows=history).report.stages
        assert stages["reached"].tolist()[:7] == [1, 1, 1, 1, 1, 1, 0]


class TestInStage:
    def test_count_value_weighted(self, stages):
        expect = {  # count, value, weighted = value × probability
            "Prospecting": (2, 1500, 1500 * 0.05),
            "Qualification": (2, 2000, 2000 * 0.10),
            "Initial Contact": (0, 0, 0),
            "Needs Assessment": (0, 0, 0),
            "Proposal": (1, 10000, 10000 * 0.55),
            "Negotiation": (2, 24000, 24000 * 0.75),
            "Closed Won": (2, 20000, 20000),
            "Closed Lost": (2, 3000, 0),
        }
        for stage, (n, value, weighted) in expect.items():
            row = stages.loc[stage]
            assert (row["in_stage"], row["value"], row["weighted"]) == (n, approx(value), approx(weighted)), stage

    def test_average_days_in_stage(self, stages):
        # Prospecting: L1 10 (Stage Since), L9 17 (History) → 13.5; Qualification: L2 5, L10 10 (History) → 7.5
        assert stages.loc["Prospecting", "avg_days"] == approx(13.5)
        assert stages.loc["Qualification", "avg_days"] == approx(7.5)
        assert stages.loc["Proposal", "avg_days"] == approx(40)
        assert stages.loc["Negotiation", "avg_days"] == approx(4)
        assert pd.isna(stages.loc["Initial Contact", "avg_days"])
        assert pd.isna(stages.loc["Closed Won", "avg_days"])  # closed leads are not "in" a stage

    def test_stale_and_overdue_per_stage(self, stages):
        # L9 stuck in Prospecting 17 > 14; L3 stuck in Proposal 40 > 30 and overdue; closed leads are never
        # stale. L5/L6 (Closed Won, C) had after-sales care due 180 days after their last contact: overdue.
        assert stages["stale"].tolist() == [1, 0, 0, 0, 1, 0, 0, 0]
        assert stages["overdue"].tolist() == [0, 0, 0, 0, 1, 0, 2, 0]


class TestKpis:
    def test_kpis_by_hand(self, ev):
        k = ev.report.kpis
        assert k["open"] == 7                                   # L1 L2 L3 L4 L9 L10 L11
        assert k["pipeline"] == approx(37500)                   # 1000+2000+10000+20000+500+0+4000
        assert k["weighted"] == approx(23775)                   # 75 + 200 + 5500 + 18000
        assert (k["won"], k["lost"]) == (2, 2)
        assert k["win_rate"] == approx(0.5)
        assert k["avg_won"] == approx(10000)                    # (5000 + 15000) / 2
        assert k["avg_cycle"] == approx(60)                     # (59 + 61) / 2
        assert k["velocity_day"] == approx(7 * 10000 * 0.5 / 60)
        assert k["velocity_30"] == approx(7 * 10000 * 0.5 / 60 * 30)

    def test_bottleneck_only_among_stages_reached_by_five(self, ev):
        # Negotiation converts worst (2/4) but only 4 reached it; among ≥ 5 reached, Proposal (4/6) is lowest.
        assert ev.report.kpis["bottleneck"] == "Proposal"

    def test_bottleneck_threshold_from_settings(self):
        report = run(*BOOK, history_rows=HISTORY, settings=Settings(bottleneck_min_reached=4)).report
        assert report.kpis["bottleneck"] == "Negotiation"

    def test_no_bottleneck_in_a_small_book(self):
        assert run({}, {"Stage": "Closed Won"}).report.kpis["bottleneck"] is None

    def test_no_closed_deals_means_no_rates(self):
        k = run({"Deal Value": "100"}).report.kpis
        assert (k["win_rate"], k["avg_won"], k["avg_cycle"], k["velocity_day"], k["velocity_30"]) == (None,) * 5
        assert k["pipeline"] == 100

    def test_only_lost_deals(self):
        k = run({"Stage": "Closed Lost"}, {}).report.kpis
        assert k["win_rate"] == 0
        assert k["velocity_day"] is None  # no won deal: no average size

    def test_grade_and_status_counts(self, ev):
        # Blank BANT: everyone is C. Follow-ups: L3 overdue; L5/L6 after-sales (C 180) long overdue;
        # the others are due in 29 days (Later); Closed Lost none.
        assert ev.report.grades == {"A": 0, "B": 0, "C": 11, "D": 0}
        assert ev.report.statuses == {"Overdue": 3, "Due today": 0, "This week": 0, "Later": 6}


class TestGroups:
    def test_per_owner(self, ev):
        owners = ev.report.owners.set_index("owner")
        assert list(owners.index) == ["Bob", "Ann"]  # by pipeline, largest first
        ann, bob = owners.loc["Ann"], owners.loc["Bob"]
        # Ann: L1 L2 L5 L7 L9
        assert (ann["leads"], ann["open"], ann["won"], ann["lost"]) == (5, 3, 1, 1)
        assert ann["pipeline"] == approx(3500)
        assert ann["weighted"] == approx(1000 * .05 + 2000 * .10 + 500 * .05)
        assert ann["win_rate"] == approx(0.5) and ann["avg_won"] == approx(5000)
        assert [ann[f"reached:{s}"] for s in STAGES[:7]] == [5, 4, 3, 3, 2, 1, 1]  # L1 1, L2 2, L5 7, L7 4, L9 5
        assert ann["conversion"] == approx(1 / 5)
        assert (ann["stale"], ann["overdue"]) == (1, 1)  # L9 stuck; L5 after-sales overdue
        # Bob: L3 L4 L6 L8 L10 L11
        assert (bob["leads"], bob["open"], bob["won"], bob["lost"]) == (6, 4, 1, 1)
        assert bob["pipeline"] == approx(34000)
        assert bob["avg_won"] == approx(15000)
        assert [bob[f"reached:{s}"] for s in STAGES[:7]] == [6, 5, 4, 4, 4, 3, 1]  # L3 5, L4 6, L6 7, L8 1, L10 2, L11 6
        assert bob["conversion"] == approx(1 / 6)
        assert (bob["stale"], bob["overdue"]) == (1, 2)  # L3; L3 and L6 (after-sales)

    def test_per_source(self, ev):
        sources = ev.report.sources.set_index("source")
        assert set(sources.index) == {"Web", "Referral", "(blank)"}
        web, ref, blank = sources.loc["Web"], sources.loc["Referral"], sources.loc["(blank)"]
        # Web: L1 L2 L5 L7; Referral: L3 L4 L6 L8 L9 L10; blank: L11
        assert (web["leads"], web["open"], web["pipeline"], web["won"], web["lost"]) == (4, 2, 3000, 1, 1)
        assert (ref["leads"], ref["open"], ref["pipeline"], ref["won"], ref["lost"]) == (6, 4, 30500, 1, 1)
        assert (blank["leads"], blank["pipeline"]) == (1, 4000)
        assert math.isnan(blank["win_rate"])  # no closed deals
        assert [ref[f"reached:{s}"] for s in STAGES[:7]] == [6, 5, 4, 4, 4, 2, 1]

    def test_group_totals_match_the_book(self, ev):
        for table in (ev.report.owners, ev.report.sources):
            assert table["leads"].sum() == 11
            assert table["pipeline"].sum() == approx(ev.report.kpis["pipeline"])
            assert table["reached:Prospecting"].sum() == 11


def history_grid(ev, header=("Lead ID", "From", "To", "Date")) -> list[list]:
    """The History rows a run appended, as the grid the next run reads back."""
    rows = [list(header)]
    for a in ev.appends:
        assert a.name == "History"
        rows += [[v.date() if isinstance(v, pd.Timestamp) else v for v in r] for r in a.frame.itertuples(index=False)]
    return rows


class TestHistory:
    def test_first_run_records_every_lead_with_a_blank_from(self):
        ev = run({"Stage": "Prospecting"}, {"Stage": "Proposal"}, {"Stage": "Closed Won"})
        assert history_grid(ev)[1:] == [["L-001", "", "Prospecting", day_date(0)],
                                        ["L-002", "", "Proposal", day_date(0)],
                                        ["L-003", "", "Closed Won", day_date(0)]]

    def test_second_run_records_nothing(self):
        rows = ({"Stage": "Prospecting"}, {"Stage": "Proposal"})
        first = run(*rows)
        again = run(*rows, history_rows=history_grid(first))
        assert again.appends == []

    def test_a_stage_change_records_one_row(self):
        first = run({"Stage": "Prospecting"}, {"Stage": "Proposal"})
        later = run({"Stage": "Qualification"}, {"Stage": "Proposal"}, history_rows=history_grid(first),
                    today=TODAY_PLUS(7))
        assert history_grid(later)[1:] == [["L-001", "Prospecting", "Qualification", day_date(7)]]

    def test_a_new_lead_is_recorded_once(self):
        first = run({"Stage": "Prospecting"})
        later = run({"Stage": "Prospecting"}, {"Stage": "Negotiation"}, history_rows=history_grid(first))
        assert history_grid(later)[1:] == [["L-002", "", "Negotiation", day_date(0)]]

    def test_the_same_stage_in_chinese_is_no_change(self):
        first = run({"Stage": "Proposal"})
        again = run({"Stage": "提案/报价"}, history_rows=history_grid(first))
        assert again.appends == []

    def test_rows_with_a_bad_stage_or_no_id_are_not_recorded(self):
        ev = run({"Stage": "Dreaming"}, {"Lead ID": None, "Stage": "Proposal"}, {"Stage": "Proposal"})
        assert [r[0] for r in history_grid(ev)[1:]] == ["L-003"]

    def test_only_the_funnel_command_writes_history(self):
        assert run({}, only="grade").appends == []
        assert len(run({}, only="funnel").appends) == 1

    def test_moved_leads_then_feed_days_in_stage(self):
        first = run({"Stage": "Prospecting", "Created": day(-100), "Last Contact": day(0)})
        moved = run({"Stage": "Qualification", "Created": day(-100), "Last Contact": day(0)},
                    history_rows=history_grid(first), today=TODAY_PLUS(-20))
        # Seen moving into Qualification 20 days before TODAY: stuck (20 > 14) as of TODAY.
        grid = history_grid(first) + history_grid(moved)[1:]
        assert out(run({"Stage": "Qualification", "Created": day(-100), "Last Contact": day(0)},
                       history_rows=grid))["stale_reason"] == "stuck in Qualification for 20 days (limit 14)"


def day_date(offset: int):
    return pd.Timestamp(day(offset)).date()


def TODAY_PLUS(offset: int):
    return pd.Timestamp(day(offset)).date()


def test_leads_helper_fills_ids():
    assert list(leads({}, {})["Lead ID"]) == ["L-001", "L-002"]
