"""The ribbon's dispatcher: ``salesbook.ribbon.run('<button id>')``, called by the
workbook's VBA through xlwings' ``RunPython``.

Each command is the command line's service call (``service.run_on``, ``check_on``,
``archive_on``) over the open book (``adapters.excel.workbook.LiveWorkbook``): it reads the
workbook, computes everything, and only then writes.
It ends with a one-line summary in Excel's status bar, which is also returned. A refusal
or any error becomes one clear sentence in a message box — never a traceback.
"""

from __future__ import annotations

import logging
from typing import Callable

from salesbook.adapters.excel.layout import set_widths
from salesbook.adapters.excel.plan import LiveWriteError
from salesbook.adapters.excel.read import STATUS_PREFIX, find_sheet, status
from salesbook.adapters.excel.values import excel_value, safe_text
from salesbook.reports import sheets as report
from salesbook.commands import RIBBON_COMMANDS
from salesbook.errors import Refusal
from salesbook.rules.settings import SETTINGS_SHEET, SETTINGS_SHEET_NAMES
from salesbook.rules.settings_sheet import settings_rows

log = logging.getLogger(__name__)

TITLE = "Sales Pipeline"
from salesbook.vocabulary.names import HELP as HELP_SHEET, SHEET_NAMES
HELP_NAMES = SHEET_NAMES[HELP_SHEET]
NOTE_COL = 6  # 0-based column of the Settings notes (G), as in the shipped workbook

# The ribbon's button labels, for messages; what the status bar says while a command works on n leads.
from salesbook.vocabulary.help import RIBBON_LABELS as LABELS
from salesbook.vocabulary.words import WORKING


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def run(command: str, book=None) -> str:
    """Run one ribbon command on ``book`` (default: the workbook that called). Returns
    the one-line summary, or the message shown when the command could not run."""
    book = book or _caller()
    name = (command or "").strip().lower()
    handler = COMMANDS.get(name)
    if handler is None:
        known = ", ".join(RIBBON_COMMANDS)
        return _fail(book, f"Unknown command '{command}'. The Sales Pipeline buttons are: {known}. "
                           f"Update the salesbook package or the workbook so that they match.", name)
    try:
        summary = handler(book)
    except Refusal as exc:
        return _fail(book, exc.message, name)
    except LiveWriteError as exc:
        log.debug("ribbon command %s failed while writing", name, exc_info=True)
        return _fail(book, f"{LABELS[name]} stopped while writing {exc.step}: {_reason(exc.cause)}. "
                           f"Some results may already be written; fix the cause and run it again.", name)
    except Exception as exc:  # never a traceback for a sales rep
        log.debug("ribbon command %s failed", name, exc_info=True)
        return _fail(book, f"{LABELS[name]} could not run: {_reason(exc)}. Nothing was changed.", name)
    status(book, summary)
    return summary


def _reason(exc: BaseException) -> str:
    """One line saying why: Excel's own description for a COM error, else the message."""
    args = getattr(exc, "args", ())
    if len(args) >= 3 and isinstance(args[2], tuple) and len(args[2]) > 2 and isinstance(args[2][2], str):
        text = args[2][2]  # pywintypes.com_error: (hresult, text, (code, source, description, ...), arg)
    else:
        text = str(exc)
    text = (text.strip().splitlines() or [""])[0].strip().rstrip(".")
    return text or type(exc).__name__


def _fail(book, message: str, name: str) -> str:
    """Tell the user: a message box, and the status bar says the command failed."""
    label = LABELS.get(name, "The command")
    status(book, f"{STATUS_PREFIX}{label} failed — see the message.")
    try:
        book.app.alert(message, title=TITLE, mode="critical")
    except Exception:  # no message box on this engine: the status bar and return value remain
        log.debug("alert failed", exc_info=True)
    return message


# ---------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------

def _workbook(book, name: str, **options):
    """The open book behind the service's Workbook port, its progress in the status bar."""
    from salesbook.adapters.excel.workbook import LiveWorkbook

    return LiveWorkbook(book, working=WORKING[name], **options)


def _rules(book, name: str, only) -> str:
    """grade / followup / stale / funnel / runall: evaluate, then write the results."""
    from salesbook.service import run_on

    activate = report.FUNNEL_SHEET if name == "funnel" else None
    return run_on(_workbook(book, name, activate=activate), only=only).summary


def grade(book) -> str:
    return _rules(book, "grade", "grade")


def followup(book) -> str:
    return _rules(book, "followup", "followup")


def stale(book) -> str:
    return _rules(book, "stale", "stale")


def funnel(book) -> str:
    return _rules(book, "funnel", "funnel")


def runall(book) -> str:
    return _rules(book, "runall", None)


def check(book) -> str:
    """Check Data: every bad cell on the Check sheet, with its address."""
    from salesbook.service import check_on

    return check_on(_workbook(book, "check", activate=report.CHECK_SHEET)).summary


def archive(book) -> str:
    """Archive Stale: find the leads flagged stale now, show how many (and which) would move
    and ask OK/Cancel; on OK move them to the Archive sheet. Before anything is written the
    lead table is read again (``LiveWorkbook.commit``): if it changed meanwhile (on macOS Excel stays
    editable while Python works: a sort, an inserted row), nothing moves."""
    from salesbook.service import archive_on

    def ask(lb, rows) -> str | None:
        answer = confirm(book, archive_question(lb, rows))
        if answer == "ok":
            return None
        return ("Archive Stale cancelled: nothing was moved." if answer == "cancel" else
                "Archive Stale moved nothing: Excel gave no answer to its OK/Cancel question.")

    return archive_on(_workbook(book, "archive", confirm=ask)).summary


ARCHIVE_LISTED = 10  # Lead IDs named in the question; the rest are counted


def archive_question(lb, rows) -> str:
    """'Archive 12 stale leads to the Archive sheet?' with their Lead IDs (the first ten),
    in English and Chinese."""
    from salesbook.rules.schema import match_headers

    n = len(rows)
    at = match_headers(list(lb.loc.headers)).get("lead_id")
    first = list(rows)[:ARCHIVE_LISTED]
    ids = lb.leads.iloc[:, at].loc[first].tolist() if at is not None else [None] * len(first)
    names = [i if isinstance(i, str) and i else f"row {r}" for i, r in zip(ids, first)]
    more = f", … and {n - ARCHIVE_LISTED:,} more" if n > ARCHIVE_LISTED else ""
    lead_s = "lead" if n == 1 else "leads"
    return (f"Archive {n:,} stale {lead_s} to the Archive sheet?\n\n"
            f"Lead IDs: {', '.join(names)}{more}.\n\n"
            f"The rows move from '{lb.loc.sheet_name}' to Archive with today's date; every cell is kept.\n"
            f"把 {n:,} 条待清洗线索移到归档表（Archive）？整行保留并记录今天的日期。")


def confirm(book, question: str) -> str | None:
    """Ask OK/Cancel in a message box: 'ok', 'cancel', or None when the engine gives no
    answer (xlwings Server answers through a callback; a failing message box)."""
    try:
        answer = book.app.alert(question, title=TITLE, buttons="ok_cancel", mode="info")
    except Exception:
        log.debug("the archive question could not be shown", exc_info=True)
        return None
    return answer.lower() if isinstance(answer, str) else None


def settings(book) -> str:
    """Show the Settings sheet; create it with the default rules when it is missing."""
    sheet = find_sheet(book, SETTINGS_SHEET_NAMES)
    if sheet is None:
        grid = settings_grid()
        sheet = book.sheets.add(SETTINGS_SHEET, after=book.sheets[len(book.sheets) - 1])
        sheet.range((1, 1)).value = grid
        set_widths(book, sheet, {1: 34, 2: 18, 3: 14, 4: 14, 5: 14, 7: 70})
        made = " (created with the default rules)"
    else:
        made = ""
    sheet.activate()
    return f"Settings{made}: change the rules here, then run the commands again."


def settings_grid() -> list[list[object]]:
    """The default Settings sheet as one block of cells, laid out like the shipped
    workbook's: each block's title (its note in column G), its table, a blank line.
    ``settings_from_grid`` reads it back to the defaults."""
    width = NOTE_COL + 1
    grid: list[list[object]] = []
    for title, rows, note in settings_rows():
        grid.append([title] + [None] * (NOTE_COL - 1) + [note])
        for r in rows:
            grid.append([excel_value(v) for v in r] + [None] * (width - len(r)))
        grid.append([None] * width)
    return grid


from salesbook.vocabulary.help import help_lines
HELP_LINES = help_lines()  # the workbook's Help text, one line per cell of column A


def help(book) -> str:  # noqa: A001 - the ribbon button's id
    """Show the Help sheet; create a short one when it is missing."""
    sheet = find_sheet(book, HELP_NAMES)
    if sheet is None:
        sheet = book.sheets.add(HELP_SHEET, after=book.sheets[len(book.sheets) - 1])
        sheet.range((1, 1)).value = [[safe_text(line)] for line in HELP_LINES]
        title = sheet.range((1, 1))
        title.font.bold = True
        title.font.size = 14
    sheet.activate()
    return "Help: what each Sales Pipeline button does."


COMMANDS: dict[str, Callable[[object], str]] = {
    "grade": grade,
    "followup": followup,
    "stale": stale,
    "archive": archive,
    "funnel": funnel,
    "runall": runall,
    "check": check,
    "settings": settings,
    "help": help,
}

__all__ = ["run", "COMMANDS", "LABELS", "settings_grid"]
