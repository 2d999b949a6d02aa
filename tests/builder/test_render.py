"""LibreOffice, an independent reader, opens the shipped workbook and renders every sheet."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from salesbook.builder.layout import SHEETS

from .paths import WORKBOOK

SOFFICE = shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]  # tests/conftest.py: skipped locally without LibreOffice, a failure in CI

# A phrase (regular expression) only each sheet shows, as the add-in or the template writes it.
SHEET_MARKS = {
    "Leads": "Grade Reason",
    "Settings": "Follow-up cadence",
    "Funnel": "Conversion by stage",
    "Cleanse": "Leads flagged for cleansing",
    "History": r"From\s+To\s+Date",
    "Archive": "Archived On",
    "Check": "Data check",
    "Help": "Grade Leads",
}


def test_every_sheet_renders_to_pdf(tmp_path):
    book = tmp_path / "SalesPipeline.xlsm"
    shutil.copy(WORKBOOK, book)
    run = subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)],
                         capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "SalesPipeline.pdf"
    assert pdf.exists(), run.stderr
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert set(SHEET_MARKS) == {name for name, _ in SHEETS}
    missing = [sheet for sheet, mark in SHEET_MARKS.items() if not re.search(mark, text)]
    assert not missing, f"not rendered: {missing}"
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))) >= len(SHEETS)
