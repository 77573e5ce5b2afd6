"""Sortable integer keys of itemset rows, and their lookup (candidate joins, rules)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["_lookup", "_row_keys"]


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
