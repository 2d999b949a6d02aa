"""`salesbook excel setup --check` and `salesbook doctor`: every failure Python can detect, with its fix.

Nothing here writes. Each check gives one line: ok, a problem with its fix in one sentence, or a note
(what cannot be checked from Python, with what to do if it bites). The failures are the usual ones of
xlwings' issue tracker: no config, an interpreter that is gone or cannot import salesbook, an xlwings
package of another release than the workbook's VBA module, a workbook on OneDrive or SharePoint with
the workbook's folder added to sys.path, the macOS RunPython script missing, and Defender's rule that
blocks Office from starting processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from salesbook.deploy import machine
from salesbook.vocabulary.words import DEPLOY, say

# Defender's attack surface reduction rule "Block all Office applications from creating child
# processes" (Microsoft's rule GUID), and the registry keys a group policy or Set-MpPreference puts
# rules under; Intune (MDM) rules are not readable there, so absence proves nothing.
ASR_OFFICE_CHILD_PROCESS = "D4F940AB-401B-4EFC-AADC-AD5F3C50688A"
ASR_KEYS = (r"SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules",
            r"SOFTWARE\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules")
ASR_STATES = {1: "block", 2: "audit", 6: "warn"}

_PROBE = ("import json, salesbook, xlwings; "
          "print(json.dumps({'salesbook': salesbook.__file__, 'xlwings': xlwings.__version__}))")


@dataclass
class Check:
    ok: bool | None          # True ok, False a problem, None a note
    message: str
    fix: str = ""

    def line(self) -> str:
        tag = say(DEPLOY, "ok" if self.ok else "problem" if self.ok is False else "note")
        fix = f" {say(DEPLOY, 'fix')}: {self.fix}" if self.fix else ""
        return f"{tag}: {self.message}.{fix}"


def _installed_xlwings() -> str | None:
    try:
        from importlib.metadata import version

        return version("xlwings")
    except Exception:  # not installed: reported as such
        return None


def version_checks(platform: str = sys.platform, *, python: str | None = None, installed: str | None = None,
                   book: Path | None = None, book_version: str | None = None) -> list[Check]:
    """The xlwings package (of `python`'s environment when given, else this one) against the VBA module
    salesbook builds into its workbooks and, with `book`, the module in that workbook."""
    installed = installed if installed is not None else _installed_xlwings()
    where = python or sys.executable
    modules = [("shipped", machine_shipped_version(), None)]
    if book is not None:
        modules.append(("book", book_version, book))
    out = []
    for kind, module, path in modules:
        if module is None:
            continue
        if installed == module:
            out.append(Check(True, say(DEPLOY, f"version.{kind}_ok", version=module, book=path)))
        else:
            out.append(Check(False, say(DEPLOY, f"version.{kind}_differs", installed=installed or "-",
                                        python=where, module=module, book=path),
                             say(DEPLOY, f"version.{kind}_fix", module=module, python=where, book=path)))
    return out


def machine_shipped_version() -> str | None:
    from salesbook.deploy.vbaproject import shipped_xlwings_version

    return shipped_xlwings_version()


def probe(python: str, pythonpath: str | None, timeout: float = machine.PROBE_TIMEOUT) -> tuple[dict | None, str]:
    """Start `python` as Excel would and import salesbook and xlwings: ({'salesbook', 'xlwings'}, '') or
    (None, why not)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath.replace(";", os.pathsep)
    try:
        proc = subprocess.run([python, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, say(DEPLOY, "probe.timeout", seconds=int(timeout))
    except OSError as exc:
        return None, str(exc.strerror or exc)
    if proc.returncode != 0:
        last = [line for line in proc.stderr.strip().splitlines() if line.strip()][-1:] or [f"exit {proc.returncode}"]
        return None, last[0].strip()
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), ""
    except (ValueError, IndexError):
        return None, proc.stdout.strip()[:200]


def on_cloud_path(path: Path) -> bool:
    """Is `path` inside a OneDrive or SharePoint synced folder (where Excel names the workbook by a URL)?"""
    text = str(path.resolve() if not str(path).startswith(("http://", "https://")) else path)
    if text.startswith(("http://", "https://")):
        return True
    for var in ("OneDrive", "OneDriveCommercial", "OneDriveConsumer"):
        root = os.environ.get(var)
        if root and os.path.normcase(text).startswith(os.path.normcase(root.rstrip("\\/")) + os.sep):
            return True
    parts = Path(text).parts
    return any(p == "OneDrive" or p.startswith(("OneDrive - ", "OneDrive-")) for p in parts) or \
        any(a == "Library" and b == "CloudStorage" for a, b in zip(parts, parts[1:]))


def _defender(platform: str) -> Check | None:
    if not platform.startswith("win"):
        return None
    state = None
    try:
        import winreg

        for key in ASR_KEYS:
            try:
                with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key) as handle:
                    value, _ = winreg.QueryValueEx(handle, ASR_OFFICE_CHILD_PROCESS)
                    state = ASR_STATES.get(int(value), state)
            except OSError:
                continue
    except ImportError:  # not Windows after all
        return None
    if state == "block":
        return Check(False, say(DEPLOY, "defender.block"), say(DEPLOY, "defender.fix"))
    return Check(None, say(DEPLOY, "defender.unknown", state=state or "-"), say(DEPLOY, "defender.fix"))


def _book(book: Path) -> tuple[list[Check], str | None]:
    """Checks of the workbook itself: is it salesbook's, and which xlwings module it carries."""
    import zipfile

    from salesbook.deploy.vbaproject import is_salesbook_project, module_texts, xlwings_version

    try:
        with zipfile.ZipFile(book) as zf:
            texts = module_texts(zf.read("xl/vbaProject.bin"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return [Check(False, say(DEPLOY, "book.no_vba", book=book), say(DEPLOY, "book.no_vba_fix"))], None
    if not is_salesbook_project(texts):
        return [Check(False, say(DEPLOY, "book.not_salesbook", book=book), say(DEPLOY, "book.no_vba_fix"))], None
    return [], xlwings_version(texts)


def checks(platform: str = sys.platform, *, book: Path | None = None, timeout: float = machine.PROBE_TIMEOUT) -> list[Check]:
    """Every check, in the order a rep fixes them."""
    out: list[Check] = []
    path = machine.config_path(platform)
    config = machine.read_config(path)
    key = machine.interpreter_key(platform)
    python, installed = None, None
    if not path.is_file():
        out.append(Check(False, say(DEPLOY, "config.missing", path=path), say(DEPLOY, "run_setup")))
    elif not config.get(key):
        out.append(Check(False, say(DEPLOY, "interpreter.unset", path=path, name=key), say(DEPLOY, "run_setup")))
    elif not Path(config[key]).is_file():
        out.append(Check(False, say(DEPLOY, "interpreter.gone", name=key, value=config[key]),
                         say(DEPLOY, "interpreter.gone_fix")))
    else:
        python = config[key]
        found, why = probe(python, config.get(machine.PYTHONPATH), timeout)
        if found is None:
            out.append(Check(False, say(DEPLOY, "import.fails", python=python, why=why),
                             say(DEPLOY, "import.fix", python=python)))
        else:
            installed = found.get("xlwings")
            out.append(Check(True, say(DEPLOY, "import.ok", python=python, where=found.get("salesbook"))))
    book_checks, book_version = _book(book) if book is not None else ([], None)
    out += book_checks
    out += version_checks(platform, python=python, installed=installed if python else None,
                          book=book if book_version else None, book_version=book_version)
    add = config.get(machine.ADD_WORKBOOK.upper())
    cloud = book is not None and on_cloud_path(book)
    if path.is_file():
        if (add or "").strip().lower() != "false":
            message = say(DEPLOY, "onedrive.book" if cloud else "onedrive.setting", value=add or "True", book=book)
            out.append(Check(False, message, say(DEPLOY, "run_setup")))
        else:
            out.append(Check(True, say(DEPLOY, "onedrive.ok")))
    script = machine.runpython_script(platform)
    if script is not None:
        out.append(Check(True, say(DEPLOY, "runpython.ok", path=script)) if script.is_file()
                   else Check(False, say(DEPLOY, "runpython.missing", path=script), say(DEPLOY, "run_setup")))
    defender = _defender(platform)
    if defender is not None:
        out.append(defender)
    return out
