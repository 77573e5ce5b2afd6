"""The one input reader and the shared checks of crmine.

Every public entry point reads its input through these functions, so that the
same mistake gets the same error everywhere: the message names the column or
parameter, the offending value and the fix.

* :func:`to_pandas` converts polars, pyarrow and other dataframe-interchange
  tables to pandas (never positionally);
* :func:`read_customer_table` reads the columns of a customer table by role;
* :func:`check_binary`, :func:`check_treatment`, :func:`check_money`,
  :func:`check_rate` check labels, treatment flags and money parameters
  (defined in :mod:`crmine.utils._checks`, re-exported here);
* :func:`purchase_mask` and :func:`default_cutoff` are the one definition of a
  purchase line and of the default snapshot time;
* :func:`validate_data` and :func:`check_is_fitted` are scikit-learn's (the
  supported floor, scikit-learn 1.6, has both), reached through this module
  so that modules import them from one place; scikit-learn itself is imported
  only when they need it (see :mod:`crmine.base`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import InputTypeError, SchemaError
from crmine.utils._checks import check_binary, check_money, check_rate, check_treatment

__all__ = [
    "check_binary",
    "check_is_fitted",
    "check_money",
    "check_rate",
    "check_treatment",
    "customer_frame",
    "default_cutoff",
    "horizon_in_units",
    "is_dataframe_like",
    "purchase_mask",
    "read_customer_table",
    "show_values",
    "to_pandas",
    "validate_data",
]

_N_SHOW = 5


def check_is_fitted(
    estimator: Any,
    attributes: str | Sequence[str] | None = None,
    *,
    msg: str | None = None,
    all_or_any: Callable[..., bool] = all,
) -> None:
    """scikit-learn's ``check_is_fitted``, without importing scikit-learn for named attributes.

    With ``attributes`` the check is scikit-learn's (the same message), and the
    error is crmine's :class:`~crmine.exceptions.NotFittedError`, a subclass of
    scikit-learn's.  Without ``attributes`` scikit-learn's function decides
    (it reads the estimator's tags and ``__sklearn_is_fitted__``).

    Examples
    --------
    >>> from crmine import Apriori
    >>> check_is_fitted(Apriori(), "frequent_itemsets_")
    Traceback (most recent call last):
    ...
    crmine.exceptions.NotFittedError: This Apriori instance is not fitted yet. Call 'fit' with \
appropriate arguments before using this estimator.
    """
    if attributes is None:
        from sklearn.utils.validation import check_is_fitted as _sk_check_is_fitted

        _sk_check_is_fitted(estimator, msg=msg, all_or_any=all_or_any)
        return
    if inspect.isclass(estimator):
        raise TypeError(f"{estimator} is a class, not an instance.")
    if msg is None:
        msg = (
            "This %(name)s instance is not fitted yet. Call 'fit' with appropriate "
            "arguments before using this estimator."
        )
    if not hasattr(estimator, "fit"):
        raise TypeError(f"{estimator} is not an estimator instance.")
    if not isinstance(attributes, (list, tuple)):
        attributes = [attributes]  # type: ignore[list-item]
    if not all_or_any([hasattr(estimator, attr) for attr in attributes]):
        from crmine.exceptions import NotFittedError

        raise NotFittedError(msg % {"name": type(estimator).__name__})


def validate_data(*args: Any, **kwargs: Any) -> Any:
    """scikit-learn's ``sklearn.utils.validation.validate_data`` (imported when called).

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> validate_data(StandardScaler(), [[1.0, 2.0]]).shape
    (1, 2)
    """
    from sklearn.utils.validation import validate_data as _sk_validate_data

    return _sk_validate_data(*args, **kwargs)


def show_values(values: Sequence[Any] | np.ndarray | pd.Index, limit: int = _N_SHOW) -> str:
    """Format a few offending values for an error message.

    Examples
    --------
    >>> show_values([1, "1", 2.5, None, "x", "y"], limit=3)
    "1, '1', 2.5, ... (6 in total)"
    """
    values = list(values)
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values)} in total)"
    return shown


def _module_of(obj: object) -> str:
    return type(obj).__module__ or ""


def is_dataframe_like(obj: object) -> bool:
    """Whether ``obj`` is a named table that :func:`to_pandas` can convert.

    True for pandas, polars (eager) and pyarrow tables and for any object that
    implements the dataframe interchange or Arrow C stream protocol.  The
    check imports neither polars nor pyarrow.

    Examples
    --------
    >>> import pandas as pd
    >>> is_dataframe_like(pd.DataFrame({"a": [1]})), is_dataframe_like([[1, 2]])
    (True, False)
    """
    if isinstance(obj, pd.DataFrame):
        return True
    module = _module_of(obj)
    if module.startswith(("polars", "pyarrow")) and type(obj).__name__ in {
        "DataFrame",
        "Table",
        "RecordBatch",
    }:
        return True
    return hasattr(obj, "__arrow_c_stream__") or hasattr(obj, "__dataframe__")


def to_pandas(data: Any, *, name: str = "data", allow_arrays: bool = True) -> Any:
    """Return ``data`` as a pandas object when it is a named table.

    pandas objects are returned as they are (no copy).  polars and pyarrow
    tables (and objects with the Arrow C stream protocol) are converted with
    their column names, so nothing is ever read by position from a named
    table.  A polars ``LazyFrame`` is refused with the fix (``.collect()``);
    arrays, lists and other inputs are returned unchanged when
    ``allow_arrays`` is true and refused with a ``TypeError`` otherwise.

    Parameters
    ----------
    data : object
        The input.
    name : str, default="data"
        The argument's name, used in error messages.
    allow_arrays : bool, default=True
        Whether non-table input passes through.

    Returns
    -------
    pandas.DataFrame or the input unchanged

    Examples
    --------
    >>> import pyarrow as pa
    >>> to_pandas(pa.table({"customer_id": [1, 2]})).columns.tolist()
    ['customer_id']
    """
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data
    module = _module_of(data)
    cls = type(data).__name__
    if module.startswith("polars"):
        if cls == "LazyFrame":
            raise InputTypeError(
                f"{name} is a polars LazyFrame; crmine reads eager tables here. "
                f"Fix: pass {name}.collect()."
            )
        if cls in {"DataFrame", "Series"}:
            return data.to_pandas()
    if module.startswith("pyarrow"):
        if cls in {"Table", "RecordBatch"}:
            return data.to_pandas()
        if cls in {"ChunkedArray", "Array"} or cls.endswith("Array"):
            return pd.Series(data.to_pandas() if hasattr(data, "to_pandas") else list(data))
    if module.startswith("narwhals"):
        return to_pandas(data.to_native(), name=name, allow_arrays=allow_arrays)
    if hasattr(data, "__arrow_c_stream__") and not isinstance(data, np.ndarray):
        import pyarrow as pa

        return pa.table(data).to_pandas()
    if hasattr(data, "__dataframe__") and not isinstance(data, np.ndarray):
        return pd.api.interchange.from_dataframe(data)
    if not allow_arrays:
        raise InputTypeError(
            f"{name} must be a table with named columns (pandas, polars or pyarrow), got "
            f"{cls}. Fix: pd.DataFrame({name}, columns=[...])."
        )
    return data


#: the column that holds the customer id in tables without an index (polars, pyarrow)
ID_COLUMN = "customer_id"


def customer_frame(
    X: Any, name: str = "X", *, id_col: str = ID_COLUMN, allow_arrays: bool = True
) -> Any:
    """``X`` as a pandas DataFrame on the customer index, or unchanged (arrays).

    polars and pyarrow tables are converted by name and their ``id_col``
    column (``customer_id``) becomes the index, so that results come back on
    the customer ids.  pandas tables are returned as they are (a Series as a
    one-column table).  Paths, ``None``, scalars, dicts, lazy frames and
    duplicated column names are refused with the fix.

    Examples
    --------
    >>> import pyarrow as pa
    >>> customer_frame(pa.table({"customer_id": ["a", "b"], "frequency": [1, 2]})).index.tolist()
    ['a', 'b']
    """
    import os

    if isinstance(X, (str, bytes, os.PathLike)):
        raise SchemaError(
            f"{name} is {X!r}, not a table; crmine reads a customer table (pandas, polars or "
            "pyarrow). Fix: read the file first, e.g. pd.read_csv(path, index_col='customer_id')."
        )
    plain_dict = isinstance(X, dict) and not hasattr(X, "tocsr")  # scipy's dok is a dict
    if X is None or isinstance(X, (int, float)) or plain_dict:
        raise SchemaError(
            f"{name} is {type(X).__name__}, not a customer table. Fix: pass a pandas, polars or "
            "pyarrow table with one row per customer (crmine.TransactionFeatures builds one)."
        )
    frame = X if isinstance(X, pd.DataFrame) else to_pandas(
        X, name=name, allow_arrays=allow_arrays
    )
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if isinstance(frame, pd.DataFrame):
        if frame.columns.has_duplicates:
            dup = frame.columns[frame.columns.duplicated()].unique().tolist()
            raise SchemaError(
                f"{name} has duplicated column names {dup[:5]}; a column must be named once. "
                "Fix: X.loc[:, ~X.columns.duplicated()] or rename them."
            )
        if frame is not X and id_col in frame.columns:
            frame = frame.set_index(id_col)
    return frame


def _numeric_values(series: pd.Series, label: Any, role: str, what: str) -> np.ndarray:
    """A numeric column as float64, with the fix when it is text or has NaN/inf."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64)
    if not pd.api.types.is_numeric_dtype(series.dtype):
        coerced = pd.to_numeric(series, errors="coerce")
        bad = coerced.isna() & series.notna()
        examples = show_values(pd.unique(series[bad].astype(object))) if bad.any() else ""
        hint = (
            f"; text such as {examples} is not a number"
            f" (decimal comma? use pd.read_csv(..., decimal=',') or pd.to_numeric)"
            if examples
            else "; convert it with pd.to_numeric"
        )
        raise SchemaError(
            f"{what}: {role} column {label!r} has dtype {series.dtype}, not numeric{hint}."
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def read_customer_table(
    X: Any,
    columns: Mapping[str, Any],
    *,
    estimator: Any = None,
    reset: bool = True,
    allow_nan: bool = False,
    allow_arrays: bool = False,
    what: str | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read the columns of a customer table by role.

    The one reader of customer-level input.  Tables (pandas, polars, pyarrow)
    are read **by column name only**; a bare numeric array is accepted only
    when ``allow_arrays`` is true (scikit-learn's estimator checks), and then
    by the order of ``columns``.

    Parameters
    ----------
    X : DataFrame, polars/pyarrow table or array-like
        One row per customer, the customer id as index (pandas) or, for
        tables without an index, as ordinary rows (then the ids are 0..n-1).
    columns : mapping
        Role -> column name, e.g. ``{"recency": "recency_days"}``.  The role
        is used in messages (``recency column 'recency_days' not found``).
    estimator : estimator, optional
        When given and ``reset`` is true, ``n_features_in_`` and
        ``feature_names_in_`` are set on it (scikit-learn's convention).
    reset : bool, default=True
        ``True`` in ``fit``; ``False`` in ``predict``/``transform``.
    allow_nan : bool, default=False
        Whether missing values are allowed in the selected columns (infinite
        values never are).
    allow_arrays : bool, default=False
        Whether a numeric 2-D array is accepted (read by position, in the
        order of ``columns``).
    what : str, optional
        Who reads (for messages); the estimator's class name by default.

    Returns
    -------
    table : pandas.DataFrame
        The selected columns as float64, indexed by customer id, in the order
        of ``columns`` (column labels are the roles).
    values : numpy.ndarray of shape (n_customers, len(columns))
        The same values as one float matrix.

    Raises
    ------
    SchemaError
        Empty table, missing column (all missing ones at once), non-numeric
        column, NaN/inf values, duplicated customer ids.
    TypeError
        Input that is neither a table nor (when allowed) an array.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame(
    ...     {"recency_days": [3, 40], "frequency": [5, 1]}, index=pd.Index(["a", "b"], name="id")
    ... )
    >>> table, values = read_customer_table(customers, {"recency": "recency_days"})
    >>> table["recency"].tolist(), values.shape
    ([3.0, 40.0], (2, 1))
    """
    who = what or (type(estimator).__name__ if estimator is not None else "crmine")
    X = customer_frame(X, name="X")
    if not isinstance(X, pd.DataFrame):
        if not allow_arrays:
            raise InputTypeError(
                f"{who} reads a customer table by column name and got {type(X).__name__}. "
                "Fix: pass a pandas/polars/pyarrow table with the columns "
                f"{show_values(list(columns.values()), 12)} (crmine.TransactionFeatures "
                "builds one from a transaction log)."
            )
        if estimator is not None:
            arr = validate_data(estimator, X, reset=reset, dtype=np.float64)
        else:
            arr = np.asarray(X, dtype=np.float64)
            if arr.ndim != 2:
                raise ValueError(f"{who}: expected a 2-D array, got shape {arr.shape}.")
        if arr.shape[1] < len(columns):
            # the wording scikit-learn's estimator checks look for
            raise SchemaError(
                f"{who}: found array with {arr.shape[1]} feature(s) (shape={arr.shape}) while "
                f"a minimum of {len(columns)} is required ({', '.join(columns)}). Pass a "
                "customer table DataFrame (read by name)."
            )
        arr = arr[:, : len(columns)]
        return pd.DataFrame(arr, columns=list(columns)), arr
    if isinstance(X.columns, pd.MultiIndex):
        raise SchemaError(
            f"{who}: the customer table has MultiIndex columns; flatten them first "
            "(X.columns = ['_'.join(map(str, c)) for c in X.columns])."
        )
    if estimator is not None and reset:
        estimator.n_features_in_ = X.shape[1]
        if all(isinstance(c, str) for c in X.columns):
            estimator.feature_names_in_ = np.asarray(X.columns, dtype=object)
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    missing = [(role, col) for role, col in columns.items() if col not in X.columns]
    if missing:
        names = ", ".join(f"{role} column {col!r}" for role, col in missing)
        fixes = ", ".join(f"{role}_col=<column name>" for role, _ in missing)
        raise SchemaError(
            f"{who}: {names} not found in the customer table (columns: "
            f"{show_values(list(X.columns), 12)}). Fix: pass {fixes}, or build the table with "
            "crmine.TransactionFeatures."
        )
    if X.shape[0] == 0:
        raise SchemaError(
            f"{who} got an empty customer table (0 rows); pass at least one customer "
            "(one row per customer, index = customer id)."
        )
    if X.index.has_duplicates:
        dup = X.index[X.index.duplicated()].unique()
        raise SchemaError(
            f"{who}: the customer id (the table's index) has duplicated values "
            f"{show_values(dup)}; a customer table has one row per customer. Fix: aggregate "
            "per customer (crmine.TransactionFeatures) or drop them "
            "(X[~X.index.duplicated()])."
        )
    out = {}
    for role, col in columns.items():
        values = _numeric_values(X[col], col, role, who)
        bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
        if bad.any():
            kind = "infinite" if allow_nan else "missing or infinite"
            raise SchemaError(
                f"{who}: {role} column {col!r} has {int(bad.sum())} {kind} value(s) "
                f"(customers {show_values(X.index[bad].tolist())}, values "
                f"{show_values(values[bad])}). Fix: fill them (X.fillna({{{col!r}: 0}})) or "
                "drop those customers explicitly."
            )
        out[role] = values
    table = pd.DataFrame(out, index=X.index)
    return table, table.to_numpy(dtype=np.float64)



def purchase_mask(amount: Any) -> np.ndarray:
    """The one definition of a purchase line: its value is >= 0.

    Negative lines are returns or cancellations; zero-value lines (free
    items) count as purchases.  Missing values are not purchases.

    Examples
    --------
    >>> purchase_mask([3.0, 0.0, -2.0, float("nan")]).tolist()
    [True, True, False, False]
    """
    a = np.asarray(amount, dtype=np.float64)
    return a >= 0


def default_cutoff(times: Any) -> pd.Timestamp:
    """The default snapshot time: midnight after the last timestamp.

    Keeps the time zone of the data.  An empty input is refused.

    Examples
    --------
    >>> import pandas as pd
    >>> default_cutoff(pd.Series(pd.to_datetime(["2024-01-01 10:00", "2024-03-05 23:59"])))
    Timestamp('2024-03-06 00:00:00')
    """
    s = times if isinstance(times, (pd.Series, pd.Index)) else pd.Series(times)
    if len(s) == 0:
        raise SchemaError(
            "no timestamps to take a default cutoff from (empty log); pass cutoff= explicitly "
            "or a non-empty log."
        )
    last = s.max()
    if pd.isna(last):
        raise SchemaError("every timestamp is missing; pass cutoff= or fix the time column.")
    return pd.Timestamp(last).normalize() + pd.Timedelta(days=1)


def horizon_in_units(horizon: Any, time_unit: str, *, name: str = "horizon") -> float:
    """A future window as a number of ``time_unit`` periods (``"D"`` days or ``"W"`` weeks).

    ``horizon`` is a positive number already in ``time_unit``, or a string /
    :class:`pandas.Timedelta` with its own unit (``"90D"``, ``"52W"``), which is
    converted.  Months and years are refused (they have no fixed length).

    Examples
    --------
    >>> horizon_in_units("52W", "D"), horizon_in_units(13, "W"), horizon_in_units("14D", "W")
    (364.0, 13.0, 2.0)
    """
    if time_unit not in ("D", "W"):
        raise SchemaError(f"time_unit must be 'D' (days) or 'W' (weeks); got {time_unit!r}.")
    if isinstance(horizon, (bool, np.bool_)):
        raise SchemaError(f"{name} must be a positive number or a string such as '90D'; "
                          f"got {horizon!r}.")
    if isinstance(horizon, (int, float, np.number)):
        value = float(horizon)
    else:
        try:
            td = pd.Timedelta(horizon)
        except (TypeError, ValueError) as exc:
            raise SchemaError(
                f"{name}={horizon!r} is not a length of time ({exc}). Fix: a number of "
                f"{'days' if time_unit == 'D' else 'weeks'} or a string such as '90D' or '52W' "
                "(months and years have no fixed length: write '365D')."
            ) from None
        value = td / pd.Timedelta(1, unit=time_unit)
    if not (np.isfinite(value) and value > 0):
        raise SchemaError(f"{name} must be a positive length of time; got {horizon!r}.")
    return float(value)
