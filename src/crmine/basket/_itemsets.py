"""Frequent itemsets by level-wise Apriori search.

Counting strategy (the search itself is classic Apriori: level k candidates
are joined from level k-1 itemsets sharing a (k-2)-prefix and pruned unless
every (k-1)-subset is frequent):

1. item counts are the column counts of the sparse basket matrix; infrequent
   items are dropped and the rest re-indexed (order preserved);
2. pairs are counted with one sparse product ``X.T @ X`` (computed in column
   blocks to bound memory), baskets with fewer than two frequent items dropped;
3. longer candidates are counted on vertical bitsets: one packed ``uint64``
   row per item, a candidate's count is the popcount of the AND of its items'
   rows.  Baskets that cannot hold a candidate (fewer than ``k`` active items)
   are dropped and the bitsets re-packed when that shrinks them.

All thresholds are integers: ``min_support`` is turned into the exact count
``ceil(min_support * n_baskets)`` with the decimal value the user typed (so
0.2 of 265 baskets is 53, not 54).
"""

from __future__ import annotations

import gc
import logging
import math
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from crmine.base import _fit_context
from crmine.basket._input import as_baskets
from crmine.exceptions import CrmineError, SchemaError
from crmine.schema import TransactionSchema

__all__ = [
    "Apriori",
    "ItemsetLimitError",
    "apriori",
    "exact_fraction",
    "itemset_bound",
    "min_count_for",
]

logger = logging.getLogger(__name__)

_POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
_BLOCK_WORDS = 1 << 17  # words of uint64 per counting chunk (1 MiB: stays in cache)
_MAX_ADJ = 8192  # largest item count for the boolean pair matrix (64 MiB)


def exact_fraction(value: float | Fraction | int) -> Fraction:
    """The exact rational a threshold stands for, read from its decimal text.

    ``0.2`` means 1/5 (not the binary double just above it), so boundary
    comparisons such as ``53/265 >= 0.2`` are exact.

    Parameters
    ----------
    value : float, int or Fraction
        A threshold as typed by the user.

    Returns
    -------
    Fraction

    Examples
    --------
    >>> exact_fraction(0.2)
    Fraction(1, 5)
    >>> 53 * exact_fraction(1) >= exact_fraction(0.2) * 265
    True
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Integral):
        return Fraction(int(value))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"threshold must be finite, got {value!r}")
    return Fraction(repr(value))


def min_count_for(min_support: float, n_baskets: int) -> int:
    """Smallest basket count whose support reaches ``min_support`` exactly.

    Parameters
    ----------
    min_support : float
        Minimum support as a fraction of baskets.
    n_baskets : int
        Number of baskets.

    Returns
    -------
    int
        ``ceil(min_support * n_baskets)`` computed in exact rationals, at least 1.

    Examples
    --------
    >>> min_count_for(0.2, 265)
    53
    >>> min_count_for(0.01, 9835)
    99
    """
    return max(1, math.ceil(exact_fraction(min_support) * n_baskets))


def _popcount_rows(x: np.ndarray) -> np.ndarray:
    """Number of set bits per row of a 2-D uint64 array."""
    if hasattr(np, "bitwise_count"):  # numpy >= 2
        return np.bitwise_count(x).sum(axis=1, dtype=np.int64)
    return _POP8[x.view(np.uint8)].sum(axis=1, dtype=np.int64)


def _bitsets(csc: sp.csc_matrix) -> np.ndarray:
    """Packed vertical bitsets, shape (n_items, n_words), from a boolean CSC matrix.

    Built in blocks of columns (about 256k stored entries each) so that the
    temporaries stay small next to the bitsets themselves.
    """
    n, f = csc.shape
    w = max(1, (n + 63) // 64)
    out = np.zeros(f * w, dtype=np.uint64)
    if not csc.nnz:
        return out.reshape(f, w)
    if not csc.has_sorted_indices:
        csc = csc.copy()
        csc.sort_indices()
    indptr = csc.indptr.astype(np.int64)
    bounds = np.searchsorted(indptr, np.arange(0, indptr[-1], 1 << 18), side="right") - 1
    edges = np.unique(np.r_[bounds, f])
    for j0, j1 in zip(edges[:-1], edges[1:]):
        lo, hi = indptr[j0], indptr[j1]
        if hi == lo:
            continue
        row = csc.indices[lo:hi].astype(np.int64)
        col = np.repeat(np.arange(j0, j1, dtype=np.int64), np.diff(indptr[j0 : j1 + 1]))
        key = col * w + (row >> 6)
        bit = np.left_shift(np.uint64(1), (row & 63).astype(np.uint64))
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        out[key[starts]] = np.bitwise_or.reduceat(bit, starts)
    return out.reshape(f, w)


def _row_keys(rows: np.ndarray, radix: int | None = None) -> np.ndarray:
    """One sortable key per row, in lexicographic row order.

    Mixed-radix int64 codes when ``radix ** k`` fits, else opaque big-endian
    byte strings (memcmp order = lexicographic order of non-negative ints).
    """
    k = rows.shape[1]
    if radix is not None and k * math.log2(max(radix, 2)) < 62:
        key = rows[:, 0].astype(np.int64)
        for j in range(1, k):
            key *= radix
            key += rows[:, j]
        return key
    be = np.ascontiguousarray(rows, dtype=">i4")
    return be.view(np.dtype((np.void, 4 * k))).ravel()


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Position of each key in ``sorted_keys``, -1 when absent."""
    if len(sorted_keys) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    pos = np.searchsorted(sorted_keys, keys)
    clipped = np.minimum(pos, len(sorted_keys) - 1)
    if sorted_keys.dtype.kind == "V":
        width = sorted_keys.dtype.itemsize
        a = sorted_keys[clipped].view(np.uint8).reshape(-1, width)
        b = keys.view(np.uint8).reshape(-1, width)
        same = np.all(a == b, axis=1)
    else:
        same = sorted_keys[clipped] == keys
    return np.where((pos < len(sorted_keys)) & same, pos, -1)


def _join(prev: np.ndarray) -> np.ndarray:
    """Apriori join: pairs of (k-1)-itemsets sharing their first k-2 items."""
    n_p, km1 = prev.shape
    if n_p < 2:
        return np.empty((0, km1 + 1), dtype=np.int32)
    if km1 == 1:
        same = np.ones(n_p - 1, dtype=bool)
    else:
        same = np.all(prev[1:, : km1 - 1] == prev[:-1, : km1 - 1], axis=1)
    starts = np.flatnonzero(np.r_[True, ~same])
    sizes = np.diff(np.r_[starts, n_p])
    pos = np.arange(n_p) - np.repeat(starts, sizes)
    cnt = np.repeat(sizes, sizes) - pos - 1
    total = int(cnt.sum())
    if total == 0:
        return np.empty((0, km1 + 1), dtype=np.int32)
    left = np.repeat(np.arange(n_p), cnt)
    offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    right = left + 1 + offs
    return np.hstack([prev[left], prev[right, -1:]]).astype(np.int32, copy=False)


def _candidates(
    prev: np.ndarray, adj: np.ndarray | None, prev_keys: np.ndarray, radix: int
) -> np.ndarray:
    """Apriori candidates of length k from the frequent (k-1)-itemsets ``prev``.

    A candidate ``P + (c,)`` (``c`` after the last item of ``P``) must have
    every (k-1)-subset frequent.  The pair condition (``c`` forms a frequent
    pair with every item of ``P``) is checked first on the boolean pair
    adjacency matrix, row blocks at a time; the remaining subsets are then
    looked up.  The output is in lexicographic order.
    """
    n_p, km1 = prev.shape
    f = adj.shape[0] if adj is not None else int(prev.max()) + 1
    if adj is None:  # too many items for a pair matrix: plain prefix join
        cand = _join(prev)
        for drop in range(km1 - 1):
            sub = np.delete(cand, drop, axis=1)
            cand = cand[_lookup(prev_keys, _row_keys(sub, radix)) >= 0]
        return cand
    later = np.arange(f)
    chunk = max(1, (1 << 22) // max(f, 1))
    parts = []
    for s0 in range(0, n_p, chunk):
        block = prev[s0 : s0 + chunk]
        ok = adj[block[:, 0]].copy()
        for j in range(1, km1):
            ok &= adj[block[:, j]]
        ok &= later[None, :] > block[:, -1:]
        r, c = np.nonzero(ok)
        if len(r):
            parts.append(np.hstack([block[r], c[:, None].astype(np.int32)]))
    if not parts:
        return np.empty((0, km1 + 1), dtype=np.int32)
    cand = np.concatenate(parts).astype(np.int32, copy=False)
    # subsets dropping one of the first k-2 items (the pair test covered k = 3)
    if km1 >= 3:
        for drop in range(km1 - 1):
            sub = np.delete(cand, drop, axis=1)
            cand = cand[_lookup(prev_keys, _row_keys(sub, radix)) >= 0]
    return cand


def _pair_codes(indptr: np.ndarray, indices: np.ndarray, f: int) -> np.ndarray:
    """Upper-triangle codes of all item pairs a < b inside each row of a canonical CSR."""
    lengths = np.diff(indptr)
    # index of (a, b), a < b, in the row-major upper triangle = offset[a] + b
    items = np.arange(f, dtype=np.int64)
    offset = items * (2 * f - items - 3) // 2 - 1
    parts = []
    for length in np.unique(lengths):
        if length < 2:
            continue
        starts = indptr[:-1][lengths == length]
        rows = indices[starts[:, None] + np.arange(length)]
        iu0, iu1 = np.triu_indices(int(length), 1)
        codes = offset[rows][:, iu0]
        codes += rows[:, iu1]
        parts.append(codes.ravel())
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _count_pairs(x: sp.csr_matrix, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Frequent pairs (i < j) of a canonical boolean CSR matrix and their counts."""
    f = x.shape[1]
    indptr = x.indptr.astype(np.int64)  # n + 1 entries; the indices keep their dtype
    indices = x.indices
    lengths = np.diff(indptr)
    pair_work = lengths * (lengths - 1) // 2
    n_tri = f * (f - 1) // 2
    n_words = (x.shape[0] + 63) // 64
    if n_tri * n_words < 2 * int(pair_work.sum()) and f <= _MAX_ADJ:
        # dense data (few items, long baskets): AND + popcount of item bitsets beats
        # enumerating every pair of every basket
        bits = _bitsets(x.tocsc())
        i, j = np.triu_indices(f, 1)
        counts = np.empty(n_tri, dtype=np.int64)
        step = max(1, _BLOCK_WORDS // max(n_words, 1))
        for s0 in range(0, n_tri, step):
            acc = bits[i[s0 : s0 + step]]
            np.bitwise_and(acc, bits[j[s0 : s0 + step]], out=acc)
            counts[s0 : s0 + step] = _popcount_rows(acc)
        ok = counts >= min_count  # triu order is row-major: lexicographic
        return np.column_stack([i[ok], j[ok]]).astype(np.int32), counts[ok]
    if n_tri <= (1 << 23):  # dense pair table of at most 64 MiB
        table = np.zeros(n_tri, dtype=np.int32 if x.shape[0] < 2**31 else np.int64)
        # chunk baskets so that at most ~512k pairs (4 MiB of codes) exist at once
        cum = np.cumsum(pair_work)
        cuts = np.searchsorted(cum, np.arange(1, cum[-1] // (1 << 19) + 1) * (1 << 19))
        edges = np.unique(np.r_[0, cuts, len(lengths)])
        for r0, r1 in zip(edges[:-1], edges[1:]):
            sub_ptr = indptr[r0 : r1 + 1]
            codes = _pair_codes(sub_ptr - sub_ptr[0], indices[sub_ptr[0] : sub_ptr[-1]], f)
            if n_tri <= (1 << 19):
                table += np.bincount(codes, minlength=n_tri).astype(table.dtype)
            else:  # a big table: sort the chunk's codes instead of a table-sized bincount
                codes.sort()
                first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
                table[codes[first]] += np.diff(np.r_[first, len(codes)]).astype(table.dtype)
        flat = np.flatnonzero(table >= min_count)  # row-major: lexicographic order
        start = np.arange(f, dtype=np.int64) * (2 * f - np.arange(f) - 1) // 2
        i = np.searchsorted(start, flat, side="right") - 1
        j = flat - start[i] + i + 1
        return np.column_stack([i, j]).astype(np.int32), table[flat].astype(np.int64)
    # many items: blocked sparse product X.T @ X
    xi = x.astype(np.int32)
    xt = xi.T.tocsr()
    xc = xt.T
    mass = np.asarray(xt @ lengths).ravel().astype(np.float64)
    total = float(mass.sum())
    n_blocks = max(1, math.ceil(total / 8e6))
    bounds = np.searchsorted(np.cumsum(mass), np.linspace(0, total, n_blocks + 1)[1:-1])
    edges = np.unique(np.r_[0, bounds, f])
    pairs_i, pairs_j, counts = [], [], []
    for j0, j1 in zip(edges[:-1], edges[1:]):
        prod = (xt[:j1] @ xc[:, j0:j1]).tocoo()
        i, j, c = prod.row, prod.col + j0, prod.data
        keep = (i < j) & (c >= min_count)
        pairs_i.append(i[keep])
        pairs_j.append(j[keep])
        counts.append(c[keep])
    i = np.concatenate(pairs_i).astype(np.int32)
    j = np.concatenate(pairs_j).astype(np.int32)
    c = np.concatenate(counts).astype(np.int64)
    order = np.lexsort((j, i))
    return np.column_stack([i[order], j[order]]), c[order]


def _select_columns(x: sp.csr_matrix, cols: np.ndarray, min_len: int) -> sp.csr_matrix:
    """Columns ``cols`` (sorted) of a canonical CSR, re-indexed, rows with >= min_len kept."""
    remap = np.full(x.shape[1], -1, dtype=np.int32)
    remap[cols] = np.arange(len(cols), dtype=np.int32)
    new = remap[x.indices]
    keep = new >= 0
    cum = np.r_[0, np.cumsum(keep, dtype=np.int64)]
    row_len = cum[x.indptr[1:]] - cum[x.indptr[:-1]]
    del cum
    row_ok = row_len >= min_len
    if not row_ok.all():
        keep &= np.repeat(row_ok, np.diff(x.indptr))
    indptr = np.r_[0, np.cumsum(row_len[row_ok])]
    index_dtype = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
    return sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=bool), new[keep], indptr.astype(index_dtype)),
        shape=(int(row_ok.sum()), len(cols)),
    )


def _count_bitsets(cand: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Counts of candidates = popcount of the AND of their items' bitsets.

    Candidates come sorted, so those sharing a prefix are contiguous: the AND
    of every distinct prefix is computed once, depth by depth (a prefix tree:
    the AND of ``(a, b, c)`` extends the one of ``(a, b)``).  Work is done in
    chunks of about 1 MiB of bitsets so that it stays in the CPU cache.
    """
    n_c, k = cand.shape
    out = np.empty(n_c, dtype=np.int64)
    chunk = max(1, _BLOCK_WORDS // bits.shape[1])
    for s in range(0, n_c, chunk):
        c = cand[s : s + chunk]
        # depth 1: distinct first items
        new = np.r_[True, c[1:, 0] != c[:-1, 0]]
        starts = np.flatnonzero(new)
        prefix = bits[c[starts, 0]]
        for j in range(1, k - 1):
            new_j = new | np.r_[True, c[1:, j] != c[:-1, j]]
            starts_j = np.flatnonzero(new_j)
            parent = (np.cumsum(new) - 1)[starts_j]
            ext = bits[c[starts_j, j]]
            np.bitwise_and(ext, prefix[parent], out=ext)
            prefix, new = ext, new_j
        group = np.cumsum(new) - 1
        acc = bits[c[:, -1]]
        np.bitwise_and(acc, prefix[group], out=acc)
        out[s : s + chunk] = _popcount_rows(acc)
    return out


def mine_levels(
    matrix: sp.spmatrix,
    min_count: int,
    max_len: int | None = None,
    max_itemsets: int | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Frequent itemsets of a boolean basket matrix, level by level.

    Parameters
    ----------
    matrix : scipy sparse matrix, shape (n_baskets, n_items)
        Boolean basket matrix.
    min_count : int
        Minimum number of baskets an itemset must occur in.
    max_len : int, optional
        Longest itemset to mine.
    max_itemsets : int, optional
        Stop with :class:`ItemsetLimitError` once more itemsets are found.

    Returns
    -------
    list of (rows, counts)
        Entry ``k-1`` holds the frequent k-itemsets as a sorted int32 array of
        column indices, shape (n_k, k), in lexicographic order, and their counts.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> m = sp.csr_matrix([[1, 1, 0], [1, 1, 1], [1, 0, 1]], dtype=bool)
    >>> levels = mine_levels(m, min_count=2)
    >>> levels[1][0].tolist(), levels[1][1].tolist()
    ([[0, 1], [0, 2]], [2, 2])
    """
    max_len = max_len if max_len is not None else np.iinfo(np.int32).max
    csr = sp.csr_matrix(matrix, dtype=bool)
    if not csr.has_canonical_format:
        csr = csr.copy()
        csr.sum_duplicates()
    item_counts = np.bincount(csr.indices, minlength=csr.shape[1]).astype(np.int64)
    freq = np.flatnonzero(item_counts >= min_count).astype(np.int32)
    levels: list[tuple[np.ndarray, np.ndarray]] = []
    if len(freq) == 0 or max_len < 1:
        return levels
    bound = math.inf
    if max_itemsets is not None:
        bound = itemset_bound(csr, min_count)
        if bound <= max_itemsets:
            max_itemsets = None  # cannot be exceeded: no checks needed

    def check() -> None:
        found = sum(len(c) for _, c in levels)
        if max_itemsets is not None and found > max_itemsets:
            raise ItemsetLimitError(
                _limit_error(found, len(levels), max_itemsets, bound, min_count, csr.shape[0])
            )

    levels.append((np.arange(len(freq), dtype=np.int32)[:, None], item_counts[freq]))
    check()
    logger.debug("level 1: %d frequent items", len(freq))
    if max_len >= 2 and len(freq) >= 2:
        x = _select_columns(csr, freq, 2)
        rows, counts = _count_pairs(x, min_count) if x.nnz else (np.empty((0, 2)), None)
        if len(rows):
            levels.append((rows, counts))
            check()
            logger.debug("level 2: %d frequent pairs", len(rows))
            adj: np.ndarray | None = None
            if len(freq) <= _MAX_ADJ:
                adj = np.zeros((len(freq), len(freq)), dtype=bool)
                adj[rows[:, 0], rows[:, 1]] = True
                adj[rows[:, 1], rows[:, 0]] = True
        x_cols = np.arange(len(freq))
        bits: np.ndarray | None = None
        bits_cols = x_cols
        k = 3
        while len(levels) == k - 1 and k <= max_len:
            prev = levels[-1][0]
            cand = _candidates(prev, adj, _row_keys(prev, len(freq)), len(freq))
            if len(cand) == 0:
                break
            present = np.zeros(len(freq), dtype=bool)
            present[cand.ravel()] = True
            active = np.flatnonzero(present)
            if bits is None or len(active) < 0.7 * len(x_cols):
                # drop items no candidate uses and baskets too short to hold one
                n_rows = x.shape[0]
                x = _select_columns(x, np.searchsorted(x_cols, active), k)
                x_cols = active
                if bits is None or x.shape[0] < 0.75 * n_rows:
                    bits, bits_cols = _bitsets(x.tocsc()), x_cols
            # re-index candidates to the columns of the bitsets
            local = np.zeros(len(freq), dtype=np.int32)
            local[bits_cols] = np.arange(len(bits_cols), dtype=np.int32)
            cand_local = local[cand]
            counts = _count_bitsets(cand_local, bits)
            ok = counts >= min_count
            logger.debug("level %d: %d candidates, %d frequent", k, len(cand), int(ok.sum()))
            if ok.any():
                levels.append((cand[ok], counts[ok]))
                check()
            k += 1
    return [(freq[rows].astype(np.int32), counts) for rows, counts in levels]


def _itemsets_frame(
    levels: list[tuple[np.ndarray, np.ndarray]], items: pd.Index, n_baskets: int, min_count: int
) -> pd.DataFrame:
    labels = np.empty(len(items), dtype=object)
    labels[:] = list(items)
    sets: list[frozenset] = []
    count_parts, len_parts = [], []
    # Many small acyclic objects: the cyclic garbage collector would re-scan the
    # whole heap several times while they are created (2-4x the build time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for rows, counts in levels:
            sets.extend(map(frozenset, labels[rows].tolist()))
            count_parts.append(counts)
            len_parts.append(np.full(len(counts), rows.shape[1], dtype=np.int64))
    finally:
        if gc_was_enabled:
            gc.enable()
    count = np.concatenate(count_parts) if count_parts else np.empty(0, np.int64)
    length = np.concatenate(len_parts) if len_parts else np.empty(0, np.int64)
    itemset_arr = np.empty(len(sets), dtype=object)
    itemset_arr[:] = sets
    itemset_col = pd.Series(itemset_arr, dtype=object, copy=False)
    df = pd.DataFrame(
        {
            "itemset": itemset_col,
            "count": count,
            "support": count / n_baskets,
            "length": length,
        }
    )
    df.attrs["n_baskets"] = int(n_baskets)
    df.attrs["min_count"] = int(min_count)
    return df


def _resolve_min_count(min_support: float | None, min_count: int | None, n: int) -> int:
    if min_count is not None:
        return int(min_count)
    if min_support is None:
        raise InvalidParameterError(
            "min_support and min_count are both None; give min_support (a fraction of "
            "baskets in (0, 1]) or min_count (a number of baskets >= 1)."
        )
    return min_count_for(min_support, n)


class ItemsetLimitError(CrmineError, ValueError):
    """More frequent itemsets than ``max_itemsets``: mining stopped before memory ran out."""


def itemset_bound(matrix: sp.spmatrix, min_count: int) -> float:
    """Upper bound on the number of frequent itemsets, before mining.

    Every frequent itemset occurs in at least ``min_count`` baskets, and a
    basket with ``L`` frequent items holds ``2**L - 1`` non-empty itemsets, so
    there are at most ``sum(2**L - 1) / min_count`` frequent itemsets.

    Parameters
    ----------
    matrix : scipy sparse matrix
        Boolean basket matrix.
    min_count : int
        Count threshold.

    Returns
    -------
    float
        The bound (may be ``inf``).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> itemset_bound(sp.csr_matrix([[1, 1], [1, 1]], dtype=bool), 2)
    3.0
    """
    csr = sp.csr_matrix(matrix, dtype=bool)

    def bound(lengths: np.ndarray) -> float:
        with np.errstate(over="ignore"):
            total = float(np.sum(np.exp2(lengths.astype(np.float64)) - 1.0))
        return total / max(int(min_count), 1)

    quick = bound(np.diff(csr.indptr))  # all items: a cheap first bound
    if quick <= 1e6:
        return quick
    counts = np.bincount(csr.indices, minlength=csr.shape[1])
    cum = np.cumsum((counts >= min_count)[csr.indices], dtype=np.int64)
    lengths = np.diff(np.r_[0, cum][csr.indptr])
    return min(quick, bound(lengths))


def _limit_error(found: int, level: int, limit: int, bound: float, min_count: int, n: int) -> str:
    return (
        f"more than max_itemsets={limit:,} frequent itemsets at min_count={min_count:,} "
        f"({min_count / n:.4g} of {n:,} baskets): {found:,} found up to length {level} "
        f"(upper bound before mining: {bound:,.3g}); mining stopped before memory ran out. "
        "Fix: raise min_support, set max_len, or raise max_itemsets (None = no limit) if "
        "the memory is there (about 200 bytes per itemset in the result table)."
    )


class Apriori(BaseEstimator):
    """Frequent itemsets of market baskets by the Apriori algorithm.

    Parameters
    ----------
    min_support : float, default=0.01
        Minimum support (fraction of baskets, in (0, 1]; 0, values above 1
        and NaN are refused).  Turned into the exact integer count
        ``ceil(min_support * n_baskets)``.
    min_count : int, optional
        Minimum number of baskets (>= 1); overrides ``min_support`` when given.
    max_len : int, optional
        Longest itemset to mine (default: no limit).
    max_itemsets : int or None, default=5_000_000
        Stop with :class:`ItemsetLimitError` (a ``ValueError``) as soon as
        more frequent itemsets are found, before the result table is built.
        Before mining, an upper bound (:func:`itemset_bound`) is computed;
        when it is below the limit no check is needed.  ``None``: no limit.
    schema : TransactionSchema or dict, optional
        Column roles of a long transaction log (``order`` and ``item``).

    Attributes
    ----------
    frequent_itemsets_ : pandas.DataFrame
        Columns ``itemset`` (frozenset of item labels), ``count``, ``support``,
        ``length``; sorted by length, then by item order.
        ``frequent_itemsets_.attrs["n_baskets"]`` carries the number of
        baskets for :func:`association_rules`.
    n_baskets_ : int
        Number of baskets seen in ``fit``.
    min_count_ : int
        The integer count threshold applied.
    items_ : pandas.Index
        All item labels seen in ``fit``.
    item_counts_ : pandas.Series
        Number of baskets containing each item.

    See Also
    --------
    apriori : the one-line function.
    association_rules : rules from the itemsets.

    Examples
    --------
    >>> baskets = [["beer", "diapers"], ["beer", "diapers", "milk"], ["milk"], ["beer"]]
    >>> model = Apriori(min_support=0.5).fit(baskets)
    >>> model.frequent_itemsets_[["count", "support", "length"]]
       count  support  length
    0      3     0.75       1
    1      2     0.50       1
    2      2     0.50       1
    3      2     0.50       2
    >>> sorted(model.frequent_itemsets_["itemset"].iloc[3])
    ['beer', 'diapers']
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "min_support": [Interval(Real, 0, 1, closed="right"), None],
        "min_count": [Interval(Integral, 1, None, closed="left"), None],
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "max_itemsets": [Interval(Integral, 1, None, closed="left"), None],
        "schema": [TransactionSchema, dict, None],
    }

    def __init__(
        self,
        *,
        min_support: float | None = 0.01,
        min_count: int | None = None,
        max_len: int | None = None,
        max_itemsets: int | None = 5_000_000,
        schema: TransactionSchema | None = None,
    ) -> None:
        self.min_support = min_support
        self.min_count = min_count
        self.max_len = max_len
        self.max_itemsets = max_itemsets
        self.schema = schema

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None, *, items: Any = None) -> Apriori:
        """Mine the frequent itemsets of the baskets ``X``.

        Parameters
        ----------
        X : DataFrame, list of baskets, scipy sparse matrix or Baskets
            See :func:`crmine.basket.as_baskets`.
        y : None
            Ignored.
        items : sequence, optional
            Item labels of the columns when ``X`` is a scipy sparse matrix.

        Returns
        -------
        self : Apriori
        """
        for name in ("min_support", "min_count", "max_len", "max_itemsets"):
            if isinstance(getattr(self, name), bool):
                raise InvalidParameterError(
                    f"{name}={getattr(self, name)!r} is a bool; pass a number."
                )
        baskets = as_baskets(X, schema=self.schema, items=items)
        n = baskets.matrix.shape[0]
        if n == 0:
            raise SchemaError("no baskets to mine: the input is empty; pass at least one basket.")
        self.min_count_ = _resolve_min_count(self.min_support, self.min_count, n)
        levels = mine_levels(baskets.matrix, self.min_count_, self.max_len, self.max_itemsets)
        self.n_baskets_ = n
        self.items_ = baskets.items
        self.item_counts_ = pd.Series(
            np.bincount(baskets.matrix.indices, minlength=baskets.matrix.shape[1]),
            index=baskets.items,
            name="count",
        )
        self.frequent_itemsets_ = _itemsets_frame(levels, baskets.items, n, self.min_count_)
        return self

    def association_rules(
        self, metric: str = "confidence", min_threshold: float = 0.8, **kwargs: Any
    ) -> pd.DataFrame:
        """Association rules from the fitted itemsets.

        Parameters
        ----------
        metric : str, default="confidence"
            Interest measure to threshold (see :func:`association_rules`).
        min_threshold : float, default=0.8
            Keep rules with ``metric >= min_threshold`` (exact comparison).
        **kwargs
            Passed to :func:`association_rules`.

        Returns
        -------
        pandas.DataFrame
            One row per rule.

        Examples
        --------
        >>> baskets = [["beer", "diapers"], ["beer", "diapers", "milk"], ["milk"]]
        >>> rules = Apriori(min_support=0.5).fit(baskets).association_rules()
        >>> rules[["count", "confidence"]].to_numpy().tolist()
        [[2.0, 1.0], [2.0, 1.0]]
        """
        from crmine.basket._rules import association_rules

        check_is_fitted(self, "frequent_itemsets_")
        return association_rules(
            self.frequent_itemsets_,
            metric=metric,
            min_threshold=min_threshold,
            n_baskets=self.n_baskets_,
            **kwargs,
        )


def apriori(
    data: Any,
    min_support: float | None = 0.01,
    *,
    min_count: int | None = None,
    max_len: int | None = None,
    max_itemsets: int | None = 5_000_000,
    schema: TransactionSchema | None = None,
    items: Any = None,
) -> pd.DataFrame:
    """Frequent itemsets in one line (mlxtend-style).

    Parameters
    ----------
    data : DataFrame, list of baskets, scipy sparse matrix or Baskets
        Baskets in any shape accepted by :func:`crmine.basket.as_baskets`
        (pandas, polars and pyarrow logs are read by column name).
    min_support : float, default=0.01
        Minimum support as a fraction of baskets in (0, 1] (exact integer
        threshold).
    min_count : int, optional
        Minimum number of baskets; overrides ``min_support``.
    max_len : int, optional
        Longest itemset.
    max_itemsets : int or None, default=5_000_000
        Limit on the number of itemsets (see :class:`Apriori`).
    schema : TransactionSchema or dict, optional
        Columns of a long transaction log (``order``, ``item``).
    items : sequence, optional
        Column labels of a scipy sparse matrix.

    Returns
    -------
    pandas.DataFrame
        Columns ``itemset``, ``count``, ``support``, ``length``;
        ``.attrs["n_baskets"]`` holds the number of baskets.

    Examples
    --------
    >>> fi = apriori([["a", "b"], ["a", "b", "c"], ["a"]], min_support=0.6)
    >>> [(sorted(s), c) for s, c in zip(fi["itemset"], fi["count"])]
    [(['a'], 3), (['b'], 2), (['a', 'b'], 2)]
    >>> fi.attrs["n_baskets"]
    3
    """
    model = Apriori(
        min_support=min_support,
        min_count=min_count,
        max_len=max_len,
        max_itemsets=max_itemsets,
        schema=schema,
    )
    return model.fit(data, items=items).frequent_itemsets_
