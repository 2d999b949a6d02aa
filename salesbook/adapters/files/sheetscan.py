"""What one streaming pass over a worksheet part learns beside the lead table's read:
the merged ranges after its cell data and whether it may hold error cells."""

from __future__ import annotations

import re
import zipfile

import numpy as np

from salesbook.adapters.files.cells import parse_ref, sheetdata_end
from salesbook.adapters.files.package import Package


_MERGE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=\"([^\"]+)\"")


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
            m = sheetdata_end(window)
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
_E, _DQ, _SQ = ord("e"), ord('"'), ord("'")


def _may_hold_error_cells(data: bytes) -> bool:
    """Is there a ``t="e"`` (a cell of type error) in ``data``? (Text that merely looks like
    one counts too: then the caller only takes the slower, exact way.) Every quoted ``e``
    is found in one numpy pass (a cell part has few 'e's; ``bytes.find('"e"')`` steps on
    each of the ~150,000 quotes of a megabyte of cells), then tried for the ``t=`` before it."""
    a = np.frombuffer(data, dtype=np.uint8)
    if len(a) < 3:
        return False
    at = np.flatnonzero(a[1:-1] == _E) + 1
    quote = a[at - 1]
    for i in at[((quote == _DQ) | (quote == _SQ)) & (a[at + 1] == quote)]:
        if _ERROR_TYPE.search(data, max(0, int(i) - 33), int(i) - 1):
            return True
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
