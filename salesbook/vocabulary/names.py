"""The names of the workbook's sheets, its lead table and the add-in's log columns, defined once.

The Leads table's own columns (English and Chinese headers, aliases) are in
``salesbook.rules.schema``; ``column_words`` gives their (English, 中文) pair.
"""

from __future__ import annotations

from salesbook.rules.schema import BY_KEY

APP_TITLE = "Sales Pipeline"  # the ribbon tab, message box titles and the status bar prefix

# The name the add-in writes each sheet under (its role) ...
LEADS, SETTINGS, FUNNEL, CLEANSE, HISTORY, ARCHIVE, CHECK, HELP = (
    "Leads", "Settings", "Funnel", "Cleanse", "History", "Archive", "Check", "Help")
ROLES = (LEADS, SETTINGS, FUNNEL, CLEANSE, HISTORY, ARCHIVE, CHECK, HELP)  # the shipped workbook's tab order

# ... and every name it finds the sheet under (matched ignoring case), the written name first.
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    LEADS: (LEADS, "线索"),
    SETTINGS: (SETTINGS, "设置", "配置"),
    FUNNEL: (FUNNEL,),
    CLEANSE: (CLEANSE,),
    HISTORY: (HISTORY, "历史"),
    ARCHIVE: (ARCHIVE, "归档"),
    CHECK: (CHECK,),
    HELP: (HELP, "帮助"),
}

# The team report's sheets (salesbook rollup), written into TEAM.xlsx under their English names.
TEAM_FUNNEL, TEAM_CLEANSE, TARGETS, FORECAST, MOVEMENT = "Team Funnel", "Team Cleanse", "Targets", "Forecast", "Movement"
TEAM_SHEETS = (TEAM_FUNNEL, TEAM_CLEANSE, TARGETS, FORECAST, MOVEMENT)
SHEET_NAMES.update({TEAM_FUNNEL: (TEAM_FUNNEL, "团队漏斗"), TEAM_CLEANSE: (TEAM_CLEANSE, "团队清洗"),
                    TARGETS: (TARGETS, "目标"), FORECAST: (FORECAST, "预测"), MOVEMENT: (MOVEMENT, "变动")})

LEADS_TABLE = "Leads"  # the Excel table the shipped workbook holds the leads in


def column_words(key: str) -> tuple[str, str]:
    """A Leads column's (English, 中文) header, from the schema."""
    col = BY_KEY[key]
    return col.en, col.zh


# The History sheet's columns (a stage change per row).
HISTORY_COLUMNS: dict[str, tuple[str, str]] = {
    "lead_id": column_words("lead_id"), "from": ("From", "原阶段"), "to": ("To", "新阶段"), "date": ("Date", "日期"),
}
ARCHIVED_ON = ("Archived On", "归档日期")  # the Archive sheet's first column; the lead columns follow
