"""Can salesbook write the workbook? Excel's and LibreOffice's lock (owner) files beside it, its
read-only state, its folder and the free space there."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

from salesbook import atomic
from salesbook.adapters.files.refusals import fmt_size, quoted, refusal
from salesbook.atomic import StrPath

__all__ = ["check_target_writable", "owner_files"]


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


def check_target_writable(p: Path, *, force: bool, needed: int) -> None:
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
            raise refusal(
                p,
                f"{quoted(p)} is open in {app}{by}: close it there and run again, or pass --force if "
                f"nobody has it open (a crash can leave the lock file '{lock.name}' behind).",
                str(lock),
            )


def _check_file_writable(p: Path, real: Path) -> None:
    """Read-only by its mode bits (checked explicitly: root ignores them) or by the OS."""
    mode = real.stat().st_mode
    message = (
        f"{quoted(p)} is read-only: clear its read-only setting (file Properties or chmod u+w), "
        "or save the results elsewhere with --output."
    )
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(real, os.W_OK):
        raise refusal(p, message, oct(stat.S_IMODE(mode)))
    try:
        with open(real, "r+b"):  # no truncation; fails for immutable or locked files
            pass
    except OSError as exc:
        if getattr(exc, "winerror", None) in (32, 33):  # sharing/lock violation on Windows
            raise refusal(
                p, f"{quoted(p)} is open in another program: close it there and run again.", repr(exc)
            ) from None
        raise refusal(p, message, repr(exc)) from None


def _check_folder_writable(p: Path, folder: Path, needed: int) -> None:
    message = (
        f"Cannot save {quoted(p)} because its folder '{folder}' is read-only or not yours: move the "
        "workbook to a folder you can write to, or save the results elsewhere with --output."
    )
    mode = folder.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise refusal(p, message, oct(stat.S_IMODE(mode)))
    try:
        probe = atomic.create_temp(folder, p.name)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            raise atomic.disk_full(p, exc) from None
        raise refusal(p, message, repr(exc)) from None
    atomic.remove_quietly(probe)
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < needed:
        raise refusal(
            p,
            f"There is not enough free disk space to save {quoted(p)} ({fmt_size(free)} free, "
            f"about {fmt_size(needed)} needed): free up space and run again.",
        )

