"""``xl/calcChain.xml``: Excel's list of the workbook's formula cells, in calculation order.

Each entry names a cell (``r``) and its sheet (``i``, sticky: an entry without it has the
sheet of the entry before). When a write turns a listed cell into a value (an output
column that held formulas), deletes it or moves it (archived rows), the chain lists a
cell that no longer holds that formula, and Excel offers to repair the file. Then the
chain goes, with its relationship and its content type, as openpyxl always does: Excel
rebuilds it on the next calculation. When no listed cell is touched, the part is left
byte-identical.

The writer describes what it changes as :class:`Area` s; only the chain's entries are
compared with them (no worksheet is scanned again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from salesbook.adapters.files.package import Package, child, children, rel_attr
from salesbook.adapters.files.package_writer import PackageWriter
from salesbook.adapters.files.xmlsafe import parse_xml

_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b([^>]*?)/?>")
_ATTR = re.compile(rb"""\b(r|i)\s*=\s*["']([^"']*)["']""")
_CELL = re.compile(rb"^\$?([A-Za-z]{1,3})\$?(\d+)$")


@dataclass(frozen=True)
class Area:
    """Cells of a sheet part whose formulas a write overwrites, moves or deletes.

    ``cols``/``rows`` are inclusive 1-based bounds; None means every column / row."""

    part: str
    cols: tuple[int, int] | None = None
    rows: tuple[int, int] | None = None

    def holds(self, col: int, row: int) -> bool:
        return (self.cols is None or self.cols[0] <= col <= self.cols[1]) and \
            (self.rows is None or self.rows[0] <= row <= self.rows[1])


def chain_part(pkg: Package) -> tuple[str, str] | None:
    """(relationship id, part name) of the workbook's calculation chain, if it has one."""
    for rid, (rtype, target) in pkg.rels(pkg.workbook_part).items():
        if rtype.endswith("/calcChain"):
            return rid, target
    return None


def drop_if_stale(pkg: Package, writer: PackageWriter, areas: list[Area]) -> bool:
    """Remove the calculation chain when it lists a cell in one of ``areas``; True if removed."""
    found = chain_part(pkg) if areas else None
    if found is None:
        return False
    rid, part = found
    if not writer.has(part):
        return False
    if not _lists_any(pkg, writer.get(part), areas):
        return False
    writer.remove(part)  # and its Override
    writer.remove_relationship(pkg.workbook_part, rid)
    return True


def _sheet_numbers(pkg: Package) -> dict[str, set[int]]:
    """Sheet part -> the numbers an entry's ``i`` may use for it: the sheet's ``sheetId``, as Excel
    writes it and as Apache POI reads it. (Taking the 1-based position too would make a run drop a
    chain that the previous run kept: the add-in's own sheets take positions that other sheets'
    ids already use, and a second run would not be the same as the first.)"""
    root = parse_xml(pkg.read(pkg.workbook_part), part=pkg.workbook_part, path=pkg.path)
    rels = pkg.rels(pkg.workbook_part)
    sheets = child(root, "sheets")
    out: dict[str, set[int]] = {}
    for el in children(sheets, "sheet") if sheets is not None else []:
        target = rels.get(rel_attr(el, "id") or "", ("", ""))[1]
        numbers = out.setdefault(target, set())
        try:
            numbers.add(int(el.get("sheetId", "")))
        except ValueError:
            pass
    return out


def _lists_any(pkg: Package, chain: bytes, areas: list[Area]) -> bool:
    numbers = _sheet_numbers(pkg)
    by_number: dict[int, list[Area]] = {}
    for area in areas:
        for n in numbers.get(area.part, ()):
            by_number.setdefault(n, []).append(area)
    if not by_number:
        return False
    sheet: int | None = None  # before the first ``i``: unknown, so any sheet
    for m in _ENTRY.finditer(chain):
        attrs = dict(_ATTR.findall(m.group(1)))
        if b"i" in attrs:
            try:
                sheet = int(attrs[b"i"])
            except ValueError:
                sheet = None
        cell = _CELL.match(attrs.get(b"r", b"").strip())
        if cell is None:
            return True  # an entry this code cannot read: do not vouch for the chain
        col, row = _col_index(cell.group(1)), int(cell.group(2))
        candidates = by_number.get(sheet, ()) if sheet is not None else areas
        if any(a.holds(col, row) for a in candidates):
            return True
    return False


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


__all__ = ["Area", "chain_part", "drop_if_stale"]
