"""A small writer for MS-CFB compound files (version 3, 512-byte sectors).

Enough for a VBA project: storages and streams, a mini stream for streams under
4096 bytes, up to 109 FAT sectors (about 6.8 MB; no DIFAT sectors). The output is
a pure function of the input tree: no timestamps, no CLSIDs, no random ids.

Layout written: header, FAT sectors, directory sectors, mini FAT sectors, the mini
stream, then each large stream, all in tree order.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
_DIFAT_IN_HEADER = 109

FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF

_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


@dataclass
class Storage:
    """A storage: named children that are `Storage` or `bytes` (a stream)."""

    entries: dict[str, "Storage | bytes"] = field(default_factory=dict)


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list["_Entry"] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    # MS-CFB 2.6.4: shorter names first, then a per-character comparison of upper case
    return len(name.encode("utf-16-le")), name.upper()


def _flatten(root: Storage) -> list[_Entry]:
    """Directory entries in order (stream ids), with children grouped per storage."""
    entries: list[_Entry] = []

    def add(name: str, node: "Storage | bytes", kind: int | None = None) -> _Entry:
        if isinstance(node, Storage):
            entry = _Entry(name, kind or _STORAGE, start=0)
        else:
            entry = _Entry(name, _STREAM, data=bytes(node))
        if len(name) > 31 or "/" in name or "\\" in name or ":" in name or "!" in name:
            raise ValueError(f"invalid compound file entry name: {name!r}")
        entry.sid = len(entries)
        entries.append(entry)
        if isinstance(node, Storage):
            names = sorted(node.entries, key=_sort_key)
            if len({_sort_key(n) for n in names}) != len(names):
                raise ValueError(f"duplicate entry names in {name!r}")
            entry.children = [add(n, node.entries[n]) for n in names]
        return entry

    add("Root Entry", root, _ROOT)
    return entries


def _link_tree(siblings: list[_Entry], depth: int, max_depth: int) -> int:
    """Balanced binary search tree over sorted siblings; returns the root's id.

    Splitting at the median fills every level but the deepest (`max_depth`).
    Nodes on that level are red, all others black: each path from the root to a
    leaf then has `max_depth` black nodes, so the tree is a valid red-black tree
    as MS-CFB requires.
    """
    if not siblings:
        return NOSTREAM
    mid = len(siblings) // 2
    node = siblings[mid]
    node.left = _link_tree(siblings[:mid], depth + 1, max_depth)
    node.right = _link_tree(siblings[mid + 1:], depth + 1, max_depth)
    node.color = _RED if depth == max_depth and depth > 0 else _BLACK
    return node.sid


def _tree_depth(n: int) -> int:
    """Depth of the deepest level of a median-split tree of n >= 1 nodes."""
    return n.bit_length() - 1


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def _pad(data: bytes, unit: int) -> bytes:
    return data + b"\0" * (-len(data) % unit)


def _dir_entry(e: _Entry) -> bytes:
    name = e.name.encode("utf-16-le") + b"\0\0"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name, len(name), e.kind, e.color, e.left, e.right, e.child,
        b"\0" * 16, 0, 0, 0, e.start, e.size,
    )


_EMPTY_ENTRY = struct.pack(
    "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0
)


def write_compound_file(root: Storage) -> bytes:
    """Serialize a tree of storages and streams as an MS-CFB version 3 file."""
    entries = _flatten(root)
    for e in entries:
        if e.children:
            e.child = _link_tree(e.children, 0, _tree_depth(len(e.children)))
    streams = [e for e in entries if e.kind == _STREAM]
    small = [e for e in streams if 0 < len(e.data) < MINI_CUTOFF]
    large = [e for e in streams if len(e.data) >= MINI_CUTOFF]

    # mini stream and its allocation table
    mini_fat: list[int] = []
    mini_stream = bytearray()
    for e in small:
        count = -(-len(e.data) // MINI_SECTOR)
        e.start, e.size = len(mini_fat), len(e.data)
        mini_fat += [0] * count
        _chain(mini_fat, e.start, count)
        mini_stream += _pad(e.data, MINI_SECTOR)
    for e in streams:
        if not e.data:
            e.start, e.size = ENDOFCHAIN, 0

    dir_bytes = b"".join(_dir_entry(e) for e in entries)
    dir_bytes += _EMPTY_ENTRY * (-len(entries) % (SECTOR // 128))
    n_dir = len(dir_bytes) // SECTOR
    n_minifat = -(-len(mini_fat) * 4 // SECTOR)
    n_ministream = -(-len(mini_stream) // SECTOR)
    n_large = [-(-len(e.data) // SECTOR) for e in large]
    n_data = n_dir + n_minifat + n_ministream + sum(n_large)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_data:
        n_fat += 1
    if n_fat > _DIFAT_IN_HEADER:
        raise ValueError("compound file too large for a writer without DIFAT sectors")

    fat = [FREESECT] * (n_fat * SECTOR // 4)
    for i in range(n_fat):
        fat[i] = FATSECT
    next_sector = n_fat
    dir_start = next_sector
    _chain(fat, dir_start, n_dir)
    next_sector += n_dir
    minifat_start = next_sector if n_minifat else ENDOFCHAIN
    _chain(fat, next_sector, n_minifat)
    next_sector += n_minifat
    root_entry = entries[0]
    root_entry.start = ENDOFCHAIN
    if n_ministream:
        root_entry.start, root_entry.size = next_sector, len(mini_stream)
        _chain(fat, next_sector, n_ministream)
        next_sector += n_ministream
    for e, count in zip(large, n_large):
        e.start, e.size = next_sector, len(e.data)
        _chain(fat, next_sector, count)
        next_sector += count

    # directory bytes again, now that start sectors are known
    dir_bytes = b"".join(_dir_entry(e) for e in entries)
    dir_bytes += _EMPTY_ENTRY * (-len(entries) % (SECTOR // 128))

    difat = list(range(n_fat)) + [FREESECT] * (_DIFAT_IN_HEADER - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", b"\0" * 16,
        0x003E, 0x0003, 0xFFFE, 9, 6, b"\0" * 6,
        0, n_fat, dir_start, 0, MINI_CUTOFF,
        minifat_start, n_minifat, ENDOFCHAIN, 0,
    ) + struct.pack(f"<{_DIFAT_IN_HEADER}I", *difat)
    assert len(header) == SECTOR

    mini_fat += [FREESECT] * (n_minifat * SECTOR // 4 - len(mini_fat))
    body = [
        struct.pack(f"<{len(fat)}I", *fat),
        dir_bytes,
        struct.pack(f"<{len(mini_fat)}I", *mini_fat),
        _pad(bytes(mini_stream), SECTOR),
        *(_pad(e.data, SECTOR) for e in large),
    ]
    return header + b"".join(body)
