"""Where the lead table is, for both adapters: the checks of its header row.

Each adapter finds the candidate tables and header rows it sees (zip parts for files, xlwings
ranges for a live book); the rules a lead table must meet are here, with their messages.
"""

from __future__ import annotations

from pathlib import Path

from salesbook.cells import col_letter
from salesbook.errors import Refusal
from salesbook.rules.schema import BY_KEY, REQUIRED, closest_header, duplicate_headers, match_headers


def check_headers(path: Path, loc) -> None:
    """Refuse a lead table that lacks a required column or has one twice."""
    headers = list(loc.headers)
    found = match_headers(headers)
    missing = [k for k in REQUIRED if k not in found]
    where = f"sheet '{loc.sheet_name}'" + (f", table '{loc.table_name}'" if loc.table_name else "")
    seen = ", ".join(f"'{h}'" for h in headers if h) or "none"
    if missing:
        parts = []
        for k in missing:
            col = BY_KEY[k]
            near = closest_header(k, headers)
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


__all__ = ["check_headers"]
