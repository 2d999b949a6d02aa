"""`ensure_ribbon` repairs what an openpyxl save does to the ribbon, and nothing else."""

from __future__ import annotations

import openpyxl
from lxml import etree

from salesbook.builder import ooxml
from salesbook.builder.layout import SHEETS
from salesbook.builder.package import sheet_parts
from salesbook.builder.ribbon import CUSTOMUI, CUSTOMUI14, ensure_ribbon, ribbon_problems

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _openpyxl_round_trip(src, dst):
    openpyxl.load_workbook(src, keep_vba=True).save(dst)
    return dst


def test_openpyxl_save_drops_the_2010_ribbon_and_ensure_ribbon_restores_it(built_path, parts, tmp_path):
    saved = _openpyxl_round_trip(built_path, tmp_path / "saved.xlsm")
    broken = ooxml.read_package(saved)
    # the known openpyxl behaviour this function exists for
    assert any(CUSTOMUI14.rel_type in p for p in ribbon_problems(broken))

    repaired = ensure_ribbon(saved)
    assert saved.read_bytes() == repaired            # rewritten in place
    fixed = ooxml.read_package(repaired)
    assert ribbon_problems(fixed) == []
    # everything the build put in survives: VBA byte for byte, ribbon parts, codeNames
    assert fixed["xl/vbaProject.bin"] == parts["xl/vbaProject.bin"]
    assert fixed[CUSTOMUI14.part] == parts[CUSTOMUI14.part] and fixed[CUSTOMUI.part] == parts[CUSTOMUI.part]
    assert etree.fromstring(fixed["xl/workbook.xml"]).find(f"{NS}workbookPr").get("codeName") == "ThisWorkbook"
    assert [etree.fromstring(fixed[part]).find(f"{NS}sheetPr").get("codeName") for _, part in sheet_parts(fixed)] \
        == [code for _, code in SHEETS]
    assert ensure_ribbon(repaired) == repaired        # idempotent


def test_a_complete_file_is_left_untouched(built_path):
    before = built_path.stat().st_mtime_ns
    assert ensure_ribbon(built_path) == built_path.read_bytes()
    assert built_path.stat().st_mtime_ns == before


def test_relationships_to_missing_parts_are_removed(built_bytes):
    parts = ooxml.read_package(built_bytes)
    del parts[CUSTOMUI.part]
    fixed = ooxml.read_package(ensure_ribbon(ooxml.write_package(parts)))
    rels = etree.fromstring(fixed["_rels/.rels"])
    assert [r.get("Target") for r in rels if r.get("Type") == CUSTOMUI.rel_type] == []
    assert [r.get("Target") for r in rels if r.get("Type") == CUSTOMUI14.rel_type] == [CUSTOMUI14.part]


def test_duplicate_relationships_are_collapsed(built_bytes):
    parts = ooxml.read_package(built_bytes)
    rels = etree.fromstring(parts["_rels/.rels"])
    dup = etree.SubElement(rels, rels[0].tag, Id="rIdDup", Type=CUSTOMUI14.rel_type, Target=CUSTOMUI14.part)
    assert dup is not None
    parts["_rels/.rels"] = etree.tostring(rels)
    fixed = ooxml.read_package(ensure_ribbon(ooxml.write_package(parts)))
    assert ribbon_problems(fixed) == []
