"""Churn labels of a polars/Arrow/DuckDB/Parquet log (features and label on polars)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from crmine.engines._features import _compute, _fit_lines
from crmine.engines._frame import (
    A,
    C,
    T,
    as_lazy,
    collect,
    lines_of,
    require_polars,
)
from crmine.exceptions import SchemaError
from crmine.schema import resolve_schema

__all__ = ["churn_labels_lazy"]

logger = logging.getLogger(__name__)


def churn_labels_lazy(
    log: Any,
    cutoff: Any,
    horizon: Any = None,
    *,
    time_unit: str = "D",
    schema: Any = None,
    transaction_features: Any = None,
    active_days: int | None = None,
    end: Any = None,
    keep_dates: bool = False,
) -> Any:
    """:func:`crmine.churn.churn_labels` on a local engine (same definitions).

    The features come from :class:`crmine.TransactionFeatures` on the engine;
    the label needs one more pass, for the distinct customers who bought in
    ``[cutoff, cutoff + horizon)``.

    Examples
    --------
    >>> import polars as pl
    >>> from crmine.engines._churn import churn_labels_lazy
    >>> log = pl.DataFrame({"customer_id": ["a", "a", "b", "b", "c"],
    ...                     "order_id": [1, 2, 3, 4, 5],
    ...                     "timestamp": ["2024-01-05", "2024-02-20", "2024-01-10",
    ...                                   "2024-01-25", "2024-03-30"],
    ...                     "amount": [10.0, 20.0, 5.0, 5.0, 8.0]})
    >>> churn_labels_lazy(log, cutoff="2024-02-01", horizon=30).y.to_dict()
    {'a': 0, 'b': 1}
    """
    from crmine.churn._labels import ChurnDataset, label_setup

    pl = require_polars()
    days, cutoff_ts, tf = label_setup(
        horizon, time_unit, cutoff, active_days, transaction_features, schema
    )
    tf._validate_params()
    sch = resolve_schema(tf.schema)
    lines = lines_of(as_lazy(log), sch)
    _fit_lines(tf, lines, sch)
    cutoff_ts = tf.cutoff_
    horizon_end = cutoff_ts + pd.Timedelta(days=days)
    tz = lines.tz
    lit = pl.lit
    dtype = pl.Datetime("ns", tz)
    stats = collect(lines.frame.select(
        pl.col(T).max().alias("max_t"), pl.col(T).min().alias("min_t")
    )).row(0, named=True)
    last = pd.Timestamp(stats["max_t"])
    if tz is not None and last.tzinfo is None:
        last = last.tz_localize("UTC").tz_convert(tz)
    if end is None:
        end_ts = last.normalize() + pd.Timedelta(days=1)
    else:
        end_ts = pd.Timestamp(end)
        if end_ts.tzinfo is None and cutoff_ts.tzinfo is not None:
            end_ts = end_ts.tz_localize(cutoff_ts.tzinfo)
    if horizon_end > end_ts:
        raise SchemaError(
            f"the label window [{cutoff_ts}, {horizon_end}) ends after the end of the data "
            f"({end_ts}); customers would be labelled churned for lack of data. Use an "
            f"earlier cutoff (at most {end_ts - pd.Timedelta(days=days)}) or a "
            "shorter horizon, or pass end= if the log is known to run longer."
        )
    X = _compute(tf, lines, sch)
    if len(X) == 0:
        raise SchemaError(
            f"no customer has a purchase before cutoff={cutoff_ts} (column {sch.time!r} "
            f"starts at {stats['min_t']}); choose a later cutoff."
        )
    if active_days is not None:
        X = X.loc[X["recency_days"] <= active_days]
        if len(X) == 0:
            raise SchemaError(
                f"no customer bought in the {active_days} days before cutoff={cutoff_ts}; "
                "increase active_days or move the cutoff."
            )
    t = pl.col(T)
    in_window = (
        (t >= lit(cutoff_ts.to_pydatetime()).cast(dtype))
        & (t < lit(horizon_end.to_pydatetime()).cast(dtype))
        & (pl.col(A) >= 0)
    )
    buyers = collect(lines.frame.filter(in_window).select(pl.col(C).unique()))
    buyers = pd.Index(buyers.get_column(C).to_pandas())
    y = pd.Series((~X.index.isin(buyers)).astype(np.int64), index=X.index, name="churned")
    if not keep_dates:
        dates = [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c].dtype)]
        X = X.drop(columns=dates)
    logger.info("churn_labels (polars): cutoff %s, horizon %d days: %d customers",
                cutoff_ts, days, len(y))
    return ChurnDataset(table=X, y=y, groups=X.index.to_numpy())
