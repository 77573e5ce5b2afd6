"""Time-invariant customer covariates in the BTYD models (as in CLVTools).

The population parameters of the purchase process and of the dropout process
are shifted per customer by a linear index of the covariates ``z_i``
(CLVTools' parameterisation, ``R/class_clv_model_*_staticcov.R``):

* purchase ("trans") process: ``alpha_i = alpha * exp(-gamma_trans . z_i)``, so a
  positive coefficient means *more* purchases;
* dropout ("life") process: BG/NBD and MBG/NBD ``a_i = a * exp(gamma_life . z_i)``,
  ``b_i = b * exp(gamma_life . z_i)``; Pareto/NBD ``beta_i = beta * exp(-gamma_life . z_i)``
  (a positive coefficient means *earlier* dropout for Pareto/NBD; for BG/NBD it
  scales ``a + b``, i.e. the heterogeneity of the dropout probability, not its mean).

The likelihood and the predictions are evaluated with one parameter value per
customer, vectorised over customers, so any number of distinct covariate rows
and continuous covariates work.  Customers with the same ``(x, t_x, T, z)`` are
evaluated once (weighted).  The optimiser works on standardised covariates
(mean 0, standard deviation 1) and the estimates are mapped back exactly to
the caller's scale (the map is linear, so the maximum and the observed
information transform with it).  Gradients: analytic for BG/NBD; for
Pareto/NBD and MBG/NBD central differences of each customer's log-likelihood
in its own four log-parameters (eight vectorised evaluations per gradient,
whatever the number of covariates), chained to the coefficients analytically.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from crmine.exceptions import ConvergenceWarning, SchemaError
from crmine.lifetime._common import compress, fit_log_params, inverse_information, warn_boundary
from crmine.utils._validation import read_customer_table

__all__ = [
    "LINKS",
    "customer_params",
    "fit_covariates",
    "per_customer_alive",
    "per_customer_expected",
    "per_customer_loglik",
    "read_features",
]

#: parameter -> (process, sign of the covariate index in log(parameter))
LINKS = {
    "BetaGeoModel": {"alpha": ("trans", -1.0), "a": ("life", 1.0), "b": ("life", 1.0)},
    "ModifiedBetaGeoModel": {"alpha": ("trans", -1.0), "a": ("life", 1.0), "b": ("life", 1.0)},
    "ParetoNBDModel": {"alpha": ("trans", -1.0), "beta": ("life", -1.0)},
}

#: step (in log-parameters) of the per-customer central differences
_H = 1e-5


# --------------------------------------------------------------------------- per-customer formulas
def _bgnbd_ll(P, x, t_x, T, grad=False):
    from crmine.lifetime._bgnbd import bgnbd_loglik_per_customer

    return bgnbd_loglik_per_customer(P, x, t_x, T, grad=grad)


def _bgnbd_alive(P, x, t_x, T):
    from crmine.lifetime._bgnbd import bgnbd_proba_alive

    return bgnbd_proba_alive(P, x, t_x, T)


def _bgnbd_expected(P, t, x, t_x, T):
    from crmine.lifetime._bgnbd import bgnbd_expected, bgnbd_proba_alive

    return bgnbd_expected(P, t, x, T) * bgnbd_proba_alive(P, x, t_x, T)


def _mbgnbd_ll(P, x, t_x, T, grad=False):
    # the MBG/NBD likelihood (Batislam et al. 2007), as ModifiedBetaGeoModel._loglik_terms
    from crmine.lifetime._bgnbd import rising_per_customer

    r, alpha, a, b = P
    a1 = rising_per_customer(r, x)[0] + r * np.log(alpha)
    # lgamma(a+b) + lgamma(b+x+1) - lgamma(b) - lgamma(a+b+x+1), exact for large a, b
    a2 = rising_per_customer(b, x + 1.0)[0] - rising_per_customer(a + b, x + 1.0)[0]
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return a1 + a2 + a3 + np.logaddexp(a4, 0.0)


def _mbgnbd_alive(P, x, t_x, T):
    r, alpha, a, b = P
    log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.exp(-np.logaddexp(0.0, log_odds))


def _mbgnbd_expected(P, t, x, t_x, T):
    from crmine.lifetime._bgnbd import bgnbd_expected

    r, alpha, a, b = P
    return bgnbd_expected((r, alpha, a, b + 1.0), t, x, T) * _mbgnbd_alive(P, x, t_x, T)


def _pareto_ll(P, x, t_x, T, grad=False):
    from crmine.lifetime._pareto import pareto_parts_per_customer

    return pareto_parts_per_customer(P, x, t_x, T)[0]


def _pareto_alive(P, x, t_x, T):
    from crmine.lifetime._pareto import pareto_parts_per_customer

    _, log_alive, log_dead = pareto_parts_per_customer(P, x, t_x, T)
    return np.exp(log_alive - np.logaddexp(log_alive, log_dead))


def _pareto_expected(P, t, x, t_x, T):
    from crmine.lifetime._pareto import pareto_expected_per_customer

    return pareto_expected_per_customer(P, t, x, T) * _pareto_alive(P, x, t_x, T)


#: model -> (log-likelihood, P(alive), conditional expectation, analytic gradient?)
_FORMULAS: dict[str, tuple[Callable, Callable, Callable, bool]] = {
    "BetaGeoModel": (_bgnbd_ll, _bgnbd_alive, _bgnbd_expected, True),
    "ModifiedBetaGeoModel": (_mbgnbd_ll, _mbgnbd_alive, _mbgnbd_expected, False),
    "ParetoNBDModel": (_pareto_ll, _pareto_alive, _pareto_expected, False),
}


def _key(model: Any) -> str:
    """The covariate-capable model class (a user subclass maps to its crmine parent)."""
    for cls in type(model).__mro__:
        if cls.__name__ in LINKS:
            return cls.__name__
    raise SchemaError(
        f"{type(model).__name__} does not take covariates (features=); use BetaGeoModel, "
        "ModifiedBetaGeoModel or ParetoNBDModel."
    )


# --------------------------------------------------------------------------- covariates
def read_features(model: Any, data: Any) -> np.ndarray:
    """The covariate matrix of a customer table (by name, numeric, no missing values)."""
    features = list(model.features)
    if not hasattr(data, "columns") and not hasattr(data, "schema"):
        raise SchemaError(
            f"{type(model).__name__}(features={features}) reads the covariates from a "
            "customer table by name; pass the table (not three arrays). Fix: "
            "model.fit(customer_table)."
        )
    _, values = read_customer_table(
        data, {f: f for f in features}, what=f"{type(model).__name__} covariates"
    )
    return np.asarray(values, dtype=float)


def _check_design(name: str, features: list[str], Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard deviations of the covariates; refuse constant or collinear ones."""
    if len(set(features)) != len(features):
        dup = sorted({f for f in features if features.count(f) > 1})
        raise SchemaError(f"{name}: features lists {dup} more than once. Fix: list each once.")
    mean = Z.mean(axis=0)
    sd = Z.std(axis=0)
    for j, f in enumerate(features):
        if not sd[j] > 1e-12 * max(1.0, abs(mean[j])):
            raise SchemaError(
                f"{name}: covariate {f!r} is constant ({Z[0, j]!r} for every customer), so its "
                "effect is not identified (it is absorbed by the base parameters). Fix: drop it "
                "from features=."
            )
    Zs = (Z - mean) / sd
    # collinearity: a column explained by the others (and the constant) to 1e-8
    for j, f in enumerate(features):
        if len(features) == 1:
            break
        others = np.delete(Zs, j, axis=1)
        coef, *_ = np.linalg.lstsq(others, Zs[:, j], rcond=None)
        resid = Zs[:, j] - others @ coef
        if float(resid @ resid) / len(resid) < 1e-8:
            rest = [g for g in features if g != f]
            raise SchemaError(
                f"{name}: covariate {f!r} is (nearly) a linear combination of {rest} and a "
                "constant, so the coefficients are not identified. Fix: drop one of them from "
                "features= (e.g. one dummy of each categorical variable)."
            )
    return mean, sd


def customer_params(model: Any, base: np.ndarray, coef: np.ndarray, Z: np.ndarray) -> list:
    """One value per customer of each model parameter (CLVTools' links)."""
    links = LINKS[_key(model)]
    k = Z.shape[1]
    index = {"trans": Z @ coef[:k], "life": Z @ coef[k:]}
    out = []
    for j, name in enumerate(model._param_names):
        if name in links:
            process, sign = links[name]
            out.append(base[j] * np.exp(sign * index[process]))
        else:
            out.append(np.full(Z.shape[0], float(base[j])))
    return out


def _jacobian_rows(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """For each parameter: the sign of its trans and its life index (0 if not linked)."""
    links = LINKS[_key(model)]
    s_trans = np.zeros(len(model._param_names))
    s_life = np.zeros(len(model._param_names))
    for j, name in enumerate(model._param_names):
        if name in links:
            process, sign = links[name]
            (s_trans if process == "trans" else s_life)[j] = sign
    return s_trans, s_life


def _ll_and_dlogp(model: Any, P: list, data: tuple, need_grad: bool):
    """Per-customer log-likelihood and its derivatives in each log-parameter (p x n)."""
    ll_fn, _, _, analytic = _FORMULAS[_key(model)]
    if not need_grad:
        return ll_fn(P, *data), None
    if analytic:
        ll, dp = ll_fn(P, *data, grad=True)
        return ll, dp * np.asarray(P)
    ll = ll_fn(P, *data)
    G = np.empty((len(P), ll.shape[0]))
    up, down = np.exp(_H), np.exp(-_H)
    for j in range(len(P)):
        Pp = list(P)
        Pp[j] = P[j] * up
        Pm = list(P)
        Pm[j] = P[j] * down
        G[j] = (ll_fn(Pp, *data) - ll_fn(Pm, *data)) / (2.0 * _H)
    return ll, G


def _hessian_from_gradient(grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray):
    """Observed information by central differences of the gradient (symmetrised)."""
    k = len(theta)
    h = 1e-4 * np.maximum(1.0, np.abs(theta))
    H = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h[j]
        H[:, j] = (grad(theta + e) - grad(theta - e)) / (2.0 * h[j])
    return inverse_information(0.5 * (H + H.T))


def fit_covariates(
    model: Any, x, t_x, T, w, Z: np.ndarray, ll_without: float, restart: bool = False
) -> None:
    """Maximum likelihood of the base parameters and both coefficient vectors.

    ``restart``: also search from the moment-based start (used when the model
    without covariates is a boundary fit) and keep the better optimum.
    """
    name = type(model).__name__
    _key(model)  # refuses models without covariate support
    features = list(model.features)
    keep = w > 0
    x, t_x, T, w, Z = x[keep], t_x[keep], T[keep], w[keep], Z[keep]
    mean, sd = _check_design(name, features, Z)
    Zs = (Z - mean) / sd
    cols, _, inverse = compress(x, t_x, T, *Zs.T)
    ux, utx, uT = cols[:3]
    uZ = np.column_stack(cols[3:])
    uw = np.bincount(inverse, weights=w, minlength=ux.size)
    data = (ux, utx, uT)
    k = Z.shape[1]
    p = len(model._param_names)
    s_trans, s_life = _jacobian_rows(model)
    total = float(uw.sum())
    pen = float(model.penalizer)

    def evaluate(theta: np.ndarray, need_grad: bool):
        base = np.exp(theta[:p])
        P = customer_params(model, base, theta[p:], uZ)
        with np.errstate(all="ignore"):
            ll, G = _ll_and_dlogp(model, P, data, need_grad)
        val = float(np.dot(uw, ll))
        if not need_grad:
            return val, None
        gb = G @ uw  # d total / d log base
        wG = G * uw  # p x n
        g_trans = uZ.T @ (s_trans @ wG)
        g_life = uZ.T @ (s_life @ wG)
        return val, np.concatenate([gb, g_trans, g_life])

    def fun_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        val, g = evaluate(theta, True)
        base = np.exp(theta[:p])
        f = -val / total + pen * float(np.sum(base**2))
        grad = -g / total
        grad[:p] += 2.0 * pen * base**2
        if not np.isfinite(f):
            return 1e100, np.zeros_like(theta)
        return f, np.where(np.isfinite(grad), grad, 0.0)

    def negll(theta: np.ndarray) -> float:
        return fun_and_grad(theta)[0]

    # start: the model without covariates (its parameters are those at the covariate mean)
    theta0 = np.concatenate([np.log(model.params_.to_numpy()), np.zeros(2 * k)])
    stop = None
    if getattr(model, "_stop_early", None) is not None:
        t_max = float(np.max(T))
        stop_fn = model._stop_early

        def stop(theta: np.ndarray) -> bool:  # the model's degenerate region (see its fit)
            return bool(stop_fn(theta[:p], t_max))

    res = fit_log_params(negll, theta0, fun_and_grad=fun_and_grad,
                         max_iter=int(model.max_iter), stop=stop)
    if restart:
        # the model without covariates sits on a collapsed-heterogeneity boundary, where the
        # dropout coefficients have no gradient: search again from the moment-based start
        # of the base parameters and keep the better optimum
        start = np.log(model._initial_params(ux, utx, uT, uw))
        alt = fit_log_params(negll, np.concatenate([start, np.zeros(2 * k)]),
                             fun_and_grad=fun_and_grad, max_iter=int(model.max_iter), stop=stop)
        if np.isfinite(alt.fun) and alt.fun < res.fun:
            res = alt
    if getattr(res, "stopped_early", False):
        warnings.warn(
            f"{name}: the fit with covariates reached the no-dropout boundary and was stopped; "
            "the coefficients rest on a degenerate model. Check the calibration window.",
            ConvergenceWarning,
            stacklevel=3,
        )
    theta_s = np.asarray(res.x, dtype=float)
    base_at_mean = np.exp(theta_s[:p])
    problems = warn_boundary(
        f"{name} with covariates (base parameters at the covariate means)",
        model._param_names,
        base_at_mean,
        res,
        model._degenerate(base_at_mean, float(np.max(T))),
    )
    model.boundary_fit_ = bool(problems)
    if problems:  # estimates at infinity: the observed information means nothing there
        cov_s = np.full((p + 2 * k, p + 2 * k), np.nan)
    else:
        cov_s = _hessian_from_gradient(lambda th: -evaluate(th, True)[1], theta_s)

    # back to the caller's scale: gamma = gamma_s / sd; log base_j = theta_s_j - sign_j gamma.mean
    A = np.eye(p + 2 * k)
    A[p : p + k, p : p + k] = np.diag(1.0 / sd)
    A[p + k :, p + k :] = np.diag(1.0 / sd)
    A[:p, p : p + k] = -np.outer(s_trans, mean / sd)
    A[:p, p + k :] = -np.outer(s_life, mean / sd)
    theta = A @ theta_s
    cov = A @ cov_s @ A.T
    base, coef = np.exp(theta[:p]), theta[p:]

    names = list(model._param_names)
    model.params_ = pd.Series(base, index=names, name="estimate")
    coef_names = [f"trans_{f}" for f in features] + [f"life_{f}" for f in features]
    model.coefficients_ = pd.Series(coef, index=coef_names, name="estimate")
    model.log_likelihood_ = evaluate(theta_s, False)[0]
    all_names = names + coef_names
    model.log_params_covariance_ = pd.DataFrame(cov[:p, :p], index=names, columns=names)
    model.covariance_all_ = pd.DataFrame(cov, index=all_names, columns=all_names)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    model.standard_errors_ = pd.Series(
        np.concatenate([base * se[:p], se[p:]]), index=all_names, name="std_error"
    )
    model.covariate_scaling_ = pd.DataFrame({"mean": mean, "std": sd}, index=features)
    stat = max(2.0 * (model.log_likelihood_ - ll_without), 0.0)
    model.lr_test_ = {
        "statistic": stat,
        "df": 2 * k,
        "p_value": float(chi2.sf(stat, 2 * k)),
        "log_likelihood_without": ll_without,
    }


# --------------------------------------------------------------------------- predictions
def _fitted_params(model: Any, Z: np.ndarray) -> list:
    return customer_params(
        model, model.params_.to_numpy(), model.coefficients_.to_numpy(), np.asarray(Z, float)
    )


def per_customer_loglik(model: Any, Z: np.ndarray, x, t_x, T) -> np.ndarray:
    """Each customer's log-likelihood under their own parameters."""
    return _FORMULAS[_key(model)][0](_fitted_params(model, Z), x, t_x, T)


def per_customer_alive(model: Any, Z: np.ndarray, x, t_x, T) -> np.ndarray:
    """P(alive) of each customer under their own parameters."""
    return _FORMULAS[_key(model)][1](_fitted_params(model, Z), x, t_x, T)


def per_customer_expected(model: Any, Z: np.ndarray, t: Any, x, t_x, T) -> np.ndarray:
    """Conditional expected purchases in ``(T, T+t]`` under each customer's parameters."""
    return _FORMULAS[_key(model)][2](_fitted_params(model, Z), t, x, t_x, T)
