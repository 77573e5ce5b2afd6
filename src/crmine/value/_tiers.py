"""Value tiers (the customer pyramid) and tier/segment migration between periods."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from crmine.base import CustomerEstimatorMixin, StrOptions, _fit_context
from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._validation import check_is_fitted, is_dataframe_like
from crmine.value._common import (
    check_total,
    customer_frame,
    customer_order,
    read_customers,
)

__all__ = ["TIER_ACTIONS", "ValueTierClassifier", "value_tiers"]

SHARE_PRESETS: dict[str, tuple[float, ...]] = {
    "1-4-15-80": (0.01, 0.04, 0.15, 0.80),
    "1-19-30-50": (0.01, 0.19, 0.30, 0.50),
}
LABEL_PRESETS: dict[str, tuple[str, ...]] = {
    "vip": ("VIP", "major", "ordinary", "small"),
    "metal": ("platinum", "gold", "iron", "lead"),
}
PARETO_DEFAULT: tuple[float, ...] = (0.50, 0.30, 0.15, 0.05)

#: Management focus per tier of the four-tier pyramid, top tier first.
TIER_ACTIONS: dict[str, str] = {
    "VIP": (
        "Watch closely for changes in their business, finances and staff; "
        "they carry a large share of value and their loss hurts most."
    ),
    "major": "Build loyalty so that they contribute more.",
    "ordinary": "Develop them so that part of them move up a tier.",
    "small": "Keep the profitable ones; let go of the loss-makers.",
}

#: Action of the bottom tier when no cost data was given: nobody can be called
#: a loss-maker, so crmine does not advise to cut anyone.
SMALL_TIER_NO_COSTS = (
    "Costs unknown: serve them at low cost and do not cut anyone yet; pass cost_col= "
    "(cost to serve per customer) to find the loss-makers."
)


def _default_actions(labels: Sequence[Any], costs_known: bool) -> list[str]:
    """Actions by position: first = VIP, second = major, last = small, others = ordinary."""
    texts = list(TIER_ACTIONS.values())
    if not costs_known:
        texts[3] = SMALL_TIER_NO_COSTS
    k = len(labels)
    out = []
    for i in range(k):
        if i == 0:
            out.append(texts[0])
        elif i == k - 1:
            out.append(texts[3])
        elif i == 1:
            out.append(texts[1])
        else:
            out.append(texts[2])
    return out


class ValueTierClassifier(CustomerEstimatorMixin, BaseEstimator):
    """Grade customers into ordered value tiers: VIP > major > ordinary > small.

    The customer pyramid ranks customers by a value column (spend, margin,
    predicted lifetime value) and gives each tier its own treatment
    (:attr:`actions_`).  ``fit`` learns one entry threshold per tier;
    ``predict`` places any customer - of this or another period - in the
    highest tier whose threshold its value reaches.

    Three grading methods are available:

    - ``"pyramid"`` (default): tiers by *customer* shares, top first.  With
      ``n`` customers ranked by value (ties by customer id), tier ``k`` ends at
      rank ``round(n * (s_1 + ... + s_k))``.  Default ``"1-4-15-80"``; preset
      ``"1-19-30-50"``; or any shares summing to 1.
    - ``"pareto"``: tiers by cumulative *value* share (ABC analysis).  With
      shares ``(0.5, 0.3, 0.15, 0.05)`` (default) the top tier is the smallest
      group of best customers holding at least 50% of the positive value, the
      next tier brings the cumulative share to 80%, and so on.
    - ``"thresholds"``: explicit entry values, top tier first.

    Parameters
    ----------
    value_col : str, default="monetary_total"
        Column of the customer table the tiers rank by (spend, margin,
        predicted lifetime value), read by name.
    cost_col : str or None, default=None
        Column with each customer's cost to serve, in the same money as
        ``value_col``.  Only with costs can crmine tell loss-makers (value
        below cost) apart; without them ``loss_making`` is unknown (NaN / NA)
        and the bottom tier's action says that costs are unknown instead of
        advising to cut customers.
    method : {"pyramid", "pareto", "thresholds"}, default="pyramid"
        How the tier thresholds are learned.
    shares : str, sequence of float or None, default=None
        Tier shares, top tier first, summing to 1: customer shares for
        ``"pyramid"`` (``None`` = ``"1-4-15-80"``), value shares for
        ``"pareto"`` (``None`` = ``(0.5, 0.3, 0.15, 0.05)``).
    thresholds : sequence of float or None, default=None
        For ``method="thresholds"``: the ``n_tiers - 1`` entry values of the
        tiers above the bottom one, strictly decreasing.  A customer with
        value ``>= thresholds[0]`` is in the top tier.
    labels : str or sequence, default="vip"
        Tier names, top first: ``"vip"`` = VIP / major / ordinary / small,
        ``"metal"`` = platinum / gold / iron / lead (Zeithaml, Rust & Lemon's
        customer pyramid), or any distinct labels.
    actions : sequence of str or None, default=None
        Management focus per tier, top first; ``None`` uses
        :data:`TIER_ACTIONS` by position (the bottom tier's text depends on
        whether ``cost_col`` is given).

    Attributes
    ----------
    thresholds_ : Series
        Entry value of each tier except the bottom one (index = label).  A
        tier that no training customer reached has threshold ``inf``.
    summary_ : DataFrame
        Per tier (top first): ``customers``, ``customer_share``, ``value``,
        ``value_share``, ``value_mean``, ``value_min``, ``value_max``,
        ``loss_making`` (customers whose value is below their cost; NaN
        without ``cost_col``), ``threshold`` and ``action``; with
        ``cost_col`` also ``cost`` and ``profit`` (value - cost).
    actions_ : Series
        Management focus per tier.
    labels_ : list
        Tier labels, top first.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` seen in fit (DataFrames with string columns only).

    Notes
    -----
    Ties at a tier boundary all go to the higher tier (two customers worth
    the same get the same treatment), so a tier can hold slightly more than
    its share; ``summary_`` reports the actual shares.  New customers above
    the training maximum are placed in the top tier, those below the
    training minimum in the bottom tier.  With ``cost_col``, customers whose
    value is below their cost are flagged as loss-making (:meth:`tier_table`,
    ``summary_["loss_making"]``).

    Input: a customer table (pandas DataFrame indexed by customer id, or a
    polars/pyarrow table whose ``customer_id`` column becomes the id), read
    by column name.  A bare numeric array (scikit-learn's checks) is read by
    the documented order: column 0 = value, column 1 = cost (with
    ``cost_col``).  Value may be negative (net spend) for ``"pyramid"`` and
    ``"thresholds"``; ``"pareto"`` needs a positive total.

    For a table, :meth:`predict` returns a Series indexed by customer id
    holding an *ordered* categorical (bottom < ... < top, so comparisons such
    as ``tiers >= "major"`` work); for an array it returns an array of labels.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.value import ValueTierClassifier
    >>> spend = pd.DataFrame({"monetary_total": [5000.0, 900, 800, 300, 120, 80, 60, 40,
    ...                                          20, 0]},
    ...                      index=pd.Index(list("abcdefghij"), name="customer_id"))
    >>> clf = ValueTierClassifier(shares=(0.1, 0.2, 0.3, 0.4)).fit(spend)
    >>> clf.thresholds_.tolist()
    [5000.0, 800.0, 80.0]
    >>> clf.predict(spend).value_counts(sort=False).to_dict()
    {'small': 4, 'ordinary': 3, 'major': 2, 'VIP': 1}
    >>> clf.summary_[["customers", "value_share", "loss_making"]]
              customers  value_share  loss_making
    tier
    VIP               1     0.684...          NaN
    major             2     0.232...          NaN
    ordinary          3     0.069...          NaN
    small             4     0.016...          NaN
    >>> clf.actions_["small"]
    'Costs unknown: serve them at low cost and do not cut anyone yet; ...'
    """

    _parameter_constraints: dict = {
        "value_col": [str],
        "cost_col": [str, None],
        "method": [StrOptions({"pyramid", "pareto", "thresholds"})],
        "shares": [StrOptions(set(SHARE_PRESETS)), "array-like", None],
        "thresholds": ["array-like", None],
        "labels": [StrOptions(set(LABEL_PRESETS)), "array-like"],
        "actions": ["array-like", None],
    }

    def __init__(
        self,
        *,
        value_col: str = "monetary_total",
        cost_col: str | None = None,
        method: str = "pyramid",
        shares: str | Sequence[float] | None = None,
        thresholds: Sequence[float] | None = None,
        labels: str | Sequence[Any] = "vip",
        actions: Sequence[str] | None = None,
    ) -> None:
        self.value_col = value_col
        self.cost_col = cost_col
        self.method = method
        self.shares = shares
        self.thresholds = thresholds
        self.labels = labels
        self.actions = actions

    # -- helpers -----------------------------------------------------------------------
    def _read(
        self, X: Any, *, reset: bool
    ) -> tuple[np.ndarray, np.ndarray | None, pd.Index | None]:
        columns = {"value": self.value_col}
        if self.cost_col is not None:
            columns["cost"] = self.cost_col
        _, values, ids = read_customers(self, X, columns, reset=reset)
        cost = values[:, 1] if self.cost_col is not None else None
        if cost is not None and (cost < 0).any():
            bad = np.flatnonzero(cost < 0)
            where = ids[bad][:5].tolist() if ids is not None else bad[:5].tolist()
            raise SchemaError(
                f"ValueTierClassifier: cost column {self.cost_col!r} has {bad.size} negative "
                f"value(s) (customers {where}, min {cost.min():g}); a cost to serve is >= 0. "
                "Fix: pass the cost column, not a profit or a refund."
            )
        return values[:, 0], cost, ids

    def _resolved_labels(self) -> list[Any]:
        labels = LABEL_PRESETS[self.labels] if isinstance(self.labels, str) else self.labels
        labels = list(labels)
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise SchemaError(
                f"ValueTierClassifier: labels={labels!r} must be at least two distinct tier "
                "names, top tier first, e.g. ('VIP', 'major', 'ordinary', 'small')."
            )
        return labels

    def _resolved_shares(self, k: int) -> np.ndarray:
        if self.shares is None:
            shares = SHARE_PRESETS["1-4-15-80"] if self.method == "pyramid" else PARETO_DEFAULT
        elif isinstance(self.shares, str):
            shares = SHARE_PRESETS[self.shares]
        else:
            shares = self.shares
        arr = np.asarray(shares, dtype=np.float64).ravel()
        kind = "customer" if self.method == "pyramid" else "value"
        if arr.size != k or np.any(~np.isfinite(arr)) or np.any(arr <= 0):
            raise SchemaError(
                f"ValueTierClassifier: shares={list(arr)} must be {k} positive {kind} shares "
                f"(one per tier, top first) for the {k} labels, e.g. (0.01, 0.04, 0.15, 0.80)."
            )
        if not np.isclose(arr.sum(), 1.0, atol=1e-6):
            raise SchemaError(
                f"ValueTierClassifier: shares={list(arr)} sum to {arr.sum():g}; they must sum "
                "to 1 (divide them by their total)."
            )
        return arr

    def _tier_index(self, values: np.ndarray) -> np.ndarray:
        thr = self.thresholds_.to_numpy(dtype=np.float64)
        return (thr[None, :] > values[:, None]).sum(axis=1)

    # -- API ---------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> ValueTierClassifier:
        """Learn the tier thresholds, the per-tier summary and the actions.

        Parameters
        ----------
        X : DataFrame, polars/pyarrow table or array-like of shape (n_customers, n_features)
            Customer table (index = customer id), read by column name.
        y : None
            Ignored.

        Returns
        -------
        self : ValueTierClassifier
            The fitted classifier.
        """
        labels = self._resolved_labels()
        k = len(labels)
        if self.actions is not None:
            actions = [str(a) for a in self.actions]
            if len(actions) != k:
                raise SchemaError(
                    f"ValueTierClassifier: {len(actions)} actions for {k} tiers; give one "
                    "action text per tier, top first."
                )
        else:
            actions = _default_actions(labels, self.cost_col is not None)
        values, cost, ids = self._read(X, reset=True)
        check_total(values, "ValueTierClassifier", "value", self.value_col)
        if cost is not None:
            check_total(cost, "ValueTierClassifier", "cost", self.cost_col)
        n = values.size
        order = customer_order(ids, n)
        # rank by value descending, ties by customer id
        ranked = order[np.argsort(-values[order], kind="stable")]
        v_desc = values[ranked]

        if self.method == "thresholds":
            if self.thresholds is None:
                raise SchemaError(
                    "ValueTierClassifier: method='thresholds' needs thresholds=(t_1, ..., "
                    f"t_{k - 1}), the entry values of the top {k - 1} tiers, decreasing."
                )
            thr = np.asarray(self.thresholds, dtype=np.float64).ravel()
            if thr.size != k - 1 or np.any(~np.isfinite(thr)) or np.any(np.diff(thr) >= 0):
                raise SchemaError(
                    f"ValueTierClassifier: thresholds={list(thr)} must be {k - 1} finite, "
                    f"strictly decreasing entry values (one per tier above the bottom one, "
                    "top first), e.g. (10000, 2000, 500)."
                )
        else:
            shares = self._resolved_shares(k)
            cum = np.cumsum(shares)[:-1]
            if self.method == "pyramid":
                ends = np.floor(cum * n + 0.5).astype(np.int64)
            else:  # pareto
                positive = np.clip(v_desc, 0, None)
                total = positive.sum()
                if total <= 0:
                    raise SchemaError(
                        f"ValueTierClassifier: value column {self.value_col!r} has no positive "
                        "values, so value shares are undefined; use method='pyramid' or "
                        "'thresholds'."
                    )
                before = (np.cumsum(positive) - positive) / total
                ends = np.array([(before < c - 1e-12).sum() for c in cum], dtype=np.int64)
            thr = np.array([v_desc[e - 1] if e >= 1 else np.inf for e in ends])

        self.labels_ = labels
        self.thresholds_ = pd.Series(
            thr, index=pd.Index(labels[:-1], name="tier"), name="threshold"
        )
        self.actions_ = pd.Series(actions, index=pd.Index(labels, name="tier"), name="action")

        if n > 1 and np.all(values == values[0]):
            warnings.warn(
                f"ValueTierClassifier: value column {self.value_col!r} is constant ({values[0]:g}) "
                f"for all {n} customers; they tie and all fall into one tier.",
                DataWarning,
                stacklevel=3,
            )
        tier = self._tier_index(values)
        self.summary_ = self._summarise(values, cost, tier)
        empty = [lab for lab, c in self.summary_["customers"].items() if c == 0]
        if empty and self.method != "thresholds":
            warnings.warn(
                f"ValueTierClassifier: tiers {empty} are empty with {n} customers (too few "
                "customers for the shares, or ties at the boundary); their thresholds are "
                "inf or equal to the next tier's.",
                DataWarning,
                stacklevel=3,
            )
        return self

    def _summarise(
        self, values: np.ndarray, cost: np.ndarray | None, tier: np.ndarray
    ) -> pd.DataFrame:
        labels = self.labels_
        k = len(labels)
        total = values.sum()
        rows = []
        for i in range(k):
            v = values[tier == i]
            c = cost[tier == i] if cost is not None else None
            rows.append(
                {
                    "customers": int(v.size),
                    "customer_share": v.size / values.size,
                    "value": float(v.sum()),
                    "value_share": float(v.sum() / total) if total > 0 else np.nan,
                    "value_mean": float(v.mean()) if v.size else np.nan,
                    "value_min": float(v.min()) if v.size else np.nan,
                    "value_max": float(v.max()) if v.size else np.nan,
                    "loss_making": float((v < c).sum()) if c is not None else np.nan,
                    "threshold": float(self.thresholds_.iloc[i]) if i < k - 1 else np.nan,
                    "action": self.actions_.iloc[i],
                    **(
                        {"cost": float(c.sum()), "profit": float((v - c).sum())}
                        if c is not None
                        else {}
                    ),
                }
            )
        out = pd.DataFrame(rows, index=pd.Index(labels, name="tier"))
        if cost is not None:
            out["loss_making"] = out["loss_making"].astype("int64")
        return out

    def predict(self, X: Any) -> pd.Series | np.ndarray:
        """Place customers in tiers with the learned thresholds.

        Parameters
        ----------
        X : DataFrame, polars/pyarrow table or array-like of shape (n_customers, n_features)
            Customer table of this or another period.

        Returns
        -------
        Series or ndarray
            For a table: Series ``tier`` indexed by customer id, ordered
            categorical (bottom tier lowest).  For an array: array of labels.
        """
        check_is_fitted(self, "thresholds_")
        values, _, ids = self._read(X, reset=False)
        tier = self._tier_index(values)
        labels = self.labels_
        if ids is None:
            return np.asarray(labels)[tier]
        cat = pd.Categorical.from_codes(
            len(labels) - 1 - tier, categories=labels[::-1], ordered=True
        )
        return pd.Series(cat, index=ids, name="tier")

    def fit_predict(self, X: Any, y: Any = None) -> pd.Series | np.ndarray:
        """Fit on ``X`` and return its tiers.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table or numeric array.
        y : None
            Ignored.

        Returns
        -------
        Series or ndarray
            As :meth:`predict`.
        """
        return self.fit(X).predict(X)

    def tier_table(self, X: Any) -> pd.DataFrame:
        """Per-customer table: value, tier, loss-making flag and action.

        Parameters
        ----------
        X : DataFrame or polars/pyarrow table
            Customer table.

        Returns
        -------
        DataFrame
            Indexed by customer id with columns ``value``, ``tier``,
            ``loss_making`` and ``action`` (plus ``cost`` and ``profit`` with
            ``cost_col``).  ``loss_making`` is a nullable boolean: value below
            cost with ``cost_col``, ``<NA>`` (unknown) without cost data.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"monetary_total": [100.0, 5.0], "cost": [20.0, 9.0]},
        ...                  index=["a", "b"])
        >>> clf = ValueTierClassifier(shares=(0.5, 0.5), labels=("top", "rest"))
        >>> clf.fit(X).tier_table(X)[["tier", "loss_making"]]
          tier  loss_making
        a  top         <NA>
        b rest         <NA>
        >>> clf.set_params(cost_col="cost").fit(X).tier_table(X)[["profit", "loss_making"]]
           profit  loss_making
        a    80.0        False
        b    -4.0         True
        """
        check_is_fitted(self, "thresholds_")
        if not is_dataframe_like(X):
            raise SchemaError(
                "tier_table needs a customer table (pandas, polars or pyarrow) to index the "
                f"result by customer id; got {type(X).__name__}."
            )
        values, cost, ids = self._read(X, reset=False)
        tier = self._tier_index(values)
        labels = self.labels_
        tiers = pd.Categorical.from_codes(
            len(labels) - 1 - tier, categories=labels[::-1], ordered=True
        )
        if cost is None:
            loss = pd.array([pd.NA] * values.size, dtype="boolean")
        else:
            loss = pd.array(values < cost, dtype="boolean")
        out = pd.DataFrame(
            {
                "value": values,
                "tier": tiers,
                "loss_making": loss,
                "action": self.actions_.to_numpy()[tier],
            },
            index=ids,
        )
        if cost is not None:
            out.insert(1, "cost", cost)
            out.insert(2, "profit", values - cost)
        return out


def value_tiers(customers: Any, **params: Any) -> pd.DataFrame:
    """One-line customer pyramid: the tier of every customer with its action.

    ``ValueTierClassifier(**params).fit(customers).tier_table(customers)``.

    Parameters
    ----------
    customers : DataFrame or polars/pyarrow table
        Customer table with the value column (index or ``customer_id`` column
        = customer id).
    **params
        Parameters of :class:`ValueTierClassifier`.

    Returns
    -------
    DataFrame
        Indexed by customer id with ``value``, ``tier``, ``loss_making`` and
        ``action`` (see :meth:`ValueTierClassifier.tier_table`).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"monetary_total": [10.0, 500.0, 40.0, 2000.0]}, index=list("abcd"))
    >>> value_tiers(t, method="thresholds", thresholds=(1000, 100, 20))["tier"].tolist()
    ['small', 'major', 'ordinary', 'VIP']
    """
    if not is_dataframe_like(customers):
        customer_frame(customers, name="customers")  # a path: say "read it first"
        raise SchemaError(
            "value_tiers reads a customer table by column name and got "
            f"{type(customers).__name__}; pass a pandas/polars/pyarrow table (or use "
            "ValueTierClassifier for arrays)."
        )
    clf = ValueTierClassifier(**params).fit(customers)
    return clf.tier_table(customers)
