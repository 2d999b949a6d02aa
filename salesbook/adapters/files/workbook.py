"""The file adapter of the Workbook port: an .xlsx/.xlsm file, read and written all or nothing.

``FileWorkbook`` is a context manager. It owns the preflight (size, zip members and their CRCs,
the lock of a book open in Excel), the zip ``Package`` and the reader's caches while the book is
read, the memory given back between steps, and the atomic write (a temp file renamed over the
target). Every refusal closes the package; ``commit`` closes it before the write, so no handle of
the process is open on the target or its temp file when it is replaced (Windows refuses to
replace an open file).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from salesbook.adapters import locate
from salesbook.adapters.files import memory, safety
from salesbook.adapters.port import Changes, LeadBook
from salesbook.engine import language
from salesbook.errors import Refusal
from salesbook.reports import sheets as report
from salesbook.rules.schema import BY_KEY, DATE, NUMBER
from salesbook.rules.schema import match_headers as schema_match
from salesbook.rules.settings import SETTINGS_SHEET_NAMES
from salesbook.rules.settings_sheet import settings_from_grid
from salesbook.vocabulary.names import SHEET_NAMES


class FileWorkbook:
    """A workbook file behind the port. ``output``: write there instead of in place (``path`` is
    then only read); ``backup``: keep the previous version beside the target; ``force``: go on
    though the book seems open in Excel; ``for_write=False``: the file itself will not be
    replaced (a dry run, or ``output``)."""

    def __init__(self, path: str | os.PathLike, *, output: str | os.PathLike | None = None, backup: bool = False,
                 force: bool = False, for_write: bool = True):
        self.path = Path(path)
        self.output = Path(output) if output else None
        self.backup = backup
        self.force = force
        self.for_write = for_write and output is None
        self.pkg = None
        self.loc = None

    def __enter__(self) -> "FileWorkbook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.pkg is not None:
            self.pkg.close()

    def read(self, *, history: bool, writes: tuple[str, ...] = ()) -> LeadBook:
        book = load(self.path, force=self.force, for_write=self.for_write, need_history=history, writes=writes)
        self.pkg, self.loc = book.pkg, book.loc
        return LeadBook(book.path, book.loc, book.leads, book.settings, book.history_rows, book.language,
                        notes=lambda rows: _archived_notes(self.pkg, self.loc, rows))

    def confirm(self, book: LeadBook, rows: pd.Index) -> str | None:
        return None  # the command line asked already (or --dry-run listed the rows)

    def commit(self, changes: Changes) -> Path:
        from salesbook.adapters.files.writer import write_workbook

        memory.release()  # the graded input is dropped: give its memory back before writing
        target = self.output or self.path
        self.close()  # no handle on the file at the replace: Windows refuses to replace an open file
        if self.output:
            safety.preflight_output(target, force=self.force, needed=self.path.stat().st_size)
        try:
            with safety.atomic_output(target, backup=self.backup, like=self.path) as tmp:
                write_workbook(self.path, tmp, self.loc, columns=_output_columns(changes), sheets=changes.sheets,
                               appends=changes.appends, delete_rows=[int(r) for r in changes.delete_rows],
                               inputs=_input_edits(changes, self.loc), import_blocks=changes.import_blocks)
        except Refusal as exc:
            if exc.path is None:  # the writer knows the sheet, not the file: name it
                raise Refusal(f"{self.path.name}: {exc.message} The workbook was not changed.", path=self.path,
                              sheet=exc.sheet, column=exc.column, row=exc.row, value=exc.value,
                              detail=exc.detail) from None
            raise
        return target


class _Book:
    """A workbook file as read, with its open package and the lead table's location."""

    def __init__(self, path, pkg, loc, leads, settings, history_rows, language):
        self.path, self.pkg, self.loc, self.leads = path, pkg, loc, leads
        self.settings, self.history_rows, self.language = settings, history_rows, language


def _sheet_grid(pkg, names: tuple[str, ...]) -> tuple[str | None, list[list[object]] | None]:
    from salesbook.adapters.files.reader import read_grid

    for name in names:
        info = pkg.sheet(name)
        if info is not None:
            return info.name, read_grid(pkg, info.name)
    return None, None


def load(path: str | os.PathLike, *, force: bool = False, for_write: bool = True, need_history: bool = True,
         writes: tuple[str, ...] = ()) -> _Book:
    """Check and read a workbook. Raises Refusal for anything that stops the command, among them a
    user's sheet bearing the name of one of the add-in's sheets the command ``writes``."""
    path = Path(path)
    from salesbook.adapters.files.sheetscan import SheetScan

    # CRCs checked beside the read, in the same pass that finds the Leads sheet's merges
    crc = safety.preflight(path, force=force, for_write=for_write, crc_later=True, scan=SheetScan.for_member)
    try:
        book = _read(path, need_history=need_history, scans=crc, writes=writes)
    except BaseException:
        if crc is not None:
            crc.wait()  # a damaged member is the reason, as a plain preflight would have said first
        raise
    if crc is not None:
        try:
            crc.wait()
        except BaseException:
            book.pkg.close()  # a refusal leaves no handle on the file
            raise
    return book


def _read(path: Path, *, need_history: bool, scans=None, writes: tuple[str, ...] = ()) -> _Book:
    from salesbook.adapters.files.package import Package
    from salesbook.adapters.files.reader import (CALAMINE_SOURCE, drop_grids, locate_leads, merged_ranges,
                                                  open_grids_beside, read_leads)
    from salesbook.adapters.files.sheetscan import MEMBER_SCAN

    try:
        pkg = Package.open(path)
    except Refusal:
        raise
    except Exception as exc:  # a damaged file the preflight did not catch
        raise Refusal(f"Cannot read {path.name}: the file is damaged ({exc}). Open it in Excel and save it again.",
                      path=path, detail=repr(exc)) from None
    try:
        if scans is not None:  # the readers wait for a part's check before calamine inflates it
            pkg.cache[MEMBER_SCAN] = scans
        loc = locate_leads(pkg)
        try:
            locate.check_headers(path, loc)
        except Refusal:  # a merged header row is the likelier reason a column is missing: say that
            _refuse_merged_header(path, loc, merged_ranges(pkg, loc.sheet_part))
            raise
        open_grids_beside(pkg)  # Settings and History open beside the lead table's read
        leads = read_leads(pkg, loc)
        _refuse_merged_header(path, loc, loc.merges)
        settings_sheet, grid = _sheet_grid(pkg, SETTINGS_SHEET_NAMES)
        settings = settings_from_grid(grid, sheet=settings_sheet or SETTINGS_SHEET_NAMES[0])
        _claim(path, pkg, loc, tuple(w for w in writes if w != report.HISTORY_SHEET))
        history = None
        if need_history:
            name, history = _sheet_grid(pkg, SHEET_NAMES[report.HISTORY_SHEET])
            _refuse_foreign(path, pkg, name, history)  # a user's History (历史) is neither read nor written
            loc.claimed += tuple(w for w in writes if w == report.HISTORY_SHEET)
    except BaseException:
        drop_grids(pkg)
        pkg.close()  # a refusal leaves no handle on the file
        raise
    pkg.cache.pop(MEMBER_SCAN, None)
    drop_grids(pkg)  # Settings and History are read: drop calamine's copy of the workbook
    pkg.cache.pop(CALAMINE_SOURCE, None)
    memory.release()
    return _Book(path, pkg, loc, leads, settings, history, language(settings, loc.headers))


def _refuse_merged_header(path: Path, loc, merges: list[str]) -> None:
    from salesbook.adapters.files.reader import merged_header

    message = merged_header(loc, merges)
    if message is not None:
        raise Refusal(f"{path.name}: {message[0].upper()}{message[1:]}", path=path, sheet=loc.sheet_name)


def _claim(path: Path, pkg, loc, writes: tuple[str, ...]) -> None:
    """Refuse, before anything is written, when a sheet the command writes is the user's; the
    writer then need not look again (``loc.claimed``). Run once Settings are read: a sheet whose
    first cells are shared strings is then read through calamine, which holds the table already."""
    from salesbook.adapters.files.ownership import HEADER_ROWS, claim
    from salesbook.adapters.files.reader import read_grid

    read_rows = (lambda sheet: read_grid(pkg, sheet)[:HEADER_ROWS]) if "calamine" in pkg.cache else None
    try:
        claim(pkg, writes, read_rows=read_rows)
    except Refusal as exc:
        raise Refusal(f"{path.name}: {exc.message} The workbook was not changed.", path=path, sheet=exc.sheet) from None
    loc.claimed = tuple(writes)


def _refuse_foreign(path: Path, pkg, name: str | None, rows) -> None:
    """Refuse when the sheet read as History (``name``, its cells ``rows``) is the user's."""
    from salesbook.adapters.files.ownership import foreign

    message = foreign(pkg, report.HISTORY_SHEET, name, rows=rows or []) if name is not None else None
    if message is not None:
        raise Refusal(f"{path.name}: {message} The workbook was not changed.", path=path, sheet=name)


def _output_columns(changes: Changes) -> list:
    from salesbook.adapters.files.writer import OutputColumn

    cols = []
    for key in changes.written:
        col = BY_KEY[key]
        values = changes.outputs[key]
        kind = "date" if col.kind == DATE else "number" if col.kind == NUMBER else "text"
        cols.append(OutputColumn(key=key, header=col.header(changes.language), values=values.reset_index(drop=True),
                                 kind=kind))
    return cols


def _input_edits(changes: Changes, loc):
    """An import's input cells by sheet column (``import_rows.InputEdits``), or None."""
    if changes.inputs is None:
        return None
    from salesbook.adapters.files.import_rows import InputEdits

    found = schema_match(list(loc.headers))
    frame = changes.inputs
    cols = {loc.first_col + found[k]: frame[k] for k in frame.columns if k in found}
    values = pd.DataFrame(cols, index=frame.index) if cols else pd.DataFrame(index=frame.index)
    return InputEdits(values.sort_index())


def read_settings(path: str | os.PathLike) -> "Settings":
    """The Settings of another workbook (``--settings TEAM.xlsx``), read only: the same checks as
    any workbook, then its Settings sheet alone (it need not hold a lead table)."""
    from salesbook.adapters.files.package import Package

    path = Path(path)
    safety.preflight(path, for_write=False)
    try:
        pkg = Package.open(path)
    except Refusal:
        raise
    except Exception as exc:
        raise Refusal(f"Cannot read {path.name}: the file is damaged ({exc}). Open it in Excel and save it again.",
                      path=path, detail=repr(exc)) from None
    try:
        name, grid = _sheet_grid(pkg, SETTINGS_SHEET_NAMES)
        if grid is None:
            raise Refusal(f"{path.name} has no Settings sheet to take the Settings from (--settings); name the "
                          "workbook whose Settings sheet the team shares.", path=path)
        return settings_from_grid(grid, sheet=name)
    finally:
        pkg.close()


def _archived_notes(pkg, loc, rows: pd.Index) -> pd.Series | None:
    """'Header (author): text' of the notes on the table cells of each archived row; None when there are none."""
    from salesbook.adapters.files.notes import sheet_notes

    if pkg is None or getattr(loc, "sheet_part", None) is None:
        return None
    notes = sheet_notes(pkg, loc.sheet_part)
    headers = list(loc.headers)
    texts = {}
    for row in rows:
        lines = []
        for col in range(loc.first_col, loc.first_col + len(headers)):
            for author, text in notes.get((int(row), col), ()):
                who = f" ({author})" if author else ""
                lines.append(f"{headers[col - loc.first_col]}{who}: {text}")
        if lines:
            texts[row] = "\n".join(lines)
    if not texts:
        return None
    return pd.Series([texts.get(r) for r in rows], index=rows, dtype=object)


__all__ = ["FileWorkbook", "load", "read_settings"]
