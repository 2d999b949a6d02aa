"""Many workbooks at once: a process pool, a progress bar, one summary.

One bad file never stops the others; each failure is reported with its reason.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .errors import Refusal

BOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class BatchItem:
    path: str
    ok: bool
    exit_code: int
    message: str
    seconds: float = 0.0


def expand(paths: list[str]) -> list[str]:
    """Files as given, folders as their .xlsx/.xlsm files, globs expanded; Excel's ~$ owner files skipped."""
    out: list[str] = []
    for p in paths:
        matches = sorted(glob.glob(p)) if any(ch in p for ch in "*?[") else [p]
        for m in matches:
            if os.path.isdir(m):
                out += sorted(str(f) for f in Path(m).iterdir()
                              if f.suffix.lower() in BOOK_SUFFIXES and not f.name.startswith("~$"))
            elif not os.path.basename(m).startswith("~$"):
                out.append(m)
    seen = set()
    return [p for p in out if not (p in seen or seen.add(p))]


def _one(path: str, only, today: dt.date | None, force: bool, backup: bool) -> BatchItem:
    import time

    from . import service

    t0 = time.perf_counter()
    try:
        r = service.run(path, only=only, today=today, force=force, backup=backup)
        return BatchItem(path, True, r.exit_code, r.summary, time.perf_counter() - t0)
    except Refusal as exc:
        return BatchItem(path, False, exc.exit_code, exc.message, time.perf_counter() - t0)
    except Exception as exc:  # one broken file must not stop the batch
        return BatchItem(path, False, 2, f"unexpected error: {type(exc).__name__}: {exc}", time.perf_counter() - t0)


def run_batch(paths: list[str], *, workers: int = 1, only=None, today: dt.date | None = None, force: bool = False,
              backup: bool = False, progress: bool = True) -> list[BatchItem]:
    files = expand(paths)
    results: list[BatchItem] = []
    bar = tqdm(total=len(files), unit="book", disable=not progress, dynamic_ncols=True)
    try:
        if workers <= 1:
            for f in files:
                results.append(_one(f, only, today, force, backup))
                bar.update(1)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(_one, f, only, today, force, backup): f for f in files}
                for fut in as_completed(futures):
                    try:
                        results.append(fut.result())
                    except Exception as exc:  # a worker died (killed, out of memory)
                        results.append(BatchItem(futures[fut], False, 2, f"worker failed: {exc}"))
                    bar.update(1)
    finally:
        bar.close()
    order = {f: i for i, f in enumerate(files)}
    return sorted(results, key=lambda r: order.get(r.path, 0))
