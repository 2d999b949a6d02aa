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

from .errors import Refusal

EXAMPLES = {
    "run": "  salesbook run Pipeline.xlsx\n  salesbook run Pipeline.xlsm --only grade,followup --today 2026-11-20\n"
           "  salesbook run export.xlsx --output graded.xlsx",
    "check": "  salesbook check Pipeline.xlsx",
    "archive": "  salesbook archive Pipeline.xlsx --backup",
    "demo": "  salesbook demo\n  salesbook demo demo.xlsx --leads 5000 --language zh",
    "batch": "  salesbook batch exports/*.xlsx --workers 2\n  salesbook batch exports/ --only funnel",
}


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
    from .engine import parse_only

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
    wrapper = click.option("--debug", is_flag=True, hidden=True, help="Show a traceback on unexpected errors.")(wrapper)
    return wrapper


_today = click.option("--today", callback=_date, metavar="YYYY-MM-DD",
                      help="Run the rules as of this date (the Settings 'As of' date wins when set).")
_output = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                       help="Write the result here instead of updating the workbook in place.")
_backup = click.option("--backup", is_flag=True, help="Keep the previous version as NAME.bak.xlsx beside it.")
_force = click.option("--force", is_flag=True, help="Go on even though the workbook seems open in Excel.")
def _check_early(ctx, param, value):
    """Start checking the workbook's zip members while the rest of salesbook is imported; the
    command's own checks take the result over (salesbook.xlsx.safety.check_early)."""
    if value is not None:
        from .xlsx.safety import check_early

        check_early(value)
    return value


_book = click.argument("book", type=click.Path(path_type=Path), callback=_check_early)
_only_option = click.option("--only", metavar="LIST", callback=_only,
                            help="Comma-separated subset of grade,followup,stale,funnel.")


def _report(result, quiet: bool = False) -> None:
    for line in result.lines:
        click.echo(f"  {line}", err=True)
    where = f" → {result.output}" if result.output and result.output != result.path else ""
    click.secho(result.summary + where, fg="green" if result.exit_code == 0 else "yellow")
    sys.exit(result.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="salesbook")
def main() -> None:
    """Grade sales leads by BANT, schedule follow-ups, flag stale leads and refresh the
    funnel in an Excel workbook — the same commands as the Sales Pipeline ribbon."""


@main.command(epilog="Examples:\n\n" + EXAMPLES["run"])
@_book
@_only_option
@_today
@_output
@_backup
@_force
@_guard
def run(book, only, today, output, backup, force):
    """Run the rules on BOOK and write the results back (Run All).

    Writes Grade, Score, Grade Reason, Grade Change, Next Follow-up, Follow-up Status,
    Stale, Stale Reason in the Leads table, and the Funnel, Cleanse and History sheets.
    Nothing else in the workbook changes.
    """
    from . import service

    _report(service.run(book, only=only, today=today, output=output, backup=backup, force=force))


@main.command(epilog="Examples:\n\n" + EXAMPLES["check"])
@_book
@_today
@_output
@_backup
@_force
@_guard
def check(book, today, output, backup, force):
    """List every problem in the Leads table, on the Check sheet and here.

    Names the cell, the value and what is wrong (with the closest valid value).
    Exit code 1 when there are problems.
    """
    from . import service

    _report(service.check(book, today=today, output=output, backup=backup, force=force))


@main.command(epilog="Examples:\n\n" + EXAMPLES["archive"])
@_book
@_today
@_output
@_backup
@_force
@_guard
def archive(book, today, output, backup, force):
    """Move the leads flagged stale to the Archive sheet, with today's date.

    Every cell of those rows is kept on the Archive sheet; nothing is deleted.
    """
    from . import service

    _report(service.archive(book, today=today, output=output, backup=backup, force=force))


@main.command(epilog="Examples:\n\n" + EXAMPLES["demo"])
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path), default="salesbook-demo.xlsx")
@click.option("--leads", "n", default=200, show_default=True, help="How many sample leads.")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--seed", default=7, show_default=True, help="Random seed (the same seed gives the same book).")
@_today
@_guard
def demo(path, n, language, seed, today):
    """Write a realistic sample workbook, run everything on it and summarise."""
    from . import service
    from .template import write_sample_workbook

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


@main.command(epilog="Examples:\n\n" + EXAMPLES["batch"])
@click.argument("paths", nargs=-1, required=True)
@click.option("--workers", "-w", default=1, show_default=True, help="Workbooks processed in parallel (up to the CPU count).")
@_only_option
@_today
@_backup
@_force
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_guard
def batch(paths, workers, only, today, backup, force, no_progress):
    """Run the rules on many workbooks (files, folders or globs).

    Keeps going past a bad file, prints one summary, exits 2 if any file failed.
    """
    from .batch import run_batch

    results = run_batch(list(paths), workers=workers, only=only, today=today, force=force, backup=backup,
                        progress=not no_progress)
    failed = [r for r in results if not r.ok]
    flagged = [r for r in results if r.ok and r.exit_code == 1]
    for r in failed:
        click.secho(f"  FAILED {r.path}: {r.message}", fg="red", err=True)
    total = sum(r.seconds for r in results)
    click.secho(f"Processed {len(results) - len(failed):,} of {len(results):,} workbooks"
                f" ({len(flagged):,} with row problems, {len(failed):,} failed) in {total:,.1f} s of work.",
                fg="red" if failed else "green")
    sys.exit(2 if failed else (1 if flagged else 0))


def _register_optional() -> None:
    """Commands that live in their own modules (the workbook builder)."""
    try:
        from .build.cli import build_workbook_command
    except ImportError:  # the builder's optional dependencies are missing
        return
    main.add_command(build_workbook_command)


_register_optional()

if __name__ == "__main__":  # pragma: no cover
    main()
