"""Cell notes (legacy comments) and defined names of the Leads sheet when table rows are deleted.

Archive deletes lead rows the way Excel's *Delete Table Rows* does (``leads_writer``): the
cells of the table's columns on the table's rows move up, everything else stays. A note
belongs to its cell, so it follows the same rule:

- a note on a deleted table cell is removed from the sheet (its text goes to the Archive
  sheet with the archived row: :func:`sheet_notes` reads it for ``service.archive_rows``);
- a note on a table cell that moves up moves with it: ``ref`` in ``commentsN.xml`` (and in
  ``threadedCommentsN.xml`` when Excel 365 wrote one), and ``<x:Row>`` / the rows of
  ``<x:Anchor>`` of its shape in the legacy VML drawing;
- a note left or right of the table or below it stays.

The parts are parsed with the safe lxml parser (to read them and to refuse a damaged one)
and edited textually: only the changed ``ref``/``Row``/``Anchor`` values and the removed
elements differ, every other byte is kept. The VML drawing is not always well-formed XML
(Excel writes ``<br>``), so it is only edited textually.

Defined names in ``workbook.xml`` that refer to the Leads sheet by name are adjusted with
the formula rule of the writer (:func:`references.adjust_formula`): a range wholly inside
the table's columns and rows shrinks/shifts, one wholly on deleted cells becomes ``#REF!``,
anything reaching outside the table stays. ``_xlnm._FilterDatabase`` follows the same rule,
which gives the table's new autoFilter range.
"""

from __future__ import annotations

import html
import re
from typing import Callable

from salesbook.adapters.files.references import RowMap, adjust_formula
from salesbook.cells import col_index, col_letter
from salesbook.adapters.files.xmlsafe import safe_parse_lxml

_NAME = rb"[A-Za-z_][\w.-]*"
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_REF_ATTR = re.compile(rb"""(\sref\s*=\s*)(["'])([^"']*)(["'])""")

NOTE_KINDS = ("/comments", "/threadedComment")
VML_KIND = "/vmlDrawing"


def _element(tag: bytes) -> re.Pattern:
    """A whole element ``tag`` (any prefix, empty or with content; the tags do not nest)."""
    t = re.escape(tag)
    return re.compile(b"<(?:" + _NAME + b":)?" + t + rb"\b[^>]*?(?:/>|>.*?</(?:" + _NAME + b":)?" + t + rb"\s*>)",
                      re.S)


_COMMENT = _element(b"comment")
_THREADED = _element(b"threadedComment")
_SHAPE = _element(b"shape")
_NOTE_DATA = re.compile(rb"""<(?:""" + _NAME + rb""":)?ClientData\b[^>]*ObjectType\s*=\s*["']Note["']""")
_VML_ROW = re.compile(rb"(<(?:" + _NAME + rb":)?Row\s*>\s*)(\d+)(\s*</(?:" + _NAME + rb":)?Row\s*>)")
_VML_COL = re.compile(rb"<(?:" + _NAME + rb":)?Column\s*>\s*(\d+)\s*</(?:" + _NAME + rb":)?Column\s*>")
_VML_ANCHOR = re.compile(rb"(<(?:" + _NAME + rb":)?Anchor\s*>)([^<]*)(</(?:" + _NAME + rb":)?Anchor\s*>)")


def note_parts(rels: dict[str, tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The comments (and threaded comments) parts and the VML drawings among a sheet's relationships."""
    notes = [t for rtype, t in rels.values() if rtype.endswith(NOTE_KINDS)]
    vml = [t for rtype, t in rels.values() if rtype.endswith(VML_KIND)]
    return notes, vml


def _new_cell(ref: str, rows: RowMap) -> str | None:
    """A note's cell after the deletion: the same, moved up, or None when its cell was deleted."""
    m = _CELL.match(ref.strip())
    if not m:
        return ref
    col, row = col_index(m.group(1)), int(m.group(2))
    if not rows.moves(col, col):
        return ref
    new = rows.new(row)
    return None if new is None else f"{col_letter(col)}{new}"


# --------------------------------------------------------------------------- reading


def sheet_notes(pkg, sheet_part: str) -> dict[tuple[int, int], list[tuple[str, str]]]:
    """{(row, col): [(author, text), ...]} of the notes of a sheet (legacy comments parts)."""
    out: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for part in note_parts(pkg.rels(sheet_part))[0]:
        if not pkg.has(part) or "threaded" in part.casefold():
            continue  # Excel also writes every threaded comment into the legacy part
        root = safe_parse_lxml(pkg.read(part), path=pkg.path, part=part)
        authors = [_text(a) for a in root.iter("{*}author")]
        for c in root.iter("{*}comment"):
            m = _CELL.match((c.get("ref") or "").strip())
            if not m:
                continue
            try:
                author = authors[int(c.get("authorId", "-1"))]
            except (ValueError, IndexError):
                author = ""
            body = [t.text or "" for t in c.iter("{*}t") if not any(_local(a.tag) == "rPh" for a in t.iterancestors())]
            key = (int(m.group(2)), col_index(m.group(1)))
            out.setdefault(key, []).append((author, "".join(body)))
    return out


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(e) -> str:
    return "".join(e.itertext())


# --------------------------------------------------------------------------- rewriting


def shift_comments(xml: bytes, rows: RowMap, *, threaded: bool = False, check: Callable | None = None) -> bytes:
    """A comments (or threaded comments) part after the deletion; the same bytes when nothing moves."""
    if check is not None:
        check(xml)
    pattern = _THREADED if threaded else _COMMENT

    def one(m: re.Match) -> bytes:
        el = m.group(0)
        start_end = el.find(b">")
        ref = _REF_ATTR.search(el, 0, start_end + 1)
        if ref is None:
            return el
        new = _new_cell(ref.group(3).decode(), rows)
        if new is None:
            return b""
        if new == ref.group(3).decode():
            return el
        return el[: ref.start(3)] + new.encode() + el[ref.end(3):]

    return pattern.sub(one, xml)


def shift_vml(vml: bytes, rows: RowMap) -> bytes:
    """A legacy VML drawing after the deletion: note shapes follow their cells (or go with them)."""

    def one(m: re.Match) -> bytes:
        shape = m.group(0)
        if not _NOTE_DATA.search(shape):
            return shape
        r, c = _VML_ROW.search(shape), _VML_COL.search(shape)
        if r is None or c is None:
            return shape
        row, col = int(r.group(2)) + 1, int(c.group(1)) + 1  # 0-based in VML
        new = _new_cell(f"{col_letter(col)}{row}", rows)
        if new is None:
            return b""
        delta = int(_CELL.match(new).group(2)) - row
        if delta == 0:
            return shape
        shape = shape[: r.start(2)] + str(row - 1 + delta).encode() + shape[r.end(2):]
        a = _VML_ANCHOR.search(shape)
        if a is not None:
            nums = a.group(2).decode().split(",")
            if len(nums) == 8 and all(n.strip().lstrip("-").isdigit() for n in nums):
                for i in (2, 6):  # top row, bottom row of the box
                    n = nums[i]
                    lead = n[: len(n) - len(n.lstrip())]
                    nums[i] = f"{lead}{max(0, int(n) + delta)}"
                shape = shape[: a.start(2)] + ",".join(nums).encode() + shape[a.end(2):]
        return shape

    return _SHAPE.sub(one, vml)


def shift_notes(pkg, writer, sheet_part: str, rows: RowMap) -> None:
    """Rewrite the note parts of ``sheet_part`` (through ``writer``) for the deleted rows."""
    notes, vmls = note_parts(pkg.rels(sheet_part))
    for part in notes:
        if not writer.has(part):
            continue
        data = writer.get(part)
        check = lambda xml, part=part: safe_parse_lxml(xml, path=pkg.path, part=part)  # noqa: E731
        new = shift_comments(data, rows, threaded="threaded" in part.casefold(), check=check)
        if new != data:
            writer.put(part, new)
    for part in vmls:
        if not writer.has(part):
            continue
        data = writer.get(part)
        new = shift_vml(data, rows)
        if new != data:
            writer.put(part, new)


# --------------------------------------------------------------------------- defined names


_DEFINED_NAME = re.compile(rb"(<(?:" + _NAME + rb":)?definedName\b[^>]*>)([^<]*)(</(?:" + _NAME + rb":)?definedName\s*>)")


def shift_defined_names(workbook_xml: bytes, rows: RowMap, sheet_name: str) -> bytes:
    """``workbook.xml`` with the defined names that refer to ``sheet_name`` adjusted (textual edits)."""
    sheets = {sheet_name.casefold()}

    def one(m: re.Match) -> bytes:
        raw = m.group(2)
        text = html.unescape(raw.decode("utf-8"))
        if "!" not in text:
            return m.group(0)
        new = adjust_formula(text, rows, sheets, bare=False)
        if new == text:
            return m.group(0)
        return m.group(1) + html.escape(new, quote=False).encode("utf-8") + m.group(3)

    return _DEFINED_NAME.sub(one, workbook_xml)


__all__ = ["sheet_notes", "shift_comments", "shift_vml", "shift_notes", "shift_defined_names", "note_parts"]
