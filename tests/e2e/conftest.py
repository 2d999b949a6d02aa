"""Workbooks for end-to-end tests, written by other libraries than salesbook's reader
(XlsxWriter, openpyxl), read back by yet others (python-calamine, openpyxl)."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from tests.sheets import openpyxl_book

TODAY = dt.date(2026, 11, 18)  # a Wednesday

EN_HEADERS = ["Lead ID", "Company", "Contact", "Email", "Phone", "Owner", "Source", "Stage", "Lost At Stage",
              "Budget", "Authority", "Need", "Timeline", "Deal Value", "Created", "Last Contact", "Unanswered",
              "Stage Since", "Close Date", "Scheduled", "Snooze Until"]

D = dt.date
EN_ROWS = [
    # id, company, contact, email, phone, owner, source, stage, lost_at, budget, authority, need, timeline, value,
    # created, last, unanswered, stage_since, close, scheduled, snooze
    ["L-001", "Acme Corp", "Ann Lee", "ann@acme.com", "+1 555 0100", "Zoe", "Website", "Proposal", None,
     "Confirmed", "Decision maker", "Clear", D(2026, 12, 20), 50000, D(2026, 9, 1), D(2026, 11, 13), 0,
     D(2026, 11, 1), None, None, None],
    ["L-002", "Beta Ltd", "Bob Ray", "bob@beta.com", None, "Zoe", "Referral", "Qualification", None,
     "Pending", "Influencer", "Clear", "3-6 months", 20000, D(2026, 10, 1), D(2026, 11, 16), 1,
     D(2026, 11, 10), None, None, None],
    ["L-003", "Gamma Inc", "Cy Wu", "cy@gamma.com", None, "Yan", "Trade show", "Prospecting", None,
     None, None, None, None, 5000, D(2026, 8, 1), D(2026, 8, 20), 3, None, None, None, None],
    ["L-004", "Delta", "Di Ko", "di@delta.com", None, "Yan", "Website", "Needs Assessment", None,
     "None", "User", "Mismatch", ">12 months", 1000, D(2026, 10, 20), D(2026, 11, 17), 0,
     D(2026, 11, 1), None, None, None],
    ["L-005", "Acme Corp", "Ann Lee", "ANN@acme.com ", None, "Zoe", "LinkedIn", "Initial Contact", None,
     "Unknown", "Influencer", "Identified", "≤3 months", 7000, D(2026, 11, 1), D(2026, 11, 2), 0,
     D(2026, 11, 2), None, None, None],
    ["L-006", "Eps", "Ed Po", "ed@eps.com", None, "Yan", "Partner", "Closed Won", None,
     "Confirmed", "Decision maker", "Clear", "≤3 months", 80000, D(2026, 3, 1), D(2026, 10, 1), 0,
     D(2026, 10, 1), D(2026, 10, 1), None, None],
    ["L-007", "Zeta", "Zed Li", "zed@zeta.com", None, "Zoe", "Cold call", "Closed Lost", "Proposal",
     "Pending", "User", "Vague", None, 30000, D(2026, 4, 1), D(2026, 9, 1), 0, None, D(2026, 9, 1), None, None],
    ["L-008", "Eta", "Eve", "eve@eta.com", None, "Zoe", "Website", "Negotiation", None,
     "Confirmed", "Influencer", "Clear", "≤3 months", 40000, D(2026, 7, 1), D(2026, 8, 1), 0,
     D(2026, 8, 1), None, D(2026, 11, 25), None],
]


def write_en_table(path: Path, rows=EN_ROWS, *, extra_sheet: bool = True) -> Path:
    """An English Excel Table named Leads with two user columns (a formula and a styled note)."""
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime(2026, 1, 1)})
    ws = wb.add_worksheet("Leads")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0", "bg_color": "#FFF2CC"})
    note_fmt = wb.add_format({"italic": True, "font_color": "#7030A0"})
    headers = EN_HEADERS + ["Value x2", "My Note"]
    data = []
    for r in rows:
        data.append(list(r) + [None, "keep me"])
    columns = [{"header": h} for h in EN_HEADERS]
    columns[EN_HEADERS.index("Deal Value")]["format"] = money
    for h in ("Created", "Last Contact", "Stage Since", "Close Date", "Scheduled", "Snooze Until"):
        columns[EN_HEADERS.index(h)]["format"] = date_fmt
    columns.append({"header": "Value x2", "formula": "=[@[Deal Value]]*2"})
    columns.append({"header": "My Note", "format": note_fmt})
    n = len(data)
    ws.add_table(0, 0, n, len(headers) - 1, {"name": "Leads", "columns": columns, "data": data})
    for i, r in enumerate(data, start=1):  # dates need an explicit date write in XlsxWriter
        for j, v in enumerate(r):
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
    ws.write_comment("B2", "Key account")
    ws.write_url(n + 3, 0, "https://example.com/crm", string="CRM link")
    wb.define_name("BigDeals", "=Leads!$N$2:$N$9")
    if extra_sheet:
        other = wb.add_worksheet("Targets")
        other.write_row(0, 0, ["Rep", "Quarter target"])
        other.write_row(1, 0, ["Zoe", 250000])
        other.write_formula(2, 1, "=B2*1.1", None, 275000)
    wb.close()
    return path


ZH_HEADERS = ["线索编号", "公司", "联系人", "邮箱", "负责人", "来源", "阶段", "预算", "权限", "需求", "时间", "金额",
              "创建日期", "最近联系", "连续未回应"]
ZH_ROWS = [
    ["X-1", "华为", "张伟", "zw@hw.cn", "李娜", "官网", "提案/报价", "明确", "决策人", "明确", "3个月内", 120000,
     D(2026, 9, 1), D(2026, 11, 16), 0],
    ["X-2", "小米", "王芳", "wf@mi.cn", "李娜", "展会", "资格审查", "待确认", "影响者", "已识别", "3-6个月", 30000,
     D(2026, 10, 1), D(2026, 11, 10), 0],
    ["X-3", "腾讯", "刘洋", "ly@qq.cn", "陈静", "转介绍", "谈判", "无", "使用者", "不匹配", "12个月以上", 8000,
     D(2026, 6, 1), D(2026, 7, 1), 4],
]


def write_zh_range(path: Path) -> Path:
    """A plain range (no Table) with Chinese headers and values on a sheet named 线索."""
    wb = openpyxl_book({"线索": [ZH_HEADERS, *ZH_ROWS]})
    for row in wb.active.iter_rows(min_row=2, min_col=13, max_col=14):
        for c in row:
            c.number_format = "yyyy-mm-dd"
    wb.create_sheet("说明").append(["这是说明页"])
    wb.save(path)
    return path


def calamine_rows(path: Path, sheet: str) -> list[list[object]]:
    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(sheet).to_python()


def calamine_table(path: Path, sheet: str = "Leads") -> list[dict[str, object]]:
    """The lead table: the header row and the rows under it down to the first blank row."""
    rows = calamine_rows(path, sheet)
    header = rows[0]
    out = []
    for r in rows[1:]:
        if not any(v not in ("", None) for v in r):
            break
        out.append(dict(zip(header, r)))
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner):
    from salesbook.cli import main

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    return invoke
