"""OOXML facts, each defined once: namespaces, relationship types, content types, part names
and Excel's date epochs. The file adapter and the workbook builder both import them from here.

Two namespaces are both called "relationships" in OOXML and are easy to mix up:

- ``NS_PKG_REL`` (``.../package/2006/relationships``, OPC): the namespace of a ``*.rels``
  part itself (``<Relationships>``, ``<Relationship>`` elements);
- ``NS_DOC_REL`` (``.../officeDocument/2006/relationships``): the namespace of the ``r:id``
  attributes that point into a rels part, and the stem of the relationship *types*
  (``REL_WORKSHEET`` and the others below).
"""

from __future__ import annotations

import datetime as _dt

# --------------------------------------------------------------------------- namespaces

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# ISO/IEC 29500 Strict: its main namespace (Transitional workbooks use NS_MAIN).
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_DML = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"

# --------------------------------------------------------------------------- relationship types

REL_OFFICE_DOCUMENT = NS_DOC_REL + "/officeDocument"
REL_WORKSHEET = NS_DOC_REL + "/worksheet"
REL_TABLE = NS_DOC_REL + "/table"
REL_DRAWING = NS_DOC_REL + "/drawing"
REL_CHART = NS_DOC_REL + "/chart"
REL_STYLES = NS_DOC_REL + "/styles"
REL_SHARED_STRINGS = NS_DOC_REL + "/sharedStrings"

# --------------------------------------------------------------------------- content types

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
# The main part of a workbook salesbook reads: .xlsx, .xltx, .xlsm, .xltm.
CT_WORKBOOKS = frozenset({
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml",
    "application/vnd.ms-excel.template.macroenabled.main+xml",
})
CT_XLSB = "application/vnd.ms-excel.sheet.binary.macroenabled.main"

# --------------------------------------------------------------------------- part names

XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'  # how every part written starts

CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"

# --------------------------------------------------------------------------- dates

EXCEL_EPOCH = _dt.datetime(1899, 12, 30)  # serial 0 of the 1900 date system (with its phantom 1900-02-29)
EXCEL_EPOCH_1904 = _dt.datetime(1904, 1, 1)  # serial 0 of the 1904 date system (workbookPr date1904)
