"""`salesbook batch` throughput at 1 and 2 workers over many small workbooks.

    python bench/batch_scaling.py                          # 200 books × 2,000 leads, 3 rounds
    python bench/batch_scaling.py --books 20 --leads 500 --repeat 1

Builds one sample workbook of ``--leads`` leads (once, ``bench/common.sample_book``);
before every measured run a fresh folder of ``--books`` copies of it is made (not timed),
then ``salesbook batch DIR --workers W --no-progress --today …`` runs in a fresh process.
Rounds alternate the worker counts. Prints median wall time, throughput (workbooks/s and
leads/s), the speed-up over one worker and the peak RSS (of the largest single process of
the pool). A separate small run checks that the progress bar is drawn when asked for.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def fresh_folder(book: Path, count: int) -> Path:
    common.WORK.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="batch-", dir=common.WORK))
    for i in range(count):
        shutil.copyfile(book, folder / f"book-{i:04d}{book.suffix}")
    return folder


def progress_bar_drawn(book: Path) -> bool:
    folder = fresh_folder(book, 3)
    try:
        m = common.measure(common.salesbook_argv("batch", folder, "--workers", "2", "--today",
                                                 common.TODAY.isoformat()))
        return m.returncode in (0, 1) and "3/3" in m.stderr and "book" in m.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--books", type=int, default=200)
    ap.add_argument("--leads", type=int, default=2000)
    ap.add_argument("--workers", default=f"1,{os.cpu_count() or 2}", help="comma-separated worker counts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=common.OUT / "batch_scaling.json")
    args = ap.parse_args(argv)

    workers = sorted({int(w) for w in args.workers.split(",")})
    book = common.sample_book(args.leads)
    load_before = common.load_average()
    print(f"load average before: {load_before}", file=sys.stderr)
    runs: dict[int, list[dict]] = {w: [] for w in workers}
    for rep in range(args.repeat):
        order = workers if rep % 2 == 0 else workers[::-1]
        for w in order:
            folder = fresh_folder(book, args.books)
            try:
                m = common.measure(common.salesbook_argv("batch", folder, "--workers", str(w), "--no-progress",
                                                         "--today", common.TODAY.isoformat()))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            ok = m.returncode in (0, 1)
            runs[w].append(m.as_dict() | {"ok": ok})
            print(f"  run {rep + 1}/{args.repeat}  --workers {w}: {m.wall_s:7.2f} s  "
                  f"{common.fmt(m.peak_mb, '.0f')} MB  exit {m.returncode}  "
                  f"{(m.stdout.strip().splitlines() or [''])[-1]}", file=sys.stderr, flush=True)
    drawn = progress_bar_drawn(book)
    load_after = common.load_average()

    base = common.median(r["wall_s"] for r in runs[workers[0]] if r["ok"])
    rows, summary = [], {}
    for w in workers:
        med = common.median(r["wall_s"] for r in runs[w] if r["ok"])
        peak = common.median(r["peak_mb"] for r in runs[w] if r["ok"])
        cpu = common.median(r.get("cpu_s") for r in runs[w] if r["ok"])
        summary[w] = {"median_wall_s": med, "median_peak_mb": peak, "median_cpu_s": cpu,
                      "books_per_s": args.books / med if med else None,
                      "speedup": base / med if base and med else None}
        rows.append([str(w), common.fmt(med), " / ".join(f"{r['wall_s']:.1f}" for r in runs[w]),
                     common.fmt(summary[w]["books_per_s"]), f"{args.books * args.leads / med:,.0f}" if med else "—",
                     f"{summary[w]['speedup']:.2f}×" if summary[w]["speedup"] else "—", common.fmt(cpu, ".1f"),
                     common.fmt(peak, ".0f")])
    common.write_json(args.json, {"environment": common.environment(), "books": args.books, "leads": args.leads,
                                  "repeat": args.repeat, "load_before": load_before, "load_after": load_after,
                                  "progress_bar_drawn": drawn, "summary": summary, "runs": runs})
    print(f"salesbook batch over {args.books} workbooks × {args.leads:,} leads ({os.cpu_count()} CPUs):")
    print(common.table(rows, ["workers", "median s", "runs s", "books/s", "leads/s", "speed-up", "CPU s",
                              "peak MB"]))
    print(f"Progress bar drawn without --no-progress: {'yes' if drawn else 'NO'}")
    print(f"Load average before {load_before}, after {load_after}; other processes may have been running.")
    print(f"(raw: {args.json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
