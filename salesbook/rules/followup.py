"""Follow-up due dates and status (docs/spec.md §2 Follow-up)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesbook.rules.settings import GRADES, LOST, OPEN, WON, Settings
from salesbook.rules.depends import DEPENDS
from salesbook.rules.prepare import KINDS, Prepared
from salesbook.rules.text import t
from salesbook.rules.workdays import roll_forward

STATUSES = ("Overdue", "Due today", "This week", "Later")  # "Later": due in more than 7 days


def followup(p: Prepared, settings: Settings, grades: pd.Series, today: pd.Timestamp, lang: str = "en") -> pd.DataFrame:
    """Next Follow-up and Follow-up Status for every row, given this run's grade codes
    (A=0 … D=3, -1 for none)."""
    f = p.frame
    kind = f["kind"].cat.codes.to_numpy()  # positions in prepare.KINDS
    gcode = np.asarray(grades, dtype=np.int64)
    # Days per (stage kind, grade): one small table, looked up by codes.
    table = np.full((len(KINDS), len(GRADES) + 1), np.nan)
    for cadence, k in ((settings.cadence_open, OPEN), (settings.cadence_won, WON)):
        for gi, g in enumerate(GRADES):
            if cadence.get(g):
                table[KINDS.index(k), gi] = cadence[g]
    interval = table[kind, np.where(gcode >= 0, gcode, len(GRADES))]
    # In whole days (datetime64[D]): NaT stays NaT through the arithmetic.
    last, created = f["last_contact"].to_numpy(dtype="datetime64[D]"), f["created"].to_numpy(dtype="datetime64[D]")
    base = np.where(np.isnat(last), created, last)
    with np.errstate(invalid="ignore"):
        days = np.where(np.isnan(interval), np.timedelta64("NaT", "D"), interval.astype("timedelta64[D]"))
    due = base + days
    ok = ~np.isnat(due)
    if ok.any():
        due[ok] = roll_forward(due[ok], settings)  # weekends, Holidays, the Holiday calendar
    scheduled = f["scheduled"].to_numpy(dtype="datetime64[D]")
    day = np.datetime64(today.date(), "D")
    # A booked date replaces the cadence date only for a lead that is followed up at all:
    # one without a cadence (grade D, Closed Lost by default) gets none, Scheduled or not.
    booked = ~np.isnat(scheduled) & (scheduled >= day) & ~np.isnan(interval)
    due = np.where(booked, scheduled, due)

    delta = (due - day).astype("float64")
    delta[np.isnat(due)] = np.nan
    code = np.select([delta < 0, delta == 0, delta <= 7, delta > 7], [0, 1, 2, 3], default=4)

    bad = (p.bad_any(DEPENDS["next_followup"]) | (f["kind"] == "?") & ~f["blank_row"]).to_numpy()
    blank = f["blank_row"].to_numpy()
    code[bad | blank] = 4
    keys = np.array(list(STATUSES) + [None], dtype=object)
    words = np.array([t(s, lang) for s in STATUSES] + [None], dtype=object)
    status = words[code]
    if bad.any():
        msg = p.first_problem(DEPENDS["next_followup"])
        status[bad] = msg[bad].map(lambda m: t("check", lang, msg=m), na_action="ignore").to_numpy(dtype=object)
        status[bad & blank] = None
    due[bad | blank] = np.datetime64("NaT", "D")
    return pd.DataFrame({"next_followup": pd.Series(due.astype("datetime64[ns]"), index=f.index),
                         "followup_status": pd.Series(status, index=f.index, dtype=object),
                         "followup_key": pd.Series(keys[code], index=f.index, dtype=object),
                         "followup_code": code.astype(np.int8)}, index=f.index, copy=False)


__all__ = ["followup", "STATUSES", "LOST"]
