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

Passes over the lines: one for the checks, the fit (cutoff, category
vocabulary) and the return groups; one that collects the lines of the return
groups (only with returns); one for the table: orders grouped by order id
(with the category spend), the distinct items on one sorted integer key when
the ids are integers.  The per-order table comes back and is summarised by
:func:`crmine._customer_table.table_from_orders`, the pandas path's own
definition from the order level on.
"""

from __future__ import annotations

import glob
import os
import tempfile
from typing import Any

import numpy as np
import pandas as pd

from crmine._customer_table import OrderTable, bincount, table_from_orders
from crmine.engines._frame import (
    ITEM,
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
    collect_each,
    lines_of,
    localize,
    raise_checks,
    require_polars,
    utc_ns,
    wall_ns,
)
from crmine.engines._netting import ALIVE, LOGGED, RET, net_collected
from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema, resolve_schema

__all__ = ["fit", "fit_transform", "rfm_table", "transform"]

#: Up to this many categories, their spend is summed with the orders (one column each);
#: more are summed by a (customer, category) group-by.
_CATEGORY_COLUMNS = 16
#: Rows per customer partition of a scanned log (environment: CRMINE_PARTITION_ROWS).
PARTITION_ROWS = 10_000_000
#: At most this many partitions unless CRMINE_PARTITION_ROWS is set (then the parts grow).
MAX_PARTITIONS = 64
_GROUPS = ("rfm", "tenure", "interpurchase", "basket", "windows", "trend", "returns",
           "category", "btyd")


def _first_pass(est: Any, lines: Lines, schema: TransactionSchema, *, fit: bool,
                user_cutoff: Any = None) -> dict[str, Any]:
    """One streaming pass: the data checks, what ``fit`` learns and the return groups.

    The return groups (the ``(customer, item)`` keys of the return lines, any
    time) are what netting needs; the integer ranges of customer and item ids
    let the distinct items be counted on one sorted integer key.
    """
    pl = require_polars()
    frame = lines.frame
    aggs = [expr.alias(name) for name, expr in lines.checks.items()]
    if fit:
        aggs.append(pl.col(W).max().alias("max_w"))
        if user_cutoff is not None:
            before = pl.col(Z) < utc_ns(user_cutoff)
        else:  # the default cutoff is after every row
            before = pl.lit(True)
        aggs.append((before & (pl.col(A) < 0)).sum().alias("n_returns"))
    dtypes = frame.collect_schema()
    int_ids = lines.has_item and dtypes[C].is_integer() and dtypes[ITEM].is_integer()
    if int_ids:
        aggs += [pl.col(C).min().alias("c_min"), pl.col(C).max().alias("c_max"),
                 pl.col(ITEM).min().alias("i_min"), pl.col(ITEM).max().alias("i_max")]
    plans = [frame.select(aggs)]
    net = getattr(est, "returns", "keep") == "net"
    if net:
        keys = [C, ITEM] if lines.has_item else [C]
        plans.append(frame.filter(pl.col(A) < 0).select(keys).unique())
    if fit and lines.has_category:  # the vocabulary: a group-by streams, unique() did not
        plans.append(frame.filter(before & pl.col(K).is_not_null()).group_by(K).agg())
    results = collect_each(plans)
    row = results[0].row(0, named=True)
    raise_checks(row, schema)
    lines.n_rows = int(row["n"])
    row["ret_keys"] = results[1] if net else None
    if fit and lines.has_category:
        row["cats"] = results[-1].get_column(K).to_list()
    row["id_key"] = _id_key(row) if int_ids else None
    lines.first = row
    return row


def _id_key(row: dict[str, Any]) -> tuple[int, int, int] | None:
    """``(c_min, i_min - 1, width)`` of the integer (customer, item) key, if it fits in int64."""
    c_min, c_max, i_min, i_max = (row[k] for k in ("c_min", "c_max", "i_min", "i_max"))
    if c_min is None or i_min is None:  # no rows, or every item missing
        return None
    width = int(i_max) - int(i_min) + 2  # 0 is a missing item
    if (int(c_max) - int(c_min) + 1) * width >= 2**62 or abs(int(c_min)) >= 2**62 \
            or abs(int(i_min)) >= 2**62:
        return None
    return int(c_min), int(i_min) - 1, width


def _fit_lines(est: Any, lines: Lines, schema: TransactionSchema) -> None:
    """Learn cutoff_, include_, categories_ in one pass (with the data checks)."""
    user_cutoff = None
    if est.cutoff is not None:
        user_cutoff = localize(as_timestamp(est.cutoff, "cutoff"), lines.tz, "cutoff")
    row = _first_pass(est, lines, schema, fit=True, user_cutoff=user_cutoff)
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
    schema = _schema_of(est)
    _fit_lines(est, lines_of(log, schema), schema)
    return est


def fit_transform(est: Any, log: Any) -> pd.DataFrame:
    """``TransactionFeatures.fit_transform`` on a local engine (two passes)."""
    est._validate_params()
    schema = _schema_of(est)
    lines = lines_of(log, schema)
    _fit_lines(est, lines, schema)
    return _compute(est, lines, schema)


def transform(est: Any, log: Any) -> pd.DataFrame:
    """``TransactionFeatures.transform`` on a local engine."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "cutoff_")
    schema = _schema_of(est)
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


def _schema_of(est: Any) -> TransactionSchema:
    """The estimator's schema (its ``columns=`` mapping included)."""
    if hasattr(est, "_schema"):
        return est._schema()
    return resolve_schema(est.schema)


def _compute(est: Any, lines: Lines, schema: TransactionSchema, check: bool = False) -> Any:
    pl = require_polars()
    cutoff = localize(pd.Timestamp(est.cutoff_), lines.tz, "cutoff")
    if check or lines.first is None:  # transform: the checks ride with the first pass
        _first_pass(est, lines, schema, fit=False)
    lf = lines.frame.filter(pl.col(Z) < utc_ns(cutoff))
    parts = _n_parts(lines)
    if parts > 1:
        return _partitioned(est, lines, lf, schema, parts)
    return _table(est, lines, lf, schema)


def spill_dir() -> str:
    """Where the customer partitions of a large scanned log are written.

    ``CRMINE_TMPDIR`` if set, else :func:`tempfile.gettempdir` (``TMPDIR``,
    then ``/tmp``).  A private directory is made there and removed when the
    table is done, on error too.
    """
    return os.environ.get("CRMINE_TMPDIR") or tempfile.gettempdir()


def _partitioned(est: Any, lines: Lines, lf: Any, schema: TransactionSchema,
                 parts: int) -> pd.DataFrame:
    """The customer table of a large scanned log, one customer partition at a time.

    Every feature depends on one customer's rows only.  One streaming pass
    writes the lines the table needs (private columns, before the cutoff) into
    ``parts`` temporary Parquet files by a hash of the customer; each file is
    then read on its own, so the group-by state (orders, distinct items, netted
    groups) of only one part is in memory at a time and the log is read once,
    not once per part.  Rows keep the log's order within a part (netting
    breaks ties by that order).
    """
    pl = require_polars()
    if not hasattr(pl, "PartitionBy"):  # an older polars: re-read the log once per part
        return _partitioned_by_rereading(est, lines, lf, schema, parts)
    have = lf.collect_schema().names()
    # naive times: the wall-clock and the instant columns are the same numbers, one is written
    same_w = lines.tz is None
    keep = [c for c in (C, ORD, W, Z, A, U, ITEM, K) if c in have and not (same_w and c == W)]
    part = (pl.col(C).hash(seed=0) % parts).alias("p")
    with tempfile.TemporaryDirectory(prefix="crmine-parts-", dir=spill_dir()) as tmp:
        # lz4 and no statistics: the cheapest Parquet to write that stays compact
        lf.select(keep).sink_parquet(
            pl.PartitionBy(tmp, key=part, include_key=False),
            compression="lz4", statistics=False, engine="streaming",
        )
        frames = []
        for j in range(parts):
            files = sorted(glob.glob(os.path.join(glob.escape(tmp), f"p={j}", "*.parquet")))
            if not files:  # no customer of this part has a line before the cutoff
                continue
            part_lf = pl.scan_parquet(files, hive_partitioning=False)
            if same_w:
                part_lf = part_lf.with_columns(pl.col(Z).alias(W))
            frames.append(_table(est, lines, part_lf, schema))
    if not frames:  # no line before the cutoff
        return _table(est, lines, lf.select(keep).clear(), schema)
    if len(frames) == 1:
        return frames[0]
    table = pd.concat(frames)
    del frames  # the parts go before the sorted copy is made (peak: two tables)
    return table.sort_index()


def _partitioned_by_rereading(est: Any, lines: Lines, lf: Any, schema: TransactionSchema,
                              parts: int) -> pd.DataFrame:
    """:func:`_partitioned` for a polars without ``PartitionBy``: one read of the log per part."""
    pl = require_polars()
    frames = [
        _table(est, lines, lf.filter(pl.col(C).hash(seed=0) % parts == j), schema)
        for j in range(parts)
    ]
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0]
    table = pd.concat(full)
    del frames, full  # the parts go before the sorted copy is made (peak: two tables)
    return table.sort_index()


def _n_parts(lines: Lines) -> int:
    """How many customer partitions a scanned log is processed in (1 for in-memory frames).

    Parts of ``PARTITION_ROWS`` rows, at most ``MAX_PARTITIONS`` of them.  The
    log is read once whatever the count (:func:`_partitioned`), so more parts
    cost little CPU and lower the peak (measured on 200M rows: 8 parts 121 s
    CPU and 4.44 GiB, 20 parts 119 s and 3.27 GiB, 40 parts 129 s and
    3.03 GiB).  ``CRMINE_PARTITION_ROWS`` sets the part size exactly.
    """
    if not lines.lazy_source or not lines.n_rows:
        return 1
    if "CRMINE_PARTITION_ROWS" in os.environ:
        per_part = int(os.environ["CRMINE_PARTITION_ROWS"])
    else:
        per_part = max(PARTITION_ROWS, -(-lines.n_rows // MAX_PARTITIONS))
    return max(1, -(-lines.n_rows // max(per_part, 1)))


def _purchase_lines(est: Any, lines: Lines, lf: Any, cols: list[str]) -> tuple[Any, Any, Any]:
    """The purchase lines left after netting, and the per-customer sums of the returns.

    Returns ``(purchases, sums, sums_plan)``: ``purchases`` is a LazyFrame of
    the ``cols`` of every purchase line left (value >= 0, not undone), with the
    netted value and units; ``sums`` (a DataFrame) or ``sums_plan`` (a
    LazyFrame to collect) hold per customer ``ret_val`` (returns as logged),
    ``logged`` and ``netted`` (the logged and the netted value of the purchase
    lines that went through netting) and ``unmatched`` (returns left).

    Only the ``(customer, item)`` groups that hold a return line (found by the
    first pass) are collected and netted by crmine's one rule; every other line
    is a purchase line as logged, read straight from the source.
    """
    pl = require_polars()
    a = pl.col(A)
    zero = pl.lit(0.0)
    if getattr(est, "returns", "keep") != "net":  # returns kept as logged
        sums_plan = lf.filter(a < 0).group_by(C).agg(
            (-a).sum().alias("ret_val"), zero.alias("logged"), zero.alias("netted"),
            (-a).sum().alias("unmatched"),
        )
        return lf.filter(a >= 0).select(cols), None, sums_plan
    ret_keys = (lines.first or {}).get("ret_keys")
    if ret_keys is None or ret_keys.height == 0:  # no return line at all: every line counts
        return lf.select(cols), None, None
    keys = [C, ITEM] if lines.has_item else [C]
    groups = ret_keys.lazy()
    sub = collect(
        lf.join(groups, on=keys, how="semi", nulls_equal=True, maintain_order="left")
        .with_columns((a < 0).alias(RET), a.alias(LOGGED), (a >= 0).alias("__elig"))
    )
    rest = lf.join(groups, on=keys, how="anti", nulls_equal=True).select(cols)
    if sub.height == 0:  # the return groups lie after the cutoff
        return rest, None, None
    sub, _ = net_collected(sub, has_item=lines.has_item, has_quantity=lines.has_quantity)
    ret, alive, la = pl.col(RET), pl.col(ALIVE), pl.col(LOGGED)
    purchase = alive & ~ret & (a >= 0)
    sums = sub.group_by(C).agg(
        pl.when(ret).then(-la).otherwise(0.0).sum().alias("ret_val"),
        pl.when(~ret).then(la).otherwise(0.0).sum().alias("logged"),
        pl.when(purchase).then(a).otherwise(0.0).sum().alias("netted"),
        pl.when(ret & alive).then(-a).otherwise(0.0).sum().alias("unmatched"),
        # item groups with a purchase as logged, and with one left after netting
        *([pl.col(ITEM).filter(la >= 0).n_unique().alias("g_logged"),
           pl.col(ITEM).filter(purchase).n_unique().alias("g_alive")]
          if lines.has_item else []),
    )
    purchases = pl.concat([rest, sub.filter(purchase).select(cols).lazy()],
                          how="vertical_relaxed")
    return purchases, sums, None


def _distinct_items(lines: Lines, purchases: Any) -> Any:
    """Plan: distinct items per customer among the purchase lines (column ``n_items``).

    Integer customer and item ids are folded into one int64 key, sorted once and
    counted where the key changes (exact, and several times faster than a
    per-customer ``n_unique``); other ids use ``n_unique``.
    """
    pl = require_polars()
    id_key = (lines.first or {}).get("id_key")
    if id_key is None:
        return purchases.group_by(C).agg(pl.col(ITEM).n_unique().alias("n_items"))
    c_min, i_off, width = id_key
    c_dtype = purchases.collect_schema()[C]
    key = ((pl.col(C).cast(pl.Int64) - c_min) * width
           + (pl.col(ITEM).cast(pl.Int64) - i_off).fill_null(0)).alias("__key")
    k = pl.col("__key")
    return (
        purchases.select(key.sort())
        .filter(k != k.shift(1).fill_null(-1))
        .group_by((k // width + c_min).cast(c_dtype).alias(C))
        .agg(pl.len().cast(pl.UInt32).alias("n_items"))
    )


def _table(est: Any, lines: Lines, lf: Any, schema: TransactionSchema) -> pd.DataFrame:
    """The customer table of the (cutoff-filtered) lines ``lf``."""
    pl = require_polars()
    inc = est.include_
    cutoff = localize(pd.Timestamp(est.cutoff_), lines.tz, "cutoff")
    cutoff_ns = wall_ns(cutoff)
    need_items = "basket" in inc
    cats = list(est.categories_) if "category" in inc else []
    cols = [C, ORD, W, Z, A] + ([U, ITEM] if need_items else []) + ([K] if cats else [])
    purchases, sums, sums_plan = _purchase_lines(est, lines, lf, cols)
    w, z, a = pl.col(W), pl.col(Z), pl.col(A)
    # ---- purchase lines -> (customer, order): one group-by over the lines
    order_aggs = [w.min().alias("ot"), z.min().alias("oz"), a.sum().alias("oa")]
    if need_items:
        order_aggs.append(pl.col(U).sum().alias("ou"))
    wide_cats = len(cats) <= _CATEGORY_COLUMNS
    if wide_cats:  # few categories: their spend rides along with the orders
        order_aggs += [pl.when(pl.col(K) == c).then(a).otherwise(0.0).sum().alias(f"k{j}")
                       for j, c in enumerate(cats)]
    # orders are (customer, order) pairs; grouped by the order id alone (one key is much
    # cheaper), with the customer's min and max to see that no order id is shared
    by_order = order_aggs + [pl.col(C).min().alias(C), pl.col(C).max().alias("__c1")]
    plans = [purchases.group_by(ORD).agg(by_order)]
    # with netted groups, the distinct items are counted on the purchase lines as logged
    # (no anti-join) and corrected by the netted groups, which are whole (customer, item)
    # groups: a group counts when a purchase line of it is left
    items_as_logged = need_items and sums is not None
    if need_items:
        plans.append(_distinct_items(
            lines, lf.filter(a >= 0).select(cols) if items_as_logged else purchases))
    if cats and not wide_cats:
        plans.append(purchases.filter(pl.col(K).is_in(pl.lit(pl.Series(cats)).implode()))
                     .group_by(C, K).agg(a.sum().alias("ka")))
    if sums_plan is not None:
        plans.append(sums_plan)
    results = collect_each(plans)
    if sums_plan is not None:
        sums = results[-1]
    orders = results[0]
    if orders.filter(pl.col(C) != pl.col("__c1")).height:
        # some order id is used by several customers: count (customer, order) pairs
        orders = collect(purchases.group_by(C, ORD).agg(order_aggs))
    # ---- orders -> customers: crmine's one definition, on customer codes
    cust_col = orders.get_column(C)
    if cust_col.dtype.is_numeric():  # a hash factorisation of the numbers, sorted
        codes, uniques = pd.factorize(cust_col.to_numpy(), sort=True)
        code = codes.astype(np.int64)
        ids = pl.Series(C, uniques, dtype=cust_col.dtype)
    else:  # strings and others: codes by a join on the sorted distinct ids
        ids = cust_col.unique().sort()
        code = (orders.select(C).join(ids.to_frame().with_row_index("__code"), on=C,
                                      how="left", maintain_order="left")
                .get_column("__code").to_numpy().astype(np.int64))
    code_of = ids.to_frame().with_row_index("__code")
    n_cust = len(ids)

    def per_customer(frame: Any, name: str, dtype: Any) -> np.ndarray:
        """A per-customer column of ``frame`` (keyed by C) on the codes (0 when absent)."""
        out = np.zeros(n_cust, dtype=dtype)
        hit = frame.join(code_of, on=C, how="inner")
        out[hit.get_column("__code").to_numpy()] = hit.get_column(name).to_numpy()
        return out

    gross = bincount(code, weights=orders.get_column("oa").to_numpy(), minlength=n_cust)
    if sums is not None:
        ret_val = per_customer(sums, "ret_val", float)
        unmatched = per_customer(sums, "unmatched", float)
        # purchases as logged: the netted groups' lines are counted at their logged value
        gross_logged = gross - per_customer(sums, "netted", float) + per_customer(
            sums, "logged", float)
    else:
        ret_val = unmatched = np.zeros(n_cust)
        gross_logged = gross
    table = OrderTable(
        cust=code,
        time=orders.get_column("ot").to_numpy().astype(np.int64),
        utc=orders.get_column("oz").to_numpy().astype(np.int64),
        amount=orders.get_column("oa").to_numpy().astype(np.float64),
        ids=pd.Index(ids.to_pandas()),
        return_value=ret_val,
        gross_logged=gross_logged,
        unmatched=unmatched,
    )
    if need_items:
        table.units = bincount(code, weights=orders.get_column("ou").to_numpy(),
                               minlength=n_cust)
        table.distinct_items = per_customer(results[1], "n_items", np.int64)
        if items_as_logged:
            table.distinct_items += (per_customer(sums, "g_alive", np.int64)
                                     - per_customer(sums, "g_logged", np.int64))
    if cats and wide_cats:
        table.category = np.column_stack([
            bincount(code, weights=orders.get_column(f"k{j}").to_numpy(), minlength=n_cust)
            for j in range(len(cats))
        ])
    elif cats:
        spend = results[2 if need_items else 1].join(code_of, on=C, how="inner")
        kcode = pd.Index(cats).get_indexer(spend.get_column(K).to_pandas())
        table.category = bincount(
            spend.get_column("__code").to_numpy().astype(np.int64) * len(cats) + kcode,
            weights=spend.get_column("ka").to_numpy(), minlength=n_cust * len(cats),
        ).reshape(n_cust, len(cats))
    return table_from_orders(est, table, cutoff_ns, lines.tz, schema.customer)


