"""Customer-dynamics figures: cohort heatmap and curves, sequences, outliers, multi-arm uplift."""

from __future__ import annotations

from typing import Any

import numpy as np

from crmine.plotting._common import get_axes

__all__ = [
    "plot_arm_qini_curves",
    "plot_cohort_heatmap",
    "plot_outlier_reasons",
    "plot_retention_curves",
    "plot_sequence_rules",
]


def plot_cohort_heatmap(
    cohorts: Any, *, metric: str = "retention", annotate: bool | None = None, ax: Any = None
) -> Any:
    """Heatmap of a cohort metric: cohorts as rows, periods since acquisition as columns.

    Partial cells (the calendar period of the cutoff) are hatched.

    Parameters
    ----------
    cohorts : CohortTable
        Result of :func:`crmine.cohorts.cohort_table`.
    metric : str, default "retention"
        One of :data:`crmine.cohorts.COHORT_METRICS`.
    annotate : bool, optional
        Write the value in each cell; default when there are at most 15 x 15 cells.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.cohorts import cohort_table
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2], "order_id": ["a", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-10"]),
    ...     "amount": [10.0, 5.0, 7.0]})
    >>> ax = plot_cohort_heatmap(cohort_table(log))
    >>> ax.get_title()  # February is not complete at the default cutoff
    'retention by cohort (hatched: partial period)'
    """
    mat = cohorts.matrix(metric)
    partial = cohorts.partial_mask().reindex(index=mat.index, columns=mat.columns, fill_value=False)
    values = mat.to_numpy(dtype=float)
    ax = get_axes(ax, (1.2 + 0.55 * max(mat.shape[1], 4), 1.0 + 0.35 * max(mat.shape[0], 4)))
    masked = np.ma.masked_invalid(values)
    im = ax.imshow(masked, aspect="auto", cmap="Blues", interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, label=metric.replace("_", " "))
    ax.set_xticks(range(mat.shape[1]))
    ax.set_xticklabels([str(c) for c in mat.columns], fontsize=8)
    ax.set_yticks(range(mat.shape[0]))
    ax.set_yticklabels([str(i) for i in mat.index], fontsize=8)
    ax.set_xlabel(f"periods since acquisition ({cohorts.period})")
    ax.set_ylabel("cohort")
    if annotate is None:
        annotate = mat.shape[0] <= 15 and mat.shape[1] <= 15
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 0.0
    for i, j in zip(*np.nonzero(partial.to_numpy())):
        ax.add_patch(
            _rect(j - 0.5, i - 0.5, hatch="///")
        )
    if annotate:
        is_rate = metric == "retention"
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                if np.isfinite(v):
                    text = f"{100 * v:.0f}%" if is_rate else f"{v:,.0f}"
                    ax.text(
                        j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if top and v > 0.6 * top else "black",
                    )
    note = " (hatched: partial period)" if partial.to_numpy().any() else ""
    ax.set_title(f"{metric.replace('_', ' ')} by cohort{note}")
    return ax


def _rect(x: float, y: float, *, hatch: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), 1, 1, fill=False, hatch=hatch, edgecolor="grey", linewidth=0)


def plot_retention_curves(
    cohorts: Any, *, metric: str = "retention", max_cohorts: int = 12, ax: Any = None
) -> Any:
    """One line per cohort of a metric against periods since acquisition.

    Partial periods are left out so that the last point is not a false drop.

    Parameters
    ----------
    cohorts : CohortTable
        Result of :func:`crmine.cohorts.cohort_table`.
    metric : str, default "retention"
        One of :data:`crmine.cohorts.COHORT_METRICS`.
    max_cohorts : int, default 12
        Draw at most this many cohorts (the earliest ones).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.cohorts import cohort_table
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2], "order_id": ["a", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-10"]),
    ...     "amount": [10.0, 5.0, 7.0]})
    >>> ax = plot_retention_curves(cohort_table(log), metric="cumulative_revenue_per_customer")
    >>> len(ax.lines)
    1
    """
    mat = cohorts.matrix(metric)
    partial = cohorts.partial_mask().reindex(index=mat.index, columns=mat.columns, fill_value=False)
    ax = get_axes(ax)
    for label in mat.index[:max_cohorts]:
        row = mat.loc[label].where(~partial.loc[label]).dropna()
        if len(row):
            ax.plot(row.index.to_numpy(), row.to_numpy(dtype=float), marker=".", label=str(label))
    ax.set_xlabel(f"periods since acquisition ({cohorts.period})")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(f"{metric.replace('_', ' ')} per cohort (complete periods)")
    if ax.lines:
        ax.legend(fontsize=7, ncol=2)
    return ax


def plot_sequence_rules(
    rules: Any, *, n: int = 15, metric: str = "lift", labels: Any = None, ax: Any = None
) -> Any:
    """Horizontal bars of the top "A then B" rules by ``metric``.

    Parameters
    ----------
    rules : pandas.DataFrame
        ``SequenceMiner.rules_`` or :func:`crmine.sequences.sequence_rules`.
    n : int, default 15
        Number of rules drawn (the first ``n`` by ``metric``).
    metric : {"lift", "confidence", "support", "hits"}, default "lift"
        Bar length.
    labels : mapping, optional
        Item -> readable label (e.g. product descriptions).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> rules = pd.DataFrame({"antecedent": ["tent", "map"], "consequent": ["stove", "tent"],
    ...                       "lift": [3.0, 1.5], "confidence": [0.6, 0.3]})
    >>> ax = plot_sequence_rules(rules)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['tent -> stove', 'map -> tent']
    """
    if metric not in rules.columns:
        raise ValueError(
            f"metric={metric!r} is not a column of the rules ({list(rules.columns)})."
        )
    top = rules.sort_values(metric, ascending=False, kind="stable").head(n)
    name = (lambda x: str(labels.get(x, x))) if labels is not None else str
    text = [f"{name(a)} -> {name(b)}" for a, b in zip(top["antecedent"], top["consequent"])]
    ax = get_axes(ax, (7.0, 0.8 + 0.32 * max(len(top), 3)))
    pos = np.arange(len(top))
    ax.barh(pos, top[metric].to_numpy(dtype=float), color="#4C72B0", alpha=0.85)
    ax.set_yticks(pos)
    ax.set_yticklabels(text, fontsize=8)
    ax.invert_yaxis()
    if metric == "lift":
        ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_xlabel(metric)
    ax.set_title(f"'A then B' rules by {metric}")
    return ax


def plot_arm_qini_curves(
    y_true: Any, y_score: Any, arm: Any, *, control: Any = 0, ax: Any = None
) -> Any:
    """One Qini curve per treatment arm (each arm against the control), with random lines.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Observed 0/1 outcome.
    y_score : pandas.DataFrame
        Predicted uplift, one column per arm (``MultiArmUplift.predict``).
    arm : array-like of shape (n,)
        Arm label per customer.
    control : object, default 0
        Label of the control arm.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> y = [1, 0, 1, 0, 0, 1]
    >>> arm = ["a", "a", "b", "b", "c", "c"]
    >>> u = pd.DataFrame({"a": [.4, .1, 0, 0, .2, .3], "b": [0, 0, .3, .1, .2, .1]})
    >>> ax = plot_arm_qini_curves(y, u, arm, control="c")
    >>> len(ax.lines)
    4
    """
    from crmine.campaign import qini_curve
    from crmine.campaign._multiarm import qini_by_arm

    table = qini_by_arm(y_true, y_score, arm, control=control)  # arm = treatment labels
    y = np.asarray(y_true).ravel()
    a = np.asarray(arm, dtype=object).ravel()
    ax = get_axes(ax)
    for label in table.index:
        rows = (a == control) | (a == label)
        t = (a[rows] == label).astype(int)
        x, q = qini_curve(y[rows], y_score[label].to_numpy(dtype=float)[rows], t)
        share = x / max(x[-1], 1)
        line = ax.plot(share, q, label=f"{label} (Qini {table.loc[label, 'qini_auc']:.3f})")
        ax.plot([0, 1], [0, q[-1]], ls="--", lw=1, color=line[0].get_color(), alpha=0.6)
    ax.set_xlabel("share of the arm's customers and controls targeted")
    ax.set_ylabel("incremental responders")
    ax.set_title(f"Qini curve per arm (vs {control})")
    ax.legend(fontsize=8)
    return ax


def plot_outlier_reasons(flags: Any, *, ax: Any = None) -> Any:
    """Bar chart of the number of outlier customers per reason, with their share of spend.

    Parameters
    ----------
    flags : pandas.DataFrame
        Output of :func:`crmine.outliers.outlier_customers`.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> flags = pd.DataFrame({"is_outlier": [True, False, True],
    ...                       "reasons": ["wholesale", "", "wholesale; huge_order"],
    ...                       "monetary_total": [900.0, 20.0, 5000.0]})
    >>> ax = plot_outlier_reasons(flags)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['wholesale', 'huge_order']
    """
    out = flags.loc[flags["is_outlier"].to_numpy(dtype=bool)]
    reasons = out["reasons"].str.split("; ").explode()
    counts = reasons.value_counts()
    total = float(flags["monetary_total"].sum()) if "monetary_total" in flags else 0.0
    ax = get_axes(ax)
    pos = np.arange(len(counts))
    bars = ax.bar(pos, counts.to_numpy(), color="#C44E52", alpha=0.85)
    if total > 0:
        for rect, reason in zip(bars, counts.index):
            ids = reasons.index[reasons == reason]
            share = float(flags.loc[ids.unique(), "monetary_total"].sum()) / total
            ax.annotate(f"{100 * share:.1f}% of spend", (rect.get_x() + rect.get_width() / 2,
                        rect.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(pos)
    ax.set_xticklabels([str(r) for r in counts.index])
    ax.set_ylabel("customers flagged")
    ax.set_title(f"Outlier customers by reason ({len(out)} of {len(flags)})")
    return ax
