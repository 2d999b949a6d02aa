"""Workbooks for the file adapter's tests, built in code by other writers than ours
(XlsxWriter, openpyxl, and hand edits of their XML), and helpers to compare them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

LEAD_HEADERS = ["Lead ID", "Company", "Owner", "Stage", "Budget", "Deal Value", "Created", "Last Contact"]

LEAD_ROWS = [
    ["L-001", "Acme", "Ann", "Proposal", "Confirmed", 45000, dt.date(2024, 1, 2), dt.datetime(2024, 3, 1, 9, 30)],
    ["L-002", "Beta & Co <Ltd>", "Bob", "Qualification", "None", 1.5, dt.date(2024, 2, 3), None],
    None,  # a blank row inside the table
    ["L-004", "Delta", "Cy", "Negotiation", None, 2, dt.date(2024, 3, 4), dt.date(2024, 4, 5)],
    ["L-005", "Echo", "Di", "Closed Won", "Pending", 0, dt.date(2024, 4, 5), None],
]

XLWINGS_XLSM = Path(__import__("xlwings").__file__).parent / "quickstart_standalone.xlsm"

CUSTOM_UI14 = (
    '<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon><tabs>'
    '<tab id="salesbook" label="Sales"><group id="g" label="Leads">'
    '<button id="grade" label="Grade Leads" onAction="OnGrade"/></group></tab></tabs></ribbon></customUI>'
)
REL_UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


def tiny_png() -> bytes:
    """A 1x1 PNG (for an image on a sheet)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def xlsxwriter_table(path: Path, *, with_outputs: bool = False, neighbour: bool = False) -> Path:
    """An Excel Table 'Leads' on sheet 'Pipeline' with user columns, formulas, styles,
    comments, hyperlinks, validation, conditional formats, a defined name, a merged
    cell below the table, a second sheet with a chart and an image."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Pipeline")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money = wb.add_format({"num_format": "#,##0", "bold": True})
    yellow = wb.add_format({"bg_color": "#FFFF00"})
    headers = LEAD_HEADERS + ["Notes", "Tax"]
    if with_outputs:
        headers += ["Grade", "Score", "Next Follow-up"]
    n = len(LEAD_ROWS)
    columns = [{"header": h} for h in headers]
    columns[headers.index("Tax")]["formula"] = "=[@[Deal Value]]*0.1"
    follow_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    if with_outputs:
        columns[headers.index("Grade")]["format"] = yellow
        columns[headers.index("Next Follow-up")]["format"] = follow_fmt
    ws.add_table(0, 0, n, len(headers) - 1, {"name": "Leads", "columns": columns, "style": "Table Style Medium 2"})
    for i, row in enumerate(LEAD_ROWS, start=1):
        if row is None:
            continue
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(i, j, v, dt_fmt)
            elif isinstance(v, dt.date):
                ws.write_datetime(i, j, v, date_fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, v, money)
            else:
                ws.write_string(i, j, v)
        ws.write_string(i, len(LEAD_HEADERS), f"note {i}")
        if with_outputs:
            ws.write_string(i, headers.index("Grade"), "Z", yellow)
            ws.write_blank(i, headers.index("Next Follow-up"), None, follow_fmt)
    ws.write_url(1, 1, "https://example.com/acme", string="Acme")
    ws.write_comment(2, 0, "a comment on L-002")
    ws.data_validation(1, 3, n, 3, {"validate": "list", "source": ["Proposal", "Qualification", "Negotiation",
                                                                   "Closed Won"]})
    ws.conditional_format(1, 5, n, 5, {"type": "cell", "criteria": ">", "value": 10, "format": yellow})
    ws.write_string(n + 3, 0, "Total")
    ws.write_formula(n + 3, 1, f"=SUM(F2:F{n + 1})", money, 45003.5)
    ws.merge_range(n + 5, 0, n + 5, 2, "merged below", None)
    if neighbour:
        ws.write_string(2, len(headers), "mine")
    ws.freeze_panes(1, 0)
    wb.define_name("BigDeals", f"=Pipeline!$F$2:$F${n + 1}")
    other = wb.add_worksheet("Summary")
    other.write_row(0, 0, ["Stage", "Count"])
    other.write_row(1, 0, ["Proposal", 3])
    other.write_row(2, 0, ["Won", 1])
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"categories": "=Summary!$A$2:$A$3", "values": "=Summary!$B$2:$B$3"})
    other.insert_chart("D2", chart)
    png = path.with_suffix(".png")
    png.write_bytes(tiny_png())
    other.insert_image("D20", str(png))
    wb.close()
    png.unlink()
    return path


def openpyxl_plain_zh(path: Path) -> Path:
    """A plain range with Chinese headers on sheet '线索' (shared strings, as openpyxl writes)."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "说明"
    first["A1"] = "这是说明页"
    ws = wb.create_sheet("线索")
    headers = ["线索编号", "公司", "负责人", "阶段", "预算", "金额", "创建日期", "备注"]
    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.append(["Z-1", "甲公司", "张三", "提案/报价", "明确", 1000, dt.date(2024, 5, 6), "=1+1"])
    ws.append(["Z-2", "乙公司", "李四", "谈判", "None", 2.5, dt.date(2024, 6, 7), None])
    ws.append([None] * 8)
    ws.append(["Z-4", "丙公司", "王五", "成交", None, None, None, "last"])
    ws["H2"] = "=F2*2"
    ws["H2"].number_format = "0.00"
    ws.append([None] * 8)  # trailing blank rows
    ws.append([None] * 8)
    wb.save(path)
    return path


def prefixed(src: Path, dst: Path, *, strip_refs: bool = False) -> Path:
    """A copy whose worksheets use an 'x:' prefix for the main namespace (as some
    writers do); with ``strip_refs`` rows and cells lose their r attributes."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", info.filename):
                data = _prefix_sheet(data, strip_refs)
            zout.writestr(info, data)
    return dst


def _prefix_sheet(data: bytes, strip_refs: bool) -> bytes:
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    data = data.replace(b'xmlns="' + main + b'"', b'xmlns:x="' + main + b'"', 1)
    data = re.sub(rb"<(/?)([A-Za-z][\w]*)(?=[\s/>])", lambda m: b"<" + m.group(1) + b"x:" + m.group(2), data)
    if strip_refs:
        data = _strip_implied_refs(data)
    return data


def _strip_implied_refs(data: bytes) -> bytes:
    """Drop r attributes that the position implies (row after row, cell after cell)."""
    from salesbook.cells import col_index

    prev_row = 0

    def row(m: re.Match) -> bytes:
        nonlocal prev_row
        tag, body = m.group(1), m.group(2)
        n = int(re.search(rb'\sr="(\d+)"', tag).group(1))
        if n == prev_row + 1:
            tag = re.sub(rb'\sr="\d+"', b"", tag)
        prev_row = n
        prev_col = 0

        def cell(c: re.Match) -> bytes:
            nonlocal prev_col
            col = col_index(c.group(2).decode())
            out = c.group(1) + c.group(3) if col == prev_col + 1 else c.group(0)
            prev_col = col
            return out

        body = re.sub(rb'(<x:c)\sr="([A-Z]+)\d+"([^>]*>)', cell, body)
        return tag + body + b"</x:row>"

    return re.sub(rb"(<x:row\b[^>]*>)(.*?)</x:row>", row, data, flags=re.S)


def xlsm_with_leads(path: Path) -> Path:
    """xlwings' macro workbook plus a Leads table (added by openpyxl, which drops the
    customUI14 relationship) and then a ribbon part with its relationship put back."""
    import openpyxl
    from openpyxl.worksheet.table import Table

    tmp = path.with_name(path.stem + "-tmp.xlsm")
    shutil.copy(XLWINGS_XLSM, tmp)
    wb = openpyxl.load_workbook(tmp, keep_vba=True)
    ws = wb.create_sheet("Leads")
    ws.append(LEAD_HEADERS)
    for row in LEAD_ROWS:
        ws.append(row if row is not None else [None] * len(LEAD_HEADERS))
    for cell in ws["G"][1:]:
        cell.number_format = "yyyy-mm-dd"
    ws.add_table(Table(displayName="Leads", ref=f"A1:H{len(LEAD_ROWS) + 1}"))
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "_rels/.rels":
                rel = f'<Relationship Id="rIdUI14" Type="{REL_UI14}" Target="customUI/customUI14.xml"/>'
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            zout.writestr(info, data)
        zout.writestr("customUI/customUI14.xml", CUSTOM_UI14)
    tmp.unlink()
    return path


# --------------------------------------------------------------------------- comparisons


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def cell_snapshot(path: Path, sheet: str, skip_cols: set[int] = frozenset()) -> dict:
    """Every cell's value, number format, font and fill, as openpyxl reads them."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    out = {}
    for row in ws.iter_rows():
        for c in row:
            if c.column in skip_cols or (c.value is None and not c.has_style):
                continue
            out[c.coordinate] = (c.value, c.number_format, c.font.b, c.fill.fgColor.rgb)
    return out
