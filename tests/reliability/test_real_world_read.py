"""Valid but unusual workbooks are read, and the zip-bomb guard measures instead of guessing.

Every workbook is written by XlsxWriter or openpyxl and then edited at the zip level, as
other programs write them:

* a ``styles.xml`` without one of its optional lists (``<fonts>``, ``<fills>``, ``<cellXfs>``...:
  all of them are ``minOccurs="0"`` in the schema) is processed; the lists salesbook needs are
  completed with the defaults Excel requires (font 0, fills 0 and 1, xf 0...);
* an Excel 4.0 macro sheet (``xl/macrosheets/sheet1.xml``, relationship type .../xlMacrosheet)
  is kept byte for byte; calamine (fastexcel, python-calamine 0.9.1) fails the whole workbook
  on it ("Unrecognized sheet:type"), so salesbook shows calamine a copy without it;
* a genuine 55 MB sheet packed 245:1 is accepted (the old guard refused any member over 50 MB
  packed more than 200:1);
* a part whose zip headers understate what its deflate stream inflates to is refused within a
  few hundred MB, even under an address-space limit (fastexcel inflates a part to its end,
  whatever its header says: before, it materialised the 3 GB and aborted with a Rust backtrace).

The CLI runs in-process (``cli``) or, where memory is measured, in a child process. Results
are read back with python-calamine, openpyxl and zipfile + lxml, not with salesbook.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

from . import corpus
from .conftest import folder_state, temp_files

pytestmark = pytest.mark.slow  # builds 50 MB sheets and 3 GB bombs: left out of the quick loop; CI runs it


TODAY = corpus.TODAY.isoformat()
REPO = Path(__file__).resolve().parents[2]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
N = {"m": MAIN}
OUTPUTS = slice(len(corpus.HEADERS), len(corpus.HEADERS) + len(corpus.OUTPUT_HEADERS))  # V..AC


def rezip(src: Path, dst: Path, edit: dict[str, object] | None = None, add: dict[str, bytes] | None = None) -> Path:
    """Copy a zip member by member (names, dates, order kept); ``edit`` maps a member to new bytes or
    to a function of its bytes, ``add`` appends members."""
    edit = edit or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            change = edit.get(info.filename)
            if change is not None:
                data = change(data) if callable(change) else change
            zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data,
                          compress_type=zipfile.ZIP_DEFLATED)
    return dst


def openpyxl_book(path: Path) -> Path:
    """The corpus' leads as a plain range, written by openpyxl (dates with its own number format)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(corpus.HEADERS)
    for row in corpus.GOOD_ROWS:
        ws.append(row)
    wb.save(path)
    return path


def leads_rows(path: Path) -> list[list[object]]:
    """The Leads sheet by python-calamine, from row 2."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads").to_python()[1:]


def outputs(path: Path) -> list[list[object]]:
    return [row[OUTPUTS] for row in leads_rows(path)]


def member(path: Path, name: str) -> tuple[bytes, int]:
    with zipfile.ZipFile(path) as z:
        return z.read(name), z.getinfo(name).CRC


def norm(value: object) -> object:
    """A cell value as both readers agree on it: python-calamine's '' is openpyxl's None, a
    date-time at midnight is its date."""
    if value == "":
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def assert_done(result, summary: str | None = None) -> None:
    out = result.output
    assert result.exit_code in (0, 1), out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in out and "Error:" not in out and "report it" not in out, out
    if summary is not None:
        assert out.strip().splitlines()[0] == summary, out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The XlsxWriter book, run as it is: its summary line and output cells."""
    path = corpus.good_book(tmp_path_factory.mktemp("baseline") / "Pipeline.xlsx")
    from click.testing import CliRunner

    from salesbook.cli import main

    result = CliRunner().invoke(main, ["run", str(path), "--today", TODAY])
    assert result.exit_code == 0, result.output
    values = outputs(path)
    assert [r[0] for r in values] == ["A", "B", "C", "D", "A", "B"]  # graded, so the comparison means something
    return result.output.strip().splitlines()[0], values


# --------------------------------------------------------------------------- styles.xml without a list


STYLE_LISTS = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs"]


def drop_lists(styles: bytes, tags: list[str]) -> bytes:
    for tag in tags:
        styles = re.sub(rb"<" + tag.encode() + rb"\b[^>]*?(?:/>|>.*?</" + tag.encode() + rb">)", b"", styles,
                        flags=re.S)
    return styles


def empty_lists(styles: bytes, tags: list[str]) -> bytes:
    for tag in tags:
        styles = re.sub(rb"<" + tag.encode() + rb"\b[^>]*?(?:/>|>.*?</" + tag.encode() + rb">)",
                        b"<" + tag.encode() + b' count="0"/>', styles, flags=re.S)
    return styles


def without_styles(data: bytes) -> bytes:
    """A sheet whose cells use no cell style (what a writer without cellXfs writes)."""
    return re.sub(rb'(<(?:c|row)\b[^>]*?) s="\d+"', rb"\1", data)


# variant -> (edit of styles.xml, do the cells lose their s attributes)
STYLE_CASES = {
    **{f"no {tag}": ((lambda s, t=tag: drop_lists(s, [t])), tag == "cellXfs") for tag in STYLE_LISTS},
    "no lists at all": ((lambda s: drop_lists(s, STYLE_LISTS + ["tableStyles"])), True),
    "empty fonts and fills": ((lambda s: empty_lists(s, ["fonts", "fills"])), False),
    "empty cellXfs": ((lambda s: empty_lists(s, ["cellXfs"])), True),
}


def style_book(folder: Path, case: str, writer: str = "xlsxwriter") -> Path:
    edit, unstyled = STYLE_CASES[case]
    src = corpus.good_book(folder / "src.tmpbook") if writer == "xlsxwriter" else openpyxl_book(
        folder / "src.tmpbook")
    changes: dict[str, object] = {"xl/styles.xml": edit}
    if unstyled:
        changes["xl/worksheets/sheet1.xml"] = without_styles
    path = rezip(src, folder / "Pipeline.xlsx", changes)
    src.unlink()
    return path


def check_stylesheet(data: bytes, original: bytes) -> dict[str, list]:
    """What Excel needs of a stylesheet: lists in schema order, counts right, every index an xf
    uses defined (number formats: those of the xfs added; an original xf may name an undefined
    one, left as it was), fills 0 and 1 the reserved none/gray125, font 0 and xf 0 plain defaults."""
    root = etree.fromstring(data)
    order = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
             "tableStyles", "colors", "extLst"]
    seen = [etree.QName(c).localname for c in root if isinstance(c.tag, str)]
    assert seen == sorted(seen, key=order.index), seen
    lists = {}
    for tag in order[:8]:
        el = root.find(f"m:{tag}", N)
        items = [c for c in el if isinstance(c.tag, str)] if el is not None else []
        if el is not None and el.get("count") is not None:
            assert int(el.get("count")) == len(items), tag
        lists[tag] = items
    fills = [f.find("m:patternFill", N).get("patternType", "none") for f in lists["fills"]]
    assert fills[:2] == ["none", "gray125"], fills
    assert lists["fonts"] and lists["fonts"][0].find("m:b", N) is None
    xf0 = lists["cellXfs"][0]
    assert [xf0.get(a, "0") for a in ("numFmtId", "fontId", "fillId", "borderId")] == ["0", "0", "0", "0"]
    custom = {int(f.get("numFmtId")) for f in lists["numFmts"]}
    for xf in lists["cellXfs"] + lists["cellStyleXfs"]:
        assert int(xf.get("fontId", "0")) < len(lists["fonts"])
        assert int(xf.get("fillId", "0")) < len(lists["fills"])
        assert int(xf.get("borderId", "0")) < len(lists["borders"])
    old_xfs = etree.fromstring(original).find("m:cellXfs", N)
    for xf in lists["cellXfs"][len(old_xfs) if old_xfs is not None else 0:]:
        fmt = int(xf.get("numFmtId", "0"))
        assert fmt < 164 or fmt in custom, fmt
    used = {int(xf.get("numFmtId", "0")) for xf in (old_xfs if old_xfs is not None else [])}
    assert not custom & used - {int(f.get("numFmtId")) for f in etree.fromstring(original).iterfind(
        "m:numFmts/m:numFmt", N)}, "a new number format took the id an original xf names"
    for xf in lists["cellXfs"]:
        assert int(xf.get("xfId", "0")) < len(lists["cellStyleXfs"])
    return lists


@pytest.mark.parametrize("case", list(STYLE_CASES))
def test_stylesheet_without_a_list_is_processed(workdir, cli, baseline, case):
    path = style_book(workdir, case)
    before, _ = member(path, "xl/styles.xml")
    result = cli("run", path, "--today", TODAY)
    summary, values = baseline
    assert_done(result, summary)
    assert outputs(path) == values  # the same grades, dates (as dates: the new xfs' formats apply)...
    after, _ = member(path, "xl/styles.xml")
    lists = check_stylesheet(after, before)
    kept = etree.fromstring(before)
    for tag, items in lists.items():  # nothing of the original is lost or reordered
        old = kept.find(f"m:{tag}", N)
        old_items = [etree.tostring(c) for c in old if isinstance(c.tag, str)] if old is not None else []
        assert [etree.tostring(c) for c in items[:len(old_items)]] == old_items, tag
    ws = openpyxl.load_workbook(path)["Leads"]  # another reader takes the stylesheet
    assert ws["V1"].value == "Grade" and ws["V2"].value == "A" and not ws["A2"].font.b
    assert ws["Z2"].is_date and ws["Z2"].value.date() == values[0][4]
    assert cli("run", path, "--today", TODAY).exit_code == 0
    assert member(path, "xl/styles.xml")[0] == after  # a second run adds nothing


def test_openpyxl_book_without_fonts(workdir, cli, baseline):
    path = style_book(workdir, "no fonts", writer="openpyxl")
    before, _ = member(path, "xl/styles.xml")
    result = cli("run", path, "--today", TODAY)
    assert_done(result, baseline[0])
    assert outputs(path) == baseline[1]
    check_stylesheet(member(path, "xl/styles.xml")[0], before)


# --------------------------------------------------------------------------- an Excel 4.0 macro sheet


MACRO_PART = "xl/macrosheets/sheet1.xml"
MACRO_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    b'<xm:macrosheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    b'<dimension ref="A1:A2"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    b'<sheetFormatPr defaultRowHeight="15"/><sheetData>'
    b'<row r="1"><c r="A1" t="str"><f>ALERT("Pipeline checked")</f><v>TRUE</v></c></row>'
    b'<row r="2"><c r="A2" t="b"><f>RETURN()</f><v>1</v></c></row>'
    b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    b"</xm:macrosheet>"
)
MACRO_SHEET = (b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
               b'name="Macro1" sheetId="9" r:id="rId90"/>')  # openpyxl declares r: on each <sheet>
MACRO_REL = (b'<Relationship Id="rId90" Type="http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet" '
             b'Target="macrosheets/sheet1.xml"/>')
MACRO_TYPE = b'<Override PartName="/xl/macrosheets/sheet1.xml" ContentType="application/vnd.ms-excel.macrosheet+xml"/>'


def macro_book(folder: Path, writer: str = "xlsxwriter") -> Path:
    """The leads workbook with an Excel 4.0 macro sheet, added at the part level as Excel lists one."""
    src = corpus.good_book(folder / "src.tmpbook") if writer == "xlsxwriter" else openpyxl_book(
        folder / "src.tmpbook")
    path = rezip(src, folder / "Pipeline.xlsx", {
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", MACRO_TYPE + b"</Types>"),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", MACRO_REL + b"</Relationships>"),
        "xl/workbook.xml": lambda d: re.sub(rb"(<sheet [^>]*/>)</sheets>", rb"\1" + MACRO_SHEET + b"</sheets>", d),
    }, add={MACRO_PART: MACRO_XML})
    src.unlink()
    return path


def assert_macro_sheet_kept(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        assert z.read(MACRO_PART) == MACRO_XML
        assert MACRO_SHEET in z.read("xl/workbook.xml")
        assert MACRO_REL in z.read("xl/_rels/workbook.xml.rels")
        assert MACRO_TYPE in z.read("[Content_Types].xml")
        assert z.testzip() is None


@pytest.mark.parametrize("writer", ["xlsxwriter", "openpyxl"])
def test_macro_sheet_is_kept_and_the_leads_are_graded(workdir, cli, baseline, writer):
    path = macro_book(workdir, writer)
    result = cli("run", path, "--today", TODAY)
    assert_done(result, baseline[0])
    assert_macro_sheet_kept(path)
    wb = openpyxl.load_workbook(path)  # python-calamine cannot open a workbook with a macro sheet
    ws = wb["Leads"]
    assert [c.value for c in ws[1]][OUTPUTS] == corpus.OUTPUT_HEADERS
    got = [[norm(c.value) for c in row][OUTPUTS] for row in ws.iter_rows(min_row=2)]
    assert got == [[norm(v) for v in row] for row in baseline[1]]
    assert {"Funnel", "Cleanse", "History"} <= set(wb.sheetnames)


def test_macro_sheet_check_and_archive(workdir, cli):
    path = macro_book(workdir)
    result = cli("check", path, "--today", TODAY)
    assert_done(result, "Checked 6 leads: no problems found.")
    assert_macro_sheet_kept(path)
    result = cli("archive", path, "--today", TODAY)
    assert_done(result)
    assert "Archived 2" in result.output, result.output
    assert_macro_sheet_kept(path)
    wb = openpyxl.load_workbook(path)
    archived = [set(r) for r in wb["Archive"].iter_rows(min_row=2, values_only=True)]
    assert len(archived) == 2 and {"L-003", "Gamma Inc"} <= archived[0] | archived[1] >= {"L-004", "Delta"}
    assert [r[0] for r in wb["Leads"].iter_rows(min_row=2, values_only=True)] == ["L-001", "L-002", "L-005", "L-006"]


# --------------------------------------------------------------------------- a genuine sheet that packs 245:1


DATA_PART = "xl/worksheets/sheet2.xml"
DATA_ROWS = 26000


def big_sheet_book(folder: Path) -> Path:
    """The leads workbook plus a 'Data' sheet of 26,000 rows x 100 text cells (55 MB of XML that
    deflates about 245:1), written streaming; XlsxWriter's file edited at the part level."""
    src = corpus.good_book(folder / "src.tmpbook")
    path = rezip(src, folder / "Pipeline.xlsx", {
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", (
            b'<Override PartName="/xl/worksheets/sheet2.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
            b'<Relationship Id="rId80" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'worksheet" Target="worksheets/sheet2.xml"/></Relationships>')),
        "xl/workbook.xml": lambda d: d.replace(b"</sheets>", b'<sheet name="Data" sheetId="8" r:id="rId80"/></sheets>'),
    })
    src.unlink()
    cell = b'<c t="s"><v>3</v></c>'  # shared string 3 ('Email')
    zi = zipfile.ZipInfo(DATA_PART, date_time=(2026, 1, 1, 0, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "a") as z, z.open(zi, "w") as f:
        f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<dimension ref="A1:CV26000"/><sheetData>')
        for start in range(1, DATA_ROWS + 1, 1000):
            f.write(b"".join(b'<row r="%d">' % r + cell * 100 + b"</row>" for r in range(start, start + 1000)))
        f.write(b"</sheetData></worksheet>")
    return path


def test_genuine_large_sheet_with_a_high_packing_ratio_is_accepted(workdir, cli, baseline):
    path = big_sheet_book(workdir)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(DATA_PART)
    assert info.file_size > 50 * 1024 * 1024 and info.file_size / info.compress_size > 200  # once refused
    raw_before = member(path, DATA_PART)
    t0 = time.monotonic()
    result = cli("run", path, "--today", TODAY)
    seconds = time.monotonic() - t0
    assert_done(result, baseline[0])
    assert outputs(path) == baseline[1]
    assert member(path, DATA_PART) == raw_before  # the big sheet is copied as it is
    data = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()
    assert len(data) == DATA_ROWS and data[-1][-1] == "Email" and len(data[0]) == 100
    assert seconds < 60


# --------------------------------------------------------------------------- a part that lies about its size


@dataclass
class Child:
    returncode: int
    output: str
    peak_rss: int  # bytes, of the child alone (its VmHWM)
    seconds: float


ADDRESS_SPACE = 1 << 30  # the child's limit: a Rust reader inflating the bomb would abort


def run_measured(*args: str, timeout: float = 120) -> Child:
    """`salesbook ARGS` in a child process under an address-space limit of 1 GiB, reaped with
    os.wait4 so that its own peak RSS is known (RUSAGE_CHILDREN keeps the largest child's)."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    book = Path(args[1])  # the workbook: the child's output and peak are noted beside it
    out_path = book.with_name("child-output.txt")
    hwm_path = book.with_name("child-peak.txt")
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", _REPORT_PEAK, str(hwm_path), *args], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT, preexec_fn=limit)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise AssertionError(f"salesbook {' '.join(args)} took more than {timeout} s")
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink()
    # The child's own high-water mark (VmHWM starts afresh at exec). ru_maxrss would also count the
    # pages of this test process that the fork copied before exec: hundreds of MB late in a full run.
    peak = int(hwm_path.read_text()) * 1024 if hwm_path.exists() else usage.ru_maxrss * 1024
    hwm_path.unlink(missing_ok=True)
    return Child(proc.returncode, text, peak, time.monotonic() - t0)


# Runs the salesbook CLI and, at exit, writes the process's peak resident size (kB) to argv[1].
_REPORT_PEAK = """\
import atexit, sys
def _peak(path=sys.argv[1]):
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(path, "w") as out:
        out.write(kb)
atexit.register(_peak)
sys.argv = ["salesbook"] + sys.argv[2:]
from salesbook.cli import main

main()
"""


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"])
def test_understated_part_is_refused_within_memory(tmp_path, part):
    folder = tmp_path / "bomb"
    folder.mkdir()
    path = corpus.zip_bomb(folder, part)
    with zipfile.ZipFile(path) as z:
        declared = z.getinfo(part).file_size
        assert len(z.read(part)) == declared  # Python's zipfile sees nothing wrong: size and CRC agree
    before = folder_state(folder)
    child = run_measured("run", str(path), "--today", TODAY)
    out = child.output
    assert child.returncode == 2, out[-3000:]  # not -6, a Rust abort under the limit
    assert out.startswith("Refused: ") and len(out.strip().splitlines()) == 1, out[-3000:]
    assert f"contains a part ({part}) that unpacks to more than the" in out and "'zip bomb'" in out, out
    assert path.name in out and "panicked" not in out and "Traceback" not in out
    assert child.peak_rss < 500 * 1024 * 1024, f"peak RSS {child.peak_rss / 1e6:.0f} MB"
    assert folder_state(folder) == before and temp_files(folder) == []


# --------------------------------------------------------------------------- the sheet scan keeps no tail


def test_sheet_scan_keeps_only_the_merges_of_a_huge_tail():
    from salesbook.adapters.files.sheetscan import SheetScan, _merges_in

    scan = SheetScan()
    head = b'<worksheet xmlns="%s"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>' % MAIN.encode()
    tail = b'<mergeCells count="2"><mergeCell ref="B2:C3"/>' + b" " * 5_000_000 + \
        b'<mergeCell ref="K10:L11"/></mergeCells><pageMargins left="0.7"/></worksheet>'
    data = head + tail
    for k in range(0, len(data), 4099):  # chunk edges fall inside tags
        scan.feed(data[k:k + 4099])
    assert _merges_in(scan.tail, None) == ["B2:C3", "K10:L11"]
    assert len(scan.tail) < 200


@pytest.mark.parametrize("xml", [
    b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><mergeCells/>',
    b'<x:sheetData><x:row/></x:sheetData ><x:mergeCells>',
    b'<sheetData/><mergeCells>',
    b'<a.b-c:sheetData   />',
    b'<sheetData><c t="inlineStr"><is><t>&lt;/sheetData&gt; sheetData</t></is></c></sheetData>',
    b'<sheetDataX></sheetDataX></sheetData\n>',
    b'</ sheetData></sheetData',
    b'<sheetData>' + b'<c r="A1"><v>1</v></c>' * 2000,
])
def test_the_end_of_the_cells_is_found_where_the_pattern_finds_it(xml):
    """``sheetdata_end`` (found by the name, then the pattern tried at its tag) gives what
    the pattern's own search gives, from every offset."""
    from salesbook.adapters.files.cells import _SHEETDATA_END, sheetdata_end

    for pos in range(0, len(xml) + 1, 1 if len(xml) < 200 else 97):
        want, got = _SHEETDATA_END.search(xml, pos), sheetdata_end(xml, pos)
        assert (want and (want.span(), want.group(0))) == (got and (got.span(), got.group(0))), (xml[:60], pos)


def test_error_cells_are_seen_as_the_plain_search_sees_them():
    """``_may_hold_error_cells`` (every quoted e in one numpy pass) answers as a plain search
    for '"e"' and "'e'" after ``t=`` answers, on random mixes of the pieces that matter."""
    import random

    from salesbook.adapters.files.sheetscan import _ERROR_TYPE, _may_hold_error_cells

    def plain(data: bytes) -> bool:
        for quoted in (b'"e"', b"'e'"):
            i = data.find(quoted)
            while i >= 0:
                if _ERROR_TYPE.search(data, max(0, i - 32), i):
                    return True
                i = data.find(quoted, i + 1)
        return False

    rng = random.Random(7)
    pieces = [b'<c r="A1" t="e"><v>#N/A</v></c>', b"<c t = 'e'>", b'<c t="s">', b'"e"', b"x t='e\"", b"<t>e</t>",
              b' t=\n"e"', b'at="e"', b'ut ="e"', b"e", b'"', b"'", b"t=", b" ", b"x" * 40]
    seen = set()
    for _ in range(5000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        want = plain(data)
        assert _may_hold_error_cells(data) == want, data
        seen.add(want)
    assert seen == {True, False}


# --------------------------------------------------------------------------- the check the CLI starts early


def test_an_early_check_vouches_only_for_the_file_it_checked(tmp_path):
    """The CLI starts the member check as soon as it has the file name (check_early); the
    command's preflight takes it over only for the same, unchanged file."""
    from salesbook.errors import Refusal
    from salesbook.adapters.files import zipguard
    from salesbook.adapters.files.preflight import preflight
    from salesbook.adapters.files.sheetscan import SheetScan

    path = corpus.good_book(tmp_path / "Pipeline.xlsx")
    zipguard.check_early(path)
    early = next(iter(zipguard._early.values()))
    pending = preflight(path, for_write=False, crc_later=True, scan=SheetScan.for_member)
    assert pending is early and not zipguard._early  # taken over
    pending.wait()
    assert pending.scanned("xl/worksheets/sheet1.xml") is not None  # the worksheet scans still came

    zipguard.check_early(path)  # checked as it is now ...
    with zipfile.ZipFile(path) as z:
        next(iter(zipguard._early.values())).ready(z.namelist())  # (to the end)
    (tmp_path / "bomb").mkdir()
    path.write_bytes(corpus.zip_bomb(tmp_path / "bomb", "xl/sharedStrings.xml").read_bytes())  # ... then replaced
    with pytest.raises(Refusal) as info:
        preflight(path, for_write=False, crc_later=True, scan=SheetScan.for_member).wait()
    assert "'zip bomb'" in info.value.message and not zipguard._early
