"""The live-Excel adapter of the Workbook port: an open book through xlwings.

``read`` reads the lead table, Settings and History in a few whole-range calls (``read.read``);
``commit`` plans every write first (reads and checks only; the lead table is read again before
rows are deleted) and then applies them with screen updating off (``write.plan_write``/``apply``).
Progress goes to Excel's status bar through ``status``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from salesbook.adapters.excel.plan import owned_log
from salesbook.adapters.excel.read import STATUS_PREFIX, LiveBook, read, status
from salesbook.adapters.excel.write import write
from salesbook.adapters.port import Changes, LeadBook
from salesbook.errors import Refusal
from salesbook.reports.sheets import ARCHIVE_SHEET


class LiveWorkbook:
    """An open xlwings ``book`` behind the port.

    ``status_bar(text)`` shows progress (default: Excel's status bar); ``working`` is the text shown
    once the leads are read (``{n}``: their count); ``confirm(book, rows)`` is asked before
    archiving: None to go on, else the message that ends the command; ``activate``: the sheet
    shown after the writes (default: the one that was active)."""

    def __init__(self, book, *, status_bar: Callable[[str], None] | None = None, working: str | None = None,
                 confirm: Callable[[LeadBook, pd.Index], str | None] | None = None, activate: str | None = None):
        self.book = book
        self._status = status_bar or (lambda text: status(book, text))
        self.working = working
        self._confirm = confirm
        self.activate = activate
        self.live: LiveBook | None = None

    def status(self, text: str) -> None:
        self._status(STATUS_PREFIX + text)

    def read(self, *, history: bool, writes: tuple[str, ...] = ()) -> LeadBook:
        """The sheets the command ``writes`` are checked when the writes are planned (``commit``)."""
        self.status("reading the leads…")
        lb = self.live = read(self.book, history=history)
        if self.working:
            self.status(self.working.format(n=f"{len(lb.leads):,}"))
        return LeadBook(lb.path, lb.loc, lb.leads, lb.settings, lb.history_rows, lb.language)

    def confirm(self, book: LeadBook, rows: pd.Index) -> str | None:
        owned_log(self.book, ARCHIVE_SHEET)  # a user's sheet named Archive: refused before asking
        return self._confirm(book, rows) if self._confirm is not None else None

    def commit(self, changes: Changes) -> Path | None:
        if changes.inputs is not None or changes.import_blocks:  # the import is a command-line command (docs/spec.md §3, Import)
            raise Refusal("Importing a CRM export into an open workbook is not possible from Excel: close the "
                          "workbook and run salesbook import EXPORT --into BOOK from the command line.")
        if changes.delete_rows:
            self.status(f"archiving {len(changes.delete_rows):,} stale leads…")
        elif changes.command == "run":
            self.status("writing the results…")
        write(self.book, self.live, changes, delete_rows=changes.delete_rows, activate=self.activate)
        return None

    def close(self) -> None:
        pass


__all__ = ["LiveWorkbook"]
