"""How sure is a Qini coefficient: bootstrap interval and the band of random targeting."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.campaign._significance import _z
from crmine.campaign._uplift_metrics import _check_inputs, qini_auc_score
from crmine.exceptions import DataWarning, SchemaError

__all__ = ["QiniInterval", "qini_auc_confint", "random_qini_band"]


def _rng(random_state: Any) -> np.random.Generator:
    """A numpy Generator from None, an int, a RandomState or a Generator."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    try:
        return np.random.default_rng(random_state)
    except (TypeError, ValueError):
        raise SchemaError(
            f"random_state={random_state!r} must be None, an int, a numpy RandomState or "
            "Generator."
        ) from None


@dataclass(frozen=True, repr=False)
class QiniInterval(Result):
    """Bootstrap or permutation interval of a Qini coefficient.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per resample: column ``qini`` (the resampled coefficient).
    estimate : float
        Qini coefficient on the full sample (NaN for a random band).
    low, high : float
        Interval bounds (percentiles ``alpha/2`` and ``1 - alpha/2``).
    alpha : float
        One minus the coverage.
    samples : numpy.ndarray
        The resampled Qini coefficients (``table["qini"]``).

    Examples
    --------
    >>> band = random_qini_band([1, 0, 0, 1] * 25, [1, 0] * 50, n_permutations=20,
    ...                         random_state=0)
    >>> band.table.shape, bool(band.low <= band.high)
    ((20, 1), True)
    """

    estimate: float = np.nan
    low: float = np.nan
    high: float = np.nan
    alpha: float = 0.05

    @property
    def samples(self) -> np.ndarray:
        """The resampled Qini coefficients."""
        return self.table["qini"].to_numpy()


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SchemaError(f"{name} must be a positive int, got {value!r}; e.g. {name}=200.")
    return int(value)


def qini_auc_confint(
    y_true: Any,
    y_score: Any,
    treatment: Any,
    *,
    n_bootstrap: int = 200,
    alpha: float = 0.05,
    negative_effect: bool = True,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
) -> QiniInterval:
    """Bootstrap percentile interval of :func:`qini_auc_score`.

    Customers are resampled with replacement *within each arm* (so both arms
    keep their sizes) ``n_bootstrap`` times; the interval holds the
    ``alpha/2`` and ``1 - alpha/2`` percentiles of the resampled coefficients.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    y_score : array-like of shape (n,)
        Predicted uplift.
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    n_bootstrap : int, default 200
        Number of bootstrap samples.
    alpha : float, default 0.05
        One minus the coverage.
    negative_effect : bool, default True
        Passed to :func:`qini_auc_score`.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the resampling.

    Returns
    -------
    QiniInterval

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = rng.integers(0, 2, 400)
    >>> u = rng.random(400)
    >>> y = (rng.random(400) < 0.1 + 0.3 * t * u).astype(int)
    >>> ci = qini_auc_confint(y, u, t, n_bootstrap=50, random_state=0)
    >>> bool(ci.low < ci.estimate < ci.high)
    True
    """
    y, u, t = _check_inputs(y_true, y_score, treatment)
    n_bootstrap = _check_count(n_bootstrap, "n_bootstrap")
    _z(alpha)
    rng = _rng(random_state)
    est = qini_auc_score(y, u, t, negative_effect=negative_effect)
    idx_t, idx_c = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    samples = np.empty(n_bootstrap)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for b in range(n_bootstrap):
            idx = np.r_[rng.choice(idx_t, idx_t.size), rng.choice(idx_c, idx_c.size)]
            samples[b] = qini_auc_score(y[idx], u[idx], t[idx], negative_effect=negative_effect)
    if np.isnan(samples).all():
        raise SchemaError(
            "every bootstrap Qini coefficient is undefined (the perfect curve equals random "
            "targeting: no responders, or as many in both arms); the interval cannot be "
            "computed. Fix: evaluate on a sample with responders."
        )
    low, high = np.nanpercentile(samples, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return QiniInterval(
        table=pd.DataFrame({"qini": samples}),
        estimate=float(est),
        low=float(low),
        high=float(high),
        alpha=alpha,
    )


def random_qini_band(
    y_true: Any,
    treatment: Any,
    *,
    n_permutations: int = 200,
    alpha: float = 0.05,
    negative_effect: bool = True,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
) -> QiniInterval:
    """Qini coefficients of random targeting: the band a useful model must beat.

    Scores are drawn as random permutations of the customers (equivalently,
    any model's scores permuted across customers) ``n_permutations`` times;
    the band holds the ``alpha/2`` and ``1 - alpha/2`` percentiles of their
    Qini coefficients.  A model whose Qini coefficient is above ``high`` is
    better than random targeting at level ``alpha/2`` (one-sided).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    n_permutations : int, default 200
        Number of random rankings.
    alpha : float, default 0.05
        One minus the coverage of the band.
    negative_effect : bool, default True
        Passed to :func:`qini_auc_score`.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the permutations.

    Returns
    -------
    QiniInterval
        ``estimate`` is NaN; ``low``/``high`` bound the random band.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = rng.integers(0, 2, 400)
    >>> y = (rng.random(400) < 0.2).astype(int)
    >>> band = random_qini_band(y, t, n_permutations=50, random_state=0)
    >>> bool(band.low < 0 < band.high)
    True
    """
    y, _, t = _check_inputs(y_true, None, treatment)
    n_permutations = _check_count(n_permutations, "n_permutations")
    _z(alpha)
    rng = _rng(random_state)
    samples = np.empty(n_permutations)
    base = np.arange(y.size, dtype=float)
    for b in range(n_permutations):
        samples[b] = qini_auc_score(
            y, rng.permutation(base), t, negative_effect=negative_effect
        )
    low, high = np.percentile(samples, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return QiniInterval(
        table=pd.DataFrame({"qini": samples}),
        estimate=float("nan"),
        low=float(low),
        high=float(high),
        alpha=alpha,
    )
