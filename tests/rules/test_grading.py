"""docs/spec.md §2 BANT points, Score, Grade, Grade Reason, Grade Change — on hand-made rows."""

from __future__ import annotations

import pytest

from salesbook.rules.settings import Settings

from .conftest import day, one, out, run

A_FACTS = {"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Clear", "Timeline": "≤3 months"}


def grade_of(**cells) -> str | None:
    return one(cells)["grade"]


def score_of(settings: Settings | None = None, **cells) -> float | None:
    return one(cells, settings=settings)["score"]


# ---- grade rules and their order -------------------------------------------------

class TestGradeRules:
    def test_all_four_facts_make_an_a(self):
        assert grade_of(**A_FACTS) == "A"

    def test_mismatch_wins_over_everything_else(self):
        assert grade_of(**{**A_FACTS, "Need": "Mismatch"}) == "D"

    def test_a_does_not_need_a_clear_need(self):
        # Rule 2 names budget, authority and timeline only.
        assert grade_of(**{**A_FACTS, "Need": "Vague"}) == "A"
        assert grade_of(**{**A_FACTS, "Need": ""}) == "A"

    @pytest.mark.parametrize("cell, value", [
        ("Budget", "Pending"), ("Budget", "Unknown"), ("Budget", "None"), ("Budget", ""),
        ("Authority", "Influencer"), ("Authority", "User"), ("Authority", ""),
        ("Timeline", "3-6 months"), ("Timeline", "6-12 months"), ("Timeline", ">12 months"), ("Timeline", ""),
    ])
    def test_a_needs_every_one_of_its_three_facts(self, cell, value):
        # Need is Clear, so missing one A fact falls to B.
        assert grade_of(**{**A_FACTS, cell: value}) == "B"

    def test_b_is_a_clear_need(self):
        assert grade_of(Need="Clear") == "B"
        assert grade_of(Need="Clear", Budget="None", Authority="User", Timeline=">12 months") == "B"

    @pytest.mark.parametrize("need", ["Identified", "Vague", ""])
    def test_c_is_everything_else(self, need):
        assert grade_of(Need=need, Budget="Pending", Authority="Influencer", Timeline="3-6 months") == "C"

    def test_first_contact_with_nothing_known_is_c(self):
        assert grade_of() == "C"


# ---- points ----------------------------------------------------------------------

class TestPoints:
    # Balanced: score = round(25 × Σ points / 3). Holding the other three dimensions at 0
    # points (Authority Unknown, Need Mismatch, Timeline Unknown) isolates one dimension.
    @pytest.mark.parametrize("budget, points", [("Confirmed", 3), ("Pending", 2), ("Unknown", 1), ("None", 0), ("", 1)])
    def test_budget(self, budget, points):
        assert score_of(Budget=budget, Authority="Unknown", Need="Mismatch", Timeline="Unknown") == round(25 * points / 3 + 1e-9)

    @pytest.mark.parametrize("authority, points", [("Decision maker", 3), ("Influencer", 2), ("User", 1), ("Unknown", 0), ("", 0)])
    def test_authority(self, authority, points):
        assert score_of(Budget="None", Authority=authority, Need="Mismatch") == [0, 8, 17, 25][points]

    @pytest.mark.parametrize("need, points", [("Clear", 3), ("Identified", 2), ("Vague", 1), ("Mismatch", 0), ("", 1)])
    def test_need(self, need, points):
        assert score_of(Budget="None", Need=need) == [0, 8, 17, 25][points]

    @pytest.mark.parametrize("timeline, points", [("≤3 months", 3), ("3-6 months", 2), ("6-12 months", 1),
                                                  (">12 months", 0), ("Unknown", 0), ("", 0)])
    def test_timeline_buckets(self, timeline, points):
        assert score_of(Budget="None", Need="Mismatch", Timeline=timeline) == [0, 8, 17, 25][points]

    @pytest.mark.parametrize("offset, points", [
        (-400, 3),   # a purchase date already past still counts as soon
        (-1, 3),
        (0, 3),      # today
        (92, 3), (93, 2),
        (183, 2), (184, 1),
        (365, 1), (366, 0),
        (2000, 0),
    ])
    def test_timeline_as_a_date(self, offset, points):
        assert score_of(Budget="None", Need="Mismatch", Timeline=day(offset)) == [0, 8, 17, 25][points]

    def test_timeline_date_of_exactly_92_days_is_soon_enough_for_a(self):
        assert grade_of(**{**A_FACTS, "Timeline": day(92)}) == "A"
        assert grade_of(**{**A_FACTS, "Timeline": day(93)}) == "B"

    @pytest.mark.parametrize("months", ["3", "6", "12", "24"])
    def test_a_bare_number_in_timeline_is_not_a_date_in_1900(self, months):
        # '12' typed for "12 months" once read as Excel day 12 (12 Jan 1900): a past date,
        # 3 points, "buying within 3 months" — and grade A. It must be a bad cell instead.
        o = one({**A_FACTS, "Timeline": months})
        assert o["grade"] is None
        assert o["grade_reason"] == f"Check: Timeline '{months}' is neither a date nor a known period"

    def test_a_real_excel_serial_is_still_a_date(self):
        # 46357 = 2026-12-01 (13 days away): 3 points.
        assert score_of(Budget="None", Need="Mismatch", Timeline="46357") == 25
        assert score_of(Budget="None", Need="Mismatch", Timeline="46357.0") == 25

    def test_timeline_date_typed_in_common_formats(self):
        # 2026-12-01 is 13 days away: 3 points, whichever way it is written.
        for text in ("2026-12-01", "2026/12/01", "2026年12月1日", "2026.12.01"):
            assert score_of(Budget="None", Need="Mismatch", Timeline=text) == 25, text

    @pytest.mark.parametrize("cells", [
        {"Budget": "明确", "Authority": "决策人", "Need": "明确", "Timeline": "3个月内"},
        {"Budget": "confirmed", "Authority": "decision MAKER", "Need": " clear ", "Timeline": "<=3 months"},
    ])
    def test_chinese_and_loosely_typed_values(self, cells):
        o = one(cells)
        assert (o["grade"], o["score"]) == ("A", 100)

    @pytest.mark.parametrize("cells, score, grade", [
        ({"Budget": "待确认", "Authority": "影响者", "Need": "已识别", "Timeline": "3-6个月"}, 67, "C"),
        ({"Budget": "无", "Authority": "使用者", "Need": "模糊", "Timeline": "6-12个月"}, 25, "C"),
        ({"Budget": "未知", "Authority": "未知", "Need": "不匹配", "Timeline": "12个月以上"}, 8, "D"),
        ({"Need": "明确", "Timeline": "未知"}, 33, "B"),  # 3 + budget blank 1 → 4 → 33.33
    ])
    def test_every_chinese_value(self, cells, score, grade):
        o = one(cells)
        assert (o["grade"], o["score"]) == (grade, score)


# ---- score and weight profiles ----------------------------------------------------

class TestScore:
    # Points used below: Budget Pending 2, Authority User 1, Need Clear 3, Timeline 6-12 months 1.
    ROW = {"Budget": "Pending", "Authority": "User", "Need": "Clear", "Timeline": "6-12 months"}

    def test_balanced_is_the_default(self):
        # 100 × 0.25 × (2 + 1 + 3 + 1) / 3 = 58.33 → 58
        assert score_of(**self.ROW) == 58

    @pytest.mark.parametrize("profile, expected", [
        # Balanced: 100 × (0.25×2 + 0.25×1 + 0.25×3 + 0.25×1) / 3 = 100 × 1.75 / 3 = 58.33 → 58
        ("Balanced", 58),
        # Startup:  100 × (0.15×2 + 0.15×1 + 0.35×3 + 0.35×1) / 3 = 100 × 1.85 / 3 = 61.67 → 62
        ("Startup", 62),
        # Mature:   100 × (0.35×2 + 0.35×1 + 0.15×3 + 0.15×1) / 3 = 100 × 1.65 / 3 = 55.00 → 55
        ("Mature", 55),
    ])
    def test_each_profile_by_hand(self, profile, expected):
        assert score_of(Settings(weight_profile=profile), **self.ROW) == expected

    def test_profiles_rank_the_same_lead_differently(self):
        demand = {"Budget": "None", "Authority": "User", "Need": "Clear", "Timeline": "≤3 months"}
        quality = {"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Vague", "Timeline": ">12 months"}
        # Startup: demand = 100×(0 + .15 + 1.05 + 1.05)/3 = 75; quality = 100×(.45 + .45 + .35 + 0)/3 = 41.67 → 42
        assert score_of(Settings(weight_profile="Startup"), **demand) == 75
        assert score_of(Settings(weight_profile="Startup"), **quality) == 42
        # Mature: demand = 100×(0 + .35 + .45 + .45)/3 = 41.67 → 42; quality = 100×(1.05 + 1.05 + .15 + 0)/3 = 75
        assert score_of(Settings(weight_profile="Mature"), **demand) == 42
        assert score_of(Settings(weight_profile="Mature"), **quality) == 75

    def test_rounds_to_nearest_not_down(self):
        # Balanced, Σ points 2 → 16.67 → 17 (not 16); Σ 1 → 8.33 → 8.
        assert score_of(Budget="Pending", Need="Mismatch") == 17
        assert score_of(Budget="Unknown", Need="Mismatch") == 8

    @pytest.mark.parametrize("budget_weight, points_row, expected", [
        (0.015, {"Budget": "Unknown"}, 1),   # 100 × 0.015 × 1 / 3 = 0.5 → 1 (Python's round would give 0)
        (0.075, {"Budget": "Unknown"}, 3),   # 2.5 → 3 (round() gives 2; the float is 2.4999…)
        (0.075, {"Budget": "Confirmed"}, 8),  # 7.5 → 8
    ])
    def test_half_rounds_up(self, budget_weight, points_row, expected):
        rest = (1 - budget_weight) / 3
        weights = {"Half": {"budget": budget_weight, "authority": rest, "need": rest, "timeline": rest}}
        s = Settings(weights=weights, weight_profile="Half")
        cells = {"Authority": "Unknown", "Need": "Mismatch", "Timeline": "Unknown", **points_row}
        assert score_of(s, **cells) == expected

    def test_extremes(self):
        assert score_of(**A_FACTS) == 100
        assert score_of(Budget="None", Authority="Unknown", Need="Mismatch", Timeline="Unknown") == 0


class TestGradeAgainstScore:
    """The example in the user guide and docs/spec.md §2 Score: why the Score header has a note."""
    B_92 = {"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Clear", "Timeline": "3-6 months"}
    A_83 = {"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Vague", "Timeline": "≤3 months"}

    def test_with_rules_a_b_can_outscore_an_a(self):
        ev = run(self.B_92, self.A_83)
        assert [(out(ev, i)["grade"], out(ev, i)["score"]) for i in (0, 1)] == [("B", 92), ("A", 83)]

    def test_with_the_score_method_grade_and_score_agree(self):
        ev = run(self.B_92, self.A_83, settings=Settings(grade_method="score"))
        assert [(out(ev, i)["grade"], out(ev, i)["score"]) for i in (0, 1)] == [("A", 92), ("A", 83)]


class TestScoreMethod:
    S = Settings(grade_method="score")

    @pytest.mark.parametrize("cells, score, grade", [
        # Balanced; Σ points 9 → 75 → A, Σ 8 → 66.67 → 67 → B, Σ 6 → 50 → B, Σ 5 → 41.67 → 42 → C
        ({"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Identified", "Timeline": "6-12 months"}, 75, "A"),
        ({"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Identified", "Timeline": ""}, 67, "B"),
        ({"Budget": "Confirmed", "Authority": "Decision maker", "Need": "", "Timeline": ""}, 58, "B"),
        ({"Budget": "Confirmed", "Authority": "Influencer", "Need": "Vague", "Timeline": ""}, 50, "B"),
        ({"Budget": "Confirmed", "Authority": "Influencer", "Need": "", "Timeline": "", }, 50, "B"),
        ({"Budget": "Pending", "Authority": "Influencer", "Need": "Vague", "Timeline": ""}, 42, "C"),
    ])
    def test_thresholds(self, cells, score, grade):
        o = one(cells, settings=self.S)
        assert (o["score"], o["grade"]) == (score, grade)

    def test_mismatch_is_still_d_whatever_the_score(self):
        o = one({"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Mismatch", "Timeline": "≤3 months"},
                settings=self.S)
        assert (o["score"], o["grade"]) == (75, "D")

    def test_a_by_score_does_not_need_the_a_facts(self):
        # Budget pending: never A by rules, but 100×.25×(2+3+3+3)/3 = 91.67 → 92 ≥ 75.
        cells = {"Budget": "Pending", "Authority": "Decision maker", "Need": "Clear", "Timeline": "≤3 months"}
        assert one(cells)["grade"] == "B"
        assert one(cells, settings=self.S)["grade"] == "A"

    def test_custom_thresholds(self):
        s = Settings(grade_method="score", a_threshold=90, b_threshold=20)
        assert one({"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Identified", "Timeline": "6-12 months"},
                   settings=s)["grade"] == "B"  # 75 < 90
        assert one({}, settings=s)["grade"] == "C"  # 17 < 20

    def test_reason_names_the_score_and_the_points_missing(self):
        o = one({"Budget": "Confirmed", "Authority": "Decision maker", "Need": "Identified", "Timeline": ""}, settings=self.S)
        assert o["grade_reason"].startswith("B: score 67")
        assert "for A: 8 more points" in o["grade_reason"]


# ---- Grade Reason -----------------------------------------------------------------

class TestGradeReason:
    def test_the_spec_example(self):
        o = one({"Budget": "Pending", "Authority": "Influencer", "Need": "Clear", "Timeline": "≤3 months"})
        assert o["grade_reason"] == ("B: need clear; budget pending; influencer only; buying within 3 months"
                                     " — for A: confirm budget, reach the decision maker")

    def test_a_names_its_facts_and_nothing_missing(self):
        r = one(A_FACTS)["grade_reason"]
        assert r.startswith("A: budget confirmed; decision maker; buying within 3 months")
        assert "for" not in r

    def test_b_lists_every_missing_a_fact(self):
        r = one({"Need": "Clear"})["grade_reason"]
        assert r.startswith("B: need clear; budget unknown; authority unknown; timeline unknown")
        assert r.endswith("for A: confirm budget, reach the decision maker, a purchase within 3 months")

    def test_b_missing_only_the_timeline(self):
        r = one({**A_FACTS, "Timeline": "3-6 months"})["grade_reason"]
        assert "buying in 3-6 months" in r
        assert r.endswith("for A: a purchase within 3 months")

    def test_c_says_the_need_must_be_clarified(self):
        r = one({"Need": "Identified", "Budget": "Confirmed"})["grade_reason"]
        assert r.startswith("C: need identified; budget confirmed")
        assert r.endswith("for B: clarify the need")

    def test_d_says_disqualified(self):
        assert one({"Need": "Mismatch"})["grade_reason"] == "D: need does not match our offer — disqualified"

    def test_timeline_date_is_described_by_its_class(self):
        assert "buying in 6-12 months" in one({"Timeline": day(200)})["grade_reason"]
        assert "buying within 3 months" in one({"Timeline": day(-30)})["grade_reason"]

    def test_chinese_headers_give_chinese_reasons(self):
        ev = run({"线索编号": "L-1", "公司": "甲", "负责人": "王", "阶段": "潜在开发", "创建日期": day(0),
                  "预算": "待确认", "权限": "影响者", "需求": "明确", "时间": "3个月内"}, base=False)
        o = out(ev)
        assert o["grade"] == "B"
        assert o["grade_reason"].startswith("B: 需求明确；预算待确认；仅对接影响者")
        assert "确认预算" in o["grade_reason"] and "接触决策人" in o["grade_reason"]


# ---- Grade Change -----------------------------------------------------------------

class TestGradeChange:
    @pytest.mark.parametrize("previous, change", [
        ("B", "B→A"), ("C", "C→A"), ("D", "D→A"),
        ("A", None),     # same grade: blank
        ("", None),      # first run: blank
        (None, None),
        (" b ", "B→A"),  # the sheet's own cell, however it was typed
    ])
    def test_change_against_the_previous_grade(self, previous, change):
        assert one({**A_FACTS, "Grade": previous})["grade_change"] == change

    def test_downgrade(self):
        assert one({"Need": "Mismatch", "Grade": "B"})["grade_change"] == "B→D"

    def test_budget_confirmed_upgrades_b_to_a(self):
        before = {"Budget": "Pending", "Authority": "Decision maker", "Need": "Clear", "Timeline": "≤3 months"}
        first = one(before)
        assert first["grade"] == "B"
        again = one({**before, "Budget": "Confirmed", "Grade": first["grade"]})
        assert (again["grade"], again["grade_change"]) == ("A", "B→A")

    def test_running_twice_shows_no_change(self):
        first = one(A_FACTS)
        assert one({**A_FACTS, "Grade": first["grade"]})["grade_change"] is None


# ---- bad cells --------------------------------------------------------------------

class TestBadValues:
    @pytest.mark.parametrize("cell, value", [
        ("Budget", "maybe"), ("Authority", "CEO's cousin"), ("Need", "???"), ("Timeline", "soonish"), ("Timeline", "#N/A"),
    ])
    def test_bad_bant_cell_says_check_and_only_that_row_is_affected(self, cell, value):
        ev = run(A_FACTS, {**A_FACTS, cell: value}, A_FACTS)
        bad = out(ev, 1)
        assert bad["grade"] is None and bad["score"] is None and bad["grade_change"] is None
        assert bad["grade_reason"].startswith("Check: ")
        assert cell in bad["grade_reason"] and value in bad["grade_reason"]
        assert bad["followup_status"].startswith("Check: ")  # follow-up depends on the grade
        assert bad["next_followup"] is None
        for i in (0, 2):
            good = out(ev, i)
            assert (good["grade"], good["score"]) == ("A", 100)
        problems = ev.problems
        assert list(problems["row"]) == [ev.outputs.index[1]]
        assert list(problems["key"]) == [cell.lower()]

    def test_bad_row_keeps_no_grade_change(self):
        ev = run({"Budget": "maybe", "Grade": "B"})
        assert out(ev)["grade_change"] is None

    def test_a_bad_cell_elsewhere_does_not_stop_grading(self):
        o = one({**A_FACTS, "Deal Value": "lots"})
        assert o["grade"] == "A"

    def test_blank_rows_stay_blank(self):
        ev = run(A_FACTS, {"Lead ID": None, "Company": None, "Owner": None, "Stage": None, "Created": None})
        assert out(ev, 1)["grade"] is None and out(ev, 1)["grade_reason"] is None
        assert ev.problems.empty
