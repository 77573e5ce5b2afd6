"""Returns netted against the purchases they undo, where the rows live.

The rule is crmine's one pandas function (:func:`crmine.schema.match_returns`
through :func:`crmine.schema.net_returns`); an engine only selects the
(customer, item) groups that hold a return line, collects those rows (in log
order), calls it, and puts the adjusted rows back beside the untouched ones.
Nothing is dropped here: a line fully undone is marked dead (``ALIVE`` false),
so that logged return values can still be summed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.engines._frame import ITEM, A, C, U, Z, collect, require_polars

__all__ = ["ALIVE", "LOGGED", "RET", "net_collected", "net_lines", "plain_lines"]

RET = "__ret"  # the line is a return (value < 0 as logged)
LOGGED = "__la"  # the value as logged
ALIVE = "__alive"  # the line is left after netting


def plain_lines(lf: Any) -> Any:
    """The lines without netting (``returns="keep"``)."""
    pl = require_polars()
    return lf.with_columns(
        (pl.col(A) < 0).alias(RET), pl.col(A).alias(LOGGED), pl.lit(True).alias(ALIVE)
    )


def net_lines(lf: Any, *, has_item: bool, has_quantity: bool,
              is_return: Any = None, eligible: Any = None) -> tuple[Any, pd.DataFrame | None]:
    """Lines with returns netted (``returns="net"``), and the adjustments made.

    ``is_return`` / ``eligible`` are polars expressions (default: a negative
    value is a return, every other line may be undone).  Returns the lazy
    lines with ``A`` (and ``U`` when there is a quantity) reduced, ``RET``,
    ``LOGGED`` and ``ALIVE`` columns, and the adjustment table of the affected
    rows (``None`` when there was no return).
    """
    pl = require_polars()
    ret = pl.col(A) < 0 if is_return is None else is_return
    elig = ~pl.col(RET) if eligible is None else eligible
    lf = lf.with_columns(ret.alias(RET), pl.col(A).alias(LOGGED), pl.lit(True).alias(ALIVE))
    lf = lf.with_columns(elig.alias("__elig"))
    keys = [C, ITEM] if has_item else [C]
    groups = collect(lf.filter(pl.col(RET)).select(keys).unique())
    if groups.height == 0:
        return lf.drop("__elig"), None
    groups = groups.lazy()
    sub = collect(lf.join(groups, on=keys, how="semi", nulls_equal=True, maintain_order="left"))
    rest = lf.join(groups, on=keys, how="anti", nulls_equal=True, maintain_order="left")
    sub, adj = net_collected(sub, has_item=has_item, has_quantity=has_quantity)
    return pl.concat([rest, sub.lazy()], how="vertical_relaxed").drop("__elig"), adj


def net_collected(sub: Any, *, has_item: bool, has_quantity: bool) -> tuple[Any, pd.DataFrame]:
    """Net the collected lines ``sub`` (a polars DataFrame in log order).

    ``sub`` holds the private line columns and the boolean columns ``RET``
    (a return line) and ``"__elig"`` (a line that may be undone).  Returns
    ``sub`` with ``A`` (and ``U`` when there is a quantity) reduced and
    ``ALIVE`` set, and the adjustment table of :func:`crmine.schema.net_returns`
    with the row, return flag, units and amount of each adjusted line.
    """
    from crmine.schema import net_returns

    pl = require_polars()
    codes, _ = pd.factorize(sub.get_column(C).to_pandas())
    item_values = sub.get_column(ITEM).to_pandas().to_numpy() if has_item else None
    amount = sub.get_column(A).to_numpy().astype(np.float64)
    units = np.abs(sub.get_column(U).to_numpy().astype(np.float64)) if has_quantity \
        else np.abs(amount)
    is_ret = sub.get_column(RET).to_numpy().astype(bool)
    eligible_np = sub.get_column("__elig").to_numpy().astype(bool)
    adj = net_returns(codes.astype(np.int64), item_values,
                      sub.get_column(Z).to_numpy().astype(np.int64), units, amount,
                      is_ret, eligible_np)
    pos = adj.index.to_numpy(dtype=np.int64)
    m_q = adj["matched_quantity"].to_numpy()
    m_v = adj["matched_value"].to_numpy()
    new_amount = amount.copy()
    new_amount[pos] = np.where(is_ret[pos], -adj["unmatched_value"].to_numpy(),
                               amount[pos] - m_v)
    left = units.copy()
    left[pos] = np.where(is_ret[pos], adj["unmatched_quantity"].to_numpy(), units[pos] - m_q)
    alive = np.ones(len(amount), dtype=bool)
    alive[pos] = left[pos] > 0
    cols = [pl.Series(A, new_amount), pl.Series(ALIVE, alive)]
    if has_quantity:
        qty = sub.get_column(U).to_numpy().astype(np.float64)
        new_q = qty.copy()
        new_q[pos] = np.where(is_ret[pos], -adj["unmatched_quantity"].to_numpy(),
                              qty[pos] - m_q)
        cols.append(pl.Series(U, new_q))
    sub = sub.with_columns(cols)
    adj = adj.assign(__row=pos, __is_return=is_ret[pos], __units=units[pos],
                     __amount=amount[pos])
    return sub, adj
