"""`salesbook import`: weekly exports merged by Lead ID, History and counts, idempotence, cells
outside the mapped columns untouched, a new book, --dry-run, refusals, --settings on run/check/import.

Exports are written with openpyxl and the csv module; books are read back with python-calamine and
zipfile + lxml, never with salesbook's own reader."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree
from python_calamine import CalamineWorkbook

from salesbook.rules.settings import Settings, Stage
from tests.sheets import openpyxl_book

HEADERS = ["Lead ID", "Company", "Owner", "Stage", "Deal Value", "Created"]
WEEK1 = [["C-1", "Acme", "Ann", "Prospecting", "1000", "2026-09-01"],
         ["C-2", "Beta", "Bob", "Proposal", "2500.5", "2026-08-01"],
         ["C-3", "Gamma", "Ann", "Qualification", "", "2026-10-01"]]
# week 2: C-1 moves on, C-2's amount changes, C-3 vanished, C-4 is new
WEEK2 = [["C-1", "Acme", "Ann", "Negotiation", "1000", "2026-09-01"],
         ["C-2", "Beta", "Bob", "Proposal", "3000", "2026-08-01"],
         ["C-4", "Delta", "Cy", "Prospecting", "10", "2026-11-01"]]
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def invoke(*args):
    from salesbook.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def write_xlsx(path: Path, rows, headers=HEADERS) -> Path:
    openpyxl_book({"Deals": [headers, *rows]}).save(path)
    return path


def write_csv(path: Path, rows, headers=HEADERS, encoding="utf-8-sig") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows([headers, *rows])
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def sheet(path: Path, name: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def leads(path: Path) -> dict[str, dict[str, object]]:
    rows = sheet(path, "Leads")
    head = rows[0]
    return {r[0]: dict(zip(head, r)) for r in rows[1:] if r[0]}


def test_two_weekly_exports_history_counts_and_idempotence(tmp_path):
    book = tmp_path / "Pipeline.xlsx"
    w1 = write_xlsx(tmp_path / "week1.xlsx", WEEK1)
    w2 = write_csv(tmp_path / "week2.csv", WEEK2)
    r1 = invoke("import", w1, "--into", book, "--today", "2026-11-02")
    assert r1.exit_code in (0, 1), r1.output
    assert r1.output.strip().splitlines()[-1] == \
        "Imported 3 rows from week1.xlsx: 3 new · 0 updated (0 stage changes) · 0 unchanged"
    r2 = invoke("import", w2, "--into", book, "--today", "2026-11-09")
    assert r2.output.strip().splitlines()[-1] == ("Imported 3 rows from week2.csv: 1 new · 2 updated (1 stage "
                                                  "changes) · 0 unchanged; 1 leads in the book are not in this export")
    history = [r[:4] for r in sheet(book, "History")[1:] if r[0]]
    assert history == [["C-1", "", "Prospecting", dt.date(2026, 11, 2)],
                       ["C-2", "", "Proposal", dt.date(2026, 11, 2)],
                       ["C-3", "", "Qualification", dt.date(2026, 11, 2)],
                       ["C-1", "Prospecting", "Negotiation", dt.date(2026, 11, 9)],
                       ["C-4", "", "Prospecting", dt.date(2026, 11, 9)]]
    got = leads(book)
    assert list(got) == ["C-1", "C-2", "C-3", "C-4"]  # C-3 kept though the export lacks it
    assert got["C-1"]["Stage"] == "Negotiation" and got["C-1"]["Stage Since"] == dt.date(2026, 11, 9)
    assert got["C-2"]["Deal Value"] == 3000 and got["C-2"]["Stage Since"] == dt.date(2026, 11, 2)
    assert got["C-4"]["Created"] == dt.date(2026, 11, 1) and got["C-4"]["Grade"] == "C"
    # days in stage count from the first import: nothing is stuck, though Created is months back
    assert not any("stage" in str(v["Stale Reason"]).lower() for v in got.values())
    before = parts(book)
    r3 = invoke("import", w2, "--into", book, "--today", "2026-11-09")
    assert "0 new · 0 updated (0 stage changes) · 3 unchanged" in r3.output
    assert parts(book) == before  # the same export again changes nothing


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_several_exports_in_one_command_equal_one_after_the_other(tmp_path):
    w1 = write_xlsx(tmp_path / "week1.xlsx", WEEK1)
    w2 = write_csv(tmp_path / "week2.csv", WEEK2)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    out = invoke("import", w1, w2, "--into", a, "--today", "2026-11-09").output
    assert "Imported 3 rows from week1.xlsx" in out and out.strip().splitlines()[-1].startswith(
        "Imported 3 rows from week2.csv: 1 new · 2 updated")
    invoke("import", w1, "--into", b, "--today", "2026-11-09", "--no-run")
    invoke("import", w2, "--into", b, "--today", "2026-11-09")
    assert sheet(a, "Leads") == sheet(b, "Leads") and sheet(a, "History") == sheet(b, "History")


def _cells(xml: bytes) -> dict[str, bytes]:
    root = etree.fromstring(xml)
    return {c.get("r"): etree.tostring(c) for c in root.iterfind(".//m:sheetData/m:row/m:c", NS)}


def _sheet_part(path: Path, name: str = "Leads") -> str:
    with zipfile.ZipFile(path) as z:
        wb = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    rid = next(s.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
               for s in wb.iterfind(".//m:sheet", NS) if s.get("name") == name)
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return "xl/" + target.lstrip("/").removeprefix("xl/")


def test_known_ids_change_only_the_mapped_cells(tmp_path):
    from salesbook.builder.template import write_sample_workbook

    book = tmp_path / "demo.xlsx"
    write_sample_workbook(book, 30, seed=3, today=dt.date(2026, 11, 20))
    wb = openpyxl.load_workbook(book)
    ws = wb["Leads"]
    ws["AE2"] = "=A2&\"!\""  # a user's formula beside the table
    ws["AE3"] = "note"
    ws["AE3"].font = openpyxl.styles.Font(bold=True)
    wb.save(book)
    rows = sheet(book, "Leads")
    head = rows[0]
    col = {h: i for i, h in enumerate(head)}
    stage_col = openpyxl.utils.get_column_letter(col["Stage"] + 1)
    value_col = openpyxl.utils.get_column_letter(col["Deal Value"] + 1)
    since_col = openpyxl.utils.get_column_letter(col["Stage Since"] + 1)
    export = []
    for r in rows[1:4]:
        e = [r[col[h]] for h in ("Lead ID", "Company", "Owner", "Stage", "Deal Value")]
        export.append([str(x) if not isinstance(x, float) else f"{x:g}" for x in e])
    export[0][3] = "Negotiation" if export[0][3] != "Negotiation" else "Proposal"
    export[1][4] = "123456"
    write_csv(tmp_path / "x.csv", export, HEADERS[:5])
    part = _sheet_part(book)
    before = _cells(parts(book)[part])
    r = invoke("import", tmp_path / "x.csv", "--into", book, "--no-run", "--today", "2026-11-20")
    assert "3 rows from x.csv: 0 new · 2 updated (1 stage changes) · 1 unchanged; 27 leads" in r.output, r.output
    after = _cells(parts(book)[part])
    changed = {ref for ref in set(before) | set(after) if before.get(ref) != after.get(ref)}
    assert changed == {f"{stage_col}2", f"{since_col}2", f"{value_col}3"}
    assert re.search(rb's="\d+"', after[f"{stage_col}2"]) or not re.search(rb's="\d+"', before[f"{stage_col}2"])
    got = sheet(book, "Leads")
    assert got[1][col["Stage"]] == export[0][3] and got[2][col["Deal Value"]] == 123456
    assert got[1][col["Stage Since"]] == dt.date(2026, 11, 20)


def test_new_book_is_created_with_leads_and_settings(tmp_path):
    book = tmp_path / "new.xlsx"
    r = invoke("import", write_csv(tmp_path / "w.csv", WEEK1), "--into", book, "--today", "2026-11-02")
    assert r.exit_code in (0, 1), r.output
    names = CalamineWorkbook.from_path(str(book)).sheet_names
    assert "Leads" in names and "Settings" in names
    assert list(leads(book)) == ["C-1", "C-2", "C-3"]
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".~salesbook")]  # no staging file left


def test_dry_run_writes_nothing(tmp_path):
    book = tmp_path / "Pipeline.xlsx"
    invoke("import", write_xlsx(tmp_path / "w1.xlsx", WEEK1), "--into", book, "--today", "2026-11-02")
    before, mtime = book.read_bytes(), book.stat().st_mtime_ns
    r = invoke("import", write_csv(tmp_path / "w2.csv", WEEK2), "--into", book, "--dry-run")
    assert "C-1 Stage: Prospecting → Negotiation" in r.output
    assert "C-2 Deal Value: 2500.5 → 3000" in r.output and "C-4: new lead (row 5)" in r.output
    assert "Would import 3 rows from w2.csv: 1 new · 2 updated (1 stage changes)" in r.output
    assert book.read_bytes() == before and book.stat().st_mtime_ns == mtime
    assert sorted(os.listdir(tmp_path)) == ["Pipeline.xlsx", "w1.xlsx", "w2.csv"]


def _bad(tmp_path: Path, kind: str) -> Path:
    if kind == "no id column":
        return write_csv(tmp_path / "bad.csv", [r[1:] for r in WEEK2], HEADERS[1:])
    if kind == "duplicate ids":
        return write_csv(tmp_path / "bad.csv", WEEK2 + [WEEK2[0]])
    if kind == "unmapped stage":
        return write_csv(tmp_path / "bad.csv", WEEK2 + [["C-9", "Nu", "Ann", "Contract Sent", "1", "2026-11-01"]])
    if kind == "empty file":
        (tmp_path / "bad.csv").write_bytes(b"")
        return tmp_path / "bad.csv"
    (tmp_path / "bad.csv").write_bytes(bytes(range(256)) * 64)  # binary CSV
    return tmp_path / "bad.csv"


@pytest.mark.parametrize("kind", ["no id column", "duplicate ids", "unmapped stage", "empty file", "binary csv"])
def test_bad_export_is_refused_and_the_book_stays_byte_identical(tmp_path, kind):
    book = tmp_path / "Pipeline.xlsx"
    invoke("import", write_xlsx(tmp_path / "w1.xlsx", WEEK1), "--into", book, "--today", "2026-11-02")
    before = book.read_bytes()
    r = invoke("import", _bad(tmp_path, kind), "--into", book)
    assert r.exit_code == 2, r.output
    assert "Refused:" in r.output and "bad.csv" in r.output
    assert book.read_bytes() == before
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".~salesbook")]


def _team(tmp_path: Path) -> Path:
    """A team Settings workbook with one more open stage, 'Contract Sent'."""
    from salesbook.importing import plain_book

    base = Settings()
    stages = list(base.stages)
    stages.insert(5, Stage("Contract Sent", "合同已发", 0.6, 20))
    return plain_book(tmp_path / "Team.xlsx", replace(base, stages=tuple(stages)))


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_settings_from_a_team_workbook_on_import_run_and_check(tmp_path):
    team = _team(tmp_path)
    book = tmp_path / "Pipeline.xlsx"
    export = write_csv(tmp_path / "w.csv", WEEK1 + [["C-9", "Nu", "Ann", "Contract Sent", "1", "2026-11-01"]])
    invoke("import", write_csv(tmp_path / "w1.csv", WEEK1), "--into", book, "--today", "2026-11-02")
    before = book.read_bytes()
    assert invoke("import", export, "--into", book).exit_code == 2  # the book's own Settings lack the stage
    assert book.read_bytes() == before
    r = invoke("import", export, "--into", book, "--settings", team, "--today", "2026-11-02")
    assert r.exit_code in (0, 1) and "1 new" in r.output, r.output
    assert leads(book)["C-9"]["Grade"] == "C"
    check_own = invoke("check", book)
    assert check_own.exit_code == 1 and "Contract Sent" in check_own.output  # the book's own Settings
    check_team = invoke("check", book, "--settings", team)
    assert "Contract Sent" not in check_team.output, check_team.output
    run_team = invoke("run", book, "--settings", team, "--today", "2026-11-02")
    assert run_team.exit_code == 0, run_team.output
    before = book.read_bytes()
    missing = invoke("run", book, "--settings", tmp_path / "nope.xlsx")
    assert missing.exit_code == 2 and "nope.xlsx" in missing.output
    assert book.read_bytes() == before
