"""Time-invariant customer covariates in the BTYD models (as in CLVTools).

The population parameters of the purchase process and of the dropout process
are shifted per customer by a linear index of the covariates ``z``:

* purchase ("trans") process: ``alpha_i = alpha * exp(-gamma_trans . z_i)``, so a
  positive coefficient means *more* purchases;
* dropout ("life") process: BG/NBD and MBG/NBD ``a_i = a * exp(gamma_life . z_i)``,
  ``b_i = b * exp(gamma_life . z_i)``; Pareto/NBD ``beta_i = beta * exp(-gamma_life . z_i)``
  (a positive coefficient means *earlier* dropout for Pareto/NBD).

Customers are grouped by their covariate pattern and each group is evaluated
with the ordinary (scalar-parameter) likelihood and predictions, so the models'
stable formulas are reused unchanged.  Covariates must therefore take few
distinct combinations (categorical or binned), at most ``MAX_PATTERNS``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from crmine.exceptions import SchemaError
from crmine.lifetime._common import fit_log_params, log_param_covariance
from crmine.utils._validation import read_customer_table

__all__ = ["MAX_PATTERNS", "fit_covariates", "grouped", "read_features"]

MAX_PATTERNS = 64

#: parameter -> (process, sign of the covariate index in log(parameter))
LINKS = {
    "BetaGeoModel": {"alpha": ("trans", -1.0), "a": ("life", 1.0), "b": ("life", 1.0)},
    "ModifiedBetaGeoModel": {"alpha": ("trans", -1.0), "a": ("life", 1.0), "b": ("life", 1.0)},
    "ParetoNBDModel": {"alpha": ("trans", -1.0), "beta": ("life", -1.0)},
}


def read_features(model: Any, data: Any) -> np.ndarray:
    """The covariate matrix of a customer table (by name, numeric, no missing values)."""
    features = list(model.features)
    if not hasattr(data, "columns") and not hasattr(data, "schema"):
        raise SchemaError(
            f"{type(model).__name__}(features={features}) reads the covariates from a "
            "customer table by name; pass the table (not three arrays). Fix: "
            "model.fit(customer_table)."
        )
    table, values = read_customer_table(
        data, {f: f for f in features}, what=f"{type(model).__name__} covariates"
    )
    return values


def _pattern_params(model: Any, base: np.ndarray, g_trans: np.ndarray, g_life: np.ndarray,
                    z: np.ndarray) -> np.ndarray:
    links = LINKS[type(model).__name__]
    out = base.copy()
    for j, name in enumerate(model._param_names):
        if name in links:
            process, sign = links[name]
            coef = g_trans if process == "trans" else g_life
            out[j] = base[j] * np.exp(sign * float(np.dot(coef, z)))
    return out


def fit_covariates(model: Any, x, t_x, T, w, Z: np.ndarray, ll_without: float) -> None:
    """Maximum likelihood of the base parameters and both coefficient vectors."""
    name = type(model).__name__
    if name not in LINKS:
        raise SchemaError(f"{name} does not take covariates (features=); use BetaGeoModel, "
                          "ModifiedBetaGeoModel or ParetoNBDModel.")
    patterns, inverse = np.unique(Z, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    if len(patterns) > MAX_PATTERNS:
        raise SchemaError(
            f"{name}: the covariates {list(model.features)} take {len(patterns)} distinct "
            f"combinations (at most {MAX_PATTERNS} are supported: each is evaluated with the "
            "scalar-parameter likelihood). Fix: use categorical covariates or bin the numeric ones "
            "(pd.qcut)."
        )
    k = Z.shape[1]
    p = len(model._param_names)
    groups = []
    for g in range(len(patterns)):
        sel = inverse == g
        groups.append((patterns[g], w[sel], model._prepare(x[sel], t_x[sel], T[sel])))
    total = w.sum()

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.exp(theta[:p]), theta[p : p + k], theta[p + k :]

    def total_negll(theta: np.ndarray) -> float:
        base, gt, gl = unpack(theta)
        ll = 0.0
        with np.errstate(all="ignore"):
            for z, wg, data in groups:
                ll += float(np.dot(wg, model._loglik_terms(
                    _pattern_params(model, base, gt, gl, z), *data)))
        return -ll if np.isfinite(ll) else 1e100

    pen = float(model.penalizer)

    def negll(theta: np.ndarray) -> float:
        base = np.exp(theta[:p])
        return total_negll(theta) / total + pen * float(np.sum(base**2))

    theta0 = np.concatenate([np.log(model.params_.to_numpy()), np.zeros(2 * k)])
    stop = None
    if getattr(model, "_stop_early", None) is not None:
        t_max = float(np.max(T))
        stop_fn = model._stop_early

        def stop(theta: np.ndarray) -> bool:  # the model's degenerate region (see its fit)
            return bool(stop_fn(theta[:p], t_max))

    res = fit_log_params(negll, theta0, max_iter=int(model.max_iter), stop=stop)
    if getattr(res, "stopped_early", False):
        import warnings

        from crmine.exceptions import ConvergenceWarning

        warnings.warn(
            f"{name}: the fit with covariates reached the no-dropout boundary and was stopped; "
            "the coefficients rest on a degenerate model. Check the calibration window.",
            ConvergenceWarning,
            stacklevel=3,
        )
    base, gt, gl = unpack(res.x)
    names = list(model._param_names)
    model.params_ = pd.Series(base, index=names, name="estimate")
    coef_names = [f"trans_{f}" for f in model.features] + [f"life_{f}" for f in model.features]
    model.coefficients_ = pd.Series(np.concatenate([gt, gl]), index=coef_names, name="estimate")
    model.log_likelihood_ = -total_negll(res.x)
    cov = log_param_covariance(total_negll, res.x)
    all_names = names + coef_names
    model.log_params_covariance_ = pd.DataFrame(cov[:p, :p], index=names, columns=names)
    model.covariance_all_ = pd.DataFrame(cov, index=all_names, columns=all_names)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    model.standard_errors_ = pd.Series(
        np.concatenate([base * se[:p], se[p:]]), index=all_names, name="std_error"
    )
    stat = max(2.0 * (model.log_likelihood_ - ll_without), 0.0)
    model.lr_test_ = {
        "statistic": stat,
        "df": 2 * k,
        "p_value": float(chi2.sf(stat, 2 * k)),
        "log_likelihood_without": ll_without,
    }


def grouped(model: Any, Z: np.ndarray, fn, *arrays: np.ndarray, t: Any = None) -> np.ndarray:
    """Evaluate ``fn(model_with_pattern_params, *arrays_subset)`` per covariate pattern."""
    patterns, inverse = np.unique(Z, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    k = Z.shape[1]
    coef = model.coefficients_.to_numpy()
    base = model.params_.to_numpy()
    out = np.empty(arrays[0].shape, dtype=float)
    draw = copy.copy(model)
    draw.features = None
    for g, z in enumerate(patterns):
        sel = inverse == g
        draw.params_ = pd.Series(
            _pattern_params(model, base, coef[:k], coef[k:], z), index=model.params_.index
        )
        sub = [a[sel] for a in arrays]
        if t is None:
            out[sel] = fn(draw, *sub)
        else:
            tt = t[sel] if np.ndim(t) else t
            out[sel] = fn(draw, tt, *sub)
    return out
