"""The ribbon parts of the workbook: customUI/customUI14.xml and customUI/customUI.xml.

Office 2010+ reads customUI14.xml, Office 2007 customUI.xml; each is found
through its own relationship in ``_rels/.rels``. openpyxl keeps both parts on
save but only writes back the 2007 relationship, so the 2010+ ribbon vanishes:
`ensure_ribbon` puts the relationships back after any such save.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, NamedTuple

from lxml import etree

from salesbook.builder import ooxml
from salesbook.builder.ooxml import NS_REL
from salesbook.builder.sources import MacrosDir, macros_folder


class RibbonPart(NamedTuple):
    part: str            # part name in the package
    source: str          # file name in the macros folder
    namespace: str       # customUI XML namespace
    rel_type: str        # relationship type in _rels/.rels
    rel_id: str          # preferred relationship id


CUSTOMUI14 = RibbonPart(
    "customUI/customUI14.xml", "customUI14.xml",
    "http://schemas.microsoft.com/office/2009/07/customui",
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
    "rIdCustomUI14",
)
CUSTOMUI = RibbonPart(
    "customUI/customUI.xml", "customUI.xml",
    "http://schemas.microsoft.com/office/2006/01/customui",
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",
    "rIdCustomUI",
)
RIBBON_PARTS = (CUSTOMUI14, CUSTOMUI)
XML_CONTENT_TYPE = "application/xml"
CALLBACK = "SalesbookRibbon"


def load_ribbon_xml(macros_dir: MacrosDir = None) -> dict[str, bytes]:
    """The ribbon parts' bytes from the macros folder (see `sources.macros_folder`), keyed by part name."""
    folder = macros_folder(macros_dir)
    return {p.part: folder.joinpath(p.source).read_bytes() for p in RIBBON_PARTS}


def _package_rels(parts: Mapping[str, bytes]) -> etree._Element:
    if ooxml.PACKAGE_RELS not in parts:
        raise ValueError("not an OOXML package: no _rels/.rels")
    return ooxml.parse_xml(parts[ooxml.PACKAGE_RELS])


def _rels_of_type(rels: etree._Element, rel_type: str) -> list[etree._Element]:
    return [rel for rel in rels if rel.get("Type") == rel_type]


def ribbon_problems(parts: Mapping[str, bytes]) -> list[str]:
    """What is wrong with the ribbon wiring of a package; empty when it is complete."""
    problems: list[str] = []
    rels = _package_rels(parts)
    content_types = ooxml.parse_xml(parts[ooxml.CONTENT_TYPES])
    for p in RIBBON_PARTS:
        targets = [ooxml.resolve_target("", rel.get("Target", "")) for rel in _rels_of_type(rels, p.rel_type)]
        if p.part not in parts:
            problems.append(f"part {p.part} is missing")
        if targets != [p.part]:
            problems.append(f"_rels/.rels should have one relationship of type {p.rel_type} to {p.part}, "
                            f"has targets {targets}")
        if p.part in parts and ooxml.content_type_of(content_types, p.part) is None:
            problems.append(f"[Content_Types].xml gives {p.part} no content type")
    return problems


def _wire(parts: dict[str, bytes]) -> bool:
    """Fix the relationships and content types of the ribbon parts present; True if changed."""
    rels = _package_rels(parts)
    changed = False
    for p in RIBBON_PARTS:
        existing = _rels_of_type(rels, p.rel_type)
        keep = [rel for rel in existing
                if p.part in parts and ooxml.resolve_target("", rel.get("Target", "")) == p.part][:1]
        for rel in existing:
            if rel not in keep:           # dangling, misdirected or duplicate
                rels.remove(rel)
                changed = True
        if p.part in parts and not keep:
            etree.SubElement(rels, f"{{{NS_REL}}}Relationship",
                             Id=ooxml.new_relationship_id(rels, p.rel_id), Type=p.rel_type, Target=p.part)
            changed = True
    if changed:
        parts[ooxml.PACKAGE_RELS] = ooxml.serialize_xml(rels)
    content_types = ooxml.parse_xml(parts[ooxml.CONTENT_TYPES])
    missing = [p.part for p in RIBBON_PARTS if p.part in parts and ooxml.content_type_of(content_types, p.part) is None]
    for part in missing:
        ooxml.set_override(content_types, part, XML_CONTENT_TYPE)
    if missing:
        parts[ooxml.CONTENT_TYPES] = ooxml.serialize_xml(content_types)
    return changed or bool(missing)


def add_ribbon(parts: Mapping[str, bytes], ribbon_xml: Mapping[str, bytes]) -> dict[str, bytes]:
    """A copy of `parts` with the ribbon parts set to `ribbon_xml` (see `load_ribbon_xml`) and wired up."""
    unknown = set(ribbon_xml) - {p.part for p in RIBBON_PARTS}
    if unknown:
        raise ValueError(f"not ribbon parts: {sorted(unknown)}")
    out = dict(parts)
    for p in RIBBON_PARTS:
        if p.part in ribbon_xml:
            out[p.part] = bytes(ribbon_xml[p.part])
    _wire(out)
    return out


def ensure_ribbon(book: bytes | str | os.PathLike) -> bytes:
    """Check and repair the ribbon relationships of a workbook; return its (repaired) bytes.

    `book` is the workbook's bytes or path. For every ribbon part present, the
    package gets exactly one relationship of the right type to it (the one that
    openpyxl drops is re-added); relationships to missing ribbon parts are
    removed. A path is rewritten in place, atomically, only if something was
    repaired; unchanged input is returned as is. Ribbon parts that are missing
    are not recreated here (use `add_ribbon`).
    """
    data = bytes(book) if isinstance(book, (bytes, bytearray)) else Path(book).read_bytes()
    parts = ooxml.read_package(data)
    if not _wire(parts):
        return data
    repaired = ooxml.write_package(parts)
    if not isinstance(book, (bytes, bytearray)):
        ooxml.write_file_atomically(book, repaired)
    return repaired


LANGUAGES = ("en", "zh")


def localize_ribbon(ribbon_xml: Mapping[str, bytes], language: str = "en") -> dict[str, bytes]:
    """The ribbon parts with their labels and tips in `language` ('en' or 'zh').

    English is the XML sources as they are (byte for byte); Chinese replaces every tab and group
    label, button label, screentip and supertip with the words of
    ``salesbook.vocabulary.words.RIBBON`` and ``salesbook.vocabulary.help.BUTTONS``. Ids, icons
    and callbacks never change, so the XML stays valid against Microsoft's schemas.
    """
    if language not in LANGUAGES:
        raise ValueError(f"ribbon language {language!r}: use one of {', '.join(LANGUAGES)}")
    if language == "en":
        return dict(ribbon_xml)
    from salesbook.vocabulary.help import BUTTONS
    from salesbook.vocabulary.words import RIBBON, say

    labels = {b.id: b.zh for b in BUTTONS}
    out = {}
    for part, data in ribbon_xml.items():
        root = etree.fromstring(data)
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            kind, ident = etree.QName(el).localname, el.get("id")
            if kind in ("tab", "group") and f"{kind}.{ident}" in RIBBON:
                el.set("label", say(RIBBON, f"{kind}.{ident}", language))
            elif kind == "button" and ident in labels:
                el.set("label", labels[ident])
                el.set("screentip", labels[ident])
                if f"supertip.{ident}" in RIBBON:
                    el.set("supertip", say(RIBBON, f"supertip.{ident}", language))
        out[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def ribbon_language(parts: Mapping[str, bytes]) -> str | None:
    """The language ('en' or 'zh') of a package's ribbon, told by its tab label; None when unknown."""
    from salesbook.vocabulary.words import RIBBON

    data = parts.get(CUSTOMUI14.part) or parts.get(CUSTOMUI.part)
    if not data:
        return None
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError:
        return None
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == "tab" and el.get("id") == "salesbookTab":
            label = el.get("label")
            for lang, word in zip(LANGUAGES, RIBBON["tab.salesbookTab"]):
                if label == word:
                    return lang
    return None
