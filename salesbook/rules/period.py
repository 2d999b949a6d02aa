"""Periods and the dates the manager's views share (docs/spec.md §2 Targets, forecast and movement).

A period is a closed range of days ``[start, end]``:

- ``2026-11``: a month (also ``2026/11``, ``2026年11月``);
- ``2026-Q4``: a quarter (also ``2026Q4``, ``2026 q4``, ``2026年Q4``, ``2026年第4季度``);
- ``2026``: a year (also ``2026年``);
- ``last-30-days``: the N days ending today, today included (generally ``last-N-days``;
  also ``last 30 days``, ``最近30天``).

``Period.previous()`` is "the one before it", of the same length: the month, quarter or year
before, or the N days before the first of the N days. Anything else is refused with one
sentence (``PeriodError``) saying what a period looks like.

Also here, because the stale rule, targets and the forecast must agree on it: the *expected
close date* of a lead (``expected_close``), and the owner keys of the per-owner partial tables.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from salesbook.rules.prepare import Prepared

MONTH, QUARTER, YEAR, DAYS = "month", "quarter", "year", "days"
FIRST_YEAR, LAST_YEAR = 1900, 2199  # the dates a lead sheet can hold (rules/reading.py)
BLANK_OWNER = "(blank)"  # the key of leads without an Owner, as on the Funnel's per-owner table

SHAPES = "a month (2026-11), a quarter (2026-Q4), a year (2026) or last-N-days (last-30-days)"
FIXED_SHAPES = "a month (2026-11), a quarter (2026-Q4) or a year (2026)"

_YEAR = re.compile(r"^(\d{4})\s*年?$")
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")
_QUARTER = re.compile(r"^(\d{4})\s*(?:[-/.]|年)?\s*(?:q|第)\s*([1-4])\s*(?:季度?)?$")
_DAYS = re.compile(r"^(?:last(?:-|_|\s+)(\d+)(?:-|_|\s+)days?|最近\s*(\d+)\s*天)$")


class PeriodError(ValueError):
    """A text that is not a period; ``str()`` is the sentence to show."""


@dataclass(frozen=True)
class Period:
    kind: str      # month | quarter | year | days
    start: dt.date
    end: dt.date   # inclusive
    label: str     # canonical: 2026-11 · 2026-Q4 · 2026 · last-30-days (a previous N days: 2026-09-20..2026-10-19)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        if self.kind == MONTH:
            first = (self.start - dt.timedelta(days=1)).replace(day=1)
            return month(first.year, first.month)
        if self.kind == QUARTER:
            before = self.start - dt.timedelta(days=1)
            return quarter(before.year, (before.month - 1) // 3 + 1)
        if self.kind == YEAR:
            return year(self.start.year - 1)
        end = self.start - dt.timedelta(days=1)
        start = end - dt.timedelta(days=self.days - 1)
        _check_year(start.year, self.label)
        return Period(DAYS, start, end, f"{start.isoformat()}..{end.isoformat()}")

    def contains(self, dates: pd.Series | np.ndarray) -> np.ndarray:
        """Vectorised: True where a date (datetime64) falls in the period; NaT → False."""
        values = np.asarray(dates, dtype="datetime64[ns]")
        return (values >= np.datetime64(self.start, "ns")) & (values <= np.datetime64(self.end, "ns"))


def month(y: int, m: int) -> Period:
    start = dt.date(y, m, 1)
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return Period(MONTH, start, nxt - dt.timedelta(days=1), f"{y:04d}-{m:02d}")


def quarter(y: int, q: int) -> Period:
    start = dt.date(y, 3 * q - 2, 1)
    end = month(y, 3 * q).end
    return Period(QUARTER, start, end, f"{y:04d}-Q{q}")


def year(y: int) -> Period:
    return Period(YEAR, dt.date(y, 1, 1), dt.date(y, 12, 31), f"{y:04d}")


def last_days(n: int, today: dt.date) -> Period:
    return Period(DAYS, today - dt.timedelta(days=n - 1), today, f"last-{n}-days")


def _check_year(y: int, text: object) -> None:
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise PeriodError(f"'{text}' is not a period: its dates must fall between {FIRST_YEAR} and {LAST_YEAR}.")


def parse_period(text: object, today: dt.date | None = None, *, relative: bool = True) -> Period:
    """The period a text names, or ``PeriodError`` with one sentence. ``relative=False``
    allows only fixed periods (a month, a quarter or a year), as targets need."""
    shapes = SHAPES if relative else FIXED_SHAPES
    s = str(text).strip().lower() if text is not None else ""
    if (m := _YEAR.match(s)):
        _check_year(int(m.group(1)), text)
        return year(int(m.group(1)))
    if (m := _MONTH.match(s)) and 1 <= int(m.group(2)) <= 12:
        _check_year(int(m.group(1)), text)
        return month(int(m.group(1)), int(m.group(2)))
    if (m := _QUARTER.match(s)):
        _check_year(int(m.group(1)), text)
        return quarter(int(m.group(1)), int(m.group(2)))
    if relative and (m := _DAYS.match(s)):
        n = int(m.group(1) or m.group(2))
        if today is None:
            raise PeriodError(f"'{text}' counts back from today, and no today was given.")
        if n < 1:
            raise PeriodError(f"'{text}' is not a period: last-N-days needs N of at least 1 (last-30-days).")
        if n > (today - dt.date(FIRST_YEAR, 1, 1)).days + 1:
            raise PeriodError(f"'{text}' is not a period: its dates must fall between {FIRST_YEAR} and {LAST_YEAR}.")
        return last_days(n, today)
    raise PeriodError(f"'{text}' is not a period: write {shapes}.")


def period_of_cell(value: object) -> Period:
    """A fixed period from a spreadsheet cell: text as ``parse_period``; a whole number is a
    year (Excel turns a typed 2026 into one); a date on the 1st of a month is that month
    (Excel turns a typed 2026-11 into 2026-11-01). Raises ``PeriodError``."""
    if isinstance(value, bool):
        raise PeriodError(f"'{value}' is not a period: write {FIXED_SHAPES}.")
    if isinstance(value, (int, float)):  # a number cell names a year, or nothing (2026.5 is no month)
        if not float(value).is_integer():
            raise PeriodError(f"'{value}' is not a period: write {FIXED_SHAPES}.")
        return parse_period(str(int(value)), relative=False)
    if isinstance(value, dt.date):  # datetime too
        if value.day == 1 and (not isinstance(value, dt.datetime) or value.time() == dt.time()):
            _check_year(value.year, value)
            return month(value.year, value.month)
        raise PeriodError(f"'{value:%Y-%m-%d}' is not a period: write {FIXED_SHAPES} (a date names no period).")
    return parse_period(value, relative=False)


def current_quarter(today: dt.date) -> Period:
    return quarter(today.year, (today.month - 1) // 3 + 1)


# ---- what the manager's views share ------------------------------------------------

def expected_close(p: Prepared) -> pd.Series:
    """The expected close date of each lead of a ``Prepared`` table: its Close Date when set,
    else its Timeline when the Timeline is a date; NaT otherwise. A Close Date that could not
    be read gives NaT, not the Timeline (the stale rule says "Check" for it instead).
    Meaningful for open leads; a closed lead's Close Date is when it closed."""
    f = p.frame
    close = f["close_date"]
    fallback = f["timeline_date"]
    unreadable = p.bad.get("close_date")
    if unreadable is not None:
        fallback = fallback.mask(unreadable.reindex(f.index, fill_value=False))
    return close.fillna(fallback)


def month_numbers(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Vectorised: months since 1970-01 per date (float, NaN for NaT), so that the number
    of months between two dates is a subtraction."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    months = values.astype("datetime64[M]").astype(np.int64).astype("float64")
    months[np.isnat(values)] = np.nan
    return months


def owner_keys(f: pd.DataFrame) -> np.ndarray:
    """Per row, the Owner as typed (surrounding spaces trimmed) as an object array; blank
    owners as ``(blank)``. The key of every per-owner partial table, so partial tables of
    several workbooks add up owner by owner."""
    codes, uniques = pd.factorize(f["owner"], use_na_sentinel=True)  # hashed in Arrow: one Python string per owner
    return np.append(np.asarray(uniques, dtype=object), BLANK_OWNER)[codes]  # code -1 (blank) → the last


def live_rows(f: pd.DataFrame) -> np.ndarray:
    """Rows the views count: a known stage (blank rows and unknown stages are left out,
    as the Funnel leaves them out)."""
    return (f["kind"] != "?").to_numpy()


def probabilities(f: pd.DataFrame, settings) -> np.ndarray:
    """Per row, the stage's probability from Settings (0 for an unknown stage)."""
    return np.array([s.probability for s in settings.stages] + [0.0])[f["stage_i"].to_numpy()]


def values(f: pd.DataFrame) -> np.ndarray:
    """Per row, the Deal Value, blank (or unreadable) as 0."""
    return np.nan_to_num(f["deal_value"].to_numpy(dtype="float64", na_value=np.nan))


def created_in(f: pd.DataFrame, period: Period) -> np.ndarray:
    """Vectorised mask: the lead was created in the period (a blank Created is not)."""
    return period.contains(f["created"])


def group_sums(keys: dict[str, np.ndarray], sums: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per distinct combination of ``keys`` (in order of first appearance), with
    the sums of ``sums``: one pandas ``groupby``, keys back as columns."""
    columns = [np.asarray(v, dtype=object) for v in keys.values()]
    group = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for v in columns:  # one integer per combination of keys: the rows are grouped on numbers, not texts
        codes, uniques = pd.factorize(v)
        group = group * (len(uniques) + 1) + codes
    group, _ = pd.factorize(group)  # 0, 1, … in order of first appearance
    first = np.full(group.max() + 1 if len(group) else 0, len(group), dtype=np.int64)
    np.minimum.at(first, group, np.arange(len(group)))
    totals = pd.DataFrame({k: _number(v) for k, v in sums.items()}).groupby(group, sort=True).sum()
    out = pd.DataFrame({k: v[first] for k, v in zip(keys, columns)})
    for k in sums:
        out[k] = totals[k].to_numpy()
    return out


def _number(v: np.ndarray) -> np.ndarray:
    """Counts (booleans, integers) as int64, amounts as float64."""
    v = np.asarray(v)
    return v.astype(np.int64) if v.dtype.kind in "biu" else v.astype("float64")


def reduce_partials(partials: list[pd.DataFrame], keys: tuple[str, ...]) -> pd.DataFrame:
    """Partial tables (of one workbook each, or of any split of the leads) added up:
    ``pd.concat(partials).groupby(keys).sum()``, keys back as columns."""
    frames = [p for p in partials if p is not None]
    if not frames:
        raise ValueError("no partial tables to reduce")
    return pd.concat(frames, ignore_index=True).groupby(list(keys), sort=False).sum().reset_index()


__all__ = ["Period", "PeriodError", "parse_period", "period_of_cell", "month", "quarter", "year", "last_days",
           "current_quarter", "expected_close", "month_numbers", "owner_keys", "created_in", "reduce_partials",
           "group_sums", "BLANK_OWNER"]
