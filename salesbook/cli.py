"""The `salesbook` command line: translate arguments, call the service, print one line.

Exit codes: 0 done, 1 done but some rows have problems, 2 refused (nothing written).
"""

from __future__ import annotations

import datetime as dt
import sys
import traceback
from functools import wraps
from pathlib import Path

import click

from salesbook.errors import Refusal

EXAMPLES = {
    "run": ["salesbook run Pipeline.xlsx", "salesbook run Pipeline.xlsm --only grade,followup --today 2026-11-20",
            "salesbook run export.xlsx --output graded.xlsx --backup",
            "salesbook run deals.csv --preset hubspot --output graded.xlsx",
            "salesbook run deals.csv --preset pipedrive --output graded.csv",
            "salesbook run Pipeline.xlsx --settings Team.xlsx",
            "salesbook run Pipeline.xlsx --period 2026-Q4",
            "salesbook run Pipeline.xlsx --period last-30-days --today 2026-11-20"],
    "check": ["salesbook check Pipeline.xlsx", "salesbook check Pipeline.xlsx --settings Team.xlsx"],
    "archive": ["salesbook archive Pipeline.xlsx --dry-run", "salesbook archive Pipeline.xlsx --backup"],
    "demo": ["salesbook demo", "salesbook demo demo.xlsx --leads 5000 --language zh"],
    "batch": ["salesbook batch exports/ --workers 2", "salesbook batch 'exports/*.xlsx' --only funnel --backup"],
    "salesbook": ["salesbook demo", "salesbook run Pipeline.xlsx", "salesbook check Pipeline.xlsx",
                  "salesbook import deals.csv --into Pipeline.xlsx", "salesbook rollup reps/ --output TEAM.xlsx",
                  "salesbook excel new", "salesbook doctor",
                  "salesbook run --help"],
    "excel": ["salesbook excel new", "salesbook excel setup", "salesbook excel upgrade Old.xlsm"],
    "excel new": ["salesbook excel new", "salesbook excel new Pipeline.xlsm --language zh",
                  "salesbook excel new Demo.xlsm --sample", "salesbook excel new SalesPipeline.xlsm --force"],
    "excel setup": ["salesbook excel setup", "salesbook excel setup --check",
                    "salesbook excel setup --check Pipeline.xlsm"],
    "excel upgrade": ["salesbook excel upgrade Pipeline.xlsm", "salesbook excel upgrade Old.xlsm --output New.xlsm"],
    "doctor": ["salesbook doctor", "salesbook doctor Pipeline.xlsm"],
    "import": ["salesbook import deals.csv --into Pipeline.xlsx",
               "salesbook import week1.xlsx week2.xlsx --into Pipeline.xlsx --today 2026-11-20",
               "salesbook import deals.csv --into Pipeline.xlsx --dry-run",
               "salesbook import deals.csv --into Pipeline.xlsx --preset hubspot --write-settings",
               "salesbook import deals.csv --into Pipeline.xlsx --settings Team.xlsx --no-run"],
    "rollup": ["salesbook rollup team/ --output TEAM.xlsx",
               "salesbook rollup 'reps/*.xlsx' -o TEAM.xlsx --period 2026-Q4 --settings TEAM.xlsx --workers 2",
               "salesbook rollup //share/sales/reps/ -o TEAM.xlsx --scheduler tcp://10.0.0.5:8786"],
    "build-workbook": ["salesbook build-workbook", "salesbook build-workbook --out dist/SalesPipeline.xlsm",
                       "salesbook build-workbook --out SalesPipeline-zh.xlsm --language zh"],
}


def _epilog(command: str) -> str:
    """The examples one per line: click re-wraps help text unless a paragraph starts with \\b."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[command])


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2026-11-20") from None


def _only(ctx, param, value):
    if value is None:
        return None
    from salesbook.engine import parse_only

    try:
        parse_only(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _guard(fn):
    """Turn refusals and surprises into one clear line and an exit code, never a traceback."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        debug = kwargs.pop("debug", False)
        try:
            from salesbook.adapters.files import memory

            memory.use_system_allocator()  # this process only: freed memory can go back to the system between steps
            return fn(*args, **kwargs)
        except Refusal as exc:
            click.secho(f"Refused: {exc.message}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException:  # usage errors: click prints them with the usage line
            raise
        except KeyboardInterrupt:
            click.secho("Stopped. The workbook was not changed.", fg="yellow", err=True)
            sys.exit(130)
        except Exception as exc:
            if debug:
                traceback.print_exc()
            click.secho(f"Error: {type(exc).__name__}: {exc}. The workbook was not changed. "
                        "Run again with --debug for details and report it.", fg="red", err=True)
            sys.exit(2)
    wrapper = click.option("--debug", is_flag=True,
                           help="Also print the traceback of an unexpected error (for a bug report).")(wrapper)
    return wrapper


_today = click.option("--today", callback=_date, metavar="YYYY-MM-DD",
                      help="Run the rules as of this date (the Settings 'As of' date wins when set).")
_output = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                       help="Write the result here instead of updating the workbook in place.")
_backup = click.option("--backup", is_flag=True,
                       help="Keep the previous version beside it as NAME.bak.xlsx (NAME.bak.xlsm for a .xlsm).")
_force = click.option("--force", is_flag=True, help="Go on even though the workbook seems open in Excel.")
def _check_early(ctx, param, value):
    """Start checking the workbook's zip members while the rest of salesbook is imported; the
    command's own checks take the result over (salesbook.adapters.files.safety.check_early)."""
    if value is not None:
        from salesbook.adapters.files.safety import check_early

        check_early(value)
    return value


_settings = click.option("--settings", "settings_path", metavar="TEAM.xlsx",
                         type=click.Path(dir_okay=False, path_type=Path),
                         help="Take the Settings from this workbook's Settings sheet instead of BOOK's own.")
_book = click.argument("book", type=click.Path(path_type=Path), callback=_check_early)
_only_option = click.option("--only", metavar="LIST", callback=_only,
                            help="Comma-separated subset of grade,followup,stale,funnel.")


def _report(result, quiet: bool = False) -> None:
    for line in result.lines:
        click.echo(f"  {line}", err=True)
    where = f" → {result.output}" if result.output and result.output != result.path else ""
    click.secho(result.summary + where, fg="green" if result.exit_code == 0 else "yellow")
    sys.exit(result.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=_epilog("salesbook"))
@click.version_option(package_name="salesbook")
def main() -> None:
    """Grade sales leads by BANT, schedule follow-ups, flag stale leads and refresh the
    funnel in an Excel workbook — the same commands as the Sales Pipeline ribbon."""


@main.command(epilog=_epilog("run"))
@_book
@_only_option
@_today
@click.option("--period", metavar="P",
              help="Limit the funnel to the leads created in a month (2026-11), a quarter (2026-Q4), a year (2026) "
                   "or the last N days (last-30-days). Default: every lead.")
@_output
@_backup
@_force
@click.option("--preset", metavar="CRM", help="BOOK is a CRM export in this CRM's layout: hubspot, salesforce, "
              "pipedrive or zoho (a .csv BOOK is always read as an export). Needs --output.")
@_settings
@_guard
def run(book, only, today, period, output, backup, force, preset, settings_path):
    """Run the rules on BOOK and write the results back (Run All).

    Writes Grade, Score, Grade Reason, Grade Change, Next Follow-up, Follow-up Status,
    Stale, Stale Reason in the Leads table, and the Funnel, Cleanse and History sheets.
    Nothing else in the workbook changes. --period limits only the funnel's tables;
    grades, follow-ups, stale flags, the forecast and the targets cover every lead.

    A CRM export (.csv, or any BOOK with --preset) is never written: --output
    graded.xlsx makes a new pipeline workbook from it, --output graded.csv writes
    its rows with the output columns appended.
    """
    from salesbook import service

    if service.is_export(book, preset):
        team = service.settings_from(settings_path)
        _report(service.run_export(book, preset=preset, output=output, today=today, only=only, force=force,
                                   settings=team))
    _report(service.run(book, only=only, today=today, output=output, backup=backup, force=force,
                        settings=settings_path, period=period))


@main.command(epilog=_epilog("check"))
@_book
@_today
@_output
@_backup
@_force
@_settings
@_guard
def check(book, today, output, backup, force, settings_path):
    """List every problem in the Leads table, on the Check sheet and here.

    Names the cell, the value and what is wrong (with the closest valid value).
    Exit code 1 when there are problems.
    """
    from salesbook import service

    _report(service.check(book, today=today, output=output, backup=backup, force=force, settings=settings_path))


@main.command(epilog=_epilog("archive"))
@_book
@_today
@_output
@_backup
@_force
@click.option("--dry-run", is_flag=True,
              help="Only list the leads that would move (Lead ID, row, Stale Reason); write nothing.")
@_guard
def archive(book, today, output, backup, force, dry_run):
    """Move the leads flagged stale to the Archive sheet, with today's date.

    Every cell of those rows is kept on the Archive sheet; nothing is deleted.
    With --dry-run, lists them and leaves the workbook as it is.
    """
    from salesbook import service

    _report(service.archive(book, today=today, output=output, backup=backup, force=force, dry_run=dry_run))


@main.command(epilog=_epilog("demo"))
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path), default="salesbook-demo.xlsx")
@click.option("--leads", "n", default=200, show_default=True, help="How many sample leads.")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--seed", default=7, show_default=True, help="Random seed (the same seed gives the same book).")
@_today
@_guard
def demo(path, n, language, seed, today):
    """Write a realistic sample workbook, run everything on it and summarise."""
    from salesbook import service
    from salesbook.builder.template import write_sample_workbook

    day = today or dt.date.today()
    write_sample_workbook(path, n, seed=seed, today=day, language=language)
    result = service.run(path, today=day)
    k = result.evaluation.report.kpis if result.evaluation and result.evaluation.report else {}
    click.echo(f"Wrote {path} with {n:,} sample leads.")
    if k:
        win = f"{k['win_rate']:.0%}" if k.get("win_rate") is not None else "n/a"
        click.echo(f"  Open {k['open']:,} · pipeline {k['pipeline']:,.0f} · weighted {k['weighted']:,.0f} · "
                   f"win rate {win} · bottleneck {k.get('bottleneck') or '—'}")
    click.echo("  Open it in Excel or LibreOffice: Leads, Funnel, Cleanse and History are filled in.")
    _report(result)


@main.command(epilog=_epilog("batch"))
@click.argument("paths", nargs=-1, required=True)
@click.option("--workers", "-w", default=1, show_default=True, help="Workbooks processed in parallel (up to the CPU count).")
@_only_option
@_today
@_backup
@_force
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--settings", "settings_book", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Use this workbook's Settings (e.g. the team's TEAM.xlsx) for every book instead of each book's own.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on an existing Dask cluster (tcp://host:8786); its workers must see the files' paths.")
@_guard
def batch(paths, workers, only, today, backup, force, no_progress, settings_book=None, scheduler=None):
    """Run the rules on many workbooks (files, folders or globs).

    Keeps going past a bad file, prints one summary with the wall time.

    Never takes backups (*.bak.xlsx, *.bak.xlsm), lock files (~$*, .~lock.*#)
    or salesbook's temporary files as inputs, however they are named.

    Exit code 0 all done, 1 some rows have problems, 2 a file failed or no
    workbook was found.
    """
    import time

    from salesbook.batch import run_batch

    t0, c0 = time.perf_counter(), time.process_time()
    files = _books(paths, "process", "batch")
    from salesbook.service import settings_from

    team = settings_from(settings_book)  # read once here, sent to every worker
    results = run_batch(files, workers=workers, only=only, today=today, force=force, backup=backup,
                        progress=not no_progress, scheduler=scheduler, settings=team, echo=_stderr)
    failed = [r for r in results if not r.ok]
    flagged = [r for r in results if r.ok and r.exit_code == 1]
    for r in failed:
        click.secho(f"  FAILED {r.path}: {r.message}", fg="red", err=True)
    wall = time.perf_counter() - t0
    from salesbook.team.cluster import in_process

    remote = not in_process(len(files), workers, scheduler)
    cpu = time.process_time() - c0 + (sum(r.cpu_seconds for r in results) if remote else 0.0)
    click.secho(f"Processed {len(results) - len(failed):,} of {len(results):,} workbooks"
                f" ({len(flagged):,} with row problems, {len(failed):,} failed) in {wall:,.1f} s"
                f" (CPU time {cpu:,.1f} s).", fg="red" if failed else "green")
    sys.exit(2 if failed else (1 if flagged else 0))


@main.command("import", epilog=_epilog("import"))
@click.argument("exports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="BOOK",
              help="The pipeline workbook to merge into (a new .xlsx is created when it does not exist).")
@click.option("--preset", metavar="NAME", help="The CRM's export layout: hubspot, salesforce, pipedrive or zoho.")
@click.option("--dry-run", is_flag=True, help="Only print the counts and the first changes; write nothing.")
@click.option("--no-run", is_flag=True, help="Merge only; do not Run All afterwards.")
@click.option("--write-settings", is_flag=True,
              help="With --preset: write the preset's mapping into BOOK's Settings (Import columns, Import values); "
                   "lines already there are kept.")
@_today
@_settings
@_backup
@_force
@_guard
def import_command(exports, into, preset, dry_run, no_run, write_settings, today, settings_path, backup, force):
    """Merge CRM exports (.xlsx, .xlsm, .csv) into BOOK by Lead ID, then Run All.

    New Lead IDs are added below the lead table; known ones get their mapped input
    columns updated (nothing else in the row changes); leads missing from the export
    are kept and counted. A stage change adds a History row and sets Stage Since.
    Several exports are imported in order. Importing the same export twice changes
    nothing the second time.
    """
    from salesbook import importing

    if write_settings and not preset:
        raise click.UsageError("--write-settings needs --preset NAME (the mapping to write).")
    _report(importing.import_files(exports, into, preset=preset, dry_run=dry_run, run_after=not no_run, today=today,
                                   settings_path=settings_path, backup=backup, force=force,
                                   write_settings=write_settings))
def _stderr(line: str) -> None:
    click.echo(line, err=True)


def _books(paths, verb: str, command: str) -> list[str]:
    """The workbooks ``paths`` name (salesbook.batch.select: files, folders, globs; never backups,
    lock files or salesbook's temporary files), the skipped ones said on stderr; none is a Refusal."""
    from salesbook.batch import select, skipped_summary

    files, skipped = select(list(paths))
    if skipped:
        click.echo(skipped_summary(skipped), err=True)
    if not files:
        raise Refusal(f"No workbook to {verb} in {', '.join(repr(p) for p in paths)}: {command} takes the .xlsx and "
                      ".xlsm files of folders, globs or file names, never backups (*.bak.xlsx, *.bak.xlsm), "
                      "lock files (~$*) or salesbook's temporary files.")
    return files


@main.command(epilog=_epilog("rollup"))
@click.argument("paths", nargs=-1, required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The team workbook (TEAM.xlsx): created, or only its report sheets replaced.")
@click.option("--period", metavar="PERIOD", default=None,
              help="Funnel of the leads created in 2026-11, 2026-Q4, 2026 or last-30-days; also the movement's "
                   "period (default: every lead; movement: this month).")
@click.option("--settings", "settings_book", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The team's Settings (stages, targets) from this workbook, e.g. TEAM.xlsx; default: each "
                   "book's own.")
@click.option("--workers", "-w", default=1, show_default=True, help="Local Dask worker processes.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on an existing Dask cluster (tcp://host:8786); its workers must see the files' paths.")
@_today
@_force
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_guard
def rollup(paths, output, period, settings_book, workers, scheduler, today, force, no_progress):
    """Build one team report from many reps' workbooks (files, folders or globs).

    Writes the Team Funnel, Team Cleanse, Targets, Forecast and Movement sheets into
    OUTPUT; nothing else in it changes, and no rep's workbook is written. A bad
    workbook is listed with its reason and never stops the others.

    Exit code 0 all books included, 2 a book failed or no workbook was found.
    """
    from salesbook.service import settings_from
    from salesbook.team.rollup import rollup as run_rollup

    files = _books(paths, "roll up", "rollup")
    result = run_rollup(files, output, settings=settings_from(settings_book), today=today, period=period,
                        workers=workers, scheduler=scheduler, progress=not no_progress, force=force, echo=_stderr)
    for book, reason in result.figures.failed:
        click.secho(f"  FAILED {book}: {reason}", fg="red", err=True)
    click.secho(result.summary, fg="red" if result.exit_code else "green")
    sys.exit(result.exit_code)


@main.command("build-workbook", epilog=_epilog("build-workbook"))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The .xlsm file to write (replaced atomically). Default: workbook/SalesPipeline.xlsm in a "
                   "salesbook source checkout (the current folder holds pyproject.toml and salesbook/builder/macros/), "
                   "else SalesPipeline.xlsm in the current folder.")
@click.option("--macros", "macros", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder with the VBA modules (*.bas, *.cls) and the ribbon XML. "
                   "Default: the sources installed with salesbook (salesbook/builder/macros/).")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="The sample's Leads headers and values and the ribbon's labels: English or Chinese.")
def build_workbook_command(out: Path | None, macros: Path | None, language: str = "en") -> None:
    """Build the workbook: sheets, VBA project (with xlwings) and ribbon, byte-reproducibly."""
    # The builder is imported here only: run, check and archive never load it (nor XlsxWriter).
    try:
        from salesbook.builder.shipped import build_shipped_workbook, default_out

        path = build_shipped_workbook(out or default_out(), macros_dir=macros, language=language)
    except ImportError as exc:
        raise click.ClickException(f"{exc.name or exc} is needed to build the workbook: pip install xlsxwriter") from exc
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {path} ({path.stat().st_size:,} bytes)")



# ---------------------------------------------------------------------------
# Setting up a rep's machine: salesbook excel new / setup / upgrade, salesbook doctor (salesbook.deploy)
# ---------------------------------------------------------------------------


@main.group(epilog=_epilog("excel"))
def excel() -> None:
    """Set up Excel for salesbook: a new workbook, this machine's xlwings config, upgrades."""


def _checks_report(book: Path | None) -> None:
    from salesbook.deploy import doctor

    found = doctor.checks(book=book)
    for check in found:
        click.echo(check.line())
    problems = sum(c.ok is False for c in found)
    if problems:
        click.secho(f"{problems} problem{'s' if problems != 1 else ''} found; nothing was changed.", fg="yellow")
    else:
        click.secho("No problems found; nothing was changed.", fg="green")
    sys.exit(1 if problems else 0)


_workbook_to_check = click.argument("book", required=False, type=click.Path(dir_okay=False, path_type=Path))


@excel.command("new", epilog=_epilog("excel new"))
@click.argument("path", required=False, type=click.Path(path_type=Path), default="SalesPipeline.xlsm")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="The Leads headers, drop-down values and ribbon labels: English or Chinese.")
@click.option("--sample", is_flag=True, help="With 200 graded sample leads and their History (the demo).")
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@_guard
def excel_new(path, language, sample, force):
    """Write a ready workbook: ribbon, VBA, Settings, every sheet and an empty Leads table.

    No sample rows and no History unless --sample. An existing file is left as it is
    unless --force (exit code 2).
    """
    from salesbook.builder.shipped import SAMPLE_LEADS
    from salesbook.deploy.excel_new import new_workbook
    from salesbook.vocabulary.words import DEPLOY, say

    written = new_workbook(path, language=language, sample=sample, force=force)
    what = say(DEPLOY, "new.sample", n=SAMPLE_LEADS) if sample else say(DEPLOY, "new.clean")
    click.secho(say(DEPLOY, "new.wrote", path=written, what=what, language=language), fg="green")


@excel.command("setup", epilog=_epilog("excel setup"))
@_workbook_to_check
@click.option("--check", is_flag=True, help="Change nothing: report each problem found, with its fix (exit code 1).")
@_guard
def excel_setup(book, check):
    """Configure this machine so that the workbook's buttons start this Python.

    Writes the xlwings user config (the interpreter = this Python, PYTHONPATH only if
    needed, ADD_WORKBOOK_TO_PYTHONPATH=False), keeping its other keys; on macOS installs
    xlwings' RunPython script; checks that the xlwings package and the workbook's VBA
    module are the same release. Running it again changes nothing. With BOOK, also
    checks that workbook's VBA module and path.
    """
    if check:
        _checks_report(book)
    from salesbook.deploy import doctor, machine

    done = machine.configure()
    for line in done.lines:
        click.echo(line)
    problems = done.problems
    if book is not None:
        for item in doctor.checks(book=book):
            if item.ok is False:
                click.echo(item.line())
                problems += 1
    sys.exit(1 if problems else 0)


@excel.command("upgrade", epilog=_epilog("excel upgrade"))
@click.argument("book", type=click.Path(path_type=Path))
@_output
@_force
@_guard
def excel_upgrade(book, output, force):
    """Move BOOK to this version: its VBA project, ribbon and Help sheet are replaced.

    Every lead, Settings value, History and Archive row, your own sheets, styles and
    names stay exactly as they are. Without --output the workbook is upgraded in
    place, all or nothing. A workbook that is not salesbook's is refused (exit code 2).
    """
    from salesbook.deploy.upgrade import upgrade_workbook

    done = upgrade_workbook(book, output, force=force)
    for note in done.notes:
        click.echo(f"  {note}", err=True)
    click.secho(done.summary, fg="green")


@main.command("doctor", epilog=_epilog("doctor"))
@_workbook_to_check
@_guard
def doctor_command(book):
    """Check this machine's Excel set-up and change nothing (salesbook excel setup --check).

    Each problem comes with its fix in one sentence. Exit code 0 when all is well, 1 when
    a problem was found.
    """
    _checks_report(book)


def entry() -> None:
    """The `salesbook` console script: ``main``, then an exit without the interpreter's teardown.

    A 100,000-lead run leaves a few hundred MB of pandas and Arrow objects, which Python would free
    one by one, then finalise every module: about 0.1 s that a user waits for nothing. By then the
    work is done (every command writes and closes its files inside ``with`` blocks), so once the
    atexit handlers have run (temporary files, Dask, logging) and stdout and stderr are flushed, the
    process ends with ``os._exit`` and the command's exit code. Tests call ``main`` (CliRunner)."""
    import atexit
    import logging
    import os

    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):  # sys.exit("message")
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach it
            pass
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    entry()
