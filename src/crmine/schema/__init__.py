"""Transaction-log schema, validation and cleaning.

A transaction log is a long pandas DataFrame with one row per line item.  The
roles of its columns (customer, order, time, item, quantity, price or amount,
category) are named once in a :class:`TransactionSchema` (or as a
``columns={"customer": ...}`` mapping); the defaults (``customer_id``,
``order_id``, ``timestamp``, ``item``, ``quantity``, ``price``, ``amount``,
``category``) mean most users never build one.

:func:`validate_transactions` checks the structure and raises
:class:`~crmine.exceptions.SchemaError` with the column, a few offending values
and the fix.  :func:`clean_transactions` removes what a CRM analysis should not
count (missing customers, non-positive quantities or prices, rows outside a
date range, optionally exact duplicates), nets returns and cancellations
against the purchases they undo (:func:`match_returns`) and returns a
:class:`CleaningReport` that accounts for every row and every unit of value.
"""

from __future__ import annotations

from crmine.schema._clean import as_bound, clean_transactions, engine_for, net_returns
from crmine.schema._report import NET_REASONS, REASONS, CleaningReport
from crmine.schema._returns import match_returns
from crmine.schema._schema import TransactionSchema, resolve_schema, transaction_amount
from crmine.schema._times import parse_times
from crmine.schema._validate import prepare_log, read_log, validate_transactions

__all__ = [
    "CleaningReport",
    "TransactionSchema",
    "clean_transactions",
    "match_returns",
    "validate_transactions",
]
# internal helpers used by other crmine modules (not public API)
_INTERNAL = (
    NET_REASONS, REASONS, as_bound, engine_for, net_returns, parse_times, prepare_log,
    read_log, resolve_schema, transaction_amount,
)
