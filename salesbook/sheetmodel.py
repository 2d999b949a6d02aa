"""What the add-in writes to its own sheets, independent of how it is written.

The rules build these models; the file adapter renders them as worksheet XML and
the live-Excel adapter through xlwings. Both therefore show the same figures.

Formats are semantic names, mapped to number formats by each adapter:
``text``, ``int``, ``number``, ``money``, ``percent``, ``date``, ``days``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

FORMATS = {
    "text": "@",
    "int": "#,##0",
    "number": "#,##0.00",
    "money": "#,##0",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "days": "0.0",
}


@dataclass
class Block:
    """A table written at (row, col), 1-based: optional title line, header line, data."""

    row: int
    col: int
    frame: pd.DataFrame
    title: str | None = None
    header: bool = True
    formats: dict[str, str] = field(default_factory=dict)  # column name -> format name

    @property
    def first_data_row(self) -> int:
        return self.row + (1 if self.title else 0) + (1 if self.header else 0)

    @property
    def last_row(self) -> int:
        return self.first_data_row + len(self.frame) - 1

    @property
    def height(self) -> int:
        return self.last_row - self.row + 1


@dataclass
class Chart:
    """A native bar/column chart of one data column of a block, by its label column."""

    title: str
    block: int  # index into SheetModel.blocks
    category: str  # column of the block with the labels
    value: str  # column of the block with the values
    anchor_row: int  # top-left cell of the chart, 1-based
    anchor_col: int
    width_cols: int = 8
    height_rows: int = 16
    kind: str = "bar"  # horizontal bars read as a funnel


@dataclass
class SheetModel:
    """A whole sheet the add-in owns (Funnel, Cleanse, Check)."""

    name: str
    blocks: list[Block] = field(default_factory=list)
    notes: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, text) free lines; the first is the title
    col_widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> width
    charts: list[Chart] = field(default_factory=list)
    freeze_rows: int = 0


@dataclass
class AppendRows:
    """Rows appended to an add-in log sheet (History, Archive), under ``columns``.

    When the sheet exists, its header row is kept and new rows are aligned to it by
    header name (unknown names are added at the right); otherwise the sheet is created.
    """

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
