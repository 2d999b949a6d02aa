"""write_workbook on real files; read back with openpyxl AND python-calamine."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from salesbook.errors import Refusal
from salesbook.reports.model import AppendRows, Block, Chart, SheetModel
from salesbook.adapters.files.references import RowMap, adjust_formula, letters_at_least, shift_sqref
from salesbook.adapters.files.package import Package
from salesbook.adapters.files.reader import locate_leads, read_leads
from salesbook.adapters.files.styles import StyleBook, is_date_format
from salesbook.adapters.files.writer import OutputColumn, write_workbook
from tests.xlsx import fixtures as fx

N = len(fx.LEAD_ROWS)


def outputs(n: int = N) -> list[OutputColumn]:
    grades = ["A", "=1+1", None, "@SUM(A1)", " C "][:n]
    return [
        OutputColumn("grade", "Grade", pd.Series(grades), "text"),
        OutputColumn("score", "Score", pd.Series([90, 50.5, None, 10, 0][:n]), "number"),
        OutputColumn("grade_reason", "Grade Reason", pd.Series(["a<b & c>d", "x\x01y", None, "_x0041_", "线索"][:n]),
                     "text"),
        OutputColumn("next_followup", "Next Follow-up",
                     pd.Series(pd.to_datetime(["2024-05-01", None, "2024-06-01", "2024-07-01 12:00", None][:n], format="ISO8601")), "date"),
    ]


def write(src, dst, **kw):
    with Package.open(src) as pkg:
        loc = locate_leads(pkg)
    write_workbook(src, dst, loc, **kw)
    return loc


def calamine_rows(path, sheet):
    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def unchanged_members(src, dst, changed: set[str]):
    a, b = fx.members(src), fx.members(dst)
    for name, data in a.items():
        if name not in changed:
            assert b[name] == data, name
    return a, b


# --------------------------------------------------------------------------- a table gets new columns


@pytest.fixture
def table_book(tmp_path):
    return fx.xlsxwriter_table(tmp_path / "in.xlsx")


def test_output_columns_are_appended_to_the_table(table_book, tmp_path):
    dst = tmp_path / "out.xlsx"
    write(table_book, dst, columns=outputs())
    wb = openpyxl.load_workbook(dst)
    ws = wb["Pipeline"]
    # header cells and table extended over the new columns K..N
    assert [ws.cell(1, c).value for c in range(11, 15)] == ["Grade", "Score", "Grade Reason", "Next Follow-up"]
    table = ws.tables["Leads"]
    assert table.ref == f"A1:N{N + 1}"
    assert table.autoFilter.ref == f"A1:N{N + 1}"
    assert [c.name for c in table.tableColumns][-4:] == ["Grade", "Score", "Grade Reason", "Next Follow-up"]
    assert len({c.id for c in table.tableColumns}) == 14
    # values
    assert ws["K2"].value == "A" and ws["K2"].data_type == "s"
    assert ws["K3"].value == "=1+1" and ws["K3"].data_type == "s"  # text, never a formula
    assert ws["K5"].value == "@SUM(A1)" and ws["K5"].data_type == "s"
    assert ws["K6"].value == " C "
    assert ws["K4"].value is None
    assert ws["L2"].value == 90 and ws["L3"].value == 50.5 and ws["L4"].value is None
    assert ws["M2"].value == "a<b & c>d" and ws["M3"].value == "xy"
    assert ws["M5"].value in ("_x0041_", "_x005F_x0041_")  # openpyxl does not decode Excel's _x005F_ escape
    assert ws["M6"].value == "线索"
    assert ws["N2"].value == dt.datetime(2024, 5, 1) and ws["N2"].is_date
    assert ws["N4"].value == dt.datetime(2024, 6, 1)  # a blank row that gets a value
    assert ws["N5"].value == dt.datetime(2024, 7, 1, 12, 0)
    assert ws["N3"].value is None
    assert ws.column_dimensions["M"].width > 20
    # python-calamine agrees
    rows = calamine_rows(dst, "Pipeline")
    assert rows[0][10:14] == ["Grade", "Score", "Grade Reason", "Next Follow-up"]
    assert rows[2][10] == "=1+1"
    assert rows[4][12] == "_x0041_"  # calamine decodes it as Excel does
    assert rows[1][11] == 90.0
    assert rows[1][13] == dt.datetime(2024, 5, 1) or rows[1][13] == dt.date(2024, 5, 1)


def test_everything_else_is_kept(table_book, tmp_path):
    dst = tmp_path / "out.xlsx"
    write(table_book, dst, columns=outputs())
    before = fx.cell_snapshot(table_book, "Pipeline")
    after = fx.cell_snapshot(dst, "Pipeline", skip_cols={11, 12, 13, 14})
    assert before == after
    a, b = unchanged_members(table_book, dst, {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml", "xl/styles.xml"})
    assert list(a) == list(b)  # same entries in the same order
    wa, wb_ = openpyxl.load_workbook(table_book), openpyxl.load_workbook(dst)
    assert wa.defined_names["BigDeals"].attr_text == wb_.defined_names["BigDeals"].attr_text
    sa, sb = wa["Pipeline"], wb_["Pipeline"]
    assert sa["B2"].hyperlink.target == sb["B2"].hyperlink.target
    assert sa["A3"].comment.text == sb["A3"].comment.text
    assert [str(r) for r in sa.merged_cells.ranges] == [str(r) for r in sb.merged_cells.ranges]
    assert sa.data_validations.dataValidation[0].sqref == sb.data_validations.dataValidation[0].sqref
    assert list(sa.conditional_formatting) [0].sqref == list(sb.conditional_formatting)[0].sqref
    assert sb.freeze_panes == "A2"
    assert sb["J2"].value == sa["J2"].value  # the table's calculated column
    old_sheet = a["xl/worksheets/sheet1.xml"]
    new_sheet = b["xl/worksheets/sheet1.xml"]
    tail = old_sheet[old_sheet.index(b"</sheetData>"):]
    assert new_sheet.endswith(tail)  # merges, validation, formats, hyperlinks, tableParts: same bytes
    # styles.xml: only additions
    old_styles, new_styles = a["xl/styles.xml"].decode(), b["xl/styles.xml"].decode()
    old_xfs = re.search(r"<cellXfs[^>]*>(.*)</cellXfs>", old_styles, re.S).group(1)
    assert old_xfs in new_styles


def test_running_twice_gives_the_same_bytes(table_book, tmp_path):
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    write(table_book, once, columns=outputs())
    write(once, twice, columns=outputs())
    assert once.read_bytes() == twice.read_bytes()
    again = tmp_path / "again.xlsx"
    write(table_book, again, columns=outputs())
    assert again.read_bytes() == once.read_bytes()  # deterministic


def test_existing_output_columns_are_overwritten_keeping_their_styles(tmp_path):
    src = fx.xlsxwriter_table(tmp_path / "in.xlsx", with_outputs=True)
    dst = tmp_path / "out.xlsx"
    loc = write(src, dst, columns=outputs()[:2] + outputs()[3:])
    assert loc.last_col == 13
    before = openpyxl.load_workbook(src)["Pipeline"]
    ws = openpyxl.load_workbook(dst)["Pipeline"]
    assert ws.tables["Leads"].ref == before.tables["Leads"].ref  # nothing appended
    assert [c.value for c in ws[1]] == [c.value for c in before[1]]
    assert ws["K2"].value == "A" and ws["K2"].fill.fgColor.rgb == before["K2"].fill.fgColor.rgb
    assert ws["K4"].value is None and ws["K4"].fill.fgColor.rgb == before["K4"].fill.fgColor.rgb
    assert ws["L2"].value == 90
    assert ws["M2"].value == dt.datetime(2024, 5, 1)
    assert ws["M2"].number_format == "dd/mm/yyyy"  # the column's own date style is kept
    assert fx.cell_snapshot(src, "Pipeline", {11, 12, 13}) == fx.cell_snapshot(dst, "Pipeline", {11, 12, 13})


def test_a_used_neighbour_column_is_refused(tmp_path):
    import threading

    src = fx.xlsxwriter_table(tmp_path / "in.xlsx", neighbour=True)
    threads = threading.active_count()
    with pytest.raises(Refusal) as err:
        write(src, tmp_path / "out.xlsx", columns=outputs())
    assert threading.active_count() == threads  # the reader and writer threads are gone
    assert "Column K next to the Leads table" in err.value.message
    assert err.value.sheet == "Pipeline" and err.value.column == "K"
    assert not (tmp_path / "out.xlsx").exists()


def test_wrong_number_of_values_is_a_bug_not_a_file_problem(table_book, tmp_path):
    with pytest.raises(ValueError):
        write(table_book, tmp_path / "o.xlsx", columns=outputs(3))


# --------------------------------------------------------------------------- other layouts


def test_plain_range_with_chinese_headers(tmp_path):
    src = fx.openpyxl_plain_zh(tmp_path / "zh.xlsx")
    dst = tmp_path / "out.xlsx"
    loc = write(src, dst, columns=outputs(4))
    assert (loc.sheet_name, loc.last_col) == ("线索", 8)
    ws = openpyxl.load_workbook(dst)["线索"]
    assert [ws.cell(1, c).value for c in range(9, 13)] == ["Grade", "Score", "Grade Reason", "Next Follow-up"]
    assert ws["I2"].value == "A" and ws["J3"].value == 50.5 and ws["L4"].value == dt.datetime(2024, 6, 1)
    assert ws["H2"].value == "=F2*2"  # the user's formula
    assert ws["I1"].font.b  # the header cell takes the header row's style
    unchanged_members(src, dst, {"xl/worksheets/sheet2.xml", "xl/styles.xml"})  # sharedStrings untouched
    assert fx.cell_snapshot(src, "线索") == fx.cell_snapshot(dst, "线索", {9, 10, 11, 12})


@pytest.mark.parametrize("strip", [False, True])
def test_prefixed_and_positional_xml(tmp_path, strip):
    plain = fx.xlsxwriter_table(tmp_path / "p.xlsx")
    src = fx.prefixed(plain, tmp_path / "x.xlsx", strip_refs=strip)
    dst, ref = tmp_path / "out.xlsx", tmp_path / "ref.xlsx"
    write(src, dst, columns=outputs())
    write(plain, ref, columns=outputs())
    a = openpyxl.load_workbook(ref)["Pipeline"]
    b = openpyxl.load_workbook(dst)["Pipeline"]
    assert [[c.value for c in r] for r in a.iter_rows()] == [[c.value for c in r] for r in b.iter_rows()]
    sheet = fx.members(dst)["xl/worksheets/sheet1.xml"]
    assert b"<x:c " in sheet and b'<c r=' not in sheet  # the prefix is used for new cells too
    assert calamine_rows(dst, "Pipeline") == calamine_rows(ref, "Pipeline")


def test_macro_workbook_keeps_vba_and_ribbon(tmp_path):
    src = fx.xlsm_with_leads(tmp_path / "book.xlsm")
    dst = tmp_path / "out.xlsm"
    write(src, dst, columns=outputs())
    a, b = unchanged_members(src, dst, {"xl/worksheets/sheet3.xml", "xl/tables/table1.xml", "xl/styles.xml"})
    assert b["xl/vbaProject.bin"] == a["xl/vbaProject.bin"]
    assert b["customUI/customUI14.xml"] == a["customUI/customUI14.xml"]
    assert fx.REL_UI14.encode() in b["_rels/.rels"]
    ws = openpyxl.load_workbook(dst, keep_vba=True)["Leads"]
    assert ws["I1"].value == "Grade" and ws["I2"].value == "A"


def test_rows_absent_from_the_xml_are_created_only_with_values(tmp_path):
    import xlsxwriter

    src = tmp_path / "sparse.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Leads")
    ws.add_table(0, 0, 6, 4, {"name": "Leads", "columns": [{"header": h} for h in
                                                         ["Lead ID", "Company", "Owner", "Stage", "Created"]]})
    ws.write_row(1, 0, ["L-1", "A", "B", "Proposal"])
    ws.write_row(4, 0, ["L-4", "A", "B", "Proposal"])
    wb.close()
    dst = tmp_path / "out.xlsx"
    write(src, dst, columns=[OutputColumn("grade", "Grade", pd.Series(["A", None, "B", "C", None, "D"]), "text")])
    sheet = fx.members(dst)["xl/worksheets/sheet1.xml"]
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', sheet)]
    assert rows == [1, 2, 4, 5, 7]  # 3 and 6 get no value: not created
    ws = openpyxl.load_workbook(dst)["Leads"]
    assert [ws.cell(r, 6).value for r in range(2, 8)] == ["A", None, "B", "C", None, "D"]


def test_cells_stay_in_column_order_with_owned_columns_between(tmp_path):
    src = tmp_path / "mid.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Grade", "Company", "Score", "Owner", "Stage", "Created"])
    ws.append(["L-1", "old", "A", 1, "B", "Proposal", None])
    ws.append(["L-2", None, "C", None, "D", "Proposal", None])
    wb.save(src)
    dst = tmp_path / "out.xlsx"
    write(src, dst, columns=outputs(2)[:2])
    sheet = fx.members(dst)["xl/worksheets/sheet1.xml"].decode()
    for row in re.findall(r"<row[^>]*>(.*?)</row>", sheet):
        cols = re.findall(r'<c r="([A-Z]+)\d+"', row)
        assert cols == sorted(cols, key=lambda c: (len(c), c))
    ws = openpyxl.load_workbook(dst)["Leads"]
    assert [c.value for c in ws[2]] == ["L-1", "A", "A", 90, "B", "Proposal", None]
    assert [c.value for c in ws[3]] == ["L-2", "=1+1", "C", 50.5, "D", "Proposal", None]
    assert ws["B3"].data_type == "s"


# --------------------------------------------------------------------------- archive: deleting rows


def test_deleted_rows_move_the_table_rows_up(table_book, tmp_path):
    dst = tmp_path / "out.xlsx"
    write(table_book, dst, delete_rows=[3, 5])
    before = openpyxl.load_workbook(table_book)["Pipeline"]
    ws = openpyxl.load_workbook(dst)["Pipeline"]
    assert [ws.cell(r, 1).value for r in range(1, 5)] == ["Lead ID", "L-001", None, "L-005"]
    assert ws.tables["Leads"].ref == f"A1:J{N + 1 - 2}"
    assert ws.tables["Leads"].autoFilter.ref == f"A1:J{N + 1 - 2}"
    # below the table nothing moves (Delete Table Rows, not whole sheet rows); the total
    # still sums the (shrunk) column
    assert ws.cell(N + 4, 1).value == "Total"
    assert ws.cell(N + 4, 2).value == f"=SUM(F2:F{N + 1 - 2})"
    assert before.cell(N + 4, 2).value == f"=SUM(F2:F{N + 1})"
    assert [str(r) for r in ws.merged_cells.ranges] == [f"A{N + 6}:C{N + 6}"]
    assert ws["B2"].hyperlink.target == "https://example.com/acme"  # row 2 did not move
    assert ws.data_validations.dataValidation[0].sqref == openpyxl.worksheet.cell_range.MultiCellRange(f"D2:D{N - 1}")
    rows = calamine_rows(dst, "Pipeline")
    assert rows[3][0] == "L-005"


def test_row_deletion_helpers():
    rows = RowMap([3, 5, 6])
    assert [rows.new(r) for r in range(1, 9)] == [1, 2, None, 3, None, None, 4, 5]
    assert shift_sqref("A1:C8 D5 E6:E7 F2", rows) == "A1:C5 E4 F2"
    assert adjust_formula("SUM(B2:B8)*$A$1+B7+Other!B7+'Pipeline'!B7+B5", rows, {"pipeline"}) == \
        "SUM(B2:B5)*$A$1+B4+Other!B7+'Pipeline'!B4+#REF!"
    assert adjust_formula("[@[Deal Value]]*0.1", rows, {"pipeline"}) == "[@[Deal Value]]*0.1"


def test_column_letter_regex():
    rx = re.compile(letters_at_least(28) + r"\d")  # AB
    assert [c for c in ["A1", "AA1", "AB1", "AC1", "B1", "ZZ1", "AAA1"] if rx.fullmatch(c)] == \
        ["AB1", "AC1", "ZZ1", "AAA1"]


# --------------------------------------------------------------------------- owned sheets


def funnel_model(n: int = 3) -> SheetModel:
    frame = pd.DataFrame({"Stage": ["Prospecting", "Proposal", "Closed Won"][:n], "Reached": [10, 6, 2][:n]})
    return SheetModel("Funnel", blocks=[Block(1, 1, frame, title="Stages")],
                      charts=[Chart("Reached", 0, "Stage", "Reached", 2, 5)])


def test_owned_sheets_and_logs_are_added_then_replaced_in_place(table_book, tmp_path):
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    history = AppendRows("History", pd.DataFrame({"Lead ID": ["L-001"], "From": ["Proposal"], "To": ["Won"],
                                                  "Date": [pd.Timestamp("2026-11-20")]}), formats={"Date": "date"})
    write(table_book, once, columns=outputs(), sheets=[funnel_model()], appends=[history])
    wb = openpyxl.load_workbook(once)
    assert wb.sheetnames == ["Pipeline", "Summary", "Funnel", "History"]
    assert wb["Funnel"]["A1"].value == "Stages"
    assert wb["History"]["A2"].value == "L-001"
    members = fx.members(once)
    assert any(n.startswith("xl/charts/chart") for n in members if n not in fx.members(table_book))
    # a second run replaces Funnel in place (same parts) and appends to History
    write(once, twice, columns=outputs(), sheets=[funnel_model()], appends=[history])
    wb2 = openpyxl.load_workbook(twice)
    assert wb2.sheetnames == wb.sheetnames
    assert wb2["History"].max_row == 3
    assert list(fx.members(twice)) == list(members)
    assert fx.members(twice)["xl/worksheets/sheet3.xml"] == members["xl/worksheets/sheet3.xml"]
    rows = calamine_rows(twice, "Funnel")
    assert rows[1][:2] == ["Stage", "Reached"]


def test_replacing_a_sheet_keeps_its_sheet_pr_and_drops_a_surplus_chart(tmp_path):
    src = fx.xlsm_with_leads(tmp_path / "book.xlsm")
    calls = []

    class Stub:
        @staticmethod
        def render_sheet(model, styles, *, sheet_pr=None, date1904=False):
            from salesbook.adapters.files.render import render_sheet

            calls.append(sheet_pr)
            return render_sheet(model, styles, sheet_pr=sheet_pr)

        @staticmethod
        def render_append(existing, rows, styles, shared_strings=None, *, date1904=False):
            raise AssertionError("not used")

    model = funnel_model()
    model.name = "Sheet1"  # the xlsm's first sheet, which has a codeName
    one = tmp_path / "one.xlsm"
    write(src, one, sheets=[model], render=Stub)
    assert b'codeName="Sheet1"' in calls[0]
    assert b'codeName="Sheet1"' in fx.members(one)["xl/worksheets/sheet1.xml"]
    charts = [n for n in fx.members(one) if n.startswith("xl/charts/")]
    assert len(charts) == 1
    model.charts = []
    two = tmp_path / "two.xlsm"
    write(one, two, sheets=[model], render=Stub)
    names = fx.members(two)
    assert not [n for n in names if n.startswith(("xl/charts/", "xl/drawings/"))]
    assert b"drawing" not in names["xl/worksheets/_rels/sheet1.xml.rels"] if \
        "xl/worksheets/_rels/sheet1.xml.rels" in names else True
    assert b"/xl/charts/" not in names["[Content_Types].xml"]
    openpyxl.load_workbook(two, keep_vba=True)


# --------------------------------------------------------------------------- styles


def test_stylebook_adds_and_dedupes_without_changing_existing_ones(table_book):
    raw = fx.members(table_book)["xl/styles.xml"]
    book = StyleBook(raw)
    n = len(book.xfs.items)
    assert book.is_date_xf(book.xf(num_format="yyyy-mm-dd"))  # XlsxWriter's own date style, found
    assert not book.changed()
    a = book.xf(num_format="yyyy/mm/dd")
    assert book.xf(num_format="yyyy/mm/dd") == a and a == n
    b = book.xf(bold=True, fill_rgb="DDEBF7")
    assert b == n + 1
    assert book.is_date_xf(a) and not book.is_date_xf(b)
    assert book.with_date_format(a) == a
    c = book.with_date_format(2)  # a number style: cloned with a date format
    assert c not in (2, a) and book.is_date_xf(c)
    out = book.to_bytes()
    again = StyleBook(out)
    assert again.xf(num_format="yyyy/mm/dd") == a  # found again, not added twice
    assert again.xf(bold=True, fill_rgb="DDEBF7") == b
    assert not again.changed() and again.to_bytes() == out
    old = re.search(rb"<cellXfs[^>]*>(.*)</cellXfs>", raw, re.S).group(1)
    assert old in out


def test_date_formats():
    assert is_date_format("yyyy-mm-dd") and is_date_format('yyyy"年"m"月"d"日"') and is_date_format("d-mmm")
    assert not is_date_format("0.00E+00") and not is_date_format("h:mm") and not is_date_format('0 "days"')
    assert not is_date_format("General") and not is_date_format("#,##0")


def test_a_workbook_without_styles_gets_a_stylesheet(tmp_path):
    src = fx.xlsxwriter_table(tmp_path / "in.xlsx")
    bare = tmp_path / "bare.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/styles.xml":
                continue
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = re.sub(rb'<Relationship [^>]*styles"[^>]*/>', b"", data)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'\ss="\d+"', b"", data)
                data = re.sub(rb"<conditionalFormatting.*?</conditionalFormatting>", b"", data)
            zout.writestr(info, data)
    dst = tmp_path / "out.xlsx"
    write(bare, dst, columns=outputs())
    ws = openpyxl.load_workbook(dst)["Pipeline"]
    assert ws["N2"].is_date and ws["N2"].value == dt.datetime(2024, 5, 1)


def test_zip_entries_are_copied_raw(table_book, tmp_path):
    dst = tmp_path / "out.xlsx"
    write(table_book, dst, columns=outputs())
    with zipfile.ZipFile(table_book) as a, zipfile.ZipFile(dst) as b:
        for info in a.infolist():
            if info.filename in ("xl/worksheets/sheet1.xml", "xl/tables/table1.xml", "xl/styles.xml"):
                continue
            other = b.getinfo(info.filename)
            assert (other.CRC, other.compress_size, other.date_time) == (info.CRC, info.compress_size, info.date_time)
        assert b.testzip() is None


def test_values_read_back_equal_what_was_written(tmp_path):
    """A round trip through read_leads: the writer's output is the reader's input."""
    src = fx.xlsxwriter_table(tmp_path / "in.xlsx")
    dst = tmp_path / "out.xlsx"
    write(src, dst, columns=outputs())
    with Package.open(dst) as pkg:
        frame = read_leads(pkg, locate_leads(pkg))
    assert list(frame["Grade"].fillna("~")) == ["A", "=1+1", "~", "@SUM(A1)", " C "]
    assert list(frame["Score"].fillna("~")) == ["90", "50.5", "~", "10", "0"]
    assert list(frame["Next Follow-up"].fillna("~")) == ["2024-05-01", "~", "2024-06-01", "2024-07-01 12:00:00", "~"]
    assert np.all(frame["Lead ID"].fillna("~").to_numpy() == np.array(["L-001", "L-002", "~", "L-004", "L-005"]))


# --------------------------------------------------------------------------- odd but valid XML


def _rewrite_sheet(src, dst, edit):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            zout.writestr(info, data)
    return dst


def _formula_book(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Owner", "Stage", "Created", "Deal Value", "Tax"])
    for i in range(2, 8):
        ws.append([f"L-{i}", "A", "B", "Proposal", None, i * 100, f"=F{i}*0.1"])
    ws["I1"] = "=SUM(G2:G7)"
    wb.save(tmp_path / "f.xlsx")
    return tmp_path / "f.xlsx"


def test_shared_formulas_survive_row_deletion(tmp_path):
    plain = _formula_book(tmp_path)

    def share(data: bytes) -> bytes:
        data = data.replace(b"<f>F2*0.1</f>", b'<f t="shared" ref="G2:G7" si="0">F2*0.1</f>')
        return re.sub(rb"<f>F([3-7])\*0\.1</f>", b'<f t="shared" si="0"/>', data)

    src = _rewrite_sheet(plain, tmp_path / "shared.xlsx", share)
    assert b't="shared" si="0"/>' in fx.members(src)["xl/worksheets/sheet1.xml"]
    dst = tmp_path / "out.xlsx"
    write(src, dst, delete_rows=[2, 4])  # the master's row goes too
    ws = openpyxl.load_workbook(dst)["Leads"]
    assert [ws.cell(r, 1).value for r in range(2, 6)] == ["L-3", "L-5", "L-6", "L-7"]
    assert [ws.cell(r, 7).value for r in range(2, 6)] == ["=F2*0.1", "=F3*0.1", "=F4*0.1", "=F5*0.1"]
    assert ws["I1"].value == "=SUM(G2:G5)"
    assert ws.max_row == 5


def test_self_closing_rows_and_whitespace_between_rows(tmp_path):
    plain = _formula_book(tmp_path)

    def odd(data: bytes) -> bytes:
        data = re.sub(rb"<row r=\"4\"[^>]*>.*?</row>", b'<row r="4" ht="20" customHeight="1"/>', data, flags=re.S)
        return data.replace(b"</row><row", b"</row>\n  <row")

    src = _rewrite_sheet(plain, tmp_path / "odd.xlsx", odd)
    dst = tmp_path / "out.xlsx"
    grades = pd.Series(["A", "B", "C", None, "E", "F"])
    write(src, dst, columns=[OutputColumn("grade", "Grade", grades, "text")])
    ws = openpyxl.load_workbook(dst)["Leads"]
    assert [ws.cell(r, 8).value for r in range(2, 8)] == ["A", "B", "C", None, "E", "F"]
    assert ws.row_dimensions[4].height == 20
    assert ws["A4"].value is None and ws["H4"].value == "C"


def test_table_with_a_totals_row(tmp_path):
    import xlsxwriter

    src = tmp_path / "totals.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Leads")
    ws.add_table(0, 0, 3, 5, {"name": "Leads", "total_row": True, "columns": [
        {"header": "Lead ID", "total_string": "Total"}, {"header": "Company"}, {"header": "Owner"},
        {"header": "Stage"}, {"header": "Created"}, {"header": "Deal Value", "total_function": "sum"}]})
    ws.write_row(1, 0, ["L-1", "A", "B", "Proposal", None, 10])
    ws.write_row(2, 0, ["L-2", "C", "D", "Proposal", None, 20])
    wb.close()
    with Package.open(src) as pkg:
        loc = locate_leads(pkg)
    assert (loc.last_row, loc.table_last_row) == (3, 4)
    dst = tmp_path / "out.xlsx"
    write_workbook(src, dst, loc, columns=[OutputColumn("grade", "Grade", pd.Series(["A", "B"]), "text")])
    ws = openpyxl.load_workbook(dst)["Leads"]
    assert ws.tables["Leads"].ref == "A1:G4"
    assert [ws.cell(r, 7).value for r in range(1, 5)] == ["Grade", "A", "B", None]
    assert ws["F4"].value == openpyxl.load_workbook(src)["Leads"]["F4"].value  # the totals row as it was


def test_an_empty_table_gets_its_header(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Owner", "Stage", "Created"])
    wb.save(tmp_path / "e.xlsx")
    dst = tmp_path / "out.xlsx"
    loc = write(tmp_path / "e.xlsx", dst, columns=outputs(0))
    assert loc.last_row == 1
    ws = openpyxl.load_workbook(dst)["Leads"]
    assert [c.value for c in ws[1]] == ["Lead ID", "Company", "Owner", "Stage", "Created", "Grade", "Score",
                                        "Grade Reason", "Next Follow-up"]
    assert ws.max_row == 1


def test_many_rows_cross_block_boundaries(tmp_path, monkeypatch):
    from salesbook.adapters.files import owned_cells, stream

    monkeypatch.setattr(owned_cells, "BLOCK_ROWS", 64)
    monkeypatch.setattr(stream, "CHUNK_BYTES", 1000)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Owner", "Stage", "Created", "Grade"])
    for i in range(500):
        ws.append([f"L-{i}", "A", "B", "Proposal", None, "old" if i % 3 else None])
    wb.save(tmp_path / "m.xlsx")
    n = 500
    grade = pd.Series([f"G{i}" if i % 7 else None for i in range(n)])
    due = pd.Series(pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n), unit="D"))
    dst = tmp_path / "out.xlsx"
    write(tmp_path / "m.xlsx", dst, columns=[OutputColumn("grade", "Grade", grade, "text"),
                                             OutputColumn("next_followup", "Next Follow-up", due, "date")])
    with Package.open(dst) as pkg:
        frame = read_leads(pkg, locate_leads(pkg))
    assert list(frame["Grade"].fillna("~")) == list(grade.fillna("~"))
    assert list(frame["Next Follow-up"]) == [d.strftime("%Y-%m-%d") for d in due]
    assert list(frame["Lead ID"]) == [f"L-{i}" for i in range(n)]


def test_owned_sheets_twice_give_the_same_bytes(table_book, tmp_path):
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    cleanse = SheetModel("Cleanse", blocks=[Block(1, 1, pd.DataFrame({"Lead ID": ["L-001"], "Reason": ["stale"]}))])
    write(table_book, once, columns=outputs(), sheets=[funnel_model(), cleanse])
    write(once, twice, columns=outputs(), sheets=[funnel_model(), cleanse])
    assert once.read_bytes() == twice.read_bytes()


def test_package_writer_adds_a_part_with_its_relationship(table_book, tmp_path):
    from salesbook.adapters.files.package_writer import PackageWriter

    ui = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
    with Package.open(table_book) as pkg:
        w = PackageWriter(pkg)
        rid = w.add_part("customUI/customUI14.xml", fx.CUSTOM_UI14.encode(), "application/xml",
                         source_part="", rel_type=ui)
        w.write(tmp_path / "ui.xlsx")
    with Package.open(tmp_path / "ui.xlsx") as out:
        assert out.rels("")[rid] == (ui, "customUI/customUI14.xml")
        assert out.read("customUI/customUI14.xml") == fx.CUSTOM_UI14.encode()
        assert out.names()[-1] == "customUI/customUI14.xml"
    openpyxl.load_workbook(tmp_path / "ui.xlsx")


def test_appended_cells_go_before_cells_further_right(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Owner", "Stage", "Created"])
    ws.append(["L-1", "A", "B", "Proposal", None])
    ws.append(["L-2", "C", "D", "Proposal", None])
    ws["K1"] = "far right header"
    ws["K3"] = "=A3"
    wb.save(tmp_path / "r.xlsx")
    with Package.open(tmp_path / "r.xlsx") as pkg:
        loc = locate_leads(pkg)
    assert loc.last_col == 11  # a plain range reaches its last header cell
    loc.last_col, loc.headers = 5, loc.headers[:5]  # as if the range ended at E
    dst = tmp_path / "out.xlsx"
    write_workbook(tmp_path / "r.xlsx", dst, loc, columns=outputs(2)[:2])
    out = openpyxl.load_workbook(dst)["Leads"]
    assert [out.cell(1, c).value for c in (6, 7, 11)] == ["Grade", "Score", "far right header"]
    assert [out.cell(3, c).value for c in (6, 7, 11)] == ["=1+1", 50.5, "=A3"]
    sheet = fx.members(dst)["xl/worksheets/sheet1.xml"].decode()
    for row in re.findall(r"<row[^>]*>(.*?)</row>", sheet):
        cols = re.findall(r'<c r="([A-Z]+)\d+"', row)
        assert cols == sorted(cols, key=lambda c: (len(c), c))
