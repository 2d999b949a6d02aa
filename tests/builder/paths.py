"""Where the build tests find the repository's sources and Microsoft's ribbon schemas."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MACROS = REPO / "macros"
# CI checks out shared/ beside the repository clone
SCHEMAS = REPO / ".." / "shared" / "schemas"
