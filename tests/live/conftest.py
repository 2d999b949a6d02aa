"""Live-Excel tests without Excel: xlwings' remote engine, fed the JSON payload a client
would send, built from a real .xlsx/.xlsm file read with python-calamine.

The remote engine is xlwings PRO code; the project's own tests use it under the
noncommercial licence key (set per test below). The salesbook package itself never
needs a key: users run it against desktop Excel.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "workbook" / "SalesPipeline.xlsm"
TODAY = dt.date(2026, 11, 18)  # a Wednesday; the Settings sheet's As of date

HEADERS = ["Lead ID", "Company", "Contact", "Email", "Owner", "Source", "Stage", "Lost At Stage", "Budget",
           "Authority", "Need", "Timeline", "Deal Value", "Created", "Last Contact", "Unanswered", "Stage Since",
           "Close Date", "Scheduled", "My Note"]
DATE_HEADERS = {"Created", "Last Contact", "Stage Since", "Close Date", "Scheduled"}
OUTPUT_HEADERS = ["Grade", "Score", "Grade Reason", "Grade Change", "Next Follow-up", "Follow-up Status", "Stale",
                  "Stale Reason"]

D = dt.date
PATTERNS = [
    # stage, lost_at, budget, authority, need, timeline, value, created, last, unanswered, since, close, scheduled
    ("Proposal", None, "Confirmed", "Decision maker", "Clear", D(2026, 12, 20), 50000.0, D(2026, 9, 1),
     D(2026, 11, 13), 0, D(2026, 11, 1), None, None),
    ("Qualification", None, "Pending", "Influencer", "Clear", "3-6 months", 20000.0, D(2026, 10, 1),
     D(2026, 11, 16), 1, D(2026, 11, 10), None, None),
    ("Prospecting", None, None, None, None, None, 5000.0, D(2026, 8, 1), D(2026, 8, 20), 3, None, None, None),
    ("Needs Assessment", None, "None", "User", "Mismatch", ">12 months", 1000.0, D(2026, 10, 20),
     D(2026, 11, 17), 0, D(2026, 11, 1), None, None),
    ("Initial Contact", None, "Unknown", "Influencer", "Identified", "≤3 months", 7000.5, D(2026, 11, 1),
     D(2026, 11, 2), 0, D(2026, 11, 2), None, None),
    ("Closed Won", None, "Confirmed", "Decision maker", "Clear", "≤3 months", 80000.0, D(2026, 3, 1),
     D(2026, 10, 1), 0, D(2026, 10, 1), D(2026, 10, 1), None),
    ("Closed Lost", "Proposal", "Pending", "User", "Vague", None, 30000.0, D(2026, 4, 1), D(2026, 9, 1), 0,
     None, D(2026, 9, 1), None),
    ("Negotiation", None, "Confirmed", "Influencer", "Clear", "≤3 months", 40000.0, D(2026, 7, 1),
     D(2026, 8, 1), 0, D(2026, 8, 1), None, D(2026, 11, 25)),
    ("Proposal", None, "Confirmed", "Decision maker", "Identified", "3-6 months", 15000.0, D(2026, 10, 5),
     D(2026, 11, 18), 0, D(2026, 11, 5), None, None),
    ("Qualification", None, "Pending", "Decision maker", "Clear", D(2027, 3, 1), 12000.0, D(2026, 11, 1),
     D(2026, 11, 11), 0, None, None, None),
]


def lead_rows(n: int, *, company_for: dict[int, str] | None = None,
              stage_for: dict[int, str] | None = None) -> list[list[object]]:
    """n deterministic leads cycling through the patterns (about 1 in 5 stale)."""
    rows = []
    for i in range(n):
        p = PATTERNS[i % len(PATTERNS)]
        stage, lost, budget, auth, need, timeline, value, created, last, unans, since, close, sched = p
        company = (company_for or {}).get(i, f"Company {i:04d}")
        stage = (stage_for or {}).get(i, stage)
        rows.append([f"L-{i + 1:04d}", company, f"Person {i}", f"p{i}@c{i}.com", ("Zoe", "Yan", "Max")[i % 3],
                     ("Website", "Referral", "Partner")[i % 3], stage, lost, budget, auth, need, timeline, value,
                     created, last, unans, since, close, sched, f"note {i}"])
    return rows


def _write_settings(wb: openpyxl.Workbook, as_of: dt.date = TODAY) -> None:
    ws = wb.create_sheet("Settings")
    ws.append(["General 常规"])
    ws.append(["Setting 设置", "Value 值", "Note 说明"])
    ws.append(["As of 截至日期", dt.datetime.combine(as_of, dt.time())])
    ws["B3"].number_format = "yyyy-mm-dd"
    ws.append(["Weight profile 权重方案", "Balanced"])


def write_leads(path: Path, rows: list[list[object]], *, headers: list[str] = HEADERS, table: bool = True,
                origin: tuple[int, int] = (2, 2), outputs: list[str] | None = None, settings: bool = True,
                history: list[list[object]] | None = None, archive: list[list[object]] | None = None,
                right_of_table: str | None = None, totals: bool = False) -> Path:
    """A lead workbook written with openpyxl: an intro sheet, the Leads sheet (an Excel
    Table named Leads starting at ``origin``, or a plain range at A1), Settings and,
    optionally, History and Archive. Texts starting with '=' are stored as text."""
    wb = openpyxl.Workbook()
    intro = wb.active
    intro.title = "Start"
    intro["A1"] = "Sales Pipeline"
    ws = wb.create_sheet("Leads")
    heads = list(headers) + list(outputs or [])
    r0, c0 = origin if table else (1, 1)
    for j, h in enumerate(heads):
        ws.cell(r0, c0 + j, h)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(list(row) + [None] * (len(heads) - len(row))):
            if v is None:
                continue
            cell = ws.cell(r0 + i, c0 + j)
            if isinstance(v, dt.date):
                timed = isinstance(v, dt.datetime) and v.time() != dt.time()
                cell.value = v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())
                cell.number_format = "yyyy-mm-dd hh:mm" if timed else "yyyy-mm-dd"
            else:
                cell.value = v
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"  # a text, not a formula
                elif isinstance(v, str) and v in ("#N/A", "#DIV/0!", "#VALUE!", "#REF!"):
                    cell.data_type = "e"  # an error value, as a formula leaves it
    if table:
        last = r0 + max(len(rows), 1) + (1 if totals else 0)
        if totals:
            ws.cell(last, c0, "Total")
        ref = f"{get_column_letter(c0)}{r0}:{get_column_letter(c0 + len(heads) - 1)}{last}"
        t = Table(displayName="Leads", ref=ref)
        if totals:
            t.totalsRowCount = 1
        t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(t)
    if right_of_table:
        ws.cell(r0 + 1, c0 + len(heads), right_of_table)
    if settings:
        _write_settings(wb)
    for name, grid in (("History", history), ("Archive", archive)):
        if grid is not None:
            sh = wb.create_sheet(name)
            for r in grid:
                sh.append(r)
    wb.save(path)
    return path


# ---------------------------------------------------------------------------
# The client payload, from the file's contents
# ---------------------------------------------------------------------------

def _client_value(v: object) -> object:
    """A cell as an xlwings client sends it: '' for empty, dates as ISO strings."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="milliseconds") + "Z"
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time()).isoformat(timespec="milliseconds") + "Z"
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds() / 86400
    return v


def _address(r1: int, c1: int, r2: int, c2: int) -> str:
    """0-based inclusive corners → 'B2:F9'."""
    return f"{get_column_letter(c1 + 1)}{r1 + 1}:{get_column_letter(c2 + 1)}{r2 + 1}"


def _totals_rows(path: Path) -> dict[str, int]:
    """Totals rows per table (calamine's table ends above them)."""
    wb = openpyxl.load_workbook(path)
    return {t.displayName: int(t.totalsRowCount or 0) for ws in wb.worksheets for t in ws.tables.values()}


def _table_json(wb: CalamineWorkbook, name: str, totals: int) -> tuple[str, dict]:
    t = wb.get_table_by_name(name)
    (r1, c1), (r2, c2) = t.start, t.end  # data body corners; the header is the row above
    header_row, last = r1 - 1, r2 + totals
    return t.sheet, {
        "name": t.name,
        "range_address": _address(header_row, c1, last, c2),
        "header_row_range_address": _address(header_row, c1, header_row, c2),
        "data_body_range_address": _address(r1, c1, r2, c2),
        "total_row_range_address": _address(last, c1, last, c2) if totals else None,
        "show_headers": True,
        "show_totals": bool(totals),
        "table_style": "TableStyleMedium2",
        "show_autofilter": True,
        "columns": [str(c) for c in t.columns],
        "row_count": last - header_row + 1,
        "column_count": c2 - c1 + 1,
    }


def _error_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Error cells ('#N/A' …) by sheet: calamine reads them as empty, a client sends their text."""
    out: dict[str, dict[tuple[int, int], str]] = {}
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if getattr(c, "data_type", None) == "e" and c.value:
                        out.setdefault(ws.title, {})[(c.row - 1, c.column - 1)] = str(c.value)
    finally:
        wb.close()
    return out


def _defined_names(path: Path) -> list[dict]:
    """The workbook-level defined names as a client sends them (the formula; no coordinates)."""
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("xl/workbook.xml"))
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    return [{"name": n.get("name"), "refers_to": "=" + (n.text or ""), "sheet_index": None, "address": None,
             "book_scope": True, "scope_sheet_name": None, "scope_sheet_index": None}
            for n in root.iter(f"{ns}definedName") if n.get("localSheetId") is None]


def payload_from_file(path: Path, client: str = "Office.js") -> dict:
    """The JSON an xlwings client sends for ``path``: every sheet's values from A1,
    its tables, an empty list of pictures/charts/shapes, the used range."""
    import xlwings

    wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    tables: dict[str, list[dict]] = {}
    totals = _totals_rows(path)
    for name in wb.table_names:
        sheet, info = _table_json(wb, name, totals.get(name, 0))
        tables.setdefault(sheet, []).append(info)
    errors = _error_cells(path)
    sheets = []
    for name in wb.sheet_names:
        s = wb.get_sheet_by_name(name)
        values = [[_client_value(v) for v in row] for row in s.to_python(skip_empty_area=False)]
        for (r, c), text in errors.get(name, {}).items():
            values[r][c] = text
        width = max((len(r) for r in values), default=0)
        values = [r + [""] * (width - len(r)) for r in values] or [[]]
        used = None
        if s.start is not None and s.end is not None and width:
            used = _address(*s.start, *s.end)
        sheets.append({"name": name, "values": values, "tables": tables.get(name, []), "pictures": [],
                       "charts": [], "shapes": [], "notes": [], "used_range_address": used,
                       "visibility": "Visible"})
    payload = {"client": client, "version": xlwings.__version__,
               "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
               "names": _defined_names(path), "sheets": sheets}
    return json.loads(json.dumps(payload))  # exactly what travels: plain JSON


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

@pytest.fixture
def xw(monkeypatch):
    """xlwings with its remote engine registered (noncommercial key, tests only)."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings

    if "remote" not in xlwings.engines.engines_by_name:
        # xlwings was imported before the key was set: register the engine now.
        for mod in [m for m in sys.modules if m == "xlwings.pro" or m.startswith("xlwings.pro.")]:
            sys.modules.pop(mod, None)
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xlwings.engines.add(Engine(impl=_xlremote.engine))
    return xlwings


@pytest.fixture
def open_book(xw):
    """open_book(path) → an xlwings Book on the remote engine, built from the file."""
    def _open(path: Path):
        return xw.Book(json=payload_from_file(path))
    return _open


# ---------------------------------------------------------------------------
# Reading the actions back
# ---------------------------------------------------------------------------

def actions(book) -> list[dict]:
    return book.json()["actions"]


def sheet_names(book) -> list[str]:
    return [s.name for s in book.sheets]


def cell(a: dict) -> str:
    """The top-left cell of a range action, e.g. 'B3'."""
    return f"{get_column_letter(a['start_column'] + 1)}{a['start_row'] + 1}"


def address(a: dict) -> str:
    return _address(a["start_row"], a["start_column"], a["start_row"] + a["row_count"] - 1,
                    a["start_column"] + a["column_count"] - 1)


def find(book, func: str, sheet: str | None = None) -> list[dict]:
    names = sheet_names(book)
    out = []
    for a in actions(book):
        if a["func"] != func:
            continue
        if sheet is not None and (a["sheet_position"] is None or names[a["sheet_position"]] != sheet):
            continue
        out.append(a)
    return out


@pytest.fixture
def answer(xw, monkeypatch):
    """answer(reply, meanwhile=None): OK/Cancel message boxes answer ``reply`` ('ok' or
    'cancel') as desktop Excel's do (the remote engine itself answers None: xlwings Server
    replies through a callback). The question is still recorded as an 'alert' action.
    ``meanwhile(book_json)`` runs while the question is up: what a user can do in Excel
    meanwhile (on macOS Excel stays editable while Python works), on the book's JSON."""
    from xlwings.pro import _xlremote

    original = _xlremote.App.alert

    def _answer(reply: str, meanwhile=None):
        def alert(self, prompt, title, buttons, mode, callback):
            original(self, prompt, title, buttons, mode, callback)
            if buttons != "ok_cancel":
                return None
            if meanwhile is not None:
                meanwhile(self.books.active.api)
            return reply

        monkeypatch.setattr(_xlremote.App, "alert", alert)

    return _answer


def json_sheet(book_json: dict, name: str) -> dict:
    return next(s for s in book_json["sheets"] if s["name"] == name)
