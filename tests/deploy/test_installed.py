"""A rep's machine: the wheel installed in a fresh virtual environment, no repository around it.

The wheel is built from a copy of the sources, installed with pip from that file only (--no-index):
its declared dependencies must be satisfied by what is installed, which the environment sees through
--system-site-packages (so that the test needs no network; CI installs them from pyproject). The
commands then run from another folder with no PYTHONPATH: excel new (English and Chinese), excel setup
against a temporary HOME, excel setup --check, and run on the new workbook with leads added.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from tests.builder.wheel import run
from tests.builder.structure import assert_libreoffice_loaded, assert_structure, libreoffice_ods, read_parts
from .conftest import add_leads

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(wheel_venv) -> Path:
    env, names = wheel_venv
    assert {"salesbook/deploy/upgrade.py", "salesbook/builder/macros/xlwings.bas"} <= names
    return env


def test_a_rep_sets_up_a_machine_from_the_wheel(installed, tmp_path):
    salesbook, python = installed / "bin" / "salesbook", installed / "bin" / "python"
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    where = run([python, "-c", "import salesbook; print(salesbook.__file__)"], cwd=work).stdout.strip()
    assert Path(where).is_relative_to(installed), where  # the installed copy, not the repository's

    run([salesbook, "excel", "new"], cwd=work)
    run([salesbook, "excel", "new", "Pipeline-zh.xlsm", "--language", "zh"], cwd=work)
    for book in ("SalesPipeline.xlsm", "Pipeline-zh.xlsm"):
        assert_structure(work / book)
    refused = run([salesbook, "excel", "new"], cwd=work, ok=(2,))
    assert "already exists" in refused.stderr

    setup = run([salesbook, "excel", "setup"], cwd=work, home=home).stdout
    conf = home / ".xlwings" / "xlwings.conf"
    assert conf.read_text() == f'"INTERPRETER_WIN","{python}"\n"ADD_WORKBOOK_TO_PYTHONPATH","False"\n'
    assert "PYTHONPATH: not needed" in setup and "created" in setup
    again = run([salesbook, "excel", "setup"], cwd=work, home=home).stdout
    assert "already set, nothing changed" in again
    check = run([salesbook, "excel", "setup", "--check", "SalesPipeline.xlsm"], cwd=work, home=home).stdout
    assert "PROBLEM" not in check and f"ok: {python} imports salesbook ({installed}" in check
    assert run([salesbook, "doctor"], cwd=work, home=home).stdout.startswith(f"ok: {python} imports salesbook")

    book = work / "SalesPipeline.xlsm"
    vba = read_parts(book)["xl/vbaProject.bin"]
    add_leads(book)
    ran = run([salesbook, "run", "SalesPipeline.xlsm", "--today", "2026-11-20"], cwd=work, ok=(0, 1))
    assert "3" in ran.stdout
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Leads").to_python()
    assert {r[0]: r[rows[0].index("Grade")] for r in rows[1:] if r[0]} == {"N-1": "A", "N-2": "C", "N-3": "D"}
    assert read_parts(book)["xl/vbaProject.bin"] == vba
    assert_structure(book)


@pytest.mark.libreoffice
def test_libreoffice_loads_the_workbooks_the_wheel_writes(installed, tmp_path):
    for language in ("en", "zh"):
        run([installed / "bin" / "salesbook", "excel", "new", f"{language}.xlsm", "--language", language], cwd=tmp_path)
        assert_libreoffice_loaded(libreoffice_ods(tmp_path / f"{language}.xlsm", tmp_path / f"lo-{language}"))
