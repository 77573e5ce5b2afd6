"""Churn labels of a Spark log: features on Spark, the label by one more Spark pass."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.schema import resolve_schema
from crmine.spark._common import AMT, TIME, require_pyspark, time_literal

__all__ = ["churn_labels_spark"]


def churn_labels_spark(
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
    """:func:`crmine.churn.churn_labels` on a Spark log (same definitions).

    The features are :class:`crmine.TransactionFeatures` on Spark, collected
    (one row per customer); the label is one more Spark pass: the distinct
    customers with a purchase line in ``[cutoff, cutoff + horizon)``.
    Calendar days and bounds are wall-clock times of the session time zone,
    as everywhere on the Spark path.

    Examples
    --------
    >>> from crmine.spark._churn import churn_labels_spark
    >>> X, y, groups = churn_labels_spark(spark_log, "2024-06-01", 90)  # doctest: +SKIP
    """
    from crmine.churn._labels import ChurnDataset, label_setup
    from crmine.spark._features import (
        _CUST,
        _compute,
        _fit_lines,
        _prepare,
        to_customer_table,
    )

    F = require_pyspark()
    days, cutoff_ts, tf = label_setup(
        horizon, time_unit, cutoff, active_days, transaction_features, schema
    )
    tf._validate_params()
    sch = resolve_schema(tf.schema)
    lines, _ = _prepare(log, sch, tf)
    _fit_lines(tf, lines, log, sch)
    cutoff_ts = pd.Timestamp(tf.cutoff_)
    horizon_end = cutoff_ts + pd.Timedelta(days=days)
    t = F.col(TIME)
    if end is None:
        last = lines.agg(F.max(F.to_date(t)).cast("string").alias("d")).collect()[0]["d"]
        end_ts = pd.Timestamp(last) + pd.Timedelta(days=1)
    else:
        end_ts = pd.Timestamp(end)
    if horizon_end > end_ts:
        raise SchemaError(
            f"the label window [{cutoff_ts}, {horizon_end}) ends after the end of the data "
            f"({end_ts}); customers would be labelled churned for lack of data. Use an "
            f"earlier cutoff (at most {end_ts - pd.Timedelta(days=days)}) or a "
            "shorter horizon, or pass end= if the log is known to run longer."
        )
    X = to_customer_table(_compute(tf, lines, log, sch), sch)
    if len(X) == 0:
        raise SchemaError(
            f"no customer has a purchase before cutoff={cutoff_ts} (column {sch.time!r}); "
            "choose a later cutoff."
        )
    if active_days is not None:
        X = X.loc[X["recency_days"] <= active_days]
        if len(X) == 0:
            raise SchemaError(
                f"no customer bought in the {active_days} days before cutoff={cutoff_ts}; "
                "increase active_days or move the cutoff."
            )
    in_window = (
        (t >= time_literal(cutoff_ts, log, sch.time))
        & (t < time_literal(horizon_end, log, sch.time))
        & (F.col(AMT) >= 0)
    )
    buyers = lines.filter(in_window).select(_CUST).distinct().toPandas()[_CUST]
    y = pd.Series((~X.index.isin(pd.Index(buyers))).astype(np.int64), index=X.index,
                  name="churned")
    if not keep_dates:
        dates = [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c].dtype)]
        X = X.drop(columns=dates)
    return ChurnDataset(table=X, y=y, groups=X.index.to_numpy())
