"""`salesbook batch` over good and hostile files: one bad file never stops the others."""

from __future__ import annotations

import shutil
import subprocess
import sys

from python_calamine import CalamineWorkbook

from salesbook.xlsx.safety import TEMP_PREFIX

from . import corpus
from .conftest import folder_state, temp_files

# file name in the batch folder -> (builder, what its FAILED line must say)
BAD = {
    "truncated.xlsx": (corpus.truncated_zip, "is damaged or incomplete"),
    "locked.xlsx": (corpus.password_protected, "is password-protected"),
    "bomb.xlsx": (corpus.zip_bomb, "'zip bomb'"),
    "entity.xlsx": (corpus.entity_in_sheet, "entity declaration"),
    "budget.xlsx": (corpus.no_lead_table, "No lead table found"),
    "nostage.xlsx": (corpus.missing_required_column, "'Stage' (阶段)"),
    "twoowners.xlsx": (corpus.duplicate_headers, "'Owner' appears twice"),
    "readonly.xlsx": (corpus.read_only_file, "is read-only"),
    "picture.xlsx": (corpus.not_a_workbook, "is not an Excel workbook"),
}
# given by name beside the folder (a folder only contributes its .xlsx/.xlsm files)
BAD_LOOSE = {
    "old.xls": (corpus.old_xls, "old Excel 97-2003 (.xls)"),
    "export.csv": (corpus.csv_file, "is a CSV text file"),
    "calc.ods": (corpus.ods_file, "OpenDocument spreadsheet"),
}
GOOD = ["north.xlsx", "south.xlsx", "east.xlsx"]


def _place(builder, folder, name, scratch):
    scratch.mkdir()
    made = builder(scratch)
    target = folder / name
    shutil.move(str(made), target)
    return target


def test_batch_keeps_going_and_lists_every_failure(workdir, cli):
    exports = workdir / "exports"
    exports.mkdir()
    for name in GOOD:
        corpus.good_book(exports / name)
    corpus.good_book(exports / "west.xlsx")
    (exports / "~$west.xlsx").write_bytes(b"\x04Lily" + b"\x00" * 50)  # west is open in Excel
    bad = {name: _place(b, exports, name, workdir / f"s-{name}") for name, (b, _) in BAD.items()}
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = exports / f"{TEMP_PREFIX}north.xlsx-{int(dead.stdout)}-0badc0de.tmp"  # left by a killed run
    stale.write_bytes(b"PK\x03\x04 half a workbook")
    loose_folder = workdir / "loose"
    loose_folder.mkdir()
    loose = {name: _place(b, loose_folder, name, workdir / f"s-{name}") for name, (b, _) in BAD_LOOSE.items()}
    before = folder_state(exports) | folder_state(loose_folder)
    result = cli("batch", exports, *loose.values(), "--workers", "2", "--today", corpus.TODAY.isoformat(),
                 "--no-progress")
    out = result.output
    assert result.exit_code == 2, out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in out
    n_bad = len(BAD) + len(BAD_LOOSE) + 1
    total = len(GOOD) + n_bad
    assert f"Processed {len(GOOD)} of {total} workbooks (0 with row problems, {n_bad} failed)" in out
    failed = [line.strip() for line in out.splitlines() if line.strip().startswith("FAILED ")]
    assert len(failed) == n_bad, failed
    for name, (_, reason) in (BAD | BAD_LOOSE).items():
        line = next((f for f in failed if f.startswith(f"FAILED {bad.get(name) or loose.get(name)}:")), None)
        assert line is not None, (name, failed)
        assert reason in line, (name, line)
    west = next(f for f in failed if "west.xlsx" in f)
    assert "is open in Excel by Lily" in west
    for name in GOOD:  # the good ones are graded
        rows = CalamineWorkbook.from_path(str(exports / name)).get_sheet_by_name("Leads").to_python()
        grade = rows[0].index("Grade")
        assert [r[grade] for r in rows[1:]] == ["A", "B", "C", "D", "A", "B"], name
    after = folder_state(exports) | folder_state(loose_folder)
    for name in list(BAD) + ["west.xlsx", "~$west.xlsx"]:  # the failed ones are untouched
        assert after[name] == before[name], name
    for name in BAD_LOOSE:
        assert after[name] == before[name], name
    assert temp_files(workdir) == []  # north's run removed the dead run's temp; the batch never opened it
    assert not [n for n in after if ".bak" in n]


def test_batch_of_only_good_files_exits_0(workdir, cli):
    for name in GOOD:
        corpus.good_book(workdir / name)
    result = cli("batch", workdir, "--workers", "2", "--today", corpus.TODAY.isoformat(), "--no-progress")
    assert result.exit_code == 0, result.output
    assert f"Processed {len(GOOD)} of {len(GOOD)} workbooks (0 with row problems, 0 failed)" in result.output
