"""Cross-sell recommendations from association rules, and their hit rate.

Recommendations for many baskets are computed at once: the baskets form a
sparse query matrix ``Q`` and the rule antecedents a sparse matrix ``A``; a
rule applies to a basket when ``(Q @ A.T)`` equals the antecedent length.
No Python code runs per basket or per customer.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from crmine.base import BaseEstimator, Interval, StrOptions, _fit_context
from crmine.basket._input import as_baskets
from crmine.basket._itemset_array import ItemsetArray
from crmine.basket._itemsets import Apriori
from crmine.basket._rules import RULE_METRICS, _meets, association_rules
from crmine.exceptions import DataWarning, InputTypeError, SchemaError
from crmine.schema import TransactionSchema, resolve_schema
from crmine.utils._validation import check_is_fitted, to_pandas

__all__ = ["BasketRecommender", "hit_rate_at_k", "recommend_products"]

_REC_COLUMNS = ["item", "score", "confidence", "lift", "count", "antecedents", "source"]


class BasketRecommender(BaseEstimator):
    """Recommend the next items for a partial basket from association rules.

    ``fit`` mines frequent itemsets (Apriori) and single-consequent rules
    ``A -> {item}``.  For a partial basket ``B``, every rule whose antecedent
    is inside ``B`` and whose consequent is not in ``B`` votes for its item;
    an item's score is the best ``metric`` among its rules, and the rule
    behind that best score is reported (ties broken by confidence, lift,
    count, then popularity).  Items no rule reaches can be filled in by
    popularity (``fallback="popular"``).

    Parameters
    ----------
    min_support : float, default=0.01
        Minimum itemset support (fraction of baskets, in (0, 1]).
    min_count : int, optional
        Minimum itemset count; overrides ``min_support``.
    max_len : int, default=3
        Longest itemset mined, so antecedents have at most ``max_len - 1`` items.
    metric : str, default="confidence"
        Measure that scores the recommendations (one of ``RULE_METRICS``);
        rules with an undefined (NaN) score rank last.
    min_confidence : float, default=0.1
        Rules below this confidence are not used (exact comparison).
    min_lift : float, default=1.0
        Rules below this lift are not used (a lift below 1 is a negative
        association).
    fallback : {"popular", "none"}, default="popular"
        Fill the list with the most frequent items not in the basket.
    schema : TransactionSchema or dict, optional
        Columns of a long transaction log (``order``, ``item``), used for the
        training log *and* for every log given later (``hit_rate``).

    Attributes
    ----------
    rules_ : pandas.DataFrame
        The single-consequent rules used.
    item_counts_ : pandas.Series
        Basket count per item (popularity, for the fallback), most popular first.
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
        "schema": [TransactionSchema, dict, None],
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
        schema: TransactionSchema | None = None,
    ) -> None:
        self.min_support = min_support
        self.min_count = min_count
        self.max_len = max_len
        self.metric = metric
        self.min_confidence = min_confidence
        self.min_lift = min_lift
        self.fallback = fallback
        self.schema = schema

    @_fit_context(prefer_skip_nested_validation=True)
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
        miner = Apriori(
            min_support=self.min_support,
            min_count=self.min_count,
            max_len=self.max_len,
            schema=self.schema,
        ).fit(X, items=items)
        rules = association_rules(
            miner.frequent_itemsets_, "confidence", self.min_confidence, consequents="single"
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
        # integer view of the rules over the training item vocabulary
        items_ = miner.items_
        self._items = items_
        self._code = pd.Series(np.arange(len(items_)), index=items_)
        popularity = np.empty(len(items_), dtype=np.int64)
        popularity[self._code[self.item_counts_.index].to_numpy()] = np.arange(len(items_))
        self._pop_rank = popularity  # 0 = most popular
        n_rules = len(rules)
        ant_lists = [list(a) for a in rules["antecedents"]]
        lengths = np.fromiter(map(len, ant_lists), dtype=np.int64, count=n_rules)
        flat = [x for a in ant_lists for x in a]
        cols = self._code.reindex(flat).to_numpy(dtype=np.int64) if flat else np.empty(0, np.int64)
        self._ant = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.int32), cols, np.r_[0, np.cumsum(lengths)]),
            shape=(n_rules, len(items_)),
        )
        self._ant_len = lengths
        cons = [next(iter(c)) for c in rules["consequents"]]
        self._cons = (
            self._code.reindex(cons).to_numpy(dtype=np.int64) if cons else np.empty(0, np.int64)
        )
        score = rules[self.metric].to_numpy(dtype=np.float64) if n_rules else np.empty(0)
        self._score = np.where(np.isnan(score), -np.inf, score)
        return self

    def _query(self, rows: list[np.ndarray]) -> sp.csr_matrix:
        """Boolean query matrix (one row per basket) over the training items."""
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        cols = np.concatenate(rows) if rows else np.empty(0, np.int64)
        q = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.int32), cols, np.r_[0, np.cumsum(lengths)]),
            shape=(len(rows), len(self._items)),
        )
        q.sum_duplicates()
        q.data[:] = 1
        return q

    def _top_k(self, q: sp.csr_matrix, k: int) -> tuple[np.ndarray, ...]:
        """Top-``k`` (basket, item, rule or -1) triples for every row of ``q``."""
        n_q = q.shape[0]
        hit = (q @ self._ant.T).tocoo() if len(self._cons) else sp.coo_matrix((n_q, 0))
        ok = hit.data == self._ant_len[hit.col]
        b, r = hit.row[ok].astype(np.int64), hit.col[ok].astype(np.int64)
        item = self._cons[r]
        owned = np.asarray(q[b, item]).ravel() > 0 if len(b) else np.zeros(0, bool)
        b, r, item = b[~owned], r[~owned], item[~owned]
        rules = self.rules_
        conf = rules["confidence"].to_numpy(dtype=np.float64)[r]
        lift = rules["lift"].to_numpy(dtype=np.float64)[r]
        count = rules["count"].to_numpy(dtype=np.int64)[r]
        order = np.lexsort((r, self._pop_rank[item], -count, -lift, -conf, -self._score[r], b))
        b, r, item = b[order], r[order], item[order]
        # best rule per (basket, item), then the first k items per basket
        key = b * len(self._items) + item
        first = np.ones(len(key), dtype=bool)
        if len(key):
            seen = pd.Index(key).duplicated(keep="first")
            first = ~np.asarray(seen)
        b, r, item = b[first], r[first], item[first]
        rank = _rank_within(b)
        keep = rank < k
        b, r, item = b[keep], r[keep], item[keep]
        if self.fallback == "popular":
            have = np.bincount(b, minlength=n_q)
            need = np.flatnonzero(have < k)
            if len(need):
                width = min(len(self._items), k + int(np.diff(q.indptr).max(initial=0)) + k)
                pop = self._code[self.item_counts_.index[:width]].to_numpy()
                pb = np.repeat(need, len(pop))
                pi = np.tile(pop, len(need))
                taken = np.asarray(q[pb, pi]).ravel() > 0 if len(pb) else np.zeros(0, bool)
                chosen = pd.Index(b * len(self._items) + item)
                taken |= pd.Index(pb * len(self._items) + pi).isin(chosen)
                pb, pi = pb[~taken], pi[~taken]
                slot = _rank_within(pb) + have[pb]
                fill = slot < k
                b = np.r_[b, pb[fill]]
                item = np.r_[item, pi[fill]]
                r = np.r_[r, np.full(int(fill.sum()), -1, dtype=np.int64)]
                order = np.lexsort((np.r_[rank[keep], slot[fill]], b))
                b, r, item = b[order], r[order], item[order]
        return b, item, r

    def _frame(self, b: np.ndarray, item: np.ndarray, r: np.ndarray) -> pd.DataFrame:
        rule = r >= 0
        rr = np.where(rule, r, 0)
        rules = self.rules_

        def col(name: str) -> np.ndarray:
            if not len(rules):
                return np.full(len(r), np.nan)
            return np.where(rule, rules[name].to_numpy(dtype=np.float64)[rr], np.nan)

        # the rule's antecedent, an empty itemset for a popularity fill-in (codes, no objects)
        arr = rules["antecedents"].array if len(rules) else ItemsetArray.from_sets([])
        if not isinstance(arr, ItemsetArray):
            arr = ItemsetArray.from_sets(arr)
        arr = ItemsetArray._concat_same_type([arr, ItemsetArray.from_sets([()])])
        ants = arr.take(np.where(rule, r, len(arr) - 1))
        labels = np.asarray(self._items, dtype=object)
        return pd.DataFrame(
            {
                "item": labels[item] if len(item) else np.empty(0, dtype=object),
                "score": col(self.metric),
                "confidence": col("confidence"),
                "lift": col("lift"),
                "count": col("count"),
                "antecedents": ants,
                "source": np.where(rule, "rule", "popular").astype(object),
            },
            columns=_REC_COLUMNS,
        )

    def _remap(self, held: Any, drop: np.ndarray | None = None) -> sp.csr_matrix:
        """Query matrix of held-out baskets over the training items (unknown items dropped)."""
        codes = self._code.reindex(held.items).to_numpy(dtype=np.float64)
        m = held.matrix.tocsr()
        mapped = codes[m.indices]
        known = ~np.isnan(mapped)
        if drop is not None:
            known &= ~drop
        indptr = np.r_[0, np.cumsum(known)][m.indptr]
        q = sp.csr_matrix(
            (np.ones(int(known.sum()), dtype=np.int32), mapped[known].astype(np.int64), indptr),
            shape=(m.shape[0], len(self._items)),
        )
        q.sort_indices()
        return q

    def recommend(self, basket: Iterable[Any], k: int = 5) -> pd.DataFrame:
        """Top-``k`` items to add to a partial basket, with the rule behind each.

        Parameters
        ----------
        basket : iterable
            Items already in the basket (unknown items are ignored).
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
        k = _check_k(k)
        if isinstance(basket, (str, bytes)):
            basket = [basket]
        have = list(dict.fromkeys(basket))
        codes = self._code.reindex(pd.Index(have, dtype=object)).to_numpy(dtype=np.float64)
        row = codes[~np.isnan(codes)].astype(np.int64)
        b, item, r = self._top_k(self._query([row]), k)
        return self._frame(b, item, r).reset_index(drop=True)

    def recommend_many(self, baskets: Any, k: int = 5) -> pd.DataFrame:
        """Top-``k`` recommendations for many baskets at once.

        Parameters
        ----------
        baskets : DataFrame, list of baskets, sparse matrix or Baskets
            Partial baskets (a log is read with the recommender's ``schema``).
        k : int, default=5
            Recommendations per basket.

        Returns
        -------
        pandas.DataFrame
            Indexed by the basket (order) id, one row per recommendation, with
            ``rank`` (1 = best) and the columns of :meth:`recommend`.

        Examples
        --------
        >>> train = [["beer", "diapers"]] * 3 + [["milk", "bread"]] * 3
        >>> rec = BasketRecommender(min_support=0.3, fallback="none").fit(train)
        >>> rec.recommend_many([["beer"], ["bread"]], k=1)[["rank", "item"]]
           rank     item
        0     1  diapers
        1     1     milk
        """
        check_is_fitted(self, "rules_")
        k = _check_k(k)
        held = as_baskets(to_pandas(baskets, name="baskets"), schema=self.schema)
        orders = held.orders
        b, item, r = self._top_k(self._remap(held), k)
        out = self._frame(b, item, r)
        out.insert(0, "rank", _rank_within(b) + 1)
        out.index = orders[b] if len(b) else orders[:0]
        return out

    def hit_rate(self, baskets: Any, k: int = 5, *, random_state: Any = None) -> float:
        """Leave-one-out hit rate at ``k`` on held-out baskets.

        See :func:`hit_rate_at_k`; a log is read with the recommender's own
        ``schema``.

        Parameters
        ----------
        baskets : list of baskets, DataFrame, sparse matrix or Baskets
            Held-out baskets.
        k : int, default=5
            List length.
        random_state : int, RandomState, Generator or None, default=None
            Chooses the hidden item of each basket.

        Returns
        -------
        float
        """
        return hit_rate_at_k(self, baskets, k=k, random_state=random_state)


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise SchemaError(f"k must be a positive integer (list length), got {k!r}. Fix: k=5.")
    return int(k)


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal (sorted) group ids."""
    if len(groups) == 0:
        return np.empty(0, dtype=np.int64)
    start = np.r_[True, groups[1:] != groups[:-1]]
    idx = np.arange(len(groups))
    return idx - np.maximum.accumulate(np.where(start, idx, 0))


def _generator(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    return np.random.default_rng(random_state)


def hit_rate_at_k(
    recommender: BasketRecommender, baskets: Any, *, k: int = 5, random_state: Any = None
) -> float:
    """Share of held-out baskets whose hidden item is among the top-``k`` recommendations.

    In every held-out basket with at least two distinct items one item is
    hidden at random; the recommender sees the others.  Baskets with fewer
    than two items cannot be evaluated and are not counted.  A log is read
    with the recommender's own ``schema``.

    Parameters
    ----------
    recommender : BasketRecommender
        A fitted recommender.
    baskets : list of baskets, DataFrame, sparse matrix or Baskets
        Held-out baskets (see :func:`crmine.basket.as_baskets`).
    k : int, default=5
        List length.
    random_state : int, RandomState, Generator or None, default=None
        Chooses the hidden items.

    Returns
    -------
    float
        Hit rate in [0, 1] (NaN if no basket has two items).

    Examples
    --------
    >>> train = [["beer", "diapers"]] * 5 + [["milk", "bread"]] * 5
    >>> rec = BasketRecommender(min_support=0.2, fallback="none").fit(train)
    >>> hit_rate_at_k(rec, [["beer", "diapers"], ["milk", "bread"]], k=1, random_state=0)
    1.0
    """
    check_is_fitted(recommender, "rules_")
    k = _check_k(k)
    rng = _generator(random_state)
    held = as_baskets(to_pandas(baskets, name="baskets"), schema=recommender.schema)
    m = held.matrix.tocsr()
    lengths = np.diff(m.indptr)
    usable = np.flatnonzero(lengths >= 2)
    if len(usable) == 0:
        return float("nan")
    hidden_pos = m.indptr[usable] + rng.integers(lengths[usable])
    hidden_label = np.asarray(held.items, dtype=object)[m.indices[hidden_pos]]
    drop = np.zeros(m.nnz, dtype=bool)
    drop[hidden_pos] = True
    sub = type(held)(m[usable], held.orders[usable], held.items)
    owner = np.repeat(np.arange(len(usable)), lengths[usable])
    drop = drop[np.repeat(m.indptr[usable], lengths[usable]) + _rank_within(owner)]
    q = recommender._remap(sub, drop)
    b, item, _ = recommender._top_k(q, k)
    hidden_code = recommender._code.reindex(pd.Index(hidden_label, dtype=object)).to_numpy(
        dtype=np.float64
    )
    hits = np.zeros(len(usable), dtype=bool)
    match = hidden_code[b] == item
    hits[b[match]] = True
    return float(hits.mean())


def recommend_products(
    log: Any,
    *,
    schema: TransactionSchema | None = None,
    k: int = 5,
    cutoff: Any = None,
    min_support: float | None = 0.01,
    min_count: int | None = None,
    max_len: int = 3,
    metric: str = "confidence",
    min_confidence: float = 0.1,
    min_lift: float = 1.0,
    fallback: str = "popular",
) -> pd.DataFrame:
    """Cross-sell recommendations for every customer in one line.

    Rules are mined from the orders of the log (:class:`BasketRecommender`);
    each customer's "basket" is the set of items they have bought, and the
    top-``k`` items they have not bought yet are recommended.

    Parameters
    ----------
    log : DataFrame
        Transaction log (pandas, polars or pyarrow) with customer, order and
        item columns.
    schema : TransactionSchema or dict, optional
        Column roles (``customer``, ``order``, ``item``).
    k : int, default=5
        Recommendations per customer.
    cutoff : str or Timestamp, optional
        Use only the lines strictly before it (point-in-time correct).
    min_support, min_count, max_len, metric, min_confidence, min_lift, fallback
        As in :class:`BasketRecommender`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (one row per recommendation, best first):
        ``rank``, ``item``, ``score``, ``confidence``, ``lift``, ``count``,
        ``antecedents``, ``source``.  A customer with nothing to recommend
        has no row.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 3, 4],
    ...     "order_id": [10, 10, 20, 20, 30, 30, 40],
    ...     "item": ["beer", "diapers", "beer", "diapers", "milk", "bread", "beer"]})
    >>> recommend_products(log, k=1, min_support=0.3, fallback="none")[["rank", "item"]]
                 rank     item
    customer_id
    4               1  diapers
    """
    schema = resolve_schema(schema)
    log = to_pandas(log, name="log", allow_arrays=False)
    if not isinstance(log, pd.DataFrame):
        raise InputTypeError(
            f"log must be a transaction log table (pandas, polars or pyarrow), got "
            f"{type(log).__name__}. Fix: pd.DataFrame(...) or pd.read_csv(...)."
        )
    if schema.customer not in log.columns:
        raise SchemaError(
            f"the log has no customer column {schema.customer!r} (columns: "
            f"{list(log.columns)[:10]}). Fix: schema=TransactionSchema(customer='...')."
        )
    rec = BasketRecommender(
        min_support=min_support,
        min_count=min_count,
        max_len=max_len,
        metric=metric,
        min_confidence=min_confidence,
        min_lift=min_lift,
        fallback=fallback,
        schema=schema,
    )
    orders = as_baskets(log, schema=schema, cutoff=cutoff)
    rec.fit(orders)
    # the customers' baskets: customer x item, same purchase lines and cutoff (the
    # return lines were already counted in the warning of the first pass)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        by_customer = as_baskets(
            log, schema=schema.replace(order=schema.customer), cutoff=cutoff
        )
    out = rec.recommend_many(by_customer, k=k)
    out.index.name = schema.customer
    return out
