"""The words the add-in writes into the workbook, in English and Chinese."""

from __future__ import annotations

T: dict[str, tuple[str, str]] = {
    # Grade Reason facts
    "budget.Confirmed": ("budget confirmed", "预算明确"),
    "budget.Pending": ("budget pending", "预算待确认"),
    "budget.Unknown": ("budget unknown", "预算未知"),
    "budget.None": ("no budget", "无预算"),
    "authority.Decision maker": ("decision maker", "对接决策人"),
    "authority.Influencer": ("influencer only", "仅对接影响者"),
    "authority.User": ("user only", "仅对接使用者"),
    "authority.Unknown": ("authority unknown", "决策权未知"),
    "need.Clear": ("need clear", "需求明确"),
    "need.Identified": ("need identified", "需求已识别"),
    "need.Vague": ("need vague", "需求模糊"),
    "need.Mismatch": ("need does not match our offer", "需求与我方不匹配"),
    "timeline.3": ("buying within 3 months", "3个月内采购"),
    "timeline.2": ("buying in 3-6 months", "3-6个月内采购"),
    "timeline.1": ("buying in 6-12 months", "6-12个月内采购"),
    "timeline.0": ("buying in over 12 months", "12个月后采购"),
    "timeline.unknown": ("timeline unknown", "采购时间未知"),
    # what is missing for the next grade
    "todo.budget": ("confirm budget", "确认预算"),
    "todo.authority": ("reach the decision maker", "接触决策人"),
    "todo.timeline": ("a purchase within 3 months", "锁定3个月内采购"),
    "todo.need": ("clarify the need", "明确需求"),
    "todo.points": ("{n} more points", "还差{n}分"),
    "for": ("for {g}", "升{g}需"),
    "disqualified": ("disqualified", "不合格"),
    "score": ("score {n}", "评分{n}"),
    # follow-up status
    "Overdue": ("Overdue", "已逾期"),
    "Due today": ("Due today", "今日到期"),
    "This week": ("This week", "本周内"),
    "Later": ("Later", "稍后"),  # due in more than 7 days
    # stale
    "Yes": ("Yes", "是"),
    "stale.unanswered": ("{n} consecutive contacts without response", "连续{n}次联系未回应"),
    "stale.mismatch": ("need does not match our offer", "需求与我方不匹配"),
    "stale.no_contact": ("no contact for {n} days", "{n}天未联系"),
    "stale.stuck": ("stuck in {stage} for {n} days (limit {limit})", "停留在{stage}{n}天(上限{limit}天)"),
    "stale.duplicate": ("duplicate of {id}", "与{id}重复"),
    "stale.close_date": ("close date passed on {date}", "成交日期{date}已过"),
    "check": ("Check: {msg}", "请检查: {msg}"),
    # the manager's views (rules/forecast.py buckets, rules/movement.py lines)
    "forecast.past due": ("Past due", "已过期"),
    "forecast.later": ("Later", "更晚"),
    "forecast.no date": ("No date", "无日期"),
    "movement.new": ("New", "新增"),
    "movement.advanced": ("Advanced", "推进"),
    "movement.moved_back": ("Moved back", "回退"),
    "movement.won": ("Won", "成交"),
    "movement.lost": ("Lost", "丢单"),
    "movement.unchanged": ("Unchanged", "无变化"),
}


def t(key: str, lang: str = "en", **kw: object) -> str:
    en, zh = T[key]
    s = zh if lang == "zh" else en
    return s.format(**kw) if kw else s


def sep(lang: str) -> str:
    return "；" if lang == "zh" else "; "
