"""Run the CLI on one corpus workbook (in a worker process): run, run again, archive, archive again.

Each command goes through salesbook's click entry point, as ``salesbook CMD BOOK --today … --output
OUT`` would; what it printed, its exit code and any exception that escaped are recorded.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

TODAY = "2026-11-18"


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _call(runner, main, command: str, book: Path, out: Path) -> dict:
    before = digest(book)
    r = runner.invoke(main, [command, str(book), "--today", TODAY, "--output", str(out)])
    escaped = r.exception if r.exception is not None and not isinstance(r.exception, SystemExit) else None
    return {"command": command, "book": str(book), "out": str(out), "exit": r.exit_code, "output": r.output,
            "exception": repr(escaped) if escaped else None, "written": out.exists(),
            "book_unchanged": digest(book) == before}


def process(book: str) -> dict[str, dict]:
    from click.testing import CliRunner

    from salesbook.cli import main

    started = time.process_time()
    book = Path(book)
    folder, ext = book.parent, book.suffix
    runner = CliRunner()
    done = {"run1": _call(runner, main, "run", book, folder / f"run1{ext}")}
    if done["run1"]["exit"] == 0:
        done["run2"] = _call(runner, main, "run", folder / f"run1{ext}", folder / f"run2{ext}")
    done["archive1"] = _call(runner, main, "archive", book, folder / f"archive1{ext}")
    if done["archive1"]["exit"] == 0:
        done["archive2"] = _call(runner, main, "archive", folder / f"archive1{ext}", folder / f"archive2{ext}")
    done["cpu"] = time.process_time() - started  # seconds of CPU in this worker for the four commands
    return done
