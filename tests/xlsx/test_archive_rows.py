"""Archive deletes table rows the way Excel's *Delete Table Rows* does, not whole sheet rows.

Only the cells of the table's columns on the table's rows move up; everything else on the
sheet (cells left/right of the table, cells below it, their styles and formulas) stays where it
is. Workbooks written by XlsxWriter/openpyxl, archived through the command line, read back
with openpyxl and python-calamine.
"""

from __future__ import annotations

import re
import time

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from salesbook.adapters.files.references import RowMap, adjust_formula, shift_sqref
from salesbook.adapters.files.package import Package
from salesbook.adapters.files.reader import locate_leads
from salesbook.adapters.files.writer import write_workbook
from tests.e2e.conftest import EN_HEADERS, TODAY, write_en_table
from tests.xlsx import fixtures as fx

IDS = ["L-001", "L-002", "L-003", "L-004", "L-005", "L-006", "L-007", "L-008"]  # rows 2..9
STALE = ["L-003", "L-004", "L-005"]  # rows 4, 5, 6 on TODAY
KEPT = [i for i in IDS if i not in STALE]
N_COLS = len(EN_HEADERS) + 2  # the table: A..W (inputs, "Value x2", "My Note")
DV = "N"  # Deal Value
NOTE_STYLE = Font(italic=True, color="FFC00000")


def archive(path):
    from salesbook.cli import main

    result = CliRunner().invoke(main, ["archive", str(path), "--today", TODAY.isoformat()], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Archived 3 stale leads" in result.output
    return result


@pytest.fixture
def noted(tmp_path):
    """The e2e table (A1:W9) plus what a user puts around it: styled notes right of the
    table on every lead's row (archived ones too), notes below it, formulas outside it
    pointing into it, a merged block, a hyperlink, a validation and conditional formats
    outside it, and a tall row."""
    path = write_en_table(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    for r in range(2, 10):
        ws.cell(r, 25, f"note on {ws.cell(r, 1).value}").font = NOTE_STYLE  # Y
    ws["Y11"] = "note below, right"
    ws["C13"] = "note below, in a table column"
    ws["Z3"] = f"={DV}3"  # L-002's deal value: L-002 does not move
    ws["Z7"] = f"={DV}7"  # L-006's: L-006 moves from row 7 to row 4
    ws["Z5"] = f"={DV}5"  # L-004's: L-004 is archived
    ws["Z12"] = f"=SUM({DV}2:{DV}9)"  # the whole column
    ws["Z13"] = "=Y4&Y5"  # notes right of the table: they do not move, nor does this
    ws.merge_cells("AA5:AB6")
    ws["AA5"] = "merged beside archived rows"
    ws["Y8"].hyperlink = "https://example.com/y8"
    ws["Y8"].fill = PatternFill("solid", fgColor="FFFFFF00")
    dv = DataValidation(type="list", formula1='"a,b"')
    dv.add("Y2:Y9")
    ws.add_data_validation(dv)
    green, blue = PatternFill("solid", fgColor="FF00FF00"), PatternFill("solid", fgColor="FF0000FF")
    ws.conditional_formatting.add("Y2:Y9", CellIsRule(operator="equal", formula=['"x"'], fill=green))
    ws.conditional_formatting.add(f"{DV}2:{DV}9", CellIsRule(operator="greaterThan", formula=["10000"], fill=blue))
    ws.row_dimensions[5].height = 30  # a row attribute: stays with sheet row 5
    wb.save(path)
    return path


def outside_table(ws) -> dict[str, tuple]:
    """Every cell with a value or a style that is not in the table (A1:W9): value and style."""
    return {c.coordinate: (c.value, c.font.i, c.font.color.rgb if c.font.color else None, c.fill.fgColor.rgb,
                           c.number_format)
            for row in ws.iter_rows() for c in row
            if (c.value is not None or c.has_style) and (c.row > 9 or c.column > N_COLS)}


def test_cells_outside_the_table_stay_where_they_are(noted):
    before = outside_table(openpyxl.load_workbook(noted)["Leads"])
    assert len(before) >= 16
    archive(noted)
    ws = openpyxl.load_workbook(noted)["Leads"]
    after = outside_table(ws)
    # the same cells, at the same addresses, with the same values and styles; only the
    # formulas that point into the table follow the table's cells
    moved_refs = {"Z5": "=#REF!", "Z7": f"={DV}4", "Z12": f"=SUM({DV}2:{DV}6)"}
    want = {k: (moved_refs.get(k, v[0]), *v[1:]) for k, v in before.items()}
    assert after == want
    # the archived rows' notes are still on their sheet rows, beside other leads now
    assert [ws.cell(r, 25).value for r in range(2, 10)] == [f"note on {i}" for i in IDS]
    assert ws["Y11"].value == "note below, right" and ws["C13"].value == "note below, in a table column"
    assert ws["Z3"].value == f"={DV}3"  # L-002 did not move: the formula is as it was


def test_the_table_keeps_the_other_leads_in_order(noted):
    before = openpyxl.load_workbook(noted)["Leads"]
    rows_before = {before.cell(r, 1).value: [before.cell(r, c).value for c in range(1, N_COLS + 1)]
                   for r in range(2, 10)}
    styles_before = {before.cell(r, 1).value: [before.cell(r, c).number_format for c in range(1, N_COLS + 1)]
                     for r in range(2, 10)}
    archive(noted)
    wb = openpyxl.load_workbook(noted)
    ws = wb["Leads"]
    assert ws.tables["Leads"].ref == "A1:W6" and ws.tables["Leads"].autoFilter.ref == "A1:W6"
    assert [ws.cell(r, 1).value for r in range(2, 7)] == KEPT
    for r, lead in enumerate(KEPT, start=2):
        assert [ws.cell(r, c).value for c in range(1, N_COLS + 1)] == rows_before[lead], lead
        assert [ws.cell(r, c).number_format for c in range(1, N_COLS + 1)] == styles_before[lead], lead
    # the table's columns below the kept rows are empty (the rows left at the bottom)
    assert all(ws.cell(r, c).value is None for r in range(7, 10) for c in range(1, N_COLS + 1))
    archived = wb["Archive"]
    header = [c.value for c in archived[1]]
    ids = [r[header.index("Lead ID")].value for r in archived.iter_rows(min_row=2)]
    assert ids == STALE
    # an independent reader sees the same table
    rows = CalamineWorkbook.from_path(str(noted)).get_sheet_by_name("Leads").to_python()
    assert [r[0] for r in rows[1:6]] == KEPT
    assert [r[24] for r in rows[1:9]] == [f"note on {i}" for i in IDS]


def test_formulas_ranges_and_row_attributes(noted):
    archive(noted)
    wb = openpyxl.load_workbook(noted)
    ws = wb["Leads"]
    # a formula outside the table follows the lead it points at: L-006's deal value, now on row 4
    assert ws["Z7"].value == f"={DV}4" and ws[f"{DV}4"].value == 80000 and ws["A4"].value == "L-006"
    assert ws["Z5"].value == "=#REF!"  # L-004 was archived: as Excel does when a referenced cell goes
    assert ws["Z12"].value == f"=SUM({DV}2:{DV}6)"
    assert ws["Z13"].value == "=Y4&Y5"  # references outside the table do not move
    assert [str(r) for r in ws.merged_cells.ranges] == ["AA5:AB6"]
    assert ws["AA5"].value == "merged beside archived rows"
    assert ws["Y8"].hyperlink.target == "https://example.com/y8"
    assert [str(d.sqref) for d in ws.data_validations.dataValidation] == ["Y2:Y9"]
    assert sorted(str(cf.sqref) for cf in ws.conditional_formatting) == [f"{DV}2:{DV}6", "Y2:Y9"]
    assert ws.row_dimensions[5].height == 30  # row attributes belong to the sheet row
    assert wb.defined_names["BigDeals"].attr_text == "Leads!$N$2:$N$6"  # names shrink like formulas


def test_xml_rows_are_in_order_and_renumbered(noted):
    archive(noted)
    sheet = fx.members(noted)["xl/worksheets/sheet1.xml"]
    numbers = [int(n) for n in re.findall(rb'<row r="(\d+)"', sheet)]
    assert numbers == sorted(set(numbers))
    for m in re.finditer(rb'<row r="(\d+)"[^>]*>(.*?)</row>', sheet, re.S):
        assert set(re.findall(rb'<c r="[A-Z]+(\d+)"', m.group(2))) <= {m.group(1)}


# --------------------------------------------------------------------------- file writer, directly


def write(src, dst, **kw):
    with Package.open(src) as pkg:
        loc = locate_leads(pkg)
    write_workbook(src, dst, loc, **kw)
    return loc


def test_bounded_row_map():
    rows = RowMap([3, 5, 6]).bounded(2, 4, 8)  # table columns B..D, table rows down to 8
    assert [rows.new(r) for r in range(1, 11)] == [1, 2, None, 3, None, None, 4, 5, 9, 10]
    assert shift_sqref("B2:D8 C5 E3:E7 A2:D8 B9:D12 B7:D10", rows) == "B2:D5 E3:E7 A2:D8 B9:D12 B4:D10"
    assert adjust_formula("SUM(C2:C8)+C7+A7+E7+SUM(A2:E8)+C10+SUM(7:7)+C$7", rows, {"leads"}) == \
        "SUM(C2:C5)+C4+A7+E7+SUM(A2:E8)+C10+SUM(7:7)+C$4"


def test_positional_and_prefixed_cells_split_the_same(tmp_path):
    """Cells without r (positional) and an x: prefix: the same result as plain XML."""
    plain = fx.xlsxwriter_table(tmp_path / "p.xlsx", neighbour=True)  # 'mine' right of the table on row 3
    src = fx.prefixed(plain, tmp_path / "x.xlsx", strip_refs=True)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write(plain, a, delete_rows=[3, 5])
    write(src, b, delete_rows=[3, 5])
    wa, wb_ = openpyxl.load_workbook(a)["Pipeline"], openpyxl.load_workbook(b)["Pipeline"]
    assert [[c.value for c in r] for r in wa.iter_rows()] == [[c.value for c in r] for r in wb_.iter_rows()]
    assert wa["K3"].value == "mine"  # right of the table (A:J), on a deleted row: kept
    assert [wa.cell(r, 1).value for r in range(2, 5)] == ["L-001", None, "L-005"]


def test_totals_row_moves_with_the_table_and_appended_columns(tmp_path):
    """A table B1:G6 with a totals row, notes left (A) and right (J) of it, output columns
    appended (H) in the same write: only B..H move."""
    import pandas as pd
    import xlsxwriter

    from salesbook.adapters.files.writer import OutputColumn

    src = tmp_path / "totals.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Leads")
    ws.add_table(0, 1, 5, 6, {"name": "Leads", "total_row": True, "columns": [
        {"header": "Lead ID", "total_string": "Total"}, {"header": "Company"}, {"header": "Owner"},
        {"header": "Stage"}, {"header": "Created"}, {"header": "Deal Value", "total_function": "sum"}]})
    for i in range(4):
        ws.write_row(1 + i, 1, [f"L-{i + 1}", "A", "B", "Proposal", None, 10 * (i + 1)])
        ws.write_string(1 + i, 0, f"left {i + 1}")
        ws.write_string(1 + i, 9, f"right {i + 1}")
    ws.write_string(5, 9, "right of totals")
    wb.close()
    dst = tmp_path / "out.xlsx"
    write(src, dst, delete_rows=[2, 4],
          columns=[OutputColumn("grade", "Grade", pd.Series(["A", "B", "C", "D"]), "text")])
    ws = openpyxl.load_workbook(dst)["Leads"]
    assert ws.tables["Leads"].ref == "B1:H4"
    assert [[ws.cell(r, c).value for c in (2, 7, 8)] for r in range(1, 5)] == [
        ["Lead ID", "Deal Value", "Grade"], ["L-2", 20, "B"], ["L-4", 40, "D"],
        ["Total", "=SUBTOTAL(109,[Deal Value])", None]]
    assert [ws.cell(r, 1).value for r in range(2, 6)] == ["left 1", "left 2", "left 3", "left 4"]
    assert [ws.cell(r, 10).value for r in range(2, 7)] == ["right 1", "right 2", "right 3", "right 4",
                                                         "right of totals"]
    assert all(ws.cell(r, c).value is None for r in (5, 6) for c in range(2, 9))


def test_many_rows_across_chunks(tmp_path, monkeypatch):
    """Pending rows are carried across chunk and block boundaries; every note stays put."""
    from salesbook.adapters.files import stream

    monkeypatch.setattr(stream, "CHUNK_BYTES", 1000)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Owner", "Stage", "Created"])
    n = 600
    for i in range(n):
        ws.append([f"L-{i}", "A", "B", "Proposal", None, None, f"n{i}" if i % 5 == 0 else None])
    ws.cell(n + 3, 7, "after")
    wb.save(tmp_path / "m.xlsx")
    deleted = [r for r in range(2, n + 2) if (r * 7) % 3 == 0 or r < 100]
    dst = tmp_path / "out.xlsx"
    write(tmp_path / "m.xlsx", dst, delete_rows=deleted)
    out = openpyxl.load_workbook(dst)["Leads"]
    kept = [f"L-{r - 2}" for r in range(2, n + 2) if r not in set(deleted)]
    assert [out.cell(r, 1).value for r in range(2, 2 + len(kept))] == kept
    assert out.cell(2 + len(kept), 1).value is None
    assert [out.cell(r, 7).value for r in range(2, n + 2)] == [f"n{i}" if i % 5 == 0 else None for i in range(n)]
    assert out.cell(n + 3, 7).value == "after"


@pytest.mark.slow
def test_archiving_a_quarter_of_100k_rows_is_quick(tmp_path):
    import xlsxwriter

    src = tmp_path / "big.xlsx"
    wb = xlsxwriter.Workbook(str(src), {"constant_memory": True})
    ws = wb.add_worksheet("Leads")
    headers = ["Lead ID", "Company", "Contact", "Owner", "Stage", "Deal Value", "Created", "Last Contact"]
    ws.write_row(0, 0, headers)
    n = 100_000
    for i in range(n):
        ws.write_row(i + 1, 0, [f"L-{i}", f"Co {i}", "X", "Zoe", "Proposal", i, 46000 + i % 300, 46100])
        if i % 10 == 0:
            ws.write_string(i + 1, 10, f"note {i}")
    wb.close()
    deleted = list(range(2, n + 2, 4))
    t = time.perf_counter()
    write(src, tmp_path / "out.xlsx", delete_rows=deleted)
    took = time.perf_counter() - t
    assert took < 10, took  # a few seconds on a laptop; generous for slow CI
    rows = CalamineWorkbook.from_path(str(tmp_path / "out.xlsx")).get_sheet_by_name("Leads").to_python()
    assert rows[1][0] == "L-1" and rows[n - len(deleted)][0] == f"L-{n - 1}"
    assert rows[1 + 10][10] == "note 10" and rows[1 + 20][10] == "note 20"


def test_rows_without_numbers_keep_their_places(tmp_path):
    """Rows and cells whose r is implied by their position: a table row emptied by the
    deletion is dropped, so the rows after it get explicit numbers."""
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Owner", "Stage", "Created"])
    for i in range(2, 8):
        ws.append([f"L-{i}", "A", "B", "Proposal", None])
    ws.add_table(Table(displayName="Leads", ref="A1:E7"))
    ws["A8"] = "directly below"
    ws["B9"] = "=A8"
    ws["G3"] = "right of L-3"
    wb.save(tmp_path / "plain.xlsx")
    src = fx.prefixed(tmp_path / "plain.xlsx", tmp_path / "implied.xlsx", strip_refs=True)
    assert b'<x:row r="8"' not in fx.members(src)["xl/worksheets/sheet1.xml"]
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write(tmp_path / "plain.xlsx", a, delete_rows=[3, 4])
    write(src, b, delete_rows=[3, 4])
    for path in (a, b):
        out = openpyxl.load_workbook(path)["Leads"]
        assert [out.cell(r, 1).value for r in range(1, 9)] == \
            ["Lead ID", "L-2", "L-5", "L-6", "L-7", None, None, "directly below"], path.name
        assert out["B9"].value == "=A8" and out["G3"].value == "right of L-3"
        assert out.tables["Leads"].ref == "A1:E5"


# --------------------------------------------------------------------------- notes (comments)


@pytest.fixture
def commented(tmp_path):
    """The e2e table with notes: on a lead that stays (B3, L-002), on an archived lead (N5,
    L-004), on a lead that moves up (N7, L-006 -> row 4), right of the table (Y7) and below
    it in a table column (C13)."""
    from openpyxl.comments import Comment

    path = write_en_table(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Leads"]
    for ref, text in (("B3", "stays"), (f"{DV}5", "Discount agreed"), (f"{DV}7", "moves up"),
                      ("Y7", "beside the table"), ("C13", "below the table")):
        ws[ref].comment = Comment(text, "Yan")
    wb.save(path)
    return path


def test_notes_follow_their_cells(commented):
    archive(commented)
    wb = openpyxl.load_workbook(commented)
    ws = wb["Leads"]
    notes = {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment}
    assert notes == {"B2": "Key account", "B3": "stays", f"{DV}4": "moves up", "Y7": "beside the table",
                     "C13": "below the table"}  # (B2: the e2e table's own note)
    # the note of the archived cell is not lost: it is on the lead's Archive row
    archived = wb["Archive"]
    header = [c.value for c in archived[1]]
    rows = {r[header.index("Lead ID")].value: r[header.index("Cell Notes")].value for r in archived.iter_rows(min_row=2)}
    assert rows == {"L-003": None, "L-004": "Deal Value (Yan): Discount agreed", "L-005": None}
    # the legacy VML shapes agree with the comments part (0-based rows and columns)
    vml = next(v for k, v in fx.members(commented).items() if k.endswith(".vml"))
    shapes = sorted((int(r), int(c)) for r, c in re.findall(rb"<(?:\w+:)?Row>(\d+)</(?:\w+:)?Row>\s*"
                                                             rb"<(?:\w+:)?Column>(\d+)</", vml))
    assert shapes == sorted([(1, 1), (2, 1), (3, 13), (6, 24), (12, 2)])


def test_vml_note_moves_its_row_and_anchor():
    from salesbook.adapters.files.notes import shift_comments, shift_vml

    rows = RowMap([4, 5]).bounded(1, 23, 9)
    shape = ('<v:shape id="_x0000_s{i}" type="#_x0000_t202"><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
             '<x:Anchor>14, 15, {top}, 10, 16, 15, {bottom}, 7</x:Anchor><x:Row>{row}</x:Row>'
             '<x:Column>{col}</x:Column></x:ClientData></v:shape>')
    vml = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:x="urn:schemas-microsoft-com:office:excel">'
           '<v:shapetype id="_x0000_t202"/>'
           + shape.format(i=1, top=3, bottom=6, row=4, col=13)  # N5: deleted
           + shape.format(i=2, top=5, bottom=8, row=6, col=13)  # N7: moves to N5
           + shape.format(i=3, top=5, bottom=8, row=6, col=24)  # Y7: beside the table, stays
           + shape.format(i=4, top=10, bottom=13, row=11, col=2)  # C12: below the table, stays
           + "</xml>").encode()
    out = shift_vml(vml, rows)
    assert b"_x0000_s1" not in out and out.count(b"<v:shape ") == 3
    assert shape.format(i=2, top=3, bottom=6, row=4, col=13).encode() in out
    for i, top, bottom, row, col in ((3, 5, 8, 6, 24), (4, 10, 13, 11, 2)):
        assert shape.format(i=i, top=top, bottom=bottom, row=row, col=col).encode() in out
    assert out.startswith(vml[: vml.index(b"<v:shape ")])  # everything else as it was
    comments = (b'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>A'
                b'</author></authors><commentList><comment ref="N5" authorId="0"><text><t>x</t></text></comment>'
                b'<comment ref="N7" authorId="0"><text><t>y</t></text></comment><comment ref="Y7" authorId="0">'
                b'<text><t>z</t></text></comment></commentList></comments>')
    assert shift_comments(comments, rows) == comments.replace(
        b'<comment ref="N5" authorId="0"><text><t>x</t></text></comment>', b"").replace(b'ref="N7"', b'ref="N5"')
    unmoved = RowMap([20]).bounded(1, 23, 30)
    assert shift_comments(comments, unmoved) == comments and shift_vml(vml, unmoved) == vml


# --------------------------------------------------------------------------- defined names


def test_defined_names_follow_the_table_cells():
    from salesbook.adapters.files.notes import shift_defined_names

    rows = RowMap([4, 5, 6]).bounded(1, 23, 9)  # the e2e table A1:W9, L-003..L-005 archived
    names = {
        "Shrunk": ("Leads!$N$2:$N$9", "Leads!$N$2:$N$6"),
        "Shifted": ("'Leads'!$N$7", "'Leads'!$N$4"),
        "Gone": ("Leads!$N$5", "Leads!#REF!"),
        "GoneRange": ("Leads!$B$4:$C$6", "Leads!#REF!"),
        "Beside": ("Leads!$Y$2:$Y$9", "Leads!$Y$2:$Y$9"),  # outside the table's columns: stays
        "Across": ("Leads!$A$2:$Z$9", "Leads!$A$2:$Z$9"),  # reaching outside: stays
        "Below": ("Leads!$C$12", "Leads!$C$12"),  # below the table: stays
        "Mixed": ("SUM(Leads!$N$7,Other!$N$7)&amp;\"a&lt;b\"", "SUM(Leads!$N$4,Other!$N$7)&amp;\"a&lt;b\""),
        "Bare": ("$N$7", "$N$7"),  # no sheet name: not a reference to Leads
        "Rows": ("Leads!$1:$1", "Leads!$1:$1"),
    }
    body = "".join(f'<definedName name="{n}">{old}</definedName>' for n, (old, _) in names.items())
    body += '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">Leads!$A$1:$W$9</definedName>'
    xml = (f'<?xml version="1.0"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<sheets/><definedNames>{body}</definedNames><calcPr/></workbook>').encode()
    out = shift_defined_names(xml, rows, "leads")
    for n, (old, new) in names.items():
        assert f'<definedName name="{n}">{new}</definedName>'.encode() in out, n
    # the filter range of the table, as edit_table leaves the table's autoFilter (A1:W6)
    assert b'hidden="1">Leads!$A$1:$W$6</definedName>' in out
    want = xml
    for n, (old, new) in names.items():
        want = want.replace(f">{old}<".encode(), f">{new}<".encode(), 1)
    assert out == want.replace(b">Leads!$A$1:$W$9<", b">Leads!$A$1:$W$6<")  # only the formulas changed
    assert shift_defined_names(xml, RowMap([20]).bounded(1, 23, 30), "Leads") == xml
