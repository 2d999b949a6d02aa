"""CRM exports as the CRMs write them, made by other writers than salesbook's reader (the csv
module with explicit encodings, openpyxl, XlsxWriter)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

HUBSPOT = [
    ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Deal owner", "Amount", "Create Date",
     "Last Activity Date", "Associated Company", "Pipeline"],
    ["9001", "Acme - renewal", "appointmentscheduled", "2026-12-15", "Ann Lee", "45000", "2026-10-08 14:32",
     "2026-10-20T09:15:00.000Z", "Acme Ltd", "Sales Pipeline"],
    ["9002", "Beta - new", "contractsent", "2026-11-30", "Bob Wu", "12500.50", "2026-09-01 08:00", "", "Beta GmbH",
     "Sales Pipeline"],
    ["9003", "Gamma", "closedwon", "2026-10-31", "Ann Lee", "8000", "2026-08-15 10:00", "2026-10-30 16:00",
     "Gamma Inc.", "Sales Pipeline"],
]

SALESFORCE_TITLE = [["Opportunities by Stage"], ["Filtered By:"], ["  Opportunity Status equals Any"], []]
SALESFORCE = [
    ["Opportunity Owner", "Account Name", "Opportunity Name", "Stage", "Amount", "Probability (%)", "Close Date",
     "Created Date", "Lead Source", "Last Activity", "Last Stage Change Date"],
    ["Ann Lee", "Acme Ltd", "Acme - 200 seats", "Needs Analysis", 45000, 20, dt.date(2026, 12, 15),
     dt.date(2026, 10, 8), "Web", dt.date(2026, 10, 20), dt.date(2026, 10, 12)],
    ["Bob Wu", "Beta GmbH", "Beta - pilot", "Negotiation/Review", 12500.5, 90, dt.date(2026, 11, 30),
     dt.date(2026, 9, 1), "Partner", None, dt.date(2026, 10, 30)],
    ["Ann Lee", "Gamma Inc.", "Gamma - expansion", "Closed Lost", 8000, 0, dt.date(2026, 10, 31),
     dt.date(2026, 8, 15), "Trade Show", dt.date(2026, 10, 30), dt.date(2026, 10, 31)],
]
SALESFORCE_FOOTER = [[], ["Grand Totals (3 records)", None, None, None, 65500.5], [],
                     ["Confidential Information - Do Not Distribute"],
                     ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."]]

PIPEDRIVE = [
    ["Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency", "Deal - Stage", "Deal - Status", "Deal - Owner",
     "Deal - Deal created", "Deal - Expected close date", "Deal - Organization", "Deal - Contact person",
     "Deal - Last stage change"],
    ["11", "华东项目", "45.000,00", "CNY", "Proposal Made", "lost", "张伟", "25/10/2026", "30/11/2026",
     "上海某某科技有限公司", "李娜", "28/10/2026"],
    ["12", "Pilot", "1.250,50", "CNY", "Lead In", "open", "王芳", "08/10/2026", "15/12/2026", "北京示例股份有限公司",
     "赵强", "08/10/2026"],
    ["13", "Renewal", "900", "CNY", "Negotiations Started", "won", "张伟", "01/09/2026", "31/10/2026", "Gamma Inc.",
     "Tom", "31/10/2026"],
]

ZOHO = [
    ["Record Id", "Lead Owner", "Company", "First Name", "Last Name", "Email", "Phone", "Mobile", "Lead Source",
     "Lead Status", "Created Time"],
    ["zcrm_4150868000000223001", "Ann Lee", "Acme Ltd", "Jane", "Doe", "jane@acme.example", "+86 10 1234 5678",
     "13800138000", "Web Download", "Contacted", "25/10/2026 09:30 AM"],
    ["zcrm_4150868000000223002", "Bob Wu", "Beta GmbH", "Max", "Muster", "max@beta.example", "010-12345678", "",
     "Cold Call", "Not Contacted", "08/10/2026 02:15 PM"],
    ["zcrm_4150868000000223003", "Ann Lee", "Gamma Inc.", "Li", "Na", "li@gamma.example", "", "", "Trade Show",
     "Pre-Qualified", "12/10/2026 11:00 AM"],
]


def write_csv(path: Path, rows, *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def write_openpyxl(path: Path, rows, sheet: str = "Sheet1", start_col: int = 1) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=start_col):
            if v is not None:
                cell = ws.cell(r, c, v)
                if isinstance(v, dt.date):
                    cell.number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


def write_xlsxwriter(path: Path, rows, sheet: str = "Leads") -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ws.write_string(r, c, v) if isinstance(v, str) else ws.write(r, c, v)
    wb.close()
    return path


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 11, 2)
