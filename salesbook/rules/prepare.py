"""From the Leads table as read (text cells) to typed columns, and every bad cell found.

Vectorised: each column is parsed in a few Arrow/pandas passes; Python only touches the
distinct values of choice columns (a handful) and the cells that are wrong.

A bad cell never stops the run: it is recorded in ``Prepared.problems`` (row, column,
value, message) and marked in ``Prepared.bad[key]`` so that the outputs depending on
it say what is wrong instead of guessing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.rules.schema import BY_KEY, COUNT, DATE, INPUTS, NUMBER, REQUIRED, TEXT, match_headers, norm
from salesbook.rules.settings import LOST, OPEN, WON, Settings

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


def _text(s: pd.Series) -> pd.Series:
    """Cells as stripped text (Arrow-backed), blanks as NA. Typed columns pass through."""
    return _trim(s)[0]


def _trim(s: pd.Series) -> tuple[pd.Series, bool]:
    """``_text`` of the column, and whether any cell may be an Excel error text (False when
    no cell starts with '#', which ``_excel_error`` then need not look for).

    Arrow kernels over the whole column; a mixed object column (texts and datetimes, as a
    typed Timeline is) is converted once per distinct value, not once per cell."""
    if s.dtype.kind in "Mfiub":
        return s, False
    arr = getattr(s.array, "_pa_array", None)
    if arr is None:  # object or Python-backed strings: convert the distinct values only
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        texts = pd.Series(uniques, dtype=object).astype(pd.StringDtype("pyarrow"))
        arr = pc.take(_arrow(texts), pa.array(codes, mask=codes < 0))
    elif isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    first, last = _end_bytes(arr)
    maybe_error = bool((first == ord("#")).any())
    if ((first <= 32) | (first >= 128) | (last <= 32) | (last >= 128)).any():  # some cell may need trimming
        arr = pc.utf8_trim_whitespace(arr)
        maybe_error = True  # (' #N/A' starts with '#' once trimmed)
    if pc.any(pc.equal(arr, "")).as_py():
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow")), index=s.index, name=s.name), maybe_error


def _utf8(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The (offsets, bytes) buffers of a large_string array, as numpy views (no copy);
    offsets start at 0 into the returned bytes."""
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None else np.zeros(0, np.uint8)
    data = data[offsets[0]:offsets[-1]]
    return offsets - offsets[0], data


def _end_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's first and last byte, read straight from the column's buffer. An empty
    or null cell shows a neighbour's byte instead; callers only use these to rule
    things out (no cell starts with '#', none starts or ends with white space), for
    which a neighbour's byte can only cause a needless exact check, never a miss."""
    offsets, data = _utf8(arr)
    if len(data) == 0:
        return np.zeros(0, np.uint8), np.zeros(0, np.uint8)
    return data[np.minimum(offsets[:-1], len(data) - 1)], data[np.maximum(offsets[1:] - 1, 0)]


def as_text(s: pd.Series) -> pd.Series:
    """A typed column as the text a person sees: 42.0 → '42', dates → '2026-11-18'."""
    if s.dtype.kind == "M":
        out = s.dt.strftime("%Y-%m-%d")
    elif s.dtype.kind == "b":
        out = s.map({True: "TRUE", False: "FALSE"})
    else:
        num = s.astype("float64")
        whole = num.notna() & (num == np.floor(num)) & (num.abs() < 1e15)
        out = num.astype(object).where(num.notna(), None)
        out[whole] = num[whole].astype("int64").astype(str)
        out[~whole & num.notna()] = num[~whole & num.notna()].map(repr)
    return out.astype(pd.StringDtype("pyarrow"))


def first_rows(codes: np.ndarray) -> np.ndarray:
    """The row where each code first appears (entry c for code c), for codes numbered in
    order of first appearance as ``pd.factorize`` numbers them (-1 for blanks is skipped).
    A row is a first occurrence exactly when its code exceeds every earlier code, so one
    running maximum finds them all: no sort."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    seen = np.maximum.accumulate(codes)
    is_first = np.empty(len(codes), dtype=bool)
    is_first[0] = codes[0] >= 0
    is_first[1:] = codes[1:] > seen[:-1]
    return np.flatnonzero(is_first)


def first_of_codes(codes: np.ndarray) -> np.ndarray:
    """For each row, the position of the first row with the same code (its own position for
    first occurrences and for -1, a blank). Codes not numbered in order of first appearance
    are renumbered so first."""
    n = len(codes)
    positions = np.arange(n)
    first_at = first_rows(codes)
    if not len(first_at):
        return positions
    if not np.array_equal(codes[first_at], np.arange(len(first_at))) or codes.max() != len(first_at) - 1:
        return first_of_codes(dense_codes(codes))  # dense_codes numbers in order of appearance
    return np.where(codes >= 0, first_at[np.maximum(codes, 0)], positions)


def first_of_any(columns: list[np.ndarray]) -> np.ndarray | None:
    """``first_of_codes`` over several code columns in one numbering (Phone and Mobile): for
    each row, the position of the first row that shares any code with it; None when no row
    has a code. With one column in use it is ``first_of_codes``."""
    columns = [c for c in columns if (c >= 0).any()]
    if not columns:
        return None
    if len(columns) == 1:
        return first_of_codes(columns[0])
    n = len(columns[0])
    positions = np.arange(n)
    codes = np.concatenate(columns)
    ok = codes >= 0
    first = np.full(int(codes.max()) + 1, n, dtype=np.int64)
    np.minimum.at(first, codes[ok], np.tile(positions, len(columns))[ok])
    out = positions.copy()
    for c in columns:
        has = c >= 0
        out[has] = np.minimum(out[has], first[c[has]])
    return out


def dense_codes(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative codes 0..k-1 in order of first appearance (keeping -1 for
    none), so arrays indexed by code stay as small as the number of distinct values."""
    out = np.full(len(codes), -1, dtype=np.int64)
    valid = codes >= 0
    out[valid] = pd.factorize(codes[valid])[0]
    return out


def _arrow(s: pd.Series) -> pa.Array:
    """The Arrow array behind a text Series (converted when it is not Arrow-backed)."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None:
        arr = pa.array(s.astype(object).where(s.notna(), None).to_numpy(), type=pa.large_string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _email_keys(arr: pa.Array) -> pa.Array:
    """Lower-cased addresses without spaces; null where there is no '@'."""
    _, data = _utf8(arr)
    clean = arr
    if ((data >= 65) & (data <= 90) | (data >= 128)).any():  # only when something could be upper case
        clean = pc.utf8_lower(clean)
    if (data == 32).any():
        clean = pc.replace_substring(clean, " ", "")
    return pc.if_else(pc.fill_null(pc.match_substring(clean, "@"), False), clean, pa.scalar(None, clean.type))


# Bytes a phone number may hold and still be read without phonenumbers (digits, spaces and
# - . ( ) /, a '+' only first): a "plain" phone. Anything else (letters, 'ext', '#', full-width
# digits, Chinese text) is read by phonenumbers itself.
_PLAIN_PHONE = np.zeros(256, dtype=bool)
_PLAIN_PHONE[[ord(c) for c in "0123456789 -.()/"]] = True
_MAX_PLAIN_DIGITS = 17  # (digit count, '+', digits) fits an int64 key
_PARSED = 4 * 10**18  # keys from phonenumbers start here, above every plain phone's key
_REV = 11 ** np.arange(_MAX_PLAIN_DIGITS - 1, -1, -1, dtype=np.int64)  # base-11 places, last digit first


def _phone_keys(arr: pa.Array, region: str = "CN") -> np.ndarray:
    """Per row an integer key, equal exactly when ``phonenumbers`` reads the two numbers as the
    same number (country code + national number, extensions left out), with ``region`` for
    numbers without a country code; -1 where there is none (fewer than 7 digits). A number
    phonenumbers cannot read is compared by its last 11 digits (``_phone_reference`` is the
    rule for one text).

    Fast path, without phonenumbers: phonenumbers only ever removes digits from the front of a
    number (an international prefix, a country code, a national prefix, a carrier code), and
    ``_strip_bounds`` says at most how many for each plain phone (digits and separators only).
    So two phones can only be the same number when they end in the same ``r`` digits, ``r``
    = 7 to 11 per phone (e.g. 11 for a Chinese mobile, which nothing is removed from). Sorted
    by their digits read backwards, such phones are neighbours: a plain phone whose two
    neighbours end differently is keyed by its own digits. Only the others (and phones that
    are not plain) are parsed, each distinct text once. All of it on the UTF-8 bytes of the
    whole column at once."""
    n = len(arr)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or arr.null_count == n:
        return out
    arr = arr.cast(pa.large_string()) if not pa.types.is_large_string(arr.type) else arr
    offsets, data = _utf8(arr)
    starts, lengths = offsets[:-1], np.diff(offsets)
    valid = arr.is_valid().to_numpy(zero_copy_only=False) if arr.null_count else np.ones(n, dtype=bool)
    # uint16 counts: a cell holds at most 32,767 characters, and reduceat in the array's own
    # type avoids a full-length cast (an 8-byte-per-byte temporary at 1M rows).
    is_digit = np.zeros(len(data) + 1, dtype=np.uint16)  # a spare 0 so no row starts past the end
    is_digit[:-1] = (data >= 48) & (data <= 57)
    have = np.add.reduceat(is_digit, starts).astype(np.int64)  # digits per row
    empty = lengths == 0
    have[empty] = 0  # (reduceat gives an empty row the next byte)
    end = np.cumsum(have)  # one past each row's last digit, in ``digits`` (null slots' bytes included)
    plus = ~empty & (data[np.minimum(starts, max(len(data) - 1, 0))] == ord("+")) if len(data) else empty
    odd = ~_PLAIN_PHONE[data]
    if odd.sum() == plus.sum() and (data == ord("+")).sum() == plus.sum():
        n_odd = plus.astype(np.int64)  # the only odd bytes are the '+' that start their rows
    else:
        odd_counts = np.zeros(len(data) + 1, dtype=np.uint16)
        odd_counts[:-1] = odd
        n_odd = np.add.reduceat(odd_counts, starts).astype(np.int64)
        n_odd[empty] = 0
    plain = valid & ~empty & (n_odd == plus) & (have <= _MAX_PLAIN_DIGITS)
    digits = data[is_digit[:-1] == 1] - np.uint8(48)
    fast = np.flatnonzero(plain & (have >= 7))
    # Each plain phone as one integer: (digit count, '+') above its digits.
    e, take = end[fast], have[fast]
    value = np.zeros(len(fast), dtype=np.int64)
    for j in range(int(take.max(initial=0))):  # the j-th digit from the right; every phone has at least 7
        d = digits[np.maximum(e - 1 - j, 0)].astype(np.int64)
        value += (d if j < 7 else np.where(j < take, d, 0)) * 10**j
    key = (take * 2 + plus[fast]) * 10**_MAX_PLAIN_DIGITS + value
    # Phones phonenumbers must read: those that are not plain, each distinct text once.
    slow = np.flatnonzero(valid & ~empty & ~plain)
    parsed: dict[str, int] = {}
    ends: list[str] = []  # the digits each parsed number is compared by
    if len(slow):
        codes, uniques = pd.factorize(pd.Series(arr.take(pa.array(slow)).to_numpy(zero_copy_only=False)))
        found = [_phone_reference(u, region) for u in uniques]
        table = np.array([-1 if f is None else _PARSED + parsed.setdefault(f[0], len(parsed)) for f in found],
                         dtype=np.int64)
        out[slow] = table[codes]
        ends = [f[1] for f in found if f is not None]
    if not len(fast):
        return out
    out[fast] = key
    # Only phones whose last 7 digits another phone shares can be the same number as another
    # (every phone needs at least 7 alike): the rest keep their own digits as their key, and
    # ``_strip_bounds`` and ``_near`` look at the distinct phones of the others only.
    tail, tails = pd.factorize(key % 10**7)
    maybe = np.bincount(tail, minlength=len(tails))[tail] > 1
    ends7 = np.array([int(x[-7:]) for x in ends], dtype=np.int64)
    if len(ends7):
        maybe |= np.isin(key % 10**7, ends7)
    rows = np.flatnonzero(maybe)
    if not len(rows):
        return out
    inverse, distinct = pd.factorize(key[rows])
    tail, tails = pd.factorize(distinct % 10**7)
    shared = np.flatnonzero((np.bincount(tail, minlength=len(tails))[tail] > 1) | np.isin(distinct % 10**7, ends7))
    if len(shared):
        count = distinct[shared] // 10**_MAX_PLAIN_DIGITS // 2
        has_plus = distinct[shared] // 10**_MAX_PLAIN_DIGITS % 2 == 1
        number = distinct[shared] % 10**_MAX_PLAIN_DIGITS
        texts = [str(v).zfill(k) for v, k in zip(number.tolist(), count.tolist())]
        need = np.clip(count - _strip_bounds(texts, has_plus, region), 7, 11)
        backwards = np.zeros(len(shared), dtype=np.int64)
        for j in range(_MAX_PLAIN_DIGITS):
            backwards += np.where(j < count, number // 10**j % 10 + 1, 0) * _REV[j]
        suspect = _near(backwards, need, [_backwards(x) for x in ends])
        if suspect.any():
            distinct = distinct.copy()
            distinct[shared[suspect]] = [
                _PARSED + parsed.setdefault(f[0], len(parsed)) for f in
                (_phone_reference(("+" if p else "") + t, region) for t, p in
                 zip(np.array(texts, dtype=object)[suspect], has_plus[suspect]))]
            out[fast[rows]] = distinct[inverse]
    return out


def _backwards(digits: str) -> int:
    """The last (up to 17) digits of a text, backwards in base 11, as ``_phone_keys`` sorts them."""
    tail = digits[::-1][:_MAX_PLAIN_DIGITS]
    return int(sum((int(c) + 1) * int(_REV[j]) for j, c in enumerate(tail)))


def _near(backwards: np.ndarray, need: np.ndarray, others: list[int]) -> np.ndarray:
    """Which phones end in the same ``need`` digits as another phone (or as one of ``others``,
    needing nothing themselves). Sorted backwards, the longest common ending of two phones is
    the shortest between neighbours on the way, so each phone need only look at its two
    neighbours."""
    n = len(backwards)
    allb = np.concatenate([backwards, np.array(others, dtype=np.int64)])
    order = np.argsort(allb, kind="stable")
    s = allb[order]
    # Common ending of neighbours: equal base-11 digits from the top.
    common = np.zeros(max(len(s) - 1, 0), dtype=np.int64)
    same = np.ones(len(common), dtype=bool)
    for j in range(_MAX_PLAIN_DIGITS):
        place = _REV[j]
        same &= (s[:-1] // place) == (s[1:] // place)
        common += same
    need_s = np.full(len(s), 99, dtype=np.int64)
    mine = order < n
    need_s[mine] = need[order[mine]]
    hit = np.zeros(len(s), dtype=bool)
    hit[1:] |= common >= need_s[1:]
    hit[:-1] |= common >= need_s[:-1]
    out = np.zeros(n, dtype=bool)
    out[order[mine]] = hit[mine]
    return out


def _strip_bounds(texts: list[str], plus: np.ndarray, region: str) -> np.ndarray:
    """Per plain phone (its digits, and whether a '+' came first), at most how many digits
    phonenumbers may remove from its front: after a '+', the country code and a national
    prefix or carrier code of that country; without, the region's international prefix and
    what may follow it, its country code, its national prefix or carrier code. The prefixes are
    phonenumbers' own patterns (libphonenumber writes them for RE2, Arrow's regex engine)."""
    rules = _prefix_rules(region)
    heads = pa.array(texts, type=pa.large_string())
    counts = np.array([len(t) for t in texts], dtype=np.int64)

    def starts_with(pattern: str | None, texts: pa.Array) -> np.ndarray:
        if not pattern:
            return np.zeros(len(texts), dtype=bool)
        return pc.fill_null(pc.match_substring_regex(texts, f"^(?:{pattern})"), False).to_numpy(zero_copy_only=False)

    def prefix_length(pattern: str | None, texts: pa.Array) -> np.ndarray:
        """How many digits the pattern takes from the front (0 when it does not match there):
        the same leftmost-first match Python's re.match finds, so what phonenumbers strips."""
        if not pattern:
            return np.zeros(len(texts), dtype=np.int64)
        found = pc.struct_field(pc.extract_regex(texts, f"^(?P<p>{_uncaptured(pattern)})"), "p")
        return pc.fill_null(pc.utf8_length(found), 0).to_numpy(zero_copy_only=False).astype(np.int64)

    bound = np.zeros(len(counts), dtype=np.int64)
    own = ~plus
    if own.any():
        h = heads.filter(pa.array(own))
        b = prefix_length(rules.national, h)
        b = np.where(starts_with(str(rules.code), h), len(str(rules.code)) + 2 * rules.national_width, b)
        b = np.where(starts_with(rules.international, h), _MAX_PLAIN_DIGITS, b)  # then any country: no bound
        bound[own] = b
    if plus.any():
        at = np.flatnonzero(plus)
        h = heads.take(pa.array(at))
        lead = [pc.cast(pc.utf8_slice_codeunits(h, 0, k), pa.int64()).to_numpy(zero_copy_only=False) for k in (1, 2, 3)]
        cc_len = np.select([np.isin(lead[k], rules.codes) for k in range(3)], [1, 2, 3], default=0)
        b = np.full(len(at), _MAX_PLAIN_DIGITS, dtype=np.int64)  # no known country code: no bound
        for k in (1, 2, 3):
            for cc in np.unique(lead[k - 1][cc_len == k]):
                rows = np.flatnonzero((cc_len == k) & (lead[k - 1] == cc))
                pattern = _national_prefix(int(cc))
                b[rows] = k + prefix_length(pattern, pc.utf8_slice_codeunits(h.take(pa.array(rows)), k))
        bound[at] = b
    return bound


@dataclass(frozen=True)
class _PrefixRules:
    code: int
    international: str | None
    national: str | None
    national_width: int
    codes: np.ndarray  # every country calling code


def _width(pattern: str | None) -> int:
    """The most characters a regular expression can match (phonenumbers' are all bounded)."""
    if not pattern:
        return 0
    try:
        from re import _parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse
    return min(int(sre_parse.parse(pattern).getwidth()[1]), _MAX_PLAIN_DIGITS)


def _uncaptured(pattern: str) -> str:
    """A pattern with its capturing groups made non-capturing (Arrow names every group)."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern)


@lru_cache(maxsize=None)
def _national_prefix(code: int) -> str | None:
    """The national prefix / carrier code pattern of a country code's main region."""
    import phonenumbers

    region = phonenumbers.region_code_for_country_code(code)
    meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    return (meta.national_prefix_for_parsing or meta.national_prefix) if meta is not None else None


@lru_cache(maxsize=None)
def _prefix_rules(region: str) -> _PrefixRules:
    import phonenumbers

    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    national = meta.national_prefix_for_parsing or meta.national_prefix
    return _PrefixRules(meta.country_code, meta.international_prefix, national, _width(national),
                        np.array(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE), dtype=np.int64))


def _phone_reference(text: str, region: str = "CN") -> tuple[str, str] | None:
    """The phone rule for one text: (key, the digits it is compared by), None when it has fewer
    than 7 digits. The key is phonenumbers' country code and national number ('+86 1012345678'
    for 010-12345678 in CN) when that national number has 7 digits or more and ends the text's
    digits; otherwise (a number phonenumbers cannot read, or rewrites) the last 11 digits."""
    import phonenumbers  # only for the phones the fast path cannot settle

    digits = phonenumbers.normalize_digits_only(text)
    if len(digits) < 7:
        return None
    try:
        number = phonenumbers.parse(text, region)
        national = phonenumbers.national_significant_number(number)
        main = digits[:-len(number.extension)] if number.extension and digits.endswith(number.extension) else digits
        if len(national) >= 7 and main.endswith(national):
            return f"+{number.country_code} {national}", national
    except phonenumbers.NumberParseException:
        pass
    return "#" + digits[-11:], digits[-11:]


class _Inline:
    """An executor that runs each job at once (small tables: threads cost more than they save)."""

    class _Done:
        def __init__(self, value):
            self.value = value

        def result(self):
            return self.value

    def submit(self, fn, *args):
        return self._Done(fn(*args))

    def shutdown(self):
        pass


def _pool(n_rows: int):
    """Where the contact keys are hashed: on other threads for big tables (Arrow and numpy
    release the GIL, so they use the other cores while prepare goes on), else inline."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=2) if n_rows >= 50_000 else _Inline()


def _increasing_codes(s: pd.Series) -> np.ndarray | None:
    """0 … n-1 when every cell is filled and each is greater than the one above (byte
    order), which proves them all distinct in one comparison pass: CRM exports usually
    come sorted by ID. None otherwise (then the values are hashed)."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None or s.dtype.kind in "Mfiub" or len(s) < 2 or arr.null_count:
        return None
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if not pc.all(pc.less(arr.slice(0, len(arr) - 1), arr.slice(1))).as_py():
        return None
    return np.arange(len(arr), dtype=np.int64)


def _email_codes(email: pd.Series) -> np.ndarray:
    """E-mail keys: equal codes = the same normalised address, -1 = none."""
    return _codes(_email_keys(_arrow(email)))


def _other_keys(phone: pd.Series, mobile: pd.Series, company: pd.Series, contact: pd.Series,
                region: str = "CN") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phone and mobile keys (one numbering: a number typed as Phone on one row and as Mobile
    on another is the same key) and company + contact keys, numbered in order of first
    appearance, -1 = none."""
    n = len(phone)
    if mobile.notna().any():
        both = dense_codes(_phone_keys(pa.concat_arrays([_large(_arrow(phone)), _large(_arrow(mobile))]), region))
        phone_key, mobile_key = both[:n], both[n:]
    else:
        phone_key, mobile_key = dense_codes(_phone_keys(_arrow(phone), region)), np.full(n, -1, dtype=np.int64)
    company_key = name_codes(company, legal=True)
    contact_key = name_codes(contact)
    person_key = dense_codes(np.where((company_key >= 0) & (contact_key >= 0),
                                      company_key * (int(contact_key.max(initial=0)) + 2) + contact_key, -1))
    return phone_key, mobile_key, person_key


def _large(arr: pa.Array) -> pa.Array:
    return arr if pa.types.is_large_string(arr.type) else arr.cast(pa.large_string())


# Legal forms at the end of a company name, for duplicates (after case folding, with
# punctuation turned into spaces: 'Co., Ltd.' → 'co ltd', 'S.A.' → 's a').
_LEGAL_FORMS = ("ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "l l c",
                "llp", "plc", "gmbh", "mbh", "ag", "kg", "sa", "s a", "sas", "s a s", "sarl", "srl", "s r l",
                "spa", "s p a", "bv", "b v", "nv", "n v", "oy", "ab", "pty", "pte", "kk", "k k", "group")
_LEGAL_FORMS_ZH = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "股份公司", "集团公司", "集团", "公司")
_LEGAL_TAIL = (r"(?:\s+(?:" + "|".join(f.replace(" ", r"\s") for f in _LEGAL_FORMS) + r")|\s*(?:"
               + "|".join(_LEGAL_FORMS_ZH) + r"))+$")


def name_codes(s: pd.Series, *, legal: bool = False) -> np.ndarray:
    """Integer codes equal where names are equal ignoring case, width, spaces and punctuation
    and, with ``legal``, the legal form at the end ('ACME, Inc.' = 'Acme Corp' = 'acme';
    '华为技术有限公司' = '华为技术'), -1 for blanks. Arrow kernels over the distinct names only."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if not len(uniques):
        return codes.astype(np.int64)
    names = pc.utf8_lower(pc.utf8_normalize(pa.array(np.asarray(uniques, dtype=object), type=pa.large_string()),
                                            "NFKC"))
    names = pc.utf8_trim_whitespace(pc.replace_substring_regex(names, r"[^\p{L}\p{N}\p{M}]+", " "))
    if legal:
        bare = pc.replace_substring_regex(names, _LEGAL_TAIL, "")
        names = pc.if_else(pc.equal(bare, ""), names, bare)  # a name that is only a legal form keeps it
    names = pc.replace_substring(names, " ", "")
    canon = pc.dictionary_encode(names).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return np.append(canon, -1)[codes]


def _codes(arr: pa.Array) -> np.ndarray:
    """Dictionary codes of an Arrow array, -1 for nulls."""
    if arr.null_count == len(arr):
        return np.full(len(arr), -1, dtype=np.int64)
    return pc.fill_null(pc.dictionary_encode(arr).indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _distinct(arr: pa.Array) -> tuple[np.ndarray, pd.Series] | None:
    """(codes, the distinct texts) when a column of 1,000 cells or more has few distinct
    texts (a quarter of its length or less): parsers then parse each distinct text once
    and spread the results by code (-1 for blanks). None otherwise."""
    if len(arr) < 1000:
        return None
    enc = pc.dictionary_encode(arr)
    if len(enc.dictionary) * 4 >= len(arr):
        return None
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, pd.Series(pd.array(enc.dictionary, dtype=pd.StringDtype("pyarrow")))


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


def _spread(codes: np.ndarray, items: np.ndarray, blank) -> np.ndarray:
    """Per-item values → per-row values through dictionary codes (-1 = blank)."""
    return np.append(items, np.array([blank], dtype=items.dtype))[codes]


def _encode(arr: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """(codes per row, -1 for blanks; the distinct texts; how many rows each stands for)."""
    enc = pc.dictionary_encode(arr)
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    texts = enc.dictionary
    if not pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.large_string())
    return codes, texts, np.bincount(codes[codes >= 0], minlength=len(texts))


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


__all__ = ["Prepared", "prepare", "parse_dates", "lookup", "canonical_frame", "stage_kind_masks", "EXCEL_ERRORS"]
