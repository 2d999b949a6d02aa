"""A rep's machine: the wheel installed in a fresh virtual environment, no repository around it.

The wheel is built from a copy of the sources, installed with pip from that file only (--no-index):
its declared dependencies must be satisfied by what is installed, which the environment sees through
--system-site-packages (so that the test needs no network; CI installs them from pyproject). The
commands then run from another folder with no PYTHONPATH: excel new (English and Chinese), excel setup
against a temporary HOME, excel setup --check, and run on the new workbook with leads added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from tests.builder.paths import REPO
from tests.builder.structure import assert_libreoffice_loaded, assert_structure, libreoffice_ods, read_parts
from .conftest import add_leads

pytestmark = pytest.mark.slow


def _run(args: list, cwd: Path, home: Path | None = None, ok=(0,)) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    if home is not None:
        env["HOME"] = env["USERPROFILE"] = str(home)
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode in ok, f"{args}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("install")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "salesbook", src / "salesbook", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", src, "-w", root / "dist", "--no-deps", "-q"], cwd=root)
    (wheel,) = (root / "dist").glob("salesbook-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert {"salesbook/deploy/upgrade.py", "salesbook/builder/macros/xlwings.bas"} <= set(z.namelist())
    env = root / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", env], cwd=root)
    python = env / "bin" / "python"
    # the wheel alone (it would not replace the salesbook the system site holds, if any: same version) ...
    _run([python, "-m", "pip", "install", "--no-index", "--no-deps", "--force-reinstall", "--no-warn-script-location",
          "-q", wheel], cwd=root)
    # ... then its declared dependencies, which pip must find satisfied without an index
    _run([python, "-m", "pip", "install", "--no-index", "-q", wheel], cwd=root)
    return env


def test_a_rep_sets_up_a_machine_from_the_wheel(installed, tmp_path):
    salesbook, python = installed / "bin" / "salesbook", installed / "bin" / "python"
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    where = _run([python, "-c", "import salesbook; print(salesbook.__file__)"], cwd=work).stdout.strip()
    assert Path(where).is_relative_to(installed), where  # the installed copy, not the repository's

    _run([salesbook, "excel", "new"], cwd=work)
    _run([salesbook, "excel", "new", "Pipeline-zh.xlsm", "--language", "zh"], cwd=work)
    for book in ("SalesPipeline.xlsm", "Pipeline-zh.xlsm"):
        assert_structure(work / book)
    refused = _run([salesbook, "excel", "new"], cwd=work, ok=(2,))
    assert "already exists" in refused.stderr

    setup = _run([salesbook, "excel", "setup"], cwd=work, home=home).stdout
    conf = home / ".xlwings" / "xlwings.conf"
    assert conf.read_text() == f'"INTERPRETER_WIN","{python}"\n"ADD_WORKBOOK_TO_PYTHONPATH","False"\n'
    assert "PYTHONPATH: not needed" in setup and "created" in setup
    again = _run([salesbook, "excel", "setup"], cwd=work, home=home).stdout
    assert "already set, nothing changed" in again
    check = _run([salesbook, "excel", "setup", "--check", "SalesPipeline.xlsm"], cwd=work, home=home).stdout
    assert "PROBLEM" not in check and f"ok: {python} imports salesbook ({installed}" in check
    assert _run([salesbook, "doctor"], cwd=work, home=home).stdout.startswith(f"ok: {python} imports salesbook")

    book = work / "SalesPipeline.xlsm"
    vba = read_parts(book)["xl/vbaProject.bin"]
    add_leads(book)
    run = _run([salesbook, "run", "SalesPipeline.xlsm", "--today", "2026-11-20"], cwd=work, ok=(0, 1))
    assert "3" in run.stdout
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Leads").to_python()
    assert {r[0]: r[rows[0].index("Grade")] for r in rows[1:] if r[0]} == {"N-1": "A", "N-2": "C", "N-3": "D"}
    assert read_parts(book)["xl/vbaProject.bin"] == vba
    assert_structure(book)


@pytest.mark.libreoffice
def test_libreoffice_loads_the_workbooks_the_wheel_writes(installed, tmp_path):
    for language in ("en", "zh"):
        _run([installed / "bin" / "salesbook", "excel", "new", f"{language}.xlsm", "--language", language], cwd=tmp_path)
        assert_libreoffice_loaded(libreoffice_ods(tmp_path / f"{language}.xlsm", tmp_path / f"lo-{language}"))
