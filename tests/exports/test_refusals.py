"""Bad exports are refused with one sentence naming the file, (sheet,) row, column and value."""

from __future__ import annotations

import zipfile

import pytest

from salesbook.adapters.exports import read_export
from salesbook.errors import Refusal
from salesbook.rules.settings import ImportValue, Settings
from tests.exports.conftest import HUBSPOT, PIPEDRIVE, write_csv, write_openpyxl


def refused(path, preset=None, settings=None) -> Refusal:
    with pytest.raises(Refusal) as info:
        read_export(path, settings=settings or Settings(), preset=preset)
    return info.value


def test_no_id_column_names_the_headers_tried_and_the_closest(tmp_path):
    rows = [[h if h != "Record ID" else "Deal Ref" for h in HUBSPOT[0]]] + HUBSPOT[1:]
    r = refused(write_csv(tmp_path / "deals.csv", rows), "hubspot")
    assert r.message.startswith("deals.csv: no Lead ID column: none of the headers 'Record ID', 'Deal ID'")
    assert "'Deal Ref'" in r.message and "Import columns block (导入列)" in r.message
    assert r.column == "Lead ID"


def test_duplicate_ids_name_both_rows(tmp_path):
    rows = HUBSPOT + [["9002"] + HUBSPOT[2][1:]]
    r = refused(write_csv(tmp_path / "deals.csv", rows), "hubspot")
    assert "the ID '9002' appears on rows 3 and 5" in r.message
    assert (r.row, r.column, r.value) == (5, "Record ID", "9002")


def test_empty_id(tmp_path):
    rows = HUBSPOT + [[""] + HUBSPOT[2][1:]]
    r = refused(write_csv(tmp_path / "deals.csv", rows), "hubspot")
    assert r.message.startswith("deals.csv, row 5, column 'Record ID': the ID is empty")


def test_unmapped_stage_names_value_row_and_the_line_to_add(tmp_path):
    rows = HUBSPOT + [["9004", "Delta", "Contract Signed", "", "Ann Lee", "1", "2026-10-01", "", "Delta", "P"]]
    r = refused(write_csv(tmp_path / "deals.csv", rows), "hubspot")
    assert r.message.startswith("deals.csv, row 5, column 'Deal Stage': the stage 'Contract Signed' (1 row(s)) is "
                                "not a stage in Settings and no Import values line maps it.")
    assert "Add a line 'Stage | Contract Signed | <one of: Prospecting," in r.message
    assert "Import values block (导入值)" in r.message
    # mapped in Settings, it reads
    ok = read_export(tmp_path / "deals.csv", settings=Settings(import_values=(
        ImportValue("stage", "Contract Signed", "Negotiation"),)), preset="hubspot")
    assert ok.frame.loc[5, "stage"] == "Negotiation"


def test_unknown_status(tmp_path):
    rows = PIPEDRIVE[:2] + [PIPEDRIVE[2][:5] + ["deleted"] + PIPEDRIVE[2][6:]]
    r = refused(write_csv(tmp_path / "deals.csv", rows, encoding="utf-8"), "pipedrive")
    assert "row 3, column 'Deal - Status': the status 'deleted'" in r.message
    assert "'Status | deleted | <one of: Open, Closed Won, Closed Lost>'" in r.message


def test_empty_file_and_header_only(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert refused(tmp_path / "empty.csv").message.startswith("empty.csv is empty")
    write_csv(tmp_path / "head.csv", HUBSPOT[:1])
    assert "has no rows below its header (row 1)" in refused(tmp_path / "head.csv", "hubspot").message
    write_openpyxl(tmp_path / "head.xlsx", HUBSPOT[:1])
    assert "sheet 'Sheet1': the export has no rows below its header" in refused(tmp_path / "head.xlsx", "hubspot").message


def test_binary_csv(tmp_path):
    with zipfile.ZipFile(tmp_path / "deals.csv", "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    r = refused(tmp_path / "deals.csv", "hubspot")
    assert r.message.startswith("deals.csv is not a CSV file: it is a zip file")
    (tmp_path / "blob.csv").write_bytes(b"Record ID,Deal Stage\n1,\x00\x01\x02\x03" * 50)
    r = refused(tmp_path / "blob.csv", "hubspot")
    assert "blob.csv is not a CSV file: it holds binary data (byte 24 is 0x00" in r.message


def test_unknown_preset(tmp_path):
    r = refused(write_csv(tmp_path / "deals.csv", HUBSPOT), "hubspt")
    assert r.message.startswith("Unknown preset 'hubspt': the presets are hubspot, salesforce, pipedrive, zoho.")


def test_no_header_row(tmp_path):
    r = refused(write_csv(tmp_path / "misc.csv", [["a", "b"], ["1", "2"]]))
    assert "misc.csv: no header row found in the first 30 rows" in r.message and "--preset" in r.message
