"""Micro benchmark of the file adapter: read_leads and write_workbook on a big lead sheet.

    python bench/io_probe.py                 # 100,000 rows
    python bench/io_probe.py --rows 500000

Writes a lead workbook (an Excel Table 'Leads', 16 columns; above 200k rows a plain
range on sheet 'Leads', as XlsxWriter's streaming mode has no tables) into
bench/out/ (kept between runs), then, each in a fresh process so that peak RSS means
something, times:

- read:   locate_leads + read_leads
- write1: write_workbook with 8 output columns that are not in the table yet (appended)
- write2: the same on write1's output (the columns exist: overwritten in place)
- both:   read + write2 in one process, as `salesbook run` does

and prints seconds and the process's peak RSS (resource.getrusage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
HEADERS = ["Lead ID", "Company", "Contact", "Email", "Phone", "Owner", "Source", "Stage", "Budget",
           "Authority", "Need", "Timeline", "Deal Value", "Created", "Last Contact", "Unanswered"]


def make(path: Path, rows: int) -> None:
    import xlsxwriter

    rng = np.random.default_rng(7)
    big = rows > 200_000  # XlsxWriter keeps everything in memory unless constant_memory (then: no table)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": big})
    ws = wb.add_worksheet("Leads")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0"})
    ws.write_row(0, 0, HEADERS)
    stages = ["Prospecting", "Qualification", "Initial Contact", "Needs Assessment", "Proposal", "Negotiation",
              "Closed Won", "Closed Lost"]
    budgets = ["Confirmed", "Pending", "Unknown", "None", ""]
    auth = ["Decision maker", "Influencer", "User", "Unknown"]
    need = ["Clear", "Identified", "Vague", "Mismatch"]
    timeline = ["≤3 months", "3-6 months", "6-12 months", ">12 months", "Unknown"]
    sources = ["Web", "Referral", "Event", "Cold call", "Partner"]
    owners = [f"Rep {i}" for i in range(40)]
    base = dt.date(2024, 1, 1)
    pick = rng.integers(0, 1 << 30, size=(rows, 12))
    for r in range(rows):
        p = pick[r]
        ws.write_string(r + 1, 0, f"L-{r + 1:07d}")
        ws.write_string(r + 1, 1, f"Company {p[0] % 20000}")
        ws.write_string(r + 1, 2, f"Contact {p[1] % 50000}")
        ws.write_string(r + 1, 3, f"person{p[1] % 50000}@example{p[0] % 500}.com")
        ws.write_string(r + 1, 4, f"+86 138 {p[2] % 10000:04d} {p[3] % 10000:04d}")
        ws.write_string(r + 1, 5, owners[p[4] % len(owners)])
        ws.write_string(r + 1, 6, sources[p[5] % len(sources)])
        ws.write_string(r + 1, 7, stages[p[6] % len(stages)])
        b = budgets[p[7] % len(budgets)]
        if b:
            ws.write_string(r + 1, 8, b)
        ws.write_string(r + 1, 9, auth[p[8] % len(auth)])
        ws.write_string(r + 1, 10, need[p[9] % len(need)])
        ws.write_string(r + 1, 11, timeline[p[10] % len(timeline)])
        ws.write_number(r + 1, 12, float(p[11] % 200) * 500, money)
        ws.write_datetime(r + 1, 13, base + dt.timedelta(days=int(p[0] % 600)), date_fmt)
        ws.write_datetime(r + 1, 14, base + dt.timedelta(days=int(p[0] % 600 + p[1] % 90)), date_fmt)
        ws.write_number(r + 1, 15, int(p[2] % 6))
    if not big:
        ws.add_table(0, 0, rows, len(HEADERS) - 1, {"name": "Leads", "header_row": True,
                                                     "columns": [{"header": h} for h in HEADERS]})
    wb.close()


def outputs(n: int):
    from salesbook.adapters.files.writer import OutputColumn

    rng = np.random.default_rng(11)
    grade = pd.Series(np.array(["A", "B", "C", "D"])[rng.integers(0, 4, n)])
    score = pd.Series(rng.integers(0, 101, n))
    reason = grade + ": need clear; budget pending; influencer only — for A: confirm budget, reach the decision maker"
    change = pd.Series(np.where(rng.random(n) < 0.05, "B→A", None))
    due = pd.Series(pd.Timestamp("2026-11-20") + pd.to_timedelta(rng.integers(-30, 60, n), unit="D"))
    due[rng.random(n) < 0.1] = pd.NaT
    status = pd.Series(np.array(["Overdue", "Due today", "This week", "Later"])[rng.integers(0, 4, n)])
    stale = pd.Series(np.where(rng.random(n) < 0.2, "Yes", None))
    stale_reason = pd.Series(np.where(stale.notna(), "3 consecutive contacts without response; no contact for 75 days",
                                      None))
    spec = [("grade", "Grade", grade, "text"), ("score", "Score", score, "number"),
            ("grade_reason", "Grade Reason", reason, "text"), ("grade_change", "Grade Change", change, "text"),
            ("next_followup", "Next Follow-up", due, "date"), ("followup_status", "Follow-up Status", status, "text"),
            ("stale", "Stale", stale, "text"), ("stale_reason", "Stale Reason", stale_reason, "text")]
    return [OutputColumn(k, h, v, kind) for k, h, v, kind in spec]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process (all threads): less sensitive than wall time to a busy machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def step(kind: str, src: Path, dst: Path) -> None:
    from salesbook.adapters.files.package import Package
    from salesbook.adapters.files.reader import locate_leads, read_leads
    from salesbook.adapters.files.writer import write_workbook

    t0, c0 = time.perf_counter(), cpu_s()
    pkg = Package.open(src)
    loc = locate_leads(pkg)
    frame = None
    if kind in ("read", "both"):
        frame = read_leads(pkg, loc)
        t_read, c_read = time.perf_counter() - t0, cpu_s() - c0
        assert len(frame) == loc.last_row - loc.header_row
    if kind == "read":
        print(f"read    {t_read:6.2f} s  cpu {c_read:5.2f} s  peak RSS {peak_mb():5.0f} MB  "
              f"({len(frame):,} rows x {frame.shape[1]} cols)")
        return
    if kind != "both":  # a plain range was located by reading it: let that go before timing the write
        pkg.close()
        pkg = frame = None
    cols = outputs(loc.last_row - loc.header_row)
    t1, c1 = time.perf_counter(), cpu_s()
    write_workbook(src, dst, loc, columns=cols)
    t_write, c_write = time.perf_counter() - t1, cpu_s() - c1
    if pkg is not None:
        pkg.close()
    size = dst.stat().st_size / 1e6
    if kind == "both":
        print(f"both    {time.perf_counter() - t0:6.2f} s  cpu {cpu_s() - c0:5.2f} s  peak RSS {peak_mb():5.0f} MB  "
              f"(read {t_read:.2f} s, write {t_write:.2f} s)")
    else:
        print(f"{kind:7s} {t_write:6.2f} s  cpu {c_write:5.2f} s  peak RSS {peak_mb():5.0f} MB  (output {size:.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--step", choices=["read", "write1", "write2", "both"])
    ap.add_argument("--src")
    ap.add_argument("--dst")
    ap.add_argument("--make")
    args = ap.parse_args()
    if args.step:
        step(args.step, Path(args.src), Path(args.dst))
        return
    if args.make:
        t = time.perf_counter()
        make(Path(args.make), args.rows)
        print(f"made {Path(args.make).name} in {time.perf_counter() - t:.1f} s")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    src = OUT / f"leads-{args.rows}.xlsx"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    if not src.exists():  # in a child process: the parent's peak RSS is inherited by the next ones
        subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--make", str(src)], check=True, env=env)
    once, twice = OUT / f"leads-{args.rows}-once.xlsx", OUT / f"leads-{args.rows}-twice.xlsx"
    for kind, a, b in (("read", src, once), ("write1", src, once), ("write2", once, twice), ("both", once, twice)):
        subprocess.run([sys.executable, __file__, "--step", kind, "--src", str(a), "--dst", str(b)], check=True, env=env)


if __name__ == "__main__":
    main()
