"""Streaming edit of the Leads worksheet part for ``salesbook import``: input cells of known
rows updated, new lead rows appended below the table (docs/spec.md §3, Import).

What changes, and nothing else (every other byte of the part is copied as it is):

- the cells named in the edit frame (``InputEdits.values``: index = Excel rows, columns =
  1-based sheet columns; None/NaN keeps the cell, ``""`` empties it, a str is written as an
  inline string, a number as a number, a Timestamp as a date): the cell's ``s`` is kept (a date
  gets a date format based on it); a cell that held a formula gets the value instead;
- rows below the table's last row become lead rows: each table column gets a cell styled like
  the table's last row (the row above), with the value when there is one. A cell there that
  already holds something in the table's columns is refused (the table cannot grow over it);
- ``<dimension>`` grows to the new last row; conditional formats and data validations whose
  ranges end on the table's last row within its columns follow it down, as Excel's table does.

Rows present in the XML are edited one at a time (only the rows that change); rows absent from
the XML (the appended leads, usually) are built a block at a time with Arrow, one column at a
time, without a Python step per row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.adapters.files.sheet_edges import reach_dimension
from salesbook.adapters.files import cellxml
from salesbook.adapters.files.cells import parse_ref
from salesbook.adapters.files.reader import LeadsLocation, sheet_ref
from salesbook.adapters.files.rowscan import ATTR_S, parse_cells
from salesbook.adapters.files.stream import Output, gc_paused
from salesbook.adapters.files.styles import StyleBook
from salesbook.cells import col_letter
from salesbook.errors import Refusal

_NAME = rb"[A-Za-z_][\w.-]*"
_BLOCK = 1 << 14
_DATE_TYPES = (pd.Timestamp, dt.datetime, dt.date)
_NUMBER_TYPES = (float, int, np.float64, np.int64, np.float32, np.int32)


@dataclass
class InputEdits:
    """The import's cells: ``values`` (index = Excel rows ascending, columns = sheet columns)."""

    values: pd.DataFrame

    @property
    def last_row(self) -> int:
        return int(self.values.index.max()) if len(self.values) else 0


class _Tails:
    """Each edited cell's XML after its ``s`` attribute (None: keep the cell; b'': empty it),
    computed a column at a time."""

    def __init__(self, values: pd.DataFrame, tags: cellxml.Tags, date1904: bool):
        self.cols = [int(c) for c in values.columns]
        self.tails: dict[int, np.ndarray] = {}
        self.dates: dict[int, np.ndarray] = {}
        for c in values.columns:
            v = values[c]
            obj = v.to_numpy(dtype=object)
            kinds = pd.Series(obj, dtype=object).map(type)  # one C loop, no Python step per cell
            present = ~pd.isna(v).to_numpy()
            is_ts = kinds.isin(_DATE_TYPES).to_numpy() & present
            is_num = kinds.isin(_NUMBER_TYPES).to_numpy() & present
            is_str = kinds.isin((str,)).to_numpy()
            clear = is_str & (obj == "")
            is_text = is_str & ~clear
            out = np.full(len(obj), None, dtype=object)
            out[clear] = b""
            if is_ts.any():
                stamps = pd.to_datetime(pd.Series(obj[is_ts]))
                out[is_ts] = np.array(cellxml.encode(stamps, "date", tags, date1904)[0].to_pylist(), dtype=object)
            if is_num.any():
                out[is_num] = np.array(cellxml.encode(pd.Series(obj[is_num].astype(float)), "number", tags)[0]
                                       .to_pylist(), dtype=object)
            if is_text.any():
                out[is_text] = np.array(cellxml.text_tails(pd.Series(obj[is_text], dtype=object), tags).to_pylist(),
                                        dtype=object)
            self.tails[int(c)] = out
            self.dates[int(c)] = is_ts


class ImportRewriter:
    """Rewrites the Leads sheet part with :class:`InputEdits`; see the module docstring."""

    def __init__(self, loc: LeadsLocation, edits: InputEdits, styles: StyleBook, *, path=None, date1904=False):
        self.loc, self.styles, self.path, self.date1904 = loc, styles, path, date1904
        self.values = edits.values
        self.rows = self.values.index.to_numpy(dtype=np.int64)
        self.old_last = loc.last_row
        self.new_last = max(loc.last_row, edits.last_row)
        self.template: dict[int, bytes | None] = {}  # column -> s of the table's last row
        self.edited: list[tuple[int, int]] = []  # (column, row) of existing cells replaced
        self._date_style: dict[bytes | None, bytes] = {}

    # -- set-up ------------------------------------------------------------------------------

    def _setup(self, p: bytes) -> None:
        self.p = p
        ep = re.escape(p)
        self.tags = cellxml.Tags(p)
        self.t = _Tails(self.values, self.tags, self.date1904)
        self.row_re = re.compile(b"<" + ep + rb"row\b([^>]*?)(/?)>")
        self.r_re = re.compile(rb'(?:^|\s)r\s*=\s*"(\d+)"')
        self.cell_re = re.compile(b"<" + ep + rb"c\b([^>]*?)(/>|>((?s:.*?))</" + ep + rb"c\s*>)")
        self.close = b"</" + p + b"row>"
        self.cols = list(range(self.loc.first_col, self.loc.last_col + 1))
        self.next_i = 0  # next edit (position in self.rows) not yet written
        self.row_r = b"<" + self.p + b'row r="'
        self.c_r = b"<" + self.p + b'c r="'
        self.c_close = b"</" + self.p + b"c>"
        self.letters = {c: col_letter(c).encode() for c in self.cols}
        self.template_seen = False

    # -- driver --------------------------------------------------------------------------------

    def rewrite(self, chunks: Iterator[bytes], write: Callable[[bytes], None]) -> None:
        for block in self.stream(chunks):
            write(block)

    def stream(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The rewritten part as blocks of bytes, as ``chunks`` are read: the Leads rewrite of the
        run after the import reads them as its source (one pass over the part for both)."""
        done: list[bytes] = []
        out = Output(done.append)
        with gc_paused():
            for _ in self._rewrite(chunks, out):
                if done:
                    yield from done
                    done.clear()
            out.flush()
            yield from done

    def _rewrite(self, chunks: Iterator[bytes], out: Output) -> Iterator[None]:
        """Writes into ``out``; yields after each region so the caller can pass the output on."""
        it = iter(chunks)
        sd = re.compile(rb"<(" + _NAME + rb":)?sheetData\b[^>]*?(/?)>")
        buf = b""
        while (m := sd.search(buf)) is None:
            chunk = next(it, None)
            if chunk is None:
                raise Refusal(f"The sheet '{self.loc.sheet_name}' has no cell data part; it is damaged.",
                              path=self.path, sheet=self.loc.sheet_name)
            buf += chunk
        self._setup(m.group(1) or b"")
        out.add(self._head(buf[: m.start()]))
        if m.group(2):  # <sheetData/>
            rows = self._fresh_until(None)
            out.add(b"<" + self.p + b"sheetData>" + rows + b"</" + self.p + b"sheetData>" if rows else m.group(0))
            tail = buf[m.end():] + b"".join(it)
        else:
            out.add(m.group(0))
            end_re = re.compile(b"</" + re.escape(self.p) + rb"sheetData\s*>")
            buf = buf[m.end():]
            self.last_seen = 0
            while True:
                e = end_re.search(buf)
                if e is not None:
                    self._region(buf[: e.start()], out)
                    out.add(self._fresh_until(None))
                    tail = buf[e.start():] + b"".join(it)
                    break
                cut = buf.rfind(self.close)
                if cut >= 0:
                    cut += len(self.close)
                    self._region(buf[:cut], out)
                    buf = buf[cut:]
                    yield
                chunk = next(it, None)
                if chunk is None:
                    raise Refusal(f"The sheet '{self.loc.sheet_name}' ends before its cell data does; it is damaged.",
                                  path=self.path, sheet=self.loc.sheet_name)
                buf += chunk
        out.add(self._tail(tail))

    def _region(self, region: bytes, out: Output) -> None:
        """Complete rows: copied as they are, but the edited ones; absent edited rows inserted."""
        if self._region_direct(region, out):
            return
        pos = 0
        rows, n_edits = self.rows, len(self.rows)
        for m in self.row_re.finditer(region):
            r = self.r_re.search(m.group(1))
            n = int(r.group(1)) if r else self.last_seen + 1
            self.last_seen = n
            if n == self.old_last:
                self._template(region, m)
            if self.next_i < n_edits and rows[self.next_i] <= n:
                out.add(region[pos: m.start()])
                out.add(self._fresh_until(n))
                pos = m.start()
                if self.next_i < n_edits and rows[self.next_i] == n:
                    pos = self._emit_row(region, m, n, out)
        out.add(region[pos:])

    def _emit_row(self, region: bytes, m: re.Match, n: int, out: Output) -> int:
        """The edited row ``n`` whose tag is ``m``; returns where the region goes on after it."""
        if m.group(2):
            end, body = m.end(), None
        else:
            end = region.index(self.close, m.end())
            body = region[m.end(): end]
            end += len(self.close)
        out.add(self._edit_row(m.group(0), body, n, self.next_i))
        self.next_i += 1
        return end

    def _region_direct(self, region: bytes, out: Output) -> bool:
        """The common layout (every row tag starts ``<row r="n"``, every edited row present in the
        XML, no rows below the table): jump from edited row to edited row with ``bytes.find``
        instead of reading every row tag. False when the region does not fit (then row by row)."""
        head = self.row_r
        tags = region.count(head)
        if not tags or tags != region.count(b"<" + self.p + b"row"):
            return False
        at = region.rfind(head) + len(head)
        last_n = int(region[at: region.index(b'"', at)])
        if last_n > self.old_last:
            return False
        rows, i = self.rows, self.next_i
        stop = int(np.searchsorted(rows, last_n, side="right"))
        found = []
        pos = 0
        for n in rows[i:stop].tolist():
            k = region.find(head + b'%d"' % n, pos)
            if k < 0:
                return False
            found.append((n, k))
            pos = k + 1
        if not self.template_seen and self.old_last <= last_n:
            k = region.find(head + b'%d"' % self.old_last)
            if k >= 0:
                self._template(region, self.row_re.match(region, k))
        pos = 0
        for n, k in found:
            out.add(region[pos:k])
            pos = self._emit_row(region, self.row_re.match(region, k), n, out)
        out.add(region[pos:])
        self.last_seen = last_n
        return True

    # -- rows in the XML -------------------------------------------------------------------------

    def _template(self, region: bytes, m: re.Match) -> None:
        """The styles of the table's last row, for the rows appended below it."""
        self.template_seen = True
        if m.group(2):
            return
        end = region.find(self.close, m.end())
        for c in parse_cells(region[m.end(): end], self.cell_re):
            if self.loc.first_col <= c.col <= self.loc.last_col:
                s = ATTR_S.search(c.attrs)
                self.template[c.col] = s.group(1) if s else None

    def _edit_row(self, tag: bytes, body: bytes | None, n: int, i: int) -> bytes:
        appended = n > self.old_last
        if not appended and body:
            fast = self._edit_cells(tag, body, n, i)
            if fast is not None:
                return fast
        cells = parse_cells(body or b"", self.cell_re)
        by_col = {c.col: c for c in cells}
        new: dict[int, bytes] = {}
        for col in self.cols if appended else self.t.cols:
            tail = self.t.tails[col][i] if col in self.t.tails else None
            c = by_col.get(col)
            if appended and c is not None and c.has_value():
                v = (body or b"")[c.start: c.end]
                raise Refusal(
                    f"{sheet_ref(self.loc.sheet_name)}!{col_letter(col)}{n}, below the lead table, holds something "
                    f"({v[:60].decode('utf-8', 'replace')}); the import adds new leads on those rows. Move it "
                    "further down or out of the table's columns, then import again.",
                    path=self.path, sheet=self.loc.sheet_name, row=n, column=col_letter(col))
            if tail is None and not appended:
                continue
            s = ATTR_S.search(c.attrs) if c is not None else None
            style = s.group(1) if s else (self.template.get(col) if c is None and appended else None)
            if tail is None and c is not None:
                continue  # an appended row's own empty cell stays
            if c is not None:
                self.edited.append((col, n))
            is_date = bool(tail) and self.t.dates[col][i]
            new[col] = self._cell(col, n, style, tail, is_date)
        if not new:
            return tag if body is None else tag + body + self.close
        out, pos = [], 0
        body = body or b""
        pending = sorted(c for c in new if c not in by_col)
        for c in cells:
            while pending and pending[0] < c.col:
                out.append(body[pos:c.start])
                pos = c.start
                out.append(new[pending.pop(0)])
            out.append(body[pos: c.start])
            pos = c.end
            out.append(new[c.col] if c.col in new else body[c.start: c.end])
        out.append(body[pos:])
        out.extend(new[c] for c in pending)
        if tag.endswith(b"/>"):
            tag = tag[:-2].rstrip() + b">"
        return tag + b"".join(out) + self.close

    def _edit_cells(self, tag: bytes, body: bytes, n: int, i: int) -> bytes | None:
        """A table row whose edited cells are all in the XML with their ``r``: each found with
        ``bytes.find`` and replaced, the rest of the row copied. None when one is missing (then
        the row is read cell by cell, to insert the new cell in its place)."""
        spans = []
        num = b'%d"' % n
        for col in self.t.cols:
            tail = self.t.tails[col][i]
            if tail is None:
                continue
            k = body.find(self.c_r + self.letters[col] + num)
            if k < 0:
                return None
            gt = body.index(b">", k)
            end = gt + 1 if body[gt - 1] == 47 else body.index(self.c_close, gt) + len(self.c_close)
            s = ATTR_S.search(body, k + len(self.c_r), gt)
            self.edited.append((col, n))
            spans.append((k, end, self._cell(col, n, s.group(1) if s else None, tail, bool(tail) and
                                              self.t.dates[col][i])))
        if not spans:
            return tag + body + self.close
        spans.sort()
        out, pos = [tag], 0
        for k, end, cell in spans:
            out.append(body[pos:k])
            out.append(cell)
            pos = end
        out.append(body[pos:])
        out.append(self.close)
        return b"".join(out)

    def _cell(self, col: int, n: int, style: bytes | None, tail: bytes | None, is_date: bool) -> bytes:
        start = b"<" + self.p + b'c r="' + col_letter(col).encode() + b"%d" % n + b'"'
        sattr = self._date_attr(style) if is_date else (b' s="%s"' % style if style else b"")
        if not tail:
            return start + sattr + b"/>" if sattr else b""
        return start + sattr + tail

    def _date_attr(self, s: bytes | None) -> bytes:
        if s not in self._date_style:
            self._date_style[s] = b' s="%d"' % self.styles.with_date_format(int(s) if s else None)
        return self._date_style[s]

    # -- rows absent from the XML --------------------------------------------------------------------

    def _fresh_until(self, n: int | None) -> bytes:
        """The edited rows before row ``n`` (all remaining when None) that the XML does not
        have: built a block at a time."""
        rows = self.rows
        if self.next_i >= len(rows) or (n is not None and rows[self.next_i] >= n):
            return b""
        stop = len(rows) if n is None else int(np.searchsorted(rows, n, side="left"))
        if stop <= self.next_i:
            return b""
        parts = []
        while self.next_i < stop:
            a, b = self.next_i, min(stop, self.next_i + _BLOCK)
            if rows[a] <= self.old_last < rows[b - 1]:  # a block is all table rows or all appended rows
                b = a + int(np.searchsorted(rows[a:b], self.old_last, side="right"))
            parts.append(self._fresh_block(a, b))
            self.next_i = b
        return b"".join(parts)

    def _fresh_block(self, a: int, b: int) -> bytes:
        nums = self.rows[a:b]
        appended = int(nums[0]) > self.old_last  # else table rows without a <row>: only their edited cells
        cols = self.cols if appended else self.t.cols
        rn = pc.binary_join_element_wise(pc.cast(pa.array(nums), pa.string()).cast(pa.binary()),
                                         pa.scalar(b'"'), pa.scalar(b""))
        cells = []
        for col in cols:
            style = self.template.get(col) if appended else None
            plain = b' s="%s"' % style if style else b""
            start = pa.scalar(b"<" + self.p + b'c r="' + col_letter(col).encode())
            if col in self.t.tails:
                tails = pa.array(list(self.t.tails[col][a:b]), pa.binary())
                dates = self.t.dates[col][a:b]
                sattr = pc.if_else(pa.array(dates), pa.scalar(self._date_attr(style)), pa.scalar(plain)) \
                    if dates.any() else pa.scalar(plain)
                empty_tail = pc.equal(pc.binary_length(tails), 0).fill_null(True)
                cell = pc.binary_join_element_wise(start, rn, sattr, tails, pa.scalar(b""))
                blank = pc.binary_join_element_wise(start, rn, pa.scalar(plain + b"/>"), pa.scalar(b"")) \
                    if plain else pa.scalar(b"")
                cells.append(pc.if_else(empty_tail, blank, cell))
            elif plain:
                cells.append(pc.binary_join_element_wise(start, rn, pa.scalar(plain + b"/>"), pa.scalar(b"")))
        head = pc.binary_join_element_wise(pa.scalar(b"<" + self.p + b'row r="'), rn, pa.scalar(b">"), pa.scalar(b""))
        joined = pc.binary_join_element_wise(head, *cells, pa.scalar(self.close), pa.scalar(b""))
        return b"".join(joined.to_pylist())

    # -- around the rows -------------------------------------------------------------------------

    def _head(self, head: bytes) -> bytes:
        """The sheet's ``<dimension>`` reaching the rows appended below the table."""
        if self.new_last <= self.old_last:
            return head
        return reach_dimension(head, self.new_last, self.loc.last_col)

    def _tail(self, tail: bytes) -> bytes:
        """Conditional formats and validations on the table's columns down to its last row
        follow the rows appended below it."""
        if self.new_last <= self.old_last:
            return tail
        return grow_ranges(tail, self.loc, self.old_last, self.new_last)


def grow_ranges(xml: bytes, loc: LeadsLocation, old_last: int, new_last: int) -> bytes:
    """``sqref`` attributes and ``<xm:sqref>`` texts: a range within the table's columns, below
    its header and ending on ``old_last``, ends on ``new_last`` instead."""

    def grow(text: str) -> str:
        out = []
        for part in text.split():
            try:
                r1, c1, r2, c2 = parse_ref(part)
            except ValueError:
                out.append(part)
                continue
            if r2 == old_last and r1 > loc.header_row and c1 >= loc.first_col and c2 <= loc.last_col:
                part = f"{col_letter(c1)}{r1}:{col_letter(c2)}{new_last}"
            out.append(part)
        return " ".join(out)

    xml = re.sub(rb'(\ssqref=")([^"]*)(")', lambda m: m.group(1) + grow(m.group(2).decode()).encode() + m.group(3), xml)
    return re.sub(rb"(<(?:" + _NAME + rb":)?sqref>)([^<]*)(</(?:" + _NAME + rb":)?sqref>)",
                  lambda m: m.group(1) + grow(m.group(2).decode()).encode() + m.group(3), xml)


__all__ = ["InputEdits", "ImportRewriter", "grow_ranges"]
