"""BG/NBD model (Fader, Hardie & Lee 2005) fitted by maximum likelihood."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import hyp2f1

from crmine.lifetime._base import BTYDTransactionModel
from crmine.lifetime._common import rising_sums, unique_inverse

__all__ = ["BetaGeoModel"]


class BetaGeoModel(BTYDTransactionModel):
    r"""Beta-geometric / negative binomial (BG/NBD) model of repeat purchasing.

    While alive, a customer buys as a Poisson process with rate
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`; after each purchase they drop
    out with probability :math:`p \sim \mathrm{Beta}(a, b)`.  The four parameters
    are estimated by maximum likelihood from each customer's number of repeat
    purchases ``x``, the time of the last purchase ``t_x`` and the length of the
    observation window ``T`` (both measured from the first purchase), all in
    one time unit (the unit of :math:`\alpha`).

    Parameters
    ----------
    penalizer : float, default=0.0
        L2 penalty ``penalizer * sum(params**2)`` added to the mean negative
        log-likelihood; a small value (0.001-0.1) stabilises boundary fits.
    max_iter : int, default=2000
        Maximum number of optimiser iterations.

    Attributes
    ----------
    params_ : pandas.Series
        Estimates of ``r``, ``alpha``, ``a``, ``b``.
    log_likelihood_ : float
        Maximised log-likelihood (sum over customers, penalty excluded).
    n_customers_ : int
        Number of customers in the fit.
    n_iter_ : int
        Number of optimiser iterations.

    See Also
    --------
    ParetoNBDModel : Dropout at any time instead of only after purchases.
    GammaGammaModel : Spend per transaction, to turn purchases into value.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers
    the easy way: an alternative to the Pareto/NBD model". *Marketing Science*
    24(2), 275-284.

    Examples
    --------
    >>> from crmine.lifetime import BetaGeoModel, simulate_btyd
    >>> table = simulate_btyd(2000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       T=39.0, random_state=0)
    >>> model = BetaGeoModel().fit(table)   # columns repeat_frequency, btyd_recency, btyd_T
    >>> model.params_.round(1).to_dict()
    {'r': 0.3, 'alpha': 4.0, 'a': 0.8, 'b': 2.5}
    >>> p_alive = model.predict_proba_alive(table)
    >>> next_year = model.predict_purchases(table, t=52.0)
    >>> clv = model.predict_clv(table, monetary_value=30.0, horizon=52.0,
    ...                         period_length=4.0, discount_rate=0.01)
    """

    _param_names = ("r", "alpha", "a", "b")
    _model_name = "BetaGeoModel"

    # ------------------------------------------------------------------ likelihood
    @staticmethod
    def _degenerate(params: np.ndarray, t_max: float) -> list[str]:
        r, alpha, a, b = params
        mean_p = a / (a + b)
        if mean_p < 1e-3:
            return [f"mean dropout probability a/(a+b)={mean_p:.2g} is driven to 0"]
        return []

    @staticmethod
    def _prepare(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple:
        xi = np.round(x).astype(np.int64)
        return x, t_x, T, (xi, unique_inverse(T), unique_inverse(t_x))

    @staticmethod
    def _loglik_terms(
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        prep: tuple | None = None,
        grad: bool = False,
    ) -> Any:
        r, alpha, a, b = params
        if prep is None:
            prep = BetaGeoModel._prepare(x, t_x, T)[3]
        xi, (uT, iT), (utx, itx) = prep
        pos = x > 0
        xm1 = np.where(pos, b + x - 1.0, 1.0)
        # lgamma(r+x) - lgamma(r), betaln(a, b+x) - betaln(a, b) as rising sums over k < x
        s_r, g_r = rising_sums(r, xi, grad)
        s_b, g_b = rising_sums(b, xi, grad)
        s_ab, g_ab = rising_sums(a + b, xi, grad)
        log_aT = np.log(alpha + uT)[iT]
        log_atx = np.log(alpha + utx)[itx]
        ln_a1 = s_r + r * np.log(alpha)
        ln_a2 = s_b - s_ab
        a3 = -(r + x) * log_aT
        a4 = np.where(pos, np.log(a) - np.log(xm1) - (r + x) * log_atx, -np.inf)
        lse = np.logaddexp(a3, a4)
        ll = ln_a1 + ln_a2 + lse
        if not grad:
            return ll
        w3 = np.exp(a3 - lse)
        w4 = np.exp(a4 - lse)
        d_r = g_r + np.log(alpha) - w3 * log_aT - w4 * log_atx
        inv_aT = (1.0 / (alpha + uT))[iT]
        inv_atx = (1.0 / (alpha + utx))[itx]
        d_alpha = r / alpha - (r + x) * (w3 * inv_aT + w4 * inv_atx)
        d_a = -g_ab + w4 / a
        d_b = g_b - g_ab - w4 / xm1
        return ll, np.stack([d_r, d_alpha, d_a, d_b])

    def _initial_params(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray):
        rate = max(np.sum(w * x) / np.sum(w * T), 1e-6)
        return np.array([1.0, 1.0 / rate, 1.0, 1.0])

    _has_gradient = True

    # ------------------------------------------------------------------ predictions
    def _conditional_expected(
        self, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        r, alpha, a, b = self.params_.to_numpy()
        t = float(t)
        if t == 0:
            return np.zeros_like(x, dtype=float)
        z = t / (alpha + T + t)
        # Euler transform: ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)
        #   = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): bounded for any x
        # a == 1 is a removable singularity: evaluate just beside it
        a_eff = a if abs(a - 1.0) > 1e-7 else 1.0 + 1e-7
        h = hyp2f1(a_eff + b - 1.0 - r, a_eff - 1.0, a_eff + b + x - 1.0, z)
        bracket = 1.0 - np.exp((a_eff - 1.0) * np.log1p(-z)) * h
        factor = (a_eff + b + x - 1.0) / (a_eff - 1.0)
        return factor * bracket * self._proba_alive(x, t_x, T)

    def _proba_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self.params_.to_numpy()
        pos = x > 0
        xm1 = np.where(pos, b + x - 1.0, 1.0)
        log_odds = np.log(a) - np.log(xm1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(pos, np.exp(-np.logaddexp(0.0, log_odds)), 1.0)

    def expected_purchases(self, t: float | np.ndarray) -> np.ndarray:
        r"""Expected number of purchases of a new customer in ``(0, t]``, :math:`E[X(t)]`.

        Parameters
        ----------
        t : float or array-like
            Length(s) of the period, in the model's time unit.

        Returns
        -------
        numpy.ndarray
            :math:`\frac{a+b-1}{a-1}\bigl[1 - (\frac{\alpha}{\alpha+t})^r
            {}_2F_1(r, b; a+b-1; \frac{t}{\alpha+t})\bigr]` for each ``t``.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import BetaGeoModel
        >>> m = BetaGeoModel()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> round(float(m.expected_purchases(39.0)[0]), 3)
        1.197
        """
        self._check_fitted()
        t = np.atleast_1d(np.asarray(t, dtype=float))
        zero = np.zeros(1)
        return np.array([self._conditional_expected(ti, zero, zero, zero)[0] for ti in t])
