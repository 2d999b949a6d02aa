"""`salesbook excel setup` writes the xlwings user config once; `--check` and `salesbook doctor` report
each detectable failure with its fix and change nothing."""

from __future__ import annotations

import json
import os
import stat
import sys
import types
from pathlib import Path

import pytest
import xlwings
from click.testing import CliRunner

from salesbook.builder.package import build_workbook
from salesbook.cli import main
from salesbook.deploy import doctor, machine

from tests.builder.paths import MACROS

KEY = machine.interpreter_key()  # INTERPRETER_WIN here (Linux), as xlwings config create writes it


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def _config(home: Path) -> str:
    return (home / ".xlwings" / "xlwings.conf").read_text()


def _script(folder: Path, name: str, body: str) -> Path:
    """An executable stand-in for a Python interpreter."""
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _answering(folder: Path, xlwings_version: str = xlwings.__version__) -> Path:
    """A stand-in interpreter that answers the doctor's probe as an installed salesbook would (fast)."""
    answer = json.dumps({"salesbook": "/x/salesbook/__init__.py", "xlwings": xlwings_version})
    return _script(folder, "python", f"echo '{answer}'")


def _write_config(home: Path, text: str) -> Path:
    path = home / ".xlwings" / "xlwings.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_setup_writes_the_interpreter_and_the_onedrive_setting_then_says_already_set(home, monkeypatch):
    monkeypatch.setattr(machine, "imports_here", lambda python, pythonpath: True)  # installed: no PYTHONPATH
    result = _invoke("excel", "setup")
    assert result.exit_code == 0, result.output
    assert _config(home) == f'"{KEY}","{sys.executable}"\n"ADD_WORKBOOK_TO_PYTHONPATH","False"\n'
    assert "created" in result.output and f"{KEY} = {sys.executable}: this Python" in result.output
    assert "PYTHONPATH: not needed" in result.output and "RunPython script: not needed on Linux" in result.output
    assert f"xlwings {xlwings.__version__} installed = the VBA module" in result.output
    path = home / ".xlwings" / "xlwings.conf"
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    again = _invoke("excel", "setup")
    assert again.exit_code == 0
    assert "already set, nothing changed" in again.output and f"{KEY} = {sys.executable}: already set" in again.output
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_setup_keeps_the_users_other_keys_and_replaces_an_old_interpreter(home, monkeypatch):
    monkeypatch.setattr(machine, "imports_here", lambda python, pythonpath: True)
    _write_config(home, '"LICENSE_KEY","abc"\n"INTERPRETER_WIN","C:\\old\\python.exe"\n"CONDA PATH","C:\\conda"')
    result = _invoke("excel", "setup")
    assert result.exit_code == 0, result.output
    assert "updated" in result.output
    assert _config(home) == ('"LICENSE_KEY","abc"\n'
                             f'"INTERPRETER_WIN","{sys.executable}"\n'
                             '"CONDA PATH","C:\\conda"\n'
                             '"ADD_WORKBOOK_TO_PYTHONPATH","False"\n')
    # xlwings' own reader sees what the VBA module will see
    from xlwings.utils import read_user_config

    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(home / ".xlwings" / "xlwings.conf"))
    assert read_user_config()["interpreter_win"] == sys.executable
    assert read_user_config()["add_workbook_to_pythonpath"] == "False"


def test_pythonpath_is_written_only_when_this_python_needs_it(home, monkeypatch):
    monkeypatch.setattr(machine, "imports_here", lambda python, pythonpath: False)
    _write_config(home, '"PYTHONPATH","/opt/mine"\n')
    result = _invoke("excel", "setup")
    root = str(machine.package_root())
    assert f'"PYTHONPATH","{root};/opt/mine"' in _config(home)
    assert f"PYTHONPATH = {root};/opt/mine: set" in result.output
    assert "already set" in _invoke("excel", "setup").output


def test_on_macos_the_mac_config_and_xlwings_runpython_script(home, monkeypatch):
    monkeypatch.setattr(machine, "imports_here", lambda python, pythonpath: True)
    done = machine.configure("darwin")
    conf = home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    assert f'"INTERPRETER_MAC","{sys.executable}"' in conf.read_text()
    assert not (home / ".xlwings").exists()
    script = home / "Library" / "Application Scripts" / "com.microsoft.Excel" / f"xlwings-{xlwings.__version__}.applescript"
    assert script.read_bytes() == (Path(xlwings.__file__).parent / script.name).read_bytes()
    assert any("installed (xlwings runpython install)" in line for line in done.lines)
    assert any("already installed" in line for line in machine.configure("darwin").lines)
    assert any("INTERPRETER_MAC = " in line and "the key Excel on macOS reads" in line for line in done.lines)


def test_check_without_config_reports_it_and_writes_nothing(home):
    result = _invoke("excel", "setup", "--check")
    assert result.exit_code == 1
    assert f"PROBLEM: There is no xlwings config at {home / '.xlwings' / 'xlwings.conf'}" in result.output
    assert "Fix: Run salesbook excel setup" in result.output
    assert list(home.iterdir()) == []
    assert _invoke("doctor").output == result.output


@pytest.mark.slow  # starts this Python twice (about 2 s)
def test_check_after_setup_is_clean(home):
    assert _invoke("excel", "setup").exit_code == 0
    before = _config(home)
    result = _invoke("doctor")
    assert result.exit_code == 0, result.output
    assert "PROBLEM" not in result.output and f"ok: {sys.executable} imports salesbook" in result.output
    assert _config(home) == before


def test_an_interpreter_that_is_gone(home, tmp_path):
    _write_config(home, f'"{KEY}","{tmp_path / "gone" / "python"}"\n"ADD_WORKBOOK_TO_PYTHONPATH","False"\n')
    result = _invoke("doctor")
    assert result.exit_code == 1
    assert f"PROBLEM: The interpreter in {KEY}, {tmp_path / 'gone' / 'python'}, no longer exists." in result.output
    assert "Fix: Run salesbook excel setup from the Python that now has salesbook" in result.output


def test_an_interpreter_that_cannot_import_salesbook(home, tmp_path):
    # this Python without its site-packages: salesbook is not importable from it
    python = _script(tmp_path, "python", f'exec "{sys.executable}" -S "$@"')
    _write_config(home, f'"{KEY}","{python}"\n"ADD_WORKBOOK_TO_PYTHONPATH","False"\n')
    result = _invoke("doctor")
    assert result.exit_code == 1
    assert f"PROBLEM: {python} cannot import salesbook and xlwings: ModuleNotFoundError: No module named" \
        in result.output
    assert f"Fix: Install the wheel into that Python ({python} -m pip install salesbook-*.whl)" in result.output


@pytest.mark.slow  # waits for the 1 s timeout
def test_an_interpreter_that_hangs_is_given_up(home, tmp_path):
    python = _script(tmp_path, "python", "sleep 30")
    _write_config(home, f'"{KEY}","{python}"\n')
    found = doctor.checks(timeout=1)
    assert any(c.ok is False and "did not answer within 1 s" in c.message for c in found)


def test_an_xlwings_release_other_than_the_vba_modules(home, tmp_path):
    python = _answering(tmp_path, "0.30.0")
    _write_config(home, f'"{KEY}","{python}"\n"ADD_WORKBOOK_TO_PYTHONPATH","False"\n')
    result = _invoke("doctor")
    assert result.exit_code == 1
    assert (f"PROBLEM: xlwings 0.30.0 is installed for {python}, but salesbook's workbooks carry the VBA module "
            f"of xlwings {xlwings.__version__}. Fix: Install the matching release: {python} -m pip install "
            f"xlwings=={xlwings.__version__}.") in result.output


def test_a_workbook_whose_vba_module_is_another_release(home, tmp_path):
    macros = tmp_path / "macros"
    macros.mkdir()
    for source in MACROS.iterdir():
        data = source.read_bytes()
        if source.name == "xlwings.bas":
            data = data.replace(f'XLWINGS_VERSION As String = "{xlwings.__version__}"'.encode(),
                                b'XLWINGS_VERSION As String = "0.29.1"')
        (macros / source.name).write_bytes(data)
    book = build_workbook(tmp_path / "Old.xlsm", macros_dir=macros)
    _write_config(home, f'"{KEY}","{_answering(tmp_path)}"\n"ADD_WORKBOOK_TO_PYTHONPATH","False"\n')
    result = _invoke("doctor", str(book))
    assert result.exit_code == 1
    assert (f"PROBLEM: {book} carries the VBA module of xlwings 0.29.1, but xlwings {xlwings.__version__} is "
            f"installed") in result.output
    assert f"Fix: Run salesbook excel upgrade {book}" in result.output


def test_a_workbook_on_onedrive_without_the_setting(home, tmp_path, monkeypatch):
    folder = tmp_path / "OneDrive - Contoso" / "Sales"
    folder.mkdir(parents=True)
    book = build_workbook(folder / "Pipeline.xlsm", macros_dir=MACROS)
    _write_config(home, f'"{KEY}","{_answering(tmp_path)}"\n"ADD_WORKBOOK_TO_PYTHONPATH","True"\n')
    result = _invoke("doctor", str(book))
    assert result.exit_code == 1
    assert (f"PROBLEM: {book} is on OneDrive or SharePoint and ADD_WORKBOOK_TO_PYTHONPATH is True, so its buttons "
            "fail to start Python. Fix: Run salesbook excel setup") in result.output
    assert doctor.on_cloud_path(folder / "x.xlsm") and not doctor.on_cloud_path(tmp_path / "x.xlsm")
    monkeypatch.setenv("OneDriveCommercial", str(tmp_path / "Work"))
    assert doctor.on_cloud_path(tmp_path / "Work" / "x.xlsm")


def test_a_workbook_that_is_not_salesbooks(home, tmp_path):
    quickstart = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    result = _invoke("doctor", str(quickstart))
    assert result.exit_code == 1
    assert "has a VBA project, but not salesbook's" in result.output


@pytest.mark.parametrize("value,expected", [(1, False), (2, None), (None, None)])
def test_defender_rule_from_the_registry_on_windows(home, monkeypatch, value, expected):
    class Key:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def query(handle, name):
        if value is None or name != doctor.ASR_OFFICE_CHILD_PROCESS:
            raise OSError("not found")
        return value, 4

    fake = types.SimpleNamespace(HKEY_LOCAL_MACHINE=object(), OpenKey=lambda root, key: Key(), QueryValueEx=query)
    monkeypatch.setitem(sys.modules, "winreg", fake)
    check = doctor._defender("win32")
    assert check.ok is expected
    assert "salesbook batch or rollup" in check.fix
    assert doctor._defender("linux") is None and doctor._defender("darwin") is None


def test_the_config_file_follows_home_and_userprofile(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "a"))
    assert machine.config_path("linux") == tmp_path / "a" / ".xlwings" / "xlwings.conf"
    assert machine.config_path("darwin") == tmp_path / "a" / "Library/Containers/com.microsoft.Excel/Data/xlwings.conf"
    assert os.path.expanduser("~") == str(tmp_path / "a")
