"""The import tests: stand-ins for the exports adapter and the new-book helper while another
branch holds them (see stand_in.py), and helpers that write exports with other libraries."""

from __future__ import annotations

import importlib
import sys
import types

from tests.importing import stand_in


def _install(name: str, **attrs) -> None:
    try:
        importlib.import_module(name)
    except ImportError:
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules[name] = module


_install("salesbook.adapters.exports", read_export=stand_in.read_export, Export=stand_in.Export)
_install("salesbook.adapters.files.newbook", new_book=stand_in.new_book)
