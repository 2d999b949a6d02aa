"""`salesbook run EXPORT --output …`: a new graded workbook or the export with results appended;
the export itself is never written. Results read back with other readers than the writer's."""

from __future__ import annotations

import csv
import hashlib

import openpyxl
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from salesbook.cli import main
from tests.exports.conftest import HUBSPOT, PIPEDRIVE, write_csv

TODAY = "2026-11-02"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_without_output_refuses_and_leaves_the_export(tmp_path):
    path = write_csv(tmp_path / "deals.csv", HUBSPOT)
    before = digest(path)
    r = invoke("run", path, "--preset", "hubspot")
    assert r.exit_code == 2
    assert "deals.csv is a CRM export: give --output graded.xlsx" in r.output
    assert digest(path) == before and sorted(p.name for p in tmp_path.iterdir()) == ["deals.csv"]


def test_run_to_a_new_workbook(tmp_path):
    path = write_csv(tmp_path / "deals.csv", HUBSPOT, encoding="utf-8-sig")
    before = digest(path)
    r = invoke("run", path, "--preset", "hubspot", "--output", tmp_path / "graded.xlsx", "--today", TODAY)
    assert r.exit_code == 0, r.output
    assert "deals.csv (3 rows): Graded 3 leads" in r.output
    assert "No BANT data: every lead grades C — map or add Budget, Authority, Need, Timeline" in r.output
    assert digest(path) == before
    wb = CalamineWorkbook.from_path(str(tmp_path / "graded.xlsx"))
    assert wb.sheet_names[:5] == ["Leads", "Settings", "Funnel", "Cleanse", "History"]
    leads = wb.get_sheet_by_name("Leads").to_python()
    header = leads[0]
    col = {h: i for i, h in enumerate(header)}
    assert [row[col["Lead ID"]] for row in leads[1:]] == ["9001", "9002", "9003"]
    assert [row[col["Stage"]] for row in leads[1:]] == ["Initial Contact", "Negotiation", "Closed Won"]
    assert [row[col["Grade"]] for row in leads[1:]] == ["C", "C", "C"]
    assert leads[1][col["Deal Value"]] == 45000  # typed, not text
    assert str(leads[1][col["Created"]]).startswith("2026-10-08")
    assert "Deal Name" in col and "Pipeline" in col  # the export's own columns are kept
    funnel = openpyxl.load_workbook(tmp_path / "graded.xlsx")["Funnel"]
    assert funnel["A3"].value == "Period: all leads. No BANT data: every lead grades C — map or add Budget, Authority, Need, Timeline."


def test_run_to_csv_keeps_encoding_delimiter_and_rows(tmp_path):
    path = write_csv(tmp_path / "deals.csv", PIPEDRIVE, encoding="gbk", delimiter=";")
    r = invoke("run", path, "--preset", "pipedrive", "--output", tmp_path / "graded.csv", "--today", TODAY)
    assert r.exit_code == 0, r.output
    raw = (tmp_path / "graded.csv").read_bytes()
    raw.decode("gb18030")
    try:
        raw.decode("utf-8")
        assert False, "written as UTF-8, not in the export's encoding"
    except UnicodeDecodeError:
        pass
    with open(tmp_path / "graded.csv", newline="", encoding="gb18030") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == PIPEDRIVE[0] + ["Grade", "Score", "Grade Reason", "Grade Change", "Next Follow-up",
                                      "Follow-up Status", "Stale", "Stale Reason"]
    assert [r[:len(PIPEDRIVE[0])] for r in rows[1:]] == PIPEDRIVE[1:]  # the export's cells as they were
    grades = [r[len(PIPEDRIVE[0])] for r in rows[1:]]
    assert grades == ["C", "C", "C"]
    # the open lead changed stage on 2026-10-08 (its Last stage change): 25 days in Lead In, stuck past 14
    assert rows[2][-1] == "stuck in Prospecting for 25 days (limit 14)"


def test_unmapped_stage_in_run_refuses_before_writing(tmp_path):
    rows = HUBSPOT + [["9004", "Delta", "Contract Signed", "", "Ann Lee", "1", "2026-10-01", "", "Delta", "P"]]
    path = write_csv(tmp_path / "deals.csv", rows)
    r = invoke("run", path, "--preset", "hubspot", "--output", tmp_path / "graded.xlsx")
    assert r.exit_code == 2 and "the stage 'Contract Signed'" in r.output
    assert not (tmp_path / "graded.xlsx").exists()
