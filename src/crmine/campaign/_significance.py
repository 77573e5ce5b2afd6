"""Intervals and tests for proportions: Wilson, Newcombe, Holm, sample-ratio mismatch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crmine.base import Result
from crmine.exceptions import SchemaError
from crmine.utils._stats import p_adjust

__all__ = [
    "SampleRatioMismatch",
    "holm_adjust",
    "newcombe_interval",
    "sample_ratio_mismatch",
    "wilson_interval",
]


def _z(alpha: float) -> float:
    if not (isinstance(alpha, (int, float, np.number)) and 0 < alpha < 1):
        raise SchemaError(
            f"alpha={alpha!r} must be in (0, 1) (one minus the coverage); e.g. alpha=0.05."
        )
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def _counts(successes: Any, trials: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(successes, dtype=float)
        n = np.asarray(trials, dtype=float)
    except (TypeError, ValueError):
        raise SchemaError(
            f"successes={successes!r} and trials={trials!r} must be counts (numbers)."
        ) from None
    bad = ~np.isfinite(x) | ~np.isfinite(n) | (x < 0) | (n < 0) | (x > n)
    bad |= (x != np.round(x)) | (n != np.round(n))
    if np.any(bad):
        raise SchemaError(
            f"successes={successes!r} and trials={trials!r} must be whole counts with "
            "0 <= successes <= trials. Fix: pass the number of responders and of customers."
        )
    return x, n


def _arm_counts(counts: Any) -> pd.Series:
    try:
        observed = pd.Series(counts, dtype=float)
    except (TypeError, ValueError):
        raise SchemaError(
            f"sample_ratio_mismatch: counts={counts!r} must map each arm to its number of "
            "customers, e.g. {'A': 5100, 'B': 4900}."
        ) from None
    bad = observed[~np.isfinite(observed.to_numpy()) | (observed < 0)]
    if not bad.empty:
        raise SchemaError(
            f"sample_ratio_mismatch: customers per arm must be counts >= 0, got "
            f"{dict(bad)!r}. Fix: pass the number of customers in each arm."
        )
    return observed


def wilson_interval(
    successes: Any, trials: Any, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    r"""Wilson score interval for a binomial proportion.

    With :math:`\hat p = x / n` and :math:`z = \Phi^{-1}(1 - \alpha / 2)`:

    .. math::

        \frac{x + z^2/2}{n + z^2} \pm \frac{z}{n + z^2}
        \sqrt{n \hat p (1 - \hat p) + z^2 / 4}

    Parameters
    ----------
    successes : int or array-like of int
        Number of successes :math:`x`.
    trials : int or array-like of int
        Number of trials :math:`n` (must be positive).
    alpha : float, default 0.05
        One minus the coverage of the interval.

    Returns
    -------
    low, high : float or ndarray
        Interval bounds (NaN where ``trials == 0``).

    Raises
    ------
    SchemaError
        Negative, non-finite or non-integer counts, or more successes than
        trials; ``alpha`` outside (0, 1).

    Examples
    --------
    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 4), round(high, 4)
    (0.4902, 0.9433)
    """
    x, n = _counts(successes, trials)
    z = _z(alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = n + z * z
        center = (x + z * z / 2.0) / denom
        half = z / denom * np.sqrt(n * p * (1.0 - p) + z * z / 4.0)
        low = np.clip(center - half, 0.0, 1.0)
        high = np.clip(center + half, 0.0, 1.0)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def newcombe_interval(
    x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05
) -> tuple[float, float]:
    r"""Newcombe hybrid-score interval for a difference of two proportions.

    Newcombe's (1998) method 10: with :math:`d = \hat p_1 - \hat p_2` and the
    Wilson intervals :math:`(l_i, u_i)` of each proportion,

    .. math::

        \left(d - \sqrt{(\hat p_1 - l_1)^2 + (u_2 - \hat p_2)^2},\;
              d + \sqrt{(u_1 - \hat p_1)^2 + (\hat p_2 - l_2)^2}\right)

    Parameters
    ----------
    x1, n1 : int
        Successes and trials of the first (treated) group.
    x2, n2 : int
        Successes and trials of the second (control) group.
    alpha : float, default 0.05
        One minus the coverage of the interval.

    Returns
    -------
    low, high : float
        Bounds of the interval for :math:`p_1 - p_2`.

    Examples
    --------
    >>> low, high = newcombe_interval(56, 70, 48, 80)  # Newcombe (1998), example (a)
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)
    """
    for name, n in (("n1", n1), ("n2", n2)):
        if not np.all(np.asarray(n, dtype=float) > 0):
            raise SchemaError(
                f"newcombe_interval: {name}={n!r} trials; each group needs at least one "
                "customer. Fix: pass the group sizes."
            )
    _counts(x1, n1)
    _counts(x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, alpha)
    l2, u2 = wilson_interval(x2, n2, alpha)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(low), float(high)


def holm_adjust(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjustment of a family of p-values.

    A thin wrapper of :func:`crmine.utils._stats.p_adjust` with
    ``method="holm"``, identical to R's ``p.adjust(p, "holm")``: the i-th
    smallest of ``m`` p-values is multiplied by ``m - i + 1``, the running
    maximum keeps the order and values are capped at 1.  NaN entries are
    ignored (they stay NaN and do not count in ``m``).

    Parameters
    ----------
    p_values : array-like of float
        Unadjusted p-values of one family of comparisons.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order.

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> holm_adjust([0.01, float("nan"), 0.04]).tolist()
    [0.02, nan, 0.04]
    """
    return p_adjust(p_values, "holm")


@dataclass(frozen=True, repr=False)
class SampleRatioMismatch(Result):
    """Result of a sample-ratio-mismatch (SRM) chi-square check.

    Attributes
    ----------
    table : pandas.DataFrame
        Per arm: ``observed`` customers, ``expected`` customers under the
        planned split and ``planned_share``.
    statistic : float
        Pearson chi-square goodness-of-fit statistic.
    dof : int
        Degrees of freedom (number of arms - 1).
    p_value : float
        Upper-tail p-value of ``statistic``.
    observed : pandas.Series
        Customers per arm (``table["observed"]``).
    expected : pandas.Series
        Customers per arm expected under the planned split
        (``table["expected"]``).
    alpha : float
        Threshold under which a mismatch is declared.
    mismatch : bool
        ``p_value < alpha``: the assignment did not follow the planned split
        and the comparison between arms may be biased.

    Examples
    --------
    >>> srm = sample_ratio_mismatch({"A": 5400, "B": 4600})
    >>> srm.mismatch, srm.table["expected"].tolist()
    (True, [5000.0, 5000.0])
    """

    statistic: float = np.nan
    dof: int = 0
    p_value: float = np.nan
    alpha: float = 0.001
    mismatch: bool = False

    @property
    def observed(self) -> pd.Series:
        """Customers per arm."""
        return self.table["observed"]

    @property
    def expected(self) -> pd.Series:
        """Customers per arm expected under the planned split."""
        return self.table["expected"]


def sample_ratio_mismatch(
    counts: Mapping[Any, int] | pd.Series,
    planned_split: Mapping[Any, float] | None = None,
    *,
    alpha: float = 0.001,
) -> SampleRatioMismatch:
    r"""Check the arm sizes of an experiment against the planned split.

    Pearson's chi-square goodness-of-fit test of the observed customers per
    arm :math:`O_a` against :math:`E_a = N w_a / \sum_b w_b`:
    :math:`\chi^2 = \sum_a (O_a - E_a)^2 / E_a` with (arms - 1) degrees of
    freedom.  The conventional threshold ``alpha=0.001`` (Kohavi et al.,
    *Trustworthy Online Controlled Experiments*) keeps false alarms rare on
    large campaigns.

    Parameters
    ----------
    counts : mapping or pandas.Series
        Customers per arm.
    planned_split : mapping, optional
        Planned weight (share or ratio) per arm; ``None`` means an equal split.
        Every planned arm must have customers and every observed arm must be
        planned.
    alpha : float, default 0.001
        Significance level of the mismatch flag.

    Returns
    -------
    SampleRatioMismatch

    Raises
    ------
    SchemaError
        An arm of the plan has no customers, an observed arm is not planned,
        or a weight is not positive.

    Examples
    --------
    >>> srm = sample_ratio_mismatch({"A": 5100, "B": 4900})
    >>> round(srm.statistic, 2), round(srm.p_value, 4), srm.mismatch
    (4.0, 0.0455, False)
    >>> srm
    SampleRatioMismatch(statistic=4, dof=1, p_value=0.0455, alpha=0.001, mismatch=False, table=2x3)
    """
    observed = _arm_counts(counts)
    if not 0 < alpha < 1:
        raise SchemaError(f"sample_ratio_mismatch: alpha={alpha!r} must be in (0, 1), e.g. 0.001.")
    if observed.empty:
        raise SchemaError("sample_ratio_mismatch: no arms given; pass the customers per arm.")
    if planned_split is None:
        weights = pd.Series(1.0, index=observed.index)
    else:
        weights = pd.Series(planned_split, dtype=float)
        missing = [a for a in weights.index if a not in observed.index or observed[a] == 0]
        if missing:
            raise SchemaError(
                f"arm(s) {missing!r} of planned_split have no customers; remove them from "
                "planned_split or check the arm column."
            )
        extra = [a for a in observed.index if a not in weights.index]
        if extra:
            raise SchemaError(
                f"arm(s) {extra!r} are observed but not in planned_split "
                f"{dict(weights)!r}; add their planned share."
            )
        bad = weights[~(weights > 0) | ~np.isfinite(weights.to_numpy())]
        if not bad.empty:
            raise SchemaError(
                f"planned_split weights must be positive and finite, got {dict(bad)!r}."
            )
        weights = weights.reindex(observed.index)
    if (observed == 0).any():
        empty = list(observed.index[observed == 0])
        raise SchemaError(f"arm(s) {empty!r} have no customers; every arm needs customers.")
    total = observed.sum()
    expected = total * weights / weights.sum()
    if len(observed) < 2:
        stat, p = 0.0, 1.0
    else:
        stat = float(((observed - expected) ** 2 / expected).sum())
        p = float(stats.chi2.sf(stat, len(observed) - 1))
    table = pd.DataFrame(
        {
            "observed": observed.astype("int64"),
            "expected": expected,
            "planned_share": weights / weights.sum(),
        }
    )
    table.index.name = "arm"
    return SampleRatioMismatch(
        table=table,
        statistic=stat,
        dof=len(observed) - 1,
        p_value=p,
        alpha=alpha,
        mismatch=bool(p < alpha),
    )
