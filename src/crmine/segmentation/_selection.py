"""Choice of the number of segments: silhouette / Calinski-Harabasz with a tolerance, or elbow."""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from crmine.exceptions import DataWarning, SchemaError


def _kneedle(ks: np.ndarray, inertia: np.ndarray) -> int | None:
    """Index of the knee of a decreasing convex curve, or None when there is none.

    Both axes are rescaled to [0, 1]; the knee is the point farthest above the
    chord from the first to the last point, i.e. the maximum of
    ``D = (1 - x_n) - y_n`` (Satopaa et al. 2011, "Kneedle").
    """
    if len(ks) < 3:
        return None
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    span = inertia.max() - inertia.min()
    if not np.isfinite(span) or span <= 0:
        return None
    y = (inertia - inertia.min()) / span
    diff = (1.0 - x) - y
    best = int(np.argmax(diff))
    if diff[best] <= 1e-9 or best in (0, len(ks) - 1):
        return None
    return best


def choose_k(table: pd.DataFrame, criterion: str, tol: float) -> tuple[int, str, dict[int, str]]:
    """Chosen k, the sentence explaining it and a note per k (see CustomerSegmenter, Notes)."""
    ks = table.index.to_numpy()
    notes: dict[int, str] = {}
    if criterion == "elbow":
        idx = _kneedle(ks.astype(float), table["inertia"].to_numpy(dtype=float))
        if idx is None:
            k = int(ks[0])
            reason = (
                f"elbow: the inertia curve over k={ks[0]}..{ks[-1]} has no interior knee "
                f"(Kneedle), so the smallest k={k} is used"
            )
        else:
            k = int(ks[idx])
            reason = (
                f"elbow: Kneedle knee of the inertia curve over k={ks[0]}..{ks[-1]} is at k={k}"
            )
        notes[k] = "knee of the inertia curve" if idx is not None else "no knee; smallest k"
        return k, reason, notes
    col = criterion
    scores = table[col].to_numpy(dtype=float)
    if not np.isfinite(scores).any():
        k = int(ks[0])
        return (
            k,
            f"{col} could not be computed for any k; the smallest k={k} is used",
            {k: "no score; smallest k"},
        )
    best_i = int(np.nanargmax(scores))
    best = scores[best_i]
    if col == "silhouette":
        threshold = best - tol
        rule = f"silhouette >= best - tol = {best:.4f} - {tol:g}"
    else:
        threshold = best * (1.0 - tol)
        rule = f"calinski_harabasz >= (1 - tol) * best = (1 - {tol:g}) * {best:.4g}"
    ok = np.flatnonzero(np.nan_to_num(scores, nan=-np.inf) >= threshold)
    k = int(ks[ok[0]])
    for i in ok:
        notes[int(ks[i])] = "within tolerance of the best"
    notes[int(ks[best_i])] = f"best {col}"
    reason = f"{col}: best {best:.4g} at k={int(ks[best_i])}; the smallest k with {rule} is k={k}"
    if k != int(ks[best_i]):
        notes[k] = "chosen: smallest k within tolerance of the best"
    return k, reason, notes


def k_range_values(k_range: Any) -> list[int]:
    """The k tried by ``n_clusters="auto"`` (checked)."""
    if (
        len(k_range) != 2
        or not all(isinstance(k, Integral) and not isinstance(k, bool) for k in k_range)
        or k_range[0] < 2
        or k_range[1] < k_range[0]
    ):
        raise ValueError(
            f"k_range must be a pair (k_min, k_max) of integers with 2 <= k_min <= k_max, "
            f"got {k_range!r}. Example: k_range=(3, 8)."
        )
    return list(range(int(k_range[0]), int(k_range[1]) + 1))


def k_candidates(ks: list[int], n_distinct: int, k_range: Any) -> list[int]:
    """The feasible k (at most n_distinct - 1), with a warning when k_range is cut."""
    feasible = [k for k in ks if k <= n_distinct - 1]
    if not feasible:
        raise SchemaError(
            f"n_samples={n_distinct} distinct customers are too few to choose k in "
            f"k_range={tuple(k_range)!r} (each k needs at least k + 1 distinct customers). "
            "Pass more customers, a smaller k_range, or an integer n_clusters."
        )
    if len(feasible) < len(ks):
        warnings.warn(
            f"only {n_distinct} distinct customers: k_range={tuple(k_range)!r} is cut to "
            f"k <= {feasible[-1]}.",
            DataWarning,
            stacklevel=3,
        )
    return feasible


def segmentation_scores(
    Z: np.ndarray, labels: np.ndarray, sil: np.ndarray | None
) -> dict[str, float]:
    """Silhouette on the rows ``sil`` (all when None), Calinski-Harabasz and Davies-Bouldin."""
    n_labels = len(np.unique(labels))
    out = {"silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan}
    if 2 <= n_labels <= len(Z) - 1:
        Zs, ls = (Z, labels) if sil is None else (Z[sil], labels[sil])
        if 2 <= len(np.unique(ls)) <= len(Zs) - 1:
            # distances in chunks of at most 64 MiB instead of one sample x sample block
            with config_context(working_memory=64):
                out["silhouette"] = float(silhouette_score(Zs, ls))
        out["calinski_harabasz"] = float(calinski_harabasz_score(Z, labels))
        out["davies_bouldin"] = float(davies_bouldin_score(Z, labels))
    return out


# ------------------------------------------------------------------- fit


def scan_k(
    S: np.ndarray,
    ks: list[int],
    make_kmeans: Any,
    rng: np.random.RandomState,
    sample_size: int,
) -> tuple[pd.DataFrame, dict[int, Any]]:
    """Fit k-means for every candidate k on the scan sample ``S`` and score each fit.

    The silhouette-type scores of every k are computed on one sub-sample of
    ``sample_size`` rows (the same rows for every k).  Returns the selection
    table (index ``k``: inertia and scores) and the fitted models by k.
    """
    sil = None
    if len(S) > sample_size:
        sil = np.sort(rng.choice(len(S), sample_size, replace=False))
    rows = []
    models = {}
    for k in ks:
        seed = int(rng.randint(np.iinfo(np.int32).max))
        km = make_kmeans(k, seed, len(S)).fit(S)
        models[k] = km
        rows.append(
            {"k": k, "inertia": float(km.inertia_), **segmentation_scores(S, km.labels_, sil)}
        )
    return pd.DataFrame(rows).set_index("k"), models


def order_by_size(labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Number segments by decreasing size; ties by the row of their first customer.

    Returns ``order`` (old label of the new segment i) and ``remap`` (new label
    of old label j).

    Examples
    --------
    >>> order, remap = order_by_size(np.array([1, 0, 1, 2, 1, 0]), 3)
    >>> order.tolist(), remap.tolist()
    ([1, 0, 2], [1, 0, 2])
    """
    n = len(labels)
    counts = np.bincount(labels, minlength=k)
    first_row = np.full(k, n)
    uniq, first = np.unique(labels, return_index=True)
    first_row[uniq] = first
    order = np.lexsort((first_row, -counts))
    remap = np.empty(k, dtype=np.int32)
    remap[order] = np.arange(k, dtype=np.int32)
    return order, remap
