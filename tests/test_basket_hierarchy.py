"""Tests of crmine.basket hierarchy (category-level) mining and the recommender."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from crmine.basket import (
    BasketRecommender,
    aggregate_items,
    apriori,
    association_rules,
    drop_hierarchy_rules,
    hit_rate_at_k,
)
from crmine.exceptions import SchemaError

MAPPING = {
    "beer": "drinks",
    "cola": "drinks",
    "diapers": "baby",
    "wipes": "baby",
    "bread": "bakery",
}
BASKETS = [["beer", "diapers"], ["cola", "wipes", "bread"], ["beer", "cola"], ["bread"]]


def test_aggregate_known_answer():
    b = aggregate_items(BASKETS, MAPPING)
    assert list(b.items) == ["baby", "bakery", "drinks"]
    # hand-mapped: {drinks, baby}, {drinks, baby, bakery}, {drinks}, {bakery}
    assert b.matrix.toarray().astype(int).tolist() == [
        [1, 0, 1],
        [1, 1, 1],
        [0, 0, 1],
        [0, 1, 0],
    ]
    fi = apriori(b, min_count=2)
    assert dict(zip(fi["itemset"], fi["count"])) == {
        frozenset({"baby"}): 2,
        frozenset({"bakery"}): 2,
        frozenset({"drinks"}): 3,
        frozenset({"baby", "drinks"}): 2,
    }


def test_multilevel_and_trivial_rule_removal():
    b = aggregate_items(BASKETS, MAPPING, keep_items=True, prefix="cat:")
    assert "beer" in b.items and "cat:drinks" in b.items
    rules = association_rules(apriori(b, min_count=1), "confidence", 1.0)
    trivial = [
        (a, c)
        for a, c in zip(rules.antecedents, rules.consequents)
        if a == {"beer"} and c == {"cat:drinks"}
    ]
    assert trivial
    kept = drop_hierarchy_rules(rules, MAPPING, prefix="cat:")
    for a, c in zip(kept.antecedents, kept.consequents):
        whole = a | c
        assert not any(f"cat:{MAPPING[x]}" in whole for x in whole if x in MAPPING)
    assert len(kept) < len(rules)


def test_hierarchy_dataframe_level_and_errors():
    table = pd.DataFrame(
        {"level2": ["drinks", "drinks", "baby", "baby", "bakery"], "level1": ["food"] * 5},
        index=["beer", "cola", "diapers", "wipes", "bread"],
    )
    b = aggregate_items(BASKETS, table, level="level1")
    assert list(b.items) == ["food"] and b.matrix.sum() == 4
    with pytest.raises(SchemaError, match="level="):
        aggregate_items(BASKETS, table)
    with pytest.raises(SchemaError, match="no category"):
        aggregate_items(BASKETS + [["soap"]], MAPPING)
    with pytest.raises(SchemaError, match="prefix"):
        aggregate_items(BASKETS, {**MAPPING, "bread": "beer"}, keep_items=True)
    with pytest.raises(TypeError):
        aggregate_items(BASKETS, ["drinks"])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sets(st.integers(0, 11), max_size=6), min_size=1, max_size=25),
    st.integers(2, 5),
)
def test_property_aggregate_equals_mapped_baskets(baskets, n_cat):
    mapping = {i: f"c{i % n_cat}" for i in range(12)}
    via_matrix = apriori(aggregate_items([sorted(b) for b in baskets], mapping), min_count=1)
    by_hand = apriori([sorted({mapping[i] for i in b}) for b in baskets], min_count=1)
    assert dict(zip(via_matrix["itemset"], via_matrix["count"])) == dict(
        zip(by_hand["itemset"], by_hand["count"])
    )


@pytest.mark.public_data
def test_groceries_hierarchy_levels():
    folder = shared_dataset("groceries")
    with open(folder / "groceries.csv", encoding="utf-8") as fh:
        tx = [line.rstrip("\n").split(",") for line in fh]
    table = pd.read_csv(
        folder / "groceries_item_hierarchy.csv", dtype=str, keep_default_na=False
    ).set_index("item")
    level2 = aggregate_items(tx, table, level="level2")
    level1 = aggregate_items(tx, table, level="level1")
    assert level2.matrix.shape == (9835, 55)
    assert level1.matrix.shape == (9835, 10)
    # count of a category = baskets holding any of its items, counted directly
    milk_items = set(table.index[table["level2"] == "dairy produce"])
    expected = sum(bool(milk_items & set(b)) for b in tx)
    col = list(level2.items).index("dairy produce")
    assert level2.matrix[:, col].sum() == expected
    rules = association_rules(apriori(level2, min_support=0.05), "lift", 1.2)
    assert len(rules) > 0


# ---------------------------------------------------------------- recommender

TRAIN = [["beer", "diapers"]] * 6 + [["beer", "diapers", "chips"]] * 2 + [["milk", "bread"]] * 5
TRAIN += [["chips"]] * 4 + [["milk"]] * 3


def test_recommender_known_answer():
    rec = BasketRecommender(min_support=0.1, min_confidence=0.5).fit(TRAIN)
    out = rec.recommend(["diapers"], k=3)
    # diapers in 8 baskets, all with beer: confidence 8/8; chips 2/8 < 0.5 -> popular fill
    assert out["item"].tolist()[0] == "beer"
    assert out["confidence"].iloc[0] == 1.0
    assert out["antecedents"].iloc[0] == frozenset({"diapers"})
    assert out["source"].tolist() == ["rule", "popular", "popular"]
    assert "diapers" not in out["item"].tolist()
    assert rec.recommend(["milk"], k=1)["item"].tolist() == ["bread"]  # 5/8 >= 0.5
    # unknown items are ignored, not an error
    assert len(rec.recommend(["caviar"], k=2)) == 2
    none = BasketRecommender(min_support=0.1, fallback="none").fit(TRAIN)
    assert len(none.recommend(["caviar"], k=2)) == 0


def test_recommender_api_and_hit_rate():
    rec = BasketRecommender(min_support=0.1, min_confidence=0.5)
    assert clone(rec).get_params() == rec.get_params()
    rec.fit(TRAIN)
    again = pickle.loads(pickle.dumps(rec))
    pd.testing.assert_frame_equal(again.recommend(["beer"]), rec.recommend(["beer"]))
    test = [["beer", "diapers"], ["milk", "bread"], ["chips"]]
    # hiding either item of {beer, diapers} or {milk, bread}: the other one's rule finds it
    assert rec.hit_rate(test, k=1) == 1.0
    assert hit_rate_at_k(rec, [["a"]], k=1) != hit_rate_at_k(rec, [["a"]], k=1)  # NaN


def test_recommender_bad_params():
    with pytest.raises(ValueError, match="metric"):
        BasketRecommender(metric="magic").fit(TRAIN)
    with pytest.raises(ValueError, match="max_len"):
        BasketRecommender(max_len=1).fit(TRAIN)
    with pytest.raises(AttributeError):
        BasketRecommender().recommend(["beer"])


def test_recommender_finds_planted_beer_for_diaper_baskets():
    from crmine import datasets
    data = datasets.make_retail(n_customers=600, random_state=3)
    log = data.transactions
    log = log[log["quantity"] > 0]
    orders = np.sort(log["order_id"].unique())
    cut = orders[len(orders) * 2 // 3]
    train, test = log[log["order_id"] < cut], log[log["order_id"] >= cut]
    rules = BasketRecommender(min_support=0.005, min_confidence=0.1).fit(train)
    popular = BasketRecommender(min_support=0.005, min_confidence=1.0).fit(train)
    # held-out baskets holding both planted items, beer hidden: the rule recovers it
    baskets = test.groupby("order_id")["item"].agg(set)
    both = [b - {"beer"} for b in baskets if {"beer", "diapers"} <= b]
    assert len(both) > 30

    def hits(model):
        return np.mean(["beer" in model.recommend(b, k=3)["item"].tolist() for b in both])

    assert hits(rules) > 0.9
    assert hits(rules) > hits(popular) + 0.3
    assert rules.recommend(["diapers"], k=1)["item"].tolist() == ["beer"]
