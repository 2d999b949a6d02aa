"""A report sheet drawn through xlwings from its sheet model (``reports.model``), as the file
adapter lays it out: blocks, title lines, widths, header style, frozen rows, chart, print setup.

Formats, fonts and widths are set per column range, not per cell; xlwings itself splits one
``.value`` write of more than 100,000 cells into chunks of that size (its
``max_cells_per_write`` budget): one call here, ``ceil(cells / 100,000)`` round trips to Excel.
"""

from __future__ import annotations

import re
import sys
from typing import Callable

from salesbook import owned
from salesbook.adapters.excel.plan import Plan, _plan_mark
from salesbook.adapters.excel.read import _refuse_foreign, _values, engine_name, find_sheet
from salesbook.adapters.excel.values import _runs, frame_grid, safe_text
from salesbook.cells import col_index, col_letter
from salesbook.reports.model import (
    FORMATS,
    LINE_HEIGHT,
    Block,
    Chart,
    PageSetup,
    SheetModel,
    fit_widths,
    header_heights,
    is_number_column,
    print_area,
)


CHART_TYPE = "bar_clustered"



POINTS_PER_COLUMN, POINTS_PER_ROW = 48.0, 15.0  # Excel's default cell size in points



def _plan_sheet(plan: Plan, book, model: SheetModel) -> None:
    exists = find_sheet(book, [model.name]) is not None
    name = find_sheet(book, [model.name]).name if exists else model.name
    role = owned.role_of(model.name)
    if exists and role is not None:  # a user's sheet of that name is never replaced
        _refuse_foreign(book, role, name, _values(book.sheets[name].range((1, 1), (2, 1))))

    def sheet():
        return book.sheets[name]

    if not exists:
        plan.add(f"the new sheet '{name}'", lambda: book.sheets.add(name, after=book.sheets[len(book.sheets) - 1]))
    else:
        plan.add(f"the old charts of sheet '{name}'", lambda: _delete_charts(sheet()))
        plan.add(f"the cleared sheet '{name}'", lambda: sheet().clear())
    plan.add(f"the title lines of sheet '{name}'", lambda: _write_notes(sheet(), model.notes))
    widths = fit_widths(model)  # as the file adapter sets them
    heights = header_heights(model, widths)
    for i, block in enumerate(model.blocks):
        grid = _block_grid(block)
        plan.add(f"table {i + 1} of sheet '{name}'", lambda b=block, g=grid: _write_block(sheet(), b, g, heights))
    if widths:
        plan.add(f"the column widths of sheet '{name}'", lambda: set_widths(book, sheet(), widths))
    if model.freeze_rows:
        plan.add(f"the frozen rows of sheet '{name}'", lambda: _freeze(sheet(), model.freeze_rows))
    for chart in model.charts:
        plan.add(f"the chart of sheet '{name}'", lambda c=chart: add_chart(sheet(), model, c, widths, heights, book))
    if model.page is not None:
        plan.add(f"the print setup of sheet '{name}'", lambda: set_page_setup(book, sheet(), model.page,
                                                                                print_area(model)))
    if role is not None:
        _plan_mark(plan, book, role, name)



def _delete_charts(sheet) -> None:
    try:
        charts = list(sheet.charts)
    except Exception:  # an engine without charts has none to delete
        return
    for c in reversed(charts):
        c.delete()



def _write_notes(sheet, notes: list[tuple[int, int, str]]) -> None:
    """Free text lines; consecutive lines of one column in one call. The first is the
    sheet's title (bold, larger)."""
    groups: list[list[tuple[int, int, str]]] = []
    for n in sorted(notes):
        if groups and n[1] == groups[-1][-1][1] and n[0] == groups[-1][-1][0] + 1:
            groups[-1].append(n)
        else:
            groups.append([n])
    for g in groups:
        sheet.range((g[0][0], g[0][1])).value = [[safe_text(t)] for _, _, t in g]
    if notes:
        r, c, _ = sorted(notes)[0]
        title = sheet.range((r, c))
        title.font.bold = True
        title.font.size = 14



def _block_grid(block: Block) -> list[list[object]]:
    width = block.frame.shape[1]
    grid: list[list[object]] = []
    if block.title:
        grid.append([safe_text(block.title)] + [None] * (width - 1))
    if block.header:
        grid.append([safe_text(str(c)) for c in block.frame.columns])
    grid.extend(frame_grid(block.frame))
    return grid



def _write_block(sheet, block: Block, grid: list[list[object]], heights: dict[int, float] | None = None) -> None:
    """Formats of the data columns (runs of equal formats), then the values in one call,
    then bold title and header (wrapped, right-aligned over numbers, ``heights[row]`` tall, else one line)."""
    n = len(block.frame)
    if n:
        cols = list(block.frame.columns)
        fmts = [FORMATS.get(block.formats.get(str(c), ""), None) for c in cols]
        start = 0
        while start < len(cols):
            end = start
            while end + 1 < len(cols) and fmts[end + 1] == fmts[start]:
                end += 1
            if fmts[start]:
                sheet.range((block.first_data_row, block.col + start),
                            (block.last_row, block.col + end)).number_format = fmts[start]
            start = end + 1
    if grid:
        sheet.range((block.row, block.col)).value = grid
    if block.title:
        sheet.range((block.row, block.col)).font.bold = True
    if block.header and block.frame.shape[1]:
        hr = block.row + (1 if block.title else 0)
        header = sheet.range((hr, block.col), (hr, block.col + block.frame.shape[1] - 1))
        header.font.bold = True
        _style_header(sheet, block, hr, header, (heights or {}).get(hr))



def _style_header(sheet, block: Block, row: int, header, height: float | None) -> None:
    """Headers wrap (their widths allow two lines) and sit right-aligned over numbers and
    dates, as in the file; one call per run of number columns. Cosmetic: an engine without
    these properties keeps plain headers."""
    _cosmetic(lambda: setattr(header, "wrap_text", True))
    # the height either way, so that there are as many calls whatever the texts
    _cosmetic(lambda: setattr(header, "row_height", height or LINE_HEIGHT))
    numbers = [j for j in range(block.frame.shape[1]) if is_number_column(block, j)]
    for run in _runs(numbers):
        right = sheet.range((row, block.col + run[0]), (row, block.col + run[-1]))
        _cosmetic(lambda r=right: setattr(r, "horizontal_alignment", "right"))



def _cosmetic(fn: Callable[[], None]) -> None:
    """A formatting call that an engine may not offer (xlwings Server's alignment needs an
    Office.js client): skipped there, never a reason to fail."""
    try:
        fn()
    except Exception:
        pass



def set_widths(book, sheet, widths: dict[int, float]) -> None:
    """Column widths in Excel's character units, one call per column (as many calls
    whatever the figures). The remote engine takes points."""
    points = engine_name(book) in ("remote", "officejs")
    for col, w in sorted(widths.items()):
        value = round((w * 7 + 5) * 0.75, 2) if points else w
        sheet.range((1, col)).column_width = value



def _freeze(sheet, rows: int) -> None:
    try:
        sheet.freeze_panes.freeze_at(f"1:{rows}")
    except Exception:  # not offered by every engine (desktop Windows): cosmetic only
        pass



def set_page_setup(book, sheet, page: PageSetup, area: tuple[int, int, int, int]) -> None:
    """Print as the file adapter sets it (salesbook.adapters.files.printing): the print area through
    xlwings (every engine); landscape, one page wide and the title rows through Excel's own
    PageSetup object (desktop Excel on Windows and macOS). Cosmetic: never a reason to fail."""
    r1, c1, r2, c2 = area
    try:
        sheet.page_setup.print_area = f"${col_letter(c1)}${r1}:${col_letter(c2)}${r2}"
    except Exception:
        pass
    if engine_name(book) != "excel":
        return
    titles = f"${page.title_rows[0]}:${page.title_rows[1]}" if page.title_rows else None
    try:
        native_page_setup(sheet.page_setup.api, sys.platform, titles)
    except Exception:
        pass
    try:
        native_page_breaks(sheet.api, sys.platform, getattr(page, "breaks", ()))
    except Exception:
        pass



def native_page_setup(api, platform: str, titles: str | None) -> None:
    """Landscape, one page wide (any number of pages tall) and the rows repeated at the top of
    each page, on Excel's PageSetup object: COM on Windows, AppleScript (appscript) on macOS."""
    if platform == "win32":
        api.Orientation = 2  # xlLandscape
        api.Zoom = False  # required for FitToPagesWide/Tall to apply
        api.FitToPagesWide = 1
        api.FitToPagesTall = False
        if titles:
            api.PrintTitleRows = titles
    elif platform == "darwin":
        from appscript import k

        api.page_orientation.set(k.landscape)
        api.zoom.set(False)
        api.fit_to_pages_wide.set(1)
        api.fit_to_pages_tall.set(False)
        if titles:
            api.print_title_rows.set(titles)



def native_page_breaks(api, platform: str, rows: tuple[int, ...]) -> None:
    """The sheet's manual page breaks: those of an earlier write removed, then one above each
    of ``rows`` (COM on Windows; elsewhere Excel's own page breaks)."""
    if platform != "win32":
        return
    api.ResetAllPageBreaks()
    for row in sorted(set(r for r in rows if r > 1)):
        api.HPageBreaks.Add(api.Rows(row))


def _extend_print_area(sheet, last_row: int, last_col: int) -> None:
    """A log sheet's print area grows with the rows appended (as in the file); left alone
    when it has none, or one that is not a single range. Cosmetic: never a reason to fail."""
    try:
        area = sheet.page_setup.print_area
        m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)", str(area or "").split("!")[-1])
        if m is None:
            return
        c2 = max(col_index(m.group(3)), last_col)
        r2 = max(int(m.group(4)), last_row)
        sheet.page_setup.print_area = f"${m.group(1)}${m.group(2)}:${col_letter(c2)}${r2}"
    except Exception:
        pass



def _chart_size(chart: Chart, widths: dict[int, float] | None, heights: dict[int, float] | None) -> tuple[float, float]:
    """The chart's width and height in points: the cells it covers, as the file anchors it."""
    if widths is None:
        return chart.width_cols * POINTS_PER_COLUMN, chart.height_rows * POINTS_PER_ROW
    cols = range(chart.anchor_col, chart.anchor_col + chart.width_cols)
    rows = range(chart.anchor_row, chart.anchor_row + chart.height_rows)
    width = sum((widths[c] * 7 + 5) * 0.75 if c in widths else POINTS_PER_COLUMN for c in cols)  # chars -> px -> pt
    height = sum((heights or {}).get(r, LINE_HEIGHT) for r in rows)
    return width, height



def add_chart(sheet, model: SheetModel, chart: Chart, widths: dict[int, float] | None = None,
              heights: dict[int, float] | None = None, book=None) -> bool:
    """A native bar chart of one block column by its label column, over the cells the file
    anchors it to (``widths``/``heights`` of the sheet), drawn as the file draws it from the same
    model (``native_chart``: on desktop Excel). Guarded: an engine without chart support still
    gets the data; returns whether the chart was made."""
    block = model.blocks[chart.block]
    cols = [str(c) for c in block.frame.columns]
    try:
        cat, val = cols.index(chart.category), cols.index(chart.value)
    except ValueError:
        return False
    header_row = block.row + (1 if block.title else 0)
    last = block.last_row
    horizontal = chart.kind == "bar"
    try:
        anchor = sheet.range((chart.anchor_row, chart.anchor_col))
        width, height = _chart_size(chart, widths, heights)
        c = sheet.charts.add(anchor=anchor, width=width, height=height,
                             chart_type=CHART_TYPE if horizontal else "column_clustered")
        if val == cat + 1:
            c.set_source_data(sheet.range((header_row, block.col + cat), (last, block.col + val)))
        else:
            c.set_source_data(sheet.range((header_row, block.col + val), (last, block.col + val)))
            c.set_x_axis_values(sheet.range((header_row + 1, block.col + cat), (last, block.col + cat)))
        try:
            c.title = chart.title
        except Exception:
            pass
    except Exception:
        return False
    if book is not None and engine_name(book) == "excel":
        fmt = block.formats.get(str(chart.value), "")
        try:
            native_chart(_chart_api(c), sys.platform, horizontal, FORMATS.get(fmt, fmt) or "General")
        except Exception:  # cosmetic: the chart is there with Excel's defaults
            pass
    return True


def _chart_api(chart):
    """Excel's Chart object of an xlwings chart (on Windows ``.api`` is (ChartObject, Chart))."""
    api = chart.api
    return api[1] if isinstance(api, tuple) else api


def native_chart(api, platform: str, horizontal: bool, label_format: str) -> None:
    """The chart as the file adapter draws it from the model (``adapters.files.render.chart_xml``):
    no legend, bars 50% apart, value labels outside the bars in the value column's number format
    and, for horizontal bars, the first category at the top (reversed category axis, the value
    axis crossing it at the bottom). On Excel's Chart object through COM (Windows)."""
    if platform != "win32":
        return
    api.HasLegend = False
    api.ChartGroups(1).GapWidth = 50
    if horizontal:
        axis = api.Axes(1)  # xlCategory
        axis.ReversePlotOrder = True
        axis.Crosses = 2  # xlAxisCrossesMaximum: the value axis sits at the last category, the bottom
    series = api.SeriesCollection(1)
    series.HasDataLabels = True
    labels = series.DataLabels()
    labels.ShowValue = True
    labels.NumberFormat = label_format
    labels.Position = 2  # xlLabelPositionOutsideEnd



def _lay_out_log(book, sheet, model: SheetModel) -> None:
    """Header style, column widths, frozen header and print setup of a new log sheet."""
    widths = fit_widths(model)
    block = model.blocks[0]
    header = sheet.range((1, 1), (1, block.frame.shape[1]))
    _style_header(sheet, block, 1, header, header_heights(model, widths).get(1))
    set_widths(book, sheet, widths)
    _freeze(sheet, model.freeze_rows)
    set_page_setup(book, sheet, model.page, print_area(model))


__all__ = ["add_chart", "native_chart", "set_widths", "set_page_setup", "native_page_setup", "native_page_breaks"]
