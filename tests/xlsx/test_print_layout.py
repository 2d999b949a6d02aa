"""Readable reports on screen and on paper: column widths fitted to the cells, headers aligned
with their numbers, and a print setup (landscape, one page wide, title rows, print area) on
Funnel, Cleanse, Check, History, Archive and Help.

The demo workbook (200 sample leads, run, check and archive) is read back with zipfile + lxml
and with openpyxl, and each sheet is printed alone to PDF by LibreOffice: the Funnel is one
page with its chart, every page of the longer sheets shows the whole width of the sheet."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from lxml import etree

from salesbook import service
from salesbook.reports.model import Block, PageSetup, SheetModel, fit_widths, header_width
from salesbook.builder.template import write_sample_workbook
from salesbook.adapters.files.printing import set_local_names, with_fit_to_page

DAY = dt.date(2026, 11, 16)
REPORTS = ["Funnel", "Cleanse", "History", "Archive", "Check", "Help"]
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
      "pr": "http://schemas.openxmlformats.org/package/2006/relationships"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """`salesbook demo` (200 leads, run), then Check Data and Archive Stale on it."""
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    write_sample_workbook(path, 200, seed=7, today=DAY)
    for command in (service.run, service.check, service.archive):
        command(path, today=DAY)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, tuple[int, str]]:
    """Sheet name -> (position among <sheet> elements, part name)."""
    wb = etree.fromstring(parts["xl/workbook.xml"])
    rels = {r.get("Id"): r.get("Target") for r in etree.fromstring(parts["xl/_rels/workbook.xml.rels"])}
    out = {}
    for i, s in enumerate(wb.find("m:sheets", NS)):
        target = rels[s.get(f"{{{NS['r']}}}id")]
        out[s.get("name")] = (i, "xl/" + target.lstrip("/").removeprefix("xl/"))
    return out


def _names(parts: dict[str, bytes]) -> dict[tuple[str, str | None], str]:
    wb = etree.fromstring(parts["xl/workbook.xml"])
    return {(d.get("name"), d.get("localSheetId")): d.text for d in wb.findall("m:definedNames/m:definedName", NS)}


# --------------------------------------------------------------------------- the file, read with zipfile + lxml


@pytest.mark.parametrize("sheet", REPORTS)
def test_print_setup_xml(demo, sheet):
    parts = _parts(demo)
    index, part = _sheet_parts(parts)[sheet]
    root = etree.fromstring(parts[part])
    assert root.find("m:sheetPr/m:pageSetUpPr", NS).get("fitToPage") == "1"
    setup = root.find("m:pageSetup", NS)
    assert setup.get("orientation") == "landscape"
    assert setup.get("fitToWidth", "1") == "1" and setup.get("fitToHeight") == "0"  # 1 is the schema's default
    children = [etree.QName(c).localname for c in root]
    assert children.index("pageSetup") == children.index("pageMargins") + 1  # CT_Worksheet order
    names = _names(parts)
    area = names[("_xlnm.Print_Area", str(index))]
    titles = names[("_xlnm.Print_Titles", str(index))]
    assert re.fullmatch(rf"'?{sheet}'?!\$A\$1:\$[A-Z]+\$\d+", area), area
    assert re.fullmatch(rf"'?{sheet}'?!\$1:\$\d", titles), titles
    # The print area reaches the last used cell (<dimension>), no further down.
    dim = root.find("m:dimension", NS).get("ref").split(":")[-1]
    last_col, last_row = re.fullmatch(r"([A-Z]+)(\d+)", dim).groups()
    area_col, area_row = re.search(r"\$([A-Z]+)\$(\d+)$", area).groups()
    assert int(area_row) == int(last_row), (area, dim)
    assert openpyxl.utils.column_index_from_string(area_col) >= openpyxl.utils.column_index_from_string(last_col)


def test_funnel_chart_lies_inside_the_print_area(demo):
    parts = _parts(demo)
    index, part = _sheet_parts(parts)["Funnel"]
    rels = etree.fromstring(parts[part.replace("worksheets/", "worksheets/_rels/") + ".rels"])
    drawing = "xl/" + next(r.get("Target") for r in rels if r.get("Type").endswith("/drawing")).removeprefix("../")
    anchor = etree.fromstring(parts[drawing]).find("xdr:twoCellAnchor", NS)
    right = int(anchor.find("xdr:to/xdr:col", NS).text)  # 0-based column where the chart ends (its left edge)
    bottom = int(anchor.find("xdr:to/xdr:row", NS).text)
    area = _names(parts)[("_xlnm.Print_Area", str(index))]
    col, row = re.search(r"\$([A-Z]+)\$(\d+)$", area).groups()
    assert right <= openpyxl.utils.column_index_from_string(col) and bottom <= int(row)
    # ... and ends where the widest tables end: the chart adds no width to the page.
    ws = openpyxl.load_workbook(demo)["Funnel"]
    assert ws.max_column == openpyxl.utils.column_index_from_string(col) == right


def test_log_print_areas_grow_with_the_appended_rows(demo):
    """The template sets History's and Archive's print area on their header; run and archive append rows."""
    wb = openpyxl.load_workbook(demo)
    for sheet in ("History", "Archive"):
        ws = wb[sheet]
        assert ws.max_row > 2
        assert ws.print_area == f"'{sheet}'!$A$1:${openpyxl.utils.get_column_letter(ws.max_column)}${ws.max_row}"


def test_sheets_the_add_in_creates_print_the_same_and_running_twice_is_once(tmp_path):
    """A workbook of the rep's own (no template sheets): Funnel, Cleanse and History are created with
    their print setup; a second run on the same day gives the same bytes (the names are replaced in place)."""
    from tests.xlsx import fixtures as fx

    path = fx.xlsxwriter_table(tmp_path / "own.xlsx")
    service.run(path, today=DAY)
    parts = _parts(path)
    names = _names(parts)
    sheets = _sheet_parts(parts)
    for sheet in ("Funnel", "Cleanse", "History"):
        index, part = sheets[sheet]
        root = etree.fromstring(parts[part])
        assert root.find("m:sheetPr/m:pageSetUpPr", NS).get("fitToPage") == "1", sheet
        assert root.find("m:pageSetup", NS).attrib == {"orientation": "landscape", "fitToWidth": "1", "fitToHeight": "0"}
        last_col, last_row = re.fullmatch(r"([A-Z]+)(\d+)", root.find("m:dimension", NS).get("ref").split(":")[-1]).groups()
        assert names[("_xlnm.Print_Area", str(index))] == f"'{sheet}'!$A$1:${last_col}${last_row}"
        assert names[("_xlnm.Print_Titles", str(index))] == f"'{sheet}'!$1:${ {'Funnel': 2, 'Cleanse': 3}.get(sheet, 1)}"
    assert names[("BigDeals", None)] == "Pipeline!$F$2:$F$6"  # the rep's own name, kept
    once = path.read_bytes()
    service.run(path, today=DAY)
    assert path.read_bytes() == once


# --------------------------------------------------------------------------- the same, read with openpyxl


@pytest.mark.parametrize("sheet", REPORTS)
def test_print_setup_as_openpyxl_reads_it(demo, sheet):
    ws = openpyxl.load_workbook(demo)[sheet]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(ws.page_setup.fitToHeight) == 0 and int(ws.page_setup.fitToWidth or 1) == 1
    assert ws.print_area and ws.print_title_rows
    first, last = (int(x) for x in re.findall(r"\d+", ws.print_title_rows))
    assert first == 1 and last == {"Funnel": 2, "Cleanse": 3, "Check": 3}.get(sheet, 1)


def test_cleanse_widths_fit_their_columns(demo):
    ws = openpyxl.load_workbook(demo)["Cleanse"]
    header = [c.value for c in ws[3]]
    width = {h: ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width for i, h in enumerate(header)}
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    companies = [r[header.index("Company")] for r in rows]
    assert width["Company"] == max(len(c) for c in companies) + 2  # the longest name, and a little room
    assert width["Lead ID"] == len("Lead ID") + 2  # the header is wider than L-0001; short headers never wrap
    assert width["Last Contact"] == len("2026-11-16") + 2
    assert width["Stale Reason"] == 60  # long reasons: capped (they overflow into the empty cells to the right)
    assert all(8 <= w <= 60 for w in width.values())


def test_headers_sit_over_their_numbers(demo):
    wb = openpyxl.load_workbook(demo)
    cleanse = {c.value: c.alignment.horizontal for c in wb["Cleanse"][3]}
    assert cleanse["Row"] == cleanse["Last Contact"] == cleanse["Unanswered"] == "right"
    assert cleanse["Company"] is None and cleanse["Stale Reason"] is None  # text: Excel's default, left
    funnel = wb["Funnel"]
    kpi = {c.value: c.alignment for c in funnel[5] if c.value}
    assert kpi["Pipeline value"].horizontal == "right" and kpi["Pipeline value"].wrap_text
    assert kpi["Bottleneck"].horizontal is None  # a stage name, text
    # A header wider than its figures wraps onto two lines, and its row is two lines tall.
    letter = next(c.column_letter for c in funnel[5] if c.value == "Sales velocity / 30 days")
    assert funnel.column_dimensions[letter].width < len("Sales velocity / 30 days")
    assert funnel.row_dimensions[5].height == 30


def test_widths_count_chinese_characters_twice():
    frame = pd.DataFrame({"公司": ["上海星辰科技有限公司", "Acme"], "Owner": ["张伟", "Kim Lee"]})
    widths = fit_widths(SheetModel("S", blocks=[Block(1, 1, frame)]))
    assert widths == {1: 20 + 2, 2: len("Kim Lee") + 2}
    assert header_width("加权管道金额") == 6 and header_width("Sales velocity / 30 days") == len("Sales velocity")


def test_model_widths_are_vectorised_over_a_big_column():
    """25k texts: widths from pandas string lengths, not a loop per cell (fast enough to time)."""
    import time

    frame = pd.DataFrame({"Reason": pd.Series([f"reason {i} " * (i % 7) for i in range(25_000)], dtype="str")})
    t = time.perf_counter()
    widths = fit_widths(SheetModel("S", blocks=[Block(1, 1, frame)]))
    assert time.perf_counter() - t < 0.5
    assert widths == {1: 60}


# --------------------------------------------------------------------------- the XML helpers


def test_fit_to_page_keeps_the_sheet_properties():
    assert with_fit_to_page(None) == b'<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
    assert with_fit_to_page(b'<sheetPr codeName="shFunnel"/>') == \
        b'<sheetPr codeName="shFunnel"><pageSetUpPr fitToPage="1"/></sheetPr>'
    assert with_fit_to_page(b'<sheetPr codeName="x"><tabColor rgb="FF0000FF"/></sheetPr>') == \
        b'<sheetPr codeName="x"><tabColor rgb="FF0000FF"/><pageSetUpPr fitToPage="1"/></sheetPr>'
    once = with_fit_to_page(b'<x:sheetPr><x:pageSetUpPr autoPageBreaks="0" fitToPage="0"/></x:sheetPr>')
    assert once == b'<x:sheetPr><x:pageSetUpPr autoPageBreaks="0" fitToPage="1"/></x:sheetPr>'
    assert with_fit_to_page(once) == once


def test_print_names_are_added_after_sheets_then_replaced_in_place():
    wb = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>'
          b'<sheet name="A" sheetId="1"/></sheets><calcPr calcId="1"/></workbook>')
    one = set_local_names(wb, 0, {"_xlnm.Print_Area": "'A'!$A$1:$B$2", "_xlnm.Print_Titles": None})
    assert one == wb.replace(b"</sheets>", b'</sheets><definedNames><definedName name="_xlnm.Print_Area" '
                                           b'localSheetId="0">\'A\'!$A$1:$B$2</definedName></definedNames>')
    two = set_local_names(one, 0, {"_xlnm.Print_Area": "'A'!$A$1:$C$9", "_xlnm.Print_Titles": "'A'!$1:$1"})
    assert two.count(b"Print_Area") == 1 and b"$C$9" in two and b"'A'!$1:$1" in two
    assert set_local_names(two, 0, {"_xlnm.Print_Area": "'A'!$A$1:$C$9", "_xlnm.Print_Titles": "'A'!$1:$1"}) == two
    other = set_local_names(two, 1, {"_xlnm.Print_Area": "'B'!$A$1:$A$1"})  # another sheet's name is its own
    assert other.count(b"Print_Area") == 2 and b'localSheetId="1"' in other


def test_a_model_without_page_setup_prints_as_before():
    from salesbook.adapters.files.render import render_sheet
    from tests.xlsx.test_render import FakeStyleBook

    frame = pd.DataFrame({"A": [1]})
    plain = render_sheet(SheetModel("S", blocks=[Block(1, 1, frame)]), FakeStyleBook()).sheet_xml
    printed = render_sheet(SheetModel("S", blocks=[Block(1, 1, frame)], page=PageSetup((1, 1))),
                           FakeStyleBook()).sheet_xml
    assert b"pageSetup" not in plain and b"<pageSetup " in printed


# --------------------------------------------------------------------------- printed by LibreOffice


def _only(src: Path, dst: Path, sheet: str) -> None:
    """A copy of the workbook with ``sheet`` alone in it (the other <sheet> entries and their
    print names removed; its own print names moved to localSheetId 0)."""
    parts = _parts(src)
    index = _sheet_parts(parts)[sheet][0]
    text = parts["xl/workbook.xml"].decode("utf-8")
    for i, el in enumerate(re.findall(r"<sheet\b[^>]*/>", text)):
        if i != index:
            text = text.replace(el, "", 1)

    def keep(m: re.Match) -> str:
        local = re.search(r'localSheetId="(\d+)"', m.group(0))
        if local is None or int(local.group(1)) != index:
            return ""
        return m.group(0).replace(local.group(0), 'localSheetId="0"')

    text = re.sub(r"<definedName\b[^>]*>[^<]*</definedName>", keep, text)
    parts["xl/workbook.xml"] = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", text).encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M)
    assert float(size.group(1)) > float(size.group(2)), f"{pdf.name} is not landscape: {size.group(0)}"
    return [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for i in range(1, count + 1)]


@pytest.fixture(scope="module")
def printed(demo, tmp_path_factory) -> dict[str, Path]:
    """Each report sheet printed alone to PDF by LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    work = tmp_path_factory.mktemp("print")
    books = []
    for sheet in REPORTS:
        books.append(work / f"{sheet}.xlsx")
        _only(demo, books[-1], sheet)
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{work / 'profile'}", "--headless", "--norestore",
                          "--convert-to", "pdf", "--outdir", str(work), *map(str, books)],
                         capture_output=True, text=True, timeout=300)
    for sheet in REPORTS:
        assert (work / f"{sheet}.pdf").exists(), run.stderr
    return {sheet: work / f"{sheet}.pdf" for sheet in REPORTS}


@pytest.mark.libreoffice
@pytest.mark.slow
def test_the_funnel_prints_on_one_page_with_its_chart(printed):
    """The funnel on the first page; the Forecast and Targets blocks from the second (a manual
    page break), under the repeated title lines."""
    pages = _pages(printed["Funnel"])
    assert len(pages) == 2, f"the Funnel printed on {len(pages)} pages"
    page = pages[0]
    for text in ("Sales funnel", "Period: all leads", "Key figures", "Conversion by stage", "By owner", "By source",
                 "Lead →",  # the right-most column of the owner and source tables (its header wraps)
                 "Leads reaching each stage"):  # the chart's title (and its source table)
        assert text in page, text
    assert page.count("Leads reaching each stage") == 2  # the table title and the chart's own title
    assert "Forecast" not in page and "Targets" not in page
    for text in ("Sales funnel", "Forecast by expected close month", "Forecast by owner", "Targets", "No targets"):
        assert text in pages[1], text


@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("sheet, first, last", [("Cleanse", "Row", "Stale Reason"), ("History", "Lead ID", "Date"),
                                                ("Archive", "Archived On", "Stale Reason"), ("Check", "Cell", "Did you"),
                                                ("Help", "salesbook — how to use", "salesbook 使用说明")])
def test_every_page_is_the_whole_width_with_the_title_rows(printed, sheet, first, last):
    """One page wide: every page starts with the title rows, from the first column to the last."""
    pages = _pages(printed[sheet])
    assert pages
    for i, page in enumerate(pages, start=1):
        assert first in page and last in page, (sheet, i)
    if sheet == "History":  # 201 rows: several pages, each with the header row
        assert len(pages) > 1
