"""`salesbook rollup` over many workbooks: wall time at 1 and 2 workers, the speed-up, peak
memory of the client and of each worker, and `salesbook batch` on the same books.

    python bench/rollup_bench.py                       # 400 books × 2,000 leads (cached)
    python bench/rollup_bench.py --books 20 --leads 500

The books are written once with the project's own sample generator into a cache folder.
Each command runs in a fresh process; memory is sampled with psutil over that process and
its children (the Dask workers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

TODAY = dt.date(2026, 11, 20)


def books(n: int, leads: int) -> Path:
    from salesbook.builder.template import write_sample_workbook

    folder = Path(tempfile.gettempdir()) / f"salesbook-rollup-bench-{n}x{leads}"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        path = folder / f"rep-{i:04d}.xlsx"
        if not path.exists():
            write_sample_workbook(path, leads, seed=i + 1, today=TODAY)
    return folder


def measure(argv: list[str]) -> dict:
    """Wall time, and peak RSS of the process and of each child (sampled every 50 ms)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peak_client, peak_child = 0, 0
    done = threading.Event()

    def sample():
        nonlocal peak_client, peak_child
        while not done.is_set():
            try:
                peak_client = max(peak_client, ps.memory_info().rss)
                for c in ps.children(recursive=True):
                    try:
                        peak_child = max(peak_child, c.memory_info().rss)
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
    return {"wall": time.perf_counter() - t0, "client_mb": peak_client / 2**20, "worker_mb": peak_child / 2**20,
            "rc": proc.returncode, "line": out.decode().strip().splitlines()[-1:] or err.decode()[-300:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--books", type=int, default=400)
    ap.add_argument("--leads", type=int, default=2000)
    args = ap.parse_args()
    folder = books(args.books, args.leads)
    exe = [sys.executable, "-m", "salesbook.cli"]
    out = Path(tempfile.gettempdir()) / "salesbook-rollup-bench-TEAM.xlsx"
    print(f"{args.books} workbooks × {args.leads:,} leads; {os.cpu_count()} CPUs; load {os.getloadavg()}")
    res = {}
    for w in (1, 2):
        out.unlink(missing_ok=True)
        res[w] = measure(exe + ["rollup", str(folder), "-o", str(out), "--workers", str(w), "--today",
                                TODAY.isoformat(), "--no-progress"])
        print(f"rollup --workers {w}: {res[w]['wall']:.1f} s, client peak {res[w]['client_mb']:.0f} MB, "
              f"worker peak {res[w]['worker_mb']:.0f} MB  {res[w]['line']}")
    print(f"speed-up 1 → 2 workers: {res[1]['wall'] / res[2]['wall']:.2f}×")
    b = measure(exe + ["batch", str(folder), "--workers", "2", "--only", "funnel", "--today", TODAY.isoformat(),
                       "--no-progress"])
    print(f"batch --workers 2 (writes every book): {b['wall']:.1f} s  {b['line']}")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
