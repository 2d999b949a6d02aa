"""The import tests (tests/importing): exports are written by openpyxl and the csv module, books read back
with python-calamine and zipfile + lxml."""
