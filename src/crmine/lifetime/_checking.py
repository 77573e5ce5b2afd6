"""Model checking of every lifetime model through one API.

``check_model(model, data)`` dispatches on the kind of model:

* continuous-time transaction models (BG/NBD, MBG/NBD, Pareto/NBD): conditional
  expectations by calibration frequency, the P(alive) matrix, a tracking table
  from the transaction log;
* BG/BB (discrete opportunities): the same checks on whole opportunities;
* Gamma-Gamma: predicted vs holdout mean spend by calibration frequency;
* sBG: projected vs actual survivors and retention rates by period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.exceptions import SchemaError
from crmine.lifetime._checking_kinds import (
    _check_discrete_calibration,
    _check_retention,
    _check_spend,
    _discrete_tracking,
)
from crmine.lifetime._common import check_fitted
from crmine.lifetime._validation import (
    _UNIT_DAYS,
    HoldoutReport,
    _as_day,
    holdout_frequency_table,
    holdout_report,
)
from crmine.utils._validation import purchase_mask

__all__ = ["ModelCheck", "check_model", "proba_alive_matrix", "tracking_table"]

#: The kinds of model: which checks apply, and which models compare_models may put side by side.
FAMILIES = {
    "continuous": "continuous-time transactions (BG/NBD, MBG/NBD, Pareto/NBD)",
    "discrete": "discrete-opportunity transactions (BG/BB)",
    "spend": "spend per transaction (Gamma-Gamma)",
    "retention": "contractual retention of a cohort (sBG)",
}


def model_family(model: Any) -> str:
    """The family of a lifetime model: a key of :data:`FAMILIES`."""
    from crmine.lifetime._bgbb import BetaGeoBetaBinomModel
    from crmine.lifetime._gamma_gamma import GammaGammaModel
    from crmine.lifetime._sbg import ShiftedBetaGeometricModel

    if isinstance(model, ShiftedBetaGeometricModel):
        return "retention"
    if isinstance(model, GammaGammaModel):
        return "spend"
    if isinstance(model, BetaGeoBetaBinomModel):
        return "discrete"
    if hasattr(model, "predict_purchases") and hasattr(model, "predict_proba_alive"):
        return "continuous"
    raise SchemaError(
        f"{type(model).__name__} is not a crmine lifetime model; check_model and compare_models "
        "take BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, BetaGeoBetaBinomModel, "
        "GammaGammaModel or ShiftedBetaGeometricModel (fitted)."
    )


def proba_alive_matrix(
    model: Any,
    *,
    T: float | None = None,
    max_frequency: int = 20,
    n_recency: int = 21,
    covariates: Any = None,
) -> pd.DataFrame:
    """P(alive) of a customer observed for ``T`` over a frequency x recency grid.

    Parameters
    ----------
    model : fitted BTYD model
        BG/NBD, MBG/NBD or Pareto/NBD.
    T : float, optional
        Observation length, in the model's time unit; by default the model's
        ``T_typical_`` (90th percentile of ``T`` in its fitting data).
    max_frequency : int, default=20
        Largest repeat frequency (rows 0..max_frequency).
    n_recency : int, default=21
        Number of recency values from 0 to ``T`` (columns).  Ignored for BG/BB,
        whose recency is a whole opportunity: its columns are ``0 .. T``.
    covariates : mapping, optional
        For a model fitted with ``features=``: the covariate values of the
        customer the matrix describes (``{column: value}``, every feature);
        required for such a model.  :func:`check_model` uses the means of its
        data and records them in ``attrs["covariates"]``.

    Returns
    -------
    pandas.DataFrame
        Rows: repeat frequency; columns: recency; values P(alive).  For BG/BB
        (``T`` = number of opportunities ``n``, a whole number) P(alive at
        opportunity ``n + 1``), NaN where no history exists (``x > t_x``, or
        ``t_x > 0`` without a transaction); rows stop at ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import BetaGeoModel, proba_alive_matrix
    >>> m = BetaGeoModel()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> proba_alive_matrix(m, T=39.0, max_frequency=3, n_recency=4).shape
    (4, 4)

    BG/BB, six opportunities (the donations fit of Fader, Hardie & Shang 2010):

    >>> from crmine.lifetime import BetaGeoBetaBinomModel
    >>> bb = BetaGeoBetaBinomModel()
    >>> bb.params_ = pd.Series({"alpha": 1.204, "beta": 0.750, "gamma": 0.657,
    ...                         "delta": 2.783})
    >>> mat = proba_alive_matrix(bb, T=6)
    >>> mat.shape, round(float(mat.loc[6, 6]), 3), round(float(mat.loc[0, 0]), 3)
    ((7, 7), 0.93, 0.108)
    """
    check_fitted(model)
    discrete = model_family(model) == "discrete"
    if T is None:
        T = float(getattr(model, "T_typical_", 39.0))
        T = float(round(T)) if discrete else T
    T = float(T)
    if not np.isfinite(T) or T <= 0:
        raise SchemaError(f"T must be a positive number, got {T!r}.")
    if discrete:
        return _discrete_alive_matrix(model, T, max_frequency)
    freq = np.arange(0, int(max_frequency) + 1, dtype=float)
    rec = np.linspace(0.0, T, int(n_recency))
    F, R = np.meshgrid(freq, rec, indexing="ij")
    R = np.where(F == 0, 0.0, R)
    features = list(getattr(model, "features", None) or [])
    if features:
        missing = [] if covariates is None else [c for c in features if c not in covariates]
        if covariates is None or missing:
            raise SchemaError(
                f"{type(model).__name__} has covariates {features}: P(alive) depends on them. "
                f"Fix: pass covariates={{{', '.join(repr(c) + ': ...' for c in features)}}}"
                + (f" (missing {missing})." if missing else ".")
            )
        grid = pd.DataFrame(
            {model.frequency_col: F.ravel(), model.recency_col: R.ravel(), model.T_col: T}
        )
        for col in features:
            grid[col] = float(covariates[col])
        p = np.asarray(model.predict_proba_alive(grid), dtype=float).reshape(F.shape)
    else:
        p = np.asarray(
            model.predict_proba_alive(F.ravel(), R.ravel(), np.full(F.size, T)), dtype=float
        ).reshape(F.shape)
    out = pd.DataFrame(
        p,
        index=pd.Index(freq.astype(int), name="repeat_frequency"),
        columns=pd.Index(np.round(rec, 6), name="recency"),
    )
    if features:
        out.attrs["covariates"] = {c: float(covariates[c]) for c in features}
    return out


def _discrete_alive_matrix(model: Any, T: float, max_frequency: int) -> pd.DataFrame:
    """P(alive) of BG/BB histories over whole opportunities; NaN where no history exists."""
    if T != round(T):
        raise SchemaError(
            f"T is a number of opportunities for {type(model).__name__}: a whole number, got "
            f"{T!r}. Fix: pass e.g. T=6."
        )
    n = int(round(T))
    freq = np.arange(0, min(int(max_frequency), n) + 1)
    rec = np.arange(0, n + 1)
    F, R = np.meshgrid(freq, rec, indexing="ij")
    valid = (F <= R) & ((F == 0) == (R == 0))
    p = np.full(F.shape, np.nan)
    p[valid] = np.asarray(
        model.predict_proba_alive(
            F[valid].astype(float), R[valid].astype(float), np.full(int(valid.sum()), float(n))
        ),
        dtype=float,
    )
    return pd.DataFrame(
        p,
        index=pd.Index(freq, name="repeat_frequency"),
        columns=pd.Index(rec, name="recency"),
    )




def tracking_table(
    model: Any,
    log: pd.DataFrame,
    calibration_end: Any,
    observation_end: Any,
    *,
    schema: Any = None,
    time_unit: str = "W",
) -> pd.DataFrame:
    r"""Actual vs expected repeat purchases of the cohort, period by period (FHL tracking plot).

    The cohort is every customer whose first purchase is on or before
    ``calibration_end``; purchases on the same day are merged (as in
    :func:`calibration_holdout_split`).  The expectation sums each customer's
    unconditional :math:`E[X(\tau - s_i)]` from their first purchase day
    :math:`s_i`.

    Parameters
    ----------
    model : fitted BG/NBD, MBG/NBD or Pareto/NBD model
        Fitted on the calibration table in ``time_unit``.
    log : pandas.DataFrame
        Transaction log.
    calibration_end, observation_end : date-like
        Last days of the calibration and holdout periods (inclusive).
    schema : crmine.TransactionSchema, optional
        Column roles of the log.
    time_unit : {"D", "W"}, default="W"
        Period length and the model's time unit.

    Returns
    -------
    pandas.DataFrame
        Indexed by period end (days since the first purchase of the cohort, in
        ``time_unit``): ``actual``, ``expected`` (repeat purchases in the period),
        ``actual_cumulative``, ``expected_cumulative`` and ``holdout`` (bool).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import BetaGeoModel, tracking_table
    >>> m = BetaGeoModel()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2], "order_id": [1, 2, 3],
    ...                     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-20",
    ...                                                  "2024-01-03"]),
    ...                     "amount": [5.0, 7.0, 3.0]})
    >>> t = tracking_table(m, log, "2024-01-14", "2024-01-28")
    >>> int(t["actual"].sum())
    1
    """
    from crmine.schema import prepare_log, resolve_schema, transaction_amount

    check_fitted(model)
    if not hasattr(model, "expected_purchases"):
        raise SchemaError(f"{type(model).__name__} has no expected_purchases(t).")
    if getattr(model, "features", None):
        # expected_purchases(t) is the population curve at covariates 0, not this cohort's
        raise SchemaError(
            f"{type(model).__name__}(features={list(model.features)}) has no cohort tracking "
            "curve yet: its expected_purchases(t) is for covariates all 0, not for these "
            "customers. Fix: track the model fitted without features=, or check_model without "
            "log=."
        )
    if time_unit not in _UNIT_DAYS:
        raise SchemaError(f"time_unit must be 'D' or 'W', got {time_unit!r}.")
    schema = resolve_schema(schema)
    log = prepare_log(log, schema)
    times = log[schema.time]
    tz = getattr(times.dt, "tz", None)
    cal_end = _as_day(calibration_end, tz, "calibration_end")
    obs_end = _as_day(observation_end, tz, "observation_end")
    if obs_end <= cal_end:
        raise SchemaError("observation_end must be after calibration_end.")
    keep = purchase_mask(transaction_amount(log, schema)) & (times.dt.normalize() <= obs_end)
    days = pd.DataFrame(
        {"c": log[schema.customer].to_numpy()[keep], "d": times.dt.normalize().to_numpy()[keep]}
    ).drop_duplicates()
    first = days.groupby("c")["d"].transform("min")
    cohort = days.loc[first <= cal_end]
    first = first.loc[cohort.index]
    if cohort.empty:
        raise SchemaError(f"no customer made a first purchase by {cal_end.date()}.")
    unit = _UNIT_DAYS[time_unit]
    start = first.min()
    n_periods = int(np.ceil(((obs_end - start).days + 1) / unit))
    ends = np.arange(1, n_periods + 1) * unit  # period ends in days since start
    repeat = cohort["d"] > first
    offset = (cohort.loc[repeat, "d"] - start).dt.days.to_numpy()
    period = np.minimum((offset // unit).astype(int), n_periods - 1)
    actual = np.bincount(period, minlength=n_periods).astype(float)
    s = (first.groupby(cohort["c"]).min() - start).dt.days.to_numpy(dtype=float)
    starts, counts = np.unique(s, return_counts=True)
    expected_cum = np.zeros(n_periods)
    for s0, c in zip(starts, counts):
        # a customer's clock starts at the end of their first purchase day
        elapsed = np.clip(ends - (s0 + 1.0), 0.0, None) / unit
        expected_cum += c * np.asarray(model.expected_purchases(elapsed), dtype=float)
    expected = np.diff(np.concatenate([[0.0], expected_cum]))
    cal_days = (cal_end - start).days + 1
    return pd.DataFrame(
        {
            "actual": actual,
            "expected": expected,
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": expected_cum,
            "holdout": ends > cal_days,
        },
        index=pd.Index(ends / unit, name=f"period_end_{time_unit}"),
    )


@dataclass(frozen=True, repr=False)
class ModelCheck(Result):
    """Model checks of a fitted lifetime model.

    What ``table`` holds depends on the model (``family`` names it):

    * transaction models (``"continuous"``: BG/NBD, MBG/NBD, Pareto/NBD;
      ``"discrete"``: BG/BB): the conditional-expectations table by
      calibration frequency (FHL 2005, Figure 4; FHS 2010 for BG/BB);
      ``alive_matrix`` is the P(alive) grid (for a model with covariates, at
      their means in ``data``: ``alive_matrix.attrs["covariates"]``),
      ``tracking`` the period-by-period
      (opportunity-by-opportunity for BG/BB) actual vs expected repeat
      transactions when the data allow, ``holdout`` the :class:`HoldoutReport`;
    * ``"spend"`` (Gamma-Gamma): predicted conditional mean spend vs the mean
      spend per holdout transaction, by calibration frequency; ``holdout`` is
      a :class:`HoldoutReport` of mean spend per customer (``actual_total`` and
      ``predicted_total`` are holdout spend totals);
    * ``"retention"`` (sBG): actual vs projected survivors, survival and
      retention rates by period (``holdout`` marks the periods after the fit).

    ``holdout_mae`` and ``holdout_total_error_pct`` are the headline errors:
    per customer (purchases, or mean spend) for transaction and spend models,
    per holdout period (survivors) for sBG.  ``n_excluded`` counts customers
    left out of the table (spend check: no holdout transaction, so no holdout
    spend to compare).  ``kinds`` lists what :meth:`plot` draws.

    Examples
    --------
    >>> from crmine.lifetime import BetaGeoModel, check_model, simulate_btyd
    >>> table = simulate_btyd(500, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       holdout=39.0, random_state=0)
    >>> check_model(BetaGeoModel().fit(table), table).model
    'BetaGeoModel'
    """

    model: str = ""
    family: str = ""
    holdout_mae: float = float("nan")
    holdout_total_error_pct: float = float("nan")
    n_excluded: int = 0
    alive_matrix: pd.DataFrame | None = field(default=None)
    tracking: pd.DataFrame | None = field(default=None)
    holdout: HoldoutReport | None = field(default=None)
    kinds: tuple[str, ...] = ()

    def _headline(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "family": self.family,
            "holdout_mae": self.holdout_mae,
            "holdout_total_error_pct": self.holdout_total_error_pct,
        }
        if self.n_excluded:
            out["n_excluded"] = self.n_excluded
        return out

    def plot(self, kind: str | None = None, ax: Any = None) -> Any:
        """Draw one check; ``kind`` is one of :attr:`kinds` (default: the first).

        Transaction models: ``"frequency"`` (conditional expectations),
        ``"alive"`` (P(alive) matrix), ``"tracking"`` (when a tracking table
        exists); BG/BB without a holdout: ``"calibration"`` (customers by
        repeat frequency) instead of ``"frequency"``; Gamma-Gamma:
        ``"spend"``; sBG: ``"survival"`` and ``"retention"``.

        Parameters
        ----------
        kind : str, optional
            Which chart.
        ax : matplotlib Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from crmine.lifetime import ShiftedBetaGeometricModel, check_model
        >>> actual = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
        >>> check = check_model(ShiftedBetaGeometricModel().fit(actual[:8]), actual)
        >>> check.kinds
        ('survival', 'retention')
        >>> check.plot("survival").get_ylabel()
        'share of the cohort still active'
        """
        from crmine.plotting import _lifetime as lp

        if kind is None:
            kind = self.kinds[0] if self.kinds else "frequency"
        if kind not in self.kinds:
            if kind == "tracking" and self.family in ("continuous", "discrete"):
                fix = (
                    "pass log= (the transaction log) and a calibration_holdout_split table"
                    if self.family == "continuous"
                    else "pass log= (the cohort's repeat transactions per opportunity)"
                )
                raise SchemaError(f"no tracking table: {fix} to check_model.")
            raise SchemaError(
                f"kind must be one of {list(self.kinds)} for {self.model}, got {kind!r}."
            )
        if kind == "tracking":
            return lp.plot_tracking(self.tracking, cumulative=self.family == "continuous", ax=ax)
        if kind == "alive":
            return lp.plot_alive_matrix_table(self.alive_matrix, ax=ax)
        if kind in ("survival", "retention"):
            return lp.plot_retention_check(self.table, kind=kind, ax=ax)
        if kind == "spend":
            return lp.plot_conditional_expectations(
                self.table, label=self.model, ax=ax,
                ylabel="mean spend per holdout transaction",
                title="Spend: calibration vs holdout",
            )
        if kind == "calibration":
            return lp.plot_conditional_expectations(
                self.table, label=self.model, ax=ax, columns=("actual", "expected"),
                xlabel="repeat transactions in calibration", ylabel="customers",
                title="Calibration: customers by repeat frequency", pool_last=False,
            )
        what = "transactions" if self.family == "discrete" else "purchases"
        return lp.plot_conditional_expectations(
            self.table, label=self.model, ax=ax,
            xlabel=f"repeat {what} in calibration", ylabel=f"mean {what} in holdout",
        )


def check_model(
    model: Any,
    data: Any,
    *,
    log: Any = None,
    schema: Any = None,
    max_frequency: int = 7,
    weights: Any = None,
) -> ModelCheck:
    """All model checks of a fitted lifetime model in one result.

    Parameters
    ----------
    model : fitted lifetime model
        BG/NBD, MBG/NBD, Pareto/NBD or BG/BB fitted on the calibration columns
        of ``data``; a Gamma-Gamma model fitted on its spend columns; or an sBG
        model fitted on the first periods of the survivor counts ``data``.
    data : pandas.DataFrame or array-like
        Transaction and spend models: a customer table with the calibration
        columns and ``holdout_frequency``, ``holdout_duration`` (and
        ``holdout_monetary`` for Gamma-Gamma), as written by
        :func:`calibration_holdout_split` or :func:`simulate_btyd` (its
        ``attrs`` give the calibration and observation ends and the time unit
        for the tracking table).  For BG/BB the calibration columns and
        ``holdout_duration`` count whole opportunities.  sBG: the cohort's
        active customers per period, cohort size first, *all* periods (the
        model was fitted on the first ``n_periods_ + 1`` values; the rest are
        the holdout).
    log : pandas.DataFrame or array-like, optional
        For the tracking table.  Continuous-time models: the transaction log.
        BG/BB: the cohort's repeat transactions at opportunities ``1, 2, ...``
        (calibration first, then holdout); by default
        ``data.attrs["repeat_transactions_by_opportunity"]`` when present (as
        :func:`simulate_btyd` writes it).  Checked against the table: the
        calibration part must sum to ``repeat_frequency``, a full holdout part
        to ``holdout_frequency``.
    schema : crmine.TransactionSchema, optional
        Column roles of ``log``.
    max_frequency : int, default=7
        Pooling of the conditional-expectations table.
    weights : str or array-like, optional
        BG/BB only, for pre-aggregated patterns (as ``donations.csv``): a
        column of ``data`` or one number per row, the customers each row
        stands for.  Weighted data get the calibration check (a holdout
        check needs one row per customer).

    Returns
    -------
    ModelCheck
        ``.table``, ``.alive_matrix``, ``.tracking``, ``.holdout``,
        ``.holdout_mae``, ``.holdout_total_error_pct`` and ``.plot(kind)``.
        A BG/BB table without holdout columns gets the calibration check
        instead of the conditional expectations: ``table`` holds the actual
        and expected number of customers with each repeat frequency
        (``P(X(n) = x)``, FHS 2010), plot kind ``"calibration"``.

    Examples
    --------
    >>> from crmine.lifetime import BetaGeoModel, check_model, simulate_btyd
    >>> table = simulate_btyd(1000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       holdout=39.0, random_state=0)
    >>> check = check_model(BetaGeoModel().fit(table), table)
    >>> list(check.table.columns)
    ['n_customers', 'actual_mean', 'predicted_mean']

    BG/BB on six opportunities, five held out:

    >>> from crmine.lifetime import BetaGeoBetaBinomModel
    >>> t = simulate_btyd(2000, {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8},
    ...                   model="bgbb", T=6, holdout=5, random_state=0)
    >>> check = check_model(BetaGeoBetaBinomModel().fit(t), t)
    >>> check.kinds, len(check.tracking)
    (('frequency', 'alive', 'tracking'), 11)
    """
    family = model_family(model)
    check_fitted(model)
    if weights is not None and family != "discrete":
        raise SchemaError(
            "weights= is for pre-aggregated BG/BB patterns only; pass one row per customer."
        )
    if log is not None and family in ("retention", "spend"):
        raise SchemaError(
            f"log= gives the tracking table of a transaction model; {type(model).__name__} has "
            "none. Fix: check_model(model, data) without log=."
        )
    if family == "retention":
        return _check_retention(model, data)
    if family == "spend":
        return _check_spend(model, data, max_frequency)
    if family == "discrete" and (
        weights is not None
        or (isinstance(data, pd.DataFrame) and "holdout_frequency" not in data.columns)
    ):
        return _check_discrete_calibration(model, data, log, weights)
    rep = holdout_report(model, data)
    tracking = None
    if family == "continuous" and log is not None:
        attrs = data.attrs
        if "calibration_end" not in attrs or "observation_end" not in attrs:
            raise SchemaError(
                "data has no calibration_end/observation_end attrs; build it with "
                "calibration_holdout_split to get a tracking table."
            )
        tracking = tracking_table(
            model,
            log,
            attrs["calibration_end"],
            attrs["observation_end"],
            schema=schema,
            time_unit=attrs.get("time_unit", "W"),
        )
    elif family == "discrete":
        tracking = _discrete_tracking(model, data, log)
    kinds = ("frequency", "alive") + (("tracking",) if tracking is not None else ())
    return ModelCheck(
        table=holdout_frequency_table(model, data, max_frequency=max_frequency),
        model=type(model).__name__,
        family=family,
        holdout_mae=rep.mae,
        holdout_total_error_pct=rep.total_error_pct,
        alive_matrix=proba_alive_matrix(
            model,
            T=_typical_n(model, data) if family == "discrete" else None,
            covariates=_mean_covariates(model, data),
        ),
        tracking=tracking,
        holdout=rep,
        kinds=kinds,
    )


def _mean_covariates(model: Any, data: pd.DataFrame) -> dict[str, float] | None:
    """The mean covariate row of ``data`` for a model with ``features=`` (else None)."""
    features = list(getattr(model, "features", None) or [])
    if not features:
        return None
    return {c: float(data[c].to_numpy(dtype=float).mean()) for c in features}


def _typical_n(model: Any, data: pd.DataFrame) -> float:
    """The most common number of calibration opportunities of a BG/BB table."""
    n = data[model.T_col].to_numpy(dtype=float)
    values, counts = np.unique(n, return_counts=True)
    return float(values[np.argmax(counts)])
