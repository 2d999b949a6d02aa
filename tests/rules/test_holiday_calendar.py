"""Working days where the team works (docs/spec.md §2 Follow-up): the Holiday calendar setting
adds a country's public holidays and, for China, its make-up working days (调休)."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import holidays
import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from salesbook.rules.workdays import roll_forward
from salesbook.rules.settings import Settings
from salesbook.rules.settings_sheet import SettingsError, settings_from_grid

from .conftest import out, run
from .test_settings import grid, set_cell

D = dt.date
CN = Settings(holiday_calendar="CN")


def due_after_contact(last: dt.date, settings: Settings, today: dt.date) -> dt.date:
    """Next Follow-up of a grade B lead (7 days) last contacted on ``last``."""
    ev = run({"Created": "2025-12-01", "Last Contact": last.isoformat(), "Need": "Clear"}, settings=settings,
             today=today, only="followup")
    assert ev.problems.empty
    return out(ev)["next_followup"].date()


def roll(days, settings):
    return [d.astype(object) for d in roll_forward(np.array(days, dtype="datetime64[D]"), settings)]


def test_a_make_up_saturday_can_be_a_due_date_and_the_spring_festival_week_cannot():
    # 2026-02-14 is a Saturday worked in exchange for the Spring Festival holiday (15–23 February).
    assert due_after_contact(D(2026, 2, 7), CN, D(2026, 2, 9)) == D(2026, 2, 14)
    assert due_after_contact(D(2026, 2, 7), Settings(), D(2026, 2, 9)) == D(2026, 2, 16)  # no calendar: Monday
    assert due_after_contact(D(2026, 2, 9), CN, D(2026, 2, 9)) == D(2026, 2, 24)         # 16th: holiday week
    assert due_after_contact(D(2026, 9, 24), CN, D(2026, 9, 24)) == D(2026, 10, 8)        # National Day week
    assert roll(["2026-10-10", "2026-01-04", "2026-01-03"], CN) == [D(2026, 10, 10), D(2026, 1, 4), D(2026, 1, 4)]


def test_other_countries_take_their_public_holidays_from_the_holidays_package():
    us = Settings(holiday_calendar="US")
    assert due_after_contact(D(2026, 11, 19), us, D(2026, 11, 19)) == D(2026, 11, 27)  # Thanksgiving, 26th
    de = Settings(holiday_calendar="DE")
    assert roll(["2026-12-25", "2026-10-03"], de) == [D(2026, 12, 28), D(2026, 10, 5)]
    assert roll(["2026-12-25"], Settings(holiday_calendar="GB")) == [D(2026, 12, 29)]  # Boxing Day moved to 28th
    assert roll(["2026-08-14", "2026-07-04"], Settings(holiday_calendar="US-CA")) == [D(2026, 8, 14), D(2026, 7, 6)]


def test_the_calendar_s_own_weekend_is_used():
    assert roll(["2026-11-27", "2026-11-29"], Settings(holiday_calendar="IL")) == [D(2026, 11, 29), D(2026, 11, 29)]


def test_dates_typed_under_holidays_still_apply():
    typed = Settings(holiday_calendar="CN", holidays=(D(2026, 2, 14), D(2026, 3, 2)))
    assert roll(["2026-02-14", "2026-02-27", "2026-03-02"], typed) == [D(2026, 2, 24), D(2026, 2, 27), D(2026, 3, 3)]


def test_blank_is_the_default_and_changes_nothing():
    assert Settings().holiday_calendar == ""
    days = np.arange(np.datetime64("2026-01-01"), np.datetime64("2027-01-01"))
    plain = Settings(holidays=(D(2026, 12, 25),))
    assert (roll_forward(days, plain) == np.busday_offset(days, 0, roll="forward",
                                                          holidays=["2026-12-25"])).all()


def test_years_chinese_calendar_does_not_cover_fall_back_to_the_holidays_package():
    last_year = max(d.year for d in chinese_calendar.constants.holidays)
    year = last_year + 1
    days = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
    got = roll_forward(days, CN).astype(object)
    off = set(holidays.country_holidays("CN", years=[year, year + 1]))
    assert all(d.weekday() < 5 and d not in off for d in got)
    assert all(a <= b for a, b in zip(days.astype(object), got))


DAYS = st.dates(min_value=D(2010, 1, 1), max_value=D(2026, 12, 20))


@hsettings(max_examples=60, deadline=None)
@given(st.lists(DAYS, min_size=1, max_size=40))
def test_china_matches_chinese_calendar_day_by_day(days):
    """The vectorised roll against chinese_calendar's own is_workday, one day at a time."""
    def reference(d: dt.date) -> dt.date:
        while not chinese_calendar.is_workday(d):
            d += dt.timedelta(days=1)
        return d
    assert roll(days, CN) == [reference(d) for d in days]


@pytest.mark.parametrize("cell, want", [("CN", "CN"), ("cn", "CN"), ("US-CA", "US-CA"), ("de/by", "DE-BY"),
                                        ("无", ""), ("None", ""), (None, "")])
def test_the_setting_is_read(cell, want):
    assert settings_from_grid(set_cell(grid(), "Holiday calendar", 1, cell)).holiday_calendar == want


def test_chinese_label_and_round_trip():
    assert settings_from_grid([["常规"], ["设置", "值"], ["节假日日历", "CN"]]).holiday_calendar == "CN"
    s = Settings(holiday_calendar="US-NY")
    assert settings_from_grid(grid(s)) == s


@pytest.mark.parametrize("value", ["XX", "China", "US-ZZ"])
def test_an_unknown_country_names_the_settings_cell(value):
    rows = set_cell(grid(), "Holiday calendar", 1, value)
    row = next(i for i, r in enumerate(rows) if r and str(r[0]).startswith("Holiday calendar")) + 1
    with pytest.raises(SettingsError) as e:
        settings_from_grid(rows)
    assert str(e.value).startswith(f"Settings sheet 'Settings', cell B{row}: {value!r} is not a country code "
                                   "for the holiday calendar")
