"""The part of the Leads sheet around its rows (a mixin of
:class:`~salesbook.adapters.files.leads_writer.LeadsRewriter`): ``<dimension>`` and ``<cols>``
before them, and after them the ranges (merges, hyperlinks, conditional formats, validations)
that follow deleted rows, and a sheet-level autoFilter widened over appended columns."""

from __future__ import annotations

import re

from salesbook.adapters.files.cells import parse_ref
from salesbook.adapters.files.references import shift_sqref
from salesbook.cells import col_letter

_NAME = rb"[A-Za-z_][\w.-]*"


class SheetEdges:
    """The head-and-tail half of :class:`~salesbook.adapters.files.leads_writer.LeadsRewriter`."""

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


def reach_dimension(xml: bytes, last_row: int, last_col: int) -> bytes:
    """A worksheet part whose ``<dimension>`` reaches ``last_row`` and ``last_col`` (rows or columns
    written past it); unchanged when it does already, has none, or holds no readable range."""
    m = re.search(rb'(<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\sref=")([^"]*)(")', xml)
    if not m:
        return xml
    try:
        r1, c1, r2, c2 = parse_ref(m.group(2).decode())
    except ValueError:
        return xml
    if last_row <= r2 and last_col <= c2:
        return xml
    ref = f"{col_letter(c1)}{r1}:{col_letter(max(c2, last_col))}{max(r2, last_row)}".encode()
    return xml[: m.start(2)] + ref + xml[m.end(2):]


def _fmt(width: float) -> str:
    return f"{width:.2f}".rstrip("0").rstrip(".")
