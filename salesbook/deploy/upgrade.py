"""`salesbook excel upgrade`: this version's VBA project, ribbon and Help sheet in an older workbook.

Works on the zip parts (``adapters.files.package`` reads, ``package_writer`` writes): only
``xl/vbaProject.bin``, the ribbon parts (``customUI/``) with their relationships and the Help
sheet's part are replaced; every other entry is copied raw, so leads, Settings, History, Archive,
the user's sheets, styles and names stay byte for byte. The Help sheet comes from a fresh build:
its text is written as inline strings (the workbook's shared strings stay as they are) and its cell
formats are found in the workbook's stylesheet (added only if missing). Its print area, a name in
workbook.xml, follows the new text's length. The VBA project's document modules are the workbook's
own codeNames, so a sheet the user added in Excel keeps its module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from lxml import etree

from salesbook.atomic import atomic_output
from salesbook.errors import Refusal
from salesbook.vocabulary.words import DEPLOY, say

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
VBA_PART = "xl/vbaProject.bin"
CUSTOMUI_FOLDER = "customUI/"
SHARED_STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"


@dataclass
class Upgrade:
    path: Path                    # the workbook written
    language: str                 # the ribbon's language
    version: str | None           # the xlwings release of the new VBA module
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            salesbook = version("salesbook")
        except PackageNotFoundError:
            salesbook = "(source)"
        return say(DEPLOY, "upgrade.done", path=self.path, version=self.version, language=self.language,
                   salesbook=salesbook)


def _q(tag: str) -> str:
    return f"{{{NS_MAIN}}}{tag}"


def _code_name(xml: bytes, tag: str) -> str | None:
    match = re.search(rb"<(?:\w+:)?" + tag.encode() + rb"\b[^>]*\bcodeName=\"([^\"]*)\"", xml)
    return match.group(1).decode("utf-8") if match else None


def _is_help(name: str, code: str | None) -> bool:
    from salesbook.vocabulary.names import HELP, SHEET_NAMES

    return code == "shHelp" or name.casefold() in {n.casefold() for n in SHEET_NAMES[HELP]}


def _language(pkg, parts_ribbon: dict[str, bytes], leads_columns: list[str]) -> str:
    from salesbook.builder.ribbon import ribbon_language
    from salesbook.rules.schema import INPUTS, norm

    found = ribbon_language(parts_ribbon)
    if found:
        return found
    zh = {norm(c.zh) for c in INPUTS}
    en = {norm(c.en) for c in INPUTS}
    heads = [norm(h) for h in leads_columns]
    return "zh" if sum(h in zh for h in heads) > sum(h in en for h in heads) else "en"


def _leads_table(pkg):
    from salesbook.vocabulary.names import LEADS, LEADS_TABLE, SHEET_NAMES

    names = {n.casefold() for n in SHEET_NAMES[LEADS]}
    for sheet in pkg.sheets:
        for table in pkg.tables(sheet.part):
            if table.name.casefold() == LEADS_TABLE.casefold() or (sheet.name.casefold() in names and table.columns):
                return table
    return None


def _fresh(language: str) -> dict[str, bytes]:
    from salesbook.builder import ooxml
    from salesbook.builder.package import build_workbook_bytes
    from salesbook.deploy.excel_new import _clean

    return ooxml.read_package(build_workbook_bytes(partial(_clean, language=language), language=language))


def _inline_help(fresh: dict[str, bytes], help_part: str, style_map) -> bytes:
    """The fresh Help sheet with its shared strings inlined and its formats mapped by `style_map`."""
    root = etree.fromstring(fresh[help_part])
    strings = []
    if SHARED_STRINGS in fresh:
        strings = [si for si in etree.fromstring(fresh[SHARED_STRINGS]) if etree.QName(si).localname == "si"]
    for c in root.iter(_q("c")):
        if c.get("s") is not None:
            c.set("s", str(style_map(int(c.get("s")))))
        if c.get("t") == "s":
            v = c.find(_q("v"))
            si = strings[int(v.text)]
            c.remove(v)
            c.set("t", "inlineStr")
            inline = etree.SubElement(c, _q("is"))
            for part in si:
                inline.append(etree.fromstring(etree.tostring(part)))
    for row in root.iter(_q("row")):
        if row.get("s") is not None:
            row.set("s", str(style_map(int(row.get("s")))))
    for col in root.iter(_q("col")):
        if col.get("style") is not None:
            col.set("style", str(style_map(int(col.get("style")))))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _print_area(workbook_xml: bytes, sheet_index: int) -> tuple[str, str] | None:
    """(whole element, reference) of the _xlnm.Print_Area name of the sheet at `sheet_index`."""
    pattern = (rb"<(?:\w+:)?definedName\b(?=[^>]*\bname=\"_xlnm\.Print_Area\")(?=[^>]*\blocalSheetId=\""
               + str(sheet_index).encode() + rb"\")[^>]*>([^<]*)</(?:\w+:)?definedName>")
    match = re.search(pattern, workbook_xml)
    return (match.group(0).decode("utf-8"), match.group(1).decode("utf-8")) if match else None


def upgrade_workbook(book: Path | str, output: Path | str | None = None, *, force: bool = False) -> Upgrade:
    """Upgrade `book` into `output` (default: in place, atomically). Refusal, with nothing written, for a
    workbook that is not salesbook's, or, in place, one whose VBA project holds code of the user's own
    (it would be lost with the old project: with ``output`` the old file keeps it)."""
    from salesbook.adapters.files.package import Package
    from salesbook.adapters.files.package_writer import PackageWriter
    from salesbook.adapters.files.preflight import preflight, preflight_output
    from salesbook.adapters.files.styles import StyleBook
    from salesbook.builder.layout import SHEET_CODENAMES
    from salesbook.builder.package import sheet_parts
    from salesbook.builder.ribbon import RIBBON_PARTS, XML_CONTENT_TYPE
    from salesbook.builder.vba import build_vba_project_from_dir
    from salesbook.deploy.vbaproject import is_salesbook_project, module_texts, own_code, xlwings_version

    book = Path(book)
    target = Path(output) if output is not None else book
    preflight(book, force=force, for_write=output is None)
    if output is not None:
        preflight_output(target, force=force, needed=book.stat().st_size)
    pkg = Package.open(book)
    try:
        table = _leads_table(pkg)
        if table is None:
            raise Refusal(say(DEPLOY, "upgrade.no_leads", path=f"'{book}'"), path=book)
        try:
            salesbook_vba = pkg.has(VBA_PART) and is_salesbook_project(module_texts(pkg.read(VBA_PART)))
        except ValueError:
            salesbook_vba = False
        if not salesbook_vba:
            raise Refusal(say(DEPLOY, "upgrade.no_vba", path=f"'{book}'"), path=book)
        ribbon_old = {p.part: pkg.read(p.part) for p in RIBBON_PARTS if pkg.has(p.part)}
        language = _language(pkg, ribbon_old, table.columns)
        fresh = _fresh(language)
        writer = PackageWriter(pkg)
        result = Upgrade(target, language, None)

        # the sheets and their codeNames, as the workbook has them
        sheets = [(s.name, _code_name(pkg.read(s.part), "sheetPr")) for s in pkg.sheets]
        help_sheet = next((s for s, (_, code) in zip(pkg.sheets, sheets) if _is_help(s.name, code)), None)
        fresh_help = dict(sheet_parts(fresh))["Help"]

        # the Help sheet: fresh text, inline strings, the workbook's own formats
        mine = StyleBook(pkg.read(STYLES) if pkg.has(STYLES) else None)
        theirs = StyleBook(fresh.get(STYLES))
        help_xml = _inline_help(fresh, fresh_help, partial(mine.import_xf, theirs))
        help_code = SHEET_CODENAMES["Help"]
        if help_sheet is None:
            from salesbook.vocabulary.names import HELP

            writer.add_worksheet(HELP, help_xml)
            sheets.append((HELP, help_code))
            result.notes.append(say(DEPLOY, "upgrade.help_added"))
        else:
            help_code = dict(sheets).get(help_sheet.name) or help_code
            help_xml = re.sub(rb'(<sheetPr\b[^>]*\bcodeName=")[^"]*"', rb'\g<1>' + help_code.encode() + b'"', help_xml, 1)
            writer.put(help_sheet.part, help_xml)
            index = pkg.sheets.index(help_sheet)
            old_area = _print_area(pkg.read(pkg.workbook_part), index)
            new_area = _print_area(fresh[pkg.workbook_part] if pkg.workbook_part in fresh else fresh["xl/workbook.xml"],
                                   [n for n, _ in sheet_parts(fresh)].index("Help"))
            if old_area and new_area:
                element, ref = old_area
                new_ref = ref.split("!")[0] + "!" + new_area[1].split("!")[-1]
                if new_ref != ref:
                    wb = pkg.read(pkg.workbook_part).replace(element.encode(), element.replace(ref, new_ref).encode(), 1)
                    writer.put(pkg.workbook_part, wb)
        if mine.changed():
            writer.put(STYLES, mine.to_bytes())
            result.notes.append(say(DEPLOY, "upgrade.styles", n=len(mine.xfs.added)))

        # the VBA project: this version's modules, a document module per codeName the workbook has
        pairs = [(name, code) for name, code in sheets if code]
        vba = build_vba_project_from_dir(None, pairs)
        own = own_code(module_texts(pkg.read(VBA_PART)), module_texts(vba))
        if own and output is None:  # in place, the user's VBA would be gone with the old project
            raise Refusal(say(DEPLOY, "upgrade.own_vba", path=f"'{book}'", modules=", ".join(own),
                              name=book.stem), path=book)
        if own:
            result.notes.append(say(DEPLOY, "upgrade.own_vba_left", modules=", ".join(own), old=book.name))
        writer.put(VBA_PART, vba)
        result.version = xlwings_version(module_texts(vba))

        # the ribbon: this version's parts, wired from the package; older ribbon extras go
        for name in writer.names():
            if name.startswith(CUSTOMUI_FOLDER) and name not in {p.part for p in RIBBON_PARTS}:
                writer.remove(name)
        for p in RIBBON_PARTS:
            for rid, (rtype, tgt) in list(writer.relationships("").items()):
                if rtype == p.rel_type and tgt != p.part:
                    writer.remove_relationship("", rid)
            writer.add_part(p.part, fresh[p.part], writer.content_type(p.part) or XML_CONTENT_TYPE,
                            source_part="", rel_type=p.rel_type)
        with atomic_output(target) as tmp:
            writer.write(tmp)
            pkg.close()  # no handle on the source at the replace (Windows)
        return result
    finally:
        pkg.close()
