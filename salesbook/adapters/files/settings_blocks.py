"""Lines added to the Import blocks of a book's Settings sheet (``salesbook import --preset NAME
--write-settings`` on an existing book; docs/spec.md §3, Import).

The lines go below the block's last line, into its empty rows (``rules.settings_sheet.
import_block_place``). When a block followed by another one has too few empty rows, the rows from
the blank row above the next block down move down to make room — only when nothing refers to them
(no formula, merged range, conditional format, validation, hyperlink, drawing or defined name
reaches them, and no other sheet's formula names the Settings sheet); otherwise the write is
refused with the rows to insert. The new cells are inline strings written by the import's row
rewriter (``import_rows``): an existing cell keeps its style. Every other byte of the part, and
every other part, is left as it is.
"""

from __future__ import annotations

import re
import pandas as pd

from salesbook.adapters.files.sheet_edges import reach_dimension
from salesbook.adapters.files.cells import parse_ref
from salesbook.adapters.files.import_rows import ImportRewriter, InputEdits
from salesbook.adapters.locate import LeadsLocation
from salesbook.cells import col_letter
from salesbook.errors import Refusal
from salesbook.rules.settings import SETTINGS_SHEET_NAMES
from salesbook.rules.settings_import import import_block_place, import_label
from salesbook.vocabulary.words import IMPORT, SETTINGS_BLOCKS, say

_ROW_TAG = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)row\b([^>]*)>")
_R = re.compile(rb'(\sr=")(\d+)(")')
_CELL_R = re.compile(rb'(<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\sr=")([A-Z]{1,3})(\d+)(")')


def write_import_lines(pkg, writer, columns: tuple, values: tuple) -> None:
    """Put the Settings sheet part with ``columns`` (ImportColumn) and ``values`` (ImportValue)
    lines added to its Import blocks."""
    info = next((pkg.sheet(n) for n in SETTINGS_SHEET_NAMES if pkg.sheet(n) is not None), None)
    name = _name(pkg)
    if info is None:
        raise Refusal(say(IMPORT, "no_settings_sheet", "en", name=name), path=pkg.path)
    from salesbook.adapters.files.reader import read_grid

    grid = read_grid(pkg, info.name)
    cells: dict[tuple[int, int], str] = {}  # (row, column) before any move, 1-based -> text
    placed: list[tuple[int, list[tuple[int, str]]]] = []  # (first free row, [(i, column, text)])
    inserts: list[tuple[int, int]] = []  # (row that moves down first, how many rows)
    for block, items, texts in (("import_columns", columns, lambda c: (import_label(c.key), c.header)),
                                ("import_values", values, lambda v: (import_label(v.key), v.value, v.to))):
        if not items:
            continue
        place = import_block_place(grid, block, info.name)
        if place is None:
            raise Refusal(say(IMPORT, "no_import_block", "en", name=name, sheet=info.name,
                              block=" ".join(SETTINGS_BLOCKS[block])), path=pkg.path, sheet=info.name)
        keys = list(place.columns.values())
        row = place.first_free + 1
        placed.append((row, [(i, keys[j] + 1, str(t)) for i, item in enumerate(items)
                             for j, t in enumerate(texts(item))]))
        if place.room is not None and len(items) > place.room:
            inserts.append((row + place.room, len(items) - place.room))
    if not placed:
        return
    xml = pkg.read(info.part)
    if inserts:
        _check_movable(pkg, info, xml, inserts)
        xml = _move_rows(xml, inserts)

    def moved(r: int) -> int:
        return r + sum(k for at, k in inserts if r >= at)

    for row, items in placed:
        base = moved(row)
        for i, col, text in items:
            cells[(base + i, col)] = text
    frame = pd.Series(cells).unstack()
    frame = frame.astype(object).where(frame.notna(), None).sort_index()
    last_col = max(c for _, c in cells)
    loc = LeadsLocation(info.name, info.part, None, None, header_row=0, first_col=1, last_col=last_col,
                        last_row=1 << 20)  # every row is 'in the table': only the named cells change
    rewriter = ImportRewriter(loc, InputEdits(frame), _NoStyles(), path=pkg.path)
    xml = b"".join(rewriter.stream(iter([xml])))
    writer.put(info.part, reach_dimension(xml, max(r for r, _ in cells), last_col))


class _NoStyles:
    """The Settings lines are texts: no date style is ever asked for."""

    def with_date_format(self, s):  # pragma: no cover - texts only
        raise AssertionError("no dates in the Import blocks")


def _check_movable(pkg, info, xml: bytes, inserts: list[tuple[int, int]]) -> None:
    """Refuse when something refers to the rows that would move down (they would have to follow)."""
    at, k = min(inserts)
    reason = _what_refers(pkg, info, xml, at)
    if reason is not None:
        raise Refusal(say(IMPORT, "settings_no_room", "en", name=_name(pkg), sheet=info.name, what=reason, k=k,
                          row=at), path=pkg.path, sheet=info.name, row=at)


def _name(pkg) -> str:
    import os

    return os.path.basename(str(pkg.path))


def _what_refers(pkg, info, xml: bytes, at: int) -> str | None:
    close = re.search(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>", xml)
    body, tail = (xml, b"") if close is None else (xml[: close.start()], xml[close.start():])
    for m in _ROW_TAG.finditer(body):
        r = _R.search(b" " + m.group(2))
        if r is None:
            return "a row without its number"
        if int(r.group(2)) >= at:
            stop = body.find(b"</" + m.group(1) + b"row>", m.end())
            if re.search(rb"<(?:[A-Za-z_][\w.-]*:)?f\b", body[m.end(): stop if stop >= 0 else len(body)]):
                return f"a formula in row {int(r.group(2))}"
    for f in re.finditer(rb"<(?:[A-Za-z_][\w.-]*:)?f\b[^>]*>([^<]*)<", body):  # formulas above reaching below
        if any(int(r) >= at for r in re.findall(rb"\$?[A-Z]{1,3}\$?(\d+)", f.group(1))):
            return f"the formula {f.group(1)[:40].decode('utf-8', 'replace')}"
    for ref in re.findall(rb'\s(?:s?qref|ref)="([^"]+)"', tail) + re.findall(rb"<(?:\w+:)?sqref>([^<]+)<", tail):
        for part in ref.decode().split():
            try:
                if parse_ref(part)[2] >= at:
                    return f"the range {part}"
            except ValueError:
                continue
    if re.search(rb"<(?:[A-Za-z_][\w.-]*:)?(?:drawing|legacyDrawing|tableParts)\b", tail):
        return "a drawing, note or table on the sheet"
    quoted = "'" + info.name.replace("'", "''") + "'!"
    names = (quoted.encode(), (info.name + "!").encode())
    workbook = pkg.read(pkg.workbook_part)
    for m in re.finditer(rb"<(?:\w+:)?definedName\b[^>]*>([^<]*)<", workbook):
        text = m.group(1)
        if any(n in text for n in names):
            rows = [int(x) for x in re.findall(rb"\$?[A-Z]{1,3}\$?(\d+)", text)]
            if any(r >= at for r in rows) or re.search(rb"!\$?[A-Z]{1,3}:\$?[A-Z]{1,3}", text):
                return f"the defined name {m.group(0)[:80].decode('utf-8', 'replace')}"
    for sheet in pkg.sheets:
        if sheet.part == info.part:
            continue
        data = pkg.read(sheet.part)
        if any(n in data for n in names):
            return f"a formula on sheet '{sheet.name}'"
    return None


def _move_rows(xml: bytes, inserts: list[tuple[int, int]]) -> bytes:
    """Rows (and their cells) from each insert's row down move down by its count."""

    def moved(n: int) -> int:
        return n + sum(k for at, k in inserts if n >= at)

    def row(m: re.Match) -> bytes:
        attrs = _R.sub(lambda r: r.group(1) + b"%d" % moved(int(r.group(2))) + r.group(3), b" " + m.group(2), 1)
        return b"<" + m.group(1) + b"row" + attrs[1:] + b">"

    xml = _ROW_TAG.sub(row, xml)
    xml = _CELL_R.sub(lambda m: m.group(1) + m.group(2) + b"%d" % moved(int(m.group(3))) + m.group(4), xml)
    dim = re.search(rb'(<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\sref=")([^"]*)(")', xml)
    if dim:
        try:
            r1, c1, r2, c2 = parse_ref(dim.group(2).decode())
        except ValueError:
            return xml
        ref = f"{col_letter(c1)}{r1}:{col_letter(c2)}{moved(r2)}".encode()
        xml = xml[: dim.start(2)] + ref + xml[dim.end(2):]
    return xml


__all__ = ["write_import_lines"]
