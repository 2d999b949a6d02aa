"""Every word the add-in shows a user, in English and Chinese, keyed by meaning.

Each table maps a key to its (English, 中文) pair; ``say`` picks one and fills its
``{fields}``. The sheet, table and column names are in ``names``, the Help text in ``help``.
"""

from __future__ import annotations

from salesbook.vocabulary.names import ARCHIVED_ON, HISTORY_COLUMNS, column_words

Words = dict[str, tuple[str, str]]


def say(words: Words, key: str, lang: str = "en", **kw: object) -> str:
    """``words[key]`` in ``lang`` ('zh' or anything else for English), fields filled from ``kw``."""
    en, zh = words[key]
    s = zh if lang == "zh" else en
    return s.format(**kw) if kw else s


# ---------------------------------------------------------------------------
# The rules' texts on Leads: Grade Reason, Follow-up Status, Stale Reason (salesbook.rules.text)
# ---------------------------------------------------------------------------

RULES: Words = {
    # Grade Reason facts
    "budget.Confirmed": ("budget confirmed", "预算明确"),
    "budget.Pending": ("budget pending", "预算待确认"),
    "budget.Unknown": ("budget unknown", "预算未知"),
    "budget.None": ("no budget", "无预算"),
    "authority.Decision maker": ("decision maker", "对接决策人"),
    "authority.Influencer": ("influencer only", "仅对接影响者"),
    "authority.User": ("user only", "仅对接使用者"),
    "authority.Unknown": ("authority unknown", "决策权未知"),
    "need.Clear": ("need clear", "需求明确"),
    "need.Identified": ("need identified", "需求已识别"),
    "need.Vague": ("need vague", "需求模糊"),
    "need.Mismatch": ("need does not match our offer", "需求与我方不匹配"),
    "timeline.3": ("buying within 3 months", "3个月内采购"),
    "timeline.2": ("buying in 3-6 months", "3-6个月内采购"),
    "timeline.1": ("buying in 6-12 months", "6-12个月内采购"),
    "timeline.0": ("buying in over 12 months", "12个月后采购"),
    "timeline.unknown": ("timeline unknown", "采购时间未知"),
    # what is missing for the next grade
    "todo.budget": ("confirm budget", "确认预算"),
    "todo.authority": ("reach the decision maker", "接触决策人"),
    "todo.timeline": ("a purchase within 3 months", "锁定3个月内采购"),
    "todo.need": ("clarify the need", "明确需求"),
    "todo.points": ("{n} more points", "还差{n}分"),
    "for": ("for {g}", "升{g}需"),
    "disqualified": ("disqualified", "不合格"),
    "score": ("score {n}", "评分{n}"),
    # follow-up status
    "Overdue": ("Overdue", "已逾期"),
    "Due today": ("Due today", "今日到期"),
    "This week": ("This week", "本周内"),
    "Later": ("Later", "稍后"),  # due in more than 7 days
    # stale
    "Yes": ("Yes", "是"),
    "stale.unanswered": ("{n} consecutive contacts without response", "连续{n}次联系未回应"),
    "stale.mismatch": ("need does not match our offer", "需求与我方不匹配"),
    "stale.no_contact": ("no contact for {n} days", "{n}天未联系"),
    "stale.stuck": ("stuck in {stage} for {n} days (limit {limit})", "停留在{stage}{n}天(上限{limit}天)"),
    "stale.duplicate": ("duplicate of {id}", "与{id}重复"),
    "stale.close_date": ("close date passed on {date}", "成交日期{date}已过"),
    "check": ("Check: {msg}", "请检查: {msg}"),
    # the manager's views (rules/forecast.py buckets, rules/movement.py lines)
    "forecast.past due": ("Past due", "已过期"),
    "forecast.later": ("Later", "更晚"),
    "forecast.no date": ("No date", "无日期"),
    "movement.new": ("New", "新增"),
    "movement.advanced": ("Advanced", "推进"),
    "movement.moved_back": ("Moved back", "回退"),
    "movement.won": ("Won", "成交"),
    "movement.lost": ("Lost", "丢单"),
    "movement.unchanged": ("Unchanged", "无变化"),
}



# ---------------------------------------------------------------------------
# The add-in's sheets: Funnel, Cleanse, Check, History and Archive (salesbook.reports.sheets)
# ---------------------------------------------------------------------------

REPORT: Words = {
    "funnel_title": ("Sales funnel", "销售漏斗"),
    "as_of": ("As of {d}. Refreshed by salesbook (Refresh Funnel); edits here are overwritten.",
              "截至 {d}。由 salesbook 刷新（刷新漏斗）；此表的修改会被覆盖。"),
    "kpis": ("Key figures", "关键指标"),
    "open": ("Open leads", "进行中线索"), "pipeline": ("Pipeline value", "管道金额"),
    "weighted": ("Weighted pipeline", "加权管道金额"), "won": ("Won", "成交"), "lost": ("Lost", "丢单"),
    "win_rate": ("Win rate", "赢单率"), "avg_won": ("Avg won deal", "平均成交金额"),
    "avg_cycle": ("Avg cycle (days)", "平均周期(天)"), "velocity_day": ("Sales velocity / day", "销售速度/天"),
    "velocity_30": ("Sales velocity / 30 days", "销售速度/30天"), "bottleneck": ("Bottleneck", "瓶颈阶段"),
    "mix": ("Grades and follow-ups", "等级与跟进"),
    "grade_n": ("Grade {g}", "{g}级"),
    **{status: RULES[status] for status in ("Overdue", "Due today", "This week", "Later")},
    "stages": ("Conversion by stage", "各阶段转化"),
    "stage": column_words("stage"), "zh": ("中文", "English"), "in_stage": ("In stage", "当前数量"),
    "value": ("Value", "金额"), "weighted_value": ("Weighted value", "加权金额"), "reached": ("Reached", "到达数"),
    "reached_stage": ("Reached: {s}", "到达：{s}"),  # per owner / per source: leads that reached stage s
    "conversion": ("Conversion to next", "转化到下一阶段"), "cumulative": ("Cumulative conversion", "累计转化率"),
    "avg_days": ("Avg days in stage", "平均停留天数"), "stale": column_words("stale"), "overdue": ("Overdue", "逾期"),
    "chart": ("Leads reaching each stage", "各阶段到达线索数"),
    "owners": ("By owner", "按负责人"), "sources": ("By source", "按来源"),
    "owner": column_words("owner"), "source": column_words("source"), "leads": ("Leads", "线索数"),
    "avg_won_short": ("Avg won", "平均成交额"), "conv_all": ("Lead → won", "线索→成交"),
    "cleanse_title": ("Leads flagged for cleansing", "待清洗线索"),
    "cleanse_note": ("{n} leads flagged as of {d}. Review each: update it, snooze it (Snooze Until), or run Archive Stale "
                     "to move flagged rows to Archive. Nothing is deleted.",
                     "截至 {d} 共 {n} 条线索被标记。请逐条处理：更新、暂缓（暂缓至），或运行“归档待清洗”将其移至归档表。不会删除任何数据。"),
    "row": ("Row", "行"), "reason": column_words("stale_reason"),
    "cleanse_cut": ("Only the first {n} fit on this sheet; the Stale column in Leads marks them all.",
                    "本表只能列出前 {n} 条；线索表的“待清洗”列标记了全部。"),
    "check_title": ("Data check", "数据检查"),
    "check_note": ("{n} problems found on {d}. Each names the cell; fix it in Leads and run Check Data again.",
                   "{d} 检查发现 {n} 个问题。每个问题都标明了单元格；请在线索表中修改后重新运行数据检查。"),
    "check_ok": ("No problems found on {d}.", "{d} 检查未发现问题。"),
    "cell": ("Cell", "单元格"), "column": ("Column", "列"), "problem": ("Problem", "问题"),
    "suggestion": ("Did you mean", "建议值"), "cell_value": ("Value", "值"), "sheet": ("Sheet", "工作表"),
    **HISTORY_COLUMNS,
    "archived_on": ARCHIVED_ON,
    "cell_notes": ("Cell Notes", "单元格批注"),
    # the rep's Funnel: its period, Forecast and Targets blocks (reports.sheets.add_rep_views)
    "period_all": ("Period: all leads", "周期：全部线索"),
    "period_in": ("Period: {p} ({span}), leads created in it", "周期：{p}（{span}），该期间内创建的线索"),
    "forecast": ("Forecast by expected close month", "按预计成交月份预测"),
    "forecast_owner": ("Forecast by owner", "按负责人预测"),
    "month": ("Month", "月份"), "best_case": ("Best case", "最好情况"), "fc_weighted": ("Weighted", "加权"),
    "won_so_far": ("Won so far", "已成交金额"),
    "targets": ("Targets", "目标"), "period": ("Period", "期间"), "target": ("Target", "目标"),
    "won_value": ("Won value", "成交金额"), "attainment": ("Attainment", "达成率"), "remaining": ("Remaining", "剩余"),
    "open_value": ("Open value", "进行中金额"), "weighted_open": ("Weighted open", "加权进行中金额"),
    "coverage": ("Coverage", "覆盖率"), "weighted_coverage": ("Weighted coverage", "加权覆盖率"),
    "no_targets": ("No targets in Settings: fill in its Targets block, one line per owner and period "
                   "(Owner | Period | Target, e.g. Ann | 2026-Q4 | 120000), then refresh.",
                   "设置表中没有目标：请在其“目标”块中为每个负责人的每个期间填一行"
                   "（负责人 | 期间 | 目标，例如 Ann | 2026-Q4 | 120000），然后刷新。"),
}

# ---------------------------------------------------------------------------
# The team report (salesbook rollup: salesbook.team.report)
# ---------------------------------------------------------------------------

TEAM: Words = {
    "title:Team Funnel": ("Team funnel", "团队漏斗"),
    "title:Team Cleanse": ("Team leads flagged for cleansing", "团队待清洗线索"),
    "title:Targets": ("Targets: attainment and coverage", "目标：完成率与覆盖率"),
    "title:Forecast": ("Forecast by expected close month", "按预计成交月份的预测"),
    "title:Movement": ("Pipeline movement", "管道变动"),
    "note": ("Team report of {n} workbooks as of {d}{p}. Written by salesbook rollup; edits here are overwritten.",
             "{n} 个工作簿的团队报告，截至 {d}{p}。由 salesbook rollup 生成；此表的修改会被覆盖。"),
    "period_note": ("; funnel: leads created in {p}", "；漏斗：{p} 期间创建的线索"),
    "all_leads": ("; funnel: every lead (no --period)", "；漏斗：全部线索（未指定 --period）"),
    "books": ("By workbook", "按工作簿"), "book": ("Workbook", "工作簿"),
    "failed": ("Workbooks not included", "未纳入的工作簿"), "reason": ("Reason", "原因"),
    "unknown": ("Stages not in Settings (not counted above)", "设置中没有的阶段（未计入上表）"),
    "unknown_stage": ("Stage as typed", "填写的阶段"),
    "won_vs_target": ("Won value against target", "成交金额与目标"),
    "won_value": ("Won value", "成交金额"), "target": ("Target", "目标"),
    "flagged": ("Flagged leads", "被标记的线索"),
    "cross": ("Duplicates across workbooks", "跨工作簿重复"),
    "cross_none": ("No lead is in two reps' workbooks.", "没有线索同时出现在两个销售的工作簿中。"),
    "also_in": ("also in {o}'s book ({id})", "也在{o}的工作簿中（{id}）"),
    "row_n": ("row {n}", "第 {n} 行"),  # the other lead, when it has no Lead ID
    "match": ("Same", "相同项"), "match.email": ("e-mail", "邮箱"), "match.phone": ("phone", "电话"),
    "match.person": ("company + contact", "公司+联系人"),
    "lead_id": ("Lead ID", "线索编号"), "other_book": ("Other workbook", "另一工作簿"),
    "cleanse_note": ("{n} leads flagged in {b} workbooks as of {d}; {x} leads are also in another rep's workbook. "
                     "Each rep cleanses their own book.",
                     "截至 {d}，{b} 个工作簿中共 {n} 条线索被标记；{x} 条线索也在其他销售的工作簿中。各销售清洗自己的工作簿。"),
    "period": ("Period", "期间"), "won_count": ("Won deals", "成交数"),
    "open_count": ("Open leads closing", "本期预计成交线索"), "open_value": ("Open value", "进行中金额"),
    "weighted_open": ("Weighted open", "加权进行中金额"), "remaining": ("Remaining", "剩余目标"),
    "attainment": ("Attainment", "完成率"), "coverage": ("Coverage", "覆盖率"),
    "weighted_coverage": ("Weighted coverage", "加权覆盖率"),
    "no_target": ("Owners without a target are listed with the target blank.", "没有目标的负责人也列出，目标为空。"),
    "targets_from": ("Targets from {s}.", "目标来自{s}。"),
    "targets_books": ("the Targets blocks of the workbooks' Settings (the same line in several books counted once)",
                      "各工作簿设置中的目标表（多个工作簿中相同的行只计一次）"),
    "targets_conflict": ("{o} {p}: the workbooks give different targets ({t}); the first is used.",
                         "{o} {p}：各工作簿的目标不同（{t}），采用第一个。"),
    "bucket": ("Expected close", "预计成交"), "best_case": ("Best case", "最好情况"),
    "weighted": ("Weighted", "加权"), "won_so_far": ("Won so far", "已成交"),
    "forecast_total": ("Team total", "团队合计"), "forecast_owner": ("By owner", "按负责人"),
    "movement": ("Movement", "变动"), "now": ("{p}", "{p}"), "prev_leads": ("Leads {p}", "线索数 {p}"),
    "prev_value": ("Value {p}", "金额 {p}"), "now_leads": ("Leads {p}", "线索数 {p}"), "now_value": ("Value {p}", "金额 {p}"),
    "change": ("Change in leads", "线索数变化"),
    "movement_note": ("{p} against {q}: each lead counted once, by what happened to it.",
                      "{p} 与 {q} 对比：每条线索按其变化计一次。"),
    "summary": ("Rolled up {ok:,} of {n:,} workbooks ({f:,} failed): {leads:,} leads, {flagged:,} flagged, "
                "{cross:,} in two reps' books", "已汇总 {n:,} 个工作簿中的 {ok:,} 个（{f:,} 个失败）：{leads:,} 条线索，"
                "{flagged:,} 条被标记，{cross:,} 条同时在两个销售的工作簿中"),
}


# What the workbook template puts on Funnel, Cleanse and Check before the first run (title, note).
PLACEHOLDERS = {
    "funnel": ("Sales funnel 销售漏斗",
               "Click Refresh Funnel (or Run All) to build the key figures, conversion by stage, owner and source, "
               "and the chart here. This sheet is rewritten on every refresh. "
               "点击“刷新漏斗”（或“全部运行”）在此生成关键指标、按阶段/负责人/来源的转化表和图表；每次刷新都会重写本表。"),
    "cleanse": ("Leads flagged for cleansing 待清洗线索",
                "Click Flag Stale (or Run All) to list the flagged leads and their reasons here. Review each: update it, "
                "snooze it, or run Archive Stale. Rewritten on every run. "
                "点击“标记待清洗”（或“全部运行”）在此列出被标记的线索及原因。请逐条处理：更新、暂缓或运行“归档待清洗”。每次运行都会重写本表。"),
    "check": ("Data check 数据检查",
              "Click Check Data to list every cell that cannot be read, with its row, column and a suggestion. "
              "Rewritten on every check. 点击“数据检查”列出所有无法读取的单元格及其行、列和修改建议。每次检查都会重写本表。"),
}


# ---------------------------------------------------------------------------
# The one-line summary of a run (salesbook.engine)
# ---------------------------------------------------------------------------

SUMMARY: Words = {
    "graded": ("Graded {n:,} {leads}: {mix}", "已评级 {n:,} 条线索：{mix}"),
    "followups": ("Follow-ups: {o:,} overdue · {d:,} due today · {w:,} this week",
                  "跟进：{o:,} 条逾期 · {d:,} 条今日到期 · {w:,} 条本周内"),
    "stale": ("Flagged {n:,} stale leads for review", "标记 {n:,} 条待清洗线索"),
    "funnel": ("Funnel: {o:,} open · pipeline {p:,.0f} · win rate {w}", "漏斗：{o:,} 条进行中 · 管道金额 {p:,.0f} · 赢单率 {w}"),
    "bottleneck": (" · bottleneck {b}", " · 瓶颈 {b}"),
    "attention": ("{n:,} rows need attention (run Check Data)", "{n:,} 行需要检查（运行数据检查）"),
    # thin data (engine.data_gaps): said on the summary line and at the top of the Funnel sheet
    "no_bant": ("No BANT data: every lead grades C — map or add Budget, Authority, Need, Timeline",
                "无 BANT 数据：所有线索均评为 C——请映射或添加预算、权限、需求、时间列"),
    "left_out": ("{n:,} of {total:,} rows are left out of the funnel: {why}",
                 "{total:,} 行中有 {n:,} 行未计入漏斗：{why}"),
    "left_out.unknown": ("{n:,} with a stage not in Settings ({examples})", "{n:,} 行的阶段不在设置中（{examples}）"),
    "left_out.blank": ("{n:,} without a stage", "{n:,} 行没有阶段"),
    "bad_value": ("{n:,} row{s} with an unreadable Deal Value count{t} as 0 in the pipeline",
                  "{n:,} 行金额无法读取，在管道金额中按 0 计"),
    "no_leads": ("No leads yet: add them to the Leads table (one row per lead), then run again.",
                 "还没有线索：请在线索表中添加线索（每条线索一行），然后再运行。"),
}


# ---------------------------------------------------------------------------
# `salesbook import` (salesbook.importing): its summary line, its preview and its refusals
# ---------------------------------------------------------------------------

IMPORT: Words = {
    "imported": ("Imported {n:,} rows from {name}: {new:,} new · {updated:,} updated ({stages:,} stage changes) · "
                 "{same:,} unchanged",
                 "已从 {name} 导入 {n:,} 行：新增 {new:,} · 更新 {updated:,}（阶段变化 {stages:,}）· 未变 {same:,}"),
    "would_import": ("Would import {n:,} rows from {name}: {new:,} new · {updated:,} updated ({stages:,} stage "
                     "changes) · {same:,} unchanged",
                     "将从 {name} 导入 {n:,} 行：新增 {new:,} · 更新 {updated:,}（阶段变化 {stages:,}）· 未变 {same:,}"),
    "absent": ("; {n:,} leads in the book are not in this export", "；工作簿中有 {n:,} 条线索不在此导出中"),
    "dry_run": (". Nothing was written (--dry-run).", "。未写入任何内容（--dry-run）。"),
    "new_lead": ("{id}: new lead (row {row})", "{id}：新线索（第 {row} 行）"),
    "left_out": ("Not imported, the Leads table has no such column: {columns} (add the column to import it)",
                 "未导入，线索表中没有这些列：{columns}（添加该列即可导入）"),
    "no_id": ("{name} has no Lead ID column: map the export's ID column to Lead ID (Settings, Import columns) or "
              "choose a --preset, then import again.",
              "{name} 没有线索编号列：请在设置的“导入列”中把导出的编号列对应到线索编号，或选择 --preset，然后重新导入。"),
    "blank_id": ("{name} row {row}, column '{header}': the Lead ID is empty; every row of an export needs one to be "
                 "merged. Fill it in or delete the row, then import again.",
                 "{name} 第 {row} 行“{header}”列：线索编号为空；导出的每一行都需要编号才能合并。请补上或删除该行，然后重新导入。"),
    "duplicate_id": ("{name}, column '{header}': the Lead ID '{value}' is on rows {a} and {b} ({n:,} rows share an "
                     "ID); each lead must appear once. Remove the duplicates, then import again.",
                     "{name}“{header}”列：线索编号“{value}”出现在第 {a} 行和第 {b} 行（共 {n:,} 行编号重复）；每条线索只能出现一次。"
                     "请删除重复行，然后重新导入。"),
    "unknown_stage": ("{name} row {row}, column '{header}': '{value}' is not a stage in Settings ({n:,} rows; "
                      "{others:,} other unknown stages). Map it under Import values in Settings (Stage | {value} | one "
                      "of {stages}) or add it to Stages, then import again.",
                      "{name} 第 {row} 行“{header}”列：“{value}”不是设置中的阶段（共 {n:,} 行；另有 {others:,} 个未知阶段）。"
                      "请在设置的“导入值”中映射（阶段 | {value} | {stages} 之一）或把它加入阶段，然后重新导入。"),
    "wrote_settings": ("Wrote {n:,} lines of the {preset} preset into the Settings sheet ({columns:,} Import columns, "
                       "{values:,} Import values; lines already there kept)",
                       "已把 {preset} 预设的 {n:,} 行写入设置表（导入列 {columns:,} 行，导入值 {values:,} 行；已有的行保留）"),
    "would_write_settings": ("Would write {n:,} lines of the {preset} preset into the Settings sheet ({columns:,} "
                             "Import columns, {values:,} Import values)",
                             "将把 {preset} 预设的 {n:,} 行写入设置表（导入列 {columns:,} 行，导入值 {values:,} 行）"),
    "no_settings_sheet": ("{name} has no Settings sheet to write the preset's mapping into (--write-settings); copy "
                          "the Settings sheet of a new workbook (salesbook excel new) into it, or import without "
                          "--write-settings.",
                          "{name} 没有可写入预设映射的设置表（--write-settings）；请把新工作簿（salesbook excel new）的设置表复制进来，"
                          "或不带 --write-settings 导入。"),
    "no_import_block": ("{name}: the sheet '{sheet}' has no {block} block (its title in column A, its header below "
                        "it) to write the preset's mapping into (--write-settings); add the block or import without "
                        "--write-settings.",
                        "{name}：设置表“{sheet}”中没有“{block}”块（A 列的标题及其下方的表头），无法写入预设映射"
                        "（--write-settings）；请添加该块，或不带 --write-settings 导入。"),
    "settings_no_room": ("{name}: the preset's lines do not fit in the Import blocks of the sheet '{sheet}', and the "
                         "rows below cannot be moved down because {what} refers to them. Insert {k:,} rows inside "
                         "the block (above row {row}), then import again.",
                         "{name}：预设的行放不进设置表“{sheet}”的导入块，而下方的行因被{what}引用而不能下移。"
                         "请在该块内（第 {row} 行之上）插入 {k:,} 行，然后重新导入。"),
    "new_book_xlsx": ("{name} does not exist, and salesbook creates new pipeline workbooks as .xlsx only: name the "
                      "new book NAME.xlsx.",
                      "{name} 不存在，salesbook 只能新建 .xlsx 工作簿：请把新工作簿命名为 NAME.xlsx。"),
}


# ---------------------------------------------------------------------------
# The ribbon (salesbook.ribbon): what the status bar says while a command works on n leads
# ---------------------------------------------------------------------------

WORKING = {"grade": "grading {n} leads…", "followup": "scheduling follow-ups for {n} leads…",
           "stale": "looking for stale leads among {n}…", "funnel": "refreshing the funnel from {n} leads…",
           "runall": "running all rules on {n} leads…", "check": "checking {n} leads…",
           "archive": "looking for stale leads to archive among {n}…"}


# ---------------------------------------------------------------------------
# The Settings sheet (salesbook.rules.settings): each label's English and Chinese names first,
# then the other names it is read under; the Settings sheet shows "English 中文" and the note.
# ---------------------------------------------------------------------------

SETTINGS_BLOCKS: dict[str, tuple[str, ...]] = {
    "general": ("General", "常规", "Rules", "规则", "Options", "选项"),
    "stages": ("Stages", "阶段", "Pipeline stages", "销售阶段"),
    "bant": ("BANT points", "BANT评分", "BANT", "BANT 分值", "BANT分值"),
    "timeline_days": ("Timeline by date", "按日期计时间", "Timeline dates", "时间按日期"),
    "weights": ("Weights", "权重", "Weight profiles", "权重方案"),
    "cadence": ("Follow-up cadence", "跟进频率", "Cadence", "Follow-up"),
    "holidays": ("Holidays", "节假日", "假日"),
    "targets": ("Targets", "目标", "Sales targets", "销售目标"),
    "import_columns": ("Import columns", "导入列"),
    "import_values": ("Import values", "导入值"),
}

SETTINGS_BLOCK_NOTES = {
    "general": "Dates, grading method, stale thresholds, how text is read, the holiday calendar.",
    "stages": "The pipeline in order. Probability weights the pipeline value; Limit is how many days a lead may stay "
              "before it is flagged as stuck. Type: Open, Won or Lost.",
    "bant": "Points 0–3 per value. 'Blank means' marks the value an empty cell counts as. Rules refer to the English "
            "value names.",
    "timeline_days": "A Timeline given as a date scores by the days from today (past dates count as soon); later than "
                     "the last line scores 0.",
    "weights": "Score = 100 × Σ weight × points / 3, with the profile chosen under General.",
    "cadence": "Days between follow-ups by grade, for open leads and for Closed Won customers (after-sales). "
               "None = no follow-up.",
    "holidays": "Follow-ups never fall on these dates, on weekends, or on the public holidays of the Holiday calendar under General.",
    "targets": "The won value each owner should reach in a period: a month (2026-11), a quarter (2026-Q4) or a year "
               "(2026). One line per owner and period.",
    "import_columns": "Which header of a CRM export feeds each column (English or Chinese column name). Several "
                      "lines for one column list alternatives. A preset (hubspot, salesforce, pipedrive, zoho) "
                      "fills in what is not listed here.",
    "import_values": "What an export's value means: Stage, Budget, Authority, Need, Timeline or Status "
                     "(Status: won → Closed Won, lost → Closed Lost, open → the Stage column). Overrides the preset.",
}

SETTINGS_GENERAL: dict[str, tuple[str, ...]] = {
    "as_of": ("As of", "截至日期", "As of date", "Today", "今天"),
    "weight_profile": ("Weight profile", "权重方案", "Company stage", "公司阶段", "Profile"),
    "grade_method": ("Grade method", "评级方式", "Grading", "评级方法"),
    "a_threshold": ("A score threshold", "A级分数线", "A threshold", "A 阈值"),
    "b_threshold": ("B score threshold", "B级分数线", "B threshold", "B 阈值"),
    "unanswered_limit": ("Unanswered limit", "未回应上限", "Unanswered contacts", "连续未回应上限"),
    "no_contact_days": ("No contact days", "未联系天数", "Days without contact", "无联系天数"),
    "duplicate_check": ("Duplicate check", "查重", "Check duplicates"),
    "close_date_check": ("Close date passed", "成交日期已过", "Close date check", "Past close date", "预计成交日期已过"),
    "date_order": ("Date order", "日期顺序"),
    "decimal_separator": ("Decimal separator", "小数点", "Decimal mark"),
    "phone_region": ("Default phone region", "默认电话区号", "Phone region"),
    "holiday_calendar": ("Holiday calendar", "节假日日历"),
    "bottleneck_min_reached": ("Bottleneck minimum", "瓶颈最少线索", "Bottleneck min reached"),
    "language": ("Language", "语言"),
}

SETTINGS_GENERAL_NOTES = {
    "as_of": "Blank = today. Set a date to re-run the rules as of that day.",
    "weight_profile": "Balanced, Startup (need and timeline first) or Mature (budget and authority first).",
    "grade_method": "Rules: A/B/C/D by BANT facts. Score: A and B by the score thresholds below.",
    "a_threshold": "Used when the grade method is Score.",
    "b_threshold": "Used when the grade method is Score.",
    "unanswered_limit": "Flag a lead after this many consecutive contacts without a response.",
    "no_contact_days": "Flag a lead with no contact for more than this many days.",
    "duplicate_check": "Flag leads with the same email, phone, or company + contact as an earlier row.",
    "close_date_check": "Flag an open lead whose expected close date (Close Date, else a Timeline date) is before today.",
    "date_order": "Text dates: Auto, DMY (25/10/2026), MDY (10/25/2026) or YMD. Auto: as a value in the column proves it.",
    "decimal_separator": "Text amounts: Auto, . (45,000.50) or , (45.000,50). Auto: as a value in the column proves it.",
    "phone_region": "Country of phones typed without +code, for duplicates (CN: 010-12345678 = +86 10 1234 5678).",
    "holiday_calendar": "A country (CN, US, DE, GB …): follow-ups skip its public holidays; CN also its make-up working days. Blank = none.",
    "bottleneck_min_reached": "Only stages reached by at least this many leads can be the bottleneck.",
    "language": "Auto: the language of the Leads headers.",
}

# The BANT dimensions as the Settings sheet's BANT block names them.
DIMENSION_LABELS = {"budget": column_words("budget"), "authority": column_words("authority"),
                    "need": column_words("need"), "timeline": column_words("timeline")}


def both(names: tuple[str, ...]) -> str:
    """A Settings label as the sheet shows it: 'As of 截至日期'."""
    return f"{names[0]} {names[1]}"

# The header of each Settings block's table: each column's names, the one written first.
SETTINGS_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "general": {"setting": ("Setting", "设置"), "value": ("Value", "值"), "note": ("Note", "说明")},
    "stages": {"name": ("Stage", "阶段", "Name", "名称"), "zh": ("中文", "Chinese", "中文名"),
               "probability": ("Probability", "概率", "赢率", "Win probability"),
               "limit": ("Limit (days)", "Limit", "天数上限", "停留上限", "Max days", "最长天数"),
               "kind": ("Type", "类型", "Kind")},
    "bant": {"dimension": ("Dimension", "维度", "Field", "字段"), "value": ("Value", "取值", "值", "Option", "选项"),
             "zh": ("中文", "Chinese"), "points": ("Points", "分值", "得分", "分数"),
             "blank": ("Blank means", "空白视为", "Blank", "默认")},
    "timeline_days": {"days": ("Up to days", "Max days", "最多天数", "天数", "Days"), "points": ("Points", "分值", "得分")},
    "weights": {"profile": ("Profile", "方案", "Company stage", "公司阶段")},  # then the four DIMENSION_LABELS
    "cadence": {"grade": ("Grade", "等级"),
                "open": ("Open (days)", "Open", "进行中", "跟进间隔(天)", "Interval (days)", "间隔天数"),
                "won": ("Closed Won (days)", "Closed Won", "After-sales (days)", "After-sales", "成交后", "售后", "成交客户")},
    "holidays": {"date": ("Date", "日期"), "name": ("Name",)},
    "targets": {"owner": ("Owner", "负责人", "Rep", "销售"), "period": ("Period", "期间", "周期", "时期"),
                "target": ("Target", "目标", "目标金额", "Amount", "金额")},
    "import_columns": {"column": ("Column", "列", "Salesbook column"),
                       "header": ("Export header", "导出表头", "Header", "表头")},
    "import_values": {"column": ("Column", "列"), "value": ("Export value", "导出值"),
                      "to": ("Value", "值", "Salesbook value")},
}

# The columns an export may map that are not Leads columns (rules.settings.IMPORT_ONLY).
IMPORT_ONLY_COLUMNS: dict[str, tuple[str, ...]] = {
    "status": ("Status", "状态", "Deal status", "商机状态"),
    "stage_changed": ("Last Stage Change", "最近阶段变更", "Last Stage Change Date", "Stage changed", "阶段变更日期"),
}


# ---------------------------------------------------------------------------
# The Leads table's data validation in the workbook template: (error title, error message), bilingual
# ---------------------------------------------------------------------------

VALIDATION = {
    "list": ("Not in the list 不在列表中",
             "Pick a value from the list. The list comes from the Settings sheet. 请从列表中选择。列表来自设置表。"),
    "timeline": ("Not in the list 不在列表中",
                 "Pick a period from the list or type a date (yyyy-mm-dd). The list is on the Settings sheet. "
                 "请从列表选择时间段，或输入日期（yyyy-mm-dd）。列表见设置表。"),
    "amount": ("Amount 金额", "Enter an amount of 0 or more. 请输入不小于0的金额。"),
    "count": ("Whole number 整数",
              "Enter how many contacts in a row got no response (0 or more). 请输入连续未回应次数（0或以上的整数）。"),
    "date": ("Date 日期", "Enter a date (yyyy-mm-dd). 请输入日期（yyyy-mm-dd）。"),
}


# ---------------------------------------------------------------------------
# The ribbon tab (salesbook/builder/macros/customUI*.xml): the English words are the XML sources' own
# (tests/deploy/test_ribbon_language.py keeps them equal); a Chinese workbook's ribbon gets the Chinese
# ones when it is built (salesbook.builder.ribbon.localize_ribbon). Button labels: help.BUTTONS.
# ---------------------------------------------------------------------------

RIBBON: Words = {
    "tab.salesbookTab": ("Sales Pipeline · 销售管道", "销售管道"),
    "group.salesbookLeads": ("Leads · 线索", "线索"),
    "group.salesbookCleanse": ("Cleanse · 清洗", "清洗"),
    "group.salesbookReport": ("Report · 报表", "报表"),
    "group.salesbookRun": ("Run · 运行", "运行"),
    "group.salesbookWorkbook": ("Workbook · 工作簿", "工作簿"),
    "supertip.grade": (
        "Scores every lead by BANT (budget, authority, need, timeline). Writes Grade, Score, Grade Reason and "
        "Grade Change on the Leads sheet; no other cell is changed.",
        "按 BANT（预算、决策权、需求、采购时间）为每条线索评分。在线索表写入等级、评分、评级依据和等级变化；不改动其他单元格。"),
    "supertip.followup": (
        "Works out the next contact date from each lead's grade and last contact, on a working day. Writes Next "
        "Follow-up and Follow-up Status on the Leads sheet.",
        "根据每条线索的等级和最近联系日期计算下次联系日期（顺延到工作日）。在线索表写入下次跟进和跟进状态。"),
    "supertip.stale": (
        "Flags leads to clean up: no response, need mismatch, no contact for too long, stuck in a stage, possible "
        "duplicates. Writes Stale and Stale Reason on Leads and the review list on the Cleanse sheet. Nothing is "
        "deleted.",
        "标记需要清理的线索：无回应、需求不匹配、长期未联系、在某阶段停留过久、疑似重复。在线索表写入待清洗和清洗原因，"
        "并在“Cleanse”表列出待处理清单。不会删除任何数据。"),
    "supertip.archive": (
        "Moves the rows flagged Stale from Leads to the Archive sheet, with today's date, after showing how many "
        "leads (and which Lead IDs) would move and asking you to confirm. Nothing is lost: every cell of a moved "
        "row is kept on Archive.",
        "先显示将移动多少条线索（及其线索编号）并请您确认，然后把标记为待清洗的行连同今天的日期从线索表移到“Archive”表。"
        "不会丢失任何数据：移动行的每个单元格都保留在归档表中。"),
    "supertip.funnel": (
        "Rebuilds the Funnel sheet: KPIs, conversion by stage, by owner and by source, and the chart. Appends "
        "newly seen stage changes to the History sheet.",
        "重建“Funnel”表：关键指标、按阶段/负责人/来源的转化以及图表。把新发现的阶段变化追加到“History”表。"),
    "supertip.runall": (
        "Grade Leads, Follow-ups, Flag Stale and Refresh Funnel in one go, writing everything those buttons write. "
        "Does not archive.",
        "一次完成评级、跟进、标记待清洗和刷新漏斗，写入这些按钮写入的全部内容。不执行归档。"),
    "supertip.check": (
        "Checks the leads and the Settings for problems (missing required values, unknown stages, bad dates or "
        "numbers, duplicate Lead IDs). Writes the list, with sheet, row, column and value, on the Check sheet only.",
        "检查线索和设置中的问题（缺少必填值、未知阶段、错误的日期或数字、重复的线索编号）。只在“Check”表写入问题清单，"
        "注明工作表、行、列和取值。"),
    "supertip.settings": (
        "Goes to the Settings sheet: stages, BANT points, weights, grade rules, follow-up cadences, stale rules, "
        "holidays and the As of date. Writes nothing.",
        "打开设置表：阶段、BANT 分值、权重、评级规则、跟进频率、清洗规则、节假日和截至日期。不写入任何内容。"),
    "supertip.help": (
        "Explains what each button does and which cells it writes. Changes none of your data.",
        "说明每个按钮的作用以及它写入哪些单元格。不改动您的任何数据。"),
}


# ---------------------------------------------------------------------------
# Setting up a rep's machine: salesbook excel new / setup / upgrade and salesbook doctor (salesbook.deploy)
# ---------------------------------------------------------------------------

DEPLOY: Words = {
    "ok": ("ok", "正常"), "problem": ("PROBLEM", "问题"), "note": ("note", "提示"), "fix": ("Fix", "解决办法"),
    "run_setup": ("Run salesbook excel setup with the Python that has salesbook installed.",
                  "请用安装了 salesbook 的 Python 运行 salesbook excel setup。"),
    # excel new
    "new.wrote": ("Wrote {path}: {what}, ribbon in {language}. Open it in Excel and enable macros; on a new "
                  "machine run salesbook excel setup first.",
                  "已写入 {path}：{what}，功能区语言 {language}。请在 Excel 中打开并启用宏；新电脑上请先运行 salesbook excel setup。"),
    "new.clean": ("empty Leads table, default Settings, no History", "空的线索表、默认设置、无历史记录"),
    "new.sample": ("{n} sample leads, graded, with History", "{n} 条已评级的示例线索及历史记录"),
    # excel setup
    "config.created": ("xlwings config {path}: created", "xlwings 配置 {path}：已创建"),
    "config.updated": ("xlwings config {path}: updated", "xlwings 配置 {path}：已更新"),
    "config.same": ("xlwings config {path}: already set, nothing changed", "xlwings 配置 {path}：已设置，未作修改"),
    "setup.interpreter": ("{name} = {value}: this Python ({where})", "{name} = {value}：当前 Python（{where}）"),
    "setup.interpreter_same": ("{name} = {value}: already set (this Python; {where})",
                               "{name} = {value}：已设置（当前 Python；{where}）"),
    "setup.key_for": ("the key Excel on {os} reads", "{os} 上的 Excel 读取此键"),
    "setup.linux_key": ("Excel does not run on Linux: the key written is the one xlwings writes here, Excel on "
                        "Windows reads it", "Linux 上没有 Excel：按 xlwings 在此的做法写入该键，供 Windows 上的 Excel 读取"),
    "setup.add_workbook": ("ADD_WORKBOOK_TO_PYTHONPATH = False: set, so workbooks on OneDrive and SharePoint work",
                           "ADD_WORKBOOK_TO_PYTHONPATH = False：已设置，OneDrive 和 SharePoint 上的工作簿可以运行"),
    "setup.add_workbook_same": ("ADD_WORKBOOK_TO_PYTHONPATH = False: already set",
                                "ADD_WORKBOOK_TO_PYTHONPATH = False：已设置"),
    "setup.pythonpath": ("PYTHONPATH = {value}: set, because this Python imports salesbook only with it",
                         "PYTHONPATH = {value}：已设置，因为当前 Python 只有借助它才能导入 salesbook"),
    "setup.pythonpath_same": ("PYTHONPATH = {value}: already set", "PYTHONPATH = {value}：已设置"),
    "setup.pythonpath_none": ("PYTHONPATH: not needed, salesbook is installed in this Python",
                              "PYTHONPATH：不需要，salesbook 已安装在当前 Python 中"),
    "setup.runpython": ("RunPython script {path}: installed (xlwings runpython install)",
                        "RunPython 脚本 {path}：已安装（xlwings runpython install）"),
    "setup.runpython_same": ("RunPython script {path}: already installed", "RunPython 脚本 {path}：已安装"),
    "setup.runpython_other": ("RunPython script: not needed on {os} (macOS only)",
                              "RunPython 脚本：{os} 上不需要（仅 macOS 需要）"),
    # checks
    "version.shipped_ok": ("xlwings {version} installed = the VBA module salesbook builds into workbooks ({version})",
                           "已安装的 xlwings {version} = salesbook 写入工作簿的 VBA 模块版本（{version}）"),
    "version.shipped_differs": ("xlwings {installed} is installed for {python}, but salesbook's workbooks carry "
                                "the VBA module of xlwings {module}",
                                "{python} 安装的 xlwings 为 {installed}，但 salesbook 工作簿中的 VBA 模块版本为 {module}"),
    "version.shipped_fix": ("Install the matching release: {python} -m pip install xlwings=={module}.",
                            "请安装匹配的版本：{python} -m pip install xlwings=={module}。"),
    "version.book_ok": ("{book} carries the VBA module of xlwings {version}, the release installed",
                        "{book} 中的 VBA 模块为 xlwings {version}，与已安装版本一致"),
    "version.book_differs": ("{book} carries the VBA module of xlwings {module}, but xlwings {installed} is "
                             "installed for {python}",
                             "{book} 中的 VBA 模块为 xlwings {module}，但 {python} 安装的是 xlwings {installed}"),
    "version.book_fix": ("Run salesbook excel upgrade {book} to give the workbook this version's module.",
                         "请运行 salesbook excel upgrade {book}，让工作簿使用当前版本的模块。"),
    "probe.timeout": ("it did not answer within {seconds} s", "{seconds} 秒内没有响应"),
    "config.missing": ("There is no xlwings config at {path}, so Excel does not know which Python to start",
                       "{path} 处没有 xlwings 配置，Excel 不知道要启动哪个 Python"),
    "interpreter.unset": ("{path} has no {name}, so Excel starts whichever python is first on the PATH",
                          "{path} 中没有 {name}，Excel 会启动 PATH 中第一个 python"),
    "interpreter.gone": ("The interpreter in {name}, {value}, no longer exists",
                         "{name} 中的解释器 {value} 已不存在"),
    "interpreter.gone_fix": ("Run salesbook excel setup from the Python that now has salesbook, so its path goes "
                             "into the config.",
                             "请用现在安装了 salesbook 的 Python 运行 salesbook excel setup，把它的路径写入配置。"),
    "import.ok": ("{python} imports salesbook ({where})", "{python} 可以导入 salesbook（{where}）"),
    "import.fails": ("{python} cannot import salesbook and xlwings: {why}",
                     "{python} 无法导入 salesbook 和 xlwings：{why}"),
    "import.fix": ("Install the wheel into that Python ({python} -m pip install salesbook-*.whl), or run "
                   "salesbook excel setup from the Python that has it.",
                   "请把 wheel 安装到该 Python（{python} -m pip install salesbook-*.whl），或用已安装 salesbook 的 Python "
                   "运行 salesbook excel setup。"),
    "book.no_vba": ("{book} has no VBA project that salesbook can read", "{book} 中没有 salesbook 能读取的 VBA 工程"),
    "book.not_salesbook": ("{book} has a VBA project, but not salesbook's (no ribbon callback to salesbook)",
                           "{book} 有 VBA 工程，但不是 salesbook 的（没有调用 salesbook 的功能区回调）"),
    "book.no_vba_fix": ("Start from a workbook salesbook made: salesbook excel new.",
                        "请使用 salesbook 生成的工作簿：salesbook excel new。"),
    "onedrive.setting": ("ADD_WORKBOOK_TO_PYTHONPATH is {value}, so a workbook on OneDrive or SharePoint fails "
                         "to start Python",
                         "ADD_WORKBOOK_TO_PYTHONPATH 为 {value}，OneDrive 或 SharePoint 上的工作簿将无法启动 Python"),
    "onedrive.book": ("{book} is on OneDrive or SharePoint and ADD_WORKBOOK_TO_PYTHONPATH is {value}, so its buttons "
                      "fail to start Python",
                      "{book} 位于 OneDrive 或 SharePoint，而 ADD_WORKBOOK_TO_PYTHONPATH 为 {value}，按钮将无法启动 Python"),
    "onedrive.ok": ("ADD_WORKBOOK_TO_PYTHONPATH = False: workbooks on OneDrive and SharePoint work",
                    "ADD_WORKBOOK_TO_PYTHONPATH = False：OneDrive 和 SharePoint 上的工作簿可以运行"),
    "runpython.ok": ("RunPython script {path} is installed", "RunPython 脚本 {path} 已安装"),
    "runpython.missing": ("The RunPython script {path} is missing, so Excel on macOS cannot start Python",
                          "缺少 RunPython 脚本 {path}，macOS 上的 Excel 无法启动 Python"),
    "defender.block": ("Defender's rule 'Block all Office applications from creating child processes' is set to "
                       "block, so Excel cannot start Python",
                       "Defender 规则“阻止所有 Office 应用程序创建子进程”设为阻止，Excel 无法启动 Python"),
    "defender.unknown": ("Defender's rule 'Block all Office applications from creating child processes' cannot be "
                         "read reliably from Python (registry: {state}; rules set through Intune are not visible "
                         "there); if the buttons do nothing and Windows shows a Defender notice, it is this rule",
                         "无法从 Python 可靠地读取 Defender 规则“阻止所有 Office 应用程序创建子进程”（注册表：{state}；"
                         "通过 Intune 下发的规则在注册表中不可见）；若按钮无反应且 Windows 弹出 Defender 通知，就是此规则"),
    "defender.fix": ("Ask IT for an exclusion for Excel starting this Python, or run salesbook batch or rollup "
                     "centrally on a schedule (admin guide, Defender).",
                     "请 IT 为 Excel 启动此 Python 设置例外，或在服务器上定时集中运行 salesbook batch 或 rollup（见管理员指南 Defender 一节）。"),
    # excel upgrade
    "upgrade.done": ("Upgraded {path}: VBA project (xlwings {version}), ribbon ({language}) and Help sheet of "
                     "salesbook {salesbook}; every other part kept byte for byte",
                     "已升级 {path}：VBA 工程（xlwings {version}）、功能区（{language}）和帮助表更新为 salesbook {salesbook}；"
                     "其余部分逐字节保留"),
    "upgrade.styles": ("the Help sheet needed {n} cell formats the workbook lacked; they were added to its styles",
                       "帮助表需要工作簿中没有的 {n} 种单元格格式，已添加到样式中"),
    "upgrade.own_vba": ("Cannot upgrade {path} in place: its VBA project holds code of your own ({modules}), which "
                        "the upgrade's new VBA project would not carry; nothing was written. Run it with --output "
                        "{name}-new.xlsm and copy that code into the new workbook (VBA editor: File > Export, then "
                        "Import), or export it first.",
                        "无法原地升级 {path}：其 VBA 工程中有您自己的代码（{modules}），升级后的新 VBA 工程不会保留它；未写入任何内容。"
                        "请加 --output {name}-new.xlsm 运行，再把这些代码复制到新工作簿（VBA 编辑器：文件 > 导出，然后导入），或先导出它们。"),
    "upgrade.own_vba_left": ("your own VBA ({modules}) is not in the new workbook: it stays in {old}; copy it over "
                             "(VBA editor: File > Export, then Import)",
                             "您自己的 VBA（{modules}）不在新工作簿中，仍保留在 {old}；请复制过去（VBA 编辑器：文件 > 导出，然后导入）"),
    "upgrade.help_added": ("the workbook had no Help sheet; it was added at the end",
                           "工作簿中没有帮助表，已添加到最后"),
    "upgrade.no_leads": ("Cannot upgrade {path}: it has no Leads table, so it is not a salesbook workbook; nothing "
                         "was written. Use salesbook excel new for a new workbook.",
                         "无法升级 {path}：其中没有线索表（Leads），不是 salesbook 工作簿；未写入任何内容。新建工作簿请用 salesbook excel new。"),
    "upgrade.no_vba": ("Cannot upgrade {path}: it has no salesbook VBA project (no ribbon callback to salesbook), "
                       "so it is not a salesbook workbook; nothing was written. Use salesbook excel new for a new "
                       "workbook and copy the leads into it.",
                       "无法升级 {path}：其中没有 salesbook 的 VBA 工程（没有调用 salesbook 的功能区回调），不是 salesbook 工作簿；"
                       "未写入任何内容。请用 salesbook excel new 新建工作簿并把线索复制进去。"),
}
