"""Shared input handling and optimisation helpers for the buy-till-you-die models."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from crmine.base import Result, on_customers
from crmine.exceptions import ConvergenceWarning, NotFittedError, SchemaError
from crmine.utils._validation import (
    check_is_fitted,
    is_dataframe_like,
    read_customer_table,
    to_pandas,
)

logger = logging.getLogger(__name__)

#: Default customer-table columns (as produced by ``crmine.features.TransactionFeatures``).
FREQUENCY_COL = "repeat_frequency"
RECENCY_COL = "btyd_recency"
T_COL = "btyd_T"
MONETARY_COL = "btyd_monetary_mean"

_LOG_BOUND = 30.0  # parameters live in [exp(-30), exp(30)] during optimisation
_BOUNDARY_LOW = 1e-4
_BOUNDARY_HIGH = 1e6
_SHAPE_HIGH = 1e3
_SCALE_PARAMS = ("alpha", "beta", "gamma")


def _as_float_array(values: Any, name: str) -> np.ndarray:
    if isinstance(values, (pd.Series, pd.Index)):
        if not (
            pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)
        ):
            raise SchemaError(
                f"column {name!r} must be numeric, got dtype {values.dtype}; "
                "convert it with pd.to_numeric first."
            )
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise SchemaError(
                f"{name!r} must be numeric; could not convert it to floats ({exc}). "
                "Convert it with pd.to_numeric first."
            ) from exc
    return np.atleast_1d(arr).astype(float, copy=False)


def _check_finite(arr: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        raise SchemaError(
            f"{name!r} has {int(bad.sum())} missing or infinite value(s) (first: {arr[bad][0]!r}); "
            "drop or impute these customers before fitting."
        )


def check_rft(
    frequency: Any,
    recency: Any = None,
    T: Any = None,
    *,
    columns: tuple[str, str, str] = (FREQUENCY_COL, RECENCY_COL, T_COL),
    estimator: Any = None,
    reset: bool = False,
    allow_empty: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
    """Validate (frequency, recency, T) given as arrays or as a customer table.

    A table (pandas, polars, pyarrow) is read by column name through the one
    customer-table reader (:func:`crmine.utils._validation.read_customer_table`);
    the lifetimes-style three arrays and a bare ``(n, 3)`` array are read as
    they are.  Returns float arrays ``x, t_x, T`` and the customer index
    (``None`` for array input without an index).
    """
    index = None
    if recency is None and T is None:
        if is_dataframe_like(frequency) or isinstance(frequency, pd.Series):
            table, values = read_customer_table(
                frequency,
                {"frequency": columns[0], "recency": columns[1], "T": columns[2]},
                estimator=estimator,
                reset=reset,
                what=type(estimator).__name__ if estimator is not None else None,
            )
            fx, fr, ft = values[:, 0], values[:, 1], values[:, 2]
            index = table.index
            names = columns
        else:
            arr = np.asarray(frequency)
            if arr.ndim != 2 or arr.shape[1] != 3:
                raise SchemaError(
                    "pass either a customer table with columns "
                    f"{list(columns)}, a (n, 3) array [frequency, recency, T], or the three arrays "
                    f"frequency, recency, T; got an array of shape {arr.shape}. Fix: "
                    "model.fit(table) or model.fit(frequency, recency, T)."
                )
            fx, fr, ft = arr[:, 0], arr[:, 1], arr[:, 2]
            names = ("frequency", "recency", "T")
    elif recency is None or T is None:
        raise SchemaError(
            "pass both recency and T (or a customer table as the only argument). "
            "Fix: fit(frequency, recency, T) or fit(customer_table)."
        )
    else:
        fx, fr, ft = (to_pandas(v, name=n) for v, n in zip((frequency, recency, T), "xrT"))
        names = ("frequency", "recency", "T")
        for v in (fx, fr, ft):
            if isinstance(v, pd.Series):
                index = v.index
                break
    x = _as_float_array(fx, names[0])
    t_x = _as_float_array(fr, names[1])
    t_cal = _as_float_array(ft, names[2])
    if not (x.shape == t_x.shape == t_cal.shape) or x.ndim != 1:
        raise SchemaError(
            f"{names[0]}, {names[1]} and {names[2]} must be 1-D with the same length; got shapes "
            f"{x.shape}, {t_x.shape}, {t_cal.shape}."
        )
    if x.size == 0 and not allow_empty:
        raise SchemaError("no customers: frequency, recency and T are empty.")
    for arr, name in zip((x, t_x, t_cal), names):
        _check_finite(arr, name)
    if (x < 0).any() or (np.abs(x - np.round(x)) > 1e-9).any():
        bad = x[(x < 0) | (np.abs(x - np.round(x)) > 1e-9)][0]
        raise SchemaError(
            f"{names[0]!r} must hold non-negative whole numbers of repeat purchases; "
            f"found {bad!r}. "
            "Use the number of repeat purchase periods (distinct purchase days - 1)."
        )
    if (t_x < 0).any():
        raise SchemaError(
            f"{names[1]!r} must be >= 0 (time from first to last purchase); found "
            f"{t_x[t_x < 0][0]!r}."
        )
    if (t_cal <= 0).any():
        raise SchemaError(
            f"{names[2]!r} must be > 0 (time from first purchase to the end of calibration); found "
            f"{t_cal[t_cal <= 0][0]!r}. Customers whose first purchase is on the cutoff have no "
            "observation window: drop them or move the cutoff."
        )
    tol = 1e-9 * np.maximum(1.0, t_cal)
    if (t_x > t_cal + tol).any():
        i = int(np.argmax(t_x > t_cal + tol))
        raise SchemaError(
            f"{names[1]!r} must not exceed {names[2]!r}: customer at position {i} has recency "
            f"{t_x[i]!r} > T {t_cal[i]!r}. Recency is the time from first to last purchase and T "
            "the time from first purchase to the cutoff, both in the same unit."
        )
    zero_bad = (x == 0) & (t_x > 0)
    if zero_bad.any():
        i = int(np.argmax(zero_bad))
        raise SchemaError(
            f"customers with 0 repeat purchases must have {names[1]!r} 0; customer at position {i} "
            f"has recency {t_x[i]!r}. Recency is measured from the first purchase (BTYD "
            "convention), not from the cutoff."
        )
    x = np.round(x)
    t_x = np.minimum(t_x, t_cal)
    return x, t_x, t_cal, index


def wrap(values: np.ndarray, index: pd.Index | None, name: str) -> np.ndarray | pd.Series:
    """Per-customer values on the customer index (the plain array for array input)."""
    return on_customers(values, index, name)


def compress(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Unique rows of the stacked columns, their counts and the inverse map."""
    n = len(columns[0])
    if n == 0:
        return tuple(np.asarray(c, dtype=float) for c in columns), np.zeros(0), np.zeros(0, int)
    order = np.lexsort(columns[::-1])
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for c in columns:
        cs = c[order]
        new[1:] |= cs[1:] != cs[:-1]
    group = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group
    first = order[new]
    counts = np.bincount(group).astype(float)
    return tuple(np.asarray(c)[first] for c in columns), counts, inverse


def rising_sums(c: float, xi: np.ndarray, grad: bool = False) -> tuple[np.ndarray, Any]:
    """``sum_{k<x} log(c+k)`` (= lgamma(c+x) - lgamma(c)) and ``sum_{k<x} 1/(c+k)`` per x.

    Exact for whole ``x`` and far cheaper than gammaln/digamma on every customer.
    """
    m = int(xi.max(initial=0))
    ck = c + np.arange(m, dtype=float)
    logs = np.concatenate([[0.0], np.cumsum(np.log(ck))])[xi]
    if not grad:
        return logs, None
    return logs, np.concatenate([[0.0], np.cumsum(1.0 / ck)])[xi]


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the inverse map (few distinct T and t_x values in practice)."""
    u, inv = np.unique(values, return_inverse=True)
    return u, inv.ravel()


def fit_log_params(
    negll: Callable[[np.ndarray], float],
    x0: np.ndarray,
    *,
    fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]] | None = None,
    max_iter: int = 2000,
    tol: float = 1e-10,
    stop: Callable[[np.ndarray], bool] | None = None,
) -> optimize.OptimizeResult:
    """Minimise ``negll`` over log-parameters (box [-30, 30]) and polish the optimum.

    BLAS is limited to one thread: the optimiser's tiny linear algebra only
    suffers from thread start-up and contention.  ``stop(z)`` ends the search
    early once the iterate has reached a degenerate region (e.g. a dropout
    parameter below 1e-5, where the likelihood is flat and slow to evaluate);
    the result then has ``stopped_early = True``.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        if stop is None:
            return _fit_log_params(negll, x0, fun_and_grad, max_iter, tol, None)
        last: dict[str, Any] = {}

        def callback(intermediate_result: optimize.OptimizeResult) -> None:
            last["res"] = intermediate_result
            if stop(np.asarray(intermediate_result.x)):
                raise StopIteration

        try:
            res = _fit_log_params(negll, x0, fun_and_grad, max_iter, tol, callback)
        except StopIteration:  # scipy < 1.11 does not catch it
            res = optimize.OptimizeResult(x=last["res"].x, fun=last["res"].fun, nit=0)
        if stop(np.asarray(res.x)):
            res.success = True
            res.stopped_early = True
        return res


def _fit_log_params(negll, x0, fun_and_grad, max_iter, tol, callback):
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(x0)
    if fun_and_grad is not None:
        res = optimize.minimize(
            fun_and_grad,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "ftol": 1e-15, "gtol": tol},
            callback=callback,
        )
        if not res.success and np.isfinite(res.fun):
            # line-search stalls ("ABNORMAL") happen at the optimum when the tolerance is
            # below floating-point precision: accept a vanishing gradient
            if np.max(np.abs(res.jac)) < 1e-6:
                res.success = True
            else:
                polish = optimize.minimize(
                    negll,
                    res.x,
                    method="Nelder-Mead",
                    bounds=bounds,
                    options={"maxiter": max_iter, "xatol": 1e-8, "fatol": 1e-13, "adaptive": True},
                )
                if polish.fun <= res.fun:
                    res = polish
    else:
        # quasi-Newton on central differences; Nelder-Mead polish only if that fails
        res = optimize.minimize(
            negll,
            x0,
            jac="3-point",
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9},
            callback=callback,
        )
        if (res.success and np.isfinite(res.fun)) or (callback and "callback" in res.message):
            return res
        simplex = np.vstack([res.x, res.x + 1e-3 * np.eye(len(x0))])
        res2 = optimize.minimize(
            negll,
            res.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={
                "maxiter": max_iter,
                "xatol": 1e-7,
                "fatol": 1e-12,
                "adaptive": True,
                "initial_simplex": simplex,
            },
        )
        if res2.fun <= res.fun:
            res2.nfev += res.nfev
            res2.nit += res.nit
            res = res2
    return res


def warn_boundary(
    model: str,
    names: tuple[str, ...],
    params: np.ndarray,
    res: optimize.OptimizeResult,
    extra: list[str] | None = None,
) -> list[str]:
    """Warn (ConvergenceWarning) on a failed optimisation or a boundary fit; return the problems."""
    problems = list(extra or [])
    for name, value in zip(names, params):
        # shape parameters above 1e3 mean the heterogeneity has collapsed to a point mass
        high = _BOUNDARY_HIGH if name in _SCALE_PARAMS else _SHAPE_HIGH
        if value < _BOUNDARY_LOW:
            problems.append(f"{name}={value:.3g} is driven to 0")
        elif value > high:
            problems.append(f"{name}={value:.3g} is driven to infinity")
    if problems:
        warnings.warn(
            f"{model}: boundary fit ({'; '.join(problems)}). The likelihood is flat in that "
            "direction, so predictions rest on a degenerate model (e.g. no dropout). Check the "
            "data (time unit, calibration window, wholesale buyers) or set penalizer > 0.",
            ConvergenceWarning,
            stacklevel=3,
        )
    elif not res.success:
        warnings.warn(
            f"{model}: the optimiser did not converge ({res.message}); the estimates may be "
            "inaccurate. Try a penalizer > 0 or rescale time (weeks instead of days).",
            ConvergenceWarning,
            stacklevel=3,
        )
    return problems


def check_fitted(est: Any, attr: str = "params_") -> None:
    """scikit-learn's ``check_is_fitted``, raising crmine's :class:`NotFittedError`."""
    from sklearn.exceptions import NotFittedError as _SkNotFitted

    try:
        check_is_fitted(est, attr)
    except _SkNotFitted as exc:
        raise NotFittedError(
            f"this {type(est).__name__} instance is not fitted yet; call fit(...) first."
        ) from exc


def check_nonneg_float(value: Any, name: str, *, positive: bool = False) -> float:
    """Validate a scalar hyper-parameter."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}.") from exc
    if not np.isfinite(v) or v < 0 or (positive and v == 0):
        cond = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {cond}, got {value!r}.")
    return v


def discounted_clv(
    cumulative: Callable[[float], np.ndarray],
    spend: np.ndarray,
    *,
    horizon: float,
    period_length: float,
    discount_rate: float,
) -> np.ndarray:
    """Sum over periods k of spend * (E[Y(k L)] - E[Y((k-1) L)]) / (1 + d)^k."""
    horizon = check_nonneg_float(horizon, "horizon", positive=True)
    period_length = check_nonneg_float(period_length, "period_length", positive=True)
    discount_rate = check_nonneg_float(discount_rate, "discount_rate")
    n_periods = int(np.ceil(horizon / period_length - 1e-9))
    total = np.zeros_like(spend, dtype=float)
    prev = np.zeros_like(total)
    for k in range(1, n_periods + 1):
        cur = cumulative(min(k * period_length, horizon))
        total += (cur - prev) / (1.0 + discount_rate) ** k
        prev = cur
    return total * spend


def inverse_information(H: np.ndarray) -> np.ndarray:
    """Covariance from an observed information matrix.

    Its inverse, or NaN unless it is finite and positive definite (a boundary or
    flat direction has no standard error).
    """
    k = H.shape[0]
    if not np.isfinite(H).all():
        return np.full((k, k), np.nan)
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)
    return np.linalg.inv(H)


def log_param_covariance(
    total_negll: Callable[[np.ndarray], float], z_hat: np.ndarray, step: float = 1e-4
) -> np.ndarray:
    """Covariance of the log-parameters from the observed information.

    The Hessian of the total negative log-likelihood at the optimum ``z_hat``
    (log-parameters) by central differences; its inverse is the asymptotic
    covariance.  A Hessian that is not positive definite (a boundary fit: the
    likelihood is flat in some direction) gives a matrix of NaN.
    """
    k = len(z_hat)
    h = step * np.maximum(1.0, np.abs(z_hat))
    f0 = total_negll(z_hat)
    H = np.empty((k, k))
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        H[i, i] = (total_negll(z_hat + ei) - 2.0 * f0 + total_negll(z_hat - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (
                total_negll(z_hat + ei + ej)
                - total_negll(z_hat + ei - ej)
                - total_negll(z_hat - ei + ej)
                + total_negll(z_hat - ei - ej)
            ) / (4.0 * h[i] * h[j])
    return inverse_information(H)


@dataclass(frozen=True, repr=False)
class FitSummary(Result):
    """Parameter estimates of a fitted lifetime model with their uncertainty.

    ``table`` has one row per parameter (``estimate``, ``std_error`` from the
    observed information by the delta method, and the confidence bounds, e.g.
    ``lower_95``/``upper_95``); the fields are the fit's headline numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> s = FitSummary(table=pd.DataFrame({"estimate": [0.24]}, index=["r"]),
    ...                model="BetaGeoModel", log_likelihood=-9582.4, n_customers=2357)
    >>> s.model, s.n_customers
    ('BetaGeoModel', 2357)
    """

    model: str = ""
    log_likelihood: float = float("nan")
    n_customers: int = 0
    aic: float = float("nan")
    bic: float = float("nan")
    level: float = 0.95


def fit_summary(
    model: Any, cov_log: np.ndarray | None, level: float, n_customers: int | None
) -> FitSummary:
    """The :class:`FitSummary` of a fitted model (``params_``, ``log_likelihood_``)."""
    params = model.params_.to_numpy()
    k = len(params)
    cov = np.full((k, k), np.nan) if cov_log is None else np.asarray(cov_log, dtype=float)
    table = parameter_table(tuple(model.params_.index), params, cov, level)
    ll = float(getattr(model, "log_likelihood_", float("nan")))
    n = int(n_customers or 0)
    return FitSummary(
        table=table,
        model=type(model).__name__,
        log_likelihood=ll,
        n_customers=n,
        aic=2 * k - 2 * ll,
        bic=k * np.log(n) - 2 * ll if n else float("nan"),
        level=float(level),
    )


def parameter_table(
    names: tuple[str, ...], params: np.ndarray, cov_log: np.ndarray, level: float = 0.95
) -> pd.DataFrame:
    """Estimates, standard errors (delta method) and intervals (on the log scale)."""
    from scipy.stats import norm

    se_log = np.sqrt(np.clip(np.diag(cov_log), 0.0, None))
    q = norm.ppf(0.5 + level / 2.0)
    pct = f"{100 * level:g}"
    return pd.DataFrame(
        {
            "estimate": params,
            "std_error": params * se_log,
            f"lower_{pct}": params * np.exp(-q * se_log),
            f"upper_{pct}": params * np.exp(q * se_log),
        },
        index=pd.Index(list(names), name="parameter"),
    )
