"""A compact pandas column of itemsets: integer codes in, frozensets out.

Frequent itemsets and association rules hold millions of small sets.  As
Python frozensets they cost 200-470 bytes each and most of the mining time
(55,040 itemsets of a dense data set: 17 ms to build, 6 ms to free, 22 MB).
:class:`ItemsetArray` stores them the way arules' ``itemMatrix`` does: the
item codes of all itemsets in one integer array, one offset per itemset and
the item labels once.  Every element that leaves the array is a ``frozenset``
of labels (indexing, iteration, ``.tolist()``, ``np.asarray``, ``.apply``),
so code written for mlxtend's object column keeps working; the frozensets are
built only when asked for.
"""

from __future__ import annotations

import gc
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray, ExtensionDtype, register_extension_dtype
from pandas.api.indexers import check_array_indexer

__all__ = ["ItemsetArray", "ItemsetDtype"]

_CHUNK = 4096  # frozensets built at a time while iterating


@register_extension_dtype
class ItemsetDtype(ExtensionDtype):
    """The pandas dtype ``"itemset"``: a frozenset of item labels per row.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([{"beer", "diapers"}, {"milk"}], dtype="itemset")
    >>> s.dtype
    ItemsetDtype()
    >>> sorted(s[0])
    ['beer', 'diapers']
    """

    name = "itemset"
    type = frozenset
    kind = "O"
    na_value = np.nan
    _is_immutable = True  # variable-length rows: no views to write through

    @classmethod
    def construct_array_type(cls) -> type[ItemsetArray]:
        """The array class of this dtype (:class:`ItemsetArray`)."""
        return ItemsetArray

    def __repr__(self) -> str:
        return "ItemsetDtype()"


def _is_na(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and value != value


def _sort_key(x: Any) -> tuple[str, Any]:
    return (type(x).__name__, x) if not isinstance(x, (int, float)) else ("", x)


def _show(itemset: Any) -> str:
    if not isinstance(itemset, frozenset):
        return "NaN"
    try:
        labels = sorted(itemset, key=_sort_key)
    except TypeError:
        labels = list(itemset)
    return "(" + ", ".join(str(x) for x in labels) + ")"


class ItemsetArray(ExtensionArray):
    """A pandas extension array of itemsets (frozensets of item labels).

    The column ``itemset`` of :func:`apriori` and the columns
    ``antecedents``/``consequents`` of :func:`association_rules` are
    ``ItemsetArray`` objects (dtype ``"itemset"``).  Each element comes out as a
    ``frozenset``; storage is one integer code per item of each itemset plus
    one offset per itemset.  Build one from any iterable of sets with
    ``pd.array(sets, dtype="itemset")`` or :meth:`from_sets`; missing values
    (``None``, NaN) are allowed.

    Examples
    --------
    >>> import pandas as pd
    >>> arr = ItemsetArray.from_sets([{"beer", "diapers"}, {"beer"}, None])
    >>> arr[1]
    frozenset({'beer'})
    >>> (arr == frozenset({"beer"})).tolist()
    [False, True, False]
    >>> pd.Series(arr[:2]).apply(len).tolist()
    [2, 1]
    >>> arr.isna().tolist()
    [False, False, True]
    """

    def __init__(
        self,
        codes: np.ndarray,
        offsets: np.ndarray,
        items: np.ndarray,
        na: np.ndarray | None = None,
    ) -> None:
        # internal constructor: codes ascending within each itemset, offsets of
        # length n + 1 starting at 0; use from_sets for anything else
        self._codes = np.asarray(codes)
        self._offsets = np.asarray(offsets, dtype=np.int64)
        self._items = items
        self._na = None if na is None or not na.any() else np.asarray(na, dtype=bool)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_sets(cls, sets: Iterable[Any]) -> ItemsetArray:
        """An array from an iterable of set-like values (``None``/NaN: missing).

        Parameters
        ----------
        sets : iterable
            Each element is a set, frozenset, list or tuple of hashable item
            labels (duplicates are dropped, as a set does), or missing.

        Returns
        -------
        ItemsetArray

        Raises
        ------
        TypeError
            For a string (it would be read as a set of characters) or any other
            value that is not a collection of items.

        Examples
        --------
        >>> [sorted(s) for s in ItemsetArray.from_sets([["a", "b", "a"], ()])]
        [['a', 'b'], []]
        """
        vocab: dict[Any, int] = {}
        codes: list[int] = []
        lengths: list[int] = []
        na: list[bool] = []
        for pos, value in enumerate(sets):
            if _is_na(value):
                lengths.append(0)
                na.append(True)
                continue
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise TypeError(
                    f"an itemset is a collection of items, got {value!r} (a "
                    f"{type(value).__name__}) at position {pos}. Fix: wrap a single item "
                    f"as {{{value!r}}}."
                )
            own = sorted({vocab.setdefault(x, len(vocab)) for x in value})
            codes.extend(own)
            lengths.append(len(own))
            na.append(False)
        items = np.empty(len(vocab), dtype=object)
        items[:] = list(vocab)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(np.asarray(codes, dtype=np.int32), offsets, items, np.asarray(na, dtype=bool))

    @classmethod
    def _from_blocks(cls, blocks: Sequence[np.ndarray], items: np.ndarray) -> ItemsetArray:
        """From code matrices (one row per itemset, distinct codes)."""
        # the vectorised comparison reads codes in ascending order within an itemset;
        # the miner's rows are (a sorted copy is made only for a block that is not)
        blocks = [
            b if b.shape[1] < 2 or bool((b[:, 1:] > b[:, :-1]).all()) else np.sort(b, axis=1)
            for b in blocks
        ]
        lengths = np.concatenate(
            [np.full(len(b), b.shape[1], dtype=np.int64) for b in blocks] or [np.empty(0, np.int64)]
        )
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        codes = np.concatenate([b.ravel() for b in blocks] or [np.empty(0, np.int32)])
        dtype = np.int32 if len(items) < 2**31 else np.int64
        return cls(codes.astype(dtype, copy=False), offsets, items)

    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None, copy: bool = False) -> ItemsetArray:
        if isinstance(scalars, ItemsetArray):
            return scalars.copy() if copy else scalars
        return cls.from_sets(scalars)

    @classmethod
    def _from_scalars(cls, scalars: Any, *, dtype: Any) -> ItemsetArray:
        # pandas 3 casts the result of Series.map back through this: only sets are
        # itemsets here (map(sorted) gives lists, and lists must stay lists)
        values = list(scalars)
        if not all(_is_na(v) or isinstance(v, (set, frozenset)) for v in values):
            raise TypeError("not all values are sets: not an itemset column")
        return cls.from_sets(values)

    @classmethod
    def _from_factorized(cls, values: np.ndarray, original: ItemsetArray) -> ItemsetArray:
        return cls.from_sets(values)

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[ItemsetArray]) -> ItemsetArray:
        arrays = list(to_concat)
        if not arrays:
            return cls.from_sets([])
        items = arrays[0]._items
        if any(a._items is not items for a in arrays[1:]):
            vocab: dict[Any, int] = {}
            recoded = []
            for a in arrays:
                new = np.array([vocab.setdefault(x, len(vocab)) for x in a._items], np.int64)
                recoded.append(a._recode(new))
            arrays = recoded
            items = np.empty(len(vocab), dtype=object)
            items[:] = list(vocab)
        shifts = np.cumsum([0] + [a._offsets[-1] for a in arrays[:-1]])
        offsets = np.concatenate(
            [np.zeros(1, np.int64)] + [a._offsets[1:] + s for a, s in zip(arrays, shifts)]
        )
        codes = np.concatenate([a._codes for a in arrays])
        na = None
        if any(a._na is not None for a in arrays):
            na = np.concatenate([a.isna() for a in arrays])
        return cls(codes, offsets, items, na)

    def _recode(self, new_codes: np.ndarray) -> ItemsetArray:
        """The same itemsets with code ``c`` renamed ``new_codes[c]`` (re-sorted)."""
        codes = new_codes[self._codes]
        row = np.repeat(np.arange(len(self)), np.diff(self._offsets))
        order = np.lexsort((codes, row))
        return ItemsetArray(codes[order].astype(np.int32), self._offsets, self._items, self._na)

    # ------------------------------------------------------------------ the interface
    @property
    def dtype(self) -> ItemsetDtype:
        """``ItemsetDtype()``."""
        return ItemsetDtype()

    @property
    def nbytes(self) -> int:
        """Bytes held: codes, offsets, missing-value mask and the label pointers."""
        na = 0 if self._na is None else self._na.nbytes
        return int(self._codes.nbytes + self._offsets.nbytes + na + self._items.nbytes)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def isna(self) -> np.ndarray:
        """Boolean mask of the missing itemsets."""
        return np.zeros(len(self), dtype=bool) if self._na is None else self._na.copy()

    def copy(self) -> ItemsetArray:
        """A copy (the labels are shared: they are never modified)."""
        na = None if self._na is None else self._na.copy()
        return ItemsetArray(self._codes.copy(), self._offsets.copy(), self._items, na)

    def lengths(self) -> np.ndarray:
        """Number of items of each itemset (0 for a missing one).

        Examples
        --------
        >>> ItemsetArray.from_sets([{"a", "b"}, {"c"}]).lengths().tolist()
        [2, 1]
        """
        return np.diff(self._offsets)

    def _object(self, i: int) -> Any:
        if self._na is not None and self._na[i]:
            return np.nan
        lo, hi = self._offsets[i], self._offsets[i + 1]
        return frozenset(self._items[self._codes[lo:hi]].tolist())

    def _objects(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Object array of the frozensets of rows ``start:stop`` (NaN if missing)."""
        # many small acyclic objects: the cyclic garbage collector would re-scan the
        # heap several times while they are made (55,040 itemsets: 27 ms -> 80-130 ms)
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build_objects(start, stop)
        finally:
            if enabled:
                gc.enable()

    def _build_objects(self, start: int, stop: int | None) -> np.ndarray:
        stop = len(self) if stop is None else stop
        out = np.empty(stop - start, dtype=object)
        starts = self._offsets[start:stop]
        lengths = self._offsets[start + 1 : stop + 1] - starts
        na = None if self._na is None else self._na[start:stop]
        for k in np.unique(lengths).tolist():
            rows = np.flatnonzero(lengths == k)
            if na is not None:
                rows = rows[~na[rows]]
            if k == 0:
                out[rows] = [frozenset()] * len(rows)
                continue
            block = self._items[self._codes[starts[rows, None] + np.arange(k)]]
            if k <= 4:
                built = map(frozenset, block.tolist())
            else:  # head | last sizes the table as a chain of unions: 472 bytes, not 728
                head = map(frozenset, block[:, :-1].tolist())
                built = map(operator.or_, head, map(frozenset, block[:, -1:].tolist()))
            out[rows] = np.fromiter(built, dtype=object, count=len(rows))
        if na is not None:
            out[na] = np.nan
        return out

    def tolist(self) -> list[Any]:
        """The itemsets as a list of frozensets (NaN where missing)."""
        return self._objects().tolist()

    def __iter__(self) -> Iterator[Any]:
        for start in range(0, len(self), _CHUNK):
            yield from self._objects(start, min(start + _CHUNK, len(self))).tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy is False:
            raise ValueError(
                "an itemset array holds codes: its frozensets are always built anew "
                "(np.array(..., copy=False) cannot be honoured); use copy=None."
            )
        objects = self._objects()
        return objects if dtype is None or np.dtype(dtype) == object else objects.astype(dtype)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):
            key = tuple(k for k in key if k is not Ellipsis)
            key = key[0] if len(key) == 1 else (slice(None) if not key else key)
        if key is Ellipsis:
            return self
        if isinstance(key, (int, np.integer)):
            n = len(self)
            i = int(key)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis 0 with size {n}")
            return self._object(i % n)
        if isinstance(key, slice):
            return self.take(np.arange(len(self))[key])
        if not pd.api.types.is_list_like(key) or isinstance(key, tuple):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and "
                f"integer or boolean arrays are valid indices (got {key!r})"
            )
        key = check_array_indexer(self, key)
        if key.dtype == bool:
            key = np.flatnonzero(key)
        return self.take(key)

    def take(
        self,
        indices: Sequence[int] | np.ndarray,
        *,
        allow_fill: bool = False,
        fill_value: Any = None,
    ) -> ItemsetArray:
        """Itemsets at ``indices`` (pandas' contract: -1 is missing if ``allow_fill``)."""
        idx = np.asarray(indices, dtype=np.intp)
        n = len(self)
        fill = None
        if allow_fill:
            if (idx < -1).any():
                raise ValueError(
                    "take: with allow_fill=True the only negative index allowed is -1."
                )
            fill = idx == -1
            if not fill.any():
                fill = None
            elif not _is_na(fill_value):
                filled = self._concat_same_type([self, ItemsetArray.from_sets([fill_value])])
                return filled.take(np.where(fill, n, idx))
        if fill is not None and n == 0:
            return ItemsetArray(
                self._codes[:0], np.zeros(len(idx) + 1, np.int64), self._items, fill
            )
        real = idx if fill is None else idx[~fill]
        if len(real) and n == 0:
            raise IndexError("cannot do a non-empty take from an empty axes.")
        if len(real) and (real.max() >= n or real.min() < -n):
            raise IndexError(f"take: an index is out of bounds for an itemset array of length {n}")
        if fill is None:
            idx = np.where(idx < 0, idx + n, idx)
        starts = self._offsets[np.where(idx < 0, 0, idx)]
        lengths = self._offsets[np.where(idx < 0, 0, idx) + 1] - starts
        if fill is not None:
            lengths[fill] = 0
        offsets = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        pos = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        na = None
        if self._na is not None or fill is not None:
            na = np.zeros(len(idx), dtype=bool)
            if self._na is not None:
                na[:] = self._na[np.where(idx < 0, 0, idx)]
            if fill is not None:
                na[fill] = True
        return ItemsetArray(self._codes[pos], offsets, self._items, na)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TypeError(
            "an itemset column cannot be modified in place. Fix: convert it first, e.g. "
            'df["itemset"] = df["itemset"].astype(object), or build a new column with '
            'pd.array(sets, dtype="itemset").'
        )

    def _values_for_argsort(self) -> np.ndarray:
        # order: by length, then by the sorted labels (a total, label-based order, so
        # sort_values, sort_index and groupby give the same order for any vocabulary)
        keys = np.empty(len(self), dtype=object)
        keys[:] = [
            (0, ())
            if _is_na(s)
            else (len(s), tuple(_sort_key(x) for x in sorted(s, key=_sort_key)))
            for s in self._objects().tolist()
        ]
        return keys

    def searchsorted(self, value: Any, side: str = "left", sorter: Any = None) -> Any:
        """Insertion points of ``value`` in this array sorted as ``sort_values`` sorts."""
        scalar = _is_na(value) or isinstance(value, (set, frozenset))
        values = ItemsetArray.from_sets([value] if scalar else value)
        found = np.searchsorted(
            self._values_for_argsort(), values._values_for_argsort(), side=side, sorter=sorter
        )
        return found[0] if scalar else found

    def _where(self, mask: np.ndarray, value: Any) -> ItemsetArray:
        return self._with(~np.asarray(mask, dtype=bool), value)

    def fillna(
        self, value: Any = None, limit: int | None = None, copy: bool = True, **kwargs: Any
    ) -> ItemsetArray:
        """Missing itemsets replaced by ``value`` (a set, or one set per row)."""
        if kwargs.get("method") is not None:  # pandas 2: fillna(method=...)
            return self._pad_or_backfill(method=kwargs["method"], limit=limit)
        mask = self.isna()
        if limit is not None:
            mask &= np.cumsum(mask) <= limit
        if not isinstance(value, (set, frozenset)) and pd.api.types.is_list_like(value):
            if len(value) != len(self):
                raise ValueError(
                    f"Length of 'value' does not match. Got ({len(value)})   expected {len(self)}"
                )
        if not mask.any():
            return self.copy() if copy else self
        return self._with(mask, value)

    def _pad_or_backfill(
        self,
        *,
        method: str,
        limit: int | None = None,
        limit_area: str | None = None,
        copy: bool = True,
    ) -> ItemsetArray:
        na = self.isna()
        positions = pd.Series(np.where(na, np.nan, np.arange(len(self), dtype=np.float64)))
        forward = method in ("pad", "ffill")
        filled = (positions.ffill if forward else positions.bfill)(
            limit=limit, limit_area=limit_area
        )
        return self.take(filled.fillna(-1).to_numpy(dtype=np.intp), allow_fill=True)

    def _putmask(self, mask: np.ndarray, value: Any) -> None:
        # pandas calls this on an array it owns (copied first under copy-on-write)
        new = self._with(np.asarray(mask, dtype=bool), value)
        self._codes, self._offsets, self._items, self._na = (
            new._codes,
            new._offsets,
            new._items,
            new._na,
        )

    def _with(self, mask: np.ndarray, value: Any) -> ItemsetArray:
        """A new array with the rows of ``mask`` replaced by ``value`` (scalar or full length)."""
        objects = self._objects()
        if isinstance(value, ItemsetArray):
            value = value._objects()
        if _is_na(value) or isinstance(value, (set, frozenset)):
            objects[mask] = [value] * int(mask.sum())
        else:
            values = np.empty(len(value), dtype=object)
            values[:] = list(value)
            objects[mask] = values[mask] if len(values) == len(objects) else values
        return ItemsetArray.from_sets(objects)

    def _explode(self) -> tuple[np.ndarray, np.ndarray]:
        # Series.explode: one row per item, as for an object column of frozensets (an
        # empty or missing itemset gives one NaN row); items in code order
        lengths = self.lengths()
        counts = np.maximum(lengths, 1)
        out = np.full(int(counts.sum()), np.nan, dtype=object)
        starts = np.cumsum(counts) - counts
        within = np.arange(len(self._codes)) - np.repeat(self._offsets[:-1], lengths)
        out[np.repeat(starts, lengths) + within] = self._items[self._codes]
        return out, counts.astype(np.uint64)

    def value_counts(self, dropna: bool = True) -> pd.Series:
        """Number of rows holding each distinct itemset (pandas' ``value_counts``)."""
        counts = pd.Series(self._objects(), copy=False).value_counts(dropna=dropna)
        index = pd.Index(ItemsetArray.from_sets(counts.index.tolist()))
        return pd.Series(counts.to_numpy(), index=index, name="count")

    # ------------------------------------------------------------------ comparisons
    def _compare(self, other: Any, op: Callable[[Any, Any], Any]) -> np.ndarray | Any:
        if isinstance(other, (pd.Series, pd.Index, pd.DataFrame)):
            return NotImplemented
        if isinstance(other, (set, frozenset)):
            if op in (operator.eq, operator.ne):
                equal = self._equals_set(other)
                return equal if op is operator.eq else ~equal
            return np.array([False if _is_na(a) else op(a, other) for a in self], dtype=bool)
        if isinstance(other, (str, bytes)) or not isinstance(other, Iterable):
            result = np.zeros(len(self), dtype=bool)
            return result if op is not operator.ne else ~result
        others = other._objects() if isinstance(other, ItemsetArray) else list(other)
        if len(others) != len(self):
            raise ValueError(
                f"cannot compare an itemset array of length {len(self)} with {len(others)} values"
            )
        out = np.array(
            [
                (op is operator.ne) if (_is_na(a) or _is_na(b)) else bool(op(a, b))
                for a, b in zip(self._objects(), others)
            ],
            dtype=bool,
        )
        return out

    def _equals_set(self, other: frozenset | set) -> np.ndarray:
        code = {x: i for i, x in enumerate(self._items.tolist())}
        out = np.zeros(len(self), dtype=bool)
        try:
            wanted = sorted(code[x] for x in other)
        except KeyError:
            return out
        lengths = np.diff(self._offsets)
        rows = np.flatnonzero(lengths == len(wanted))
        if self._na is not None:
            rows = rows[~self._na[rows]]
        starts = self._offsets[rows]
        hit = np.ones(len(rows), dtype=bool)
        for j, c in enumerate(wanted):
            hit &= self._codes[starts + j] == c
        out[rows[hit]] = True
        return out

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, operator.eq)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, operator.ne)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, operator.le)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, operator.lt)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, operator.ge)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, operator.gt)

    # ------------------------------------------------------------------ display, Arrow
    def _formatter(self, boxed: bool = False) -> Callable[[Any], str]:
        return _show

    def __arrow_array__(self, type: Any = None) -> Any:
        import pyarrow as pa

        lists = [None if _is_na(s) else sorted(s, key=_sort_key) for s in self._objects().tolist()]
        return pa.array(lists, type=type)
