"""The fast path writes exactly what the simple path writes, cell for cell.

Fast path: ``salesbook run`` (fastexcel read, Arrow rules, streaming rewrite of the sheet
XML). Simple path: ``pd.read_excel(engine="openpyxl", dtype=str, keep_default_na=False)``
→ ``salesbook.engine.evaluate`` → openpyxl load, set the cells, save (``bench/peers.py:
pandas_openpyxl``, also a peer of the benchmark). Both results are read back with a third
library, python-calamine, and the 8 output columns compared cell for cell, dates as dates.

Corpus: a 2,000-lead sample workbook (``write_sample_workbook``) and the e2e workbooks
(an English Excel Table with user columns, a Chinese plain range).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from salesbook.cli import main
from salesbook.rules.schema import DATE, OUTPUTS
from salesbook.builder.template import write_sample_workbook

from .e2e.conftest import EN_ROWS, TODAY, ZH_ROWS, write_en_table, write_zh_range

REPO = Path(__file__).resolve().parents[1]


def _peers():
    spec = importlib.util.spec_from_file_location("salesbook_bench_peers", REPO / "bench" / "peers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peers = _peers()


def _norm(v: object) -> object:
    """A calamine cell for comparison: blanks as None, midnight datetimes as dates, numbers as float."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time() else v
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v


def output_columns(path: Path, sheet: str, lang: str) -> dict[str, list[object]]:
    """The 8 output columns under their headers (row 1), data rows down to the last used row."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    header = [str(h).strip() for h in rows[0]]
    out = {}
    for col in OUTPUTS:
        name = col.header(lang)
        assert name in header, f"{path.name}: no column '{name}' in {header}"
        j = header.index(name)
        out[name] = [_norm(r[j]) if j < len(r) else None for r in rows[1:]]
    return out


def fast_path(src: Path, dst: Path, today: dt.date) -> None:
    shutil.copyfile(src, dst)
    result = CliRunner().invoke(main, ["run", str(dst), "--today", today.isoformat()], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output


def simple_path(src: Path, dst: Path, today: dt.date, sheet: str) -> None:
    shutil.copyfile(src, dst)
    peers.pandas_openpyxl(str(dst), today, sheet=sheet, dtype=str)


def assert_same_outputs(src: Path, tmp: Path, sheet: str, lang: str, today: dt.date, n_leads: int) -> dict:
    fast, simple = tmp / f"fast{src.suffix}", tmp / f"simple{src.suffix}"
    fast_path(src, fast, today)
    simple_path(src, simple, today, sheet)
    a = output_columns(fast, sheet, lang)
    b = output_columns(simple, sheet, lang)
    for name in a:
        ca, cb = a[name][:n_leads], b[name][:n_leads]
        assert len(ca) == len(cb) == n_leads, (name, len(ca), len(cb))
        diffs = [(i + 2, x, y) for i, (x, y) in enumerate(zip(ca, cb)) if x != y]
        assert not diffs, f"{name}: {len(diffs)} cells differ (row, fast, simple), first: {diffs[:5]}"
        # Nothing below the leads on either side.
        assert all(v is None for v in a[name][n_leads:]) and all(v is None for v in b[name][n_leads:]), name
    for col in OUTPUTS:
        if col.kind == DATE:
            for side in (a, b):
                vals = [v for v in side[col.header(lang)] if v is not None]
                assert vals and all(type(v) is dt.date for v in vals), f"{col.header(lang)} holds non-dates"
    return a


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample-2000.xlsx"
    return write_sample_workbook(path, 2000, today=TODAY)


@pytest.mark.slow
def test_sample_workbook_fast_path_equals_simple_path(sample_book, tmp_path):
    out = assert_same_outputs(sample_book, tmp_path, "Leads", "en", TODAY, 2000)
    grades = out["Grade"]
    assert set(grades) == {"A", "B", "C", "D"}  # a corpus that exercises every grade
    assert sum(v is not None for v in out["Stale"]) > 100
    assert {"Overdue", "Due today", "This week", "Later"} <= set(out["Follow-up Status"])


def test_english_table_fast_path_equals_simple_path(tmp_path):
    src = write_en_table(tmp_path / "en.xlsx")
    out = assert_same_outputs(src, tmp_path, "Leads", "en", TODAY, len(EN_ROWS))
    assert out["Grade"][0] == "A"


def test_chinese_range_fast_path_equals_simple_path(tmp_path):
    src = write_zh_range(tmp_path / "zh.xlsx")
    out = assert_same_outputs(src, tmp_path, "线索", "zh", TODAY, len(ZH_ROWS))
    assert out["等级"] == ["A", "C", "D"]
