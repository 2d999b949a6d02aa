"""The commands — run, check, archive — written once over the Workbook port.

The service only orchestrates: it reads a workbook through the port (``adapters.port``), lets
the rules (``engine``/``rules``) evaluate the frames, and hands the changes back to the port,
which writes them all or nothing. ``run``/``check``/``archive`` take a file (they open a
``FileWorkbook``: preflight, atomic temp-file-and-rename write, a refused file left as it was);
``run_on``/``check_on``/``archive_on`` take any Workbook, such as the ribbon's ``LiveWorkbook``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesbook.adapters.port import Changes, LeadBook, Workbook
from salesbook.cells import col_letter
from salesbook.reports import sheets as report
from salesbook import engine
from salesbook.engine import Evaluation, no_leads, parse_only
from salesbook.rules.prepare import canonical_frame, prepare
from salesbook.rules.reading import parse_dates
from salesbook.rules.schema import BY_KEY, DATE, NUMBER, COUNT, match_headers
from salesbook.reports.model import AppendRows

EXIT_OK, EXIT_ROW_PROBLEMS, EXIT_REFUSED = 0, 1, 2


@dataclass
class Result:
    path: Path
    summary: str
    exit_code: int = EXIT_OK
    problems: pd.DataFrame | None = None
    evaluation: Evaluation | None = None
    output: Path | None = None
    lines: list[str] = field(default_factory=list)




def _sheets_written(commands: tuple[str, ...]) -> tuple[str, ...]:
    """The add-in's sheets a run of ``commands`` may write (engine.evaluate)."""
    return ((report.CLEANSE_SHEET,) if "stale" in commands else ()) + \
        ((report.FUNNEL_SHEET, report.HISTORY_SHEET) if "funnel" in commands else ())


def cell_addresses(book: LeadBook, problems: pd.DataFrame) -> pd.Series:
    """'K17' for each problem (its column in the table and its row)."""
    found = match_headers(list(book.loc.headers))
    letters = {k: col_letter(book.loc.first_col + i) for k, i in found.items()}
    return problems["key"].map(letters).fillna("") + problems["row"].astype(str)


def _exit_code(problems: pd.DataFrame) -> int:
    return EXIT_ROW_PROBLEMS if len(problems) else EXIT_OK


def _file(path, *, output, backup: bool, force: bool, for_write: bool = True):
    from salesbook.adapters.files.workbook import FileWorkbook

    return FileWorkbook(path, output=output, backup=backup, force=force, for_write=for_write)


def run(path, *, only=None, today: dt.date | None = None, output=None, backup: bool = False,
        force: bool = False, settings=None, period=None) -> Result:
    """`salesbook run`: grade, follow-ups, stale, funnel (or the ``only`` subset).
    ``settings``: another workbook whose Settings replace the book's own (``--settings``);
    ``period`` (``2026-Q4``, ``last-30-days`` …) limits the funnel to the leads created in it."""
    check_period(period, today)
    team = settings_from(settings)
    with _file(path, output=output, backup=backup, force=force) as workbook:
        return run_on(workbook, only=only, today=today, settings=team, period=period)


def run_on(workbook: Workbook, *, only=None, today: dt.date | None = None, settings=None, period=None) -> Result:
    """``run`` over any Workbook; ``settings`` (a Settings) replaces the book's own."""
    commands = parse_only(only)
    book = workbook.read(history="funnel" in commands, writes=_sheets_written(commands))
    use_settings(book, settings)
    ev = evaluate_book(book, only=commands, today=today, period=period)
    book.leads = book.history_rows = None  # graded: the input table is not needed for writing
    target = workbook.commit(Changes("run", ev.written, ev.outputs, ev.language, ev.sheets, ev.appends))
    return result_of(book, ev, target)


def sheets_written(only=None) -> tuple[str, ...]:
    """The add-in's sheets a run of ``only`` (every command when None) may write."""
    return _sheets_written(parse_only(only))


def evaluate_book(book: LeadBook, *, only=None, today: dt.date | None = None, period=None) -> Evaluation:
    """The run's evaluation of a book as read (or as merged in memory by an import)."""
    return engine.evaluate(book.leads, book.settings, today=today, history_rows=book.history_rows,
                           only=parse_only(only), lang=book.language,
                           period=check_period(period, book.settings.resolve_today(today)))


def result_of(book: LeadBook, ev: Evaluation, target) -> Result:
    """The run's Result: its summary, exit code and problem lines."""
    return Result(book.path, ev.summary, _exit_code(ev.problems), ev.problems, ev, target,
                  lines=_problem_lines(book, ev.problems))


def check_period(period, today: dt.date | None = None):
    """The period a run's funnel covers: None (every lead), a ``Period``, or a text read as of
    ``today`` (the system date when None). A text that is no period is refused (exit 2) before
    the workbook is opened or written: "'2026-13' is not a period: write a month (2026-11), …"."""
    from salesbook.errors import Refusal
    from salesbook.rules.period import PeriodError, parse_period

    if period is None or not isinstance(period, str):
        return period
    try:
        return parse_period(period, today or dt.date.today())
    except PeriodError as exc:
        raise Refusal(str(exc), value=period) from None


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


def check(path, *, today: dt.date | None = None, output=None, backup: bool = False, force: bool = False,
          settings=None) -> Result:
    """`salesbook check`: every bad cell, on the Check sheet and returned as lines.
    ``settings``: another workbook whose Settings replace the book's own (``--settings``)."""
    team = settings_from(settings)
    with _file(path, output=output, backup=backup, force=force) as workbook:
        return check_on(workbook, today=today, settings=team)


def check_on(workbook: Workbook, *, today: dt.date | None = None, settings=None) -> Result:
    """``check`` over any Workbook; ``settings`` (a Settings) replaces the book's own."""
    book = workbook.read(history=False, writes=(report.CHECK_SHEET,))
    use_settings(book, settings)
    problems, sheet, summary = check_report(book, today)
    target = workbook.commit(Changes("check", sheets=[sheet]))
    return Result(book.path, summary, _exit_code(problems), problems, None, target, lines=_problem_lines(book, problems))


def archive(path, *, today: dt.date | None = None, output=None, backup: bool = False, force: bool = False,
            dry_run: bool = False) -> Result:
    """`salesbook archive`: move the leads flagged stale (now) to the Archive sheet.
    ``dry_run``: list the leads that would move (Lead ID, row, Stale Reason) and write nothing."""
    with _file(path, output=output, backup=backup, force=force, for_write=not dry_run) as workbook:
        return archive_on(workbook, today=today, dry_run=dry_run)


def archive_on(workbook: Workbook, *, today: dt.date | None = None, dry_run: bool = False) -> Result:
    """``archive`` over any Workbook; the workbook may stop it before the move (``confirm``)."""
    book = workbook.read(history=False, writes=(report.ARCHIVE_SHEET,))
    ev = engine.evaluate(book.leads, book.settings, today=today, only="stale", lang=book.language)
    rows = ev.stale_rows
    if len(rows) == 0 or dry_run:
        preview = archive_preview(book, ev, rows) if dry_run else []
        summary = archive_summary(len(rows), len(book.leads), dry_run) if ev.lead_count else ev.summary
        return Result(book.path, summary, _exit_code(ev.problems), ev.problems, ev, None,
                      lines=preview + _problem_lines(book, ev.problems))
    stopped = workbook.confirm(book, rows)
    if stopped is not None:
        return Result(book.path, stopped, _exit_code(ev.problems), ev.problems, ev, None)
    moved = archive_rows(book, rows, ev.today or dt.date.today(), ev.language)
    target = workbook.commit(Changes("archive", appends=[moved], delete_rows=[int(r) for r in rows]))
    return Result(book.path, archive_summary(len(rows), len(book.leads)), _exit_code(ev.problems), ev.problems, ev,
                  target, lines=_problem_lines(book, ev.problems))


def archive_rows(book: LeadBook, rows: pd.Index, day: dt.date, lang: str) -> AppendRows:
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
    notes = book.notes(sub.index) if book.notes is not None else None
    if notes is not None:  # a note on an archived cell leaves the Leads sheet with its row (files.notes)
        label = report.lbl("cell_notes", lang)
        while label in out:
            label += " *"
        out[label] = notes
    return AppendRows(report.ARCHIVE_SHEET, pd.DataFrame(out, index=sub.index).reset_index(drop=True), formats)


def _numeric(s: pd.Series) -> bool:
    vals = s.dropna()
    return len(vals) > 0 and pd.to_numeric(vals, errors="coerce").notna().all()


def _problem_lines(book: LeadBook, problems: pd.DataFrame, limit: int = 50, shown: int = 3) -> list[str]:
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


# ---- run on a CRM export (docs/user-guide.md "From your CRM") -------------------------------


def is_export(path, preset: str | None = None) -> bool:
    """A `run` argument that is a CRM export rather than a pipeline workbook: a .csv (or .txt/.tsv)
    file, or any file given with --preset."""
    from salesbook.adapters.exports import CSV_SUFFIXES

    return preset is not None or Path(path).suffix.lower() in CSV_SUFFIXES


def run_export(path, *, preset: str | None = None, output=None, today: dt.date | None = None, only=None,
               settings=None, force: bool = False) -> Result:
    """`salesbook run EXPORT --output OUT`: grade a CRM export. OUT .xlsx: a new pipeline workbook
    (adapters/files/newbook.py) with everything run; OUT .csv: the export's rows with the output
    columns appended, in its encoding and delimiter. The export itself is never written."""
    from salesbook.adapters.exports import read_export
    from salesbook.rules.settings import Settings
    from salesbook.errors import Refusal

    path = Path(path)
    if output is None:
        raise Refusal(f"{path.name} is a CRM export: give --output graded.xlsx (a new pipeline workbook) or "
                      f"--output graded.csv (the export with the results appended). salesbook never writes into "
                      f"an export.", path=path)
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise Refusal(f"Cannot write {output.name}: the result of a run on an export is a new .xlsx workbook or a "
                      f".csv file. Give --output with one of these endings.", path=output)
    if output.resolve() == path.resolve():
        raise Refusal(f"{output.name} is the export itself: give another --output name; salesbook never writes "
                      f"into an export.", path=output)
    settings = settings or Settings()
    ex = read_export(path, settings=settings, preset=preset)
    lang = engine.language(settings, list(ex.headers.values()))
    from salesbook.adapters.files.safety import preflight_output

    preflight_output(output, force=force, needed=path.stat().st_size * 4)
    if suffix == ".csv":
        return _export_csv(ex, output, settings, today=today, only=only, lang=lang)
    return _export_book(ex, output, settings, today=today, only=only, lang=lang, force=force)


def _graded_frame(ex, lang: str = "en") -> pd.DataFrame:
    """The export's leads as the rules read them, under salesbook's headers; a mapped
    last-stage-change date stands in for a missing Stage Since, so days in stage count from the
    CRM's own date."""
    leads = ex.frame.copy()
    if ex.stage_changed is not None and "stage_since" not in leads.columns:
        leads["stage_since"] = ex.stage_changed.dt.strftime("%Y-%m-%d").astype("str")
    return leads.rename(columns={k: BY_KEY[k].header(lang) for k in leads.columns})


def _export_leads(ex, lang: str) -> pd.DataFrame:
    """The new book's Leads: the mapped columns, then the export's columns no salesbook column uses."""
    leads = _graded_frame(ex, lang)
    for name in ex.unmapped:
        if name in ex.raw.columns:
            label = name if match_headers([name]) == {} and name not in leads.columns else f"{name} (export)"
            leads[label] = ex.raw[name]
    return leads


def _export_book(ex, output: Path, settings, *, today, only, lang: str, force: bool) -> Result:
    import tempfile

    from salesbook.adapters.files.newbook import new_book

    with tempfile.TemporaryDirectory(prefix="salesbook-") as folder:
        plain = new_book(Path(folder) / output.name, _export_leads(ex, lang), settings, lang)
        result = run(plain, only=only, today=today, output=output, force=force)
    result.path = ex.path
    result.summary = f"{ex.path.name} ({len(ex.frame):,} rows): {result.summary}"
    return result


def _export_csv(ex, output: Path, settings, *, today, only, lang: str) -> Result:
    import csv

    from salesbook.adapters.files.safety import atomic_output

    ev = engine.evaluate(_graded_frame(ex, lang), settings, today=today, only=only, lang=lang)
    appended = {}
    for key in ev.written:
        col = BY_KEY[key]
        values = ev.outputs[key]
        if col.kind == DATE:
            text = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
        elif key == "score":
            text = pd.to_numeric(values).map(lambda v: "" if v != v else f"{v:g}")
        else:
            text = values.astype(object)
        appended[col.header(lang)] = text.astype(object).where(values.notna(), "")
    rows = ex.raw.astype(object).where(ex.raw.notna(), "")
    header = [str(h) for h in ex.raw.columns]
    out = pd.concat([rows.reset_index(drop=True), pd.DataFrame(appended).reset_index(drop=True)], axis=1)
    encoding = ex.encoding or "utf-8-sig"
    with atomic_output(output) as tmp:
        with open(tmp, "w", newline="", encoding=encoding, errors="strict") as fh:
            writer = csv.writer(fh, delimiter=ex.delimiter or ",")
            writer.writerow(header + list(appended))
            writer.writerows(out.itertuples(index=False, name=None))
    return Result(ex.path, f"{ex.path.name}: {ev.summary}", _exit_code(ev.problems), ev.problems, ev, output,
                  lines=_export_problem_lines(ex, ev.problems))


def _export_problem_lines(ex, problems: pd.DataFrame, limit: int = 50) -> list[str]:
    """Each distinct problem once with its count and first rows of the export: "… : 3 rows (deals.csv rows 4, 9, 12)"."""
    if problems is None or not len(problems):
        return []
    lines = []
    for message, group in problems.groupby("message", sort=False):
        rows = group["row"].drop_duplicates().tolist()
        shown = ", ".join(str(r) for r in rows[:3]) + (", …" if len(rows) > 3 else "")
        lines.append(f"{message}: {len(group):,} row{'s' if len(group) != 1 else ''} ({ex.where()} row{'s' if len(rows) != 1 else ''} {shown})")
        if len(lines) >= limit:
            break
    return lines


def settings_from(path) -> "Settings | None":
    """The Settings of another workbook (``--settings TEAM.xlsx``), read only through the file
    adapter; a missing or unreadable file is refused with a sentence. None for no path (the book's
    own Settings then)."""
    from salesbook.adapters.files.workbook import read_settings

    return read_settings(path) if path is not None else None


def use_settings(book: LeadBook, settings) -> None:
    """Read ``book`` under ``settings`` instead of its own Settings sheet (None: keep its own)."""
    if settings is not None:
        book.settings = settings
        book.language = engine.language(settings, list(book.loc.headers))


__all__ = ["settings_from", "use_settings", "run", "check", "archive", "run_export", "is_export", "run_on", "check_on",
           "archive_on", "Result", "EXIT_OK", "EXIT_ROW_PROBLEMS", "EXIT_REFUSED"]
