"""Cleaning a Spark transaction log with the same rules and report as pandas."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from crmine.exceptions import SchemaError
from crmine.schema import REASONS, CleaningReport, TransactionSchema, resolve_schema
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

__all__ = ["clean_transactions_spark"]

_REASON = "__crmine_reason"
_N = "__crmine_n"
_ISRET = "__crmine_is_return"


def clean_transactions_spark(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    returns: Literal["net", "drop", "keep"] = "drop",
    cancellation_prefix: str | None = "C",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    duplicates: Literal["keep", "drop", "ignore"] = "keep",
) -> tuple[Any, CleaningReport]:
    """Clean a Spark transaction log; :func:`crmine.clean_transactions` on Spark.

    The rules, their order and the :class:`~crmine.schema.CleaningReport` are
    those of the pandas function (same counts; values summed in double
    precision in another order, so equal up to rounding).  The report is
    computed in one Spark aggregation; the clean log stays a lazy Spark
    DataFrame (row order is not kept: Spark frames have none).  Exact
    duplicates are counted by a hash aggregation over all columns of the log,
    which shuffles every column; ``duplicates="ignore"`` (the cheap mode)
    skips that rule altogether -- the report is then one aggregation over
    the scanned rows, and its ``exact_duplicate`` row says ``"not checked"``.

    Parameters
    ----------
    log : pyspark.sql.DataFrame
        Transaction log.  Never modified.
    schema : TransactionSchema, optional
        Column roles; the default schema when omitted.
    returns, cancellation_prefix, start, end
        As in :func:`crmine.clean_transactions`; naive ``start`` and ``end``
        are wall-clock times in the Spark session time zone.
    duplicates : {"keep", "drop", "ignore"}, default "keep"
        As in :func:`crmine.clean_transactions`, plus ``"ignore"``: exact
        duplicates are neither looked for nor counted (no shuffle).

    Returns
    -------
    clean : pyspark.sql.DataFrame
        The kept rows, the time column parsed to timestamps and an ``amount``
        column added when the log had only quantity and price.
    report : CleaningReport

    Examples
    --------
    >>> from crmine import clean_transactions
    >>> clean, report = clean_transactions(spark_log)  # doctest: +SKIP
    >>> report.rows_out  # doctest: +SKIP
    19234
    """
    F = require_pyspark()

    if returns not in ("net", "drop", "keep"):
        raise ValueError(f"returns must be 'net', 'drop' or 'keep', got {returns!r}.")
    if duplicates not in ("drop", "keep", "ignore"):
        raise ValueError(
            f"duplicates must be 'drop', 'keep' or 'ignore', got {duplicates!r}."
        )
    schema = resolve_schema(schema)
    check_columns(log, schema, ("customer", "order", "time"))
    amount, _source = value_expr(log, schema)
    original = list(log.columns)
    time_raw = F.col(schema.time)
    # identical rows share every reason, so the report is computed on the groups of
    # identical rows (a hash aggregation) weighted by their size: a group of g rows
    # without an earlier reason holds g - 1 exact duplicates
    if duplicates == "ignore":  # cheap mode: every row is its own group, no shuffle
        grouped = log.withColumn(_N, F.lit(1).cast("long"))
    else:
        grouped = log.groupBy(*original).agg(F.count(F.lit(1)).alias(_N))
    df = grouped.withColumn(AMT, amount).withColumn(TIME, time_expr(log, schema.time))
    t = F.col(TIME)
    amt = F.col(AMT)

    out_range = F.lit(False)
    if start is not None:
        out_range = out_range | (t < time_literal(as_timestamp(start, "start"), log, schema.time))
    if end is not None:
        out_range = out_range | (t >= time_literal(as_timestamp(end, "end"), log, schema.time))
    has_q = has(log, schema, "quantity")
    qty = F.col(schema.quantity).cast("double") if has_q else amt
    ret = qty < 0
    if cancellation_prefix:
        ret = ret | F.col(schema.order).cast("string").startswith(cancellation_prefix)
    non_q = (qty == 0) if has_q else F.lit(False)
    price = F.col(schema.price).cast("double") if has(log, schema, "price") else amt
    reason = (
        F.when(F.col(schema.customer).isNull(), 0)
        .when(out_range, 1)
        .when(ret, 2)
        .when(non_q, 3)
        .when(price <= 0, 4)
    )
    df = df.withColumn(_REASON, reason.cast("int"))
    r = F.col(_REASON)
    g = F.col(_N)
    drop_codes = [0, 1, 3, 4]
    if returns != "keep":
        drop_codes.append(2)
    if duplicates == "drop":
        drop_codes.append(5)
    # rows kept per group: all of a kept reason; of the unassigned, one or all
    keep_n = (
        F.when(r.isNull(), F.lit(1) if duplicates == "drop" else g)
        .when(~r.isin(drop_codes), g)
        .otherwise(0)
    )
    keep = keep_n > 0

    value_cols = [c for c in (schema.amount, schema.quantity, schema.price) if c in original]
    aggs = [
        F.sum(g).alias("rows_in"),
        F.sum(amt * g).alias("value_in"),
        F.countDistinct(F.col(schema.customer)).alias("customers_in"),
        F.countDistinct(F.col(schema.order)).alias("orders_in"),
        F.sum(keep_n).alias("rows_out"),
        F.sum(amt * keep_n).alias("value_out"),
        F.countDistinct(F.when(keep, F.col(schema.customer))).alias("customers_out"),
        F.countDistinct(F.when(keep, F.col(schema.order))).alias("orders_out"),
        F.sum(F.when(t.isNull(), g)).alias("bad_time"),
        F.sum(F.when(t.isNull() & time_raw.isNotNull(), g)).alias("unparsed_time"),
        F.sum(F.when(F.col(schema.order).isNull(), g)).alias("bad_order"),
    ]
    for c in value_cols:
        v = F.col(c).cast("double")
        aggs.append(F.sum(F.when(v.isNull() | F.isnan(v), g)).alias(f"nan:{c}"))
        aggs.append(F.sum(F.when(F.abs(v) == float("inf"), g)).alias(f"inf:{c}"))
    for i in range(len(REASONS)):
        if i == 5 and duplicates == "ignore":
            n_i = F.lit(0).cast("long")
        else:
            n_i = F.when(r.isNull(), g - 1) if i == 5 else F.when(r == i, g)
        aggs.append(F.sum(n_i).alias(f"rows{i}"))
        aggs.append(F.sum(amt * n_i).alias(f"value{i}"))
        if i == 2:
            aggs.append(F.sum(F.abs(qty) * n_i).alias("ret_units"))
            aggs.append(F.sum(F.abs(amt) * n_i).alias("ret_value"))
    row = df.agg(*aggs).collect()[0].asDict()

    if not row["rows_in"]:
        raise SchemaError(
            "the transaction log is empty (0 rows). Fix: check the file or the filter "
            "that produced it."
        )
    if row["unparsed_time"]:
        raise SchemaError(
            f"column {schema.time!r} has {row['unparsed_time']} value(s) that are not "
            f"timestamps. Fix: parse it yourself with F.to_timestamp({schema.time!r}, '<format>')."
        )
    if row["bad_time"]:
        raise SchemaError(
            f"column {schema.time!r} has {row['bad_time']} missing timestamp(s). "
            "Fix: fill or drop them."
        )
    if row["bad_order"]:
        raise SchemaError(
            f"column {schema.order!r} has {row['bad_order']} missing order id(s). "
            "Fix: fill or drop them."
        )
    for c in value_cols:
        if row[f"nan:{c}"]:
            raise SchemaError(
                f"column {c!r} has {row[f'nan:{c}']} missing value(s). Fix: fill or drop them "
                "before the analysis; crmine does not guess values."
            )
        if row[f"inf:{c}"]:
            raise SchemaError(
                f"column {c!r} has {row[f'inf:{c}']} infinite value(s). Fix: correct or drop "
                "those rows."
            )

    reasons = pd.DataFrame(
        {
            "rows": [int(row[f"rows{i}"] or 0) for i in range(len(REASONS))],
            "value": [float(row[f"value{i}"] or 0.0) for i in range(len(REASONS))],
            "action": [
                "not checked" if i == 5 and duplicates == "ignore"
                else "dropped" if i in drop_codes else "kept"
                for i in range(len(REASONS))
            ],
        },
        index=pd.Index(REASONS, name="reason"),
    )
    report = CleaningReport(
        returns=returns,
        rows_in=int(row["rows_in"]),
        rows_out=int(row["rows_out"] or 0),
        value_in=float(row["value_in"] or 0.0),
        value_out=float(row["value_out"] or 0.0),
        customers_in=int(row["customers_in"]),
        customers_out=int(row["customers_out"]),
        orders_in=int(row["orders_in"]),
        orders_out=int(row["orders_out"]),
        reasons=reasons,
    )
    lines = log.withColumn(AMT, amount).withColumn(TIME, time_expr(log, schema.time))
    lines = lines.withColumn(_REASON, reason.cast("int"))
    kept_reason = r.isNotNull() & ~r.isin(drop_codes)
    if duplicates == "drop":
        clean = (
            lines.filter(r.isNull()).dropDuplicates(original).unionByName(lines.filter(kept_reason))
        )
    else:
        clean = lines.filter(r.isNull() | kept_reason)
    if returns == "net":
        clean, report = _net(clean, lines.filter(r == 2), report, row, log, schema, original)
    clean = clean.withColumn(schema.time, t)
    if not has(log, schema, "amount"):
        clean = clean.withColumn("amount", amt)
    clean = clean.drop(AMT, TIME, _REASON)
    return clean, report


def _net(kept: Any, returns: Any, report: CleaningReport, row: dict[str, Any], log: Any,
         schema: TransactionSchema, original: list[str]) -> tuple[Any, CleaningReport]:
    """Net the return lines against the kept purchases (crmine's pandas rule).

    Only the (customer, item) groups holding a return are collected to the
    driver and matched by :func:`crmine.schema.net_returns`; the adjusted rows
    are sent back.  Spark frames have no row order: among lines of one
    customer, item and timestamp the tie is broken by the collected order.
    """
    import numpy as np

    from crmine.engines._clean import _net_stats
    from crmine.schema import NET_REASONS, net_returns

    F = require_pyspark()
    amt = F.col(AMT)
    has_q = has(log, schema, "quantity")
    has_item = has(log, schema, "item")
    keys = [schema.customer] + ([schema.item] if has_item else [])
    both = kept.withColumn(_ISRET, F.lit(False)).unionByName(
        returns.withColumn(_ISRET, F.lit(True))
    )
    groups = returns.select(*keys).distinct().toDF(*[f"__crmine_g{i}" for i in range(len(keys))])
    cond = [F.col(k).eqNullSafe(F.col(f"__crmine_g{i}")) for i, k in enumerate(keys)]
    sub = both.join(groups, cond, "left_semi")
    rest = both.join(groups, cond, "left_anti").filter(~F.col(_ISRET))
    pdf = sub.toPandas()
    pdf.attrs.clear()
    stats_row = {"rows2": row["rows2"], "ret_units": row["ret_units"],
                 "ret_value": row["ret_value"]}
    if pdf.empty:
        stats, extra = _net_stats(None, stats_row)
        clean = rest.drop(_ISRET)
    else:
        codes, _ = pd.factorize(pdf[schema.customer])
        items = pdf[schema.item].to_numpy() if has_item else None
        amount = pdf[AMT].to_numpy(dtype=float)
        qty = pdf[schema.quantity].to_numpy(dtype=float) if has_q else amount
        is_ret = pdf[_ISRET].to_numpy(dtype=bool)
        times = pd.to_datetime(pdf[TIME])
        if getattr(times.dt, "tz", None) is not None:
            times = times.dt.tz_convert("UTC").dt.tz_localize(None)
        t_ns = times.to_numpy(dtype="datetime64[ns]").view(np.int64)
        adj = net_returns(codes.astype(np.int64), items, t_ns, np.abs(qty), amount, is_ret,
                          ~is_ret)
        pos = adj.index.to_numpy(dtype=np.int64)
        m_q = adj["matched_quantity"].to_numpy()
        m_v = adj["matched_value"].to_numpy()
        adj = adj.assign(__row=pos, __is_return=is_ret[pos], __units=np.abs(qty[pos]),
                         __amount=amount[pos])
        stats, extra = _net_stats(adj, stats_row)
        gone = np.zeros(len(pdf), dtype=bool)
        purchase_hit = ~is_ret[pos] & (m_q > 0)
        full = purchase_hit & (m_q >= np.abs(qty[pos]))
        gone[pos[full]] = True
        new_amount = amount.copy()
        part = purchase_hit & ~full
        new_amount[pos[part]] = amount[pos[part]] - np.sign(amount[pos[part]]) * m_v[part]
        pdf[AMT] = new_amount
        if has_q:
            new_q = qty.copy()
            new_q[pos[part]] = qty[pos[part]] - m_q[part]
            kind = sub.schema[schema.quantity].dataType.typeName()
            if kind in ("byte", "short", "integer", "long"):  # netted units stay whole
                pdf[schema.quantity] = np.round(new_q).astype(np.int64)
            else:
                pdf[schema.quantity] = new_q
            if schema.amount in pdf.columns and schema.amount != AMT:
                pdf[schema.amount] = new_amount
        elif schema.amount in pdf.columns:
            pdf[schema.amount] = new_amount
        pdf = pdf.loc[~is_ret & ~gone]
        back = log.sparkSession.createDataFrame(pdf, schema=sub.schema)
        clean = rest.unionByName(back).drop(_ISRET)
    reasons = report.table.copy()
    reasons = pd.concat([reasons, pd.DataFrame(
        {"rows": extra["rows"], "value": extra["values"], "action": ["dropped", "reduced"]},
        index=pd.Index(list(NET_REASONS[len(reasons):]), name="reason"),
    )])
    after = clean.agg(
        F.count(F.lit(1)).alias("rows_out"),
        F.sum(amt).alias("value_out"),
        F.countDistinct(F.col(schema.customer)).alias("customers_out"),
        F.countDistinct(F.col(schema.order)).alias("orders_out"),
    ).collect()[0].asDict()
    report = CleaningReport(
        reasons,
        returns="net",
        rows_in=report.rows_in,
        value_in=report.value_in,
        customers_in=report.customers_in,
        orders_in=report.orders_in,
        rows_out=int(after["rows_out"]),
        value_out=float(after["value_out"] or 0.0),
        customers_out=int(after["customers_out"]),
        orders_out=int(after["orders_out"]),
        **stats,
    )
    return clean, report
