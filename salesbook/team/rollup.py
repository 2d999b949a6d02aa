"""``salesbook rollup``: select the books, run the per-workbook step on Dask, reduce, write
the report sheets into TEAM.xlsx (the only file written), and say what happened in one line."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from salesbook.errors import Refusal
from salesbook.rules.period import PeriodError, parse_period
from salesbook.rules.settings import Settings
from salesbook.team.partials import Plan, Stack, book_stack, failed_stack
from salesbook.team.reduce import TeamFigures, reduce
from salesbook.vocabulary.words import TEAM, say


@dataclass
class RollupResult:
    output: Path
    figures: TeamFigures  # its flagged and cross tables emptied: their rows are on the Team Cleanse sheet
    summary: str
    exit_code: int
    timings: dict | None = None  # seconds: start (the workers ready), books, reduce, write; per book: wall, CPU


def plan(*, settings: Settings | None, today: dt.date | None, period: str | None) -> Plan:
    """The day (``--today``, else the team Settings' As of, else today), the funnel's period
    and the movement's (``--period``, else this month)."""
    day = today or (settings.as_of if settings is not None and settings.as_of else None) or dt.date.today()
    try:
        p = parse_period(period, day) if period else None
    except PeriodError as exc:  # the sentence `run --period` gives, before any book is read
        raise Refusal(str(exc), value=period) from None
    moves = p if p is not None else parse_period(day.strftime("%Y-%m"))
    return Plan(settings=settings, day=day, period=p, moves=moves)


def _task(items: list[tuple[str, str]], plan: Plan) -> Stack:
    return book_stack(items, plan)


def rollup(files: list[str], output: str | os.PathLike, *, settings: Settings | None = None,
           today: dt.date | None = None, period: str | None = None, workers: int = 1, scheduler: str | None = None,
           progress: bool = True, force: bool = False, echo=None) -> RollupResult:
    from salesbook.adapters.files import memory
    from salesbook.adapters.files.team_book import write_report
    from salesbook.team.cluster import map_chunks
    from salesbook.team.report import sheets

    # as the CLI does: after a cluster's results, reduce and write took ~1.4x as long on Arrow's own pool
    memory.use_system_allocator()
    output = Path(output)
    the_plan = plan(settings=settings, today=today, period=period)
    out_real = os.path.realpath(output)
    inputs = [f for f in files if os.path.realpath(f) != out_real]  # TEAM.xlsx is never one of its own inputs
    items = [(f, os.path.abspath(f) if scheduler else f) for f in inputs]
    timings: dict = {}
    t0 = time.perf_counter()
    parts = map_chunks(partial(_task, plan=the_plan), items, workers=workers, scheduler=scheduler,
                       progress=progress, on_error=failed_stack, echo=echo, timings=timings)
    t1 = time.perf_counter()
    fig = reduce(parts, the_plan, region=the_plan.phone_region, consume=True)
    every = [b for s in parts for b in s.books]
    timings["book_seconds"] = [p.seconds for p in every]
    timings["book_cpu"] = [p.extra.get("cpu", 0.0) for p in every]
    timings["tasks"] = len(parts)
    n_books = len(every)
    del parts  # only the figures are written: the books' partial tables go before the writer's peak
    memory.release()
    t2 = time.perf_counter()
    n_flagged, n_cross = len(fig.flagged), len(fig.cross)
    models = sheets(fig)
    # the Team Cleanse sheet holds the flagged leads and cross-book duplicates now (sorted, as
    # its cells): the figures' own copies go before the writer's peak (their rows are on the sheet)
    fig.flagged, fig.cross = fig.flagged.iloc[:0], fig.cross.iloc[:0]
    memory.release()
    write_report(output, models, settings=settings, force=force)
    del models
    timings.update(books=t1 - t0, reduce=t2 - t1, write=time.perf_counter() - t2)
    summary = say(TEAM, "summary", "en", ok=len(fig.books), n=n_books, f=len(fig.failed), leads=fig.leads,
                  flagged=n_flagged, cross=n_cross) + f" → {output}."
    return RollupResult(output, fig, summary, 2 if fig.failed else 0, timings)


__all__ = ["rollup", "plan", "RollupResult"]
