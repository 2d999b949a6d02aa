"""The zip guard: a workbook's member table, its declared and inflated sizes (zip bombs), every
member's CRC-32, and the XML prologs (no DTD, no entities), checked at once or in threads beside
the read (:class:`PendingCrc`). See :mod:`salesbook.adapters.files.safety` for the decisions."""

from __future__ import annotations

import os
import re
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable
from xml.etree.ElementTree import Element

from salesbook.adapters.files.ooxml import CT_WORKSHEET
from salesbook.adapters.files.refusals import damaged, fmt_size, quoted, refusal, unsafe_xml
from salesbook.adapters.files.xmlsafe import local, safe_parse
from salesbook.atomic import StrPath
from salesbook.errors import Refusal

__all__ = ["DEFAULT_LIMITS", "Limits", "PendingCrc", "ZIP_ERRORS", "check_bomb", "check_early",
           "check_member_table", "scan_members", "take_early", "worksheet_parts"]

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken file from exhausting the machine."""

    max_total_uncompressed: int = 2 * GiB  # sum of member sizes (each one checked when inflated)
    verify_crc: bool = True  # inflate every member once to check its CRC-32 and its size (off: neither)


DEFAULT_LIMITS = Limits()

_HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024


ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, RuntimeError, OSError,
               KeyError)


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
            check_member_table(p, infos)
            check_bomb(p, infos, DEFAULT_LIMITS)
            names = {n.lower(): n for n in zf.namelist()}
            types = safe_parse(zf.read(names["[content_types].xml"]), path=p, part="[Content_Types].xml")
    except Exception:
        return
    pending = PendingCrc(p, infos, worksheets=worksheet_parts(types, infos), scan_later=True)
    with _early_lock:
        others = list(_early.values())  # one book at a time: an older one was never taken over
        _early.clear()
        _early[key] = pending
    for old in others:
        old.abandon()


def take_early(p: Path, limits: Limits) -> PendingCrc | None:
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
    sees its bytes: as they are checked when ``scan`` is given at the start (each worksheet
    inflated once; the scan costs a fraction of the inflating), else on a second pass once
    ``adopt`` gives it (a reader waits for the check, not for that scan, which it needs
    only after reading the sheet); ``scanned(name)`` gives the scan once done, or None (no
    scan, or the check stopped).
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
        # scans known from the start ride on the check's own inflating (a worksheet inflated
        # once, not twice); a check started early (scan_later) scans in a second pass
        inline = worksheets and self._scan_known.is_set() and self._scan is not None
        try:
            with open(self._p, "rb") as fp:
                for info in infos:
                    scan = self._scan(info.filename) if inline else None
                    _inflate_member(self._p, fp, info, None if scan is None else scan.feed, stop=stop)
                    with self._cond:
                        self._unchecked.discard(info.filename)
                        if scan is not None:
                            self._scans[info.filename] = scan
                        self._cond.notify_all()
            if inline or not worksheets or not self._scan_known.wait(_ADOPT_TIMEOUT) or self._scan is None:
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
        if isinstance(exc, ZIP_ERRORS):
            return damaged(self._p, f"zip: {exc!r}")
        return exc


def check_member_table(p: Path, infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            raise damaged(p, f"duplicate part {info.filename}")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise damaged(p, f"zip-encrypted part {info.filename}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged(p, f"compression {info.compress_type} in {info.filename}")


def check_bomb(p: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """The declared sizes, at once (each member is held to its declared size when inflated)."""
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_uncompressed:
        raise refusal(
            p,
            f"{quoted(p)} would unpack to {fmt_size(total)}, more than the "
            f"{fmt_size(limits.max_total_uncompressed)} salesbook allows, so it was not opened: "
            "if it is a genuine workbook, split it into smaller workbooks.",
            f"total uncompressed {total}",
        )


def _understated(p: Path, info: zipfile.ZipInfo) -> Refusal:
    return refusal(
        p,
        f"{quoted(p)} contains a part ({info.filename}) that unpacks to more than the "
        f"{fmt_size(info.file_size)} its zip header declares, as a 'zip bomb' does, so it was not "
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


def worksheet_parts(types: Element, infos: list[zipfile.ZipInfo]) -> frozenset[str]:
    """The worksheet parts: declared so in [Content_Types].xml, or named like one."""
    declared = {
        item.get("PartName", "").lstrip("/").lower()
        for item in types
        if local(item.tag) == "Override" and item.get("ContentType", "").lower() == CT_WORKSHEET
    }
    return frozenset(i.filename for i in infos
                     if i.filename.lower() in declared or _WORKSHEET_NAME.search(i.filename))


_WORKSHEET_NAME = re.compile(r"(?:^|/)worksheets/[^/]+\.xml$", re.IGNORECASE)



def scan_members(p: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
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
        raise unsafe_xml(p, name, "DOCTYPE/ENTITY in prolog")
    if root is None and not complete:
        raise damaged(p, f"{name}: no root element in the first {_HEAD_BYTES} bytes")
