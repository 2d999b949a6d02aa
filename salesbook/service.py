"""Commands over workbook files: load → evaluate → write, all or nothing.

The service layer of the file path. It only orchestrates: the rules live in
``engine``/``rules``, the file format in ``xlsx``. Every refusal is raised as
``Refusal`` before anything is written; the write itself goes through an atomic
temp-file-and-rename, so a failed or killed run leaves the input as it was.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesbook.cells import col_letter
from salesbook.reports import sheets as report
from salesbook.engine import Evaluation, evaluate, language, no_leads, parse_only
from salesbook.errors import Refusal
from salesbook.rules.prepare import canonical_frame, parse_dates, prepare
from salesbook.rules.schema import (
    BY_KEY,
    DATE,
    NUMBER,
    COUNT,
    REQUIRED,
    closest_header,
    duplicate_headers,
    match_headers,
)
from salesbook.rules.settings import SETTINGS_SHEET_NAMES, Settings, settings_from_grid
from salesbook.reports.model import AppendRows
from salesbook.adapters.files import memory, safety

EXIT_OK, EXIT_ROW_PROBLEMS, EXIT_REFUSED = 0, 1, 2


@dataclass
class Book:
    """A workbook file as read: where the leads are, the table, settings and history."""

    path: Path
    pkg: object
    loc: object
    leads: pd.DataFrame
    settings: Settings
    history_rows: list[list[object]] | None
    language: str


@dataclass
class Result:
    path: Path
    summary: str
    exit_code: int = EXIT_OK
    problems: pd.DataFrame | None = None
    evaluation: Evaluation | None = None
    output: Path | None = None
    lines: list[str] = field(default_factory=list)




def _sheet_grid(pkg, names: tuple[str, ...]) -> tuple[str | None, list[list[object]] | None]:
    from salesbook.adapters.files.reader import read_grid

    for name in names:
        info = pkg.sheet(name)
        if info is not None:
            return info.name, read_grid(pkg, info.name)
    return None, None


def load(path: str | os.PathLike, *, force: bool = False, for_write: bool = True, need_history: bool = True,
         writes: tuple[str, ...] = ()) -> Book:
    """Check and read a workbook. Raises Refusal for anything that stops the command, among them a
    user's sheet bearing the name of one of the add-in's sheets the command ``writes``."""
    memory.use_system_allocator()  # freed memory can go back to the system between steps
    path = Path(path)
    from salesbook.adapters.files.reader import SheetScan

    # CRCs checked beside the read, in the same pass that finds the Leads sheet's merges
    crc = safety.preflight(path, force=force, for_write=for_write, crc_later=True, scan=SheetScan.for_member)
    try:
        book = _read(path, need_history=need_history, scans=crc, writes=writes)
    except BaseException:
        if crc is not None:
            crc.wait()  # a damaged member is the reason, as a plain preflight would have said first
        raise
    if crc is not None:
        crc.wait()
    return book


def _read(path: Path, *, need_history: bool, scans=None, writes: tuple[str, ...] = ()) -> Book:
    from salesbook.adapters.files.package import Package
    from salesbook.adapters.files.reader import CALAMINE_SOURCE, MEMBER_SCAN, locate_leads, merged_ranges, read_leads

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
            _check_headers(path, loc)
        except Refusal:  # a merged header row is the likelier reason a column is missing: say that
            _refuse_merged_header(path, loc, merged_ranges(pkg, loc.sheet_part))
            raise
        leads = read_leads(pkg, loc)
        _refuse_merged_header(path, loc, loc.merges)
        settings_sheet, grid = _sheet_grid(pkg, SETTINGS_SHEET_NAMES)
        settings = settings_from_grid(grid, sheet=settings_sheet or "Settings")
        _claim(path, pkg, loc, tuple(w for w in writes if w != report.HISTORY_SHEET))
        history = None
        if need_history:
            name, history = _sheet_grid(pkg, (report.HISTORY_SHEET, "历史"))
            _refuse_foreign(path, pkg, name, history)  # a user's History (历史) is neither read nor written
            loc.claimed += tuple(w for w in writes if w == report.HISTORY_SHEET)
    except BaseException:
        pkg.close()  # a refusal leaves no handle on the file
        raise
    pkg.cache.pop(MEMBER_SCAN, None)
    pkg.cache.pop("calamine", None)  # Settings and History are read: drop calamine's copy of the workbook
    pkg.cache.pop(CALAMINE_SOURCE, None)
    memory.release()
    return Book(path, pkg, loc, leads, settings, history, language(settings, loc.headers))


def _refuse_merged_header(path: Path, loc, merges: list[str]) -> None:
    from salesbook.adapters.files.reader import merged_header

    message = merged_header(loc, merges)
    if message is not None:
        raise Refusal(f"{path.name}: {message[0].upper()}{message[1:]}", path=path, sheet=loc.sheet_name)


def _sheets_written(commands: tuple[str, ...]) -> tuple[str, ...]:
    """The add-in's sheets a run of ``commands`` may write (engine.evaluate)."""
    return ((report.CLEANSE_SHEET,) if "stale" in commands else ()) + \
        ((report.FUNNEL_SHEET, report.HISTORY_SHEET) if "funnel" in commands else ())


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


def _check_headers(path: Path, loc) -> None:
    headers = list(loc.headers)
    found = match_headers(headers)
    missing = [k for k in REQUIRED if k not in found]
    where = f"sheet '{loc.sheet_name}'" + (f", table '{loc.table_name}'" if loc.table_name else "")
    seen = ", ".join(f"'{h}'" for h in headers if h) or "none"
    if missing:
        parts = []
        for k in missing:
            col = BY_KEY[k]
            near = closest_header(k, headers)
            parts.append(f"'{col.en}' ({col.zh})" + (f" (closest header: '{near}')" if near else ""))
        raise Refusal(f"{path.name}, {where}: required column not found: {', '.join(parts)}. "
                      f"Headers seen: {seen}. Rename the header or add the column, then run again.",
                      path=path, sheet=loc.sheet_name, column=BY_KEY[missing[0]].en)
    dups = duplicate_headers(headers)
    if dups:
        key, positions = dups[0]
        cols = " and ".join(col_letter(loc.first_col + p) for p in positions)
        raise Refusal(f"{path.name}, {where}: the column '{BY_KEY[key].en}' appears twice (columns {cols}). "
                      f"Rename or remove one of them, then run again.",
                      path=path, sheet=loc.sheet_name, column=BY_KEY[key].en)


def _output_columns(book: Book, ev: Evaluation) -> list:
    from salesbook.adapters.files.writer import OutputColumn

    cols = []
    for key in ev.written:
        col = BY_KEY[key]
        values = ev.outputs[key]
        kind = "date" if col.kind == DATE else "number" if col.kind == NUMBER else "text"
        cols.append(OutputColumn(key=key, header=col.header(ev.language), values=values.reset_index(drop=True), kind=kind))
    return cols


def cell_addresses(book: Book, problems: pd.DataFrame) -> pd.Series:
    """'K17' for each problem (its column in the table and its row)."""
    found = match_headers(list(book.loc.headers))
    letters = {k: col_letter(book.loc.first_col + i) for k, i in found.items()}
    return problems["key"].map(letters).fillna("") + problems["row"].astype(str)


def _write(book: Book, *, output: str | os.PathLike | None, backup: bool, force: bool, **changes) -> Path:
    from salesbook.adapters.files.writer import write_workbook

    target = Path(output) if output else book.path
    book.pkg.close()  # no handle on the file at the replace: Windows refuses to replace an open file
    if output:
        safety.preflight_output(target, force=force, needed=book.path.stat().st_size)
    try:
        with safety.atomic_output(target, backup=backup, like=book.path) as tmp:
            write_workbook(book.path, tmp, book.loc, **changes)
    except Refusal as exc:
        if exc.path is None:  # the writer knows the sheet, not the file: name it
            raise Refusal(f"{book.path.name}: {exc.message} The workbook was not changed.", path=book.path,
                          sheet=exc.sheet, column=exc.column, row=exc.row, value=exc.value,
                          detail=exc.detail) from None
        raise
    return target


def _exit_code(problems: pd.DataFrame) -> int:
    return EXIT_ROW_PROBLEMS if len(problems) else EXIT_OK


def run(path, *, only=None, today: dt.date | None = None, output=None, backup: bool = False,
        force: bool = False) -> Result:
    """`salesbook run`: grade, follow-ups, stale, funnel (or the ``only`` subset)."""
    commands = parse_only(only)
    book = load(path, force=force, for_write=output is None, need_history="funnel" in commands,
                writes=_sheets_written(commands))
    ev = evaluate(book.leads, book.settings, today=today, history_rows=book.history_rows, only=commands,
                  lang=book.language)
    book.leads = book.history_rows = None  # graded: the input table is not needed for writing
    memory.release()
    target = _write(book, output=output, backup=backup, force=force, columns=_output_columns(book, ev),
                    sheets=ev.sheets, appends=ev.appends)
    return Result(book.path, ev.summary, _exit_code(ev.problems), ev.problems, ev, target,
                  lines=_problem_lines(book, ev.problems))


def check_report(book, today: dt.date | None = None):
    """Every bad cell of a book (file or live): (problems, the Check sheet, the summary line)."""
    raw, labels = canonical_frame(book.leads)
    problems = prepare(raw, book.settings, labels).problems
    day = book.settings.resolve_today(today)
    sheet = report.check_sheet(problems, cell_addresses(book, problems), book.loc.sheet_name, book.language, day,
                               labels)
    n_leads = int((~raw.isna().all(axis=1)).sum())
    if not n_leads:
        summary = no_leads(book.language)
    elif len(problems):
        summary = (f"Checked {n_leads:,} leads: {len(problems):,} problems in {problems['row'].nunique():,} rows "
                   f"(see the Check sheet).")
    else:
        summary = f"Checked {n_leads:,} leads: no problems found."
    return problems, sheet, summary


def archive_summary(archived: int, total: int, dry_run: bool = False) -> str:
    if not archived:
        return "No stale leads to archive." + (" Nothing was written (--dry-run)." if dry_run else "")
    if dry_run:
        return (f"Would archive {archived:,} stale leads to the Archive sheet; {total - archived:,} rows would "
                f"remain in Leads. Nothing was written (--dry-run).")
    return f"Archived {archived:,} stale leads to the Archive sheet; {total - archived:,} rows remain in Leads."


def archive_preview(book, ev: Evaluation, rows: pd.Index) -> list[str]:
    """One line per lead that archive would move: 'L-003 (Leads row 4): <Stale Reason>'."""
    ids = ev.prepared.frame.loc[rows, "lead_id"].astype("string").fillna("").str.strip()
    ids = ids.where(ids != "", "(no Lead ID)")
    reasons = ev.outputs.loc[rows, "stale_reason"].astype("string").fillna("")
    lines = ids + f" ({book.loc.sheet_name} row " + pd.Series(rows, index=rows).astype("string") + "): " + reasons
    return lines.tolist()


def check(path, *, today: dt.date | None = None, output=None, backup: bool = False, force: bool = False) -> Result:
    """`salesbook check`: every bad cell, on the Check sheet and returned as lines."""
    book = load(path, force=force, for_write=output is None, need_history=False, writes=(report.CHECK_SHEET,))
    problems, sheet, summary = check_report(book, today)
    target = _write(book, output=output, backup=backup, force=force, sheets=[sheet])
    return Result(book.path, summary, _exit_code(problems), problems, None, target, lines=_problem_lines(book, problems))


def archive(path, *, today: dt.date | None = None, output=None, backup: bool = False, force: bool = False,
            dry_run: bool = False) -> Result:
    """`salesbook archive`: move the leads flagged stale (now) to the Archive sheet.
    ``dry_run``: list the leads that would move (Lead ID, row, Stale Reason) and write nothing."""
    book = load(path, force=force, for_write=output is None and not dry_run, need_history=False,
                writes=(report.ARCHIVE_SHEET,))
    ev = evaluate(book.leads, book.settings, today=today, only="stale", lang=book.language)
    rows = ev.stale_rows
    if len(rows) == 0 or dry_run:
        preview = archive_preview(book, ev, rows) if dry_run else []
        book.pkg.close()
        summary = archive_summary(len(rows), len(book.leads), dry_run) if ev.lead_count else ev.summary
        return Result(book.path, summary, _exit_code(ev.problems), ev.problems, ev, None,
                      lines=preview + _problem_lines(book, ev.problems))
    moved = archive_rows(book, rows, ev.today or dt.date.today(), ev.language)
    target = _write(book, output=output, backup=backup, force=force, appends=[moved],
                    delete_rows=[int(r) for r in rows])
    return Result(book.path, archive_summary(len(rows), len(book.leads)), _exit_code(ev.problems), ev.problems, ev, target,
                  lines=_problem_lines(book, ev.problems))


def archive_rows(book: Book, rows: pd.Index, day: dt.date, lang: str) -> AppendRows:
    """The archived rows with every cell of the table, typed back from text, and the date."""
    sub = book.leads.loc[rows]
    found = match_headers(list(book.leads.columns))
    key_of = {i: k for k, i in found.items()}
    out = {report.lbl("archived_on", lang): pd.Series(pd.Timestamp(day), index=sub.index)}
    formats = {report.lbl("archived_on", lang): "date"}
    for i, name in enumerate(sub.columns):
        s = sub[name]
        kind = BY_KEY[key_of[i]].kind if i in key_of else None
        if kind == DATE:
            dates, bad = parse_dates(s)
            s = dates.astype(object).where(~bad & dates.notna(), s)
            formats[str(name)] = "date"
        elif kind in (NUMBER, COUNT) or (kind is None and _numeric(s)):
            num = pd.to_numeric(s, errors="coerce")
            s = num.astype(object).where(num.notna(), s)
        out[str(name)] = s
    notes = _archived_notes(book, sub.index)
    if notes is not None:  # a note on an archived cell leaves the Leads sheet with its row (xlsx.notes)
        label = report.lbl("cell_notes", lang)
        while label in out:
            label += " *"
        out[label] = notes
    return AppendRows(report.ARCHIVE_SHEET, pd.DataFrame(out, index=sub.index).reset_index(drop=True), formats)


def _archived_notes(book: Book, rows: pd.Index) -> pd.Series | None:
    """'Header (author): text' of the notes on the table cells of each archived row; None when there are none."""
    from salesbook.adapters.files.notes import sheet_notes

    loc = book.loc
    pkg = getattr(book, "pkg", None)  # a live Excel book has no package: Excel moves its notes itself
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


def _numeric(s: pd.Series) -> bool:
    vals = s.dropna()
    return len(vals) > 0 and pd.to_numeric(vals, errors="coerce").notna().all()


def _problem_lines(book: Book, problems: pd.DataFrame, limit: int = 50, shown: int = 3) -> list[str]:
    """Each distinct problem once, most frequent first, with its count and its first cells:
    "Stage 'X' is not a stage in Settings: 37 rows (Leads!H3, H7, H9, …)". Up to ``limit`` lines."""
    if problems is None or not len(problems):
        return []
    msg_codes, messages = pd.factorize(problems["message"].to_numpy(dtype=object))
    sugg_codes, suggestions = pd.factorize(problems["suggestion"].to_numpy(dtype=object))  # no suggestion: -1
    width = len(suggestions) + 1
    codes, pairs = pd.factorize(msg_codes.astype(np.int64) * width + sugg_codes + 1)  # in order of first appearance
    counts = np.bincount(codes)
    order = np.argsort(-counts, kind="stable")[:limit]  # most frequent first, then by first cell
    keep = (pd.Series(codes).groupby(codes).cumcount().to_numpy() < shown) & np.isin(codes, order)
    cells = cell_addresses(book, problems[keep]).to_numpy(dtype=object)  # the first cells of the lines shown
    firsts = pd.Series(cells).groupby(codes[keep], sort=False).agg(", ".join)
    sheet = book.loc.sheet_name
    lines = []
    for g in order:
        message, sugg = messages[pairs[g] // width], pairs[g] % width - 1
        hint = suggestions[sugg] if sugg >= 0 else None
        lines.append(f"{message}" + (f" (did you mean '{hint}'?)" if isinstance(hint, str) and hint else "")
                     + f": {counts[g]:,} row{'s' if counts[g] != 1 else ''} "
                     f"({sheet}!{firsts[g]}{', …' if counts[g] > shown else ''})")
    if len(pairs) > limit:
        rest = int(len(problems) - counts[order].sum())
        lines.append(f"… and {len(pairs) - limit:,} more kinds of problem in {rest:,} cells "
                     f"(see the Check sheet: salesbook check)")
    return lines


__all__ = ["load", "run", "check", "archive", "Result", "Book", "EXIT_OK", "EXIT_ROW_PROBLEMS", "EXIT_REFUSED"]
