"""The add-in's own sheets in a workbook file: recognise them before writing, mark them after.

See ``salesbook.owned`` for the rule. Here: the sheets of any kind named in ``workbook.xml``,
the add-in's marks among its defined names, and the first rows of a sheet (streamed, so a big
History or Archive costs no more than a small one).
"""

from __future__ import annotations

import re

from salesbook import owned
from salesbook.errors import Refusal
from salesbook.adapters.files.package import Package, child, children, rel_attr
from salesbook.adapters.files.package_writer import PackageWriter
from salesbook.adapters.files.xmlsafe import parse_xml
from salesbook.adapters.files.cells import (
    _CELL,
    _CELL_REF,
    _V,
    _rows_until,
    attrs,
    cell_text,
    rich_text,
    shared_strings,
)
from salesbook.cells import col_index

HEADER_ROWS = 10  # History's and Archive's header is the first non-empty row among these


def _all_sheets(pkg: Package) -> dict[str, tuple[str, str, str]]:
    """casefolded name -> (name, kind, part) of every sheet, worksheets, chart sheets and others alike."""
    cached = pkg.cache.get("all_sheets")
    if cached is None:
        root = parse_xml(pkg.read(pkg.workbook_part), part=pkg.workbook_part, path=pkg.path)
        rels = pkg.rels(pkg.workbook_part)
        sheets = child(root, "sheets")
        cached = {}
        for el in children(sheets, "sheet") if sheets is not None else []:
            rtype, target = rels.get(rel_attr(el, "id") or "", ("", ""))
            kind = rtype.rsplit("/", 1)[-1] or "sheet"
            cached.setdefault(el.get("name", "").casefold(), (el.get("name", ""), kind, target))
        pkg.cache["all_sheets"] = cached
    return cached  # type: ignore[return-value]


def _top_rows(pkg: Package, part: str, role: str, sheet: str, read_rows=None) -> list[list[object]]:
    """Column A of rows 1-2 (whole sheets), or the rows up to the first non-empty one (logs).

    Streamed from the part. A shared string among them comes from the loaded table, else from
    ``read_rows(sheet)`` (the caller's reader that holds the table already, e.g. calamine's),
    else from one streaming pass over the table that keeps nothing."""
    if role in owned.WHOLE:
        raw = [_raw_row(pkg, part, r) for r in (1, 2)]
        raw = [{1: row[1]} if 1 in row else {} for row in raw]
    else:
        raw = []
        for r in range(1, HEADER_ROWS + 1):
            raw.append(_raw_row(pkg, part, r))
            if raw[-1]:
                break
    need = {int(v) for row in raw for a, v in row.values() if a.get(b"t") == b"s" and v.strip().isdigit()}
    if need and "shared_strings" not in pkg.cache and read_rows is not None:
        return read_rows(sheet)
    shared = _shared_items(pkg, need)
    rows = []
    for row in raw:
        texts = {}
        for col, (a, v) in row.items():
            texts[col] = shared.get(int(v)) if a.get(b"t") == b"s" and v.strip().isdigit() else \
                cell_text(pkg, a, v if a.get(b"t") == b"inlineStr" else b"<v>" + v + b"</v>")
        rows.append([texts.get(c) for c in range(1, max(texts, default=0) + 1)])
    return rows


def _raw_row(pkg: Package, part: str, row: int) -> dict[int, tuple[dict[bytes, bytes], bytes]]:
    """{column: (attributes, value)} of the cells holding something in one row near the top
    (the value is the <v> text, or the <is> content of an inline string)."""
    xml = _rows_until(pkg, part, row)
    out: dict[int, tuple[dict[bytes, bytes], bytes]] = {}
    col = 0
    for m in _CELL.finditer(xml or b""):
        a = attrs(m.group(1))
        ref = _CELL_REF.match(a.get(b"r", b""))
        col = col_index(ref.group(1).decode()) if ref else col + 1
        inner = m.group(2) or b""
        if a.get(b"t") == b"inlineStr":
            out[col] = (a, inner)
            continue
        v = _V.search(inner)
        if v is not None and v.group(1).strip():
            out[col] = (a, v.group(1))
    return out


_SI = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])")


def _shared_items(pkg: Package, wanted: set[int]) -> dict[int, str]:
    """Some items of the shared strings table. When the table is not loaded yet (a big workbook's
    can be tens of MB, which the read that follows should not have to share memory with), it is
    streamed once up to the last item wanted and nothing else is kept."""
    if not wanted:
        return {}
    cached = pkg.cache.get("shared_strings")
    if cached is not None:
        return {i: _item(cached, i) for i in wanted}
    part = next((t for rtype, t in pkg.rels(pkg.workbook_part).values() if rtype.endswith("/sharedStrings")), None)
    if part is None or not pkg.has(part):
        return {}
    out: dict[int, str] = {}
    last, first, carry = max(wanted), 0, b""  # first: the index of the first item starting in data
    with pkg.stream(part) as f:
        head = f.read(1 << 16)
        if _SI.search(head) and b"<si" not in head:  # a prefixed table (<x:si>): rare, load it
            return {i: _item(shared_strings(pkg), i) for i in wanted}
        chunk = head
        while True:
            data = carry + chunk
            n = data.count(b"<si")  # C speed: only the chunks holding a wanted item are split
            complete = n if not chunk else n - 1
            if any(first <= i < first + complete for i in wanted):
                pieces = data.split(b"<si")[1:]
                for k in range(complete):
                    if first + k in wanted:
                        out[first + k] = _decode(b"<si" + pieces[k])
            if not chunk or first + complete > last:
                return out
            if n:
                carry = data[data.rfind(b"<si"):]
                first += n - 1
            else:
                carry = data[-16:]
            chunk = f.read(1 << 20)


def _decode(item: bytes) -> str:
    head = item.find(b">")
    if head < 0 or item[head - 1:head] == b"/":
        return ""
    end = item.rfind(b"</")
    return rich_text(item[head + 1:end if end > head else len(item)])


def _item(table, i: int) -> str | None:
    try:
        return table[i]
    except IndexError:
        return None


def foreign(pkg: Package, role: str, name: str | None = None, *, rows: list[list[object]] | None = None,
            read_rows=None) -> str | None:
    """The refusal's sentence when the sheet called ``name`` (default: the role's own name) exists
    and is not the add-in's ``role`` sheet; None when it is the add-in's or does not exist.
    ``rows``: the sheet's cells from A1 when the caller has read them (History) — else the top rows
    are streamed (see _top_rows for ``read_rows``)."""
    found = _all_sheets(pkg).get((name or role).casefold())
    if found is None:
        return None
    sheet, kind, part = found
    if kind != "worksheet":
        return owned.foreign_sheet(role, sheet, kind=kind)
    marks = owned.workbook_marks(pkg.read(pkg.workbook_part))
    if owned.is_marked(role, sheet, marks):
        return None
    if owned.looks_like(role, rows[:HEADER_ROWS] if rows is not None else _top_rows(pkg, part, role, sheet, read_rows)):
        return None
    return owned.foreign_sheet(role, sheet)


def claim(pkg: Package, names, *, read_rows=None) -> None:
    """Refuse, before anything is written, when a sheet the command writes is the user's."""
    for name in names:
        role = owned.role_of(name)
        if role is None:
            continue
        message = foreign(pkg, role, name, read_rows=read_rows)
        if message is not None:
            raise Refusal(message, sheet=name)


def mark(writer: PackageWriter, name: str, sheet: str | None = None) -> None:
    """Mark the sheet just written for ``name`` (its role) as the add-in's."""
    role = owned.role_of(name)
    if role is None:
        return
    part = writer.pkg.workbook_part
    xml = writer.get(part)
    new = owned.with_mark(xml, role, sheet or name)
    if new != xml:
        writer.put(part, new)


__all__ = ["claim", "foreign", "mark"]
