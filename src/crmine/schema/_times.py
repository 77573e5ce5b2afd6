"""Strict, whole-column parsing of the time column of a transaction log.

Rules (each refusal names the column, a few values and the fix):

* datetime columns of any unit are used as they are (converted to
  nanoseconds; values outside 1677-09-22 .. 2262-04-11 are refused);
* numbers are refused unless the schema says their ``epoch_unit``;
* text is parsed with **one** format for the whole column (``time_format``,
  or one inferred from the data); a column whose dates read both day-first
  and month-first is refused unless ``dayfirst`` or ``time_format`` is given;
* naive and timezone-aware values mixed, or several UTC offsets in one text
  column, are refused;
* missing timestamps are refused.

Only the distinct values are parsed, so a column of repeated dates costs one
parse per distinct value.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
from pandas.errors import OutOfBoundsDatetime
from pandas.tseries.api import guess_datetime_format

from crmine.exceptions import SchemaError
from crmine.schema._schema import TransactionSchema, examples

__all__ = ["parse_times"]

_RANGE = "1677-09-22 .. 2262-04-11 (the range of nanosecond timestamps)"


def _swapped(fmt: str) -> str | None:
    """The format with day and month exchanged, when both are numeric fields."""
    if "%d" not in fmt or "%m" not in fmt:
        return None
    year = max(fmt.find("%Y"), fmt.find("%y"))
    if 0 <= year < max(fmt.find("%d"), fmt.find("%m")):
        return None  # year first (ISO 8601): month before day by convention
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _out_of_range(column: str, values: Any) -> SchemaError:
    return SchemaError(
        f"column {column!r} has timestamp(s) outside {_RANGE} (e.g. {examples(values)}); "
        "such dates are usually placeholders (1900-01-01, 9999-12-31) or typing errors. "
        "Fix: correct or drop those rows before the analysis."
    )


_LOW, _HIGH = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-10")


def _to_ns(values: pd.Series, column: str) -> pd.Series:
    """A datetime Series checked to lie in the nanosecond range.

    Its unit is kept (no copy): every consumer reads it as nanoseconds, which
    is exact inside that range.
    """
    unit = getattr(values.dtype, "unit", None) or np.datetime_data(values.dtype)[0]
    if unit == "ns" or len(values) == 0:
        return values
    lo, hi = values.min(), values.max()
    if pd.isna(lo):
        return values
    if lo.tzinfo is not None:
        lo, hi = lo.tz_localize(None), hi.tz_localize(None)
    if _LOW <= lo and hi <= _HIGH:
        return values
    naive = values.dt.tz_localize(None) if values.dt.tz is not None else values
    bad = ((naive < _LOW) | (naive > _HIGH)).to_numpy()
    raise _out_of_range(column, naive[bad].astype(str))


def _mixed_tz_error(column: str, aware: Any, naive: Any, n_aware: int, n_naive: int) -> SchemaError:
    return SchemaError(
        f"column {column!r} mixes {n_aware} timezone-aware timestamps (e.g. {examples(aware)}) "
        f"with {n_naive} naive ones (e.g. {examples(naive)}); their order is ambiguous. Fix: "
        "make them all aware (ts.tz_localize('Europe/London')) or all naive "
        "(ts.tz_convert(None))."
    )


def _parse_objects(uniques: np.ndarray, codes: np.ndarray, column: str) -> pd.DatetimeIndex:
    """Distinct non-text values (datetime objects): one pass, naive/aware mix refused."""
    aware = np.array([getattr(v, "tzinfo", None) is not None for v in uniques], dtype=bool)
    if aware.any() and not aware.all():
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        raise _mixed_tz_error(
            column, uniques[aware], uniques[~aware], int(counts[aware].sum()),
            int(counts[~aware].sum()),
        )
    try:
        return pd.DatetimeIndex(pd.to_datetime(uniques))
    except OutOfBoundsDatetime as exc:
        raise _out_of_range(column, [str(v) for v in uniques]) from exc
    except (ValueError, TypeError) as exc:
        raise SchemaError(
            f"column {column!r} holds values that are not timestamps (e.g. "
            f"{examples(uniques)}): {exc}. Fix: parse it with pd.to_datetime(..., utc=True) "
            "or correct those rows."
        ) from exc


def _parse_with(strings: pd.Index, fmt: str, column: str) -> pd.DatetimeIndex:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(strings, format=fmt, errors="coerce")
        except OutOfBoundsDatetime as exc:  # pragma: no cover - coerce maps to NaT
            raise _out_of_range(column, strings) from exc
        except ValueError as exc:
            if "offset" in str(exc).lower() or "tz" in str(exc).lower():
                raise SchemaError(
                    f"column {column!r} mixes different UTC offsets or aware and naive "
                    f"times (e.g. {examples(strings)}). Fix: "
                    "pd.to_datetime(log[col], utc=True) and then tz_convert to one zone."
                ) from exc
            raise
    if not isinstance(parsed, pd.DatetimeIndex):  # several offsets -> object Index
        raise SchemaError(
            f"column {column!r} mixes different UTC offsets (e.g. {examples(strings)}). "
            "Fix: pd.to_datetime(log[col], utc=True), then .dt.tz_convert('<zone>')."
        )
    return parsed


def _parse_strings(strings: pd.Index, column: str, schema: TransactionSchema) -> pd.DatetimeIndex:
    """Parse distinct strings with one format for the whole column."""
    first = str(strings[0])
    fmt = schema.time_format
    if fmt is not None:
        return _parse_with(strings, fmt, column)
    fmt = guess_datetime_format(first, dayfirst=bool(schema.dayfirst))
    if fmt is None:
        # not a recognisable layout: ISO 8601 variants are still one format
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = pd.to_datetime(strings, format="ISO8601", errors="coerce")
            except ValueError:
                parsed = None
        if isinstance(parsed, pd.DatetimeIndex) and parsed.notna().any():
            return parsed
        raise SchemaError(
            f"column {column!r}: cannot infer a date format from values such as "
            f"{examples(strings)}. Fix: TransactionSchema(time_format='%d.%m.%Y %H:%M') "
            "(or the format your data uses)."
        )
    if fmt.startswith("%Y-%m-%d"):
        fmt = "ISO8601"  # date-only and date-time ISO values in one column: still one format
    parsed = _parse_with(strings, fmt, column)
    alt = _swapped(fmt)
    if alt is None or alt == fmt or (schema.dayfirst is not None and parsed.notna().all()):
        return parsed
    other = _parse_with(strings, alt, column)
    ok, ok_alt = bool(parsed.notna().all()), bool(other.notna().all())
    if ok and ok_alt and not parsed.equals(other):
        differ = strings[np.asarray(parsed != other)]
        raise SchemaError(
            f"column {column!r} has dates that read both day-first and month-first (e.g. "
            f"{examples(differ)}: {fmt!r} or {alt!r}); crmine does not guess. Fix: "
            "TransactionSchema(dayfirst=True) (or False), or "
            f"TransactionSchema(time_format={fmt!r})."
        )
    if ok_alt and not ok:
        return other
    return parsed


def parse_times(
    values: pd.Series, column: str, schema: TransactionSchema | None = None
) -> pd.Series:
    """Parse a timestamp column strictly; raise SchemaError on bad values.

    Parameters
    ----------
    values : pandas.Series
        The time column.
    column : str
        Its name (for messages).
    schema : TransactionSchema, optional
        Supplies ``time_format``, ``dayfirst`` and ``epoch_unit``.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` (or ``datetime64[ns, tz]``) on the same index.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_times(pd.Series(["2024-01-31", "2024-02-01"]), "timestamp").dt.day.tolist()
    [31, 1]
    >>> parse_times(pd.Series([1704067200]), "ts")
    Traceback (most recent call last):
    ...
    crmine.exceptions.SchemaError: column 'ts' holds numbers (e.g. 1704067200), not ...
    """
    schema = schema if schema is not None else TransactionSchema()
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        parsed = _to_ns(values, column)
    elif isinstance(dtype, pd.ArrowDtype) and pd.api.types.is_datetime64_any_dtype(dtype):
        parsed = _to_ns(pd.Series(values.to_numpy(), index=values.index), column)
    elif pd.api.types.is_bool_dtype(dtype):
        raise SchemaError(
            f"column {column!r} is boolean, not timestamps. Fix: name the time column "
            "with TransactionSchema(time=...)."
        )
    elif pd.api.types.is_numeric_dtype(dtype):
        parsed = _parse_epoch(values, column, schema)
    else:
        if isinstance(dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()
            uniques = np.asarray(values.cat.categories, dtype=object)
        else:
            codes, uniques = pd.factorize(values)
            uniques = np.asarray(uniques, dtype=object)
        if len(uniques) == 0:
            parsed_u = pd.DatetimeIndex([], dtype="datetime64[ns]")
        elif all(isinstance(v, str) for v in uniques):
            parsed_u = _parse_strings(pd.Index(uniques), column, schema)
        elif any(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                 for v in uniques):
            nums = [v for v in uniques if isinstance(v, (int, float, np.number))]
            raise SchemaError(
                f"column {column!r} holds numbers (e.g. {examples(nums)}) among its "
                "timestamps; crmine does not guess what they mean. Fix: convert the column "
                "with pd.to_datetime(..., unit='s') or set TransactionSchema(epoch_unit='s')."
            )
        else:
            parsed_u = _parse_objects(uniques, codes, column)
        bad_u = np.asarray(parsed_u.isna())
        if bad_u.any():
            n_bad = int(np.isin(codes, np.flatnonzero(bad_u)).sum())
            hint = (f" (dates must lie in {_RANGE})" if any(
                re.match(r"^\s*(\d{5,}|1[0-6]\d\d|2[3-9]\d\d|[3-9]\d\d\d)\D", str(v))
                for v in uniques[bad_u][:20]) else "")
            raise SchemaError(
                f"column {column!r} has {n_bad} value(s) that are not timestamps in one "
                f"format (e.g. {examples(uniques[bad_u])}){hint}. Fix: correct or remove "
                "those rows, or give the format: TransactionSchema(time_format='...')."
            )
        taken = parsed_u.take(np.where(codes >= 0, codes, 0))
        if (codes < 0).any():
            taken = taken.where(codes >= 0)
        parsed = pd.Series(taken, index=values.index, name=values.name)
        # pandas 3 parses text into a wider unit (years past 2262 succeed): check the range
        parsed = _to_ns(parsed, column)
    missing = parsed.isna().to_numpy()
    if missing.any():
        raise SchemaError(
            f"column {column!r} has {int(missing.sum())} missing timestamp(s) "
            f"(rows {list(values.index[missing][:5])}). Fix: fill or drop them."
        )
    return parsed


def _parse_epoch(values: pd.Series, column: str, schema: TransactionSchema) -> pd.Series:
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if schema.epoch_unit is None:
        raise SchemaError(
            f"column {column!r} holds numbers (e.g. {examples(values.dropna()[:5])}), not "
            "timestamps; read as nanoseconds they would all fall on 1970-01-01. Fix: say "
            "their unit, TransactionSchema(epoch_unit='s') (or 'ms', 'us', 'ns', 'D'), or "
            "convert them with pd.to_datetime(log[col], unit='s')."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pd.to_datetime(values, unit=schema.epoch_unit)
    except (OutOfBoundsDatetime, OverflowError, ValueError) as exc:
        raise SchemaError(
            f"column {column!r}: epochs in unit {schema.epoch_unit!r} fall outside {_RANGE} "
            f"(values {examples(arr[np.isfinite(arr)][[0, -1]] if np.isfinite(arr).any() else arr)}"
            "). Fix: check epoch_unit (seconds are 's', milliseconds 'ms')."
        ) from exc
    return out.dt.as_unit("ns") if hasattr(out, "dt") else out
