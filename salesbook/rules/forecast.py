"""Forecast by expected close month (docs/spec.md §2 Targets, forecast and movement).

Open leads go into a bucket by their expected close date (Close Date, else a Timeline date:
``period.expected_close``), counted from today's month:

- ``past due`` — before the first day of this month;
- ``2026-11`` … — this month and the next 5 (six months; ``months`` to change it). A lead
  expected earlier this month stays in this month (the stale rule flags it meanwhile);
- ``later`` — after the sixth month;
- ``no date`` — no expected close date (or one that could not be read).

Per bucket: **best case** = Σ Deal Value of its open leads (all of them close), **weighted** =
Σ value × the stage's probability, and their count. **Won so far** = Σ Deal Value (and count) of
Closed Won leads whose Close Date is in that month; only the six month buckets have won leads
(a won lead closed before this month or after the sixth month is in no bucket). Closed Lost
leads are in none. Blank Deal Values count as 0; unknown stages and blank rows are left out.

Per owner and in total. ``partial`` gives additive columns per (owner, bucket); ``reduce``
adds the tables of many workbooks; ``finish`` lays out the grid (every owner × every bucket, in
order) and the total per bucket. All partials of one reduce must share today.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesbook.rules.settings import OPEN, WON, Settings
from salesbook.rules.period import (
    expected_close,
    group_sums,
    live_rows,
    month_numbers,
    owner_keys,
    probabilities,
    reduce_partials,
    values,
)
from salesbook.rules.prepare import Prepared

KEYS = ("owner", "bucket")
SUMS = ("open_count", "best_case", "weighted", "won_count", "won_value")
PAST_DUE, LATER, NO_DATE = "past due", "later", "no date"
MONTHS = 6


def buckets(today: dt.date, months: int = MONTHS) -> list[str]:
    """The bucket labels in order: past due, this month … (``months`` of them), later, no date."""
    first = today.year * 12 + today.month - 1
    return [PAST_DUE, *[f"{(first + i) // 12:04d}-{(first + i) % 12 + 1:02d}" for i in range(months)], LATER, NO_DATE]


def partial(p: Prepared, settings: Settings, today: dt.date, months: int = MONTHS) -> pd.DataFrame:
    """Per (owner, bucket) of a prepared lead table: open count, best case, weighted, won
    count and won value."""
    f = p.frame
    live = live_rows(f)
    labels = np.array(buckets(today, months), dtype=object)
    this_month = float((today.year - 1970) * 12 + today.month - 1)
    kind = f["kind"].to_numpy()[live]
    is_open, won = kind == OPEN, kind == WON
    value = values(f)[live]
    weighted = value * probabilities(f, settings)[live]

    # Open leads: the bucket of the expected close month (offset from this month).
    ahead = month_numbers(expected_close(p).to_numpy()[live]) - this_month
    open_at = np.select([np.isnan(ahead), ahead < 0, ahead >= months], [months + 2, 0, months + 1],
                        np.nan_to_num(ahead, nan=0).astype(np.int64) + 1)
    # Won leads: the bucket of the close month, only within the six months (-1 elsewhere).
    closed = month_numbers(f["close_date"].to_numpy()[live]) - this_month
    won_in = won & (closed >= 0) & (closed < months)
    won_at = np.where(won_in, np.nan_to_num(closed, nan=0).astype(np.int64) + 1, -1)

    owner = owner_keys(f)[live]
    o = np.concatenate([owner[is_open], owner[won_in]])
    b = np.concatenate([open_at[is_open], won_at[won_in]]).astype(np.int64)
    n_open, n_won = int(is_open.sum()), int(won_in.sum())
    part = group_sums({"owner": o, "bucket": labels[b]}, {
        "open_count": np.r_[np.ones(n_open, dtype=np.int64), np.zeros(n_won, dtype=np.int64)],
        "best_case": np.r_[value[is_open], np.zeros(n_won)],
        "weighted": np.r_[weighted[is_open], np.zeros(n_won)],
        "won_count": np.r_[np.zeros(n_open, dtype=np.int64), np.ones(n_won, dtype=np.int64)],
        "won_value": np.r_[np.zeros(n_open), value[won_in]],
    })
    return part[list(KEYS + SUMS)]


def reduce(partials: list[pd.DataFrame]) -> pd.DataFrame:
    """Partial tables added up per (owner, bucket)."""
    return reduce_partials(partials, KEYS)


def finish(reduced: pd.DataFrame, today: dt.date, months: int = MONTHS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per owner, total): every owner × every bucket in bucket order (zeros where none),
    owners sorted by name; the total adds the owners up per bucket."""
    order = buckets(today, months)
    owners = sorted(reduced["owner"].unique().tolist(), key=str)
    grid = pd.MultiIndex.from_product([owners, order], names=list(KEYS))
    per_owner = reduced.set_index(list(KEYS))[list(SUMS)].reindex(grid, fill_value=0).reset_index()
    total = per_owner.groupby("bucket", sort=False)[list(SUMS)].sum().reindex(order, fill_value=0).reset_index()
    return per_owner, total


__all__ = ["KEYS", "SUMS", "PAST_DUE", "LATER", "NO_DATE", "MONTHS", "buckets", "partial", "reduce", "finish"]
