"""Refusals before anything is written, and all-or-nothing writes.

Every bad file is built by code here; nothing binary is committed.
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import random
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesbook.errors import Refusal
from salesbook import atomic
from salesbook.adapters.files import locks
from salesbook.adapters.files.locks import owner_files
from salesbook.adapters.files.preflight import preflight, preflight_output
from salesbook.adapters.files.xmlsafe import safe_iterparse, safe_parse, safe_parse_lxml
from salesbook.adapters.files.zipguard import Limits
from salesbook.atomic import atomic_output, atomic_write, backup_path, clean_stale_temps

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>
<sheet name="&lol3;" sheetId="1"/></sheets></workbook>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""


# ---------------------------------------------------------------------------
# builders


def make_xlsx(path: Path, rows: int = 5, marker: str = "MARKER") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.append(["Lead ID", "Company", "Stage"])
    for i in range(rows):
        ws.append([f"L-{i:04d}", f"{marker} Company {i}", "Proposal"])
    wb.save(path)
    return path


def rezip(src: Path, dst: Path, *, drop=(), replace=None, add=None, compression=zipfile.ZIP_DEFLATED):
    """Copy a zip, dropping/replacing/adding members."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = replace.get(info.filename, zin.read(info))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def make_cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (CFB v3, 512-byte sectors) holding root streams.

    Streams are padded to 4096 bytes so they live in regular sectors (no
    mini stream). Enough for olefile to list them.
    """
    ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    assert len(names) <= 3
    datas = [streams[n].ljust(4096, b"\0") for n in names]
    fat = [FATSECT, ENDOFCHAIN]  # sector 0: FAT, sector 1: directory
    starts = []
    for data in datas:
        n = len(data) // 512
        first = len(fat)
        starts.append(first)
        fat += [first + k + 1 for k in range(n - 1)] + [ENDOFCHAIN]
    assert len(fat) <= 128
    fat += [FREESECT] * (128 - len(fat))

    def entry(name, kind, child=NOSTREAM, right=NOSTREAM, start=ENDOFCHAIN, size=0):
        raw = name.encode("utf-16-le")
        e = raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw) + 2, kind, 1)
        e += struct.pack("<III", NOSTREAM, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
        return e + struct.pack("<IQ", start, size)

    dir_entries = [entry("Root Entry", 5, child=1 if names else NOSTREAM)]
    for i, (name, start, data) in enumerate(zip(names, starts, datas)):
        right = i + 2 if i + 1 < len(names) else NOSTREAM
        dir_entries.append(entry(name, 2, right=right, start=start, size=len(data)))
    empty = b"\0" * 68 + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM) + b"\0" * 48
    dir_entries += [empty] * (4 - len(dir_entries))
    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108
    assert len(header) == 512
    body = struct.pack("<128I", *fat) + b"".join(dir_entries) + b"".join(datas)
    return header + body


def snapshot(path: Path) -> bytes:
    return path.read_bytes()


def refusal_of(path, **kw) -> Refusal:
    with pytest.raises(Refusal) as info:
        preflight(path, **kw)
    err = info.value
    assert err.exit_code == 2
    assert str(path) in err.message, err.message
    assert err.path == str(path)
    return err


def no_temps(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(atomic.TEMP_PREFIX)]


@pytest.fixture
def book(tmp_path) -> Path:
    return make_xlsx(tmp_path / "Book.xlsx")


# ---------------------------------------------------------------------------
# a good workbook passes


def test_good_workbook_passes(book):
    before = snapshot(book)
    preflight(book)
    preflight(book, for_write=False)
    assert snapshot(book) == before
    assert no_temps(book.parent)


def test_xlsm_passes(tmp_path):
    path = tmp_path / "Macro.xlsm"
    wb = openpyxl.Workbook()
    wb.save(path)
    # openpyxl writes the plain content type; make it macro-enabled as Excel would.
    with zipfile.ZipFile(path) as zf:
        ct = zf.read("[Content_Types].xml").replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
    out = rezip(path, tmp_path / "Macro2.xlsm", replace={"[Content_Types].xml": ct})
    preflight(out)


# ---------------------------------------------------------------------------
# refusals: the file itself


def test_missing_file(tmp_path):
    err = refusal_of(tmp_path / "Nope.xlsx")
    assert "does not exist" in err.message and "check the file name" in err.message


def test_directory(tmp_path):
    folder = tmp_path / "Leads.xlsx"
    folder.mkdir()
    err = refusal_of(folder)
    assert "is a folder" in err.message


def test_empty_file(tmp_path):
    path = tmp_path / "Empty.xlsx"
    path.write_bytes(b"")
    err = refusal_of(path)
    assert "empty" in err.message and "fresh copy" in err.message


def test_random_bytes(tmp_path):
    path = tmp_path / "Random.xlsx"
    path.write_bytes(random.Random(1).randbytes(5000))
    before = snapshot(path)
    err = refusal_of(path)
    assert "not an Excel workbook" in err.message
    assert snapshot(path) == before


def test_text_file_with_excel_name(tmp_path):
    path = tmp_path / "Notes.xlsx"
    path.write_text("hello, this is not a workbook\n")
    err = refusal_of(path)
    assert "is a text file" in err.message and "Save As Excel Workbook (.xlsx)" in err.message


@pytest.mark.parametrize("name", ["leads.csv", "leads.tsv"])
def test_csv(tmp_path, name):
    path = tmp_path / name
    path.write_text("Lead ID,Company,Stage\nL-1,Acme,Proposal\n", encoding="utf-8")
    before = snapshot(path)
    err = refusal_of(path)
    assert "CSV" in err.message
    assert "Save As Excel Workbook (.xlsx)" in err.message and "import it into the Leads sheet" in err.message
    assert snapshot(path) == before


def test_csv_in_gbk(tmp_path):
    path = tmp_path / "线索.csv"
    path.write_bytes("线索编号,公司\nL-1,华为\n".encode("gbk"))
    assert "CSV" in refusal_of(path).message


def test_html_saved_as_xls(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<html><body><table><tr><td>L-1</td></tr></table></body></html>")
    err = refusal_of(path)
    assert "web page" in err.message and "Save As Excel Workbook (.xlsx)" in err.message


def test_old_xls(tmp_path):
    path = tmp_path / "Old.xls"
    path.write_bytes(make_cfb({"Workbook": b"\x09\x08" + b"\0" * 100}))
    before = snapshot(path)
    err = refusal_of(path)
    assert "Excel 97-2003 (.xls)" in err.message
    assert "Save As Excel Workbook (.xlsx) or Excel Macro-Enabled Workbook (.xlsm)" in err.message
    assert snapshot(path) == before


def test_encrypted_ooxml_handmade(tmp_path):
    path = tmp_path / "Secret.xlsx"
    path.write_bytes(make_cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"x" * 10}))
    err = refusal_of(path)
    assert "password-protected" in err.message
    assert "File > Info > Protect Workbook" in err.message


def test_encrypted_ooxml_real(tmp_path, book):
    pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    path = tmp_path / "Locked.xlsx"
    with open(book, "rb") as f, open(path, "wb") as out:
        OOXMLFile(f).encrypt("s3cret", out)
    before = snapshot(path)
    err = refusal_of(path)
    assert "password-protected" in err.message and "remove the password" in err.message
    assert snapshot(path) == before


def test_broken_ole(tmp_path):
    path = tmp_path / "Broken.xls"
    path.write_bytes(make_cfb({"Workbook": b"x"})[:700])
    assert "damaged" in refusal_of(path).message


def test_xlsb(tmp_path):
    path = tmp_path / "Binary.xlsb"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/xl/workbook.bin" '
            'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        )
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    err = refusal_of(path)
    assert "Excel Binary Workbook (.xlsb)" in err.message
    assert "Save As Excel Workbook (.xlsx)" in err.message


def test_ods(tmp_path):
    path = tmp_path / "Calc.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    err = refusal_of(path)
    assert "OpenDocument spreadsheet (.ods)" in err.message
    assert "Excel Workbook (.xlsx)" in err.message


def test_word_document(tmp_path, book):
    path = tmp_path / "Letter.xlsx"
    with zipfile.ZipFile(book) as zf:
        ct = zf.read("[Content_Types].xml").replace(
            b"spreadsheetml.sheet.main+xml", b"wordprocessingml.document.main+xml"
        )
    rezip(book, path, replace={"[Content_Types].xml": ct})
    assert "Word document" in refusal_of(path).message


def test_plain_zip(tmp_path):
    path = tmp_path / "Archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hi")
    assert "zip archive, not an Excel workbook" in refusal_of(path).message


# ---------------------------------------------------------------------------
# refusals: damaged zips


def test_truncated_zip(tmp_path, book):
    path = tmp_path / "Cut.xlsx"
    data = book.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    before = snapshot(path)
    err = refusal_of(path)
    assert "damaged or incomplete" in err.message and "fresh copy" in err.message
    assert snapshot(path) == before


def test_bad_crc(tmp_path):
    src = make_xlsx(tmp_path / "Src.xlsx", marker="CRCMARK")
    path = rezip(src, tmp_path / "Crc.xlsx", compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.find(b"CRCMARK")
    assert at > 0
    data[at] = ord("X")
    path.write_bytes(bytes(data))
    err = refusal_of(path)
    assert "damaged" in err.message and "CRC" in err.detail


def test_bad_crc_in_a_binary_part(tmp_path, book):
    path = rezip(book, tmp_path / "Media.xlsx", add={"xl/media/image1.bin": b"IMGDATA" * 100},
                 compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[data.find(b"IMGDATA") + 3] ^= 0xFF
    path.write_bytes(bytes(data))
    assert "CRC" in refusal_of(path).detail
    preflight(path, limits=Limits(verify_crc=False))  # the cheap mode skips non-XML parts


@pytest.mark.parametrize("part", ["xl/workbook.xml", "[Content_Types].xml"])
def test_missing_required_part(tmp_path, book, part):
    path = rezip(book, tmp_path / "Missing.xlsx", drop={part})
    err = refusal_of(path)
    assert "damaged" in err.message or "not an Excel workbook" in err.message


def test_malformed_workbook_xml(tmp_path, book):
    path = rezip(book, tmp_path / "Bad.xlsx", replace={"xl/workbook.xml": b"<workbook><sheets>"})
    assert "damaged" in refusal_of(path).message


def test_duplicate_member(tmp_path, book):
    path = tmp_path / "Dup.xlsx"
    rezip(book, path)
    with pytest.warns(UserWarning):
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr("xl/workbook.xml", b"<workbook/>")
    assert "duplicate" in refusal_of(path).detail


# ---------------------------------------------------------------------------
# refusals: zip bombs and XML entity tricks


def zeros_book(tmp_path, book, declared: int | None = None) -> Path:
    """The book plus xl/media/zeros.bin: 60 MB of zeros that deflate to ~60 KB (1000:1). With
    ``declared``, its zip headers claim that size (and the CRC-32 of its first bytes) instead."""
    from tests.reliability.corpus import deflate_repeated, understated_member

    path = tmp_path / "Bomb.xlsx"
    rezip(book, path)
    if declared is None:
        zi = zipfile.ZipInfo("xl/media/zeros.bin")
        zi.compress_type = zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(path, "a") as zf, zf.open(zi, "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(60):
                f.write(chunk)
        return path
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/media/zeros.bin", b"")
    stream = deflate_repeated(b"", b"\0" * (1 << 20), 60, b"")
    return understated_member(path, tmp_path / "Lying.xlsx", "xl/media/zeros.bin", stream, b"\0" * declared)


def test_high_packing_ratio_is_measured_not_refused(tmp_path, book):
    # 60 MB of zeros packed 1000:1 is what the zip says it is: a size, not a bomb.
    path = zeros_book(tmp_path, book)
    assert path.stat().st_size < 1_000_000
    preflight(path)
    preflight(path, crc_later=True).wait()


def test_zip_bomb_understated_size(tmp_path, book):
    # The same member, its headers claiming 1 MB: refused once 1 MB has been inflated, in both modes.
    path = zeros_book(tmp_path, book, declared=1 << 20)
    with zipfile.ZipFile(path) as zf:
        assert len(zf.read("xl/media/zeros.bin")) == 1 << 20  # zipfile sees nothing wrong
    before = snapshot(path)
    t0 = time.monotonic()
    err = refusal_of(path)
    assert time.monotonic() - t0 < 2
    assert "'zip bomb'" in err.message and "xl/media/zeros.bin" in err.message
    assert "unpacks to more than the 1.0 MB its zip header declares" in err.message
    pending = preflight(path, for_write=False, crc_later=True)
    with pytest.raises(Refusal) as info:
        pending.ready()  # what a reader waits for before calamine opens the workbook
    assert info.value.message == err.message
    with pytest.raises(Refusal):
        pending.wait()
    assert snapshot(path) == before


def test_zip_bomb_total(tmp_path, book):
    limits = Limits(max_total_uncompressed=10_000)
    err = refusal_of(book, limits=limits)
    assert "would unpack to" in err.message and "split it into smaller workbooks" in err.message


def test_entity_expansion_in_workbook_xml(tmp_path, book):
    path = rezip(book, tmp_path / "Laughs.xlsx", replace={"xl/workbook.xml": BILLION_LAUGHS})
    before = snapshot(path)
    err = refusal_of(path)
    assert "document type or entity declaration" in err.message and "xl/workbook.xml" in err.message
    assert "save it again" in err.message
    assert snapshot(path) == before


def test_doctype_in_a_sheet_part(tmp_path, book):
    with zipfile.ZipFile(book) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    evil = b"<?xml version=\"1.0\"?><!DOCTYPE worksheet [<!ENTITY e \"x\">]>" + sheet
    path = rezip(book, tmp_path / "Sheet.xlsx", replace={"xl/worksheets/sheet1.xml": evil})
    assert "xl/worksheets/sheet1.xml" in refusal_of(path).message


def test_safe_parse():
    root = safe_parse(b'<a xmlns="urn:x"><b>1 &amp; 2</b></a>')
    assert root[0].text == "1 & 2"
    for evil in (BILLION_LAUGHS, XXE):
        with pytest.raises(Refusal) as info:
            safe_parse(evil, path="B.xlsx", part="xl/workbook.xml")
        assert "'B.xlsx'" in info.value.message and info.value.exit_code == 2
    with pytest.raises(Refusal):
        safe_parse(b"<a><b></a>")


def test_safe_iterparse():
    tags = [el.tag for _, el in safe_iterparse(io.BytesIO(b"<a><b/><c/></a>"))]
    assert tags == ["b", "c", "a"]
    with pytest.raises(Refusal):
        list(safe_iterparse(io.BytesIO(BILLION_LAUGHS)))


def test_safe_parse_lxml():
    assert safe_parse_lxml(b"<a><b/></a>")[0].tag == "b"
    for evil in (BILLION_LAUGHS, XXE):
        with pytest.raises(Refusal):
            safe_parse_lxml(evil, path="B.xlsx")


# ---------------------------------------------------------------------------
# refusals: open in Excel, read-only, folder


def test_owner_file_names():
    names = [p.name for p in owner_files("/x/SalesPipeline.xlsm")]
    assert names == ["~$SalesPipeline.xlsm", "~$lesPipeline.xlsm", ".~lock.SalesPipeline.xlsm#"]


@pytest.mark.parametrize("lock", ["~$Book.xlsx", "~$ok.xlsx"])
def test_open_in_excel(book, lock):
    owner = book.with_name(lock)
    owner.write_bytes(bytes([4]) + b"jane".ljust(53, b" ") + b"\0" * 108)
    before = snapshot(book)
    err = refusal_of(book)
    assert "is open in Excel by jane" in err.message
    assert "close it there" in err.message and "--force" in err.message
    preflight(book, force=True)
    preflight(book, for_write=False)  # reading an open workbook is fine
    assert snapshot(book) == before


def test_open_in_libreoffice(book):
    book.with_name(".~lock.Book.xlsx#").write_text(",Li Wei,host,22.11.2026 10:00,file:///x;")
    assert "open in LibreOffice by Li Wei" in refusal_of(book).message


def test_read_only_file(book):
    book.chmod(0o444)
    before = snapshot(book)
    err = refusal_of(book)
    assert "is read-only" in err.message and "--output" in err.message
    preflight(book, for_write=False)
    assert snapshot(book) == before


def test_read_only_folder(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = make_xlsx(folder / "Book.xlsx")
    folder.chmod(0o555)
    try:
        err = refusal_of(path)
        assert "folder" in err.message and "read-only" in err.message and "--output" in err.message
        preflight(path, for_write=False)
    finally:
        folder.chmod(0o755)


def test_folder_rejects_temp_file(book, monkeypatch):
    def deny(folder, name):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic, "create_temp", deny)
    err = refusal_of(book)
    assert "folder" in err.message and "move the workbook" in err.message


def test_no_disk_space(book, monkeypatch):
    monkeypatch.setattr(locks.shutil, "disk_usage", lambda p: type("U", (), {"free": 10})())
    assert "not enough free disk space" in refusal_of(book).message


def test_preflight_output(tmp_path, book):
    preflight_output(tmp_path / "new.xlsx")
    preflight_output(book)
    with pytest.raises(Refusal) as info:
        preflight_output(tmp_path / "nowhere" / "out.xlsx")
    assert "does not exist" in info.value.message
    book.chmod(0o444)
    with pytest.raises(Refusal, match="read-only"):
        preflight_output(book)


def test_refusal_pickles():
    err = Refusal("m", path="p", sheet="Leads", column="Stage", row=3, value="x", detail="d")
    back = pickle.loads(pickle.dumps(err))
    assert (back.message, back.path, back.sheet, back.column, back.row, back.value, back.detail) == (
        "m", "p", "Leads", "Stage", 3, "x", "d")
    assert back.exit_code == 2 and str(back) == "m"


# Any damage to a real workbook gives a Refusal, never a traceback.
_SAMPLE = io.BytesIO()
_wb = openpyxl.Workbook()
_wb.active.append(["Lead ID", "Company"])
_wb.save(_SAMPLE)
SAMPLE = _SAMPLE.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(0, len(SAMPLE)),
    flips=st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=3),
)
def test_damage_never_crashes(tmp_path, cut, flips):
    data = bytearray(SAMPLE)
    for at, byte in flips:
        data[at] = byte
    path = tmp_path / "Fuzz.xlsx"
    path.write_bytes(bytes(data[: max(cut, 1)]))
    try:
        preflight(path, for_write=False)
    except Refusal as err:
        assert err.exit_code == 2 and str(path) in err.message


# ---------------------------------------------------------------------------
# atomic writes


def write_workbook(marker):
    def write(tmp: Path):
        make_xlsx(tmp, marker=marker)
        return "done"
    return write


def test_atomic_write_replaces(book):
    book.chmod(0o640)
    assert atomic_write(book, write_workbook("NEW")) == "done"
    assert b"NEW" in zipfile.ZipFile(book).read("xl/worksheets/sheet1.xml")
    assert stat.S_IMODE(book.stat().st_mode) == 0o640
    assert no_temps(book.parent)
    assert not backup_path(book).exists()


def test_atomic_output_context_manager(book):
    with atomic_output(book) as tmp:
        assert tmp.parent == book.parent and tmp.name.startswith(".~salesbook-Book.xlsx-")
        make_xlsx(tmp, marker="CTX")
    assert b"CTX" in zipfile.ZipFile(book).read("xl/worksheets/sheet1.xml")
    assert no_temps(book.parent)


def test_backup_keeps_previous_version(book):
    first = snapshot(book)
    atomic_write(book, write_workbook("SECOND"), backup=True)
    bak = book.with_name("Book.bak.xlsx")
    assert backup_path(book) == bak and snapshot(bak) == first
    second = snapshot(book)
    atomic_write(book, write_workbook("THIRD"), backup=True)
    assert snapshot(bak) == second
    assert no_temps(book.parent)


def test_backup_falls_back_to_copy(book, monkeypatch):
    first = snapshot(book)

    def no_link(*a):
        raise OSError(errno.EPERM, "no hard links here")

    monkeypatch.setattr(atomic.os, "link", no_link)
    atomic_write(book, write_workbook("NEW"), backup=True)
    assert snapshot(backup_path(book)) == first


@pytest.mark.parametrize("exc", [ValueError("bug"), KeyboardInterrupt()])
def test_failure_leaves_target_untouched(book, exc):
    before = snapshot(book)

    def write(tmp):
        tmp.write_bytes(b"partial")
        raise exc

    with pytest.raises(type(exc)):
        atomic_write(book, write, backup=True)
    assert snapshot(book) == before
    assert no_temps(book.parent) and not backup_path(book).exists()


def test_disk_full_midway(book):
    before = snapshot(book)

    def write(tmp):
        with open(tmp, "wb") as f:
            f.write(b"PK\x03\x04" + b"\0" * 10_000)
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(Refusal) as info:
        atomic_write(book, write)
    err = info.value
    assert "disk is full" in err.message and "was not changed" in err.message and str(book) in err.message
    assert err.exit_code == 2
    assert snapshot(book) == before
    assert no_temps(book.parent)


def test_incomplete_workbook_is_not_put_in_place(book):
    before = snapshot(book)
    with pytest.raises(Refusal) as info:
        atomic_write(book, lambda tmp: tmp.write_bytes(b"PK\x03\x04 truncated"))
    assert "was not changed" in info.value.message
    assert snapshot(book) == before and no_temps(book.parent)


def test_output_to_new_path(tmp_path, book):
    book.chmod(0o600)
    out = tmp_path / "out" / "Result.xlsx"
    out.parent.mkdir()
    before = snapshot(book)
    atomic_write(out, write_workbook("OUT"), like=book)
    assert out.exists() and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert snapshot(book) == before
    assert no_temps(out.parent)


def test_symlinked_target_stays_a_link(tmp_path, book):
    link = tmp_path / "Link.xlsx"
    link.symlink_to(book)
    atomic_write(link, write_workbook("VIA LINK"))
    assert link.is_symlink()
    assert b"VIA LINK" in zipfile.ZipFile(book).read("xl/worksheets/sheet1.xml")


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_clean_stale_temps(tmp_path):
    dead = tmp_path / f".~salesbook-Book.xlsx-{dead_pid()}-0123abcd.tmp"
    mine_stale = tmp_path / f".~salesbook-Book.xlsx-{os.getpid()}-89abcdef.tmp"
    alive = tmp_path / f".~salesbook-Book.xlsx-{os.getppid()}-00000000.tmp"
    other = tmp_path / f".~salesbook-Other.xlsx-{dead_pid()}-11111111.tmp"
    unrelated = tmp_path / "~$Book.xlsx"
    for p in (dead, mine_stale, alive, other, unrelated):
        p.write_bytes(b"x")
    removed = clean_stale_temps(tmp_path, "Book.xlsx")
    assert sorted(removed) == sorted([dead, mine_stale])
    assert alive.exists() and other.exists() and unrelated.exists()
    old = time.time() - 2 * atomic.STALE_TEMP_AGE
    os.utime(alive, (old, old))
    assert set(clean_stale_temps(tmp_path)) == {alive, other}


def test_sigkill_midway_leaves_old_bytes(tmp_path, book):
    before = snapshot(book)
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import time, pathlib
        from salesbook.atomic import atomic_write
        def write(tmp):
            with open(tmp, "wb") as f:
                f.write(b"PK" + b"half written" * 1000)
                f.flush()
                pathlib.Path({str(ready)!r}).write_text("1")
                time.sleep(60)
        atomic_write({str(book)!r}, write, backup=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, "writer exited early"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert snapshot(book) == before
    assert not no_temps(book.parent)  # the killed run's temp is left behind ...
    atomic_write(book, write_workbook("NEXT"))  # ... and the next write cleans it up
    assert no_temps(book.parent)
