"""The Workbook port's adapters: files/ (the zip package, reader and writer), excel/ (live Excel through xlwings)."""
