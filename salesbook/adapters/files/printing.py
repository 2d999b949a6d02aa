"""The print setup of the add-in's sheets, as SpreadsheetML.

A sheet model with a :class:`~salesbook.reports.model.PageSetup` prints landscape, fitted to one
page wide and as many pages tall as it takes, with title rows repeated on every page and a
print area covering its cells and charts. In the file that is three things:

- ``<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>`` (without it Excel ignores the fit);
- ``<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>`` after ``<pageMargins>``
  (and ``<rowBreaks>`` after it when the model starts a page at given rows);
- the defined names ``_xlnm.Print_Area`` and ``_xlnm.Print_Titles`` with the sheet's
  ``localSheetId`` (its 0-based position among the workbook's ``<sheet>`` elements) in
  ``workbook.xml``.

``workbook.xml`` is edited textually like everywhere else in the writer: the sheet's two
names are replaced in place or added at the end of ``<definedNames>``; every other byte stays.
Setting the same names again gives the same bytes (running twice = once).
"""

from __future__ import annotations

import html
import re

from salesbook.cells import col_index, col_letter
from salesbook.reports.model import PageSetup, SheetModel, print_area
from salesbook.adapters.files.package import child, children, xml_prefix
from salesbook.adapters.files.xmlsafe import parse_xml

PRINT_AREA, PRINT_TITLES = "_xlnm.Print_Area", "_xlnm.Print_Titles"
FIT_TO_PAGE = b'<pageSetUpPr fitToPage="1"/>'

_NAME = rb"[A-Za-z_][\w.-]*"
_DEFINED = re.compile(rb"<(?:" + _NAME + rb":)?definedName\b([^>]*?)"
                      rb"(?:/>|>([^<]*)</(?:" + _NAME + rb":)?definedName\s*>)")
_ATTR = r"""(?:^|\s){}\s*=\s*["']([^"']*)["']"""
_SETUP_PR = re.compile(rb"<(" + _NAME + rb":)?pageSetUpPr\b([^>]*?)/?>")
_FIT_ATTR = re.compile(rb"""\sfitToPage\s*=\s*["'][^"']*["']""")
_AREA = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+):\$?([A-Za-z]{1,3})\$?(\d+)")


# --------------------------------------------------------------------------- worksheet part


def page_setup_xml(page: PageSetup | None, p: str = "") -> str:
    """``<pageSetup>``: landscape, one page wide, any number of pages tall."""
    if page is None:
        return ""
    return f'<{p}pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'


def row_breaks_xml(page: PageSetup | None, p: str = "") -> str:
    """``<rowBreaks>``: a manual page break above each row of ``page.breaks`` (a ``brk``'s id
    is the last row before the break), after ``<pageSetup>``."""
    if page is None or not page.breaks:
        return ""
    rows = sorted(set(r for r in page.breaks if r > 1))
    brks = "".join(f'<{p}brk id="{r - 1}" max="16383" man="1"/>' for r in rows)
    return f'<{p}rowBreaks count="{len(rows)}" manualBreakCount="{len(rows)}">{brks}</{p}rowBreaks>' if rows else ""


def with_fit_to_page(sheet_pr: bytes | None) -> bytes:
    """A ``<sheetPr>`` (the sheet's own, e.g. with its VBA codeName) with ``fitToPage="1"``."""
    if sheet_pr is None:
        return b"<sheetPr>" + FIT_TO_PAGE + b"</sheetPr>"
    m = _SETUP_PR.search(sheet_pr)
    if m is not None:  # pageSetUpPr has no children: set the attribute on it
        attrs = _FIT_ATTR.sub(b"", m.group(2)).rstrip()
        new = b"<" + (m.group(1) or b"") + b"pageSetUpPr" + attrs + b' fitToPage="1"/>'
        return sheet_pr[: m.start()] + new + sheet_pr[m.end():]
    head = re.match(rb"\s*<(" + _NAME + rb":)?sheetPr\b([^>]*?)(/?)>", sheet_pr)
    if head is None:
        raise ValueError("sheet_pr must be a <sheetPr> element")
    prefix = head.group(1) or b""
    fit = b"<" + prefix + FIT_TO_PAGE[1:]
    if head.group(3):  # <sheetPr .../>: open it
        return (sheet_pr[: head.start()] + b"<" + prefix + b"sheetPr" + head.group(2) + b">" + fit
                + b"</" + prefix + b"sheetPr>" + sheet_pr[head.end():])
    close = sheet_pr.rindex(b"</")  # pageSetUpPr is the last child of sheetPr
    return sheet_pr[:close] + fit + sheet_pr[close:]


# --------------------------------------------------------------------------- defined names


def quote_sheet(name: str) -> str:
    """A sheet name in a reference: always quoted, apostrophes doubled (valid for any name)."""
    return "'" + name.replace("'", "''") + "'"


def area_ref(sheet: str, bounds: tuple[int, int, int, int]) -> str:
    """``'Funnel'!$A$1:$S$52``."""
    r1, c1, r2, c2 = bounds
    return f"{quote_sheet(sheet)}!${col_letter(c1)}${r1}:${col_letter(c2)}${r2}"


def titles_ref(sheet: str, rows: tuple[int, int]) -> str:
    """``'Cleanse'!$1:$3``: rows repeated at the top of every printed page."""
    return f"{quote_sheet(sheet)}!${rows[0]}:${rows[1]}"


def model_print_names(model: SheetModel, sheet: str) -> dict[str, str | None]:
    """The print names a model's sheet gets (None: the name is removed)."""
    page = model.page
    if page is None:
        return {}
    area = area_ref(sheet, print_area(model))
    titles = titles_ref(sheet, page.title_rows) if page.title_rows else None
    return {PRINT_AREA: area, PRINT_TITLES: titles}


def sheet_index(workbook_xml: bytes, sheet: str) -> tuple[int, str]:
    """The 0-based position of a sheet among the workbook's <sheet> elements (its
    localSheetId) and its name as the workbook spells it."""
    root = parse_xml(workbook_xml, part="xl/workbook.xml")
    sheets = child(root, "sheets")
    for i, el in enumerate(children(sheets, "sheet") if sheets is not None else []):
        if el.get("name", "").casefold() == sheet.casefold():
            return i, el.get("name", "")
    raise ValueError(f"workbook.xml has no sheet {sheet!r}")


def set_print_names(workbook_xml: bytes, sheet: str, model: SheetModel) -> bytes:
    """``workbook.xml`` with the sheet's ``_xlnm.Print_Area`` / ``_xlnm.Print_Titles`` set
    for ``model`` (replaced in place when they exist, else added)."""
    if model.page is None:
        return workbook_xml
    local_id, name = sheet_index(workbook_xml, sheet)
    wanted = model_print_names(model, name)
    return set_local_names(workbook_xml, local_id, wanted)


def extend_print_area(workbook_xml: bytes, sheet: str, bounds: tuple[int, int, int, int]) -> bytes:
    """``workbook.xml`` with the sheet's print area grown to cover ``bounds`` (rows appended
    to a log sheet); unchanged when the sheet has none, or one that is not a single range."""
    local_id, name = sheet_index(workbook_xml, sheet)
    for m in _DEFINED.finditer(workbook_xml):
        attrs = m.group(1).decode("utf-8")
        if _attr(attrs, "name") != PRINT_AREA or _attr(attrs, "localSheetId") != str(local_id):
            continue
        ref = html.unescape((m.group(2) or b"").decode("utf-8"))
        area = _AREA.fullmatch(ref.rsplit("!", 1)[-1]) if "!" in ref else None
        if area is None:
            return workbook_xml
        c1, r1, c2, r2 = col_index(area.group(1)), int(area.group(2)), col_index(area.group(3)), int(area.group(4))
        grown = (min(r1, bounds[0]), min(c1, bounds[1]), max(r2, bounds[2]), max(c2, bounds[3]))
        if grown == (r1, c1, r2, c2):
            return workbook_xml
        return set_local_names(workbook_xml, local_id, {PRINT_AREA: area_ref(name, grown)})
    return workbook_xml


def set_local_names(workbook_xml: bytes, local_id: int, wanted: dict[str, str | None]) -> bytes:
    """Set (or remove, for None) names scoped to sheet ``local_id``; textual edits only."""
    data = workbook_xml
    todo = dict(wanted)
    edits: list[tuple[int, int, bytes]] = []
    for m in _DEFINED.finditer(data):
        attrs = m.group(1).decode("utf-8")
        name = _attr(attrs, "name")
        if name not in todo or _attr(attrs, "localSheetId") != str(local_id):
            continue
        value = todo.pop(name)
        if value is None:
            edits.append((m.start(), m.end(), b""))
        elif m.group(2) is None or html.unescape(m.group(2).decode("utf-8")) != value:
            new = _element(data[m.start(): m.end()], m, value)
            edits.append((m.start(), m.end(), new))
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text + data[end:]
    added = [(n, v) for n, v in todo.items() if v is not None]
    if not added:
        return data
    p = xml_prefix(data, b"sheets").decode()
    els = "".join(f'<{p}definedName name="{n}" localSheetId="{local_id}">{_escape(v)}</{p}definedName>'
                  for n, v in added).encode("utf-8")
    close = re.search(rb"</(?:" + _NAME + rb":)?definedNames\s*>", data)
    if close is not None:
        return data[: close.start()] + els + data[close.start():]
    empty = re.search(rb"<(?:" + _NAME + rb":)?definedNames\s*/>", data)
    block = f"<{p}definedNames>".encode() + els + f"</{p}definedNames>".encode()
    if empty is not None:
        return data[: empty.start()] + block + data[empty.end():]
    # CT_Workbook: sheets, functionGroups?, externalReferences?, definedNames?, calcPr? ...
    for tag in (b"externalReferences", b"functionGroups", b"sheets"):
        end = _element_end(data, tag)
        if end is not None:
            return data[:end] + block + data[end:]
    raise ValueError("workbook.xml has no <sheets> element")


def _element_end(data: bytes, tag: bytes) -> int | None:
    close = re.search(rb"</(?:" + _NAME + rb":)?" + tag + rb"\s*>", data)
    if close is not None:
        return close.end()
    empty = re.search(rb"<(?:" + _NAME + rb":)?" + tag + rb"\b[^>]*/>", data)
    return empty.end() if empty is not None else None


def _element(old: bytes, m: re.Match, value: str) -> bytes:
    """The element ``old`` with ``value`` as its text (its tag and attributes kept)."""
    opening = re.match(rb"<(" + _NAME + rb":)?definedName\b[^>]*?", old)
    prefix = (opening.group(1) or b"") if opening else b""
    attrs = m.group(1).rstrip(b"/").rstrip()
    return (b"<" + prefix + b"definedName" + attrs + b">" + _escape(value).encode("utf-8")
            + b"</" + prefix + b"definedName>")


def _attr(attrs: str, name: str) -> str | None:
    m = re.search(_ATTR.format(name), attrs)
    return html.unescape(m.group(1)) if m else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["page_setup_xml", "with_fit_to_page", "set_print_names", "set_local_names", "extend_print_area",
           "model_print_names",
           "area_ref", "titles_ref", "sheet_index", "PRINT_AREA", "PRINT_TITLES"]
