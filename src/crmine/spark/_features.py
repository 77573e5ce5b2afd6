"""Customer features on Spark, with the exact definitions of the pandas path.

Every definition follows :mod:`crmine.features`: only rows strictly before the
cutoff are used; purchase lines have a non-negative value, return lines a
negative one; an order counts when it has a purchase line (orders are keyed by
``(customer, order)``); an order's time is its first purchase line; recency,
tenure and the buy-till-you-die summary count **calendar days** between
wall-clock dates.

Calendar dates are taken with ``to_date`` in the Spark session time zone (the
time zone in which Spark shows its timestamps), and the cutoff and the window
bounds are built on the driver as wall-clock times (``cutoff - w days``) and
given to Spark as literals read in that same time zone.  Subtracting
timestamps (``(unix_timestamp(cutoff) - unix_timestamp(t)) / 86400``) or
taking dates in UTC would be off by one day for purchases late in the day or
in time zones away from UTC; both are avoided.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import pandas as pd

from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema, resolve_schema
from crmine.spark._common import (
    AMT,
    TIME,
    as_timestamp,
    check_columns,
    has,
    require_pyspark,
    time_expr,
    time_literal,
    value_expr,
)

__all__ = [
    "SPARK_FEATURE_GROUPS",
    "customer_features",
    "rfm_table_spark",
    "to_customer_table",
]

logger = logging.getLogger(__name__)

#: Feature groups the Spark path computes (all of :data:`crmine.features.FEATURE_GROUPS`).
SPARK_FEATURE_GROUPS = (
    "rfm",
    "tenure",
    "interpurchase",
    "basket",
    "windows",
    "trend",
    "returns",
    "category",
    "btyd",
)

_CUST = "__crmine_customer"
_ORDER = "__crmine_order"
_UNITS = "__crmine_units"
_ITEM = "__crmine_item"
_CAT = "__crmine_category"
_RET = "__crmine_ret"
_LOGGED = "__crmine_logged"
_ALIVE = "__crmine_alive"


def _net_lines(lines: Any, *, has_item: bool, has_quantity: bool) -> Any:
    """Returns netted against the purchases they undo (crmine's pandas rule).

    Only the (customer, item) groups that hold a return line are collected to
    the driver, netted by :func:`crmine.schema.net_returns` and sent back;
    the other lines never leave Spark.  Lines fully undone are kept but marked
    dead (``_ALIVE`` false) so that logged return values can still be summed.
    Spark frames have no row order: among lines of the same customer, item
    and timestamp the tie is broken by the collected order.
    """
    import numpy as np

    from crmine.schema import net_returns

    F = require_pyspark()
    amt = F.col(AMT)
    lines = lines.withColumn(_RET, amt < 0).withColumn(_LOGGED, amt)
    keys = [_CUST, _ITEM] if has_item else [_CUST]
    groups = lines.filter(F.col(_RET)).select(*keys).distinct()
    groups = groups.toDF(*[f"__crmine_g{i}" for i in range(len(keys))])
    cond = [F.col(k).eqNullSafe(F.col(f"__crmine_g{i}")) for i, k in enumerate(keys)]
    sub = lines.join(groups, cond, "left_semi")
    rest = lines.join(groups, cond, "left_anti").withColumn(_ALIVE, F.lit(True))
    pdf = sub.toPandas()
    pdf.attrs.clear()
    if pdf.empty:
        return lines.withColumn(_ALIVE, F.lit(True))
    codes, _ = pd.factorize(pdf[_CUST])
    items = pdf[_ITEM].to_numpy() if has_item else None
    amount = pdf[AMT].to_numpy(dtype=float)
    units = np.abs(pdf[_UNITS].to_numpy(dtype=float)) if has_quantity else np.abs(amount)
    is_ret = pdf[_RET].to_numpy(dtype=bool)
    times = pd.to_datetime(pdf[TIME])
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    t_ns = times.to_numpy(dtype="datetime64[ns]").view(np.int64)
    adj = net_returns(codes.astype(np.int64), items, t_ns, units, amount, is_ret, ~is_ret)
    pos = adj.index.to_numpy(dtype=np.int64)
    m_q = adj["matched_quantity"].to_numpy()
    new_amount = amount.copy()
    new_amount[pos] = np.where(is_ret[pos], -adj["unmatched_value"].to_numpy(),
                               amount[pos] - adj["matched_value"].to_numpy())
    left = units.copy()
    left[pos] = np.where(is_ret[pos], adj["unmatched_quantity"].to_numpy(), units[pos] - m_q)
    alive = np.ones(len(amount), dtype=bool)
    alive[pos] = left[pos] > 0
    pdf[AMT] = new_amount
    if has_quantity:
        qty = pdf[_UNITS].to_numpy(dtype=float).copy()
        qty[pos] = np.where(is_ret[pos], -adj["unmatched_quantity"].to_numpy(), qty[pos] - m_q)
        pdf[_UNITS] = qty
    pdf[_ALIVE] = alive
    from pyspark.sql.types import BooleanType, StructField, StructType

    schema = StructType(list(sub.schema.fields) + [StructField(_ALIVE, BooleanType(), False)])
    back = lines.sparkSession.createDataFrame(pdf[[f.name for f in schema.fields]], schema)
    return rest.unionByName(back)


def _prepare(sdf: Any, schema: TransactionSchema, est: Any) -> tuple[Any, bool]:
    """Select the columns the features need under private names."""
    F = require_pyspark()
    check_columns(sdf, schema, ("customer", "order", "time"))
    amount, _ = value_expr(sdf, schema)
    cols = [
        F.col(schema.customer).alias(_CUST),
        F.col(schema.order).alias(_ORDER),
        time_expr(sdf, schema.time).alias(TIME),
        amount.alias(AMT),
    ]
    has_q = has(sdf, schema, "quantity")
    cols.append((F.col(schema.quantity).cast("double") if has_q else F.lit(1.0)).alias(_UNITS))
    if has(sdf, schema, "item"):
        cols.append(F.col(schema.item).alias(_ITEM))
    if has(sdf, schema, "category"):
        cols.append(F.col(schema.category).alias(_CAT))
    return sdf.select(*cols), has_q


def _null_checks(row: dict[str, Any], schema: TransactionSchema) -> None:
    if row["n"] == 0:
        raise SchemaError(
            "the transaction log is empty (0 rows). Fix: check the file or the filter "
            "that produced it."
        )
    checks = (
        (
            "null_cust",
            schema.customer,
            "customer id(s)",
            "clean_transactions(...) drops and counts them",
        ),
        ("null_order", schema.order, "order id(s)", "fill or drop them"),
        (
            "null_time",
            schema.time,
            "timestamp(s) (or values that are not timestamps)",
            "fill or drop them, or parse the column with F.to_timestamp(col, '<format>')",
        ),
        (
            "null_amt",
            "value",
            "line value(s) (amount or quantity * price)",
            "fill or drop them; crmine does not guess values",
        ),
    )
    for key, col, what, fix in checks:
        if row[key]:
            raise SchemaError(f"column {col!r} has {row[key]} missing {what}. Fix: {fix}.")


def _check_aggs(F: Any) -> list[Any]:
    return [
        F.count(F.lit(1)).alias("n"),
        F.sum(F.col(_CUST).isNull().cast("long")).alias("null_cust"),
        F.sum(F.col(_ORDER).isNull().cast("long")).alias("null_order"),
        F.sum(F.col(TIME).isNull().cast("long")).alias("null_time"),
        F.sum((F.col(AMT).isNull() | F.isnan(F.col(AMT))).cast("long")).alias("null_amt"),
    ]


def fit_spark(est: Any, sdf: Any) -> Any:
    """``TransactionFeatures.fit`` on a Spark log (learns the same attributes)."""
    est._validate_params()
    schema = resolve_schema(est.schema)
    lines, _ = _prepare(sdf, schema, est)
    _fit_lines(est, lines, sdf, schema)
    return est


def _fit_lines(est: Any, lines: Any, sdf: Any, schema: TransactionSchema) -> None:
    import numpy as np

    from crmine.features import FEATURE_GROUPS

    F = require_pyspark()
    t, amt = F.col(TIME), F.col(AMT)
    if est.cutoff is not None:
        cutoff = as_timestamp(est.cutoff, "cutoff")
        before = t < time_literal(cutoff, sdf, schema.time)
    else:
        cutoff = None
        before = F.lit(True)
    row = (
        lines.agg(
            *_check_aggs(F),
            F.max(F.to_date(t)).cast("string").alias("max_day"),
            F.sum((before & (amt < 0)).cast("long")).alias("n_returns"),
        )
        .collect()[0]
        .asDict()
    )
    _null_checks(row, schema)
    if cutoff is None:
        cutoff = pd.Timestamp(row["max_day"]) + pd.Timedelta(days=1)
        before = t < time_literal(cutoff, sdf, schema.time)
    est.cutoff_ = cutoff
    include = list(est.include) if est.include is not None else list(FEATURE_GROUPS)
    if "basket" in include and not has(sdf, schema, "item") and est.include is None:
        include.remove("basket")
    if "category" in include and not has(sdf, schema, "category"):
        if est.include is not None:
            raise SchemaError(
                f"include asks for 'category' features but the log has no category column "
                f"({schema.category!r}). Fix: set TransactionSchema(category=...) or drop "
                "'category' from include."
            )
        include.remove("category")
    if "basket" in include and not has(sdf, schema, "item"):
        raise SchemaError(
            f"include asks for 'basket' features but the log has no item column "
            f"({schema.item!r}). Fix: set TransactionSchema(item=...) or drop 'basket'."
        )
    unsupported = [g for g in include if g not in SPARK_FEATURE_GROUPS]
    if unsupported:  # pragma: no cover - every group is supported today
        raise ValueError(
            f"feature group(s) {unsupported} are not computed on Spark (supported: "
            f"{SPARK_FEATURE_GROUPS}). Fix: include=... without them, or collect the log "
            "with .toPandas() first."
        )
    if "returns" in include and est.include is None and est.monetary == "gross":
        if not row["n_returns"]:
            include.remove("returns")
    est.include_ = tuple(g for g in FEATURE_GROUPS if g in include)
    if "category" in est.include_:
        cats = lines.filter(before & F.col(_CAT).isNotNull()).select(_CAT).distinct().collect()
        est.categories_ = sorted((r[0] for r in cats), key=str)
    else:
        est.categories_ = []
    est.feature_names_out_ = np.asarray(est._names(), dtype=object)
    est.n_features_out_ = len(est.feature_names_out_)


def transform_spark(est: Any, sdf: Any) -> Any:
    """``TransactionFeatures.transform`` on a Spark log; returns a Spark DataFrame."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "cutoff_")
    F = require_pyspark()
    schema = resolve_schema(est.schema)
    lines, has_q = _prepare(sdf, schema, est)
    row = lines.agg(*_check_aggs(F)).collect()[0].asDict()
    _null_checks(row, schema)
    return _compute(est, lines, sdf, schema)


def fit_transform_spark(est: Any, sdf: Any) -> Any:
    """``TransactionFeatures.fit_transform`` on a Spark log (checks the log once)."""
    est._validate_params()
    schema = resolve_schema(est.schema)
    lines, _ = _prepare(sdf, schema, est)
    _fit_lines(est, lines, sdf, schema)
    return _compute(est, lines, sdf, schema)


def _compute(est: Any, lines: Any, sdf: Any, schema: TransactionSchema) -> Any:
    """The customer table as a Spark DataFrame (customer column + features)."""
    from crmine.features import _TIME_UNITS

    F = require_pyspark()
    inc = est.include_
    cutoff = pd.Timestamp(est.cutoff_)
    if cutoff.tzinfo is not None:
        tz = sdf.sparkSession.conf.get("spark.sql.session.timeZone")
        cutoff = cutoff.tz_convert(tz).tz_localize(None)

    def lit(ts: pd.Timestamp) -> Any:
        return time_literal(ts, sdf, schema.time)

    t, amt = F.col(TIME), F.col(AMT)
    cutoff_date = F.lit(cutoff.date().isoformat()).cast("date")
    lines = lines.filter(t < lit(cutoff))
    if getattr(est, "returns", "keep") == "net":
        lines = _net_lines(lines, has_item=_ITEM in lines.columns,
                           has_quantity=has(sdf, schema, "quantity"))
    else:
        lines = (lines.withColumn(_RET, amt < 0).withColumn(_LOGGED, amt)
                 .withColumn(_ALIVE, F.lit(True)))
    ret_c, alive_c, logged_c = F.col(_RET), F.col(_ALIVE), F.col(_LOGGED)
    purchases = lines.filter(alive_c & ~ret_c & (amt >= 0))

    # orders: (customer, order) pairs with a purchase line; time of the first line
    orders = purchases.groupBy(_CUST, _ORDER).agg(F.min(t).alias("ot"), F.sum(amt).alias("oa"))
    ot, oa = F.col("ot"), F.col("oa")
    day_aggs = [
        F.count(F.lit(1)).alias("n"),
        F.sum(oa).alias("da"),
        F.min(ot).alias("ot_min"),
        F.max(ot).alias("ot_max"),
    ]
    if "windows" not in inc:
        windows: list[int] = []
    elif hasattr(est, "_window_days"):
        windows = est._window_days()
    else:
        windows = [int(w) for w in est.windows]
    for w in windows:
        inw = ot >= lit(cutoff - pd.Timedelta(days=w))
        day_aggs.append(F.sum(inw.cast("long")).alias(f"ow{w}"))
        day_aggs.append(F.sum(F.when(inw, oa).otherwise(0.0)).alias(f"sw{w}"))
    if "trend" in inc:
        trend = est._trend_days() if hasattr(est, "_trend_days") else int(est.trend_window)
        tw = pd.Timedelta(days=int(trend))
        recent = ot >= lit(cutoff - tw)
        prior = (ot >= lit(cutoff - 2 * tw)) & ~recent
        day_aggs.append(F.sum(F.when(recent, oa).otherwise(0.0)).alias("s1"))
        day_aggs.append(F.sum(F.when(prior, oa).otherwise(0.0)).alias("s0"))
    days = orders.groupBy(_CUST, F.to_date(ot).alias("d")).agg(*day_aggs)

    d, da = F.col("d"), F.col("da")
    cust_aggs = [
        F.sum("n").alias("n_orders"),
        F.sum(da).alias("gross"),
        F.min("ot_min").alias("first_ts"),
        F.max("ot_max").alias("last_ts"),
        F.count(F.lit(1)).alias("n_days"),
        F.min(d).alias("first_day"),
        F.max(d).alias("last_day"),
        F.min_by(da, d).alias("first_day_amt"),
    ]
    if "interpurchase" in inc:
        cust_aggs.append(F.array_sort(F.collect_list(d)).alias("ds"))
    for w in windows:
        cust_aggs.append(F.sum(f"ow{w}").alias(f"ow{w}"))
        cust_aggs.append(F.sum(f"sw{w}").alias(f"sw{w}"))
    if "trend" in inc:
        cust_aggs += [F.sum("s1").alias("s1"), F.sum("s0").alias("s0")]
    table = days.groupBy(_CUST).agg(*cust_aggs)

    # line-level aggregates over purchase lines: units, distinct items, category spend
    line_aggs = []
    if "basket" in inc:
        line_aggs += [
            F.sum(_UNITS).alias("units"),
            F.countDistinct(_ITEM).alias("n_items"),
            F.max(F.col(_ITEM).isNull().cast("long")).alias("null_item"),
        ]
    for j, c in enumerate(est.categories_):
        line_aggs.append(F.sum(F.when(F.col(_CAT) == F.lit(c), amt)).alias(f"cat{j}"))
    if line_aggs:
        table = table.join(purchases.groupBy(_CUST).agg(*line_aggs), on=_CUST, how="left")
    if "returns" in inc or est.monetary == "net":
        # returns and purchases as logged; returns left after netting (all with "keep")
        ret = lines.groupBy(_CUST).agg(
            F.sum(F.when(ret_c, -logged_c).otherwise(0.0)).alias("ret_val"),
            F.sum(F.when(~ret_c, logged_c).otherwise(0.0)).alias("gross_logged"),
            F.sum(F.when(ret_c & alive_c, -amt).otherwise(0.0)).alias("unmatched"),
        )
        table = table.join(ret, on=_CUST, how="left")
        ret_val = F.coalesce(F.col("ret_val"), F.lit(0.0))
        gross_logged = F.coalesce(F.col("gross_logged"), F.lit(0.0))
        unmatched = F.coalesce(F.col("unmatched"), F.lit(0.0))
    else:
        ret_val = gross_logged = unmatched = F.lit(0.0)

    gross = F.col("gross")
    n_days = F.col("n_days")
    freq = F.col("n_orders") if est.frequency == "orders" else n_days
    monetary = gross if est.monetary == "gross" else gross - unmatched
    safe_gross = F.when(gross > 0, gross).otherwise(F.lit(1.0))
    unit = _TIME_UNITS[est.time_unit]
    out: dict[str, Any] = {}
    if "rfm" in inc:
        out["recency_days"] = F.datediff(cutoff_date, F.col("last_day")).cast("long")
        out["frequency"] = freq.cast("long")
        out["monetary_total"] = monetary.cast("double")
        out["monetary_mean"] = (monetary / freq).cast("double")
    if "tenure" in inc:
        out["tenure_days"] = F.datediff(cutoff_date, F.col("first_day")).cast("long")
        out["first_purchase"] = F.col("first_ts")
        out["last_purchase"] = F.col("last_ts")
    if "interpurchase" in inc:
        gaps = F.expr("transform(slice(ds, 2, size(ds) - 1), (x, i) -> datediff(x, ds[i]))")
        n_gaps = n_days - 1
        mean = F.aggregate(gaps, F.lit(0.0), lambda acc, x: acc + x) / n_gaps
        ss = F.aggregate(gaps, F.lit(0.0), lambda acc, x: acc + (x - mean) * (x - mean))
        out["interpurchase_mean_days"] = F.when(n_gaps > 0, mean).cast("double")
        out["interpurchase_std_days"] = F.when(n_gaps > 1, F.sqrt(ss / (n_gaps - 1))).cast("double")
    if "basket" in inc:
        out["items_per_order"] = (F.col("units") / F.col("n_orders")).cast("double")
        out["distinct_items"] = (F.col("n_items") + F.col("null_item")).cast("long")
    for w in windows:
        out[f"orders_{w}d"] = F.col(f"ow{w}").cast("long")
        out[f"spend_{w}d"] = F.col(f"sw{w}").cast("double")
    if "trend" in inc:
        s1, s0 = F.col("s1"), F.col("s0")
        out["spend_trend"] = F.when(s1 + s0 > 0, (s1 - s0) / (s1 + s0)).otherwise(0.0)
    if "returns" in inc:
        out["return_value"] = ret_val.cast("double")
        out["return_rate"] = F.when(gross_logged > 0, ret_val / gross_logged).otherwise(0.0)
    for j, c in enumerate(est.categories_):
        out[f"share_{c}"] = (F.coalesce(F.col(f"cat{j}"), F.lit(0.0)) / safe_gross).cast("double")
    if "btyd" in inc:
        rep = n_days - 1
        out["repeat_frequency"] = rep.cast("long")
        out["btyd_recency"] = (F.datediff(F.col("last_day"), F.col("first_day")) / unit).cast(
            "double"
        )
        out["btyd_T"] = (F.datediff(cutoff_date, F.col("first_day")) / unit).cast("double")
        out["btyd_monetary_mean"] = F.when(rep > 0, (gross - F.col("first_day_amt")) / rep).cast(
            "double"
        )
    names = list(est.feature_names_out_)
    return table.select(F.col(_CUST).alias(schema.customer), *[out[n].alias(n) for n in names])


def to_customer_table(sdf: Any, schema: TransactionSchema | None = None) -> pd.DataFrame:
    """Collect a Spark customer table to crmine's pandas customer table.

    Parameters
    ----------
    sdf : pyspark.sql.DataFrame
        A table from the Spark path (customer column + feature columns).
    schema : TransactionSchema, optional
        Names the customer column (default ``customer_id``).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), as :class:`crmine.TransactionFeatures`
        returns it.

    Examples
    --------
    >>> from crmine.spark import to_customer_table
    >>> to_customer_table(spark_table).head()  # doctest: +SKIP
    """
    schema = resolve_schema(schema)
    pdf = sdf.toPandas()
    # Spark Connect stores its observed-metrics objects in .attrs; they are not
    # serialisable and break to_parquet / pickling of the customer table
    pdf.attrs.clear()
    return pdf.set_index(schema.customer).sort_index()


def customer_features(
    log: Any,
    *,
    to_pandas: bool = False,
    **params: Any,
) -> Any:
    """Customer table of a Spark log in one call (:class:`TransactionFeatures` on Spark).

    Parameters
    ----------
    log : pyspark.sql.DataFrame
        Transaction log.
    to_pandas : bool, default False
        Collect the result to a pandas customer table indexed by customer id
        (only the small per-customer table comes back to the driver).
    **params
        Parameters of :class:`crmine.TransactionFeatures` (``cutoff``,
        ``frequency``, ``windows``, ``include``, ...).

    Returns
    -------
    pyspark.sql.DataFrame or pandas.DataFrame

    Examples
    --------
    >>> from crmine.spark import customer_features
    >>> table = customer_features(spark_log, to_pandas=True)  # doctest: +SKIP
    """
    from crmine.features import TransactionFeatures

    est = TransactionFeatures(**params)
    table = fit_transform_spark(est, log)
    if to_pandas:
        return to_customer_table(table, est.schema)
    return table


def rfm_table_spark(
    log: Any,
    *,
    schema: TransactionSchema | None = None,
    cutoff: str | pd.Timestamp | None = None,
    frequency: Literal["orders", "days"] = "orders",
    monetary: Literal["gross", "net"] = "gross",
    returns: Literal["net", "keep"] = "net",
    to_pandas: bool = False,
) -> Any:
    """:func:`crmine.rfm_table` on a Spark log.

    Parameters
    ----------
    log : pyspark.sql.DataFrame
        Transaction log.
    schema, cutoff, frequency, monetary, returns
        As in :func:`crmine.rfm_table`.
    to_pandas : bool, default False
        Return a pandas table indexed by customer id instead of a Spark frame.

    Returns
    -------
    pyspark.sql.DataFrame or pandas.DataFrame
        Customer column (Spark only), ``recency_days``, ``frequency``,
        ``monetary_total``.

    Examples
    --------
    >>> from crmine import rfm_table
    >>> rfm_table(spark_log, cutoff="2024-01-01").show(3)  # doctest: +SKIP
    """
    from crmine.features import TransactionFeatures

    schema = resolve_schema(schema)
    est = TransactionFeatures(
        schema=schema, cutoff=cutoff, frequency=frequency, monetary=monetary,
        returns=returns, include=("rfm",),
    )
    table = fit_transform_spark(est, log).select(
        schema.customer, "recency_days", "frequency", "monetary_total"
    )
    if to_pandas:
        return to_customer_table(table, schema)
    return table
