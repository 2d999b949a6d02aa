"""A run killed at any moment leaves the original bytes or the complete result, never a mix.

`salesbook run` on a 60,000-lead workbook in a child process, SIGKILLed at moments spread
over its measured runtime and once while the temp file is being written; after each kill
the file is byte-identical to the original or to the result of an uninterrupted run (the
writer is deterministic), which opens with python-calamine with every lead graded. A
normal run afterwards succeeds, cleans the killed runs' temp files and --backup keeps the
previous version. A write that runs out of room (a file size limit, a full tmpfs) is refused
with the original intact.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from salesbook.atomic import TEMP_PREFIX, backup_path

from .conftest import temp_files

pytestmark = pytest.mark.slow  # left out of the quick loop; CI runs it

REPO = Path(__file__).resolve().parents[2]
N_LEADS = 60_000
DAY = dt.date(2026, 11, 18)
FRACTIONS = (0.15, 0.35, 0.55, 0.75, 0.92)


def start_run(book: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "salesbook.cli", "run", str(book), "--today", DAY.isoformat(),
                             *extra], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def graded_leads(path: Path) -> int:
    """How many rows of Leads carry a grade (A–D) — read with python-calamine."""
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()
    g = rows[0].index("Grade")
    return sum(1 for r in rows[1:] if r[g] in ("A", "B", "C", "D"))


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """(original bytes, result bytes of an uninterrupted run, its wall time)."""
    from salesbook.builder.template import write_sample_workbook

    folder = tmp_path_factory.mktemp("big")
    path = write_sample_workbook(folder / "Pipeline.xlsx", N_LEADS, today=DAY)
    original = path.read_bytes()
    t0 = time.monotonic()
    proc = start_run(path)
    out, err = proc.communicate(timeout=300)
    seconds = time.monotonic() - t0
    assert proc.returncode == 0, err.decode()
    result = path.read_bytes()
    assert result != original and graded_leads(path) == N_LEADS
    assert temp_files(folder) == []
    return original, result, seconds


def test_sigkill_at_any_moment_leaves_original_or_complete_result(big, tmp_path):
    original, result, seconds = big
    book = tmp_path / "Pipeline.xlsx"
    seen = []
    for fraction in FRACTIONS:
        book.write_bytes(original)
        proc = start_run(book)
        time.sleep(seconds * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        now = book.read_bytes()
        assert now in (original, result), f"killed at {fraction:.0%} of {seconds:.1f} s: a mix of old and new"
        seen.append("original" if now == original else "result")
        for leftover in temp_files(tmp_path):  # the killed run's temp is never mistaken for the workbook
            assert Path(leftover).name.startswith(TEMP_PREFIX) and Path(leftover).name.endswith(".tmp")
    assert "original" in seen, seen
    print(f"run {seconds:.1f} s; after kills at {FRACTIONS}: {seen}")


def test_sigkill_while_the_temp_file_is_written(big, tmp_path):
    original, result, _ = big
    book = tmp_path / "Pipeline.xlsx"
    book.write_bytes(original)
    proc = start_run(book)
    deadline = time.monotonic() + 120
    while True:  # wait until the new workbook is half written beside the original
        temps = [Path(t) for t in temp_files(tmp_path)]
        sizes = [t.stat().st_size for t in temps if t.exists()]
        if sizes and max(sizes) > 1_000_000:
            break
        assert proc.poll() is None, "the run ended before it was caught writing"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert book.read_bytes() == original
    left = temp_files(tmp_path)
    assert left, "a SIGKILL cannot clean up: the half-written temp file stays ..."
    # ... and the next run, with --backup, cleans it, succeeds and keeps the previous version
    proc = start_run(book, "--backup")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert book.read_bytes() == result and graded_leads(book) == N_LEADS
    assert backup_path(book).read_bytes() == original
    assert temp_files(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([book.name, backup_path(book).name])


# --------------------------------------------------------------------------- a full disk


def _small_book(folder: Path) -> tuple[Path, int]:
    """A 2,000-lead workbook (~290 KB) whose graded result is bigger (~510 KB); returns it and the result size."""
    from salesbook.builder.template import write_sample_workbook

    path = write_sample_workbook(folder / "Pipeline.xlsx", 2000, today=DAY)
    probe = folder / "probe" / "Pipeline.xlsx"
    probe.parent.mkdir()
    probe.write_bytes(path.read_bytes())
    proc = start_run(probe)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    size = probe.stat().st_size
    shutil.rmtree(probe.parent)
    assert size > path.stat().st_size * 1.3
    return path, size


def test_file_size_limit_midway_leaves_the_original(tmp_path):
    """The write fails part way (RLIMIT_FSIZE: EFBIG, as a quota would): refused, original intact, no temp."""
    import resource

    path, result_size = _small_book(tmp_path)
    original = path.read_bytes()
    limit = (len(original) + result_size) // 2

    def limit_writes():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "salesbook.cli", "run", str(path), "--today", DAY.isoformat(),
                           "--backup"], cwd=REPO, env=env, capture_output=True, text=True, preexec_fn=limit_writes,
                          timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Traceback" not in out and "was not changed" in out and path.name in out, out
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp, no backup


def test_disk_full_midway_leaves_the_original(tmp_path):
    """A real full disk (ENOSPC) on a small tmpfs: the preflight sees room for a copy, the write runs out."""
    path, result_size = _small_book(tmp_path)
    original = path.read_bytes()
    disk = tmp_path / "disk"
    disk.mkdir()
    size_kb = (len(original) + (len(original) + result_size) // 2) // 1024
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(disk)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mount.stderr.strip()}); the RLIMIT_FSIZE test covers the write")
    try:
        book = disk / path.name
        book.write_bytes(original)
        proc = start_run(book)
        out, err = proc.communicate(timeout=120)
        text = out.decode() + err.decode()
        assert proc.returncode == 2, text
        assert "The disk is full" in text and "was not changed" in text and "free up disk space" in text, text
        assert book.read_bytes() == original
        assert sorted(p.name for p in disk.iterdir()) == [book.name]
    finally:
        subprocess.run(["umount", str(disk)], check=True)
