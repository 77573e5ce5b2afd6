"""Calibration / holdout split of a polars/Arrow/DuckDB/Parquet log."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine._customer_table import TIME_UNITS
from crmine.engines._features import _compute, _fit_lines
from crmine.engines._frame import (
    NS_PER_DAY,
    A,
    C,
    W,
    as_lazy,
    collect,
    lines_of,
    require_polars,
    wall_ns,
)
from crmine.lifetime._validation import calibration_from_summary
from crmine.schema import resolve_schema

__all__ = ["calibration_holdout_split_lazy"]

_UNIT_DAYS = TIME_UNITS  # the one definition of the time units, in days


def calibration_holdout_split_lazy(
    log: Any,
    calibration_end: Any,
    observation_end: Any,
    *,
    schema: Any = None,
    time_unit: str = "D",
) -> pd.DataFrame:
    """:func:`crmine.lifetime.calibration_holdout_split` on a local engine.

    Same protocol and columns: the calibration summary is
    :class:`crmine.TransactionFeatures` (``include=("btyd",)``) on the engine,
    the holdout outcomes one more pass (distinct purchase days and spend per
    customer between the two ends, by wall-clock date).

    Examples
    --------
    >>> import polars as pl
    >>> from crmine.engines._lifetime import calibration_holdout_split_lazy
    >>> log = pl.DataFrame({"customer_id": [1, 1, 1, 2, 2], "order_id": [1, 2, 3, 4, 5],
    ...                     "timestamp": ["2024-01-01", "2024-01-08", "2024-01-20",
    ...                                   "2024-01-05", "2024-01-05"],
    ...                     "amount": [10.0, 20.0, 15.0, 5.0, 7.0]})
    >>> s = calibration_holdout_split_lazy(log, "2024-01-10", "2024-01-31")
    >>> s["holdout_frequency"].tolist(), s["btyd_T"].tolist()
    ([1, 0], [9.0, 5.0])
    """
    from crmine.features import TransactionFeatures
    from crmine.lifetime._validation import _as_day

    pl = require_polars()
    if time_unit not in _UNIT_DAYS:
        raise ValueError(f"time_unit must be 'D' or 'W', got {time_unit!r}.")
    schema = resolve_schema(schema)
    lines = lines_of(as_lazy(log), schema)
    tz = lines.tz
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
    tf._validate_params()
    _fit_lines(tf, lines, schema)
    cal = _compute(tf, lines, schema)
    cal, n_t0 = calibration_from_summary(cal, cal_end, unit, schema.time)
    day = pl.col(W) // NS_PER_DAY
    lo, hi = wall_ns(cal_end) // NS_PER_DAY, wall_ns(obs_end) // NS_PER_DAY
    hold = collect(
        lines.frame.filter((day > lo) & (day <= hi) & (pl.col(A) >= 0))
        .group_by(C)
        .agg(day.n_unique().alias("f"), pl.col(A).sum().alias("m"))
    ).to_pandas().set_index(C)
    out = cal
    out["holdout_frequency"] = hold["f"].reindex(out.index, fill_value=0).astype(np.int64)
    out["holdout_monetary"] = hold["m"].reindex(out.index, fill_value=0.0).astype(float)
    out["holdout_duration"] = (obs_end - cal_end).days / unit
    out.attrs["n_dropped_T0"] = n_t0
    out.attrs["calibration_end"] = cal_end
    out.attrs["observation_end"] = obs_end
    out.attrs["time_unit"] = time_unit
    return out
