"""Suite-wide markers and the LibreOffice rule.

- ``slow``: the tests a developer's quick loop (``python -m pytest -m "not slow"``) leaves out; CI runs them.
- ``libreoffice``: needs ``soffice`` (LibreOffice) and poppler. Locally they are skipped with a reason when
  LibreOffice is absent; in CI (``CI`` set, as ``.ci/run`` is run) a missing LibreOffice is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def libreoffice_missing() -> str | None:
    """Why the LibreOffice tests cannot run here, or None when they can."""
    if SOFFICE is None:
        return "LibreOffice (soffice) is not installed: .ci/run installs it (apt-get install libreoffice-calc-nogui)"
    if not POPPLER:
        return "poppler (pdftotext, pdfinfo) is not installed: .ci/run installs it (apt-get install poppler-utils)"
    return None


def pytest_runtest_setup(item):
    if item.get_closest_marker("libreoffice") is None:
        return
    why = libreoffice_missing()
    if why is None:
        return
    if in_ci():
        pytest.fail(f"CI must run the LibreOffice tests, and cannot: {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory):
    """(virtual environment, the wheel's file names): this tree's wheel installed with no repository
    around it, once per test session (tests/builder/wheel.py)."""
    from tests.builder.wheel import install_wheel

    return install_wheel(tmp_path_factory.mktemp("wheel"))
