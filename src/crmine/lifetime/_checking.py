"""Model checking of the BTYD models through one API: tracking, frequency table, P(alive) matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.exceptions import SchemaError
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


def proba_alive_matrix(
    model: Any, *, T: float | None = None, max_frequency: int = 20, n_recency: int = 21
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
        Number of recency values from 0 to ``T`` (columns).

    Returns
    -------
    pandas.DataFrame
        Rows: repeat frequency; columns: recency; values P(alive).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import BetaGeoModel, proba_alive_matrix
    >>> m = BetaGeoModel()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> proba_alive_matrix(m, T=39.0, max_frequency=3, n_recency=4).shape
    (4, 4)
    """
    check_fitted(model)
    T = float(getattr(model, "T_typical_", 39.0)) if T is None else float(T)
    if not np.isfinite(T) or T <= 0:
        raise SchemaError(f"T must be a positive number, got {T!r}.")
    freq = np.arange(0, int(max_frequency) + 1, dtype=float)
    rec = np.linspace(0.0, T, int(n_recency))
    F, R = np.meshgrid(freq, rec, indexing="ij")
    R = np.where(F == 0, 0.0, R)
    p = np.asarray(
        model.predict_proba_alive(F.ravel(), R.ravel(), np.full(F.size, T)), dtype=float
    ).reshape(F.shape)
    return pd.DataFrame(
        p,
        index=pd.Index(freq.astype(int), name="repeat_frequency"),
        columns=pd.Index(np.round(rec, 6), name="recency"),
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
    """Model checks of a fitted BTYD model.

    ``table`` is the conditional-expectations table by calibration frequency
    (FHL 2005, Figure 4); ``alive_matrix`` the P(alive) grid; ``tracking`` the
    period-by-period actual vs expected repeat purchases (when a log was
    given); ``holdout`` the :class:`HoldoutReport`.

    Examples
    --------
    >>> from crmine.lifetime import BetaGeoModel, check_model, simulate_btyd
    >>> table = simulate_btyd(500, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       holdout=39.0, random_state=0)
    >>> table["holdout_duration"] = 39.0
    >>> check_model(BetaGeoModel().fit(table), table).model
    'BetaGeoModel'
    """

    model: str = ""
    holdout_mae: float = float("nan")
    holdout_total_error_pct: float = float("nan")
    alive_matrix: pd.DataFrame | None = field(default=None)
    tracking: pd.DataFrame | None = field(default=None)
    holdout: HoldoutReport | None = field(default=None)

    def plot(self, kind: str = "frequency", ax: Any = None) -> Any:
        """Draw one check: ``"frequency"``, ``"tracking"`` or ``"alive"``.

        Parameters
        ----------
        kind : {"frequency", "tracking", "alive"}, default="frequency"
            Which chart.
        ax : matplotlib Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from crmine.plotting._lifetime import plot_alive_matrix_table, plot_tracking

        if kind == "tracking":
            if self.tracking is None:
                raise SchemaError("no tracking table: pass log= to check_model.")
            return plot_tracking(self.tracking, ax=ax)
        if kind == "alive":
            return plot_alive_matrix_table(self.alive_matrix, ax=ax)
        if kind != "frequency":
            raise SchemaError(f"kind must be 'frequency', 'tracking' or 'alive', got {kind!r}.")
        from crmine.plotting._common import get_axes

        ax = get_axes(ax, (6.0, 4.0))
        t = self.table
        ax.plot(t.index, t["actual_mean"], "o-", label="actual")
        ax.plot(t.index, t["predicted_mean"], "s--", label=self.model)
        ax.set_xlabel("repeat purchases in calibration")
        ax.set_ylabel("mean purchases in holdout")
        ax.legend()
        return ax


def check_model(
    model: Any,
    data: pd.DataFrame,
    *,
    log: pd.DataFrame | None = None,
    schema: Any = None,
    max_frequency: int = 7,
) -> ModelCheck:
    """All model checks of a fitted BTYD model in one result.

    Parameters
    ----------
    model : fitted BG/NBD, MBG/NBD or Pareto/NBD model
        Fitted on the calibration columns of ``data``.
    data : pandas.DataFrame
        Output of :func:`calibration_holdout_split` (its ``attrs`` give the
        calibration and observation ends and the time unit for the tracking
        table).
    log : pandas.DataFrame, optional
        The transaction log, for the tracking table.
    schema : crmine.TransactionSchema, optional
        Column roles of ``log``.
    max_frequency : int, default=7
        Pooling of the conditional-expectations table.

    Returns
    -------
    ModelCheck
        ``.table`` (conditional expectations by frequency), ``.alive_matrix``,
        ``.tracking`` (with ``log``), ``.holdout`` and ``.plot(kind)``.

    Examples
    --------
    >>> from crmine.lifetime import BetaGeoModel, check_model, simulate_btyd
    >>> table = simulate_btyd(1000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       holdout=39.0, random_state=0)
    >>> table["holdout_duration"] = 39.0
    >>> check = check_model(BetaGeoModel().fit(table), table)
    >>> list(check.table.columns)
    ['n_customers', 'actual_mean', 'predicted_mean']
    """
    rep = holdout_report(model, data)
    tracking = None
    if log is not None:
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
    return ModelCheck(
        table=holdout_frequency_table(model, data, max_frequency=max_frequency),
        model=type(model).__name__,
        holdout_mae=rep.mae,
        holdout_total_error_pct=rep.total_error_pct,
        alive_matrix=proba_alive_matrix(model),
        tracking=tracking,
        holdout=rep,
    )
