"""The ribbon XML sources: schema-valid, the two forms in sync, buttons as the product defines them."""

from __future__ import annotations

import pytest
import xmlschema
from lxml import etree

from salesbook.builder.ribbon import CALLBACK, CUSTOMUI, CUSTOMUI14, RIBBON_PARTS
from salesbook.commands import RIBBON_COMMANDS
from .paths import MACROS, SCHEMAS

SCHEMA_FILES = {CUSTOMUI14.part: "customui14.xsd", CUSTOMUI.part: "customUI.xsd"}


def _buttons(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter() if etree.QName(el).localname == "button"]


@pytest.mark.parametrize("ribbon_part", RIBBON_PARTS, ids=lambda p: p.source)
def test_ribbon_source_validates_against_microsoft_schema(ribbon_part):
    schema = xmlschema.XMLSchema(str(SCHEMAS / SCHEMA_FILES[ribbon_part.part]))
    schema.validate(str(MACROS / ribbon_part.source))


@pytest.mark.parametrize("ribbon_part", RIBBON_PARTS, ids=lambda p: p.source)
def test_built_ribbon_part_is_the_source_and_validates(parts, ribbon_part):
    data = parts[ribbon_part.part]
    assert data == (MACROS / ribbon_part.source).read_bytes()
    schema = xmlschema.XMLSchema(str(SCHEMAS / SCHEMA_FILES[ribbon_part.part]))
    assert schema.is_valid(data.decode("utf-8"))
    assert etree.fromstring(data).tag == f"{{{ribbon_part.namespace}}}customUI"


def test_schema_rejects_a_broken_ribbon():
    # guards the validation above against passing vacuously
    schema = xmlschema.XMLSchema(str(SCHEMAS / "customui14.xsd"))
    text = (MACROS / CUSTOMUI14.source).read_text("utf-8").replace('size="large"', 'size="huge"', 1)
    assert not schema.is_valid(text)


def test_2007_and_2010_ribbons_are_the_same_tab():
    def canonical(source: str) -> bytes:
        root = etree.parse(str(MACROS / source), etree.XMLParser(remove_comments=True, remove_blank_text=True))
        for el in root.iter():
            el.tag = etree.QName(el).localname
        etree.cleanup_namespaces(root)
        return etree.tostring(root)

    assert canonical(CUSTOMUI14.source) == canonical(CUSTOMUI.source)


def test_button_ids_are_the_ribbon_commands():
    root = etree.parse(str(MACROS / CUSTOMUI14.source)).getroot()
    ids = [b.get("id") for b in _buttons(root)]
    assert ids == list(RIBBON_COMMANDS)
    assert set(ids) == set(RIBBON_COMMANDS)


def test_buttons_are_large_with_builtin_icons_tips_and_the_one_callback():
    root = etree.parse(str(MACROS / CUSTOMUI14.source)).getroot()
    for button in _buttons(root):
        assert button.get("onAction") == CALLBACK, button.get("id")
        assert button.get("size") == "large"
        assert button.get("imageMso")
        assert button.get("label") and button.get("screentip")
        assert len(button.get("supertip", "")) > 40


def test_supertips_name_what_each_button_writes():
    root = etree.parse(str(MACROS / CUSTOMUI14.source)).getroot()
    tips = {b.get("id"): b.get("supertip") for b in _buttons(root)}
    expected = {  # docs/spec.md section 3
        "grade": ["Grade", "Score", "Grade Reason", "Grade Change"],
        "followup": ["Next Follow-up", "Follow-up Status"],
        "stale": ["Stale", "Stale Reason", "Cleanse"],
        "archive": ["Archive"],
        "funnel": ["Funnel", "History"],
        "check": ["Check sheet"],
        "settings": ["Settings sheet"],
    }
    for button_id, words in expected.items():
        for word in words:
            assert word in tips[button_id], (button_id, word)


# Every imageMso the ribbon uses, each an Excel control id found in Microsoft's lists of Excel
# controls: excelcontrols.xlsx, column "Control Name", of github.com/OfficeDev/office-fluent-ui-command-identifiers
# (folders "Office 2013", "Office 2016" and "Microsoft 365/Current Channel", version 2402), with where the
# control sits in Excel. (An imageMso that is no control id shows no icon; Excel confirms the pictures:
# docs/acceptance.md, item 3.)
EXCEL_CONTROL_IDS = {
    "ConditionalFormattingMenu": "Home > Styles > Conditional Formatting",
    "HeaderFooterCurrentDate": "Header & Footer > Header & Footer Elements > Current Date",
    "Filter": "Data > Sort & Filter > Filter",
    "TableRowsDeleteExcel": "Home > Cells > Delete > Delete Table Rows",
    "ChartInsert": "Insert Chart (not on a tab)",
    "MacroPlay": "Run Macro (not on a tab)",
    "DataValidation": "Data > Data Tools > Data Validation",
    "ControlProperties": "Developer > Controls > Properties",
    "Help": "Help > Help",
}


@pytest.mark.parametrize("ribbon_part", RIBBON_PARTS, ids=lambda p: p.source)
def test_icons_are_excel_control_ids(ribbon_part):
    root = etree.parse(str(MACROS / ribbon_part.source)).getroot()
    icons = {el.get("id"): el.get("imageMso") for el in root.iter() if el.get("imageMso")}
    assert len(icons) == len(RIBBON_COMMANDS)
    unknown = {button: icon for button, icon in icons.items() if icon not in EXCEL_CONTROL_IDS}
    assert not unknown, f"imageMso values that are not Excel control ids: {unknown}"
    assert not {"DeleteRows", "CalendarInsert", "FilterToggleFilter"} & set(icons.values())


def test_tab_label():
    root = etree.parse(str(MACROS / CUSTOMUI14.source)).getroot()
    tabs = [el for el in root.iter() if etree.QName(el).localname == "tab"]
    assert [t.get("label") for t in tabs] == ["Sales Pipeline · 销售管道"]
