"""One catalog of every word the add-in shows a user, in English and Chinese.

- ``names``: the sheet, table and log-column names (the Leads columns are in ``salesbook.rules.schema``);
- ``words``: the rules' texts, the report sheets' labels, the run summary, the ribbon's status
  words and the Settings sheet's labels, each keyed by meaning as (English, 中文);
- ``help``: the Help text, for the workbook, the ribbon and the user guide.

Every other module imports its words from here; none writes them itself.
"""
