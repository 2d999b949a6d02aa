"""docs/spec.md §3 (run --period) and the rep's Funnel blocks (Period line, Forecast, Targets):
books written with openpyxl, run through the CLI, the Funnel sheet read back with python-calamine.

The forecast and targets book (TODAY = 2026-11-18; Q4 = 2026-10-01 … 2026-12-31; the forecast
months are 2026-11 … 2027-04), worked out by hand:

 id  owner stage (probability)  value  Close Date  Timeline    forecast bucket          Q4
 A1  Ann   Closed Won           10000  2026-12-31              2026-12 won              won (last day of Q4)
 A2  Ann   Closed Won            5000  2026-09-30              – (before this month)    – (Q3)
 A3  Ann   Proposal (55%)       20000  2026-12-15  2027-03-01  2026-12 (Close Date wins) open, w. 11000
 A4  Ann   Negotiation (75%)     8000              2026-11-30  2026-11 (Timeline date)  open, w. 6000
 A5  Ann   Qualification (10%)   1000              ≤3 months   no date                  –
 B1  Bob   Initial Contact (20%) 10000 2026-10-15              past due                 open, w. 2000
 B2  Bob   Closed Won           30000  2026-11-20              2026-11 won              won
 B3  Bob   Prospecting (5%)      4000              2027-06-01  later                    –
 C1  Cara  Proposal (55%)       50000  2026-11-25              2026-11                  open, w. 27500

Targets: Ann 2026-Q4 40000 · Bob 2026-Q4 25000 · Dan 2026-Q4 7000 (no leads); Cara has none.
"""

from __future__ import annotations

import datetime as dt
import math

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from .conftest import digest

D = dt.date
HEADERS = ["Lead ID", "Company", "Owner", "Stage", "Deal Value", "Created", "Close Date", "Timeline", "Last Contact"]


def write_book(path, rows, targets=None, zh: bool = False):
    """An openpyxl book: Leads (a plain range), and a Settings sheet with a Targets block when given."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(HEADERS)
    for r in rows:
        ws.append(list(r))
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, dt.date):
                c.number_format = "yyyy-mm-dd"
    if targets is not None or zh:
        st = wb.create_sheet("Settings")
        st.append(["General 常规"])
        st.append(["Setting 设置", "Value 值"])
        st.append(["Language 语言", "zh" if zh else "en"])
        st.append([])
        if targets is not None:
            st.append(["Targets 目标"])
            st.append(["Owner", "Period", "Target"])
            for t in targets:
                st.append(list(t))
    wb.save(path)
    return path


def funnel_rows(path) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Funnel").to_python()


def block(rows, title: str) -> list[dict[str, object]]:
    """The table under the line whose first cell is ``title``: its header row, then rows to the first blank."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    header = rows[start + 1]
    width = header.index("") if "" in header else len(header)  # the table's own columns (a chart's block may follow)
    out = []
    for r in rows[start + 2:]:
        if all(v == "" for v in r[:width]):
            break
        out.append(dict(zip(header[:width], r[:width])))
    return out


# ---- run --period ----------------------------------------------------------------

PERIOD_ROWS = [  # one lead per stage, created on each side of 2026-Q4's edges
    ["P-1", "Sep Co", "Ann", "Prospecting", 1000, D(2026, 9, 30), None, None, D(2027, 1, 5)],
    ["P-2", "Oct Co", "Ann", "Qualification", 2000, D(2026, 10, 1), None, None, D(2027, 1, 5)],
    ["P-3", "Dec Co", "Ann", "Proposal", 4000, D(2026, 12, 31), None, None, D(2027, 1, 5)],
    ["P-4", "Jan Co", "Ann", "Negotiation", 8000, D(2027, 1, 1), None, None, D(2027, 1, 5)],
]


def in_stage(rows) -> dict[str, int]:
    return {r["Stage"]: int(r["In stage"]) for r in block(rows, "Conversion by stage")}


def test_period_limits_the_funnel_to_the_leads_created_in_it(tmp_path, cli):
    book = write_book(tmp_path / "p.xlsx", PERIOD_ROWS)
    result = cli("run", book, "--period", "2026-Q4", "--today", "2027-01-10")
    assert result.exit_code == 0, result.output
    rows = funnel_rows(book)
    assert rows[2][0].split(". No BANT data")[0] == "Period: 2026-Q4 (1 Oct – 31 Dec 2026), leads created in it"  # (the book has no BANT columns: that line follows)
    counts = in_stage(rows)
    assert (counts["Prospecting"], counts["Qualification"], counts["Proposal"], counts["Negotiation"]) == (0, 1, 1, 0)
    assert block(rows, "Key figures")[0]["Open leads"] == 2
    assert block(rows, "Key figures")[0]["Pipeline value"] == 6000
    assert [(r["Owner"], r["Leads"]) for r in block(rows, "By owner")] == [("Ann", 2)]
    # Only the funnel: every lead is still graded and followed up.
    leads = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Leads").to_python()
    head = leads[0]
    assert all(r[head.index("Grade")] == "C" and r[head.index("Next Follow-up")] != "" for r in leads[1:])


def test_without_a_period_the_funnel_counts_every_lead_and_says_so(tmp_path, cli):
    book = write_book(tmp_path / "p.xlsx", PERIOD_ROWS)
    assert cli("run", book, "--today", "2027-01-10").exit_code == 0
    rows = funnel_rows(book)
    assert rows[2][0].split(". No BANT data")[0] == "Period: all leads"
    assert set(in_stage(rows).values()) == {1, 0} and sum(in_stage(rows).values()) == 4


def test_last_n_days_counts_back_from_today(tmp_path, cli):
    book = write_book(tmp_path / "p.xlsx", PERIOD_ROWS)
    assert cli("run", book, "--period", "last-30-days", "--today", "2027-01-29").exit_code == 0  # 31 Dec … 29 Jan
    rows = funnel_rows(book)
    assert rows[2][0].split(". No BANT data")[0] == "Period: last-30-days (31 Dec 2026 – 29 Jan 2027), leads created in it"
    counts = in_stage(rows)
    assert (counts["Prospecting"], counts["Qualification"], counts["Proposal"], counts["Negotiation"]) == (0, 0, 1, 1)


@pytest.mark.parametrize("bad", ["2026-13", "Q4", "last-0-days", "next-30-days"])
def test_a_bad_period_is_refused_and_the_book_keeps_its_bytes(tmp_path, cli, bad):
    book = write_book(tmp_path / "p.xlsx", PERIOD_ROWS)
    before = digest(book)
    result = cli("run", book, "--period", bad, "--today", "2027-01-10")
    assert result.exit_code == 2
    assert f"'{bad}' is not a period" in result.output
    if bad != "last-0-days":
        assert "a month (2026-11), a quarter (2026-Q4), a year (2026) or last-N-days (last-30-days)" in result.output
    assert "Traceback" not in result.output
    assert digest(book) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.xlsx"]


def test_the_python_api_takes_a_period(tmp_path):
    import salesbook

    book = write_book(tmp_path / "p.xlsx", PERIOD_ROWS)
    result = salesbook.run(book, today=D(2027, 1, 10), period="2026-Q4")
    assert result.evaluation.report.kpis["open"] == 2
    assert salesbook.funnel(__import__("pandas").DataFrame(PERIOD_ROWS, columns=HEADERS).astype(object),
                            today=D(2027, 1, 10), period="2027").kpis["open"] == 1


# ---- the Forecast and Targets blocks ------------------------------------------------

VIEW_ROWS = [
    ["A1", "A1 Co", "Ann", "Closed Won", 10000, D(2026, 1, 5), D(2026, 12, 31), None, D(2026, 11, 10)],
    ["A2", "A2 Co", "Ann", "Closed Won", 5000, D(2026, 1, 5), D(2026, 9, 30), None, D(2026, 11, 10)],
    ["A3", "A3 Co", "Ann", "Proposal", 20000, D(2026, 1, 5), D(2026, 12, 15), D(2027, 3, 1), D(2026, 11, 10)],
    ["A4", "A4 Co", "Ann", "Negotiation", 8000, D(2026, 1, 5), None, D(2026, 11, 30), D(2026, 11, 10)],
    ["A5", "A5 Co", "Ann", "Qualification", 1000, D(2026, 1, 5), None, "≤3 months", D(2026, 11, 10)],
    ["B1", "B1 Co", "Bob", "Initial Contact", 10000, D(2026, 1, 5), D(2026, 10, 15), None, D(2026, 11, 10)],
    ["B2", "B2 Co", "Bob", "Closed Won", 30000, D(2026, 1, 5), D(2026, 11, 20), None, D(2026, 11, 10)],
    ["B3", "B3 Co", "Bob", "Prospecting", 4000, D(2026, 1, 5), None, D(2027, 6, 1), D(2026, 11, 10)],
    ["C1", "C1 Co", "Cara", "Proposal", 50000, D(2026, 1, 5), D(2026, 11, 25), None, D(2026, 11, 10)],
]
TARGETS = [("Ann", "2026-Q4", 40000), ("Bob", "2026-Q4", 25000), ("Dan", "2026-Q4", 7000)]


def _blank(v) -> bool:
    return v == "" or v is None


@pytest.fixture
def views_book(tmp_path, cli):
    book = write_book(tmp_path / "v.xlsx", VIEW_ROWS, TARGETS)
    result = cli("run", book, "--today", "2026-11-18")
    assert result.exit_code == 0, result.output
    return funnel_rows(book)


def test_forecast_total_by_expected_close_month(views_book):
    total = {r["Month"]: (r["Open leads"], r["Best case"], r["Weighted"], r["Won"], r["Won so far"])
             for r in block(views_book, "Forecast by expected close month")}
    assert list(total) == ["Past due", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "Later",
                           "No date"]
    assert total["Past due"] == (1, 10000, 2000, 0, 0)            # B1: Close Date 15 Oct passed
    assert total["2026-11"] == pytest.approx((2, 58000, 33500, 1, 30000))        # A4 (Timeline date), C1; won B2
    assert total["2026-12"] == pytest.approx((1, 20000, 11000, 1, 10000))        # A3 by its Close Date, not its Timeline; won A1
    assert total["2027-03"] == (0, 0, 0, 0, 0)                    # A3's Timeline does not count
    assert total["Later"] == pytest.approx((1, 4000, 200, 0, 0))                # B3
    assert total["No date"] == (1, 1000, 100, 0, 0)               # A5: a Timeline bucket is no date


def test_forecast_per_owner_lists_the_buckets_with_leads(views_book):
    rows = block(views_book, "Forecast by owner")
    expected = [("Ann", "2026-11", 1, 8000, 6000, 0), ("Ann", "2026-12", 1, 20000, 11000, 10000),
                ("Ann", "No date", 1, 1000, 100, 0),
                ("Bob", "Past due", 1, 10000, 2000, 0), ("Bob", "2026-11", 0, 0, 0, 30000),
                ("Bob", "Later", 1, 4000, 200, 0),
                ("Cara", "2026-11", 1, 50000, 27500, 0)]
    assert [(r["Owner"], r["Month"]) for r in rows] == [e[:2] for e in expected]
    for r, e in zip(rows, expected):
        assert (r["Open leads"], r["Best case"], r["Weighted"], r["Won so far"]) == pytest.approx(e[2:]), e


def test_targets_attainment_and_coverage(views_book):
    t = {r["Owner"]: r for r in block(views_book, "Targets")}
    assert list(t) == ["Ann", "Bob", "Cara", "Dan"] and {r["Period"] for r in t.values()} == {"2026-Q4"}
    ann = t["Ann"]  # won A1 (closed on the last day of Q4), not A2 (last day of Q3)
    assert (ann["Target"], ann["Won"], ann["Won value"], ann["Remaining"]) == (40000, 1, 10000, 30000)
    assert ann["Attainment"] == 0.25
    assert (ann["Open leads"], ann["Open value"], ann["Weighted open"]) == pytest.approx((2, 28000, 17000))
    assert math.isclose(ann["Coverage"], 28000 / 30000) and math.isclose(ann["Weighted coverage"], 17000 / 30000)
    bob = t["Bob"]  # target met: no coverage
    assert (bob["Won value"], bob["Attainment"], bob["Remaining"], bob["Open value"]) == (30000, 1.2, -5000, 10000)
    assert _blank(bob["Coverage"]) and _blank(bob["Weighted coverage"])
    cara = t["Cara"]  # no target line: listed, target and ratios blank
    assert _blank(cara["Target"]) and _blank(cara["Attainment"]) and _blank(cara["Coverage"])
    assert (cara["Open value"], cara["Weighted open"]) == pytest.approx((50000, 27500))
    dan = t["Dan"]  # a target and no leads: zeros
    assert (dan["Target"], dan["Won value"], dan["Attainment"], dan["Remaining"], dan["Coverage"]) == (7000, 0, 0, 7000, 0)


def test_the_blocks_lie_below_the_funnel_tables(views_book):
    first = {r[0]: i for i, r in reversed(list(enumerate(views_book))) if r and r[0]}
    assert first["By source"] < first["Forecast by expected close month"] < first["Forecast by owner"] < first["Targets"]


def test_without_targets_the_block_says_how_to_add_them(tmp_path, cli):
    book = write_book(tmp_path / "v.xlsx", VIEW_ROWS)
    assert cli("run", book, "--today", "2026-11-18").exit_code == 0
    rows = funnel_rows(book)
    at = next(i for i, r in enumerate(rows) if r[0] == "Targets")
    assert rows[at + 1][0].startswith("No targets in Settings: fill in its Targets block")
    assert all(v == "" for r in rows[at + 2:] for v in r)


def test_the_period_adds_its_own_line_to_the_targets(tmp_path, cli):
    book = write_book(tmp_path / "v.xlsx", VIEW_ROWS, TARGETS)
    assert cli("run", book, "--today", "2026-11-18", "--period", "2026-11").exit_code == 0
    t = [(r["Period"], r["Owner"], r["Won value"], r["Open value"]) for r in block(funnel_rows(book), "Targets")]
    assert t == [("2026-11", "Ann", 0, 8000), ("2026-11", "Bob", 30000, 0), ("2026-11", "Cara", 0, 50000),
                 ("2026-Q4", "Ann", 10000, 28000), ("2026-Q4", "Bob", 30000, 10000), ("2026-Q4", "Cara", 0, 50000),
                 ("2026-Q4", "Dan", 0, 0)]


def test_chinese_labels(tmp_path, cli):
    book = write_book(tmp_path / "zh.xlsx", VIEW_ROWS, TARGETS, zh=True)
    assert cli("run", book, "--today", "2026-11-18", "--period", "2026-Q4").exit_code == 0
    rows = funnel_rows(book)
    assert rows[2][0] == "周期：2026-Q4（2026年10月1日 – 2026年12月31日），该期间内创建的线索"
    total = {r["月份"]: (r["最好情况"], r["加权"], r["已成交金额"]) for r in block(rows, "按预计成交月份预测")}
    assert list(total)[0] == "已过期" and list(total)[-2:] == ["更晚", "无日期"]
    assert total["2026-11"] == pytest.approx((58000, 33500, 30000))
    ann = next(r for r in block(rows, "目标") if r["负责人"] == "Ann")
    assert (ann["期间"], ann["目标"], ann["成交金额"], ann["达成率"]) == ("2026-Q4", 40000, 10000, 0.25)
    assert {"剩余", "进行中金额", "加权进行中金额", "覆盖率", "加权覆盖率"} <= set(ann)
    assert block(rows, "按负责人预测")[0]["负责人"] == "Ann"


def test_chinese_without_targets_or_period(tmp_path, cli):
    book = write_book(tmp_path / "zh.xlsx", VIEW_ROWS, zh=True)
    assert cli("run", book, "--today", "2026-11-18").exit_code == 0
    rows = funnel_rows(book)
    assert rows[2][0] == "周期：全部线索"
    at = next(i for i, r in enumerate(rows) if r[0] == "目标")
    assert rows[at + 1][0].startswith("设置表中没有目标")


def test_the_forecast_starts_a_new_printed_page(tmp_path, cli):
    """A manual page break above the Forecast's title (the funnel keeps its one page), read
    with openpyxl from the sheet's <rowBreaks>."""
    book = write_book(tmp_path / "v.xlsx", VIEW_ROWS, TARGETS)
    assert cli("run", book, "--today", "2026-11-18").exit_code == 0
    rows = funnel_rows(book)
    forecast_row = next(i for i, r in enumerate(rows, start=1) if r[0] == "Forecast by expected close month")
    ws = openpyxl.load_workbook(book)["Funnel"]
    assert [(b.id, b.man) for b in ws.row_breaks.brk] == [(forecast_row - 1, True)]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$2"
