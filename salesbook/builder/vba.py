"""Build xl/vbaProject.bin from VBA module sources, reproducibly.

The project is written from scratch per [MS-OVBA] into a compound file
(`salesbook.builder.cfb`): PROJECT, PROJECTwm, VBA/dir, VBA/_VBA_PROJECT and one
stream per module holding its compressed source and no performance cache.
`_VBA_PROJECT` is the 7-byte form with version 0xFFFF, so Office recompiles the
project from source when it opens the workbook.

Modules, in project order:
  * document modules: ThisWorkbook, then one per sheet of `layout.SHEETS`,
    named by the sheet's codeName (the xlsx must carry the same codeNames);
  * every ``*.bas`` (standard) and ``*.cls`` (class) file of the macros folder
    (by default the packaged ``salesbook/builder/macros``), sorted by file name.

Same sources give the same bytes: the project id is fixed, the encryption seed
of the protection fields is fixed and nothing depends on time.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import Iterable, Literal, Sequence

from salesbook.builder.cfb import Storage, write_compound_file
from salesbook.builder.compression import compress
from salesbook.builder.layout import SHEETS, WORKBOOK_CODENAME
from salesbook.builder.sources import MacrosDir, macros_folder

ModuleKind = Literal["document", "standard", "class"]

CODE_PAGE = 1252
ENCODING = "cp1252"
PROJECT_NAME = "VBAProject"
# Fixed, derived from the product's name rather than random, so builds repeat.
PROJECT_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "salesbook:SalesPipeline.xlsm")).upper() + "}"
VBA_PROJECT_STREAM = bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00])

# VB_Base of Excel's document and class modules (what Excel writes on import)
_WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
_WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
_CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

# The references of a new Excel project besides the implicit VBA and Excel
# libraries; "Office" defines IRibbonControl, used by the ribbon callback.
REFERENCES: tuple[tuple[str, str], ...] = (
    ("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation"),
    ("Office", r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared"
               r"\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library"),
)

_ENCRYPTION_SEED = 0x4A


@dataclass(frozen=True)
class VbaModule:
    """One module as stored in the project: `source` is its full text, attributes included."""

    name: str
    kind: ModuleKind
    source: str


def normalize_newlines(text: str) -> str:
    """CRLF line endings, as the VBA editor stores them."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def document_module(name: str, *, workbook: bool = False) -> VbaModule:
    """An empty document module (the code behind ThisWorkbook or a sheet)."""
    base = _WORKBOOK_BASE if workbook else _WORKSHEET_BASE
    lines = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return VbaModule(name, "document", "\r\n".join(lines) + "\r\n")


_VB_NAME = re.compile(r'^Attribute VB_Name = "([^"]+)"\r?$', re.MULTILINE)
_CLS_HEADER = re.compile(r"\AVERSION 1\.0 CLASS\r\nBEGIN\r\n(?:.*\r\n)*?END\r\n")


def module_name(source: str) -> str:
    match = _VB_NAME.search(source)
    if not match:
        raise ValueError("module source has no 'Attribute VB_Name' line")
    return match.group(1)


def standard_module(text: str) -> VbaModule:
    """A module from an exported .bas file (stored as is)."""
    source = normalize_newlines(text)
    return VbaModule(module_name(source), "standard", source)


def class_module(text: str) -> VbaModule:
    """A module from an exported .cls file, in the form the VBA editor stores on import.

    The export header (VERSION 1.0 CLASS / BEGIN ... END) is dropped, and the
    attributes Excel adds to an imported class (VB_Base after VB_Name;
    VB_TemplateDerived and VB_Customizable after VB_Exposed) are inserted.
    """
    source = _CLS_HEADER.sub("", normalize_newlines(text), count=1)
    lines = source.split("\r\n")
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line.startswith("Attribute VB_Name = "):
            out.append(f'Attribute VB_Base = "{_CLASS_BASE}"')
        elif line.startswith("Attribute VB_Exposed = "):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    source = "\r\n".join(out)
    return VbaModule(module_name(source), "class", source)


def load_modules(macros_dir: MacrosDir = None, sheets: Sequence[tuple[str, str]] = SHEETS) -> list[VbaModule]:
    """All modules of the workbook's project, in project order (see `sources.macros_folder`)."""
    modules = [document_module(WORKBOOK_CODENAME, workbook=True)]
    modules += [document_module(code_name) for _, code_name in sheets]
    for entry in sorted(macros_folder(macros_dir).iterdir(), key=lambda e: e.name):
        name = PurePath(entry.name)
        if name.suffix.lower() not in (".bas", ".cls"):
            continue
        text = entry.read_bytes().decode(ENCODING)
        module = standard_module(text) if name.suffix.lower() == ".bas" else class_module(text)
        if module.name != name.stem:
            raise ValueError(f"{entry.name}: VB_Name is {module.name!r}, expected {name.stem!r}")
        modules.append(module)
    names = [m.name.lower() for m in modules]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate VBA module names: {[m.name for m in modules]}")
    return modules


# --- dir stream (MS-OVBA 2.3.4.2) ------------------------------------------------------

def _rec(record_id: int, data: bytes) -> bytes:
    return record_id.to_bytes(2, "little") + len(data).to_bytes(4, "little") + data


def _u16(value: int) -> bytes:
    return value.to_bytes(2, "little")


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def _mbcs(text: str) -> bytes:
    return text.encode(ENCODING)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _dir_stream(modules: Sequence[VbaModule], project_name: str) -> bytes:
    out = bytearray()
    # PROJECTINFORMATION
    out += _rec(0x0001, _u32(3))                      # SYSKIND: 64-bit Windows
    out += _rec(0x0002, _u32(0x0409))                 # LCID
    out += _rec(0x0014, _u32(0x0409))                 # LCIDINVOKE
    out += _rec(0x0003, _u16(CODE_PAGE))              # CODEPAGE
    out += _rec(0x0004, _mbcs(project_name))          # NAME
    out += _rec(0x0005, b"") + _rec(0x0040, b"")      # DOCSTRING (+ unicode)
    out += _rec(0x0006, b"") + _rec(0x003D, b"")      # HELPFILEPATH 1 and 2
    out += _rec(0x0007, _u32(0))                      # HELPCONTEXT
    out += _rec(0x0008, _u32(0))                      # LIBFLAGS
    out += _u16(0x0009) + _u32(4) + _u32(1) + _u16(0) # VERSION: Reserved=4, major 1, minor 0
    out += _rec(0x000C, b"") + _rec(0x003C, b"")      # CONSTANTS (+ unicode)
    # PROJECTREFERENCES
    for name, libid in REFERENCES:
        out += _rec(0x0016, _mbcs(name)) + _rec(0x003E, _utf16(name))
        libid_bytes = _mbcs(libid)
        out += _rec(0x000D, _u32(len(libid_bytes)) + libid_bytes + _u32(0) + _u16(0))
    # PROJECTMODULES
    out += _rec(0x000F, _u16(len(modules)))
    out += _rec(0x0013, _u16(0xFFFF))                 # PROJECTCOOKIE
    for module in modules:
        out += _rec(0x0019, _mbcs(module.name)) + _rec(0x0047, _utf16(module.name))
        out += _rec(0x001A, _mbcs(module.name)) + _rec(0x0032, _utf16(module.name))  # stream name
        out += _rec(0x001C, b"") + _rec(0x0048, b"")  # DOCSTRING
        out += _rec(0x0031, _u32(0))                  # OFFSET: source starts the stream (no cache)
        out += _rec(0x001E, _u32(0))                  # HELPCONTEXT
        out += _rec(0x002C, _u16(0xFFFF))             # COOKIE
        out += _rec(0x0021 if module.kind == "standard" else 0x0022, b"")  # TYPE
        out += _rec(0x002B, b"")                      # module terminator
    out += _rec(0x0010, b"")                          # dir terminator
    return bytes(out)


# --- PROJECT stream (MS-OVBA 2.3.1) ------------------------------------------------------

def encrypt_project_data(project_id: str, data: bytes, seed: int = _ENCRYPTION_SEED) -> str:
    """MS-OVBA 2.4.3.2 data encryption of a protection field, as upper-case hex."""
    version = 2
    project_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ project_key])
    unencrypted_1, encrypted_1, encrypted_2 = project_key, seed ^ project_key, seed ^ version
    ignored = bytes([seed]) * ((seed & 6) // 2)
    for byte in ignored + len(data).to_bytes(4, "little") + data:
        byte_enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(byte_enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte
    return out.hex().upper()


def _project_stream(modules: Sequence[VbaModule], project_name: str, project_id: str) -> bytes:
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt_project_data(project_id, _u32(0))}"',    # not protected
        f'DPB="{encrypt_project_data(project_id, bytes(1))}"',   # no password
        f'GC="{encrypt_project_data(project_id, bytes([0xFF]))}"',  # visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{module.name}=0, 0, 0, 0, C" for module in modules]
    return _mbcs("\r\n".join(lines) + "\r\n")


def _projectwm(modules: Iterable[VbaModule]) -> bytes:
    out = bytearray()
    for module in modules:
        out += _mbcs(module.name) + b"\0" + _utf16(module.name) + b"\0\0"
    return bytes(out + b"\0\0")


def build_vba_project(
    modules: Sequence[VbaModule], *, project_name: str = PROJECT_NAME, project_id: str = PROJECT_ID
) -> bytes:
    """The bytes of a vbaProject.bin holding `modules` (see `load_modules`)."""
    vba = Storage({
        "_VBA_PROJECT": VBA_PROJECT_STREAM,
        "dir": compress(_dir_stream(modules, project_name)),
    })
    for module in modules:
        vba.entries[module.name] = compress(module.source.encode(ENCODING))
    root = Storage({
        "PROJECT": _project_stream(modules, project_name, project_id),
        "PROJECTwm": _projectwm(modules),
        "VBA": vba,
    })
    return write_compound_file(root)


def build_vba_project_from_dir(macros_dir: MacrosDir = None, sheets: Sequence[tuple[str, str]] = SHEETS) -> bytes:
    """`build_vba_project(load_modules(macros_dir, sheets))`."""
    return build_vba_project(load_modules(macros_dir, sheets))
