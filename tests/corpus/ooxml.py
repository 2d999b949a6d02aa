"""The package level, read and edited without salesbook's code: zipfile + lxml + a few textual edits.

- :class:`Zip` — a workbook's members in their order, with their zip metadata; saved again,
  every member that was not edited keeps its bytes.
- Navigation that works for Transitional and Strict alike (relationship ids are looked up by the
  local name ``id`` in whatever relationships namespace the writer used).
- :func:`read_sheet` — an independent cell reader (shared and inline strings, numbers, booleans,
  formulas' cached values) used to check what the add-in wrote.
- The zip-level fixture edits the corpus needs: the Strict conversion, per-part content types,
  a styles part without ``<fonts>``, an Excel 4.0 macro sheet (see README.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

MAIN_T = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MAIN_S = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_T = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_S = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_CALC_CHAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CT_MACRO_SHEET = "application/vnd.ms-excel.macrosheet+xml"
CT_MAIN_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
REL_MACRO_SHEET = "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet"
XM_NS = "http://schemas.microsoft.com/office/excel/2006/main"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(el, name: str) -> list:
    return [c for c in el if local(c.tag) == name]


def child(el, name: str):
    found = children(el, name)
    return found[0] if found else None


def rid_of(el) -> str | None:
    """The r:id of an element, whichever relationships namespace (Transitional or Strict) it uses."""
    for k, v in el.attrib.items():
        if k.startswith("{") and local(k) == "id" and k[1:].split("}")[0] in (REL_T, REL_S):
            return v
    return None


# --------------------------------------------------------------------------- the zip


class Zip:
    """A zip's members in order with their ZipInfo; :meth:`save` writes every member back as it
    was (same name, order, metadata and uncompressed bytes) except those edited or added."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as z:
            self.infos = z.infolist()
            self.data = {i.filename: z.read(i) for i in self.infos}

    @property
    def names(self) -> list[str]:
        return [i.filename for i in self.infos]

    def add(self, name: str, data: bytes) -> None:
        assert name not in self.data, name
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        self.infos.append(info)
        self.data[name] = data

    def remove(self, name: str) -> None:
        self.infos = [i for i in self.infos if i.filename != name]
        del self.data[name]

    def save(self, path: Path) -> Path:
        with zipfile.ZipFile(path, "w") as z:
            for info in self.infos:
                z.writestr(info, self.data[info.filename])
        return Path(path)


def parts(path: Path) -> dict[str, bytes]:
    """Member name -> uncompressed bytes, in zip order (directory entries left out). Cached: the
    corpus' files are written once and then only read (a copy is returned, so callers may edit it)."""
    return dict(_parts(str(path), Path(path).stat().st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _parts(path: str, mtime: int) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.endswith("/")}


# --------------------------------------------------------------------------- navigation


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


@dataclass
class Rel:
    id: str
    type: str
    target: str
    part: str | None  # the resolved part name, None when external

    @property
    def kind(self) -> str:
        return self.type.rsplit("/", 1)[-1]


def rels(p: dict[str, bytes], part: str) -> list[Rel]:
    """The relationships of ``part`` ('' for the package)."""
    name = "_rels/.rels" if part == "" else rels_name(part)
    if name not in p:
        return []
    folder = posixpath.dirname(part)
    out = []
    for r in xml(p[name]):
        if local(r.tag) != "Relationship":
            continue
        target = r.get("Target", "")
        resolved = None
        if r.get("TargetMode") != "External":
            resolved = (target.lstrip("/") if target.startswith("/")
                        else posixpath.normpath(posixpath.join(folder, target)))
        out.append(Rel(r.get("Id"), r.get("Type", ""), target, resolved))
    return out


def workbook_part(p: dict[str, bytes]) -> str:
    return next(r.part for r in rels(p, "") if r.kind == "officeDocument")


def is_strict(p: dict[str, bytes]) -> bool:
    return etree.QName(xml(p[workbook_part(p)])).namespace == MAIN_S


@dataclass
class Sheet:
    name: str
    sheet_id: str
    part: str
    kind: str  # worksheet, chartsheet, xlMacrosheet, dialogsheet


def sheets(p: dict[str, bytes]) -> list[Sheet]:
    wb = workbook_part(p)
    by_id = {r.id: r for r in rels(p, wb)}
    out = []
    for s in children(child(xml(p[wb]), "sheets"), "sheet"):
        r = by_id[rid_of(s)]
        out.append(Sheet(s.get("name"), s.get("sheetId"), r.part, r.kind))
    return out


def sheet_part(p: dict[str, bytes], name: str) -> str | None:
    return next((s.part for s in sheets(p) if s.name == name), None)


def date1904(p: dict[str, bytes]) -> bool:
    pr = child(xml(p[workbook_part(p)]), "workbookPr")
    return pr is not None and pr.get("date1904", "").lower() in ("1", "true")


def content_types(p: dict[str, bytes]) -> tuple[dict[str, str], dict[str, str]]:
    """(Default extension -> type, Override part name -> type); extensions lower-cased, part names
    without the leading slash and lower-cased (OPC part names compare case-insensitively)."""
    root = xml(p["[Content_Types].xml"])
    defaults = {e.get("Extension", "").lower(): e.get("ContentType") for e in children(root, "Default")}
    overrides = {e.get("PartName", "").lstrip("/").lower(): e.get("ContentType") for e in children(root, "Override")}
    return defaults, overrides


def content_type(p: dict[str, bytes], part: str, types: tuple[dict, dict] | None = None) -> str | None:
    defaults, overrides = types or content_types(p)
    if part.lower() in overrides:
        return overrides[part.lower()]
    return defaults.get(part.rsplit(".", 1)[-1].lower()) if "." in part.rsplit("/", 1)[-1] else None


# --------------------------------------------------------------------------- cells, read independently

_REF = re.compile(r"([A-Z]+)(\d+)")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    s = ""
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def shared_strings(p: dict[str, bytes]) -> list[str]:
    r = next((r for r in rels(p, workbook_part(p)) if r.kind == "sharedStrings"), None)
    if r is None or r.part not in p:
        return []
    return ["".join(t.text or "" for t in si.iter() if local(t.tag) == "t"
                    and local(t.getparent().tag) != "rPh") for si in children(xml(p[r.part]), "si")]


@dataclass
class Cell:
    value: object  # str, float, bool, or None
    formula: str | None
    style: int


def read_sheet(p: dict[str, bytes], part: str, sst: list[str] | None = None) -> dict[tuple[int, int], Cell]:
    """(row, column) -> Cell of every <c> in a worksheet part (1-based)."""
    sst = shared_strings(p) if sst is None else sst
    out = {}
    root = xml(p[part])
    data = child(root, "sheetData")
    for row in (data if data is not None else []):
        for c in row:
            if local(c.tag) != "c":
                continue
            m = _REF.fullmatch(c.get("r", ""))
            if m is None:  # cells without r: not written by the writers of this corpus
                raise AssertionError(f"{part}: a cell without a reference")
            t = c.get("t", "n")
            v, f, is_ = child(c, "v"), child(c, "f"), child(c, "is")
            if t == "inlineStr":
                value = "".join(x.text or "" for x in is_.iter() if local(x.tag) == "t") if is_ is not None else ""
            elif v is None or v.text is None:
                value = None
            elif t == "s":
                k = int(v.text)
                value = sst[k] if k < len(sst) else None
            elif t in ("str", "e"):
                value = v.text
            elif t == "b":
                value = v.text == "1"
            else:
                value = float(v.text)
            out[(int(m.group(2)), col_number(m.group(1)))] = Cell(
                value, (f.text or "") if f is not None else None, int(c.get("s", "0")))
    return out


def table(cells: dict[tuple[int, int], Cell], header_row: int = 1) -> tuple[list[str], list[dict]]:
    """The headers of ``header_row`` and one dict (header -> value) per following row with a value."""
    width = max((c for r, c in cells if r == header_row), default=0)
    headers = [cells.get((header_row, j), Cell(None, None, 0)).value for j in range(1, width + 1)]
    rows = {}
    for (r, c), cell in cells.items():
        if r > header_row and c <= width and cell.value not in (None, ""):
            rows.setdefault(r, {})[headers[c - 1]] = cell.value
    return headers, [rows[r] for r in sorted(rows)]


def serial_to_date(value: float, is1904: bool) -> dt.date:
    epoch = dt.date(1904, 1, 1) if is1904 else dt.date(1899, 12, 30)
    return epoch + dt.timedelta(days=int(value))


def date_to_serial(d: dt.date, is1904: bool) -> int:
    epoch = dt.date(1904, 1, 1) if is1904 else dt.date(1899, 12, 30)
    return (d - epoch).days


# --------------------------------------------------------------------------- small textual edits


def insert_before_close(text: str, element: str, snippet: str) -> str:
    """Insert ``snippet`` before the closing tag of the (only) ``element``, whatever its prefix."""
    m = list(re.finditer(rf"</(?:[\w.-]+:)?{element}\s*>", text))
    if m:
        at = m[-1].start()
        return text[:at] + snippet + text[at:]
    empty = re.search(rf"<((?:[\w.-]+:)?{element})\b([^>]*)/>", text)
    assert empty, element
    return text[:empty.start()] + f"<{empty.group(1)}{empty.group(2)}>{snippet}</{empty.group(1)}>" + \
        text[empty.end():]


def prefix_of(text: str, element: str) -> str:
    m = re.search(rf"<([\w.-]+:)?{element}\b", text)
    assert m, element
    return m.group(1) or ""


def ns_prefix(text: str, uri: str) -> str | None:
    """The prefix the root element binds to ``uri`` (a binding on another element is out of scope)."""
    root = re.search(r"<[A-Za-z_][^>]*>", re.sub(r"<\?.*?\?>|<!--.*?-->", "", text, flags=re.S))
    m = re.search(rf'xmlns:([\w.-]+)\s*=\s*["\']{re.escape(uri)}["\']', root.group(0)) if root else None
    return m.group(1) if m else None


def free_name(z: Zip, pattern: str) -> str:
    taken = {n.lower() for n in z.names}
    k = 1
    while pattern.format(k).lower() in taken:
        k += 1
    return pattern.format(k)


def add_relationship(z: Zip, source: str, rel_type: str, target: str) -> str:
    """Append a relationship to ``source`` ('' = the package); returns its Id."""
    name = "_rels/.rels" if source == "" else rels_name(source)
    text = z.data[name].decode("utf-8")
    ids = set(re.findall(r'\bId\s*=\s*["\']([^"\']+)["\']', text))
    k = 1
    while f"rId{k}" in ids:
        k += 1
    p = prefix_of(text, "Relationships")
    snippet = f'<{p}Relationship Id="rId{k}" Type="{rel_type}" Target="{target}"/>'
    z.data[name] = insert_before_close(text, "Relationships", snippet).encode("utf-8")
    return f"rId{k}"


def add_override(z: Zip, part: str, ctype: str) -> None:
    text = z.data["[Content_Types].xml"].decode("utf-8")
    p = prefix_of(text, "Types")
    z.data["[Content_Types].xml"] = insert_before_close(
        text, "Types", f'<{p}Override PartName="/{part}" ContentType="{ctype}"/>').encode("utf-8")


def set_override(z: Zip, part: str, ctype: str) -> None:
    text = z.data["[Content_Types].xml"].decode("utf-8")
    new, k = re.subn(rf'(PartName="/{re.escape(part)}"\s+ContentType=")[^"]*(")', rf"\g<1>{ctype}\g<2>", text)
    assert k == 1, part
    z.data["[Content_Types].xml"] = new.encode("utf-8")


def add_sheet_entry(z: Zip, wb: str, name: str, rid: str, rel_ns: str) -> str:
    """Append <sheet name=… sheetId=… r:id=…/> to workbook.xml's <sheets>; returns the sheetId."""
    text = z.data[wb].decode("utf-8")
    sheet_id = max(int(i) for i in re.findall(r'<(?:[\w.-]+:)?sheet\b[^>]*\bsheetId="(\d+)"', text)) + 1
    p = prefix_of(text, "sheets")
    r = ns_prefix(text, rel_ns)
    rattr = f'{r}:id="{rid}"' if r else f'xmlns:r="{rel_ns}" r:id="{rid}"'
    z.data[wb] = insert_before_close(
        text, "sheets", f'<{p}sheet name="{name}" sheetId="{sheet_id}" {rattr}/>').encode("utf-8")
    return str(sheet_id)


def relative_target(z: Zip, source: str, part: str, absolute: bool) -> str:
    return "/" + part if absolute else posixpath.relpath(part, posixpath.dirname(source))


def uses_absolute_targets(p: dict[str, bytes], source: str) -> bool:
    name = rels_name(source)
    return name in p and b'Target="/' in p[name]


# --------------------------------------------------------------------------- zip-level fixture edits

# Transitional -> Strict namespaces (ECMA-376 Part 1, 4th ed.; the Strict names Excel writes
# when saving as "Strict Open XML Spreadsheet"). Longest first: the specific before the prefix.
STRICT_NS = [
    ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
     "http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
     "http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/relationships", REL_S),
    ("http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
     "http://purl.oclc.org/ooxml/officeDocument/extendedProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
     "http://purl.oclc.org/ooxml/officeDocument/customProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
     "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes",
     "http://purl.oclc.org/ooxml/officeDocument/sharedTypes"),
    (MAIN_T, MAIN_S),
    ("http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main"),
    ("http://schemas.openxmlformats.org/drawingml/2006/chart", "http://purl.oclc.org/ooxml/drawingml/chart"),
    ("http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
     "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing"),
    ("http://schemas.openxmlformats.org/drawingml/2006/picture", "http://purl.oclc.org/ooxml/drawingml/picture"),
]


def to_strict(src: Path, dst: Path) -> Path:
    """Rewrite a Transitional workbook as Strict at the zip level: every Transitional namespace
    and relationship type becomes its Strict name, and the workbook says conformance="strict".
    (Values and parts are otherwise unchanged: a fixture, not a full converter.)"""
    z = Zip(src)
    for name in z.names:
        if name.endswith((".xml", ".rels", ".vml")) and name != "[Content_Types].xml":
            text = z.data[name].decode("utf-8")
            for old, new in STRICT_NS:
                text = text.replace(old, new)
            z.data[name] = text.encode("utf-8")
    wb = workbook_part(z.data)
    text = z.data[wb].decode("utf-8")
    text = re.sub(r"<((?:[\w.-]+:)?workbook)\b", r'<\1 conformance="strict"', text, count=1)
    z.data[wb] = text.encode("utf-8")
    return z.save(dst)


def per_part_content_types(src: Path, dst: Path) -> Path:
    """Declare a content type per part instead of per extension, as some writers do: no Default for
    rels and xml, an Override for every .rels and .xml part."""
    z = Zip(src)
    text = z.data["[Content_Types].xml"].decode("utf-8")
    _, overrides = content_types(z.data)
    text = re.sub(r'<Default\s+Extension="(?:rels|xml)"[^>]*/>', "", text)
    extra = []
    for name in z.names:
        if name.endswith("/") or name == "[Content_Types].xml":
            continue
        if name.endswith(".rels"):
            extra.append(f'<Override PartName="/{name}" ContentType="{CT_RELS}"/>')
        elif name.endswith(".xml") and name.lower() not in overrides:
            extra.append(f'<Override PartName="/{name}" ContentType="application/xml"/>')
    z.data["[Content_Types].xml"] = insert_before_close(text, "Types", "".join(extra)).encode("utf-8")
    return z.save(dst)


def styles_without_fonts(src: Path, dst: Path) -> Path:
    """The styles part without its (optional) <fonts> collection: schema-valid, unusual."""
    z = Zip(src)
    st = next(r.part for r in rels(z.data, workbook_part(z.data)) if r.kind == "styles")
    text, k = re.subn(r"<fonts\b.*?</fonts>", "", z.data[st].decode("utf-8"), count=1, flags=re.S)
    assert k == 1
    z.data[st] = text.encode("utf-8")
    return z.save(dst)


def with_macro_sheet(src: Path, dst: Path) -> Path:
    """Add an Excel 4.0 (XLM) macro sheet 'Macro1' with an Auto_Open name, as Excel saves one in an
    .xlsm: a macrosheet part, its relationship, content type and <sheet> entry."""
    z = Zip(src)
    wb = workbook_part(z.data)
    part = free_name(z, posixpath.join(posixpath.dirname(wb), "macrosheets", "sheet{}.xml"))
    z.add(part, (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<xm:macrosheet xmlns="{MAIN_T}" xmlns:r="{REL_T}" xmlns:xm="{XM_NS}">'
        '<dimension ref="A1:A3"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
        '<row r="1"><c r="A1" t="str"><f>ALERT("Pipeline macros loaded")</f><v>TRUE</v></c></row>'
        '<row r="2"><c r="A2" t="b"><f>ECHO(FALSE)</f><v>1</v></c></row>'
        '<row r="3"><c r="A3" t="b"><f>RETURN()</f><v>1</v></c></row>'
        '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '</xm:macrosheet>').encode())
    add_override(z, part, CT_MACRO_SHEET)
    set_override(z, wb, CT_MAIN_XLSM)
    rid = add_relationship(z, wb, REL_MACRO_SHEET, posixpath.relpath(part, posixpath.dirname(wb)))
    add_sheet_entry(z, wb, "Macro1", rid, REL_T)
    text = z.data[wb].decode("utf-8")
    name = '<definedName name="_xlnm.Auto_Open" hidden="1">Macro1!$A$1</definedName>'
    if re.search(r"<definedNames\b", text):
        text = insert_before_close(text, "definedNames", name)
    else:
        text = re.sub(r"(</(?:[\w.-]+:)?sheets>)", r"\1<definedNames>" + name + "</definedNames>", text, count=1)
    z.data[wb] = text.encode("utf-8")
    return z.save(dst)
