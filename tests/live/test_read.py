"""live.read: the lead table, Settings and History of an open book, as the engine needs them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from salesbook.adapters.excel import read as live
from salesbook.errors import Refusal

from .conftest import HEADERS, TODAY, lead_rows, write_leads


def _file_text(v: object) -> str | None:
    """The text form of a calamine cell, written independently of live.cell_text."""
    if v in ("", None):
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v == int(v) else ("%.9f" % v).rstrip("0").rstrip(".")
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d") if v.time() == dt.time() else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    return str(v)


def file_leads(path) -> pd.DataFrame:
    """The Leads table straight from the file (calamine), index = Excel rows."""
    wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    t = wb.get_table_by_name("Leads")
    rows = [[_file_text(v) for v in r] for r in t.to_python()]
    first = t.start[0] + 1
    return pd.DataFrame(rows, columns=list(t.columns), index=pd.RangeIndex(first, first + len(rows)), dtype="str")


@pytest.mark.parametrize("value, text", [
    (None, None), ("", None), ("Acme", "Acme"), ("  x ", "  x "), (45000.0, "45000"), (0.0, "0"), (-3.0, "-3"),
    (7000.5, "7000.5"), (0.1, "0.1"), (1 / 3, "0.333333333"), (0.1 + 0.2, "0.3"), (2.5e-5, "0.000025"),
    (1e20, "100000000000000000000"), (12, "12"), (True, "TRUE"), (False, "FALSE"),
    (dt.datetime(2026, 1, 2), "2026-01-02"), (dt.datetime(2026, 1, 2, 9, 30, 5), "2026-01-02 09:30:05"),
    (dt.date(2026, 1, 2), "2026-01-02"), ("#N/A", "#N/A"), ("#DIV/0!", "#DIV/0!"),
])
def test_cell_text_matches_the_file_readers_form(value, text):
    assert live.cell_text(value) == text


def test_read_gives_the_engine_the_files_cells(tmp_path, open_book):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(30))
    lb = live.read(open_book(path))
    expected = file_leads(path)
    assert lb.loc.sheet_name == "Leads" and lb.loc.table_name == "Leads"
    assert (lb.loc.header_row, lb.loc.first_col, lb.loc.last_row) == (2, 2, 32)
    assert list(lb.leads.columns) == HEADERS
    assert list(lb.leads.index) == list(range(3, 33))
    pd.testing.assert_frame_equal(lb.leads, expected)
    assert lb.leads.loc[3, "Deal Value"] == "50000" and lb.leads.loc[7, "Deal Value"] == "7000.5"
    assert lb.leads.loc[3, "Created"] == "2026-09-01"


def odd_rows(n: int, *, errors: bool = True) -> list[list[object]]:
    """Leads with the cells readers disagree about: errors, booleans, times, decimals."""
    rows = lead_rows(n)
    if errors:
        rows[0][12] = "#N/A"  # Deal Value
        rows[6][19] = "#DIV/0!"  # My Note
    rows[1][12] = 1 / 3
    rows[2][19] = True  # My Note
    rows[3][14] = dt.datetime(2026, 11, 2, 14, 30)  # Last Contact with a time
    rows[4][15] = 2.5  # Unanswered
    rows[5][1] = "None"  # the text None
    return rows


@pytest.mark.parametrize("table, errors", [(True, False), (False, True), (True, True)])
def test_read_matches_the_file_reader_when_there_is_one(tmp_path, open_book, table, errors):
    pytest.importorskip("salesbook.adapters.files.reader")
    from salesbook.adapters.files import workbook as service

    history = [["Lead ID", "From", "To", "Date"], ["L-0001", None, "Qualification", dt.datetime(2026, 10, 1)],
               ["L-0002", "Prospecting", "Qualification", dt.datetime(2026, 10, 3, 9, 30)]]
    path = write_leads(tmp_path / "leads.xlsx", odd_rows(25, errors=errors), history=history, table=table)
    from_file = service.load(path, for_write=False)
    from_live = live.read(open_book(path))
    pd.testing.assert_frame_equal(from_live.leads, from_file.leads)
    assert from_live.loc.headers == from_file.loc.headers
    assert (from_live.loc.header_row, from_live.loc.first_col, from_live.loc.last_row) == \
        (from_file.loc.header_row, from_file.loc.first_col, from_file.loc.last_row)
    assert from_live.settings == from_file.settings
    assert from_live.history_rows == from_file.history_rows
    assert from_live.language == from_file.language


def test_read_settings_and_history(tmp_path, open_book):
    history = [["Lead ID", "From", "To", "Date"], ["L-0001", None, "Qualification", dt.datetime(2026, 10, 1)]]
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(5), history=history)
    lb = live.read(open_book(path))
    assert lb.settings.as_of == TODAY
    assert lb.settings_sheet == "Settings"
    assert lb.history_rows == [["Lead ID", "From", "To", "Date"],
                               ["L-0001", None, "Qualification", dt.date(2026, 10, 1)]]
    assert lb.history.next_row == 3


def test_read_a_plain_sheet_without_a_table(tmp_path, open_book):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(6), table=False)
    lb = live.read(open_book(path))
    assert lb.loc.table_name is None
    assert (lb.loc.header_row, lb.loc.first_col, lb.loc.last_row) == (1, 1, 7)
    assert list(lb.leads.index) == list(range(2, 8))


def test_no_lead_table_is_refused(tmp_path, open_book):
    import openpyxl

    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    wb.active["A1"] = "nothing here"
    wb.save(path)
    with pytest.raises(Refusal, match="No lead table found in other.xlsx"):
        live.read(open_book(path))


def test_leads_found_by_their_headers_on_any_sheet(tmp_path, open_book):
    import openpyxl

    path = write_leads(tmp_path / "leads.xlsx", lead_rows(4), table=False)
    wb = openpyxl.load_workbook(path)
    wb["Leads"].title = "Pipeline 2026"
    wb.save(path)
    lb = live.read(open_book(path))
    assert lb.loc.sheet_name == "Pipeline 2026" and lb.loc.table_name is None
    assert len(lb.leads) == 4


def test_missing_required_column_is_refused_with_its_name(tmp_path, open_book):
    headers = [h for h in HEADERS if h != "Owner"]
    rows = [r[:4] + r[5:] for r in lead_rows(3)]
    path = write_leads(tmp_path / "leads.xlsx", rows, headers=headers)
    with pytest.raises(Refusal, match="'Owner'"):
        live.read(open_book(path))


def test_error_cells_are_read_as_their_text_in_their_own_column(tmp_path, open_book):
    path = write_leads(tmp_path / "leads.xlsx", odd_rows(10))
    lb = live.read(open_book(path))
    assert lb.leads.loc[3, "Deal Value"] == "#N/A" and lb.leads.loc[3, "Timeline"] == "2026-12-20"
    assert lb.leads.loc[9, "My Note"] == "#DIV/0!"
    assert lb.leads.loc[5, "My Note"] == "TRUE" and lb.leads.loc[4, "Deal Value"] == "0.333333333"
    assert lb.leads.loc[6, "Last Contact"] == "2026-11-02 14:30:00"
