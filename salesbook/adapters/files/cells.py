"""Cells read straight from a worksheet part's XML: references, attributes, texts, the
shared strings table, and one row near the top of a sheet (streamed, so cheap on big sheets).
What :mod:`salesbook.adapters.files.reader` uses to find the lead table; the other readers
of owned sheets use it too."""

from __future__ import annotations

import html
import re
from array import array

from salesbook.adapters.files.package import Package
from salesbook.cells import col_index


# --------------------------------------------------------------------------- references


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def parse_ref(ref: str) -> tuple[int, int, int, int]:
    """'B2:D10' -> (min_row, min_col, max_row, max_col); 'B2' -> a single cell."""
    cells = [m.groups() for m in _REF.finditer(ref)]
    if not cells:
        raise ValueError(f"not a cell reference: {ref!r}")
    (c1, r1), (c2, r2) = cells[0], cells[-1]
    rows = sorted((int(r1), int(r2)))
    cols = sorted((col_index(c1), col_index(c2)))
    return rows[0], cols[0], rows[1], cols[1]


# --------------------------------------------------------------------------- first row


_ROW_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*?)(/?)>")
_ROW_CLOSE = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?row\s*>")
_SHEETDATA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>|<(?:[A-Za-z_][\w.-]*:)?sheetData\s*/>")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?c\s*>)", re.S)
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_V = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v\b[^>]*>(.*?)</(?:[A-Za-z_][\w.-]*:)?v\s*>", re.S)
_T = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?t\b[^>]*?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?t\s*>)", re.S)
_RPH = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?rPh\b.*?</(?:[A-Za-z_][\w.-]*:)?rPh\s*>", re.S)
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CELL_REF = re.compile(rb"([A-Za-z]{1,3})(\d+)")


def sheetdata_end(buf: bytes, pos: int = 0) -> "re.Match[bytes] | None":
    """The first ``</sheetData>`` (or ``<sheetData/>``, any prefix) at or after ``pos``, as
    ``_SHEETDATA_END.search(buf, pos)`` finds it, but tried only where the name occurs: the
    pattern alone starts at every '<' of a megabyte of cells (~10 ms a megabyte)."""
    at = buf.find(b"sheetData", pos)
    while at >= 0:
        start = buf.rfind(b"<", pos, at)  # the tag the name is in starts at the '<' before it
        m = _SHEETDATA_END.match(buf, start) if start >= 0 else None
        if m is not None:
            return m
        at = buf.find(b"sheetData", at + 9)
    return None


def attrs(raw: bytes) -> dict[bytes, bytes]:
    """Attributes of a start tag as bytes, prefixes dropped ('x:r' -> 'r')."""
    out = {}
    for m in _ATTR.finditer(raw):
        name = m.group(1).rsplit(b":", 1)[-1] if not m.group(1).startswith(b"xmlns") else m.group(1)
        out[name] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


def xml_text(raw: bytes) -> str:
    """Element text as Excel means it: XML entities and _xHHHH_ escapes decoded."""
    text = html.unescape(raw.decode("utf-8")) if b"&" in raw else raw.decode("utf-8")
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def rich_text(inner: bytes) -> str:
    """The text of an <si> or <is>: its <t> runs, phonetic runs left out."""
    inner = _RPH.sub(b"", inner)
    return "".join(xml_text(m.group(1) or b"") for m in _T.finditer(inner))


def first_row(pkg: Package, part: str, row: int = 1) -> dict[int, str]:
    """Non-empty cell texts of one row near the top of a sheet, {column: text}.

    Reads the sheet part only up to that row (streaming), so it is cheap on big sheets.
    """
    xml = _rows_until(pkg, part, row)
    if xml is None:
        return {}
    out: dict[int, str] = {}
    col = 0
    for m in _CELL.finditer(xml):
        a = attrs(m.group(1))
        ref = a.get(b"r")
        if ref:
            cm = _CELL_REF.match(ref)
            col = col_index(cm.group(1).decode()) if cm else col + 1
        else:
            col += 1
        text = cell_text(pkg, a, m.group(2) or b"")
        if text not in (None, ""):
            out[col] = text
    return out


def _rows_until(pkg: Package, part: str, wanted: int) -> bytes | None:
    """The XML content of row ``wanted`` (None when absent), read incrementally."""
    if not pkg.has(part):
        return None
    buf, pos, row, eof = b"", 0, 0, False
    with pkg.stream(part) as f:
        while True:
            m = _ROW_OPEN.search(buf, pos)
            close = _ROW_CLOSE.search(buf, m.end()) if m is not None and not m.group(2) else None
            if m is None or (not m.group(2) and close is None):
                if eof or sheetdata_end(buf, pos):
                    return None
                chunk = f.read(1 << 16)
                eof = not chunk
                buf += chunk
                continue
            a = attrs(m.group(1))
            row = int(a[b"r"]) if a.get(b"r", b"").isdigit() else row + 1
            if row > wanted:
                return None
            if row == wanted:
                return b"" if m.group(2) else buf[m.end(): close.start()]
            pos = m.end() if m.group(2) else close.end()


def cell_text(pkg: Package, a: dict[bytes, bytes], inner: bytes) -> str | None:
    """A cell's displayed value as text (formulas: their cached value)."""
    t = a.get(b"t", b"n")
    if t == b"inlineStr":
        m = re.search(rb"<(?:[A-Za-z_][\w.-]*:)?is\b[^>]*>(.*?)</(?:[A-Za-z_][\w.-]*:)?is\s*>", inner, re.S)
        return rich_text(m.group(1)) if m else None
    v = _V.search(inner)
    if v is None:
        return None
    raw = v.group(1)
    if t == b"s":
        try:
            return shared_strings(pkg)[int(raw)]
        except (ValueError, IndexError):
            return None
    if t == b"b":
        return "TRUE" if raw.strip() in (b"1", b"true") else "FALSE"
    text = xml_text(raw)
    if t == b"n":
        try:
            f = float(text)
            return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
        except ValueError:
            return text
    return text


class SharedStrings:
    """The shared strings table, decoded lazily: only the items asked for are decoded
    (finding an item's bytes is a cheap scan; decoding rich text is the cost)."""

    _SI = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si\b[^>]*?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?si\s*>)", re.S)

    def __init__(self, data: bytes):
        self._data = data
        self._items = self._SI.finditer(data)
        self._starts = array("q")  # byte span of each item's content (-1, -1 when empty)
        self._ends = array("q")
        self._decoded: dict[int, str] = {}
        self._pieces: list[bytes] | None = None

    def _scan_to(self, i: int) -> None:
        while len(self._starts) <= i:
            m = next(self._items, None)
            if m is None:
                raise IndexError(i)
            self._starts.append(m.start(1) if m.group(1) is not None else -1)
            self._ends.append(m.end(1) if m.group(1) is not None else -1)

    def __getitem__(self, i: int) -> str:
        text = self._decoded.get(i)
        if text is None:
            text = self._decoded[i] = rich_text(self._item(i))
        return text

    def _item(self, i: int) -> bytes:
        """The raw content of item i. Unprefixed tables (nearly all) are cut at '<si' in C,
        one split for the whole table; prefixed ones fall back to the regex scan."""
        if self._pieces is None:
            self._pieces = self._data.split(b"<si") if b"<si" in self._data else []
        if self._pieces:
            if i + 1 >= len(self._pieces):
                raise IndexError(i)
            piece = self._pieces[i + 1]
            head = piece.find(b">")
            if head < 0 or piece[head - 1:head] == b"/":
                return b""  # <si/>
            end = piece.find(b"</si")
            return piece[head + 1:end if end >= 0 else len(piece)]
        self._scan_to(i)
        start = self._starts[i]
        return self._data[start:self._ends[i]] if start >= 0 else b""

    def __len__(self) -> int:
        """Items found so far (the whole table after ``all``)."""
        return len(self._starts)

    def all(self) -> list[str]:
        try:
            self._scan_to(1 << 62)
        except IndexError:
            pass
        return [self[i] for i in range(len(self._starts))]


def shared_strings(pkg: Package) -> SharedStrings:
    """The package's shared strings (parsed lazily, cached on the package)."""
    key = "shared_strings"
    if key not in pkg.cache:
        part = None
        for rtype, target in pkg.rels(pkg.workbook_part).values():
            if rtype.endswith("/sharedStrings"):
                part = target
        data = pkg.read(part) if part and pkg.has(part) else b""
        pkg.cache[key] = SharedStrings(data)
    return pkg.cache[key]  # type: ignore[return-value]
