"""Python values as xlwings writes them into Excel.

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
import math
import re

import numpy as np
import pandas as pd


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



def _runs(positions: list[int]) -> list[list[int]]:
    """[3, 4, 5, 9, 10] → [[3, 4, 5], [9, 10]]."""
    runs: list[list[int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


__all__ = ["safe_text", "excel_value", "column_values", "frame_grid"]
