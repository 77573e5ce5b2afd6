"""Each customer's ordered baskets, read once from a transaction log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.schema import (
    TransactionSchema,
    clean_transactions,
    resolve_schema,
    transaction_amount,
)
from crmine.utils._validation import default_cutoff, purchase_mask, show_values, to_pandas

__all__ = ["CustomerSequences", "read_sequences"]


@dataclass(frozen=True)
class CustomerSequences:
    """Ordered baskets of every customer (internal representation).

    Attributes
    ----------
    customers : pandas.Index
        Customer ids (sorted), one per sequence.
    items : pandas.Index
        Item labels; baskets hold integer codes into it.
    baskets : list of list of frozenset
        ``baskets[c][j]`` is the set of item codes of customer ``c``'s
        ``j``-th order (orders sorted by time, then order id).
    days : list of numpy.ndarray
        ``days[c][j]``: time of that order in days since the first row.
    cutoff : pandas.Timestamp
        Rows at or after it were ignored.
    start : pandas.Timestamp
        Origin of ``days``.
    """

    customers: pd.Index
    items: pd.Index
    baskets: list[list[frozenset[int]]]
    days: list[np.ndarray]
    cutoff: pd.Timestamp
    start: pd.Timestamp

    @property
    def n_customers(self) -> int:
        """Number of customers (sequences)."""
        return len(self.customers)


def _as_cutoff(cutoff: Any, times: pd.Series) -> pd.Timestamp:
    tz = getattr(times.dt, "tz", None)
    if cutoff is None:
        return default_cutoff(times)
    try:
        cut = pd.Timestamp(cutoff)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cutoff={cutoff!r} is not a timestamp. Fix: '2011-09-01'.") from exc
    if tz is not None and cut.tzinfo is None:
        return cut.tz_localize(tz)
    if tz is None and cut.tzinfo is not None:
        raise SchemaError(
            f"cutoff={cutoff!r} is timezone-aware but the log's timestamps are naive. "
            "Fix: pass a naive cutoff."
        )
    return cut


def clean_log(
    log: Any, schema: TransactionSchema | None
) -> tuple[pd.DataFrame, TransactionSchema]:
    """Cleaned purchase lines of a log (pandas, polars or pyarrow) with an item column."""
    schema = resolve_schema(schema)
    log = to_pandas(log, name="log", allow_arrays=False)
    if not isinstance(log, pd.DataFrame):
        raise TypeError(f"log must be a transaction log DataFrame, got {type(log).__name__}.")
    if schema.item is None or schema.item not in log.columns:
        raise SchemaError(
            f"sequences need the item column {schema.item!r}, which the log does not have "
            f"(columns {show_values(list(log.columns), 12)}). Fix: "
            "schema=TransactionSchema(item='<item column>')."
        )
    has_value = schema.has(log, "amount") or (
        schema.has(log, "quantity") and schema.has(log, "price")
    )
    if has_value:
        clean, _ = clean_transactions(log, schema)
        clean = clean.loc[purchase_mask(transaction_amount(clean, schema))]
    else:  # an item log without money: validate the structure only
        from crmine.schema import prepare_log

        clean = prepare_log(log, schema, require_value=False, allow_missing_customers=True)
        clean = clean.loc[clean[schema.customer].notna().to_numpy()]
    missing = clean[schema.item].isna().to_numpy()
    if missing.any():
        raise SchemaError(
            f"item column {schema.item!r} has {int(missing.sum())} missing value(s); every "
            "purchase line needs an item. Fix: fill or drop them."
        )
    return clean, schema


def read_sequences(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    cutoff: Any = None,
    start: Any = None,
) -> CustomerSequences:
    """Build every customer's ordered baskets from the purchase lines before ``cutoff``.

    Parameters
    ----------
    log : DataFrame (pandas, polars or pyarrow)
        Transaction log with customer, order, time and item columns.
    schema : TransactionSchema, optional
        Column roles.
    cutoff : str or Timestamp, optional
        Only rows strictly before it; default midnight after the last row.
    start : str or Timestamp, optional
        Only rows at or after it.

    Returns
    -------
    CustomerSequences
    """
    clean, schema = clean_log(log, schema)
    times = clean[schema.time]
    if len(clean) == 0:
        raise SchemaError(
            "no purchase line is left after cleaning; sequences need purchases. Check the log."
        )
    cut = _as_cutoff(cutoff, times)
    keep = (times < cut).to_numpy()
    if start is not None:
        keep = keep & (times >= _as_cutoff(start, times)).to_numpy()
    clean = clean.loc[keep]
    if len(clean) == 0:
        raise SchemaError(
            f"no purchase line before cutoff={cut}; sequences need purchases. Check cutoff=."
        )
    times = clean[schema.time]
    origin = times.min().normalize()
    cust_codes, customers = pd.factorize(clean[schema.customer], sort=True)
    item_codes, items = pd.factorize(clean[schema.item], sort=False)
    order_codes, _ = pd.factorize(clean[schema.order].astype(str), sort=True)
    day = ((times - origin) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    lines = pd.DataFrame(
        {"c": cust_codes, "o": order_codes, "t": day, "i": item_codes}
    )
    # an order's time is its first line's time; orders sorted by (customer, time, order id)
    first_t = lines.groupby("o", sort=False)["t"].transform("min")
    lines = lines.assign(t=first_t).sort_values(["c", "t", "o"], kind="stable")
    baskets: list[list[frozenset[int]]] = [[] for _ in range(len(customers))]
    days: list[list[float]] = [[] for _ in range(len(customers))]
    c_arr, o_arr, t_arr, i_arr = (lines[k].to_numpy() for k in ("c", "o", "t", "i"))
    bounds = np.flatnonzero(np.r_[True, (o_arr[1:] != o_arr[:-1]) | (c_arr[1:] != c_arr[:-1]),
                                  True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        c = int(c_arr[lo])
        baskets[c].append(frozenset(i_arr[lo:hi].tolist()))
        days[c].append(float(t_arr[lo]))
    return CustomerSequences(
        customers=pd.Index(customers, name=schema.customer),
        items=pd.Index(items, name=schema.item),
        baskets=baskets,
        days=[np.asarray(d, dtype=float) for d in days],
        cutoff=cut,
        start=origin,
    )
