"""Cell addresses: column numbers and letters (1 ↔ 'A', 27 ↔ 'AA').

The same arithmetic as ``openpyxl.utils.cell.get_column_letter``; kept here so that the
run path does not import openpyxl (about 0.1 s) for two tiny functions.
"""

from __future__ import annotations


def col_letter(col: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    if col < 1:
        raise ValueError(f"column {col} is out of range")
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n
