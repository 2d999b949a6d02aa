"""salesbook: BANT lead grading, follow-ups, stale-lead cleansing and funnel reports
behind an Excel workbook.

The Python API mirrors the ribbon buttons::

    import pandas as pd, salesbook
    leads = pd.read_excel("Pipeline.xlsx", sheet_name="Leads", dtype=str, keep_default_na=False,
                          engine="calamine")
    salesbook.grade(leads)            # DataFrame: grade, score, grade_reason, grade_change
    salesbook.followup(leads)         # DataFrame: next_followup, followup_status
    salesbook.stale(leads)            # DataFrame: stale, stale_reason
    salesbook.check(leads)            # DataFrame, a row per bad cell: row, key, value, message, suggestion
    salesbook.funnel(leads).kpis      # FunnelReport; .kpis: win rate, velocity, bottleneck ...
    salesbook.run("Pipeline.xlsx")    # service.Result (summary, exit_code, problems); the file is updated
    salesbook.run("Pipeline.xlsx", period="2026-Q4")  # the Funnel of the leads created in Q4 2026
    salesbook.funnel(leads, period="last-30-days")     # the funnel figures of the leads created lately

Frames use the workbook's headers (English or Chinese); pass a ``Settings`` to change
the rules (``salesbook.settings_from_grid`` reads a Settings sheet's cells).
"""

from salesbook.engine import check_frame as check
from salesbook.engine import evaluate
from salesbook.engine import followup_frame as followup
from salesbook.engine import funnel_report as funnel
from salesbook.engine import grade_frame as grade
from salesbook.engine import stale_frame as stale
from salesbook.rules.settings import Settings
from salesbook.rules.settings_sheet import settings_from_grid


def run(path, **options):
    """Run all rules (or ``only=...``) on a workbook file; ``period="2026-Q4"`` (a month,
    quarter, year or ``last-30-days``) limits the Funnel to the leads created in it; see
    ``salesbook.service.run``."""
    from salesbook.service import run as _run

    return _run(path, **options)


__version__ = "0.1.0"
__all__ = ["grade", "followup", "stale", "funnel", "check", "evaluate", "run", "Settings", "settings_from_grid"]
