"""LibreOffice, an independent reader, loads the built workbook with its VBA modules and codeNames."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from .structure import assert_libreoffice_loaded, libreoffice_ods

SOFFICE = shutil.which("soffice")
pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]  # tests/conftest.py: skipped locally without LibreOffice, a failure in CI


@pytest.fixture(scope="module")
def ods(built_path, tmp_path_factory) -> zipfile.ZipFile:
    return libreoffice_ods(built_path, tmp_path_factory.mktemp("lo"))


def test_every_module_is_under_basic_with_its_type_and_sheets_are_bound(ods):
    assert_libreoffice_loaded(ods)


def test_ribbon_callback_text_survives(ods):
    xml = ods.read("Basic/VBAProject/Ribbon.xml").decode("utf-8")
    assert "Public Sub SalesbookRibbon(control As IRibbonControl)" in xml
