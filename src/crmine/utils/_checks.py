"""Checks of labels, treatment flags, money and rates, shared by every module.

Re-exported by :mod:`crmine.utils._validation`, the one input reader.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError

__all__ = ["check_binary", "check_money", "check_rate", "check_treatment"]


def one_column(values: Any, *, name: str) -> Any:
    """``values`` read as pandas when it is a polars/Arrow object; a one-column table is its column.

    A wider table is refused with its columns and the fix; anything else comes
    back as read (the caller checks its shape).
    """
    from crmine.utils._validation import show_values, to_pandas

    values = to_pandas(values, name=name)
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise SchemaError(
                f"{name} must be one column, got a table with {values.shape[1]} columns "
                f"{show_values(list(values.columns))}. Fix: pass {name}=df['<column>']."
            )
        return values.iloc[:, 0]
    return values


def check_binary(values: Any, *, name: str = "y_true", allow_nan: bool = False) -> np.ndarray:
    """Check a binary outcome and return it as an int8 array of 0 and 1.

    Accepts booleans, 0/1 numbers (int or float) and pandas nullable types
    without missing values.  Anything else (other numbers, text labels,
    missing values) is refused with the offending values and the fix.

    Parameters
    ----------
    values : array-like of shape (n,)
        The labels.
    name : str, default="y_true"
        The argument's name, used in messages.
    allow_nan : bool, default=False
        Return a float array with NaN kept instead of refusing missing values.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> check_binary([True, False, True]).tolist()
    [1, 0, 1]
    >>> check_binary([0, 2])
    Traceback (most recent call last):
    ...
    crmine.exceptions.SchemaError: y_true must be binary (0/1 or True/False), got values 0, 2. ...
    """
    from crmine.utils._validation import show_values

    values = one_column(values, name=name)
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if s.ndim != 1:
        raise SchemaError(f"{name} must be one-dimensional, got shape {np.shape(values)}.")
    missing = s.isna().to_numpy()
    if missing.any() and not allow_nan:
        raise SchemaError(
            f"{name} has {int(missing.sum())} missing value(s) (positions "
            f"{show_values(np.flatnonzero(missing))}); a binary outcome must be 0/1 for every "
            "row. Fix: fill or drop those rows."
        )
    present = s[~missing]
    if pd.api.types.is_bool_dtype(present.dtype) or (
        present.dtype == object and all(isinstance(v, (bool, np.bool_)) for v in present.iloc[:100])
    ):
        try:
            arr = present.astype(bool).to_numpy().astype(np.int8)
        except (TypeError, ValueError):  # pragma: no cover - mixed objects
            arr = None
    elif pd.api.types.is_numeric_dtype(present.dtype):
        f = present.to_numpy(dtype=np.float64)
        ok = (f == 0) | (f == 1)
        arr = f.astype(np.int8) if ok.all() else None
    else:
        arr = None
    if arr is None:
        uniq = pd.unique(present.astype(object))
        raise SchemaError(
            f"{name} must be binary (0/1 or True/False), got values {show_values(uniq)}. "
            f"Fix: encode it, e.g. {name} = (labels == <positive label>).astype(int)."
        )
    if allow_nan and missing.any():
        full = np.full(len(s), np.nan)
        full[~missing] = arr
        return full
    return arr


def check_treatment(values: Any, *, name: str = "treatment", n: int | None = None) -> np.ndarray:
    """Check a treatment flag (1 = treated, 0 = control); both groups must be present.

    Examples
    --------
    >>> check_treatment([1, 0, 1]).tolist()
    [1, 0, 1]
    """
    arr = check_binary(values, name=name)
    if n is not None and len(arr) != n:
        raise SchemaError(
            f"{name} has {len(arr)} values but there are {n} customers; pass one flag per "
            "customer, in the same order."
        )
    groups = set(np.unique(arr).tolist())
    if groups != {0, 1}:
        only = "treated" if groups == {1} else "control"
        raise SchemaError(
            f"{name} has only {only} customers; uplift needs both a treated (1) and a control "
            "(0) group. Fix: include the control group of the campaign."
        )
    return arr


def check_money(
    value: Any, *, name: str, allow_negative: bool = False, allow_zero: bool = True
) -> float:
    """Check a money parameter (``cost_per_contact``, ``value_per_response``, ...).

    Examples
    --------
    >>> check_money(2.5, name="cost_per_contact")
    2.5
    >>> check_money(-1, name="cost_per_contact")
    Traceback (most recent call last):
    ...
    crmine.exceptions.SchemaError: cost_per_contact must be a finite amount >= 0, got -1. ...
    """
    bound = (
        "any finite amount"
        if allow_negative
        else ("a finite amount " + (">= 0" if allow_zero else "> 0"))
    )
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise SchemaError(f"{name} must be {bound}, got {value!r}. Fix: pass a number.")
    f = float(value)
    ok = np.isfinite(f) and (allow_negative or f > 0 or (allow_zero and f == 0))
    if not ok:
        raise SchemaError(f"{name} must be {bound}, got {value!r}. Fix: pass such a number.")
    return f


def check_rate(value: Any, *, name: str) -> float:
    """Check a rate in [0, 1] (``margin``, ``discount_rate``, ...).

    Examples
    --------
    >>> check_rate(0.3, name="margin")
    0.3
    >>> check_rate(30, name="margin")
    Traceback (most recent call last):
    ...
    crmine.exceptions.SchemaError: margin is a rate in [0, 1], got 30 (a percentage? pass 0.3). ...
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise SchemaError(f"{name} is a rate in [0, 1], got {value!r}. Fix: pass a number.")
    f = float(value)
    if not (np.isfinite(f) and 0.0 <= f <= 1.0):
        hint = f" (a percentage? pass {f / 100:g})" if 1 < f <= 100 else ""
        raise SchemaError(f"{name} is a rate in [0, 1], got {value!r}{hint}. Fix: pass a rate.")
    return f
