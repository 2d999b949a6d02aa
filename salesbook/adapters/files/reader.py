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

import html
import io
import os
import re
import threading
import zipfile
from array import array

import numpy as np
import pandas as pd

from salesbook.errors import Refusal
from salesbook.adapters import locate
from salesbook.adapters.locate import LeadsLocation
from salesbook.adapters.files import memory
from salesbook.adapters.files.package import Package, SheetInfo, TableInfo
from salesbook.cells import col_index, col_letter


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


# --------------------------------------------------------------------------- references






_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def parse_ref(ref: str) -> tuple[int, int, int, int]:
    """'B2:D10' -> (min_row, min_col, max_row, max_col); 'B2' -> a single cell."""
    cells = [m.groups() for m in _REF.finditer(ref)]
    if not cells:
        raise ValueError(f"not a cell reference: {ref!r}")
    (c1, r1), (c2, r2) = cells[0], cells[-1]
    rows = sorted((int(r1), int(r2)))
    cols = sorted((col_index(c1), col_index(c2)))
    return rows[0], cols[0], rows[1], cols[1]


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


# --------------------------------------------------------------------------- first row


_ROW_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*?)(/?)>")
_ROW_CLOSE = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?row\s*>")
_SHEETDATA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>|<(?:[A-Za-z_][\w.-]*:)?sheetData\s*/>")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?c\s*>)", re.S)
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_V = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v\b[^>]*>(.*?)</(?:[A-Za-z_][\w.-]*:)?v\s*>", re.S)
_T = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?t\b[^>]*?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?t\s*>)", re.S)
_RPH = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?rPh\b.*?</(?:[A-Za-z_][\w.-]*:)?rPh\s*>", re.S)
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CELL_REF = re.compile(rb"([A-Za-z]{1,3})(\d+)")


def attrs(raw: bytes) -> dict[bytes, bytes]:
    """Attributes of a start tag as bytes, prefixes dropped ('x:r' -> 'r')."""
    out = {}
    for m in _ATTR.finditer(raw):
        name = m.group(1).rsplit(b":", 1)[-1] if not m.group(1).startswith(b"xmlns") else m.group(1)
        out[name] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


def xml_text(raw: bytes) -> str:
    """Element text as Excel means it: XML entities and _xHHHH_ escapes decoded."""
    text = html.unescape(raw.decode("utf-8")) if b"&" in raw else raw.decode("utf-8")
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def rich_text(inner: bytes) -> str:
    """The text of an <si> or <is>: its <t> runs, phonetic runs left out."""
    inner = _RPH.sub(b"", inner)
    return "".join(xml_text(m.group(1) or b"") for m in _T.finditer(inner))


def first_row(pkg: Package, part: str, row: int = 1) -> dict[int, str]:
    """Non-empty cell texts of one row near the top of a sheet, {column: text}.

    Reads the sheet part only up to that row (streaming), so it is cheap on big sheets.
    """
    xml = _rows_until(pkg, part, row)
    if xml is None:
        return {}
    out: dict[int, str] = {}
    col = 0
    for m in _CELL.finditer(xml):
        a = attrs(m.group(1))
        ref = a.get(b"r")
        if ref:
            cm = _CELL_REF.match(ref)
            col = col_index(cm.group(1).decode()) if cm else col + 1
        else:
            col += 1
        text = cell_text(pkg, a, m.group(2) or b"")
        if text not in (None, ""):
            out[col] = text
    return out


def _rows_until(pkg: Package, part: str, wanted: int) -> bytes | None:
    """The XML content of row ``wanted`` (None when absent), read incrementally."""
    if not pkg.has(part):
        return None
    buf, pos, row, eof = b"", 0, 0, False
    with pkg.stream(part) as f:
        while True:
            m = _ROW_OPEN.search(buf, pos)
            close = _ROW_CLOSE.search(buf, m.end()) if m is not None and not m.group(2) else None
            if m is None or (not m.group(2) and close is None):
                if eof or _SHEETDATA_END.search(buf, pos):
                    return None
                chunk = f.read(1 << 16)
                eof = not chunk
                buf += chunk
                continue
            a = attrs(m.group(1))
            row = int(a[b"r"]) if a.get(b"r", b"").isdigit() else row + 1
            if row > wanted:
                return None
            if row == wanted:
                return b"" if m.group(2) else buf[m.end(): close.start()]
            pos = m.end() if m.group(2) else close.end()


def cell_text(pkg: Package, a: dict[bytes, bytes], inner: bytes) -> str | None:
    """A cell's displayed value as text (formulas: their cached value)."""
    t = a.get(b"t", b"n")
    if t == b"inlineStr":
        m = re.search(rb"<(?:[A-Za-z_][\w.-]*:)?is\b[^>]*>(.*?)</(?:[A-Za-z_][\w.-]*:)?is\s*>", inner, re.S)
        return rich_text(m.group(1)) if m else None
    v = _V.search(inner)
    if v is None:
        return None
    raw = v.group(1)
    if t == b"s":
        try:
            return shared_strings(pkg)[int(raw)]
        except (ValueError, IndexError):
            return None
    if t == b"b":
        return "TRUE" if raw.strip() in (b"1", b"true") else "FALSE"
    text = xml_text(raw)
    if t == b"n":
        try:
            f = float(text)
            return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
        except ValueError:
            return text
    return text


class SharedStrings:
    """The shared strings table, decoded lazily: only the items asked for are decoded
    (finding an item's bytes is a cheap scan; decoding rich text is the cost)."""

    _SI = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si\b[^>]*?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?si\s*>)", re.S)

    def __init__(self, data: bytes):
        self._data = data
        self._items = self._SI.finditer(data)
        self._starts = array("q")  # byte span of each item's content (-1, -1 when empty)
        self._ends = array("q")
        self._decoded: dict[int, str] = {}
        self._pieces: list[bytes] | None = None

    def _scan_to(self, i: int) -> None:
        while len(self._starts) <= i:
            m = next(self._items, None)
            if m is None:
                raise IndexError(i)
            self._starts.append(m.start(1) if m.group(1) is not None else -1)
            self._ends.append(m.end(1) if m.group(1) is not None else -1)

    def __getitem__(self, i: int) -> str:
        text = self._decoded.get(i)
        if text is None:
            text = self._decoded[i] = rich_text(self._item(i))
        return text

    def _item(self, i: int) -> bytes:
        """The raw content of item i. Unprefixed tables (nearly all) are cut at '<si' in C,
        one split for the whole table; prefixed ones fall back to the regex scan."""
        if self._pieces is None:
            self._pieces = self._data.split(b"<si") if b"<si" in self._data else []
        if self._pieces:
            if i + 1 >= len(self._pieces):
                raise IndexError(i)
            piece = self._pieces[i + 1]
            head = piece.find(b">")
            if head < 0 or piece[head - 1:head] == b"/":
                return b""  # <si/>
            end = piece.find(b"</si")
            return piece[head + 1:end if end >= 0 else len(piece)]
        self._scan_to(i)
        start = self._starts[i]
        return self._data[start:self._ends[i]] if start >= 0 else b""

    def __len__(self) -> int:
        """Items found so far (the whole table after ``all``)."""
        return len(self._starts)

    def all(self) -> list[str]:
        try:
            self._scan_to(1 << 62)
        except IndexError:
            pass
        return [self[i] for i in range(len(self._starts))]


def shared_strings(pkg: Package) -> SharedStrings:
    """The package's shared strings (parsed lazily, cached on the package)."""
    key = "shared_strings"
    if key not in pkg.cache:
        part = None
        for rtype, target in pkg.rels(pkg.workbook_part).values():
            if rtype.endswith("/sharedStrings"):
                part = target
        data = pkg.read(part) if part and pkg.has(part) else b""
        pkg.cache[key] = SharedStrings(data)
    return pkg.cache[key]  # type: ignore[return-value]


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

    from salesbook.adapters.files.package import PackageWriter, child, children, rel_attr
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


_MERGE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=\"([^\"]+)\"")


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


def _merges_in(tail: bytes, bounds: tuple[int, int, int, int] | None) -> list[str]:
    refs = [m.group(1).decode() for m in _MERGE.finditer(tail)]
    if bounds is None:
        return refs
    r1, c1, r2, c2 = bounds
    out = []
    for ref in refs:
        try:
            a, b, c, d = parse_ref(ref)
        except ValueError:
            continue
        if a <= r2 and c >= r1 and b <= c2 and d >= c1:
            out.append(ref)
    return out


MEMBER_SCAN = "member_scan"  # Package.cache key: the safety.PendingCrc checking the parts (SheetScan on worksheets)


class SheetScan:
    """What one streaming pass over a worksheet part learns: the merged ranges after its
    cell data and whether it may hold error cells (``t="e"``), which fastexcel's eager load
    leaves blank without saying so. Fed chunk by chunk; keeps only the mergeCell elements
    of what follows the cell data, so a huge tail costs no memory."""

    def __init__(self) -> None:
        self._window = b""
        self._tail: list[bytes] | None = None  # the <mergeCell ref=".."/> elements after </sheetData>
        self._rest = b""  # an element cut at the end of the last chunk
        self.error_cells = False

    @classmethod
    def for_member(cls, name: str) -> "SheetScan | None":
        """A scan for every XML member (for safety.preflight's CRC pass)."""
        return cls() if name.lower().endswith(".xml") else None

    def feed(self, chunk: bytes) -> None:
        if self._tail is not None:
            self._keep_merges(chunk)
            return
        window = self._window + chunk
        if not self.error_cells and _may_hold_error_cells(window):
            self.error_cells = True
        if b"sheetData" in window:
            m = _SHEETDATA_END.search(window)
            if m:
                self._tail = []
                self._keep_merges(window[m.end():])
                return
        self._window = window[-64:]

    def _keep_merges(self, data: bytes) -> None:
        data = self._rest + data
        cut = data.rfind(b"<")
        if cut >= 0 and data.find(b">", cut) < 0:  # a tag goes on in the next chunk
            data, rest = data[:cut], data[cut:]
            self._rest = rest if len(rest) <= 4096 else b""  # no mergeCell tag is that long
        else:
            self._rest = b""
        self._tail.extend(m.group(0) + b"/>" for m in _MERGE.finditer(data))

    @property
    def tail(self) -> bytes:
        """The mergeCell elements after </sheetData> (b'' when there are none)."""
        return b"".join(self._tail) if self._tail is not None else b""


_ERROR_TYPE = re.compile(rb"""(?:^|[\s"'])t\s*=\s*$""")


def _may_hold_error_cells(data: bytes) -> bool:
    """Is there a ``t="e"`` (a cell of type error) in ``data``? (Text that merely looks like
    one counts too: then the caller only takes the slower, exact way.)"""
    for quoted in (b'"e"', b"'e'"):
        i = data.find(quoted)
        while i >= 0:
            if _ERROR_TYPE.search(data, max(0, i - 32), i):
                return True
            i = data.find(quoted, i + 1)
    return False


def _scan_part(pkg: Package, part: str) -> SheetScan:
    """Stream a part through a SheetScan, with its own file handle (so it can run in a thread
    beside fastexcel: zlib releases the GIL while inflating)."""
    scan = SheetScan()
    if not pkg.has(part):
        return scan
    with zipfile.ZipFile(pkg.path) as zf, zf.open(part) as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            scan.feed(chunk)
    return scan


def _tail_after_sheet_data(pkg: Package, part: str) -> bytes:
    """The mergeCell elements after </sheetData>, streamed."""
    return _scan_part(pkg, part).tail


# --------------------------------------------------------------------------- grids


def read_grid(path_or_pkg, sheet_name: str) -> list[list[object]]:
    """Raw values of a (small) sheet from A1: text, float/int, bool, datetime.date/
    datetime, None for empty; trailing empty rows and columns trimmed.

    The python-calamine workbook is cached on a Package, so reading Settings and
    History parses the shared strings once.
    """
    from python_calamine import CalamineWorkbook

    def open_workbook(pkg: Package) -> CalamineWorkbook:
        checked(pkg)
        source = calamine_source(pkg)
        if isinstance(source, bytes):
            return CalamineWorkbook.from_filelike(io.BytesIO(source))
        return CalamineWorkbook.from_path(source)

    if isinstance(path_or_pkg, Package):
        wb = path_or_pkg.cache.get("calamine")
        if wb is None:
            wb = path_or_pkg.cache["calamine"] = open_workbook(path_or_pkg)
        checked(path_or_pkg, sheet_name)
    else:
        with Package.open(path_or_pkg) as pkg:
            wb = open_workbook(pkg)
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
    "first_row",
    "shared_strings",
    "unique_names",
    "col_letter",
    "col_index",
    "parse_ref",
]
