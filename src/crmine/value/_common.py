"""Input handling shared by the value estimators.

A customer table (DataFrame) is read by column name; a plain numeric array is
read by column position.  Both paths end in a float matrix plus the customer
ids used for deterministic tie-breaking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from crmine.exceptions import NotFittedError, SchemaError

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    _sk_validate_data = None


def _validate_array(estimator: Any, X: Any, *, reset: bool) -> np.ndarray:
    """Validate a non-DataFrame ``X`` the scikit-learn way (sets ``n_features_in_``)."""
    if _sk_validate_data is not None:
        return _sk_validate_data(estimator, X, reset=reset, dtype=np.float64)
    return estimator._validate_data(X, reset=reset, dtype=np.float64)  # pragma: no cover


def _show(values: Sequence[Any], limit: int = 5) -> str:
    """Format a few offending values for an error message."""
    values = list(values)
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values)} in total)"
    return shown


def select_columns(
    estimator: Any,
    X: Any,
    columns: dict[str, str | int],
    *,
    reset: bool,
    default_positions: dict[str, int],
) -> tuple[np.ndarray, pd.Index | None]:
    """Extract the named columns of ``X`` as a float matrix.

    Parameters
    ----------
    estimator : estimator
        The estimator (used for ``n_features_in_`` and messages).
    X : DataFrame or array-like
        Customer table (read by name, or by position for integer keys) or a
        numeric 2-D array (read by position).
    columns : dict
        Role -> column name or position, e.g. ``{"recency": "recency_days"}``.
    reset : bool
        ``True`` in ``fit`` (records ``n_features_in_``), ``False`` afterwards.
    default_positions : dict
        Role -> position used for array input when the role's column is given
        as a string.

    Returns
    -------
    values : ndarray of shape (n_customers, len(columns))
        Float matrix, columns in the order of ``columns``.
    ids : Index or None
        The customer ids (the DataFrame index), ``None`` for array input.
    """
    name = type(estimator).__name__
    if isinstance(X, pd.DataFrame):
        if reset:
            estimator.n_features_in_ = X.shape[1]
            if all(isinstance(c, str) for c in X.columns):
                estimator.feature_names_in_ = np.asarray(X.columns, dtype=object)
            elif hasattr(estimator, "feature_names_in_"):
                del estimator.feature_names_in_
        if X.shape[0] == 0:
            raise SchemaError(
                f"{name} got an empty customer table (0 rows); pass at least one customer "
                "(one row per customer, index = customer id)."
            )
        if X.index.has_duplicates:
            dup = X.index[X.index.duplicated()].unique()
            raise SchemaError(
                f"{name}: the customer table index (customer id) has duplicated values "
                f"{_show(dup)}; a customer table has one row per customer. Aggregate the "
                "transactions per customer (crmine.features.TransactionFeatures) or drop the "
                "duplicates (X[~X.index.duplicated()])."
            )
        cols = []
        for role, col in columns.items():
            if isinstance(col, (int, np.integer)) and not isinstance(col, bool):
                if not 0 <= col < X.shape[1]:
                    raise SchemaError(
                        f"{name}: {role} column position {col} is out of range for a table "
                        f"with {X.shape[1]} columns; pass a column name or a position "
                        f"between 0 and {X.shape[1] - 1}."
                    )
                series = X.iloc[:, int(col)]
                label = X.columns[int(col)]
            else:
                if col not in X.columns:
                    raise SchemaError(
                        f"{name}: {role} column {col!r} not found in the customer table "
                        f"(columns: {_show(list(X.columns), 12)}); pass {role}=<column name> "
                        "or build the table with crmine.features.TransactionFeatures."
                    )
                series = X[col]
                label = col
            if pd.api.types.is_bool_dtype(series.dtype):
                series = series.astype("float64")
            if not pd.api.types.is_numeric_dtype(series.dtype):
                raise SchemaError(
                    f"{name}: {role} column {label!r} has dtype {series.dtype}, not numeric "
                    f"(first values: {_show(series.head(3).tolist())}); convert it with "
                    "pd.to_numeric or choose another column."
                )
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            bad = ~np.isfinite(values)
            if bad.any():
                raise SchemaError(
                    f"{name}: {role} column {label!r} has {int(bad.sum())} missing or infinite "
                    f"values (customers {_show(X.index[bad].tolist())}); fill them (e.g. "
                    f"X.fillna({{{label!r}: 0}})) or drop those customers explicitly."
                )
            cols.append(values)
        return np.column_stack(cols), X.index

    Xa = _validate_array(estimator, X, reset=reset)
    positions = []
    for role, col in columns.items():
        if isinstance(col, (int, np.integer)) and not isinstance(col, bool):
            positions.append(int(col))
        else:
            positions.append(default_positions[role])
    needed = max(positions) + 1
    if Xa.shape[1] < needed:
        raise ValueError(
            f"{name}: X has {Xa.shape[1]} feature(s) but {needed} are read by position "
            f"({', '.join(f'{r}={p}' for r, p in zip(columns, positions))}). Pass a customer "
            "table DataFrame (columns are then read by name) or an array with enough columns."
        )
    return Xa[:, positions], None


def customer_order(ids: pd.Index | None, n: int) -> np.ndarray:
    """Positions of the customers sorted by id (row order for arrays)."""
    if ids is None:
        return np.arange(n)
    try:
        return np.asarray(ids.argsort(kind="stable"))
    except TypeError:  # ids of mixed, unorderable types: order by their text
        return np.argsort(np.asarray(ids.astype(str)), kind="stable")


class ValueNotFittedError(NotFittedError, _SklearnNotFittedError):
    """Not fitted: both crmine's and scikit-learn's ``NotFittedError``."""


def check_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`ValueNotFittedError` when ``fit`` has not been called."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise ValueNotFittedError(
            f"This {name} instance is not fitted yet; call {name}.fit(customers) before using it."
        )
