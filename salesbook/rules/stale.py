"""Stale flags for cleansing (docs/spec.md §2 Stale). Nothing is deleted here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesbook.rules.settings import OPEN, Settings
from salesbook.rules.period import expected_close
from salesbook.rules.columnar import first_of_any, first_rows
from salesbook.rules.depends import CLOSE_DEPENDS, DEPENDS
from salesbook.rules.prepare import Prepared
from salesbook.rules.text import sep, t

REASONS = ("unanswered", "mismatch", "no_contact", "stuck", "duplicate", "close_date")


def days_in_stage(p: Prepared, today: pd.Timestamp, entered: pd.Series | None = None) -> pd.Series:
    """Days in the current stage: from Stage Since, else History, else Created."""
    f = p.frame
    start = f["stage_since"]
    if entered is not None:
        start = start.fillna(entered.reindex(f.index))
    start = start.fillna(f["created"])
    return (today - start).dt.days


def duplicate_of(f: pd.DataFrame, keys: tuple = ("email_key", ("phone_key", "mobile_key"), "person_key")) -> pd.Series:
    """For each row that repeats an earlier row's email, phone (Phone or Mobile, either way
    round) or company + contact (integer key codes numbered in order of first appearance, -1
    for none; a tuple of columns shares one numbering), the Lead ID of the earliest such row
    (else NA)."""
    n = len(f)
    positions = np.arange(n)
    found = np.full(n, -1, dtype=np.int64)
    for key in keys:
        first = first_of_any([np.asarray(f[k], dtype=np.int64) for k in ((key,) if isinstance(key, str) else key)
                              if k in f])
        if first is None:
            continue
        take = (first < positions) & (found < 0)
        found[take] = first[take]
    out = pd.Series(pd.NA, index=f.index, dtype=object)
    hit = np.flatnonzero(found >= 0)
    if len(hit):
        lead_ids = f["lead_id"]
        own = lead_ids.iloc[hit].astype(object).where(lead_ids.iloc[hit].notna(), "").to_numpy(dtype=object)
        firsts = found[hit]
        ids = lead_ids.iloc[firsts].astype(object).where(lead_ids.iloc[firsts].notna(), "").to_numpy(dtype=object)
        rows = np.asarray(f.index)[firsts]
        same = (ids == own) & (ids != "")  # the same ID twice is Check's business
        labels = np.where(ids == "", np.char.add("row ", rows.astype(str)), ids).astype(object)
        labels[same] = pd.NA
        out.iloc[hit] = labels
    return out


def stale(p: Prepared, settings: Settings, today: pd.Timestamp, lang: str = "en",
          entered: pd.Series | None = None) -> pd.DataFrame:
    """Stale ('Yes' or blank) and Stale Reason (every rule that holds) per row."""
    f = p.frame
    stage_i = f["stage_i"].to_numpy()
    is_open = (f["kind"] == OPEN).to_numpy()
    snoozed = (f["snooze_until"].notna() & (f["snooze_until"] >= today)).to_numpy()
    booked = (f["scheduled"].notna() & (f["scheduled"] >= today)).to_numpy()
    eligible = is_open & ~snoozed

    n_unanswered = f["unanswered"].to_numpy()
    r_unanswered = np.nan_to_num(n_unanswered, nan=0) >= settings.unanswered_limit
    mismatch_pos = next((i for i, c in enumerate(settings.bant["need"]) if c.value == "Mismatch"), -99)
    r_mismatch = f["need_i"].to_numpy() == mismatch_pos
    since_contact = (today - f["last_contact"].fillna(f["created"])).dt.days
    r_no_contact = (since_contact > settings.no_contact_days).to_numpy() & ~booked
    in_stage = days_in_stage(p, today, entered)
    limits = np.array([s.limit_days if s.limit_days is not None else np.nan for s in settings.stages] + [np.nan])
    limit = limits[stage_i]
    r_stuck = (in_stage.to_numpy(dtype="float64", na_value=np.nan) > limit) & ~booked
    dup_of = duplicate_of(f) if settings.duplicate_check else pd.Series(pd.NA, index=f.index, dtype="object")
    r_dup = dup_of.notna().to_numpy()
    expected = expected_close(p)
    r_close = (expected < today).to_numpy() if settings.close_date_check else np.zeros(len(f), dtype=bool)

    flags = {k: v & eligible for k, v in zip(REASONS, (r_unanswered, r_mismatch, r_no_contact, r_stuck, r_dup, r_close))}
    flagged = np.logical_or.reduce(list(flags.values()))

    # Reasons only for the flagged rows: each rule's text once per distinct value, and the
    # joined reason once per distinct combination of those.
    at = np.flatnonzero(flagged)
    parts = []
    if flags["unanswered"].any():
        parts.append(_texts(flags["unanswered"][at], {"n": n_unanswered[at]},
                            lambda n: t("stale.unanswered", lang, n=int(n))))
    if flags["mismatch"].any():
        parts.append(_texts(flags["mismatch"][at], {}, lambda: t("stale.mismatch", lang)))
    if flags["no_contact"].any():
        parts.append(_texts(flags["no_contact"][at], {"n": since_contact.to_numpy()[at]},
                            lambda n: t("stale.no_contact", lang, n=int(n))))
    if flags["stuck"].any():
        names = [s.zh if lang == "zh" and s.zh else s.name for s in settings.stages]
        parts.append(_texts(flags["stuck"][at], {"s": stage_i[at], "n": in_stage.to_numpy(dtype="float64", na_value=-1)[at]},
                            lambda s, n: t("stale.stuck", lang, stage=names[s], n=int(n), limit=int(limits[s]))))
    if flags["duplicate"].any():
        parts.append(_texts(flags["duplicate"][at], {"id": dup_of.to_numpy(dtype=object)[at]},
                            lambda i: t("stale.duplicate", lang, id=i)))
    if flags["close_date"].any():
        parts.append(_texts(flags["close_date"][at], {"d": expected.to_numpy()[at]},
                            lambda d: t("stale.close_date", lang, date=pd.Timestamp(d).strftime("%Y-%m-%d"))))
    reason = np.full(len(f), None, dtype=object)
    reason[at] = _join(parts, len(at), sep(lang))
    stale_yes = np.full(len(f), None, dtype=object)
    stale_yes[at] = t("Yes", lang)

    blank = f["blank_row"].to_numpy()
    bad = (p.bad_any(DEPENDS["stale"]) | (f["kind"] == "?")).to_numpy() & ~blank
    if settings.close_date_check:  # an open lead's expected close date that could not be read
        close_bad = p.bad_any(("close_date",)) | (p.bad_any(("timeline",)) & f["close_date"].isna())
        close_bad = close_bad.to_numpy() & is_open & ~blank & ~bad
        bad |= close_bad
    else:
        close_bad = np.zeros(len(f), dtype=bool)
    if bad.any():
        msg = p.first_problem(DEPENDS["stale"])
        if close_bad.any():
            msg = msg.where(~close_bad, p.first_problem(CLOSE_DEPENDS))
        stale_yes[bad] = None
        reason[bad] = msg[bad].map(lambda m: t("check", lang, msg=m), na_action="ignore").to_numpy(dtype=object)
        for k in REASONS:
            flags[k] = flags[k] & ~bad
    stale_yes[blank] = None
    reason[blank] = None
    out = pd.DataFrame({"stale": pd.Series(stale_yes, index=f.index, dtype=object),
                        "stale_reason": pd.Series(reason, index=f.index, dtype=object)}, index=f.index, copy=False)
    for k, v in flags.items():
        out[f"flag_{k}"] = v
    out["days_in_stage"] = in_stage
    return out


def _texts(mask: np.ndarray, keys: dict[str, np.ndarray], make) -> tuple[np.ndarray, list[str]]:
    """Where ``mask`` holds, a code into a list of texts (-1 elsewhere); ``make`` builds
    one text per distinct combination of ``keys``."""
    out = np.full(len(mask), -1, dtype=np.int64)
    columns = [v[mask] for v in keys.values()]
    codes = np.zeros(int(mask.sum()), dtype=np.int64)
    for c in columns:  # one code per combination: factorise each column, then combine
        part, uniq = pd.factorize(c, use_na_sentinel=False)
        codes = codes * (len(uniq) + 1) + part
    codes, _ = pd.factorize(codes)
    out[mask] = codes
    return out, [make(*(c[r] for c in columns)) for r in first_rows(codes)]


def _join(parts: list[tuple[np.ndarray, list[str]]], n: int, separator: str) -> np.ndarray:
    """Per row, the parts' texts joined by ``separator`` (None where no part has one): one
    code per distinct combination of the parts' codes, one join per combination."""
    if not parts:
        return np.full(n, None, dtype=object)
    combined = np.zeros(n, dtype=np.int64)
    for codes, texts in parts:
        combined, _ = pd.factorize(combined * (len(texts) + 1) + (codes + 1))
    joined = [separator.join(texts[codes[r]] for codes, texts in parts if codes[r] >= 0) or None
              for r in first_rows(combined)]
    return np.array(joined, dtype=object)[combined] if n else np.full(0, None, dtype=object)
