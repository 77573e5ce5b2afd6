"""Interest measures of rules, exact thresholds and the vectorised Fisher test.

Every rule ``A -> C`` is described by four integers: the number of baskets
``n``, the antecedent count ``a``, the consequent count ``c`` and the rule
count ``ac`` (baskets holding ``A`` and ``C``).  Every measure is a ratio of
two polynomials in them, so thresholds are compared exactly (a float test
first, and exact integer arithmetic for the values within rounding distance of
the threshold): ``53/265 >= 0.2`` holds.

Undefined values follow arules: a zero denominator gives ``inf`` (or
``-inf``) when the numerator is not zero, and NaN for ``0/0`` -- e.g. the
conviction and certainty of a rule whose consequent is in every basket (lift
exactly 1) are NaN, not ``inf``.  Zhang's metric is 0 at ``0/0`` (it only
happens at independence), as in mlxtend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import gammaln

from crmine.basket._itemsets import exact_fraction

__all__ = ["RULE_METRICS", "fisher_pvalues"]

# name -> (numerator, denominator) as functions of (n, a, c, ac)
_Frac = Callable[[Any, Any, Any, Any], tuple[Any, Any]]
_RATIONAL: dict[str, _Frac] = {
    "antecedent_support": lambda n, a, c, ac: (a, n + 0 * a),
    "consequent_support": lambda n, a, c, ac: (c, n + 0 * a),
    "support": lambda n, a, c, ac: (ac, n + 0 * a),
    "confidence": lambda n, a, c, ac: (ac, a),
    "lift": lambda n, a, c, ac: (ac * n, a * c),
    "leverage": lambda n, a, c, ac: (n * ac - a * c, n * n + 0 * a),
    "conviction": lambda n, a, c, ac: (a * (n - c), n * (a - ac)),
    "zhangs_metric": lambda n, a, c, ac: (
        n * ac - a * c,
        np.maximum(ac * (n - a), a * (c - ac)),
    ),
    "jaccard": lambda n, a, c, ac: (ac, a + c - ac),
    "certainty": lambda n, a, c, ac: (n * ac - a * c, a * (n - c)),
    "kulczynski": lambda n, a, c, ac: (ac * (a + c), 2 * a * c),
    "all_confidence": lambda n, a, c, ac: (ac, np.maximum(a, c)),
    "imbalance_ratio": lambda n, a, c, ac: (np.abs(a - c), a + c - ac),
    # cosine = ac / sqrt(a c): thresholded through its square
    "cosine": lambda n, a, c, ac: (ac * ac, a * c),
    # Pearson's chi-squared of the 2x2 table A x C (arules' chiSquared, no correction)
    "chi_squared": lambda n, a, c, ac: (
        n * (n * ac - a * c) ** 2,
        a * (n - a) * c * (n - c),
    ),
}
_SQUARED = {"cosine"}
_TERMS = 64  # most hypergeometric tail terms added per step
ALIASES = {
    "antecedent support": "antecedent_support",
    "consequent support": "consequent_support",
    "zhang": "zhangs_metric",
    "allconfidence": "all_confidence",
    "imbalance": "imbalance_ratio",
    "chisquared": "chi_squared",
}
#: Interest measures available as ``metric`` in :func:`association_rules`.
RULE_METRICS: tuple[str, ...] = tuple(_RATIONAL)


def metric_value(name: str, n: Any, a: Any, c: Any, ac: Any) -> np.ndarray:
    """Float value of a measure; ``x/0`` is ``+-inf``, ``0/0`` is NaN."""
    num, den = _RATIONAL[name](n, a, c, ac)
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = num / den
    if name in _SQUARED:
        val = np.sqrt(val)
    if name == "zhangs_metric":  # 0/0 only at independence (n ac = a c): no association
        val = np.where((num == 0) & (den == 0), 0.0, val)
    return val


def meets(name: str, n: int, a: np.ndarray, c: np.ndarray, ac: np.ndarray, t: Any) -> np.ndarray:
    """Exact test ``metric >= t`` for every rule (NaN never passes)."""
    tf = exact_fraction(t)
    if name in _SQUARED:
        if tf <= 0:
            return np.ones(len(a), dtype=bool)
        tf = tf * tf
    num, den = _RATIONAL[name](float(n), *(np.asarray(x, dtype=np.float64) for x in (a, c, ac)))
    num = np.asarray(num, dtype=np.float64) + np.zeros(len(a))
    den = np.asarray(den, dtype=np.float64) + np.zeros(len(a))
    zero = den == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.where(zero, 0.0, num / np.where(zero, 1.0, den))
    tfloat = float(tf)
    tol = 1e-9 * max(1.0, abs(tfloat))
    out = val >= tfloat
    unsure = np.flatnonzero(~zero & (np.abs(val - tfloat) <= tol))
    if len(unsure):
        big = [np.array([int(v) for v in arr[unsure]], dtype=object) for arr in (a, c, ac)]
        bnum, bden = _RATIONAL[name](int(n), *big)
        p, q = tf.numerator, tf.denominator
        out[unsure] = np.array(
            [int(x) * q >= p * int(y) for x, y in zip(np.atleast_1d(bnum), np.atleast_1d(bden))],
            dtype=bool,
        )
    if zero.any():
        out[zero] = num[zero] > 0  # +inf passes any finite threshold; -inf and NaN never
        if name == "zhangs_metric":
            out[zero & (num == 0)] = tf <= 0
    return out


def _log_pmf(n: np.ndarray, a: np.ndarray, c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Log P(X = x) for X ~ Hypergeometric(population n, a successes, c draws)."""
    return (
        gammaln(a + 1)
        - gammaln(x + 1)
        - gammaln(a - x + 1)
        + gammaln(n - a + 1)
        - gammaln(c - x + 1)
        - gammaln(n - a - c + x + 1)
        - gammaln(n + 1)
        + gammaln(c + 1)
        + gammaln(n - c + 1)
    )


def _tail_sum(
    n: float, a: np.ndarray, c: np.ndarray, start: np.ndarray, stop: np.ndarray, up: bool
) -> np.ndarray:
    """Log of sum_{x = start .. stop} P(X = x), summing away from the mode.

    The terms decrease monotonically from ``start``.  They are added several
    at a time for every unfinished rule (a cumulative product of the term
    ratios; 4, 8, ... up to 64 per step), until a term is below 2**-60 of the
    running sum or ``stop`` is reached.
    """
    m = len(a)
    rel = np.ones(m)  # sum of term / first term
    term = np.ones(m)
    x = start.astype(np.float64).copy()
    active = np.flatnonzero(x != stop)
    step = 1.0 if up else -1.0
    width = 4
    while len(active):
        offs = np.arange(width, dtype=np.float64)
        aa, ca = a[active, None], c[active, None]
        xa = x[active, None] + step * offs
        with np.errstate(divide="ignore", invalid="ignore"):
            if up:
                ratio = (aa - xa) * (ca - xa) / ((xa + 1) * (n - aa - ca + xa + 1))
            else:
                ratio = xa * (n - aa - ca + xa) / ((aa - xa + 1) * (ca - xa + 1))
        left = np.abs(stop[active] - x[active])  # terms still to come
        ratio = np.where(offs < left[:, None], ratio, 0.0)
        terms = term[active, None] * np.cumprod(ratio, axis=1)
        rel[active] += terms.sum(axis=1)
        term[active] = terms[:, -1]
        x[active] += step * width
        done = (left <= width) | (terms[:, -1] < rel[active] * 2.0**-60)
        active = active[~done]
        width = min(2 * width, _TERMS)  # the few slow tails get longer steps
    return _log_pmf(n, a, c, start.astype(np.float64)) + np.log(rel)


def fisher_pvalues(n: int, a: Any, c: Any, ac: Any) -> np.ndarray:
    """One-sided Fisher exact test of positive association for rules.

    The p-value is ``P(X >= ac)`` for ``X ~ Hypergeometric(n, a, c)``: the
    chance of seeing at least ``ac`` baskets with both sides if antecedent and
    consequent were independent (arules' ``is.significant`` test, R's
    ``phyper(ac - 1, c, n - c, a, lower.tail = FALSE)``).  Vectorised: the
    tail is summed from its largest term outwards for all rules at once (no
    Python call per rule); agrees with ``scipy.stats.hypergeom.sf`` to about
    1e-9 relative.

    Parameters
    ----------
    n : int
        Number of baskets.
    a, c, ac : array-like of int
        Antecedent, consequent and rule counts.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> fisher_pvalues(10, [5], [5], [5]).round(4).tolist()
    [0.004]
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    c = np.asarray(c, dtype=np.float64).ravel()
    x0 = np.asarray(ac, dtype=np.float64).ravel()
    nf = float(n)
    lo = np.maximum(0.0, a + c - nf)
    hi = np.minimum(a, c)
    out = np.empty(len(a))
    out[x0 <= lo] = 1.0
    out[x0 > hi] = 0.0
    inside = np.flatnonzero((x0 > lo) & (x0 <= hi))
    if len(inside):
        ai, ci, xi = a[inside], c[inside], x0[inside]
        mode = np.floor((ai + 1) * (ci + 1) / (nf + 2))
        up = xi > mode
        res = np.empty(len(inside))
        if up.any():  # upper tail from x0 (terms decrease away from the mode)
            res[up] = np.exp(_tail_sum(nf, ai[up], ci[up], xi[up], hi[inside][up], True))
        low = ~up
        if low.any():  # 1 - lower tail up to x0 - 1
            lower = _tail_sum(nf, ai[low], ci[low], xi[low] - 1, lo[inside][low], False)
            res[low] = -np.expm1(lower)
        out[inside] = res
    return np.clip(out, 0.0, 1.0)
