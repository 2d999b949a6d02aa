"""Module texts in the built project equal the sources; the xlwings modules equal the installed xlwings."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlwings
from pyopenvba.cfb import CFB
from pyopenvba.vba import parse_vba_project

from salesbook.builder.layout import SHEETS, WORKBOOK_CODENAME
from salesbook.builder.vba import class_module, load_modules, normalize_newlines

from .paths import MACROS
from .structure import lf, olevba_modules

XLWINGS_DIR = Path(xlwings.__file__).parent
# (file in salesbook/builder/macros/, the same file in the installed xlwings package)
XLWINGS_FILES = [("xlwings.bas", XLWINGS_DIR / "xlwings.bas"), ("Dictionary.cls", XLWINGS_DIR / "addin" / "Dictionary.cls")]


_lf = lf
_olevba_modules = olevba_modules


@pytest.mark.parametrize("name,installed", XLWINGS_FILES, ids=[f for f, _ in XLWINGS_FILES])
def test_xlwings_modules_equal_the_installed_release(name, installed):
    # A version bump of xlwings must come with a fresh copy (the module calls the DLL of its release).
    assert normalize_newlines((MACROS / name).read_bytes().decode("cp1252")) == \
        normalize_newlines(installed.read_bytes().decode("cp1252"))


def test_xlwings_module_version_matches_installed_xlwings():
    text = (MACROS / "xlwings.bas").read_text("cp1252")
    assert f'XLWINGS_VERSION As String = "{xlwings.__version__}"' in text


def test_built_modules_equal_the_sources(vba_bin):
    built = _olevba_modules(vba_bin)
    files = sorted(MACROS.glob("*.bas")) + sorted(MACROS.glob("*.cls"))
    assert {p.stem for p in files} <= set(built)
    for path in MACROS.glob("*.bas"):
        assert _lf(built[path.stem]) == _lf(path.read_bytes().decode("cp1252")), path.name
    for path in MACROS.glob("*.cls"):
        # stored without the export header, with the attributes the VBA editor adds on import
        stored = _lf(built[path.stem])
        exported = _lf(path.read_bytes().decode("cp1252"))
        assert stored == _lf(class_module(exported).source)
        assert stored == exported[exported.index("Attribute VB_Name"):] \
            .replace('"\nAttribute VB_GlobalNameSpace', '"\nAttribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"'
                     '\nAttribute VB_GlobalNameSpace', 1) \
            .replace("Attribute VB_Exposed = True\n", "Attribute VB_Exposed = True\nAttribute VB_TemplateDerived = False"
                     "\nAttribute VB_Customizable = False\n", 1)


def test_built_project_has_document_modules_for_workbook_and_every_sheet(vba_bin):
    built = _olevba_modules(vba_bin)
    expected = [WORKBOOK_CODENAME] + [code for _, code in SHEETS]
    for name in expected:
        assert f'Attribute VB_Name = "{name}"' in built[name]
        assert "VB_PredeclaredId = True" in built[name]
    assert set(built) == set(expected) | {p.stem for p in MACROS.glob("*.bas")} | {p.stem for p in MACROS.glob("*.cls")}


def test_class_module_import_matches_what_excel_stored():
    """xlwings' quickstart_standalone.xlsm was saved by Excel with Dictionary.cls imported."""
    with zipfile.ZipFile(XLWINGS_DIR / "quickstart_standalone.xlsm") as zf:
        project = parse_vba_project(CFB.from_bytes(zf.read("xl/vbaProject.bin")))
    excel_text = _lf(project.get_module("Dictionary").source)
    ours = _lf(class_module((MACROS / "Dictionary.cls").read_bytes().decode("cp1252")).source)
    # the VBA editor re-cases identifiers project-wide (Err -> err there); otherwise identical
    assert ours != excel_text and ours.lower() == excel_text.lower()


def test_modules_load_in_project_order():
    names = [m.name for m in load_modules(MACROS)]
    assert names[: 1 + len(SHEETS)] == [WORKBOOK_CODENAME] + [code for _, code in SHEETS]
