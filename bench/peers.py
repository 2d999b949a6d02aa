"""The peers `salesbook run` is measured against, each runnable in its own process.

    python bench/peers.py openpyxl_script  BOOK [--today YYYY-MM-DD]
    python bench/peers.py pandas_openpyxl  BOOK [--today YYYY-MM-DD]
    python bench/peers.py fastexcel_floor  BOOK

- ``openpyxl_script``: what a competent analyst writes by hand with openpyxl: load the
  workbook, loop over the rows, compute grade / score / follow-up / stale with the default
  rules of docs/spec.md §2 (simplified where the full rules would be unreasonable for a hand
  script; each simplification is marked SIMPLIFIED below), write the 8 output cells per row,
  a Cleanse list, a small Funnel table and the History rows, save in place.
- ``pandas_openpyxl``: ``pd.read_excel(engine="openpyxl", keep_default_na=False)``, then
  ``salesbook.engine.evaluate`` (so only the I/O differs from salesbook), then openpyxl
  load + set cells + save. Also the "simple path" of ``tests/test_bench_equivalence.py``
  (there with ``dtype=str``).
- ``fastexcel_floor``: fastexcel reading the Leads sheet into pandas, nothing else — the
  read-only floor no full run can beat.

Each one updates BOOK in place, like ``salesbook run BOOK``; the benchmark gives each run
a fresh copy. All three print one line (a summary) so that a run can be sanity-checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import sys

TODAY = dt.date(2026, 11, 18)
OUTPUT_KEYS = ("grade", "score", "grade_reason", "grade_change", "next_followup", "followup_status", "stale",
               "stale_reason")


# ---------------------------------------------------------------------------
# (a) A plain openpyxl script
# ---------------------------------------------------------------------------

# The defaults of docs/spec.md §2, typed in as an analyst would.
BUDGET = {"Confirmed": 3, "Pending": 2, "Unknown": 1, "None": 0}
AUTHORITY = {"Decision maker": 3, "Influencer": 2, "User": 1, "Unknown": 0}
NEED = {"Clear": 3, "Identified": 2, "Vague": 1, "Mismatch": 0}
TIMELINE = {"≤3 months": 3, "3-6 months": 2, "6-12 months": 1, ">12 months": 0, "Unknown": 0}
STAGES = ["Prospecting", "Qualification", "Initial Contact", "Needs Assessment", "Proposal", "Negotiation",
          "Closed Won", "Closed Lost"]
STAGE_LIMIT = {"Prospecting": 14, "Qualification": 14, "Initial Contact": 21, "Needs Assessment": 21,
               "Proposal": 30, "Negotiation": 30}
PROBABILITY = {"Prospecting": 0.05, "Qualification": 0.10, "Initial Contact": 0.20, "Needs Assessment": 0.35,
               "Proposal": 0.55, "Negotiation": 0.75, "Closed Won": 1.0, "Closed Lost": 0.0}
OPEN_INTERVAL = {"A": 3, "B": 7, "C": 30}
WON_INTERVAL = {"A": 30, "B": 90, "C": 180}
OUTPUT_HEADERS = ["Grade", "Score", "Grade Reason", "Grade Change", "Next Follow-up", "Follow-up Status", "Stale",
                  "Stale Reason"]
NO_DIGITS = re.compile(r"\D+")


def _as_date(v):
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and v.strip():
        try:
            return dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            return None
    return None


def _text(v) -> str:
    return "" if v is None else str(v).strip()


def openpyxl_script(path: str, today: dt.date = TODAY) -> str:
    import openpyxl

    keep_vba = str(path).lower().endswith(".xlsm")
    wb = openpyxl.load_workbook(path, keep_vba=keep_vba)
    ws = wb["Leads"]
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header) if h}
    for h in OUTPUT_HEADERS:  # SIMPLIFIED: a missing output column is appended, the table's ref is not widened
        if h not in col:
            col[h] = len(header)
            ws.cell(1, len(header) + 1, h)
            header.append(h)

    # History so far: the last stage logged per lead.
    hist = wb["History"] if "History" in wb.sheetnames else wb.create_sheet("History")
    if hist.max_row == 1 and hist.cell(1, 1).value is None:
        hist.append(["Lead ID", "From", "To", "Date"])
    last_logged = {}
    for r in hist.iter_rows(min_row=2, values_only=True):
        if r and r[0]:
            last_logged[r[0]] = r[2]

    def get(row, name):
        i = col.get(name)
        return row[i].value if i is not None and i < len(row) else None

    seen_email, seen_phone, seen_person = {}, {}, {}
    flagged, new_history = [], []
    stage_count = {s: 0 for s in STAGES}
    stage_value = {s: 0.0 for s in STAGES}
    grades = {"A": 0, "B": 0, "C": 0, "D": 0}
    n = 0
    out_col = [col[h] + 1 for h in OUTPUT_HEADERS]
    for row in ws.iter_rows(min_row=2, max_col=len(header)):
        lead_id = _text(get(row, "Lead ID"))
        stage = _text(get(row, "Stage"))
        if not lead_id and not stage:
            continue
        n += 1
        r = row[0].row
        budget = _text(get(row, "Budget")) or "Unknown"
        authority = _text(get(row, "Authority")) or "Unknown"
        need = _text(get(row, "Need")) or "Vague"
        timeline = get(row, "Timeline")
        tl_date = _as_date(timeline)
        if tl_date is not None:
            days = (tl_date - today).days
            t = 3 if days <= 92 else 2 if days <= 183 else 1 if days <= 365 else 0
        else:
            t = TIMELINE.get(_text(timeline) or "Unknown", 0)
        b, a, nd = BUDGET.get(budget, 1), AUTHORITY.get(authority, 0), NEED.get(need, 1)
        score = round(100 * 0.25 * (b + a + nd + t) / 3)  # Balanced weights
        if need == "Mismatch":
            grade = "D"
        elif budget == "Confirmed" and authority == "Decision maker" and t == 3:
            grade = "A"
        elif need == "Clear":
            grade = "B"
        else:
            grade = "C"
        grades[grade] += 1
        # SIMPLIFIED: the reason lists the four answers, not the "what is missing" wording.
        reason = f"{grade}: budget {budget.lower()}; {authority.lower()}; need {need.lower()}; timeline points {t}"
        previous = _text(get(row, "Grade"))
        change = f"{previous}→{grade}" if previous and previous != grade else None

        created = _as_date(get(row, "Created"))
        last = _as_date(get(row, "Last Contact")) or created
        scheduled = _as_date(get(row, "Scheduled"))
        snooze = _as_date(get(row, "Snooze Until"))
        since = _as_date(get(row, "Stage Since")) or created
        interval = None
        if stage == "Closed Won":
            interval = WON_INTERVAL.get(grade)
        elif stage != "Closed Lost":
            interval = OPEN_INTERVAL.get(grade)
        due = None
        if interval is not None and last is not None:
            due = last + dt.timedelta(days=interval)
            while due.weekday() >= 5:  # SIMPLIFIED: weekends only, no holiday list
                due += dt.timedelta(days=1)
        if scheduled is not None and scheduled >= today and interval is not None:  # a booked contact wins (D, Lost: none)
            due = scheduled
        if due is None:
            status = None
        elif due < today:
            status = "Overdue"
        elif due == today:
            status = "Due today"
        elif (due - today).days <= 7:
            status = "This week"
        else:
            status = "Later"

        # Duplicates: the first row with the same email, phone or company + contact.
        email = _text(get(row, "Email")).lower().replace(" ", "")
        phone = NO_DIGITS.sub("", _text(get(row, "Phone")))
        person = (_text(get(row, "Company")).lower(), _text(get(row, "Contact")).lower())
        dup = None
        if "@" in email:
            dup = dup or seen_email.get(email)
            seen_email.setdefault(email, lead_id)
        if len(phone) >= 7:
            dup = dup or seen_phone.get(phone[-11:])
            seen_phone.setdefault(phone[-11:], lead_id)
        if person[0] and person[1]:
            dup = dup or seen_person.get(person)
            seen_person.setdefault(person, lead_id)

        reasons = []
        closed = stage in ("Closed Won", "Closed Lost")
        if not closed and not (snooze is not None and snooze >= today):
            suspended = scheduled is not None and scheduled >= today
            unanswered = get(row, "Unanswered")
            if isinstance(unanswered, (int, float)) and unanswered >= 3:
                reasons.append(f"{int(unanswered)} consecutive contacts without response")
            if need == "Mismatch":
                reasons.append("need does not match our offer")
            if not suspended and last is not None and (today - last).days > 60:
                reasons.append(f"no contact for {(today - last).days} days")
            # SIMPLIFIED: days in stage from Stage Since else Created (History is not consulted).
            limit = STAGE_LIMIT.get(stage)
            if not suspended and limit is not None and since is not None and (today - since).days > limit:
                reasons.append(f"stuck in {stage} for {(today - since).days} days (limit {limit})")
            if dup and dup != lead_id:
                reasons.append(f"duplicate of {dup}")
        stale = "Yes" if reasons else None
        stale_reason = "; ".join(reasons) if reasons else None

        values = (grade, score, reason, change, due, status, stale, stale_reason)
        for c, v in zip(out_col, values):
            cell = ws.cell(r, c)
            cell.value = v
            if isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
        if stale:
            flagged.append((r, lead_id, get(row, "Company"), get(row, "Owner"), stage, grade, stale_reason))
        if stage in stage_count:
            stage_count[stage] += 1
            value = get(row, "Deal Value")
            stage_value[stage] += value if isinstance(value, (int, float)) and not math.isnan(value) else 0.0
        if lead_id and stage and last_logged.get(lead_id) != stage:
            new_history.append([lead_id, last_logged.get(lead_id) or "", stage, dt.datetime.combine(today, dt.time())])
            last_logged[lead_id] = stage

    # Cleanse: the flagged leads.
    if "Cleanse" in wb.sheetnames:
        del wb["Cleanse"]
    cl = wb.create_sheet("Cleanse")
    cl.append(["Row", "Lead ID", "Company", "Owner", "Stage", "Grade", "Stale Reason"])
    for item in flagged:
        cl.append(list(item))
    # Funnel: count, value, weighted value, reached and conversion per stage.
    # SIMPLIFIED: reached from the current stage only (no Lost At Stage, no History), no
    # per-owner/per-source tables, no KPIs beyond the win rate, no chart.
    if "Funnel" in wb.sheetnames:
        del wb["Funnel"]
    fu = wb.create_sheet("Funnel")
    fu.append(["Stage", "In stage", "Value", "Weighted", "Reached", "Conversion to next"])
    open_stages = STAGES[:6]
    reached = {}
    for i, s in enumerate(open_stages):
        reached[s] = sum(stage_count[x] for x in open_stages[i:]) + stage_count["Closed Won"]
    for i, s in enumerate(open_stages):
        nxt = reached[open_stages[i + 1]] if i + 1 < len(open_stages) else stage_count["Closed Won"]
        fu.append([s, stage_count[s], stage_value[s], stage_value[s] * PROBABILITY[s], reached[s],
                   nxt / reached[s] if reached[s] else None])
    won, lost = stage_count["Closed Won"], stage_count["Closed Lost"]
    fu.append(["Win rate", won / (won + lost) if won + lost else None])
    start = hist.max_row + 1  # once: max_row scans every cell of the sheet
    for i, h in enumerate(new_history):
        for j, v in enumerate(h, start=1):
            hist.cell(start + i, j, v)
        hist.cell(start + i, 4).number_format = "yyyy-mm-dd"
    wb.save(path)
    return f"openpyxl_script: graded {n:,} leads: " + " · ".join(f"{v:,} {k}" for k, v in grades.items()) + \
           f"; {len(flagged):,} stale; {len(new_history):,} History rows"


# ---------------------------------------------------------------------------
# (b) pandas + openpyxl around salesbook's own rules (the "simple path")
# ---------------------------------------------------------------------------

def _cell_value(v):
    """A pandas/numpy value as openpyxl takes it: None for blanks, datetime for dates."""
    import numpy as np
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v).to_pydatetime()
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if math.isnan(v) else float(v)
    return v


def _put(ws, row: int, col: int, value, number_format: str | None = None) -> None:
    cell = ws.cell(row, col)
    cell.value = _cell_value(value)
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"  # a text, never a formula
    if number_format and cell.value is not None:
        cell.number_format = number_format


def _grid(frame) -> list[list[object]]:
    """A header=None frame as the grid ``settings_from_grid`` / ``history_from_grid`` read:
    None for blanks, whole floats as int, trailing blanks trimmed."""
    out = []
    for row in frame.itertuples(index=False):
        vals = []
        for v in row:
            v = _cell_value(v)
            if v == "":
                v = None
            elif isinstance(v, float) and v.is_integer():
                v = int(v)
            vals.append(v)
        while vals and vals[-1] is None:
            vals.pop()
        out.append(vals)
    while out and not out[-1]:
        out.pop()
    return out


def _render_model(wb, model) -> None:
    """A salesbook SheetModel as plain values (titles, headers, data, notes); no chart."""
    from salesbook.reports.model import FORMATS

    index = wb.sheetnames.index(model.name) if model.name in wb.sheetnames else None
    if index is not None:
        del wb[model.name]
    ws = wb.create_sheet(model.name, index)
    for r, c, text in model.notes:
        _put(ws, r, c, text)
    for block in model.blocks:
        r = block.row
        if block.title:
            _put(ws, r, block.col, block.title)
            r += 1
        if block.header:
            for j, name in enumerate(block.frame.columns):
                _put(ws, r, block.col + j, str(name))
            r += 1
        columns = list(block.frame.columns)
        fmts = [FORMATS.get(block.formats.get(str(c), ""), None) for c in columns]
        for i, row in enumerate(block.frame.itertuples(index=False)):
            for j, v in enumerate(row):
                _put(ws, r + i, block.col + j, v, fmts[j] if fmts[j] != "@" else None)


def _append_rows(wb, rows) -> None:
    """A salesbook AppendRows under the log sheet's header, matched by header name."""
    from salesbook.reports.model import FORMATS

    ws = wb[rows.name] if rows.name in wb.sheetnames else wb.create_sheet(rows.name)
    header = [c.value for c in ws[1]] if ws.max_row >= 1 and ws.cell(1, 1).value is not None else []
    cols = {}
    for name in rows.frame.columns:
        if name not in header:
            header.append(name)
            ws.cell(1, len(header), name)
        cols[name] = header.index(name) + 1
    start = ws.max_row + 1 if header else 2
    for i, row in enumerate(rows.frame.itertuples(index=False)):
        for name, v in zip(rows.frame.columns, row):
            fmt = FORMATS.get(rows.formats.get(name, ""), None)
            _put(ws, start + i, cols[name], v, fmt if fmt != "@" else None)


def _widen_table(ws, last_col: int) -> None:
    """Appended output columns join the Excel Table on the sheet (ref, columns, filter)."""
    from openpyxl.utils import get_column_letter, range_boundaries
    from openpyxl.worksheet.table import TableColumn

    for table in ws.tables.values():
        c1, r1, c2, r2 = range_boundaries(table.ref)
        if c2 >= last_col:
            continue
        for c in range(c2 + 1, last_col + 1):
            table.tableColumns.append(TableColumn(id=len(table.tableColumns) + 1, name=str(ws.cell(r1, c).value)))
        table.ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(last_col)}{r2}"
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref


def _table_rows(ws) -> int | None:
    """Data rows of the Excel Table on ``ws`` whose header is row 1 (None: no such table)."""
    from openpyxl.utils import range_boundaries

    for table in ws.tables.values():
        c1, r1, c2, r2 = range_boundaries(table.ref)
        if r1 == 1:
            return r2 - r1 - int(table.totalsRowCount or 0)
    return None


def pandas_openpyxl(path: str, today: dt.date | None = TODAY, *, sheet: str = "Leads", dtype=None) -> str:
    """Read with pandas + openpyxl, grade with salesbook's engine, write with openpyxl.

    The lead table's header is row 1 of ``sheet``; when an Excel Table starts there, its rows
    are the leads (cells under it, such as a note or a link, are not). ``dtype=str`` makes
    this the equivalence test's simple path (every cell as text)."""
    import openpyxl
    import pandas as pd

    from salesbook.engine import evaluate
    from salesbook.rules.schema import BY_KEY, DATE, match_headers
    from salesbook.rules.settings import Settings
    from salesbook.rules.settings_sheet import settings_from_grid

    with pd.ExcelFile(path, engine="openpyxl") as xf:
        names = xf.sheet_names
        leads = pd.read_excel(xf, sheet_name=sheet, keep_default_na=False, dtype=dtype)
        settings = Settings()
        if "Settings" in names:
            grid = _grid(pd.read_excel(xf, sheet_name="Settings", header=None, keep_default_na=False))
            settings = settings_from_grid(grid, sheet="Settings")
        history = None
        for name in ("History", "历史"):
            if name in names:
                history = _grid(pd.read_excel(xf, sheet_name=name, header=None, keep_default_na=False)) or None
                break

    wb = openpyxl.load_workbook(path, keep_vba=str(path).lower().endswith(".xlsm"))
    ws = wb[sheet]
    n_table = _table_rows(ws)
    if n_table is not None:
        leads = leads.iloc[:n_table]

    ev = evaluate(leads, settings, today=today, history_rows=history)

    header = [c.value for c in ws[1]]
    while header and header[-1] is None:
        header.pop()
    found = match_headers(header)
    for key in ev.written:
        if key not in found:  # appended at the right of the table
            header.append(BY_KEY[key].header(ev.language))
            ws.cell(1, len(header), header[-1])
            found[key] = len(header) - 1
    _widen_table(ws, len(header))
    first = 2  # the row under the header; the frame's rows follow in order
    for key in ev.written:
        c = found[key] + 1
        fmt = "yyyy-mm-dd" if BY_KEY[key].kind == DATE else None
        for i, v in enumerate(ev.outputs[key].tolist()):
            _put(ws, first + i, c, v, fmt)
    for model in ev.sheets:
        _render_model(wb, model)
    for rows in ev.appends:
        _append_rows(wb, rows)
    wb.save(path)
    return "pandas_openpyxl: " + ev.summary


# ---------------------------------------------------------------------------
# (c) The read-only floor
# ---------------------------------------------------------------------------

def fastexcel_floor(path: str, today: dt.date | None = None, *, sheet: str = "Leads") -> str:
    import fastexcel

    frame = fastexcel.read_excel(path).load_sheet(sheet).to_pandas()
    return f"fastexcel_floor: read {len(frame):,} rows × {len(frame.columns)} columns"


PEERS = {"openpyxl_script": openpyxl_script, "pandas_openpyxl": pandas_openpyxl, "fastexcel_floor": fastexcel_floor}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("peer", choices=sorted(PEERS))
    ap.add_argument("book")
    ap.add_argument("--today", type=dt.date.fromisoformat, default=TODAY)
    ap.add_argument("--defusedxml", action="store_true",
                    help="let openpyxl parse through defusedxml (installed with salesbook; slower)")
    args = ap.parse_args(argv)
    # openpyxl parses through defusedxml whenever it is importable, which salesbook's own
    # dependencies make it here; a plain pandas + openpyxl install does not have it and parses
    # 10-30 % faster. The peers run as on such a plain install unless asked (conservative ratios).
    if not args.defusedxml:
        os.environ.setdefault("OPENPYXL_DEFUSEDXML", "False")
    print(PEERS[args.peer](args.book, args.today))
    return 0


if __name__ == "__main__":
    sys.exit(main())
