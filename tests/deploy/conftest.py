"""Helpers of the deploy tests: a temporary HOME, adding leads to a workbook the way a rep's tool does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

LEADS = [  # (Lead ID, Company, Contact, Owner, Source, Stage, Budget, Authority, Need, Timeline, Deal Value, Created)
    ("N-1", "Acme GmbH", "Eva Braun", "Ann", "Web", "Proposal", "Confirmed", "Decision maker", "Clear",
     "≤3 months", 12000, dt.datetime(2026, 11, 2)),
    ("N-2", "Beta Ltd", "Bo Li", "Ann", "Referral", "Initial Contact", "Pending", "Influencer", "Identified",
     "3-6 months", 5000, dt.datetime(2026, 10, 20)),
    ("N-3", "Gamma SA", "Cy Roe", "Ben", "Event", "Prospecting", None, None, "Mismatch", None, None, dt.datetime(2026, 11, 10)),
]
LEAD_HEADERS = ("Lead ID", "Company", "Contact", "Owner", "Source", "Stage", "Budget", "Authority", "Need",
                "Timeline", "Deal Value", "Created")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty home folder: HOME (and USERPROFILE) point at it."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("USERPROFILE", str(folder))
    return folder


def add_leads(path: Path, rows=LEADS, headers=LEAD_HEADERS, *, history=(), user_sheet: str | None = None) -> None:
    """Add leads to the Leads table (growing it), rows to History and a sheet of the user's own, with
    openpyxl keeping the VBA project; then put back the ribbon relationship openpyxl drops."""
    import openpyxl

    from salesbook.builder.ribbon import ensure_ribbon

    wb = openpyxl.load_workbook(path, keep_vba=True)
    ws = wb["Leads"]
    table = ws.tables["Leads"]
    header = [c.value for c in ws[1]]
    first = 2
    while ws.cell(first, 1).value not in (None, ""):
        first += 1
    for i, row in enumerate(rows):
        for name, value in zip(headers, row):
            ws.cell(first + i, header.index(name) + 1, value)
    last_col = table.ref.split(":")[1].rstrip("0123456789")
    table.ref = f"A1:{last_col}{max(first + len(rows) - 1, 2)}"
    if history:
        log = wb["History"]
        start = log.max_row + 1
        for i, row in enumerate(history):
            for j, value in enumerate(row, start=1):
                log.cell(start + i, j, value)
    if user_sheet:
        mine = wb.create_sheet(user_sheet)
        mine["A1"] = "My own notes"
        mine["B2"] = 42
    wb.save(path)
    ensure_ribbon(path)


def pytest_configure(config):
    # oletools (a test-only reader) uses deprecated pyparsing names at import
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:oletools.*")
