"""Readable churn rules: a shallow decision tree read as IF-THEN rules.

Beside the probability model (:class:`~crmine.churn.ChurnClassifier`), a
marketer wants rules such as "recency_days > 120 and frequency <= 2 -> 71 %
churn, 640 customers".  :class:`ChurnRules` fits a shallow
:class:`~sklearn.tree.DecisionTreeClassifier` on part of the customers and
turns every leaf into one rule (the conditions on its path, merged per
feature); each rule's **support**, **churn rate** and **lift** are measured on
the **held-out** customers, so a rule that only describes noise of the
training rows shows it.  The rules partition the customers: every customer
matches exactly one rule.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from crmine.base import Integral, Interval, Real, Result, StrOptions, _fit_context, on_customers
from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._validation import (
    check_binary,
    check_is_fitted,
    customer_frame,
    read_customer_table,
    show_values,
    to_pandas,
)

__all__ = ["ChurnRuleList", "ChurnRules", "churn_rules"]


@dataclass(frozen=True, repr=False)
class ChurnRuleList(Result):
    """Churn rules with their support, churn rate and lift (see :class:`ChurnRules`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per rule (index ``rule``, 0 = highest churn rate): ``rule``
        (the text), ``customers`` (held-out customers matching it),
        ``support`` (their share), ``churners``, ``churn_rate``, ``lift``
        (churn rate / overall churn rate), ``train_customers`` and
        ``train_churn_rate`` (on the rows the tree was fitted on).  A rule no
        held-out customer matches has ``churn_rate`` and ``lift`` NaN.
    n_customers : int
        Customers the rules were evaluated on.
    churn_rate : float
        Their overall churn rate.
    evaluated_on : str
        ``"held-out customers"`` or ``"training customers"``.

    Examples
    --------
    >>> import pandas as pd
    >>> rules = ChurnRuleList(
    ...     table=pd.DataFrame({"rule": ["recency_days > 120"], "churn_rate": [0.7]}),
    ...     n_customers=10,
    ...     churn_rate=0.3,
    ...     evaluated_on="held-out customers",
    ... )
    >>> rules
    ChurnRuleList(n_customers=10, churn_rate=0.3, evaluated_on='held-out customers', table=1x2)
    """

    n_customers: int
    churn_rate: float
    evaluated_on: str

    def to_text(self) -> str:
        """The rules as lines a marketer reads ("IF ... THEN 71% churn, 640 customers")."""
        lines = []
        for _, r in self.table.iterrows():
            rate = "n/a" if pd.isna(r["churn_rate"]) else f"{r['churn_rate']:.0%}"
            lift = "" if pd.isna(r["lift"]) else f", lift {r['lift']:.2f}"
            lines.append(
                f"IF {r['rule']} THEN {rate} churn ({int(r['customers'])} customers{lift})"
            )
        return "\n".join(lines)

    def plot(self, *, ax: Any = None) -> Any:
        """Bar chart of the rules' churn rates (see :func:`crmine.plotting._evaluation`)."""
        from crmine.plotting._evaluation import plot_churn_rules

        return plot_churn_rules(self, ax=ax)


def _shown_thresholds(
    tree: Any, train_values: np.ndarray, integer: list[bool]
) -> tuple[np.ndarray, list[str]]:
    """Per node, the threshold the rule text shows, as a number and as text.

    The text is the rule: :meth:`ChurnRules.apply` compares with these
    numbers, so that a customer matches the rule its text describes (a
    threshold printed to 4 digits, ``b > -1.173`` for the tree's ``-1.17312``,
    sent customers with ``b = -1.1731`` to the other rule).  Each is the
    shortest decimal, from 4 significant digits on (integer-valued features:
    the integer part), that splits the training customers exactly as the
    tree does (the tree compares float32 values), so the fitted partition is
    unchanged; failing that, the largest training value on the left.
    """
    t = tree.tree_
    shown = t.threshold.astype(np.float64).copy()
    texts = [""] * t.node_count
    for node in np.flatnonzero(t.children_left != t.children_right):
        j, thr = int(t.feature[node]), float(t.threshold[node])
        x = train_values[:, j]
        left = x.astype(np.float32) <= thr
        lo = float(x[left].max()) if left.any() else -np.inf
        hi = float(x[~left].min()) if not left.all() else np.inf
        candidates = [f"{int(np.floor(thr)):d}"] if integer[j] else []
        candidates += [f"{thr:.{digits}g}" for digits in range(4, 18)]
        text = next((c for c in candidates if lo <= float(c) < hi), repr(lo))
        shown[node], texts[node] = float(text), text
    return shown, texts


def _tree_rules(tree: Any, names: list[str], texts: list[str], shown: np.ndarray) -> dict[int, str]:
    """Leaf id -> rule text: the path's conditions, merged to one interval per feature."""
    t = tree.tree_
    out: dict[int, str] = {}
    # per feature on the path: (lower bound node, upper bound node), -1 = none
    stack: list[tuple[int, dict[int, tuple[int, int]]]] = [(0, {})]
    while stack:
        node, bounds = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == right:  # a leaf
            parts = []
            for j in sorted(bounds):
                lo, hi = bounds[j]
                if lo >= 0:
                    parts.append(f"{names[j]} > {texts[lo]}")
                if hi >= 0:
                    parts.append(f"{names[j]} <= {texts[hi]}")
            out[node] = " and ".join(parts) if parts else "all customers"
            continue
        j = int(t.feature[node])
        lo, hi = bounds.get(j, (-1, -1))
        new_lo = node if lo < 0 or shown[node] > shown[lo] else lo
        new_hi = node if hi < 0 or shown[node] < shown[hi] else hi
        stack.append((right, {**bounds, j: (new_lo, hi)}))
        stack.append((left, {**bounds, j: (lo, new_hi)}))
    return out


def _leaves(tree: Any, shown: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Leaf of every row, the tree walked with the shown thresholds (``x <= shown``: left)."""
    t = tree.tree_
    left, right, feature = t.children_left, t.children_right, t.feature
    node = np.zeros(len(values), dtype=np.intp)
    active = np.flatnonzero(left[node] != right[node])
    while len(active):
        at = node[active]
        go_left = values[active, feature[at]] <= shown[at]
        node[active] = np.where(go_left, left[at], right[at])
        active = active[left[node[active]] != right[node[active]]]
    return node


class ChurnRules(BaseEstimator):
    """Readable churn rules from a shallow decision tree, evaluated on held-out customers.

    ``fit`` holds out ``holdout`` of the customers (stratified by the label),
    fits a :class:`~sklearn.tree.DecisionTreeClassifier` of depth
    ``max_depth`` with at least ``min_samples_leaf`` customers per leaf on the
    others, and turns each leaf into a rule: the conditions on its path,
    merged into one interval per feature (``"recency_days > 120 and
    frequency <= 2"``; thresholds of integer-valued features are shown as
    integers, ``frequency <= 2`` for the tree's ``2.5``; others by the
    shortest decimal from 4 digits on that splits the training customers as
    the tree does).  The text is the rule: :meth:`apply` and the evaluation
    compare with the thresholds as shown, so every customer matches the rule
    its text describes (``table.eval(rule)``).  Each rule's
    support, churn rate and lift are measured on the held-out customers.

    Parameters
    ----------
    features : list of str or None, default=None
        Numeric columns the rules may use; ``None`` uses every numeric or
        boolean column of the table except ``churn_col``.
    churn_col : str, default="churned"
        Column of the label when ``fit`` gets no ``y`` (the name
        :func:`crmine.churn.churn_labels` writes).
    max_depth : int, default=3
        Conditions per rule at most (a rule list of at most ``2**max_depth``
        rules).
    min_samples_leaf : int or float, default=0.05
        Customers per rule at least (a float is a share of the training
        customers): no rule for a handful of customers.
    holdout : float in (0, 1) or None, default=0.3
        Share of customers held out to evaluate the rules; ``None`` evaluates
        on the training customers (optimistic).
    class_weight : {"balanced"} or None, default=None
        Passed to the tree.
    random_state : int, RandomState instance or None, default=None
        Seeds the hold-out split and the tree.

    Attributes
    ----------
    rules_ : ChurnRuleList
        The rules and their statistics (``.table``, ``.to_text()``, ``.plot()``).
    tree_ : sklearn.tree.DecisionTreeClassifier
        The fitted tree.
    features_ : list of str
        Features the rules may use.
    n_features_in_ : int
        Number of columns of the table seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names.

    See Also
    --------
    churn_rules : the one-liner.
    ChurnClassifier : the probability model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"recency_days": rng.integers(0, 365, 2000),
    ...                   "frequency": rng.integers(1, 10, 2000)})
    >>> risky = (X["recency_days"] > 120) & (X["frequency"] <= 2)
    >>> y = (rng.random(2000) < np.where(risky, 0.8, 0.1)).astype(int)
    >>> rules = ChurnRules(max_depth=2, random_state=0).fit(X, y).rules_
    >>> rules.table.loc[0, "rule"]
    'recency_days > 120 and frequency <= 2'
    """

    _parameter_constraints: dict = {
        "features": [list, tuple, None],
        "churn_col": [str],
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "min_samples_leaf": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 0.5, closed="neither"),
        ],
        "holdout": [Interval(Real, 0, 1, closed="neither"), None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        features: list[str] | None = None,
        churn_col: str = "churned",
        max_depth: int = 3,
        min_samples_leaf: int | float = 0.05,
        holdout: float | None = 0.3,
        class_weight: str | dict | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.features = features
        self.churn_col = churn_col
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.holdout = holdout
        self.class_weight = class_weight
        self.random_state = random_state

    def _read(self, X: Any, y: Any, *, fit: bool) -> tuple[pd.DataFrame, np.ndarray | None]:
        X = customer_frame(X, name="X", allow_arrays=False)
        if fit:
            if self.features is not None:
                features = list(self.features)
            else:
                numeric = [
                    c
                    for c in X.columns
                    if c != self.churn_col
                    and (
                        pd.api.types.is_numeric_dtype(X[c].dtype)
                        or pd.api.types.is_bool_dtype(X[c].dtype)
                    )
                ]
                gaps = [c for c in numeric if X[c].isna().any()]
                if gaps:
                    warnings.warn(
                        f"ChurnRules: column(s) {show_values(gaps, 8)} have missing values and "
                        "are not used by the rules (a rule must hold for every customer). "
                        "Fill them and name them in features=[...] to use them.",
                        DataWarning,
                        stacklevel=4,
                    )
                features = [c for c in numeric if c not in gaps]
                if not features:
                    raise SchemaError(
                        f"ChurnRules found no numeric column in the customer table (columns: "
                        f"{show_values(list(X.columns), 12)}). Fix: pass features=[...] naming "
                        "numeric columns (crmine.TransactionFeatures builds them)."
                    )
        else:
            features = self.features_
        missing = [c for c in features if c not in X.columns]
        if missing:
            raise SchemaError(
                f"ChurnRules: feature column(s) {show_values(missing)} not found in the customer "
                f"table (columns: {show_values(list(X.columns), 12)}). Fix: features=[...] "
                "naming existing numeric columns."
            )
        columns = {str(c): c for c in features}
        if y is None and fit:
            columns["churn"] = self.churn_col
        table, _ = read_customer_table(
            X, columns, estimator=self if fit else None, reset=fit, what="ChurnRules"
        )
        labels = None
        if fit:
            if y is None:
                labels = check_binary(table.pop("churn"), name=self.churn_col)
            else:
                y = to_pandas(y, name="y")
                labels = check_binary(y, name="y")
                if len(labels) != len(table):
                    raise SchemaError(
                        f"y has {len(labels)} labels but the customer table has "
                        f"{len(table)} rows; pass one 0/1 label per customer."
                    )
            if labels.min() == labels.max():
                raise SchemaError(
                    f"the churn label has one class only ({int(labels[0])}) among "
                    f"{len(labels)} customers; rules need churners and non-churners."
                )
        return table, labels

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> ChurnRules:
        """Fit the tree on part of the customers and evaluate its rules on the rest.

        Parameters
        ----------
        X : table of shape (n_customers, n_columns)
            Customer table (pandas, polars or pyarrow), read by column name.
        y : array-like of shape (n_customers,), optional
            0/1 churn label; default: the ``churn_col`` column of ``X``.

        Returns
        -------
        ChurnRules
            The fitted estimator.
        """
        from sklearn.model_selection import train_test_split
        from sklearn.tree import DecisionTreeClassifier
        from sklearn.utils import check_random_state

        if self.features is not None and not len(self.features):
            raise SchemaError("features is empty; name at least one numeric column.")
        table, y01 = self._read(X, y, fit=True)
        self.features_ = list(table.columns)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        n = len(table)
        evaluated_on = "training customers"
        train = test = np.arange(n)
        if self.holdout is not None:
            counts = np.bincount(y01, minlength=2)
            n_test = int(np.ceil(self.holdout * n))
            if counts.min() >= 2 and 2 <= n_test <= n - 2:
                train, test = train_test_split(
                    np.arange(n), test_size=self.holdout, stratify=y01, random_state=seed
                )
                evaluated_on = "held-out customers"
            else:
                raise SchemaError(
                    f"too few customers ({n}, {int(counts[1])} churners) to hold out "
                    f"holdout={self.holdout} of them; pass more customers or holdout=None "
                    "(rules evaluated on the training customers)."
                )
        values = table.to_numpy(dtype=np.float64)
        tree = DecisionTreeClassifier(
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            class_weight=self.class_weight,
            random_state=seed,
        ).fit(values[train], y01[train])
        integer = [
            bool(np.all(values[:, j] == np.round(values[:, j]))) for j in range(values.shape[1])
        ]
        shown, shown_text = _shown_thresholds(tree, values[train], integer)
        texts = _tree_rules(tree, self.features_, shown_text, shown)
        self.tree_ = tree
        self._shown = shown
        self._leaves = np.array(sorted(texts))
        self._texts = texts
        self.rules_ = self._evaluate(
            values[test], y01[test], evaluated_on, values[train], y01[train]
        )
        return self

    def _evaluate(
        self,
        values: np.ndarray,
        y01: np.ndarray,
        evaluated_on: str,
        train_values: np.ndarray | None = None,
        train_y: np.ndarray | None = None,
    ) -> ChurnRuleList:
        leaves = self._leaves
        pos = np.full(self.tree_.tree_.node_count, -1, dtype=np.int64)
        pos[leaves] = np.arange(len(leaves))
        idx = pos[_leaves(self.tree_, self._shown, values)]
        customers = np.bincount(idx, minlength=len(leaves))
        churners = np.bincount(idx, weights=y01, minlength=len(leaves))
        overall = float(y01.mean())
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(customers > 0, churners / np.maximum(customers, 1), np.nan)
            lift = rate / overall if overall > 0 else np.full(len(leaves), np.nan)
        table = pd.DataFrame(
            {
                "rule": [self._texts[leaf] for leaf in leaves],
                "customers": customers,
                "support": customers / len(y01),
                "churners": churners.astype(np.int64),
                "churn_rate": rate,
                "lift": lift,
            }
        )
        if train_values is not None:
            tidx = pos[_leaves(self.tree_, self._shown, train_values)]
            tn = np.bincount(tidx, minlength=len(leaves))
            tc = np.bincount(tidx, weights=train_y, minlength=len(leaves))
            table["train_customers"] = tn
            table["train_churn_rate"] = tc / np.maximum(tn, 1)
        order = np.lexsort((-table["customers"].to_numpy(), -np.nan_to_num(rate, nan=-1.0)))
        table = table.iloc[order].reset_index(drop=True)
        table.index.name = "rule_id"
        self._order = leaves[order]
        return ChurnRuleList(
            table=table, n_customers=int(len(y01)), churn_rate=overall, evaluated_on=evaluated_on
        )

    def evaluate(self, X: Any, y: Any = None) -> ChurnRuleList:
        """The rules' support, churn rate and lift on other labelled customers.

        E.g. customers of a later cutoff (out of time).  Rule numbers follow
        the churn rate on these customers.

        Parameters
        ----------
        X : table of shape (n_customers, n_columns)
            Customer table with the ``features_`` columns.
        y : array-like of shape (n_customers,), optional
            0/1 churn label; default: the ``churn_col`` column of ``X``.

        Returns
        -------
        ChurnRuleList
        """
        check_is_fitted(self, "tree_")
        table, y01 = self._read_labelled(X, y)
        order = self._order  # rule numbers of rules_ (used by apply) stay as fitted
        result = self._evaluate(table.to_numpy(dtype=np.float64), y01, "given customers")
        self._order = order
        return result

    def _read_labelled(self, X: Any, y: Any) -> tuple[pd.DataFrame, np.ndarray]:
        X = customer_frame(X, name="X", allow_arrays=False)
        columns = {c: c for c in self.features_}
        if y is None:
            columns["churn"] = self.churn_col
        table, _ = read_customer_table(X, columns, what="ChurnRules")
        if y is None:
            y01 = check_binary(table.pop("churn"), name=self.churn_col)
        else:
            y01 = check_binary(to_pandas(y, name="y"), name="y")
            if len(y01) != len(table):
                raise SchemaError(
                    f"y has {len(y01)} labels but the table has {len(table)} rows; pass one "
                    "0/1 label per customer."
                )
        return table, y01

    def apply(self, X: Any) -> Any:
        """Number of the rule each customer matches (``rules_.table`` index), on the customer index.

        Parameters
        ----------
        X : table of shape (n_customers, n_columns)
            Customer table with the ``features_`` columns.

        Returns
        -------
        pandas.Series
            ``rule_id`` per customer.
        """
        check_is_fitted(self, "tree_")
        X = customer_frame(X, name="X", allow_arrays=False)
        table, values = read_customer_table(X, {c: c for c in self.features_}, what="ChurnRules")
        rank = np.full(self.tree_.tree_.node_count, -1, dtype=np.int64)
        rank[self._order] = np.arange(len(self._order))
        ids = rank[_leaves(self.tree_, self._shown, values)]
        return on_customers(ids, table.index, "rule_id")


def churn_rules(
    customers: Any,
    y: Any = None,
    *,
    churn_col: str = "churned",
    features: list[str] | None = None,
    max_depth: int = 3,
    min_samples_leaf: int | float = 0.05,
    holdout: float | None = 0.3,
    random_state: int | np.random.RandomState | None = None,
) -> ChurnRuleList:
    """Readable churn rules in one call (see :class:`ChurnRules`).

    Parameters
    ----------
    customers : table
        Customer table (index = customer id), with the label in ``churn_col``
        unless ``y`` is given.
    y : array-like, optional
        0/1 churn label per customer.
    churn_col : str, default="churned"
        Column of the label when ``y`` is not given.
    features : list of str, optional
        Columns the rules may use (default: every numeric column).
    max_depth : int, default=3
        Conditions per rule at most.
    min_samples_leaf : int or float, default=0.05
        Customers per rule at least (float: share).
    holdout : float or None, default=0.3
        Share of customers held out to evaluate the rules.
    random_state : int, RandomState instance or None, default=None
        Seeds the split and the tree.

    Returns
    -------
    ChurnRuleList
        ``.table`` (one row per rule: text, customers, support, churn rate,
        lift on the held-out customers), ``.to_text()``, ``.plot(ax=)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> table = pd.DataFrame({"recency_days": rng.integers(0, 365, 1000)})
    >>> table["churned"] = (rng.random(1000) < np.where(table["recency_days"] > 180, 0.9, 0.1))
    >>> rules = churn_rules(table.astype(int), max_depth=1, random_state=0)
    >>> print(rules.to_text())
    IF recency_days > 180 THEN 88% churn (138 customers, lift 1.85)
    IF recency_days <= 180 THEN 13% churn (162 customers, lift 0.27)
    """
    est = ChurnRules(
        features=features,
        churn_col=churn_col,
        max_depth=max_depth,
        min_samples_leaf=min_samples_leaf,
        holdout=holdout,
        random_state=random_state,
    )
    return est.fit(customers, y).rules_
