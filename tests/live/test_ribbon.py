"""salesbook.ribbon.run end to end on xlwings' remote engine: what lands in which range."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest
from openpyxl.utils import column_index_from_string

from salesbook import engine, ribbon
from salesbook.adapters.excel import layout
from salesbook.adapters.excel import values as excel_values
from salesbook.adapters.excel import read as live
from salesbook.commands import RIBBON_COMMANDS
from salesbook.rules.settings import Settings

from .conftest import (HEADERS, SHIPPED, TODAY, actions, address, cell, find, lead_rows, payload_from_file,
                       sheet_names, write_leads)
from .test_read import file_leads

ROW_BOUND_COMMANDS = ("grade", "followup", "stale", "funnel", "runall", "check")


def column_values(book, sheet: str, col: str, first_row: int, last_row: int) -> list[object]:
    """The values one setValues action wrote to ``col`` rows first..last (exactly one
    action must cover them)."""
    c = column_index_from_string(col) - 1
    hits = [a for a in find(book, "setValues", sheet)
            if a["start_column"] <= c < a["start_column"] + a["column_count"]
            and a["start_row"] == first_row - 1 and a["row_count"] == last_row - first_row + 1]
    assert len(hits) == 1, f"{len(hits)} writes cover {sheet}!{col}{first_row}:{col}{last_row}"
    a = hits[0]
    return [row[c - a["start_column"]] for row in a["values"]]


def sent(values) -> list[object]:
    """Values as the remote engine puts them in an action: blanks as ''."""
    return ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in values]


def expected(path, only: str):
    """What the engine computes on the file's own cells (read independently, with calamine)."""
    return engine.evaluate(file_leads(path), Settings(as_of=TODAY), only=only)


def test_commands_are_exactly_the_ribbon_buttons():
    assert set(ribbon.COMMANDS) == set(RIBBON_COMMANDS)
    assert set(RIBBON_COMMANDS) <= set(ribbon.COMMANDS) and set(ribbon.COMMANDS) <= set(RIBBON_COMMANDS)
    assert all(callable(f) for f in ribbon.COMMANDS.values())


def test_grade_appends_the_output_columns_and_writes_the_engines_grades(tmp_path, open_book):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(30))
    book = open_book(path)
    summary = ribbon.run("grade", book=book)
    ev = expected(path, "grade")
    assert summary == ev.summary and summary.startswith("Graded 30 leads:")
    # The table (B2:U32) grows by Grade, Score, Grade Reason, Grade Change in V:Y.
    assert [a["args"] for a in find(book, "resizeTable", "Leads")] == [[0, "$B$2:$Y$32"]]
    head = [a for a in find(book, "setValues", "Leads") if a["start_row"] == 1]
    assert [(cell(a), a["values"]) for a in head] == [("V2", [["Grade", "Score", "Grade Reason", "Grade Change"]])]
    assert column_values(book, "Leads", "V", 3, 32) == sent(ev.outputs["grade"])
    assert column_values(book, "Leads", "W", 3, 32) == sent(float(x) for x in ev.outputs["score"])
    assert column_values(book, "Leads", "X", 3, 32) == sent(ev.outputs["grade_reason"])
    assert not find(book, "alert")


def test_grade_writes_existing_output_columns_in_runs_and_keeps_user_columns(tmp_path, open_book):
    """Grade | Score | My Note | Grade Reason | Grade Change: two writes, My Note untouched."""
    headers = HEADERS[:-1] + ["Grade", "Score", "My Note", "Grade Reason", "Grade Change"]
    rows = [r[:-1] + ["B", None, r[-1], None, None] for r in lead_rows(20)]
    path = write_leads(tmp_path / "leads.xlsx", rows, headers=headers)
    book = open_book(path)
    ribbon.run("grade", book=book)
    ev = expected(path, "grade")
    writes = [address(a) for a in find(book, "setValues", "Leads")]
    assert writes == ["U3:V22", "X3:Y22"]  # T is Scheduled, W is My Note
    assert not find(book, "resizeTable")
    changes = column_values(book, "Leads", "Y", 3, 22)
    assert changes == sent(ev.outputs["grade_change"])
    assert "B→A" in changes  # the previous grade in the sheet was B


def test_followup_dates_are_written_as_dates(tmp_path, open_book):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(20))
    book = open_book(path)
    ribbon.run("followup", book=book)
    ev = expected(path, "followup")
    fmt = find(book, "setNumberFormat", "Leads")
    assert [(address(a), a["args"]) for a in fmt] == [("V3:V22", ["yyyy-mm-dd"])]
    values = column_values(book, "Leads", "V", 3, 22)
    want = [None if v is None or v != v else v.date().isoformat() for v in ev.outputs["next_followup"]]
    assert values == [w if w is not None else "" for w in want]
    # The format is set before the values, so Excel stores the ISO texts as dates.
    kinds = [a["func"] for a in actions(book) if a["sheet_position"] == 1]
    assert kinds.index("setNumberFormat") < kinds.index("setValues", kinds.index("setNumberFormat"))
    grid = excel_values.frame_grid(ev.outputs[["next_followup"]])
    assert all(isinstance(r[0], dt.datetime) or r[0] is None for r in grid)


@pytest.mark.slow
@pytest.mark.parametrize("command", ROW_BOUND_COMMANDS)
def test_the_number_of_writes_does_not_grow_with_the_rows(tmp_path, open_book, command):
    counts = {}
    for n in (20, 2000):
        book = open_book(write_leads(tmp_path / f"leads{n}.xlsx", lead_rows(n)))
        ribbon.run(command, book=book)
        assert not find(book, "alert"), find(book, "alert")
        counts[n] = len(actions(book))
    assert counts[20] == counts[2000], counts


@pytest.mark.slow
def test_archive_costs_one_delete_per_run_of_contiguous_rows(tmp_path, open_book, answer):
    answer("ok")
    counts = {}
    for n in (20, 2000):
        path = write_leads(tmp_path / f"leads{n}.xlsx", lead_rows(n))
        book = open_book(path)
        rows = list(expected(path, "stale").stale_rows)
        runs = excel_values._runs(rows)
        ribbon.run("archive", book=book)
        deletes = find(book, "rangeDelete", "Leads")
        assert len(deletes) == len(runs)
        counts[n] = len(actions(book)) - len(deletes)
    assert counts[20] == counts[2000], counts


def test_archive_moves_rows_bottom_up_and_appends_under_the_existing_header(tmp_path, open_book, answer):
    answer("ok")
    archive = [["Archived On", "Lead ID", "Company", "Reviewer"],
               [dt.datetime(2026, 1, 5), "L-9000", "Old Co", "Kim"]]
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(20), archive=archive)
    book = open_book(path)
    summary = ribbon.run("archive", book=book)
    rows = list(expected(path, "stale").stale_rows)
    assert summary == f"Archived {len(rows)} stale leads to the Archive sheet; {20 - len(rows)} rows remain in Leads."
    deletes = find(book, "rangeDelete", "Leads")
    starts = [a["start_row"] + 1 for a in deletes]
    assert starts == sorted(starts, reverse=True)  # bottom-up
    assert all(a["start_column"] == 1 and a["column_count"] == len(HEADERS) for a in deletes)  # B:U only
    assert sorted(r for a in deletes for r in range(a["start_row"] + 1, a["start_row"] + 1 + a["row_count"])) == rows
    # Appended below the last used row (3), aligned by name; new columns added at the right.
    head = [a for a in find(book, "setValues", "Archive") if a["start_row"] == 0]
    assert [(cell(a), a["values"][0][:2]) for a in head] == [("E1", ["Contact", "Email"])]
    body = [a for a in find(book, "setValues", "Archive") if a["start_row"] == 2]
    assert len(body) == 1 and cell(body[0]) == "A3" and body[0]["row_count"] == len(rows)
    first = body[0]["values"][0]
    assert first[0] == TODAY.isoformat() and first[1] == "L-0003" and first[3] == ""  # Reviewer left blank
    # Every write of the archive precedes the first delete: nothing is lost if a delete fails.
    funcs = [a["func"] for a in actions(book)]
    assert max(i for i, f in enumerate(funcs) if f == "setValues") < funcs.index("rangeDelete")


def test_a_refused_book_gets_a_message_and_no_writes(tmp_path, open_book):
    headers = [h for h in HEADERS if h != "Owner"]
    rows = [r[:4] + r[5:] for r in lead_rows(5)]
    book = open_book(write_leads(tmp_path / "leads.xlsx", rows, headers=headers))
    message = ribbon.run("grade", book=book)
    acts = actions(book)
    assert [a["func"] for a in acts] == ["alert"]
    text, title, buttons, mode, _ = acts[0]["args"]
    assert text == message and "'Owner'" in message and "Traceback" not in message
    assert (title, mode) == ("Sales Pipeline", "critical")


def test_no_room_for_new_columns_is_refused_before_writing(tmp_path, open_book):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(5), right_of_table="someone's notes"))
    message = ribbon.run("runall", book=book)
    assert [a["func"] for a in actions(book)] == ["alert"]
    assert "not empty" in message and "V2:AC7" in message


def test_texts_starting_with_equals_are_written_as_text(tmp_path, open_book):
    # Lead 3 (index 2) is stale: its company lands on the Cleanse sheet; lead 1's stage is bad.
    rows = lead_rows(10, company_for={2: "=HYPERLINK(\"http://x\")"}, stage_for={0: "=1+1"})
    book = open_book(write_leads(tmp_path / "leads.xlsx", rows))
    ribbon.run("runall", book=book)
    assert not find(book, "setFormula")
    cleanse = [v for a in find(book, "setValues", "Cleanse") for r in a["values"] for v in r]
    assert "'=HYPERLINK(\"http://x\")" in cleanse
    written = [v for a in actions(book) for r in a["values"] or [] for v in r]
    assert not any(isinstance(v, str) and v.startswith("=") for v in written)
    book = open_book(write_leads(tmp_path / "leads2.xlsx", rows))
    ribbon.run("check", book=book)
    values = [v for a in find(book, "setValues", "Check") for r in a["values"] for v in r]
    assert "'=1+1" in values


def test_funnel_sheet_chart_and_history(tmp_path, open_book):
    history = [["Lead ID", "From", "To", "Date"], ["L-0001", None, "Qualification", dt.datetime(2026, 10, 1)]]
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(20), history=history)
    book = open_book(path)
    summary = ribbon.run("funnel", book=book)
    assert summary.startswith("Funnel:")
    assert "Funnel" in sheet_names(book)
    charts = find(book, "addChart", "Funnel")
    assert len(charts) == 1 and charts[0]["args"][1] == "BarClustered" and charts[0]["args"][3] == "$L$13:$M$20"
    assert find(book, "setChartTitle", "Funnel")[0]["args"][1] == "Leads reaching each stage"
    stage_block = [a for a in find(book, "setValues", "Funnel") if cell(a) == "L12"][0]
    assert stage_block["values"][1] == ["Stage", "Reached"]
    hist = find(book, "setValues", "History")
    assert len(hist) == 1 and cell(hist[0]) == "A3"
    assert hist[0]["values"][0][:3] == ["L-0001", "Qualification", "Proposal"]
    assert [address(a) for a in find(book, "setNumberFormat", "History")] == [f"D3:D{2 + hist[0]['row_count']}"]
    assert not find(book, "setValues", "Leads")  # the funnel writes no lead columns


def test_funnel_without_chart_support_still_writes_the_data(tmp_path, open_book, monkeypatch):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(10)))

    def no_charts(self):
        raise NotImplementedError("charts are not supported")
    monkeypatch.setattr(type(book.sheets[0]), "charts", property(no_charts))
    summary = ribbon.run("funnel", book=book)
    assert summary.startswith("Funnel:") and not find(book, "alert") and not find(book, "addChart")
    assert find(book, "setValues", "Funnel")


def test_check_lists_problems_with_their_cells(tmp_path, open_book):
    rows = lead_rows(8, stage_for={4: "Proposel"})  # row 7 (header at 2)
    book = open_book(write_leads(tmp_path / "leads.xlsx", rows))
    summary = ribbon.run("check", book=book)
    assert summary == "Checked 8 leads: 1 problems in 1 rows (see the Check sheet)."
    block = [a for a in find(book, "setValues", "Check") if cell(a) == "A3"][0]
    assert block["values"][0][:4] == ["Cell", "Sheet", "Row", "Column"]
    assert block["values"][1][:5] == ["H7", "Leads", 7, "Stage", "Proposel"]
    assert [a["args"] for a in find(book, "setNumberFormat", "Check") if address(a) == "E4:E4"] == [["@"]]
    assert book.sheets.active.name == "Check"


def test_settings_and_help_activate_their_sheets(tmp_path, open_book):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(3)))
    assert ribbon.run("settings", book=book).startswith("Settings:")
    assert [a["func"] for a in actions(book)] == ["activateSheet"]
    book = open_book(write_leads(tmp_path / "leads2.xlsx", lead_rows(3)))
    assert ribbon.run("help", book=book).startswith("Help:")
    assert [a["func"] for a in actions(book)][0] == "addSheet" and find(book, "setValues", "Help")
    assert book.sheets.active.name == "Help"


def test_a_missing_settings_sheet_is_created_with_the_defaults(tmp_path, open_book):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(3), settings=False))
    ribbon.run("settings", book=book)
    grid = find(book, "setValues", "Settings")[0]["values"]
    rows = [[None if v == "" else (v[1:] if isinstance(v, str) and v.startswith("'") else v) for v in r] for r in grid]
    from salesbook.rules.settings_sheet import settings_from_grid
    assert settings_from_grid(live.texts(rows)) == Settings()


def test_unknown_command_says_so(tmp_path, open_book):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(3)))
    message = ribbon.run("frobnicate", book=book)
    assert "Unknown command 'frobnicate'" in message
    assert [a["func"] for a in actions(book)] == ["alert"]


def test_an_error_while_writing_is_a_message_and_screen_updating_comes_back(tmp_path, open_book, monkeypatch):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(10)))

    def boom(*args, **kwargs):
        raise RuntimeError("the sheet is protected")
    monkeypatch.setattr(layout, "_write_block", boom)
    message = ribbon.run("funnel", book=book)
    assert message.startswith("Refresh Funnel stopped while writing table 1 of sheet 'Funnel': "
                              "the sheet is protected.")
    funcs = [a["func"] for a in actions(book)]
    assert funcs[-2:] == ["setScreenUpdating", "alert"] and actions(book)[-2]["args"] == [True]


def test_an_error_before_writing_changes_nothing(tmp_path, open_book, monkeypatch):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(10)))

    def broken(*args, **kwargs):
        raise ValueError("bad rule")
    monkeypatch.setattr(engine, "evaluate", broken)
    message = ribbon.run("grade", book=book)
    assert message == "Grade Leads could not run: bad rule. Nothing was changed."
    assert [a["func"] for a in actions(book)] == ["alert"]


def test_a_plain_leads_sheet_gets_its_columns_at_the_right(tmp_path, open_book):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(6), table=False))
    ribbon.run("stale", book=book)
    assert not find(book, "resizeTable")
    assert [address(a) for a in find(book, "setValues", "Leads")] == ["U1:V1", "U2:V7"]


def test_the_package_needs_no_licence_key():
    code = ("import os, sys; os.environ.pop('XLWINGS_LICENSE_KEY', None); "
            "import salesbook.ribbon, salesbook.adapters.excel.workbook, xlwings; "
            "assert 'remote' not in xlwings.engines.engines_by_name; print('ok')")
    env = {k: v for k, v in __import__("os").environ.items() if k != "XLWINGS_LICENSE_KEY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


@pytest.mark.skipif(not SHIPPED.exists(), reason="workbook/SalesPipeline.xlsm is not built yet")
@pytest.mark.parametrize("command", ["check", "runall"])
def test_the_shipped_workbook(open_book, command):
    book = open_book(SHIPPED)
    summary = ribbon.run(command, book=book)
    assert not find(book, "alert"), summary
    assert find(book, "setValues")
    payload_from_file(SHIPPED)  # the payload itself is plain JSON


@pytest.mark.slow
def test_status_bar_shows_progress_then_the_summary(tmp_path, open_book, monkeypatch):
    """The remote engine has no status bar: record what desktop Excel would show."""
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(1234)))
    shown: list[object] = []
    monkeypatch.setattr(type(book.app.impl), "status_bar",
                        property(lambda self: False, lambda self, v: shown.append(v)), raising=False)
    summary = ribbon.run("grade", book=book)
    assert shown == ["Sales Pipeline: reading the leads…", "Sales Pipeline: grading 1,234 leads…",
                     "Sales Pipeline: writing the results…", summary]
    funcs = [a["func"] for a in actions(book)]
    assert funcs[0] == "setScreenUpdating" and funcs[-1] == "setScreenUpdating"
    assert [a["args"] for a in find(book, "setScreenUpdating")] == [[False], [True]]
    shown.clear()
    book = open_book(write_leads(tmp_path / "bad.xlsx", [r[:4] + r[5:] for r in lead_rows(3)],
                                 headers=[h for h in HEADERS if h != "Owner"]))
    monkeypatch.setattr(type(book.app.impl), "status_bar",
                        property(lambda self: False, lambda self, v: shown.append(v)), raising=False)
    ribbon.run("grade", book=book)
    assert shown[-1] == "Sales Pipeline: Grade Leads failed — see the message."


def test_a_totals_row_stays_out_of_the_leads_and_inside_the_table(tmp_path, open_book):
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(10), totals=True))
    lb = live.read(book)
    assert (lb.loc.last_row, lb.loc.table_last_row) == (12, 13) and len(lb.leads) == 10
    ribbon.run("grade", book=book)
    assert [a["args"] for a in find(book, "resizeTable", "Leads")] == [[0, "$B$2:$Y$13"]]
    assert [address(a) for a in find(book, "setValues", "Leads")] == ["V2:Y2", "V3:Y12"]


@pytest.mark.parametrize("table", [True, False], ids=["table", "range"])
@pytest.mark.parametrize("name", ["grade", "followup", "stale", "funnel", "runall", "check", "archive"])
def test_an_empty_lead_table_says_no_leads_yet(tmp_path, open_book, name, table):
    """Headers and no leads (an Excel Table keeps one blank row): every button ends with the
    no-leads summary, shows no message box and deletes nothing."""
    path = write_leads(tmp_path / "new.xlsx", [], table=table)
    book = open_book(path)
    assert ribbon.run(name, book=book) == engine.no_leads("en")
    assert not find(book, "alert") and not find(book, "rangeDelete")
    if name == "runall":
        writes = {tuple(a["values"][0][:1]): a["values"] for a in find(book, "setValues", "Funnel")}
        mix = writes[("Grades and follow-ups",)]
        assert mix[1] == ["Grade A", "Grade B", "Grade C", "Grade D", "Overdue", "Due today", "This week", "Later"]
        assert mix[2] == [0] * 8
        owners = writes[("By owner",)]
        assert "Reached: Proposal" in owners[1] and len(owners) == 2  # title and header, no owner
        (cleanse,) = [a for a in find(book, "setValues", "Cleanse") if a["values"][0][0] == "Row"]
        assert cleanse["row_count"] == 1  # the header only
