"""Issue 14 / 13 findings on basket analysis: each test failed on the old code.

Hostile and foreign input (polars, pyarrow, numeric logs with other column
names, mixed 1 / "1" labels, bad parameters), undefined measures (conviction
when the consequent is in every basket), the itemset limit, the recommender's
schema and its one-liner, the one basket container.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from crmine import basket_matrix
from crmine.basket import (
    Apriori,
    BasketRecommender,
    Baskets,
    ItemsetLimitError,
    apriori,
    as_baskets,
    association_rules,
    fisher_pvalues,
    hit_rate_at_k,
    itemset_bound,
    p_adjust,
    recommend_products,
)
from crmine.datasets import make_retail
from crmine.exceptions import CrmineError, DataWarning, SchemaError
from crmine.schema import TransactionSchema
from crmine.utils import _stats

LOG = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 4],
        "order_id": [10, 10, 11, 20, 20, 30, 30, 40],
        "timestamp": pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"] * 2 + ["2024-02-01"] * 3),
        "item": ["beer", "diapers", "beer", "beer", "diapers", "milk", "bread", "beer"],
        "amount": [3.0, 9.0, 3.0, 3.0, 9.0, 1.0, 2.0, 3.0],
    }
)


def itemsets(fi: pd.DataFrame) -> dict:
    return dict(zip(fi["itemset"], fi["count"]))


# ------------------------------------------------------------------ foreign tables


def test_polars_log_read_by_name_not_position():
    pl = pytest.importorskip("polars")
    expected = itemsets(apriori(LOG, min_count=1))
    got = itemsets(apriori(pl.from_pandas(LOG), min_count=1))
    assert got == expected
    assert frozenset({"beer", "diapers"}) in got  # items, not column names or rows


def test_pyarrow_log_read_by_name():
    pa = pytest.importorskip("pyarrow")
    expected = itemsets(apriori(LOG, min_count=1))
    assert itemsets(apriori(pa.Table.from_pandas(LOG), min_count=1)) == expected


def test_polars_lazyframe_is_built_on_the_engine_with_the_same_itemsets():
    pl = pytest.importorskip("polars")
    lazy = apriori(pl.from_pandas(LOG).lazy(), min_count=1)
    eager = apriori(LOG, min_count=1)
    pd.testing.assert_frame_equal(lazy.reset_index(drop=True), eager.reset_index(drop=True))


def test_numeric_log_with_other_names_is_not_one_hot():
    log = pd.DataFrame({"InvoiceNo": [1, 1, 2], "StockCode": [10, 20, 10]})
    with pytest.raises(SchemaError, match=r"schema=TransactionSchema\(order="):
        apriori(log, min_count=1)
    # with the schema it is read as a log
    schema = TransactionSchema(order="InvoiceNo", item="StockCode")
    fi = apriori(log, min_count=1, schema=schema)
    same = apriori(log, min_count=1, schema={"order": "InvoiceNo", "item": "StockCode"})
    pd.testing.assert_frame_equal(fi, same)
    assert itemsets(fi) == {
        frozenset({10}): 2,
        frozenset({20}): 1,
        frozenset({10, 20}): 1,
    }


def test_one_hot_needs_zero_one_values():
    counts = pd.DataFrame({"beer": [2, 0], "milk": [1, 1]})  # quantities, not indicators
    with pytest.raises(SchemaError, match="0/1"):
        as_baskets(counts)
    b = as_baskets(counts > 0)
    assert b.matrix.toarray().tolist() == [[True, True], [False, True]]
    ints = as_baskets(pd.DataFrame({"beer": [1, 0], "milk": [1, 1]}))
    assert list(ints.items) == ["beer", "milk"]


def test_items_that_print_alike_are_refused():
    for data in (
        [[1, "1"], ["1"]],
        pd.DataFrame({"order_id": [1, 1, 2], "item": pd.Series([1, "1", 2], dtype=object)}),
    ):
        with pytest.raises(SchemaError, match="print alike"):
            apriori(data, min_count=1)
    # mixed types that print differently are fine
    assert len(apriori([[1, "a"], [1]], min_count=1)) == 3


# ------------------------------------------------------------------ parameters


@pytest.mark.parametrize("value", [0, 0.0, 1.5, 2, -0.1, float("nan"), "0.1", True])
def test_min_support_refused(value):
    with pytest.raises(ValueError, match="min_support"):
        apriori([["a", "b"]], min_support=value)
    with pytest.raises(ValueError, match="min_support"):
        BasketRecommender(min_support=value).fit([["a", "b"]])


def test_min_support_and_min_count_none_refused():
    with pytest.raises(ValueError, match="min_count"):
        apriori([["a"]], min_support=None)
    with pytest.raises(ValueError, match="min_count"):
        apriori([["a"]], min_count=0)


def test_max_itemsets_stops_before_the_table_is_built():
    rng = np.random.default_rng(0)
    dense = sp.csr_matrix(rng.random((200, 18)) < 0.9)  # ~2**18 frequent itemsets at 1 %
    assert itemset_bound(dense, 2) > 10_000
    with pytest.raises(ItemsetLimitError, match=r"max_itemsets=10,000.*min_support") as info:
        apriori(dense, min_count=2, max_itemsets=10_000)
    assert isinstance(info.value, ValueError) and isinstance(info.value, CrmineError)
    # the bound is an upper bound: under it no check is needed and the result is complete
    small = sp.csr_matrix(np.eye(4, dtype=bool))
    assert itemset_bound(small, 1) == 4
    assert len(apriori(small, min_count=1, max_itemsets=4)) == 4
    assert len(apriori(dense, min_count=150, max_itemsets=None)) > 0


# ------------------------------------------------------------------ measures


def test_conviction_nan_when_consequent_in_every_basket():
    baskets = [["milk", "beer"], ["milk", "beer"], ["milk"], ["milk", "diapers"]]
    rules = association_rules(apriori(baskets, min_count=1), "support", 0.0)
    to_milk = rules[rules["consequents"] == frozenset({"milk"})]
    assert len(to_milk) and (to_milk["lift"] == 1).all()
    assert to_milk["conviction"].isna().all()  # arules: NaN; old crmine: inf
    assert to_milk["certainty"].isna().all()
    # a confidence-1 rule whose consequent is not everywhere keeps conviction inf
    beer_rule = rules[
        (rules["antecedents"] == frozenset({"diapers"}))
        & (rules["consequents"] == frozenset({"milk"}))
    ]
    assert beer_rule["conviction"].isna().all()
    ranked = rules.sort_values("conviction", ascending=False)
    assert not ranked["consequents"].iloc[0] == frozenset({"milk"})
    # NaN never passes a threshold
    strict = association_rules(apriori(baskets, min_count=1), "conviction", 0.0)
    assert not (strict["consequents"] == frozenset({"milk"})).any()


def test_conviction_inf_for_rules_that_never_fail():
    baskets = [["a", "b"], ["a", "b"], ["c"], ["b"]]
    rules = association_rules(apriori(baskets, min_count=1), "confidence", 1.0)
    row = rules[rules["antecedents"] == frozenset({"a"})].iloc[0]
    assert row["confidence"] == 1.0 and row["conviction"] == np.inf


def test_chi_squared_matches_scipy_and_threshold():
    from scipy.stats import chi2_contingency

    baskets = [["a", "b"]] * 6 + [["a"]] * 2 + [["b"]] * 3 + [["c"]] * 4
    rules = association_rules(apriori(baskets, min_count=1), "support", 0.0)
    row = rules[
        (rules["antecedents"] == frozenset({"a"})) & (rules["consequents"] == frozenset({"b"}))
    ].iloc[0]
    table = np.array([[6, 2], [3, 4]])
    expected = chi2_contingency(table, correction=False)[0]
    assert row["chi_squared"] == pytest.approx(expected, rel=1e-12)
    above = association_rules(apriori(baskets, min_count=1), "chi_squared", expected * 0.999)
    assert frozenset({"b"}) in set(above["consequents"])


def test_improvement_by_definition():
    baskets = [["a", "b", "c"]] * 3 + [["a", "c"]] * 3 + [["b", "c"]] + [["b"]] * 3 + [["d"]]
    n = len(baskets)
    fi = apriori(baskets, min_count=1)
    rules = association_rules(fi, "support", 0.0, consequents="single", improvement=True)
    imp = {(a, c): v for a, c, v in zip(rules.antecedents, rules.consequents, rules.improvement)}
    conf = {
        (frozenset(), "c"): 7 / n,
        (frozenset({"a"}), "c"): 6 / 6,
        (frozenset({"b"}), "c"): 4 / 7,
        (frozenset({"a", "b"}), "c"): 3 / 3,
    }
    got = imp[(frozenset({"a", "b"}), frozenset({"c"}))]
    assert got == pytest.approx(1.0 - max(conf[(frozenset({"a"}), "c")], 4 / 7, 7 / n))
    got = imp[(frozenset({"b"}), frozenset({"c"}))]
    assert got == pytest.approx(4 / 7 - 7 / n)


def test_empty_antecedent_rules_with_min_len_1():
    baskets = [["a", "b"], ["a"], ["b"], ["a"]]
    fi = apriori(baskets, min_count=1)
    default = association_rules(fi, "support", 0.0)
    assert all(len(a) > 0 for a in default["antecedents"])
    rules = association_rules(fi, "support", 0.0, consequents="single", min_len=1)
    empty = rules[rules["antecedents"].map(len) == 0]
    assert dict(zip(empty["consequents"], empty["confidence"])) == {
        frozenset({"a"}): 0.75,
        frozenset({"b"}): 0.5,
    }
    assert (empty["lift"] == 1).all() and (empty["antecedent_count"] == 4).all()
    with pytest.raises(ValueError, match="min_len"):
        association_rules(fi, min_len=0)


def test_fisher_vectorised_matches_scipy():
    from scipy.stats import hypergeom

    rng = np.random.default_rng(1)
    n = 5000
    a = rng.integers(1, n, 3000)
    c = rng.integers(1, n, 3000)
    lo, hi = np.maximum(0, a + c - n), np.minimum(a, c)
    ac = rng.integers(lo, hi + 1)
    ours = fisher_pvalues(n, a, c, ac)
    ref = np.clip(hypergeom.sf(ac - 1, n, a, c), 0, 1)
    keep = ref > 1e-250
    np.testing.assert_allclose(ours[keep], ref[keep], rtol=1e-8, atol=0)
    assert fisher_pvalues(10, [5], [5], [0])[0] == 1.0
    # rules share tables (A -> C and C -> A, repeated counts): each distinct table is
    # tested once, and every rule gets its own table's p-value back, in its place
    sa, sc = np.concatenate([a, c, a[:500]]), np.concatenate([c, a, c[:500]])
    sx = np.concatenate([ac, ac, ac[:500]])
    perm = rng.permutation(len(sa))
    shared = np.empty(len(perm))
    shared[perm] = fisher_pvalues(n, sa[perm], sc[perm], sx[perm])
    np.testing.assert_array_equal(shared[:3000], shared[3000:6000])  # A -> C, C -> A
    np.testing.assert_array_equal(shared[:500], shared[6000:])
    np.testing.assert_allclose(shared[:3000], ours, rtol=1e-9, atol=0)


def test_fisher_shares_tables_only_when_counts_are_exact():
    # counts that are not integers in [0, n] are computed row by row, never merged
    n = 1000
    a = np.r_[np.full(50, 100.0), np.full(50, 100.4)]
    c, ac = np.full(100, 200.0), np.full(100, 30.0)
    got = fisher_pvalues(n, a, c, ac)
    np.testing.assert_array_equal(got[:50], fisher_pvalues(n, a[:1], c[:1], ac[:1])[0])
    np.testing.assert_array_equal(got[50:], fisher_pvalues(n, a[50:51], c[:1], ac[:1])[0])
    assert got[0] != got[50]


def test_fisher_long_tails_match_scipy():
    # large counts near the mode: tails of hundreds of terms (several blocks of 64)
    from scipy.stats import hypergeom

    rng = np.random.default_rng(7)
    n = 400_000
    a = rng.integers(20_000, 200_000, 400).astype(np.float64)
    c = rng.integers(20_000, 200_000, 400).astype(np.float64)
    mean = a * c / n
    sd = np.sqrt(a * c * (n - a) * (n - c) / (n * n * (n - 1.0)))
    ac = np.round(mean + rng.uniform(-4, 4, 400) * sd).astype(np.int64)
    ours = fisher_pvalues(n, a, c, ac)
    ref = hypergeom.sf(ac - 1, n, a, c)
    # the log-pmf is a sum of log-gammas near 5e6 that cancel: about 2e-9 relative here
    # (1e-11 at n = 5000), as fisher_pvalues documents
    np.testing.assert_allclose(ours, ref, rtol=5e-9, atol=0)
    assert (sd > 40).all() and (ref > 1e-5).all() and (ref < 1 - 1e-5).all()


def test_one_p_adjust():
    assert p_adjust is _stats.p_adjust
    rules = association_rules(
        apriori([["a", "b"]] * 4 + [["a"], ["c"]], min_count=1),
        "support",
        0.0,
        fisher=True,
        correction="holm",
    )
    np.testing.assert_allclose(rules["fisher_p_adjusted"], _stats.p_adjust(rules["fisher_p"]))


# ------------------------------------------------------------------ one container


def test_one_basket_container():
    from crmine.features import BasketMatrix

    assert BasketMatrix is Baskets
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = basket_matrix(LOG)
    b = as_baskets(LOG)
    assert (a.matrix != b.matrix).nnz == 0 and a.items.equals(b.items)
    assert a.orders.equals(b.orders)


def test_returns_left_out_and_counted_the_same_way():
    log = LOG.assign(amount=[3.0, 9.0, 3.0, -3.0, 9.0, 1.0, 2.0, 3.0])
    with pytest.warns(DataWarning, match="1 return line"):
        a = basket_matrix(log)
    with pytest.warns(DataWarning, match="1 return line"):
        b = as_baskets(log)
    assert (a.matrix != b.matrix).nnz == 0
    assert b.matrix.sum() == 7  # 8 lines, one return left out


def test_cutoff_keeps_earlier_lines_only():
    b = as_baskets(LOG, cutoff="2024-01-02")
    assert list(b.orders) == [10, 11]
    with pytest.raises(SchemaError, match="NaT"):
        as_baskets(LOG, cutoff=pd.NaT)
    with pytest.raises(SchemaError, match="time zone"):
        as_baskets(LOG, cutoff=pd.Timestamp("2024-01-02", tz="UTC"))


def test_old_column_keywords():
    with pytest.raises(TypeError, match="item_col"):
        as_baskets(LOG.rename(columns={"item": "sku"}), item_col="sku")
    with pytest.raises(TypeError, match="item"):
        basket_matrix(LOG, item="item")


def test_category_baskets_through_the_schema():
    log = LOG.assign(category=["drinks", "baby", "drinks", "drinks", "baby", "dairy", "bakery",
                               "drinks"])
    b = basket_matrix(log, schema=TransactionSchema(item="category"))
    assert list(b.items) == ["baby", "bakery", "dairy", "drinks"]


# ------------------------------------------------------------------ recommender


def test_hit_rate_reads_logs_with_the_recommender_schema():
    data = make_retail(n_customers=300, random_state=2).transactions
    data = data[data["quantity"] > 0].rename(columns={"item": "description"})
    orders = data["order_id"].drop_duplicates()
    train = data[data["order_id"].isin(orders.iloc[: len(orders) // 2])]
    test = data[~data["order_id"].isin(train["order_id"])]
    schema = TransactionSchema(item="description")
    rec = BasketRecommender(min_support=0.01, schema=schema).fit(train)
    rate = rec.hit_rate(test, k=5, random_state=0)
    assert 0.05 < rate <= 1.0  # the old code read the test log with the default item column
    assert rate == rec.hit_rate(test, k=5, random_state=0)


def test_recommender_vectorised_equals_one_by_one():
    data = make_retail(n_customers=300, random_state=4).transactions
    data = data[data["quantity"] > 0]
    rec = BasketRecommender(min_support=0.01).fit(data)
    baskets = [["beer"], ["diapers", "bread"], ["unknown item"], [], ["milk", "beer"]]
    many = rec.recommend_many(baskets, k=4)
    for i, basket in enumerate(baskets):
        one = rec.recommend(basket, k=4)
        got = many.loc[[i]] if i in many.index else many.iloc[:0]
        assert got["item"].tolist() == one["item"].tolist()
        assert got["source"].tolist() == one["source"].tolist()
        assert not set(one["item"]) & set(basket)


def test_hit_rate_planted_pair():
    train = [["beer", "diapers"]] * 20 + [["milk", "bread"]] * 20 + [["eggs"]] * 5
    rec = BasketRecommender(min_support=0.1, fallback="none").fit(train)
    assert hit_rate_at_k(rec, [["beer", "diapers"]] * 5, k=1, random_state=0) == 1.0
    assert np.isnan(hit_rate_at_k(rec, [["beer"]], k=1))
    with pytest.raises(ValueError, match="k must be"):
        rec.recommend(["beer"], k=0)


def test_recommend_products_indexed_by_customer():
    recs = recommend_products(LOG, k=2, min_support=0.3)
    assert recs.index.name == "customer_id"
    assert set(recs.index) <= {1, 2, 3, 4}
    four = recs.loc[[4]]
    assert four["item"].iloc[0] == "diapers" and four["source"].iloc[0] == "rule"
    assert four["rank"].tolist() == [1, 2]
    for cust, group in recs.groupby(level=0):
        bought = set(LOG.loc[LOG["customer_id"] == cust, "item"])
        assert not set(group["item"]) & bought


def test_recommend_products_polars_and_missing_customer():
    pl = pytest.importorskip("polars")
    a = recommend_products(pl.from_pandas(LOG), k=2, min_support=0.3)
    b = recommend_products(LOG, k=2, min_support=0.3)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(SchemaError, match="customer"):
        recommend_products(LOG.drop(columns="customer_id"), k=2)


def test_estimators_clone_pickle_and_do_not_mutate():
    log = LOG.copy()
    for est in (Apriori(min_count=1), BasketRecommender(min_count=1)):
        fitted = est.fit(log)
        again = pickle.loads(pickle.dumps(fitted))
        assert clone(est).get_params() == est.get_params()
        if isinstance(est, Apriori):
            pd.testing.assert_frame_equal(again.frequent_itemsets_, fitted.frequent_itemsets_)
    pd.testing.assert_frame_equal(log, LOG)


@pytest.mark.parametrize(
    "data",
    [
        pd.DataFrame({"order_id": [], "item": []}),
        pd.DataFrame(),
        pd.DataFrame({"order_id": [1, np.nan], "item": ["a", "b"]}),
        pd.DataFrame({"order_id": [1, 2], "item": ["a", None]}),
        pd.DataFrame({"order_id": [1, 1], "item": ["a", "b"], "amount": ["3,5", "x"]}),
    ],
)
def test_bad_logs_end_in_crmine_errors(data):
    with pytest.raises(CrmineError):
        apriori(data, min_count=1)


def test_categorical_and_string_ids():
    log = LOG.assign(
        order_id=LOG["order_id"].astype(str).astype("category"),
        item=LOG["item"].astype("string"),
    )
    assert itemsets(apriori(log, min_count=1)) == itemsets(apriori(LOG, min_count=1))


def test_unhashable_items_and_wrong_tables_are_clear():
    with pytest.raises(SchemaError, match="hashable"):
        apriori([[["a"]]], min_count=1)
    from crmine.basket import closed_itemsets, drop_hierarchy_rules, maximal_itemsets

    for fn in (closed_itemsets, maximal_itemsets, association_rules):
        with pytest.raises(TypeError, match="apriori"):
            fn([["a"]])
    with pytest.raises(SchemaError, match="antecedents"):
        drop_hierarchy_rules(LOG, {"beer": "drinks"})
