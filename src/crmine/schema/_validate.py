"""Validation of a transaction log: structure, numbers, ids and timestamps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.schema._schema import TransactionSchema, examples, resolve_schema, show_columns
from crmine.schema._times import parse_times

__all__ = ["prepare_log", "read_log", "validate_transactions"]

_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d{1,3}(\.\d{3})*,\d+\s*$|^\s*[-+]?\d+,\d+\s*$")
_NA_TEXT = {"", "n/a", "na", "nan", "none", "null", "-", "--", "?", "#n/a", "missing"}


def read_log(log: Any) -> pd.DataFrame:
    """The log as a pandas DataFrame (polars/pyarrow converted by name), checked for shape.

    Examples
    --------
    >>> import pyarrow as pa
    >>> read_log(pa.table({"customer_id": [1]})).columns.tolist()
    ['customer_id']
    """
    from crmine.utils._validation import to_pandas

    log = to_pandas(log, name="log", allow_arrays=False)
    if not isinstance(log, pd.DataFrame):
        raise TypeError(
            f"the transaction log must be a pandas DataFrame, got {type(log).__name__}. "
            "Fix: pd.DataFrame(...) or pd.read_csv(...)."
        )
    if isinstance(log.columns, pd.MultiIndex):
        raise SchemaError(
            "the transaction log has MultiIndex columns; crmine reads columns by name. "
            "Fix: log.columns = ['_'.join(map(str, c)) for c in log.columns], or select "
            "one level."
        )
    return log


def _check_columns(log: pd.DataFrame, schema: TransactionSchema, roles: tuple[str, ...]) -> None:
    missing = [(r, getattr(schema, r)) for r in roles if not schema.has(log, r)]
    if missing:
        names = ", ".join(f"{col!r} ({role})" for role, col in missing)
        example = ", ".join(f"{role}='...'" for role, _ in missing)
        raise SchemaError(
            f"the transaction log is missing column(s) {names}. Columns present: "
            f"{show_columns(log)}. Fix: rename the columns or pass "
            f"schema=TransactionSchema({example}) (or columns={{'{missing[0][0]}': ...}})."
        )
    used = [getattr(schema, r) for r in (
        "customer", "order", "time", "item", "quantity", "price", "amount", "category")]
    dup = [c for c in dict.fromkeys(used) if c is not None and (log.columns == c).sum() > 1]
    if dup:
        raise SchemaError(
            f"the transaction log has several columns named {dup}; crmine cannot tell which "
            "one to read. Fix: rename or drop the duplicates "
            "(log.loc[:, ~log.columns.duplicated()])."
        )


def _numeric_fix(bad: np.ndarray) -> str:
    text = [str(v) for v in bad[:50]]
    if any(_DECIMAL_COMMA.match(t) for t in text):
        return ("numbers with a decimal comma: read the file with "
                "pd.read_csv(..., decimal=',', thousands='.') or convert with "
                "pd.to_numeric(s.str.replace(',', '.'))")
    if any(t.strip().lower() in _NA_TEXT for t in text):
        return ("text standing for a missing value: read the file with "
                "pd.read_csv(..., na_values=['N/A']) and then fill or drop those rows")
    return ("convert it with pd.to_numeric(...) after removing currency signs or thousands "
            "separators")


def check_numeric(log: pd.DataFrame, column: str) -> None:
    """Refuse a money or quantity column that is not finite numbers (names the fix)."""
    values = log[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(values.cat.categories.dtype)
    if pd.api.types.is_bool_dtype(values.dtype):
        raise SchemaError(
            f"column {column!r} must be numeric, but has dtype {values.dtype} "
            f"(e.g. {examples(values[:5])}). Fix: name the right column in the schema or "
            "convert it with .astype(int)."
        )
    if not pd.api.types.is_numeric_dtype(values.dtype):
        coerced = pd.to_numeric(values, errors="coerce")
        bad = (coerced.isna() & values.notna()).to_numpy()
        if bad.any():
            offending = pd.unique(np.asarray(values[bad], dtype=object))
            raise SchemaError(
                f"column {column!r} must be numeric, but has dtype {values.dtype} with "
                f"{int(bad.sum())} non-numeric value(s) (e.g. {examples(offending)}). "
                f"Fix: {_numeric_fix(offending)}."
            )
        values = coerced
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return  # NumPy integers are never missing nor infinite
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isfinite(arr.sum()):  # a NaN or an inf makes the sum NaN or inf: all finite
        return
    nan = np.isnan(arr)
    if nan.any():
        raise SchemaError(
            f"column {column!r} has {int(nan.sum())} missing value(s) (rows "
            f"{list(log.index[nan][:5])}). Fix: fill or drop them before the "
            "analysis; crmine does not guess values."
        )
    inf = np.isinf(arr)
    if inf.any():
        raise SchemaError(
            f"column {column!r} has {int(inf.sum())} infinite value(s) (rows "
            f"{list(log.index[inf][:5])}). Fix: correct or drop those rows."
        )


def _kind(v: object) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, float, np.number)):
        return "number"
    return type(v).__name__


def check_ids(
    log: pd.DataFrame,
    column: str,
    *,
    allow_missing: bool,
    codes: np.ndarray | None = None,
    uniques: Any = None,
) -> None:
    """Refuse missing ids (unless allowed) and ids that mix numbers and text.

    ``codes`` and ``uniques`` (from ``pd.factorize``, -1 = missing) spare passes
    over the column: the id types are read from the distinct ids.
    """
    values = log[column]
    missing = (codes < 0) if codes is not None else values.isna().to_numpy()
    if not allow_missing and missing.any():
        raise SchemaError(
            f"column {column!r} has {int(missing.sum())} missing id(s) (rows "
            f"{list(values.index[missing][:5])}). Fix: drop them with "
            "clean_transactions(...), which counts them in its report, or fill them."
        )
    if isinstance(values.dtype, pd.CategoricalDtype):
        candidates = values.cat.categories
    elif values.dtype == object:
        candidates = values if uniques is None else np.asarray(uniques, dtype=object)
    else:
        return
    inferred = pd.api.types.infer_dtype(candidates, skipna=True)
    if not inferred.startswith("mixed") or inferred == "mixed-integer-float":
        return
    uniques = pd.unique(np.asarray(candidates, dtype=object))
    uniques = uniques[~pd.isna(uniques)]
    kinds = np.array([_kind(v) for v in uniques])  # one call per distinct id
    if len(set(kinds.tolist())) > 1:
        parts = ", ".join(
            f"{kind} ids (e.g. {examples(uniques[kinds == kind])})" for kind in dict.fromkeys(kinds)
        )
        as_text = {str(v) for v in uniques[kinds == "number"]}
        clash = [v for v in uniques[kinds == "str"] if v in as_text][:3]
        both = f"; {clash[0]!r} appears both as a number and as text" if clash else ""
        raise SchemaError(
            f"column {column!r} mixes id types: {parts}{both}; 1 and '1' would count as "
            f"two different ids but print alike. Fix: "
            f"log[{column!r}] = log[{column!r}].astype(str) (or .astype(int))."
        )


def validate_transactions(
    log: pd.DataFrame,
    schema: TransactionSchema | Mapping[str, Any] | None = None,
    *,
    columns: Mapping[str, Any] | None = None,
    require_value: bool = True,
    require_item: bool = False,
    allow_missing_customers: bool = False,
) -> None:
    """Check that a transaction log has the structure crmine needs.

    Parameters
    ----------
    log : pandas.DataFrame, polars or pyarrow table
        One row per line item (polars and pyarrow tables are read by name).
    schema : TransactionSchema, optional
        Column roles; the default schema when omitted.
    columns : mapping, optional
        The same roles as a ``{role: column}`` mapping (instead of ``schema``).
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
        If ``log`` is not a table.
    SchemaError
        For an empty log, MultiIndex or duplicated columns, a missing column,
        timestamps that are unparseable, missing, numeric without
        ``epoch_unit``, ambiguous day-first/month-first, out of range or mixed
        naive/aware, non-numeric ("12,50", "N/A"), missing or infinite
        quantities, prices or amounts, missing or mixed-type ids.  The message
        names the column, gives the count and a few examples, and says how to
        fix it.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import validate_transactions
    >>> log = pd.DataFrame({"customer_id": [1], "order_id": ["A"],
    ...                     "timestamp": ["2024-01-05"], "amount": ["12,50"]})
    >>> validate_transactions(log)
    Traceback (most recent call last):
    ...
    crmine.exceptions.SchemaError: column 'amount' must be numeric, ...decimal=','...
    """
    validate(
        read_log(log),
        resolve_schema(schema, columns),
        require_value=require_value,
        require_item=require_item,
        allow_missing_customers=allow_missing_customers,
    )


def validate(
    log: pd.DataFrame,
    schema: TransactionSchema,
    *,
    require_value: bool = True,
    require_item: bool = False,
    allow_missing_customers: bool = False,
    codes: Mapping[str, tuple[np.ndarray, Any]] | None = None,
) -> pd.Series:
    """Body of :func:`validate_transactions`; returns the parsed timestamps."""
    codes = codes or {}
    log = read_log(log)
    if len(log) == 0:
        raise SchemaError(
            "the transaction log is empty (0 rows; a header-only file?). Fix: check the file "
            "or the filter that produced it."
        )
    roles: tuple[str, ...] = ("customer", "order", "time")
    if require_item:
        roles += ("item",)
    _check_columns(log, schema, roles)
    if require_value:
        schema.value_source(log)
    numeric = [c for c in (schema.amount, schema.quantity, schema.price)
               if c is not None and c in log.columns]
    for col in numeric:
        check_numeric(log, col)
    times = parse_times(log[schema.time], schema.time, schema)
    for role, allow in (("customer", allow_missing_customers), ("order", False)):
        role_codes, role_uniques = codes.get(role, (None, None))
        check_ids(log, getattr(schema, role), allow_missing=allow, codes=role_codes,
                  uniques=role_uniques)
    if schema.has(log, "item"):  # 1 and "1" would be two items printed alike
        check_ids(log, schema.item, allow_missing=True, codes=np.zeros(0, dtype=np.int64))
    return times


def prepare_log(
    log: Any,
    schema: TransactionSchema | Mapping[str, Any] | None = None,
    **validate_kwargs: Any,
) -> pd.DataFrame:
    """Validate and return a shallow copy with parsed timestamps (internal helper).

    Numeric money columns given as text or categories are converted to numbers.
    """
    schema = resolve_schema(schema)
    log = read_log(log)
    times = validate(log, schema, **validate_kwargs)  # timestamps are parsed once, here
    out = log.copy(deep=False)
    if times.dtype != log[schema.time].dtype:
        out[schema.time] = times
    for role in ("amount", "quantity", "price"):
        col = getattr(schema, role)
        if col is not None and col in out.columns:
            dt = out[col].dtype
            if not pd.api.types.is_numeric_dtype(dt) or isinstance(dt, pd.CategoricalDtype):
                if isinstance(dt, pd.CategoricalDtype):
                    out[col] = out[col].astype(dt.categories.dtype)
                out[col] = pd.to_numeric(out[col], errors="coerce")
    return out
