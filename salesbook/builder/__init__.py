"""Build SalesPipeline.xlsm: the sheets, the VBA project and the ribbon.

Build-only code: `salesbook build-workbook` and `salesbook demo` import it; run, check,
archive and ``import salesbook`` never do.

- macros/:     the sources, package data: VBA modules (*.bas, *.cls, with the vendored
  xlwings.bas and Dictionary.cls) and the ribbon XML (customUI.xml, customUI14.xml)
- sources:     finds macros/ through importlib.resources (works from an installed wheel)
- layout:      the sheets and their VBA codeNames (one list for the xlsx and the VBA)
- vba:         vbaProject.bin from macros/*.bas, *.cls (MS-OVBA), via
  compression (MS-OVBA LZ77) and cfb (MS-CFB compound file writer)
- ribbon:      the customUI parts, their relationships, `ensure_ribbon` repair
- ooxml:       reproducible zip packages and small XML helpers
- package:     `build_workbook`, `assemble_xlsm`
- template, sample: the sheets and the sample leads
- shipped:     the shipped workbook (`build_shipped_workbook`), called by `salesbook build-workbook`
"""
