"""After run / check / archive, everything the add-in does not own is the same.

Two workbooks: ``corpus.feature_book`` (every feature a rep's workbook may carry) and the
shipped ``workbook/SalesPipeline.xlsm`` (VBA project, ribbon). Compared with readers that
are not salesbook's: zipfile + ElementTree for the parts, openpyxl for cells, formulas,
cached values, styles, comments, hyperlinks, validations, conditional formats, names.
"""

from __future__ import annotations

import copy
import posixpath
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formula.translate import Translator

from salesbook.builder.shipped import SAMPLE_DAY

from . import corpus
from .corpus import COL, FEATURE_EXTRA, HEADERS, OUTPUT_HEADERS, TODAY
from .conftest import invoke, parts

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "workbook" / "SalesPipeline.xlsm"
ADDIN_SHEETS = {"Leads", "Funnel", "Cleanse", "History", "Archive", "Check"}
SHARED_PARTS = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                "docProps/app.xml"}
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
      "ct": "http://schemas.openxmlformats.org/package/2006/content-types"}
PRINT_NAMES = {"_xlnm.Print_Area", "_xlnm.Print_Titles"}  # of the report sheets: set by the add-in
UI_REL = {"http://schemas.microsoft.com/office/2006/relationships/ui/extensibility": "customUI/customUI.xml",
          "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility": "customUI/customUI14.xml"}


# --------------------------------------------------------------------------- the package, read independently


def rels_of(p: dict[str, bytes], part: str) -> list[dict[str, str]]:
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in p:
        return []
    out = []
    for r in ET.fromstring(p[rels]):
        d = dict(r.attrib)
        if d.get("TargetMode") != "External":
            d["part"] = posixpath.normpath(posixpath.join(folder, d["Target"])).lstrip("/")
        out.append(d)
    return out


def sheet_parts(p: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its part, from xl/workbook.xml and its relationships."""
    rid = {r["Id"]: r["part"] for r in rels_of(p, "xl/workbook.xml")}
    wb = ET.fromstring(p["xl/workbook.xml"])
    return {s.get("name"): rid[s.get(f"{{{NS['r']}}}id")] for s in wb.find("m:sheets", NS)}


def owned_parts(p: dict[str, bytes], command: str) -> set[str]:
    """The parts a command may rewrite: the add-in's sheets (with their drawings and charts), the
    Leads table, and the package-wide lists that name them. Archive moves rows, so the comments
    on the Leads sheet may move with them; run and check must leave them as they are."""
    sheets = sheet_parts(p)
    mine = {"Check"} if command == "check" else ADDIN_SHEETS
    kinds = {"drawing", "chart", "table"} | ({"comments", "vmlDrawing"} if command == "archive" else set())
    owned = set(SHARED_PARTS)
    todo = [sheets[s] for s in mine if s in sheets]
    while todo:
        part = todo.pop()
        owned.add(part)
        folder, name = posixpath.split(part)
        owned.add(posixpath.join(folder, "_rels", name + ".rels"))
        for r in rels_of(p, part):
            if "part" in r and r["Type"].rsplit("/", 1)[-1] in kinds and r["part"] not in owned:
                todo.append(r["part"])
    return owned


def assert_unowned_parts_identical(before: dict[str, bytes], after: dict[str, bytes], command: str) -> None:
    owned = owned_parts(before, command)
    kept = [n for n in before if n not in owned]
    changed = [n for n in kept if after.get(n) != before[n]]
    assert not changed, f"{command} changed parts it does not own: {changed}"
    order = [n for n in after if n in before]
    assert order == [n for n in before if n in after], "parts were reordered"
    assert set(before) <= set(after), f"parts lost: {set(before) - set(after)}"
    leads = sheet_parts(before)["Leads"]  # the rep's sheet keeps every relationship it had (comments, links, table)
    old_rels = {tuple(sorted(r.items())) for r in rels_of(before, leads)}
    assert old_rels <= {tuple(sorted(r.items())) for r in rels_of(after, leads)}


def assert_shared_parts_extended(before: dict[str, bytes], after: dict[str, bytes], command: str = "") -> None:
    """[Content_Types], workbook rels, workbook.xml and styles keep every original entry (as is, in place).
    Archive moves cells of the Leads table, so the defined names referring to Leads may change their
    formula (test_archive_shrinks_defined_names_like_formulas checks how); nothing else about them.
    The only names added are the print area and title rows of the add-in's own report sheets
    (tests/xlsx/test_print_layout.py checks them)."""
    def items(data, path):
        return [ET.tostring(e) for e in ET.fromstring(data).findall(path, NS)]

    for part, path in (("[Content_Types].xml", "*"), ("xl/_rels/workbook.xml.rels", "pr:Relationship")):
        old, new = items(before[part], path), items(after[part], path)
        assert set(old) <= set(new), f"{part} lost {set(old) - set(new)}"
    old_wb, new_wb = ET.fromstring(before["xl/workbook.xml"]), ET.fromstring(after["xl/workbook.xml"])
    old_sheets = [ET.tostring(s) for s in old_wb.find("m:sheets", NS)]
    assert [ET.tostring(s) for s in new_wb.find("m:sheets", NS)][: len(old_sheets)] == old_sheets
    report_ids = {str(i) for i, s in enumerate(new_wb.find("m:sheets", NS)) if s.get("name") in ADDIN_SHEETS - {"Leads"}}

    def names(wb, skip_print: bool = False):
        out = []
        for n in wb.findall("m:definedNames/m:definedName", NS):
            if n.get("name", "").startswith("_salesbook_"):
                continue  # the add-in's marks of its own sheets (salesbook.owned)
            if skip_print and n.get("name") in PRINT_NAMES and n.get("localSheetId") in report_ids:
                continue
            n = copy.deepcopy(n)
            if command == "archive" and "Leads!" in (n.text or ""):
                n.text = "(refers to Leads)"
            out.append(ET.tostring(n))
        return sorted(out)

    assert names(old_wb, skip_print=True) == names(new_wb, skip_print=True), "defined names changed"
    others = lambda wb: [ET.tostring(e) for e in wb if e.tag.rsplit("}", 1)[-1] not in ("sheets", "definedNames")]  # noqa: E731
    assert others(old_wb) == others(new_wb)
    old_st, new_st = ET.fromstring(before["xl/styles.xml"]), ET.fromstring(after["xl/styles.xml"])
    for coll in ("fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs"):
        old = [ET.tostring(e) for e in (old_st.find(f"m:{coll}", NS) or [])]
        new = [ET.tostring(e) for e in (new_st.find(f"m:{coll}", NS) or [])]
        assert new[: len(old)] == old, f"styles.xml {coll}: existing entries changed or moved"
    fmts = lambda st: {ET.tostring(e) for e in st.findall("m:numFmts/m:numFmt", NS)}  # noqa: E731
    assert fmts(old_st) <= fmts(new_st)


# --------------------------------------------------------------------------- cells, read with openpyxl


def style(c) -> tuple:
    return (c.number_format, copy.copy(c.font), copy.copy(c.fill), copy.copy(c.border), copy.copy(c.alignment),
            copy.copy(c.protection))


def cells(ws, *, max_col: int | None = None, rows=None) -> dict[str, tuple]:
    out = {}
    for row in ws.iter_rows(max_col=max_col):
        for c in row:
            if rows is not None and c.row not in rows:
                continue
            if c.value is None and not c.has_style and c.comment is None and c.hyperlink is None:
                continue
            link = c.hyperlink and (c.hyperlink.target, c.hyperlink.location, c.hyperlink.display)
            note = c.comment and (c.comment.text, c.comment.author)
            out[c.coordinate] = (c.value, style(c), link, note)
    return out


def sheet_features(ws) -> dict:
    return {
        "freeze": ws.freeze_panes,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "validations": sorted((str(d.sqref), d.type, d.formula1, d.operator, d.error) for d in
                              ws.data_validations.dataValidation),
        "conditional": sorted((str(cf.sqref), r.type, r.operator, tuple(r.formula or ()), r.text,
                               repr(r.dxf.fill) if r.dxf else None) for cf in ws.conditional_formatting
                              for r in cf.rules),
        "widths": {k: (d.width, d.hidden) for k, d in ws.column_dimensions.items() if d.width},
        "state": ws.sheet_state,
        "tables": {n: (t.ref, t.tableStyleInfo.name if t.tableStyleInfo else None,
                       [(c.name, c.calculatedColumnFormula.attr_text if c.calculatedColumnFormula else None)
                        for c in t.tableColumns]) for n, t in ((t.name, t) for t in ws.tables.values())},
        "images": len(ws._images),
        "charts": len(ws._charts),
    }


def load(path: Path, data_only: bool = False):
    return openpyxl.load_workbook(path, data_only=data_only, keep_vba=str(path).endswith(".xlsm"))


# --------------------------------------------------------------------------- the feature workbook


@pytest.fixture(scope="module")
def feature(tmp_path_factory):
    folder = tmp_path_factory.mktemp("feature")
    original = corpus.feature_book(folder / "Original.xlsx")
    done = {}
    for command in ("run", "check", "archive"):
        path = shutil.copyfile(original, folder / f"{command}.xlsx")
        result = invoke(command, path, "--today", TODAY.isoformat())
        assert result.exit_code == 0, result.output
        done[command] = path
    return original, done


def test_feature_book_has_every_feature(feature):
    original, _ = feature
    p = parts(original)
    assert b't="shared"' in p["xl/worksheets/sheet1.xml"] and b'ref="W2:W13"' in p["xl/worksheets/sheet1.xml"]
    wb = load(original)
    ws = wb["Leads"]
    f = sheet_features(ws)
    assert f["freeze"] == "C2" and len(f["validations"]) == 2 and len(f["conditional"]) == 2
    assert ws["W5"].value == "=N5*0.2"  # a dependent of the shared formula, as openpyxl translates it
    assert ws["B2"].comment.text.startswith("Key account") and ws["Y2"].hyperlink.target
    assert set(wb.defined_names) == {"BigDeals", "Sources"} and "LocalRate" in ws.defined_names
    assert sheet_features(wb["Dashboard"])["images"] == 1 and sheet_features(wb["Dashboard"])["charts"] == 1
    assert list(wb["Targets"].tables) == ["Targets"] and wb["Lists"].sheet_state == "hidden"


@pytest.mark.parametrize("command", ["run", "check", "archive"])
def test_feature_book_parts_the_add_in_does_not_own_are_byte_identical(feature, command):
    original, done = feature
    before, after = parts(original), parts(done[command])
    assert_unowned_parts_identical(before, after, command)
    assert_shared_parts_extended(before, after, command)


@pytest.mark.parametrize("command", ["run", "check"])
def test_feature_book_cells_outside_the_outputs_are_identical(feature, command):
    original, done = feature
    n_in = len(HEADERS) + len(FEATURE_EXTRA)
    for data_only in (False, True):  # formulas, then their cached values
        old, new = load(original, data_only), load(done[command], data_only)
        for name in old.sheetnames:
            if name in ADDIN_SHEETS - {"Leads"}:
                continue
            limit = n_in if name == "Leads" else None
            assert cells(old[name], max_col=limit) == cells(new[name], max_col=limit), (name, data_only)
        assert new.sheetnames[: len(old.sheetnames)] == old.sheetnames
        assert {n: d.attr_text for n, d in old.defined_names.items()} == \
               {n: d.attr_text for n, d in new.defined_names.items() if not n.startswith("_salesbook_")}


@pytest.mark.parametrize("command", ["run", "check"])
def test_feature_book_sheet_features_are_kept(feature, command):
    original, done = feature
    old, new = load(original), load(done[command])
    for name in old.sheetnames:
        a, b = sheet_features(old[name]), sheet_features(new[name])
        if name == "Leads" and command == "run":
            (ref, style_name, cols), = a["tables"].values()
            (ref2, style2, cols2), = b["tables"].values()
            assert ref2 == "A1:AG13" and style2 == style_name  # outputs appended at the right of the table
            assert cols2[: len(cols)] == cols and [c for c, _ in cols2[len(cols):]] == OUTPUT_HEADERS
            a.pop("tables"), b.pop("tables")
            b["widths"] = {k: v for k, v in b["widths"].items() if k in a["widths"]}
        assert a == b, name
    assert dict(old["Leads"].defined_names.items()).keys() == dict(new["Leads"].defined_names.items()).keys()


def _archived_mapping(original: Path, archived: Path) -> dict[int, int]:
    """Old row -> new row of each lead left in Leads (by Lead ID)."""
    old = {r[0].value: r[0].row for r in load(original)["Leads"].iter_rows(min_row=2, max_row=13)}
    new = {r[0].value: r[0].row for r in load(archived)["Leads"].iter_rows(min_row=2) if r[0].value in old}
    return {old[k]: v for k, v in new.items()}


def test_archive_keeps_the_remaining_rows_cells(feature):
    original, done = feature
    moved = _archived_mapping(original, done["archive"])
    assert 0 < len(moved) < 12
    n_in = len(HEADERS) + len(FEATURE_EXTRA)
    for data_only in (False, True):
        old, new = load(original, data_only)["Leads"], load(done["archive"], data_only)["Leads"]
        for r_old, r_new in moved.items():
            for j in range(1, n_in + 1):
                a, b = old.cell(r_old, j), new.cell(r_new, j)
                value = a.value
                if isinstance(value, str) and value.startswith("=") and r_old != r_new:
                    value = Translator(value, origin=a.coordinate).translate_formula(b.coordinate)
                assert (b.value, style(b)) == (value, style(a)), (a.coordinate, b.coordinate)
                link = lambda c: c.hyperlink and (c.hyperlink.target, c.hyperlink.location)  # noqa: E731
                assert link(a) == link(b), (a.coordinate, b.coordinate)
    archive = load(done["archive"])["Archive"]
    ids = [r[1].value for r in archive.iter_rows(min_row=2)]
    assert len(ids) == 12 - len(moved)


def test_archive_moves_comments_with_their_rows(feature):
    original, done = feature
    moved = _archived_mapping(original, done["archive"])
    old, new = load(original)["Leads"], load(done["archive"])["Leads"]
    want = {new.cell(moved[c.row], c.column).coordinate: c.comment.text
            for row in old.iter_rows() for c in row if c.comment and c.row in moved}
    got = {c.coordinate: c.comment.text for row in new.iter_rows() for c in row if c.comment}
    assert got == want
    gone = [c.comment.text for row in old.iter_rows() for c in row if c.comment and c.row not in moved]
    archive = load(done["archive"])["Archive"]
    header = [c.value for c in archive[1]]
    notes = [r[header.index("Cell Notes")].value for r in archive.iter_rows(min_row=2)]
    for text in gone:  # nothing is lost: the note of an archived cell goes to the Archive row
        assert sum(text in (n or "") for n in notes) == 1, (text, notes)


def test_archive_shrinks_defined_names_like_formulas(feature):
    original, done = feature
    wb = load(done["archive"])
    remaining = sum(1 for r in wb["Leads"].iter_rows(min_row=2) if r[0].value and str(r[0].value).startswith("L-"))
    assert 0 < remaining < 12
    dv = corpus.letter(COL["Deal Value"])
    # a formula below the table stays on its row (Delete Table Rows), its range into the table shrinks
    assert wb["Leads"][f"{dv}{12 + 5}"].value == f"=SUBTOTAL(109,{dv}2:{dv}{remaining + 1})"  # formulas do
    assert wb.defined_names["BigDeals"].attr_text == f"Leads!${dv}$2:${dv}${remaining + 1}"  # ... and names too
    old = load(original)
    assert wb.defined_names["Sources"].attr_text == old.defined_names["Sources"].attr_text
    assert {n: d.attr_text for n, d in wb["Leads"].defined_names.items()} == \
           {n: d.attr_text for n, d in old["Leads"].defined_names.items()}


# --------------------------------------------------------------------------- the shipped workbook


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shipped")
    done = {}
    for command in ("run", "check", "archive"):
        path = shutil.copyfile(SHIPPED, folder / f"{command}.xlsm")
        result = invoke(command, path, "--today", "2026-12-01")
        assert result.exit_code == 0, result.output
        done[command] = path
    return done


@pytest.mark.parametrize("command", ["run", "check", "archive"])
def test_shipped_vba_and_ribbon_survive(shipped, command):
    before, after = parts(SHIPPED), parts(shipped[command])
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    for target in UI_REL.values():
        assert after[target] == before[target]
    rels = {r.get("Type"): r.get("Target") for r in ET.fromstring(after["_rels/.rels"])}
    for kind, target in UI_REL.items():
        assert rels.get(kind) == target, kind
    types = ET.fromstring(after["[Content_Types].xml"])
    over = {o.get("PartName"): o.get("ContentType") for o in types.findall("ct:Override", NS)}
    assert over["/xl/workbook.xml"] == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    assert any(d.get("Extension") == "bin" and "vbaProject" in d.get("ContentType", "")
               for d in types.findall("ct:Default", NS)) or "/xl/vbaProject.bin" in over
    wb_rels = {r["Type"].rsplit("/", 1)[-1]: r["part"] for r in rels_of(after, "xl/workbook.xml")}
    assert wb_rels["vbaProject"] == "xl/vbaProject.bin"
    assert_unowned_parts_identical(before, after, command)
    assert_shared_parts_extended(before, after, command)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "check"])
def test_shipped_cells_outside_the_outputs_are_identical(shipped, command):
    old, new = load(SHIPPED), load(shipped[command])
    n_in = len(HEADERS)  # the shipped Leads table: the inputs, then the outputs
    assert [c.value for c in old["Leads"][1]][:n_in] == HEADERS
    for name in ("Leads", "Settings", "Help"):
        limit = n_in if name == "Leads" else None
        assert cells(old[name], max_col=limit) == cells(new[name], max_col=limit), name
        assert sheet_features(old[name]) == sheet_features(new[name]), name


def test_shipped_run_on_its_own_day_is_byte_identical():
    """The shipped workbook was run on SAMPLE_DAY: running it again on that day changes nothing."""
    # (copy to a temp folder: never write into the repository)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = shutil.copyfile(SHIPPED, Path(d) / "SalesPipeline.xlsm")
        assert invoke("run", path, "--today", SAMPLE_DAY.isoformat()).exit_code == 0
        assert path.read_bytes() == SHIPPED.read_bytes()


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_shipped_twice_is_once(tmp_path):
    """Run on a new day: the second run gives the same bytes as the first; History has no duplicates
    and Grade Change is blank the second time."""
    from python_calamine import CalamineWorkbook

    path = shutil.copyfile(SHIPPED, tmp_path / "SalesPipeline.xlsm")
    day = "2027-03-01"  # late enough that a timeline date moves one lead from B to A
    assert invoke("run", path, "--today", day).exit_code == 0
    wb = CalamineWorkbook.from_path(str(path))
    leads = wb.get_sheet_by_name("Leads").to_python()
    change = leads[0].index("Grade Change")
    assert any(r[change] for r in leads[1:])  # the first run reports the change ...
    history = wb.get_sheet_by_name("History").to_python()
    assert invoke("run", path, "--today", day).exit_code == 0
    second = path.read_bytes()
    wb = CalamineWorkbook.from_path(str(path))
    assert not any(r[change] for r in wb.get_sheet_by_name("Leads").to_python()[1:])  # ... the second does not
    assert wb.get_sheet_by_name("History").to_python() == history
    assert invoke("run", path, "--today", day).exit_code == 0
    assert path.read_bytes() == second  # from then on, the same bytes
    for command in ("check", "archive"):
        assert invoke(command, path, "--today", day).exit_code == 0
        once = path.read_bytes()
        assert invoke(command, path, "--today", day).exit_code == 0
        assert path.read_bytes() == once, command
