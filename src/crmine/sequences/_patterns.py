"""Frequent sequential patterns and "A then B within k orders / d days" rules."""

from __future__ import annotations

from collections import Counter
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from crmine.base import _fit_context
from crmine.schema import TransactionSchema
from crmine.sequences._data import CustomerSequences, read_sequences
from crmine.utils._validation import check_is_fitted

__all__ = ["SequenceMiner", "sequence_rules", "sequential_patterns"]

_PATTERN_COLUMNS = ["pattern", "length", "count", "support", "confidence", "lift"]
_RULE_COLUMNS = [
    "antecedent",
    "consequent",
    "orders",
    "hits",
    "confidence",
    "baseline",
    "lift",
    "customers",
    "support",
]


def _window(days: np.ndarray, i: int, max_gap_orders: int | None, max_gap_days: float | None):
    """Positions j > i reachable from order i under the gap constraints."""
    hi = len(days) if max_gap_orders is None else min(len(days), i + 1 + max_gap_orders)
    if max_gap_days is not None:
        hi = min(hi, int(np.searchsorted(days, days[i] + max_gap_days, side="right")))
    return range(i + 1, max(hi, i + 1))


def _min_count(min_support: float | None, min_count: int | None, n: int) -> int:
    if min_count is not None:
        return int(min_count)
    return max(1, int(np.ceil(float(min_support) * n - 1e-9)))


def mine_patterns(
    seqs: CustomerSequences,
    *,
    min_count: int,
    max_len: int,
    max_gap_orders: int | None,
    max_gap_days: float | None,
) -> pd.DataFrame:
    """Frequent sequences of single items (SPADE-style id-lists, prefix growth).

    A customer supports ``(a1, ..., am)`` when orders ``p1 < ... < pm`` exist
    with ``a_l`` in order ``p_l`` and every consecutive pair within
    ``max_gap_orders`` orders and ``max_gap_days`` days.  Counts are exact.
    """
    n = seqs.n_customers
    occ1: dict[int, dict[int, list[int]]] = {}
    for c, baskets in enumerate(seqs.baskets):
        for j, basket in enumerate(baskets):
            for item in basket:
                occ1.setdefault(item, {}).setdefault(c, []).append(j)
    frequent = {i: o for i, o in occ1.items() if len(o) >= min_count}
    item_count = {i: len(o) for i, o in occ1.items()}
    rows: list[tuple[tuple[int, ...], int, float]] = []
    for i, o in frequent.items():
        rows.append(((i,), len(o), np.nan))
    stack = [((i,), o) for i, o in frequent.items()] if max_len > 1 else []
    while stack:
        prefix, occ = stack.pop()
        reach: dict[int, list[int]] = {}
        counts: Counter[int] = Counter()
        for c, ends in occ.items():
            days = seqs.days[c]
            baskets = seqs.baskets[c]
            if max_gap_orders is None and max_gap_days is None:
                pos = list(range(ends[0] + 1, len(baskets)))
            else:
                pos_set: set[int] = set()
                for e in ends:
                    pos_set.update(_window(days, e, max_gap_orders, max_gap_days))
                pos = sorted(pos_set)
            if not pos:
                continue
            reach[c] = pos
            seen: set[int] = set()
            for j in pos:
                seen |= baskets[j]
            counts.update(x for x in seen if x in frequent)
        for x, cnt in counts.items():
            if cnt < min_count:
                continue
            pattern = (*prefix, x)
            rows.append((pattern, cnt, cnt / len(occ)))
            if len(pattern) < max_len:
                new_occ = {
                    c: [j for j in pos if x in seqs.baskets[c][j]] for c, pos in reach.items()
                }
                stack.append((pattern, {c: e for c, e in new_occ.items() if e}))
    labels = seqs.items
    out = pd.DataFrame(
        {
            "pattern": [tuple(labels[i] for i in p) for p in (r[0] for r in rows)],
            "length": [len(r[0]) for r in rows],
            "count": np.array([r[1] for r in rows], dtype=np.int64),
            "support": np.array([r[1] / n for r in rows], dtype=float),
            "confidence": np.array([r[2] for r in rows], dtype=float),
            "lift": np.array(
                [r[2] / (item_count[r[0][-1]] / n) if len(r[0]) > 1 else np.nan for r in rows],
                dtype=float,
            ),
        },
        columns=_PATTERN_COLUMNS,
    )
    order = np.lexsort((out["pattern"].map(lambda p: tuple(map(str, p))).to_numpy(),
                        -out["count"].to_numpy(), out["length"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def mine_rules(
    seqs: CustomerSequences,
    *,
    min_count: int,
    max_gap_orders: int | None,
    max_gap_days: float | None,
    min_orders: int = 1,
) -> pd.DataFrame:
    """Order-level rules "A then B within the window" (see :func:`sequence_rules`)."""
    n = seqs.n_customers
    cust_count: Counter[int] = Counter()
    for baskets in seqs.baskets:
        cust_count.update(set().union(*baskets))
    keep = {i for i, cnt in cust_count.items() if cnt >= min_count}
    m = len(seqs.items)
    a_orders = np.zeros(m, dtype=np.int64)  # orders with A that have a non-empty window
    base = np.zeros(m, dtype=np.int64)  # orders (any) whose window contains B
    n_windows = 0
    hit_codes: list[np.ndarray] = []
    cust_codes: list[np.ndarray] = []
    for c, all_baskets in enumerate(seqs.baskets):
        days = seqs.days[c]
        baskets = [np.fromiter(b & keep, dtype=np.int64) for b in all_baskets]
        codes_c: list[np.ndarray] = []
        for i, basket in enumerate(baskets):
            window = _window(days, i, max_gap_orders, max_gap_days)
            if len(window) == 0:
                continue
            n_windows += 1
            later = np.unique(np.concatenate([baskets[j] for j in window]))
            base[later] += 1
            a_orders[basket] += 1
            if basket.size and later.size:
                codes_c.append(np.add.outer(basket * m, later).ravel())
        if codes_c:
            codes = np.concatenate(codes_c)
            hit_codes.append(codes)
            cust_codes.append(np.unique(codes))
    labels = seqs.items
    rows = []
    if hit_codes:
        pair, hits = np.unique(np.concatenate(hit_codes), return_counts=True)
        cpair, ccount = np.unique(np.concatenate(cust_codes), return_counts=True)
        n_cust = ccount[np.searchsorted(cpair, pair)]
        a, b = pair // m, pair % m
        ok = (n_cust >= min_count) & (a_orders[a] >= min_orders)
        a, b, hits, n_cust = a[ok], b[ok], hits[ok], n_cust[ok]
        conf = hits / a_orders[a]
        baseline = base[b] / n_windows
        rows = list(
            zip(labels[a], labels[b], a_orders[a], hits, conf, baseline, conf / baseline,
                n_cust, n_cust / n)
        )
    out = pd.DataFrame(rows, columns=_RULE_COLUMNS)
    out = out.astype({"orders": np.int64, "hits": np.int64, "customers": np.int64})
    out = out.sort_values(
        ["lift", "confidence", "customers"], ascending=False, kind="stable"
    ).reset_index(drop=True)
    return out


class SequenceMiner(BaseEstimator):
    """Frequent sequential patterns and next-order rules of customers' ordered baskets.

    ``fit`` reads each customer's orders before ``cutoff`` (sorted by time,
    then order id; cleaned with :func:`crmine.clean_transactions`, purchase
    lines only) and mines

    * ``patterns_``: frequent sequences of items ``(a1, ..., am)``, each in a
      strictly later order than the previous one, consecutive items within
      ``max_gap_orders`` orders and ``max_gap_days`` days (SPADE-style exact
      counting).  ``count``/``support``: customers (share of customers) with
      the sequence; ``confidence``: share of the customers with the prefix
      who continue with the last item; ``lift``: confidence divided by the
      share of customers who ever buy the last item.
    * ``rules_``: order-level rules "A then B": for every order containing A
      whose window (the next ``max_gap_orders`` orders within
      ``max_gap_days`` days) is not empty, does B appear in the window?
      ``confidence = hits / orders``; ``baseline``: share of all orders
      (with a non-empty window) whose window contains B; ``lift =
      confidence / baseline``; ``customers``/``support``: customers with at
      least one hit.

    Parameters
    ----------
    min_support : float, default 0.01
        Minimum share of customers of a pattern (and of a rule's hits).
    min_count : int, optional
        Minimum customer count; overrides ``min_support``.
    max_len : int, default 3
        Longest pattern mined.
    max_gap_orders : int or None, default 1
        Next item within this many orders (1 = the next order); None = any later order.
    max_gap_days : float or None, default None
        Next item within this many days; None = no limit.
    min_orders : int, default 5
        Rules whose antecedent has fewer orders are dropped (noisy confidence).
    schema : TransactionSchema, optional
        Column roles of the log.
    cutoff : str or Timestamp, optional
        Only rows strictly before it.

    Attributes
    ----------
    patterns_ : pandas.DataFrame
        ``pattern`` (tuple of items), ``length``, ``count``, ``support``,
        ``confidence``, ``lift``.
    rules_ : pandas.DataFrame
        ``antecedent``, ``consequent``, ``orders``, ``hits``, ``confidence``,
        ``baseline``, ``lift``, ``customers``, ``support``, by descending lift.
    n_customers_ : int
        Customers with at least one order before the cutoff.
    cutoff_ : pandas.Timestamp
        The cutoff used.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 3],
    ...     "order_id": ["a", "b", "c", "d", "e", "f"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02",
    ...                                  "2024-01-09", "2024-01-03", "2024-01-04"]),
    ...     "item": ["tent", "stove", "tent", "stove", "stove", "tent"]})
    >>> miner = SequenceMiner(min_count=1, max_len=2).fit(log)
    >>> miner.patterns_[["pattern", "count", "confidence"]]
             pattern  count  confidence
    0       (stove,)      3         NaN
    1        (tent,)      3         NaN
    2  (tent, stove)      2    0.666667
    3  (stove, tent)      1    0.333333
    """

    _parameter_constraints: dict = {
        "min_support": [Interval(Real, 0, 1, closed="right"), None],
        "min_count": [Interval(Integral, 1, None, closed="left"), None],
        "max_len": [Interval(Integral, 1, None, closed="left")],
        "max_gap_orders": [Interval(Integral, 1, None, closed="left"), None],
        "max_gap_days": [Interval(Real, 0, None, closed="neither"), None],
        "min_orders": [Interval(Integral, 1, None, closed="left")],
        "schema": [TransactionSchema, None],
        "cutoff": "no_validation",
    }

    def __init__(
        self,
        *,
        min_support: float | None = 0.01,
        min_count: int | None = None,
        max_len: int = 3,
        max_gap_orders: int | None = 1,
        max_gap_days: float | None = None,
        min_orders: int = 5,
        schema: TransactionSchema | None = None,
        cutoff: Any = None,
    ) -> None:
        self.min_support = min_support
        self.min_count = min_count
        self.max_len = max_len
        self.max_gap_orders = max_gap_orders
        self.max_gap_days = max_gap_days
        self.min_orders = min_orders
        self.schema = schema
        self.cutoff = cutoff

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> SequenceMiner:
        """Mine the patterns and rules of a transaction log.

        Parameters
        ----------
        X : DataFrame (pandas, polars or pyarrow)
            Transaction log with customer, order, time and item columns.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceMiner
        """
        if self.min_support is None and self.min_count is None:
            raise ValueError("set min_support or min_count (both are None).")
        seqs = read_sequences(X, self.schema, cutoff=self.cutoff)
        self._fit_sequences(seqs)
        return self

    def _fit_sequences(self, seqs: CustomerSequences) -> None:
        mc = _min_count(self.min_support, self.min_count, seqs.n_customers)
        self.patterns_ = mine_patterns(
            seqs, min_count=mc, max_len=self.max_len, max_gap_orders=self.max_gap_orders,
            max_gap_days=self.max_gap_days,
        )
        self.rules_ = mine_rules(
            seqs, min_count=mc, max_gap_orders=self.max_gap_orders,
            max_gap_days=self.max_gap_days, min_orders=self.min_orders,
        )
        self.n_customers_ = seqs.n_customers
        self.cutoff_ = seqs.cutoff

    def top_rules(self, n: int = 10, *, min_lift: float = 1.0) -> pd.DataFrame:
        """The ``n`` rules of highest lift with lift at least ``min_lift``."""
        check_is_fitted(self, "rules_")
        return self.rules_.loc[self.rules_["lift"] >= min_lift].head(n).reset_index(drop=True)


def sequential_patterns(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    min_support: float | None = 0.01,
    min_count: int | None = None,
    max_len: int = 3,
    max_gap_orders: int | None = 1,
    max_gap_days: float | None = None,
    cutoff: Any = None,
) -> pd.DataFrame:
    """Frequent sequential patterns of a log (one-liner for :class:`SequenceMiner`).

    Returns
    -------
    pandas.DataFrame
        ``SequenceMiner(...).fit(log).patterns_``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2, 2], "order_id": ["a", "b", "c", "d"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02",
    ...                                  "2024-01-09"]),
    ...     "item": ["tent", "stove", "tent", "stove"]})
    >>> sequential_patterns(log, min_count=2)["pattern"].tolist()
    [('stove',), ('tent',), ('tent', 'stove')]
    """
    miner = SequenceMiner(
        min_support=min_support, min_count=min_count, max_len=max_len,
        max_gap_orders=max_gap_orders, max_gap_days=max_gap_days, schema=schema, cutoff=cutoff,
    )
    return miner.fit(log).patterns_


def sequence_rules(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    min_support: float | None = 0.01,
    min_count: int | None = None,
    max_gap_orders: int | None = 1,
    max_gap_days: float | None = None,
    min_orders: int = 5,
    cutoff: Any = None,
) -> pd.DataFrame:
    """Rules "A then B within k orders or d days", by descending lift (one-liner).

    See :class:`SequenceMiner` for the definitions of ``confidence``,
    ``baseline`` and ``lift``.

    Returns
    -------
    pandas.DataFrame
        ``SequenceMiner(...).fit(log).rules_``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "order_id": list("abcde"),
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-08",
    ...                                  "2024-01-02", "2024-01-09"]),
    ...     "item": ["tent", "stove", "tent", "tent", "stove"]})
    >>> sequence_rules(log, min_count=1, min_orders=1)[["antecedent", "consequent", "hits",
    ...                                                  "confidence", "lift"]]
      antecedent consequent  hits  confidence  lift
    0      stove       tent     1         1.0   3.0
    1       tent      stove     2         1.0   1.5
    """
    miner = SequenceMiner(
        min_support=min_support, min_count=min_count, max_len=2,
        max_gap_orders=max_gap_orders, max_gap_days=max_gap_days, min_orders=min_orders,
        schema=schema, cutoff=cutoff,
    )
    return miner.fit(log).rules_
