"""Follow-up due dates and status (PRODUCT.md §2 Follow-up)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import GRADES, LOST, OPEN, WON, Settings
from .prepare import Prepared
from .text import t

FOLLOWUP_DEPENDS = ("budget", "authority", "need", "timeline", "stage", "created", "last_contact", "scheduled")
STATUSES = ("Overdue", "Due today", "This week", "Scheduled")


def next_working_day(dates: pd.Series, holidays: tuple) -> pd.Series:
    """Move each date forward to the next Monday–Friday that is not a holiday."""
    ok = dates.notna().to_numpy()
    out = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[ns]")
    if ok.any():
        days = dates[ok].to_numpy().astype("datetime64[D]")
        hol = np.array(sorted(holidays), dtype="datetime64[D]") if holidays else np.array([], dtype="datetime64[D]")
        rolled = np.busday_offset(days, 0, roll="forward", holidays=hol)
        out[ok] = rolled.astype("datetime64[ns]")
    return out


def followup(p: Prepared, settings: Settings, grades: pd.Series, today: pd.Timestamp, lang: str = "en") -> pd.DataFrame:
    """Next Follow-up and Follow-up Status for every row, given this run's grades."""
    f = p.frame
    kind = f["kind"]
    interval = pd.Series(np.nan, index=f.index)
    for cadence, k in ((settings.cadence_open, OPEN), (settings.cadence_won, WON)):
        for g in GRADES:
            days = cadence.get(g)
            if days:
                interval[(kind == k) & (grades == g)] = days
    base = f["last_contact"].fillna(f["created"])
    due = next_working_day(base + pd.to_timedelta(interval, unit="D"), settings.holidays)
    booked = f["scheduled"].notna() & (f["scheduled"] >= today)
    due = due.mask(booked, f["scheduled"])

    delta = (due - today).dt.days.to_numpy(dtype="float64", na_value=np.nan)
    code = np.select([delta < 0, delta == 0, delta <= 7, delta > 7], [0, 1, 2, 3], default=4)
    keys = np.array(list(STATUSES) + [None], dtype=object)
    words = np.array([t(s, lang) for s in STATUSES] + [None], dtype=object)
    out = pd.DataFrame({"next_followup": due, "followup_status": words[code], "followup_key": keys[code]},
                       index=f.index)

    bad = p.bad_any(FOLLOWUP_DEPENDS) | (kind == "?") & ~f["blank_row"]
    if bad.any():
        msg = p.first_problem(FOLLOWUP_DEPENDS)
        out.loc[bad, "next_followup"] = pd.NaT
        out.loc[bad, "followup_status"] = msg[bad].map(lambda m: t("check", lang, msg=m), na_action="ignore")
        out.loc[bad, "followup_key"] = None
    out.loc[f["blank_row"], ["next_followup", "followup_status", "followup_key"]] = [pd.NaT, None, None]
    return out


__all__ = ["followup", "next_working_day", "STATUSES", "LOST"]
