"""Lay out the add-in's own sheets (Funnel, Cleanse, Check, History) as sheet models.

Pure: figures in, ``SheetModel`` out. The adapters render them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesbook.rules.funnel import FunnelReport
from salesbook.rules.schema import BY_KEY
from salesbook.rules.settings import Settings
from salesbook.reports.model import AppendRows, Block, Chart, PageSetup, SheetModel
from salesbook.vocabulary.names import ARCHIVE as ARCHIVE_SHEET, CHECK as CHECK_SHEET, CLEANSE as CLEANSE_SHEET
from salesbook.vocabulary.names import FUNNEL as FUNNEL_SHEET, HISTORY as HISTORY_SHEET
from salesbook.vocabulary.words import PLACEHOLDERS, REPORT as L, say

EXCEL_ROWS = 1_048_576


def lbl(key: str, lang: str, **kw) -> str:
    return say(L, key, lang, **kw)


def _stage_name(row, lang: str) -> str:
    return row["zh"] if lang == "zh" and row["zh"] else row["stage"]


def funnel_sheet(r: FunnelReport, settings: Settings, lang: str, day: dt.date) -> SheetModel:
    k = r.kpis
    kpi_keys = ["open", "pipeline", "weighted", "won", "lost", "win_rate", "avg_won", "avg_cycle",
                "velocity_day", "velocity_30", "bottleneck"]
    bottleneck = k.get("bottleneck")
    if bottleneck:
        st = next((s for s in settings.stages if s.name == bottleneck), None)
        bottleneck = st.zh if (lang == "zh" and st and st.zh) else bottleneck
    values = {**k, "bottleneck": bottleneck or "—"}
    kpi_frame = pd.DataFrame([[values[x] for x in kpi_keys]], columns=[lbl(x, lang) for x in kpi_keys])
    kpi_formats = {lbl("open", lang): "int", lbl("pipeline", lang): "money", lbl("weighted", lang): "money",
                   lbl("won", lang): "int", lbl("lost", lang): "int", lbl("win_rate", lang): "percent",
                   lbl("avg_won", lang): "money", lbl("avg_cycle", lang): "days", lbl("velocity_day", lang): "money",
                   lbl("velocity_30", lang): "money", lbl("bottleneck", lang): "text"}

    mix_cols = [lbl("grade_n", lang, g=g) for g in "ABCD"] + [lbl(s, lang) for s in r.statuses]
    mix = pd.DataFrame([[*r.grades.values(), *r.statuses.values()]], columns=mix_cols)

    s = r.stages
    stage_frame = pd.DataFrame({
        lbl("stage", lang): [_stage_name(row, lang) for _, row in s.iterrows()],
        lbl("in_stage", lang): s["in_stage"], lbl("value", lang): s["value"],
        lbl("weighted_value", lang): s["weighted"], lbl("reached", lang): s["reached"],
        lbl("conversion", lang): s["conversion"], lbl("cumulative", lang): s["cumulative"],
        lbl("avg_days", lang): s["avg_days"], lbl("stale", lang): s["stale"], lbl("overdue", lang): s["overdue"],
    })
    stage_formats = {lbl("in_stage", lang): "int", lbl("value", lang): "money", lbl("weighted_value", lang): "money",
                     lbl("reached", lang): "int", lbl("conversion", lang): "percent", lbl("cumulative", lang): "percent",
                     lbl("avg_days", lang): "days", lbl("stale", lang): "int", lbl("overdue", lang): "int"}

    blocks = [
        Block(4, 1, kpi_frame, title=lbl("kpis", lang), formats=kpi_formats),
        Block(8, 1, mix, title=lbl("mix", lang), formats={c: "int" for c in mix_cols}),
    ]
    stage_row = 12
    blocks.append(Block(stage_row, 1, stage_frame, title=lbl("stages", lang), formats=stage_formats))
    n_funnel = len(settings.funnel_stages)
    chart_source = len(blocks)
    # The chart reads the funnel stages only (Closed Lost has no 'reached').
    chart_frame = stage_frame.iloc[:n_funnel][[lbl("stage", lang), lbl("reached", lang)]]
    blocks.append(Block(stage_row, 12, chart_frame, title=lbl("chart", lang), formats={lbl("reached", lang): "int"}))
    chart_top, chart_rows = stage_row, 18
    row = max(blocks[2].last_row, chart_top + chart_rows) + 3
    for which in ("owners", "sources"):
        frame, formats = _group_frame(r.owners if which == "owners" else r.sources, settings, lang,
                                      "owner" if which == "owners" else "source")
        blocks.append(Block(row, 1, frame, title=lbl(which, lang), formats=formats))
        row = blocks[-1].last_row + 3
    # The chart ends where the owner and source tables end (at least 5 columns wide), so that
    # it adds no width to the printed page.
    chart_col, tables_right = 15, max(b.col + b.frame.shape[1] - 1 for b in blocks)
    chart = Chart(title=lbl("chart", lang), block=chart_source, category=lbl("stage", lang), value=lbl("reached", lang),
                  anchor_row=chart_top, anchor_col=chart_col, width_cols=max(5, tables_right - chart_col + 1),
                  height_rows=chart_rows)
    # Widths fit the columns' texts and numbers (sheetmodel.fit_widths); on paper: one page wide, chart included.
    return SheetModel(FUNNEL_SHEET, blocks=blocks, notes=[(1, 1, lbl("funnel_title", lang)),
                                                          (2, 1, lbl("as_of", lang, d=day.isoformat()))],
                      charts=[chart], page=PageSetup(title_rows=(1, 2)))


def _group_frame(t: pd.DataFrame, settings: Settings, lang: str, by: str) -> tuple[pd.DataFrame, dict[str, str]]:
    cols = {by: lbl(by, lang), "leads": lbl("leads", lang), "open": lbl("open", lang), "pipeline": lbl("pipeline", lang),
            "weighted": lbl("weighted", lang), "won": lbl("won", lang), "lost": lbl("lost", lang),
            "win_rate": lbl("win_rate", lang), "avg_won": lbl("avg_won_short", lang), "stale": lbl("stale", lang),
            "overdue": lbl("overdue", lang)}
    out = t[list(cols)].rename(columns=cols)
    formats = {lbl("leads", lang): "int", lbl("open", lang): "int", lbl("pipeline", lang): "money",
               lbl("weighted", lang): "money", lbl("won", lang): "int", lbl("lost", lang): "int",
               lbl("win_rate", lang): "percent", lbl("avg_won_short", lang): "money", lbl("stale", lang): "int",
               lbl("overdue", lang): "int"}
    for st in settings.funnel_stages:
        name = lbl("reached_stage", lang, s=st.zh if lang == "zh" and st.zh else st.name)
        out[name] = t[f"reached:{st.name}"].to_numpy()
        formats[name] = "int"
    out[lbl("conv_all", lang)] = t["conversion"].to_numpy()
    formats[lbl("conv_all", lang)] = "percent"
    return out, formats


def cleanse_sheet(f: pd.DataFrame, outputs: pd.DataFrame, g: pd.DataFrame, settings: Settings, lang: str,
                  labels: dict[str, str], day: dt.date | None = None) -> SheetModel:
    flagged = pd.notna(outputs["stale"].to_numpy(dtype=object))
    at = np.flatnonzero(flagged)
    names = np.array([s.zh if lang == "zh" and s.zh else s.name for s in settings.stages] + [""], dtype=object)

    def h(key: str) -> str:
        return labels.get(key) or BY_KEY[key].header(lang)

    # Sorted by owner (blanks last), then row: by the owners' sorted codes, not by comparing texts.
    owner_codes, owners = pd.factorize(f["owner"].iloc[at], use_na_sentinel=True)
    rank = np.empty(len(owners) + 1, dtype=np.int64)
    rank[np.argsort(np.asarray(owners, dtype=object), kind="stable")] = np.arange(len(owners))
    rank[len(owners)] = len(owners)  # blank owners (code -1) last
    order = at[np.lexsort((at, rank[owner_codes]))]

    def col(key: str) -> pd.Series:  # the lead table's own (Arrow) strings, taken by position
        return f[key].iloc[order].reset_index(drop=True)

    def text(values: np.ndarray) -> pd.Series:  # kept as objects: no conversion to Arrow strings
        return pd.Series(values, dtype=object)

    frame = pd.DataFrame({
        lbl("row", lang): f.index.to_numpy()[order],
        h("lead_id"): col("lead_id"),
        h("company"): col("company"),
        h("owner"): col("owner"),
        h("stage"): text(names[f["stage_i"].to_numpy()[order]]),
        h("grade"): text(g["grade"].to_numpy(dtype=object)[order]),
        h("last_contact"): f["last_contact"].to_numpy()[order],
        h("unanswered"): f["unanswered"].to_numpy()[order],
        lbl("reason", lang): text(outputs["stale_reason"].to_numpy(dtype=object)[order]),
    }, copy=False)
    day_text = day.isoformat() if day else ""
    note = lbl("cleanse_note", lang, n=f"{len(frame):,}", d=day_text)
    room = EXCEL_ROWS - 3  # title, note and header lines above the list
    if len(frame) > room:  # Excel has no row past 1,048,576: list what fits and say so
        note += " " + lbl("cleanse_cut", lang, n=f"{room:,}")
        frame = frame.iloc[:room]
    return SheetModel(CLEANSE_SHEET, blocks=[Block(3, 1, frame, formats={lbl("row", lang): "int", h("last_contact"): "date",
                                                                         h("unanswered"): "int"})],
                      notes=[(1, 1, lbl("cleanse_title", lang)), (2, 1, note)],
                      freeze_rows=3, page=PageSetup(title_rows=(1, 3)))


def check_sheet(problems: pd.DataFrame, cells: pd.Series, sheet: str, lang: str, day: dt.date,
                labels: dict[str, str]) -> SheetModel:
    """The Check sheet: one line per problem, with its cell address."""
    frame = pd.DataFrame({
        lbl("cell", lang): cells.to_numpy(dtype=object),
        lbl("sheet", lang): sheet,
        lbl("row", lang): problems["row"].to_numpy(),
        lbl("column", lang): [labels.get(k) or BY_KEY[k].header(lang) for k in problems["key"]],
        lbl("cell_value", lang): problems["value"].astype("object").to_numpy(),
        lbl("problem", lang): problems["message"].astype("object").to_numpy(),
        lbl("suggestion", lang): problems["suggestion"].astype("object").to_numpy(),
    })
    note = lbl("check_note", lang, n=f"{len(frame):,}", d=day.isoformat()) if len(frame) else lbl("check_ok", lang, d=day.isoformat())
    if len(frame) > EXCEL_ROWS - 3:
        frame = frame.iloc[:EXCEL_ROWS - 3]
    return SheetModel(CHECK_SHEET, blocks=[Block(3, 1, frame, formats={lbl("row", lang): "int",
                                                                       lbl("cell_value", lang): "text"})],
                      notes=[(1, 1, lbl("check_title", lang)), (2, 1, note)],
                      freeze_rows=3, page=PageSetup(title_rows=(1, 3)))


def history_rows(new: pd.DataFrame, lang: str, existing_header: list[object] | None = None) -> AppendRows:
    """New History lines, under the sheet's own header texts when it has them."""
    from salesbook.rules.history import HISTORY_COLUMNS
    from salesbook.rules.schema import norm

    names = {k: lbl(k, lang) for k in ("lead_id", "from", "to", "date")}
    for key, (en, zh) in HISTORY_COLUMNS.items():
        for h in existing_header or []:
            if norm(h) in (norm(en), norm(zh), norm(en + zh)):
                names[key] = str(h)
    frame = pd.DataFrame({names["lead_id"]: new["lead_id"], names["from"]: new["from"],
                          names["to"]: new["to"], names["date"]: pd.to_datetime(new["date"])})
    return AppendRows(HISTORY_SHEET, frame, formats={names["date"]: "date"})


def with_gaps(model: SheetModel, lines: list[str], lang: str = "en") -> SheetModel:
    """The Funnel sheet with the thin-data lines (engine.data_gaps) at its top, in row 3 under
    the as-of line: what the figures below leave out, and why."""
    if lines:
        end = "。" if lang == "zh" else ". "
        text = end.join(lines).rstrip() + end.rstrip()
        at = [k for k, (row, col, _) in enumerate(model.notes) if (row, col) == (3, 1)]
        if at:  # the period line (add_rep_views) is there: the gaps follow it on the same line
            row, col, first = model.notes[at[0]]
            model.notes[at[0]] = (row, col, first.rstrip("。. ") + end + text)
        else:
            model.notes.append((3, 1, text))
    return model


# ---- the rep's Funnel: its period line, the Forecast and Targets blocks (docs/spec.md §3) ----

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def period_span(start: dt.date, end: dt.date, lang: str) -> str:
    """'1 Oct – 31 Dec 2026' (the year once when both ends share it) · '2026年10月1日 – 2026年12月31日'."""
    if lang == "zh":
        return f"{start.year}年{start.month}月{start.day}日 – {end.year}年{end.month}月{end.day}日"
    first = f"{start.day} {_MONTHS[start.month - 1]}" + ("" if start.year == end.year else f" {start.year}")
    return f"{first} – {end.day} {_MONTHS[end.month - 1]} {end.year}"


def period_line(period, lang: str) -> str:
    """What the Funnel's tables cover: every lead, or the leads created in the period."""
    if period is None:
        return lbl("period_all", lang)
    return lbl("period_in", lang, p=period.label, span=period_span(period.start, period.end, lang))


def add_rep_views(model: SheetModel, lang: str, period, forecast: tuple[pd.DataFrame, pd.DataFrame],
                  targets: pd.DataFrame | None) -> SheetModel:
    """The Funnel sheet model with its period line (under the title lines) and, below its
    tables, the rep's Forecast (the total of every bucket, then per owner the buckets that
    hold leads) and Targets blocks; without targets in Settings, one line saying how to add them."""
    model.notes.append((max(r for r, _, _ in model.notes) + 1, 1, period_line(period, lang)))
    row = max([b.last_row for b in model.blocks] + [c.anchor_row + c.height_rows - 1 for c in model.charts]) + 3
    if model.page is not None:  # the funnel keeps its one printed page; the forecast starts the next
        model.page = PageSetup(title_rows=model.page.title_rows, breaks=(row,))
    per_owner, total = forecast
    per_owner = per_owner[(per_owner[["open_count", "won_count"]].to_numpy() > 0).any(axis=1)]  # buckets with leads
    for title, frame in (("forecast", total), ("forecast_owner", per_owner)):
        shown, formats = _forecast_frame(frame, lang)
        model.blocks.append(Block(row, 1, shown, title=lbl(title, lang), formats=formats))
        row = model.blocks[-1].last_row + 3
    if targets is None:
        model.blocks.append(Block(row, 1, pd.DataFrame(), title=lbl("targets", lang), header=False))
        model.notes.append((row + 1, 1, lbl("no_targets", lang)))
    else:
        shown, formats = _targets_frame(targets, lang)
        model.blocks.append(Block(row, 1, shown, title=lbl("targets", lang), formats=formats))
    return model


def _forecast_frame(t: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """rules/forecast.finish's table (total, or per owner) with the sheet's headers; the
    bucket keys past due / later / no date in words, the months as 2026-11."""
    from salesbook.vocabulary.words import RULES

    words = {k: say(RULES, f"forecast.{k}", lang) for k in ("past due", "later", "no date")}
    cols = {"owner": lbl("owner", lang), "bucket": lbl("month", lang), "open_count": lbl("open", lang),
            "best_case": lbl("best_case", lang), "weighted": lbl("fc_weighted", lang), "won_count": lbl("won", lang),
            "won_value": lbl("won_so_far", lang)}
    out = t[[c for c in cols if c in t.columns]].rename(columns=cols)
    out[cols["bucket"]] = t["bucket"].map(lambda b: words.get(b, b)).to_numpy(dtype=object)
    formats = {cols["owner"]: "text", cols["bucket"]: "text", cols["open_count"]: "int", cols["best_case"]: "money",
               cols["weighted"]: "money", cols["won_count"]: "int", cols["won_value"]: "money"}
    return out.reset_index(drop=True), {k: v for k, v in formats.items() if k in out.columns}


def _targets_frame(t: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """rules/targets.finish's table with the sheet's headers (blank target: no target line)."""
    cols = {"period": ("period", "text"), "owner": ("owner", "text"), "target": ("target", "money"),
            "won_count": ("won", "int"), "won_value": ("won_value", "money"), "attainment": ("attainment", "percent"),
            "remaining": ("remaining", "money"), "open_count": ("open", "int"), "open_value": ("open_value", "money"),
            "weighted_open": ("weighted_open", "money"), "coverage": ("coverage", "percent"),
            "weighted_coverage": ("weighted_coverage", "percent")}
    out = t[list(cols)].rename(columns={k: lbl(word, lang) for k, (word, _) in cols.items()}).reset_index(drop=True)
    return out, {lbl(word, lang): fmt for word, fmt in cols.values()}
