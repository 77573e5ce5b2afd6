"""Common machinery of the BG/NBD and Pareto/NBD transaction models."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from crmine.base import CustomerEstimatorMixin, _fit_context
from crmine.exceptions import SchemaError
from crmine.lifetime._common import (
    FREQUENCY_COL,
    RECENCY_COL,
    T_COL,
    _as_float_array,
    check_fitted,
    check_nonneg_float,
    check_rft,
    compress,
    discounted_clv,
    fit_log_params,
    log_param_covariance,
    warn_boundary,
    wrap,
)
from crmine.lifetime._covariates import (
    fit_covariates,
    per_customer_alive,
    per_customer_expected,
    per_customer_loglik,
    read_features,
)
from crmine.lifetime._uncertainty import ParameterUncertaintyMixin
from crmine.utils._validation import check_money, check_rate, to_pandas

__all__ = ["BTYDTransactionModel"]

#: Below this many customers a population model is not identified (warned in fit).
_MIN_CUSTOMERS = 10


def _check_horizons(t: Any, n: int) -> float | np.ndarray:
    """A horizon ``t`` >= 0: one number, or one per customer."""
    if np.ndim(t) == 0:
        return check_nonneg_float(t, "t")
    arr = _as_float_array(t, "t")
    if arr.shape != (n,) or not np.isfinite(arr).all() or (arr < 0).any():
        raise SchemaError(
            f"t must be one horizon >= 0 or one finite horizon >= 0 per customer ({n}); got "
            f"shape {arr.shape}. Fix: pass t=<number> or an array of {n} values."
        )
    return arr


class BTYDTransactionModel(ParameterUncertaintyMixin, CustomerEstimatorMixin, BaseEstimator):
    """Base class: fit by maximum likelihood on compressed (x, t_x, T) rows.

    Subclasses define ``_param_names``, ``_model_name``, ``_loglik_terms``,
    ``_initial_params``, ``_conditional_expected`` and ``_proba_alive``.
    """

    _param_names: tuple[str, ...] = ()
    _model_name = "BTYD"
    _has_gradient = False

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        max_iter: int = 2000,
        frequency_col: str = FREQUENCY_COL,
        recency_col: str = RECENCY_COL,
        T_col: str = T_COL,
        time_unit: str | None = None,
        features: list[str] | None = None,
    ) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter
        self.frequency_col = frequency_col
        self.recency_col = recency_col
        self.T_col = T_col
        self.time_unit = time_unit
        self.features = features

    def _rft(self, frequency: Any, recency: Any, T: Any, *, reset: bool = False) -> tuple:
        """(x, t_x, T, index) from a customer table (by ``<role>_col``) or three arrays."""
        return check_rft(
            frequency,
            recency,
            T,
            columns=(self.frequency_col, self.recency_col, self.T_col),
            estimator=self,
            reset=reset,
        )

    # ------------------------------------------------------------------ fitting
    _parameter_constraints: dict = {
        "penalizer": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "frequency_col": [str],
        "recency_col": [str],
        "T_col": [str],
        "time_unit": [str, None],
        "features": ["array-like", None],
    }

    def _validate_hyper(self) -> None:
        self._validate_params()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, frequency: Any, recency: Any = None, T: Any = None, *, weights: Any = None
    ) -> BTYDTransactionModel:
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        frequency : array-like or pandas.DataFrame
            Number of repeat purchases per customer.  Alternatively a customer
            table with columns ``repeat_frequency``, ``btyd_recency`` and
            ``btyd_T`` (as built by ``crmine.features.TransactionFeatures``) or
            an ``(n, 3)`` array; then ``recency`` and ``T`` are omitted.
        recency : array-like, optional
            Time from the first to the last purchase (0 when ``frequency`` is 0).
        T : array-like, optional
            Time from the first purchase to the end of the calibration period.
        weights : array-like, optional
            Number of customers each row stands for (for pre-aggregated data).

        Returns
        -------
        self
            The fitted model.

        Examples
        --------
        >>> from crmine.lifetime import BetaGeoModel, simulate_btyd
        >>> table = simulate_btyd(500, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
        ...                       random_state=0)
        >>> m = BetaGeoModel().fit(table["repeat_frequency"], table["btyd_recency"],
        ...                        table["btyd_T"])
        >>> m.n_customers_
        500
        """
        x, t_x, t_cal, _ = self._rft(frequency, recency, T, reset=True)
        self.time_unit_ = self._resolve_time_unit(frequency)
        if weights is None:
            w_in = np.ones_like(x)
        else:
            w_in = _as_float_array(weights, "weights")
            if w_in.shape != x.shape or not np.isfinite(w_in).all() or (w_in < 0).any():
                raise SchemaError(
                    "weights must be finite, non-negative and one per customer; got "
                    f"shape {w_in.shape} for {x.shape[0]} customers."
                )
        if x.max() == 0:
            raise SchemaError(
                "no customer made a repeat purchase (frequency is 0 for all): the purchase and "
                "dropout processes cannot be identified. Use a longer calibration window."
            )
        (ux, utx, uT), counts, inverse = compress(x, t_x, t_cal)
        w = np.bincount(inverse, weights=w_in, minlength=ux.size)
        keep = w > 0
        ux, utx, uT, w = ux[keep], utx[keep], uT[keep], w[keep]
        total_w = w.sum()
        pen = float(self.penalizer)

        data = self._prepare(ux, utx, uT)

        def negll(z: np.ndarray) -> float:
            p = np.exp(z)
            ll = self._loglik_terms(p, *data)
            val = -np.dot(w, ll) / total_w + pen * np.sum(p**2)
            return float(val) if np.isfinite(val) else 1e100

        def fun_and_grad(z: np.ndarray) -> tuple[float, np.ndarray]:
            p = np.exp(z)
            ll, g = self._loglik_terms(p, *data, grad=True)
            val = -np.dot(w, ll) / total_w + pen * np.sum(p**2)
            out = (-(g @ w) / total_w + 2.0 * pen * p) * p
            if not np.isfinite(val):
                return 1e100, np.zeros_like(z)
            return float(val), np.where(np.isfinite(out), out, 0.0)

        x0 = np.log(self._initial_params(ux, utx, uT, w))
        t_max = float(uT.max())
        res = fit_log_params(
            negll,
            x0,
            fun_and_grad=fun_and_grad if self._has_gradient else None,
            max_iter=int(self.max_iter),
            stop=None if self._stop_early is None else (lambda z: self._stop_early(z, t_max)),
        )
        params = np.exp(res.x)
        self._set_params_from_vector(params)
        self.log_likelihood_ = float(np.dot(w, self._loglik_terms(params, *data)))
        self.T_typical_ = float(np.quantile(t_cal, 0.9))

        def total_negll(z: np.ndarray) -> float:
            with np.errstate(all="ignore"):
                return float(-np.dot(w, self._loglik_terms(np.exp(z), *data)))

        self.n_customers_ = int(round(total_w))
        self.n_iter_ = int(res.get("nit", res.get("nfev", 0)))
        extra = self._degenerate(params, t_max)
        if total_w < _MIN_CUSTOMERS:
            extra.append(
                f"only {total_w:g} customer(s): a {len(params)}-parameter population model is "
                "not identified from so few; fit on the whole customer base"
            )
        problems = warn_boundary(self._model_name, self._param_names, params, res, extra)
        self.boundary_fit_ = bool(problems)
        names = list(self._param_names)
        if problems:  # flat likelihood: no meaningful observed information
            cov = np.full((len(names), len(names)), np.nan)
        else:
            cov = log_param_covariance(total_negll, np.log(params))
        self.log_params_covariance_ = pd.DataFrame(cov, index=names, columns=names)
        self.standard_errors_ = pd.Series(
            params * np.sqrt(np.clip(np.diag(cov), 0.0, None)), index=names, name="std_error"
        )
        if self.features:
            Z = read_features(self, frequency)
            if extra:
                # no dropout at all (or too few customers): nothing for covariates to act on.
                # A collapsed heterogeneity (a shape or scale driven to infinity) is a
                # well-defined limit model and is fitted (with the boundary warning).
                raise SchemaError(
                    f"{self._model_name}: the model without covariates is already a boundary "
                    f"fit ({'; '.join(extra)}), so covariate effects on it are not "
                    "identified. Fix: a longer calibration window, penalizer > 0, or fit "
                    "without features=."
                )
            fit_covariates(
                self, x, t_x, t_cal, w_in, Z, ll_without=self.log_likelihood_,
                restart=bool(problems),
            )
        return self

    # ------------------------------------------------------------------ covariate dispatch
    def _Z(self, data: Any) -> np.ndarray | None:
        return read_features(self, data) if self.features else None

    def _alive(self, Z: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        if Z is None:
            return self._proba_alive(x, t_x, T)
        return per_customer_alive(self, Z, x, t_x, T)

    def _expected(self, Z: Any, t: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
        if Z is None:
            return self._conditional_expected(t, x, t_x, T)
        return per_customer_expected(self, Z, t, x, t_x, T)

    def _ll(self, Z: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        if Z is None:
            return self._loglik_terms(self.params_.to_numpy(), x, t_x, T)
        return per_customer_loglik(self, Z, x, t_x, T)

    _stop_early = None

    def _resolve_time_unit(self, data: Any) -> str | None:
        """The time unit: the parameter, else ``attrs["time_unit"]`` of a table, else None."""
        if self.time_unit is not None:
            return self.time_unit
        attrs = getattr(data, "attrs", None)
        unit = attrs.get("time_unit") if isinstance(attrs, dict) else None
        return unit if isinstance(unit, str) else None

    @staticmethod
    def _degenerate(params: np.ndarray, t_max: float) -> list[str]:
        """Model-specific signs of a degenerate fit (subclasses override)."""
        return []

    @staticmethod
    def _prepare(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple:
        """Data passed to ``_loglik_terms`` during fitting (subclasses may precompute)."""
        return x, t_x, T

    def _set_params_from_vector(self, p: np.ndarray) -> None:
        self.params_ = pd.Series(p, index=list(self._param_names), name="estimate")

    def _check_fitted(self) -> None:
        check_fitted(self)

    # ------------------------------------------------------------------ public predictions
    def score_samples(
        self, frequency: Any, recency: Any = None, T: Any = None
    ) -> np.ndarray | pd.Series:
        """Log-likelihood of each customer's (frequency, recency, T) under the fitted model.

        Parameters
        ----------
        frequency, recency, T : array-like or customer table
            As in :meth:`fit`.

        Returns
        -------
        numpy.ndarray or pandas.Series
            One log-likelihood per customer (a Series for customer-table input).

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import BetaGeoModel
        >>> m = BetaGeoModel()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m.score_samples([0, 2], [0.0, 30.0], [39.0, 39.0]).round(3)
        array([-0.555, -9.456])
        """
        self._check_fitted()
        x, t_x, t_cal, index = self._rft(frequency, recency, T)
        ll = self._ll(self._Z(frequency), x, t_x, t_cal)
        return wrap(ll, index, "log_likelihood")

    def predict_proba_alive(
        self, frequency: Any, recency: Any = None, T: Any = None
    ) -> np.ndarray | pd.Series:
        """Probability that each customer is still alive at the end of calibration.

        Parameters
        ----------
        frequency, recency, T : array-like or customer table
            As in :meth:`fit`.

        Returns
        -------
        numpy.ndarray or pandas.Series
            P(alive | x, t_x, T) in [0, 1] per customer.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import BetaGeoModel
        >>> m = BetaGeoModel()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m.predict_proba_alive([0, 2, 2], [0.0, 30.0, 5.0], [39.0, 39.0, 39.0]).round(3)
        array([1.   , 0.72 , 0.123])
        """
        self._check_fitted()
        x, t_x, t_cal, index = self._rft(frequency, recency, T)
        alive = self._alive(self._Z(frequency), x, t_x, t_cal)
        return wrap(np.clip(alive, 0.0, 1.0), index, "proba_alive")

    def predict_purchases(
        self, frequency: Any, recency: Any = None, T: Any = None, *, t: float
    ) -> np.ndarray | pd.Series:
        r"""Expected number of purchases in the next ``t`` time units, per customer.

        Conditional expectation :math:`E[Y(t) \mid x, t_x, T]`.

        Parameters
        ----------
        frequency, recency, T : array-like or customer table
            As in :meth:`fit`.
        t : float or array-like
            Length of the forecast horizon, in the model's time unit; one value
            per customer when their horizons differ (e.g. holdout periods).

        Returns
        -------
        numpy.ndarray or pandas.Series
            Expected purchases per customer.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import BetaGeoModel
        >>> m = BetaGeoModel()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m.predict_purchases([0, 2], [0.0, 30.0], [39.0, 39.0], t=39.0).round(3)
        array([0.195, 1.211])
        """
        self._check_fitted()
        x, t_x, t_cal, index = self._rft(frequency, recency, T)
        t = _check_horizons(t, x.shape[0])
        out = self._expected(self._Z(frequency), t, x, t_x, t_cal)
        return wrap(out, index, "expected_purchases")

    def predict_clv(
        self,
        frequency: Any,
        recency: Any = None,
        T: Any = None,
        *,
        monetary_value: Any,
        horizon: float,
        period_length: float = 1.0,
        discount_rate: float = 0.0,
        margin: float = 1.0,
    ) -> np.ndarray | pd.Series:
        """Discounted customer lifetime value over a horizon.

        ``CLV = margin * spend * sum_k (E[Y(k L)] - E[Y((k-1) L)]) / (1 + d)^k`` for
        periods ``k = 1 .. ceil(horizon / L)`` of length ``L = period_length``:
        the purchases expected in each period are valued at the expected spend
        per purchase and discounted at the end of that period.

        Parameters
        ----------
        frequency, recency, T : array-like or customer table
            As in :meth:`fit`.
        monetary_value : array-like, scalar or GammaGammaModel
            Expected spend per future purchase of each customer, or a fitted
            :class:`GammaGammaModel` (then ``frequency`` must be a customer
            table holding the monetary column, or ``monetary_value`` is the
            fitted model and the spend is taken from
            ``GammaGammaModel.predict_spend`` on the same table).
        horizon : float
            Length of the forecast window, in the model's time unit.
        period_length : float, default=1.0
            Length of a discounting period, in the model's time unit (e.g. 4.345
            weeks for monthly discounting of a weekly model).
        discount_rate : float, default=0.0
            Discount rate per period.
        margin : float, default=1.0
            Profit margin applied to spend.

        Returns
        -------
        numpy.ndarray or pandas.Series
            Discounted CLV per customer.

        Examples
        --------
        >>> import pandas as pd
        >>> from crmine.lifetime import BetaGeoModel
        >>> m = BetaGeoModel()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m.predict_clv([2], [30.0], [39.0], monetary_value=25.0, horizon=52.0,
        ...               period_length=4.0, discount_rate=0.01).round(2)
        array([36.09])
        """
        self._check_fitted()
        x, t_x, t_cal, index = self._rft(frequency, recency, T)
        spend = self._spend(monetary_value, frequency, x.shape)
        Z = self._Z(frequency)
        margin = check_rate(margin, name="margin")
        discount_rate = check_rate(discount_rate, name="discount_rate")

        def cumulative(t: float) -> np.ndarray:
            return self._expected(Z, t, x, t_x, t_cal)

        clv = discounted_clv(
            cumulative,
            spend * margin,
            horizon=horizon,
            period_length=period_length,
            discount_rate=discount_rate,
        )
        return wrap(clv, index, "clv")

    @staticmethod
    def _spend(monetary_value: Any, frequency: Any, shape: tuple[int, ...]) -> np.ndarray:
        """Expected spend per purchase: a number, one per customer, or a fitted spend model."""
        if hasattr(monetary_value, "predict_spend"):
            if getattr(monetary_value, "mean_spend_finite_", True) is False:
                raise SchemaError(
                    f"the spend model has q={monetary_value.params_['q']:.3g} <= 1 "
                    "(mean_spend_finite_ is False): the expected spend of customers with few "
                    "purchases is infinite, so a CLV from it would be infinite or dominated by "
                    "the tail. Fix: refit GammaGammaModel(penalizer=0.01), check the spend "
                    "column for outliers, or pass monetary_value=<spend per customer>."
                )
            spend = np.asarray(monetary_value.predict_spend(frequency), dtype=float)
        elif np.ndim(monetary_value) == 0:
            spend = np.full(shape, check_money(monetary_value, name="monetary_value"))
        else:
            spend = _as_float_array(
                to_pandas(monetary_value, name="monetary_value"), "monetary_value"
            )
        if spend.shape != shape:
            raise SchemaError(
                f"monetary_value must have one value per customer ({shape[0]}), "
                f"got {spend.shape}. Fix: pass a number or one spend per customer."
            )
        bad = ~np.isfinite(spend) | (spend < 0)
        if bad.any():
            raise SchemaError(
                f"monetary_value has {int(bad.sum())} missing, infinite or negative value(s) "
                f"(first: {spend[bad][0]!r}); spend per purchase must be a finite amount >= 0. "
                "Fix: fill or drop those customers."
            )
        return spend
