"""The Leads table's columns: canonical keys, English and Chinese headers, kinds.

Headers in a workbook are matched case- and space-insensitively, in English or
Chinese (docs/spec.md §1). Everything else in the package speaks canonical keys
(``lead_id``, ``budget``…); only the adapters see the workbook's own headers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

TEXT, DATE, NUMBER, COUNT, CHOICE, TIMELINE = "text", "date", "number", "count", "choice", "timeline"


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    kind: str
    required: bool = False
    output: bool = False
    aliases: tuple[str, ...] = ()

    def header(self, language: str = "en") -> str:
        return self.zh if language == "zh" else self.en


INPUTS: tuple[Column, ...] = (
    Column("lead_id", "Lead ID", "线索编号", TEXT, True, aliases=("ID", "Lead", "编号", "线索ID")),
    Column("company", "Company", "公司", TEXT, True, aliases=("Account", "Company Name", "公司名称", "客户")),
    Column("contact", "Contact", "联系人", TEXT, aliases=("Contact Name", "Name", "姓名")),
    Column("email_phone", "Email / Phone", "邮箱 / 电话", TEXT, aliases=("Email/Phone", "Contact Info", "联系方式")),
    Column("email", "Email", "邮箱", TEXT, aliases=("E-mail", "Mail", "电子邮件", "邮件")),
    Column("phone", "Phone", "电话", TEXT, aliases=("Tel", "Telephone", "Phone Number", "Work Phone", "Office Phone",
                                                    "电话号码", "固定电话", "座机", "办公电话")),
    Column("mobile", "Mobile", "手机", TEXT, aliases=("Mobile Phone", "Mobile Number", "Cell", "Cell Phone",
                                                     "Cellphone", "手机号", "手机号码", "移动电话")),
    Column("owner", "Owner", "负责人", TEXT, True, aliases=("Rep", "Sales Rep", "销售", "销售代表")),
    Column("source", "Source", "来源", TEXT, aliases=("Lead Source", "Channel", "渠道", "线索来源")),
    Column("stage", "Stage", "阶段", CHOICE, True, aliases=("Pipeline Stage", "销售阶段")),
    Column("lost_at_stage", "Lost At Stage", "丢单阶段", CHOICE, aliases=("Lost Stage",)),
    Column("budget", "Budget", "预算", CHOICE),
    Column("authority", "Authority", "权限", CHOICE, aliases=("决策权",)),
    Column("need", "Need", "需求", CHOICE),
    Column("timeline", "Timeline", "时间", TIMELINE, aliases=("Timing", "时间线", "采购时间")),
    Column("deal_value", "Deal Value", "金额", NUMBER, aliases=("Value", "Amount", "Deal Amount", "预计金额", "商机金额")),
    Column("created", "Created", "创建日期", DATE, True, aliases=("Created Date", "Created On", "创建时间")),
    Column("last_contact", "Last Contact", "最近联系", DATE, aliases=("Last Contacted", "Last Contact Date", "最近联系日期")),
    Column("unanswered", "Unanswered", "连续未回应", COUNT, aliases=("No Response", "Unanswered Contacts", "未回应次数")),
    Column("stage_since", "Stage Since", "进入阶段日期", DATE, aliases=("In Stage Since", "Stage Date")),
    Column("close_date", "Close Date", "成交日期", DATE, aliases=("Closed Date", "Closed", "关单日期")),
    Column("scheduled", "Scheduled", "预约跟进", DATE, aliases=("Scheduled Follow-up", "Next Contact", "预约日期")),
    Column("snooze_until", "Snooze Until", "暂缓至", DATE, aliases=("Snooze", "Snoozed Until")),
)

OUTPUTS: tuple[Column, ...] = (
    Column("grade", "Grade", "等级", TEXT, output=True),
    Column("score", "Score", "评分", NUMBER, output=True),
    Column("grade_reason", "Grade Reason", "评级依据", TEXT, output=True),
    Column("grade_change", "Grade Change", "等级变化", TEXT, output=True),
    Column("next_followup", "Next Follow-up", "下次跟进", DATE, output=True, aliases=("Next Followup", "Next Follow up")),
    Column("followup_status", "Follow-up Status", "跟进状态", TEXT, output=True, aliases=("Followup Status",)),
    Column("stale", "Stale", "待清洗", TEXT, output=True),
    Column("stale_reason", "Stale Reason", "清洗原因", TEXT, output=True),
)

COLUMNS: tuple[Column, ...] = INPUTS + OUTPUTS
BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
REQUIRED: tuple[str, ...] = tuple(c.key for c in INPUTS if c.required)
OUTPUT_KEYS: tuple[str, ...] = tuple(c.key for c in OUTPUTS)

# Which output columns each command writes (docs/spec.md §3).
COMMAND_OUTPUTS: dict[str, tuple[str, ...]] = {
    "grade": ("grade", "score", "grade_reason", "grade_change"),
    "followup": ("next_followup", "followup_status"),
    "stale": ("stale", "stale_reason"),
    "funnel": (),
}

_SPACES = re.compile(r"[\s_\-/·・.:：()（）]+")


def norm(text: object) -> str:
    """Fold a header or value for matching: NFKC, casefold, drop spaces and punctuation."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    return _SPACES.sub("", s)


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for col in COLUMNS:
        for name in (col.en, col.zh, *col.aliases, col.key):
            index.setdefault(norm(name), col.key)
    return index


HEADER_INDEX: dict[str, str] = _header_index()


def match_header(text: object) -> str | None:
    """The canonical key of a header cell, or None for a user's own column."""
    return HEADER_INDEX.get(norm(text))


def match_headers(headers: list[object]) -> dict[str, int]:
    """Map canonical keys to positions in ``headers`` (first occurrence wins)."""
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = match_header(h)
        if key is not None and key not in found:
            found[key] = i
    return found


def header_score(headers: list[object]) -> int:
    """How much a header row looks like a Leads table: the number of known columns,
    with required ones counting double. Used to find the lead table in a workbook."""
    keys = match_headers(headers)
    return sum(2 if k in REQUIRED else 1 for k in keys)


def duplicate_headers(headers: list[object]) -> list[tuple[str, list[int]]]:
    """Known columns that appear more than once (by canonical key), with positions."""
    seen: dict[str, list[int]] = {}
    for i, h in enumerate(headers):
        key = match_header(h)
        if key is not None:
            seen.setdefault(key, []).append(i)
    return [(k, v) for k, v in seen.items() if len(v) > 1]


def headers_language(headers: list[object]) -> str:
    """'zh' when most known headers are written in Chinese, else 'en'."""
    zh = en = 0
    for h in headers:
        key = match_header(h)
        if key is None:
            continue
        if norm(h) == norm(BY_KEY[key].zh) or re.search(r"[\u4e00-\u9fff]", str(h)):
            zh += 1
        else:
            en += 1
    return "zh" if zh > en else "en"


def closest_header(missing_key: str, headers: list[object]) -> str | None:
    """The header in ``headers`` closest to a missing column's names, for the refusal message."""
    return closest_headers([missing_key], headers).get(missing_key)


_WORDS = re.compile(r"[^\W_]+")
_SPELLING = 0.75  # difflib ratio a header needs to be proposed on spelling alone


def _tokens(text: object) -> set[str]:
    return set(_WORDS.findall(unicodedata.normalize("NFKC", str(text)).casefold()))


def _closeness(key: str, header: object, known: dict[str, tuple[str, ...]]) -> float:
    """How much ``header`` looks like column ``key``: 3 a known alias of it (a CRM's header),
    2–3 it holds the column's English name as whole words (or its Chinese name), else the
    spelling ratio when at least _SPELLING; 0 when none."""
    import difflib

    col = BY_KEY[key]
    n = norm(header)
    if n in {norm(a) for a in known.get(key, ())}:
        return 3.0
    words = _tokens(header)
    name = _tokens(col.en)
    if (name and name <= words) or (col.zh and norm(col.zh) in n):
        return 2.0 + len(name) / max(len(words), 1)
    # the whole header, or one of its words ('Sales Stge' for Stage), spelt like one of the column's names
    texts = {n, *(norm(w) for w in words if len(w) > 2)}
    best = max(difflib.SequenceMatcher(None, norm(x), t).ratio() for x in (col.en, col.zh, *col.aliases) for t in texts)
    return best if best >= _SPELLING else 0.0


def closest_headers(missing: list[str], headers: list[object],
                    known: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """For each missing column, the header most like it ('Opportunity Owner' for Owner), for a
    refusal's hint. Only headers that are no known column are candidates, and one header is
    proposed for one column only (the best pairs first). ``known``: more names per column
    (a CRM's headers), which win over any spelling likeness."""
    known = known or {}
    candidates = {}
    for h in headers:
        if h not in (None, "") and str(h).strip() and match_header(h) is None:
            candidates.setdefault(norm(h), str(h))
    pairs = sorted(((score, key, original) for key in missing for original in candidates.values()
                    if (score := _closeness(key, original, known)) > 0), key=lambda p: -p[0])
    out: dict[str, str] = {}
    taken: set[str] = set()
    for _, key, original in pairs:
        if key not in out and original not in taken:
            out[key] = original
            taken.add(original)
    return out
