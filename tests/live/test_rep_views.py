"""The rep's Funnel blocks (Period line, Forecast, Targets) on the live path: xlwings' remote
engine records what Refresh Funnel writes, and it is what the file path writes (read back with
python-calamine), cell for cell.

The book is ``lead_rows(10)`` as of TODAY = 2026-11-18 with a Targets line Zoe 2026-Q4 100000:
row 0 (Zoe, Proposal 55%, 50000, Timeline 2026-12-20) is the only lead expected in Q4; row 9
(Zoe, Qualification 10%, 12000, Timeline 2027-03-01) is expected in March; row 5 (Max, Closed
Won 80000 on 2026-10-01) is won in Q4 but before this month (in no forecast bucket); the six
other open leads have a Timeline bucket (no date).
"""

from __future__ import annotations

import math

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from salesbook import ribbon, service
from salesbook.adapters.excel.workbook import LiveWorkbook

from .conftest import find, lead_rows, write_leads


def _book(tmp_path, targets: bool = True):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(10))
    if targets:
        wb = openpyxl.load_workbook(path)
        st = wb["Settings"]
        st.append([])
        st.append(["Targets 目标"])
        st.append(["Owner", "Period", "Target"])
        st.append(["Zoe", "2026-Q4", 100000])
        wb.save(path)
    return path


def _written(book) -> dict[tuple[int, int], object]:
    """Every cell the live path wrote on Funnel: (row, col) 1-based → the value Excel shows
    (a text such as '2026-11 is sent with Excel's text prefix, so that it stays text)."""
    cells = {}
    for a in find(book, "setValues", "Funnel"):
        for i, row in enumerate(a["values"]):
            for j, v in enumerate(row):
                shown = v[1:] if isinstance(v, str) and v.startswith("'") else v
                cells[(a["start_row"] + 1 + i, a["start_column"] + 1 + j)] = shown
    return cells


def _grid(cells, title: str) -> list[list[object]]:
    """The rows of the block whose title is ``title``: its header and data, as written."""
    (r, c), = [k for k, v in cells.items() if v == title]
    out = []
    row = r + 1
    while any((row, c + j) in cells and cells[(row, c + j)] != "" for j in range(3)):
        width = max(j for (rr, j) in cells if rr == row) - c + 1
        out.append([cells.get((row, c + j), "") for j in range(width)])
        row += 1
    return out


def test_refresh_funnel_writes_the_forecast_and_targets_blocks(tmp_path, open_book):
    book = open_book(_book(tmp_path))
    assert ribbon.run("funnel", book=book).startswith("Funnel:")
    cells = _written(book)
    assert cells[(3, 1)] == "Period: all leads"  # the ribbon keeps every lead
    sent = [v for a in find(book, "setValues", "Funnel") for row in a["values"] for v in row]
    assert "'2026-12" in sent and "'2026-Q4" not in sent  # a month stays text in Excel (not the date 1 Dec 2026)
    total = _grid(cells, "Forecast by expected close month")
    assert total[0] == ["Month", "Open leads", "Best case", "Weighted", "Won", "Won so far"]
    by_month = {r[0]: r[1:] for r in total[1:]}
    assert list(by_month) == ["Past due", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "Later",
                              "No date"]
    assert by_month["2026-12"] == pytest.approx([1, 50000, 27500, 0, 0])
    assert by_month["2027-03"] == pytest.approx([1, 12000, 1200, 0, 0])
    assert by_month["No date"][0] == 6 and by_month["2026-11"] == [0, 0, 0, 0, 0]
    owners = _grid(cells, "Forecast by owner")
    assert [r[:2] for r in owners[1:] if r[0] == "Zoe"] == [["Zoe", "2026-12"], ["Zoe", "2027-03"], ["Zoe", "No date"]]
    targets = _grid(cells, "Targets")
    assert targets[0][:5] == ["Period", "Owner", "Target", "Won", "Won value"]
    rows = {r[1]: dict(zip(targets[0], r)) for r in targets[1:]}
    assert list(rows) == ["Max", "Yan", "Zoe"]
    zoe, mx = rows["Zoe"], rows["Max"]
    assert (zoe["Target"], zoe["Won value"], zoe["Attainment"], zoe["Remaining"], zoe["Open value"]) == \
        (100000, 0, 0, 100000, 50000)
    assert math.isclose(zoe["Coverage"], 0.5) and math.isclose(zoe["Weighted coverage"], 0.275)
    assert mx["Won value"] == 80000 and mx["Target"] == "" and mx["Attainment"] == ""  # won in Q4, no target
    formats = {a["args"][0] for a in find(book, "setNumberFormat", "Funnel")}
    assert "0.0%" in formats and "#,##0" in formats


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
    return (a in ("", None) and b in ("", None)) or a == b


@pytest.mark.parametrize("targets", [True, False], ids=["targets", "no-targets"])
def test_the_live_funnel_is_the_files_cell_for_cell(tmp_path, open_book, targets):
    path = _book(tmp_path, targets)
    out = tmp_path / "out.xlsx"
    with_file = service.run(path, output=out, period="2026-Q4")
    book = open_book(path)
    with_live = service.run_on(LiveWorkbook(book), period="2026-Q4")
    assert with_file.summary == with_live.summary
    cells = _written(book)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Funnel").to_python()
    file_cells = {(i + 1, j + 1): v for i, r in enumerate(rows) for j, v in enumerate(r) if v != ""}
    assert cells[(3, 1)] == "Period: 2026-Q4 (1 Oct – 31 Dec 2026), leads created in it"
    assert {k for k, v in cells.items() if v not in ("", None)} == set(file_cells)
    assert all(_same(cells[k], file_cells[k]) for k in file_cells), \
        [(k, cells[k], file_cells[k]) for k in file_cells if not _same(cells[k], file_cells[k])][:5]
    if not targets:
        (r, c), = [k for k, v in cells.items() if v == "Targets"]
        assert cells[(r + 1, c)].startswith("No targets in Settings")


class _SheetApi:
    """Excel's Worksheet object as COM offers it: ResetAllPageBreaks, Rows(n), HPageBreaks.Add."""

    def __init__(self):
        self.calls = []
        outer = self

        class HPageBreaks:
            @staticmethod
            def Add(before):
                outer.calls.append(("add", before))
        self.HPageBreaks = HPageBreaks

    def ResetAllPageBreaks(self):
        self.calls.append(("reset",))

    def Rows(self, n):
        return f"row {n}"


def test_desktop_excel_gets_the_page_break_above_the_forecast():
    from salesbook.adapters.excel import layout

    api = _SheetApi()
    layout.native_page_breaks(api, "win32", (58,))
    assert api.calls == [("reset",), ("add", "row 58")]  # an earlier run's breaks go first
    mac = _SheetApi()
    layout.native_page_breaks(mac, "darwin", (58,))
    assert mac.calls == []  # elsewhere Excel paginates by itself


def test_the_live_model_asks_for_the_same_break_as_the_file(tmp_path, open_book):
    path = _book(tmp_path)
    with_file = service.run(path, output=tmp_path / "out.xlsx")
    with_live = service.run_on(LiveWorkbook(open_book(path)))
    (file_funnel,) = [m for m in with_file.evaluation.sheets if m.name == "Funnel"]
    (live_funnel,) = [m for m in with_live.evaluation.sheets if m.name == "Funnel"]
    forecast = next(b for b in file_funnel.blocks if b.title == "Forecast by expected close month")
    assert file_funnel.page.breaks == live_funnel.page.breaks == (forecast.row,)
