"""Writing a command's results into an open workbook: the output columns of the lead table,
the report sheets (``layout``), the rows appended to History and Archive, and the archived
rows deleted.

Everything is planned (reads and checks only) before the first write. The one exception to
"independent of rows" is Archive: deleting rows costs one call per *run of contiguous rows*
(bottom-up), never one per row.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from salesbook import owned
from salesbook.adapters.excel import layout
from salesbook.adapters.excel.plan import LiveWriteError, Plan, _plan_mark, _set, _setter, owned_log
from salesbook.adapters.excel.read import LiveBook, LogSheet, _frame, _read_leads, _refuse_foreign, _values
from salesbook.adapters.excel.values import _runs, column_values, frame_grid, safe_text
from salesbook.errors import Refusal
from salesbook.reports.model import FORMATS, AppendRows, SheetModel, log_sheet_model
from salesbook.reports.sheets import HISTORY_SHEET, L as LABELS
from salesbook.rules.schema import BY_KEY, DATE, match_header, match_headers, norm


def write(book, lb: LiveBook, ev=None, *, sheets: list[SheetModel] | None = None,
          appends: list[AppendRows] | None = None, delete_rows: Iterable[int] = (),
          activate: str | None = None) -> int:
    """Write a command's results (``ev``: an Evaluation, or the service's ``Changes``):
    ``ev.written`` output columns, ``ev.sheets`` and
    ``ev.appends`` (plus any ``sheets``/``appends`` given), then delete ``delete_rows``
    (Excel rows of the lead table). Returns the number of write steps made.

    Everything is planned (and refused, if need be) before the first write."""
    plan = plan_write(book, lb, ev, sheets=sheets, appends=appends, delete_rows=delete_rows)
    return apply(book, plan, activate=activate)



def plan_write(book, lb: LiveBook, ev=None, *, sheets=None, appends=None, delete_rows=()) -> Plan:
    plan = Plan()
    all_sheets = list(ev.sheets if ev is not None else []) + list(sheets or [])
    all_appends = list(ev.appends if ev is not None else []) + list(appends or [])
    if ev is not None and ev.written:
        _plan_columns(plan, book, lb, ev)
    for model in all_sheets:
        layout._plan_sheet(plan, book, model)
    for rows in all_appends:
        _plan_append(plan, book, lb, rows)
    rows = sorted({int(r) for r in delete_rows})
    if rows:
        _plan_delete(plan, book, lb, rows)
        check_unchanged(book, lb, rows)
    return plan



def apply(book, plan: Plan, *, activate: str | None = None) -> int:
    """Run the planned writes with screen updating off (restored in ``finally``)."""
    if not plan.steps and activate is None:
        return 0
    app = book.app
    try:
        previous = app.screen_updating
    except Exception:  # the remote engine cannot read it back
        previous = True
    active = _active_sheet_name(book)
    app.screen_updating = False
    done = 0
    try:
        for step in plan.steps:
            try:
                step.run()
            except Refusal:
                raise
            except Exception as exc:
                raise LiveWriteError(step.label, exc) from exc
            done += 1
        target = activate or active  # sheets.add activates the new sheet: go back
        if target and target != _active_sheet_name(book):
            book.sheets[target].activate()
    finally:
        app.screen_updating = previous
    return done



def _active_sheet_name(book) -> str | None:
    try:
        return book.sheets.active.name
    except Exception:
        return None



def _plan_columns(plan: Plan, book, lb: LiveBook, ev) -> None:
    loc = lb.loc
    sheet = book.sheets[loc.sheet_name]
    found = match_headers(list(loc.headers))
    missing = [k for k in ev.written if k not in found]
    pos = {k: found[k] for k in ev.written if k in found}
    for i, k in enumerate(missing):
        pos[k] = len(loc.headers) + i
    if missing:
        _check_room(sheet, lb, len(missing), missing)
        _plan_new_columns(plan, book, sheet, lb, missing, ev.language)
    if loc.n_rows <= 0:
        return
    key_at = {p: k for k, p in pos.items()}
    outputs = ev.outputs.reindex(lb.leads.index)
    for run in _runs(list(pos.values())):
        keys = [key_at[p] for p in run]
        grid = frame_grid(outputs[keys])
        rng = sheet.range((loc.first_row, loc.first_col + run[0]), (loc.last_row, loc.first_col + run[-1]))
        for k in keys:  # formats first: a date column must not keep a Text format
            if BY_KEY[k].kind == DATE:
                c = loc.first_col + pos[k]
                col = sheet.range((loc.first_row, c), (loc.last_row, c))
                plan.add(f"the number format of column '{BY_KEY[k].en}' on sheet '{loc.sheet_name}'",
                         _setter(col, "number_format", FORMATS["date"]))
        names = ", ".join(BY_KEY[k].en for k in keys)
        plan.add(f"the column(s) {names} on sheet '{loc.sheet_name}'", _setter(rng, "value", grid))



def _check_room(sheet, lb: LiveBook, n: int, keys: list[str]) -> None:
    """The cells right of the table, where missing output columns go, must be empty."""
    loc = lb.loc
    bottom = max(loc.table_last_row or loc.last_row, loc.header_row)
    rng = sheet.range((loc.header_row, loc.last_col + 1), (bottom, loc.last_col + n))
    if any(v not in (None, "") for row in _values(rng) for v in row):
        names = ", ".join(f"'{BY_KEY[k].en}'" for k in keys)
        raise Refusal(f"Sheet '{loc.sheet_name}': the output column(s) {names} are missing and the cells right of "
                      f"the lead table ({rng.address.replace('$', '')}) are not empty. Add the columns to the table "
                      f"yourself or clear those cells, then run again.", sheet=loc.sheet_name)



def _plan_new_columns(plan: Plan, book, sheet, lb: LiveBook, keys: list[str], lang: str) -> None:
    """Grow the table to the right (one resize) and name the new columns (one write)."""
    loc = lb.loc
    first, last = loc.last_col + 1, loc.last_col + len(keys)
    headers = [[BY_KEY[k].header(lang) for k in keys]]
    if loc.table_name:
        table = sheet.tables[loc.table_name]
        bottom = max(loc.table_last_row or loc.last_row, loc.header_row + 1)  # a totals row stays inside
        whole = sheet.range((loc.header_row, loc.first_col), (bottom, last))
        plan.add(f"the size of table '{loc.table_name}'", lambda: table.resize(whole))
    head = sheet.range((loc.header_row, first), (loc.header_row, last))
    plan.add(f"the new column headers on sheet '{loc.sheet_name}'", _setter(head, "value", headers))



def _same_column(a: object, b: object) -> bool:
    """Header names that mean the same column: equal when folded, the same lead column
    in English and Chinese, or the same add-in label in either language."""
    na, nb = norm(a), norm(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    ka, kb = match_header(a), match_header(b)
    if ka is not None and ka == kb:
        return True
    return any({na, nb} <= {norm(en), norm(zh), norm(f"{en}{zh}")} for en, zh in LABELS.values())



def _plan_append(plan: Plan, book, lb: LiveBook, rows: AppendRows) -> None:
    if rows.name == HISTORY_SHEET and lb.history is not None:
        log = lb.history
        _refuse_foreign(book, owned.role_of(rows.name), log.name, [log.header])
    else:
        log = owned_log(book, rows.name)
    role = owned.role_of(rows.name)
    _plan_append_rows(plan, book, rows, log)
    if role is not None:
        _plan_mark(plan, book, role, log.name if log is not None else rows.name)



def _plan_append_rows(plan: Plan, book, rows: AppendRows, log: LogSheet | None) -> None:
    frame = rows.frame
    if log is None or not log.header:
        _plan_new_log(plan, book, rows, log)
        return
    header = list(log.header)
    position: dict[int, int] = {}  # frame column → sheet column (0-based)
    new_names: list[str] = []
    for j, name in enumerate(frame.columns):
        at = next((i for i, h in enumerate(header) if _same_column(h, name)), None)
        if at is None:
            at = len(header) + len(new_names)
            new_names.append(str(name))
        position[j] = at
    width = len(header) + len(new_names)
    cols = [column_values(frame.iloc[:, j]) for j in range(frame.shape[1])]
    grid = [[None] * width for _ in range(len(frame))]
    for j, values in enumerate(cols):
        at = position[j]
        for i, v in enumerate(values):
            grid[i][at] = v
    sheet_name = log.name

    def sheet():
        return book.sheets[sheet_name]

    if new_names:
        plan.add(f"the new headers of sheet '{sheet_name}'", lambda: _set(
            sheet().range((log.header_row, len(header) + 1)), "value", [[safe_text(n) for n in new_names]]))
    if not len(frame):
        return
    first, last = log.next_row, log.next_row + len(frame) - 1
    for j, name in enumerate(frame.columns):
        fmt = FORMATS.get(rows.formats.get(str(name), ""))
        if fmt:
            c = position[j] + 1
            plan.add(f"the number format of '{name}' on sheet '{sheet_name}'",
                     lambda c=c, f=fmt: _set(sheet().range((first, c), (last, c)), "number_format", f))
    plan.add(f"the rows appended to sheet '{sheet_name}'", lambda: _set(sheet().range((first, 1)), "value", grid))
    plan.add(f"the print area of sheet '{sheet_name}'", lambda: layout._extend_print_area(sheet(), last, width))



def _plan_new_log(plan: Plan, book, rows: AppendRows, log: LogSheet | None) -> None:
    """A log sheet that does not exist yet (or is empty): header and rows in one call."""
    name = log.name if log is not None else rows.name
    frame = rows.frame
    grid = [[safe_text(str(c)) for c in frame.columns]] + frame_grid(frame)

    def sheet():
        return book.sheets[name]

    if log is None:
        plan.add(f"the new sheet '{name}'", lambda: book.sheets.add(name, after=book.sheets[len(book.sheets) - 1]))
    for j, col in enumerate(frame.columns):
        fmt = FORMATS.get(rows.formats.get(str(col), ""))
        if fmt and len(frame):
            plan.add(f"the number format of '{col}' on sheet '{name}'",
                     lambda j=j, f=fmt: _set(sheet().range((2, j + 1), (len(frame) + 1, j + 1)), "number_format", f))
    plan.add(f"the rows of sheet '{name}'", lambda: _set(sheet().range((1, 1)), "value", grid))
    plan.add(f"the header of sheet '{name}'", lambda: _set(
        sheet().range((1, 1), (1, max(1, frame.shape[1]))).font, "bold", True))
    if log is None and frame.shape[1]:  # a sheet the add-in creates: laid out as the file adapter does
        model = log_sheet_model(rows)
        plan.add(f"the layout of sheet '{name}'", lambda: layout._lay_out_log(book, sheet(), model))



def check_unchanged(book, lb: LiveBook, rows: list[int]) -> None:
    """Rows are deleted by their numbers, so before any write the lead table is read again
    (one call, as at first) and must be where it was with the same Lead IDs on every row and
    the same cells on the rows to delete. On macOS Excel stays editable while Python works: a
    sort, an inserted or deleted row, an edit in between is refused here, before anything is
    written, rather than deleting the wrong leads."""
    loc, grid = _read_leads(book, lb.path)
    old = lb.loc
    sheet = old.sheet_name
    again = "Nothing was changed; run it again."
    if (loc.sheet_name, loc.header_row, loc.first_col, loc.last_row, list(loc.headers)) != \
            (old.sheet_name, old.header_row, old.first_col, old.last_row, list(old.headers)):
        raise Refusal(f"The lead table on sheet '{sheet}' changed while the add-in was working: it now has its header "
                      f"on row {loc.header_row} and its last lead on row {loc.last_row} (it had them on rows "
                      f"{old.header_row} and {old.last_row}; were rows inserted or deleted?). {again}",
                      path=lb.path, sheet=sheet)
    now = _frame(loc, grid)
    before, after = lb.leads.fillna("\0"), now.fillna("\0")  # missing cells compare equal
    at = match_headers(list(old.headers)).get("lead_id")
    if at is not None:
        moved = np.flatnonzero((before.iloc[:, at] != after.iloc[:, at]).to_numpy())
        if len(moved):
            r = int(before.index[moved[0]])
            was, now_id = lb.leads.iat[moved[0], at], now.iat[moved[0], at]
            raise Refusal(f"The leads on sheet '{sheet}' changed while the add-in was working: row {r} now holds "
                          f"{_lead(now_id)} where it read {_lead(was)} (was the table sorted, or a row inserted or "
                          f"deleted?). {again}", path=lb.path, sheet=sheet, row=r)
    diff = (before.loc[rows] != after.loc[rows]).to_numpy()
    if diff.any():
        i, j = (int(x[0]) for x in np.nonzero(diff))
        r = rows[i]
        who = f"{_lead(lb.leads.at[r, lb.leads.columns[at]])} on row {r}" if at is not None else f"row {r}"
        raise Refusal(f"The leads on sheet '{sheet}' changed while the add-in was working: {who} was edited "
                      f"(column '{old.headers[j]}'). {again}", path=lb.path, sheet=sheet, row=r,
                      column=old.headers[j])



def _lead(lead_id) -> str:
    return f"lead {lead_id}" if isinstance(lead_id, str) and lead_id else "no Lead ID"



def _plan_delete(plan: Plan, book, lb: LiveBook, rows: list[int]) -> None:
    """Delete the given Excel rows of the lead table: one ``delete(shift='up')`` per run
    of contiguous rows, bottom-up so the row numbers still to delete stay valid. Only
    the table's columns shift; cells beside the table stay where they are."""
    loc = lb.loc
    bad = [r for r in rows if not loc.first_row <= r <= loc.last_row]
    if bad:
        raise Refusal(f"Sheet '{loc.sheet_name}': row {bad[0]} is not a row of the lead table.", sheet=loc.sheet_name)
    sheet_name = loc.sheet_name
    for run in reversed(_runs(rows)):
        def delete(a=run[0], b=run[-1]):
            book.sheets[sheet_name].range((a, loc.first_col), (b, loc.last_col)).delete(shift="up")
        plan.add(f"the deletion of rows {run[0]}–{run[-1]} on sheet '{sheet_name}'", delete)


__all__ = ["write", "plan_write", "apply", "check_unchanged"]
