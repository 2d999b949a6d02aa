"""What four CRMs' default exports look like, as data: which header feeds each salesbook
column, and which of their default pipeline stages (and statuses) means which salesbook stage.

A preset fills in what the Settings sheet's Import columns / Import values blocks leave out
(``mapping.Mapping``); ``preset_blocks`` writes a preset out as those blocks, for an admin to
edit. Stage targets are the default Stages of rules/settings.py; a team that renamed its stages
maps the CRM's stages in Import values. The tables are documented in docs/user-guide.md
("From your CRM").
"""

from __future__ import annotations

from dataclasses import dataclass

from salesbook.errors import Refusal
from salesbook.rules.settings import ImportColumn, ImportValue


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    columns: tuple[tuple[str, tuple[str, ...]], ...]  # key -> export headers, first found wins
    values: tuple[tuple[str, str, str], ...]  # (key, export value, salesbook value)


_WON_LOST = (("stage", "Closed Won", "Closed Won"), ("stage", "Closed Lost", "Closed Lost"))

HUBSPOT = Preset(
    "hubspot", "HubSpot (All deals export)",
    columns=(
        ("lead_id", ("Record ID", "Deal ID")),
        ("company", ("Associated Company", "Associated Company (Primary)", "Company name", "Deal Name")),
        ("contact", ("Associated Contact", "Associated Contact (Primary)")),
        ("owner", ("Deal owner",)),
        ("source", ("Original Source Type", "Original Traffic Source", "Original Source")),
        ("stage", ("Deal Stage",)),
        ("deal_value", ("Amount",)),
        ("created", ("Create Date",)),
        ("last_contact", ("Last Activity Date", "Last Contacted")),
        ("close_date", ("Close Date",)),
        ("scheduled", ("Next Activity Date",)),
    ),
    values=(
        ("stage", "appointmentscheduled", "Initial Contact"), ("stage", "Appointment Scheduled", "Initial Contact"),
        ("stage", "qualifiedtobuy", "Needs Assessment"), ("stage", "Qualified To Buy", "Needs Assessment"),
        ("stage", "presentationscheduled", "Proposal"), ("stage", "Presentation Scheduled", "Proposal"),
        ("stage", "decisionmakerboughtin", "Negotiation"), ("stage", "Decision Maker Bought-In", "Negotiation"),
        ("stage", "contractsent", "Negotiation"), ("stage", "Contract Sent", "Negotiation"),
        ("stage", "closedwon", "Closed Won"), ("stage", "closedlost", "Closed Lost"), *_WON_LOST,
    ),
)

SALESFORCE = Preset(
    "salesforce", "Salesforce (Opportunities report)",
    columns=(
        ("lead_id", ("Opportunity ID", "Opportunity 18 Digit ID", "Opportunity Name")),
        ("company", ("Account Name",)),
        ("contact", ("Primary Contact", "Contact Name")),
        ("owner", ("Opportunity Owner",)),
        ("source", ("Lead Source",)),
        ("stage", ("Stage",)),
        ("deal_value", ("Amount",)),
        ("created", ("Created Date",)),
        ("last_contact", ("Last Activity",)),
        ("close_date", ("Close Date",)),
        ("stage_changed", ("Last Stage Change Date",)),
    ),
    values=(
        ("stage", "Prospecting", "Prospecting"), ("stage", "Qualification", "Qualification"),
        ("stage", "Needs Analysis", "Needs Assessment"), ("stage", "Value Proposition", "Needs Assessment"),
        ("stage", "Id. Decision Makers", "Needs Assessment"), ("stage", "Perception Analysis", "Proposal"),
        ("stage", "Proposal/Price Quote", "Proposal"), ("stage", "Negotiation/Review", "Negotiation"),
        *_WON_LOST,
    ),
)

PIPEDRIVE = Preset(
    "pipedrive", "Pipedrive (Deals export)",
    columns=(
        ("lead_id", ("Deal - ID",)),
        ("company", ("Deal - Organization", "Organization - Name", "Deal - Title")),
        ("contact", ("Deal - Contact person", "Person - Name")),
        ("email", ("Person - Email",)),
        ("phone", ("Person - Phone",)),
        ("owner", ("Deal - Owner",)),
        ("source", ("Deal - Source origin", "Deal - Source channel")),
        ("stage", ("Deal - Stage",)),
        ("status", ("Deal - Status",)),
        ("deal_value", ("Deal - Value",)),
        ("created", ("Deal - Deal created", "Deal - Add time")),
        ("last_contact", ("Deal - Last activity date",)),
        ("close_date", ("Deal - Expected close date",)),
        ("scheduled", ("Deal - Next activity date",)),
        ("stage_changed", ("Deal - Last stage change",)),
    ),
    values=(
        ("stage", "Lead In", "Prospecting"), ("stage", "Qualified", "Qualification"),
        ("stage", "Contact Made", "Initial Contact"), ("stage", "Demo Scheduled", "Needs Assessment"),
        ("stage", "Needs Defined", "Needs Assessment"), ("stage", "Proposal Made", "Proposal"),
        ("stage", "Negotiations Started", "Negotiation"),
        ("status", "open", "Open"), ("status", "won", "Closed Won"), ("status", "lost", "Closed Lost"),
    ),
)

ZOHO = Preset(
    "zoho", "Zoho CRM (Leads or Deals export)",
    columns=(
        ("lead_id", ("Record Id", "Lead Id", "Deal Id")),
        ("company", ("Company", "Account Name")),
        ("contact", ("Full Name", "First Name + Last Name", "Last Name", "Contact Name")),
        ("email", ("Email",)),
        ("phone", ("Phone",)),
        ("mobile", ("Mobile",)),
        ("owner", ("Lead Owner", "Deal Owner")),
        ("source", ("Lead Source",)),
        ("stage", ("Lead Status", "Stage")),
        ("deal_value", ("Amount",)),
        ("created", ("Created Time",)),
        ("last_contact", ("Last Activity Time",)),
        ("close_date", ("Closing Date",)),
    ),
    values=(
        ("stage", "Not Contacted", "Prospecting"), ("stage", "Attempted to Contact", "Prospecting"),
        ("stage", "Contact in Future", "Prospecting"), ("stage", "Contacted", "Initial Contact"),
        ("stage", "Pre-Qualified", "Qualification"), ("stage", "Not Qualified", "Closed Lost"),
        ("stage", "Lost Lead", "Closed Lost"), ("stage", "Junk Lead", "Closed Lost"),
        ("stage", "Needs Analysis", "Needs Assessment"), ("stage", "Value Proposition", "Needs Assessment"),
        ("stage", "Id. Decision Makers", "Needs Assessment"), ("stage", "Perception Analysis", "Proposal"),
        ("stage", "Proposal/Price Quote", "Proposal"), ("stage", "Negotiation/Review", "Negotiation"),
        ("stage", "Closed Lost to Competition", "Closed Lost"), *_WON_LOST,
    ),
)

PRESETS: dict[str, Preset] = {p.name: p for p in (HUBSPOT, SALESFORCE, PIPEDRIVE, ZOHO)}


def preset(name: str | None) -> Preset | None:
    """The preset called ``name`` (any case); None for None; Refusal for an unknown name."""
    if name is None:
        return None
    found = PRESETS.get(str(name).strip().casefold())
    if found is None:
        raise Refusal(f"Unknown preset '{name}': the presets are {', '.join(PRESETS)}. Give one of them "
                      f"(--preset hubspot), or none and map the export in the Settings sheet's Import columns block.",
                      value=name)
    return found


def preset_blocks(name: str) -> tuple[tuple[ImportColumn, ...], tuple[ImportValue, ...]]:
    """A preset as the Import columns and Import values lines of a Settings model
    (``dataclasses.replace(settings, import_columns=…, import_values=…)``), for
    ``--write-settings``: every alternative header in order, every value mapping."""
    p = preset(name)
    columns = tuple(ImportColumn(key, header) for key, headers in p.columns for header in headers)
    values = tuple(ImportValue(key, value, to) for key, value, to in p.values)
    return columns, values


__all__ = ["Preset", "PRESETS", "preset", "preset_blocks"]
