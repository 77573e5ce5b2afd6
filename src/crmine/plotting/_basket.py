"""Figures for market-basket analysis: rule scatter, top rules, item co-occurrence.

Every function takes an optional ``ax=`` (a new figure is made when it is
``None``) and returns the ``Axes`` it drew on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmine.plotting._common import get_axes

__all__ = ["plot_rules_scatter", "plot_top_rules", "plot_item_cooccurrence"]


def _axes(ax: Any, figsize: tuple[float, float] = (6.5, 4.5)) -> Any:
    return get_axes(ax, figsize)


def _rule_label(antecedents: frozenset, consequents: frozenset) -> str:
    def fmt(s: frozenset) -> str:
        return "{" + ", ".join(str(x) for x in sorted(s, key=str)) + "}"

    return f"{fmt(antecedents)} -> {fmt(consequents)}"


def plot_rules_scatter(
    rules: pd.DataFrame,
    *,
    x: str = "support",
    y: str = "confidence",
    color: str = "lift",
    annotate: int = 3,
    ax: Any = None,
) -> Any:
    """Scatter the rules in the support-confidence plane, coloured by lift.

    Parameters
    ----------
    rules : pandas.DataFrame
        Output of :func:`crmine.basket.association_rules`.
    x, y, color : str, default="support", "confidence", "lift"
        Rule columns for the axes and the colour scale.
    annotate : int, default=3
        Label the rules with the highest ``color`` value.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.basket import apriori, association_rules
    >>> from crmine.plotting import plot_rules_scatter
    >>> rules = association_rules(apriori([["a", "b"], ["a"], ["b", "c"]], 0.3), "lift", 0)
    >>> ax = plot_rules_scatter(rules)
    """
    ax = _axes(ax)
    values = rules[color].to_numpy(dtype=float)
    finite = np.where(np.isfinite(values), values, np.nan)
    points = ax.scatter(
        rules[x].to_numpy(dtype=float),
        rules[y].to_numpy(dtype=float),
        c=finite,
        cmap="viridis",
        s=18,
        alpha=0.8,
    )
    ax.figure.colorbar(points, ax=ax, label=color)
    if annotate and len(rules):
        top = rules.assign(_v=finite).nlargest(min(annotate, len(rules)), "_v")
        for _, r in top.iterrows():
            ax.annotate(
                _rule_label(r["antecedents"], r["consequents"]),
                (r[x], r[y]),
                fontsize=7,
                xytext=(4, 4),
                textcoords="offset points",
            )
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    for axis, name in ((ax.xaxis, x), (ax.yaxis, y)):
        # few ticks, shares as percentages: readable at any figure width
        axis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
        if name in ("support", "confidence", "antecedent_support", "consequent_support"):
            axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{len(rules):,} rules: {y} vs {x}, coloured by {color}")
    return ax


def plot_top_rules(rules: pd.DataFrame, *, by: str = "lift", n: int = 10, ax: Any = None) -> Any:
    """Horizontal bars of the ``n`` best rules by a measure.

    Parameters
    ----------
    rules : pandas.DataFrame
        Output of :func:`crmine.basket.association_rules`.
    by : str, default="lift"
        Measure to rank by.
    n : int, default=10
        Number of rules.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.basket import apriori, association_rules
    >>> from crmine.plotting import plot_top_rules
    >>> rules = association_rules(apriori([["a", "b"], ["a"], ["b", "c"]], 0.3), "lift", 0)
    >>> ax = plot_top_rules(rules, n=3)
    """
    ax = _axes(ax, (7.0, 0.35 * max(n, 4) + 1))
    top = rules.nlargest(min(n, len(rules)), by)[::-1]
    labels = [_rule_label(a, c) for a, c in zip(top["antecedents"], top["consequents"])]
    ax.barh(range(len(top)), top[by].to_numpy(dtype=float), color="tab:blue")
    ax.set_yticks(range(len(top)), labels, fontsize=8)
    ax.set_xlabel(by)
    ax.set_title(f"top {len(top)} rules by {by}")
    return ax


def plot_item_cooccurrence(
    data: Any,
    *,
    items: Sequence[Any] | None = None,
    top: int = 12,
    measure: str = "lift",
    schema: Any = None,
    ax: Any = None,
) -> Any:
    """Heatmap of pairwise co-occurrence (lift or count) among the top items.

    Computed from the sparse basket matrix restricted to the chosen items (no
    dense basket table).

    Parameters
    ----------
    data : baskets
        Anything :func:`crmine.basket.as_baskets` accepts.
    items : sequence, optional
        Items to show (default: the ``top`` most frequent).
    top : int, default=12
        Number of items when ``items`` is not given.
    measure : {"lift", "count", "confidence"}, default="lift"
        Cell value: pair lift, pair count, or confidence of row -> column.
    schema : TransactionSchema or dict, optional
        Order and item columns of a transaction log (see
        :func:`crmine.basket.as_baskets`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine.plotting import plot_item_cooccurrence
    >>> ax = plot_item_cooccurrence([["a", "b"], ["a"], ["b", "c"]])
    """
    from crmine.basket import as_baskets
    from crmine.exceptions import SchemaError

    if measure not in ("lift", "count", "confidence"):
        raise SchemaError(f"measure must be 'lift', 'count' or 'confidence', got {measure!r}.")
    b = as_baskets(data, schema=schema)
    m = b.matrix.tocsc()
    counts = np.diff(m.indptr)
    if items is None:
        cols = np.argsort(-counts, kind="stable")[:top]
    else:
        lookup = {x: i for i, x in enumerate(b.items)}
        missing = [x for x in items if x not in lookup]
        if missing:
            raise SchemaError(
                f"items {missing[:3]} are not in the baskets; pick existing items."
            )
        cols = np.array([lookup[x] for x in items])
    sub = m[:, cols].astype(np.int64)
    pair = (sub.T @ sub).toarray().astype(float)  # top x top, small
    single = counts[cols].astype(float)
    n = m.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "lift":
            values = pair * n / np.outer(single, single)
        elif measure == "confidence":
            values = pair / single[:, None]
        else:
            values = pair
    np.fill_diagonal(values, np.nan)
    ax = _axes(ax, (6.5, 5.5))
    image = ax.imshow(values, cmap="magma_r" if measure == "count" else "RdBu_r")
    if measure == "lift":
        finite = values[np.isfinite(values)]
        span = max(abs(np.log(finite[finite > 0])).max(), 0.1) if finite.size else 1.0
        image.set_norm(_log_norm(np.exp(-span), np.exp(span)))
    ax.figure.colorbar(image, ax=ax, label=measure)
    labels = [str(b.items[c]) for c in cols]
    ax.set_xticks(range(len(cols)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(cols)), labels, fontsize=8)
    ax.set_title(f"item co-occurrence ({measure})")
    return ax


def _log_norm(vmin: float, vmax: float) -> Any:
    from matplotlib.colors import LogNorm

    return LogNorm(vmin=vmin, vmax=vmax)
