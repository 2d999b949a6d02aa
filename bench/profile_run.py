"""Where `salesbook run` spends its time: a pyinstrument profile split into read / rules / write / other.

    python bench/profile_run.py                 # 100,000 leads
    python bench/profile_run.py --n 500000

Profiles one whole CLI run (imports included: the profiler starts before ``salesbook.cli``
is imported) on a fresh copy of the sample workbook, in this process, then attributes the
wall time of the main thread to phases by the functions on the stack:

- startup: module imports (``<module>`` frames outside the phases below);
- read: ``FileWorkbook.read`` (preflight, locating the table, fastexcel, Settings, History);
- rules: ``engine.evaluate``;
- write: ``FileWorkbook.commit`` (output columns, Funnel/Cleanse/History, zip, atomic replace);
- other: the rest (CLI, summary, exit).

It prints the split, the largest children of each phase and the functions with the most
self time, and saves the full text and HTML reports to ``bench/out/profile-<n>.{txt,html}``.
Sampling at 1 ms; pyinstrument records the main thread only (a helper thread's work shows
as the time the main thread waits for it).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

PHASES = {  # (file suffix, function) -> phase
    ("salesbook/adapters/files/workbook.py", "read"): "read",
    ("salesbook/engine.py", "evaluate"): "rules",
    ("salesbook/adapters/files/workbook.py", "commit"): "write",
}


def _phase_of(frame) -> str | None:
    path = (frame.file_path or "").replace(os.sep, "/")
    for (suffix, fn), phase in PHASES.items():
        if frame.function == fn and path.endswith(suffix):
            return phase
    return None


def split(root) -> tuple[dict[str, float], dict[str, list]]:
    """Seconds per phase, and each phase's top frames (to list their children)."""
    totals: dict[str, float] = collections.defaultdict(float)
    tops: dict[str, list] = collections.defaultdict(list)

    def walk(frame, inherited: str | None) -> float:
        phase = inherited or _phase_of(frame)
        if phase and not inherited:
            totals[phase] += frame.time
            tops[phase].append(frame)
            return frame.time
        if not inherited and frame.function == "<module>" and frame.file_path and "bench/profile_run" not in \
                frame.file_path.replace(os.sep, "/"):
            inner = sum(walk(c, None) for c in frame.children)
            # An import: its time minus any phase that ran inside it (none expected).
            totals["startup"] += frame.time - inner
            return frame.time
        return sum(walk(c, None) for c in frame.children) if not phase else frame.time

    accounted = walk(root, None)
    totals["other"] += root.time - accounted
    return dict(totals), dict(tops)


def self_times(root, limit: int = 15) -> list[tuple[float, str]]:
    """Functions by their own time (pyinstrument's synthetic '[self]' leaves go to their parent)."""
    acc: dict[str, float] = collections.defaultdict(float)

    def label(frame) -> str:
        return f"{frame.function}  ({frame.file_path_short}:{frame.line_no})"

    def walk(frame, parent):
        if getattr(frame, "is_synthetic", False) and parent is not None:
            acc[label(parent)] += frame.time
            return
        acc[label(frame)] += frame.time - sum(c.time for c in frame.children)
        for c in frame.children:
            walk(c, frame)

    walk(root, None)
    return sorted(((t, name) for name, t in acc.items() if t > 0), reverse=True)[:limit]


def children_lines(frames: list, total: float, depth: int = 2, limit: int = 6) -> list[str]:
    out = []

    def walk(frame, level):
        kids = sorted(frame.children, key=lambda c: -c.time)[:limit]
        for c in kids:
            if c.time < 0.01 * total:
                continue
            out.append(f"{'    ' * level}{c.time:6.2f} s  {c.function}  ({c.file_path_short}:{c.line_no})")
            if level < depth:
                walk(c, level + 1)

    for f in frames:
        walk(f, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--depth", type=int, default=2, help="levels of children listed per phase")
    args = ap.parse_args(argv)

    from pyinstrument import Profiler
    from pyinstrument.renderers import HTMLRenderer

    book = common.sample_book(args.n)
    copy = common.fresh_copy(book, tag="profile")
    load_before = common.load_average()
    profiler = Profiler(interval=0.001)
    t0 = time.perf_counter()
    profiler.start()
    code = None
    try:
        from salesbook.cli import main as cli

        try:
            cli(["run", str(copy), "--today", common.TODAY.isoformat()], standalone_mode=True)
        except SystemExit as exc:
            code = exc.code
    finally:
        profiler.stop()
        wall = time.perf_counter() - t0
        common.remove(copy)
    load_after = common.load_average()

    session = profiler.last_session
    root = session.root_frame()
    totals, tops = split(root)
    out_txt = common.OUT / f"profile-{args.n}.txt"
    out_html = common.OUT / f"profile-{args.n}.html"
    out_txt.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    out_html.write_text(profiler.output(HTMLRenderer()))

    print(f"\nsalesbook run on {args.n:,} leads under pyinstrument: {wall:.2f} s wall (exit {code}), "
          f"profiled {root.time:.2f} s; load average before {load_before}, after {load_after}")
    rows = [[phase, f"{totals.get(phase, 0.0):.2f}", f"{100 * totals.get(phase, 0.0) / root.time:.0f}%"]
            for phase in ("startup", "read", "rules", "write", "other")]
    print(common.table(rows, ["phase", "s", "share"]))
    for phase in ("read", "rules", "write"):
        print(f"\n{phase}:")
        print("\n".join(children_lines(tops.get(phase, []), root.time, depth=args.depth)))
    print("\nmost self time:")
    for t, name in self_times(root):
        print(f"  {t:6.2f} s  {name}")
    print(f"\n(full reports: {out_txt.relative_to(common.REPO)}, {out_html.relative_to(common.REPO)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
