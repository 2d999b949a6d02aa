"""docs/spec.md §2 Targets, forecast and movement — periods: parsing, the period before, masks,
and the expected close date. Every date below is worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from salesbook.rules.period import PeriodError, created_in, expected_close, parse_period, period_of_cell
from salesbook.rules.prepare import canonical_frame, prepare
from salesbook.rules.settings import Settings

from .conftest import TODAY, leads

D = dt.date


def span(text: str, today: dt.date = TODAY) -> tuple[str, dt.date, dt.date]:
    p = parse_period(text, today)
    return p.label, p.start, p.end


def before(text: str, today: dt.date = TODAY) -> tuple[str, dt.date, dt.date]:
    p = parse_period(text, today).previous()
    return p.label, p.start, p.end


class TestParse:
    @pytest.mark.parametrize("text, expected", [
        ("2026-11", ("2026-11", D(2026, 11, 1), D(2026, 11, 30))),
        ("2026-12", ("2026-12", D(2026, 12, 1), D(2026, 12, 31))),
        ("2026-02", ("2026-02", D(2026, 2, 1), D(2026, 2, 28))),
        ("2028-02", ("2028-02", D(2028, 2, 1), D(2028, 2, 29))),  # a leap year
        ("2026-Q1", ("2026-Q1", D(2026, 1, 1), D(2026, 3, 31))),
        ("2026-Q3", ("2026-Q3", D(2026, 7, 1), D(2026, 9, 30))),
        ("2026-Q4", ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31))),
        ("2026", ("2026", D(2026, 1, 1), D(2026, 12, 31))),
        ("last-30-days", ("last-30-days", D(2026, 10, 20), D(2026, 11, 18))),  # 12 days of Oct + 18 of Nov
        ("last-1-days", ("last-1-days", D(2026, 11, 18), D(2026, 11, 18))),
        ("last-7-days", ("last-7-days", D(2026, 11, 12), D(2026, 11, 18))),
    ])
    def test_shapes(self, text, expected):
        assert span(text) == expected

    @pytest.mark.parametrize("text, label", [
        (" 2026-11 ", "2026-11"), ("2026/11", "2026-11"), ("2026-1", "2026-01"), ("2026年11月", "2026-11"),
        ("2026-q4", "2026-Q4"), ("2026Q4", "2026-Q4"), ("2026 Q4", "2026-Q4"), ("2026年Q4", "2026-Q4"),
        ("2026年第4季度", "2026-Q4"), ("2026年", "2026"), ("Last-30-Days", "last-30-days"),
        ("last 30 days", "last-30-days"), ("最近30天", "last-30-days"), ("last-1-day", "last-1-days"),
    ])
    def test_other_spellings(self, text, label):
        assert parse_period(text, TODAY).label == label

    def test_last_days_across_a_leap_day(self):
        assert span("last-2-days", D(2028, 3, 1)) == ("last-2-days", D(2028, 2, 29), D(2028, 3, 1))
        assert span("last-30-days", D(2028, 3, 1)) == ("last-30-days", D(2028, 2, 1), D(2028, 3, 1))

    SENTENCE = "is not a period: write a month (2026-11), a quarter (2026-Q4), a year (2026) or last-N-days (last-30-days)."

    @pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-11", "Q4", "next month",
                                      "", "2026-11-05", "last-days", "last--3-days", "november"])
    def test_anything_else_is_refused_with_one_sentence(self, text):
        with pytest.raises(PeriodError) as e:
            parse_period(text, TODAY)
        assert str(e.value) == f"'{text}' {self.SENTENCE}"

    @pytest.mark.parametrize("text", ["1899", "2200", "2200-01", "1899-Q4"])
    def test_years_outside_what_a_sheet_holds(self, text):
        with pytest.raises(PeriodError, match=f"^'{text}' is not a period: its dates must fall between 1900 and 2199.$"):
            parse_period(text, TODAY)

    def test_last_zero_days(self):
        with pytest.raises(PeriodError, match=r"^'last-0-days' is not a period: last-N-days needs N of at least 1"):
            parse_period("last-0-days", TODAY)

    def test_last_days_need_today(self):
        with pytest.raises(PeriodError, match="counts back from today, and no today was given"):
            parse_period("last-30-days")

    def test_fixed_periods_only(self):
        with pytest.raises(PeriodError) as e:
            parse_period("last-30-days", TODAY, relative=False)
        assert str(e.value) == "'last-30-days' is not a period: write a month (2026-11), a quarter (2026-Q4) or a year (2026)."


class TestPrevious:
    @pytest.mark.parametrize("text, expected", [
        ("2026-11", ("2026-10", D(2026, 10, 1), D(2026, 10, 31))),
        ("2027-01", ("2026-12", D(2026, 12, 1), D(2026, 12, 31))),  # Dec → Jan
        ("2028-03", ("2028-02", D(2028, 2, 1), D(2028, 2, 29))),  # leap February
        ("2026-03", ("2026-02", D(2026, 2, 1), D(2026, 2, 28))),
        ("2026-Q4", ("2026-Q3", D(2026, 7, 1), D(2026, 9, 30))),
        ("2027-Q1", ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31))),
        ("2026", ("2025", D(2025, 1, 1), D(2025, 12, 31))),
        ("last-30-days", ("2026-09-20..2026-10-19", D(2026, 9, 20), D(2026, 10, 19))),
        ("last-7-days", ("2026-11-05..2026-11-11", D(2026, 11, 5), D(2026, 11, 11))),
    ])
    def test_the_one_before(self, text, expected):
        assert before(text) == expected

    def test_the_days_before_cross_a_leap_day(self):
        assert before("last-2-days", D(2028, 3, 2)) == ("2028-02-28..2028-02-29", D(2028, 2, 28), D(2028, 2, 29))

    def test_same_length(self):
        p = parse_period("last-45-days", TODAY)
        assert p.days == p.previous().days == 45
        assert p.previous().end + dt.timedelta(days=1) == p.start


class TestCells:
    @pytest.mark.parametrize("value, label", [
        ("2026-Q4", "2026-Q4"), (2026, "2026"), (2026.0, "2026"),
        (dt.datetime(2026, 11, 1), "2026-11"),  # Excel turns a typed 2026-11 into this date
        (D(2027, 1, 1), "2027-01"),
    ])
    def test_cells(self, value, label):
        assert period_of_cell(value).label == label

    @pytest.mark.parametrize("value", [D(2026, 11, 5), dt.datetime(2026, 11, 1, 9, 30), True, 2026.5, float("inf"),
                                       float("nan"), 1800, "last-30-days"])
    def test_bad_cells(self, value):
        with pytest.raises(PeriodError):
            period_of_cell(value)


def prepared(*rows: dict):
    raw, labels = canonical_frame(leads(*rows))
    return prepare(raw, Settings(), labels)


class TestMasks:
    def test_contains_includes_both_ends(self):
        q4 = parse_period("2026-Q4")
        dates = pd.Series(pd.to_datetime(["2026-09-30", "2026-10-01", "2026-11-15", "2026-12-31", "2027-01-01", None]))
        assert q4.contains(dates).tolist() == [False, True, True, True, False, False]

    def test_created_in_period(self):
        f = prepared({"Created": "2026-09-30"}, {"Created": "2026-10-01"}, {"Created": "2026-12-31"},
                     {"Created": "2027-01-01"}, {"Created": None}, {"Created": "soon"}, {"Created": "2028-02-29"}).frame
        assert created_in(f, parse_period("2026-Q4")).tolist() == [False, True, True, False, False, False, False]
        assert created_in(f, parse_period("2028-02")).tolist() == [False] * 6 + [True]
        assert isinstance(created_in(f, parse_period("2026")), np.ndarray)

    def test_expected_close_is_close_date_else_a_timeline_date(self):
        p = prepared({"Close Date": "2026-12-01", "Timeline": "2026-10-31"},
                     {"Timeline": "2026-10-31"},
                     {"Timeline": "≤3 months"},
                     {"Close Date": "2027-01-15", "Timeline": "3-6 months"},
                     {},
                     {"Timeline": "someday"},
                     {"Close Date": "not yet", "Timeline": "2026-10-31"})
        got = [None if pd.isna(x) else x.date().isoformat() for x in expected_close(p)]
        # The last: an unreadable Close Date is not silently replaced by the Timeline.
        assert got == ["2026-12-01", "2026-10-31", None, "2027-01-15", None, None, None]
