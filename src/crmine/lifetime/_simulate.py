"""Simulate customer summaries from the BG/NBD and Pareto/NBD generative stories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

__all__ = ["simulate_btyd", "simulate_sbg"]

_PARAMS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "pareto": ("r", "alpha", "s", "beta"),
    "bgbb": ("alpha", "beta", "gamma", "delta"),
}


def simulate_btyd(
    n_customers: int,
    params: Mapping[str, float],
    *,
    model: str = "bgnbd",
    T: float | np.ndarray = 39.0,
    holdout: float = 0.0,
    covariates: pd.DataFrame | None = None,
    coefficients: Mapping[str, float] | None = None,
    spend: Mapping[str, float] | None = None,
    random_state: Any = None,
) -> pd.DataFrame:
    """Draw customers from a BG/NBD or Pareto/NBD population.

    Each customer makes a first purchase at time 0 and is observed until ``T``
    (calibration) and then for ``holdout`` more time units.  Useful to check
    that a fit recovers known parameters.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    params : mapping
        ``r, alpha, a, b`` for ``model="bgnbd"``; ``r, alpha, s, beta`` for
        ``model="pareto"``.
    model : {"bgnbd", "mbgnbd", "pareto", "bgbb"}, default="bgnbd"
        Generative story: BG/NBD, MBG/NBD (also a dropout chance right after
        the first purchase), Pareto/NBD, or BG/BB (discrete opportunities:
        ``T`` and ``holdout`` are whole numbers of opportunities and
        ``params`` are ``alpha, beta`` (transaction) and ``gamma, delta``
        (dropout)).
    T : float or array-like, default=39.0
        Length of each customer's calibration window.
    holdout : float, default=0.0
        Length of the holdout window after ``T``.
    covariates : pandas.DataFrame, optional
        Time-invariant covariates, one numeric row per customer (``n_customers``
        rows); they shift each customer's parameters as in the fitted models
        (``features=``, CLVTools' links): ``alpha_i = alpha exp(-trans . z_i)``;
        BG/NBD and MBG/NBD ``a_i, b_i = a, b exp(life . z_i)``; Pareto/NBD
        ``beta_i = beta exp(-life . z_i)``.  The columns are copied to the output.
    coefficients : mapping, optional
        Coefficients named as the fitted ``coefficients_`` (``"trans_<column>"``,
        ``"life_<column>"``); missing ones are 0.
    spend : mapping, optional
        Gamma-Gamma spend parameters ``p, q, gamma``: each customer's mean
        spend per transaction is ``p / nu`` with ``nu ~ Gamma(q, rate=gamma)``,
        each transaction's spend ``Gamma(p, rate=nu)``.  Adds
        ``btyd_monetary_mean`` (mean spend per calibration repeat transaction,
        NaN without one), ``holdout_monetary`` (holdout spend, 0 without a
        holdout transaction) and ``spend_mean`` (the latent ``p / nu``).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``repeat_frequency``, ``btyd_recency``, ``btyd_T``, ``alive``
        (alive at ``T``), ``holdout_frequency`` (purchases in ``(T, T+holdout]``),
        ``purchase_rate`` and ``dropout`` (the latent ``p`` or ``mu``); index
        ``customer_id`` 0..n-1.  With ``holdout > 0`` also ``holdout_duration``
        (the columns :func:`check_model` and :func:`holdout_report` read, as
        :func:`calibration_holdout_split` writes them).  For ``model="bgbb"``
        with one ``T`` for all, ``attrs["repeat_transactions_by_opportunity"]``
        holds the cohort's repeat transactions at opportunities ``1 .. T +
        holdout`` (a tuple; the actual line of the tracking table).

    Examples
    --------
    >>> from crmine.lifetime import simulate_btyd
    >>> df = simulate_btyd(5, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, random_state=0)
    >>> list(df.columns[:3])
    ['repeat_frequency', 'btyd_recency', 'btyd_T']
    >>> bool((df.btyd_recency <= df.btyd_T).all())
    True

    A holdout window gives what :func:`check_model` reads:

    >>> df = simulate_btyd(5, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, holdout=10.0,
    ...                    random_state=0)
    >>> float(df["holdout_duration"].iloc[0])
    10.0

    Customers whose covariate ``g`` is 1 buy twice as often:

    >>> import numpy as np, pandas as pd
    >>> z = pd.DataFrame({"g": np.repeat([0.0, 1.0], 2000)})
    >>> df = simulate_btyd(4000, {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                    covariates=z, coefficients={"trans_g": np.log(2.0)}, random_state=0)
    >>> rate = df.groupby("g")["purchase_rate"].mean()
    >>> bool(1.8 < rate[1.0] / rate[0.0] < 2.2)
    True
    """
    if model not in _PARAMS:
        raise ValueError(f"model must be one of {sorted(_PARAMS)}, got {model!r}.")
    missing = [k for k in _PARAMS[model] if k not in params]
    if missing:
        raise ValueError(
            f"params for model={model!r} need {list(_PARAMS[model])}; missing {missing}."
        )
    if int(n_customers) < 1:
        raise ValueError(f"n_customers must be >= 1, got {n_customers!r}.")
    n = int(n_customers)
    rng = check_random_state(random_state)
    T_arr = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if (T_arr <= 0).any() or holdout < 0:
        raise ValueError("T must be > 0 and holdout >= 0.")
    cov_table, trans_index, life_index = _covariate_index(n, model, covariates, coefficients)
    spend_params = _check_spend(spend)
    if model == "bgbb":
        if holdout != round(holdout) or (np.abs(T_arr - np.round(T_arr)) > 0).any():
            raise ValueError(
                "model='bgbb' counts whole opportunities: T and holdout must be whole numbers, "
                f"got T={T!r}, holdout={holdout!r}."
            )
        out = _simulate_bgbb(n, params, T_arr, holdout, rng)
        return _finish(out, holdout, spend_params, rng)
    end = T_arr + holdout
    lam = rng.gamma(params["r"], 1.0 / (params["alpha"] * np.exp(-trans_index)), size=n)
    if model in ("bgnbd", "mbgnbd"):
        scale = np.exp(life_index)
        dropout = rng.beta(params["a"] * scale, params["b"] * scale, size=n)
        death = np.full(n, np.inf)
    else:
        beta_i = params["beta"] * np.exp(-life_index)
        dropout = rng.gamma(params["s"], 1.0 / beta_i, size=n)
        death = rng.exponential(1.0, size=n) / np.maximum(dropout, 1e-300)
    x = np.zeros(n)
    t_x = np.zeros(n)
    hold = np.zeros(n)
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    if model == "mbgnbd":  # may drop out right after the first purchase
        gone = rng.random_sample(n) < dropout
        death[gone] = 0.0
        active[gone] = False
    while active.any():
        idx = np.flatnonzero(active)
        t_new = t[idx] + rng.exponential(1.0, size=idx.size) / np.maximum(lam[idx], 1e-300)
        ok = (t_new <= end[idx]) & (t_new <= death[idx])
        active[idx[~ok]] = False
        idx = idx[ok]
        t_new = t_new[ok]
        t[idx] = t_new
        in_cal = t_new <= T_arr[idx]
        x[idx[in_cal]] += 1
        t_x[idx[in_cal]] = t_new[in_cal]
        hold[idx[~in_cal]] += 1
        if model in ("bgnbd", "mbgnbd"):
            dies = rng.random_sample(idx.size) < dropout[idx]
            death[idx[dies]] = t_new[dies]
            active[idx[dies]] = False
    alive = death > T_arr
    out = pd.DataFrame(
        {
            "repeat_frequency": x,
            "btyd_recency": t_x,
            "btyd_T": T_arr,
            "alive": alive,
            "holdout_frequency": hold,
            "purchase_rate": lam,
            "dropout": dropout,
        },
        index=pd.RangeIndex(n, name="customer_id"),
    )
    if cov_table is not None:
        for col in cov_table.columns:
            out[col] = cov_table[col].to_numpy()
    return _finish(out, holdout, spend_params, rng)


def _check_spend(spend: Mapping[str, float] | None) -> tuple[float, float, float] | None:
    if spend is None:
        return None
    missing = [k for k in ("p", "q", "gamma") if k not in spend]
    if missing:
        raise ValueError(f"spend needs Gamma-Gamma parameters p, q, gamma; missing {missing}.")
    vals = tuple(float(spend[k]) for k in ("p", "q", "gamma"))
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise ValueError(f"spend parameters must be finite and > 0, got {dict(spend)!r}.")
    return vals  # type: ignore[return-value]


def _finish(
    out: pd.DataFrame, holdout: float, spend: tuple[float, float, float] | None, rng: Any
) -> pd.DataFrame:
    """Add the holdout length and, when asked, Gamma-Gamma spend."""
    if holdout > 0:
        out["holdout_duration"] = float(holdout)
    if spend is not None:
        p, q, gamma = spend
        n = len(out)
        nu = rng.gamma(q, 1.0 / gamma, size=n)
        x = out["repeat_frequency"].to_numpy()
        h = out["holdout_frequency"].to_numpy()
        # the sum of k Gamma(p, rate nu) draws is Gamma(k p, rate nu)
        cal_total = rng.gamma(np.where(x > 0, p * x, 1.0), 1.0 / nu)
        hold_total = rng.gamma(np.where(h > 0, p * h, 1.0), 1.0 / nu)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["btyd_monetary_mean"] = np.where(x > 0, cal_total / np.where(x > 0, x, 1.0),
                                                 np.nan)
        out["holdout_monetary"] = np.where(h > 0, hold_total, 0.0)
        out["spend_mean"] = p / nu
    return out


def _covariate_index(
    n: int, model: str, covariates: Any, coefficients: Mapping[str, float] | None
) -> tuple[pd.DataFrame | None, np.ndarray, np.ndarray]:
    """The covariate table and each customer's purchase and dropout index (0 without)."""
    if covariates is None:
        if coefficients:
            raise ValueError("coefficients= needs covariates= (one row per customer).")
        return None, np.zeros(n), np.zeros(n)
    if model == "bgbb":
        raise ValueError("covariates are supported for model='bgnbd', 'mbgnbd' and 'pareto'.")
    table = pd.DataFrame(covariates)
    if len(table) != n:
        raise ValueError(f"covariates must have one row per customer ({n}), got {len(table)}.")
    Z = table.to_numpy(dtype=float)
    if not np.isfinite(Z).all():
        raise ValueError("covariates must be finite numbers.")
    coefficients = dict(coefficients or {})
    names = [str(c) for c in table.columns]
    known = {f"{p}_{c}" for p in ("trans", "life") for c in names}
    unknown = sorted(set(coefficients) - known)
    if unknown:
        raise ValueError(
            f"coefficients {unknown} name no covariate; use 'trans_<column>' or "
            f"'life_<column>' with columns {names}."
        )
    g_trans = np.array([float(coefficients.get(f"trans_{c}", 0.0)) for c in names])
    g_life = np.array([float(coefficients.get(f"life_{c}", 0.0)) for c in names])
    return table, Z @ g_trans, Z @ g_life


def _simulate_bgbb(n, params, T_arr, holdout, rng) -> pd.DataFrame:
    """BG/BB: at each opportunity, survive (1 - theta) then transact with probability p."""
    n_cal = np.round(T_arr).astype(int)
    h = int(round(holdout))
    p = rng.beta(params["alpha"], params["beta"], size=n)
    theta = rng.beta(params["gamma"], params["delta"], size=n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    hold = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    alive_at_T = np.ones(n, dtype=bool)
    by_k: list[float] = []
    for k in range(1, int(n_cal.max()) + h + 1):
        alive &= rng.random_sample(n) >= theta
        buys = alive & (rng.random_sample(n) < p)
        in_cal = k <= n_cal
        x += buys & in_cal
        t_x = np.where(buys & in_cal, k, t_x)
        hold += buys & ~in_cal & (k <= n_cal + h)
        alive_at_T = np.where(k == n_cal, alive, alive_at_T)
        by_k.append(float(buys[k <= n_cal + h].sum()))
    out = pd.DataFrame(
        {
            "repeat_frequency": x,
            "btyd_recency": t_x,
            "btyd_T": n_cal.astype(float),
            "alive": alive_at_T,
            "holdout_frequency": hold,
            "purchase_rate": p,
            "dropout": theta,
        },
        index=pd.RangeIndex(n, name="customer_id"),
    )
    if (n_cal == n_cal[0]).all():
        # a tuple (not a Series): pandas compares attrs with == when it combines frames
        out.attrs["repeat_transactions_by_opportunity"] = tuple(by_k)
    return out


def simulate_sbg(
    n_customers: int,
    alpha: float,
    beta: float,
    *,
    n_periods: int = 7,
    random_state: Any = None,
) -> np.ndarray:
    """Active customers per period of a cohort drawn from the sBG model.

    Each customer churns at the end of every period with probability
    ``theta ~ Beta(alpha, beta)``.

    Parameters
    ----------
    n_customers : int
        Cohort size.
    alpha, beta : float
        Beta parameters of the churn probability.
    n_periods : int, default=7
        Number of periods after the start.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    numpy.ndarray
        ``n_periods + 1`` counts, the cohort size first (the input of
        :meth:`ShiftedBetaGeometricModel.fit`).

    Examples
    --------
    >>> from crmine.lifetime import simulate_sbg
    >>> s = simulate_sbg(1000, 0.7, 1.2, random_state=0)
    >>> int(s[0]), len(s), bool((s[1:] <= s[:-1]).all())
    (1000, 8, True)
    """
    rng = check_random_state(random_state)
    n = int(n_customers)
    theta = rng.beta(alpha, beta, size=n)
    life = rng.geometric(np.clip(theta, 1e-12, 1.0))  # period of churn, >= 1
    periods = np.arange(0, int(n_periods) + 1)
    return (life[None, :] > periods[:, None]).sum(axis=1).astype(float)
