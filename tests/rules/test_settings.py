"""Settings sheet → Settings → rule outputs; bad cells stop with a message naming the cell."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from salesbook.rules.settings import Settings, Stage
from salesbook.rules.settings_sheet import SettingsError, settings_from_grid, settings_rows

from .conftest import TODAY, day, one, out, run


def grid(settings: Settings | None = None, language: str = "en") -> list[list[object]]:
    """The Settings sheet as ``settings_rows`` lays it out: title, table, a blank line, next block."""
    rows: list[list[object]] = []
    for title, block, _note in settings_rows(settings):
        rows.append([title])
        rows += [list(r) for r in block]
        rows.append([])
    return rows


def block(title: str, *rows: list[object]) -> list[list[object]]:
    return [[title], *[list(r) for r in rows], []]


def set_cell(rows: list[list[object]], label: str, col: int, value: object) -> list[list[object]]:
    """A copy of ``rows`` with cell ``col`` of the row labelled ``label`` (exactly, else the first
    row starting with it) changed."""
    rows = [list(r) for r in rows]
    exact = [r for r in rows if r and str(r[0]) == label]
    for r in exact or rows:
        if r and str(r[0]).startswith(label):
            while len(r) <= col:
                r.append(None)
            r[col] = value
            return rows
    raise AssertionError(f"no row {label!r}")


class TestRoundTrip:
    def test_defaults(self):
        assert settings_from_grid(grid()) == Settings()

    def test_empty_sheet_is_the_defaults(self):
        assert settings_from_grid([]) == Settings()
        assert settings_from_grid(None) == Settings()
        assert settings_from_grid([["just a note"], []]) == Settings()

    def test_changed_settings(self):
        s = Settings(weight_profile="Startup", grade_method="score", a_threshold=80, b_threshold=40,
                     unanswered_limit=4, no_contact_days=45, duplicate_check=False, bottleneck_min_reached=3,
                     holidays=(dt.date(2026, 12, 25), dt.date(2027, 1, 1)), as_of=dt.date(2026, 11, 20),
                     cadence_open={"A": 2, "B": 5, "C": 21, "D": None}, cadence_won={"A": 14, "B": 60, "C": None, "D": None},
                     language="zh")
        assert settings_from_grid(grid(s)) == s

    def test_chinese_labels(self):
        rows = block("常规", ["设置", "值"], ["权重方案", "初创"], ["评级方式", "评分"], ["未回应上限", 5]) + \
            block("节假日", ["日期"], ["2026-11-23"])
        s = settings_from_grid(rows)
        assert (s.weight_profile, s.grade_method, s.unanswered_limit) == ("Startup", "score", 5)
        assert s.holidays == (dt.date(2026, 11, 23),)


class TestSettingsChangeOutputs:
    STAGES = block("Stages", ["Stage", "中文", "Probability", "Limit (days)", "Type"],
                   ["Lead", "线索", "10%", 7, "Open"],
                   ["Demo", "演示", 40, 5, "Open"],
                   ["Contract", "合同", 0.8, 10, "Open"],
                   ["Signed", "签约", "", "", "Won"],
                   ["Dropped", "放弃", "", "", "Lost"])

    @pytest.fixture
    def s(self) -> Settings:
        return settings_from_grid(self.STAGES)

    def test_stages_are_read(self, s):
        assert [(st.name, st.probability, st.limit_days, st.kind) for st in s.stages] == [
            ("Lead", 0.10, 7, "open"), ("Demo", 0.40, 5, "open"), ("Contract", 0.80, 10, "open"),
            ("Signed", 1.0, None, "won"), ("Dropped", 0.0, None, "lost")]

    def test_stage_limit_drives_stuck(self, s):
        fresh = {"Last Contact": day(0)}
        assert one({**fresh, "Stage": "Demo", "Stage Since": day(-5)}, settings=s)["stale"] is None
        assert one({**fresh, "Stage": "Demo", "Stage Since": day(-6)}, settings=s)["stale_reason"] == \
            "stuck in Demo for 6 days (limit 5)"
        # 6 days in Prospecting would be fine by default, and 15 days stuck by default — here it is not a stage.
        assert one({**fresh, "Stage": "Demo", "Stage Since": day(-6)})["stale_reason"].startswith("Check: Stage 'Demo'")

    def test_old_stage_names_are_now_unknown(self, s):
        o = one({"Stage": "Prospecting"}, settings=s)
        assert o["followup_status"].startswith("Check: Stage 'Prospecting' is not a stage in Settings")
        assert o["grade"] == "C"  # grading does not depend on the stage

    def test_probabilities_drive_the_weighted_pipeline(self, s):
        ev = run({"Stage": "Lead", "Deal Value": "1000"}, {"Stage": "演示", "Deal Value": "1000"},
                 {"Stage": "Contract", "Deal Value": "1000"}, {"Stage": "Signed", "Deal Value": "500"}, settings=s)
        assert ev.report.kpis["weighted"] == pytest.approx(100 + 400 + 800)
        assert ev.report.stages["stage"].tolist() == ["Lead", "Demo", "Contract", "Signed", "Dropped"]
        assert ev.report.stages["reached"].tolist()[:4] == [4, 3, 2, 1]

    def test_won_and_lost_kinds(self, s):
        assert one({"Stage": "Signed", "Need": "Clear", "Last Contact": "2026-11-02"}, settings=s)["next_followup"] == \
            pd.Timestamp("2027-01-31") + pd.Timedelta(days=1)  # B after-sales 90 days: Sun → Mon
        assert one({"Stage": "Dropped", **{"Last Contact": "2026-11-02"}}, settings=s)["next_followup"] is None
        assert one({"Stage": "Dropped", "Unanswered": "9"}, settings=s)["stale"] is None

    def test_cadence_sheet(self):
        s = settings_from_grid(block("Follow-up cadence", ["Grade", "Open (days)", "Closed Won (days)"],
                                     ["A", 1, 7], ["B", 2, "None"], ["C", "None", 365], ["D", 10, ""]))
        assert s.cadence_open == {"A": 1, "B": 2, "C": None, "D": 10}
        assert s.cadence_won == {"A": 7, "B": None, "C": 365, "D": None}
        base = {"Last Contact": "2026-11-16"}
        assert one({**base, "Need": "Clear"}, settings=s)["next_followup"] == pd.Timestamp("2026-11-18")
        assert one({**base}, settings=s)["next_followup"] is None
        assert one({**base, "Need": "Mismatch"}, settings=s)["next_followup"] == pd.Timestamp("2026-11-26")
        assert one({**base, "Stage": "Closed Won", "Need": "Clear"}, settings=s)["next_followup"] is None

    def test_holidays_sheet(self):
        s = settings_from_grid(block("Holidays", ["Date", "Name"], ["2026-11-23", "x"], [dt.date(2026, 11, 24), "y"]))
        assert one({"Need": "Clear", "Last Contact": "2026-11-16"}, settings=s)["next_followup"] == pd.Timestamp("2026-11-25")

    def test_as_of_overrides_today(self):
        s = settings_from_grid(block("General", ["Setting", "Value"], ["As of", "2026-12-31"]))
        ev = run({"Last Contact": "2026-11-16"}, settings=s, today=TODAY)
        assert ev.today == dt.date(2026, 12, 31)
        assert out(ev)["followup_status"] == "Overdue"  # due Dec 16, as of Dec 31

    def test_bant_points_sheet(self):
        rows = block("BANT points", ["Dimension", "Value", "中文", "Points", "Blank means"],
                     ["Budget", "Confirmed", "明确", 3, ""], ["Budget", "Pending", "待确认", 1, ""],
                     ["Budget", "Unknown", "未知", 0, "Yes"], ["Budget", "None", "无", 0, ""])
        s = settings_from_grid(rows)
        # Pending now 1, blank 0: Balanced Σ = 1 → 8; blank → 0 + need vague 1 → 8
        assert one({"Budget": "Pending", "Need": "Mismatch"}, settings=s)["score"] == 8
        assert one({"Need": "Mismatch"}, settings=s)["score"] == 0
        assert one({"Budget": "明确", "Authority": "DM", "Timeline": "≤3 months"}, settings=s)["grade"] == "A"

    def test_weights_sheet_and_profile(self):
        rows = block("General", ["Setting", "Value"], ["Weight profile", "Custom"]) + \
            block("Weights", ["Profile", "Budget", "Authority", "Need", "Timeline"],
                  ["Custom", "70%", "10%", "10%", "10%"])
        s = settings_from_grid(rows)
        assert s.weight == pytest.approx({"budget": .7, "authority": .1, "need": .1, "timeline": .1})
        # Budget Confirmed only: 100 × 0.7 × 3 / 3 = 70, need vague +3.33 → 73.33 → 73
        assert one({"Budget": "Confirmed"}, settings=s)["score"] == 73

    def test_unanswered_and_no_contact_limits(self):
        rows = block("General", ["Setting", "Value"], ["Unanswered limit", 2], ["No contact days", 10],
                     ["Duplicate check", "No"])
        s = settings_from_grid(rows)
        assert one({"Unanswered": "2", "Last Contact": day(0)}, settings=s)["stale_reason"] == \
            "2 consecutive contacts without response"
        assert one({"Created": day(-11), "Stage Since": day(0)}, settings=s)["stale_reason"] == "no contact for 11 days"
        ev = run({"Email": "a@b.c"}, {"Email": "a@b.c"}, settings=s)
        assert out(ev, 1)["stale"] is None


class TestBadSettings:
    def _error(self, rows) -> SettingsError:
        with pytest.raises(SettingsError) as e:
            settings_from_grid(rows, sheet="Settings")
        err = e.value
        assert err.sheet == "Settings"
        assert "Settings" in str(err)
        return err

    def test_probability_text(self):
        rows = set_cell(grid(), "Proposal", 2, "abc")
        err = self._error(rows)
        r = next(i for i, row in enumerate(rows) if row and row[0] == "Proposal") + 1
        assert (err.row, err.column, err.value) == (r, "C", "abc")
        assert f"cell C{r}" in str(err) and "'abc'" in str(err) and "probability" in str(err)

    @pytest.mark.parametrize("value", ["150%", 150, "-5%", "nan", "inf"])
    def test_probability_out_of_range(self, value):
        err = self._error(set_cell(grid(), "Proposal", 2, value))
        assert err.column == "C" and err.value == value

    def test_percent_probability_forms(self):
        for value, expected in (("55%", .55), (55, .55), (0.55, .55), ("100%", 1.0), ("1%", .01)):
            s = settings_from_grid(set_cell(grid(), "Proposal", 2, value))
            assert s.stages[4].probability == pytest.approx(expected), value

    def test_weights_not_adding_up(self):
        rows = set_cell(grid(), "Startup", 1, 0.5)  # 0.5 + 0.15 + 0.35 + 0.35 = 135%
        err = self._error(rows)
        assert "Startup" in str(err) and "100%" in str(err) and "135%" in str(err)
        assert err.column == "A"

    def test_unknown_profile(self):
        err = self._error(set_cell(grid(), "Weight profile", 1, "Hyperscale"))
        assert err.value == "Hyperscale" and err.column == "B"
        assert "Balanced" in str(err) and "Startup" in str(err) and "Mature" in str(err)

    @pytest.mark.parametrize("label, value, what", [
        ("Grade method", "vibes", "grade method"),
        ("A score threshold", 120, "score"),
        ("Unanswered limit", "three", "whole number"),
        ("No contact days", 2.5, "whole number"),
        ("As of", "tomorrow-ish", "date"),
        ("Duplicate check", "maybe", "Yes or No"),
        ("Language", "Klingon", "language"),
    ])
    def test_bad_general_cells(self, label, value, what):
        rows = set_cell(grid(), label, 1, value)
        err = self._error(rows)
        r = next(i for i, row in enumerate(rows) if row and str(row[0]).startswith(label)) + 1
        assert (err.row, err.column, err.value) == (r, "B", value)
        assert what in str(err)

    def test_b_threshold_above_a(self):
        rows = set_cell(set_cell(grid(), "A score threshold", 1, 40), "B score threshold", 1, 60)
        assert "threshold" in str(self._error(rows))

    def test_bad_points_and_cadence_and_holiday(self):
        self._error(set_cell(grid(), "Budget", 3, 4))      # points above 3 (the first Budget row)
        self._error(set_cell(grid(), "A", 1, 0))           # a cadence of 0 days
        self._error(set_cell(grid(), "B", 2, "soon"))      # after-sales cadence text
        rows = grid()
        at = rows.index(["Date", "Name"]) + 1             # the Holidays header (Targets follows the block)
        self._error(rows[:at] + [["31/02/2026"]] + rows[at:])  # a holiday that is no date (inside the Holidays block)

    def test_stage_type(self):
        err = self._error(set_cell(grid(), "Proposal", 4, "Maybe"))
        assert err.column == "E"

    def test_stages_without_an_open_one(self):
        self._error(block("Stages", ["Stage", "Type"], ["Won", "Won"], ["Lost", "Lost"]))


def test_stages_sheet_adds_missing_closed_stages():
    s = settings_from_grid(block("Stages", ["Stage", "Probability", "Limit"], ["Call", 0.2, 3], ["Offer", 0.6, 9]))
    assert [st.name for st in s.stages] == ["Call", "Offer", "Closed Won", "Closed Lost"]
    assert s.stages[-2] == Stage("Closed Won", "成交", 1.0, None, "won")
