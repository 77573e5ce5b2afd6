"""Itemset rows: sortable keys and their lookup (joins, rules), sibling classes, item order."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["_in_item_order", "_join32", "_join_pairs", "_later_siblings", "_lookup", "_row_keys"]

# longest itemsets put in item order by a sorting network (k (k - 1) / 2 min / max pairs)
_NETWORK_MAX_LEN = 12


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


def _later_siblings(prev: np.ndarray) -> np.ndarray:
    """For each row of ``prev``, the number of later rows sharing its first k-2 items."""
    n_p, km1 = prev.shape
    if km1 == 1 or n_p == 0:
        return np.arange(n_p - 1, -1, -1, dtype=np.int64)
    same = prev[1:, 0] == prev[:-1, 0]  # column by column: 10x np.all(axis=1) on short rows
    for j in range(1, km1 - 1):
        same &= prev[1:, j] == prev[:-1, j]
    first = np.flatnonzero(~same)  # np.r_ costs more than the work on small rows
    starts = np.empty(len(first) + 1, dtype=np.int64)
    starts[0] = 0
    np.add(first, 1, out=starts[1:])
    n_s = len(starts)
    sizes = np.empty(n_s, dtype=np.int64)
    sizes[:-1] = starts[1:] - starts[:-1]
    sizes[-1] = n_p - starts[-1]
    return np.repeat(starts + sizes, sizes) - np.arange(n_p) - 1


def _join_pairs(later: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Sibling pairs ``(left, right)``, ``lo <= left < hi < ...``, from :func:`_later_siblings`."""
    cnt = later[lo:hi]
    left = np.repeat(np.arange(lo, hi, dtype=np.int64), cnt)
    ends = np.cumsum(cnt)
    offs = np.arange(len(left), dtype=np.int64) - np.repeat(ends - cnt, cnt)
    return left, left + 1 + offs


def _in_item_order(
    rows: np.ndarray, counts: np.ndarray, nat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Itemsets of ranks back to item indices, sorted within and across rows.

    Short rows are sorted by a network of column-wise min / max (about 5x
    ``sort(axis=1)`` on rows of 3-8 items); the keys of distinct itemsets are
    distinct, so an unstable argsort gives the one order (about 5x faster).
    """
    k = rows.shape[1]
    radix = len(nat)
    if not 1 < k <= _NETWORK_MAX_LEN:
        items = nat[rows]
        items.sort(axis=1)
        order = np.argsort(_row_keys(items, radix))
        return items[order], counts[order]
    cols = [np.take(nat, rows[:, j]) for j in range(k)]
    for i in range(k - 1):
        for j in range(k - 1 - i):  # bubble the largest of cols[: k - i] to the end
            low = np.minimum(cols[j], cols[j + 1])
            np.maximum(cols[j], cols[j + 1], out=cols[j + 1])
            cols[j] = low
    if k * math.log2(max(radix, 2)) < 62:  # the keys of _row_keys, from the columns
        key = cols[0].astype(np.int64)
        for j in range(1, k):
            key *= radix
            key += cols[j]
        order = np.argsort(key)
        items = np.empty((len(key), k), dtype=cols[0].dtype)
        for j in range(k):
            items[:, j] = np.take(cols[j], order)
        return items, counts[order]
    items = np.column_stack(cols)
    order = np.argsort(_row_keys(items, radix))
    return items[order], counts[order]


def _join32(later: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_join_pairs` in int32 (rows of ``prev`` below 2**31): half the memory."""
    cnt = later[lo:hi]
    rows = np.arange(lo, hi, dtype=np.int32)
    left = np.repeat(rows, cnt)
    # right = left + 1 + the pair's position among its left row's: from one arange
    shift = np.cumsum(cnt)
    np.subtract(rows, shift - cnt, out=rows, casting="unsafe")
    right = np.repeat(rows, cnt)
    right += np.arange(1, len(right) + 1, dtype=np.int32)
    return left, right
