"""Helpers for the reliability suite: the CLI through click's runner, folder snapshots."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from salesbook.atomic import TEMP_PREFIX


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a minute (deselect with -m 'not slow')")


def invoke(*args):
    """salesbook's CLI in-process: never an internal error, never a traceback on the terminal."""
    from salesbook.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def parts(path: Path) -> dict[str, bytes]:
    """Every zip member of a workbook, read with zipfile (not salesbook's package reader)."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (names relative to it) with its bytes."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            p = Path(root) / name
            out[str(p.relative_to(folder))] = p.read_bytes()
    return out


def temp_files(folder: Path) -> list[str]:
    return sorted(str(p) for p in Path(folder).rglob(f"{TEMP_PREFIX}*"))


def make_writable(folder: Path) -> None:
    """Undo the corpus' chmods so tmp_path can be cleaned up."""
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            p.chmod(p.stat().st_mode | stat.S_IWUSR | stat.S_IRUSR | (stat.S_IXUSR if p.is_dir() else 0))
    Path(folder).chmod(Path(folder).stat().st_mode | stat.S_IWUSR)


@pytest.fixture
def cli():
    """Invoke `salesbook ARGS…` in-process; exceptions are caught so a traceback would show in the output check."""
    from salesbook.cli import main

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args])
    return invoke


@pytest.fixture
def workdir(tmp_path):
    yield tmp_path
    make_writable(tmp_path)
