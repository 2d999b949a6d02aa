"""Cell XML for the add-in's output values, built a whole column at a time with Arrow.

A cell is written as ``<c r="X5"`` + `` s="n"`` + *tail*, where the tail carries the
type and the value::

    text    ' t="inlineStr"><is><t>escaped</t></is></c>'
    number  '><v>45000</v></c>'
    date    '><v>45292</v></c>'       (an Excel serial in the workbook's date system;
                                       the cell needs a date style)

Texts are inline strings, XML-escaped, without the characters XML 1.0 cannot carry,
with Excel's ``_xHHHH_`` look-alikes escaped; they are never formulas, whatever
they start with. Missing values (None, NaN, NaT, '') have no tail (null).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape as _xml_escape

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.adapters.files.ooxml import EXCEL_EPOCH, EXCEL_EPOCH_1904

_ONE_DAY = pd.Timedelta(days=1)

MAX_CELL_CHARS = 32767  # Excel's limit for the text of one cell

_ILLEGAL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"
_ILLEGAL_PY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LOOKALIKE = r"_(x[0-9A-Fa-f]{4}_)"
EDGE_SPACE = r"^[ \t\n]|[ \t\n]$"



class Tags:
    """The XML around values, for a sheet whose main namespace has prefix ``p`` (b'' or b'x:')."""

    def __init__(self, p: bytes = b""):
        self.text_head = b' t="inlineStr"><' + p + b"is><" + p + b"t>"
        self.text_head_preserve = b' t="inlineStr"><' + p + b"is><" + p + b't xml:space="preserve">'
        self.text_end = b"</" + p + b"t></" + p + b"is></" + p + b"c>"
        self.num_head = b"><" + p + b"v>"
        self.num_end = b"</" + p + b"v></" + p + b"c>"


PLAIN = Tags()



def encode(values: pd.Series, kind: str, tags: Tags = PLAIN, date1904: bool = False) -> tuple[pa.Array, np.ndarray]:
    """Tails of a column's cells (binary, null where missing) and which are dates.

    ``date1904``: the workbook counts dates from 1904-01-01 (``workbookPr date1904``)."""
    n = len(values)
    if kind == "number":
        return _numbers(values, tags), np.zeros(n, dtype=bool)
    if kind == "date":
        return _dates(values, tags, date1904)
    return text_tails(values, tags), np.zeros(n, dtype=bool)


def text_tails(values: pd.Series, tags: Tags = PLAIN) -> pa.Array:
    """Inline-string tails of values taken as text (numbers become their text)."""
    arr = _as_arrow_text(values)
    if len(arr) > 256:  # few distinct texts (grades, statuses): escape each once
        encoded = pc.dictionary_encode(arr)
        if len(encoded.dictionary) * 4 < len(arr):
            return _text_tails(encoded.dictionary, tags).take(encoded.indices)
    return _text_tails(arr, tags)


# Any text that escape_arrow changes (beyond cutting it to Excel's length).
SPECIAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}&<>\r]|_x[0-9A-Fa-f]{4}_"


def _text_tails(arr: pa.Array, tags: Tags) -> pa.Array:
    """Escape for <t> (only the texts that need it: one regex pass finds them) and wrap."""
    arr = pc.utf8_slice_codeunits(arr, 0, MAX_CELL_CHARS)
    special = pc.match_substring_regex(arr, SPECIAL)
    if pc.any(special).as_py():
        arr = pc.replace_with_mask(arr, special, escape_arrow(arr.filter(special)))
    trimmed = pc.utf8_trim(arr, " \t\n")
    preserve = pc.not_equal(pc.binary_length(arr), pc.binary_length(trimmed))
    head = pc.if_else(preserve, pa.scalar(tags.text_head_preserve), pa.scalar(tags.text_head))
    body = arr.cast(pa.binary())
    return pc.binary_join_element_wise(head, body, pa.scalar(tags.text_end), pa.scalar(b""), null_handling="emit_null")


def escape_arrow(arr: pa.Array, cr: str = "_x000D_") -> pa.Array:
    """:func:`escape_text` on an Arrow string array (which cannot hold lone surrogates)."""
    arr = pc.replace_substring_regex(arr, _ILLEGAL_RE2, "")
    arr = pc.replace_substring_regex(arr, _LOOKALIKE, r"_x005F_\1")
    arr = pc.replace_substring(arr, "&", "&amp;")
    arr = pc.replace_substring(arr, "<", "&lt;")
    arr = pc.replace_substring(arr, ">", "&gt;")
    return pc.replace_substring(arr, "\r", cr)


def _as_arrow_text(values: pd.Series) -> pa.Array:
    """Values as an Arrow string array, '' and missing values as null."""
    s = values
    if isinstance(s.dtype, pd.CategoricalDtype):  # each category once, then its codes
        texts = _as_arrow_text(pd.Series(s.cat.categories))
        codes = s.cat.codes.to_numpy()
        return texts.take(pa.array(codes.astype(np.int64), mask=codes < 0))
    arr = None
    if isinstance(s.array, pd.arrays.ArrowStringArray) or (pd.api.types.is_string_dtype(s.dtype) and s.dtype != object):
        try:
            arr = pa.array(s.array, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            arr = None
    if arr is None and s.dtype == object:
        try:  # all str (or missing): no per-value Python work
            arr = pa.array(s.to_numpy(), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
            arr = None
    if arr is None:
        texts = [None if _missing(v) else _ILLEGAL_PY.sub("", _to_text(v)) for v in s.tolist()]
        arr = pa.array(texts, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    empty = pc.equal(arr, "")
    if pc.any(empty).as_py():
        arr = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    return arr


def _to_text(v) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.strftime("%Y-%m-%d")
    return str(v)


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and v == ""


def _numbers(values: pd.Series, tags: Tags) -> pa.Array:
    """Number tails; values that are not numbers are written as text."""
    num = pd.to_numeric(values, errors="coerce")
    arr = num.to_numpy(dtype="float64", na_value=np.nan) if len(num) else np.zeros(0)
    finite = np.isfinite(arr)
    text = pc.cast(pa.array(arr, type=pa.float64()), pa.string()).cast(pa.binary())
    tails = pc.binary_join_element_wise(pa.scalar(tags.num_head), text, pa.scalar(tags.num_end), pa.scalar(b""))
    tails = pc.if_else(pa.array(finite), tails, pa.scalar(None, pa.binary()))
    return _with_text_fallback(values, tails, ~np.isnan(arr), tags)  # ±inf: an empty cell


def _with_text_fallback(values: pd.Series, tails: pa.Array, ok: np.ndarray, tags: Tags) -> pa.Array:
    """Where a value is present but not of the column's kind, write it as text."""
    present = ~values.isna().to_numpy()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        present &= (values.astype("str") != "").fillna(False).to_numpy(dtype=bool)
    other = present & ~ok
    if not other.any():
        return tails
    texts = text_tails(values.where(other, None).astype(object), tags)
    return pc.if_else(pa.array(other), texts, tails)


def _dates(values: pd.Series, tags: Tags, date1904: bool = False) -> tuple[pa.Array, np.ndarray]:
    """Date tails as Excel serials (1900 or 1904 system); non-dates become text."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        dt = values
    else:
        dt = _to_datetimes(values)
    serial = date_serials(dt, date1904).to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(serial)
    whole = ok & (serial == np.floor(np.where(ok, serial, 0)))
    num_text = pc.cast(pa.array(np.where(ok, serial, 0.0)), pa.string())
    int_text = pc.cast(pa.array(np.where(whole, serial, 0.0).astype("int64")), pa.string())
    text = pc.if_else(pa.array(whole), int_text, num_text).cast(pa.binary())
    tails = pc.binary_join_element_wise(pa.scalar(tags.num_head), text, pa.scalar(tags.num_end), pa.scalar(b""))
    tails = pc.if_else(pa.array(ok), tails, pa.scalar(None, pa.binary()))
    return _with_text_fallback(values, tails, ok, tags), ok


def date_serials(values: pd.Series, date1904: bool = False) -> pd.Series:
    """Excel serial day numbers (1900 system, or 1904) of a datetime Series; NaN where missing."""
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    if date1904:  # day 0 is 1904-01-01, and no phantom leap day
        serial = ((values - EXCEL_EPOCH_1904) / _ONE_DAY).astype("float64")
        return serial.where(serial >= 0)
    serial = (values - EXCEL_EPOCH) / _ONE_DAY
    serial = serial.astype("float64")
    # Excel counts the non-existent 1900-02-29: serials before 1900-03-01 are one lower.
    serial = serial.where(serial >= 61, serial - 1)
    return serial.where(serial >= 1)  # Excel has no dates before 1900-01-01


def _to_datetimes(values: pd.Series) -> pd.Series:
    out = pd.to_datetime(values, errors="coerce", format="ISO8601") if len(values) else values
    if not isinstance(out, pd.Series):
        out = pd.Series(out, index=values.index)
    if not pd.api.types.is_datetime64_any_dtype(out.dtype):
        out = pd.to_datetime(out, errors="coerce")
    return out


def escape_text(text: str, cr: str = "_x000D_") -> str:
    """Escape one string for element content (the scalar twin of ``text_tails``).

    Drops what XML 1.0 cannot carry, cuts to Excel's cell length, escapes Excel's ``_xHHHH_``
    look-alikes and ``& < >``; a CR becomes ``cr`` (Excel's ``_x000D_`` in cells; chart
    parts, which Excel does not unescape that way, pass ``&#13;``)."""
    text = _ILLEGAL_PY.sub("", text)[:MAX_CELL_CHARS]
    text = re.sub(_LOOKALIKE, r"_x005F_\1", text)
    return _xml_escape(text, {"\r": cr})


def escape_attr(text: str) -> str:
    """Escape one string for a double-quoted attribute value (without what XML cannot carry)."""
    return _xml_escape(_ILLEGAL_PY.sub("", text), {'"': "&quot;"})


def text_tail(text: str, tags: Tags = PLAIN) -> bytes:
    esc = escape_text(text)
    head = tags.text_head_preserve if re.search(EDGE_SPACE, esc) else tags.text_head
    return head + esc.encode("utf-8") + tags.text_end
