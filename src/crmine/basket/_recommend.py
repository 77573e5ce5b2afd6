"""Cross-sell recommendations from association rules, and their hit rate."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from crmine.basket._input import as_baskets
from crmine.basket._itemsets import Apriori
from crmine.basket._rules import RULE_METRICS, _meets, association_rules

__all__ = ["BasketRecommender", "hit_rate_at_k"]

_REC_COLUMNS = ["item", "score", "confidence", "lift", "count", "antecedents", "source"]


class BasketRecommender(BaseEstimator):
    """Recommend the next items for a partial basket from association rules.

    ``fit`` mines frequent itemsets (Apriori) and single-consequent rules
    ``A -> {item}``.  For a partial basket ``B``, every rule whose antecedent
    is inside ``B`` and whose consequent is not in ``B`` votes for its item;
    an item's score is the best ``metric`` among its rules, and the rule
    behind that best score is reported (ties broken by confidence, lift,
    count, then item order).  Items no rule reaches can be filled in by
    popularity (``fallback="popular"``).

    Parameters
    ----------
    min_support : float, default=0.01
        Minimum itemset support (fraction of baskets).
    min_count : int, optional
        Minimum itemset count; overrides ``min_support``.
    max_len : int, default=3
        Longest itemset mined, so antecedents have at most ``max_len - 1`` items.
    metric : str, default="confidence"
        Measure that scores the recommendations (one of ``RULE_METRICS``).
    min_confidence : float, default=0.1
        Rules below this confidence are not used (exact comparison).
    min_lift : float, default=1.0
        Rules below this lift are not used (a lift below 1 is a negative
        association).
    fallback : {"popular", "none"}, default="popular"
        Fill the list with the most frequent items not in the basket.
    order_col, item_col : str, optional
        Columns of a long transaction log.

    Attributes
    ----------
    rules_ : pandas.DataFrame
        The single-consequent rules used.
    item_counts_ : pandas.Series
        Basket count per item (popularity, for the fallback).
    n_baskets_ : int
        Number of training baskets.

    Examples
    --------
    >>> baskets = [["beer", "diapers"], ["beer", "diapers", "chips"], ["chips"],
    ...            ["milk"], ["milk", "chips"], ["diapers", "beer"]]
    >>> rec = BasketRecommender(min_support=0.3, min_confidence=0.5).fit(baskets)
    >>> rec.recommend(["diapers"], k=2)[["item", "score", "source"]]
          item  score   source
    0     beer    1.0     rule
    1    chips    NaN  popular
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "min_support": [Interval(Real, 0, 1, closed="right"), None],
        "min_count": [Interval(Integral, 1, None, closed="left"), None],
        "max_len": [Interval(Integral, 2, None, closed="left")],
        "metric": [StrOptions(set(RULE_METRICS))],
        "min_confidence": [Interval(Real, 0, 1, closed="both")],
        "min_lift": [Interval(Real, 0, None, closed="left")],
        "fallback": [StrOptions({"popular", "none"})],
        "order_col": [str, None],
        "item_col": [str, None],
    }

    def __init__(
        self,
        *,
        min_support: float | None = 0.01,
        min_count: int | None = None,
        max_len: int = 3,
        metric: str = "confidence",
        min_confidence: float = 0.1,
        min_lift: float = 1.0,
        fallback: str = "popular",
        order_col: str | None = None,
        item_col: str | None = None,
    ) -> None:
        self.min_support = min_support
        self.min_count = min_count
        self.max_len = max_len
        self.metric = metric
        self.min_confidence = min_confidence
        self.min_lift = min_lift
        self.fallback = fallback
        self.order_col = order_col
        self.item_col = item_col

    def fit(self, X: Any, y: Any = None, *, items: Any = None) -> BasketRecommender:
        """Mine the rules of the training baskets.

        Parameters
        ----------
        X : DataFrame, list of baskets, scipy sparse matrix or Baskets
            Training baskets (see :func:`crmine.basket.as_baskets`).
        y : None
            Ignored.
        items : sequence, optional
            Column labels of a scipy sparse matrix.

        Returns
        -------
        self : BasketRecommender
        """
        self._validate_params()
        miner = Apriori(
            min_support=self.min_support,
            min_count=self.min_count,
            max_len=self.max_len,
            order_col=self.order_col,
            item_col=self.item_col,
        ).fit(X, items=items)
        rules = association_rules(
            miner.frequent_itemsets_,
            "confidence",
            self.min_confidence,
            consequents="single",
        )
        if len(rules):
            ok = _meets(
                "lift",
                miner.n_baskets_,
                rules["antecedent_count"].to_numpy(),
                rules["consequent_count"].to_numpy(),
                rules["count"].to_numpy(),
                self.min_lift,
            )
            rules = rules[ok].reset_index(drop=True)
        self.rules_ = rules
        self.n_baskets_ = miner.n_baskets_
        self.item_counts_ = miner.item_counts_.sort_values(ascending=False, kind="stable")
        by_antecedent: dict[frozenset, list[tuple]] = {}
        scores = rules[self.metric].to_numpy(dtype=float)
        for i, (a, c) in enumerate(zip(rules["antecedents"], rules["consequents"])):
            (item,) = c
            by_antecedent.setdefault(a, []).append(
                (
                    item,
                    scores[i],
                    float(rules["confidence"].iat[i]),
                    float(rules["lift"].iat[i]),
                    int(rules["count"].iat[i]),
                )
            )
        self._by_antecedent = by_antecedent
        self._max_antecedent = max((len(a) for a in by_antecedent), default=0)
        return self

    def recommend(self, basket: Iterable[Any], k: int = 5) -> pd.DataFrame:
        """Top-``k`` items to add to a partial basket, with the rule behind each.

        Parameters
        ----------
        basket : iterable
            Items already in the basket.
        k : int, default=5
            Number of recommendations.

        Returns
        -------
        pandas.DataFrame
            Columns ``item``, ``score`` (the ``metric`` of the best rule),
            ``confidence``, ``lift``, ``count``, ``antecedents`` (the rule's
            antecedent) and ``source`` (``"rule"`` or ``"popular"``).
        """
        check_is_fitted(self, "rules_")
        if isinstance(basket, (str, bytes)):
            basket = [basket]
        have = set(basket)
        best: dict[Any, tuple] = {}
        known = [x for x in have if x in self.item_counts_.index]
        for size in range(1, min(self._max_antecedent, len(known)) + 1):
            for combo in combinations(known, size):
                ante = frozenset(combo)
                for item, score, conf, lift, count in self._by_antecedent.get(ante, ()):
                    if item in have:
                        continue
                    cand = (score, conf, lift, count, ante)
                    if item not in best or cand[:4] > best[item][:4]:
                        best[item] = cand
        rank = {x: i for i, x in enumerate(self.item_counts_.index)}
        ordered = sorted(
            best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], -kv[1][2], -kv[1][3], rank[kv[0]])
        )[:k]
        rows = [(item, s, c, li, n, a, "rule") for item, (s, c, li, n, a) in ordered]
        if self.fallback == "popular" and len(rows) < k:
            chosen = {r[0] for r in rows} | have
            for item in self.item_counts_.index:
                if len(rows) >= k:
                    break
                if item not in chosen:
                    rows.append((item, np.nan, np.nan, np.nan, np.nan, frozenset(), "popular"))
        out = pd.DataFrame(rows, columns=_REC_COLUMNS)
        out["count"] = out["count"].astype("float64")
        return out

    def hit_rate(self, baskets: Any, k: int = 5, *, random_state: Any = 0) -> float:
        """Leave-one-out hit rate at ``k`` on held-out baskets.

        See :func:`hit_rate_at_k`.

        Parameters
        ----------
        baskets : list of baskets, DataFrame, sparse matrix or Baskets
            Held-out baskets.
        k : int, default=5
            List length.
        random_state : int, Generator or None, default=0
            Chooses the hidden item of each basket.

        Returns
        -------
        float
        """
        return hit_rate_at_k(self, baskets, k=k, random_state=random_state)


def hit_rate_at_k(
    recommender: BasketRecommender, baskets: Any, *, k: int = 5, random_state: Any = 0
) -> float:
    """Share of held-out baskets whose hidden item is among the top-``k`` recommendations.

    In every held-out basket with at least two distinct items one item is
    hidden at random; the recommender sees the others.  Baskets with fewer
    than two items cannot be evaluated and are not counted.

    Parameters
    ----------
    recommender : BasketRecommender
        A fitted recommender.
    baskets : list of baskets, DataFrame, sparse matrix or Baskets
        Held-out baskets (see :func:`crmine.basket.as_baskets`).
    k : int, default=5
        List length.
    random_state : int, Generator or None, default=0
        Chooses the hidden items.

    Returns
    -------
    float
        Hit rate in [0, 1] (NaN if no basket has two items).

    Examples
    --------
    >>> train = [["beer", "diapers"]] * 5 + [["milk", "bread"]] * 5
    >>> rec = BasketRecommender(min_support=0.2, fallback="none").fit(train)
    >>> hit_rate_at_k(rec, [["beer", "diapers"], ["milk", "bread"]], k=1)
    1.0
    """
    rng = np.random.default_rng(random_state)
    held = as_baskets(baskets)
    labels = np.asarray(held.items, dtype=object)
    m = held.matrix.tocsr()
    hits = tried = 0
    for i in range(m.shape[0]):
        row = labels[m.indices[m.indptr[i] : m.indptr[i + 1]]]
        if len(row) < 2:
            continue
        hidden = rng.integers(len(row))
        rest = [x for j, x in enumerate(row) if j != hidden]
        recs = recommender.recommend(rest, k=k)["item"].tolist()
        hits += row[hidden] in recs
        tried += 1
    return hits / tried if tried else float("nan")
