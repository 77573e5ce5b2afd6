"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from crmine.base import CustomerEstimatorMixin, _fit_context
from crmine.exceptions import DataWarning, SchemaError
from crmine.lifetime._common import (
    FREQUENCY_COL,
    MONETARY_COL,
    FitSummary,
    _as_float_array,
    _check_finite,
    check_fitted,
    compress,
    fit_log_params,
    fit_summary,
    log_param_covariance,
    warn_boundary,
    wrap,
)
from crmine.utils._validation import (
    check_rate,
    is_dataframe_like,
    read_customer_table,
    to_pandas,
)

__all__ = ["GammaGammaModel"]


def _gg_loglik(params: np.ndarray, x: np.ndarray, z: np.ndarray, grad: bool = False) -> Any:
    p, q, gamma = params
    px = p * x
    log_den = np.log(gamma + x * z)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(z)
        + px * np.log(x)
        - (px + q) * log_den
    )
    if not grad:
        return ll
    psi = digamma(px + q)
    d_p = x * (psi - digamma(px) + np.log(z) + np.log(x) - log_den)
    d_q = psi - digamma(q) + np.log(gamma) - log_den
    d_g = q / gamma - (px + q) / (gamma + x * z)
    return ll, np.stack([d_p, d_q, d_g])


class GammaGammaModel(CustomerEstimatorMixin, BaseEstimator):
    r"""Gamma-Gamma model of the average spend per repeat transaction.

    Each transaction value of a customer is :math:`\mathrm{Gamma}(p, \nu)`; the
    customer's scale :math:`\nu` is :math:`\mathrm{Gamma}(q, \gamma)` across
    customers.  Then the mean :math:`\bar z` of ``x`` transactions is
    :math:`\mathrm{Gamma}(px, \nu x)` and the parameters are estimated by
    maximum likelihood from ``(x, z̄)`` of customers with ``x > 0`` repeat
    purchases.  The model assumes spend is independent of the purchase
    process: check that the correlation between frequency and mean spend is
    small.

    Use the mean spend **per repeat transaction** (the first purchase
    excluded), as in Fader & Hardie (2013); customers with ``x = 0`` are
    ignored by ``fit`` and predicted at the population mean
    :math:`p\gamma/(q-1)`.

    Parameters
    ----------
    penalizer : float, default=0.0
        L2 penalty ``penalizer * sum(params**2)`` added to the mean negative
        log-likelihood.
    max_iter : int, default=2000
        Maximum number of optimiser iterations.

    Attributes
    ----------
    params_ : pandas.Series
        Estimates of ``p``, ``q``, ``gamma``.
    log_likelihood_ : float
        Maximised log-likelihood.
    n_customers_ : int
        Number of customers with ``x > 0`` used in the fit.
    frequency_spend_corr_ : float
        Pearson correlation of ``x`` and mean spend among those customers.
    mean_spend_finite_ : bool
        Whether the population mean spend :math:`p\\gamma/(q-1)` is finite
        (``q > 1``).  When it is not, a :class:`~crmine.exceptions.DataWarning`
        is raised by ``fit`` and ``predict_spend`` returns ``inf`` (never a
        negative number) for customers with :math:`px + q \\le 1`.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2013). "The Gamma-Gamma model of monetary
    value". http://brucehardie.com/notes/025/

    Examples
    --------
    >>> import numpy as np
    >>> from crmine.lifetime import GammaGammaModel
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(1, 6, 500)
    >>> nu = rng.gamma(4.0, 1 / 15.0, 500)          # customer-level scale
    >>> spend = rng.gamma(6.0 * x, 1 / (nu * x))    # mean of x Gamma(6, nu) spends
    >>> gg = GammaGammaModel().fit(x, spend)
    >>> list(gg.params_.index)
    ['p', 'q', 'gamma']
    >>> bool((gg.predict_spend(x, spend) > 0).all())
    True
    """

    _param_names = ("p", "q", "gamma")
    _parameter_constraints: dict = {
        "penalizer": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "frequency_col": [str],
        "monetary_col": [str],
    }

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        max_iter: int = 2000,
        frequency_col: str = FREQUENCY_COL,
        monetary_col: str = MONETARY_COL,
    ) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter
        self.frequency_col = frequency_col
        self.monetary_col = monetary_col

    def _arrays(
        self,
        frequency: Any,
        monetary_value: Any,
        *,
        allow_zero_spend: bool = False,
        reset: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
        index = None
        if monetary_value is None:
            if not (is_dataframe_like(frequency)):
                raise SchemaError(
                    "pass monetary_value (mean spend per repeat purchase) or a customer table "
                    f"with columns {self.frequency_col!r} and {self.monetary_col!r}. Fix: "
                    "fit(frequency, monetary_value) or fit(customer_table)."
                )
            table = to_pandas(frequency, name="X")
            mcol = self.monetary_col
            if (
                mcol not in table.columns
                and mcol == MONETARY_COL
                and "monetary_mean" in table.columns
            ):
                mcol = "monetary_mean"
                warnings.warn(
                    f"customer table has no {MONETARY_COL!r} column; using 'monetary_mean', the "
                    "average over ALL orders including the first. Gamma-Gamma is defined on the "
                    "mean spend per repeat purchase (TransactionFeatures computes it as "
                    f"{MONETARY_COL!r}); estimates will differ.",
                    DataWarning,
                    stacklevel=3,
                )
            read, _ = read_customer_table(
                table,
                {"frequency": self.frequency_col, "monetary": mcol},
                estimator=self,
                reset=reset,
                allow_nan=True,
            )
            frequency, monetary_value = read["frequency"], read["monetary"]
            index = read.index
        else:
            frequency = to_pandas(frequency, name="frequency")
            monetary_value = to_pandas(monetary_value, name="monetary_value")
            if isinstance(frequency, pd.Series):
                index = frequency.index
        x = _as_float_array(frequency, "frequency")
        z = _as_float_array(monetary_value, "monetary_value")
        if x.shape != z.shape or x.ndim != 1:
            raise SchemaError(
                f"frequency and monetary_value must be 1-D of equal length; got {x.shape} and "
                f"{z.shape}."
            )
        _check_finite(x, "frequency")
        _check_finite(z[x > 0], "monetary_value")
        if (x < 0).any():
            raise SchemaError(f"frequency must be >= 0; found {x[x < 0][0]!r}.")
        bad = (x > 0) & (z <= 0) if not allow_zero_spend else (x > 0) & (z < 0)
        if bad.any():
            raise SchemaError(
                f"monetary_value must be > 0 for customers with repeat purchases; found "
                f"{z[bad][0]!r} ({int(bad.sum())} customer(s)). Gamma-Gamma models positive "
                "spend: drop zero-value customers or add a small floor."
            )
        return x, z, index

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, frequency: Any, monetary_value: Any = None) -> GammaGammaModel:
        """Estimate ``p``, ``q``, ``gamma`` by maximum likelihood.

        Parameters
        ----------
        frequency : array-like or pandas.DataFrame
            Number of repeat purchases ``x`` per customer, or a customer table
            with ``repeat_frequency`` and ``btyd_monetary_mean`` columns.
        monetary_value : array-like, optional
            Mean spend per repeat purchase (ignored, and may be NaN, where ``x == 0``).

        Returns
        -------
        self
            The fitted model.

        Examples
        --------
        >>> from crmine.lifetime import GammaGammaModel
        >>> gg = GammaGammaModel().fit([1, 2, 3, 1, 4, 2], [20.0, 35.0, 18.0, 50.0, 22.0, 41.0])
        >>> gg.n_customers_
        6
        """
        x, z, _ = self._arrays(frequency, monetary_value, reset=True)
        mask = x > 0
        if mask.sum() < 2:
            raise SchemaError(
                f"Gamma-Gamma needs at least 2 customers with repeat purchases, got "
                f"{int(mask.sum())}. Use a longer calibration window."
            )
        (ux, uz), w, _ = compress(x[mask], z[mask])
        total = w.sum()
        pen = float(self.penalizer)

        def negll(t: np.ndarray) -> float:
            prm = np.exp(t)
            val = -np.dot(w, _gg_loglik(prm, ux, uz)) / total + pen * np.sum(prm**2)
            return float(val) if np.isfinite(val) else 1e100

        def fun_and_grad(t: np.ndarray) -> tuple[float, np.ndarray]:
            prm = np.exp(t)
            ll, g = _gg_loglik(prm, ux, uz, grad=True)
            val = -np.dot(w, ll) / total + pen * np.sum(prm**2)
            out = (-(g @ w) / total + 2 * pen * prm) * prm
            if not np.isfinite(val):
                return 1e100, np.zeros_like(t)
            return float(val), np.where(np.isfinite(out), out, 0.0)

        m = np.average(uz, weights=w)
        v = max(np.average((uz - m) ** 2, weights=w), 1e-12 * m * m)
        p0 = max(m * m / v, 0.1)
        x0 = np.log([p0, 2.0, max(m / p0, 1e-6)])
        res = fit_log_params(negll, x0, fun_and_grad=fun_and_grad, max_iter=int(self.max_iter))
        params = np.exp(res.x)
        self.params_ = pd.Series(params, index=list(self._param_names), name="estimate")
        self.log_likelihood_ = float(np.dot(w, _gg_loglik(params, ux, uz)))
        self.n_customers_ = int(mask.sum())
        self.n_iter_ = int(res.get("nit", 0))

        def total_negll(t: np.ndarray) -> float:
            with np.errstate(all="ignore"):
                return float(-np.dot(w, _gg_loglik(np.exp(t), ux, uz)))

        cov = log_param_covariance(total_negll, res.x)
        names = list(self._param_names)
        self.log_params_covariance_ = pd.DataFrame(cov, index=names, columns=names)
        self.frequency_spend_corr_ = (
            float(np.corrcoef(x[mask], z[mask])[0, 1]) if np.ptp(x[mask]) > 0 else float("nan")
        )
        warn_boundary("GammaGammaModel", self._param_names, params, res)
        self.mean_spend_finite_ = bool(params[1] > 1)
        if not self.mean_spend_finite_:
            warnings.warn(
                f"GammaGammaModel: q={params[1]:.3g} <= 1, so the population mean spend "
                "p*gamma/(q-1) is infinite (a heavy tail of big spenders): the expected spend "
                "of customers with few repeat purchases (p*x + q <= 1, all one-time buyers) is "
                "infinite and predict_spend returns inf for them. Check the spend data for "
                "outliers (wholesale orders, cancellations not netted) or fit with "
                "penalizer > 0; mean_spend_finite_ is False.",
                DataWarning,
                stacklevel=2,
            )
        return self

    def predict_spend(self, frequency: Any, monetary_value: Any = None) -> np.ndarray | pd.Series:
        r"""Expected spend per future transaction, conditional on the customer's history.

        :math:`E[Z \mid x, \bar z] = \frac{p(\gamma + x\bar z)}{px + q - 1}`, a weighted
        average of the population mean :math:`p\gamma/(q-1)` and the customer's
        own mean :math:`\bar z`; customers with ``x = 0`` get the population mean.

        Parameters
        ----------
        frequency : array-like or pandas.DataFrame
            Repeat purchases, or a customer table (see :meth:`fit`).
        monetary_value : array-like, optional
            Mean spend per repeat purchase.

        Returns
        -------
        numpy.ndarray or pandas.Series
            Expected spend per transaction.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import GammaGammaModel
        >>> gg = GammaGammaModel()
        >>> gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "gamma": 15.44})
        >>> [round(float(v), 2) for v in gg.predict_spend([0, 2], [0.0, 30.0])]
        [35.22, 30.94]
        """
        check_fitted(self)
        x, z, index = self._arrays(frequency, monetary_value, allow_zero_spend=True)
        p, q, gamma = self.params_.to_numpy()
        z = np.where(x > 0, z, 0.0)
        den = p * x + q - 1.0
        with np.errstate(divide="ignore"):
            out = np.where(den > 0, p * (gamma + x * z) / np.where(den > 0, den, 1.0), np.inf)
        n_inf = int(np.isinf(out).sum())
        if n_inf:
            warnings.warn(
                f"GammaGammaModel: q={q:.3g} <= 1 (infinite population mean spend): the "
                f"expected spend of {n_inf} customer(s) with p*x + q <= 1 is infinite (inf). "
                "Do not feed it into a CLV total; see mean_spend_finite_.",
                DataWarning,
                stacklevel=2,
            )
        return wrap(out, index, "expected_spend")

    def summary(self, level: float = 0.95) -> FitSummary:
        """Estimates with standard errors (observed information) and confidence intervals.

        Parameters
        ----------
        level : float, default=0.95
            Confidence level.

        Returns
        -------
        FitSummary
            ``.table`` with ``estimate``, ``std_error``, ``lower_95``, ``upper_95``
            per parameter; fields ``log_likelihood``, ``aic``, ``bic``.

        Examples
        --------
        >>> import numpy as np
        >>> from crmine.lifetime import GammaGammaModel
        >>> rng = np.random.default_rng(0)
        >>> x = rng.integers(1, 6, 500)
        >>> spend = rng.gamma(6.0 * x, 1 / (rng.gamma(4.0, 1 / 15.0, 500) * x))
        >>> list(GammaGammaModel().fit(x, spend).summary().table.columns)
        ['estimate', 'std_error', 'lower_95', 'upper_95']
        """
        check_fitted(self)
        return fit_summary(
            self,
            self.log_params_covariance_.to_numpy(),
            check_rate(level, name="level"),
            self.n_customers_,
        )

    def mean_spend(self) -> float:
        r"""Population mean spend per transaction, :math:`p\gamma/(q-1)`.

        Returns
        -------
        float
            The mean (``inf`` when ``q <= 1``).

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import GammaGammaModel
        >>> gg = GammaGammaModel()
        >>> gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "gamma": 15.44})
        >>> round(gg.mean_spend(), 2)
        35.22
        """
        check_fitted(self)
        p, q, gamma = self.params_.to_numpy()
        return float(p * gamma / (q - 1.0)) if q > 1 else float("inf")
