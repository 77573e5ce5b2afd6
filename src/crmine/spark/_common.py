"""Shared helpers of the Spark path: schema checks, line value, time literals."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema

AMT = "__crmine_amount"
TIME = "__crmine_time"


def require_pyspark() -> Any:
    """Import and return ``pyspark.sql.functions`` with a helpful error."""
    try:
        from pyspark.sql import functions as F
    except ImportError as exc:  # pragma: no cover - only without pyspark
        raise ImportError(
            "the Spark path of crmine needs pyspark. Fix: pip install 'crmine[spark]'."
        ) from exc
    return F


def has(sdf: Any, schema: TransactionSchema, role: str) -> bool:
    """Whether the column of ``role`` is set and present in the Spark frame."""
    name = getattr(schema, role)
    return name is not None and name in sdf.columns


def check_columns(sdf: Any, schema: TransactionSchema, roles: tuple[str, ...]) -> None:
    """Raise SchemaError naming the missing columns of a Spark log."""
    missing = [(r, getattr(schema, r)) for r in roles if not has(sdf, schema, r)]
    if missing:
        names = ", ".join(f"{col!r} ({role})" for role, col in missing)
        example = ", ".join(f"{role}='...'" for role, _ in missing)
        raise SchemaError(
            f"the Spark transaction log is missing column(s) {names}. Columns present: "
            f"{list(sdf.columns)[:12]}. Fix: rename the columns (withColumnRenamed) or pass "
            f"schema=TransactionSchema({example})."
        )


def _type_name(sdf: Any, column: str) -> str:
    return sdf.schema[column].dataType.typeName()


_NUMERIC = {"byte", "short", "integer", "long", "float", "double", "decimal"}


def value_expr(sdf: Any, schema: TransactionSchema) -> tuple[Any, str]:
    """Spark expression of the line value (double) and its source."""
    F = require_pyspark()
    if has(sdf, schema, "amount"):
        cols = [schema.amount]
        source = "amount"
    elif has(sdf, schema, "quantity") and has(sdf, schema, "price"):
        cols = [schema.quantity, schema.price]
        source = "quantity*price"
    else:
        raise SchemaError(
            "cannot compute line value: the Spark log has no amount column "
            f"({schema.amount!r}) and not both quantity ({schema.quantity!r}) and price "
            f"({schema.price!r}) columns. Columns present: {list(sdf.columns)[:12]}. "
            "Fix: TransactionSchema(amount='Sales') or TransactionSchema(quantity=..., price=...)."
        )
    for c in cols:
        check_numeric(sdf, c)
    if source == "amount":
        return F.col(schema.amount).cast("double"), source
    return F.col(schema.quantity).cast("double") * F.col(schema.price).cast("double"), source


def check_numeric(sdf: Any, column: str) -> None:
    """Refuse a non-numeric column (checked on the Spark schema, no data scan)."""
    kind = _type_name(sdf, column)
    if kind not in _NUMERIC:
        raise SchemaError(
            f"column {column!r} must be numeric, but the Spark column has type {kind}. "
            f"Fix: sdf.withColumn({column!r}, F.col({column!r}).cast('double')) after "
            "removing currency signs or thousands separators."
        )


def time_expr(sdf: Any, column: str) -> Any:
    """The time column as a Spark timestamp (strings and dates are cast)."""
    F = require_pyspark()
    kind = _type_name(sdf, column)
    if kind in ("timestamp", "timestamp_ntz"):
        return F.col(column)
    if kind == "date":
        return F.col(column).cast("timestamp")
    if kind == "string":
        # try_to_timestamp gives null instead of failing the job under ANSI mode
        if hasattr(F, "try_to_timestamp"):
            return F.try_to_timestamp(F.col(column))
        return F.col(column).cast("timestamp")
    raise SchemaError(
        f"column {column!r} must hold timestamps, but the Spark column has type {kind}. "
        f"Fix: sdf.withColumn({column!r}, F.to_timestamp({column!r}, '<format>'))."
    )


def time_literal(ts: pd.Timestamp, sdf: Any, column: str) -> Any:
    """A Spark literal of wall-clock time ``ts`` comparable with the time column.

    Naive ``ts`` is read as wall-clock time in the session time zone (the way
    Spark shows and dates its timestamps), so comparisons and calendar dates
    agree with the pandas path on the same wall-clock times.
    """
    F = require_pyspark()
    ts = pd.Timestamp(ts)
    if ts.tzinfo is not None:
        tz = sdf.sparkSession.conf.get("spark.sql.session.timeZone")
        ts = ts.tz_convert(tz).tz_localize(None)
    kind = "timestamp_ntz" if _type_name(sdf, column) == "timestamp_ntz" else "timestamp"
    return F.lit(ts.strftime("%Y-%m-%d %H:%M:%S.%f")).cast(kind)


def as_timestamp(value: Any, name: str) -> pd.Timestamp:
    """Parse a user-given bound or cutoff."""
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}={value!r} is not a timestamp. Fix: '2011-12-10'.") from exc
