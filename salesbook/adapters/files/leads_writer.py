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

Every other byte of the part is copied as it is. Rows are processed a whole chunk
(~1 MB) of consecutive data rows at once when they have the common layout (every cell
has an ``r`` written first; :meth:`LeadsRewriter._vector_rows`: numpy finds the tags,
Arrow joins the rows, no Python step per row); a row the chunk scan does not vouch for
goes one at a time through :meth:`LeadsRewriter._fast_rows` (the same bytes: the chunk
path is tested against it, tests/xlsx/test_leads_rows.py), and anything else (positional
cells, odd attribute order, rich text, deleted rows...) through the general path
(:mod:`.row_edit`). For speed,
the new cell XML of the output columns is built for blocks of 16k rows at a time with
Arrow (:mod:`.owned_cells`, ``cellxml``), once per distinct style layout of a row.
Formula references follow :mod:`.references`, the part around the rows :mod:`.sheet_edges`,
the table part :mod:`.table`; the part streams through :mod:`.stream`.

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

import re
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.errors import Refusal
from salesbook.adapters.files import owned_cells
from salesbook.adapters.files.owned_cells import Cells, OwnedColumn, make_runs
from salesbook.adapters.files.reader import LeadsLocation
from salesbook.adapters.files.references import RowMap, letters_at_least
from salesbook.adapters.files.row_edit import NeighbourInUse, RowEditor, TableRows
from salesbook.adapters.files.rowscan import IRREGULAR, REST, ColumnCache, row_parts, scan_rows, style_of
from salesbook.adapters.files.sheet_edges import SheetEdges
from salesbook.adapters.files.stream import Output, gc_paused
from salesbook.adapters.files.styles import StyleBook

__all__ = ["LeadsRewriter", "NeighbourInUse", "OwnedColumn", "RowMap"]

_NAME = rb"[A-Za-z_][\w.-]*"


class LeadsRewriter(RowEditor, SheetEdges):
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
        self.col_cache = ColumnCache()
        self.cells = Cells(self.runs, self.loc.header_row, self.n_rows, self.rows, self.styles, p, self.date1904)
        self._span_cache: dict[bytes, bytes] = {}
        self.max_col = max([oc.col for oc in self.owned], default=0)
        self.merge: TableRows | None = None
        self.row_r_re = re.compile(rb'\sr\s*=\s*"')
        if self.rows:
            c1, c2 = self.rows.cols
            self.in_first_re = re.compile(self.C_R + letters_at_least(c1).encode() + rb"\d")
            self.in_after_re = (re.compile(self.C_R + letters_at_least(c2 + 1).encode() + rb"\d")
                                if c2 < 16384 else None)
            self.merge = TableRows(p, c1, c2, widen_all=bool(self.appended))

    # -- streaming driver ----------------------------------------------------------------

    def rewrite(self, chunks: Iterator[bytes], write: Callable[[bytes], None]) -> None:
        """Read the part from ``chunks``, write the new part through ``write``."""
        with gc_paused():  # millions of short-lived tuples and bytes, no cycles: skip the collector
            self._rewrite(chunks, write)

    def _rewrite(self, chunks: Iterator[bytes], write: Callable[[bytes], None]) -> None:
        out = Output(write)
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

    def _stream_rows(self, buf: bytes, it: Iterator[bytes], out: "Output") -> bytes:
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

    def _rows(self, region: bytes, out: "Output", final: bool) -> None:
        """Process complete rows (``region`` ends with </row>, or is the last bit): a chunk at a
        time where they are regular (:meth:`_vector_rows`), else one at a time."""
        chunked = bool(self.owned) and not self.rows and len(self.runs) == 1
        stop = region.rfind(self.ROW_CLOSE) + len(self.ROW_CLOSE) if chunked else 0  # (-1 + 6: none)
        stop = stop if stop >= len(self.ROW_CLOSE) else 0
        scan = scan_rows(region, stop, self) if stop else None
        if scan is not None and stop < len(region) and self.irregular_re.search(region, stop) is not None:
            scan = IRREGULAR
        if scan is not None and scan is not IRREGULAR:  # (the scan looks for irregular cells too)
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

    def _fast_rows(self, pieces: list[bytes], out: "Output") -> None:
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


    def _vector_rows(self, region: bytes, stop: int, scan: tuple, out: "Output") -> None:
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
                e = min(e, k + owned_cells.BLOCK_ROWS - int(i[k]) % owned_cells.BLOCK_ROWS)  # one block of new cells at a time
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

    def _vector_emit(self, region: bytes, scan: tuple, k: int, e: int, i0: int, out: "Output") -> bool:
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
            head, tail, before = row_parts(region, [ro[k:e], quote[k:e] + 1, tag_end[k:e], seg[k:e]], 3)
            enc = pc.dictionary_encode(tail)
            wide = pa.array([self._spans(t) for t in enc.dictionary.to_pylist()], pa.binary())
            pieces = [head, wide.take(enc.indices), before]
        else:
            pieces = row_parts(region, [ro[k:e], seg[k:e]], 1)
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
            m = REST.fullmatch(raw)
            if m is None:
                return False
            if oc.appended and not m.group(2):
                return False  # an appended column has a non-empty cell: the general path checks it
            styles.append(style_of(m.group(1)))
        return tuple(styles)

    def _slow_rows(self, pieces: list[bytes], out: "Output") -> None:
        ROW_R = self.ROW_R
        for piece in pieces:
            if piece.startswith(ROW_R):
                q = piece.find(b'"', len(ROW_R))
                gt = piece.find(b">", q)
                if piece[gt - 1] != 47:  # not '/': a normal open row
                    out.add(self.row(piece[: gt + 1], piece[gt + 1:], int(piece[len(ROW_R): q])))
                    continue
            self._general_piece(piece, out, closed=True)

    def _general_piece(self, piece: bytes, out: "Output", closed: bool) -> None:
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
