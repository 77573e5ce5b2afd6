"""``ItemsetArray``: the compact itemset column of apriori and association_rules.

Two kinds of checks:

* pandas' own extension-array test suite (``pandas.tests.extension.base``),
  the contract every third-party column type is held to, on both pandas 2
  and 3.  The tests it cannot pass are listed in ``PANDAS_LIMITS`` with the
  reason: pandas reads a set-like scalar as a list of values (so
  ``fillna(frozenset(...))`` or ``pd.Series(frozenset(...), index=...)``
  raise for an object column of frozensets just the same), its testing
  helpers index set elements as sequences, and the column is immutable;
* the semantics a user relies on, against plain Python frozensets: every
  element read back, vectorised equality, take/concat across different item
  vocabularies, missing values, refusal of strings and of writes,
  pickling, Parquet.
"""

from __future__ import annotations

import operator
import pickle
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine.basket import apriori, association_rules
from crmine.basket._itemset_array import ItemsetArray, ItemsetDtype

base = pytest.importorskip("pandas.tests.extension.base")
from pandas.tests.extension.conftest import *  # noqa: E402,F403  (pandas' fixtures)

PANDAS_LIMITS = {
    # a frozenset scalar is list-like to pandas: same errors as an object column
    "test_series_constructor_scalar_with_index": "pandas reads a set scalar as values",
    "test_from_dtype": "pd.DataFrame(list of sets) spreads each set over columns",
    "test_fillna_series": "Series.fillna refuses a set value",
    "test_fillna_frame": "DataFrame.fillna refuses a set value",
    "test_fillna_copy_series": "Series.fillna refuses a set value",
    "test_fillna_copy_frame": "DataFrame.fillna refuses a set value",
    "test_fillna_limit_series": "Series.fillna refuses a set value",
    "test_fillna_limit_frame": "DataFrame.fillna refuses a set value",
    "test_fillna_raises_with_dict": "message differs; a dict is refused all the same",
    # pandas' assert_almost_equal indexes set elements as sequences
    "test_value_counts": "pandas' testing helper subscripts frozensets",
    "test_value_counts_with_normalize": "pandas' testing helper subscripts frozensets",
    "test_groupby_extension_agg": "pandas' testing helper subscripts frozensets",
    "test_groupby_extension_no_sort": "pandas' testing helper subscripts frozensets",
    "test_groupby_apply_identity": "pandas' testing helper subscripts frozensets",
    # immutable column (dtype._is_immutable): no views to write through
    "test_shift_0_periods": "writes into the array",
    "test_sort_inplace": "pandas 3 in-place sort writes into the array",
    "test_sort_inplace_descending": "pandas 3 in-place sort writes into the array",
    "test_sort_inplace_na_position": "pandas 3 in-place sort writes into the array",
    "test_fillna_readonly": "pandas 3 read-only flag: the array is always read-only",
    "test_getitem_propagates_readonly_property": "pandas 3 read-only flag",
    # np.array(arr, copy=False) raises, as NumPy 2 asks when a copy cannot be avoided
    "test_array_interface_copy": "frozensets are built anew on every read",
}


@pytest.fixture(autouse=True)
def _pandas_limits(request: pytest.FixtureRequest) -> None:
    name = request.node.originalname or request.node.name
    if request.cls is not None and name in PANDAS_LIMITS:
        pytest.skip(PANDAS_LIMITS[name])


def _sets(n: int) -> list[frozenset]:
    rng = random.Random(0)
    return [
        frozenset(rng.sample("abcdefghij", 1 + i % 4)) | {f"x{i}"}  # all distinct
        for i in range(n)
    ]


@pytest.fixture
def dtype() -> ItemsetDtype:
    return ItemsetDtype()


@pytest.fixture
def data() -> ItemsetArray:
    # pandas 2's suite wants 100 elements, pandas 3's wants 10
    return ItemsetArray.from_sets(_sets(100 if pd.__version__ < "3" else 10))


@pytest.fixture
def data_missing() -> ItemsetArray:
    return ItemsetArray.from_sets([None, {"a", "b"}])


@pytest.fixture
def na_cmp():
    return lambda a, b: pd.isna(a) is True and pd.isna(b) is True


@pytest.fixture
def na_value() -> float:
    return np.nan


@pytest.fixture
def data_for_grouping() -> ItemsetArray:
    a, b, c = frozenset({"a"}), frozenset({"b", "c"}), frozenset({"c"})
    return ItemsetArray.from_sets([b, b, None, None, a, a, b, c])


@pytest.fixture
def data_for_sorting() -> ItemsetArray:
    # the order: by length, then by the sorted labels
    return ItemsetArray.from_sets([{"b"}, {"a", "b"}, {"a"}])


@pytest.fixture
def data_missing_for_sorting() -> ItemsetArray:
    return ItemsetArray.from_sets([{"b"}, None, {"a"}])


@pytest.fixture(params=[None, lambda x: x], ids=["no key", "identity key"])
def sort_by_key(request):
    return request.param


@pytest.fixture(params=["data", "data_missing"])
def all_data(request, data, data_missing):
    return data if request.param == "data" else data_missing


@pytest.fixture
def data_repeated(data):
    def gen(count):
        for _ in range(count):
            yield data

    return gen


class TestPandasConstructors(base.BaseConstructorsTests):
    pass


class TestPandasDtype(base.BaseDtypeTests):
    pass


class TestPandasGetitem(base.BaseGetitemTests):
    pass


class TestPandasInterface(base.BaseInterfaceTests):
    pass


class TestPandasMissing(base.BaseMissingTests):
    pass


class TestPandasReshaping(base.BaseReshapingTests):
    pass


class TestPandasCasting(base.BaseCastingTests):
    pass


class TestPandasPrinting(base.BasePrintingTests):
    pass


class TestPandasGroupby(base.BaseGroupbyTests):
    pass


class TestPandasMethods(base.BaseMethodsTests):
    pass


# ---------------------------------------------------------------- semantics


item = st.sampled_from([*"abcdef", 1, 2, 2.5, ("t", 1)])
itemset = st.one_of(st.none(), st.frozensets(item, max_size=5))


@settings(max_examples=60, deadline=None)
@given(st.lists(itemset, max_size=25), st.lists(itemset, max_size=10), st.frozensets(item))
def test_reads_back_compares_and_combines_as_frozensets(left, right, probe) -> None:
    want = [np.nan if s is None else s for s in left]
    arr = ItemsetArray.from_sets(left)
    assert len(arr) == len(left)
    got = arr.tolist()
    assert [type(s) for s in got] == [type(s) for s in want]
    assert [s for s in got if s == s] == [s for s in want if s == s]  # NaN != NaN
    np.testing.assert_array_equal(arr.isna(), [s is None for s in left])
    # the vectorised comparison with one set, and the generic one, against Python's
    for op in (operator.eq, operator.ne, operator.le, operator.gt):
        expect = [(op is operator.ne) if s is None else op(s, probe) for s in left]
        np.testing.assert_array_equal(op(arr, probe), expect)
        np.testing.assert_array_equal(op(arr, set(probe)), expect)
    # concatenation of arrays with different vocabularies
    both = ItemsetArray._concat_same_type([arr, ItemsetArray.from_sets(right)])
    expect_both = [None if s is None else s for s in left + right]
    assert [None if s != s else s for s in both.tolist()] == expect_both
    # take, with and without fill
    if left:
        idx = [len(left) - 1, 0, -1]
        assert [None if s != s else s for s in arr.take(idx).tolist()] == [
            left[-1],
            left[0],
            left[-1],
        ]
        filled = arr.take([0, -1], allow_fill=True).tolist()
        assert filled[1] != filled[1]  # NaN


def test_code_blocks_in_any_order_compare_right() -> None:
    items = np.array(["a", "b", "c", "d"], dtype=object)
    arr = ItemsetArray._from_blocks([np.array([[2, 0], [1, 3]]), np.array([[3, 1, 0]])], items)
    assert arr.tolist() == [{"a", "c"}, {"b", "d"}, {"a", "b", "d"}]
    assert (arr == frozenset({"c", "a"})).tolist() == [True, False, False]
    assert (arr == {"d", "a", "b"}).tolist() == [False, False, True]


def test_comparison_with_a_list_is_elementwise_as_for_frozensets() -> None:
    arr = ItemsetArray.from_sets([{"a"}, {"b"}])
    objects = pd.Series([frozenset({"a"}), frozenset({"b"})], dtype=object)
    # a string is not the set of its characters
    assert (arr == ["a", "b"]).tolist() == (objects == ["a", "b"]).tolist() == [False, False]
    assert (arr == [{"a"}, {"c"}]).tolist() == [True, False]


def test_duplicates_collapse_and_labels_keep_their_type() -> None:
    arr = ItemsetArray.from_sets([[1, 1, "1"], (True, 2.0)])
    assert arr[0] == frozenset({1, "1"}) and len(arr[0]) == 2
    # True == 1 and 2.0 == 2 are one item each, as in a Python set
    assert arr[1] == frozenset({1, 2})
    assert arr.lengths().tolist() == [2, 2]


@pytest.mark.parametrize("bad", ["beer", b"beer", 3])
def test_a_string_or_a_number_is_not_an_itemset(bad) -> None:
    with pytest.raises(TypeError, match=r"a collection of items.*position 1.*Fix"):
        ItemsetArray.from_sets([{"a"}, bad])


def test_the_column_is_read_only_with_a_fix() -> None:
    fi = apriori([["a", "b"], ["a"]], min_count=1)
    with pytest.raises(TypeError, match=r"astype\(object\)"):
        fi["itemset"].array[0] = frozenset({"z"})
    # the fix in the message works, and gives the mlxtend-style object column
    fi["itemset"] = fi["itemset"].astype(object)
    fi.loc[0, "itemset"] = frozenset({"z"})
    assert fi["itemset"].dtype == object and fi["itemset"][0] == frozenset({"z"})


def test_apriori_and_rules_columns_behave_like_frozenset_columns() -> None:
    baskets = [["beer", "diapers", "chips"], ["beer", "diapers"], ["milk", "diapers"], ["beer"]]
    fi = apriori(baskets, min_count=1)
    # filtering, membership tests and lengths as one writes them for mlxtend
    with_beer = fi[fi["itemset"].apply(lambda s: "beer" in s)]
    assert set(with_beer["itemset"]) == {
        frozenset({"beer"}),
        frozenset({"beer", "diapers"}),
        frozenset({"beer", "chips"}),
        frozenset({"beer", "diapers", "chips"}),
    }
    row = fi[fi["itemset"] == frozenset({"beer", "diapers"})]
    assert row["count"].tolist() == [2]
    assert fi["itemset"].map(len).tolist() == fi["length"].tolist()
    # map gives what the function returns: lists stay lists (pandas 3 offers the
    # result back to the column type), sets are itemsets again
    as_lists = fi["itemset"].map(sorted)
    assert as_lists.dtype == object and as_lists.tolist() == [sorted(s) for s in fi["itemset"]]
    grown = fi["itemset"].map(lambda s: s | {"z"}).tolist()
    assert grown == [s | {"z"} for s in fi["itemset"]]
    assert fi["itemset"].isin([frozenset({"milk"})]).sum() == 1
    rules = association_rules(fi, "confidence", 0.6)
    pair = rules[
        (rules["antecedents"] == frozenset({"beer"}))
        & (rules["consequents"] == frozenset({"diapers"}))
    ]
    assert pair["confidence"].tolist() == [2 / 3]
    # sorting: by length, then by the labels
    order = fi.sort_values("itemset")["itemset"].tolist()
    assert order[:4] == [frozenset({x}) for x in ("beer", "chips", "diapers", "milk")]
    # explode: one row per item, as for the object column (an empty itemset: one NaN)
    exploded = fi.explode("itemset")
    assert len(exploded) == fi["length"].sum()
    pd.testing.assert_frame_equal(
        exploded.groupby(level=0)["itemset"].agg(frozenset).to_frame(),
        fi[["itemset"]].astype(object),
    )
    empty = pd.Series(ItemsetArray.from_sets([(), {"a"}, None])).explode()
    assert empty.index.tolist() == [0, 1, 2] and empty.isna().tolist() == [True, False, True]
    # the display lists the labels sorted
    assert "(beer, diapers)" in fi.to_string()


@pytest.mark.parametrize("labels", [list("abcdefgh"), [10, 3, 7, 1, 2, 40, 5, 6]])
def test_rules_read_the_codes_as_they_would_read_frozensets(labels) -> None:
    # association_rules reads an itemset column's codes directly (no frozensets); the
    # same table as an object column of frozensets goes the general way
    rng = random.Random(3)
    baskets = [rng.sample(labels, rng.randint(1, 6)) for _ in range(60)]
    fi = apriori(baskets, min_count=4)
    objects = fi.assign(itemset=fi["itemset"].astype(object))
    # codes as the miner writes them, and codes of a vocabulary in another order
    scrambled = ItemsetArray.from_sets(fi["itemset"].tolist()[::-1])[::-1]
    assert list(scrambled._items) != sorted(scrambled._items)
    want = association_rules(objects, "confidence", 0.3, fisher=True)
    want[["antecedents", "consequents"]] = want[["antecedents", "consequents"]].astype(object)
    assert len(want) > 20 and (want["antecedents"].map(len) >= 2).any()
    for table in (fi, fi.assign(itemset=scrambled)):
        got = association_rules(table, "confidence", 0.3, fisher=True)
        got[["antecedents", "consequents"]] = got[["antecedents", "consequents"]].astype(object)
        pd.testing.assert_frame_equal(got, want)


def test_pickle_and_parquet_round_trips(tmp_path) -> None:
    fi = apriori([["a", "b"], ["a", "b", "c"], ["a"]], min_count=1)
    back = pickle.loads(pickle.dumps(fi))
    pd.testing.assert_frame_equal(back, fi)
    assert str(back["itemset"].dtype) == "itemset"
    pytest.importorskip("pyarrow")
    fi.to_parquet(tmp_path / "fi.parquet")
    read = pd.read_parquet(tmp_path / "fi.parquet")
    # Parquet stores each itemset as its sorted list of labels
    assert [sorted(x) for x in read["itemset"]] == [sorted(s) for s in fi["itemset"]]
