"""docs/spec.md §2 Stale: the five rules with their boundaries, the reasons, the exemptions."""

from __future__ import annotations

import pytest

from salesbook.rules.settings import DEFAULT_STAGES, Settings

from .conftest import day, one, out, run

# Contacted and in stage since today: no rule holds.
FRESH = {"Last Contact": day(0), "Stage Since": day(0)}


def stale(settings: Settings | None = None, **cells) -> tuple[str | None, str | None]:
    o = one({**FRESH, **cells}, settings=settings)
    return o["stale"], o["stale_reason"]


def flags(ev) -> list[str | None]:
    return [out(ev, i)["stale_reason"] for i in range(len(ev.outputs))]


def test_a_fresh_lead_is_not_flagged():
    assert stale() == (None, None)


class TestUnanswered:
    @pytest.mark.parametrize("n, reason", [
        ("0", None), ("2", None), ("", None),
        ("3", "3 consecutive contacts without response"),
        ("7", "7 consecutive contacts without response"),
    ])
    def test_boundary(self, n, reason):
        assert stale(Unanswered=n) == (("Yes" if reason else None), reason)

    def test_limit_from_settings(self):
        assert stale(Settings(unanswered_limit=5), Unanswered="4") == (None, None)
        assert stale(Settings(unanswered_limit=5), Unanswered="5")[0] == "Yes"


class TestMismatch:
    def test_need_mismatch(self):
        assert stale(Need="Mismatch") == ("Yes", "need does not match our offer")

    def test_chinese_mismatch(self):
        assert stale(Need="不匹配")[1] == "need does not match our offer"

    @pytest.mark.parametrize("need", ["Clear", "Identified", "Vague", ""])
    def test_other_needs(self, need):
        assert stale(Need=need) == (None, None)


class TestNoContact:
    @pytest.mark.parametrize("days, flagged", [(0, False), (60, False), (61, True), (200, True)])
    def test_last_contact_boundary(self, days, flagged):
        s, reason = stale(Created=day(-300), **{"Last Contact": day(-days)})
        assert (s == "Yes") is flagged
        assert reason == (f"no contact for {days} days" if flagged else None)

    @pytest.mark.parametrize("days, flagged", [(60, False), (61, True)])
    def test_created_when_never_contacted(self, days, flagged):
        s, reason = stale(Created=day(-days), **{"Last Contact": None})
        assert reason == (f"no contact for {days} days" if flagged else None)

    def test_last_contact_wins_over_created(self):
        assert stale(Created=day(-300), **{"Last Contact": day(-5)}) == (None, None)

    def test_days_from_settings(self):
        assert stale(Settings(no_contact_days=30), **{"Created": day(-31), "Last Contact": day(-31)})[1] == \
            "no contact for 31 days"


class TestStuck:
    @pytest.mark.parametrize("stage", [s for s in DEFAULT_STAGES if s.limit_days])
    def test_each_stage_limit_from_stage_since(self, stage):
        limit = stage.limit_days
        assert stale(Stage=stage.name, Created=day(-100), **{"Stage Since": day(-limit)}) == (None, None)
        assert stale(Stage=stage.name, Created=day(-100), **{"Stage Since": day(-limit - 1)}) == \
            ("Yes", f"stuck in {stage.name} for {limit + 1} days (limit {limit})")

    def test_from_created_without_stage_since_or_history(self):
        assert stale(Created=day(-14), **{"Stage Since": None}) == (None, None)
        assert stale(Created=day(-15), **{"Stage Since": None})[1] == "stuck in Prospecting for 15 days (limit 14)"

    @staticmethod
    def _with_history(moved_days_ago: int, stage_since=None):
        history = [["Lead ID", "From", "To", "Date"],
                   ["L-001", "", "Prospecting", day(-100)],
                   ["L-001", "Prospecting", "Qualification", day(-moved_days_ago)]]
        row = {"Stage": "Qualification", "Created": day(-100), "Last Contact": day(0), "Stage Since": stage_since}
        return out(run(row, history_rows=history))

    def test_from_history_when_no_stage_since(self):
        assert self._with_history(14)["stale"] is None
        assert self._with_history(15)["stale_reason"] == "stuck in Qualification for 15 days (limit 14)"

    def test_stage_since_wins_over_history(self):
        assert self._with_history(40, stage_since=day(-3))["stale"] is None

    def test_history_wins_over_created(self):
        # Created 100 days ago would be stuck; History says it moved in 3 days ago.
        assert self._with_history(3)["stale"] is None

    def test_the_latest_move_into_the_stage_counts(self):
        history = [["Lead ID", "From", "To", "Date"],
                   ["L-001", "Prospecting", "Qualification", day(-90)],
                   ["L-001", "Qualification", "Prospecting", day(-60)],
                   ["L-001", "Prospecting", "Qualification", day(-5)]]
        row = {"Stage": "Qualification", "Created": day(-100), "Last Contact": day(0)}
        assert out(run(row, history_rows=history))["stale"] is None

    def test_a_first_sighting_is_not_a_move(self):
        # History saw it in Qualification 5 days ago for the first time: when it got there
        # is unknown, so Created counts (100 days > 14).
        history = [["Lead ID", "From", "To", "Date"], ["L-001", "", "Qualification", day(-5)]]
        row = {"Stage": "Qualification", "Created": day(-100), "Last Contact": day(0)}
        assert out(run(row, history_rows=history))["stale_reason"] == "stuck in Qualification for 100 days (limit 14)"

    def test_history_of_another_stage_does_not_count(self):
        history = [["Lead ID", "From", "To", "Date"], ["L-001", "Prospecting", "Proposal", day(-5)]]
        row = {"Stage": "Qualification", "Created": day(-100), "Last Contact": day(0)}
        assert out(run(row, history_rows=history))["stale"] == "Yes"


class TestDuplicates:
    def test_same_email_ignoring_case_and_spaces(self):
        ev = run({**FRESH, "Email": "Wang.Wei@Acme.com "}, {**FRESH, "Email": " wang.wei@acme.COM"})
        assert flags(ev) == [None, "duplicate of L-001"]

    def test_email_in_the_combined_column(self):
        ev = run({**FRESH, "Email / Phone": "wei@acme.com"}, {**FRESH, "Email / Phone": "WEI@acme.com"})
        assert flags(ev) == [None, "duplicate of L-001"]

    def test_same_phone_digits(self):
        ev = run({**FRESH, "Phone": "+86 138-0013-8000"}, {**FRESH, "Phone": "13800138000"},
                 {**FRESH, "Phone": "(138) 0013 8000"})
        assert flags(ev) == [None, "duplicate of L-001", "duplicate of L-001"]

    def test_phone_in_the_combined_column(self):
        ev = run({**FRESH, "Email / Phone": "138 0013 8000"}, {**FRESH, "Email / Phone": "+86-13800138000"})
        assert flags(ev) == [None, "duplicate of L-001"]

    def test_same_company_and_contact(self):
        ev = run({**FRESH, "Company": "Acme Ltd", "Contact": "Wang Wei"},
                 {**FRESH, "Company": "ACME  LTD", "Contact": "wang wei"})
        assert flags(ev) == [None, "duplicate of L-001"]

    def test_same_company_other_contact_is_not_a_duplicate(self):
        ev = run({**FRESH, "Company": "Acme", "Contact": "Wang Wei"}, {**FRESH, "Company": "Acme", "Contact": "Li Na"},
                 {**FRESH, "Company": "Acme"}, {**FRESH, "Company": "Acme"})
        assert flags(ev) == [None, None, None, None]

    def test_different_emails_and_phones(self):
        ev = run({**FRESH, "Email": "a@x.com", "Phone": "13800138000"}, {**FRESH, "Email": "b@x.com", "Phone": "13900139000"})
        assert flags(ev) == [None, None]

    def test_names_the_earliest_row(self):
        ev = run({**FRESH, "Lead ID": "L-0012", "Email": "x@y.com"}, {**FRESH, "Lead ID": "L-0040", "Email": "x@y.com"},
                 {**FRESH, "Lead ID": "L-0041", "Email": "X@Y.com"})
        assert flags(ev) == [None, "duplicate of L-0012", "duplicate of L-0012"]

    def test_earlier_closed_row_still_makes_a_duplicate(self):
        ev = run({**FRESH, "Stage": "Closed Won", "Email": "x@y.com"}, {**FRESH, "Email": "x@y.com"})
        assert flags(ev) == [None, "duplicate of L-001"]

    def test_duplicate_check_can_be_switched_off(self):
        ev = run({**FRESH, "Email": "x@y.com"}, {**FRESH, "Email": "x@y.com"}, settings=Settings(duplicate_check=False))
        assert flags(ev) == [None, None]


class TestReasons:
    def test_every_reason_that_holds_is_listed(self):
        ev = run({**FRESH, "Email": "x@y.com"},
                 {"Email": "x@y.com", "Unanswered": "4", "Need": "Mismatch", "Created": day(-90),
                  "Last Contact": day(-70), "Stage": "Proposal", "Stage Since": day(-45)})
        o = out(ev, 1)
        assert o["stale"] == "Yes"
        assert o["stale_reason"] == ("4 consecutive contacts without response; need does not match our offer; "
                                     "no contact for 70 days; stuck in Proposal for 45 days (limit 30); duplicate of L-001")

    def test_two_reasons(self):
        assert stale(Unanswered="3", Need="Mismatch")[1] == \
            "3 consecutive contacts without response; need does not match our offer"

    def test_chinese_reasons(self):
        ev = run({"线索编号": "L-1", "公司": "甲", "负责人": "王", "阶段": "潜在开发", "创建日期": day(-20),
                  "最近联系": day(0), "连续未回应": "3"}, base=False)
        assert out(ev)["stale"] == "是"
        assert out(ev)["stale_reason"] == "连续3次联系未回应；停留在潜在开发20天(上限14天)"


ALL_BAD = {"Unanswered": "5", "Need": "Mismatch", "Created": day(-200), "Last Contact": day(-100),
           "Stage Since": day(-100), "Email": "x@y.com"}


class TestExemptions:
    @pytest.mark.parametrize("stage", ["Closed Won", "Closed Lost", "成交", "丢单"])
    def test_closed_leads_are_never_flagged(self, stage):
        ev = run({**FRESH, "Email": "x@y.com"}, {**ALL_BAD, "Stage": stage})
        assert flags(ev) == [None, None]

    def test_snoozed_until_today_is_not_flagged(self):
        ev = run({**FRESH, "Email": "x@y.com"}, {**ALL_BAD, "Snooze Until": day(0)})
        assert flags(ev) == [None, None]

    def test_snoozed_until_later_is_not_flagged(self):
        assert stale(**ALL_BAD, **{"Snooze Until": day(30)}) == (None, None)

    def test_snooze_that_ended_yesterday_no_longer_protects(self):
        assert stale(**ALL_BAD, **{"Snooze Until": day(-1)})[0] == "Yes"

    @pytest.mark.parametrize("scheduled", [day(0), day(10)])
    def test_scheduled_suspends_no_contact_and_stuck_only(self, scheduled):
        ev = run({**FRESH, "Email": "x@y.com"}, {**ALL_BAD, "Scheduled": scheduled})
        assert out(ev, 1)["stale_reason"] == ("5 consecutive contacts without response; need does not match our offer; "
                                              "duplicate of L-001")

    def test_scheduled_lead_with_unanswered_is_still_flagged(self):
        assert stale(Unanswered="3", Scheduled=day(5)) == ("Yes", "3 consecutive contacts without response")

    def test_scheduled_alone_clears_a_lead_that_was_only_old(self):
        assert stale(**{"Created": day(-200), "Last Contact": day(-100), "Stage Since": day(-100), "Scheduled": day(3)}) \
            == (None, None)

    def test_scheduled_in_the_past_suspends_nothing(self):
        assert stale(**{"Created": day(-200), "Last Contact": day(-100), "Stage Since": day(-100),
                        "Scheduled": day(-1)})[1] == "no contact for 100 days; stuck in Prospecting for 100 days (limit 14)"


class TestBadCells:
    def test_bad_unanswered_says_check_on_that_row_only(self):
        ev = run({**FRESH, "Unanswered": "3"}, {**FRESH, "Unanswered": "many"}, {**FRESH, "Unanswered": "3"})
        assert out(ev, 1)["stale"] is None
        assert out(ev, 1)["stale_reason"].startswith("Check: ") and "many" in out(ev, 1)["stale_reason"]
        assert out(ev, 0)["stale"] == out(ev, 2)["stale"] == "Yes"

    def test_bad_snooze_date_is_not_guessed(self):
        o = one({**ALL_BAD, "Snooze Until": "someday"})
        assert o["stale"] is None and o["stale_reason"].startswith("Check: ")

    def test_stale_rows_index(self):
        ev = run(FRESH, {**FRESH, "Unanswered": "3"})
        assert list(ev.stale_rows) == [ev.outputs.index[1]]


class TestCloseDatePassed:
    """Rule 6: an open lead whose expected close date (Close Date, else a Timeline date) is
    before today. day(-18) is 2026-10-31."""

    @pytest.mark.parametrize("days, flagged", [(-18, True), (-1, True), (0, False), (1, False), (40, False)])
    def test_close_date_boundary(self, days, flagged):
        s, reason = stale(**{"Close Date": day(days)})
        assert (s, reason) == (("Yes", f"close date passed on {day(days)}") if flagged else (None, None))

    def test_the_reason_names_the_date(self):
        assert stale(**{"Close Date": day(-18)}) == ("Yes", "close date passed on 2026-10-31")

    @pytest.mark.parametrize("days, flagged", [(-18, True), (-1, True), (0, False), (30, False)])
    def test_timeline_date_when_no_close_date(self, days, flagged):
        assert stale(Timeline=day(days))[1] == (f"close date passed on {day(days)}" if flagged else None)

    def test_close_date_wins_over_the_timeline(self):
        assert stale(Timeline=day(-30), **{"Close Date": day(10)}) == (None, None)
        assert stale(Timeline=day(10), **{"Close Date": day(-2)})[1] == f"close date passed on {day(-2)}"

    @pytest.mark.parametrize("bucket", ["≤3 months", "3-6 months", ">12 months", "Unknown", ""])
    def test_a_timeline_period_is_no_date(self, bucket):
        assert stale(Timeline=bucket) == (None, None)

    def test_can_be_switched_off(self):
        off = Settings(close_date_check=False)
        assert stale(off, **{"Close Date": day(-18)}) == (None, None)
        assert stale(off, Timeline=day(-18)) == (None, None)

    @pytest.mark.parametrize("snooze", [day(0), day(30)])
    def test_snooze_exempts_it(self, snooze):
        assert stale(**{"Close Date": day(-18), "Snooze Until": snooze}) == (None, None)

    def test_a_snooze_that_ended_no_longer_exempts_it(self):
        assert stale(**{"Close Date": day(-18), "Snooze Until": day(-1)})[1] == "close date passed on 2026-10-31"

    @pytest.mark.parametrize("stage", ["Closed Won", "Closed Lost", "成交", "丢单"])
    def test_closed_leads_are_never_flagged(self, stage):
        assert stale(Stage=stage, Timeline=day(-50), **{"Close Date": day(-18)}) == (None, None)

    def test_scheduled_does_not_suspend_it(self):
        assert stale(Scheduled=day(3), **{"Close Date": day(-18)}) == ("Yes", "close date passed on 2026-10-31")

    def test_listed_last_with_the_other_reasons(self):
        assert stale(Unanswered="3", **{"Close Date": day(-18)})[1] == \
            "3 consecutive contacts without response; close date passed on 2026-10-31"

    def test_chinese_reason(self):
        ev = run({"线索编号": "L-1", "公司": "甲", "负责人": "王", "阶段": "潜在开发", "创建日期": day(0),
                  "最近联系": day(0), "进入阶段日期": day(0), "时间": day(-18)}, base=False)
        assert (out(ev)["stale"], out(ev)["stale_reason"]) == ("是", "成交日期2026-10-31已过")

    def test_each_row_its_own_date(self):
        ev = run({**FRESH, "Close Date": day(-18)}, {**FRESH, "Timeline": day(-3)}, {**FRESH, "Close Date": day(-18)},
                 FRESH)
        assert flags(ev) == ["close date passed on 2026-10-31", f"close date passed on {day(-3)}",
                             "close date passed on 2026-10-31", None]

    def test_unreadable_close_date_of_an_open_lead_says_check(self):
        s, reason = stale(Timeline=day(30), **{"Close Date": "end of year"})
        assert s is None and reason.startswith("Check: ") and "end of year" in reason

    def test_unreadable_timeline_says_check_only_without_a_close_date(self):
        s, reason = stale(Timeline="whenever")
        assert s is None and reason.startswith("Check: ") and "whenever" in reason
        assert stale(Timeline="whenever", **{"Close Date": day(-18)}) == ("Yes", "close date passed on 2026-10-31")
        assert stale(Timeline="whenever", **{"Close Date": day(5)}) == (None, None)

    def test_unreadable_dates_do_not_matter_when_switched_off_or_closed(self):
        assert stale(Settings(close_date_check=False), Timeline="whenever") == (None, None)
        assert stale(Stage="Closed Won", **{"Close Date": "end of year"}) == (None, None)


class TestCloseDateSetting:
    """The rule is named in the General block, with the other stale rules: Yes / No."""

    @staticmethod
    def general(value) -> list[list[object]]:
        return [["General 常规"], ["Setting 设置", "Value 值"], ["Close date passed 成交日期已过", value], []]

    @pytest.mark.parametrize("value, on", [("No", False), ("no", False), ("否", False), ("Yes", True), ("是", True),
                                           (None, True), ("", True)])
    def test_yes_or_no(self, value, on):
        from salesbook.rules.settings_sheet import settings_from_grid

        assert settings_from_grid(self.general(value)).close_date_check is on

    def test_chinese_label_alone(self):
        from salesbook.rules.settings_sheet import settings_from_grid

        assert settings_from_grid([["常规"], ["设置", "值"], ["成交日期已过", "否"]]).close_date_check is False

    def test_a_bad_value_names_the_cell(self):
        from salesbook.rules.settings_sheet import SettingsError, settings_from_grid

        with pytest.raises(SettingsError) as e:
            settings_from_grid(self.general("sometimes"))
        assert str(e.value).startswith("Settings sheet 'Settings', cell B3: 'sometimes' is not Yes or No.")

    def test_switched_off_in_the_sheet_switches_the_rule_off(self):
        from salesbook.rules.settings_sheet import settings_from_grid

        off = settings_from_grid(self.general("No"))
        assert stale(off, **{"Close Date": day(-18)}) == (None, None)

    def test_the_shipped_layout_round_trips(self):
        from salesbook.rules.settings_sheet import settings_from_grid, settings_rows

        rows: list[list[object]] = []
        for title, table, _ in settings_rows(Settings(close_date_check=False)):
            rows += [[title], *[list(r) for r in table], []]
        assert settings_from_grid(rows) == Settings(close_date_check=False)
        assert any(r and r[0] == "Close date passed 成交日期已过" and r[1] == "No" for r in rows)
