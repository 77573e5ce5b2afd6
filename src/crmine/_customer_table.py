"""The customer table of :class:`crmine.TransactionFeatures`, computed in numpy.

One pass over the log's lines: the rows before the cutoff, returns netted
against the purchases they undo (:func:`crmine.schema.net_returns`, the
default), purchase lines grouped into orders, orders into customers.  No
Python call per row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema, as_bound, net_returns, transaction_amount
from crmine.utils._validation import default_cutoff, purchase_mask

logger = logging.getLogger("crmine.features")

NS_PER_DAY = 86_400 * 10**9
TIME_UNITS = {"D": 1.0, "W": 7.0}


def wall_ns(times: pd.Series) -> tuple[np.ndarray, Any]:
    """Timestamps as int64 nanoseconds of local wall time, and their timezone."""
    tz = getattr(times.dt, "tz", None)
    if tz is not None:
        times = times.dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view("int64"), tz


def utc_ns(times: pd.Series) -> np.ndarray:
    """Timestamps as int64 nanoseconds since the epoch (UTC instants when aware)."""
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view("int64")


def from_utc_ns(ns: np.ndarray, tz: Any) -> pd.DatetimeIndex:
    """Instants back to timestamps in ``tz`` (no local-time ambiguity)."""
    out = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).astype("datetime64[ns]"))
    return out.tz_localize("UTC").tz_convert(tz) if tz is not None else out


def bincount(
    codes: np.ndarray, weights: np.ndarray | None = None, minlength: int = 0
) -> np.ndarray:
    """``np.bincount`` whose weighted result is float even for empty input."""
    out = np.bincount(codes, weights=weights, minlength=minlength)
    return out.astype(float) if weights is not None else out


def group_min(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Minimum of int64 ``values`` per code."""
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, codes, values)
    return out


def group_max(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Maximum of int64 ``values`` per code."""
    out = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, codes, values)
    return out


def segments(sorted_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start of each run of equal codes in a sorted array, and the code of each run."""
    if len(sorted_codes) == 0:
        return np.zeros(0, dtype=np.intp), sorted_codes
    edge = np.empty(len(sorted_codes), dtype=bool)
    edge[0] = True
    np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=edge[1:])
    starts = np.flatnonzero(edge)
    return starts, sorted_codes[starts]


def localize(ts: Any, times: pd.Series, name: str) -> pd.Timestamp:
    """A cutoff in the time zone of the log (NaT, DST-ambiguous and tz mismatches refused)."""
    return as_bound(ts, times, name)


def fit_cutoff(cutoff: Any, times: pd.Series) -> pd.Timestamp:
    """The snapshot time: ``cutoff`` or midnight (local) after the last row."""
    if cutoff is not None:
        return localize(cutoff, times, "cutoff")
    tz = getattr(times.dt, "tz", None)
    if tz is None:
        return default_cutoff(times)
    wall = default_cutoff(times.dt.tz_localize(None))  # local midnight, then localized
    return wall.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def compute(
    log: pd.DataFrame,
    schema: TransactionSchema,
    est: Any,
    cache: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The customer table of a fitted ``TransactionFeatures`` for a prepared log."""
    inc = est.include_
    names = list(est.feature_names_out_)
    times = log[schema.time]
    tz = getattr(times.dt, "tz", None)
    cutoff = localize(est.cutoff_, times, "cutoff")
    u_ns = utc_ns(times)
    keep = u_ns < cutoff.value
    t_ns, _ = wall_ns(times)
    cutoff_ns = int((cutoff.tz_localize(None) if tz is not None else cutoff).value)
    amount_all = transaction_amount(log, schema)
    has_q = schema.has(log, "quantity")
    qty = log[schema.quantity].to_numpy(dtype=np.float64) if has_q else None
    cat_codes = cat_uniques = None
    if cache and "category" in cache and "category" in inc:
        cat_codes, cat_uniques = cache["category"]
    index_name = schema.customer
    if not keep.all():
        log = log.loc[keep]
        t_ns, u_ns, amount_all = t_ns[keep], u_ns[keep], amount_all[keep]
        qty = qty[keep] if qty is not None else None
        cat_codes = cat_codes[keep] if cat_codes is not None else None
    purchase = purchase_mask(amount_all)
    if not purchase.any():  # also an empty log before the cutoff
        logger.info("no purchase lines before the cutoff: the customer table is empty")
        return pd.DataFrame(columns=names, index=pd.Index([], name=index_name))
    codes, uniques = pd.factorize(log[schema.customer], sort=True)
    if (codes < 0).any():
        raise SchemaError(
            f"column {schema.customer!r} has missing customer ids. "
            "Fix: clean_transactions(...) drops and counts them."
        )
    n_cust_all = len(uniques)
    is_return = ~purchase
    # return behaviour is measured on the lines as logged, before netting
    ret_val = bincount(codes[is_return], weights=-amount_all[is_return], minlength=n_cust_all)
    gross_logged = bincount(codes[purchase], weights=amount_all[purchase], minlength=n_cust_all)
    if est.returns == "net" and is_return.any():
        item_values = log[schema.item].to_numpy() if schema.has(log, "item") else None
        # without an item column (or a quantity) returns are matched by value
        by_value = qty is None or item_values is None
        units = np.abs(amount_all) if by_value else np.abs(qty)
        adj = net_returns(codes, item_values, u_ns, units, amount_all, is_return, purchase)
        pos = adj.index.to_numpy(dtype=np.int64)
        m_q = adj["matched_quantity"].to_numpy()
        m_v = adj["matched_value"].to_numpy()
        amount_all = amount_all.copy()
        # purchases keep what was not undone; returns keep their unmatched part
        amount_all[pos] = np.where(
            is_return[pos], -adj["unmatched_value"].to_numpy(), amount_all[pos] - m_v
        )
        if qty is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                left_share = np.where(
                    units[pos] > 0,
                    np.where(is_return[pos], adj["unmatched_quantity"].to_numpy(),
                             units[pos] - m_q) / np.where(units[pos] > 0, units[pos], 1.0),
                    0.0,
                )
            qty = qty.copy()
            qty[pos] = qty[pos] * left_share  # what is left of each line, in its own units
        left = units.copy()
        left[pos] = np.where(is_return[pos], adj["unmatched_quantity"].to_numpy(),
                             units[pos] - m_q)
        alive = np.ones(len(amount_all), dtype=bool)
        alive[pos] = left[pos] > 0
        if not alive.all():
            log = log.loc[alive]
            t_ns, u_ns, amount_all, codes = t_ns[alive], u_ns[alive], amount_all[alive], codes[
                alive]
            qty = qty[alive] if qty is not None else None
            cat_codes = cat_codes[alive] if cat_codes is not None else None
        purchase = ~is_return[alive]
        is_return = ~purchase
        if not purchase.any():
            logger.info("every purchase before the cutoff was returned: the table is empty")
            return pd.DataFrame(columns=names, index=pd.Index([], name=index_name))

    # ---- purchase lines -> orders
    pc = codes[purchase]
    pt = t_ns[purchase]
    pu = u_ns[purchase]
    pa = amount_all[purchase]
    ord_idx, _ = pd.factorize(log[schema.order].to_numpy()[purchase])
    n_ord = int(ord_idx.max(initial=-1)) + 1
    ord_cust = np.empty(n_ord, dtype=np.int64)
    ord_cust[ord_idx] = pc
    if not np.array_equal(ord_cust[ord_idx], pc):
        # some order id is shared by several customers: count (customer, order) pairs
        okey = pc.astype(np.int64) * n_ord + ord_idx
        ord_idx, _ = pd.factorize(okey)
        n_ord = int(ord_idx.max(initial=-1)) + 1
        ord_cust = np.empty(n_ord, dtype=np.int64)
        ord_cust[ord_idx] = pc
    ord_time = group_min(ord_idx, pt, n_ord)
    ord_utc = group_min(ord_idx, pu, n_ord)
    ord_amt = bincount(ord_idx, weights=pa, minlength=n_ord)
    # per-customer line sums the order table does not carry
    units_c = items_c = flat = None
    if "basket" in inc:
        units = qty[purchase] if qty is not None else np.ones(len(pc))
        units_c = bincount(pc, weights=units, minlength=n_cust_all)
        item_values = log[schema.item].to_numpy()
        if (
            item_values.dtype.kind in "iu"
            and len(item_values)
            and 0 <= item_values.min()
            and item_values.max() < 2**31
        ):
            icodes = item_values[purchase].astype(np.int64)  # small ints are their own codes
        else:
            icodes, _ = pd.factorize(item_values[purchase])
        width = int(icodes.max(initial=0)) + 2
        ikey = np.sort(pc.astype(np.int64) * width + (icodes + 1))
        first = np.ones(len(ikey), dtype=bool)
        first[1:] = ikey[1:] != ikey[:-1]
        items_c = bincount(ikey[first] // width, minlength=n_cust_all)
    if "category" in inc:
        vocab = pd.Index(est.categories_)
        if cat_codes is None:
            cat_codes, cat_uniques = pd.factorize(log[schema.category])
        lookup = np.append(vocab.get_indexer(cat_uniques), -1)  # code -1 (NaN) -> -1
        ccodes = lookup[cat_codes[purchase]]
        known = ccodes >= 0
        k = len(vocab)
        flat = bincount(
            pc[known] * k + ccodes[known], weights=pa[known], minlength=n_cust_all * k
        ).reshape(n_cust_all, k)
    orders = OrderTable(
        cust=ord_cust, time=ord_time, utc=ord_utc, amount=ord_amt, ids=uniques,
        units=units_c, distinct_items=items_c, category=flat, return_value=ret_val,
        gross_logged=gross_logged,
        unmatched=bincount(codes[is_return], weights=-amount_all[is_return],
                           minlength=n_cust_all),
    )
    return table_from_orders(est, orders, cutoff_ns, tz, index_name)


@dataclass
class OrderTable:
    """The orders of a log (one entry per (customer, order) with a purchase line left).

    What every engine hands to :func:`table_from_orders`: the order-level
    arrays, and the per-customer sums that need the lines (indexed by customer
    code; ``ids[code]`` is the customer id, codes in sorted id order).
    """

    cust: np.ndarray  # customer code of each order
    time: np.ndarray  # wall-clock ns of the order's first purchase line
    utc: np.ndarray  # the instant of that line (UTC ns; wall ns for naive times)
    amount: np.ndarray  # purchase value left in the order
    ids: Any  # customer id of each code
    return_value: np.ndarray  # returns as logged (positive)
    gross_logged: np.ndarray  # purchase lines as logged
    unmatched: np.ndarray  # returns left after netting (positive)
    units: np.ndarray | None = None  # units of the purchase lines left ("basket")
    distinct_items: np.ndarray | None = None  # ("basket")
    category: np.ndarray | None = None  # (customers, categories_) spend ("category")


def table_from_orders(
    est: Any, orders: OrderTable, cutoff_ns: int, tz: Any, index_name: Any
) -> pd.DataFrame:
    """The customer table of a fitted ``TransactionFeatures`` from its orders.

    The one definition of every feature from the order level on, shared by
    the pandas path and the local engines (which compute the orders where the
    rows live).  ``cutoff_ns`` is the cutoff's wall-clock nanoseconds.
    """
    inc = est.include_
    names = list(est.feature_names_out_)
    ord_cust, ord_time, ord_utc, ord_amt = orders.cust, orders.time, orders.utc, orders.amount
    n_cust_all = len(orders.ids)
    cutoff_day = cutoff_ns // NS_PER_DAY
    if len(ord_cust) == 0:
        logger.info("no purchase lines before the cutoff: the customer table is empty")
        return pd.DataFrame(columns=names, index=pd.Index([], name=index_name))
    # customers with at least one purchase
    n_orders = bincount(ord_cust, minlength=n_cust_all)
    has_purchase = n_orders > 0
    if not has_purchase.all():
        logger.info(
            "%d customer(s) have only return lines before the cutoff and are not in the table",
            int((~has_purchase).sum()),
        )
    gross = bincount(ord_cust, weights=ord_amt, minlength=n_cust_all)
    unmatched = orders.unmatched
    # one sort puts the orders by (customer, purchase day): the distinct days, the first
    # and last day and the first and last instant of each customer are runs of it
    ord_day = ord_time // NS_PER_DAY
    min_day = int(ord_day.min())
    span = int(ord_day.max()) - min_day + 1
    dkey = ord_cust * span + (ord_day - min_day)
    perm = np.argsort(dkey)
    day_starts, ukey = segments(dkey[perm])  # one run per (customer, day)
    day_cust = ukey // span
    day_num = ukey % span + min_day
    n_days = bincount(day_cust, minlength=n_cust_all)
    cust_starts, present = segments(day_cust)  # runs of days per customer
    cust_ends = np.append(cust_starts[1:], len(day_cust)) - 1
    first_day = np.zeros(n_cust_all, dtype=np.int64)
    last_day = np.zeros(n_cust_all, dtype=np.int64)
    first_day[present] = day_num[cust_starts]
    last_day[present] = day_num[cust_ends]
    order_starts = day_starts[cust_starts]  # first order (in sorted order) of each customer

    cols: dict[str, np.ndarray] = {}
    freq = n_orders if est.frequency == "orders" else n_days
    monetary = gross if est.monetary == "gross" else gross - unmatched
    with np.errstate(divide="ignore", invalid="ignore"):
        if "rfm" in inc:
            cols["recency_days"] = cutoff_day - last_day
            cols["frequency"] = freq
            cols["monetary_total"] = monetary
            cols["monetary_mean"] = monetary / freq
        if "tenure" in inc:
            cols["tenure_days"] = cutoff_day - first_day
        if "interpurchase" in inc:
            same = day_cust[1:] == day_cust[:-1]
            gaps = np.diff(day_num)[same].astype(float)
            gcust = day_cust[1:][same]
            n_gaps = bincount(gcust, minlength=n_cust_all)
            s1 = bincount(gcust, weights=gaps, minlength=n_cust_all)
            mean = np.where(n_gaps > 0, s1 / n_gaps, np.nan)
            dev = gaps - mean[gcust]
            s2 = bincount(gcust, weights=dev * dev, minlength=n_cust_all)
            cols["interpurchase_mean_days"] = mean
            cols["interpurchase_std_days"] = np.where(
                n_gaps > 1, np.sqrt(s2 / np.maximum(n_gaps - 1, 1)), np.nan
            )
        if "basket" in inc:
            assert orders.units is not None and orders.distinct_items is not None
            cols["items_per_order"] = orders.units / n_orders
            cols["distinct_items"] = orders.distinct_items
        if "windows" in inc:
            for days in est._window_days():
                inw = ord_time >= cutoff_ns - days * NS_PER_DAY
                cols[f"orders_{days}d"] = bincount(ord_cust[inw], minlength=n_cust_all)
                cols[f"spend_{days}d"] = bincount(
                    ord_cust[inw], weights=ord_amt[inw], minlength=n_cust_all
                )
        if "trend" in inc:
            tw = est._trend_days() * NS_PER_DAY
            recent = ord_time >= cutoff_ns - tw
            prior = (ord_time >= cutoff_ns - 2 * tw) & ~recent
            s1 = bincount(ord_cust[recent], weights=ord_amt[recent], minlength=n_cust_all)
            s0 = bincount(ord_cust[prior], weights=ord_amt[prior], minlength=n_cust_all)
            tot = s1 + s0
            cols["spend_trend"] = np.where(tot > 0, (s1 - s0) / np.where(tot > 0, tot, 1), 0.0)
        if "returns" in inc:
            ret_val, gross_logged = orders.return_value, orders.gross_logged
            cols["return_value"] = ret_val
            cols["return_rate"] = np.where(
                gross_logged > 0, ret_val / np.where(gross_logged > 0, gross_logged, 1), 0.0
            )
        if "category" in inc and len(est.categories_):
            assert orders.category is not None
            shares = orders.category / np.where(gross > 0, gross, 1)[:, None]
            for j, c in enumerate(est.categories_):
                cols[f"share_{c}"] = shares[:, j]
        if "btyd" in inc:
            unit = TIME_UNITS[est.time_unit]
            rep = n_days - 1
            cols["repeat_frequency"] = rep
            cols["btyd_recency"] = (last_day - first_day) / unit
            cols["btyd_T"] = (cutoff_day - first_day) / unit
            day_amt = np.add.reduceat(ord_amt[perm], day_starts)
            first_day_amt = bincount(
                day_cust, weights=np.where(day_num == first_day[day_cust], day_amt, 0.0),
                minlength=n_cust_all,
            )
            cols["btyd_monetary_mean"] = np.where(
                rep > 0, (gross - first_day_amt) / np.maximum(rep, 1), np.nan
            )

    index = pd.Index(orders.ids[has_purchase], name=index_name)
    data: dict[str, Any] = {}
    for name in names:
        if name == "first_purchase":  # present = the customers with a purchase, in order
            data[name] = from_utc_ns(np.minimum.reduceat(ord_utc[perm], order_starts), tz)
        elif name == "last_purchase":
            data[name] = from_utc_ns(np.maximum.reduceat(ord_utc[perm], order_starts), tz)
        else:
            data[name] = cols[name][has_purchase]
    return pd.DataFrame(data, index=index, columns=names)
