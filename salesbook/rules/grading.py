"""BANT grading (docs/spec.md §2): points, score, grade, the reason and the change.

The reason text depends only on a few small codes (budget, authority, need, timeline
class, grade), so it is built once per distinct combination and spread by codes —
no Python loop over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesbook.rules.settings import LOST, WON, Settings
from salesbook.rules.columnar import first_rows
from salesbook.rules.depends import COVERED, DEPENDS
from salesbook.rules.prepare import Prepared
from salesbook.rules.text import sep, t

GRADE_ORDER = ("A", "B", "C", "D")


def _points(settings: Settings, dim: str, codes: pd.Series) -> np.ndarray:
    table = np.array([c.points for c in settings.bant[dim]] + [0], dtype=np.int8)
    return table[codes.to_numpy()]  # -1 (unknown) → the trailing 0


def timeline_points(p: Prepared, settings: Settings, today: pd.Timestamp) -> np.ndarray:
    """Bucket points, or for a date: days from today ≤ 92 (past included) → 3, ≤ 183 → 2, ≤ 365 → 1, else 0."""
    f = p.frame
    pts = _points(settings, "timeline", f["timeline_i"])
    dated = f["timeline_date"].notna().to_numpy()
    if dated.any():
        days = (f["timeline_date"] - today).dt.days.to_numpy()
        by_date = np.zeros(len(f), dtype=np.int8)
        for limit, points in sorted(settings.timeline_days, reverse=True):
            by_date = np.where(days <= limit, points, by_date)
        pts = np.where(dated, by_date, pts)
    return pts


def _value_code(settings: Settings, dim: str, codes: pd.Series, name: str) -> np.ndarray:
    """True where the dimension's value is the canonical ``name`` (e.g. Budget Confirmed)."""
    pos = next((i for i, c in enumerate(settings.bant[dim]) if c.value == name), -99)
    return codes.to_numpy() == pos


def grade(p: Prepared, settings: Settings, today: pd.Timestamp, lang: str = "en") -> pd.DataFrame:
    """Grade, Score, Grade Reason, Grade Change for every row (blank rows stay blank)."""
    f = p.frame
    n = len(f)
    pb = _points(settings, "budget", f["budget_i"])
    pa = _points(settings, "authority", f["authority_i"])
    pn = _points(settings, "need", f["need_i"])
    pt = timeline_points(p, settings, today)
    w = settings.weight
    raw = 100 * (w["budget"] * pb + w["authority"] * pa + w["need"] * pn + w["timeline"] * pt) / 3
    score = np.floor(raw + 0.5 + 1e-9).astype(np.int64)  # half up, as people round

    mismatch = _value_code(settings, "need", f["need_i"], "Mismatch")
    clear = _value_code(settings, "need", f["need_i"], "Clear")
    budget_ok = _value_code(settings, "budget", f["budget_i"], "Confirmed")
    dm = _value_code(settings, "authority", f["authority_i"], "Decision maker")
    soon = pt == 3
    # Grades as codes into GRADE_ORDER (A=0 … D=3); texts only at the end.
    if settings.grade_method == "score":
        gcode = np.select([mismatch, score >= settings.a_threshold, score >= settings.b_threshold], [3, 0, 1], 2)
    else:
        gcode = np.select([mismatch, budget_ok & dm & soon, clear], [3, 0, 1], 2)
    g = np.array(GRADE_ORDER)[gcode]

    # Timeline class for the reason: 0-3 by points, 4 = unknown (no bucket, no date).
    unknown_bucket = np.array([c.value == "Unknown" for c in settings.bant["timeline"]] + [False])
    tl_unknown = (f["timeline_date"].isna() & (f["timeline_i"] < 0)).to_numpy() | unknown_bucket[f["timeline_i"].to_numpy()]
    tl_class = np.where(tl_unknown, 4, pt)
    gap = np.zeros(n, dtype=np.int64)
    if settings.grade_method == "score":
        gap = np.where(gcode == 1, np.ceil(settings.a_threshold - score),
                       np.where(gcode == 2, np.ceil(settings.b_threshold - score), 0)).astype(np.int64)
    # One integer per combination of the reason's inputs, then one text per distinct code.
    closed = f["kind"].isin([WON, LOST]).to_numpy()  # closed deals get no upgrade advice
    bi, ai, ni = f["budget_i"].to_numpy(), f["authority_i"].to_numpy(), f["need_i"].to_numpy()
    parts = [bi + 1, ai + 1, ni + 1, tl_class, gcode, closed]
    if settings.grade_method == "score":
        parts += [gap + 101, score]
    combined = np.zeros(n, dtype=np.int64)
    for part in parts:
        combined = combined * 256 + part.astype(np.int64)
    codes, _ = pd.factorize(combined)
    texts = np.array([_reason(settings, lang, bi[r], ai[r], ni[r], tl_class[r], g[r], gap[r], score[r], closed[r])
                      for r in first_rows(codes)],  # a row holding each combination
                     dtype=object)
    reason = texts[codes]

    # A bad cell no output depends on (Deal Value, Lead ID, Owner …) is still named in its
    # row: after the reason, so the grade itself stands.
    other = tuple(k for k in p.bad if k not in COVERED)
    if other:
        rows = p.bad_any(other).to_numpy()
        note = p.first_problem(other)[rows].map(lambda m: t("check", lang, msg=m)).to_numpy(dtype=object)
        reason[rows] = reason[rows] + sep(lang) + note

    # Rows whose BANT cells are bad say so instead of guessing; blank rows stay blank.
    bad = p.bad_any(DEPENDS["grade"]).to_numpy()
    if bad.any():
        msg = p.first_problem(DEPENDS["grade"])
        reason[bad] = msg[bad].map(lambda m: t("check", lang, msg=m)).to_numpy(dtype=object)
    blank = f["blank_row"].to_numpy()
    reason[blank] = None
    gcode[bad | blank] = -1
    valid = gcode >= 0

    # Grade Change: the previous run's grade → this one, where they differ.
    prev_code = f["prev_grade_i"].to_numpy().astype(np.int64)
    changed = valid & (prev_code >= 0) & (prev_code != gcode)
    moves = np.array([f"{a}→{b}" for a in GRADE_ORDER for b in GRADE_ORDER] + [None], dtype=object)
    change = moves[np.where(changed, prev_code * 4 + gcode, len(moves) - 1)]

    grade_text = np.array(list(GRADE_ORDER) + [None], dtype=object)[gcode]  # -1 → None
    return pd.DataFrame({
        "grade": pd.Series(grade_text, index=f.index, dtype=object),
        "score": pd.Series(pd.arrays.FloatingArray(score.astype("float64"), ~valid), index=f.index),
        "grade_reason": pd.Series(reason, index=f.index, dtype=object),
        "grade_change": pd.Series(change, index=f.index, dtype=object),
        "timeline_pts": pt,
        "grade_code": gcode.astype(np.int8),
    }, index=f.index, copy=False)


def _reason(settings: Settings, lang: str, b: int, a: int, n: int, tl: int, g: str, gap: int, score: int,
            closed: bool = False) -> str:
    """'B: need clear; budget pending; influencer only — for A: confirm budget, reach the decision maker'."""
    def val(dim: str, i: int) -> str:
        return settings.bant[dim][i].value if i >= 0 else "Unknown"

    facts = {
        "budget": _fact("budget", val("budget", b), lang),
        "authority": _fact("authority", val("authority", a), lang),
        "need": _fact("need", val("need", n), lang),
        "timeline": t("timeline.unknown" if tl == 4 else f"timeline.{tl}", lang),
    }
    if g == "D":
        return f"D: {facts['need']} — {t('disqualified', lang)}"
    order = ["need", "budget", "authority", "timeline"] if g in ("B", "C") else ["budget", "authority", "timeline", "need"]
    head = sep(lang).join(facts[k] for k in order)
    if settings.grade_method == "score":
        head = t("score", lang, n=score) + sep(lang) + head
    todo: list[str] = []
    nxt = None if closed else {"B": "A", "C": "B"}.get(g)
    if nxt and settings.grade_method == "score":
        todo.append(t("todo.points", lang, n=gap))
        todo += _improvable(settings, lang, b, a, n, tl)
    elif g == "B" and nxt:
        if val("budget", b) != "Confirmed":
            todo.append(t("todo.budget", lang))
        if val("authority", a) != "Decision maker":
            todo.append(t("todo.authority", lang))
        if tl != 3:
            todo.append(t("todo.timeline", lang))
    elif g == "C" and nxt:
        todo.append(t("todo.need", lang))
    if not todo:
        return f"{g}: {head}"
    joiner = "、" if lang == "zh" else ", "
    return f"{g}: {head} — {t('for', lang, g=nxt)}: {joiner.join(todo)}"


def _fact(dim: str, value: str, lang: str) -> str:
    key = f"{dim}.{value}"
    try:
        return t(key, lang)
    except KeyError:  # a value an admin added in Settings
        return f"{dim} {value}"


def _improvable(settings: Settings, lang: str, b: int, a: int, n: int, tl: int) -> list[str]:
    """Dimensions below full points, strongest weight first (for the score method)."""
    w = settings.weight
    pts = {"budget": settings.bant["budget"][b].points if b >= 0 else 0,
           "authority": settings.bant["authority"][a].points if a >= 0 else 0,
           "need": settings.bant["need"][n].points if n >= 0 else 0,
           "timeline": 0 if tl == 4 else tl}
    dims = sorted((d for d in pts if pts[d] < 3), key=lambda d: -w[d])
    return [t(f"todo.{d}", lang) for d in dims[:2]]
