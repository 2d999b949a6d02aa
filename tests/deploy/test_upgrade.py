"""`salesbook excel upgrade`: an older workbook gets this version's VBA project, ribbon and Help sheet;
every other part stays byte for byte; a workbook that is not salesbook's is refused untouched."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest
import xlwings
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from salesbook.builder.ribbon import CUSTOMUI, CUSTOMUI14
from salesbook.builder.template import write_sample_workbook
from salesbook.builder.vba import build_vba_project_from_dir
from salesbook.cli import main
from salesbook.vocabulary.help import help_rows

from tests.builder.paths import MACROS
from tests.builder.structure import assert_libreoffice_loaded, assert_structure, libreoffice_ods, read_parts
from .conftest import add_leads

OLD = Path(__file__).resolve().parents[1] / "builder" / "fixtures" / "SalesPipeline-61ed0cb.xlsm"
REPLACED = {"xl/vbaProject.bin", CUSTOMUI14.part, CUSTOMUI.part, "xl/worksheets/sheet8.xml"}  # sheet8: Help
HISTORY_ROWS = [("N-1", "Initial Contact", "Proposal", dt.datetime(2026, 11, 3)),
                ("N-2", "Prospecting", "Initial Contact", dt.datetime(2026, 11, 4))]


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def rep_book(tmp_path) -> Path:
    """The first session's workbook with the rep's leads, History rows and a sheet of their own."""
    path = tmp_path / "Pipeline.xlsm"
    shutil.copy(OLD, path)
    add_leads(path, history=HISTORY_ROWS, user_sheet="My notes")
    return path


def test_the_fixture_is_older_than_this_build():
    parts = read_parts(OLD)
    assert parts["xl/vbaProject.bin"] != build_vba_project_from_dir(MACROS)
    assert parts[CUSTOMUI14.part] != (MACROS / "customUI14.xml").read_bytes()


def test_upgrade_replaces_vba_ribbon_and_help_and_keeps_every_other_part(rep_book, tmp_path):
    out = tmp_path / "New.xlsm"
    before = read_parts(rep_book)
    result = _invoke("excel", "upgrade", rep_book, "--output", out)
    assert result.exit_code == 0, result.output
    assert f"Upgraded {out}" in result.output and f"xlwings {xlwings.__version__}" in result.output
    assert read_parts(rep_book) == before  # the source is left as it was
    after = read_parts(out)
    assert list(after) == list(before)  # the same parts, in the same order
    changed = {name for name in before if before[name] != after[name]}
    assert changed == REPLACED
    assert after["xl/vbaProject.bin"] == build_vba_project_from_dir(MACROS)
    assert after[CUSTOMUI14.part] == (MACROS / "customUI14.xml").read_bytes()
    assert after[CUSTOMUI.part] == (MACROS / "customUI.xml").read_bytes()
    assert_structure(out)  # schema-valid ribbon, modules = sources, codeNames bound

    book = CalamineWorkbook.from_path(str(out))
    assert "My notes" in book.sheet_names
    help_sheet = book.get_sheet_by_name("Help").to_python()
    assert [tuple(r[:2]) for r in help_sheet] == [(en, zh) for _, en, zh in help_rows()]
    leads = book.get_sheet_by_name("Leads").to_python()
    assert {"N-1", "N-2", "N-3"} <= {r[0] for r in leads[1:]}
    history = book.get_sheet_by_name("History").to_python()
    assert history[-1][:3] == ["N-2", "Prospecting", "Initial Contact"]


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_the_help_sheet_uses_inline_strings_and_the_workbooks_own_formats(rep_book, tmp_path):
    import openpyxl

    out = tmp_path / "New.xlsm"
    assert _invoke("excel", "upgrade", rep_book, "--output", out).exit_code == 0
    xml = read_parts(out)["xl/worksheets/sheet8.xml"]
    assert b't="s"' not in xml and xml.count(b't="inlineStr"') == 2 * len(help_rows())
    ws = openpyxl.load_workbook(out)["Help"]  # another reader: the formats resolve in the kept stylesheet
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    assert ws["A2"].alignment.wrap_text
    assert ws.sheet_properties.codeName == "shHelp"


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_in_place_upgrade_then_run(rep_book):
    before = read_parts(rep_book)
    result = _invoke("excel", "upgrade", rep_book)
    assert result.exit_code == 0, result.output
    after = read_parts(rep_book)
    assert {n for n in before if before[n] != after[n]} == REPLACED
    assert sorted(p.name for p in rep_book.parent.iterdir()) == ["Pipeline.xlsm"]  # no temp file left
    run = _invoke("run", rep_book, "--today", "2026-11-20")
    assert run.exit_code in (0, 1), run.output
    leads = CalamineWorkbook.from_path(str(rep_book)).get_sheet_by_name("Leads").to_python()
    head = leads[0]
    assert {r[0]: r[head.index("Grade")] for r in leads[1:] if r[0] in ("N-1", "N-3")} == {"N-1": "A", "N-3": "D"}
    assert read_parts(rep_book)["xl/vbaProject.bin"] == after["xl/vbaProject.bin"]


def test_a_chinese_workbook_keeps_a_chinese_ribbon(tmp_path):
    book = tmp_path / "zh.xlsm"
    assert _invoke("excel", "new", book, "--language", "zh").exit_code == 0
    parts = read_parts(book)
    result = _invoke("excel", "upgrade", book, "--output", tmp_path / "out.xlsm")
    assert result.exit_code == 0 and "ribbon (zh)" in result.output
    assert read_parts(tmp_path / "out.xlsm")[CUSTOMUI14.part] == parts[CUSTOMUI14.part]


def test_the_help_print_area_follows_the_new_text(tmp_path):
    book = tmp_path / "b.xlsm"
    assert _invoke("excel", "new", book).exit_code == 0
    parts = read_parts(book)
    last = len(help_rows())
    fresh_area = f"Help!$A$1:$B${last}".encode()
    assert fresh_area in parts["xl/workbook.xml"]
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(fresh_area, b"Help!$A$1:$B$9")
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert _invoke("excel", "upgrade", book).exit_code == 0
    assert fresh_area in read_parts(book)["xl/workbook.xml"]


def _refused(book: Path, tmp_path: Path, words: str):
    before = book.read_bytes()
    listing = sorted(p.name for p in tmp_path.iterdir())
    result = _invoke("excel", "upgrade", book, "--output", tmp_path / "out.xlsm")
    assert result.exit_code == 2, result.output
    assert words in result.output and str(book) in result.output and "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no output, no temp file
    in_place = _invoke("excel", "upgrade", book)
    assert in_place.exit_code == 2 and book.read_bytes() == before


def test_a_workbook_without_vba_is_refused(tmp_path):
    book = write_sample_workbook(tmp_path / "plain.xlsx", 5, today=dt.date(2026, 11, 16))
    _refused(book, tmp_path, "no salesbook VBA project")


def test_a_workbook_without_a_leads_table_is_refused(tmp_path):
    book = tmp_path / "quickstart.xlsm"
    shutil.copy(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm", book)
    _refused(book, tmp_path, "no Leads table")


def test_a_leads_workbook_with_another_vba_project_is_refused(tmp_path):
    book = tmp_path / "other.xlsm"
    assert _invoke("excel", "new", book).exit_code == 0
    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm") as z:
        foreign = z.read("xl/vbaProject.bin")
    parts = read_parts(book)
    parts["xl/vbaProject.bin"] = foreign
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    _refused(book, tmp_path, "no salesbook VBA project")


@pytest.mark.slow
@pytest.mark.libreoffice
def test_libreoffice_loads_the_upgraded_workbook(rep_book, tmp_path):
    assert _invoke("excel", "upgrade", rep_book).exit_code == 0
    ods = libreoffice_ods(rep_book, tmp_path / "lo")
    assert_libreoffice_loaded(ods)


def _with_own_module(book: Path, tmp_path: Path) -> None:
    """``book``'s VBA project rebuilt from this version's sources plus a module of the rep's own."""
    macros = tmp_path / "macros"
    shutil.copytree(MACROS, macros)
    (macros / "MyMacros.bas").write_bytes(b'Attribute VB_Name = "MyMacros"\r\nSub Hello()\r\n    MsgBox "hi"\r\n'
                                          b'End Sub\r\n')
    parts = read_parts(book)
    parts["xl/vbaProject.bin"] = build_vba_project_from_dir(macros)
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_vba_of_the_reps_own_is_never_lost(tmp_path):
    book = tmp_path / "Pipeline.xlsm"
    assert _invoke("excel", "new", book).exit_code == 0
    _with_own_module(book, tmp_path)
    before = book.read_bytes()
    in_place = _invoke("excel", "upgrade", book)
    assert in_place.exit_code == 2, in_place.output
    assert "code of your own (MyMacros)" in in_place.output and "--output Pipeline-new.xlsm" in in_place.output
    assert book.read_bytes() == before  # refused in place: the code is still there
    out = tmp_path / "Pipeline-new.xlsm"
    done = _invoke("excel", "upgrade", book, "--output", out)
    assert done.exit_code == 0, done.output
    assert "your own VBA (MyMacros) is not in the new workbook: it stays in Pipeline.xlsm" in done.output
    assert book.read_bytes() == before
    assert read_parts(out)["xl/vbaProject.bin"] == build_vba_project_from_dir(MACROS)
