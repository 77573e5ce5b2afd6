"""Cleaning a polars/Arrow/DuckDB/Parquet log with the rules and report of pandas."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from crmine.engines._frame import (
    ITEM,
    ORD,
    A,
    C,
    T,
    U,
    Z,
    as_lazy,
    as_timestamp,
    collect,
    collect_each,
    lines_of,
    localize,
    raise_checks,
    require_polars,
    utc_ns,
)
from crmine.engines._netting import ALIVE, LOGGED, RET, net_collected
from crmine.schema import NET_REASONS, REASONS, CleaningReport, TransactionSchema, resolve_schema

__all__ = ["clean_transactions_lazy"]

_R = "__r"
_ROW = "__row"


def clean_transactions_lazy(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    returns: Literal["net", "drop", "keep"] = "net",
    cancellation_prefix: str | None = "C",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    duplicates: Literal["keep", "drop", "ignore"] = "keep",
) -> tuple[Any, CleaningReport]:
    """:func:`crmine.clean_transactions` on a polars, Arrow, DuckDB or Parquet log.

    Same rules, same order, same :class:`~crmine.schema.CleaningReport` as the
    pandas function.  The reasons are counted in one pass; with
    ``returns="net"`` the (customer, item) groups that hold a return are
    collected and netted by :func:`crmine.schema.net_returns` (the pandas
    rule itself), and one more pass counts what is left.  The clean log keeps
    the input's row order; it is a ``polars.DataFrame`` for a polars
    DataFrame, a ``pyarrow.Table`` for an Arrow table, and a lazy
    ``polars.LazyFrame`` for a LazyFrame, a DuckDB relation or a Parquet path
    (nothing is materialised: pass it on to :class:`crmine.TransactionFeatures`
    or ``sink_parquet``).

    ``duplicates="ignore"`` is the cheap mode: exact duplicates are neither
    looked for nor counted (finding them compares every column of every row,
    the one costly rule); their report row says ``"not checked"``.

    Examples
    --------
    >>> import polars as pl
    >>> from crmine import clean_transactions
    >>> log = pl.DataFrame({"customer_id": [1, 1, None], "order_id": ["A1", "C2", "A3"],
    ...                     "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
    ...                     "item": ["x", "x", "y"], "quantity": [3, -1, 1],
    ...                     "price": [2.0, 2.0, 5.0]})
    >>> clean, report = clean_transactions(log)
    >>> clean["quantity"].to_list(), report.rows_out, report.value_matched
    ([2], 1, 2.0)
    """
    pl = require_polars()
    if returns not in ("net", "drop", "keep"):
        raise ValueError(f"returns must be 'net', 'drop' or 'keep', got {returns!r}.")
    if duplicates not in ("drop", "keep", "ignore"):
        raise ValueError(
            f"duplicates must be 'drop', 'keep' or 'ignore', got {duplicates!r}."
        )
    if cancellation_prefix is not None and (
        not isinstance(cancellation_prefix, str) or not cancellation_prefix
    ):
        raise ValueError(
            f"cancellation_prefix must be a non-empty string or None, got "
            f"{cancellation_prefix!r}."
        )
    schema = resolve_schema(schema)
    source = as_lazy(log)
    dtypes = source.collect_schema()
    original = list(dtypes.names())
    lines = lines_of(source, schema, keep_all=True)
    a = pl.col(A)
    z = pl.col(Z)
    out_range = pl.lit(False)
    if start is not None:
        lo = utc_ns(localize(as_timestamp(start, "start"), lines.tz, "start"))
        out_range = out_range | (z < lo)
    if end is not None:
        hi = utc_ns(localize(as_timestamp(end, "end"), lines.tz, "end"))
        out_range = out_range | (z >= hi)
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
    base = lines.frame.with_row_index(_ROW)
    if duplicates != "ignore":
        # exact duplicates (every column equal to an earlier row) are found once, as row
        # numbers: the later passes (report, netting, the clean log) only look them up
        dup_rows = _duplicate_rows(base, original)
        if len(dup_rows):
            reason = reason.when(pl.col(_ROW).is_in(dup_rows.implode())).then(5)
    df = base.with_columns(reason.otherwise(None).cast(pl.Int8).alias(_R))
    r = pl.col(_R)
    drop_codes = [0, 1, 3, 4] + ([2] if returns != "keep" else [])
    if duplicates == "drop":
        drop_codes.append(5)
    keep = r.is_null() | ~r.is_in(drop_codes)
    aggs = [e.alias(n) for n, e in lines.checks.items()]
    aggs += [
        a.sum().alias("value_in"),
        keep.sum().alias("rows_out"),
        a.filter(keep).sum().alias("value_out"),
    ]
    for i in range(len(REASONS)):
        aggs.append((r == i).sum().alias(f"rows{i}"))
        aggs.append(a.filter(r == i).sum().alias(f"value{i}"))
    if returns == "net":
        aggs.append(qty.abs().filter(r == 2).sum().alias("ret_units"))
        aggs.append(a.abs().filter(r == 2).sum().alias("ret_value"))
    # one pass: the sums, the kept lines of each customer and order, the return groups
    keys = [C, ITEM] if lines.has_item else [C]
    plans = [df.select(aggs),
             df.group_by(C).agg(keep.sum().alias("n")),
             df.group_by(ORD).agg(keep.sum().alias("n"))]
    if returns == "net":
        plans.append(df.filter(r == 2).select(keys).unique())
    results = collect_each(plans)
    row = results[0].row(0, named=True)
    raise_checks(row, schema, allow_missing_customers=True)
    per_cust = results[1].filter(pl.col(C).is_not_null())
    per_order = results[2]

    actions = ["dropped" if i in drop_codes else "kept" for i in range(len(REASONS))]
    if duplicates == "ignore":
        actions[5] = "not checked"
    rows = [int(row[f"rows{i}"] or 0) for i in range(len(REASONS))]
    values = [float(row[f"value{i}"] or 0.0) for i in range(len(REASONS))]
    totals = {
        "rows_out": int(row["rows_out"]),
        "value_out": float(row["value_out"] or 0.0),
        "customers_out": int((per_cust.get_column("n") > 0).sum()),
        "orders_out": int((per_order.get_column("n") > 0).sum()),
    }
    stats: dict[str, Any] = {}
    index = REASONS
    sub = None
    if returns == "net":
        ret_keys = results[3]
        adj = None
        if ret_keys.height:
            # only the (customer, item) groups that hold a return are collected and netted
            is_ret = (r == 2).fill_null(False)
            sub = collect(
                df.join(ret_keys.lazy(), on=keys, how="semi", nulls_equal=True,
                        maintain_order="left")
                .with_columns(is_ret.alias(RET), a.alias(LOGGED),
                              (keep & ~is_ret).alias("__elig"), keep.alias("__keep"))
            )
            sub, adj = net_collected(sub, has_item=lines.has_item,
                                     has_quantity=lines.has_quantity)
        stats, extra = _net_stats(adj, row)
        rows += extra["rows"]
        values += extra["values"]
        actions += ["dropped", "reduced"]
        index = NET_REASONS
        if adj is None:
            sub = None
        else:
            totals = _after_netting(sub, totals, per_cust, per_order)
    reasons = pd.DataFrame(
        {"rows": rows, "value": values, "action": actions},
        index=pd.Index(index, name="reason"),
    )
    report = CleaningReport(
        reasons,
        returns=returns,
        rows_in=int(row["n"]),
        value_in=float(row["value_in"] or 0.0),
        customers_in=per_cust.height,
        orders_in=per_order.height,
        **totals,
        **stats,
    )
    module = type(log).__module__ or ""
    eager = isinstance(log, pl.DataFrame) or module.startswith("pyarrow")
    if eager and isinstance(dtypes[schema.time], pl.Datetime):
        # an in-memory log: one boolean mask over its rows, the netted values set in place
        frame = log if isinstance(log, pl.DataFrame) else pl.from_arrow(log)
        clean = _eager_clean(frame, df, keep, sub, schema, lines, returns)
        return (clean.to_arrow() if module.startswith("pyarrow") else clean), report
    clean = df.filter(keep)
    if sub is not None:  # the netted lines: undone ones out, reduced ones take their values
        alive, kept = pl.col(ALIVE), pl.col("__keep")
        dead = sub.filter(kept & ~alive).get_column(_ROW)
        changed = sub.filter(kept & alive).select(
            _ROW, pl.col(A).alias("__a2"), pl.col(U).alias("__u2"))
        clean = (
            clean.filter(~pl.col(_ROW).is_in(dead.implode()))
            .join(changed.lazy(), on=_ROW, how="left", maintain_order="left")
            .with_columns(pl.coalesce("__a2", A).alias(A), pl.coalesce("__u2", U).alias(U))
        )
    out_cols = []
    for c in original:
        if c == schema.time:
            out_cols.append(pl.col(T).alias(c))
        elif returns == "net" and c == schema.amount and lines.has_amount:
            out_cols.append(_like(a, dtypes[c]).alias(c))
        elif returns == "net" and c == schema.quantity and lines.has_quantity:
            out_cols.append(_like(pl.col(U), dtypes[c]).alias(c))
        else:
            out_cols.append(pl.col(c))
    if not lines.has_amount:
        out_cols.append(a.alias("amount"))
    clean = clean.select(out_cols)
    if eager:
        clean = clean.collect()
        return (clean.to_arrow() if module.startswith("pyarrow") else clean), report
    return clean, report


def _eager_clean(frame: Any, df: Any, keep: Any, sub: Any, schema: TransactionSchema,
                 lines: Any, returns: str) -> Any:
    """The clean log of an in-memory frame: its kept rows, netted values put in place."""
    pl = require_polars()
    mask = collect(df.select(keep.alias("__k"))).get_column("__k").to_numpy().copy()
    changed = None
    if sub is not None:
        alive, kept = pl.col(ALIVE), pl.col("__keep")
        mask[sub.filter(kept & ~alive).get_column(_ROW).to_numpy()] = False
        changed = sub.filter(kept & alive)
    clean = frame.filter(pl.Series(mask))
    if not lines.has_amount:
        value = (pl.col(schema.quantity).cast(pl.Float64) * pl.col(schema.price).cast(pl.Float64)
                 if lines.has_quantity and lines.has_price else pl.lit(0.0))
        clean = clean.with_columns(value.alias("amount"))
    if changed is None or changed.height == 0:
        return clean
    # position of each reduced line in the clean log: kept rows before it
    pos = (np.cumsum(mask) - 1)[changed.get_column(_ROW).to_numpy()]
    targets = []
    if lines.has_quantity:
        targets.append((schema.quantity, U))
    if lines.has_amount:
        targets.append((schema.amount, A))
    else:
        targets.append(("amount", A))
    cols = []
    for name, private in targets:
        column = clean.get_column(name).clone()
        values = changed.get_column(private)
        if column.dtype.is_integer():
            values = values.round(0)
        column.scatter(pos, values.cast(column.dtype))
        cols.append(column)
    return clean.with_columns(cols)


def _duplicate_rows(base: Any, original: list[str]) -> Any:
    """Row numbers of the exact duplicates (a row equal in every column to an earlier one).

    Rows are hashed; only the rows whose hash occurs twice are collected and
    compared exactly, column by column, so the answer is exact and the costly
    comparison runs on the candidates only.
    """
    pl = require_polars()
    h = pl.struct(original).hash(seed=0).alias("__h")
    twice = collect(base.group_by(h).agg(pl.len().alias("__n")).filter(pl.col("__n") > 1)
                    .select("__h")).get_column("__h")
    if len(twice) == 0:
        return pl.Series(_ROW, [], dtype=pl.UInt32)
    cand = collect(base.filter(h.is_in(twice.implode())).select(_ROW, *original)).sort(_ROW)
    return cand.filter(~pl.struct(original).is_first_distinct()).get_column(_ROW)


def _after_netting(sub: Any, totals: dict[str, Any], per_cust: Any,
                   per_order: Any) -> dict[str, Any]:
    """The totals once the netted groups' lines are undone or reduced.

    ``sub`` holds the netted groups' lines (``__keep``: kept by the reasons,
    ``ALIVE``: left after netting, ``A`` netted).  Only those lines change, so
    the totals of the first pass are corrected from them.
    """
    pl = require_polars()
    alive, kept = pl.col(ALIVE), pl.col("__keep")
    dead = sub.filter(kept & ~alive)
    out = dict(totals)
    out["rows_out"] = totals["rows_out"] - dead.height
    out["value_out"] = (totals["value_out"]
                        - float(sub.filter(kept).get_column(LOGGED).sum() or 0.0)
                        + float(sub.filter(kept & alive).get_column(A).sum() or 0.0))
    for name, key, counts in (("customers_out", C, per_cust), ("orders_out", ORD, per_order)):
        lost = dead.group_by(key).agg(pl.len().alias("__d"))
        left = counts.join(lost, on=key, how="left").select(
            (pl.col("n") - pl.col("__d").fill_null(0)) > 0)
        out[name] = int(left.to_series().sum())
    return out


def _like(expr: Any, dtype: Any) -> Any:
    """A netted float column back in an integer dtype (netted integer quantities stay whole)."""
    if dtype.is_integer():
        return expr.round(0).cast(dtype)
    return expr.cast(dtype)


def _net_stats(adj: pd.DataFrame | None, row: dict[str, Any]) -> tuple[dict, dict]:
    """Report fields of the netting, as the pandas path computes them."""
    n_ret = int(row["rows2"] or 0)
    ret_units = float(row["ret_units"] or 0.0)
    ret_value = float(row["ret_value"] or 0.0)
    if adj is None or len(adj) == 0:
        stats = {"returns_unmatched": n_ret, "quantity_unmatched": ret_units,
                 "value_unmatched": ret_value}
        return stats, {"rows": [0, 0], "values": [0.0, 0.0]}
    r = adj["__is_return"].to_numpy(dtype=bool)
    m_q = adj["matched_quantity"].to_numpy()
    m_v = adj["matched_value"].to_numpy()
    units = adj["__units"].to_numpy()
    amount = adj["__amount"].to_numpy()
    # returns that were not matched at all (none: every return's group is netted)
    outside = n_ret > int(r.sum())
    outside_units = ret_units - float(units[r].sum()) if outside else 0.0
    outside_value = ret_value - float(np.abs(amount[r]).sum()) if outside else 0.0
    hit = ~r & (m_q > 0)
    full = hit & (m_q >= units)
    part = hit & ~full
    stats = {
        "returns_matched": int((m_q[r] > 0).sum()),
        "returns_unmatched": int((adj["unmatched_quantity"].to_numpy()[r] > 0).sum())
        + n_ret - int(r.sum()),
        "purchases_undone": int(hit.sum()),
        "quantity_matched": float(m_q[~r].sum()),
        "value_matched": float(m_v[~r].sum()),
        "quantity_unmatched": float(adj["unmatched_quantity"].sum()) + outside_units,
        "value_unmatched": float(adj["unmatched_value"].sum()) + outside_value,
    }
    extra = {"rows": [int(full.sum()), int(part.sum())],
             "values": [float(amount[full].sum()), float(m_v[part].sum())]}
    return stats, extra
