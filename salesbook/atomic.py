"""Write files all or nothing: ``atomic_output(path)`` / ``atomic_write(path, write_fn)`` write a
temp file beside the target, fsync it and ``os.replace`` it onto the target (retried briefly while
another program holds the file), so the target holds either the old bytes or the complete new
ones, even under SIGKILL. On any error the temp file is removed and the target is untouched.
Temp files left by killed runs are cleaned up (``clean_stale_temps``); ``backup=True`` keeps the
previous version beside the target (``backup_path``)."""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import threading
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import psutil

from salesbook.errors import Refusal

__all__ = [
    "STALE_TEMP_AGE",
    "TEMP_PREFIX",
    "atomic_output",
    "atomic_write",
    "backup_path",
    "clean_stale_temps",
]

T = TypeVar("T")
StrPath = str | os.PathLike[str]

TEMP_PREFIX = ".~salesbook-"
STALE_TEMP_AGE = 24 * 3600  # seconds; any temp older than this is stale

_OOXML_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}


def quoted(path: StrPath | None) -> str:
    """A file as refusals name it: 'path' (or "The workbook" when there is none)."""
    return f"'{os.fspath(path)}'" if path is not None else "The workbook"


def refusal(path: StrPath | None, message: str, detail: str | None = None) -> Refusal:
    return Refusal(message, path=path, detail=detail)


_active_lock = threading.Lock()
_active_temps: set[str] = set()  # temp paths this process is writing right now
_TEMP_RE = re.compile(
    r"^" + re.escape(TEMP_PREFIX) + r"(?P<name>.+)-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})\.tmp$"
)


def _temp_stem(name: str) -> str:
    return name[:100]  # keep temp names under the 255-byte file name limit


def create_temp(folder: Path, name: str) -> Path:
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


def remove_quietly(tmp: Path) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
    _forget(tmp)




def _pid_alive(pid: int) -> bool:
    """Is the process that wrote a temp file still running? (psutil asks the OS the right way on
    Windows too, where ``os.kill(pid, 0)`` would end the process.)"""
    if pid <= 0:
        return False
    return pid == os.getpid() or psutil.pid_exists(pid)


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
        tmp = create_temp(folder, target.name)
    except OSError as exc:
        raise _write_refusal(Path(path), exc) from None
    try:
        yield tmp
        _commit(tmp, target, backup=backup, like=like)
    except BaseException as exc:
        remove_quietly(tmp)
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
        raise refusal(
            target,
            f"salesbook could not produce a complete workbook for {quoted(target)}, so the file was "
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
    tmp = create_temp(target.parent, bak.name)
    try:
        os.unlink(tmp)
        try:
            os.link(target, tmp)  # no copy: the old inode lives on as the backup
        except OSError:
            shutil.copy2(target, tmp)
            _fsync_file(tmp)
        os.replace(tmp, bak)
    finally:
        remove_quietly(tmp)


def disk_full(p: Path, exc: OSError) -> Refusal:
    return refusal(
        p,
        f"The disk is full, so {quoted(p)} could not be saved and was not changed: free up disk "
        "space and run again.",
        repr(exc),
    )


def _write_refusal(p: Path, exc: OSError) -> Refusal:
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return disk_full(p, exc)
    if code == errno.EROFS:
        return refusal(
            p,
            f"{quoted(p)} is on a read-only drive, so it could not be saved and was not changed: "
            "copy it to a writable folder or save the results elsewhere with --output.",
            repr(exc),
        )
    if code in (errno.EACCES, errno.EPERM) or getattr(exc, "winerror", None) in (5, 32, 33):
        return refusal(
            p,
            f"{quoted(p)} could not be saved (access denied) and was not changed: close it in Excel "
            "or any other program and check that you may write to its folder.",
            repr(exc),
        )
    return refusal(
        p,
        f"{quoted(p)} could not be saved ({exc.strerror or exc}) and was not changed: check the disk "
        "and folder, then run again.",
        repr(exc),
    )

