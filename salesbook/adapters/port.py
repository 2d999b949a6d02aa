"""The Workbook port: what the service needs from a workbook, whatever holds it.

The shape is cosmicpython's repository / unit of work: ``read`` gives the lead table, the
Settings and the History rows as frames (a :class:`LeadBook`); the service evaluates them
and hands the results back as one :class:`Changes`, which ``commit`` writes all or nothing.
Two adapters answer it: ``adapters.files.workbook.FileWorkbook`` (an .xlsx/.xlsm file, a
context manager) and ``adapters.excel.workbook.LiveWorkbook`` (an open book through xlwings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol, Sequence

import pandas as pd

from salesbook.reports.model import AppendRows, SheetModel
from salesbook.rules.settings import Settings


@dataclass
class LeadBook:
    """A workbook as read. ``path`` names it in messages; ``loc`` says where the lead table is
    (``sheet_name``, ``table_name``, ``headers``, ``first_col``, ``header_row`` …); ``leads``
    holds its text cells, index = Excel rows. ``notes(rows)`` gives the cell notes of those
    rows ('Header (author): text'), None when there are none; an adapter whose host moves the
    notes itself (live Excel) leaves it None."""

    path: Path
    loc: object
    leads: pd.DataFrame | None
    settings: Settings
    history_rows: list[list[object]] | None
    language: str
    notes: Callable[[pd.Index], pd.Series | None] | None = field(default=None, repr=False)


@dataclass
class Changes:
    """What a command writes: the output columns ``written`` (keys) with their values
    (``outputs``, headers in ``language``), report sheets, rows appended to log sheets, and the
    lead rows (Excel row numbers) to delete. ``command`` names the service command that made
    them (run, check, archive, import), for an adapter's progress messages.

    ``inputs`` (import only, never with ``delete_rows``): input cells to write, index = Excel rows
    (rows below the table's last row are new leads: the table grows over them), columns = input
    keys of the table; None/NaN keeps the cell, ``""`` empties it, a str, number or Timestamp is
    written (a date as a date). Nothing else in those rows changes. With ``written`` (the run
    after the import), the outputs were computed on the table as it is once the inputs are in:
    their rows include the new leads.

    ``import_blocks`` (import --write-settings): (ImportColumn lines, ImportValue lines) added to
    the Import blocks of the book's Settings sheet; nothing else there changes."""

    command: str = "run"
    written: Sequence[str] = ()
    outputs: pd.DataFrame | None = None
    language: str = "en"
    sheets: Sequence[SheetModel] = ()
    appends: Sequence[AppendRows] = ()
    delete_rows: Sequence[int] = ()
    inputs: pd.DataFrame | None = None
    import_blocks: tuple | None = None


class Workbook(Protocol):
    """The port. ``writes``: the add-in's sheets the command will write, which an adapter may
    claim (refuse when they are the user's) while it reads."""

    def read(self, *, history: bool, writes: tuple[str, ...] = ()) -> LeadBook: ...

    def confirm(self, book: LeadBook, rows: pd.Index) -> str | None:
        """Before archiving ``rows``: None to go on, else the message that ends the command."""
        ...

    def commit(self, changes: Changes) -> Path | None: ...

    def close(self) -> None: ...


__all__ = ["LeadBook", "Changes", "Workbook"]
