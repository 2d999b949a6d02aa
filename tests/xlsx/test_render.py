"""Rendering sheet models and log appends as SpreadsheetML, checked through real files.

Each test assembles a minimal .xlsx around the rendered parts (see ``build_xlsx``)
and reads it back with openpyxl and python-calamine; charts are checked as XML and,
when LibreOffice is installed, by converting the file headless.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

from salesbook.reports.model import FORMATS, AppendRows, Block, Chart, SheetModel
from salesbook.adapters.files.append import render_append
from salesbook.adapters.files.ooxml import NS_CHART, NS_MAIN, NS_XDR
from salesbook.adapters.files.render import render_sheet

C = f"{{{NS_CHART}}}"
M = f"{{{NS_MAIN}}}"


# --------------------------------------------------------------------------- fixtures


class FakeStyleBook:
    """Hands out cellXfs indexes (0 is the default style) and writes a matching styles.xml."""

    def __init__(self):
        self.calls: list[dict] = []
        self.keys: list[tuple] = []

    def xf(self, *, num_format=None, bold=False, size=None, fill_rgb=None, font_rgb=None, wrap=False,
           halign=None, base=None) -> int:
        key = (num_format, bold, size, fill_rgb, font_rgb, wrap, halign)
        self.calls.append(dict(num_format=num_format, bold=bold, size=size, fill_rgb=fill_rgb))
        if key not in self.keys:
            self.keys.append(key)
        return self.keys.index(key) + 1

    def styles_xml(self) -> bytes:
        formats = sorted({k[0] for k in self.keys if k[0]})
        fmt_id = {code: 164 + i for i, code in enumerate(formats)}
        num_fmts = "".join(f'<numFmt numFmtId="{fmt_id[c]}" formatCode="{_attr(c)}"/>' for c in formats)
        fonts = ['<font><sz val="11"/><name val="Calibri"/></font>']
        fills = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
        for num_format, bold, size, fill_rgb, font_rgb, wrap, halign in self.keys:
            color = f'<color rgb="FF{font_rgb}"/>' if font_rgb else ""
            fonts.append(f'<font>{"<b/>" if bold else ""}<sz val="{size or 11}"/>{color}<name val="Calibri"/></font>')
            fill_id = 0
            if fill_rgb:
                fills.append(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{fill_rgb}"/>'
                             '<bgColor indexed="64"/></patternFill></fill>')
                fill_id = len(fills) - 1
            num_id = fmt_id.get(num_format, 0)
            apply_num = ' applyNumberFormat="1"' if num_id else ""
            apply_fill = ' applyFill="1"' if fill_id else ""
            xfs.append(f'<xf numFmtId="{num_id}" fontId="{len(fonts) - 1}" fillId="{fill_id}" borderId="0" xfId="0"'
                       f'{apply_num} applyFont="1"{apply_fill}/>')
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{NS_MAIN}">'
            f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>'
            f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
            f'<fills count="{len(fills)}">{"".join(fills)}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ).encode()


def _attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument"


def build_xlsx(path: Path, sheets: list[tuple], styles, shared_strings: list[str] | None = None) -> Path:
    """A minimal workbook: sheets are (name, sheet_xml) or (name, RenderedSheet).

    ``styles`` is the FakeStyleBook (or the real StyleBook) the sheets were rendered with.
    """
    files: dict[str, bytes] = {}
    overrides = [("/xl/workbook.xml", f"{CT}.spreadsheetml.sheet.main+xml"), ("/xl/styles.xml", f"{CT}.spreadsheetml.styles+xml")]
    wb_rels = [f'<Relationship Id="rIdStyles" Type="{REL}/styles" Target="styles.xml"/>']
    sheet_entries = []
    n_drawing = n_chart = 0
    for i, (name, part) in enumerate(sheets, start=1):
        sheet_xml = part if isinstance(part, bytes) else part.sheet_xml
        files[f"xl/worksheets/sheet{i}.xml"] = sheet_xml
        overrides.append((f"/xl/worksheets/sheet{i}.xml", f"{CT}.spreadsheetml.worksheet+xml"))
        wb_rels.append(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        sheet_entries.append(f'<sheet name="{_attr(name)}" sheetId="{i}" r:id="rId{i}"/>')
        if not isinstance(part, bytes) and part.drawing_xml is not None:
            n_drawing += 1
            files[f"xl/drawings/drawing{n_drawing}.xml"] = part.drawing_xml
            overrides.append((f"/xl/drawings/drawing{n_drawing}.xml", f"{CT}.drawing+xml"))
            files[f"xl/worksheets/_rels/sheet{i}.xml.rels"] = _rels(
                [("rIdDrawing1", f"{REL}/drawing", f"../drawings/drawing{n_drawing}.xml")])
            chart_rels = []
            for j, chart in enumerate(part.charts, start=1):
                n_chart += 1
                files[f"xl/charts/chart{n_chart}.xml"] = chart
                overrides.append((f"/xl/charts/chart{n_chart}.xml", f"{CT}.drawingml.chart+xml"))
                chart_rels.append((f"rIdChart{j}", f"{REL}/chart", f"../charts/chart{n_chart}.xml"))
            files[f"xl/drawings/_rels/drawing{n_drawing}.xml.rels"] = _rels(chart_rels)
    if shared_strings is not None:
        sis = "".join(f'<si><t xml:space="preserve">{_attr(s)}</t></si>' for s in shared_strings)
        files["xl/sharedStrings.xml"] = (f'<sst xmlns="{NS_MAIN}" count="{len(shared_strings)}" '
                                         f'uniqueCount="{len(shared_strings)}">{sis}</sst>').encode()
        overrides.append(("/xl/sharedStrings.xml", f"{CT}.spreadsheetml.sharedStrings+xml"))
        wb_rels.append(f'<Relationship Id="rIdSst" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
    files["xl/workbook.xml"] = (
        f'<workbook xmlns="{NS_MAIN}" xmlns:r="{REL}"><bookViews><workbookView/></bookViews>'
        f'<sheets>{"".join(sheet_entries)}</sheets></workbook>').encode()
    files["xl/_rels/workbook.xml.rels"] = (f'<Relationships xmlns="{PKG_REL}">{"".join(wb_rels)}</Relationships>').encode()
    files["xl/styles.xml"] = styles.styles_xml() if hasattr(styles, "styles_xml") else styles.to_bytes()
    files["_rels/.rels"] = _rels([("rId1", f"{REL}/officeDocument", "xl/workbook.xml")])
    files["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides) + "</Types>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", files.pop("[Content_Types].xml"))
        for name in sorted(files):
            z.writestr(name, files[name])
    return path


def _rels(rels: list[tuple[str, str, str]]) -> bytes:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in rels)
    return f'<Relationships xmlns="{PKG_REL}">{body}</Relationships>'.encode()


def calamine_rows(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)


STAGES = ["Prospecting", "Qualification", "Initial Contact", "Needs Assessment", "Proposal", "Negotiation", "Closed Won"]


def funnel_model(name: str = "Funnel") -> SheetModel:
    stages = pd.DataFrame({
        "Stage": STAGES,
        "In stage": [40, 25, 18, 12, 9, 5, 7],
        "Value": [120000.0, 98000.5, 87000.0, 65000.0, 51000.0, 30000.0, 45000.0],
        "Reached": [116, 76, 51, 33, 21, 12, 7],
        "Conversion": [0.655, 0.671, 0.647, 0.636, 0.571, 0.583, np.nan],
        "Avg days": [4.25, 9.5, np.inf, 12.0, 20.0, 3.0, np.nan],
    })
    kpis = pd.DataFrame({"Open leads": [109], "Win rate": [0.35], "Bottleneck": ["Proposal"]})
    chart_frame = stages[["Stage", "Reached"]]
    return SheetModel(
        name=name,
        blocks=[
            Block(4, 1, kpis, title="KPIs", formats={"Open leads": "int", "Win rate": "percent", "Bottleneck": "text"}),
            Block(8, 1, stages, title="Stages",
                  formats={"In stage": "int", "Value": "money", "Reached": "int", "Conversion": "percent", "Avg days": "days"}),
            Block(8, 9, chart_frame, title="Reached per stage", formats={"Reached": "int"}),
        ],
        notes=[(1, 1, "Sales funnel"), (2, 1, "As of 2024-03-01")],
        col_widths={1: 24, 2: 12},
        charts=[Chart("Reached per stage", block=2, category="Stage", value="Reached", anchor_row=19, anchor_col=9)],
        freeze_rows=2,
    )


# --------------------------------------------------------------------------- cells and sheet furniture


def test_funnel_values_formats_freeze_widths(tmp_path):
    styles = FakeStyleBook()
    rendered = render_sheet(funnel_model(), styles)
    path = build_xlsx(tmp_path / "f.xlsx", [("Funnel", rendered)], styles)

    ws = openpyxl.load_workbook(path)["Funnel"]
    assert ws["A1"].value == "Sales funnel"
    assert ws["A4"].value == "KPIs" and ws["A4"].font.b and ws["A4"].font.sz == 13
    assert ws["A5"].value == "Open leads" and ws["A5"].font.b and ws["A5"].fill.fgColor.rgb == "FFDDEBF7"
    assert ws["A6"].value == 109 and ws["A6"].number_format == FORMATS["int"]
    assert ws["B6"].value == 0.35 and ws["B6"].number_format == FORMATS["percent"]
    assert ws["C6"].value == "Proposal" and ws["C6"].number_format == "@"
    assert [ws.cell(10 + i, 1).value for i in range(7)] == STAGES
    assert ws["C11"].value == 98000.5 and ws["C11"].number_format == FORMATS["money"]
    assert ws["E10"].number_format == FORMATS["percent"]
    assert ws["E16"].value is None  # NaN
    assert ws["F12"].value is None  # inf
    assert ws["F10"].value == 4.25 and ws["F10"].number_format == FORMATS["days"]
    # the side-by-side block shares rows 8..16 with the stage table
    assert ws["I8"].value == "Reached per stage" and ws["J9"].value == "Reached" and ws["J10"].value == 116
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["A"].width == 24 and ws.column_dimensions["B"].width == 12
    assert ws.column_dimensions["I"].width >= len("Needs Assessment")  # fitted
    assert ws.max_row == 16 and ws.max_column == 10

    rows = calamine_rows(path, "Funnel")
    assert rows[0][0] == "Sales funnel"
    assert rows[9][:4] == ["Prospecting", 40, 120000.0, 116]
    assert rows[9][8:10] == ["Prospecting", 116]


def test_sheet_xml_structure(tmp_path):
    xml = render_sheet(funnel_model(), FakeStyleBook()).sheet_xml
    root = etree.fromstring(xml)
    children = [etree.QName(c).localname for c in root]
    assert children == ["dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "pageMargins",
                        "ignoredErrors", "drawing"]
    assert root.find(f"{M}dimension").get("ref") == "A1:J16"
    pane = root.find(f"{M}sheetViews/{M}sheetView/{M}pane")
    assert pane.attrib == {"ySplit": "2", "topLeftCell": "A3", "activePane": "bottomLeft", "state": "frozen"}
    assert root.find(f"{M}drawing").get(f"{{{REL}}}id") == "rIdDrawing1"
    rows = root.findall(f"{M}sheetData/{M}row")
    numbers = [int(r.get("r")) for r in rows]
    assert numbers == sorted(set(numbers))
    for row in rows:
        cols = []
        for cell in row:
            m = re.fullmatch(r"([A-Z]+)(\d+)", cell.get("r"))
            assert m and m.group(2) == row.get("r")
            cols.append(openpyxl.utils.column_index_from_string(m.group(1)))
        assert cols == sorted(set(cols))
    assert b"<f>" not in xml and b"tabSelected" not in xml


def test_text_stays_text_and_is_escaped(tmp_path):
    texts = ["=1+1", "=SUM(A1:A3)", "a<b & c>d", "ctrl\x01\x07\x1fchars\x00", "  lead and trail  ",
             "line1\nline2", "cr\r\nlf", "_x000D_ literal", "中文 线索", "", None, "'quoted", "tab\tin"]
    frame = pd.DataFrame({"Text": texts})
    styles = FakeStyleBook()
    rendered = render_sheet(SheetModel("T", blocks=[Block(1, 1, frame)]), styles)
    assert b"<f>" not in rendered.sheet_xml
    etree.fromstring(rendered.sheet_xml)  # well-formed
    path = build_xlsx(tmp_path / "t.xlsx", [("T", rendered)], styles)
    expected = ["=1+1", "=SUM(A1:A3)", "a<b & c>d", "ctrlchars", "  lead and trail  ", "line1\nline2", "cr\r\nlf",
                "_x000D_ literal", "中文 线索", None, None, "'quoted", "tab\tin"]
    ws = openpyxl.load_workbook(path)["T"]
    got = [ws.cell(r, 1).value for r in range(2, 2 + len(texts))]
    # openpyxl does not decode Excel's _xHHHH_ escapes in inline strings; Excel and calamine do
    assert got[:7] + got[8:] == expected[:7] + expected[8:]
    assert ws["A2"].data_type == "s"
    cal = [r[0] for r in calamine_rows(path, "T")[1:]]
    assert cal == [e if e is not None else "" for e in expected]


def test_dates_numbers_bools_and_mixed_objects(tmp_path):
    frame = pd.DataFrame({
        "Stamp": pd.to_datetime(["2024-01-05 00:00", None, "2024-02-29 12:00"]),
        "Day": [dt.date(2024, 3, 1), None, dt.date(1900, 1, 1)],
        "Mixed": [dt.date(2024, 1, 2), "n/a", 7],
        "Int": pd.array([1, None, 3], dtype="Int64"),
        "Big": [1e20, -0.0, 0.1 + 0.2],
        "Flag": [True, False, True],
        "Span": pd.to_timedelta([1.5, 2, None], unit="D"),
    })
    styles = FakeStyleBook()
    rendered = render_sheet(SheetModel("D", blocks=[Block(1, 1, frame)]), styles)
    path = build_xlsx(tmp_path / "d.xlsx", [("D", rendered)], styles)
    ws = openpyxl.load_workbook(path)["D"]
    assert ws["A2"].value == dt.datetime(2024, 1, 5) and ws["A2"].number_format == FORMATS["date"]
    assert ws["A3"].value is None
    assert ws["A4"].value == dt.datetime(2024, 2, 29, 12, 0)
    assert ws["B2"].value == dt.datetime(2024, 3, 1) and ws["B4"].value == dt.datetime(1900, 1, 1)
    assert ws["C2"].value == dt.datetime(2024, 1, 2) and ws["C3"].value == "n/a" and ws["C4"].value == 7
    assert ws["D2"].value == 1 and ws["D3"].value is None
    assert ws["E2"].value == 1e20 and ws["E4"].value == 0.1 + 0.2
    assert ws["F2"].value is True and ws["F3"].value is False
    assert ws["G2"].value == 1.5 and ws["G2"].number_format == FORMATS["days"]
    rows = calamine_rows(path, "D")
    assert rows[1][0] == dt.date(2024, 1, 5) or rows[1][0] == dt.datetime(2024, 1, 5)
    assert rows[1][4] == 1e20 and rows[3][4] == 0.1 + 0.2


def test_dates_before_1900_are_kept_as_text():
    frame = pd.DataFrame({"D": pd.to_datetime(["1899-12-31", "1900-03-01"])})
    xml = render_sheet(SheetModel("D", blocks=[Block(1, 1, frame)]), FakeStyleBook()).sheet_xml.decode()
    assert "<t>1899-12-31</t>" in xml and "<v>61</v>" in xml


def test_sheet_pr_is_first_child_verbatim():
    pr = b'<sheetPr codeName="Sheet3"><tabColor rgb="FF00B050"/></sheetPr>'
    xml = render_sheet(funnel_model(), FakeStyleBook(), sheet_pr=pr).sheet_xml
    root = etree.fromstring(xml)
    assert etree.QName(root[0]).localname == "sheetPr" and root[0].get("codeName") == "Sheet3"
    assert pr in xml
    with pytest.raises(ValueError):
        render_sheet(funnel_model(), FakeStyleBook(), sheet_pr=b"<foo/>")


def test_overlapping_blocks_are_refused():
    frame = pd.DataFrame({"A": [1, 2], "B": [3, 4]})
    model = SheetModel("X", blocks=[Block(1, 1, frame), Block(2, 2, frame)])
    with pytest.raises(ValueError, match="twice"):
        render_sheet(model, FakeStyleBook())


def test_empty_model_and_empty_block():
    xml = render_sheet(SheetModel("E"), FakeStyleBook()).sheet_xml
    root = etree.fromstring(xml)
    assert root.find(f"{M}dimension").get("ref") == "A1" and len(root.find(f"{M}sheetData")) == 0
    model = SheetModel("E", blocks=[Block(3, 2, pd.DataFrame(columns=["A", "B"]), title="Nothing")])
    root = etree.fromstring(render_sheet(model, FakeStyleBook()).sheet_xml)
    assert root.find(f"{M}dimension").get("ref") == "B3:C4"


def test_style_requests():
    styles = FakeStyleBook()
    render_sheet(funnel_model(), styles)
    calls = [c for c in styles.calls]
    assert dict(num_format=None, bold=True, size=13, fill_rgb=None) in calls
    assert dict(num_format=None, bold=True, size=None, fill_rgb="DDEBF7") in calls
    assert {c["num_format"] for c in calls if c["num_format"]} == {
        FORMATS[k] for k in ("int", "percent", "text", "money", "days")}


def test_deterministic_bytes():
    a = render_sheet(funnel_model(), FakeStyleBook())
    b = render_sheet(funnel_model(), FakeStyleBook())
    assert a.sheet_xml == b.sheet_xml and a.drawing_xml == b.drawing_xml and a.charts == b.charts


# --------------------------------------------------------------------------- charts

CHART_SPACE_ORDER = ["date1904", "lang", "roundedCorners", "AlternateContent", "style", "clrMapOvr", "pivotSource",
                     "protection", "chart", "spPr", "txPr", "externalData", "printSettings", "userShapes", "extLst"]
CHART_ORDER = ["title", "autoTitleDeleted", "pivotFmts", "view3D", "floor", "sideWall", "backWall", "plotArea",
               "legend", "plotVisOnly", "dispBlanksAs", "showDLblsOverMax", "extLst"]
BAR_CHART_ORDER = ["barDir", "grouping", "varyColors", "ser", "dLbls", "gapWidth", "overlap", "serLines", "axId", "extLst"]
SER_ORDER = ["idx", "order", "tx", "spPr", "invertIfNegative", "pictureOptions", "dPt", "dLbls", "trendline", "errBars",
             "cat", "val", "shape", "extLst"]
DLBLS_ORDER = ["dLbl", "delete", "numFmt", "spPr", "txPr", "dLblPos", "showLegendKey", "showVal", "showCatName",
               "showSerName", "showPercent", "showBubbleSize", "separator", "showLeaderLines", "leaderLines", "extLst"]
CAT_AX_ORDER = ["axId", "scaling", "delete", "axPos", "majorGridlines", "minorGridlines", "title", "numFmt",
                "majorTickMark", "minorTickMark", "tickLblPos", "spPr", "txPr", "crossAx", "crosses", "crossesAt",
                "auto", "lblAlgn", "lblOffset", "tickLblSkip", "tickMarkSkip", "noMultiLvlLbl", "extLst"]
VAL_AX_ORDER = ["axId", "scaling", "delete", "axPos", "majorGridlines", "minorGridlines", "title", "numFmt",
                "majorTickMark", "minorTickMark", "tickLblPos", "spPr", "txPr", "crossAx", "crosses", "crossesAt",
                "crossBetween", "majorUnit", "minorUnit", "dispUnits", "extLst"]


def assert_schema_order(element, order: list[str]):
    names = [etree.QName(c).localname for c in element]
    positions = [order.index(n) for n in names]  # unknown children raise here
    assert positions == sorted(positions), f"{etree.QName(element).localname}: {names}"


def test_chart_part_structure_and_refs():
    model = funnel_model("Sales 'Q1' Funnel")
    rendered = render_sheet(model, FakeStyleBook())
    assert len(rendered.charts) == 1
    space = etree.fromstring(rendered.charts[0])
    assert_schema_order(space, CHART_SPACE_ORDER)
    chart = space.find(f"{C}chart")
    assert_schema_order(chart, CHART_ORDER)
    assert "".join(chart.find(f"{C}title").itertext()) == "Reached per stage"
    assert chart.find(f"{C}plotVisOnly").get("val") == "1"
    bar = chart.find(f"{C}plotArea/{C}barChart")
    assert_schema_order(bar, BAR_CHART_ORDER)
    assert bar.find(f"{C}barDir").get("val") == "bar"
    ser = bar.find(f"{C}ser")
    assert_schema_order(ser, SER_ORDER)
    assert_schema_order(ser.find(f"{C}dLbls"), DLBLS_ORDER)
    assert ser.find(f"{C}dLbls/{C}showVal").get("val") == "1"
    sheet = "'Sales ''Q1'' Funnel'"
    assert ser.find(f"{C}tx/{C}strRef/{C}f").text == f"{sheet}!$J$9"
    cat = ser.find(f"{C}cat/{C}strRef")
    assert cat.find(f"{C}f").text == f"{sheet}!$I$10:$I$16"
    assert cat.find(f"{C}strCache/{C}ptCount").get("val") == "7"
    assert [p.findtext(f"{C}v") for p in cat.findall(f"{C}strCache/{C}pt")] == STAGES
    val = ser.find(f"{C}val/{C}numRef")
    assert val.find(f"{C}f").text == f"{sheet}!$J$10:$J$16"
    assert val.find(f"{C}numCache/{C}formatCode").text == FORMATS["int"]
    assert [float(p.findtext(f"{C}v")) for p in val.findall(f"{C}numCache/{C}pt")] == [116, 76, 51, 33, 21, 12, 7]
    ax_ids = [a.get("val") for a in bar.findall(f"{C}axId")]
    cat_ax, val_ax = chart.find(f"{C}plotArea/{C}catAx"), chart.find(f"{C}plotArea/{C}valAx")
    assert_schema_order(cat_ax, CAT_AX_ORDER)
    assert_schema_order(val_ax, VAL_AX_ORDER)
    assert [cat_ax.find(f"{C}axId").get("val"), val_ax.find(f"{C}axId").get("val")] == ax_ids
    assert cat_ax.find(f"{C}crossAx").get("val") == ax_ids[1]
    assert cat_ax.find(f"{C}scaling/{C}orientation").get("val") == "maxMin"  # stage 1 on top


def test_column_chart_and_drawing_anchor():
    model = funnel_model()
    model.charts[0].kind = "col"
    model.charts.append(Chart("Value", block=1, category="Stage", value="Value", anchor_row=30, anchor_col=2,
                              width_cols=5, height_rows=10))
    rendered = render_sheet(model, FakeStyleBook())
    assert len(rendered.charts) == 2
    first = etree.fromstring(rendered.charts[0])
    assert first.find(f".//{C}barDir").get("val") == "col"
    assert first.find(f".//{C}catAx/{C}scaling/{C}orientation").get("val") == "minMax"
    second = etree.fromstring(rendered.charts[1])
    assert second.find(f".//{C}val/{C}numRef/{C}f").text == "'Funnel'!$C$10:$C$16"
    drawing = etree.fromstring(rendered.drawing_xml)
    x = f"{{{NS_XDR}}}"
    anchors = drawing.findall(f"{x}twoCellAnchor")
    assert len(anchors) == 2
    frm, to = anchors[1].find(f"{x}from"), anchors[1].find(f"{x}to")
    assert (frm.findtext(f"{x}col"), frm.findtext(f"{x}row")) == ("1", "29")
    assert (to.findtext(f"{x}col"), to.findtext(f"{x}row")) == ("6", "39")
    rids = [e.get(f"{{{REL}}}id") for e in drawing.iter(f"{C}chart")]
    assert rids == ["rIdChart1", "rIdChart2"]
    ids = [e.get("id") for e in drawing.iter(f"{x}cNvPr")]
    assert len(set(ids)) == 2


def test_chart_with_bad_column_is_refused():
    model = funnel_model()
    model.charts[0].value = "Nope"
    with pytest.raises(ValueError, match="Nope"):
        render_sheet(model, FakeStyleBook())


def test_openpyxl_reads_the_chart(tmp_path):
    styles = FakeStyleBook()
    path = build_xlsx(tmp_path / "c.xlsx", [("Funnel", render_sheet(funnel_model(), styles))], styles)
    ws = openpyxl.load_workbook(path)["Funnel"]
    assert len(ws._charts) == 1
    series = ws._charts[0].series[0]
    assert series.val.numRef.f == "'Funnel'!$J$10:$J$16"
    assert series.cat.strRef.f == "'Funnel'!$I$10:$I$16"


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _convert(src: Path, fmt: str, outdir: Path) -> Path:
    profile = outdir / "lo-profile"
    cmd = [_soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
           "--convert-to", fmt, "--outdir", str(outdir), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    assert proc.returncode == 0 and out.exists() and out.stat().st_size > 0, proc.stdout + proc.stderr
    return out


@pytest.mark.slow
@pytest.mark.libreoffice
def test_libreoffice_opens_renders_and_keeps_the_chart(tmp_path):
    styles = FakeStyleBook()
    history = render_append(None, AppendRows("History", pd.DataFrame(
        {"Lead ID": ["L-1"], "From": ["Prospecting"], "To": ["Qualification"], "Date": [pd.Timestamp("2024-03-01")]}),
        formats={"Date": "date"}), styles)
    log = render_append(EXCEL_LIKE.encode(), AppendRows("Log", pd.DataFrame(
        {"To": ["Proposal"], "Lead ID": ["L-0002"], "Owner": ["Ann"]})), styles, SST)
    src = build_xlsx(tmp_path / "book.xlsx", [("Funnel", render_sheet(funnel_model(), styles)),
                                              ("History", history), ("Log", log)], styles, shared_strings=SST)
    (tmp_path / "pdf").mkdir()
    pdf = _convert(src, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "Needs Assessment" in text and "Reached per stage" in text
    (tmp_path / "x").mkdir()
    again = _convert(src, "xlsx", tmp_path / "x")
    with zipfile.ZipFile(again) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts, "LibreOffice dropped the chart"
        xml = z.read(charts[0]).decode()
    assert "$J$10:$J$16" in xml and "$I$10:$I$16" in xml
    wb = openpyxl.load_workbook(again)
    ws = wb["Funnel"]
    assert ws["J10"].value == 116 and ws["C11"].number_format == FORMATS["money"]
    assert [c.value for c in wb["Log"][1]] == ["Lead ID", "From", "To", "Date", "Owner"]
    assert [c.value for c in wb["Log"][4]] == ["L-0002", None, "Proposal", None, "Ann"]
    # (headless LibreOffice drops view settings such as frozen panes from any file, so no check here)


# --------------------------------------------------------------------------- appending

HEADER = ["Lead ID", "From", "To", "Date"]


def history_frame(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame({
        "Lead ID": [f"L-{start + i:04d}" for i in range(n)],
        "From": ["Prospecting"] * n,
        "To": ["Qualification"] * n,
        "Date": pd.date_range("2024-01-01", periods=n, freq="D") if n else pd.to_datetime([]),
    })


def test_append_creates_the_log_sheet(tmp_path):
    styles = FakeStyleBook()
    xml = render_append(None, AppendRows("History", history_frame(3), formats={"Date": "date"}), styles)
    path = build_xlsx(tmp_path / "h.xlsx", [("History", xml)], styles)
    ws = openpyxl.load_workbook(path)["History"]
    assert [c.value for c in ws[1]] == HEADER and all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws["A4"].value == "L-0002" and ws["D4"].value == dt.datetime(2024, 1, 3)
    assert ws["D4"].number_format == FORMATS["date"]
    assert ws.column_dimensions["D"].width >= 10


def test_append_twice_keeps_existing_rows_and_order(tmp_path):
    styles = FakeStyleBook()
    first = render_append(None, AppendRows("History", history_frame(2), formats={"Date": "date"}), styles)
    second = render_append(first, AppendRows("History", history_frame(2, 2), formats={"Date": "date"}), styles)
    third = render_append(second, AppendRows("History", history_frame(1, 4), formats={"Date": "date"}), styles)
    # existing rows byte-identical: everything of the old sheetData is still there, unchanged
    old_rows = re.search(rb"<sheetData>(.*)</sheetData>", first, re.S).group(1)
    assert old_rows in second
    assert re.search(rb"<sheetData>(.*)</sheetData>", second, re.S).group(1) in third
    path = build_xlsx(tmp_path / "h.xlsx", [("History", third)], styles)
    ws = openpyxl.load_workbook(path)["History"]
    assert [ws.cell(r, 1).value for r in range(2, 7)] == ["L-0000", "L-0001", "L-0002", "L-0003", "L-0004"]
    assert ws.freeze_panes == "A2"
    root = etree.fromstring(third)
    assert root.find(f"{M}dimension").get("ref") == "A1:D6"
    assert [r.get("r") for r in root.iter(f"{M}row")] == ["1", "2", "3", "4", "5", "6"]
    cal = calamine_rows(path, "History")
    assert [r[0] for r in cal] == ["Lead ID", "L-0000", "L-0001", "L-0002", "L-0003", "L-0004"]


def test_append_aligns_a_reordered_frame_by_name_and_adds_new_columns(tmp_path):
    styles = FakeStyleBook()
    first = render_append(None, AppendRows("History", history_frame(1)), styles)
    reordered = pd.DataFrame({"date": [pd.Timestamp("2024-05-01")], " TO ": ["Proposal"], "Note": ["moved back"],
                              "lead id": ["L-9"], "FROM": ["Negotiation"]})
    xml = render_append(first, AppendRows("History", reordered, formats={"date": "date"}), styles)
    path = build_xlsx(tmp_path / "h.xlsx", [("History", xml)], styles)
    ws = openpyxl.load_workbook(path)["History"]
    assert [c.value for c in ws[1]] == HEADER + ["Note"]
    assert ws["E1"].font.b  # styled like the existing header
    assert [c.value for c in ws[3]] == ["L-9", "Negotiation", "Proposal", dt.datetime(2024, 5, 1), "moved back"]
    assert ws.column_dimensions["E"].width >= len("moved back")
    assert etree.fromstring(xml).find(f"{M}dimension").get("ref") == "A1:E3"


def test_append_matches_chinese_header_names(tmp_path):
    styles = FakeStyleBook()
    first = render_append(None, AppendRows("Archive", pd.DataFrame({"线索编号": ["L-1"], "公司": ["Acme"]})), styles)
    xml = render_append(first, AppendRows("Archive", pd.DataFrame({"Company": ["Beta"], "Lead ID": ["L-2"]})), styles)
    ws = openpyxl.load_workbook(build_xlsx(tmp_path / "a.xlsx", [("Archive", xml)], styles))["Archive"]
    assert [c.value for c in ws[1]] == ["线索编号", "公司"]
    assert [c.value for c in ws[3]] == ["L-2", "Beta"]


EXCEL_LIKE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<x:worksheet xmlns:x="{ns}" xmlns:r="{rel}"><x:sheetPr codeName="Sheet5"/>'
    '<x:dimension ref="A1:D3"/><x:sheetViews><x:sheetView workbookViewId="0"/></x:sheetViews>'
    '<x:sheetFormatPr defaultRowHeight="15"/><x:cols><x:col min="1" max="4" width="14" customWidth="1"/></x:cols>'
    "<x:sheetData>"
    '<x:row spans="1:4"><x:c t="s" s="1"><x:v>0</x:v></x:c><x:c t="s" s="1"><x:v>1</x:v></x:c>'
    '<x:c t="inlineStr" s="1"><x:is><x:r><x:t>T</x:t></x:r><x:r><x:t>o</x:t></x:r></x:is></x:c>'
    '<x:c t="s" s="1"><x:v>2</x:v></x:c></x:row>'
    '<x:row><x:c t="s"><x:v>3</x:v></x:c><x:c t="s"><x:v>4</x:v></x:c><x:c t="s"><x:v>5</x:v></x:c><x:c><x:v>45292</x:v></x:c></x:row>'
    '<x:row><x:c r="A3" t="s"><x:v>3</x:v></x:c></x:row>'
    "</x:sheetData>"
    '<x:pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    "</x:worksheet>"
).format(ns=NS_MAIN, rel=REL)
SST = ["Lead ID", "From", "Date", "L-0001", "Prospecting", "Qualification"]


def test_append_to_prefixed_sheet_with_shared_string_header_and_rows_without_r(tmp_path):
    styles = FakeStyleBook()
    existing = EXCEL_LIKE.encode()
    frame = pd.DataFrame({"To": ["Proposal", "Negotiation"], "Lead ID": ["L-0002", "L-0003"],
                          "From": ["Qualification", "Proposal"], "Date": pd.to_datetime(["2024-02-01", "2024-02-02"]),
                          "Owner": ["Ann", "Bo"]})
    xml = render_append(existing, AppendRows("History", frame, formats={"Date": "date"}), styles, SST)
    head, tail = existing.split(b"</x:sheetData>")
    assert xml.endswith(b"</x:sheetData>" + tail)
    assert existing[existing.index(b"<x:row><x:c t=\"s\"><x:v>3"):len(head)] in xml  # old rows untouched
    root = etree.fromstring(xml)
    assert root.find(f"{M}dimension").get("ref") == "A1:E5"
    assert len(root.find(f"{M}cols")) == 2
    path = build_xlsx(tmp_path / "x.xlsx", [("History", xml)], styles, shared_strings=SST)
    ws = openpyxl.load_workbook(path)["History"]
    assert [c.value for c in ws[1]] == ["Lead ID", "From", "To", "Date", "Owner"]
    assert [c.value for c in ws[4]] == ["L-0002", "Qualification", "Proposal", dt.datetime(2024, 2, 1), "Ann"]
    assert [c.value for c in ws[5]][:3] == ["L-0003", "Proposal", "Negotiation"]
    assert ws["A3"].value == "L-0001"


def test_append_to_self_closing_sheet_data_and_empty_frame():
    styles = FakeStyleBook()
    empty = (f'<worksheet xmlns="{NS_MAIN}"><dimension ref="A1"/><sheetData/></worksheet>').encode()
    xml = render_append(empty, AppendRows("Archive", history_frame(2)), styles)
    root = etree.fromstring(xml)
    rows = root.findall(f"{M}sheetData/{M}row")
    assert [r.get("r") for r in rows] == ["1", "2", "3"]
    assert root.find(f"{M}dimension").get("ref") == "A1:D3"
    assert [c.findtext(f".//{M}t") for c in rows[0]] == HEADER
    assert render_append(xml, AppendRows("Archive", history_frame(0)), styles) == xml


def test_append_is_deterministic():
    base = render_append(None, AppendRows("History", history_frame(3)), FakeStyleBook())
    a = render_append(base, AppendRows("History", history_frame(3, 3)), FakeStyleBook())
    b = render_append(base, AppendRows("History", history_frame(3, 3)), FakeStyleBook())
    assert a == b


# --------------------------------------------------------------------------- speed


def big_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "Row": np.arange(2, n + 2),
        "Lead ID": [f"L-{i:06d}" for i in range(n)],
        "Company": pd.Series([f"Company {i % 5000} & Sons <Ltd>" for i in range(n)], dtype="object"),
        "Owner": rng.choice(["Ann", "Bo", "李雷", "Dee"], n),
        "Stage": rng.choice(STAGES, n),
        "Last Contact": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
        "Value": rng.normal(50000, 20000, n).round(2),
        "Reason": rng.choice(["3 consecutive contacts without response", "need does not match our offer", None], n),
    })


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_render_100k_rows_by_8_columns_is_fast():
    frame = big_frame(100_000)
    model = SheetModel("Cleanse", blocks=[Block(3, 1, frame, formats={"Row": "int", "Value": "money"})],
                       notes=[(1, 1, "Cleanse")], freeze_rows=3)
    render_sheet(model, FakeStyleBook())  # warm up
    t0 = time.perf_counter()
    xml = render_sheet(model, FakeStyleBook()).sheet_xml
    seconds = time.perf_counter() - t0
    print(f"render 100k x 8: {seconds:.2f} s, {len(xml) / 1e6:.1f} MB")
    assert seconds < 5.0
    assert xml.count(b"<row ") == 100_002


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_append_to_100k_row_sheet_is_fast():
    styles = FakeStyleBook()
    existing = render_append(None, AppendRows("Archive", big_frame(100_000)), styles)
    t0 = time.perf_counter()
    xml = render_append(existing, AppendRows("Archive", big_frame(1_000)), styles)
    seconds = time.perf_counter() - t0
    print(f"append 1k rows to 100k: {seconds:.2f} s")
    assert seconds < 3.0
    assert xml.count(b"<row ") == 101_001
    assert b'<dimension ref="A1:H101001"/>' in xml


def test_text_format_shows_values_as_text(tmp_path):
    frame = pd.DataFrame({"Value": pd.Series([dt.date(2024, 1, 2), 12.0, 0.5, "abc", None, True], dtype=object)})
    styles = FakeStyleBook()
    rendered = render_sheet(SheetModel("Check", blocks=[Block(1, 1, frame, formats={"Value": "text"})]), styles)
    ws = openpyxl.load_workbook(build_xlsx(tmp_path / "c.xlsx", [("Check", rendered)], styles))["Check"]
    assert [ws.cell(r, 1).value for r in range(2, 8)] == ["2024-01-02", "12", "0.5", "abc", None, "TRUE"]
    assert ws["A2"].number_format == "@"


def test_prefixed_sheet_pr_gets_its_namespace():
    pr = b'<x:sheetPr codeName="Sheet4"/>'
    root = etree.fromstring(render_sheet(SheetModel("P"), FakeStyleBook(), sheet_pr=pr).sheet_xml)
    assert root[0].tag == f"{M}sheetPr" and root[0].get("codeName") == "Sheet4"


def test_awkward_column_types(tmp_path):
    import decimal

    frame = pd.DataFrame({
        "Surrogate": pd.Series(["bad\ud800text", "ok", None], dtype=object),
        "Category": pd.Categorical(["A", "B", None]),
        "Zoned": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00", None]).tz_localize("Europe/Berlin"),
        "Decimal": pd.Series([decimal.Decimal("1.10"), 2, None], dtype=object),
        "Numpy": pd.Series([np.int64(3), np.float64(2.5), np.nan], dtype=object),
    })
    frame = pd.concat([frame, frame[["Category"]]], axis=1)  # a duplicate column name
    styles = FakeStyleBook()
    rendered = render_sheet(SheetModel("A", blocks=[Block(1, 1, frame)]), styles)
    ws = openpyxl.load_workbook(build_xlsx(tmp_path / "a.xlsx", [("A", rendered)], styles))["A"]
    assert [c.value for c in ws[2]] == ["badtext", "A", dt.datetime(2024, 1, 1, 10, 0), 1.1, 3, "A"]
    assert [c.value for c in ws[4]] == [None] * 6


def test_append_needs_the_shared_strings_its_header_uses():
    with pytest.raises(ValueError, match="shared string"):
        render_append(EXCEL_LIKE.encode(), AppendRows("History", history_frame(1)), FakeStyleBook())


def test_with_the_real_stylebook(tmp_path):
    styles_module = pytest.importorskip("salesbook.adapters.files.styles")
    book = styles_module.StyleBook(None)
    rendered = render_sheet(funnel_model(), book)
    history = render_append(None, AppendRows("History", history_frame(2), formats={"Date": "date"}), book)
    path = build_xlsx(tmp_path / "real.xlsx", [("Funnel", rendered), ("History", history)], book)
    wb = openpyxl.load_workbook(path)
    ws = wb["Funnel"]
    assert ws["A4"].font.b and ws["A4"].font.sz == 13 and ws["A5"].fill.fgColor.rgb == "FFDDEBF7"
    assert ws["C11"].number_format == FORMATS["money"] and ws["E10"].number_format == FORMATS["percent"]
    assert wb["History"]["D2"].value == dt.datetime(2024, 1, 1) and wb["History"]["D2"].number_format == FORMATS["date"]


def test_append_counts_rows_when_the_last_row_has_no_r():
    sheet = (f'<worksheet xmlns="{NS_MAIN}"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>Lead ID</t></is></c></row>'
             '<row r="5"><c r="A5" t="inlineStr"><is><t>L-1</t></is></c></row>'
             '<row><c t="inlineStr"><is><t>L-2</t></is></c></row>'
             "</sheetData></worksheet>").encode()
    xml = render_append(sheet, AppendRows("History", pd.DataFrame({"Lead ID": ["L-3"]})), FakeStyleBook())
    rows = etree.fromstring(xml).findall(f"{M}sheetData/{M}row")
    assert rows[-1].get("r") == "7" and rows[-1].findtext(f".//{M}t") == "L-3"


def test_a_sheet_handed_to_a_sink_in_pieces_is_the_same_part(tmp_path, monkeypatch):
    """``render_sheet(..., sink=)`` (the team report's 200,000-row Team Cleanse): the data of a
    typed block in chunks of CHUNK_ROWS rows, the rest as it comes — the same bytes, the same
    style indexes; blocks side by side, or a column of mixed values, rendered whole."""
    from salesbook.adapters.files import render

    monkeypatch.setattr(render, "CHUNK_ROWS", 7)
    n = 40
    names = pd.Series([None if i % 5 == 0 else f"名 {i} & <{i}>" for i in range(n)], dtype="str")
    long = pd.DataFrame({"Book": pd.Series([f"b{i % 3}.xlsx" for i in range(n)], dtype="str"), "Row": np.arange(n),
                         "Value": np.linspace(-1.5, 1e6, n), "Name": names, "Won": np.arange(n) % 2 == 0})
    mixed = pd.DataFrame({"Any": [1, "x", None, dt.date(2026, 1, 2)] * 3, "Day": pd.date_range("2026-01-01", periods=12)})
    cut = SheetModel("T", blocks=[Block(4, 1, long, title="Long", formats={"Value": "money", "Row": "int"}),
                                  Block(4 + n + 5, 1, mixed, title="Mixed")],
                     notes=[(1, 1, "Title"), (2, 1, "a note"), (4 + n + 3, 1, "between")])
    side = SheetModel("S", blocks=[Block(1, 1, long), Block(1, 8, long.iloc[:10])])
    got = {}
    # head, 2 notes, title, header, 40 rows in 6 chunks, a note, title, header, mixed rows whole, tail
    for model, n_pieces in ((cut, 1 + 2 + 2 + 6 + 1 + 2 + 1 + 1), (side, 3)):
        whole_styles, piece_styles = FakeStyleBook(), FakeStyleBook()
        whole = render_sheet(model, whole_styles).sheet_xml
        pieces: list[bytes] = []
        assert render_sheet(model, piece_styles, sink=pieces.append).sheet_xml == b""
        assert b"".join(pieces) == whole and piece_styles.keys == whole_styles.keys
        assert len(pieces) == n_pieces
        got[model.name] = (b"".join(pieces), piece_styles)
    path = build_xlsx(tmp_path / "t.xlsx", [("T", got["T"][0])], got["T"][1])
    rows = calamine_rows(path, "T")  # data from row 6 (index 5)
    assert [rows[5 + i][:3] for i in (0, n - 1)] == [["b0.xlsx", 0.0, -1.5], [f"b{(n - 1) % 3}.xlsx", n - 1.0, 1e6]]
    assert [rows[5 + i][3] for i in (0, 1, 7, 8)] == ["", "名 1 & <1>", "名 7 & <7>", "名 8 & <8>"]
    assert rows[4 + n + 2][0] == "between" and rows[4 + n + 6][0] == 1.0 and rows[4 + n + 7][0] == "x"
