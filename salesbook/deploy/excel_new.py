"""`salesbook excel new`: a ready workbook, with an empty Leads table or the sample data.

The clean workbook is the shipped one without its sample: the ribbon (labelled in the chosen
language), the VBA project, Settings with the defaults, every sheet, an empty Leads table, no
History. ``--sample`` gives the demo build (`salesbook build-workbook`'s workbook).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from salesbook.atomic import quoted
from salesbook.errors import Refusal

DEFAULT_NAME = "SalesPipeline.xlsm"


def _clean(workbook, language: str) -> None:
    from salesbook.builder.template import populate_workbook

    populate_workbook(workbook, None, language=language)


def new_workbook(path: Path | str | None = None, *, language: str = "en", sample: bool = False,
                 force: bool = False) -> Path:
    """Write the workbook to `path` (default SalesPipeline.xlsm here), atomically; returns the path.

    An existing file is refused (Refusal, nothing written) unless `force`.
    """
    from salesbook.builder.package import build_workbook
    from salesbook.builder.shipped import build_shipped_workbook

    path = Path(path) if path is not None else Path(DEFAULT_NAME)
    if path.suffix.lower() != ".xlsm":
        raise Refusal(f"Cannot write {quoted(path)}: the workbook carries macros, so its name must end in "
                      ".xlsm (for example SalesPipeline.xlsm).", path=path)
    if (path.exists() or path.is_symlink()) and not force:
        raise Refusal(f"{quoted(path)} already exists and was left as it is: choose another name, or add "
                      "--force to replace it (to move an older workbook's data to this version, use "
                      "salesbook excel upgrade).", path=path)
    if path.is_dir():
        raise Refusal(f"Cannot write {quoted(path)}: it is a folder; give a file name ending in .xlsm.", path=path)
    if not path.parent.is_dir():
        raise Refusal(f"Cannot write {quoted(path)}: the folder '{path.parent}' does not exist; create it first "
                      "or choose another path.", path=path)
    if sample:
        return build_shipped_workbook(path, language=language)
    return build_workbook(path, partial(_clean, language=language), language=language)
