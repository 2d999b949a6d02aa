"""A CRM-style export with dates and amounts typed as text (written by openpyxl), through
`salesbook check` and `salesbook run`, read back with python-calamine: a day-first column is
read day-first, an ambiguous date and a column mixing both orders are Check problems naming
the Date order setting, a decimal-comma amount is read in full, and a Mobile column finds a
duplicate of a Phone written differently."""

from __future__ import annotations

import datetime as dt

from tests.sheets import openpyxl_book

from .conftest import TODAY, calamine_rows, calamine_table

HEADERS = ["Lead ID", "Company", "Contact", "Phone", "Mobile", "Owner", "Stage", "Need", "Deal Value", "Created",
           "Last Contact", "Stage Since"]
ROWS = [
    # Created: day-first, proven by the 25th and the 13th (Zoho's dd/mm/yyyy hh:mm AM).
    # Last Contact: 09/11/2026 alone is ambiguous. Stage Since: day-first but for one month-first date.
    ["Z-1", "Acme Co., Ltd.", "Ann Lee", "010-12345678", None, "Zoe", "Proposal", "Clear", "45.000,00 €",
     "08/10/2026 10:00 AM", "2026-11-16", "25/10/2026"],
    ["Z-2", "Beta GmbH", "Bo Ray", None, None, "Zoe", "Qualification", "Clear", "1.200,50 €",
     "25/10/2026 09:30 AM", "09/11/2026", "26/10/2026"],
    ["Z-3", "Gamma", "Cy Wu", None, "+86 10 1234 5678", "Yan", "Prospecting", None, "3.000,00 €",
     "13/11/2026 08:00 AM", "2026-11-17", "10/27/2026"],
]


def write_export(path, settings: list[list[object]] | None = None, rows=ROWS):
    wb = openpyxl_book({"Leads": [HEADERS, *rows], **({"Settings": settings} if settings else {})})
    for row in wb["Leads"].iter_rows(min_row=2):
        for c in row:
            if c.value is not None:
                c.data_type = "s"  # text cells, as an export has them (not Excel dates or numbers)
    wb.save(path)
    return path


def kpi(path, label: str):
    rows = calamine_rows(path, "Funnel")
    for i, r in enumerate(rows):
        if label in r:
            return rows[i + 1][r.index(label)]
    raise AssertionError(f"no KPI {label!r}")


def test_check_names_the_setting_and_run_reads_what_is_proven(tmp_path, cli):
    book = write_export(tmp_path / "export.xlsx")
    assert all(isinstance(v, str) for v in calamine_rows(book, "Leads")[1][8:12])  # the cells really are text

    result = cli("check", book, "--today", TODAY.isoformat())
    assert result.exit_code == 1, result.output
    out = result.output
    assert ("Last Contact '09/11/2026' could be 9 November or 11 September: set Date order in Settings "
            "(DMY or MDY): 1 row (Leads!K3)") in out
    assert ("Stage Since '10/27/2026' reads only month-first, but other values in this column read only "
            "day-first (e.g. '25/10/2026'): fix the cell, or set Date order in Settings (DMY or MDY): 1 row (Leads!L4)") in out
    assert "Created" not in out and "Deal Value" not in out  # proven day-first; decimal commas read
    check = calamine_rows(book, "Check")
    header = next(r for r in check if r and r[0] == "Cell")
    assert {r[0] for r in check[check.index(header) + 1:] if r[0]} == {"K3", "L4"}

    result = cli("run", book, "--today", TODAY.isoformat())
    assert result.exit_code == 1, result.output  # rows need attention
    rows = {r["Lead ID"]: r for r in calamine_table(book)}
    # Z-1: created 8 October (not 10 August), last contact 16 November, grade B: due 23 November.
    assert rows["Z-1"]["Next Follow-up"] == dt.date(2026, 11, 23)
    assert rows["Z-2"]["Follow-up Status"] == ("Check: Last Contact '09/11/2026' could be 9 November or "
                                               "11 September: set Date order in Settings (DMY or MDY)")
    assert rows["Z-3"]["Stale Reason"].startswith("Check: Stage Since '10/27/2026' reads only month-first")
    assert kpi(book, "Pipeline value") == 45000 + 1200.5 + 3000


def test_date_order_in_settings_settles_it(tmp_path, cli):
    settings = [["General 常规"], ["Setting 设置", "Value 值"], ["Date order 日期顺序", "DMY"]]
    book = write_export(tmp_path / "export.xlsx", settings)
    result = cli("run", book, "--today", TODAY.isoformat())
    assert result.exit_code == 1, result.output
    rows = {r["Lead ID"]: r for r in calamine_table(book)}
    assert rows["Z-2"]["Next Follow-up"] == dt.date(2026, 11, 16)  # 9 November + 7 days
    assert rows["Z-3"]["Stale Reason"] == ("Check: Stage Since '10/27/2026' cannot be read day-first, as Date order "
                                           "in Settings says (DMY)")
    assert rows["Z-1"]["Stale"] in ("", None)


def test_mobile_is_read_beside_phone_and_finds_the_duplicate(tmp_path, cli):
    rows = [list(r) for r in ROWS]
    rows[2][4] = "+86 10 1234 5678"  # Z-3's mobile is Z-1's landline, written the international way
    rows[1][10] = "2026-11-09"       # (no ambiguous date this time)
    rows[2][11] = "27/10/2026"
    book = write_export(tmp_path / "export.xlsx", rows=rows)
    result = cli("run", book, "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    out = {r["Lead ID"]: r for r in calamine_table(book)}
    assert out["Z-3"]["Stale Reason"].endswith("; duplicate of Z-1")  # (after: stuck in Prospecting …)
    assert out["Z-1"]["Stale"] in ("", None)
    assert [h for h in calamine_rows(book, "Leads")[0] if h][:12] == HEADERS
