"""The Import columns / Import values blocks: written for new books, read back, bad cells named;
a preset written into them (for --write-settings)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from python_calamine import CalamineWorkbook

from salesbook.adapters.exports import preset_blocks
from salesbook.adapters.files.newbook import new_book
from salesbook.rules.settings import ImportColumn, ImportValue, Settings
from salesbook.rules.settings_sheet import SettingsError, settings_from_grid


def sheet_rows(path):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Settings").to_python(skip_empty_area=False)


def test_a_preset_written_into_a_new_book_reads_back(tmp_path):
    columns, values = preset_blocks("pipedrive")
    settings = replace(Settings(), import_columns=columns, import_values=values)
    new_book(tmp_path / "b.xlsx", None, settings)
    rows = sheet_rows(tmp_path / "b.xlsx")
    titles = {r[0]: i + 1 for i, r in enumerate(rows) if r and r[0] in ("Import columns 导入列", "Import values 导入值")}
    assert titles["Import columns 导入列"] == 95  # below Targets (A82) and its ten empty lines
    assert rows[95][:2] == ["Column", "Export header"] and rows[96][:2] == ["Lead ID", "Deal - ID"]
    back = settings_from_grid([[None if v == "" else v for v in r] for r in rows])
    assert back.import_columns == columns and back.import_values == values
    assert ImportValue("status", "won", "Closed Won") in back.import_values


def grid(lines_columns=(), lines_values=()):
    rows = [["Import columns 导入列"], ["Column", "Export header"], *lines_columns, [],
            ["Import values 导入值"], ["Column", "Export value", "Value"], *lines_values]
    return rows


def test_chinese_column_names_and_alternatives():
    s = settings_from_grid(grid([["负责人", "Deal owner"], ["Owner", "Opportunity Owner"], ["状态", "Deal - Status"]],
                                [["阶段", "初步沟通", "Initial Contact"], ["Status", "won", "成交"]]))
    assert s.import_columns == (ImportColumn("owner", "Deal owner"), ImportColumn("owner", "Opportunity Owner"),
                                ImportColumn("status", "Deal - Status"))
    assert s.import_values == (ImportValue("stage", "初步沟通", "Initial Contact"),
                               ImportValue("status", "won", "Closed Won"))


@pytest.mark.parametrize("columns, values, cell, what", [
    ([["Colour", "Farbe"]], [], "A3", "is not a salesbook column"),
    ([["Owner", None]], [], "B3", "is not the export's header for this column"),
    ([], [["Stage", "Won it", "Signed"]], "C7", "is not a stage of the Stages block (Prospecting"),
    ([], [["Status", "won", "Proposal"]], "C7", "is not Open or a won or lost stage (Closed Won, Closed Lost)"),
    ([], [["Budget", "ja", "Maybe"]], "C7", "is not a Budget value of the BANT points block (Confirmed"),
    ([], [["Owner", "x", "y"]], "A7", "is not Stage, Budget, Authority, Need, Timeline or Status"),
])
def test_bad_cells_are_named(columns, values, cell, what):
    with pytest.raises(SettingsError) as info:
        settings_from_grid(grid(columns, values) if columns else
                           [["Import columns 导入列"], ["Column", "Export header"], ["Owner", "Deal owner"], [],
                            ["Import values 导入值"], ["Column", "Export value", "Value"], *values])
    assert f"cell {cell}:" in info.value.message and what in info.value.message
