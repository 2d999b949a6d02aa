"""Workbooks saved by Excel (and a few by LibreOffice) that installable packages ship.

- PyPI wheels already in the project's dependencies or test extra: xlwings ships its quickstart
  workbooks (Excel 2016, VBA), pyopenvba ships Excel's blank workbook templates.
- Debian packages of two R libraries ship their example and test workbooks in ``extdata/``:
  ``r-cran-openxlsx`` (Excel 2013-2016, Excel for Mac and Excel Online saves: pivot tables,
  charts, threaded comments, calcChain, named ranges, printer settings) and ``r-cran-readxl``
  (Excel for Mac saves with tables, calcChain, thumbnails; and the same books as .xls).
  Only the files are needed, not R: :func:`debian_extdata` takes them from an installed package,
  else from a cache folder, else fetches the two .deb files with ``apt-get download`` and unpacks
  them there with ``dpkg-deb -x`` (set SALESBOOK_CORPUS_OFFLINE=1 to never fetch). Missing files
  make their cases skip; the corpus is large enough without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DEBIAN_PACKAGES = ("r-cran-openxlsx", "r-cran-readxl")
R_LIBRARY = Path("/usr/lib/R/site-library")
CACHE = Path(os.environ.get("SALESBOOK_CORPUS_CACHE", Path.home() / ".cache" / "salesbook-corpus"))

# name -> (where, relative path); 'pypi' paths are relative to the installed package's folder
FILES = {
    "xlwings-quickstart": ("pypi", "xlwings", "quickstart.xlsm"),
    "xlwings-quickstart-standalone": ("pypi", "xlwings", "quickstart_standalone.xlsm"),
    "pyopenvba-blank": ("pypi", "pyopenvba", "_templates/blank_files/blank_workbook.xlsx"),
    "pyopenvba-blank-macro": ("pypi", "pyopenvba", "_templates/blank_files/blank_workbook.xlsm"),
    "openxlsx-ColorTabs3": ("deb", "openxlsx", "ColorTabs3.xlsx"),
    "openxlsx-cloneEmptyWorksheetExample": ("deb", "openxlsx", "cloneEmptyWorksheetExample.xlsx"),
    "openxlsx-cloneWorksheetExample": ("deb", "openxlsx", "cloneWorksheetExample.xlsx"),
    "openxlsx-groupTest": ("deb", "openxlsx", "groupTest.xlsx"),
    "openxlsx-inlineStr": ("deb", "openxlsx", "inlineStr.xlsx"),
    "openxlsx-loadExample": ("deb", "openxlsx", "loadExample.xlsx"),
    "openxlsx-loadPivotTables": ("deb", "openxlsx", "loadPivotTables.xlsx"),
    "openxlsx-loadThreadComment": ("deb", "openxlsx", "loadThreadComment.xlsx"),
    "openxlsx-namedRegions": ("deb", "openxlsx", "namedRegions.xlsx"),
    "openxlsx-namedRegions2": ("deb", "openxlsx", "namedRegions2.xlsx"),
    "openxlsx-namedRegions3": ("deb", "openxlsx", "namedRegions3.xlsx"),
    "openxlsx-readTest": ("deb", "openxlsx", "readTest.xlsx"),
    "openxlsx-read_failure_test": ("deb", "openxlsx", "read_failure_test.xlsx"),
    "readxl-clippy": ("deb", "readxl", "clippy.xlsx"),
    "readxl-datasets": ("deb", "readxl", "datasets.xlsx"),
    "readxl-deaths": ("deb", "readxl", "deaths.xlsx"),
    "readxl-geometry": ("deb", "readxl", "geometry.xlsx"),
    "readxl-type-me": ("deb", "readxl", "type-me.xlsx"),
}
# Excel 97-2003 files that LibreOffice converts to xlsx (libreoffice_books.py)
XLS_FILES = {f"readxl-{n}-xls": ("deb", "readxl", f"{n}.xls") for n in ("clippy", "datasets", "deaths", "type-me")}


def _pypi(package: str, rel: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / rel
    return path if path.exists() else None


_TRIED: list[bool] = []


def _fetch_debs() -> None:
    """apt-get download + dpkg-deb -x of the two packages into CACHE (no root, nothing installed); once."""
    tools = shutil.which("apt-get") and shutil.which("dpkg-deb")
    if _TRIED or os.environ.get("SALESBOOK_CORPUS_OFFLINE") or not tools:
        return
    _TRIED.append(True)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        try:
            subprocess.run(["apt-get", "download", *DEBIAN_PACKAGES], cwd=tmp, check=True, capture_output=True,
                           timeout=180)
        except (subprocess.SubprocessError, OSError):
            return
        for deb in Path(tmp).glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(CACHE / "debs")], check=True, capture_output=True)


def debian_extdata(library: str, fetch: bool = True) -> Path | None:
    for root in (R_LIBRARY, CACHE / "debs" / "usr/lib/R/site-library"):
        folder = root / library / "extdata"
        if folder.is_dir():
            return folder
    if fetch:
        _fetch_debs()
        return debian_extdata(library, fetch=False)
    return None


def locate(name: str, table: dict = FILES) -> Path | None:
    where, package, rel = table[name]
    if where == "pypi":
        return _pypi(package, rel)
    folder = debian_extdata(package)
    return folder / rel if folder and (folder / rel).exists() else None
