"""The column roles of a transaction log: :class:`TransactionSchema`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError

__all__ = ["TransactionSchema", "resolve_schema", "transaction_amount"]

_N_EXAMPLES = 5
_ROLES = ("customer", "order", "time", "item", "quantity", "price", "amount", "category")
_EPOCH_UNITS = ("s", "ms", "us", "ns", "D")


@dataclass(frozen=True)
class TransactionSchema:
    """Names of the columns that play each role in a transaction log.

    Parameters
    ----------
    customer, order, time : str
        Customer id, order (invoice, basket) id and timestamp columns.  Required.
    item, quantity, price, amount, category : str or None
        Optional roles.  The value of a line is ``amount`` when that column
        exists, otherwise ``quantity * price``; one of the two must be present
        for anything that needs money.  ``item`` is needed for item and basket
        features (and to match returns to purchases of the same item),
        ``category`` for category shares.  ``None`` switches a role off.
    time_format : str, optional
        ``strftime`` format of a text time column (e.g. ``"%d/%m/%Y %H:%M"``).
        Without it crmine infers **one** format for the whole column and
        refuses a column whose dates read both day-first and month-first.
    dayfirst : bool, optional
        Read ambiguous dates such as ``01/02/2024`` as day first (``True``)
        or month first (``False``).  Ignored when ``time_format`` is given.
    epoch_unit : {"s", "ms", "us", "ns", "D"}, optional
        Unit of a numeric time column (seconds, milliseconds, ... since
        1970-01-01).  A numeric time column without it is refused: crmine never
        guesses the unit of an epoch.

    Examples
    --------
    >>> from crmine import TransactionSchema
    >>> schema = TransactionSchema(customer="CustomerID", order="InvoiceNo",
    ...                            time="InvoiceDate", item="StockCode",
    ...                            quantity="Quantity", price="UnitPrice")
    >>> schema.customer
    'CustomerID'
    >>> TransactionSchema().amount
    'amount'
    >>> TransactionSchema.from_columns({"customer": "CustomerID"}).customer
    'CustomerID'
    """

    customer: str = "customer_id"
    order: str = "order_id"
    time: str = "timestamp"
    item: str | None = "item"
    quantity: str | None = "quantity"
    price: str | None = "price"
    amount: str | None = "amount"
    category: str | None = "category"
    time_format: str | None = None
    dayfirst: bool | None = None
    epoch_unit: str | None = None

    def __post_init__(self) -> None:
        if self.epoch_unit is not None and self.epoch_unit not in _EPOCH_UNITS:
            raise ValueError(
                f"epoch_unit must be one of {_EPOCH_UNITS}, got {self.epoch_unit!r}. "
                "Fix: TransactionSchema(epoch_unit='s') for seconds since 1970-01-01."
            )
        for role in ("customer", "order", "time"):
            if getattr(self, role) is None:
                raise ValueError(
                    f"the {role} role is required; got {role}=None. Fix: name its column."
                )

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any]) -> TransactionSchema:
        """Build a schema from a ``{role: column}`` mapping (the ``columns=`` spelling).

        Parameters
        ----------
        columns : mapping
            Role -> column name, e.g. ``{"customer": "CustomerID"}``.  Roles not
            named keep their default column.

        Returns
        -------
        TransactionSchema
        """
        if not isinstance(columns, Mapping):
            raise TypeError(
                f"columns must be a mapping {{role: column}}, got {type(columns).__name__}. "
                "Fix: columns={'customer': 'CustomerID', 'time': 'InvoiceDate'}."
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = [k for k in columns if k not in known]
        if unknown:
            raise ValueError(
                f"columns has unknown role(s) {unknown}; the roles are {list(_ROLES)} "
                "(and time_format, dayfirst, epoch_unit)."
            )
        return cls(**dict(columns))

    def replace(self, **changes: Any) -> TransactionSchema:
        """Return a copy with some roles renamed."""
        return dataclasses.replace(self, **changes)

    def has(self, log: pd.DataFrame, role: str) -> bool:
        """Whether the column of ``role`` is set and present in ``log``."""
        name = getattr(self, role)
        return name is not None and name in log.columns

    def value_source(self, log: pd.DataFrame) -> str:
        """How line value is obtained: ``"amount"`` or ``"quantity*price"``.

        Raises
        ------
        SchemaError
            When neither an amount column nor both quantity and price exist.
        """
        if self.has(log, "amount"):
            return "amount"
        if self.has(log, "quantity") and self.has(log, "price"):
            return "quantity*price"
        raise SchemaError(
            "cannot compute line value: the log has no amount column "
            f"({self.amount!r}) and not both quantity ({self.quantity!r}) and price "
            f"({self.price!r}) columns. Columns present: {show_columns(log)}. "
            "Fix: name the right columns, e.g. TransactionSchema(amount='Sales') or "
            "TransactionSchema(quantity='Quantity', price='UnitPrice')."
        )


def resolve_schema(
    schema: TransactionSchema | Mapping[str, Any] | None = None,
    columns: Mapping[str, Any] | None = None,
) -> TransactionSchema:
    """Return the schema given as ``schema=`` or ``columns=`` (or the default one).

    Examples
    --------
    >>> resolve_schema(columns={"customer": "CustomerID"}).customer
    'CustomerID'
    >>> resolve_schema().time
    'timestamp'
    """
    if schema is not None and columns is not None:
        raise ValueError(
            "pass the column roles once: schema=TransactionSchema(...) or columns={role: "
            "column}, not both."
        )
    if columns is not None:
        return TransactionSchema.from_columns(columns)
    if schema is None:
        return TransactionSchema()
    if isinstance(schema, Mapping):
        return TransactionSchema.from_columns(schema)
    if not isinstance(schema, TransactionSchema):
        raise TypeError(
            f"schema must be a crmine.TransactionSchema, got {type(schema).__name__}. "
            "Fix: schema=TransactionSchema(customer='CustomerID', ...) or "
            "columns={'customer': 'CustomerID'}."
        )
    return schema


def show_columns(log: pd.DataFrame, limit: int = 12) -> str:
    """A short list of a frame's columns for messages."""
    cols = [str(c) for c in log.columns[:limit]]
    more = "" if log.shape[1] <= limit else f", ... ({log.shape[1]} in all)"
    return "[" + ", ".join(repr(c) for c in cols) + more + "]"


def examples(values: Any) -> str:
    """A few distinct offending values for messages."""
    vals = pd.unique(np.asarray(values, dtype=object))[:_N_EXAMPLES]
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in vals)


def _as_float(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values).to_numpy(dtype=np.float64, na_value=np.nan)


def transaction_amount(
    log: pd.DataFrame, schema: TransactionSchema | Mapping[str, Any] | None = None
) -> np.ndarray:
    """Value of each line as a float array (``amount`` or ``quantity * price``).

    Parameters
    ----------
    log : pandas.DataFrame
        A validated transaction log.
    schema : TransactionSchema or mapping, optional
        Column roles; the default schema when omitted.

    Returns
    -------
    numpy.ndarray
        One float per row.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.schema import transaction_amount
    >>> log = pd.DataFrame({"quantity": [2, 1], "price": [1.5, 4.0]})
    >>> transaction_amount(log).tolist()
    [3.0, 4.0]
    """
    schema = resolve_schema(schema)
    source = schema.value_source(log)
    if source == "amount":
        return _as_float(log[schema.amount])
    return _as_float(log[schema.quantity]) * _as_float(log[schema.price])
