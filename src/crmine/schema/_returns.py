"""The one rule that matches returns and cancellations to the purchases they undo.

Within each (customer, item), in time order, every negative line (a return,
or a line of a cancellation order) undoes quantity of the **earlier** purchase
lines of the same customer and item, the latest first (LIFO), partially if
needed.  The undone value is the purchase line's own price times the undone
quantity.  What cannot be matched (no earlier purchase left in the log) is an
unmatched return.  Without a quantity column, or without an item column
(units of different items are not comparable), the lines are matched by value.

:func:`match_returns` is a pure pandas function of the lines of the
(customer, item) groups that hold a negative line: an engine (polars, DuckDB,
Spark) collects just those groups and calls it.  It is vectorised: LIFO
matching is a stack per group whose height follows a walk reflected at zero,
so a purchase line keeps ``clip(min(later heights) - height before it, 0, q)``
units and a return matches the drop of the height it causes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError

__all__ = ["match_returns"]

_COLUMNS = ["matched_quantity", "matched_value", "unmatched_quantity", "unmatched_value"]


def _codes(values: pd.Series) -> np.ndarray:
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64)


def _time_key(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.to_numpy(dtype="datetime64[ns]").view(np.int64)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64)
    raise SchemaError(
        f"match_returns: the time column {values.name!r} must be datetimes or numbers, got "
        f"{values.dtype}. Fix: parse it with pd.to_datetime first."
    )


_EXACT = 2.0**52


def _segmented(step: np.ndarray, new: np.ndarray, gid: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-group running sum, running min of it and the min from each line to the group end.

    Groups are consecutive (``gid`` sorted, ``new`` marks their first line).
    Whole numbers (quantities) take an exact numpy path: one global cumsum
    minus each group's start, and running minima made group-local by an
    offset per group; other values use pandas' grouped operations.
    """
    n_groups = int(gid[-1]) + 1
    total = float(np.abs(step).sum())
    whole = total < _EXACT and bool(np.all(step == np.round(step)))
    if whole and n_groups * (2.0 * total + 1.0) < _EXACT:
        cs = np.cumsum(step)
        starts = np.flatnonzero(new)
        walk = cs - np.repeat(cs[starts] - step[starts], np.diff(np.append(starts, len(step))))
        span = 2.0 * total + 1.0  # any two values of a walk differ by less than this
        shift = (n_groups - 1 - gid) * span
        low = np.minimum.accumulate(walk + shift) - shift
        height = walk - np.minimum(low, 0.0)
        back = gid[::-1] * span
        floor = (np.minimum.accumulate(height[::-1] + back) - back)[::-1]
        return walk, height, floor
    walk = pd.Series(step).groupby(gid, sort=False).cumsum().to_numpy()
    low = np.minimum(pd.Series(walk).groupby(gid, sort=False).cummin().to_numpy(), 0.0)
    height = walk - low
    floor = pd.Series(height[::-1]).groupby(gid[::-1], sort=False).cummin().to_numpy()[::-1]
    return walk, height, floor


def match_returns(
    lines: pd.DataFrame,
    *,
    customer: str = "customer",
    item: str | None = "item",
    time: str = "time",
    quantity: str | None = "quantity",
    amount: str = "amount",
    is_return: str | None = None,
) -> pd.DataFrame:
    """Match return lines to the earlier purchases they undo (LIFO per customer and item).

    Parameters
    ----------
    lines : pandas.DataFrame
        Purchase and return lines; usually only those of the (customer, item)
        groups that hold a return (other groups come back unchanged).
    customer, item, time, quantity, amount : str
        Column names.  ``item=None`` matches within the customer only
        (crmine then also passes ``quantity=None``: units of different items
        are not comparable); ``quantity=None`` matches by value (the amount).  Quantities and
        amounts may be given with either sign: a return line undoes
        ``abs(quantity)`` units.
    is_return : str, optional
        Boolean column marking the return lines (e.g. the lines of
        cancellation orders).  Default: a negative quantity (or a negative
        amount without a quantity column).

    Returns
    -------
    pandas.DataFrame
        On the index of ``lines``, columns

        * ``matched_quantity``: for a purchase line the quantity undone by
          later returns; for a return line the quantity it undid;
        * ``matched_value``: that quantity at the line's own unit price
          (positive); summed over purchase lines it is the value returned;
        * ``unmatched_quantity``, ``unmatched_value``: the part of a return
          line that finds no earlier purchase (0 for purchase lines).

    Notes
    -----
    Purchase lines with the same timestamp as a return count as earlier (a
    daily log records a purchase and its return on the same day).  Among lines
    of the same time, the later row is the later line.

    Examples
    --------
    A purchase of 5 then 3 units; a return of 4 undoes the 3 first (LIFO)
    and 1 of the 5; a return before any purchase stays unmatched:

    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "customer": [1, 1, 1, 1], "item": ["x", "x", "x", "x"],
    ...     "time": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-01"]),
    ...     "quantity": [5, 3, -4, -2], "amount": [10.0, 9.0, -8.0, -4.0],
    ... })
    >>> match_returns(lines)[["matched_quantity", "matched_value", "unmatched_quantity"]]
       matched_quantity  matched_value  unmatched_quantity
    0               1.0            2.0                 0.0
    1               3.0            9.0                 0.0
    2               4.0            8.0                 0.0
    3               0.0            0.0                 2.0
    """
    from crmine.utils._validation import to_pandas

    lines = to_pandas(lines, name="lines", allow_arrays=False)
    if not isinstance(lines, pd.DataFrame):
        raise TypeError(
            f"match_returns reads a table of lines, got {type(lines).__name__}. Fix: pass a "
            "pandas/polars/pyarrow table with customer, item, time, quantity, amount columns."
        )
    needed = [c for c in (customer, item, time, quantity, amount, is_return) if c is not None]
    missing = [c for c in needed if c not in lines.columns]
    if missing:
        raise SchemaError(
            f"match_returns: column(s) {missing} not found in the lines (columns "
            f"{list(lines.columns)[:12]}). Fix: name them with customer=, item=, time=, "
            "quantity=, amount=."
        )
    n = len(lines)
    out = np.zeros((n, 4))
    if n == 0:
        return pd.DataFrame(out, index=lines.index, columns=_COLUMNS)
    try:
        amt = pd.to_numeric(lines[amount]).to_numpy(dtype=np.float64, na_value=np.nan)
        if quantity is not None:
            qty = pd.to_numeric(lines[quantity]).to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            qty = amt
    except (ValueError, TypeError) as exc:
        raise SchemaError(
            f"match_returns: quantity/amount columns must be numbers ({exc}). Fix: validate "
            "the log first (crmine.validate_transactions)."
        ) from exc
    if not (np.isfinite(amt).all() and np.isfinite(qty).all()):
        raise SchemaError(
            "match_returns: quantity/amount hold missing or infinite values. Fix: validate "
            "the log first (crmine.validate_transactions)."
        )
    ret = (
        lines[is_return].to_numpy(dtype=bool) if is_return is not None else qty < 0
    )
    units = np.abs(qty)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_price = np.where(units > 0, np.abs(amt) / units, 0.0)

    keys = [_time_key(lines[time]), _codes(lines[customer])]
    if (keys[1] < 0).any() or pd.isna(lines[time]).any():
        raise SchemaError(
            "match_returns: missing customer ids or times cannot be matched. Fix: drop those "
            "lines first (crmine.clean_transactions drops and counts them)."
        )
    if item is not None:
        keys.insert(1, _codes(lines[item]))
    # sort by customer, item, time; purchases before returns at the same time; stable
    order = np.lexsort([np.arange(n), ret, *keys])
    c_s = keys[-1][order]
    i_s = keys[1][order] if item is not None else np.zeros(n, dtype=np.int64)
    r_s = ret[order]
    u_s = units[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (c_s[1:] != c_s[:-1]) | (i_s[1:] != i_s[:-1])
    gid = np.cumsum(new) - 1
    step = np.where(r_s, -u_s, u_s)
    # height: the stack after each line (a walk reflected at 0); floor: the lowest
    # height from each line to the end of its group
    _, height, floor = _segmented(step, new, gid)
    before = np.empty(n)
    before[0] = 0.0
    before[1:] = height[:-1]
    before[new] = 0.0
    tol = 1e-9 * np.maximum(u_s, 1.0)
    kept = np.clip(floor - before, 0.0, u_s)
    undone = np.where(r_s, 0.0, u_s - kept)
    matched_ret = np.where(r_s, np.clip(before - height, 0.0, u_s), 0.0)
    matched = np.where(r_s, matched_ret, undone)
    matched[np.abs(matched) < tol] = 0.0
    matched = np.where(np.abs(matched - u_s) < tol, u_s, matched)
    unmatched = np.where(r_s, u_s - matched, 0.0)
    p_s = unit_price[order]
    res = np.column_stack([matched, matched * p_s, unmatched, unmatched * p_s])
    out[order] = res
    return pd.DataFrame(out, index=lines.index, columns=_COLUMNS)
