"""The rules' settings: defaults from docs/spec.md §2, overridable from a Settings sheet.

Settings are data, not code. The Settings sheet is a column of titled blocks, each a
small table or a list of ``key | value`` lines, in English or Chinese::

    General 常规
    As of 截至日期            | 2026-11-20
    Weight profile 权重方案    | Balanced
    ...
    Stages 阶段
    Stage | 中文 | Probability | Limit (days) | Type
    Prospecting | 潜在开发 | 5% | 14 | Open
    ...

Anything a sheet does not mention keeps its default. A value that cannot be read
stops the command with a message naming the Settings cell (``SettingsError``). Reading
and writing the sheet itself is rules/settings_sheet.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from salesbook.rules.schema import norm
from salesbook.vocabulary.names import SETTINGS as SETTINGS_SHEET, SHEET_NAMES

SETTINGS_SHEET_NAMES = SHEET_NAMES[SETTINGS_SHEET]

OPEN, WON, LOST = "open", "won", "lost"
DIMENSIONS = ("budget", "authority", "need", "timeline")


@dataclass(frozen=True)
class Stage:
    name: str
    zh: str
    probability: float
    limit_days: int | None
    kind: str = OPEN  # open | won | lost


@dataclass(frozen=True)
class Choice:
    """One value of a BANT dimension. ``value`` is the canonical English name the rules
    refer to (Confirmed, Decision maker, Clear, Mismatch, ≤3 months …)."""

    value: str
    zh: str
    points: int
    blank: bool = False  # a blank cell means this value
    aliases: tuple[str, ...] = ()


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("Prospecting", "潜在开发", 0.05, 14),
    Stage("Qualification", "资格审查", 0.10, 14),
    Stage("Initial Contact", "初步联络", 0.20, 21),
    Stage("Needs Assessment", "需求评估", 0.35, 21),
    Stage("Proposal", "提案/报价", 0.55, 30),
    Stage("Negotiation", "谈判", 0.75, 30),
    Stage("Closed Won", "成交", 1.0, None, WON),
    Stage("Closed Lost", "丢单", 0.0, None, LOST),
)

DEFAULT_BANT: dict[str, tuple[Choice, ...]] = {
    "budget": (
        Choice("Confirmed", "明确", 3, aliases=("已确认", "预算明确", "Yes")),
        Choice("Pending", "待确认", 2, aliases=("待定",)),
        Choice("Unknown", "未知", 1, blank=True),
        Choice("None", "无", 0, aliases=("No budget", "没有", "无预算")),
    ),
    "authority": (
        Choice("Decision maker", "决策人", 3, aliases=("DM", "Decision-maker", "Decider", "决策者")),
        Choice("Influencer", "影响者", 2, aliases=("影响人",)),
        Choice("User", "使用者", 1, aliases=("End user", "用户")),
        Choice("Unknown", "未知", 0, blank=True),
    ),
    "need": (
        Choice("Clear", "明确", 3, aliases=("清晰",)),
        Choice("Identified", "已识别", 2, aliases=("识别",)),
        Choice("Vague", "模糊", 1, blank=True),
        Choice("Mismatch", "不匹配", 0, aliases=("Not a fit", "No fit")),
    ),
    "timeline": (
        Choice("≤3 months", "3个月内", 3, aliases=("<=3 months", "<3 months", "0-3 months", "< 3 months", "三个月内")),
        Choice("3-6 months", "3-6个月", 2, aliases=("3–6 months", "3 to 6 months")),
        Choice("6-12 months", "6-12个月", 1, aliases=("6–12 months", "6 to 12 months")),
        Choice(">12 months", "12个月以上", 0, aliases=(">12", "12+ months", "over 12 months", "超过12个月")),
        Choice("Unknown", "未知", 0, blank=True),
    ),
}

# Timeline given as a date: days from today up to N → points (past dates count as soon).
DEFAULT_TIMELINE_DAYS: tuple[tuple[int, int], ...] = ((92, 3), (183, 2), (365, 1))

DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "Balanced": {"budget": 0.25, "authority": 0.25, "need": 0.25, "timeline": 0.25},
    "Startup": {"budget": 0.15, "authority": 0.15, "need": 0.35, "timeline": 0.35},
    "Mature": {"budget": 0.35, "authority": 0.35, "need": 0.15, "timeline": 0.15},
}
PROFILE_ALIASES = {"均衡": "Balanced", "平衡": "Balanced", "初创": "Startup", "初创期": "Startup",
                   "成熟": "Mature", "成熟期": "Mature"}

GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Target:
    """One line of the Targets block: the won value an owner should reach in a period
    (``period`` is the canonical label of a month, quarter or year: 2026-11, 2026-Q4, 2026)."""

    owner: str
    period: str
    amount: float


@dataclass(frozen=True)
class ImportColumn:
    """One line of the Import columns block: which export header feeds a salesbook column.
    ``key`` is a Leads input key (lead_id, stage …) or one of IMPORT_ONLY ("status", "stage_changed");
    several lines for one key list alternatives, the first found in the export wins."""

    key: str
    header: str


@dataclass(frozen=True)
class ImportValue:
    """One line of the Import values block: an export's value of a column (stage, budget,
    authority, need, timeline, status) and the salesbook value it means."""

    key: str
    value: str
    to: str


# Columns an export may have that are not Leads columns: a CRM's open/won/lost status and the
# date of the last stage change (docs/spec.md, "From your CRM").
IMPORT_ONLY = ("status", "stage_changed")
IMPORT_VALUE_KEYS = ("stage", "budget", "authority", "need", "timeline", "status")


@dataclass(frozen=True)
class Settings:
    stages: tuple[Stage, ...] = DEFAULT_STAGES
    bant: dict[str, tuple[Choice, ...]] = field(default_factory=lambda: dict(DEFAULT_BANT))
    timeline_days: tuple[tuple[int, int], ...] = DEFAULT_TIMELINE_DAYS
    weights: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_WEIGHTS.items()})
    weight_profile: str = "Balanced"
    grade_method: str = "rules"  # rules | score
    a_threshold: float = 75
    b_threshold: float = 50
    cadence_open: dict[str, int | None] = field(default_factory=lambda: {"A": 3, "B": 7, "C": 30, "D": None})
    cadence_won: dict[str, int | None] = field(default_factory=lambda: {"A": 30, "B": 90, "C": 180, "D": None})
    unanswered_limit: int = 3
    no_contact_days: int = 60
    duplicate_check: bool = True
    close_date_check: bool = True  # stale rule 6: an open lead's expected close date has passed
    holidays: tuple[dt.date, ...] = ()
    # Reading text cells (docs/spec.md §1): day/month order of text dates, the decimal mark of
    # text amounts ("auto": decided per column by the values that prove it), the region
    # phone numbers without a country code belong to, and the country whose public holidays
    # (and, for CN, make-up working days) follow-ups skip ("" = none).
    date_order: str = "auto"  # auto | DMY | MDY | YMD
    decimal_separator: str = "auto"  # auto | . | ,
    phone_region: str = "CN"
    holiday_calendar: str = ""  # e.g. CN, US, DE, GB, US-CA
    as_of: dt.date | None = None
    language: str = "auto"  # auto | en | zh
    bottleneck_min_reached: int = 5
    targets: tuple[Target, ...] = ()
    # How a CRM export's headers and values map onto the Leads columns (the Import columns and
    # Import values blocks); a preset fills in what these leave out (adapters/exports).
    import_columns: tuple[ImportColumn, ...] = ()
    import_values: tuple[ImportValue, ...] = ()

    # ---- derived look-ups -------------------------------------------------
    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.kind == OPEN)

    @property
    def funnel_stages(self) -> tuple[Stage, ...]:
        """Open stages in order, then the won stage(s): the path a lead travels."""
        return tuple(s for s in self.stages if s.kind != LOST)

    @property
    def weight(self) -> dict[str, float]:
        return self.weights[self.weight_profile]

    def stage_index(self) -> dict[str, int]:
        """norm(name or 中文) -> position in ``stages``."""
        index: dict[str, int] = {}
        for i, s in enumerate(self.stages):
            for name in (s.name, s.zh):
                if name:
                    index.setdefault(norm(name), i)
        return index

    def choice_index(self, dimension: str) -> dict[str, int]:
        """norm(value, 中文 or alias) -> position in ``bant[dimension]``."""
        index: dict[str, int] = {}
        for i, c in enumerate(self.bant[dimension]):
            for name in (c.value, c.zh, *c.aliases):
                if name:
                    index.setdefault(norm(name), i)
        return index

    def blank_choice(self, dimension: str) -> int | None:
        for i, c in enumerate(self.bant[dimension]):
            if c.blank:
                return i
        return None

    def find_choice(self, dimension: str, value: str) -> int | None:
        return self.choice_index(dimension).get(norm(value))

    def targets_frame(self):
        """The Targets block as a frame: owner, period (label), target (amount)."""
        import pandas as pd

        return pd.DataFrame({"owner": pd.Series([t.owner for t in self.targets], dtype=object),
                             "period": pd.Series([t.period for t in self.targets], dtype=object),
                             "target": pd.Series([t.amount for t in self.targets], dtype="float64")})

    def resolve_today(self, today: dt.date | None = None) -> dt.date:
        """docs/spec.md §2: the As of date in Settings, else --today, else the system date."""
        return self.as_of or today or dt.date.today()
