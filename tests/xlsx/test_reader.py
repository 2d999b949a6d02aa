"""locate_leads / read_leads / read_grid on files written by XlsxWriter and openpyxl."""

from __future__ import annotations

import datetime as dt
import zipfile

import pandas as pd
import pytest

from salesbook.errors import Refusal
from salesbook.adapters.files.package import Package
from salesbook.adapters.files.cells import first_row
from salesbook.adapters.files.reader import locate_leads, merged_ranges, read_grid, read_leads, unique_names
from tests.xlsx import fixtures as fx


@pytest.fixture(scope="module")
def kinds_book(tmp_path_factory):
    """One column per kind of cell, one row per case (XlsxWriter, shared strings)."""
    import xlsxwriter

    path = tmp_path_factory.mktemp("kinds") / "kinds.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Leads")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    cn_date = wb.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    ws.write_row(0, 0, ["Lead ID", "Company", "Owner", "Stage", "Created", "Value"])
    cases = [
        ("text", "Acme"),
        ("none-text", "None"),
        ("int", 45000),
        ("float", 1.5),
        ("two", 2.0),
        ("big", 123456789012),
        ("negative", -12),
        ("date", dt.date(2024, 1, 2)),
        ("datetime", dt.datetime(2024, 1, 2, 13, 45, 5)),
        ("cn-date", dt.date(2024, 5, 6)),
        ("true", True),
        ("false", False),
        ("text-true", "true"),
        ("na", "#N/A"),
        ("div0", "#DIV/0!"),
        ("value", "#VALUE!"),
        ("formula-num", "=1+1"),
        ("formula-text", '="a"&"b"'),
        ("formula-looking text", "=not a formula"),
        ("spaces", "  "),
        ("unicode", "线索 ✓"),
    ]
    for r, (name, value) in enumerate(cases, start=1):
        ws.write_string(r, 0, f"L-{r}")
        ws.write_string(r, 1, name)
        if name == "date":
            ws.write_datetime(r, 5, value, date_fmt)
        elif name == "datetime":
            ws.write_datetime(r, 5, value, dt_fmt)
        elif name == "cn-date":
            ws.write_datetime(r, 5, value, cn_date)
        elif isinstance(value, bool):
            ws.write_boolean(r, 5, value)
        elif name in ("na", "div0", "value"):
            ws.write_formula(r, 5, {"na": "=NA()", "div0": "=1/0", "value": '="a"+1'}[name], None, value)
        elif name == "formula-num":
            ws.write_formula(r, 5, value, None, 2)
        elif name == "formula-text":
            ws.write_formula(r, 5, value, None, "ab")
        elif isinstance(value, str):
            ws.write_string(r, 5, value)
        else:
            ws.write_number(r, 5, value)
    blank = len(cases) + 1  # one blank row, then a last row
    ws.write_string(blank + 1, 0, "L-last")
    wb.close()
    return path, {name: r + 1 for r, (name, _) in enumerate(cases, start=1)}, blank + 1


def test_every_kind_of_cell_reads_as_text(kinds_book):
    path, rows, blank = kinds_book
    pkg = Package.open(path)
    loc = locate_leads(pkg)
    frame = read_leads(pkg, loc)
    v = frame["Value"]
    expected = {
        "text": "Acme",
        "none-text": "None",
        "int": "45000",
        "float": "1.5",
        "two": "2",
        "big": "123456789012",
        "negative": "-12",
        "date": "2024-01-02",
        "datetime": "2024-01-02 13:45:05",
        "cn-date": "2024-05-06",
        "true": "TRUE",
        "false": "FALSE",
        "text-true": "true",
        "na": "#N/A",
        "div0": "#DIV/0!",
        "value": "#VALUE!",
        "formula-num": "2",
        "formula-text": "ab",
        "formula-looking text": "=not a formula",
        "spaces": "  ",
        "unicode": "线索 ✓",
    }
    for name, want in expected.items():
        assert v[rows[name]] == want, name
    assert pd.isna(v[blank])
    assert frame.index[0] == 2 and frame.index[-1] == blank + 1
    assert frame.loc[blank + 1, "Lead ID"] == "L-last"
    assert frame.loc[blank].isna().all()  # the blank row is kept
    pkg.close()


def test_the_text_none_stays_a_string(kinds_book):
    path, rows, _ = kinds_book
    with Package.open(path) as pkg:
        frame = read_leads(pkg, locate_leads(pkg))
    assert frame.loc[rows["none-text"], "Value"] == "None"
    assert isinstance(frame.loc[rows["none-text"], "Value"], str)


def test_table_named_leads_anywhere(tmp_path):
    path = fx.xlsxwriter_table(tmp_path / "t.xlsx")
    with Package.open(path) as pkg:
        loc = locate_leads(pkg)
        assert (loc.sheet_name, loc.table_name, loc.header_row, loc.first_col) == ("Pipeline", "Leads", 1, 1)
        assert loc.last_row == 1 + len(fx.LEAD_ROWS)
        assert loc.headers == fx.LEAD_HEADERS + ["Notes", "Tax"]
        frame = read_leads(pkg, loc)
    assert list(frame.index) == list(range(2, 2 + len(fx.LEAD_ROWS)))
    assert frame.loc[2, "Company"] == "Acme"  # a hyperlink cell
    assert frame.loc[3, "Company"] == "Beta & Co <Ltd>"
    assert frame.loc[3, "Budget"] == "None"
    assert frame.loc[4, fx.LEAD_HEADERS + ["Notes"]].isna().all()  # blank row inside the table
    assert frame.loc[4, "Tax"] == "0"  # the calculated column has a formula on every row
    assert frame.loc[2, "Deal Value"] == "45000"
    assert frame.loc[3, "Deal Value"] == "1.5"
    assert frame.loc[2, "Created"] == "2024-01-02"
    assert frame.loc[2, "Last Contact"] == "2024-03-01 09:30:00"
    assert frame.attrs["merged_ranges"] == []  # the merge below the table is outside it


def test_plain_range_on_chinese_sheet(tmp_path):
    path = fx.openpyxl_plain_zh(tmp_path / "zh.xlsx")
    with Package.open(path) as pkg:
        loc = locate_leads(pkg)
        assert loc.sheet_name == "线索" and loc.table_name is None
        assert (loc.header_row, loc.first_col, loc.last_col) == (1, 1, 8)
        assert loc.last_row == 5  # trailing blank rows ignored
        assert loc.headers[0] == "线索编号"
        frame = read_leads(pkg, loc)
    assert frame.loc[2, "公司"] == "甲公司"
    assert frame.loc[3, "预算"] == "None"
    assert frame.loc[2, "创建日期"] == "2024-05-06"
    assert frame.loc[4].isna().all()
    assert frame.loc[5, "备注"] == "last"


def test_best_scoring_sheet_when_no_name_matches(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Company", "whatever"])
    ws = wb.create_sheet("Export 2024")
    ws.append(["ID", "Account", "Rep", "Pipeline Stage", "Created Date"])
    ws.append(["1", "A", "B", "Proposal", "2024-01-01"])
    wb.save(tmp_path / "x.xlsx")
    with Package.open(tmp_path / "x.xlsx") as pkg:
        loc = locate_leads(pkg)
    assert loc.sheet_name == "Export 2024" and loc.last_row == 2


def test_no_lead_table_is_refused_naming_the_sheets(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    wb.active.append(["Month", "Amount"])
    wb.save(tmp_path / "x.xlsx")
    with Package.open(tmp_path / "x.xlsx") as pkg, pytest.raises(Refusal) as err:
        locate_leads(pkg)
    assert "No lead table found in x.xlsx" in err.value.message
    assert "'Budget'" in err.value.message


def test_merged_cells_in_the_table_are_reported(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(fx.LEAD_HEADERS)
    ws.append(["L-1", "A", "B", "Proposal", None, 1, None, None])
    ws.append(["L-2", "C", "D", "Proposal", None, 2, None, None])
    ws.merge_cells("B2:C3")
    ws.merge_cells("K10:L11")
    wb.save(tmp_path / "m.xlsx")
    with Package.open(tmp_path / "m.xlsx") as pkg:
        loc = locate_leads(pkg)
        frame = read_leads(pkg, loc)
        assert sorted(merged_ranges(pkg, loc.sheet_part)) == ["B2:C3", "K10:L11"]
    assert frame.attrs["merged_ranges"] == ["B2:C3"]


def test_duplicate_and_blank_headers_get_unique_names():
    assert unique_names(["Notes", "notes", "", "", "Notes"]) == ["Notes", "notes (2)", "", " (2)", "Notes (3)"]


def test_first_row_reads_inline_shared_and_rich_text(tmp_path):
    import xlsxwriter

    path = tmp_path / "r.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    bold = wb.add_format({"bold": True})
    ws.write_rich_string(0, 1, "Lead ", bold, "ID")
    ws.write_string(0, 2, "A & B")
    ws.write_number(0, 4, 7)
    wb.close()
    with Package.open(path) as pkg:
        assert first_row(pkg, pkg.sheets[0].part) == {2: "Lead ID", 3: "A & B", 5: "7"}


def test_read_grid_keeps_positions_and_types(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Settings"
    ws["B3"] = "As of"
    ws["C3"] = dt.date(2026, 11, 20)
    ws["B4"] = "Weight"
    ws["C4"] = 0.25
    ws["B5"] = "Count"
    ws["C5"] = 3
    wb.save(tmp_path / "s.xlsx")
    grid = read_grid(tmp_path / "s.xlsx", "Settings")
    assert grid[0] == [] and grid[1] == []
    assert grid[2][1:] == ["As of", dt.date(2026, 11, 20)] or grid[2][1:] == ["As of", dt.datetime(2026, 11, 20)]
    assert grid[3][1:] == ["Weight", 0.25]
    assert grid[4][1:] == ["Count", 3]
    assert len(grid) == 5


def test_xlsm_is_read(tmp_path):
    path = fx.xlsm_with_leads(tmp_path / "book.xlsm")
    with Package.open(path) as pkg:
        loc = locate_leads(pkg)
        frame = read_leads(pkg, loc)
        assert [s.name for s in pkg.sheets] == ["Sheet1", "_xlwings.conf", "Leads"]
    assert loc.table_name == "Leads" and frame.loc[2, "Lead ID"] == "L-001"


def test_prefixed_and_positional_sheets_read_alike(tmp_path):
    plain = fx.xlsxwriter_table(tmp_path / "p.xlsx")
    for strip in (False, True):
        other = fx.prefixed(plain, tmp_path / f"x{strip}.xlsx", strip_refs=strip)
        with Package.open(plain) as a, Package.open(other) as b:
            fa = read_leads(a, locate_leads(a))
            fb = read_leads(b, locate_leads(b))
        pd.testing.assert_frame_equal(fa, fb)


def test_a_damaged_zip_is_refused(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(Refusal):
        Package.open(bad)


def test_a_dtd_in_a_part_is_refused(tmp_path):
    src = fx.xlsxwriter_table(tmp_path / "p.xlsx")
    dst = tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
            zout.writestr(info, data)
    with pytest.raises(Refusal):
        Package.open(dst)


def test_a_table_below_a_title_and_right_of_other_columns(tmp_path):
    import xlsxwriter

    path = tmp_path / "offset.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Pipeline")
    ws.write(0, 0, "Sales pipeline 2026")
    ws.write(4, 0, "left of the table")
    headers = ["Lead ID", "Company", "Owner", "Stage", "Created"]
    ws.add_table(3, 2, 6, 6, {"name": "Leads", "columns": [{"header": h} for h in headers]})
    ws.write_row(4, 2, ["L-1", "A", "B", "Proposal"])
    ws.write_row(6, 2, ["L-3", "C", "D", "Proposal"])
    ws.write(9, 3, "far below")
    wb.close()
    with Package.open(path) as pkg:
        loc = locate_leads(pkg)
        frame = read_leads(pkg, loc)
    assert (loc.header_row, loc.first_col, loc.last_col, loc.last_row) == (4, 3, 7, 7)
    assert list(frame.index) == [5, 6, 7]
    assert list(frame["Lead ID"].fillna("~")) == ["L-1", "~", "L-3"]
    assert frame["Created"].isna().all()  # an empty column past the last value is still a column


@pytest.mark.parametrize("left_cell", [False, True])
def test_error_cells_land_in_their_column_when_the_table_is_not_in_column_a(tmp_path, left_cell):
    import xlsxwriter

    path = tmp_path / "err.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Pipeline")
    if left_cell:
        ws.write(3, 0, "something in column A")  # the used range then starts in A, not C
    ws.add_table(2, 2, 5, 6, {"name": "Leads", "columns": [{"header": h} for h in
                                                         ["Lead ID", "Company", "Owner", "Stage", "Created"]]})
    ws.write_row(3, 2, ["L-1", "A", "B", "Proposal"])
    ws.write_formula(4, 3, "=NA()", None, "#N/A")
    ws.write_formula(5, 6, "=1/0", None, "#DIV/0!")
    ws.write_boolean(5, 4, True)
    wb.close()
    with Package.open(path) as pkg:
        frame = read_leads(pkg, locate_leads(pkg))
    assert frame.loc[5, "Company"] == "#N/A"
    assert frame.loc[6, "Created"] == "#DIV/0!"
    assert frame.loc[6, "Owner"] == "TRUE"
    assert frame.loc[5].drop("Company").isna().all()
