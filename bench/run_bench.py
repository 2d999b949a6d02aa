"""`salesbook run` against its peers, per workbook size: medians of alternating runs.

    python bench/run_bench.py                                  # 10k, 100k, 500k leads, 3 runs each
    python bench/run_bench.py --sizes 2000 --repeat 1          # a quick smoke run
    python bench/run_bench.py --sizes 500000 --force-slow      # the openpyxl peers at 500k too (minutes)

For every size it builds the sample workbook once (``bench/common.sample_book``), then
repeats a round of: salesbook run, pandas + openpyxl, the plain openpyxl script and the
fastexcel read floor — each in a fresh process on a fresh copy of the workbook (the copy
is not timed), the order of the round rotating from one repeat to the next. It prints
the medians (wall seconds, peak MB), the ratios peer / salesbook, the targets, the load
average before and after, and writes everything to ``bench/out/results.json``.

The two openpyxl peers take about a minute per 100,000 leads; above 100,000 they are
skipped unless ``--force-slow`` (they always run at 100,000 and below).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

TOOLS = ("salesbook", "pandas_openpyxl", "openpyxl_script", "fastexcel_floor")
SLOW = ("pandas_openpyxl", "openpyxl_script")
LABELS = {"salesbook": "salesbook run", "pandas_openpyxl": "pandas + openpyxl (same rules)",
          "openpyxl_script": "plain openpyxl script", "fastexcel_floor": "fastexcel read only (floor)"}
# PRODUCT targets: (size, max wall s, max peak MB); and the speed-up over the plain script.
TARGETS = {100_000: (4.0, 400.0), 500_000: (20.0, None)}
MIN_SPEEDUP = 15.0


def argv_for(tool: str, book: Path) -> list[str]:
    if tool == "salesbook":
        return common.salesbook_argv("run", book, "--today", common.TODAY.isoformat())
    return common.peer_argv(tool, book)


def run_size(n: int, repeat: int, tools: list[str], timeout: float) -> dict:
    book = common.sample_book(n)
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    for rep in range(repeat):
        order = tools[rep % len(tools):] + tools[:rep % len(tools)]
        for tool in order:
            copy = common.fresh_copy(book, tag=tool)
            try:
                m = common.measure(argv_for(tool, copy), timeout=timeout)
            finally:
                common.remove(copy)
            ok = m.returncode in (0, 1)  # salesbook: 1 = done, some rows have problems
            runs[tool].append(m.as_dict() | {"ok": ok})
            status = "" if ok else f"  FAILED (exit {m.returncode}): {m.stderr.strip().splitlines()[-1:]}"
            print(f"  {n:>9,}  run {rep + 1}/{repeat}  {tool:<16} {m.wall_s:8.2f} s  "
                  f"{common.fmt(m.peak_mb, '.0f'):>6} MB{status}", file=sys.stderr, flush=True)
    out = {"book": str(book.relative_to(common.REPO)), "bytes": book.stat().st_size, "tools": {}}
    for tool, rs in runs.items():
        good = [r for r in rs if r["ok"]]
        out["tools"][tool] = {
            "median_wall_s": common.median(r["wall_s"] for r in good),
            "min_wall_s": min((r["wall_s"] for r in good), default=None),
            "max_wall_s": max((r["wall_s"] for r in good), default=None),
            "median_peak_mb": common.median(r["peak_mb"] for r in good),
            "median_cpu_s": common.median(r.get("cpu_s") for r in good),
            "ok_runs": len(good), "runs": rs,
            "summary": (good[-1]["stdout"].strip().splitlines() or [""])[-1] if good else None,
        }
    return out


def report(results: dict) -> str:
    lines = []
    rows = []
    for n, res in results["sizes"].items():
        tools = res["tools"]
        base = tools.get("salesbook", {})
        bw, bm = base.get("median_wall_s"), base.get("median_peak_mb")
        for tool in TOOLS:
            t = tools.get(tool)
            if t is None:
                continue
            w, m = t["median_wall_s"], t["median_peak_mb"]
            ratio = "1.0×" if tool == "salesbook" else (f"{w / bw:.1f}×" if w and bw else "—")
            mratio = "1.0×" if tool == "salesbook" else (f"{m / bm:.1f}×" if m and bm else "—")
            spread = f"{common.fmt(t['min_wall_s'])}–{common.fmt(t['max_wall_s'])}"
            rate = f"{int(n) / w:,.0f}" if w else "—"
            rows.append([f"{int(n):,}", LABELS[tool], common.fmt(w), spread, common.fmt(t.get("median_cpu_s")),
                         common.fmt(m, ".0f"), ratio, mratio, rate, f"{t['ok_runs']}/{len(t['runs'])}"])
    lines.append(common.table(rows, ["leads", "tool", "median s", "min–max s", "CPU s", "peak MB",
                                     "time / salesbook", "memory / salesbook", "leads/s", "runs ok"]))
    lines.append("")
    lines.append("Targets:")
    for n, res in results["sizes"].items():
        n = int(n)
        t = res["tools"]
        sb = t.get("salesbook", {})
        w, m = sb.get("median_wall_s"), sb.get("median_peak_mb")
        if n in TARGETS:
            tw, tm = TARGETS[n]
            lines.append(f"  {n:>9,} leads: salesbook run {common.fmt(w)} s (target ≤ {tw:g} s: "
                         f"{'met' if w is not None and w <= tw else 'MISSED'})"
                         + (f", peak {common.fmt(m, '.0f')} MB (target ≤ {tm:g} MB: "
                            f"{'met' if m is not None and m <= tm else 'MISSED'})" if tm else ""))
        script = t.get("openpyxl_script", {}).get("median_wall_s")
        if script and w and n >= 100_000:
            lines.append(f"  {n:>9,} leads: {script / w:.1f}× faster than the plain openpyxl script "
                         f"(target ≥ {MIN_SPEEDUP:g}×: {'met' if script / w >= MIN_SPEEDUP else 'MISSED'})")
    env = results["environment"]
    lines.append("")
    lines.append(f"Load average (1/5/15 min) before: {results['load_before']}, after: {results['load_after']} "
                 f"on {env['cpus']} CPUs; other processes may have been running.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,500000", help="comma-separated numbers of leads")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool and size (the median is reported)")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    ap.add_argument("--force-slow", action="store_true",
                    help="run the openpyxl peers above 100,000 leads too (about a minute per 100,000 per run)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before one run is abandoned")
    ap.add_argument("--json", type=Path, default=common.OUT / "results.json")
    args = ap.parse_args(argv)

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(wanted) - set(TOOLS)
    if unknown:
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    results = {"environment": common.environment(), "today": common.TODAY.isoformat(), "repeat": args.repeat,
               "load_before": common.load_average(), "sizes": {}}
    print(f"load average before: {results['load_before']}", file=sys.stderr)
    for n in sizes:
        tools = [t for t in TOOLS if t in wanted and (n <= 100_000 or args.force_slow or t not in SLOW)]
        results["sizes"][str(n)] = run_size(n, args.repeat, tools, args.timeout)
        common.write_json(args.json, results | {"partial": True})
    results["load_after"] = common.load_average()
    common.write_json(args.json, results)
    print()
    print(report(results))
    print(f"\n(raw runs: {args.json})")
    failed = [t for r in results["sizes"].values() for t, v in r["tools"].items() if v["ok_runs"] < len(v["runs"])]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
