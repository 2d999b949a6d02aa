"""CLI polish (issue 9): help text, no library warnings on the terminal, the grouped problem
list of check and run, archive --dry-run, the demo file ignored by git, the README's API
example. Workbooks are written by XlsxWriter/openpyxl and read back with python-calamine."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from salesbook.cli import main

from .conftest import EN_ROWS, TODAY, calamine_rows, calamine_table, digest, write_en_table

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


# ---- help ---------------------------------------------------------------------------------------


def _examples(output: str) -> list[str]:
    lines = output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "Examples:")
    return [line.strip() for line in lines[at + 1:] if line.strip()]


@pytest.mark.parametrize("command", sorted(main.commands))
def test_help_lists_examples_one_per_line_even_in_a_narrow_terminal(runner, command):
    result = runner.invoke(main, [command, "--help"], terminal_width=50)
    assert result.exit_code == 0, result.output
    examples = _examples(result.output)
    assert examples, result.output
    for example in examples:  # each line is one whole command that click parses
        tokens = shlex.split(example)
        assert tokens[:2] == ["salesbook", command], (example, result.output)
        main.commands[command].make_context(f"salesbook {command}", tokens[2:])


def test_main_help_lists_examples_one_per_line(runner):
    result = runner.invoke(main, ["--help"], terminal_width=50)
    assert result.exit_code == 0
    assert _examples(result.output) == ["salesbook demo", "salesbook run Pipeline.xlsx",
                                        "salesbook check Pipeline.xlsx",
                                        "salesbook import deals.csv --into Pipeline.xlsx",
                                        "salesbook rollup reps/ --output TEAM.xlsx", "salesbook excel new",
                                        "salesbook doctor", "salesbook run --help"]


@pytest.mark.parametrize("command", ["run", "check", "archive", "demo", "batch"])
def test_debug_is_listed_in_help(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert re.search(r"^\s+--debug\s+\S", result.output, re.M), result.output


# ---- no library warning reaches the terminal ----------------------------------------------------


def _book_with_ragged_history(path: Path) -> Path:
    """A History sheet whose rows end early (no Date, no To): read back as rows of unequal length."""
    write_en_table(path)
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("History")
    ws.append(["Lead ID", "From", "To", "Date"])
    ws.append(["L-001", None, "Qualification", TODAY.replace(month=9)])
    ws.append(["L-001", "Qualification", "Proposal"])  # no date
    ws.append(["L-002", None, "Prospecting"])  # no date
    ws.append(["L-003"])  # only an id
    wb.save(path)
    return path


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
@pytest.mark.parametrize("args", [["run"], ["check"], ["archive", "--dry-run"], ["run", "--only", "funnel"]])
def test_no_library_warning_reaches_the_terminal(tmp_path, args):
    book = _book_with_ragged_history(tmp_path / "Pipeline.xlsx")
    proc = subprocess.run([sys.executable, "-W", "always", "-m", "salesbook.cli", *args, str(book),
                           "--today", TODAY.isoformat()], capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Warning" not in proc.stderr and "warn" not in proc.stderr.lower(), proc.stderr
    assert "Traceback" not in proc.stderr


def test_ragged_history_rows_are_read_without_a_warning(recwarn):
    from salesbook.rules.history import history_from_grid

    frame = history_from_grid([["Lead ID", "From", "To", "Date"], ["L-1", None, "Proposal", "2026-10-01"],
                               ["L-2", "Proposal", "Negotiation"], ["L-3"]])
    assert not [w for w in recwarn if "salesbook" in w.filename], [str(w.message) for w in recwarn]
    assert frame["lead_id"].tolist() == ["L-1", "L-2", "L-3"]
    assert frame["to"].tolist()[:2] == ["Proposal", "Negotiation"] and pd.isna(frame["to"].iloc[2])
    assert frame["date"].iloc[0] == pd.Timestamp("2026-10-01") and frame["date"].iloc[1:].isna().all()


# ---- check and run group their problem lines -----------------------------------------------------


CONTRACT_ROWS = [3, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
                 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43]  # 37 Excel rows with Stage 'Contract Sent'


def _grouped_book(path: Path, n: int = 45) -> Path:
    rows = []
    for i in range(n):
        r = list(EN_ROWS[i % len(EN_ROWS)])
        r[0] = f"L-{i + 1:03d}"
        rows.append(r)
    for excel_row in CONTRACT_ROWS:
        rows[excel_row - 2][7] = "Contract Sent"
    rows[2][7] = "Qualifcation"  # row 4
    rows[0][15] = "someday"  # row 2: the first problem in the sheet, listed after the most frequent one
    rows[3][15] = "next week"  # row 5, Last Contact
    return write_en_table(path, rows=rows)


def _problem_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize("command", ["check", "run"])
def test_each_distinct_problem_is_listed_once_with_its_count_and_first_cells(tmp_path, cli, command):
    book = _grouped_book(tmp_path / "Pipeline.xlsx")
    result = cli(command, book, "--today", TODAY.isoformat())
    assert result.exit_code == 1, result.output
    assert _problem_lines(result.output) == [
        "Stage 'Contract Sent' is not a stage in Settings (did you mean 'Initial Contact'?): 37 rows "
        "(Leads!H3, H7, H9, …)",
        "Last Contact 'someday' is not a date: 1 row (Leads!P2)",
        "Stage 'Qualifcation' is not a stage in Settings (did you mean 'Qualification'?): 1 row (Leads!H4)",
        "Last Contact 'next week' is not a date: 1 row (Leads!P5)",
    ]
    if command == "check":  # the Check sheet keeps one row per cell
        check = calamine_rows(book, "Check")
        header = next(r for r in check if r and r[0] == "Cell")
        cells = [r[0] for r in check[check.index(header) + 1:] if r and r[0]]
        assert sorted(c for c in cells if c.startswith("H")) == sorted([f"H{r}" for r in CONTRACT_ROWS] + ["H4"])
        assert len(cells) == 40


def test_many_kinds_of_problem_stop_after_50_lines(tmp_path, cli):
    rows = []
    for i in range(60):
        r = list(EN_ROWS[0])
        r[0], r[15] = f"L-{i:03d}", f"someday {i}"  # 60 different bad Last Contact values
        rows.append(r)
    book = write_en_table(tmp_path / "Pipeline.xlsx", rows=rows)
    result = cli("check", book, "--today", TODAY.isoformat())
    lines = _problem_lines(result.output)
    assert len(lines) == 51
    assert lines[0] == "Last Contact 'someday 0' is not a date: 1 row (Leads!P2)"
    assert lines[-1] == "… and 10 more kinds of problem in 10 cells (see the Check sheet: salesbook check)"
    assert "Checked 60 leads: 60 problems in 60 rows" in result.output


# ---- archive --dry-run ---------------------------------------------------------------------------


def test_archive_dry_run_lists_what_would_move_and_writes_nothing(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    os.utime(book, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before, stat = digest(book), book.stat()
    out = tmp_path / "out.xlsx"
    result = cli("archive", book, "--dry-run", "--backup", "--output", out, "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    lines = _problem_lines(result.output)
    assert [line.split(" ")[0] for line in lines] == ["L-003", "L-004", "L-005"]
    assert lines[0].startswith("L-003 (Leads row 4): 3 consecutive contacts without response")
    assert lines[1] == "L-004 (Leads row 5): need does not match our offer"
    assert lines[2] == "L-005 (Leads row 6): duplicate of L-001"
    assert ("Would archive 3 stale leads to the Archive sheet; 5 rows would remain in Leads. "
            "Nothing was written (--dry-run).") in result.output
    assert digest(book) == before and book.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pipeline.xlsx"]  # no output, backup or temp file
    assert [r["Lead ID"] for r in calamine_table(book)] == [r[0] for r in EN_ROWS]

    result = cli("archive", book, "--today", TODAY.isoformat())  # the real run moves exactly those
    assert result.exit_code == 0, result.output
    moved = calamine_rows(book, "Archive")
    assert [dict(zip(moved[0], r))["Lead ID"] for r in moved[1:]] == ["L-003", "L-004", "L-005"]


def test_archive_dry_run_previews_a_book_open_in_excel(tmp_path, cli):
    """A preview writes nothing, so a book open in Excel can be previewed; the real archive refuses it."""
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    (tmp_path / "~$Pipeline.xlsx").write_bytes(b"\x04Lily" + b"\x00" * 50)
    before = digest(book)
    result = cli("archive", book, "--dry-run", "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "Would archive 3 stale leads" in result.output
    result = cli("archive", book, "--today", TODAY.isoformat())
    assert result.exit_code == 2 and "is open in Excel by Lily" in result.output
    assert digest(book) == before


def test_archive_dry_run_with_nothing_stale(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx", rows=EN_ROWS[:2])
    before = digest(book)
    result = cli("archive", book, "--dry-run", "--today", TODAY.isoformat())
    assert result.exit_code == 0
    assert "No stale leads to archive. Nothing was written (--dry-run)." in result.output
    assert digest(book) == before


# ---- demo and git; the README's API example --------------------------------------------------------


def test_demo_without_a_path_writes_into_the_current_folder_and_git_ignores_it(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("demo", "--leads", "50", "--today", TODAY.isoformat())
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "salesbook-demo.xlsx").is_file()
    assert len(calamine_table(tmp_path / "salesbook-demo.xlsx")) == 50
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = ["salesbook-demo.xlsx", "salesbook-demo.bak.xlsx", "salesbook-demo-zh.xlsx"]
    proc = subprocess.run(["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True)
    assert proc.stdout.split() == names, proc.stdout + proc.stderr


def _readme_api_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_readme_api_example_runs_without_warnings_and_returns_what_it_says(tmp_path, monkeypatch):
    import warnings

    import salesbook
    from salesbook.rules.funnel import FunnelReport
    from salesbook.service import Result

    write_en_table(tmp_path / "Pipeline.xlsx")
    monkeypatch.chdir(tmp_path)
    code = _readme_api_block()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scope: dict = {}
        exec(compile(code, "README.md", "exec"), scope)
    assert isinstance(scope["report"], FunnelReport) and isinstance(scope["result"], Result)
    assert isinstance(scope["result"].output, Path) and scope["result"].exit_code in (0, 1)
    leads = scope["leads"]
    for name, columns in {"grade": ["grade", "score", "grade_reason", "grade_change"],
                          "followup": ["next_followup", "followup_status"], "stale": ["stale", "stale_reason"],
                          "check": ["row", "key", "value", "message", "suggestion"]}.items():
        frame = getattr(salesbook, name)(leads)
        assert isinstance(frame, pd.DataFrame) and list(frame.columns) == columns, name
        line = next(line for line in code.splitlines() if f"salesbook.{name}(leads)" in line)
        named = re.sub(r"\([^)]*\)", "", line.split("# ", 1)[1].split("columns ", 1)[1])
        assert [c.strip() for c in named.split(",")] == columns, line  # the comment names the real columns
    assert salesbook.grade(leads).index.equals(leads.index)
