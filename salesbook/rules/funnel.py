"""Stage conversion (funnel) figures (PRODUCT.md §2 Funnel).

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

from ..settings import LOST, OPEN, WON, Settings
from .history import funnel_levels


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


def group_table(f: pd.DataFrame, settings: Settings, reach: pd.Series, extra: pd.DataFrame, by: str) -> pd.DataFrame:
    """The funnel per Owner or per Source: size, value, win rate, reached per stage, conversion.
    The groups are the column's distinct values (blank as '(blank)'); every figure is one
    ``bincount`` over the group codes."""
    live = (f["kind"] != "?").to_numpy()
    codes, uniques = pd.factorize(f[by], use_na_sentinel=True)  # Arrow hashing, no Python strings per row
    codes = codes[live]
    labels = np.array(list(uniques) + ["(blank)"], dtype=object)
    label_codes, names = pd.factorize(labels)  # an owner literally named '(blank)' joins the blanks
    groups = label_codes[np.where(codes >= 0, codes, len(uniques))]
    k = len(names)

    def total(weights=None) -> np.ndarray:
        return np.bincount(groups, weights=weights, minlength=k)

    is_open, is_won, is_lost = ((f["kind"] == k).to_numpy()[live] for k in (OPEN, WON, LOST))  # categorical codes
    prob = np.array([s.probability for s in settings.stages] + [0.0])[f["stage_i"].to_numpy()[live]]
    deal = f["deal_value"].to_numpy(dtype="float64", na_value=np.nan)[live]
    value = np.nan_to_num(deal)
    won_known = is_won & ~np.isnan(deal)
    won_n = total(won_known.astype(np.float64))
    won_sum = total(np.where(won_known, deal, 0.0))
    agg = pd.DataFrame({
        "leads": total(), "open": total(is_open.astype(np.float64)),
        "pipeline": total(np.where(is_open, value, 0.0)),
        "weighted": total(np.where(is_open, value * prob, 0.0)),
        "won": total(is_won.astype(np.float64)), "lost": total(is_lost.astype(np.float64)),
        "stale": total(extra["stale_flag"].to_numpy(dtype=np.float64)[live]),
        "overdue": total(extra["overdue"].to_numpy(dtype=np.float64)[live]),
    }, index=pd.Index(names, dtype=object))
    rr = reach.to_numpy()[live]
    funnel = settings.funnel_stages
    for lvl, st in enumerate(funnel, start=1):
        agg[f"reached:{st.name}"] = total((rr >= lvl).astype(np.float64))
    int_cols = [c for c in agg.columns if c not in ("pipeline", "weighted")]
    agg[int_cols] = agg[int_cols].astype(np.int64)
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
    return FunnelReport(
        kpis=kpis, stages=stages,
        owners=group_table(f, settings, reach, extra, "owner"),
        sources=group_table(f, settings, reach, extra, "source"),
        grades={g: int(grades[i]) for i, g in enumerate(("A", "B", "C", "D"))},
        statuses={s: int(statuses[i]) for i, s in enumerate(("Overdue", "Due today", "This week", "Scheduled"))},
    )
