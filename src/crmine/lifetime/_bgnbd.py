"""BG/NBD model (Fader, Hardie & Lee 2005) fitted by maximum likelihood."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

from crmine.lifetime._base import BTYDTransactionModel
from crmine.lifetime._common import compress, rising_sums, unique_inverse

__all__ = [
    "BetaGeoModel",
    "bgnbd_expected",
    "bgnbd_loglik_per_customer",
    "bgnbd_proba_alive",
    "rising_per_customer",
]

#: From this a + b on, scipy's hypergeometric function loses accuracy; the dropout
#: probability is then integrated out numerically (the Beta is nearly a point mass).
_POINT_MASS_AB = 1e4


def bgnbd_proba_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
    """P(alive | x, t_x, T) of BG/NBD (1 for customers without repeat purchases)."""
    r, alpha, a, b = params
    pos = x > 0
    xm1 = np.where(pos, b + x - 1.0, 1.0)
    log_odds = np.log(a) - np.log(xm1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(pos, np.exp(-np.logaddexp(0.0, log_odds)), 1.0)


_GL_U, _GL_W = np.polynomial.legendre.leggauss(48)
_GL_U, _GL_W = (_GL_U + 1.0) / 2.0, _GL_W / 2.0


@lru_cache(maxsize=512)
def _beta_nodes(a: float, b: float) -> np.ndarray:
    """Beta(a, b) quantiles at the Gauss-Legendre nodes (cached: CLV sums call this often)."""
    from scipy.stats import beta as beta_dist

    nodes = beta_dist.ppf(_GL_U, a, b)
    nodes.setflags(write=False)
    return nodes


def _expected_by_quadrature(r, alpha, a, b, t, x, T):
    """Expected purchases of an alive customer, p ~ Beta(a, b + x) integrated numerically.

    ``r``, ``alpha``, ``a``, ``b`` are one value per row (broadcast by the caller).
    """
    out = np.empty_like(t)
    (ua, ubx), _, inv = compress(a, b + x)
    for k in range(ua.size):
        sel = inv == k
        p = _beta_nodes(float(ua[k]), float(ubx[k]))[None, :]
        rx = (r[sel] + x[sel])[:, None]
        aT = (alpha[sel] + T[sel])[:, None]
        rate = rx / aT
        u = p * t[sel][:, None] / aT
        with np.errstate(all="ignore"):
            g = -np.expm1(-rx * np.log1p(u)) / p
        g = np.where((u < 1e-12) | ~np.isfinite(g), rate * t[sel][:, None], g)
        out[sel] = g @ _GL_W
    return out


def bgnbd_expected(params: Any, t: float | np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r"""Expected purchases in ``(T, T + t]`` of a customer **alive** at ``T`` after ``x`` repeats.

    Multiply by :func:`bgnbd_proba_alive` for the conditional expectation
    :math:`E[Y(t) \mid x, t_x, T]`; ``x = T = 0`` gives the unconditional
    :math:`E[X(t)]`.  ``params`` = ``(r, alpha, a, b)``, each a number or one
    value per customer (covariate models).  Three regimes, each finite:

    * general: Euler's transformation of FHL (2005, eq. 10),
      :math:`\frac{a+b+x-1}{a-1}[1-(1-z)^{a-1}{}_2F_1(a+b-1-r, a-1; a+b+x-1; z)]`,
      :math:`z = t/(\alpha+T+t)`, bounded for any ``x``;
    * ``a + b + x - 1 -> 0`` (customers without repeat purchases when
      ``a + b = 1``): the limit :math:`r z (1-z)^{a-1} {}_2F_1(1-r, a; 2; z)`;
    * ``a + b -> inf`` (the no-dropout-heterogeneity boundary, dropout
      probability a point mass at :math:`p = a/(a+b)`) or a hypergeometric
      value that is not finite: :math:`[1 - ((\alpha+T)/(\alpha+T+pt))^{r+x}]/p`,
      whose ``p -> 0`` limit is the NBD's :math:`(r+x)t/(\alpha+T)`.
    """
    x = np.asarray(x, dtype=float)
    T = np.asarray(T, dtype=float)
    shape = np.broadcast_shapes(np.shape(t), x.shape, T.shape, *(np.shape(v) for v in params))
    t, x, T, r, alpha, a, b = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (t, x, T, *params))
    )
    out = np.zeros(shape, dtype=float)
    live = t > 0
    if not live.any():
        return out
    tt, xx, TT = t[live], x[live], T[live]
    r, alpha, a, b = r[live], alpha[live], a[live], b[live]
    z = tt / (alpha + TT + tt)
    res = np.full(tt.shape, np.nan)
    hyp = a + b < _POINT_MASS_AB
    if hyp.any():
        a_h, b_h, r_h, x_h, z_h = a[hyp], b[hyp], r[hyp], xx[hyp], z[hyp]
        a_eff = np.where(np.abs(a_h - 1.0) > 1e-7, a_h, 1.0 + 1e-7)  # a == 1: removable
        c = a_eff + b_h + x_h - 1.0
        small = np.abs(c) < 1e-8
        with np.errstate(all="ignore"):
            cc = np.where(small, 1.0, c)
            h = hyp2f1(a_eff + b_h - 1.0 - r_h, a_eff - 1.0, cc, z_h)
            bracket = -np.expm1((a_eff - 1.0) * np.log1p(-z_h)) - np.exp(
                (a_eff - 1.0) * np.log1p(-z_h)
            ) * (h - 1.0)
            val = cc / (a_eff - 1.0) * bracket
            if small.any():
                zs, ae = z_h[small], a_eff[small]
                val[small] = r_h[small] * zs * np.exp((ae - 1.0) * np.log1p(-zs)) * hyp2f1(
                    1.0 - r_h[small], ae, 2.0, zs
                )
        res[hyp] = val
    bad = ~np.isfinite(res) | (res < 0)
    if bad.any():
        res[bad] = _expected_by_quadrature(
            r[bad], alpha[bad], a[bad], b[bad], tt[bad], xx[bad], TT[bad]
        )
    out[live] = res
    return out


#: From this value on, lgamma(c + x) - lgamma(c) and its derivative are summed term by
#: term (the differences of gammaln/digamma lose their digits to cancellation).
_RISING_EXACT = 1e4


def rising_per_customer(c: np.ndarray, x: np.ndarray, grad: bool = False) -> tuple:
    """``lgamma(c+x) - lgamma(c)`` and ``digamma(c+x) - digamma(c)`` per customer.

    ``c`` holds one value per customer, ``x`` whole numbers.  Below
    ``_RISING_EXACT`` the special functions are accurate to ~1e-11; above,
    ``sum_{k<x} log(c+k)`` and ``sum_{k<x} 1/(c+k)`` are summed exactly (the
    collapsed-heterogeneity boundary, where ``c`` runs to 1e8 and beyond).
    """
    c = np.asarray(c, dtype=float)
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        logs = gammaln(c + x) - gammaln(c)
        inv = digamma(c + x) - digamma(c) if grad else None
    big = c >= _RISING_EXACT
    if big.any():
        cb, xb = c[big], x[big]
        lb = np.zeros(cb.shape)
        ib = np.zeros(cb.shape)
        for k in range(int(xb.max(initial=0))):
            on = xb > k
            lb[on] += np.log(cb[on] + k)
            ib[on] += 1.0 / (cb[on] + k)
        logs = np.array(logs, copy=True)
        logs[big] = lb
        if grad:
            inv = np.array(inv, copy=True)
            inv[big] = ib
    return logs, inv


def bgnbd_loglik_per_customer(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, grad: bool = False
) -> Any:
    """BG/NBD log-likelihood of each customer with per-customer parameters.

    ``params`` = ``(r, alpha, a, b)``, each a number or one value per customer
    (covariate models: ``alpha_i``, ``a_i``, ``b_i``).  With ``grad=True`` also
    the analytic derivatives with respect to each of the four parameters, one
    row per parameter and one column per customer (the same expressions as
    the scalar likelihood, with digamma in place of the rising sums).
    """
    r, alpha, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in params), x)[:4]
    pos = x > 0
    xm1 = np.where(pos, b + x - 1.0, 1.0)
    log_aT = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    s_r, g_r = rising_per_customer(r, x, grad)
    s_b, g_b = rising_per_customer(b, x, grad)
    s_ab, g_ab = rising_per_customer(a + b, x, grad)
    ln_a1 = s_r + r * np.log(alpha)
    ln_a2 = s_b - s_ab
    a3 = -(r + x) * log_aT
    with np.errstate(divide="ignore"):
        a4 = np.where(pos, np.log(a) - np.log(xm1) - (r + x) * log_atx, -np.inf)
    lse = np.logaddexp(a3, a4)
    ll = ln_a1 + ln_a2 + lse
    if not grad:
        return ll
    w3 = np.exp(a3 - lse)
    w4 = np.exp(a4 - lse)
    d_r = g_r + np.log(alpha) - w3 * log_aT - w4 * log_atx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_a = -g_ab + w4 / a
    d_b = g_b - g_ab - w4 / xm1
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


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
    frequency_col, recency_col, T_col : str
        Columns of a customer table (defaults: ``repeat_frequency``,
        ``btyd_recency``, ``btyd_T``, as ``TransactionFeatures`` writes them).
    time_unit : str, optional
        Time unit of the data (else read from the table's ``attrs``).
    features : list of str, optional
        Time-invariant covariates (numeric columns of the customer table,
        dummies or continuous), as in CLVTools: ``alpha_i = alpha exp(-trans . z_i)``
        and ``a_i, b_i = a, b exp(life . z_i)``; see the user guide.

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
    standard_errors_ : pandas.Series
        Standard errors from the observed information (NaN for a boundary fit).
    boundary_fit_ : bool
        Whether the fit sits on a boundary of the parameter space.
    coefficients_ : pandas.Series
        With ``features``: ``trans_<feature>`` and ``life_<feature>``.
    lr_test_ : dict
        With ``features``: likelihood-ratio test against the model without them
        (``statistic``, ``df``, ``p_value``, ``log_likelihood_without``).
    covariance_all_ : pandas.DataFrame
        With ``features``: covariance of the log base parameters and the
        coefficients (inverse observed information).

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
        self, t: float | np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        params = self.params_.to_numpy()
        return bgnbd_expected(params, t, x, T) * bgnbd_proba_alive(params, x, t_x, T)

    def _proba_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        return bgnbd_proba_alive(self.params_.to_numpy(), x, t_x, T)

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
        zero = np.zeros_like(t)
        return bgnbd_expected(self.params_.to_numpy(), t, zero, zero)
