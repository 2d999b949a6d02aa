"""docs/spec.md §2 Follow-up: cadence by grade, base date, working-day roll, Scheduled, status.

TODAY is Wednesday 2026-11-18. Calendar used below:
    Mon 16 · Tue 17 · Wed 18 · Thu 19 · Fri 20 · Sat 21 · Sun 22 · Mon 23 · … · Thu 26 · Fri 27 · Sat 28 · Mon 30 (Nov 2026)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from salesbook.rules.settings import Settings

from .conftest import day, one, out, run

A = {"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Clear", "Timeline": "≤3 months"}
B = {"Need": "Clear"}
C = {}
D = {"Need": "Mismatch"}
GRADES = {"A": A, "B": B, "C": C, "D": D}


def fu(settings: Settings | None = None, **cells) -> tuple[pd.Timestamp | None, str | None]:
    o = one(cells, settings=settings)
    return o["next_followup"], o["followup_status"]


def T(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


class TestCadence:
    @pytest.mark.parametrize("grade, due", [
        ("A", "2026-11-19"),  # Mon 16 + 3
        ("B", "2026-11-23"),  # Mon 16 + 7
        ("C", "2026-12-16"),  # Mon 16 + 30
    ])
    def test_open_lead_interval_by_grade(self, grade, due):
        o = one({**GRADES[grade], "Last Contact": "2026-11-16"})
        assert o["grade"] == grade
        assert o["next_followup"] == T(due)

    def test_d_gets_no_follow_up(self):
        o = one({**D, "Last Contact": "2026-11-16"})
        assert o["grade"] == "D"
        assert o["next_followup"] is None and o["followup_status"] is None

    def test_base_is_last_contact(self):
        assert fu(**C, Created="2026-11-02", **{"Last Contact": "2026-11-16"})[0] == T("2026-12-16")

    def test_base_is_created_without_last_contact(self):
        assert fu(**C, Created="2026-11-02")[0] == T("2026-12-02")  # Mon 2 + 30 = Wed Dec 2

    def test_the_grade_of_this_run_drives_the_cadence(self):
        # The sheet still says C from last time; the lead is A now.
        assert fu(**A, Grade="C", **{"Last Contact": "2026-11-16"})[0] == T("2026-11-19")

    def test_custom_cadence(self):
        s = Settings(cadence_open={"A": 2, "B": 14, "C": None, "D": 60})
        assert fu(s, **A, **{"Last Contact": "2026-11-16"})[0] == T("2026-11-18")
        assert fu(s, **B, **{"Last Contact": "2026-11-16"})[0] == T("2026-11-30")
        assert fu(s, **C, **{"Last Contact": "2026-11-16"}) == (None, None)
        assert fu(s, **D, **{"Last Contact": "2026-11-16"})[0] == T("2027-01-15")  # Fri


class TestWorkingDays:
    def test_saturday_moves_to_monday(self):
        assert fu(**A, **{"Last Contact": "2026-11-18"})[0] == T("2026-11-23")  # Wed + 3 = Sat → Mon

    def test_sunday_moves_to_monday(self):
        assert fu(**A, **{"Last Contact": "2026-11-19"})[0] == T("2026-11-23")  # Thu + 3 = Sun → Mon

    def test_friday_plus_a_week_stays_friday(self):
        assert fu(**B, **{"Last Contact": "2026-11-13"})[0] == T("2026-11-20")

    def test_holiday_moves_to_the_next_day(self):
        s = Settings(holidays=(dt.date(2026, 11, 23),))
        assert fu(s, **B, **{"Last Contact": "2026-11-16"})[0] == T("2026-11-24")  # Mon 23 is a holiday → Tue

    def test_weekend_then_holiday(self):
        s = Settings(holidays=(dt.date(2026, 11, 23),))
        assert fu(s, **A, **{"Last Contact": "2026-11-18"})[0] == T("2026-11-24")  # Sat → Sun → Mon (holiday) → Tue

    def test_holiday_then_weekend(self):
        s = Settings(holidays=(dt.date(2026, 11, 27),))
        assert fu(s, **B, **{"Last Contact": "2026-11-20"})[0] == T("2026-11-30")  # Fri 27 holiday → Sat → Sun → Mon

    def test_run_of_holidays_then_weekend(self):
        s = Settings(holidays=(dt.date(2026, 11, 26), dt.date(2026, 11, 27)))
        assert fu(s, **C, **{"Last Contact": "2026-10-27"})[0] == T("2026-11-30")  # Thu 26 + Fri 27 off → Mon 30

    def test_holiday_not_on_the_due_date_changes_nothing(self):
        s = Settings(holidays=(dt.date(2026, 11, 20),))
        assert fu(s, **A, **{"Last Contact": "2026-11-16"})[0] == T("2026-11-19")


class TestScheduled:
    def test_scheduled_today_replaces_the_cadence_date(self):
        assert fu(**C, **{"Last Contact": "2026-11-16", "Scheduled": day(0)}) == (T("2026-11-18"), "Due today")

    def test_scheduled_later_replaces_it_even_when_later_than_cadence(self):
        assert fu(**A, **{"Last Contact": "2026-11-16", "Scheduled": "2026-12-10"}) == (T("2026-12-10"), "Later")

    def test_scheduled_earlier_than_cadence_replaces_it(self):
        assert fu(**C, **{"Last Contact": "2026-11-16", "Scheduled": "2026-11-19"}) == (T("2026-11-19"), "This week")

    def test_scheduled_on_a_weekend_is_kept_as_booked(self):
        # The rep booked Saturday: that is the date (no roll-forward).
        assert fu(**C, **{"Scheduled": "2026-11-21"})[0] == T("2026-11-21")

    def test_scheduled_in_the_past_is_ignored(self):
        assert fu(**A, **{"Last Contact": "2026-11-16", "Scheduled": day(-1)})[0] == T("2026-11-19")

    @pytest.mark.parametrize("scheduled", [day(0), "2026-11-20", "2026-12-10"])
    def test_grade_d_gets_no_follow_up_even_when_scheduled(self, scheduled):
        # The user guide: blank for grade D and Closed Lost, a booked date or not.
        assert fu(**D, **{"Last Contact": "2026-11-16", "Scheduled": scheduled}) == (None, None)

    @pytest.mark.parametrize("grade", "ABCD")
    def test_closed_lost_gets_no_follow_up_even_when_scheduled(self, grade):
        cells = {**GRADES[grade], "Stage": "Closed Lost", "Lost At Stage": "Proposal", "Last Contact": "2026-11-16"}
        assert fu(**cells, Scheduled="2026-11-20") == (None, None)

    def test_closed_won_d_gets_no_follow_up_even_when_scheduled(self):
        assert fu(**D, Stage="Closed Won", **{"Last Contact": "2026-11-02", "Scheduled": "2026-11-20"}) == (None, None)

    def test_scheduled_follows_the_cadence_table_not_the_letter(self):
        # "No follow-up" is a cadence of None on Settings: D with a cadence takes its booked
        # date; C without one does not.
        s = Settings(cadence_open={"A": 3, "B": 7, "C": None, "D": 60})
        assert fu(s, **D, **{"Last Contact": "2026-11-16", "Scheduled": "2026-11-20"}) == (T("2026-11-20"), "This week")
        assert fu(s, **C, **{"Last Contact": "2026-11-16", "Scheduled": "2026-11-20"}) == (None, None)

    def test_only_the_unfollowed_rows_lose_their_booked_date(self):
        ev = run({**D, "Scheduled": "2026-11-20"}, {**B, "Scheduled": "2026-11-20"},
                 {**A, "Stage": "Closed Lost", "Scheduled": "2026-11-20"}, {**C, "Scheduled": "2026-12-20"})
        assert [(out(ev, i)["next_followup"], out(ev, i)["followup_status"]) for i in range(4)] == [
            (None, None), (T("2026-11-20"), "This week"), (None, None), (T("2026-12-20"), "Later")]


class TestClosed:
    @pytest.mark.parametrize("grade, due", [
        ("A", "2026-12-02"),  # Mon Nov 2 + 30 = Wed Dec 2
        ("B", "2027-02-01"),  # + 90 = Sun Jan 31 → Mon Feb 1
        ("C", "2027-05-03"),  # + 180 = Sat May 1 → Mon May 3
    ])
    def test_closed_won_after_sales_cadence(self, grade, due):
        o = one({**GRADES[grade], "Stage": "Closed Won", "Last Contact": "2026-11-02", "Close Date": "2026-11-02"})
        assert (o["grade"], o["next_followup"]) == (grade, T(due))

    def test_closed_won_d_has_none(self):
        assert fu(**D, Stage="Closed Won", **{"Last Contact": "2026-11-02"}) == (None, None)

    @pytest.mark.parametrize("grade", "ABCD")
    def test_closed_lost_has_none(self, grade):
        assert fu(**GRADES[grade], Stage="Closed Lost", **{"Last Contact": "2026-11-16"}) == (None, None)

    def test_chinese_stage_names(self):
        assert fu(**A, Stage="成交", **{"Last Contact": "2026-11-02"})[0] == T("2026-12-02")
        assert fu(**A, Stage="丢单", **{"Last Contact": "2026-11-02"}) == (None, None)


class TestStatus:
    @pytest.mark.parametrize("cells, due, status", [
        ({**C, "Last Contact": "2026-09-01"}, "2026-10-01", "Overdue"),
        ({**A, "Last Contact": "2026-11-12"}, "2026-11-16", "Overdue"),      # Thu + 3 = Sun → Mon 16
        ({**A, "Last Contact": "2026-11-15"}, "2026-11-18", "Due today"),
        ({**C, "Last Contact": "2026-10-20"}, "2026-11-19", "This week"),    # 1 day
        ({**C, "Last Contact": "2026-10-26"}, "2026-11-25", "This week"),    # 7 days: still this week
        ({**C, "Last Contact": "2026-10-27"}, "2026-11-26", "Later"),        # 8 days: later
        ({**C, "Last Contact": "2026-11-16"}, "2026-12-16", "Later"),
        ({**D}, None, None),
    ])
    def test_every_status(self, cells, due, status):
        assert fu(**cells) == ((T(due) if due else None), status)

    def test_status_with_scheduled_boundaries(self):
        assert fu(**{"Scheduled": day(7)})[1] == "This week"
        assert fu(**{"Scheduled": day(8)})[1] == "Later"

    def test_chinese_statuses(self):
        ev = run({"线索编号": "L-1", "公司": "甲", "负责人": "王", "阶段": "潜在开发", "创建日期": "2026-09-01",
                  "最近联系": "2026-09-01"}, base=False)
        assert out(ev)["followup_status"] == "已逾期"

    def test_later_is_called_later_not_scheduled(self):
        # Due in more than 7 days: "Later" · 稍后, a word that is not the Scheduled input column's.
        assert fu(**C, **{"Last Contact": "2026-11-16"})[1] == "Later"
        ev = run({"线索编号": "L-1", "公司": "甲", "负责人": "王", "阶段": "潜在开发", "创建日期": "2026-11-16"}, base=False)
        assert out(ev)["followup_status"] == "稍后"


class TestBadCells:
    @pytest.mark.parametrize("cell, value", [
        ("Last Contact", "last week"), ("Created", "soon"), ("Scheduled", "2026-13-45"), ("Stage", "Dreaming"),
    ])
    def test_bad_date_or_stage_says_check_on_that_row_only(self, cell, value):
        ev = run({**A, "Last Contact": "2026-11-16"}, {**A, cell: value}, {**A, "Last Contact": "2026-11-16"})
        bad = out(ev, 1)
        assert bad["next_followup"] is None
        assert bad["followup_status"].startswith("Check: ") and value in bad["followup_status"]
        assert out(ev, 0)["next_followup"] == out(ev, 2)["next_followup"] == T("2026-11-19")

    def test_missing_created_without_last_contact(self):
        o = one({**A, "Created": None})
        assert o["next_followup"] is None and o["followup_status"].startswith("Check: ")
