"""Every ribbon onAction names a `Sub X(control As IRibbonControl)`, in the sources and in the built file."""

from __future__ import annotations

import re

from lxml import etree
from oletools.olevba import VBA_Parser

from salesbook.builder.ribbon import RIBBON_PARTS

from .paths import MACROS


def _callback_subs(code: str) -> set[str]:
    pattern = r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*(?:ByRef\s+)?control\s+As\s+(?:Office\.)?IRibbonControl\s*\)"
    return set(re.findall(pattern, code, flags=re.IGNORECASE | re.MULTILINE))


def _on_actions() -> set[str]:
    names = set()
    for part in RIBBON_PARTS:
        root = etree.parse(str(MACROS / part.source)).getroot()
        names |= {el.get("onAction") for el in root.iter() if el.get("onAction")}
    return names


def _built_modules(vba_bin: bytes) -> dict[str, str]:
    parser = VBA_Parser("vbaProject.bin", data=vba_bin)
    try:
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def test_every_callback_exists_in_the_sources():
    sources = "\n".join(p.read_text("cp1252") for p in sorted(MACROS.glob("*.bas")))
    assert _on_actions() <= _callback_subs(sources)


def test_every_callback_exists_in_the_built_project(vba_bin):
    code = "\n".join(_built_modules(vba_bin).values())
    assert _on_actions() == {"SalesbookRibbon"}
    assert _on_actions() <= _callback_subs(code)


def test_callback_runs_python_with_the_button_id_and_leaves_the_archive_question_to_python():
    code = (MACROS / "Ribbon.bas").read_text("cp1252")
    assert re.search(r"^Option Explicit\r?$", code, re.MULTILINE)
    assert "RunPython \"import salesbook.ribbon; salesbook.ribbon.run('\" & " in code
    assert "control.Id" in code
    # Archive Stale asks in Python, with the count and Lead IDs (salesbook.ribbon.archive,
    # tests/live/test_archive.py); a VBA question first would ask twice, without the count.
    assert 'Case "archive"' not in code and "MsgBox" not in code
    settings = code[code.index('Case "settings"'):code.index("Case Else")]
    # By sheet name, with Python (which recreates a missing sheet) as the fallback; never the
    # code name, which would stop the module compiling once the sheet is deleted.
    assert 'ThisWorkbook.Worksheets("Settings").Activate' in settings and "RunSalesbook control.Id" in settings
    assert "shSettings" not in code


def test_callback_check_can_fail():
    assert _callback_subs("Public Sub SalesbookRibbon(control As IRibbonControl)") == {"SalesbookRibbon"}
    assert _callback_subs("Public Sub SalesbookRibbon()") == set()
    assert _callback_subs("Public Function SalesbookRibbon(control As IRibbonControl)") == set()
