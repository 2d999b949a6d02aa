"""The sheets of SalesPipeline.xlsm, in tab order, with their VBA codeNames.

The codeName is both the ``sheetPr codeName`` of the sheet in the xlsx and the
name of its VBA document module, so the two must come from this one list.
"""

WORKBOOK_CODENAME = "ThisWorkbook"

SHEETS: list[tuple[str, str]] = [
    ("Leads", "shLeads"),
    ("Settings", "shSettings"),
    ("Funnel", "shFunnel"),
    ("Cleanse", "shCleanse"),
    ("History", "shHistory"),
    ("Archive", "shArchive"),
    ("Check", "shCheck"),
    ("Help", "shHelp"),
]

SHEET_CODENAMES: dict[str, str] = dict(SHEETS)
