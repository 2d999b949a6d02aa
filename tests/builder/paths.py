"""Where the build tests find the repository's sources and Microsoft's ribbon schemas."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MACROS = REPO / "macros"
# Microsoft's ribbon schemas, vendored (see schemas/README.md)
SCHEMAS = Path(__file__).resolve().parent / "schemas"
