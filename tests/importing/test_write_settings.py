"""`salesbook import … --preset NAME --write-settings` on an existing book: the preset's lines the Import
blocks do not map yet are added under the blocks' own lines, nothing else in the workbook changes, a
second time adds nothing, and a sheet whose rows below cannot move is refused byte-identical.

Books are built by salesbook's sample generator and edited with openpyxl; results are read back with
openpyxl, python-calamine and zipfile."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from salesbook.adapters.exports import preset_blocks

HUBSPOT = ["Record ID", "Deal Name", "Deal Stage", "Amount", "Associated Company", "Deal owner", "Create Date"]
ROWS = [["101", "Big deal", "appointmentscheduled", "1000", "Acme", "Ann", "2026-09-01"],
        ["102", "Other deal", "qualifiedtobuy", "2000", "Beta", "Bob", "2026-09-02"]]


def invoke(*args):
    from salesbook.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "deals.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HUBSPOT, *ROWS])
    return path


def _book(tmp_path: Path, edit=None) -> Path:
    """A sample book that already holds the export's deals (so a second import changes no lead)."""
    from salesbook.builder.template import write_sample_workbook

    book = write_sample_workbook(tmp_path / "Pipeline.xlsx", 20, seed=2, today=dt.date(2026, 11, 2))
    if edit is not None:
        wb = openpyxl.load_workbook(book)
        edit(wb["Settings"])
        wb.save(book)
    r = invoke("import", _export(tmp_path), "--into", book, "--preset", "hubspot", "--today", "2026-11-02")
    assert r.exit_code in (0, 1), r.output
    return book


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _settings_part(path: Path) -> str:
    from tests.importing.test_import import _sheet_part

    return _sheet_part(path, "Settings")


def _block(rows: list[list[object]], title: str, width: int) -> list[list[object]]:
    """The lines of an Import block (below its title and header, down to the first blank line)."""
    at = next(i for i, r in enumerate(rows) if r and r[0] == title) + 2
    out = []
    while at < len(rows) and any(v not in (None, "") for v in rows[at][:width]):
        out.append(list(rows[at][:width]))
        at += 1
    return out


def test_the_preset_is_written_into_an_existing_book_once(tmp_path):
    book = _book(tmp_path)
    before = _parts(book)
    part = _settings_part(book)
    r = invoke("import", _export(tmp_path), "--into", book, "--preset", "hubspot", "--write-settings", "--no-run")
    assert r.exit_code == 0, r.output
    columns, values = preset_blocks("hubspot")
    # HubSpot's internal stage names and their labels read alike (closedwon, Closed Won): one line each
    distinct_values = {(v.key, "".join(ch for ch in v.value.casefold() if ch.isalnum())) for v in values}
    assert len(distinct_values) == 7
    n = len(columns) + len(distinct_values)
    assert (f"Wrote {n} lines of the hubspot preset into the Settings sheet ({len(columns)} Import columns, "
            f"{len(distinct_values)} Import values; lines already there kept)") in r.output
    after = _parts(book)
    assert [name for name in after if after[name] != before.get(name)] == [part]  # nothing else changed
    ws = openpyxl.load_workbook(book)["Settings"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    got = _block(rows, "Import columns 导入列", 2)
    assert got[0] == ["Lead ID", "Record ID"] and ["Stage", "Deal Stage"] in got and len(got) == len(columns)
    values_rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Settings").to_python()
    got_values = _block(values_rows, "Import values 导入值", 3)
    assert ["Stage", "closedwon", "Closed Won"] in got_values and len(got_values) == len(distinct_values)
    # the blocks above stay where they were; the Import values block moved down below the longer block
    assert rows[94][0] == "Import columns 导入列" and rows[95][:2] == ["Column", "Export header"]
    again = invoke("import", _export(tmp_path), "--into", book, "--preset", "hubspot", "--write-settings", "--no-run")
    assert "Wrote 0 lines of the hubspot preset" in again.output, again.output
    assert _parts(book) == after
    run = invoke("run", book, "--today", "2026-11-02")  # the book's Settings read back by salesbook itself
    assert run.exit_code in (0, 1), run.output


def test_the_blocks_own_lines_are_kept_and_win(tmp_path):
    def own_lines(ws):
        ws["A97"], ws["B97"] = "Owner", "Sales Rep"
        ws["A110"], ws["B110"], ws["C110"] = "Stage", "closedwon", "Closed Lost"

    book = _book(tmp_path, own_lines)
    r = invoke("import", _export(tmp_path), "--into", book, "--preset", "hubspot", "--write-settings", "--no-run")
    assert r.exit_code == 0, r.output
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Settings").to_python()
    cols = _block(rows, "Import columns 导入列", 2)
    assert cols[0] == ["Owner", "Sales Rep"] and ["Owner", "Deal owner"] not in cols
    vals = _block(rows, "Import values 导入值", 3)
    assert vals[0] == ["Stage", "closedwon", "Closed Lost"] and ["Stage", "closedwon", "Closed Won"] not in vals
    assert ["Stage", "closedlost", "Closed Lost"] in vals


@pytest.mark.parametrize("cell, formula, said", [("H112", "=A110&B110", "a formula in row 112"),
                                                  ("H5", "=A115", "the formula A115")])
@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_rows_that_something_refers_to_are_not_moved(tmp_path, cell, formula, said):
    def formula_below(ws):
        ws[cell] = formula

    book = _book(tmp_path, formula_below)
    before = book.read_bytes()
    r = invoke("import", _export(tmp_path), "--into", book, "--preset", "hubspot", "--write-settings")
    assert r.exit_code == 2, r.output
    assert said in r.output and "Insert 9 rows inside the block (above row 107)" in r.output, r.output
    assert "Pipeline.xlsx" in r.output
    assert book.read_bytes() == before
