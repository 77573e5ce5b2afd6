"""Statistical definitions shared by several modules (one copy each)."""

from __future__ import annotations

from typing import Any

import numpy as np

from crmine.exceptions import SchemaError

__all__ = ["p_adjust"]

_METHODS = ("none", "bonferroni", "holm", "fdr_bh")


def p_adjust(pvalues: Any, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple testing, exactly as R's ``p.adjust``.

    Missing p-values (NaN) are ignored and stay NaN; the number of tests
    ``m`` is the number of non-missing p-values (R's default
    ``n = length(p)`` after removing ``NA``).  Ties keep their input order.

    Parameters
    ----------
    pvalues : array-like of float
        Raw p-values, each in [0, 1] or NaN.
    method : {"holm", "bonferroni", "fdr_bh", "none"}, default="holm"
        Holm's step-down (family-wise error), Bonferroni (``min(1, m p)``),
        Benjamini-Hochberg (false discovery rate; R's ``"BH"``) or none.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order.

    Examples
    --------
    >>> p_adjust([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    >>> p_adjust([0.01, float("nan"), 0.04], "bonferroni").tolist()
    [0.02, nan, 0.08]
    >>> p_adjust([0.01, 0.04, 0.03], "fdr_bh").round(2).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in _METHODS:
        raise SchemaError(
            f"unknown p-value correction method={method!r}; use one of {', '.join(_METHODS)}."
        )
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        p = p.ravel()
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        bad = p[ok][(p[ok] < 0) | (p[ok] > 1)]
        raise SchemaError(
            f"p-values must lie in [0, 1], got {bad[:5].tolist()}; pass raw p-values."
        )
    out = p.copy()
    q = p[ok]
    m = q.size
    if method == "none" or m == 0:
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, q * m)
        return out
    order = np.argsort(q, kind="stable")
    qs = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * qs)
    else:  # fdr_bh
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * qs[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(1.0, adj)
    out[ok] = res
    return out
