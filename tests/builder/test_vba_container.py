"""The vbaProject.bin container: MS-CFB structure, MS-OVBA streams, codeNames agreeing everywhere."""

from __future__ import annotations

import io

import olefile
from lxml import etree
from pyopenvba.cfb import CFB
from pyopenvba.vba import VBAModuleKind, parse_project_stream, parse_projectwm, parse_vba_project

from salesbook.builder.layout import SHEETS, WORKBOOK_CODENAME
from salesbook.builder.package import sheet_parts
from salesbook.builder.vba import build_vba_project, load_modules

from .paths import MACROS

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CODE_NAMES = [WORKBOOK_CODENAME] + [code for _, code in SHEETS]


def _decrypt(hex_text: str) -> bytes:
    """MS-OVBA 2.4.3.3 data decryption (independent of the builder's encryption)."""
    data = bytes.fromhex(hex_text)
    seed, version_enc, project_key_enc = data[:3]
    assert seed ^ version_enc == 2
    unencrypted, enc1, enc2 = seed ^ project_key_enc, project_key_enc, version_enc
    plain = bytearray()
    for byte_enc in data[3:]:
        byte = byte_enc ^ ((enc2 + unencrypted) & 0xFF)
        plain.append(byte)
        enc2, enc1, unencrypted = enc1, byte_enc, byte
    plain = plain[(seed & 6) // 2:]
    length = int.from_bytes(plain[:4], "little")
    assert length == len(plain) - 4
    return bytes(plain[4:])


def test_vba_project_stream_is_the_7_byte_recompile_form(vba_bin):
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000000")


def test_olefile_parses_the_container_strictly(vba_bin):
    ole = olefile.OleFileIO(io.BytesIO(vba_bin), raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.parsing_issues == []
    streams = {"/".join(entry) for entry in ole.listdir()}
    expected = {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} | {f"VBA/{m.name}" for m in load_modules(MACROS)}
    assert streams == expected
    assert ole.get_type("VBA") == olefile.STGTY_STORAGE


def test_dir_stream_project_stream_and_projectwm_agree(vba_bin):
    cfb = CFB.from_bytes(vba_bin)
    project = parse_vba_project(cfb)
    assert project.validate(cfb) == []
    assert project.code_page == 1252 and project.name == "VBAProject"
    assert [r.name for r in project.references] == ["stdole", "Office"]  # Office defines IRibbonControl
    dir_modules = [(m.name, m.stream_name, m.text_offset) for m in project.modules]
    assert dir_modules == [(m.name, m.name, 0) for m in load_modules(MACROS)]

    stream = parse_project_stream(cfb.get_stream("PROJECT"))
    assert [name for name, _ in stream.document_modules] == CODE_NAMES
    assert stream.class_modules == ["Dictionary"]
    assert sorted(stream.standard_modules) == ["Ribbon", "xlwings"]
    assert set(stream.workspace) == {m.name for m in project.modules}
    kinds = {m.name: m.kind for m in project.modules}
    for name in CODE_NAMES + stream.class_modules:
        assert kinds[name] == VBAModuleKind.other   # MODULETYPE 0x22: document or class
    for name in stream.standard_modules:
        assert kinds[name] == VBAModuleKind.standard
    assert parse_projectwm(cfb.get_stream("PROJECTwm")) == [(m.name, m.name) for m in project.modules]


def test_project_is_unprotected_and_visible(vba_bin):
    stream = parse_project_stream(CFB.from_bytes(vba_bin).get_stream("PROJECT"))
    assert _decrypt(stream.protection.cmg) == bytes(4)     # no protection flags
    assert _decrypt(stream.protection.dpb) == bytes(1)     # no password
    assert _decrypt(stream.protection.gc) == b"\xff"       # visible


def test_document_modules_equal_workbook_code_names(parts, vba_bin):
    workbook = etree.fromstring(parts["xl/workbook.xml"])
    xml_names = [workbook.find(f"{NS}workbookPr").get("codeName")]
    for _, part in sheet_parts(parts):
        xml_names.append(etree.fromstring(parts[part]).find(f"{NS}sheetPr").get("codeName"))
    assert xml_names == CODE_NAMES
    documents = parse_project_stream(CFB.from_bytes(vba_bin).get_stream("PROJECT")).document_modules
    assert [name for name, _ in documents] == xml_names
    assert [name for name, _ in sheet_parts(parts)] == [name for name, _ in SHEETS]


def test_same_modules_give_the_same_bytes():
    assert build_vba_project(load_modules(MACROS)) == build_vba_project(load_modules(MACROS))


def test_a_changed_module_changes_the_bytes():
    modules = load_modules(MACROS)
    changed = [m if m.name != "Ribbon" else type(m)(m.name, m.kind, m.source + "' x\r\n") for m in modules]
    assert build_vba_project(changed) != build_vba_project(modules)
