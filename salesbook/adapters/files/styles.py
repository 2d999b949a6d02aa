"""Edit ``xl/styles.xml``: add cell formats (xfs) on demand, never change existing ones.

The stylesheet is parsed (it is small) to look styles up, but written back by
textual insertion: new ``<numFmt>``, ``<font>``, ``<fill>`` and ``<xf>`` elements are
appended to their lists and the lists' ``count`` attributes updated. Everything
else in the part stays as it was, byte for byte.

Styles are deduplicated against the existing ones, including those a previous run
added, so that running twice gives the same stylesheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from salesbook.adapters.files.package import child, children, escape_attr
from salesbook.adapters.files.xmlsafe import local, parse_xml

DEFAULT_DATE_FORMAT = "yyyy-mm-dd"

# Built-in number formats Excel knows by id (ECMA-376 18.8.30).
BUILTIN_FORMATS: dict[int, str] = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
    14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy",
    18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm",
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0",
    48: "##0.0E+0", 49: "@",
}
BUILTIN_IDS: dict[str, int] = {code: i for i, code in BUILTIN_FORMATS.items()}
# Date (and date-time) built-ins, including those East Asian Excel versions define
# as dates (27-36, 50-58: e.g. 31 is yyyy"年"m"月"d"日").
BUILTIN_DATE_IDS = frozenset([*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)])

_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_DATE_TOKENS = re.compile(r"[yYdD]|mmm|MMM")

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

_FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign",
               "sz", "color", "name", "family", "charset", "scheme"]

MINIMAL_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
).encode("utf-8")


def is_date_format(code: str | None) -> bool:
    """Does an Excel number format code show a date (y, d or month-name tokens)?"""
    if not code:
        return False
    bare = _QUOTED.sub("", code)
    return bool(_DATE_TOKENS.search(bare))


def _canon(el: etree._Element) -> tuple:
    """A namespace-free, order-preserving value of an element for comparisons."""
    return (
        local(el.tag),
        tuple(sorted((local(k), v) for k, v in el.attrib.items())),
        tuple(_canon(c) for c in el if isinstance(c.tag, str)),
    )


# The stylesheet's lists in schema order (CT_Stylesheet), each optional.
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
          "tableStyles", "colors", "extLst")


def _defaults() -> dict[str, list[etree._Element]]:
    """Excel's default first items of each list (MINIMAL_STYLES): font 0, fills 0 and 1
    (none and gray125, which Excel reserves), border 0, the Normal style's xf, xf 0."""
    root = etree.fromstring(MINIMAL_STYLES)
    return {local(lst.tag): [item for item in lst if isinstance(item.tag, str)] for lst in root}


@dataclass
class _List:
    """One list of styles.xml (fonts, fills, cellXfs...) and what we add to it.

    A list that is absent, or shorter than Excel's defaults (a valid stylesheet may leave
    out ``<fonts>``, ``<fills>``, ``<cellXfs>``...), is completed with those defaults
    (``seeded``) when the stylesheet is written: new styles refer to font 0, fill 0,
    border 0 and the Normal style, and xf 0 stays the style of unstyled cells."""

    tag: str  # list element, e.g. 'cellXfs'
    items: list[etree._Element]
    keys: dict[tuple, int] = field(default_factory=dict)  # canonical -> first index
    added: list[etree._Element] = field(default_factory=list)  # new items, in order
    seeded: list[etree._Element] = field(default_factory=list)  # Excel's defaults, when missing

    def __post_init__(self) -> None:
        for i, el in enumerate(self.items):
            self.keys.setdefault(_canon(el), i)

    def index_of(self, el: etree._Element) -> int:
        """The index of an equal item, adding ``el`` when there is none."""
        key = _canon(el)
        found = self.keys.get(key)
        if found is not None:
            return found
        idx = len(self.items)
        self.items.append(el)
        self.keys[key] = idx
        self.added.append(el)
        return idx


class StyleBook:
    """The workbook's cell styles; adds xfs on demand (deduplicated)."""

    def __init__(self, styles_xml: bytes | None):
        self.original = styles_xml
        self._created = styles_xml is None
        self.data = styles_xml if styles_xml is not None else MINIMAL_STYLES
        root = parse_xml(self.data, part="xl/styles.xml")
        self._root = root
        self._ns = root.nsmap.get(None) or etree.QName(root).namespace or MAIN_NS
        self.num_formats: dict[int, str] = dict(BUILTIN_FORMATS)
        numfmts = child(root, "numFmts")
        self._custom_ids: set[int] = set()
        self._new_numfmts: list[tuple[int, str]] = []
        for nf in children(numfmts, "numFmt") if numfmts is not None else []:
            try:
                i = int(nf.get("numFmtId", ""))
            except ValueError:
                continue
            self.num_formats[i] = nf.get("formatCode", "")
            self._custom_ids.add(i)
        defaults = _defaults()
        self.fonts = self._list("fonts", "font", defaults)
        self.fills = self._list("fills", "fill", defaults)
        self._borders = self._list("borders", "border", defaults)
        self._style_xfs = self._list("cellStyleXfs", "xf", defaults)
        self.xfs = self._list("cellXfs", "xf", defaults)
        self._cell_styles = self._list("cellStyles", "cellStyle", defaults)
        self._lists = (self.fonts, self.fills, self._borders, self._style_xfs, self.xfs, self._cell_styles)
        self._date_cache: dict[int | None, int] = {}

    def _list(self, tag: str, item: str, defaults: dict[str, list[etree._Element]]) -> _List:
        el = child(self._root, tag)
        items = list(children(el, item)) if el is not None else []
        seeded = [_clone(d) for d in defaults[tag][len(items):]]
        return _List(tag, items + seeded, seeded=seeded)

    # -- queries ---------------------------------------------------------------------

    def num_format_of(self, idx: int) -> str | None:
        if not 0 <= idx < len(self.xfs.items):
            return None
        try:
            fmt_id = int(self.xfs.items[idx].get("numFmtId", "0"))
        except ValueError:
            return None
        return self.num_formats.get(fmt_id)

    def is_date_xf(self, idx: int) -> bool:
        """Does cell style ``idx`` display a date (built-in date ids or y/m/d tokens)?"""
        if not 0 <= idx < len(self.xfs.items):
            return False
        try:
            fmt_id = int(self.xfs.items[idx].get("numFmtId", "0"))
        except ValueError:
            return False
        if fmt_id in self._custom_ids:
            return is_date_format(self.num_formats.get(fmt_id))
        if fmt_id in BUILTIN_DATE_IDS:
            return True
        return is_date_format(self.num_formats.get(fmt_id))

    # -- additions -------------------------------------------------------------------

    def with_date_format(self, idx: int | None) -> int:
        """``idx`` when it already shows dates, else a copy of it with 'yyyy-mm-dd'."""
        if idx is not None and self.is_date_xf(idx):
            return idx
        if idx not in self._date_cache:
            self._date_cache[idx] = self.xf(num_format=DEFAULT_DATE_FORMAT, base=idx)
        return self._date_cache[idx]

    def xf(
        self,
        *,
        num_format: str | None = None,
        bold: bool = False,
        size: float | None = None,
        fill_rgb: str | None = None,
        font_rgb: str | None = None,
        wrap: bool = False,
        halign: str | None = None,
        base: int | None = None,
    ) -> int:
        """The cellXfs index of a style: ``base`` (default: style 0) with these changes."""
        base_idx = base if base is not None and 0 <= base < len(self.xfs.items) else 0
        xf = _clone(self.xfs.items[base_idx])  # there is always an xf 0 (seeded when missing)
        if base is None and base_idx == 0:
            # A fresh style: start from the default look, not from style 0's extras.
            for a in ("applyNumberFormat", "applyFont", "applyFill", "applyAlignment", "quotePrefix"):
                xf.attrib.pop(a, None)
            for c in list(xf):
                xf.remove(c)
        if num_format is not None:
            xf.set("numFmtId", str(self._num_format_id(num_format)))
            xf.set("applyNumberFormat", "1")
        if bold or size is not None or font_rgb is not None:
            xf.set("fontId", str(self._font(int(xf.get("fontId", "0")), bold, size, font_rgb)))
            xf.set("applyFont", "1")
        if fill_rgb is not None:
            xf.set("fillId", str(self._fill(fill_rgb)))
            xf.set("applyFill", "1")
        if wrap or halign:
            self._align(xf, wrap, halign)
        return self.xfs.index_of(xf)

    def _q(self, name: str) -> str:
        return f"{{{self._ns}}}{name}"

    def _num_format_id(self, code: str) -> int:
        if code in BUILTIN_IDS:
            return BUILTIN_IDS[code]
        for i, c in self.num_formats.items():
            if c == code and (i in self._custom_ids or i >= 164):
                return i
        new_id = max([163, *self._custom_ids, *self._referenced_fmt_ids()]) + 1
        self._new_numfmts.append((new_id, code))
        self.num_formats[new_id] = code
        self._custom_ids.add(new_id)
        return new_id

    def _referenced_fmt_ids(self) -> list[int]:
        """numFmtIds the xfs use, defined or not (a new format must not take a dangling one's id)."""
        ids = []
        for xf in (*self._style_xfs.items, *self.xfs.items):
            value = xf.get("numFmtId", "")
            if value.isdigit():
                ids.append(int(value))
        return ids

    def _font(self, base_id: int, bold: bool, size: float | None, rgb: str | None) -> int:
        items = self.fonts.items
        font = _clone(items[base_id]) if 0 <= base_id < len(items) else etree.Element(self._q("font"))
        parts = {local(c.tag): c for c in font if isinstance(c.tag, str)}
        if bold:
            parts["b"] = etree.Element(self._q("b"))
        if size is not None:
            parts["sz"] = etree.Element(self._q("sz"), val=_num(size))
        if rgb is not None:
            parts["color"] = etree.Element(self._q("color"), rgb=_argb(rgb))
        new = etree.Element(self._q("font"))
        for name in _FONT_ORDER:
            if name in parts:
                new.append(parts.pop(name))
        for extra in parts.values():  # unknown children (extLst...) keep their place at the end
            new.append(extra)
        return self.fonts.index_of(new)

    def _fill(self, rgb: str) -> int:
        fill = etree.Element(self._q("fill"))
        pattern = etree.SubElement(fill, self._q("patternFill"), patternType="solid")
        etree.SubElement(pattern, self._q("fgColor"), rgb=_argb(rgb))
        etree.SubElement(pattern, self._q("bgColor"), indexed="64")
        return self.fills.index_of(fill)

    def _align(self, xf: etree._Element, wrap: bool, halign: str | None) -> None:
        align = None
        for c in xf:
            if local(c.tag) == "alignment":
                align = c
        if align is None:
            align = etree.Element(self._q("alignment"))
            xf.insert(0, align)
        if halign:
            align.set("horizontal", halign)
        if wrap:
            align.set("wrapText", "1")
        xf.set("applyAlignment", "1")

    # -- formats from another stylesheet ---------------------------------------------

    def import_xf(self, other: "StyleBook", idx: int) -> int:
        """The cellXfs index here of a format that looks like ``other``'s xf ``idx`` (same number
        format, font, fill, border, alignment and protection), added when there is none.

        Looks are compared, not bytes: the same format as Excel, openpyxl or XlsxWriter wrote it
        (font children in another order, ``<b val="1"/>`` for ``<b/>``, empty border sides) is
        found, so a workbook that has the format keeps its stylesheet as it is."""
        wanted = other._look(idx)
        if not hasattr(self, "_looks"):
            self._looks: dict[tuple, int] = {}
            for i in range(len(self.xfs.items)):
                self._looks.setdefault(self._look(i), i)
        if wanted in self._looks:
            return self._looks[wanted]
        xf = _clone(other.xfs.items[idx])
        for attr, mine, theirs in (("fontId", self.fonts, other.fonts), ("fillId", self.fills, other.fills),
                                   ("borderId", self._borders, other._borders)):
            j = int(xf.get(attr, "0") or 0)
            if 0 <= j < len(theirs.items):
                xf.set(attr, str(mine.index_of(_renamespaced(theirs.items[j], self._ns))))
        code = other.num_formats.get(int(xf.get("numFmtId", "0") or 0))
        if code is not None:
            xf.set("numFmtId", str(self._num_format_id(code)))
        xf.set("xfId", "0")
        xf = _renamespaced(xf, self._ns)
        new = self.xfs.index_of(xf)
        self._looks[wanted] = new
        return new

    def _look(self, idx: int) -> tuple:
        xf = self.xfs.items[idx]

        def item(lst: _List, attr: str, norm) -> tuple:
            j = int(xf.get(attr, "0") or 0)
            return norm(lst.items[j]) if 0 <= j < len(lst.items) else ()

        extras = tuple(sorted(_canon(c) for c in xf if isinstance(c.tag, str)))  # alignment, protection
        return (self.num_formats.get(int(xf.get("numFmtId", "0") or 0), ""), item(self.fonts, "fontId", _font_look),
                item(self.fills, "fillId", _fill_look), item(self._borders, "borderId", _border_look), extras)

    # -- output ----------------------------------------------------------------------

    def changed(self) -> bool:
        return bool(self._created or self._new_numfmts or self.fonts.added or self.fills.added or self.xfs.added)

    def to_bytes(self) -> bytes:
        """styles.xml with the additions (the original bytes when nothing was added).

        Lists that were absent or short are completed with Excel's defaults at the same
        time (see :class:`_List`), so that every index the new styles use exists."""
        data = self.data
        if not self.changed():
            return data
        present = {local(c.tag) for c in self._root}
        if self._new_numfmts:
            items = "".join(
                f'<numFmt numFmtId="{i}" formatCode="{escape_attr(code)}"/>' for i, code in self._new_numfmts
            )
            data = _append_items(data, "numFmts", items, len(self._custom_ids), present)
            present.add("numFmts")
        for lst in self._lists:
            new = lst.seeded + lst.added
            if new:
                text = "".join(_serialise(el) for el in new)
                data = _append_items(data, lst.tag, text, len(lst.items), present)
                present.add(lst.tag)
        return data


# --------------------------------------------------------------------------- helpers

_BOOLEAN_FONT_PARTS = {"b", "i", "strike", "condense", "extend", "outline", "shadow"}


def _font_look(font: etree._Element) -> tuple:
    """A font's look: its parts in any order; ``<b/>`` and ``<b val="1"/>`` alike, ``val="0"`` as absent."""
    out = []
    for c in font:
        if not isinstance(c.tag, str):
            continue
        name, attrs = local(c.tag), dict(c.attrib)
        if name in _BOOLEAN_FONT_PARTS:
            if attrs.get("val", "1").lower() in ("0", "false"):
                continue
            attrs = {}
        elif name == "sz" and "val" in attrs:
            attrs["val"] = _num(float(attrs["val"]))
        out.append((name, tuple(sorted((local(k), v.upper() if k == "rgb" else v) for k, v in attrs.items()))))
    return tuple(sorted(out))


def _fill_look(fill: etree._Element) -> tuple:
    """A fill's look: a pattern fill without a pattern type is no fill, as ``patternType="none"`` is."""
    kids = [c for c in fill if isinstance(c.tag, str)]
    if len(kids) == 1 and local(kids[0].tag) == "patternFill" and kids[0].get("patternType", "none") == "none":
        return ("none",)
    return _canon(fill)


def _border_look(border: etree._Element) -> tuple:
    """A border's look: sides without a style or colour left out."""
    sides = tuple(sorted(_canon(c) for c in border if isinstance(c.tag, str) and (len(c) or c.attrib)))
    flags = tuple(sorted((local(k), v) for k, v in border.attrib.items() if v not in ("0", "false")))
    return flags, sides


def _renamespaced(el: etree._Element, ns: str) -> etree._Element:
    """A copy of ``el`` with its elements in namespace ``ns`` (another stylesheet's default)."""
    out = _clone(el)
    for e in out.iter():
        if isinstance(e.tag, str):
            e.tag = f"{{{ns}}}{local(e.tag)}"
    etree.cleanup_namespaces(out)
    return out



def _clone(el: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(el))


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _argb(rgb: str) -> str:
    rgb = rgb.lstrip("#").upper()
    return rgb if len(rgb) == 8 else "FF" + rgb


def _serialise(el: etree._Element) -> str:
    """An element without namespace declarations or prefixes (prefixes are added later)."""
    def walk(e: etree._Element) -> str:
        attrs = "".join(f' {local(k)}="{escape_attr(v)}"' for k, v in e.attrib.items())
        kids = "".join(walk(c) for c in e if isinstance(c.tag, str))
        name = local(e.tag)
        return f"<{name}{attrs}>{kids}</{name}>" if kids else f"<{name}{attrs}/>"

    return walk(el)


def _add_prefix(fragment: str, prefix: str) -> str:
    if not prefix:
        return fragment
    return re.sub(r"<(/?)([A-Za-z])", lambda m: f"<{m.group(1)}{prefix}{m.group(2)}", fragment)


def _append_items(data: bytes, tag: str, items: str, count: int, present: set[str]) -> bytes:
    """Append serialised items to list ``tag`` and set its count; create the list if absent,
    at its place in the schema's order (after the last of the lists before it in
    ``present``, the stylesheet's top-level elements: none of these lists' tags occurs
    nested, their items use the singular names)."""
    opening = re.compile(rb"<([A-Za-z_][\w.-]*:)?" + tag.encode() + rb"\b([^>]*?)(/?)>")
    m = opening.search(data) if tag in present else None
    if m is None:
        root_prefix = _prefix_of(data, "styleSheet")
        block = _add_prefix(f"<{tag} count=\"{count}\">{items}</{tag}>", root_prefix).encode("utf-8")
        return _insert_list(data, tag, block, present)
    prefix = (m.group(1) or b"").decode()
    attrs = m.group(2)
    if re.search(rb"\bcount=\"\d*\"", attrs):
        attrs = re.sub(rb"\bcount=\"\d*\"", f'count="{count}"'.encode(), attrs)
    else:
        attrs += f' count="{count}"'.encode()
    text = _add_prefix(items, prefix).encode("utf-8")
    if m.group(3):  # <tag/>: open it
        new = b"<" + (m.group(1) or b"") + tag.encode() + attrs + b">" + text + b"</" + (m.group(1) or b"") + tag.encode() + b">"
        return data[: m.start()] + new + data[m.end():]
    close = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?" + tag.encode() + rb"\s*>")
    c = close.search(data, m.end())
    opened = data[: m.start()] + b"<" + (m.group(1) or b"") + tag.encode() + attrs + b">"
    return opened + data[m.end(): c.start()] + text + data[c.start():]


def _insert_list(data: bytes, tag: str, block: bytes, present: set[str]) -> bytes:
    before = [t for t in _ORDER[: _ORDER.index(tag)] if t in present]
    if before:
        prev = before[-1].encode()
        end = re.search(rb"</(?:[A-Za-z_][\w.-]*:)?" + prev + rb"\s*>", data) or \
            re.search(rb"<(?:[A-Za-z_][\w.-]*:)?" + prev + rb"\b[^>]*/>", data)
        return data[: end.end()] + block + data[end.end():]
    root = re.search(rb"<((?:[A-Za-z_][\w.-]*:)?styleSheet)\b([^>]*?)(/?)>", data)
    if root.group(3):  # <styleSheet .../>: open it
        opened = b"<" + root.group(1) + root.group(2) + b">" + block + b"</" + root.group(1) + b">"
        return data[: root.start()] + opened + data[root.end():]
    return data[: root.end()] + block + data[root.end():]


def _prefix_of(data: bytes, tag: str) -> str:
    m = re.search(rb"<([A-Za-z_][\w.-]*:)?" + tag.encode() + rb"[\s/>]", data)
    return (m.group(1) or b"").decode() if m else ""


__all__ = ["StyleBook", "is_date_format", "BUILTIN_DATE_IDS", "DEFAULT_DATE_FORMAT"]
