"""Bad cells stay in their row: one workbook with every kind of bad cell (corpus.BAD).

`run` exits 1, grades the good rows, and each bad row's outputs say "Check: …" with the
column and the value; `check` lists every problem with its cell address, here and on the
Check sheet. Read back with python-calamine and openpyxl, not salesbook's reader.
"""

from __future__ import annotations

import re

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from . import corpus
from .corpus import BAD, COL, TODAY, letter

OUTPUTS = ["Grade", "Score", "Grade Reason", "Grade Change", "Next Follow-up", "Follow-up Status", "Stale",
           "Stale Reason"]

# row -> (cell, what the problem line says, suggestion or None)
PROBLEMS = {
    BAD["bad_date"]: ("Created", "Created '2026-02-30' is not a date", None),
    BAD["bad_stage"]: ("Stage", "Stage 'Negotation' is not a stage in Settings", "Negotiation"),
    BAD["bad_bant"]: ("Authority", "Authority 'Decison maker' is not a known value", "Decision maker"),
    BAD["neg_amount"]: ("Deal Value", "Deal Value '-500' is not an amount of 0 or more", None),
    BAD["text_amount"]: ("Deal Value", "Deal Value 'lots' is not an amount of 0 or more", None),
    BAD["neg_count"]: ("Unanswered", "Unanswered '-1' is not a whole number of 0 or more", None),
    BAD["text_count"]: ("Unanswered", "Unanswered 'three' is not a whole number of 0 or more", None),
    BAD["text_in_date"]: ("Last Contact", "Last Contact 'last Tuesday' is not a date", None),
    BAD["err_na"]: ("Deal Value", "Deal Value has the Excel error #N/A", None),
    BAD["err_value"]: ("Budget", "Budget has the Excel error #VALUE!", None),
    BAD["merged_top"]: ("Stage", "Stage is in the merged cells H15:H16", None),
    BAD["merged_under"]: ("Stage", "Stage is in the merged cells H15:H16", None),
    BAD["dup_id"]: ("Lead ID", "Lead ID L-101 is also on row 2", None),
}
# what each bad row's outputs must mention: the column and the value as typed
NAMED_IN_OUTPUTS = {
    BAD["bad_date"]: ("Created", "2026-02-30"),
    BAD["bad_stage"]: ("Stage", "Negotation"),
    BAD["bad_bant"]: ("Authority", "Decison maker"),
    BAD["neg_count"]: ("Unanswered", "-1"),
    BAD["text_count"]: ("Unanswered", "three"),
    BAD["text_in_date"]: ("Last Contact", "last Tuesday"),
    BAD["err_value"]: ("Budget", "#VALUE!"),
    BAD["merged_top"]: ("Stage", "H15:H16"),
    BAD["merged_under"]: ("Stage", "H15:H16"),
}
AMOUNT_ROWS = {BAD["neg_amount"]: "-500", BAD["text_amount"]: "lots", BAD["err_na"]: "#N/A"}


def cell(header: str, row: int) -> str:
    return f"{letter(COL[header])}{row}"


def grouped_problems() -> dict[tuple[str, str | None], list[str]]:
    """(text, suggestion) -> its cells in row order: the terminal lists each distinct problem once."""
    groups: dict[tuple[str, str | None], list[str]] = {}
    for row, (header, text, suggestion) in sorted(PROBLEMS.items()):
        groups.setdefault((text, suggestion), []).append(cell(header, row))
    return groups


def assert_grouped_lines(output: str) -> None:
    """One line per distinct problem: "<message> (did you mean …?): N rows (Leads!H15, H16)"."""
    for (text, suggestion), cells in grouped_problems().items():
        lines = [line.strip() for line in output.splitlines() if line.strip().startswith(text)]
        assert len(lines) == 1, (text, lines)
        n = len(cells)
        assert lines[0].endswith(f": {n} row{'s' if n != 1 else ''} (Leads!{', '.join(cells)})"), lines[0]
        if suggestion:
            assert f"(did you mean '{suggestion}'?)" in lines[0], lines[0]


def listed_cells(output: str) -> set[str]:
    """Every cell named on the terminal's problem lines ("… (Leads!H3, H7, …)")."""
    found = set()
    for group in re.findall(r"\(Leads!([^)]*)\)\s*$", output, re.M):
        found.update(c.strip() for c in group.split(",") if c.strip() != "…")
    return found


def leads_rows(path) -> dict[int, dict[str, object]]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python(skip_empty_area=False)
    header = rows[0]
    return {i: dict(zip(header, r)) for i, r in enumerate(rows[1:], start=2)}


def outputs_text(row: dict) -> str:
    return " | ".join(str(row.get(h) or "") for h in OUTPUTS)


@pytest.fixture(scope="module")
def book_run(tmp_path_factory):
    from click.testing import CliRunner

    from salesbook.cli import main

    path = corpus.bad_cells_book(tmp_path_factory.mktemp("bad") / "Pipeline.xlsx")
    result = CliRunner().invoke(main, ["run", str(path), "--today", TODAY.isoformat()])
    return path, result


@pytest.fixture(scope="module")
def book_check(tmp_path_factory):
    from click.testing import CliRunner

    from salesbook.cli import main

    path = corpus.bad_cells_book(tmp_path_factory.mktemp("bad") / "Pipeline.xlsx")
    result = CliRunner().invoke(main, ["check", str(path), "--today", TODAY.isoformat()])
    return path, result


def test_corpus_has_real_error_cells_formulas_and_a_merge(tmp_path):
    """The workbook is what it claims: t="e" error cells, formulas with cached values, a merge (openpyxl)."""
    path = corpus.bad_cells_book(tmp_path / "Pipeline.xlsx")
    ws = openpyxl.load_workbook(path)["Leads"]
    cached = openpyxl.load_workbook(path, data_only=True)["Leads"]
    assert ws[cell("Deal Value", BAD["err_na"])].value == "=NA()"
    assert cached[cell("Deal Value", BAD["err_na"])].data_type == "e"
    assert cached[cell("Budget", BAD["err_value"])].value == "#VALUE!"
    assert ws[cell("Stage", BAD["formula"])].value.startswith("=IF(")
    assert cached[cell("Stage", BAD["formula"])].value == "Proposal"
    assert cached[cell("Budget", BAD["formula"])].value == "Confirmed"
    assert cached[cell("Deal Value", BAD["formula"])].value == 12000
    assert [str(r) for r in ws.merged_cells.ranges] == ["H15:H16"]
    assert all(c.value is None for c in ws[BAD["blank_1"]]) and all(c.value is None for c in ws[BAD["blank_2"]])


def test_run_exits_1_without_a_traceback(book_run):
    _, result = book_run
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "Error:" not in result.output
    assert "13 rows need attention" in result.output


def test_run_prints_every_problem_with_its_cell(book_run):
    _, result = book_run
    assert_grouped_lines(result.output)
    assert listed_cells(result.output) == {cell(h, row) for row, (h, _, _) in PROBLEMS.items()}


def test_good_rows_are_graded(book_run):
    path, _ = book_run
    rows = leads_rows(path)
    assert rows[BAD["good_a"]]["Grade"] == "A" and rows[BAD["good_a"]]["Score"] >= 75
    assert rows[BAD["good_b"]]["Grade"] == "B"
    assert rows[BAD["good_b"]]["Follow-up Status"] == "This week"
    assert "Check:" not in outputs_text(rows[BAD["good_a"]]) + outputs_text(rows[BAD["good_b"]])


def test_each_bad_row_outputs_say_what_is_wrong(book_run):
    path, _ = book_run
    rows = leads_rows(path)
    for row, (header, value) in NAMED_IN_OUTPUTS.items():
        text = outputs_text(rows[row])
        assert "Check: " in text, (row, text)
        assert header in text and value in text, (row, text)


def test_a_bad_cell_only_blanks_the_outputs_that_depend_on_it(book_run):
    path, _ = book_run
    rows = leads_rows(path)
    stage = rows[BAD["bad_stage"]]  # grading does not use Stage: graded; follow-up and stale say why not
    assert stage["Grade"] == "B"
    assert stage["Follow-up Status"].startswith("Check: Stage 'Negotation'")
    assert stage["Next Follow-up"] in ("", None)
    bant = rows[BAD["bad_bant"]]  # grading uses Authority: no guessed grade
    assert bant["Grade"] in ("", None) and bant["Grade Reason"].startswith("Check: Authority 'Decison maker'")


def test_bad_amount_is_named_in_the_row_outputs(book_run):
    path, _ = book_run
    rows = leads_rows(path)
    for row, value in AMOUNT_ROWS.items():
        text = outputs_text(rows[row])
        assert "Check: Deal Value" in text and value in text, (row, text)


def test_formula_cells_are_evaluated_from_their_cached_values(book_run):
    path, result = book_run
    row = leads_rows(path)[BAD["formula"]]
    assert row["Grade"] == "A", row  # Budget '=IF(1>0,"Confirmed","None")' cached Confirmed
    assert row["Follow-up Status"] == "This week"  # Stage '=IF(TRUE,"Proposal",…)' cached Proposal
    for header in ("Stage", "Budget", "Deal Value"):
        assert cell(header, BAD["formula"]) not in listed_cells(result.output)
    ws = openpyxl.load_workbook(path)["Leads"]  # the formulas themselves are kept
    assert ws[cell("Deal Value", BAD["formula"])].value == "=6000*2"
    assert ws[cell("Budget", BAD["formula"])].value == '=IF(1>0,"Confirmed","None")'


def test_blank_rows_get_no_outputs(book_run):
    path, _ = book_run
    rows = leads_rows(path)
    for r in (BAD["blank_1"], BAD["blank_2"]):
        assert all(v in ("", None) for v in rows[r].values()), rows[r]


def test_duplicate_lead_id_is_reported_and_both_rows_processed(book_run):
    path, _ = book_run
    rows = leads_rows(path)
    assert rows[BAD["dup_id"]]["Lead ID"] == rows[BAD["good_a"]]["Lead ID"] == "L-101"
    assert rows[BAD["dup_id"]]["Grade"] == "B" and rows[BAD["good_a"]]["Grade"] == "A"


def test_check_lists_every_problem_with_its_cell(book_check):
    path, result = book_check
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{len(PROBLEMS)} problems in {len(PROBLEMS)} rows" in result.output
    assert_grouped_lines(result.output)
    assert listed_cells(result.output) == {cell(h, row) for row, (h, _, _) in PROBLEMS.items()}


def test_check_sheet_has_every_problem(book_check):
    path, _ = book_check
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Check").to_python()
    header = next(r for r in rows if r and r[0] == "Cell")
    at = rows.index(header)
    found = {r[0]: dict(zip(header, r)) for r in rows[at + 1:] if r and r[0]}
    assert set(found) == {cell(h, row) for row, (h, _, _) in PROBLEMS.items()}
    for row, (h, text, suggestion) in PROBLEMS.items():
        line = found[cell(h, row)]
        assert line["Sheet"] == "Leads" and int(line["Row"]) == row and line["Column"] == h
        assert line["Problem"].startswith(text)
        assert (line["Did you mean"] or None) == suggestion


def test_check_writes_only_the_check_sheet(book_check, tmp_path):
    """`check` leaves the lead table's cells as they were."""
    path, _ = book_check
    fresh = corpus.bad_cells_book(tmp_path / "fresh.xlsx")
    before = openpyxl.load_workbook(fresh)["Leads"]
    after = openpyxl.load_workbook(path)["Leads"]
    assert [[c.value for c in r] for r in before.iter_rows()] == [[c.value for c in r] for r in after.iter_rows()]
