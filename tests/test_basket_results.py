"""The itemset result table against a hand-built oracle.

The table keeps the itemsets as codes (an ``ItemsetArray``) and builds the
frozensets when they are read; the oracle builds each one from scratch out of
its row of item codes.  Both must hold the same labels (the very label
objects of ``items``), in the same order, with hash tables no larger than a
chain of unions gives (``sys.getsizeof``).
"""

from __future__ import annotations

import random
import sys
from functools import reduce

import numpy as np
import pandas as pd
import pytest

from crmine.basket import as_baskets
from crmine.basket._itemset_array import ItemsetArray
from crmine.basket._itemsets import _itemsets_frame
from crmine.basket._mining import mine_levels


def union_chain(labels: list) -> frozenset:
    """``{a} | {b} | {c} ...``: one resize per step, the smallest tables."""
    return reduce(lambda acc, x: acc | frozenset([x]), labels[1:], frozenset(labels[:1]))


def oracle(levels: list, items: pd.Index) -> list[frozenset]:
    labels = list(items)
    return [union_chain([labels[j] for j in row]) for rows, _ in levels for row in rows.tolist()]


def _itemset_objects(levels: list, items: pd.Index) -> np.ndarray:
    """Every itemset of the levels as the result table reads it out."""
    return np.asarray(_itemsets_frame(levels, items, 120, 3)["itemset"].array, dtype=object)


def random_levels(seed: int, pool: list, n_baskets: int = 120, min_count: int = 3) -> tuple:
    rng = random.Random(seed)
    core = rng.sample(pool, min(9, len(pool)))  # a dense block: itemsets up to 9 items
    baskets = []
    for _ in range(n_baskets):
        basket = [x for x in core if rng.random() < 0.8]
        basket += rng.sample(pool, rng.randint(0, min(4, len(pool))))
        baskets.append(basket)
    b = as_baskets(baskets)
    return mine_levels(b.matrix, min_count, None, None), b.items


POOLS = {
    "str": [f"item {i}" for i in range(30)],
    "int": list(range(0, 90, 3)),
    "mixed": [*range(10), *(f"s{i}" for i in range(10)), 2.5, (1, "a")],
}


@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("seed", range(4))
def test_itemsets_match_oracle(kind: str, seed: int) -> None:
    levels, items = random_levels(seed, POOLS[kind])
    assert len(levels) >= 6  # long itemsets: the resized (k >= 5) tables are covered
    got = _itemset_objects(levels, items)
    want = oracle(levels, items)
    assert isinstance(got, np.ndarray) and got.dtype == object and got.ndim == 1
    assert len(got) == len(want)
    assert all(type(s) is frozenset for s in got)
    assert list(got) == want  # same sets, same order (level by level, rows in order)
    # memory: no table larger than the union chain's
    assert [sys.getsizeof(s) for s in got] == [sys.getsizeof(s) for s in want]
    # every element is one of the item labels themselves, not a copy
    ids = {id(x) for x in items.tolist()} if items.dtype == object else None
    if ids is not None:
        assert all(id(x) in ids for s in got for x in s)


def test_smaller_tables_than_frozenset_of_a_list() -> None:
    levels, items = random_levels(0, POOLS["int"])
    got = _itemset_objects(levels, items)
    five = [s for s in got if len(s) == 5]
    assert five
    assert all(sys.getsizeof(s) < sys.getsizeof(frozenset(list(s))) for s in five)


def test_no_levels_and_one_level() -> None:
    items = pd.Index(["a", "b", "c"])
    assert _itemset_objects([], items).shape == (0,)
    rows = np.array([[0], [2]])
    got = _itemset_objects([(rows, np.array([5, 4]))], items)
    assert list(got) == [frozenset({"a"}), frozenset({"c"})]


def test_frame_columns_order_and_attrs() -> None:
    levels, items = random_levels(1, POOLS["str"])
    df = _itemsets_frame(levels, items, 120, 3)
    assert list(df.columns) == ["itemset", "count", "support", "length"]
    assert df.attrs == {"n_baskets": 120, "min_count": 3}
    assert list(df["itemset"]) == oracle(levels, items)
    counts = np.concatenate([c for _, c in levels])
    np.testing.assert_array_equal(df["count"].to_numpy(), counts)
    np.testing.assert_array_equal(df["support"].to_numpy(), counts / 120)
    np.testing.assert_array_equal(df["length"].to_numpy(), [len(s) for s in df["itemset"]])
    assert df["count"].dtype == np.int64 and df["length"].dtype == np.int64
    assert df.index.equals(pd.RangeIndex(len(df)))


def test_itemset_column_is_codes_until_read() -> None:
    levels, items = random_levels(2, POOLS["str"])
    df = _itemsets_frame(levels, items, 120, 3)
    arr = df["itemset"].array
    assert isinstance(arr, ItemsetArray) and str(df["itemset"].dtype) == "itemset"
    n_codes = sum(rows.size for rows, _ in levels)
    assert len(arr._codes) == n_codes  # one code per item of each itemset, nothing more
    assert arr.nbytes < 8 * n_codes + 8 * (len(arr) + 1) + 8 * len(items) + 1
    # one element, and the whole column, read back as the oracle's frozensets
    want = oracle(levels, items)
    assert df["itemset"].iloc[-1] == want[-1]
    assert df["itemset"].tolist() == want
