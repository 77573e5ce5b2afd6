"""Data for crmine: a synthetic generator with planted truth, and public-data loaders.

:func:`make_retail` generates a deterministic retail log whose structure is
known exactly (segments, purchase and dropout process, the beer-and-diapers
association, a randomized campaign with heterogeneous uplift), so tests can
check that each analysis finds what was planted.  The loaders read the public
data sets used in the documentation and benchmarks; none of those files ships
with crmine.
"""

from __future__ import annotations

from crmine.datasets._loaders import (
    load_cdnow,
    load_fimi,
    load_groceries,
    load_groceries_hierarchy,
    load_hillstrom,
    load_online_retail,
    load_telco_churn,
)
from crmine.datasets._synthetic import CATALOG, SEGMENTS, RetailData, make_retail

__all__ = [
    "CATALOG",
    "SEGMENTS",
    "RetailData",
    "make_retail",
    "load_cdnow",
    "load_fimi",
    "load_groceries",
    "load_groceries_hierarchy",
    "load_hillstrom",
    "load_online_retail",
    "load_telco_churn",
]
