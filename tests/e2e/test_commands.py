"""check, archive, demo, batch and --help through click's test runner."""

from __future__ import annotations

import openpyxl
import pytest

from salesbook.cli import main

from .conftest import EN_ROWS, TODAY, calamine_rows, calamine_table, digest, write_en_table


def _bad_rows():
    rows = [list(r) for r in EN_ROWS]
    rows[1][7] = "Qualifcation"        # L-002 stage typo
    rows[2][9] = "TBD"                 # L-003 budget unknown word
    rows[3][15] = "next week"          # L-004 text in a date column
    rows[4][16] = -2                   # L-005 negative count
    rows[5][0] = "L-001"               # duplicate Lead ID
    return rows


def test_check_lists_every_problem_with_its_cell(tmp_path, cli):
    book = write_en_table(tmp_path / "Bad.xlsx", rows=_bad_rows())
    result = cli("check", book, "--today", TODAY.isoformat())
    assert result.exit_code == 1
    out = result.output
    assert "Stage 'Qualifcation' is not a stage in Settings (did you mean 'Qualification'?): 1 row (Leads!H3)" in out
    assert "Budget 'TBD' is not a known value: 1 row (Leads!J4)" in out
    assert "Last Contact 'next week' is not a date: 1 row (Leads!P5)" in out
    assert "Unanswered '-2' is not a whole number of 0 or more: 1 row (Leads!Q6)" in out
    assert "Lead ID L-001 is also on row 2: 1 row (Leads!A7)" in out
    check = calamine_rows(book, "Check")
    header = next(r for r in check if r and r[0] == "Cell")
    lines = check[check.index(header) + 1:]
    assert {r[0] for r in lines} == {"H3", "J4", "P5", "Q6", "A7"}
    assert "Traceback" not in out


def test_run_with_bad_cells_affects_only_their_rows(tmp_path, cli):
    book = write_en_table(tmp_path / "Bad.xlsx", rows=_bad_rows())
    result = cli("run", book, "--today", TODAY.isoformat())
    assert result.exit_code == 1
    rows = calamine_table(book)
    by_row = {i + 2: r for i, r in enumerate(rows)}
    assert by_row[3]["Follow-up Status"].startswith("Check: Stage 'Qualifcation'")
    assert by_row[4]["Grade Reason"].startswith("Check: Budget 'TBD'")
    assert by_row[4]["Grade"] in ("", None)
    assert by_row[2]["Grade"] == "A"      # the good rows are processed
    assert by_row[9]["Grade"] == "B"


def test_archive_moves_flagged_rows(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    result = cli("archive", book, "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "Archived 3 stale leads" in result.output
    remaining = [r["Lead ID"] for r in calamine_table(book)]
    assert remaining == ["L-001", "L-002", "L-006", "L-007", "L-008"]
    archive = calamine_rows(book, "Archive")
    assert archive[0][0] == "Archived On" and "Lead ID" in archive[0]
    moved = [dict(zip(archive[0], r)) for r in archive[1:]]
    assert [m["Lead ID"] for m in moved] == ["L-003", "L-004", "L-005"]
    assert moved[0]["Company"] == "Gamma Inc" and moved[0]["Deal Value"] == 5000
    assert moved[0]["My Note"] == "keep me"
    ws = openpyxl.load_workbook(book)["Leads"]
    assert ws.tables["Leads"].ref.endswith("6")  # header + 5 rows


def test_refusal_names_the_missing_column_and_writes_nothing(tmp_path, cli):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Owners", "Stage", "Created"])
    ws.append(["L-1", "Acme", "Zoe", "Proposal", "2026-01-01"])
    path = tmp_path / "NoOwner.xlsx"
    wb.save(path)
    before = digest(path)
    result = cli("run", path)
    assert result.exit_code == 2
    assert "required column not found: 'Owner' (负责人) (closest header: 'Owners')" in result.output
    assert "Headers seen:" in result.output and "Traceback" not in result.output
    assert digest(path) == before


def test_demo_writes_and_runs_a_sample_book(tmp_path, cli):
    path = tmp_path / "demo.xlsx"
    result = cli("demo", path, "--leads", "300", "--today", TODAY.isoformat())
    assert result.exit_code in (0, 1), result.output
    assert "Graded 300 leads" in result.output
    rows = calamine_table(path)
    assert len(rows) == 300 and all(r["Grade"] in "ABCD" for r in rows)
    assert calamine_rows(path, "Funnel")[0][0] == "Sales funnel"


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_batch_keeps_going_past_a_bad_file(tmp_path, cli):
    good = [write_en_table(tmp_path / f"rep{i}.xlsx") for i in range(3)]
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(good[0].read_bytes()[:2000])
    result = cli("batch", tmp_path, "--workers", "2", "--today", TODAY.isoformat(), "--no-progress")
    assert result.exit_code == 2
    assert "FAILED" in result.output and "broken.xlsx" in result.output and "damaged" in result.output
    assert "Processed 3 of 4 workbooks" in result.output
    for g in good:
        assert {r["Lead ID"]: r["Grade"] for r in calamine_table(g)}["L-001"] == "A"


@pytest.mark.parametrize("command", ["run", "check", "archive", "demo", "batch"])
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"salesbook {command}" in result.output


def test_unknown_only_is_a_clear_error(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    result = cli("run", book, "--only", "grades,magic")
    assert result.exit_code == 2
    assert "Invalid value for '--only': unknown command(s) grades, magic" in result.output
    assert "Usage:" in result.output and "Error: BadParameter" not in result.output
