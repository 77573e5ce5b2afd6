"""Plots for customer value: R x F heatmap, customer pyramid, Lorenz curve, migration."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.plotting._common import get_axes

__all__ = [
    "plot_customer_pyramid",
    "plot_lorenz_curve",
    "plot_migration_heatmap",
    "plot_rfm_heatmap",
]


def _axes(ax: Any, figsize: tuple[float, float] = (6.0, 5.0)) -> Any:
    return get_axes(ax, figsize)


def _annotate_grid(ax: Any, im: Any, data: np.ndarray, fmt: str) -> None:
    """Write each finite cell value in black or white, whichever contrasts."""
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if not np.isfinite(data[i, j]):
                continue
            r, g, b, _ = im.cmap(im.norm(data[i, j]))
            color = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            ax.text(j, i, format(data[i, j], fmt), ha="center", va="center", color=color)


def plot_rfm_heatmap(
    scored: pd.DataFrame,
    *,
    value_col: str | None = None,
    agg: str = "mean",
    ax: Any = None,
    annotate: bool = True,
    show_segments: bool = True,
    cmap: str = "viridis",
) -> Any:
    """Heatmap of the R x F score grid, with the segment map drawn on top.

    Parameters
    ----------
    scored : DataFrame
        Output of :meth:`crmine.value.RFMScorer.transform` (needs ``r_score``
        and ``f_score``; ``segment`` for the segment outlines).
    value_col : str or None, default=None
        Column to aggregate per cell; ``None`` counts customers.
    agg : str, default="mean"
        Aggregation of ``value_col`` (any pandas groupby aggregation name).
    ax : matplotlib Axes or None
        Axes to draw on; a new figure is made when ``None``.
    annotate : bool, default=True
        Write the cell values.
    show_segments : bool, default=True
        Outline the segments and write their names (needs ``segment``).
    cmap : str, default="viridis"
        Colour map.

    Returns
    -------
    matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import RFMScorer
    >>> from crmine.plotting import plot_rfm_heatmap
    >>> customers = pd.DataFrame({"recency_days": [5, 40, 200, 12, 90, 300, 30, 60, 8, 150],
    ...                           "frequency": [9, 3, 1, 6, 2, 1, 4, 2, 7, 1],
    ...                           "monetary_total": [900.0, 120, 15, 500, 60, 20, 300, 80,
    ...                                              700, 30]})
    >>> ax = plot_rfm_heatmap(RFMScorer().fit_transform(customers))
    """
    from crmine.exceptions import SchemaError
    from crmine.utils._validation import to_pandas

    scored = to_pandas(scored, name="scored", allow_arrays=False)
    for col in ("r_score", "f_score", *([value_col] if value_col is not None else [])):
        if col not in scored.columns:
            raise SchemaError(
                f"plot_rfm_heatmap: column {col!r} not found (columns: "
                f"{list(scored.columns)[:12]}); pass the output of RFMScorer.transform"
                + (" and an existing value_col." if value_col is not None else ".")
            )
    ax = _axes(ax)
    r_max = int(scored["r_score"].max()) if len(scored) else 5
    f_max = int(scored["f_score"].max()) if len(scored) else 5
    bins = max(r_max, f_max, 2)
    rows = list(range(bins, 0, -1))
    cols = list(range(1, bins + 1))
    groups = scored.groupby(["r_score", "f_score"])
    cells = groups.size() if value_col is None else groups[value_col].agg(agg)
    grid = cells.unstack("f_score").reindex(index=rows, columns=cols)
    data = grid.to_numpy(dtype=float)
    if value_col is None:
        data = np.nan_to_num(data, nan=0.0)
    im = ax.imshow(data, cmap=cmap, aspect="auto")
    ax.figure.colorbar(im, ax=ax, label="customers" if value_col is None else f"{agg} {value_col}")
    ax.set_xticks(range(len(cols)), [str(c) for c in cols])
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    ax.set_xlabel("frequency score (F)")
    ax.set_ylabel("recency score (R)")
    if annotate:
        _annotate_grid(ax, im, data, ".0f" if value_col is None else ".3g")
    if show_segments and "segment" in scored.columns:
        seg = scored.groupby(["r_score", "f_score"], observed=True)["segment"].agg(
            lambda s: s.astype(object).mode().iloc[0]
        )
        names = seg.unstack("f_score").reindex(index=rows, columns=cols).to_numpy(dtype=object)
        for i in range(len(rows)):
            for j in range(len(cols)):
                if j + 1 < len(cols) and names[i, j] != names[i, j + 1]:
                    ax.plot([j + 0.5, j + 0.5], [i - 0.5, i + 0.5], color="white", lw=2.5)
                if i + 1 < len(rows) and names[i, j] != names[i + 1, j]:
                    ax.plot([j - 0.5, j + 0.5], [i + 0.5, i + 0.5], color="white", lw=2.5)
        for name in pd.unique(names.ravel()):
            if name is None or (isinstance(name, float) and np.isnan(name)):
                continue
            ii, jj = np.nonzero(names == name)
            ax.text(
                jj.mean(),
                ii.mean() + 0.3,
                str(name),
                ha="center",
                va="center",
                fontsize=7,
                color="white",
                fontweight="bold",
            )
    title = f"{agg} {value_col} by R x F" if value_col is not None else None
    ax.set_title(title or "Customers on the R x F grid")
    return ax


def plot_customer_pyramid(
    summary: Any,
    *,
    ax: Any = None,
    colors: list[str] | None = None,
    to_scale: bool = True,
) -> Any:
    """Draw the customer pyramid: one band per tier, top tier at the apex.

    With ``to_scale=True`` (the default) the area of each band is its share
    of customers (a band that holds 1% of the customers covers 1% of the
    triangle), so small top tiers look small; each band is labelled with its
    customer share and value share, the contrast the pyramid is meant to show
    (1% of customers, a third of value).  ``to_scale=False`` draws bands of
    equal height and says "not to scale" in the title.

    Parameters
    ----------
    summary : DataFrame or ValueTierClassifier
        ``ValueTierClassifier.summary_`` (index = tier, top first, with
        ``customer_share`` and ``value_share``) or a fitted classifier.
    ax : matplotlib Axes or None
        Axes to draw on; a new figure is made when ``None``.
    colors : list of str or None
        One colour per tier, top first.
    to_scale : bool, default=True
        Band areas proportional to the customer shares.

    Returns
    -------
    matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting import plot_customer_pyramid
    >>> summary = pd.DataFrame({"customer_share": [0.01, 0.04, 0.15, 0.8],
    ...                         "value_share": [0.3, 0.2, 0.3, 0.2]},
    ...                        index=["VIP", "major", "ordinary", "small"])
    >>> ax = plot_customer_pyramid(summary)
    >>> len(ax.patches)
    4
    """
    from matplotlib.patches import Polygon

    if hasattr(summary, "summary_"):
        summary = summary.summary_
    for col in ("customer_share", "value_share"):
        if col not in summary.columns:
            raise ValueError(
                f"plot_customer_pyramid: column {col!r} not found; pass "
                "ValueTierClassifier.summary_."
            )
    ax = _axes(ax, (7.0, 4.0))
    k = len(summary)
    if colors is None:
        import matplotlib

        cmap = matplotlib.colormaps["YlOrBr_r"]
        colors = [cmap(0.15 + 0.6 * i / max(k - 1, 1)) for i in range(k)]
    shares = np.clip(summary["customer_share"].to_numpy(dtype=float), 0, None)
    if to_scale and shares.sum() > 0:
        # area of the triangle above depth d (apex at depth 0) is d**2: depth = sqrt(cum. share)
        depth = np.sqrt(np.concatenate([[0.0], np.cumsum(shares) / shares.sum()]))
    else:
        depth = np.linspace(0.0, 1.0, k + 1)
    label_y: list[float] = []
    for i, (label, row) in enumerate(summary.iterrows()):
        top, bottom = 1.0 - depth[i], 1.0 - depth[i + 1]
        # half-width of the triangle at height y (apex at y = 1) is (1 - y) / 2
        poly = [
            (0.5 - (1 - top) / 2, top),
            (0.5 + (1 - top) / 2, top),
            (0.5 + (1 - bottom) / 2, bottom),
            (0.5 - (1 - bottom) / 2, bottom),
        ]
        ax.add_patch(Polygon(poly, closed=True, facecolor=colors[i], edgecolor="white", lw=1))
        text = (
            f"{label}\n{row['customer_share']:.1%} of customers, {row['value_share']:.1%} of value"
        )
        # labels right of the triangle, spaced so that thin bands do not overlap
        y = (top + bottom) / 2
        if label_y:
            y = min(y, label_y[-1] - 0.13)
        label_y.append(y)
        ax.annotate(
            text,
            xy=(0.5 + (1 - (top + bottom) / 2) / 2, (top + bottom) / 2),
            xytext=(1.08, y),
            ha="left",
            va="center",
            fontsize=8,
            arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.6},
        )
    ax.set_xlim(0, 1.75)
    ax.set_ylim(min(0.0, min(label_y) - 0.07), 1.02)
    ax.set_axis_off()
    ax.set_title(
        "Customer pyramid (band area = share of customers)"
        if to_scale
        else "Customer pyramid (bands not to scale)"
    )
    return ax


def plot_lorenz_curve(
    values: Any,
    *,
    ax: Any = None,
    mark: float | None = 0.2,
    label: str | None = None,
) -> Any:
    """Plot the Lorenz curve of customer value with the line of equality.

    Parameters
    ----------
    values : array-like of shape (n_customers,)
        Non-negative value per customer.
    ax : matplotlib Axes or None
        Axes to draw on; a new figure is made when ``None``.
    mark : float or None, default=0.2
        Mark the share held by the top ``mark`` fraction of customers.
    label : str or None
        Legend label; defaults to the Gini coefficient.

    Returns
    -------
    matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> from crmine.plotting import plot_lorenz_curve
    >>> ax = plot_lorenz_curve([900.0, 120.0, 15.0, 500.0, 60.0, 20.0])
    """
    from crmine.value import gini, lorenz_curve, top_share

    ax = _axes(ax, (5.0, 5.0))
    curve = lorenz_curve(values)
    g = gini(values)
    ax.plot(
        curve["customer_share"],
        curve["value_share"],
        label=label or f"Lorenz curve (Gini = {g:.3f})",
    )
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="equality")
    if mark is not None:
        share = top_share(values, mark)
        ax.plot([1 - mark, 1 - mark], [0, 1 - share], color="C3", lw=1)
        ax.annotate(
            f"top {mark:.0%} hold {share:.1%}",
            xy=(1 - mark, 1 - share),
            xytext=(0.05, 0.6),
            arrowprops={"arrowstyle": "->", "color": "C3"},
            color="C3",
        )
    ax.set_xlabel("cumulative share of customers (smallest first)")
    ax.set_ylabel("cumulative share of value")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    ax.set_title("Concentration of customer value")
    return ax


def plot_migration_heatmap(
    migration: Any,
    *,
    normalize: bool = False,
    ax: Any = None,
    cmap: str = "Blues",
) -> Any:
    """Heatmap of a tier or segment transition matrix between two periods.

    Parameters
    ----------
    migration : TierMigration or DataFrame
        Result of :func:`crmine.value.tier_migration` or its ``matrix``.
    normalize : bool, default=False
        Show row shares (where each tier's customers went) instead of counts.
    ax : matplotlib Axes or None
        Axes to draw on; a new figure is made when ``None``.
    cmap : str, default="Blues"
        Colour map.

    Returns
    -------
    matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import tier_migration
    >>> from crmine.plotting import plot_migration_heatmap
    >>> q1 = pd.Series(["VIP", "major", "small", "ordinary"], index=list("abcd"))
    >>> q2 = pd.Series(["major", "major", "ordinary", "small"], index=list("abcd"))
    >>> ax = plot_migration_heatmap(tier_migration(q1, q2))
    """
    matrix = migration.matrix if hasattr(migration, "matrix") else migration
    if normalize:
        sums = matrix.sum(axis=1)
        matrix = matrix.div(sums.where(sums > 0), axis=0)
    ax = _axes(ax)
    data = matrix.to_numpy(dtype=float)
    im = ax.imshow(np.nan_to_num(data, nan=0.0), cmap=cmap, aspect="auto")
    ax.figure.colorbar(im, ax=ax, label="share of row" if normalize else "customers")
    ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns])
    ax.set_yticks(range(matrix.shape[0]), [str(r) for r in matrix.index])
    ax.set_xlabel("after")
    ax.set_ylabel("before")
    _annotate_grid(ax, im, data, ".0%" if normalize else ".0f")
    ax.set_title("Migration between periods")
    return ax
