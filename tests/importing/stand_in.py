"""Test-only stand-ins for the exports adapter (``salesbook.adapters.exports.read_export``) and the
new-book helper (``salesbook.adapters.files.newbook.new_book``), installed by conftest.py only while
those modules are absent from the tree (they come from another branch). ``read_export`` reads an
export whose headers are already salesbook's, as .csv or as the first sheet of an .xlsx/.xlsm."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from salesbook.errors import Refusal
from salesbook.rules.schema import INPUTS, match_header

_INPUT_KEYS = {c.key for c in INPUTS}


@dataclass
class Export:
    path: Path
    frame: pd.DataFrame
    headers: dict[str, str] = field(default_factory=dict)
    stage_changed: pd.Series | None = None
    encoding: str | None = None
    delimiter: str | None = None
    unmapped: list[str] = field(default_factory=list)


def read_export(path, *, settings=None, preset=None) -> Export:
    path = Path(path)
    if preset:
        raise Refusal(f"--preset {preset}: presets come with the exports adapter, which this build lacks; import an "
                      "export whose headers are salesbook's.", path=path)
    if not path.is_file():
        raise Refusal(f"{path.name} does not exist: check the file name and folder.", path=path)
    if path.stat().st_size == 0:
        raise Refusal(f"{path.name} is empty: export the deals again from the CRM.", path=path)
    encoding = delimiter = None
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        if b"\x00" in raw[:65536]:
            raise Refusal(f"{path.name} is not a text CSV file (it holds binary data): export it again as CSV.",
                          path=path)
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise Refusal(f"{path.name} is neither UTF-8 nor GB18030 text: save it again as CSV UTF-8.", path=path)
        try:
            delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        import io

        grid = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        from salesbook.adapters.files import safety

        safety.preflight(path, for_write=False)
        import fastexcel

        sheet = fastexcel.read_excel(str(path)).load_sheet(0, dtypes="string")
        grid = sheet.to_pandas()
    else:
        raise Refusal(f"{path.name}: salesbook imports .xlsx, .xlsm and .csv exports.", path=path)
    if not len(grid.columns):
        raise Refusal(f"{path.name} is empty: export the deals again from the CRM.", path=path)
    cols, headers, unmapped = {}, {}, []
    for h in grid.columns:
        key = match_header(h)
        if key in _INPUT_KEYS and key not in cols:
            cols[key] = grid[h]
            headers[key] = str(h)
        else:
            unmapped.append(str(h))
    frame = pd.DataFrame(cols, index=grid.index).astype("string")
    frame = frame.where(frame.apply(lambda c: c.str.strip() != "").fillna(False))
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # the export's row numbers (header on row 1)
    return Export(path, frame, headers, None, encoding, delimiter, unmapped)


def new_book(path, leads=None, settings=None, language="en"):
    import xlsxwriter

    from salesbook.atomic import atomic_output
    from salesbook.builder.template import populate_workbook

    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        populate_workbook(wb, None, settings=settings, language=language)
        wb.close()
    return Path(path)
