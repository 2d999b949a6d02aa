"""How the Leads rewrite edits one row (a mixin of :class:`~salesbook.adapters.files.leads_writer.LeadsRewriter`):
the owned cells of a data row, a row's cells moving up when table rows are deleted
(:class:`TableRows` puts the table's rows together again), rows absent from the XML, and the
formulas of a row after the deletion."""

from __future__ import annotations

import collections
import html
import re

from salesbook.adapters.files import cellxml
from salesbook.adapters.files.owned_cells import OwnedColumn
from salesbook.adapters.files.references import adjust_formula, shift_sqref
from salesbook.adapters.files.rowscan import ATTR_R, ATTR_S, LETTERS, parse_cells, style_of
from salesbook.cells import col_letter
from salesbook.errors import Refusal

_NAME = rb"[A-Za-z_][\w.-]*"


class NeighbourInUse(Refusal):
    """A cell right of the lead table, where output columns would go, holds something."""


class RowEditor:
    """The per-row half of :class:`~salesbook.adapters.files.leads_writer.LeadsRewriter`."""

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
        stays on row ``n``; :class:`TableRows` puts them together again."""
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
            attrs = ATTR_R.sub(b"", c.attrs, count=1) if c.has_r else c.attrs
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
        m = LETTERS.match(body, k + len(self.C_R))
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
        return tuple(style_of(have[oc.letter][0]) if oc.letter in have else None for oc in run.columns)

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
                s = ATTR_S.search(c.attrs)
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
                s = ATTR_S.search(c.attrs)
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
                s = ATTR_S.search(c.attrs)
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


class TableRows:
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
