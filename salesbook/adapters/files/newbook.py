"""A new plain pipeline workbook (.xlsx: Leads, Settings and the add-in's sheets) from a frame
of leads, written all or nothing. `salesbook run EXPORT --output graded.xlsx` and `salesbook
import … --into NEW.xlsx` create their book with it; the layout is the demo's
(``builder.template.populate_workbook``), so every command reads it like any other book.

The leads come as the readers give them (text: '45000', '2026-10-08'; see
adapters/files/reader.py) or typed; text that reads as an ISO date in a date column, or as a
plain number in an amount or count column, is written as a real date or number, anything else
as the text it is (an ambiguous '08/10/2026' stays text, for the rules to report).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from salesbook.rules.schema import BY_KEY, COUNT, DATE, NUMBER, match_headers
from salesbook.rules.settings import Settings

_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_PLAIN_NUMBER = r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"


def typed_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """The frame with its date, amount and count columns typed where the text says so
    unambiguously (ISO dates, plain numbers); every other cell as it was."""
    found = match_headers(list(leads.columns))
    out = leads.copy()
    for key, i in found.items():
        kind = BY_KEY[key].kind
        if kind not in (DATE, NUMBER, COUNT):
            continue
        s = leads.iloc[:, i]
        if s.dtype.kind in "Mfiu":
            continue
        text = s.astype("string").str.strip()
        if kind == DATE:
            iso = text.str.match(_ISO).fillna(False).astype(bool)
            dates = pd.to_datetime(text.where(iso).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
            ok = dates.notna().to_numpy()
            values = pd.Series(np.where(ok, dates.astype(object).to_numpy(),
                                        s.to_numpy(dtype=object, na_value=None)), index=s.index, dtype=object)
        else:
            plain = text.str.match(_PLAIN_NUMBER).fillna(False).astype(bool)
            nums = pd.to_numeric(text.where(plain), errors="coerce")
            ok = nums.notna().to_numpy()
            values = pd.Series(np.where(ok, nums.to_numpy(dtype=float, na_value=np.nan),
                                        s.to_numpy(dtype=object, na_value=None)), index=s.index, dtype=object)
        out[out.columns[i]] = values
    return out


def new_book(path: str | os.PathLike[str], leads: pd.DataFrame | None, settings: Settings | None = None,
             language: str = "en", *, title: str = "Sales pipeline") -> Path:
    """Write a plain pipeline workbook at ``path`` (replaced atomically): the Leads table holds
    ``leads`` (columns named by canonical keys or by English/Chinese headers; the frame's own
    extra columns kept after the input columns), Settings shows ``settings`` (the Import blocks
    included), Funnel, Cleanse, History, Archive, Check and Help are laid out empty. Headers and
    drop-downs in ``language`` ('en' or 'zh'). Returns the path."""
    import xlsxwriter  # only when a book is created: run and check never load XlsxWriter

    from salesbook.adapters.files.safety import atomic_output
    from salesbook.builder.template import populate_workbook

    path = Path(path)
    language = "zh" if language == "zh" else "en"
    frame = typed_leads(leads) if leads is not None else None
    if frame is not None:
        frame = frame.rename(columns={c: BY_KEY[c].header(language) for c in frame.columns if c in BY_KEY})
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties({"title": title, "author": "salesbook", "created": dt.datetime.now().replace(microsecond=0)})
        populate_workbook(wb, frame, settings=settings, language=language)
        wb.close()
    return path


__all__ = ["new_book", "typed_leads"]
