"""References from elsewhere in the workbook to the Leads rows that Archive deletes.

Archive deletes lead rows the way Excel's *Delete Table Rows* does (``leads_writer``): the
cells of the table's columns move up, a deleted cell is gone. Excel adjusts every reference
to those cells wherever it is, so this module does the same outside the Leads sheet, with the
writer's own rule (:func:`adjust_formula` over the bounded :class:`RowMap`): a
reference wholly inside the table's columns and rows follows its cell (``#REF!`` when the cell
was deleted), one reaching outside the table does not change. Only references that name the
Leads sheet change (``=Leads!A5``, ``='Leads'!$N$2:$N$9``); a bare ``A5`` on another sheet is
that sheet's own cell. Adjusted:

- cell formulas on every other worksheet; a shared formula whose group refers to the Leads
  sheet is written out as plain formulas first (each cell's references may shift by a
  different number of rows), as the Leads sheet's own shared formulas are;
- formulas of those sheets' conditional formats and data validations (``<formula>``,
  ``<formula1>``, ``<formula2>``, and Excel 2010's ``<xm:f>``);
- chart series and labels (``<c:f>``).

Defined names are adjusted by ``notes.shift_defined_names``; the Leads sheet's own formulas
by ``LeadsRewriter``. Not adjusted: pivot caches' source ranges, ``INDIRECT`` texts, links from
other workbooks. Parts are edited textually: only the changed formulas differ. A part that
does not mention the Leads sheet followed by ``!`` is only streamed through once.
"""

from __future__ import annotations

import bisect
import html
import re
from typing import Sequence
import zipfile

import numpy as np

from salesbook.adapters.files.package import Package
from salesbook.adapters.files.package_writer import PackageWriter
from salesbook.cells import col_index, col_letter

_NAME = rb"[A-Za-z_][\w.-]*"
_CELL = re.compile(rb"<(" + _NAME + rb":)?c\b([^>]*?)(?:/>|>(.*?)</(?:" + _NAME + rb":)?c\s*>)", re.S)
_F = re.compile(rb"<((?:" + _NAME + rb":)?)f\b([^>]*?)(?:/>|>([^<]*)</(?:" + _NAME + rb":)?f\s*>)")
_TAIL_FORMULA = re.compile(rb"(<(?:" + _NAME + rb":)?(?:formula|formula1|formula2|f)\b[^>]*>)([^<]*)"
                           rb"(</(?:" + _NAME + rb":)?(?:formula|formula1|formula2|f)\s*>)")
_SHEET_DATA_END = re.compile(rb"</(?:" + _NAME + rb":)?sheetData\s*>")
_R = re.compile(rb'(?:^|\s)r\s*=\s*"([A-Za-z]{1,3}\d+)"')
_T = re.compile(rb'\st\s*=\s*"(\w+)"')
_SI = re.compile(rb'\ssi\s*=\s*"(\d+)"')
_SHARED_ATTRS = re.compile(rb'\s(?:t|si|ref)\s*=\s*"[^"]*"')
_POSITIONAL = re.compile(rb"<(?:" + _NAME + rb":)?c(?![^>]*\sr\s*=)(?:\s[^>]*)?>")  # a cell without r="…"


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


# --------------------------------------------------------------------------- other sheets


def needles(sheet_name: str) -> list[bytes]:
    """How a reference to the sheet looks in XML text, lower-cased: 'leads!' and "leads'!"."""
    quoted = sheet_name.replace("'", "''")
    out = []
    for name in {sheet_name, quoted}:
        esc = html.escape(name, quote=False).encode("utf-8").lower()
        out += [esc + b"!", esc + b"'!"]
    return out


def mentions(stream, wanted: list[bytes], chunk: int = 1 << 20) -> bool:
    """Does a (decompressed) part stream contain any of ``wanted`` (ASCII case-insensitively)?"""
    keep = max(len(w) for w in wanted) - 1
    tail = b""
    while True:
        data = stream.read(chunk)
        if not data:
            return False
        window = tail + data.lower()
        if any(w in window for w in wanted):
            return True
        tail = window[-keep:] if keep else b""


class _Formulas:
    """Adjusts formula texts for one part (shared formula masters remembered per part)."""

    def __init__(self, rows: RowMap, sheet_name: str, *, expand: bool = True):
        self.rows = rows
        self.names = {sheet_name.casefold()}
        self.wanted = needles(sheet_name)
        self.shared: dict[bytes, tuple[str, str]] = {}  # si -> (master formula, master cell)
        self.expand: set[bytes] = set()  # shared groups written out as plain formulas
        self.can_expand = expand  # False when some cell has no reference (its formula's place is unknown)

    def text(self, formula: str) -> str:
        return adjust_formula(formula, self.rows, self.names, bare=False)

    def cell(self, m: re.Match) -> bytes:
        inner = m.group(3)
        if not inner or b"f" not in inner:
            return m.group(0)
        ref = _R.search(m.group(2))
        f = _F.search(inner)
        if f is None:
            return m.group(0)
        new = self._f(f, ref.group(1).decode() if ref else None)
        if new is None:
            return m.group(0)
        start = m.start(3) - m.start()
        body = inner[: f.start()] + new + inner[f.end():]
        whole = m.group(0)
        return whole[:start] + body + whole[start + len(inner):]

    def _f(self, f: re.Match, cell: str | None) -> bytes | None:
        """The new <f> element, None when it does not change."""
        p, attrs = f.group(1), f.group(2)
        text = html.unescape(f.group(3).decode("utf-8")) if f.group(3) else ""
        t = _T.search(attrs)
        kind = t.group(1) if t else b"normal"
        keep = attrs
        if kind == b"shared":
            si = _SI.search(attrs)
            key = si.group(1) if si else b""
            if text:  # the group's master: its cells' references move apart when it names the sheet
                self.shared[key] = (text, cell or "")
                raw = f.group(3).lower()
                if not cell or not self.can_expand or not any(w in raw for w in self.wanted):
                    return None
                self.expand.add(key)
            elif key in self.expand and cell:
                from openpyxl.formula.translate import Translator

                master, origin = self.shared[key]
                text = Translator("=" + master, origin=origin).translate_formula(cell)[1:]
            else:
                return None
            keep = _SHARED_ATTRS.sub(b"", attrs)
        elif kind not in (b"normal", b"array") or not text:
            return None  # data tables and empty formulas stay
        new = self.text(text)
        if new == text and keep is attrs:
            return None
        esc = new.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")
        return b"<" + p + b"f" + keep + b">" + esc + b"</" + p + b"f>"

    def tail(self, m: re.Match) -> bytes:
        text = html.unescape(m.group(2).decode("utf-8"))
        new = self.text(text)
        if new == text:
            return m.group(0)
        return m.group(1) + html.escape(new, quote=False).encode("utf-8") + m.group(3)


def shift_sheet(xml: bytes, rows: RowMap, sheet_name: str) -> bytes:
    """A worksheet part whose formulas naming ``sheet_name`` follow its deleted rows."""
    end = _SHEET_DATA_END.search(xml)
    cut = end.end() if end else len(xml)
    fx = _Formulas(rows, sheet_name, expand=_POSITIONAL.search(xml, 0, cut) is None)
    body = _CELL.sub(fx.cell, xml[:cut]) if b"<" in xml else xml[:cut]
    return body + _TAIL_FORMULA.sub(fx.tail, xml[cut:])


def shift_chart(xml: bytes, rows: RowMap, sheet_name: str) -> bytes:
    """A chart part whose series and labels naming ``sheet_name`` follow its deleted rows."""
    return _TAIL_FORMULA.sub(_Formulas(rows, sheet_name).tail, xml)


def shift_references(pkg: Package, writer: PackageWriter, leads_part: str, sheet_name: str, rows: RowMap) -> None:
    """Adjust, through ``writer``, every other worksheet and chart that refers to the deleted rows."""
    wanted = needles(sheet_name)
    sheets = [s.part for s in pkg.sheets if s.part != leads_part]
    charts = [n for n in pkg.names() if "/charts/" in n and n.endswith(".xml")]
    with zipfile.ZipFile(pkg.path) as zf:
        for part, shift in [(p, shift_sheet) for p in sheets] + [(c, shift_chart) for c in charts]:
            if not writer.has(part) or writer.pending(part) is not None or not pkg.has(part):
                continue  # only the source's parts: nothing else has been put yet
            with zf.open(part) as stream:
                if not mentions(stream, wanted):
                    continue
            data = pkg.read(part)
            new = shift(data, rows, sheet_name)
            if new != data:
                writer.put(part, new)


__all__ = ["shift_references", "shift_sheet", "shift_chart", "needles"]
