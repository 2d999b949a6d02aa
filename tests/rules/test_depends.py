"""The table of which outputs depend on which input columns (rules/depends.py), and that the
rules blank exactly the outputs it names when a cell is bad."""

from __future__ import annotations

import pytest

from salesbook.rules.depends import COVERED, DEPENDS
from salesbook.rules.schema import INPUTS, OUTPUT_KEYS

from .conftest import one

INPUT_KEYS = {c.key for c in INPUTS}
# A cell that cannot be read, per input column (English headers as the tests' frames use).
BAD = {"budget": ("Budget", "Loads"), "need": ("Need", "Maybe?"), "created": ("Created", "not a date"),
       "scheduled": ("Scheduled", "someday"), "deal_value": ("Deal Value", "lots")}
# The output column each rule blanks (or turns into "Check: …") on a bad input.
SAYS = {"grade": "grade", "next_followup": "followup_status", "stale": "stale_reason"}


def test_every_output_has_its_inputs_and_only_known_ones():
    assert set(DEPENDS) == set(OUTPUT_KEYS)
    assert all(keys and set(keys) <= INPUT_KEYS for keys in DEPENDS.values())
    assert COVERED == {k for keys in DEPENDS.values() for k in keys}


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_bad_cell_blanks_only_the_outputs_that_depend_on_it(key):
    header, value = BAD[key]
    row = one({header: value, "Last Contact": "2026-11-18"})
    for output, shown in SAYS.items():
        depends = key in DEPENDS[output]
        if output == "grade":
            assert (row["grade"] is None) == depends, (key, row)
            assert row["grade_reason"].startswith("Check:") == depends, (key, row)
        else:
            assert (row[shown] or "").startswith("Check:") == depends, (key, output, row)
    if key not in COVERED:  # named after the Grade Reason, the grade standing
        assert row["grade"] is not None and "Check:" in row["grade_reason"]
