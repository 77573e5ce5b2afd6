"""Customer value: RFM scores and segments, value tiers, concentration, migration.

Everything here works on a *customer table*: a DataFrame indexed by customer
id with columns such as ``recency_days``, ``frequency`` and
``monetary_total`` (see :class:`crmine.features.TransactionFeatures`).
Columns are always read by name (``recency_col=``, ``frequency_col=``,
``monetary_col=``, ``value_col=``, ``cost_col=``); polars and pyarrow tables
work too, their ``customer_id`` column becoming the customer id.

- :class:`RFMScorer` scores recency, frequency and monetary value and names
  the R x F segment (:data:`DEFAULT_SEGMENT_MAP`, :func:`segment_grid`,
  :func:`segment_summary`, one-liner :func:`score_rfm`).
- :class:`ValueTierClassifier` grades customers into the customer pyramid
  VIP > major > ordinary > small (one-liner :func:`value_tiers`).
- :func:`top_share`, :func:`gini`, :func:`lorenz_curve` and
  :func:`pareto_table` measure how concentrated value is.
- :func:`tier_migration` compares tiers or segments between two periods.
"""

from __future__ import annotations

from crmine.value._concentration import gini, lorenz_curve, pareto_table, top_share
from crmine.value._migration import TierMigration, tier_migration
from crmine.value._rfm import RFMScorer, score_rfm
from crmine.value._segments import DEFAULT_SEGMENT_MAP, segment_grid, segment_summary
from crmine.value._tiers import TIER_ACTIONS, ValueTierClassifier, value_tiers

__all__ = [
    "DEFAULT_SEGMENT_MAP",
    "TIER_ACTIONS",
    "RFMScorer",
    "TierMigration",
    "ValueTierClassifier",
    "gini",
    "lorenz_curve",
    "pareto_table",
    "score_rfm",
    "segment_grid",
    "segment_summary",
    "tier_migration",
    "top_share",
    "value_tiers",
]
