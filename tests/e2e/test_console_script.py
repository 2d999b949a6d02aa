"""The `salesbook` console script (cli.entry) ends without the interpreter's teardown: its output
must still reach a pipe in full, and its exit code must be the command's."""

from __future__ import annotations

import pytest

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from python_calamine import CalamineWorkbook

from salesbook.builder.template import write_sample_workbook

REPO = Path(__file__).resolve().parents[2]


def _entry(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", "from salesbook.cli import entry; entry()", *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_the_console_script_flushes_its_output_and_keeps_the_exit_code(tmp_path):
    book = write_sample_workbook(tmp_path / "b.xlsx", 40, today=dt.date(2026, 11, 18))
    done = _entry("run", book, "--today", "2026-11-18", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Graded 40 leads:") and done.stdout.endswith("\n")  # the whole line, piped
    assert CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Funnel").to_python()[0][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx"]  # no temporary file left behind

    (tmp_path / "bad.xlsx").write_text("not a workbook")
    refused = _entry("run", tmp_path / "bad.xlsx", cwd=tmp_path)
    assert refused.returncode == 2
    assert "Refused" in refused.stderr and "bad.xlsx" in refused.stderr

    usage = _entry("run", cwd=tmp_path)
    assert usage.returncode == 2 and "Missing argument" in usage.stderr
