"""The content of the SalesPipeline workbook, written with XlsxWriter.

``populate_workbook`` fills a given ``xlsxwriter.Workbook``: the Leads table (input
columns, then the add-in's output columns, with drop-downs, number/date validation and
conditional formats), the Settings sheet (the blocks of ``settings_rows``, which
``settings_from_grid`` reads back to the same Settings), empty report sheets laid out for
reading, and a bilingual Help sheet. The .xlsm builder calls ``populate(workbook)``;
``salesbook demo`` calls ``write_sample_workbook`` for a plain .xlsx full of sample leads.

Nothing here depends on the clock: the same leads and settings give the same bytes once the
caller fixes the document properties (``write_sample_workbook`` does).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .build.layout import SHEETS
from .xlsx.safety import atomic_output
from .sample import LEAD_COLUMNS
from .schema import BY_KEY, DATE, INPUTS, OUTPUTS, Column, match_headers, norm
from .settings import DIMENSION_LABELS, Settings, settings_rows

TABLE_NAME = "Leads"
TABLE_STYLE = "Table Style Medium 2"
DATE_FORMAT = "yyyy-mm-dd"
ROLES = ("leads", "settings", "funnel", "cleanse", "history", "archive", "check", "help")
DEFAULT_NAMES = dict(zip(ROLES, ("Leads", "Settings", "Funnel", "Cleanse", "History", "Archive", "Check", "Help")))

# Leads: the defined name feeding each drop-down column (names point into the Settings sheet).
LIST_NAMES = {"stage": "StageList", "lost_at_stage": "StageList", "budget": "BudgetList",
              "authority": "AuthorityList", "need": "NeedList", "timeline": "TimelineList"}
# Column on Settings where each block's note goes, on the title row: right of the widest
# block, because settings_from_grid needs columns B–D of a title row to stay empty.
NOTE_COL = 6
# The note on the Score header: with the Rules grade method the grade does not come from
# the score, so sorting by Score alone would put some B leads above A leads.
SCORE_NOTE = ("Score 0–100: the BANT points weighed by the weight profile on Settings. With the Rules grade "
              "method (the default) the grade comes from the rules, not from the score, so a B lead can score "
              "higher than an A lead: sort by Grade, then by Score. With the Score method, A and B follow the "
              "score thresholds.\n"
              "评分 0–100：BANT 各项得分按设置表中的权重方案加权。评级方式为“规则”（默认）时，等级由规则决定而不是由评分决定，"
              "B 级线索的评分可能高于 A 级：请先按等级、再按评分排序。评级方式为“评分”时，A、B 级按分数线划分。")
_EXCEL_EPOCH_OFFSET = 25569  # Excel serial of 1970-01-01

_WIDTHS = {"lead_id": 10, "company": 30, "contact": 17, "email_phone": 34, "email": 34, "phone": 16, "owner": 14,
           "source": 12, "stage": 17, "lost_at_stage": 17, "budget": 11, "authority": 15, "need": 11, "timeline": 12,
           "deal_value": 12, "unanswered": 12, "grade": 8, "score": 8, "grade_reason": 60, "grade_change": 10,
           "followup_status": 13, "stale": 8, "stale_reason": 45}


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------

class _Formats:
    """The workbook's cell formats, created once per workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        add = wb.add_format
        self.date = add({"num_format": DATE_FORMAT})
        self.money = add({"num_format": "#,##0"})
        self.whole = add({"num_format": "0"})
        self.percent = add({"num_format": "0%"})
        self.left = add({"align": "left"})
        self.left_date = add({"align": "left", "num_format": DATE_FORMAT})
        out = {"bg_color": "#EEF2F8"}
        self.out_text = add(out)
        self.out_date = add({**out, "num_format": DATE_FORMAT})
        self.out_whole = add({**out, "num_format": "0"})
        self.out_header = add({"bold": True, "bg_color": "#D6DCE4", "font_color": "#1F3864", "bottom": 2,
                               "bottom_color": "#8EA9DB", "text_wrap": True, "valign": "top"})
        self.title = add({"bold": True, "font_size": 14, "font_color": "#1F3864"})
        self.block_title = add({"bold": True, "font_size": 12, "font_color": "#1F3864"})
        self.header = add({"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "bottom_color": "#8EA9DB"})
        self.note = add({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.help_heading = add({"bold": True, "font_size": 12, "font_color": "#1F3864", "text_wrap": True,
                                 "valign": "top", "top": 1, "top_color": "#8EA9DB"})
        self.grade = {g: add(c) for g, c in {
            "A": {"bg_color": "#C6EFCE", "font_color": "#006100"},
            "B": {"bg_color": "#DDEBF7", "font_color": "#1F4E78"},
            "C": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
            "D": {"bg_color": "#E7E6E6", "font_color": "#595959"}}.items()}
        self.overdue = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.due_today = add({"bg_color": "#FCE4D6", "font_color": "#C65911"})
        self.stale_row = add({"bg_color": "#FDE9E7"})

    def cell(self, col: Column) -> object:
        """The format of a Leads data cell of this column."""
        if col.output:
            return {DATE: self.out_date}.get(col.kind, self.out_whole if col.key == "score" else self.out_text)
        if col.kind == DATE or col.key == "timeline":  # Timeline: typed dates show as dates
            return self.date
        return {"deal_value": self.money, "unanswered": self.whole}.get(col.key)


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------

def _serials(values: np.ndarray) -> np.ndarray:
    """datetime64 → Excel serial day numbers (float; NaN for NaT)."""
    ns = values.astype("datetime64[ns]")
    out = (ns - np.datetime64("1970-01-01", "ns")) / np.timedelta64(1, "D") + _EXCEL_EPOCH_OFFSET
    return np.where(np.isnat(ns), np.nan, out)


def _serial(value: dt.date) -> float:
    if isinstance(value, dt.datetime):
        base = dt.datetime(1970, 1, 1, tzinfo=value.tzinfo)
        return (value - base).total_seconds() / 86400 + _EXCEL_EPOCH_OFFSET
    return (value - dt.date(1970, 1, 1)).days + _EXCEL_EPOCH_OFFSET


def _is_blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, np.datetime64) and np.isnat(value):
        return True
    return isinstance(value, str) and value == ""


def write_cell(ws, row: int, col: int, value: object, fmt=None, date_fmt=None) -> None:
    """One value as a typed cell: dates as dates (``date_fmt``), numbers as numbers, anything
    else as text — never as a formula, whatever it starts with. Blanks keep only the format."""
    if _is_blank(value):
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, (dt.date, np.datetime64)):
        stamp = pd.Timestamp(value)
        ws.write_number(row, col, _serial(stamp.to_pydatetime()), date_fmt or fmt)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value), fmt)
    elif isinstance(value, (int, float, np.integer, np.floating)):
        if math.isfinite(float(value)):
            ws.write_number(row, col, float(value), fmt)
        else:
            ws.write_string(row, col, str(value), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _write_series(ws, col: int, values: pd.Series, fmt, date_fmt, first_row: int = 1) -> None:
    """A whole column of cells from ``first_row`` down, with a fast path for typed columns."""
    kind = values.dtype.kind
    if kind == "M":
        serial = _serials(values.to_numpy(dtype="datetime64[ns]"))
        for r, v in enumerate(serial.tolist(), start=first_row):
            if v != v:  # NaN
                if fmt is not None:
                    ws.write_blank(r, col, None, fmt)
            else:
                ws.write_number(r, col, v, date_fmt)
    elif kind in "fiu":
        for r, v in enumerate(values.to_numpy(dtype=float, na_value=np.nan).tolist(), start=first_row):
            if v != v:
                if fmt is not None:
                    ws.write_blank(r, col, None, fmt)
            else:
                ws.write_number(r, col, v, fmt)
    else:
        for r, v in enumerate(values.to_numpy(dtype=object, na_value=None).tolist(), start=first_row):
            write_cell(ws, r, col, v, fmt, date_fmt)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


# ---------------------------------------------------------------------------
# Leads
# ---------------------------------------------------------------------------

@dataclass
class _LeadColumn:
    header: str
    column: Column | None          # None: a user's own column, kept as it is
    values: pd.Series | None       # None: written empty


def _lead_columns(leads: pd.DataFrame, language: str) -> list[_LeadColumn]:
    """Schema inputs in order, then the frame's own extra columns, then the outputs."""
    found = match_headers(list(leads.columns))
    used = set(found.values())

    def values(key: str) -> pd.Series | None:
        return leads.iloc[:, found[key]] if key in found else None

    # Every input column the frame has, and the standard ones it lacks (Email and Phone
    # rather than the combined Email / Phone, unless the frame brings that one).
    inputs = [c for c in INPUTS if c.key in found or c in LEAD_COLUMNS]
    cols = [_LeadColumn(c.header(language), c, values(c.key)) for c in inputs]
    cols += [_LeadColumn(str(h), None, leads.iloc[:, i]) for i, h in enumerate(leads.columns) if i not in used]
    cols += [_LeadColumn(c.header(language), c, values(c.key)) for c in OUTPUTS]
    seen: dict[str, int] = {}
    for lc in cols:  # table headers must be unique
        n = seen.get(norm(lc.header), 0)
        seen[norm(lc.header)] = n + 1
        if n:
            lc.header = f"{lc.header} {n + 1}"
    return cols


def _write_leads(ws, leads: pd.DataFrame, language: str, f: _Formats, lists: dict[str, str]) -> None:
    cols = _lead_columns(leads, language)
    n = len(leads)
    last_row = max(n, 1)  # an Excel table needs at least one data row
    table_cols = []
    for j, lc in enumerate(cols):
        fmt = f.cell(lc.column) if lc.column else None
        spec = {"header": lc.header}
        if fmt is not None:
            spec["format"] = fmt
        if lc.column is not None and lc.column.output:
            spec["header_format"] = f.out_header
        table_cols.append(spec)
        if lc.values is not None:
            _write_series(ws, j, lc.values.reset_index(drop=True), fmt, f.date if not (lc.column and lc.column.output)
                          else f.out_date)
        elif fmt is not None:
            for r in range(1, last_row + 1):
                ws.write_blank(r, j, None, fmt)
        ws.set_column(j, j, _column_width(lc))
    ws.add_table(0, 0, last_row, len(cols) - 1,
                 {"name": TABLE_NAME, "style": TABLE_STYLE, "columns": table_cols})
    ws.freeze_panes(1, 1)
    positions = {lc.column.key: j for j, lc in enumerate(cols) if lc.column is not None}
    if "score" in positions:
        ws.write_comment(0, positions["score"], SCORE_NOTE, {"author": "salesbook", "x_scale": 3.2, "y_scale": 3})
    _lead_validations(ws, positions, last_row, lists)
    _lead_conditional_formats(ws, positions, last_row, len(cols) - 1, f)


def _column_width(lc: _LeadColumn) -> float:
    key = lc.column.key if lc.column else None
    default = 12 if key is None or BY_KEY[key].kind == DATE else 14
    return max(_WIDTHS.get(key, default), _display_width(lc.header) + 4)


def _lead_validations(ws, pos: dict[str, int], last_row: int, lists: dict[str, str]) -> None:
    def add(key: str, options: dict) -> None:
        if key in pos:
            ws.data_validation(1, pos[key], last_row, pos[key], options)

    for key, name in LIST_NAMES.items():
        if name not in lists:
            continue
        is_timeline = key == "timeline"
        add(key, {
            "validate": "list", "source": f"={name}", "ignore_blank": True,
            "error_type": "warning" if is_timeline else "stop",
            "error_title": "Not in the list 不在列表中",
            "error_message": ("Pick a period from the list or type a date (yyyy-mm-dd). The list is on the Settings sheet. "
                              "请从列表选择时间段，或输入日期（yyyy-mm-dd）。列表见设置表。") if is_timeline else
                             ("Pick a value from the list. The list comes from the Settings sheet. "
                              "请从列表中选择。列表来自设置表。"),
        })
    add("deal_value", {"validate": "decimal", "criteria": ">=", "value": 0,
                       "error_title": "Amount 金额", "error_message": "Enter an amount of 0 or more. 请输入不小于0的金额。"})
    add("unanswered", {"validate": "integer", "criteria": ">=", "value": 0,
                       "error_title": "Whole number 整数",
                       "error_message": "Enter how many contacts in a row got no response (0 or more). 请输入连续未回应次数（0或以上的整数）。"})
    for c in INPUTS:
        if c.kind == DATE:
            add(c.key, {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                        "maximum": dt.date(2099, 12, 31), "error_type": "warning",
                        "error_title": "Date 日期", "error_message": "Enter a date (yyyy-mm-dd). 请输入日期（yyyy-mm-dd）。"})


def _lead_conditional_formats(ws, pos: dict[str, int], last_row: int, last_col: int, f: _Formats) -> None:
    # Cell colours first: they take priority over the stale row tint.
    if "grade" in pos:
        c = pos["grade"]
        for grade, fmt in f.grade.items():
            ws.conditional_format(1, c, last_row, c, {"type": "cell", "criteria": "==", "value": f'"{grade}"',
                                                      "format": fmt})
    if "followup_status" in pos:
        c = pos["followup_status"]
        ref = xl_rowcol_to_cell(1, c, row_abs=False, col_abs=True)
        for fmt, words in ((f.overdue, ("Overdue", "已逾期")), (f.due_today, ("Due today", "今日到期"))):
            cond = ",".join(f'{ref}="{w}"' for w in words)
            ws.conditional_format(1, c, last_row, c, {"type": "formula", "criteria": f"=OR({cond})", "format": fmt})
    if "stale" in pos:
        ref = xl_rowcol_to_cell(1, pos["stale"], row_abs=False, col_abs=True)
        ws.conditional_format(1, 0, last_row, last_col, {"type": "formula", "criteria": f'=OR({ref}="Yes",{ref}="是")',
                                                         "format": f.stale_row})


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

_PERCENT_HEADERS = {norm(h) for h in ("Probability", "Budget", "Authority", "Need", "Timeline")}


def _write_settings(ws, settings: Settings, f: _Formats) -> dict[str, tuple[int, int, int]]:
    """The Settings blocks, top to bottom; returns the drop-down lists found in them as
    name -> (column, first row, last row) (0-based)."""
    lists: dict[str, tuple[int, int, int]] = {}
    row = 0
    for title, rows, note in settings_rows(settings):
        ws.write_string(row, 0, title, f.block_title)
        ws.write_string(row, NOTE_COL, note, f.note)
        header, data = rows[0], rows[1:]
        for c, h in enumerate(header):
            ws.write_string(row + 1, c, str(h), f.header)
        for i, values in enumerate(data):
            for c, v in enumerate(values):
                write_cell(ws, row + 2 + i, c, v, _settings_format(header, c, values, f), f.date)
        if norm(title).startswith("holidays"):  # room to type dates, formatted as dates
            for r in range(row + 2 + len(data), row + 2 + len(data) + 10):
                ws.write_blank(r, 0, None, f.date)
        lists.update(_list_ranges(header, data, row + 2))
        row += 2 + len(data) + 1
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 4, 14)
    ws.set_column(5, 5, 3)
    ws.set_column(NOTE_COL, NOTE_COL, 70)
    return lists


def _settings_format(header: list, c: int, values: list, f: _Formats):
    v = values[c]
    h = norm(header[c]) if c < len(header) else ""
    key_value = norm(header[0]).startswith("setting")  # the General block: label | value | note
    if isinstance(v, dt.date) or (v is None and key_value and c == 1 and norm(values[0]).startswith("asof")):
        return f.left_date if key_value else f.date
    if isinstance(v, (int, float)) and not isinstance(v, bool) and h in _PERCENT_HEADERS:
        return f.percent
    return f.left if key_value and c == 1 else None


def _list_ranges(header: list, data: list[list], first_row: int) -> dict[str, tuple[int, int, int]]:
    """Drop-down sources inside a Settings block: the stage names of the Stages block and the
    values of each BANT dimension (contiguous runs of the BANT block). Both languages."""
    h = [norm(x) for x in header]
    out: dict[str, tuple[int, int, int]] = {}
    zh_col = h.index(norm("中文")) if norm("中文") in h else None
    if h and h[0] == norm("Stage") and data:
        out["StageList"] = (0, first_row, first_row + len(data) - 1)
        if zh_col is not None:
            out["StageList.zh"] = (zh_col, first_row, first_row + len(data) - 1)
    if h and h[0] == norm("Dimension") and norm("Value") in h:
        value_col = h.index(norm("Value"))
        for dim, (en, zh) in DIMENSION_LABELS.items():
            rows = [i for i, r in enumerate(data) if norm(r[0]) in (norm(en), norm(zh))]
            if rows and rows == list(range(rows[0], rows[-1] + 1)):
                name = en.capitalize() + "List"
                out[name] = (value_col, first_row + rows[0], first_row + rows[-1])
                if zh_col is not None:
                    out[name + ".zh"] = (zh_col, first_row + rows[0], first_row + rows[-1])
    return out


def _define_lists(wb: xlsxwriter.Workbook, sheet: str, lists: dict[str, tuple[int, int, int]],
                  language: str) -> dict[str, str]:
    """Workbook names for the drop-downs, in the Leads language (Chinese lists when 'zh')."""
    defined = {}
    quoted = "'" + sheet.replace("'", "''") + "'"
    for name in sorted({k.split(".")[0] for k in lists}):
        col, first, last = lists.get(f"{name}.zh") if language == "zh" and f"{name}.zh" in lists else lists[name]
        letter = xl_col_to_name(col, col_abs=True)
        ref = f"={quoted}!{letter}${first + 1}:{letter}${last + 1}"
        wb.define_name(name, ref)
        defined[name] = ref
    return defined


# ---------------------------------------------------------------------------
# The add-in's sheets and Help
# ---------------------------------------------------------------------------

_PLACEHOLDERS = {
    "funnel": ("Sales funnel 销售漏斗",
               "Click Refresh Funnel (or Run All) to build the key figures, conversion by stage, owner and source, "
               "and the chart here. This sheet is rewritten on every refresh. "
               "点击“刷新漏斗”（或“全部运行”）在此生成关键指标、按阶段/负责人/来源的转化表和图表；每次刷新都会重写本表。"),
    "cleanse": ("Leads flagged for cleansing 待清洗线索",
                "Click Flag Stale (or Run All) to list the flagged leads and their reasons here. Review each: update it, "
                "snooze it, or run Archive Stale. Rewritten on every run. "
                "点击“标记待清洗”（或“全部运行”）在此列出被标记的线索及原因。请逐条处理：更新、暂缓或运行“归档待清洗”。每次运行都会重写本表。"),
    "check": ("Data check 数据检查",
              "Click Check Data to list every cell that cannot be read, with its row, column and a suggestion. "
              "Rewritten on every check. 点击“数据检查”列出所有无法读取的单元格及其行、列和修改建议。每次检查都会重写本表。"),
}
_HISTORY_HEADERS = {"en": ("Lead ID", "From", "To", "Date"), "zh": ("线索编号", "原阶段", "新阶段", "日期")}
_ARCHIVED_ON = {"en": "Archived On", "zh": "归档日期"}


def _write_placeholder(ws, role: str, f: _Formats) -> None:
    title, text = _PLACEHOLDERS[role]
    ws.write_string(0, 0, title, f.title)
    ws.write_string(1, 0, text, f.note)
    ws.set_column(0, 0, 110)


def _write_history(ws, language: str, f: _Formats) -> None:
    for c, h in enumerate(_HISTORY_HEADERS["zh" if language == "zh" else "en"]):
        ws.write_string(0, c, h, f.header)
    ws.set_column(0, 2, 18)
    ws.set_column(3, 3, 12, f.date)
    ws.freeze_panes(1, 0)


def _write_archive(ws, language: str, f: _Formats) -> None:
    lang = "zh" if language == "zh" else "en"
    headers = [_ARCHIVED_ON[lang]] + [c.header(lang) for c in LEAD_COLUMNS + OUTPUTS]
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, f.header)
    ws.set_column(0, 0, 12, f.date)
    for j, col in enumerate(LEAD_COLUMNS + OUTPUTS, start=1):
        ws.set_column(j, j, _column_width(_LeadColumn(col.header(lang), col, None)),
                      f.date if col.kind == DATE else None)
    ws.freeze_panes(1, 1)


def _help_rows() -> list[tuple[str, str, str]]:
    """(style, English, 中文) lines of the Help sheet."""
    buttons = [
        ("Grade Leads", "评级", "writes Grade, Score, Grade Reason and Grade Change for every lead.",
         "为每条线索写入等级、评分、评级依据和等级变化。"),
        ("Follow-ups", "跟进", "writes Next Follow-up and Follow-up Status (Overdue, Due today, This week, Later).",
         "写入下次跟进日期和跟进状态（已逾期、今日到期、本周内、稍后）。"),
        ("Flag Stale", "标记待清洗", "writes Stale and Stale Reason and lists the flagged leads on the Cleanse sheet. "
         "Nothing is deleted.", "写入待清洗和清洗原因，并在“Cleanse”表列出被标记的线索。不会删除任何数据。"),
        ("Archive Stale", "归档待清洗", "moves the flagged rows (all their cells) from Leads to the Archive sheet, "
         "with the date.", "把被标记的行（整行所有单元格）连同日期从线索表移到“Archive”表。"),
        ("Refresh Funnel", "刷新漏斗", "rebuilds the Funnel sheet (key figures, conversion by stage, by owner and by "
         "source, chart) and adds stage changes to History.",
         "重建“Funnel”表（关键指标、按阶段/负责人/来源的转化、图表），并把阶段变化追加到“History”表。"),
        ("Run All", "全部运行", "all of the above except Archive Stale.", "执行以上全部操作（归档除外）。"),
        ("Check Data", "数据检查", "lists every cell that cannot be read (typos, text in a date or number column, "
         "unknown stages) on the Check sheet.", "在“Check”表列出所有无法读取的单元格（拼写错误、日期或数字列中的文字、未知阶段等）。"),
    ]
    inputs = {
        "lead_id": ("unique; required", "唯一；必填"), "company": ("required", "必填"), "contact": ("the person", "联系人姓名"),
        "email_phone": ("email or phone; used to find duplicates", "邮箱或电话；用于查重"),
        "email": ("used to find duplicates", "用于查重"), "phone": ("used to find duplicates", "用于查重"),
        "mobile": ("a second phone number; used to find duplicates", "第二个电话号码；用于查重"),
        "owner": ("the rep; required", "负责的销售；必填"), "source": ("the channel the lead came from", "线索来源渠道"),
        "stage": ("a stage from Settings; required", "设置表中的阶段；必填"),
        "lost_at_stage": ("for Closed Lost: the stage where it was lost", "丢单线索：在哪个阶段丢单"),
        "budget": ("Confirmed · Pending · Unknown (blank) · None", "明确 · 待确认 · 未知（空白）· 无"),
        "authority": ("Decision maker · Influencer · User · Unknown (blank)", "决策人 · 影响者 · 使用者 · 未知（空白）"),
        "need": ("Clear · Identified · Vague (blank) · Mismatch", "明确 · 已识别 · 模糊（空白）· 不匹配"),
        "timeline": ("a period (≤3 months … >12 months) or the expected purchase date", "时间段（3个月内……12个月以上）或预计采购日期"),
        "deal_value": ("amount, 0 or more", "金额，不小于0"), "created": ("date; required", "日期；必填"),
        "last_contact": ("date of the last contact", "最近一次联系的日期"),
        "unanswered": ("contacts in a row without a response", "连续未回应的联系次数"),
        "stage_since": ("date the lead entered its current stage", "进入当前阶段的日期"),
        "close_date": ("for Closed Won / Closed Lost", "成交或丢单的日期"),
        "scheduled": ("the next contact you booked", "已预约的下次联系日期"),
        "snooze_until": ("no stale flag until this date", "此日期前不标记待清洗"),
    }
    rows: list[tuple[str, str, str]] = [
        ("title", "salesbook — how to use this workbook", "salesbook 使用说明"),
        ("p", "Keep one row per lead on the Leads sheet. The Sales Pipeline ribbon tab grades the leads, plans follow-ups, "
              "flags stale leads and builds the funnel report. It writes only the grey-blue output columns of Leads and "
              "its own sheets (Funnel, Cleanse, History, Archive, Check); every other cell is yours and stays as it is.",
         "在线索表（Leads）中每条线索占一行。功能区的“Sales Pipeline · 销售管道”选项卡负责评级、安排跟进、标记待清洗线索并生成漏斗报表。"
         "它只写入线索表中灰蓝色的输出列和它自己的工作表（Funnel、Cleanse、History、Archive、Check），其他单元格均保持不变。"),
        ("h", "Ribbon buttons (tab Sales Pipeline)", "功能区按钮（“Sales Pipeline · 销售管道”选项卡）"),
        *[("p", f"{en} — {what}", f"{en}（{zh}）— {what_zh}") for en, zh, what, what_zh in buttons],
        ("p", "Settings and Help (group Workbook) open the Settings sheet and this page.",
         "Settings 和 Help（“工作簿”组）分别打开设置表和本页。"),
        ("p", "Each button ends with a one-line summary, e.g. “Graded 1,204 leads: 210 A · 530 B · 440 C · 24 D”.",
         "每个按钮运行结束都会显示一行摘要，例如“Graded 1,204 leads: 210 A · 530 B · 440 C · 24 D”（评级数量及 A/B/C/D 分布）。"),
        ("h", "How leads are graded (defaults)", "评级规则（默认）"),
        ("p", "D: the need does not match our offer. A: budget confirmed, the decision maker reached and a purchase "
              "within 3 months. B: the need is clear. C: everything else. The first rule that matches wins. Score "
              "(0–100) weighs the BANT points (0–3 each) by the weight profile in Settings; with the Rules grade method the "
              "grade does not come from the score (a B can score higher than an A), so sort by Grade, then Score. "
              "Grade Reason says why and "
              "what is missing for the next grade; update the lead and grade again to see it move up (Grade Change "
              "shows e.g. B→A).",
         "D：需求与我方不匹配。A：预算明确、已对接决策人且3个月内采购。B：需求明确。C：其他情况。按顺序匹配第一条规则。"
         "评分（0–100）按设置表中的权重方案对 BANT 各项得分（每项0–3分）加权；评级方式为“规则”时等级不由评分决定（B 级的评分可能高于 A 级），"
         "请先按等级、再按评分排序。评级依据说明原因以及升级还缺什么；"
         "更新线索后重新评级即可看到升级（等级变化显示如 B→A）。"),
        ("p", "Follow-ups: A every 3 days, B weekly, C monthly, D none; Closed Won customers A 30, B 90, C 180 days. "
              "Counted from Last Contact (else Created) and moved to the next working day; a Scheduled date on or after "
              "today replaces it (grade D and Closed Lost leads get none, Scheduled or not). Follow-up Status: Overdue, "
              "Due today, This week (within 7 days), Later (more than 7 days ahead).",
         "跟进：A 每3天，B 每周，C 每月，D 不跟进；成交客户 A 30天、B 90天、C 180天。从最近联系日期（没有则从创建日期）起算，"
         "顺延到下一个工作日；今天或以后的预约跟进日期优先（D 级和丢单线索不跟进，即使填写了预约跟进）。"
         "跟进状态：已逾期、今日到期、本周内（7天内）、稍后（7天以后）。"),
        ("p", "Stale: a lead is flagged when 3 contacts in a row got no response, the need does not match, there was no "
              "contact for over 60 days, it stayed in its stage longer than the stage's limit, or it repeats an earlier "
              "lead's email, phone or company + contact. Closed leads and snoozed leads (Snooze Until) are never flagged; "
              "a future Scheduled date pauses the no-contact and stuck rules.",
         "待清洗：连续3次联系未回应、需求不匹配、超过60天未联系、在当前阶段停留超过上限、或与之前的线索邮箱/电话/公司+联系人重复时标记。"
         "已成交或丢单的线索以及暂缓中的线索不会被标记；今天以后的预约跟进会暂停“未联系”和“停留过久”两条规则。"),
        ("h", "Changing the rules", "修改规则"),
        ("p", "Every rule above is a default you can change on the Settings sheet: stages (name, probability, days "
              "allowed), BANT values and points, weight profile, grade method (rules or score thresholds), follow-up "
              "cadence, stale thresholds, holidays, and an As of date to run the rules as of another day. Edit the cells "
              "and keep each block's title and header row. To add a stage or a value, insert a row inside its block so "
              "that the drop-down lists on Leads grow with it.",
         "以上规则都是默认值，可在设置表（Settings）中修改：阶段（名称、概率、停留天数上限）、BANT 取值与分值、权重方案、"
         "评级方式（规则或分数线）、跟进频率、清洗阈值、节假日，以及“截至日期”（按指定日期运行规则）。直接修改单元格，"
         "但请保留每个区块的标题行和表头行。新增阶段或取值时，请在区块内部插入行，这样线索表的下拉列表会随之扩展。"),
        ("h", "Columns of Leads", "线索表的列"),
        *[("p", f"{c.en} — {inputs[c.key][0]}", f"{c.zh} — {inputs[c.key][1]}") for c in INPUTS if c.key in inputs],
        ("p", "Output columns (written by the add-in; edits there are replaced on the next run): "
              + ", ".join(c.en for c in OUTPUTS) + ". Your own extra columns are kept as they are. Headers may be in "
              "English or Chinese.",
         "输出列（由插件写入，手工修改会在下次运行时被覆盖）：" + "、".join(c.zh for c in OUTPUTS)
         + "。您自己添加的列保持不变。表头可以用英文或中文。"),
        ("h", "When a button shows an error", "按钮报错时"),
        ("p", "Read the message: it names the sheet, row, column and value. A bad cell (a typo'd stage, text in a date "
              "column…) affects only its own row, whose output cells say what is wrong: run Check Data for the full "
              "list, fix the cells on Leads and run again. If a required column is missing or the file cannot be read, "
              "nothing is written: restore the column header (English or Chinese) or close the file in other programs, "
              "then try again. A Settings error names the Settings cell to fix. A failed run never leaves the workbook "
              "half-written.",
         "请阅读提示：它会指出工作表、行、列和取值。个别错误单元格（阶段拼写错误、日期列中的文字等）只影响所在行，"
         "该行的输出列会说明问题：运行“数据检查”查看完整列表，在线索表中修改后重新运行。若缺少必填列或文件无法读取，"
         "则不会写入任何内容：请恢复列标题（中英文均可）或在其他程序中关闭该文件后重试。设置表错误会指出需要修改的单元格。"
         "运行失败时工作簿保持原样，不会只写一半。"),
    ]
    return rows


def _write_help(ws, f: _Formats) -> None:
    ws.set_column(0, 1, 80, f.wrap)
    for r, (style, en, zh) in enumerate(_help_rows()):
        fmt = {"title": f.title, "h": f.help_heading}.get(style, f.wrap)
        ws.write_string(r, 0, en, fmt)
        ws.write_string(r, 1, zh, fmt)
    ws.freeze_panes(1, 0)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

def _sheet_roles(sheet_names: Iterable) -> list[tuple[str, str]]:
    """(role, sheet name) in tab order. Accepts names or (name, codeName) pairs, as in
    build.layout.SHEETS; a default English name finds its role wherever it is, any other
    name takes the role of its position."""
    names = [s[0] if isinstance(s, (tuple, list)) else str(s) for s in sheet_names]
    by_default = {v: k for k, v in DEFAULT_NAMES.items()}
    out: list[tuple[str, str]] = []
    for i, name in enumerate(names):
        role = by_default.get(name) or (ROLES[i] if i < len(ROLES) else None)
        if role is None or role in dict(out):
            raise ValueError(f"sheet {name!r}: cannot tell which of {', '.join(ROLES)} it is")
        out.append((role, name))
    missing = [r for r in ROLES if r not in dict(out)]
    if missing:
        raise ValueError(f"sheet_names lacks the {', '.join(missing)} sheet(s)")
    return out


def populate_workbook(wb: xlsxwriter.Workbook, leads: pd.DataFrame | None, *, settings: Settings | None = None,
                      language: str = "en", sheet_names: Sequence = SHEETS) -> None:
    """Write the workbook's sheets, in ``sheet_names`` order, into ``wb``.

    ``leads`` has workbook headers (English or Chinese; ``sample.sample_leads`` gives one);
    None or an empty frame gives an empty Leads table. ``language`` ('en' or 'zh') picks the
    Leads headers and the drop-down values."""
    settings = settings or Settings()
    language = "zh" if language == "zh" else "en"
    leads = leads if leads is not None else pd.DataFrame({c.header(language): pd.Series(dtype=object) for c in LEAD_COLUMNS})
    roles = _sheet_roles(sheet_names)
    f = _Formats(wb)
    sheets = {role: wb.add_worksheet(name) for role, name in roles}
    lists = _write_settings(sheets["settings"], settings, f)
    defined = _define_lists(wb, dict(roles)["settings"], lists, language)
    _write_leads(sheets["leads"], leads, language, f, defined)
    for role in ("funnel", "cleanse", "check"):
        _write_placeholder(sheets[role], role, f)
    _write_history(sheets["history"], language, f)
    _write_archive(sheets["archive"], language, f)
    _write_help(sheets["help"], f)
    sheets["leads"].activate()


def populate(workbook: xlsxwriter.Workbook, leads: pd.DataFrame | None = None, *, settings: Settings | None = None,
             language: str = "en") -> None:
    """The shipped workbook's content (an empty Leads table by default): the one-argument
    hook ``salesbook.build.package.build_xlsx(populate)`` expects."""
    populate_workbook(workbook, leads, settings=settings, language=language)


def write_sample_workbook(path: str | os.PathLike[str], n: int = 200, *, seed: int = 7, today: dt.date,
                          language: str = "en", with_problems: bool = False,
                          settings: Settings | None = None) -> Path:
    """A plain .xlsx (no VBA) with ``n`` sample leads, written atomically; the same
    arguments give the same bytes. Returns the path."""
    from .sample import sample_leads

    path = Path(path)
    leads = sample_leads(n, seed=seed, today=today, language=language, with_problems=with_problems)
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp))
        wb.set_properties({"title": "Sales pipeline (sample)", "author": "salesbook", "comments": "salesbook demo",
                           "created": dt.datetime.combine(today, dt.time())})
        populate_workbook(wb, leads, settings=settings, language=language)
        wb.close()
    return path


__all__ = ["populate_workbook", "populate", "write_sample_workbook", "write_cell", "TABLE_NAME", "LIST_NAMES"]
