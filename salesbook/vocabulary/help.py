"""The Help text: one source for the workbook's Help sheet (``salesbook.builder.template``), the
Help sheet the ribbon makes when it is missing (``salesbook.ribbon``) and the ribbon-button table
of docs/user-guide.md (tests/test_vocabulary.py keeps that table equal to ``BUTTONS``)."""

from __future__ import annotations

from typing import NamedTuple

from salesbook.rules.schema import INPUTS, OUTPUTS


class Button(NamedTuple):
    id: str      # the command's name (customUI14.xml's button id, salesbook.commands.RIBBON_COMMANDS)
    en: str      # the ribbon label
    zh: str
    what: str    # what it does and writes
    what_zh: str


# The ribbon's buttons in ribbon order: the Help sheet explains the commands (the first seven),
# the user guide's table every button.
BUTTONS: tuple[Button, ...] = (
    Button("grade", "Grade Leads", "评级",
           "writes Grade, Score, Grade Reason and Grade Change for every lead.",
           "为每条线索写入等级、评分、评级依据和等级变化。"),
    Button("followup", "Follow-ups", "跟进",
           "writes Next Follow-up and Follow-up Status (Overdue, Due today, This week, Later).",
           "写入下次跟进日期和跟进状态（已逾期、今日到期、本周内、稍后）。"),
    Button("stale", "Flag Stale", "标记待清洗",
           "writes Stale and Stale Reason and lists the flagged leads on the Cleanse sheet. Nothing is deleted.",
           "写入待清洗和清洗原因，并在“Cleanse”表列出被标记的线索。不会删除任何数据。"),
    Button("archive", "Archive Stale", "归档待清洗",
           "moves the flagged rows (all their cells) from Leads to the Archive sheet, with the date.",
           "把被标记的行（整行所有单元格）连同日期从线索表移到“Archive”表。"),
    Button("funnel", "Refresh Funnel", "刷新漏斗",
           "rebuilds the Funnel sheet (key figures, conversion by stage, by owner and by source, chart) and adds "
           "stage changes to History.",
           "重建“Funnel”表（关键指标、按阶段/负责人/来源的转化、图表），并把阶段变化追加到“History”表。"),
    Button("runall", "Run All", "全部运行",
           "all of the above except Archive Stale.",
           "执行以上全部操作（归档除外）。"),
    Button("check", "Check Data", "数据检查",
           "lists every cell that cannot be read (typos, text in a date or number column, unknown stages) on the "
           "Check sheet.",
           "在“Check”表列出所有无法读取的单元格（拼写错误、日期或数字列中的文字、未知阶段等）。"),
    Button("settings", "Settings", "设置",
           "goes to the Settings sheet (done in VBA, without Python); writes nothing",
           "打开设置表（由 VBA 完成，无需 Python）；不写入任何内容"),
    Button("help", "Help", "帮助",
           "goes to the Help sheet; writes nothing (creates it again if it was deleted)",
           "打开帮助表；不写入任何内容（若已删除则重新创建）"),
)
RIBBON_LABELS = {b.id: b.en for b in BUTTONS}  # a button's name in the ribbon's messages
COMMAND_BUTTONS = BUTTONS[:7]  # the buttons that run a command (group Workbook only switches sheets)

# What the Help sheet says about each input column of Leads (keyed as salesbook.rules.schema).
INPUT_NOTES = {
    "lead_id": ("unique; required", "唯一；必填"), "company": ("required", "必填"), "contact": ("the person", "联系人姓名"),
    "email_phone": ("email or phone; used to find duplicates", "邮箱或电话；用于查重"),
    "email": ("used to find duplicates", "用于查重"), "phone": ("used to find duplicates", "用于查重"),
    "mobile": ("a second phone number; used to find duplicates", "第二个电话号码；用于查重"),
    "owner": ("the rep; required", "负责的销售；必填"), "source": ("the channel the lead came from", "线索来源渠道"),
    "stage": ("a stage from Settings; required", "设置表中的阶段；必填"),
    "lost_at_stage": ("for Closed Lost: the stage where it was lost", "丢单线索：在哪个阶段丢单"),
    "budget": ("Confirmed · Pending · Unknown (blank) · None", "明确 · 待确认 · 未知（空白）· 无"),
    "authority": ("Decision maker · Influencer · User · Unknown (blank)", "决策人 · 影响者 · 使用者 · 未知（空白）"),
    "need": ("Clear · Identified · Vague (blank) · Mismatch", "明确 · 已识别 · 模糊（空白）· 不匹配"),
    "timeline": ("a period (≤3 months … >12 months) or the expected purchase date", "时间段（3个月内……12个月以上）或预计采购日期"),
    "deal_value": ("amount, 0 or more", "金额，不小于0"), "created": ("date; required", "日期；必填"),
    "last_contact": ("date of the last contact", "最近一次联系的日期"),
    "unanswered": ("contacts in a row without a response", "连续未回应的联系次数"),
    "stage_since": ("date the lead entered its current stage", "进入当前阶段的日期"),
    "close_date": ("for Closed Won / Closed Lost; on an open lead, when it is expected to close",
                   "成交或丢单的日期；进行中的线索填预计成交日期"),
    "scheduled": ("the next contact you booked", "已预约的下次联系日期"),
    "snooze_until": ("no stale flag until this date", "此日期前不标记待清洗"),
}


# The note on the Score header: with the Rules grade method the grade does not come from
# the score, so sorting by Score alone would put some B leads above A leads.
SCORE_NOTE = ("Score 0–100: the BANT points weighed by the weight profile on Settings. With the Rules grade "
              "method (the default) the grade comes from the rules, not from the score, so a B lead can score "
              "higher than an A lead: sort by Grade, then by Score. With the Score method, A and B follow the "
              "score thresholds.\n"
              "评分 0–100：BANT 各项得分按设置表中的权重方案加权。评级方式为“规则”（默认）时，等级由规则决定而不是由评分决定，"
              "B 级线索的评分可能高于 A 级：请先按等级、再按评分排序。评级方式为“评分”时，A、B 级按分数线划分。")


def help_rows() -> list[tuple[str, str, str]]:
    """(style, English, 中文) lines of the Help sheet; style is 'title', 'h' (a heading) or 'p'."""
    rows: list[tuple[str, str, str]] = [
        ("title", "salesbook — how to use this workbook", "salesbook 使用说明"),
        ("p", "Keep one row per lead on the Leads sheet. The Sales Pipeline ribbon tab grades the leads, plans follow-ups, "
              "flags stale leads and builds the funnel report. It writes only the grey-blue output columns of Leads and "
              "its own sheets (Funnel, Cleanse, History, Archive, Check); every other cell is yours and stays as it is.",
         "在线索表（Leads）中每条线索占一行。功能区的“Sales Pipeline · 销售管道”选项卡负责评级、安排跟进、标记待清洗线索并生成漏斗报表。"
         "它只写入线索表中灰蓝色的输出列和它自己的工作表（Funnel、Cleanse、History、Archive、Check），其他单元格均保持不变。"),
        ("h", "Ribbon buttons (tab Sales Pipeline)", "功能区按钮（“Sales Pipeline · 销售管道”选项卡）"),
        *[("p", f"{en} — {what}", f"{en}（{zh}）— {what_zh}") for _, en, zh, what, what_zh in COMMAND_BUTTONS],
        ("p", "Settings and Help (group Workbook) open the Settings sheet and this page.",
         "Settings 和 Help（“工作簿”组）分别打开设置表和本页。"),
        ("p", "Each button ends with a one-line summary, e.g. “Graded 1,204 leads: 210 A · 530 B · 440 C · 24 D”.",
         "每个按钮运行结束都会显示一行摘要，例如“Graded 1,204 leads: 210 A · 530 B · 440 C · 24 D”（评级数量及 A/B/C/D 分布）。"),
        ("h", "How leads are graded (defaults)", "评级规则（默认）"),
        ("p", "D: the need does not match our offer. A: budget confirmed, the decision maker reached and a purchase "
              "within 3 months. B: the need is clear. C: everything else. The first rule that matches wins. Score "
              "(0–100) weighs the BANT points (0–3 each) by the weight profile in Settings; with the Rules grade method the "
              "grade does not come from the score (a B can score higher than an A), so sort by Grade, then Score. "
              "Grade Reason says why and "
              "what is missing for the next grade; update the lead and grade again to see it move up (Grade Change "
              "shows e.g. B→A).",
         "D：需求与我方不匹配。A：预算明确、已对接决策人且3个月内采购。B：需求明确。C：其他情况。按顺序匹配第一条规则。"
         "评分（0–100）按设置表中的权重方案对 BANT 各项得分（每项0–3分）加权；评级方式为“规则”时等级不由评分决定（B 级的评分可能高于 A 级），"
         "请先按等级、再按评分排序。评级依据说明原因以及升级还缺什么；"
         "更新线索后重新评级即可看到升级（等级变化显示如 B→A）。"),
        ("p", "Follow-ups: A every 3 days, B weekly, C monthly, D none; Closed Won customers A 30, B 90, C 180 days. "
              "Counted from Last Contact (else Created) and moved to the next working day; a Scheduled date on or after "
              "today replaces it (grade D and Closed Lost leads get none, Scheduled or not). Follow-up Status: Overdue, "
              "Due today, This week (within 7 days), Later (more than 7 days ahead).",
         "跟进：A 每3天，B 每周，C 每月，D 不跟进；成交客户 A 30天、B 90天、C 180天。从最近联系日期（没有则从创建日期）起算，"
         "顺延到下一个工作日；今天或以后的预约跟进日期优先（D 级和丢单线索不跟进，即使填写了预约跟进）。"
         "跟进状态：已逾期、今日到期、本周内（7天内）、稍后（7天以后）。"),
        ("p", "Stale: a lead is flagged when 3 contacts in a row got no response, the need does not match, there was no "
              "contact for over 60 days, it stayed in its stage longer than the stage's limit, it repeats an earlier "
              "lead's email, phone or company + contact, or its expected close date (Close Date, else a Timeline date) "
              "has passed. Closed leads and snoozed leads (Snooze Until) are never flagged; "
              "a future Scheduled date pauses the no-contact and stuck rules.",
         "待清洗：连续3次联系未回应、需求不匹配、超过60天未联系、在当前阶段停留超过上限、与之前的线索邮箱/电话/公司+联系人重复、"
         "或预计成交日期（成交日期，没有则为日期形式的采购时间）已过时标记。"
         "已成交或丢单的线索以及暂缓中的线索不会被标记；今天以后的预约跟进会暂停“未联系”和“停留过久”两条规则。"),
        ("h", "Changing the rules", "修改规则"),
        ("p", "Every rule above is a default you can change on the Settings sheet: stages (name, probability, days "
              "allowed), BANT values and points, weight profile, grade method (rules or score thresholds), follow-up "
              "cadence, stale thresholds, holidays, and an As of date to run the rules as of another day. Edit the cells "
              "and keep each block's title and header row. To add a stage or a value, insert a row inside its block so "
              "that the drop-down lists on Leads grow with it.",
         "以上规则都是默认值，可在设置表（Settings）中修改：阶段（名称、概率、停留天数上限）、BANT 取值与分值、权重方案、"
         "评级方式（规则或分数线）、跟进频率、清洗阈值、节假日，以及“截至日期”（按指定日期运行规则）。直接修改单元格，"
         "但请保留每个区块的标题行和表头行。新增阶段或取值时，请在区块内部插入行，这样线索表的下拉列表会随之扩展。"),
        ("h", "Columns of Leads", "线索表的列"),
        *[("p", f"{c.en} — {INPUT_NOTES[c.key][0]}", f"{c.zh} — {INPUT_NOTES[c.key][1]}") for c in INPUTS if c.key in INPUT_NOTES],
        ("p", "Output columns (written by the add-in; edits there are replaced on the next run): "
              + ", ".join(c.en for c in OUTPUTS) + ". Your own extra columns are kept as they are. Headers may be in "
              "English or Chinese.",
         "输出列（由插件写入，手工修改会在下次运行时被覆盖）：" + "、".join(c.zh for c in OUTPUTS)
         + "。您自己添加的列保持不变。表头可以用英文或中文。"),
        ("h", "When a button shows an error", "按钮报错时"),
        ("p", "Read the message: it names the sheet, row, column and value. A bad cell (a typo'd stage, text in a date "
              "column…) affects only its own row, whose output cells say what is wrong: run Check Data for the full "
              "list, fix the cells on Leads and run again. If a required column is missing or the file cannot be read, "
              "nothing is written: restore the column header (English or Chinese) or close the file in other programs, "
              "then try again. A Settings error names the Settings cell to fix. A failed run never leaves the workbook "
              "half-written.",
         "请阅读提示：它会指出工作表、行、列和取值。个别错误单元格（阶段拼写错误、日期列中的文字等）只影响所在行，"
         "该行的输出列会说明问题：运行“数据检查”查看完整列表，在线索表中修改后重新运行。若缺少必填列或文件无法读取，"
         "则不会写入任何内容：请恢复列标题（中英文均可）或在其他程序中关闭该文件后重试。设置表错误会指出需要修改的单元格。"
         "运行失败时工作簿保持原样，不会只写一半。"),
    ]
    return rows


def help_lines() -> list[str]:
    """The Help text as one column of lines (English, then 中文, a blank line before each heading),
    for the Help sheet the ribbon makes when the workbook has none; the first line is the title."""
    lines: list[str] = []
    for style, en, zh in help_rows():
        if style == "title":
            lines.append(f"{en} · {zh}")
            continue
        if style == "h":
            lines.append("")
        lines += [en, zh]
    return lines
