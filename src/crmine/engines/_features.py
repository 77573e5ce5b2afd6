"""Customer features on polars, with the exact definitions of the pandas path.

Every definition follows :mod:`crmine.features`: only rows before the cutoff
(an instant) are used; with ``returns="net"`` (the default) the (customer,
item) groups that hold a return are collected and netted by crmine's own
:func:`crmine.schema.net_returns`, everything else stays in polars; purchase
lines have a non-negative value left; an order counts when it has a purchase
line (orders are keyed by ``(customer, order)``); an order's time is its first
purchase line; recency, tenure and the buy-till-you-die summary count calendar
days between wall-clock dates (so DST changes never move a purchase to another
day).

The lines are read in one streaming pass for the fit (validation, cutoff,
category vocabulary) and one for the table: a ``(customer, order)`` group-by,
the distinct items and the category spend per customer; the rest runs on the
per-order table.  Only the per-customer table comes back, as pandas.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import pandas as pd

from crmine.engines._frame import (
    ITEM,
    NS_PER_DAY,
    ORD,
    A,
    C,
    K,
    Lines,
    U,
    W,
    Z,
    as_timestamp,
    collect,
    lines_of,
    localize,
    raise_checks,
    require_polars,
    utc_ns,
    wall_ns,
)
from crmine.engines._netting import ALIVE, LOGGED, RET, net_lines, plain_lines
from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema, resolve_schema

__all__ = ["fit", "fit_transform", "rfm_table", "transform"]

logger = logging.getLogger(__name__)

_TIME_UNITS = {"D": 1.0, "W": 7.0}

#: Rows per customer partition of a scanned log (environment: CRMINE_PARTITION_ROWS).
PARTITION_ROWS = 25_000_000
_GROUPS = ("rfm", "tenure", "interpurchase", "basket", "windows", "trend", "returns",
           "category", "btyd")


def _fit_lines(est: Any, lines: Lines, schema: TransactionSchema) -> None:
    """Learn cutoff_, include_, categories_ in one pass (with the data checks)."""
    pl = require_polars()
    user_cutoff = None
    if est.cutoff is not None:
        user_cutoff = localize(as_timestamp(est.cutoff, "cutoff"), lines.tz, "cutoff")
    aggs = [expr.alias(name) for name, expr in lines.checks.items()]
    aggs.append(pl.col(W).max().alias("max_w"))
    if user_cutoff is not None:
        before = pl.col(Z) < utc_ns(user_cutoff)
    else:  # the default cutoff is after every row
        before = pl.lit(True)
    aggs.append((before & (pl.col(A) < 0)).sum().alias("n_returns"))
    if lines.has_category:
        aggs.append(pl.col(K).filter(before & pl.col(K).is_not_null()).unique().implode()
                    .alias("cats"))
    row = collect(lines.frame.select(aggs)).row(0, named=True)
    raise_checks(row, schema)
    lines.n_rows = int(row["n"])
    if user_cutoff is None:
        # midnight after the last wall-clock time, in the log's zone
        cutoff = pd.Timestamp(int(row["max_w"])).normalize() + pd.Timedelta(days=1)
        if lines.tz is not None:
            cutoff = cutoff.tz_localize(lines.tz, ambiguous=True, nonexistent="shift_forward")
    else:
        cutoff = user_cutoff
    est.cutoff_ = cutoff
    include = list(est.include) if est.include is not None else list(_GROUPS)
    if "basket" in include and not lines.has_item and est.include is None:
        include.remove("basket")
    if "category" in include and not lines.has_category:
        if est.include is not None:
            raise SchemaError(
                f"include asks for 'category' features but the log has no category column "
                f"({schema.category!r}). Fix: set TransactionSchema(category=...) or drop "
                "'category' from include."
            )
        include.remove("category")
    if "basket" in include and not lines.has_item:
        raise SchemaError(
            f"include asks for 'basket' features but the log has no item column "
            f"({schema.item!r}). Fix: set TransactionSchema(item=...) or drop 'basket'."
        )
    if "returns" in include and est.include is None and est.monetary == "gross":
        if not row["n_returns"]:
            include.remove("returns")
    est.include_ = tuple(g for g in _GROUPS if g in include)
    if "category" in est.include_:
        est.categories_ = sorted(row["cats"], key=str)
    else:
        est.categories_ = []
    est.feature_names_out_ = np.asarray(est._names(), dtype=object)
    est.n_features_out_ = len(est.feature_names_out_)


def fit(est: Any, log: Any) -> Any:
    """``TransactionFeatures.fit`` on a polars/Arrow/DuckDB/Parquet log."""
    est._validate_params()
    schema = resolve_schema(est.schema)
    _fit_lines(est, lines_of(log, schema), schema)
    return est


def fit_transform(est: Any, log: Any) -> pd.DataFrame:
    """``TransactionFeatures.fit_transform`` on a local engine (two passes)."""
    est._validate_params()
    schema = resolve_schema(est.schema)
    lines = lines_of(log, schema)
    _fit_lines(est, lines, schema)
    return _compute(est, lines, schema)


def transform(est: Any, log: Any) -> pd.DataFrame:
    """``TransactionFeatures.transform`` on a local engine."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "cutoff_")
    schema = resolve_schema(est.schema)
    lines = lines_of(log, schema)
    return _compute(est, lines, schema, check=True)


def rfm_table(
    log: Any,
    *,
    schema: TransactionSchema | None = None,
    cutoff: Any = None,
    frequency: str = "orders",
    monetary: str = "gross",
    **kwargs: Any,
) -> pd.DataFrame:
    """:func:`crmine.rfm_table` on a local engine (``returns=`` passed on when given)."""
    from crmine.features import TransactionFeatures

    est = TransactionFeatures(
        schema=schema, cutoff=cutoff, frequency=frequency, monetary=monetary, include=("rfm",),
        **kwargs,
    )
    return fit_transform(est, log)[["recency_days", "frequency", "monetary_total"]]


def _from_utc_ns(ns: np.ndarray, tz: Any) -> pd.DatetimeIndex:
    out = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).astype("datetime64[ns]"))
    return out.tz_localize("UTC").tz_convert(tz) if tz is not None else out


def _compute(est: Any, lines: Lines, schema: TransactionSchema, check: bool = False) -> Any:
    pl = require_polars()
    cutoff = localize(pd.Timestamp(est.cutoff_), lines.tz, "cutoff")
    lf = lines.frame
    if check:  # transform: the data checks ride along with the first pass
        row = collect(lf.select([e.alias(n) for n, e in lines.checks.items()])).row(
            0, named=True
        )
        raise_checks(row, schema)
        lines.n_rows = int(row["n"])
    lf = lf.filter(pl.col(Z) < utc_ns(cutoff))
    parts = _n_parts(lines)
    if parts > 1:
        # every feature depends on one customer's rows only: customers are split by a
        # hash into parts processed one after the other, so the group-by state (orders,
        # distinct items, netted groups) of only one part is in memory at a time
        frames = [
            _table(est, lines, lf.filter(pl.col(C).hash(seed=0) % parts == j), schema)
            for j in range(parts)
        ]
        full = [f for f in frames if len(f)]
        return pd.concat(full).sort_index() if full else frames[0]
    return _table(est, lines, lf, schema)


def _n_parts(lines: Lines) -> int:
    """How many customer partitions a scanned log is processed in (1 for in-memory frames)."""
    if not lines.lazy_source or not lines.n_rows:
        return 1
    per_part = int(os.environ.get("CRMINE_PARTITION_ROWS", PARTITION_ROWS))
    return max(1, -(-lines.n_rows // max(per_part, 1)))


def _table(est: Any, lines: Lines, lf: Any, schema: TransactionSchema) -> pd.DataFrame:
    """The customer table of the (cutoff-filtered) lines ``lf``."""
    pl = require_polars()
    inc = est.include_
    names = list(est.feature_names_out_)
    cutoff = localize(pd.Timestamp(est.cutoff_), lines.tz, "cutoff")
    cutoff_ns = wall_ns(cutoff)
    cutoff_day = cutoff_ns // NS_PER_DAY
    need_items = "basket" in inc
    cats = list(est.categories_) if "category" in inc else []
    w, a = pl.col(W), pl.col(A)
    if getattr(est, "returns", "keep") == "net":
        lf, _ = net_lines(lf, has_item=lines.has_item, has_quantity=lines.has_quantity)
    else:
        lf = plain_lines(lf)
    ret = pl.col(RET)
    purchase = pl.col(ALIVE) & ~ret & (a >= 0)
    logged = pl.col(LOGGED)
    # ---- lines -> (customer, order): one group-by, purchase and return parts
    order_aggs = [
        purchase.sum().cast(pl.UInt32).alias("n_p"),
        pl.when(purchase).then(w).min().alias("ot"),
        pl.when(purchase).then(pl.col(Z)).min().alias("oz"),
        pl.when(purchase).then(a).otherwise(0.0).sum().alias("oa"),
    ]
    if need_items:
        order_aggs.append(pl.when(purchase).then(pl.col(U)).otherwise(0.0).sum().alias("ou"))
    plans = [lf.group_by(C, ORD).agg(order_aggs).filter(pl.col("n_p") > 0)]
    if need_items:
        plans.append(lf.filter(purchase).group_by(C).agg(pl.col(ITEM).n_unique().alias("n_items")))
    # customer-level sums straight from the lines (the per-order table stays narrow):
    # returns as logged, purchases as logged, returns left after netting, category spend
    cust_line_aggs = [
        pl.when(ret).then(-logged).otherwise(0.0).sum().alias("ret_val"),
        pl.when(~ret).then(logged).otherwise(0.0).sum().alias("gross_logged"),
        pl.when(ret & pl.col(ALIVE)).then(-a).otherwise(0.0).sum().alias("unmatched"),
    ] + [
        pl.when(purchase & (pl.col(K) == c)).then(a).otherwise(0.0).sum().alias(f"k{j}")
        for j, c in enumerate(cats)
    ]
    plans.append(lf.group_by(C).agg(cust_line_aggs))
    results = pl.collect_all(plans, engine="streaming")
    orders = results[0].lazy()

    po = orders.with_columns((pl.col("ot") // NS_PER_DAY).alias("d"))
    ot, oa = pl.col("ot"), pl.col("oa")
    cust_aggs = [
        pl.len().alias("n_orders"),
        oa.sum().alias("gross"),
        pl.col("oz").min().alias("first_z"),
        pl.col("oz").max().alias("last_z"),
        (ot.min() // NS_PER_DAY).alias("first_day"),
        (ot.max() // NS_PER_DAY).alias("last_day"),
    ]
    if need_items:
        cust_aggs.append(pl.col("ou").sum().alias("units"))
    if hasattr(est, "_window_days"):
        windows = est._window_days() if "windows" in inc else []
    else:
        windows = [int(x) for x in est.windows] if "windows" in inc else []
    for x in windows:
        inw = ot >= cutoff_ns - x * NS_PER_DAY
        cust_aggs.append(inw.sum().alias(f"ow{x}"))
        cust_aggs.append(pl.when(inw).then(oa).otherwise(0.0).sum().alias(f"sw{x}"))
    if "trend" in inc:
        trend = est._trend_days() if hasattr(est, "_trend_days") else int(est.trend_window)
        tw = int(trend) * NS_PER_DAY
        recent = ot >= cutoff_ns - tw
        prior = (ot >= cutoff_ns - 2 * tw) & ~recent
        cust_aggs.append(pl.when(recent).then(oa).otherwise(0.0).sum().alias("s1"))
        cust_aggs.append(pl.when(prior).then(oa).otherwise(0.0).sum().alias("s0"))
    table = po.group_by(C).agg(cust_aggs)

    # purchase days: only for day counts, interpurchase gaps and the BTYD summary
    need_days = est.frequency == "days" or "interpurchase" in inc or "btyd" in inc
    if need_days:
        days = po.group_by(C, "d").agg(oa.sum().alias("da"))
        d = pl.col("d")
        day_aggs = [pl.len().alias("n_days")]
        if "interpurchase" in inc or "btyd" in inc:
            days = days.sort(C, "d")
            day_aggs.append(pl.col("da").first().alias("first_day_amt"))  # sorted days
        if "interpurchase" in inc:
            # squared gaps between consecutive purchase days, in integers (exact)
            days = days.with_columns(
                pl.when(pl.col(C) == pl.col(C).shift(1))
                .then((d - d.shift(1)) ** 2)
                .otherwise(0)
                .alias("g2")
            )
            day_aggs.append(pl.col("g2").sum().alias("gap_sq"))
        table = table.join(days.group_by(C).agg(day_aggs), on=C, how="left")
    table = table.join(results[-1].lazy(), on=C, how="left")
    if need_items:
        table = table.join(results[1].lazy(), on=C, how="left")
    cust = collect(table.sort(C))
    if cust.height == 0:
        logger.info("no purchase lines before the cutoff: the customer table is empty")
        return pd.DataFrame(columns=names, index=pd.Index([], name=schema.customer))

    col = {c: cust.get_column(c).to_numpy() for c in cust.columns if c != C}
    n_orders = col["n_orders"].astype(np.int64)
    n_days = col["n_days"].astype(np.int64) if "n_days" in col else None
    gross = col["gross"].astype(float)
    ret_val = col["ret_val"].astype(float)
    gross_logged = col["gross_logged"].astype(float)
    unmatched = col["unmatched"].astype(float)
    first_day = col["first_day"].astype(np.int64)
    last_day = col["last_day"].astype(np.int64)
    freq = n_orders if est.frequency == "orders" else n_days
    monetary = gross if est.monetary == "gross" else gross - unmatched
    out: dict[str, Any] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        if "rfm" in inc:
            out["recency_days"] = cutoff_day - last_day
            out["frequency"] = freq
            out["monetary_total"] = monetary
            out["monetary_mean"] = monetary / freq
        if "tenure" in inc:
            out["tenure_days"] = cutoff_day - first_day
            out["first_purchase"] = _from_utc_ns(col["first_z"], lines.tz)
            out["last_purchase"] = _from_utc_ns(col["last_z"], lines.tz)
        if "interpurchase" in inc:
            g = n_days - 1
            out["interpurchase_mean_days"] = np.where(
                g > 0, (last_day - first_day) / np.maximum(g, 1), np.nan
            )
            # sum of squared deviations = (n * sum(g^2) - sum(g)^2) / n, exact integers
            span = last_day - first_day
            ss = (g * col["gap_sq"].astype(np.int64) - span * span) / np.maximum(g, 1)
            out["interpurchase_std_days"] = np.where(
                g > 1, np.sqrt(ss / np.maximum(g - 1, 1)), np.nan
            )
        if "basket" in inc:
            out["items_per_order"] = col["units"].astype(float) / n_orders
            out["distinct_items"] = col["n_items"].astype(np.int64)
        for x in windows:
            out[f"orders_{x}d"] = col[f"ow{x}"].astype(np.int64)
            out[f"spend_{x}d"] = col[f"sw{x}"].astype(float)
        if "trend" in inc:
            s1, s0 = col["s1"].astype(float), col["s0"].astype(float)
            tot = s1 + s0
            out["spend_trend"] = np.where(tot > 0, (s1 - s0) / np.where(tot > 0, tot, 1), 0.0)
        if "returns" in inc:
            out["return_value"] = ret_val
            out["return_rate"] = np.where(
                gross_logged > 0, ret_val / np.where(gross_logged > 0, gross_logged, 1), 0.0
            )
        safe = np.where(gross > 0, gross, 1)
        for j, c in enumerate(cats):
            out[f"share_{c}"] = col[f"k{j}"].astype(float) / safe
        if "btyd" in inc:
            unit = _TIME_UNITS[est.time_unit]
            rep = n_days - 1
            out["repeat_frequency"] = rep
            out["btyd_recency"] = (last_day - first_day) / unit
            out["btyd_T"] = (cutoff_day - first_day) / unit
            out["btyd_monetary_mean"] = np.where(
                rep > 0, (gross - col["first_day_amt"].astype(float)) / np.maximum(rep, 1),
                np.nan,
            )
    index = pd.Index(cust.get_column(C).to_pandas(), name=schema.customer)
    frame = pd.DataFrame({n: out[n] for n in names}, index=index, columns=names)
    return frame.sort_index()
