"""The build's sources: the VBA modules and the ribbon XML, shipped as package data.

They live in ``salesbook/builder/macros/`` and are read through `importlib.resources`,
so `salesbook build-workbook` works from an installed wheel as well as from a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# a folder on disk, or None for the sources packaged with salesbook
MacrosDir = Union[Path, str, None]


def macros_folder(macros_dir: MacrosDir = None) -> Traversable:
    """`macros_dir`, or the packaged ``salesbook/builder/macros`` when it is None."""
    return files("salesbook.builder").joinpath("macros") if macros_dir is None else Path(macros_dir)
