"""One vocabulary (salesbook.vocabulary): the Help text has one source for the shipped workbook's
Help sheet, the Help sheet the ribbon makes when it is missing and the user guide's button table;
the sheet names are defined once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import openpyxl

from salesbook import ribbon
from salesbook.builder.layout import SHEETS
from salesbook.vocabulary import names
from salesbook.vocabulary.help import BUTTONS, COMMAND_BUTTONS, help_lines, help_rows

from .live.conftest import find, lead_rows, open_book, write_leads, xw  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "user-guide.md"
SHIPPED = ROOT / "workbook" / "SalesPipeline.xlsm"
CUSTOMUI = next(p for p in sorted(ROOT.rglob("customUI14.xml")) if ".git" not in p.parts)  # macros/ or package data
# | group | **Label** 中文 | `id` | icon | what it does and writes |
BUTTON_ROW = re.compile(r"^\| [^|]+ \| \*\*([^*]+)\*\* ([^|]+?) \| `(\w+)` \| \w+ \| (.+?) \|$", re.M)


def _guide_buttons() -> dict[str, tuple[str, str, str]]:
    return {m.group(3): (m.group(1), m.group(2), m.group(4)) for m in BUTTON_ROW.finditer(GUIDE.read_text("utf-8"))}


def test_the_user_guide_describes_each_button_in_the_catalogs_words():
    guide = _guide_buttons()
    assert list(guide) == [b.id for b in BUTTONS]
    for b in BUTTONS:
        assert guide[b.id] == (b.en, b.zh, b.what), f"docs/user-guide.md's row for `{b.id}` differs from the catalog"


def test_the_ribbon_xml_labels_its_buttons_with_the_catalogs_words():
    labels = dict(re.findall(r'<button id="(\w+)" label="([^"]+)"', CUSTOMUI.read_text("utf-8")))
    assert labels == {b.id: b.en for b in BUTTONS}


def test_the_shipped_help_sheet_is_the_catalogs_help_text():
    """Read with openpyxl (the workbook is written by XlsxWriter): column A English, B Chinese."""
    ws = openpyxl.load_workbook(SHIPPED, read_only=True)[names.HELP]
    cells = [(a, b) for a, b in ws.iter_rows(min_col=1, max_col=2, values_only=True)]
    assert cells == [(en, zh) for _, en, zh in help_rows()]
    for b in COMMAND_BUTTONS:  # the button lines are the user guide's
        assert (f"{b.en} — {b.what}", f"{b.en}（{b.zh}）— {b.what_zh}") in cells


def test_the_ribbon_makes_a_missing_help_sheet_with_the_same_text(tmp_path, open_book):  # noqa: F811
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(3)))  # no Help sheet
    assert ribbon.run("help", book=book).startswith("Help:")
    written = [row[0] for a in find(book, "setValues", names.HELP) for row in a["values"]]
    assert written == help_lines()
    english = {en for style, en, _ in help_rows() if style != "title"}
    chinese = {zh for style, _, zh in help_rows() if style != "title"}
    assert english <= set(written) and chinese <= set(written)
    assert written[0] == "salesbook — how to use this workbook · salesbook 使用说明"


def test_the_builder_names_its_sheets_as_the_catalog():
    assert tuple(name for name, _ in SHEETS) == names.ROLES


def _string_literals(path: Path) -> set[str]:
    return {n.value for n in ast.walk(ast.parse(path.read_text("utf-8"))) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def test_the_sheet_names_are_spelled_only_in_the_catalog():
    other = {n for role, all_names in names.SHEET_NAMES.items() for n in all_names if n != role}  # 历史, 归档 …
    assert other == {"线索", "设置", "配置", "历史", "归档", "帮助", "团队漏斗", "团队清洗", "目标", "预测", "变动"}
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "salesbook").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("salesbook/vocabulary/"):
            continue
        hits = {s for s in _string_literals(path) if s.strip() in other}
        if hits:
            found[rel] = hits
    assert not found, found
