"""The team workbook (TEAM.xlsx of ``salesbook rollup``): the report sheets written into it (its
Settings are read by ``workbook.read_settings``, as for every ``--settings``).

``write_report(path, sheets)`` replaces the report sheets of an existing workbook with the
guarantees of ``run`` (preflight, a user's sheet of the same name refused, every other part
copied byte for byte, temp file renamed over the target), or, when the file does not exist,
creates a plain workbook holding a Settings sheet and the report sheets.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from salesbook.errors import Refusal
from salesbook.reports.model import SheetModel
from salesbook.rules.settings import SETTINGS_SHEET_NAMES, Settings


@dataclass
class _NoLeads:
    """The lead-table location of a workbook without leads: the writer rewrites no lead cell."""

    claimed: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    first_col: int = 1
    last_col: int = 0
    header_row: int = 0
    last_row: int = 0
    table_last_row: int | None = None
    merges: tuple[str, ...] = ()
    sheet_name: str = ""


def write_report(path: str | os.PathLike, sheets: Sequence[SheetModel], *, settings: Settings | None = None,
                 force: bool = False, backup: bool = False) -> Path:
    """Write ``sheets`` into the workbook at ``path`` (created with ``settings`` on its Settings
    sheet when it does not exist). All or nothing; returns the path."""
    from salesbook.adapters.files import safety

    path = Path(path)
    if path.exists():
        safety.preflight(path, force=force, for_write=True)
        _write(path, path, _existing_names(path, sheets), backup=backup)
        return path
    safety.preflight_output(path, force=force)
    with tempfile.TemporaryDirectory(prefix="salesbook-team-") as folder:
        base = Path(folder) / "base.xlsx"
        _new_workbook(base, settings or Settings())
        _write(base, path, sheets, backup=False)
    return path


def _existing_names(path: Path, sheets: Sequence[SheetModel]) -> list[SheetModel]:
    """The report sheets under the names TEAM.xlsx has them already ('Team Funnel' stays so when
    a Chinese report replaces it, 团队漏斗 stays so for an English one): each replaced in place."""
    import dataclasses

    from salesbook.adapters.files.package import Package
    from salesbook.owned import role_of

    with Package.open(path) as pkg:
        have = {role_of(s.name): s.name for s in pkg.sheets if role_of(s.name) is not None}
    return [dataclasses.replace(m, name=have.get(role_of(m.name), m.name)) for m in sheets]


def _write(src: Path, target: Path, sheets: Sequence[SheetModel], *, backup: bool) -> None:
    from salesbook.adapters.files import safety
    from salesbook.adapters.files.writer import write_workbook

    try:
        with safety.atomic_output(target, backup=backup, like=src) as tmp, \
                tempfile.TemporaryFile(prefix="salesbook-") as parts:
            write_workbook(src, tmp, _NoLeads(), sheets=list(sheets), render=_Streamed(parts))
    except Refusal as exc:
        if exc.path is None:  # the writer knows the sheet, not the file: name it
            raise Refusal(f"{target.name}: {exc.message} The workbook was not changed.", path=target,
                          sheet=exc.sheet, detail=exc.detail) from None
        raise


class _Streamed:
    """The renderer the team report is written with: each sheet's part is deflated into
    ``file`` while it is rendered, piece by piece (``render.render_sheet``'s sink), on a
    thread of its own (zlib lets go of the GIL), and handed to the writer compressed — a
    Team Cleanse sheet of 200,000 rows is never whole in memory, as XML or as bytes."""

    def __init__(self, file):
        self.file = file

    def render_sheet(self, model: SheetModel, styles, *, sheet_pr: bytes | None = None, date1904: bool = False):
        import dataclasses

        from salesbook.adapters.files import render

        sink = _DeflateThread(self.file)
        try:
            rendered = render.render_sheet(model, styles, sheet_pr=sheet_pr, date1904=date1904, sink=sink.put)
        finally:
            blob = sink.close()
        return dataclasses.replace(rendered, sheet_xml=blob)


class _DeflateThread:
    """A ``DeflateSink`` fed from a queue by a thread of its own (a few pieces waiting at most)."""

    def __init__(self, file):
        import queue
        import threading

        from salesbook.adapters.files.package_writer import DeflateSink

        self._sink = DeflateSink(file)
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._sink.write(data)
                except BaseException as exc:  # raised by close(), in the caller's thread
                    self._error = exc

    def put(self, data: bytes) -> None:
        if self._error is None:
            self._queue.put(data)

    def close(self):
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._sink.close()


def _new_workbook(path: Path, settings: Settings) -> None:
    """A workbook with only a Settings sheet (the team's, editable there for the next rollup)."""
    import xlsxwriter

    from salesbook.builder.template import _Formats, _write_settings

    wb = xlsxwriter.Workbook(str(path))
    _write_settings(wb.add_worksheet(SETTINGS_SHEET_NAMES[0]), settings, _Formats(wb))
    wb.close()


__all__ = ["write_report"]
