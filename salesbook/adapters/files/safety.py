"""Refuse unreadable or unsafe workbooks before anything is written, and
write files all-or-nothing.

Two entry points:

* ``preflight(path)`` raises :class:`salesbook.errors.Refusal` (exit code 2,
  a one-sentence message naming the file and what to do) for a file that
  salesbook must not touch: missing, a folder, empty, CSV/text, old .xls,
  password-protected, .xlsb/.ods/.numbers, a damaged zip, a zip bomb, XML
  with a DTD/entities, open in Excel, read-only, or in a folder we cannot
  write to. ``preflight_output(out)`` checks an ``--output`` target.
* ``atomic_output(path)`` / ``atomic_write(path, write_fn)`` write a temp file
  beside the target, fsync it and ``os.replace`` it onto the target, so the
  target holds either the old bytes or the complete new ones, even under
  SIGKILL. On any error the temp file is removed and the target is untouched.

Decisions:

* CRC and sizes: preflight inflates every zip member once, streaming, with its own
  reader (:func:`_inflate_member`), which checks the CRC-32 and counts the bytes
  the deflate stream really gives, whatever the zip headers say (measured: 0.09 s
  for a 100k-row, 7 MB workbook that unpacks to 76 MB; about 1.2 s per GB
  unpacked, which the size limit caps). That finds damaged files before anything
  is computed or written. It can be switched off with ``Limits(verify_crc=False)``.
  ``preflight(..., crc_later=True)`` (what ``salesbook run`` uses) checks the XML
  prologs at once but inflates the members in a thread, beside the read, and
  returns a :class:`PendingCrc`; the caller waits for it before computing anything,
  and lets a CRC refusal win over any error raised meanwhile, so the outcome is the
  one a plain preflight gives.
* Zip bombs: guarded on the bytes actually inflated, not on the packing ratio (a
  genuine 54 MB sheet packs 244:1). The sizes declared in the central directory
  must add up to at most ``max_total_uncompressed`` (checked at once), and each
  member is inflated with a running cap at its declared size: a member whose data
  gives more bytes than its header declares is refused the moment it does, after
  at most one chunk more. Python's zipfile never returns more than the declared
  size, but fastexcel's zip reader inflates a member to its end whatever the
  header says, so with ``crc_later`` a reader that uses another zip library must
  first call :meth:`PendingCrc.ready` for the members it will read: one thread
  checks every part but the worksheets (those a reader reads when it opens a
  workbook), another the worksheets. :func:`check_early` starts that check before
  the preflight (the CLI calls it while salesbook's imports run); the preflight
  takes it over only for the same, unchanged file.
* XML: every ``.xml``/``.rels`` part is scanned for ``<!DOCTYPE``/``<!ENTITY``
  in its prolog (Excel never writes either). Code that parses a part must
  still use :func:`safe_parse`, :func:`safe_iterparse` or
  :func:`safe_parse_lxml`.
"""

from __future__ import annotations

import errno
import os
import posixpath
import re
import secrets
import shutil
import stat
import struct
import threading
import time
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, TypeVar
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from salesbook.adapters.files.ooxml import CT_WORKBOOKS, CT_WORKSHEET, CT_XLSB
from salesbook.errors import Refusal

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "TEMP_PREFIX",
    "atomic_output",
    "atomic_write",
    "backup_path",
    "check_early",
    "clean_stale_temps",
    "owner_files",
    "preflight",
    "preflight_output",
    "safe_iterparse",
    "safe_parse",
    "safe_parse_lxml",
]

T = TypeVar("T")
StrPath = str | os.PathLike[str]

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken file from exhausting the machine."""

    max_total_uncompressed: int = 2 * GiB  # sum of member sizes (each one checked when inflated)
    verify_crc: bool = True  # inflate every member once to check its CRC-32 and its size (off: neither)


DEFAULT_LIMITS = Limits()

ZIP_MAGIC = b"PK"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TEMP_PREFIX = ".~salesbook-"
STALE_TEMP_AGE = 24 * 3600  # seconds; any temp older than this is stale

_HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_OOXML_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
_TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".txt"}



# ---------------------------------------------------------------------------
# Messages (one sentence each: the file, what is wrong, what to do)


def _q(path: StrPath | None) -> str:
    return f"'{os.fspath(path)}'" if path is not None else "The workbook"


def _refusal(path: StrPath | None, message: str, detail: str | None = None) -> Refusal:
    return Refusal(message, path=path, detail=detail)


def _damaged(path: StrPath, detail: str) -> Refusal:
    return _refusal(
        path,
        f"{_q(path)} is damaged or incomplete (it may have been cut off while copying or "
        "downloading): get a fresh copy, or open it in Excel, let Excel repair it and save it again.",
        detail,
    )


def _not_workbook(path: StrPath, what: str = "", detail: str | None = None) -> Refusal:
    what = what or "not an Excel workbook"
    return _refusal(
        path,
        f"{_q(path)} is {what}: choose the .xlsx or .xlsm workbook saved by Excel.",
        detail,
    )


def _unsafe_xml(path: StrPath | None, part: str | None, detail: str | None = None) -> Refusal:
    where = f" in {part}" if part else ""
    return _refusal(
        path,
        f"{_q(path)} contains an XML document type or entity declaration{where}, which Excel never "
        "writes and which can be used to attack the computer, so it was not opened: open the "
        "original in Excel and save it again as an Excel Workbook.",
        detail,
    )


def _fmt_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


# ---------------------------------------------------------------------------
# Safe XML parsing


def safe_parse(data: bytes, *, path: StrPath | None = None, part: str | None = None) -> Element:
    """Parse one XML part into an ElementTree root; DTDs and entities are refused.

    Raises Refusal (naming ``path`` and ``part`` when given) for a DOCTYPE,
    an entity declaration, an external reference or malformed XML.
    """
    try:
        return DefusedET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _unsafe_xml(path, part, repr(exc)) from None
    except ParseError as exc:
        raise _bad_xml(path, part, exc) from None


def safe_iterparse(source, events=("end",), *, path: StrPath | None = None, part: str | None = None):
    """Streaming variant of :func:`safe_parse` (``source`` is a file object or name)."""
    try:
        yield from DefusedET.iterparse(source, events=events, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _unsafe_xml(path, part, repr(exc)) from None
    except ParseError as exc:
        raise _bad_xml(path, part, exc) from None


def safe_parse_lxml(data: bytes, *, path: StrPath | None = None, part: str | None = None):
    """Parse one XML part with lxml without loading a DTD or expanding entities."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _bad_xml(path, part, exc) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise _unsafe_xml(path, part, f"DOCTYPE {info.doctype!r}")
    return root


def _bad_xml(path: StrPath | None, part: str | None, exc: Exception) -> Refusal:
    detail = f"{part or 'XML'}: {exc}"
    if path is None:
        return _refusal(
            None,
            "The workbook is damaged (a part of it is not valid XML): open it in Excel, "
            "let Excel repair it and save it again.",
            detail,
        )
    return _damaged(path, detail)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# ---------------------------------------------------------------------------
# Preflight


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
            _check_target_writable(p, force=force, needed=size)
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
            raise _refusal(
                p,
                f"Cannot save {_q(p)}: the folder '{folder}' does not exist; create it or choose "
                "another --output path.",
            )
    _check_target_writable(p, force=force, needed=needed)


def _check_regular_file(p: Path, *, allow_empty: bool = False) -> int:
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise _refusal(p, f"{_q(p)} does not exist: check the file name and folder.") from None
    except PermissionError:
        raise _no_read(p) from None
    except OSError as exc:
        raise _refusal(
            p, f"{_q(p)} cannot be opened ({exc.strerror}): check the file name and folder.",
            repr(exc),
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise _refusal(
            p, f"{_q(p)} is a folder, not a workbook: give the path of the .xlsx or .xlsm file in it."
        )
    if not stat.S_ISREG(st.st_mode):
        raise _refusal(
            p, f"{_q(p)} is not a regular file: give the path of a workbook saved by Excel."
        )
    if st.st_size == 0 and not allow_empty:
        raise _refusal(
            p,
            f"{_q(p)} is empty (0 bytes), probably from an interrupted download or save: "
            "get a fresh copy of the workbook.",
        )
    return st.st_size


def _no_read(p: Path) -> Refusal:
    return _refusal(
        p,
        f"{_q(p)} cannot be read (permission denied): ask for access to the file or copy it "
        "to a folder of your own.",
    )


def _read_head(p: Path) -> bytes:
    try:
        with open(p, "rb") as f:
            return f.read(4096)
    except PermissionError:
        raise _no_read(p) from None
    except OSError as exc:
        raise _refusal(
            p, f"{_q(p)} cannot be read ({exc.strerror}): check the disk and try again.", repr(exc)
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
        return _damaged(p, f"OLE: {exc!r}")
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        return _refusal(
            p,
            f"{_q(p)} is password-protected: open it in Excel, remove the password under "
            "File > Info > Protect Workbook > Encrypt with Password, save it and run again.",
        )
    if "workbook" in streams or "book" in streams:
        return _refusal(
            p,
            f"{_q(p)} is an old Excel 97-2003 (.xls) file: open it in Excel and Save As "
            "Excel Workbook (.xlsx) or Excel Macro-Enabled Workbook (.xlsm).",
        )
    if "worddocument" in streams:
        return _not_workbook(p, "a Word document, not an Excel workbook")
    return _not_workbook(p)


def _text_or_unknown_refusal(p: Path, head: bytes) -> Refusal:
    text = _as_text(head)
    if text is None:
        return _not_workbook(p)
    start = text.lstrip().lower()[:2048]
    if start.startswith(("<html", "<!doctype html", "<table")) or (
        start.startswith("<?xml") and ("urn:schemas-microsoft-com:office:spreadsheet" in start
                                       or "<html" in start)
    ):
        return _refusal(
            p,
            f"{_q(p)} is a web page or XML spreadsheet with an Excel name, not a real workbook: "
            "open it in Excel and Save As Excel Workbook (.xlsx).",
        )
    kind = "a CSV text file" if p.suffix.lower() in {".csv", ".tsv", ".tab"} else "a text file"
    return _refusal(
        p,
        f"{_q(p)} is {kind}, not an Excel workbook: open it in Excel and Save As Excel "
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


# --- zip packages


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, RuntimeError, OSError,
               KeyError)


def _check_ooxml(p: Path, limits: Limits, *, crc_later: bool = False, scan=None) -> "PendingCrc | None":
    later = crc_later and limits.verify_crc
    early = _take_early(p, limits)
    if early is not None and not later:
        early.abandon()
        early = None
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            _check_member_table(p, infos)
            _check_bomb(p, infos, limits)
            types = _check_package(p, zf)
            _scan_members(p, zf, infos, replace(limits, verify_crc=False) if later else limits)
    except BaseException as exc:
        if early is not None:
            early.abandon()
        if isinstance(exc, _ZIP_ERRORS) and not isinstance(exc, Refusal):
            raise _damaged(p, f"zip: {exc!r}") from None
        raise
    if early is not None:
        return early.adopt(scan)
    return PendingCrc(p, infos, scan, worksheets=_worksheet_parts(types, infos)) if later else None


_ADOPT_TIMEOUT = 60.0  # seconds an early check waits to be taken over before it skips the scans
_early_lock = threading.Lock()
_early: dict[tuple, PendingCrc] = {}  # checks started by check_early, by file identity


def _file_key(p: Path) -> tuple:
    st = p.stat()
    return os.path.realpath(p), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def check_early(path: StrPath) -> None:
    """Start the member check of ``path`` now, in the background: the CLI calls this as soon as
    it has the file name, so the check runs while the rest of salesbook (pandas, pyarrow...)
    is imported, which takes longer. The next ``preflight(path, crc_later=True)`` of the same,
    unchanged file takes it over. Nothing is refused here: a file this cannot start on is
    left to the preflight, which says what is wrong."""
    try:
        p = Path(path)
        key = _file_key(p)
        with _early_lock:
            if key in _early:
                return
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            _check_member_table(p, infos)
            _check_bomb(p, infos, DEFAULT_LIMITS)
            names = {n.lower(): n for n in zf.namelist()}
            types = safe_parse(zf.read(names["[content_types].xml"]), path=p, part="[Content_Types].xml")
    except Exception:
        return
    pending = PendingCrc(p, infos, worksheets=_worksheet_parts(types, infos), scan_later=True)
    with _early_lock:
        others = list(_early.values())  # one book at a time: an older one was never taken over
        _early.clear()
        _early[key] = pending
    for old in others:
        old.abandon()


def _take_early(p: Path, limits: Limits) -> PendingCrc | None:
    """The check check_early started for this very file (None if none, or if it changed)."""
    try:
        key = _file_key(p)
    except OSError:
        key = None
    with _early_lock:
        early = _early.pop(key, None) if key is not None else None
        stale = [k for k in _early if k[0] == os.path.realpath(p)]
        stale_checks = [_early.pop(k) for k in stale]
    for old in stale_checks:  # the file changed since: that check is of no use
        old.abandon()
    if early is not None and limits.max_total_uncompressed < DEFAULT_LIMITS.max_total_uncompressed:
        early.abandon()  # stricter limits than the early check used: start again
        return None
    return early


class PendingCrc:
    """The check of every zip member (CRC-32 and inflated size), running beside the read
    (``preflight(crc_later=True)``).

    Two threads: one checks the worksheets (``worksheets``), the other every other part,
    which a reader reads when it opens the workbook (zlib releases the GIL: on two
    cores both run beside the caller). ``ready(...)`` waits until the members a reader
    is about to open are checked (see the module notes); ``wait()`` waits for all and
    raises the Refusal the preflight would have raised for a damaged or oversized
    member. ``scan(name)`` may give, per worksheet, an object whose ``feed(chunk)``
    sees its bytes on a second pass, after the worksheets are checked (a reader waits
    for the check, not for the scan, which it needs only after reading the sheet);
    ``scanned(name)`` gives that scan once done, or None (no scan, or the check stopped).
    """

    def __init__(self, p: Path, infos: list[zipfile.ZipInfo], scan: Callable[[str], object] | None = None,
                 worksheets: frozenset[str] = frozenset(), *, scan_later: bool = False):
        self._p = p
        self._scan = scan
        self._scan_known = threading.Event()  # set once ``scan`` is known (see adopt)
        if not scan_later:
            self._scan_known.set()
        self._worksheets = worksheets
        members = sorted((i for i in infos if not i.is_dir()), key=lambda i: i.header_offset)
        self._unchecked = {i.filename for i in members}
        self._error: BaseException | None = None  # for wait(), which raises it once
        self._failure: BaseException | None = None  # for ready(), which raises it every time
        self._scans: dict[str, object] = {}
        self._cond = threading.Condition()
        groups = ([i for i in members if i.filename not in worksheets],
                  [i for i in members if i.filename in worksheets])
        self._threads = [threading.Thread(target=self._run, args=(group, k == 1), name="salesbook-crc", daemon=True)
                         for k, group in enumerate(groups) if group]
        self._running = len(self._threads)
        for thread in self._threads:
            thread.start()

    def _run(self, infos: list[zipfile.ZipInfo], worksheets: bool) -> None:
        stop = self._stopped
        try:
            with open(self._p, "rb") as fp:
                for info in infos:
                    _inflate_member(self._p, fp, info, stop=stop)
                    with self._cond:
                        self._unchecked.discard(info.filename)
                        self._cond.notify_all()
            if not worksheets or not self._scan_known.wait(_ADOPT_TIMEOUT) or self._scan is None:
                return
            with open(self._p, "rb") as fp:
                for info in infos:
                    scan = self._scan(info.filename)
                    if scan is not None:
                        _inflate_member(self._p, fp, info, scan.feed, stop=stop)
                        with self._cond:
                            self._scans[info.filename] = scan
                            self._cond.notify_all()
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the caller in ready() and wait()
            with self._cond:
                if self._failure is None:
                    self._error = self._failure = exc
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def _stopped(self) -> bool:
        return self._failure is not None

    def adopt(self, scan: Callable[[str], object] | None) -> "PendingCrc":
        """Take over a check started by :func:`check_early`, giving it the worksheet scans."""
        self._scan = scan
        self._scan_known.set()
        return self

    def abandon(self) -> None:
        """Stop a check nobody will wait for (its file was refused, or changed)."""
        with self._cond:
            if self._failure is None:
                self._failure = _Stopped("abandoned")
        self._scan = None
        self._scan_known.set()

    def ready(self, names: Iterable[str] | None = None) -> None:
        """Wait until ``names`` (default: every member but the worksheets, what a reader
        reads when it opens the workbook) are checked; raise the refusal if a check failed."""
        wanted = set(names) if names is not None else None
        with self._cond:
            while self._running and self._failure is None:
                if wanted is None:
                    if self._unchecked <= self._worksheets:
                        break
                elif wanted.isdisjoint(self._unchecked):
                    break
                self._cond.wait()
            if self._failure is not None:
                raise self._refusal(self._failure)

    def scanned(self, name: str) -> object | None:
        with self._cond:
            while name not in self._scans and self._running:
                self._cond.wait()
            return self._scans.get(name)

    def wait(self) -> None:
        for thread in self._threads:
            thread.join()
        exc, self._error = self._error, None
        if exc is None:
            return
        raise self._refusal(exc) from None

    def _refusal(self, exc: BaseException) -> BaseException:
        if isinstance(exc, _ZIP_ERRORS):
            return _damaged(self._p, f"zip: {exc!r}")
        return exc


def _check_member_table(p: Path, infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            raise _damaged(p, f"duplicate part {info.filename}")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise _damaged(p, f"zip-encrypted part {info.filename}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged(p, f"compression {info.compress_type} in {info.filename}")


def _check_bomb(p: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """The declared sizes, at once (each member is held to its declared size when inflated)."""
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_uncompressed:
        raise _refusal(
            p,
            f"{_q(p)} would unpack to {_fmt_size(total)}, more than the "
            f"{_fmt_size(limits.max_total_uncompressed)} salesbook allows, so it was not opened: "
            "if it is a genuine workbook, split it into smaller workbooks.",
            f"total uncompressed {total}",
        )


def _understated(p: Path, info: zipfile.ZipInfo) -> Refusal:
    return _refusal(
        p,
        f"{_q(p)} contains a part ({info.filename}) that unpacks to more than the "
        f"{_fmt_size(info.file_size)} its zip header declares, as a 'zip bomb' does, so it was not "
        "opened: ask whoever sent it for a copy saved by Excel.",
        f"more than {info.file_size} bytes inflated from {info.compress_size}",
    )


_LOCAL_HEADER = struct.Struct("<4s22x2H")  # signature ... file name length, extra field length
_IN_CHUNK = 256 * 1024  # compressed bytes read at a time


class _Stopped(Exception):
    """The other check thread found the file bad: this one stops."""


def _inflate_member(p: Path, fp: BinaryIO, info: zipfile.ZipInfo, feed: Callable[[bytes], object] | None = None,
                    stop: Callable[[], bool] | None = None) -> None:
    """Inflate one member from the zip file ``fp``, streaming, and check it.

    The bytes the deflate stream really gives are counted with a running cap at the
    size the central directory declares: one more byte and the member is refused
    (:func:`_understated`), after at most ``_CHUNK`` bytes past the cap. A shorter
    member, a CRC-32 mismatch or a cut-off stream raise ``zipfile.BadZipFile``.
    ``feed`` sees every inflated chunk (the checked bytes, up to the declared size);
    ``stop()`` true ends the check at the next chunk (raising ``_Stopped``).
    """
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile(f"truncated local header of {info.filename}")
    magic, name_len, extra_len = _LOCAL_HEADER.unpack(header)
    if magic != zipfile.stringFileHeader:
        raise zipfile.BadZipFile(f"bad local header of {info.filename}")
    fp.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
    cap, left = info.file_size, info.compress_size
    size = crc = 0
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while True:
        if stop is not None and stop():
            raise _Stopped(info.filename)
        if inflate is not None and inflate.unconsumed_tail:
            data = inflate.unconsumed_tail
        elif inflate is not None and inflate.eof:
            break
        else:
            if left <= 0:
                break
            data = fp.read(min(left, _IN_CHUNK))
            if not data:
                raise zipfile.BadZipFile(f"{info.filename} is cut off")
            left -= len(data)
        out = inflate.decompress(data, _CHUNK) if inflate is not None else data
        size += len(out)
        if size > cap:
            raise _understated(p, info)
        crc = zlib.crc32(out, crc)
        if feed is not None and out:
            feed(out)
    if inflate is not None and not inflate.eof:
        raise zipfile.BadZipFile(f"{info.filename}: the deflate stream is cut off")
    if size != cap:
        raise zipfile.BadZipFile(f"{info.filename}: {size} bytes, {cap} declared")
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


def _worksheet_parts(types: Element, infos: list[zipfile.ZipInfo]) -> frozenset[str]:
    """The worksheet parts: declared so in [Content_Types].xml, or named like one."""
    declared = {
        item.get("PartName", "").lstrip("/").lower()
        for item in types
        if _local(item.tag) == "Override" and item.get("ContentType", "").lower() == CT_WORKSHEET
    }
    return frozenset(i.filename for i in infos
                     if i.filename.lower() in declared or _WORKSHEET_NAME.search(i.filename))


_WORKSHEET_NAME = re.compile(r"(?:^|/)worksheets/[^/]+\.xml$", re.IGNORECASE)


def _check_package(p: Path, zf: zipfile.ZipFile) -> Element:
    """Refuse zips that are not an .xlsx/.xlsm package; parse its key parts.
    Returns the parsed [Content_Types].xml."""
    names = {n.lower(): n for n in zf.namelist()}
    if "mimetype" in names:
        if b"opendocument.spreadsheet" in zf.read(names["mimetype"])[:200]:
            raise _refusal(
                p,
                f"{_q(p)} is an OpenDocument spreadsheet (.ods), which salesbook cannot read: "
                "open it in LibreOffice Calc or Excel and save it as an Excel Workbook (.xlsx).",
            )
        raise _not_workbook(p, "an OpenDocument file, not an Excel workbook")
    if "[content_types].xml" not in names:
        if p.suffix.lower() == ".numbers" or "index/document.iwa" in names:
            raise _refusal(
                p,
                f"{_q(p)} is an Apple Numbers file: in Numbers choose File > Export To > Excel, "
                "then use the .xlsx file.",
            )
        raise _not_workbook(p, "a zip archive, not an Excel workbook")
    types = safe_parse(zf.read(names["[content_types].xml"]), path=p, part="[Content_Types].xml")
    part = _main_part(p, zf, names)
    ctype = _content_type(types, part)
    if ctype == CT_XLSB or part.lower().endswith(".bin"):
        raise _refusal(
            p,
            f"{_q(p)} is an Excel Binary Workbook (.xlsb), which salesbook cannot read: open it "
            "in Excel and Save As Excel Workbook (.xlsx) or Excel Macro-Enabled Workbook (.xlsm).",
        )
    if ctype and ctype not in CT_WORKBOOKS:
        what = "a Word document" if "wordprocessingml" in ctype else (
            "a PowerPoint presentation" if "presentationml" in ctype else "an Office file")
        raise _not_workbook(p, f"{what}, not an Excel workbook", ctype)
    if part.lower() not in names:
        raise _damaged(p, f"missing {part}")
    root = safe_parse(zf.read(names[part.lower()]), path=p, part=part)
    if _local(root.tag) != "workbook":
        raise _damaged(p, f"{part} root is {root.tag}")
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
        kind = _local(item.tag)
        if kind == "Override" and item.get("PartName", "").lower() == wanted:
            return item.get("ContentType", "").lower()
        if kind == "Default" and item.get("Extension", "").lower() == ext:
            default = item.get("ContentType", "").lower()
    return default


def _scan_members(p: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Check each XML part's prolog for a DTD and (optionally) every member's CRC and size."""
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels")):
            continue
        with zf.open(info) as f:  # zipfile stops at the declared size: a bounded read
            head = f.read(_HEAD_BYTES)
        _check_prolog(p, info.filename, head, complete=len(head) < _HEAD_BYTES)
    if limits.verify_crc:
        with open(p, "rb") as fp:
            for info in sorted(infos, key=lambda i: i.header_offset):
                if not info.is_dir():
                    _inflate_member(p, fp, info)


_ROOT_START = re.compile(r"<[^?!]")
_DTD_MARK = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _check_prolog(p: Path, name: str, head: bytes, *, complete: bool) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    elif head.startswith(b"<\x00"):
        text = head.decode("utf-16-le", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore")
    root = _ROOT_START.search(text)
    prolog = text if root is None else text[: root.start()]
    if _DTD_MARK.search(prolog):
        raise _unsafe_xml(p, name, "DOCTYPE/ENTITY in prolog")
    if root is None and not complete:
        raise _damaged(p, f"{name}: no root element in the first {_HEAD_BYTES} bytes")


# --- can we write it?


def owner_files(path: StrPath) -> list[Path]:
    """Lock files that Excel or LibreOffice keep beside a workbook they have open.

    Excel names its owner file '~$' + the file name, dropping the first two
    characters of long names; LibreOffice uses '.~lock.<name>#'.
    """
    p = Path(path)
    names = [f"~${p.name}", f".~lock.{p.name}#"]
    if len(p.name) > 2:
        names.insert(1, f"~${p.name[2:]}")
    return [p.with_name(n) for n in names]


def _lock_owner(lock: Path) -> str | None:
    """Best effort: the user name recorded in an Excel/LibreOffice lock file."""
    try:
        data = lock.read_bytes()[:512]
    except OSError:
        return None
    if lock.name.startswith(".~lock."):
        fields = data.decode("utf-8", errors="ignore").split(",")
        name = fields[1] if len(fields) > 1 else ""
    elif data and 0 < data[0] < 54:
        name = data[1 : 1 + data[0]].decode("cp1252", errors="ignore")
    else:
        return None
    name = name.strip()
    return name if name and name.isprintable() else None


def _check_target_writable(p: Path, *, force: bool, needed: int) -> None:
    real = Path(os.path.realpath(p))
    if not force:
        _check_not_open(p, real)
    if real.exists():
        _check_file_writable(p, real)
    _check_folder_writable(p, real.parent, needed)


def _check_not_open(p: Path, real: Path) -> None:
    candidates = owner_files(p) + (owner_files(real) if real != p else [])
    for lock in candidates:
        if lock.is_file():
            who = _lock_owner(lock)
            by = f" by {who}" if who else ""
            app = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
            raise _refusal(
                p,
                f"{_q(p)} is open in {app}{by}: close it there and run again, or pass --force if "
                f"nobody has it open (a crash can leave the lock file '{lock.name}' behind).",
                str(lock),
            )


def _check_file_writable(p: Path, real: Path) -> None:
    """Read-only by its mode bits (checked explicitly: root ignores them) or by the OS."""
    mode = real.stat().st_mode
    message = (
        f"{_q(p)} is read-only: clear its read-only setting (file Properties or chmod u+w), "
        "or save the results elsewhere with --output."
    )
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(real, os.W_OK):
        raise _refusal(p, message, oct(stat.S_IMODE(mode)))
    try:
        with open(real, "r+b"):  # no truncation; fails for immutable or locked files
            pass
    except OSError as exc:
        if getattr(exc, "winerror", None) in (32, 33):  # sharing/lock violation on Windows
            raise _refusal(
                p, f"{_q(p)} is open in another program: close it there and run again.", repr(exc)
            ) from None
        raise _refusal(p, message, repr(exc)) from None


def _check_folder_writable(p: Path, folder: Path, needed: int) -> None:
    message = (
        f"Cannot save {_q(p)} because its folder '{folder}' is read-only or not yours: move the "
        "workbook to a folder you can write to, or save the results elsewhere with --output."
    )
    mode = folder.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise _refusal(p, message, oct(stat.S_IMODE(mode)))
    try:
        probe = _create_temp(folder, p.name)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            raise _disk_full(p, exc) from None
        raise _refusal(p, message, repr(exc)) from None
    _remove_quietly(probe)
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < needed:
        raise _refusal(
            p,
            f"There is not enough free disk space to save {_q(p)} ({_fmt_size(free)} free, "
            f"about {_fmt_size(needed)} needed): free up space and run again.",
        )


# ---------------------------------------------------------------------------
# Atomic writes

_active_lock = threading.Lock()
_active_temps: set[str] = set()  # temp paths this process is writing right now
_TEMP_RE = re.compile(
    r"^" + re.escape(TEMP_PREFIX) + r"(?P<name>.+)-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})\.tmp$"
)


def _temp_stem(name: str) -> str:
    return name[:100]  # keep temp names under the 255-byte file name limit


def _create_temp(folder: Path, name: str) -> Path:
    """Create a new empty temp file '.~salesbook-<name>-<pid>-<token>.tmp' in folder."""
    tmp = folder / f"{TEMP_PREFIX}{_temp_stem(name)}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    with _active_lock:
        _active_temps.add(str(tmp))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except BaseException:
        _forget(tmp)
        raise
    os.close(fd)
    return tmp


def _forget(tmp: Path) -> None:
    with _active_lock:
        _active_temps.discard(str(tmp))


def _remove_quietly(tmp: Path) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
    _forget(tmp)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return _pid_alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def _pid_alive_windows(pid: int) -> bool:  # pragma: no cover - Windows only
    # os.kill(pid, 0) would terminate the process on Windows; ask the kernel instead.
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def clean_stale_temps(folder: StrPath, name: str | None = None, *,
                      max_age: float = STALE_TEMP_AGE) -> list[Path]:
    """Remove temp files left by killed runs (their pid is gone, or they are old).

    Only files named like our temps for ``name`` (any name if None) are
    touched; temps this process is still writing are kept. Returns what was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if not m or (name is not None and m["name"] != _temp_stem(name)):
            continue
        tmp = Path(entry.path)
        with _active_lock:
            if str(tmp) in _active_temps:
                continue
        pid = int(m["pid"])
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        # Our own pid on a temp we are not writing: a dead run that had the same pid.
        if pid == os.getpid() or not _pid_alive(pid) or age > max_age:
            try:
                os.unlink(tmp)
                removed.append(tmp)
            except OSError:
                pass
    return removed


def backup_path(path: StrPath) -> Path:
    """Where ``backup=True`` keeps the previous version: Book.xlsx -> Book.bak.xlsx."""
    p = Path(path)
    return p.with_name(f"{p.stem}.bak{p.suffix}")


@contextmanager
def atomic_output(path: StrPath, *, backup: bool = False,
                  like: StrPath | None = None) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on a clean exit it replaces ``path``.

    Write the complete file to the yielded path. When the block ends without
    an exception the temp file is fsynced, given the permission bits (and,
    if allowed, owner) of the existing target or of ``like``, the previous
    target is kept as <stem>.bak<suffix> if ``backup``, and the temp file is
    renamed over the target. On any exception the temp file is removed and
    the target is untouched; an OSError (disk full, access denied...) is
    raised as a Refusal saying the file was not changed.
    A symlinked target is resolved, so the link keeps pointing at the file.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    clean_stale_temps(folder, target.name)
    try:
        tmp = _create_temp(folder, target.name)
    except OSError as exc:
        raise _write_refusal(Path(path), exc) from None
    try:
        yield tmp
        _commit(tmp, target, backup=backup, like=like)
    except BaseException as exc:
        _remove_quietly(tmp)
        if isinstance(exc, OSError):
            raise _write_refusal(Path(path), exc) from exc
        raise
    finally:
        _forget(tmp)
    _fsync_dir(folder)


def atomic_write(path: StrPath, write_fn: Callable[[Path], T], *, backup: bool = False,
                 like: StrPath | None = None) -> T:
    """Call ``write_fn(tmp_path)`` and atomically put the result at ``path``.

    See :func:`atomic_output`; returns what ``write_fn`` returns.
    """
    with atomic_output(path, backup=backup, like=like) as tmp:
        return write_fn(tmp)


def _commit(tmp: Path, target: Path, *, backup: bool, like: StrPath | None) -> None:
    _check_complete(tmp, target)
    model = target if target.exists() else (Path(like) if like is not None else None)
    if model is not None:
        _copy_permissions(model, tmp)
    _fsync_file(tmp)
    if backup and target.exists():
        _keep_backup(target)
    _replace(tmp, target)  # atomic: readers see the old file or the new one


# A replace refused for access (Windows: the file is open in Excel without delete sharing, or an
# antivirus or indexer holds it for a moment) is tried again for about two seconds before the
# refusal; the temp file stays whole meanwhile, and the target is untouched either way.
REPLACE_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8)


def _replace(tmp: Path, target: Path) -> None:
    for delay in REPLACE_RETRY_DELAYS:
        try:
            os.replace(tmp, target)
            return
        except PermissionError:
            time.sleep(delay)
    os.replace(tmp, target)  # the last try: its PermissionError becomes the usual refusal


def _check_complete(tmp: Path, target: Path) -> None:
    """Never put a truncated workbook in place of a good one."""
    if target.suffix.lower() not in _OOXML_SUFFIXES:
        return
    try:
        with zipfile.ZipFile(tmp) as zf:
            zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refusal(
            target,
            f"salesbook could not produce a complete workbook for {_q(target)}, so the file was "
            "not changed: please report this problem with the file attached.",
            repr(exc),
        ) from None


def _copy_permissions(model: Path, tmp: Path) -> None:
    st = model.stat()
    if hasattr(os, "chown"):
        t = tmp.stat()
        if (t.st_uid, t.st_gid) != (st.st_uid, st.st_gid):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass  # only root may give files away; keep ours
    os.chmod(tmp, stat.S_IMODE(st.st_mode))


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; best effort (not possible on Windows or some filesystems)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _keep_backup(target: Path) -> None:
    """Atomically make <stem>.bak<suffix> hold the current target's bytes."""
    bak = backup_path(target)
    tmp = _create_temp(target.parent, bak.name)
    try:
        os.unlink(tmp)
        try:
            os.link(target, tmp)  # no copy: the old inode lives on as the backup
        except OSError:
            shutil.copy2(target, tmp)
            _fsync_file(tmp)
        os.replace(tmp, bak)
    finally:
        _remove_quietly(tmp)


def _disk_full(p: Path, exc: OSError) -> Refusal:
    return _refusal(
        p,
        f"The disk is full, so {_q(p)} could not be saved and was not changed: free up disk "
        "space and run again.",
        repr(exc),
    )


def _write_refusal(p: Path, exc: OSError) -> Refusal:
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return _disk_full(p, exc)
    if code == errno.EROFS:
        return _refusal(
            p,
            f"{_q(p)} is on a read-only drive, so it could not be saved and was not changed: "
            "copy it to a writable folder or save the results elsewhere with --output.",
            repr(exc),
        )
    if code in (errno.EACCES, errno.EPERM) or getattr(exc, "winerror", None) in (5, 32, 33):
        return _refusal(
            p,
            f"{_q(p)} could not be saved (access denied) and was not changed: close it in Excel "
            "or any other program and check that you may write to its folder.",
            repr(exc),
        )
    return _refusal(
        p,
        f"{_q(p)} could not be saved ({exc.strerror or exc}) and was not changed: check the disk "
        "and folder, then run again.",
        repr(exc),
    )
