"""Cleaning a polars/Arrow/DuckDB/Parquet log with the rules and report of pandas."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from crmine.engines._frame import (
    ORD,
    A,
    C,
    T,
    W,
    as_lazy,
    as_timestamp,
    collect,
    lines_of,
    localize,
    raise_checks,
    require_polars,
    wall_ns,
)
from crmine.schema import REASONS, CleaningReport, TransactionSchema, resolve_schema

__all__ = ["clean_transactions_lazy"]

_R = "__r"


def clean_transactions_lazy(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    returns: Literal["drop", "keep"] = "drop",
    cancellation_prefix: str | None = "C",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    duplicates: Literal["keep", "drop", "ignore"] = "keep",
) -> tuple[Any, CleaningReport]:
    """:func:`crmine.clean_transactions` on a polars, Arrow, DuckDB or Parquet log.

    Same rules, same order, same :class:`~crmine.schema.CleaningReport` as the
    pandas function, computed in one pass.  The clean log keeps the input's
    row order; it is a ``polars.DataFrame`` for a polars DataFrame, a
    ``pyarrow.Table`` for an Arrow table, and a lazy ``polars.LazyFrame`` for
    a LazyFrame, a DuckDB relation or a Parquet path (nothing is materialised:
    pass it on to :class:`crmine.TransactionFeatures` or ``sink_parquet``).

    ``duplicates="ignore"`` is the cheap mode: exact duplicates are neither
    looked for nor counted (finding them compares every column of every row,
    the one costly rule); their report row says ``"not checked"``.

    Examples
    --------
    >>> import polars as pl
    >>> from crmine import clean_transactions
    >>> log = pl.DataFrame({"customer_id": [1, 1, None], "order_id": ["A1", "C2", "A3"],
    ...                     "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
    ...                     "amount": [10.0, -10.0, 5.0]})
    >>> clean, report = clean_transactions(log)
    >>> clean["order_id"].to_list(), report.rows_out
    (['A1'], 1)
    """
    pl = require_polars()
    if returns not in ("drop", "keep"):
        raise ValueError(f"returns must be 'drop' or 'keep', got {returns!r}.")
    if duplicates not in ("drop", "keep", "ignore"):
        raise ValueError(
            f"duplicates must be 'drop', 'keep' or 'ignore', got {duplicates!r}."
        )
    schema = resolve_schema(schema)
    source = as_lazy(log)
    original = list(source.collect_schema().names())
    lines = lines_of(source, schema, keep_all=True)
    t = pl.col(T)
    a = pl.col(A)
    out_range = pl.lit(False)
    if start is not None:
        lo = wall_ns(localize(as_timestamp(start, "start"), lines.tz, "start"))
        out_range = out_range | (pl.col(W) < lo)
    if end is not None:
        hi = wall_ns(localize(as_timestamp(end, "end"), lines.tz, "end"))
        out_range = out_range | (pl.col(W) >= hi)
    qty = pl.col(schema.quantity).cast(pl.Float64) if lines.has_quantity else a
    ret = qty < 0
    if cancellation_prefix:
        ret = ret | pl.col(ORD).cast(pl.String).str.starts_with(cancellation_prefix)
    non_q = (qty == 0) if lines.has_quantity else pl.lit(False)
    reason = (
        pl.when(pl.col(C).is_null()).then(0)
        .when(out_range).then(1)
        .when(ret).then(2)
        .when(non_q).then(3)
        .when(pl.col("__p") <= 0).then(4)
    )
    if duplicates != "ignore":
        reason = reason.when(~pl.struct(original).is_first_distinct()).then(5)
    df = lines.frame.with_columns(reason.otherwise(None).cast(pl.Int8).alias(_R))
    r = pl.col(_R)
    drop_codes = [0, 1, 3, 4] + ([2] if returns == "drop" else [])
    if duplicates == "drop":
        drop_codes.append(5)
    keep = r.is_null() | ~r.is_in(drop_codes)
    aggs = [e.alias(n) for n, e in lines.checks.items()]
    aggs += [
        a.sum().alias("value_in"),
        keep.sum().alias("rows_out"),
        a.filter(keep).sum().alias("value_out"),
        pl.col(C).drop_nulls().n_unique().alias("customers_in"),
        pl.col(C).filter(keep).drop_nulls().n_unique().alias("customers_out"),
        pl.col(ORD).n_unique().alias("orders_in"),
        pl.col(ORD).filter(keep).n_unique().alias("orders_out"),
    ]
    for i in range(len(REASONS)):
        aggs.append((r == i).sum().alias(f"rows{i}"))
        aggs.append(a.filter(r == i).sum().alias(f"value{i}"))
    row = collect(df.select(aggs)).row(0, named=True)
    raise_checks(row, schema, allow_missing_customers=True)

    actions = ["dropped" if i in drop_codes else "kept" for i in range(len(REASONS))]
    if duplicates == "ignore":
        actions[5] = "not checked"
    reasons = pd.DataFrame(
        {
            "rows": [int(row[f"rows{i}"] or 0) for i in range(len(REASONS))],
            "value": [float(row[f"value{i}"] or 0.0) for i in range(len(REASONS))],
            "action": actions,
        },
        index=pd.Index(REASONS, name="reason"),
    )
    report = CleaningReport(
        rows_in=int(row["n"]),
        rows_out=int(row["rows_out"]),
        value_in=float(row["value_in"] or 0.0),
        value_out=float(row["value_out"] or 0.0),
        customers_in=int(row["customers_in"]),
        customers_out=int(row["customers_out"]),
        orders_in=int(row["orders_in"]),
        orders_out=int(row["orders_out"]),
        reasons=reasons,
    )
    out_cols = [t.alias(schema.time) if c == schema.time else pl.col(c) for c in original]
    if not lines.has_amount:
        out_cols.append(a.alias("amount"))
    clean = df.filter(keep).select(out_cols)
    if isinstance(log, pl.DataFrame):
        return clean.collect(), report
    module = type(log).__module__ or ""
    if module.startswith("pyarrow"):
        return clean.collect().to_arrow(), report
    return clean, report
