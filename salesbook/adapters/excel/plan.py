"""The writes of one live command, planned before the first is made, and the add-in's marks.

``write`` computes and validates everything first (reads only) into a :class:`Plan`, then
performs the steps; a refusal therefore leaves the workbook untouched, and a step that fails
after others succeeded says which one (:class:`LiveWriteError`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from salesbook import owned
from salesbook.adapters.excel.read import ARCHIVE_NAMES, HISTORY_NAMES, LogSheet, _refuse_foreign, read_log
from salesbook.reports.sheets import ARCHIVE_SHEET, HISTORY_SHEET


_logger = logging.getLogger(__name__)



class LiveWriteError(Exception):
    """A write failed after earlier writes succeeded; ``step`` says where."""

    def __init__(self, step: str, cause: BaseException):
        super().__init__(f"{step}: {cause}")
        self.step = step
        self.cause = cause



@dataclass
class _Step:
    label: str
    run: Callable[[], None]



@dataclass
class Plan:
    """The writes of one command, computed before the first one is made."""

    steps: list[_Step] = field(default_factory=list)

    def add(self, label: str, fn: Callable[[], None]) -> None:
        self.steps.append(_Step(label, fn))



def _plan_mark(plan: Plan, book, role: str, sheet: str) -> None:
    """After the sheet is written: its mark, a hidden defined name (a courtesy: without it the
    layout still tells the sheet is the add-in's)."""
    def mark():
        name, formula = owned.mark_name(role), "=" + owned.mark_formula(sheet)
        try:
            existing = next((n for n in book.names if n.name == name), None)
            if existing is not None:
                if (owned.marked_sheet(existing.refers_to) or "").casefold() != sheet.casefold():
                    existing.refers_to = formula
                return
            added = book.names.add(name, formula)
            try:
                added.api.Visible = False  # desktop Excel (COM); other engines keep it visible
            except Exception:
                pass
        except Exception:
            _logger.debug("cannot mark sheet %s", sheet, exc_info=True)

    plan.add(f"the mark of sheet '{sheet}'", mark)



def owned_log(book, name: str) -> LogSheet | None:
    """The add-in's log sheet ``name`` (History, Archive) as read, None when there is none yet;
    a user's sheet of that name is refused (Refusal), never written into."""
    names = {HISTORY_SHEET: HISTORY_NAMES, ARCHIVE_SHEET: ARCHIVE_NAMES}.get(name, (name,))
    log = read_log(book, names)
    role = owned.role_of(name)
    if log is not None and role is not None:
        _refuse_foreign(book, role, log.name, [log.header])
    return log



def _set(target, attr: str, value) -> None:
    setattr(target, attr, value)



def _setter(target, attr: str, value) -> Callable[[], None]:
    return lambda: setattr(target, attr, value)


__all__ = ["Plan", "LiveWriteError", "owned_log"]
