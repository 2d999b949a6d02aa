"""The add-in's own sheets in a workbook file: recognise them before writing, mark them after.

See ``salesbook.owned`` for the rule. Here: the sheets of any kind named in ``workbook.xml``,
the add-in's marks among its defined names, and the first rows of a sheet (streamed, so a big
History or Archive costs no more than a small one).
"""

from __future__ import annotations

from salesbook import owned
from salesbook.errors import Refusal
from salesbook.xlsx.package import Package, PackageWriter, child, children, parse_xml, rel_attr
from salesbook.xlsx.reader import first_row

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


def _top_rows(pkg: Package, part: str, role: str) -> list[list[object]]:
    """Column A of rows 1-2 (whole sheets), or the rows up to the first non-empty one (logs)."""
    if role in owned.WHOLE:
        return [[first_row(pkg, part, r).get(1)] for r in (1, 2)]
    rows = []
    for r in range(1, HEADER_ROWS + 1):
        cells = first_row(pkg, part, r)
        if cells:
            rows.append([cells.get(c) for c in range(1, max(cells) + 1)])
            break
        rows.append([])
    return rows


def foreign(pkg: Package, role: str, name: str | None = None) -> str | None:
    """The refusal's sentence when the sheet called ``name`` (default: the role's own name) exists
    and is not the add-in's ``role`` sheet; None when it is the add-in's or does not exist."""
    found = _all_sheets(pkg).get((name or role).casefold())
    if found is None:
        return None
    sheet, kind, part = found
    if kind != "worksheet":
        return owned.foreign_sheet(role, sheet, kind=kind)
    marks = owned.workbook_marks(pkg.read(pkg.workbook_part))
    if owned.is_marked(role, sheet, marks) or owned.looks_like(role, _top_rows(pkg, part, role)):
        return None
    return owned.foreign_sheet(role, sheet)


def claim(pkg: Package, names) -> None:
    """Refuse, before anything is written, when a sheet the command writes is the user's."""
    for name in names:
        role = owned.role_of(name)
        if role is None:
            continue
        message = foreign(pkg, role, name)
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
