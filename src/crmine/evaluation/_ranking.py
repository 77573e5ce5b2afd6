"""Gains, lift, KS and the churn report (see :mod:`crmine.evaluation`)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._validation import check_binary, to_pandas

__all__ = [
    "churn_report",
    "cumulative_gains_curve",
    "gains_table",
    "ks_statistic",
    "lift_curve",
    "top_decile_lift",
]


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------
def _check_y_score(
    y_true: Any,
    y_score: Any,
    *,
    require_positive: bool = True,
    require_both_classes: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert ``y_true`` (0/1, the one binary check) and ``y_score`` (finite)."""
    y_raw = to_pandas(y_true, name="y_true")
    if isinstance(y_raw, (list, tuple)) or np.ndim(y_raw) == 2:
        y_raw = np.asarray(y_raw)
        if y_raw.ndim == 2 and y_raw.shape[1] == 1:
            y_raw = y_raw.ravel()
    if np.ndim(y_raw) != 1:
        raise SchemaError(
            f"y_true must be one-dimensional; got shape {np.shape(y_raw)}. Pass one 0/1 "
            "outcome per customer."
        )
    if len(y_raw) == 0:
        raise SchemaError("y_true and y_score are empty; pass at least one customer.")
    y = check_binary(y_raw, name="y_true").astype(np.int64)
    s = np.asarray(to_pandas(y_score, name="y_score"))
    if s.ndim == 2 and s.shape[1] == 1:
        s = s.ravel()
    if s.ndim != 1:
        raise SchemaError(
            f"y_score must be one-dimensional; got shape {s.shape}. Pass one score per "
            "customer (for predict_proba output use proba[:, 1])."
        )
    if len(y) != len(s):
        raise SchemaError(
            f"y_true and y_score must have the same length; got {len(y)} and {len(s)}. "
            "Pass one score per customer, aligned with y_true."
        )
    if len(y) == 0:
        raise SchemaError("y_true and y_score are empty; pass at least one customer.")

    # -- score: finite numbers
    if s.dtype == bool:
        s = s.astype(float)
    if not pd.api.types.is_numeric_dtype(s.dtype):
        raise SchemaError(
            f"y_score must be numeric; got dtype {s.dtype} with values such as "
            f"{pd.unique(pd.Series(s, dtype=object))[:5].tolist()}. "
            "Pass a probability or any numeric ranking score (higher = more likely positive)."
        )
    s = s.astype(float)
    nonfinite = ~np.isfinite(s)
    if nonfinite.any():
        pos = np.flatnonzero(nonfinite)
        raise SchemaError(
            f"y_score must be finite; found {len(pos)} NaN/inf value(s) at position(s) "
            f"{pos[:5].tolist()} (e.g. {s[pos[:3]].tolist()}). "
            "Impute or drop those customers explicitly before evaluating."
        )

    n_pos = int(y.sum())
    if require_both_classes and (n_pos == 0 or n_pos == len(y)):
        only = 1 if n_pos else 0
        raise SchemaError(
            f"y_true contains only one class ({only}) in {len(y)} customers; this metric needs "
            "both positives (1) and negatives (0). Evaluate on a sample that contains both."
        )
    if require_positive and n_pos == 0:
        raise SchemaError(
            f"y_true has no positive (1) among {len(y)} customers; capture and lift are "
            "undefined. Evaluate on a sample that contains positives."
        )
    return y, s


def _descending_order(s: np.ndarray) -> np.ndarray:
    """Return indices sorting ``s`` by descending score, ties kept in input order."""
    return np.argsort(-s, kind="stable")


# ---------------------------------------------------------------------------
# gains and lift
# ---------------------------------------------------------------------------
def gains_table(y_true: Any, y_score: Any, n_bins: int = 10) -> pd.DataFrame:
    """Gains (lift) table: customers ranked by score and cut into equal-size bins.

    Customers are sorted by descending ``score`` (ties broken stably by input
    order) and split into ``n_bins`` bins of (nearly) equal size by rank: the
    first ``n % n_bins`` bins hold one customer more.  Bin 1 holds the highest
    scores.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome, 1 = positive (churned, responded).
    y_score : array-like of shape (n_customers,)
        Finite score, higher = more likely positive.
    n_bins : int, default=10
        Number of bins (10 = deciles).  Must not exceed the number of customers.

    Returns
    -------
    pandas.DataFrame
        One row per bin with columns

        - ``bin``: 1 .. n_bins (1 = highest scores),
        - ``customers``, ``positives``: counts in the bin,
        - ``rate``: positives / customers in the bin,
        - ``cum_customers``, ``cum_positives``: running totals from bin 1,
        - ``cum_capture``: share of all positives captured by bins 1 .. k,
        - ``lift``: bin rate / overall rate,
        - ``cum_lift``: rate of bins 1 .. k / overall rate,
        - ``min_score``, ``max_score``: score range of the bin.

    Raises
    ------
    crmine.exceptions.SchemaError
        Inputs of different lengths, non-binary ``y_true``, non-finite scores,
        no positive at all, or more bins than customers.

    See Also
    --------
    cumulative_gains_curve, top_decile_lift

    Examples
    --------
    >>> from crmine.evaluation import gains_table
    >>> y = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    >>> s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    >>> t = gains_table(y, s, n_bins=5)
    >>> t[["bin", "customers", "positives", "cum_capture", "lift"]]
       bin  customers  positives  cum_capture      lift
    0    1          2          1     0.333333  1.666667
    1    2          2          1     0.666667  1.666667
    2    3          2          1     1.000000  1.666667
    3    4          2          0     1.000000  0.000000
    4    5          2          0     1.000000  0.000000
    """
    y, s = _check_y_score(y_true, y_score)
    n = len(y)
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise SchemaError(f"n_bins must be a positive integer; got {n_bins!r}. Use e.g. n_bins=10.")
    if n_bins > n:
        raise SchemaError(
            f"n_bins={n_bins} exceeds the number of customers ({n}); every bin needs at least "
            f"one customer. Use n_bins <= {n}."
        )
    order = _descending_order(s)
    ys = y[order]
    ss = s[order]
    parts = np.array_split(np.arange(n), n_bins)
    customers = np.array([len(p) for p in parts], dtype=np.int64)
    positives = np.array([int(ys[p].sum()) for p in parts], dtype=np.int64)
    min_score = np.array([ss[p].min() for p in parts])
    max_score = np.array([ss[p].max() for p in parts])
    total_pos = int(y.sum())
    overall = total_pos / n
    rate = positives / customers
    cum_customers = np.cumsum(customers)
    cum_positives = np.cumsum(positives)
    return pd.DataFrame(
        {
            "bin": np.arange(1, n_bins + 1, dtype=np.int64),
            "customers": customers,
            "positives": positives,
            "rate": rate,
            "cum_customers": cum_customers,
            "cum_positives": cum_positives,
            "cum_capture": cum_positives / total_pos,
            "lift": rate / overall,
            "cum_lift": (cum_positives / cum_customers) / overall,
            "min_score": min_score,
            "max_score": max_score,
        }
    )


def cumulative_gains_curve(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative gains curve: share of positives captured vs share contacted.

    Customers are contacted one at a time in descending score order (ties
    broken stably by input order).

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome, 1 = positive.
    y_score : array-like of shape (n_customers,)
        Finite score, higher = more likely positive.

    Returns
    -------
    fraction_contacted : numpy.ndarray of shape (n_customers + 1,)
        ``k / n`` for ``k = 0 .. n``.
    fraction_captured : numpy.ndarray of shape (n_customers + 1,)
        Share of all positives among the first ``k`` customers; starts at 0
        and ends at 1.

    Examples
    --------
    >>> from crmine.evaluation import cumulative_gains_curve
    >>> x, g = cumulative_gains_curve([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.2])
    >>> x.tolist(), g.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.5, 1.0, 1.0, 1.0])
    """
    y, s = _check_y_score(y_true, y_score)
    n = len(y)
    ys = y[_descending_order(s)]
    captured = np.concatenate(([0.0], np.cumsum(ys) / ys.sum()))
    contacted = np.arange(n + 1) / n
    return contacted, captured


def lift_curve(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative lift curve: response rate of the top ``k`` over the overall rate.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome, 1 = positive.
    y_score : array-like of shape (n_customers,)
        Finite score, higher = more likely positive.

    Returns
    -------
    fraction_contacted : numpy.ndarray of shape (n_customers,)
        ``k / n`` for ``k = 1 .. n`` (lift is undefined at 0).
    lift : numpy.ndarray of shape (n_customers,)
        ``(positives in top k / k) / (positives / n)``; ends at 1.

    Examples
    --------
    >>> from crmine.evaluation import lift_curve
    >>> x, lift = lift_curve([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.2])
    >>> lift.tolist()
    [2.0, 2.0, 1.3333333333333333, 1.0]
    """
    y, s = _check_y_score(y_true, y_score)
    n = len(y)
    ys = y[_descending_order(s)]
    k = np.arange(1, n + 1)
    lift = (np.cumsum(ys) / k) / (ys.sum() / n)
    return k / n, lift


def top_decile_lift(y_true: Any, y_score: Any) -> float:
    """Lift of the top 10 % of customers by score (bin 1 of a 10-bin gains table).

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome, 1 = positive.  At least 10 customers.
    y_score : array-like of shape (n_customers,)
        Finite score, higher = more likely positive.

    Returns
    -------
    float
        Positive rate in the top decile divided by the overall positive rate.
        With ``n`` not divisible by 10 the top decile holds ``ceil(n / 10)``
        customers (see :func:`gains_table`).

    Examples
    --------
    >>> from crmine.evaluation import top_decile_lift
    >>> y = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0] * 2
    >>> s = list(range(20, 0, -1))
    >>> top_decile_lift(y, s)
    5.0
    """
    return float(gains_table(y_true, y_score, n_bins=10)["lift"].iloc[0])


def ks_statistic(y_true: Any, y_score: Any) -> float:
    """Kolmogorov-Smirnov statistic between the score distributions of the two classes.

    ``KS = max_t |TPR(t) - FPR(t)|`` over all score thresholds, computed from
    :func:`sklearn.metrics.roc_curve`; it equals the two-sample KS distance
    between the scores of positives and negatives.  0 = no separation,
    1 = perfect separation.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome with both classes present.
    y_score : array-like of shape (n_customers,)
        Finite score.

    Returns
    -------
    float

    Examples
    --------
    >>> from crmine.evaluation import ks_statistic
    >>> ks_statistic([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    0.5
    """
    from sklearn.metrics import roc_curve

    y, s = _check_y_score(y_true, y_score, require_both_classes=True)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    return float(np.max(np.abs(tpr - fpr)))


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------
def churn_report(y_true: Any, y_score: Any) -> pd.Series:
    """One-line summary of a churn (or response) score.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome with both classes present (1 = churned).
    y_score : array-like of shape (n_customers,)
        Predicted churn probability (or any score; Brier score and log loss
        need probabilities in [0, 1] and are ``nan`` otherwise, with a
        :class:`~crmine.exceptions.DataWarning`).

    Returns
    -------
    pandas.Series
        ``n``, ``positive_rate``, ``roc_auc``
        (:func:`sklearn.metrics.roc_auc_score`), ``pr_auc`` (average
        precision, :func:`sklearn.metrics.average_precision_score`),
        ``brier`` (:func:`sklearn.metrics.brier_score_loss`), ``log_loss``
        (:func:`sklearn.metrics.log_loss`), ``top_decile_lift``
        (:func:`top_decile_lift`, needs >= 10 customers, else ``nan``) and
        ``ks`` (:func:`ks_statistic`).

    Examples
    --------
    >>> from crmine.evaluation import churn_report
    >>> y = [0, 0, 1, 1] * 5
    >>> p = [0.1, 0.6, 0.4, 0.9] * 5
    >>> r = churn_report(y, p)
    >>> r[["roc_auc", "ks", "brier"]].round(3).tolist()
    [0.75, 0.5, 0.185]
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

    y, s = _check_y_score(y_true, y_score, require_both_classes=True)
    is_proba = bool(s.min() >= 0.0 and s.max() <= 1.0)
    if is_proba:
        brier = float(brier_score_loss(y, s))
        ll = float(log_loss(y, np.clip(s, 1e-15, 1 - 1e-15), labels=[0, 1]))
    else:
        warnings.warn(
            f"score is outside [0, 1] (min {s.min():.4g}, max {s.max():.4g}), so it is not a "
            "probability: brier and log_loss are reported as nan. Pass predict_proba(X)[:, 1] "
            "for a calibrated score.",
            DataWarning,
            stacklevel=2,
        )
        brier = ll = float("nan")
    n = len(y)
    return pd.Series(
        {
            "n": float(n),
            "positive_rate": float(y.mean()),
            "roc_auc": float(roc_auc_score(y, s)),
            "pr_auc": float(average_precision_score(y, s)),
            "brier": brier,
            "log_loss": ll,
            "top_decile_lift": top_decile_lift(y, s) if n >= 10 else float("nan"),
            "ks": ks_statistic(y, s),
        },
        name="churn_report",
    )
