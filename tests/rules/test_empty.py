"""A lead table without leads (headers only, or only blank rows): every rule runs, the
funnel is all zeros and the summary says there are no leads yet (docs/spec.md §3)."""

from __future__ import annotations

import pandas as pd
import pytest

from salesbook.engine import COMMANDS, check_frame, evaluate, funnel_report, no_leads
from salesbook.rules.schema import INPUTS

from .conftest import TODAY

EN = [c.en for c in INPUTS]
ZH = [c.zh for c in INPUTS]


def headers_only(headers=EN) -> pd.DataFrame:
    return pd.DataFrame({h: pd.Series([], dtype=object) for h in headers})


def blank_rows(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({h: [None] * n for h in EN}, dtype=object)


FRAMES = {"headers only": headers_only, "blank rows": blank_rows}


@pytest.mark.parametrize("frame", FRAMES)
@pytest.mark.parametrize("only", [None, *COMMANDS])
def test_every_command_runs_and_says_no_leads_yet(frame, only):
    leads = FRAMES[frame]()
    ev = evaluate(leads, today=TODAY, only=only)
    assert ev.lead_count == 0
    assert ev.summary == no_leads("en") == "No leads yet: add them to the Leads table (one row per lead), then run again."
    assert len(ev.outputs) == len(leads) and ev.outputs.isna().all().all()
    assert len(ev.problems) == 0 and len(ev.stale_rows) == 0


def test_chinese_headers_give_the_chinese_summary():
    ev = evaluate(headers_only(ZH), today=TODAY)
    assert ev.language == "zh" and ev.summary == "还没有线索：请在线索表中添加线索（每条线索一行），然后再运行。"


@pytest.mark.parametrize("frame", FRAMES)
def test_the_funnel_is_all_zeros(frame):
    r = funnel_report(FRAMES[frame](), today=TODAY)
    k = r.kpis
    assert (k["open"], k["pipeline"], k["weighted"], k["won"], k["lost"]) == (0, 0, 0, 0, 0)
    assert k["win_rate"] is None and not k["bottleneck"]
    assert r.grades == {"A": 0, "B": 0, "C": 0, "D": 0}
    assert r.statuses == {"Overdue": 0, "Due today": 0, "This week": 0, "Later": 0}
    assert (r.stages[["in_stage", "value", "stale", "overdue"]] == 0).all().all()
    assert (r.stages["reached"].fillna(0) == 0).all()
    assert r.owners.empty and r.sources.empty


def test_the_sheets_are_laid_out_empty():
    ev = evaluate(headers_only(), today=TODAY)
    cleanse = next(s for s in ev.sheets if s.name == "Cleanse")
    assert len(cleanse.blocks[0].frame) == 0 and list(cleanse.blocks[0].frame.columns)[:2] == ["Row", "Lead ID"]
    funnel = next(s for s in ev.sheets if s.name == "Funnel")
    titled = {b.title: b.frame for b in funnel.blocks}
    owners = titled["By owner"]
    assert len(owners) == 0 and "Reached: Proposal" in owners.columns
    forecast = titled["Forecast by expected close month"]  # every bucket, at zero
    assert len(forecast) == 9 and forecast.select_dtypes("number").to_numpy().sum() == 0
    assert titled["Forecast by owner"].empty and titled["Targets"].empty  # no owners; no targets: a line says how
    assert ev.appends == []  # no History rows


def test_check_finds_nothing():
    assert check_frame(headers_only()).empty
