"""Writing into workbooks other programs saved (issue 10, points 1, 5, 6 and 7).

Every workbook here is written by openpyxl (or salesbook's demo re-saved by openpyxl), some
then edited at the zip level the way other writers lay their packages out: a calculation
chain as Excel keeps one, a content type declared per part as LibreOffice and SheetJS do,
the Strict namespaces of Excel's "Strict Open XML Spreadsheet". What salesbook wrote is read
back with openpyxl, python-calamine and zipfile + lxml, never with salesbook's reader.

1. 1904 date system: every date written (Leads outputs, Cleanse, History, Archive) is the
   same date as in the same workbook in the 1900 system.
5. calcChain.xml: dropped with its relationship and content type when a cell it lists is
   overwritten, moved or deleted; byte-identical otherwise.
6. Content types declared per part: every part the add-in adds has a content type.
7. Strict workbooks: refused with one sentence (exit 2), the file byte-identical.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

from .corpus import GOOD_ROWS, HEADERS, TODAY, letter
from .conftest import invoke, parts

NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CT_CALC_CHAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
REL_CALC_CHAIN = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"


def rezip(src: Path, dst: Path, edit) -> Path:
    """A copy of ``src`` whose parts are passed through ``edit(name, data) -> data | None``
    (None drops the part); entries keep their order."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def openpyxl_book(path: Path, *, epoch=None, grade_formulas: bool = False, deal_formulas: tuple[int, ...] = (),
                  notes_formula: bool = False) -> Path:
    """The corpus leads in an Excel Table, written by openpyxl. ``grade_formulas``: a Grade
    column (an output column) of formulas; ``deal_formulas``: sheet rows whose Deal Value is a
    formula; ``notes_formula``: a second sheet with a formula."""
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.title = "Leads"
    headers = HEADERS + (["Grade"] if grade_formulas else [])
    ws.append(headers)
    for row in GOOD_ROWS:
        ws.append(list(row) + (['=IF(1,"?","")'] if grade_formulas else []))
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.is_date:
                cell.number_format = "yyyy-mm-dd"
    deal = HEADERS.index("Deal Value") + 1
    for r in deal_formulas:
        ws.cell(r, deal).value = f"={ws.cell(r, deal).value}*1"
    ws.add_table(Table(displayName="Leads", ref=f"A1:{letter(len(headers) - 1)}{len(GOOD_ROWS) + 1}"))
    if notes_formula:
        wb.create_sheet("Notes")["A1"] = "=1+1"
    wb.save(path)
    return path


# --------------------------------------------------------------------------- 1. the 1904 date system


def sheet_values(path: Path) -> dict[str, list[list]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def dates_in(rows: list[list]) -> list:
    return [v for r in rows for v in r if isinstance(v, (dt.date, dt.datetime))]


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_1904_workbook_gets_the_same_dates_as_a_1900_one(tmp_path):
    """run then archive on the same leads saved by openpyxl in each date system: every
    sheet reads the same in both (openpyxl applies each book's epoch), and the added
    sheets do hold dates (Next Follow-up, Cleanse, History, Archived On)."""
    books = {}
    for name, epoch in (("b1900", None), ("b1904", CALENDAR_MAC_1904)):
        book = openpyxl_book(tmp_path / f"{name}.xlsx", epoch=epoch)
        assert invoke("run", book, "--today", TODAY).exit_code == 0
        assert invoke("archive", book, "--today", TODAY).exit_code == 0
        books[name] = book
    with zipfile.ZipFile(books["b1904"]) as z:
        assert re.search(rb'date1904="(1|true)"', z.read("xl/workbook.xml"))
    old, new = sheet_values(books["b1900"]), sheet_values(books["b1904"])
    assert list(new) == list(old) == ["Leads", "Cleanse", "Funnel", "History", "Archive"]
    for sheet in old:
        assert new[sheet] == old[sheet], f"sheet {sheet} differs between the 1900 and the 1904 workbook"
    leads = new["Leads"]
    follow = leads[0].index("Next Follow-up")
    assert {r[follow] for r in leads[1:]} >= {dt.datetime(2026, 11, 25)}  # L-006's Scheduled date
    for sheet in ("Cleanse", "History", "Archive"):
        assert dates_in(new[sheet]), f"no dates on {sheet}"
    assert new["Archive"][1][0] == dt.datetime.combine(TODAY, dt.time())  # Archived On
    # python-calamine (Rust, its own 1904 handling) agrees on the written dates
    cal = CalamineWorkbook.from_path(str(books["b1904"])).get_sheet_by_name("Archive").to_python()
    assert cal[1][0] == TODAY


def test_date1904_true_is_the_1904_system_too(tmp_path):
    """``date1904="true"`` (xsd:boolean's other spelling) is read like ``"1"``."""
    pc = openpyxl_book(tmp_path / "pc.xlsx")
    mac = rezip(openpyxl_book(tmp_path / "src.xlsx", epoch=CALENDAR_MAC_1904), tmp_path / "mac.xlsx",
                lambda n, d: d.replace(b'date1904="1"', b'date1904="true"') if n == "xl/workbook.xml" else d)
    assert b'date1904="true"' in parts(mac)["xl/workbook.xml"]
    for book in (pc, mac):
        assert invoke("run", book, "--only", "followup", "--today", TODAY).exit_code == 0
    assert openpyxl.load_workbook(mac).epoch == CALENDAR_MAC_1904
    assert sheet_values(mac)["Leads"] == sheet_values(pc)["Leads"]
    assert dates_in(sheet_values(mac)["Leads"])


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_demo_resaved_in_1904_keeps_next_followup(tmp_path):
    """The issue's repro: the demo, re-saved by openpyxl with the 1904 epoch, then run."""
    demo = tmp_path / "demo.xlsx"
    assert invoke("demo", demo, "--leads", 40, "--today", "2026-03-10").exit_code == 0
    wb = openpyxl.load_workbook(demo)
    wb.epoch = CALENDAR_MAC_1904
    mac = tmp_path / "mac.xlsx"
    wb.save(mac)
    shutil.copy(demo, tmp_path / "pc.xlsx")
    for name in ("pc.xlsx", "mac.xlsx"):
        assert invoke("run", tmp_path / name, "--today", "2026-03-10").exit_code == 0
    pc, mac_wb = openpyxl.load_workbook(tmp_path / "pc.xlsx"), openpyxl.load_workbook(mac)
    assert mac_wb.epoch == CALENDAR_MAC_1904
    col = [c.value for c in pc["Leads"][1]].index("Next Follow-up") + 1
    got = [mac_wb["Leads"].cell(r, col).value for r in range(2, 42)]
    assert got == [pc["Leads"].cell(r, col).value for r in range(2, 42)]
    assert all(d is None or dt.datetime(2025, 1, 1) < d < dt.datetime(2027, 1, 1) for d in got)
    assert any(got)


# --------------------------------------------------------------------------- 5. calcChain.xml


def with_calc_chain(src: Path, dst: Path, cells: list[tuple[int, str]]) -> Path:
    """``src`` with an xl/calcChain.xml listing ``cells`` ((sheetId, ref)), its relationship
    and its content type, as Excel saves one."""
    entries, last = [], None
    for sheet_id, ref in cells:
        entries.append(f'<c r="{ref}"' + (f' i="{sheet_id}"' if sheet_id != last else "") + "/>")
        last = sheet_id
    chain = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             + "".join(entries) + "</calcChain>").encode()

    def edit(name, data):
        if name == "xl/_rels/workbook.xml.rels":
            rel = f'<Relationship Id="rIdCalc" Type="{REL_CALC_CHAIN}" Target="calcChain.xml"/>'
            return data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
        if name == "[Content_Types].xml":
            ov = f'<Override PartName="/xl/calcChain.xml" ContentType="{CT_CALC_CHAIN}"/>'
            return data.replace(b"</Types>", ov.encode() + b"</Types>")
        return data

    rezip(src, dst, edit)
    with zipfile.ZipFile(dst, "a") as z:
        z.writestr("xl/calcChain.xml", chain)
    return dst


def chain_state(path: Path) -> tuple[bytes | None, bool, bool]:
    """(calcChain.xml, has its relationship, has its Override), read with zipfile + lxml."""
    p = parts(path)
    rels = etree.fromstring(p["xl/_rels/workbook.xml.rels"])
    has_rel = any(r.get("Type") == REL_CALC_CHAIN for r in rels.iter(f"{{{NS_PR}}}Relationship"))
    types = etree.fromstring(p["[Content_Types].xml"])
    has_ct = any(o.get("PartName") == "/xl/calcChain.xml" for o in types.iter(f"{{{NS_CT}}}Override"))
    return p.get("xl/calcChain.xml"), has_rel, has_ct


def formula_cells(path: Path, sheet: str) -> set[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"}


DEAL = letter(HEADERS.index("Deal Value"))
GRADE = letter(len(HEADERS))  # the Grade column the formula book adds right of the inputs


def test_calc_chain_goes_when_run_overwrites_formula_cells(tmp_path):
    book = openpyxl_book(tmp_path / "src.xlsx", grade_formulas=True, deal_formulas=(3,), notes_formula=True)
    chained = with_calc_chain(book, tmp_path / "book.xlsx",
                              [(1, f"{GRADE}{r}") for r in range(2, 8)] + [(1, f"{DEAL}3"), (2, "A1")])
    before = parts(chained)
    assert invoke("run", chained, "--today", TODAY).exit_code == 0
    assert chain_state(chained) == (None, False, False)
    after = parts(chained)
    assert "xl/calcChain.xml" not in after
    # the formulas the run did not own are still there, the Grade cells hold grades
    assert formula_cells(chained, "Leads") == {f"{DEAL}3"}
    assert formula_cells(chained, "Notes") == {"A1"}
    rows = CalamineWorkbook.from_path(str(chained)).get_sheet_by_name("Leads").to_python()
    assert {r[len(HEADERS)] for r in rows[1:]} <= {"A", "B", "C", "D"}
    # every other part of the original is untouched
    for name in ("xl/worksheets/sheet2.xml", "xl/theme/theme1.xml", "docProps/core.xml"):
        assert after[name] == before[name]


def test_calc_chain_stays_byte_identical_when_no_listed_cell_changes(tmp_path):
    book = openpyxl_book(tmp_path / "src.xlsx", deal_formulas=(2, 3, 7), notes_formula=True)
    chained = with_calc_chain(book, tmp_path / "book.xlsx",
                              [(1, f"{DEAL}2"), (1, f"{DEAL}3"), (1, f"{DEAL}7"), (2, "A1")])
    chain = parts(chained)["xl/calcChain.xml"]
    assert invoke("run", chained, "--today", TODAY).exit_code == 0
    assert chain_state(chained) == (chain, True, True)
    assert formula_cells(chained, "Leads") == {f"{DEAL}2", f"{DEAL}3", f"{DEAL}7"}  # what the chain lists


def test_calc_chain_goes_when_archive_moves_a_listed_cell(tmp_path):
    """archive deletes rows 4 and 5 (L-003, L-004): the formula on row 7 moves up to row 5."""
    book = openpyxl_book(tmp_path / "src.xlsx", deal_formulas=(2, 7))
    chained = with_calc_chain(book, tmp_path / "book.xlsx", [(1, f"{DEAL}2"), (1, f"{DEAL}7")])
    result = invoke("archive", chained, "--today", TODAY)
    assert result.exit_code == 0 and "Archived 2" in result.output
    assert chain_state(chained) == (None, False, False)
    assert formula_cells(chained, "Leads") == {f"{DEAL}2", f"{DEAL}5"}


def test_calc_chain_stays_when_archive_moves_no_listed_cell(tmp_path):
    """Formulas above the archived rows and on another sheet stay where they are."""
    book = openpyxl_book(tmp_path / "src.xlsx", deal_formulas=(2, 3), notes_formula=True)
    chained = with_calc_chain(book, tmp_path / "book.xlsx", [(1, f"{DEAL}2"), (1, f"{DEAL}3"), (2, "A1")])
    chain = parts(chained)["xl/calcChain.xml"]
    result = invoke("archive", chained, "--today", TODAY)
    assert result.exit_code == 0 and "Archived 2" in result.output
    assert chain_state(chained) == (chain, True, True)
    assert formula_cells(chained, "Leads") == {f"{DEAL}2", f"{DEAL}3"}


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_calc_chain_goes_when_a_listed_cell_is_on_a_rerendered_sheet(tmp_path):
    """The demo (written by XlsxWriter) with a chain listing a Settings cell: kept by a run,
    which leaves Settings alone; with a Funnel cell too: dropped, as the Funnel is rewritten."""
    demo = tmp_path / "demo.xlsx"
    assert invoke("demo", demo, "--leads", 30, "--today", "2026-03-10").exit_code == 0
    ids = {s.get("name"): int(s.get("sheetId"))
           for s in etree.fromstring(parts(demo)["xl/workbook.xml"]).iter("{*}sheet")}
    kept = with_calc_chain(demo, tmp_path / "kept.xlsx", [(ids["Settings"], "B3")])
    chain = parts(kept)["xl/calcChain.xml"]
    assert invoke("run", kept, "--today", "2026-03-10").exit_code == 0
    assert chain_state(kept) == (chain, True, True)
    dropped = with_calc_chain(demo, tmp_path / "dropped.xlsx", [(ids["Settings"], "B3"), (ids["Funnel"], "B2")])
    assert invoke("run", dropped, "--today", "2026-03-10").exit_code == 0
    assert chain_state(dropped) == (None, False, False)
    assert openpyxl.load_workbook(dropped).sheetnames == openpyxl.load_workbook(kept).sheetnames


# --------------------------------------------------------------------------- 6. content types per part


def per_part_content_types(src: Path, dst: Path) -> Path:
    """``src`` with no Default for 'rels' and 'xml': an Override for every part instead
    (the layout of SheetJS' LONumbers.xlsx, which LibreOffice wrote)."""
    names = list(parts(src))
    guess = {"xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"}

    def edit(name, data):
        if name != "[Content_Types].xml":
            return data
        types = etree.fromstring(data)
        declared = {o.get("PartName").lstrip("/"): o.get("ContentType")
                    for o in types.iter(f"{{{NS_CT}}}Override")}
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', f'<Types xmlns="{NS_CT}">']
        for d in types.iter(f"{{{NS_CT}}}Default"):
            if d.get("Extension") not in ("rels", "xml"):
                out.append(etree.tostring(d).decode())
        for n in names:
            if n.endswith(".rels"):
                ct = CT_RELS
            else:
                ct = declared.get(n) or guess.get(n)
            if ct:
                out.append(f'<Override PartName="/{n}" ContentType="{ct}"/>')
        out.append("</Types>")
        return "".join(out).encode()

    return rezip(src, dst, edit)


def content_type(p: dict[str, bytes], part: str) -> str | None:
    types = etree.fromstring(p["[Content_Types].xml"])
    for o in types.iter(f"{{{NS_CT}}}Override"):
        if o.get("PartName").lstrip("/").lower() == part.lower():
            return o.get("ContentType")
    ext = part.rsplit(".", 1)[-1].lower()
    for d in types.iter(f"{{{NS_CT}}}Default"):
        if d.get("Extension").lower() == ext:
            return d.get("ContentType")
    return None


def test_every_added_part_has_a_content_type_when_types_are_declared_per_part(tmp_path):
    book = per_part_content_types(openpyxl_book(tmp_path / "src.xlsx"), tmp_path / "book.xlsx")
    before = parts(book)
    assert all(content_type(before, n) for n in before if n != "[Content_Types].xml")
    assert content_type(before, "xl/_rels/workbook.xml.rels") == CT_RELS and b'Extension="rels"' not in \
        before["[Content_Types].xml"]
    assert invoke("run", book, "--today", TODAY).exit_code == 0
    assert invoke("archive", book, "--today", TODAY).exit_code == 0
    after = parts(book)
    added = [n for n in after if n not in before]
    assert any(n.startswith("xl/drawings/_rels/") for n in added)  # the Funnel chart's relationships
    assert any(n.startswith("xl/worksheets/_rels/") for n in added)  # the Funnel sheet's relationships
    missing = [n for n in after if n != "[Content_Types].xml" and content_type(after, n) is None]
    assert not missing, f"parts without a content type: {missing}"
    for n in added:
        if n.endswith(".rels"):
            assert content_type(after, n) == CT_RELS
        elif n.startswith("xl/drawings/"):
            assert content_type(after, n) == "application/vnd.openxmlformats-officedocument.drawing+xml"
        elif n.startswith("xl/charts/"):
            assert content_type(after, n) == "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
    # no Override names a part that is not there
    types = etree.fromstring(after["[Content_Types].xml"])
    assert {o.get("PartName").lstrip("/") for o in types.iter(f"{{{NS_CT}}}Override")} <= set(after)
    wb = openpyxl.load_workbook(book)  # openpyxl finds the chart through these parts
    assert wb.sheetnames == ["Leads", "Cleanse", "Funnel", "History", "Archive"]
    assert len(wb["Funnel"]._charts) == 1


# --------------------------------------------------------------------------- 7. Strict workbooks


TO_STRICT = [
    (b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
     b"http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
     b"http://purl.oclc.org/ooxml/officeDocument/relationships"),
    (b"http://schemas.openxmlformats.org/drawingml/2006/main", b"http://purl.oclc.org/ooxml/drawingml/main"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
     b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
     b"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"),
]


def strict_book(src: Path, dst: Path, *, iso_dates: bool = False) -> Path:
    """``src`` in the Strict conformance: purl.oclc.org namespaces and relationship types,
    ``conformance="strict"`` on the workbook; ``iso_dates``: date cells as ISO 8601 text
    (``t="d"``), which Strict allows."""
    def edit(name, data):
        if not name.endswith((".xml", ".rels")):
            return data
        for old, new in TO_STRICT:
            data = data.replace(old, new)
        if name == "xl/workbook.xml":
            data = re.sub(rb"<workbook\b", b'<workbook conformance="strict"', data, count=1)
        if iso_dates and name == "xl/worksheets/sheet1.xml":
            def iso(m):
                day = dt.date(1899, 12, 30) + dt.timedelta(days=int(m.group(2)))
                return m.group(1) + b' t="d"><v>' + day.isoformat().encode() + b"</v>"
            data = re.sub(rb'(<c r="[M-U]\d+" s="\d+") t="n"><v>(\d+)</v>', iso, data)
        return data

    return rezip(src, dst, edit)


@pytest.mark.parametrize("iso_dates", [False, True], ids=["serial-dates", "iso-dates"])
@pytest.mark.parametrize("command", [("run",), ("archive",), ("check",), ("check", "--output", "out.xlsx"),
                                     ("run", "--output", "out.xlsx")])
def test_strict_workbook_is_refused_untouched(tmp_path, command, iso_dates):
    book = strict_book(openpyxl_book(tmp_path / "src.xlsx"), tmp_path / "book.xlsx", iso_dates=iso_dates)
    root = etree.fromstring(parts(book)["xl/workbook.xml"])
    assert root.get("conformance") == "strict" and root.nsmap[None] == "http://purl.oclc.org/ooxml/spreadsheetml/main"
    if iso_dates:  # python-calamine reads the Strict book and its ISO dates
        assert parts(book)["xl/worksheets/sheet1.xml"].count(b' t="d"') >= 12
        rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Leads").to_python()
        assert rows[1][HEADERS.index("Created")] == GOOD_ROWS[0][HEADERS.index("Created")]
    before = book.read_bytes()
    args = [a if a != "out.xlsx" else tmp_path / a for a in command]
    result = invoke(args[0], book, *args[1:], "--today", TODAY)
    assert result.exit_code == 2
    assert "book.xlsx is saved as a Strict Open XML Spreadsheet" in result.output
    assert "Save As > Excel Workbook (*.xlsx)" in result.output
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "src.xlsx"]  # no output, no temp file
