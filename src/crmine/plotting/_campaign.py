"""Campaign figures: arm comparison, gains and lift, Qini and uplift curves, profit."""

from __future__ import annotations

from typing import Any

import numpy as np

from crmine.plotting._common import get_axes

__all__ = [
    "plot_arm_comparison",
    "plot_campaign_profit",
    "plot_qini_curve",
    "plot_response_gains",
    "plot_uplift_by_percentile",
    "plot_uplift_curve",
]


def _axes(ax: Any, figsize: tuple[float, float] = (6.0, 4.5)) -> Any:
    return get_axes(ax, figsize)


def plot_arm_comparison(summary: Any, *, metric: str = "response_rate", ax: Any = None) -> Any:
    """Bar chart of each arm's response rate (or lift) with its interval.

    Parameters
    ----------
    summary : ResponseSummary or pandas.DataFrame
        Result of :func:`crmine.campaign.response_summary` (or its ``table``).
    metric : {"response_rate", "lift_abs", "lift_rel", "revenue_per_customer"}
        Column to draw; its ``_low``/``_high`` columns give the error bars.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.campaign import response_summary
    >>> df = pd.DataFrame({"arm": ["a"] * 50 + ["b"] * 50, "y": [1, 0] * 50})
    >>> ax = plot_arm_comparison(response_summary(df, "arm", "y", control="b"))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['b', 'a']
    """
    table = getattr(summary, "table", summary)
    for col in (metric, f"{metric}_low", f"{metric}_high"):
        if col not in table.columns:
            raise ValueError(
                f"column {col!r} not in the summary; metric must be one of 'response_rate', "
                "'lift_abs', 'lift_rel' or 'revenue_per_customer' (with value_col)."
            )
    data = table[[metric, f"{metric}_low", f"{metric}_high"]].dropna()
    ax = _axes(ax)
    pos = np.arange(len(data))
    val = data[metric].to_numpy(float)
    err = np.vstack(
        [val - data[f"{metric}_low"].to_numpy(float), data[f"{metric}_high"].to_numpy(float) - val]
    )
    ax.bar(pos, val, yerr=err, capsize=6, color="#4C72B0", alpha=0.85)
    ax.set_xticks(pos)
    ax.set_xticklabels([str(i) for i in data.index])
    if metric != "response_rate":
        ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel(metric.replace("_", " "))
    alpha = getattr(summary, "alpha", 0.05)
    ax.set_title(f"{metric.replace('_', ' ')} per arm ({100 * (1 - alpha):.0f}% intervals)")
    return ax


def plot_response_gains(
    y_true: Any, y_score: Any, *, kind: str = "gains", n_bins: int = 10, ax: Any = None
) -> Any:
    """Cumulative gains or lift chart of a response model (by score decile).

    Parameters
    ----------
    y_true : array-like
        Observed 0/1 responses.
    y_score : array-like
        Response score, higher = contact first.
    kind : {"gains", "lift"}, default "gains"
        ``"gains"``: share of responders captured vs share contacted, with the
        random diagonal; ``"lift"``: per-bin and cumulative lift.
    n_bins : int, default 10
        Bins of :func:`crmine.evaluation.gains_table`.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_response_gains([1, 0, 1, 0], [0.9, 0.2, 0.8, 0.1], n_bins=2)
    """
    from crmine.evaluation import gains_table

    if kind not in ("gains", "lift"):
        raise ValueError(f"kind must be 'gains' or 'lift', got {kind!r}.")
    table = gains_table(y_true, y_score, n_bins=n_bins)
    ax = _axes(ax)
    share = table["cum_customers"].to_numpy() / table["cum_customers"].iloc[-1]
    if kind == "gains":
        ax.plot(np.r_[0, share], np.r_[0, table["cum_capture"]], marker="o", label="model")
        ax.plot([0, 1], [0, 1], ls="--", color="grey", label="random")
        ax.set_xlabel("share of customers contacted")
        ax.set_ylabel("share of responders captured")
        ax.set_title("Cumulative gains")
    else:
        ax.bar(table["bin"], table["lift"], color="#4C72B0", alpha=0.7, label="bin lift")
        ax.plot(table["bin"], table["cum_lift"], marker="o", color="#C44E52", label="cum. lift")
        ax.axhline(1, ls="--", color="grey")
        ax.set_xlabel("score bin (1 = highest scores)")
        ax.set_ylabel("lift")
        ax.set_title("Lift by bin")
    ax.legend()
    return ax


def _curve_plot(
    kind: str, y_true: Any, y_score: Any, treatment: Any, perfect: bool, ax: Any
) -> Any:
    from crmine.campaign import (
        perfect_qini_curve,
        perfect_uplift_curve,
        qini_auc_score,
        qini_curve,
        uplift_auc_score,
        uplift_curve,
    )

    curve, best, score = (
        (qini_curve, perfect_qini_curve, qini_auc_score)
        if kind == "qini"
        else (uplift_curve, perfect_uplift_curve, uplift_auc_score)
    )
    ax = _axes(ax)
    x, v = curve(y_true, y_score, treatment)
    ax.plot(x, v, label=f"model ({kind} AUC = {score(y_true, y_score, treatment):.3f})")
    if perfect:
        xp, vp = best(y_true, treatment)
        ax.plot(xp, vp, color="green", alpha=0.6, label="perfect")
    ax.plot([0, x[-1]], [0, v[-1]], ls="--", color="grey", label="random")
    ax.set_xlabel("customers targeted (by descending predicted uplift)")
    ax.set_ylabel("incremental responders")
    ax.set_title("Qini curve" if kind == "qini" else "Uplift curve")
    ax.legend()
    return ax


def plot_qini_curve(
    y_true: Any, y_score: Any, treatment: Any, *, perfect: bool = True, ax: Any = None
) -> Any:
    """Qini curve of a model, with the random line and (optionally) the perfect curve.

    Parameters
    ----------
    y_true, y_score, treatment : array-like
        As :func:`crmine.campaign.qini_curve` (``y_score`` = predicted uplift).
    perfect : bool, default True
        Also draw :func:`crmine.campaign.perfect_qini_curve`.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_qini_curve([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0])
    """
    return _curve_plot("qini", y_true, y_score, treatment, perfect, ax)


def plot_uplift_curve(
    y_true: Any, y_score: Any, treatment: Any, *, perfect: bool = True, ax: Any = None
) -> Any:
    """Uplift curve of a model, with the random line and (optionally) the perfect curve.

    Parameters
    ----------
    y_true, y_score, treatment : array-like
        As :func:`crmine.campaign.uplift_curve` (``y_score`` = predicted uplift).
    perfect : bool, default True
        Also draw :func:`crmine.campaign.perfect_uplift_curve`.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_uplift_curve([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0])
    """
    return _curve_plot("uplift", y_true, y_score, treatment, perfect, ax)


def plot_uplift_by_percentile(
    y_true: Any,
    y_score: Any,
    treatment: Any,
    *,
    n_bins: int = 10,
    strategy: str = "overall",
    ax: Any = None,
) -> Any:
    """Observed uplift per bin of predicted uplift, with +-1.96 standard errors.

    Parameters
    ----------
    y_true, y_score, treatment : array-like
        As :func:`crmine.campaign.uplift_by_percentile` (``y_score`` = predicted uplift).
    n_bins : int, default 10
        Number of bins (10 = deciles).
    strategy : {"overall", "by_group"}, default "overall"
        Binning strategy.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> y, u, t = [1, 0, 0, 1] * 5, range(20), [1, 0] * 10
    >>> ax = plot_uplift_by_percentile(y, u, t, n_bins=2)
    """
    from crmine.campaign import uplift_by_percentile

    table = uplift_by_percentile(
        y_true, y_score, treatment, strategy=strategy, n_bins=n_bins, std=True
    )
    ax = _axes(ax)
    pos = np.arange(len(table))
    ax.bar(
        pos,
        table["uplift"],
        yerr=1.96 * table["std_uplift"],
        capsize=4,
        color=np.where(table["uplift"] >= 0, "#4C72B0", "#C44E52"),
    )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(pos)
    ax.set_xticklabels(table.index, rotation=45)
    ax.set_xlabel("percentile of predicted uplift (highest first)")
    ax.set_ylabel("observed uplift (treated - control rate)")
    ax.set_title("Uplift by percentile")
    return ax


def plot_campaign_profit(result: Any, *, ax: Any = None) -> Any:
    """Profit against contact depth, marking the optimum and the budget limit.

    Parameters
    ----------
    result : ContactDepth
        Result of :func:`crmine.campaign.campaign_profit`,
        :func:`crmine.campaign.incremental_profit` or
        :func:`crmine.evaluation.best_contact_depth`.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.campaign import campaign_profit
    >>> res = campaign_profit([1, 0, 0], [0.9, 0.5, 0.1], cost_per_contact=1.0,
    ...                       value_per_response=5.0)
    >>> ax = plot_campaign_profit(res)
    """
    curve = result.curve
    ax = _axes(ax)
    ax.plot(curve["depth"], curve["profit"], label="profit")
    ax.axvline(result.depth, ls="--", color="green", label=f"optimum ({result.depth:.0%})")
    if result.budget is not None and not curve["within_budget"].all():
        limit = curve.loc[curve["within_budget"], "depth"].max()
        ax.axvspan(limit, 1.0, color="grey", alpha=0.2, label="over budget")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("share of customers contacted (by descending score)")
    ax.set_ylabel("profit")
    ax.set_title("Campaign profit")
    ax.legend()
    return ax
