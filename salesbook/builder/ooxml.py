"""Reading and reproducibly writing OOXML packages (zip) and their small XML parts.

A package is handled as an ordered ``dict`` of part name -> bytes. `write_package`
writes it with a fixed entry order, fixed timestamps and fixed zip metadata, so
the same parts always give the same bytes (with the same zlib).
"""

from __future__ import annotations

import io
import os
import posixpath
import zipfile
from pathlib import Path
from typing import Mapping

from lxml import etree

from salesbook.adapters.files.ooxml import CONTENT_TYPES
from salesbook.adapters.files.ooxml import ROOT_RELS as PACKAGE_RELS

from salesbook.adapters.files.ooxml import NS_CT, NS_MAIN
from salesbook.adapters.files.ooxml import NS_DOC_REL as NS_R
from salesbook.adapters.files.ooxml import NS_PKG_REL as NS_REL

# Excel's own zip timestamp for package parts (the earliest a zip can hold)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read_package(source: bytes | str | os.PathLike) -> dict[str, bytes]:
    """The parts of a zip package, in the zip's entry order."""
    data = source if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}


def write_package(parts: Mapping[str, bytes]) -> bytes:
    """Zip `parts` reproducibly: content types and package rels first, then in the given order."""
    first = [name for name in (CONTENT_TYPES, PACKAGE_RELS) if name in parts]
    names = first + [name for name in parts if name not in first]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in names:
            info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zf.writestr(info, parts[name], compresslevel=6)
    return buffer.getvalue()


def write_file_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` all or nothing (the project's one atomic writer)."""
    from salesbook.atomic import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def serialize_xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def rels_part_for(part: str) -> str:
    """The relationships part of `part` (``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """The part name a relationship target points at, relative to the source part's folder."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def content_type_of(content_types: etree._Element, part: str) -> str | None:
    """The content type `[Content_Types].xml` gives `part` (an Override, else the Default)."""
    for override in content_types.findall(f"{{{NS_CT}}}Override"):
        if override.get("PartName", "").lstrip("/").lower() == part.lower():
            return override.get("ContentType")
    extension = posixpath.splitext(part)[1].lstrip(".").lower()
    for default in content_types.findall(f"{{{NS_CT}}}Default"):
        if default.get("Extension", "").lower() == extension:
            return default.get("ContentType")
    return None


def set_override(content_types: etree._Element, part: str, content_type: str) -> None:
    """Make `part` have `content_type`, by an Override entry."""
    for override in content_types.findall(f"{{{NS_CT}}}Override"):
        if override.get("PartName", "").lstrip("/").lower() == part.lower():
            override.set("ContentType", content_type)
            return
    etree.SubElement(content_types, f"{{{NS_CT}}}Override", PartName="/" + part, ContentType=content_type)


def new_relationship_id(rels: etree._Element, preferred: str) -> str:
    """`preferred` if unused in `rels`, else `preferred` with the first free numeric suffix."""
    used = {rel.get("Id") for rel in rels}
    candidate, n = preferred, 1
    while candidate in used:
        n += 1
        candidate = f"{preferred}{n}"
    return candidate
