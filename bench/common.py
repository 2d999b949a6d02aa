"""Shared pieces of the benchmark scripts: sample workbooks, fresh copies, measured runs.

- ``sample_book(n)`` builds a workbook of ``n`` realistic leads once, with
  ``salesbook.builder.template.write_sample_workbook``, into ``bench/out/books/`` (gitignored)
  and reuses it while the generator's sources are unchanged.
- ``fresh_copy(book)`` copies it into ``bench/out/work/`` so that every measured run
  starts from the same bytes; the copy is made before the clock starts.
- ``measure(argv)`` runs one command in a fresh process and returns its wall time and
  peak resident memory. Peak RSS comes from GNU ``/usr/bin/time`` when present (the
  kernel's ``ru_maxrss`` of the waited child, which covers its own waited-for children
  too: for a process pool it is the largest single process, not the sum). Without it, a
  tiny Python wrapper process runs the command and reports
  ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` — a fresh wrapper per run, so there is no
  delta to take across earlier children.

Nothing here imports pandas or salesbook at module level: the driver stays small, so
its own memory does not compete with the measured processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
OUT = BENCH / "out"
BOOKS = OUT / "books"
WORK = OUT / "work"
TODAY = dt.date(2026, 11, 18)  # a Wednesday; every run grades "as of" this day
PY = sys.executable
GNU_TIME = "/usr/bin/time"

# The sources whose change makes a cached sample workbook stale.
_GENERATOR_SOURCES = ("salesbook/builder/sample.py", "salesbook/builder/template.py", "salesbook/rules/settings.py",
                      "salesbook/rules/settings_sheet.py", "salesbook/rules/schema.py")


# ---------------------------------------------------------------------------
# Sample workbooks
# ---------------------------------------------------------------------------

def _generator_digest() -> str:
    h = hashlib.sha256()
    for rel in _GENERATOR_SOURCES:
        p = REPO / rel
        h.update(rel.encode())
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()[:16]


def sample_book(n: int, *, language: str = "en", seed: int = 7, today: dt.date = TODAY, quiet: bool = False) -> Path:
    """``bench/out/books/sample-<lang>-<n>.xlsx``: ``n`` sample leads, built once.

    Built in a child process (XlsxWriter holds the whole sheet in memory: about 1 GB per
    100,000 leads, ~30 s) and rebuilt only when the generator's sources or the arguments
    change (a small JSON stamp sits beside the book)."""
    BOOKS.mkdir(parents=True, exist_ok=True)
    path = BOOKS / f"sample-{language}-{n}.xlsx"
    stamp_path = path.with_suffix(".json")
    stamp = {"n": n, "language": language, "seed": seed, "today": today.isoformat(), "source": _generator_digest()}
    if path.exists() and stamp_path.exists():
        try:
            if json.loads(stamp_path.read_text()) == stamp:
                return path
        except ValueError:
            pass
    if not quiet:
        print(f"  building {path.relative_to(REPO)} ({n:,} leads, once) …", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    code = ("import datetime as dt, sys\n"
            "from salesbook.builder.template import write_sample_workbook\n"
            "write_sample_workbook(sys.argv[1], int(sys.argv[2]), seed=int(sys.argv[3]), "
            "today=dt.date.fromisoformat(sys.argv[4]), language=sys.argv[5])\n")
    subprocess.run([PY, "-c", code, str(path), str(n), str(seed), today.isoformat(), language], check=True,
                   cwd=REPO)
    stamp_path.write_text(json.dumps(stamp))
    if not quiet:
        print(f"  built in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.1f} MB)",
              file=sys.stderr, flush=True)
    return path


def fresh_copy(src: Path, tag: str = "run") -> Path:
    """A private copy of ``src`` in bench/out/work/ (same suffix), made outside any timing."""
    WORK.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{tag}-", suffix=src.suffix, dir=WORK)
    os.close(fd)
    shutil.copyfile(src, name)
    return Path(name)


def remove(path: Path) -> None:
    """Delete a copy and whatever a run left beside it (a backup, a temp file)."""
    for p in (path, path.with_name(path.stem + ".bak" + path.suffix)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

def salesbook_argv(*args: str) -> list[str]:
    """The installed ``salesbook`` console script of this interpreter (not a pyenv shim,
    whose extra shell start-up would be timed), else ``python -m salesbook.cli``."""
    script = Path(PY).parent / "salesbook"
    if script.exists():
        return [str(script), *map(str, args)]
    return [PY, "-m", "salesbook.cli", *map(str, args)]


def peer_argv(peer: str, book: Path, today: dt.date = TODAY) -> list[str]:
    return [PY, str(BENCH / "peers.py"), peer, str(book), "--today", today.isoformat()]


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

@dataclass
class Measurement:
    wall_s: float
    peak_mb: float | None
    returncode: int
    cpu_s: float | None = None  # user + system CPU seconds of the process tree (GNU time only)
    stdout: str = field(default="", repr=False)
    stderr: str = field(default="", repr=False)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["stdout"] = self.stdout[-2000:]
        d["stderr"] = self.stderr[-2000:]
        return d


_WRAPPER = ("import resource, subprocess, sys\n"
            "rc = subprocess.call(sys.argv[2:])\n"
            "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
            "sys.exit(rc)\n")


def peak_method() -> str:
    if os.path.exists(GNU_TIME):
        return "GNU /usr/bin/time %M (max RSS of the process tree's largest process)"
    return "wrapper process: getrusage(RUSAGE_CHILDREN).ru_maxrss"


def measure(argv: list[str], *, cwd: Path | None = None, env: dict | None = None,
            timeout: float | None = None) -> Measurement:
    """Run ``argv`` in a fresh process: wall seconds (perf_counter around the whole
    process, start-up included) and peak RSS in MB (1 MB = 2**20 bytes)."""
    fd, report = tempfile.mkstemp(prefix="rss-", suffix=".txt")
    os.close(fd)
    try:
        if os.path.exists(GNU_TIME):
            full = [GNU_TIME, "-f", "%U %S %M", "-o", report, *argv]
        else:
            full = [PY, "-c", _WRAPPER, report, *argv]
        t0 = time.perf_counter()
        proc = subprocess.run(full, cwd=cwd or REPO, env=env, capture_output=True, text=True, timeout=timeout)
        wall = time.perf_counter() - t0
        peak = cpu = None
        try:
            text = Path(report).read_text().strip().splitlines()
            # GNU time may prefix "Command exited with non-zero status N"; the figures are last.
            fields = text[-1].split() if text else []
            peak = int(fields[-1]) / 1024 if fields else None
            if len(fields) == 3:
                cpu = float(fields[0]) + float(fields[1])
        except (OSError, ValueError, IndexError):
            pass
        return Measurement(wall, peak, proc.returncode, cpu_s=cpu, stdout=proc.stdout, stderr=proc.stderr)
    finally:
        try:
            os.unlink(report)
        except FileNotFoundError:
            pass


# ---------------------------------------------------------------------------
# Context and numbers
# ---------------------------------------------------------------------------

def load_average() -> tuple[float, float, float]:
    return tuple(round(x, 2) for x in os.getloadavg())  # type: ignore[return-value]


def median(values) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "salesbook"],
                               cwd=REPO, capture_output=True, text=True).stdout.strip()
        return rev + ("+uncommitted changes in salesbook/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment() -> dict:
    """Where the figures come from: machine, versions, commit, load."""
    import importlib.metadata as md

    versions = {}
    for pkg in ("salesbook", "pandas", "pyarrow", "numpy", "openpyxl", "fastexcel", "python-calamine", "xlsxwriter"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"date": dt.datetime.now().isoformat(timespec="seconds"), "host": platform.node(),
            "cpus": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions, "git": git_revision(),
            "peak_rss": peak_method(), "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "—" if x is None else format(x, spec)


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def table(rows: list[list[str]], header: list[str]) -> str:
    """A GitHub-style Markdown table (also readable on a terminal)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
