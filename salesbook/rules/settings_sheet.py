"""The Settings sheet: reading its cells into Settings (``settings_from_grid``) and laying
Settings out as its blocks (``settings_rows``). The sheet's layout is described in
rules/settings.py; a value that cannot be read stops the command (``SettingsError``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from salesbook.cells import col_letter
from salesbook.errors import Refusal
from salesbook.rules.schema import norm
from salesbook.rules.settings import (DIMENSIONS, GRADES, LOST, OPEN, PROFILE_ALIASES, SETTINGS_SHEET, WON, Choice,
                                      Settings, Stage, Target)
from salesbook.vocabulary.words import DIMENSION_LABELS, SETTINGS_BLOCK_NOTES, SETTINGS_GENERAL_NOTES, both
from salesbook.vocabulary.words import SETTINGS_BLOCKS as BLOCKS, SETTINGS_COLUMNS as COLUMNS
from salesbook.vocabulary.words import SETTINGS_GENERAL as GENERAL_KEYS


class SettingsError(Refusal):
    """A Settings cell that cannot be read: the command stops before writing anything."""


# ---------------------------------------------------------------------------
# Reading a Settings sheet
# ---------------------------------------------------------------------------

def _label(cell: object, *names: str) -> bool:
    """True when a label cell says one of ``names``, alone or English and Chinese together."""
    n = norm(cell)
    if not n:
        return False
    keys = [norm(x) for x in names if x]
    if n in keys:
        return True
    return any(n == a + b or n == b + a for a in keys for b in keys if a != b)


@dataclass
class _Grid:
    rows: list[list[object]]
    sheet: str

    def cell(self, r: int, c: int) -> object:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else None

    def blank_row(self, r: int) -> bool:
        return all(v is None or str(v).strip() == "" for v in (self.rows[r] if r < len(self.rows) else []))

    def error(self, r: int, c: int, value: object, what: str) -> SettingsError:
        ref = f"{col_letter(c + 1)}{r + 1}"
        return SettingsError(
            f"Settings sheet '{self.sheet}', cell {ref}: {value!r} is not {what}. "
            f"Fix the cell (or clear it to use the default) and run again.",
            sheet=self.sheet, row=r + 1, column=col_letter(c + 1), value=value)




def _which_block(cell: object) -> str | None:
    for key, names in BLOCKS.items():
        if _label(cell, *names):
            return key
    return None


def _blocks(grid: _Grid) -> dict[str, tuple[int, int]]:
    """Block name -> (first content row, end row exclusive), by title cells in column A."""
    titles = []
    for r in range(len(grid.rows)):
        key = _which_block(grid.cell(r, 0))
        if key and all(grid.cell(r, c) in (None, "") for c in (1, 2, 3)):
            titles.append((r, key))
    spans = {}
    for i, (r, key) in enumerate(titles):
        end = titles[i + 1][0] if i + 1 < len(titles) else len(grid.rows)
        spans.setdefault(key, (r + 1, end))
    return spans


def _table(grid: _Grid, span: tuple[int, int]) -> tuple[int, list[object], list[int]]:
    """The header row index, header cells and data row indexes of a table block.
    Data runs from the line after the header to the first blank line."""
    start, end = span
    r = start
    while r < end and grid.blank_row(r):
        r += 1
    header_r = r
    header = list(grid.rows[header_r]) if header_r < end else []
    rows = []
    r += 1
    while r < end and not grid.blank_row(r):
        rows.append(r)
        r += 1
    return header_r, header, rows


def _find_col(header: list[object], *names: str) -> int | None:
    for i, h in enumerate(header):
        if _label(h, *names):
            return i
    return None


def _number(grid: _Grid, r: int, c: int, what: str, *, percent: bool = False, minimum: float | None = 0) -> float | None:
    v = grid.cell(r, c)
    if v is None or str(v).strip() == "":
        return None
    if isinstance(v, bool):
        raise grid.error(r, c, v, what)
    is_pct = False
    if isinstance(v, (int, float)):
        x = float(v)
    else:
        s = str(v).strip().replace(",", "")
        is_pct = s.endswith("%")
        try:
            x = float(s.rstrip("%"))
        except ValueError:
            raise grid.error(r, c, v, what) from None
        if is_pct:
            x /= 100
    if x != x or x in (float("inf"), float("-inf")):  # 'nan' / 'inf' parse as floats but are no number
        raise grid.error(r, c, v, what)
    if percent and x > 1 and not is_pct:  # 55 means 55%; but '150%' is 1.5, not 1.5%
        x /= 100
    if minimum is not None and x < minimum:
        raise grid.error(r, c, v, what)
    return x


def _whole(grid: _Grid, r: int, c: int, what: str) -> int | None:
    x = _number(grid, r, c, what)
    if x is None:
        return None
    if x != int(x):
        raise grid.error(r, c, grid.cell(r, c), what)
    return int(x)


def _date(grid: _Grid, r: int, c: int, what: str) -> dt.date | None:
    v = grid.cell(r, c)
    if v is None or str(v).strip() == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 1 <= v < 2958466:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(v))
    s = str(v).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    raise grid.error(r, c, v, what)


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def _read_general(grid: _Grid, span, changes: dict) -> None:
    for r in range(*span):
        key_cell = grid.cell(r, 0)
        for key, names in GENERAL_KEYS.items():
            if not _label(key_cell, *names):
                continue
            v = grid.cell(r, 1)
            if key == "as_of":
                d = _date(grid, r, 1, "a date (As of)")
                if d:
                    changes["as_of"] = d
            elif key == "weight_profile":
                if _text(v):
                    changes["weight_profile"] = _text(v)
                    changes["_profile_cell"] = (r, 1, v)
            elif key == "grade_method":
                t = norm(v)
                if not t:
                    continue
                if t in ("rules", "rule", "规则", "bant", "bantrules"):
                    changes["grade_method"] = "rules"
                elif t in ("score", "scores", "评分", "分数", "scorethresholds"):
                    changes["grade_method"] = "score"
                else:
                    raise grid.error(r, 1, v, "a grade method (Rules or Score)")
            elif key == "language":
                t = norm(v)
                if not t:
                    continue
                lang = {"auto": "auto", "自动": "auto", "english": "en", "en": "en", "英文": "en",
                        "chinese": "zh", "zh": "zh", "中文": "zh"}.get(t)
                if lang is None:
                    raise grid.error(r, 1, v, "a language (Auto, English or 中文)")
                changes["language"] = lang
            elif key in ("duplicate_check", "close_date_check"):
                t = norm(v)
                if t:
                    if t not in ("yes", "no", "true", "false", "on", "off", "是", "否", "1", "0"):
                        raise grid.error(r, 1, v, "Yes or No")
                    changes[key] = t in ("yes", "true", "on", "是", "1")
            elif key in _READERS:
                value = _READERS[key](v)
                if value is _INVALID:
                    raise grid.error(r, 1, v, _READER_WHAT[key])
                if value is not None:
                    changes[key] = value
            elif key in ("a_threshold", "b_threshold"):
                x = _number(grid, r, 1, "a score from 0 to 100")
                if x is not None:
                    if x > 100:
                        raise grid.error(r, 1, v, "a score from 0 to 100")
                    changes[key] = x
            else:
                x = _whole(grid, r, 1, "a whole number of at least 0")
                if x is not None:
                    changes[key] = x
            break


_INVALID = object()
DATE_ORDERS = {"auto": "auto", "自动": "auto", "dmy": "DMY", "ddmmyyyy": "DMY", "日月年": "DMY", "dayfirst": "DMY",
               "mdy": "MDY", "mmddyyyy": "MDY", "月日年": "MDY", "monthfirst": "MDY",
               "ymd": "YMD", "yyyymmdd": "YMD", "年月日": "YMD", "yearfirst": "YMD"}
DECIMAL_SEPARATORS = {".": ".", "．": ".", "point": ".", "dot": ".", "period": ".", "decimalpoint": ".", "点": ".",
                      "小数点": ".", ",": ",", "，": ",", "comma": ",", "decimalcomma": ",", "逗号": ",",
                      "auto": "auto", "自动": "auto"}


def _date_order(v: object) -> object:
    t = norm(v)
    return None if not t else DATE_ORDERS.get(t, _INVALID)


def _decimal_separator(v: object) -> object:
    t = _text(v)
    if not t:
        return None
    return DECIMAL_SEPARATORS.get(t, DECIMAL_SEPARATORS.get(norm(t), _INVALID))


def _phone_region(v: object) -> object:
    """A region code (CN, US …) or a calling code (86, +86) → the region phonenumbers knows."""
    if isinstance(v, float) and v.is_integer():  # 86 typed as a number
        v = int(v)
    t = _text(v).upper()
    if not t:
        return None
    if t == "CN":  # the default: no need to pay for the import (~60 ms) on every command
        return t
    import phonenumbers

    if t.lstrip("+").isdigit():
        t = phonenumbers.region_code_for_country_code(int(t.lstrip("+")))
    return t if t in phonenumbers.SUPPORTED_REGIONS else _INVALID


def _holiday_calendar(v: object) -> object:
    """A country code the holidays package knows (CN, US, DE …), optionally with a subdivision
    (US-CA, DE-BY); blank, None or 无 for none."""
    t = _text(v).upper().replace("/", "-").replace(" ", "")
    if not t:
        return None
    if norm(t) in ("none", "无", "-", "—", "no", "否"):
        return ""
    import holidays  # only when the cell is filled in

    country, _, subdiv = t.partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported or (subdiv and subdiv not in {s.upper() for s in supported[country]}):
        return _INVALID
    return t


_READERS = {"date_order": _date_order, "decimal_separator": _decimal_separator, "phone_region": _phone_region,
            "holiday_calendar": _holiday_calendar}
_READER_WHAT = {"date_order": "a date order (Auto, DMY, MDY or YMD)",
                "decimal_separator": "a decimal separator (Auto, . or ,)",
                "phone_region": "a phone region (a country code such as CN, US or DE, or a calling code such as +86)",
                "holiday_calendar": "a country code for the holiday calendar (such as CN, US, DE, GB or US-CA), "
                                    "or blank for none"}


def _read_stages(grid: _Grid, span, changes: dict) -> None:
    header_r, header, rows = _table(grid, span)
    c_name = _find_col(header, *COLUMNS["stages"]["name"])
    c_zh = _find_col(header, *COLUMNS["stages"]["zh"])
    c_prob = _find_col(header, *COLUMNS["stages"]["probability"])
    c_limit = _find_col(header, *COLUMNS["stages"]["limit"])
    c_kind = _find_col(header, *COLUMNS["stages"]["kind"])
    if c_name is None or not rows:
        return
    stages = []
    for r in rows:
        name = _text(grid.cell(r, c_name))
        if not name:
            continue
        zh = _text(grid.cell(r, c_zh)) if c_zh is not None else ""
        prob = _number(grid, r, c_prob, "a probability (0–100%)", percent=True) if c_prob is not None else None
        limit = _whole(grid, r, c_limit, "a number of days") if c_limit is not None else None
        kind_cell = grid.cell(r, c_kind) if c_kind is not None else None
        kind = _stage_kind(kind_cell, name, zh)
        if kind is None:
            raise grid.error(r, c_kind, kind_cell, "a stage type (Open, Won or Lost)")
        if prob is None:
            prob = 1.0 if kind == WON else 0.0
        if prob > 1:
            raise grid.error(r, c_prob, grid.cell(r, c_prob), "a probability (0–100%)")
        stages.append(Stage(name, zh, prob, limit if kind == OPEN else None, kind))
    if not any(s.kind == OPEN for s in stages):
        raise grid.error(header_r, c_name, "", "followed by at least one open stage")
    if not any(s.kind == WON for s in stages):
        stages.append(Stage("Closed Won", "成交", 1.0, None, WON))
    if not any(s.kind == LOST for s in stages):
        stages.append(Stage("Closed Lost", "丢单", 0.0, None, LOST))
    changes["stages"] = tuple(stages)


def _stage_kind(cell: object, name: str, zh: str) -> str | None:
    t = norm(cell)
    if t:
        return {"open": OPEN, "进行中": OPEN, "开放": OPEN, "won": WON, "win": WON, "成交": WON, "赢单": WON,
                "lost": LOST, "丢单": LOST, "输单": LOST}.get(t)
    n = norm(name)
    if n in ("closedwon", "won") or zh == "成交":
        return WON
    if n in ("closedlost", "lost") or zh == "丢单":
        return LOST
    return OPEN


def _read_bant(grid: _Grid, span, settings_bant: dict, changes: dict) -> None:
    header_r, header, rows = _table(grid, span)
    c_dim = _find_col(header, *COLUMNS["bant"]["dimension"])
    c_val = _find_col(header, *COLUMNS["bant"]["value"])
    c_zh = _find_col(header, *COLUMNS["bant"]["zh"])
    c_pts = _find_col(header, *COLUMNS["bant"]["points"])
    c_blank = _find_col(header, *COLUMNS["bant"]["blank"])
    if None in (c_dim, c_val, c_pts) or not rows:
        return
    table: dict[str, list[Choice]] = {}
    for r in rows:
        dim_cell = grid.cell(r, c_dim)
        dim = next((d for d, names in DIMENSION_LABELS.items() if _label(dim_cell, *names)), None)
        if dim is None:
            raise grid.error(r, c_dim, dim_cell, "a BANT dimension (Budget, Authority, Need or Timeline)")
        value = _text(grid.cell(r, c_val))
        if not value:
            continue
        pts = _whole(grid, r, c_pts, "points from 0 to 3")
        if pts is None or pts > 3:
            raise grid.error(r, c_pts, grid.cell(r, c_pts), "points from 0 to 3")
        zh = _text(grid.cell(r, c_zh)) if c_zh is not None else ""
        blank = norm(grid.cell(r, c_blank)) in ("yes", "true", "是", "x", "✓", "1") if c_blank is not None else False
        # Keep the default aliases of a known value so that Chinese / short forms still match.
        old = next((c for c in settings_bant[dim] if norm(c.value) == norm(value) or (zh and norm(c.zh) == norm(zh))), None)
        aliases = old.aliases if old else ()
        canonical = old.value if old else value
        if old and norm(old.value) != norm(value):
            aliases = aliases + (value,)
        table.setdefault(dim, []).append(Choice(canonical, zh or (old.zh if old else ""), pts, blank, aliases))
    merged = dict(settings_bant)
    for dim, choices in table.items():
        if c_blank is None:  # keep the default's idea of what a blank cell means
            default_blank = next((c.value for c in settings_bant[dim] if c.blank), None)
            choices = [replace(c, blank=c.value == default_blank) for c in choices]
        merged[dim] = tuple(choices)
    changes["bant"] = merged


def _read_timeline_days(grid: _Grid, span, changes: dict) -> None:
    header_r, header, rows = _table(grid, span)
    c_days = _find_col(header, *COLUMNS["timeline_days"]["days"])
    c_pts = _find_col(header, *COLUMNS["timeline_days"]["points"])
    if None in (c_days, c_pts) or not rows:
        return
    pairs = []
    for r in rows:
        d = _whole(grid, r, c_days, "a number of days")
        p = _whole(grid, r, c_pts, "points from 0 to 3")
        if d is None or p is None:
            continue
        if p > 3:
            raise grid.error(r, c_pts, grid.cell(r, c_pts), "points from 0 to 3")
        pairs.append((d, p))
    changes["timeline_days"] = tuple(sorted(pairs))


def _read_weights(grid: _Grid, span, weights: dict, changes: dict) -> None:
    header_r, header, rows = _table(grid, span)
    c_prof = _find_col(header, *COLUMNS["weights"]["profile"])
    cols = {d: _find_col(header, *DIMENSION_LABELS[d]) for d in DIMENSIONS}
    if c_prof is None or None in cols.values() or not rows:
        return
    merged = {k: dict(v) for k, v in weights.items()}
    for r in rows:
        name = _text(grid.cell(r, c_prof))
        if not name:
            continue
        name = PROFILE_ALIASES.get(name, name)
        w = {}
        for d, c in cols.items():
            x = _number(grid, r, c, "a weight (0–1 or 0–100%)", percent=True)
            w[d] = 0.0 if x is None else x
        total = sum(w.values())
        if abs(total - 1) > 0.011:
            raise grid.error(r, c_prof, name, f"a profile whose weights add up to 100% (they add up to {total:.0%})")
        merged[_canonical_profile(name, merged)] = w
    changes["weights"] = merged


def _canonical_profile(name: str, profiles: dict) -> str:
    name = PROFILE_ALIASES.get(name, name)
    for p in profiles:
        if norm(p) == norm(name):
            return p
    return name


def _read_cadence(grid: _Grid, span, changes: dict, base: Settings) -> None:
    header_r, header, rows = _table(grid, span)
    c_grade = _find_col(header, *COLUMNS["cadence"]["grade"])
    c_open = _find_col(header, *COLUMNS["cadence"]["open"])
    c_won = _find_col(header, *COLUMNS["cadence"]["won"])
    if c_grade is None or not rows:
        return
    open_ = dict(base.cadence_open)
    won = dict(base.cadence_won)
    for r in rows:
        g = _text(grid.cell(r, c_grade)).upper()
        if not g:
            continue
        if g not in GRADES:
            raise grid.error(r, c_grade, grid.cell(r, c_grade), "a grade (A, B, C or D)")
        if c_open is not None:
            open_[g] = _cadence(grid, r, c_open)
        if c_won is not None:
            won[g] = _cadence(grid, r, c_won)
    changes["cadence_open"] = open_
    changes["cadence_won"] = won


def _cadence(grid: _Grid, r: int, c: int) -> int | None:
    v = grid.cell(r, c)
    if norm(v) in ("", "none", "无", "-", "—", "n/a", "na"):
        return None
    days = _whole(grid, r, c, "a number of days (or None)")
    if days == 0:
        raise grid.error(r, c, v, "a number of days of at least 1 (or None)")
    return days


def _read_holidays(grid: _Grid, span, changes: dict) -> None:
    header_r, header, rows = _table(grid, span)
    c_date = _find_col(header, *COLUMNS["holidays"]["date"])
    if c_date is None:  # a bare list of dates under the title
        rows, c_date = [header_r, *rows], 0
    days = [_date(grid, r, c_date, "a holiday date") for r in rows]
    changes["holidays"] = tuple(sorted({d for d in days if d}))


def _read_targets(grid: _Grid, span, changes: dict) -> None:
    """Owner | Period | Target lines. A line without a Target is skipped (room to fill in);
    an owner, period or amount that cannot be read, or a second target for the same owner
    and period, stops with the cell named."""
    from salesbook.rules.period import FIXED_SHAPES, PeriodError, period_of_cell

    header_r, header, rows = _table(grid, span)
    if not rows:
        changes["targets"] = ()
        return
    cols = {key: _find_col(header, *names) for key, names in COLUMNS["targets"].items()}
    if None in cols.values():
        found = " | ".join(_text(h) for h in header if _text(h))
        raise SettingsError(
            f"Settings sheet '{grid.sheet}', row {header_r + 1}: the Targets block needs the header "
            f"Owner | Period | Target (found {found!r}). Fix the header and run again.",
            sheet=grid.sheet, row=header_r + 1, column="A", value=found)
    targets: list[Target] = []
    seen: dict[tuple[str, str], int] = {}
    for r in rows:
        amount = _number(grid, r, cols["target"], "a target amount of 0 or more")
        if amount is None:
            continue
        owner = _text(grid.cell(r, cols["owner"]))
        if not owner:
            ref = f"{col_letter(cols['owner'] + 1)}{r + 1}"
            raise SettingsError(
                f"Settings sheet '{grid.sheet}', cell {ref}: the owner of this target is empty. Write the rep "
                f"it is for (or clear the line) and run again.",
                sheet=grid.sheet, row=r + 1, column=col_letter(cols["owner"] + 1), value=None)
        cell = grid.cell(r, cols["period"])
        try:
            period = period_of_cell(cell).label
        except PeriodError:
            raise grid.error(r, cols["period"], cell, FIXED_SHAPES) from None
        key = (owner, period)  # owners as typed, as the Funnel's per-owner table groups them
        if key in seen:
            ref = f"{col_letter(cols['owner'] + 1)}{r + 1}"
            raise SettingsError(
                f"Settings sheet '{grid.sheet}', cell {ref}: {owner!r} has a second target for {period} "
                f"(the first is on row {seen[key] + 1}). Keep one line per owner and period and run again.",
                sheet=grid.sheet, row=r + 1, column=col_letter(cols["owner"] + 1), value=owner)
        seen[key] = r
        targets.append(Target(owner, period, amount))
    changes["targets"] = tuple(targets)


def settings_from_grid(rows: list[list[object]] | None, sheet: str = SETTINGS_SHEET, base: Settings | None = None) -> Settings:
    """Settings from the raw cells of a Settings sheet (values as a reader gives them)."""
    base = base or Settings()
    if not rows:
        return base
    grid = _Grid([list(r) for r in rows], sheet)
    spans = _blocks(grid)
    changes: dict = {}
    if "general" in spans:
        _read_general(grid, spans["general"], changes)
    if "stages" in spans:
        _read_stages(grid, spans["stages"], changes)
    if "bant" in spans:
        _read_bant(grid, spans["bant"], base.bant, changes)
    if "timeline_days" in spans:
        _read_timeline_days(grid, spans["timeline_days"], changes)
    if "weights" in spans:
        _read_weights(grid, spans["weights"], base.weights, changes)
    if "cadence" in spans:
        _read_cadence(grid, spans["cadence"], changes, base)
    if "holidays" in spans:
        _read_holidays(grid, spans["holidays"], changes)
    if "targets" in spans:
        _read_targets(grid, spans["targets"], changes)
    from salesbook.rules.settings_import import read_import_columns, read_import_values  # (it builds on this module)

    if "import_columns" in spans:
        read_import_columns(grid, spans["import_columns"], changes)
    if "import_values" in spans:
        read_import_values(grid, spans["import_values"], changes, replace(base, **{
            k: v for k, v in changes.items() if k in ("stages", "bant")}))
    profile_cell = changes.pop("_profile_cell", None)
    settings = replace(base, **changes)
    if profile_cell:
        name = _canonical_profile(settings.weight_profile, settings.weights)
        if name not in settings.weights:
            r, c, v = profile_cell
            raise grid.error(r, c, v, "a weight profile (" + ", ".join(settings.weights) + ")")
        settings = replace(settings, weight_profile=name)
    if settings.b_threshold > settings.a_threshold:
        raise SettingsError(f"Settings sheet '{sheet}': the B score threshold ({settings.b_threshold:g}) is above "
                            f"the A threshold ({settings.a_threshold:g}). Make A the higher one.", sheet=sheet)
    return settings


def settings_rows(settings: Settings | None = None) -> list[tuple[str, list[list[object]], str]]:
    """The Settings sheet laid out as titled blocks: (title, rows incl. header, note).

    The shipped workbook and ``salesbook demo`` write these; ``settings_from_grid``
    reads them back to the same Settings (a round trip the tests check)."""
    s = settings or Settings()

    def header(block: str, name=lambda names: names[0]) -> list[str]:  # the names each column is written under
        return [name(names) for names in COLUMNS[block].values()]

    values = {"as_of": s.as_of, "weight_profile": s.weight_profile,
              "grade_method": "Rules" if s.grade_method == "rules" else "Score",
              "a_threshold": s.a_threshold, "b_threshold": s.b_threshold, "unanswered_limit": s.unanswered_limit,
              "no_contact_days": s.no_contact_days, "duplicate_check": "Yes" if s.duplicate_check else "No",
              "close_date_check": "Yes" if s.close_date_check else "No",
              "date_order": s.date_order.upper() if s.date_order != "auto" else "Auto",
              "decimal_separator": "Auto" if s.decimal_separator == "auto" else s.decimal_separator,
              "phone_region": s.phone_region, "holiday_calendar": s.holiday_calendar or None,
              "bottleneck_min_reached": s.bottleneck_min_reached,
              "language": {"auto": "Auto", "en": "English", "zh": "中文"}[s.language]}
    general = [header("general", both)] + [
        [both(names), values[key], SETTINGS_GENERAL_NOTES[key]] for key, names in GENERAL_KEYS.items()]
    stages = [header("stages")] + [
        [st.name, st.zh, st.probability, st.limit_days, {OPEN: "Open", WON: "Won", LOST: "Lost"}[st.kind]] for st in s.stages]
    bant = [header("bant")]
    for dim in DIMENSIONS:
        for c in s.bant[dim]:
            bant.append([DIMENSION_LABELS[dim][0], c.value, c.zh, c.points, "Yes" if c.blank else ""])
    tdays = [header("timeline_days")] + [[d, p] for d, p in s.timeline_days]
    weights = [header("weights") + [DIMENSION_LABELS[d][0] for d in DIMENSIONS]] + [
        [name, w["budget"], w["authority"], w["need"], w["timeline"]] for name, w in s.weights.items()]
    cadence = [header("cadence")] + [
        [g, s.cadence_open.get(g) or "None", s.cadence_won.get(g) or "None"] for g in GRADES]
    holidays = [header("holidays")] + [[d, ""] for d in s.holidays]
    targets = [header("targets")] + [[t.owner, t.period, t.amount] for t in s.targets]
    from salesbook.rules.settings_import import import_label  # (it builds on this module)

    import_columns = [header("import_columns")] + [[import_label(c.key), c.header] for c in s.import_columns]
    import_values = [header("import_values")] + [[import_label(v.key), v.value, v.to] for v in s.import_values]
    tables = {"general": general, "stages": stages, "bant": bant, "timeline_days": tdays, "weights": weights,
              "cadence": cadence, "holidays": holidays, "targets": targets, "import_columns": import_columns,
              "import_values": import_values}
    return [(both(BLOCKS[key]), rows, SETTINGS_BLOCK_NOTES[key]) for key, rows in tables.items()]
