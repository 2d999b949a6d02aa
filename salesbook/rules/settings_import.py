"""The Settings sheet's Import columns (导入列) and Import values (导入值) blocks: how a CRM export maps
onto the Leads columns (read into Settings.import_columns / import_values by settings_sheet's
``settings_from_grid``), and where a preset's new lines go (``salesbook import --write-settings``)."""

from __future__ import annotations

from dataclasses import dataclass

from salesbook.rules.schema import BY_KEY, INPUTS, match_header, norm
from salesbook.rules.settings import (IMPORT_VALUE_KEYS, LOST, OPEN, SETTINGS_SHEET, WON, ImportColumn, ImportValue,
                                      Settings, Stage)
from salesbook.rules.settings_sheet import SettingsError, _blocks, _find_col, _Grid, _label, _table, _text
from salesbook.vocabulary.words import IMPORT_ONLY_COLUMNS
from salesbook.vocabulary.words import SETTINGS_BLOCKS as BLOCKS, SETTINGS_COLUMNS as COLUMNS


# ---------------------------------------------------------------------------
# The Import columns and Import values blocks (how a CRM export maps onto Leads)
# ---------------------------------------------------------------------------

_IMPORTABLE = {c.key for c in INPUTS}


def import_label(key: str) -> str:
    """The English name a Column cell of the Import blocks is written with."""
    return IMPORT_ONLY_COLUMNS[key][0] if key in IMPORT_ONLY_COLUMNS else BY_KEY[key].en


def import_key(cell: object) -> str | None:
    """The key a Column cell of the Import blocks names: a Leads input column (English, Chinese or
    an alias) or Status / Last Stage Change; None when it names none."""
    for key, names in IMPORT_ONLY_COLUMNS.items():
        if _label(cell, *names):
            return key
    key = match_header(cell)
    return key if key in _IMPORTABLE else None


def _import_table(grid: _Grid, span, block: str) -> tuple[dict[str, int], list[int]]:
    header_r, header, rows = _table(grid, span)
    cols = {key: _find_col(header, *names) for key, names in COLUMNS[block].items()}
    if rows and None in cols.values():
        wanted = " | ".join(names[0] for names in COLUMNS[block].values())
        found = " | ".join(_text(h) for h in header if _text(h))
        title = BLOCKS[block][0]
        raise SettingsError(
            f"Settings sheet '{grid.sheet}', row {header_r + 1}: the {title} block needs the header "
            f"{wanted} (found {found!r}). Fix the header and run again.",
            sheet=grid.sheet, row=header_r + 1, column="A", value=found)
    return cols, rows


def read_import_columns(grid: _Grid, span, changes: dict) -> None:
    cols, rows = _import_table(grid, span, "import_columns")
    out = []
    for r in rows:
        cell, header = grid.cell(r, cols["column"]), _text(grid.cell(r, cols["header"]))
        if not _text(cell) and not header:
            continue
        key = import_key(cell)
        if key is None:
            raise grid.error(r, cols["column"], cell, "a salesbook column (Lead ID, Company, Stage … or Status, "
                                                      "Last Stage Change)")
        if not header:
            raise grid.error(r, cols["header"], grid.cell(r, cols["header"]), "the export's header for this column")
        out.append(ImportColumn(key, header))
    changes["import_columns"] = tuple(out)


def read_import_values(grid: _Grid, span, changes: dict, settings: Settings) -> None:
    cols, rows = _import_table(grid, span, "import_values")
    stages = {norm(n): st for st in settings.stages for n in (st.name, st.zh) if n}
    out = []
    for r in rows:
        cell = grid.cell(r, cols["column"])
        value, to_cell = _text(grid.cell(r, cols["value"])), grid.cell(r, cols["to"])
        if not _text(cell) and not value:
            continue
        key = import_key(cell)
        if key not in IMPORT_VALUE_KEYS:
            raise grid.error(r, cols["column"], cell, "Stage, Budget, Authority, Need, Timeline or Status")
        if not value:
            raise grid.error(r, cols["value"], grid.cell(r, cols["value"]), "the export's value to map")
        to = _import_target(key, _text(to_cell), settings, stages)
        if to is None:
            raise grid.error(r, cols["to"], to_cell, _import_what(key, settings))
        out.append(ImportValue(key, value, to))
    changes["import_values"] = tuple(out)


def _import_target(key: str, to: str, settings: Settings, stages: dict[str, Stage]) -> str | None:
    """The canonical salesbook value an Import values line maps to, None when there is none."""
    if not to:
        return None
    if key == "stage":
        stage = stages.get(norm(to))
        return stage.name if stage else None
    if key == "status":
        if norm(to) in ("open", "进行中", "开放"):
            return "Open"
        stage = stages.get(norm(to))
        return stage.name if stage and stage.kind in (WON, LOST) else None
    i = settings.find_choice(key, to)
    return settings.bant[key][i].value if i is not None else None


def _import_what(key: str, settings: Settings) -> str:
    if key == "stage":
        return "a stage of the Stages block (" + ", ".join(s.name for s in settings.stages) + ")"
    if key == "status":
        return "Open or a won or lost stage (" + ", ".join(s.name for s in settings.stages if s.kind != OPEN) + ")"
    return f"a {key.capitalize()} value of the BANT points block (" + \
        ", ".join(c.value for c in settings.bant[key]) + ")"


# ---------------------------------------------------------------------------
# Lines added to the Import blocks (salesbook import --preset NAME --write-settings)
# ---------------------------------------------------------------------------


def new_import_lines(settings: Settings, columns, values) -> tuple[tuple, tuple]:
    """The lines of ``columns`` (ImportColumn) and ``values`` (ImportValue) the Import blocks of
    ``settings`` do not map yet: a column the Import columns block names is left as it is (its
    lines win), an export value of a column the Import values block maps is left too."""
    mapped = {c.key for c in settings.import_columns}
    known = {(v.key, norm(v.value)) for v in settings.import_values}
    cols = tuple(c for c in columns if c.key not in mapped)
    vals, seen = [], set(known)
    for v in values:
        if (v.key, norm(v.value)) not in seen:
            seen.add((v.key, norm(v.value)))
            vals.append(v)
    return cols, tuple(vals)


@dataclass
class BlockPlace:
    """Where lines go in an Import block (0-based grid rows and columns): ``first_free`` is the
    row after its last line, ``room`` how many lines fit before the blank row that parts it from
    the next block (None: it is the last block, lines may go on down), ``columns`` the block's
    columns by key (column, header / column, value, to)."""

    key: str
    first_free: int
    room: int | None
    columns: dict[str, int]


def import_block_place(rows: list[list[object]] | None, block: str, sheet: str = SETTINGS_SHEET) -> BlockPlace | None:
    """Where new lines of the ``block`` (import_columns or import_values) go on a Settings sheet
    (its cells as a reader gives them); None when the sheet has no such block."""
    if not rows:
        return None
    grid = _Grid([list(r) for r in rows], sheet)
    spans = _blocks(grid)
    if block not in spans:
        return None
    _, end = spans[block]
    cols, lines = _import_table(grid, spans[block], block)
    header_r, _, _ = _table(grid, spans[block])
    if header_r >= end or None in cols.values():
        return None
    first_free = (lines[-1] if lines else header_r) + 1
    followed = end < len(grid.rows)  # another block's title below: keep the blank row above it
    room = max(0, end - 1 - first_free) if followed else None
    return BlockPlace(block, first_free, room, cols)
