"""Figures for churn and score evaluation: ROC, gains, lift, calibration, importances."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.plotting._common import get_axes

__all__ = [
    "plot_roc_curve",
    "plot_cumulative_gains",
    "plot_lift_by_decile",
    "plot_calibration",
    "plot_feature_importances",
    "plot_churn_rules",
]


def _axes(ax: Any, figsize: tuple[float, float] = (6.0, 5.0)) -> Any:
    return get_axes(ax, figsize)


def plot_roc_curve(y_true: Any, y_score: Any, *, ax: Any = None, label: str | None = None) -> Any:
    """Plot the ROC curve of a score, with its AUC in the legend.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome (1 = churned) with both classes present.
    y_score : array-like of shape (n_customers,)
        Score, higher = more likely positive.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    label : str, optional
        Legend label of the curve (default ``"model"``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.plotting import plot_roc_curve
    >>> ax = plot_roc_curve([0, 1, 0, 1], [0.1, 0.8, 0.4, 0.6])
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    from crmine.evaluation._ranking import _check_y_score

    y, s = _check_y_score(y_true, y_score, require_both_classes=True)
    fpr, tpr, _ = roc_curve(y, s)
    ax = _axes(ax)
    ax.plot(fpr, tpr, label=f"{label or 'model'} (AUC = {roc_auc_score(y, s):.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_title("ROC curve")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right")
    return ax


def plot_cumulative_gains(
    y_true: Any, y_score: Any, *, ax: Any = None, label: str | None = None
) -> Any:
    """Plot the cumulative gains curve with the random and perfect references.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome (1 = positive).
    y_score : array-like of shape (n_customers,)
        Score, higher = more likely positive.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    label : str, optional
        Legend label of the curve (default ``"model"``).

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    crmine.evaluation.cumulative_gains_curve

    Examples
    --------
    >>> from crmine.plotting import plot_cumulative_gains
    >>> ax = plot_cumulative_gains([0, 1, 0, 1], [0.1, 0.8, 0.4, 0.6])
    """
    from crmine.evaluation import cumulative_gains_curve
    from crmine.evaluation._ranking import _check_y_score

    y, s = _check_y_score(y_true, y_score)
    x, g = cumulative_gains_curve(y, s)
    rate = y.mean()
    ax = _axes(ax)
    ax.plot(x, g, label=label or "model")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    ax.plot([0, rate, 1], [0, 1, 1], linestyle=":", color="black", label="perfect")
    ax.set_xlabel("Share of customers contacted (by descending score)")
    ax.set_ylabel("Share of positives captured")
    ax.set_title("Cumulative gains")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right")
    return ax


def plot_lift_by_decile(y_true: Any, y_score: Any, *, n_bins: int = 10, ax: Any = None) -> Any:
    """Bar chart of the lift of each score bin (bin 1 = highest scores).

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome (1 = positive).
    y_score : array-like of shape (n_customers,)
        Score, higher = more likely positive.
    n_bins : int, default=10
        Number of bins (deciles by default), as in
        :func:`crmine.evaluation.gains_table`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.plotting import plot_lift_by_decile
    >>> ax = plot_lift_by_decile([0, 1] * 10, range(20))
    """
    from crmine.evaluation import gains_table

    table = gains_table(y_true, y_score, n_bins=n_bins)
    ax = _axes(ax)
    ax.bar(table["bin"], table["lift"], color="tab:blue", label="lift of the bin")
    ax.plot(table["bin"], table["cum_lift"], marker="o", color="tab:orange", label="cumulative")
    ax.axhline(1.0, linestyle="--", color="grey", label="random")
    ax.set_xticks(table["bin"].tolist())
    ax.set_xlabel("Score bin (1 = highest scores)")
    ax.set_ylabel("Lift (bin rate / overall rate)")
    ax.set_title("Lift by bin")
    ax.legend(loc="upper right")
    return ax


def plot_calibration(
    y_true: Any,
    y_score: Any,
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
    ax: Any = None,
    label: str | None = None,
) -> Any:
    """Reliability diagram: observed rate against mean predicted probability per bin.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome (1 = positive).
    y_score : array-like of shape (n_customers,)
        Predicted probability of the positive class, in [0, 1].
    n_bins : int, default=10
        Number of bins.
    strategy : {"quantile", "uniform"}, default="quantile"
        Bins of equal size or of equal width
        (:func:`sklearn.calibration.calibration_curve`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    label : str, optional
        Legend label of the curve (default ``"model"``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.plotting import plot_calibration
    >>> ax = plot_calibration([0, 1] * 10, [0.2, 0.7] * 10, n_bins=2)
    """
    from sklearn.calibration import calibration_curve

    from crmine.evaluation._ranking import _check_y_score
    from crmine.exceptions import SchemaError

    y, p = _check_y_score(y_true, y_score, require_both_classes=True)
    if p.min() < 0 or p.max() > 1:
        raise SchemaError(
            f"y_score must be probabilities in [0, 1]; got values from {p.min():.4g} to "
            f"{p.max():.4g}. Pass predict_proba(X)[:, 1]."
        )
    frac, mean_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    ax = _axes(ax)
    ax.plot(mean_pred, frac, marker="o", label=label or "model")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    ax.set_xlabel("Mean predicted probability")
    ax.set_ylabel("Observed positive rate")
    ax.set_title("Calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    return ax


def plot_feature_importances(importances: Any, *, top: int = 20, ax: Any = None) -> Any:
    """Horizontal bar chart of feature importances, largest on top.

    Parameters
    ----------
    importances : pandas.Series, PermutationImportance or fitted ChurnClassifier
        Importances indexed by feature name, the result of
        :meth:`crmine.churn.ChurnClassifier.permutation_importance`, or an
        estimator with ``feature_importances_`` (and
        ``feature_importances_std_``, drawn as error bars, when present).
    top : int, default=20
        Number of features shown.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting import plot_feature_importances
    >>> ax = plot_feature_importances(pd.Series({"tenure": 0.2, "contract": 0.1}))
    """
    std = None
    table = getattr(importances, "table", None)
    if isinstance(table, pd.DataFrame) and "importance" in table.columns:
        std = table.get("importance_std")
        importances = table["importance"]
    elif hasattr(importances, "feature_importances_"):
        std = getattr(importances, "feature_importances_std_", None)
        importances = importances.feature_importances_
    imp = pd.Series(importances, dtype=float)
    if imp.empty:
        raise ValueError(
            "importances is empty; pass clf.permutation_importance(X_test, y_test) or fit "
            "the model with importance_holdout set."
        )
    order = imp.abs().sort_values(ascending=False).index[:top][::-1]
    err = None if std is None else pd.Series(std, dtype=float).reindex(order).to_numpy()
    ax = _axes(ax, figsize=(6.0, max(2.5, 0.3 * len(order) + 1)))
    ax.barh(np.arange(len(order)), imp.reindex(order).to_numpy(), xerr=err, color="tab:blue")
    ax.set_yticks(np.arange(len(order)))
    ax.set_yticklabels([str(c) for c in order])
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_xlabel("Importance (drop of held-out ROC AUC when permuted)")
    ax.set_title("Feature importances")
    return ax


def plot_churn_rules(rules: Any, *, top: int = 12, ax: Any = None) -> Any:
    """Horizontal bars of the churn rate of each churn rule, with its number of customers.

    Parameters
    ----------
    rules : ChurnRuleList or fitted ChurnRules
        Result of :func:`crmine.churn.churn_rules` (or ``ChurnRules().fit(...)``).
    top : int, default=12
        Number of rules shown (highest churn rate first, on top).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crmine.churn import churn_rules
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"recency_days": rng.integers(0, 365, 500)})
    >>> t["churned"] = (rng.random(500) < t["recency_days"] / 365).astype(int)
    >>> ax = plot_churn_rules(churn_rules(t, max_depth=2, random_state=0))
    """
    result = getattr(rules, "rules_", rules)
    table = result.table.head(top)
    if table.empty:
        raise ValueError("rules is empty; fit ChurnRules on labelled customers first.")
    ax = _axes(ax, figsize=(7.0, max(2.5, 0.45 * len(table) + 1)))
    pos = np.arange(len(table))[::-1]
    rate = table["churn_rate"].to_numpy(dtype=float)
    ax.barh(pos, np.nan_to_num(rate), color="tab:red", alpha=0.8)
    for p, r, n in zip(pos, rate, table["customers"].to_numpy()):
        text = "n/a" if np.isnan(r) else f"{r:.0%}"
        ax.text(np.nan_to_num(r) + 0.01, p, f"{text} of {int(n):,}", va="center", fontsize=8)
    ax.axvline(result.churn_rate, color="grey", linestyle="--", linewidth=1, label="overall")
    ax.set_yticks(pos)
    ax.set_yticklabels([str(t) for t in table["rule"]], fontsize=8)
    ax.set_xlim(0, 1.15)
    ax.set_xlabel(f"Churn rate ({result.evaluated_on})")
    ax.set_title("Churn rules")
    ax.legend(loc="lower right")
    return ax
