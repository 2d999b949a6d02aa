"""Build SalesPipeline.xlsm: the sheets, the VBA project and the ribbon.

- layout:      the sheets and their VBA codeNames (one list for the xlsx and the VBA)
- vba:         vbaProject.bin from macros/*.bas, *.cls (MS-OVBA), via
  compression (MS-OVBA LZ77) and cfb (MS-CFB compound file writer)
- ribbon:      the customUI parts, their relationships, `ensure_ribbon` repair
- ooxml:       reproducible zip packages and small XML helpers
- package:     `build_workbook`, `assemble_xlsm`
- cli:         the `build-workbook` click command
"""
