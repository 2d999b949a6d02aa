"""Reading rows of the Leads sheet XML: cell tokens of one row (:func:`parse_cells`), and the scan
of a whole chunk of rows at once with numpy (:func:`scan_rows`: where rows and cells are, their
numbers and columns, each row's plan) for the rewriter's chunk path."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.compute as pc

from salesbook.cells import col_index, col_letter

_NAME = rb"[A-Za-z_][\w.-]*"


@dataclass
class CellTok:
    col: int
    start: int
    end: int
    attrs: bytes  # raw attribute text of the start tag
    inner: bytes | None  # None for <c/>
    has_r: bool

    def has_value(self) -> bool:
        return bool(self.inner) and (b"<" in self.inner) and bool(
            re.search(rb"<(?:" + _NAME + rb":)?(?:v|is|f)\b", self.inner)
        )


ATTR_R = re.compile(rb'(?:^|\s)r\s*=\s*"([A-Za-z]{1,3})(\d+)"')
ATTR_S = re.compile(rb'(?:^|\s)s\s*=\s*"(\d+)"')


def parse_cells(body: bytes, cell_re: re.Pattern) -> list[CellTok]:
    cells = []
    col = 0
    for m in cell_re.finditer(body):
        attrs = m.group(1)
        r = ATTR_R.search(attrs)
        col = col_index(r.group(1).decode()) if r else col + 1
        cells.append(CellTok(col, m.start(), m.end(), attrs, m.group(3), r is not None))
    return cells

# --------------------------------------------------------------------------- rows a chunk at a time

# The text after an owned cell's reference up to the next tag: its other attributes, '/'
# when it is empty, '>' (and any whitespace). As sig_re reads a cell's start tag.
REST = re.compile(rb'([^>]*?)(/?)>[ \t\r\n]*')


def _bytes(region: bytes) -> np.ndarray:
    return np.frombuffer(region, dtype=np.uint8)


def _match(buf: np.ndarray, lt: np.ndarray, cand: np.ndarray, pat: bytes) -> np.ndarray:
    """The indexes in ``lt`` (positions of '<') among ``cand`` (known to hold pat[0:2])
    where ``pat`` starts."""
    for k in range(2, len(pat)):
        if not len(cand):
            break
        cand = cand[buf.take(lt[cand] + k, mode="clip") == pat[k]]
    return cand


def _digits_after(region: bytes, at: np.ndarray) -> np.ndarray:
    """How many ASCII digits start at each position (0..7)."""
    buf = _bytes(region)
    d = buf.take(at[:, None] + np.arange(8), mode="clip")
    return np.argmin((d >= 48) & (d <= 57), axis=1)


def row_parts(region: bytes, bounds: list[np.ndarray], count: int) -> list[pa.Array]:
    """Cut ``region`` at ``bounds`` (per row, ascending, each list one cut per row) and
    return the first ``count`` pieces of each row as Arrow arrays (one copy, no Python
    object per row): the cuts are the offsets of one binary array over the region."""
    rows, width = len(bounds[0]), len(bounds)
    offs = np.empty(rows * width, dtype=np.int32)
    for t, b in enumerate(bounds):
        offs[t::width] = b
    arr = pa.Array.from_buffers(pa.binary(), rows * width - 1, [None, pa.py_buffer(offs), pa.py_buffer(region)])
    return [arr.take(pa.array(np.arange(t, rows * width - 1, width, dtype=np.int64))) for t in range(count)]


def _column_key(col: int) -> int:
    """A column's letters as scan_rows keys them: (count, 1st, 2nd, 3rd letter) in one number."""
    word = col_letter(col).encode()
    return (len(word) << 24) | sum(c << (16 - 8 * t) for t, c in enumerate(word))


def _column_keys(first: int, last: int) -> np.ndarray:
    return np.array([_column_key(c) for c in range(first, last + 1)], dtype=np.int64)


IRREGULAR = object()  # scan_rows: a cell not written <c r="...


def scan_rows(region: bytes, stop: int, rw: "LeadsRewriter"):
    """Where the rows and owned cells of ``region[:stop]`` are, and each row's plan.

    Returns (row starts, row ends (their '</row>'), numbers, data-row indexes, where each
    row's owned cells start, which rows the chunk path may take, each row's plan index,
    the plans, the closing quotes of r="n", where the rows' start tags end); IRREGULAR
    when a cell of the chunk does not start with ``<c r="`` (``irregular_re``: then the
    general path takes the chunk); None when the chunk is not a plain sequence of
    ``<row r="n">...</row>`` (then irregular_re decides).
    """
    buf = np.frombuffer(region, dtype=np.uint8, count=stop)
    ROW_R, C_R, CLOSE = rw.ROW_R, rw.C_R, rw.ROW_CLOSE
    lt = np.flatnonzero(buf == 60)
    after = buf.take(lt + 1, mode="clip")
    ci = _match(buf, lt, np.flatnonzero(after == C_R[1]), C_R[:len(C_R) - 4])  # '<c' (prefixed: '<x:c')
    mark = buf.take(lt[ci] + (len(C_R) - 4), mode="clip")  # what follows '<c': a cell when [\s/>]
    ci = ci[(mark == 32) | ((mark >= 9) & (mark <= 13)) | (mark == 47) | (mark == 62)]
    cells = len(ci)
    ci = _match(buf, lt, ci, C_R)  # the cells' '<' in lt
    if len(ci) != cells:
        return IRREGULAR
    rc = lt[_match(buf, lt, np.flatnonzero(after == CLOSE[1]), CLOSE)]
    ro = lt[_match(buf, lt, np.flatnonzero(after == ROW_R[1]), ROW_R)]
    K = len(rc)
    if K == 0 or len(ro) != K or ro[0] != 0 or not np.array_equal(ro[1:], rc[:-1] + len(CLOSE)):
        return None
    # row numbers
    lr = len(ROW_R)
    d = buf.take(ro[:, None] + (lr + np.arange(8)), mode="clip").astype(np.int64)
    isd = (d >= 48) & (d <= 57)
    nd = np.argmin(isd, axis=1)
    ok = (nd >= 1) & (d[np.arange(K), nd] == 34)
    place = np.arange(8)
    n = (np.where(place < nd[:, None], d - 48, 0) * 10 ** np.clip(nd[:, None] - 1 - place, 0, 7)).sum(axis=1)
    i = n - (rw.loc.header_row + 1)
    ok &= (n <= rw.loc.last_row) & (i >= 0)
    quote = ro + lr + nd  # the closing quote of r="n"
    tag_end = lt[np.searchsorted(lt, ro, side="right")]  # the row's next tag (its start tag ends before it)
    # cells: their column letters as a key that sorts like the column number, and where each
    # row's owned cells start (its first cell at or right of the run)
    run = rw.runs[0]
    first, last = _column_key(run.first), _column_key(run.last)
    cp = lt[ci]
    lc = len(C_R)
    b0, b1, b2, b3 = (buf.take(cp + (lc + t), mode="clip") for t in range(4))
    u0, u1, u2 = ((b >= 65) & (b <= 90) for b in (b0, b1, b2))
    u01 = u0 & u1
    u012 = u01 & u2
    nlet = u0.astype(np.int64) + u01 + u012
    key = (nlet << 24) | (b0.astype(np.int64) << 16) | (np.where(u01, b1, 0).astype(np.int64) << 8) | \
        np.where(u012, b2, 0)
    nxt = buf.take(cp + lc + nlet, mode="clip")
    cell_ok = u0 & (nxt >= 48) & (nxt <= 57)
    crow = np.repeat(np.arange(K), np.diff(np.append(np.searchsorted(cp, ro), len(cp))))
    ok[crow[~cell_ok]] = False
    seg = rc.copy()
    gi = np.flatnonzero(cell_ok & (key >= first))
    if len(gi):
        grow = crow[gi]
        head = np.ones(len(gi), dtype=bool)
        head[1:] = grow[1:] != grow[:-1]
        seg[grow[head]] = cp[gi[head]]
    si = np.flatnonzero(cp >= seg[crow])  # the cells from there to the row's end
    skey, srow = key[si], crow[si]
    bad = ~cell_ok[si] | (skey < first) | (skey > last)
    bad[1:] |= (srow[1:] == srow[:-1]) & (skey[1:] <= skey[:-1])  # each column once, in order
    start = cp[si] + lc + nlet[si]
    nd2 = _digits_after(region, start)
    bad |= (nd2 < 1) | (buf.take(start + nd2, mode="clip") != 34)
    ok[srow[bad]] = False
    good = ok[srow]
    si, srow = si[good], srow[good]
    width = run.last - run.first + 1
    table = np.zeros((K, width), dtype=np.int64)
    words: list[bytes] = []
    if len(si):
        place = np.searchsorted(_column_keys(run.first, run.last), key[si])  # the column in the run
        rs = (start + nd2 + 1)[good]  # after the reference's closing quote
        re_ = lt[ci[si] + 1]  # the next tag (nothing between a cell's '<' and rs is a '<')
        (rests,) = row_parts(region, [rs, re_], 1)
        enc = pc.dictionary_encode(rests)
        words = enc.dictionary.to_pylist()
        table[srow, place] = enc.indices.to_numpy() + 1
    base = len(words) + 1
    if base ** width < 1 << 62:  # each row's layout as one number
        layouts, plan_of = np.unique(table @ (base ** np.arange(width, dtype=np.int64)), return_inverse=True)
        layouts = [[(x // base ** t) % base for t in range(width)] for x in layouts.tolist()]
    else:
        layouts, plan_of = np.unique(table, axis=0, return_inverse=True)
        layouts = layouts.tolist()
    plan_of = plan_of.reshape(-1)
    plans = [rw._vector_plan(tuple(words[c - 1] if c else None for c in row)) for row in layouts]
    for u, plan in enumerate(plans):
        if plan is False:
            ok[plan_of == u] = False
    return ro, rc, n, i, seg, ok, plan_of, plans, quote, tag_end


LETTERS = re.compile(rb"[A-Z]{1,3}")


class ColumnCache(dict):
    """Column letters (bytes) -> column number, computed once per distinct letters."""

    def __missing__(self, key: bytes) -> int:
        value = self[key] = col_index(key.decode())
        return value


def style_of(rest: bytes | None) -> bytes | None:
    if not rest:
        return None
    m = ATTR_S.search(rest)
    return m.group(1) if m else None
