"""Calibration / holdout split of a Spark log (same protocol as the pandas path)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine._customer_table import TIME_UNITS
from crmine.lifetime._validation import calibration_from_summary
from crmine.schema import resolve_schema
from crmine.spark._common import AMT, TIME, require_pyspark

__all__ = ["calibration_holdout_split_spark"]

_UNIT_DAYS = TIME_UNITS  # the one definition of the time units, in days


def calibration_holdout_split_spark(
    log: Any,
    calibration_end: Any,
    observation_end: Any,
    *,
    schema: Any = None,
    time_unit: str = "D",
) -> pd.DataFrame:
    """:func:`crmine.lifetime.calibration_holdout_split` on a Spark log.

    The calibration summary is :class:`crmine.TransactionFeatures`
    (``include=("btyd",)``) on Spark; the holdout outcomes one more Spark
    aggregation (distinct purchase dates and spend per customer between the two
    ends, dates in the session time zone).  Only the per-customer table comes
    back to the driver.

    Examples
    --------
    >>> from crmine.spark._lifetime import calibration_holdout_split_spark
    >>> s = calibration_holdout_split_spark(spark_log, "1997-09-30", "1998-06-30")  # doctest: +SKIP
    """
    from crmine.features import TransactionFeatures
    from crmine.lifetime._validation import _as_day
    from crmine.spark._features import (
        _CUST,
        _compute,
        _fit_lines,
        _prepare,
        to_customer_table,
    )

    F = require_pyspark()
    if time_unit not in _UNIT_DAYS:
        raise ValueError(f"time_unit must be 'D' or 'W', got {time_unit!r}.")
    schema = resolve_schema(schema)
    cal_end = _as_day(calibration_end, None, "calibration_end")
    obs_end = _as_day(observation_end, None, "observation_end")
    if obs_end <= cal_end:
        raise ValueError(
            f"observation_end ({obs_end.date()}) must be after calibration_end "
            f"({cal_end.date()}): the holdout period would be empty."
        )
    unit = _UNIT_DAYS[time_unit]
    tf = TransactionFeatures(schema=schema, cutoff=cal_end + pd.Timedelta(days=1),
                             time_unit=time_unit, include=("btyd",))
    tf._validate_params()
    lines, _ = _prepare(log, schema, tf)
    _fit_lines(tf, lines, log, schema)
    cal = to_customer_table(_compute(tf, lines, log, schema), schema)
    cal, n_t0 = calibration_from_summary(cal, cal_end, unit, schema.time)
    day = F.to_date(F.col(TIME))
    lo = F.lit(cal_end.date().isoformat()).cast("date")
    hi = F.lit(obs_end.date().isoformat()).cast("date")
    hold = (
        lines.filter((day > lo) & (day <= hi) & (F.col(AMT) >= 0))
        .groupBy(_CUST)
        .agg(F.countDistinct(day).alias("f"), F.sum(AMT).alias("m"))
        .toPandas()
    )
    hold.attrs.clear()
    hold = hold.set_index(_CUST)
    out = cal
    out["holdout_frequency"] = hold["f"].reindex(out.index, fill_value=0).astype(np.int64)
    out["holdout_monetary"] = hold["m"].reindex(out.index, fill_value=0.0).astype(float)
    out["holdout_duration"] = (obs_end - cal_end).days / unit
    out.attrs["n_dropped_T0"] = n_t0
    out.attrs["calibration_end"] = cal_end
    out.attrs["observation_end"] = obs_end
    out.attrs["time_unit"] = time_unit
    return out
