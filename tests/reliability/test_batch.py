"""`salesbook batch` over good and hostile files: one bad file never stops the others."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from python_calamine import CalamineWorkbook

from salesbook.atomic import TEMP_PREFIX

from . import corpus
from .conftest import folder_state, temp_files

pytestmark = pytest.mark.slow  # many workbooks through a worker pool: left out of the quick loop; CI runs it

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


# ---- batch in scheduled jobs: never its own by-products as inputs, exit 2 on nothing, wall time ----------

import re  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

from salesbook.batch import not_an_input, select


def _grades(path) -> list[str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()
    grade = rows[0].index("Grade")
    return [r[grade] for r in rows[1:]]


def _by_products(folder):
    """What a scheduled job's folder also holds: a lock file left by a closed Excel, LibreOffice's lock,
    and a temp file of a run still going on in another process (pid 1 is alive)."""
    (folder / "~$gone.xlsx").write_bytes(b"\x04Lily" + b"\x00" * 50)
    (folder / ".~lock.gone.xlsx#").write_text(",Lily,host,01.01.2026 10:00,file:///home/lily;")
    (folder / f"{TEMP_PREFIX}other.xlsx-1-0badc0de.tmp").write_bytes(b"PK\x03\x04 half a workbook")


@pytest.mark.parametrize("how", ["folder", "glob"])
def test_batch_backup_three_times_processes_the_same_books(workdir, cli, how):
    exports = workdir / "exports"
    exports.mkdir()
    for name in ("north.xlsx", "south.xlsx"):
        corpus.good_book(exports / name)
    _by_products(exports)
    args = [exports] if how == "folder" else [f"{exports}/*", f"{exports}/.*"]
    for run in range(3):
        result = cli("batch", *args, "--backup", "--today", corpus.TODAY.isoformat(), "--no-progress")
        assert result.exit_code == 0, result.output
        assert "Processed 2 of 2 workbooks (0 with row problems, 0 failed)" in result.output, (run, result.output)
        assert "FAILED" not in result.output
        backups = "2 backups (*.bak.xlsx, *.bak.xlsm), " if run else ""
        if how == "folder":  # a folder only offers its .xlsx/.xlsm files
            assert f"Skipped 1 Excel lock file (~$*), {backups}".rstrip(", ") in result.output, result.output
        else:
            assert (f"Skipped 1 Excel lock file (~$*), 1 LibreOffice lock file (.~lock.*#), "
                    f"1 salesbook temporary file ({TEMP_PREFIX}*)"
                    + (f", {backups}".rstrip(", ") if run else "") + ".") in result.output, result.output
    names = sorted(p.name for p in exports.iterdir())
    assert names == sorted(["north.xlsx", "north.bak.xlsx", "south.xlsx", "south.bak.xlsx", "~$gone.xlsx",
                            ".~lock.gone.xlsx#", f"{TEMP_PREFIX}other.xlsx-1-0badc0de.tmp"]), names
    for name in ("north.xlsx", "north.bak.xlsx", "south.xlsx", "south.bak.xlsx"):  # all whole, graded books
        assert _grades(exports / name) == ["A", "B", "C", "D", "A", "B"], name


def test_batch_skips_by_products_given_by_name_too(workdir, cli):
    """A shell expands `exports/*.xlsx` before salesbook sees it: the backups arrive as plain names."""
    corpus.good_book(workdir / "north.xlsx")
    corpus.good_book(workdir / "north.bak.xlsx")
    corpus.good_book(workdir / "Q3.BAK.XLSM")
    before = folder_state(workdir)
    result = cli("batch", workdir / "north.xlsx", workdir / "north.bak.xlsx", workdir / "Q3.BAK.XLSM",
                 "--today", corpus.TODAY.isoformat(), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "Skipped 2 backups (*.bak.xlsx, *.bak.xlsm)." in result.output
    assert "Processed 1 of 1 workbooks" in result.output
    after = folder_state(workdir)
    assert after["north.bak.xlsx"] == before["north.bak.xlsx"] and after["Q3.BAK.XLSM"] == before["Q3.BAK.XLSM"]
    assert after["north.xlsx"] != before["north.xlsx"]


def test_not_an_input_names():
    assert not_an_input("exports/North.BAK.xlsx") == "backup"
    assert not_an_input("north.bak.bak.xlsm") == "backup"
    assert not_an_input("~$north.xlsx") == "Excel lock file"
    assert not_an_input(".~lock.north.xlsx#") == "LibreOffice lock file"
    assert not_an_input(f"{TEMP_PREFIX}north.xlsx-123-0badc0de.tmp") == "salesbook temporary file"
    for name in ("north.xlsx", "bakery.xlsx", "north.backup.xlsx", "notes.bak.txt", "x.bak"):
        assert not_an_input(name) is None, name


def test_a_file_name_with_glob_characters_is_taken_as_it_is(workdir):
    book = corpus.good_book(workdir / "report[1].xlsx")
    corpus.good_book(workdir / "report1.xlsx")  # what the name would match as a glob
    assert select([str(book)]) == ([str(book)], [])


@pytest.mark.parametrize("what", ["empty folder", "only backups and locks", "glob matching nothing"])
def test_batch_with_no_workbook_to_process_says_so_and_exits_2(workdir, cli, what):
    exports = workdir / "exports"
    exports.mkdir()
    if what == "only backups and locks":
        corpus.good_book(exports / "north.bak.xlsx")
        _by_products(exports)
    arg = f"{exports}/*.xlsm" if what == "glob matching nothing" else exports
    before = folder_state(exports)
    result = cli("batch", arg, "--backup", "--no-progress")
    assert result.exit_code == 2, result.output
    assert f"Refused: No workbook to process in '{arg}'" in result.output, result.output
    assert "Traceback" not in result.output and "Processed" not in result.output
    assert folder_state(exports) == before


def test_batch_summary_gives_wall_time_and_cpu_time(workdir, cli):
    for name in GOOD:
        corpus.good_book(workdir / name)
    t0 = time.perf_counter()
    result = cli("batch", workdir, "--workers", "2", "--today", corpus.TODAY.isoformat(), "--no-progress")
    elapsed = time.perf_counter() - t0
    assert result.exit_code == 0, result.output
    m = re.search(r"Processed 3 of 3 workbooks \(0 with row problems, 0 failed\) in (\d+\.\d) s "
                  r"\(CPU time (\d+\.\d) s\)\.", result.output)
    assert m, result.output
    wall, cpu = float(m[1]), float(m[2])
    assert 0 < wall <= elapsed + 0.05, (wall, elapsed)
    assert cpu > 0  # the workers' CPU time counts too, so it may exceed the wall time
