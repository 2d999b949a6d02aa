"""The refusals of a workbook salesbook must not open, one sentence each: the file, what is wrong,
what to do (shared by the preflight, the zip guard and the safe XML parser)."""

from __future__ import annotations

from salesbook.atomic import StrPath, quoted, refusal
from salesbook.errors import Refusal

__all__ = ["bad_xml", "damaged", "fmt_size", "not_workbook", "quoted", "refusal", "unsafe_xml"]


def damaged(path: StrPath, detail: str) -> Refusal:
    return refusal(
        path,
        f"{quoted(path)} is damaged or incomplete (it may have been cut off while copying or "
        "downloading): get a fresh copy, or open it in Excel, let Excel repair it and save it again.",
        detail,
    )


def not_workbook(path: StrPath, what: str = "", detail: str | None = None) -> Refusal:
    what = what or "not an Excel workbook"
    return refusal(
        path,
        f"{quoted(path)} is {what}: choose the .xlsx or .xlsm workbook saved by Excel.",
        detail,
    )


def unsafe_xml(path: StrPath | None, part: str | None, detail: str | None = None) -> Refusal:
    where = f" in {part}" if part else ""
    return refusal(
        path,
        f"{quoted(path)} contains an XML document type or entity declaration{where}, which Excel never "
        "writes and which can be used to attack the computer, so it was not opened: open the "
        "original in Excel and save it again as an Excel Workbook.",
        detail,
    )


def fmt_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover



def bad_xml(path: StrPath | None, part: str | None, exc: Exception) -> Refusal:
    detail = f"{part or 'XML'}: {exc}"
    if path is None:
        return refusal(
            None,
            "The workbook is damaged (a part of it is not valid XML): open it in Excel, "
            "let Excel repair it and save it again.",
            detail,
        )
    return damaged(path, detail)

