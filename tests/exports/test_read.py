"""Each CRM's export, in its documented layout, read into salesbook's columns."""

from __future__ import annotations

import pandas as pd

from salesbook.adapters.exports import read_export
from salesbook.rules.settings import Settings
from tests.exports.conftest import (HUBSPOT, PIPEDRIVE, SALESFORCE, SALESFORCE_FOOTER, SALESFORCE_TITLE, ZOHO,
                                    write_csv, write_openpyxl, write_xlsxwriter)


def test_hubspot_csv_utf8_bom(tmp_path):
    path = write_csv(tmp_path / "hubspot-deals.csv", HUBSPOT, encoding="utf-8-sig")
    ex = read_export(path, settings=Settings(), preset="hubspot")
    assert ex.encoding == "utf-8-sig" and ex.delimiter == ","
    f = ex.frame
    assert f.index.tolist() == [2, 3, 4]  # the file's own lines
    assert f["lead_id"].tolist() == ["9001", "9002", "9003"]
    assert f["company"].tolist() == ["Acme Ltd", "Beta GmbH", "Gamma Inc."]
    assert f["owner"].tolist() == ["Ann Lee", "Bob Wu", "Ann Lee"]
    assert f["stage"].tolist() == ["Initial Contact", "Negotiation", "Closed Won"]
    assert f["deal_value"].tolist() == ["45000", "12500.5", "8000"]
    assert f["created"].tolist() == ["2026-10-08", "2026-09-01", "2026-08-15"]  # ISO with a time
    assert f["last_contact"].iloc[0] == "2026-10-20"  # ISO with T and Z
    assert pd.isna(f["last_contact"].iloc[1])
    assert ex.headers["owner"] == "Deal owner" and ex.headers["lead_id"] == "Record ID"
    assert ex.unmapped == ["Deal Name", "Pipeline"]


def test_salesforce_formatted_report_with_title_rows_and_footer(tmp_path):
    path = write_openpyxl(tmp_path / "report.xlsx", SALESFORCE_TITLE + SALESFORCE + SALESFORCE_FOOTER,
                          sheet="Opportunities", start_col=2)
    ex = read_export(path, settings=Settings(), preset="salesforce")
    assert ex.sheet == "Opportunities" and ex.header_row == 5
    f = ex.frame
    assert f.index.tolist() == [6, 7, 8]  # sheet rows; the totals and copyright lines are no leads
    assert f["lead_id"].tolist() == ["Acme - 200 seats", "Beta - pilot", "Gamma - expansion"]
    assert f["owner"].tolist() == ["Ann Lee", "Bob Wu", "Ann Lee"]
    assert f["stage"].tolist() == ["Needs Assessment", "Negotiation", "Closed Lost"]
    assert f["created"].tolist() == ["2026-10-08", "2026-09-01", "2026-08-15"]  # Excel dates untouched
    assert f["deal_value"].tolist() == ["45000", "12500.5", "8000"]
    assert ex.stage_changed.dt.strftime("%Y-%m-%d").tolist() == ["2026-10-12", "2026-10-30", "2026-10-31"]
    assert "Probability (%)" in ex.unmapped and ex.encoding is None


def test_salesforce_report_as_csv_semicolons(tmp_path):
    rows = [[str(v) if v is not None else "" for v in r] for r in SALESFORCE]
    path = write_csv(tmp_path / "report.csv", rows, delimiter=";")
    ex = read_export(path, settings=Settings(), preset="salesforce")
    assert ex.delimiter == ";"
    assert ex.frame["stage"].tolist() == ["Needs Assessment", "Negotiation", "Closed Lost"]


def test_pipedrive_gbk_csv_with_status(tmp_path):
    path = write_csv(tmp_path / "deals.csv", PIPEDRIVE, encoding="gbk", delimiter=";")
    ex = read_export(path, settings=Settings(), preset="pipedrive")
    assert ex.encoding == "gb18030" and ex.delimiter == ";"
    f = ex.frame
    assert f["company"].tolist() == ["上海某某科技有限公司", "北京示例股份有限公司", "Gamma Inc."]
    # status lost → Closed Lost, keeping the open stage as Lost At Stage; won → Closed Won; open keeps the stage
    assert f["stage"].tolist() == ["Closed Lost", "Prospecting", "Closed Won"]
    assert f["lost_at_stage"].iloc[0] == "Proposal" and pd.isna(f["lost_at_stage"].iloc[1])
    assert f["deal_value"].tolist() == ["45000", "1250.5", "900"]  # decimal comma, proven by its column
    assert f["created"].tolist() == ["2026-10-25", "2026-10-08", "2026-09-01"]  # day-first, proven by 25/10
    assert ex.stage_changed.dt.strftime("%Y-%m-%d").tolist() == ["2026-10-28", "2026-10-08", "2026-10-31"]


def test_zoho_leads_xlsx_with_am_pm_times(tmp_path):
    path = write_xlsxwriter(tmp_path / "Leads_export.xlsx", ZOHO)
    ex = read_export(path, settings=Settings(), preset="zoho")
    f = ex.frame
    assert f["lead_id"].iloc[0] == "zcrm_4150868000000223001"
    assert f["contact"].tolist() == ["Jane Doe", "Max Muster", "Li Na"]  # First Name + Last Name
    assert f["created"].tolist() == ["2026-10-25", "2026-10-08", "2026-10-12"]
    assert f["stage"].tolist() == ["Initial Contact", "Prospecting", "Qualification"]
    assert f["mobile"].iloc[0] == "13800138000" and f["phone"].iloc[1] == "010-12345678"


def test_settings_blocks_win_over_the_preset(tmp_path):
    from salesbook.rules.settings import ImportColumn, ImportValue

    path = write_csv(tmp_path / "deals.csv", HUBSPOT)
    settings = Settings(import_columns=(ImportColumn("company", "Deal Name"),),
                        import_values=(ImportValue("stage", "appointmentscheduled", "Prospecting"),))
    ex = read_export(path, settings=settings, preset="hubspot")
    assert ex.frame["company"].iloc[0] == "Acme - renewal"  # the block's header, not Associated Company
    assert ex.frame["stage"].iloc[0] == "Prospecting"
    assert ex.frame["stage"].iloc[1] == "Negotiation"  # what the block leaves out, the preset fills in
    assert "Associated Company" in ex.unmapped


def test_no_preset_reads_salesbook_headers_and_import_columns(tmp_path):
    from salesbook.rules.settings import ImportColumn

    rows = [["Lead ID", "客户", "Owner", "Stage", "Angelegt am"], ["L-1", "甲公司", "Ann", "Proposal", "2026-10-01"]]
    path = write_csv(tmp_path / "own.csv", rows)
    ex = read_export(path, settings=Settings(import_columns=(ImportColumn("created", "Angelegt am"),)))
    assert ex.frame.loc[2, "company"] == "甲公司" and ex.frame.loc[2, "created"] == "2026-10-01"
