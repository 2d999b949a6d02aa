"""A CSV export as text rows: its encoding (UTF-8, UTF-8 with BOM, GB18030/GBK as Excel saves
CSV on Chinese Windows, UTF-16 with BOM) and its delimiter (, ; tab |) found from its bytes,
the rows read by the csv module. A file that is not text (a workbook renamed .csv, an image)
is refused, never read as mojibake."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from salesbook.errors import Refusal

DELIMITERS = ",;\t|"
_SAMPLE = 64 * 1024
_SIGNATURES = {b"PK\x03\x04": "a zip file (an .xlsx workbook?)", b"\xd0\xcf\x11\xe0": "an old Excel or Office file",
               b"%PDF": "a PDF", b"\x89PNG": "an image", b"\xff\xd8\xff": "an image", b"GIF8": "an image"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass
class CsvText:
    rows: list[list[str]]
    lines: list[int] | None  # the file line each row starts on; None when row i is line i + 1
    encoding: str
    delimiter: str


def _refuse_binary(path: Path, head: bytes) -> None:
    for sig, what in _SIGNATURES.items():
        if head.startswith(sig):
            raise Refusal(f"{path.name} is not a CSV file: it is {what}. Export the data as CSV (or give the "
                          f"workbook with its own .xlsx name), then run again.", path=path)
    probe = head[:8192]
    if any(probe.startswith(bom) for bom, enc in _BOMS if enc == "utf-16"):
        return
    controls = sum(probe.count(bytes([b])) for b in range(32) if b not in (9, 10, 13, 12))
    if b"\x00" in probe or controls > len(probe) // 100:
        offset = probe.find(b"\x00") if b"\x00" in probe else next(
            i for i, b in enumerate(probe) if b < 32 and b not in (9, 10, 12, 13))
        raise Refusal(f"{path.name} is not a CSV file: it holds binary data (byte {offset + 1} is "
                      f"0x{probe[offset]:02x}, which text never holds). Export the data from the CRM as CSV or "
                      f"Excel again, then run again.", path=path, value=f"0x{probe[offset]:02x}")


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: a BOM says it, else strict UTF-8, else GB18030
    (which reads GBK and GB2312). Refusal when none reads the bytes."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise _undecodable(path, data, exc, enc) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise _undecodable(path, data, exc, "UTF-8 or GB18030") from None


def _undecodable(path: Path, data: bytes, exc: UnicodeDecodeError, enc: str) -> Refusal:
    line = data.count(b"\n", 0, exc.start) + 1
    return Refusal(f"{path.name}, line {line}: the bytes {data[exc.start:exc.start + 4]!r} are not text in "
                   f"{enc}. Save the export as CSV UTF-8 (Excel: File > Save As > CSV UTF-8), then run again.",
                   path=path, row=line)


def delimiter_of(text: str) -> str:
    """The delimiter that splits the first lines into the same number of fields most often
    (csv.Sniffer's guess first); ',' for a one-column file."""
    sample = text[:_SAMPLE]
    lines = sample.splitlines()[:50]
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    best, best_score = ",", 0
    for d in ([sniffed] if sniffed else []) + [d for d in DELIMITERS if d != sniffed]:
        counts = [len(r) for r in csv.reader(lines, delimiter=d) if len(r) > 1]
        if not counts:
            continue
        width = max(set(counts), key=counts.count)
        score = counts.count(width) * (width > 1)
        if score > best_score:
            best, best_score = d, score
    return best


def read_csv(path: Path) -> CsvText:
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise Refusal(f"{path.name} is empty: it holds no rows. Export the data again, then run again.", path=path)
    _refuse_binary(path, data[:_SAMPLE])
    text, encoding = decode(path, data)
    delimiter = delimiter_of(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise Refusal(f"{path.name}, line {reader.line_num}: {exc}. Export the data again, then run again.",
                      path=path, row=reader.line_num) from None
    lines = None
    if reader.line_num != len(rows):  # a quoted cell spans lines: number rows by the line they start on
        lines, reader = [], csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        start = 1
        for _ in reader:
            lines.append(start)
            start = reader.line_num + 1
    return CsvText(rows, lines, encoding, delimiter)


__all__ = ["CsvText", "read_csv", "decode", "delimiter_of", "DELIMITERS"]
