"""The structural checks of a built workbook, shared by the build tests and the deploy tests.

Each takes what a test has (the package's parts, the VBA project's bytes, the file) and asserts
with independent readers: xmlschema against Microsoft's ribbon schemas, oletools' olevba for the
module texts, pyopenvba for the project's document modules, LibreOffice for loading the file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import xmlschema
from lxml import etree
from oletools.olevba import VBA_Parser
from pyopenvba.cfb import CFB
from pyopenvba.vba import parse_project_stream

from salesbook.builder.layout import SHEETS, WORKBOOK_CODENAME
from salesbook.builder.package import sheet_parts
from salesbook.builder.ribbon import CUSTOMUI, CUSTOMUI14, RIBBON_PARTS, ribbon_problems
from salesbook.builder.vba import class_module, load_modules

from .paths import MACROS, SCHEMAS

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
SCHEMA_FILES = {CUSTOMUI14.part: "customui14.xsd", CUSTOMUI.part: "customUI.xsd"}
MODULE_TYPES = {"document": "document", "standard": "normal", "class": "class"}


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def olevba_modules(vba_bin: bytes) -> dict[str, str]:
    """{module name: text} as oletools' olevba extracts them."""
    parser = VBA_Parser("vbaProject.bin", data=vba_bin)
    try:
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def assert_ribbon_schema_valid(parts: dict[str, bytes]) -> None:
    """Both ribbon parts present, wired, and valid against Microsoft's schemas."""
    assert ribbon_problems(parts) == []
    for p in RIBBON_PARTS:
        schema = xmlschema.XMLSchema(str(SCHEMAS / SCHEMA_FILES[p.part]))
        schema.validate(parts[p.part].decode("utf-8"))
        assert etree.fromstring(parts[p.part]).tag == f"{{{p.namespace}}}customUI"


def assert_modules_equal_sources(vba_bin: bytes) -> None:
    """Every module of the sources, read back by olevba, is the source text (classes as imported)."""
    built = olevba_modules(vba_bin)
    for path in sorted(MACROS.glob("*.bas")):
        assert lf(built[path.stem]) == lf(path.read_bytes().decode("cp1252")), path.name
    for path in sorted(MACROS.glob("*.cls")):
        assert lf(built[path.stem]) == lf(class_module(path.read_bytes().decode("cp1252")).source), path.name


def assert_code_names_bound(parts: dict[str, bytes], vba_bin: bytes) -> None:
    """The workbook's and every sheet's codeName is a document module of the project, in order; the
    add-in's sheets have the layout's codeNames. (A sheet a user added with a tool other than Excel
    has no codeName yet: Excel gives it one and its module when it opens the file.)"""
    workbook = etree.fromstring(parts["xl/workbook.xml"])
    names = [(WORKBOOK_CODENAME, workbook.find(f"{NS}workbookPr").get("codeName"))]
    for name, part in sheet_parts(parts):
        pr = etree.fromstring(parts[part]).find(f"{NS}sheetPr")
        names.append((name, pr.get("codeName") if pr is not None else None))
    layout = dict(SHEETS)
    assert [code for name, code in names[1:] if name in layout] == [code for _, code in SHEETS]
    assert names[0][1] == WORKBOOK_CODENAME
    documents = parse_project_stream(CFB.from_bytes(vba_bin).get_stream("PROJECT")).document_modules
    assert [name for name, _ in documents] == [code for _, code in names if code]


def libreoffice_ods(path: Path, work: Path) -> zipfile.ZipFile:
    """The workbook converted by LibreOffice (headless) to .ods, opened."""
    work.mkdir(parents=True, exist_ok=True)
    src = work / "book.xlsm"
    shutil.copyfile(path, src)
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
                    "--convert-to", "ods", "--outdir", str(work / "out"), str(src)],
                   check=True, capture_output=True, timeout=300)
    out = work / "out" / "book.ods"
    assert out.exists(), "LibreOffice did not convert the workbook"
    return zipfile.ZipFile(out)


def assert_libreoffice_loaded(ods: zipfile.ZipFile) -> None:
    """LibreOffice found every module with its type, and bound every sheet to its codeName."""
    names = set(ods.namelist())
    for module in load_modules(MACROS):
        entry = f"Basic/VBAProject/{module.name}.xml"
        assert entry in names, entry
        assert f'script:moduleType="{MODULE_TYPES[module.kind]}"' in ods.read(entry).decode("utf-8"), module.name
    settings = ods.read("settings.xml").decode("utf-8")
    pairs = dict(re.findall(r'config:name="([^"]+)"><config:config-item config:name="CodeName" '
                            r'config:type="string">([^<]*)<', settings))
    assert pairs.pop("*doc*", None) == WORKBOOK_CODENAME
    assert pairs == dict(SHEETS)


def assert_structure(path: Path, work: Path | None = None) -> None:
    """All of the above on a workbook file; LibreOffice too when `work` (a scratch folder) is given."""
    parts = read_parts(path)
    vba_bin = parts["xl/vbaProject.bin"]
    assert_ribbon_schema_valid(parts)
    assert_modules_equal_sources(vba_bin)
    assert_code_names_bound(parts, vba_bin)
    if work is not None:
        assert_libreoffice_loaded(libreoffice_ods(path, work))
