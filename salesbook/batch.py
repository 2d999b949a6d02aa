"""Many workbooks at once: Dask workers (salesbook.team.cluster), a progress bar, one summary.

One bad file never stops the others; each failure is reported with its reason.
Files that are never inputs (``--backup`` copies, Excel/LibreOffice lock files, the
add-in's own temp files) are skipped however they are named (folder, glob or file
name), so a scheduled ``batch DIR --backup`` processes the same books every time.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from salesbook.errors import Refusal
from salesbook.adapters.files.safety import TEMP_PREFIX

BOOK_SUFFIXES = (".xlsx", ".xlsm")
# file-name rules (on the lower-cased name, in this order) -> what the file is, and its pattern
NOT_INPUTS = (
    (lambda n: n.startswith("~$"), "Excel lock file", "~$*"),
    (lambda n: n.startswith(".~lock."), "LibreOffice lock file", ".~lock.*#"),
    (lambda n: n.startswith(TEMP_PREFIX), "salesbook temporary file", f"{TEMP_PREFIX}*"),
    (lambda n: n.endswith(tuple(".bak" + s for s in BOOK_SUFFIXES)), "backup", "*.bak.xlsx, *.bak.xlsm"),
)


@dataclass
class BatchItem:
    path: str
    ok: bool
    exit_code: int
    message: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def not_an_input(path: str | os.PathLike) -> str | None:
    """What a file is when batch must never process it (a backup, a lock file, a temp file), else None."""
    name = os.path.basename(os.fspath(path)).lower()
    return next((what for rule, what, _ in NOT_INPUTS if rule(name)), None)


def skipped_summary(skipped: list[tuple[str, str]]) -> str:
    """'Skipped 3 backups (*.bak.xlsx, *.bak.xlsm), 1 Excel lock file (~$*).'"""
    counts = {what: sum(1 for _, w in skipped if w == what) for _, what, _ in NOT_INPUTS}
    parts = [f"{n:,} {what}{'s' if n != 1 else ''} ({pattern})"
             for _, what, pattern in NOT_INPUTS if (n := counts[what])]
    return "Skipped " + ", ".join(parts) + "." if parts else ""


def select(paths: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(the workbooks to process, the files skipped with what they are).

    Files as given, folders as their .xlsx/.xlsm files, globs expanded (a name that exists
    is taken as it is, even with [ ] in it); backups, lock files and temp files skipped."""
    found: list[str] = []
    for p in paths:
        matches = sorted(glob.glob(p)) if any(ch in p for ch in "*?[") and not os.path.exists(p) else [p]
        for m in matches:
            if os.path.isdir(m):
                found += sorted(str(f) for f in Path(m).iterdir() if f.suffix.lower() in BOOK_SUFFIXES)
            else:
                found.append(m)
    seen: set[str] = set()
    files, skipped = [], []
    for f in found:
        if f in seen:
            continue
        seen.add(f)
        what = not_an_input(f)
        if what:
            skipped.append((f, what))
        else:
            files.append(f)
    return files, skipped


def expand(paths: list[str]) -> list[str]:
    """The workbooks ``paths`` stand for (see :func:`select`)."""
    return select(paths)[0]


def _one(path: str, only, today: dt.date | None, force: bool, backup: bool, settings=None) -> BatchItem:
    import time

    from salesbook import service

    _worker_started()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        with service._file(path, output=None, backup=backup, force=force) as workbook:
            r = service.run_on(workbook, only=only, today=today, settings=settings)  # settings: --settings, or None
        item = BatchItem(path, True, r.exit_code, r.summary)
    except Refusal as exc:
        item = BatchItem(path, False, exc.exit_code, exc.message)
    except Exception as exc:  # one broken file must not stop the batch
        item = BatchItem(path, False, 2, f"unexpected error: {type(exc).__name__}: {exc}")
    item.seconds, item.cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    return item


def _worker_started() -> None:
    """A batch worker process's own memory choice (the CLI makes it for its own process). Idempotent."""
    from salesbook.adapters.files import memory

    memory.use_system_allocator()


def _failed(item: tuple[str, str], exc: BaseException) -> BatchItem:
    """A worker died (killed, out of memory) or the task could not run there."""
    return BatchItem(item[0], False, 2, f"worker failed: {exc}")


def _task(item: tuple[str, str], **kw) -> BatchItem:
    """(the path as given, the path the worker opens) -> the item, named as given."""
    result = _one(item[1], **kw)
    result.path = item[0]
    return result


def run_batch(paths: list[str], *, workers: int = 1, only=None, today: dt.date | None = None, force: bool = False,
              backup: bool = False, progress: bool = True, scheduler: str | None = None, settings=None,
              echo=None) -> list[BatchItem]:
    """Run every workbook ``paths`` stand for (``select``), in the order given: in this process for
    one worker (or one book), else on Dask workers (``salesbook.team.cluster``); ``scheduler``: an
    existing Dask cluster, whose workers open the books by their absolute paths."""
    from salesbook.team.cluster import map_books

    files = expand(paths)
    items = [(f, os.path.abspath(f) if scheduler else f) for f in files]
    task = partial(_task, only=only, today=today, force=force, backup=backup, settings=settings)
    return map_books(task, items, workers=workers, scheduler=scheduler, progress=progress, on_error=_failed,
                     echo=echo)
