"""Concentration of value: top-x% share, Gini coefficient, Lorenz curve, pareto table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError

__all__ = ["gini", "lorenz_curve", "pareto_table", "top_share"]


def _values(values: Any, func: str) -> np.ndarray:
    """Validate a 1-D array of non-negative, finite values with a positive total."""
    name = getattr(values, "name", None)
    label = f"values {name!r}" if name is not None else "values"
    if isinstance(values, pd.DataFrame):
        raise SchemaError(
            f"{func}: got a DataFrame; pass one value column, e.g. "
            f"{func}(customers['monetary_total'])."
        )
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise SchemaError(
            f"{func}: {label} must be numeric; convert them with pd.to_numeric."
        ) from None
    if arr.ndim != 1:
        raise SchemaError(f"{func}: {label} must be one-dimensional; got shape {arr.shape}.")
    if arr.size == 0:
        raise SchemaError(f"{func}: {label} is empty; pass at least one customer's value.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise SchemaError(
            f"{func}: {label} has {int(bad.sum())} missing or infinite entries; drop or fill "
            "them first (every customer must have a value)."
        )
    if (arr < 0).any():
        raise SchemaError(
            f"{func}: {label} has {int((arr < 0).sum())} negative entries (min {arr.min():g}); "
            "concentration measures need non-negative values. Use gross spend, or clip "
            "loss-makers to zero with values.clip(lower=0) and report them separately."
        )
    with np.errstate(over="ignore"):
        total = arr.sum()
    if not np.isfinite(total):
        raise SchemaError(
            f"{func}: {label} sum to {total} (float64 overflow, largest value {arr.max():.3g}); "
            "rescale them (e.g. to thousands) or remove the corrupt values."
        )
    if total <= 0:
        raise SchemaError(
            f"{func}: {label} sum to 0, so shares of the total are undefined; pass values "
            "with a positive total."
        )
    return arr


def _is_fraction(value: Any) -> bool:
    return (
        isinstance(value, (int, float, np.number))
        and not isinstance(value, (bool, np.bool_))
        and 0 < float(value) <= 1
    )


def _top_count(fraction: float, n: int) -> int:
    """Count the customers in the top ``fraction``: rounded half up, at least 1."""
    return int(min(n, max(1, np.floor(fraction * n + 0.5))))


def top_share(values: Any, top: float = 0.2) -> float:
    """Share of the total value held by the top ``top`` fraction of customers.

    The top group has ``round(top * n)`` customers (half rounded up, at least
    one): the answer to "what share of revenue do the top 20% bring?".

    Parameters
    ----------
    values : array-like of shape (n_customers,)
        Non-negative value per customer (e.g. gross monetary).
    top : float, default=0.2
        Fraction of customers, in (0, 1].

    Returns
    -------
    float
        Share of the total, between ``top``-ish and 1.

    Examples
    --------
    >>> top_share([50, 20, 10, 10, 5, 5, 0, 0, 0, 0], top=0.2)
    0.7
    """
    arr = _values(values, "top_share")
    if not _is_fraction(top):
        raise SchemaError(f"top_share: top={top!r} must be a fraction in (0, 1], e.g. 0.2.")
    k = _top_count(top, arr.size)
    ordered = np.sort(arr)[::-1]
    return float(ordered[:k].sum() / arr.sum())


def gini(values: Any) -> float:
    """Gini coefficient of value across customers.

    ``G = sum_i (2 i - n - 1) x_(i) / (n * sum x)`` with ``x_(1) <= ... <= x_(n)``:
    0 when every customer is worth the same, ``(n - 1) / n`` when one customer
    holds everything.  It equals twice the area between the line of equality
    and the Lorenz curve (:func:`lorenz_curve`).

    Parameters
    ----------
    values : array-like of shape (n_customers,)
        Non-negative value per customer.

    Returns
    -------
    float
        The Gini coefficient.

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 4])
    0.75
    """
    arr = np.sort(_values(values, "gini"))
    n = arr.size
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * arr).sum() / (n * arr.sum()))


def lorenz_curve(values: Any, *, descending: bool = False) -> pd.DataFrame:
    """Lorenz-curve points: cumulative share of customers against share of value.

    Parameters
    ----------
    values : array-like of shape (n_customers,)
        Non-negative value per customer.
    descending : bool, default=False
        ``False`` gives the classical Lorenz curve (smallest customers first,
        below the diagonal).  ``True`` sorts the largest first, the
        "concentration" or pareto curve read as "the top x% hold y%".

    Returns
    -------
    DataFrame
        ``n + 1`` rows with columns ``customer_share`` and ``value_share``,
        starting at (0, 0) and ending at (1, 1).

    Examples
    --------
    >>> lorenz_curve([3, 1]).round(2).values.tolist()
    [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]
    >>> lorenz_curve([3, 1], descending=True).round(2).values.tolist()
    [[0.0, 0.0], [0.5, 0.75], [1.0, 1.0]]
    """
    arr = np.sort(_values(values, "lorenz_curve"))
    if descending:
        arr = arr[::-1]
    n = arr.size
    cum = np.concatenate([[0.0], np.cumsum(arr)]) / arr.sum()
    cum[-1] = 1.0
    return pd.DataFrame({"customer_share": np.arange(n + 1) / n, "value_share": cum})


def pareto_table(values: Any, tops: Sequence[float] = (0.01, 0.05, 0.1, 0.2, 0.5)) -> pd.DataFrame:
    """Tabulate the value held by the top x% of customers (the 80/20 question).

    Parameters
    ----------
    values : array-like of shape (n_customers,)
        Non-negative value per customer.
    tops : sequence of float, default=(0.01, 0.05, 0.1, 0.2, 0.5)
        Customer fractions to report (see :func:`top_share` for the rounding).

    Returns
    -------
    DataFrame
        Indexed by ``top`` with columns ``customers`` (count in the top
        group), ``value`` and ``value_share`` (the Gini coefficient is
        :func:`gini`).

    Examples
    --------
    >>> pareto_table([50, 20, 10, 10, 5, 5, 0, 0, 0, 0], tops=[0.1, 0.2])
         customers  value  value_share
    top
    0.1          1   50.0          0.5
    0.2          2   70.0          0.7
    """
    arr = _values(values, "pareto_table")
    ordered = np.sort(arr)[::-1]
    cum = np.cumsum(ordered)
    rows = []
    for top in tops:
        if not _is_fraction(top):
            raise SchemaError(
                f"pareto_table: top={top!r} in tops must be a fraction in (0, 1], e.g. 0.2."
            )
        k = _top_count(top, arr.size)
        rows.append((k, float(cum[k - 1]), float(cum[k - 1] / cum[-1])))
    out = pd.DataFrame(
        rows,
        index=pd.Index([float(t) for t in tops], name="top"),
        columns=["customers", "value", "value_share"],
    )
    return out
