"""Cleaning a transaction log, with a report of every row: :func:`clean_transactions`."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat
from typing import Any, Literal

import numpy as np
import pandas as pd

from crmine.schema._duplicates import _duplicated
from crmine.schema._report import NET_REASONS, REASONS, CleaningReport
from crmine.schema._returns import match_returns
from crmine.schema._schema import TransactionSchema, resolve_schema, transaction_amount
from crmine.schema._validate import prepare_log, read_log
from crmine.utils._validation import purchase_mask

__all__ = ["clean_transactions", "net_returns"]

_RETURNS = ("net", "drop", "keep")
_DUPLICATES = ("keep", "drop", "ignore")


def _check_option(name: str, value: object, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")


def as_bound(value: Any, times: pd.Series, name: str) -> pd.Timestamp:
    """A ``start``/``end``/``cutoff`` as a Timestamp in the time zone of ``times``."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}={value!r} is not a timestamp. Fix: '2011-12-10'.") from exc
    if pd.isna(ts):
        raise ValueError(
            f"{name}={value!r} is missing (NaT). Fix: pass a timestamp such as '2011-12-10', "
            f"or {name}=None for the default."
        )
    tz = getattr(times.dt, "tz", None)
    if tz is not None and ts.tzinfo is None:
        try:
            ts = ts.tz_localize(tz)
        except Exception as exc:  # ambiguous or nonexistent local time (pytz errors)
            raise ValueError(
                f"{name}={value!r} is not a unique local time in {tz} (a daylight-saving "
                f"change: {exc}). Fix: pass an aware timestamp, e.g. "
                f"pd.Timestamp({str(value)!r}, tz='UTC')."
            ) from exc
    elif tz is None and ts.tzinfo is not None:
        raise ValueError(
            f"{name}={value!r} is timezone-aware but the log's timestamps are naive. "
            "Fix: pass a naive timestamp."
        )
    return ts


def _distinct(codes: np.ndarray, n: int, rows: np.ndarray | None = None) -> int:
    """Distinct non-missing codes (``-1`` = missing) among ``rows`` (positions; all if None)."""
    if n == 0:
        return 0
    seen = np.zeros(n + 1, dtype=bool)  # the last slot takes the -1s
    seen[codes if rows is None else codes[rows]] = True
    return int(np.count_nonzero(seen[:n]))


def _starts_with(uniques: pd.Index, prefix: str) -> np.ndarray:
    """Which distinct ids start with ``prefix`` (their text form; one test per distinct id)."""
    if uniques.dtype == object:
        values = uniques.to_numpy()
        try:  # all text: str.startswith over the distinct ids, without a conversion
            return np.fromiter(
                map(str.startswith, values, repeat(prefix)), dtype=bool, count=len(values)
            )
        except TypeError:  # numbers or other objects among them: their text form below
            pass
    return np.asarray(uniques.astype(str).str.startswith(prefix), dtype=bool)



def _time_ns(times: pd.Series) -> np.ndarray:
    """Timestamps as int64 nanoseconds (UTC instants for aware ones), for ordering."""
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def net_returns(
    customer_codes: np.ndarray,
    item_values: np.ndarray | None,
    time_ns: np.ndarray,
    units: np.ndarray,
    amount: np.ndarray,
    is_return: np.ndarray,
    eligible: np.ndarray,
    *,
    item_codes: np.ndarray | None = None,
) -> pd.DataFrame:
    """Apply :func:`match_returns` to the groups of a log that hold a return.

    ``eligible`` marks the purchase lines that may be undone; ``is_return``
    the return lines.  Only the (customer, item) groups with a return line are
    matched.  ``item_codes`` (the item column already factorised) spares a
    factorisation.  Returns the adjustments for the rows involved, indexed by
    row position.
    """
    has_ret = np.zeros(int(customer_codes.max(initial=-1)) + 1, dtype=bool)
    has_ret[customer_codes[is_return & (customer_codes >= 0)]] = True
    cand = (eligible | is_return) & (customer_codes >= 0)
    cand &= has_ret[np.maximum(customer_codes, 0)]
    pos = np.flatnonzero(cand)
    item = None
    icodes = None
    if item_values is not None or item_codes is not None:
        if item_codes is not None:
            icodes = np.asarray(item_codes)[pos]
        else:
            icodes, _ = pd.factorize(item_values[pos])
        width = int(icodes.max(initial=0)) + 2
        key = customer_codes[pos].astype(np.int64) * width + icodes + 1
        # hash-table membership (np.isin would sort millions of keys)
        in_group = pd.Index(np.unique(key[is_return[pos]])).get_indexer(key) >= 0
        pos = pos[in_group]
        icodes = icodes[in_group]
        item = "item"
    frame = pd.DataFrame(
        {
            "customer": customer_codes[pos],
            "time": time_ns[pos],
            "quantity": units[pos],
            "amount": amount[pos],
            "is_return": is_return[pos],
        }
    )
    if icodes is not None:
        frame["item"] = icodes
    adj = match_returns(frame, item=item, is_return="is_return")
    adj.index = pos
    return adj


def engine_for(log: Any, returns: str) -> Any:
    """The engine adapter for ``log`` (``None`` for pandas): ``find_engine``.

    Every adapter applies the same rules; an adapter that cannot net returns
    (``returns="net"``) refuses it with the fix rather than return other numbers.
    """
    from crmine.utils._engines import find_engine

    return find_engine(log)


def clean_transactions(
    log: pd.DataFrame,
    schema: TransactionSchema | Mapping[str, Any] | None = None,
    *,
    columns: Mapping[str, Any] | None = None,
    returns: Literal["net", "drop", "keep"] = "net",
    cancellation_prefix: str | None = "C",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    duplicates: Literal["keep", "drop"] = "keep",
) -> tuple[pd.DataFrame, CleaningReport]:
    """Remove the lines a customer analysis should not count, and report them.

    Each row is tested against the reasons below in this order and counted
    under the first that applies:

    1. ``missing_customer``: no customer id (always dropped).
    2. ``outside_date_range``: timestamp before ``start`` or at/after ``end``.
    3. ``cancellation_or_return``: the order id starts with
       ``cancellation_prefix`` or the quantity (the amount when there is no
       quantity column) is negative.  Dropped with ``returns="net"`` (after
       netting) and ``"drop"``; kept with ``returns="keep"``.
    4. ``non_positive_quantity``: quantity zero (negative ones are returns).
    5. ``non_positive_price``: price (amount when there is no price column)
       zero or negative: free lines and accounting adjustments.
    6. ``exact_duplicate``: a row identical in every column to an earlier one.
       Kept by default (``duplicates="keep"``; real logs often hold repeated
       scans of the same item) but counted (unless ``duplicates="ignore"``).
    7. With ``returns="net"``: ``returned_purchase``, a purchase line fully
       undone by later returns (dropped), and ``partly_returned``, a purchase
       line partly undone (kept with the remaining quantity and value).

    **Netting** (the default) matches every return line to the earlier
    purchases of the same customer and item it undoes, latest first, by
    quantity (by value without a quantity column); see
    :func:`crmine.schema.match_returns`.  A fully cancelled order disappears.
    Returns without an earlier purchase in the log are dropped and counted as
    unmatched.  ``returns="drop"`` is the textbook rule (drop the return and
    cancellation lines, keep the purchases they undo): on Online Retail it
    gives the widely published 4,338 customers and 8,911,407.90 revenue, but
    it counts cancelled orders as sales.

    Parameters
    ----------
    log : pandas.DataFrame, polars or pyarrow table
        Transaction log.  Never modified.
    schema : TransactionSchema or mapping, optional
        Column roles; the default schema when omitted.
    columns : mapping, optional
        The roles as ``{role: column}`` (instead of ``schema``).
    returns : {"net", "drop", "keep"}, default "net"
        Match returns to the purchases they undo and net them; drop the
        return lines only; or keep them (for ``TransactionFeatures``).
    cancellation_prefix : str or None, default "C"
        Order ids starting with it are cancellations (Online Retail's
        convention).  ``None`` relies on negative quantities alone.
    start, end : str or Timestamp, optional
        Keep rows with ``start <= timestamp < end``.
    duplicates : {"keep", "drop", "ignore"}, default "keep"
        What to do with exact duplicate rows: keep or drop them (counted either
        way), or ``"ignore"``: the cheap mode, where rows are not compared at
        all (kept, report row ``"not checked"``); the one costly rule.

    Returns
    -------
    clean : pandas.DataFrame
        The kept rows in their original order, with the timestamp column parsed
        to datetime, an ``amount`` column added when the log had only
        quantity and price, and quantity/amount reduced on partly returned
        purchase lines.
    report : CleaningReport
        Rows and value in, out and per reason; matched and unmatched returns.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import clean_transactions
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, None, 2],
    ...     "order_id": ["A1", "A1", "C2", "A3", "A4"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02",
    ...                                  "2024-01-03", "2024-01-04"]),
    ...     "item": ["x", "y", "x", "z", "x"],
    ...     "quantity": [2, 1, -1, 1, 3],
    ...     "price": [5.0, 4.0, 5.0, 9.0, 0.0],
    ... })
    >>> clean, report = clean_transactions(log)
    >>> clean[["order_id", "item", "quantity", "amount"]]
      order_id item  quantity  amount
    0       A1    x         1     5.0
    1       A1    y         1     4.0
    >>> report.table["rows"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'missing_customer': 1, 'outside_date_range': 0, 'cancellation_or_return': 1,
     'non_positive_quantity': 0, 'non_positive_price': 1, 'exact_duplicate': 0,
     'returned_purchase': 0, 'partly_returned': 1}
    >>> textbook, _ = clean_transactions(log, returns="drop")
    >>> textbook["quantity"].tolist()
    [2, 1]
    """
    engine = engine_for(log, returns)
    if engine is not None:
        return engine.clean_transactions(
            log, resolve_schema(schema, columns), returns=returns,
            cancellation_prefix=cancellation_prefix, start=start, end=end,
            duplicates=duplicates,
        )
    _check_option("returns", returns, _RETURNS)
    _check_option("duplicates", duplicates, _DUPLICATES)
    if cancellation_prefix is not None and (
        not isinstance(cancellation_prefix, str) or not cancellation_prefix
    ):
        raise ValueError(
            f"cancellation_prefix must be a non-empty string or None, got "
            f"{cancellation_prefix!r}."
        )
    schema = resolve_schema(schema, columns)
    raw = read_log(log)
    codes: dict[str, tuple[np.ndarray, Any]] = {}
    for role in ("customer", "order"):  # the ids are factorised once, here
        col = getattr(schema, role)
        if int((raw.columns == col).sum()) == 1:  # else validation says what is wrong
            codes[role] = pd.factorize(raw[col])
    df = prepare_log(raw, schema, codes=codes, allow_missing_customers=True)
    amount = transaction_amount(df, schema)
    added_amount = not schema.has(df, "amount")
    n = len(df)
    time = df[schema.time]

    cust_codes, cust_uniques = codes["customer"]
    order_codes, order_uniques = codes["order"]
    masks: dict[str, np.ndarray] = {}
    masks["missing_customer"] = cust_codes < 0
    out_range = np.zeros(n, dtype=bool)
    if start is not None:
        out_range |= (time < as_bound(start, time, "start")).to_numpy()
    if end is not None:
        out_range |= (time >= as_bound(end, time, "end")).to_numpy()
    masks["outside_date_range"] = out_range
    has_q = schema.has(df, "quantity")
    qty = df[schema.quantity].to_numpy(dtype=np.float64) if has_q else amount
    ret = qty < 0 if has_q else ~purchase_mask(amount)
    uniq = pd.Index(order_uniques)
    if cancellation_prefix and not pd.api.types.is_numeric_dtype(uniq.dtype):
        # the prefix test runs on the distinct order ids, not on every row
        prefixed = _starts_with(uniq, cancellation_prefix)
        if prefixed.any():
            ret |= prefixed[order_codes]
    masks["cancellation_or_return"] = ret
    masks["non_positive_quantity"] = (qty == 0) if has_q else np.zeros(n, dtype=bool)
    price = df[schema.price].to_numpy(dtype=np.float64) if schema.has(df, "price") else amount
    masks["non_positive_price"] = price <= 0
    item_codes = None
    if duplicates == "ignore":  # the cheap mode: no row is hashed
        masks["exact_duplicate"] = np.zeros(n, dtype=bool)
    else:
        known = {schema.customer: cust_codes, schema.order: order_codes}
        prefer = (schema.item,) if schema.has(raw, "item") else ()
        masks["exact_duplicate"] = _duplicated(raw, known, prefer, block=order_codes)
        item_codes = known.get(schema.item) if prefer else None

    drop_action = {
        "missing_customer": True,
        "outside_date_range": True,
        "cancellation_or_return": returns != "keep",
        "non_positive_quantity": True,
        "non_positive_price": True,
        "exact_duplicate": duplicates == "drop",
    }
    assigned = np.zeros(n, dtype=bool)
    keep = np.ones(n, dtype=bool)
    rows, values, actions = [], [], []
    hits: dict[str, np.ndarray] = {}
    for reason in REASONS:
        hit = masks[reason] & ~assigned
        hits[reason] = hit
        rows.append(int(hit.sum()))
        values.append(float(amount[hit].sum()))
        actions.append("dropped" if drop_action[reason] else "kept")
        if reason == "exact_duplicate" and duplicates == "ignore":
            actions[-1] = "not checked"
        if drop_action[reason]:
            keep &= ~hit
        # kept rows are attributed too, so that later reasons do not count them twice
        assigned |= hit

    stats: dict[str, Any] = {}
    new_amount = amount
    new_qty = None
    if returns == "net":
        is_ret = hits["cancellation_or_return"]
        eligible = keep & ~is_ret
        # without an item column (or a quantity) returns are matched by value
        by_value = not (has_q and schema.has(df, "item"))
        units = np.abs(amount) if by_value else np.abs(qty)
        if is_ret.any():
            item_values = (df[schema.item].to_numpy() if schema.has(df, "item") else None)
            adj = net_returns(cust_codes, item_values, _time_ns(time), units, amount,
                              is_ret, eligible, item_codes=item_codes)
        else:
            adj = pd.DataFrame(columns=["matched_quantity", "matched_value",
                                        "unmatched_quantity", "unmatched_value"], dtype=float)
        pos = adj.index.to_numpy(dtype=np.int64)
        m_q = adj["matched_quantity"].to_numpy()
        m_v = adj["matched_value"].to_numpy()
        r_sub = is_ret[pos]
        purchase_hit = ~r_sub & (m_q > 0)
        full = purchase_hit & (m_q >= units[pos])
        part = purchase_hit & ~full
        gone = pos[full]
        keep[gone] = False
        red_pos, red_q, red_v = pos[part], m_q[part], m_v[part]
        if by_value and has_q:  # the quantity shrinks in proportion to the value
            with np.errstate(divide="ignore", invalid="ignore"):
                share = m_q / np.where(units[pos] > 0, units[pos], 1.0)
            m_q = share * np.abs(qty[pos])
            red_q = m_q[part]
        rows += [len(gone), len(red_pos)]
        values += [float(amount[gone].sum()), float(red_v.sum())]
        actions += ["dropped", "reduced"]
        new_amount = amount.copy()
        new_amount[red_pos] = amount[red_pos] - np.sign(amount[red_pos]) * red_v
        if has_q:  # only the reduced rows change; the column is rebuilt after the take
            new_qty = (red_pos, qty[red_pos] - red_q)
        u_q = adj["unmatched_quantity"].to_numpy()
        n_unmatched = int((u_q[r_sub] > 0).sum())
        if by_value and has_q:
            with np.errstate(divide="ignore", invalid="ignore"):
                u_q = np.where(units[pos] > 0, u_q / np.where(units[pos] > 0, units[pos], 1.0),
                               0.0) * np.abs(qty[pos])
        stats = {
            "returns_matched": int((m_q[r_sub] > 0).sum()),
            "returns_unmatched": n_unmatched + int(is_ret.sum() - r_sub.sum()),
            "purchases_undone": int(purchase_hit.sum()),
            "quantity_matched": float(m_q[~r_sub].sum()),
            "value_matched": float(m_v[~r_sub].sum()),
            "quantity_unmatched": float(u_q.sum())
            + float(np.abs(qty[is_ret]).sum() - np.abs(qty[pos[r_sub]]).sum()),
            "value_unmatched": float(adj["unmatched_value"].sum())
            + float(np.abs(amount[is_ret]).sum() - np.abs(amount[pos[r_sub]]).sum()),
        }
        index = NET_REASONS
        del units, eligible, is_ret, adj
    else:
        index = REASONS
    reasons = pd.DataFrame(
        {"rows": rows, "value": values, "action": actions},
        index=pd.Index(index, name="reason"),
    )
    kept = np.flatnonzero(keep)  # positions, used for every output below
    kept_amount = new_amount[kept]
    counts = {
        "rows_in": n,
        "rows_out": len(kept),
        "value_in": float(amount.sum()),
        "value_out": float(kept_amount.sum()),
        "customers_in": len(cust_uniques),
        "customers_out": _distinct(cust_codes, len(cust_uniques), kept),
        "orders_in": len(order_uniques),
        "orders_out": _distinct(order_codes, len(order_uniques), kept),
    }
    amount_changed = new_amount is not amount
    # the row-sized working arrays are let go before the output is built: a lower peak
    del masks, hits, hit, keep, assigned, codes, cust_codes, order_codes, amount, new_amount
    del qty, price, ret, out_range
    known = item_codes = None
    clean = df.take(kept)
    if added_amount:
        clean["amount"] = kept_amount
    elif amount_changed:
        clean[schema.amount] = _like(kept_amount, df[schema.amount])
    if new_qty is not None:
        clean[schema.quantity] = _reduced(clean[schema.quantity], kept, *new_qty)
    return clean, CleaningReport(reasons, returns=returns, **counts, **stats)


def _reduced(kept: pd.Series, positions: np.ndarray, rows: np.ndarray, new: np.ndarray) -> Any:
    """The kept quantities with ``new`` at the row positions ``rows`` (``positions`` = kept rows).

    In the column's integer dtype when the new values are whole numbers, as
    :func:`_like` gives for the whole column; float64 otherwise.
    """
    at = np.searchsorted(positions, rows)
    dtype = kept.dtype
    if pd.api.types.is_integer_dtype(dtype) and np.all(new == np.round(new)):
        out = kept.to_numpy(dtype=getattr(dtype, "numpy_dtype", dtype), copy=True)
    else:
        out = kept.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    out[at] = new
    return out


def _like(values: np.ndarray, original: pd.Series) -> Any:
    """New values in the original column's dtype when they fit it exactly."""
    if pd.api.types.is_integer_dtype(original.dtype) and np.all(values == np.round(values)):
        return values.astype(original.dtype.numpy_dtype if hasattr(
            original.dtype, "numpy_dtype") else original.dtype)
    return values
