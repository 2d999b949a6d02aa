"""Find the lead table in a workbook and read it as text, fast.

- :func:`locate_leads` finds where the leads are (an Excel Table, or a plain range
  under a header row) from the package structure and the first row of sheets only.
- :func:`read_leads` reads that block with fastexcel (Rust, Arrow) as strings, one
  column per table column, indexed by Excel row number.
- :func:`read_grid` reads a small sheet's raw values with python-calamine.

What ``read_leads`` returns for each kind of cell (checked by tests/xlsx/test_reader.py):

======================  =========================================================
cell                    value
======================  =========================================================
empty / missing row     missing (NaN of pandas' ``str`` dtype)
text                    the text as is; the text 'None' stays 'None'
number                  its shortest text: '45000', '1.5', '2' (9 significant
                        decimals at most, as fastexcel prints floats)
date                    'YYYY-MM-DD'; 'YYYY-MM-DD HH:MM:SS' when it has a time
boolean                 'TRUE' / 'FALSE'
error                   the error text: '#N/A', '#DIV/0!', '#VALUE!' ...
formula                 its cached value, by the rules above
======================  =========================================================
"""

from __future__ import annotations

import io
import os
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd

from salesbook.errors import Refusal
from salesbook.adapters import locate
from salesbook.adapters.locate import LeadsLocation
from salesbook.adapters.files import memory
from salesbook.adapters.files.cells import first_row, parse_ref
from salesbook.adapters.files.package import Package, SheetInfo, TableInfo
from salesbook.adapters.files.sheetscan import MEMBER_SCAN, SheetScan, _merges_in, _scan_part, _tail_after_sheet_data
from salesbook.cells import col_letter


_CELL_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}
_ERROR_DETAIL = re.compile(r"Error\((\w+)\)")


# --------------------------------------------------------------------------- location


def locate_leads(pkg: Package) -> LeadsLocation:
    """Where the leads are: a table named Leads, else a sheet named Leads/线索, else the
    sheet whose row-1 headers look most like a lead table (``locate.choose``). Refusal when none does."""
    def row1(sheet: SheetInfo) -> list[str] | None:
        headers = first_row(pkg, sheet.part)
        return _range_from_headers(sheet, headers, last_row=1).headers if headers else None

    loc = locate.choose(pkg.sheets, sheet_name=lambda s: s.name, tables=lambda s: pkg.tables(s.part),
                        table_names=lambda t: (t.name, t.display_name), table_headers=_table_headers,
                        row1_headers=row1, open_table=_table_location,
                        open_range=lambda s: _range_location(pkg, s))
    if loc is not None:
        return loc
    seen = ", ".join(f"'{s.name}'" for s in pkg.sheets) or "none"
    raise Refusal(
        f"No lead table found in {os.path.basename(pkg.path)}: no Excel Table named 'Leads', no sheet named "
        f"'Leads' or '线索', and no sheet whose first row has lead headers (Lead ID, Company, Owner, Stage, "
        f"Created). Sheets seen: {seen}. Put the leads on a sheet named 'Leads' with the headers in its "
        f"first row (or name their Excel Table 'Leads'), then run again.",
        path=pkg.path,
    )


def _table_headers(table: TableInfo) -> list[str]:
    """A table's column names, one per column of its range ('' for a missing one)."""
    _, c1, _, c2 = parse_ref(table.ref)
    width = c2 - c1 + 1
    return (list(table.columns) + [""] * width)[:width]


def _table_location(sheet: SheetInfo, table: TableInfo) -> LeadsLocation:
    r1, c1, r2, c2 = parse_ref(table.ref)
    header_row = r1 if table.header_row_count else r1 - 1
    last_row = max(header_row, r2 - table.totals_row_count)
    headers = _table_headers(table)
    return LeadsLocation(
        sheet_name=sheet.name,
        sheet_part=sheet.part,
        table_name=table.display_name or table.name,
        table_part=table.part,
        header_row=header_row,
        first_col=c1,
        last_col=c2,
        last_row=last_row,
        headers=headers,
        table_last_row=r2,
    )


def _range_location(pkg: Package, sheet: SheetInfo) -> LeadsLocation | None:
    headers = first_row(pkg, sheet.part)
    if not headers:
        return None
    loc = _range_from_headers(sheet, headers, last_row=1)
    loc.last_row = _range_last_row(pkg, loc)
    return loc


def _range_from_headers(sheet: SheetInfo, headers: dict[int, str], last_row: int) -> LeadsLocation:
    first, last = min(headers), max(headers)
    texts = [headers.get(c, "") for c in range(first, last + 1)]
    return LeadsLocation(sheet_name=sheet.name, sheet_part=sheet.part, table_name=None, table_part=None,
                         header_row=1, first_col=first, last_col=last, last_row=last_row, headers=texts)


def _range_last_row(pkg: Package, loc: LeadsLocation) -> int:
    """The last row with a value in the range's columns (trailing blank rows ignored)."""
    batch, errors = _load_block(pkg, loc.sheet_name, loc.header_row, None, loc.first_col, loc.last_col)
    filled = np.zeros(batch.num_rows, dtype=bool)
    for column in batch.columns:
        filled |= column.is_valid().to_numpy(zero_copy_only=False)
    for i, _, _ in errors:  # error cells are values too
        if 0 <= i < len(filled):
            filled[i] = True
    nz = np.flatnonzero(filled)
    return loc.header_row + (int(nz[-1]) + 1 if len(nz) else 0)


# --------------------------------------------------------------------------- reading


def _open(path_or_pkg) -> tuple[Package, bool]:
    if isinstance(path_or_pkg, Package):
        return path_or_pkg, False
    return Package.open(path_or_pkg), True


def _fastexcel(pkg: Package):
    import fastexcel

    if "fastexcel" not in pkg.cache:
        checked(pkg)
        try:
            pkg.cache["fastexcel"] = fastexcel.read_excel(calamine_source(pkg))
        except Exception as exc:
            raise Refusal(
                f"Cannot read {os.path.basename(pkg.path)}: {exc}. Open it in Excel and save it again.",
                path=pkg.path,
                detail=repr(exc),
            ) from None
    return pkg.cache["fastexcel"]


CALAMINE_SOURCE = "calamine_source"  # Package.cache key: what calamine opens (see calamine_source)
_CALAMINE_SHEET_TYPES = ("/worksheet", "/chartsheet", "/dialogsheet")  # the <sheet> kinds calamine opens


def calamine_source(pkg: Package) -> str | bytes:
    """What fastexcel and python-calamine open: the file itself, or, when workbook.xml
    lists a sheet calamine refuses to open (an Excel 4.0 macro sheet, relationship type
    .../xlMacrosheet: calamine fails the whole workbook with 'Unrecognized sheet:type'),
    an in-memory copy whose workbook.xml leaves those sheets out, every other part copied
    raw. salesbook reads only worksheets, and the file itself is never changed for this."""
    if CALAMINE_SOURCE not in pkg.cache:
        pkg.cache[CALAMINE_SOURCE] = _without_foreign_sheets(pkg) or pkg.path
    return pkg.cache[CALAMINE_SOURCE]  # type: ignore[return-value]


def _without_foreign_sheets(pkg: Package) -> bytes | None:
    from lxml import etree

    from salesbook.adapters.files.package import child, children, rel_attr
    from salesbook.adapters.files.package_writer import PackageWriter
    from salesbook.adapters.files.xmlsafe import parse_xml

    part = pkg.workbook_part
    root = parse_xml(pkg.read(part), part=part, path=pkg.path)
    rels = pkg.rels(part)
    sheets = child(root, "sheets")
    foreign = [el for el in (children(sheets, "sheet") if sheets is not None else [])
               if not rels.get(rel_attr(el, "id") or "", ("", ""))[0].endswith(_CALAMINE_SHEET_TYPES)]
    if not foreign:
        return None
    for el in foreign:
        sheets.remove(el)
    writer = PackageWriter(pkg)
    writer.put(part, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def checked(pkg: Package, sheet_name: str | None = None) -> None:
    """Wait until the parts a calamine-based reader is about to inflate are checked (their
    CRC and the bytes they really inflate to, by FileWorkbook's preflight pass, when there is one):
    the parts it reads when it opens the workbook and, given ``sheet_name``, that
    worksheet. fastexcel's zip reader inflates a part to its end whatever size the zip
    header declares, so it must not see a part before this (see salesbook.adapters.files.safety)."""
    pending = pkg.cache.get(MEMBER_SCAN)
    if pending is None:
        return
    pending.ready()
    info = pkg.sheet(sheet_name) if sheet_name is not None else None
    if info is not None:
        pending.ready([info.part])


def _load_block(pkg: Package, sheet_name: str, header_row: int, n_rows: int | None, first_col: int, last_col: int,
                *, eager: bool = False):
    """Rows below ``header_row`` of columns first..last as an Arrow batch of strings, and
    fastexcel's cell errors (error cells are null in string columns; errors say which).

    A load of all rows (``n_rows=None``) is cached for the next call on the same block.
    ``eager``: fastexcel's eager load (faster, ~45 MB less at 100k rows), which does not
    say which cells were errors: only for a sheet known to have no error cells; its errors
    are None (and it is not cached) unless a cached load is there to answer.
    """
    import pyarrow as pa

    key = _block_key(sheet_name, header_row, first_col, last_col)
    names = [f"c{i}" for i in range(last_col - first_col + 1)]
    cached = pkg.cache.get(key)
    if cached is not None:
        batch, errors = cached
        return (batch if n_rows is None else batch.slice(0, n_rows)), errors
    if n_rows == 0:
        return pa.RecordBatch.from_pydict({n: pa.array([], pa.string()) for n in names}), []
    kwargs = dict(
        header_row=None,
        skip_rows=header_row,
        use_columns=_letters(first_col, last_col),
        column_names=names,
        dtypes="string",
    )
    if n_rows is not None:
        kwargs["n_rows"] = n_rows
    reader = _fastexcel(pkg)  # opening the workbook (shared strings...) overlaps the sheet's check
    checked(pkg, sheet_name)
    if eager:
        return reader.load_sheet(sheet_name, eager=True, **kwargs), None
    sheet = reader.load_sheet(sheet_name, **kwargs)
    batch, cell_errors = sheet.to_arrow_with_errors()
    errors = _block_errors(sheet, cell_errors)
    if n_rows is None:
        pkg.cache[key] = (batch, errors)
    return batch, errors


def _block_key(sheet_name: str, header_row: int, first_col: int, last_col: int) -> tuple:
    return ("block", sheet_name, header_row, first_col, last_col)


def _block_errors(sheet, cell_errors) -> list[tuple[int, int, str]]:
    """fastexcel's cell errors as (row in the block, column in the block, detail).

    fastexcel gives the row relative to the first loaded row (offset_position) but the
    column as an index into the sheet's used range (which starts at its first non-empty
    column, not at A); its selected columns tell which block column that index is.
    """
    if cell_errors is None or not cell_errors.errors:
        return []
    by_index = {c.index: k for k, c in enumerate(sheet.selected_columns)}
    out = []
    for err in cell_errors.errors:
        j = by_index.get(err.position[1])
        if j is not None:
            out.append((err.offset_position[0], j, err.detail))
    return out


def _letters(first_col: int, last_col: int) -> str:
    """fastexcel's column selection: 'C' or 'C:E' (it refuses 'C:C')."""
    if first_col == last_col:
        return col_letter(first_col)
    return f"{col_letter(first_col)}:{col_letter(last_col)}"


def read_leads(path_or_pkg, loc: LeadsLocation) -> pd.DataFrame:
    """The lead table as text: one column per table column, index = Excel row numbers.

    Columns are named by header text (a repeated or blank header gets ' (2)', ' (3)'...);
    ``loc.headers`` keeps the raw texts. ``frame.attrs['merged_ranges']`` lists merged
    ranges that intersect the table; ``frame.attrs['merged_cells']`` the ones over its data rows,
    as (ref, first row, last row, column names), which the rules turn into row problems.
    """
    pkg, owned = _open(path_or_pkg)
    try:
        n = loc.n_rows
        scans = pkg.cache.get(MEMBER_SCAN)  # every part being read already (FileWorkbook's CRC pass)
        found: list[SheetScan] = []
        failed: list[BaseException] = []

        def scan_sheet() -> None:
            try:
                found.append(_scan_part(pkg, loc.sheet_part))
            except BaseException as exc:  # re-raised below, in the caller's thread
                failed.append(exc)

        thread = None
        if scans is None:  # the part's tail (merges) and error cells, streamed beside fastexcel
            thread = threading.Thread(target=scan_sheet, daemon=True)
            thread.start()
        block = (loc.sheet_name, loc.header_row, n, loc.first_col, loc.last_col)
        eager = pkg.cache.get(_block_key(loc.sheet_name, loc.header_row, loc.first_col, loc.last_col)) is None
        batch, errors = _load_block(pkg, *block, eager=eager)
        if thread is not None:
            thread.join()
        else:
            scan = scans.scanned(loc.sheet_part)
            if scan is None:  # not scanned (a damaged member on the way): read it here
                scan_sheet()
            else:
                found.append(scan)
        if failed:
            raise failed[0]
        if errors is None and found[0].error_cells:  # error cells: load again, asking which they are
            batch = None
            batch, errors = _load_block(pkg, *block)
        batch, booleans = _fix_dates(batch)
        frame = _to_frame(batch, n)
        del batch
        _fix_values(frame, pkg, loc, errors or [], booleans)
        frame.columns = unique_names(loc.headers)
        frame.index = pd.RangeIndex(loc.header_row + 1, loc.last_row + 1)
        loc.merges = _merges_in(found[0].tail, None)
        merges = _merges_in(found[0].tail, _bounds(loc))
        frame.attrs["merged_ranges"] = merges
        frame.attrs["merged_cells"] = _merged_cells(merges, loc, list(frame.columns))
        return frame
    finally:
        _release(pkg)
        if owned:
            pkg.close()
        memory.release()  # fastexcel's copy of the sheet is gone: give its memory back


def _merged_cells(merges: list[str], loc: LeadsLocation, names: list[str]) -> list[tuple[str, int, int, tuple[str, ...]]]:
    """Merged ranges over data rows of the table: (ref, first row, last row, frame column names)."""
    out = []
    for ref in merges:
        try:
            r1, c1, r2, c2 = parse_ref(ref)
        except ValueError:
            continue
        r1, r2 = max(r1, loc.header_row + 1), min(r2, loc.last_row)
        cols = tuple(names[c - loc.first_col] for c in range(max(c1, loc.first_col), min(c2, loc.last_col) + 1))
        if r1 <= r2 and cols:
            out.append((ref, r1, r2, cols))
    return out


def sheet_ref(name: str) -> str:
    """A sheet name as a reference writes it: 'My Leads' quoted, Leads as it is."""
    return name if re.fullmatch(r"[^\W\d]\w*", name) else "'" + name.replace("'", "''") + "'"


def merged_header(loc: LeadsLocation, merges: list[str]) -> str | None:
    """The refusal's sentence when a merged range spans two or more columns of the table's header
    row (a group title over Authority, Need and Timeline; the top of a two-row header): the
    columns under it have no header of their own, so they would silently not be read. None when
    no merge does."""
    for ref in merges:
        try:
            r1, c1, r2, c2 = parse_ref(ref)
        except ValueError:
            continue
        if not (r1 <= loc.header_row <= r2 and c1 < c2 and c1 <= loc.last_col and c2 >= loc.first_col):
            continue
        text = loc.headers[c1 - loc.first_col] if loc.first_col <= c1 <= loc.last_col else ""
        shown = f" ('{text}' over columns {col_letter(c1)} to {col_letter(c2)})" if text else ""
        hidden = [col_letter(c) for c in range(c1 + 1, c2 + 1)]
        cols = (f"{hidden[0]} to {hidden[-1]}" if len(hidden) > 3
                else ", ".join(hidden[:-1]) + (" and " if len(hidden) > 1 else "") + hidden[-1])
        return (f"the header cells {sheet_ref(loc.sheet_name)}!{ref} are merged{shown}, so "
                f"column{'s' if len(hidden) > 1 else ''} {cols} {'have' if len(hidden) > 1 else 'has'} no header "
                f"of {'their' if len(hidden) > 1 else 'its'} own and would not be read. Unmerge them (Home > "
                f"Merge & Center > Unmerge Cells) and give each column its own header in row {loc.header_row}, "
                f"then run again.")
    return None


def _release(pkg: Package) -> None:
    """Drop fastexcel's reader and cached blocks: they hold the sheet's cells in memory."""
    for key in [k for k in pkg.cache if k == "fastexcel" or (isinstance(k, tuple) and k[0] == "block")]:
        del pkg.cache[key]


def _bounds(loc: LeadsLocation) -> tuple[int, int, int, int]:
    return loc.header_row, loc.first_col, max(loc.last_row, loc.header_row), loc.last_col


def _to_frame(batch, n: int) -> pd.DataFrame:
    frame = batch.to_pandas()
    frame = frame.astype("str") if len(frame.columns) else frame
    if len(frame) < n:  # rows past the sheet's last used row: blank
        pad = pd.DataFrame({c: pd.Series([np.nan] * (n - len(frame)), dtype="str") for c in frame.columns})
        frame = pd.concat([frame, pad], ignore_index=True)
    elif len(frame) > n:
        frame = frame.iloc[:n]
    return frame.reset_index(drop=True)


_MIDNIGHT = " 00:00:00"
_DATETIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"


def _fix_dates(batch):
    """fastexcel's dates at midnight ('2026-01-02 00:00:00') as dates ('2026-01-02'), with
    Arrow over each column of the batch; and which columns hold 'true'/'false' (booleans,
    or that text: see _fix_booleans)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns, booleans = [], []
    for j, arr in enumerate(batch.columns):
        if arr.null_count < len(arr):
            midnight = pc.ends_with(arr, _MIDNIGHT)
            if pc.any(midnight).as_py():
                is_dt = pc.and_(midnight, pc.match_substring_regex(arr, _DATETIME)).fill_null(False)
                arr = pc.if_else(is_dt, pc.utf8_slice_codeunits(arr, 0, 10), arr)
            if pc.any(pc.is_in(arr, value_set=pa.array(["true", "false"], arr.type))).as_py():
                booleans.append(j)
        columns.append(arr)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names), booleans


def _fix_values(frame: pd.DataFrame, pkg: Package, loc: LeadsLocation, errors, booleans: list[int]) -> None:
    """Turn fastexcel's string forms into ours once _fix_dates has done the dates: booleans
    and error texts. ``booleans``: the columns _fix_dates found 'true'/'false' in."""
    for j, col in enumerate(frame.columns):
        if j not in booleans:
            continue
        s = frame[col]
        if not s.notna().any():
            continue
        lower = s.isin(("true", "false"))
        if lower.any():
            _fix_booleans(frame, col, lower, pkg, loc)
    for i, j, detail in errors or ():
        if 0 <= i < len(frame) and 0 <= j < len(frame.columns):
            frame.iat[i, j] = _error_text(detail)


def _fix_booleans(frame: pd.DataFrame, col: str, lower: pd.Series, pkg: Package, loc: LeadsLocation) -> None:
    """'true'/'false' from fastexcel is a boolean cell or that text: ask again with a boolean dtype."""
    j = list(frame.columns).index(col)
    reader = _fastexcel(pkg)
    letter = col_letter(loc.first_col + j)
    sheet = reader.load_sheet(
        loc.sheet_name,
        header_row=None,
        skip_rows=loc.header_row,
        n_rows=loc.n_rows,
        use_columns=letter,
        column_names=["b"],
        dtypes="boolean",
    )
    batch, errs = sheet.to_arrow_with_errors()
    not_bool = np.zeros(len(frame), dtype=bool)
    for i, _, _ in _block_errors(sheet, errs):
        if 0 <= i < len(frame):
            not_bool[i] = True
    is_bool = lower.to_numpy() & ~not_bool
    if is_bool.any():
        frame.loc[is_bool, col] = frame.loc[is_bool, col].str.upper()


def _error_text(detail: str) -> str:
    m = _ERROR_DETAIL.search(detail or "")
    if not m:
        return "#VALUE!"
    return _CELL_ERRORS.get(m.group(1), "#" + m.group(1).upper() + "!")


def unique_names(headers: list[str]) -> list[str]:
    """Header texts made unique: the second 'Notes' becomes 'Notes (2)'."""
    seen: dict[str, int] = {}
    taken = set()
    out = []
    for h in headers:
        name = "" if h is None else str(h)
        key = name.casefold()
        if key in seen or name in taken:
            k = seen.get(key, 1) + 1
            while f"{name} ({k})" in taken:
                k += 1
            seen[key] = k
            name = f"{name} ({k})"
        else:
            seen[key] = 1
        taken.add(name)
        out.append(name)
    return out


# --------------------------------------------------------------------------- merges


def merged_ranges(path_or_pkg, sheet_part: str, bounds: tuple[int, int, int, int] | None = None) -> list[str]:
    """Merged ranges of a sheet ('A2:B3'), only those intersecting ``bounds`` when given.

    mergeCells follow the cell data, so the part is streamed through zlib to its end;
    nothing but the tail is kept.
    """
    pkg, owned = _open(path_or_pkg)
    try:
        if not pkg.has(sheet_part):
            return []
        return _merges_in(_tail_after_sheet_data(pkg, sheet_part), bounds)
    finally:
        if owned:
            pkg.close()


# --------------------------------------------------------------------------- grids

CALAMINE = "calamine"  # Package.cache key: python-calamine's open workbook, or the Future opening it


def _open_calamine(pkg: Package):
    from python_calamine import CalamineWorkbook

    checked(pkg)
    source = calamine_source(pkg)
    if isinstance(source, bytes):
        return CalamineWorkbook.from_filelike(io.BytesIO(source))
    return CalamineWorkbook.from_path(source)


def open_grids_beside(pkg: Package) -> None:
    """Start opening python-calamine's workbook (it parses the shared strings) in a thread, so
    that it overlaps fastexcel's read of the lead table (both release the GIL): read_grid then
    finds it open. A failure is raised by the read_grid that waits for it."""
    if CALAMINE not in pkg.cache:
        pkg.cache[CALAMINE] = _BESIDE.submit(_open_calamine, pkg)


def drop_grids(pkg: Package) -> None:
    """Forget calamine's workbook (Settings and History are read), first waiting for an
    opening still under way, so that no thread reads the file after the caller is done."""
    wb = pkg.cache.pop(CALAMINE, None)
    if isinstance(wb, Future):
        wb.cancel() or wb.exception()


_BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="salesbook-grids")


def read_grid(path_or_pkg, sheet_name: str) -> list[list[object]]:
    """Raw values of a (small) sheet from A1: text, float/int, bool, datetime.date/
    datetime, None for empty; trailing empty rows and columns trimmed.

    The python-calamine workbook is cached on a Package, so reading Settings and
    History parses the shared strings once.
    """
    if isinstance(path_or_pkg, Package):
        wb = path_or_pkg.cache.get(CALAMINE)
        if wb is None:
            wb = path_or_pkg.cache[CALAMINE] = _open_calamine(path_or_pkg)
        elif isinstance(wb, Future):
            wb = path_or_pkg.cache[CALAMINE] = wb.result()
        checked(path_or_pkg, sheet_name)
    else:
        with Package.open(path_or_pkg) as pkg:
            wb = _open_calamine(pkg)
    rows = wb.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    out: list[list[object]] = [_grid_row(row) for row in rows]
    while out and not out[-1]:
        out.pop()
    return out


def _grid_row(row: list) -> list:
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    vals = row[:end]
    for i, v in enumerate(vals):
        if v == "":
            vals[i] = None
        elif type(v) is float and v.is_integer() and -1e15 < v < 1e15:
            vals[i] = int(v)
    return vals


__all__ = [
    "LeadsLocation",
    "locate_leads",
    "read_leads",
    "read_grid",
    "merged_ranges",
    "merged_header",
    "unique_names",
    "col_letter",
]
