"""A list of baskets into the sparse basket matrix, against a naive pure-Python reference.

The reference reads every basket item by item into a dict of label -> column
(labels sorted) and a dense boolean table; ``as_baskets`` must give the same
labels, the same cells, a canonical CSR matrix, and refuse what it refused
before (mixed ``1`` / ``"1"``, missing labels, unhashable labels).
"""

from __future__ import annotations

import copy
import math
import random

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import shared_dataset

from crmine.basket import as_baskets
from crmine.exceptions import SchemaError


def naive(baskets: list, key=None) -> tuple[list, np.ndarray]:
    """Sorted labels and the dense basket x label table, one item at a time."""
    labels: list = []
    for basket in baskets:
        for x in basket:
            if not any(x == y and type(x) is type(y) for y in labels):
                labels.append(x)
    labels.sort(key=key)
    table = np.zeros((len(baskets), len(labels)), dtype=bool)
    for i, basket in enumerate(baskets):
        for x in basket:
            j = next(j for j, y in enumerate(labels) if x == y and type(x) is type(y))
            table[i, j] = True
    return labels, table


def check_against_naive(baskets: list, key=None) -> None:
    before = copy.deepcopy(baskets)
    labels, table = naive(baskets, key)
    b = as_baskets(baskets)
    assert baskets == before  # the caller's lists are not touched
    assert isinstance(b.matrix, sp.csr_matrix)
    assert b.matrix.dtype == bool
    assert b.matrix.has_canonical_format  # sorted columns, each item once per row
    assert b.matrix.shape == (len(baskets), len(labels))
    assert b.matrix.nnz == int(table.sum())
    assert list(b.items) == labels
    assert [type(x) for x in b.items] == [type(x) for x in labels]
    assert list(b.orders) == list(range(len(baskets)))
    np.testing.assert_array_equal(b.matrix.toarray(), table)


def random_baskets(rng: random.Random, pool: list, n: int, max_len: int = 8) -> list[list]:
    """Unsorted baskets with repeats inside a basket and some empty baskets."""
    out = []
    for _ in range(n):
        k = rng.choice([0, 0, 1, 2, 3, max_len])
        out.append([rng.choice(pool) for _ in range(k)])
    return out


WORDS = ["whole milk", "yogurt", "rolls/buns", "beer", "diapers", "é clair", "", "cream cheese "]


@pytest.mark.parametrize("seed", range(5))
def test_strings_match_naive(seed: int) -> None:
    rng = random.Random(seed)
    check_against_naive(random_baskets(rng, WORDS, 300))


@pytest.mark.parametrize("seed", range(3))
def test_in_place_sort_of_large_inputs_matches_naive(seed: int, monkeypatch) -> None:
    # above a size the rows are sorted in place instead of by two linear passes
    from crmine.basket import _input

    monkeypatch.setattr(_input, "_LINEAR_SORT_MAX_NNZ", 0)
    rng = random.Random(seed)
    check_against_naive(random_baskets(rng, WORDS, 300))
    check_against_naive(random_baskets(rng, [9, 3, 5, 1, 0], 300))


@pytest.mark.parametrize("seed", range(5))
def test_distinct_string_objects_match_naive(seed: int) -> None:
    # as read from a file: every occurrence its own str object
    rng = random.Random(seed)
    baskets = [["".join(list(x)) for x in b] for b in random_baskets(rng, WORDS, 300)]
    check_against_naive(baskets)


@pytest.mark.parametrize(
    "pool",
    [
        list(range(12)),  # small ids: counting sort
        [0, 7, 10**9, 3 * 10**12],  # sparse ids: the general factorization
        [-5, -1, 0, 2],  # negative ids
        [2**63 - 1, -(2**63)],  # the int64 range, both ends
    ],
)
@pytest.mark.parametrize("seed", range(3))
def test_integers_match_naive(pool: list, seed: int) -> None:
    check_against_naive(random_baskets(random.Random(seed), pool, 200))


@pytest.mark.parametrize("container", [tuple, set, np.array, lambda b: iter(list(b))])
def test_basket_containers(container) -> None:
    rng = random.Random(1)
    for pool in (list(range(9)), WORDS):
        baskets = random_baskets(rng, pool, 60)
        labels, table = naive(baskets)
        b = as_baskets([container(x) for x in baskets])
        assert list(b.items) == labels
        assert b.matrix.has_canonical_format
        np.testing.assert_array_equal(b.matrix.toarray(), table)


def test_many_tuple_baskets_read_in_blocks() -> None:
    # tuples go through blocks of 4096 baskets; a float in a late block is still seen
    rng = random.Random(3)
    baskets = [tuple(b) for b in random_baskets(rng, list(range(10)), 9000)]
    labels, table = naive(baskets)
    b = as_baskets(baskets)
    assert b.items.dtype == np.int64
    assert list(b.items) == labels
    np.testing.assert_array_equal(b.matrix.toarray(), table)
    late = as_baskets([*baskets, (3, 2.5)])
    expected = [0, 1, 2, 2.5, 3, 4, 5, 6, 7, 8, 9]  # 2.5 kept as a float, sorted among ints
    assert [(type(x), x) for x in late.items] == [(type(x), x) for x in expected]
    assert late.matrix[-1].toarray().tolist() == [[x in (2.5, 3) for x in expected]]


def test_numpy_integers_are_integer_labels() -> None:
    b = as_baskets([[np.int64(3), 1], [np.int32(1)], [np.int8(7)]])
    assert b.items.dtype == np.int64
    assert list(b.items) == [1, 3, 7]
    np.testing.assert_array_equal(
        b.matrix.toarray(), [[True, True, False], [True, False, False], [False, False, True]]
    )


def test_integers_beyond_int64_are_kept_exactly() -> None:
    big = 2**70
    check_against_naive([[1, big], [big], [3]])


def test_duplicates_count_once_and_empty_baskets_count() -> None:
    b = as_baskets([["a", "a", "b", "a"], [], ["b"], []])
    assert b.matrix.shape == (4, 2)
    assert b.matrix.nnz == 3
    # support of "a": 1 basket of 4, of "b": 2 of 4
    assert b.matrix.sum(axis=0).tolist() == [[1, 2]]
    assert b.matrix.getnnz(axis=1).tolist() == [2, 0, 1, 0]


def test_all_baskets_empty() -> None:
    b = as_baskets([[], []])
    assert b.matrix.shape == (2, 0)
    assert len(b.items) == 0


@pytest.mark.parametrize(
    "baskets",
    [
        [[1, "1"]],
        [["1", 1]],
        [[1, 2], ["2"]],
        [["2"], [1, 2]],
        [["a", "b"], ["c", 1, "1"]],
    ],
)
def test_labels_differing_only_in_type_are_refused(baskets: list) -> None:
    with pytest.raises(SchemaError, match="differ in type"):
        as_baskets(baskets)


@pytest.mark.parametrize(
    "baskets",
    [
        [[1, None]],
        [[None, 1]],
        [["a", None]],
        [["a"], [float("nan")]],
        [[1, 2], [math.nan]],
        [[np.nan]],
    ],
)
def test_missing_labels_are_refused(baskets: list) -> None:
    with pytest.raises(SchemaError, match="missing item label"):
        as_baskets(baskets)


@pytest.mark.parametrize("baskets", [[[1, [2]]], [["a", ["b"]]], [[{"a": 1}]]])
def test_unhashable_labels_are_refused(baskets: list) -> None:
    with pytest.raises(SchemaError, match="hashable"):
        as_baskets(baskets)


def test_a_string_is_not_a_basket() -> None:
    with pytest.raises(SchemaError, match="not a collection"):
        as_baskets([["a"], "ab"])


def test_floats_among_integers_stay_their_own_labels() -> None:
    # 2.5 is not cast to 2, and the text "3" is not read as the number 3
    b = as_baskets([[1, 2.5], [2]])
    assert [(type(x), x) for x in b.items] == [(int, 1), (int, 2), (float, 2.5)]
    np.testing.assert_array_equal(b.matrix.toarray(), [[True, False, True], [False, True, False]])
    check_against_naive([[1, 2.5, 2.0], [4], [0.5, 7]], key=float)


def test_whole_floats_among_integers_are_not_cast() -> None:
    b = as_baskets([[1], [2.0]])
    assert [type(x) for x in b.items] == [int, float]
    assert list(b.items) == [1, 2.0]


def test_booleans_read_as_labels() -> None:
    b = as_baskets([[True, False], [True]])
    assert [(type(x), x) for x in b.items] == [(bool, False), (bool, True)]
    np.testing.assert_array_equal(b.matrix.toarray(), [[True, True], [False, True]])


def test_mixed_orderable_labels_numbers_first() -> None:
    b = as_baskets([["b", 1], ["a", 2.5]])
    assert list(b.items) == [1, 2.5, "a", "b"]
    np.testing.assert_array_equal(
        b.matrix.toarray(), [[True, False, False, True], [False, True, True, False]]
    )


def test_list_matrix_equals_log_matrix() -> None:
    """The same baskets given as a list and as a long log give the same matrix."""
    import pandas as pd

    rng = random.Random(7)
    baskets = random_baskets(rng, WORDS, 200)
    rows = [(i, x) for i, b in enumerate(baskets) for x in b]
    log = pd.DataFrame(rows, columns=["order_id", "item"])
    from_log = as_baskets(log)
    from_list = as_baskets(baskets)
    assert list(from_list.items) == list(from_log.items)
    # the log has no row for an empty basket: compare the non-empty baskets
    keep = [i for i, b in enumerate(baskets) if b]
    assert list(from_log.orders) == keep
    np.testing.assert_array_equal(from_list.matrix[keep].toarray(), from_log.matrix.toarray())


def _read_lines(path, sep: str | None) -> list[list[str]]:
    with open(path) as fh:
        return [line.rstrip("\r\n").split(sep) for line in fh if line.strip()]


def test_groceries_against_naive() -> None:
    path = shared_dataset("groceries") / "groceries.csv"
    baskets = _read_lines(path, ",")
    index = {x: j for j, x in enumerate(sorted({x for b in baskets for x in b}))}
    b = as_baskets(baskets)
    assert list(b.items) == sorted(index)
    assert b.matrix.shape == (9835, 169)
    dense = np.zeros(b.matrix.shape, dtype=bool)
    for i, basket in enumerate(baskets):
        dense[i, [index[x] for x in basket]] = True
    np.testing.assert_array_equal(b.matrix.toarray(), dense)
    assert b.matrix.has_canonical_format


def test_fimi_retail_against_naive() -> None:
    path = shared_dataset("fimi_retail") / "retail.dat"
    baskets = [[int(x) for x in line] for line in _read_lines(path, None)]
    labels = sorted({x for b in baskets for x in b})
    col = {x: j for j, x in enumerate(labels)}
    b = as_baskets(baskets)
    assert b.items.dtype == np.int64
    assert list(b.items) == labels
    assert b.matrix.has_canonical_format
    rows = np.repeat(np.arange(len(baskets)), [len(set(x)) for x in baskets])
    cols = np.concatenate([sorted({col[x] for x in basket}) for basket in baskets])
    np.testing.assert_array_equal(b.matrix.indices, cols)
    np.testing.assert_array_equal(
        np.diff(b.matrix.indptr), np.bincount(rows, minlength=len(baskets))
    )


def _general_path(baskets: list, monkeypatch) -> object:
    """``as_baskets`` with the all-``str`` fast path switched off."""
    from crmine.basket import _input

    with monkeypatch.context() as m:
        m.setattr(_input, "_str_codes", lambda flat: None)
        return as_baskets(baskets)


def assert_same_baskets(a, b) -> None:
    assert a.matrix.shape == b.matrix.shape
    assert a.matrix.dtype == b.matrix.dtype == bool
    assert a.matrix.has_canonical_format and b.matrix.has_canonical_format
    np.testing.assert_array_equal(a.matrix.indptr, b.matrix.indptr)
    np.testing.assert_array_equal(a.matrix.indices, b.matrix.indices)
    assert a.items.equals(b.items) and a.items.dtype == b.items.dtype
    assert [type(x) for x in a.items] == [type(x) for x in b.items]
    assert a.orders.equals(b.orders)


@pytest.mark.parametrize("seed", range(6))
def test_string_fast_path_equals_general_path(seed: int, monkeypatch) -> None:
    # repeats inside a basket, empty baskets, distinct str objects, unicode, "",
    # labels first seen in unsorted order
    rng = random.Random(seed)
    pool = WORDS + [f"item {i}" for i in rng.sample(range(500), 40)] + ["Z", "a", "ä", "日本"]
    baskets = random_baskets(rng, pool, 400, max_len=12)
    baskets = [["".join(list(x)) for x in b] if i % 2 else b for i, b in enumerate(baskets)]
    if seed % 2:
        baskets.insert(0, [])  # the first basket empty: the first label is found later
    fast = as_baskets(baskets)
    assert_same_baskets(fast, _general_path(baskets, monkeypatch))
    check_against_naive(baskets)


@pytest.mark.parametrize(
    "late",
    [1, 2.5, None, float("nan"), np.str_("beer"), ("a", "b")],
    ids=["int", "float", "None", "nan", "np.str_", "tuple"],
)
def test_a_late_non_str_label_leaves_the_string_fast_path(late, monkeypatch) -> None:
    # the first label is a str; a different type deep in the list sends the whole
    # input to the general path, with the same result or error as there
    baskets = [["beer", "milk"], ["diapers", "beer"]] * 50 + [["milk", late, "milk"]]
    try:
        expected = _general_path(baskets, monkeypatch)
    except SchemaError as exc:
        with pytest.raises(SchemaError) as fast_exc:
            as_baskets(baskets)
        assert str(fast_exc.value) == str(exc)
        return
    assert_same_baskets(as_baskets(baskets), expected)


def test_string_labels_differing_only_in_type_are_still_refused() -> None:
    with pytest.raises(SchemaError, match="differ in type"):
        as_baskets([["1", "2"], ["3", 1]])
    with pytest.raises(SchemaError, match="missing item label"):
        as_baskets([["a"], ["b", None]])
    with pytest.raises(SchemaError, match="hashable"):
        as_baskets([["a"], ["b", ["c"]]])


class _Lying(list):
    """A basket whose len() is one more than its items."""

    def __len__(self) -> int:
        return super().__len__() + 1


@pytest.mark.parametrize("pool", [["a", "b"], [1, 2], [1.5, 2.5]])
def test_a_basket_whose_length_lies_is_refused(pool: list) -> None:
    with pytest.raises(SchemaError, match="lengths add up"):
        as_baskets([list(pool), _Lying(pool)])


def test_first_seen_codes_number_labels_in_order() -> None:
    from crmine.basket._input import _FirstSeenCodes

    seen = _FirstSeenCodes()
    assert list(map(seen.__getitem__, ["b", "a", "b", "c", "a"])) == [0, 1, 0, 2, 1]
    assert list(seen) == ["b", "a", "c"]


@pytest.mark.parametrize("long", [255, 256, 1000])
@pytest.mark.parametrize("kind", [int, str])
def test_long_baskets_match_naive(long: int, kind) -> None:
    # basket lengths are read as bytes below 256, as int64 from 256 items on
    rng = random.Random(long)
    pool = [kind(i) for i in range(1200)]
    baskets = random_baskets(rng, pool[:30], 50)
    baskets.insert(7, [rng.choice(pool) for _ in range(long)])  # with repeats
    baskets.append(pool[:long])
    check_against_naive(baskets, key=None)
    b = as_baskets(baskets)
    assert b.matrix.getnnz(axis=1).tolist() == [len(set(x)) for x in baskets]


def _without_small_ids(baskets: list, monkeypatch) -> object:
    """``as_baskets`` with the uint8 fast path for ids 0..255 switched off."""
    from crmine.basket import _input

    with monkeypatch.context() as m:
        m.setattr(_input, "_small_ids", lambda baskets: None)
        return as_baskets(baskets)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("container", [list, tuple])
def test_small_id_fast_path_equals_int64_path(seed: int, container, monkeypatch) -> None:
    rng = random.Random(seed)
    pool = rng.sample(range(256), 60) + [0, 255]
    baskets = [container(b) for b in random_baskets(rng, pool, 300, max_len=20)]
    fast = as_baskets(baskets)
    assert_same_baskets(fast, _without_small_ids(baskets, monkeypatch))
    assert fast.items.dtype == np.int64
    check_against_naive([list(b) for b in baskets])


def _same_as_reference(baskets, reference):
    """``as_baskets(baskets)`` equals ``reference(baskets)``, or raises its error; the result."""
    try:
        expected = reference(baskets)
    except SchemaError as exc:
        with pytest.raises(SchemaError) as fast_exc:
            as_baskets(baskets)
        assert str(fast_exc.value) == str(exc)
        return None, None
    got = as_baskets(baskets)
    assert_same_baskets(got, expected)
    return got, expected


@pytest.mark.parametrize(
    "late",
    [256, -1, 2**40, 2.5, 3.0, "7", np.int64(9), np.uint8(200), None],
    ids=["256", "-1", "2**40", "2.5", "3.0", "str", "np.int64", "np.uint8", "None"],
)
def test_a_late_label_leaves_the_small_id_path(late, monkeypatch) -> None:
    # past the first 64 baskets (the look-ahead), so the full read has to notice
    baskets = [[1, 5, 9], [5, 200]] * 40 + [[9, late, 1]]
    got, expected = _same_as_reference(baskets, lambda b: _without_small_ids(b, monkeypatch))
    if got is None:
        return
    assert late in list(got.items)
    assert [type(x) for x in got.items] == [type(x) for x in expected.items]


@pytest.mark.parametrize("n_labels", [255, 256, 257, 600])
def test_string_codes_past_one_byte(n_labels: int, monkeypatch) -> None:
    # codes are bytes up to 256 labels; the 257th label, seen late, switches to int32
    rng = random.Random(n_labels)
    pool = [f"label {i:04d}" for i in range(n_labels)]
    rng.shuffle(pool)
    early, late = pool[:200], pool[200:]
    baskets = random_baskets(rng, early, 500, max_len=10)
    baskets += [[rng.choice(pool) for _ in range(rng.randint(0, 9))] for _ in range(300)]
    baskets.append(late)  # every label present
    fast = as_baskets(baskets)
    assert len(fast.items) == n_labels
    assert_same_baskets(fast, _general_path(baskets, monkeypatch))
    check_against_naive(baskets)


def _int64_reader(baskets: list, all_lists: bool) -> np.ndarray | None:
    """Every item into one int64 array (the reader before int32), ``None`` if one is not an int."""
    import array

    buf = array.array("q")
    try:
        buf.fromlist([x for b in baskets for x in b])
    except (TypeError, OverflowError):
        return None
    return np.frombuffer(buf, dtype=np.int64)


def _general_int_path(baskets: list, monkeypatch) -> object:
    """``as_baskets`` with the items read as int64 and coded by ``_factorize`` (a new array)."""
    from crmine.basket import _input

    with monkeypatch.context() as m:
        m.setattr(_input, "_small_ids", lambda baskets: None)
        m.setattr(_input, "_int_values", _int64_reader)
        m.setattr(_input, "_int_codes", lambda values: None)
        return as_baskets(baskets)


@pytest.mark.parametrize("container", [list, tuple])
@pytest.mark.parametrize(
    "ids",
    [
        "small",  # int32, coded in place block by block (more than one block of 64k)
        "spread",  # int32 but too spread out for the counting sort: pd.factorize
        "negative",  # int32 with negative ids: pd.factorize
        "past int32",  # read again into int64
    ],
)
def test_int_baskets_equal_general_path(ids: str, container, monkeypatch) -> None:
    rng = random.Random(len(ids))
    pool = {
        "small": list(range(300, 3000, 7)),
        "spread": [i * 1_000_003 for i in range(60)],
        "negative": list(range(-40, 40)),
        "past int32": [2**31 + i for i in range(30)] + list(range(30)),
    }[ids]
    baskets = random_baskets(rng, pool, 6000, max_len=80)
    baskets = [container(b) for b in baskets]
    before = copy.deepcopy(baskets)
    from crmine.basket import _input

    read = []
    original = _input._int_values

    def spy(baskets: list, all_lists: bool) -> np.ndarray | None:
        read.append(original(baskets, all_lists))
        return read[-1]

    monkeypatch.setattr(_input, "_int_values", spy)
    got = as_baskets(baskets)
    assert read[0].dtype == (np.int64 if ids == "past int32" else np.int32)
    assert baskets == before  # the buffer coded in place is crmine's own
    assert got.matrix.nnz > 70_000 or ids != "small"
    expected = _general_int_path(baskets, monkeypatch)
    assert_same_baskets(got, expected)
    assert got.items.dtype == np.int64
    assert got.matrix.indices.dtype == np.int32


@pytest.mark.parametrize(
    "late",
    [2**31, -(2**31) - 1, 2**63, "x", 2.5, None],
    ids=["2**31", "below int32", "2**63", "str", "float", "None"],
)
def test_a_late_label_leaves_the_int32_reader(late, monkeypatch) -> None:
    # ids past 255 are read as int32; a later id past its range reads them again as
    # int64, and anything else (or an id past int64) sends them to the general path
    baskets = [[1000, 5, 9], [5, 70000]] * 40 + [[9, late, 1000]]
    got, expected = _same_as_reference(baskets, lambda b: _general_int_path(b, monkeypatch))
    if got is None:
        return
    assert late in list(got.items)
