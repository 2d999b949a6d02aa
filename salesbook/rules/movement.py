"""Movement: what happened to the pipeline in a period, against the period before it
(docs/spec.md §2 Targets, forecast and movement).

Inputs: the prepared lead table and the History rows (Lead ID, From, To, Date; see
rules/history.py). The lead table's current stage counts as one more History row dated today
(what the next Refresh Funnel records), so a lead moved since the last refresh is seen.

*The stage of a lead on a day* is the To of its last History row dated on or before that day
(rows of the same day in sheet order). For a period [start, end]:

- **stage before** = its stage on the day before ``start``; when History has no row before
  ``start``, the From of its first row in the period (blank when that row is a first sighting);
- **stage after** = its stage on ``end``.

Each lead (the first row of each Lead ID, a known stage) counts in at most one line, the first
that holds:

1. *out of scope* (not counted): created after ``end``; or closed before the period — Closed
   Won / Closed Lost now with a Close Date before ``start``, or, without a Close Date, closed
   before and after the period in the same stage;
2. **won** — Closed Won now with a Close Date in the period; a lead without a Close Date (or
   not closed now): stage after is a won stage and stage before is not;
3. **lost** — the same with Closed Lost;
4. **new** — created in the period (and not won or lost in it);
5. **advanced** — stage before and stage after both known and the stage after is further along
   the funnel (open stages in Settings order, then Closed Won; Closed Lost before the first
   stage, so a lost lead reopened has advanced, a won one reopened has moved back);
6. **moved back** — the same, the stage after earlier in that order;
7. **unchanged** — every other lead: no move, moves that came back to where they started, or
   a stage before or after that History cannot tell (History started later, or a stage
   name it holds is no longer in Settings).

Counts and Σ Deal Value (blank as 0), per owner (the lead's Owner now). Leads whose Lead ID
is blank or repeats an earlier row are left out (History follows Lead IDs), as are History
rows of leads no longer in the table.

``partial`` gives additive (owner, period, movement) rows for the period and the one before
it; ``reduce`` adds the tables of many workbooks; ``finish`` sets the period beside the one
before it, per owner and in total.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesbook.rules.settings import LOST, WON, Settings
from salesbook.rules.history import _stage_codes, funnel_levels
from salesbook.rules.period import Period, group_sums, owner_keys, reduce_partials, values
from salesbook.rules.columnar import first_of_codes
from salesbook.rules.prepare import Prepared

KEYS = ("owner", "period", "movement")
SUMS = ("leads", "value")
MOVEMENTS = ("new", "advanced", "moved_back", "won", "lost", "unchanged")


class _Timeline:
    """The History rows of the leads considered, plus today's stage of each, as numpy arrays
    sorted by lead, then date, then sheet order (today's row last on its day)."""

    def __init__(self, p: Prepared, history: pd.DataFrame, settings: Settings, today: dt.date):
        f = p.frame
        keep = f["lead_id"].notna().to_numpy() & (f["kind"] != "?").to_numpy()
        at = np.flatnonzero(keep)
        at = at[first_of_codes(f["lead_code"].to_numpy()[at]) == np.arange(len(at))]  # first row of each Lead ID
        self.at, self.n = at, len(at)
        lead, from_i, to_i, dates = self._history(f["lead_id"].iloc[at], history, settings)
        lead = np.concatenate([lead, np.arange(self.n)])
        from_i = np.concatenate([from_i, np.full(self.n, -1)])
        to_i = np.concatenate([to_i, f["stage_i"].to_numpy()[at].astype(np.int64)])
        dates = np.concatenate([dates, np.full(self.n, np.datetime64(today, "ns"))])
        order = np.lexsort((np.arange(len(lead)), dates, lead))  # the last key sorts first
        self.lead, self.from_i, self.to_i, self.date = lead[order], from_i[order], to_i[order], dates[order]

    @staticmethod
    def _history(ids: pd.Series, history: pd.DataFrame, settings: Settings):
        """History rows of these Lead IDs: (lead position, from_i, to_i, date); rows of other
        IDs (archived leads) and rows without a date are left out."""
        if not len(history):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, "datetime64[ns]")
        both = pd.concat([ids.astype(pd.StringDtype("pyarrow")),
                          history["lead_id"].astype(pd.StringDtype("pyarrow"))], ignore_index=True)
        codes, uniques = pd.factorize(both, use_na_sentinel=True)  # one hash over both tables' IDs
        position = np.full(len(uniques) + 1, -1, dtype=np.int64)  # code → lead position (-1: none)
        position[codes[:len(ids)]] = np.arange(len(ids))
        lead = position[codes[len(ids):]]
        dates = history["date"].to_numpy(dtype="datetime64[ns]")
        keep = (lead >= 0) & ~np.isnat(dates)
        h = history[keep]
        return (lead[keep], _stage_codes(h["from"], settings).astype(np.int64),  # blank From (a first sighting) → -1
                _stage_codes(h["to"], settings).astype(np.int64), dates[keep])

    def _per_lead(self, mask: np.ndarray, values: np.ndarray, last: bool) -> np.ndarray:
        """Per lead (0 … n-1), ``values`` at its last (or first) row where ``mask`` holds; -1 when none."""
        out = np.full(self.n, -1, dtype=np.int64)
        rows = np.flatnonzero(mask)
        if len(rows):
            lead = self.lead[rows]
            edge = np.r_[lead[1:] != lead[:-1], True] if last else np.r_[True, lead[1:] != lead[:-1]]
            out[lead[edge]] = values[rows[edge]]
        return out

    def stage_before(self, period: Period) -> np.ndarray:
        """The stage on the day before the period; else the From of the first row in it."""
        start, end = np.datetime64(period.start, "ns"), np.datetime64(period.end, "ns")
        before = self._per_lead(self.date < start, self.to_i, last=True)
        first_from = self._per_lead((self.date >= start) & (self.date <= end), self.from_i, last=False)
        return np.where(before >= 0, before, first_from)

    def stage_after(self, period: Period) -> np.ndarray:
        """The stage on the last day of the period."""
        return self._per_lead(self.date <= np.datetime64(period.end, "ns"), self.to_i, last=True)


def classify(p: Prepared, history: pd.DataFrame, settings: Settings, today: dt.date,
             period: Period, timeline: _Timeline | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(positions in the lead table of the leads considered, their movement code: an index
    into MOVEMENTS, or -1 when out of scope). ``history`` as ``history_from_grid`` gives it."""
    f = p.frame
    tl = timeline or _Timeline(p, history, settings, today)
    at = tl.at
    start, end = np.datetime64(period.start, "ns"), np.datetime64(period.end, "ns")
    before, after = tl.stage_before(period), tl.stage_after(period)

    kinds = np.array([s.kind for s in settings.stages] + ["?"], dtype=object)
    kind_b, kind_a = kinds[before], kinds[after]  # index -1 → "?"
    kind_now = f["kind"].to_numpy()[at].astype(object)
    closed_now = (kind_now == WON) | (kind_now == LOST)
    close_date = f["close_date"].to_numpy()[at]
    has_cd = closed_now & ~np.isnat(close_date)
    created = f["created"].to_numpy()[at]

    out_of_scope = (created > end) | np.where(has_cd, close_date < start,
                                              np.isin(kind_b, [WON, LOST]) & (before == after))
    in_p = period.contains
    won = np.where(has_cd, (kind_now == WON) & in_p(close_date), (kind_a == WON) & (kind_b != WON))
    lost = np.where(has_cd, (kind_now == LOST) & in_p(close_date), (kind_a == LOST) & (kind_b != LOST))
    new = in_p(created)
    level = funnel_levels(settings)
    known = (before >= 0) & (after >= 0)
    lvl_b, lvl_a = level[before], level[after]
    code = np.select([out_of_scope, won, lost, new, known & (lvl_a > lvl_b), known & (lvl_a < lvl_b)],
                     [-1, MOVEMENTS.index("won"), MOVEMENTS.index("lost"), MOVEMENTS.index("new"),
                      MOVEMENTS.index("advanced"), MOVEMENTS.index("moved_back")], MOVEMENTS.index("unchanged"))
    return at, code


def partial(p: Prepared, history: pd.DataFrame, settings: Settings, today: dt.date,
            period: Period) -> pd.DataFrame:
    """Per (owner, period, movement), for ``period`` and ``period.previous()``: leads and value."""
    f = p.frame
    parts = []
    owners = owner_keys(f)
    value = values(f)
    names = np.array(MOVEMENTS, dtype=object)
    timeline = _Timeline(p, history, settings, today)  # shared by both periods
    for each in (period, period.previous()):
        at, code = classify(p, history, settings, today, each, timeline)
        ok = code >= 0
        parts.append(group_sums({"owner": owners[at][ok], "period": np.full(int(ok.sum()), each.label, dtype=object),
                                 "movement": names[code[ok]]},
                                {"leads": np.ones(int(ok.sum()), dtype=np.int64), "value": value[at][ok]}))
    return pd.concat(parts, ignore_index=True)[list(KEYS + SUMS)]


def reduce(partials: list[pd.DataFrame]) -> pd.DataFrame:
    """Partial tables added up per (owner, period, movement)."""
    return reduce_partials(partials, KEYS)


def finish(reduced: pd.DataFrame, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per owner, total): one row per owner and movement (in MOVEMENTS order, every owner ×
    every movement) with leads and value in ``period`` and in the one before it (prev_leads,
    prev_value) and the change in leads."""
    prev = period.previous()
    owners = sorted(reduced["owner"].unique().tolist(), key=str)
    grid = pd.MultiIndex.from_product([owners, MOVEMENTS], names=["owner", "movement"])

    def one(label: str) -> pd.DataFrame:
        part = reduced[reduced["period"] == label].set_index(["owner", "movement"])[list(SUMS)]
        return part.reindex(grid, fill_value=0)

    now, before = one(period.label), one(prev.label)
    per_owner = now.join(before.rename(columns={"leads": "prev_leads", "value": "prev_value"}))
    per_owner["change"] = per_owner["leads"] - per_owner["prev_leads"]
    per_owner = per_owner.reset_index()
    total = per_owner.groupby("movement", sort=False)[["leads", "value", "prev_leads", "prev_value", "change"]].sum()
    return per_owner, total.reindex(list(MOVEMENTS), fill_value=0).reset_index()


__all__ = ["KEYS", "SUMS", "MOVEMENTS", "classify", "partial", "reduce", "finish"]
