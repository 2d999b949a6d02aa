"""Write a run's results into a copy of the workbook, keeping everything else.

``write_workbook`` streams the Leads sheet through :class:`LeadsRewriter` (output
columns, deleted rows), renders the add-in's own sheets through the renderer
(``salesbook.adapters.files.render`` / ``salesbook.adapters.files.append``), adds styles as needed and
writes a zip in which every other entry is copied raw (byte-identical, same order).
The output is deterministic: the same inputs give the same bytes, and running
twice gives the same workbook as running once.
"""

from __future__ import annotations

import os
import posixpath
import re
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from salesbook.rules import schema
from salesbook.errors import Refusal
from salesbook.reports.model import AppendRows, SheetModel, log_sheet_model
from salesbook.adapters.files import calcchain, memory
from salesbook.adapters.files.leads_writer import LeadsRewriter, OwnedColumn
from salesbook.adapters.files.charts import CHART_RID, DRAWING_RID
from salesbook.adapters.files.ooxml import CT_CHART, CT_DRAWING, CT_STYLES, REL_CHART, REL_DRAWING, REL_STYLES
from salesbook.adapters.files.package import Package, rels_name
from salesbook.adapters.files.package_writer import DeflateSink, PackageWriter
from salesbook.adapters.files.notes import shift_defined_names, shift_notes
from salesbook.adapters.files.ownership import claim, mark
from salesbook.adapters.files.printing import extend_print_area, set_print_names
from salesbook.adapters.files.references import RowMap, shift_references
from salesbook.adapters.files.cells import parse_ref, shared_strings
from salesbook.adapters.files.reader import LeadsLocation, col_letter, sheet_ref
from salesbook.adapters.files.stream import BackgroundWriter, Prefetch
from salesbook.adapters.files.styles import StyleBook
from salesbook.adapters.files.table import edit_table, table_column_name


# Widths of appended output columns (characters); others are sized by their header.
_WIDTHS = {"grade_reason": 48.0, "stale_reason": 40.0, "next_followup": 14.0, "followup_status": 16.0}


@dataclass
class OutputColumn:
    key: str  # canonical key (schema.OUTPUT_KEYS)
    header: str  # header text to use if the column must be appended
    values: pd.Series  # positional, one per data row (len == last_row - header_row)
    kind: str  # 'text' | 'number' | 'date'


def write_workbook(
    src,
    dst,
    loc: LeadsLocation,
    *,
    columns: Sequence[OutputColumn] = (),
    sheets: Sequence[SheetModel] = (),
    appends: Sequence[AppendRows] = (),
    delete_rows: Sequence[int] = (),
    render=None,
    inputs=None,
    import_blocks=None,
) -> None:
    """Write ``src`` with the changes to ``dst`` (a path; the caller makes it atomic).
    ``inputs``: an import's input cells (``import_rows.InputEdits``), never with deleted rows. With
    output columns (the run after the import, on the merged table: their values cover the rows the
    import appends too) the Leads part is read once, its input cells edited and its output columns
    written in one pass. ``import_blocks``: (ImportColumn, ImportValue) lines added to the Settings
    sheet's Import blocks (``settings_blocks``)."""
    if inputs is not None and delete_rows:
        raise ValueError("an import's input cells are written without deleted rows")
    if os.path.exists(dst) and os.path.exists(src) and os.path.samefile(src, dst):
        raise ValueError("write_workbook needs a destination other than its source")
    pkg = Package.open(src)
    deflater = None
    try:
        _refuse_strict(pkg)
        changed: list[calcchain.Area] = []  # cells whose formulas the write replaces, moves or deletes
        with tempfile.TemporaryFile(prefix="salesbook-") as tmp:
            writer = PackageWriter(pkg)
            deflater = _Deflater(writer)
            styles_part = _styles_part(pkg)
            styles = StyleBook(pkg.read(styles_part) if styles_part and pkg.has(styles_part) else None)
            rows = RowMap(delete_rows)
            _check_deleted_rows(loc, rows)
            claim(pkg, [n for n in [m.name for m in sheets] + [a.name for a in appends]  # a user's Funnel is
                        if n not in loc.claimed])  # never touched (the service looked when reading)
            if import_blocks is not None and any(import_blocks):
                from salesbook.adapters.files.settings_blocks import write_import_lines

                write_import_lines(pkg, writer, *import_blocks)
            importing = inputs is not None and len(inputs.values)
            after = _grown(loc, inputs) if importing else loc  # the table once the import's rows are in
            owned = owned_columns(after, columns, pkg)
            if importing and not owned:
                changed += _import_leads(pkg, writer, loc, inputs, styles, tmp)
                memory.release()
            elif owned or rows:
                edited = _rewrite_leads(pkg, writer, loc, owned, rows, styles, tmp, inputs=inputs if importing else None)
                changed += _leads_areas(after, owned, rows) + edited
                memory.release()
            if sheets or appends:
                renderers = _renderers(render)
                added: dict[str, str] = {}
                for model in sheets:
                    replaced = _find_sheet(pkg, writer, model.name, added)
                    if replaced is not None:  # every cell of the sheet is rewritten
                        changed.append(calcchain.Area(replaced))
                    deflater.submit(_write_model(pkg, writer, model, styles, renderers, added))
                    memory.release()  # each rendering's buffers, before the next one builds its own
                for rows_to_add in appends:
                    deflater.submit(_write_append(pkg, writer, rows_to_add, styles, renderers, added))
                    memory.release()
            if styles.changed():
                _put_styles(writer, styles_part, styles)
            calcchain.drop_if_stale(pkg, writer, changed)
            deflater.finish()
            writer.write(dst)
    except BaseException:
        _remove_quietly(dst)
        raise
    finally:
        if deflater is not None:
            deflater.close()
        pkg.close()


class _Deflater:
    """Deflates big rendered parts in threads while the next sheet renders (zlib releases
    the GIL), and drops each part's XML as soon as its compressed copy is in a temporary
    file: the zip writer then copies the compressed bytes, as for the Leads sheet."""

    BIG = 1 << 20  # smaller parts are deflated by the zip writer as before

    def __init__(self, writer: PackageWriter):
        self._writer = writer
        self._threads: list[threading.Thread] = []
        self._files: list = []
        self._errors: list[BaseException] = []

    def submit(self, part: str | None) -> None:
        data = self._writer.pending(part) if part else None
        if not isinstance(data, bytes) or len(data) < self.BIG:
            return
        thread = threading.Thread(target=self._deflate, args=(part, data), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _deflate(self, part: str, data: bytes) -> None:
        try:
            file = tempfile.TemporaryFile(prefix="salesbook-")
            self._files.append(file)
            sink = DeflateSink(file, self._writer.level)
            sink.write(data)
            self._writer.swap(part, data, sink.close())  # unless the part was put again meanwhile
        except BaseException as exc:  # raised in finish(), in the caller's thread
            self._errors.append(exc)

    def finish(self) -> None:
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        if self._errors:
            raise self._errors[0]

    def close(self) -> None:
        for thread in self._threads:
            thread.join()
        for file in self._files:
            file.close()


# --------------------------------------------------------------------------- leads sheet


def owned_columns(loc: LeadsLocation, columns: Sequence[OutputColumn], pkg: Package | None = None) -> list[OwnedColumn]:
    """Where each output column goes: its column in the table, or appended at the right."""
    found = schema.match_headers(list(loc.headers))
    out: list[OwnedColumn] = []
    seen: set[str] = set()
    taken = {str(h).casefold() for h in loc.headers}  # a table's column names must stay unique
    next_col = loc.last_col + 1
    n = loc.last_row - loc.header_row
    for c in columns:
        if c.key in seen:
            continue
        seen.add(c.key)
        if len(c.values) != n:
            raise ValueError(f"output column {c.key!r} has {len(c.values)} values for {n} rows")
        values = c.values.reset_index(drop=True)
        if c.key in found:
            out.append(OwnedColumn(loc.first_col + found[c.key], c.key, c.header, c.kind, values, False))
        else:
            header = table_column_name(c.header, taken)
            taken.add(header.casefold())
            out.append(OwnedColumn(next_col, c.key, header, c.kind, values, True, _width(c.key, header)))
            next_col += 1
    appended = [oc for oc in out if oc.appended]
    if appended and pkg is not None:
        _check_room(pkg, loc, appended)
    _check_merged_outputs(loc, out)
    return out


def _check_merged_outputs(loc: LeadsLocation, owned: list[OwnedColumn]) -> None:
    """Refuse when a merged range covers cells an output column writes: the value under the
    merge would be hidden and the merge's first value shown for every row it covers."""
    bottom = max(loc.table_last_row or loc.last_row, loc.last_row)
    for ref in loc.merges:
        try:
            r1, c1, r2, c2 = parse_ref(ref)
        except ValueError:
            continue
        if r1 == r2 and c1 == c2:
            continue  # a one-cell 'merge' hides nothing
        for oc in owned:
            top = loc.header_row if oc.appended else loc.header_row + 1
            if c1 <= oc.col <= c2 and r1 <= bottom and r2 >= top:
                raise Refusal(
                    f"{sheet_ref(loc.sheet_name)}!{ref} is merged over the output column '{oc.header}' "
                    f"(column {col_letter(oc.col)}), so the merge would show one lead's value for every row it "
                    "covers. Unmerge it (Home > Merge & Center > Unmerge Cells), then run again.",
                    sheet=loc.sheet_name, column=oc.header,
                )


def _width(key: str, header: str) -> float:
    if key in _WIDTHS:
        return _WIDTHS[key]
    chars = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in header)
    return float(max(10, min(40, chars + 4)))


def _check_room(pkg: Package, loc: LeadsLocation, appended: list[OwnedColumn]) -> None:
    """Refuse when appended columns would run into another table or past Excel's edge."""
    first, last = appended[0].col, appended[-1].col
    where = f"the {loc.table_name} table" if loc.table_name else "the lead columns"
    if last > 16384:
        raise Refusal(
            f"{Path(pkg.path).name}: there is no room right of {where} on sheet '{loc.sheet_name}' for the "
            "output columns (the sheet uses every column up to XFD). Delete the unused columns at the right "
            "of the sheet, then run again.",
            path=pkg.path, sheet=loc.sheet_name,
        )
    if loc.table_name is not None and loc.header_row < _table_top(pkg, loc):
        raise Refusal(
            f"The {loc.table_name} table on sheet '{loc.sheet_name}' has no header row; turn on its header "
            "row in Excel (Table Design > Header Row), then run again.",
            path=pkg.path, sheet=loc.sheet_name,
        )
    bottom = loc.table_last_row or loc.last_row
    for table in pkg.tables(loc.sheet_part):
        if loc.table_part is not None and table.part == loc.table_part:
            continue
        try:
            r1, c1, r2, c2 = parse_ref(table.ref)
        except ValueError:
            continue
        if c1 <= last and c2 >= first and r1 <= bottom and r2 >= loc.header_row:
            letter = col_letter(max(c1, first))
            raise Refusal(
                f"Column {letter} next to {where} on sheet '{loc.sheet_name}' is in use (table "
                f"'{table.display_name}'); move it or add the output columns to the table yourself.",
                path=pkg.path, sheet=loc.sheet_name, column=letter,
            )


def _table_top(pkg: Package, loc: LeadsLocation) -> int:
    for table in pkg.tables(loc.sheet_part):
        if table.part == loc.table_part:
            return parse_ref(table.ref)[0]
    return loc.header_row


def _check_deleted_rows(loc: LeadsLocation, rows: RowMap) -> None:
    """Deleted rows are lead rows: only the table's cells on them go (Delete Table Rows)."""
    if rows and rows.deleted[0] <= loc.header_row:
        raise ValueError(f"cannot delete row {rows.deleted[0]}: it is not below the header row {loc.header_row}")
    if rows and rows.deleted[-1] > loc.last_row:
        raise ValueError(f"cannot delete row {rows.deleted[-1]}: it is below the last lead row {loc.last_row}")


def _grown(loc: LeadsLocation, inputs) -> LeadsLocation:
    """The lead table's location once an import's rows are in (rows below it make it taller)."""
    from dataclasses import replace

    if inputs.last_row <= loc.last_row:
        return loc
    return replace(loc, last_row=inputs.last_row,
                   table_last_row=inputs.last_row if loc.table_last_row is not None else None)


def _rewrite_leads(pkg, writer, loc, owned, rows, styles, tmp, inputs=None) -> list[calcchain.Area]:
    """The output columns (and deleted rows) written into the Leads part. ``inputs``: an import's
    cells too, edited in the same pass (the import's rewrite feeds this one); returns the cells
    whose formulas the import overwrote."""
    importer = None
    if inputs is not None:
        importer = _importer(pkg, writer, loc, inputs, styles)
        loc = _grown(loc, inputs)
    if loc.table_part is not None and pkg.has(loc.table_part):
        appended = [oc.header for oc in owned if oc.appended]
        last_col = max([oc.col for oc in owned if oc.appended], default=None)
        if appended or rows:
            writer.put(loc.table_part, edit_table(writer.get(loc.table_part), new_columns=appended,
                                                  last_col=last_col, rows=rows))
    rewriter = LeadsRewriter(loc, owned, styles, rows, path=pkg.path, table_last_row=loc.table_last_row,
                             date1904=pkg.date1904)
    sink = DeflateSink(tmp, writer.level)
    background = BackgroundWriter(sink.write)
    try:
        with _own_zip(pkg) as zf, zf.open(loc.sheet_part) as stream, Prefetch(stream) as chunks:
            source = iter(chunks) if importer is None else importer.stream(iter(chunks))
            rewriter.rewrite(source, background.write)
    finally:
        background.close()
    writer.put(loc.sheet_part, sink.close())
    if rewriter.rows:  # notes and defined names follow their cells like the formulas do (salesbook.adapters.files.notes)
        shift_notes(pkg, writer, loc.sheet_part, rewriter.rows)
        workbook = writer.get(pkg.workbook_part)
        names = shift_defined_names(workbook, rewriter.rows, loc.sheet_name)
        if names != workbook:
            writer.put(pkg.workbook_part, names)
        shift_references(pkg, writer, loc.sheet_part, loc.sheet_name, rewriter.rows)  # other sheets, charts
    return _edited_areas(loc, importer) if importer is not None else []


def _importer(pkg, writer, loc, inputs, styles):
    """The import's rewrite of the Leads part (``import_rows``); the table grows over appended rows."""
    from salesbook.adapters.files.import_rows import ImportRewriter

    if inputs.last_row > loc.last_row and (loc.table_last_row or loc.last_row) > loc.last_row:
        raise Refusal(f"The {loc.table_name or 'lead'} table on sheet '{loc.sheet_name}' has a totals row; the import "
                      "adds new leads below the last lead. Turn the totals row off (Table Design > Total Row), "
                      "import, then turn it on again.", path=pkg.path, sheet=loc.sheet_name)
    if loc.table_part is not None and pkg.has(loc.table_part):
        grown = edit_table(pkg.read(loc.table_part), last_row=inputs.last_row)
        writer.put(loc.table_part, grown)
    return ImportRewriter(loc, inputs, styles, path=pkg.path, date1904=pkg.date1904)


def _edited_areas(loc, rewriter) -> list[calcchain.Area]:
    """The cells an import replaced (a bound per column), whose formulas are gone."""
    spans: dict[int, tuple[int, int]] = {}
    for col, row in rewriter.edited:
        lo, hi = spans.get(col, (row, row))
        spans[col] = (min(lo, row), max(hi, row))
    return [calcchain.Area(loc.sheet_part, (col, col), rows) for col, rows in sorted(spans.items())]


def _import_leads(pkg, writer, loc, inputs, styles, tmp) -> list[calcchain.Area]:
    """The import's input cells written into the Leads sheet (``import_rows``), nothing else of the
    part. Returns the cells whose formulas were overwritten."""
    rewriter = _importer(pkg, writer, loc, inputs, styles)
    sink = DeflateSink(tmp, writer.level)
    background = BackgroundWriter(sink.write)
    try:
        with _own_zip(pkg) as zf, zf.open(loc.sheet_part) as stream, Prefetch(stream) as chunks:
            rewriter.rewrite(iter(chunks), background.write)
    finally:
        background.close()
    writer.put(loc.sheet_part, sink.close())
    return _edited_areas(loc, rewriter)


def _leads_areas(loc: LeadsLocation, owned: list[OwnedColumn], rows: RowMap) -> list[calcchain.Area]:
    """The Leads cells a rewrite replaces (output columns) or moves and deletes (archived rows)."""
    areas = [calcchain.Area(loc.sheet_part, (oc.col, oc.col),
                            (loc.header_row if oc.appended else loc.header_row + 1, loc.last_row))
             for oc in owned]
    if rows:  # table cells from the first deleted row down to the table's end move up (or go)
        last_col = max([loc.last_col] + [oc.col for oc in owned if oc.appended])
        bottom = max(loc.table_last_row or 0, loc.last_row)
        areas.append(calcchain.Area(loc.sheet_part, (loc.first_col, last_col), (rows.deleted[0], bottom)))
    return areas


def _refuse_strict(pkg: Package) -> None:
    """A Strict Open XML workbook gets no Transitional parts: refuse before writing anything."""
    if pkg.strict:
        raise Refusal(
            f"{Path(pkg.path).name} is saved as a Strict Open XML Spreadsheet, which salesbook cannot write "
            "into; in Excel choose File > Save As > Excel Workbook (*.xlsx), then run again.",
            path=pkg.path,
        )


def _own_zip(pkg: Package):
    """A second handle on the source zip, so the prefetch thread has its own file position."""
    import zipfile

    return zipfile.ZipFile(pkg.path)


# --------------------------------------------------------------------------- owned sheets


def _renderers(render):
    if render is not None:
        return render, render
    from salesbook.adapters.files import append as append_mod
    from salesbook.adapters.files import render as render_mod

    return render_mod, append_mod


def _find_sheet(pkg: Package, writer: PackageWriter, name: str, added: dict[str, str]) -> str | None:
    info = pkg.sheet(name)
    if info is not None:
        return info.part
    return added.get(name.casefold())


_SHEET_PR = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetPr\b[^>]*?(?:/>|>.*?</(?:[A-Za-z_][\w.-]*:)?sheetPr\s*>)", re.S)


def sheet_pr(xml: bytes) -> bytes | None:
    """The <sheetPr> element of a sheet (it carries the VBA codeName), unprefixed."""
    head = xml[: xml.find(b"sheetData")] if b"sheetData" in xml else xml[:65536]
    m = _SHEET_PR.search(head)
    if not m:
        return None
    pr = m.group(0)
    prefix = re.match(rb"<([A-Za-z_][\w.-]*:)", pr)
    if prefix:  # the renderer writes the main namespace unprefixed
        p = re.escape(prefix.group(1))
        pr = re.sub(b"<(/?)" + p, rb"<\1", pr)
    return pr


def _write_model(pkg, writer, model: SheetModel, styles, renderers, added) -> str:
    """Render a sheet model into its part (replaced in place or added); returns the part."""
    render_mod, _ = renderers
    part = _find_sheet(pkg, writer, model.name, added)
    pr = sheet_pr(writer.get(part)) if part else None
    rendered = render_mod.render_sheet(model, styles, sheet_pr=pr, date1904=pkg.date1904)
    if part is None:
        part = writer.add_worksheet(model.name, rendered.sheet_xml).part
        added[model.name.casefold()] = part
    else:
        writer.put(part, rendered.sheet_xml)
    _set_drawing(writer, part, rendered.drawing_xml, list(rendered.charts or []))
    mark(writer, model.name, _sheet_name(pkg, model.name))
    _set_print_names(writer, model)
    return part


def _set_print_names(writer: PackageWriter, model: SheetModel) -> None:
    """The sheet's print area and title rows (defined names in workbook.xml)."""
    workbook = writer.get(writer.pkg.workbook_part)
    named = set_print_names(workbook, model.name, model)
    if named != workbook:
        writer.put(writer.pkg.workbook_part, named)


def _set_drawing(writer: PackageWriter, sheet_part: str, drawing: bytes | None, charts: list[bytes]) -> None:
    """Give a rendered sheet its drawing and charts, reusing the parts it had."""
    rels = writer.relationships(sheet_part)
    old = [(rid, target) for rid, (rtype, target) in rels.items() if rtype == REL_DRAWING]
    old_drawing = old[0][1] if old else None
    old_charts = _drawing_charts(writer, old_drawing) if old_drawing else []
    for rid, _ in old:
        if drawing is None or rid != DRAWING_RID:
            writer.remove_relationship(sheet_part, rid)
    if drawing is None:
        if old_drawing:
            _remove_part(writer, old_drawing)
            for chart in old_charts:
                _remove_part(writer, chart)
        return
    folder = posixpath.dirname(posixpath.dirname(sheet_part))  # 'xl'
    drawing_part = old_drawing or writer.free_part_name(posixpath.join(folder, "drawings", "drawing{}.xml"))
    writer.put(drawing_part, drawing)
    writer.set_content_type(drawing_part, CT_DRAWING)
    writer.add_relationship(sheet_part, REL_DRAWING, drawing_part, rid=DRAWING_RID)
    chart_parts = []
    for i, xml in enumerate(charts):
        part = old_charts[i] if i < len(old_charts) else writer.free_part_name(
            posixpath.join(folder, "charts", "chart{}.xml"))
        writer.put(part, xml)
        writer.set_content_type(part, CT_CHART)
        chart_parts.append(part)
    for extra in old_charts[len(charts):]:
        _remove_part(writer, extra)
    rels_xml = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">']
    for i, part in enumerate(chart_parts, start=1):
        target = posixpath.relpath(part, posixpath.dirname(drawing_part))
        rels_xml.append(f'<Relationship Id="{CHART_RID.format(i)}" Type="{REL_CHART}" Target="{target}"/>')
    rels_xml.append("</Relationships>")
    if chart_parts:
        writer.put(rels_name(drawing_part), "".join(rels_xml).encode("utf-8"))
    elif writer.has(rels_name(drawing_part)):
        writer.remove(rels_name(drawing_part))


def _drawing_charts(writer: PackageWriter, drawing_part: str) -> list[str]:
    """The chart parts of a drawing, in the order of their relationship ids."""
    rels = writer.relationships(drawing_part)
    charts = [(rid, target) for rid, (rtype, target) in rels.items() if rtype == REL_CHART]

    def order(item):
        m = re.search(r"(\d+)$", item[0])
        return (int(m.group(1)) if m else 0, item[0])

    return [target for _, target in sorted(charts, key=order)]


def _remove_part(writer: PackageWriter, part: str) -> None:
    if writer.has(part):
        writer.remove(part)
    if writer.has(rels_name(part)):
        writer.remove(rels_name(part))
    writer.remove_content_type(part)


def _write_append(pkg, writer, rows: AppendRows, styles, renderers, added) -> str:
    """Append rows to a log sheet (added when missing); returns its part."""
    _, append_mod = renderers
    part = _find_sheet(pkg, writer, rows.name, added)
    existing = writer.get(part) if part else None
    sst = None
    if existing is not None and re.search(rb'\st="s"', existing):
        sst = shared_strings(pkg)  # lazy: only the header's strings get decoded
    xml = append_mod.render_append(existing, rows, styles, sst, date1904=pkg.date1904)
    from salesbook.adapters.files.append import used_bounds

    if part is None:
        part = writer.add_worksheet(rows.name, xml).part
        added[rows.name.casefold()] = part
        _set_print_names(writer, log_sheet_model(rows))  # a new log sheet prints like the template's
    else:
        writer.put(part, xml)
        bounds = used_bounds(xml) if xml is not existing else None
        if bounds is not None:  # its print area (if any) grows with the rows
            workbook = writer.get(writer.pkg.workbook_part)
            grown = extend_print_area(workbook, rows.name, bounds)
            if grown != workbook:
                writer.put(writer.pkg.workbook_part, grown)
    mark(writer, rows.name, _sheet_name(pkg, rows.name))
    return part


def _sheet_name(pkg: Package, name: str) -> str:
    """The name as the workbook spells it ('funnel'), or ``name`` for a sheet being added."""
    info = pkg.sheet(name)
    return info.name if info is not None else name


# --------------------------------------------------------------------------- styles


def _styles_part(pkg: Package) -> str | None:
    for rtype, target in pkg.rels(pkg.workbook_part).values():
        if rtype == REL_STYLES or rtype.endswith("/styles"):
            return target
    return None


def _put_styles(writer: PackageWriter, part: str | None, styles: StyleBook) -> None:
    if part is None:
        part = posixpath.join(posixpath.dirname(writer.pkg.workbook_part), "styles.xml")
        writer.add_relationship(writer.pkg.workbook_part, REL_STYLES, part)
        writer.set_content_type(part, CT_STYLES)
    writer.put(part, styles.to_bytes())


def _remove_quietly(path) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


__all__ = ["OutputColumn", "write_workbook", "owned_columns", "sheet_pr"]
