"""Where an export's header row is: the first row, or below a report's title and filter rows
(Salesforce's formatted reports: 'Opportunities Report', 'Filtered By: …', a blank row), and
where its data ends (a report's footer: 'Grand Totals', 'Confidential Information …')."""

from __future__ import annotations

from salesbook.rules.schema import norm

SCAN_ROWS = 30  # a header further down than this is not looked for
MIN_KNOWN = 2  # known headers a row needs to be taken for the header row


def _filled(row: list[object]) -> list[int]:
    return [i for i, v in enumerate(row) if v is not None and str(v).strip() != ""]


def find_header(rows: list[list[object]], known: set[str]) -> int | None:
    """The index of the header row among the first SCAN_ROWS ``rows``: the row with the most
    cells whose folded text (``schema.norm``) is in ``known``, at least MIN_KNOWN, the first on
    ties. None when no row has that many."""
    best, best_score = None, MIN_KNOWN - 1
    for i, row in enumerate(rows[:SCAN_ROWS]):
        score = len({norm(row[j]) for j in _filled(row)} & known)
        if score > best_score:
            best, best_score = i, score
    return best


def span(row: list[object]) -> tuple[int, int]:
    """First and last filled column (0-based) of a header row."""
    filled = _filled(row)
    return filled[0], filled[-1]


_TOTALS = ("total", "grandtotal", "sum", "合计", "总计", "小计")


def footer_start(filled_counts: list[int], has_id: list[bool], first_texts: list[str]) -> int:
    """Where a report's footer starts among the data rows: after the last row with an ID, the
    rows holding at most one cell ('Copyright …', 'Confidential Information …') or starting
    with a total ('Grand Totals (180 records)' and its sums) are not leads."""
    end = len(filled_counts)
    last_id = max((i for i, h in enumerate(has_id) if h), default=-1)
    cut = end
    for i in range(end - 1, last_id, -1):
        if filled_counts[i] <= 1 or norm(first_texts[i]).startswith(_TOTALS):
            cut = i
        else:
            break
    return cut


__all__ = ["find_header", "span", "footer_start", "SCAN_ROWS", "MIN_KNOWN"]
