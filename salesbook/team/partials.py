"""The per-workbook step of a rollup: one book in, small partial tables out.

Runs on a Dask worker (or in the client for one book). The book is opened read-only through
the Workbook port (``FileWorkbook(for_write=False)``), evaluated by the engine as ``run``
evaluates it (nothing is written), and reduced to tables whose size depends on the number
of owners, sources, stages and periods, never on the number of leads — except the flagged
leads (the Cleanse rows) and the contact keys that cross-workbook duplicates need.

Every table here adds up: counts and sums, averages as a sum and a count
(``salesbook.team.reduce``). A refused or broken book gives a ``BookPartial`` with its
reason and no tables; it never raises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesbook.errors import Refusal
from salesbook.rules import forecast, movement, targets
from salesbook.rules.followup import STATUSES
from salesbook.rules.period import BLANK_OWNER, Period, created_in, group_sums, live_rows, month_numbers, owner_keys
from salesbook.rules.period import expected_close, probabilities, values
from salesbook.rules.settings import LOST, OPEN, WON, Settings

FUNNEL_KEYS = ("owner", "source", "stage")
FUNNEL_SUMS = ("leads", "open", "won", "lost", "value", "weighted", "pipeline", "weighted_open", "stale", "overdue",
               "days_sum", "days_n", "won_valued", "won_value", "cycle_sum", "cycle_n", "reached",
               "grade_A", "grade_B", "grade_C", "grade_D", *(f"followup:{s}" for s in STATUSES))


@dataclass(frozen=True)
class Plan:
    """What every book of one rollup shares: the team's Settings (None: each book's own), the
    day, the funnel's period (None: every lead) and the movement's period."""

    settings: Settings | None
    day: dt.date
    period: Period | None
    moves: Period

    @property
    def phone_region(self) -> str:
        """The region phones without a country code are read in: the team Settings', else CN
        (the same on the workers and in the client: phones are keyed in two steps)."""
        return self.settings.phone_region if self.settings is not None else "CN"


@dataclass
class BookPartial:
    path: str                    # as given on the command line
    error: str | None = None     # why the book is not in the report
    language: str = "en"
    leads: int = 0               # leads read (blank rows left out)
    problem_rows: int = 0        # rows with a problem (the book's Check sheet lists them)
    stages: pd.DataFrame | None = None   # the book's stages: name, zh, kind, probability
    funnel: pd.DataFrame | None = None   # FUNNEL_KEYS + FUNNEL_SUMS
    unknown: pd.DataFrame | None = None  # owner, stage (as typed), leads: stages not in Settings
    months: pd.DataFrame | None = None   # targets.lead_partial per month (period = 2026-11)
    target_lines: pd.DataFrame | None = None  # the book's own Targets block: owner, period, target
    forecast: pd.DataFrame | None = None
    movement: pd.DataFrame | None = None
    flagged: pd.DataFrame | None = None  # the Cleanse rows
    keys: pd.DataFrame | None = None     # lead_id, owner, row, email, person, phone, mobile
    phone_ends: np.ndarray | None = None  # the parsed phones' ends (duplicates.book_keys)
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def book_partial(path: str, plan: Plan, opened: str | None = None) -> BookPartial:
    """The partial tables of the workbook at ``opened`` (default ``path``), named ``path``."""
    import time

    from salesbook.adapters.files import memory

    memory.use_system_allocator()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        out = _partial(path, opened or path, plan)
    except Refusal as exc:
        out = BookPartial(path, error=exc.message)
    except Exception as exc:  # one broken book must not stop the rollup
        out = BookPartial(path, error=f"unexpected error: {type(exc).__name__}: {exc}")
    out.seconds = time.perf_counter() - t0
    out.extra["cpu"] = time.process_time() - c0  # the process's CPU seconds (the benchmark's overhead check)
    memory.release()
    return out


def failed(path: str, exc: BaseException) -> BookPartial:
    """A book whose worker died (killed, out of memory) or could not run the step."""
    return BookPartial(path, error=f"worker failed: {type(exc).__name__}: {exc}")


def _partial(path: str, opened: str, plan: Plan) -> BookPartial:
    from salesbook import engine
    from salesbook.adapters.files.workbook import FileWorkbook
    from salesbook.rules.history import history_from_grid, max_stage_seen
    from salesbook.rules.funnel import reach_level
    from salesbook.rules.prepare import canonical_frame

    with FileWorkbook(opened, for_write=False) as workbook:
        book = workbook.read(history=True)
    settings = dataclasses.replace(plan.settings or book.settings, as_of=None)  # one day for the whole team
    lang = engine.language(settings, list(book.loc.headers)) if plan.settings else book.language
    ev = engine.evaluate(book.leads, settings, today=plan.day, history_rows=book.history_rows, lang=lang,
                         sheets=False)  # the rules' outputs only: no report sheet is built per book
    raw, _ = canonical_frame(book.leads)
    p, f = ev.prepared, ev.prepared.frame
    history = history_from_grid(book.history_rows)
    reach = reach_level(f, settings, max_stage_seen(f, history, settings)).to_numpy()
    problems = ev.problems
    out = BookPartial(path, language=lang, leads=ev.lead_count,
                      problem_rows=int(problems["row"].nunique()) if len(problems) else 0)
    out.stages = pd.DataFrame({"stage": [s.name for s in settings.stages], "zh": [s.zh for s in settings.stages],
                               "kind": [s.kind for s in settings.stages],
                               "probability": [float(s.probability) for s in settings.stages]})
    in_scope = created_in(f, plan.period) if plan.period is not None else np.ones(len(f), dtype=bool)
    out.funnel = _funnel(f, settings, ev.extra, reach, in_scope)
    out.unknown = _unknown(f, raw, in_scope)
    out.months = _months(p, settings)
    out.target_lines = settings.targets_frame() if plan.settings is None else None
    out.forecast = forecast.partial(p, settings, plan.day)
    out.movement = movement.partial(p, history, settings, plan.day, plan.moves)
    out.flagged = _flagged(f, ev, settings, lang)
    from salesbook.team.duplicates import book_keys

    out.keys, out.phone_ends = book_keys(f, raw, plan.phone_region)
    return out


def _labels(f: pd.DataFrame, key: str) -> np.ndarray:
    """Owner or Source per row as typed, blanks as '(blank)' (the Funnel's per-owner label)."""
    return owner_keys(pd.DataFrame({"owner": f[key]}, copy=False))


def _funnel(f: pd.DataFrame, settings: Settings, extra: pd.DataFrame, reach: np.ndarray,
            in_scope: np.ndarray) -> pd.DataFrame:
    """Per (owner, source, stage): the additive figures of the Funnel's tables. A lead adds to
    its current stage's row, and ``reached`` 1 to the row of every funnel stage it reached."""
    live = (f["kind"] != "?").to_numpy() & in_scope
    kind = f["kind"].to_numpy()[live]
    is_open, won, lost = kind == OPEN, kind == WON, kind == LOST
    names = np.array([s.name for s in settings.stages] + [""], dtype=object)
    stage = names[f["stage_i"].to_numpy()[live]]
    owner, source = _labels(f, "owner")[live], _labels(f, "source")[live]
    value = values(f)[live]
    weighted = value * probabilities(f, settings)[live]
    deal = f["deal_value"].to_numpy(dtype="float64", na_value=np.nan)[live]
    days = extra["days_in_stage"].to_numpy(dtype="float64", na_value=np.nan)[live]
    days_ok = is_open & ~np.isnan(days)
    cycle = (f["close_date"] - f["created"]).dt.days.to_numpy(dtype="float64", na_value=np.nan)[live]
    cycle_ok = won & ~np.isnan(cycle)
    won_known = won & ~np.isnan(deal)
    grade = extra["grade_code"].to_numpy()[live]
    status = extra["followup_code"].to_numpy()[live]
    sums = {"leads": np.ones(len(kind), dtype=np.int64), "open": is_open, "won": won, "lost": lost,
            "value": value, "weighted": weighted, "pipeline": np.where(is_open, value, 0.0),
            "weighted_open": np.where(is_open, weighted, 0.0),
            "stale": extra["stale_flag"].to_numpy(dtype=bool)[live], "overdue": extra["overdue"].to_numpy(dtype=bool)[live],
            "days_sum": np.where(days_ok, days, 0.0), "days_n": days_ok,
            "won_valued": won_known, "won_value": np.where(won_known, deal, 0.0),
            "cycle_sum": np.where(cycle_ok, cycle, 0.0), "cycle_n": cycle_ok,
            "reached": np.zeros(len(kind), dtype=np.int64),
            **{f"grade_{g}": grade == i for i, g in enumerate("ABCD")},
            **{f"followup:{s}": status == i for i, s in enumerate(STATUSES)}}
    # the reached rows: one per lead and funnel stage it reached
    level = np.clip(reach[live].astype(np.int64), 0, None)
    funnel = settings.funnel_stages
    lead_of = np.concatenate([np.flatnonzero(level >= k) for k in range(1, len(funnel) + 1)] or [np.zeros(0, int)])
    stage_of = np.concatenate([np.full(int((level >= k).sum()), funnel[k - 1].name, dtype=object)
                               for k in range(1, len(funnel) + 1)] or [np.zeros(0, object)])
    n_extra = len(lead_of)
    keys = {"owner": np.concatenate([owner, owner[lead_of]]), "source": np.concatenate([source, source[lead_of]]),
            "stage": np.concatenate([stage, stage_of])}
    sums = {k: np.concatenate([np.asarray(v), np.zeros(n_extra, dtype=np.asarray(v).dtype)]) for k, v in sums.items()}
    sums["reached"][len(kind):] = 1
    return group_sums(keys, sums)[list(FUNNEL_KEYS + FUNNEL_SUMS)]


def _unknown(f: pd.DataFrame, raw: pd.DataFrame, in_scope: np.ndarray) -> pd.DataFrame:
    """Per (owner, stage as typed): leads whose stage is not in Settings (not counted in the funnel)."""
    from salesbook.rules.columnar import _text, as_text

    rows = ((f["kind"] == "?").to_numpy() & ~f["blank_row"].to_numpy() & in_scope)
    if not rows.any():
        return pd.DataFrame({"owner": pd.Series(dtype=object), "stage": pd.Series(dtype=object),
                             "leads": pd.Series(dtype="int64")})
    stage = raw["stage"] if "stage" in raw else pd.Series(pd.NA, index=f.index)
    stage = _text(as_text(stage) if stage.dtype.kind in "Mfiub" else stage)
    typed = stage.astype(object).where(stage.notna(), BLANK_OWNER).to_numpy(dtype=object)
    return group_sums({"owner": owner_keys(f)[rows], "stage": typed[rows]}, {"leads": np.ones(int(rows.sum()), int)})


def _months(p, settings: Settings) -> pd.DataFrame:
    """Per (owner, month): what ``targets.lead_partial`` gives for that month — won leads by
    the month they closed in, open leads by the month they are expected to close in — for
    every month with any. A target period (a month, a quarter, a year) is a sum of months.
    One grouping over the leads, not one pass per month."""
    f = p.frame
    live = live_rows(f)
    kind = f["kind"].to_numpy()[live]
    won, is_open = kind == WON, kind == OPEN
    closed = month_numbers(f["close_date"].to_numpy())[live]
    expected = month_numbers(expected_close(p).to_numpy())[live]
    at = np.where(won, closed, np.where(is_open, expected, np.nan))
    rows = ~np.isnan(at)
    if not rows.any():
        return pd.DataFrame({**{k: pd.Series(dtype=object) for k in targets.KEYS},
                             **{k: pd.Series(dtype="int64" if k.endswith(("_count", "_n")) else "float64")
                                for k in targets.SUMS}})
    n = np.flatnonzero(rows)
    m = at[n].astype(np.int64)
    labels = np.char.add(np.char.zfill((1970 + m // 12).astype(str), 4),
                         np.char.add("-", np.char.zfill((m % 12 + 1).astype(str), 2))).astype(object)
    value = values(f)[live][n]
    w, o = won[n], is_open[n]
    weighted = value * probabilities(f, settings)[live][n]
    part = group_sums({"owner": owner_keys(f)[live][n], "period": labels},
                      {"won_count": w, "won_value": np.where(w, value, 0.0), "open_count": o,
                       "open_value": np.where(o, value, 0.0), "weighted_open": np.where(o, weighted, 0.0),
                       "target": np.zeros(len(n)), "target_n": np.zeros(len(n), dtype=np.int64)})
    return part[list(targets.KEYS + targets.SUMS)]


def _flagged(f: pd.DataFrame, ev, settings: Settings, lang: str) -> pd.DataFrame:
    """The Cleanse sheet's rows: every lead flagged stale, with its reason."""
    at = np.flatnonzero(pd.notna(ev.outputs["stale"].to_numpy(dtype=object)))
    names = np.array([s.zh if lang == "zh" and s.zh else s.name for s in settings.stages] + [""], dtype=object)
    return pd.DataFrame({
        "row": f.index.to_numpy()[at].astype(np.int64),
        "lead_id": f["lead_id"].iloc[at].astype(object).to_numpy(),
        "company": f["company"].iloc[at].astype(object).to_numpy(),
        "owner": owner_keys(f)[at],
        "stage": names[f["stage_i"].to_numpy()[at]],
        "grade": ev.outputs["grade"].to_numpy(dtype=object)[at],
        "last_contact": f["last_contact"].to_numpy()[at],
        "reason": ev.outputs["stale_reason"].to_numpy(dtype=object)[at],
    })


# ---- several books in one result (a Dask task's chunk) --------------------------------

TABLES = ("stages", "funnel", "unknown", "months", "target_lines", "forecast", "movement", "flagged", "keys",
          "phone_ends")


@dataclass
class Stack:
    """Several books' partials as one result, in item order: each kind of table of every book
    one under the other (never added up here: the reduce sees the same rows in the same order,
    so every sum is the one the books give one by one), and how many rows each book gave.
    A cluster task returns one for its chunk of books: the client unpickles a few large tables
    instead of hundreds of small ones."""

    books: list[BookPartial]     # each book's figures and error, its tables taken out
    tables: dict[str, object]    # kind → the books' tables (or arrays) stacked; None when no book has one
    rows: dict[str, np.ndarray]  # kind → rows per book (0 for a book without that table)


def stack(parts: list[BookPartial], move: bool = True) -> Stack:
    """``parts`` as one ``Stack`` (their tables moved into it; with ``move=False`` left in them
    as well). One book's tables are kept as they are (no copy)."""
    tables: dict[str, object] = {}
    rows: dict[str, np.ndarray] = {}
    for kind in TABLES:
        got = [getattr(p, kind) for p in parts]
        if move:
            for p in parts:
                setattr(p, kind, None)
        rows[kind] = np.array([0 if t is None else len(t) for t in got], dtype=np.int64)
        present = [t for t in got if t is not None]
        tables[kind] = None if not present else present[0] if len(present) == 1 else _stacked(kind, present)
    return Stack(list(parts), tables, rows)


def _stacked(kind: str, present: list):
    if kind == "phone_ends":
        return np.concatenate(present)
    if kind == "keys":  # one category list for the owners (else they would go as a string per lead)
        from pandas.api.types import union_categoricals

        owner = union_categoricals([t["owner"] for t in present])
        out = pd.concat([t.drop(columns="owner") for t in present], ignore_index=True)
        out.insert(list(present[0].columns).index("owner"), "owner", owner)
        return out
    return pd.concat(present, ignore_index=True)


def book_stack(items: list[tuple[str, str | None]], plan: Plan) -> Stack:
    """A chunk of books (``(path, opened)`` each) as one ``Stack``: each book's step as
    ``book_partial`` runs it (a bad book gives its own reason, it never stops the others)."""
    return stack([book_partial(path, plan, opened=opened) for path, opened in items])


def failed_stack(items: list[tuple[str, str | None]], exc: BaseException) -> Stack:
    """A chunk whose worker died: each of its books failed with the reason."""
    return stack([failed(path, exc) for path, _ in items])


__all__ = ["Plan", "BookPartial", "book_partial", "failed", "FUNNEL_KEYS", "FUNNEL_SUMS", "Stack", "stack",
           "book_stack", "failed_stack", "TABLES"]
