"""Errors that stop a command with a clear message instead of a traceback."""

from __future__ import annotations

import os
from typing import Any


class Refusal(Exception):
    """salesbook will not (or could not) process a file; nothing was written.

    ``message`` is one sentence for a sales rep: it names the file and says
    what to do. ``detail`` is optional technical context for logs. The CLI
    prints ``message`` and exits with ``exit_code``.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        sheet: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: Any = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.sheet = sheet
        self.column = column
        self.row = row
        self.value = value
        self.detail = detail

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Keep every field when a batch worker process sends it back.
        return (_rebuild_refusal, (type(self), self.message, self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sheet": self.sheet,
            "column": self.column,
            "row": self.row,
            "value": self.value,
            "detail": self.detail,
        }


def _rebuild_refusal(cls: type[Refusal], message: str, fields: dict[str, Any]) -> Refusal:
    return cls(message, **fields)
