"""Acquisition cohorts and retention from a transaction log.

A customer's **cohort** is the period (month by default) of their first
purchase.  For every cohort and every number of periods since acquisition
(``period_index`` 0, 1, 2, ...) :func:`cohort_table` counts

* ``customers``: the size of the cohort (customers acquired in that period);
* ``active_customers``: cohort members with at least one purchase line in
  that calendar period;
* ``retention = active_customers / customers`` (1 at ``period_index`` 0 by
  definition);
* ``revenue`` of the cohort in that period, ``revenue_per_customer =
  revenue / customers`` and its running sum ``cumulative_revenue_per_customer``
  (the cohort's average value to date);
* ``orders`` (distinct orders with a purchase line).

Definitions (the same as everywhere in crmine):

* the log is cleaned with :func:`crmine.clean_transactions` (``returns``:
  returned purchases netted out by default, or return lines dropped, or
  kept as negative revenue);
* a purchase line is :func:`crmine.utils._validation.purchase_mask` (value
  ``>= 0``): only purchase lines make a customer active or acquired, returns
  only lower revenue;
* point in time: only rows with ``timestamp < cutoff`` are used (default:
  midnight after the last row); the calendar period containing the cutoff is
  **partial** when the cutoff is not its end, and every cell in that calendar
  period carries ``partial=True`` (its retention and revenue are not yet
  comparable with complete periods).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.exceptions import SchemaError
from crmine.schema import (
    TransactionSchema,
    clean_transactions,
    resolve_schema,
    transaction_amount,
)
from crmine.utils._engines import find_engine
from crmine.utils._validation import default_cutoff, purchase_mask, to_pandas

__all__ = ["CohortTable", "cohort_table", "customer_cohorts", "COHORT_METRICS"]

#: Columns of :attr:`CohortTable.table` that :meth:`CohortTable.matrix` can pivot.
COHORT_METRICS = (
    "customers",
    "active_customers",
    "retention",
    "orders",
    "revenue",
    "revenue_per_customer",
    "cumulative_revenue_per_customer",
)
_PERIODS = {"D": "D", "W": "W", "M": "M", "Q": "Q", "Y": "Y"}


@dataclass(frozen=True, repr=False)
class CohortTable(Result):
    """Acquisition-cohort table (result of :func:`cohort_table`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (``cohort``, ``period_index``) with columns ``period``
        (the calendar period), ``customers``, ``active_customers``,
        ``retention``, ``orders``, ``revenue``, ``revenue_per_customer``,
        ``cumulative_revenue_per_customer`` and ``partial``.
    period : str
        Period length: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.
    cutoff : pandas.Timestamp
        Rows at or after it are ignored.
    n_cohorts, n_customers : int
        Number of cohorts and of acquired customers.
    last_period_partial : bool
        Whether the calendar period that contains the cutoff is incomplete.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1], "order_id": ["a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01"]), "amount": [10.0, 5.0]})
    >>> cohort_table(log).matrix("retention")
    period_index    0    1
    cohort
    2024-01       1.0  1.0
    """

    period: str = "M"
    cutoff: Any = None
    n_cohorts: int = 0
    n_customers: int = 0
    last_period_partial: bool = False

    def matrix(self, metric: str = "retention") -> pd.DataFrame:
        """Pivot one metric to a cohort x ``period_index`` matrix.

        Cells after the cutoff are missing (NaN).

        Parameters
        ----------
        metric : str, default "retention"
            One of :data:`COHORT_METRICS`.

        Returns
        -------
        pandas.DataFrame
            Index ``cohort``, columns ``period_index`` 0, 1, ...
        """
        if metric not in COHORT_METRICS:
            raise ValueError(
                f"metric={metric!r} is not a cohort metric; use one of {list(COHORT_METRICS)}."
            )
        return self.table[metric].unstack("period_index")

    def partial_mask(self) -> pd.DataFrame:
        """Boolean cohort x ``period_index`` matrix: True where the cell is partial."""
        return self.table["partial"].unstack("period_index", fill_value=False).astype(bool)


def _check_period(period: Any) -> str:
    if not isinstance(period, str) or period.upper() not in _PERIODS:
        raise ValueError(
            f"period={period!r} is not supported; use one of 'D', 'W', 'M', 'Q', 'Y' "
            "(day, week, month, quarter, year)."
        )
    return _PERIODS[period.upper()]


def _naive(times: pd.Series) -> pd.Series:
    """Wall-clock times without the zone (periods are calendar periods of the data's zone)."""
    if getattr(times.dt, "tz", None) is not None:
        return times.dt.tz_localize(None)
    return times


def _collect(clean: Any, schema: TransactionSchema) -> pd.DataFrame:
    """The cleaned log of an engine as pandas, with only the columns cohorts read."""
    if isinstance(clean, pd.DataFrame):
        return clean
    if hasattr(clean, "collect_schema"):  # polars
        names = clean.collect_schema().names()
    elif hasattr(clean, "column_names"):  # Arrow table
        names = list(clean.column_names)
    else:  # Spark DataFrame
        names = list(clean.columns)
    wanted = [schema.customer, schema.order, schema.time, schema.amount, schema.quantity,
              schema.price]
    cols = [c for c in dict.fromkeys(wanted) if c in names]
    if hasattr(clean, "toPandas"):  # Spark
        out = clean.select(*cols).toPandas()
    else:
        picked = clean.select(cols)
        if type(picked).__name__ == "LazyFrame":
            picked = picked.collect()
        out = picked.to_pandas()
    return out


def _prepare(
    log: Any,
    schema: TransactionSchema | None,
    cutoff: Any,
    returns: str,
) -> tuple[pd.DataFrame, TransactionSchema, pd.Timestamp]:
    """Clean the log, keep rows before the cutoff; returns (frame, schema, naive cutoff)."""
    if returns not in ("net", "drop", "keep"):
        raise ValueError(f"returns must be 'net', 'drop' or 'keep', got {returns!r}.")
    schema = resolve_schema(schema)
    if find_engine(log) is not None:
        # polars, Arrow, DuckDB, Parquet or Spark: cleaning (with its netting) runs where the
        # rows live, and only the columns cohorts need come back to pandas
        clean, _ = clean_transactions(log, schema, returns=returns)
        clean = _collect(clean, schema)
    else:
        log = to_pandas(log, name="log", allow_arrays=False)
        clean, _ = clean_transactions(log, schema, returns=returns)
    times = clean[schema.time]
    tz = getattr(times.dt, "tz", None)
    if cutoff is None:
        if len(times) == 0:
            raise SchemaError(
                "no rows are left after cleaning (every row was a return, a cancellation or "
                "had no customer); cohorts need purchases. Check the log or the schema."
            )
        cut = default_cutoff(times)
    else:
        try:
            cut = pd.Timestamp(cutoff)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"cutoff={cutoff!r} is not a timestamp. Fix: '2011-12-01'.") from exc
        if tz is not None and cut.tzinfo is None:
            cut = cut.tz_localize(tz)
        elif tz is None and cut.tzinfo is not None:
            raise SchemaError(
                f"cutoff={cutoff!r} is timezone-aware but the log's timestamps are naive. "
                "Fix: pass a naive cutoff."
            )
        elif tz is not None:
            cut = cut.tz_convert(tz)
    clean = clean.loc[(times < cut).to_numpy()]
    naive_cut = cut.tz_localize(None) if cut.tzinfo is not None else cut
    return clean, schema, naive_cut


def _acquisition(
    clean: pd.DataFrame, schema: TransactionSchema, period: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Per-line frame with customer, period ordinal, amount, purchase flag; and cohorts."""
    amount = transaction_amount(clean, schema) if len(clean) else np.zeros(0)
    times = _naive(clean[schema.time])
    lines = pd.DataFrame(
        {
            "customer": clean[schema.customer].to_numpy(),
            "order": clean[schema.order].to_numpy(),
            "time": times.to_numpy(),
            "period": times.dt.to_period(period).astype("int64").to_numpy()
            if len(times)
            else np.zeros(0, dtype=np.int64),
            "amount": amount,
            "purchase": purchase_mask(amount),
        }
    )
    buys = lines.loc[lines["purchase"]]
    if len(buys) == 0:
        raise SchemaError(
            "the log has no purchase line before the cutoff (value >= 0); cohorts need at "
            "least one purchase. Check cutoff= or the log."
        )
    first = buys.groupby("customer", sort=True)["time"].min()
    return lines, first


def customer_cohorts(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    period: Literal["D", "W", "M", "Q", "Y"] = "M",
    cutoff: str | pd.Timestamp | None = None,
    returns: Literal["net", "drop", "keep"] = "net",
) -> pd.DataFrame:
    """The acquisition cohort of every customer (one-liner).

    Parameters
    ----------
    log : DataFrame (pandas, polars or pyarrow)
        Transaction log; cleaned with :func:`crmine.clean_transactions`.
    schema : TransactionSchema, optional
        Column roles; the default schema when omitted.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Cohort length.
    cutoff : str or Timestamp, optional
        Only rows strictly before it are used; default midnight after the
        last row.
    returns : {"net", "drop", "keep"}, default "net"
        Passed to :func:`crmine.clean_transactions`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``first_purchase`` (timestamp of the first
        purchase line), ``cohort`` (its period as a string such as
        ``"2011-01"``) and ``periods_since_acquisition`` (complete or partial
        periods from the cohort to the period of the cutoff).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 2], "order_id": ["a", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-10"]),
    ...     "amount": [10.0, 5.0, 7.0]})
    >>> customer_cohorts(log)
                first_purchase   cohort  periods_since_acquisition
    customer_id
    1               2024-01-05  2024-01                          2
    2               2024-02-10  2024-02                          1
    """
    period = _check_period(period)
    clean, schema, cut = _prepare(log, schema, cutoff, returns)
    _, first = _acquisition(clean, schema, period)
    cohort = first.dt.to_period(period)
    last = (cut - pd.Timedelta(1, "ns")).to_period(period)
    out = pd.DataFrame(
        {
            # nanoseconds whatever the engine handed over (Spark gives microseconds on pandas 3)
            "first_purchase": first.dt.as_unit("ns"),
            "cohort": cohort.astype(str),
            "periods_since_acquisition": (last.ordinal - cohort.astype("int64")).astype(np.int64),
        }
    )
    out.index.name = schema.customer
    return out


def cohort_table(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    period: Literal["D", "W", "M", "Q", "Y"] = "M",
    cutoff: str | pd.Timestamp | None = None,
    returns: Literal["net", "drop", "keep"] = "net",
) -> CohortTable:
    """Acquisition-cohort table: size, retention and revenue by periods since acquisition.

    See the module docstring for the definitions.  Revenue is attributed to
    the calendar period of each line.

    Parameters
    ----------
    log : DataFrame (pandas, polars or pyarrow)
        Transaction log (one row per line); never modified.
    schema : TransactionSchema, optional
        Column roles; the default schema when omitted.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Period of cohorts and of ``period_index``.
    cutoff : str or Timestamp, optional
        Only rows strictly before it are used; default midnight after the
        last row (a naive cutoff is read in the log's time zone).
    returns : {"net", "drop", "keep"}, default "net"
        Passed to :func:`crmine.clean_transactions`: ``"net"`` removes the
        purchases that were returned (revenue and activity net of returns,
        the house default); ``"drop"``: gross revenue (return lines dropped);
        ``"keep"``: return lines kept, lowering the revenue of the period in
        which they happen.

    Returns
    -------
    CohortTable
        ``.table`` indexed by (``cohort``, ``period_index``); ``.matrix(metric)``
        pivots one metric to a cohort x period matrix.

    Raises
    ------
    SchemaError
        Missing columns, unparseable timestamps, no purchase before the
        cutoff (see :func:`crmine.validate_transactions` for the rest).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3],
    ...     "order_id": ["a", "b", "c", "d", "e"],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-20",
    ...                                  "2024-03-03", "2024-02-14"]),
    ...     "amount": [10.0, 20.0, 30.0, 40.0, 50.0]})
    >>> res = cohort_table(log)
    >>> res.matrix("retention")
    period_index    0    1    2
    cohort
    2024-01       1.0  0.5  0.5
    2024-02       1.0  0.0  NaN
    >>> res.matrix("cumulative_revenue_per_customer")
    period_index     0     1     2
    cohort
    2024-01       20.0  30.0  50.0
    2024-02       50.0  50.0   NaN
    >>> bool(res.last_period_partial)
    True
    """
    period = _check_period(period)
    clean, schema, cut = _prepare(log, schema, cutoff, returns)
    lines, first = _acquisition(clean, schema, period)
    cohort_ord = first.dt.to_period(period).astype("int64")
    lines = lines.loc[lines["customer"].isin(cohort_ord.index)]
    lines = lines.assign(cohort=lines["customer"].map(cohort_ord).to_numpy(dtype=np.int64))
    lines = lines.assign(period_index=lines["period"] - lines["cohort"])
    last = (cut - pd.Timedelta(1, "ns")).to_period(period)
    partial_last = bool(cut < last.end_time)
    sizes = cohort_ord.value_counts().sort_index()

    keys = ["cohort", "period_index"]
    buys = lines.loc[lines["purchase"]]
    active = buys.groupby(keys)["customer"].nunique()
    orders = buys.groupby(keys)["order"].nunique()
    revenue = lines.groupby(keys)["amount"].sum()
    # every cell from acquisition up to the period of the cutoff
    cells = [
        (c, k) for c in sizes.index for k in range(int(last.ordinal - c) + 1)
    ]
    index = pd.MultiIndex.from_tuples(cells, names=keys)
    table = pd.DataFrame(index=index)
    coh = index.get_level_values("cohort").to_numpy()
    k = index.get_level_values("period_index").to_numpy()
    table["period"] = pd.PeriodIndex.from_ordinals(coh + k, freq=period).astype(str)
    table["customers"] = sizes.reindex(coh).to_numpy(dtype=np.int64)
    table["active_customers"] = active.reindex(index, fill_value=0).to_numpy(dtype=np.int64)
    table["retention"] = table["active_customers"] / table["customers"]
    table["orders"] = orders.reindex(index, fill_value=0).to_numpy(dtype=np.int64)
    table["revenue"] = revenue.reindex(index, fill_value=0.0).to_numpy(dtype=float)
    table["revenue_per_customer"] = table["revenue"] / table["customers"]
    table["cumulative_revenue_per_customer"] = table.groupby(level="cohort")[
        "revenue_per_customer"
    ].cumsum()
    table["partial"] = partial_last & (coh + k == last.ordinal)
    labels = pd.PeriodIndex.from_ordinals(coh, freq=period).astype(str)
    table.index = pd.MultiIndex.from_arrays([labels, k], names=keys)
    cut_out = pd.Timestamp(cut)
    tz = getattr(clean[schema.time].dt, "tz", None)
    if tz is not None:
        cut_out = cut_out.tz_localize(tz)
    return CohortTable(
        table=table,
        period=period,
        cutoff=cut_out,
        n_cohorts=int(len(sizes)),
        n_customers=int(sizes.sum()),
        last_period_partial=partial_last,
    )
