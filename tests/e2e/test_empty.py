"""A lead table with headers and no leads — where every new workbook starts — works with
every command: zeros on the Funnel, an empty Cleanse, and a summary that says there are no
leads yet. Books written by XlsxWriter (an Excel Table: Excel keeps one empty row under the
header of an empty table) and openpyxl (a plain range of headers only), read back with
python-calamine and openpyxl."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from salesbook.engine import no_leads

from .conftest import EN_HEADERS, TODAY, ZH_HEADERS, calamine_rows, digest

NO_LEADS_EN = "No leads yet: add them to the Leads table (one row per lead), then run again."
NO_LEADS_ZH = "还没有线索：请在线索表中添加线索（每条线索一行），然后再运行。"
STAGES = ["Prospecting", "Qualification", "Initial Contact", "Needs Assessment", "Proposal", "Negotiation",
          "Closed Won", "Closed Lost"]
COMMANDS = [("run",), ("run", "--only", "grade"), ("run", "--only", "followup"), ("run", "--only", "stale"),
            ("run", "--only", "funnel"), ("check",), ("archive",)]


def empty_table(path: Path) -> Path:
    """An Excel Table named Leads with its header row and no data: XlsxWriter (like Excel)
    gives an empty table one blank row, ref A1:U2."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Leads")
    ws.add_table(0, 0, 1, len(EN_HEADERS) - 1, {"name": "Leads", "columns": [{"header": h} for h in EN_HEADERS]})
    wb.close()
    return path


def empty_range(path: Path, headers=EN_HEADERS, sheet: str = "Leads") -> Path:
    """A plain range: the header row and nothing under it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers)
    wb.save(path)
    return path


BOOKS = {"table": empty_table, "range": empty_range}


def test_the_fixtures_are_empty_lead_tables(tmp_path):
    ws = openpyxl.load_workbook(empty_table(tmp_path / "t.xlsx"))["Leads"]
    assert ws.tables["Leads"].ref == "A1:U2"
    assert all(c.value is None for c in ws[2])
    assert calamine_rows(empty_range(tmp_path / "r.xlsx"), "Leads") == [EN_HEADERS]


def test_the_summary_is_the_engines_in_both_languages():
    assert no_leads("en") == NO_LEADS_EN and no_leads("zh") == NO_LEADS_ZH


@pytest.mark.parametrize("kind", BOOKS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_says_there_are_no_leads_yet(tmp_path, cli, kind, command):
    book = BOOKS[kind](tmp_path / "New.xlsx")
    result = cli(*command, book, "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert NO_LEADS_EN in result.output
    assert "Error" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("kind", BOOKS)
def test_run_writes_a_funnel_of_zeros_and_an_empty_cleanse(tmp_path, cli, kind):
    book = BOOKS[kind](tmp_path / "New.xlsx")
    assert cli("run", book, "--today", TODAY.isoformat()).exit_code == 0
    funnel = calamine_rows(book, "Funnel")
    assert funnel[0][0] == "Sales funnel"

    def under(first: str) -> dict[str, object]:
        i = next(i for i, r in enumerate(funnel) if r and r[0] == first)
        return {h: v for h, v in zip(funnel[i], funnel[i + 1]) if h != ""}

    kpis = under("Open leads")
    assert [kpis[k] for k in ("Open leads", "Pipeline value", "Weighted pipeline", "Won", "Lost")] == [0] * 5
    assert kpis["Win rate"] == "" and kpis["Bottleneck"] == "—"
    assert under("Grade A") == {"Grade A": 0, "Grade B": 0, "Grade C": 0, "Grade D": 0, "Overdue": 0,
                                "Due today": 0, "This week": 0, "Later": 0}
    i = next(i for i, r in enumerate(funnel) if r[:2] == ["Stage", "In stage"])
    table = {r[0]: dict(zip(funnel[i], r)) for r in funnel[i + 1: i + 1 + len(STAGES)]}
    assert list(table) == STAGES
    assert all(table[s]["In stage"] == 0 and table[s]["Value"] == 0 for s in STAGES)
    assert [table[s]["Reached"] for s in STAGES[:-1]] == [0] * 7
    # The owner and source tables keep their headers and have no lines.
    for title, first in (("By owner", "Owner"), ("By source", "Source")):
        j = next(j for j, r in enumerate(funnel) if r and r[0] == title)
        assert funnel[j + 1][0] == first and "Reached: Proposal" in funnel[j + 1]
        assert all(v == "" for r in funnel[j + 2: j + 3] for v in r)

    cleanse = calamine_rows(book, "Cleanse")
    assert cleanse[1][0].startswith("0 leads flagged as of 2026-11-18")
    assert cleanse[2][:2] == ["Row", "Lead ID"] and len(cleanse) == 3  # the header, no lead

    leads = calamine_rows(book, "Leads")
    assert leads[0][:len(EN_HEADERS)] == EN_HEADERS and "Follow-up Status" in leads[0]
    assert all(v == "" for r in leads[1:] for v in r)  # no output in the empty row
    if kind == "table":
        assert openpyxl.load_workbook(book)["Leads"].tables["Leads"].ref == "A1:AC2"  # + 8 output columns


@pytest.mark.parametrize("kind", BOOKS)
def test_check_writes_a_check_sheet_without_problems(tmp_path, cli, kind):
    book = BOOKS[kind](tmp_path / "New.xlsx")
    assert cli("check", book, "--today", TODAY.isoformat()).exit_code == 0
    check = calamine_rows(book, "Check")
    assert check[1][0] == "No problems found on 2026-11-18."
    assert check[2][0] == "Cell" and len(check) == 3


@pytest.mark.parametrize("kind", BOOKS)
def test_archive_leaves_the_book_as_it_was(tmp_path, cli, kind):
    book = BOOKS[kind](tmp_path / "New.xlsx")
    before = digest(book)
    assert cli("archive", book, "--today", TODAY.isoformat()).exit_code == 0
    assert digest(book) == before


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_batch_runs_a_folder_of_empty_books(tmp_path, cli):
    empty_table(tmp_path / "a.xlsx")
    empty_range(tmp_path / "b.xlsx")
    result = cli("batch", tmp_path, "--workers", "2", "--today", TODAY.isoformat(), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "Processed 2 of 2 workbooks (0 with row problems, 0 failed)" in result.output
    for name in ("a.xlsx", "b.xlsx"):
        assert calamine_rows(tmp_path / name, "Funnel")[0][0] == "Sales funnel"


def test_chinese_headers_get_the_chinese_summary_and_sheets(tmp_path, cli):
    book = empty_range(tmp_path / "新.xlsx", headers=ZH_HEADERS, sheet="线索")
    for command in (("run",), ("check",), ("archive",)):
        result = cli(*command, book, "--today", TODAY.isoformat())
        assert result.exit_code == 0, result.output
        assert NO_LEADS_ZH in result.output
    funnel = calamine_rows(book, "Funnel")
    assert funnel[0][0] == "销售漏斗"
    i = next(i for i, r in enumerate(funnel) if r and r[0] == "A级")
    assert funnel[i][4:8] == ["已逾期", "今日到期", "本周内", "稍后"] and funnel[i + 1][:8] == [0] * 8
    j = next(j for j, r in enumerate(funnel) if r and r[0] == "按负责人")
    assert "到达：提案/报价" in funnel[j + 1]


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_a_new_workbook_from_the_template_runs_and_keeps_its_score_note(tmp_path, cli):
    """The builder's empty workbook (the template without sample leads): every command works."""
    from salesbook.builder.package import build_xlsx
    from salesbook.builder.template import populate

    book = tmp_path / "New.xlsx"
    book.write_bytes(build_xlsx(populate))
    for command in COMMANDS:
        result = cli(*command, book, "--today", TODAY.isoformat())
        assert result.exit_code == 0 and NO_LEADS_EN in result.output, (command, result.output)
    xl = openpyxl.load_workbook(book)
    ws = xl["Leads"]
    assert ws.tables["Leads"].ref == "A1:AC2"
    score = next(c for c in ws[1] if c.value == "Score")
    assert "sort by Grade, then by Score" in score.comment.text
    funnel = calamine_rows(book, "Funnel")
    i = next(i for i, r in enumerate(funnel) if r and r[0] == "Open leads")
    assert funnel[i + 1][:5] == [0, 0, 0, 0, 0]
