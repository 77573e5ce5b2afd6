"""Tests of crmine.basket: input conversion and frequent itemsets (Apriori)."""

from __future__ import annotations

import pickle
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from crmine.basket import Apriori, apriori, as_baskets, min_count_for
from crmine.basket._mining import ItemsetLimitError, _count_pairs, mine_levels
from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema


def read_groceries() -> list[list[str]]:
    path = shared_dataset("groceries") / "groceries.csv"
    with open(path, encoding="utf-8") as fh:
        return [line.rstrip("\n").split(",") for line in fh]


def read_fimi(name: str, filename: str) -> list[list[str]]:
    path = shared_dataset(name) / filename
    with open(path, encoding="utf-8") as fh:
        return [line.split() for line in fh]


def brute_force(baskets: list[set], min_count: int, max_len: int | None = None) -> dict:
    items = sorted({x for b in baskets for x in b})
    out = {}
    for k in range(1, (max_len or len(items)) + 1):
        found = False
        for combo in combinations(items, k):
            s = frozenset(combo)
            c = sum(s <= b for b in baskets)
            if c >= min_count:
                out[s] = c
                found = True
        if not found:
            break
    return out


def subset_counts(baskets: list[list], min_count: int) -> dict:
    """Brute force by enumeration of every basket's subsets (short baskets only)."""
    from collections import Counter

    counts: Counter = Counter()
    for b in baskets:
        items = sorted(set(b))
        for k in range(1, len(items) + 1):
            counts.update(map(frozenset, combinations(items, k)))
    return {s: c for s, c in counts.items() if c >= min_count}


def as_dict(fi: pd.DataFrame) -> dict:
    return dict(zip(fi["itemset"], fi["count"]))


# ---------------------------------------------------------------- known answers


BASKETS = [
    ["bread", "milk"],
    ["bread", "diapers", "beer", "eggs"],
    ["milk", "diapers", "beer", "cola"],
    ["bread", "milk", "diapers", "beer"],
    ["bread", "milk", "diapers", "cola"],
]


def test_known_answer_textbook():
    # Tan, Steinbach & Kumar's table 6.1, minimum count 3, counted by hand
    fi = apriori(BASKETS, min_count=3)
    expected = {
        frozenset({"bread"}): 4,
        frozenset({"milk"}): 4,
        frozenset({"diapers"}): 4,
        frozenset({"beer"}): 3,
        frozenset({"bread", "milk"}): 3,
        frozenset({"bread", "diapers"}): 3,
        frozenset({"milk", "diapers"}): 3,
        frozenset({"diapers", "beer"}): 3,
    }
    assert as_dict(fi) == expected
    assert fi.attrs["n_baskets"] == 5
    assert list(fi.columns) == ["itemset", "count", "support", "length"]
    np.testing.assert_allclose(fi["support"], fi["count"] / 5)
    assert (fi["length"] == fi["itemset"].map(len)).all()
    assert fi["length"].is_monotonic_increasing


def test_exact_support_boundary():
    # 53 of 265 baskets is support 0.2 exactly: the threshold must keep it
    assert min_count_for(0.2, 265) == 53
    assert min_count_for(0.1, 30) == 3  # 0.1 * 30 = 3.0000000000000004 in floats
    baskets = [["a"]] * 3 + [["b"]] * 27
    fi = apriori(baskets, min_support=0.1)
    assert frozenset({"a"}) in as_dict(fi)


def test_min_count_overrides_support_and_max_len():
    fi = apriori(BASKETS, min_support=0.99, min_count=2, max_len=2)
    assert fi["length"].max() == 2
    assert as_dict(fi) == brute_force([set(b) for b in BASKETS], 2, 2)


def test_all_input_shapes_agree():
    expected = as_dict(apriori(BASKETS, min_count=2))
    log = pd.DataFrame(
        [(i, x) for i, b in enumerate(BASKETS) for x in b], columns=["order_id", "item"]
    )
    b = as_baskets(BASKETS)
    onehot = pd.DataFrame(b.matrix.toarray(), columns=b.items)
    sparse_df = onehot.astype(pd.SparseDtype(bool, False))
    ints = onehot.astype(int)
    for data, kw in [
        (log, {}),
        (
                log.rename(columns={"order_id": "o", "item": "p"}),
                {"schema": TransactionSchema(order="o", item="p")},
            ),
        (onehot, {}),
        (sparse_df, {}),
        (ints, {}),
        (b, {}),
        (b.matrix, {"items": list(b.items)}),
        (sp.csc_matrix(b.matrix.astype(np.int8) * 3), {"items": list(b.items)}),
        ((set(x) for x in BASKETS), {}),
    ]:
        assert as_dict(apriori(data, min_count=2, **kw)) == expected


def test_log_duplicates_count_once_and_caller_not_mutated():
    log = pd.DataFrame({"order_id": [1, 1, 1, 2], "item": ["a", "a", "b", "a"]})
    before = log.copy()
    fi = apriori(log, min_count=1)
    assert as_dict(fi) == {frozenset("a"): 2, frozenset("b"): 1, frozenset("ab"): 1}
    pd.testing.assert_frame_equal(log, before)


def test_sparse_pair_path_matches_dense_path(monkeypatch):
    rng = np.random.default_rng(1)
    m = sp.random(300, 40, density=0.15, random_state=rng, format="csr").astype(bool)
    dense_levels = mine_levels(m, 5)
    import crmine.basket._mining as mod

    def sparse_only(x, min_count, buffers=None, state=None):
        saved = x.shape
        big = sp.csr_matrix((x.data, x.indices, x.indptr), shape=(saved[0], 5000))
        rows, counts = _count_pairs(big, min_count, buffers)
        return rows, counts

    monkeypatch.setattr(mod, "_count_pairs", sparse_only)
    monkeypatch.setattr(mod, "_PROJ_MAX_ITEMS", 0)  # pairs through _count_pairs
    sparse_levels = mine_levels(m, 5)
    assert len(dense_levels) == len(sparse_levels)
    for (r1, c1), (r2, c2) in zip(dense_levels, sparse_levels):
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(c1, c2)


def test_join_fallback_without_pair_matrix(monkeypatch):
    import crmine.basket._mining as mod

    rng = np.random.default_rng(2)
    m = sp.random(200, 12, density=0.4, random_state=rng, format="csr").astype(bool)
    expected = mine_levels(m, 8)
    monkeypatch.setattr(mod, "_MAX_ADJ", 0)
    monkeypatch.setattr(mod, "_PROJ_MAX_ITEMS", 0)  # the projection always has a pair matrix
    got = mine_levels(m, 8)
    assert len(expected) == len(got) >= 4
    for (r1, c1), (r2, c2) in zip(expected, got):
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(c1, c2)


def dense_rows(n: int, n_attr: int, seed: int) -> list[list[int]]:
    """Mushroom-like rows: one item per attribute value, skewed values (long itemsets)."""
    rng = np.random.default_rng(seed)
    cols = []
    for a in range(n_attr):
        k = int(rng.integers(2, 5))
        cols.append(rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 0.5))) + 10 * a)
    return np.column_stack(cols).tolist()


def assert_same_levels(expected, got):
    assert len(expected) == len(got)
    for (r1, c1), (r2, c2) in zip(expected, got):
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(c1, c2)


@pytest.mark.parametrize(
    "setting",
    [
        # full-length bitsets (no projection)
        {"_PROJ_MAX_ITEMS": 0, "_JOIN_FACTOR": 0},  # candidates always by sibling join
        {"_PROJ_MAX_ITEMS": 0, "_JOIN_FACTOR": 10**9},  # always by the class x item table
        {"_PROJ_MAX_ITEMS": 0, "_KEEP_BYTES": 0},  # never keep bitsets: prefix tree
        {"_PROJ_MAX_ITEMS": 0, "_KEEP_BYTES": 1 << 40},  # always keep them
        {"_PROJ_MAX_ITEMS": 0, "_BLOCK_WORDS": 3},  # tiny chunks: buffers change shape
        {"_PROJ_MAX_ITEMS": 0, "_REPACK_WORK": 0},  # never look for baskets dropping out
        {"_PROJ_MAX_ITEMS": 0, "_REPACK_WORK": 10**9},  # look for them at every length
        # bitsets projected onto the baskets of each itemset's first item
        {"_PROJ_MIN_RATIO": 0, "_JOIN_FACTOR": 0},
        {"_PROJ_MIN_RATIO": 0, "_JOIN_FACTOR": 10**9},
        {"_PROJ_MIN_RATIO": 0, "_PROJ_KEEP_BYTES": 0},  # never keep bitsets: AND of pairs'
        {"_PROJ_MIN_RATIO": 0, "_PROJ_KEEP_BYTES": 1 << 40},
        {"_PROJ_MIN_RATIO": 0, "_PROJ_BLOCK_WORDS": 3},  # many tiny chunks of candidates
        {"_PROJ_MIN_RATIO": 0, "_PROJ_BLOCK_WORDS": 1, "_PROJ_KEEP_BYTES": 0},
    ],
)
def test_engine_paths_agree_with_brute_force(monkeypatch, setting):
    import crmine.basket._bitsets as bits_mod
    import crmine.basket._mining as mod

    dense = dense_rows(150, 7, seed=3)
    # sparse rows of mixed lengths: baskets drop out and bitsets are re-packed per level
    rng = np.random.default_rng(4)
    sizes = rng.integers(1, 9, size=300)
    sparse = [sorted(set(rng.choice(30, size=int(k)).tolist())) for k in sizes]
    for name, value in setting.items():
        monkeypatch.setattr(bits_mod if name.endswith("_BLOCK_WORDS") else mod, name, value)
    used = []
    original = mod._levels_projected
    monkeypatch.setattr(mod, "_levels_projected", lambda *a: used.append(1) or original(*a))
    for rows, min_count in ((dense, 8), (sparse, 4)):
        fi = apriori(rows, min_count=min_count, max_itemsets=None)
        assert as_dict(fi) == subset_counts(rows, min_count)
        assert fi["length"].max() >= (5 if rows is dense else 3)
    assert len(used) == (2 if setting.get("_PROJ_MIN_RATIO") == 0 else 0)  # the path tested


def test_engine_settings_do_not_change_levels(monkeypatch):
    import crmine.basket._bitsets as bits_mod
    import crmine.basket._mining as mod

    m = as_baskets(dense_rows(400, 9, seed=5)).matrix
    expected = mine_levels(m, 20)
    assert len(expected) >= 6
    for module, name, value in (
        (mod, "_PROJ_MIN_RATIO", 0),  # projected bitsets
        (bits_mod, "_PROJ_BLOCK_WORDS", 2),
        (mod, "_PROJ_KEEP_BYTES", 0),
        (mod, "_PROJ_MAX_ITEMS", 0),  # full-length bitsets from here on
        (mod, "_JOIN_FACTOR", 0),
        (mod, "_KEEP_BYTES", 0),
        (bits_mod, "_BLOCK_WORDS", 5),
    ):
        monkeypatch.setattr(module, name, value)
        assert_same_levels(expected, mine_levels(m, 20))


def test_baskets_dropping_out_after_bitset_pairs(monkeypatch):
    # pairs counted on bitsets (few items); from length 3 on only the long baskets can
    # hold a candidate, so the bitsets are re-packed without the short ones
    import crmine.basket._mining as mod

    monkeypatch.setattr(mod, "_PROJ_MAX_ITEMS", 0)  # full-length bitsets
    rng = np.random.default_rng(9)
    long = [sorted(rng.choice(10, size=8, replace=False).tolist()) for _ in range(100)]
    pairs = [rng.choice(np.arange(10, 20), size=2, replace=False) for _ in range(300)]
    short = [sorted(p.tolist()) for p in pairs]
    rows = long + short
    built = []
    original = mod._row_bitsets
    monkeypatch.setattr(mod, "_row_bitsets", lambda x: built.append(x.shape) or original(x))
    fi = apriori(rows, min_count=12, max_itemsets=None)
    assert as_dict(fi) == subset_counts(rows, min_count=12)
    assert fi["length"].max() >= 4
    assert built[0][0] == 400 and built[1][0] == 100  # pair stage, then re-packed


@pytest.mark.parametrize("pack_entries", [5, 1 << 15])  # rows longer than a block, too
@pytest.mark.parametrize("shape", [(8124, 30, 0.5), (100, 7, 0.3), (64, 5, 0.9), (65, 5, 0.9)])
def test_bitset_packers_agree(shape, pack_entries, monkeypatch):
    import crmine.basket._bitsets as bits_mod
    from crmine.basket._bitsets import _bitsets, _row_bitsets

    monkeypatch.setattr(bits_mod, "_PACK_ENTRIES", pack_entries)

    n, f, density = shape
    m = sp.random(n, f, density=density, random_state=np.random.default_rng(n), format="csr")
    m = m.astype(bool)
    m.sort_indices()
    packed = _row_bitsets(m)  # the dense path for these shapes
    np.testing.assert_array_equal(packed, _bitsets(m))
    # bit r of word r // 64 of item j is set exactly when basket r holds item j
    r, j = m.nonzero()
    assert ((packed[j, r // 64] >> (r % 64).astype(np.uint64)) & np.uint64(1)).all()
    assert sum(int(v).bit_count() for v in packed.ravel()) == m.nnz


def test_dense_data_matches_mlxtend():
    mlx = pytest.importorskip("mlxtend.frequent_patterns")
    rows = dense_rows(300, 8, seed=6)
    b = as_baskets(rows)
    onehot = pd.DataFrame(b.matrix.toarray(), columns=list(b.items))
    for min_support in (0.3, 0.1, 0.05):
        ours = apriori(rows, min_support=min_support, max_itemsets=None)
        theirs = mlx.fpgrowth(onehot, min_support=min_support, use_colnames=True)
        assert len(ours) == len(theirs) > 50
        assert as_dict(ours) == {
            frozenset(s): round(v * 300) for s, v in zip(theirs["itemsets"], theirs["support"])
        }


def test_dense_max_len_and_max_itemsets():
    rows = dense_rows(200, 8, seed=7)
    full = apriori(rows, min_count=10, max_itemsets=None)
    assert full["length"].max() >= 6
    for max_len in (1, 2, 3, 5):
        cut = apriori(rows, min_count=10, max_len=max_len, max_itemsets=None)
        assert as_dict(cut) == {s: c for s, c in as_dict(full).items() if len(s) <= max_len}
    # the limit is exact: the true number passes, one less stops the search
    assert len(apriori(rows, min_count=10, max_itemsets=len(full))) == len(full)
    with pytest.raises(ItemsetLimitError, match="max_itemsets"):
        apriori(rows, min_count=10, max_itemsets=len(full) - 1)


def test_result_order_and_frozensets():
    # sorted by length, then lexicographically by item order; labels not ints
    rows = [[f"i{x:02d}" for x in r] for r in dense_rows(120, 6, seed=8)]
    fi = apriori(rows, min_count=6, max_itemsets=None)
    keys = [(len(s), sorted(s)) for s in fi["itemset"]]
    assert keys == sorted(keys)
    assert all(type(s) is frozenset for s in fi["itemset"])
    assert (fi["length"] == [len(s) for s in fi["itemset"]]).all()
    assert fi["count"].dtype == np.int64


def test_estimator_api():
    model = Apriori(min_support=0.6)
    assert clone(model).get_params() == model.get_params()
    model.fit(BASKETS)
    assert model.n_baskets_ == 5 and model.min_count_ == 3
    assert model.item_counts_["bread"] == 4
    again = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(again.frequent_itemsets_, model.frequent_itemsets_)
    rules = model.association_rules(metric="confidence", min_threshold=1.0)
    assert {(frozenset(a), frozenset(c)) for a, c in zip(rules.antecedents, rules.consequents)} == {
        (frozenset({"beer"}), frozenset({"diapers"}))
    }


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "kw", "exc", "match"),
    [
        ([], {}, SchemaError, "no baskets"),
        (pd.DataFrame({"order_id": [1], "sku": ["a"]}), {}, SchemaError, "'item'"),
        (pd.DataFrame({"order_id": [1, None], "item": ["a", "b"]}), {}, SchemaError, "missing"),
        (pd.DataFrame({"a": [1, -1]}), {}, SchemaError, "schema=TransactionSchema"),
        (pd.DataFrame({"a": [1.0, np.nan]}), {}, SchemaError, "NaN"),
        ([["a", None]], {}, SchemaError, "missing item"),
        (["ab", "c"], {}, SchemaError, "not a collection"),
        (np.ones((2, 2)), {}, TypeError, "dense numpy"),
        (42, {}, TypeError, "cannot read"),
        ([["a"]], {"min_support": 0.0}, ValueError, "min_support"),
        ([["a"]], {"min_support": 1.5}, ValueError, "min_support"),
        ([["a"]], {"max_len": 0}, ValueError, "max_len"),
    ],
)
def test_bad_input(data, kw, exc, match):
    with pytest.raises(exc, match=match):
        Apriori(**kw).fit(data)


def test_sparse_input_not_mutated():
    m = sp.csr_matrix((np.array([2, 3, 1]), np.array([0, 0, 1]), np.array([0, 2, 3])), shape=(2, 2))
    before = (m.data.copy(), m.indices.copy(), m.indptr.copy())
    b = as_baskets(m)
    assert b.matrix.toarray().tolist() == [[True, False], [False, True]]
    for x, y in zip(before, (m.data, m.indices, m.indptr)):
        np.testing.assert_array_equal(x, y)


def test_returns_in_log_warn():
    from crmine.exceptions import DataWarning

    log = pd.DataFrame({"order_id": [1, 1, 2], "item": ["a", "b", "a"], "quantity": [1, 1, -1]})
    with pytest.warns(DataWarning, match="1 return line"):
        fi = apriori(log, min_count=1)
    # the return line is left out: order 2 is empty, so "a" is in 1 basket of 1
    assert fi.attrs["n_baskets"] == 1
    assert as_dict(fi)[frozenset({"a"})] == 1


def test_sparse_items_length_mismatch():
    with pytest.raises(SchemaError, match="labels"):
        apriori(sp.csr_matrix(np.eye(3)), items=["a", "b"])


def test_single_basket_and_nothing_frequent():
    fi = apriori([["a", "b"]], min_support=1.0)
    assert as_dict(fi) == {frozenset("a"): 1, frozenset("b"): 1, frozenset("ab"): 1}
    empty = apriori([["a"], ["b"]], min_count=3)
    assert len(empty) == 0 and list(empty.columns) == ["itemset", "count", "support", "length"]


# ---------------------------------------------------------------- properties

baskets_st = st.lists(st.sets(st.integers(0, 9), min_size=0, max_size=7), min_size=1, max_size=40)


@pytest.mark.parametrize("ratio", [0, 10**9])  # projected bitsets, full-length ones
@settings(max_examples=40, deadline=None)
@given(baskets_st, st.integers(1, 6), st.one_of(st.none(), st.integers(1, 4)))
def test_property_matches_brute_force(ratio, baskets, min_count, max_len):
    import crmine.basket._mining as mod

    saved, mod._PROJ_MIN_RATIO = mod._PROJ_MIN_RATIO, ratio
    try:
        fi = apriori([sorted(b) for b in baskets], min_count=min_count, max_len=max_len)
    finally:
        mod._PROJ_MIN_RATIO = saved
    assert as_dict(fi) == brute_force(baskets, min_count, max_len)


@settings(max_examples=30, deadline=None)
@given(baskets_st, st.sampled_from([0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 1 / 3, 0.7]))
def test_property_matches_mlxtend(baskets, min_support):
    mlx = pytest.importorskip("mlxtend.frequent_patterns")
    items = sorted({x for b in baskets for x in b})
    if not items:
        return
    onehot = pd.DataFrame({i: [i in b for b in baskets] for i in items})
    ours = apriori(onehot, min_support=min_support)
    theirs = mlx.apriori(onehot, min_support=min_support, use_colnames=True)
    n = len(baskets)
    assert dict(zip(ours["itemset"], ours["count"])) == {
        frozenset(s): round(v * n) for s, v in zip(theirs["itemsets"], theirs["support"])
    }


# ---------------------------------------------------------------- public data


@pytest.mark.public_data
def test_groceries_itemset_count():
    tx = read_groceries()
    model = Apriori(min_support=0.01).fit(tx)
    assert len(model.items_) == 169
    assert model.n_baskets_ == 9835
    assert model.item_counts_["whole milk"] == 2513
    assert len(model.frequent_itemsets_) == 333


@pytest.mark.public_data
@pytest.mark.slow
def test_fimi_retail_itemset_counts():
    tx = read_fimi("fimi_retail", "retail.dat")
    b = as_baskets(tx)
    assert b.matrix.shape == (88162, 16470)
    counts = {s: len(apriori(b, min_support=s)) for s in (0.01, 0.005, 0.002, 0.001)}
    assert counts == {0.01: 159, 0.005: 580, 0.002: 2691, 0.001: 7589}


# ---------------------------------------------------------------- planted truth


def test_planted_beer_and_diapers_on_make_retail():
    from crmine import datasets
    from crmine.basket import association_rules

    data = datasets.make_retail(n_customers=800, random_state=0)
    log = data.transactions
    log = log[log["quantity"] > 0]
    ts = log["timestamp"]
    evening = (ts.dt.day_of_week < 5) & (ts.dt.hour >= 17) & (ts.dt.hour < 22)
    fi = apriori(log[evening], min_support=0.01, max_len=2)
    rules = association_rules(fi, "lift", 1.0).sort_values("lift", ascending=False)
    top = rules.iloc[0]
    assert top["antecedents"] | top["consequents"] == frozenset({"beer", "diapers"})
    assert top["lift"] >= 2
    # outside weekday evenings the pair is (close to) independent
    other = association_rules(apriori(log[~evening], min_support=0.001, max_len=2), "lift", 0)
    pair = other[
        (other.antecedents == frozenset({"beer"})) & (other.consequents == frozenset({"diapers"}))
    ]
    assert len(pair) == 1 and pair["lift"].iloc[0] < 1.5


@pytest.mark.parametrize("k", [1, 2, 3, 7, 12, 13, 15])
def test_item_order_of_ranked_rows(k):
    # rows of ranks back to items: sorted within rows (a network up to 12 items, np.sort
    # beyond) and across rows, counts carried along
    from crmine.basket._keys import _in_item_order

    rng = np.random.default_rng(k)
    f = 40
    nat = rng.permutation(f).astype(np.int32)
    rows = np.array(
        sorted({tuple(sorted(rng.choice(f, k, replace=False))) for _ in range(300)}),
        dtype=np.int32,
    )
    counts = rng.integers(0, 1000, len(rows))
    items, got = _in_item_order(rows, counts, nat)
    expected = sorted((tuple(sorted(nat[r].tolist())), c) for r, c in zip(rows, counts))
    assert [tuple(r) for r in items.tolist()] == [r for r, _ in expected]
    assert got.tolist() == [c for _, c in expected]


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 16])
def test_block_counts_equal_whole_array_counts(monkeypatch, block):
    # column counts, row counts and the column selection work block by block; the
    # blocks of rows must not change a count (empty rows, rows longer than a block)
    import crmine.basket._codes as codes
    from crmine.basket._mining import _select_columns

    monkeypatch.setattr(codes, "_BLOCK", block)
    rng = np.random.default_rng(block)
    lengths = rng.choice([0, 0, 1, 2, 5, 11], size=60)
    rows = [sorted(rng.choice(25, size=k, replace=False).tolist()) for k in lengths]
    m = as_baskets(rows).matrix
    keep = rng.random(m.nnz) < 0.5
    np.testing.assert_array_equal(
        codes._column_counts(m.indices, m.shape[1]), np.bincount(m.indices, minlength=m.shape[1])
    )
    per_row = np.diff(np.r_[0, np.cumsum(keep)][m.indptr])
    np.testing.assert_array_equal(codes._row_counts(m.indptr, keep), per_row)
    remap = rng.permutation(m.shape[1]).astype(np.int32)
    np.testing.assert_array_equal(
        codes._compress_remap(m.indices, keep, remap, int(keep.sum())), remap[m.indices[keep]]
    )
    cols = np.flatnonzero(rng.random(m.shape[1]) < 0.6)
    for min_len in (0, 2, 4):
        got = _select_columns(m, cols, min_len)
        dense = m.toarray()[:, cols]
        dense = dense[dense.sum(axis=1) >= min_len]
        np.testing.assert_array_equal(got.toarray(), dense)
        assert got.has_canonical_format and got.dtype == bool


def test_mining_with_tiny_blocks_equals_default(monkeypatch):
    import crmine.basket._codes as codes

    rng = np.random.default_rng(11)
    sizes = rng.integers(0, 12, size=500)
    rows = [sorted(set(rng.choice(40, size=int(k)).tolist())) for k in sizes]
    expected = apriori(rows, min_count=6, max_itemsets=10**6)  # with the upfront bound
    monkeypatch.setattr(codes, "_BLOCK", 5)
    got = apriori(rows, min_count=6, max_itemsets=10**6)
    pd.testing.assert_frame_equal(got, expected)
    assert as_dict(got) == subset_counts(rows, 6)


def test_fit_leaves_the_callers_matrix_intact():
    # Apriori.fit hands the matrix to the miner, which lets go of it early: a matrix
    # the caller holds stays as it was and can be mined again
    b = as_baskets(dense_rows(200, 6, seed=1))
    before = (b.matrix.indices.copy(), b.matrix.indptr.copy())
    first = apriori(b.matrix, min_count=10, items=b.items)
    np.testing.assert_array_equal(b.matrix.indices, before[0])
    np.testing.assert_array_equal(b.matrix.indptr, before[1])
    pd.testing.assert_frame_equal(apriori(b, min_count=10), first)
    model = Apriori(min_count=10).fit(b)
    np.testing.assert_array_equal(
        model.item_counts_.to_numpy(), np.bincount(before[0], minlength=len(b.items))
    )


@pytest.mark.parametrize("block", [3, 1 << 16])
def test_itemset_bound_counts_frequent_items_per_basket(monkeypatch, block):
    import crmine.basket._codes as codes
    from crmine.basket import itemset_bound

    monkeypatch.setattr(codes, "_BLOCK", block)
    rng = np.random.default_rng(3)
    rows = [sorted(rng.choice(60, size=int(k), replace=False).tolist()) for k in [40] * 30]
    rows += [[] for _ in range(5)] + [[59]] * 3
    m = as_baskets(rows).matrix
    dense = m.toarray()
    frequent = dense.sum(axis=0) >= 20
    naive = float(np.sum(2.0 ** dense[:, frequent].sum(axis=1) - 1)) / 20
    assert itemset_bound(m, 20) == min(float(np.sum(2.0 ** dense.sum(axis=1) - 1)) / 20, naive)
