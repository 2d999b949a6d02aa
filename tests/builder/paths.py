"""Where the build tests find the builder's sources, the committed workbook and Microsoft's ribbon schemas."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MACROS = REPO / "salesbook" / "builder" / "macros"
WORKBOOK = REPO / "workbook" / "SalesPipeline.xlsm"  # the committed build
# Microsoft's ribbon schemas, vendored (see schemas/README.md)
SCHEMAS = Path(__file__).resolve().parent / "schemas"
