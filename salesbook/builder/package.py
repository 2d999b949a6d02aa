"""Assemble SalesPipeline.xlsm: sheets from XlsxWriter, the VBA project, the ribbon.

`build_workbook` is the whole build; `assemble_xlsm` is its last step and works
on any xlsx/xlsm package: it installs (or replaces) xl/vbaProject.bin, sets the
codeNames of the workbook and its sheets to those of `layout.SHEETS`, adds the
ribbon parts and writes the zip reproducibly.
"""

from __future__ import annotations

import io
import posixpath
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from lxml import etree

from salesbook.builder import ooxml
from salesbook.builder.layout import SHEETS, WORKBOOK_CODENAME
from salesbook.builder.ooxml import NS_MAIN, NS_R, NS_REL
from salesbook.builder.ribbon import add_ribbon, load_ribbon_xml, localize_ribbon
from salesbook.builder.sources import MacrosDir
from salesbook.builder.vba import build_vba_project_from_dir

# Fixed document properties: the build must not depend on the clock.
DOCUMENT_CREATED = datetime(2024, 1, 1, 0, 0, 0)
DOCUMENT_PROPERTIES = {
    "title": "Sales Pipeline",
    "subject": "BANT lead grading, follow-ups, stale-lead cleansing and funnel reports",
    "author": "salesbook",
    "company": "",
    "created": DOCUMENT_CREATED,
}

VBA_PART = "xl/vbaProject.bin"
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"
VBA_REL_TYPE = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
MACRO_WORKBOOK_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

# receives the xlsxwriter.Workbook being built and adds its sheets
Populate = Callable[[Any], None]


def _workbook_part(parts: Mapping[str, bytes]) -> str:
    rels = ooxml.parse_xml(parts[ooxml.PACKAGE_RELS])
    for rel in rels:
        if rel.get("Type") == _OFFICE_DOCUMENT:
            return ooxml.resolve_target("", rel.get("Target", ""))
    raise ValueError("package has no officeDocument relationship")


def sheet_parts(parts: Mapping[str, bytes]) -> list[tuple[str, str]]:
    """(sheet name, part name) of every sheet, in tab order."""
    wb_part = _workbook_part(parts)
    workbook = ooxml.parse_xml(parts[wb_part])
    rels = ooxml.parse_xml(parts[ooxml.rels_part_for(wb_part)])
    targets = {rel.get("Id"): ooxml.resolve_target(wb_part, rel.get("Target", "")) for rel in rels}
    return [(sheet.get("name"), targets[sheet.get(f"{{{NS_R}}}id")])
            for sheet in workbook.iterfind(f"{{{NS_MAIN}}}sheets/{{{NS_MAIN}}}sheet")]


def _set_code_name(root: etree._Element, tag: str, code_name: str, after: Sequence[str] = ()) -> None:
    """Set `codeName` on the `tag` child of `root`, creating it at its schema position if missing."""
    element = root.find(f"{{{NS_MAIN}}}{tag}")
    if element is None:
        element = etree.Element(f"{{{NS_MAIN}}}{tag}")
        index = 0
        for i, child in enumerate(root):
            if etree.QName(child).localname in after:
                index = i + 1
        root.insert(index, element)
    element.set("codeName", code_name)


def _install_vba(parts: dict[str, bytes], vba_bin: bytes) -> None:
    wb_part = _workbook_part(parts)
    parts[VBA_PART] = vba_bin
    content_types = ooxml.parse_xml(parts[ooxml.CONTENT_TYPES])
    wanted = {VBA_PART: VBA_CONTENT_TYPE, wb_part: MACRO_WORKBOOK_CONTENT_TYPE}
    wrong = {part: ct for part, ct in wanted.items() if ooxml.content_type_of(content_types, part) != ct}
    for part, content_type in wrong.items():
        ooxml.set_override(content_types, part, content_type)
    if wrong:
        parts[ooxml.CONTENT_TYPES] = ooxml.serialize_xml(content_types)
    rels_part = ooxml.rels_part_for(wb_part)
    rels = ooxml.parse_xml(parts[rels_part])
    if not any(rel.get("Type") == VBA_REL_TYPE for rel in rels):
        etree.SubElement(rels, f"{{{NS_REL}}}Relationship", Id=ooxml.new_relationship_id(rels, "rIdVBA"),
                         Type=VBA_REL_TYPE, Target=posixpath.relpath(VBA_PART, posixpath.dirname(wb_part)))
        parts[rels_part] = ooxml.serialize_xml(rels)


def _set_code_names(parts: dict[str, bytes], sheets: Sequence[tuple[str, str]]) -> None:
    present = sheet_parts(parts)
    if [name for name, _ in present] != [name for name, _ in sheets]:
        raise ValueError(f"workbook sheets {[n for n, _ in present]} differ from the layout "
                         f"{[n for n, _ in sheets]} (salesbook.builder.layout.SHEETS)")
    wb_part = _workbook_part(parts)
    workbook = ooxml.parse_xml(parts[wb_part])
    pr = workbook.find(f"{{{NS_MAIN}}}workbookPr")
    if pr is None or pr.get("codeName") != WORKBOOK_CODENAME:
        _set_code_name(workbook, "workbookPr", WORKBOOK_CODENAME, after=("fileVersion", "fileSharing"))
        parts[wb_part] = ooxml.serialize_xml(workbook)
    for (_, part), (_, code_name) in zip(present, sheets):
        sheet = ooxml.parse_xml(parts[part])
        existing = sheet.find(f"{{{NS_MAIN}}}sheetPr")
        if existing is None or existing.get("codeName") != code_name:
            _set_code_name(sheet, "sheetPr", code_name)
            parts[part] = ooxml.serialize_xml(sheet)


def assemble_xlsm(
    xlsx_bytes: bytes,
    vba_bin: bytes,
    ribbon_xml: Mapping[str, bytes],
    *,
    sheets: Sequence[tuple[str, str]] = SHEETS,
) -> bytes:
    """An .xlsm package: `xlsx_bytes` with `vba_bin` as its VBA project, codeNames and ribbon.

    `xlsx_bytes` is a workbook package (as XlsxWriter writes it, with or without
    a VBA project) whose sheets are exactly `sheets`, in order. `ribbon_xml`
    maps ribbon part names to bytes (`ribbon.load_ribbon_xml`).
    """
    parts = ooxml.read_package(xlsx_bytes)
    _install_vba(parts, vba_bin)
    _set_code_names(parts, sheets)
    parts = add_ribbon(parts, ribbon_xml)
    return ooxml.write_package(parts)


def placeholder_sheets(workbook) -> None:
    """The default `populate`: the layout's sheets, each with a one-cell header row."""
    bold = workbook.add_format({"bold": True})
    for name, _ in SHEETS:
        workbook.add_worksheet(name).write(0, 0, name, bold)


def build_xlsx(populate: Populate | None = None, *, vba_bin: bytes | None = None,
               sheets: Sequence[tuple[str, str]] = SHEETS) -> bytes:
    """The workbook package as XlsxWriter writes it, with fixed document properties.

    `populate(workbook)` receives the `xlsxwriter.Workbook` and adds the sheets
    (`placeholder_sheets` when None). With `vba_bin`, XlsxWriter embeds it and
    writes the codeNames of `sheets` itself.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties(dict(DOCUMENT_PROPERTIES))
    (populate or placeholder_sheets)(workbook)
    if vba_bin is not None:
        workbook.add_vba_project(io.BytesIO(vba_bin), is_stream=True)
        workbook.set_vba_name(WORKBOOK_CODENAME)
        code_names = dict(sheets)
        for worksheet in workbook.worksheets():
            if worksheet.name in code_names:
                worksheet.set_vba_name(code_names[worksheet.name])
    workbook.close()
    return buffer.getvalue()


def build_workbook_bytes(populate: Populate | None = None, *, macros_dir: MacrosDir = None,
                         language: str = "en") -> bytes:
    """The bytes of the complete SalesPipeline.xlsm, built from `macros_dir` (None: the packaged sources),
    its ribbon labelled in `language` ('en' or 'zh', `ribbon.localize_ribbon`)."""
    vba_bin = build_vba_project_from_dir(macros_dir, SHEETS)
    xlsx = build_xlsx(populate, vba_bin=vba_bin)
    return assemble_xlsm(xlsx, vba_bin, localize_ribbon(load_ribbon_xml(macros_dir), language))


def build_workbook(out_path: Path | str, populate: Populate | None = None, *, macros_dir: MacrosDir = None,
                   language: str = "en") -> Path:
    """Build SalesPipeline.xlsm into `out_path` (written atomically); returns the path."""
    data = build_workbook_bytes(populate, macros_dir=macros_dir, language=language)
    ooxml.write_file_atomically(out_path, data)
    return Path(out_path)
