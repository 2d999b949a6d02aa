"""Put a Leads sheet into a third-party workbook at the part level.

A new worksheet part holding the lead table, one ``<sheet>`` entry at the end of workbook.xml's
``<sheets>``, one workbook relationship, one content-type Override: textual insertions into those
three parts; every other member keeps its bytes. The sheet is written in the workbook's own
conformance (Transitional or Strict) and the dates in its own epoch.

Options (each a way real pipelines look):
- ``dates="text"`` (default) writes dates as ISO text in inline strings; ``"serial"`` writes date
  cells (serials in the workbook's epoch, with a date style appended to ``cellXfs``: styles.xml is
  a part the add-in owns, so that edit cannot hide a change);
- ``formulas=True`` makes Deal Value and a pre-existing Score output column formulas with cached
  values, and ``calc_chain=True`` lists them in xl/calcChain.xml as Excel does (creating it when the
  workbook has none);
- ``merged_output=True`` adds a Grade output column whose cells V3:V5 are merged (issue 10 #3);
- ``into_existing=True`` puts the lead table into the workbook's first empty worksheet (an
  Excel-authored sheet part: its views, formats and extensions) and renames that sheet Leads,
  instead of adding a part.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from tests.reliability.corpus import GOOD_ROWS, HEADERS

from . import ooxml
from .ooxml import Zip

LEADS = "Leads"
# The expected outcome of the rules on GOOD_ROWS as of TODAY (docs/spec.md §2, worked by hand):
GRADES = {"L-001": "A", "L-002": "B", "L-003": "C", "L-004": "D", "L-005": "A", "L-006": "B"}
STALE = {"L-003", "L-004"}  # 3 unanswered + no contact for 90 days; need Mismatch
NEXT_FOLLOW_UP = {
    "L-001": dt.date(2026, 11, 19),  # A: last contact Mon 16 Nov + 3 days
    "L-002": dt.date(2026, 11, 23),  # B: + 7 days
    "L-003": dt.date(2026, 9, 21),  # C: 20 Aug + 30 = Sat 19 Sep -> Mon 21 Sep
    "L-005": dt.date(2026, 11, 2),  # Closed Won A: 1 Oct + 30 = Sat 31 Oct -> Mon 2 Nov
    "L-006": dt.date(2026, 11, 25),  # the Scheduled date (on or after today)
}


@dataclass(frozen=True)
class Injection:
    dates: str = "text"  # "text" | "serial"
    formulas: bool = False
    calc_chain: bool = False
    merged_output: bool = False
    into_existing: bool = False


def _text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def leads_sheet(main_ns: str, rel_ns: str, is1904: bool, how: Injection,
                date_style: int | None) -> tuple[str, list[str]]:
    """The worksheet XML and the references of its formula cells."""
    headers = list(HEADERS)
    extra = []
    if how.formulas:
        extra.append("Score")
    if how.merged_output:
        extra.append("Grade")
    headers += extra
    formulas = []
    rows = [f'<row r="1">{"".join(_text(f"{ooxml.col_letters(j)}1", h) for j, h in enumerate(headers, 1))}</row>']
    for i, lead in enumerate(GOOD_ROWS, start=2):
        cells = []
        for j, v in enumerate(lead, 1):
            ref = f"{ooxml.col_letters(j)}{i}"
            if v is None:
                continue
            if isinstance(v, dt.date):
                if how.dates == "serial":
                    cells.append(f'<c r="{ref}" s="{date_style}"><v>{ooxml.date_to_serial(v, is1904)}</v></c>')
                else:
                    cells.append(_text(ref, v.isoformat()))
            elif isinstance(v, (int, float)):
                if how.formulas and headers[j - 1] == "Deal Value":
                    cells.append(f'<c r="{ref}"><f>{v}/1</f><v>{v}</v></c>')
                    formulas.append(ref)
                else:
                    cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                cells.append(_text(ref, str(v)))
        j = len(HEADERS)
        for h in extra:
            j += 1
            ref = f"{ooxml.col_letters(j)}{i}"
            if h == "Score":
                cells.append(f'<c r="{ref}"><f>ROW()*0</f><v>0</v></c>')
                formulas.append(ref)
            elif not (how.merged_output and i in (4, 5)):  # the grades a previous run wrote; a user then
                cells.append(_text(ref, GRADES[lead[0]]))  # merged V3:V5, and Excel kept V3's value only
        rows.append(f'<row r="{i}">{"".join(cells)}</row>')
    last = f"{ooxml.col_letters(len(headers))}{len(GOOD_ROWS) + 1}"
    merge = ""
    if how.merged_output:
        g = ooxml.col_letters(len(headers))
        merge = f'<mergeCells count="1"><mergeCell ref="{g}3:{g}5"/></mergeCells>'
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             f'<worksheet xmlns="{main_ns}" xmlns:r="{rel_ns}"><dimension ref="A1:{last}"/>'
             '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
             f'<sheetData>{"".join(rows)}</sheetData>{merge}'
             '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
             '</worksheet>')
    return sheet, formulas


def _append_date_style(z: Zip, wb: str) -> int:
    """Append <xf numFmtId="14"/> (the built-in short date) to cellXfs; its index."""
    st = next(r.part for r in ooxml.rels(z.data, wb) if r.kind == "styles")
    text = z.data[st].decode("utf-8")
    m = re.search(r"<((?:[\w.-]+:)?)cellXfs\b[^>]*>(.*?)</(?:[\w.-]+:)?cellXfs>", text, re.S)
    assert m, "no cellXfs"
    p = m.group(1)
    n = len(re.findall(rf"<{re.escape(p)}xf\b", m.group(2)))
    text = ooxml.insert_before_close(text, "cellXfs",
                                     f'<{p}xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
                                     f'applyNumberFormat="1"/>')
    text = re.sub(r'(<(?:[\w.-]+:)?cellXfs\b[^>]*\bcount=")\d+(")', rf"\g<1>{n + 1}\g<2>", text, count=1)
    z.data[st] = text.encode("utf-8")
    return n


def _add_calc_chain(z: Zip, wb: str, main_ns: str, rel_ns: str, sheet_id: str, refs: list[str]) -> None:
    entries = "".join(f'<c r="{r}" i="{sheet_id}"/>' for r in refs)
    chain = next((r.part for r in ooxml.rels(z.data, wb) if r.kind == "calcChain"), None)
    if chain is None:
        chain = posixpath.join(posixpath.dirname(wb), "calcChain.xml")
        z.add(chain, ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      f'<calcChain xmlns="{main_ns}">{entries}</calcChain>').encode())
        ooxml.add_override(z, chain, ooxml.CT_CALC_CHAIN)
        ooxml.add_relationship(z, wb, rel_ns + "/calcChain", "calcChain.xml")
    else:
        text = z.data[chain].decode("utf-8")
        z.data[chain] = ooxml.insert_before_close(text, "calcChain", entries).encode("utf-8")


def inject_leads(src: Path, dst: Path, how: Injection = Injection()) -> Path:
    z = Zip(src)
    assert all(s.name.casefold() != LEADS.casefold() for s in ooxml.sheets(z.data)), "already has a Leads sheet"
    wb = ooxml.workbook_part(z.data)
    strict = ooxml.is_strict(z.data)
    main_ns, rel_ns = (ooxml.MAIN_S, ooxml.REL_S) if strict else (ooxml.MAIN_T, ooxml.REL_T)
    is1904 = ooxml.date1904(z.data)
    date_style = _append_date_style(z, wb) if how.dates == "serial" else None
    xml_text, formulas = leads_sheet(main_ns, rel_ns, is1904, how, date_style)
    if how.into_existing:
        return _into_existing(z, wb, xml_text, dst)
    part = ooxml.free_name(z, posixpath.join(posixpath.dirname(wb), "worksheets", "sheet{}.xml"))
    z.add(part, xml_text.encode("utf-8"))
    absolute = ooxml.uses_absolute_targets(z.data, wb)
    rid = ooxml.add_relationship(z, wb, rel_ns + "/worksheet", ooxml.relative_target(z, wb, part, absolute))
    sheet_id = ooxml.add_sheet_entry(z, wb, LEADS, rid, rel_ns)
    ooxml.add_override(z, part, ooxml.CT_WORKSHEET)
    if how.calc_chain:
        _add_calc_chain(z, wb, main_ns, rel_ns, sheet_id, formulas)
    return z.save(dst)


def _into_existing(z: Zip, wb: str, sheet_xml: str, dst: Path) -> Path:
    """Write the lead rows into the first worksheet whose sheetData is empty, and name it Leads."""
    rows = re.search(r"<sheetData>(.*)</sheetData>", sheet_xml, re.S).group(1)
    dimension = re.search(r'<dimension ref="[^"]*"/>', sheet_xml).group(0)
    for sheet in ooxml.sheets(z.data):
        text = z.data[sheet.part].decode("utf-8") if sheet.kind == "worksheet" else ""
        empty = re.search(r"<((?:[\w.-]+:)?)sheetData\s*/>|"
                          r"<((?:[\w.-]+:)?)sheetData>\s*</(?:[\w.-]+:)?sheetData>", text)
        if empty is None:
            continue
        p = empty.group(1) or empty.group(2) or ""
        if p:  # a prefixed sheet: give the rows the same prefix
            rows = re.sub(r"<(/?)(row|c|is|t|v|f)\b", rf"<\1{p}\2", rows)
        text = text[:empty.start()] + f"<{p}sheetData>{rows}</{p}sheetData>" + text[empty.end():]
        text = re.sub(r'<((?:[\w.-]+:)?)dimension ref="[^"]*"/>', lambda m: dimension.replace("<", f"<{m.group(1)}", 1),
                      text, count=1)
        z.data[sheet.part] = text.encode("utf-8")
        wb_text = z.data[wb].decode("utf-8")
        wb_text, k = re.subn(rf'(<(?:[\w.-]+:)?sheet\b[^>]*\bname=")({re.escape(sheet.name)})(")',
                             rf"\g<1>{LEADS}\g<3>", wb_text, count=1)
        assert k == 1
        z.data[wb] = wb_text.encode("utf-8")
        return z.save(dst)
    raise AssertionError("no empty worksheet to put the leads in")
