"""Sequences: what customers buy next.

Each customer's orders, sorted by time, form a sequence of baskets.
:class:`SequenceMiner` (one-liners :func:`sequential_patterns` and
:func:`sequence_rules`) finds frequent sequential patterns and rules "A then B
within k orders or d days"; :class:`NextPurchaseRecommender` recommends the
items of a customer's next order from those rules, and
:func:`next_purchase_evaluation` measures its hit rate out of time beside the
association-rule recommender and simple baselines.
"""

from __future__ import annotations

from crmine.sequences._patterns import SequenceMiner, sequence_rules, sequential_patterns
from crmine.sequences._recommend import NextPurchaseRecommender, next_purchase_evaluation

__all__ = [
    "NextPurchaseRecommender",
    "next_purchase_evaluation",
    "SequenceMiner",
    "sequence_rules",
    "sequential_patterns",
]
