"""The vectorised funnel tables against plain pandas groupby definitions of the same figures,
on sample leads with blanks, unknown stages and missing amounts mixed in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesbook.engine import evaluate
from salesbook.rules.funnel import reach_level
from salesbook.rules.history import max_stage_seen
from salesbook.builder.sample import sample_leads
from salesbook.rules.settings import LOST, OPEN, WON, Settings

from .conftest import TODAY


def _messy_leads(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = sample_leads(n, today=TODAY, seed=seed)
    for col, share in (("Owner", 0.1), ("Source", 0.15), ("Deal Value", 0.2)):
        frame.loc[rng.random(n) < share, col] = None
    frame.loc[rng.random(n) < 0.05, "Stage"] = "Somewhere"  # unknown stage: outside every table
    frame.loc[rng.random(n) < 0.03, "Owner"] = "(blank)"  # a rep literally named '(blank)' joins the blanks
    return frame


def _reference(ev, settings: Settings, by: str) -> pd.DataFrame:
    f = ev.prepared.frame
    reach = reach_level(f, settings, max_stage_seen(f, pd.DataFrame(columns=["lead_id", "from", "to", "date"]), settings))
    live = f["kind"] != "?"
    key = f[by].astype(object).where(f[by].notna(), "(blank)")
    prob = np.array([s.probability for s in settings.stages] + [0.0])[f["stage_i"].to_numpy()]
    value = f["deal_value"].fillna(0)
    is_open = f["kind"] == OPEN
    g = pd.DataFrame({
        "leads": 1, "open": is_open.astype(int),
        "pipeline": value.where(is_open, 0.0), "weighted": (value * prob).where(is_open, 0.0),
        "won": (f["kind"] == WON).astype(int), "lost": (f["kind"] == LOST).astype(int),
        "stale": ev.outputs["stale"].notna().astype(int),
        "overdue": (ev.outputs["followup_status"] == "Overdue").astype(int),
        "won_value": f["deal_value"].where(f["kind"] == WON),
    })
    for k, st in enumerate(settings.funnel_stages, start=1):
        g[f"reached:{st.name}"] = (reach >= k).astype(int)
    agg = g[live].groupby(key[live]).agg({**{c: "sum" for c in g.columns if c != "won_value"}, "won_value": "mean"})
    return agg


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("by, table", [("owner", "owners"), ("source", "sources")])
def test_group_tables_equal_a_groupby(seed, by, table):
    settings = Settings()
    ev = evaluate(_messy_leads(3000, seed), settings, today=TODAY)
    got = getattr(ev.report, table).set_index(by)
    want = _reference(ev, settings, by)
    assert sorted(got.index) == sorted(want.index)
    for col in [c for c in want.columns if c != "won_value"]:
        np.testing.assert_allclose(got.loc[want.index, col].to_numpy(dtype=float), want[col].to_numpy(dtype=float),
                                   err_msg=col)
    np.testing.assert_allclose(got.loc[want.index, "avg_won"].to_numpy(dtype=float), want["won_value"].to_numpy(dtype=float))
    # Ordered by pipeline, then leads, largest first; ties by name.
    order = got.reset_index().sort_values([by]).sort_values(["pipeline", "leads"], ascending=False, kind="stable")[by]
    assert list(got.index) == list(order)


@pytest.mark.parametrize("seed", [4, 5])
def test_stage_table_equals_per_stage_masks(seed):
    settings = Settings()
    ev = evaluate(_messy_leads(3000, seed), settings, today=TODAY)
    f = ev.prepared.frame
    stages = ev.report.stages.set_index("stage")
    stale = ev.outputs["stale"].notna()
    overdue = ev.outputs["followup_status"] == "Overdue"
    for pos, st in enumerate(settings.stages):
        here = f["stage_i"] == pos
        row = stages.loc[st.name]
        assert row["in_stage"] == here.sum()
        assert row["value"] == pytest.approx(f.loc[here, "deal_value"].fillna(0).sum())
        assert row["stale"] == (here & stale).sum()
        assert row["overdue"] == (here & overdue).sum()
