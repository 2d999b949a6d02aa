"""Workbooks written by LibreOffice Calc (``soffice --headless --convert-to``), from:

- OpenDocument spreadsheets written here (pivot tables as DataPilots — LibreOffice exports them as
  xlsx pivotCacheDefinition / pivotCacheRecords / pivotTable parts —, the 1904 null date, an external
  reference, notes),
- XlsxWriter's books of xlsxwriter_books.py, opened and saved again by LibreOffice (its own writer
  style: every part rewritten, its part names, docProps/custom.xml …),
- a CSV file; and Excel 97-2003 files when a package ships some (see excel_files.py).

All conversions of a session run in one soffice call per output filter, with a private profile.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" '
          'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" ')

XLSX = "xlsx:Calc MS Excel 2007 XML"
XLSM = "xlsm:Calc MS Excel 2007 VBA XML"


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _cell(v) -> str:
    if v is None:
        return "<table:table-cell/>"
    if isinstance(v, dt.date):
        return (f'<table:table-cell office:value-type="date" office:date-value="{v.isoformat()}">'
                f"<text:p>{v.isoformat()}</text:p></table:table-cell>")
    if isinstance(v, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
    if isinstance(v, tuple) and v[0] == "formula":  # ("formula", "of:=…", cached number)
        return (f'<table:table-cell table:formula="{escape(v[1])}" office:value-type="float" office:value="{v[2]}">'
                f"<text:p>{v[2]}</text:p></table:table-cell>")
    if isinstance(v, tuple) and v[0] == "note":  # ("note", text, note)
        return (f'<table:table-cell office:value-type="string"><text:p>{escape(v[1])}</text:p><office:annotation>'
                f"<dc:creator>Zoe</dc:creator><text:p>{escape(v[2])}</text:p></office:annotation></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'


def write_ods(path: Path, sheets: dict[str, list[list]], *, pilots: str = "", null_date: dt.date | None = None,
              ranges: str = "") -> Path:
    body = ""
    if null_date:
        body += (f'<table:calculation-settings><table:null-date table:date-value="{null_date.isoformat()}"/>'
                 "</table:calculation-settings>")
    for name, rows in sheets.items():
        body += f'<table:table table:name="{escape(name)}">'
        body += "".join("<table:table-row>" + "".join(_cell(v) for v in r) + "</table:table-row>"
                        for r in rows or [[None]])
        body += "</table:table>"
    body += ranges + pilots
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} office:version="1.2">'
               f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


SALES = [["Region", "Rep", "Amount", "Day"]] + [
    [r, p, v, dt.date(2026, 1, 5) + dt.timedelta(days=3 * i)]
    for i, (r, p, v) in enumerate([("East", "Zoe", 10), ("West", "Yan", 20), ("East", "Yan", 5), ("North", "Zoe", 7),
                                   ("West", "Zoe", 3), ("North", "Yan", 11), ("East", "Zoe", 8)])]


def _pilot(name: str, target: str, fields: str) -> str:
    return (f'<table:data-pilot-table table:name="{name}" table:target-range-address="{target}">'
            '<table:source-cell-range table:cell-range-address="Data.A1:Data.D8"/>'
            f"{fields}"
            '<table:data-pilot-field table:source-field-name="" table:is-data-layout-field="true" '
            'table:orientation="column"/></table:data-pilot-table>')


def _pilots(tables: str) -> str:
    return f"<table:data-pilot-tables>{tables}</table:data-pilot-tables>"


def _field(name: str, orientation: str, function: str | None = None) -> str:
    f = f' table:function="{function}"' if function else ""
    return f'<table:data-pilot-field table:source-field-name="{name}" table:orientation="{orientation}"{f}/>'


def pivot_rows(path: Path) -> Path:
    pilots = _pilot("ByRegion", "Pivot.A1:B6", _field("Region", "row") + _field("Amount", "data", "sum"))
    return write_ods(path, {"Data": SALES, "Pivot": []}, pilots=_pilots(pilots))


def pivot_rows_columns(path: Path) -> Path:
    pilots = _pilot("RegionRep", "Pivot.A1:D7", _field("Region", "row") + _field("Rep", "column")
                    + _field("Amount", "data", "sum"))
    return write_ods(path, {"Data": SALES, "Pivot": []}, pilots=_pilots(pilots))


def pivot_page_field(path: Path) -> Path:
    pilots = _pilot("Filtered", "Pivot.A1:B8", _field("Rep", "page") + _field("Region", "row")
                    + _field("Amount", "data", "count"))
    return write_ods(path, {"Data": SALES, "Pivot": []}, pilots=_pilots(pilots))


def pivots_two_1904(path: Path) -> Path:
    pilots = (_pilot("P1", "One.A1:B6", _field("Region", "row") + _field("Amount", "data", "sum"))
              + _pilot("P2", "Two.A1:B6", _field("Rep", "row") + _field("Amount", "data", "average")))
    return write_ods(path, {"Data": SALES, "One": [], "Two": []}, null_date=dt.date(1904, 1, 1),
                     pilots=_pilots(pilots))


def dates_1904(path: Path) -> Path:
    rows = [["Day", "Calls"]] + [[dt.date(2026, 6, 1) + dt.timedelta(days=i), i] for i in range(5)]
    return write_ods(path, {"Calls": rows}, null_date=dt.date(1904, 1, 1))


def external_reference(path: Path) -> Path:
    other = write_ods(path.with_name("Rates.ods"), {"Rates": [[0.07]]})
    rows = [[("formula", f"of:=['{other.as_uri()}'#$Rates.A1]*100", 7), ("note", "noted", "an ods note")]]
    return write_ods(path, {"Calc": rows})


def named_ranges_autofilter(path: Path) -> Path:
    ranges = ('<table:named-expressions><table:named-range table:name="Amounts" '
              'table:base-cell-address="$Data.$C$2" table:cell-range-address="$Data.$C$2:.$C$8"/>'
              "</table:named-expressions>"
              '<table:database-ranges><table:database-range table:name="__Anonymous_Sheet_DB__0" '
              'table:target-range-address="Data.A1:Data.D8" table:display-filter-buttons="true"/>'
              "</table:database-ranges>")
    return write_ods(path, {"Data": SALES}, ranges=ranges)


def csv_file(path: Path) -> Path:
    path = path.with_suffix(".csv")
    path.write_text("Region,Rep,Amount\nEast,Zoe,10\nWest,Yan,20\n", encoding="utf-8")
    return path


# name -> (features, writer of the input file (folder/stem -> path) or ("xw", xlsxwriter book name), filter)
BOOKS = {
    "pivot": (("pivot",), pivot_rows, XLSX),
    "pivot-columns": (("pivot",), pivot_rows_columns, XLSX),
    "pivot-page-field": (("pivot",), pivot_page_field, XLSX),
    "pivots-1904": (("pivot", "1904", "date-cells"), pivots_two_1904, XLSX),
    "1904": (("1904", "date-cells"), dates_1904, XLSX),
    "external-link": (("external-link", "comments"), external_reference, XLSX),
    "names-autofilter": (("defined-names", "autofilter"), named_ranges_autofilter, XLSX),
    "csv": ((), csv_file, XLSX),
    "chart-column": (("chart",), ("xw", "chart-column"), XLSX),
    "chart-scatter": (("chart",), ("xw", "chart-scatter"), XLSX),
    "chartsheet": (("chartsheet", "chart"), ("xw", "chartsheet"), XLSX),
    "table": (("table", "formulas"), ("xw", "table-totals"), XLSX),
    "comments": (("comments",), ("xw", "comments"), XLSX),
    "images": (("image",), ("xw", "images"), XLSX),
    "cf-validation": (("conditional-format", "validation"), ("xw", "dashboard"), XLSX),
    "1904-xw": (("1904", "chart", "table", "date-cells"), ("xw", "1904-chart-table"), XLSX),
    "rich-text": (("rich-text",), ("xw", "rich-text"), XLSX),
    "sparklines": (("sparkline",), ("xw", "sparklines"), XLSX),
    "protection-merged": (("protection",), ("xw", "protection"), XLSX),
    "vba": (("vba", "form-control"), ("xw", "vba"), XLSM),
}


def convert(inputs: list[Path], outdir: Path, filter_: str, profile: Path) -> None:
    """Convert ``inputs`` into ``outdir`` in one soffice run (a private profile; no user state)."""
    if not inputs:
        return
    outdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(profile)}
    subprocess.run([soffice(), "--headless", "--norestore", "--nologo", "--nolockcheck",
                    f"-env:UserInstallation={profile.as_uri()}", "--convert-to", filter_, "--outdir", str(outdir),
                    *map(str, inputs)], check=True, capture_output=True, timeout=300, env=env)
