"""BG/BB model (Fader, Hardie & Shang 2010) for discrete-time non-contractual settings."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, gammaln

from crmine.exceptions import SchemaError
from crmine.lifetime._base import BTYDTransactionModel

__all__ = ["BetaGeoBetaBinomModel"]


def _bgbb_parts(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray):
    """(log-likelihood, log of the 'alive at n' term) per customer."""
    alpha, beta, gamma, delta = params
    b_ab = betaln(alpha, beta)
    b_gd = betaln(gamma, delta)
    log_alive = betaln(alpha + x, beta + n - x) - b_ab + betaln(gamma, delta + n) - b_gd
    m = int(np.max(n - t_x, initial=0))
    i = np.arange(m, dtype=float)[None, :]
    terms = (
        betaln(alpha + x[:, None], beta + t_x[:, None] - x[:, None] + i)
        - b_ab
        + betaln(gamma + 1.0, delta + t_x[:, None] + i)
        - b_gd
    )
    terms = np.where(i < (n - t_x)[:, None], terms, -np.inf)
    all_terms = np.concatenate([log_alive[:, None], terms], axis=1)
    mx = all_terms.max(axis=1)
    ll = mx + np.log(np.exp(all_terms - mx[:, None]).sum(axis=1))
    return ll, log_alive


class BetaGeoBetaBinomModel(BTYDTransactionModel):
    r"""BG/BB model of repeat transactions at discrete opportunities.

    A customer has ``n`` transaction opportunities (e.g. yearly donation
    drives).  While alive, they transact at each opportunity with probability
    :math:`p \sim \mathrm{Beta}(\alpha, \beta)`; before each opportunity they
    drop out with probability :math:`\theta \sim \mathrm{Beta}(\gamma, \delta)`.
    The input per customer is the number of repeat transactions ``x``, the
    opportunity of the last one ``t_x`` (0 when ``x = 0``) and the number of
    opportunities ``n`` -- the ``(frequency, recency, T)`` of the other models,
    in whole opportunities, so the API is the same (one shared base class).

    Predictions: :meth:`predict_proba_alive` is the probability of being alive
    at opportunity ``n + 1``; :meth:`predict_purchases` with ``t = n*`` the
    expected transactions in the next ``n*`` opportunities.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). "Customer-base analysis
    in a discrete-time noncontractual setting". *Marketing Science* 29(6),
    1086-1108.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import BetaGeoBetaBinomModel
    >>> m = BetaGeoBetaBinomModel()   # the published donations fit (FHS 2010)
    >>> m.params_ = pd.Series({"alpha": 1.204, "beta": 0.750, "gamma": 0.657,
    ...                        "delta": 2.783})
    >>> m.predict_proba_alive([0, 6], [0, 6], [6, 6]).round(3)
    array([0.108, 0.93 ])

    Fit on ``(frequency, recency, n)`` per donor, or on pre-aggregated
    patterns with ``weights`` (as ``donations.csv``)::

        m = BetaGeoBetaBinomModel().fit(d.frequency, d.recency, d.periods,
                                        weights=d.weights)
    """

    _param_names = ("alpha", "beta", "gamma", "delta")
    _model_name = "BetaGeoBetaBinomModel"

    def _rft(self, frequency: Any, recency: Any, T: Any, *, reset: bool = False) -> tuple:
        x, t_x, n, index = super()._rft(frequency, recency, T, reset=reset)
        whole = (np.abs(t_x - np.round(t_x)) < 1e-9) & (np.abs(n - np.round(n)) < 1e-9)
        if not whole.all() or (x > t_x).any():
            i = int(np.argmax(~whole | (x > t_x)))
            raise SchemaError(
                f"{self._model_name}: recency (opportunity of the last transaction) and T (number "
                f"of opportunities) must be whole numbers with frequency <= recency <= T; "
                f"customer at position {i} has ({x[i]:g}, {t_x[i]:g}, {n[i]:g}). Fix: count "
                "opportunities (e.g. years), not days."
            )
        return x, np.round(t_x), np.round(n), index

    @staticmethod
    def _loglik_terms(params, x, t_x, T, prep=None, grad=False) -> np.ndarray:
        return _bgbb_parts(params, x, t_x, T)[0]

    def _initial_params(self, x, t_x, T, w):
        return np.array([1.0, 1.0, 1.0, 1.0])

    def _proba_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        alpha, beta, gamma, delta = self.params_.to_numpy()
        ll, log_alive = _bgbb_parts(self.params_.to_numpy(), x, t_x, T)
        # alive at n + 1: survive one more dropout draw
        log_next = log_alive + np.log(delta + T) - np.log(gamma + delta + T)
        return np.exp(log_next - ll)

    def _conditional_expected(self, t, x, t_x, T) -> np.ndarray:
        alpha, beta, gamma, delta = self.params_.to_numpy()
        t = np.asarray(t, dtype=float)
        ll, _ = _bgbb_parts(self.params_.to_numpy(), x, t_x, T)
        log_first = betaln(alpha + x + 1.0, beta + T - x) - betaln(alpha, beta)
        log_rest = np.log(delta) + gammaln(gamma + delta) - gammaln(1.0 + delta)
        g = _gamma_ratio_diff(gamma, delta, T, t)
        return np.exp(log_first + log_rest - ll) * g

    def expected_purchases(self, t: float | np.ndarray) -> np.ndarray:
        r"""Expected transactions of a new customer in the first ``t`` opportunities.

        Parameters
        ----------
        t : float or array-like
            Number(s) of opportunities.

        Returns
        -------
        numpy.ndarray
            :math:`\frac{\alpha}{\alpha+\beta}\frac{\delta}{\gamma-1}\bigl[1 -
            \frac{\Gamma(\gamma+\delta)\Gamma(1+\delta+t)}{\Gamma(\gamma+\delta+t)
            \Gamma(1+\delta)}\bigr]`.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import BetaGeoBetaBinomModel
        >>> m = BetaGeoBetaBinomModel()
        >>> m.params_ = pd.Series({"alpha": 1.204, "beta": 0.750, "gamma": 0.657,
        ...                        "delta": 2.783})
        >>> round(float(m.expected_purchases(6)[0]), 3)
        2.22
        """
        self._check_fitted()
        alpha, beta, gamma, delta = self.params_.to_numpy()
        t = np.atleast_1d(np.asarray(t, dtype=float))
        lead = alpha / (alpha + beta) * delta * np.exp(gammaln(gamma + delta) - gammaln(1 + delta))
        return lead * _gamma_ratio_diff(gamma, delta, np.zeros_like(t), t)


def _gamma_ratio_diff(gamma: float, delta: float, n: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""``[G(1+d+n)/G(g+d+n) - G(1+d+n+t)/G(g+d+n+t)] / (g - 1)``, finite at ``g = 1``."""
    n = np.asarray(n, dtype=float)
    lo = gammaln(1.0 + delta + n) - gammaln(gamma + delta + n)
    hi = gammaln(1.0 + delta + n + t) - gammaln(gamma + delta + n + t)
    if abs(gamma - 1.0) < 1e-8:  # limit: d/dg of -G-ratio = log-difference of digammas
        from scipy.special import digamma

        return digamma(1.0 + delta + n + t) - digamma(1.0 + delta + n)
    return (np.exp(lo) - np.exp(hi)) / (gamma - 1.0)
