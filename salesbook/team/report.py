"""Lay out the team report's sheets (Team Funnel, Team Cleanse, Targets, Forecast, Movement)
as sheet models. Pure: the team's figures in, ``SheetModel`` out; the file adapter renders them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesbook.reports.model import Block, Chart, PageSetup, SheetModel
from salesbook.reports.sheets import lbl
from salesbook.rules.followup import STATUSES
from salesbook.rules.schema import BY_KEY
from salesbook.rules.text import t as rule_word
from salesbook.team import reduce as r
from salesbook.team.duplicates import KINDS
from salesbook.vocabulary.names import FORECAST, MOVEMENT, SHEET_NAMES, TARGETS, TEAM_CLEANSE, TEAM_FUNNEL
from salesbook.vocabulary.words import TEAM, say


def w(key: str, lang: str, **kw) -> str:
    return say(TEAM, key, lang, **kw)


def _notes(sheet: str, fig: r.TeamFigures, lang: str) -> list[tuple[int, int, str]]:
    p = fig.plan.period
    scope = w("period_note", lang, p=p.label) if p is not None else w("all_leads", lang)
    return [(1, 1, w(f"title:{sheet}", lang)),
            (2, 1, w("note", lang, n=f"{len(fig.books):,}", d=fig.plan.day.isoformat(), p=scope))]


def _stage_label(stages: pd.DataFrame, lang: str) -> dict[str, str]:
    return {s: (z if lang == "zh" and z else s) for s, z in zip(stages["stage"], stages["zh"])}


def sheets(fig: r.TeamFigures) -> list[SheetModel]:
    """The five report sheets, named in the report's language (团队漏斗 … in Chinese; a TEAM.xlsx
    that has them already keeps its names: ``team_book.write_report``)."""
    models = [team_funnel(fig), team_cleanse(fig), targets_sheet(fig), forecast_sheet(fig), movement_sheet(fig)]
    if fig.language == "zh":
        for m in models:
            m.name = SHEET_NAMES[m.name][1]
    return models


# ---- Team Funnel ------------------------------------------------------------------------

def _group(fig: r.TeamFigures, key: str, label: str, lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    t = r.by(fig.funnel, key, fig.stages)
    names = _stage_label(fig.stages, lang)
    cols = {key: label, "leads": lbl("leads", lang), "open": lbl("open", lang), "pipeline": lbl("pipeline", lang),
            "weighted_open": lbl("weighted", lang), "won": lbl("won", lang), "lost": lbl("lost", lang),
            "win_rate": lbl("win_rate", lang), "avg_won": lbl("avg_won_short", lang), "stale": lbl("stale", lang),
            "overdue": lbl("overdue", lang)}
    out = t[list(cols)].rename(columns=cols)
    out[label] = out[label].astype(object)
    formats = {lbl("leads", lang): "int", lbl("open", lang): "int", lbl("pipeline", lang): "money",
               lbl("weighted", lang): "money", lbl("won", lang): "int", lbl("lost", lang): "int",
               lbl("win_rate", lang): "percent", lbl("avg_won_short", lang): "money", lbl("stale", lang): "int",
               lbl("overdue", lang): "int"}
    for st in r.funnel_stages(fig.stages):
        name = lbl("reached_stage", lang, s=names[st])
        out[name] = t[f"reached:{st}"].to_numpy()
        formats[name] = "int"
    out[lbl("conv_all", lang)] = t["conversion"].to_numpy()
    formats[lbl("conv_all", lang)] = "percent"
    return out, formats


def team_funnel(fig: r.TeamFigures) -> SheetModel:
    lang = fig.language
    stages = r.stage_table(fig.funnel, fig.stages)
    k = r.kpis(fig.funnel, stages, fig.bottleneck_min)
    names = _stage_label(fig.stages, lang)
    kpi_keys = ["open", "pipeline", "weighted", "won", "lost", "win_rate", "avg_won", "avg_cycle", "velocity_day",
                "velocity_30", "bottleneck"]
    values = {**k, "bottleneck": names.get(k["bottleneck"], k["bottleneck"]) if k["bottleneck"] else "—"}
    kpi = pd.DataFrame([[values[x] for x in kpi_keys]], columns=[lbl(x, lang) for x in kpi_keys])
    kpi_formats = {lbl(x, lang): f for x, f in zip(kpi_keys, ["int", "money", "money", "int", "int", "percent", "money",
                                                               "days", "money", "money", "text"])}
    mix_cols = [lbl("grade_n", lang, g=g) for g in "ABCD"] + [lbl(s, lang) for s in STATUSES]
    mix = pd.DataFrame([[*k["grades"].values(), *k["statuses"].values()]], columns=mix_cols)
    stage_frame = pd.DataFrame({
        lbl("stage", lang): [names[s] for s in stages["stage"]], lbl("in_stage", lang): stages["in_stage"],
        lbl("value", lang): stages["value"], lbl("weighted_value", lang): stages["weighted"],
        lbl("reached", lang): stages["reached"], lbl("conversion", lang): stages["conversion"],
        lbl("cumulative", lang): stages["cumulative"], lbl("avg_days", lang): stages["avg_days"],
        lbl("stale", lang): stages["stale"], lbl("overdue", lang): stages["overdue"]})
    stage_formats = {lbl("in_stage", lang): "int", lbl("value", lang): "money", lbl("weighted_value", lang): "money",
                     lbl("reached", lang): "int", lbl("conversion", lang): "percent",
                     lbl("cumulative", lang): "percent", lbl("avg_days", lang): "days", lbl("stale", lang): "int",
                     lbl("overdue", lang): "int"}
    blocks = [Block(4, 1, kpi, title=lbl("kpis", lang), formats=kpi_formats),
              Block(8, 1, mix, title=lbl("mix", lang), formats={c: "int" for c in mix_cols}),
              Block(12, 1, stage_frame, title=lbl("stages", lang), formats=stage_formats)]
    n_funnel = len(r.funnel_stages(fig.stages))
    chart_frame = stage_frame.iloc[:n_funnel][[lbl("stage", lang), lbl("reached", lang)]]
    blocks.append(Block(12, 12, chart_frame, title=lbl("chart", lang), formats={lbl("reached", lang): "int"}))
    charts = [Chart(title=lbl("chart", lang), block=3, category=lbl("stage", lang), value=lbl("reached", lang),
                    anchor_row=12, anchor_col=15, width_cols=8, height_rows=18)]
    row = max(blocks[2].last_row, 12 + 18) + 3
    # won value against target per owner (the targets of the first period reported)
    tt = fig.targets
    first = tt["period"].iloc[0] if len(tt) else None
    wt = tt[tt["period"] == first] if first is not None else tt
    vs = pd.DataFrame({lbl("owner", lang): wt["owner"].astype(object).to_numpy(),
                       w("won_value", lang): wt["won_value"].to_numpy(),
                       w("target", lang): wt["target"].to_numpy()})
    title_vs = f"{w('won_vs_target', lang)} ({first})" if first else w("won_vs_target", lang)
    blocks.append(Block(row, 1, vs, title=title_vs, formats={w("won_value", lang): "money", w("target", lang): "money"}))
    charts.append(Chart(title=title_vs, block=len(blocks) - 1, category=lbl("owner", lang), value=w("won_value", lang),
                        also=(w("target", lang),), anchor_row=row, anchor_col=5, width_cols=10,
                        height_rows=max(14, len(vs) + 4), kind="col"))
    row = max(blocks[-1].last_row, row + charts[-1].height_rows) + 3
    for key, label in (("owner", lbl("owners", lang)), ("source", lbl("sources", lang)), ("book", w("books", lang))):
        frame, formats = _group(fig, key, lbl(key, lang) if key != "book" else w("book", lang), lang)
        blocks.append(Block(row, 1, frame, title=label, formats=formats))
        row = blocks[-1].last_row + 3
    if len(fig.unknown):
        u = fig.unknown.groupby(["book", "owner", "stage"], sort=True)["leads"].sum().reset_index()
        frame = pd.DataFrame({w("book", lang): u["book"], lbl("owner", lang): u["owner"],
                              w("unknown_stage", lang): u["stage"], lbl("leads", lang): u["leads"]})
        blocks.append(Block(row, 1, frame, title=w("unknown", lang), formats={lbl("leads", lang): "int"}))
        row = blocks[-1].last_row + 3
    if fig.failed:
        frame = pd.DataFrame({w("book", lang): [b for b, _ in fig.failed], w("reason", lang): [m for _, m in fig.failed]})
        blocks.append(Block(row, 1, frame, title=w("failed", lang)))
    return SheetModel(TEAM_FUNNEL, blocks=blocks, notes=_notes(TEAM_FUNNEL, fig, lang), charts=charts,
                      page=PageSetup(title_rows=(1, 2)))


# ---- Team Cleanse -----------------------------------------------------------------------

def team_cleanse(fig: r.TeamFigures) -> SheetModel:
    lang = fig.language
    f = fig.flagged.sort_values(["owner", "book", "row"], kind="stable")
    flagged = pd.DataFrame({
        w("book", lang): _texts(f["book"]), lbl("owner", lang): _texts(f["owner"]),
        lbl("row", lang): f["row"].to_numpy(), w("lead_id", lang): _texts(f["lead_id"]),
        BY_KEY["company"].header(lang): _texts(f["company"]), lbl("stage", lang): _texts(f["stage"]),
        BY_KEY["grade"].header(lang): _texts(f["grade"]), lbl("reason", lang): _texts(f["reason"])})
    del f
    c = fig.cross.sort_values(["owner", "book", "row"], kind="stable")
    note_col = lbl("reason", lang)
    cross = pd.DataFrame({
        w("book", lang): _texts(c["book"]), lbl("owner", lang): _texts(c["owner"]),
        lbl("row", lang): c["row"].to_numpy(), w("lead_id", lang): _texts(c["lead_id"]),
        w("match", lang): _texts(c["match"].map({m: w(f"match.{m}", lang) for m in KINDS})),
        note_col: _texts(pd.Series(_also_in(c, lang))), w("other_book", lang): _texts(c["other_book"])})
    note = w("cleanse_note", lang, n=f"{len(flagged):,}", b=f"{len(fig.books):,}", d=fig.plan.day.isoformat(),
             x=f"{len(cross):,}")
    blocks = [Block(4, 1, flagged, title=w("flagged", lang), formats={lbl("row", lang): "int"})]
    row = blocks[0].last_row + 3
    if len(cross):
        blocks.append(Block(row, 1, cross, title=w("cross", lang), formats={lbl("row", lang): "int"}))
    notes = _notes(TEAM_CLEANSE, fig, lang) + [(3, 1, note)]
    if not len(cross):
        notes.append((row, 1, w("cross_none", lang)))
    return SheetModel(TEAM_CLEANSE, blocks=blocks, notes=notes, freeze_rows=0, page=PageSetup(title_rows=(1, 2)))


def _texts(s: pd.Series) -> pd.Series:
    """A column of the Cleanse sheet, in row order (index 0 …): pandas' Arrow-backed ``str``
    when it holds texts only (200,000 flagged leads stay in Arrow buffers, not Python
    objects, and the file adapter renders them in chunks), else the values as they are."""
    s = s.reset_index(drop=True)
    if isinstance(s.dtype, pd.StringDtype):
        return s
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.astype("str")
    return s.astype(object)


def _also_in(c: pd.DataFrame, lang: str) -> np.ndarray:
    """"also in Li Wei's book (L-0031)" per cross-book duplicate (its row when the other lead
    has no Lead ID), built column-wise: there may be tens of thousands."""
    o, i = "\x00", "\x01"
    head, rest = w("also_in", lang, o=o, id=i).split(o)
    mid, tail = rest.split(i)
    ids = c["other_lead_id"].astype(object)
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    before, after = w("row_n", lang, n=o).split(o)
    ids = ids.where(~blank, before + c["other_row"].astype(str) + after)
    text = head + c["other_owner"].astype(str) + mid + ids.astype(str) + tail
    return text.to_numpy(dtype=object)


# ---- Targets ----------------------------------------------------------------------------

def targets_sheet(fig: r.TeamFigures) -> SheetModel:
    lang = fig.language
    t = fig.targets
    keys = ["period", "owner", "target", "won_count", "won_value", "attainment", "remaining", "open_count",
            "open_value", "weighted_open", "coverage", "weighted_coverage"]
    formats = {"target": "money", "won_count": "int", "won_value": "money", "attainment": "percent",
               "remaining": "money", "open_count": "int", "open_value": "money", "weighted_open": "money",
               "coverage": "percent", "weighted_coverage": "percent"}
    label = {k: (lbl("owner", lang) if k == "owner" else w(k, lang)) for k in keys}
    frame = pd.DataFrame({label[k]: (t[k].astype(object).to_numpy() if k in ("period", "owner") else t[k].to_numpy())
                          for k in keys})
    src = w("targets_from", lang, s=("--settings" if fig.plan.settings is not None else w("targets_books", lang)))
    notes = _notes(TARGETS, fig, lang) + [(3, 1, src + " " + w("no_target", lang))]
    for i, (key, kw) in enumerate(fig.notes):
        notes.append((4 + i, 1, w(key, lang, **kw)))
    top = 5 + len(fig.notes)
    return SheetModel(TARGETS, blocks=[Block(top, 1, frame, formats={label[k]: v for k, v in formats.items()})],
                      notes=notes, page=PageSetup(title_rows=(1, 2)))


# ---- Forecast ---------------------------------------------------------------------------

def _bucket_label(b: str, lang: str) -> str:
    return rule_word(f"forecast.{b}", lang) if b in ("past due", "later", "no date") else b


def _total_and_owners(row: int, total: pd.DataFrame, per_owner: pd.DataFrame, key: str, say_key, cols: dict,
                      formats: dict, lang: str) -> list[Block]:
    """The team total block at ``row`` and the per-owner block below it (Forecast, Movement): the
    ``key`` column in words (``say_key``), then the figures named by ``cols`` (key -> header)."""
    def frame(t: pd.DataFrame, owner: bool) -> pd.DataFrame:
        out = pd.DataFrame({cols[key]: [say_key(v) for v in t[key]],
                            **{cols[k]: t[k].to_numpy() for k in cols if k != key}})
        if owner:
            out.insert(0, lbl("owner", lang), t["owner"].astype(object).to_numpy())
        return out

    first = Block(row, 1, frame(total, False), title=w("forecast_total", lang), formats=formats)
    return [first, Block(first.last_row + 3, 1, frame(per_owner, True), title=w("forecast_owner", lang),
                         formats=formats)]


def forecast_sheet(fig: r.TeamFigures) -> SheetModel:
    lang = fig.language
    per_owner, total = fig.forecast
    cols = {"bucket": w("bucket", lang), "open_count": lbl("open", lang), "best_case": w("best_case", lang),
            "weighted": w("weighted", lang), "won_count": w("won_count", lang), "won_value": w("won_so_far", lang)}
    formats = {cols["open_count"]: "int", cols["best_case"]: "money", cols["weighted"]: "money",
               cols["won_count"]: "int", cols["won_value"]: "money"}

    blocks = _total_and_owners(4, total, per_owner, "bucket", lambda b: _bucket_label(b, lang), cols, formats, lang)
    return SheetModel(FORECAST, blocks=blocks, notes=_notes(FORECAST, fig, lang), page=PageSetup(title_rows=(1, 2)))


# ---- Movement ---------------------------------------------------------------------------

def movement_sheet(fig: r.TeamFigures) -> SheetModel:
    lang = fig.language
    per_owner, total = fig.movement
    now, prev = fig.plan.moves.label, fig.plan.moves.previous().label
    cols = {"movement": w("movement", lang), "leads": w("now_leads", lang, p=now), "value": w("now_value", lang, p=now),
            "prev_leads": w("prev_leads", lang, p=prev), "prev_value": w("prev_value", lang, p=prev),
            "change": w("change", lang)}
    formats = {cols["leads"]: "int", cols["value"]: "money", cols["prev_leads"]: "int", cols["prev_value"]: "money",
               cols["change"]: "int"}

    blocks = _total_and_owners(5, total, per_owner, "movement", lambda m: rule_word(f"movement.{m}", lang), cols,
                               formats, lang)
    notes = _notes(MOVEMENT, fig, lang) + [(3, 1, w("movement_note", lang, p=now, q=prev))]
    return SheetModel(MOVEMENT, blocks=blocks, notes=notes, page=PageSetup(title_rows=(1, 2)))


__all__ = ["sheets", "team_funnel", "team_cleanse", "targets_sheet", "forecast_sheet", "movement_sheet"]
