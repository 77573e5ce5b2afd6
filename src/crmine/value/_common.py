"""Input handling shared by the value estimators.

Customer tables are read **by column name** through the one reader of crmine,
:func:`crmine.utils._validation.read_customer_table`.  pandas, polars and
pyarrow tables are accepted; a polars or pyarrow table has no index, so its
``customer_id`` column (when present) becomes the customer id.  A bare
numeric array (scikit-learn's estimator checks) is read by the documented
column order only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.utils._validation import customer_frame as _shared_customer_frame
from crmine.utils._validation import (
    read_customer_table,
    validate_data,
)

#: Column that holds the customer id in tables without an index (polars, pyarrow).
ID_COLUMN = "customer_id"


def customer_frame(X: Any, name: str = "X") -> Any:
    """``X`` as a pandas DataFrame on the customer index (the shared reader's rule)."""
    return _shared_customer_frame(X, name)


def read_customers(
    estimator: Any, X: Any, columns: Mapping[str, str], *, reset: bool
) -> tuple[pd.DataFrame | None, np.ndarray, pd.Index | None]:
    """Read the role columns of a customer table.

    Returns
    -------
    frame : DataFrame or None
        The table as pandas (``None`` for array input).
    values : ndarray of shape (n_customers, len(columns))
        The role columns as floats, in the order of ``columns``.
    ids : Index or None
        The customer ids (``None`` for array input).
    """
    frame = customer_frame(X)
    if not isinstance(frame, pd.DataFrame):
        frame = validate_data(estimator, frame, reset=reset, dtype=np.float64)
        if frame.shape[1] < len(columns):  # scikit-learn's wording: "X has 1 feature(s)"
            raise ValueError(
                f"{type(estimator).__name__}: X has {frame.shape[1]} feature(s) but "
                f"{len(columns)} are needed ({', '.join(columns)}, in this order). Pass a "
                "customer table (read by column name) instead of an array."
            )
    table, values = read_customer_table(
        frame, columns, estimator=estimator, reset=reset, allow_arrays=True
    )
    if isinstance(frame, pd.DataFrame):
        _check_ids_print_apart(table.index, type(estimator).__name__)
        return frame, values, table.index
    return None, values, None


def _check_ids_print_apart(ids: pd.Index, who: str) -> None:
    """Refuse ids of mixed types that print alike (1 and "1" would be two customers)."""
    if ids.dtype != object or ids.inferred_type not in {"mixed", "mixed-integer"}:
        return
    text = pd.Index([str(i) for i in ids])
    if text.has_duplicates:
        clash = text[text.duplicated()].unique()[:5].tolist()
        raise SchemaError(
            f"{who}: customer ids of different types print alike ({clash}, e.g. 1 and '1'); "
            "they would be scored as different customers. Fix: use one type, e.g. "
            "X.index = X.index.astype(str)."
        )


def customer_order(ids: pd.Index | None, n: int) -> np.ndarray:
    """Positions of the customers sorted by id (row order for arrays)."""
    if ids is None:
        return np.arange(n)
    try:
        return np.asarray(ids.argsort(kind="stable"))
    except TypeError:  # ids of mixed, unorderable types: order by their text
        return np.argsort(np.asarray(ids.astype(str)), kind="stable")


def check_total(values: np.ndarray, who: str, role: str, column: Any) -> float:
    """The sum of a value column, refused when it overflows float64 (shares would be NaN)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(values))
    if not np.isfinite(total):
        raise SchemaError(
            f"{who}: the {role} column {column!r} sums to {total} (float64 overflow, largest "
            f"value {np.max(np.abs(values)):.3g}); shares of the total would be undefined. "
            "Fix: rescale the column (e.g. to thousands) or remove the corrupt values."
        )
    return total
