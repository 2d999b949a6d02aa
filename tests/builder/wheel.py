"""The wheel of this source tree, installed in a fresh virtual environment with no repository around
it: what a rep's machine gets (tests/builder/test_wheel.py, tests/deploy/test_installed.py).

The wheel is built from a copy of the sources (so the build leaves no build/ or *.egg-info in the
repository) and installed with pip from that file only (--no-index): its declared dependencies must be
satisfied by what is installed, which the environment sees through --system-site-packages (no network;
CI installs them from pyproject). Commands then run with no PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

from .paths import REPO


def run(args: list, cwd: Path, home: Path | None = None, ok=(0,)) -> subprocess.CompletedProcess:
    """``args`` run in ``cwd`` without the repository on the path (and with ``home`` as HOME)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    if home is not None:
        env["HOME"] = env["USERPROFILE"] = str(home)
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode in ok, f"{args}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def install_wheel(root: Path) -> tuple[Path, set[str]]:
    """(the virtual environment, the wheel's file names), both under ``root``."""
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "salesbook", src / "salesbook", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run([sys.executable, "-m", "pip", "wheel", src, "-w", root / "dist", "--no-deps", "-q"], cwd=root)
    (wheel,) = (root / "dist").glob("salesbook-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    env = root / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", env], cwd=root)
    python = env / "bin" / "python"
    if sys.prefix != sys.base_prefix:  # run from a venv: its packages, not the base Python's, are the installed ones
        purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root).stdout
        Path(purelib.strip(), "_outer_venv.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # the wheel alone (it would not replace the salesbook the system site holds, if any: same version) ...
    run([python, "-m", "pip", "install", "--no-index", "--no-deps", "--force-reinstall", "--no-warn-script-location",
         "-q", wheel], cwd=root)
    # ... then its declared dependencies, which pip must find satisfied without an index
    run([python, "-m", "pip", "install", "--no-index", "-q", wheel], cwd=root)
    return env, names
