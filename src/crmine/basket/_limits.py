"""The upfront bound on the number of frequent itemsets and the error past ``max_itemsets``."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from crmine.basket._codes import _column_counts, _row_counts
from crmine.exceptions import CrmineError

__all__ = ["ItemsetLimitError", "itemset_bound"]


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
    counts = _column_counts(csr.indices, csr.shape[1])  # block by block: no full-size copies
    lengths = _row_counts(csr.indptr, (counts >= min_count)[csr.indices])
    return min(quick, bound(lengths))


def _limit_error(found: int, level: int, limit: int, bound: float, min_count: int, n: int) -> str:
    return (
        f"more than max_itemsets={limit:,} frequent itemsets at min_count={min_count:,} "
        f"({min_count / n:.4g} of {n:,} baskets): {found:,} found up to length {level} "
        f"(upper bound before mining: {bound:,.3g}); mining stopped before memory ran out. "
        "Fix: raise min_support, set max_len, or raise max_itemsets (None = no limit) if "
        "the memory is there (about 200 bytes per itemset in the result table)."
    )
