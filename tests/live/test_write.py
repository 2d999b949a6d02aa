"""The pieces of live.write that need no workbook: values, text safety, runs, alignment."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from salesbook import ribbon
from salesbook.adapters.excel import read, values
from salesbook.adapters.excel import write as live


@pytest.mark.parametrize("text, written", [
    ("A", "A"), ("B→A", "B→A"), ("3 consecutive contacts without response", "3 consecutive contacts without response"),
    ("=1+1", "'=1+1"), ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+86 138", "'+86 138"), ("-", "'-"),
    ("@mention", "'@mention"), ("'quoted", "''quoted"), ("0012", "'0012"), ("45000", "'45000"), ("1,200", "'1,200"),
    ("5%", "'5%"), ("1e3", "'1e3"), ("2025-01-01", "'2025-01-01"), ("3/4", "'3/4"), ("10:30", "'10:30"),
    ("TRUE", "'TRUE"), ("false", "'false"), ("(5)", "'(5)"), ("", None), ("L-0012", "L-0012"),
    ("3-6 months", "3-6 months"), ("None", "None"),
])
def test_safe_text_keeps_texts_text(text, written):
    assert values.safe_text(text) == written


def test_excel_value_types():
    assert values.excel_value(pd.NA) is None and values.excel_value(pd.NaT) is None and values.excel_value(np.nan) is None
    assert values.excel_value(np.int64(3)) == 3 and type(values.excel_value(np.int64(3))) is int
    assert type(values.excel_value(np.float64(2.5))) is float
    assert values.excel_value(np.bool_(True)) is True
    assert values.excel_value(pd.Timestamp("2026-11-20")) == dt.datetime(2026, 11, 20)
    assert values.excel_value(dt.date(2026, 11, 20)) == dt.datetime(2026, 11, 20)
    assert values.excel_value(np.datetime64("2026-11-20")) == dt.datetime(2026, 11, 20)
    assert values.excel_value("=x") == "'=x"


def test_frame_grid_is_row_major_with_python_values():
    frame = pd.DataFrame({"a": pd.Series(["x", pd.NA], dtype="string"),
                          "d": pd.to_datetime(["2026-01-02", None]), "n": [1.5, np.nan]})
    assert values.frame_grid(frame) == [["x", dt.datetime(2026, 1, 2), 1.5], [None, None, None]]


def test_com_dates_round_to_the_second():
    assert read.cell_text(dt.datetime(2026, 11, 2, 14, 29, 59, 999600)) == "2026-11-02 14:30:00"
    assert read.cell_text(dt.datetime(2026, 11, 2, 23, 59, 59, 999900)) == "2026-11-03"


def test_runs():
    assert values._runs([10, 3, 4, 5, 9]) == [[3, 4, 5], [9, 10]]
    assert values._runs([]) == []


@pytest.mark.parametrize("a, b, same", [
    ("Lead ID", "lead id", True), ("Lead ID", "线索编号", True), ("Archived On", "归档日期", True),
    ("Date", "日期", True), ("Company", "Contact", False), ("Reviewer", "Reviewer ", True), ("", "", False),
])
def test_log_headers_match_by_meaning(a, b, same):
    assert live._same_column(a, b) is same


def test_reason_uses_excels_own_text_for_com_errors():
    class ComError(Exception):
        pass

    exc = ComError(-2147352567, "Exception occurred.",
                   (0, "Microsoft Excel", "The cell you're trying to change is on a protected sheet.", None, 0, -1), None)
    assert ribbon._reason(exc) == "The cell you're trying to change is on a protected sheet"
    assert ribbon._reason(ValueError("bad\nsecond line")) == "bad"
    assert ribbon._reason(KeyError()) == "KeyError"
