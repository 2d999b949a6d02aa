"""`salesbook rollup`: the team report equals the books' own figures added up by hand.

Books are written with openpyxl; TEAM.xlsx is read back with python-calamine (another reader)."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from salesbook.adapters.files.team_book import _new_workbook
from salesbook.cli import main
from salesbook.rules.settings import Settings, Target
from tests.sheets import openpyxl_book

TODAY = dt.date(2026, 12, 31)  # the last day of a quarter
HEAD = ["Lead ID", "Company", "Contact", "Email", "Owner", "Stage", "Deal Value", "Created", "Close Date", "Source"]


def book(path, rows, history=None):
    sheets = {"Leads": [HEAD, *rows]}
    if history:
        sheets["History"] = [["Lead ID", "From", "To", "Date"], *history]
    openpyxl_book(sheets).save(path)
    return path


D = dt.datetime


@pytest.fixture()
def team(tmp_path):
    a = book(tmp_path / "a.xlsx", [
        ["A-1", "Acme", "Ann Lee", "ann@acme.com", "Li Wei", "Proposal", 1000, D(2026, 10, 2), None, "Web"],
        ["A-2", "Bolt", "Bo Ma", "bo@bolt.com", "Li Wei", "Closed Won", 500, D(2026, 9, 1), D(2026, 12, 31), "Fair"],
        ["A-3", "Cask", "Cy Wu", "cy@cask.com", "Anna", "Qualification", 200, D(2026, 11, 5), None, "Web"],
        ["A-4", "Dune", "Di Xu", "di@dune.com", "Anna", "Closed Won", 300, D(2026, 8, 1), D(2027, 1, 1), "Web"],
    ])
    b = book(tmp_path / "b.xlsx", [
        ["B-1", "Eon", "Ed Yu", "ANN@acme.com ", "Bo", "Negotiation", 4000, D(2026, 12, 1), D(2027, 2, 10), "Fair"],
        ["B-2", "Fig", "Fa Zu", "fa@fig.com", "Li Wei", "Closed Lost", 700, D(2026, 7, 1), D(2026, 11, 1), "Web"],
    ])
    c = book(tmp_path / "c.xlsx", [
        ["C-1", "Gem", "Gu Qi", "gu@gem.com", "Cao", "Demo", 900, D(2026, 10, 1), None, "Web"],
        ["C-2", "Hue", "He Ri", "he@hue.com", "Cao", "Prospecting", 100, D(2026, 10, 1), None, "Web"],
    ])
    bad = tmp_path / "bad.xlsx"
    bad.write_text("Lead ID,Owner\n1,x\n")
    return tmp_path, [a, b, c, bad]


def run(*args):
    return CliRunner().invoke(main, ["rollup", *map(str, args), "--today", TODAY.isoformat(), "--no-progress"])


def cells(path, sheet):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def block(rows, title):
    """The table under a block title: {first cell: row} of its data rows, and its header."""
    i = next(i for i, r in enumerate(rows) if r and r[0] == title)
    header = rows[i + 1]
    out = {}
    for r in rows[i + 2:]:
        if not r or r[0] == "":
            break
        out[r[0] if r[0] not in out else (r[0], r[1])] = dict(zip(header, r))
    return header, out


def test_rollup_adds_up_the_books_and_lists_the_refused_one(team):
    folder, books = team
    out = folder / "TEAM.xlsx"
    result = run(*books, "-o", out)
    assert result.exit_code == 2, result.output
    assert "FAILED" in result.output and "bad.xlsx" in result.output
    rows = cells(out, "Team Funnel")
    _, kpi = block(rows, "Key figures")
    k = next(iter(kpi.values()))
    # open: A-1, A-3, B-1, C-2 (C-1's stage 'Demo' is not in Settings: not counted)
    assert k["Open leads"] == 4
    assert k["Pipeline value"] == 1000 + 200 + 4000 + 100
    assert k["Won"] == 2 and k["Lost"] == 1
    _, owners = block(rows, "By owner")
    assert owners["Li Wei"]["Leads"] == 3  # two in a.xlsx, one in b.xlsx
    assert owners["Li Wei"]["Won"] == 1 and owners["Li Wei"]["Lost"] == 1
    _, books_t = block(rows, "By workbook")
    assert set(books_t) == {"a.xlsx", "b.xlsx", "c.xlsx"}
    assert books_t["c.xlsx"]["Leads"] == 1
    _, unknown = block(rows, "Stages not in Settings (not counted above)")
    assert unknown["c.xlsx"]["Stage as typed"] == "Demo" and unknown["c.xlsx"]["Leads"] == 1
    _, failed = block(rows, "Workbooks not included")
    assert "bad.xlsx" in failed and "is a text file" in failed["bad.xlsx"]["Reason"]
    _, stages = block(rows, "Conversion by stage")
    assert stages["Proposal"]["In stage"] == 1 and stages["Prospecting"]["Reached"] == 7  # every lead of a known stage

    cleanse = cells(out, "Team Cleanse")
    _, cross = block(cleanse, "Duplicates across workbooks")
    assert cross["b.xlsx"]["Stale Reason"] == "also in Li Wei's book (A-1)"
    assert cross["a.xlsx"]["Stale Reason"] == "also in Bo's book (B-1)"


def test_targets_count_the_last_day_of_the_quarter_and_not_the_next(team, tmp_path):
    folder, books = team
    settings = folder / "settings.xlsx"
    _new_workbook(settings, Settings(targets=(Target("Li Wei", "2026-Q4", 2000.0), Target("Anna", "2026-Q4", 1000.0))))
    out = folder / "TEAM.xlsx"
    result = run(*books[:3], "-o", out, "--settings", settings)
    assert result.exit_code == 0, result.output
    rows = cells(out, "Targets")
    i = next(i for i, r in enumerate(rows) if r and r[0] == "Period")
    t = {r[1]: dict(zip(rows[i], r)) for r in rows[i + 1:] if r and r[0]}
    assert t["Li Wei"]["Won value"] == 500  # A-2 closed on 2026-12-31, inside Q4
    assert t["Li Wei"]["Attainment"] == pytest.approx(0.25)
    assert t["Anna"]["Won value"] == 0  # A-4 closed on 2027-01-01, the next quarter
    assert t["Bo"]["Target"] == ""  # listed without a target
    # Li Wei's open pipeline expected in Q4: A-1 has no close date → none; remaining 1,500
    assert t["Li Wei"]["Remaining"] == 1500


def test_movement_counts_a_lead_that_moved_back(tmp_path):
    a = book(tmp_path / "a.xlsx", [
        ["A-1", "Acme", "Ann", "a@a.com", "Li Wei", "Qualification", 1000, D(2026, 1, 5), None, "Web"],
        ["A-2", "Bolt", "Bo", "b@b.com", "Li Wei", "Proposal", 500, D(2026, 1, 5), None, "Web"],
    ], history=[["A-1", "", "Negotiation", D(2026, 9, 1)], ["A-1", "Negotiation", "Qualification", D(2026, 11, 30)],
                ["A-2", "", "Qualification", D(2026, 9, 1)], ["A-2", "Qualification", "Proposal", D(2026, 10, 1)]])
    out = tmp_path / "TEAM.xlsx"
    result = CliRunner().invoke(main, ["rollup", str(a), "-o", str(out), "--today", "2026-12-15", "--period", "2026-Q4",
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    rows = cells(out, "Movement")
    i = next(i for i, r in enumerate(rows) if r and r[0] == "Movement")
    total = {r[0]: dict(zip(rows[i], r)) for r in rows[i + 1:i + 7]}
    assert total["Moved back"]["Leads 2026-Q4"] == 1 and total["Moved back"]["Value 2026-Q4"] == 1000
    assert total["Advanced"]["Leads 2026-Q4"] == 1 and total["Advanced"]["Value 2026-Q4"] == 500


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_an_existing_team_workbook_keeps_the_managers_own_sheet(team):
    folder, books = team
    out = folder / "TEAM.xlsx"
    openpyxl_book({"My notes": [["call Li Wei on Monday"]]}).save(out)
    with zipfile.ZipFile(out) as z:
        mine = z.read("xl/worksheets/sheet1.xml")
    for _ in range(2):  # twice: the second run replaces the report sheets of the first
        result = run(*books[:3], "-o", out)
        assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/worksheets/sheet1.xml") == mine
    names = CalamineWorkbook.from_path(str(out)).sheet_names
    assert names == ["My notes", "Team Funnel", "Team Cleanse", "Targets", "Forecast", "Movement"]


def test_a_managers_sheet_named_like_a_report_sheet_is_refused_and_the_file_kept(team):
    folder, books = team
    out = folder / "TEAM.xlsx"
    openpyxl_book({"Forecast": [["my own forecast"]]}).save(out)
    before = out.read_bytes()
    result = run(*books[:3], "-o", out)
    assert result.exit_code == 2
    assert "The sheet 'Forecast' is not salesbook's" in result.output
    assert out.read_bytes() == before


@pytest.mark.slow  # starts Dask clusters
def test_the_same_report_in_process_on_two_workers_and_on_a_scheduler(team):
    from distributed import LocalCluster

    folder, books = team
    outs = {}
    for how in ("1", "2", "scheduler"):
        out = folder / f"T-{how}.xlsx"
        if how == "scheduler":
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None) as cluster:
                assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
                result = run(*books, "-o", out, "--scheduler", cluster.scheduler_address)
        else:
            result = run(*books, "-o", out, "--workers", how)
        assert result.exit_code == 2, result.output  # bad.xlsx failed, every time
        wb = CalamineWorkbook.from_path(str(out))
        outs[how] = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    assert outs["1"] == outs["2"] == outs["scheduler"]
    assert len(outs["1"]["Team Cleanse"]) > 5
