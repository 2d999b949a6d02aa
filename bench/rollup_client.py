"""The work `salesbook rollup` does alone in its own process (the client), after the books:
reduce, sheet models, writing TEAM.xlsx — on many synthetic partial tables, without running
the books themselves.

    python bench/rollup_client.py                        # 400 partials from 20 real books × 2,000 leads
    python bench/rollup_client.py --books 100 --from 10
    python bench/rollup_client.py --keep /tmp/partials   # the partials kept for the next run

The real books are rollup_bench.py's cached sample books. Each one's per-workbook step runs
once (``salesbook.team.partials.book_partial``, in a child process); its contact keys are then
made again for every copy from the book's contact columns with their texts changed per copy
(the e-mail's name, the company's name and digits inside the phones' last seven), so the copies
are no duplicates of each other while each book's duplicates with the other real books stay.
Every partial is pickled, one file each, as a worker sends it.

Then, each in a fresh process:

1. phase by phase: all partials unpickled (what the client holds when the books are done),
   ``reduce`` (as ``rollup`` calls it), ``report.sheets`` and ``team_book.write_report``, with
   each phase's seconds and the process's peak resident memory during it (psutil, every 5 ms)
   and the kernel's peak for the whole process (``ru_maxrss``); ``distributed`` is imported
   first, as the client has it;
2. ``rollup`` itself on a LocalCluster of ``--dask`` workers (2; 0 leaves it out) whose tasks
   hand back the pickled partials instead of reading books: the client's peak with Dask's
   scheduler and the results' transfer in it, and rollup's own phases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MB = 2**20
TODAY = dt.date(2026, 11, 20)


def build(folder: Path, n_from: int, n_books: int, out: Path) -> None:
    """In a child process: ``n_books`` pickled partials (one file each, in the folder ``out``)
    from the first ``n_from`` books."""
    import numpy as np
    import pandas as pd

    from salesbook.batch import select
    from salesbook.team import duplicates
    from salesbook.team.partials import book_partial
    from salesbook.team.rollup import plan

    files = select([str(folder)])[0][:n_from]
    the_plan = plan(settings=None, today=TODAY, period=None)
    captured = {}
    real_keys = duplicates.book_keys

    def capture(f, raw, region):
        keep_raw = [c for c in ("email", "phone", "mobile", "email_phone") if c in raw]
        captured["fr"] = (f[["blank_row", "company", "contact", "lead_id", "owner"]].copy(), raw[keep_raw].copy())
        return real_keys(f, raw, region)

    duplicates.book_keys = capture
    sources = []
    for path in files:
        part = book_partial(path, the_plan)
        sources.append((part, captured.pop("fr")))
    duplicates.book_keys = real_keys
    digits7 = re.compile(r"(\d)(\D*)(\d)(\D*)(\d)(\D*)(\d{4}\D*)$")

    def changed(k: int, f: pd.DataFrame, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        f, raw = f.copy(), raw.copy()
        add = f"{k * 137 % 1000:03d}"

        def phone(s: pd.Series) -> pd.Series:
            def one(m: re.Match) -> str:  # digits 5 to 7 from the end, plus k × 137 (a bijection per copy)
                d = f"{(int(m.group(1) + m.group(3) + m.group(5)) + int(add)) % 1000:03d}"
                return d[0] + m.group(2) + d[1] + m.group(4) + d[2] + m.group(6) + m.group(7)
            t = s.astype(object)
            has = t.notna() & ~t.astype(str).str.contains("@", regex=False)
            t[has] = t[has].astype(str).str.replace(digits7, one, regex=True)
            return t

        for col in ("phone", "mobile", "email_phone"):
            if col in raw:
                raw[col] = phone(raw[col])
        for col in ("email", "email_phone"):
            if col in raw:
                t = raw[col].astype(object)
                has = t.notna() & t.astype(str).str.contains("@", regex=False)
                t[has] = t[has].astype(str).str.replace("@", f".c{k}@", n=1, regex=False)
                raw[col] = t
        f["company"] = (f"C{k} " + f["company"].astype(object).astype(str)).where(f["company"].notna(), None)
        return f, raw

    out.mkdir(parents=True, exist_ok=True)
    for i in range(n_books):
        k, j = divmod(i, len(sources))
        part, (f, raw) = sources[j]
        copy = pickle.loads(pickle.dumps(part))
        copy.path = str(Path(part.path).with_name(f"{Path(part.path).stem}-copy{k:03d}.xlsx"))
        if k:
            copy.keys, copy.phone_ends = duplicates.book_keys(*changed(k, f, raw), the_plan.phone_region)
        (out / f"{i:05d}.pickle").write_bytes(pickle.dumps(copy, protocol=pickle.HIGHEST_PROTOCOL))
    del np


class Peak:
    """The process's peak RSS while a ``with`` block runs (psutil, every 5 ms)."""

    def __init__(self):
        import psutil

        self._proc = psutil.Process()
        self.mb = 0.0

    def __enter__(self):
        self._done = threading.Event()
        self.mb = self._proc.memory_info().rss / MB
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        self._t0 = time.perf_counter()
        return self

    def _sample(self):
        while not self._done.is_set():
            self.mb = max(self.mb, self._proc.memory_info().rss / MB)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._t0
        self._done.set()
        self._t.join()
        self.mb = max(self.mb, self._proc.memory_info().rss / MB)


def client(partials: Path, output: Path) -> None:
    """In a fresh process: what the client does after the books, phase by phase."""
    import resource

    import distributed  # noqa: F401  (the client has it loaded)
    import psutil

    from salesbook.adapters.files import memory
    from salesbook.adapters.files.team_book import write_report
    from salesbook.team.reduce import reduce
    from salesbook.team.report import sheets
    from salesbook.team.rollup import plan

    memory.use_system_allocator()  # as the command does
    the_plan = plan(settings=None, today=TODAY, period=None)
    rss = psutil.Process().memory_info().rss / MB
    print(f"client at start (salesbook, distributed imported): {rss:.0f} MB")
    files = sorted(partials.glob("*.pickle"))
    with Peak() as p:
        parts = [pickle.loads(f.read_bytes()) for f in files]
    print(f"partials unpickled ({len(files)} books, {sum(f.stat().st_size for f in files) / MB:.0f} MB pickled): "
          f"{p.seconds:.1f} s, {psutil.Process().memory_info().rss / MB:.0f} MB held")
    with Peak() as p:
        fig = reduce(parts, the_plan, region=the_plan.phone_region, consume=True)  # as rollup does
    print(f"reduce: {p.seconds:.2f} s, peak {p.mb:.0f} MB")
    del parts
    memory.release()
    with Peak() as p:
        models = sheets(fig)
    print(f"sheet models: {p.seconds:.2f} s, peak {p.mb:.0f} MB")
    output.unlink(missing_ok=True)
    with Peak() as p:
        write_report(output, models, force=True)
    print(f"write TEAM.xlsx ({output.stat().st_size / MB:.0f} MB): {p.seconds:.2f} s, peak {p.mb:.0f} MB")
    print(f"{fig.leads:,} leads, {len(fig.flagged):,} flagged, {len(fig.cross):,} in two books; "
          f"client peak (ru_maxrss) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _load(item: tuple[str, str], plan) -> object:
    """A Dask task in place of the per-workbook step: the pickled partial of ``item``."""
    return pickle.loads(Path(item[1]).read_bytes())


def through_dask(partials: Path, output: Path, workers: int) -> None:
    """In a fresh process: ``rollup`` itself on a LocalCluster of ``workers``, each task handing
    back a pickled partial instead of reading a book; the process's peak RSS (psutil)."""
    import salesbook.team.rollup as rollup_mod

    rollup_mod._task = _load  # found when rollup() starts; pickled by value (this is __main__)
    files = [str(f) for f in sorted(partials.glob("*.pickle"))]
    output.unlink(missing_ok=True)
    with Peak() as p:
        result = rollup_mod.rollup(files, output, today=TODAY, workers=workers, progress=False)
    t = result.timings
    print(f"rollup through Dask, {workers} workers, {len(files)} partials: {p.seconds:.1f} s (workers ready "
          f"{t['start']:.1f} s, books {t['books']:.1f} s, reduce {t['reduce']:.2f} s, write {t['write']:.2f} s); "
          f"client peak {p.mb:.0f} MB  ({result.summary})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--books", type=int, default=400, help="synthetic partial tables (default 400)")
    ap.add_argument("--from", dest="n_from", type=int, default=20, help="real books they are made from (20)")
    ap.add_argument("--leads", type=int, default=2000)
    ap.add_argument("--output", default=str(Path(tempfile.gettempdir()) / "salesbook-rollup-client-TEAM.xlsx"))
    ap.add_argument("--keep", help="the partials' folder: made when missing, kept")
    ap.add_argument("--dask", type=int, metavar="WORKERS", default=2,
                    help="then rollup itself on a LocalCluster of WORKERS handing back the partials (0: not)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        if args.child[0] == "build":
            build(Path(args.child[1]), int(args.child[2]), int(args.child[3]), Path(args.child[4]))
        elif args.child[0] == "dask":
            through_dask(Path(args.child[1]), Path(args.child[2]), int(args.child[3]))
        else:
            client(Path(args.child[1]), Path(args.child[2]))
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from rollup_bench import books

    folder = books(args.n_from, args.leads)
    with tempfile.TemporaryDirectory(prefix="salesbook-rollup-client-") as tmp:
        pick = Path(args.keep) if args.keep else Path(tmp) / "partials"
        if not pick.exists():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--child", "build", str(folder), str(args.n_from),
                            str(args.books), str(pick)], check=True)
            print(f"{args.books} partials from {args.n_from} books × {args.leads:,} leads built in "
                  f"{time.perf_counter() - t0:.0f} s")
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        subprocess.run([sys.executable, __file__, "--child", "client", str(pick), args.output], check=True, env=env)
        if args.dask:
            subprocess.run([sys.executable, __file__, "--child", "dask", str(pick), args.output, str(args.dask)],
                           check=True, env=env)


if __name__ == "__main__":
    main()
