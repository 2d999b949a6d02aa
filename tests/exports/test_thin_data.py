"""Honest reports on thin data: no BANT columns, rows left out of the funnel, unreadable amounts."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd

from salesbook import service
from salesbook.adapters.files.newbook import new_book


def book(tmp_path, language="en", bant=False):
    frame = pd.DataFrame({
        "lead_id": ["L-1", "L-2", "L-3", "L-4", "L-5"],
        "company": ["A", "B", "C", "D", "E"], "owner": ["Ann"] * 5,
        "stage": ["Proposal", "Contract Sent", "Contract Sent", None, "Prospecting"],
        "deal_value": ["100", "200", "abc", "5", "7"],
        "created": ["2026-10-01"] * 5,
    })
    if bant:
        frame["budget"] = ["Confirmed", None, None, None, None]
    return new_book(tmp_path / "b.xlsx", frame, language=language)


def test_left_out_rows_and_no_bant_at_the_top_of_the_funnel(tmp_path):
    r = service.run(book(tmp_path), today=dt.date(2026, 11, 2))
    assert "No BANT data: every lead grades C" in r.summary
    note = openpyxl.load_workbook(tmp_path / "b.xlsx")["Funnel"]["A3"].value
    assert note == ("Period: all leads. No BANT data: every lead grades C — map or add Budget, Authority, Need, Timeline. "
                    "3 of 5 rows are left out of the funnel: 2 with a stage not in Settings ('Contract Sent'); "
                    "1 without a stage. 1 row with an unreadable Deal Value counts as 0 in the pipeline.")


def test_in_chinese_and_with_bant_data(tmp_path):
    r = service.run(book(tmp_path, "zh", bant=True), today=dt.date(2026, 11, 2))
    assert "BANT" not in r.summary
    note = openpyxl.load_workbook(tmp_path / "b.xlsx")["Funnel"]["A3"].value
    assert note.startswith("周期：全部线索。5 行中有 3 行未计入漏斗：2 行的阶段不在设置中（'Contract Sent'）；1 行没有阶段。")


def test_nothing_missing_nothing_said(tmp_path):
    frame = pd.DataFrame({"lead_id": ["L-1"], "company": ["A"], "owner": ["Ann"], "stage": ["Proposal"],
                          "budget": ["Confirmed"], "created": ["2026-10-01"], "deal_value": ["5"]})
    r = service.run(new_book(tmp_path / "b.xlsx", frame), today=dt.date(2026, 11, 2))
    assert "BANT" not in r.summary
    assert openpyxl.load_workbook(tmp_path / "b.xlsx")["Funnel"]["A3"].value == "Period: all leads"
