"""Every test file in tests/ is collected by a plain ``python -m pytest``: none is silently left out
(pytest skips folders named ``build`` by default; that once hid 83 tests from CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_default_collection_finds_every_test_file():
    on_disk = {p.relative_to(REPO).as_posix() for pattern in ("test_*.py", "*_test.py")
               for p in (REPO / "tests").rglob(pattern) if "__pycache__" not in p.parts}
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    collected = {line.split("::", 1)[0] for line in out.stdout.splitlines() if "::" in line}
    missed = sorted(on_disk - collected)
    assert not missed, f"test files the default collection misses: {missed}"
    assert "tests/builder/test_shipped.py" in collected


def test_nothing_points_outside_the_repository():
    """A clone is whole: no code, test, doc or README refers to files beside the repository (the shared folder beside a checkout)."""
    needles = ("../" + "shared", "..\\" + "shared")  # spelled apart so that this file does not match itself
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    if not tracked:  # not a git checkout (an unpacked sdist): every text file below the root
        tracked = [p.relative_to(REPO).as_posix() for p in REPO.rglob("*") if p.is_file() and ".git" not in p.parts]
    suffixes = (".py", ".md", ".toml", ".cfg", ".txt", ".bas", ".cls", ".xml", ".yml", ".yaml", ".sh", "")
    outside = []
    for name in tracked:
        path = REPO / name
        if not path.is_file() or path.suffix not in suffixes:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            if any(n_ in line for n_ in needles):
                outside.append(f"{name}:{n}: {line.strip()}")
    assert not outside, "references outside the repository:\n" + "\n".join(outside)
