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
    """Per stage: in stage, value, weighted, reached, conversion, cumulative, days, stale, overdue."""
    funnel = settings.funnel_stages
    value = f["deal_value"].fillna(0)
    rows = []
    reached = [int((reach >= k).sum()) for k in range(1, len(funnel) + 1)]
    for pos, st in enumerate(settings.stages):
        here = f["stage_i"] == pos
        in_funnel = st in funnel
        k = funnel.index(st) if in_funnel else None
        days = extra.loc[here & (f["kind"] == OPEN), "days_in_stage"].dropna()
        rows.append({
            "stage": st.name, "zh": st.zh, "kind": st.kind,
            "in_stage": int(here.sum()),
            "value": float(value[here].sum()),
            "weighted": float(value[here].sum() * st.probability),
            "reached": reached[k] if in_funnel else None,
            "conversion": (reached[k + 1] / reached[k] if reached[k] else None) if in_funnel and k + 1 < len(funnel) else None,
            "cumulative": (reached[k] / reached[0] if reached[0] else None) if in_funnel else None,
            "avg_days": float(days.mean()) if len(days) else None,
            "stale": int((here & extra["stale_flag"]).sum()),
            "overdue": int((here & extra["overdue"]).sum()),
        })
    return pd.DataFrame(rows)


def bottleneck(stages: pd.DataFrame, minimum: int) -> str | None:
    """The stage with the lowest conversion to the next among stages reached by ≥ minimum leads."""
    cand = stages[stages["conversion"].notna() & (stages["reached"].fillna(0) >= minimum)]
    if cand.empty:
        return None
    return str(cand.loc[cand["conversion"].astype(float).idxmin(), "stage"])


def group_table(f: pd.DataFrame, settings: Settings, reach: pd.Series, extra: pd.DataFrame, by: str) -> pd.DataFrame:
    """The funnel per Owner or per Source: size, value, win rate, reached per stage, conversion."""
    key = f[by].astype("object").where(f[by].notna(), "(blank)")
    live = f["kind"] != "?"
    key, ff, rr, ex = key[live], f[live], reach[live], extra[live]
    is_open, is_won, is_lost = ff["kind"] == OPEN, ff["kind"] == WON, ff["kind"] == LOST
    prob = np.array([s.probability for s in settings.stages] + [0.0])[ff["stage_i"].to_numpy()]
    value = ff["deal_value"].fillna(0)
    g = pd.DataFrame({
        "leads": 1, "open": is_open.astype(int), "pipeline": value.where(is_open, 0),
        "weighted": (value * prob).where(is_open, 0), "won": is_won.astype(int), "lost": is_lost.astype(int),
        "won_value": ff["deal_value"].where(is_won), "stale": ex["stale_flag"].astype(int),
        "overdue": ex["overdue"].astype(int),
    }, index=ff.index)
    funnel = settings.funnel_stages
    for k, st in enumerate(funnel, start=1):
        g[f"reached:{st.name}"] = (rr >= k).astype(int)
    agg = g.groupby(key.to_numpy()).agg({**{c: "sum" for c in g.columns if c != "won_value"}, "won_value": "mean"})
    agg = agg.rename(columns={"won_value": "avg_won"})
    agg.insert(agg.columns.get_loc("avg_won"), "win_rate", _safe_div(agg["won"], agg["won"] + agg["lost"]))
    first, last = f"reached:{funnel[0].name}", f"reached:{funnel[-1].name}"
    agg["conversion"] = _safe_div(agg[last], agg[first])
    agg = agg.sort_values(["pipeline", "leads"], ascending=False, kind="stable")
    agg.index.name = by
    return agg.reset_index()


def funnel(f: pd.DataFrame, settings: Settings, extra: pd.DataFrame, hist_max: pd.Series | None = None) -> FunnelReport:
    """All funnel figures. ``extra`` has per-row grade, followup_key, stale_flag, overdue, days_in_stage."""
    reach = reach_level(f, settings, hist_max)
    stages = stage_table(f, settings, reach, extra)
    kpis = _kpis(f, settings)
    kpis["bottleneck"] = bottleneck(stages, settings.bottleneck_min_reached)
    live = f["kind"] != "?"
    grades = extra.loc[live, "grade"].value_counts().to_dict()
    statuses = extra.loc[live, "followup_key"].value_counts().to_dict()
    return FunnelReport(
        kpis=kpis, stages=stages,
        owners=group_table(f, settings, reach, extra, "owner"),
        sources=group_table(f, settings, reach, extra, "source"),
        grades={g: int(grades.get(g, 0)) for g in ("A", "B", "C", "D")},
        statuses={s: int(statuses.get(s, 0)) for s in ("Overdue", "Due today", "This week", "Scheduled")},
    )
