"""Streaming rewrite of the Leads worksheet part: write the output columns, delete rows.

The sheet XML is read in chunks and split into rows at ``</row>`` (bytes-level, no
DOM). Only these things change:

- cells of the output columns in data rows (values replaced, each cell's ``s`` kept;
  dates get a date style); missing output columns get a header cell and data cells
  at the right of the table;
- rows listed in ``delete_rows`` (lead rows) are deleted the way Excel's *Delete Table
  Rows* does, not as whole sheet rows: only the cells of the table's columns (appended
  output columns included) on the table's rows (down to a totals row) go, and the
  table's cells below them move up within those columns. Cells left and right of the
  table and every cell below the table stay where they are with their values, formulas
  and styles (docs/spec.md §4: what the add-in does not own is the same after a run; Excel's
  own shift-up would also pull up cells beneath the table in its columns); the
  table rows left empty at the bottom keep their cells outside the table. Row
  attributes (height, hidden, row style) belong to the sheet row and stay with its
  number; a ``<row>`` left with nothing but its number and hints is dropped. Formulas
  anywhere on the sheet are adjusted the way Excel adjusts references to moved cells: a
  reference wholly inside the table's columns and rows follows the cell (``#REF!`` when
  it was deleted); a reference reaching outside those columns, or below the table, does
  not change (shared formulas are expanded into plain ones first). The ranges after the
  cell data (merges, hyperlinks, conditional formats, validations) follow the same rule:
  wholly inside the table's columns they move (gone when all their rows are deleted),
  otherwise they stay;
- ``<dimension>``, ``<cols>`` (widths of appended columns) and row ``spans`` (the
  dimension keeps its bottom row when rows are deleted: still a bound of every cell).

Every other byte of the part is copied as it is. Rows are processed with a fast
path for the common layout (every cell has an ``r`` written first) and a general
path for anything else (positional cells, odd attribute order, rich text...). The
fast path takes a whole chunk (~1 MB) of consecutive data rows at once when it can
(:meth:`LeadsRewriter._vector_rows`: numpy finds the tags, Arrow joins the rows, no
Python step per row) and one row at a time otherwise (:meth:`LeadsRewriter._fast_rows`);
both write the same bytes (``VECTOR_ROWS = False`` switches the chunk path off).
For speed, the new cell XML of the output columns is built for blocks of 16k rows
at a time with Arrow (see ``cellxml``), once per distinct style layout of a row.

Cell notes (comments and their VML shapes) and defined names referring to this sheet
follow their cells by the same rule, and a note on an archived cell goes to the Archive
sheet with its row (``salesbook.adapters.files.notes``).
Formulas on *other* sheets (and their conditional formats, validations, charts) pointing
into the moved rows follow by the same rule too (``salesbook.adapters.files.references``).
Not adjusted when rows are deleted: formulas inside this sheet's conditional formats and
validations, drawings and images anchored to cells, sheet views. Rows are deleted
by the Archive command only, and the moved cells are the add-in's own table rows. A
merged range straddling the table's edge is left as it is (Excel would refuse the delete).
When a plain range's sheet-level autoFilter is widened over appended columns, the
hidden ``_xlnm._FilterDatabase`` name is left as it is (Excel resets it on filter).
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import gc
import html
import queue
import re
import threading
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.errors import Refusal
from salesbook.adapters.files import cellxml
from salesbook.adapters.files.reader import LeadsLocation, col_index, col_letter, parse_ref
from salesbook.adapters.files.styles import StyleBook

BLOCK_ROWS = 1 << 14
VECTOR_ROWS = True  # regular data rows a chunk at a time (numpy/Arrow); False: one at a time
CHUNK_BYTES = 1 << 20
FLUSH_BYTES = 1 << 20
MAX_PLANS_PER_BLOCK = 16

_NAME = rb"[A-Za-z_][\w.-]*"


@dataclass
class OwnedColumn:
    """An output column as the rewriter sees it."""

    col: int  # 1-based sheet column
    key: str
    header: str
    kind: str  # 'text' | 'number' | 'date'
    values: pd.Series  # positional, one per data row
    appended: bool  # not in the table yet: header cell and data cells are added
    width: float | None = None
    letter: bytes = b""

    def __post_init__(self) -> None:
        self.letter = col_letter(self.col).encode()


# --------------------------------------------------------------------------- row numbers


class RowMap:
    """Where rows go when some are deleted: r -> r - (deleted rows above r).

    Unbounded (the default), whole sheet rows go and every row below moves up. Bounded
    (:meth:`bounded`), only the cells of columns ``first_col..last_col`` on rows up to
    ``bottom`` move, the way Excel deletes table rows: cells left or right of those
    columns, and cells below ``bottom``, stay where they are (see :func:`shift_range`).
    """

    def __init__(self, deleted: Sequence[int], *, cols: tuple[int, int] | None = None, bottom: int | None = None):
        self.deleted = sorted(set(int(r) for r in deleted))
        self._set = set(self.deleted)
        self.cols = cols
        self.bottom = bottom

    def bounded(self, first_col: int, last_col: int, bottom: int) -> "RowMap":
        """The same deleted rows, moving only the cells of a table's columns down to ``bottom``."""
        return RowMap(self.deleted, cols=(first_col, last_col), bottom=bottom)

    def __bool__(self) -> bool:
        return bool(self.deleted)

    def is_deleted(self, row: int) -> bool:
        return row in self._set

    def shift(self, row: int) -> int:
        """How many deleted rows are above ``row``."""
        return bisect.bisect_left(self.deleted, row)

    def _stays(self, row: int) -> bool:
        return self.bottom is not None and row > self.bottom

    def new(self, row: int) -> int | None:
        """The row's new number, None when it is deleted."""
        if row in self._set:
            return None
        if self._stays(row):
            return row
        return row - bisect.bisect_left(self.deleted, row)

    def span(self, r1: int, r2: int) -> tuple[int, int] | None:
        """A row span after deletion (None when all its rows are deleted)."""
        a = r1 if self._stays(r1) else r1 - bisect.bisect_left(self.deleted, r1)
        b = r2 if self._stays(r2) else r2 - bisect.bisect_right(self.deleted, r2)
        return (a, b) if b >= a else None

    def moves(self, c1: int | None, c2: int | None) -> bool:
        """Do references to columns ``c1..c2`` move? (None: whole rows, all columns.)"""
        if self.cols is None:
            return True
        if c1 is None or c2 is None:
            return False
        return self.cols[0] <= min(c1, c2) and max(c1, c2) <= self.cols[1]

    def new_rows(self, rows: np.ndarray) -> np.ndarray:
        return rows - np.searchsorted(np.asarray(self.deleted, dtype=np.int64), rows, side="left")


_RANGE = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)(\d+)(?::(\$?)([A-Za-z]{1,3})(\$?)(\d+))?$")
_ROWS_ONLY = re.compile(r"^(\$?)(\d+):(\$?)(\d+)$")


def shift_range(ref: str, rows: RowMap) -> str | None:
    """A cell or range after row deletion ('A5:C9' -> 'A4:C7'); None when all deleted.

    With a bounded map only references wholly inside its columns move; a range reaching
    outside them (and a whole-row range) stays as it is, like the cells it names."""
    m = _RANGE.match(ref)
    if m:
        d1, c1, d2, r1, d3, c2, d4, r2 = m.groups()
        if c2 is None:
            if not rows.moves(col_index(c1), col_index(c1)):
                return ref
            new = rows.new(int(r1))
            return None if new is None else f"{d1}{c1}{d2}{new}"
        if not rows.moves(col_index(c1), col_index(c2)):
            return ref
        span = rows.span(int(r1), int(r2))
        if span is None:
            return None
        if span[0] == span[1] and (c1, d1, d2) == (c2, d3, d4):
            return f"{d1}{c1}{d2}{span[0]}"
        return f"{d1}{c1}{d2}{span[0]}:{d3}{c2}{d4}{span[1]}"
    m = _ROWS_ONLY.match(ref)
    if m:
        if not rows.moves(None, None):
            return ref
        span = rows.span(int(m.group(2)), int(m.group(4)))
        return None if span is None else f"{m.group(1)}{span[0]}:{m.group(3)}{span[1]}"
    return ref  # whole columns and anything else do not move


def shift_sqref(sqref: str, rows: RowMap) -> str:
    """A space-separated list of ranges after row deletion (ranges fully deleted dropped)."""
    out = [shift_range(r, rows) for r in sqref.split()]
    return " ".join(r for r in out if r)


def adjust_formula(formula: str, rows: RowMap, sheet_names: set[str], *, bare: bool = True) -> str:
    """References to this sheet in a formula (without '='), after row deletion.

    ``bare``: a reference without a sheet name is to this sheet (a cell formula); a
    defined name's formula passes False, so only references naming the sheet change."""
    from openpyxl.formula.tokenizer import Token, Tokenizer

    try:
        tok = Tokenizer("=" + formula)
    except Exception:
        return formula
    changed = False
    for t in tok.items:
        if t.type != Token.OPERAND or t.subtype != Token.RANGE:
            continue
        value = t.value
        sheet, sep, ref = value.rpartition("!")
        if sep:
            name = sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet
            if name.casefold() not in sheet_names:
                continue
        elif not bare:
            continue
        new = shift_range(ref, rows) if (_RANGE.match(ref) or _ROWS_ONLY.match(ref)) else ref
        if new is None:
            new = "#REF!"
        if new != ref:
            t.value = f"{sheet}{sep}{new}"
            changed = True
    return tok.render()[1:] if changed else formula


# --------------------------------------------------------------------------- column sets


def letters_at_least(col: int) -> str:
    """A regex matching column letters (1-3 letters) of column ``col`` or further right."""
    word = col_letter(col)
    n = len(word)
    alts = []
    if n < 3:
        alts.append(f"[A-Z]{{{n + 1},3}}")
    for i in range(n):
        if word[i] < "Z":
            rest = n - i - 1
            alts.append(word[:i] + f"[{chr(ord(word[i]) + 1)}-Z]" + (f"[A-Z]{{{rest}}}" if rest else ""))
    alts.append(word)
    return "(?:" + "|".join(alts) + ")"


@dataclass
class Run:
    """Owned columns next to each other: rewritten as one segment of each row."""

    columns: list[OwnedColumn]
    first_re: re.Pattern  # first cell at or right of the run
    after_re: re.Pattern | None  # first cell right of the run

    @property
    def empty_plan(self) -> tuple:
        return (None,) * len(self.columns)

    @property
    def first(self) -> int:
        return self.columns[0].col

    @property
    def last(self) -> int:
        return self.columns[-1].col


def make_runs(owned: list[OwnedColumn], p: bytes) -> list[Run]:
    runs: list[list[OwnedColumn]] = []
    for oc in sorted(owned, key=lambda c: c.col):
        if runs and runs[-1][-1].col == oc.col - 1:
            runs[-1].append(oc)
        else:
            runs.append([oc])
    out = []
    for cols in runs:
        first = re.compile(b"<" + re.escape(p) + b'c r="' + letters_at_least(cols[0].col).encode() + rb"\d")
        after = None
        if cols[-1].col < 16384:
            after = re.compile(b"<" + re.escape(p) + b'c r="' + letters_at_least(cols[-1].col + 1).encode() + rb"\d")
        out.append(Run(cols, first, after))
    return out


# --------------------------------------------------------------------------- new cells


class Cells:
    """New XML for the owned columns, block by block, per style layout ('plan').

    A plan is the tuple of existing ``s`` values (bytes or None) of a run's cells in a
    row; the same plan gives the same styles, so its segments are built vectorised.
    """

    def __init__(self, runs: list[Run], header_row: int, n_rows: int, rows: RowMap, styles: StyleBook,
                 p: bytes = b"", date1904: bool = False):
        self.tags = cellxml.Tags(p)
        self.date1904 = date1904  # the workbook's date system, for the serials of dates
        self.runs = runs
        self.header_row = header_row
        self.n_rows = n_rows
        self.rows = rows
        self.styles = styles
        self._block = -1
        self._tails: dict[int, tuple[pa.Array, np.ndarray]] = {}
        self._arrays: dict[tuple[int, tuple], pa.Array] = {}  # the block's segments per plan
        self._segments: dict[tuple[int, tuple], list[bytes]] = {}  # the same as bytes objects
        self._rownums: pa.Array | None = None
        self._date_style: dict[bytes | None, bytes] = {}
        self._any_value: np.ndarray | None = None

    def _load(self, block: int) -> None:
        if block == self._block:
            return
        self._block = block
        a = block * BLOCK_ROWS
        b = min(self.n_rows, a + BLOCK_ROWS)
        self._tails = {}
        self._arrays = {}
        self._segments = {}
        for run in self.runs:
            for oc in run.columns:
                self._tails[oc.col] = cellxml.encode(oc.values.iloc[a:b], oc.kind, self.tags, self.date1904)
        orig = np.arange(a, b, dtype=np.int64) + self.header_row + 1
        new = self.rows.new_rows(orig) if self.rows else orig
        self._rownums = pc.binary_join_element_wise(
            pc.cast(pa.array(new), pa.string()).cast(pa.binary()), pa.scalar(b'"'), pa.scalar(b"")
        )
        any_value = np.zeros(b - a, dtype=bool)
        for tails, _ in self._tails.values():
            any_value |= tails.is_valid().to_numpy(zero_copy_only=False)
        self._any_value = any_value

    def has_values(self, i: int) -> bool:
        """Does data row ``i`` (0-based) get any value? (rows absent from the XML)"""
        self._load(i // BLOCK_ROWS)
        return bool(self._any_value[i % BLOCK_ROWS])

    def date_attr(self, s: bytes | None) -> bytes:
        if s not in self._date_style:
            idx = self.styles.with_date_format(int(s) if s else None)
            self._date_style[s] = b' s="%d"' % idx
        return self._date_style[s]

    def bounds(self, i: int) -> tuple[int, int]:
        """Load the block of data row ``i``; its rows are [start, end)."""
        block = i // BLOCK_ROWS
        self._load(block)
        return block * BLOCK_ROWS, min(self.n_rows, (block + 1) * BLOCK_ROWS)

    def segments_array(self, run_idx: int, plan: tuple, p: bytes) -> pa.Array | bool:
        """All segments of the loaded block for a plan, as one Arrow binary array
        (True: too many plans in this block, ask per row)."""
        key = (run_idx, plan)
        arr = self._arrays.get(key)
        if arr is None:
            if len(self._arrays) >= MAX_PLANS_PER_BLOCK:
                return True
            arr = self._arrays[key] = self._build(run_idx, plan, p)
        return arr

    def segments(self, run_idx: int, plan: tuple, p: bytes) -> list[bytes] | bool:
        """All segments of the loaded block for a plan (True: too many plans, ask per row)."""
        key = (run_idx, plan)
        segs = self._segments.get(key)
        if segs is None:
            arr = self.segments_array(run_idx, plan, p)
            if arr is True:
                return True
            segs = self._segments[key] = arr.to_pylist()
        return segs

    def segment(self, run_idx: int, i: int, plan: tuple, p: bytes) -> bytes:
        """The new cells of run ``run_idx`` for data row ``i`` given the existing styles."""
        block, j = divmod(i, BLOCK_ROWS)
        self._load(block)
        segs = self.segments(run_idx, plan, p)
        if segs is True:
            return self._segment_row(run_idx, j, plan, p)
        return segs[j]

    def _build(self, run_idx: int, plan: tuple, p: bytes) -> pa.Array:
        cells = []
        for oc, s in zip(self.runs[run_idx].columns, plan):
            tails, is_date = self._tails[oc.col]
            plain = b' s="%s"' % s if s else b""
            if is_date.any():
                sattr = pc.if_else(pa.array(is_date), pa.scalar(self.date_attr(s)), pa.scalar(plain))
            else:
                sattr = pa.scalar(plain)
            start = pa.scalar(b"<" + p + b'c r="' + oc.letter)
            cell = pc.binary_join_element_wise(start, self._rownums, sattr, tails, pa.scalar(b""))
            empty = (
                pc.binary_join_element_wise(start, self._rownums, pa.scalar(plain + b"/>"), pa.scalar(b""))
                if plain
                else pa.scalar(b"")
            )
            cells.append(pc.coalesce(cell, empty))
        joined = pc.binary_join_element_wise(*cells, pa.scalar(b"")) if len(cells) > 1 else cells[0]
        return joined

    def _segment_row(self, run_idx: int, j: int, plan: tuple, p: bytes) -> bytes:
        out = []
        rn = self._rownums[j].as_py()
        for oc, s in zip(self.runs[run_idx].columns, plan):
            tails, is_date = self._tails[oc.col]
            tail = tails[j].as_py()
            plain = b' s="%s"' % s if s else b""
            start = b"<" + p + b'c r="' + oc.letter + rn
            if tail is not None:
                out.append(start + (self.date_attr(s) if is_date[j] else plain) + tail)
            elif plain:
                out.append(start + plain + b"/>")
        return b"".join(out)

    def cell(self, oc: OwnedColumn, i: int, s: bytes | None, p: bytes, row: int) -> bytes:
        """One new cell (general path), with an explicit reference."""
        block, j = divmod(i, BLOCK_ROWS)
        self._load(block)
        tails, is_date = self._tails[oc.col]
        tail = tails[j].as_py()
        plain = b' s="%s"' % s if s else b""
        start = b"<" + p + b'c r="' + oc.letter + b"%d" % row + b'"'
        if tail is not None:
            return start + (self.date_attr(s) if is_date[j] else plain) + tail
        return start + plain + b"/>" if plain else b""


# --------------------------------------------------------------------------- cells (general)


@dataclass
class CellTok:
    col: int
    start: int
    end: int
    attrs: bytes  # raw attribute text of the start tag
    inner: bytes | None  # None for <c/>
    has_r: bool

    def has_value(self) -> bool:
        return bool(self.inner) and (b"<" in self.inner) and bool(
            re.search(rb"<(?:" + _NAME + rb":)?(?:v|is|f)\b", self.inner)
        )


_ATTR_R = re.compile(rb'(?:^|\s)r\s*=\s*"([A-Za-z]{1,3})(\d+)"')
_ATTR_S = re.compile(rb'(?:^|\s)s\s*=\s*"(\d+)"')


def parse_cells(body: bytes, cell_re: re.Pattern) -> list[CellTok]:
    cells = []
    col = 0
    for m in cell_re.finditer(body):
        attrs = m.group(1)
        r = _ATTR_R.search(attrs)
        col = col_index(r.group(1).decode()) if r else col + 1
        cells.append(CellTok(col, m.start(), m.end(), attrs, m.group(3), r is not None))
    return cells


# --------------------------------------------------------------------------- the rewriter


class NeighbourInUse(Refusal):
    """A cell right of the lead table, where output columns would go, holds something."""


class LeadsRewriter:
    """Rewrites one worksheet part; see the module docstring."""

    def __init__(
        self,
        loc: LeadsLocation,
        owned: list[OwnedColumn],
        styles: StyleBook,
        rows: RowMap,
        *,
        path: str | None = None,
        table_last_row: int | None = None,
        date1904: bool = False,
    ):
        self.loc = loc
        self.date1904 = date1904
        self.owned = owned
        self.appended = [oc for oc in owned if oc.appended]
        self.styles = styles
        self.path = path
        self.table_last_row = table_last_row or loc.last_row
        if rows and rows.cols is None:  # Delete Table Rows: only the table's cells move
            last_col = max([loc.last_col] + [oc.col for oc in self.appended])
            rows = rows.bounded(loc.first_col, last_col, self.table_last_row)
        self.rows = rows
        self.sheet_names = {loc.sheet_name.casefold()}
        self.n_rows = loc.last_row - loc.header_row
        self.shared: dict[bytes, tuple[str, str]] = {}  # si -> (formula, master ref)

    # -- set-up once the prefix is known ----------------------------------------------

    def _setup(self, p: bytes) -> None:
        self.p = p
        ep = re.escape(p)
        self.ROW_CLOSE = b"</" + p + b"row>"
        self.ROW_R = b"<" + p + b'row r="'
        self.C_OPEN = b"<" + p + b"c"
        self.C_R = b"<" + p + b'c r="'
        self.row_tag_re = re.compile(b"<" + ep + rb"row\b([^>]*?)(/?)>")
        self.cell_re = re.compile(b"<" + ep + rb"c\b([^>]*?)(/>|>((?s:.*?))</" + ep + rb"c\s*>)")
        self.sig_re = re.compile(b"<" + ep + rb'c r="([A-Z]{1,3})\d+"([^>]*?)(/?)>')
        self.cell_r_re = re.compile(b"(<" + ep + rb'c r="[A-Z]{1,3})\d+"')
        self.f_re = re.compile(b"<" + ep + rb"f\b([^>]*?)(?:/>|>((?s:.*?))</" + ep + rb"f\s*>)")
        self.irregular_re = re.compile(b"<" + ep + rb'c(?! r=")[\s/>]')
        self.runs = make_runs(self.owned, p)
        self.plans: dict[int, dict[tuple, tuple | bool]] = {}  # run -> start tags -> styles
        self._vplans: dict[tuple, tuple | bool] = {}  # text after owned cells' refs -> styles
        self.col_cache = _ColumnCache()
        self.cells = Cells(self.runs, self.loc.header_row, self.n_rows, self.rows, self.styles, p, self.date1904)
        self._span_cache: dict[bytes, bytes] = {}
        self.max_col = max([oc.col for oc in self.owned], default=0)
        self.merge: _TableRows | None = None
        self.row_r_re = re.compile(rb'\sr\s*=\s*"')
        if self.rows:
            c1, c2 = self.rows.cols
            self.in_first_re = re.compile(self.C_R + letters_at_least(c1).encode() + rb"\d")
            self.in_after_re = (re.compile(self.C_R + letters_at_least(c2 + 1).encode() + rb"\d")
                                if c2 < 16384 else None)
            self.merge = _TableRows(p, c1, c2, widen_all=bool(self.appended))

    # -- streaming driver ----------------------------------------------------------------

    def rewrite(self, chunks: Iterator[bytes], write: Callable[[bytes], None]) -> None:
        """Read the part from ``chunks``, write the new part through ``write``."""
        with gc_paused():  # millions of short-lived tuples and bytes, no cycles: skip the collector
            self._rewrite(chunks, write)

    def _rewrite(self, chunks: Iterator[bytes], write: Callable[[bytes], None]) -> None:
        out = _Output(write)
        it = iter(chunks)
        buf, m = self._read_head(it)
        self._check_encoding(buf)
        self._setup(m.group(1) or b"")
        out.add(self.edit_head(buf[: m.start()]))
        self.next_data = 0  # next data row index (0-based) not yet emitted
        self.last_row_seen = 0
        if m.group(2):  # <sheetData/>: no rows at all
            rows_xml = self._missing_rows_until(None)
            if rows_xml:
                out.add(b"<" + self.p + b"sheetData>" + rows_xml + b"</" + self.p + b"sheetData>")
            else:
                out.add(m.group(0))
            tail = buf[m.end():] + b"".join(it)
        else:
            out.add(m.group(0))
            tail = self._stream_rows(buf[m.end():], it, out)
        out.add(self.edit_tail(tail))
        out.flush()

    def _read_head(self, it: Iterator[bytes]) -> tuple[bytes, re.Match]:
        """Read up to and including the <sheetData> start tag."""
        sd = re.compile(rb"<(" + _NAME + rb":)?sheetData\b[^>]*?(/?)>")
        buf = b""
        while True:
            m = sd.search(buf)
            if m:
                return buf, m
            chunk = next(it, None)
            if chunk is None:
                raise Refusal(f"The sheet '{self.loc.sheet_name}' has no cell data part; it is damaged.",
                              path=self.path, sheet=self.loc.sheet_name)
            buf += chunk
            if len(buf) > 64 << 20:
                raise Refusal(f"The sheet '{self.loc.sheet_name}' is not a worksheet Excel can read.",
                              path=self.path, sheet=self.loc.sheet_name)

    def _stream_rows(self, buf: bytes, it: Iterator[bytes], out: "_Output") -> bytes:
        """Rewrite the rows chunk by chunk (cut after the last complete row); returns
        the tail of the part, from </sheetData> on."""
        end_re = re.compile(b"</" + re.escape(self.p) + rb"sheetData\s*>")
        while True:
            e = end_re.search(buf)
            if e is not None:
                self._rows(buf[: e.start()], out, final=True)
                out.add(self._missing_rows_until(None))
                return buf[e.start():] + b"".join(it)
            cut = buf.rfind(self.ROW_CLOSE)
            if cut >= 0:
                cut += len(self.ROW_CLOSE)
                self._rows(buf[:cut], out, final=False)
                buf = buf[cut:]
            chunk = next(it, None)
            if chunk is None:
                raise Refusal(f"The sheet '{self.loc.sheet_name}' ends before its cell data does; it is damaged.",
                              path=self.path, sheet=self.loc.sheet_name)
            buf += chunk

    def _check_encoding(self, head: bytes) -> None:
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or re.match(rb"<\?xml[^>]*encoding=\"(?!utf-8|UTF-8)", head):
            raise Refusal(f"The sheet '{self.loc.sheet_name}' is not UTF-8 XML; open the workbook in Excel and "
                          "save it again.", path=self.path, sheet=self.loc.sheet_name)

    def _rows(self, region: bytes, out: "_Output", final: bool) -> None:
        """Process complete rows (``region`` ends with </row>, or is the last bit)."""
        chunked = bool(self.owned) and not self.rows and VECTOR_ROWS and len(self.runs) == 1
        stop = region.rfind(self.ROW_CLOSE) + len(self.ROW_CLOSE) if chunked else 0  # (-1 + 6: none)
        stop = stop if stop >= len(self.ROW_CLOSE) else 0
        scan = _scan_rows(region, stop, self) if stop else None
        if scan is not None and stop < len(region) and self.irregular_re.search(region, stop) is not None:
            scan = _IRREGULAR
        if scan is not None and scan is not _IRREGULAR:  # (the scan looks for irregular cells too)
            self._vector_rows(region, stop, scan, out)
            last = region[stop:]  # after the last </row>: b'' or trailing self-closing rows/space
        else:
            fast = bool(self.owned) and not self.rows and (
                scan is None and self.irregular_re.search(region) is None)
            pieces = region.split(self.ROW_CLOSE)
            last = pieces.pop()
            if fast:
                self._fast_rows(pieces, out)
            else:
                self._slow_rows(pieces, out)
        if last:
            if not final:
                raise AssertionError("row region must end with </row>")
            self._general_piece(last, out, closed=False)

    def _fast_rows(self, pieces: list[bytes], out: "_Output") -> None:
        """The hot loop: regular data rows (every cell with r first), nothing deleted.

        Per row: find where the owned cells are (one regex search), read their start
        tags (one findall), look the style layout up, splice in the prebuilt cells.
        Anything unusual goes to :meth:`row`. Written with locals: it runs per row.
        """
        ROW_R, CLOSE = self.ROW_R, self.ROW_CLOSE
        lr = len(ROW_R)
        first_data, last_data = self.loc.header_row + 1, self.loc.last_row
        cells = self.cells
        if len(self.runs) != 1:
            return self._slow_rows(pieces, out)
        sig_findall = self.sig_re.findall
        first_search = self.runs[0].first_re.search
        empty0 = self.runs[0].empty_plan
        p = self.p
        spans = self._spans if self.appended else None
        plans = self.plans.setdefault(0, {})
        b_start = b_end = -1
        block_segments: dict = {}
        seen, next_data = self.last_row_seen, self.next_data
        parts: list[bytes] = []
        add = parts.append
        for piece in pieces:
            if piece.startswith(ROW_R):
                q = piece.find(b'"', lr)
                gt = piece.find(b">", q)
                n = int(piece[lr:q])
                i = n - first_data
                if piece[gt - 1] != 47 and n <= last_data and n == seen + 1 and i == next_data and i >= 0:
                    m = first_search(piece, gt)
                    if m is None:
                        start, plan = len(piece), empty0
                    else:
                        start = m.start()
                        key = tuple(sig_findall(piece, start))
                        plan = plans.get(key)
                        if plan is None:
                            plan = plans[key] = self._plan(0, key)
                    if plan is not False:
                        seen, next_data = n, i + 1
                        if not b_start <= i < b_end:
                            b_start, b_end = cells.bounds(i)
                            block_segments = {}
                        segs = block_segments.get(plan)
                        if segs is None:
                            segs = block_segments[plan] = cells.segments(0, plan, p)
                        if spans is not None:
                            add(spans(piece[: gt + 1]))
                            add(piece[gt + 1: start])
                        else:
                            add(piece[:start])
                        add(segs[i - b_start] if segs is not True else cells.segment(0, i, plan, p))
                        add(CLOSE)
                        continue
                if piece[gt - 1] != 47:
                    out.add(b"".join(parts))
                    parts.clear()
                    self.last_row_seen, self.next_data = seen, next_data
                    out.add(self.row(piece[: gt + 1], piece[gt + 1:], n))
                    seen, next_data = self.last_row_seen, self.next_data
                    continue
            out.add(b"".join(parts))
            parts.clear()
            self.last_row_seen, self.next_data = seen, next_data
            self._general_piece(piece, out, closed=True)
            seen, next_data = self.last_row_seen, self.next_data
        self.last_row_seen, self.next_data = seen, next_data
        out.add(b"".join(parts))

    def _vector_rows(self, region: bytes, stop: int, scan: tuple, out: "_Output") -> None:
        """The rows of ``region[:stop]`` (complete rows), rewritten a chunk at a time.

        The same result as :meth:`_fast_rows`, without a Python step per row: numpy finds
        the row and cell tags (every ``<``, then the few bytes after it), the rows' numbers,
        the cells' columns and where each row's owned cells start; the owned cells' start
        tags are told apart by their text after the reference (Arrow's dictionary encode),
        which gives each row its plan; Arrow then joins, for all rows at once, each row's
        bytes up to its owned cells with the new cells of its plan. Rows that do not fit
        (not the next data row, a cell the fast path would not vouch for, a self-closing
        row, text between rows...) go through :meth:`_fast_rows` one at a time.
        """
        ro, rc, n, i, seg, ok, plan_of, plans, quote, tag_end = scan
        K = len(ro)
        cons = np.ones(K, dtype=bool)
        cons[1:] = n[1:] == n[:-1] + 1
        breaks = np.flatnonzero(~ok | ~cons)
        oks = np.flatnonzero(ok)
        seen, next_data = self.last_row_seen, self.next_data
        k = 0
        while k < K:
            if ok[k] and n[k] == seen + 1 and i[k] == next_data:
                j = int(np.searchsorted(breaks, k, side="right"))
                e = int(breaks[j]) if j < len(breaks) else K
                e = min(e, k + BLOCK_ROWS - int(i[k]) % BLOCK_ROWS)  # one block of new cells at a time
                if self._vector_emit(region, scan, k, e, int(i[k]), out):
                    seen, next_data = int(n[e - 1]), int(i[e - 1]) + 1
                    k = e
                    continue
            else:
                j = int(np.searchsorted(oks, k, side="right"))
                e = int(oks[j]) if j < len(oks) else K
            self.last_row_seen, self.next_data = seen, next_data
            self._fast_rows([region[ro[t]:rc[t]] for t in range(k, e)], out)
            seen, next_data = self.last_row_seen, self.next_data
            k = e
        self.last_row_seen, self.next_data = seen, next_data

    def _vector_emit(self, region: bytes, scan: tuple, k: int, e: int, i0: int, out: "_Output") -> bool:
        """Rows k..e-1 (data rows i0.. in one block), each: its bytes before the owned cells,
        the new cells, </row>. False when the block has too many plans (then: row by row)."""
        ro, _, _, _, seg, _, plan_of, plans, quote, tag_end = scan
        cells = self.cells
        b_start, _ = cells.bounds(i0)
        count = e - k
        which = plan_of[k:e]
        used = np.unique(which)
        arrays = []
        for u in used:
            arr = cells.segments_array(0, plans[u], self.p)
            if arr is True:
                return False
            arrays.append(arr.slice(i0 - b_start, count))
        if len(arrays) == 1:
            new = arrays[0]
        else:
            pos = np.searchsorted(used, which).astype(np.int64)
            new = pa.concat_arrays(arrays).take(pa.array(pos * count + np.arange(count)))
        if self.appended:  # the row's start tag gets wider spans: cut it after r="n"
            head, tail, before = _parts(region, [ro[k:e], quote[k:e] + 1, tag_end[k:e], seg[k:e]], 3)
            enc = pc.dictionary_encode(tail)
            wide = pa.array([self._spans(t) for t in enc.dictionary.to_pylist()], pa.binary())
            pieces = [head, wide.take(enc.indices), before]
        else:
            pieces = _parts(region, [ro[k:e], seg[k:e]], 1)
        joined = pc.binary_join_element_wise(*pieces, new, pa.scalar(self.ROW_CLOSE), pa.scalar(b""))
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32, count=len(joined) + 1, offset=4 * joined.offset)
        out.add(memoryview(joined.buffers()[2])[int(offsets[0]):int(offsets[-1])])
        return True

    def _vector_plan(self, rests: tuple) -> tuple | bool:
        """:meth:`_plan` from the text after each owned cell's reference (None: no cell)."""
        plan = self._vplans.get(rests)
        if plan is None:
            plan = self._vplans[rests] = self._vector_plan_new(rests)
        return plan

    def _vector_plan_new(self, rests: tuple) -> tuple | bool:
        styles = []
        for oc, raw in zip(self.runs[0].columns, rests):
            if raw is None:
                styles.append(None)
                continue
            m = _REST.fullmatch(raw)
            if m is None:
                return False
            if oc.appended and not m.group(2):
                return False  # an appended column has a non-empty cell: the general path checks it
            styles.append(_style_of(m.group(1)))
        return tuple(styles)

    def _slow_rows(self, pieces: list[bytes], out: "_Output") -> None:
        ROW_R = self.ROW_R
        for piece in pieces:
            if piece.startswith(ROW_R):
                q = piece.find(b'"', len(ROW_R))
                gt = piece.find(b">", q)
                if piece[gt - 1] != 47:  # not '/': a normal open row
                    out.add(self.row(piece[: gt + 1], piece[gt + 1:], int(piece[len(ROW_R): q])))
                    continue
            self._general_piece(piece, out, closed=True)

    def _general_piece(self, piece: bytes, out: "_Output", closed: bool) -> None:
        """A piece with whitespace, self-closing rows, or rows without r (rare)."""
        pos = 0
        tags = list(self.row_tag_re.finditer(piece))
        for k, m in enumerate(tags):
            out.add(piece[pos: m.start()])
            raw = m.group(1)
            r = re.search(rb'(?:^|\s)r\s*=\s*"(\d+)"', raw)
            n = int(r.group(1)) if r else self.last_row_seen + 1
            if m.group(2):  # <row .../>
                out.add(self.row(m.group(0), None, n))
                pos = m.end()
                continue
            if k != len(tags) - 1 or not closed:
                raise Refusal(f"The sheet '{self.loc.sheet_name}' has malformed rows; open the workbook in "
                              "Excel and save it again.", path=self.path, sheet=self.loc.sheet_name)
            out.add(self.row(m.group(0), piece[m.end():], n))
            return
        out.add(piece[pos:])

    # -- one row -------------------------------------------------------------------------

    def row(self, open_tag: bytes, body: bytes | None, n: int) -> bytes:
        """The new XML of row ``n`` (``body`` None for a self-closing row), closing tag included."""
        self.last_row_seen = n
        if self.rows and self.loc.header_row < n:
            return self._row_deleting(open_tag, body, n)
        loc = self.loc
        prefix = self._missing_rows_until(n)
        rows = self.rows
        if rows and rows.is_deleted(n):
            if body and (b"<" + self.p + b"f") in body:
                self._formulas(body, n)  # a shared formula's master may live here
            return prefix
        data_i = n - loc.header_row - 1 if loc.header_row < n <= loc.last_row else -1
        if data_i >= 0:
            self.next_data = data_i + 1
        new_n = n - rows.shift(n) if rows else n
        body_b = b"" if body is None else body
        if rows and (b"<" + self.p + b"f") in body_b:
            body_b = self._formulas(body_b, n)
        if new_n != n:
            open_tag = self._renumber_row_tag(open_tag, new_n)
            body_b = self.cell_r_re.sub(rb"\g<1>" + b"%d" % new_n + b'"', body_b)
        in_table = loc.header_row <= n <= self.table_last_row
        if data_i >= 0 and self.owned:
            body_b = self._owned(body_b, data_i, new_n, n)
        elif self.appended and in_table:
            body_b = self._appended_only(body_b, n, new_n, header=(n == loc.header_row))
        if body is None and body_b == b"":
            return prefix + open_tag
        if body is None:
            open_tag = open_tag[:-2].rstrip() + b">"
        if self.appended and body_b is not body and in_table:
            open_tag = self._spans(open_tag)
        return prefix + open_tag + body_b + self.ROW_CLOSE

    def _row_deleting(self, open_tag: bytes, body: bytes | None, n: int) -> bytes:
        """Row ``n`` below the header when rows are deleted (Excel's Delete Table Rows).

        Below the table nothing moves: only formulas change. On the table's rows the row is
        split into the cells of the table's columns, which move up (or go, on a deleted row),
        and the rest (cells left and right of the table, the row's own attributes), which
        stays on row ``n``; :class:`_TableRows` puts them together again."""
        loc, rows, merge = self.loc, self.rows, self.merge
        prefix = self._missing_rows_until(n)
        if not open_tag.startswith(self.ROW_R) and self.row_r_re.search(open_tag) is None:
            # rows may be dropped or added above: a row's place can no longer be implied
            open_tag = b"<" + self.p + b'row r="%d"' % n + open_tag[len(self.p) + 4:]
        body_b = b"" if body is None else body
        if (b"<" + self.p + b"f") in body_b:
            body_b = self._formulas(body_b, n)  # on a deleted row too: a shared formula's master may live here
        if n > self.table_last_row:
            if body is None:
                return prefix + open_tag
            return prefix + open_tag + body_b + self.ROW_CLOSE
        if self.irregular_re.search(body_b) is not None:
            body_b = self._explicit_refs(body_b, n)
        deleted = rows.is_deleted(n)
        new_n = n if deleted else rows.new(n)
        if n <= loc.last_row:
            data_i = n - loc.header_row - 1
            self.next_data = data_i + 1
            if self.owned and (not deleted or self.appended):  # (deleted: only to check appended cells)
                body_b = self._owned(body_b, data_i, new_n, n)
        elif self.appended:  # a totals row
            body_b = self._appended_only(body_b, n, new_n, header=False)
        pre, inside, post = self._split(body_b)
        merge.add(n, open_tag, body is None, pre, post, bool(inside))
        if not deleted:
            if new_n != n and inside:
                inside = self._renumber(inside, new_n)
            merge.put(new_n, inside, moved=new_n != n)
        return prefix + merge.take()

    def _renumber(self, cells: bytes, new_n: int) -> bytes:
        """Cells (each ``<c r="XN"...``, see :meth:`_explicit_refs`) moved to row ``new_n``.

        Split at the cell starts (``<c r="`` cannot occur in text, where ``<`` is escaped):
        each piece starts with the letters, then the row number and a quote. Several times
        faster than a regex substitution with a group, which runs per cell of 100k rows."""
        new = b"%d" % new_n
        parts = cells.split(self.C_R)
        out = [parts[0]]
        for part in parts[1:]:
            q = part.find(b'"')
            out.append(part[:q].rstrip(b"0123456789") + new + part[q:])
        return self.C_R.join(out)

    def _split(self, body: bytes) -> tuple[bytes, bytes, bytes]:
        """A row's cells: (left of the table's columns, in them, right of them)."""
        m = self.in_first_re.search(body)
        if m is None:
            return body, b"", b""
        start = m.start()
        end = len(body)
        if self.in_after_re is not None:
            m2 = self.in_after_re.search(body, start)
            if m2 is not None:
                end = m2.start()
        ext = body.find(b"<" + self.p + b"extLst", start, end)
        if ext >= 0:  # the row's extension list stays with the row
            end = ext
        return body[:start], body[start:end], body[end:]

    def _explicit_refs(self, body: bytes, n: int) -> bytes:
        """Every cell written as ``<c r="XN" ...``, so the cells can be split and renumbered."""
        out, pos = [], 0
        for c in parse_cells(body, self.cell_re):
            out.append(body[pos: c.start])
            pos = c.end
            raw = body[c.start: c.end]
            rest = raw[len(self.C_OPEN) + len(c.attrs):]
            attrs = _ATTR_R.sub(b"", c.attrs, count=1) if c.has_r else c.attrs
            out.append(self.C_R + col_letter(c.col).encode() + b"%d" % n + b'"' + attrs + rest)
        out.append(body[pos:])
        return b"".join(out)

    def _renumber_row_tag(self, tag: bytes, new_n: int) -> bytes:
        return re.sub(rb'(\sr\s*=\s*")\d+"', rb"\g<1>" + b"%d" % new_n + b'"', tag, count=1)

    def _spans(self, tag: bytes) -> bytes:
        """A row start tag with ``spans`` widened to the appended columns."""
        i = tag.find(b' spans="')
        if i < 0:
            return tag
        j = tag.find(b'"', i + 8)
        old = tag[i + 8: j]
        new = self._span_cache.get(old)
        if new is None:
            a, _, b = old.partition(b":")
            new = old if not b.isdigit() or int(b) >= self.max_col else a + b":%d" % self.max_col
            self._span_cache[old] = new
        return tag if new is old else tag[: i + 8] + new + tag[j:]

    # -- owned cells -------------------------------------------------------------------

    def _owned(self, body: bytes, i: int, new_n: int, n: int) -> bytes:
        """Data row ``i``: the owned cells replaced (fast path when the row is regular)."""
        if self.irregular_re.search(body) is not None:
            return self._owned_general(body, i, new_n, n)
        parts = []
        pos = 0
        last_col = self._last_cell_col(body)
        for k, run in enumerate(self.runs):
            if last_col < run.first:
                start = end = len(body)
            else:
                m = run.first_re.search(body, pos)
                if m is None:
                    start = end = len(body)
                else:
                    start = m.start()
                    if last_col <= run.last or run.after_re is None:
                        end = len(body)
                    else:
                        m2 = run.after_re.search(body, start)
                        end = m2.start() if m2 is not None else len(body)
            if start < end:
                key = tuple(self.sig_re.findall(body, start, end))
                plans = self.plans.setdefault(k, {})
                plan = plans.get(key)
                if plan is None:
                    plan = plans[key] = self._plan(k, key)
                if plan is False:
                    return self._owned_general(body, i, new_n, n)
            else:
                plan = run.empty_plan
            parts.append(body[pos:start])
            parts.append(self.cells.segment(k, i, plan, self.p))
            pos = end
        parts.append(body[pos:])
        return b"".join(parts)

    def _last_cell_col(self, body: bytes) -> int:
        k = body.rfind(self.C_R)
        if k < 0:
            return 0
        m = _LETTERS.match(body, k + len(self.C_R))
        return self.col_cache[m.group(0)] if m else 0

    def _plan(self, k: int, found: tuple) -> tuple | bool:
        """The existing styles of a run's cells from their start tags; False when the
        segment holds something the fast path cannot vouch for (then: general path)."""
        run = self.runs[k]
        have = {letters: (rest, selfclose) for letters, rest, selfclose in found}
        letters = {oc.letter for oc in run.columns}
        if len(have) != len(found) or not have.keys() <= letters:
            return False
        if any(oc.appended and oc.letter in have and not have[oc.letter][1] for oc in run.columns):
            return False  # an appended column has a non-empty cell: the general path checks it
        return tuple(_style_of(have[oc.letter][0]) if oc.letter in have else None for oc in run.columns)

    def _owned_general(self, body: bytes, i: int, new_n: int, n: int) -> bytes:
        cells = parse_cells(body, self.cell_re)
        owned = {oc.col: oc for oc in self.owned}
        appended = {oc.col for oc in self.appended}
        explicit = any(not c.has_r for c in cells)  # positional cells: write every r
        out = []
        pos = 0
        done = set()
        pending = sorted(owned)

        def flush_owned_before(col: int | None) -> None:
            while pending and (col is None or pending[0] < col):
                c = pending.pop(0)
                if c not in done:
                    out.append(self.cells.cell(owned[c], i, None, self.p, new_n))
                    done.add(c)

        for c in cells:
            flush_owned_before(c.col)
            out.append(body[pos: c.start])
            pos = c.end
            if c.col in owned:
                if c.col in appended and c.has_value():
                    self._refuse_neighbour(c.col, n)
                s = _ATTR_S.search(c.attrs)
                out.append(self.cells.cell(owned[c.col], i, s.group(1) if s else None, self.p, new_n))
                done.add(c.col)
                if pending and pending[0] == c.col:
                    pending.pop(0)
                continue
            raw = body[c.start: c.end]
            if explicit and not c.has_r:
                raw = self.C_OPEN + b' r="' + col_letter(c.col).encode() + b"%d" % new_n + b'"' + raw[len(self.C_OPEN):]
            out.append(raw)
        flush_owned_before(None)
        out.append(body[pos:])
        return b"".join(out)

    def _appended_only(self, body: bytes, n: int, new_n: int, header: bool) -> bytes:
        """Header or totals row of a table that gets new columns: check, add header cells."""
        cells = parse_cells(body, self.cell_re)
        appended = {oc.col: oc for oc in self.appended}
        for c in cells:
            if c.col in appended and c.has_value():
                self._refuse_neighbour(c.col, n)
        if not header:
            return body
        style = None
        for c in cells:
            if self.loc.first_col <= c.col <= self.loc.last_col:
                s = _ATTR_S.search(c.attrs)
                style = s.group(1) if s else None
        explicit = any(not c.has_r for c in cells)
        out, pos = [], 0
        pending = sorted(appended)
        for c in cells:
            while pending and pending[0] < c.col:
                out.append(self._header_cell(appended[pending.pop(0)], new_n, style))
            out.append(body[pos: c.start])
            pos = c.end
            if c.col in appended:  # an empty styled cell: replaced by the header
                pending.remove(c.col)
                s = _ATTR_S.search(c.attrs)
                out.append(self._header_cell(appended[c.col], new_n, s.group(1) if s else style))
                continue
            raw = body[c.start: c.end]
            if explicit and not c.has_r:
                raw = self.C_OPEN + b' r="' + col_letter(c.col).encode() + b"%d" % new_n + b'"' + raw[len(self.C_OPEN):]
            out.append(raw)
        while pending:
            out.append(self._header_cell(appended[pending.pop(0)], new_n, style))
        out.append(body[pos:])
        return b"".join(out)

    def _header_cell(self, oc: OwnedColumn, row: int, style: bytes | None) -> bytes:
        s = b' s="%s"' % style if style else b""
        return self.C_OPEN + b' r="' + oc.letter + b"%d" % row + b'"' + s + cellxml.text_tail(oc.header, self.cells.tags)

    def _refuse_neighbour(self, col: int, row: int) -> None:
        letter = col_letter(col)
        what = f"the {self.loc.table_name} table" if self.loc.table_name else "the lead columns"
        raise NeighbourInUse(
            f"Column {letter} next to {what} on sheet '{self.loc.sheet_name}' is in use (cell {letter}{row}); "
            "move it or add the output columns to the table yourself.",
            path=self.path,
            sheet=self.loc.sheet_name,
            column=letter,
            row=row,
        )

    # -- rows absent from the XML --------------------------------------------------------

    def _missing_rows_until(self, n: int | None) -> bytes:
        """Data rows before row ``n`` (all remaining when None) that are absent from the
        sheet but get values: created with just the output cells."""
        if self.merge is not None:
            self._missing_table_rows(n)
            if n is None or n > self.table_last_row:
                self.merge.flush()  # every table row is known: write them all
            return self.merge.take()
        if not self.owned:
            return b""
        return self._missing_table_rows(n)

    def _missing_table_rows(self, n: int | None) -> bytes:
        if not self.owned:
            return b""
        loc = self.loc
        stop = self.n_rows if n is None else min(self.n_rows, n - loc.header_row - 1)
        out = []
        while self.next_data < stop:
            i = self.next_data
            self.next_data += 1
            row_n = loc.header_row + 1 + i
            if self.rows and self.rows.is_deleted(row_n):
                continue
            if not self.cells.has_values(i):
                continue
            new_n = row_n - self.rows.shift(row_n) if self.rows else row_n
            segs = [self.cells.segment(k, i, (None,) * len(run.columns), self.p) for k, run in enumerate(self.runs)]
            if self.merge is not None:  # a table row with no <row> of its own: its cells move
                self.merge.put(new_n, b"".join(segs), moved=new_n != row_n)
            else:
                out.append(b"<" + self.p + b'row r="%d">' % new_n + b"".join(segs) + self.ROW_CLOSE)
        return b"".join(out)

    # -- formulas ------------------------------------------------------------------------

    def _formulas(self, body: bytes, n: int) -> bytes:
        """Formulas of row ``n`` with references adjusted for the deleted rows."""
        cells = parse_cells(body, self.cell_re)
        out, pos = [], 0
        for c in cells:
            if c.inner is None or b"<" + self.p + b"f" not in c.inner:
                continue
            out.append(body[pos: c.start])
            pos = c.end
            ref = f"{col_letter(c.col)}{n}"
            inner = self.f_re.sub(lambda m: self._formula(m, ref), c.inner)
            tag = self.C_OPEN + (c.attrs if c.has_r else b' r="' + ref.encode() + b'"' + c.attrs)
            out.append(tag + b">" + inner + b"</" + self.p + b"c>")
        out.append(body[pos:])
        return b"".join(out)

    def _formula(self, m: re.Match, ref: str) -> bytes:
        from openpyxl.formula.translate import Translator

        attrs = m.group(1)
        text = html.unescape(m.group(2).decode("utf-8")) if m.group(2) else ""
        t = re.search(rb'\st="(\w+)"', attrs)
        kind = t.group(1) if t else b"normal"
        keep = attrs
        if kind == b"shared":
            si = re.search(rb'\ssi="(\d+)"', attrs)
            si_key = si.group(1) if si else b""
            if text:  # the master: remember it, write it as a plain formula
                self.shared[si_key] = (text, ref)
            elif si_key in self.shared:
                master, origin = self.shared[si_key]
                text = Translator("=" + master, origin=origin).translate_formula(ref)[1:]
            else:
                return m.group(0)  # a child before its master: leave it
            keep = re.sub(rb'\s(?:t|si|ref)="[^"]*"', b"", attrs)
        elif kind == b"array":
            r = re.search(rb'\sref="([^"]+)"', attrs)
            if r:
                new_ref = shift_sqref(r.group(1).decode(), self.rows) or r.group(1).decode()
                keep = attrs[: r.start()] + b' ref="' + new_ref.encode() + b'"' + attrs[r.end():]
        elif kind != b"normal":
            return m.group(0)  # data tables: left as they are
        new = adjust_formula(text, self.rows, self.sheet_names) if text else text
        esc = new.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")
        return b"<" + self.p + b"f" + keep + b">" + esc + b"</" + self.p + b"f>"

    # -- head and tail -------------------------------------------------------------------

    def edit_head(self, head: bytes) -> bytes:
        """<dimension> and <cols> (widths of appended columns)."""
        ep = re.escape(self.p)
        dim = re.compile(b"(<" + ep + rb'dimension\b[^>]*?\sref=")([^"]*)(")')
        m = dim.search(head)
        if m:
            new = self._new_dimension(m.group(2).decode())
            if new is not None:
                head = head[: m.start(2)] + new.encode() + head[m.end(2):]
        if self.appended:
            head = self._cols(head)
        return head

    def _new_dimension(self, ref: str) -> str | None:
        try:
            r1, c1, r2, c2 = parse_ref(ref)
        except ValueError:
            return None
        c2 = max(c2, self.max_col)
        # Deleted rows leave r2 as it was: cells outside the table's columns and below it keep
        # their rows, so the old bottom still bounds every cell (a bound, not the exact edge)
        a = f"{col_letter(c1)}{r1}"
        b = f"{col_letter(c2)}{r2}"
        return a if a == b else f"{a}:{b}"

    def _cols(self, head: bytes) -> bytes:
        """Widths for appended columns not covered by an existing <col> range."""
        ep = re.escape(self.p)
        existing = []
        for m in re.finditer(b"<" + ep + rb"col\b([^>]*?)/?>", head):
            a = re.search(rb'\smin="(\d+)"', m.group(1))
            b = re.search(rb'\smax="(\d+)"', m.group(1))
            if a and b:
                existing.append((int(a.group(1)), int(b.group(1)), m.start()))
        new = []
        for oc in self.appended:
            if any(a <= oc.col <= b for a, b, _ in existing):
                continue
            xml = b'<%scol min="%d" max="%d" width="%s" customWidth="1"/>' % (
                self.p, oc.col, oc.col, _fmt(oc.width or 14.0).encode())
            new.append((oc.col, xml))
        if not new:
            return head
        close = re.search(b"</" + ep + rb"cols\s*>", head)
        if close is None:  # <cols> comes right before <sheetData>
            return head + b"<" + self.p + b"cols>" + b"".join(x for _, x in new) + b"</" + self.p + b"cols>"
        inserts = []
        for col, xml in new:
            at = min((pos for a, _, pos in existing if a > col), default=close.start())
            inserts.append((at, col, xml))
        for at, _, xml in sorted(inserts, key=lambda t: (t[0], t[1]), reverse=True):
            head = head[:at] + xml + head[at:]
        return head

    def edit_tail(self, tail: bytes) -> bytes:
        """After </sheetData>: ranges moved for deleted rows; a plain range's autoFilter widened."""
        if self.rows:
            tail = self._shift_tail(tail)
        if self.appended and self.loc.table_name is None:
            tail = self._widen_autofilter(tail)
        return tail

    def _shift_tail(self, tail: bytes) -> bytes:
        """Ranges after the cell data, moved up for the deleted rows. Merges and
        hyperlinks wholly on deleted rows go; other lists lose the deleted ranges."""
        ep = re.escape(self.p)
        tag_re = re.compile(b"<(" + _NAME + rb":)?(\w+)\b([^>]*?)(/?)>")
        ref_re = re.compile(rb'(\s(?:sqref|ref)=")([^"]*)(")')
        dropped: list[tuple[int, int]] = []

        def one(m: re.Match) -> bytes:
            attrs = m.group(3)
            if b"ref=" not in attrs:
                return m.group(0)
            name = m.group(2)
            gone = False

            def sub(r: re.Match) -> bytes:
                nonlocal gone
                new = shift_sqref(r.group(2).decode(), self.rows)
                if not new:
                    gone = True
                    return r.group(0)
                return r.group(1) + new.encode() + r.group(3)

            new_attrs = ref_re.sub(sub, attrs)
            if gone and name in (b"mergeCell", b"hyperlink") and m.group(4):
                dropped.append((m.start(), m.end()))
                return b""
            return m.group(0)[: m.start(3) - m.start()] + new_attrs + m.group(0)[m.end(3) - m.start():]

        tail = tag_re.sub(one, tail)
        count = len(re.findall(b"<" + ep + rb"mergeCell\b", tail))
        if count:
            tail = re.sub(b"(<" + ep + rb'mergeCells\b[^>]*?\scount=")\d+"', rb"\g<1>" + b"%d" % count + b'"', tail)
        else:
            tail = re.sub(b"<" + ep + rb"mergeCells\b[^>]*?(?:/>|>\s*</" + ep + rb"mergeCells\s*>)", b"", tail)
        tail = re.sub(b"<" + ep + rb"hyperlinks\b[^>]*>\s*</" + ep + rb"hyperlinks\s*>", b"", tail)

        def text_sqref(m: re.Match) -> bytes:
            new = shift_sqref(m.group(2).decode(), self.rows)
            return m.group(1) + (new or m.group(2).decode()).encode() + m.group(3)

        return re.sub(rb"(<(?:" + _NAME + rb":)?sqref>)([^<]*)(</(?:" + _NAME + rb":)?sqref>)", text_sqref, tail)

    def _widen_autofilter(self, tail: bytes) -> bytes:
        m = re.search(b"(<" + re.escape(self.p) + rb'autoFilter\b[^>]*?\sref=")([^"]*)(")', tail)
        if not m:
            return tail
        try:
            r1, c1, r2, c2 = parse_ref(m.group(2).decode())
        except ValueError:
            return tail
        if c1 != self.loc.first_col or c2 != self.loc.last_col:
            return tail
        new = f"{col_letter(c1)}{r1}:{col_letter(self.max_col)}{r2}"
        return tail[: m.start(2)] + new.encode() + tail[m.end(2):]


class _TableRows:
    """Puts the table's rows together again when rows are deleted.

    Row ``n`` of the output has the cells of the table's columns of the ``k``-th kept row
    (``put``) and everything else of the source row ``n`` (``add``: its start tag, the cells
    left and right of the table). The source rows come in order, so both queues are in
    order; an output row is written once both halves are known (``flush``). Pending are at
    most as many rows as were deleted above, and only their few bytes outside the table.
    """

    _PLAIN_ATTR = re.compile(rb'\s(?:r|spans|(?:' + _NAME + rb':)?dyDescent)\s*=\s*"[^"]*"')

    def __init__(self, p: bytes, first_col: int, last_col: int, *, widen_all: bool = False):
        self.p = p
        self.widen_all = widen_all  # columns were appended: every row with table cells gets wider spans
        self.first_col, self.last_col = first_col, last_col
        self.rows: collections.deque = collections.deque()  # (n, start tag, self-closing, left, right, had)
        self.cells: collections.deque = collections.deque()  # (n, table cells, moved)
        self.out: list[bytes] = []
        self.close = b"</" + p + b"row>"
        self._spans: dict[bytes, bytes] = {}

    def add(self, n: int, tag: bytes, closed: bool, left: bytes, right: bytes, had_cells: bool) -> None:
        """Source row ``n`` (in order): what stays on it; ``had_cells``: it had table cells."""
        self.rows.append((n, tag, closed, left, right, had_cells))

    def put(self, n: int, cells: bytes, *, moved: bool) -> None:
        """The table cells of output row ``n`` (every source row up to ``n`` has been added)."""
        if cells:
            self.cells.append((n, cells, moved))
        self.flush(n)

    def flush(self, upto: int | None = None) -> None:
        rows, cells, out = self.rows, self.cells, self.out
        while rows or cells:
            rn = rows[0][0] if rows else None
            cn = cells[0][0] if cells else None
            n = rn if cn is None else cn if rn is None else min(rn, cn)
            if upto is not None and n > upto:
                return
            row = rows.popleft() if rn == n else None
            cell = cells.popleft() if cn == n else None
            out.append(self._row(n, row, cell))

    def take(self) -> bytes:
        if not self.out:
            return b""
        data = b"".join(self.out)
        self.out.clear()
        return data

    def _row(self, n: int, row: tuple | None, cell: tuple | None) -> bytes:
        inside = cell[1] if cell else b""
        if row is None:  # no <row> of its own in the source: a plain one
            return b"<" + self.p + b'row r="%d">' % n + inside + self.close
        _, tag, closed, left, right, had_cells = row
        body = left + inside + right
        if had_cells and cell is None and b"<" not in body and \
                not self._PLAIN_ATTR.sub(b"", tag[tag.find(b"row") + 3:-1]).strip():
            return b""  # its table cells moved up, nothing else is left: the row goes, as Excel would drop it
        if closed:
            if not inside:
                return tag
            tag = tag[:-2].rstrip() + b">"
        if inside and (self.widen_all or cell[2]):
            tag = self._widen(tag)
        return tag + body + self.close

    def _widen(self, tag: bytes) -> bytes:
        """``spans`` covering the table's columns (the cells there came from another row)."""
        i = tag.find(b' spans="')
        if i < 0:
            return tag
        j = tag.find(b'"', i + 8)
        old = tag[i + 8: j]
        new = self._spans.get(old)
        if new is None:
            nums = [int(x) for x in re.findall(rb"\d+", old)]
            lo = min(nums + [self.first_col])
            hi = max(nums + [self.last_col])
            new = self._spans[old] = b"%d:%d" % (lo, hi)
        return tag[: i + 8] + new + tag[j:]


# --------------------------------------------------------------------------- rows a chunk at a time

# The text after an owned cell's reference up to the next tag: its other attributes, '/'
# when it is empty, '>' (and any whitespace). As sig_re reads a cell's start tag.
_REST = re.compile(rb'([^>]*?)(/?)>[ \t\r\n]*')


def _bytes(region: bytes) -> np.ndarray:
    return np.frombuffer(region, dtype=np.uint8)


def _match(buf: np.ndarray, lt: np.ndarray, cand: np.ndarray, pat: bytes) -> np.ndarray:
    """The indexes in ``lt`` (positions of '<') among ``cand`` (known to hold pat[0:2])
    where ``pat`` starts."""
    for k in range(2, len(pat)):
        if not len(cand):
            break
        cand = cand[buf.take(lt[cand] + k, mode="clip") == pat[k]]
    return cand


def _digits_after(region: bytes, at: np.ndarray) -> np.ndarray:
    """How many ASCII digits start at each position (0..7)."""
    buf = _bytes(region)
    d = buf.take(at[:, None] + np.arange(8), mode="clip")
    return np.argmin((d >= 48) & (d <= 57), axis=1)


def _parts(region: bytes, bounds: list[np.ndarray], count: int) -> list[pa.Array]:
    """Cut ``region`` at ``bounds`` (per row, ascending, each list one cut per row) and
    return the first ``count`` pieces of each row as Arrow arrays (one copy, no Python
    object per row): the cuts are the offsets of one binary array over the region."""
    rows, width = len(bounds[0]), len(bounds)
    offs = np.empty(rows * width, dtype=np.int32)
    for t, b in enumerate(bounds):
        offs[t::width] = b
    arr = pa.Array.from_buffers(pa.binary(), rows * width - 1, [None, pa.py_buffer(offs), pa.py_buffer(region)])
    return [arr.take(pa.array(np.arange(t, rows * width - 1, width, dtype=np.int64))) for t in range(count)]


def _column_key(col: int) -> int:
    """A column's letters as _scan_rows keys them: (count, 1st, 2nd, 3rd letter) in one number."""
    word = col_letter(col).encode()
    return (len(word) << 24) | sum(c << (16 - 8 * t) for t, c in enumerate(word))


def _column_keys(first: int, last: int) -> np.ndarray:
    return np.array([_column_key(c) for c in range(first, last + 1)], dtype=np.int64)


_IRREGULAR = object()  # _scan_rows: a cell not written <c r="...


def _scan_rows(region: bytes, stop: int, rw: "LeadsRewriter"):
    """Where the rows and owned cells of ``region[:stop]`` are, and each row's plan.

    Returns (row starts, row ends (their '</row>'), numbers, data-row indexes, where each
    row's owned cells start, which rows the chunk path may take, each row's plan index,
    the plans, the closing quotes of r="n", where the rows' start tags end); _IRREGULAR
    when a cell of the chunk does not start with ``<c r="`` (``irregular_re``: then the
    general path takes the chunk); None when the chunk is not a plain sequence of
    ``<row r="n">...</row>`` (then irregular_re decides).
    """
    buf = np.frombuffer(region, dtype=np.uint8, count=stop)
    ROW_R, C_R, CLOSE = rw.ROW_R, rw.C_R, rw.ROW_CLOSE
    lt = np.flatnonzero(buf == 60)
    after = buf.take(lt + 1, mode="clip")
    ci = _match(buf, lt, np.flatnonzero(after == C_R[1]), C_R[:len(C_R) - 4])  # '<c' (prefixed: '<x:c')
    mark = buf.take(lt[ci] + (len(C_R) - 4), mode="clip")  # what follows '<c': a cell when [\s/>]
    ci = ci[(mark == 32) | ((mark >= 9) & (mark <= 13)) | (mark == 47) | (mark == 62)]
    cells = len(ci)
    ci = _match(buf, lt, ci, C_R)  # the cells' '<' in lt
    if len(ci) != cells:
        return _IRREGULAR
    rc = lt[_match(buf, lt, np.flatnonzero(after == CLOSE[1]), CLOSE)]
    ro = lt[_match(buf, lt, np.flatnonzero(after == ROW_R[1]), ROW_R)]
    K = len(rc)
    if K == 0 or len(ro) != K or ro[0] != 0 or not np.array_equal(ro[1:], rc[:-1] + len(CLOSE)):
        return None
    # row numbers
    lr = len(ROW_R)
    d = buf.take(ro[:, None] + (lr + np.arange(8)), mode="clip").astype(np.int64)
    isd = (d >= 48) & (d <= 57)
    nd = np.argmin(isd, axis=1)
    ok = (nd >= 1) & (d[np.arange(K), nd] == 34)
    place = np.arange(8)
    n = (np.where(place < nd[:, None], d - 48, 0) * 10 ** np.clip(nd[:, None] - 1 - place, 0, 7)).sum(axis=1)
    i = n - (rw.loc.header_row + 1)
    ok &= (n <= rw.loc.last_row) & (i >= 0)
    quote = ro + lr + nd  # the closing quote of r="n"
    tag_end = lt[np.searchsorted(lt, ro, side="right")]  # the row's next tag (its start tag ends before it)
    # cells: their column letters as a key that sorts like the column number, and where each
    # row's owned cells start (its first cell at or right of the run)
    run = rw.runs[0]
    first, last = _column_key(run.first), _column_key(run.last)
    cp = lt[ci]
    lc = len(C_R)
    b0, b1, b2, b3 = (buf.take(cp + (lc + t), mode="clip") for t in range(4))
    u0, u1, u2 = ((b >= 65) & (b <= 90) for b in (b0, b1, b2))
    u01 = u0 & u1
    u012 = u01 & u2
    nlet = u0.astype(np.int64) + u01 + u012
    key = (nlet << 24) | (b0.astype(np.int64) << 16) | (np.where(u01, b1, 0).astype(np.int64) << 8) | \
        np.where(u012, b2, 0)
    nxt = buf.take(cp + lc + nlet, mode="clip")
    cell_ok = u0 & (nxt >= 48) & (nxt <= 57)
    crow = np.repeat(np.arange(K), np.diff(np.append(np.searchsorted(cp, ro), len(cp))))
    ok[crow[~cell_ok]] = False
    seg = rc.copy()
    gi = np.flatnonzero(cell_ok & (key >= first))
    if len(gi):
        grow = crow[gi]
        head = np.ones(len(gi), dtype=bool)
        head[1:] = grow[1:] != grow[:-1]
        seg[grow[head]] = cp[gi[head]]
    si = np.flatnonzero(cp >= seg[crow])  # the cells from there to the row's end
    skey, srow = key[si], crow[si]
    bad = ~cell_ok[si] | (skey < first) | (skey > last)
    bad[1:] |= (srow[1:] == srow[:-1]) & (skey[1:] <= skey[:-1])  # each column once, in order
    start = cp[si] + lc + nlet[si]
    nd2 = _digits_after(region, start)
    bad |= (nd2 < 1) | (buf.take(start + nd2, mode="clip") != 34)
    ok[srow[bad]] = False
    good = ok[srow]
    si, srow = si[good], srow[good]
    width = run.last - run.first + 1
    table = np.zeros((K, width), dtype=np.int64)
    words: list[bytes] = []
    if len(si):
        place = np.searchsorted(_column_keys(run.first, run.last), key[si])  # the column in the run
        rs = (start + nd2 + 1)[good]  # after the reference's closing quote
        re_ = lt[ci[si] + 1]  # the next tag (nothing between a cell's '<' and rs is a '<')
        (rests,) = _parts(region, [rs, re_], 1)
        enc = pc.dictionary_encode(rests)
        words = enc.dictionary.to_pylist()
        table[srow, place] = enc.indices.to_numpy() + 1
    base = len(words) + 1
    if base ** width < 1 << 62:  # each row's layout as one number
        layouts, plan_of = np.unique(table @ (base ** np.arange(width, dtype=np.int64)), return_inverse=True)
        layouts = [[(x // base ** t) % base for t in range(width)] for x in layouts.tolist()]
    else:
        layouts, plan_of = np.unique(table, axis=0, return_inverse=True)
        layouts = layouts.tolist()
    plan_of = plan_of.reshape(-1)
    plans = [rw._vector_plan(tuple(words[c - 1] if c else None for c in row)) for row in layouts]
    for u, plan in enumerate(plans):
        if plan is False:
            ok[plan_of == u] = False
    return ro, rc, n, i, seg, ok, plan_of, plans, quote, tag_end


_LETTERS = re.compile(rb"[A-Z]{1,3}")


class _ColumnCache(dict):
    """Column letters (bytes) -> column number, computed once per distinct letters."""

    def __missing__(self, key: bytes) -> int:
        value = self[key] = col_index(key.decode())
        return value


def _style_of(rest: bytes | None) -> bytes | None:
    if not rest:
        return None
    m = _ATTR_S.search(rest)
    return m.group(1) if m else None


def _fmt(width: float) -> str:
    return f"{width:.2f}".rstrip("0").rstrip(".")


@contextlib.contextmanager
def gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Output:
    """Collects output pieces and hands them on in big blocks."""

    def __init__(self, write: Callable[[bytes], None]):
        self._write = write
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, data: bytes) -> None:
        if data:
            self._parts.append(data)
            self._size += len(data)
            if self._size >= FLUSH_BYTES:
                self.flush()

    def flush(self) -> None:
        if self._parts:
            self._write(b"".join(self._parts))
            self._parts = []
            self._size = 0


# --------------------------------------------------------------------------- tables


def edit_table(xml: bytes, *, new_columns: list[str], last_col: int | None, rows: RowMap) -> bytes:
    """A table part with columns appended at the right and/or rows deleted.

    Edits are textual: ``ref`` and ``autoFilter ref``, ``tableColumns count``, new
    ``<tableColumn id name/>`` (ids and names unique in the table).
    """
    root_m = re.search(rb"<(" + _NAME + rb":)?table\b[^>]*>", xml)
    p = root_m.group(1) or b""
    ref_m = re.search(rb'\sref="([^"]+)"', root_m.group(0))
    r1, c1, r2, c2 = parse_ref(ref_m.group(1).decode())
    totals = re.search(rb'\stotalsRowCount="(\d+)"', root_m.group(0))
    totals_n = int(totals.group(1)) if totals else 0
    if rows:  # a table keeps at least one data row
        r2 = max(r1 + 1 + totals_n, r2 - rows.shift(r2 + 1))
    new_c2 = max(c2, last_col or c2)
    new_ref = f"{col_letter(c1)}{r1}:{col_letter(new_c2)}{r2}"
    root_new = root_m.group(0).replace(ref_m.group(0), b' ref="' + new_ref.encode() + b'"', 1)
    xml = xml[: root_m.start()] + root_new + xml[root_m.end():]
    af = re.search(b"(<" + re.escape(p) + rb'autoFilter\b[^>]*?\sref=")([^"]*)(")', xml)
    if af:
        ar1, ac1, ar2, ac2 = parse_ref(af.group(2).decode())
        if rows:
            ar2 = max(ar1, ar2 - rows.shift(ar2 + 1))
        af_ref = f"{col_letter(ac1)}{ar1}:{col_letter(max(ac2, new_c2))}{ar2}"
        xml = xml[: af.start(2)] + af_ref.encode() + xml[af.end(2):]
    if new_columns:
        xml = _add_table_columns(xml, p, new_columns)
    return xml


def _add_table_columns(xml: bytes, p: bytes, names: list[str]) -> bytes:
    ep = re.escape(p)
    cols = re.search(b"<" + ep + rb"tableColumns\b([^>]*)>", xml)
    close = re.search(b"</" + ep + rb"tableColumns\s*>", xml)
    items = re.findall(b"<" + ep + rb"tableColumn\b([^>]*?)/?>", xml)
    ids = [int(m.group(1)) for a in items if (m := re.search(rb'\sid="(\d+)"', b" " + a))]
    taken = {html.unescape(m.group(1).decode()).casefold()
             for a in items if (m := re.search(rb'\sname="([^"]*)"', b" " + a))}
    next_id = max(ids, default=0) + 1
    new = []
    for name in names:
        unique = table_column_name(name, taken)
        taken.add(unique.casefold())
        esc = (unique.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
               .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;"))
        new.append(b'<%stableColumn id="%d" name="%s"/>' % (p, next_id, esc.encode()))
        next_id += 1
    count = len(items) + len(names)
    opening = cols.group(0)
    if re.search(rb'\scount="\d+"', opening):
        opening_new = re.sub(rb'(\scount=")\d+"', rb"\g<1>" + b"%d" % count + b'"', opening)
    else:
        opening_new = opening[:-1] + b' count="%d">' % count
    return xml[: cols.start()] + opening_new + xml[cols.end(): close.start()] + b"".join(new) + xml[close.start():]


def table_column_name(name: str, taken: set[str]) -> str:
    """A table column name not in ``taken`` (casefolded): 'Grade', 'Grade2', ..."""
    if name.casefold() not in taken:
        return name
    k = 2
    while f"{name}{k}".casefold() in taken:
        k += 1
    return f"{name}{k}"


# --------------------------------------------------------------------------- threads


class Prefetch:
    """Reads (and inflates) a stream in a background thread; zlib releases the GIL.

    Iterate for the chunks; always ``close()`` (or use ``with``), which stops the
    thread even when the consumer gave up half-way.
    """

    def __init__(self, stream: BinaryIO, size: int | None = None, depth: int = 3):
        self._stream = stream
        self._size = size or CHUNK_BYTES
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._work, daemon=True)
        self._t.start()

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                chunk = self._stream.read(self._size)
                self._put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # handed to the consumer
            self._put(exc)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._q.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        self._t.join()

    def __enter__(self) -> "Prefetch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class BackgroundWriter:
    """Hands writes to a thread (compression + CRC run there, mostly without the GIL)."""

    def __init__(self, write: Callable[[bytes], None], depth: int = 3):
        self._write = write
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._t = threading.Thread(target=self._work, daemon=True)
        self._t.start()

    def _work(self) -> None:
        while True:
            data = self._q.get()
            if data is None:
                return
            if self._error is None:
                try:
                    self._write(data)
                except BaseException as exc:
                    self._error = exc

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._q.put(data)

    def close(self) -> None:
        self._q.put(None)
        self._t.join()
        if self._error is not None:
            raise self._error
