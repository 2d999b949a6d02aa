"""Working days: the weekend, the Holidays typed in Settings, and the public holidays (and, for
China, the official make-up working days, 调休) of the Holiday calendar setting
(docs/spec.md §2 Follow-up). Pure computation: the calendars come from the ``holidays`` and
``chinese_calendar`` packages' own data, never from a network."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

from salesbook.rules.settings import Settings

_SLACK_DAYS = 40  # longer than any run of days off (Spring Festival: 9), so a roll always lands


@lru_cache(maxsize=32)
def calendar_days(code: str, years: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """(days off, make-up working days, weekend weekdays 0=Mon…6=Sun) of the calendar ``code``
    ('CN', 'US', 'US-CA' …) in ``years``. For CN, the years ``chinese_calendar`` covers take
    its days off and make-up working days (the State Council's yearly notice); other years
    fall back to the ``holidays`` package's CN public holidays, without make-up days."""
    import holidays

    country, _, subdiv = code.partition("-")
    cal = holidays.country_holidays(country, subdiv=subdiv or None, years=())
    weekend = tuple(sorted(getattr(cal, "weekend", None) or (5, 6)))
    off: set[dt.date] = set()
    on: set[dt.date] = set()
    rest = list(years)
    if country == "CN" and not subdiv:
        from chinese_calendar import constants

        covered = {d.year for d in constants.holidays}
        off.update(d for d in constants.holidays if d.year in years)
        on.update(d for d in constants.workdays if d.year in years)
        rest = [y for y in years if y not in covered]
    if rest:
        off.update(holidays.country_holidays(country, subdiv=subdiv or None, years=rest).keys())
    return (np.array(sorted(off), dtype="datetime64[D]"), np.array(sorted(on), dtype="datetime64[D]"), weekend)


def roll_forward(days: np.ndarray, settings: Settings) -> np.ndarray:
    """Each date (datetime64[D], no NaT) moved forward to the next working day, itself if it is one."""
    typed = np.array(sorted(settings.holidays), dtype="datetime64[D]")
    if not settings.holiday_calendar or not len(days):
        return np.busday_offset(days, 0, roll="forward", holidays=typed)
    years = np.unique(days.astype("datetime64[Y]").astype(np.int64) + 1970)
    years = tuple(int(y) for y in np.union1d(years, years + 1))  # a roll may cross into January
    off, on, weekend = calendar_days(settings.holiday_calendar, years)
    weekmask = [d not in weekend for d in range(7)]
    first, last = days.min(), days.max() + _SLACK_DAYS
    span = np.arange(first, last + 1, dtype="datetime64[D]")
    # A working day: a weekday that is not a day off, or a make-up working day, and never a
    # date typed under Holidays in Settings. Then, per day, the first working day from it on:
    # a running minimum from the end (no loop per date).
    work = np.is_busday(span, weekmask=weekmask, holidays=off) | np.isin(span, on)
    work &= ~np.isin(span, typed)
    at = np.where(work, np.arange(len(span)), len(span))
    next_work = np.minimum.accumulate(at[::-1])[::-1]
    pos = (days - first).astype(np.int64)
    found = next_work[pos]
    if (found == len(span)).any():  # a calendar with no working day for weeks: take busday_offset's answer
        lost = found == len(span)
        out = first + np.minimum(found, len(span) - 1)
        out[lost] = np.busday_offset(days[lost], 0, roll="forward", weekmask=weekmask,
                                     holidays=np.union1d(off, typed))
        return out
    return first + found
