"""Print the corpus' coverage (one line per workbook, then a count per feature) after the tests."""

from __future__ import annotations

from collections import Counter


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds (deselect with -m 'not slow')")
    config.addinivalue_line("markers", "libreoffice: needs LibreOffice (soffice)")


def pytest_terminal_summary(terminalreporter):
    from .cases import REPORT, REQUIRED, TIMES

    if not REPORT:
        return
    tr = terminalreporter
    tr.section("corpus coverage (issue 10)")
    outcome = {0: "ok", 2: "refused", None: "-"}
    for name, r in sorted(REPORT.items()):
        if r["run"] is None and r["why"]:
            tr.write_line(f"{name:48} skipped: {r['why']}")
            continue
        tr.write_line(f"{name:48} {r['family']:14} run {outcome.get(r['run'], r['run']):7} "
                      f"archive {outcome.get(r['archive'], r['archive']):7} {', '.join(r['features'])}")
    built = [r for r in REPORT.values() if r["run"] is not None]
    counts = Counter(f for r in built for f in r["features"])
    tr.write_line(f"{len(built)} workbooks processed, {len(REPORT) - len(built)} skipped; by family: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r['family'] for r in built).items())))
    tr.write_line(f"built in {TIMES.get('build', 0):.0f} s; run, run again, archive, archive again in "
                  f"{TIMES.get('cli', 0):.0f} s ({TIMES.get('cli_cpu', 0):.0f} s of CPU in 2 workers)")
    tr.write_line("by feature: " + ", ".join(f"{f} {counts[f]}" for f in REQUIRED)
                  + " | " + ", ".join(f"{f} {n}" for f, n in sorted(counts.items()) if f not in REQUIRED))
