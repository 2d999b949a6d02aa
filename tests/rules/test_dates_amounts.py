"""Text dates and amounts read correctly or not at all (docs/spec.md §1 "Reading text cells"):
a column is read day-first / month-first, with a decimal point / comma, only as its own values
prove or as Settings says; what stays ambiguous is a Check problem naming the setting."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from salesbook.engine import check_frame
from salesbook.rules.reading import AGAINST_SETTING, AMBIGUOUS, MIXED, NOT_VALID, READ_OK, read_amounts, read_dates
from salesbook.rules.settings import Settings
from salesbook.rules.settings_sheet import SettingsError, settings_from_grid

from .conftest import leads, out, run
from .test_settings import grid, set_cell


def dates(values, order="auto"):
    r = read_dates(pd.Series(values, dtype="string[pyarrow]"), order=order)
    got = [None if pd.isna(v) else v.date() for v in r.values]
    return got, r.why.tolist()


def amounts(values, separator="auto"):
    r = read_amounts(pd.Series(values, dtype="string[pyarrow]"), separator=separator)
    return [None if np.isnan(v) else v for v in r.values], r.why.tolist()


OCT_8 = dt.date(2026, 10, 8)


# ---- dates -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["08/10/2026", "8/10/2026", "8.10.2026", "08-10-2026", "08/10/26",
                                  "08/10/2026 09:30 AM", "8/10/2026 21:30", "2026/10/08", "2026-10-08",
                                  "Oct 8, 2026", "8 Oct 2026", "2026年10月8日", "2026.10.08"])
def test_every_form_reads_day_first_in_a_column_that_proves_it(text):
    got, why = dates([text, "25/10/2026 09:30 AM"])
    assert got == [OCT_8, dt.date(2026, 10, 25)] and why == [READ_OK, READ_OK]


@pytest.mark.parametrize("text", ["10/08/2026", "10.8.2026", "10-08-2026", "10/08/2026 09:30 PM", "2026-10-08",
                                  "Oct 8, 2026", "2026年10月8日"])
def test_every_form_reads_month_first_in_a_column_that_proves_it(text):
    got, why = dates([text, "10/25/2026"])
    assert got == [OCT_8, dt.date(2026, 10, 25)] and why == [READ_OK, READ_OK]


def test_a_date_with_no_proof_in_its_column_is_ambiguous_never_guessed():
    got, why = dates(["08/10/2026", "8.10.2026", "08-10-2026", "08/08/2026", "2026-10-08", None])
    assert got == [None, None, None, dt.date(2026, 8, 8), OCT_8, None]  # 8 August either way
    assert why == [AMBIGUOUS, AMBIGUOUS, AMBIGUOUS, READ_OK, READ_OK, READ_OK]


def test_the_check_problem_names_the_setting_to_change():
    problems = check_frame(leads({"Created": "08/10/2026"}, {"Created": "2026-10-09"}))
    assert problems["message"].tolist() == [
        "Created '08/10/2026' could be 8 October or 10 August: set Date order in Settings (DMY or MDY)"]
    assert problems["row"].tolist() == [0]


def test_a_column_mixing_both_proofs_flags_the_odd_ones_out():
    got, why = dates(["25/10/2026", "26/10/2026", "10/27/2026", "08/10/2026", "2026-10-08"])
    assert why == [READ_OK, READ_OK, MIXED, AMBIGUOUS, READ_OK]
    assert got[:2] == [dt.date(2026, 10, 25), dt.date(2026, 10, 26)] and got[2:4] == [None, None]
    problems = check_frame(leads({"Last Contact": "25/10/2026"}, {"Last Contact": "26/10/2026"},
                                 {"Last Contact": "10/27/2026"}))
    assert problems["message"].tolist() == [
        "Last Contact '10/27/2026' reads only month-first, but other values in this column read only day-first "
        "(e.g. '25/10/2026'): fix the cell, or set Date order in Settings (DMY or MDY)"]


def test_a_tie_flags_both_sides():
    assert dates(["25/10/2026", "10/27/2026"])[1] == [MIXED, MIXED]


@pytest.mark.parametrize("order, want", [
    ("DMY", [OCT_8, dt.date(2026, 10, 25), None, OCT_8]),
    ("MDY", [dt.date(2026, 8, 10), None, dt.date(2026, 10, 25), OCT_8]),
])
def test_an_explicit_date_order_reads_that_order_and_reports_what_it_cannot(order, want):
    got, why = dates(["08/10/2026", "25/10/2026", "10/25/2026", "2026-10-08"], order)
    assert got == want
    assert why == [READ_OK if w else AGAINST_SETTING for w in want]


def test_ymd_reads_two_digit_years_first_and_refuses_a_year_last():
    got, why = dates(["26/10/08", "2026/10/08", "08/10/2026"], "YMD")
    assert got == [OCT_8, OCT_8, None] and why == [READ_OK, READ_OK, AGAINST_SETTING]


def test_the_setting_names_itself_in_the_problem():
    problems = check_frame(leads({"Created": "25/10/2026"}), Settings(date_order="MDY"))
    assert problems["message"].tolist() == [
        "Created '25/10/2026' cannot be read month-first, as Date order in Settings says (MDY)"]


def test_impossible_and_malformed_dates_are_not_dates():
    got, why = dates(["31/02/2026", "1/2/3", "25/10/2026 13:30 PM", "25/10-2026", "32/13/2026", "25/10/2026 24:00"])
    assert got == [None] * 6 and why == [NOT_VALID] * 6


def test_excel_typed_dates_ignore_the_setting():
    typed = pd.Series(pd.to_datetime(["2026-10-08", "2026-02-03"]))
    for order in ("auto", "DMY", "MDY", "YMD"):
        r = read_dates(typed, order=order)
        assert r.values.dt.date.tolist() == [OCT_8, dt.date(2026, 2, 3)] and r.why.tolist() == [0, 0]
    ev = run({"Created": dt.datetime(2026, 10, 8), "Last Contact": "2026-11-16"}, settings=Settings(date_order="MDY"))
    assert ev.problems.empty


def test_chinese_and_year_first_text_dates_read_as_before():
    got, why = dates(["2026年10月8日", "2026年2月30日", "2026/2/3", "2026.2.3", "2026-02-03 14:00:00"])
    assert got == [OCT_8, None, dt.date(2026, 2, 3), dt.date(2026, 2, 3), dt.date(2026, 2, 3)]
    assert why == [READ_OK, NOT_VALID, READ_OK, READ_OK, READ_OK]


def test_a_zoho_column_of_day_first_times_gives_the_right_follow_ups():
    """Zoho's Created Time 'dd/mm/yyyy hh:mm AM': the 13th and later prove day-first, so the 8th
    of October is not read as the 10th of August (the bug of the issue: follow-ups months off)."""
    rows = [{"Created": f"{d:02d}/10/2026 0{d % 9 + 1}:15 AM", "Budget": "Confirmed", "Need": "Clear"}
            for d in range(1, 29)]
    ev = run(*rows, only="followup")
    assert ev.problems.empty
    got = [out(ev, i)["next_followup"].date() for i in range(len(rows))]
    created = [dt.date(2026, 10, d) for d in range(1, 29)]
    assert all(0 <= (g - c).days - 7 <= 2 for g, c in zip(got, created))  # B: 7 days, then the next working day


def test_timeline_dates_follow_the_same_rule():
    problems = check_frame(leads({"Timeline": "09/11/2026"}))
    assert problems["message"].tolist() == [
        "Timeline '09/11/2026' could be 9 November or 11 September: set Date order in Settings (DMY or MDY)"]
    ev = run({"Timeline": "09/11/2026", "Budget": "Confirmed", "Authority": "Decision maker", "Need": "Clear"},
             settings=Settings(date_order="DMY"), only="grade")
    assert ev.problems.empty and out(ev)["grade"] == "A"  # 9 November: within 3 months of today


def test_each_distinct_text_is_read_once():
    """A large column repeats a few texts: reading it equals reading its distinct texts."""
    values = ["08/10/2026", "25/10/2026", None, "2026-10-08", "12/10/2026"] * 400
    got, why = dates(values)
    small, small_why = dates(values[:5])
    assert got == small * 400 and why == small_why * 400


DAYS = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2150, 12, 31))


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
@hsettings(max_examples=150, deadline=None)
@given(st.lists(DAYS, min_size=1, max_size=25), st.sampled_from(["DMY", "MDY"]), st.sampled_from("/.-"))
def test_a_proven_column_reads_every_date_exactly(days, order, sep):
    proof = dt.date(2026, 10, 25)  # day 25: only one way
    fmt = f"%d{sep}%m{sep}%Y" if order == "DMY" else f"%m{sep}%d{sep}%Y"
    texts = [d.strftime(fmt) for d in [proof, *days]]
    got, why = dates(texts)
    assert got == [proof, *days] and set(why) == {READ_OK}
    assert dates(texts, order)[0] == [proof, *days]


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
@hsettings(max_examples=100, deadline=None)
@given(st.lists(DAYS.filter(lambda d: d.day <= 12 and d.day != d.month), min_size=1, max_size=25))
def test_a_column_without_proof_reads_none_of_its_ambiguous_dates(days):
    got, why = dates([d.strftime("%d/%m/%Y") for d in days])
    assert got == [None] * len(days) and set(why) == {AMBIGUOUS}


# ---- amounts -----------------------------------------------------------------------------

def test_decimal_comma_amounts_are_read_as_their_column_proves():
    got, why = amounts(["45.000,00 €", "45 000,50", "45\u00a0000,50", "45\u202f000,50 EUR", "1.234.567,8", "1,5",
                        "1.500", "1,500", "45000", "¥1.200,00", "CNY 8.000", "8000元"])
    assert got == [45000, 45000.5, 45000.5, 45000.5, 1234567.8, 1.5, 1500, 1.5, 45000, 1200, 8000, 8000]
    assert set(why) == {READ_OK}


def test_decimal_point_amounts_are_read_as_their_column_proves():
    got, why = amounts(["$45,000.00", "USD 1,234,567", "1,500", "1.500", "£99.5", "45000"])
    assert got == [45000, 1234567, 1500, 1.5, 99.5, 45000] and set(why) == {READ_OK}


def test_an_amount_that_reads_both_ways_is_ambiguous_until_something_proves_it():
    got, why = amounts(["1,500", "1.500", "45000", "1.5", "2,50"][:4])
    assert got == [None, None, 45000, 1.5] and why == [AMBIGUOUS, AMBIGUOUS, READ_OK, READ_OK]
    problems = check_frame(leads({"Deal Value": "1,500"}))
    assert problems["message"].tolist() == [
        "Deal Value '1,500' could be 1500 or 1.5: set Decimal separator in Settings (. or ,)"]


def test_45_000_euro_is_45000_not_45():
    ev = run({"Deal Value": "45.000,00 €", "Stage": "Proposal"}, only="funnel")
    assert ev.problems.empty and ev.report.kpis["pipeline"] == 45000


@pytest.mark.parametrize("separator, want, why", [
    (".", [1500, 1.5, None, 1234.56, 1234.5], [READ_OK, READ_OK, AGAINST_SETTING, READ_OK, READ_OK]),
    (",", [1.5, 1500, 45000, None, 1234.5], [READ_OK, READ_OK, READ_OK, AGAINST_SETTING, READ_OK]),
])
def test_an_explicit_separator_reads_that_way(separator, want, why):
    # (1234.5 is how a reader writes a typed number: it reads as that number either way)
    got, w = amounts(["1,500", "1.500", "45.000,00 €", "1,234.56", "1234.5"], separator)
    assert got == want and w == why
    problems = check_frame(leads({"Deal Value": "45.000,00 €"}), Settings(decimal_separator="."))
    assert problems["message"].tolist() == [
        "Deal Value '45.000,00 €' cannot be read with a decimal point, as Decimal separator in Settings says (.)"]


def test_mixed_amounts_flag_the_odd_ones_out_and_bad_amounts_stay_bad():
    got, why = amounts(["45.000,00", "1.200,50", "1,234.56", "1,500", "abc", "-5", "1.2.3,4,5"])
    assert why == [READ_OK, READ_OK, MIXED, AMBIGUOUS, NOT_VALID, READ_OK, NOT_VALID]
    problems = check_frame(leads({"Deal Value": "-5"}, {"Deal Value": "abc"}))
    assert problems["message"].tolist() == ["Deal Value '-5' is not an amount of 0 or more",
                                            "Deal Value 'abc' is not an amount of 0 or more"]


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=20), st.integers(0, 99), st.sampled_from([".", " ", "\u00a0"]))
def test_any_decimal_comma_column_with_cents_reads_exactly(values, cents, thousands):
    def german(v: int, c: int) -> str:
        return f"{v:,}".replace(",", thousands) + f",{c:02d} €"
    texts = [german(v, cents) for v in values]
    got, why = amounts(texts)
    assert got == pytest.approx([v + cents / 100 for v in values]) and set(why) == {READ_OK}


# ---- the two settings ---------------------------------------------------------------------

@pytest.mark.parametrize("cell, want", [("DMY", "DMY"), ("dmy", "DMY"), ("日月年", "DMY"), ("MDY", "MDY"),
                                        ("月日年", "MDY"), ("YMD", "YMD"), ("Auto", "auto"), ("自动", "auto"),
                                        ("dd/mm/yyyy", "DMY"), (None, "auto")])
def test_date_order_is_read_from_settings(cell, want):
    assert settings_from_grid(set_cell(grid(), "Date order", 1, cell)).date_order == want


@pytest.mark.parametrize("cell, want", [(".", "."), (",", ","), ("，", ","), ("Comma", ","), ("逗号", ","),
                                        ("Point", "."), ("Auto", "auto"), (None, "auto")])
def test_decimal_separator_is_read_from_settings(cell, want):
    assert settings_from_grid(set_cell(grid(), "Decimal separator", 1, cell)).decimal_separator == want


def test_chinese_labels_and_round_trip():
    rows = [["常规"], ["设置", "值"], ["日期顺序", "日月年"], ["小数点", "逗号"]]
    s = settings_from_grid(rows)
    assert (s.date_order, s.decimal_separator) == ("DMY", ",")
    changed = Settings(date_order="MDY", decimal_separator=",")
    assert settings_from_grid(grid(changed)) == changed


@pytest.mark.parametrize("label, value, what", [("Date order", "DDMM", "a date order (Auto, DMY, MDY or YMD)"),
                                               ("Decimal separator", ";", "a decimal separator (Auto, . or ,)")])
def test_a_bad_value_names_the_settings_cell(label, value, what):
    rows = set_cell(grid(), label, 1, value)
    row = next(i for i, r in enumerate(rows) if r and str(r[0]).startswith(label)) + 1
    with pytest.raises(SettingsError) as e:
        settings_from_grid(rows)
    assert str(e.value).startswith(f"Settings sheet 'Settings', cell B{row}: {value!r} is not {what}.")
