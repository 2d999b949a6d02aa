"""The corpus: which workbooks, where each comes from, which features it has.

A case is a source workbook (written by XlsxWriter, openpyxl or LibreOffice, or saved by Excel and
shipped by a package, possibly edited at the zip level) plus the way its Leads sheet is injected.
Sources are built once per session into a folder; the features listed for each case are detected
from its parts (:func:`detect_features`), so the coverage the test prints is what the files have.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import excel_files, libreoffice_books, ooxml, openpyxl_books, xlsxwriter_books
from .inject import Injection, inject_leads

# Features for which a refusal (one clear sentence, file untouched) is an accepted outcome:
# issue 10 allows "process them, or refuse" for exactly these.
MAY_REFUSE = {"strict", "xlm-macro", "no-fonts", "merged-output"}
TIMES: dict[str, float] = {}  # seconds spent building the corpus and running the CLI on it
REPORT: dict[str, dict] = {}  # case name -> what the terminal summary prints (conftest.py)
# Features the issue asks the corpus to cover, with the fewest cases each must have.
REQUIRED = {"chart": 10, "pivot": 5, "table": 8, "comments": 8, "vba": 5, "1904": 8, "strict": 5}


@dataclass(frozen=True)
class Case:
    name: str
    family: str  # xlsxwriter | openpyxl | libreoffice | excel-shipped | zip-edit
    source: tuple  # (kind, name or another source): see Builder.source
    how: Injection = Injection()
    tags: tuple[str, ...] = ()  # features given by the build, not detectable from the parts

    def __str__(self) -> str:
        return self.name


def _cases() -> list[Case]:
    out = [Case(f"xw-{n}", "xlsxwriter", ("xw", n)) for n in xlsxwriter_books.BOOKS]
    out += [Case(f"op-{n}", "openpyxl", ("op", n), tags=("write-only",) if n == "write-only" else ())
            for n in openpyxl_books.BOOKS]
    out.append(Case("op-resave-xlwings-quickstart", "openpyxl", ("op-resave", ("file", "xlwings-quickstart"))))
    out += [Case(f"lo-{n}", "libreoffice", ("lo", n)) for n in libreoffice_books.BOOKS]
    out += [Case(f"lo-{n}", "libreoffice", ("xls", n)) for n in excel_files.XLS_FILES]
    out += [Case(f"excel-{n}", "excel-shipped", ("file", n)) for n in excel_files.FILES]
    strict_bases = [("xw", "plain"), ("xw", "chart-column"), ("xw", "table-totals"), ("xw", "comments"),
                    ("xw", "1904"), ("op", "chart-bar"), ("lo", "pivot"), ("file", "pyopenvba-blank"),
                    ("file", "openxlsx-loadPivotTables")]
    out += [Case(f"strict-{_key(b)}", "zip-edit", ("strict", b)) for b in strict_bases]
    out += [Case(f"per-part-ct-{_key(b)}", "zip-edit", ("per-part-ct", b))
            for b in [("xw", "plain"), ("op", "table"), ("lo", "chart-column")]]
    out += [Case(f"no-fonts-{_key(b)}", "zip-edit", ("no-fonts", b)) for b in [("xw", "plain"), ("op", "plain")]]
    out += [Case(f"xlm-{_key(b)}", "zip-edit", ("xlm", b)) for b in [("xw", "vba"), ("file", "pyopenvba-blank-macro")]]
    dated = Injection(dates="serial")
    out += [Case(f"{_key(b)}+date-cells", fam, b, dated, ("date-cells",)) for fam, b in [
        ("xlsxwriter", ("xw", "1904")), ("openpyxl", ("op", "1904")), ("libreoffice", ("lo", "1904")),
        ("xlsxwriter", ("xw", "plain")), ("excel-shipped", ("file", "xlwings-quickstart")),
        ("zip-edit", ("strict", ("xw", "1904")))]]
    chained = Injection(formulas=True, calc_chain=True)
    out += [Case(f"{_key(b)}+calc-chain", fam, b, chained, ("formulas", "calc-chain")) for fam, b in [
        ("excel-shipped", ("file", "openxlsx-readTest")), ("excel-shipped", ("file", "readxl-deaths")),
        ("xlsxwriter", ("xw", "plain")), ("openpyxl", ("op", "plain")), ("libreoffice", ("lo", "csv"))]]
    merged = Injection(merged_output=True)
    out += [Case(f"{_key(b)}+merged-output", fam, b, merged, ("merged-output",)) for fam, b in [
        ("xlsxwriter", ("xw", "plain")), ("openpyxl", ("op", "plain"))]]
    existing = Injection(into_existing=True)
    out += [Case(f"{_key(b)}+in-existing-sheet", "excel-shipped", b, existing, ("leads-in-excel-sheet",)) for b in [
        ("file", "pyopenvba-blank"), ("file", "pyopenvba-blank-macro")]]
    names = [c.name for c in out]
    assert len(names) == len(set(names)), "case names must be unique"
    return out


def _key(source: tuple) -> str:
    kind, arg = source[0], source[1]
    if isinstance(arg, tuple):
        return f"{kind}-{_key(arg)}"
    return {"xw": "xw", "op": "op", "lo": "lo", "file": "excel", "xls": "lo"}.get(kind, kind) + f"-{arg}"


CASES = _cases()


# --------------------------------------------------------------------------- building


class Builder:
    """Builds sources on demand into ``folder``; LibreOffice conversions are batched (:meth:`prepare`)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.built: dict[tuple, Path | None] = {}
        self.why: dict[tuple, str] = {}

    def prepare(self, sources: list[tuple]) -> None:
        """Build every LibreOffice source the given ones need, in one soffice run per filter."""
        needed = set()

        def walk(src):
            if src[0] in ("lo", "xls"):
                needed.add(src)
            elif isinstance(src[1], tuple):
                walk(src[1])

        for s in sources:
            walk(s)
        todo = [s for s in needed if s not in self.built]
        if not todo:
            return
        if libreoffice_books.soffice() is None:
            for s in todo:
                self.built[s], self.why[s] = None, "LibreOffice (soffice) is not installed"
            return
        lo_in = self.folder / "lo-in"
        lo_in.mkdir(exist_ok=True)
        by_filter: dict[str, list[tuple[tuple, Path]]] = {}
        for s in todo:
            kind, name = s
            if kind == "xls":
                found = excel_files.locate(name, excel_files.XLS_FILES)
                if found is None:
                    self.built[s], self.why[s] = None, "the Debian package r-cran-readxl's files are not available"
                    continue
                src, filter_ = shutil.copyfile(found, lo_in / f"lo-{name}.xls"), libreoffice_books.XLSX
            else:
                features, maker, filter_ = libreoffice_books.BOOKS[name]
                if isinstance(maker, tuple):
                    base = self.source(maker)
                    src = shutil.copyfile(base, lo_in / f"lo-{name}{base.suffix}")
                else:
                    src = maker(lo_in / f"lo-{name}.ods")
            by_filter.setdefault(filter_, []).append((s, src))
        out = self.folder / "lo-out"
        for filter_, items in by_filter.items():
            try:
                libreoffice_books.convert([p for _, p in items], out, filter_, self.folder / "lo-profile")
            except (subprocess.SubprocessError, OSError) as exc:
                for s, _ in items:
                    self.built[s], self.why[s] = None, f"LibreOffice failed: {exc}"
                continue
            ext = filter_.split(":")[0]
            for s, p in items:
                result = out / f"{p.stem}.{ext}"
                self.built[s] = result if result.exists() else None
                if not result.exists():
                    self.why[s] = f"LibreOffice did not convert {p.name}"

    def source(self, src: tuple) -> Path | None:
        if src in self.built:
            return self.built[src]
        kind, arg = src
        path: Path | None = None
        if kind == "xw":
            path = xlsxwriter_books.build(arg, self.folder)
        elif kind == "op":
            path = openpyxl_books.build(arg, self.folder)
        elif kind == "file":
            found = excel_files.locate(arg)
            if found is None:
                where, package, _ = excel_files.FILES[arg]
                source = f"Debian's r-cran-{package}" if where == "deb" else f"the Python package {package}"
                self.why[src] = f"{arg}: {source} (which ships it) is not available: see tests/corpus/excel_files.py"
            else:
                path = shutil.copyfile(found, self.folder / f"excel-{arg}{found.suffix}")
        elif kind in ("lo", "xls"):
            self.prepare([src])
            return self.built[src]
        else:
            base = self.source(arg)
            if base is None:
                self.why[src] = self.why.get(arg, "its base was not built")
            else:
                ext = ".xlsm" if kind == "xlm" else base.suffix
                path = self.folder / f"{kind}-{_key(arg)}{ext}"
                {"strict": ooxml.to_strict, "per-part-ct": ooxml.per_part_content_types,
                 "no-fonts": ooxml.styles_without_fonts, "xlm": ooxml.with_macro_sheet,
                 "op-resave": openpyxl_books.resave}[kind](base, path)
        self.built[src] = path
        return path

    def case(self, case: Case) -> Path | None:
        """The case's workbook: its source with the Leads sheet injected (None when unavailable)."""
        src = self.source(case.source)
        if src is None:
            return None
        folder = self.folder / "cases" / case.name
        folder.mkdir(parents=True, exist_ok=True)
        return inject_leads(src, folder / f"Book{src.suffix}", case.how)


# --------------------------------------------------------------------------- features


_PATTERNS = {  # feature -> a regex over worksheet / drawing / workbook XML
    "conditional-format": rb"<(?:\w+:)?conditionalFormatting\b",
    "validation": rb"<(?:\w+:)?dataValidation\b",
    "hyperlink": rb"<(?:\w+:)?hyperlink\b",
    "merged": rb"<(?:\w+:)?mergeCell\b",
    "autofilter": rb"<(?:\w+:)?autoFilter\b",
    "sparkline": rb"<(?:\w+:)?sparklineGroup\b",
    "protection": rb"<(?:\w+:)?sheetProtection\b[^>]*\b(?:sheet|password|algorithmName)=",
    "inline-strings": rb't="inlineStr"',
    "outline": rb'outlineLevel="[1-7]"',
    "hidden-sheet": rb'<(?:\w+:)?sheet\b[^>]*state="(?:hidden|veryHidden)"',
    "defined-names": rb"<(?:\w+:)?definedName\b",
    "textbox": rb"<(?:\w+:)?txBody\b",
    "form-control": rb'ObjectType="Button"|<(?:\w+:)?formControlPr\b',
    "header-footer": rb"<(?:\w+:)?(?:oddHeader|oddFooter)\b",
    "print-settings": rb"<(?:\w+:)?pageSetup\b[^>]*(?:orientation|paperSize|fitToHeight)=",
    "freeze": rb'state="frozen"',
    "formulas": rb"<(?:\w+:)?f\b",
}
_PART_KINDS = {  # feature -> a relationship kind or a part folder
    "chart": "/charts/", "pivot": "/pivotTables/", "table": "/tables/", "comments": "/comments",
    "threaded-comments": "/threadedComments/", "vba": "vbaProject.bin", "image": "/media/",
    "external-link": "/externalLinks/", "rich-data": "/richData/", "dynamic-array": "xl/metadata.xml",
    "checkbox": "featurePropertyBag", "custom-properties": "docProps/custom.xml",
    "xlm-macro": "/macrosheets/", "printer-settings": "/printerSettings/", "thumbnail": "docProps/thumbnail",
}


def detect_features(path: Path) -> set[str]:
    p = ooxml.parts(path)
    names = "\n".join(p)
    found = {f for f, needle in _PART_KINDS.items() if needle in names or needle.lstrip("/") in names.split("\n")}
    found |= {"calc-chain"} if any(r.kind == "calcChain" for r in ooxml.rels(p, ooxml.workbook_part(p))) else set()
    kinds = {s.kind for s in ooxml.sheets(p)}
    if "chartsheet" in kinds:
        found.add("chartsheet")
    if ooxml.date1904(p):
        found.add("1904")
    if ooxml.is_strict(p):
        found.add("strict")
    defaults, _ = ooxml.content_types(p)
    if "rels" not in defaults:
        found.add("per-part-content-types")
    wb = ooxml.workbook_part(p)
    styles = next((r.part for r in ooxml.rels(p, wb) if r.kind == "styles"), None)
    if styles and not re.search(rb"<(?:\w+:)?fonts\b", p[styles]):
        found.add("no-fonts")
    xml_parts = [d for n, d in p.items() if n.endswith((".xml", ".vml")) and "/charts/" not in n]
    for feature, rx in _PATTERNS.items():
        if any(re.search(rx, d) for d in xml_parts):
            found.add(feature)
    return found


def writer(source: tuple, built: dict[tuple, Path | None]) -> str:
    """Which program wrote the source: the family's library, or for shipped files what app.xml says."""
    kind, arg = source
    if kind in ("xw", "op", "lo", "xls", "op-resave"):
        return {"xw": "xlsxwriter", "op": "openpyxl", "op-resave": "openpyxl"}.get(kind, "libreoffice")
    if kind != "file":
        return writer(arg, built)
    if built.get(source) is None:
        return "unknown"
    app = ooxml.parts(built[source]).get("docProps/app.xml", b"")
    m = re.search(rb"<(?:\w+:)?Application>([^<]*)<", app)
    name = m.group(1).decode() if m else ""
    return "excel" if "Excel" in name else "libreoffice" if "LibreOffice" in name else "unknown"


@dataclass
class Built:
    case: Case
    path: Path | None
    why: str = ""
    features: set[str] = field(default_factory=set)
