"""The table part (``xl/tables/tableN.xml``) of the lead table: columns appended at the right,
rows deleted (its ref and autoFilter follow), and a new column's unique name."""

from __future__ import annotations

import html
import re

from salesbook.adapters.files.cells import parse_ref
from salesbook.adapters.files.references import RowMap
from salesbook.cells import col_letter

_NAME = rb"[A-Za-z_][\w.-]*"


def edit_table(xml: bytes, *, new_columns: list[str] = (), last_col: int | None = None, rows: RowMap | None = None,
               last_row: int | None = None) -> bytes:
    """A table part with columns appended at the right, rows deleted (``rows``), and/or grown down
    to ``last_row`` (rows appended by an import; an autoFilter that ended with the table follows).

    Edits are textual: ``ref`` and ``autoFilter ref``, ``tableColumns count``, new
    ``<tableColumn id name/>`` (ids and names unique in the table).
    """
    root_m = re.search(rb"<(" + _NAME + rb":)?table\b[^>]*>", xml)
    p = root_m.group(1) or b""
    ref_m = re.search(rb'\sref="([^"]+)"', root_m.group(0))
    r1, c1, r2, c2 = parse_ref(ref_m.group(1).decode())
    old_r2 = r2
    totals = re.search(rb'\stotalsRowCount="(\d+)"', root_m.group(0))
    totals_n = int(totals.group(1)) if totals else 0
    if rows:  # a table keeps at least one data row
        r2 = max(r1 + 1 + totals_n, r2 - rows.shift(r2 + 1))
    if last_row is not None:
        r2 = max(r2, last_row)
    new_c2 = max(c2, last_col or c2)
    if (r2, new_c2) == (old_r2, c2) and not new_columns and not rows:  # nothing to change (an import's table
        return xml  # already as tall)
    new_ref = f"{col_letter(c1)}{r1}:{col_letter(new_c2)}{r2}"
    root_new = root_m.group(0).replace(ref_m.group(0), b' ref="' + new_ref.encode() + b'"', 1)
    xml = xml[: root_m.start()] + root_new + xml[root_m.end():]
    af = re.search(b"(<" + re.escape(p) + rb'autoFilter\b[^>]*?\sref=")([^"]*)(")', xml)
    if af:
        ar1, ac1, ar2, ac2 = parse_ref(af.group(2).decode())
        if rows:
            ar2 = max(ar1, ar2 - rows.shift(ar2 + 1))
        if last_row is not None and ar2 == old_r2:
            ar2 = max(ar2, last_row)
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
