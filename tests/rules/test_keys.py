"""The vectorised key builders of ``prepare`` against plain per-value Python definitions."""

from __future__ import annotations

import pytest

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from salesbook.rules.columnar import first_of_codes, first_rows
from salesbook.rules.keys import _phone_keys

# The phone rule itself (phonenumbers, the fast path) is tested in test_keys_normalised.py.


def test_phone_keys_on_a_sliced_array_with_nulls_holding_bytes():
    # Arrow arrays can be slices, and a null slot may still own bytes in the data buffer.
    full = pa.array(["999 9999 999", "+86 138 0013 8000", "138-0013-8000", "12345", "", "0 123 456 7890"],
                    type=pa.large_string())
    masked = pa.Array.from_buffers(full.type, len(full), [pa.py_buffer(np.packbits(
        np.array([1, 1, 0, 1, 1, 1, 0, 0], dtype=bool), bitorder="little").tobytes()), *full.buffers()[1:]])
    keys = _phone_keys(masked.slice(1))
    assert keys[0] >= 0 and keys[1] == -1  # the null slot is not a phone, whatever its bytes
    assert keys[2] == -1 and keys[3] == -1  # too few digits; blank
    assert keys[4] >= 0 and keys[4] != keys[0]
    assert _phone_keys(pa.array(["138 0013 8000", "13800138000"], type=pa.large_string())).tolist()[0] == \
        _phone_keys(pa.array(["13800138000"], type=pa.large_string())).tolist()[0]


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"])), max_size=40))
def test_first_position_is_the_first_row_with_the_same_value(values):
    s = pd.Series(values, dtype="string")
    want = [values.index(v) if v is not None else i for i, v in enumerate(values)]
    codes, _ = pd.factorize(s)
    assert first_of_codes(codes).tolist() == want
    distinct = list(dict.fromkeys(v for v in values if v is not None))
    assert first_rows(codes).tolist() == [values.index(v) for v in distinct]


def test_first_of_codes_renumbers_codes_not_in_order_of_appearance():
    codes = np.array([5, 2, 5, -1, 2, 9])
    assert first_of_codes(codes).tolist() == [0, 1, 0, 3, 1, 5]


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=" \t\u3000\u00a0aZ#@.李", max_size=6)), max_size=20))
def test_text_cells_are_trimmed_with_blanks_as_na(values):
    from salesbook.rules.columnar import _text
    from salesbook.rules.keys import _email_keys
    from salesbook.rules.reading import _excel_error

    s = pd.Series(values, dtype=pd.StringDtype("pyarrow"))
    got = _text(s)
    want = [None if v is None or not v.strip() else v.strip() for v in values]
    assert [None if pd.isna(v) else v for v in got] == want
    errors = _excel_error(got)
    assert errors.tolist() == [False] * len(values)  # none of these is an Excel error text
    keys = _email_keys(pa.array(want, type=pa.large_string())).to_pylist()
    ref = [None if v is None else v.lower().replace(" ", "") for v in want]
    assert keys == [r if r is not None and "@" in r else None for r in ref]


def test_excel_errors_are_found_by_their_text():
    from salesbook.rules.columnar import _text
    from salesbook.rules.reading import _excel_error

    s = _text(pd.Series(["#N/A", "#REF!", "#hashtag", "ok", None], dtype=pd.StringDtype("pyarrow")))
    assert _excel_error(s).tolist() == [True, True, False, False, False]


def test_sorted_lead_ids_take_the_fast_path_and_others_are_hashed():
    from salesbook.rules.columnar import _text
    from salesbook.rules.keys import _increasing_codes

    def text(values):
        return _text(pd.Series(values, dtype=pd.StringDtype("pyarrow")))

    assert _increasing_codes(text(["L-1", "L-2", "L-3"])).tolist() == [0, 1, 2]
    assert _increasing_codes(text(["L-1", "L-1", "L-3"])) is None  # a repeat is not increasing
    assert _increasing_codes(text(["L-2", "L-10"])) is None  # byte order only, else hashing decides
    assert _increasing_codes(text(["L-1", None, "L-3"])) is None
