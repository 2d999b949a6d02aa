"""`salesbook rollup` on the command line: --period as `run` reads it, the progress bar, the
exit code. TEAM.xlsx is read back with python-calamine."""

from __future__ import annotations

import pytest

from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from salesbook.cli import main
from salesbook.rules.period import PeriodError, parse_period
from tests.team.test_rollup import block, team  # noqa: F401  (the fixture: 3 books and a refused one)


def rollup(*args):
    return CliRunner().invoke(main, ["rollup", *map(str, args), "--today", "2026-12-31"])


def test_a_bad_period_is_refused_with_runs_sentence_before_any_book_is_read(team):
    folder, books = team
    out = folder / "TEAM.xlsx"
    result = rollup(*books[:3], "-o", out, "--period", "2026-13", "--no-progress")
    assert result.exit_code == 2
    try:
        parse_period("2026-13")
    except PeriodError as exc:
        assert str(exc) in result.output
    assert not out.exists()


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_the_period_limits_the_funnel_to_leads_created_in_it(team):
    folder, books = team
    out = folder / "TEAM.xlsx"
    result = rollup(*books[:3], "-o", out, "--period", "2026-Q4", "--no-progress")
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Team Funnel").to_python()
    assert "2026-Q4" in rows[1][0]
    _, kpi = block(rows, "Key figures")
    k = next(iter(kpi.values()))
    # created in Q4, B-1, C-2 (open) and C-1 (unknown stage); A-2, A-4 (won) and B-2 (lost) before it
    assert (k["Open leads"], k["Won"], k["Lost"]) == (4, 0, 0)
    _, unknown = block(rows, "Stages not in Settings (not counted above)")
    assert unknown["c.xlsx"]["Leads"] == 1
    result = rollup(*books[:3], "-o", out, "--period", "last-31-days", "--no-progress")
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Team Funnel").to_python()
    _, kpi = block(rows, "Key figures")
    assert next(iter(kpi.values()))["Open leads"] == 1  # B-1, created on 2026-12-01, the 31st day back


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_the_progress_bar_counts_the_books_and_a_failed_book_gives_exit_code_2(team):
    folder, books = team
    result = rollup(*books, "-o", folder / "TEAM.xlsx")
    assert result.exit_code == 2
    assert "4/4" in result.output and "book" in result.output
    assert "FAILED" in result.output and "bad.xlsx" in result.output
    assert "Rolled up 3 of 4 workbooks (1 failed)" in result.output
