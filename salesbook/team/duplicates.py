"""Duplicates across workbooks: the same customer in two reps' books.

Each book's step gives its contact keys (``book_keys``): the e-mail address and the company +
contact names normalised as the stale rule's duplicate check normalises them
(``rules.keys``), sent as 64-bit hashes (``key_hash``) to keep the step's result small, and
the phone numbers as the first step of the phone rule leaves them (``rules.keys.phone_parts``:
integers, the numbers phonenumbers had to read already read, on the worker). ``cross_book``
puts every book's keys together and finishes the phones in one pass over all of them
(``phone_join``: whether a plain phone needs phonenumbers depends on the numbers it is compared
with, so phones are joined as within a book, on integers only). Two leads of *different* books
with the same e-mail, phone (Phone or Mobile, either way round) or company + contact are
duplicates across workbooks; leads of the same book are the book's own stale rule's business.

For each such lead: the first lead of another book sharing a key (e-mail first, then phone,
then company + contact), named "also in <owner>'s book (<Lead ID>)".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from salesbook.rules.columnar import _arrow, _large, _text, as_text
from salesbook.rules.keys import _email_keys, person_keys, phone_join, phone_parts
from salesbook.rules.period import owner_keys

KINDS = ("email", "phone", "person")
_SEP = "\x1f"
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' ``str``


def _column(raw: pd.DataFrame, key: str) -> pd.Series:
    s = raw[key] if key in raw else pd.Series(pd.NA, index=raw.index, dtype=pd.StringDtype("pyarrow"))
    return _text(as_text(s) if s.dtype.kind in "Mfiub" else s)


def book_keys(f: pd.DataFrame, raw: pd.DataFrame, region: str = "CN") -> tuple[pd.DataFrame, np.ndarray]:
    """Per lead with a contact key: row, lead_id, owner, email (normalised), person (company +
    contact, normalised), phone and mobile (``phone_columns``); and the phones' ``ends``."""
    email, phone = _column(raw, "email"), _column(raw, "phone")
    combo = _column(raw, "email_phone")
    if combo.notna().any():  # one 'Email / Phone' column: an address when it has '@'
        is_mail = combo.str.contains("@", regex=False).fillna(False).astype(bool)
        email = email.fillna(combo.where(is_mail))
        phone = phone.fillna(combo.where(~is_mail))
    mail = pd.Series(pd.arrays.ArrowExtensionArray(_email_keys(_arrow(email))), index=f.index)
    firms, people = person_keys(f["company"], f["contact"])
    company = pd.Series(pd.arrays.ArrowExtensionArray(firms), index=f.index)
    contact = pd.Series(pd.arrays.ArrowExtensionArray(people), index=f.index)
    person = (company + _SEP + contact).where(company.notna() & contact.notna())
    phone_key, mobile_key, ends = phone_columns(phone, _column(raw, "mobile"), region)
    keyed = (mail.notna() | person.notna()).to_numpy(dtype=bool) | (phone_key >= 0) | (mobile_key >= 0)
    keep = ~f["blank_row"].to_numpy(dtype=bool) & keyed
    at = np.flatnonzero(keep)

    def col(s: pd.Series) -> pd.Series:
        return s.iloc[at].astype(pd.StringDtype("pyarrow")).reset_index(drop=True)

    frame = pd.DataFrame({"row": f.index.to_numpy()[at].astype(np.int64), "lead_id": col(f["lead_id"]),
                          "owner": pd.Categorical(owner_keys(f)[at]), "email": key_hash(col(mail)),
                          "person": key_hash(col(person)), "phone": phone_key[at], "mobile": mobile_key[at]})
    return frame, ends


def phone_columns(phone: pd.Series, mobile: pd.Series, region: str = "CN") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phone and Mobile as typed → their keys after the phone rule's first step (one call for
    both, so a number typed in both is read once) and the parsed numbers' ends
    (``rules.keys.phone_parts``)."""
    n = len(phone)
    keys, ends = phone_parts(pa.concat_arrays([_large(_arrow(phone)), _large(_arrow(mobile))]), region)
    return keys[:n], keys[n:], ends


def key_hash(s: pd.Series) -> np.ndarray:
    """A normalised key (e-mail, company + contact) as a 64-bit hash, 0 for none: what a book
    sends instead of the text (the same text gives the same hash in every process; two
    different keys share one with a chance of 1 in 2**64)."""
    out = np.zeros(len(s), dtype=np.uint64)
    has = s.notna().to_numpy(dtype=bool)
    if has.any():
        h = pd.util.hash_array(s[has].to_numpy(dtype=object))
        h[h == 0] = 1  # 0 means none
        out[has] = h
    return out


def cross_book(frames: list[pd.DataFrame], books: list[str], region: str = "CN",
               ends: list[np.ndarray | None] | None = None, rows: list[np.ndarray] | None = None) -> pd.DataFrame:
    """Every lead that shares a key with a lead of another book: book, row, lead_id, owner,
    match (email | phone | person), and the other lead's book, lead_id, owner and row.
    ``ends``: each book's parsed phone numbers' ends, as ``book_keys`` gives them.
    ``rows``: when each frame holds several books' keys one under the other (``partials.Stack``),
    each frame's row count per book; ``books`` then names every book of every frame, in order."""
    counts = rows if rows is not None else [np.array([0 if fr is None else len(fr)]) for fr in frames]
    firsts = np.cumsum([0] + [len(c) for c in counts])
    present = [(i, fr) for i, fr in enumerate(frames) if fr is not None and len(fr)]
    cols = ["book", "row", "lead_id", "owner", "match", "other_book", "other_lead_id", "other_owner", "other_row"]
    if not present:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    fr_ = [fr for _, fr in present]
    n = sum(len(fr) for fr in fr_)
    book = np.concatenate([np.repeat(np.arange(firsts[i], firsts[i + 1], dtype=np.int64), counts[i])
                           for i, _ in present])

    def column(col: str, dtype) -> np.ndarray:
        return np.concatenate([fr[col].to_numpy(dtype=dtype) for fr in fr_])

    rows = column("row", np.int64)
    parsed = [e for e in (ends or []) if e is not None and len(e)]
    phones = phone_join(np.concatenate([column("phone", np.int64), column("mobile", np.int64)]),
                        np.unique(np.concatenate(parsed)) if parsed else np.zeros(0, dtype=np.int64), region)
    found = np.full(n, -1, dtype=np.int64)
    match = np.full(n, -1, dtype=np.int64)
    for m, kind in enumerate(KINDS):
        codes = [phones[:n], phones[n:]] if kind == "phone" else [_hash_codes(column(kind, np.uint64))]
        other = _other_book_row(codes, book)
        del codes
        take = (other >= 0) & (found < 0)
        found[take], match[take] = other[take], m
    del phones
    at = np.flatnonzero(found >= 0)
    to = found[at]
    names = np.array(books, dtype=object)
    # Lead ID and owner only of the leads found (tens of thousands of hundreds of thousands)
    lead_ids = pa.chunked_array([_arrow(fr["lead_id"]).cast(pa.large_string()) for fr in fr_])

    def ids(idx: np.ndarray) -> pd.Series:
        """The Lead IDs at ``idx`` as pandas' Arrow-backed ``str`` (the Cleanse sheet's column
        type): a quarter of a million IDs stay in Arrow buffers, not Python strings."""
        taken = lead_ids.take(pa.array(idx, type=pa.int64()))
        return pd.Series(taken.to_pandas(types_mapper={pa.large_string(): _STR}.get), copy=False)

    owner = [pd.Categorical(fr["owner"]) for fr in fr_]  # (a category each, not a string per lead)
    labels = np.concatenate([np.asarray(c.categories, dtype=object) for c in owner] + [np.array([None], object)])
    first = np.cumsum([0] + [len(c.categories) for c in owner[:-1]])
    code = np.concatenate([np.where(c.codes >= 0, c.codes + f0, len(labels) - 1) for c, f0 in zip(owner, first)])

    return pd.DataFrame({
        "book": text_take(names, book[at]), "row": rows[at], "lead_id": ids(at).array,
        "owner": text_take(labels, code[at]), "match": text_take(np.array(KINDS, dtype=object), match[at]),
        "other_book": text_take(names, book[to]), "other_lead_id": ids(to).array,
        "other_owner": text_take(labels, code[to]), "other_row": rows[to]})[cols]


def text_take(values: np.ndarray, idx: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[idx]`` (a few distinct texts, None for none) as pandas' ``str`` column, taken
    in Arrow: the same column as ``pd.Series(values[idx])`` gives, without a Python string per row."""
    taken = pa.array(values, type=pa.large_string()).take(pa.array(idx, type=pa.int64()))
    return taken.to_pandas(types_mapper={pa.large_string(): _STR}.get).array


def _hash_codes(hashes: np.ndarray) -> np.ndarray:
    """``key_hash`` values as keys ``_other_book_row`` compares: equal hashes, equal codes (the
    hash halved, a chance of 1 in 2**63 that two others meet), -1 for none (0)."""
    return np.where(hashes == 0, -1, (hashes >> np.uint64(1)).astype(np.int64))


def _other_book_row(columns: list[np.ndarray], book: np.ndarray) -> np.ndarray:
    """Per row, the first row (in book, then row order) of another book sharing one of its
    key codes (several columns share one numbering: Phone and Mobile); -1 when none."""
    n, k = len(book), len(columns)
    key = np.stack(columns, axis=1).ravel() if k > 1 else np.asarray(columns[0])  # a row's keys side by side
    at = np.flatnonzero(key >= 0)
    key = key[at]
    out = np.full(n, -1, dtype=np.int64)
    if not len(key):
        return out
    idx = np.int32 if n < 2**31 else np.int64
    pos = (at // k).astype(idx)  # the row of each key, ascending
    del at
    order = np.argsort(key, kind="stable")  # by key, then row (rows are in book order)
    key, pos = key[order], pos[order]
    del order
    start = np.r_[True, key[1:] != key[:-1]]
    del key
    group = (np.cumsum(start) - 1).astype(idx)
    first = pos[start][group]  # per entry, the key's first row
    b = book.astype(idx)
    differs = b[pos] != b[first]  # the key's first row in a book other than its first row's book
    second = np.full(int(start.sum()), -1, dtype=idx)
    del start
    i = np.flatnonzero(differs)
    if len(i):
        g = group[i]
        firsts = np.r_[True, g[1:] != g[:-1]]
        second[g[firsts]] = pos[i[firsts]]
    other = np.where(differs, first, second[group])
    del first, second, group, differs
    ok = other >= 0
    # a row may carry several keys (phone and mobile): keep the earliest other row
    none = np.iinfo(idx).max
    cand = np.full(n, none, dtype=idx)
    np.minimum.at(cand, pos[ok], other[ok])
    out[cand != none] = cand[cand != none]
    return out


__all__ = ["book_keys", "cross_book", "key_hash", "phone_columns", "text_take", "KINDS"]
