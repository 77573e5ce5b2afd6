"""Model checks of the discrete, spend and retention models (BG/BB, Gamma-Gamma, sBG).

The continuous-time checks and the one entry point, :func:`check_model`, are in
:mod:`crmine.lifetime._checking`; this module holds what only BG/BB, Gamma-Gamma
and sBG need: the per-opportunity tracking table, the BG/BB frequency
distribution, the spend check and the survivor projection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.lifetime._common import check_fitted
from crmine.lifetime._validation import (
    HoldoutReport,
    _corr,
)

if TYPE_CHECKING:
    from crmine.lifetime._checking import ModelCheck

__all__ = ["discrete_tracking_table", "survivors_of"]


def _model_check() -> Any:
    """The result class (defined beside ``check_model``; imported late to avoid a cycle)."""
    from crmine.lifetime._checking import ModelCheck

    return ModelCheck


def discrete_tracking_table(
    model: Any, actual: Any, *, n_customers: float, n_calibration: int
) -> pd.DataFrame:
    r"""Actual vs expected repeat transactions of a BG/BB cohort, opportunity by opportunity.

    The expectation is ``n_customers`` times
    :math:`E[X(k)] - E[X(k-1)] = rac{lpha}{lpha+eta}
    rac{B(\gamma, \delta + k)}{B(\gamma, \delta)}` (the model's
    ``expected_purchases`` differenced), for a cohort whose first transaction
    is at opportunity 0.

    Parameters
    ----------
    model : fitted BetaGeoBetaBinomModel
        The model.
    actual : array-like
        The cohort's repeat transactions at opportunities ``1, 2, ...`` (e.g.
        donors per year); NaN where unknown.
    n_customers : float
        Cohort size.
    n_calibration : int
        Opportunities in the calibration period (later ones are holdout).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``opportunity``: ``actual``, ``expected``,
        ``actual_cumulative``, ``expected_cumulative`` and ``holdout`` (bool).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import BetaGeoBetaBinomModel
    >>> from crmine.lifetime._checking_kinds import discrete_tracking_table
    >>> m = BetaGeoBetaBinomModel()
    >>> m.params_ = pd.Series({"alpha": 1.0, "beta": 1.0, "gamma": 1.0, "delta": 1.0})
    >>> t = discrete_tracking_table(m, [30.0, 20.0], n_customers=100, n_calibration=1)
    >>> t["expected"].round(3).tolist()   # 100 * 1/2 * B(1, 1 + k) / B(1, 1) = 50 / (1 + k)
    [25.0, 16.667]
    """
    check_fitted(model)
    a = np.asarray(actual, dtype=float).ravel()
    if a.size == 0 or (a[np.isfinite(a)] < 0).any() or np.isinf(a).any():
        raise SchemaError(
            "actual must give the cohort's repeat transactions (>= 0, NaN where unknown) at "
            f"opportunities 1, 2, ...; got {a.tolist()[:10]}."
        )
    k = np.arange(0, a.size + 1, dtype=float)
    cum = float(n_customers) * np.asarray(model.expected_purchases(k), dtype=float)
    cum = cum - cum[0]
    expected = np.diff(cum)
    return pd.DataFrame(
        {
            "actual": a,
            "expected": expected,
            "actual_cumulative": np.cumsum(a),
            "expected_cumulative": cum[1:],
            "holdout": k[1:] > int(n_calibration),
        },
        index=pd.Index(np.arange(1, a.size + 1), name="opportunity"),
    )


def _discrete_tracking(model: Any, data: pd.DataFrame, log: Any) -> pd.DataFrame | None:
    """BG/BB tracking table from per-opportunity totals, checked against the customer table."""
    source = "log"
    if log is None:
        log = data.attrs.get("repeat_transactions_by_opportunity")
        source = 'data.attrs["repeat_transactions_by_opportunity"]'
        if log is None:
            return None
    actual = np.asarray(log, dtype=float).ravel()
    n_cal = data[model.T_col].to_numpy(dtype=float)
    if n_cal.size == 0 or not np.all(n_cal == n_cal[0]):
        raise SchemaError(
            "a BG/BB tracking table needs one cohort observed for the same number of "
            f"opportunities; {model.T_col!r} varies ({np.unique(n_cal)[:5].tolist()} ...). "
            "Fix: check one cohort at a time (rows with equal T)."
        )
    n = int(n_cal[0])
    h = data["holdout_duration"].to_numpy(dtype=float)
    h = int(h[0]) if h.size and np.all(h == h[0]) else None
    if actual.size < n:
        raise SchemaError(
            f"{source} has {actual.size} opportunities; the calibration alone has {n}."
        )
    totals = [
        ("calibration", actual[:n], data[model.frequency_col].to_numpy(dtype=float).sum()),
    ]
    if h is not None and actual.size == n + h:
        totals.append(("holdout", actual[n:], data["holdout_frequency"].to_numpy(float).sum()))
    for part, a, expect in totals:
        if np.isfinite(a).all() and not np.isclose(a.sum(), expect):
            raise SchemaError(
                f"{source} sums to {a.sum():g} {part} transactions but the table has "
                f"{expect:g}: they describe different customers (a subset of rows keeps the "
                "whole cohort's attrs). Fix: pass log= with this table's totals, or log=None "
                "after clearing the attrs."
            )
    return discrete_tracking_table(model, actual, n_customers=len(data), n_calibration=n)


def _bgbb_pmf(model: Any, n: int) -> np.ndarray:
    r"""``P(X(n) = x)`` for ``x = 0 .. n`` under a BG/BB model (FHS 2010, eq. 8).

    :math:`\binom{n}{x}\frac{B(\alpha+x, \beta+n-x)}{B(\alpha,\beta)}
    \frac{B(\gamma, \delta+n)}{B(\gamma,\delta)} + \sum_{i=x}^{n-1}\binom{i}{x}
    \frac{B(\alpha+x,\beta+i-x)}{B(\alpha,\beta)}\frac{B(\gamma+1,\delta+i)}
    {B(\gamma,\delta)}`.
    """
    from scipy.special import betaln, gammaln

    alpha, beta, gamma, delta = model.params_.to_numpy()

    def lchoose(a: Any, b: Any) -> Any:
        return gammaln(a + 1.0) - gammaln(b + 1.0) - gammaln(a - b + 1.0)

    out = np.empty(n + 1)
    for x in range(n + 1):
        terms = [
            lchoose(n, x) + betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
            + betaln(gamma, delta + n) - betaln(gamma, delta)
        ]
        i = np.arange(x, n, dtype=float)
        terms.extend(
            lchoose(i, x) + betaln(alpha + x, beta + i - x) - betaln(alpha, beta)
            + betaln(gamma + 1.0, delta + i) - betaln(gamma, delta)
        )
        out[x] = np.exp(np.logaddexp.reduce(np.asarray(terms, dtype=float)))
    return out


def _check_discrete_calibration(model: Any, data: Any, log: Any, weights: Any) -> ModelCheck:
    """BG/BB without a holdout: actual vs expected customers by repeat frequency."""
    from crmine.lifetime._checking import proba_alive_matrix

    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a customer table, got {type(data).__name__}.")
    if isinstance(weights, str):
        if weights not in data.columns:
            raise SchemaError(f"data has no weights column {weights!r}.")
        w = data[weights].to_numpy(dtype=float)
    elif weights is None:
        w = np.ones(len(data))
    else:
        w = np.asarray(weights, dtype=float).ravel()
    if w.shape != (len(data),) or not np.isfinite(w).all() or (w < 0).any():
        raise SchemaError(
            f"weights must be finite, >= 0 and one per row ({len(data)}); got shape {w.shape}."
        )
    x, _, n_arr, _ = model._rft(data, None, None)
    if not np.all(n_arr == n_arr[0]):
        raise SchemaError(
            "the BG/BB calibration check needs one cohort with the same number of "
            f"opportunities; {model.T_col!r} varies. Fix: check one cohort at a time."
        )
    n = int(n_arr[0])
    total = float(w.sum())
    actual = np.bincount(x.astype(int), weights=w, minlength=n + 1)
    expected = total * _bgbb_pmf(model, n)
    table = pd.DataFrame(
        {"actual": actual, "expected": expected},
        index=pd.Index(np.arange(n + 1), name="repeat_frequency"),
    )
    tracking = None
    if log is not None:
        a = np.asarray(log, dtype=float).ravel()
        cal = float(np.dot(w, x))
        if a.size >= n and np.isfinite(a[:n]).all() and not np.isclose(a[:n].sum(), cal):
            raise SchemaError(
                f"log sums to {a[:n].sum():g} calibration transactions but the table has "
                f"{cal:g}: they describe different customers."
            )
        tracking = discrete_tracking_table(model, a, n_customers=total, n_calibration=n)
    return _model_check()(
        table=table,
        model=type(model).__name__,
        family="discrete",
        alive_matrix=proba_alive_matrix(model, T=float(n)),
        tracking=tracking,
        kinds=("calibration", "alive") + (("tracking",) if tracking is not None else ()),
    )


def _check_spend(model: Any, data: Any, max_frequency: int) -> ModelCheck:
    """Gamma-Gamma: predicted conditional mean spend vs mean spend per holdout transaction."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            "data must be a customer table (calibration_holdout_split), got "
            f"{type(data).__name__}."
        )
    if int(max_frequency) < 1:
        raise ValueError(f"max_frequency must be >= 1, got {max_frequency!r}.")
    for col in ("holdout_frequency", "holdout_monetary"):
        if col not in data.columns:
            raise SchemaError(
                f"data has no column {col!r}: the spend check compares the Gamma-Gamma "
                "prediction with the holdout spend. Fix: build data with "
                "calibration_holdout_split(log, calibration_end, observation_end) or "
                "simulate_btyd(..., holdout=..., spend=...)."
            )
    h_freq = data["holdout_frequency"].to_numpy(dtype=float)
    h_spend = data["holdout_monetary"].to_numpy(dtype=float)
    if not (np.isfinite(h_freq).all() and np.isfinite(h_spend).all()) or (h_freq < 0).any():
        raise SchemaError("holdout_frequency and holdout_monetary must be finite, frequency >= 0.")
    pred = np.asarray(model.predict_spend(data), dtype=float)
    x = data[model.frequency_col].to_numpy(dtype=float)
    keep = h_freq > 0
    if not keep.any():
        raise SchemaError(
            "no customer transacted in the holdout period: there is no holdout spend to check "
            "the Gamma-Gamma model against. Fix: a longer holdout period."
        )
    actual = h_spend[keep] / h_freq[keep]
    p = pred[keep]
    freq = np.minimum(x[keep], int(max_frequency)).astype(int)
    frame = pd.DataFrame({"repeat_frequency": freq, "actual": actual, "pred": p})
    grouped = frame.groupby("repeat_frequency")
    table = pd.DataFrame(
        {
            "n_customers": grouped.size(),
            "actual_mean": grouped["actual"].mean(),
            "predicted_mean": grouped["pred"].mean(),
        }
    )
    total_a = float(h_spend[keep].sum())
    total_p = float(np.sum(p * h_freq[keep]))
    err = p - actual
    rep = HoldoutReport(
        table=pd.DataFrame({"actual": actual, "predicted": p}, index=data.index[keep]),
        n_customers=int(keep.sum()),
        actual_total=total_a,
        predicted_total=total_p,
        total_error_pct=100.0 * (total_p - total_a) / total_a if total_a else float("nan"),
        rmse=float(np.sqrt(np.mean(err**2))),
        mae=float(np.mean(np.abs(err))),
        correlation=_corr(actual, p),
        mae_zero_forecast=float(np.mean(np.abs(actual))),
    )
    return _model_check()(
        table=table,
        model=type(model).__name__,
        family="spend",
        holdout_mae=rep.mae,
        holdout_total_error_pct=rep.total_error_pct,
        n_excluded=int((~keep).sum()),
        holdout=rep,
        kinds=("spend",),
    )


def survivors_of(model: Any, data: Any) -> np.ndarray:
    """The survivor counts ``data`` of an sBG check, verified against the model's fit."""
    from crmine.utils._validation import is_dataframe_like

    if is_dataframe_like(data):
        raise SchemaError(
            "check_model of an sBG model takes the cohort's survivor counts per period "
            "(cohort size first, all periods), not a customer table. Fix: "
            "check_model(model, [1000, 631, 468, ...])."
        )
    fitted_on = getattr(model, "_churned_active", None)
    if fitted_on is None:
        raise SchemaError(
            "the sBG check compares the projection with the periods after the fit; this model "
            "was not fitted here (parameters set by hand). Fix: fit it on data[:k + 1]."
        )
    s = np.asarray(data, dtype=float).ravel()
    k = int(model.n_periods_)
    if s.size < k + 1:
        raise SchemaError(
            f"the model was fitted on {k} periods but data has only {s.size - 1}; pass all "
            "periods, cohort size first (the first ones are the calibration)."
        )
    if not np.isfinite(s).all() or (s < 0).any() or (np.diff(s) > 0).any() or s[0] <= 0:
        raise SchemaError(
            f"survivors must be finite, >= 0, start above 0 and never increase; got "
            f"{s.tolist()[:10]}."
        )
    churned, active = fitted_on
    same = np.allclose(churned, -np.diff(s[: k + 1])) and np.isclose(
        churned.sum() + active.sum(), s[0]
    )
    if not same:
        raise SchemaError(
            f"the first {k + 1} survivor counts of data are not the ones the model was fitted on "
            "(a different cohort, percentages vs counts, or a customer table with censoring). "
            "Fix: fit the model on data[:n_periods + 1] and check it on the whole series."
        )
    return s


def _check_retention(model: Any, data: Any) -> ModelCheck:
    """sBG: projected vs actual survivors and retention rates, period by period."""
    s = survivors_of(model, data)
    k = int(model.n_periods_)
    t = np.arange(s.size)
    surv = np.asarray(model.predict_survival(t), dtype=float)
    pred = s[0] * surv
    with np.errstate(divide="ignore", invalid="ignore"):
        act_ret = np.concatenate([[np.nan], s[1:] / s[:-1]])
    pred_ret = np.concatenate([[np.nan], np.asarray(model.predict_retention_rate(t[1:]))])
    table = pd.DataFrame(
        {
            "actual": s,
            "predicted": pred,
            "actual_survival": s / s[0],
            "predicted_survival": surv,
            "actual_retention": act_ret,
            "predicted_retention": pred_ret,
            "holdout": t > k,
        },
        index=pd.Index(t, name="period"),
    )
    hold = table["holdout"].to_numpy()
    mae = total = float("nan")
    if hold.any():
        a, p = s[hold], pred[hold]
        mae = float(np.mean(np.abs(p - a)))
        total = 100.0 * (p.sum() - a.sum()) / a.sum() if a.sum() else float("nan")
    return _model_check()(
        table=table,
        model=type(model).__name__,
        family="retention",
        holdout_mae=mae,
        holdout_total_error_pct=total,
        kinds=("survival", "retention"),
    )
