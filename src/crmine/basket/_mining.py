"""The counting engine behind :class:`crmine.basket.Apriori`.

Level-wise Apriori search on vertical bitsets:

1. item counts are the column counts of the sparse basket matrix; infrequent
   items are dropped and the rest re-indexed (order preserved);
2. pairs are counted over the baskets with at least two frequent items: all
   pairs of every basket into a triangular table (in chunks, sort-counted
   when the table is big), by AND + popcount of item bitsets when there are
   few items and long baskets, or by a blocked sparse product ``X.T @ X``
   with very many items;
3. from level 3 on, items are ranked by ascending count (fewer candidates);
   a candidate ``P + (a, b)`` joins two frequent siblings ``P + (a,)`` and
   ``P + (b,)`` whose pair ``(a, b)`` is frequent; its count is the popcount
   of the AND of packed ``uint64`` bitsets: its parent's bitset, kept from
   the level below when small enough (one AND per candidate), else the ANDs
   of a prefix tree.  Work is done in cache-sized chunks in reused buffers
   (a fresh megabyte array costs a page fault per 4 KiB page).  Baskets
   that cannot hold a candidate are dropped and the bitsets re-packed when
   that shrinks them.  Itemsets are put back in item order at the end.

At low support on few items and short baskets (Groceries at 0.002 and
below), levels 2 and up run instead on bitsets projected onto the baskets
of each itemset's first (rarest) item, Eclat's conditional databases: a
few words per candidate instead of one per 64 baskets (see
:func:`_levels_projected`).

Before mining, :func:`itemset_bound` bounds the number of frequent itemsets;
``max_itemsets`` stops the search with :class:`ItemsetLimitError` before the
result table is built.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

from crmine.basket._bitsets import (
    _Buffers,
    _by_length,
    _count_level,
    _count_projected,
    _edges,
    _projected_pairs,
    _row_bitsets,
    _triu,
)
from crmine.basket._codes import _column_counts, _compress_remap, _row_counts
from crmine.basket._keys import (
    _in_item_order,
    _join32,
    _join_pairs,
    _later_siblings,
    _lookup,
    _row_keys,
)
from crmine.basket._limits import ItemsetLimitError, _limit_error, itemset_bound

__all__ = ["ItemsetLimitError", "itemset_bound", "mine_levels"]

logger = logging.getLogger(__name__)

_MAX_ADJ = 8192  # largest item count for the boolean pair matrix (64 MiB)
# largest bitsets of one level kept for the next (one AND per candidate instead of a
# prefix tree); reserved for all candidates, resident only for the frequent ones
_KEEP_BYTES = 4 << 20
# baskets dropping out are looked for only when REPACK_WORK x candidates x words of
# their bitsets reaches the matrix's entries: the check (a product or a column
# selection) costs about 10 ns per entry, counting 1-2 ns per word.  Measured (ms):
# Groceries 0.005 3.0 -> 2.7 against 4 (the check at length 4 for 155 candidates)
_REPACK_WORK = 1
# candidates by sibling join when JOIN_FACTOR x sibling pairs < prefixes x items (measured)
_JOIN_FACTOR = 4
# pairs by AND + popcount of item bitsets when words x item pairs < FACTOR x pairs in baskets
# (measured: 6 on Groceries; the bitsets then serve level 3 as well)
_PAIR_BITS_FACTOR = 6
# pair codes enumerated per chunk into the dense pair table (int32: 128 KiB).  Measured
# against 256k (ms): T10I4D100K 0.002 pairs 29.3 -> 20.1, FIMI retail 0.001 21.0 -> 20.4,
# Groceries 0.005 0.63 -> 0.63 (the codes and their temporaries stay in cache)
_PAIR_CODES = 1 << 15
# levels 2 and up on per-item projected bitsets (Eclat's conditional databases) when
# there are at most this many frequent items (two f x f tables) and pairs in baskets,
# and full-length bitsets have at least RATIO x min_count words (low support: many
# candidates per pair in baskets).  Measured (CPU ms, projected / full-length):
# Groceries 0.001 9.8 / 16.4, 0.002 5.6 / 8.0, 0.005 3.8 / 3.5, 0.01 3.1 / 2.3;
# slower on T10I4D100K (70 / 30 at 0.01, 3.3M pairs) and dense data (13 / 3.4).
_PROJ_MAX_ITEMS = 1024
_PROJ_MAX_PAIRS = 500_000
_PROJ_MIN_RATIO = 4
# largest projected bitsets of one level kept for the next (one AND per candidate)
_PROJ_KEEP_BYTES = 32 << 20


def _candidates(
    prev: np.ndarray, adj: np.ndarray | None, radix: int
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates of length k from the frequent (k-1)-itemsets ``prev``, and their parents.

    ``P + (a, b)`` is a candidate when ``P + (a,)`` and ``P + (b,)`` are both
    frequent (siblings of one prefix class, ``a < b``) and so is the pair
    ``(a, b)`` (the pair matrix ``adj``).  The other (k-1)-subsets are not
    looked up: counting the few candidates they would remove is cheaper than
    the lookups (measured on dense data).  Two ways, whichever is cheaper
    (measured: the join unless classes are large and pairs rare): the
    sibling pairs joined in blocks of about 256k and tested on ``adj``, or
    row blocks of ``prev`` tested against every item at once (a class x item
    table of siblings AND the pair row of ``a`` AND ``b > a``).  Without a
    pair matrix (very many items), siblings are joined and every subset
    looked up.

    Returns
    -------
    cand : ndarray of int32, shape (n, k)
        In lexicographic order.
    parent : ndarray of int32 (joined siblings) or int64, shape (n,)
        Row of ``prev`` that is each candidate's (k-1)-prefix.
    """
    n_p, km1 = prev.shape
    f = adj.shape[0] if adj is not None else 0
    later = _later_siblings(prev)
    parts, parents = [], []
    cols = np.ascontiguousarray(prev.T)  # rows gathered column by column: 3-8x prev[idx]
    if adj is None or _JOIN_FACTOR * int(later.sum()) < n_p * f:
        prev_keys = _row_keys(prev, radix) if adj is None else None
        cum = np.cumsum(later)
        cuts = np.searchsorted(cum, np.arange(1 << 18, int(cum[-1]) if n_p else 0, 1 << 18))
        edges = _edges(cuts + 1, n_p)
        for lo, hi in zip(edges[:-1], edges[1:]):
            left, right = _join_pairs(later, lo, hi) if n_p >= 2**31 else _join32(later, lo, hi)
            if adj is not None:
                ok = adj[cols[-1][left], cols[-1][right]]
                left, right = left[ok], right[ok]
            block = np.empty((len(left), km1 + 1), dtype=np.int32)
            for j in range(km1):
                block[:, j] = np.take(cols[j], left)
            block[:, km1] = np.take(cols[-1], right)
            if prev_keys is not None:
                for drop in range(km1 - 1):
                    sub = _row_keys(np.delete(block, drop, axis=1), radix)
                    found = _lookup(prev_keys, sub) >= 0
                    block, left = block[found], left[found]
            parts.append(block)
            parents.append(left)
    else:
        last = prev[:, -1]
        cls = np.cumsum(later == 0) - (later == 0)  # class index of each row
        items = np.arange(f)
        chunk = max(1, (1 << 22) // max(f, 1))
        for s0 in range(0, n_p, chunk):
            s1 = min(s0 + chunk, n_p)
            c0, c1 = int(cls[s0]), int(cls[s1 - 1])
            # the rows of the classes this block touches (they may start before s0)
            r0 = int(np.searchsorted(cls, c0, side="left"))
            r1 = int(np.searchsorted(cls, c1, side="right"))
            sib = np.zeros((c1 - c0 + 1, f), dtype=bool)
            sib[cls[r0:r1] - c0, last[r0:r1]] = True
            ok = sib[cls[s0:s1] - c0]
            ok &= adj[last[s0:s1]]
            ok &= items[None, :] > last[s0:s1, None]
            r, c = np.nonzero(ok)
            r += s0
            block = np.empty((len(r), km1 + 1), dtype=np.int32)
            for j in range(km1):
                block[:, j] = np.take(cols[j], r)
            block[:, km1] = c
            parts.append(block)
            parents.append(r)
    if len(parts) == 1:
        return parts[0], parents[0]
    if not parts:
        return np.empty((0, km1 + 1), dtype=np.int32), np.empty(0, dtype=np.int64)
    return np.concatenate(parts), np.concatenate(parents)


def _pair_code_chunks(
    indptr: np.ndarray, indices: np.ndarray, f: int, budget: int
) -> Iterator[np.ndarray]:
    """Upper-triangle codes of all item pairs a < b of every row of a canonical CSR.

    Rows are grouped by length (one ``triu_indices`` per length) and the codes
    are yielded in chunks of about ``budget`` pairs, so that few numpy calls
    are made and little memory is held at once.
    """
    lengths = np.diff(indptr)
    # index of (a, b), a < b, in the row-major upper triangle = offset[a] + b
    items = np.arange(f, dtype=np.int64)
    offset = items * (2 * f - items - 3) // 2 - 1
    if f * (f - 1) // 2 < 2**31:  # int32 codes: half the memory, faster to sort
        offset = offset.astype(np.int32)
        indices = indices.astype(np.int32, copy=False)
    pos_dtype = np.int32 if indptr[-1] < 2**31 else np.int64  # positions of entries
    order = _by_length(lengths)
    sorted_len = lengths[order]
    bounds = np.flatnonzero(np.r_[True, sorted_len[1:] != sorted_len[:-1], True])
    parts: list[np.ndarray] = []
    held = 0
    for g0, g1 in zip(bounds[:-1], bounds[1:]):
        length = int(sorted_len[g0])
        if length < 2:
            continue
        iu0, iu1 = _triu(length)
        per_row = len(iu0)
        step = max(1, budget // max(per_row, length))  # short rows: the entries bound it
        span = np.arange(length, dtype=pos_dtype)
        for r0 in range(g0, g1, step):
            starts = indptr[order[r0 : min(r0 + step, g1)]].astype(pos_dtype, copy=False)
            rows = indices[starts[:, None] + span]
            codes = offset[rows][:, iu0]
            codes += rows[:, iu1]
            parts.append(codes.ravel())
            held += codes.size
            if held >= budget:
                yield np.concatenate(parts) if len(parts) > 1 else parts[0]
                parts, held = [], 0
    if parts:
        yield np.concatenate(parts) if len(parts) > 1 else parts[0]


def _count_pairs(
    x: sp.csr_matrix,
    min_count: int,
    buffers: _Buffers | None = None,
    state: dict[str, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Frequent pairs (i < j) of a canonical boolean CSR matrix and their counts.

    When the item bitsets are used (few items, long baskets) and ``state``
    is given, they are left in ``state["bits"]``, and the frequent pairs'
    bitsets in ``state["prefix_bits"]`` when they fit in ``_KEEP_BYTES``.
    There, with ``state["nat"]`` (the item of each rank), the pairs come as
    ``(nat[a], nat[b])``, ranks ``a < b``, in lexicographic order of ranks
    (the order of the next level's parents: the kept bitsets need no reordering).
    """
    buffers = _Buffers() if buffers is None else buffers
    f = x.shape[1]
    indptr = x.indptr.astype(np.int64)  # n + 1 entries; the indices keep their dtype
    indices = x.indices
    lengths = np.diff(indptr)
    pair_work = lengths * (lengths - 1) // 2
    n_tri = f * (f - 1) // 2
    n_words = (x.shape[0] + 63) // 64
    if n_tri * n_words < _PAIR_BITS_FACTOR * int(pair_work.sum()) and f <= _MAX_ADJ:
        # dense data (few items, long baskets): AND + popcount of item bitsets beats
        # enumerating every pair of every basket
        bits = _row_bitsets(x)
        tri = np.column_stack(np.triu_indices(f, 1)).astype(np.int32)
        if state is not None and "nat" in state:
            tri = state["nat"][tri]  # still grouped by first column (the prefix tree's need)
        keep = state is not None and n_tri * n_words * 8 <= _KEEP_BYTES
        counts, pair_bits = _count_level(
            tri, tri[:, 0], bits, bits, buffers, min_count if keep else None
        )
        if state is not None:
            state["bits"] = bits
            if pair_bits is not None:
                state["prefix_bits"] = pair_bits
        ok = counts >= min_count  # triu order is row-major: lexicographic (of ranks)
        return tri[ok], counts[ok]
    if n_tri <= (1 << 23):  # dense pair table of at most 64 MiB
        table = np.zeros(n_tri, dtype=np.int32 if x.shape[0] < 2**31 else np.int64)
        one = table.dtype.type(1)  # of the table's type: ufunc.at's fast loop (no casts)
        # at most ~32k pair codes (128-256 KiB) exist at once; np.add.at counts them in place
        # (a table-sized bincount per chunk was a fresh array of up to 4 MiB each time, its
        # pages faulted in again and again; a sort was 3-5x slower on big tables)
        for codes in _pair_code_chunks(indptr, indices, f, _PAIR_CODES):
            np.add.at(table, codes, one)
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
    """Columns ``cols`` (sorted) of a canonical CSR, re-indexed, rows with >= min_len kept.

    Block by block (:mod:`crmine.basket._codes`): besides the new matrix, one
    byte per entry of ``x`` is held (its keep mask).
    """
    remap = np.full(x.shape[1], -1, dtype=np.int32)
    remap[cols] = np.arange(len(cols), dtype=np.int32)
    keep = (remap >= 0)[x.indices]
    row_len = _row_counts(x.indptr, keep)
    row_ok = row_len >= min_len
    if not row_ok.all():
        keep &= np.repeat(row_ok, np.diff(x.indptr))
    indptr = np.zeros(int(np.count_nonzero(row_ok)) + 1, dtype=np.int64)  # (np.r_: 50 us)
    np.cumsum(row_len[row_ok], out=indptr[1:])
    del row_len
    index_dtype = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
    n_keep = int(indptr[-1])
    new = _compress_remap(x.indices, keep, remap, n_keep)
    del keep
    return sp.csr_matrix(
        (np.ones(n_keep, dtype=bool), new, indptr.astype(index_dtype)),
        shape=(len(indptr) - 1, len(cols)),
    )


def _levels_bitsets(
    x: sp.csr_matrix,
    nat: np.ndarray,
    rank: np.ndarray,
    min_count: int,
    max_len: int,
    levels: list[tuple[np.ndarray, np.ndarray]],
    check: Callable[[], None],
) -> None:
    """Levels 2 and up on full-length vertical bitsets (appended to ``levels``, ranks)."""
    f = x.shape[1]
    buffers = _Buffers()
    state: dict[str, Any] = {"nat": nat}
    if x.nnz:
        rows, counts = _count_pairs(x, min_count, buffers, state if max_len > 2 else None)
    else:
        rows, counts = np.empty((0, 2), dtype=np.int32), np.empty(0, dtype=np.int64)
    prefix_bits = state.get("prefix_bits")
    adj: np.ndarray | None = None
    if len(rows):
        rows = rank[rows]
        if "bits" not in state:  # (counted on bitsets, they come in order of ranks)
            rows.sort(axis=1)
            order = np.lexsort((rows[:, 1], rows[:, 0]))
            rows, counts = rows[order], counts[order]
        levels.append((rows, counts))
        check()
        logger.debug("level 2: %d frequent pairs", len(rows))
        if f <= _MAX_ADJ:
            adj = np.zeros((f, f), dtype=bool)
            adj[rows[:, 0], rows[:, 1]] = True
            adj[rows[:, 1], rows[:, 0]] = True
    x_cols = np.arange(f)
    # item bitsets (columns bits_cols, built over bits_rows baskets) and the
    # bitsets of the last level's itemsets, when kept
    bits = state.get("bits")
    bits_cols, bits_rows = x_cols, x.shape[0]
    rows_stable = bits is not None  # pairs were counted on bitsets (dense data)
    del state
    k = 3
    while len(levels) == k - 1 and k <= max_len:
        prev = levels[-1][0]
        cand, parent = _candidates(prev, adj, f)
        if len(cand) == 0:
            break
        used = np.zeros(f, dtype=bool)  # ranks, then items
        used[cand.ravel()] = True
        present = np.zeros(f, dtype=bool)
        present[nat[used]] = True
        active = np.flatnonzero(present)
        # Drop items no candidate uses and baskets too short to hold one; re-pack
        # the bitsets when that removes enough baskets (kept prefix bitsets would
        # be lost: they save about half the ANDs).  While baskets have not dropped
        # out (dense data), a product first tells whether they would.  Not for a few
        # candidates: checking costs a pass over the matrix (dense 0.1: 3 candidates
        # of length 10, 381 words to count, against 178k entries).
        selected, repack = False, bits is None
        few = bits is not None and _REPACK_WORK * len(cand) * bits.shape[1] < x.nnz
        if not repack and not few and len(active) < 0.7 * len(x_cols):
            limit = 0.5 if prefix_bits is not None else 0.75
            if rows_stable:
                row_len = x @ present[x_cols].astype(np.int32)
                repack = np.count_nonzero(row_len >= k) < limit * bits_rows
            else:
                buffers = _Buffers()  # their memory goes back before x is copied
                x = _select_columns(x, np.searchsorted(x_cols, active), k)
                x_cols, selected = active, True
                repack = x.shape[0] < limit * bits_rows
            rows_stable = not repack
        if repack:
            buffers = _Buffers()
            if not selected:
                x = _select_columns(x, np.searchsorted(x_cols, active), k)
                x_cols = active
            bits = prefix_bits = None  # released before the new ones are built
            bits, bits_cols, bits_rows = _row_bitsets(x), x_cols, x.shape[0]
        # re-index candidates (ranks) to the columns of the bitsets
        local = np.zeros(f, dtype=np.int32)
        local[bits_cols] = np.arange(len(bits_cols), dtype=np.int32)
        keep = k < max_len and len(cand) * bits.shape[1] * 8 <= _KEEP_BYTES
        counts, prefix_bits = _count_level(
            local[nat][cand], parent, bits, prefix_bits, buffers, min_count if keep else None
        )
        ok = counts >= min_count
        logger.debug("level %d: %d candidates, %d frequent", k, len(cand), int(ok.sum()))
        if ok.any():
            found = np.flatnonzero(ok)  # np.take: about 2x cand[ok] on short rows
            levels.append((np.take(cand, found, axis=0), counts[found]))
            check()
        k += 1
    del buffers, bits, prefix_bits


def _use_projection(x: sp.csr_matrix, min_count: int, max_len: int) -> bool:
    """Whether levels 2 and up are mined on per-item projected bitsets."""
    n, f = x.shape
    if max_len < 3 or f > _PROJ_MAX_ITEMS or (n + 63) // 64 < _PROJ_MIN_RATIO * min_count:
        return False
    lengths = np.diff(x.indptr).astype(np.int64)
    return int((lengths * (lengths - 1) // 2).sum()) <= _PROJ_MAX_PAIRS


def _levels_projected(
    x: sp.csr_matrix,
    rank: np.ndarray,
    min_count: int,
    max_len: int,
    levels: list[tuple[np.ndarray, np.ndarray]],
    check: Callable[[], None],
) -> None:
    """Levels 2 and up on bitsets projected onto the baskets of each itemset's first item.

    An itemset ``(a, ...)`` of ranks only occurs in baskets holding ``a``, its
    rarest item, so its bitset needs ``ceil(n_a / 64)`` words instead of one
    per 64 baskets (Eclat's conditional databases; 3 words instead of 154 for
    a typical item of Groceries).  The pairs ``(a, b)`` get such bitsets (see
    :func:`_projected_pairs`); a candidate ``P + (b,)`` of level k is counted
    as the AND of its parent's bitset (kept from the level below when small
    enough) and the pair ``(p0, b)``'s, which is frequent since ``P + (b,)``'s
    sibling is; without the parent's, as the AND of the pairs ``(p0, p_j)``.
    Results are appended to ``levels`` in ranks.
    """
    f = x.shape[1]
    pairs, counts, words, offsets, flat = _projected_pairs(x, rank, min_count)
    if not len(pairs):
        return
    levels.append((pairs, counts))
    check()
    logger.debug("level 2: %d frequent pairs (projected)", len(pairs))
    adj = np.zeros((f, f), dtype=bool)
    adj[pairs[:, 0], pairs[:, 1]] = True
    adj[pairs[:, 1], pairs[:, 0]] = True
    # per-candidate arrays in int32 where they fit (peak memory: 4 bytes a candidate each;
    # starts below 2**30, so that differences of starts less a length stay in int32)
    start_dtype = np.int32 if len(flat) < 2**30 else np.int64
    code_dtype = np.int32 if f * f < 2**31 else np.int64
    words = words.astype(np.int32 if int(words.max()) < 2**31 else np.int64)
    pair_start = np.full(f * f, -1, dtype=start_dtype)  # bitset of pair (a, b) at a * f + b
    pair_start[pairs[:, 0].astype(np.int64) * f + pairs[:, 1]] = offsets
    prev_start: np.ndarray | None = offsets.astype(start_dtype)  # the level below's bitsets
    prev_flat: np.ndarray | None = flat
    del offsets
    k = 3
    while len(levels) == k - 1 and k <= max_len:
        cand, parent = _candidates(levels[-1][0], adj, f)
        if len(cand) == 0:
            break
        row0 = cand[:, 0].astype(code_dtype)
        row0 *= f
        code = row0 + cand[:, -1]
        last = (pair_start[code], flat)
        del code
        if prev_start is not None and prev_flat is not None:
            sources = [(prev_start[parent], prev_flat), last]
        else:
            sources = [(pair_start[row0 + cand[:, j]], flat) for j in range(1, k - 1)]
            sources.append(last)
        # per-candidate arrays are let go of as soon as they are used (peak memory)
        del row0, parent, last, prev_start
        wc = np.take(words, cand[:, 0])  # words of each candidate's bitsets
        keep = k < max_len and int(wc.sum(dtype=np.int64)) * 8 <= _PROJ_KEEP_BYTES
        counts, kept = _count_projected(wc, sources, min_count if keep else None)
        del sources
        found = np.flatnonzero(counts >= min_count)
        logger.debug("level %d: %d candidates, %d frequent", k, len(cand), len(found))
        prev_start, prev_flat = None, kept
        if kept is not None:
            w_ok = wc[found]
            prev_start = np.zeros(len(w_ok), dtype=start_dtype)
            np.cumsum(w_ok[:-1], out=prev_start[1:])
        del wc
        if len(found):
            levels.append((np.take(cand, found, axis=0), counts[found].astype(np.int64)))
            check()
        del cand, counts, found
        k += 1


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
    return _mine_owned([matrix], min_count, max_len, max_itemsets)


def _mine_owned(
    holder: list[sp.spmatrix],
    min_count: int,
    max_len: int | None = None,
    max_itemsets: int | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`mine_levels` of the matrix taken out of ``holder`` (a one-item list).

    The matrix is let go of as soon as its frequent columns are copied, so
    that it is freed then when the caller keeps no other reference
    (:meth:`Apriori.fit` on a list of baskets: the peak memory of the levels
    no longer includes the input matrix).
    """
    matrix = holder.pop()
    max_len = max_len if max_len is not None else np.iinfo(np.int32).max
    csr = matrix if sp.issparse(matrix) and matrix.format == "csr" else sp.csr_matrix(matrix)
    del matrix
    if csr.dtype != bool:
        csr = csr.astype(bool)
    if not csr.has_canonical_format:
        csr = csr.copy()
        csr.sum_duplicates()
    n_rows = csr.shape[0]
    item_counts = _column_counts(csr.indices, csr.shape[1])
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
                _limit_error(found, len(levels), max_itemsets, bound, min_count, n_rows)
            )

    levels.append((np.arange(len(freq), dtype=np.int32)[:, None], item_counts[freq]))
    check()
    logger.debug("level 1: %d frequent items", len(freq))
    if max_len >= 2 and len(freq) >= 2:
        x = _select_columns(csr, freq, 2)
        del csr  # the input matrix, unless the caller holds it too
        # From level 2 on, itemsets are searched with the items ranked by ascending
        # count (fewer candidates: 66k instead of 105k on the dense benchmark at 0.1)
        # and put back in item order at the end.
        nat = np.argsort(item_counts[freq], kind="stable").astype(np.int32)  # rank -> item
        rank = np.empty(len(freq), dtype=np.int32)
        rank[nat] = np.arange(len(freq), dtype=np.int32)
        if x.nnz and _use_projection(x, min_count, max_len):
            _levels_projected(x, rank, min_count, max_len, levels, check)
        else:
            _levels_bitsets(x, nat, rank, min_count, max_len, levels, check)
        for lv in range(1, len(levels)):
            levels[lv] = _in_item_order(*levels[lv], nat)
    return [(freq[rows].astype(np.int32), counts) for rows, counts in levels]
