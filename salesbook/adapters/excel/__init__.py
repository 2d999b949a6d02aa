"""The live-Excel adapter (xlwings)."""
