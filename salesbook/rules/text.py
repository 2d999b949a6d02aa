"""The rules' words on Leads (Grade Reason, Follow-up Status, Stale Reason), from the vocabulary."""

from __future__ import annotations

from salesbook.vocabulary.words import RULES, say


def t(key: str, lang: str = "en", **kw: object) -> str:
    return say(RULES, key, lang, **kw)


def sep(lang: str) -> str:
    return "；" if lang == "zh" else "; "
