"""What the add-in writes to its own sheets, independent of how it is written.

The rules build these models; the file adapter renders them as worksheet XML and
the live-Excel adapter through xlwings. Both therefore show the same figures.

Formats are semantic names, mapped to number formats by each adapter:
``text``, ``int``, ``number``, ``money``, ``percent``, ``date``, ``days``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FORMATS = {
    "text": "@",
    "int": "#,##0",
    "number": "#,##0.00",
    "money": "#,##0",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "days": "0.0",
}


@dataclass
class Block:
    """A table written at (row, col), 1-based: optional title line, header line, data."""

    row: int
    col: int
    frame: pd.DataFrame
    title: str | None = None
    header: bool = True
    formats: dict[str, str] = field(default_factory=dict)  # column name -> format name

    @property
    def first_data_row(self) -> int:
        return self.row + (1 if self.title else 0) + (1 if self.header else 0)

    @property
    def last_row(self) -> int:
        return self.first_data_row + len(self.frame) - 1

    @property
    def height(self) -> int:
        return self.last_row - self.row + 1


@dataclass
class Chart:
    """A native bar/column chart of one data column of a block, by its label column."""

    title: str
    block: int  # index into SheetModel.blocks
    category: str  # column of the block with the labels
    value: str  # column of the block with the values
    anchor_row: int  # top-left cell of the chart, 1-based
    anchor_col: int
    width_cols: int = 8
    height_rows: int = 16
    kind: str = "bar"  # horizontal bars read as a funnel
    also: tuple[str, ...] = ()  # more value columns of the block, one series each (won against target)


@dataclass
class PageSetup:
    """How a sheet prints: landscape, fit to one page wide (as many pages tall as it takes),
    ``title_rows`` (first, last) repeated at the top of every page, and a print area: the
    model's cells and charts (``print_area``). Appending to a log sheet extends its print
    area to the new rows (both adapters). ``breaks``: rows that start a new printed page
    (manual page breaks above them)."""

    title_rows: tuple[int, int] | None = None
    breaks: tuple[int, ...] = ()


@dataclass
class SheetModel:
    """A whole sheet the add-in owns (Funnel, Cleanse, Check)."""

    name: str
    blocks: list[Block] = field(default_factory=list)
    notes: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, text) free lines; the first is the title
    col_widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> width (overrides the fitted one)
    charts: list[Chart] = field(default_factory=list)
    freeze_rows: int = 0
    page: PageSetup | None = None  # None: no print setup (the application's defaults)


@dataclass
class AppendRows:
    """Rows appended to an add-in log sheet (History, Archive), under ``columns``.

    When the sheet exists, its header row is kept and new rows are aligned to it by
    header name (unknown names are added at the right); otherwise the sheet is created.
    """

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)


def log_sheet_model(rows: AppendRows) -> SheetModel:
    """A log sheet the add-in creates (History, Archive): the header row (frozen, repeated on
    every printed page) and the rows, widths fitted to them, printed landscape one page wide.
    Later appends extend its print area."""
    block = Block(row=1, col=1, frame=rows.frame, formats=dict(rows.formats))
    return SheetModel(name=rows.name, blocks=[block], freeze_rows=1, page=PageSetup(title_rows=(1, 1)))


# --------------------------------------------------------------------------- layout both adapters share

MIN_WIDTH, MAX_WIDTH, WIDTH_PADDING = 8.0, 60.0, 2.0  # column widths in characters
LINE_HEIGHT = 15.0  # points: Excel's default row height, one line of 11 pt text
SHORT_HEADER = 10  # columns: a header this wide or less is never wrapped
NUMBER_FORMATS = frozenset(["int", "number", "money", "percent", "date", "days"])
# Wide (East Asian) characters, which take two columns of width. RE2 syntax as well, so
# that pandas runs it in Arrow on str columns.
CJK = "[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"


def text_widths(texts: pd.Series) -> pd.Series:
    """Columns each text takes: its length, wide East Asian characters counted twice."""
    s = texts if isinstance(texts.dtype, pd.StringDtype) else _as_str(texts)
    n = s.str.len()
    if not s.str.isascii().fillna(True).all():
        n = n + s.str.count(CJK)
    return n.fillna(0)


_WIDE = re.compile(CJK)


def str_width(text: str) -> int:
    """Columns one text takes (a header, a title): wide characters count twice."""
    return len(text) + len(_WIDE.findall(text))


def _as_str(values: pd.Series) -> pd.Series:
    try:
        return values.astype("str")
    except (UnicodeEncodeError, UnicodeDecodeError, ValueError):  # lone surrogates, which Arrow cannot hold
        return values.map(lambda v: re.sub("[\ud800-\udfff]", "", v) if isinstance(v, str) else v,
                          na_action="ignore").astype("str")


def is_number_column(block: Block, j: int) -> bool:
    """Does column ``j`` (0-based) of the block show numbers or dates (right-aligned, header too)?"""
    fmt = block.formats.get(str(block.frame.columns[j]))
    if fmt is not None:
        return fmt in NUMBER_FORMATS
    dtype = block.frame.iloc[:, j].dtype
    return (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)) \
        or pd.api.types.is_datetime64_any_dtype(dtype)


def data_width(values: pd.Series, fmt: str | None) -> float:
    """Characters the widest value of a column takes in its format; vectorised (one pass of
    pandas string lengths for texts, the largest magnitude for numbers)."""
    if not len(values):
        return 0.0
    dtype = values.dtype
    if fmt == "date" or pd.api.types.is_datetime64_any_dtype(dtype):
        return 10.0  # yyyy-mm-dd
    if fmt != "text" and pd.api.types.is_bool_dtype(dtype):
        return 5.0
    if fmt != "text" and pd.api.types.is_numeric_dtype(dtype):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        arr = arr[np.isfinite(arr)]
        if not len(arr):
            return 0.0
        big, sign = float(np.abs(arr).max()), 1.0 if (arr < 0).any() else 0.0
        shown = {"int": f"{big:,.0f}", "money": f"{big:,.0f}", "number": f"{big:,.2f}", "days": f"{big:.1f}",
                 "percent": f"{big:.1%}"}.get(fmt or "", f"{big:.10g}")
        return len(shown) + sign
    present = values[values.notna()]
    if not len(present):
        return 0.0
    if dtype == object and pd.api.types.infer_dtype(present, skipna=True) in ("date", "datetime", "datetime64"):
        return 10.0
    return float(text_widths(present).max())


def header_width(text: str) -> float:
    """Columns a header needs when it may wrap onto two lines (headers wrap, so that a long
    label over a short number does not widen its column): the best split between words;
    a text without spaces of wide characters wraps anywhere, one without spaces not at all.
    Short headers (up to ``SHORT_HEADER`` columns) stay on one line."""
    words = text.split(" ")
    whole = str_width(text)
    if whole <= SHORT_HEADER:
        return float(whole)
    if len(words) == 1:
        wide = whole - len(text)  # the wide characters (counted twice)
        return float(-(-whole // 2)) if wide > 0 and wide * 2 >= len(text) else float(whole)
    best, left = whole, -1
    for word in words[:-1]:  # the first line ends after this word
        left += 1 + str_width(word)
        best = min(best, max(left, whole - left - 1))
    return float(best)


def fit_widths(model: SheetModel) -> dict[int, float]:
    """Column widths fitted to the blocks' headers (on up to two lines) and data; the notes
    overflow to the right and do not count; the model's own ``col_widths`` win. Both adapters
    use it."""
    need: dict[int, float] = {}
    for block in model.blocks:
        frame = block.frame
        for j, name in enumerate(frame.columns):
            col = block.col + j
            w = data_width(frame.iloc[:, j], block.formats.get(str(name)))
            if block.header:
                w = max(w, header_width(str(name)))
            need[col] = max(need.get(col, 0.0), w)
    widths = {col: min(max(w + WIDTH_PADDING, MIN_WIDTH), MAX_WIDTH) for col, w in need.items()}
    widths.update({int(c): float(w) for c, w in model.col_widths.items()})
    return widths


def header_heights(model: SheetModel, widths: dict[int, float]) -> dict[int, float]:
    """Row -> height (points) of the header rows whose texts wrap at these widths: two lines.
    (Set explicitly: LibreOffice does not grow a row for wrapped text when it opens a file.)"""
    out: dict[int, float] = {}
    for block in model.blocks:
        if not block.header or not block.frame.shape[1]:
            continue
        if any(str_width(str(name)) > widths.get(block.col + j, MIN_WIDTH) - WIDTH_PADDING
               for j, name in enumerate(block.frame.columns)):
            row = block.row + (1 if block.title else 0)
            out[row] = 2 * LINE_HEIGHT
    return out


def print_area(model: SheetModel) -> tuple[int, int, int, int]:
    """(1, 1, last row, last col): from A1 (the title) to the end of everything on the
    sheet: blocks, notes and the cells the charts cover."""
    bottom, right = [1], [1]
    for b in model.blocks:
        bottom.append(max(b.row, b.last_row))
        right.append(b.col + max(b.frame.shape[1], 1) - 1)
    for row, col, _ in model.notes:
        bottom.append(row)
        right.append(col)
    for ch in model.charts:  # anchored from its cell to width_cols/height_rows cells further (exclusive)
        bottom.append(ch.anchor_row + ch.height_rows - 1)
        right.append(ch.anchor_col + ch.width_cols - 1)
    return (1, 1, max(bottom), max(right))
