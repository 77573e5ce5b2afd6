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

    The terms decrease monotonically from ``start``, and so do their ratios
    (the ratio is monotone in ``x``), so after a term ``t`` whose ratio to the
    one before is ``r < 1`` the rest of the tail is at most ``t r / (1 - r)``.
    Terms are added several at a time for every unfinished rule (a cumulative
    product of the ratios; a first block sized from the first ratio and the
    variance, then 64 per step) until that bound is below 2**-45 (3e-14) of the running sum or
    ``stop`` is reached.
    """
    m = len(a)
    rel = np.ones(m)  # sum of term / first term
    term = np.ones(m)
    x = start.astype(np.float64).copy()
    left = np.abs(stop - x)  # terms still to come
    d = n - a - c  # the fourth cell's offset: n - a - c + x
    step = 1.0 if up else -1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # first block per rule: the terms needed if the log ratio fell linearly from
        # log r0 at the pace of a normal tail (slope 1 / variance), plus 10 %,
        # rounded up to 16, 32, 48 or 64 (enough for 99.7 % of Groceries' rules)
        r0 = _ratio(n, a, c, x, up)
        slope = -np.log(np.clip(r0, 1e-300, 1.0))
        var = a * c * (n - a) * (n - c) / (n * n * max(n - 1.0, 1.0))
        target = 45.0 * np.log(2.0)
        need = np.where(
            var > 0,
            var * (np.sqrt(slope * slope + 2.0 * target / var) - slope),
            target / slope,
        )
        first = np.clip(16.0 * np.ceil((1.1 * need + 1.0) / 16.0), 16, _TERMS)
        for width in np.unique(first[left > 0]).astype(int).tolist():
            active = np.flatnonzero((first == width) & (left > 0))
            _add_terms(n, a, c, d, step, active, width, x, left, term, rel)
    return _log_pmf(n, a, c, start.astype(np.float64)) + np.log(rel)


def _ratio(n: float, a: np.ndarray, c: np.ndarray, x: np.ndarray, up: bool) -> np.ndarray:
    """P(X = x + 1) / P(X = x) (``up``), or P(X = x - 1) / P(X = x)."""
    if up:
        return (a - x) * (c - x) / ((x + 1) * (n - a - c + x + 1))
    return x * (n - a - c + x) / ((a - x + 1) * (c - x + 1))


def _add_terms(
    n: float,
    a: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    step: float,
    active: np.ndarray,
    width: int,
    x: np.ndarray,
    left: np.ndarray,
    term: np.ndarray,
    rel: np.ndarray,
) -> None:
    """Add the tail terms of the ``active`` rules until each is complete (in place)."""
    while len(active):
        offs = np.arange(width, dtype=np.float64)
        xa = x[active, None] + step * offs
        if step > 0:  # P(x + 1) / P(x) = (a - x)(c - x) / ((x + 1)(n - a - c + x + 1))
            num = a[active, None] - xa
            num *= c[active, None] - xa
            den = d[active, None] + xa
            den += 1.0
            xa += 1.0
            den *= xa
        else:  # P(x - 1) / P(x) = x (n - a - c + x) / ((a - x + 1)(c - x + 1))
            num = d[active, None] + xa
            num *= xa
            den = a[active, None] - xa
            den += 1.0
            xa -= c[active, None] + 1.0
            den *= xa
            den *= -1.0
        ratio = np.divide(num, den, out=num)
        la = left[active]
        short = la < width
        if short.any():  # no terms beyond stop
            ratio[short] = np.where(offs < la[short, None], ratio[short], 0.0)
        last = ratio[:, -1].copy()
        ratio[:, 0] *= term[active]
        terms = np.cumprod(ratio, axis=1, out=ratio)
        rel[active] += terms.sum(axis=1)
        t_last = terms[:, -1]
        term[active] = t_last
        x[active] += step * width
        left[active] = la - width
        rest = t_last * last / (1.0 - last)  # bound on the terms to come
        done = (la <= width) | ((last < 1.0) & (rest < rel[active] * 2.0**-45))
        active = active[~done]
        width = _TERMS  # the few slow tails get longer steps


def _counts_within(n: float, *counts: np.ndarray) -> bool:
    """Whether every count is an integer in [0, n]."""
    return all(bool(((v >= 0) & (v <= n)).all()) and bool((v == np.floor(v)).all()) for v in counts)


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
    if len(a) > 64 and float(n) < 2.0e6 and _counts_within(n, a, c, x0):
        # the test is symmetric in a and c: A -> C and C -> A share one p-value, and
        # rules of one itemset often share counts; each distinct table is tested once
        # (the key is exact for integer counts in [0, n])
        m1 = int(n) + 1
        key = (np.minimum(a, c).astype(np.int64) * m1 + np.maximum(a, c).astype(np.int64)) * m1
        key += x0.astype(np.int64)
        uniq, first, group = np.unique(key, return_index=True, return_inverse=True)
        if len(uniq) < 0.9 * len(a):
            return fisher_pvalues(n, a[first], c[first], x0[first])[group.ravel()]
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
