"""`salesbook excel new`: a ready workbook, clean or with the sample, in English or Chinese."""

from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner
from lxml import etree
from python_calamine import CalamineWorkbook

from salesbook.builder.layout import SHEETS
from salesbook.cli import main
from salesbook.vocabulary.help import BUTTONS
from salesbook.vocabulary.words import RIBBON

from tests.builder.paths import WORKBOOK
from tests.builder.structure import assert_structure, libreoffice_ods, assert_libreoffice_loaded, read_parts
from .conftest import add_leads


def _new(args, cwd, monkeypatch):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, ["excel", "new", *args])


def _labels(xml: bytes) -> dict[str, str]:
    return {el.get("id"): el.get("label") for el in etree.fromstring(xml).iter() if el.get("label")}


def test_a_clean_english_workbook_has_every_sheet_an_empty_table_and_no_history(tmp_path, monkeypatch):
    result = _new([], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    path = tmp_path / "SalesPipeline.xlsm"
    assert "SalesPipeline.xlsm" in result.output and "empty Leads table" in result.output
    assert_structure(path)  # schema-valid ribbon, VBA modules = sources, codeNames bound
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == [name for name, _ in SHEETS]
    leads = book.get_sheet_by_name("Leads").to_python()
    assert leads[0][:3] == ["Lead ID", "Company", "Contact"] and "Grade" in leads[0]
    assert all(v in ("", None) for row in leads[1:] for v in row)  # no sample rows
    assert book.get_sheet_by_name("History").to_python() == [["Lead ID", "From", "To", "Date"]]
    settings = book.get_sheet_by_name("Settings").to_python()
    assert any(row[0] == "Prospecting" for row in settings)
    parts = read_parts(path)
    assert b'name="Leads"' in parts["xl/tables/table1.xml"]
    assert _labels(parts["customUI/customUI14.xml"])["salesbookTab"] == RIBBON["tab.salesbookTab"][0]


def test_a_chinese_workbook_has_chinese_headers_and_ribbon(tmp_path, monkeypatch):
    result = _new(["Pipeline.xlsm", "--language", "zh"], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    path = tmp_path / "Pipeline.xlsm"
    assert_structure(path)
    parts = read_parts(path)
    for part in ("customUI/customUI14.xml", "customUI/customUI.xml"):
        labels = _labels(parts[part])
        assert labels["salesbookTab"] == "销售管道" and labels["salesbookLeads"] == "线索"
        assert {b.id: labels[b.id] for b in BUTTONS} == {b.id: b.zh for b in BUTTONS}
        tips = {el.get("id"): el.get("supertip") for el in etree.fromstring(parts[part]).iter() if el.get("supertip")}
        assert tips["grade"] == RIBBON["supertip.grade"][1]
    leads = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()
    assert leads[0][:3] == ["线索编号", "公司", "联系人"]


@pytest.mark.slow  # builds and runs the 200-lead sample
def test_sample_gives_the_shipped_workbook(tmp_path, monkeypatch):
    result = _new(["Demo.xlsm", "--sample"], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "Demo.xlsm").read_bytes() == WORKBOOK.read_bytes()


def test_an_existing_file_is_refused_and_kept_unless_force(tmp_path, monkeypatch):
    path = tmp_path / "SalesPipeline.xlsm"
    path.write_bytes(b"my own file")
    result = _new([], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "'SalesPipeline.xlsm' already exists" in result.output and "--force" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == b"my own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["SalesPipeline.xlsm"]  # no temp file left
    result = _new(["--force"], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(path)


def test_a_name_without_xlsm_is_refused(tmp_path, monkeypatch):
    result = _new(["Pipeline.xlsx"], tmp_path, monkeypatch)
    assert result.exit_code == 2 and ".xlsm" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # an openpyxl round trip and a run; test_upgrade's in-place test runs the quick path
def test_run_grades_leads_added_to_a_new_workbook(tmp_path, monkeypatch):
    assert _new([], tmp_path, monkeypatch).exit_code == 0
    path = tmp_path / "SalesPipeline.xlsm"
    vba = read_parts(path)["xl/vbaProject.bin"]
    add_leads(path)
    result = CliRunner().invoke(main, ["run", str(path), "--today", "2026-11-20"])
    assert result.exit_code in (0, 1), result.output
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()
    head = rows[0]
    graded = {r[0]: r[head.index("Grade")] for r in rows[1:] if r[0]}
    assert graded == {"N-1": "A", "N-2": "C", "N-3": "D"}
    parts = read_parts(path)
    assert parts["xl/vbaProject.bin"] == vba
    assert_structure(path)


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.parametrize("language", ["en", "zh"])
def test_libreoffice_loads_a_new_workbook(tmp_path, monkeypatch, language):
    assert _new(["--language", language], tmp_path, monkeypatch).exit_code == 0
    assert_libreoffice_loaded(libreoffice_ods(tmp_path / "SalesPipeline.xlsm", tmp_path / "lo"))
