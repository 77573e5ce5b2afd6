"""Frequent itemsets of a Spark log by MLlib's FP-growth, in crmine's itemset format."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.basket._itemset_array import ItemsetArray
from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema, resolve_schema
from crmine.spark._common import (
    AMT,
    TIME,
    as_timestamp,
    check_columns,
    require_pyspark,
    time_expr,
    time_literal,
    value_expr,
)

__all__ = ["fpgrowth", "spark_association_rules"]


def _baskets(log: Any, schema: TransactionSchema, item: str | None, cutoff: Any) -> Any:
    F = require_pyspark()
    if item is not None:
        schema = schema.replace(item=item)
    check_columns(log, schema, ("order", "item"))
    cols = [F.col(schema.order).alias("order"), F.col(schema.item).alias("item")]
    try:
        amount, _ = value_expr(log, schema)
    except SchemaError:
        amount = None  # a plain (order, item) table: every line is a purchase
    if amount is not None:
        cols.append(amount.alias(AMT))
    if cutoff is not None:
        check_columns(log, schema, ("time",))
        cols.append(time_expr(log, schema.time).alias(TIME))
    lines = log.select(*cols)
    if amount is not None:
        lines = lines.filter(F.col(AMT) >= 0)
    if cutoff is not None:
        lines = lines.filter(
            F.col(TIME) < time_literal(as_timestamp(cutoff, "cutoff"), log, schema.time)
        )
    return lines, schema


def fpgrowth(
    log: Any,
    min_support: float | None = 0.01,
    *,
    min_count: int | None = None,
    max_len: int | None = None,
    schema: TransactionSchema | None = None,
    item: str | None = None,
    cutoff: str | pd.Timestamp | None = None,
    num_partitions: int | None = None,
) -> pd.DataFrame:
    """Frequent itemsets of a Spark transaction log with MLlib's FP-growth.

    Baskets are the orders of the log; as :func:`crmine.basket_matrix`, only
    purchase lines (non-negative value, when the log has a value) are used and
    a repeated item counts once.  The threshold is crmine's exact integer count
    ``ceil(min_support * n_baskets)`` (:func:`crmine.basket.min_count_for`),
    so the result equals :func:`crmine.basket.apriori` on the same baskets.  It
    comes back to the driver as crmine's itemset table, ready for
    :func:`crmine.basket.association_rules`.

    Parameters
    ----------
    log : pyspark.sql.DataFrame
        Transaction log with order and item columns (one row per line).
    min_support : float, default 0.01
        Minimum support as a fraction of baskets.
    min_count : int, optional
        Minimum number of baskets; overrides ``min_support``.
    max_len : int, optional
        Longest itemset kept (FP-growth mines all lengths; longer ones are
        dropped before they are collected).
    schema : TransactionSchema, optional
        Column roles (``order``, ``item`` and the value columns are used).
    item : str, optional
        Column to use as the item, e.g. ``"category"``.
    cutoff : str or Timestamp, optional
        Use only lines strictly before it.
    num_partitions : int, optional
        ``numPartitions`` of MLlib's FP-growth.

    Returns
    -------
    pandas.DataFrame
        Columns ``itemset`` (frozenset), ``count``, ``support``, ``length``,
        sorted by length, then by item labels; ``attrs["n_baskets"]`` and
        ``attrs["min_count"]`` as in :func:`crmine.basket.apriori`.

    Examples
    --------
    >>> from crmine.spark import fpgrowth
    >>> from crmine.basket import association_rules
    >>> itemsets = fpgrowth(spark_log, min_support=0.01)  # doctest: +SKIP
    >>> rules = association_rules(itemsets, "lift", 2.0)  # doctest: +SKIP
    """
    F = require_pyspark()
    from pyspark.ml.fpm import FPGrowth

    from crmine.basket import min_count_for

    schema = resolve_schema(schema)
    lines, schema = _baskets(log, schema, item, cutoff)
    baskets = lines.groupBy("order").agg(
        F.collect_set("item").alias("items"),
        F.sum(F.col("item").isNull().cast("long")).alias("n_null"),
    )
    baskets = baskets.cache()
    try:
        stats = baskets.agg(
            F.count(F.lit(1)).alias("n"), F.sum("n_null").alias("n_null")
        ).collect()[0]
        n = int(stats["n"])
        if stats["n_null"]:
            raise SchemaError(
                f"column {schema.item!r} has {int(stats['n_null'])} missing item(s). "
                "Fix: drop or label them before building baskets."
            )
        if n == 0:
            raise SchemaError("no baskets to mine: the input is empty; pass at least one basket.")
        if min_count is not None:
            if isinstance(min_count, bool) or int(min_count) < 1:
                raise ValueError(f"min_count must be a positive integer, got {min_count!r}.")
            threshold = int(min_count)
        elif min_support is None or not 0 < float(min_support) <= 1:
            raise ValueError(
                f"min_support must be in (0, 1], got {min_support!r}; or give min_count."
            )
        else:
            threshold = min_count_for(min_support, n)
        if max_len is not None and (isinstance(max_len, bool) or int(max_len) < 1):
            raise ValueError(f"max_len must be a positive integer, got {max_len!r}.")
        # Spark keeps itemsets with freq >= ceil(minSupport * n): aim half a basket low,
        # then apply crmine's exact integer threshold.
        fp = FPGrowth(itemsCol="items", minSupport=max((threshold - 0.5) / n, 0.0))
        if num_partitions is not None:
            fp = fp.setNumPartitions(int(num_partitions))
        model = fp.fit(baskets.select("items"))
        freq = model.freqItemsets.filter(F.col("freq") >= threshold)
        if max_len is not None:
            freq = freq.filter(F.size("items") <= int(max_len))
        rows = freq.collect()
    finally:
        baskets.unpersist()
    return _itemsets_table(
        [list(r["items"]) for r in rows], [int(r["freq"]) for r in rows], n, threshold
    )


def _itemsets_table(
    sets: list[list[Any]], counts: list[int], n: int, min_count: int
) -> pd.DataFrame:
    """Build the itemset table (as Apriori returns it) from FP-growth's output."""
    labels = sorted({x for s in sets for x in s})
    code = {x: i for i, x in enumerate(labels)}
    coded = [tuple(sorted(code[x] for x in s)) for s in sets]
    order = sorted(range(len(coded)), key=lambda i: (len(coded[i]), coded[i]))
    itemsets = pd.Series(ItemsetArray.from_sets([sets[i] for i in order]))
    count = np.asarray([counts[i] for i in order], dtype=np.int64)
    df = pd.DataFrame(
        {
            "itemset": itemsets,
            "count": count,
            "support": count / n,
            "length": np.asarray([len(coded[i]) for i in order], dtype=np.int64),
        }
    )
    df.attrs["n_baskets"] = int(n)
    df.attrs["min_count"] = int(min_count)
    return df


def spark_association_rules(
    log: Any,
    min_support: float | None = 0.01,
    metric: str = "confidence",
    min_threshold: float = 0.8,
    *,
    min_count: int | None = None,
    max_len: int | None = None,
    schema: TransactionSchema | None = None,
    item: str | None = None,
    cutoff: str | pd.Timestamp | None = None,
    **rule_params: Any,
) -> pd.DataFrame:
    """Association rules of a Spark log: FP-growth on Spark, crmine's measures on the driver.

    Parameters
    ----------
    log : pyspark.sql.DataFrame
        Transaction log.
    min_support, min_count, max_len, schema, item, cutoff
        As in :func:`fpgrowth`.
    metric, min_threshold, **rule_params
        As in :func:`crmine.basket.association_rules`.

    Returns
    -------
    pandas.DataFrame
        One row per rule, with all of crmine's interest measures.

    Examples
    --------
    >>> from crmine.spark import spark_association_rules
    >>> rules = spark_association_rules(spark_log, 0.01, "lift", 2.0)  # doctest: +SKIP
    """
    from crmine.basket import association_rules

    itemsets = fpgrowth(
        log,
        min_support,
        min_count=min_count,
        max_len=max_len,
        schema=schema,
        item=item,
        cutoff=cutoff,
    )
    return association_rules(itemsets, metric, min_threshold, **rule_params)
