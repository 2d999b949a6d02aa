"""Reading an open workbook through xlwings: the lead table, Settings, History.

Everything goes through xlwings' public Book/Sheet/Range API, so the same code runs
against desktop Excel (COM on Windows, AppleScript on macOS) and xlwings' remote engine.
The number of xlwings calls does not grow with the number of rows: ranges are read whole,
one ``.options(ndim=2).value`` per block, never a loop over cells. Cells come back in the
file reader's text form (``cell_text``), so the rules see the same frame from both adapters.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from salesbook import owned
from salesbook.adapters import locate
from salesbook.adapters.locate import LeadsLocation
from salesbook.errors import Refusal
from salesbook.reports.sheets import ARCHIVE_SHEET, HISTORY_SHEET
from salesbook.rules.settings import SETTINGS_SHEET_NAMES, Settings
from salesbook.rules.settings_sheet import settings_from_grid
from salesbook.vocabulary.names import APP_TITLE, SHEET_NAMES


HISTORY_NAMES, ARCHIVE_NAMES = SHEET_NAMES[HISTORY_SHEET], SHEET_NAMES[ARCHIVE_SHEET]
STATUS_PREFIX = f"{APP_TITLE}: "



_logger = logging.getLogger(__name__)



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


__all__ = ["read", "LiveBook", "LogSheet", "cell_text", "texts", "raw_grid", "status", "read_log", "find_sheet",
           "STATUS_PREFIX"]
