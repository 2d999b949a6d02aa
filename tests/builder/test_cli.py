"""`salesbook build-workbook` writes the same file as the library call."""

from __future__ import annotations

import pytest

from pathlib import Path

from click.testing import CliRunner

from salesbook.cli import build_workbook_command

from .paths import MACROS, REPO, WORKBOOK


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_build_workbook_command_writes_the_workbook(tmp_path):
    from salesbook.builder.shipped import build_shipped_workbook

    out = tmp_path / "sub" / "SalesPipeline.xlsm"
    result = CliRunner().invoke(build_workbook_command, ["--out", str(out), "--macros", str(MACROS)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == build_shipped_workbook(tmp_path / "again.xlsm", macros_dir=MACROS).read_bytes()
    assert "SalesPipeline.xlsm" in result.output


def test_a_bad_macros_folder_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(build_workbook_command, ["--out", str(tmp_path / "x.xlsm"), "--macros", str(tmp_path)])
    assert result.exit_code != 0
    assert "Error" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.xlsm").exists()


@pytest.mark.slow  # (over 0.4 s: the quick loop stays under 90 s)
def test_without_out_it_writes_here_outside_a_checkout(tmp_path, monkeypatch):
    # as from a wheel: no checkout around, the packaged sources (no --macros)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_workbook_command, [])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["SalesPipeline.xlsm"]
    assert (tmp_path / "SalesPipeline.xlsm").read_bytes() == WORKBOOK.read_bytes()


def test_without_out_a_checkout_rebuilds_its_committed_workbook(tmp_path, monkeypatch):
    from salesbook.builder.shipped import default_out

    monkeypatch.chdir(REPO)
    assert default_out() == Path("workbook", "SalesPipeline.xlsm")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "salesbook"\n')
    monkeypatch.chdir(tmp_path)
    assert default_out() == Path("SalesPipeline.xlsm")  # no salesbook/builder/macros/ here
    (tmp_path / "salesbook" / "builder" / "macros").mkdir(parents=True)
    assert default_out() == Path("workbook", "SalesPipeline.xlsm")
