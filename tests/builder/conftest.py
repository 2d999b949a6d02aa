"""Shared fixtures: one workbook built from the repository's salesbook/builder/macros/ for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesbook.builder import ooxml
from salesbook.builder.package import build_workbook

from .paths import MACROS


@pytest.fixture(scope="session")
def built_path(tmp_path_factory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("book") / "SalesPipeline.xlsm", macros_dir=MACROS)


@pytest.fixture(scope="session")
def built_bytes(built_path) -> bytes:
    return built_path.read_bytes()


@pytest.fixture(scope="session")
def parts(built_bytes) -> dict[str, bytes]:
    return ooxml.read_package(built_bytes)


@pytest.fixture(scope="session")
def vba_bin(parts) -> bytes:
    return parts["xl/vbaProject.bin"]


def pytest_configure(config):
    # oletools (a test-only reader) uses deprecated pyparsing names at import
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:oletools.*")
