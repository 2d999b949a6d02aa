"""The 'closest header' hint: known aliases first (Opportunity Owner → Owner), one header for one
column only, no proposal on a faint likeness ('Owner' → 'Fiscal Period')."""

from __future__ import annotations

import pytest

from salesbook.adapters.locate import _crm_headers
from salesbook.errors import Refusal
from salesbook.rules.schema import closest_headers
from tests.exports.conftest import write_openpyxl

SF = ["Opportunity Owner", "Account Name", "Opportunity Name", "Fiscal Period", "Last Name", "Stage Duration",
      "Deal Stage", "Created Date"]


def test_aliases_first_and_each_header_once():
    hints = closest_headers(["owner", "stage", "lead_id"], SF, known=_crm_headers())
    assert hints["owner"] == "Opportunity Owner"
    assert hints["lead_id"] == "Opportunity Name"  # a CRM's ID column for Salesforce reports
    assert hints["stage"] in ("Deal Stage", "Stage Duration")
    assert len(set(hints.values())) == len(hints)


def test_no_faint_guesses():
    assert closest_headers(["owner", "stage"], ["Fiscal Period", "Last Name"]) == {}


def test_one_header_is_never_proposed_for_two_columns():
    hints = closest_headers(["created", "close_date"], ["Close Date Created"])
    assert len(hints) == 1


def test_run_refusal_uses_the_hints(tmp_path):
    from salesbook import service

    path = write_openpyxl(tmp_path / "report.xlsx", [SF, ["Ann", "Acme", "Acme-1", "Q4", "Doe", "3", "Proposal",
                                                            "2026-10-01"]], sheet="Leads")
    with pytest.raises(Refusal) as info:
        service.run(path, output=tmp_path / "out.xlsx")
    m = info.value.message
    assert "'Owner' (负责人) (closest header: 'Opportunity Owner')" in m
    assert "Fiscal Period" not in m.split("Headers seen")[0]
