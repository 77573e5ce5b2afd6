"""Customer-dynamics figures: cohort heatmap and curves, sequences, outliers, multi-arm uplift."""

from __future__ import annotations

from typing import Any

import numpy as np

from crmine.plotting._common import get_axes

__all__ = [
    "plot_cohort_heatmap",
    "plot_retention_curves",
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
    >>> ax.get_title()
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
    ax.set_title(f"{metric.replace('_', ' ')} by cohort (hatched: partial period)")
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
