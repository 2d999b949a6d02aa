"""``bench/rollup_bench.py`` still runs (it is no timed test: the figures are for
docs/performance.md): a tiny team through its pairs of runs, the speed-up as the ratio of
the medians of the wall times it printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # starts Dask clusters
def test_the_rollup_bench_runs_in_pairs_and_gives_the_ratio_of_its_medians():
    out = subprocess.run([sys.executable, str(REPO / "bench" / "rollup_bench.py"), "--books", "3", "--leads", "40",
                          "--repeat", "2", "--no-batch"], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    walls = {w: [float(x) for x in re.findall(rf"\] rollup --workers {w}: ([\d.]+) s", text)] for w in (1, 2)}
    assert len(walls[1]) == len(walls[2]) == 2, text
    medians = re.search(r"rollup median of 2: ([\d.]+) s at 1 worker, ([\d.]+) s at 2", text)
    assert medians, text
    m1, m2 = (sum(walls[w]) / 2 for w in (1, 2))  # the median of two is their mean
    assert abs(float(medians.group(1)) - m1) <= 0.051 and abs(float(medians.group(2)) - m2) <= 0.051, text
    ratio = re.search(r"speed-up 1 → 2 workers: ([\d.]+)× \(medians; pairs ([\d.]+)×, ([\d.]+)×\)", text)
    assert ratio, text
    low, high = (m1 - 0.05) / (m2 + 0.05), (m1 + 0.05) / (m2 - 0.05)  # the walls are printed to 0.1 s
    assert low - 0.005 <= float(ratio.group(1)) <= high + 0.005, text
    assert "Rolled up 3 of 3 workbooks (0 failed)" in text
