"""`salesbook excel setup`: configure this machine so that the workbook's buttons start this Python.

xlwings' VBA module reads a user config file of ``"KEY","VALUE"`` lines (xlwings' ``GetConfigFilePath``):
``%USERPROFILE%\\.xlwings\\xlwings.conf`` on Windows, and on macOS, where Excel is sandboxed,
``~/Library/Containers/com.microsoft.Excel/Data/xlwings.conf``. This module writes the interpreter
key of this platform (``INTERPRETER_WIN`` / ``INTERPRETER_MAC``, as ``xlwings config create`` does),
``ADD_WORKBOOK_TO_PYTHONPATH=False`` (a OneDrive or SharePoint workbook has a URL for a name, which
xlwings cannot add to sys.path) and ``PYTHONPATH`` only when this Python cannot import this salesbook
without it. Every other line of the file stays as it is; a second run changes nothing. On macOS it
also runs xlwings' own ``runpython install`` (the AppleScript Excel calls RunPython through).
"""

from __future__ import annotations

import filecmp
import locale
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from salesbook.vocabulary.words import DEPLOY, say

ADD_WORKBOOK = "ADD_WORKBOOK_TO_PYTHONPATH"
PYTHONPATH = "PYTHONPATH"
PROBE_TIMEOUT = 60  # seconds: a cold start of Python with pandas on a slow laptop
_VALUE = re.compile(r'"[^"]*"')


def os_name(platform: str = sys.platform) -> str:
    return "macOS" if platform == "darwin" else "Windows" if platform.startswith("win") else "Linux"


def home() -> Path:
    """The user's home folder as Excel's VBA finds it: HOME (macOS, Linux) or USERPROFILE (Windows)."""
    return Path(os.path.expanduser("~"))


def config_path(platform: str = sys.platform) -> Path:
    """Where xlwings' VBA module reads the user config on this platform."""
    if platform == "darwin":
        return home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    return home() / ".xlwings" / "xlwings.conf"


def interpreter_key(platform: str = sys.platform) -> str:
    """INTERPRETER_MAC on macOS, else INTERPRETER_WIN (as ``xlwings config create`` writes)."""
    return "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"


def runpython_script(platform: str = sys.platform) -> Path | None:
    """The AppleScript `xlwings runpython install` puts where Excel may run it (macOS only)."""
    if platform != "darwin":
        return None
    import xlwings

    return home() / "Library" / "Application Scripts" / "com.microsoft.Excel" / f"xlwings-{xlwings.__version__}.applescript"


def encoding() -> str:
    """The file's encoding: VBA's Input # reads the system's ANSI code page, as xlwings writes it."""
    return locale.getpreferredencoding(False)


def read_config(path: Path) -> dict[str, str]:
    """The config's keys (upper case) and values, as xlwings reads them; {} when there is no file."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding(), errors="replace").splitlines():
        values = _VALUE.findall(line)
        if len(values) >= 2:
            out.setdefault(values[0].strip('"').upper(), values[1].strip('"'))
    return out


def _line(key: str, value: str) -> str:
    return f'"{key}","{value}"\n'


def updated_config(text: str, wanted: dict[str, str]) -> str:
    """`text` with each wanted key set: its line replaced where it is, new keys appended; every other
    line (the user's keys, comments) kept as it is."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    done = set()
    for i, line in enumerate(lines):
        values = _VALUE.findall(line)
        key = values[0].strip('"').upper() if values else None
        if key in wanted:
            lines[i] = "" if key in done else _line(key, wanted[key])
            done.add(key)
    lines += [_line(key, value) for key, value in wanted.items() if key not in done]
    return "".join(lines)


def package_root() -> Path:
    """The folder that holds this salesbook package (what PYTHONPATH needs when it is not installed)."""
    import salesbook

    return Path(salesbook.__file__).resolve().parent.parent


def imports_here(python: str, pythonpath: str | None) -> bool:
    """Does `python`, started as Excel starts it (with only the config's PYTHONPATH), import this salesbook?"""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    try:
        proc = subprocess.run([python, "-c", "import salesbook; print(salesbook.__file__)"], env=env,
                              capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return False
    found = proc.stdout.strip().splitlines()[-1:] if proc.returncode == 0 else []
    return bool(found) and Path(found[0]).resolve().parent.parent == package_root()


def with_package_root(pythonpath: str | None) -> str:
    """The config's PYTHONPATH (xlwings splits it at ';') with this salesbook's folder first, once."""
    root = str(package_root())
    entries = [p for p in (pythonpath or "").split(";") if p]
    return ";".join(entries if root in entries else [root, *entries])


@dataclass
class Setup:
    """What `configure` did: one line per item, and whether something still needs the user."""

    lines: list[str] = field(default_factory=list)
    problems: int = 0


def configure(platform: str = sys.platform, *, python: str | None = None) -> Setup:
    """Write or update the xlwings user config for `python` (default: this one); on macOS install the
    RunPython script; compare the xlwings versions. Idempotent."""
    from salesbook.deploy import doctor

    python = python or sys.executable
    out = Setup()
    path = config_path(platform)
    existing = path.read_text(encoding(), errors="replace") if path.is_file() else None
    current = read_config(path)
    key = interpreter_key(platform)
    wanted = {key: python, ADD_WORKBOOK: "False"}
    needs_path = not imports_here(python, None)
    if needs_path:
        wanted[PYTHONPATH] = with_package_root(current.get(PYTHONPATH))
    changed = [k for k, v in wanted.items() if current.get(k) != v]
    text = updated_config(existing or "", wanted)
    if changed:
        _write(path, text)
    state = "created" if existing is None else "updated" if changed else "same"
    out.lines.append(say(DEPLOY, f"config.{state}", path=path))
    where = say(DEPLOY, "setup.linux_key") if os_name(platform) == "Linux" else say(DEPLOY, "setup.key_for",
                                                                                    os=os_name(platform))
    out.lines.append(say(DEPLOY, "setup.interpreter" if key in changed else "setup.interpreter_same",
                         name=key, value=python, os=os_name(platform), where=where))
    out.lines.append(say(DEPLOY, "setup.add_workbook" if ADD_WORKBOOK in changed else "setup.add_workbook_same"))
    if needs_path:
        out.lines.append(say(DEPLOY, "setup.pythonpath" if PYTHONPATH in changed else "setup.pythonpath_same",
                             value=wanted[PYTHONPATH]))
    else:
        out.lines.append(say(DEPLOY, "setup.pythonpath_none"))
    out.lines.append(_runpython(platform))
    for check in doctor.version_checks(platform, python=None):
        out.lines.append(check.line())
        out.problems += check.ok is False
    return out


def _write(path: Path, text: str) -> None:
    from salesbook.atomic import atomic_output

    data = text.encode(encoding())  # a path Excel cannot read from the file fails here, before writing
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def _runpython(platform: str) -> str:
    script = runpython_script(platform)
    if script is None:
        return say(DEPLOY, "setup.runpython_other", os=os_name(platform))
    import xlwings
    from xlwings.cli import runpython_install

    source = Path(xlwings.__file__).parent / script.name
    if script.is_file() and filecmp.cmp(source, script, shallow=False):
        return say(DEPLOY, "setup.runpython_same", path=script)
    runpython_install(None)  # xlwings' own: copies its AppleScript where Excel may run it
    return say(DEPLOY, "setup.runpython", path=script)
