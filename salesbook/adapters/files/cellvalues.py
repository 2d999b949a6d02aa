"""Cell values of the add-in's sheets as text for SpreadsheetML: the kinds a column's values
split into (text, number, date, bool...), numbers in their shortest round-trip form, dates as
Excel serials, texts escaped (:mod:`.cellxml` escapes; a CR is ``&#13;`` here), and the
references and format codes the sheets and charts write."""

from __future__ import annotations

import datetime as _dt
import decimal
import numbers
import re
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.reports.model import FORMATS
from salesbook.adapters.files import cellxml
from salesbook.adapters.files.cellxml import MAX_CELL_CHARS, date_serials
from salesbook.cells import col_letter

ONE_DAY = pd.Timedelta(days=1)

_SURROGATES = re.compile(r"[\ud800-\udfff]")


def format_code(fmt: str) -> str:
    """The Excel number format of a semantic format name (unknown names pass through)."""
    return FORMATS.get(fmt, fmt)


# --------------------------------------------------------------------------- references


@lru_cache(maxsize=4096)
def range_ref(bounds: tuple[int, int, int, int] | None) -> str:
    """'A1:D20' for (min_row, min_col, max_row, max_col); 'A1' for an empty sheet."""
    if bounds is None:
        return "A1"
    r1, c1, r2, c2 = bounds
    first, last = f"{col_letter(c1)}{r1}", f"{col_letter(c2)}{r2}"
    return first if first == last else f"{first}:{last}"


def quote_sheet(name: str) -> str:
    """A sheet name as used in a formula: always quoted, apostrophes doubled."""
    return "'" + name.replace("'", "''") + "'"


def escape_text(text: str) -> str:
    """Escape one string for element content; a CR becomes ``&#13;``."""
    return cellxml.escape_text(text, cr="&#13;")


# --------------------------------------------------------------------------- cell values


def _as_str_series(values: Iterable) -> pd.Series:
    """A pandas string Series; lone surrogates (which Arrow cannot hold) are dropped."""
    values = list(values) if not isinstance(values, (pd.Series, np.ndarray, list)) else values
    try:
        return pd.Series(values, dtype="str")
    except (UnicodeEncodeError, UnicodeDecodeError, ValueError):
        cleaned = [_SURROGATES.sub("", v) if isinstance(v, str) else v for v in values]
        return pd.Series(cleaned, dtype="str")


def xml_text_arrow(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Escape an Arrow array for ``<t>`` (only the texts that need it); also says which need ``xml:space``."""
    if len(arr) and (pc.max(pc.utf8_length(arr)).as_py() or 0) > MAX_CELL_CHARS:
        arr = pc.utf8_slice_codeunits(arr, 0, MAX_CELL_CHARS)
    special = pc.fill_null(pc.match_substring_regex(arr, cellxml.SPECIAL), False)
    if pc.any(special).as_py():
        arr = pc.replace_with_mask(arr, special, cellxml.escape_arrow(arr.filter(special), cr="&#13;"))
    preserve = pc.fill_null(pc.match_substring_regex(arr, cellxml.EDGE_SPACE), False)
    return arr, preserve


def number_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Shortest round-trip text of numbers, and which of them make an empty cell."""
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return values.astype("str"), pd.Series(False, index=values.index)
    arr = values.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(arr)
    empty = pd.Series(~finite, index=values.index)
    if pd.api.types.is_integer_dtype(values.dtype):
        txt = values.astype("str")
    elif _whole_numbers(arr[finite]):  # (dates at midnight, counts): as integers, the same text, faster
        txt = pd.Series(np.where(finite, arr, 0).astype(np.int64), index=values.index).astype("str")
    else:
        txt = pd.Series(arr, index=values.index).astype("str").str.removesuffix(".0")
    return txt, empty


def _whole_numbers(arr: np.ndarray) -> bool:
    """Whole numbers whose repr is the integer and '.0' (below 1e15, and no -0.0)."""
    return bool(np.all(arr == np.floor(arr)) and np.all(np.abs(arr) < 1e15)
                and not np.any((arr == 0) & np.signbit(arr)))


def _kind_of(v) -> str:
    if v is None or v is pd.NaT or v is pd.NA:
        return "empty"
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, str):
        return "str"
    if isinstance(v, (_dt.date, np.datetime64)):
        return "date"
    if isinstance(v, (_dt.timedelta, np.timedelta64)):
        return "td"
    if isinstance(v, (numbers.Real, decimal.Decimal)):
        return "empty" if isinstance(v, float) and np.isnan(v) else "num"
    return "str"


_INFERRED_KIND = {
    "string": "str",
    "empty": "str",
    "integer": "num",
    "floating": "num",
    "mixed-integer-float": "num",
    "decimal": "num",
    "boolean": "bool",
    "datetime64": "date",
    "datetime": "date",
    "date": "date",
    "timedelta64": "td",
    "timedelta": "td",
}


def split_kinds(values: pd.Series, date1904: bool = False) -> list[tuple[str, pd.Series]]:
    """Split a column into homogeneous parts: (kind, converted values on their index).

    Kinds: 'str', 'num', 'bool', 'date' (serials, 1904 system with ``date1904``), 'td' (days), 'empty'.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return split_kinds(values.astype(object), date1904)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _date_parts(values, date1904)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return [("td", (values / ONE_DAY).astype("float64"))]
    if pd.api.types.is_bool_dtype(dtype):
        return [("bool", values)]
    if pd.api.types.is_numeric_dtype(dtype):
        return [("num", values)]
    if pd.api.types.is_string_dtype(dtype) and dtype != object:
        return [("str", values)]
    return _split_object(values, date1904)


def _split_object(values: pd.Series, date1904: bool = False) -> list[tuple[str, pd.Series]]:
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "empty"):  # texts and missing values: no per-value conversion
        return [("str", _as_str_series(values))]
    kind = _INFERRED_KIND.get(inferred)
    if kind is not None:
        return _convert(kind, values, date1904)
    kinds = values.map(_kind_of).to_numpy()
    parts = []
    for kind in sorted(set(kinds)):
        part = values[kinds == kind]
        parts.extend(_convert(kind, part, date1904))
    return parts


def _convert(kind: str, part: pd.Series, date1904: bool = False) -> list[tuple[str, pd.Series]]:
    if kind == "str":
        return [("str", _map_text(part, _to_text))]
    if kind == "num":
        return [("num", pd.to_numeric(part.map(_to_float, na_action="ignore"), errors="coerce"))]
    if kind == "bool":
        return [("bool", part.astype("boolean"))]
    if kind == "date":
        return _date_parts(_to_datetimes(part), date1904)
    if kind == "td":
        return [("td", (pd.to_timedelta(part) / ONE_DAY).astype("float64"))]
    return [("empty", part)]


def _date_parts(values: pd.Series, date1904: bool = False) -> list[tuple[str, pd.Series]]:
    """Serials for dates Excel can hold; ISO text for earlier ones, so nothing is lost."""
    serial = date_serials(values, date1904)
    early = values.notna() & serial.isna()
    if not early.any():
        return [("date", serial)]
    iso = _as_str_series(values[early].map(_iso_text)).set_axis(values.index[early])
    return [("date", serial[~early]), ("str", iso)]


def as_text(values: pd.Series) -> pd.Series:
    """A column shown as text: dates as ISO dates, whole numbers without '.0'."""
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return values
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values
    return _map_text(values, _display_text)


def _map_text(values: pd.Series, func) -> pd.Series:
    """``func`` over the non-missing values, as a string Series on the same index.

    (Not ``Series.map``: it would infer an Arrow string column and choke on lone surrogates.)
    """
    missing = values.isna().to_numpy()
    texts = [None if m else func(v) for v, m in zip(values.tolist(), missing)]
    return _as_str_series(texts).set_axis(values.index)


def _display_text(v) -> str | None:
    kind = _kind_of(v)
    if kind == "empty":
        return None
    if kind == "date":
        return _iso_text(v)
    if kind == "bool":
        return "TRUE" if v else "FALSE"
    if kind == "num" and isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else repr(float(v)).removesuffix(".0")
    return str(v)


def _iso_text(v) -> str:
    stamp = pd.Timestamp(v)
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat()


def _to_text(v) -> str:
    return v if isinstance(v, str) else str(v)


def _to_float(v) -> float:
    return float(v)


def _to_datetimes(part: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(part)
    except (TypeError, ValueError):  # mixed time zones and the like: one at a time
        naive = part.map(lambda v: pd.Timestamp(v).tz_localize(None) if pd.notna(v) else pd.NaT)
        return pd.to_datetime(naive)
