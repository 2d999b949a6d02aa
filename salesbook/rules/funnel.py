"""Stage conversion (funnel) figures (docs/spec.md §2 Funnel).

A lead has *reached* funnel position k when its current stage is at k or later (Closed
Won reaches every stage), when a Closed Lost lead's Lost At Stage is at k or later, or
when History shows it at k or later. A Closed Lost lead with no Lost At Stage and no
History still counts as having entered the funnel (position 1). Moving back never
un-reaches a stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesbook.rules.settings import LOST, OPEN, WON, Settings
from salesbook.rules.followup import STATUSES
from salesbook.rules.history import funnel_levels
from salesbook.rules.prepare import KINDS


@dataclass
class FunnelReport:
    kpis: dict[str, float | int | str | None]
    stages: pd.DataFrame   # one row per stage (funnel stages, then lost)
    owners: pd.DataFrame
    sources: pd.DataFrame
    grades: dict[str, int]
    statuses: dict[str, int]


def reach_level(f: pd.DataFrame, settings: Settings, hist_max: pd.Series | None = None) -> pd.Series:
    """Furthest funnel position (1-based) each lead reached; 0 for rows outside the funnel."""
    level = funnel_levels(settings)
    cur = level[f["stage_i"].to_numpy()]
    lost = (f["kind"] == LOST).to_numpy()
    lost_at = level[f["lost_i"].to_numpy()]
    lvl = np.where(lost, np.maximum(lost_at, 1), cur)
    if hist_max is not None:
        lvl = np.where(lvl > 0, np.maximum(lvl, hist_max.reindex(f.index).fillna(0).to_numpy()), lvl)
    return pd.Series(lvl, index=f.index)


def _safe_div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(b, dtype=float) > 0, np.asarray(a, dtype=float) / np.asarray(b, dtype=float), np.nan)


def _kpis(f: pd.DataFrame, settings: Settings) -> dict:
    is_open, is_won, is_lost = (f["kind"] == OPEN), (f["kind"] == WON), (f["kind"] == LOST)
    prob = np.array([s.probability for s in settings.stages] + [0.0])[f["stage_i"].to_numpy()]
    value = f["deal_value"].fillna(0)
    won, lost = int(is_won.sum()), int(is_lost.sum())
    win_rate = won / (won + lost) if won + lost else None
    won_values = f.loc[is_won, "deal_value"].dropna()
    avg_won = float(won_values.mean()) if len(won_values) else None
    cycle = (f.loc[is_won, "close_date"] - f.loc[is_won, "created"]).dt.days.dropna()
    avg_cycle = float(cycle.mean()) if len(cycle) else None
    n_open = int(is_open.sum())
    velocity = None
    if avg_won is not None and win_rate is not None and avg_cycle:
        velocity = n_open * avg_won * win_rate / avg_cycle
    return {
        "leads": int((f["kind"] != "?").sum()),
        "open": n_open,
        "pipeline": float(value[is_open].sum()),
        "weighted": float((value * prob)[is_open].sum()),
        "won": won,
        "lost": lost,
        "win_rate": win_rate,
        "avg_won": avg_won,
        "avg_cycle": avg_cycle,
        "velocity_day": velocity,
        "velocity_30": velocity * 30 if velocity is not None else None,
    }


def stage_table(f: pd.DataFrame, settings: Settings, reach: pd.Series, extra: pd.DataFrame) -> pd.DataFrame:
    """Per stage: in stage, value, weighted, reached, conversion, cumulative, days, stale, overdue.
    One ``bincount`` per figure over the stage codes, not a pass per stage."""
    funnel = settings.funnel_stages
    n_st = len(settings.stages)
    stage_i = f["stage_i"].to_numpy().astype(np.int64)
    bins = np.where(stage_i >= 0, stage_i, n_st)  # unknown stages in a spare last bin

    def per_stage(weights=None, mask=None) -> np.ndarray:
        b = bins if mask is None else bins[mask]
        w = weights if weights is None or mask is None else weights[mask]
        return np.bincount(b, weights=w, minlength=n_st + 1)[:n_st]

    value = f["deal_value"].fillna(0).to_numpy()
    count = per_stage()
    values = per_stage(value)
    days = extra["days_in_stage"].to_numpy(dtype="float64", na_value=np.nan)
    days_ok = (f["kind"] == OPEN).to_numpy() & ~np.isnan(days)
    day_sum, day_n = per_stage(np.nan_to_num(days), days_ok), per_stage(None, days_ok)
    stale_n = per_stage(None, extra["stale_flag"].to_numpy(dtype=bool))
    overdue_n = per_stage(None, extra["overdue"].to_numpy(dtype=bool))
    levels = np.bincount(np.clip(reach.to_numpy().astype(np.int64), 0, None), minlength=len(funnel) + 1)
    reached = [int(levels[k:].sum()) for k in range(1, len(funnel) + 1)]
    rows = []
    for pos, st in enumerate(settings.stages):
        in_funnel = st in funnel
        k = funnel.index(st) if in_funnel else None
        rows.append({
            "stage": st.name, "zh": st.zh, "kind": st.kind,
            "in_stage": int(count[pos]),
            "value": float(values[pos]),
            "weighted": float(values[pos] * st.probability),
            "reached": reached[k] if in_funnel else None,
            "conversion": (reached[k + 1] / reached[k] if reached[k] else None) if in_funnel and k + 1 < len(funnel) else None,
            "cumulative": (reached[k] / reached[0] if reached[0] else None) if in_funnel else None,
            "avg_days": float(day_sum[pos] / day_n[pos]) if day_n[pos] else None,
            "stale": int(stale_n[pos]),
            "overdue": int(overdue_n[pos]),
        })
    return pd.DataFrame(rows)


def bottleneck(stages: pd.DataFrame, minimum: int) -> str | None:
    """The stage with the lowest conversion to the next among stages reached by ≥ minimum leads."""
    cand = stages[stages["conversion"].notna() & (stages["reached"].fillna(0) >= minimum)]
    if cand.empty:
        return None
    return str(cand.loc[cand["conversion"].astype(float).idxmin(), "stage"])


@dataclass
class _Facts:
    """Per live lead (stage known), what the per-owner and per-source tables add up."""

    live: np.ndarray        # bool per row of the lead table
    state: np.ndarray       # 0 open, 1 won, 2 lost
    open_value: np.ndarray  # deal value of open leads, else 0
    open_weighted: np.ndarray
    won_known: np.ndarray   # 1 for a won lead with a deal value
    won_value: np.ndarray
    flags: np.ndarray       # 2 × stale + overdue
    reach: np.ndarray       # funnel position reached, 0 … number of funnel stages


def _facts(f: pd.DataFrame, settings: Settings, reach: pd.Series, extra: pd.DataFrame) -> _Facts:
    live = (f["kind"] != "?").to_numpy()
    kinds = f["kind"].cat.codes.to_numpy()[live]  # positions in prepare.KINDS: open, won, lost
    state = np.select([kinds == KINDS.index(OPEN), kinds == KINDS.index(WON)], [0, 1], 2)
    prob = np.array([s.probability for s in settings.stages] + [0.0])[f["stage_i"].to_numpy()[live]]
    deal = f["deal_value"].to_numpy(dtype="float64", na_value=np.nan)[live]
    value = np.nan_to_num(deal)
    is_open = state == 0
    won_known = (state == 1) & ~np.isnan(deal)
    flags = 2 * extra["stale_flag"].to_numpy(dtype=np.int64)[live] + extra["overdue"].to_numpy(dtype=np.int64)[live]
    return _Facts(live, state, np.where(is_open, value, 0.0), np.where(is_open, value * prob, 0.0),
                  won_known.astype(np.int64), np.where(won_known, deal, 0.0), flags,
                  np.clip(reach.to_numpy().astype(np.int64)[live], 0, len(settings.funnel_stages)))


def group_table(f: pd.DataFrame, settings: Settings, reach: pd.Series, extra: pd.DataFrame, by: str,
                facts: _Facts | None = None) -> pd.DataFrame:
    """The funnel per Owner or per Source: size, value, win rate, reached per stage, conversion.
    The groups are the column's distinct values (blank as '(blank)'); the counts come from one
    ``bincount`` over (group, category) pairs, the sums from one per amount."""
    x = facts or _facts(f, settings, reach, extra)
    codes, uniques = pd.factorize(f[by], use_na_sentinel=True)  # Arrow hashing, no Python strings per row
    codes = codes[x.live]
    labels = np.array(list(uniques) + ["(blank)"], dtype=object)
    label_codes, names = pd.factorize(labels)  # an owner literally named '(blank)' joins the blanks
    groups = label_codes[np.where(codes >= 0, codes, len(uniques))]
    k = len(names)

    def counts(category: np.ndarray, n: int) -> np.ndarray:  # k × n table of counts
        return np.bincount(groups * n + category, minlength=k * n).reshape(k, n)

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(groups, weights=weights, minlength=k)

    states = counts(x.state, 3)
    flags = counts(x.flags, 4)
    funnel = settings.funnel_stages
    levels = counts(x.reach, len(funnel) + 1)
    reached = np.cumsum(levels[:, ::-1], axis=1)[:, ::-1]  # reached[:, L] = leads at level ≥ L
    won_n, won_sum = counts(x.won_known, 2)[:, 1], total(x.won_value)
    agg = pd.DataFrame({
        "leads": states.sum(axis=1), "open": states[:, 0],
        "pipeline": total(x.open_value), "weighted": total(x.open_weighted),
        "won": states[:, 1], "lost": states[:, 2],
        "stale": flags[:, 2] + flags[:, 3], "overdue": flags[:, 1] + flags[:, 3],
    }, index=pd.Index(names, dtype=object))
    for lvl, st in enumerate(funnel, start=1):
        agg[f"reached:{st.name}"] = reached[:, lvl]
    agg["win_rate"] = _safe_div(agg["won"], agg["won"] + agg["lost"])
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["avg_won"] = np.where(won_n > 0, won_sum / np.where(won_n > 0, won_n, 1), np.nan)
    first, last = f"reached:{funnel[0].name}", f"reached:{funnel[-1].name}"
    agg["conversion"] = _safe_div(agg[last], agg[first])
    agg = agg[agg["leads"] > 0].sort_index().sort_values(["pipeline", "leads"], ascending=False, kind="stable")
    agg.index.name = by
    return agg.reset_index()


def funnel(f: pd.DataFrame, settings: Settings, extra: pd.DataFrame, hist_max: pd.Series | None = None) -> FunnelReport:
    """All funnel figures. ``extra`` has per-row grade_code (A=0 … D=3, -1 none), followup_code
    (a position in followup.STATUSES, 4 none), stale_flag, overdue and days_in_stage."""
    reach = reach_level(f, settings, hist_max)
    stages = stage_table(f, settings, reach, extra)
    kpis = _kpis(f, settings)
    kpis["bottleneck"] = bottleneck(stages, settings.bottleneck_min_reached)
    live = (f["kind"] != "?").to_numpy()
    grades = np.bincount(extra["grade_code"].to_numpy()[live] + 1, minlength=5)[1:]  # code -1 (none) → bin 0
    statuses = np.bincount(extra["followup_code"].to_numpy()[live], minlength=5)
    facts = _facts(f, settings, reach, extra)
    return FunnelReport(
        kpis=kpis, stages=stages,
        owners=group_table(f, settings, reach, extra, "owner", facts),
        sources=group_table(f, settings, reach, extra, "source", facts),
        grades={g: int(grades[i]) for i, g in enumerate(("A", "B", "C", "D"))},
        statuses={s: int(statuses[i]) for i, s in enumerate(STATUSES)},
    )
