"""Figures for customer segmentation: choice of k, snake plot, 2-D projection, profile heatmap.

Every function takes a fitted :class:`crmine.segmentation.CustomerSegmenter`
(plus the customer table where the points themselves are drawn) and an
optional ``ax=``, and returns the ``Axes`` it drew on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from crmine.plotting._common import get_axes

__all__ = [
    "plot_selection_curves",
    "plot_snake",
    "plot_segments_2d",
    "plot_profile_heatmap",
]

_METRICS = {
    "inertia": "inertia (lower is better)",
    "silhouette": "silhouette (higher is better)",
    "calinski_harabasz": "Calinski-Harabasz (higher is better)",
    "davies_bouldin": "Davies-Bouldin (lower is better)",
}


def _axes(ax: Any, figsize: tuple[float, float] = (6.5, 4.5)) -> Any:
    return get_axes(ax, figsize)


def _fitted(segmenter: Any) -> Any:
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(segmenter, "labels_")
    return segmenter


def _segment_labels(segmenter: Any) -> list[str]:
    prof = segmenter.profiles_
    return [f"{i}: {prof.loc[i, 'name']} ({prof.loc[i, 'share']:.0%})" for i in prof.index]


def plot_selection_curves(
    segmenter: Any, *, metrics: Sequence[str] | None = None, ax: Any = None
) -> Any:
    """Plot the scores of every k tried, rescaled to [0, 1], and mark the chosen k.

    Each curve of ``segmenter.selection_scores_`` is min-max rescaled over the
    k tried so that all fit on one axis (the legend says in which direction
    each is better); the chosen k is a dashed vertical line and the reason is
    the title.

    Parameters
    ----------
    segmenter : CustomerSegmenter
        A fitted segmenter.
    metrics : list of str, optional
        Among ``"inertia"``, ``"silhouette"``, ``"calinski_harabasz"``,
        ``"davies_bouldin"``; all four by default.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine import CustomerSegmenter, TransactionFeatures
    >>> from crmine.datasets import make_retail
    >>> log = make_retail(n_customers=300, random_state=0).transactions
    >>> customers = TransactionFeatures().fit_transform(log)
    >>> segmenter = CustomerSegmenter(n_clusters=3, random_state=0).fit(customers)
    >>> from crmine.plotting import plot_selection_curves
    >>> ax = plot_selection_curves(segmenter)
    """
    seg = _fitted(segmenter)
    table = seg.selection_scores_
    metrics = list(metrics) if metrics is not None else list(_METRICS)
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown!r}; choose among {list(_METRICS)!r}.")
    ax = _axes(ax)
    ks = table.index.to_numpy()
    for m in metrics:
        values = table[m].to_numpy(dtype=float)
        lo, hi = np.nanmin(values), np.nanmax(values)
        scaled = (values - lo) / (hi - lo) if hi > lo else np.full_like(values, 0.5)
        ax.plot(ks, scaled, marker="o", label=_METRICS[m])
    ax.axvline(seg.n_clusters_, color="black", linestyle="--", linewidth=1, label="chosen k")
    ax.set_xticks(ks)
    ax.set_xlabel("number of segments k")
    ax.set_ylabel("score, rescaled to [0, 1] over k")
    ax.set_title(f"Choice of k: k = {seg.n_clusters_}", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_snake(segmenter: Any, *, ax: Any = None) -> Any:
    """Snake plot: the standardized centroid of every segment across the features.

    The y value of segment ``j`` at feature ``f`` is its k-means centroid in
    the space the clustering used (after the skew transform and scaling: with
    ``scaling="standard"`` a z-score, 0 = population mean), so segments are
    compared on one scale whatever the units of the features.

    Parameters
    ----------
    segmenter : CustomerSegmenter
        A fitted segmenter.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine import CustomerSegmenter, TransactionFeatures
    >>> from crmine.datasets import make_retail
    >>> log = make_retail(n_customers=300, random_state=0).transactions
    >>> customers = TransactionFeatures().fit_transform(log)
    >>> segmenter = CustomerSegmenter(n_clusters=3, random_state=0).fit(customers)
    >>> from crmine.plotting import plot_snake
    >>> ax = plot_snake(segmenter)
    """
    seg = _fitted(segmenter)
    centers = seg._centers_model
    ax = _axes(ax)
    x = np.arange(centers.shape[1])
    for j, label in enumerate(_segment_labels(seg)):
        ax.plot(x, centers[j], marker="o", label=label)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(seg.features_, rotation=20, ha="right")
    scale = {"standard": "z-score", "robust": "robust z-score", None: "value"}[seg.scaling]
    skew = f"{seg.skew} " if seg.skew else ""
    ax.set_ylabel(f"segment centroid ({skew}{scale})")
    ax.set_title("Snake plot of the segments")
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_segments_2d(
    segmenter: Any,
    X: Any,
    *,
    ax: Any = None,
    sample_size: int | None = 5000,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
) -> Any:
    """Scatter the customers on the first two principal components, coloured by segment.

    The projection is a PCA of the features after the segmenter's skew
    transform and scaling (the space in which k-means ran); centroids are
    drawn as black crosses.

    Parameters
    ----------
    segmenter : CustomerSegmenter
        A fitted segmenter.
    X : DataFrame or array-like
        Customer table with the fitted feature columns.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    sample_size : int or None, default=5000
        Draw at most this many customers (chosen at random); ``None`` draws all.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the sample (pass an int for the same picture every time).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine import CustomerSegmenter, TransactionFeatures
    >>> from crmine.datasets import make_retail
    >>> log = make_retail(n_customers=300, random_state=0).transactions
    >>> customers = TransactionFeatures().fit_transform(log)
    >>> segmenter = CustomerSegmenter(n_clusters=3, random_state=0).fit(customers)
    >>> from crmine.plotting import plot_segments_2d
    >>> ax = plot_segments_2d(segmenter, customers)
    """
    from sklearn.decomposition import PCA

    seg = _fitted(segmenter)
    Z = seg._model_space(X)
    labels = seg._remap[seg._kmeans.predict(Z)]
    n_comp = min(2, Z.shape[1])
    pca = PCA(n_components=n_comp).fit(Z)
    if sample_size is not None and len(Z) > sample_size:
        from sklearn.utils import check_random_state

        rng = (
            random_state
            if isinstance(random_state, np.random.Generator)
            else check_random_state(random_state)
        )
        idx = np.sort(rng.choice(len(Z), sample_size, replace=False))
        Z, labels = Z[idx], labels[idx]
    P = pca.transform(Z)
    C = pca.transform(seg._centers_model)
    if n_comp == 1:
        P = np.column_stack([P[:, 0], np.zeros(len(P))])
        C = np.column_stack([C[:, 0], np.zeros(len(C))])
    ax = _axes(ax, figsize=(6.5, 5.5))
    for j, label in enumerate(_segment_labels(seg)):
        mask = labels == j
        ax.scatter(P[mask, 0], P[mask, 1], s=8, alpha=0.5, label=label)
    ax.scatter(C[:, 0], C[:, 1], marker="x", s=80, color="black", label="centroids")
    ratio = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC1 ({ratio[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({ratio[1]:.0%} of variance)" if n_comp == 2 else "")
    ax.set_title("Segments on the first two principal components")
    ax.legend(fontsize=8, markerscale=2, loc="best")
    return ax


def plot_profile_heatmap(
    segmenter: Any, *, columns: Sequence[str] | None = None, ax: Any = None
) -> Any:
    """Heatmap of segment medians relative to the population median.

    The colour of a cell is ``log2(segment median / population median)``
    (clipped to +-3; grey when either median is not positive), the text is the
    segment median itself; rows are the named segments, the last column is the
    revenue share when it is known.

    Parameters
    ----------
    segmenter : CustomerSegmenter
        A fitted segmenter.
    columns : list of str, optional
        Profile columns to show; by default every median column of
        ``segmenter.profiles_``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from crmine import CustomerSegmenter, TransactionFeatures
    >>> from crmine.datasets import make_retail
    >>> log = make_retail(n_customers=300, random_state=0).transactions
    >>> customers = TransactionFeatures().fit_transform(log)
    >>> segmenter = CustomerSegmenter(n_clusters=3, random_state=0).fit(customers)
    >>> from crmine.plotting import plot_profile_heatmap
    >>> ax = plot_profile_heatmap(segmenter)
    """
    seg = _fitted(segmenter)
    prof = seg.profiles_
    pop = seg.population_medians_
    cols = list(columns) if columns is not None else list(pop.index)
    unknown = [c for c in cols if c not in pop.index]
    if unknown:
        raise ValueError(f"column(s) {unknown!r} are not profiled; choose among {list(pop.index)}.")
    med = prof[cols].to_numpy(dtype=float)
    ref = pop[cols].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((med > 0) & (ref > 0), np.log2(med / ref), np.nan)
    color = np.clip(ratio, -3, 3)
    show_rev = "revenue_share" in prof.columns
    ax = _axes(ax, figsize=(1.4 * (len(cols) + show_rev) + 3, 0.6 * len(prof) + 1.5))
    import matplotlib as mpl

    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="lightgrey")
    image = ax.imshow(np.ma.masked_invalid(color), cmap=cmap, vmin=-3, vmax=3, aspect="auto")
    for i in range(med.shape[0]):
        for j in range(med.shape[1]):
            dark = np.isfinite(color[i, j]) and abs(color[i, j]) > 1.8
            ax.text(
                j,
                i,
                f"{med[i, j]:,.4g}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    labels = list(cols)
    if show_rev:
        j = len(cols)
        for i, share in enumerate(prof["revenue_share"].to_numpy(dtype=float)):
            ax.text(j, i, f"{share:.1%}", ha="center", va="center", fontsize=8)
        labels.append("revenue share")
        ax.set_xlim(-0.5, j + 0.5)
    ax.set_xticks(np.arange(len(labels)))
    ax.set_xticklabels(labels, rotation=20, ha="right")
    ax.set_yticks(np.arange(len(prof)))
    ax.set_yticklabels(_segment_labels(seg))
    ax.figure.colorbar(image, ax=ax, label="log2(segment median / population median)")
    ax.set_title("Segment profiles (medians)")
    return ax
