"""LibreOffice, an independent reader, loads the built workbook with its VBA modules and codeNames."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import pytest

from salesbook.builder.layout import SHEETS, WORKBOOK_CODENAME
from salesbook.builder.vba import load_modules

from .paths import MACROS

SOFFICE = shutil.which("soffice")
pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]  # tests/conftest.py: skipped locally without LibreOffice, a failure in CI

MODULE_TYPES = {"document": "document", "standard": "normal", "class": "class"}


@pytest.fixture(scope="module")
def ods(built_path, tmp_path_factory) -> zipfile.ZipFile:
    work = tmp_path_factory.mktemp("lo")
    src = work / "book.xlsm"
    shutil.copyfile(built_path, src)
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
         "--convert-to", "ods", "--outdir", str(work / "out"), str(src)],
        check=True, capture_output=True, timeout=300,
    )
    out = work / "out" / "book.ods"
    assert out.exists(), "LibreOffice did not convert the workbook"
    return zipfile.ZipFile(out)


def test_every_module_is_under_basic_with_its_type(ods):
    names = set(ods.namelist())
    for module in load_modules(MACROS):
        entry = f"Basic/VBAProject/{module.name}.xml"
        assert entry in names, entry
        xml = ods.read(entry).decode("utf-8")
        assert f'script:moduleType="{MODULE_TYPES[module.kind]}"' in xml, module.name


def test_ribbon_callback_text_survives(ods):
    xml = ods.read("Basic/VBAProject/Ribbon.xml").decode("utf-8")
    assert "Public Sub SalesbookRibbon(control As IRibbonControl)" in xml


def test_sheets_are_bound_to_their_code_names(ods):
    settings = ods.read("settings.xml").decode("utf-8")
    pairs = dict(re.findall(r'config:name="([^"]+)"><config:config-item config:name="CodeName" '
                            r'config:type="string">([^<]*)<', settings))
    assert pairs.pop("*doc*", None) == WORKBOOK_CODENAME
    assert pairs == dict(SHEETS)
