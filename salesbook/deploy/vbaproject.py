"""Read the module texts of a VBA project (xl/vbaProject.bin) as [MS-OVBA] stores them.

The container is an OLE compound file (olefile reads it); the ``VBA/dir`` stream lists the modules,
each with its stream name and the offset of its compressed source in that stream (after the
performance cache Excel keeps there). Enough to tell which xlwings release a workbook's VBA module
is (its ``XLWINGS_VERSION`` constant) and whether it is salesbook's project (its ribbon callback
calls ``salesbook.ribbon``).
"""

from __future__ import annotations

import io
import re
import struct

from salesbook.builder.compression import decompress

_PROJECTCODEPAGE, _PROJECTVERSION = 0x0003, 0x0009
_MODULENAME, _MODULESTREAMNAME, _MODULEOFFSET, _MODULETERMINATOR = 0x0019, 0x001A, 0x0031, 0x002B
_VERSION = re.compile(r'XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]+)"', re.IGNORECASE)
SALESBOOK_MARKER = "salesbook.ribbon"  # Ribbon.bas: RunPython "import salesbook.ribbon; ..."


def _records(data: bytes):
    pos = 0
    while pos + 6 <= len(data):
        rec_id, size = struct.unpack_from("<HI", data, pos)
        pos += 6
        if rec_id == _PROJECTVERSION:  # its size field says 4, the record holds 6 bytes
            size = 6
        yield rec_id, data[pos:pos + size]
        pos += size


def module_texts(vba_bin: bytes) -> dict[str, str]:
    """{module name: source text} of a vbaProject.bin; ValueError when it cannot be read."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    except OSError as exc:
        raise ValueError(f"not a VBA project: {exc}") from None
    try:
        root = next((e[:-1] for e in ole.listdir() if e[-1] == "dir" and len(e) >= 2 and e[-2] == "VBA"), None)
        if root is None:
            raise ValueError("not a VBA project: no VBA/dir stream")
        dir_stream = decompress(ole.openstream(root + ["dir"]).read())
        codepage, modules, current = 1252, [], {}
        for rec_id, payload in _records(dir_stream):
            if rec_id == _PROJECTCODEPAGE:
                codepage = struct.unpack("<H", payload[:2])[0]
            elif rec_id == _MODULENAME:
                current = {"name": payload}
            elif rec_id == _MODULESTREAMNAME:
                current["stream"] = payload
            elif rec_id == _MODULEOFFSET:
                current["offset"] = struct.unpack("<I", payload[:4])[0]
            elif rec_id == _MODULETERMINATOR and current:
                modules.append(current)
                current = {}
        encoding = f"cp{codepage}"
        out = {}
        for m in modules:
            name = m["name"].decode(encoding, "replace")
            stream = m.get("stream", m["name"]).decode(encoding, "replace")
            data = ole.openstream(root + [stream]).read()
            out[name] = decompress(data[m.get("offset", 0):]).decode(encoding, "replace")
        return out
    except (OSError, struct.error, KeyError) as exc:
        raise ValueError(f"the VBA project cannot be read: {exc}") from None
    finally:
        ole.close()


def xlwings_version(texts: dict[str, str]) -> str | None:
    """The XLWINGS_VERSION a project's modules declare (None: no xlwings module)."""
    for text in texts.values():
        found = _VERSION.search(text)
        if found:
            return found.group(1)
    return None


def is_salesbook_project(texts: dict[str, str]) -> bool:
    """Does the project run salesbook from its ribbon (the marker of salesbook's VBA)?"""
    return any(SALESBOOK_MARKER in text for text in texts.values())


def shipped_xlwings_version() -> str | None:
    """The XLWINGS_VERSION of the xlwings module this salesbook builds into its workbooks."""
    from salesbook.builder.sources import macros_folder

    return xlwings_version({"xlwings": macros_folder().joinpath("xlwings.bas").read_bytes().decode("cp1252")})


def _code_lines(text: str) -> list[str]:
    """A module's own lines: not its Attribute and Option header, not blank."""
    return [line for line in (raw.strip() for raw in text.splitlines())
            if line and not line.startswith(("Attribute ", "Option ", "VERSION ", "BEGIN", "END", "MultiUse"))]


def own_code(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """The modules of an old project that hold VBA of the user's own, which a project built from
    this version's sources (``new``) would not carry: a module the sources do not have, or a
    document module (a sheet's, ThisWorkbook) with code where the sources have none."""
    return [name for name, text in old.items()
            if _code_lines(text) and (name not in new or not _code_lines(new[name]))]
