"""The team's Settings (``--settings``) in place of each book's own.

``WithSettings`` wraps any Workbook of the port: what it reads carries the given Settings
(and the language they name), the rest is the wrapped workbook's. ``batch --settings`` runs
each book through it; ``rollup`` hands the Settings object to its per-workbook step.
"""

from __future__ import annotations

from salesbook.adapters.port import Changes, LeadBook, Workbook
from salesbook.rules.settings import Settings


class WithSettings:
    """A Workbook whose ``read`` gives ``settings`` instead of the book's own."""

    def __init__(self, workbook: Workbook, settings: Settings):
        self.workbook, self.settings = workbook, settings

    def read(self, *, history: bool, writes: tuple[str, ...] = ()) -> LeadBook:
        from salesbook.engine import language

        book = self.workbook.read(history=history, writes=writes)
        book.settings = self.settings
        book.language = language(self.settings, list(getattr(book.loc, "headers", ())))
        return book

    def confirm(self, book: LeadBook, rows):
        return self.workbook.confirm(book, rows)

    def commit(self, changes: Changes):
        return self.workbook.commit(changes)

    def close(self) -> None:
        self.workbook.close()


__all__ = ["WithSettings"]
