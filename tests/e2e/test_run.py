"""`salesbook run` end to end: fixtures by XlsxWriter/openpyxl, results read by calamine/openpyxl."""

from __future__ import annotations

import copy
import datetime as dt

import openpyxl
import pytest

from .conftest import (EN_HEADERS, EN_ROWS, TODAY, calamine_rows, calamine_table, digest, write_en_table,
                       write_zh_range, zip_parts)

D = dt.date

# Worked out by hand from docs/spec.md §2 for TODAY = 2026-11-18 (a Wednesday).
EXPECTED = {
    "L-001": dict(Grade="A", Score=100, NF=D(2026, 11, 16), Status="Overdue", Stale=""),
    "L-002": dict(Grade="B", Score=75, NF=D(2026, 11, 23), Status="This week", Stale=""),
    "L-003": dict(Grade="C", Score=17, NF=D(2026, 9, 21), Status="Overdue", Stale="Yes"),
    "L-004": dict(Grade="D", Score=8, NF="", Status="", Stale="Yes"),
    "L-005": dict(Grade="C", Score=67, NF=D(2026, 12, 2), Status="Later", Stale="Yes"),
    "L-006": dict(Grade="A", Score=100, NF=D(2026, 11, 2), Status="Overdue", Stale=""),
    "L-007": dict(Grade="C", Score=33, NF="", Status="", Stale=""),
    "L-008": dict(Grade="B", Score=92, NF=D(2026, 11, 25), Status="This week", Stale=""),
}


def _as_date(v):
    return v.date() if isinstance(v, dt.datetime) else v


def test_run_english_table_writes_every_output(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    result = cli("run", book, "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "Graded 8 leads: 2 A · 2 B · 3 C · 1 D" in result.output

    rows = {r["Lead ID"]: r for r in calamine_table(book)}
    for lead, exp in EXPECTED.items():
        r = rows[lead]
        assert r["Grade"] == exp["Grade"], lead
        assert r["Score"] == exp["Score"], lead
        assert _as_date(r["Next Follow-up"]) == exp["NF"], lead
        assert r["Follow-up Status"] == exp["Status"], lead
        assert r["Stale"] == exp["Stale"], lead
    assert rows["L-003"]["Stale Reason"] == ("3 consecutive contacts without response; no contact for 90 days; "
                                             "stuck in Prospecting for 109 days (limit 14)")
    assert rows["L-004"]["Stale Reason"] == "need does not match our offer"
    assert rows["L-005"]["Stale Reason"] == "duplicate of L-001"
    assert rows["L-002"]["Grade Reason"].startswith("B: need clear; budget pending; influencer only")
    assert "for A: confirm budget, reach the decision maker" in rows["L-002"]["Grade Reason"]


def test_dates_are_real_dates_with_a_date_format(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    ws = openpyxl.load_workbook(book)["Leads"]
    header = [c.value for c in ws[1]]
    col = header.index("Next Follow-up") + 1
    cell = ws.cell(row=2, column=col)
    assert isinstance(cell.value, dt.datetime)
    assert cell.is_date and "y" in cell.number_format.lower()


def test_untouched_columns_sheets_and_names_stay(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    before = openpyxl.load_workbook(book)
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    after = openpyxl.load_workbook(book)
    b, a = before["Leads"], after["Leads"]
    header = [c.value for c in b[1]]
    for col in range(1, len(header) + 1):  # every input and user column: values, formulas, styles
        for row in range(1, b.max_row + 1):
            cb, ca = b.cell(row, col), a.cell(row, col)
            assert ca.value == cb.value, (row, header[col - 1])
            assert ca.number_format == cb.number_format, (row, header[col - 1])
            # (openpyxl's style proxies only compare equal as copies)
            assert copy.copy(ca.font) == copy.copy(cb.font), (row, header[col - 1])
            assert copy.copy(ca.fill) == copy.copy(cb.fill), (row, header[col - 1])
    assert a["B2"].comment is not None and a["B2"].comment.text == b["B2"].comment.text
    mine = {n: d for n, d in after.defined_names.items() if n.startswith("_salesbook_")}  # the sheets' marks
    assert {n: (d.attr_text, d.hidden) for n, d in mine.items()} == {
        f"_salesbook_{s}": (f"'{s}'!$1:$1048576", True) for s in ("Cleanse", "Funnel", "History")}
    assert [(n, d.attr_text) for n, d in after.defined_names.items() if n not in mine] == \
        [(n, d.attr_text) for n, d in before.defined_names.items()]
    assert after["Targets"]["B3"].value == "=B2*1.1"
    assert list(a.tables) == ["Leads"]
    ref = a.tables["Leads"].ref
    assert ref.startswith("A1:") and int(ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == 9


def test_other_parts_are_byte_identical(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    before = zip_parts(book)
    assert cli("run", book, "--only", "grade", "--today", TODAY.isoformat()).exit_code == 0
    after = zip_parts(book)
    changed = {n for n in before if n in after and before[n] != after[n]}
    # Only the Leads sheet, its table (columns appended) and possibly styles may change.
    assert changed <= {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml", "xl/styles.xml", "docProps/app.xml"}
    assert set(before) <= set(after)


def test_run_twice_is_the_same_as_once(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    once = digest(book)
    history_once = calamine_rows(book, "History")
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    assert calamine_rows(book, "History") == history_once
    assert digest(book) == once
    assert all(r["Grade Change"] in ("", None) for r in calamine_table(book))


def test_grade_change_shows_the_previous_grade(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    assert cli("run", book, "--only", "grade", "--today", TODAY.isoformat()).exit_code == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["Leads"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("Budget") + 1).value = "Confirmed"       # L-002 budget confirmed …
    ws.cell(row=3, column=header.index("Authority") + 1).value = "Decision maker"  # … and the decision maker
    ws.cell(row=3, column=header.index("Timeline") + 1).value = "≤3 months"
    wb.save(book)
    assert cli("run", book, "--only", "grade", "--today", TODAY.isoformat()).exit_code == 0
    rows = {r["Lead ID"]: r for r in calamine_table(book)}
    assert rows["L-002"]["Grade"] == "A" and rows["L-002"]["Grade Change"] == "B→A"
    assert rows["L-001"]["Grade Change"] in ("", None)


def test_chinese_plain_range(tmp_path, cli):
    book = write_zh_range(tmp_path / "线索.xlsx")
    result = cli("run", book, "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    rows = calamine_rows(book, "线索")
    header = rows[0]
    for h in ("等级", "评分", "评级依据", "下次跟进", "跟进状态", "待清洗", "清洗原因"):
        assert h in header
    data = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    assert data["X-1"]["等级"] == "A" and data["X-1"]["评分"] == 100
    assert data["X-2"]["等级"] == "C"  # need only identified
    assert data["X-3"]["等级"] == "D" and data["X-3"]["待清洗"] == "是"
    assert "需求与我方不匹配" in data["X-3"]["清洗原因"]
    assert data["X-1"]["评级依据"].startswith("A: ")
    assert calamine_rows(book, "说明") == [["这是说明页"]]
    funnel = calamine_rows(book, "Funnel")
    assert funnel[0][0] == "销售漏斗"


def test_settings_sheet_changes_stages_and_cadences(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb.create_sheet("Settings")
    for row in (["Follow-up cadence"], ["Grade", "Open (days)", "Closed Won (days)"], ["A", 1, 60], ["B", 14, 90],
                ["C", 30, 180], ["D", "None", "None"], [], ["Stages"],
                ["Stage", "中文", "Probability", "Limit (days)", "Type"],
                ["Prospecting", "潜在开发", "5%", 100, "Open"], ["Qualification", "资格审查", "10%", 14, "Open"],
                ["Initial Contact", "初步联络", "20%", 21, "Open"], ["Needs Assessment", "需求评估", "35%", 21, "Open"],
                ["Proposal", "提案/报价", "50%", 10, "Open"], ["Negotiation", "谈判", "80%", 30, "Open"],
                ["Closed Won", "成交", "100%", None, "Won"], ["Closed Lost", "丢单", "0%", None, "Lost"]):
        ws.append(row)
    wb.save(book)
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    rows = {r["Lead ID"]: r for r in calamine_table(book)}
    # A every day: L-001 last contact Fri 13th + 1 = Sat → Mon 16th; B every 14 days: L-002 16th + 14 = 30th.
    assert _as_date(rows["L-001"]["Next Follow-up"]) == D(2026, 11, 16)
    assert _as_date(rows["L-002"]["Next Follow-up"]) == D(2026, 11, 30)
    # Proposal limit 10 days: L-001 in Proposal since Nov 1st (17 days) is now stuck.
    assert "stuck in Proposal for 17 days (limit 10)" in rows["L-001"]["Stale Reason"]
    # Prospecting limit 100: L-003 (109 days from Created) is still stuck, 90 days without contact too.
    assert "limit 100" in rows["L-003"]["Stale Reason"]


def test_funnel_sheet_and_history(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    funnel = calamine_rows(book, "Funnel")
    flat = [[c for c in r] for r in funnel]
    stage_header = next(i for i, r in enumerate(flat) if r[:2] == ["Stage", "In stage"])
    table = {r[0]: dict(zip(flat[stage_header], r)) for r in flat[stage_header + 1: stage_header + 9]}
    reached = [table[s]["Reached"] for s in ("Prospecting", "Qualification", "Initial Contact", "Needs Assessment",
                                              "Proposal", "Negotiation", "Closed Won")]
    assert reached == [8, 7, 6, 5, 4, 2, 1]
    assert table["Proposal"]["Conversion to next"] == pytest.approx(0.5)
    kpi_header = next(i for i, r in enumerate(flat) if r and r[0] == "Open leads")
    kpis = dict(zip(flat[kpi_header], flat[kpi_header + 1]))
    assert kpis["Open leads"] == 6 and kpis["Win rate"] == pytest.approx(0.5)
    history = calamine_rows(book, "History")
    assert history[0][:4] == ["Lead ID", "From", "To", "Date"]
    assert len(history) == 1 + 8
    with __import__("zipfile").ZipFile(book) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())


def test_output_to_another_file_leaves_the_input(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    before = digest(book)
    out = tmp_path / "graded.xlsx"
    assert cli("run", book, "--output", out, "--today", TODAY.isoformat()).exit_code == 0
    assert digest(book) == before
    assert {r["Lead ID"]: r["Grade"] for r in calamine_table(out)}["L-001"] == "A"


def test_scheduled_gives_no_follow_up_to_grade_d_or_closed_lost(tmp_path, cli):
    rows = copy.deepcopy(EN_ROWS)
    sched = EN_HEADERS.index("Scheduled")
    rows[3][sched] = D(2026, 11, 20)   # L-004, grade D
    rows[6][sched] = D(2026, 11, 20)   # L-007, Closed Lost
    rows[1][sched] = D(2026, 12, 10)   # L-002, grade B: the booked date, 22 days ahead
    book = write_en_table(tmp_path / "Pipeline.xlsx", rows=rows)
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    got = {r["Lead ID"]: (_as_date(r["Next Follow-up"]), r["Follow-up Status"]) for r in calamine_table(book)}
    assert got["L-004"] == ("", "") and got["L-007"] == ("", "")
    assert got["L-002"] == (D(2026, 12, 10), "Later")
    assert got["L-005"] == (D(2026, 12, 2), "Later")
    funnel = calamine_rows(book, "Funnel")
    i = next(i for i, r in enumerate(funnel) if r and r[0] == "Grade A")
    counts = dict(zip(funnel[i], funnel[i + 1]))
    assert {k: counts[k] for k in ("Overdue", "Due today", "This week", "Later")} == \
        {"Overdue": 3, "Due today": 0, "This week": 1, "Later": 2}
    assert "Scheduled" not in funnel[i]


def test_owner_and_source_stage_columns_say_reached(tmp_path, cli):
    book = write_en_table(tmp_path / "Pipeline.xlsx")
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    funnel = calamine_rows(book, "Funnel")
    stages = ["Prospecting", "Qualification", "Initial Contact", "Needs Assessment", "Proposal", "Negotiation",
              "Closed Won"]
    for title, first in (("By owner", "Owner"), ("By source", "Source")):
        j = next(j for j, r in enumerate(funnel) if r and r[0] == title)
        header = [h for h in funnel[j + 1] if h != ""]
        assert header[0] == first
        reached = [h for h in header if h.startswith("Reached: ")]
        assert reached == [f"Reached: {s}" for s in stages]
        assert not set(stages) & set(header)  # no bare stage name as a header
        assert header.index("Overdue") + 1 == header.index("Reached: Prospecting")
        assert header.index("Reached: Closed Won") + 1 == header.index("Lead → won")
    j = next(j for j, r in enumerate(funnel) if r and r[0] == "By owner")
    zoe = next(dict(zip(funnel[j + 1], r)) for r in funnel[j + 2:] if r[0] == "Zoe")
    # Zoe: L-001 Proposal, L-002 Qualification, L-005 Initial Contact, L-007 lost at Proposal, L-008 Negotiation.
    assert [zoe[f"Reached: {s}"] for s in stages] == [5, 5, 4, 3, 3, 1, 0]
