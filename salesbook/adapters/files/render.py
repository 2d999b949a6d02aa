"""Render the add-in's sheet models as SpreadsheetML parts.

``render_sheet`` turns a :class:`~salesbook.reports.model.SheetModel` into a complete
worksheet part plus, when the model has charts, one DrawingML drawing part and one
chart part per chart. The zip writer decides the part names and writes the
relationships; the parts only refer to them by fixed ids:

- the worksheet refers to its drawing as ``<drawing r:id="rIdDrawing1"/>``;
- the drawing refers to chart *i* (1-based, in model order) as ``r:id="rIdChart{i}"``.

Cells are rendered a whole column at a time with pandas string operations and put
together into rows with Arrow joins (one allocation per column, the rows' bytes taken
straight from Arrow's buffer), so a 100k-row sheet renders in a fraction of a second. Rendering is deterministic: the same
model and the same style indexes give the same bytes.

What is written where:

- strings are inline strings (``t="inlineStr"``), XML-escaped, with characters XML
  cannot carry removed, CR kept as ``&#13;`` and ``_xHHHH_`` look-alikes escaped the
  way Excel does (python-calamine and Excel decode them; openpyxl does not); text
  is never written as a formula, whatever it starts with;
- numbers are ``<v>`` values in their shortest round-trip form; NaN and ±inf give
  an empty (styled) cell;
- dates and datetimes are Excel serial numbers, in the workbook's date system (1900,
  or 1904 when ``date1904`` is given), with the 'date' format unless the column names
  another one;
- each column's semantic format (``FORMATS``) becomes a cell style through the
  StyleBook passed in (``styles.xf(...)`` returns a cellXfs index).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.reports.model import CJK, FORMATS, Block, SheetModel, fit_widths, header_heights, is_number_column
from salesbook.adapters.files.cellvalues import (
    xml_text_arrow,
    as_text,
    escape_text,
    format_code,
    number_text,
    range_ref,
    split_kinds,
)
from salesbook.adapters.files.charts import DRAWING_RID, chart_xml, drawing_xml
from salesbook.adapters.files.ooxml import NS_DOC_REL, NS_MAIN, XML_DECL
from salesbook.adapters.files.printing import page_setup_xml, row_breaks_xml, with_fit_to_page
from salesbook.cells import col_letter


HEADER_FILL = "DDEBF7"
TITLE_SIZE = 13

MAX_AUTO_WIDTH = 60.0
MIN_AUTO_WIDTH = 8.0

# Wide (East Asian) characters, which take two columns of width.
_CJK = CJK


@dataclass
class RenderedSheet:
    """The parts of one rendered sheet."""

    sheet_xml: bytes  # a complete worksheet part
    drawing_xml: bytes | None  # xl/drawings/drawingN.xml content, when there are charts
    charts: list[bytes]  # xl/charts/chartN.xml contents, in the order of rIdChart1..n


# --------------------------------------------------------------------------- public


def render_sheet(model: SheetModel, styles, *, sheet_pr: bytes | None = None, date1904: bool = False,
                 sink: Callable[[bytes], object] | None = None) -> RenderedSheet:
    """Render a whole add-in sheet: cells, column widths, frozen rows, print setup and charts.

    The print setup's defined names (print area, title rows) belong to ``workbook.xml``:
    the writer sets them (``salesbook.adapters.files.printing.set_print_names``).
    ``date1904``: the workbook uses the 1904 date system (``workbookPr date1904``).
    ``sink``: when given, the worksheet part is handed to it in pieces instead (``sheet_xml``
    is then empty), the same bytes: a long block's data ``CHUNK_ROWS`` rows at a time when
    no two of the sheet's pieces share a row and the block's columns are typed (``_pieces``),
    so a sheet of 200,000 rows never exists whole in memory."""
    st = StyleCache(styles, date1904)
    widths = fit_widths(model)
    heights = header_heights(model, widths)
    pieces = _pieces(model, st, heights) if sink is not None else None
    if pieces is not None:
        bounds = (pieces[0].first, min(u.col for u in pieces), pieces[-1].last, max(u.end for u in pieces))
        body = None
    else:
        fragments = _model_fragments(model, st, heights)
        body, bounds = rows_xml(fragments)
        del fragments  # the cells are in ``body`` now
    if model.page is not None:
        sheet_pr = with_fit_to_page(sheet_pr)
    head = [
        XML_DECL,
        _worksheet_open(sheet_pr),
        sheet_pr.decode("utf-8") if sheet_pr else "",
        f'<dimension ref="{range_ref(bounds)}"/>',
        sheet_views_xml(model.freeze_rows),
        '<sheetFormatPr defaultRowHeight="15"/>',
        cols_xml(widths),
        "<sheetData>" if bounds is not None else "<sheetData/>",
    ]
    tail = [
        "</sheetData>" if bounds is not None else "",
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>',
        page_setup_xml(model.page),
        row_breaks_xml(model.page),
        _ignored_errors_xml(bounds),
        f'<drawing r:id="{DRAWING_RID}"/>' if model.charts else "",
        "</worksheet>",
    ]
    if sink is None:
        sheet_xml = b"".join(["".join(head).encode("utf-8"), body, "".join(tail).encode("utf-8")])
    else:
        sink("".join(head).encode("utf-8"))
        if pieces is None:
            sink(body)
        else:
            for piece in pieces:
                sink(rows_xml(piece.fragments())[0])
        sink("".join(tail).encode("utf-8"))
        sheet_xml = b""
    del body
    if not model.charts:
        return RenderedSheet(sheet_xml, None, [])
    drawing = drawing_xml(model.charts)
    charts = [chart_xml(model, chart, date1904) for chart in model.charts]
    return RenderedSheet(sheet_xml, drawing, charts)


CHUNK_ROWS = 20_000  # data rows rendered at a time for a sink (~2 MB of XML per column)


@dataclass
class _Piece:
    """Rows first..last (columns col..end) of a sheet, rendered when asked."""

    first: int
    last: int
    col: int
    end: int
    fragments: Callable[[], list[Fragment]]


def _pieces(model: SheetModel, st: StyleCache, heights: dict[int, float]) -> list[_Piece] | None:
    """The sheet as pieces in row order (notes, block titles and headers, data in chunks of
    ``CHUNK_ROWS`` rows), each rendered on its own to the bytes ``rows_xml`` gives for all of
    them at once; None when two pieces share a row (blocks side by side: rendered whole).
    Only blocks whose columns are all texts, numbers or booleans are cut: their dtype decides
    every cell's kind and style (an object column's kind depends on the values beside it,
    a date column's on how early its dates are). The styles are asked for in the order
    rendering the whole sheet asks (each cut block's first row rendered ahead), so the
    workbook's style indexes are the same too."""
    pieces: list[_Piece] = []
    for block in model.blocks:
        frame = block.frame
        ncols = frame.shape[1]
        end = block.col + max(ncols, 1) - 1
        for f in block_fragments(block, st, heights=heights, data=False):
            pieces.append(_Piece(int(f.rows[0]), int(f.rows[0]), f.col, f.end, lambda f=f: [f]))
        if not (len(frame) and ncols):
            continue
        if not all(isinstance(d, pd.StringDtype) or (d != object and (pd.api.types.is_numeric_dtype(d)
                                                                       or pd.api.types.is_bool_dtype(d)))
                   for d in frame.dtypes):
            whole = data_fragment(block, st)[0]
            pieces.append(_Piece(block.first_data_row, block.last_row, block.col, end, lambda f=whole: [f]))
            continue
        data_fragment(dataclasses.replace(block, frame=frame.iloc[:1]), st)  # its styles, in order
        for a in range(0, len(frame), CHUNK_ROWS):
            part = Block(block.first_data_row + a, block.col, frame.iloc[a:a + CHUNK_ROWS], title=None, header=False,
                         formats=block.formats)
            pieces.append(_Piece(part.first_data_row, part.last_row, block.col, end,
                                 lambda part=part: [data_fragment(part, st)[0]]))
    for i, (row, col, text) in enumerate(sorted(model.notes)):
        xml = text_cell(row, col, text, st.title() if i == 0 else None)
        pieces.append(_Piece(row, row, col, col, lambda row=row, col=col, xml=xml: [_single(row, col, col, xml)]))
    if not pieces:
        return None
    pieces.sort(key=lambda u: (u.first, u.col))
    if any(b.first <= a.last for a, b in zip(pieces, pieces[1:])):
        return None
    return pieces


# --------------------------------------------------------------------------- styles


class StyleCache:
    """Asks the StyleBook once per distinct style and remembers the index. It also carries
    the workbook's date system (``date1904``), which the cells' date serials follow."""

    def __init__(self, styles, date1904: bool = False):
        self._styles = styles
        self.date1904 = date1904
        self._cache: dict[tuple, int] = {}

    def xf(self, **kwargs) -> int:
        key = tuple(sorted(kwargs.items()))
        if key not in self._cache:
            self._cache[key] = int(self._styles.xf(**kwargs))
        return self._cache[key]

    def title(self) -> int:
        return self.xf(bold=True, size=TITLE_SIZE)

    def header(self, right: bool = False) -> int:
        """A header cell, wrapping onto a second line where its column is narrower
        (``sheetmodel.fit_widths``); right-aligned over a column of numbers or dates."""
        return self.xf(bold=True, fill_rgb=HEADER_FILL, wrap=True, halign="right" if right else None)

    def data(self, fmt: str | None, kind: str) -> int | None:
        """The style of a data cell: the column's format, else one implied by the value."""
        if fmt:
            return self.xf(num_format=format_code(fmt))
        if kind == "date":
            return self.xf(num_format=FORMATS["date"])
        if kind == "td":
            return self.xf(num_format=FORMATS["days"])
        return None


# --------------------------------------------------------------------------- cells


def _style_attr(style: int | None) -> str:
    return "" if style is None else f' s="{style}"'


def _kind_bodies(kind: str, values: pd.Series, style: int | None, p: str) -> tuple[pd.Series, float]:
    """The part of each cell after ``<c r="A1``, and an estimate of the display width."""
    s = _style_attr(style)
    empty_body = f'"{s}/>' if style is not None else None  # unstyled empty cells are left out
    if kind == "str":
        raw = _arrow_text(values)
        text, preserve = xml_text_arrow(raw)
        lengths = pc.utf8_length(raw)
        if not pc.all(pc.string_is_ascii(raw)).as_py():  # wide characters count twice
            lengths = pc.add(lengths, pc.count_substring_regex(raw, _CJK))
        longest = pc.max(lengths).as_py() if len(raw) else None
        width = float(longest) if longest is not None else 0.0
        head = pc.if_else(preserve, _text_scalar(f'"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">'),
                          _text_scalar(f'"{s} t="inlineStr"><{p}is><{p}t>'))
        body = pc.binary_join_element_wise(head, text, _text_scalar(f"</{p}t></{p}is></{p}c>"), _text_scalar(""))
        keep = pc.fill_null(pc.and_kleene(pc.is_valid(raw), pc.not_equal(raw, "")), False)
        body = pc.if_else(keep, body, pa.scalar(empty_body, pa.large_string()))
        return pd.Series(pd.array(body, dtype="str"), index=values.index), width
    if kind == "bool":
        flags = pd.Series(np.where(values.fillna(False).to_numpy(bool), "1", "0"), index=values.index, dtype="str")
        body = f'"{s} t="b"><{p}v>' + flags + f"</{p}v></{p}c>"
        return body.where(values.notna().to_numpy(bool), empty_body), 5.0
    if kind in ("num", "date", "td"):
        txt, empty = number_text(values)
        body = f'"{s}><{p}v>' + txt + f"</{p}v></{p}c>"
        width = float(txt[~empty].str.len().max()) if (~empty).any() else 0.0
        return body.where(~empty.to_numpy(bool), empty_body), width
    return pd.Series(empty_body, index=values.index, dtype="str"), 0.0


def _display_width(kind: str, fmt: str | None, raw_width: float) -> float:
    """Characters a column needs to show its values in the given format."""
    code = format_code(fmt) if fmt else None
    if kind == "date" and fmt in (None, "date"):
        return 10.0
    if code == FORMATS["percent"]:
        return 7.0
    if kind in ("num", "td") and code and "," in code:
        return raw_width + raw_width // 3
    return raw_width


def column_cells(
    col: int, values: pd.Series, fmt: str | None, rows: pd.Series, st: StyleCache, p: str = ""
) -> tuple[pd.Series, float]:
    """Every cell of one column (on ``rows``) as XML, and the width the column needs."""
    values = values.reset_index(drop=True)
    if fmt == "text":
        values = as_text(values)
    width = 0.0
    parts = split_kinds(values, st.date1904)
    if len(parts) == 1:
        kind, conv = parts[0]
        bodies, raw = _kind_bodies(kind, conv, st.data(fmt, kind), p)
        width = _display_width(kind, fmt, raw)
    else:
        out = np.empty(len(values), dtype=object)
        for kind, conv in parts:
            body, raw = _kind_bodies(kind, conv, st.data(fmt, kind), p)
            out[conv.index.to_numpy()] = body.to_numpy(dtype=object)
            width = max(width, _display_width(kind, fmt, raw))
        bodies = pd.Series(out, dtype="str")
    start = _text_scalar(f'<{p}c r="{col_letter(col)}')
    cells = pc.binary_join_element_wise(start, _arrow_text(rows), _arrow_text(bodies), _text_scalar(""))
    return pc.fill_null(cells, _text_scalar("")), width  # no body: no cell


def join_columns(columns: list) -> pa.Array:
    """Concatenate per-row cell strings of several columns, in one Arrow join."""
    return pc.binary_join_element_wise(*[_arrow_text(c) for c in columns], _text_scalar(""))


def _text_scalar(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())


def _arrow_text(values) -> pa.Array:
    """A str Series (or an Arrow array) as one Arrow large_string array, nulls where missing."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, type=pa.large_string(), from_pandas=True)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
    return values if values.type == pa.large_string() else values.cast(pa.large_string())


def _arrow_bytes(values: pa.Array) -> bytes:
    """The concatenated texts of an Arrow string array (nulls left out), as UTF-8 bytes."""
    if values.null_count:
        values = values.drop_null()
    if not len(values):
        return b""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64, count=len(values) + 1, offset=8 * values.offset)
    return values.buffers()[2][int(offsets[0]):int(offsets[-1])].to_pybytes()


def text_cell(row: int, col: int, text: str, style: int | None, p: str = "") -> str:
    """One inline-string cell."""
    esc = escape_text(str(text))
    space = ' xml:space="preserve"' if esc[:1].isspace() or esc[-1:].isspace() else ""
    if not esc:
        return f'<{p}c r="{col_letter(col)}{row}"{_style_attr(style)}/>'
    return (
        f'<{p}c r="{col_letter(col)}{row}"{_style_attr(style)} t="inlineStr">'
        f"<{p}is><{p}t{space}>{esc}</{p}t></{p}is></{p}c>"
    )


def row_numbers(first: int, count: int) -> pd.Series:
    return pd.Series(np.arange(first, first + count, dtype=np.int64)).astype("str")


# --------------------------------------------------------------------------- rows


@dataclass
class Fragment:
    """Cells of consecutive columns [col, end] on each of ``rows``: one XML string per row."""

    rows: np.ndarray  # int64 row numbers
    col: int
    end: int
    xml: pd.Series | pa.Array  # text, aligned with rows
    height: float | None = None  # a row height in points for its rows (wrapped headers); None: Excel's


def _single(row: int, col: int, end: int, xml: str, height: float | None = None) -> Fragment:
    return Fragment(np.array([row], dtype=np.int64), col, end, pd.Series([xml], dtype="str"), height)


def _row_attrs(height: float | None) -> str:
    return "" if height is None or height != height else f' ht="{_fmt_width(height)}" customHeight="1"'


def assemble_rows(fragments: Sequence[Fragment], p: str = "") -> tuple[bytes, tuple[int, int, int, int] | None]:
    """``<sheetData>`` with the fragments merged per row (UTF-8), and the used range."""
    body, bounds = rows_xml(fragments, p)
    if bounds is None:
        return f"<{p}sheetData/>".encode(), None
    return f"<{p}sheetData>".encode() + body + f"</{p}sheetData>".encode(), bounds


def rows_xml(fragments: Sequence[Fragment], p: str = "") -> tuple[bytes, tuple[int, int, int, int] | None]:
    """``<row>`` elements (UTF-8) with the fragments merged per row, ascending, and the used range.

    Fragments may share rows (blocks side by side); they must not share cells.
    """
    fragments = [f for f in fragments if len(f.rows)]
    if not fragments:
        return b"", None
    alone = _rows_apart(fragments)
    if alone is not None:  # no row shared: each fragment's rows as they are, fragment after fragment
        body = b"".join(_fragment_rows(f, p) for f in alone)
        bounds = (int(alone[0].rows[0]), min(f.col for f in alone), int(alone[-1].rows[-1]), max(f.end for f in alone))
        return body, bounds
    frame = pd.DataFrame(
        {
            "row": np.concatenate([f.rows for f in fragments]),
            "col": np.concatenate([np.full(len(f.rows), f.col) for f in fragments]),
            "end": np.concatenate([np.full(len(f.rows), f.end) for f in fragments]),
            "xml": pd.concat([_str_series(f.xml) for f in fragments], ignore_index=True),
            "ht": np.concatenate([np.full(len(f.rows), np.nan if f.height is None else f.height) for f in fragments]),
        }
    )
    frame = frame.sort_values(["row", "col"], kind="stable", ignore_index=True)
    _check_overlaps(frame)
    rows = frame["row"].to_numpy()
    first = np.r_[True, rows[1:] != rows[:-1]]
    last = np.r_[rows[1:] != rows[:-1], True]
    opens = f'<{p}row r="' + frame["row"].astype("str") + '"'
    if frame["ht"].notna().any():  # a row's height: the tallest fragment's on it (a wrapped header's)
        tall = frame["ht"].groupby(frame["row"]).transform("max")
        has = tall.notna().to_numpy()
        attrs = pd.Series("", index=frame.index, dtype="str")
        attrs[has] = [_row_attrs(h) for h in tall[has].tolist()]  # header rows only
        opens = opens + attrs
    opens = (opens + ">").where(first, "")
    closes = pd.Series(np.where(last, f"</{p}row>", ""), dtype="str")
    body = (opens + frame["xml"] + closes).str.cat()
    bounds = (int(rows[0]), int(frame["col"].min()), int(rows[-1]), int(frame["end"].max()))
    return body.encode("utf-8"), bounds


def _rows_apart(fragments: Sequence[Fragment]) -> list[Fragment] | None:
    """The fragments in row order when no two hold the same row (each one's rows
    ascending, each starting below the one before); None otherwise."""
    order = sorted(fragments, key=lambda f: (int(f.rows[0]), f.col))
    bottom = 0
    for f in order:
        rows = f.rows
        if int(rows[0]) <= bottom or (len(rows) > 1 and not bool((rows[1:] > rows[:-1]).all())):
            return None
        bottom = int(rows[-1])
    return order


def _fragment_rows(f: Fragment, p: str) -> bytes:
    """``<row r="n">`` + the fragment's cells + ``</row>`` for each of its rows (rows whose
    cells are missing left out, as ``str.cat`` leaves them out)."""
    attrs = _row_attrs(f.height)
    if len(f.rows) == 1 and isinstance(f.xml, pd.Series):
        xml = f.xml.iloc[0]
        return b"" if pd.isna(xml) else f'<{p}row r="{int(f.rows[0])}"{attrs}>{xml}</{p}row>'.encode("utf-8")
    numbers = pa.array(f.rows, type=pa.int64()).cast(pa.large_string())
    rows = pc.binary_join_element_wise(_text_scalar(f'<{p}row r="'), numbers, _text_scalar(f'"{attrs}>'),
                                       _arrow_text(f.xml),
                                       _text_scalar(f"</{p}row>"), _text_scalar(""))
    return _arrow_bytes(rows)


def _str_series(xml) -> pd.Series:
    return xml if isinstance(xml, pd.Series) else pd.Series(xml.to_pylist(), dtype="str")


def _check_overlaps(frame: pd.DataFrame) -> None:
    rows, cols, ends = (frame[k].to_numpy() for k in ("row", "col", "end"))
    clash = (rows[1:] == rows[:-1]) & (cols[1:] <= ends[:-1])
    if clash.any():
        i = int(np.argmax(clash))
        raise ValueError(
            f"sheet model writes cell {col_letter(int(cols[i + 1]))}{int(rows[i + 1])} twice "
            "(two blocks or notes overlap)"
        )


# --------------------------------------------------------------------------- model -> fragments


def _model_fragments(model: SheetModel, st: StyleCache, heights: dict[int, float] | None = None) -> list[Fragment]:
    fragments: list[Fragment] = []
    for block in model.blocks:
        fragments.extend(block_fragments(block, st, heights=heights))
    # The first free line is the sheet's title (as the live-Excel adapter shows it too).
    for i, (row, col, text) in enumerate(sorted(model.notes)):
        fragments.append(_single(row, col, col, text_cell(row, col, text, st.title() if i == 0 else None)))
    return fragments


def block_fragments(block: Block, st: StyleCache, p: str = "",
                    heights: dict[int, float] | None = None, data: bool = True) -> list[Fragment]:
    """Title, header (its row ``heights[row]`` points tall, when given) and data (unless not
    ``data``) of one block."""
    frame = block.frame
    ncols = frame.shape[1]
    last_col = block.col + max(ncols, 1) - 1
    out: list[Fragment] = []
    if block.title:
        title = text_cell(block.row, block.col, block.title, st.title(), p)
        out.append(_single(block.row, block.col, block.col, title))
    names = [str(c) for c in frame.columns]
    if block.header and ncols:
        hrow = block.row + (1 if block.title else 0)
        # Headers of numbers and dates are right-aligned, like the values under them.
        xml = "".join(text_cell(hrow, block.col + j, name, st.header(is_number_column(block, j)), p)
                      for j, name in enumerate(names))
        out.append(_single(hrow, block.col, last_col, xml, (heights or {}).get(hrow)))
    if data and len(frame) and ncols:
        out.append(data_fragment(block, st, p)[0])
    return out


def data_fragment(block: Block, st: StyleCache, p: str = "") -> tuple[Fragment, dict[int, float]]:
    """The data rows of a block, rendered column by column."""
    frame = block.frame
    rows = row_numbers(block.first_data_row, len(frame))
    columns: list[pd.Series] = []
    widths: dict[int, float] = {}
    for j, name in enumerate(frame.columns):
        col = block.col + j
        cells, width = column_cells(col, frame.iloc[:, j], block.formats.get(str(name)), rows, st, p)
        columns.append(cells)
        widths[col] = width
    xml = join_columns(columns)
    rownums = np.arange(block.first_data_row, block.first_data_row + len(frame), dtype=np.int64)
    return Fragment(rownums, block.col, block.col + frame.shape[1] - 1, xml), widths


def text_width(text: str) -> float:
    """Columns a text takes (wide East Asian characters count twice)."""
    return float(len(text) + len(re.findall(_CJK, text)))


# --------------------------------------------------------------------------- sheet furniture


def _worksheet_open(sheet_pr: bytes | None) -> str:
    extra = ""
    if sheet_pr is not None:
        m = re.match(rb"\s*<(?:([A-Za-z_][\w.-]*):)?sheetPr\b", sheet_pr)
        if not m:
            raise ValueError("sheet_pr must be a <sheetPr> element")
        prefix = m.group(1)
        if prefix and b"xmlns:" + prefix + b"=" not in sheet_pr and prefix != b"r":
            extra = f' xmlns:{prefix.decode()}="{NS_MAIN}"'
    return f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_DOC_REL}"{extra}>'


def sheet_views_xml(freeze_rows: int, p: str = "") -> str:
    """One sheet view; rows 1..freeze_rows frozen when asked."""
    if freeze_rows <= 0:
        return f'<{p}sheetViews><{p}sheetView workbookViewId="0"/></{p}sheetViews>'
    top = f"A{freeze_rows + 1}"
    return (
        f'<{p}sheetViews><{p}sheetView workbookViewId="0">'
        f'<{p}pane ySplit="{freeze_rows}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
        f'<{p}selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
        f"</{p}sheetView></{p}sheetViews>"
    )


def cols_xml(widths: dict[int, float], p: str = "") -> str:
    if not widths:
        return ""
    cols = "".join(
        f'<{p}col min="{c}" max="{c}" width="{_fmt_width(w)}" customWidth="1"/>' for c, w in sorted(widths.items())
    )
    return f"<{p}cols>{cols}</{p}cols>"


def _fmt_width(w: float) -> str:
    return repr(round(float(w), 2)).removesuffix(".0")


def auto_width(chars: float) -> float:
    """A column width (in characters) for text of the given length, with some padding."""
    return min(max(chars + 2.0, MIN_AUTO_WIDTH), MAX_AUTO_WIDTH)


def _ignored_errors_xml(bounds) -> str:
    """Silence Excel's 'number stored as text' flags: ids like 00042 are text on purpose."""
    if bounds is None:
        return ""
    return f'<ignoredErrors><ignoredError sqref="{range_ref(bounds)}" numberStoredAsText="1"/></ignoredErrors>'
