"""Which sheets are the add-in's own, so that a user's sheet of the same name is never touched.

The add-in rewrites Funnel, Cleanse and Check whole and appends to History and Archive
(docs/spec.md §1). A sheet bearing one of these names is the add-in's when

- it carries the add-in's **mark**: a hidden workbook-level defined name ``_salesbook_<Role>``
  (``_salesbook_Funnel`` …) whose formula refers to the sheet (``'Funnel'!$1:$1048576``). Every
  command that writes one of these sheets writes its mark (file and live path alike). A
  defined name follows its sheet when the sheet is renamed in Excel, so a user who renames
  the add-in's Funnel to keep it and then adds a sheet of their own called Funnel does not
  get the new one taken for the add-in's; or
- it has the **layout** the add-in (or the workbook template) gives it, for workbooks written
  before the mark existed: Funnel, Cleanse and Check start with their title in A1 and their
  note in A2 (in English or Chinese, or the template's bilingual placeholder); History's
  header row starts Lead ID · From · To · Date; Archive's starts with Archived On.

Anything else bearing one of those names is the user's: the command refuses with a sentence
that says how to rename it, before anything is written.

Pure: names, formulas and cell values in, answers out. ``xlsx.writer`` and ``live`` read the
workbook and call these.
"""

from __future__ import annotations

import html
import re

from salesbook.rules.schema import norm
from salesbook.vocabulary.names import ARCHIVE as ARCHIVE_SHEET, CHECK as CHECK_SHEET, CLEANSE as CLEANSE_SHEET
from salesbook.vocabulary.names import FUNNEL as FUNNEL_SHEET, HISTORY as HISTORY_SHEET, HISTORY_COLUMNS, SHEET_NAMES
from salesbook.vocabulary.names import TEAM_SHEETS
from salesbook.vocabulary.words import PLACEHOLDERS, REPORT as L, TEAM as TEAM_WORDS

# role (the English sheet name the add-in writes) -> every name the add-in reads or writes it under
ROLES: dict[str, tuple[str, ...]] = {
    role: SHEET_NAMES[role] for role in (FUNNEL_SHEET, CLEANSE_SHEET, CHECK_SHEET, HISTORY_SHEET, ARCHIVE_SHEET)}
WHOLE = (FUNNEL_SHEET, CLEANSE_SHEET, CHECK_SHEET)  # rewritten whole; History and Archive are appended to
MARK_PREFIX = "_salesbook_"
WHOLE_SHEET = "$1:$1048576"  # every row: no row or column deletion can turn the mark into #REF!

_TITLES = {FUNNEL_SHEET: "funnel_title", CLEANSE_SHEET: "cleanse_title", CHECK_SHEET: "check_title"}
_NOTES = {FUNNEL_SHEET: ("as_of",), CLEANSE_SHEET: ("cleanse_note",), CHECK_SHEET: ("check_note", "check_ok")}
_TEMPLATE = {FUNNEL_SHEET: "funnel", CLEANSE_SHEET: "cleanse", CHECK_SHEET: "check"}  # vocabulary PLACEHOLDERS
_HISTORY = tuple(HISTORY_COLUMNS.values())  # Lead ID · From · To · Date
# The team report's sheets (salesbook rollup): rewritten whole, title in A1 and note in A2 as well.
ROLES.update({role: SHEET_NAMES[role] for role in TEAM_SHEETS})
WHOLE += TEAM_SHEETS
_TEAM_TITLES = {role: f"title:{role}" for role in TEAM_SHEETS}  # vocabulary TEAM


def role_of(name: str) -> str | None:
    """The role a sheet name stands for ('历史' -> 'History'), None for any other name."""
    folded = name.casefold()
    for role, names in ROLES.items():
        if folded in (n.casefold() for n in names):
            return role
    return None


# --------------------------------------------------------------------------- the mark


def mark_name(role: str) -> str:
    return MARK_PREFIX + role


def quote_sheet(name: str) -> str:
    """A sheet name as a formula writes it: always quoted ('It''s')."""
    return "'" + name.replace("'", "''") + "'"


def mark_formula(sheet: str) -> str:
    """The mark's formula (without '='): every row of the sheet."""
    return f"{quote_sheet(sheet)}!{WHOLE_SHEET}"


_SHEET_REF = re.compile(r"^=?\s*(?:'((?:[^']|'')+)'|([^'!]+))!")


def marked_sheet(formula: str | None) -> str | None:
    """The sheet a mark's formula refers to, None when it refers to none (#REF!)."""
    if not formula:
        return None
    m = _SHEET_REF.match(formula.strip())
    if m is None:
        return None
    name = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2).strip()
    return None if name.startswith("#REF") else name


def is_marked(role: str, sheet: str, marks: dict[str, str]) -> bool:
    """Does the mark of ``role`` (``marks``: defined name -> formula) refer to ``sheet``?"""
    target = marked_sheet(marks.get(mark_name(role)))
    return target is not None and target.casefold() == sheet.casefold()


# --------------------------------------------------------------------------- the layout


def _pattern(text: str) -> re.Pattern:
    """A label with ``{n}``-style fields as a regex matching its start (a longer note may follow)."""
    parts = re.split(r"\{\w+\}", text)
    return re.compile("^" + ".*?".join(re.escape(p) for p in parts), re.S)


def _title_forms(key: str) -> set[str]:
    en, zh = TEAM_WORDS[key] if key.startswith("title:") else L[key]
    return {norm(en), norm(zh), norm(f"{en} {zh}")}


def _note_matches(role: str, text: str) -> bool:
    if role in _TEAM_TITLES:
        return any(_pattern(label).match(text) for label in TEAM_WORDS["note"])
    for key in _NOTES[role]:
        if any(_pattern(label).match(text) for label in L[key]):
            return True
    return norm(text) == norm(PLACEHOLDERS[_TEMPLATE[role]][1])  # the workbook template's, before the first run


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def looks_like(role: str, rows: list[list[object]]) -> bool:
    """Does a sheet whose top rows are ``rows`` (cell values from row 1, column A; for History
    and Archive the first non-empty row may come later) have the layout the add-in gives ``role``?"""
    if role in WHOLE:
        a1 = _text(rows[0][0]) if rows and rows[0] else ""
        a2 = _text(rows[1][0]) if len(rows) > 1 and rows[1] else ""
        title = _TITLES.get(role) or _TEAM_TITLES[role]
        return bool(a1) and norm(a1) in _title_forms(title) and bool(a2) and _note_matches(role, a2)
    header = next((r for r in rows if any(_text(v) for v in r)), None)
    if header is None:
        return False
    cells = [norm(_text(v)) for v in header]
    if role == HISTORY_SHEET:
        return len(cells) >= len(_HISTORY) and all(
            c in {norm(en), norm(zh), norm(en + zh), norm(f"{en} {zh}")} for c, (en, zh) in zip(cells, _HISTORY))
    if role == ARCHIVE_SHEET:
        return bool(cells) and cells[0] in _title_forms("archived_on")
    return False


# --------------------------------------------------------------------------- the message


def foreign_sheet(role: str, sheet: str, *, kind: str = "worksheet") -> str:
    """The refusal's sentence for a user's sheet that bears the name of an add-in sheet."""
    what = {FUNNEL_SHEET: "its funnel report", CLEANSE_SHEET: "its list of leads to cleanse",
            CHECK_SHEET: "its list of data problems", HISTORY_SHEET: "the stage changes it records",
            ARCHIVE_SHEET: "the leads it archives"}.get(role, "its team report")
    action = f"replace it with {what}" if role in WHOLE else f"write {what} into it"
    why = ("it is a chart sheet" if kind == "chartsheet" else "it is not a worksheet" if kind != "worksheet"
           else f"it has neither salesbook's mark nor the layout of salesbook's {role} sheet")
    return (f"The sheet '{sheet}' is not salesbook's ({why}), so salesbook will not {action}. Rename your "
            f"sheet (right-click its tab > Rename, e.g. '{sheet} (mine)') and run again: salesbook will then "
            f"make its own '{role}' sheet.")


# --------------------------------------------------------------------------- workbook.xml (file path)


_NAME = rb"[A-Za-z_][\w.-]*"
_DEFINED_NAME = re.compile(rb"<(" + _NAME + rb":)?definedName\b([^>]*?)(?:/>|>([^<]*)</(?:" + _NAME
                           + rb":)?definedName\s*>)")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attrs(raw: bytes) -> dict[str, str]:
    return {m.group(1).decode(): html.unescape((m.group(2) if m.group(2) is not None else m.group(3)).decode("utf-8"))
            for m in _ATTR.finditer(raw)}


def workbook_marks(workbook_xml: bytes) -> dict[str, str]:
    """The add-in's marks among the workbook-level defined names: {name: formula}."""
    out: dict[str, str] = {}
    if MARK_PREFIX.encode() not in workbook_xml:
        return out
    for m in _DEFINED_NAME.finditer(workbook_xml):
        a = _attrs(m.group(2))
        name = a.get("name", "")
        if name.startswith(MARK_PREFIX) and "localSheetId" not in a:
            out[name] = html.unescape((m.group(3) or b"").decode("utf-8"))
    return out


def with_mark(workbook_xml: bytes, role: str, sheet: str) -> bytes:
    """``workbook.xml`` whose mark of ``role`` refers to ``sheet`` (the same bytes when it already
    does). Textual edit: the mark's element is replaced or inserted, nothing else moves."""
    name, formula = mark_name(role), mark_formula(sheet)
    for m in _DEFINED_NAME.finditer(workbook_xml):
        a = _attrs(m.group(2))
        if a.get("name") == name and "localSheetId" not in a:
            if html.unescape((m.group(3) or b"").decode("utf-8")) == formula:
                return workbook_xml
            return workbook_xml[: m.start()] + _mark_element(m.group(1) or b"", name, formula) + workbook_xml[m.end():]
    p = _prefix(workbook_xml)
    element = _mark_element(p, name, formula)
    close = re.search(b"</" + re.escape(p) + rb"definedNames\s*>", workbook_xml)
    if close is not None:
        return workbook_xml[: close.start()] + element + workbook_xml[close.start():]
    empty = re.search(b"<" + re.escape(p) + rb"definedNames\b[^>]*/>", workbook_xml)
    block = b"<" + p + b"definedNames>" + element + b"</" + p + b"definedNames>"
    if empty is not None:
        return workbook_xml[: empty.start()] + block + workbook_xml[empty.end():]
    # CT_Workbook: definedNames follows sheets, functionGroups and externalReferences
    at = None
    for tag in (b"externalReferences", b"functionGroups", b"sheets"):
        end = re.search(b"</" + re.escape(p) + tag + rb"\s*>|<" + re.escape(p) + tag + rb"\b[^>]*/>", workbook_xml)
        if end is not None:
            at = end.end()
            break
    if at is None:
        raise ValueError("workbook.xml has no <sheets>")
    return workbook_xml[:at] + block + workbook_xml[at:]


def _prefix(workbook_xml: bytes) -> bytes:
    m = re.search(rb"<(" + _NAME + rb":)?sheets[\s/>]", workbook_xml)
    return (m.group(1) or b"") if m else b""


def _mark_element(p: bytes, name: str, formula: str) -> bytes:
    return (b"<" + p + b'definedName name="' + name.encode() + b'" hidden="1">'
            + html.escape(formula, quote=False).encode("utf-8") + b"</" + p + b"definedName>")


__all__ = ["ROLES", "role_of", "mark_name", "mark_formula", "marked_sheet", "is_marked", "looks_like",
           "foreign_sheet", "workbook_marks", "with_mark"]
