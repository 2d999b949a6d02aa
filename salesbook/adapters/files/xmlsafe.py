"""The one home of XML parsing for workbook parts: every parser here refuses DTDs and entities.

- :func:`safe_parse` / :func:`safe_iterparse`: defusedxml over ElementTree (the preflight);
- :func:`safe_parse_lxml`: lxml, for parts that are edited and written back (comments, notes);
- :func:`parse_xml`: lxml, for the small structural parts :class:`~salesbook.adapters.files.package.Package`
  reads (workbook, rels, content types, styles), with its own wording of the refusal.

All lxml parsing goes through one hardened parser (no entities, no DTD, no network, no huge trees).
"""

from __future__ import annotations

import os
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from lxml import etree

from salesbook.adapters.files.refusals import bad_xml, unsafe_xml
from salesbook.atomic import StrPath
from salesbook.errors import Refusal

__all__ = ["local", "parse_xml", "safe_iterparse", "safe_parse", "safe_parse_lxml"]

_LXML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, remove_comments=False
)


def safe_parse(data: bytes, *, path: StrPath | None = None, part: str | None = None) -> Element:
    """Parse one XML part into an ElementTree root; DTDs and entities are refused.

    Raises Refusal (naming ``path`` and ``part`` when given) for a DOCTYPE,
    an entity declaration, an external reference or malformed XML.
    """
    try:
        return DefusedET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise unsafe_xml(path, part, repr(exc)) from None
    except ParseError as exc:
        raise bad_xml(path, part, exc) from None


def safe_iterparse(source, events=("end",), *, path: StrPath | None = None, part: str | None = None):
    """Streaming variant of :func:`safe_parse` (``source`` is a file object or name)."""
    try:
        yield from DefusedET.iterparse(source, events=events, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise unsafe_xml(path, part, repr(exc)) from None
    except ParseError as exc:
        raise bad_xml(path, part, exc) from None


def safe_parse_lxml(data: bytes, *, path: StrPath | None = None, part: str | None = None):
    """Parse one XML part with lxml without loading a DTD or expanding entities."""
    try:
        root = etree.fromstring(data, _LXML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise bad_xml(path, part, exc) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise unsafe_xml(path, part, f"DOCTYPE {info.doctype!r}")
    return root



def parse_xml(data: bytes, *, part: str = "", path: str | None = None) -> etree._Element:
    """Parse a small package part safely: no entities, no DTD, no network, no huge trees."""
    try:
        root = etree.fromstring(data, _LXML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise Refusal(
            f"Cannot read {base_name(path)}: its part {part or '?'} is not valid XML. "
            "Open the workbook in Excel and save it again.",
            path=path,
            detail=str(exc),
        ) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise Refusal(
            f"Cannot read {base_name(path)}: its part {part} declares a DTD, which Excel never writes. "
            "The file may be crafted; open it in Excel and save it again.",
            path=path,
        )
    return root


def base_name(path: str | os.PathLike | None) -> str:
    """The file name a refusal of parse_xml gives (its base name, or "the workbook")."""
    return os.path.basename(os.fspath(path)) if path else "the workbook"


def local(tag: object) -> str:
    """The local name of a tag ('{ns}sheet' -> 'sheet'); '' for lxml comments/PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
