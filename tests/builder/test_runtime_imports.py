"""The builder is build-only: importing salesbook and running run, check and archive never load it.

`salesbook.builder` (and XlsxWriter, its template and sample data) is imported by
`salesbook build-workbook` and `salesbook demo` only. A fresh interpreter imports the package,
the CLI and the service, runs the three file commands through the API and through the CLI on a
copy of the shipped workbook, and lists what it loaded.
"""

from __future__ import annotations

import pytest

import json
import os
import shutil
import subprocess
import sys

from openpyxl import load_workbook

from salesbook.builder.shipped import SAMPLE_LEADS

from .paths import REPO, WORKBOOK

SCRIPT = r"""
import datetime as dt, json, sys
import salesbook, salesbook.cli, salesbook.service
from click.testing import CliRunner

book, other = sys.argv[1], sys.argv[2]
loaded = {"import": sorted(sys.modules)}
results = [salesbook.run(book, today=dt.date(2026, 12, 1)).exit_code,
           salesbook.service.check(book).exit_code,
           salesbook.service.archive(book, dry_run=True).exit_code]
for args in (["run", other, "--today", "2026-12-01"], ["check", other], ["archive", other, "--dry-run"], ["--help"], ["run", "--help"]):
    results.append(CliRunner().invoke(salesbook.cli.main, args).exit_code)
loaded["after"] = sorted(sys.modules)
print(json.dumps({"results": results, "loaded": loaded}))
"""


def _builder_modules(names: list[str]) -> list[str]:
    return [n for n in names if n == "salesbook.builder" or n.startswith("salesbook.builder.")
            or n == "xlsxwriter" or n.startswith("xlsxwriter.")]


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_run_check_archive_never_import_the_builder(tmp_path):
    book, other = tmp_path / "api.xlsm", tmp_path / "cli.xlsm"
    shutil.copy(WORKBOOK, book)
    shutil.copy(WORKBOOK, other)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(book), str(other)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "salesbook.service" in out["loaded"]["after"] and "salesbook.cli" in out["loaded"]["import"]
    assert all(code in (0, 1) for code in out["results"]), out["results"]
    assert _builder_modules(out["loaded"]["import"]) == []
    assert _builder_modules(out["loaded"]["after"]) == []
    # the commands really ran: run rewrote both copies (as of another day), which openpyxl still reads
    for path in (book, other):
        assert path.read_bytes() != WORKBOOK.read_bytes()
        leads = load_workbook(path, read_only=True)["Leads"]
        assert sum(1 for row in leads.iter_rows(min_row=2, values_only=True) if row[0]) == SAMPLE_LEADS
