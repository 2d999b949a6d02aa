"""The hostile corpus: one builder per case, each writing its file with code
(XlsxWriter, openpyxl, zipfile, msoffcrypto) into a folder the test gives it.

Nothing binary is committed. Every builder returns the path of the file to hand
to the CLI. The readers that check the results (openpyxl, python-calamine,
zipfile) are not salesbook's reader.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import xlsxwriter

TODAY = dt.date(2026, 11, 18)  # a Wednesday
D = dt.date

HEADERS = ["Lead ID", "Company", "Contact", "Email", "Phone", "Owner", "Source", "Stage", "Lost At Stage",
           "Budget", "Authority", "Need", "Timeline", "Deal Value", "Created", "Last Contact", "Unanswered",
           "Stage Since", "Close Date", "Scheduled", "Snooze Until"]
COL = {h: i for i, h in enumerate(HEADERS)}  # 0-based column of each header
DATE_HEADERS = ("Created", "Last Contact", "Stage Since", "Close Date", "Scheduled", "Snooze Until")
OUTPUT_HEADERS = ["Grade", "Score", "Grade Reason", "Grade Change", "Next Follow-up", "Follow-up Status",
                  "Stale", "Stale Reason"]


def letter(col0: int) -> str:
    """0 -> 'A'."""
    n, s = col0 + 1, ""
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def lead(lead_id: str, company: str, **kw) -> list:
    """A full row of HEADERS; keyword names are headers with spaces as underscores."""
    row = {h: None for h in HEADERS}
    row.update({"Lead ID": lead_id, "Company": company, "Owner": "Zoe", "Stage": "Proposal",
                "Created": D(2026, 10, 1), "Last Contact": D(2026, 11, 16)})
    for k, v in kw.items():
        row[k.replace("_", " ")] = v
    return [row[h] for h in HEADERS]


GOOD_ROWS = [
    lead("L-001", "Acme Corp", Contact="Ann Lee", Email="ann@acme.com", Stage="Proposal", Budget="Confirmed",
         Authority="Decision maker", Need="Clear", Timeline=D(2026, 12, 20), Deal_Value=50000,
         Stage_Since=D(2026, 11, 1)),
    lead("L-002", "Beta Ltd", Contact="Bob Ray", Email="bob@beta.com", Stage="Qualification", Budget="Pending",
         Authority="Influencer", Need="Clear", Timeline="3-6 months", Deal_Value=20000, Stage_Since=D(2026, 11, 10)),
    lead("L-003", "Gamma Inc", Contact="Cy Wu", Owner="Yan", Stage="Prospecting", Deal_Value=5000,
         Created=D(2026, 8, 1), Last_Contact=D(2026, 8, 20), Unanswered=3),
    lead("L-004", "Delta", Contact="Di Ko", Owner="Yan", Stage="Needs Assessment", Budget="None",
         Authority="User", Need="Mismatch", Timeline=">12 months", Deal_Value=1000, Created=D(2026, 10, 20),
         Last_Contact=D(2026, 11, 17), Stage_Since=D(2026, 11, 1)),
    lead("L-005", "Eps", Contact="Ed Po", Owner="Yan", Stage="Closed Won", Budget="Confirmed",
         Authority="Decision maker", Need="Clear", Timeline="≤3 months", Deal_Value=80000, Created=D(2026, 3, 1),
         Last_Contact=D(2026, 10, 1), Stage_Since=D(2026, 10, 1), Close_Date=D(2026, 10, 1)),
    lead("L-006", "Eta", Contact="Eve", Stage="Negotiation", Budget="Confirmed", Authority="Influencer",
         Need="Clear", Timeline="≤3 months", Deal_Value=40000, Created=D(2026, 7, 1), Last_Contact=D(2026, 8, 1),
         Stage_Since=D(2026, 8, 1), Scheduled=D(2026, 11, 25)),
]


def _xw_write_rows(wb, ws, rows, first_row: int = 1) -> None:
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i, r in enumerate(rows, start=first_row):
        if r is None:
            continue
        for j, v in enumerate(r):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
            else:
                ws.write(i, j, v)


def good_book(path: Path, rows=GOOD_ROWS, *, headers=HEADERS, table: bool = True, sheet: str = "Leads") -> Path:
    """A small, valid lead workbook (an Excel Table named Leads unless ``table`` is False)."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime(2026, 1, 1)})
    ws = wb.add_worksheet(sheet)
    if table:
        ws.add_table(0, 0, len(rows), len(headers) - 1,
                     {"name": "Leads", "columns": [{"header": h} for h in headers]})
    else:
        ws.write_row(0, 0, headers)
    _xw_write_rows(wb, ws, rows)
    wb.close()
    return path


# --------------------------------------------------------------------------- refusals: the file itself


def not_a_workbook(folder: Path) -> Path:
    """A PNG image saved with an .xlsx name."""
    path = folder / "Pipeline.xlsx"
    path.write_bytes(tiny_png() + bytes(range(256)) * 8)
    return path


def truncated_zip(folder: Path) -> Path:
    """A good workbook cut off at 60% (an interrupted download)."""
    path = good_book(folder / "Pipeline.xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    return path


def corrupt_member(folder: Path) -> Path:
    """A complete zip whose Leads sheet data is damaged (bytes flipped in the deflate stream)."""
    path = good_book(folder / "Pipeline.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    # local header: 30 bytes + name + extra; damage the middle of the compressed data
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26: info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    mid = start + info.compress_size // 2
    for k in range(mid, mid + 16):
        data[k] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def old_xls(folder: Path) -> Path:
    """An Excel 97-2003 file: an OLE compound file with a BIFF8 'Workbook' stream."""
    from salesbook.builder.cfb import Storage, write_compound_file

    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    eof = struct.pack("<HH", 0x000A, 0)
    path = folder / "Pipeline.xls"
    path.write_bytes(write_compound_file(Storage({"Workbook": bof + eof})))
    return path


def csv_file(folder: Path) -> Path:
    """The leads exported as CSV."""
    path = folder / "Pipeline.csv"
    lines = [",".join(HEADERS)]
    for r in GOOD_ROWS:
        lines.append(",".join("" if v is None else str(v) for v in r))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def password_protected(folder: Path) -> Path:
    """A good workbook encrypted with a password by msoffcrypto-tool (Agile encryption, as Excel does)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = good_book(folder / "plain.tmpbook")
    path = folder / "Pipeline.xlsx"
    with open(plain, "rb") as src, open(path, "wb") as out:
        OOXMLFile(src).encrypt("s3cret", out)
    plain.unlink()
    return path


def xlsb_file(folder: Path) -> Path:
    """An Excel Binary Workbook: a zip whose main part is xl/workbook.bin."""
    path = folder / "Pipeline.xlsb"
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.bin" '
          'ContentType="application/vnd.ms-excel.worksheet"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.bin"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00\x80\x01\x00\x84\x01\x00")  # BrtBeginBook ... BrtEndBook
        zf.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00\x82\x01\x00")
    return path


def ods_file(folder: Path) -> Path:
    """An OpenDocument spreadsheet (LibreOffice's own format), minimal but valid."""
    path = folder / "Pipeline.ods"
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="Leads"><table:table-row>'
               + "".join(f'<table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>'
                         for h in HEADERS[:8])
               + '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


# --------------------------------------------------------------------------- refusals: hostile packages


def _rezip(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
    return dst


BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE worksheet [\n'
    ' <!ENTITY lol "lol">\n'
    ' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    ' <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">\n'
    ' <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">\n'
    ' <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">\n'
    ' <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">\n'
    ' <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">\n'
    ' <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">\n'
    ']>\n'
)


def entity_in_sheet(folder: Path) -> Path:
    """A billion-laughs DTD in the Leads sheet part, used in an inline-string cell."""
    src = good_book(folder / "plain.tmpbook")
    with zipfile.ZipFile(src) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    body = sheet.split("?>", 1)[1] if sheet.startswith("<?xml") else sheet
    body = body.replace("<sheetData>", '<sheetData><row r="100"><c r="A100" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1)
    path = _rezip(src, folder / "Pipeline.xlsx", {"xl/worksheets/sheet1.xml": (BILLION_LAUGHS + body).encode()})
    src.unlink()
    return path


def external_entity_in_shared_strings(folder: Path) -> Path:
    """An XXE: the shared strings part declares an external entity reading /etc/passwd."""
    src = good_book(folder / "plain.tmpbook")
    with zipfile.ZipFile(src) as zf:
        sst = zf.read("xl/sharedStrings.xml").decode()
    body = sst.split("?>", 1)[1]
    body = body.replace("<t>Acme Corp</t>", "<t>&xxe;</t>")
    hostile = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + body)
    path = _rezip(src, folder / "Pipeline.xlsx", {"xl/sharedStrings.xml": hostile.encode()})
    src.unlink()
    return path


BOMB_GB = 3  # what the crafted Leads sheet part really inflates to


def deflate_repeated(head: bytes, block: bytes, times: int, tail: bytes) -> bytes:
    """A raw deflate stream of ``head + block * times + tail`` built in milliseconds: the block is
    compressed once and its compressed bytes repeated (a full flush before and after it makes each
    copy independent of what precedes it)."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = z.compress(head) + z.flush(zlib.Z_FULL_FLUSH)
    middle = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    return start + middle * times + z.compress(tail) + z.flush()


def patch_member(path: Path, name: str, *, method: int | None = None, crc: int | None = None,
                 file_size: int | None = None) -> None:
    """Overwrite a member's compression method, CRC-32 and uncompressed size in its local header
    and in the central directory (what a crafted zip does; the data stays as it is)."""
    data = bytearray(path.read_bytes())
    raw = name.encode()
    found = 0
    for sig, at_method, at_crc, at_size, at_name_len, at_name in ((b"PK\x03\x04", 8, 14, 22, 26, 30),
                                                                  (b"PK\x01\x02", 10, 16, 24, 28, 46)):
        at = data.find(sig)
        while at >= 0:
            n = struct.unpack("<H", data[at + at_name_len: at + at_name_len + 2])[0]
            if data[at + at_name: at + at_name + n] == raw:
                if method is not None:
                    data[at + at_method: at + at_method + 2] = struct.pack("<H", method)
                if crc is not None:
                    data[at + at_crc: at + at_crc + 4] = struct.pack("<I", crc)
                if file_size is not None:
                    data[at + at_size: at + at_size + 4] = struct.pack("<I", file_size)
                found += 1
                break
            at = data.find(sig, at + 4)
    assert found == 2, name
    path.write_bytes(bytes(data))


def understated_member(src: Path, dst: Path, name: str, raw_deflate: bytes, declared: bytes) -> Path:
    """Copy ``src`` to ``dst`` with member ``name`` holding ``raw_deflate`` (a raw deflate stream)
    while its zip headers declare the size and CRC-32 of ``declared``, the stream's first bytes:
    Python's zipfile reads those and finds nothing wrong; the stream goes on."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == name:  # stored as is, then marked deflated
                zi = zipfile.ZipInfo(name, date_time=info.date_time)
                zout.writestr(zi, raw_deflate, compress_type=zipfile.ZIP_STORED)
            else:
                zout.writestr(info, zin.read(info))
    patch_member(dst, name, method=zipfile.ZIP_DEFLATED, crc=zlib.crc32(declared), file_size=len(declared))
    return dst


def zip_bomb(folder: Path, part: str = "xl/worksheets/sheet1.xml", gigabytes: float = BOMB_GB) -> Path:
    """A crafted workbook: a part (the Leads sheet by default) inflates to 3 GB, but its zip headers
    declare the original part's few KB, with the CRC-32 of those first bytes. A reader that inflates
    to the end of the deflate stream (fastexcel does) materialises 3 GB of XML. ~10 MB, built in < 1 s.

    A sheet gets rows of 21 numbers before ``</sheetData>``; the shared strings get items before
    ``</sst>``; any other part gets spaces at its end.
    """
    src = good_book(folder / "plain.tmpbook")
    with zipfile.ZipFile(src) as zf:
        original = zf.read(part)
    if part.startswith("xl/worksheets/"):
        head, tail = original.split(b"</sheetData>", 1)
        tail, unit = b"</sheetData>" + tail, b"<row>" + b"<c><v>1</v></c>" * 21 + b"</row>"
    elif part == "xl/sharedStrings.xml":
        head, tail = original.split(b"</sst>", 1)
        tail, unit = b"</sst>" + tail, b"<si><t>zip bomb</t></si>"
    else:
        head, tail, unit = original, b"", b" "
    block = unit * ((1 << 20) // len(unit))
    times = int(gigabytes * 1024)
    stream = deflate_repeated(head, block, times, tail)
    path = understated_member(src, folder / "Pipeline.xlsx", part, stream, (head + block)[: len(original)])
    src.unlink()
    return path


def zip_bomb_declared(folder: Path) -> Path:
    """A zip whose central directory claims a 3.5 GB sheet (a forged size: the cheap bomb)."""
    path = good_book(folder / "Pipeline.xlsx")
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    at = data.find(b"PK\x01\x02")  # the first central directory header
    while at >= 0:
        n = struct.unpack("<H", data[at + 28: at + 30])[0]
        if data[at + 46: at + 46 + n] == name:
            data[at + 24: at + 28] = struct.pack("<I", 3_500_000_000)  # uncompressed size
            break
        at = data.find(b"PK\x01\x02", at + 4)
    assert at >= 0
    path.write_bytes(bytes(data))
    return path


# --------------------------------------------------------------------------- refusals: the lead table


def no_lead_table(folder: Path) -> Path:
    """A real workbook with a budget sheet and notes: nothing that looks like leads."""
    path = folder / "Pipeline.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws.append(["Quarter", "Region", "Amount"])
    ws.append(["Q1", "EMEA", 120000])
    wb.create_sheet("Notes").append(["Call Zoe about the offsite"])
    wb.save(path)
    return path


def missing_required_column(folder: Path) -> Path:
    """The Stage column is headed 'Sales Stge' (a typo): required column missing, closest match named."""
    headers = [h if h != "Stage" else "Sales Stge" for h in HEADERS]
    return good_book(folder / "Pipeline.xlsx", headers=headers)


def duplicate_headers(folder: Path) -> Path:
    """Two 'Owner' columns (F and V) in a plain range on sheet Leads."""
    headers = HEADERS + ["Owner"]
    rows = [r + ["Yan"] for r in GOOD_ROWS]
    return good_book(folder / "Pipeline.xlsx", rows=rows, headers=headers, table=False)


def open_in_excel(folder: Path) -> Path:
    """A good workbook with Excel's owner file '~$Pipeline.xlsx' beside it (user 'Zoe Chen')."""
    path = good_book(folder / "Pipeline.xlsx")
    user = "Zoe Chen".encode("cp1252")
    (folder / "~$Pipeline.xlsx").write_bytes(bytes([len(user)]) + user + b"\x00" * (54 - len(user)) +
                                             b"Z\x00o\x00e\x00" + b"\x00" * 100)
    return path


def read_only_file(folder: Path) -> Path:
    path = good_book(folder / "Pipeline.xlsx")
    path.chmod(0o444)
    return path


def read_only_folder(folder: Path) -> Path:
    sub = folder / "shared"
    sub.mkdir()
    path = good_book(sub / "Pipeline.xlsx")
    sub.chmod(0o555)
    return path


# --------------------------------------------------------------------------- bad cells


def error_cell(ws, row: int, col: int, error: str) -> None:
    """A real error cell: a formula whose cached value is the error (written as t="e")."""
    formula = {"#N/A": "=NA()", "#VALUE!": '="x"+1', "#DIV/0!": "=1/0", "#REF!": "=#REF!"}[error]
    ws.write_formula(row, col, formula, None, error)


# Excel rows of the bad-cells workbook (header on row 1)
BAD = {
    "good_a": 2,          # L-101: an A lead
    "bad_date": 3,        # Created '2026-02-30'
    "bad_stage": 4,       # Stage 'Negotation'
    "bad_bant": 5,        # Authority 'Decison maker'
    "neg_amount": 6,      # Deal Value -500
    "text_amount": 7,     # Deal Value 'lots'
    "neg_count": 8,       # Unanswered -1
    "text_count": 9,      # Unanswered 'three'
    "text_in_date": 10,   # Last Contact 'last Tuesday'
    "err_na": 11,         # Deal Value #N/A
    "err_value": 12,      # Budget #VALUE!
    "blank_1": 13,        # blank row
    "blank_2": 14,        # blank row
    "merged_top": 15,     # Stage merged over H15:H16 (the value in H15 only, as Excel keeps it)
    "merged_under": 16,
    "formula": 17,        # Stage, Budget and Deal Value are formulas with cached values (an A lead)
    "dup_id": 18,         # Lead ID L-101 again
    "good_b": 19,         # L-119: a B lead, last row
}


def bad_cells_book(path: Path) -> Path:
    """One plain-range lead sheet carrying every kind of bad cell (see BAD)."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Leads")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS)

    def base(excel_row: int, **kw) -> list:
        kw.setdefault("Contact", f"Person {excel_row}")
        kw.setdefault("Email", f"p{excel_row}@example.com")
        kw.setdefault("Budget", "Pending")
        kw.setdefault("Authority", "Influencer")
        kw.setdefault("Need", "Clear")
        kw.setdefault("Timeline", "3-6 months")
        kw.setdefault("Deal_Value", 10000)
        kw.setdefault("Unanswered", 0)
        kw.setdefault("Stage_Since", D(2026, 11, 1))
        return lead(f"L-{100 + excel_row - 1}", f"Company {excel_row}", **kw)

    rows = {
        BAD["good_a"]: base(2, Budget="Confirmed", Authority="Decision maker", Timeline=D(2026, 12, 20)),
        BAD["bad_date"]: base(3, Created="2026-02-30"),
        BAD["bad_stage"]: base(4, Stage="Negotation"),
        BAD["bad_bant"]: base(5, Authority="Decison maker"),
        BAD["neg_amount"]: base(6, Deal_Value=-500),
        BAD["text_amount"]: base(7, Deal_Value="lots"),
        BAD["neg_count"]: base(8, Unanswered=-1),
        BAD["text_count"]: base(9, Unanswered="three"),
        BAD["text_in_date"]: base(10, Last_Contact="last Tuesday"),
        BAD["err_na"]: base(11, Deal_Value=None),
        BAD["err_value"]: base(12, Budget=None),
        BAD["merged_top"]: base(15),
        BAD["merged_under"]: base(16, Stage=None),
        BAD["formula"]: base(17, Stage=None, Budget=None, Deal_Value=None, Authority="Decision maker",
                             Timeline=D(2026, 12, 20)),
        BAD["dup_id"]: base(18),
        BAD["good_b"]: base(19),
    }
    rows[BAD["dup_id"]][0] = "L-101"
    for excel_row, r in rows.items():
        for j, v in enumerate(r):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(excel_row - 1, j, dt.datetime.combine(v, dt.time()), date_fmt)
            else:
                ws.write(excel_row - 1, j, v)
    error_cell(ws, BAD["err_na"] - 1, COL["Deal Value"], "#N/A")
    error_cell(ws, BAD["err_value"] - 1, COL["Budget"], "#VALUE!")
    top, under = BAD["merged_top"], BAD["merged_under"]
    ws.merge_range(top - 1, COL["Stage"], under - 1, COL["Stage"], "Proposal")
    f = BAD["formula"] - 1
    ws.write_formula(f, COL["Stage"], '=IF(TRUE,"Proposal","Closed Lost")', None, "Proposal")
    ws.write_formula(f, COL["Budget"], '=IF(1>0,"Confirmed","None")', None, "Confirmed")
    ws.write_formula(f, COL["Deal Value"], "=6000*2", None, 12000)
    wb.close()
    return path


# --------------------------------------------------------------------------- every feature, for preservation


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


FEATURE_EXTRA = ["Value x2", "Tax", "My Note", "Link"]  # user columns right of the inputs


def feature_book(path: Path) -> Path:
    """A workbook carrying everything the add-in must not touch.

    Leads (an Excel Table) with user columns holding a structured-reference formula and a
    shared formula (rewritten to <f t="shared"> after XlsxWriter), styled cells, a comment,
    hyperlinks, data validation, conditional formatting, frozen panes; defined names; a Targets
    sheet with a second table; a Dashboard sheet with a chart and an image; a hidden sheet.
    """
    path = Path(path)
    tmp = path.with_suffix(".stage1")
    wb = xlsxwriter.Workbook(str(tmp))
    wb.set_properties({"created": dt.datetime(2026, 1, 1), "title": "Feature book"})
    ws = wb.add_worksheet("Leads")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd", "font_color": "#1F4E79"})
    money = wb.add_format({"num_format": "#,##0.00", "bg_color": "#FFF2CC", "border": 1})
    bold = wb.add_format({"bold": True, "italic": True, "font_name": "Georgia"})
    note_fmt = wb.add_format({"italic": True, "font_color": "#7030A0", "text_wrap": True})
    headers = HEADERS + FEATURE_EXTRA
    rows = [list(r) for r in GOOD_ROWS] + [
        lead(f"L-{i:03d}", f"Filler {i}", Stage="Initial Contact", Budget="Pending", Need="Identified",
             Deal_Value=1000 * i, Created=D(2026, 9, 1), Last_Contact=D(2026, 11, 1 + i % 15)) for i in range(7, 13)]
    n = len(rows)
    columns = [{"header": h} for h in HEADERS]
    columns[COL["Deal Value"]]["format"] = money
    columns[COL["Company"]]["format"] = bold
    for h in DATE_HEADERS:
        columns[COL[h]]["format"] = date_fmt
    columns += [{"header": "Value x2", "formula": "=[@[Deal Value]]*2", "format": money},
                {"header": "Tax"},  # becomes a shared formula below
                {"header": "My Note", "format": note_fmt},
                {"header": "Link"}]
    data = [r + [None, None, f"note {i}", None] for i, r in enumerate(rows)]
    ws.add_table(0, 0, n, len(headers) - 1, {"name": "Leads", "columns": columns, "data": data,
                                             "style": "Table Style Medium 4"})
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r):
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
    tax_col = len(HEADERS) + 1
    dv = COL["Deal Value"]
    for i, r in enumerate(rows, start=1):
        ws.write_formula(i, tax_col, f"={letter(dv)}{i + 1}*0.2", money, (r[dv] or 0) * 0.2)
    link_col = len(HEADERS) + 3
    for i in (1, 3):
        ws.write_url(i, link_col, f"https://crm.example.com/lead/{i}", string=f"CRM {i}")
    ws.write_url(2, link_col, "internal:Targets!A1", string="targets")
    ws.write_comment(1, COL["Company"], "Key account — call before Friday", {"author": "Zoe"})
    ws.write_comment(4, COL["Deal Value"], "Discount agreed", {"author": "Yan"})
    ws.data_validation(1, COL["Budget"], n, COL["Budget"],
                       {"validate": "list", "source": ["Confirmed", "Pending", "Unknown", "None"]})
    ws.data_validation(1, COL["Unanswered"], n, COL["Unanswered"],
                       {"validate": "integer", "criteria": ">=", "value": 0, "error_message": "0 or more"})
    red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    ws.conditional_format(1, dv, n, dv, {"type": "cell", "criteria": ">", "value": 30000, "format": red})
    ws.conditional_format(1, COL["Stage"], n, COL["Stage"],
                          {"type": "text", "criteria": "containing", "value": "Closed", "format": red})
    ws.freeze_panes(1, 2)
    ws.set_column(COL["Company"], COL["Company"], 24)
    ws.set_row(3, 28)
    ws.write(n + 3, 0, "Pipeline notes below the table", bold)
    ws.write_formula(n + 4, dv, f"=SUBTOTAL(109,{letter(dv)}2:{letter(dv)}{n + 1})", money,
                     sum(r[dv] or 0 for r in rows))

    tg = wb.add_worksheet("Targets")
    tg.add_table(0, 0, 2, 2, {"name": "Targets", "columns": [{"header": "Rep"}, {"header": "Quarter"},
                                                             {"header": "Target"}],
                              "data": [["Zoe", "Q4", 250000], ["Yan", "Q4", 180000]]})
    tg.write_formula(4, 2, "=SUM(Targets[Target])", money, 430000)

    dash = wb.add_worksheet("Dashboard")
    dash.write_row(0, 0, ["Rep", "Target"])
    dash.write_row(1, 0, ["Zoe", 250000])
    dash.write_row(2, 0, ["Yan", 180000])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Target", "categories": "=Dashboard!$A$2:$A$3", "values": "=Dashboard!$B$2:$B$3"})
    dash.insert_chart("D2", chart)
    dash.insert_image("D18", "logo.png", {"image_data": io.BytesIO(tiny_png())})

    hidden = wb.add_worksheet("Lists")
    hidden.write_column(0, 0, ["Website", "Referral", "Partner"])
    hidden.hide()

    wb.define_name("BigDeals", f"=Leads!${letter(dv)}$2:${letter(dv)}${n + 1}")
    wb.define_name("Sources", "=Lists!$A$1:$A$3")
    wb.define_name("Leads!LocalRate", "=0.2")
    wb.close()
    _share_formulas(tmp, path, tax_col, n)
    tmp.unlink()
    return path


def _share_formulas(src: Path, dst: Path, col0: int, n: int) -> None:
    """Rewrite column ``col0`` of the Leads sheet (rows 2..n+1) as one shared formula, as Excel saves a fill-down."""
    c = letter(col0)

    def repl(m: re.Match) -> str:
        row, attrs, formula = int(m.group(1)), m.group(2), m.group(3)
        f = f'<f t="shared" ref="{c}2:{c}{n + 1}" si="0">{formula}</f>' if row == 2 else '<f t="shared" si="0"/>'
        return f'<c r="{c}{row}"{attrs}>{f}'

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text, k = re.subn(rf'<c r="{c}(\d+)"([^>]*)><f>([^<]*)</f>', repl, data.decode())
                assert k == n, k
                data = text.encode()
            zout.writestr(info, data)


# --------------------------------------------------------------------------- huge sheets


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _minimal_package(zf: zipfile.ZipFile) -> None:
    zf.writestr("[Content_Types].xml",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                '</Types>')
    zf.writestr("_rels/.rels",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    zf.writestr("xl/workbook.xml",
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<workbook xmlns="{SHEET_NS}" xmlns:r="{REL_NS}"><sheets>'
                f'<sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>')
    zf.writestr("xl/_rels/workbook.xml.rels",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def _is(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


MAX_ROWS = 1_048_576
MAX_COLS = 16_384
_STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")


def million_rows_book(path: Path, rows: int = MAX_ROWS) -> Path:
    """A minimal xlsx whose Leads sheet fills every row Excel has (header + rows-1 leads),
    five columns of inline strings and numbers, generated row by row (streaming)."""
    path = Path(path)
    heads = ["Lead ID", "Company", "Owner", "Stage", "Created"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        _minimal_package(zf)
        zi = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2026, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(zi, "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{SHEET_NS}">'
                    f'<dimension ref="A1:E{rows}"/><sheetData>'.encode())
            f.write(('<row r="1">' + "".join(_is(f"{letter(j)}1", h) for j, h in enumerate(heads)) + "</row>")
                    .encode())
            buf = []
            for r in range(2, rows + 1):
                buf.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>L{r}</t></is></c>'
                           f'<c r="B{r}" t="inlineStr"><is><t>Co {r % 997}</t></is></c>'
                           f'<c r="C{r}" t="inlineStr"><is><t>Rep {r % 7}</t></is></c>'
                           f'<c r="D{r}" t="inlineStr"><is><t>{_STAGES[r % 4]}</t></is></c>'
                           f'<c r="E{r}"><v>{46000 + r % 300}</v></c></row>')
                if len(buf) == 20000:
                    f.write("".join(buf).encode())
                    buf.clear()
            f.write("".join(buf).encode())
            f.write(b"</sheetData></worksheet>")
    return path


def all_columns_book(path: Path, rows: int = 20) -> Path:
    """A Leads sheet whose header row uses all 16,384 columns (the five lead headers first,
    then 'Extra 6' ... 'Extra 16384'), and a few leads using the last column too."""
    path = Path(path)
    heads = ["Lead ID", "Company", "Owner", "Stage", "Created"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        _minimal_package(zf)
        zi = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2026, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(zi, "w", force_zip64=True) as f:
            last = letter(MAX_COLS - 1)
            f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{SHEET_NS}">'
                    f'<dimension ref="A1:{last}{rows + 1}"/><sheetData>'.encode())
            header = [_is(f"{letter(j)}1", h) for j, h in enumerate(heads)]
            header += [_is(f"{letter(j)}1", f"Extra {j + 1}") for j in range(len(heads), MAX_COLS)]
            f.write(('<row r="1">' + "".join(header) + "</row>").encode())
            for r in range(2, rows + 2):
                cells = [_is(f"A{r}", f"L{r}"), _is(f"B{r}", f"Co {r}"), _is(f"C{r}", "Zoe"),
                         _is(f"D{r}", _STAGES[r % 4]), f'<c r="E{r}"><v>46000</v></c>']
                cells += [f'<c r="{letter(j)}{r}"><v>{j}</v></c>' for j in range(len(heads), MAX_COLS, 97)]
                cells.append(f'<c r="{last}{r}"><v>1</v></c>')
                f.write((f'<row r="{r}">' + "".join(cells) + "</row>").encode())
            f.write(b"</sheetData></worksheet>")
    return path

