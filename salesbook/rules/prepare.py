"""From the Leads table as read (text cells) to typed columns, and every bad cell found.

Vectorised: each column is parsed in a few Arrow/pandas passes; Python only touches the
distinct values of choice columns (a handful) and the cells that are wrong.

A bad cell never stops the run: it is recorded in ``Prepared.problems`` (row, column,
value, message) and marked in ``Prepared.bad[key]`` so that the outputs depending on
it say what is wrong instead of guessing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesbook.rules.columnar import _text, _trim, as_text, first_of_codes, first_rows
from salesbook.rules.keys import _email_codes, _increasing_codes, _other_keys, _pool
from salesbook.rules.reading import (AMBIGUOUS, MIXED, NOT_VALID, Reading, _excel_error, read_amounts, read_dates,
                                     to_number)
from salesbook.rules.schema import BY_KEY, COUNT, DATE, INPUTS, NUMBER, REQUIRED, TEXT, match_headers, norm
from salesbook.rules.settings import LOST, OPEN, WON, Settings


PROBLEM_COLUMNS = ["row", "key", "value", "message", "suggestion"]
KINDS = (OPEN, WON, LOST, "?")


@dataclass
class Prepared:
    """Typed lead columns (index = the Excel row numbers of the table)."""

    frame: pd.DataFrame
    problems: pd.DataFrame
    bad: dict[str, pd.Series] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def bad_any(self, keys: tuple[str, ...]) -> pd.Series:
        mask = pd.Series(False, index=self.frame.index)
        for k in keys:
            if k in self.bad:
                mask |= self.bad[k]
        return mask

    def first_problem(self, keys: tuple[str, ...]) -> pd.Series:
        """Per row, the message of the first problem among ``keys`` (else NA)."""
        p = self.problems[self.problems["key"].isin(keys)]
        if p.empty:
            return pd.Series(pd.NA, index=self.frame.index, dtype="object")
        first = p.drop_duplicates("row").set_index("row")["message"]
        return first.reindex(self.frame.index)


def canonical_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename a frame's columns from workbook headers (EN/ZH) to canonical keys.
    Returns the renamed frame (known columns only) and key -> original header."""
    found = match_headers(list(frame.columns))
    cols = {key: frame.columns[i] for key, i in found.items()}
    out = pd.DataFrame({key: frame[col] for key, col in cols.items()}, index=frame.index, copy=False)
    merged = frame.attrs.get("merged_cells")
    if merged:  # (ref, first row, last row, column names) → the same with canonical keys
        key_of = {str(col): key for key, col in cols.items()}
        out.attrs["merged_cells"] = [(ref, r1, r2, tuple(key_of[str(c)] for c in names if str(c) in key_of))
                                     for ref, r1, r2, names in merged]
    return out, {k: str(v) for k, v in cols.items()}














class _Collector:
    def __init__(self, index: pd.Index, labels: dict[str, str]):
        self.index = index
        self.labels = labels
        self.parts: list[pd.DataFrame] = []
        self.bad: dict[str, pd.Series] = {}

    def label(self, key: str) -> str:
        return self.labels.get(key) or BY_KEY[key].en

    def add(self, key: str, mask: pd.Series, values: pd.Series, message: str | pd.Series,
            suggestions: pd.Series | None = None) -> None:
        """Record a problem for every row where ``mask`` holds. A text ``message`` may use
        {label} and {value}; a Series gives each row's message ready-made."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        vals = values[mask].astype("string").fillna("")
        if isinstance(message, pd.Series):
            msg = message[mask]
        elif "{value}" in message:
            label = self.label(key)
            msg = vals.map(lambda v: message.format(label=label, value=v))
        else:
            msg = pd.Series(message.format(label=self.label(key)), index=vals.index)
        sugg = suggestions[mask] if suggestions is not None else pd.Series(pd.NA, index=vals.index)
        self.parts.append(pd.DataFrame({"row": vals.index, "key": key, "value": vals.to_numpy(),
                                        "message": msg.to_numpy(), "suggestion": sugg.to_numpy(dtype=object)}))
        self.bad[key] = self.bad.get(key, pd.Series(False, index=self.index)) | mask

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})
        order = {c.key: i for i, c in enumerate(INPUTS)}
        out = pd.concat(self.parts, ignore_index=True)
        out["_k"] = out["key"].map(order).fillna(99)
        return out.sort_values(["row", "_k"], kind="stable").drop(columns="_k").reset_index(drop=True)








def lookup(s: pd.Series, index: dict[str, int]) -> pd.Series:
    """Map text cells to positions through ``index`` (keys folded by ``norm``), -1 when
    unknown, -2 when blank. Factorised: Python sees each distinct value once."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    table = np.array([index.get(norm(u), -1) for u in uniques] + [-2], dtype=np.int16)
    return pd.Series(table[codes], index=s.index)


def _closest(value: str, names: list[str]) -> str | None:
    m = difflib.get_close_matches(norm(value), [norm(n) for n in names], n=1, cutoff=0.5)
    if not m:
        return None
    return next(n for n in names if norm(n) == m[0])


def _suggest(values: pd.Series, mask: pd.Series, names: list[str]) -> pd.Series | None:
    if not mask.any():
        return None
    out = pd.Series(pd.NA, index=values.index, dtype="object")
    uniq = {v: _closest(v, names) for v in values[mask].dropna().unique()}
    out[mask] = values[mask].map(uniq)
    return out


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _say_date(d: pd.Timestamp) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]}"


def _say_amount(x: float) -> str:
    return f"{x:.12g}"


_WAY_NAMES = {"DMY": "day-first", "MDY": "month-first", "YMD": "year-first", ".": "with a decimal point",
              ",": "with a decimal comma"}


def _reading_problems(col: "_Collector", key: str, values: pd.Series, r: Reading, mask: pd.Series,
                      setting: str) -> None:
    """Check problems for the cells of a column that read two ways (``mask``: where to report):
    each names the setting that settles it. One message per distinct value."""
    if not mask.any():
        return
    label = col.label(key)
    is_date = setting == "Date order"
    choices = "(DMY or MDY)" if is_date else "(. or ,)"
    say = _say_date if is_date else _say_amount
    at = np.flatnonzero(mask.to_numpy(dtype=bool))
    codes, texts = pd.factorize(values.iloc[at].to_numpy(dtype=object))  # a text's reason is the same on every row
    messages = []
    for text, row in zip(texts, at[first_rows(codes)]):
        code = r.why[row]
        if code == AMBIGUOUS:
            a, b = r.options[0].iloc[row], r.options[1].iloc[row]
            msg = f"{label} '{text}' could be {say(a)} or {say(b)}: set {setting} in Settings {choices}"
        elif code == MIXED:
            own = r.own.iloc[row]
            other = next(w for w in r.examples if w != own)
            msg = (f"{label} '{text}' reads only {_WAY_NAMES[own]}, but other values in this column read only "
                   f"{_WAY_NAMES[other]} (e.g. '{r.examples[other]}'): fix the cell, or set {setting} in "
                   f"Settings {choices}")
        else:  # AGAINST_SETTING
            msg = (f"{label} '{text}' cannot be read {_WAY_NAMES.get(r.choice, r.choice)}, as {setting} "
                   f"in Settings says ({r.choice})")
        messages.append(msg)
    msgs = pd.Series(None, index=values.index, dtype=object)
    msgs.iloc[at] = np.array(messages, dtype=object)[codes]
    col.add(key, mask, values, msgs)


def prepare(raw: pd.DataFrame, settings: Settings, labels: dict[str, str] | None = None) -> Prepared:
    """Parse and validate the canonical-key frame ``raw`` (text cells, NA for blanks)."""
    labels = dict(labels or {})
    idx = raw.index
    col = _Collector(idx, labels)
    f = pd.DataFrame(index=idx)

    def get(key: str) -> tuple[pd.Series, bool]:
        if key not in raw.columns:
            return pd.Series(pd.NA, index=idx, dtype=pd.StringDtype("pyarrow")), False
        s = raw[key]
        if BY_KEY[key].kind in (DATE, NUMBER, COUNT) or s.dtype.kind not in "Mfiub":
            return _trim(s)
        return _trim(as_text(s))

    texts, maybe_error = {}, {}
    for c in INPUTS:
        texts[c.key], maybe_error[c.key] = get(c.key)
    present = [k for k in texts if k in raw.columns]
    blank_row = pd.Series(True, index=idx)
    for k in present:
        blank_row &= texts[k].isna()
    f["blank_row"] = blank_row
    live = ~blank_row

    # Merged cells over input columns: only the first row keeps a value, so every row they
    # cover is unreliable (and a blank under the merge is not the rep's doing).
    order = {c.key: i for i, c in enumerate(INPUTS)}
    for ref, r1, r2, keys in raw.attrs.get("merged_cells", ()):
        keys = sorted((k for k in keys if k in texts), key=order.get)
        if not keys:
            continue
        covered = pd.Series((idx >= r1) & (idx <= r2), index=idx) & live
        col.add(keys[0], covered & ~col.bad.get(keys[0], pd.Series(False, index=idx)), texts[keys[0]],
                f"{{label}} is in the merged cells {ref}; unmerge them and fill in every row")
        for k in keys:
            texts[k] = texts[k].mask(covered)
            col.bad[k] = col.bad.get(k, pd.Series(False, index=idx)) | covered

    # Excel error values anywhere in an input column: the cell is unusable.
    for k in present:
        err = _excel_error(texts[k], maybe_error[k]) & live
        if err.any():
            col.add(k, err, texts[k], "{label} has the Excel error {value}; fix the formula or type the value")
            texts[k] = texts[k].mask(err)

    for key in ("lead_id", "company", "contact", "owner", "source"):
        f[key] = texts[key]
    for key in REQUIRED:
        if BY_KEY[key].kind in (TEXT,) or key == "stage":
            missing = texts[key].isna() & live & ~col.bad.get(key, pd.Series(False, index=idx))
            col.add(key, missing, texts[key], "{label} is empty (required)")

    # Duplicate Lead IDs: reported on the later rows, never merged.
    # The contact keys for duplicate detection hash ~1M texts each; Arrow and numpy release
    # the GIL, so they run on a second core while the Lead IDs are checked here.
    email, phone = texts["email"], texts["phone"]
    combo = texts["email_phone"]
    if combo.notna().any():
        is_mail = combo.str.contains("@", regex=False).fillna(False).astype(bool)
        email = email.fillna(combo.where(is_mail))
        phone = phone.fillna(combo.where(~is_mail))
    pool = _pool(len(idx))
    keys = [pool.submit(_email_codes, email), pool.submit(_other_keys, phone, texts["mobile"], texts["company"],
                                                         texts["contact"], settings.phone_region)]

    ids = texts["lead_id"]
    lead_code = _increasing_codes(ids)
    if lead_code is None:
        lead_code, _ = pd.factorize(ids, use_na_sentinel=True)
    f["lead_code"] = lead_code  # equal codes = the same Lead ID (History and duplicates use it)
    first = first_of_codes(lead_code)
    dup = pd.Series(first < np.arange(len(ids)), index=idx)
    if dup.any():
        rows = np.asarray(idx)
        msgs = pd.Series(None, index=idx, dtype=object)
        msgs[dup] = [f"{col.label('lead_id')} {i} is also on row {rows[p]}"
                     for i, p in zip(ids[dup].astype(object), first[dup.to_numpy()])]
        col.add("lead_id", dup, ids, msgs)

    # Stages.
    stage_index = settings.stage_index()
    stage_names = [s.name for s in settings.stages] + [s.zh for s in settings.stages if s.zh]
    for key, target in (("stage", "stage_i"), ("lost_at_stage", "lost_i")):
        codes = lookup(texts[key], stage_index)
        unknown = (codes == -1) & live
        col.add(key, unknown, texts[key], "{label} '{value}' is not a stage in Settings",
                _suggest(texts[key], unknown, stage_names))
        f[target] = codes.where(codes >= 0, -1).astype("int16")
    kinds = [s.kind for s in settings.stages] + ["?"]
    kind_codes = np.array([KINDS.index(k) for k in kinds], dtype=np.int8)[f["stage_i"].to_numpy()]  # -1 → "?"
    f["kind"] = pd.Categorical.from_codes(kind_codes, categories=KINDS)

    # BANT choices.
    for dim in ("budget", "authority", "need"):
        codes = lookup(texts[dim], settings.choice_index(dim))
        unknown = (codes == -1) & live
        names = [c.value for c in settings.bant[dim]] + [c.zh for c in settings.bant[dim] if c.zh]
        col.add(dim, unknown, texts[dim], "{label} '{value}' is not a known value", _suggest(texts[dim], unknown, names))
        blank = settings.blank_choice(dim)
        codes = codes.where(codes != -2, -1 if blank is None else blank)
        f[f"{dim}_i"] = codes.astype("int16")

    # Timeline: a bucket or a date.
    tl = texts["timeline"]
    codes = lookup(tl, settings.choice_index("timeline"))
    maybe_date = codes == -1
    reading = read_dates(tl.where(maybe_date), trimmed=True, order=settings.date_order)
    dates = reading.values
    _reading_problems(col, "timeline", tl, reading, maybe_date & pd.Series(reading.why > NOT_VALID, index=idx) & live,
                      "Date order")
    unknown = maybe_date & pd.Series(reading.why == NOT_VALID, index=idx) & live
    names = [c.value for c in settings.bant["timeline"]]
    col.add("timeline", unknown, tl, "{label} '{value}' is neither a date nor a known period", _suggest(tl, unknown, names))
    blank = settings.blank_choice("timeline")
    codes = codes.where(codes != -2, -1 if blank is None else blank)
    f["timeline_i"] = codes.where(~maybe_date, -1).astype("int16")
    f["timeline_date"] = dates

    # Numbers. '¥120,000', '45.000,00 €', '8000元': currency and separators as the column or Settings say.
    amounts = read_amounts(texts["deal_value"], trimmed=True, separator=settings.decimal_separator)
    value = amounts.values
    unclear = pd.Series(amounts.why > NOT_VALID, index=idx) & live
    _reading_problems(col, "deal_value", texts["deal_value"], amounts, unclear, "Decimal separator")
    bad = texts["deal_value"].notna() & (value.isna() | (value < 0) | np.isinf(value)) & live & ~unclear
    col.add("deal_value", bad, texts["deal_value"], "{label} '{value}' is not an amount of 0 or more")
    f["deal_value"] = value.where(~bad & ~unclear).astype("float64")

    count = to_number(texts["unanswered"], trimmed=True)
    bad = texts["unanswered"].notna() & (count.isna() | (count < 0) | np.isinf(count) | (count != np.floor(count))) & live
    col.add("unanswered", bad, texts["unanswered"], "{label} '{value}' is not a whole number of 0 or more")
    f["unanswered"] = count.where(~bad).astype("float64")

    # Dates.
    for c in INPUTS:
        if c.kind != DATE:
            continue
        reading = read_dates(texts[c.key], trimmed=True, order=settings.date_order)
        _reading_problems(col, c.key, texts[c.key], reading, pd.Series(reading.why > NOT_VALID, index=idx) & live,
                          "Date order")
        bad = pd.Series(reading.why == NOT_VALID, index=idx) & live
        msg = "{label} '{value}' is not a date" if c.key != "created" else "{label} '{value}' is not a date (required)"
        col.add(c.key, bad, texts[c.key], msg)
        f[c.key] = reading.values
    missing_created = texts["created"].isna() & live & ~col.bad.get("created", pd.Series(False, index=idx))
    col.add("created", missing_created, texts["created"], "{label} is empty (required)")

    # The previous run's grade, for Grade Change.
    # As a code (A=0 … D=3, -1 none), read once per distinct value.
    if "grade" in raw.columns:
        codes, uniques = pd.factorize(_text(raw["grade"]), use_na_sentinel=True)
        table = np.array(["ABCD".find(str(u).strip()[:1].upper()) if str(u).strip() else -1 for u in uniques] + [-1])
        f["prev_grade_i"] = table[codes].astype(np.int8)
    else:
        f["prev_grade_i"] = np.full(len(idx), -1, dtype=np.int8)

    f["email_key"] = keys[0].result()
    f["phone_key"], f["mobile_key"], f["person_key"] = keys[1].result()
    pool.shutdown()
    return Prepared(frame=f, problems=col.frame(), bad=col.bad, labels=labels)


def stage_kind_masks(f: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    return f["kind"] == OPEN, f["kind"] == WON, f["kind"] == LOST


__all__ = ["Prepared", "prepare", "lookup", "canonical_frame", "stage_kind_masks"]
