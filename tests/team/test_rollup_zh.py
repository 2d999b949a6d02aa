"""`salesbook rollup` of Chinese books (`salesbook demo --language zh`): the report in Chinese,
sheet names and headers, with the same figures as an English report of the same books.

The English report is the same books rolled up with `--settings` of a workbook whose Settings
say English (the same default stages). TEAM.xlsx is read back with python-calamine."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from salesbook.adapters.files.team_book import _new_workbook
from salesbook.cli import main
from salesbook.rules.settings import Settings

pytestmark = pytest.mark.slow  # (a second language of test_rollup: the full run)


TODAY = "2026-11-20"
ZH = ["团队漏斗", "团队清洗", "目标", "预测", "变动"]
EN = ["Team Funnel", "Team Cleanse", "Targets", "Forecast", "Movement"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def invoke(*args):
    result = CliRunner().invoke(main, [*map(str, args)])
    assert result.exit_code in (0, 1), result.output
    return result


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zh")
    books = []
    for seed in (5, 6):
        path = folder / f"销售-{seed}.xlsx"
        invoke("demo", path, "--language", "zh", "--leads", 150, "--seed", seed, "--today", TODAY)
        books.append(path)
    english = folder / "english-settings.xlsx"
    _new_workbook(english, Settings(language="en"))
    out = {}
    for lang, extra in (("zh", []), ("en", ["--settings", english])):
        team = folder / f"TEAM-{lang}.xlsx"
        r = CliRunner().invoke(main, ["rollup", *map(str, books), "-o", str(team), "--today", TODAY, "--no-progress",
                                      *map(str, extra)])
        assert r.exit_code == 0, r.output
        wb = CalamineWorkbook.from_path(str(team))
        out[lang] = (wb.sheet_names, {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names})
    out["books"], out["folder"] = books, folder
    return out


def test_a_chinese_team_gets_chinese_sheet_names_and_headers(reports):
    names, sheets = reports["zh"]
    assert names[-5:] == ZH
    funnel = sheets["团队漏斗"]
    assert funnel[0][0] == "团队漏斗"
    column_a = [r[0] for r in funnel if r]
    assert "关键指标" in column_a and "Key figures" not in column_a
    kpi_header = funnel[column_a.index("关键指标") + 1]
    assert kpi_header[:2] == ["进行中线索", "管道金额"]
    for name in ZH:  # every sheet's title, notes, first block title and its header row are Chinese
        rows = sheets[name]
        first_data = next(i for i, r in enumerate(rows) if any(isinstance(c, float) for c in r))
        texts = [c for r in rows[:first_data] for c in r if isinstance(c, str) and c]
        assert len(texts) >= 4 and all(CJK.search(t) for t in texts), (name, texts)
    assert reports["en"][0][-5:] == EN


def test_the_chinese_report_has_the_english_reports_figures(reports):
    zh, en = reports["zh"][1], reports["en"][1]
    compared = 0
    for z, e in zip(ZH, EN):
        a, b = zh[z], en[e]
        assert len(a) == len(b), z
        for i, (ra, rb) in enumerate(zip(a, b)):
            assert len(ra) == len(rb), (z, i)
            for j, (x, y) in enumerate(zip(ra, rb)):
                if isinstance(x, (int, float)) and not isinstance(x, bool):
                    assert isinstance(y, (int, float)) and y == pytest.approx(x), (z, i, j, x, y)
                    compared += 1
                elif isinstance(x, (dt.date, dt.datetime)):
                    assert x == y, (z, i, j)
                else:  # text: a label in each language, or the same data (owners, Lead IDs)
                    assert isinstance(y, str) and (x == "") == (y == ""), (z, i, j, x, y)
    assert compared > 500
    # the owners are the books' own (Chinese) names in both reports
    by_owner = [r[0] for r in zh["团队漏斗"] if r and r[0] in ("王伟", "李娜")]
    assert by_owner


def test_a_chinese_report_into_an_english_team_workbook_keeps_its_sheet_names(reports):
    team = reports["folder"] / "TEAM-en.xlsx"  # the English report's workbook, rolled up again in Chinese
    r = CliRunner().invoke(main, ["rollup", *map(str, reports["books"]), "-o", str(team), "--today", TODAY,
                                  "--no-progress"])
    assert r.exit_code == 0, r.output
    wb = CalamineWorkbook.from_path(str(team))
    assert wb.sheet_names == ["Settings", *EN]  # replaced in place, no second set of sheets
    assert wb.get_sheet_by_name("Team Funnel").to_python()[0][0] == "团队漏斗"
