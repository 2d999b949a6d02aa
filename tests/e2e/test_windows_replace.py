"""Windows-safe writes, modelled on Linux.

On Windows a file opened without delete sharing cannot be replaced: if salesbook still held a handle on
the workbook (or on its temp file) at the moment of ``os.replace``, every in-place run would fail there.
These tests wrap ``os.replace`` and list, at that moment, the process's open files from
``/proc/self/fd``. They also model Excel (or an antivirus) holding the file: the replace is refused
with PermissionError, salesbook tries again briefly, then refuses with its usual sentence, the
original untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from salesbook import atomic

from .conftest import EN_ROWS, TODAY, calamine_table, digest, write_en_table

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd (Linux)")


def _open_files() -> list[str]:
    names = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            names.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass  # the fd of the listing itself, closed meanwhile
    return names


@pytest.fixture
def replaces(monkeypatch):
    """Every os.replace call: (source, target, the files open on either at that moment)."""
    real = os.replace
    calls = []

    def spy(src, dst, *args, **kwargs):
        watched = {os.path.realpath(src), os.path.realpath(dst)}
        calls.append((str(src), str(dst), [n for n in _open_files() if n in watched]))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", spy)
    return calls


ARGS = {"run": [], "check": [], "archive": [], "run --backup": ["--backup"]}


@pytest.mark.parametrize("command", list(ARGS))
def test_no_handle_is_open_on_the_file_or_its_temp_at_the_replace(tmp_path, cli, replaces, command):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    result = cli(command.split()[0], str(book), "--today", TODAY.isoformat(), *ARGS[command])
    assert result.exit_code in (0, 1), result.output
    assert replaces, "the command replaced nothing"
    assert all(src.endswith(".tmp") for src, _, _ in replaces)
    assert [held for _, _, held in replaces] == [[]] * len(replaces), replaces


def test_a_replace_refused_for_a_moment_is_tried_again(tmp_path, cli, monkeypatch):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    real, refusals = os.replace, []

    def busy_twice(src, dst, *args, **kwargs):
        if len(refusals) < 2:
            refusals.append(dst)
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", busy_twice)
    result = cli("run", str(book), "--today", TODAY.isoformat())
    assert result.exit_code in (0, 1), result.output
    assert len(refusals) == 2
    graded = {r["Lead ID"]: r["Grade"] for r in calamine_table(book)}
    assert graded["L-001"] == "A" and graded["L-004"] == "D"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_file_held_open_is_refused_cleanly_and_left_as_it_was(tmp_path, cli, monkeypatch):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    before = digest(book)
    tries = []

    def held(src, dst, *args, **kwargs):
        tries.append(dst)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", held)
    monkeypatch.setattr(atomic, "REPLACE_RETRY_DELAYS", (0.001,) * len(atomic.REPLACE_RETRY_DELAYS))  # the same tries, faster
    result = cli("run", str(book), "--today", TODAY.isoformat())
    assert result.exit_code == 2
    assert "could not be saved (access denied) and was not changed" in result.output
    assert "Traceback" not in result.output
    assert len(tries) > 3  # tried again before giving up
    assert digest(book) == before
    assert [p.name for p in tmp_path.iterdir()] == ["Pipeline.xlsx"]  # no temp file left behind
