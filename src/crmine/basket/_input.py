"""Turn any basket input into a sparse order x item matrix.

Accepted inputs: a long transaction log (one row per line item, with an order
column and an item column), a list of baskets (iterables of item labels), a
one-hot DataFrame (boolean or 0/1 columns, dense or pandas-sparse), a scipy
sparse matrix, or a ``(matrix, orders, items)`` bundle such as
``crmine.features.BasketMatrix``.  A dense basket x item table is never built.
"""

from __future__ import annotations

import array
import warnings
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp

from crmine.exceptions import DataWarning, SchemaError

__all__ = ["Baskets", "as_baskets"]


class Baskets(NamedTuple):
    """A sparse order x item incidence matrix with its labels.

    Same field order as ``crmine.features.BasketMatrix`` so the two are
    interchangeable.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix of bool, shape (n_baskets, n_items)
        ``matrix[i, j]`` is True when basket ``i`` contains item ``j``.
    orders : pandas.Index
        Basket (order) labels, one per row.
    items : pandas.Index
        Item labels, one per column.

    Examples
    --------
    >>> b = as_baskets([["beer", "diapers"], ["beer"]])
    >>> b.matrix.shape, list(b.items)
    ((2, 2), ['beer', 'diapers'])
    """

    matrix: sp.csr_matrix
    orders: pd.Index
    items: pd.Index


def _factorize(values: Any) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and sorted unique labels (first-seen order if unsortable)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu" and len(values):
        lo, hi = int(values.min()), int(values.max())
        if lo >= 0 and hi < 4 * len(values) + 1024:  # small ids: counting sort
            present = np.zeros(hi + 1, dtype=bool)
            present[values] = True
            remap = np.cumsum(present) - 1
            return remap[values], pd.Index(np.flatnonzero(present))
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # mixed, unorderable labels
        codes, uniques = pd.factorize(values, sort=False)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def _from_codes(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """Boolean CSR matrix from (row, col) pairs; duplicates collapse to True."""
    data = np.ones(len(rows), dtype=np.int8)
    mat = sp.csr_matrix((data, (rows, cols)), shape=(n_rows, n_cols))
    mat.sum_duplicates()
    mat.data[:] = 1
    return mat.astype(bool)


def _from_log(
    df: pd.DataFrame, order_col: str, item_col: str, quantity_col: str = "quantity"
) -> Baskets:
    for col in (order_col, item_col):
        if col not in df.columns:
            raise SchemaError(
                f"column {col!r} not found in the transaction log (columns: "
                f"{list(df.columns)[:10]}); pass order_col=/item_col= naming the order and "
                "item columns, or give a one-hot (boolean) DataFrame."
            )
        n_missing = int(df[col].isna().sum())
        if n_missing:
            raise SchemaError(
                f"column {col!r} has {n_missing} missing value(s); drop or fill those rows "
                "(e.g. with crmine.schema.clean_transactions) before basket analysis."
            )
    qty_col = quantity_col if quantity_col in df.columns else None
    if qty_col is not None and pd.api.types.is_numeric_dtype(df[qty_col]):
        n_neg = int((df[qty_col] < 0).sum())
        if n_neg:
            warnings.warn(
                f"{n_neg} line(s) have a negative {qty_col!r} (returns); they are counted as "
                "basket items. Remove them first (e.g. crmine.schema.clean_transactions or "
                f"log[log[{qty_col!r}] > 0]).",
                DataWarning,
                stacklevel=4,
            )
    row_codes, orders = _factorize(df[order_col].to_numpy())
    col_codes, items = _factorize(df[item_col].to_numpy())
    mat = _from_codes(row_codes, col_codes, len(orders), len(items))
    return Baskets(mat, orders.rename(order_col), items.rename(item_col))


def _is_one_hot(df: pd.DataFrame) -> bool:
    if df.shape[1] == 0:
        return False
    for dtype in df.dtypes:
        if isinstance(dtype, pd.SparseDtype):
            dtype = dtype.subtype
        if not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
            return False
    return True


def _check_presence_values(values: np.ndarray, where: str) -> None:
    """Raise unless every stored value is finite and non-negative."""
    if values.dtype == bool or values.size == 0:
        return
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise SchemaError(
            f"{where} holds {int(bad.sum())} negative, NaN or infinite value(s) "
            f"(e.g. {values[bad][:3].tolist()}); a basket matrix must be boolean or hold "
            "non-negative quantities (nonzero = item in basket). Remove returns and missing "
            "values first."
        )


def _from_one_hot(df: pd.DataFrame) -> Baskets:
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for j, name in enumerate(df.columns):
        col = df[name]
        if isinstance(col.dtype, pd.SparseDtype):
            sp_values = col.array.sp_values
            _check_presence_values(np.asarray(sp_values), f"column {name!r}")
            fill = col.dtype.fill_value
            if fill is not None and not pd.isna(fill) and fill != 0:
                raise SchemaError(
                    f"column {name!r} is a sparse column with fill value {fill!r}; use fill "
                    "value 0/False for a one-hot basket table."
                )
            idx = np.asarray(col.array.sp_index.indices)
            keep = np.asarray(sp_values, dtype=float) != 0
            idx = idx[keep]
        else:
            values = col.to_numpy()
            if values.dtype == object or pd.api.types.is_extension_array_dtype(col.dtype):
                if col.isna().any():
                    raise SchemaError(
                        f"column {name!r} has {int(col.isna().sum())} missing value(s); a "
                        "one-hot basket table must be fully boolean (fill with False)."
                    )
                values = col.to_numpy(dtype=float)
            _check_presence_values(values, f"column {name!r}")
            idx = np.flatnonzero(values)
        rows.append(idx.astype(np.int64))
        cols.append(np.full(len(idx), j, dtype=np.int64))
    r = np.concatenate(rows) if rows else np.empty(0, np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, np.int64)
    mat = _from_codes(r, c, df.shape[0], df.shape[1])
    return Baskets(mat, pd.Index(df.index), pd.Index(df.columns))


def _from_sparse(mat: Any, items: Sequence[Any] | None, orders: Any = None) -> Baskets:
    if not (mat.format == "csr" and mat.dtype == bool and mat.has_canonical_format):
        mat = sp.csr_matrix(mat, copy=True)  # never modify the caller's matrix
        mat.sum_duplicates()
        _check_presence_values(mat.data, "the sparse basket matrix")
        mat.eliminate_zeros()
        mat = mat.astype(bool)
    elif not mat.data.all():
        mat = mat.copy()
        mat.eliminate_zeros()
    n, m = mat.shape
    item_index = pd.Index(range(m)) if items is None else pd.Index(items)
    if len(item_index) != m:
        raise SchemaError(
            f"items has {len(item_index)} labels but the matrix has {m} columns; pass one "
            "label per column."
        )
    order_index = pd.RangeIndex(n) if orders is None else pd.Index(orders)
    return Baskets(mat, order_index, item_index)


def _from_list(baskets: Iterable[Iterable[Any]]) -> Baskets:
    baskets = baskets if isinstance(baskets, list) else list(baskets)
    basket_types = set(map(type, baskets))
    if basket_types & {str, bytes} or not all(issubclass(t, Iterable) for t in basket_types):
        i = next(
            i
            for i, b in enumerate(baskets)
            if isinstance(b, (str, bytes)) or not isinstance(b, Iterable)
        )
        raise SchemaError(
            f"basket {i} is {baskets[i]!r}, not a collection of items; pass a list "
            'of baskets, e.g. [["beer", "diapers"], ["milk"]].'
        )
    if not all(hasattr(t, "__len__") for t in basket_types):  # e.g. generators
        baskets = [list(b) for b in baskets]
    lengths = np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))
    total = int(lengths.sum())
    flat = list(chain.from_iterable(baskets))
    values: np.ndarray | None = None
    if total and isinstance(flat[0], (int, np.integer)) and not isinstance(flat[0], bool):
        try:  # strict: array('q') rejects str and float items (np.fromiter would cast them)
            values = np.frombuffer(array.array("q", flat), dtype=np.int64)
        except (TypeError, OverflowError):
            values = None
    if values is None:
        values = np.empty(total, dtype=object)
        values[:] = flat
    cols, items = _factorize(values)
    if (cols < 0).any():
        raise SchemaError(
            f"{int((cols < 0).sum())} missing item label(s) (None/NaN) in the baskets; "
            "remove them first."
        )
    indptr = np.r_[0, np.cumsum(lengths)]
    mat = sp.csr_matrix(
        (np.ones(len(cols), dtype=bool), cols, indptr), shape=(len(baskets), len(items))
    )
    if not mat.has_canonical_format:
        mat.sum_duplicates()
    return Baskets(mat, pd.RangeIndex(len(baskets)), items)


def as_baskets(
    data: Any,
    *,
    order_col: str | None = None,
    item_col: str | None = None,
    schema: Any = None,
    items: Sequence[Any] | None = None,
) -> Baskets:
    """Convert basket data of any supported shape to a sparse :class:`Baskets`.

    Parameters
    ----------
    data : DataFrame, list of baskets, scipy sparse matrix or Baskets
        - a long transaction log: one row per line item, with an order column
          and an item column (``order_id`` and ``item`` by default);
        - a one-hot DataFrame: one boolean (or 0/1, or non-negative quantity)
          column per item, dense or pandas-sparse; rows are baskets;
        - a list of baskets, each an iterable of hashable item labels;
        - a scipy sparse matrix (rows = baskets, columns = items; nonzero means
          present);
        - a :class:`Baskets` / ``crmine.features.BasketMatrix`` bundle.
    order_col, item_col : str, optional
        Column names of the order and item in a long log.  Default to the
        schema's columns (``order_id``, ``item``).
    schema : TransactionSchema, optional
        Column roles of a long log (only ``order`` and ``item`` are used).
    items : sequence, optional
        Item labels of the columns of a scipy sparse matrix.

    Returns
    -------
    Baskets
        ``(matrix, orders, items)`` with a boolean CSR matrix.  Items of a log
        or list are sorted by label.  A repeated item in one basket counts once.

    Raises
    ------
    SchemaError
        Missing columns, missing labels, negative or NaN quantities.
    TypeError
        Unsupported input type.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"order_id": [1, 1, 2], "item": ["beer", "diapers", "beer"]})
    >>> b = as_baskets(log)
    >>> b.matrix.toarray()
    array([[ True,  True],
           [ True, False]])
    >>> list(b.orders), list(b.items)
    ([1, 2], ['beer', 'diapers'])
    """
    if isinstance(data, Baskets) and isinstance(data.items, pd.Index):
        if data.matrix.shape[1] != len(data.items):
            raise SchemaError(
                f"the Baskets bundle has {data.matrix.shape[1]} columns but "
                f"{len(data.items)} item labels; pass one label per column."
            )
        return _from_sparse(data.matrix, data.items, data.orders)
    if isinstance(data, Baskets) or (
        hasattr(data, "matrix") and hasattr(data, "items") and sp.issparse(data.matrix)
    ):
        orders = getattr(data, "orders", None)
        return _from_sparse(data.matrix, list(data.items), orders)
    if sp.issparse(data):
        return _from_sparse(data, items)
    if isinstance(data, pd.DataFrame):
        if schema is not None:
            order_col = order_col or getattr(schema, "order", None)
            item_col = item_col or getattr(schema, "item", None)
        order_col = order_col or "order_id"
        item_col = item_col or "item"
        quantity_col = getattr(schema, "quantity", None) or "quantity"
        if order_col in data.columns and item_col in data.columns:
            return _from_log(data, order_col, item_col, quantity_col)
        if _is_one_hot(data):
            return _from_one_hot(data)
        return _from_log(data, order_col, item_col)  # raises a SchemaError naming the column
    if isinstance(data, np.ndarray):
        raise TypeError(
            "a dense numpy array is not accepted as basket data (it would need item labels); "
            "pass scipy.sparse.csr_matrix(array) with items=..., or a one-hot DataFrame."
        )
    if isinstance(data, Iterable) and not isinstance(data, (str, bytes, dict)):
        return _from_list(data)
    raise TypeError(
        f"cannot read baskets from an object of type {type(data).__name__}; pass a transaction "
        "log DataFrame, a one-hot DataFrame, a list of baskets or a scipy sparse matrix."
    )
