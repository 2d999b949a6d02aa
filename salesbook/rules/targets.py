"""Targets: attainment and coverage per owner and period (docs/spec.md §2 Targets, forecast and movement).

For an owner and a period (a month, a quarter or a year):

- **won value** = Σ Deal Value of the owner's Closed Won leads whose Close Date is in the period
  (a won lead without a Close Date is in no period);
- **open value** = Σ Deal Value of the owner's open leads whose expected close date (Close Date,
  else a Timeline date: ``period.expected_close``) is in the period; **weighted open** = Σ value ×
  the stage's probability. Open leads without an expected close date are in no period;
- **target** from the Settings block ``Targets`` (目标): ``Owner | Period | Target``;
- **attainment** = won value / target;
- **remaining** = target − won value; **coverage** = open value / remaining and **weighted
  coverage** = weighted open / remaining, blank when the target is met (remaining ≤ 0);
- an owner without a target for the period is listed with the target blank (attainment and
  coverage blank too); an owner with a target and no leads is listed with zeros.

Blank Deal Values count as 0; rows with an unknown stage (and blank rows) are left out, as on
the Funnel. Owners are matched as typed (surrounding spaces ignored).

Partial tables: ``partial`` gives one row per (owner, period) with additive columns only
(counts and sums, and ``target_n``, the number of target lines behind ``target``), so the
tables of many workbooks reduce by ``reduce`` (concat, group, sum) and ``finish`` divides. The
target lines are a separate part (``target_partial``): a rollup with one team Settings adds
them once, not once per workbook (``lead_partial`` for each book, plus one ``target_partial``).
Every partial of one reduce must use the same ``periods`` (``target_periods``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesbook.rules.settings import OPEN, WON, Settings
from salesbook.rules.period import (
    Period,
    current_quarter,
    expected_close,
    group_sums,
    live_rows,
    owner_keys,
    parse_period,
    probabilities,
    reduce_partials,
    values,
)
from salesbook.rules.prepare import Prepared

KEYS = ("owner", "period")
SUMS = ("won_count", "won_value", "open_count", "open_value", "weighted_open", "target", "target_n")


def target_periods(settings: Settings, today: dt.date, extra: tuple[Period, ...] = ()) -> list[Period]:
    """The periods to report: every period of the Targets block, then ``extra`` (e.g. the
    --period of a run), in that order without repeats; the current quarter when neither
    names one."""
    out: dict[str, Period] = {}
    for t in settings.targets:
        out.setdefault(t.period, parse_period(t.period, relative=False))
    for p in extra:
        out.setdefault(p.label, p)
    if not out:
        q = current_quarter(today)
        out[q.label] = q
    return list(out.values())


def _empty() -> pd.DataFrame:
    return pd.DataFrame({**{k: pd.Series(dtype=object) for k in KEYS},
                         **{k: pd.Series(dtype="int64" if k.endswith(("_count", "_n")) else "float64") for k in SUMS}})


def lead_partial(p: Prepared, settings: Settings, periods: list[Period]) -> pd.DataFrame:
    """Per (owner, period): won and open counts and sums of a prepared lead table; the
    target columns are 0. Every owner of the table gets a row for every period."""
    f = p.frame
    live = live_rows(f)
    if not live.any() or not periods:
        return _empty()
    owner = owner_keys(f)[live]
    kind = f["kind"].to_numpy()[live]
    won, is_open = kind == WON, kind == OPEN
    closed_on = f["close_date"].to_numpy()[live]
    expected = expected_close(p).to_numpy()[live]
    value = values(f)[live]
    weighted = value * probabilities(f, settings)[live]
    parts = []
    for period in periods:  # a handful of periods; every row is handled by numpy in each
        w = won & period.contains(closed_on)
        o = is_open & period.contains(expected)
        parts.append(group_sums({"owner": owner, "period": np.full(len(owner), period.label, dtype=object)},
                                 {"won_count": w, "won_value": np.where(w, value, 0.0),
                                  "open_count": o, "open_value": np.where(o, value, 0.0),
                                  "weighted_open": np.where(o, weighted, 0.0),
                                  "target": np.zeros(len(owner)), "target_n": np.zeros(len(owner), dtype=np.int64)}))
    return pd.concat(parts, ignore_index=True)[list(KEYS + SUMS)]


def target_partial(settings: Settings, periods: list[Period]) -> pd.DataFrame:
    """Per (owner, period) of the Targets block whose period is among ``periods``: the
    target and target_n = 1; the lead columns are 0."""
    wanted = {p.label for p in periods}
    rows = [t for t in settings.targets if t.period in wanted]
    if not rows:
        return _empty()
    n = len(rows)
    return pd.DataFrame({"owner": [t.owner for t in rows], "period": [t.period for t in rows],
                         "won_count": np.zeros(n, dtype=np.int64), "won_value": np.zeros(n),
                         "open_count": np.zeros(n, dtype=np.int64), "open_value": np.zeros(n),
                         "weighted_open": np.zeros(n), "target": [float(t.amount) for t in rows],
                         "target_n": np.ones(n, dtype=np.int64)})


def partial(p: Prepared, settings: Settings, today: dt.date, periods: list[Period] | None = None) -> pd.DataFrame:
    """One workbook's partial table: its leads and its Settings' targets."""
    periods = periods if periods is not None else target_periods(settings, today)
    return reduce([lead_partial(p, settings, periods), target_partial(settings, periods)])


def reduce(partials: list[pd.DataFrame]) -> pd.DataFrame:
    """Partial tables added up per (owner, period)."""
    return reduce_partials(partials, KEYS)


def finish(reduced: pd.DataFrame) -> pd.DataFrame:
    """The Targets table: the reduced sums with target (blank where no target line),
    remaining, attainment, coverage and weighted coverage; sorted by period, then owner."""
    out = reduced.copy()
    has = out["target_n"].to_numpy() > 0
    target = np.where(has, out["target"].to_numpy(dtype="float64"), np.nan)
    won = out["won_value"].to_numpy(dtype="float64")
    remaining = target - won
    with np.errstate(divide="ignore", invalid="ignore"):
        out["target"] = target
        out["remaining"] = remaining
        out["attainment"] = np.where(target > 0, won / target, np.nan)
        left = remaining > 0  # NaN (no target) compares False
        out["coverage"] = np.where(left, out["open_value"].to_numpy(dtype="float64") / remaining, np.nan)
        out["weighted_coverage"] = np.where(left, out["weighted_open"].to_numpy(dtype="float64") / remaining, np.nan)
    out = out.drop(columns="target_n")
    return out.sort_values(["period", "owner"], kind="stable").reset_index(drop=True)


__all__ = ["KEYS", "SUMS", "target_periods", "lead_partial", "target_partial", "partial", "reduce", "finish"]
