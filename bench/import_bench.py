"""`salesbook import` of a weekly CSV export against `salesbook run` on the same book, in one run.

    python bench/import_bench.py                        # 100,000 leads, a 100,000-row export
    python bench/import_bench.py --sizes 2000           # a quick smoke run

For every size it builds the sample workbook once (``bench/common.sample_book``) and, from its
lead table as salesbook reads it, a CRM-like weekly export with pandas: the same number of rows,
of which 5 % are new Lead IDs, 5 % of the book's leads are missing (vanished from the CRM), 10 %
moved to the next stage and 5 % got a new Deal Value. Then, each in a fresh process on a fresh
copy of the book (the copy is not timed): ``salesbook run BOOK`` and ``salesbook import EXPORT
--into BOOK`` (which merges, then runs everything: Run All). It prints both wall times, the ratio
import / run (the target: at most 2) and the peak memory of each, and writes them to
``bench/out/import.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

MAX_RATIO = 2.0


def make_export(book: Path, path: Path, seed: int = 11) -> dict:
    """A weekly export of ``book``'s leads (see the module docstring) as UTF-8 CSV."""
    import numpy as np
    import pandas as pd

    from salesbook.adapters.files.workbook import FileWorkbook
    from salesbook.rules.prepare import canonical_frame
    from salesbook.rules.settings import Settings

    with FileWorkbook(book, for_write=False) as wb:
        leads = wb.read(history=False).leads
    raw, _ = canonical_frame(leads)
    keys = ["lead_id", "company", "contact", "owner", "source", "stage", "deal_value", "created", "close_date"]
    frame = raw[[k for k in keys if k in raw.columns]].reset_index(drop=True).copy()
    n = len(frame)
    rng = np.random.default_rng(seed)
    keep = np.ones(n, dtype=bool)
    keep[rng.choice(n, n // 20, replace=False)] = False  # vanished from the CRM
    frame = frame[keep].reset_index(drop=True)
    stages = [s.name for s in Settings().stages]
    open_next = {a: b for a, b in zip(stages[:5], stages[1:6])}  # Prospecting -> Qualification …
    move = rng.random(len(frame)) < 0.10
    frame.loc[move, "stage"] = frame.loc[move, "stage"].map(open_next).fillna(frame.loc[move, "stage"])
    price = rng.random(len(frame)) < 0.05
    frame.loc[price, "deal_value"] = (rng.integers(1, 500, int(price.sum())) * 100).astype(str)
    new = frame.sample(n - len(frame), random_state=seed, replace=True).reset_index(drop=True)
    new["lead_id"] = [f"CRM-{i:07d}" for i in range(len(new))]
    new["stage"] = stages[0]
    export = pd.concat([frame, new], ignore_index=True)
    from salesbook.rules.schema import BY_KEY

    export.columns = [BY_KEY[k].en for k in export.columns]
    export.to_csv(path, index=False, encoding="utf-8")
    return {"rows": len(export), "new": len(new), "missing": int((~keep).sum()), "moved": int(move.sum()),
            "value_changed": int(price.sum())}


def run_size(n: int, timeout: float) -> dict:
    book = common.sample_book(n)
    export = common.WORK / f"export-{n}.csv"
    common.WORK.mkdir(parents=True, exist_ok=True)
    shape = make_export(book, export)
    today = common.TODAY.isoformat()
    out = {"leads": n, "export": shape}
    for tool, argv in (("run", lambda b: common.salesbook_argv("run", b, "--today", today)),
                       ("import", lambda b: common.salesbook_argv("import", export, "--into", b, "--today", today))):
        copy = common.fresh_copy(book, tag=tool)
        try:
            m = common.measure(argv(copy), timeout=timeout)
        finally:
            common.remove(copy)
        if m.returncode not in (0, 1):
            raise SystemExit(f"{tool} failed (exit {m.returncode}): {m.stderr.strip()[-500:]}")
        out[tool] = {"wall_s": round(m.wall_s, 2), "peak_mb": round(m.peak_mb or 0, 1),
                     "last_line": m.stdout.strip().splitlines()[-1] if m.stdout.strip() else ""}
        print(f"  {n:>9,}  {tool:<7} {m.wall_s:8.2f} s  {common.fmt(m.peak_mb, '.0f'):>6} MB", file=sys.stderr,
              flush=True)
    common.remove(export)
    out["ratio"] = round(out["import"]["wall_s"] / out["run"]["wall_s"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000", help="comma-separated lead counts (default 100000)")
    ap.add_argument("--timeout", type=float, default=900.0)
    args = ap.parse_args()
    load0 = common.load_average()
    results = [run_size(int(s), args.timeout) for s in args.sizes.split(",")]
    rows = [[f"{r['leads']:,}", f"{r['export']['rows']:,}", f"{r['run']['wall_s']:.2f}", f"{r['import']['wall_s']:.2f}",
             f"{r['ratio']:.2f}", f"{r['run']['peak_mb']:.0f}", f"{r['import']['peak_mb']:.0f}",
             "ok" if r["ratio"] <= MAX_RATIO else f"OVER {MAX_RATIO:g}x"] for r in results]
    print(common.table(rows, ["leads", "export rows", "run s", "import s", "import/run", "run MB", "import MB",
                              "target"]))
    for r in results:
        print(f"  import: {r['import']['last_line']}")
    print(f"  load average before {load0}, after {common.load_average()}; peak: {common.peak_method()}")
    common.write_json(common.OUT / "import.json", {"results": results, "environment": common.environment()})


if __name__ == "__main__":
    main()
