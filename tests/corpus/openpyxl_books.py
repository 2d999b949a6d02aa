"""Workbooks written by openpyxl (its own writer: lxml serialisation, its part names and order)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
from openpyxl.chart import AreaChart3D, BarChart, BubbleChart, LineChart, PieChart, Reference, ScatterChart, Series
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, DataBarRule, FormulaRule, IconSetRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from tests.reliability.corpus import tiny_png

ROWS = [["Month", "Sales", "Target"], ["Jan", 100, 120], ["Feb", 140, 125], ["Mar", 90, 130], ["Apr", 160, 135]]


def _data(ws):
    for r in ROWS:
        ws.append(r)


def plain(wb):
    ws = wb.active
    ws.title = "Data"
    _data(ws)


def bar_chart(wb):
    ws = wb.active
    _data(ws)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=5), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=5))
    chart.title = "Sales"
    ws.add_chart(chart, "E2")


def line_scatter(wb):
    ws = wb.active
    _data(ws)
    line = LineChart()
    line.add_data(Reference(ws, min_col=2, min_row=1, max_row=5), titles_from_data=True)
    ws.add_chart(line, "E2")
    sc = ScatterChart()
    sc.series.append(Series(Reference(ws, min_col=3, min_row=2, max_row=5),
                            Reference(ws, min_col=2, min_row=2, max_row=5), title="T vs S"))
    ws.add_chart(sc, "E20")


def pie_area3d_bubble(wb):
    ws = wb.active
    _data(ws)
    pie = PieChart()
    pie.add_data(Reference(ws, min_col=2, min_row=1, max_row=5), titles_from_data=True)
    ws.add_chart(pie, "E2")
    area = AreaChart3D()
    area.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=5), titles_from_data=True)
    ws.add_chart(area, "E20")
    bub = BubbleChart()
    bub.series.append(Series(values=Reference(ws, min_col=3, min_row=2, max_row=5),
                             xvalues=Reference(ws, min_col=2, min_row=2, max_row=5),
                             zvalues=Reference(ws, min_col=2, min_row=2, max_row=5), title="b"))
    ws.add_chart(bub, "E40")


def image(wb):
    from openpyxl.drawing.image import Image

    ws = wb.active
    ws["A1"] = "logo"
    ws.add_image(Image(io.BytesIO(tiny_png())), "B2")


def comments(wb):
    ws = wb.active
    ws["A1"] = "note here"
    ws["A1"].comment = Comment("openpyxl note", "Ops")
    ws["C3"].comment = Comment("on an empty cell", "Ops", height=80, width=200)


def table(wb):
    ws = wb.active
    ws.title = "Sales"
    _data(ws)
    t = Table(displayName="SalesTable", ref="A1:C5")
    t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
    ws.add_table(t)


def validation_cf(wb):
    ws = wb.active
    _data(ws)
    dv = DataValidation(type="list", formula1='"Jan,Feb,Mar"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("A2:A20")
    ws.conditional_formatting.add("B2:B5", ColorScaleRule(start_type="min", start_color="F8696B",
                                                         end_type="max", end_color="63BE7B"))
    ws.conditional_formatting.add("C2:C5", DataBarRule(start_type="min", end_type="max", color="638EC6"))
    ws.conditional_formatting.add("B2:C5", IconSetRule("3Arrows", "percent", [0, 33, 67]))
    ws.conditional_formatting.add("B2:B5", CellIsRule(operator="greaterThan", formula=["130"],
                                                      fill=PatternFill("solid", bgColor="FFC7CE")))
    ws.conditional_formatting.add("A2:C5", FormulaRule(formula=["$B2>$C2"], font=Font(bold=True)))


def names_print(wb):
    ws = wb.active
    ws.title = "Calc"
    _data(ws)
    wb.defined_names["Months"] = DefinedName("Months", attr_text="Calc!$A$2:$A$5")
    ws.defined_names["LocalTarget"] = DefinedName("LocalTarget", attr_text="Calc!$C$2")
    ws.print_title_rows = "1:1"
    ws.print_area = "A1:C5"
    ws.page_setup.orientation = "landscape"


def styled_merged(wb):
    ws = wb.active
    ws["A1"] = "Merged title"
    ws.merge_cells("A1:D1")
    ws["A1"].font = Font(name="Georgia", size=14, bold=True, color="1F4E79")
    ws["A1"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin", color="999999")
    for r in range(2, 6):
        for c in range(1, 5):
            cell = ws.cell(r, c, r * c)
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            cell.fill = PatternFill("solid", fgColor="DDEBF7" if r % 2 else "FFFFFF")
            cell.number_format = "0.00"


def hyperlinks(wb):
    ws = wb.active
    ws["A1"] = "site"
    ws["A1"].hyperlink = "https://example.com/openpyxl"
    ws["A2"] = "inside"
    ws["A2"].hyperlink = "#Other!A1"
    wb.create_sheet("Other")["A1"] = "target"


def mac_1904(wb):
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws["A1"] = dt.date(2026, 3, 16)
    ws["A2"] = dt.datetime(2026, 3, 16, 12, 30)
    ws["A1"].number_format = "yyyy-mm-dd"


def mac_1904_chart(wb):
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Day", "Calls"])
    for i in range(5):
        ws.append([dt.date(2026, 4, 1) + dt.timedelta(days=i), i * 3])
    chart = LineChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=6), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=6))
    ws.add_chart(chart, "D2")


def protection(wb):
    ws = wb.active
    ws["A1"] = "protected"
    ws.protection.sheet = True
    ws.protection.password = "pw"
    wb.security = openpyxl.workbook.protection.WorkbookProtection(workbookPassword="pw", lockStructure=True)


def views(wb):
    ws = wb.active
    _data(ws)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = "A1:C5"
    ws.row_dimensions.group(2, 3, hidden=True)
    ws.column_dimensions["C"].width = 30
    hidden = wb.create_sheet("Lists")
    hidden["A1"] = "x"
    hidden.sheet_state = "hidden"
    ws.sheet_properties.tabColor = "1072BA"


def rich_text(wb):
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    ws = wb.active
    ws["A1"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold"), " and ",
                             TextBlock(InlineFont(i=True, color="FF0000"), "red italic")])


def array_formulas(wb):
    from openpyxl.worksheet.formula import ArrayFormula

    ws = wb.active
    for i in range(1, 5):
        ws.cell(i, 1, i)
    ws["B1"] = ArrayFormula("B1", "=SUM(A1:A4*A1:A4)")
    ws["C1"] = "=SUM(A1:A4)"


# name -> (features, builder, write_only)
BOOKS = {
    "plain": ((), plain, False),
    "chart-bar": (("chart",), bar_chart, False),
    "chart-line-scatter": (("chart",), line_scatter, False),
    "chart-pie-3d-bubble": (("chart",), pie_area3d_bubble, False),
    "image": (("image",), image, False),
    "comments": (("comments",), comments, False),
    "table": (("table",), table, False),
    "validation-cf": (("validation", "conditional-format"), validation_cf, False),
    "names-print": (("defined-names", "print-settings"), names_print, False),
    "styled-merged": (("merged", "styles"), styled_merged, False),
    "hyperlinks": (("hyperlink",), hyperlinks, False),
    "1904": (("1904", "date-cells"), mac_1904, False),
    "1904-chart": (("1904", "chart", "date-cells"), mac_1904_chart, False),
    "protection": (("protection",), protection, False),
    "views": (("freeze", "autofilter", "outline", "hidden-sheet"), views, False),
    "rich-text": (("rich-text",), rich_text, False),
    "array-formulas": (("formulas",), array_formulas, False),
    "write-only": (("write-only",), None, True),
}


def build(name: str, folder: Path) -> Path:
    features, builder, write_only = BOOKS[name]
    path = folder / f"op-{name}.xlsx"
    wb = openpyxl.Workbook(write_only=write_only)
    if write_only:
        ws = wb.create_sheet("Stream")
        for r in range(100):
            ws.append([f"row {r}", r, r / 3])
    else:
        builder(wb)
    wb.properties.created = wb.properties.modified = dt.datetime(2026, 1, 1)
    wb.save(path)
    return path


def resave(src: Path, dst: Path) -> Path:
    """Load a workbook written by another program and save it with openpyxl (keep_vba for .xlsm)."""
    wb = openpyxl.load_workbook(src, keep_vba=src.suffix == ".xlsm")
    wb.save(dst)
    return dst
