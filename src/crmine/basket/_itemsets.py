"""Frequent itemsets: the :class:`Apriori` estimator and the :func:`apriori` one-liner.

The search and its counting live in :mod:`crmine.basket._mining`.  All
thresholds are integers: ``min_support`` is turned into the exact count
``ceil(min_support * n_baskets)`` with the decimal value the user typed (so
0.2 of 265 baskets is 53, not 54).
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import BaseEstimator, Interval, _fit_context, invalid_parameter
from crmine.basket._codes import _column_counts
from crmine.basket._input import as_baskets
from crmine.basket._itemset_array import ItemsetArray
from crmine.basket._mining import (
    ItemsetLimitError,
    _mine_owned,
    itemset_bound,
)
from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema
from crmine.utils._validation import check_is_fitted

__all__ = [
    "Apriori",
    "ItemsetLimitError",
    "apriori",
    "exact_fraction",
    "itemset_bound",
    "min_count_for",
]


def exact_fraction(value: float | Fraction | int) -> Fraction:
    """The exact rational a threshold stands for, read from its decimal text.

    ``0.2`` means 1/5 (not the binary double just above it), so boundary
    comparisons such as ``53/265 >= 0.2`` are exact.

    Parameters
    ----------
    value : float, int or Fraction
        A threshold as typed by the user.

    Returns
    -------
    Fraction

    Examples
    --------
    >>> exact_fraction(0.2)
    Fraction(1, 5)
    >>> 53 * exact_fraction(1) >= exact_fraction(0.2) * 265
    True
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Integral):
        return Fraction(int(value))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"threshold must be finite, got {value!r}")
    return Fraction(repr(value))


def min_count_for(min_support: float, n_baskets: int) -> int:
    """Smallest basket count whose support reaches ``min_support`` exactly.

    Parameters
    ----------
    min_support : float
        Minimum support as a fraction of baskets.
    n_baskets : int
        Number of baskets.

    Returns
    -------
    int
        ``ceil(min_support * n_baskets)`` computed in exact rationals, at least 1.

    Examples
    --------
    >>> min_count_for(0.2, 265)
    53
    >>> min_count_for(0.01, 9835)
    99
    """
    return max(1, math.ceil(exact_fraction(min_support) * n_baskets))


def _itemsets_frame(
    levels: list[tuple[np.ndarray, np.ndarray]], items: pd.Index, n_baskets: int, min_count: int
) -> pd.DataFrame:
    # the itemsets stay integer codes (ItemsetArray); frozensets are built when read
    labels = np.empty(len(items), dtype=object)
    labels[:] = list(items)
    itemset_arr = ItemsetArray._from_blocks([rows for rows, _ in levels], labels)
    if levels:
        count = np.concatenate([c for _, c in levels]).astype(np.int64, copy=False)
        length = np.repeat(
            np.arange(1, len(levels) + 1, dtype=np.int64), [len(c) for _, c in levels]
        )
    else:
        count = np.empty(0, np.int64)
        length = np.empty(0, np.int64)
    # fresh arrays, handed over without copies (a Series around the object column
    # made pandas spend 2 ms on 55,000 itemsets)
    df = pd.DataFrame(
        {"itemset": itemset_arr, "count": count, "support": count / n_baskets, "length": length},
        copy=False,
    )
    df.attrs["n_baskets"] = int(n_baskets)
    df.attrs["min_count"] = int(min_count)
    return df


def _resolve_min_count(min_support: float | None, min_count: int | None, n: int) -> int:
    if min_count is not None:
        return int(min_count)
    if min_support is None:
        raise invalid_parameter(
            "min_support and min_count are both None; give min_support (a fraction of "
            "baskets in (0, 1]) or min_count (a number of baskets >= 1)."
        )
    return min_count_for(min_support, n)


class Apriori(BaseEstimator):
    """Frequent itemsets of market baskets by the Apriori algorithm.

    Parameters
    ----------
    min_support : float, default=0.01
        Minimum support (fraction of baskets, in (0, 1]; 0, values above 1
        and NaN are refused).  Turned into the exact integer count
        ``ceil(min_support * n_baskets)``.
    min_count : int, optional
        Minimum number of baskets (>= 1); overrides ``min_support`` when given.
    max_len : int, optional
        Longest itemset to mine (default: no limit).
    max_itemsets : int or None, default=5_000_000
        Stop with :class:`ItemsetLimitError` (a ``ValueError``) as soon as
        more frequent itemsets are found, before the result table is built.
        Before mining, an upper bound (:func:`itemset_bound`) is computed;
        when it is below the limit no check is needed.  ``None``: no limit.
    schema : TransactionSchema or dict, optional
        Column roles of a long transaction log (``order`` and ``item``).

    Attributes
    ----------
    frequent_itemsets_ : pandas.DataFrame
        Columns ``itemset`` (frozenset of item labels), ``count``, ``support``,
        ``length``; sorted by length, then by item order.
        ``frequent_itemsets_.attrs["n_baskets"]`` carries the number of
        baskets for :func:`association_rules`.
    n_baskets_ : int
        Number of baskets seen in ``fit``.
    min_count_ : int
        The integer count threshold applied.
    items_ : pandas.Index
        All item labels seen in ``fit``.
    item_counts_ : pandas.Series
        Number of baskets containing each item.

    See Also
    --------
    apriori : the one-line function.
    association_rules : rules from the itemsets.

    Examples
    --------
    >>> baskets = [["beer", "diapers"], ["beer", "diapers", "milk"], ["milk"], ["beer"]]
    >>> model = Apriori(min_support=0.5).fit(baskets)
    >>> model.frequent_itemsets_[["count", "support", "length"]]
       count  support  length
    0      3     0.75       1
    1      2     0.50       1
    2      2     0.50       1
    3      2     0.50       2
    >>> sorted(model.frequent_itemsets_["itemset"].iloc[3])
    ['beer', 'diapers']
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "min_support": [Interval(Real, 0, 1, closed="right"), None],
        "min_count": [Interval(Integral, 1, None, closed="left"), None],
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "max_itemsets": [Interval(Integral, 1, None, closed="left"), None],
        "schema": [TransactionSchema, dict, None],
    }

    def __init__(
        self,
        *,
        min_support: float | None = 0.01,
        min_count: int | None = None,
        max_len: int | None = None,
        max_itemsets: int | None = 5_000_000,
        schema: TransactionSchema | None = None,
    ) -> None:
        self.min_support = min_support
        self.min_count = min_count
        self.max_len = max_len
        self.max_itemsets = max_itemsets
        self.schema = schema

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None, *, items: Any = None) -> Apriori:
        """Mine the frequent itemsets of the baskets ``X``.

        Parameters
        ----------
        X : DataFrame, list of baskets, scipy sparse matrix or Baskets
            See :func:`crmine.basket.as_baskets`.
        y : None
            Ignored.
        items : sequence, optional
            Item labels of the columns when ``X`` is a scipy sparse matrix.

        Returns
        -------
        self : Apriori
        """
        for name in ("min_support", "min_count", "max_len", "max_itemsets"):
            if isinstance(getattr(self, name), bool):
                raise invalid_parameter(f"{name}={getattr(self, name)!r} is a bool; pass a number.")
        baskets = as_baskets(X, schema=self.schema, items=items)
        matrix, labels = baskets.matrix, baskets.items
        del baskets
        n = matrix.shape[0]
        if n == 0:
            raise SchemaError("no baskets to mine: the input is empty; pass at least one basket.")
        self.min_count_ = _resolve_min_count(self.min_support, self.min_count, n)
        item_counts = _column_counts(matrix.indices, matrix.shape[1])
        # handed over: the miner lets go of the matrix once it has copied its frequent
        # columns (freed then, unless the caller passed it in and still holds it)
        holder = [matrix]
        del matrix
        levels = _mine_owned(holder, self.min_count_, self.max_len, self.max_itemsets)
        self.n_baskets_ = n
        self.items_ = labels
        self.item_counts_ = pd.Series(item_counts, index=labels, name="count")
        self.frequent_itemsets_ = _itemsets_frame(levels, labels, n, self.min_count_)
        return self

    def association_rules(
        self, metric: str = "confidence", min_threshold: float = 0.8, **kwargs: Any
    ) -> pd.DataFrame:
        """Association rules from the fitted itemsets.

        Parameters
        ----------
        metric : str, default="confidence"
            Interest measure to threshold (see :func:`association_rules`).
        min_threshold : float, default=0.8
            Keep rules with ``metric >= min_threshold`` (exact comparison).
        **kwargs
            Passed to :func:`association_rules`.

        Returns
        -------
        pandas.DataFrame
            One row per rule.

        Examples
        --------
        >>> baskets = [["beer", "diapers"], ["beer", "diapers", "milk"], ["milk"]]
        >>> rules = Apriori(min_support=0.5).fit(baskets).association_rules()
        >>> rules[["count", "confidence"]].to_numpy().tolist()
        [[2.0, 1.0], [2.0, 1.0]]
        """
        from crmine.basket._rules import association_rules

        check_is_fitted(self, "frequent_itemsets_")
        return association_rules(
            self.frequent_itemsets_,
            metric=metric,
            min_threshold=min_threshold,
            n_baskets=self.n_baskets_,
            **kwargs,
        )


def apriori(
    data: Any,
    min_support: float | None = 0.01,
    *,
    min_count: int | None = None,
    max_len: int | None = None,
    max_itemsets: int | None = 5_000_000,
    schema: TransactionSchema | None = None,
    items: Any = None,
) -> pd.DataFrame:
    """Frequent itemsets in one line (mlxtend-style).

    Parameters
    ----------
    data : DataFrame, list of baskets, scipy sparse matrix or Baskets
        Baskets in any shape accepted by :func:`crmine.basket.as_baskets`
        (pandas, polars and pyarrow logs are read by column name).
    min_support : float, default=0.01
        Minimum support as a fraction of baskets in (0, 1] (exact integer
        threshold).
    min_count : int, optional
        Minimum number of baskets; overrides ``min_support``.
    max_len : int, optional
        Longest itemset.
    max_itemsets : int or None, default=5_000_000
        Limit on the number of itemsets (see :class:`Apriori`).
    schema : TransactionSchema or dict, optional
        Columns of a long transaction log (``order``, ``item``).
    items : sequence, optional
        Column labels of a scipy sparse matrix.

    Returns
    -------
    pandas.DataFrame
        Columns ``itemset``, ``count``, ``support``, ``length``;
        ``.attrs["n_baskets"]`` holds the number of baskets.

    Examples
    --------
    >>> fi = apriori([["a", "b"], ["a", "b", "c"], ["a"]], min_support=0.6)
    >>> [(sorted(s), c) for s, c in zip(fi["itemset"], fi["count"])]
    [(['a'], 3), (['b'], 2), (['a', 'b'], 2)]
    >>> fi.attrs["n_baskets"]
    3
    """
    model = Apriori(
        min_support=min_support,
        min_count=min_count,
        max_len=max_len,
        max_itemsets=max_itemsets,
        schema=schema,
    )
    return model.fit(data, items=items).frequent_itemsets_
