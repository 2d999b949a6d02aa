"""Write a changed copy of an .xlsx/.xlsm package (read by :class:`~salesbook.adapters.files.package.Package`).

:class:`PackageWriter` produces a copy of the package in which every entry
that was not replaced is copied *raw* (its compressed bytes, CRC and sizes as they
are: the content is byte-identical and nothing is recompressed), replaced entries
keep their place, name and zip metadata, and new entries go at the end with a fixed
timestamp. Edits of ``workbook.xml``, ``[Content_Types].xml`` and ``*.rels`` are
minimal textual insertions: those parts are never re-serialised, so elements this
code does not know survive.
"""

from __future__ import annotations

import copy
import os
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterable

from lxml import etree

from salesbook.adapters.files.xmlsafe import local, parse_xml

from salesbook.adapters.files.ooxml import (
    CONTENT_TYPES,
    CT_RELS,
    CT_WORKSHEET,
    NS_DOC_REL,
    NS_PKG_REL,
    REL_WORKSHEET,
)
from salesbook.adapters.files.package import (
    Package,
    SheetInfo,
    _content_type_in,
    child,
    children,
    escape_attr,
    insert_before_close,
    relative_target,
    rels_name,
    resolve_target,
    xml_prefix,
)

# New zip entries get this timestamp so that the same inputs give the same bytes.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
# zlib level for parts we write. On a 92 MB sheet part (100k leads) level 1 takes 0.27 s CPU and
# gives 13.7 MB, level 6 takes 1.0 s for 10.3 MB; Excel recompresses on its next save anyway.
COMPRESS_LEVEL = 1

# --------------------------------------------------------------------------- writing


@dataclass
class CompressedBlob:
    """A part already deflated (raw deflate) into a file: copied into the zip as it is."""

    file: BinaryIO
    offset: int
    compress_size: int
    file_size: int
    crc: int

    def read(self) -> bytes:
        """The part, inflated again."""
        self.file.seek(self.offset)
        return zlib.decompress(self.file.read(self.compress_size), -15)


class DeflateSink:
    """Deflates a part written in pieces into a temporary file, for :class:`PackageWriter`."""

    def __init__(self, tmp: BinaryIO, level: int = COMPRESS_LEVEL):
        self._tmp = tmp
        self._offset = tmp.tell()
        self._z = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._crc = 0
        self._size = 0

    def write(self, data: bytes) -> None:
        if data:
            self._crc = zlib.crc32(data, self._crc)
            self._size += len(data)
            self._tmp.write(self._z.compress(data))

    def close(self) -> CompressedBlob:
        self._tmp.write(self._z.flush())
        end = self._tmp.tell()
        return CompressedBlob(self._tmp, self._offset, end - self._offset, self._size, self._crc)


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


class PackageWriter:
    """Writes a copy of ``pkg`` with some parts replaced, added or removed."""

    def __init__(self, pkg: Package, level: int = COMPRESS_LEVEL):
        self.pkg = pkg
        self.level = level
        self._data: dict[str, bytes | CompressedBlob] = {}  # replaced or added parts
        self._added: list[str] = []
        self._removed: set[str] = set()

    # -- content ---------------------------------------------------------------------

    def has(self, name: str) -> bool:
        if name in self._removed:
            return False
        return name in self._data or self.pkg.has(name)

    def get(self, name: str) -> bytes:
        """The part as it will be written (pending edits included)."""
        data = self._data.get(name)
        if isinstance(data, CompressedBlob):
            return data.read()
        return data if data is not None else self.pkg.read(name)

    def pending(self, name: str) -> bytes | CompressedBlob | None:
        """The replaced or added data of a part, as it was put (None: the source's part)."""
        return self._data.get(name)

    def swap(self, name: str, old: bytes | CompressedBlob, new: bytes | CompressedBlob) -> bool:
        """Put ``new`` for a part whose pending data is still ``old`` (the same object)."""
        if self._data.get(name) is not old:
            return False
        self._data[name] = new
        return True

    def put(self, name: str, data: bytes | CompressedBlob) -> None:
        """Replace a part in place, or add it at the end when it is new.

        A relationship part gets its content type here: most writers declare a
        ``Default`` for the ``rels`` extension, some (LibreOffice, SheetJS) an
        ``Override`` per part, and then a new one needs its own Override."""
        self._removed.discard(name)
        if not self.pkg.has(name) and name not in self._data:
            self._added.append(name)
        self._data[name] = data
        if name.lower().endswith(".rels") and self.content_type(name) is None:
            self.set_content_type(name, CT_RELS)

    def remove(self, name: str) -> None:
        """Remove a part, and the Override that declared its content type."""
        if name in self._data and not self.pkg.has(name):
            self._added.remove(name)
        self._data.pop(name, None)
        if self.pkg.has(name):
            self._removed.add(name)
        if name != CONTENT_TYPES:
            self.remove_content_type(name)

    def names(self) -> list[str]:
        return [n for n in self.pkg.names() if n not in self._removed] + list(self._added)

    # -- relationships ---------------------------------------------------------------

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """The (pending) relationships of ``part``, as :meth:`Package.rels` gives them."""
        name = rels_name(part)
        if not self.has(name):
            return {}
        if name not in self._data:
            return self.pkg.rels(part)
        root = parse_xml(self.get(name), part=name, path=self.pkg.path)
        out = {}
        for rel in root:
            if local(rel.tag) == "Relationship" and rel.get("Id"):
                target = rel.get("Target", "")
                if rel.get("TargetMode") != "External":
                    target = resolve_target(part, target)
                out[rel.get("Id")] = (rel.get("Type", ""), target)
        return out

    def add_relationship(self, part: str, rtype: str, target_part: str, rid: str | None = None) -> str:
        """Add a relationship from ``part`` (creating its .rels); returns the Id used.

        An existing relationship with the same type and target is reused.
        """
        existing = self.relationships(part)
        for old_id, (old_type, old_target) in existing.items():
            if old_type == rtype and old_target == target_part and (rid is None or rid == old_id):
                return old_id
        if rid is None or rid in existing:
            rid = _free_rid(existing)
        target = relative_target(part, target_part)
        rel = f'<Relationship Id="{escape_attr(rid)}" Type="{escape_attr(rtype)}" Target="{escape_attr(target)}"/>'
        name = rels_name(part)
        if self.has(name):
            data = insert_before_close(self.get(name), b"Relationships", rel.encode("utf-8"))
        else:
            data = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{NS_PKG_REL}">{rel}</Relationships>'
            ).encode("utf-8")
        self.put(name, data)
        return rid

    def remove_relationship(self, part: str, rid: str) -> None:
        name = rels_name(part)
        if not self.has(name):
            return
        data = self.get(name)
        pattern = re.compile(
            rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b[^>]*\bId=\"" + re.escape(rid.encode()) + rb"\"[^>]*?(?:/>|>.*?</(?:[A-Za-z_][\w.-]*:)?Relationship>)",
            re.S,
        )
        new = pattern.sub(b"", data, count=1)
        if new != data:
            self.put(name, new)

    # -- content types ----------------------------------------------------------------

    def set_content_type(self, part: str, content_type: str) -> None:
        """Make sure ``part`` has ``content_type`` (adds an Override when needed)."""
        data = self.get(CONTENT_TYPES)
        root = parse_xml(data, part=CONTENT_TYPES, path=self.pkg.path)
        ext = part.rsplit(".", 1)[-1].lower()
        for el in root:
            name = local(el.tag)
            if name == "Override" and el.get("PartName", "").lstrip("/").lower() == part.lower():
                if el.get("ContentType") == content_type:
                    return
                raise ValueError(f"{part} already has content type {el.get('ContentType')}")
        for el in root:
            if local(el.tag) == "Default" and el.get("Extension", "").lower() == ext:
                if el.get("ContentType") == content_type:
                    return
        override = f'<Override PartName="/{escape_attr(part)}" ContentType="{escape_attr(content_type)}"/>'
        self.put(CONTENT_TYPES, insert_before_close(data, b"Types", override.encode("utf-8")))

    def content_type(self, part: str) -> str | None:
        """The content type ``part`` will have (pending edits included); None when the
        package declares none for it."""
        return _content_type_in(parse_xml(self.get(CONTENT_TYPES), part=CONTENT_TYPES, path=self.pkg.path), part)

    def remove_content_type(self, part: str) -> None:
        if not self.has(CONTENT_TYPES):
            return
        data = self.get(CONTENT_TYPES)
        pattern = re.compile(
            rb"<(?:[A-Za-z_][\w.-]*:)?Override\b[^>]*\bPartName=\"/" + re.escape(part.encode()) + rb"\"[^>]*/>", re.I
        )
        new = pattern.sub(b"", data, count=1)
        if new != data:
            self.put(CONTENT_TYPES, new)

    def add_part(
        self,
        name: str,
        data: bytes,
        content_type: str,
        *,
        source_part: str | None = None,
        rel_type: str | None = None,
        rid: str | None = None,
    ) -> str | None:
        """Add (or replace) a part with its content type and, when ``rel_type`` is given,
        a relationship to it from ``source_part`` ('' for the package). Returns the rId."""
        self.put(name, data)
        self.set_content_type(name, content_type)
        if rel_type is None:
            return None
        return self.add_relationship(source_part or "", rel_type, name, rid=rid)

    # -- sheets ----------------------------------------------------------------------

    def free_part_name(self, pattern: str) -> str:
        """The first 'xl/worksheets/sheet{}.xml'-style name not in use (case-insensitive)."""
        used = {n.lower() for n in self.names()}
        i = 1
        while pattern.format(i).lower() in used:
            i += 1
        return pattern.format(i)

    def add_worksheet(self, sheet_name: str, sheet_xml: bytes) -> SheetInfo:
        """Add a worksheet after the last sheet: its part, workbook.xml <sheet>, rels, content type."""
        wb = self.pkg.workbook_part
        part = self.free_part_name(posixpath.join(posixpath.dirname(wb), "worksheets", "sheet{}.xml"))
        self.put(part, sheet_xml)
        rid = self.add_relationship(wb, REL_WORKSHEET, part)
        self.set_content_type(part, CT_WORKSHEET)
        data = self.get(wb)
        root = parse_xml(data, part=wb, path=self.pkg.path)
        sheets = child(root, "sheets")
        ids = [int(s.get("sheetId", "0") or 0) for s in children(sheets, "sheet")] if sheets is not None else []
        sheet_id = max(ids, default=0) + 1
        prefix = xml_prefix(data, b"sheets").decode()
        r_prefix = _prefix_for(root, NS_DOC_REL)
        if r_prefix is None:
            rid_attr = f'xmlns:r="{NS_DOC_REL}" r:id="{escape_attr(rid)}"'
        else:
            rid_attr = f'{r_prefix}:id="{escape_attr(rid)}"'
        el = f'<{prefix}sheet name="{escape_attr(sheet_name)}" sheetId="{sheet_id}" {rid_attr}/>'
        self.put(wb, insert_before_close(data, b"sheets", el.encode("utf-8")))
        return SheetInfo(sheet_name, sheet_id, rid, part)

    # -- output ----------------------------------------------------------------------

    def write(self, dst: str | os.PathLike) -> None:
        """Write the package to ``dst`` (the caller makes this atomic)."""
        if self._added:  # a part without a content type is one Excel will not open
            types = parse_xml(self.get(CONTENT_TYPES), part=CONTENT_TYPES, path=self.pkg.path)
            for name in self._added:
                if _content_type_in(types, name) is None:
                    raise ValueError(f"the new part {name} has no content type")
        src = self.pkg.zip
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=self.level) as out:
            for info in src.infolist():
                name = info.filename
                if name in self._removed:
                    continue
                data = self._data.get(name)
                if data is None:
                    _copy_raw(src, info, out)
                elif isinstance(data, CompressedBlob):
                    _put_blob(out, _like(info), data)
                else:
                    out.writestr(_like(info), data, compresslevel=self.level)
            for name in self._added:
                data = self._data[name]
                info = _new_info(name)
                if isinstance(data, CompressedBlob):
                    _put_blob(out, info, data)
                else:
                    out.writestr(info, data, compresslevel=self.level)


def _free_rid(existing: Iterable[str]) -> str:
    used = set(existing)
    nums = [int(m.group(1)) for r in used if (m := re.fullmatch(r"rId(\d+)", r))]
    n = max(nums, default=0) + 1
    while f"rId{n}" in used:
        n += 1
    return f"rId{n}"


def _prefix_for(root: etree._Element, namespace: str) -> str | None:
    for prefix, uri in root.nsmap.items():
        if uri == namespace and prefix:
            return prefix
    return None


def _new_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    info.external_attr = 0
    return info


def _like(old: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """Zip metadata for a replaced part: the original's name, date and attributes."""
    info = zipfile.ZipInfo(old.filename, date_time=old.date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = old.create_system
    info.create_version = old.create_version
    info.external_attr = old.external_attr
    info.comment = old.comment
    return info


def _strip_zip64_extra(extra: bytes) -> bytes:
    """Drop the zip64 extended-information field; zipfile writes a fresh one if needed."""
    out, i = b"", 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i: i + 4])
        if tag != 1:
            out += extra[i: i + 4 + size]
        i += 4 + size
    return out


def _raw_append(out: zipfile.ZipFile, info: zipfile.ZipInfo, copy_data) -> None:
    """Append an entry whose compressed bytes, CRC and sizes are already known.

    zipfile has no public API for this; we do what ``_ZipWriteFile.close`` does: write
    the local header and the data, then register the entry for the central directory.
    """
    info.flag_bits &= ~0x08  # sizes are in the local header, no data descriptor
    info.flag_bits &= ~0x01  # never encrypted
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    fp = out.fp
    info.header_offset = fp.tell()
    fp.write(info.FileHeader(zip64))
    copy_data(fp)
    out.start_dir = fp.tell()
    out.filelist.append(info)
    out.NameToInfo[info.filename] = info
    out._didModify = True


def _copy_raw(src: zipfile.ZipFile, old: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """Copy an entry without decompressing it: same bytes, same CRC, same metadata."""
    fp = src.fp
    fp.seek(old.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != zipfile.stringFileHeader:
        raise zipfile.BadZipFile(f"bad local header for {old.filename}")
    data_offset = old.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
    info = copy.copy(old)
    info.extra = _strip_zip64_extra(old.extra)

    def copy_data(dst) -> None:
        fp.seek(data_offset)
        _copy_bytes(fp, dst, old.compress_size)

    _raw_append(out, info, copy_data)


def _put_blob(out: zipfile.ZipFile, info: zipfile.ZipInfo, blob: CompressedBlob) -> None:
    info.compress_type = zipfile.ZIP_DEFLATED
    info.CRC = blob.crc
    info.compress_size = blob.compress_size
    info.file_size = blob.file_size

    def copy_data(dst) -> None:
        blob.file.seek(blob.offset)
        _copy_bytes(blob.file, dst, blob.compress_size)

    _raw_append(out, info, copy_data)


def _copy_bytes(src: BinaryIO, dst: BinaryIO, size: int) -> None:
    remaining = size
    while remaining > 0:
        chunk = src.read(min(remaining, 1 << 20))
        if not chunk:
            raise zipfile.BadZipFile("truncated zip entry")
        dst.write(chunk)
        remaining -= len(chunk)


__all__ = ["PackageWriter", "CompressedBlob", "DeflateSink"]
