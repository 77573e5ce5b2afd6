"""The account of a cleaning run: :class:`CleaningReport`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from crmine.base import Result

__all__ = ["REASONS", "NET_REASONS", "CleaningReport"]

#: The reasons of the textbook cleaning, in the order they are tested.
REASONS = (
    "missing_customer",
    "outside_date_range",
    "cancellation_or_return",
    "non_positive_quantity",
    "non_positive_price",
    "exact_duplicate",
)
#: With ``returns="net"``: purchase lines fully undone by a later return (dropped)
#: and purchase lines partly undone (kept with the rest of their quantity).
NET_REASONS = REASONS + ("returned_purchase", "partly_returned")

_SCALARS = (
    "rows_in", "rows_out", "value_in", "value_out", "customers_in", "customers_out",
    "orders_in", "orders_out", "returns_matched", "returns_unmatched", "purchases_undone",
    "quantity_matched", "value_matched", "quantity_unmatched", "value_unmatched",
)


@dataclass(frozen=True, repr=False, init=False)
class CleaningReport(Result):
    """Account of what :func:`clean_transactions` did to every row.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per reason (``missing_customer``, ``outside_date_range``,
        ``cancellation_or_return``, ``non_positive_quantity``,
        ``non_positive_price``, ``exact_duplicate`` and, when returns are
        netted, ``returned_purchase`` and ``partly_returned``) with ``rows``,
        ``value`` and ``action`` (``"dropped"``, ``"kept"`` or, for purchase
        lines partly undone by a return, ``"reduced"``: the rows stay, the
        value is the part removed).  Each row is counted under the first reason
        that applies, so the dropped rows add up to ``rows_in - rows_out`` and
        the dropped and reduced values to ``value_in - value_out``.  Also
        available as ``reasons``.
    rows_in, rows_out : int
        Rows before and after cleaning.
    value_in, value_out : float
        Sum of line values (``amount`` or ``quantity * price``) before and after.
    customers_in, customers_out : int
        Distinct customer ids before (missing ids excluded) and after.
    orders_in, orders_out : int
        Distinct order ids before and after.
    returns : str
        How returns were treated (``"net"``, ``"drop"`` or ``"keep"``).
    returns_matched, returns_unmatched : int
        Return lines that undid (part of) an earlier purchase, and return
        lines (or parts) without an earlier purchase in the log (``"net"``
        only; 0 otherwise).
    purchases_undone : int
        Purchase lines fully or partly undone by a return.
    quantity_matched, value_matched : float
        Units undone and their value at the purchase prices.
    quantity_unmatched, value_unmatched : float
        Units and value of the returns that found no purchase (their own value,
        positive).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import clean_transactions
    >>> log = pd.DataFrame({"customer_id": [1, 1], "order_id": ["A", "C1"],
    ...                     "timestamp": ["2024-01-01 10:00", "2024-01-01 10:12"],
    ...                     "item": ["x", "x"], "quantity": [5, -5], "price": [2.0, 2.0]})
    >>> clean, report = clean_transactions(log)
    >>> report.rows_out, report.returns_matched, report.value_matched
    (0, 1, 10.0)
    """

    rows_in: int
    rows_out: int
    value_in: float
    value_out: float
    customers_in: int
    customers_out: int
    orders_in: int
    orders_out: int
    returns: str
    returns_matched: int
    returns_unmatched: int
    purchases_undone: int
    quantity_matched: float
    value_matched: float
    quantity_unmatched: float
    value_unmatched: float

    def __init__(
        self,
        table: pd.DataFrame | None = None,
        *,
        reasons: pd.DataFrame | None = None,
        returns: str = "drop",
        **values: Any,
    ) -> None:
        if table is None:
            table = reasons
        if table is None:
            raise TypeError("CleaningReport needs its reasons table (table=...).")
        unknown = set(values) - set(_SCALARS)
        if unknown:
            raise TypeError(f"CleaningReport got unknown field(s) {sorted(unknown)}.")
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "returns", returns)
        for name in _SCALARS:
            default = 0.0 if name.startswith(("value", "quantity")) else 0
            object.__setattr__(self, name, values.get(name, default))

    @property
    def reasons(self) -> pd.DataFrame:
        """The reasons table (the same as ``table``)."""
        return self.table

    @property
    def rows_dropped(self) -> int:
        """Rows removed."""
        return self.rows_in - self.rows_out

    def _headline(self) -> dict[str, Any]:
        head = {k: getattr(self, k) for k in (
            "rows_in", "rows_out", "value_in", "value_out", "customers_in", "customers_out")}
        if self.returns == "net":
            head["returns_matched"] = self.returns_matched
            head["returns_unmatched"] = self.returns_unmatched
        return head

    def to_frame(self) -> pd.DataFrame:
        """The reasons table followed by the totals in and out."""
        totals = pd.DataFrame(
            {
                "rows": [self.rows_in, self.rows_out],
                "value": [self.value_in, self.value_out],
                "action": ["", ""],
            },
            index=pd.Index(["total_in", "total_out"], name="reason"),
        )
        return pd.concat([self.table, totals])

    def __str__(self) -> str:
        lines = [
            f"Cleaning report: {self.rows_in:,} rows in, {self.rows_out:,} out "
            f"({self.rows_dropped:,} dropped); value {self.value_in:,.2f} in, "
            f"{self.value_out:,.2f} out",
            f"customers {self.customers_in:,} -> {self.customers_out:,}; "
            f"orders {self.orders_in:,} -> {self.orders_out:,}",
        ]
        if self.returns == "net":
            lines.append(
                f"returns netted: {self.returns_matched:,} return lines matched "
                f"{self.purchases_undone:,} purchase lines ({self.quantity_matched:,.0f} units, "
                f"{self.value_matched:,.2f} value); {self.returns_unmatched:,} without an "
                f"earlier purchase ({self.value_unmatched:,.2f} value)"
            )
        for reason, row in self.table.iterrows():
            if row["rows"]:
                lines.append(
                    f"  {reason:<24} {row['action']:<8} {int(row['rows']):>10,} rows "
                    f"{row['value']:>16,.2f} value"
                )
        return "\n".join(lines)
