"""Dates and amounts of an export: every form reads, an ambiguous one is a Check problem, a column
that mixes two ways is refused (never a guess)."""

from __future__ import annotations

import pandas as pd
import pytest

from salesbook import engine
from salesbook.adapters.exports import read_export
from salesbook.errors import Refusal
from salesbook.rules.settings import Settings
from tests.exports.conftest import write_csv

HEAD = ["Lead ID", "Company", "Owner", "Stage", "Created", "Deal Value"]


def export(tmp_path, created, values=None, settings=None, stage_changed=None):
    rows = [HEAD + (["Last Stage Change"] if stage_changed else [])]
    for i, d in enumerate(created):
        row = [f"L-{i}", "Acme", "Ann", "Proposal", d, (values or ["1"] * len(created))[i]]
        rows.append(row + ([stage_changed[i]] if stage_changed else []))
    return read_export(write_csv(tmp_path / "e.csv", rows), settings=settings or Settings())


@pytest.mark.parametrize("text, iso", [
    ("2026-10-08", "2026-10-08"), ("2026-10-08 14:32", "2026-10-08"), ("2026-10-08 14:32:05", "2026-10-08"),
    ("2026-10-08T14:32:00.000Z", "2026-10-08"), ("2026/10/08", "2026-10-08"), ("2026年10月8日", "2026-10-08"),
    ("25/10/2026 09:30 AM", "2026-10-25"), ("25/10/2026 02:15 PM", "2026-10-25"), ("10/25/2026", "2026-10-25"),
    ("25.10.2026", "2026-10-25"), ("Oct 8, 2026", "2026-10-08"),
])
def test_date_forms(tmp_path, text, iso):
    assert export(tmp_path, [text]).frame["created"].iloc[0] == iso


def test_ambiguous_dates_stay_text_and_become_check_problems(tmp_path):
    ex = export(tmp_path, ["08/10/2026", "09/10/2026"])
    assert ex.frame["created"].tolist() == ["08/10/2026", "09/10/2026"]
    problems = engine.check_frame(ex.leads())
    assert problems["message"].iloc[0] == "Created '08/10/2026' could be 8 October or 10 August: set Date order in " \
                                          "Settings (DMY or MDY)"
    assert problems["row"].tolist() == [2, 3]


def test_a_proof_decides_the_whole_column(tmp_path):
    assert export(tmp_path, ["08/10/2026", "25/10/2026"]).frame["created"].tolist() == ["2026-10-08", "2026-10-25"]
    assert export(tmp_path, ["08/10/2026", "10/25/2026"]).frame["created"].tolist() == ["2026-08-10", "2026-10-25"]
    dmy = Settings(date_order="DMY")
    assert export(tmp_path, ["08/10/2026"], settings=dmy).frame["created"].tolist() == ["2026-10-08"]


def test_a_column_mixing_day_first_and_month_first_is_refused(tmp_path):
    with pytest.raises(Refusal) as info:
        export(tmp_path, ["25/10/2026", "10/25/2026", "08/10/2026"])
    m = info.value.message
    assert m.startswith("e.csv, row 2, column 'Created': '25/10/2026' reads only day-first, but '10/25/2026' on "
                        "row 3 reads only month-first: the column mixes both ways of writing dates")
    assert "Set Date order in Settings (DMY or MDY)" in m


@pytest.mark.parametrize("values, expected", [
    (["45000", "1.5"], ["45000", "1.5"]),
    (["45.000,00 €", "1,5"], ["45000", "1.5"]),
    (["45 000,50", "12,25"], ["45000.5", "12.25"]),
    (["$45,000.50", "1,234.5"], ["45000.5", "1234.5"]),
    (["¥1,200", "RMB 3,400.5"], ["1200", "3400.5"]),
])
def test_amount_forms(tmp_path, values, expected):
    assert export(tmp_path, ["2026-10-01"] * 2, values).frame["deal_value"].tolist() == expected


def test_ambiguous_amount_stays_text(tmp_path):
    ex = export(tmp_path, ["2026-10-01"], ["1,500"])
    assert ex.frame["deal_value"].tolist() == ["1,500"]
    assert "Deal Value '1,500'" in engine.check_frame(ex.leads())["message"].iloc[0]


def test_a_column_mixing_decimal_point_and_comma_is_refused(tmp_path):
    with pytest.raises(Refusal) as info:
        export(tmp_path, ["2026-10-01"] * 3, ["45.000,00", "45,000.00", "3"])
    assert "column 'Deal Value'" in info.value.message and "mixes both ways of writing amounts" in info.value.message
    assert "Decimal separator" in info.value.message


def test_an_ambiguous_stage_change_date_is_refused(tmp_path):
    with pytest.raises(Refusal) as info:
        export(tmp_path, ["2026-10-01"], stage_changed=["08/10/2026"])
    assert info.value.message.startswith("e.csv, row 2, column 'Last Stage Change': '08/10/2026' could be read "
                                         "day-first or month-first; set Date order in Settings (DMY or MDY)")
    ok = export(tmp_path, ["2026-10-01"], stage_changed=["08/10/2026"], settings=Settings(date_order="MDY"))
    assert ok.stage_changed.iloc[0] == pd.Timestamp("2026-08-10")
