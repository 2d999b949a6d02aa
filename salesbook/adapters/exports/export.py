"""Reading a CRM export (.csv, .xlsx, .xlsm) into salesbook's Leads columns, or refusing it.

``read_export`` finds the header row (below a report's title rows), maps headers and values
(``mapping``: Settings blocks, then the preset, then the Leads columns' own names), reads text
dates and amounts by rules/reading.py (Date order / Decimal separator, Auto with proof), and
gives an :class:`Export` whose frame holds the cells as the workbook reader gives them (text:
'45000', '2026-10-08'), so rules/prepare reads an export like a Leads table. A bad export is
refused with one sentence naming the file, sheet, row, column and value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesbook.adapters.exports import header as hdr
from salesbook.adapters.exports.mapping import JOIN, Mapping, build
from salesbook.adapters.exports.presets import PRESETS, preset as find_preset
from salesbook.errors import Refusal
from salesbook.rules.reading import AMBIGUOUS, MIXED, READ_OK, read_amounts, read_dates
from salesbook.rules.schema import BY_KEY, DATE, REQUIRED, norm
from salesbook.rules.settings import LOST, OPEN, WON, Settings
from salesbook.vocabulary.words import IMPORT_ONLY_COLUMNS

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
VALUE_KEYS = ("stage", "lost_at_stage", "budget", "authority", "need", "timeline")
_SHOWN = 5  # unknown values listed in a refusal


@dataclass
class Export:
    """An export as read. ``frame``: columns = salesbook input keys, cells as the workbook reader
    gives them (text; ISO dates, plain numbers), index = the export's own row numbers (the file
    line of a CSV, the sheet row of a workbook). ``headers``: key -> the export header used ('A + B'
    when two are joined). ``stage_changed``: the mapped last-stage-change column as dates (NaT where
    blank), same index. ``raw``: the export's own cells of those rows under its own headers (for
    writing it back with results); ``unmapped``: the export headers no column uses; ``missing``:
    required salesbook columns no header feeds (their cells are then blank)."""

    path: Path
    frame: pd.DataFrame
    headers: dict[str, str]
    stage_changed: pd.Series | None
    encoding: str | None
    delimiter: str | None
    unmapped: list[str]
    sheet: str | None = None
    header_row: int = 1
    raw: pd.DataFrame | None = field(default=None, repr=False)
    missing: list[str] = field(default_factory=list)
    preset: str | None = None

    def leads(self, language: str = "en") -> pd.DataFrame:
        """The frame under salesbook's headers in ``language`` (Lead ID / 线索编号 …), so that the
        rules' messages name the columns as a Leads table does."""
        return self.frame.rename(columns={k: BY_KEY[k].header(language) for k in self.frame.columns})

    def where(self, row: int | None = None, header: str | None = None) -> str:
        """'deals.csv, row 7, column 'Deal Stage'' (with the sheet of a workbook)."""
        parts = [self.path.name] + ([f"sheet '{self.sheet}'"] if self.sheet else [])
        if row is not None:
            parts.append(f"row {row}")
        if header is not None:
            parts.append(f"column '{header}'")
        return ", ".join(parts)


def read_export(path: str | os.PathLike[str], *, settings: Settings, preset: str | None = None) -> Export:
    """Read a CRM export (.csv, .xlsx, .xlsm) into salesbook's columns; Refusal for a bad one."""
    path = Path(path)
    p = find_preset(preset)
    mapping = build(settings, p)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise Refusal(f"{path.name}: no such file ({path}). Check the name and run again.", path=path)
    if suffix in CSV_SUFFIXES:
        raw, headers, sheet, header_row, encoding, delimiter = _from_csv(path, mapping)
    elif suffix in XLSX_SUFFIXES:
        raw, headers, sheet, header_row = _from_workbook(path, mapping)
        encoding = delimiter = None
    else:
        raise Refusal(f"{path.name}: an export must be a .csv, .xlsx or .xlsm file. Export the data from the CRM "
                      f"as CSV or Excel, then run again.", path=path)
    ex = Export(path, pd.DataFrame(index=raw.index), {}, None, encoding, delimiter, [], sheet, header_row,
                preset=p.name if p else None)
    found = mapping.resolve(headers)
    for key in ("lead_id", "stage"):
        if key not in found:
            raise _no_column(ex, key, headers, mapping, found)
    raw = _data_rows(ex, raw, found["lead_id"][0])
    ex.raw = raw
    ex.headers = {k: JOIN.join(str(headers[i]) for i in pos) for k, pos in found.items()}
    used = {i for pos in found.values() for i in pos}
    ex.unmapped = [str(h) for i, h in enumerate(headers) if i not in used and str(h).strip()]
    ex.missing = [k for k in REQUIRED if k not in found]
    cols = {k: _column(raw, pos) for k, pos in found.items()}
    _check_ids(ex, cols["lead_id"])
    _map_values(ex, cols, mapping, settings)
    for key in list(cols):
        if key == "stage_changed" or (key in BY_KEY and BY_KEY[key].kind == DATE):
            cols[key] = _dates(ex, key, cols[key], settings)
        elif key == "deal_value":
            cols[key] = _amounts(ex, key, cols[key], settings)
    changed = cols.pop("stage_changed", None)
    cols.pop("status", None)
    ex.stage_changed = _stage_changed(ex, changed, settings) if changed is not None else None
    ex.frame = pd.DataFrame({k: cols[k] for k in BY_KEY if k in cols}, index=raw.index)
    return ex


# --------------------------------------------------------------------------- the two file kinds


def _from_csv(path: Path, mapping: Mapping):
    from salesbook.adapters.exports.csvfile import read_csv

    text = read_csv(path)
    rows = text.rows
    h = hdr.find_header(rows, mapping.known())
    if h is None:
        raise _no_header(path, None, rows, mapping)
    first, last = hdr.span(rows[h])
    headers = [c.strip() for c in rows[h][first:last + 1]]
    width = last - first + 1
    body = [r[first:last + 1] for r in rows[h + 1:]]
    frame = pd.DataFrame(body, columns=range(len(body[0]) if body else 0), dtype=object) if body else None
    if frame is None or frame.empty:
        raise _empty(path, None, h + 1)
    frame = frame.reindex(columns=range(width))
    frame = frame.astype("str").replace("", np.nan) if len(frame.columns) else frame
    frame.columns = _unique(headers)
    lines = text.lines
    frame.index = pd.Index([lines[i] for i in range(h + 1, len(rows))] if lines else range(h + 2, len(rows) + 1))
    header_line = lines[h] if lines else h + 1
    return frame, headers, None, header_line, text.encoding, text.delimiter


def _from_workbook(path: Path, mapping: Mapping):
    from python_calamine import CalamineWorkbook

    from salesbook.adapters.files import safety
    from salesbook.adapters.files.package import Package
    from salesbook.adapters.files.reader import calamine_source, read_leads
    from salesbook.adapters.locate import LeadsLocation

    safety.preflight(path, for_write=False)
    pkg = Package.open(path)
    try:
        source = calamine_source(pkg)
        import io

        wb = CalamineWorkbook.from_filelike(io.BytesIO(source)) if isinstance(source, bytes) \
            else CalamineWorkbook.from_path(source)
        known = mapping.known()
        best = None
        for info in pkg.sheets:
            if info.state != "visible" and best is not None:
                continue
            try:
                top = wb.get_sheet_by_name(info.name).to_python(skip_empty_area=False, nrows=hdr.SCAN_ROWS)
            except Exception:  # a chart sheet and the like: no cells
                continue
            h = hdr.find_header(top, known)
            if h is None:
                continue
            score = len({norm(v) for v in top[h]} & known)
            if best is None or score > best[0]:
                best = (score, info, top, h)
        if best is None:
            first = pkg.sheets[0].name if pkg.sheets else None
            top = wb.get_sheet_by_name(first).to_python(skip_empty_area=False, nrows=hdr.SCAN_ROWS) if first else []
            raise _no_header(path, first, top, mapping)
        _, info, top, h = best
        first, last = hdr.span(top[h])
        headers = ["" if v is None else str(v).strip() for v in top[h][first:last + 1]]
        loc = LeadsLocation(sheet_name=info.name, sheet_part=info.part, table_name=None, table_part=None,
                            header_row=h + 1, first_col=first + 1, last_col=last + 1, last_row=h + 1,
                            headers=headers)
        from salesbook.adapters.files.reader import _range_last_row

        loc.last_row = _range_last_row(pkg, loc)
        if loc.n_rows <= 0:
            raise _empty(path, info.name, h + 1)
        frame = read_leads(pkg, loc)
    finally:
        pkg.close()
    frame.columns = _unique(headers)
    return frame, headers, info.name, h + 1


def _unique(headers: list[str]) -> list[str]:
    from salesbook.adapters.files.reader import unique_names

    return unique_names(headers)


# --------------------------------------------------------------------------- rows and columns


def _data_rows(ex: Export, raw: pd.DataFrame, id_pos: int) -> pd.DataFrame:
    """The lead rows: blank rows and a report's footer left out."""
    filled = raw.notna() & raw.astype("str").apply(lambda s: s.str.strip() != "").fillna(False)
    counts = filled.sum(axis=1)
    raw = raw[counts.to_numpy() > 0]
    counts = counts[counts > 0]
    if raw.empty:
        raise _empty(ex.path, ex.sheet, ex.header_row)
    has_id = filled.loc[raw.index].iloc[:, id_pos].to_numpy()
    ids = np.flatnonzero(has_id)
    tail = raw.iloc[(ids[-1] + 1 if len(ids) else 0):]  # only rows after the last ID can be a footer
    first_text = [""] * (len(raw) - len(tail)) + [next((str(v) for v in row if isinstance(v, str) and v.strip()), "")
                                                  for row in tail.itertuples(index=False)]
    cut = hdr.footer_start(counts.tolist(), has_id.tolist(), first_text)
    raw = raw.iloc[:cut]
    if raw.empty:
        raise _empty(ex.path, ex.sheet, ex.header_row)
    return raw


def _column(raw: pd.DataFrame, positions: list[int]) -> pd.Series:
    parts = [raw.iloc[:, i].astype("str").str.strip().replace("", np.nan) for i in positions]
    if len(parts) == 1:
        return parts[0]
    joined = parts[0].fillna("")
    for p in parts[1:]:
        joined = (joined + " " + p.fillna("")).str.strip()
    return joined.replace("", np.nan).astype("str")


def _check_ids(ex: Export, ids: pd.Series) -> None:
    blank = ids.isna()
    header = ex.headers["lead_id"]
    if blank.any():
        row = int(ids.index[blank.to_numpy()][0])
        raise Refusal(f"{ex.where(row, header)}: the ID is empty ({int(blank.sum()):,} row(s) without one), so "
                      f"this row cannot be matched to a lead. Export the rows with their IDs, then run again.",
                      path=ex.path, sheet=ex.sheet, row=row, column=header, value=None)
    dup = ids.duplicated(keep=False)
    if dup.any():
        first = ids[dup].iloc[0]
        rows = ids.index[(ids == first).to_numpy()].tolist()
        n = int(ids[dup].nunique())
        more = f" ({n:,} IDs appear more than once)" if n > 1 else ""
        raise Refusal(f"{ex.where(None, header)}: the ID '{first}' appears on rows {rows[0]} and {rows[1]}{more}; "
                      f"an ID must name one lead. Remove the duplicate rows from the export (or export one row per "
                      f"deal), then run again.", path=ex.path, sheet=ex.sheet, row=int(rows[1]), column=header,
                      value=first)


def _map_values(ex: Export, cols: dict[str, pd.Series], mapping: Mapping, settings: Settings) -> None:
    """Export values → salesbook values (Import values, then the preset); a stage (or status)
    nothing maps is refused, naming the value, its first row and the block line to add."""
    stages = {norm(n): s for s in settings.stages for n in (s.name, s.zh) if n}
    for key in VALUE_KEYS:
        if key not in cols:
            continue
        s = cols[key]
        uniques = pd.unique(s.dropna())
        look = "stage" if key == "lost_at_stage" else key
        table = {u: mapping.value(look, u) for u in uniques}
        table = {u: t for u, t in table.items() if t is not None}
        if table:
            s = s.map(table).fillna(s).astype("str")
        if look == "stage":
            unknown = [u for u in pd.unique(s.dropna()) if norm(u) not in stages]
            if unknown:
                raise _unmapped(ex, key, s, unknown, settings)
        cols[key] = s
    if "status" in cols:
        _apply_status(ex, cols, mapping, settings, stages)


_STATUS_DEFAULTS = {"open": "Open", "won": None, "lost": None}


def _apply_status(ex: Export, cols, mapping: Mapping, settings: Settings, stages) -> None:
    status = cols["status"]
    won = next(s.name for s in settings.stages if s.kind == WON)
    lost = next(s.name for s in settings.stages if s.kind == LOST)
    defaults = {"open": "Open", "won": won, "lost": lost, "进行中": "Open", "赢单": won, "成交": won, "丢单": lost,
                "输单": lost}
    table = {}
    for u in pd.unique(status.dropna()):
        to = mapping.value("status", u) or defaults.get(norm(u))
        if to is None:
            raise _unmapped(ex, "status", status, [u], settings)
        table[u] = to
    target = status.map(table)
    closed = target.notna() & (target != "Open")
    if not closed.any():
        return
    stage = cols["stage"]
    kind_of = {u: stages[norm(u)].kind for u in pd.unique(pd.concat([stage, target]).dropna()) if norm(u) in stages}
    kinds = stage.map(kind_of)
    lost_rows = closed & (target.map(kind_of) == LOST).fillna(False).astype(bool)
    keep = lost_rows & (kinds == OPEN)
    lost_at = cols.get("lost_at_stage", pd.Series(np.nan, index=stage.index, dtype="str"))
    lost_at = lost_at.where(~(keep & lost_at.isna()), stage)
    if keep.any() or "lost_at_stage" in cols:
        cols["lost_at_stage"] = lost_at.astype("str")
    cols["stage"] = stage.where(~closed, target).astype("str")


# --------------------------------------------------------------------------- dates and amounts


def _dates(ex: Export, key: str, s: pd.Series, settings: Settings) -> pd.Series:
    r = read_dates(s, order=settings.date_order)
    _refuse_mixed(ex, key, s, r, "dates", "Date order", "DMY or MDY")
    ok = (r.why == READ_OK) & r.values.notna().to_numpy()
    iso = r.values.dt.strftime("%Y-%m-%d")
    return s.where(~ok, iso).astype("str")


def _amounts(ex: Export, key: str, s: pd.Series, settings: Settings) -> pd.Series:
    r = read_amounts(s, separator=settings.decimal_separator)
    _refuse_mixed(ex, key, s, r, "amounts", "Decimal separator", ". or ,")
    ok = (r.why == READ_OK) & r.values.notna().to_numpy()
    if not ok.any():
        return s
    vals = r.values[ok]
    texts = pd.Series(vals.unique()).map(lambda v: f"{v:.15g}")
    plain = vals.map(dict(zip(vals.unique(), texts)))
    out = s.astype(object)
    out[ok] = plain.to_numpy()
    return out.astype("str")


def _refuse_mixed(ex: Export, key: str, s: pd.Series, r, what: str, setting: str, choices: str) -> None:
    mixed = r.why == MIXED
    if not mixed.any():
        return
    header = ex.headers.get(key, key)
    at = np.flatnonzero(mixed)[0]
    row, value = int(s.index[at]), s.iloc[at]
    own = r.own.iloc[at] if r.own is not None else None
    other = next((ex_ for way, ex_ in r.examples.items() if way != own), None)
    other_at = s.index[(s == other).to_numpy()] if other is not None else []
    names = {"DMY": "day-first", "MDY": "month-first", ".": "with a decimal point", ",": "with a decimal comma"}
    against = f", but '{other}' on row {int(other_at[0])} reads only {names.get(next(w for w, e in r.examples.items() if e == other), '')}" \
        if len(other_at) else ""
    raise Refusal(f"{ex.where(row, header)}: '{value}' reads only {names.get(own, 'one way')}{against}: the column "
                  f"mixes both ways of writing {what}, so none of it can be read without a guess. Set {setting} "
                  f"in Settings ({choices}) to say which is right (the others are then listed as problems), or fix "
                  f"the export, then run again.", path=ex.path, sheet=ex.sheet, row=row, column=header, value=value)


def _stage_changed(ex: Export, s: pd.Series, settings: Settings) -> pd.Series:
    r = read_dates(s, order=settings.date_order)
    bad = (r.why != READ_OK) & s.notna().to_numpy()
    if bad.any():
        at = np.flatnonzero(bad)[0]
        header = ex.headers["stage_changed"]
        value = s.iloc[at]
        why = ("could be read day-first or month-first; set Date order in Settings (DMY or MDY)"
               if r.why[at] == AMBIGUOUS else "is not a date")
        raise Refusal(f"{ex.where(int(s.index[at]), header)}: '{value}' {why}, and History needs the day a stage "
                      f"changed. Fix it, then run again.", path=ex.path, sheet=ex.sheet, row=int(s.index[at]),
                      column=header, value=value)
    return r.values


# --------------------------------------------------------------------------- refusals


def _empty(path: Path, sheet: str | None, header_row: int) -> Refusal:
    where = f"{path.name}" + (f", sheet '{sheet}'" if sheet else "")
    return Refusal(f"{where}: the export has no rows below its header (row {header_row}). Export the data again, "
                   f"then run again.", path=path, sheet=sheet, row=header_row)


def _no_header(path: Path, sheet: str | None, rows: list[list[object]], mapping: Mapping) -> Refusal:
    where = f"{path.name}" + (f", sheet '{sheet}'" if sheet else "")
    first = next((r for r in rows if any(v not in (None, "") for v in r)), [])
    seen = ", ".join(f"'{v}'" for v in first if v not in (None, "")) or "none"
    if not any(any(v not in (None, "") for v in r) for r in rows):
        return Refusal(f"{where} is empty: it holds no rows. Export the data again, then run again.", path=path,
                       sheet=sheet)
    hint = "" if mapping.preset else (" Give the CRM it comes from (--preset " + ", ".join(PRESETS) + ") or")
    return Refusal(f"{where}: no header row found in the first {hdr.SCAN_ROWS} rows: no row names at least "
                   f"{hdr.MIN_KNOWN} known columns (first row seen: {seen}).{hint or ' '}"
                   f"{' ' if hint else ''}map its headers in the Settings sheet's Import columns block "
                   f"(Column | Export header), then run again.", path=path, sheet=sheet)


def _no_column(ex: Export, key: str, headers: list[object], mapping: Mapping, found: dict) -> Refusal:
    from salesbook.rules.schema import closest_headers

    col = BY_KEY[key]
    tried = mapping.alternatives(key) or [col.en]
    near = closest_headers([key], [h for i, h in enumerate(headers)
                                   if not any(i in p for p in found.values())], known=_crm_aliases())
    hint = f" The closest header is '{near[key]}'." if key in near else ""
    seen = ", ".join(f"'{h}'" for h in headers if str(h).strip())
    preset = "" if mapping.preset else " (or give the CRM's preset: --preset " + ", ".join(PRESETS) + ")"
    return Refusal(f"{ex.where()}: no {col.en} column: none of the headers "
                   f"{', '.join(repr(t) for t in tried[:6])} is in the export (headers seen: {seen}).{hint} Add a "
                   f"line '{col.en} | <the export's header>' to the Import columns block (导入列) of the Settings "
                   f"sheet{preset}, then run again.", path=ex.path, sheet=ex.sheet, row=ex.header_row,
                   column=col.en)


def _crm_aliases() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for p in PRESETS.values():
        for key, headers in p.columns:
            out.setdefault(key, []).extend(headers)
    return {k: tuple(v) for k, v in out.items()}


def _unmapped(ex: Export, key: str, s: pd.Series, unknown: list[str], settings: Settings) -> Refusal:
    header = ex.headers[key]
    value = unknown[0]
    rows = s.index[(s == value).to_numpy()]
    others = [u for u in unknown[1:_SHOWN + 1]]
    more = (" Other values not mapped: " + ", ".join(f"'{u}'" for u in others)
            + (" …" if len(unknown) > _SHOWN + 1 else "") + ".") if others else ""
    label = IMPORT_ONLY_COLUMNS["status"][0] if key == "status" else "Stage"
    what = "status" if key == "status" else "stage"
    targets = ("Open, " + ", ".join(st.name for st in settings.stages if st.kind != OPEN)) if key == "status" \
        else ", ".join(st.name for st in settings.stages)
    return Refusal(f"{ex.where(int(rows[0]), header)}: the {what} '{value}' ({len(rows):,} row(s)) is not a stage in "
                   f"Settings and no Import values line maps it.{more} Add a line '{label} | {value} | <one of: "
                   f"{targets}>' to the Import values block (导入值) of the Settings sheet, then run again.",
                   path=ex.path, sheet=ex.sheet, row=int(rows[0]), column=header, value=value)


__all__ = ["Export", "read_export", "CSV_SUFFIXES", "XLSX_SUFFIXES"]
