"""Workbooks as users and other programs make them (issue 10, points 2, 3, 4 and 10).

- A sheet of the user's that bears the name of one of the add-in's sheets (Funnel, Cleanse,
  History, Check, Archive) is never touched: the command refuses, the file stays byte for byte.
  The add-in's own sheets, written before it marked them, are still recognised, and marked.
- Merged cells over the output columns of a plain range, and a merged header row, are refused
  naming the merged range.
- Archive adjusts the references other sheets (formulas, shared formulas, conditional formats,
  validations, charts) make to the Leads rows it deletes, as Excel's own row deletion does.

Every workbook is written by openpyxl or XlsxWriter (or salesbook's template, which is XlsxWriter),
run through the CLI, and read back with openpyxl, python-calamine or zipfile.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from salesbook import ribbon
from salesbook.builder.template import write_sample_workbook

from ..e2e.conftest import EN_HEADERS, EN_ROWS, TODAY, write_en_table
from ..live.conftest import actions, find, lead_rows, open_book, write_leads, xw  # noqa: F401 (fixtures)

DAY = TODAY.isoformat()
STALE_ROWS = (4, 5, 6)  # L-003, L-004 and L-005 are stale on TODAY (archive moves them)
MARKS = {"Funnel", "Cleanse", "History", "Check", "Archive"}


def plain_leads(path: Path, *, headers: list[str] = EN_HEADERS, rows=EN_ROWS) -> Path:
    """The e2e leads as a plain range (no Excel Table) on a sheet named Leads, by openpyxl."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(headers)
    for r in rows:
        ws.append(list(r) + [None] * (len(headers) - len(r)))
    wb.save(path)
    return path


def rows_of(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def marks(path: Path) -> dict[str, tuple[str, bool]]:
    """The add-in's marks among the defined names, read by openpyxl: {sheet role: (formula, hidden)}."""
    wb = openpyxl.load_workbook(path)
    return {n[len("_salesbook_"):]: (d.attr_text, bool(d.hidden))
            for n, d in wb.defined_names.items() if n.startswith("_salesbook_")}


def strip_marks(path: Path) -> None:
    """The workbook as the previous version left it: the same parts, no marks in workbook.xml."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb'<definedName name="_salesbook_\w+"[^>]*>[^<]*</definedName>', b"", data)
            z.writestr(info, data)


def assert_refused(result, path: Path, before: bytes, *phrases: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Refused: ") and path.name in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output
    for phrase in phrases:
        assert phrase in result.output, f"{phrase!r} not in {result.output!r}"
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- 2. a user's sheet of the same name


USER_SHEETS = [("Funnel", "run"), ("Cleanse", "run"), ("History", "run"), ("历史", "run"), ("Check", "check"),
               ("Archive", "archive")]
ROLE = {"历史": "History"}  # History's Chinese name: read as History when there is no History
ADD_IN_TOP = {"Funnel": "Sales funnel", "Cleanse": "Leads flagged for cleansing", "History": "Lead ID",
              "Check": "Data check", "Archive": "Archived On"}


@pytest.mark.parametrize("sheet, command", USER_SHEETS)
def test_a_users_sheet_named_like_an_add_in_sheet_is_never_touched(tmp_path, cli, sheet, command):
    path = plain_leads(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet(sheet)
    ws.append(["Quarter", "Target", "Note"])
    for q, t in (("Q1", 100), ("Q2", 120), ("Q3", 150)):
        ws.append([q, t, f"{sheet} of mine"])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    ws.add_chart(chart, "E2")
    wb.save(path)
    before = path.read_bytes()

    result = cli(command, path, "--today", DAY)
    role = ROLE.get(sheet, sheet)
    assert_refused(result, path, before, f"The sheet '{sheet}' is not salesbook's", "Rename your sheet",
                   f"salesbook will then make its own '{role}' sheet", "The workbook was not changed")

    wb = openpyxl.load_workbook(path)  # renamed as the message says: the command runs, the user's sheet stays
    wb[sheet].title = f"{sheet} (mine)"
    wb.save(path)
    assert cli(command, path, "--today", DAY).exit_code == 0
    assert rows_of(path, f"{sheet} (mine)") == [["Quarter", "Target", "Note"], ["Q1", 100.0, f"{sheet} of mine"],
                                                 ["Q2", 120.0, f"{sheet} of mine"], ["Q3", 150.0, f"{sheet} of mine"]]
    assert rows_of(path, role)[0][0] == ADD_IN_TOP[role]
    assert marks(path)[role] == (f"'{role}'!$1:$1048576", True)


def test_a_chart_sheet_named_funnel_is_refused(tmp_path, cli):
    """Not even a worksheet: adding a second 'Funnel' would make a workbook Excel cannot open."""
    path = plain_leads(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    data = wb.create_sheet("Data")
    for row in (["Q1", 1], ["Q2", 2]):
        data.append(row)
    cs = wb.create_chartsheet("Funnel")
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=2))
    cs.add_chart(chart)
    wb.save(path)
    before = path.read_bytes()
    assert_refused(cli("run", path, "--today", DAY), path, before,
                   "The sheet 'Funnel' is not salesbook's (it is a chart sheet)", "Rename your sheet")
    assert cli("run", path, "--today", DAY, "--only", "grade").exit_code == 0  # Funnel not written: no refusal


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_add_in_sheets_written_before_the_mark_are_recognised_and_marked(tmp_path, cli, language):
    """The template's sheets (XlsxWriter) and a run's, without marks, as the previous version left them."""
    path = write_sample_workbook(tmp_path / "demo.xlsx", n=80, seed=3, today=TODAY, language=language)
    assert cli("run", path, "--today", DAY).exit_code in (0, 1)
    assert set(marks(path)) == {"Funnel", "Cleanse", "History"}  # the sheets the run wrote
    strip_marks(path)
    assert marks(path) == {}
    history = rows_of(path, "History")
    later = "2026-12-20"
    for command in ("run", "check", "archive"):
        result = cli(command, path, "--today", later)
        assert result.exit_code in (0, 1), result.output
    # marked: every sheet written again (History too would be, when a stage changes)
    assert marks(path) == {s: (f"'{s}'!$1:$1048576", True) for s in MARKS - {"History"}}
    funnel, check = rows_of(path, "Funnel"), rows_of(path, "Check")
    assert later in funnel[1][0]  # the add-in's Funnel, refreshed (its note carries the day)
    assert check[0][0] == ("数据检查" if language == "zh" else "Data check") and later in check[1][0]
    assert rows_of(path, "History")[: len(history)] == history  # appended to, nothing lost
    assert rows_of(path, "Archive")[0][0] == ("归档日期" if language == "zh" else "Archived On")
    assert len(rows_of(path, "Archive")) > 1


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_the_mark_keeps_an_edited_add_in_sheet_and_follows_a_renamed_one(tmp_path, cli):
    path = plain_leads(tmp_path / "book.xlsx")
    assert cli("run", path, "--today", DAY).exit_code == 0
    wb = openpyxl.load_workbook(path)  # the user types over the add-in's Funnel: still the add-in's
    wb["Funnel"]["A1"] = "Our pipeline"
    wb["Funnel"]["A2"] = "see below"
    wb.save(path)
    assert cli("run", path, "--today", DAY).exit_code == 0
    assert rows_of(path, "Funnel")[0][0] == "Sales funnel"

    wb = openpyxl.load_workbook(path)  # renamed in Excel (the mark follows), then a Funnel of the user's own
    wb["Funnel"].title = "Funnel 2025"
    wb.defined_names["_salesbook_Funnel"].attr_text = "'Funnel 2025'!$1:$1048576"
    wb.create_sheet("Funnel").append(["Our pipeline", "by hand"])
    wb.save(path)
    before = path.read_bytes()
    assert_refused(cli("run", path, "--today", DAY), path, before, "The sheet 'Funnel' is not salesbook's")


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_live_refuses_a_users_funnel_before_writing_and_marks_its_own(tmp_path, cli, open_book):  # noqa: F811
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(10))
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Funnel").append(["Our plan", 2026])
    wb.save(path)
    book = open_book(path)
    message = ribbon.run("funnel", book=book)
    assert message.startswith("The sheet 'Funnel' is not salesbook's") and "Nothing was changed." in message
    assert [a["func"] for a in actions(book)] == ["alert"]  # nothing written

    ok = write_leads(tmp_path / "ok.xlsx", lead_rows(10))
    assert cli("run", ok, "--today", DAY).exit_code in (0, 1)  # the add-in's Funnel, by the file path ...
    strip_marks(ok)  # ... as the previous version left it
    book = open_book(ok)
    summary = ribbon.run("funnel", book=book)
    assert summary.startswith("Funnel:") and not find(book, "alert"), summary
    assert find(book, "sheetClear", "Funnel")  # the add-in's sheet, recognised by its layout, is refreshed
    added = [a["args"][:2] for a in find(book, "namesAdd")]
    assert ["_salesbook_Funnel", "='Funnel'!$1:$1048576"] in added


def test_live_archive_refuses_a_users_archive_sheet(tmp_path, open_book):  # noqa: F811
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(10), archive=[["Year", "Deals"], [2025, 41]])
    book = open_book(path)
    message = ribbon.run("archive", book=book)
    assert message.startswith("The sheet 'Archive' is not salesbook's"), message
    assert [a["func"] for a in actions(book)] == ["alert"]


# --------------------------------------------------------------------------- 3. merged cells over output columns


@pytest.mark.parametrize("merge, outputs", [
    ("V6:V9", ["Grade"]),  # over data rows of an existing output column
    ("V3:W4", []),  # over data rows where Grade and Score will be appended
    ("X1:Y1", []),  # over the header cells of appended columns
])
@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_merged_cells_over_output_columns_are_refused(tmp_path, cli, merge, outputs):
    path = plain_leads(tmp_path / "book.xlsx", headers=EN_HEADERS + outputs)
    wb = openpyxl.load_workbook(path)
    wb["Leads"].merge_cells(merge)
    wb.save(path)
    before = path.read_bytes()
    assert_refused(cli("run", path, "--today", DAY), path, before, f"Leads!{merge} is merged over the output column",
                   "Unmerge it", "then run again")

    control = plain_leads(tmp_path / "control.xlsx", headers=EN_HEADERS + outputs)
    assert cli("run", control, "--today", DAY).exit_code == 0
    wb = openpyxl.load_workbook(path)  # unmerged as the message says: each lead gets its own grade
    wb["Leads"].unmerge_cells(merge)
    wb.save(path)
    assert cli("run", path, "--today", DAY).exit_code == 0
    got, want = rows_of(path, "Leads"), rows_of(control, "Leads")
    grade = want[0].index("Grade")
    assert [r[grade] for r in got[1:9]] == [r[grade] for r in want[1:9]]
    assert len({r[grade] for r in want[4:8]}) > 1  # rows 6-9 are not all one grade


def test_archive_is_not_refused_for_merges_over_output_columns(tmp_path, cli):
    """Archive writes no output column: the merge stays the user's business."""
    path = plain_leads(tmp_path / "book.xlsx", headers=EN_HEADERS + ["Grade"])
    wb = openpyxl.load_workbook(path)
    wb["Leads"].merge_cells("V8:V9")
    wb.save(path)
    assert cli("archive", path, "--today", DAY).exit_code == 0
    assert [r[0] for r in rows_of(path, "Leads")[1:6]] == ["L-001", "L-002", "L-006", "L-007", "L-008"]


# --------------------------------------------------------------------------- 4. a merged header row


def test_a_merged_header_row_is_refused_naming_the_range(tmp_path, cli):
    """'Budget' merged over the Authority, Need and Timeline header cells (XlsxWriter, as Excel: the
    hidden cells are blank): three columns would vanish and every lead grade C."""
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Leads")
    ws.write_row(0, 0, EN_HEADERS)
    for i, r in enumerate(EN_ROWS, start=1):
        ws.write_row(i, 0, [v.isoformat() if hasattr(v, "isoformat") else v for v in r])
    ws.merge_range("J1:M1", "Budget", wb.add_format({"bold": True, "align": "center"}))
    wb.close()
    assert [c.value for c in openpyxl.load_workbook(path)["Leads"][1]][9:13] == ["Budget", None, None, None]
    before = path.read_bytes()
    for command in ("run", "check", "archive"):
        result = cli(command, path, "--today", DAY)
        assert_refused(result, path, before, "header cells Leads!J1:M1 are merged",
                       "('Budget' over columns J to M)", "columns K, L and M have no header",
                       "give each column its own header in row 1")
        assert "no problems found" not in result.output


def test_a_two_row_header_is_refused_naming_the_range(tmp_path, cli):
    """Group titles over the header (openpyxl): 'BANT' over Budget … Timeline, the others merged down."""
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    bant = range(10, 14)  # J..M
    ws.append([h if c not in bant else ("BANT" if c == 10 else None) for c, h in enumerate(EN_HEADERS, start=1)])
    ws.append([h if c in bant else None for c, h in enumerate(EN_HEADERS, start=1)])
    for r in EN_ROWS:
        ws.append(list(r))
    ws.merge_cells("J1:M1")
    for c in range(1, len(EN_HEADERS) + 1):
        if c not in bant:
            ws.merge_cells(start_row=1, start_column=c, end_row=2, end_column=c)
    wb.save(path)
    before = path.read_bytes()
    assert_refused(cli("check", path, "--today", DAY), path, before, "header cells Leads!J1:M1 are merged",
                   "('BANT' over columns J to M)")


def test_a_merged_header_that_hides_a_required_column_names_the_merge(tmp_path, cli):
    """'Stage' hidden under a merge: the refusal says why, not only that the column is missing."""
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Leads")
    ws.write_row(0, 0, EN_HEADERS)
    for i, r in enumerate(EN_ROWS, start=1):
        ws.write_row(i, 0, [v.isoformat() if hasattr(v, "isoformat") else v for v in r])
    ws.merge_range("G1:H1", "Source", None)  # Source over Stage
    wb.close()
    before = path.read_bytes()
    assert_refused(cli("run", path, "--today", DAY), path, before, "header cells Leads!G1:H1 are merged",
                   "column H has no header of its own")


# --------------------------------------------------------------------------- 10. references from other sheets


def _shared_formulas(path: Path, sheet_part: str, column: str, rows: range) -> None:
    """Turn the plain formulas of ``column`` into one shared formula group, as Excel saves them."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    first, last = rows[0], rows[-1]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == sheet_part:
                for r in rows:
                    cell = f'<c r="{column}{r}"><f>'.encode()
                    at = data.index(cell)
                    end = data.index(b"</f>", at) + 4
                    text = data[at + len(cell): end - 4]
                    new = (b'<f t="shared" ref="%s%d:%s%d" si="0">%s</f>' % (column.encode(), first, column.encode(),
                                                                            last, text)
                           if r == first else b'<f t="shared" si="0"/>')
                    data = data[: at] + f'<c r="{column}{r}">'.encode() + new + data[end:]
            z.writestr(info, data)


@pytest.mark.parametrize("make", [plain_leads, write_en_table], ids=["plain range (openpyxl)", "table (XlsxWriter)"])
def test_archive_adjusts_references_from_other_sheets_like_excel(tmp_path, cli, make):
    path = make(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    leads = wb["Leads"]
    refs = wb.create_sheet("Refs")
    for i in range(2, 10):
        refs[f"A{i - 1}"] = f"=Leads!B{i}"  # each lead's company
        refs[f"D{i - 1}"] = f"=Leads!A{i}"  # each lead's ID (made a shared formula below)
    refs["B1"] = "=SUM(Leads!N2:N9)"
    refs["C1"] = "=Leads!$A$7"
    refs["C2"] = "=COUNTA(Leads!A:A)"  # whole columns do not move
    refs["C3"] = "=Leads!A1"  # the header row stays
    refs.conditional_formatting.add("E1", FormulaRule(formula=['Leads!$A$7="L-006"'],
                                                      fill=PatternFill("solid", start_color="FFFF00")))
    dv = DataValidation(type="list", formula1="Leads!$A$2:$A$9")
    refs.add_data_validation(dv)
    dv.add("F1")
    chart = BarChart()
    chart.add_data(Reference(leads, min_col=14, min_row=1, max_row=9), titles_from_data=True)
    refs.add_chart(chart, "H2")
    wb.save(path)
    _shared_formulas(path, f"xl/worksheets/sheet{len(wb.sheetnames)}.xml", "D", range(1, 9))
    before = {r[0]: r for r in rows_of(path, "Leads")[1:]}

    result = cli("archive", path, "--today", DAY)
    assert result.exit_code == 0 and "Archived 3 stale leads" in result.output, result.output

    wb = openpyxl.load_workbook(path)
    refs = wb["Refs"]
    col_a = [refs[f"A{r}"].value for r in range(1, 9)]
    assert col_a == ["=Leads!B2", "=Leads!B3", "=Leads!#REF!", "=Leads!#REF!", "=Leads!#REF!",
                     "=Leads!B4", "=Leads!B5", "=Leads!B6"]
    assert [refs[f"D{r}"].value for r in range(1, 9)] == ["=Leads!A2", "=Leads!A3", "=Leads!#REF!", "=Leads!#REF!",
                                                          "=Leads!#REF!", "=Leads!A4", "=Leads!A5", "=Leads!A6"]
    assert refs["B1"].value == "=SUM(Leads!N2:N6)"
    assert refs["C1"].value == "=Leads!$A$4" and refs["C2"].value == "=COUNTA(Leads!A:A)"
    assert refs["C3"].value == "=Leads!A1"
    assert [r.formula for cf in refs.conditional_formatting for r in cf.rules] == [['Leads!$A$4="L-006"']]
    assert [v.formula1 for v in refs.data_validations.dataValidation] == ["Leads!$A$2:$A$6"]
    with zipfile.ZipFile(path) as z:
        chart_xml = z.read("xl/charts/chart1.xml").decode()
    assert re.findall(r"<(?:c:)?f>([^<]*)</(?:c:)?f>", chart_xml) == ["'Leads'!N1", "'Leads'!$N$2:$N$6"]

    # each reference that is left names the same lead as before (values read by calamine)
    after = rows_of(path, "Leads")
    for formula, original in zip(col_a, ["L-001", "L-002", None, None, None, "L-006", "L-007", "L-008"]):
        if original is None:
            continue
        row = int(formula.rsplit("B", 1)[1])
        assert after[row - 1][0] == original and after[row - 1][1] == before[original][1]
    assert after[3][0] == "L-006"  # Leads!A4, the lead C1 and the conditional format named


def test_archive_leaves_other_sheets_that_do_not_refer_to_leads_byte_identical(tmp_path, cli):
    path = plain_leads(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    other = wb.create_sheet("Other")
    other["A1"] = "=SUM(B1:B3)"
    other["A2"] = "Leads!A5 is only text"
    other["A3"] = "=Leads2!A5"  # another sheet whose name starts alike
    wb.create_sheet("Leads2")["A5"] = 1
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        before = {n: z.read(n) for n in ("xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml")}
    assert cli("archive", path, "--today", DAY).exit_code == 0
    with zipfile.ZipFile(path) as z:
        assert {n: z.read(n) for n in before} == before


@pytest.mark.parametrize("workbook", [
    '<workbook xmlns="M" xmlns:r="R"><sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets>'
    '<externalReferences><externalReference r:id="rId9"/></externalReferences><calcPr calcId="1"/></workbook>',
    '<workbook xmlns="M" xmlns:r="R"><sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets><definedNames/>'
    '<calcPr calcId="1"/></workbook>',
    '<x:workbook xmlns:x="M" xmlns:r="R"><x:sheets><x:sheet name="A" sheetId="1" r:id="rId1"/></x:sheets>'
    '<x:definedNames><x:definedName name="N">A!$A$1</x:definedName></x:definedNames></x:workbook>',
    '<workbook xmlns="M" xmlns:r="R"><sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets><definedNames>'
    '<definedName name="_salesbook_Funnel" hidden="1">#REF!$1:$1048576</definedName></definedNames></workbook>',
])
def test_the_mark_goes_where_the_schema_wants_it(workbook):
    """In definedNames (made after sheets and externalReferences when missing), with the workbook's
    prefix; an old mark is replaced, never doubled; a second call changes nothing."""
    import xml.etree.ElementTree as ET

    from salesbook.owned import with_mark, workbook_marks

    xml = with_mark(workbook.replace('"M"', '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
                    .encode(), "Funnel", "It's Funnel")
    root = ET.fromstring(xml)
    order = [e.tag.rsplit("}", 1)[-1] for e in root]
    assert order.index("definedNames") > order.index("sheets")
    assert "externalReferences" not in order or order.index("definedNames") > order.index("externalReferences")
    assert "calcPr" not in order or order.index("definedNames") < order.index("calcPr")
    names = [(d.get("name"), d.get("hidden"), d.text) for d in root.iter() if d.tag.endswith("definedName")]
    assert names.count(("_salesbook_Funnel", "1", "'It''s Funnel'!$1:$1048576")) == 1
    assert [n for n in names if n[0] == "_salesbook_Funnel"] == [("_salesbook_Funnel", "1", "'It''s Funnel'!$1:$1048576")]
    assert workbook_marks(xml) == {"_salesbook_Funnel": "'It''s Funnel'!$1:$1048576"}
    assert with_mark(xml, "Funnel", "It's Funnel") == xml
