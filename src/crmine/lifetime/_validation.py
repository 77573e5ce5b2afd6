"""Calibration / holdout validation of the buy-till-you-die models."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from crmine._customer_table import TIME_UNITS
from crmine.base import Result
from crmine.exceptions import DataWarning, SchemaError

__all__ = [
    "HoldoutReport",
    "calibration_holdout_split",
    "holdout_frequency_table",
    "holdout_report",
]

_UNIT_DAYS = TIME_UNITS  # the one definition of the time units, in days


def _as_day(value: Any, tz: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}={value!r} is not a date; pass e.g. '1997-09-30'.") from exc
    if tz is not None and ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    elif tz is None and ts.tzinfo is not None:
        raise ValueError(
            f"{name}={value!r} is timezone-aware but the log's timestamps are naive; pass a naive "
            "date."
        )
    return ts.normalize()


def calibration_from_summary(
    cal: pd.DataFrame,
    cal_end: pd.Timestamp,
    unit: float,
    time_col: str,
    first_time: object = None,
) -> tuple[pd.DataFrame, int]:
    """The calibration table from a BTYD summary at ``calibration_end + 1 day``.

    Shared by the pandas path and the engine adapters (one definition): whole days
    first, so that recency == T exactly for a purchase on ``calibration_end``;
    customers whose first purchase is on ``calibration_end`` (T = 0) are dropped
    with a :class:`~crmine.exceptions.DataWarning`.  Returns the table and their number.
    """
    if cal.empty:
        first = f" (first timestamp: {first_time})" if first_time is not None else ""
        raise SchemaError(
            f"no purchase on or before calibration_end={cal_end.date()} in column "
            f"{time_col!r}{first}; move calibration_end later."
        )
    cal = cal[["repeat_frequency", "btyd_recency", "btyd_T", "btyd_monetary_mean"]].copy()
    cal["btyd_T"] = (np.rint(cal["btyd_T"].to_numpy(dtype=float) * unit) - 1.0) / unit
    cal["btyd_recency"] = np.rint(cal["btyd_recency"].to_numpy(dtype=float) * unit) / unit
    t0 = cal["btyd_T"] <= 1e-12
    n_t0 = int(t0.sum())
    if n_t0:
        warnings.warn(
            f"{n_t0} customer(s) made their first purchase on calibration_end "
            f"({cal_end.date()}) and have T = 0; they are dropped from the calibration table.",
            DataWarning,
            stacklevel=3,
        )
        cal = cal.loc[~t0]
    return cal, n_t0


def calibration_holdout_split(
    log: pd.DataFrame,
    calibration_end: str | pd.Timestamp,
    observation_end: str | pd.Timestamp,
    *,
    schema: Any = None,
    time_unit: Literal["D", "W"] = "D",
) -> pd.DataFrame:
    """Summarise a transaction log into a calibration table plus holdout outcomes.

    Follows the protocol of Fader, Hardie & Lee (2005) (and of the R package
    BTYD and Python ``lifetimes``): purchases on the same day are merged; the
    calibration period runs up to and **including** the day ``calibration_end``,
    the holdout period from the next day up to and including
    ``observation_end``.  Only customers with a first purchase in the
    calibration period are kept (the cohort being forecast).

    The calibration summary is computed by
    :class:`crmine.features.TransactionFeatures` (``include=("btyd",)``, cutoff
    = the day after ``calibration_end``); ``btyd_T`` is then measured to the
    day ``calibration_end`` itself, as in FHL (a customer who first bought on
    1997-01-01 has ``T = 272 / 7 = 38.86`` weeks for a calibration ending
    1997-09-30).

    Parameters
    ----------
    log : pandas.DataFrame
        Transaction log (crmine column names or ``schema``).  Lines with a
        negative value (returns) are not purchases.
    calibration_end : str or pandas.Timestamp
        Last day of the calibration period (inclusive).
    observation_end : str or pandas.Timestamp
        Last day of the holdout period (inclusive); after ``calibration_end``.
    schema : crmine.TransactionSchema, optional
        Column roles of the log.
    time_unit : {"D", "W"}, default="D"
        Unit of ``btyd_recency``, ``btyd_T`` and ``holdout_duration``.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id, columns ``repeat_frequency``, ``btyd_recency``,
        ``btyd_T``, ``btyd_monetary_mean`` (mean spend per repeat purchase day,
        NaN when ``repeat_frequency == 0``), ``holdout_frequency`` (purchase days
        in the holdout), ``holdout_monetary`` (holdout spend) and
        ``holdout_duration``.  Customers whose first purchase is on
        ``calibration_end`` itself (``T = 0``) are dropped with a
        :class:`~crmine.exceptions.DataWarning`; their count is in
        ``result.attrs["n_dropped_T0"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import calibration_holdout_split
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2],
    ...     "order_id": [1, 2, 3, 4, 5],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-20",
    ...                                  "2024-01-05", "2024-01-05"]),
    ...     "amount": [10.0, 20.0, 15.0, 5.0, 7.0],
    ... })
    >>> s = calibration_holdout_split(log, "2024-01-10", "2024-01-31")
    >>> s[["repeat_frequency", "btyd_recency", "btyd_T", "holdout_frequency"]]
                 repeat_frequency  btyd_recency  btyd_T  holdout_frequency
    customer_id
    1                           1           7.0     9.0                  1
    2                           0           0.0     5.0                  0
    """
    from crmine.utils._engines import find_engine

    engine = find_engine(log)
    if engine is not None:  # polars, Arrow, DuckDB, Parquet or Spark: same protocol there
        return engine.calibration_holdout_split(
            log, calibration_end, observation_end, schema=schema, time_unit=time_unit
        )
    from crmine.features import TransactionFeatures
    from crmine.schema import prepare_log, resolve_schema, transaction_amount

    if time_unit not in _UNIT_DAYS:
        raise ValueError(f"time_unit must be 'D' or 'W', got {time_unit!r}.")
    schema = resolve_schema(schema)
    log = prepare_log(log, schema)
    times = log[schema.time]
    tz = getattr(times.dt, "tz", None)
    cal_end = _as_day(calibration_end, tz, "calibration_end")
    obs_end = _as_day(observation_end, tz, "observation_end")
    if obs_end <= cal_end:
        raise ValueError(
            f"observation_end ({obs_end.date()}) must be after calibration_end "
            f"({cal_end.date()}): the holdout period would be empty."
        )
    cutoff = cal_end + pd.Timedelta(days=1)
    unit = _UNIT_DAYS[time_unit]
    tf = TransactionFeatures(schema=schema, cutoff=cutoff, time_unit=time_unit, include=("btyd",))
    cal = tf.fit(log).transform(log)
    cal, n_t0 = calibration_from_summary(cal, cal_end, unit, schema.time, times.min())

    amount = transaction_amount(log, schema)
    day = times.dt.normalize()
    in_hold = ((day > cal_end) & (day <= obs_end)).to_numpy() & (amount >= 0)
    hold = pd.DataFrame(
        {
            "customer": log[schema.customer].to_numpy()[in_hold],
            "day": day.to_numpy()[in_hold],
            "amount": amount[in_hold],
        }
    )
    hold = hold[hold["customer"].isin(cal.index)]
    h_freq = hold.groupby("customer")["day"].nunique()
    h_amt = hold.groupby("customer")["amount"].sum()
    out = cal
    out["holdout_frequency"] = h_freq.reindex(out.index, fill_value=0).astype(np.int64).to_numpy()
    out["holdout_monetary"] = h_amt.reindex(out.index, fill_value=0.0).astype(float).to_numpy()
    out["holdout_duration"] = (obs_end - cal_end).days / unit
    out.attrs["n_dropped_T0"] = n_t0
    out.attrs["calibration_end"] = cal_end
    out.attrs["observation_end"] = obs_end
    out.attrs["time_unit"] = time_unit
    return out


def _holdout_inputs(model: Any, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            "data must be the DataFrame returned by calibration_holdout_split, got "
            f"{type(data).__name__}."
        )
    for col in ("holdout_frequency", "holdout_duration"):
        if col not in data.columns:
            raise SchemaError(
                f"data has no column {col!r}; build it with "
                "crmine.lifetime.calibration_holdout_split(log, calibration_end, observation_end)."
            )
    durations = data["holdout_duration"].to_numpy(dtype=float)
    if durations.size and np.allclose(durations, durations[0]):
        t: Any = float(durations[0])
    else:
        t = durations  # one horizon per customer, evaluated in one vectorised call
    pred = np.asarray(model.predict_purchases(data, t=t), dtype=float)
    actual = data["holdout_frequency"].to_numpy(dtype=float)
    return actual, pred


@dataclass(frozen=True, repr=False)
class HoldoutReport(Result):
    """Holdout forecast of a transaction model against what happened.

    ``table`` holds one row per customer (``actual``, ``predicted`` holdout
    purchases and, with a spend model, ``actual_spend``/``predicted_spend``),
    indexed by customer id.  The headline numbers are fields; ``report["mae"]``
    and :meth:`to_series` give dict-style access.

    Examples
    --------
    >>> import pandas as pd
    >>> rep = HoldoutReport(table=pd.DataFrame({"actual": [1.0], "predicted": [0.8]}),
    ...                     n_customers=1, actual_total=1.0, predicted_total=0.8)
    >>> rep["predicted_total"]
    0.8
    """

    n_customers: int = 0
    actual_total: float = float("nan")
    predicted_total: float = float("nan")
    total_error_pct: float = float("nan")
    rmse: float = float("nan")
    mae: float = float("nan")
    correlation: float = float("nan")
    mae_zero_forecast: float = float("nan")
    actual_spend_total: float | None = None
    predicted_spend_total: float | None = None
    spend_correlation: float | None = None

    def to_series(self) -> pd.Series:
        """The headline numbers as a Series named ``holdout``."""
        return pd.Series(
            {k: v for k, v in self._headline().items() if v is not None}, name="holdout"
        )

    def __getitem__(self, key: str) -> Any:
        if key == "table" or key not in {f.name for f in fields(self)}:
            raise KeyError(f"{key!r} is not a holdout figure; see HoldoutReport.to_series().")
        return getattr(self, key)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.size > 1 and np.std(a) > 0 and np.std(b) > 0:
        return float(np.corrcoef(a, b)[0, 1])
    return float("nan")


def holdout_report(model: Any, data: pd.DataFrame, *, spend_model: Any = None) -> HoldoutReport:
    """Compare a fitted transaction model's holdout forecast with what happened.

    Customers whose holdout periods differ in length (e.g. a cohort observed
    to one end date) are forecast in one vectorised call, each over their own
    ``holdout_duration``.

    Parameters
    ----------
    model : BetaGeoModel or ParetoNBDModel
        Fitted on the calibration columns of ``data``.
    data : pandas.DataFrame
        Output of :func:`calibration_holdout_split`.
    spend_model : GammaGammaModel, optional
        Fitted spend model; adds ``actual_spend_total``, ``predicted_spend_total``
        and ``spend_correlation`` (expected purchases x expected spend vs
        ``holdout_monetary``).

    Returns
    -------
    HoldoutReport
        ``n_customers``, ``actual_total``, ``predicted_total``,
        ``total_error_pct`` (predicted vs actual, in %), ``rmse``, ``mae``,
        ``correlation`` (Pearson, customer level) and ``mae_zero_forecast`` (the
        MAE of predicting 0 for everyone: MAE alone rewards that degenerate
        forecast when most customers buy nothing, so read it beside RMSE and
        correlation); ``.table`` has the per-customer actual and predicted values.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import BetaGeoModel, holdout_report
    >>> m = BetaGeoModel()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> data = pd.DataFrame({"repeat_frequency": [0, 2], "btyd_recency": [0.0, 30.0],
    ...                      "btyd_T": [38.0, 38.0], "holdout_frequency": [0, 1],
    ...                      "holdout_duration": [39.0, 39.0]})
    >>> rep = holdout_report(m, data)
    >>> rep.n_customers, rep.actual_total
    (2, 1.0)
    """
    actual, pred = _holdout_inputs(model, data)
    err = pred - actual
    total_a = float(actual.sum())
    total_p = float(pred.sum())
    table = pd.DataFrame({"actual": actual, "predicted": pred}, index=data.index)
    extra: dict[str, float] = {}
    if spend_model is not None:
        if "holdout_monetary" not in data.columns:
            raise SchemaError(
                "data has no column 'holdout_monetary'; build it with "
                "crmine.lifetime.calibration_holdout_split."
            )
        spend_pred = pred * np.asarray(spend_model.predict_spend(data), dtype=float)
        spend_act = data["holdout_monetary"].to_numpy(dtype=float)
        table["actual_spend"] = spend_act
        table["predicted_spend"] = spend_pred
        extra = {
            "actual_spend_total": float(spend_act.sum()),
            "predicted_spend_total": float(spend_pred.sum()),
            "spend_correlation": _corr(spend_act, spend_pred),
        }
    return HoldoutReport(
        table=table,
        n_customers=int(actual.size),
        actual_total=total_a,
        predicted_total=total_p,
        total_error_pct=100.0 * (total_p - total_a) / total_a if total_a else float("nan"),
        rmse=float(np.sqrt(np.mean(err**2))),
        mae=float(np.mean(np.abs(err))),
        correlation=_corr(actual, pred),
        mae_zero_forecast=float(np.mean(np.abs(actual))),
        **extra,
    )


def holdout_frequency_table(
    model: Any, data: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration frequency.

    The table behind the classic "conditional expectations" chart of Fader,
    Hardie & Lee (2005, Figure 4): customers are grouped by their number of
    repeat purchases in calibration (``max_frequency`` and above pooled).

    Parameters
    ----------
    model : BetaGeoModel or ParetoNBDModel
        Fitted transaction model.
    data : pandas.DataFrame
        Output of :func:`calibration_holdout_split`.
    max_frequency : int, default=7
        Frequencies at or above this value form one group labelled
        ``max_frequency``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``repeat_frequency`` with ``n_customers``, ``actual_mean`` and
        ``predicted_mean``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import BetaGeoModel, holdout_frequency_table
    >>> m = BetaGeoModel()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> data = pd.DataFrame({"repeat_frequency": [0, 0, 2], "btyd_recency": [0.0, 0.0, 30.0],
    ...                      "btyd_T": [38.0, 30.0, 38.0], "holdout_frequency": [0, 1, 1],
    ...                      "holdout_duration": [39.0, 39.0, 39.0]})
    >>> holdout_frequency_table(m, data)["n_customers"].tolist()
    [2, 1]
    """
    if int(max_frequency) < 1:
        raise ValueError(f"max_frequency must be >= 1, got {max_frequency!r}.")
    actual, pred = _holdout_inputs(model, data)
    freq = np.minimum(data["repeat_frequency"].to_numpy(dtype=float), int(max_frequency))
    frame = pd.DataFrame({"repeat_frequency": freq.astype(int), "actual": actual, "pred": pred})
    grouped = frame.groupby("repeat_frequency")
    return pd.DataFrame(
        {
            "n_customers": grouped.size(),
            "actual_mean": grouped["actual"].mean(),
            "predicted_mean": grouped["pred"].mean(),
        }
    )
