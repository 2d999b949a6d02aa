"""Where the lead table is, for both adapters: which sheet or table, and the checks of its headers.

Each adapter only says what it sees — its sheets, their tables with their header rows, a sheet's
row-1 headers — (zip parts for files, xlwings ranges for a live book) and opens the table or
range chosen here (:func:`choose`). The location itself (:class:`LeadsLocation`) and the rules a
lead table must meet (:func:`check_headers`) are shared, with their messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

from salesbook.cells import col_letter
from salesbook.errors import Refusal
from salesbook.vocabulary.names import LEADS, SHEET_NAMES
from salesbook.rules.schema import BY_KEY, REQUIRED, closest_headers, duplicate_headers, header_score, match_headers

LEADS_SHEET_NAMES = tuple(n.casefold() for n in SHEET_NAMES[LEADS])
LEADS_TABLE_NAME = "leads"
MIN_REQUIRED_MATCHED = 2  # required columns a header row needs to count as a lead table

Loc = TypeVar("Loc")


@dataclass
class LeadsLocation:
    """Where the leads are, in a file or an open book. Rows and columns are 1-based Excel
    numbers; ``sheet_part``/``table_part`` (zip parts) and ``merges``/``claimed`` only concern
    files."""

    sheet_name: str
    sheet_part: str | None
    table_name: str | None
    table_part: str | None
    header_row: int  # 1-based
    first_col: int  # 1-based, inclusive
    last_col: int
    last_row: int  # last data row (== header_row when there are none)
    headers: list[str] = field(default_factory=list)  # texts of first_col..last_col ('' for blank)
    table_last_row: int | None = None  # last row of the table incl. a totals row
    merges: list[str] = field(default_factory=list)  # every merged range of the sheet (set by read_leads)
    claimed: tuple[str, ...] = ()  # add-in sheets found to be the add-in's (or absent) when read (service)

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def n_rows(self) -> int:
        return self.last_row - self.header_row

    @property
    def ref(self) -> str:
        return f"{col_letter(self.first_col)}{self.header_row}:{col_letter(self.last_col)}{self.last_row}"


def choose(sheets: Sequence, *, sheet_name: Callable[[object], str], tables: Callable[[object], list],
           table_names: Callable[[object], Iterable[str]], table_headers: Callable[[object], list[str]],
           row1_headers: Callable[[object], list[str] | None], open_table: Callable[[object, object], Loc],
           open_range: Callable[[object], Loc | None]) -> Loc | None:
    """The lead table among ``sheets``: a table named Leads on any sheet; else on a sheet named
    Leads/线索 its best table or the range under its row-1 headers; else the table or row-1 range
    of any sheet whose headers look most like a lead table (at least ``MIN_REQUIRED_MATCHED``
    required columns; the first on ties). None when there is none. What the adapter sees comes
    from the callables; ``open_table``/``open_range`` make the location of the one chosen."""
    for sheet in sheets:
        for table in tables(sheet):
            if LEADS_TABLE_NAME in (n.casefold() for n in table_names(table) if n):
                return open_table(sheet, table)
    for sheet in sheets:
        if sheet_name(sheet).casefold() in LEADS_SHEET_NAMES:
            found = tables(sheet)
            if found:
                return open_table(sheet, max(found, key=lambda t: header_score(table_headers(t))))  # first on ties
            loc = open_range(sheet)
            if loc is not None:
                return loc
    best, best_score = None, 0
    for sheet in sheets:
        candidates = [(sheet, t, table_headers(t)) for t in tables(sheet)]
        row1 = row1_headers(sheet)
        if row1:
            candidates.append((sheet, None, row1))
        for cand in candidates:
            headers = cand[2]
            required = sum(1 for k in match_headers(headers) if k in REQUIRED)
            score = header_score(headers)
            if required >= MIN_REQUIRED_MATCHED and score > best_score:
                best, best_score = cand, score
    if best is None:
        return None
    sheet, table, _ = best
    return open_table(sheet, table) if table is not None else open_range(sheet)


def check_headers(path: Path, loc) -> None:
    """Refuse a lead table that lacks a required column or has one twice."""
    headers = list(loc.headers)
    found = match_headers(headers)
    missing = [k for k in REQUIRED if k not in found]
    where = f"sheet '{loc.sheet_name}'" + (f", table '{loc.table_name}'" if loc.table_name else "")
    seen = ", ".join(f"'{h}'" for h in headers if h) or "none"
    if missing:
        parts = []
        hints = closest_headers(missing, headers, known=_crm_headers())
        for k in missing:
            col = BY_KEY[k]
            near = hints.get(k)
            parts.append(f"'{col.en}' ({col.zh})" + (f" (closest header: '{near}')" if near else ""))
        raise Refusal(f"{path.name}, {where}: required column not found: {', '.join(parts)}. "
                      f"Headers seen: {seen}. Rename the header or add the column, then run again.",
                      path=path, sheet=loc.sheet_name, column=BY_KEY[missing[0]].en)
    dups = duplicate_headers(headers)
    if dups:
        key, positions = dups[0]
        cols = " and ".join(col_letter(loc.first_col + p) for p in positions)
        raise Refusal(f"{path.name}, {where}: the column '{BY_KEY[key].en}' appears twice (columns {cols}). "
                      f"Rename or remove one of them, then run again.",
                      path=path, sheet=loc.sheet_name, column=BY_KEY[key].en)


def _crm_headers() -> dict[str, tuple[str, ...]]:
    """The CRMs' export headers per column (adapters/exports/presets.py): known aliases for the hint."""
    from salesbook.adapters.exports.presets import PRESETS

    out: dict[str, tuple[str, ...]] = {}
    for p in PRESETS.values():
        for key, names in p.columns:
            out[key] = out.get(key, ()) + tuple(names)
    return out


__all__ = ["LeadsLocation", "choose", "check_headers", "MIN_REQUIRED_MATCHED", "LEADS_SHEET_NAMES",
           "LEADS_TABLE_NAME"]
