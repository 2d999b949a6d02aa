"""Workbooks written by XlsxWriter, one or a few features each (the way XlsxWriter itself writes them).

Each builder takes the Workbook and fills it; ``BOOKS`` maps a name to (features, builder,
workbook options, extension). Nothing here knows about leads: the Leads sheet is injected later.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import xlsxwriter

from tests.reliability.corpus import tiny_png

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "workbook" / "SalesPipeline.xlsm"

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]


def vba_project(folder: Path) -> Path:
    """The VBA project of the project's own built workbook, extracted for add_vba_project."""
    path = folder / "vbaProject.bin"
    if not path.exists():
        with zipfile.ZipFile(SHIPPED) as z:
            path.write_bytes(z.read("xl/vbaProject.bin"))
    return path


def _data(wb, ws, rows=6, title="Sales"):
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, ["Month", title, "Target", "Cost"], bold)
    for i in range(rows):
        ws.write_row(i + 1, 0, [MONTHS[i % 6], 100 + 17 * i, 120 + 5 * i, 40 + 3 * (i % 4)])
    return f"='{ws.name}'!$A$2:$A${rows + 1}", f"='{ws.name}'!$B$2:$B${rows + 1}", f"='{ws.name}'!$C$2:$C${rows + 1}"


def plain(wb, folder):
    _data(wb, wb.add_worksheet("Data"))


def chart_book(kind: str, subtype: str | None = None, **extra):
    def build(wb, folder):
        ws = wb.add_worksheet("Data")
        cats, vals, vals2 = _data(wb, ws)
        opts = {"type": kind}
        if subtype:
            opts["subtype"] = subtype
        chart = wb.add_chart(opts)
        chart.add_series({"name": "Sales", "categories": cats, "values": vals, **extra.get("series", {})})
        if kind not in ("pie", "doughnut"):
            chart.add_series({"name": "Target", "categories": cats, "values": vals2})
        chart.set_title({"name": f"{kind} {subtype or ''}".strip()})
        ws.insert_chart("F2", chart)
    return build


def stock_chart(wb, folder):
    ws = wb.add_worksheet("Prices")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["Date", "High", "Low", "Close"])
    for i in range(5):
        ws.write_datetime(i + 1, 0, dt.datetime(2026, 1, 5 + i), date_fmt)
        ws.write_row(i + 1, 1, [30 + i, 20 + i, 25 + i])
    chart = wb.add_chart({"type": "stock"})
    for col in "BCD":
        chart.add_series({"categories": "=Prices!$A$2:$A$6", "values": f"=Prices!${col}$2:${col}$6"})
    ws.insert_chart("F2", chart)


def combined_chart(wb, folder):
    ws = wb.add_worksheet("Data")
    cats, vals, vals2 = _data(wb, ws)
    col = wb.add_chart({"type": "column"})
    col.add_series({"name": "Sales", "categories": cats, "values": vals, "data_labels": {"value": True},
                    "trendline": {"type": "linear"}})
    line = wb.add_chart({"type": "line"})
    line.add_series({"name": "Target", "categories": cats, "values": vals2, "y2_axis": True,
                     "marker": {"type": "diamond"}})
    col.combine(line)
    col.set_table({"show_keys": True})
    ws.insert_chart("F2", col)


def chartsheet(wb, folder):
    ws = wb.add_worksheet("Data")
    cats, vals, _ = _data(wb, ws)
    cs = wb.add_chartsheet("Chart1")
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"categories": cats, "values": vals})
    cs.set_chart(chart)


def chartsheet_and_chart(wb, folder):
    cs = wb.add_chartsheet("Overview")
    ws = wb.add_worksheet("Data")
    cats, vals, vals2 = _data(wb, ws)
    chart = wb.add_chart({"type": "pie"})
    chart.add_series({"categories": cats, "values": vals})
    cs.set_chart(chart)
    c2 = wb.add_chart({"type": "line"})
    c2.add_series({"categories": cats, "values": vals2})
    ws.insert_chart("F2", c2)
    cs.activate()


def tables(wb, folder):
    ws = wb.add_worksheet("Orders")
    ws.add_table("A1:D5", {"name": "Orders", "columns": [{"header": "Item"}, {"header": "Qty"},
                                                           {"header": "Price"}, {"header": "Total"}],
                           "data": [["Pen", 2, 1.5, None], ["Ink", 1, 4.0, None], ["Pad", 5, 2.0, None],
                                    ["Clip", 9, 0.1, None]]})
    for r in range(1, 5):
        ws.write_formula(r, 3, f"=B{r + 1}*C{r + 1}")


def table_totals(wb, folder):
    ws = wb.add_worksheet("Budget")
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.add_table("B2:E7", {"name": "Budget", "total_row": True, "style": "Table Style Light 11",
                           "columns": [{"header": "Dept", "total_string": "Total"},
                                       {"header": "Q1", "total_function": "sum", "format": money},
                                       {"header": "Q2", "total_function": "average", "format": money},
                                       {"header": "Both", "formula": "=[@Q1]+[@Q2]", "total_function": "max"}],
                           "data": [["Ops", 10, 20], ["HR", 5, 6], ["IT", 30, 3], ["Legal", 1, 2]]})


def two_tables(wb, folder):
    for name in ("North", "South"):
        ws = wb.add_worksheet(name)
        ws.add_table("A1:C4", {"name": f"T_{name}", "header_row": name == "North",
                               "data": [["a", 1, 2], ["b", 3, 4], ["c", 5, 6]]})
    wb.worksheets()[0].write_formula("E1", "=SUM(T_North[Column2])")


def comments(wb, folder):
    ws = wb.add_worksheet("Notes")
    ws.write_column("A1", ["Call back", "Sent quote", "Waiting"])
    ws.write_comment("A1", "Customer prefers mornings", {"author": "Zoe"})
    ws.write_comment("A2", "Quote v2 — 5% discount", {"author": "Yan", "visible": True})
    ws.write_comment("C5", "Empty cell note", {"x_scale": 2, "color": "#C6EFCE"})
    ws2 = wb.add_worksheet("More")
    ws2.write("B2", "x")
    ws2.write_comment("B2", "On the second sheet")


def images(wb, folder):
    ws = wb.add_worksheet("Logo")
    ws.write("A1", "Company logo below")
    ws.insert_image("B3", "logo.png", {"image_data": io.BytesIO(tiny_png()), "x_scale": 20, "y_scale": 20,
                                       "url": "https://example.com", "description": "logo"})
    ws.set_header("&L&G&RConfidential", {"image_left": "hdr.png", "image_data_left": io.BytesIO(tiny_png())})


def background(wb, folder):
    ws = wb.add_worksheet("Bg")
    ws.write("A1", "with a background image")
    ws.set_background(io.BytesIO(tiny_png()))


def conditional_scales(wb, folder):
    ws = wb.add_worksheet("Heat")
    for r in range(10):
        ws.write_row(r, 0, [(r * 7 + c * 3) % 23 for c in range(4)])
    ws.conditional_format("A1:A10", {"type": "data_bar", "bar_color": "#63C384", "bar_solid": True})
    ws.conditional_format("B1:B10", {"type": "3_color_scale"})
    ws.conditional_format("C1:C10", {"type": "icon_set", "icon_style": "3_traffic_lights"})
    ws.conditional_format("D1:D10", {"type": "data_bar", "data_bar_2010": True, "bar_negative_color": "#FF0000"})


def conditional_rules(wb, folder):
    ws = wb.add_worksheet("Rules")
    red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    green = wb.add_format({"bg_color": "#C6EFCE"})
    for r in range(10):
        ws.write_row(r, 0, [r, f"item {r % 4}", r * 1.5])
    ws.conditional_format("A1:A10", {"type": "cell", "criteria": ">", "value": 5, "format": red})
    ws.conditional_format("B1:B10", {"type": "duplicate", "format": green})
    ws.conditional_format("C1:C10", {"type": "top", "value": 3, "format": red})
    ws.conditional_format("A1:C10", {"type": "formula", "criteria": "=$A1=3", "format": green})


def validation(wb, folder):
    ws = wb.add_worksheet("Form")
    ws.write_column("A1", ["Stage", "Date", "Code", "Qty"])
    ws.data_validation("B1", {"validate": "list", "source": ["Open", "Won", "Lost"], "input_title": "Pick"})
    ws.data_validation("B2", {"validate": "date", "criteria": "between", "minimum": dt.date(2026, 1, 1),
                              "maximum": dt.date(2026, 12, 31)})
    ws.data_validation("B3", {"validate": "length", "criteria": "==", "value": 5, "error_message": "5 chars"})
    ws.data_validation("B4", {"validate": "custom", "value": "=ISNUMBER(B4)"})
    ws.data_validation("D1:D50", {"validate": "list", "source": "=$A$1:$A$4"})


def rich_strings(wb, folder):
    ws = wb.add_worksheet("Rich")
    bold, red, italic = wb.add_format({"bold": True}), wb.add_format({"color": "red"}), wb.add_format({"italic": True})
    ws.write_rich_string("A1", "This is ", bold, "bold", " and this is ", red, "red")
    ws.write_rich_string("A2", italic, "Italic ", "then plain ", bold, "then bold")
    ws.write("A3", "plain text shared twice")
    ws.write("A4", "plain text shared twice")


def hyperlinks(wb, folder):
    ws = wb.add_worksheet("Links")
    ws.write_url("A1", "https://www.example.com/a?b=c&d=e", string="Example", tip="Go")
    ws.write_url("A2", "internal:Other!B2", string="To Other")
    ws.write_url("A3", "mailto:sales@example.com")
    ws.write_url("A4", "external:c:\\shared\\targets.xlsx#Sheet1!A1", string="targets file")
    wb.add_worksheet("Other").write("B2", "here")


def defined_names(wb, folder):
    ws = wb.add_worksheet("Calc")
    ws.write_column("A1", [1, 2, 3, 4])
    ws.write_formula("B1", "=SUM(Numbers)*Rate")
    wb.define_name("Numbers", "=Calc!$A$1:$A$4")
    wb.define_name("Rate", "=0.07")
    wb.define_name("Calc!Local", "=Calc!$B$1")
    ws.print_area("A1:B4")
    ws.repeat_rows(0)


def autofilter(wb, folder):
    ws = wb.add_worksheet("Filtered")
    ws.write_row(0, 0, ["Region", "Amount"])
    for i, region in enumerate(["East", "West", "East", "North", "West"], 1):
        ws.write_row(i, 0, [region, i * 10])
        if region != "East":
            ws.set_row(i, None, None, {"hidden": True})
    ws.autofilter("A1:B6")
    ws.filter_column("A", "x == East")


def vba(wb, folder):
    wb.add_vba_project(str(vba_project(folder)))
    wb.set_vba_name("ThisWorkbook")
    ws = wb.add_worksheet("Macros")
    ws.set_vba_name("Sheet1")
    ws.write("A1", "Press the button")
    ws.insert_button("B3", {"macro": "say_hello", "caption": "Hello"})


def vba_chart_comments(wb, folder):
    wb.add_vba_project(str(vba_project(folder)))
    ws = wb.add_worksheet("Data")
    cats, vals, _ = _data(wb, ws)
    chart = wb.add_chart({"type": "area"})
    chart.add_series({"categories": cats, "values": vals})
    ws.insert_chart("F2", chart)
    ws.write_comment("A1", "a note beside a macro button")
    ws.insert_button("F20", {"macro": "run_all", "caption": "Run"})


def dated(wb, folder):
    ws = wb.add_worksheet("Dates")
    fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i in range(5):
        ws.write_datetime(i, 0, dt.datetime(2026, 3, 1 + i), fmt)
    ws.write_formula("B1", "=A1+30", fmt)


def dated_chart_table(wb, folder):
    ws = wb.add_worksheet("Timeline")
    fmt = wb.add_format({"num_format": "d mmm yyyy"})
    ws.add_table("A1:B6", {"name": "Timeline", "columns": [{"header": "Day"}, {"header": "Calls"}]})
    for i in range(5):
        ws.write_datetime(i + 1, 0, dt.datetime(2026, 2, 2) + dt.timedelta(days=7 * i), fmt)
        ws.write(i + 1, 1, 3 + i)
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"categories": "=Timeline!$A$2:$A$6", "values": "=Timeline!$B$2:$B$6"})
    chart.set_x_axis({"date_axis": True, "num_format": "dd/mm"})
    ws.insert_chart("D2", chart)


def dated_comments(wb, folder):
    ws = wb.add_worksheet("Log")
    fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_datetime("A1", dt.datetime(2026, 5, 4, 9, 30), fmt)
    ws.write_comment("A1", "logged at the desk")


def dynamic_arrays(wb, folder):
    ws = wb.add_worksheet("Dyn")
    ws.write_column("A1", [3, 1, 2, 3, 1])
    ws.write_dynamic_array_formula("C1", "=_xlfn._xlws.SORT(_xlfn.UNIQUE(A1:A5))")
    ws.write_formula("E1", "=_xlfn.XLOOKUP(2,A1:A5,A1:A5)")
    ws.write_array_formula("F1:F1", "{=SUM(A1:A5*A1:A5)}")


def sparklines(wb, folder):
    ws = wb.add_worksheet("Spark")
    for r in range(3):
        ws.write_row(r, 0, [(r + c) % 5 for c in range(6)])
        ws.add_sparkline(r, 7, {"range": f"Spark!A{r + 1}:F{r + 1}", "type": ["line", "column", "win_loss"][r],
                                "markers": True})


def protection(wb, folder):
    ws = wb.add_worksheet("Locked")
    unlocked = wb.add_format({"locked": False})
    ws.write("A1", "locked")
    ws.write("A2", "editable", unlocked)
    ws.protect("secret", {"format_cells": True, "sort": True})
    wb.read_only_recommended()


def outline(wb, folder):
    ws = wb.add_worksheet("Grouped")
    ws.write_column("A1", ["Region", "  City 1", "  City 2", "Total"])
    ws.set_row(1, None, None, {"level": 1})
    ws.set_row(2, None, None, {"level": 1, "hidden": True})
    ws.set_column("C:D", 12, None, {"level": 1, "collapsed": True})
    ws.outline_settings(True, False, True, False)


def merged(wb, folder):
    ws = wb.add_worksheet("Report")
    center = wb.add_format({"align": "center", "bold": True, "border": 1})
    ws.merge_range("A1:E1", "Quarterly report", center)
    ws.merge_range("A2:A5", "Block", center)
    ws.write_row(1, 1, [1, 2, 3, 4])


def textbox(wb, folder):
    ws = wb.add_worksheet("Shapes")
    ws.insert_textbox("B2", "A text box\nwith two lines", {"width": 256, "fill": {"color": "#DDEBF7"},
                                                           "font": {"bold": True}})
    ws.insert_textbox("B10", "Linked", {"textlink": "=$A$1"})
    ws.write("A1", "text for the link")


def print_setup(wb, folder):
    ws = wb.add_worksheet("Print")
    ws.write("A1", "printable")
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5)
    ws.set_header("&CPipeline &D")
    ws.set_footer("&RPage &P of &N")
    ws.repeat_rows(0)
    ws.set_page_view()


def hidden_sheets(wb, folder):
    wb.add_worksheet("Visible").write("A1", "shown")
    h = wb.add_worksheet("Hidden")
    h.write("A1", "hidden")
    h.hide()
    v = wb.add_worksheet("VeryHidden")
    v.write("A1", "very hidden")
    v.very_hidden()


def properties(wb, folder):
    wb.set_properties({"title": "Quarterly", "author": "Ops", "company": "Example Co", "keywords": "sales",
                       "created": dt.datetime(2026, 1, 2, 3, 4, 5), "hyperlink_base": "https://example.com/"})
    wb.set_custom_property("Department", "Sales")
    wb.set_custom_property("Reviewed", True)
    wb.set_custom_property("Version", 3)
    wb.set_custom_property("Due", dt.datetime(2026, 12, 1))
    wb.add_worksheet("Props").write("A1", "see File > Properties")


def constant_memory(wb, folder):
    ws = wb.add_worksheet("Stream")
    for r in range(200):
        ws.write_row(r, 0, [f"row {r}", r, r * 0.5])


def embedded_image(wb, folder):
    ws = wb.add_worksheet("InCell")
    ws.write("A1", "picture in B1")
    ws.embed_image("B1", "cell.png", {"image_data": io.BytesIO(tiny_png())})


def checkboxes(wb, folder):
    ws = wb.add_worksheet("Tasks")
    ws.write_column("A1", ["Call", "Email", "Visit"])
    ws.insert_checkbox("B1", True)
    ws.insert_checkbox("B2", False)


def cosmetics(wb, folder):
    ws = wb.add_worksheet("Look")
    ws.set_tab_color("#FF9900")
    ws.set_zoom(150)
    ws.hide_gridlines(2)
    ws.write("A1", "123")
    ws.ignore_errors({"number_stored_as_text": "A1"})
    ws.freeze_panes(1, 1)
    ws.set_default_row(18)
    ws.right_to_left()


def formulas(wb, folder):
    ws = wb.add_worksheet("F")
    ws.write_column("A1", [10, 20, 30])
    ws.write_formula("B1", "=A1*2", None, 20)
    ws.write_formula("B2", '=IF(A2>15,"big","small")', None, "big")
    ws.write_formula("B3", "=A3/0", None, "#DIV/0!")
    ws.write_boolean("C1", True)
    ws.write_formula("C2", "=ISNUMBER(A1)", None, True)
    wb.set_calc_mode("manual")


def many_sheets(wb, folder):
    for i in range(1, 21):
        wb.add_worksheet(f"S{i:02d}").write("A1", i)


def unicode_names(wb, folder):
    ws = wb.add_worksheet("销售 2026")
    ws.write("A1", "客户名称")
    ws.write("A2", "Zürich — café ✓")
    ws.write("A3", "x" * 2000)
    wb.add_worksheet("O'Brien's").write_formula("A1", "='销售 2026'!A1")


def structured_refs(wb, folder):
    ws = wb.add_worksheet("Deals")
    ws.add_table("A1:C4", {"name": "Deals", "columns": [
        {"header": "Name"}, {"header": "Value"},
        {"header": "Share", "formula": "=[@Value]/SUM(Deals[Value])", "format": wb.add_format({"num_format": "0%"})}],
        "data": [["a", 10], ["b", 30], ["c", 60]]})
    ws.write_formula("E1", "=SUBTOTAL(109,Deals[Value])")


def everything(wb, folder):
    """Many features on one sheet, as a real dashboard has them."""
    ws = wb.add_worksheet("Dashboard")
    cats, vals, vals2 = _data(wb, ws, 6)
    ws.add_table("H1:I4", {"name": "Side", "data": [["x", 1], ["y", 2], ["z", 3]]})
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": cats, "values": vals})
    ws.insert_chart("A10", chart)
    ws.write_comment("B2", "peak month")
    ws.conditional_format("B2:B7", {"type": "data_bar"})
    ws.data_validation("C2:C7", {"validate": "integer", "criteria": ">", "value": 0})
    ws.write_url("K1", "https://example.com")
    ws.insert_image("K3", "i.png", {"image_data": io.BytesIO(tiny_png())})
    ws.merge_range("H6:I6", "merged", wb.add_format({"align": "center"}))
    ws.freeze_panes(1, 0)
    wb.define_name("Peak", "=Dashboard!$B$2")


# name -> (features, builder, workbook options, extension)
BOOKS: dict[str, tuple[tuple[str, ...], object, dict, str]] = {
    "plain": ((), plain, {}, "xlsx"),
    "chart-column": (("chart",), chart_book("column"), {}, "xlsx"),
    "chart-bar-stacked": (("chart",), chart_book("bar", "stacked"), {}, "xlsx"),
    "chart-line": (("chart",), chart_book("line", series={"smooth": True}), {}, "xlsx"),
    "chart-pie": (("chart",), chart_book("pie"), {}, "xlsx"),
    "chart-doughnut": (("chart",), chart_book("doughnut"), {}, "xlsx"),
    "chart-scatter": (("chart",), chart_book("scatter", "straight_with_markers"), {}, "xlsx"),
    "chart-area": (("chart",), chart_book("area", "percent_stacked"), {}, "xlsx"),
    "chart-radar": (("chart",), chart_book("radar", "filled"), {}, "xlsx"),
    "chart-stock": (("chart", "date-cells"), stock_chart, {}, "xlsx"),
    "chart-combined": (("chart",), combined_chart, {}, "xlsx"),
    "chartsheet": (("chartsheet", "chart"), chartsheet, {}, "xlsx"),
    "chartsheet-first": (("chartsheet", "chart"), chartsheet_and_chart, {}, "xlsx"),
    "table": (("table", "formulas"), tables, {}, "xlsx"),
    "table-totals": (("table", "formulas"), table_totals, {}, "xlsx"),
    "tables-two": (("table",), two_tables, {}, "xlsx"),
    "comments": (("comments",), comments, {}, "xlsx"),
    "images": (("image", "header-footer"), images, {}, "xlsx"),
    "background": (("image",), background, {}, "xlsx"),
    "cf-scales": (("conditional-format",), conditional_scales, {}, "xlsx"),
    "cf-rules": (("conditional-format",), conditional_rules, {}, "xlsx"),
    "validation": (("validation",), validation, {}, "xlsx"),
    "rich-text": (("rich-text",), rich_strings, {}, "xlsx"),
    "hyperlinks": (("hyperlink",), hyperlinks, {}, "xlsx"),
    "defined-names": (("defined-names", "print-settings"), defined_names, {}, "xlsx"),
    "autofilter": (("autofilter", "defined-names"), autofilter, {}, "xlsx"),
    "vba": (("vba", "form-control"), vba, {}, "xlsm"),
    "vba-chart-comments": (("vba", "chart", "comments", "form-control"), vba_chart_comments, {}, "xlsm"),
    "1904": (("1904", "date-cells"), dated, {"date_1904": True}, "xlsx"),
    "1904-chart-table": (("1904", "chart", "table", "date-cells"), dated_chart_table, {"date_1904": True}, "xlsx"),
    "1904-comments": (("1904", "comments", "date-cells"), dated_comments, {"date_1904": True}, "xlsx"),
    "dynamic-arrays": (("dynamic-array", "formulas"), dynamic_arrays, {}, "xlsx"),
    "sparklines": (("sparkline",), sparklines, {}, "xlsx"),
    "protection": (("protection",), protection, {}, "xlsx"),
    "outline": (("outline",), outline, {}, "xlsx"),
    "merged": (("merged",), merged, {}, "xlsx"),
    "textbox": (("textbox",), textbox, {}, "xlsx"),
    "print-setup": (("print-settings", "header-footer"), print_setup, {}, "xlsx"),
    "hidden-sheets": (("hidden-sheet",), hidden_sheets, {}, "xlsx"),
    "properties": (("custom-properties",), properties, {}, "xlsx"),
    "constant-memory": (("inline-strings",), constant_memory, {"constant_memory": True}, "xlsx"),
    "embedded-image": (("image", "rich-data"), embedded_image, {}, "xlsx"),
    "checkboxes": (("checkbox",), checkboxes, {}, "xlsx"),
    "cosmetics": (("freeze",), cosmetics, {}, "xlsx"),
    "formulas": (("formulas",), formulas, {}, "xlsx"),
    "many-sheets": (("many-sheets",), many_sheets, {}, "xlsx"),
    "unicode": (("unicode",), unicode_names, {}, "xlsx"),
    "structured-refs": (("table", "formulas"), structured_refs, {}, "xlsx"),
    "dashboard": (("chart", "table", "comments", "conditional-format", "validation", "hyperlink", "image",
                   "merged", "defined-names", "freeze"), everything, {}, "xlsx"),
    "zip64": ((), chart_book("column"), {"use_zip64": True}, "xlsx"),
}


def build(name: str, folder: Path) -> Path:
    features, builder, options, ext = BOOKS[name]
    path = folder / f"xw-{name}.{ext}"
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, **options})
    wb.set_properties({"created": dt.datetime(2026, 1, 1)})
    builder(wb, folder)
    wb.close()
    return path
