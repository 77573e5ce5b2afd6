"""Vertical bitsets and their counting, for :mod:`crmine.basket._mining`.

One packed ``uint64`` row per item (bit ``r`` set when basket ``r`` holds
the item); an itemset's count is the popcount of the AND of its items' rows.
Counting works in chunks of about 512 KiB of bitsets (just under 128 KiB on
small levels), written into buffers reused for every chunk of every level: a
fresh array of a megabyte or more costs a page fault per 4 KiB page on first
touch, 4-5x the AND + popcount it holds (measured).  The bitsets a level
keeps for the next are held in blocks released as the next level reads past
them (:class:`_RowBlocks`).
"""

from __future__ import annotations

import functools
import math
import sys

import numpy as np
import scipy.sparse as sp

# words of uint64 per counting chunk (512 KiB).  Measured against 1 MiB: buffers of a
# megabyte were page-faulted in again on every call (about 1,000 faults, 2-3 ms of
# Groceries 0.005's 10 ms end to end); half as large they are reused from the heap
_BLOCK_WORDS = 1 << 16
# words per chunk (just under 128 KiB) on levels of at most SMALL_LEVEL_WORDS words of
# bitsets that read their parents' kept bitsets block by block: those blocks (as many
# rows) are then released and reused sooner.  Measured (CPU ms of the mining, peak MB of
# apriori): dense 0.3 3.9 -> 2.9 and 3.0 -> 1.5, dense 0.2 6.5 -> 6.0 and 6.3 -> 3.4;
# elsewhere (Groceries' pair level, prefix trees, big levels) the 4x more chunks cost
# more than they save (Groceries 0.01: +0.15 ms, 0.005: +0.22 ms).
_SMALL_BLOCK_WORDS = 16320
_SMALL_LEVEL_WORDS = 1 << 19
# words per chunk of projected counting (its index arrays take 8 bytes a word too)
_PROJ_BLOCK_WORDS = 1 << 15
# stored entries per block of rows packed into bitsets (about 20 bytes each at once)
_PACK_ENTRIES = 1 << 15


def _edges(cuts: np.ndarray, n: int) -> list[int]:
    """Chunk bounds ``[0, *cuts, n]`` without repeats (``cuts`` sorted, within [0, n]).

    Cheaper than ``np.unique(np.r_[...])`` on the few cuts of a chunk loop.
    """
    if not len(cuts):
        return [0, n] if n else [0]
    out = [0]
    for c in cuts.tolist():
        if c > out[-1]:
            out.append(c)
    if n > out[-1]:
        out.append(n)
    return out


def _by_length(lengths: np.ndarray) -> np.ndarray:
    """Stable argsort of basket lengths: a radix sort on 16 bits when they fit (3x)."""
    if len(lengths) and int(lengths.max()) < 1 << 16:
        return np.argsort(lengths.astype(np.uint16), kind="stable")
    return np.argsort(lengths, kind="stable")


class _Buffers:
    """Reusable flat work arrays, one per name.

    A fresh array of a megabyte or more costs a page fault per 4 KiB page on
    first touch (measured: 4-5x the AND + popcount it holds); counting reuses
    the same few buffers for every chunk of every level instead.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}
        self.spare: list[np.ndarray] = []  # released blocks of kept bitsets (flat)

    def block(self, shape: tuple[int, int]) -> np.ndarray:
        """A block of ``uint64`` for kept bitsets: a released one when it is large enough."""
        size = shape[0] * shape[1]
        while self.spare:
            flat = self.spare.pop()
            if flat.size >= size:
                return flat[:size].reshape(shape)
        return np.empty(size, dtype=np.uint64).reshape(shape)

    def get(self, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
        size = math.prod(shape)
        buf = self._arrays.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = np.empty(size, dtype=dtype)  # the first chunk of a level is its largest
            self._arrays[name] = buf
        return buf[:size].reshape(shape)

    def take(self, name: str, source: np.ndarray, index: np.ndarray) -> np.ndarray:
        """``source[index]`` (rows) written into the buffer ``name``."""
        out = self.get(name, (len(index), source.shape[1]), source.dtype)
        # mode="clip": no bounds-check copy of ``out`` (the indices are valid)
        return np.take(source, index, axis=0, out=out, mode="clip")


class _RowBlocks:
    """Rows of one 2-D array held as consecutive blocks, each let go of once read past.

    The bitsets a level keeps for the next are written into blocks of one
    size, one after the other, and read back in row order (the candidates of
    the next level come sorted, so their parents' rows do not decrease): a
    block goes back to the buffers' spares as soon as the reads have moved
    past it, and the next level's kept bitsets are written into it.  Both
    levels' bitsets are then never held in full at once, and no fresh pages
    are touched for them.
    """

    def __init__(self, blocks: list[np.ndarray]) -> None:
        self._blocks: list[np.ndarray | None] = list(blocks)
        self._ends: list[int] = np.cumsum([len(b) for b in blocks], dtype=np.int64).tolist()
        self._cur = 0  # first block not yet released

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def take(self, index: np.ndarray, out: np.ndarray, buffers: _Buffers) -> np.ndarray:
        """Rows ``index`` (non-decreasing, not below any earlier call's) into ``out``.

        The blocks read past go back to ``buffers.spare``.
        """
        ends, blocks = self._ends, self._blocks
        first, last = int(index[0]), int(index[-1])
        cur = self._cur
        while ends[cur] <= first:  # blocks read past: released
            block = blocks[cur]
            blocks[cur] = None
            if block is not None:
                buffers.spare.append(block.base if block.base is not None else block)
            cur += 1
        self._cur = cur
        start = ends[cur - 1] if cur else 0
        if last < ends[cur]:
            rows = index - start if start else index
            return np.take(blocks[cur], rows, axis=0, out=out, mode="clip")
        i0, b = 0, cur
        while i0 < len(index):  # the rows straddle blocks: one take per block
            i1 = int(np.searchsorted(index, ends[b])) if ends[b] <= last else len(index)
            if i1 > i0:
                rows = index[i0:i1] - start
                np.take(blocks[b], rows, axis=0, out=out[i0:i1], mode="clip")
            start = ends[b]
            i0, b = i1, b + 1
        return out


def _and_count(a: np.ndarray, b: np.ndarray, buffers: _Buffers) -> np.ndarray:
    """Popcount of ``a & b`` per row (``a`` is overwritten)."""
    np.bitwise_and(a, b, out=a)
    w = a.shape[1]
    ones = buffers.get("popcount", a.shape, np.uint8)
    np.bitwise_count(a, out=ones)
    # the narrowest accumulator that holds 64 * w (a row's largest count)
    acc = np.uint16 if 64 * w < 1 << 16 else np.uint32 if 64 * w < 1 << 32 else np.uint64
    if not ones.size:
        return np.zeros(len(ones), dtype=acc)
    # one reduceat over the flat counts: about half the time of ``sum(axis=1)`` (measured)
    return np.add.reduceat(ones.ravel(), np.arange(0, ones.size, w), dtype=acc)


def _chunk_rows(n_rows: int, w: int, blocks: bool) -> int:
    """Rows of ``w`` words per counting chunk for a level of ``n_rows`` bitsets.

    Small chunks on a small level that reads its parents' bitsets in blocks
    (``blocks``): the blocks are released sooner; elsewhere the 4x more
    chunks cost more than they save (Groceries' pair level and prefix trees).
    """
    small = blocks and n_rows * w <= _SMALL_LEVEL_WORDS
    return max(1, (min(_BLOCK_WORDS, _SMALL_BLOCK_WORDS) if small else _BLOCK_WORDS) // w)


class _KeptRows:
    """Writer of the bitsets a level keeps for the next, into blocks of one size.

    The blocks are filled one after the other and taken from the buffers'
    spares (the previous level's blocks released as they are read), so no
    fresh pages are touched for them once a level has released its blocks.
    """

    def __init__(self, cap: int, w: int, buffers: _Buffers) -> None:
        self._cap, self._w, self._buffers = cap, w, buffers
        self._blocks: list[np.ndarray] = []
        self._fill = cap  # rows written into the last block

    def add(self, acc: np.ndarray, ok: np.ndarray) -> None:
        """Append the rows ``ok`` (sorted positions) of ``acc``."""
        i = 0
        while i < len(ok):
            if self._fill == self._cap:
                self._blocks.append(self._buffers.block((self._cap, self._w)))
                self._fill = 0
            m = min(self._cap - self._fill, len(ok) - i)
            dst = self._blocks[-1][self._fill : self._fill + m]
            np.take(acc, ok[i : i + m], axis=0, out=dst, mode="clip")
            self._fill += m
            i += m

    def rows(self) -> _RowBlocks:
        blocks = self._blocks
        if blocks:
            blocks[-1] = blocks[-1][: self._fill]
        return _RowBlocks(blocks)


def _bitsets(x: sp.csr_matrix) -> np.ndarray:
    """Packed vertical bitsets, shape (n_items, n_words), from a boolean CSR matrix.

    Built straight from the rows, in blocks of rows of about
    ``_PACK_ENTRIES`` stored entries (about 20 bytes each at once, narrow
    types where they fit): the bit of each entry is OR-ed into its word by
    ``np.bitwise_or.at`` (numpy's fast loop).  No CSC copy of the matrix
    (5 bytes per entry: 5 MB on T10I4D100K), and as fast or faster (T10I4D100K
    at 0.002: 8.8 against 11.3 ms).
    """
    n, f = x.shape
    w = max(1, (n + 63) // 64)
    out = np.zeros(f * w, dtype=np.uint64)
    indptr = x.indptr
    nnz = int(indptr[-1])
    key_dtype = np.int32 if f * w < 2**31 and n < 2**31 else np.int64
    cuts = np.searchsorted(indptr, np.arange(_PACK_ENTRIES, nnz, _PACK_ENTRIES), side="right")
    edges = _edges(cuts - 1, n)
    for r0, r1 in zip(edges[:-1], edges[1:]):
        lo, hi = int(indptr[r0]), int(indptr[r1])
        if hi == lo:
            continue
        row = np.repeat(np.arange(r0, r1, dtype=key_dtype), np.diff(indptr[r0 : r1 + 1]))
        key = x.indices[lo:hi].astype(key_dtype)
        key *= w
        key += row >> 6  # the word of each entry
        bit = (row & 63).astype(np.uint64)
        del row
        np.left_shift(np.uint64(1), bit, out=bit)
        np.bitwise_or.at(out, key, bit)
    return out.reshape(f, w)


def _row_bitsets(x: sp.csr_matrix) -> np.ndarray:
    """Packed vertical bitsets, shape (n_items, n_words), of a boolean CSR matrix.

    When the dense item x basket table of booleans is no larger than four
    bytes per entry (dense data), it is filled and packed with
    ``np.packbits`` (about 5x faster); else the bitsets are packed from the
    rows by :func:`_bitsets`.
    """
    n, f = x.shape
    w = max(1, (n + 63) // 64)
    if f * w * 64 > max(4 * x.nnz, 1 << 16) or sys.byteorder != "little":
        return _bitsets(x)
    table = np.zeros((f, w * 64), dtype=bool)
    rows = np.repeat(np.arange(n, dtype=np.int32 if n < 2**31 else np.int64), np.diff(x.indptr))
    table[x.indices, rows] = True
    # bit r of a little-endian word is basket r: the layout :func:`_bitsets` makes
    return np.packbits(table, axis=1, bitorder="little").view(np.uint64)


def _count_level(
    cand: np.ndarray,
    parent: np.ndarray,
    bits: np.ndarray,
    prefix_bits: np.ndarray | _RowBlocks | None,
    buffers: _Buffers,
    keep_min: int | None = None,
) -> tuple[np.ndarray, _RowBlocks | None]:
    """Counts of candidates = popcount of the AND of their items' bitsets.

    With ``prefix_bits`` (the bitsets of the frequent (k-1)-itemsets, kept
    from the level below), a candidate costs one AND: its parent's bitset
    and its last item's.  Without, the ANDs of the candidates' prefixes are
    computed through a prefix tree: candidates come sorted, so those sharing
    a prefix are contiguous and the AND of every distinct prefix is computed
    once per chunk, depth by depth.  Work is done in chunks of about 512 KiB
    of bitsets (:func:`_chunk_rows`), in reused buffers, so that it stays in
    the CPU cache.

    With ``keep_min``, the bitsets of the candidates counted at least
    ``keep_min`` times are returned too (the next level's ``prefix_bits``).
    ``prefix_bits`` given as :class:`_RowBlocks` are released block by block
    as the chunks move past them (``parent`` does not decrease: the
    candidates come sorted).
    """
    n_c, k = cand.shape
    w = bits.shape[1]
    out = np.empty(n_c, dtype=np.int64)
    chunk = _chunk_rows(n_c, w, isinstance(prefix_bits, _RowBlocks))
    # kept bitsets in blocks of a chunk's rows when chunks are small (released as the next
    # level reads past them), else in one block reserved for all candidates (as many
    # chunks; reads that straddle blocks cost more than the memory saved on big levels)
    cap = min(chunk, n_c) if chunk * w <= _SMALL_BLOCK_WORDS else n_c
    kept = _KeptRows(cap, w, buffers) if keep_min is not None else None
    cols = np.ascontiguousarray(cand.T)  # column-wise work: 3-10x on rows of few items
    if prefix_bits is None:
        # The level's prefix tree, once: gid[j, i] numbers row i's prefix of length
        # j + 1; item[j][g] is the last item of prefix g, up[j][g] the number of its
        # own prefix (one length shorter).  A chunk then reads its prefixes as slices.
        new = np.empty(n_c, dtype=bool)
        new[0] = True
        gid = np.empty((k - 1, n_c), dtype=np.int64)
        item, up = [], []
        for j in range(k - 1):
            diff = cols[j, 1:] != cols[j, :-1]
            if j:
                new[1:] |= diff
            else:
                new[1:] = diff
            np.cumsum(new, out=gid[j])
            gid[j] -= 1
            starts = np.flatnonzero(new)
            item.append(cols[j][starts])
            up.append(gid[j - 1][starts] if j else starts)
    for s in range(0, n_c, chunk):
        e = min(s + chunk, n_c)
        acc = buffers.take("last", bits, cols[-1, s:e])
        if isinstance(prefix_bits, _RowBlocks):
            par = buffers.get("parent", (e - s, w), np.uint64)
            counts = _and_count(acc, prefix_bits.take(parent[s:e], par, buffers), buffers)
        elif prefix_bits is not None:
            par = buffers.take("parent", prefix_bits, parent[s:e])
            counts = _and_count(acc, par, buffers)
        else:
            lo = gid[:, s].tolist()  # the chunk's prefixes of each length: lo[j]..hi[j]
            hi = (gid[:, e - 1] + 1).tolist()
            prefix = buffers.take("prefix0", bits, item[0][lo[0] : hi[0]])
            for j in range(1, k - 1):
                ext = buffers.take(f"prefix{j % 2}", bits, item[j][lo[j] : hi[j]])
                own = up[j][lo[j] : hi[j]] - lo[j - 1]
                np.bitwise_and(ext, buffers.take("parent", prefix, own), out=ext)
                prefix = ext
            own = gid[-1, s:e] - lo[-1]
            counts = _and_count(acc, buffers.take("parent", prefix, own), buffers)
        out[s : s + chunk] = counts
        if kept is not None:
            kept.add(acc, np.flatnonzero(counts >= keep_min))
    return out, (kept.rows() if kept is not None else None)


@functools.lru_cache(maxsize=256)
def _triu(length: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(length, 1)``, computed once per basket length (read-only)."""
    iu0, iu1 = np.triu_indices(length, 1)
    iu0.flags.writeable = False
    iu1.flags.writeable = False
    return iu0, iu1


def _projected_pairs(
    x: sp.csr_matrix, rank: np.ndarray, min_count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frequent pairs of ranked items and their bitsets over the baskets of their first item.

    Eclat's conditional databases, built at once: the pair ``(a, b)``,
    ``rank a < rank b``, gets a bitset of ``w[a] = ceil(n_a / 64)`` words
    whose bit ``i`` is set when the ``i``-th basket holding ``a`` (in basket
    order) also holds ``b``.  Every pair of every basket is enumerated once
    (baskets grouped by length, one ``triu_indices`` per length), counted
    with one ``bincount``, and the frequent pairs' bits set in one boolean
    table packed with ``np.packbits``.

    Parameters
    ----------
    x : scipy.sparse.csr_matrix of bool, shape (n, f)
        Canonical basket matrix (sorted indices, no duplicates).
    rank : ndarray of int32, shape (f,)
        Rank of each column; pairs are written ``(rank a, rank b)``, a < b.
    min_count : int
        Count threshold of the pairs.

    Returns
    -------
    pairs : ndarray of int32, shape (n_p, 2)
        Frequent pairs of ranks, in lexicographic order.
    counts : ndarray of int64, shape (n_p,)
    words : ndarray of int64, shape (f,)
        Words of the bitsets of the pairs whose first rank is each rank.
    offsets : ndarray of int64, shape (n_p,)
        Start of each pair's bitset in ``flat`` (in words).
    flat : ndarray of uint64
        All the pairs' bitsets, one after the other.
    """
    n, f = x.shape
    # the columns as ranks; through CSC (baskets in order within each rank) the
    # position of each basket among the rank's baskets, carried back to CSR (ranks
    # ascending within each basket)
    by_rank = sp.csr_matrix((x.data, rank[x.indices], x.indptr), shape=(n, f)).tocsc()
    n_item = np.diff(by_rank.indptr).astype(np.int64)
    idx_dtype = np.int32 if by_rank.nnz < 2**31 else np.int64
    local = np.arange(by_rank.nnz, dtype=idx_dtype)
    local -= np.repeat(by_rank.indptr[:-1].astype(idx_dtype), n_item)
    # the pairs' codes (< f * f) and positions (< n_item) are held for every pair in
    # baskets at once: uint16 where they fit (half the memory of int32)
    if int(n_item.max()) <= 1 << 16:
        local = local.astype(np.uint16)
    back = sp.csc_matrix((local, by_rank.indices, by_rank.indptr), shape=(n, f))
    del by_rank, local
    back = back.tocsr()
    code_dtype = np.uint16 if f * f <= 1 << 16 else np.int32 if f * f < 2**31 else np.int64
    r_ent = back.indices.astype(code_dtype, copy=False)
    local = back.data
    indptr = back.indptr.astype(np.int64)
    del back
    lengths = np.diff(indptr)
    by_len = _by_length(lengths)
    sorted_len = lengths[by_len]
    bounds = np.flatnonzero(np.r_[True, sorted_len[1:] != sorted_len[:-1], True])
    # per basket length, kept apart: temporaries of one group, not of all pairs at once
    # (fewer fresh pages faulted in on every call)
    codes, locs = [], []
    table = np.zeros(f * f, dtype=np.int64)
    held: list[np.ndarray] = []
    n_held = 0
    for g0, g1 in zip(bounds[:-1], bounds[1:]):
        length = int(sorted_len[g0])
        if length < 2:
            continue
        iu0, iu1 = _triu(length)
        pos = indptr[by_len[g0:g1]][:, None] + np.arange(length)
        ranks = r_ent[pos]
        code = ranks[:, iu0]
        code *= f
        code += ranks[:, iu1]
        codes.append(code.ravel())
        locs.append(local[pos][:, iu0].ravel())
        held.append(codes[-1])
        n_held += codes[-1].size
        if n_held >= 1 << 16 or g1 == bounds[-1]:
            part = np.concatenate(held) if len(held) > 1 else held[0]
            np.add(table, np.bincount(part, minlength=f * f), out=table)
            held, n_held = [], 0
    if held:
        np.add(table, np.bincount(np.concatenate(held), minlength=f * f), out=table)
    frequent = np.flatnonzero(table >= min_count)  # a * f + b: lexicographic order
    pairs = np.column_stack([frequent // f, frequent % f]).astype(np.int32)
    words = np.maximum((n_item + 63) // 64, 1)
    pair_words = words[pairs[:, 0]]
    offsets = np.zeros(len(pairs), dtype=np.int64)
    np.cumsum(pair_words[:-1], out=offsets[1:])
    n_bits = int(pair_words.sum()) * 64
    # first bit of each frequent pair's bitset; the other pairs set bits in a spare stretch
    # past the end (as long as an item's baskets: no mask to compress out the misses)
    first_bit = np.full(f * f, n_bits, dtype=np.intp)
    first_bit[frequent] = offsets * 64
    bits = np.zeros(n_bits + int(n_item.max()), dtype=bool)
    for code, loc in zip(codes, locs):
        bit = first_bit[code]
        bit += loc
        bits[bit] = True
    flat = np.packbits(bits[:n_bits], bitorder="little").view(np.uint64)
    if sys.byteorder != "little":  # pragma: no cover - bit r of a word is basket r
        flat = flat.byteswap()
    return pairs, table[frequent].astype(np.int64), words, offsets, flat


def _count_projected(
    wc: np.ndarray,
    sources: list[tuple[np.ndarray, np.ndarray]],
    keep_min: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Counts of candidates from bitsets over the baskets of their first item.

    ``sources`` lists, for each operand, the start (in words) of each
    candidate's bitset and the flat array holding it; a candidate's count is
    the popcount of the AND of its operands, all ``wc`` words long (the words
    of the candidate's first item).  Words of all candidates are gathered into
    one stretch per chunk of about ``_PROJ_BLOCK_WORDS`` words (a few numpy
    calls whatever the lengths).  With ``keep_min``, the bitsets of the
    candidates counted at least ``keep_min`` times are returned, one after
    the other.

    Returns
    -------
    counts : ndarray of int32 (int64 past 2**31 words), shape (n_c,)
        Narrow, as the starts in ``sources`` may be (int32): on Groceries at
        0.001 (45k candidates at length 3) each int64 array of a candidate's
        values holds 0.36 MB.
    kept : ndarray of uint64 or None
    """
    n_c = len(wc)
    n_words = int(wc.sum(dtype=np.int64))
    wide = n_words >= 1 << 31
    out = np.empty(n_c, dtype=np.int64 if wide else np.int32)
    cum = np.cumsum(wc, dtype=np.int64 if wide else np.int32)
    block = _PROJ_BLOCK_WORDS
    cuts = np.searchsorted(cum, np.arange(block, n_words, block, dtype=cum.dtype))
    edges = _edges(cuts + 1, n_c)
    del cum, cuts
    kept: list[np.ndarray] = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        w = wc[lo:hi].astype(np.intp)  # a chunk's lengths: no int32 casts in every call
        base = np.zeros(len(w), dtype=np.intp)
        np.cumsum(w[:-1], out=base[1:])
        total = int(base[-1] + w[-1])
        acc = None
        for start, flat in sources:
            # word indices: consecutive within a candidate, jumping to the next
            # candidate's start (one cumsum instead of a repeat of the starts)
            st = start[lo:hi]
            idx = np.ones(total, dtype=np.intp)
            idx[0] = st[0]
            idx[base[1:]] = st[1:] - st[:-1] - w[:-1] + 1
            np.cumsum(idx, out=idx)
            if acc is None:
                acc = np.take(flat, idx)
            else:
                np.bitwise_and(acc, np.take(flat, idx), out=acc)
            del idx  # before the next operand's (peak memory)
        # per-candidate sums as differences of one cumsum at the candidates' last words:
        # reduceat costs ~9 ns per segment, 3x the rest on candidates of 2-5 words
        cs = np.cumsum(np.bitwise_count(acc), dtype=np.int32 if total < 1 << 25 else np.int64)
        base += w - 1
        counts = cs[base]
        del cs, base
        counts[1:] -= counts[:-1].copy()
        out[lo:hi] = counts
        if keep_min is not None:
            kept.append(acc[np.repeat(counts >= keep_min, w)])
    if keep_min is None:
        return out, None
    if len(kept) == 1:
        return out, kept[0]
    return out, (np.concatenate(kept) if kept else np.empty(0, dtype=np.uint64))
