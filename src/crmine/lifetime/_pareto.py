"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) fitted by maximum likelihood."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln, hyp2f1

from crmine.lifetime._base import BTYDTransactionModel
from crmine.lifetime._common import compress, rising_sums, unique_inverse

__all__ = ["ParetoNBDModel", "pareto_expected_per_customer", "pareto_parts_per_customer"]


def _log_f(
    t: np.ndarray,
    x: np.ndarray,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    r"""Log of :math:`{}_2F_1(\ldots; z(t)) / (\max(\alpha,\beta)+t)^{r+s+x}` (Fader-Hardie 2005).

    Uses Euler's transformation so that the remaining hypergeometric function
    has first argument 1 and is bounded for any ``x``:

    * alpha >= beta: ``2F1(r+s+x, s+1; r+s+x+1; z) = (1-z)^-s 2F1(1, r+x; r+s+x+1; z)``
      with ``z = (alpha-beta)/(alpha+t)``;
    * alpha < beta: ``2F1(r+s+x, r+x; r+s+x+1; z) = (1-z)^(1-r-x) 2F1(1, s+1; r+s+x+1; z)``
      with ``z = (beta-alpha)/(beta+t)``.

    ``pairs`` = (unique x, unique t, inverse) evaluates the function once per
    distinct (x, t) pair (many customers share them).
    """
    if pairs is not None:
        ux, ut, inv = pairs
        return _log_f(ut, ux, r, alpha, s, beta)[inv]
    big = r + s + x
    if alpha >= beta:
        z = (alpha - beta) / (alpha + t)
        h = hyp2f1(1.0, r + x, big + 1.0, z)
        return -s * np.log(beta + t) - (r + x) * np.log(alpha + t) + np.log(h)
    z = (beta - alpha) / (beta + t)
    h = hyp2f1(1.0, s + 1.0, big + 1.0, z)
    return (1.0 - r - x) * np.log(alpha + t) - (s + 1.0) * np.log(beta + t) + np.log(h)


_GL_U, _GL_W = np.polynomial.legendre.leggauss(8)
_GL_U, _GL_W = (_GL_U + 1.0) / 2.0, _GL_W / 2.0
_N_PANELS = 40
#: From this s on the hypergeometric route is replaced by quadrature (scipy's 2F1 loses
#: accuracy and overflows for large s and beta).
_QUAD_S = 50.0


def _log_dead_over_alive(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    r"""``log`` of the ratio of the 'dead' to the 'alive' likelihood term, by quadrature.

    ``ratio = s * int_{t_x}^T ((a+T)/(a+u))^{r+x} ((b+T)/(b+u))^s / (b+u) du`` (a = alpha,
    b = beta): the dropout-time integral of the Pareto/NBD likelihood divided by its
    alive term, written so that every factor is bounded.  The integrand is log-convex
    and largest at ``t_x``; composite Gauss-Legendre on geometrically growing panels
    from ``t_x`` resolves its decay scale whatever the parameters.  Used where the
    hypergeometric route fails (large ``s`` and ``beta``).  ``params`` are four
    numbers or four arrays of one value per customer (covariate models).
    """
    r, alpha, s, beta = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in params), x)[:4]
    (ux, utx, uT, ur, ua, us, ub), _, inv = compress(x, t_x, T, r, alpha, s, beta)
    length = uT - utx
    out = np.full(ux.shape, -np.inf)
    pos = length > 0
    if pos.any():
        xv, tx, TT, L = ux[pos], utx[pos], uT[pos], length[pos]
        rv, av, sv, bv = ur[pos], ua[pos], us[pos], ub[pos]
        slope = (rv + xv) / (av + tx) + (sv + 1.0) / (bv + tx)
        lo = np.clip(0.01 / (slope * L), 1e-14, 1.0)
        frac = lo[:, None] ** np.linspace(1.0, 0.0, _N_PANELS)[None, :]
        edges = np.concatenate([np.zeros((len(L), 1)), frac], axis=1) * L[:, None]
        left, width = edges[:, :-1], np.diff(edges, axis=1)
        u = tx[:, None, None] + left[:, :, None] + width[:, :, None] * _GL_U[None, None, :]
        a3, b3 = av[:, None, None], bv[:, None, None]
        g = (
            (rv + xv)[:, None, None] * (np.log(av + TT)[:, None, None] - np.log(a3 + u))
            + sv[:, None, None] * (np.log(bv + TT)[:, None, None] - np.log(b3 + u))
            - np.log(b3 + u)
        )
        logw = np.log(width)[:, :, None] + np.log(_GL_W)[None, None, :]
        terms = (g + logw).reshape(len(L), -1)
        mx = terms.max(axis=1)
        out[pos] = np.log(sv) + mx + np.log(np.exp(terms - mx[:, None]).sum(axis=1))
    return out[inv]


def _log_f_vec(
    t: np.ndarray, x: np.ndarray, r: Any, alpha: Any, s: Any, beta: Any
) -> np.ndarray:
    """:func:`_log_f` with one parameter value per customer (the two cases per element)."""
    t, x, r, alpha, s, beta = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (t, x, r, alpha, s, beta))
    )
    out = np.empty(t.shape)
    ge = alpha >= beta
    i = ge
    if i.any():
        z = (alpha[i] - beta[i]) / (alpha[i] + t[i])
        h = hyp2f1(1.0, r[i] + x[i], r[i] + s[i] + x[i] + 1.0, z)
        out[i] = (
            -s[i] * np.log(beta[i] + t[i])
            - (r[i] + x[i]) * np.log(alpha[i] + t[i])
            + np.log(h)
        )
    i = ~ge
    if i.any():
        z = (beta[i] - alpha[i]) / (beta[i] + t[i])
        h = hyp2f1(1.0, s[i] + 1.0, r[i] + s[i] + x[i] + 1.0, z)
        out[i] = (
            (1.0 - r[i] - x[i]) * np.log(alpha[i] + t[i])
            - (s[i] + 1.0) * np.log(beta[i] + t[i])
            + np.log(h)
        )
    return out


def pareto_parts_per_customer(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log-likelihood, log 'alive' term, log 'dead' term) with per-customer parameters.

    ``params`` = ``(r, alpha, s, beta)``, each a number or one value per customer
    (the covariate models: ``alpha_i``, ``beta_i``).  Same formulas as the
    scalar route (Euler-transformed hypergeometric functions, quadrature where
    they fail or ``s`` is large), evaluated element by element.
    """
    r, alpha, s, beta = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in params), x)[:4]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lf_tx = _log_f_vec(t_x, x, r, alpha, s, beta)
        lf_T = _log_f_vec(T, x, r, alpha, s, beta)
        diff = np.minimum(lf_T - lf_tx, 0.0)
        log_a0 = lf_tx + np.log(-np.expm1(diff))
        log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        log_dead = np.log(s) - np.log(r + s + x) + log_a0
        bad = (s >= _QUAD_S) | ~np.isfinite(log_dead)
        if bad.any():
            log_dead = np.array(log_dead, dtype=float, copy=True)
            sub = (r[bad], alpha[bad], s[bad], beta[bad])
            log_dead[bad] = log_alive[bad] + _log_dead_over_alive(sub, x[bad], t_x[bad], T[bad])
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        ll = head + np.logaddexp(log_alive, log_dead)
    return ll, log_alive, log_dead


def pareto_expected_per_customer(
    params: Any, t: Any, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T`` (per-customer params)."""
    r, alpha, s, beta = (np.asarray(v, dtype=float) for v in params)
    t = np.asarray(t, dtype=float)
    log_ratio = np.log1p(t / (beta + T))
    near_one = np.abs(s - 1.0) < 1e-10
    s_safe = np.where(near_one, 2.0, s)
    shape = np.where(near_one, log_ratio, -np.expm1(-(s_safe - 1.0) * log_ratio) / (s_safe - 1.0))
    return (r + x) * (beta + T) / (alpha + T) * shape


def _unique_pairs(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (ux, ut), _, inv = compress(x, t)
    return ux, ut, inv


def _prepare_pareto(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple:
    return (
        _unique_pairs(x, t_x),
        _unique_pairs(x, T),
        np.round(x).astype(np.int64),
        unique_inverse(T),
    )


def _pareto_parts(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    prep: tuple | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (log-likelihood, log of the 'alive' term, log of the 'dead' term)."""
    r, alpha, s, beta = params
    if prep is None:
        prep = _prepare_pareto(x, t_x, T)
    p_tx, p_T, xi, (uT, iT) = prep
    x_grid = np.arange(xi.max(initial=0) + 1, dtype=float)
    # extreme parameters tried by the optimiser may give inf/nan: they are rejected there
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lf_tx = _log_f(t_x, x, r, alpha, s, beta, p_tx)
        lf_T = _log_f(T, x, r, alpha, s, beta, p_T)
        diff = np.minimum(lf_T - lf_tx, 0.0)
        log_a0 = lf_tx + np.log(-np.expm1(diff))
        log_alive = -(r + x) * np.log(alpha + uT)[iT] - s * np.log(beta + uT)[iT]
        log_dead = np.log(s) - np.log(r + s + x_grid)[xi] + log_a0
        if s >= _QUAD_S or not np.isfinite(log_dead).all():
            bad = np.ones(x.shape, bool) if s >= _QUAD_S else ~np.isfinite(log_dead)
            log_dead = np.array(log_dead, dtype=float, copy=True)
            log_dead[bad] = log_alive[bad] + _log_dead_over_alive(
                params, x[bad], t_x[bad], T[bad]
            )
        head = rising_sums(r, xi)[0] + r * np.log(alpha) + s * np.log(beta)
        ll = head + np.logaddexp(log_alive, log_dead)
    return ll, log_alive, log_dead


class ParetoNBDModel(BTYDTransactionModel):
    r"""Pareto/NBD model of repeat purchasing with unobserved dropout.

    While alive, a customer buys as a Poisson process with rate
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`; their lifetime is exponential
    with rate :math:`\mu \sim \mathrm{Gamma}(s, \beta)`, so they may drop out at
    any moment (in BG/NBD only right after a purchase).  Parameters are
    estimated by maximum likelihood from ``(x, t_x, T)``.  The likelihood
    involves a Gaussian hypergeometric function; crmine evaluates it in log
    space with the two standard cases (alpha >= beta and alpha < beta) and
    Euler's transformation, so large frequencies do not overflow.

    Parameters
    ----------
    penalizer : float, default=0.0
        L2 penalty ``penalizer * sum(params**2)`` added to the mean negative
        log-likelihood.
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
        and ``beta_i = beta exp(-life . z_i)``; see the user guide.

    Attributes
    ----------
    params_ : pandas.Series
        Estimates of ``r``, ``alpha``, ``s``, ``beta``.
    log_likelihood_ : float
        Maximised log-likelihood.
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
    BetaGeoModel : The easier BG/NBD alternative.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). "Counting your
    customers: who are they and what will they do next?" *Management Science*
    33(1), 1-24.  Fader, P. S. & Hardie, B. G. S. (2005). "A note on deriving
    the Pareto/NBD model and related expressions".

    Examples
    --------
    >>> from crmine.lifetime import ParetoNBDModel, simulate_btyd
    >>> table = simulate_btyd(2000, {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0},
    ...                       model="pareto", T=39.0, random_state=0)
    >>> model = ParetoNBDModel().fit(table)
    >>> list(model.params_.index)
    ['r', 'alpha', 's', 'beta']
    >>> p_alive = model.predict_proba_alive(table)
    >>> bool(((p_alive >= 0) & (p_alive <= 1)).all())
    True
    """

    _param_names = ("r", "alpha", "s", "beta")
    _model_name = "ParetoNBDModel"
    _has_gradient = False

    @staticmethod
    def _stop_early(z: np.ndarray, t_max: float) -> bool:
        # mean dropout rate s/beta so small that < 0.1 % of customers would drop out within
        # the longest window: the likelihood is flat there and the hypergeometric functions
        # (argument -> 1) get slow, so stop and report a boundary fit
        return bool(np.exp(z[2] - z[3]) * t_max < 1e-3)

    @staticmethod
    def _degenerate(params: np.ndarray, t_max: float) -> list[str]:
        r, alpha, s, beta = params
        rate = s / beta
        if rate * t_max < 1e-3:
            return [
                f"mean dropout rate s/beta={rate:.2g} per time unit is driven to 0 "
                f"(s={s:.3g}, beta={beta:.3g})"
            ]
        return []

    @staticmethod
    def _prepare(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple:
        return x, t_x, T, _prepare_pareto(x, t_x, T)

    @staticmethod
    def _loglik_terms(
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        pairs: tuple | None = None,
        grad: bool = False,
    ) -> np.ndarray:
        return _pareto_parts(params, x, t_x, T, pairs)[0]

    def _initial_params(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray):
        rate = max(np.sum(w * x) / np.sum(w * T), 1e-6)
        mean_T = np.sum(w * T) / np.sum(w)
        return np.array([1.0, 1.0 / rate, 1.0, mean_T])

    def _proba_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        _, log_alive, log_dead = _pareto_parts(self.params_.to_numpy(), x, t_x, T)
        return np.exp(log_alive - np.logaddexp(log_alive, log_dead))

    def _conditional_expected(
        self, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        r, alpha, s, beta = self.params_.to_numpy()
        t = np.asarray(t, dtype=float)
        log_ratio = np.log1p(t / (beta + T))  # log((beta+T+t)/(beta+T))
        if abs(s - 1.0) < 1e-10:
            shape = log_ratio
        else:
            shape = -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)
        base = (r + x) * (beta + T) / (alpha + T) * shape
        return base * self._proba_alive(x, t_x, T)

    def expected_purchases(self, t: float | np.ndarray) -> np.ndarray:
        r"""Expected number of purchases of a new customer in ``(0, t]``, :math:`E[X(t)]`.

        Parameters
        ----------
        t : float or array-like
            Length(s) of the period, in the model's time unit.

        Returns
        -------
        numpy.ndarray
            :math:`\frac{r\beta}{\alpha(s-1)}\bigl[1-(\frac{\beta}{\beta+t})^{s-1}\bigr]`.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import ParetoNBDModel
        >>> m = ParetoNBDModel()
        >>> m.params_ = pd.Series({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
        >>> round(float(m.expected_purchases(39.0)[0]), 2)
        1.21
        """
        self._check_fitted()
        t = np.atleast_1d(np.asarray(t, dtype=float))
        r, alpha, s, beta = self.params_.to_numpy()
        log_ratio = np.log1p(t / beta)
        if abs(s - 1.0) < 1e-10:
            shape = log_ratio
        else:
            shape = -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)
        return r * beta / alpha * shape
