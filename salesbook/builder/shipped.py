"""The shipped workbook: the template with sample leads, the VBA and ribbon, then Run All.

`salesbook build-workbook` calls `build_shipped_workbook`. Everything is fixed (seed,
dates, document properties), so the same sources always give the same workbook, and a
test rebuilds it to prove the committed `workbook/SalesPipeline.xlsm` is current.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

from salesbook.builder.package import build_workbook
from salesbook.builder.sources import MacrosDir

SAMPLE_LEADS = 200
SAMPLE_SEED = 7
# The day the sample data and the first run are dated; users re-run with their own today.
SAMPLE_DAY = dt.date(2026, 11, 16)


def _populate(workbook, language: str = "en") -> None:
    from salesbook.builder.sample import sample_leads
    from salesbook.builder.template import populate_workbook

    leads = sample_leads(SAMPLE_LEADS, seed=SAMPLE_SEED, today=SAMPLE_DAY, language=language)
    populate_workbook(workbook, leads, language=language)


def default_out() -> Path:
    """Where `salesbook build-workbook` writes without --out, relative to the current folder.

    In a salesbook source checkout (the folder holds pyproject.toml and salesbook/builder/macros/)
    it is the committed workbook/SalesPipeline.xlsm; anywhere else (salesbook installed from a
    wheel) SalesPipeline.xlsm in the current folder.
    """
    checkout = Path("pyproject.toml").is_file() and Path("salesbook", "builder", "macros").is_dir()
    return Path("workbook", "SalesPipeline.xlsm") if checkout else Path("SalesPipeline.xlsm")


def build_shipped_workbook(out_path: Path | str, *, macros_dir: MacrosDir = None, language: str = "en") -> Path:
    """Build the .xlsm with sample leads and fill in every output by running the engine; `language`
    ('en' or 'zh') picks the Leads headers, the sample values and the ribbon's labels."""
    from salesbook import service

    path = build_workbook(out_path, partial(_populate, language=language), macros_dir=macros_dir, language=language)
    service.run(path, today=SAMPLE_DAY)
    return path
