"""Which outputs depend on which input columns.

A bad cell only blanks the outputs that depend on it: the row's Grade, Follow-up or Stale
then says "Check: …" naming the cell instead of guessing, and the other outputs stand. A bad
cell no output depends on (Deal Value, Lead ID, Owner …) is named after the Grade Reason.
"""

from __future__ import annotations

_GRADE = ("budget", "authority", "need", "timeline")
_FOLLOWUP = ("budget", "authority", "need", "timeline", "stage", "created", "last_contact", "scheduled")
_STALE = ("stage", "need", "unanswered", "created", "last_contact", "stage_since", "scheduled", "snooze_until")

# Output column → the input columns it reads (keys as in rules/schema.py).
DEPENDS: dict[str, tuple[str, ...]] = {
    "grade": _GRADE, "score": _GRADE, "grade_reason": _GRADE, "grade_change": _GRADE,
    "next_followup": _FOLLOWUP, "followup_status": _FOLLOWUP,
    "stale": _STALE, "stale_reason": _STALE,
}
# Stale rule 6 also reads the expected close date (the Close Date, else a Timeline date;
# period.expected_close), but only with the Close date check on.
CLOSE_DEPENDS = ("close_date", "timeline")
# The input columns some output depends on.
COVERED = frozenset(k for keys in DEPENDS.values() for k in keys)
