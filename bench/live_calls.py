"""How many xlwings calls the live Excel path makes, per ribbon command and sheet size.

    python bench/live_calls.py                        # 1,000 / 10,000 / 50,000 leads
    python bench/live_calls.py --sizes 1000,5000 --commands runall,grade

No Excel needed: xlwings' remote engine is fed the JSON payload a client would send, built
from a real workbook exactly as ``tests/live/conftest.py`` does (``write_leads``,
``lead_rows``, ``payload_from_file``). The remote engine is xlwings PRO code; this bench
(like the tests) sets ``XLWINGS_LICENSE_KEY=noncommercial`` for its own process only — the
salesbook package never needs a key.

Per command it counts, on a fresh book each time:

- ``actions``: the writes the engine queues for the client (one per call that changes the
  workbook: setValues, setNumberFormat, resizeTable …) — on desktop Excel, one round trip each;
- ``reads``: Range value reads (``raw_value`` getters of the engine's Range);
- ``engine calls``: every call into the engine's implementation objects (methods and
  property accesses of Book/Sheet/Range/Table … — a superset of the above);

and the wall time of ``ribbon.run`` on the remote engine (payload building not timed). The
counts must not grow with the number of rows (Archive excepted: one delete per run of
contiguous rows, so it is not measured here).
"""

from __future__ import annotations

import argparse
import collections
import copy
import functools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

COMMANDS = ("runall", "grade", "followup", "stale", "funnel", "check")


def remote_xlwings():
    """xlwings with its remote engine registered (the tests' ``xw`` fixture, for a script)."""
    os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"  # this bench process only
    import xlwings

    if "remote" not in xlwings.engines.engines_by_name:
        for mod in [m for m in sys.modules if m == "xlwings.pro" or m.startswith("xlwings.pro.")]:
            sys.modules.pop(mod, None)
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xlwings.engines.add(Engine(impl=_xlremote.engine))
    return xlwings


class CallCounter:
    """Counts calls into the remote engine's implementation classes while active."""

    def __init__(self):
        from xlwings.pro import _xlremote

        self.module = _xlremote
        self.counts: collections.Counter = collections.Counter()
        self.active = False
        self._saved: list[tuple[type, str, object]] = []

    def _wrap(self, name: str, fn):
        counter = self

        @functools.wraps(fn)
        def wrapper(*a, **k):
            if counter.active:
                counter.counts[name] += 1
            return fn(*a, **k)
        return wrapper

    def install(self) -> None:
        for cname, cls in vars(self.module).items():
            if not isinstance(cls, type) or cls.__module__ != self.module.__name__:
                continue
            for attr, value in list(vars(cls).items()):
                if attr.startswith("__"):
                    continue
                label = f"{cname}.{attr}"
                if isinstance(value, property):
                    new = property(self._wrap(label, value.fget) if value.fget else None,
                                   self._wrap(label + "=", value.fset) if value.fset else None,
                                   value.fdel, value.__doc__)
                elif callable(value) and not isinstance(value, (staticmethod, classmethod, type)):
                    new = self._wrap(label, value)
                else:
                    continue
                self._saved.append((cls, attr, value))
                setattr(cls, attr, new)

    def uninstall(self) -> None:
        for cls, attr, value in reversed(self._saved):
            setattr(cls, attr, value)
        self._saved.clear()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,50000")
    ap.add_argument("--commands", default=",".join(COMMANDS))
    ap.add_argument("--json", type=Path, default=common.OUT / "live_calls.json")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(common.REPO))
    from tests.live.conftest import lead_rows, payload_from_file, write_leads

    xw = remote_xlwings()
    from salesbook import ribbon

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    counter = CallCounter()
    counter.install()
    results: dict = {"environment": common.environment(), "load_before": common.load_average(), "sizes": {}}
    rows = []
    try:
        for n in sizes:
            path = common.WORK / f"live-{n}.xlsx"
            common.WORK.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            write_leads(path, lead_rows(n))
            payload = payload_from_file(path)
            print(f"  {n:,} leads: payload built in {time.perf_counter() - t0:.1f} s (not timed)", file=sys.stderr,
                  flush=True)
            results["sizes"][n] = {}
            for command in commands:
                book = xw.Book(json=copy.deepcopy(payload))
                counter.counts.clear()
                counter.active = True
                t0 = time.perf_counter()
                try:
                    summary = ribbon.run(command, book=book)
                finally:
                    counter.active = False
                wall = time.perf_counter() - t0
                actions = book.json()["actions"]
                kinds = collections.Counter(a["func"] for a in actions)
                alerts = kinds.get("alert", 0)
                reads = sum(v for k, v in counter.counts.items() if k == "Range.raw_value")
                calls = sum(counter.counts.values())
                results["sizes"][n][command] = {"actions": len(actions), "by_func": dict(kinds), "reads": reads,
                                                "engine_calls": calls, "wall_s": wall, "alerts": alerts,
                                                "summary": summary}
                rows.append([f"{n:,}", command, str(len(actions)), str(reads), str(calls), f"{wall:.2f}",
                             "ALERT: " + summary[:60] if alerts else ""])
                print(f"  {n:>7,} {command:<9} actions {len(actions):>3}  reads {reads:>3}  engine calls {calls:>5}  "
                      f"{wall:6.2f} s", file=sys.stderr, flush=True)
            path.unlink(missing_ok=True)
    finally:
        counter.uninstall()
    results["load_after"] = common.load_average()
    common.write_json(args.json, results)

    print(common.table(rows, ["leads", "command", "actions (writes)", "range reads", "engine calls", "s", "note"]))
    print()
    for command in commands:
        per = [results["sizes"][n][command]["actions"] for n in sizes]
        other = [per[i] - results["sizes"][n][command]["by_func"].get("setValues", 0) for i, n in enumerate(sizes)]
        if len(set(per)) == 1:
            verdict = "constant"
        elif len(set(other)) == 1:
            # live.py writes each block in one call; xlwings splits a write of more than
            # 100,000 cells into chunks of that size (its max_cells_per_write budget).
            verdict = "constant apart from xlwings' 100,000-cell chunks of setValues"
        else:
            verdict = "GROWS with rows"
        print(f"{command:<9} actions by size {per}: {verdict}; "
              f"by kind at {sizes[-1]:,}: {results['sizes'][sizes[-1]][command]['by_func']}")
    print(f"Load average before {results['load_before']}, after {results['load_after']}.")
    print(f"(raw: {args.json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
