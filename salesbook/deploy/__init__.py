"""Putting salesbook on a rep's machine: a clean workbook, the machine's Excel set-up, its checks, upgrades.

- excel_new:  `salesbook excel new` — a ready workbook (empty Leads table, or the sample data)
- machine:    `salesbook excel setup` — the xlwings user config (interpreter, ADD_WORKBOOK_TO_PYTHONPATH),
  the macOS RunPython script
- doctor:     `salesbook excel setup --check` / `salesbook doctor` — each detectable failure, with its fix
- upgrade:    `salesbook excel upgrade` — this version's VBA project, ribbon and Help into an older workbook,
  every other part kept byte for byte
- vbaproject: reading the module texts of a workbook's VBA project (the xlwings version, the salesbook marker)

Like the builder, none of this is imported by run, check or archive.
"""
