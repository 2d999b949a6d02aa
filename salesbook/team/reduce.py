"""Add the books' partial tables up into the team's figures (pure: tables in, tables out).

Counts and sums add; averages are carried as a sum and a count and divided only here. Stages
are matched by name: the team's Settings give their order when ``--settings`` is used, else
the books' stages in order of first appearance (open stages, then won, then lost).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesbook.rules import forecast, movement, targets
from salesbook.rules.period import Period, current_quarter, parse_period, reduce_partials
from salesbook.rules.settings import LOST, OPEN, WON, Settings
from salesbook.team.duplicates import cross_book, text_take
from salesbook.team.partials import FUNNEL_KEYS, FUNNEL_SUMS, BookPartial, Plan, Stack, stack

_KIND_ORDER = {OPEN: 0, WON: 1, LOST: 2}


@dataclass
class TeamFigures:
    plan: Plan
    books: list[str]                 # the included books' names, in order
    failed: list[tuple[str, str]]    # (book, reason)
    language: str
    leads: int
    stages: pd.DataFrame             # stage, zh, kind, probability (team order)
    funnel: pd.DataFrame             # book + FUNNEL_KEYS + FUNNEL_SUMS
    unknown: pd.DataFrame            # book, owner, stage, leads
    targets: pd.DataFrame            # targets.finish
    forecast: tuple[pd.DataFrame, pd.DataFrame]
    movement: tuple[pd.DataFrame, pd.DataFrame]
    flagged: pd.DataFrame            # book + the Cleanse rows
    cross: pd.DataFrame              # duplicates.cross_book
    notes: list[str] = field(default_factory=list)
    bottleneck_min: int = 5


def names(paths: list[str]) -> list[str]:
    """How each book is named on the report: its file name, or the path as given when two
    books share a file name."""
    import os

    base = [os.path.basename(p) for p in paths]
    return [b if base.count(b) == 1 else p for b, p in zip(base, paths)]


def team_stages(frames: list[pd.DataFrame | None], settings: Settings | None) -> pd.DataFrame:
    """The team's stages: the team Settings', else the books' ``stages`` tables (one book's
    each, or stacked) in order of first appearance, open stages, then won, then lost."""
    if settings is not None:
        return pd.DataFrame({"stage": [s.name for s in settings.stages], "zh": [s.zh for s in settings.stages],
                             "kind": [s.kind for s in settings.stages],
                             "probability": [float(s.probability) for s in settings.stages]})
    frames = [f for f in frames if f is not None]
    if not frames:
        return pd.DataFrame({"stage": [], "zh": [], "kind": [], "probability": []})
    all_ = pd.concat(frames, ignore_index=True).drop_duplicates("stage", keep="first")
    all_["_k"] = all_["kind"].map(_KIND_ORDER)
    return all_.sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)


def _concat(frames: list[pd.DataFrame | None], rows: list[np.ndarray], books: list[str]) -> pd.DataFrame | None:
    """The stacks' tables one under the other, with a ``book`` column: ``rows`` (per stack, its
    books' row counts) and ``books`` (every book's name, in order) say whose each row is."""
    present = [fr for fr in frames if fr is not None]
    if not present:
        return None
    out = pd.concat(present, ignore_index=True) if len(present) > 1 else present[0].reset_index(drop=True)
    counts = np.concatenate(rows)
    out["book"] = text_take(np.array(books, dtype=object), np.repeat(np.arange(len(counts)), counts))
    return out


def _empty(keys, sums) -> pd.DataFrame:
    return pd.DataFrame({**{k: pd.Series(dtype=object) for k in keys}, **{k: pd.Series(dtype="float64") for k in sums}})


def _reduce(frames: list[pd.DataFrame | None], keys, sums) -> pd.DataFrame:
    present = [f for f in frames if f is not None]
    return reduce_partials(present, tuple(keys)) if present else _empty(keys, sums)


def reduce(parts: list[BookPartial | Stack], plan: Plan, *, region: str = "CN", consume: bool = False) -> TeamFigures:
    """The team's figures from the books' partial tables, one book's each or stacked
    (``partials.Stack``: a chunk of books, in item order). ``consume``: take each kind of table
    out of the partials once it is added up (the caller's partials are left without them), so
    the client never holds a table twice (the rollup's 400 books: ~170 MB of tables)."""
    stacks = [p if isinstance(p, Stack) else stack([p], move=consume) for p in parts]
    every = [b for s in stacks for b in s.books]
    all_names = names([b.path for b in every])
    ok = [b for b in every if b.error is None]
    books = [n for b, n in zip(every, all_names) if b.error is None]
    failed = [(n, b.error or "") for b, n in zip(every, all_names) if b.error is not None]
    langs = [p.language for p in ok]
    team_lang = plan.settings.language if plan.settings is not None and plan.settings.language in ("en", "zh") \
        else ("zh" if langs and langs.count("zh") > len(langs) / 2 else "en")

    def take(name: str) -> list:
        """Each stack's ``name`` table (taken out of it with ``consume``)."""
        out = [s.tables[name] for s in stacks]
        if consume:
            for s in stacks:
                s.tables[name] = None
        return out

    def rows(name: str) -> list[np.ndarray]:
        return [s.rows[name] for s in stacks]

    # the biggest tables first: each book's keys and flagged leads go before the rest is added up
    cross = cross_book(take("keys"), all_names, region, take("phone_ends"), rows=rows("keys"))
    flagged = _concat(take("flagged"), rows("flagged"), all_names)
    if flagged is None:
        flagged = pd.DataFrame({c: [] for c in ("book", "row", "lead_id", "company", "owner", "stage", "grade",
                                               "last_contact", "reason")})
    funnel = _reduce([_concat(take("funnel"), rows("funnel"), all_names)], ("book",) + FUNNEL_KEYS, FUNNEL_SUMS)
    unknown = _concat(take("unknown"), rows("unknown"), all_names)
    if unknown is None:
        unknown = pd.DataFrame({"book": [], "owner": [], "stage": [], "leads": []})

    # targets: months summed into each target period
    notes: list[str] = []
    lines = _target_lines(take("target_lines"), rows("target_lines"), all_names, plan.settings, notes)
    periods = _periods(lines, plan)
    month_rows = _reduce(take("months"), targets.KEYS, targets.SUMS)
    owners = sorted(set(funnel["owner"].unique()) | set(month_rows["owner"].unique()) | set(lines["owner"].unique()),
                    key=str)
    per_period = [_zeros(owners, periods)]
    if len(month_rows):
        starts = np.array([parse_period(m, relative=False).start for m in month_rows["period"]], dtype="datetime64[ns]")
        for period in periods:
            inside = month_rows[period.contains(starts)]
            per_period.append(inside.assign(period=period.label))
    wanted = {p.label for p in periods}
    t_lines = lines[lines["period"].isin(wanted)]
    per_period.append(pd.DataFrame({"owner": t_lines["owner"], "period": t_lines["period"], "won_count": 0,
                                    "won_value": 0.0, "open_count": 0, "open_value": 0.0, "weighted_open": 0.0,
                                    "target": t_lines["target"].astype(float), "target_n": 1}))
    target_table = targets.finish(targets.reduce(per_period))

    fc = _reduce(take("forecast"), forecast.KEYS, forecast.SUMS)
    mv = _reduce(take("movement"), movement.KEYS, movement.SUMS)
    return TeamFigures(plan=plan, books=books, failed=failed, language=team_lang, leads=sum(p.leads for p in ok),
                       stages=team_stages(take("stages"), plan.settings), funnel=funnel, unknown=unknown,
                       targets=target_table,
                       forecast=forecast.finish(fc, plan.day), movement=movement.finish(mv, plan.moves),
                       flagged=flagged, cross=cross, notes=notes,
                       bottleneck_min=(plan.settings or Settings()).bottleneck_min_reached)


def _target_lines(frames: list, rows: list[np.ndarray], books: list[str], settings: Settings | None,
                  notes: list[str]) -> pd.DataFrame:
    """The team's target lines: the team Settings' when given, else the books' own, each
    (owner, period) once (the first book's when books disagree, with a note)."""
    if settings is not None:
        return settings.targets_frame()
    lines = _concat(frames, rows, books)
    if lines is None or not len(lines):
        return pd.DataFrame({"owner": pd.Series(dtype=object), "period": pd.Series(dtype=object),
                             "target": pd.Series(dtype="float64")})
    lines["owner"] = lines["owner"].astype(str).str.strip()
    distinct = lines.drop_duplicates(["owner", "period", "target"])
    clash = distinct[distinct.duplicated(["owner", "period"], keep=False)]
    for (owner, period), g in clash.groupby(["owner", "period"], sort=True):
        notes.append(("targets_conflict", {"o": owner, "p": period,
                                           "t": ", ".join(f"{b}: {t:,.0f}" for b, t in zip(g["book"], g["target"]))}))
    return distinct.drop_duplicates(["owner", "period"], keep="first")[["owner", "period", "target"]]


def _periods(lines: pd.DataFrame, plan: Plan) -> list[Period]:
    out: dict[str, Period] = {}
    for label in lines["period"]:
        out.setdefault(label, parse_period(label, relative=False))
    if plan.period is not None and plan.period.kind != "days":
        out.setdefault(plan.period.label, plan.period)
    if not out:
        q = current_quarter(plan.day)
        out[q.label] = q
    return sorted(out.values(), key=lambda p: (p.start, p.end))


def _zeros(owners: list[str], periods: list[Period]) -> pd.DataFrame:
    """A zero row for every owner and period: every owner is listed, target or not."""
    n = len(owners) * len(periods)
    return pd.DataFrame({"owner": np.repeat(np.array(owners, dtype=object), len(periods)),
                         "period": np.tile(np.array([p.label for p in periods], dtype=object), len(owners)),
                         **{k: np.zeros(n, dtype=np.int64 if k.endswith(("_count", "_n")) else "float64")
                            for k in targets.SUMS}})


# ---- the funnel tables ---------------------------------------------------------------

def funnel_stages(stages: pd.DataFrame) -> list[str]:
    return stages.loc[stages["kind"] != LOST, "stage"].tolist()


def by(funnel: pd.DataFrame, key: str, stages: pd.DataFrame) -> pd.DataFrame:
    """The funnel per owner, source or book: size, value, win rate, reached per stage, conversion."""
    cur = funnel.groupby(key, sort=True)[list(FUNNEL_SUMS)].sum()
    reached = funnel.pivot_table(index=key, columns="stage", values="reached", aggfunc="sum", fill_value=0)
    out = cur.copy()
    path = funnel_stages(stages)
    for st in path:
        out[f"reached:{st}"] = reached[st].reindex(out.index, fill_value=0) if st in reached else 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["win_rate"] = np.where(out["won"] + out["lost"] > 0, out["won"] / (out["won"] + out["lost"]), np.nan)
        out["avg_won"] = np.where(out["won_valued"] > 0, out["won_value"] / out["won_valued"], np.nan)
        if path:
            first, last = out[f"reached:{path[0]}"], out[f"reached:{path[-1]}"]
            out["conversion"] = np.where(first > 0, last / first, np.nan)
        else:
            out["conversion"] = np.nan
    out = out[out["leads"] > 0]
    out = out.sort_values(["pipeline", "leads"], ascending=False, kind="stable")
    return out.reset_index()


def stage_table(funnel: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    cur = funnel.groupby("stage", sort=False)[list(FUNNEL_SUMS)].sum().reindex(stages["stage"], fill_value=0)
    path = funnel_stages(stages)
    reached = cur["reached"]
    rows = []
    for _, st in stages.iterrows():
        name = st["stage"]
        c = cur.loc[name]
        k = path.index(name) if name in path else None
        r = int(reached[name]) if k is not None else None
        nxt = int(reached[path[k + 1]]) if k is not None and k + 1 < len(path) else None
        first = int(reached[path[0]]) if path else 0
        rows.append({"stage": name, "zh": st["zh"], "kind": st["kind"], "in_stage": int(c["leads"]),
                     "value": float(c["value"]), "weighted": float(c["weighted"]), "reached": r,
                     "conversion": (nxt / r if r else None) if nxt is not None else None,
                     "cumulative": (r / first if first else None) if r is not None else None,
                     "avg_days": float(c["days_sum"] / c["days_n"]) if c["days_n"] else None,
                     "stale": int(c["stale"]), "overdue": int(c["overdue"])})
    return pd.DataFrame(rows)


def kpis(funnel: pd.DataFrame, stage_rows: pd.DataFrame, minimum: int) -> dict:
    t = funnel[list(FUNNEL_SUMS)].sum()
    won, lost, n_open = int(t["won"]), int(t["lost"]), int(t["open"])
    win_rate = won / (won + lost) if won + lost else None
    avg_won = float(t["won_value"] / t["won_valued"]) if t["won_valued"] else None
    avg_cycle = float(t["cycle_sum"] / t["cycle_n"]) if t["cycle_n"] else None
    velocity = n_open * avg_won * win_rate / avg_cycle if (avg_won is not None and win_rate is not None
                                                             and avg_cycle) else None
    cand = stage_rows[stage_rows["conversion"].notna() & (stage_rows["reached"].fillna(0) >= minimum)]
    bottleneck = None if cand.empty else str(cand.loc[cand["conversion"].astype(float).idxmin(), "stage"])
    return {"leads": int(t["leads"]), "open": n_open, "pipeline": float(t["pipeline"]),
            "weighted": float(t["weighted_open"]), "won": won, "lost": lost, "win_rate": win_rate, "avg_won": avg_won,
            "avg_cycle": avg_cycle, "velocity_day": velocity, "velocity_30": velocity * 30 if velocity is not None else None,
            "bottleneck": bottleneck,
            "grades": {g: int(t[f"grade_{g}"]) for g in "ABCD"},
            "statuses": {c.split(":", 1)[1]: int(t[c]) for c in FUNNEL_SUMS if c.startswith("followup:")}}


__all__ = ["TeamFigures", "reduce", "by", "stage_table", "kpis", "names", "team_stages"]
