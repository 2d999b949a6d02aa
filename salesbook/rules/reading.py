"""Reading text cells as numbers, dates and amounts: Excel serials, year-first formats, and
dates or amounts that read two ways (day-first or month-first, decimal point or comma),
decided per column or by Settings. Arrow kernels over the distinct texts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.rules.columnar import _arrow, _distinct, _encode, _spread, _text


EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Dates a lead sheet can mean. Outside this range (e.g. 9999-12-31 as "never", year 1500 typos)
# the rules' date arithmetic would overflow pandas' nanosecond dates and stop the whole run.
FIRST_DATE, LAST_DATE = pd.Timestamp("1900-01-01"), pd.Timestamp("2199-12-31")
LAST_SERIAL = (LAST_DATE - EXCEL_EPOCH).days
FIRST_SERIAL = (pd.Timestamp("1950-01-01") - EXCEL_EPOCH).days  # 18264
EXCEL_ERRORS = ("#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA")
# Year-first forms only: a date with the year last (08/10/2026) is day-first or month-first, which
# the column or the Date order setting decides (``read_dates``), never a format's order.
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
# Where each format has the day of the month: Arrow's strptime rolls a day the month does not
# have over into the next month (2026-02-30 → 2026-03-02), which must count as unparseable.
_DAY_OF = {fmt: r"^\d+[-/.]\d+[-/.](?P<d>\d+)" for fmt in _DATE_FORMATS if fmt.startswith("%Y") and "年" not in fmt}
_DAY_OF.update({"%Y年%m月%d日": r"月\s*(?P<d>\d+)"})


_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"


def to_number(s: pd.Series, *, trimmed: bool = False) -> pd.Series:
    """Text cells → float64 (NaN where the text is not a plain number). Arrow kernels, no
    Python per cell. ``trimmed``: the cells already went through ``_text``."""
    if s.dtype.kind in "fiub":
        return s.astype("float64")
    if s.dtype.kind == "M":
        return pd.Series(np.nan, index=s.index)
    arr = _arrow(s if trimmed else _text(s))
    if arr.null_count == len(arr):
        return pd.Series(np.nan, index=s.index, dtype="float64")
    distinct = _distinct(arr)  # amounts and counts repeat
    if distinct is not None:
        codes, texts = distinct
        vals = np.append(to_number(texts, trimmed=True).to_numpy(), np.nan)
        return pd.Series(vals[codes], index=s.index, dtype="float64")
    ok = pc.fill_null(pc.match_substring_regex(arr, _NUMBER), False)
    vals = pc.cast(pc.if_else(ok, arr, pa.scalar(None, arr.type)), pa.float64())
    return pd.Series(vals.to_numpy(zero_copy_only=False), index=s.index, dtype="float64")


def _excel_error(s: pd.Series, maybe: bool = True) -> pd.Series:
    """Cells holding an Excel error text (#N/A …). ``maybe`` False (from ``_trim``): none can."""
    if s.dtype.kind in "Mfiub" or not maybe:
        return pd.Series(False, index=s.index)
    hashed = s.str.startswith("#").fillna(False).astype(bool)  # cheap first pass
    return hashed & s.isin(EXCEL_ERRORS) if hashed.any() else hashed


def _in_range(dates: pd.Series) -> pd.Series:
    return dates.notna() & (dates >= FIRST_DATE) & (dates <= LAST_DATE)


def _serials(num: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Excel serial numbers → dates; (dates, is-a-serial mask). Only from FIRST_SERIAL on: a small
    number is a typo or a count (Timeline '12' meaning 12 months), not a day in early 1900."""
    ok = num.notna() & (num >= FIRST_SERIAL) & (num < LAST_SERIAL + 1)
    dates = (EXCEL_EPOCH + pd.to_timedelta(np.floor(num.where(ok)), unit="D")).astype("datetime64[ns]")
    return dates, ok


def parse_dates(s: pd.Series, *, trimmed: bool = False, order: str = "auto") -> tuple[pd.Series, pd.Series]:
    """Cells → datetime64 (day precision). Returns (dates, unreadable-mask): ``read_dates``
    without the reasons (a date that is ambiguous in its column counts as unreadable)."""
    r = read_dates(s, trimmed=trimmed, order=order)
    return r.values, pd.Series(r.why != READ_OK, index=s.index)


def _parse_dates(s: pd.Series, *, trimmed: bool = False) -> tuple[pd.Series, pd.Series]:
    """Cells → datetime64 (day precision). Returns (dates, unparseable-mask).

    Takes date cells as readers give them (datetime64, or ISO text), Excel serial
    numbers, and the common ways people type dates with the year first (2025/3/1,
    2025年3月1日 …) or the month as a word (Oct 8, 2026). Arrow's strptime does the bulk;
    pandas only sees the odd leftovers. Dates outside 1900–2199 count as unparseable (they
    would overflow the rules' date arithmetic). Dates with the year last (8/10/2026) are
    ``read_dates``' business: they never reach this function from there.
    ``trimmed``: the cells already went through ``_text``."""
    if s.dtype.kind == "M":  # on the int64 nanoseconds: one pass when the dates are clean
        values = s.to_numpy(dtype="datetime64[ns]")
        ns = values.view(np.int64)
        ok = (ns >= FIRST_DATE.value) & (ns <= LAST_DATE.value)  # NaT (the smallest int64) is out
        bad = (ns != np.iinfo(np.int64).min) & ~ok
        if not ok.all():
            values = np.where(ok, values, np.datetime64("NaT", "ns"))
        day = 86_400 * 10**9
        if (ns[ok] % day).any():  # times of day: keep the date
            values = values.astype("datetime64[D]").astype("datetime64[ns]")
        return pd.Series(values, index=s.index), pd.Series(bad, index=s.index)
    if s.dtype.kind in "fiu":
        num = s.astype("float64")
        dates, ok = _serials(num)
        return dates, num.notna() & ~ok
    s = s if trimmed else _text(s)
    arr = _arrow(s)
    distinct = _distinct(arr)  # a lead sheet has few distinct dates
    if distinct is not None:
        codes, texts = distinct
        dates, bad = _parse_dates(texts, trimmed=True)
        dates = np.append(dates.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
        bad = np.append(bad.to_numpy(dtype=bool), False)
        return pd.Series(dates[codes], index=s.index), pd.Series(bad[codes], index=s.index)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if arr.null_count < len(arr):
        found = pa.nulls(len(arr), pa.timestamp("s"))
        for fmt in _DATE_FORMATS:
            todo = pc.and_(pc.is_null(found), pc.is_valid(arr))
            if not pc.any(todo).as_py():
                break
            parsed = pc.strptime(pc.if_else(todo, arr, pa.scalar(None, arr.type)), format=fmt, unit="s",
                                 error_is_null=True)
            rolled = _rolled_over(arr, parsed, fmt)
            if rolled is not None:
                parsed = pc.if_else(rolled, pa.scalar(None, parsed.type), parsed)
            found = pc.coalesce(found, parsed)
        seconds = pd.Series(found.to_numpy(zero_copy_only=False), index=s.index)  # datetime64[s]: no overflow yet
        out = seconds.where(_in_range(seconds)).astype("datetime64[ns]")
    todo = out.isna() & s.notna()
    bad = pd.Series(False, index=s.index)
    if todo.any():  # Excel serial numbers typed as text, then whatever dateutil can read
        num = to_number(s[todo], trimmed=True)
        dates, serial = _serials(num)
        out[serial[serial].index] = dates[serial].to_numpy()
        bad[num.index[num.notna() & ~serial]] = True  # a number, but not a date Excel can show
        rest = num.index[num.isna()]
        if len(rest):
            parsed = _parse_mixed(s[rest].astype(object))
            ok = _in_range(parsed)
            out[rest[ok.to_numpy()]] = parsed[ok].to_numpy()
            bad[rest[(~ok).to_numpy()]] = True
    return out.dt.normalize(), bad


def _rolled_over(texts: pa.Array, parsed: pa.Array, fmt: str) -> pa.Array | None:
    """True where strptime took a day past the end of the month (Feb 30 → Mar 2); None if nowhere.
    Such a date lands on day 1–3, so only those rows are checked against the day typed."""
    day = pc.day(parsed)
    early = pc.fill_null(pc.less_equal(day, 3), False)
    if not pc.any(early).as_py():
        return None
    at = pc.indices_nonzero(early)
    typed = pc.struct_field(pc.extract_regex(pc.take(texts, at), _DAY_OF[fmt]), "d")
    wrong = pc.fill_null(pc.not_equal(pc.cast(typed, pa.int64()), pc.take(day, at)), False)
    if not pc.any(wrong).as_py():
        return None
    mask = np.zeros(len(parsed), dtype=bool)
    mask[at.to_numpy()[wrong.to_numpy(zero_copy_only=False)]] = True
    return pa.array(mask)


def _parse_mixed(s: pd.Series) -> pd.Series:
    """dateutil's reading of odd date texts, as naive wall-clock dates. A text with a time
    zone ('2026-01-01T10:00Z') keeps its own calendar date; one that pandas cannot parse
    together with the others (mixed time zones) is parsed on its own."""
    try:
        parsed = pd.to_datetime(s, format="mixed", errors="coerce", dayfirst=False)
    except (ValueError, TypeError, OverflowError):
        parsed = pd.Series([_parse_one(v) for v in s], index=s.index, dtype="datetime64[us]")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _parse_one(v: object) -> pd.Timestamp:
    try:
        ts = pd.to_datetime(v, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if ts is pd.NaT or ts is None:
        return pd.NaT
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


# ---- Text that reads two ways: dates with the year last, amounts with a , or . -------------
#
# docs/spec.md §1 "Reading text cells". Each distinct text of a column is read both ways
# (day-first and month-first; decimal point and decimal comma) by Arrow kernels; a value that
# only one way can read *proves* that way. The column then takes the way its values prove
# (Date order / Decimal separator = Auto), or the way Settings says; a value that stays
# ambiguous, or that contradicts its column or the setting, is a Check problem, never a guess.

READ_OK, NOT_VALID, AMBIGUOUS, MIXED, AGAINST_SETTING = 0, 1, 2, 3, 4


@dataclass
class Reading:
    """A column read from its cells: values (datetime64[ns] or float64), and per row why a
    filled cell gave no value (READ_OK, NOT_VALID, AMBIGUOUS, MIXED, AGAINST_SETTING)."""

    values: pd.Series
    why: np.ndarray
    choice: str | None = None  # the way the column is read (DMY, MDY, '.', ','), None: undecided
    examples: dict[str, str] = field(default_factory=dict)  # way -> a value that proves it
    options: tuple[pd.Series, pd.Series] | None = None  # per row, both readings of an ambiguous cell
    own: pd.Series | None = None  # per row, the only way a MIXED cell reads

    @property
    def bad(self) -> pd.Series:
        return pd.Series(self.why != READ_OK, index=self.values.index)


def _decide(ways: tuple[str, str], ok_a: np.ndarray, ok_b: np.ndarray, differ: np.ndarray, weights: np.ndarray,
            setting: str, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None, dict[str, str]]:
    """For items (distinct texts) readable as ``ways[0]`` (``ok_a``) and/or ``ways[1]`` (``ok_b``),
    which way each is read: (0 = a, 1 = b, -1 = none), why not (READ_OK …), the column's
    way, and an example text proving each way. ``weights``: the rows each item stands for."""
    a, b = ways
    way = np.full(len(ok_a), -1, dtype=np.int8)
    why = np.full(len(ok_a), NOT_VALID, dtype=np.int8)
    if setting in ways:
        mine, other = (ok_a, ok_b) if setting == a else (ok_b, ok_a)
        way[mine] = 0 if setting == a else 1
        why[mine] = READ_OK
        why[~mine & other] = AGAINST_SETTING
        return way, why, setting, {}
    proves_a, proves_b = ok_a & ~ok_b, ok_b & ~ok_a
    examples = {w: str(texts[np.flatnonzero(p)[0]]) for w, p in ((a, proves_a), (b, proves_b)) if p.any()}
    n_a, n_b = int(weights[proves_a].sum()), int(weights[proves_b].sum())
    choice = a if n_a and not n_b else b if n_b and not n_a else None
    way[proves_a], way[proves_b] = 0, 1
    why[proves_a | proves_b] = READ_OK
    both = ok_a & ok_b
    way[both & ~differ] = 0
    why[both & ~differ] = READ_OK
    if choice is not None:
        way[both & differ] = 0 if choice == a else 1
        why[both & differ] = READ_OK
    else:
        why[both & differ] = AMBIGUOUS
    if n_a and n_b:  # the column mixes both: the cells of the rarer way are the odd ones out
        for proves, n, m in ((proves_a, n_a, n_b), (proves_b, n_b, n_a)):
            if n <= m:
                why[proves] = MIXED  # (``way`` keeps the one way such a cell reads, for its message)
    return way, why, choice, examples


# 8/10/2026, 08-10-2026, 8.10.26, 25/10/2026 09:30 AM (Zoho), 2026/10/08 (year first: left to the formats)
_NUMERIC_DATE = (r"^(?P<p1>\d{1,4})(?P<s1>[./-])(?P<p2>\d{1,2})(?P<s2>[./-])(?P<p3>\d{1,4})"
                 r"(?:(?:\s+|T)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<se>\d{2})(?:\.\d+)?)?"
                 r"\s*(?P<ap>[AaPp]\.?[Mm]\.?)?)?$")


def _days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[D] of year/month/day, NaT where that day does not exist or lies outside 1900–2199."""
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (y >= FIRST_DATE.year) & (y <= LAST_DATE.year)
    months = np.where(ok, (y - 1970) * 12 + (m - 1), 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - first).astype(np.int64)
    ok &= d <= length
    return np.where(ok, first + np.where(ok, d - 1, 0).astype("timedelta64[D]"), np.datetime64("NaT", "D"))


def _numeric_dates(texts: pa.Array, weights: np.ndarray, order: str):
    """Distinct texts of the form d/m/y (any of / . -, a time after it allowed) with the year
    last, or first with two digits under Date order YMD: (which texts are such, their dates
    datetime64[D], why not, the column's way, examples, (day-first, month-first) readings).
    A year-first text with four digits is left to the formats (``ours`` False)."""
    n = len(texts)
    nat = np.full(n, np.datetime64("NaT", "D"))
    if not pc.any(pc.match_substring_regex(texts, r"^\d{1,2}[./-]\d")).as_py():  # ISO and the like: none here
        return np.zeros(n, dtype=bool), nat, np.zeros(n, np.int8), None, {}, None, None
    m = pc.extract_regex(texts, _NUMERIC_DATE)
    ours = m.is_valid().to_numpy(zero_copy_only=False) if m.null_count else np.ones(n, dtype=bool)
    if not ours.any():
        return ours, nat, np.zeros(n, np.int8), None, {}, None, None

    def part(name: str) -> tuple[np.ndarray, np.ndarray]:
        f = pc.fill_null(m.field(name), "")
        length = pc.utf8_length(f).to_numpy(zero_copy_only=False).astype(np.int64)
        num = pc.cast(pc.if_else(pc.equal(f, ""), "0", f), pa.int64()).to_numpy(zero_copy_only=False)
        return num, length

    (p1, l1), (p2, _), (p3, l3) = part("p1"), part("p2"), part("p3")
    (h, lh), (mi, _), (se, _) = part("h"), part("mi"), part("se")
    ap = pc.fill_null(pc.not_equal(pc.fill_null(m.field("ap"), ""), ""), False).to_numpy(zero_copy_only=False)
    same = pc.fill_null(pc.equal(m.field("s1"), m.field("s2")), False).to_numpy(zero_copy_only=False)
    ours &= ~((l1 == 4) & (l3 <= 2))  # 2026-10-08, 2026/10/08 …: the year-first formats read these
    clock = (lh == 0) | ((mi <= 59) & (se <= 59) & np.where(ap, (h >= 1) & (h <= 12), h <= 23))
    well_formed = ours & same & clock
    # Two-digit years as Excel reads them: 00–29 → 2000s, 30–99 → 1900s.
    y3 = np.where(l3 == 2, np.where(p3 < 30, 2000 + p3, 1900 + p3), p3)
    why = np.full(n, NOT_VALID, dtype=np.int8)
    dates = nat.copy()
    options = None
    if order == "YMD":
        year_first = well_formed & (l1 <= 2) & (l3 <= 2)
        y1 = np.where(p1 < 30, 2000 + p1, 1900 + p1)
        dates[year_first] = _days(y1, p2, p3)[year_first]
        why[year_first & ~np.isnat(dates)] = READ_OK
        why[well_formed & (l1 <= 2) & (l3 == 4)] = AGAINST_SETTING
        return ours, dates, why, "YMD", {}, None, None
    year_last = well_formed & (l1 <= 2) & ((l3 == 2) | (l3 == 4))
    dmy, mdy = _days(y3, p2, p1), _days(y3, p1, p2)
    ok_d, ok_m = year_last & ~np.isnat(dmy), year_last & ~np.isnat(mdy)
    way, w, choice, examples = _decide(("DMY", "MDY"), ok_d, ok_m, dmy != mdy, weights, order,
                                       texts.to_numpy(zero_copy_only=False))
    dates = np.where((w == READ_OK) & (way == 0), dmy, np.where((w == READ_OK) & (way == 1), mdy, nat))
    why[year_last] = w[year_last]
    if (why == AMBIGUOUS).any():
        amb = why == AMBIGUOUS
        options = (np.where(amb, dmy, nat), np.where(amb, mdy, nat))
    own = np.where(why == MIXED, way, -1).astype(np.int8)
    return ours, dates, why, choice, examples, options, own


def read_dates(s: pd.Series, *, trimmed: bool = False, order: str = "auto") -> Reading:
    """A date column: typed dates, serial numbers and year-first texts as ``_parse_dates``
    reads them; texts with the year last (8/10/2026, 25/10/2026 09:30 AM) day-first or
    month-first as ``order`` says (DMY, MDY, YMD) or, with "auto", as the column's values
    prove. Each distinct text is read once."""
    if s.dtype.kind in "Mfiub":
        dates, bad = _parse_dates(s)
        return Reading(dates, bad.to_numpy(dtype=bool).astype(np.int8))
    s = s if trimmed else _text(s)
    arr = _arrow(s)
    if arr.null_count == len(arr):
        return Reading(pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"), np.zeros(len(s), np.int8))
    codes, texts, weights = _encode(arr)
    ours, dates, why, choice, examples, options, own = _numeric_dates(texts, weights, order)
    rest = np.flatnonzero(~ours)
    if len(rest):
        others = pd.Series(pd.array(texts.take(pa.array(rest)), dtype=pd.StringDtype("pyarrow")))
        d, bad = _parse_dates(others, trimmed=True)
        dates[rest] = d.to_numpy(dtype="datetime64[D]")
        why[rest] = np.where(bad.to_numpy(dtype=bool), NOT_VALID, READ_OK)
    nat = np.datetime64("NaT", "D")
    values = pd.Series(_spread(codes, dates, nat).astype("datetime64[ns]"), index=s.index)
    row_why = _spread(codes, why, READ_OK)
    row_options = None
    if options is not None:
        row_options = tuple(pd.Series(_spread(codes, o, nat).astype("datetime64[ns]"), index=s.index) for o in options)
    row_own = None if own is None or not (own >= 0).any() else \
        pd.Series(np.array(["DMY", "MDY", None], dtype=object)[_spread(codes, own, -1)], index=s.index)
    return Reading(values, row_why, choice, examples, row_options, row_own)


# Currency signs and codes, and spaces (NBSP, narrow NBSP, thin space, ideographic space), in amounts.
_AMOUNT_JUNK = r"(?i)[\s\x{00A0}\x{202F}\x{2009}\x{3000}$¥€£￥]|元|RMB|CNY|USD|EUR|GBP"
_DOT_AMOUNT = r"^(?:(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)$"   # 45,000.50 · 45000.5 · .5
_COMMA_AMOUNT = r"^(?:(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?|,\d+)$"  # 45.000,50 · 45000,5 · ,5
_THOUSAND_DOT = r"^[-+]?[1-9]\d{0,2}\.\d{3}$"  # 1.500: one and a half, or fifteen hundred


def _as_float(arr: pa.Array, ok: np.ndarray) -> np.ndarray:
    out = np.full(len(arr), np.nan)
    if ok.any():
        at = np.flatnonzero(ok)
        out[at] = pc.cast(arr.take(pa.array(at)), pa.float64()).to_numpy(zero_copy_only=False)
    return out


def read_amounts(s: pd.Series, *, trimmed: bool = False, separator: str = "auto") -> Reading:
    """An amount column. Plain numbers (what a reader makes of a typed number: 45000, 1.5)
    read as themselves. Other texts lose currency signs and codes and spaces, then read with
    a decimal point (45,000.50) or a decimal comma (45.000,50 · 45 000,50 · 1,5) as
    ``separator`` says or, with "auto", as the column's values prove. '1,500' and '1.500'
    read both ways: the column decides, else they are ambiguous. Each distinct text is read once."""
    if s.dtype.kind in "Mfiub":
        return Reading(to_number(s), np.zeros(len(s), np.int8))
    s = s if trimmed else _text(s)
    arr = _arrow(s)
    if arr.null_count == len(arr):
        return Reading(pd.Series(np.nan, index=s.index, dtype="float64"), np.zeros(len(s), np.int8))
    codes, texts, weights = _encode(arr)
    n = len(texts)
    plain = pc.fill_null(pc.match_substring_regex(texts, _NUMBER), False).to_numpy(zero_copy_only=False)
    thousand_dot = plain & pc.fill_null(pc.match_substring_regex(texts, _THOUSAND_DOT), False).to_numpy(
        zero_copy_only=False)
    # A plain number reads the same both ways, but 1.500 (fifteen hundred with a decimal comma).
    dot_val = _as_float(texts, plain)
    comma_val = dot_val.copy()
    comma_val[thousand_dot] = _as_float(pc.replace_substring(texts, ".", ""), thousand_dot)[thousand_dot]
    ok_dot, ok_comma = plain.copy(), plain.copy()
    other = np.flatnonzero(~plain)
    if len(other):
        t = pc.replace_substring_regex(texts.take(pa.array(other)), _AMOUNT_JUNK, "")
        negative = pc.fill_null(pc.starts_with(t, "-"), False).to_numpy(zero_copy_only=False)
        t = pc.utf8_ltrim(t, "+-")
        d_ok = pc.fill_null(pc.match_substring_regex(t, _DOT_AMOUNT), False).to_numpy(zero_copy_only=False)
        c_ok = pc.fill_null(pc.match_substring_regex(t, _COMMA_AMOUNT), False).to_numpy(zero_copy_only=False)
        sign = np.where(negative, -1.0, 1.0)
        ok_dot[other], ok_comma[other] = d_ok, c_ok
        dot_val[other] = sign * _as_float(pc.replace_substring(t, ",", ""), d_ok)
        comma_val[other] = sign * _as_float(pc.replace_substring(pc.replace_substring(t, ".", ""), ",", "."), c_ok)
    differ = ~(dot_val == comma_val)
    way, why, choice, examples = _decide((".", ","), ok_dot, ok_comma, differ, weights, separator,
                                         texts.to_numpy(zero_copy_only=False))
    read = why == READ_OK
    values = np.where(read & (way == 0), dot_val, np.where(read & (way == 1), comma_val, np.nan))
    out = pd.Series(_spread(codes, values, np.nan), index=s.index, dtype="float64")
    options = None
    if (why == AMBIGUOUS).any():
        amb = why == AMBIGUOUS
        options = tuple(pd.Series(_spread(codes, np.where(amb, v, np.nan), np.nan), index=s.index)
                        for v in (dot_val, comma_val))
    own = None
    if (why == MIXED).any():
        own = pd.Series(np.array([".", ",", None], dtype=object)[_spread(codes, np.where(why == MIXED, way, -1), -1)],
                        index=s.index)
    return Reading(out, _spread(codes, why, READ_OK), choice, examples, options, own)
