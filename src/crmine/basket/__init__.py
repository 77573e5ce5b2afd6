"""Market-basket analysis: frequent itemsets, association rules, cross-sell.

The level-wise Apriori search (:class:`Apriori`, :func:`apriori`) works on a
sparse basket matrix built by :func:`as_baskets` from a transaction log, a
list of baskets, a one-hot DataFrame or a scipy sparse matrix; thresholds are
exact integer counts; itemsets are held as integer codes in an
:class:`ItemsetArray` column whose elements read as frozensets.
:func:`association_rules` derives rules with a full set
of interest measures and Fisher exact tests; :func:`aggregate_items` lifts
baskets to a category level; :class:`BasketRecommender` turns rules into
cross-sell recommendations.
"""

from __future__ import annotations

from crmine.basket._hierarchy import aggregate_items, drop_hierarchy_rules
from crmine.basket._input import Baskets, as_baskets
from crmine.basket._itemset_array import ItemsetArray, ItemsetDtype
from crmine.basket._itemsets import (
    Apriori,
    ItemsetLimitError,
    apriori,
    exact_fraction,
    itemset_bound,
    min_count_for,
)
from crmine.basket._recommend import BasketRecommender, hit_rate_at_k, recommend_products
from crmine.basket._rules import (
    RULE_METRICS,
    association_rules,
    closed_itemsets,
    fisher_pvalues,
    maximal_itemsets,
    p_adjust,
)

__all__ = [
    "RULE_METRICS",
    "Apriori",
    "BasketRecommender",
    "Baskets",
    "ItemsetArray",
    "ItemsetDtype",
    "ItemsetLimitError",
    "aggregate_items",
    "apriori",
    "as_baskets",
    "association_rules",
    "closed_itemsets",
    "drop_hierarchy_rules",
    "exact_fraction",
    "fisher_pvalues",
    "hit_rate_at_k",
    "itemset_bound",
    "maximal_itemsets",
    "min_count_for",
    "p_adjust",
    "recommend_products",
]
