"""The live-Excel adapter: read the Leads table from an open workbook and write results back.

Everything goes through xlwings' public Book/Sheet/Range API, so the same code runs
against desktop Excel (COM on Windows, AppleScript on macOS) and xlwings' remote engine.

Conventions (the number of xlwings calls must not grow with the number of rows):

- Ranges are read and written whole: one ``.options(ndim=2).value`` per block, never a
  loop over cells. Formats, fonts and widths are set per column range, not per cell.
- ``write`` computes and validates everything first (reads only), then performs the
  writes; a refusal therefore leaves the workbook untouched.
- The one exception to "independent of rows" is Archive: deleting rows costs one call
  per *run of contiguous rows* (bottom-up), never one per row.
- xlwings itself splits one ``.value`` write of more than 100,000 cells into chunks of
  that size (its ``max_cells_per_write`` budget, against COM/Apple Event limits): one
  call here, ``ceil(cells / 100,000)`` round trips to Excel.

Texts are written as text, never as formulas: a string that Excel would turn into a
formula, number, date or boolean when entered (``=…``, ``+…``, ``-…``, ``@…``, ``0012``,
``2025-01-01``, ``TRUE``…) is written with a leading apostrophe. The apostrophe is
Excel's prefix character: it is not part of the cell's value (``Range.Value`` reads the
text without it), it is honoured by COM/AppleScript ``Value`` assignment of whole 2-D
arrays exactly as when typing, and unlike a ``@`` (Text) number format it does not
change how the user's later entries in that column behave.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from salesbook import owned
from salesbook.adapters import locate
from salesbook.adapters.locate import LeadsLocation
from salesbook.errors import Refusal
from salesbook.reports.sheets import ARCHIVE_SHEET, HISTORY_SHEET, L as LABELS
from salesbook.rules.schema import BY_KEY, DATE, match_header, match_headers, norm
from salesbook.rules.settings import SETTINGS_SHEET_NAMES, Settings, settings_from_grid
from salesbook.cells import col_index, col_letter
from salesbook.reports.model import (
    FORMATS,
    LINE_HEIGHT,
    AppendRows,
    Block,
    Chart,
    PageSetup,
    SheetModel,
    fit_widths,
    header_heights,
    is_number_column,
    log_sheet_model,
    print_area,
)

HISTORY_NAMES = (HISTORY_SHEET, "历史")
ARCHIVE_NAMES = (ARCHIVE_SHEET, "归档")
STATUS_PREFIX = "Sales Pipeline: "
CHART_TYPE = "bar_clustered"
POINTS_PER_COLUMN, POINTS_PER_ROW = 48.0, 15.0  # Excel's default cell size in points

_logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# What was read
# ---------------------------------------------------------------------------

@dataclass
class LogSheet:
    """A sheet the add-in appends to (History, Archive): its header and next free row."""

    name: str
    header: list[object]
    header_row: int
    next_row: int
    grid: list[list[object]] | None = field(default=None, repr=False)  # as read, for History


@dataclass
class LiveBook:
    """An open workbook as read: the lead table (text cells, index = Excel rows),
    the settings and the History rows."""

    path: Path  # the book's name as a path, for messages shared with the file path
    loc: LeadsLocation
    leads: pd.DataFrame
    settings: Settings
    history_rows: list[list[object]] | None
    language: str
    history: LogSheet | None = None
    settings_sheet: str | None = None


# ---------------------------------------------------------------------------
# Cell values: Excel → the file reader's text form
# ---------------------------------------------------------------------------

def cell_text(v: object) -> str | None:
    """One cell as the file reader gives it: None for empty, text otherwise.

    Integral numbers without '.0' ('45000'), others with at most 9 decimals and no
    trailing zeros ('7000.5', '0.333333333'), dates as
    'YYYY-MM-DD' (with ' HH:MM:SS' when there is a time), booleans 'TRUE'/'FALSE',
    error values as their text ('#N/A')."""
    if v is None:
        return None
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if math.isnan(x):
            return None
        if x.is_integer():
            return str(int(x))
        return f"{x:.9f}".rstrip("0").rstrip(".")  # at most 9 decimals, as the file reader prints
    if isinstance(v, dt.datetime):
        v = (v + dt.timedelta(microseconds=500_000)).replace(microsecond=0, tzinfo=None)  # COM: 14:29:59.9996
        if v.time() == dt.time(0, 0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def texts(rows: list[list[object]]) -> list[list[str | None]]:
    """A whole 2-D block as text cells (one pass, no xlwings calls)."""
    return [[cell_text(v) for v in row] for row in rows]


def raw_cell(v: object) -> object:
    """One cell as the file reader's ``read_grid`` gives it (Settings, History): None
    for empty, whole floats as int, dates at midnight as ``date``, else the value."""
    if v is None or v == "":
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    if isinstance(v, dt.datetime) and v.time() == dt.time(0, 0):
        return v.date()
    return v


def raw_grid(rows: list[list[object]]) -> list[list[object]]:
    """A small sheet's cells as ``read_grid`` gives them: trailing empty cells of each
    row and trailing empty rows dropped."""
    out: list[list[object]] = []
    for row in rows:
        vals = [raw_cell(v) for v in row]
        while vals and vals[-1] is None:
            vals.pop()
        out.append(vals)
    while out and not out[-1]:
        out.pop()
    return out


# ---------------------------------------------------------------------------
# Small xlwings helpers (each is one call on desktop Excel)
# ---------------------------------------------------------------------------

def _values(rng) -> list[list[object]]:
    """A range's values as a 2-D list, error cells as their text. One call."""
    return rng.options(ndim=2, err_to_str=True).value or []


def find_sheet(book, names: Iterable[str]):
    """The first sheet whose name is one of ``names`` (case-insensitive), else None."""
    wanted = [n.casefold() for n in names]
    by_name = {s.name.strip().casefold(): s for s in book.sheets}
    for n in wanted:
        if n in by_name:
            return by_name[n]
    return None


def _sheet_grid(sheet) -> list[list[object]]:
    """A sheet's cells from A1 to the end of its used range, in one read."""
    used = sheet.used_range
    last = used.last_cell
    rows, cols = last.row, last.column
    if rows == 1 and cols == 1 and used.value is None:
        return []
    return _values(sheet.range((1, 1), (rows, cols)))


def _trim(grid: list[list[object]]) -> list[list[object]]:
    """Drop trailing empty rows."""
    end = len(grid)
    while end and all(v is None or v == "" for v in grid[end - 1]):
        end -= 1
    return grid[:end]


def status(book, text: str | bool) -> None:
    """Excel's status bar; silently skipped where the engine has none (remote)."""
    try:
        book.app.status_bar = text
    except Exception:  # status text is a courtesy, never a reason to fail
        pass


def engine_name(book) -> str:
    try:
        return book.app.engine.name
    except Exception:
        return "excel"


# ---------------------------------------------------------------------------
# read
# ---------------------------------------------------------------------------

def read(book, *, history: bool = True) -> LiveBook:
    """Find and read the leads, Settings and (optionally) History. Raises Refusal
    when there is no lead table or a required column is missing."""
    from salesbook.engine import language
    from salesbook.adapters.locate import check_headers

    path = Path(book.name)
    loc, grid = _read_leads(book, path)
    check_headers(path, loc)
    leads = _frame(loc, grid)
    settings_sheet = find_sheet(book, SETTINGS_SHEET_NAMES)
    settings_grid = raw_grid(_sheet_grid(settings_sheet)) if settings_sheet is not None else None
    settings = settings_from_grid(settings_grid, sheet=settings_sheet.name if settings_sheet else "Settings")
    lb = LiveBook(path, loc, leads, settings, None, language(settings, loc.headers),
                  settings_sheet=settings_sheet.name if settings_sheet else None)
    if history:
        lb.history = read_log(book, HISTORY_NAMES)
        if lb.history is not None:  # a user's History is neither read nor written
            _refuse_foreign(book, HISTORY_SHEET, lb.history.name, [lb.history.header])
        if lb.history is not None and lb.history.grid:
            lb.history_rows = raw_grid(lb.history.grid) or None
    return lb


def _read_leads(book, path: Path) -> tuple[LeadsLocation, list[list[object]]]:
    """Where the leads are, by the file reader's rules (``adapters.locate.choose``), and their
    cells (header row first), each block read in one call."""
    sheets = list(book.sheets)
    tables = {s.name: list(s.tables) for s in sheets}  # one call per sheet
    found = locate.choose(sheets, sheet_name=lambda s: s.name, tables=lambda s: tables[s.name],
                          table_names=lambda t: (t.name,), table_headers=_table_headers, row1_headers=_row1,
                          open_table=_read_table, open_range=_read_range)
    if found is not None:
        return found
    seen = ", ".join(f"'{s.name}'" for s in sheets) or "none"
    raise Refusal(f"No lead table found in {path.name}: no Excel Table named 'Leads', no sheet named 'Leads' or "
                  f"'线索', and no sheet whose first row has lead headers (Lead ID, Company, Owner, Stage, Created). "
                  f"Sheets seen: {seen}.", path=path)


def _table_headers(table) -> list[str]:
    rng = table.header_row_range
    return [cell_text(v) or "" for v in _values(rng)[0]] if rng is not None else []


def _row1(sheet) -> list[str]:
    used = sheet.used_range.last_cell
    return [cell_text(v) or "" for v in _values(sheet.range((1, 1), (1, used.column)))[0]]


def _read_table(sheet, table) -> tuple[LeadsLocation, list[list[object]]]:
    if table.header_row_range is None:
        raise Refusal(f"Sheet '{sheet.name}', table '{table.name}': the table has no header row. "
                      f"Turn on Table Design → Header Row, then run again.", sheet=sheet.name)
    rng = table.range
    grid = _values(rng)  # header + body (+ totals) in one call
    table_last = rng.row + len(grid) - 1
    if table.show_totals and len(grid) > 1:
        grid = grid[:-1]
    headers = [cell_text(v) or "" for v in grid[0]] if grid else []
    loc = _location(sheet.name, table.name, headers, rng.row, rng.column, rng.row + len(grid) - 1, table_last)
    return loc, grid


def _read_range(sheet) -> tuple[LeadsLocation, list[list[object]]] | None:
    """The range under a sheet's row-1 headers: from the first to the last non-empty
    header cell, down to the last row with a value in those columns."""
    grid = _sheet_grid(sheet)
    if not grid:
        return None
    head = [cell_text(v) for v in grid[0]]
    filled = [i for i, h in enumerate(head) if h is not None]
    if not filled:
        return None
    first, last = filled[0], filled[-1]
    grid = _trim([row[first:last + 1] for row in grid])
    headers = [h or "" for h in head[first:last + 1]]
    return _location(sheet.name, None, headers, 1, first + 1, len(grid)), grid


def _location(sheet: str, table: str | None, headers: list[str], header_row: int, first_col: int, last_row: int,
              table_last_row: int | None = None) -> LeadsLocation:
    return LeadsLocation(sheet_name=sheet, sheet_part=None, table_name=table, table_part=None, header_row=header_row,
                         first_col=first_col, last_col=first_col + len(headers) - 1, last_row=last_row,
                         headers=headers, table_last_row=table_last_row)


def _frame(loc: LeadsLocation, grid: list[list[object]]) -> pd.DataFrame:
    """The lead table as the file reader gives it: text cells, missing values for blanks
    (pandas' ``str`` dtype), unique column names, index = Excel rows."""
    from salesbook.adapters.files.reader import unique_names

    width = len(loc.headers)
    body = [(r + [None] * width)[:width] for r in texts(grid[1:])]
    index = pd.RangeIndex(loc.first_row, loc.first_row + len(body))
    frame = pd.DataFrame(body, columns=unique_names(loc.headers), index=index, dtype="str")
    return frame


def read_log(book, names: Iterable[str]) -> LogSheet | None:
    """A log sheet's header (its first non-empty row) and the row after its last used
    one. One read of the sheet's used range."""
    sheet = find_sheet(book, names)
    if sheet is None:
        return None
    grid = _trim(_sheet_grid(sheet))
    first = next((i for i, r in enumerate(grid) if any(v not in (None, "") for v in r)), None)
    if first is None:
        return LogSheet(sheet.name, [], 1, 1)
    header = list(grid[first])
    while header and header[-1] in (None, ""):
        header.pop()
    return LogSheet(sheet.name, header, first + 1, len(grid) + 1, grid)


# ---------------------------------------------------------------------------
# Values: Python → Excel
# ---------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "'")
_COERCED = re.compile(
    r"""^\s*(
        [-+]?[$¥€£]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?%?      # numbers, 1,200, 5%, 1e3
      | \d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?(\s+\d{1,2}:\d{2}(:\d{2})?)?   # dates
      | \d{1,2}:\d{2}(:\d{2})?(\s*[ap]m)?                      # times
      | true | false
      | \(\d[\d,.]*\)                                         # (5) is -5
    )\s*$""", re.IGNORECASE | re.VERBOSE)


def safe_text(s: str) -> str | None:
    """A text Excel keeps as text: prefixed with an apostrophe when Excel would
    otherwise read it as a formula, number, date or boolean."""
    if s == "":
        return None
    if s[0] in _FORMULA_START or _COERCED.match(s):
        return "'" + s
    return s


def excel_value(v: object) -> object:
    """One Python/pandas value as xlwings writes it: None for blanks, datetimes for
    dates, plain int/float/bool, prefix-safe text."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, str):
        return safe_text(v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().replace(tzinfo=None)
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v).to_pydatetime()
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time())
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return safe_text(str(v))


def column_values(s: pd.Series) -> list[object]:
    return [excel_value(v) for v in s.astype(object).to_numpy()]


def frame_grid(frame: pd.DataFrame) -> list[list[object]]:
    """A frame's cells row by row, ready for one ``.value`` write."""
    cols = [column_values(frame.iloc[:, j]) for j in range(frame.shape[1])]
    return [list(r) for r in zip(*cols)] if cols else []


# ---------------------------------------------------------------------------
# write: plan (reads and checks only) then apply
# ---------------------------------------------------------------------------

class LiveWriteError(Exception):
    """A write failed after earlier writes succeeded; ``step`` says where."""

    def __init__(self, step: str, cause: BaseException):
        super().__init__(f"{step}: {cause}")
        self.step = step
        self.cause = cause


@dataclass
class _Step:
    label: str
    run: Callable[[], None]


@dataclass
class Plan:
    """The writes of one command, computed before the first one is made."""

    steps: list[_Step] = field(default_factory=list)

    def add(self, label: str, fn: Callable[[], None]) -> None:
        self.steps.append(_Step(label, fn))


def write(book, lb: LiveBook, ev=None, *, sheets: list[SheetModel] | None = None,
          appends: list[AppendRows] | None = None, delete_rows: Iterable[int] = (),
          activate: str | None = None) -> int:
    """Write a command's results: ``ev.written`` output columns, ``ev.sheets`` and
    ``ev.appends`` (plus any ``sheets``/``appends`` given), then delete ``delete_rows``
    (Excel rows of the lead table). Returns the number of write steps made.

    Everything is planned (and refused, if need be) before the first write."""
    plan = plan_write(book, lb, ev, sheets=sheets, appends=appends, delete_rows=delete_rows)
    return apply(book, plan, activate=activate)


def plan_write(book, lb: LiveBook, ev=None, *, sheets=None, appends=None, delete_rows=()) -> Plan:
    plan = Plan()
    all_sheets = list(ev.sheets if ev is not None else []) + list(sheets or [])
    all_appends = list(ev.appends if ev is not None else []) + list(appends or [])
    if ev is not None and ev.written:
        _plan_columns(plan, book, lb, ev)
    for model in all_sheets:
        _plan_sheet(plan, book, model)
    for rows in all_appends:
        _plan_append(plan, book, lb, rows)
    rows = sorted({int(r) for r in delete_rows})
    if rows:
        _plan_delete(plan, book, lb, rows)
        check_unchanged(book, lb, rows)
    return plan


def apply(book, plan: Plan, *, activate: str | None = None) -> int:
    """Run the planned writes with screen updating off (restored in ``finally``)."""
    if not plan.steps and activate is None:
        return 0
    app = book.app
    try:
        previous = app.screen_updating
    except Exception:  # the remote engine cannot read it back
        previous = True
    active = _active_sheet_name(book)
    app.screen_updating = False
    done = 0
    try:
        for step in plan.steps:
            try:
                step.run()
            except Refusal:
                raise
            except Exception as exc:
                raise LiveWriteError(step.label, exc) from exc
            done += 1
        target = activate or active  # sheets.add activates the new sheet: go back
        if target and target != _active_sheet_name(book):
            book.sheets[target].activate()
    finally:
        app.screen_updating = previous
    return done


def _active_sheet_name(book) -> str | None:
    try:
        return book.sheets.active.name
    except Exception:
        return None


# ---- output columns of the lead table --------------------------------------------

def _runs(positions: list[int]) -> list[list[int]]:
    """[3, 4, 5, 9, 10] → [[3, 4, 5], [9, 10]]."""
    runs: list[list[int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _plan_columns(plan: Plan, book, lb: LiveBook, ev) -> None:
    loc = lb.loc
    sheet = book.sheets[loc.sheet_name]
    found = match_headers(list(loc.headers))
    missing = [k for k in ev.written if k not in found]
    pos = {k: found[k] for k in ev.written if k in found}
    for i, k in enumerate(missing):
        pos[k] = len(loc.headers) + i
    if missing:
        _check_room(sheet, lb, len(missing), missing)
        _plan_new_columns(plan, book, sheet, lb, missing, ev.language)
    if loc.n_rows <= 0:
        return
    key_at = {p: k for k, p in pos.items()}
    outputs = ev.outputs.reindex(lb.leads.index)
    for run in _runs(list(pos.values())):
        keys = [key_at[p] for p in run]
        grid = frame_grid(outputs[keys])
        rng = sheet.range((loc.first_row, loc.first_col + run[0]), (loc.last_row, loc.first_col + run[-1]))
        for k in keys:  # formats first: a date column must not keep a Text format
            if BY_KEY[k].kind == DATE:
                c = loc.first_col + pos[k]
                col = sheet.range((loc.first_row, c), (loc.last_row, c))
                plan.add(f"the number format of column '{BY_KEY[k].en}' on sheet '{loc.sheet_name}'",
                         _setter(col, "number_format", FORMATS["date"]))
        names = ", ".join(BY_KEY[k].en for k in keys)
        plan.add(f"the column(s) {names} on sheet '{loc.sheet_name}'", _setter(rng, "value", grid))


def _check_room(sheet, lb: LiveBook, n: int, keys: list[str]) -> None:
    """The cells right of the table, where missing output columns go, must be empty."""
    loc = lb.loc
    bottom = max(loc.table_last_row or loc.last_row, loc.header_row)
    rng = sheet.range((loc.header_row, loc.last_col + 1), (bottom, loc.last_col + n))
    if any(v not in (None, "") for row in _values(rng) for v in row):
        names = ", ".join(f"'{BY_KEY[k].en}'" for k in keys)
        raise Refusal(f"Sheet '{loc.sheet_name}': the output column(s) {names} are missing and the cells right of "
                      f"the lead table ({rng.address.replace('$', '')}) are not empty. Add the columns to the table "
                      f"yourself or clear those cells, then run again.", sheet=loc.sheet_name)


def _plan_new_columns(plan: Plan, book, sheet, lb: LiveBook, keys: list[str], lang: str) -> None:
    """Grow the table to the right (one resize) and name the new columns (one write)."""
    loc = lb.loc
    first, last = loc.last_col + 1, loc.last_col + len(keys)
    headers = [[BY_KEY[k].header(lang) for k in keys]]
    if loc.table_name:
        table = sheet.tables[loc.table_name]
        bottom = max(loc.table_last_row or loc.last_row, loc.header_row + 1)  # a totals row stays inside
        whole = sheet.range((loc.header_row, loc.first_col), (bottom, last))
        plan.add(f"the size of table '{loc.table_name}'", lambda: table.resize(whole))
    head = sheet.range((loc.header_row, first), (loc.header_row, last))
    plan.add(f"the new column headers on sheet '{loc.sheet_name}'", _setter(head, "value", headers))


# ---- owned sheets ---------------------------------------------------------------

def _marks(book) -> dict[str, str]:
    """The add-in's marks among the book's defined names: {name: refers_to} (owned.py)."""
    out = {}
    try:
        for n in book.names:
            name = n.name
            if name.startswith(owned.MARK_PREFIX):
                out[name] = n.refers_to
    except Exception:  # an engine without names: the layout alone decides
        _logger.debug("cannot read the defined names", exc_info=True)
    return out


def _refuse_foreign(book, role: str, sheet: str, rows: list[list[object]]) -> None:
    """Refuse (before any write) when the sheet ``sheet`` is not the add-in's ``role`` sheet."""
    if owned.is_marked(role, sheet, _marks(book)) or owned.looks_like(role, rows):
        return
    raise Refusal(owned.foreign_sheet(role, sheet) + " Nothing was changed.", sheet=sheet)


def _plan_mark(plan: Plan, book, role: str, sheet: str) -> None:
    """After the sheet is written: its mark, a hidden defined name (a courtesy: without it the
    layout still tells the sheet is the add-in's)."""
    def mark():
        name, formula = owned.mark_name(role), "=" + owned.mark_formula(sheet)
        try:
            existing = next((n for n in book.names if n.name == name), None)
            if existing is not None:
                if (owned.marked_sheet(existing.refers_to) or "").casefold() != sheet.casefold():
                    existing.refers_to = formula
                return
            added = book.names.add(name, formula)
            try:
                added.api.Visible = False  # desktop Excel (COM); other engines keep it visible
            except Exception:
                pass
        except Exception:
            _logger.debug("cannot mark sheet %s", sheet, exc_info=True)

    plan.add(f"the mark of sheet '{sheet}'", mark)


def _plan_sheet(plan: Plan, book, model: SheetModel) -> None:
    exists = find_sheet(book, [model.name]) is not None
    name = find_sheet(book, [model.name]).name if exists else model.name
    role = owned.role_of(model.name)
    if exists and role is not None:  # a user's sheet of that name is never replaced
        _refuse_foreign(book, role, name, _values(book.sheets[name].range((1, 1), (2, 1))))

    def sheet():
        return book.sheets[name]

    if not exists:
        plan.add(f"the new sheet '{name}'", lambda: book.sheets.add(name, after=book.sheets[len(book.sheets) - 1]))
    else:
        plan.add(f"the old charts of sheet '{name}'", lambda: _delete_charts(sheet()))
        plan.add(f"the cleared sheet '{name}'", lambda: sheet().clear())
    plan.add(f"the title lines of sheet '{name}'", lambda: _write_notes(sheet(), model.notes))
    widths = fit_widths(model)  # as the file adapter sets them
    heights = header_heights(model, widths)
    for i, block in enumerate(model.blocks):
        grid = _block_grid(block)
        plan.add(f"table {i + 1} of sheet '{name}'", lambda b=block, g=grid: _write_block(sheet(), b, g, heights))
    if widths:
        plan.add(f"the column widths of sheet '{name}'", lambda: set_widths(book, sheet(), widths))
    if model.freeze_rows:
        plan.add(f"the frozen rows of sheet '{name}'", lambda: _freeze(sheet(), model.freeze_rows))
    for chart in model.charts:
        plan.add(f"the chart of sheet '{name}'", lambda c=chart: add_chart(sheet(), model, c, widths, heights))
    if model.page is not None:
        plan.add(f"the print setup of sheet '{name}'", lambda: set_page_setup(book, sheet(), model.page,
                                                                                print_area(model)))
    if role is not None:
        _plan_mark(plan, book, role, name)


def _delete_charts(sheet) -> None:
    try:
        charts = list(sheet.charts)
    except Exception:  # an engine without charts has none to delete
        return
    for c in reversed(charts):
        c.delete()


def _write_notes(sheet, notes: list[tuple[int, int, str]]) -> None:
    """Free text lines; consecutive lines of one column in one call. The first is the
    sheet's title (bold, larger)."""
    groups: list[list[tuple[int, int, str]]] = []
    for n in sorted(notes):
        if groups and n[1] == groups[-1][-1][1] and n[0] == groups[-1][-1][0] + 1:
            groups[-1].append(n)
        else:
            groups.append([n])
    for g in groups:
        sheet.range((g[0][0], g[0][1])).value = [[safe_text(t)] for _, _, t in g]
    if notes:
        r, c, _ = sorted(notes)[0]
        title = sheet.range((r, c))
        title.font.bold = True
        title.font.size = 14


def _block_grid(block: Block) -> list[list[object]]:
    width = block.frame.shape[1]
    grid: list[list[object]] = []
    if block.title:
        grid.append([safe_text(block.title)] + [None] * (width - 1))
    if block.header:
        grid.append([safe_text(str(c)) for c in block.frame.columns])
    grid.extend(frame_grid(block.frame))
    return grid


def _write_block(sheet, block: Block, grid: list[list[object]], heights: dict[int, float] | None = None) -> None:
    """Formats of the data columns (runs of equal formats), then the values in one call,
    then bold title and header (wrapped, right-aligned over numbers, ``heights[row]`` tall, else one line)."""
    n = len(block.frame)
    if n:
        cols = list(block.frame.columns)
        fmts = [FORMATS.get(block.formats.get(str(c), ""), None) for c in cols]
        start = 0
        while start < len(cols):
            end = start
            while end + 1 < len(cols) and fmts[end + 1] == fmts[start]:
                end += 1
            if fmts[start]:
                sheet.range((block.first_data_row, block.col + start),
                            (block.last_row, block.col + end)).number_format = fmts[start]
            start = end + 1
    if grid:
        sheet.range((block.row, block.col)).value = grid
    if block.title:
        sheet.range((block.row, block.col)).font.bold = True
    if block.header and block.frame.shape[1]:
        hr = block.row + (1 if block.title else 0)
        header = sheet.range((hr, block.col), (hr, block.col + block.frame.shape[1] - 1))
        header.font.bold = True
        _style_header(sheet, block, hr, header, (heights or {}).get(hr))


def _style_header(sheet, block: Block, row: int, header, height: float | None) -> None:
    """Headers wrap (their widths allow two lines) and sit right-aligned over numbers and
    dates, as in the file; one call per run of number columns. Cosmetic: an engine without
    these properties keeps plain headers."""
    _cosmetic(lambda: setattr(header, "wrap_text", True))
    # the height either way, so that there are as many calls whatever the texts
    _cosmetic(lambda: setattr(header, "row_height", height or LINE_HEIGHT))
    numbers = [j for j in range(block.frame.shape[1]) if is_number_column(block, j)]
    for run in _runs(numbers):
        right = sheet.range((row, block.col + run[0]), (row, block.col + run[-1]))
        _cosmetic(lambda r=right: setattr(r, "horizontal_alignment", "right"))


def _cosmetic(fn: Callable[[], None]) -> None:
    """A formatting call that an engine may not offer (xlwings Server's alignment needs an
    Office.js client): skipped there, never a reason to fail."""
    try:
        fn()
    except Exception:
        pass


def set_widths(book, sheet, widths: dict[int, float]) -> None:
    """Column widths in Excel's character units, one call per column (as many calls
    whatever the figures). The remote engine takes points."""
    points = engine_name(book) in ("remote", "officejs")
    for col, w in sorted(widths.items()):
        value = round((w * 7 + 5) * 0.75, 2) if points else w
        sheet.range((1, col)).column_width = value


def _freeze(sheet, rows: int) -> None:
    try:
        sheet.freeze_panes.freeze_at(f"1:{rows}")
    except Exception:  # not offered by every engine (desktop Windows): cosmetic only
        pass


def set_page_setup(book, sheet, page: PageSetup, area: tuple[int, int, int, int]) -> None:
    """Print as the file adapter sets it (salesbook.adapters.files.printing): the print area through
    xlwings (every engine); landscape, one page wide and the title rows through Excel's own
    PageSetup object (desktop Excel on Windows and macOS). Cosmetic: never a reason to fail."""
    r1, c1, r2, c2 = area
    try:
        sheet.page_setup.print_area = f"${col_letter(c1)}${r1}:${col_letter(c2)}${r2}"
    except Exception:
        pass
    if engine_name(book) != "excel":
        return
    titles = f"${page.title_rows[0]}:${page.title_rows[1]}" if page.title_rows else None
    try:
        native_page_setup(sheet.page_setup.api, sys.platform, titles)
    except Exception:
        pass


def native_page_setup(api, platform: str, titles: str | None) -> None:
    """Landscape, one page wide (any number of pages tall) and the rows repeated at the top of
    each page, on Excel's PageSetup object: COM on Windows, AppleScript (appscript) on macOS."""
    if platform == "win32":
        api.Orientation = 2  # xlLandscape
        api.Zoom = False  # required for FitToPagesWide/Tall to apply
        api.FitToPagesWide = 1
        api.FitToPagesTall = False
        if titles:
            api.PrintTitleRows = titles
    elif platform == "darwin":
        from appscript import k

        api.page_orientation.set(k.landscape)
        api.zoom.set(False)
        api.fit_to_pages_wide.set(1)
        api.fit_to_pages_tall.set(False)
        if titles:
            api.print_title_rows.set(titles)


def _extend_print_area(sheet, last_row: int, last_col: int) -> None:
    """A log sheet's print area grows with the rows appended (as in the file); left alone
    when it has none, or one that is not a single range. Cosmetic: never a reason to fail."""
    try:
        area = sheet.page_setup.print_area
        m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)", str(area or "").split("!")[-1])
        if m is None:
            return
        c2 = max(col_index(m.group(3)), last_col)
        r2 = max(int(m.group(4)), last_row)
        sheet.page_setup.print_area = f"${m.group(1)}${m.group(2)}:${col_letter(c2)}${r2}"
    except Exception:
        pass


def _chart_size(chart: Chart, widths: dict[int, float] | None, heights: dict[int, float] | None) -> tuple[float, float]:
    """The chart's width and height in points: the cells it covers, as the file anchors it."""
    if widths is None:
        return chart.width_cols * POINTS_PER_COLUMN, chart.height_rows * POINTS_PER_ROW
    cols = range(chart.anchor_col, chart.anchor_col + chart.width_cols)
    rows = range(chart.anchor_row, chart.anchor_row + chart.height_rows)
    width = sum((widths[c] * 7 + 5) * 0.75 if c in widths else POINTS_PER_COLUMN for c in cols)  # chars -> px -> pt
    height = sum((heights or {}).get(r, LINE_HEIGHT) for r in rows)
    return width, height


def add_chart(sheet, model: SheetModel, chart: Chart, widths: dict[int, float] | None = None,
              heights: dict[int, float] | None = None) -> bool:
    """A native bar chart of one block column by its label column, over the cells the file
    anchors it to (``widths``/``heights`` of the sheet). Guarded: an engine without chart
    support still gets the data; returns whether the chart was made."""
    block = model.blocks[chart.block]
    cols = [str(c) for c in block.frame.columns]
    try:
        cat, val = cols.index(chart.category), cols.index(chart.value)
    except ValueError:
        return False
    header_row = block.row + (1 if block.title else 0)
    last = block.last_row
    try:
        anchor = sheet.range((chart.anchor_row, chart.anchor_col))
        width, height = _chart_size(chart, widths, heights)
        c = sheet.charts.add(anchor=anchor, width=width, height=height, chart_type=CHART_TYPE)
        if val == cat + 1:
            c.set_source_data(sheet.range((header_row, block.col + cat), (last, block.col + val)))
        else:
            c.set_source_data(sheet.range((header_row, block.col + val), (last, block.col + val)))
            c.set_x_axis_values(sheet.range((header_row + 1, block.col + cat), (last, block.col + cat)))
        try:
            c.title = chart.title
        except Exception:
            pass
        return True
    except Exception:
        return False


# ---- appends (History, Archive) ------------------------------------------------------

def _same_column(a: object, b: object) -> bool:
    """Header names that mean the same column: equal when folded, the same lead column
    in English and Chinese, or the same add-in label in either language."""
    na, nb = norm(a), norm(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    ka, kb = match_header(a), match_header(b)
    if ka is not None and ka == kb:
        return True
    return any({na, nb} <= {norm(en), norm(zh), norm(f"{en}{zh}")} for en, zh in LABELS.values())


def owned_log(book, name: str) -> LogSheet | None:
    """The add-in's log sheet ``name`` (History, Archive) as read, None when there is none yet;
    a user's sheet of that name is refused (Refusal), never written into."""
    names = {HISTORY_SHEET: HISTORY_NAMES, ARCHIVE_SHEET: ARCHIVE_NAMES}.get(name, (name,))
    log = read_log(book, names)
    role = owned.role_of(name)
    if log is not None and role is not None:
        _refuse_foreign(book, role, log.name, [log.header])
    return log


def _plan_append(plan: Plan, book, lb: LiveBook, rows: AppendRows) -> None:
    if rows.name == HISTORY_SHEET and lb.history is not None:
        log = lb.history
        _refuse_foreign(book, owned.role_of(rows.name), log.name, [log.header])
    else:
        log = owned_log(book, rows.name)
    role = owned.role_of(rows.name)
    _plan_append_rows(plan, book, rows, log)
    if role is not None:
        _plan_mark(plan, book, role, log.name if log is not None else rows.name)


def _plan_append_rows(plan: Plan, book, rows: AppendRows, log: LogSheet | None) -> None:
    frame = rows.frame
    if log is None or not log.header:
        _plan_new_log(plan, book, rows, log)
        return
    header = list(log.header)
    position: dict[int, int] = {}  # frame column → sheet column (0-based)
    new_names: list[str] = []
    for j, name in enumerate(frame.columns):
        at = next((i for i, h in enumerate(header) if _same_column(h, name)), None)
        if at is None:
            at = len(header) + len(new_names)
            new_names.append(str(name))
        position[j] = at
    width = len(header) + len(new_names)
    cols = [column_values(frame.iloc[:, j]) for j in range(frame.shape[1])]
    grid = [[None] * width for _ in range(len(frame))]
    for j, values in enumerate(cols):
        at = position[j]
        for i, v in enumerate(values):
            grid[i][at] = v
    sheet_name = log.name

    def sheet():
        return book.sheets[sheet_name]

    if new_names:
        plan.add(f"the new headers of sheet '{sheet_name}'", lambda: _set(
            sheet().range((log.header_row, len(header) + 1)), "value", [[safe_text(n) for n in new_names]]))
    if not len(frame):
        return
    first, last = log.next_row, log.next_row + len(frame) - 1
    for j, name in enumerate(frame.columns):
        fmt = FORMATS.get(rows.formats.get(str(name), ""))
        if fmt:
            c = position[j] + 1
            plan.add(f"the number format of '{name}' on sheet '{sheet_name}'",
                     lambda c=c, f=fmt: _set(sheet().range((first, c), (last, c)), "number_format", f))
    plan.add(f"the rows appended to sheet '{sheet_name}'", lambda: _set(sheet().range((first, 1)), "value", grid))
    plan.add(f"the print area of sheet '{sheet_name}'", lambda: _extend_print_area(sheet(), last, width))


def _plan_new_log(plan: Plan, book, rows: AppendRows, log: LogSheet | None) -> None:
    """A log sheet that does not exist yet (or is empty): header and rows in one call."""
    name = log.name if log is not None else rows.name
    frame = rows.frame
    grid = [[safe_text(str(c)) for c in frame.columns]] + frame_grid(frame)

    def sheet():
        return book.sheets[name]

    if log is None:
        plan.add(f"the new sheet '{name}'", lambda: book.sheets.add(name, after=book.sheets[len(book.sheets) - 1]))
    for j, col in enumerate(frame.columns):
        fmt = FORMATS.get(rows.formats.get(str(col), ""))
        if fmt and len(frame):
            plan.add(f"the number format of '{col}' on sheet '{name}'",
                     lambda j=j, f=fmt: _set(sheet().range((2, j + 1), (len(frame) + 1, j + 1)), "number_format", f))
    plan.add(f"the rows of sheet '{name}'", lambda: _set(sheet().range((1, 1)), "value", grid))
    plan.add(f"the header of sheet '{name}'", lambda: _set(
        sheet().range((1, 1), (1, max(1, frame.shape[1]))).font, "bold", True))
    if log is None and frame.shape[1]:  # a sheet the add-in creates: laid out as the file adapter does
        model = log_sheet_model(rows)
        plan.add(f"the layout of sheet '{name}'", lambda: _lay_out_log(book, sheet(), model))


def _lay_out_log(book, sheet, model: SheetModel) -> None:
    """Header style, column widths, frozen header and print setup of a new log sheet."""
    widths = fit_widths(model)
    block = model.blocks[0]
    header = sheet.range((1, 1), (1, block.frame.shape[1]))
    _style_header(sheet, block, 1, header, header_heights(model, widths).get(1))
    set_widths(book, sheet, widths)
    _freeze(sheet, model.freeze_rows)
    set_page_setup(book, sheet, model.page, print_area(model))


# ---- deleting archived rows -------------------------------------------------------

def check_unchanged(book, lb: LiveBook, rows: list[int]) -> None:
    """Rows are deleted by their numbers, so before any write the lead table is read again
    (one call, as at first) and must be where it was with the same Lead IDs on every row and
    the same cells on the rows to delete. On macOS Excel stays editable while Python works: a
    sort, an inserted or deleted row, an edit in between is refused here, before anything is
    written, rather than deleting the wrong leads."""
    loc, grid = _read_leads(book, lb.path)
    old = lb.loc
    sheet = old.sheet_name
    again = "Nothing was changed; run it again."
    if (loc.sheet_name, loc.header_row, loc.first_col, loc.last_row, list(loc.headers)) != \
            (old.sheet_name, old.header_row, old.first_col, old.last_row, list(old.headers)):
        raise Refusal(f"The lead table on sheet '{sheet}' changed while the add-in was working: it now has its header "
                      f"on row {loc.header_row} and its last lead on row {loc.last_row} (it had them on rows "
                      f"{old.header_row} and {old.last_row}; were rows inserted or deleted?). {again}",
                      path=lb.path, sheet=sheet)
    now = _frame(loc, grid)
    before, after = lb.leads.fillna("\0"), now.fillna("\0")  # missing cells compare equal
    at = match_headers(list(old.headers)).get("lead_id")
    if at is not None:
        moved = np.flatnonzero((before.iloc[:, at] != after.iloc[:, at]).to_numpy())
        if len(moved):
            r = int(before.index[moved[0]])
            was, now_id = lb.leads.iat[moved[0], at], now.iat[moved[0], at]
            raise Refusal(f"The leads on sheet '{sheet}' changed while the add-in was working: row {r} now holds "
                          f"{_lead(now_id)} where it read {_lead(was)} (was the table sorted, or a row inserted or "
                          f"deleted?). {again}", path=lb.path, sheet=sheet, row=r)
    diff = (before.loc[rows] != after.loc[rows]).to_numpy()
    if diff.any():
        i, j = (int(x[0]) for x in np.nonzero(diff))
        r = rows[i]
        who = f"{_lead(lb.leads.at[r, lb.leads.columns[at]])} on row {r}" if at is not None else f"row {r}"
        raise Refusal(f"The leads on sheet '{sheet}' changed while the add-in was working: {who} was edited "
                      f"(column '{old.headers[j]}'). {again}", path=lb.path, sheet=sheet, row=r,
                      column=old.headers[j])


def _lead(lead_id) -> str:
    return f"lead {lead_id}" if isinstance(lead_id, str) and lead_id else "no Lead ID"


def _plan_delete(plan: Plan, book, lb: LiveBook, rows: list[int]) -> None:
    """Delete the given Excel rows of the lead table: one ``delete(shift='up')`` per run
    of contiguous rows, bottom-up so the row numbers still to delete stay valid. Only
    the table's columns shift; cells beside the table stay where they are."""
    loc = lb.loc
    bad = [r for r in rows if not loc.first_row <= r <= loc.last_row]
    if bad:
        raise Refusal(f"Sheet '{loc.sheet_name}': row {bad[0]} is not a row of the lead table.", sheet=loc.sheet_name)
    sheet_name = loc.sheet_name
    for run in reversed(_runs(rows)):
        def delete(a=run[0], b=run[-1]):
            book.sheets[sheet_name].range((a, loc.first_col), (b, loc.last_col)).delete(shift="up")
        plan.add(f"the deletion of rows {run[0]}–{run[-1]} on sheet '{sheet_name}'", delete)


# ---- tiny closures ----------------------------------------------------------------

def _set(target, attr: str, value) -> None:
    setattr(target, attr, value)


def _setter(target, attr: str, value) -> Callable[[], None]:
    return lambda: setattr(target, attr, value)


__all__ = ["read", "write", "plan_write", "apply", "LiveBook", "LeadsLocation", "LogSheet", "Plan",
           "LiveWriteError", "cell_text", "texts", "raw_grid", "safe_text", "excel_value", "status", "read_log",
           "add_chart", "set_widths", "find_sheet"]
