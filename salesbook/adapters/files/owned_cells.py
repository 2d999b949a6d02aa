"""The output columns the Leads rewrite owns and their new cell XML, built with Arrow a block of
``BLOCK_ROWS`` rows at a time, once per style layout ("plan") of a run of adjacent columns."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.adapters.files import cellxml
from salesbook.adapters.files.references import RowMap, letters_at_least
from salesbook.adapters.files.styles import StyleBook
from salesbook.cells import col_letter

BLOCK_ROWS = 1 << 14
MAX_PLANS_PER_BLOCK = 16


@dataclass
class OwnedColumn:
    """An output column as the rewriter sees it."""

    col: int  # 1-based sheet column
    key: str
    header: str
    kind: str  # 'text' | 'number' | 'date'
    values: pd.Series  # positional, one per data row
    appended: bool  # not in the table yet: header cell and data cells are added
    width: float | None = None
    letter: bytes = b""

    def __post_init__(self) -> None:
        self.letter = col_letter(self.col).encode()


@dataclass
class Run:
    """Owned columns next to each other: rewritten as one segment of each row."""

    columns: list[OwnedColumn]
    first_re: re.Pattern  # first cell at or right of the run
    after_re: re.Pattern | None  # first cell right of the run

    @property
    def empty_plan(self) -> tuple:
        return (None,) * len(self.columns)

    @property
    def first(self) -> int:
        return self.columns[0].col

    @property
    def last(self) -> int:
        return self.columns[-1].col


def make_runs(owned: list[OwnedColumn], p: bytes) -> list[Run]:
    runs: list[list[OwnedColumn]] = []
    for oc in sorted(owned, key=lambda c: c.col):
        if runs and runs[-1][-1].col == oc.col - 1:
            runs[-1].append(oc)
        else:
            runs.append([oc])
    out = []
    for cols in runs:
        first = re.compile(b"<" + re.escape(p) + b'c r="' + letters_at_least(cols[0].col).encode() + rb"\d")
        after = None
        if cols[-1].col < 16384:
            after = re.compile(b"<" + re.escape(p) + b'c r="' + letters_at_least(cols[-1].col + 1).encode() + rb"\d")
        out.append(Run(cols, first, after))
    return out


# --------------------------------------------------------------------------- new cells


class Cells:
    """New XML for the owned columns, block by block, per style layout ('plan').

    A plan is the tuple of existing ``s`` values (bytes or None) of a run's cells in a
    row; the same plan gives the same styles, so its segments are built vectorised.
    """

    def __init__(self, runs: list[Run], header_row: int, n_rows: int, rows: RowMap, styles: StyleBook,
                 p: bytes = b"", date1904: bool = False):
        self.tags = cellxml.Tags(p)
        self.date1904 = date1904  # the workbook's date system, for the serials of dates
        self.runs = runs
        self.header_row = header_row
        self.n_rows = n_rows
        self.rows = rows
        self.styles = styles
        self._block = -1
        self._tails: dict[int, tuple[pa.Array, np.ndarray]] = {}
        self._arrays: dict[tuple[int, tuple], pa.Array] = {}  # the block's segments per plan
        self._segments: dict[tuple[int, tuple], list[bytes]] = {}  # the same as bytes objects
        self._rownums: pa.Array | None = None
        self._date_style: dict[bytes | None, bytes] = {}
        self._any_value: np.ndarray | None = None

    def _load(self, block: int) -> None:
        if block == self._block:
            return
        self._block = block
        a = block * BLOCK_ROWS
        b = min(self.n_rows, a + BLOCK_ROWS)
        self._tails = {}
        self._arrays = {}
        self._segments = {}
        for run in self.runs:
            for oc in run.columns:
                self._tails[oc.col] = cellxml.encode(oc.values.iloc[a:b], oc.kind, self.tags, self.date1904)
        orig = np.arange(a, b, dtype=np.int64) + self.header_row + 1
        new = self.rows.new_rows(orig) if self.rows else orig
        self._rownums = pc.binary_join_element_wise(
            pc.cast(pa.array(new), pa.string()).cast(pa.binary()), pa.scalar(b'"'), pa.scalar(b"")
        )
        any_value = np.zeros(b - a, dtype=bool)
        for tails, _ in self._tails.values():
            any_value |= tails.is_valid().to_numpy(zero_copy_only=False)
        self._any_value = any_value

    def has_values(self, i: int) -> bool:
        """Does data row ``i`` (0-based) get any value? (rows absent from the XML)"""
        self._load(i // BLOCK_ROWS)
        return bool(self._any_value[i % BLOCK_ROWS])

    def date_attr(self, s: bytes | None) -> bytes:
        if s not in self._date_style:
            idx = self.styles.with_date_format(int(s) if s else None)
            self._date_style[s] = b' s="%d"' % idx
        return self._date_style[s]

    def bounds(self, i: int) -> tuple[int, int]:
        """Load the block of data row ``i``; its rows are [start, end)."""
        block = i // BLOCK_ROWS
        self._load(block)
        return block * BLOCK_ROWS, min(self.n_rows, (block + 1) * BLOCK_ROWS)

    def segments_array(self, run_idx: int, plan: tuple, p: bytes) -> pa.Array | bool:
        """All segments of the loaded block for a plan, as one Arrow binary array
        (True: too many plans in this block, ask per row)."""
        key = (run_idx, plan)
        arr = self._arrays.get(key)
        if arr is None:
            if len(self._arrays) >= MAX_PLANS_PER_BLOCK:
                return True
            arr = self._arrays[key] = self._build(run_idx, plan, p)
        return arr

    def segments(self, run_idx: int, plan: tuple, p: bytes) -> list[bytes] | bool:
        """All segments of the loaded block for a plan (True: too many plans, ask per row)."""
        key = (run_idx, plan)
        segs = self._segments.get(key)
        if segs is None:
            arr = self.segments_array(run_idx, plan, p)
            if arr is True:
                return True
            segs = self._segments[key] = arr.to_pylist()
        return segs

    def segment(self, run_idx: int, i: int, plan: tuple, p: bytes) -> bytes:
        """The new cells of run ``run_idx`` for data row ``i`` given the existing styles."""
        block, j = divmod(i, BLOCK_ROWS)
        self._load(block)
        segs = self.segments(run_idx, plan, p)
        if segs is True:
            return self._segment_row(run_idx, j, plan, p)
        return segs[j]

    def _build(self, run_idx: int, plan: tuple, p: bytes) -> pa.Array:
        cells = []
        for oc, s in zip(self.runs[run_idx].columns, plan):
            tails, is_date = self._tails[oc.col]
            plain = b' s="%s"' % s if s else b""
            if is_date.any():
                sattr = pc.if_else(pa.array(is_date), pa.scalar(self.date_attr(s)), pa.scalar(plain))
            else:
                sattr = pa.scalar(plain)
            start = pa.scalar(b"<" + p + b'c r="' + oc.letter)
            cell = pc.binary_join_element_wise(start, self._rownums, sattr, tails, pa.scalar(b""))
            empty = (
                pc.binary_join_element_wise(start, self._rownums, pa.scalar(plain + b"/>"), pa.scalar(b""))
                if plain
                else pa.scalar(b"")
            )
            cells.append(pc.coalesce(cell, empty))
        joined = pc.binary_join_element_wise(*cells, pa.scalar(b"")) if len(cells) > 1 else cells[0]
        return joined

    def _segment_row(self, run_idx: int, j: int, plan: tuple, p: bytes) -> bytes:
        out = []
        rn = self._rownums[j].as_py()
        for oc, s in zip(self.runs[run_idx].columns, plan):
            tails, is_date = self._tails[oc.col]
            tail = tails[j].as_py()
            plain = b' s="%s"' % s if s else b""
            start = b"<" + p + b'c r="' + oc.letter + rn
            if tail is not None:
                out.append(start + (self.date_attr(s) if is_date[j] else plain) + tail)
            elif plain:
                out.append(start + plain + b"/>")
        return b"".join(out)

    def cell(self, oc: OwnedColumn, i: int, s: bytes | None, p: bytes, row: int) -> bytes:
        """One new cell (general path), with an explicit reference."""
        block, j = divmod(i, BLOCK_ROWS)
        self._load(block)
        tails, is_date = self._tails[oc.col]
        tail = tails[j].as_py()
        plain = b' s="%s"' % s if s else b""
        start = b"<" + p + b'c r="' + oc.letter + b"%d" % row + b'"'
        if tail is not None:
            return start + (self.date_attr(s) if is_date[j] else plain) + tail
        return start + plain + b"/>" if plain else b""
