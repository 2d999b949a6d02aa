"""Every bad input is refused through the CLI before anything is written.

For each case of the hostile corpus and each command that writes (run, check, archive):
exit code 2, one message that names the file and says what to do, no traceback, the
folder byte for byte as it was (the input unchanged, no temp file, no backup).
"""

from __future__ import annotations

import os
import time

import pytest

from . import corpus
from .conftest import folder_state, temp_files

TODAY = corpus.TODAY.isoformat()

# case -> (builder, key phrases of the message)
CASES = {
    "not_a_workbook": (corpus.not_a_workbook, ["is not an Excel workbook", "choose the .xlsx or .xlsm workbook"]),
    "truncated_zip": (corpus.truncated_zip, ["is damaged or incomplete", "get a fresh copy"]),
    "corrupt_member": (corpus.corrupt_member, ["is damaged or incomplete", "let Excel repair it"]),
    "old_xls": (corpus.old_xls, ["old Excel 97-2003 (.xls) file", "Save As Excel Workbook (.xlsx)"]),
    "csv": (corpus.csv_file, ["is a CSV text file", "Save As Excel Workbook (.xlsx)"]),
    "password_protected": (corpus.password_protected, ["is password-protected", "remove the password"]),
    "xlsb": (corpus.xlsb_file, ["Excel Binary Workbook (.xlsb)", "Save As Excel Workbook (.xlsx)"]),
    "ods": (corpus.ods_file, ["OpenDocument spreadsheet (.ods)", "save it as an Excel Workbook (.xlsx)"]),
    "entity_in_sheet": (corpus.entity_in_sheet,
                        ["entity declaration in xl/worksheets/sheet1.xml", "save it again as an Excel Workbook"]),
    "external_entity": (corpus.external_entity_in_shared_strings,
                        ["entity declaration in xl/sharedStrings.xml", "save it again as an Excel Workbook"]),
    "zip_bomb": (corpus.zip_bomb, ["'zip bomb'", "a part (xl/worksheets/sheet1.xml) that unpacks to more than",
                                   "its zip header declares", "ask whoever sent it for a copy saved by Excel"]),
    "zip_bomb_declared": (corpus.zip_bomb_declared, ["would unpack to 3.3 GB", "split it into smaller workbooks"]),
    "no_lead_table": (corpus.no_lead_table, ["No lead table found", "Sheets seen: 'Budget', 'Notes'",
                                             "Put the leads on a sheet named 'Leads'", "then run again"]),
    "missing_required_column": (corpus.missing_required_column,
                                ["sheet 'Leads'", "required column", "'Stage' (阶段)", "Headers seen:", "'Sales Stge'",
                                 "Rename the header or add the column, then run again"]),
    "duplicate_headers": (corpus.duplicate_headers, ["sheet 'Leads'", "the column 'Owner' appears twice (columns F and V)",
                                                     "Rename or remove one of them"]),
    "open_in_excel": (corpus.open_in_excel, ["is open in Excel by Zoe Chen", "close it there", "--force"]),
    "read_only_file": (corpus.read_only_file, ["is read-only", "chmod u+w", "--output"]),
    "read_only_folder": (corpus.read_only_folder, ["because its folder", "is read-only or not yours",
                                                   "move the workbook", "--output"]),
}


def assert_refused(result, path, phrases):
    out = result.output
    assert result.exit_code == 2, out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in out and "Error:" not in out, out
    assert out.startswith("Refused: "), out
    assert path.name in out, out
    for phrase in phrases:
        assert phrase in out, f"{phrase!r} not in {out!r}"
    assert len(out.strip().splitlines()) == 1, out  # one message, no noise


@pytest.mark.parametrize("command", ["run", "check", "archive"])
@pytest.mark.parametrize("case", list(CASES))
def test_refused_before_anything_is_written(workdir, cli, case, command):
    builder, phrases = CASES[case]
    if (case, command) == ("csv", "run"):  # run reads a CSV as a CRM export, and never writes into it
        phrases = ["is a CRM export", "give --output graded.xlsx"]
    path = builder(workdir)
    before = folder_state(workdir)
    t0 = time.monotonic()
    result = cli(command, path, "--today", TODAY, "--backup")
    assert time.monotonic() - t0 < 5
    assert_refused(result, path, phrases)
    assert folder_state(workdir) == before  # the input byte for byte, no temp file, no backup
    assert temp_files(workdir) == []


def test_missing_column_names_the_closest_unmatched_header(workdir, cli):
    path = corpus.missing_required_column(workdir)
    result = cli("run", path, "--today", TODAY)
    assert result.exit_code == 2
    assert "required column not found: 'Stage' (阶段) (closest header: 'Sales Stge')" in result.output


def test_force_goes_on_past_an_owner_file(workdir, cli):
    path = corpus.open_in_excel(workdir)
    owner = workdir / "~$Pipeline.xlsx"
    lock = owner.read_bytes()
    result = cli("run", path, "--today", TODAY, "--force")
    assert result.exit_code == 0, result.output
    assert "Graded 6 leads" in result.output
    assert owner.read_bytes() == lock  # Excel's file is not ours to touch
    assert temp_files(workdir) == []


def test_read_only_file_can_be_graded_into_another_file(workdir, cli):
    """The refusal's advice works: --output writes elsewhere, the read-only input stays as it was."""
    path = corpus.read_only_file(workdir)
    before = path.read_bytes()
    out = workdir / "graded.xlsx"
    result = cli("run", path, "--today", TODAY, "--output", out)
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before
    assert out.exists() and temp_files(workdir) == []


def test_read_only_folder_refused_even_for_root(workdir, cli):
    """As root the OS would let us write into a 0555 folder; salesbook goes by the folder's mode bits."""
    path = corpus.read_only_folder(workdir)
    folder = path.parent
    if os.geteuid() == 0:
        assert os.access(folder, os.W_OK)  # the kernel would not stop root ...
    result = cli("run", path, "--today", TODAY)
    assert_refused(result, path, ["is read-only or not yours"])  # ... salesbook does
    assert sorted(p.name for p in folder.iterdir()) == ["Pipeline.xlsx"]
