"""The assembled .xlsm: relationships, content types, codeNames, fixed metadata, byte-reproducible."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest
from lxml import etree

from salesbook.builder import ooxml
from salesbook.builder.layout import SHEETS
from salesbook.builder.package import (
    DOCUMENT_CREATED,
    VBA_PART,
    assemble_xlsm,
    build_workbook_bytes,
    build_xlsx,
    sheet_parts,
)
from salesbook.builder.ribbon import CUSTOMUI, CUSTOMUI14, load_ribbon_xml, ribbon_problems
from salesbook.builder.vba import build_vba_project_from_dir

from .paths import MACROS, REPO

REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _rels(parts, name):
    return {(r.get("Type"), r.get("Target")) for r in etree.fromstring(parts[name]).iter(REL)}


def test_package_rels_point_at_both_ribbon_parts(parts):
    rels = _rels(parts, "_rels/.rels")
    assert (CUSTOMUI14.rel_type, "customUI/customUI14.xml") in rels
    assert (CUSTOMUI.rel_type, "customUI/customUI.xml") in rels
    assert CUSTOMUI14.rel_type == "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
    assert CUSTOMUI.rel_type == "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
    assert ribbon_problems(parts) == []


def test_content_types_and_vba_relationship(parts):
    ct = ooxml.parse_xml(parts["[Content_Types].xml"])
    assert ooxml.content_type_of(ct, "xl/workbook.xml") == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    assert ooxml.content_type_of(ct, VBA_PART) == "application/vnd.ms-office.vbaProject"
    for part in ("customUI/customUI14.xml", "customUI/customUI.xml"):
        assert ooxml.content_type_of(ct, part) == "application/xml"
    for part in parts:          # every part has a content type
        if not part.endswith(".rels") and part != "[Content_Types].xml":
            assert ooxml.content_type_of(ct, part), part
    assert ("http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin") in \
        _rels(parts, "xl/_rels/workbook.xml.rels")


def test_sheets_in_layout_order(parts):
    assert [name for name, _ in sheet_parts(parts)] == [name for name, _ in SHEETS]


def test_fixed_zip_metadata_and_document_properties(built_bytes, parts):
    with zipfile.ZipFile(io.BytesIO(built_bytes)) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos[:2]] == ["[Content_Types].xml", "_rels/.rels"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    core = parts["docProps/core.xml"].decode()
    stamp = DOCUMENT_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f">{stamp}</dcterms:created>" in core and f">{stamp}</dcterms:modified>" in core


def test_build_twice_gives_identical_bytes(built_bytes):
    assert build_workbook_bytes(macros_dir=MACROS) == built_bytes


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_build_in_a_fresh_interpreter_gives_identical_bytes(built_bytes):
    # another process, another hash seed: catches dependence on set order, clock or randomness
    code = ("import sys; from salesbook.builder.package import build_workbook_bytes; "
            "sys.stdout.buffer.write(build_workbook_bytes(macros_dir=sys.argv[1]))")
    out = subprocess.run([sys.executable, "-c", code, str(MACROS)], capture_output=True, check=True,
                         cwd=REPO, env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}).stdout
    assert out == built_bytes


def test_populate_callback_builds_the_sheets():
    def populate(workbook):
        for name, _ in SHEETS:
            workbook.add_worksheet(name).write(0, 0, f"{name} header")

    data = build_workbook_bytes(populate, macros_dir=MACROS)
    parts = ooxml.read_package(data)
    assert b"Leads header" in parts["xl/sharedStrings.xml"]
    assert data == build_workbook_bytes(populate, macros_dir=MACROS)


def test_sheets_outside_the_layout_are_refused():
    def populate(workbook):
        workbook.add_worksheet("Leads")

    with pytest.raises(ValueError, match="layout"):
        build_workbook_bytes(populate, macros_dir=MACROS)


def test_assemble_installs_vba_and_code_names_into_a_plain_xlsx():
    vba_bin = build_vba_project_from_dir(MACROS)
    plain = build_xlsx()                                    # no VBA, no codeNames
    assert VBA_PART not in ooxml.read_package(plain)
    parts = ooxml.read_package(assemble_xlsm(plain, vba_bin, load_ribbon_xml(MACROS)))
    assert parts[VBA_PART] == vba_bin
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    assert etree.fromstring(parts["xl/workbook.xml"]).find(f"{ns}workbookPr").get("codeName") == "ThisWorkbook"
    for (_, part), (_, code) in zip(sheet_parts(parts), SHEETS):
        sheet = etree.fromstring(parts[part])
        assert sheet[0].tag == f"{ns}sheetPr" and sheet[0].get("codeName") == code
    assert ribbon_problems(parts) == []
