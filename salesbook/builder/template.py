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

from salesbook.builder.layout import SHEETS
from salesbook.adapters.files.safety import atomic_output
from salesbook.builder.sample import LEAD_COLUMNS
from salesbook.rules.schema import BY_KEY, DATE, INPUTS, OUTPUTS, Column, match_headers, norm
from salesbook.vocabulary.words import DIMENSION_LABELS, PLACEHOLDERS, RULES, VALIDATION
from salesbook.vocabulary.names import ARCHIVED_ON, HISTORY_COLUMNS, LEADS_TABLE, ROLES as SHEET_NAMES
from salesbook.vocabulary.help import SCORE_NOTE, help_rows
from salesbook.rules.settings import Settings
from salesbook.rules.settings_sheet import settings_rows

TABLE_NAME = LEADS_TABLE
TABLE_STYLE = "Table Style Medium 2"
DATE_FORMAT = "yyyy-mm-dd"
ROLES = ("leads", "settings", "funnel", "cleanse", "history", "archive", "check", "help")
DEFAULT_NAMES = dict(zip(ROLES, SHEET_NAMES))

HELP_WIDTH = 60  # characters: the widest a Help column gets (sheetmodel.MAX_WIDTH for the add-in's sheets)
# Leads: the defined name feeding each drop-down column (names point into the Settings sheet).
LIST_NAMES = {"stage": "StageList", "lost_at_stage": "StageList", "budget": "BudgetList",
              "authority": "AuthorityList", "need": "NeedList", "timeline": "TimelineList"}
# Column on Settings where each block's note goes, on the title row: right of the widest
# block, because settings_from_grid needs columns B–D of a title row to stay empty.
NOTE_COL = 6
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
        # over a column of dates or numbers: aligned with them
        self.header_right = add({"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "bottom_color": "#8EA9DB",
                                 "align": "right"})
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


def _error(kind: str) -> dict[str, str]:
    title, message = VALIDATION[kind]
    return {"error_title": title, "error_message": message}


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
            **_error("timeline" if is_timeline else "list"),
        })
    add("deal_value", {"validate": "decimal", "criteria": ">=", "value": 0,
                       **_error("amount")})
    add("unanswered", {"validate": "integer", "criteria": ">=", "value": 0,
                       **_error("count")})
    for c in INPUTS:
        if c.kind == DATE:
            add(c.key, {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                        "maximum": dt.date(2099, 12, 31), "error_type": "warning",
                        **_error("date")})


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
        for fmt, words in ((f.overdue, RULES["Overdue"]), (f.due_today, RULES["Due today"])):
            cond = ",".join(f'{ref}="{w}"' for w in words)
            ws.conditional_format(1, c, last_row, c, {"type": "formula", "criteria": f"=OR({cond})", "format": fmt})
    if "stale" in pos:
        ref = xl_rowcol_to_cell(1, pos["stale"], row_abs=False, col_abs=True)
        yes, yes_zh = RULES["Yes"]
        ws.conditional_format(1, 0, last_row, last_col, {"type": "formula", "criteria": f'=OR({ref}="{yes}",{ref}="{yes_zh}")',
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
        room = 10 if norm(title).startswith(("holidays", "targets", "importcolumns")) else 0
        if room and norm(title).startswith("holidays"):  # room to type dates, formatted as dates
            for r in range(row + 2 + len(data), row + 2 + len(data) + room):
                ws.write_blank(r, 0, None, f.date)
        lists.update(_list_ranges(header, data, row + 2))
        row += 2 + len(data) + room + 1
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

_PLACEHOLDERS = PLACEHOLDERS  # in the vocabulary, where salesbook.owned recognises them too
_HISTORY_HEADERS = dict(zip(("en", "zh"), zip(*HISTORY_COLUMNS.values())))  # Lead ID · From · To · Date
_ARCHIVED_ON = dict(zip(("en", "zh"), ARCHIVED_ON))


def _print_setup(ws, last_row: int, last_col: int, title_rows: int = 1) -> None:
    """As the add-in prints its sheets (salesbook.adapters.files.printing): landscape, one page wide,
    the first ``title_rows`` rows on every page, A1 to (last_row, last_col) as print area
    (0-based; appending to a log sheet extends it)."""
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, title_rows - 1)
    ws.print_area(0, 0, last_row, last_col)


def _wrapped_lines(text: str, width: float) -> int:
    """Lines a text takes in a wrapped cell ``width`` characters wide: words are wrapped
    greedily, wide (CJK) characters count twice and break anywhere."""
    room = max(width - 2, 1)
    lines, used = 1, 0.0
    for word in str(text).split(" "):
        w = _display_width(word)
        if used and used + 1 + w <= room:
            used += 1 + w
            continue
        if used:
            lines += 1
        if w > room and any(unicodedata.east_asian_width(ch) in "WF" for ch in word):
            extra = math.ceil(w / room) - 1  # CJK breaks between any two characters
            lines += extra
            w -= extra * room
        used = w
    return lines


def _fit_row(ws, row: int, texts: Sequence[tuple[str, float]], line_height: float) -> None:
    """A row tall enough for its wrapped texts ((text, column width) pairs). Set explicitly:
    LibreOffice does not grow a row for wrapped text when it opens a file."""
    lines = max(_wrapped_lines(t, w) for t, w in texts)
    if lines > 1:
        ws.set_row(row, lines * line_height)


def _write_placeholder(ws, role: str, f: _Formats) -> None:
    title, text = _PLACEHOLDERS[role]
    ws.write_string(0, 0, title, f.title)
    ws.write_string(1, 0, text, f.note)
    ws.set_column(0, 0, 110)
    _fit_row(ws, 1, [(text, 110)], 15)
    _print_setup(ws, 1, 0)


def _write_history(ws, language: str, f: _Formats) -> None:
    for c, h in enumerate(_HISTORY_HEADERS["zh" if language == "zh" else "en"]):
        ws.write_string(0, c, h, f.header_right if c == 3 else f.header)  # Date
    ws.set_column(0, 2, 18)
    ws.set_column(3, 3, 12, f.date)
    ws.freeze_panes(1, 0)
    _print_setup(ws, 0, 3)


def _write_archive(ws, language: str, f: _Formats) -> None:
    lang = "zh" if language == "zh" else "en"
    headers = [_ARCHIVED_ON[lang]] + [c.header(lang) for c in LEAD_COLUMNS + OUTPUTS]
    numbers = [True] + [c.kind == DATE or c.key in ("deal_value", "unanswered", "score") for c in LEAD_COLUMNS + OUTPUTS]
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, f.header_right if numbers[c] else f.header)
    ws.set_column(0, 0, 12, f.date)
    for j, col in enumerate(LEAD_COLUMNS + OUTPUTS, start=1):
        ws.set_column(j, j, _column_width(_LeadColumn(col.header(lang), col, None)),
                      f.date if col.kind == DATE else None)
    ws.freeze_panes(1, 1)
    _print_setup(ws, 0, len(headers) - 1)


def _write_help(ws, f: _Formats) -> None:
    rows = help_rows()
    # Each column fits its longest line, up to 60 characters; longer texts wrap (rows made tall enough).
    widths = [min(max(_display_width(r[i]) for r in rows) + 2, HELP_WIDTH) for i in (1, 2)]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w, f.wrap)
    for r, (style, en, zh) in enumerate(rows):
        fmt = {"title": f.title, "h": f.help_heading}.get(style, f.wrap)
        ws.write_string(r, 0, en, fmt)
        ws.write_string(r, 1, zh, fmt)
        _fit_row(ws, r, [(en, widths[0]), (zh, widths[1])], {"title": 20, "h": 17}.get(style, 15))
    ws.freeze_panes(1, 0)
    _print_setup(ws, len(rows) - 1, 1)


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
    hook ``salesbook.builder.package.build_xlsx(populate)`` expects."""
    populate_workbook(workbook, leads, settings=settings, language=language)


def write_sample_workbook(path: str | os.PathLike[str], n: int = 200, *, seed: int = 7, today: dt.date,
                          language: str = "en", with_problems: bool = False,
                          settings: Settings | None = None) -> Path:
    """A plain .xlsx (no VBA) with ``n`` sample leads, written atomically; the same
    arguments give the same bytes. Returns the path."""
    from salesbook.builder.sample import sample_leads

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
