"""`salesbook rollup` over many workbooks: wall time at 1 and 2 workers and the speed-up, peak
memory of the client and of each worker, and `salesbook batch` on the same books at 1 and 2
workers; the machine's load before and after.

    python bench/rollup_bench.py                       # 400 books × 2,000 leads (cached), 3 pairs
    python bench/rollup_bench.py --books 20 --leads 2000 --repeat 1
    python bench/rollup_bench.py --books 100 --no-batch   # rollup only (iterating on it)

The rollup runs in pairs, ``--repeat`` times: one at 1 worker, then one at 2, so a slower
minute of a shared machine falls on both sides. The speed-up is the ratio of the two medians;
each pair's own ratio is printed beside it.

The books are written once with the project's own sample generator into a cache folder
(in the system's temporary folder); rollup only reads them, and every batch run works on a
fresh copy of them (batch writes its books), so the cache is never written after it is made.

Each run is a fresh process: rollup through ``salesbook.team.rollup.rollup`` (what the
command calls), which also reports its phases (workers ready, books, reduce, write) and each
book's own seconds; batch through the ``salesbook batch`` command. Memory is sampled with
psutil every 50 ms: the run's process (the client; with 2 workers the Dask scheduler runs in
it too) and each Dask worker process below it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

TODAY = dt.date(2026, 11, 20)
MB = 2**20


def books(n: int, leads: int) -> Path:
    """The cache folder of ``n`` sample books of ``leads`` leads (written once)."""
    from salesbook.builder.template import write_sample_workbook

    folder = Path(tempfile.gettempdir()) / f"salesbook-rollup-bench-{n}x{leads}"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        path = folder / f"rep-{i:04d}.xlsx"
        if not path.exists():
            write_sample_workbook(path, leads, seed=i + 1, today=TODAY)
    return folder


def _is_worker(proc: psutil.Process) -> bool:
    """A Dask worker process (multiprocessing's spawn), not its resource tracker."""
    try:
        return "spawn_main" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def measure(argv: list[str]) -> dict:
    """Run ``argv``; its wall time, its output, and peak RSS of it and of each worker process."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peaks: dict[int, int] = {}
    workers: set[int] = set()
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peaks[proc.pid] = max(peaks.get(proc.pid, 0), ps.memory_info().rss)
                for c in ps.children(recursive=True):
                    try:
                        if c.pid not in workers and _is_worker(c):
                            workers.add(c.pid)
                        if c.pid in workers:
                            peaks[c.pid] = max(peaks.get(c.pid, 0), c.memory_info().rss)
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    done.set()
    th.join()
    lines = out.decode().strip().splitlines()
    return {"wall": time.perf_counter() - t0, "client_mb": peaks.get(proc.pid, 0) / MB,
            "worker_mb": sorted((peaks[p] / MB for p in workers), reverse=True), "rc": proc.returncode,
            "last": lines[-1] if lines else err.decode()[-400:], "load": load}


def child_rollup(folder: str, out: str, workers: int) -> None:
    """In a fresh process: one rollup; its figures as one JSON line."""
    t0 = time.perf_counter()
    from salesbook.batch import select
    from salesbook.team.rollup import rollup

    files, _ = select([folder])
    result = rollup(files, out, today=TODAY, workers=workers, progress=False)
    t = result.timings
    secs, cpu = t.pop("book_seconds"), t.pop("book_cpu")
    print(json.dumps({"wall": time.perf_counter() - t0, **t, "book_mean": sum(secs) / max(len(secs), 1),
                      "book_median": sorted(secs)[len(secs) // 2] if secs else 0.0,
                      "book_cpu": sum(cpu) / max(len(cpu), 1),
                      "exit": result.exit_code, "summary": result.summary}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--books", type=int, default=400)
    ap.add_argument("--leads", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3, help="pairs of rollup runs (1 then 2 workers); medians")
    ap.add_argument("--no-batch", action="store_true", help="rollup only: leave out the batch runs")
    ap.add_argument("--child", nargs=3, metavar=("FOLDER", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_rollup(args.child[0], args.child[1], int(args.child[2]))
        return
    load_before = os.getloadavg()
    folder = books(args.books, args.leads)
    out = Path(tempfile.gettempdir()) / "salesbook-rollup-bench-TEAM.xlsx"
    print(f"{args.books} workbooks × {args.leads:,} leads = {args.books * args.leads:,} leads; "
          f"{os.cpu_count()} CPUs; load before {' '.join(f'{x:.2f}' for x in load_before)}")
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for k in range(args.repeat):
        for w in (1, 2):
            out.unlink(missing_ok=True)
            m = measure([sys.executable, __file__, "--child", str(folder), str(out), str(w)])
            try:
                m.update(json.loads(m["last"]))
            except ValueError:
                raise SystemExit(f"rollup --workers {w} failed: {m['last']}") from None
            runs[w].append(m)
            where = "in process" if w == 1 else "on a worker"
            workers = ", ".join(f"{x:.0f}" for x in m["worker_mb"]) or "—"
            print(f"[{k + 1}/{args.repeat}] rollup --workers {w}: {m['wall']:.1f} s (workers ready {m['start']:.1f} s, "
                  f"books {m['books']:.1f} s, reduce {m['reduce']:.1f} s, write {m['write']:.1f} s; "
                  f"{m.get('tasks', '?')} tasks); load at start {m['load']:.2f}\n"
                  f"  one book {where}: {m['book_mean'] * 1000:.0f} ms mean, {m['book_median'] * 1000:.0f} ms median, "
                  f"{m['book_cpu'] * 1000:.0f} ms CPU; peak client {m['client_mb']:.0f} MB, per worker [{workers}] MB",
                  flush=True)
    median = {w: statistics.median(m["wall"] for m in runs[w]) for w in runs}
    pairs = [a["wall"] / b["wall"] for a, b in zip(runs[1], runs[2])]
    print(f"rollup median of {args.repeat}: {median[1]:.1f} s at 1 worker, {median[2]:.1f} s at 2; peak client "
          f"{max(m['client_mb'] for w in runs for m in runs[w]):.0f} MB, per worker "
          f"{max((x for m in runs[2] for x in m['worker_mb']), default=0):.0f} MB")
    print(f"rollup speed-up 1 → 2 workers: {median[1] / median[2]:.2f}× (medians; pairs "
          f"{', '.join(f'{r:.2f}×' for r in pairs)})  ({runs[2][-1]['summary']})")
    walls = {}
    for w in (() if args.no_batch else (1, 2)):
        with tempfile.TemporaryDirectory(prefix="salesbook-rollup-bench-batch-") as tmp:
            copy = Path(tmp) / "books"
            shutil.copytree(folder, copy)  # batch writes its books: never the cache
            m = measure([sys.executable, "-m", "salesbook.cli", "batch", str(copy), "--workers", str(w), "--today",
                         TODAY.isoformat(), "--no-progress"])
        walls[w] = m["wall"]
        workers = ", ".join(f"{x:.0f}" for x in m["worker_mb"]) or "—"
        print(f"batch --workers {w} (every rule, every book written): {m['wall']:.1f} s; peak client "
              f"{m['client_mb']:.0f} MB, per worker [{workers}] MB; load at start {m['load']:.2f}  {m['last']}")
    if walls:
        print(f"batch speed-up 1 → 2 workers: {walls[1] / walls[2]:.2f}×")
    print(f"load after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
