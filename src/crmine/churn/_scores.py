"""The churn one-liner: churn probabilities per customer, a DataFrame on the customer index."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.churn._classifier import ChurnClassifier
from crmine.exceptions import SchemaError
from crmine.utils._validation import check_binary, customer_frame, show_values, to_pandas

__all__ = ["churn_scores"]


def churn_scores(
    customers: Any,
    y: Any = None,
    *,
    churn_col: str = "churned",
    new_customers: Any = None,
    cv: int = 5,
    n_bins: int = 10,
    random_state: int | np.random.RandomState | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Churn probability of each customer in one call (:class:`ChurnClassifier`).

    Without ``new_customers`` the probabilities are **out of fold**: each customer
    is scored by a model fitted on the other folds (stratified ``cv``-fold),
    so they can be evaluated against the label honestly.  With
    ``new_customers`` (a table of other customers, e.g. today's features) the model is fitted on
    all of ``customers`` and those are scored.

    Parameters
    ----------
    customers : table
        Labelled customer table (index = customer id); every column except
        ``churn_col`` is a feature.
    y : array-like of shape (n_customers,), optional
        0/1 churn label; default: the ``churn_col`` column of ``customers``.
    churn_col : str, default="churned"
        Column of the label (the name :func:`churn_labels` writes).
    new_customers : table, optional
        Customers to score (same feature columns); default ``customers``,
        out of fold.
    cv : int, default=5
        Folds of the out-of-fold scores.
    n_bins : int, default=10
        Risk bins of the ``risk_bin`` column (10 = deciles).
    random_state : int, RandomState instance or None, default=None
        Seeds the folds and the model.
    **params
        Other :class:`ChurnClassifier` parameters (``model=``, ...).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``churn_probability`` and ``risk_bin``
        (1 = the ``1 / n_bins`` highest probabilities).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> table = pd.DataFrame(
    ...     {"recency_days": rng.integers(0, 365, 300), "frequency": rng.integers(1, 9, 300)},
    ...     index=pd.Index([f"c{i}" for i in range(300)], name="customer_id"),
    ... )
    >>> table["churned"] = (rng.random(300) < table["recency_days"] / 365).astype(int)
    >>> scores = churn_scores(table, random_state=0)
    >>> scores.columns.tolist(), scores.index.name
    (['churn_probability', 'risk_bin'], 'customer_id')
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    customers = customer_frame(customers, name="customers", allow_arrays=False)
    label_name = churn_col if y is None else "y"
    if y is None:
        if churn_col not in customers.columns:
            raise SchemaError(
                f"churn_scores: churn column {churn_col!r} not found in the customer table "
                f"(columns: {show_values(list(customers.columns), 12)}). Fix: pass y=<labels> "
                "or churn_col=<column name> (crmine.churn_labels builds the table)."
            )
        y = customers[churn_col]
        X = customers.drop(columns=[churn_col])
    else:
        X = customers
    labels = check_binary(to_pandas(y, name="y"), name=label_name)
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise SchemaError(f"n_bins must be a positive integer; got {n_bins!r}.")
    model = ChurnClassifier(random_state=random_state, **params)
    if new_customers is None:
        counts = np.bincount(labels, minlength=2)
        if len(labels) and counts.min() < cv:
            raise SchemaError(
                f"churn_scores needs at least cv={cv} churners and non-churners for "
                f"out-of-fold scores; got {int(counts[1])} churners and {int(counts[0])} "
                "others. Fix: pass more customers or a smaller cv."
            )
        folds = StratifiedKFold(cv, shuffle=True, random_state=_seed(random_state))
        proba = cross_val_predict(model, X, labels, cv=folds, method="predict_proba")[:, 1]
        index = X.index
    else:
        new = customer_frame(new_customers, name="new_customers", allow_arrays=False)
        proba = model.fit(X, labels).predict_proba(new)[:, 1]
        index = new.index
    order = np.argsort(-proba, kind="stable")
    bins = np.empty(len(proba), dtype=np.int64)
    for b, part in enumerate(np.array_split(order, min(n_bins, max(len(proba), 1))), start=1):
        bins[part] = b
    return pd.DataFrame({"churn_probability": proba, "risk_bin": bins}, index=index)


def _seed(random_state: Any) -> int | None:
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
