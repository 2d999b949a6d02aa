"""Helpers for the rule tests: a lead frame from a few dicts (English headers) and one run.

Every test pins "today" to TODAY (a Wednesday) so dates in the tests can be read by hand.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from salesbook.engine import Evaluation, evaluate
from salesbook.rules.settings import Settings

TODAY = dt.date(2026, 11, 18)  # a Wednesday

# A lead that every rule leaves alone: open, graded C (blank BANT), contacted today,
# entered its stage today, due again in 30 days. Tests override only what they test.
BASE = {
    "Lead ID": None,  # filled in per row: L-001, L-002 …
    "Company": None,  # filled in per row: Company 1, Company 2 … (no accidental duplicates)
    "Owner": "Ann",
    "Stage": "Prospecting",
    "Created": "2026-11-18",
}


def day(offset: int) -> str:
    """TODAY + offset days, as an ISO date text (the way a reader gives date cells)."""
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def leads(*rows: dict, base: bool = True) -> pd.DataFrame:
    """A Leads frame from dicts keyed by workbook headers. Missing cells are blank.
    With ``base`` each row starts from BASE (unique ID and company)."""
    out = []
    for i, r in enumerate(rows, start=1):
        row = dict(BASE) if base else {}
        if base:
            row["Lead ID"] = f"L-{i:03d}"
            row["Company"] = f"Company {i}"
        row.update(r)
        out.append(row)
    frame = pd.DataFrame(out)
    return frame.astype(object).where(frame.notna(), None)


def run(*rows: dict, settings: Settings | None = None, today: dt.date = TODAY, history_rows=None,
        only=None, base: bool = True) -> Evaluation:
    """evaluate() over the given rows, as of ``today``."""
    return evaluate(leads(*rows, base=base), settings, today=today, history_rows=history_rows, only=only)


def out(ev: Evaluation, i: int = 0) -> dict:
    """The outputs of the i-th row as a plain dict (blanks as None)."""
    row = ev.outputs.iloc[i]
    return {k: (None if pd.isna(v) else v) for k, v in row.items()}


def one(row: dict | None = None, **kw) -> dict:
    """Outputs of a single lead."""
    return out(run(row or {}, **kw))


@pytest.fixture
def today() -> dt.date:
    return TODAY
