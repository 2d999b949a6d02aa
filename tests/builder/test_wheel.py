"""`salesbook build-workbook` works from a wheel: its sources are package data, not repository files.

The test builds the wheel from a copy of the sources, installs it with --no-deps into a fresh
virtual environment that sees this interpreter's packages (--system-site-packages: the
dependencies, no network) but not the repository (another working folder, no PYTHONPATH), and
builds the workbook there. The builds are reproducible, so the result must equal a build from
the repository byte for byte, and its VBA modules (read back with oletools) the sources.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from salesbook.builder.shipped import build_shipped_workbook
from salesbook.builder.vba import class_module

from .paths import MACROS, REPO
from .wheel import run
from .test_vba_modules import _lf, _olevba_modules

pytestmark = pytest.mark.slow


def _run(args: list, cwd: Path) -> str:
    return run(args, cwd).stdout


@pytest.fixture(scope="module")
def venv(wheel_venv) -> Path:
    """A virtual environment with salesbook installed from its wheel, and nothing else of the repository."""
    env, names = wheel_venv
    shipped = {n for n in names if n.startswith("salesbook/builder/macros/")}
    assert shipped == {f"salesbook/builder/macros/{p.name}" for p in MACROS.iterdir() if not p.name.startswith(".")}
    return env


def test_build_workbook_from_the_wheel_equals_the_repository_build(venv, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    where = _run([venv / "bin" / "python", "-c",
                  "import salesbook, salesbook.builder.sources as s; print(salesbook.__file__); print(s.macros_folder())"],
                 cwd=work).split()
    assert all(Path(p).is_relative_to(venv) for p in where), where  # the installed copy, not the repository's
    out = _run([venv / "bin" / "salesbook", "build-workbook", "--out", "X.xlsm"], cwd=work)
    assert "X.xlsm" in out
    built = (work / "X.xlsm").read_bytes()
    assert built == build_shipped_workbook(tmp_path / "repo.xlsm", macros_dir=MACROS).read_bytes()
    # without --out, outside a checkout: SalesPipeline.xlsm in the current folder
    _run([venv / "bin" / "salesbook", "build-workbook"], cwd=work)
    assert sorted(p.name for p in work.iterdir()) == ["SalesPipeline.xlsm", "X.xlsm"]
    assert (work / "SalesPipeline.xlsm").read_bytes() == built

    with zipfile.ZipFile(work / "X.xlsm") as z:
        modules = _olevba_modules(z.read("xl/vbaProject.bin"))
    for path in sorted(MACROS.glob("*.bas")):
        assert _lf(modules[path.stem]) == _lf(path.read_bytes().decode("cp1252")), path.name
    for path in sorted(MACROS.glob("*.cls")):
        assert _lf(modules[path.stem]) == _lf(class_module(path.read_bytes().decode("cp1252")).source), path.name
