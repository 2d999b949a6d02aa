"""CRM exports (.csv, .xlsx, .xlsm) read into salesbook's Leads columns: encoding and delimiter
(csvfile), the header row below report titles (header), each CRM's default headers and stages
(presets), the Settings blocks and preset combined (mapping), the reading itself (export)."""

from salesbook.adapters.exports.export import CSV_SUFFIXES, XLSX_SUFFIXES, Export, read_export
from salesbook.adapters.exports.presets import PRESETS, preset_blocks

__all__ = ["Export", "read_export", "preset_blocks", "PRESETS", "CSV_SUFFIXES", "XLSX_SUFFIXES"]
