"""Marketer-grade evaluation of scores: gains, lift, KS, profit and a churn report.

Shared by churn models (:mod:`crmine.churn`) and campaign response models
(:mod:`crmine.campaign`).  Every function takes a binary outcome ``y_true``
(1 = the event of interest: the customer churned, responded, ...) and a score
``y_score`` where *higher means more likely to be positive* (a probability, a
decision function or any ranking score), in that order.  Money is
``cost_per_contact`` and ``value_per_response``; :func:`best_contact_depth`
is crmine's one profit optimiser.

Ordering convention
-------------------
All rank-based tables and curves (:func:`gains_table`,
:func:`cumulative_gains_curve`, :func:`lift_curve`, :func:`profit_curve`)
sort the customers by **descending score, ties broken stably by input
order** (the customer that comes first in ``y_true``/``y_score`` is contacted
first).  This makes every result deterministic; when many scores tie, the
rows that split a tie group depend on the input order, so shuffle or add a
tie-breaking score if that matters.  Threshold-based metrics (ROC AUC,
average precision, KS) come from scikit-learn and treat tied scores as one
threshold.

Bins of :func:`gains_table` have (nearly) equal sizes by rank: the
``n`` sorted customers are split with :func:`numpy.array_split`, so the
first ``n % n_bins`` bins hold one customer more than the others.  Bin 1 holds
the highest scores.
"""

from __future__ import annotations

from crmine.evaluation._profit import ContactDepth, best_contact_depth, profit_curve
from crmine.evaluation._ranking import (
    churn_report,
    cumulative_gains_curve,
    gains_table,
    ks_statistic,
    lift_curve,
    top_decile_lift,
)

__all__ = [
    "ContactDepth",
    "best_contact_depth",
    "churn_report",
    "cumulative_gains_curve",
    "gains_table",
    "ks_statistic",
    "lift_curve",
    "profit_curve",
    "top_decile_lift",
]
