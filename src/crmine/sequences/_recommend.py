"""Next-purchase recommendation from sequence rules, and its out-of-time evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from crmine.base import _fit_context
from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema
from crmine.sequences._data import CustomerSequences, read_sequences
from crmine.sequences._patterns import _min_count, mine_rules
from crmine.utils._validation import check_is_fitted

__all__ = ["NextPurchaseRecommender", "next_purchase_evaluation"]

_REC_COLUMNS = ["item", "score", "lift", "antecedent", "source"]


class NextPurchaseRecommender(BaseEstimator):
    r"""Recommend the items of a customer's next order from "A then B" rules.

    ``fit`` mines the order-level rules of :class:`SequenceMiner` (window:
    the next ``max_gap_orders`` orders within ``max_gap_days`` days).  For a
    customer whose most recent order is ``B_last`` (and earlier orders within
    the window), every rule ``A -> X`` with ``A`` in those recent orders votes
    for ``X`` with its smoothed confidence, an estimate of the probability
    that ``X`` is in the next orders after an order with ``A``:

    .. math::

        \hat p(X \mid A) = \frac{\text{hits}_{AX} + m\,b_X}{\text{orders}_A + m}

    with ``m = smoothing`` and ``b_X`` the rule's baseline (the share of all
    orders followed by ``X``), so that rules seen in few orders shrink to the
    baseline; a repeat rule ``X -> X`` shrinks to ``repeat_rate_`` instead
    (the share of orders with an item followed by that item again, over all
    repeat rules), and an item of the recent orders without a repeat rule of
    its own gets ``repeat_rate_`` (``source="repeat"``).  An item's score is
    the larger of its baseline and its best vote; items are ranked by score
    (ties: popularity).  Items whose score is a rule's vote above the
    baseline have ``source="rule"``, the others ``"popular"``.

    Parameters
    ----------
    min_support : float, default 0.005
        Minimum share of customers with a hit of a rule.
    min_count : int, optional
        Minimum customer count; overrides ``min_support``.
    max_gap_orders : int or None, default 1
        Window in orders.
    max_gap_days : float or None, default None
        Window in days.
    min_orders : int, default 5
        Minimum antecedent orders of a rule.
    smoothing : float, default 10.0
        Pseudo-orders ``m`` of the smoothed confidence (0 = raw confidence).
    exclude_seen : bool, default False
        Leave out items of the recent orders (False: repeat purchases count,
        as they do in retail).
    schema : TransactionSchema, optional
        Column roles of the log.
    cutoff : str or Timestamp, optional
        Only rows strictly before it are used in ``fit``.

    Attributes
    ----------
    rules_ : pandas.DataFrame
        The rules (see :class:`SequenceMiner`).
    popularity_ : pandas.Series
        Customers per item, most popular first.
    repeat_rate_ : float
        Pooled confidence of the repeat rules ``X -> X``.
    histories_ : dict
        Customer id -> list of the customer's baskets (sets of items), oldest first.
    cutoff_ : pandas.Timestamp

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 3, 3],
    ...     "order_id": list("abcdefg"),
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02", "2024-01-09",
    ...                                  "2024-01-03", "2024-01-04", "2024-01-20"]),
    ...     "item": ["tent", "stove", "tent", "stove", "map", "tent", "stove"]})
    >>> rec = NextPurchaseRecommender(min_count=1, min_orders=1).fit(log)
    >>> rec.recommend([["tent"]], k=2)[["item", "score", "source"]].round(3)
        item  score   source
    0  stove  0.808    rule
    1   tent  0.250  popular
    >>> top = rec.recommend_customers(k=1)  # all last bought a stove: no rule from it
    >>> top["item"].tolist(), top["source"].tolist()
    (['stove', 'stove', 'stove'], ['popular', 'popular', 'popular'])
    """

    _parameter_constraints: dict = {
        "min_support": [Interval(Real, 0, 1, closed="right"), None],
        "min_count": [Interval(Integral, 1, None, closed="left"), None],
        "max_gap_orders": [Interval(Integral, 1, None, closed="left"), None],
        "max_gap_days": [Interval(Real, 0, None, closed="neither"), None],
        "min_orders": [Interval(Integral, 1, None, closed="left")],
        "smoothing": [Interval(Real, 0, None, closed="left")],
        "exclude_seen": ["boolean"],
        "schema": [TransactionSchema, None],
        "cutoff": "no_validation",
    }

    def __init__(
        self,
        *,
        min_support: float | None = 0.005,
        min_count: int | None = None,
        max_gap_orders: int | None = 1,
        max_gap_days: float | None = None,
        min_orders: int = 5,
        smoothing: float = 10.0,
        exclude_seen: bool = False,
        schema: TransactionSchema | None = None,
        cutoff: Any = None,
    ) -> None:
        self.min_support = min_support
        self.min_count = min_count
        self.max_gap_orders = max_gap_orders
        self.max_gap_days = max_gap_days
        self.min_orders = min_orders
        self.smoothing = smoothing
        self.exclude_seen = exclude_seen
        self.schema = schema
        self.cutoff = cutoff

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> NextPurchaseRecommender:
        """Mine the rules and remember each customer's history.

        Parameters
        ----------
        X : DataFrame (pandas, polars or pyarrow)
            Transaction log with customer, order, time and item columns.
        y : None
            Ignored.

        Returns
        -------
        self : NextPurchaseRecommender
        """
        if self.min_support is None and self.min_count is None:
            raise ValueError("set min_support or min_count (both are None).")
        self._fit_sequences(read_sequences(X, self.schema, cutoff=self.cutoff))
        return self

    def _fit_sequences(self, seqs: CustomerSequences) -> None:
        mc = _min_count(self.min_support, self.min_count, seqs.n_customers)
        self.rules_ = mine_rules(
            seqs, min_count=mc, max_gap_orders=self.max_gap_orders,
            max_gap_days=self.max_gap_days, min_orders=self.min_orders,
        )
        labels = seqs.items
        counts = np.zeros(len(labels), dtype=np.int64)
        for baskets in seqs.baskets:
            counts[list(set().union(*baskets))] += 1
        pop = pd.Series(counts, index=labels, name="customers")
        rank = np.lexsort((np.arange(len(pop)), -counts))
        self.popularity_ = pop.iloc[rank]
        self.histories_ = {
            cid: [{labels[i] for i in b} for b in baskets]
            for cid, baskets in zip(seqs.customers, seqs.baskets)
        }
        self._days = dict(zip(seqs.customers, seqs.days))
        self._customer_name = seqs.customers.name
        r = self.rules_
        same = (r["antecedent"] == r["consequent"]).to_numpy()
        orders = float(r.loc[same, "orders"].sum())
        self.repeat_rate_ = float(r.loc[same, "hits"].sum()) / orders if orders else 0.0
        # rules shrink to the baseline of the consequent; repeat rules to the repeat rate
        m = float(self.smoothing)
        prior = np.where(same, self.repeat_rate_, r["baseline"].to_numpy(dtype=float))
        smoothed = (r["hits"].to_numpy() + m * prior) / (r["orders"].to_numpy() + m)
        by_ante: dict[Any, list[tuple[Any, float, float]]] = {}
        for a, x, p, lift in zip(r["antecedent"], r["consequent"], smoothed, r["lift"]):
            by_ante.setdefault(a, []).append((x, float(p), float(lift)))
        self._by_ante = by_ante
        self._baseline = dict(zip(r["consequent"], r["baseline"].astype(float)))
        self._rank = {item: r for r, item in enumerate(self.popularity_.index)}
        self.cutoff_ = seqs.cutoff

    def _recent(self, baskets: list[set[Any]], days: np.ndarray | None) -> set[Any]:
        """Items of the last ``max_gap_orders`` orders (within ``max_gap_days`` of the last)."""
        if not baskets:
            return set()
        k = len(baskets) if self.max_gap_orders is None else self.max_gap_orders
        recent = list(range(max(0, len(baskets) - k), len(baskets)))
        if self.max_gap_days is not None and days is not None:
            recent = [j for j in recent if days[-1] - days[j] <= self.max_gap_days]
        out: set[Any] = set()
        for j in recent:
            out |= set(baskets[j])
        return out

    def recommend(self, history: Iterable[Iterable[Any]], k: int = 5) -> pd.DataFrame:
        """Top-``k`` items for the next order after ``history``.

        Parameters
        ----------
        history : list of baskets
            The customer's orders, oldest first (each an iterable of items).
        k : int, default 5
            Number of items.

        Returns
        -------
        pandas.DataFrame
            ``item``, ``score`` (estimated probability of being in the next
            order; the baseline for ``"popular"`` items, NaN for items no
            rule reaches), ``lift``, ``antecedent`` and ``source``
            (``"rule"``, ``"repeat"`` or ``"popular"``).
        """
        check_is_fitted(self, "rules_")
        if isinstance(history, (str, bytes)):
            raise TypeError("history must be a list of baskets, e.g. [['tent'], ['stove']].")
        baskets = [set([b]) if isinstance(b, (str, bytes)) else set(b) for b in history]
        return self._recommend(self._recent(baskets, None), k)

    def _recommend(self, recent: set[Any], k: int) -> pd.DataFrame:
        best: dict[Any, tuple[float, float, Any]] = {}
        for a in recent:
            for x, p, lift in self._by_ante.get(a, ()):
                if self.exclude_seen and x in recent:
                    continue
                if p > self._baseline[x] and (x not in best or (p, lift) > best[x][:2]):
                    best[x] = (p, lift, a)
        skip = recent if self.exclude_seen else set()
        big = len(self._rank)
        cands = [(x, *v, "rule") for x, v in best.items()]
        if not self.exclude_seen and self.repeat_rate_ > 0:
            # recent items without a rule of their own: the average repeat probability
            for x in recent:
                if x not in best and self.repeat_rate_ > self._baseline.get(x, 0.0):
                    best[x] = (self.repeat_rate_, np.nan, x)
                    cands.append((x, self.repeat_rate_, np.nan, x, "repeat"))
        cands += [
            (x, b, np.nan, None, "popular")
            for x, b in self._baseline.items()
            if x not in best and x not in skip
        ]
        cands.sort(key=lambda c: (-c[1], self._rank.get(c[0], big)))
        rows = cands[:k]
        if len(rows) < k:
            chosen = {r[0] for r in rows} | skip
            for item in self.popularity_.index:
                if len(rows) >= k:
                    break
                if item not in chosen:
                    rows.append((item, np.nan, np.nan, None, "popular"))
        return pd.DataFrame(rows, columns=_REC_COLUMNS)

    def recommend_customers(self, customers: Any = None, k: int = 5) -> pd.DataFrame:
        """Top-``k`` next items for customers seen in ``fit`` (one row per item).

        Parameters
        ----------
        customers : list-like, optional
            Customer ids; all fitted customers by default.
        k : int, default 5
            Items per customer.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer id, with ``rank`` and the columns of
            :meth:`recommend`.
        """
        check_is_fitted(self, "rules_")
        ids = list(self.histories_) if customers is None else list(customers)
        unknown = [c for c in ids if c not in self.histories_]
        if unknown:
            raise SchemaError(
                f"customer(s) {unknown[:5]!r} have no order before the cutoff "
                f"{self.cutoff_}; recommend(history) takes an explicit history."
            )
        frames = []
        for cid in ids:
            out = self._recommend(self._recent(self.histories_[cid], self._days[cid]), k)
            out.insert(0, "rank", np.arange(1, len(out) + 1))
            out.index = pd.Index([cid] * len(out))
            frames.append(out)
        result = pd.concat(frames) if frames else pd.DataFrame(columns=["rank", *_REC_COLUMNS])
        result.index.name = self._customer_name
        return result


def next_purchase_evaluation(
    log: Any,
    cutoff: Any,
    *,
    schema: TransactionSchema | None = None,
    k: int = 5,
    horizon: Any = None,
    recommender: NextPurchaseRecommender | None = None,
    basket_recommender: Any = None,
) -> pd.DataFrame:
    """Out-of-time hit rate at ``k`` of next-purchase recommenders.

    Everything is fitted on the rows before ``cutoff``.  A customer is
    evaluated when they ordered before the cutoff and again in
    ``[cutoff, cutoff + horizon)``; the target is the set of items of their
    **first order after the cutoff**, and a hit is any of the ``k``
    recommended items in it.  Methods, each given the customer's history
    before the cutoff:

    * ``sequence``: :class:`NextPurchaseRecommender` (rules "A then B in the
      next order");
    * ``association``: :class:`crmine.basket.BasketRecommender` fitted on the
      training orders, given the last order as the partial basket (it never
      recommends items already in that basket);
    * ``repeat_last``: the items of the last order, most popular first
      (then popular items);
    * ``popular``: the ``k`` items bought by the most customers.

    Parameters
    ----------
    log : DataFrame (pandas, polars or pyarrow)
        Transaction log with rows before and after ``cutoff``.
    cutoff : str or Timestamp
        Training rows are strictly before it.
    schema : TransactionSchema, optional
        Column roles.
    k : int, default 5
        Length of each recommendation list.
    horizon : str or Timedelta, optional
        Only customers whose next order is within it (e.g. ``"90D"``); no
        limit by default.
    recommender : NextPurchaseRecommender, optional
        Unfitted recommender to evaluate (default parameters otherwise).
    basket_recommender : BasketRecommender, optional
        Unfitted association-rule recommender (default
        ``BasketRecommender(min_support=0.01, fallback="popular")``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``method``: ``customers`` evaluated, ``hits``,
        ``hit_rate`` and ``mean_target_size``.

    Examples
    --------
    >>> from crmine.datasets import make_retail
    >>> data = make_retail(n_customers=150, random_state=0)
    >>> table = next_purchase_evaluation(data.transactions, "2024-10-01", k=3)
    >>> list(table.index)
    ['sequence', 'association', 'repeat_last', 'popular']
    """
    from sklearn.base import clone

    from crmine.basket import BasketRecommender

    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}.")
    train = read_sequences(log, schema, cutoff=cutoff)
    try:
        after = read_sequences(log, schema, cutoff=None, start=train.cutoff)
    except SchemaError as exc:
        raise SchemaError(
            f"no customer ordered both before and after cutoff={train.cutoff} (no purchase "
            "line after it); choose an earlier cutoff."
        ) from exc
    rec = clone(recommender) if recommender is not None else NextPurchaseRecommender()
    rec.set_params(cutoff=None, schema=schema)
    rec._fit_sequences(train)
    baskets = [
        [train.items[i] for i in b] for seq in train.baskets for b in seq
    ]
    assoc = (
        clone(basket_recommender)
        if basket_recommender is not None
        else BasketRecommender(min_support=0.01, fallback="popular")
    )
    assoc.fit(baskets)
    top = list(rec.popularity_.index[:k])
    limit = None
    if horizon is not None:
        limit = pd.Timedelta(horizon)
    hits = dict.fromkeys(("sequence", "association", "repeat_last", "popular"), 0)
    n_eval, target_sizes = 0, []
    for cid, seq, days in zip(after.customers, after.baskets, after.days):
        history = rec.histories_.get(cid)
        if history is None or not seq:
            continue
        if limit is not None:
            gap = pd.Timedelta(days=float(days[0])) + (after.start - train.cutoff)
            if gap >= limit:
                continue
        target = {after.items[i] for i in seq[0]}
        n_eval += 1
        target_sizes.append(len(target))
        recs = {
            "sequence": rec._recommend(rec._recent(history, rec._days[cid]), k)["item"],
            "association": assoc.recommend(list(history[-1]), k=k)["item"],
            "repeat_last": _repeat_last(history[-1], rec, k),
            "popular": top,
        }
        for name, items in recs.items():
            hits[name] += bool(target.intersection(list(items)))
    if n_eval == 0:
        raise SchemaError(
            f"no customer ordered both before and after cutoff={train.cutoff}"
            + (f" within horizon={horizon!r}" if horizon is not None else "")
            + "; choose an earlier cutoff or a longer horizon."
        )
    table = pd.DataFrame(
        {
            "customers": n_eval,
            "hits": pd.Series(hits, dtype=np.int64),
            "hit_rate": pd.Series(hits, dtype=float) / n_eval,
            "mean_target_size": float(np.mean(target_sizes)),
        }
    )
    table.index.name = "method"
    return table


def _repeat_last(last: set[Any], rec: NextPurchaseRecommender, k: int) -> list[Any]:
    big = len(rec._rank)
    items = sorted(last, key=lambda x: rec._rank.get(x, big))[:k]
    for item in rec.popularity_.index:
        if len(items) >= k:
            break
        if item not in last:
            items.append(item)
    return items
