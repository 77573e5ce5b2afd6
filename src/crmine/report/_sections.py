"""The sections of ``crmine report``: one function per analysis, in page order.

Each function takes the shared :class:`ReportContext` and a
:class:`~crmine.report._html.Section` to fill with text, tables and figures
(figures are drawn only through :mod:`crmine.plotting`).  A section whose
preconditions do not hold raises :class:`SectionSkipped` with the reason shown
in the page; crmine's own precondition errors
(:class:`~crmine.exceptions.SchemaError`) become "skipped" too.  Any other
exception is a bug and propagates.
"""

from __future__ import annotations

from typing import Any

from crmine.report._context import ReportContext, SectionSkipped
from crmine.report._sections_basket import baskets
from crmine.report._sections_dynamics import cohorts, multi_arm, outliers, sequences
from crmine.report._sections_models import campaign, churn, lifetime
from crmine.report._sections_overview import data_quality, overview
from crmine.report._sections_value import pyramid, rfm, segments

__all__ = ["ReportContext", "SectionSkipped", "SECTIONS"]

#: (key, title, function), in page order.
SECTIONS: tuple[tuple[str, str, Any], ...] = (
    ("data-quality", "Data quality", data_quality),
    ("overview", "Customer overview and concentration", overview),
    ("cohorts", "Cohorts and retention", cohorts),
    ("rfm", "RFM segments", rfm),
    ("pyramid", "Value pyramid", pyramid),
    ("outliers", "Outlier customers", outliers),
    ("segments", "Customer segments (k-means)", segments),
    ("basket", "Association rules and cross-sell", baskets),
    ("sequences", "What customers buy next", sequences),
    ("churn", "Churn risk", churn),
    ("lifetime", "Lifetime value", lifetime),
    ("campaign", "Campaign response", campaign),
    ("multi-arm", "Several treatment arms", multi_arm),
)
