"""The one basket container: any basket input as a sparse order x item matrix.

Accepted inputs: a long transaction log (pandas, polars or pyarrow, read by
column name through the schema's ``order`` and ``item`` roles), a list of
baskets (iterables of item labels), a one-hot table (every column boolean or
0/1, dense or pandas-sparse), a scipy sparse matrix, or a :class:`Baskets`
bundle (``crmine.features.BasketMatrix`` is the same class).  A dense basket
x item table is never built.  Return lines of a log are left out (the one
purchase definition) and counted in a ``DataWarning``.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from itertools import chain
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp

from crmine.basket._codes import _int_codes, _int_values
from crmine.exceptions import DataWarning, InputTypeError, SchemaError
from crmine.schema import TransactionSchema, resolve_schema
from crmine.utils._validation import is_dataframe_like, purchase_mask, show_values, to_pandas

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
            remap = np.cumsum(present, dtype=np.int64) - 1
            if len(remap) and remap[-1] < np.iinfo(np.int32).max:
                remap = remap.astype(np.int32)  # half the memory of the codes
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


def _missing_columns(df: pd.DataFrame, schema: TransactionSchema) -> SchemaError:
    missing = [(r, getattr(schema, r)) for r in ("order", "item") if getattr(schema, r) not in df]
    names = ", ".join(f"{col!r} ({role})" for role, col in missing)
    example = ", ".join(f"{role}='...'" for role, _ in missing)
    return SchemaError(
        f"the transaction log has no column(s) {names} (columns: "
        f"{show_values(list(df.columns))}). Fix: pass schema=TransactionSchema({example}) "
        "naming the order and item columns; a one-hot basket table must hold only "
        "boolean or 0/1 columns, one per item."
    )


def _line_values(df: pd.DataFrame, schema: TransactionSchema) -> tuple[np.ndarray, str] | None:
    """Value (or quantity) of each line, to tell purchases from returns."""
    if schema.amount is not None and schema.amount in df:
        cols, what = [schema.amount], schema.amount
    elif schema.quantity is not None and schema.quantity in df:
        cols, what = [schema.quantity], schema.quantity
        if schema.price is not None and schema.price in df:
            cols.append(schema.price)
            what = f"{schema.quantity} * {schema.price}"
    else:
        return None
    out = np.ones(len(df))
    for col in cols:
        try:
            out = out * pd.to_numeric(df[col]).to_numpy(dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise SchemaError(
                f"column {col!r} is not numeric (e.g. {show_values(df[col].unique())}); "
                "basket lines are told apart from returns by its sign. Fix: convert it "
                "(pd.to_numeric) or switch the role off, e.g. "
                f"TransactionSchema({_role(schema, col)}=None)."
            ) from exc
    return out, what


def _role(schema: TransactionSchema, col: str) -> str:
    return next(r for r in ("amount", "quantity", "price") if getattr(schema, r) == col)


def _before_cutoff(df: pd.DataFrame, schema: TransactionSchema, cutoff: Any) -> np.ndarray:
    from crmine.schema import parse_times

    if schema.time not in df:
        raise SchemaError(
            f"cutoff={cutoff!r} needs the time column {schema.time!r}, which the log does "
            f"not have. Fix: pass schema=TransactionSchema(time='...') or drop cutoff."
        )
    times = parse_times(df[schema.time], schema.time, schema)  # the schema's time format
    try:
        cut = pd.Timestamp(cutoff)
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"cutoff={cutoff!r} is not a timestamp. Fix: e.g. '2024-01-01'.") from exc
    if pd.isna(cut):
        raise SchemaError("cutoff is NaT (missing). Fix: pass a timestamp or None.")
    tz = getattr(times.dt, "tz", None)
    if (tz is None) != (cut.tzinfo is None):
        raise SchemaError(
            f"cutoff={cutoff!r} and the column {schema.time!r} do not agree on a time zone "
            f"(column: {tz}, cutoff: {cut.tzinfo}). Fix: give the cutoff in the column's zone."
        )
    return (times < cut).to_numpy(dtype=bool)


def _from_log(df: pd.DataFrame, schema: TransactionSchema, cutoff: Any) -> Baskets:
    order_col, item_col = schema.order, schema.item
    for col in (order_col, item_col):
        n_missing = int(df[col].isna().sum())
        if n_missing:
            raise SchemaError(
                f"column {col!r} has {n_missing} missing value(s); drop or fill those rows "
                "(e.g. with crmine.schema.clean_transactions) before basket analysis."
            )
    keep: np.ndarray | None = None
    if cutoff is not None:
        keep = _before_cutoff(df, schema, cutoff)
    values = _line_values(df, schema)
    if values is not None:
        bought = purchase_mask(values[0])
        n_out = int((~bought if keep is None else ~bought & keep).sum())
        if n_out:
            warnings.warn(
                f"{n_out} return line(s) (negative or missing {values[1]}) are left out of "
                "the baskets: a basket holds the purchase lines of an order. Fix: net "
                "returns first with crmine.clean_transactions to silence this.",
                DataWarning,
                stacklevel=4,
            )
        keep = bought if keep is None else keep & bought
    orders_raw = df[order_col].to_numpy()
    items_raw = df[item_col].to_numpy()
    if keep is not None and not keep.all():
        orders_raw, items_raw = orders_raw[keep], items_raw[keep]
    row_codes, orders = pd.factorize(orders_raw)  # orders in order of first appearance
    orders = pd.Index(orders)
    col_codes, items = _factorize(items_raw)
    _check_labels(items, f"column {item_col!r}")
    mat = _from_codes(row_codes, col_codes, len(orders), len(items))
    return Baskets(mat, orders.rename(order_col), items.rename(item_col))


def _check_labels(items: pd.Index, where: str) -> None:
    """Refuse item labels that differ only in type (``1`` and ``"1"``)."""
    if items.dtype != object or len(items) < 2:
        return
    text = pd.Index([str(x) for x in items])
    dup = text.duplicated(keep=False)
    if dup.any():
        clash = items[dup][:4].tolist()
        raise SchemaError(
            f"{where} holds item labels that print alike but differ in type: {clash!r}; "
            "crmine does not guess whether they are one item. Fix: make the labels one "
            "type, e.g. log[item] = log[item].astype(str)."
        )


def _is_one_hot(df: pd.DataFrame) -> bool:
    """Whether every column holds booleans or 0/1 values only (an item indicator)."""
    if df.shape[1] == 0:
        return False
    for name in df.columns:
        col = df[name]
        dtype = col.dtype
        if isinstance(dtype, pd.SparseDtype):
            dtype = dtype.subtype
            values = np.asarray(col.array.sp_values)
        else:
            values = None
        if pd.api.types.is_bool_dtype(dtype):
            continue
        if not pd.api.types.is_numeric_dtype(dtype):
            return False
        if values is None:
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.asarray(values, dtype=np.float64)
        if not np.all((values == 0) | (values == 1) | np.isnan(values)):
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
    _check_labels(pd.Index(df.columns), "the one-hot columns")
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
    _check_labels(item_index, "the item labels")
    order_index = pd.RangeIndex(n) if orders is None else pd.Index(orders)
    return Baskets(mat, order_index, item_index)


def _small_ids(baskets: list[Any]) -> np.ndarray | None:
    """All items as uint8 when every one is an integer in [0, 255] (``None`` otherwise).

    ``bytearray`` reads small ints in a quarter of the time of ``array("q")``,
    as strictly (``__index__`` only: no str, no float).  A look at the first
    baskets avoids flattening data with larger ids.
    """
    head = baskets[:64]
    try:
        probe = bytearray(chain.from_iterable(head))
    except (TypeError, ValueError):
        return None
    # read in slices of about 16k items: the list of a slice's items (8 bytes per item,
    # 1.4 MB for all of the dense benchmark's) stays small, for the same time
    step = max(64, (len(head) << 14) // max(len(probe), 1))
    out = bytearray()
    for i in range(0, len(baskets), step):
        flat: list[Any] = []
        deque(map(flat.extend, baskets[i : i + step]), maxlen=0)
        try:
            out += bytearray(flat)
        except (TypeError, ValueError):  # a larger id, or not an integer, further on
            return None
    return np.frombuffer(out, dtype=np.uint8)


class _FirstSeenCodes(dict):  # type: ignore[type-arg]
    """Label -> its number in order of first appearance, numbered on first look-up."""

    def __missing__(self, label: Any) -> int:
        code = self[label] = len(self)
        return code


def _str_codes(flat: list[Any]) -> tuple[np.ndarray, pd.Index] | None:
    """Codes and sorted labels when every item is a ``str`` (``None`` otherwise).

    As ``pd.factorize(values, sort=True)`` for strings, in one pass of dict
    look-ups (no object array, no pandas hash table: 1.5-2x faster); then the
    distinct labels are sorted and the codes remapped to their ranks.
    """
    seen = _FirstSeenCodes()
    try:
        try:  # up to 256 labels: one byte per item (a third faster than int32)
            codes = np.frombuffer(bytearray(map(seen.__getitem__, flat)), dtype=np.uint8)
        except ValueError:  # a 257th label: again as int32 (the numbers given stay)
            codes = np.fromiter(map(seen.__getitem__, flat), dtype=np.int32, count=len(flat))
    except (TypeError, OverflowError):  # unhashable labels, or over 2**31 of them
        return None
    if not all(type(x) is str for x in seen):  # mixed labels: the general path
        return None
    labels = np.empty(len(seen), dtype=object)
    labels[:] = list(seen)
    order = np.argsort(labels)
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return rank[codes], pd.Index(labels[order])


_LINEAR_SORT_MAX_NNZ = 1 << 24  # above: sort in place (the two passes hold two copies)


def _canonical(mat: sp.csr_matrix) -> sp.csr_matrix:
    """Sorted column indices in every row, repeated items collapsed."""
    if mat.has_canonical_format:
        return mat
    if not mat.has_sorted_indices and mat.nnz <= _LINEAR_SORT_MAX_NNZ:
        # two linear counting-sort passes (CSR -> CSC -> CSR) sort every row in
        # O(nnz + n + m); csr_sort_indices sorts row by row by comparison (4x
        # slower on Groceries)
        mat = mat.tocsc().tocsr()
    mat.sum_duplicates()  # sorts in place when still needed
    return mat


def _item_codes(baskets: list[Any], all_lists: bool, head: Any) -> tuple[np.ndarray, pd.Index]:
    """Column code of every item (basket after basket) and the sorted labels.

    Integers are read as bytes (ids 0..255) or into strict int32 / int64 buffers,
    strings by one pass of dict look-ups (:func:`_str_codes`); anything else,
    or a mix, goes through an object array, ``pd.factorize`` and the checks.
    """
    if isinstance(head, (int, np.integer)) and not isinstance(head, bool):
        ints = _small_ids(baskets)
        if ints is None:
            ints = _int_values(baskets, all_lists)
        if ints is not None:
            found = _int_codes(ints)  # small ids: coded in place (ours), labels int64
            return found if found is not None else _checked_codes(ints.astype(np.int64))
    flat: list[Any] = []  # list.extend per basket: twice as fast as itertools.chain
    deque(map(flat.extend, baskets), maxlen=0)
    if type(head) is str:
        found = _str_codes(flat)
        if found is not None:  # distinct str labels: never missing, never print alike
            return found
    values = np.fromiter(flat, dtype=object, count=len(flat))
    del flat
    return _checked_codes(values)


def _checked_codes(values: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """``_factorize`` refusing unhashable, missing and type-clashing labels."""
    try:
        cols, items = _factorize(values)
    except TypeError as exc:  # unhashable labels such as lists
        bad = next((x for x in values if not isinstance(x, Hashable)), None)
        raise SchemaError(
            f"item labels must be hashable (strings, numbers), got {bad!r}; pass a list of "
            'baskets, each a list of item labels, e.g. [["beer", "diapers"], ["milk"]].'
        ) from exc
    if (cols < 0).any():
        raise SchemaError(
            f"{int((cols < 0).sum())} missing item label(s) (None/NaN) in the baskets; "
            "remove them first."
        )
    _check_labels(items, "the baskets")
    return cols, items


def _lengths(baskets: list[Any]) -> np.ndarray:
    """Number of items of every basket (uint8 when all are below 256, else int64)."""
    try:  # one byte per basket: a third faster than np.fromiter into int64
        return np.frombuffer(bytearray(map(len, baskets)), dtype=np.uint8)
    except ValueError:  # a basket of 256 items or more
        return np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))


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
        basket_types = {list}
    lengths = _lengths(baskets)
    total = int(lengths.sum(dtype=np.int64))
    first = next((b for b in baskets if len(b)), None)
    head = next(iter(first)) if first is not None else None
    cols, items = _item_codes(baskets, basket_types == {list}, head)
    if len(cols) != total:  # a basket whose len() disagrees with its items
        raise SchemaError(
            f"the baskets hold {len(cols)} items but their lengths add up to {total}; "
            "pass lists of item labels."
        )
    index_dtype = np.int32 if total < np.iinfo(np.int32).max else np.int64
    indptr = np.empty(len(baskets) + 1, dtype=index_dtype)
    indptr[0] = 0
    np.cumsum(lengths, dtype=index_dtype, out=indptr[1:])
    mat = sp.csr_matrix(
        (np.ones(len(cols), dtype=bool), cols.astype(index_dtype, copy=False), indptr),
        shape=(len(baskets), len(items)),
    )
    return Baskets(_canonical(mat), pd.RangeIndex(len(baskets)), items)


def as_baskets(
    data: Any,
    *,
    schema: TransactionSchema | None = None,
    cutoff: Any = None,
    items: Sequence[Any] | None = None,
) -> Baskets:
    """Convert basket data of any supported shape to a sparse :class:`Baskets`.

    This is crmine's one basket builder (``crmine.basket_matrix`` is the
    same function under its older name).

    Parameters
    ----------
    data : DataFrame, list of baskets, scipy sparse matrix or Baskets
        - a long transaction log (pandas, polars or pyarrow; read by column
          name, never by position): one row per line item, with the order and
          item columns named by ``schema`` (``order_id`` and ``item`` by
          default);
        - a one-hot table: every column boolean or 0/1 (one per item), dense
          or pandas-sparse; rows are baskets.  A table that has neither the
          schema's order and item columns nor only 0/1 columns is refused
          (never guessed);
        - a list of baskets, each an iterable of hashable item labels;
        - a scipy sparse matrix (rows = baskets, columns = items; nonzero means
          present);
        - a :class:`Baskets` bundle.
    schema : TransactionSchema or dict, optional
        Column roles of a long log (a ``TransactionSchema`` or a mapping
        ``{"order": ..., "item": ...}``): ``order`` and ``item``; the line value
        (``amount``, else ``quantity`` [* ``price``]) tells purchases from
        returns; ``time`` is read only with ``cutoff``.
    cutoff : str or Timestamp, optional
        Use only the log lines strictly before it.
    items : sequence, optional
        Item labels of the columns of a scipy sparse matrix.

    Returns
    -------
    Baskets
        ``(matrix, orders, items)`` with a boolean CSR matrix.  Orders of a
        log come in order of first appearance; items of a log or list are
        sorted by label.  A repeated item in one basket counts once.

    Raises
    ------
    SchemaError
        Missing columns, missing labels, item labels that differ only in type
        (``1`` and ``"1"``), non-0/1 values in a one-hot table.
    TypeError
        Unsupported input type.

    Warns
    -----
    DataWarning
        When return lines (negative or missing line value) are left out.

    Notes
    -----
    Returns: a basket holds the *purchase* lines of an order (the one
    definition, :func:`crmine.utils._validation.purchase_mask`: line value
    ``>= 0``).  Return lines are left out and counted in a ``DataWarning``;
    net them against their purchases first with
    :func:`crmine.clean_transactions` for a clean analysis.

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
    if isinstance(data, tuple) and hasattr(data, "matrix") and sp.issparse(data.matrix):
        return _from_sparse(data.matrix, list(data.items), getattr(data, "orders", None))
    if sp.issparse(data):
        return _from_sparse(data, items)
    if items is None and not is_dataframe_like(data):
        from crmine.utils._engines import find_engine

        engine = find_engine(data)  # a lazy log (LazyFrame, DuckDB, Parquet path): built there
        if engine is not None and hasattr(engine, "basket_matrix"):
            return engine.basket_matrix(data, schema=resolve_schema(schema), cutoff=cutoff)
    if is_dataframe_like(data) or type(data).__module__.startswith(("polars", "narwhals")):
        data = to_pandas(data, name="data")  # by column name
    if isinstance(data, pd.DataFrame):
        schema = resolve_schema(schema)
        if schema.order in data.columns and schema.item in data.columns:
            return _from_log(data, schema, cutoff)
        if _is_one_hot(data):
            if cutoff is not None:
                raise SchemaError(
                    "cutoff= applies to a transaction log; this table was read as one-hot "
                    "baskets (no time). Fix: drop cutoff or pass the log."
                )
            return _from_one_hot(data)
        raise _missing_columns(data, schema)
    if isinstance(data, np.ndarray):
        raise InputTypeError(
            "a dense numpy array is not accepted as basket data (it would need item labels); "
            "pass scipy.sparse.csr_matrix(array) with items=..., or a one-hot DataFrame."
        )
    if isinstance(data, pd.Series):
        raise InputTypeError(
            "a Series is not basket data; pass a transaction log DataFrame, a one-hot "
            "DataFrame or a list of baskets (data.tolist() for a Series of lists)."
        )
    if isinstance(data, Iterable) and not isinstance(data, (str, bytes, dict)):
        return _from_list(data)
    raise InputTypeError(
        f"cannot read baskets from an object of type {type(data).__name__}; pass a transaction "
        "log DataFrame, a one-hot DataFrame, a list of baskets or a scipy sparse matrix."
    )
