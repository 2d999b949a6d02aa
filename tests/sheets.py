"""Workbooks for tests, written with openpyxl: a sheet per entry, its rows appended in order."""

from __future__ import annotations

import openpyxl


def openpyxl_book(sheets: dict[str, list]) -> openpyxl.Workbook:
    """A new workbook holding ``sheets`` (name → rows, in order; the first is the active sheet).
    The caller formats cells or adds sheets as it likes, then saves it."""
    wb = openpyxl.Workbook()
    for i, (name, rows) in enumerate(sheets.items()):
        ws = wb.active if i == 0 else wb.create_sheet(name)
        ws.title = name
        for row in rows:
            ws.append(row)
    return wb
