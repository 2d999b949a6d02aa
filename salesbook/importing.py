"""`salesbook import`: merge CRM exports into a pipeline workbook by Lead ID (docs/spec.md §3, Import).

``merge`` compares an export (``adapters.exports.read_export``: its rows under salesbook's input
keys) with the book's lead table, a column at a time with pandas: new Lead IDs become new rows
below the table, known IDs get the mapped input columns that differ, leads the export lacks are
kept and counted. A stage change adds a History row (dated the export's last-stage-change column
when mapped, else the import date) and sets Stage Since; a new lead gets its first History row and
Stage Since, so its days in stage count from the first time salesbook saw the stage.

``import_on`` does that over any Workbook: the book is read once, the exports are merged one after
the other into its table in memory (``apply_merge``), Run All evaluates the merged table, and one
``Changes`` (input cells, History rows, the run's outputs and sheets) is written all or nothing.
``import_files`` is the command over a file.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesbook.adapters.port import Changes, LeadBook, Workbook
from salesbook.errors import Refusal
from salesbook.reports import sheets as report
from salesbook.rules.prepare import canonical_frame
from salesbook.rules.schema import BY_KEY, CHOICE, COUNT, DATE, INPUTS, NUMBER, TIMELINE, norm
from salesbook.rules.settings import Settings
from salesbook.vocabulary.words import IMPORT, say

SHOWN_CHANGES = 10  # --dry-run lists the first changes
_INPUT_KEYS = tuple(c.key for c in INPUTS)
_PLAIN_NUMBER = r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"
_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"


@dataclass
class Merge:
    """What importing one export changes, and its counts."""

    name: str
    rows: int = 0
    new: int = 0
    updated: int = 0
    stage_changes: int = 0
    unchanged: int = 0
    absent: int = 0
    inputs: pd.DataFrame | None = None  # Changes.inputs
    history: pd.DataFrame | None = None  # lead_id, from, to, date
    changes: list[str] = field(default_factory=list)  # the first changes, for --dry-run
    left_out: list[str] = field(default_factory=list)  # mapped columns the book's table lacks

    @property
    def empty(self) -> bool:
        return not (self.new or self.updated)

    def summary(self, lang: str, dry_run: bool = False) -> str:
        line = say(IMPORT, "would_import" if dry_run else "imported", lang, n=self.rows, name=self.name,
                   new=self.new, updated=self.updated, stages=self.stage_changes, same=self.unchanged)
        if self.absent:
            line += say(IMPORT, "absent", lang, n=self.absent)
        return line + (say(IMPORT, "dry_run", lang) if dry_run else "")


# --------------------------------------------------------------------------- comparing and typing


def _text(s: pd.Series) -> pd.Series:
    """Cells as stripped text, NA for blank."""
    t = s.astype("string").str.strip()
    return t.where(t != "")


def _iso_dates(t: pd.Series) -> pd.Series:
    """Text that is an ISO date (a time allowed) as a Timestamp, else NaT. Never a guess."""
    iso = t.str.match(_ISO).fillna(False).astype(bool)
    return pd.to_datetime(t.where(iso), format="ISO8601", errors="coerce")


def _numbers(t: pd.Series) -> pd.Series:
    plain = t.str.match(_PLAIN_NUMBER).fillna(False).astype(bool)
    return pd.to_numeric(t.where(plain), errors="coerce")


def _same(old: pd.Series, new: pd.Series, key: str, settings: Settings) -> np.ndarray:
    """Which cells of a column the export leaves as they are (compared as the column's kind)."""
    a, b = _text(old).reset_index(drop=True), _text(new).reset_index(drop=True)
    both_blank = (a.isna() & b.isna()).to_numpy()
    kind = BY_KEY[key].kind
    if kind in (DATE, TIMELINE):
        da, db = _iso_dates(a), _iso_dates(b)
        typed = (da.notna() & db.notna()).to_numpy()
        eq_typed = (da == db).fillna(False).to_numpy(dtype=bool)
    elif kind in (NUMBER, COUNT):
        na, nb = _numbers(a), _numbers(b)
        typed = (na.notna() & nb.notna()).to_numpy()
        eq_typed = np.isclose(na.to_numpy(dtype=float, na_value=np.nan), nb.to_numpy(dtype=float, na_value=np.nan))
    elif kind == CHOICE:
        fold = _folder(settings if key in ("stage", "lost_at_stage") else None)
        fa, fb = fold(a), fold(b)
        typed = (fa.notna() & fb.notna()).to_numpy()
        eq_typed = (fa == fb).fillna(False).to_numpy(dtype=bool)
    else:
        typed = np.zeros(len(a), dtype=bool)
        eq_typed = typed
    eq_text = (a == b).fillna(False).to_numpy(dtype=bool)
    return both_blank | np.where(typed, eq_typed, eq_text)


def _folder(settings: Settings | None):
    """A choice compared as salesbook reads it: a stage by its place in Settings (either
    language), any other choice case- and space-insensitively."""
    index = settings.stage_index() if settings is not None else None

    def fold(s: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        folded = [(f"#{index[norm(u)]}" if index is not None and norm(u) in index else norm(u)) for u in uniques]
        return pd.Series(np.array(folded + [None], dtype=object)[codes], index=s.index, dtype=object)

    return fold


def _typed(new: pd.Series, key: str) -> pd.Series:
    """The values to write: ISO dates as Timestamps, plain numbers as floats, other text as it
    is, blank as '' (the cell is emptied)."""
    t = _text(new)
    out = t.astype(object).where(t.notna(), "")
    kind = BY_KEY[key].kind
    if kind in (DATE, TIMELINE):
        d = _iso_dates(t)
        out = out.where(d.isna(), d.astype(object))
    elif kind in (NUMBER, COUNT):
        n = _numbers(t)
        out = out.where(n.isna(), n.astype(object))
    return out


# --------------------------------------------------------------------------- the merge


def merge(book: LeadBook, export, *, today: dt.date) -> Merge:
    """Compare ``export`` with the book's lead table: the cells to write, History rows, counts."""
    name = Path(export.path).name
    settings = book.settings
    lang = book.language
    frame = export.frame
    headers = getattr(export, "headers", None) or {}
    if "lead_id" not in frame.columns:
        raise Refusal(say(IMPORT, "no_id", "en", name=name), path=export.path)
    live = frame.notna().any(axis=1) & (frame.astype("string").apply(lambda c: c.str.strip() != "").any(axis=1))
    frame = frame[live.to_numpy(dtype=bool)]
    ids = _text(frame["lead_id"])
    _refuse_ids(export, ids, headers.get("lead_id", "Lead ID"))
    stage_i = _check_stages(export, frame, settings, headers.get("stage", "Stage"))
    out = Merge(name, rows=len(frame))
    day = pd.Timestamp(today)
    changed_on = _stage_changed(export, frame.index, day)

    raw, _ = canonical_frame(book.leads)
    used = book.leads.notna().to_numpy().any(axis=1) if len(book.leads.columns) else np.zeros(len(book.leads), bool)
    next_row = int(book.leads.index[used].max()) + 1 if used.any() else int(book.loc.header_row) + 1
    book_ids = _text(raw["lead_id"]) if "lead_id" in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="string")
    first = book_ids.dropna()
    first = pd.Series(first.index, index=first.to_numpy()).groupby(level=0).first()  # Lead ID -> its first row
    at = ids.map(first)
    known = at.notna().to_numpy()
    out.absent = len(first) - int(known.sum())  # the export's Lead IDs are unique (refused otherwise)

    keys = [k for k in frame.columns if k in _INPUT_KEYS and k != "lead_id"]
    in_book = [k for k in keys if k in raw.columns]
    out.left_out = [BY_KEY[k].header(lang) for k in keys if k not in raw.columns]
    stage_names = np.array([s.zh if lang == "zh" and s.zh else s.name for s in settings.stages] + [""], dtype=object)
    since = "stage_since" in raw.columns and "stage_since" not in frame.columns

    # known Lead IDs: the cells that differ
    kf = frame[known]
    rows = at[known].astype("int64").to_numpy()
    writes = {}
    changed_any = np.zeros(len(kf), dtype=bool)
    change_masks = {}
    for k in in_book:
        differs = ~_same(raw.loc[rows, k], kf[k], k, settings)
        if differs.any():
            change_masks[k] = differs
            changed_any |= differs
            writes[k] = _typed(kf[k], k).where(pd.Series(differs, index=kf.index), None)
    moved = change_masks.get("stage", np.zeros(len(kf), dtype=bool))
    if since and moved.any():
        writes["stage_since"] = _stamps(changed_on[known], kf.index).where(pd.Series(moved, index=kf.index), None)
    out.updated = int(changed_any.sum())
    out.unchanged = int(len(kf) - out.updated)
    out.stage_changes = int(moved.sum())
    upd = pd.DataFrame(writes, index=kf.index)[changed_any] if writes else pd.DataFrame(index=kf.index[:0])
    upd.index = pd.Index(rows[changed_any], name=None)

    # new Lead IDs: rows below the table
    nf = frame[~known]
    out.new = len(nf)
    new_rows = np.arange(next_row, next_row + len(nf), dtype=np.int64)
    new_vals = {k: _typed(nf[k], k).replace("", None) for k in ["lead_id", *in_book]}
    if since:
        new_vals["stage_since"] = _stamps(changed_on[~known], nf.index)
        if "stage" in frame.columns:  # no stage, no day it was entered
            new_vals["stage_since"] = new_vals["stage_since"].where(stage_i[~known] >= 0, None)
    new = pd.DataFrame(new_vals, index=nf.index)
    new.index = pd.Index(new_rows)
    out.inputs = pd.concat([upd, new]) if len(new) else upd
    if len(out.inputs.columns):
        out.inputs = out.inputs.astype(object)

    # History: a row per stage change, a first row per new lead
    hist = []
    if "stage" in frame.columns:
        old_stage = _text(raw.loc[rows, "stage"]).to_numpy(dtype=object, na_value="")
        m = moved
        hist.append(pd.DataFrame({"lead_id": ids[known][m].to_numpy(dtype=object), "from": old_stage[m],
                                  "to": stage_names[stage_i[known][m]], "date": changed_on[known][m]}))
        seen = stage_i[~known] >= 0
        hist.append(pd.DataFrame({"lead_id": ids[~known][seen].to_numpy(dtype=object),
                                  "from": np.full(int(seen.sum()), "", dtype=object),
                                  "to": stage_names[stage_i[~known][seen]], "date": changed_on[~known][seen]}))
    history = pd.concat(hist, ignore_index=True) if hist else None
    out.history = history if history is not None and len(history) else None
    out.changes = _first_changes(kf, raw, rows, change_masks, ids[known], nf, ids[~known], new_rows, lang)
    return out


def _refuse_ids(export, ids: pd.Series, header: str) -> None:
    name = Path(export.path).name
    blank = ids.isna().to_numpy()
    if blank.any():
        row = ids.index[blank][0]
        raise Refusal(say(IMPORT, "blank_id", "en", name=name, row=row, header=header), path=export.path, row=int(row),
                      column=header)
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        value = ids[dup].iloc[0]
        where = ids.index[(ids == value).to_numpy(dtype=bool)]
        raise Refusal(say(IMPORT, "duplicate_id", "en", name=name, value=value, header=header, a=where[0], b=where[1],
                          n=int(dup.sum())), path=export.path, row=int(where[1]), column=header, value=value)


def _check_stages(export, frame: pd.DataFrame, settings: Settings, header: str) -> np.ndarray:
    """Each row's stage (position in Settings; -1 blank); refuses a stage Settings does not know."""
    if "stage" not in frame.columns:
        return np.full(len(frame), -1)
    t = _text(frame["stage"])
    index = settings.stage_index()
    codes, uniques = pd.factorize(t, use_na_sentinel=True)
    table = np.array([index.get(norm(u), -2) for u in uniques] + [-1], dtype=np.int64)
    stage_i = table[codes]
    bad = stage_i == -2
    if bad.any():
        row = frame.index[bad][0]
        value = t[bad].iloc[0]
        others = int(pd.Series(t[bad]).nunique()) - 1
        stages = ", ".join(s.name for s in settings.stages)
        raise Refusal(say(IMPORT, "unknown_stage", "en", name=Path(export.path).name, row=row, header=header,
                          value=value, n=int(bad.sum()), others=others, stages=stages),
                      path=export.path, row=int(row), column=header, value=value)
    return stage_i


def _stage_changed(export, index: pd.Index, day: pd.Timestamp) -> np.ndarray:
    """Per row, the day its stage changed: the export's column when mapped and read, else ``day``."""
    s = getattr(export, "stage_changed", None)
    out = np.full(len(index), day.to_datetime64(), dtype="datetime64[ns]")
    if s is None:
        return out
    s = s.reindex(index)
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = _iso_dates(_text(s.astype("string")))
    s = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
    d = s.dt.normalize().to_numpy(dtype="datetime64[ns]")
    return np.where(np.isnat(d), out, d)


def _stamps(days: np.ndarray, index: pd.Index) -> pd.Series:
    """datetime64 days as a Series of Timestamps (object), to be written as dates."""
    return pd.Series(pd.DatetimeIndex(days), index=index).astype(object)


def _first_changes(kf, raw, rows, masks, known_ids, nf, new_ids, new_rows, lang) -> list[str]:
    """'L-0012 Stage: Proposal → Negotiation', then 'L-0200: new lead (row 203)', the first ten."""
    lines: list[str] = []
    if masks:
        any_row = np.flatnonzero(np.logical_or.reduce(list(masks.values())))
        for j in any_row[:SHOWN_CHANGES]:
            for k, m in masks.items():
                if m[j] and len(lines) < SHOWN_CHANGES:
                    old = raw.loc[rows[j], k]
                    new = kf[k].iloc[j]
                    lines.append(f"{known_ids.iloc[j]} {BY_KEY[k].header(lang)}: {_show(old)} → {_show(new)}")
    for j in range(min(len(nf), SHOWN_CHANGES - len(lines))):
        lines.append(say(IMPORT, "new_lead", lang, id=new_ids.iloc[j], row=int(new_rows[j])))
    return lines


def _show(v) -> str:
    return "(blank)" if v is None or (not isinstance(v, str) and pd.isna(v)) or str(v).strip() == "" else str(v)


# --------------------------------------------------------------------------- the merged table in memory


_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"


def as_read(values: pd.Series) -> pd.Series:
    """The text each written value reads back as (``Changes.inputs`` → LeadBook.leads): a text as
    it is (without the characters a cell cannot hold), '' blank, a date as ``2026-11-09`` (a time
    as ``2026-11-09 13:45:00``), a number as its digits up to nine decimals (``2500.5``, ``3000``).
    A column at a time, no Python step per cell."""
    obj = values.to_numpy(dtype=object)
    out = pd.Series(np.full(len(obj), np.nan, dtype=object), index=values.index, dtype=object)
    kinds = pd.Series(obj, dtype=object).map(type).to_numpy()
    is_str = np.isin(kinds, [str, np.str_])
    texts = pd.Series(obj[is_str], dtype="string")
    texts = texts.str.replace(_ILLEGAL, "", regex=True).str.slice(0, 32767)
    out[is_str] = texts.where(texts != "").to_numpy(dtype=object, na_value=np.nan)
    is_date = np.isin(kinds, [pd.Timestamp, dt.datetime, dt.date, np.datetime64])
    if is_date.any():
        d = pd.to_datetime(pd.Series(obj[is_date]))
        day = d.dt.strftime("%Y-%m-%d")
        timed = (d != d.dt.normalize()).to_numpy()
        if timed.any():
            day[timed] = d[timed].dt.strftime("%Y-%m-%d %H:%M:%S")
        out[is_date] = day.to_numpy(dtype=object)
    is_num = ~is_str & ~is_date & pd.notna(obj)
    if is_num.any():
        n = pd.Series(np.char.mod("%.9f", obj[is_num].astype(float)), dtype="string")
        n = n.str.rstrip("0").str.rstrip(".").replace("-0", "0")
        out[is_num] = n.to_numpy(dtype=object)
    return out


def apply_merge(book: LeadBook, result: Merge) -> None:
    """``book`` as it reads once ``result`` is written: its lead table with the input cells and the
    new rows, its History rows with the new ones. The run after the import evaluates this, so the
    book is read once and written once (docs/performance.md)."""
    leads = book.leads
    if result.inputs is not None and len(result.inputs):
        attrs = dict(leads.attrs)
        first = int(book.loc.header_row) + 1
        last = max(int(leads.index.max()) if len(leads) else first - 1, int(result.inputs.index.max()))
        if last >= first + len(leads):
            leads = leads.reindex(pd.RangeIndex(first, last + 1))
        from salesbook.rules.schema import match_headers

        found = match_headers(list(leads.columns))
        for key in result.inputs.columns:
            if key not in found:
                continue
            v = result.inputs[key]
            keep = pd.isna(v.to_numpy(dtype=object))
            if keep.all():
                continue
            col = leads.columns[found[key]]
            written = as_read(v[~keep])
            column = leads[col].copy()
            column.loc[written.index] = written.to_numpy(dtype=object)
            leads[col] = column
        leads.attrs.update(attrs)
        book.leads = leads
    if result.history is not None:
        book.history_rows = _history_grid(book.history_rows, result.history, book.language)


def _history_grid(grid: list[list[object]] | None, history: pd.DataFrame, lang: str) -> list[list[object]]:
    """The History sheet's cells (as read) with ``history``'s rows below them, under its header."""
    from salesbook.rules.schema import norm

    rows = report.history_rows(history, lang, grid[0] if grid else None).frame
    header = list(grid[0]) if grid else list(rows.columns)
    at = {norm(h): i for i, h in enumerate(header)}
    width = len(header)
    body = np.full((len(rows), width), None, dtype=object)
    for name in rows.columns:
        i = at.get(norm(name))
        if i is None:
            continue
        col = rows[name]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            values = np.array(col.dt.date.to_numpy(dtype=object), dtype=object)
        else:
            values = col.to_numpy(dtype=object)
            values = np.where(pd.Series(values).isin([""]).to_numpy(), None, values)
        body[:, i] = values
    return [header, *(grid[1:] if grid else []), *body.tolist()]


def _combine(earlier: pd.DataFrame | None, later: pd.DataFrame | None) -> pd.DataFrame | None:
    """The input cells of two exports imported one after the other: the later one's where it
    writes a cell, the earlier one's elsewhere."""
    if earlier is None or not len(earlier):
        return later
    if later is None or not len(later):
        return earlier
    return later.combine_first(earlier).astype(object)


# --------------------------------------------------------------------------- over the port


def import_on(workbook: Workbook, exports, *, today: dt.date | None = None, dry_run: bool = False,
              run_after: bool = True, settings: Settings | None = None, blocks: tuple | None = None):
    """Merge exports into any Workbook one after the other, then Run All on the merged table unless
    ``run_after`` is False, all in one write: the input cells, the History rows and the run's
    outputs and sheets (one ``Changes``). ``exports``: the read exports, or a function of the
    book's Settings that reads them. ``blocks``: (ImportColumn, ImportValue) lines of a preset for
    the book's own Import blocks (--write-settings); those the blocks already map are left out.
    Returns (the Merges, the run's Result or None, the book's language, the lines written)."""
    from salesbook import service

    writes = (report.HISTORY_SHEET,) + (service.sheets_written() if run_after and not dry_run else ())
    book = workbook.read(history=True, writes=writes)
    if blocks is not None:
        from salesbook.rules.settings_import import new_import_lines

        blocks = new_import_lines(book.settings, *blocks)  # the book's own Settings, not --settings'
        blocks = blocks if any(blocks) else None
    if settings is not None:
        service.use_settings(book, settings)
    if callable(exports):
        exports = exports(book.settings)
    day = book.settings.resolve_today(today) or dt.date.today()
    header = book.history_rows[0] if book.history_rows else None  # None: History is new
    merges: list[Merge] = []
    inputs, history = None, []
    for export in exports:
        result = merge(book, export, today=day)
        merges.append(result)
        if result.empty:
            continue
        inputs = _combine(inputs, result.inputs)
        if result.history is not None:
            history.append(result.history)
        apply_merge(book, result)
    if dry_run:
        return merges, None, book.language, blocks
    appends = []
    if history:
        appends.append(report.history_rows(pd.concat(history, ignore_index=True), book.language, header))
    if not run_after:
        if inputs is not None or blocks is not None:
            workbook.commit(Changes("import", language=book.language, appends=appends, inputs=inputs,
                                    import_blocks=blocks))
        return merges, None, book.language, blocks
    ev = service.evaluate_book(book, today=today)
    book.leads = book.history_rows = None  # graded: the input table is not needed for writing
    target = workbook.commit(Changes("import", ev.written, ev.outputs, ev.language, ev.sheets,
                                     [*appends, *ev.appends], inputs=inputs, import_blocks=blocks))
    return merges, service.result_of(book, ev, target), book.language, blocks


# --------------------------------------------------------------------------- the command


def read_exports(paths, *, settings: Settings, preset: str | None):
    """Every export read before anything is written (a bad one refuses the whole import)."""
    from salesbook.adapters.exports import read_export

    return [read_export(Path(p), settings=settings, preset=preset) for p in paths]


def import_files(exports, into, *, preset: str | None = None, dry_run: bool = False, run_after: bool = True,
                 today: dt.date | None = None, settings_path=None, backup: bool = False, force: bool = False,
                 write_settings: bool = False):
    """`salesbook import EXPORT… --into BOOK`. Returns a service.Result: ``lines`` the earlier
    exports' lines and the run's, ``summary`` the last export's line. The book is read once and
    written once (atomically: a refusal or a crash at any step leaves it as it was); a new book is
    made in a staging file beside it first."""
    from salesbook import service
    from salesbook.adapters.files.workbook import FileWorkbook
    from salesbook.atomic import create_temp, remove_quietly

    into = Path(into)
    team = service.settings_from(settings_path)
    staged: Path | None = None
    try:
        src = into
        blocks = laid_out = None
        if write_settings:
            from salesbook.adapters.exports import preset_blocks

            blocks = preset_blocks(preset)
        if not into.exists():
            if into.suffix.lower() != ".xlsx":
                raise Refusal(say(IMPORT, "new_book_xlsx", "en", name=into.name), path=into)
            src = staged = create_temp(Path(os.path.realpath(into)).parent, into.name)
            plain_book(src, _with_preset(team, preset) if write_settings else team)
            blocks, laid_out = None, blocks  # the new book's Settings sheet has them all

        def read(settings: Settings):
            return read_exports(exports, settings=team if team is not None else settings, preset=preset)

        output = None if src == into or dry_run else into
        with FileWorkbook(src, output=output, backup=backup, force=force, for_write=not dry_run) as wb:
            merges, ran, lang, added = import_on(wb, read, today=today, dry_run=dry_run, run_after=run_after,
                                                 settings=team, blocks=blocks)
        lines: list[str] = []
        added = laid_out or added
        if write_settings:
            cols, vals = added or ((), ())
            lines.append(say(IMPORT, "would_write_settings" if dry_run else "wrote_settings", lang,
                             n=len(cols) + len(vals), preset=preset, columns=len(cols), values=len(vals)))
        for k, result in enumerate(merges):
            if dry_run:
                lines += result.changes
            if result.left_out:
                lines.append(say(IMPORT, "left_out", lang, columns=", ".join(result.left_out)))
            if k < len(merges) - 1:
                lines.append(result.summary(lang, dry_run))
        exit_code, written = service.EXIT_OK, None
        if ran is not None:
            lines += ran.lines + [ran.summary]
            exit_code, written = ran.exit_code, into
        elif not dry_run and (any(not m.empty for m in merges) or added):
            written = into
        return service.Result(into, merges[-1].summary(lang, dry_run), exit_code, lines=lines, output=written)
    finally:
        if staged is not None:
            remove_quietly(staged)


def _with_preset(settings: Settings | None, preset: str) -> Settings:
    """``settings`` (or the defaults) with the preset's mapping as its Import blocks (--write-settings)."""
    from dataclasses import replace

    from salesbook.adapters.exports import preset_blocks

    columns, values = preset_blocks(preset)
    return replace(settings or Settings(), import_columns=columns, import_values=values)


def plain_book(path: Path, settings: Settings | None = None) -> Path:
    """A plain pipeline workbook without leads (Leads and Settings, and the add-in's sheets)."""
    from salesbook.adapters.files.newbook import new_book

    return new_book(path, None, settings)


__all__ = ["Merge", "merge", "as_read", "apply_merge", "import_on", "import_files", "read_exports", "plain_book"]
