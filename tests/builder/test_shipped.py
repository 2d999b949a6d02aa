"""The committed workbook/SalesPipeline.xlsm is exactly what the sources build, and ready to use."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from salesbook.builder.ribbon import ribbon_problems
from salesbook.builder.shipped import SAMPLE_LEADS, build_shipped_workbook
from salesbook.builder.vba import build_vba_project_from_dir

from .paths import MACROS, WORKBOOK

COMMITTED = WORKBOOK


def _parts(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(n, z.read(n)) for n in z.namelist()]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    return build_shipped_workbook(tmp_path_factory.mktemp("build") / "SalesPipeline.xlsm")


def test_committed_workbook_matches_a_fresh_build(fresh):
    assert COMMITTED.exists(), "run: salesbook build-workbook"
    committed, rebuilt = _parts(COMMITTED), _parts(fresh)
    assert [n for n, _ in committed] == [n for n, _ in rebuilt]
    stale = [n for (n, a), (_, b) in zip(committed, rebuilt) if a != b]
    assert not stale, f"workbook/SalesPipeline.xlsm is out of date ({stale}): run salesbook build-workbook"


def test_shipped_workbook_has_graded_sample_leads_and_reports():
    wb = CalamineWorkbook.from_path(str(COMMITTED))
    assert wb.sheet_names == ["Leads", "Settings", "Funnel", "Cleanse", "History", "Archive", "Check", "Help"]
    leads = wb.get_sheet_by_name("Leads").to_python()
    header = leads[0]
    rows = [dict(zip(header, r)) for r in leads[1:] if r[0]]
    assert len(rows) == SAMPLE_LEADS
    assert {r["Grade"] for r in rows} <= {"A", "B", "C", "D"} and len({r["Grade"] for r in rows}) == 4
    assert all(r["Grade Reason"] for r in rows)
    funnel = wb.get_sheet_by_name("Funnel").to_python()
    assert funnel[0][0] == "Sales funnel"
    history = wb.get_sheet_by_name("History").to_python()
    assert len(history) == SAMPLE_LEADS + 1


def test_the_run_kept_the_vba_project_and_the_ribbon():
    parts = dict(_parts(COMMITTED))
    assert parts["xl/vbaProject.bin"] == build_vba_project_from_dir(MACROS)
    assert ribbon_problems(parts) == []
    assert b"customUI/customUI14.xml" in parts["_rels/.rels"]
