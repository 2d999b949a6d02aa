"""Render the screenshots in docs/img/ from the real workbook, headless (run by hand).

    python docs/make_screenshots.py            # from the repository root
    python docs/make_screenshots.py --dpi 96   # bigger pictures

Needs LibreOffice (``soffice``), poppler (``pdftoppm``, ``pdftotext``) and Pillow
(``pip install pillow``; Pillow is needed by this script only, not by salesbook).

What it does, without ever touching the committed ``workbook/SalesPipeline.xlsm``:

1. Copies the workbook to a temporary folder.
2. In the copy only, gives each pictured sheet a print area, a large paper size at 100 %
   scale (so that one print area is one page, nothing shrunk to fit), gridlines,
   no header or footer, and hides the sheets that are not pictured (hidden sheets are
   not printed). The page setup is edited in the sheet XML, so everything else in the
   copy — values, styles, conditional formats, the chart — stays as built.
3. LibreOffice, headless, prints every visible sheet into one PDF. Through UNO (Debian's
   LibreOffice works with the system ``python3``) it first gives every row its optimal
   height, as Excel does for wrapped text when it opens a file; LibreOffice's own
   ``--convert-to pdf`` does not, and wrapped notes would overlap. Without UNO the script
   falls back to ``soffice --headless --convert-to pdf`` and says so.
4. ``pdftoppm -png -r DPI`` renders the pages; each page is checked with ``pdftotext``
   to hold the text its picture is about, cropped to its content with Pillow and saved
   as a small palette PNG.

A sheet pictured twice (two views of Leads) gets a second copy and a second PDF.
The Check picture needs problems to list, and the shipped workbook has none: it comes
from a sample workbook with deliberate mistakes (``with_problems=True``), written and
checked by salesbook itself. The team pictures (``team-*.png``) come from TEAM.xlsx, which
``salesbook rollup`` writes from three sample books made here (``team_sample``).

The ribbon cannot be rendered without Excel; docs/user-guide.md describes it as a table.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "workbook" / "SalesPipeline.xlsm"
OUT = ROOT / "docs" / "img"
MAX_BYTES = 300_000

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
Q = f"{{{NS}}}"

# CT_Worksheet child order (ECMA-376 Part 1, 18.3.1.99): new elements go in their place.
WORKSHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
    "extLst",
]
PAPER_D = 25  # ANSI D, 22 × 34 in: room for any of the views below at 100 %


@dataclass
class View:
    """One picture: a range of one sheet, optionally with some columns hidden."""

    image: str
    sheet: str
    area: str                      # e.g. "A1:N26"
    expect: tuple[str, ...]        # texts the page must contain (proves it is the right page)
    hide: tuple[str, ...] = ()     # column letters to hide, e.g. ("C", "D")
    headings: bool = False         # print row numbers and column letters
    source: str = "shipped"        # "shipped" or "check-sample"


VIEWS = [
    # Leads: the input columns (Contact, Email and Phone hidden to save width) ...
    View("leads.png", "Leads", "A1:P26", ("Lead ID", "Company", "Budget", "Timeline"),
         hide=("C", "D", "E"), headings=True),
    # ... and the output columns beside Lead ID, Company and Stage.
    View("leads-outputs.png", "Leads", "A1:AC26", ("Grade", "Grade Reason", "Follow-up Status", "Stale Reason"),
         hide=tuple("CDEFG") + tuple("IJKLMNOPQRSTU"), headings=True),
    View("settings.png", "Settings", "A1:G49", ("General", "Stages", "BANT points", "Weight profile")),
    View("funnel.png", "Funnel", "A1:K21", ("Sales funnel", "Key figures", "Win rate", "Conversion by stage")),
    View("funnel-chart.png", "Funnel", "L12:S30", ("Leads reaching each stage",)),
    # By owner / by source, without the seven "reached" columns (L:R).
    View("funnel-owners.png", "Funnel", "A33:S53", ("By owner", "By source", "Lead →"), hide=tuple("LMNOPQR")),
    View("cleanse.png", "Cleanse", "A1:L24", ("Leads flagged for cleansing", "Stale Reason")),
    View("help.png", "Help", "A1:B10", ("how to use this workbook", "Ribbon buttons")),
    View("check.png", "Check", "A1:G11", ("Data check", "Did you mean"), source="check-sample"),
    # The Import blocks of a new book's Settings, filled in with the HubSpot preset (--write-settings).
    View("settings-import.png", "Settings", "A95:G142", ("Import columns", "Import values", "Record ID"),
         source="preset-sample"),
    # The team report (salesbook rollup) of three sample books: one picture per sheet, two for
    # Team Funnel (the top, and won against target with the owners) and Team Cleanse (the
    # flagged leads, and the leads in two reps' books at its end).
    View("team-funnel.png", "Team Funnel", "A1:W31", ("Team funnel", "Key figures", "Conversion by stage"),
         source="team"),
    View("team-funnel-owners.png", "Team Funnel", "A33:N57", ("Won value against target", "By owner"),
         source="team"),
    View("team-cleanse.png", "Team Cleanse", "A1:H14", ("Team leads flagged", "Stale Reason"), source="team"),
    View("team-cleanse-cross.png", "Team Cleanse", "A103:G106", ("Duplicates across workbooks", "also in"),
         source="team"),
    View("team-targets.png", "Targets", "A1:L10", ("Targets", "Attainment", "Coverage"), source="team"),
    View("team-forecast.png", "Forecast", "A1:J27", ("Forecast by expected close month", "Best case"), source="team"),
    View("team-movement.png", "Movement", "A1:J27", ("Pipeline movement", "Moved back"), source="team"),
]


# ---------------------------------------------------------------------------
# Page setup on a temporary copy
# ---------------------------------------------------------------------------

def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def absolute(area: str) -> str:
    """'A1:N26' -> '$A$1:$N$26'."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in area.split(":"))


def insert_in_order(parent: etree._Element, child: etree._Element) -> None:
    """Insert a worksheet child where the schema wants it (or replace one of the same name)."""
    name = etree.QName(child).localname
    for old in parent.findall(Q + name):
        parent.remove(old)
    rank = WORKSHEET_ORDER.index(name)
    for i, sibling in enumerate(parent):
        other = etree.QName(sibling).localname
        if other in WORKSHEET_ORDER and WORKSHEET_ORDER.index(other) > rank:
            parent.insert(i, child)
            return
    parent.append(child)


def hide_columns(root: etree._Element, letters: tuple[str, ...]) -> None:
    """Mark columns hidden, splitting <col min max> spans so only the given ones change."""
    if not letters:
        return
    hidden = {col_number(x) for x in letters}
    cols = root.find(Q + "cols")
    if cols is None:
        cols = etree.Element(Q + "cols")
        insert_in_order(root, cols)
    spans = {}
    for c in list(cols):
        for n in range(int(c.get("min")), int(c.get("max")) + 1):
            spans[n] = dict(c.attrib)
        cols.remove(c)
    for n in hidden:
        spans.setdefault(n, {"width": "9.140625"})
    for n in sorted(spans):
        attrs = {**spans[n], "min": str(n), "max": str(n)}
        if n in hidden:
            attrs["hidden"] = "1"
        etree.SubElement(cols, Q + "col", {k: attrs[k] for k in sorted(attrs, key=lambda k: (k not in ("min", "max"), k))})


def page_setup(sheet_xml: bytes, view: View) -> bytes:
    root = etree.fromstring(sheet_xml)
    for fit in root.findall(f"{Q}sheetPr/{Q}pageSetUpPr"):  # the workbook's own "fit to one page wide"
        fit.getparent().remove(fit)
    hide_columns(root, view.hide)
    options = {"gridLines": "1"}
    if view.headings:
        options["headings"] = "1"
    insert_in_order(root, etree.Element(Q + "printOptions", options))
    insert_in_order(root, etree.Element(Q + "pageMargins", {
        "left": "0.1", "right": "0.1", "top": "0.1", "bottom": "0.1", "header": "0", "footer": "0"}))
    insert_in_order(root, etree.Element(Q + "pageSetup", {
        "paperSize": str(PAPER_D), "orientation": "landscape", "scale": "100"}))
    insert_in_order(root, etree.Element(Q + "headerFooter"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def sheet_parts(files: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its part name (xl/worksheets/sheetN.xml)."""
    wb = etree.fromstring(files["xl/workbook.xml"])
    rels = etree.fromstring(files["xl/_rels/workbook.xml.rels"])
    target = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in wb.iter(Q + "sheet"):
        t = target[s.get(f"{{{R_NS}}}id")]
        out[s.get("name")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def prepare_copy(src: Path, dst: Path, views: list[View]) -> None:
    """Copy ``src`` to ``dst`` with print areas for ``views`` (one per sheet); other sheets hidden."""
    with zipfile.ZipFile(src) as zf:
        files = {i.filename: zf.read(i) for i in zf.infolist()}
        order = [i.filename for i in zf.infolist()]
    parts = sheet_parts(files)
    by_sheet = {v.sheet: v for v in views}
    assert len(by_sheet) == len(views), "one view per sheet per copy"
    for name, view in by_sheet.items():
        files[parts[name]] = page_setup(files[parts[name]], view)

    wb = etree.fromstring(files["xl/workbook.xml"])
    sheets = list(wb.iter(Q + "sheet"))
    for s in sheets:
        if s.get("name") in by_sheet:
            s.attrib.pop("state", None)
        else:
            s.set("state", "hidden")
    first_visible = next(i for i, s in enumerate(sheets) if s.get("name") in by_sheet)
    for view_el in wb.iter(Q + "workbookView"):
        view_el.set("activeTab", str(first_visible))
        view_el.set("firstSheet", str(first_visible))
    names = wb.find(Q + "definedNames")
    for old in list(names if names is not None else []):  # the workbook's own print setup: replaced
        if old.get("name") in ("_xlnm.Print_Area", "_xlnm.Print_Titles"):  # (LibreOffice prints a hidden
            names.remove(old)                                             # sheet that has a print area)
    if names is None:
        names = etree.SubElement(wb, Q + "definedNames")
        wb.remove(names)
        wb.insert(list(wb).index(wb.find(Q + "sheets")) + 1, names)
    for i, s in enumerate(sheets):
        view = by_sheet.get(s.get("name"))
        if view is None:
            continue
        el = etree.SubElement(names, Q + "definedName", {"name": "_xlnm.Print_Area", "localSheetId": str(i)})
        quoted = "'" + view.sheet.replace("'", "''") + "'"
        el.text = f"{quoted}!{absolute(view.area)}"
    files["xl/workbook.xml"] = etree.tostring(wb, xml_declaration=True, encoding="UTF-8", standalone=True)

    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for name in order:
            out.writestr(name, files[name])


# ---------------------------------------------------------------------------
# PDF, pages, pictures
# ---------------------------------------------------------------------------

def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


# LibreOffice does not grow rows to fit wrapped text when it opens an .xlsx (Excel does, for
# rows without a stored height), so the Help and Settings notes would overlap. With UNO the
# script asks LibreOffice for the optimal height of every row first, then prints the PDF.
UNO_SCRIPT = r"""
import subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

src, pdf, profile, pipe = sys.argv[1:5]
office = subprocess.Popen(["soffice", "-env:UserInstallation=" + profile, "--headless", "--invisible",
                           "--norestore", "--nologo", "--accept=pipe,name=%s;urp;" % pipe])
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(240):
    try:
        ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        break
    except Exception:
        time.sleep(0.25)
else:
    office.kill()
    sys.exit("LibreOffice did not start")


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
try:
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
    for sheet in doc.Sheets:
        if sheet.IsVisible:
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            end = cursor.RangeAddress.EndRow
            sheet.getCellRangeByPosition(0, 0, 0, end).Rows.OptimalHeight = True
    doc.storeToURL(uno.systemPathToFileUrl(pdf), (prop("FilterName", "calc_pdf_Export"),))
    doc.close(True)
finally:
    try:
        desktop.terminate()
    except Exception:
        pass
    office.wait(timeout=60)
"""


def uno_python() -> str | None:
    """A Python that can ``import uno`` (Debian's LibreOffice uses the system python3)."""
    for exe in dict.fromkeys([sys.executable, "/usr/bin/python3", shutil.which("python3") or ""]):
        if exe and subprocess.run([exe, "-c", "import uno"], capture_output=True).returncode == 0:
            return exe
    return None


def to_pdf(book: Path) -> Path:
    """Print every visible sheet of ``book`` into ``book.pdf`` with LibreOffice, headless."""
    profile = book.parent / "lo-profile"  # a private profile: works beside a running LibreOffice
    pdf = book.with_suffix(".pdf")
    python = uno_python()
    if python:
        run([python, "-c", UNO_SCRIPT, str(book), str(pdf), profile.as_uri(), f"salesbook-shots-{book.stem}"],
            timeout=300)
    else:
        print("warning: no Python with LibreOffice's uno module; rows with wrapped text keep their "
              "stored height", file=sys.stderr)
        run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(book.parent), str(book)], timeout=300)
    if not pdf.exists():
        raise SystemExit(f"LibreOffice did not write {pdf}")
    return pdf


def page_count(pdf: Path) -> int:
    info = run(["pdfinfo", str(pdf)]).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def page_text(pdf: Path, page: int) -> str:
    return run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"]).stdout


def render_page(pdf: Path, page: int, dpi: int, out_prefix: Path) -> Path:
    run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
         str(pdf), str(out_prefix)])
    return out_prefix.with_suffix(".png")


def crop_and_save(png: Path, target: Path, margin: int = 6) -> int:
    from PIL import Image, ImageChops

    img = Image.open(png).convert("RGB")
    background = Image.new("RGB", img.size, (255, 255, 255))
    box = ImageChops.difference(img, background).convert("L").point(lambda v: 255 if v > 8 else 0).getbbox()
    if box is None:
        raise SystemExit(f"{png.name} is blank")
    left, top, right, bottom = box
    img = img.crop((max(left - margin, 0), max(top - margin, 0),
                    min(right + margin, img.width), min(bottom + margin, img.height)))
    for colors in (256, 128, 64, 32):
        buf = io.BytesIO()
        img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            buf, "PNG", optimize=True)
        if buf.tell() <= MAX_BYTES:
            break
    target.write_bytes(buf.getvalue())
    return buf.tell()


def passes(views: list[View]) -> list[list[View]]:
    """Group views so that each sheet appears at most once per copy (source by source)."""
    out: list[tuple[str, list[View]]] = []
    for v in views:
        for source, group in out:
            if source == v.source and all(g.sheet != v.sheet for g in group):
                group.append(v)
                break
        else:
            out.append((v.source, [v]))
    return [g for _, g in out]


def check_sample(folder: Path) -> Path:
    """A sample workbook with deliberate mistakes, after `salesbook check` (exit code 1)."""
    from salesbook import service
    from salesbook.builder.shipped import SAMPLE_DAY
    from salesbook.builder.template import write_sample_workbook

    path = folder / "check-sample.xlsx"
    write_sample_workbook(path, 300, seed=11, today=SAMPLE_DAY, with_problems=True)
    service.check(path, today=SAMPLE_DAY)
    return path


def preset_sample(folder: Path) -> Path:
    """A new plain workbook whose Settings carry the HubSpot preset in the Import blocks."""
    from dataclasses import replace

    from salesbook.adapters.exports import preset_blocks
    from salesbook.adapters.files.newbook import new_book
    from salesbook.rules.settings import Settings

    columns, values = preset_blocks("hubspot")
    return new_book(folder / "preset-sample.xlsx", None, replace(Settings(), import_columns=columns,
                                                                  import_values=values))
# The team of the rollup pictures: three reps' books (the sample generator's leads, as
# `salesbook demo` writes them, each book with two owners, Ben Carter in two books), with a
# Targets block in their Settings; one customer is in two reps' books.
TEAM_BOOKS = {"north.xlsx": (21, ("Alice Chen", "Ben Carter")), "south.xlsx": (22, ("Carla Diaz", "David Okafor")),
              "east.xlsx": (23, ("Emma Schulz", "Ben Carter"))}
TEAM_TARGETS = (("Alice Chen", "2026-Q4", 450_000.0), ("Ben Carter", "2026-Q4", 300_000.0),
                ("Carla Diaz", "2026-Q4", 250_000.0), ("David Okafor", "2026-Q4", 200_000.0))


def team_sample(folder: Path) -> Path:
    """TEAM.xlsx of `salesbook rollup` over three sample books. Each book is run twice by
    salesbook, a month apart, with some open leads a stage earlier (or later) at the first run,
    so that History, and so the Movement sheet, has leads that advanced and moved back."""
    import datetime as dt

    import numpy as np
    import openpyxl
    import xlsxwriter

    from salesbook import service
    from salesbook.builder.sample import sample_leads
    from salesbook.builder.shipped import SAMPLE_DAY
    from salesbook.builder.template import populate_workbook
    from salesbook.rules.settings import DEFAULT_STAGES, Settings, Target
    from salesbook.team.rollup import rollup

    settings = Settings(targets=tuple(Target(*t) for t in TEAM_TARGETS))
    opens = [s.name for s in DEFAULT_STAGES if s.kind == "open"]
    frames = {}
    for name, (seed, owners) in TEAM_BOOKS.items():
        leads = sample_leads(150, seed=seed, today=SAMPLE_DAY)
        leads["Owner"] = np.array(owners, dtype=object)[np.arange(len(leads)) % 2]
        frames[name] = leads
    frames["east.xlsx"].loc[4, "Email"] = frames["north.xlsx"].loc[9, "Email"]
    paths = []
    for name, leads in frames.items():
        path = folder / name
        before = leads.copy()
        k = np.array([opens.index(s) if s in opens else -1 for s in leads["Stage"]])
        i = np.arange(len(leads))
        advanced, back = (k > 0) & (i % 5 == 0), (k >= 0) & (k < len(opens) - 1) & (i % 11 == 3)
        before.loc[advanced, "Stage"] = [opens[j - 1] for j in k[advanced]]
        before.loc[back, "Stage"] = [opens[j + 1] for j in k[back]]
        wb = xlsxwriter.Workbook(str(path))
        populate_workbook(wb, before, settings=settings)
        wb.close()
        service.run(path, today=SAMPLE_DAY - dt.timedelta(days=30))
        book = openpyxl.load_workbook(path)  # the rep moves the leads to today's stages
        sheet = book["Leads"]
        col = [c.value for c in sheet[1]].index("Stage") + 1
        for row, stage in enumerate(leads["Stage"], start=2):
            sheet.cell(row=row, column=col, value=stage)
        book.save(path)
        service.run(path, today=SAMPLE_DAY)
        paths.append(str(path))
    team = folder / "TEAM.xlsx"
    rollup(paths, team, today=SAMPLE_DAY, progress=False)
    return team


def sheet_order(book: Path) -> list[str]:
    with zipfile.ZipFile(book) as zf:
        wb = etree.fromstring(zf.read("xl/workbook.xml"))
    return [s.get("name") for s in wb.iter(Q + "sheet")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workbook", type=Path, default=WORKBOOK)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--dpi", type=int, default=80)
    ap.add_argument("--only", nargs="*", help="image names to make (default: all)")
    args = ap.parse_args(argv)
    for tool in ("soffice", "pdftoppm", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise SystemExit("Pillow is needed: pip install pillow") from None

    views = [v for v in VIEWS if not args.only or v.image in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    before = args.workbook.read_bytes()
    with tempfile.TemporaryDirectory(prefix="salesbook-shots-") as tmp:
        tmp = Path(tmp)
        sources = {"shipped": tmp / "shipped.xlsm"}
        shutil.copyfile(args.workbook, sources["shipped"])
        if any(v.source == "check-sample" for v in views):
            sources["check-sample"] = check_sample(tmp)
        if any(v.source == "preset-sample" for v in views):
            sources["preset-sample"] = preset_sample(tmp)
        if any(v.source == "team" for v in views):
            team = tmp / "team"
            team.mkdir()
            sources["team"] = team_sample(team)
        for n, group in enumerate(passes(views), start=1):
            src = sources[group[0].source]
            copy = tmp / f"pass{n}{src.suffix}"
            prepare_copy(src, copy, group)
            pdf = to_pdf(copy)
            order = sheet_order(copy)
            group = sorted(group, key=lambda v: order.index(v.sheet))  # pages follow tab order
            pages = page_count(pdf)
            if pages != len(group):
                raise SystemExit(f"pass {n}: {pages} pages for {len(group)} views; a print area does not "
                                 f"fit on one page ({', '.join(v.image for v in group)})")
            for page, view in enumerate(group, start=1):
                text = page_text(pdf, page)
                missing = [e for e in view.expect if e not in text]
                if missing:
                    raise SystemExit(f"{view.image}: page {page} lacks {missing}; wrong page or area")
                png = render_page(pdf, page, args.dpi, tmp / f"page-{n}-{page}")
                size = crop_and_save(png, args.out / view.image)
                print(f"{view.image:20} {view.sheet}!{view.area:9} {size / 1000:6.0f} KB")
    if args.workbook.read_bytes() != before:  # never: only copies are edited
        raise SystemExit(f"{args.workbook} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
