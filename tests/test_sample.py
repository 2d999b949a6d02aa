"""The sample lead generator: deterministic, funnel-shaped, fast, and useful to the rules."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest

from salesbook.engine import evaluate
from salesbook.builder.sample import LEAD_COLUMNS, sample_leads
from salesbook.rules.schema import DATE
from salesbook.rules.settings import DEFAULT_BANT, DEFAULT_STAGES

TODAY = dt.date(2026, 11, 20)
EN = {c.key: c.en for c in LEAD_COLUMNS}
ZH = {c.key: c.zh for c in LEAD_COLUMNS}


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return sample_leads(2000, today=TODAY)


def test_same_seed_same_frame_other_seed_other_frame():
    a = sample_leads(500, seed=3, today=TODAY)
    b = sample_leads(500, seed=3, today=TODAY)
    c = sample_leads(500, seed=4, today=TODAY)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_columns_are_the_schema_inputs_in_both_languages():
    assert list(sample_leads(5, today=TODAY).columns) == [c.en for c in LEAD_COLUMNS]
    assert list(sample_leads(5, today=TODAY, language="zh").columns) == [c.zh for c in LEAD_COLUMNS]


def test_dates_are_datetime_columns_and_numbers_are_numbers(leads):
    for c in LEAD_COLUMNS:
        if c.kind == DATE:
            assert leads[c.en].dtype.kind == "M", c.en
    assert leads[EN["deal_value"]].dtype.kind == "f"
    assert leads[EN["unanswered"]].dtype.kind == "i"
    assert leads[EN["created"]].notna().all()
    assert (leads[EN["created"]] <= pd.Timestamp(TODAY)).all()
    assert (leads[EN["created"]] >= pd.Timestamp(TODAY) - pd.Timedelta(days=275)).all()


def test_empty_and_tiny_samples():
    assert len(sample_leads(0, today=TODAY)) == 0
    assert len(sample_leads(1, today=TODAY, with_problems=True)) == 1


def test_funnel_shape(leads):
    stages = leads[EN["stage"]].value_counts(normalize=True)
    assert set(stages.index) == {s.name for s in DEFAULT_STAGES}
    assert stages["Prospecting"] > stages["Proposal"] > 0
    assert stages["Qualification"] > stages["Negotiation"] > 0
    assert 0.07 < stages["Closed Won"] < 0.13
    assert 0.11 < stages["Closed Lost"] < 0.19


def test_lost_leads_say_where_and_closed_leads_when(leads):
    stage = leads[EN["stage"]]
    lost = stage == "Closed Lost"
    closed = stage.isin(["Closed Won", "Closed Lost"])
    assert leads.loc[lost, EN["lost_at_stage"]].notna().all()
    assert leads.loc[~lost, EN["lost_at_stage"]].isna().all()
    assert leads.loc[closed, EN["close_date"]].notna().all()
    assert leads.loc[~closed, EN["close_date"]].isna().all()
    assert (leads.loc[closed, EN["close_date"]] >= leads.loc[closed, EN["created"]]).all()


def test_bant_matures_with_the_stage(leads):
    stage = leads[EN["stage"]]
    early = stage.isin(["Prospecting", "Qualification"])
    late = stage.isin(["Negotiation", "Closed Won"])
    for key, good in (("budget", "Confirmed"), ("authority", "Decision maker"), ("need", "Clear")):
        col = leads[EN[key]]
        assert (col[late] == good).mean() > (col[early] == good).mean() + 0.3, key
        values = set(col.dropna())
        assert values <= {c.value for c in DEFAULT_BANT[key]}, key
    timeline = leads[EN["timeline"]].dropna()
    buckets = {c.value for c in DEFAULT_BANT["timeline"]}
    assert timeline.map(lambda v: v in buckets or isinstance(v, dt.date)).all()
    assert timeline.map(lambda v: isinstance(v, dt.date)).any()


def test_realistic_people_and_activity(leads):
    assert 6 <= leads[EN["owner"]].nunique() <= 8
    assert leads[EN["source"]].nunique() == 7
    assert leads[EN["company"]].nunique() > 1500
    assert leads[EN["email"]].str.contains("@").mean() > 0.85
    values = leads[EN["deal_value"]].dropna()
    assert 20_000 < values.median() < 80_000
    silent = (pd.Timestamp(TODAY) - leads[EN["last_contact"]]).dt.days
    assert (silent <= 14).mean() > 0.5
    assert (silent > 60).sum() > 20
    unanswered = leads[EN["unanswered"]]
    assert (unanswered <= 2).mean() > 0.8 and (unanswered >= 3).sum() > 20
    assert leads[EN["stage_since"]].notna().mean() > 0.8
    assert leads[EN["scheduled"]].notna().sum() > 20
    assert leads[EN["snooze_until"]].notna().sum() > 5


def test_intentional_duplicates(leads):
    email = leads[EN["email"]].str.lower()
    phone = leads[EN["phone"]].str.replace(r"\D", "", regex=True)
    person = leads[EN["company"]] + "|" + leads[EN["contact"]]
    assert email.dropna().duplicated().sum() >= 5
    assert phone.dropna().duplicated().sum() >= 5
    assert person.duplicated().sum() >= 5
    ev = evaluate(leads, today=TODAY)
    assert ev.outputs["stale_reason"].str.contains("duplicate of L-").sum() >= 10


def test_chinese_sample_uses_chinese_values():
    zh = sample_leads(1000, today=TODAY, language="zh")
    assert set(zh[ZH["stage"]]) == {s.zh for s in DEFAULT_STAGES}
    assert set(zh[ZH["budget"]].dropna()) <= {c.zh for c in DEFAULT_BANT["budget"]}
    assert set(zh[ZH["source"]]) <= {"官网", "转介绍", "展会", "领英", "电话开发", "合作伙伴", "线上研讨会"}
    companies = zh[ZH["company"]]
    chinese = companies.str.contains(r"[\u4e00-\u9fff]")
    assert 0.4 < chinese.mean() < 0.9  # a mix of Chinese and foreign companies
    ev = evaluate(zh, today=TODAY)
    assert ev.problems.empty
    assert ev.outputs["grade"].notna().all()


def test_clean_sample_has_no_problems_and_grades_everything(leads):
    ev = evaluate(leads, today=TODAY)
    assert ev.problems.empty, ev.problems.head()
    grades = ev.outputs["grade"].value_counts()
    assert set(grades.index) == {"A", "B", "C", "D"}
    assert ev.outputs["stale"].notna().mean() < 0.4


def _cell(value: object) -> str:
    """A cell as comparable text: blanks alike, datetimes alike whatever their Python type."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (dt.date, np.datetime64)):
        return pd.Timestamp(value).isoformat()
    return str(value)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_with_problems_gives_bad_cells_that_check_data_reports(language):
    bad = sample_leads(800, today=TODAY, language=language, with_problems=True)
    clean = sample_leads(800, today=TODAY, language=language)
    n_changed = sum(int((bad[c].map(_cell) != clean[c].map(_cell)).sum()) for c in bad.columns)
    assert 8 <= n_changed <= 16  # ~1% of rows, one cell each
    problems = evaluate(bad, today=TODAY).problems
    assert len(problems) == n_changed
    assert {"stage", "budget", "last_contact", "deal_value", "unanswered", "created"} <= set(problems["key"])
    if language == "en":
        typo = problems[problems["key"] == "stage"].iloc[0]
        assert typo["value"] == "Negotation" and typo["suggestion"] == "Negotiation"


@pytest.mark.slow
def test_a_million_rows_quickly():
    sample_leads(1000, today=TODAY)  # warm up imports
    start = time.perf_counter()
    big = sample_leads(1_000_000, today=TODAY)
    seconds = time.perf_counter() - start
    print(f"\nsample_leads(1_000_000): {seconds:.2f} s")
    assert len(big) == 1_000_000
    assert big[EN["lead_id"]].iloc[-1] == "L-1000000"
    assert big[EN["lead_id"]].is_unique
    assert seconds < 30  # a loose guard against a per-row Python loop; the target is ~3 s
    person = big[EN["company"]] + "|" + big[EN["contact"]]
    assert person.duplicated().mean() < 0.02  # names are combined without accidental repeats
    assert np.isclose((big[EN["stage"]] == "Closed Won").mean(), 0.10, atol=0.005)
