"""The whole rule run over one lead table, without any I/O.

``evaluate`` takes the Leads table as read (workbook headers, text cells), the settings,
the History rows and the date, and returns everything a command writes: output columns,
the add-in's sheets, History rows, the row problems and a one-line summary. Both entry
points (CLI over files, ribbon over a live Excel book) call it and only translate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesbook.rules import forecast as forecast_rules, funnel as funnel_rules, targets as target_rules
from salesbook.rules.followup import followup
from salesbook.rules.grading import grade
from salesbook.rules.period import Period, created_in, parse_period
from salesbook.rules.history import changes, entered_current_stage, history_from_grid, max_stage_seen
from salesbook.rules.prepare import Prepared, canonical_frame, prepare
from salesbook.rules.stale import stale
from salesbook.rules.schema import COMMAND_OUTPUTS, headers_language
from salesbook.rules.settings import Settings
from salesbook.reports.model import AppendRows, SheetModel
from salesbook.vocabulary.words import SUMMARY, say

COMMANDS = ("grade", "followup", "stale", "funnel")


@dataclass
class Evaluation:
    prepared: Prepared
    outputs: pd.DataFrame           # canonical output keys, index = Excel rows
    written: tuple[str, ...]        # the output keys this command writes
    sheets: list[SheetModel] = field(default_factory=list)
    appends: list[AppendRows] = field(default_factory=list)
    report: funnel_rules.FunnelReport | None = None
    summary: str = ""
    today: dt.date | None = None
    language: str = "en"
    gaps: list[str] = field(default_factory=list)  # thin-data lines (data_gaps), on the summary and the Funnel
    period: Period | None = None    # the funnel's period (None: every lead)
    forecast: tuple[pd.DataFrame, pd.DataFrame] | None = None  # (per owner, total), rules/forecast.finish
    targets: pd.DataFrame | None = None  # rules/targets.finish; None when Settings has no targets
    extra: pd.DataFrame | None = None  # per row: grade_code, followup_code, stale_flag, overdue, days_in_stage

    @property
    def problems(self) -> pd.DataFrame:
        return self.prepared.problems

    @property
    def lead_count(self) -> int:
        """Leads in the table, not counting blank rows (0 for a new, empty table)."""
        return int((~self.prepared.frame["blank_row"]).sum())

    @property
    def stale_rows(self) -> pd.Index:
        return self.outputs.index[self.outputs["stale"].notna()]


def parse_only(only: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """'grade,stale' → ('grade', 'stale'); None → every command, in run order."""
    if only is None or only == "" or only == ():
        return COMMANDS
    items = only.split(",") if isinstance(only, str) else list(only)
    chosen = {i.strip().lower().replace("-", "").replace("_", "") for i in items if i.strip()}
    aliases = {"followups": "followup", "followup": "followup", "grade": "grade", "grading": "grade",
               "stale": "stale", "flagstale": "stale", "funnel": "funnel", "refreshfunnel": "funnel"}
    unknown = sorted(c for c in chosen if c not in aliases)
    if unknown:
        raise ValueError(f"unknown command(s) {', '.join(unknown)}: choose from {', '.join(COMMANDS)}")
    chosen = {aliases[c] for c in chosen}
    return tuple(c for c in COMMANDS if c in chosen)


def language(settings: Settings, headers: list[object]) -> str:
    return settings.language if settings.language in ("en", "zh") else headers_language(headers)


def evaluate(leads: pd.DataFrame, settings: Settings | None = None, *, today: dt.date | None = None,
             history_rows: list[list[object]] | None = None, only=None, lang: str | None = None,
             period: Period | str | None = None, sheets: bool = True) -> Evaluation:
    """Run the rules over a lead table (workbook headers, EN or ZH, text or typed cells).
    ``period`` (a ``Period``, or a text such as ``2026-Q4`` or ``last-30-days``, read as of
    the run's today; a bad text raises ``PeriodError``) limits the funnel to the leads created
    in it; grades, follow-ups, stale flags, the forecast and the targets cover every lead.
    ``sheets=False``: the rules' outputs only, no report sheets, History rows or summary (the
    team rollup's per-book step, which writes nothing)."""
    from salesbook.reports import sheets as report

    settings = settings or Settings()
    commands = parse_only(only)
    lang = lang or language(settings, list(leads.columns))
    day = settings.resolve_today(today)
    ts = pd.Timestamp(day)
    if isinstance(period, str):
        period = parse_period(period, day)

    raw, labels = canonical_frame(leads)
    p = prepare(raw, settings, labels)
    f = p.frame
    history = history_from_grid(history_rows)

    # Compute only what the command needs: grades feed follow-ups; the funnel needs all.
    need_followup = bool({"followup", "funnel"} & set(commands))
    need_stale = bool({"stale", "funnel"} & set(commands))
    g = grade(p, settings, ts, lang)
    if need_followup:
        fu = followup(p, settings, g["grade_code"], ts, lang)
        fkey, fcode = fu.pop("followup_key"), fu.pop("followup_code")
    else:
        fu = pd.DataFrame({"next_followup": pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]"),
                           "followup_status": pd.Series(None, index=f.index, dtype=object)})
        fkey, fcode = fu["followup_status"], np.full(len(f), 4, dtype=np.int8)
    if need_stale:
        entered = entered_current_stage(f, history, settings)
        st = stale(p, settings, ts, lang, entered)
    else:
        st = pd.DataFrame({"stale": pd.Series(None, index=f.index, dtype=object),
                           "stale_reason": pd.Series(None, index=f.index, dtype=object),
                           "days_in_stage": np.nan}, index=f.index)
    outputs = pd.concat([g[["grade", "score", "grade_reason", "grade_change"]], fu,
                         st[["stale", "stale_reason"]]], axis=1)

    written = tuple(k for c in commands for k in COMMAND_OUTPUTS[c])
    ev = Evaluation(prepared=p, outputs=outputs, written=written, today=day, language=lang, period=period)
    ev.gaps = data_gaps(raw, f, p.problems, lang)
    extra = pd.DataFrame({"grade": g["grade"], "grade_code": g["grade_code"], "followup_key": fkey,
                          "followup_code": fcode, "stale_flag": pd.notna(st["stale"].to_numpy(dtype=object)),
                          "overdue": fcode == 0, "days_in_stage": st["days_in_stage"]}, index=f.index, copy=False)
    ev.extra = extra  # the team rollup adds these up per owner (salesbook.team.partials)
    if not sheets:
        return ev

    if "stale" in commands:
        ev.sheets.append(report.cleanse_sheet(f, outputs, g, settings, lang, labels, day))
    if "funnel" in commands:
        new_history = changes(f, history, settings, ts, lang)
        # New History rows only restate current stages, which reach_level counts anyway.
        hist_max = max_stage_seen(f, history, settings)
        ev.report = _period_funnel(f, settings, extra, hist_max, period)
        ev.forecast, ev.targets = rep_views(p, settings, day, period)
        ev.sheets.append(report.funnel_sheet(ev.report, settings, lang, day))
        report.add_rep_views(ev.sheets[-1], lang, period, ev.forecast, ev.targets)
        report.with_gaps(ev.sheets[-1], ev.gaps, lang)
        if len(new_history):
            ev.appends.append(report.history_rows(new_history, lang, history_rows[0] if history_rows else None))
    ev.summary = summary(commands, outputs, extra, ev, lang)
    return ev


def _period_funnel(f: pd.DataFrame, settings: Settings, extra: pd.DataFrame, hist_max: pd.Series,
                   period: Period | None) -> funnel_rules.FunnelReport:
    """The funnel of every lead, or of the leads created in ``period`` (docs/spec.md §3)."""
    if period is None:
        return funnel_rules.funnel(f, settings, extra, hist_max)
    keep = created_in(f, period)
    return funnel_rules.funnel(f[keep], settings, extra[keep], hist_max)


def rep_views(p: Prepared, settings: Settings, day: dt.date, period: Period | None = None
              ) -> tuple[tuple[pd.DataFrame, pd.DataFrame], pd.DataFrame | None]:
    """The rep's Forecast (per owner, total) and Targets tables of one book, by the same
    partial → reduce → finish steps a rollup takes over many (docs/spec.md §2 Targets,
    forecast and movement). Targets are None when Settings has none."""
    forecast = forecast_rules.finish(forecast_rules.reduce([forecast_rules.partial(p, settings, day)]), day)
    if not settings.targets:
        return forecast, None
    periods = target_rules.target_periods(settings, day, (period,) if period is not None else ())
    return forecast, target_rules.finish(target_rules.partial(p, settings, day, periods))


def _say(key: str, lang: str, **kw) -> str:
    return say(SUMMARY, key, lang, **kw)


def no_leads(lang: str) -> str:
    """The summary of any command on a lead table without leads (headers only, or blank rows)."""
    return _say("no_leads", lang)


def summary(commands: tuple[str, ...], outputs: pd.DataFrame, extra: pd.DataFrame, ev: Evaluation, lang: str) -> str:
    """'Graded 1,204 leads: 210 A · 530 B · 440 C · 24 D' and the like, one line, in the book's language."""
    live = ~ev.prepared.frame["blank_row"].to_numpy()
    if not live.any():
        return no_leads(lang)
    parts = []
    if "grade" in commands:
        counts = np.bincount(extra["grade_code"].to_numpy()[live] + 1, minlength=5)[1:]  # A … D
        n = int(counts.sum())
        mix = " · ".join(f"{int(c):,} {x}" for c, x in zip(counts, "ABCD"))
        parts.append(_say("graded", lang, n=n, leads="lead" if n == 1 else "leads", mix=mix))
    if "followup" in commands:
        k = np.bincount(extra["followup_code"].to_numpy()[live], minlength=5)  # followup.STATUSES order
        parts.append(_say("followups", lang, o=int(k[0]), d=int(k[1]), w=int(k[2])))
    if "stale" in commands:
        parts.append(_say("stale", lang, n=int(extra["stale_flag"].to_numpy()[live].sum())))
    if "funnel" in commands and ev.report is not None:
        k = ev.report.kpis
        win = f"{k['win_rate']:.0%}" if k["win_rate"] is not None else "n/a"
        line = _say("funnel", lang, o=k["open"], p=k["pipeline"], w=win)
        if k.get("bottleneck"):
            name = k["bottleneck"]
            if lang == "zh":  # the stage's Chinese name from the stage table
                st = ev.report.stages
                zh = st.loc[st["stage"] == name, "zh"]
                name = zh.iloc[0] if len(zh) and zh.iloc[0] else name
            line += _say("bottleneck", lang, b=name)
        parts.append(line)
    n_bad = int(ev.prepared.problems["row"].nunique()) if len(ev.prepared.problems) else 0
    if n_bad:
        parts.append(_say("attention", lang, n=n_bad))
    if ev.gaps and "grade" in commands and ev.gaps[0] == _say("no_bant", lang):
        parts.append(ev.gaps[0])
    return ("；" if lang == "zh" else "; ").join(parts) + ("。" if lang == "zh" else ".")


def data_gaps(raw: pd.DataFrame, f: pd.DataFrame, problems: pd.DataFrame, lang: str) -> list[str]:
    """What the reports cannot show for want of data, one line each: no BANT column filled in
    (every lead grades C); rows the funnel leaves out (no stage, a stage not in Settings) and
    rows whose Deal Value cannot be read. Empty when nothing is missing."""
    from salesbook.rules.columnar import _text
    from salesbook.rules.settings import DIMENSIONS

    live = ~f["blank_row"].to_numpy()
    if not live.any():
        return []
    lines = []
    if not any(k in raw.columns and _text(raw[k])[live].notna().any() for k in DIMENSIONS):
        lines.append(_say("no_bant", lang))
    out = live & (f["stage_i"].to_numpy() < 0)
    if out.any():
        stage = _text(raw["stage"]) if "stage" in raw.columns else pd.Series(pd.NA, index=f.index, dtype="string")
        blank = out & stage.isna().to_numpy()
        unknown = out & ~blank
        why = []
        if unknown.any():
            names = stage[unknown].value_counts().index[:3].tolist()
            examples = ", ".join(f"'{x}'" for x in names) + (", …" if stage[unknown].nunique() > 3 else "")
            why.append(_say("left_out.unknown", lang, n=int(unknown.sum()), examples=examples))
        if blank.any():
            why.append(_say("left_out.blank", lang, n=int(blank.sum())))
        lines.append(_say("left_out", lang, n=int(out.sum()), total=int(live.sum()),
                          why=("；" if lang == "zh" else "; ").join(why)))
    if len(problems):
        bad_value = int(problems.loc[problems["key"] == "deal_value", "row"].nunique())
        if bad_value:
            lines.append(_say("bad_value", lang, n=bad_value, s="" if bad_value == 1 else "s",
                              t="s" if bad_value == 1 else ""))
    return lines


# ---- the Python API: one function per capability --------------------------------

def _outputs(frame: pd.DataFrame, settings: Settings | None, today, only: str, keys: tuple[str, ...]) -> pd.DataFrame:
    ev = evaluate(frame, settings, today=today, only=only)
    return ev.outputs[list(keys)]


def grade_frame(frame: pd.DataFrame, settings: Settings | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Grade, Score, Grade Reason, Grade Change for a lead frame (workbook headers)."""
    return _outputs(frame, settings, today, "grade", COMMAND_OUTPUTS["grade"])


def followup_frame(frame: pd.DataFrame, settings: Settings | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Next Follow-up and Follow-up Status for a lead frame."""
    return _outputs(frame, settings, today, "followup", COMMAND_OUTPUTS["followup"])


def stale_frame(frame: pd.DataFrame, settings: Settings | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Stale and Stale Reason for a lead frame."""
    return _outputs(frame, settings, today, "stale", COMMAND_OUTPUTS["stale"])


def funnel_report(frame: pd.DataFrame, settings: Settings | None = None, today: dt.date | None = None,
                  history_rows: list[list[object]] | None = None,
                  period: Period | str | None = None) -> funnel_rules.FunnelReport:
    """The funnel figures (KPIs, per-stage, per-owner, per-source tables); with ``period``
    (``2026-Q4``, ``last-30-days`` …) of the leads created in it."""
    ev = evaluate(frame, settings, today=today, only="funnel", history_rows=history_rows, period=period)
    assert ev.report is not None
    return ev.report


def check_frame(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Every bad cell: row, column key, value, message, suggestion."""
    settings = settings or Settings()
    raw, labels = canonical_frame(frame)
    return prepare(raw, settings, labels).problems


__all__ = ["evaluate", "Evaluation", "parse_only", "no_leads", "grade_frame", "followup_frame", "stale_frame",
           "funnel_report", "check_frame"]
