"""What must hold after `run` and `archive` on any workbook, read with zipfile + lxml (not salesbook).

"Parts the add-in owns" is tests/reliability/test_preservation.py's definition (the add-in's sheets
with their drawings, charts and tables — plus the Leads sheet's comments for archive — and the
package-wide lists that name them), made independent of the conformance, with two more parts the
add-in may have to rewrite or drop: the shared strings and the calculation chain (issue 10 #5).
docProps/custom.xml and the package relationships may gain entries (a marker property) but never
lose one. Every other part must come out byte for byte as it went in.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re

from lxml import etree

from tests.reliability.test_preservation import ADDIN_SHEETS

from . import ooxml
from .inject import GRADES, LEADS, NEXT_FOLLOW_UP, STALE
from .ooxml import rels, rels_name, workbook_part

TODAY = dt.date(2026, 11, 18)
OUTPUTS = ["Grade", "Score", "Grade Reason", "Grade Change", "Next Follow-up", "Follow-up Status", "Stale",
           "Stale Reason"]
EXTENDED = {"docProps/custom.xml", "_rels/.rels"}


def owned_parts(p: dict[str, bytes], command: str) -> set[str]:
    wb = workbook_part(p)
    owned = {"[Content_Types].xml", wb, rels_name(wb), "docProps/app.xml"}
    owned |= {r.part for r in rels(p, wb) if r.kind in ("styles", "sharedStrings", "calcChain")}
    kinds = {"drawing", "chart", "table"} | ({"comments", "vmlDrawing"} if command == "archive" else set())
    todo = [s.part for s in ooxml.sheets(p) if s.name in ADDIN_SHEETS]
    while todo:
        part = todo.pop()
        owned |= {part, rels_name(part)}
        todo += [r.part for r in rels(p, part) if r.part and r.kind in kinds and r.part not in owned]
    return owned


def _children(data: bytes) -> list[bytes]:
    return [etree.tostring(e) for e in ooxml.xml(data)]


def assert_unowned_parts_identical(before: dict[str, bytes], after: dict[str, bytes], command: str) -> None:
    owned = owned_parts(before, command)
    kept = [n for n in before if n not in owned and n not in EXTENDED]
    lost = [n for n in kept if n not in after]
    assert not lost, f"{command} lost parts: {lost}"
    changed = [n for n in kept if after[n] != before[n]]
    assert not changed, f"{command} changed parts it does not own: {changed}"
    order = [n for n in after if n in kept]
    assert order == kept, f"{command} reordered parts"
    for name in EXTENDED & set(before):
        assert name in after, f"{command} lost {name}"
        missing = set(_children(before[name])) - set(_children(after[name]))
        assert not missing, f"{command} dropped entries of {name}: {missing}"
    leads = ooxml.sheet_part(before, LEADS)  # the rep's sheet keeps every relationship it had
    had = {(r.id, r.type, r.target) for r in rels(before, leads)}
    assert had <= {(r.id, r.type, r.target) for r in rels(after, leads)}, f"{command} dropped relationships of Leads"


def assert_shared_parts_extended(before: dict[str, bytes], after: dict[str, bytes], command: str) -> None:
    """The package-wide lists keep their entries: content types (but the calc chain's), the workbook's
    relationships (idem), the sheets in order, the defined names (for run)."""
    wb = workbook_part(before)
    chain = {r.part for r in rels(before, wb) if r.kind == "calcChain"}
    chain_ct = {f'PartName="/{c}"'.encode() for c in chain}
    lost = [e for e in _children(before["[Content_Types].xml"])
            if e not in set(_children(after["[Content_Types].xml"])) and not any(c in e for c in chain_ct)]
    assert not lost, f"{command}: [Content_Types].xml lost {lost}"
    new_rels = {(r.id, r.type, r.target) for r in rels(after, wb)}
    lost = [r for r in rels(before, wb) if (r.id, r.type, r.target) not in new_rels and r.kind != "calcChain"]
    assert not lost, f"{command}: the workbook's relationships lost {lost}"
    old_sheets = [(s.name, s.sheet_id, s.part) for s in ooxml.sheets(before)]
    assert [(s.name, s.sheet_id, s.part) for s in ooxml.sheets(after)][: len(old_sheets)] == old_sheets
    if command == "run":
        names = lambda p: {etree.tostring(e): e.get("name", "") for e in ooxml.xml(p[wb]).iter()  # noqa: E731
                           if ooxml.local(e.tag) == "definedName"}
        had, has = names(before), names(after)
        assert set(had) <= set(has), f"{command} changed the defined names: {set(had) - set(has)}"
        # added: only the add-in's marks of its own sheets and its report sheets' print setup
        added = {has[e] for e in set(has) - set(had)}
        assert all(n.startswith("_salesbook_") or n in ("_xlnm.Print_Area", "_xlnm.Print_Titles") for n in added), \
            f"{command} added defined names that are not the add-in's: {added}"


_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
EXPECTED_TYPES = {  # relationship kind -> the content type of its target (ECMA-376 Part 1, §12.3 and §15.2)
    "worksheet": _SML + "worksheet+xml", "chartsheet": _SML + "chartsheet+xml", "table": _SML + "table+xml",
    "comments": _SML + "comments+xml", "styles": _SML + "styles+xml", "sharedStrings": _SML + "sharedStrings+xml",
    "calcChain": _SML + "calcChain+xml", "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
    "vmlDrawing": "application/vnd.openxmlformats-officedocument.vmlDrawing",
    "custom-properties": "application/vnd.openxmlformats-officedocument.custom-properties+xml",
    "customProperties": "application/vnd.openxmlformats-officedocument.custom-properties+xml",
}


def assert_every_part_has_a_content_type(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    """Issue 10 #6: whatever the file's style (a Default per extension or an Override per part), every
    part has a content type, and each part the add-in adds has the right one for what it is."""
    old, new = ooxml.content_types(before), ooxml.content_types(after)
    untyped_before = {n for n in before if n != "[Content_Types].xml" and ooxml.content_type(before, n, old) is None}
    untyped = [n for n in after if n != "[Content_Types].xml" and ooxml.content_type(after, n, new) is None
               and n not in untyped_before]
    assert not untyped, f"parts without a content type: {untyped}"
    added = set(after) - set(before)
    wrong = []
    for name in added:
        if name.endswith(".rels"):
            want = ooxml.CT_RELS
        else:
            kinds = {r.kind for source in _sources(after) for r in rels(after, source) if r.part == name}
            want = next((EXPECTED_TYPES[k] for k in kinds if k in EXPECTED_TYPES), None)
        got = ooxml.content_type(after, name, new)
        if want is not None and got != want:
            wrong.append(f"{name}: {got} instead of {want}")
    assert not wrong, f"parts added with the wrong content type: {wrong}"


def _sources(p: dict[str, bytes]) -> list[str]:
    """Every part that has relationships ('' for the package)."""
    out = []
    for name in p:
        if name.endswith(".rels"):
            folder = posixpath.dirname(posixpath.dirname(name))
            out.append("" if name == "_rels/.rels" else posixpath.join(folder, posixpath.basename(name)[:-5]))
    return out


def dangling(p: dict[str, bytes]) -> set[tuple[str, str]]:
    out = set()
    lower = {n.lower() for n in p}
    for source in _sources(p):
        for r in rels(p, source):
            if r.part and r.part.lower() not in lower:
                out.add((source or "_rels/.rels", r.part))
    return out


def assert_no_new_dangling_relationships(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    new = dangling(after) - dangling(before)
    assert not new, f"relationships to parts that do not exist: {sorted(new)}"


def assert_conformance_kept(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    """Issue 10 #7: parts the add-in writes use the workbook's conformance (Strict or Transitional)."""
    strict = ooxml.is_strict(before)
    foreign = (rb"http://schemas\.openxmlformats\.org/(?:spreadsheetml|officeDocument/2006/relationships|drawingml)"
               if strict else rb"http://purl\.oclc\.org/ooxml/")
    written = [n for n in after if n != "[Content_Types].xml" and after[n] != before.get(n)
               and n.endswith((".xml", ".rels"))]
    bad = [n for n in written if re.search(foreign, after[n])]
    assert not bad, f"parts written in the other conformance ({'Strict' if strict else 'Transitional'} book): {bad}"


def calc_chain_cells(p: dict[str, bytes]) -> list[tuple[str, str]]:
    """(sheet part, cell) of every entry of the calculation chain, sheet ids inherited as Excel does."""
    wb = workbook_part(p)
    chain = next((r.part for r in rels(p, wb) if r.kind == "calcChain"), None)
    if chain is None or chain not in p:
        return []
    by_id = {s.sheet_id: s.part for s in ooxml.sheets(p)}
    out, current = [], None
    for c in ooxml.xml(p[chain]):
        current = c.get("i", current)
        out.append((by_id.get(current, f"?sheetId={current}"), c.get("r")))
    return out


def assert_calc_chain_consistent(after: dict[str, bytes]) -> None:
    """Issue 10 #5: every cell the chain lists holds a formula (or the chain is gone)."""
    wrong = []
    formulas: dict[str, set[str]] = {}
    for part, ref in calc_chain_cells(after):
        if part not in formulas:
            formulas[part] = set() if part not in after else {
                f"{ooxml.col_letters(c)}{r}" for (r, c), cell in ooxml.read_sheet(after, part, sst=[]).items()
                if cell.formula is not None}
        if ref not in formulas[part]:
            wrong.append(f"{part}!{ref}")
    assert not wrong, f"xl/calcChain.xml lists cells that hold no formula: {wrong[:10]}"


# --------------------------------------------------------------------------- the leads, read back


def sheet_table(p: dict[str, bytes], name: str) -> tuple[list, list[dict]]:
    part = ooxml.sheet_part(p, name)
    assert part is not None, f"no sheet {name!r}"
    return ooxml.table(ooxml.read_sheet(p, part))


def as_date(value, is1904: bool) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, float):
        return ooxml.serial_to_date(value, is1904)
    return dt.date.fromisoformat(str(value)[:10])


def assert_leads_graded(after: dict[str, bytes]) -> None:
    headers, rows = sheet_table(after, LEADS)
    assert [h for h in OUTPUTS if h in headers] == OUTPUTS, f"output columns: {headers}"
    is1904 = ooxml.date1904(after)
    by_id = {r["Lead ID"]: r for r in rows}
    grades = {k: r.get("Grade") for k, r in by_id.items()}
    assert grades == GRADES, f"grades read back {grades}, the rules give {GRADES}"
    stale = {k for k, r in by_id.items() if r.get("Stale")}
    assert stale == STALE, f"flagged stale: {sorted(stale)}, the rules flag {sorted(STALE)}"
    got = {k: as_date(by_id[k].get("Next Follow-up"), is1904) for k in NEXT_FOLLOW_UP}
    wrong = {k: f"{got[k]} instead of {want}" for k, want in NEXT_FOLLOW_UP.items() if got[k] != want}
    assert not wrong, f"Next Follow-up read back (workbook dates from 1904: {is1904}): {wrong}"


def assert_calamine_reads_the_same(path) -> None:
    """A second, unrelated reader (python-calamine: Rust, its own date epoch handling) agrees."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(LEADS).to_python()
    except CalamineError as exc:  # calamine opens no workbook with an Excel 4.0 macro sheet: openpyxl reads it
        assert "macrosheet" in str(exc), exc
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = [["" if v is None else v for v in r] for r in wb[LEADS].iter_rows(values_only=True)]
        rows = [[v.date() if hasattr(v, "date") and callable(v.date) else v for v in r] for r in rows]
    head = rows[0]
    got = {r[0]: (r[head.index("Grade")], r[head.index("Next Follow-up")] or None) for r in rows[1:] if r[0]}
    want = {k: (g, NEXT_FOLLOW_UP.get(k)) for k, g in GRADES.items()}
    assert got == want, f"python-calamine reads (grade, next follow-up) {got}"


def assert_leads_archived(after: dict[str, bytes]) -> None:
    _, rows = sheet_table(after, LEADS)
    left = [r["Lead ID"] for r in rows]
    assert left == [k for k in GRADES if k not in STALE], f"leads left in Leads: {left}"
    headers, archived = sheet_table(after, "Archive")
    moved = sorted(r.get("Lead ID") for r in archived)
    assert moved == sorted(STALE), f"leads on the Archive sheet: {moved}"
    on = headers[0]
    is1904 = ooxml.date1904(after)
    dates = {as_date(r[on], is1904) for r in archived}
    assert dates == {TODAY}, f"{on} read back as {dates} instead of {TODAY} (workbook dates from 1904: {is1904})"


def assert_no_merge_over_outputs(after: dict[str, bytes]) -> None:
    """Issue 10 #3: no lead's output cell hides under another cell's merge."""
    part = ooxml.sheet_part(after, LEADS)
    headers, rows = sheet_table(after, LEADS)
    cols = {headers.index(h) + 1 for h in OUTPUTS if h in headers}
    root = ooxml.xml(after[part])
    for m in root.iter():
        if ooxml.local(m.tag) != "mergeCell":
            continue
        (c1, r1), (c2, r2) = [(ooxml.col_number(a), int(b)) for a, b in re.findall(r"([A-Z]+)(\d+)", m.get("ref"))]
        hit = [c for c in cols if c1 <= c <= c2] and r2 >= 2 and r1 <= len(rows) + 1
        assert not hit, f"merged range {m.get('ref')} covers output cells of leads"
