"""Transaction-log schema, validation and cleaning.

A transaction log is a long pandas DataFrame with one row per line item.  The
roles of its columns (customer, order, time, item, quantity, price or amount,
category) are named once in a :class:`TransactionSchema`; the defaults
(``customer_id``, ``order_id``, ``timestamp``, ``item``, ``quantity``,
``price``, ``amount``, ``category``) mean most users never build one.

:func:`validate_transactions` checks the structure and raises
:class:`~crmine.exceptions.SchemaError` with the column, a few offending values
and the fix.  :func:`clean_transactions` removes what a CRM analysis should not
count (missing customers, cancellations and returns, non-positive quantities
or prices, rows outside a date range, optionally exact duplicates) and returns
a :class:`CleaningReport` that accounts for every row and every unit of value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError

__all__ = [
    "TransactionSchema",
    "CleaningReport",
    "validate_transactions",
    "clean_transactions",
    "transaction_amount",
]

_N_EXAMPLES = 5


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
        features, ``category`` for category shares.  ``None`` switches a role off.

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
    """

    customer: str = "customer_id"
    order: str = "order_id"
    time: str = "timestamp"
    item: str | None = "item"
    quantity: str | None = "quantity"
    price: str | None = "price"
    amount: str | None = "amount"
    category: str | None = "category"

    def replace(self, **changes: str | None) -> TransactionSchema:
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
            f"({self.price!r}) columns. Columns present: {_show_columns(log)}. "
            "Fix: name the right columns, e.g. TransactionSchema(amount='Sales') or "
            "TransactionSchema(quantity='Quantity', price='UnitPrice')."
        )


def resolve_schema(schema: TransactionSchema | None) -> TransactionSchema:
    """Return ``schema`` or the default schema; type-check it."""
    if schema is None:
        return TransactionSchema()
    if not isinstance(schema, TransactionSchema):
        raise TypeError(
            f"schema must be a crmine.TransactionSchema, got {type(schema).__name__}. "
            "Fix: schema=TransactionSchema(customer='CustomerID', ...)."
        )
    return schema


def _show_columns(log: pd.DataFrame, limit: int = 12) -> str:
    cols = [str(c) for c in log.columns[:limit]]
    more = "" if log.shape[1] <= limit else f", ... ({log.shape[1]} in all)"
    return "[" + ", ".join(repr(c) for c in cols) + more + "]"


def _examples(values: pd.Series | np.ndarray) -> str:
    vals = pd.unique(np.asarray(values, dtype=object))[:_N_EXAMPLES]
    return ", ".join(repr(v) for v in vals)


def transaction_amount(log: pd.DataFrame, schema: TransactionSchema | None = None) -> np.ndarray:
    """Value of each line as a float array (``amount`` or ``quantity * price``).

    Parameters
    ----------
    log : pandas.DataFrame
        A validated transaction log.
    schema : TransactionSchema, optional
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
        return pd.to_numeric(log[schema.amount]).to_numpy(dtype=float)
    q = pd.to_numeric(log[schema.quantity]).to_numpy(dtype=float)
    p = pd.to_numeric(log[schema.price]).to_numpy(dtype=float)
    return q * p


# ----------------------------------------------------------------------------- validation


def _check_frame(log: object) -> pd.DataFrame:
    if not isinstance(log, pd.DataFrame):
        raise TypeError(
            f"the transaction log must be a pandas DataFrame, got {type(log).__name__}. "
            "Fix: pd.DataFrame(...) or pd.read_csv(...)."
        )
    return log


def _check_columns(log: pd.DataFrame, schema: TransactionSchema, roles: tuple[str, ...]) -> None:
    missing = [(r, getattr(schema, r)) for r in roles if not schema.has(log, r)]
    if missing:
        names = ", ".join(f"{col!r} ({role})" for role, col in missing)
        example = ", ".join(f"{role}='...'" for role, _ in missing)
        raise SchemaError(
            f"the transaction log is missing column(s) {names}. Columns present: "
            f"{_show_columns(log)}. Fix: rename the columns or pass "
            f"schema=TransactionSchema({example})."
        )


def parse_times(values: pd.Series, column: str) -> pd.Series:
    """Parse a timestamp column strictly; raise SchemaError on bad values.

    Naive and timezone-aware timestamps mixed in one column are refused
    because their order is ambiguous.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        parsed = values
    else:
        nonnull = values.dropna()
        if len(nonnull) and all(isinstance(v, pd.Timestamp) for v in nonnull.iloc[:1000]):
            tz_flags = {v.tzinfo is not None for v in nonnull if isinstance(v, pd.Timestamp)}
            if len(tz_flags) > 1:
                aware = nonnull[[v.tzinfo is not None for v in nonnull]]
                naive = nonnull[[v.tzinfo is None for v in nonnull]]
                raise SchemaError(
                    f"column {column!r} mixes {len(aware)} timezone-aware timestamps "
                    f"(e.g. {_examples(aware)}) with {len(naive)} naive ones "
                    f"(e.g. {_examples(naive)}); their order is ambiguous. Fix: make them all "
                    "aware (ts.tz_localize('Europe/London')) or all naive "
                    "(ts.tz_convert(None))."
                )
        try:
            parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        except (ValueError, TypeError) as exc:
            msg = str(exc)
            if "tz" in msg.lower() or "offset" in msg.lower():
                raise SchemaError(
                    f"column {column!r} mixes timezone-aware and naive timestamps or "
                    f"different UTC offsets ({msg}). Fix: convert them to one timezone "
                    "first, e.g. pd.to_datetime(log[col], utc=True)."
                ) from exc
            raise SchemaError(
                f"column {column!r} cannot be parsed as timestamps ({msg}). "
                "Fix: pd.to_datetime(log[col], format=...)."
            ) from exc
        bad = parsed.isna() & values.notna()
        if bad.any():
            raise SchemaError(
                f"column {column!r} has {int(bad.sum())} value(s) that are not timestamps "
                f"(e.g. {_examples(values[bad])}). Fix: correct or remove those rows, or "
                "parse the column yourself with pd.to_datetime(..., format=...)."
            )
    missing = parsed.isna()
    if missing.any():
        raise SchemaError(
            f"column {column!r} has {int(missing.sum())} missing timestamp(s) "
            f"(rows {list(values.index[missing][:_N_EXAMPLES])}). Fix: fill or drop them."
        )
    return parsed


def _check_numeric(log: pd.DataFrame, column: str) -> None:
    values = log[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        coerced = pd.to_numeric(values, errors="coerce")
        bad = coerced.isna() & values.notna()
        if pd.api.types.is_bool_dtype(values) or bad.any():
            examples = values[bad] if bad.any() else values
            raise SchemaError(
                f"column {column!r} must be numeric, but has dtype {values.dtype} with "
                f"{int(bad.sum()) if bad.any() else len(values)} non-numeric value(s) "
                f"(e.g. {_examples(examples)}). Fix: convert it with pd.to_numeric(...) "
                "after removing currency signs or thousands separators."
            )
        values = coerced
    arr = pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)
    nan = np.isnan(arr)
    if nan.any():
        raise SchemaError(
            f"column {column!r} has {int(nan.sum())} missing value(s) (rows "
            f"{list(log.index[nan][:_N_EXAMPLES])}). Fix: fill or drop them before the "
            "analysis; crmine does not guess values."
        )
    inf = np.isinf(arr)
    if inf.any():
        raise SchemaError(
            f"column {column!r} has {int(inf.sum())} infinite value(s) (rows "
            f"{list(log.index[inf][:_N_EXAMPLES])}). Fix: correct or drop those rows."
        )


def _check_ids(log: pd.DataFrame, column: str, *, allow_missing: bool) -> None:
    values = log[column]
    if not allow_missing and values.isna().any():
        n = int(values.isna().sum())
        raise SchemaError(
            f"column {column!r} has {n} missing id(s) (rows "
            f"{list(values.index[values.isna()][:_N_EXAMPLES])}). Fix: drop them with "
            "clean_transactions(...), which counts them in its report, or fill them."
        )
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True).startswith("mixed"):
        kinds = values.dropna().map(lambda v: "number" if isinstance(v, (int, float, np.number))
                                    and not isinstance(v, bool) else type(v).__name__)
        if kinds.nunique() > 1:
            counts = kinds.value_counts()
            parts = ", ".join(
                f"{cnt} {kind} (e.g. {_examples(values.dropna()[kinds == kind])})"
                for kind, cnt in counts.items()
            )
            raise SchemaError(
                f"column {column!r} mixes id types: {parts}; 1 and '1' would count as two "
                f"customers. Fix: log[{column!r}] = log[{column!r}].astype(str) (or astype(int))."
            )


def validate_transactions(
    log: pd.DataFrame,
    schema: TransactionSchema | None = None,
    *,
    require_value: bool = True,
    require_item: bool = False,
    allow_missing_customers: bool = False,
) -> None:
    """Check that a transaction log has the structure crmine needs.

    Parameters
    ----------
    log : pandas.DataFrame
        One row per line item.
    schema : TransactionSchema, optional
        Column roles; the default schema when omitted.
    require_value : bool, default True
        Require an amount column or quantity and price columns.
    require_item : bool, default False
        Require the item column.
    allow_missing_customers : bool, default False
        Accept missing customer ids (:func:`clean_transactions` drops and
        counts them).

    Raises
    ------
    TypeError
        If ``log`` is not a DataFrame.
    SchemaError
        For an empty log, a missing column, unparseable or missing timestamps,
        naive and timezone-aware timestamps mixed, non-numeric, missing or
        infinite quantities, prices or amounts, missing or mixed-type ids.  The
        message names the column, gives the count and a few examples, and
        says how to fix it.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import validate_transactions
    >>> log = pd.DataFrame({"customer_id": [1], "order_id": ["A"],
    ...                     "timestamp": ["2024-01-05"], "amount": ["12,50"]})
    >>> validate_transactions(log)
    Traceback (most recent call last):
    ...
    crmine.exceptions.SchemaError: column 'amount' must be numeric, ...
    """
    _validate(
        log,
        resolve_schema(schema),
        require_value=require_value,
        require_item=require_item,
        allow_missing_customers=allow_missing_customers,
    )


def _validate(
    log: pd.DataFrame,
    schema: TransactionSchema,
    *,
    require_value: bool = True,
    require_item: bool = False,
    allow_missing_customers: bool = False,
) -> pd.Series:
    """Body of :func:`validate_transactions`; returns the parsed timestamps."""
    _check_frame(log)
    if len(log) == 0:
        raise SchemaError(
            "the transaction log is empty (0 rows). Fix: check the file or the filter "
            "that produced it."
        )
    roles: tuple[str, ...] = ("customer", "order", "time")
    if require_item:
        roles += ("item",)
    _check_columns(log, schema, roles)
    if require_value:
        source = schema.value_source(log)
        numeric = [schema.amount] if source == "amount" else [schema.quantity, schema.price]
    else:
        numeric = [c for c in (schema.amount, schema.quantity, schema.price)
                   if c is not None and c in log.columns]
    for col in numeric:
        _check_numeric(log, col)
    times = parse_times(log[schema.time], schema.time)
    _check_ids(log, schema.customer, allow_missing=allow_missing_customers)
    _check_ids(log, schema.order, allow_missing=False)
    return times


def prepare_log(
    log: pd.DataFrame,
    schema: TransactionSchema | None = None,
    **validate_kwargs: bool,
) -> pd.DataFrame:
    """Validate and return a shallow copy with parsed timestamps (internal helper)."""
    schema = resolve_schema(schema)
    times = _validate(log, schema, **validate_kwargs)  # timestamps are parsed once, here
    out = log.copy(deep=False)
    if not pd.api.types.is_datetime64_any_dtype(log[schema.time]):
        out[schema.time] = times
    return out


# ----------------------------------------------------------------------------- cleaning

REASONS = (
    "missing_customer",
    "outside_date_range",
    "cancellation_or_return",
    "non_positive_quantity",
    "non_positive_price",
    "exact_duplicate",
)


@dataclass
class CleaningReport:
    """Account of what :func:`clean_transactions` did to every row.

    Attributes
    ----------
    rows_in, rows_out : int
        Rows before and after cleaning.
    value_in, value_out : float
        Sum of line values (``amount`` or ``quantity * price``) before and after.
    reasons : pandas.DataFrame
        One row per reason (``missing_customer``, ``outside_date_range``,
        ``cancellation_or_return``, ``non_positive_quantity``,
        ``non_positive_price``, ``exact_duplicate``) with ``rows``, ``value``
        and ``action`` (``"dropped"`` or ``"kept"``).  Each row is counted
        under the first reason that applies, in that order, so the dropped
        rows add up to ``rows_in - rows_out``.
    customers_in, customers_out : int
        Distinct customer ids before (missing ids excluded) and after.
    orders_in, orders_out : int
        Distinct order ids before and after.
    """

    rows_in: int
    rows_out: int
    value_in: float
    value_out: float
    customers_in: int
    customers_out: int
    orders_in: int
    orders_out: int
    reasons: pd.DataFrame = field(repr=False)

    @property
    def rows_dropped(self) -> int:
        """Rows removed."""
        return self.rows_in - self.rows_out

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
        return pd.concat([self.reasons, totals])

    def __str__(self) -> str:
        lines = [
            f"Cleaning report: {self.rows_in:,} rows in, {self.rows_out:,} out "
            f"({self.rows_dropped:,} dropped); value {self.value_in:,.2f} in, "
            f"{self.value_out:,.2f} out",
            f"customers {self.customers_in:,} -> {self.customers_out:,}; "
            f"orders {self.orders_in:,} -> {self.orders_out:,}",
        ]
        for reason, row in self.reasons.iterrows():
            if row["rows"]:
                lines.append(
                    f"  {reason:<24} {row['action']:<8} {int(row['rows']):>10,} rows "
                    f"{row['value']:>16,.2f} value"
                )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()  # type: ignore[operator]


def clean_transactions(
    log: pd.DataFrame,
    schema: TransactionSchema | None = None,
    *,
    returns: Literal["drop", "keep"] = "drop",
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
       quantity column) is negative.  Dropped with ``returns="drop"``; kept
       with ``returns="keep"`` so that features can net them
       (``TransactionFeatures(monetary="net")``).
    4. ``non_positive_quantity``: quantity zero (negative ones are returns).
    5. ``non_positive_price``: price (amount when there is no price column)
       zero or negative — free lines and accounting adjustments.
    6. ``exact_duplicate``: a row identical in every column to an earlier one.
       Kept by default (``duplicates="keep"``; real logs often hold repeated
       scans of the same item) but always counted.

    Parameters
    ----------
    log : pandas.DataFrame
        Transaction log.  Never modified.
    schema : TransactionSchema, optional
        Column roles; the default schema when omitted.
    returns : {"drop", "keep"}, default "drop"
        What to do with cancellations and returns.
    cancellation_prefix : str or None, default "C"
        Order ids starting with it are cancellations (Online Retail's
        convention).  ``None`` relies on negative quantities alone.
    start, end : str or Timestamp, optional
        Keep rows with ``start <= timestamp < end``.
    duplicates : {"keep", "drop"}, default "keep"
        What to do with exact duplicate rows (counted either way).

    Returns
    -------
    clean : pandas.DataFrame
        The kept rows in their original order, with the timestamp column parsed
        to datetime and an ``amount`` column added when the log had only
        quantity and price.
    report : CleaningReport
        Rows and value in, out and per reason.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import clean_transactions
    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, None, 2],
    ...     "order_id": ["A1", "C2", "A3", "A4"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02",
    ...                                  "2024-01-03", "2024-01-04"]),
    ...     "quantity": [2, -1, 1, 3],
    ...     "price": [5.0, 5.0, 9.0, 0.0],
    ... })
    >>> clean, report = clean_transactions(log)
    >>> clean["order_id"].tolist()
    ['A1']
    >>> report.reasons["rows"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'missing_customer': 1, 'outside_date_range': 0, 'cancellation_or_return': 1,
     'non_positive_quantity': 0, 'non_positive_price': 1, 'exact_duplicate': 0}
    """
    from crmine.utils._engines import find_engine

    engine = find_engine(log)
    if engine is not None:
        return engine.clean_transactions(
            log, schema, returns=returns, cancellation_prefix=cancellation_prefix,
            start=start, end=end, duplicates=duplicates,
        )
    if returns not in ("drop", "keep"):
        raise ValueError(f"returns must be 'drop' or 'keep', got {returns!r}.")
    if duplicates not in ("drop", "keep"):
        raise ValueError(f"duplicates must be 'drop' or 'keep', got {duplicates!r}.")
    schema = resolve_schema(schema)
    df = prepare_log(log, schema, allow_missing_customers=True)
    amount = transaction_amount(df, schema)
    if not schema.has(df, "amount"):
        df["amount"] = amount
    n = len(df)
    time = df[schema.time]

    masks: dict[str, np.ndarray] = {}
    masks["missing_customer"] = df[schema.customer].isna().to_numpy()
    out_range = np.zeros(n, dtype=bool)
    if start is not None:
        out_range |= (time < _as_bound(start, time, "start")).to_numpy()
    if end is not None:
        out_range |= (time >= _as_bound(end, time, "end")).to_numpy()
    masks["outside_date_range"] = out_range
    has_q = schema.has(df, "quantity")
    qty = df[schema.quantity].to_numpy(dtype=float) if has_q else amount
    ret = qty < 0
    if cancellation_prefix:
        ret |= df[schema.order].astype(str).str.startswith(cancellation_prefix).to_numpy()
    masks["cancellation_or_return"] = ret
    masks["non_positive_quantity"] = (qty == 0) if has_q else np.zeros(n, dtype=bool)
    price = df[schema.price].to_numpy(dtype=float) if schema.has(df, "price") else amount
    masks["non_positive_price"] = price <= 0
    masks["exact_duplicate"] = log.duplicated(keep="first").to_numpy()

    drop_action = {
        "missing_customer": True,
        "outside_date_range": True,
        "cancellation_or_return": returns == "drop",
        "non_positive_quantity": True,
        "non_positive_price": True,
        "exact_duplicate": duplicates == "drop",
    }
    assigned = np.zeros(n, dtype=bool)
    keep = np.ones(n, dtype=bool)
    rows, values, actions = [], [], []
    for reason in REASONS:
        hit = masks[reason] & ~assigned
        rows.append(int(hit.sum()))
        values.append(float(amount[hit].sum()))
        actions.append("dropped" if drop_action[reason] else "kept")
        if drop_action[reason]:
            keep &= ~hit
        # kept rows are attributed too, so that later reasons do not count them twice
        assigned |= hit
    reasons = pd.DataFrame(
        {"rows": rows, "value": values, "action": actions},
        index=pd.Index(REASONS, name="reason"),
    )
    clean = df.loc[keep]
    report = CleaningReport(
        rows_in=n,
        rows_out=int(keep.sum()),
        value_in=float(amount.sum()),
        value_out=float(amount[keep].sum()),
        customers_in=int(df[schema.customer].nunique(dropna=True)),
        customers_out=int(clean[schema.customer].nunique()),
        orders_in=int(df[schema.order].nunique()),
        orders_out=int(clean[schema.order].nunique()),
        reasons=reasons,
    )
    return clean, report


def _as_bound(value: str | pd.Timestamp, times: pd.Series, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}={value!r} is not a timestamp. Fix: '2011-12-10'.") from exc
    tz = getattr(times.dt, "tz", None)
    if tz is not None and ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    elif tz is None and ts.tzinfo is not None:
        raise ValueError(
            f"{name}={value!r} is timezone-aware but the log's timestamps are naive. "
            "Fix: pass a naive timestamp."
        )
    return ts
