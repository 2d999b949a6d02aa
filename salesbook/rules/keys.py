"""The keys duplicate leads are found by: normalised e-mail addresses, phone numbers (plain
ones read without phonenumbers, the rest through it) and company + contact names, the
company's legal form stripped. Each key is an integer code, -1 for none."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.rules.columnar import _arrow, _codes, _large, _utf8, dense_codes


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
    whole column at once.

    In two steps: ``phone_parts`` (each text alone: the bytes read, the phones that are not
    plain parsed) and ``phone_join`` (the plain phones that another phone may equal parsed).
    The parts of several tables (the books of a rollup) joined at once compare every phone
    with every other as one call over all of them would."""
    return phone_join(*phone_parts(arr, region), region)


def _reference_key(reference: str) -> int:
    """A parsed number's key: its reference (``_phone_reference``) hashed with blake2b — the
    same in every process, unlike ``hash()`` — into [_PARSED, 2**63), above every plain
    phone's key (two references share a key with a chance of about 1 in 2**62)."""
    h = int.from_bytes(hashlib.blake2b(reference.encode("utf-8"), digest_size=8).digest(), "little")
    return _PARSED + h % (2**63 - _PARSED)


def phone_parts(arr: pa.Array, region: str = "CN") -> tuple[np.ndarray, np.ndarray]:
    """The first step of ``_phone_keys``, each text on its own: per row the plain phone's own
    key ((digit count, '+') above its digits, below ``_PARSED``), the key of the number
    phonenumbers reads in a phone that is not plain (``_reference_key``), or -1 for none; and
    the digits the parsed numbers are compared by, read backwards (``_backwards``), distinct."""
    n = len(arr)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or arr.null_count == n:
        return out, np.zeros(0, dtype=np.int64)
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
    del is_digit, odd
    fast = np.flatnonzero(plain & (have >= 7))
    # Each plain phone as one integer: (digit count, '+') above its digits.
    e, take = end[fast], have[fast]
    value = np.zeros(len(fast), dtype=np.int64)
    for j in range(int(take.max(initial=0))):  # the j-th digit from the right; every phone has at least 7
        d = digits[np.maximum(e - 1 - j, 0)].astype(np.int64)
        value += (d if j < 7 else np.where(j < take, d, 0)) * 10**j
    out[fast] = (take * 2 + plus[fast]) * 10**_MAX_PLAIN_DIGITS + value
    # Phones phonenumbers must read: those that are not plain, each distinct text once.
    slow = np.flatnonzero(valid & ~empty & ~plain)
    ends: list[str] = []  # the digits each parsed number is compared by
    if len(slow):
        codes, uniques = pd.factorize(pd.Series(arr.take(pa.array(slow)).to_numpy(zero_copy_only=False)))
        found = [_phone_reference(u, region) for u in uniques]
        table = np.array([-1 if f is None else _reference_key(f[0]) for f in found], dtype=np.int64)
        out[slow] = table[codes]
        ends = [f[1] for f in found if f is not None]
    return out, np.unique(_backwards_many(ends))


def phone_join(keys: np.ndarray, ends: np.ndarray, region: str = "CN") -> np.ndarray:
    """The second step of ``_phone_keys``, over ``phone_parts``' keys (of one table, or of
    several one after the other) and their parsed numbers' ``ends`` (all of them): the plain
    phones that end as another phone or a parsed number does, as far as phonenumbers may
    strip them, are parsed and keyed by their reference; the rest keep their own key."""
    out = np.array(keys, dtype=np.int64, copy=True)
    fast = np.flatnonzero((out >= 0) & (out < _PARSED))
    if not len(fast):
        return out
    key = out[fast]
    ends = np.asarray(ends, dtype=np.int64)
    # Only phones whose last 7 digits another phone shares can be the same number as another
    # (every phone needs at least 7 alike): the rest keep their own digits as their key, and
    # ``_strip_bounds`` and ``_near`` look at the distinct phones of the others only.
    tail, tails = pd.factorize(key % 10**7)
    maybe = np.bincount(tail, minlength=len(tails))[tail] > 1
    ends7 = _last7(ends)
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
        suspect = _near(backwards, need, ends)
        if suspect.any():
            distinct = distinct.copy()
            distinct[shared[suspect]] = [
                _reference_key(f[0]) for f in
                (_phone_reference(("+" if p else "") + t, region) for t, p in
                 zip(np.array(texts, dtype=object)[suspect], has_plus[suspect]))]
            out[fast[rows]] = distinct[inverse]
    return out


def _backwards_many(digits: list[str]) -> np.ndarray:
    """``_backwards`` of each text of digits, at once."""
    if not digits:
        return np.zeros(0, dtype=np.int64)
    tails = np.array([d[::-1][:_MAX_PLAIN_DIGITS] for d in digits], dtype=f"S{_MAX_PLAIN_DIGITS}")
    grid = tails.view(np.uint8).reshape(len(digits), _MAX_PLAIN_DIGITS).astype(np.int64)
    places = np.where(grid > 0, grid - 47, 0)  # a digit d as d + 1, the padding as 0
    return places @ _REV


def _last7(backwards: np.ndarray) -> np.ndarray:
    """The last 7 digits (as a number) of texts of digits read backwards (``_backwards``)."""
    out = np.zeros(len(backwards), dtype=np.int64)
    for j in range(7):  # every one has at least 7 digits
        out += (backwards // _REV[j] % 11 - 1) * 10**j
    return out


def _backwards(digits: str) -> int:
    """The last (up to 17) digits of a text, backwards in base 11, as ``_phone_keys`` sorts them."""
    tail = digits[::-1][:_MAX_PLAIN_DIGITS]
    return int(sum((int(c) + 1) * int(_REV[j]) for j, c in enumerate(tail)))


def _near(backwards: np.ndarray, need: np.ndarray, others: np.ndarray) -> np.ndarray:
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
    company_key, contact_key = person_codes(company, contact)
    person_key = dense_codes(np.where((company_key >= 0) & (contact_key >= 0),
                                      company_key * (int(contact_key.max(initial=0)) + 2) + contact_key, -1))
    return phone_key, mobile_key, person_key


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
    return _name_codes([(s, legal)])[0]


def person_codes(company: pd.Series, contact: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``name_codes`` of Company (``legal``) and of Contact, folded in one Arrow pass: the
    Unicode pattern that folds names costs ~2 ms to compile per call, more than folding a
    book's names."""
    company_codes, contact_codes = _name_codes([(company, True), (contact, False)])
    return company_codes, contact_codes


def person_keys(company: pd.Series, contact: pd.Series) -> tuple[pa.Array, pa.Array]:
    """The texts ``person_codes`` compares, per row (null for blanks): equal in any two tables
    exactly when ``person_codes`` would give the names one code in one table."""
    out = []
    for (codes, uniques), names in zip(*_folded([(company, True), (contact, False)])):
        out.append(pc.take(names, pa.array(codes.astype(np.int64), type=pa.int64(), mask=codes < 0))
                   if len(uniques) else pa.nulls(len(codes), pa.large_string()))
    return out[0], out[1]


def _name_codes(columns: list[tuple[pd.Series, bool]]) -> list[np.ndarray]:
    out = []
    for (codes, uniques), names in zip(*_folded(columns)):
        if not len(uniques):
            out.append(codes.astype(np.int64))
            continue
        canon = pc.dictionary_encode(names).indices.to_numpy(zero_copy_only=False).astype(np.int64)
        out.append(np.append(canon, -1)[codes])
    return out


def _folded(columns: list[tuple[pd.Series, bool]]) -> tuple[list, list[pa.Array]]:
    """Each column factorized (codes, distinct names), and its distinct names folded as the
    codes compare them (``legal``: the legal form at the end taken off), all in one pass."""
    factors = [pd.factorize(s, use_na_sentinel=True) for s, _ in columns]
    sizes = [len(u) for _, u in factors]
    if not sum(sizes):
        return factors, [pa.array([], pa.large_string()) for _ in factors]
    every = pa.array(np.concatenate([np.asarray(u, dtype=object) for _, u in factors]), type=pa.large_string())
    names = pc.utf8_lower(pc.utf8_normalize(every, "NFKC"))
    names = pc.utf8_trim_whitespace(pc.replace_substring_regex(names, r"[^\p{L}\p{N}\p{M}]+", " "))
    folded, at = [], 0
    for n, (_, legal) in zip(sizes, columns):
        part = names.slice(at, n)
        at += n
        if legal and n:
            bare = pc.replace_substring_regex(part, _LEGAL_TAIL, "")
            part = pc.if_else(pc.equal(bare, ""), part, bare)  # a name that is only a legal form keeps it
        folded.append(pc.replace_substring(part, " ", ""))
    return factors, folded
