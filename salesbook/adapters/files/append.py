"""Append rows to the add-in's log sheets (History, Archive) as worksheet XML.

``render_append`` either creates the log sheet (bold header row, frozen, fitted
widths) or appends to an existing worksheet part without parsing it whole: the
existing bytes are kept as they are and only these edits are made:

- the new rows are inserted before ``</sheetData>``, after the last existing row;
- columns of the new frame that the existing header lacks get a header cell at
  the right end of the header row (styled like its last header cell) and a width;
- ``<dimension>`` is widened to cover the new cells.

New columns are matched to the existing header by name, case-, space- and
punctuation-insensitively, and English and Chinese names of the same known
column match each other (``salesbook.rules.schema``). The scan is regex-based on bytes
and handles namespace prefixes (``x:row``), shared-string and inline-string
headers, and rows written without ``r`` attributes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesbook.rules.schema import match_header, norm
from salesbook.reports.model import AppendRows, log_sheet_model
from salesbook.cells import col_index, col_letter
from salesbook.adapters.files.cellxml import escape_attr
from salesbook.adapters.files.render import (
    Fragment,
    StyleCache,
    auto_width,
    column_cells,
    join_columns,
    render_sheet,
    row_numbers,
    rows_xml,
    text_cell,
    text_width,
)

MAX_ROWS = 1_048_576

_NAME = rb"[A-Za-z_][\w.-]*"
_SHEET_DATA = re.compile(rb"<(?:(" + _NAME + rb"):)?sheetData\b[^>]*?(/?)>")
_ROW_START = re.compile(rb"<(?:" + _NAME + rb":)?row\b([^>]*?)(/?)>")
_ROW_END = re.compile(rb"</(?:" + _NAME + rb":)?row\s*>")
_CELL = re.compile(rb"<(?:" + _NAME + rb":)?c\b([^>]*?)(?:/>|>(.*?)</(?:" + _NAME + rb":)?c\s*>)", re.S)
_ATTR_R = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)(\d*)["']""")
_ATTR_T = re.compile(rb"""(?:^|\s)t\s*=\s*["'](\w+)["']""")
_ATTR_S = re.compile(rb"""(?:^|\s)s\s*=\s*["'](\d+)["']""")
_VALUE = re.compile(rb"<(?:" + _NAME + rb":)?v\b[^>]*>(.*?)</(?:" + _NAME + rb":)?v\s*>", re.S)
_TEXT = re.compile(rb"<(?:" + _NAME + rb":)?t\b[^>]*?(?:/>|>(.*?)</(?:" + _NAME + rb":)?t\s*>)", re.S)
_PHONETIC = re.compile(rb"<(?:" + _NAME + rb":)?rPh\b.*?</(?:" + _NAME + rb":)?rPh\s*>", re.S)
_DIMENSION = re.compile(rb"""(<(?:""" + _NAME + rb""":)?dimension\b[^>]*?\sref\s*=\s*["'])([^"']*)(["'])""")
_COLS = re.compile(rb"<(?:" + _NAME + rb":)?cols\b[^>]*>(.*?)</(?:" + _NAME + rb":)?cols\s*>", re.S)
_COL = re.compile(rb"<(?:" + _NAME + rb":)?col\b([^>]*?)/?>")
_MIN = re.compile(rb"""(?:^|\s)min\s*=\s*["'](\d+)["']""")
_MAX = re.compile(rb"""(?:^|\s)max\s*=\s*["'](\d+)["']""")
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_REF = re.compile(r"([A-Za-z]+)(\d+)")


# --------------------------------------------------------------------------- public


def render_append(
    existing_sheet_xml: bytes | None,
    rows: AppendRows,
    styles,
    shared_strings: list[str] | None = None,
    *,
    date1904: bool = False,
) -> bytes:
    """The log sheet's worksheet part with ``rows`` appended (or a new one); dates are
    written in the workbook's date system (``date1904``: the 1904 one)."""
    if existing_sheet_xml is None:
        return new_log_sheet(rows, styles, date1904=date1904)
    return append_to_sheet(existing_sheet_xml, rows, styles, shared_strings if shared_strings is not None else [],
                           date1904=date1904)


def new_log_sheet(rows: AppendRows, styles, *, date1904: bool = False) -> bytes:
    """A log sheet of its own: header row (frozen) and the rows under it."""
    return render_sheet(log_sheet_model(rows), styles, date1904=date1904).sheet_xml


def used_bounds(sheet_xml: bytes) -> tuple[int, int, int, int] | None:
    """(first row, first col, last row, last col) of a worksheet part per its <dimension>."""
    try:
        return _dimension_bounds(sheet_xml, find_sheet_data(sheet_xml).start)
    except ValueError:
        return None


# --------------------------------------------------------------------------- scanning


@dataclass
class RowScan:
    """What the appender needs to know about the existing rows."""

    last_row: int  # 0 when the sheet has no rows
    header_row: int | None  # the first row holding a value
    header_end: int | None  # byte offset of the header row's closing tag
    header_cells: dict[int, tuple[str, int | None]]  # column -> (text, style)


@dataclass
class SheetDataSpan:
    prefix: str  # namespace prefix with its colon ('x:'), or ''
    start: int  # offset of '<sheetData'
    open_end: int  # offset just after the opening tag
    close: int  # offset of '</sheetData>' (== open_end when self-closing)
    self_closing: bool


def find_sheet_data(doc: bytes) -> SheetDataSpan:
    m = _SHEET_DATA.search(doc)
    if m is None:
        raise ValueError("worksheet XML has no <sheetData>")
    prefix = (m.group(1) or b"").decode()
    p = f"{prefix}:" if prefix else ""
    if m.group(2):
        return SheetDataSpan(p, m.start(), m.end(), m.end(), True)
    close = doc.rfind(f"</{p}sheetData".encode())
    if close < m.end():
        raise ValueError("worksheet XML has an unclosed <sheetData>")
    return SheetDataSpan(p, m.start(), m.end(), close, False)


def scan_rows(doc: bytes, span: SheetDataSpan, shared_strings: list[str]) -> RowScan:
    """The header row (the first row holding a value) and the last row number.

    Rows are ascending (the schema requires it), so when the last row carries ``r`` only
    the rows up to the header are read; otherwise every row is counted.
    """
    scan = _scan_forward(doc, span, shared_strings, stop_at_header=True)
    last = _last_explicit_row(doc, span)
    if last is None:
        last = _scan_forward(doc, span, shared_strings, stop_at_header=False).last_row
    scan.last_row = max(scan.last_row, last)
    return scan


def _scan_forward(doc: bytes, span: SheetDataSpan, shared_strings: list[str], stop_at_header: bool) -> RowScan:
    last = 0
    header: RowScan | None = None
    for m in _ROW_START.finditer(doc, span.open_end, span.close):
        attrs, empty = m.group(1), bool(m.group(2))
        explicit = _ATTR_R.search(attrs)
        end = None
        if explicit and explicit.group(2):
            number = int(explicit.group(2))
        else:
            end = m.end() if empty else _row_end(doc, m.end(), span.close)
            number = _implied_row_number(doc, m.end(), end, last)
        last = max(last, number)
        if header is None and not empty:
            end = _row_end(doc, m.end(), span.close) if end is None else end
            cells = header_cells(doc[m.end() : end], shared_strings)
            if any(text != "" for text, _ in cells.values()):
                header = RowScan(number, number, end, cells)
                if stop_at_header:
                    return header
    if header is None:
        return RowScan(last, None, None, {})
    header.last_row = last
    return header


def _last_explicit_row(doc: bytes, span: SheetDataSpan) -> int | None:
    """The ``r`` of the last row element, or None when it has none (or there are no rows)."""
    tag = f"<{span.prefix}row".encode()
    pos = span.close
    while True:
        pos = doc.rfind(tag, span.open_end, pos)
        if pos < 0:
            return None if _ROW_START.search(doc, span.open_end, span.close) else 0
        m = _ROW_START.match(doc, pos)
        if m is not None:
            explicit = _ATTR_R.search(m.group(1))
            return int(explicit.group(2)) if explicit and explicit.group(2) else None


def _row_end(doc: bytes, start: int, limit: int) -> int:
    m = _ROW_END.search(doc, start, limit)
    if m is None:
        raise ValueError("worksheet XML has an unclosed <row>")
    return m.start()


def _implied_row_number(doc: bytes, start: int, end: int, previous: int) -> int:
    """A row without ``r``: its first cell's row, else the one after the previous row."""
    cell = _CELL.search(doc, start, end) if end > start else None
    if cell is not None:
        ref = _ATTR_R.search(cell.group(1))
        if ref and ref.group(2):
            return int(ref.group(2))
    return previous + 1


def header_cells(row_xml: bytes, shared_strings: list[str]) -> dict[int, tuple[str, int | None]]:
    """Column -> (text, style index) of the cells of one row."""
    cells: dict[int, tuple[str, int | None]] = {}
    col = 0
    for m in _CELL.finditer(row_xml):
        attrs, inner = m.group(1), m.group(2) or b""
        ref = _ATTR_R.search(attrs)
        col = col_index(ref.group(1).decode()) if ref and ref.group(1) else col + 1
        style = _ATTR_S.search(attrs)
        cells[col] = (cell_text(attrs, inner, shared_strings), int(style.group(1)) if style else None)
    return cells


def cell_text(attrs: bytes, inner: bytes, shared_strings: list[str]) -> str:
    """The displayed text of a cell (numbers as written), '' when empty."""
    t = _ATTR_T.search(attrs)
    kind = t.group(1) if t else b"n"
    if kind == b"inlineStr":
        inner = _PHONETIC.sub(b"", inner)
        return _unescape(b"".join(m.group(1) or b"" for m in _TEXT.finditer(inner)))
    v = _VALUE.search(inner)
    if v is None:
        return ""
    value = _unescape(v.group(1))
    if kind == b"s":
        try:
            return shared_strings[int(value)]
        except (ValueError, IndexError):
            raise ValueError(
                f"header cell refers to shared string {value!r}, but only {len(shared_strings)} "
                "shared strings were given: pass the workbook's shared strings"
            ) from None
    return value


def _unescape(raw: bytes) -> str:
    text = html.unescape(raw.decode("utf-8"))
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


# --------------------------------------------------------------------------- mapping


def map_columns(
    names: list[object], header: dict[int, tuple[str, int | None]], first_free: int
) -> tuple[list[int], list[int]]:
    """Target column of each frame column, and which of the targets are new.

    A name matches a header cell when the two fold to the same text, or when both are
    names of the same known column (e.g. 'Lead ID' and '线索编号'). Each header cell
    takes one frame column; the rest go to new columns from ``first_free`` on.
    """
    by_norm: dict[str, int] = {}
    by_key: dict[str, int] = {}
    for col in sorted(header):
        text = header[col][0]
        if text == "":
            continue
        by_norm.setdefault(norm(text), col)
        key = match_header(text)
        if key is not None:
            by_key.setdefault(key, col)
    used: set[int] = set()
    targets: list[int] = []
    new: list[int] = []
    for name in names:
        col = _free(by_norm.get(norm(name)), used)
        if col is None:
            col = _free(by_key.get(match_header(name) or ""), used)
        if col is None:
            col, first_free = first_free, first_free + 1
            new.append(col)
        used.add(col)
        targets.append(col)
    return targets, new


def _free(col: int | None, used: set[int]) -> int | None:
    return None if col is None or col in used else col


# --------------------------------------------------------------------------- appending


def append_to_sheet(doc: bytes, rows: AppendRows, styles, shared_strings: list[str], *,
                    date1904: bool = False) -> bytes:
    """Append ``rows`` to an existing worksheet part, keeping every existing byte."""
    frame = rows.frame
    if len(frame) == 0 or frame.shape[1] == 0:
        return doc
    span = find_sheet_data(doc)
    scan = scan_rows(doc, span, shared_strings)
    dim = _dimension_bounds(doc, span.start)
    st = StyleCache(styles, date1904)
    p = span.prefix
    edits: list[tuple[int, int, bytes]] = []

    names = [str(c) for c in frame.columns]
    if scan.header_row is None:
        header_row = scan.last_row + 1
        targets, new_cols = list(range(1, len(names) + 1)), []
        header_xml = _header_row_xml(header_row, targets, names, st.header(), p)
        first_data = header_row + 1
    else:
        header_row = scan.header_row
        right = max([*scan.header_cells, _used_right(dim)])
        targets, new_cols = map_columns(names, scan.header_cells, right + 1)
        header_xml = ""
        if new_cols:
            style = _last_header_style(scan.header_cells)
            cells = "".join(text_cell(header_row, c, names[targets.index(c)], style, p) for c in new_cols)
            edits.append((scan.header_end, scan.header_end, cells.encode("utf-8")))
        first_data = scan.last_row + 1
    last_data = first_data + len(frame) - 1
    if last_data > MAX_ROWS:
        raise ValueError(f"sheet {rows.name!r} is full: {last_data:,} rows would exceed Excel's {MAX_ROWS:,}")

    data_xml, widths = _data_rows_xml(frame, targets, rows.formats, first_data, st, p)
    inserted = header_xml.encode("utf-8") + data_xml if header_xml else data_xml
    del data_xml
    if span.self_closing:
        opening = doc[span.start : span.open_end - 2].rstrip() + b">"
        edits.append((span.start, span.open_end, opening + inserted + f"</{p}sheetData>".encode()))
    else:
        edits.append((span.close, span.close, inserted))

    fresh = set(new_cols) if scan.header_row is not None else set(targets)
    header_widths = {c: text_width(names[targets.index(c)]) for c in fresh}
    col_widths = {c: auto_width(max(widths.get(c, 0.0), header_widths[c])) for c in fresh}
    edits.extend(_cols_edits(doc, span, col_widths))
    used = (min(header_row, first_data), min(targets), last_data, max(targets))
    edits.extend(_dimension_edit(doc, span.start, dim, used))
    return _apply(doc, edits)


def _header_row_xml(row: int, cols: list[int], names: list[str], style: int, p: str) -> str:
    cells = "".join(text_cell(row, c, name, style, p) for c, name in zip(cols, names))
    return f'<{p}row r="{row}">{cells}</{p}row>'


def _last_header_style(cells: dict[int, tuple[str, int | None]]) -> int | None:
    filled = [col for col, (text, _) in cells.items() if text != ""]
    return cells[max(filled)][1] if filled else None


def _data_rows_xml(
    frame: pd.DataFrame, targets: list[int], formats: dict[str, str], first: int, st: StyleCache, p: str
) -> tuple[bytes, dict[int, float]]:
    """The new rows, cells in column order; and the width each target column needs."""
    rownums = row_numbers(first, len(frame))
    columns: list[pd.Series] = []
    widths: dict[int, float] = {}
    order = sorted(range(len(targets)), key=lambda j: targets[j])
    for j in order:
        name = str(frame.columns[j])
        cells, width = column_cells(targets[j], frame.iloc[:, j], formats.get(name), rownums, st, p)
        columns.append(cells)
        widths[targets[j]] = width
    xml = join_columns(columns)
    del columns
    rows = np.arange(first, first + len(frame), dtype=np.int64)
    body, _ = rows_xml([Fragment(rows, min(targets), max(targets), xml)], p)
    return body, widths


# --------------------------------------------------------------------------- furniture


def _dimension_bounds(doc: bytes, limit: int) -> tuple[int, int, int, int] | None:
    m = _DIMENSION.search(doc, 0, limit)
    if m is None:
        return None
    refs = _REF.findall(m.group(2).decode("ascii", "replace"))
    if not refs:
        return None
    rows = [int(r) for _, r in refs]
    cols = [col_index(c) for c, _ in refs]
    return min(rows), min(cols), max(rows), max(cols)


def _used_right(dim) -> int:
    """The last used column per <dimension>, unless it spans the whole sheet width."""
    return dim[3] if dim and dim[3] < 16384 else 0


def _dimension_edit(doc: bytes, limit: int, dim, new) -> list[tuple[int, int, bytes]]:
    m = _DIMENSION.search(doc, 0, limit)
    if m is None:
        return []
    r1, c1, r2, c2 = new
    if dim is not None and not (dim[0] == dim[2] == 1 and dim[1] == dim[3] == 1):  # 'A1' means empty
        r1, c1, r2, c2 = min(r1, dim[0]), min(c1, dim[1]), max(r2, dim[2]), max(c2, dim[3])
    ref = f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"
    return [(m.start(2), m.end(2), ref.encode())]


def _cols_edits(doc: bytes, span: SheetDataSpan, widths: dict[int, float]) -> list[tuple[int, int, bytes]]:
    """Widths for new columns that no existing <col> covers, in column order."""
    if not widths:
        return []
    p = span.prefix
    m = _COLS.search(doc, 0, span.start)
    existing: list[tuple[int, int, int]] = []  # (min, max, offset of the element)
    if m is not None:
        for col in _COL.finditer(doc, m.start(1), m.end(1)):
            lo, hi = _MIN.search(col.group(1)), _MAX.search(col.group(1))
            if lo and hi:
                existing.append((int(lo.group(1)), int(hi.group(1)), col.start()))
    wanted = {c: w for c, w in widths.items() if not any(lo <= c <= hi for lo, hi, _ in existing)}
    if not wanted:
        return []
    elements = {
        c: f'<{p}col min="{c}" max="{c}" width="{_width_text(w)}" customWidth="1"/>'.encode() for c, w in wanted.items()
    }
    if m is None:
        body = b"".join(elements[c] for c in sorted(elements))
        return [(span.start, span.start, f"<{p}cols>".encode() + body + f"</{p}cols>".encode())]
    edits = []
    for c in sorted(elements):
        after = [off for lo, _, off in existing if lo > c]
        at = min(after) if after else m.end(1)
        edits.append((at, at, elements[c]))
    return edits


def _width_text(w: float) -> str:
    return escape_attr(repr(round(float(w), 2)).removesuffix(".0"))


def _apply(doc: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply non-overlapping (start, end, replacement) edits; inserts at one offset keep their order."""
    out: list[bytes] = []
    pos = 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(doc[pos:start])
        out.append(text)
        pos = max(pos, end)
    out.append(doc[pos:])
    return b"".join(out)
