"""Value tiers (the customer pyramid) and tier/segment migration between periods."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from crmine.exceptions import DataWarning, SchemaError
from crmine.value._common import check_fitted, customer_order, select_columns

__all__ = [
    "TIER_ACTIONS",
    "TierMigration",
    "ValueTierClassifier",
    "tier_migration",
    "value_tiers",
]

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


def _default_actions(labels: Sequence[Any]) -> list[str]:
    """Actions by position: first = VIP, second = major, last = small, others = ordinary."""
    texts = list(TIER_ACTIONS.values())
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


class ValueTierClassifier(BaseEstimator):
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
    value : str or int, default="monetary_total"
        Value column: a DataFrame column name, or a position (for arrays a
        string falls back to position 0).
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
        :data:`TIER_ACTIONS` by position.

    Attributes
    ----------
    thresholds_ : Series
        Entry value of each tier except the bottom one (index = label).  A
        tier that no training customer reached has threshold ``inf``.
    summary_ : DataFrame
        Per tier (top first): ``customers``, ``customer_share``, ``value``,
        ``value_share``, ``value_mean``, ``value_min``, ``value_max``,
        ``loss_making`` (customers with value <= 0), ``threshold`` and ``action``.
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
    training minimum in the bottom tier.  Customers with value ``<= 0`` are
    flagged as loss-making (:meth:`tier_table`, ``summary_["loss_making"]``).

    For a DataFrame, :meth:`predict` returns a Series indexed by customer id
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
    VIP               1     0.684...            0
    major             2     0.232...            0
    ordinary          3     0.069...            0
    small             4     0.016...            1
    """

    _parameter_constraints: dict = {
        "value": [str, Interval(Integral, 0, None, closed="left")],
        "method": [StrOptions({"pyramid", "pareto", "thresholds"})],
        "shares": [StrOptions(set(SHARE_PRESETS)), "array-like", None],
        "thresholds": ["array-like", None],
        "labels": [StrOptions(set(LABEL_PRESETS)), "array-like"],
        "actions": ["array-like", None],
    }

    def __init__(
        self,
        *,
        value: str | int = "monetary_total",
        method: str = "pyramid",
        shares: str | Sequence[float] | None = None,
        thresholds: Sequence[float] | None = None,
        labels: str | Sequence[Any] = "vip",
        actions: Sequence[str] | None = None,
    ) -> None:
        self.value = value
        self.method = method
        self.shares = shares
        self.thresholds = thresholds
        self.labels = labels
        self.actions = actions

    # -- helpers -----------------------------------------------------------------------
    def _read(self, X: Any, *, reset: bool) -> tuple[np.ndarray, pd.Index | None]:
        values, ids = select_columns(
            self, X, {"value": self.value}, reset=reset, default_positions={"value": 0}
        )
        return values[:, 0], ids

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
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table (index = customer id) or numeric array.
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
            actions = _default_actions(labels)
        values, ids = self._read(X, reset=True)
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
                        f"ValueTierClassifier: value column {self.value!r} has no positive "
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
                f"ValueTierClassifier: value column {self.value!r} is constant ({values[0]:g}) "
                f"for all {n} customers; they tie and all fall into one tier.",
                DataWarning,
                stacklevel=3,
            )
        tier = self._tier_index(values)
        self.summary_ = self._summarise(values, tier)
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

    def _summarise(self, values: np.ndarray, tier: np.ndarray) -> pd.DataFrame:
        labels = self.labels_
        k = len(labels)
        total = values.sum()
        rows = []
        for i in range(k):
            v = values[tier == i]
            rows.append(
                {
                    "customers": int(v.size),
                    "customer_share": v.size / values.size,
                    "value": float(v.sum()),
                    "value_share": float(v.sum() / total) if total > 0 else np.nan,
                    "value_mean": float(v.mean()) if v.size else np.nan,
                    "value_min": float(v.min()) if v.size else np.nan,
                    "value_max": float(v.max()) if v.size else np.nan,
                    "loss_making": int((v <= 0).sum()),
                    "threshold": float(self.thresholds_.iloc[i]) if i < k - 1 else np.nan,
                    "action": self.actions_.iloc[i],
                }
            )
        return pd.DataFrame(rows, index=pd.Index(labels, name="tier"))

    def predict(self, X: Any) -> pd.Series | np.ndarray:
        """Place customers in tiers with the learned thresholds.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table of this or another period, or numeric array.

        Returns
        -------
        Series or ndarray
            For a DataFrame: Series ``tier`` indexed by customer id, ordered
            categorical (bottom tier lowest).  For an array: array of labels.
        """
        check_fitted(self, "thresholds_")
        values, ids = self._read(X, reset=False)
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

    def tier_table(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-customer table: value, tier, loss-making flag and action.

        Parameters
        ----------
        X : DataFrame
            Customer table.

        Returns
        -------
        DataFrame
            Indexed by customer id with columns ``value``, ``tier``,
            ``loss_making`` (value <= 0) and ``action``.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"monetary_total": [100.0, -5.0]}, index=["a", "b"])
        >>> clf = ValueTierClassifier(shares=(0.5, 0.5), labels=("top", "rest")).fit(X)
        >>> clf.tier_table(X)[["tier", "loss_making"]]
          tier  loss_making
        a  top        False
        b rest         True
        """
        check_fitted(self, "thresholds_")
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"tier_table needs a customer table DataFrame; got {type(X).__name__}.")
        values, ids = self._read(X, reset=False)
        tiers = self.predict(X)
        return pd.DataFrame(
            {
                "value": values,
                "tier": tiers.to_numpy(),
                "loss_making": values <= 0,
                "action": self.actions_.reindex(tiers.astype(object)).to_numpy(),
            },
            index=ids,
        )


def value_tiers(customers: Any, **params: Any) -> pd.Series | np.ndarray:
    """One-line customer pyramid: ``ValueTierClassifier(**params).fit_predict(customers)``.

    Parameters
    ----------
    customers : DataFrame or array-like
        Customer table with the value column.
    **params
        Parameters of :class:`ValueTierClassifier`.

    Returns
    -------
    Series or ndarray
        Tier per customer.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"monetary_total": [10.0, 500.0, 40.0, 2000.0]})
    >>> value_tiers(t, method="thresholds", thresholds=(1000, 100, 20)).tolist()
    ['small', 'major', 'ordinary', 'VIP']
    """
    return ValueTierClassifier(**params).fit_predict(customers)


# ------------------------------------------------------------------------------ migration
@dataclass(frozen=True)
class TierMigration:
    """Result of :func:`tier_migration`.

    Attributes
    ----------
    matrix : DataFrame
        Customer counts; rows = tier before (plus ``"new"``), columns = tier
        after (plus ``"lost"``).
    summary : Series
        ``customers_before``, ``customers_after``, ``stayed``, ``upgraded``,
        ``downgraded``, ``changed``, ``lost``, ``new`` and ``retention_rate``
        (share of the customers before that are still present after).
        ``upgraded``/``downgraded`` are NaN when the levels have no order.
    moves : DataFrame
        Per customer: ``before``, ``after`` and ``change`` (``"stayed"``,
        ``"upgrade"``, ``"downgrade"``, ``"changed"``, ``"lost"``, ``"new"``).
    levels : list
        Tier or segment levels, best first when ordered.
    ordered : bool
        Whether upgrades and downgrades are defined.
    """

    matrix: pd.DataFrame
    summary: pd.Series
    moves: pd.DataFrame
    levels: list
    ordered: bool

    def rates(self) -> pd.DataFrame:
        """Row-normalised matrix: where the customers of each tier went.

        Returns
        -------
        DataFrame
            ``matrix`` divided by its row sums (rows without customers are NaN).

        Examples
        --------
        >>> import pandas as pd
        >>> m = tier_migration(pd.Series({"a": "x", "b": "x"}), pd.Series({"a": "x"}))
        >>> m.rates().loc["x"].tolist()
        [0.5, 0.5]
        """
        sums = self.matrix.sum(axis=1)
        return self.matrix.div(sums.where(sums > 0), axis=0)


def _labels_series(s: Any, name: str) -> pd.Series:
    if not isinstance(s, pd.Series):
        raise TypeError(
            f"tier_migration: {name} must be a Series of labels indexed by customer id "
            f"(e.g. ValueTierClassifier.predict(customers)); got {type(s).__name__}."
        )
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()].unique()[:5].tolist()
        raise SchemaError(
            f"tier_migration: {name} has duplicated customer ids {dup}; pass one label per "
            "customer."
        )
    if s.isna().any():
        miss = s.index[s.isna()][:5].tolist()
        raise SchemaError(
            f"tier_migration: {name} has {int(s.isna().sum())} missing labels (customers "
            f"{miss}); drop them - customers absent in a period are simply left out and "
            "counted as lost or new."
        )
    return s


def tier_migration(
    before: pd.Series,
    after: pd.Series,
    *,
    order: Sequence[Any] | None = None,
) -> TierMigration:
    """Transition matrix of tiers or segments between two periods.

    Parameters
    ----------
    before, after : Series
        Label per customer (index = customer id) in the earlier and the later
        period, e.g. ``ValueTierClassifier.predict`` of each period's table.
        Customers only in ``before`` are *lost*, only in ``after`` are *new*.
    order : sequence or None, default=None
        Levels from best to worst; defines upgrades and downgrades.  ``None``
        takes the order of an ordered categorical (its highest category is
        best); otherwise moves are only "changed".

    Returns
    -------
    TierMigration
        Matrix, summary counts and per-customer moves.

    Examples
    --------
    >>> import pandas as pd
    >>> order = ["VIP", "major", "small"]
    >>> q1 = pd.Series({"a": "VIP", "b": "major", "c": "small", "d": "small"})
    >>> q2 = pd.Series({"a": "major", "b": "major", "c": "VIP", "e": "small"})
    >>> m = tier_migration(q1, q2, order=order)
    >>> m.matrix
    after   VIP  major  small  lost
    before
    VIP       0      1      0     0
    major     0      1      0     0
    small     1      0      0     1
    new       0      0      1     0
    >>> m.summary[["stayed", "upgraded", "downgraded", "lost", "new"]].tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    before = _labels_series(before, "before")
    after = _labels_series(after, "after")
    if order is not None:
        levels = list(order)
        ordered = True
    else:
        cats = [s.dtype for s in (before, after) if isinstance(s.dtype, pd.CategoricalDtype)]
        if (
            cats
            and all(c.ordered for c in cats)
            and len(cats) == 2
            and list(cats[0].categories) != list(cats[1].categories)
        ):
            raise SchemaError(
                "tier_migration: before and after are ordered categoricals with different "
                "categories; pass order=[best, ..., worst]."
            )
        if len(cats) == 2 and all(c.ordered for c in cats):
            levels = list(cats[0].categories)[::-1]
            ordered = True
        else:
            seen = list(pd.unique(pd.concat([before.astype(object), after.astype(object)])))
            levels = list(cats[0].categories) if cats else []
            levels += [v for v in seen if v not in levels]
            ordered = False
    if len(set(levels)) != len(levels) or {"new", "lost"} & set(levels):
        raise SchemaError(
            f"tier_migration: order={levels!r} must be distinct levels other than 'new' and "
            "'lost' (those name the customers entering and leaving)."
        )
    for name, s in (("before", before), ("after", after)):
        unknown = sorted(set(s.astype(object)) - set(levels), key=str)
        if unknown:
            raise SchemaError(
                f"tier_migration: {name} has labels {unknown} that are not in order="
                f"{levels!r}; add them to order."
            )
    rank = {lab: i for i, lab in enumerate(levels)}  # 0 = best
    ids = before.index.union(after.index, sort=False)
    b = before.astype(object).reindex(ids)
    a = after.astype(object).reindex(ids)
    change = np.full(len(ids), "stayed", dtype=object)
    in_b, in_a = b.notna().to_numpy(), a.notna().to_numpy()
    change[in_b & ~in_a] = "lost"
    change[~in_b & in_a] = "new"
    both = in_b & in_a
    rb = np.array([rank.get(v, -1) for v in b.to_numpy()])
    ra = np.array([rank.get(v, -1) for v in a.to_numpy()])
    if ordered:
        change[both & (ra < rb)] = "upgrade"
        change[both & (ra > rb)] = "downgrade"
    else:
        change[both & (ra != rb)] = "changed"
    moves = pd.DataFrame({"before": b, "after": a, "change": change}, index=ids)

    rows = [*levels, "new"]
    cols = [*levels, "lost"]
    matrix = pd.DataFrame(0, index=pd.Index(rows, name="before"), columns=cols, dtype=np.int64)
    matrix.columns.name = "after"
    row_lab = b.fillna("new").to_numpy()
    col_lab = a.fillna("lost").to_numpy()
    counts = (
        pd.Series(1, index=pd.MultiIndex.from_arrays([row_lab, col_lab]))
        .groupby(level=[0, 1])
        .sum()
    )
    for (r, c), cnt in counts.items():
        matrix.loc[r, c] = int(cnt)

    vc = pd.Series(change).value_counts()
    n_before, n_after = int(in_b.sum()), int(in_a.sum())
    summary = pd.Series(
        {
            "customers_before": n_before,
            "customers_after": n_after,
            "stayed": int(vc.get("stayed", 0)),
            "upgraded": int(vc.get("upgrade", 0)) if ordered else np.nan,
            "downgraded": int(vc.get("downgrade", 0)) if ordered else np.nan,
            "changed": int(vc.get("upgrade", 0) + vc.get("downgrade", 0) + vc.get("changed", 0)),
            "lost": int(vc.get("lost", 0)),
            "new": int(vc.get("new", 0)),
            "retention_rate": (n_before - int(vc.get("lost", 0))) / n_before
            if n_before
            else np.nan,
        },
        dtype=float,
        name="migration",
    )
    return TierMigration(
        matrix=matrix, summary=summary, moves=moves, levels=levels, ordered=ordered
    )
