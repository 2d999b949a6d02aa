"""An .xlsx/.xlsm package (a zip of XML parts), read side.

:class:`Package` opens the zip read-only and answers structural questions
(sheets in workbook order, relationships, Excel Tables) by parsing the small parts
with a hardened parser. Big worksheet parts are never parsed here. Writing a changed
copy is :mod:`salesbook.adapters.files.package_writer`.
"""

from __future__ import annotations

import os
import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from salesbook.adapters.files.xmlsafe import base_name as _base
from salesbook.adapters.files.xmlsafe import local, parse_xml
from salesbook.errors import Refusal

from salesbook.adapters.files.ooxml import CONTENT_TYPES, NS_STRICT_MAIN


# --------------------------------------------------------------------------- XML helpers


def children(elem: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in elem if local(c.tag) == name]


def child(elem: etree._Element, name: str) -> etree._Element | None:
    for c in elem:
        if local(c.tag) == name:
            return c
    return None


def rel_attr(elem: etree._Element, name: str) -> str | None:
    """An attribute in the relationships namespace (transitional or strict), e.g. r:id."""
    for key, value in elem.attrib.items():
        if key.startswith("{") and key.endswith("}" + name) and "relationships" in key:
            return value
    return None


def escape_attr(text: str) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def xml_prefix(data: bytes, tag: bytes) -> bytes:
    """The namespace prefix used for ``tag`` in ``data`` (b'' or b'x:'), from its first use."""
    m = re.search(rb"<([A-Za-z_][\w.-]*:)?" + re.escape(tag) + rb"[\s/>]", data)
    return (m.group(1) or b"") if m else b""


def insert_before_close(data: bytes, tag: bytes, fragment: bytes) -> bytes:
    """Insert ``fragment`` just before the closing tag of the (last) ``tag`` element.

    A self-closing ``<tag .../>`` is opened first. Raises ValueError when absent.
    """
    close = re.compile(rb"</([A-Za-z_][\w.-]*:)?" + re.escape(tag) + rb"\s*>")
    last = None
    for last in close.finditer(data):
        pass
    if last is not None:
        return data[: last.start()] + fragment + data[last.start():]
    empty = re.search(rb"<([A-Za-z_][\w.-]*:)?" + re.escape(tag) + rb"\b([^>]*?)/>", data)
    if empty is None:
        raise ValueError(f"no <{tag.decode()}> element")
    prefix = empty.group(1) or b""
    opened = b"<" + prefix + tag + empty.group(2) + b">" + fragment + b"</" + prefix + tag + b">"
    return data[: empty.start()] + opened + data[empty.end():]


_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _excel_unescape(text: str) -> str:
    """Excel's _xHHHH_ escapes (e.g. a line break in a table column name) decoded."""
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


# --------------------------------------------------------------------------- part names


def rels_name(part: str) -> str:
    """'xl/workbook.xml' -> 'xl/_rels/workbook.xml.rels'; '' (the package) -> '_rels/.rels'."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """A relationship target as a part name (no leading '/')."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    folder = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(folder, target)).lstrip("/")


def relative_target(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


# --------------------------------------------------------------------------- structure


@dataclass(frozen=True)
class SheetInfo:
    name: str
    sheet_id: int
    rid: str
    part: str  # e.g. 'xl/worksheets/sheet1.xml'
    state: str = "visible"


@dataclass(frozen=True)
class TableInfo:
    name: str
    display_name: str
    ref: str
    part: str
    header_row_count: int
    totals_row_count: int
    columns: list[str]


class Package:
    """A zip-based .xlsx/.xlsm workbook, opened read-only."""

    def __init__(self, path: str | os.PathLike, zf: zipfile.ZipFile):
        self.path = os.fspath(path)
        self.zip = zf
        self._infos = {i.filename: i for i in zf.infolist()}
        self._rels: dict[str, dict[str, tuple[str, str]]] = {}
        self._tables: dict[str, list[TableInfo]] = {}
        self.cache: dict[object, object] = {}  # for readers that share work (reader.py, cells.py, sheetscan.py)
        self.workbook_part = self._find_workbook_part()
        root = parse_xml(self.read(self.workbook_part), part=self.workbook_part, path=self.path)
        self.sheets: list[SheetInfo] = self._read_sheets(root)
        pr = child(root, "workbookPr")
        # The 1904 date system (old Mac Excel, openpyxl's CALENDAR_MAC_1904): serial 0 is 1904-01-01.
        self.date1904: bool = pr is not None and pr.get("date1904", "").strip().lower() in ("1", "true")
        # Saved as "Strict Open XML Spreadsheet" (ISO/IEC 29500 Strict) rather than Transitional.
        self.strict: bool = root.get("conformance") == "strict" or etree.QName(root).namespace == NS_STRICT_MAIN

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Package":
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise Refusal(
                f"Cannot open {_base(path)}: it is not an Excel workbook (.xlsx/.xlsm) or it is damaged.",
                path=path,
                detail=repr(exc),
            ) from None
        try:
            return cls(path, zf)
        except BaseException:
            zf.close()
            raise

    # -- zip access ------------------------------------------------------------------

    def names(self) -> list[str]:
        return [i.filename for i in self.zip.infolist()]

    def has(self, name: str) -> bool:
        return name in self._infos

    def info(self, name: str) -> zipfile.ZipInfo:
        return self._infos[name]

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    def stream(self, name: str) -> BinaryIO:
        """A file object of the decompressed part, for parts too big to read at once."""
        return self.zip.open(name)

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- structure -------------------------------------------------------------------

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationships of ``part``: {rId: (type URI, target part or external URI)}."""
        if part not in self._rels:
            self._rels[part] = self._read_rels(part)
        return self._rels[part]

    def _read_rels(self, part: str) -> dict[str, tuple[str, str]]:
        name = rels_name(part)
        if not self.has(name):
            return {}
        root = parse_xml(self.read(name), part=name, path=self.path)
        out: dict[str, tuple[str, str]] = {}
        for rel in root:
            if local(rel.tag) != "Relationship":
                continue
            rid, rtype, target = rel.get("Id"), rel.get("Type", ""), rel.get("Target", "")
            if rid is None:
                continue
            if rel.get("TargetMode") != "External":
                target = resolve_target(part, target)
            out[rid] = (rtype, target)
        return out

    def _find_workbook_part(self) -> str:
        for rtype, target in self.rels("").values():
            if rtype.endswith("/officeDocument"):
                return target
        if self.has("xl/workbook.xml"):
            return "xl/workbook.xml"
        raise Refusal(
            f"Cannot read {_base(self.path)}: it has no workbook part; it is not an Excel workbook.",
            path=self.path,
        )

    def _read_sheets(self, root: etree._Element) -> list[SheetInfo]:
        rels = self.rels(self.workbook_part)
        sheets = child(root, "sheets")
        out: list[SheetInfo] = []
        for el in children(sheets, "sheet") if sheets is not None else []:
            rid = rel_attr(el, "id") or ""
            rtype, target = rels.get(rid, ("", ""))
            if not rtype.endswith("/worksheet"):
                continue  # chartsheets, dialog sheets, macro sheets: no cells for us
            out.append(
                SheetInfo(
                    name=el.get("name", ""),
                    sheet_id=int(el.get("sheetId", "0") or 0),
                    rid=rid,
                    part=target,
                    state=el.get("state", "visible"),
                )
            )
        return out

    def sheet(self, name: str) -> SheetInfo | None:
        """The worksheet called ``name`` (case-insensitive, as Excel compares names)."""
        folded = name.casefold()
        for s in self.sheets:
            if s.name.casefold() == folded:
                return s
        return None

    def sheet_by_part(self, part: str) -> SheetInfo | None:
        for s in self.sheets:
            if s.part == part:
                return s
        return None

    def tables(self, sheet_part: str) -> list[TableInfo]:
        """The Excel Tables (ListObjects) of a worksheet part, in relationship order."""
        if sheet_part not in self._tables:
            self._tables[sheet_part] = [
                self._read_table(target)
                for rtype, target in self.rels(sheet_part).values()
                if rtype.endswith("/table") and self.has(target)
            ]
        return self._tables[sheet_part]

    def _read_table(self, part: str) -> TableInfo:
        root = parse_xml(self.read(part), part=part, path=self.path)
        cols_el = child(root, "tableColumns")
        columns = [_excel_unescape(c.get("name", "")) for c in children(cols_el, "tableColumn")] \
            if cols_el is not None else []
        return TableInfo(
            name=root.get("name", ""),
            display_name=root.get("displayName", root.get("name", "")),
            ref=root.get("ref", ""),
            part=part,
            header_row_count=int(root.get("headerRowCount", "1")),
            totals_row_count=int(root.get("totalsRowCount", "0")),
            columns=columns,
        )

    def content_type_of(self, part: str) -> str | None:
        return _content_type_in(parse_xml(self.read(CONTENT_TYPES), part=CONTENT_TYPES, path=self.path), part)


def _content_type_in(types: etree._Element, part: str) -> str | None:
    """A part's content type in a parsed [Content_Types].xml: its Override, else the Default
    of its extension (part names compare case-insensitively); None when neither exists."""
    ext = part.rsplit(".", 1)[-1].lower()
    default = None
    for el in types:
        name = local(el.tag)
        if name == "Override" and el.get("PartName", "").lstrip("/").lower() == part.lower():
            return el.get("ContentType")
        if name == "Default" and el.get("Extension", "").lower() == ext:
            default = el.get("ContentType")
    return default



__all__ = [
    "Package",
    "SheetInfo",
    "TableInfo",
    "rels_name",
    "resolve_target",
    "relative_target",
    "insert_before_close",
    "escape_attr",
]
