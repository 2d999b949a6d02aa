"""The Leads rewrite a chunk at a time (numpy/Arrow) gives the same bytes as row by row.

The reference is the row-at-a-time path alone (the rewriter without its chunk scan,
``scan_rows``); both must write the same
part for every sheet, whatever it holds: rows out of the usual shape (gaps, self-closing
rows, whitespace, odd references, cells right of the run, values in the owned cells),
chunk and block boundaries anywhere, many style layouts in one block.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from salesbook.adapters.files import leads_writer, owned_cells
from salesbook.adapters.files.leads_writer import LeadsRewriter
from salesbook.adapters.files.owned_cells import OwnedColumn
from salesbook.adapters.files.references import RowMap
from salesbook.adapters.files.reader import LeadsLocation, col_letter
from salesbook.adapters.files.styles import StyleBook

HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats'
        b'.org/spreadsheetml/2006/main"><dimension ref="A1:H60"/><sheetData>')
TAIL = b'</sheetData><mergeCells count="1"><mergeCell ref="A70:B70"/></mergeCells></worksheet>'


def _cell(ref: str, rng: random.Random) -> bytes:
    kind = rng.random()
    s = b' s="%d"' % rng.choice([1, 2, 3]) if rng.random() < 0.7 else b""
    if kind < 0.3:
        return b'<c r="%s"%s/>' % (ref.encode(), s)
    if kind < 0.6:
        return b'<c r="%s"%s><v>%d</v></c>' % (ref.encode(), s, rng.randint(0, 99))
    if kind < 0.8:
        return b'<c r="%s"%s t="inlineStr"><is><t>x &lt;c r="E9"/&gt; y</t></is></c>' % (ref.encode(), s)
    return b'<c r="%s"%s t="s"><v>%d</v></c>' % (ref.encode(), s, rng.randint(0, 9))


def _row(n: int, rng: random.Random, last_col: int, right: int) -> bytes:
    odd = rng.random()
    cols = [c for c in range(1, last_col + 1) if rng.random() < 0.8]
    if odd < 0.03:
        cols.append(right)  # a cell right of the owned columns
    cells = [_cell(f"{col_letter(c)}{n}", rng) for c in cols]
    if odd < 0.06 and cells:
        i = rng.randrange(len(cells))
        cells[i] = cells[i].replace(b'<c r="', b'<c s="1" r="', 1)  # an irregular cell
    elif odd < 0.09 and len(cells) > 2:
        cells[0], cells[-1] = cells[-1], cells[0]  # out of column order
    elif odd < 0.11 and cells:
        cells[-1] = cells[-1].replace(b'<c r="%s%d"' % (col_letter(cols[-1]).encode(), n),
                                      b'<c r="%s%d"' % (col_letter(cols[-1]).encode(), n + 1))
    elif odd < 0.13 and cells:
        cells.append(cells[-1])  # the same cell twice
    elif odd < 0.15 and len(cells) > 1:
        cells[-2], cells[-1] = cells[-1], cells[-2]  # the last two swapped
    elif odd < 0.17 and cells:
        i = rng.randrange(len(cells))
        cells[i] = cells[i][:6] + cells[i][6:7].lower() + cells[i][7:]  # a lower-case reference
    elif odd < 0.19 and cells:
        cells[-1] = b'<c r="%s%d" s="1">x<v>1</v></c>' % (col_letter(cols[-1]).encode(), n)  # text in a cell
    elif odd < 0.2 and cells:
        cells[-1] = b'<c r="%s%dx" s="1"/>' % (col_letter(cols[-1]).encode(), n)  # a reference with a tail
    tag = b'<row r="%d"%s>' % (n, b' spans="1:%d"' % last_col if rng.random() < 0.8 else b"")
    if odd > 0.985:
        return b'<row r="%d"/>' % n
    if odd > 0.97:
        return b'\n' + tag + b"".join(cells) + b"</row>"
    if odd > 0.96:
        return b'<row spans="1:3" r="%d">' % n + b"".join(cells) + b"</row>"
    return tag + b"".join(cells) + b"</row>"


def _sheet(seed: int, n_rows: int, last_col: int, right: int) -> bytes:
    rng = random.Random(seed)
    rows = [b'<row r="1">' + b"".join(b'<c r="%s1" t="s"><v>0</v></c>' % col_letter(c).encode()
                                       for c in range(1, last_col + 1)) + b"</row>"]
    n = 2
    while n <= n_rows + 1:
        if rng.random() < 0.03:
            n += rng.randint(1, 3)  # rows absent from the XML
            continue
        rows.append(_row(n, rng, last_col, right))
        n += 1
    if n == n_rows + 2:  # right below the table
        rows.append(b'<row r="%d"><c r="A%d"><v>1</v></c><c r="%s%d" s="1"/></row>'
                    % (n, n, col_letter(right - 1).encode(), n))
    rows.append(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n_rows + 5, n_rows + 5))  # further below
    return HEAD + b"".join(rows) + TAIL


def _rewrite(xml: bytes, owned_cols: list[int], appended: set[int], n_rows: int, chunk: int) -> bytes:
    last_col = max(c for c in owned_cols if c not in appended) if len(appended) < len(owned_cols) else 5
    loc = LeadsLocation("Leads", "xl/worksheets/sheet1.xml", None, None, 1, 1, last_col, n_rows + 1,
                        [f"H{c}" for c in range(1, last_col + 1)])
    rng = np.random.default_rng(len(xml))
    owned = []
    for k, col in enumerate(owned_cols):
        if k % 3 == 0:
            values = pd.Series([None if v < 0.2 else f"t{v:.1f}" for v in rng.random(n_rows)], dtype=object)
            kind = "text"
        elif k % 3 == 1:
            values = pd.Series(rng.integers(0, 100, n_rows).astype(float))
            values[values < 10] = np.nan
            kind = "number"
        else:
            values = pd.Series(pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n_rows), unit="D"))
            kind = "date"
        owned.append(OwnedColumn(col, f"k{col}", f"Out {col}", kind, values, col in appended, 12.0 if col in appended else None))
    rewriter = LeadsRewriter(loc, owned, StyleBook(None), RowMap([]))
    out: list[bytes] = []
    chunks = [xml[i:i + chunk] for i in range(0, len(xml), chunk)]
    try:
        rewriter.rewrite(iter(chunks), lambda b: out.append(bytes(b)))
    except leads_writer.NeighbourInUse as exc:  # a value right of the table, where a column goes
        return exc.message.encode()
    return b"".join(out)


@pytest.mark.parametrize("seed", range(24))
def test_chunk_path_writes_what_the_row_path_writes(seed, monkeypatch):
    rng = random.Random(seed)
    n_rows = rng.choice([40, 300, 900])
    last_col = rng.choice([6, 8, 30])
    if seed % 3 == 0:  # the output columns are the table's last ones
        owned = list(range(last_col - 2, last_col + 1))
        appended: set[int] = set()
    elif seed % 3 == 1:  # appended right of the table
        owned = [last_col + 1, last_col + 2]
        appended = set(owned)
    else:  # in the middle: cells right of them
        owned = [2, 3]
        appended = set()
    xml = _sheet(seed, n_rows, last_col, max(owned) + 1)
    monkeypatch.setattr(owned_cells, "BLOCK_ROWS", rng.choice([16, 64, 1 << 14]))
    monkeypatch.setattr(owned_cells, "MAX_PLANS_PER_BLOCK", rng.choice([2, 16]))
    chunk = rng.choice([500, 4096, 1 << 20])
    with monkeypatch.context() as row_by_row:
        row_by_row.setattr(leads_writer, "scan_rows", lambda *a: None)  # no chunk: the general path alone
        expected = _rewrite(xml, owned, appended, n_rows, chunk)
    assert _rewrite(xml, owned, appended, n_rows, chunk) == expected


def test_regular_rows_take_the_chunk_path(monkeypatch):
    """The plain layout (every row the next one, owned cells last) never falls back."""
    rows = [b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>']
    rows += [b'<row r="%d" spans="1:3"><c r="A%d"><v>%d</v></c><c r="B%d" s="2"/><c r="C%d" s="1"/></row>'
             % (n, n, n, n, n) for n in range(2, 2002)]
    xml = HEAD + b"".join(rows) + TAIL
    calls = []
    original = LeadsRewriter._fast_rows
    monkeypatch.setattr(LeadsRewriter, "_fast_rows", lambda self, pieces, out: (calls.append(len(pieces)),
                                                                                 original(self, pieces, out)))
    loc = LeadsLocation("Leads", "xl/worksheets/sheet1.xml", None, None, 1, 1, 3, 2001, ["A", "B", "C"])
    owned = [OwnedColumn(2, "grade", "B", "text", pd.Series(["A"] * 2000, dtype=object), False),
             OwnedColumn(3, "score", "C", "number", pd.Series(np.arange(2000.0)), False)]
    out: list[bytes] = []
    LeadsRewriter(loc, owned, StyleBook(None), RowMap([])).rewrite(
        iter([xml[i:i + 7000] for i in range(0, len(xml), 7000)]), lambda b: out.append(bytes(b)))
    assert sum(calls) == 1  # the header row only
    data = b"".join(out)
    assert data.count(b"</row>") == 2001
    assert b'<row r="2001" spans="1:3"><c r="A2001"><v>2001</v></c><c r="B2001" s="2" t="inlineStr"><is><t>A</t>' \
           b'</is></c><c r="C2001" s="1"><v>1999</v></c></row>' in data


@pytest.mark.parametrize("kind", ["text", "number", "date"])
def test_categorical_outputs_are_written_as_object_ones(kind):
    """The rules may hand over text outputs as pandas Categoricals: same cells as object columns."""
    from salesbook.adapters.files import cellxml

    base = {"text": ["A", None, "", "B & <C>", "A", " lead", "中文"],
            "number": [1.5, None, "", "7", 3, "x", 2.0],
            "date": [pd.Timestamp("2026-01-02"), None, "", "2026-02-03", pd.NaT, "soon", pd.Timestamp("1899-12-31")]}[kind]
    values = pd.Series(base * 50, dtype=object)
    expected_tails, expected_dates = cellxml.encode(values, kind)
    tails, dates = cellxml.encode(values.astype("category"), kind)
    assert tails.to_pylist() == expected_tails.to_pylist()
    assert list(dates) == list(expected_dates)
