"""The order x item matrix of a polars/Arrow/DuckDB/Parquet log."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from crmine.engines._frame import (
    ITEM,
    ORD,
    A,
    W,
    as_timestamp,
    collect,
    lines_of,
    localize,
    raise_checks,
    require_polars,
    wall_ns,
)
from crmine.exceptions import DataWarning, SchemaError
from crmine.schema import TransactionSchema, resolve_schema

__all__ = ["basket_matrix_lazy"]


def basket_matrix_lazy(
    log: Any,
    *,
    schema: TransactionSchema | None = None,
    item: str | None = None,
    cutoff: Any = None,
) -> Any:
    """:func:`crmine.basket_matrix` on a local engine.

    Only the distinct (order, item) pairs of the purchase lines leave polars;
    the sparse matrix is built from them exactly as the pandas path builds it
    (orders in order of first appearance, items sorted).

    Examples
    --------
    >>> import polars as pl
    >>> from crmine.engines._basket import basket_matrix_lazy
    >>> log = pl.DataFrame({"customer_id": [1, 1, 2], "order_id": [10, 10, 11],
    ...                     "timestamp": ["2024-01-01"] * 3,
    ...                     "item": ["beer", "diapers", "milk"], "amount": [3.0, 9.0, 1.0]})
    >>> basket_matrix_lazy(log).matrix.toarray().astype(int).tolist()
    [[1, 1, 0], [0, 0, 1]]
    """
    from scipy import sparse

    from crmine.features import BasketMatrix

    pl = require_polars()
    schema = resolve_schema(schema)
    if item is not None:
        schema = schema.replace(item=item)
    lines = lines_of(log, schema, require_item=True)
    row = collect(lines.frame.select([e.alias(n) for n, e in lines.checks.items()])).row(
        0, named=True
    )
    raise_checks(row, schema)
    keep = pl.col(A) >= 0
    if cutoff is not None:
        cut = localize(as_timestamp(cutoff, "cutoff"), lines.tz, "cutoff")
        keep = keep & (pl.col(W) < wall_ns(cut))
    before = pl.col(W) < wall_ns(cut) if cutoff is not None else pl.lit(True)
    n_ret = int(collect(lines.frame.filter((pl.col(A) < 0) & before).select(pl.len())).item())
    if n_ret:
        warnings.warn(
            f"{n_ret} return line(s) (negative or missing quantity * price) are left out of "
            "the baskets: a basket holds the purchase lines of an order. Fix: net returns "
            "first with crmine.clean_transactions to silence this.",
            DataWarning,
            stacklevel=3,
        )
    pairs = collect(
        lines.frame.filter(keep).select(ORD, ITEM).unique(maintain_order=True)
    )
    items_col = pairs.get_column(ITEM)
    if items_col.null_count():
        raise SchemaError(
            f"column {schema.item!r} has missing item(s) among the purchase lines. "
            "Fix: drop or label them before building baskets."
        )
    ocodes, orders = pd.factorize(pairs.get_column(ORD).to_pandas())
    icodes, items = pd.factorize(items_col.to_pandas(), sort=True)
    mat = sparse.csr_matrix(
        (np.ones(len(ocodes), dtype=bool), (ocodes, icodes)),
        shape=(len(orders), len(items)),
    )
    return BasketMatrix(mat, pd.Index(orders, name=schema.order),
                        pd.Index(items, name=schema.item))
