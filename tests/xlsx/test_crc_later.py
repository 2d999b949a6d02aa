"""``preflight(crc_later=True)``: the CRC check runs beside the read, with the same outcome."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from salesbook.adapters.files import workbook as service
from salesbook.errors import Refusal
from salesbook.adapters.files import preflight as preflight_module
from salesbook.adapters.files.preflight import preflight


def _book(path: Path, rows: int = 3000) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Owner", "Stage", "Created"])
    for i in range(rows):
        ws.append([f"L-{i:05d}", f"Company {i}", "Ann", "Proposal", "2026-01-02"])
    ws.append(["L-END", "CRCMARK", "Ann", "Proposal", "2026-01-02"])
    wb.save(path)
    return path


def _damaged(src: Path, dst: Path) -> Path:
    """The same workbook stored uncompressed, one byte of the Leads sheet's shared strings changed."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    data = bytearray(dst.read_bytes())
    at = data.find(b"CRCMARK")
    assert at > 0
    data[at] = ord("X")
    dst.write_bytes(bytes(data))
    return dst


def test_a_bad_crc_is_refused_as_by_the_plain_preflight(tmp_path):
    path = _damaged(_book(tmp_path / "src.xlsx"), tmp_path / "bad.xlsx")
    with pytest.raises(Refusal) as plain:
        preflight(path, for_write=False)
    pending = preflight(path, for_write=False, crc_later=True)
    assert pending is not None
    with pytest.raises(Refusal) as later:
        pending.wait()
    assert later.value.message == plain.value.message and later.value.detail == plain.value.detail
    with pytest.raises(Refusal) as loaded:
        service.load(path, for_write=False)
    assert loaded.value.message == plain.value.message and "CRC" in loaded.value.detail


def test_the_crc_refusal_wins_over_a_later_one(tmp_path, monkeypatch):
    path = _damaged(_book(tmp_path / "src.xlsx"), tmp_path / "bad.xlsx")

    def refuse(*args, **kwargs):
        raise Refusal("the file is open in Excel", path=path)

    monkeypatch.setattr(preflight_module, "check_target_writable", refuse)
    with pytest.raises(Refusal) as err:
        preflight(path, for_write=True, crc_later=True)
    assert "CRC" in err.value.detail
    monkeypatch.setattr(service, "_read", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("read failed")))
    with pytest.raises(Refusal) as err:
        service.load(path, for_write=False)
    assert "CRC" in err.value.detail


def test_a_sound_book_loads(tmp_path):
    path = _book(tmp_path / "ok.xlsx", rows=10)
    assert preflight(path, for_write=False) is None
    pending = preflight(path, for_write=False, crc_later=True)
    pending.wait()
    assert len(service.load(path, for_write=False).leads) == 11


def test_error_cells_read_through_the_shared_pass(tmp_path):
    """The CRC pass also tells the reader about error cells (fastexcel's fast load drops them)."""
    import xlsxwriter

    path = tmp_path / "errors.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Leads")
    ws.write_row(0, 0, ["Lead ID", "Company", "Owner", "Stage", "Created"])
    for i in range(1, 50):
        ws.write_row(i, 0, [f"L-{i:03d}", "Acme", "Ann", "Proposal", "2026-01-02"])
    ws.write_formula(7, 1, "=NA()", None, "#N/A")
    wb.close()
    leads = service.load(path, for_write=False).leads
    assert leads.loc[8, "Company"] == "#N/A"
    assert leads.loc[9, "Company"] == "Acme"


@pytest.mark.parametrize("early", [False, True])
def test_a_worksheet_is_inflated_once_when_its_scan_is_known_at_the_start(tmp_path, monkeypatch, early):
    """With the scan given to the preflight, each worksheet is inflated once, its scan fed as
    it is checked; a check started early (its scan adopted later) scans in a second pass.
    Either way the scan sees the same merges and error cells."""
    import xlsxwriter

    from salesbook.adapters.files import zipguard
    from salesbook.adapters.files.sheetscan import SheetScan, _merges_in

    path = tmp_path / "merged.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Leads")
    ws.write_row(0, 0, ["Lead ID", "Company", "Owner", "Stage", "Created"])
    for i in range(1, 3000):
        ws.write_row(i, 0, [f"L-{i:04d}", f"Company {i}", "Ann", "Proposal", "2026-01-02"])
    ws.write_formula(7, 1, "=NA()", None, "#N/A")
    ws.merge_range("G2:H3", "note")
    wb.close()
    inflated: list[str] = []
    real = zipguard._inflate_member

    def counting(p, fp, info, feed=None, **kw):
        inflated.append(info.filename)
        return real(p, fp, info, feed, **kw)

    monkeypatch.setattr(zipguard, "_inflate_member", counting)
    if early:
        zipguard.check_early(path)
    pending = preflight(path, for_write=False, crc_later=True, scan=SheetScan.for_member)
    pending.wait()
    scan = pending.scanned("xl/worksheets/sheet1.xml")
    assert scan is not None and scan.error_cells and _merges_in(scan.tail, None) == ["G2:H3"]
    assert inflated.count("xl/worksheets/sheet1.xml") == (2 if early else 1)
    assert inflated.count("xl/styles.xml") == 1
