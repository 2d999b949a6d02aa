"""`salesbook build-workbook` writes the same file as the library call."""

from __future__ import annotations

from click.testing import CliRunner

from salesbook.cli import build_workbook_command

from .paths import MACROS


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
