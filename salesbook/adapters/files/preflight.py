"""Refuse unreadable or unsafe workbooks before anything is read or written: a regular, non-empty
file; not an OLE file (old .xls, password-protected, Word), text, a web page, .ods, .numbers or
.xlsb; a sound .xlsx/.xlsm package (its member table, sizes, CRCs and XML prologs:
:mod:`salesbook.adapters.files.zipguard`); and, to write it back, closed and writable
(:mod:`salesbook.adapters.files.locks`). Decisions: :mod:`salesbook.adapters.files.safety`."""

from __future__ import annotations

import posixpath
import stat
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Callable
from xml.etree.ElementTree import Element

from salesbook.adapters.files.locks import check_target_writable
from salesbook.adapters.files.ooxml import CT_WORKBOOKS, CT_XLSB
from salesbook.adapters.files.refusals import damaged, not_workbook, quoted, refusal
from salesbook.adapters.files.xmlsafe import local, safe_parse
from salesbook.adapters.files.zipguard import (
    DEFAULT_LIMITS,
    ZIP_ERRORS,
    MiB,
    Limits,
    PendingCrc,
    check_bomb,
    check_member_table,
    scan_members,
    take_early,
    worksheet_parts,
)
from salesbook.atomic import StrPath
from salesbook.errors import Refusal

__all__ = ["preflight", "preflight_output"]

ZIP_MAGIC = b"PK"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def preflight(
    path: StrPath,
    *,
    force: bool = False,
    for_write: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    crc_later: bool = False,
    scan: Callable[[str], object] | None = None,
) -> "PendingCrc | None":
    """Raise Refusal unless ``path`` is a readable, safe .xlsx/.xlsm workbook.

    With ``for_write`` (the results go back into this file) it must also be
    closed in Excel/LibreOffice (unless ``force``), not read-only, and its
    folder must accept a new file. With ``--output OUT`` call
    ``preflight(book, for_write=False)`` and ``preflight_output(OUT)``.
    With ``crc_later`` the member check runs in threads: the :class:`PendingCrc`
    returned must be waited for, and asked before a reader opens a part (see the
    module notes). ``scan(name)`` may give, per worksheet, an object whose
    ``feed(chunk)`` sees the worksheet's bytes in that thread (so a reader learns what
    it needs without inflating the part once more in its own).
    """
    p = Path(path)
    size = _check_regular_file(p)
    head = _read_head(p)
    pending = None
    if head.startswith(ZIP_MAGIC):
        pending = _check_ooxml(p, limits, crc_later=crc_later, scan=scan)
    elif head.startswith(OLE_MAGIC):
        raise _ole_refusal(p)
    else:
        raise _text_or_unknown_refusal(p, head)
    if for_write:
        try:
            check_target_writable(p, force=force, needed=size)
        except BaseException:
            if pending is not None:
                pending.wait()  # a damaged member is refused first, as without crc_later
            raise
    return pending


def preflight_output(path: StrPath, *, force: bool = False, needed: int = 0) -> None:
    """Raise Refusal unless salesbook can write ``path`` (an ``--output`` target).

    The file may not exist yet; if it does it must be a closed, writable
    regular file. ``needed`` is the expected size, for a free-space check.
    """
    p = Path(path)
    if p.exists() or p.is_symlink():
        _check_regular_file(p, allow_empty=True)
    else:
        folder = p.parent
        if not folder.is_dir():
            raise refusal(
                p,
                f"Cannot save {quoted(p)}: the folder '{folder}' does not exist; create it or choose "
                "another --output path.",
            )
    check_target_writable(p, force=force, needed=needed)


def _check_regular_file(p: Path, *, allow_empty: bool = False) -> int:
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise refusal(p, f"{quoted(p)} does not exist: check the file name and folder.") from None
    except PermissionError:
        raise _no_read(p) from None
    except OSError as exc:
        raise refusal(
            p, f"{quoted(p)} cannot be opened ({exc.strerror}): check the file name and folder.",
            repr(exc),
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise refusal(
            p, f"{quoted(p)} is a folder, not a workbook: give the path of the .xlsx or .xlsm file in it."
        )
    if not stat.S_ISREG(st.st_mode):
        raise refusal(
            p, f"{quoted(p)} is not a regular file: give the path of a workbook saved by Excel."
        )
    if st.st_size == 0 and not allow_empty:
        raise refusal(
            p,
            f"{quoted(p)} is empty (0 bytes), probably from an interrupted download or save: "
            "get a fresh copy of the workbook.",
        )
    return st.st_size


def _no_read(p: Path) -> Refusal:
    return refusal(
        p,
        f"{quoted(p)} cannot be read (permission denied): ask for access to the file or copy it "
        "to a folder of your own.",
    )


def _read_head(p: Path) -> bytes:
    try:
        with open(p, "rb") as f:
            return f.read(4096)
    except PermissionError:
        raise _no_read(p) from None
    except OSError as exc:
        raise refusal(
            p, f"{quoted(p)} cannot be read ({exc.strerror}): check the disk and try again.", repr(exc)
        ) from None


# --- not a zip: OLE compound files, text, anything else


def _ole_streams(p: Path) -> set[str]:
    """Lower-case stream names of an OLE compound file (olefile raises on broken files)."""
    try:
        import olefile
    except ImportError:  # pragma: no cover - olefile is a dependency; guess from the bytes
        with open(p, "rb") as f:
            data = f.read(64 * MiB)
        names = ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book", "WordDocument")
        return {n.lower() for n in names if n.encode("utf-16-le") in data}
    with olefile.OleFileIO(str(p)) as ole:
        return {"/".join(e).lower() for e in ole.listdir(streams=True, storages=True)}


def _ole_refusal(p: Path) -> Refusal:
    try:
        streams = _ole_streams(p)
    except Exception as exc:  # olefile raises assorted errors on broken files
        return damaged(p, f"OLE: {exc!r}")
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        return refusal(
            p,
            f"{quoted(p)} is password-protected: open it in Excel, remove the password under "
            "File > Info > Protect Workbook > Encrypt with Password, save it and run again.",
        )
    if "workbook" in streams or "book" in streams:
        return refusal(
            p,
            f"{quoted(p)} is an old Excel 97-2003 (.xls) file: open it in Excel and Save As "
            "Excel Workbook (.xlsx) or Excel Macro-Enabled Workbook (.xlsm).",
        )
    if "worddocument" in streams:
        return not_workbook(p, "a Word document, not an Excel workbook")
    return not_workbook(p)


def _text_or_unknown_refusal(p: Path, head: bytes) -> Refusal:
    text = _as_text(head)
    if text is None:
        return not_workbook(p)
    start = text.lstrip().lower()[:2048]
    if start.startswith(("<html", "<!doctype html", "<table")) or (
        start.startswith("<?xml") and ("urn:schemas-microsoft-com:office:spreadsheet" in start
                                       or "<html" in start)
    ):
        return refusal(
            p,
            f"{quoted(p)} is a web page or XML spreadsheet with an Excel name, not a real workbook: "
            "open it in Excel and Save As Excel Workbook (.xlsx).",
        )
    kind = "a CSV text file" if p.suffix.lower() in {".csv", ".tsv", ".tab"} else "a text file"
    return refusal(
        p,
        f"{quoted(p)} is {kind}, not an Excel workbook: open it in Excel and Save As Excel "
        "Workbook (.xlsx), or import it into the Leads sheet of the workbook.",
    )


def _as_text(head: bytes) -> str | None:
    """Decode the start of a file if it looks like text (any common encoding)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    if b"\x00" in head:
        return None
    controls = sum(1 for b in head if b < 0x09 or 0x0E <= b < 0x20 or b == 0x7F)
    if controls > len(head) // 100:
        return None
    return head.decode("utf-8", errors="replace")



def _check_ooxml(p: Path, limits: Limits, *, crc_later: bool = False, scan=None) -> "PendingCrc | None":
    later = crc_later and limits.verify_crc
    early = take_early(p, limits)
    if early is not None and not later:
        early.abandon()
        early = None
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            check_member_table(p, infos)
            check_bomb(p, infos, limits)
            types = _check_package(p, zf)
            scan_members(p, zf, infos, replace(limits, verify_crc=False) if later else limits)
    except BaseException as exc:
        if early is not None:
            early.abandon()
        if isinstance(exc, ZIP_ERRORS) and not isinstance(exc, Refusal):
            raise damaged(p, f"zip: {exc!r}") from None
        raise
    if early is not None:
        return early.adopt(scan)
    return PendingCrc(p, infos, scan, worksheets=worksheet_parts(types, infos)) if later else None


def _check_package(p: Path, zf: zipfile.ZipFile) -> Element:
    """Refuse zips that are not an .xlsx/.xlsm package; parse its key parts.
    Returns the parsed [Content_Types].xml."""
    names = {n.lower(): n for n in zf.namelist()}
    if "mimetype" in names:
        if b"opendocument.spreadsheet" in zf.read(names["mimetype"])[:200]:
            raise refusal(
                p,
                f"{quoted(p)} is an OpenDocument spreadsheet (.ods), which salesbook cannot read: "
                "open it in LibreOffice Calc or Excel and save it as an Excel Workbook (.xlsx).",
            )
        raise not_workbook(p, "an OpenDocument file, not an Excel workbook")
    if "[content_types].xml" not in names:
        if p.suffix.lower() == ".numbers" or "index/document.iwa" in names:
            raise refusal(
                p,
                f"{quoted(p)} is an Apple Numbers file: in Numbers choose File > Export To > Excel, "
                "then use the .xlsx file.",
            )
        raise not_workbook(p, "a zip archive, not an Excel workbook")
    types = safe_parse(zf.read(names["[content_types].xml"]), path=p, part="[Content_Types].xml")
    part = _main_part(p, zf, names)
    ctype = _content_type(types, part)
    if ctype == CT_XLSB or part.lower().endswith(".bin"):
        raise refusal(
            p,
            f"{quoted(p)} is an Excel Binary Workbook (.xlsb), which salesbook cannot read: open it "
            "in Excel and Save As Excel Workbook (.xlsx) or Excel Macro-Enabled Workbook (.xlsm).",
        )
    if ctype and ctype not in CT_WORKBOOKS:
        what = "a Word document" if "wordprocessingml" in ctype else (
            "a PowerPoint presentation" if "presentationml" in ctype else "an Office file")
        raise not_workbook(p, f"{what}, not an Excel workbook", ctype)
    if part.lower() not in names:
        raise damaged(p, f"missing {part}")
    root = safe_parse(zf.read(names[part.lower()]), path=p, part=part)
    if local(root.tag) != "workbook":
        raise damaged(p, f"{part} root is {root.tag}")
    return types


def _main_part(p: Path, zf: zipfile.ZipFile, names: dict[str, str]) -> str:
    """The workbook part named by the package relationships (xl/workbook.xml)."""
    rels = names.get("_rels/.rels")
    if rels is None:
        return "xl/workbook.xml"
    root = safe_parse(zf.read(rels), path=p, part="_rels/.rels")
    for rel in root:
        if rel.get("Type", "").endswith("/officeDocument"):
            target = posixpath.normpath(rel.get("Target", "").lstrip("/"))
            return target if target != "." else "xl/workbook.xml"
    return "xl/workbook.xml"


def _content_type(types: Element, part: str) -> str:
    """Content type of ``part`` from [Content_Types].xml ('' if none is declared)."""
    wanted = "/" + part.lower()
    ext = part.rsplit(".", 1)[-1].lower()
    default = ""
    for item in types:
        kind = local(item.tag)
        if kind == "Override" and item.get("PartName", "").lower() == wanted:
            return item.get("ContentType", "").lower()
        if kind == "Default" and item.get("Extension", "").lower() == ext:
            default = item.get("ContentType", "").lower()
    return default

