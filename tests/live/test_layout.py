"""The live path lays out the report sheets as the file does: the same fitted column widths,
headers wrapped and right-aligned over numbers, the print area, and on desktop Excel landscape,
one page wide and the title rows (Excel's PageSetup object)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from salesbook import ribbon
from salesbook.adapters.excel import layout as live
from salesbook.reports.model import fit_widths

from .conftest import address, cell, find, lead_rows, write_leads


def arg(action: dict):
    """The single argument of a formatting action (the remote engine sends a list)."""
    args = action["args"]
    return args[0] if isinstance(args, list) and len(args) == 1 else args


def _models(monkeypatch) -> dict:
    """The sheet models the ribbon writes, by sheet name."""
    seen = {}
    original = live._plan_sheet

    def spy(plan, book, model):
        seen[model.name] = model
        return original(plan, book, model)

    monkeypatch.setattr(live, "_plan_sheet", spy)
    return seen


def test_funnel_widths_headers_and_print_area(tmp_path, open_book, monkeypatch):
    models = _models(monkeypatch)
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(40)))
    assert ribbon.run("funnel", book=book).startswith("Funnel:")
    model = models["Funnel"]
    widths = fit_widths(model)
    sent = {a["start_column"] + 1: arg(a) for a in find(book, "setColumnWidth", "Funnel")}
    # one call per column, in points on this engine: (characters * 7 + 5) pixels * 0.75
    assert sent == {c: round((w * 7 + 5) * 0.75, 2) for c, w in widths.items()}
    assert len(sent) == model.charts[0].anchor_col + model.charts[0].width_cols - 1  # A to the chart's last column
    right = {address(a) for a in find(book, "setHorizontalAlignment", "Funnel") if arg(a) == "Right"}
    assert "A5:J5" in right  # the key figures, numbers all but the last (K5: Bottleneck, a stage name) ...
    assert "B13:J13" in right and "M13:M13" in right  # ... the stage tables' numbers, not their Stage columns
    assert not any(a.startswith(("A13", "L13")) or a.endswith("K5") for a in right)
    wrapped = {address(a) for a in find(book, "setWrapText", "Funnel")}
    assert {"A5:K5", "A13:J13"} <= wrapped
    heights = {cell(a): arg(a) for a in find(book, "setRowHeight", "Funnel")}
    assert heights["A5"] == 30 and heights["A9"] == 15  # wrapped key figures; the one-line grade headers
    # down to the last line: the Targets block's "No targets in Settings" line (lead_rows' book has no targets)
    last = max(model.blocks[-1].last_row, max(row for row, _, _ in model.notes))
    assert last == model.blocks[-1].row + 1
    assert book.sheets["Funnel"].page_setup.print_area == f"$A$1:$S${last}"


def test_a_new_history_sheet_gets_widths_and_print_area(tmp_path, open_book):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(20)))  # no History sheet yet
    ribbon.run("funnel", book=book)
    assert "History" in [s.name for s in book.sheets]
    widths = [arg(a) for a in find(book, "setColumnWidth", "History")]
    assert len(widths) == 4 and all(w >= (8 * 7 + 5) * 0.75 for w in widths)
    rows = sum(a["row_count"] for a in find(book, "setValues", "History"))
    assert book.sheets["History"].page_setup.print_area == f"$A$1:$D${rows}"


def test_appending_to_a_log_grows_its_print_area(tmp_path, open_book):
    history = [["Lead ID", "From", "To", "Date"], ["L-0001", None, "Qualification", None]]
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(20), history=history))
    book.sheets["History"].page_setup.print_area = "$A$1:$D$2"  # as the template and earlier runs leave it
    ribbon.run("funnel", book=book)
    body = find(book, "setValues", "History")[0]
    assert book.sheets["History"].page_setup.print_area == f"$A$1:$D${body['start_row'] + body['row_count']}"


def test_desktop_excel_prints_landscape_one_page_wide_with_title_rows():
    api = SimpleNamespace()
    live.native_page_setup(api, "win32", "$1:$3")
    assert vars(api) == {"Orientation": 2, "Zoom": False, "FitToPagesWide": 1, "FitToPagesTall": False,
                         "PrintTitleRows": "$1:$3"}


def test_page_setup_is_cosmetic(monkeypatch):
    """An engine without a PageSetup object still gets its data: nothing raises."""
    class Broken:
        @property
        def page_setup(self):
            raise NotImplementedError("no page setup here")

    book = SimpleNamespace(app=SimpleNamespace(engine=SimpleNamespace(name="excel")))
    live.set_page_setup(book, Broken(), SimpleNamespace(title_rows=(1, 2)), (1, 1, 9, 9))


@pytest.mark.parametrize("command", ["stale", "check"])
def test_cleanse_and_check_get_fitted_widths(tmp_path, open_book, monkeypatch, command):
    models = _models(monkeypatch)
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(30)))
    ribbon.run(command, book=book)
    name = "Cleanse" if command == "stale" else "Check"
    sent = {a["start_column"] + 1: arg(a) for a in find(book, "setColumnWidth", name)}
    assert sent == {c: round((w * 7 + 5) * 0.75, 2) for c, w in fit_widths(models[name]).items()}
