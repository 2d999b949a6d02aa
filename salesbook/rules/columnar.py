"""Columnar helpers the rules share: text columns as Arrow arrays, trimmed once; dictionary
codes and first occurrences found with numpy, no loop per row; and parsing each distinct
text once, spreading the result by code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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


def _large(arr: pa.Array) -> pa.Array:
    return arr if pa.types.is_large_string(arr.type) else arr.cast(pa.large_string())


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
