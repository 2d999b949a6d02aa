"""The workbook content: the Leads table, its validations and formats, Settings that read
back to the same Settings, the add-in's sheets and Help — checked with two readers."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from lxml import etree
from openpyxl.utils import get_column_letter, range_boundaries
from python_calamine import CalamineWorkbook

from salesbook.builder.layout import SHEETS
from salesbook.engine import evaluate
from salesbook.builder.sample import sample_leads
from salesbook.builder.sample import LEAD_COLUMNS
from salesbook.rules.schema import DATE, INPUTS, OUTPUTS
from salesbook.rules.settings import LOST, WON, Choice, Settings, Stage, Target
from salesbook.rules.settings_sheet import settings_from_grid
from salesbook.builder.template import LIST_NAMES, populate, populate_workbook, write_sample_workbook

TODAY = dt.date(2026, 11, 20)
N = 300
ALL = LEAD_COLUMNS + OUTPUTS
SHEET_NAMES = [name for name, _ in SHEETS]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return write_sample_workbook(tmp_path_factory.mktemp("tpl") / "sample.xlsx", N, today=TODAY)


@pytest.fixture(scope="module")
def xl(book) -> openpyxl.Workbook:
    return openpyxl.load_workbook(book)


def calamine_rows(path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def calamine_frame(path, sheet: str = "Leads") -> pd.DataFrame:
    rows = calamine_rows(path, sheet)
    return pd.DataFrame(rows[1:], columns=rows[0])


def column_letters(ws) -> dict[str, str]:
    return {c.value: c.column_letter for c in ws[1]}


def _cell(value: object) -> object:
    """A cell value as written vs. as read: blanks alike, dates as dates, numbers as floats."""
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date() if hasattr(value, "date") else value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


# ---- Leads ------------------------------------------------------------------------

def test_sheets_in_layout_order(xl):
    assert xl.sheetnames == SHEET_NAMES


def test_leads_is_one_table_over_all_rows_and_columns(xl):
    ws = xl["Leads"]
    assert list(ws.tables) == ["Leads"]
    table = ws.tables["Leads"]
    assert table.ref == f"A1:{get_column_letter(len(ALL))}{N + 1}"
    assert [c.value for c in ws[1]] == [c.en for c in ALL]
    assert [col.name for col in table.tableColumns] == [c.en for c in ALL]
    assert table.tableStyleInfo.name.startswith("TableStyle")
    assert ws.freeze_panes == "B2"


def test_output_columns_look_different_and_start_empty(xl):
    ws = xl["Leads"]
    first_out = len(LEAD_COLUMNS) + 1
    in_fill = ws.cell(1, 1).fill.fgColor.rgb
    for j in range(first_out, len(ALL) + 1):
        assert ws.cell(1, j).fill.fgColor.rgb not in (None, in_fill, "00000000")
        assert ws.cell(2, j).fill.fgColor.rgb not in (None, "00000000")
        assert all(ws.cell(r, j).value is None for r in range(2, N + 2))


def test_values_equal_the_frame_with_both_readers(book, xl):
    frame = sample_leads(N, today=TODAY)
    read = calamine_frame(book)
    assert list(read.columns) == [c.en for c in ALL]
    assert len(read) == N
    ws = xl["Leads"]
    letters = column_letters(ws)
    for c in LEAD_COLUMNS:
        want = [_cell(v) for v in frame[c.en].tolist()]
        got = [_cell(v) for v in read[c.en].tolist()]
        assert got == want, c.en
        got_openpyxl = [_cell(cell.value) for cell in ws[letters[c.en]][1:]]
        assert got_openpyxl == want, c.en


def test_typed_cells_keep_their_types(xl):
    ws = xl["Leads"]
    letters = column_letters(ws)
    for c in LEAD_COLUMNS:
        cells = [cell for cell in ws[letters[c.en]][1:] if cell.value is not None]
        if c.kind == DATE:
            assert all(isinstance(x.value, dt.datetime) and x.number_format == "yyyy-mm-dd" for x in cells), c.en
        if c.key in ("deal_value", "unanswered"):
            assert all(isinstance(x.value, (int, float)) for x in cells), c.en
    timeline = [x.value for x in ws[letters["Timeline"]][1:] if x.value is not None]
    assert any(isinstance(v, dt.datetime) for v in timeline) and any(isinstance(v, str) for v in timeline)


def _validations(ws) -> dict[str, object]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            out[rng] = dv
    return out


def test_drop_downs_come_from_settings_by_defined_names(xl):
    ws = xl["Leads"]
    letters = column_letters(ws)
    dvs = _validations(ws)
    by_key = {c.key: c.en for c in LEAD_COLUMNS}
    for key, name in LIST_NAMES.items():
        dv = dvs[f"{letters[by_key[key]]}2:{letters[by_key[key]]}{N + 1}"]
        assert dv.type == "list" and dv.formula1 == name, key
        assert dv.allow_blank
        assert (dv.errorStyle == "warning") == (key == "timeline"), key
    names = {n: d.attr_text for n, d in xl.defined_names.items()}
    settings = Settings()

    def listed(name: str) -> list[object]:
        sheet, ref = names[name].split("!")
        assert sheet.strip("'") == "Settings"
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
        return [xl["Settings"].cell(r, min_col).value for r in range(min_row, max_row + 1)]

    assert listed("StageList") == [s.name for s in settings.stages]
    for dim in ("budget", "authority", "need", "timeline"):
        assert listed(LIST_NAMES[dim]) == [c.value for c in settings.bant[dim]]


def test_number_and_date_validations(xl):
    ws = xl["Leads"]
    letters = column_letters(ws)
    dvs = _validations(ws)

    def dv(header: str):
        return dvs[f"{letters[header]}2:{letters[header]}{N + 1}"]

    assert dv("Deal Value").type == "decimal" and dv("Deal Value").operator == "greaterThanOrEqual"
    assert dv("Unanswered").type == "whole" and dv("Unanswered").formula1 == "0"
    for c in LEAD_COLUMNS:
        if c.kind == DATE:
            assert dv(c.en).type == "date" and dv(c.en).errorStyle == "warning", c.en


def test_conditional_formats(xl):
    ws = xl["Leads"]
    letters = column_letters(ws)
    rules = {str(rng.sqref): list(rs) for rng, rs in ws.conditional_formatting._cf_rules.items()}
    grade = rules[f"{letters['Grade']}2:{letters['Grade']}{N + 1}"]
    assert sorted(r.formula[0] for r in grade) == ['"A"', '"B"', '"C"', '"D"']
    fills = {r.formula[0]: r.dxf.fill.bgColor.rgb for r in grade}
    assert len(set(fills.values())) == 4  # A, B, C, D each its own colour
    status = " ".join(r.formula[0] for r in rules[f"{letters['Follow-up Status']}2:{letters['Follow-up Status']}{N + 1}"])
    assert "Overdue" in status and "Due today" in status
    (stale,) = rules[f"A2:{get_column_letter(len(ALL))}{N + 1}"]
    assert stale.type == "expression" and f"${letters['Stale']}2=\"Yes\"" in stale.formula[0]


def test_score_header_has_a_note_on_grade_and_score(book, xl):
    # With the Rules grade method a B can outscore an A: the header says how to sort.
    ws = xl["Leads"]
    score = ws[f"{column_letters(ws)['Score']}1"]
    note = score.comment
    assert note is not None and note.author == "salesbook"
    assert "sort by Grade, then by Score" in note.text and "a B lead can score higher than an A lead" in note.text
    assert "请先按等级、再按评分排序" in note.text
    assert [c.coordinate for row in ws.iter_rows() for c in row if c.comment] == [score.coordinate]
    # The only notes part names that cell (read with zipfile + lxml, not openpyxl).
    with zipfile.ZipFile(book) as z:
        comments = [n for n in z.namelist() if n.startswith("xl/comments")]
        assert len(comments) == 1
        refs = etree.fromstring(z.read(comments[0])).xpath("//*[local-name()='comment']/@ref")
    assert refs == [score.coordinate]


# ---- Settings ---------------------------------------------------------------------

def test_settings_sheet_reads_back_to_the_defaults(book):
    assert settings_from_grid(calamine_rows(book, "Settings")) == Settings()


def test_settings_blocks_have_titles_notes_and_formats(xl):
    ws = xl["Settings"]
    titles = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).font.bold and ws.cell(r, 7).value]
    assert len(titles) == 10  # every block: a bold title with its note to the right (the Import blocks included)
    assert all(ws.cell(r, 7).alignment.wrap_text for r in titles)
    probability = next(ws.cell(r, 3) for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Prospecting")
    assert probability.value == 0.05 and "%" in probability.number_format


def test_targets_block_comes_after_the_holiday_rows(xl):
    """The ten empty date rows of Holidays stay Holidays'; Targets starts below them, its rows not date-formatted."""
    ws = xl["Settings"]
    title = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).font.bold and ws.cell(r, 7).value}
    holidays, targets = title["Holidays 节假日"], title["Targets 目标"]
    assert targets == holidays + 2 + 10 + 1  # title, header, ten empty rows, a blank line
    assert [ws.cell(targets + 1, c).value for c in (1, 2, 3)] == ["Owner", "Period", "Target"]
    assert "yy" in ws.cell(holidays + 11, 1).number_format
    assert "yy" not in ws.cell(targets + 2, 1).number_format


def _write(settings: Settings, leads=None, language="en") -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    populate_workbook(wb, leads, settings=settings, language=language)
    wb.close()
    return buf.getvalue()


def test_changed_settings_round_trip():
    base = Settings()
    changed = replace(
        base,
        stages=(Stage("Lead", "线索", 0.1, 10), Stage("Demo", "演示", 0.4, 20), Stage("Contract", "合同", 0.8, None),
                Stage("Won", "赢单", 1.0, None, WON), Stage("Lost", "输单", 0.0, None, LOST)),
        bant={**base.bant, "budget": (Choice("Confirmed", "明确", 3, aliases=base.bant["budget"][0].aliases),
                                      Choice("Unknown", "未知", 1, blank=True),
                                      Choice("None", "无", 0, aliases=base.bant["budget"][3].aliases))},
        cadence_open={"A": 2, "B": 5, "C": 14, "D": None}, cadence_won={"A": 20, "B": 60, "C": None, "D": None},
        holidays=(dt.date(2026, 12, 25), dt.date(2027, 1, 1)), as_of=dt.date(2026, 11, 1), weight_profile="Mature",
        grade_method="score", a_threshold=80, b_threshold=55.5, language="zh", duplicate_check=False,
        close_date_check=False, targets=(Target("Ann", "2026-Q4", 40000.0), Target("王伟", "2026-11", 12500.5)),
        unanswered_limit=4, no_contact_days=45, timeline_days=((30, 3), (90, 2), (200, 1)),
        weights={**base.weights, "Enterprise": {"budget": 0.4, "authority": 0.4, "need": 0.1, "timeline": 0.1}})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(_write(changed))).get_sheet_by_name("Settings").to_python()
    assert settings_from_grid(rows) == changed


# ---- the rules on the written workbook --------------------------------------------

def test_engine_grades_every_row_read_back(book):
    frame = calamine_frame(book)
    ev = evaluate(frame, settings_from_grid(calamine_rows(book, "Settings")), today=TODAY)
    assert ev.problems.empty, ev.problems.head()
    assert ev.outputs["grade"].notna().sum() == N
    assert ev.outputs["next_followup"].notna().any() and ev.outputs["stale"].notna().any()


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_problem_cells_survive_the_round_trip(tmp_path):
    path = write_sample_workbook(tmp_path / "bad.xlsx", 600, today=TODAY, with_problems=True)
    frame = sample_leads(600, today=TODAY, with_problems=True)
    from_frame = evaluate(frame, today=TODAY).problems
    from_book = evaluate(calamine_frame(path), today=TODAY).problems
    assert len(from_frame) >= 6
    assert from_book[["key", "value"]].values.tolist() == from_frame[["key", "value"]].values.tolist()


def test_chinese_workbook(tmp_path):
    path = write_sample_workbook(tmp_path / "zh.xlsx", 200, today=TODAY, language="zh")
    xl = openpyxl.load_workbook(path)
    ws = xl["Leads"]
    assert [c.value for c in ws[1]] == [c.zh for c in ALL]
    stage_list = xl.defined_names["StageList"].attr_text.split("!")[1].replace("$", "")
    min_col, min_row, _, max_row = range_boundaries(stage_list)
    assert [xl["Settings"].cell(r, min_col).value for r in range(min_row, max_row + 1)] == [s.zh for s in Settings().stages]
    assert [c.value for c in xl["History"][1]] == ["线索编号", "原阶段", "新阶段", "日期"]
    ev = evaluate(calamine_frame(path), today=TODAY)
    assert ev.problems.empty and ev.outputs["grade"].notna().all()
    assert ev.language == "zh"


# ---- the other sheets --------------------------------------------------------------

def test_report_sheets_are_laid_out_for_reading(xl):
    for name in ("Funnel", "Cleanse", "Check"):
        ws = xl[name]
        assert ws["A1"].value and ws["A1"].font.bold
        assert ws["A2"].value and ws.max_row == 2
    assert [c.value for c in xl["History"][1]] == ["Lead ID", "From", "To", "Date"]
    assert [c.value for c in xl["Archive"][1]] == ["Archived On"] + [c.en for c in ALL]


def test_help_is_bilingual_and_names_every_button(xl):
    ws = xl["Help"]
    english = " ".join(str(c.value) for c in ws["A"] if c.value)
    chinese = " ".join(str(c.value) for c in ws["B"] if c.value)
    for button in ("Grade Leads", "Follow-ups", "Flag Stale", "Archive Stale", "Refresh Funnel", "Run All", "Check Data"):
        assert button in english
    assert "Settings" in english and "error" in english
    assert all(c.en in english for c in INPUTS)
    assert "评级" in chinese and "设置" in chinese
    # The follow-up statuses by their names: "Later" (more than 7 days), not "Scheduled".
    assert "Overdue, Due today, This week, Later" in english and "已逾期、今日到期、本周内、稍后" in chinese
    assert "Later (more than 7 days ahead)" in english and "已安排" not in chinese
    assert "sort by Grade, then Score" in english
    assert ws.column_dimensions["A"].width >= 60 and ws["A3"].alignment.wrap_text


# ---- reproducibility and the builder hook -----------------------------------------

def test_same_arguments_same_bytes(tmp_path):
    a = write_sample_workbook(tmp_path / "a.xlsx", 100, today=TODAY).read_bytes()
    b = write_sample_workbook(tmp_path / "b.xlsx", 100, today=TODAY).read_bytes()
    assert a == b


def test_empty_template_for_the_builder():
    from salesbook.builder.package import build_xlsx

    data = build_xlsx(populate)
    xl = openpyxl.load_workbook(io.BytesIO(data))
    assert xl.sheetnames == SHEET_NAMES
    table = xl["Leads"].tables["Leads"]
    assert table.ref == f"A1:{get_column_letter(len(ALL))}2"  # one empty row to type into
    assert settings_from_grid(CalamineWorkbook.from_filelike(io.BytesIO(data))
                              .get_sheet_by_name("Settings").to_python()) == Settings()
    assert build_xlsx(populate) == data


def test_custom_sheet_names():
    names = ["Leads", "Settings", "Funnel", "Cleanse", "History", "Archive", "Check", "Help 帮助"]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    populate_workbook(wb, sample_leads(10, today=TODAY), sheet_names=names)
    wb.close()
    xl = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert xl.sheetnames == names
    assert "Grade Leads" in " ".join(str(c.value) for c in xl["Help 帮助"]["A"] if c.value)
