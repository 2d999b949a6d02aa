"""One catalog of every word the add-in shows a user, in English and Chinese.

- ``names``: the sheet, table and log-column names (the Leads columns stay in ``salesbook.rules.schema``);
- ``words``: keyed by meaning as (English, 中文): the rules' texts on Leads, the report sheets' labels
  and placeholders, the run summary, the ribbon's status words, the Settings sheet's labels, headers
  and notes, and the template's data-validation messages;
- ``help``: the Help text (the ribbon buttons, the Leads column notes, the Score note), one source
  for the workbook's Help sheet, the ribbon's fallback Help sheet and docs/user-guide.md.

Every other module imports its words from here; none writes them itself.
"""
