"""Tests of crmine.basket association rules, measures, significance and filters."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from crmine.basket import (
    RULE_METRICS,
    apriori,
    association_rules,
    closed_itemsets,
    fisher_pvalues,
    maximal_itemsets,
    p_adjust,
)
from crmine.exceptions import SchemaError

BASKETS = [
    ["bread", "milk"],
    ["bread", "diapers", "beer", "eggs"],
    ["milk", "diapers", "beer", "cola"],
    ["bread", "milk", "diapers", "beer"],
    ["bread", "milk", "diapers", "cola"],
]


def key(rules: pd.DataFrame) -> set:
    return {(frozenset(a), frozenset(c)) for a, c in zip(rules.antecedents, rules.consequents)}


def fs(*items):
    return frozenset(items)


# ---------------------------------------------------------------- known answers


def test_known_answer_rules():
    fi = apriori(BASKETS, min_count=3)
    rules = association_rules(fi, "confidence", 0.75)
    # hand-computed: pairs with count 3; items bread 4, milk 4, diapers 4, beer 3
    assert key(rules) == {
        (fs("bread"), fs("milk")),
        (fs("milk"), fs("bread")),
        (fs("bread"), fs("diapers")),
        (fs("diapers"), fs("bread")),
        (fs("milk"), fs("diapers")),
        (fs("diapers"), fs("milk")),
        (fs("diapers"), fs("beer")),
        (fs("beer"), fs("diapers")),
    }
    r = rules.set_index(
        rules.antecedents.map(sorted).str[0] + ">" + rules.consequents.map(sorted).str[0]
    )
    row = r.loc["beer>diapers"]
    assert (row["antecedent_count"], row["consequent_count"], row["count"]) == (3, 4, 3)
    assert row["confidence"] == 1.0
    assert row["lift"] == pytest.approx(1.25)  # 3*5/(3*4)
    assert row["leverage"] == pytest.approx(3 / 5 - 3 / 5 * 4 / 5)
    assert row["conviction"] == np.inf
    assert row["jaccard"] == pytest.approx(3 / 4)
    assert row["kulczynski"] == pytest.approx((1 + 3 / 4) / 2)
    assert row["all_confidence"] == pytest.approx(3 / 4)
    assert row["cosine"] == pytest.approx(3 / np.sqrt(12))
    assert row["imbalance_ratio"] == pytest.approx(1 / 4)
    assert row["certainty"] == pytest.approx((1 - 4 / 5) / (1 - 4 / 5))
    # Zhang: leverage / max(s(AC)(1-s(A)), s(A)(s(C)-s(AC)))
    assert row["zhangs_metric"] == pytest.approx((3 / 5 - 12 / 25) / max(0.6 * 0.4, 0.6 * 0.2))
    assert rules.attrs["n_baskets"] == 5


def test_exact_confidence_boundary():
    # 265 baskets with A, 53 of which hold C: confidence 53/265 = 0.2 exactly
    # (padded to Groceries' 9,835 baskets, where mlxtend drops such a rule)
    baskets = [["A", "C"]] * 53 + [["A"]] * 212 + [["C"]] * 100 + [["x"]] * 9470
    fi = apriori(baskets, min_count=1)
    rules = association_rules(fi, "confidence", 0.2)
    assert (fs("A"), fs("C")) in key(rules)
    # floating point division of supports loses it
    assert 53 / 9835 / (265 / 9835) < 0.2
    # and a rule just below the boundary is dropped
    assert (fs("A"), fs("C")) not in key(association_rules(fi, "confidence", 0.2000001))


@pytest.mark.parametrize("metric", RULE_METRICS)
def test_every_metric_threshold_is_consistent_with_its_value(metric):
    fi = apriori(BASKETS, min_count=1)
    all_rules = association_rules(fi, "support", 0.0)
    values = all_rules[metric].to_numpy()
    t = float(np.nanmedian(values[np.isfinite(values)]))
    kept = association_rules(fi, metric, t)
    assert key(kept) == key(all_rules[values >= t - 1e-12])


def test_consequent_shapes_and_counts():
    fi = apriori(BASKETS, min_count=1)
    any_rules = association_rules(fi, "confidence", 0.0)
    single = association_rules(fi, "confidence", 0.0, consequents="single")
    # each itemset of size k gives 2**k - 2 rules (any) or k rules (single)
    lengths = fi["length"].to_numpy()
    assert len(any_rules) == int(sum(2**k - 2 for k in lengths if k >= 2))
    assert len(single) == int(sum(k for k in lengths if k >= 2))
    assert (single.consequents.map(len) == 1).all()
    assert key(single) <= key(any_rules)


def test_constraints():
    fi = apriori(BASKETS, min_count=2)
    rules = association_rules(fi, "confidence", 0.0, must_contain=["beer"])
    assert len(rules) and all("beer" in a | c for a, c in zip(rules.antecedents, rules.consequents))
    rules = association_rules(fi, "confidence", 0.0, must_not_contain=["beer", "milk"])
    assert len(rules) and all(
        not ({"beer", "milk"} & (a | c)) for a, c in zip(rules.antecedents, rules.consequents)
    )
    rules = association_rules(fi, "confidence", 0.0, consequent_items=["beer"])
    assert len(rules) and all(c == fs("beer") for c in rules.consequents)
    assert len(association_rules(fi, "confidence", 0.0, must_contain=["unknown"])) == 0


def test_redundancy_pruning():
    # hand check: {a, b}->c has confidence 2/3, no better than {b}->c (2/3): redundant;
    # {a, b}->d has 2/3 <= {a}->d (3/4): redundant
    baskets = [["a", "b", "c"], ["a", "b", "d"], ["a", "b", "c", "d"], ["a", "d"], ["c"]]
    fi = apriori(baskets, min_count=1)
    full = association_rules(fi, "confidence", 0.0, consequents="single")
    pruned = association_rules(fi, "confidence", 0.0, consequents="single", prune_redundant=True)
    conf = {
        (frozenset(a), frozenset(c)): Fraction(int(n), int(d))
        for a, c, n, d in zip(
            full.antecedents, full.consequents, full["count"], full["antecedent_count"]
        )
    }
    expected = set()
    for (a, c), v in conf.items():
        subs = [
            conf[(frozenset(s), c)] for r in range(1, len(a)) for s in combinations(sorted(a), r)
        ]
        if not subs or v > max(subs):
            expected.add((a, c))
    assert key(pruned) == expected
    assert (fs("a", "b"), fs("c")) not in expected
    assert (fs("a", "b"), fs("d")) not in key(pruned)  # 2/3 <= {a}->d 3/4


def test_fisher_pvalues_match_scipy_and_corrections():
    fi = apriori(BASKETS, min_count=2)
    rules = association_rules(fi, "confidence", 0.0, fisher=True, correction="holm")
    n = 5
    for r in rules.itertuples():
        a, c, ac = r.antecedent_count, r.consequent_count, r.count
        table = [[ac, a - ac], [c - ac, n - a - c + ac]]
        assert r.fisher_p == pytest.approx(fisher_exact(table, alternative="greater")[1])
    np.testing.assert_allclose(rules.fisher_p_adjusted, p_adjust(rules.fisher_p, "holm"))
    strict = association_rules(fi, "confidence", 0.0, fisher=True, alpha=0.5)
    assert (strict.fisher_p_adjusted <= 0.5).all()
    assert fisher_pvalues(10, [5], [5], [5])[0] == pytest.approx(1 / 252)


def test_p_adjust_known_values():
    # R: p.adjust(c(.01,.02,.03,.04,.05), "holm") / "BH" / "bonferroni"
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    np.testing.assert_allclose(p_adjust(p, "holm"), [0.05, 0.08, 0.09, 0.09, 0.09])
    np.testing.assert_allclose(p_adjust(p, "fdr_bh"), [0.05] * 5)
    np.testing.assert_allclose(p_adjust(p, "bonferroni"), [0.05, 0.1, 0.15, 0.2, 0.25])
    np.testing.assert_allclose(p_adjust(p[::-1], "holm"), [0.09, 0.09, 0.09, 0.08, 0.05])
    with pytest.raises(ValueError, match="unknown"):
        p_adjust(p, "sidak")


def test_mlxtend_itemset_table_is_accepted():
    mlx = pytest.importorskip("mlxtend.frequent_patterns")
    from mlxtend.preprocessing import TransactionEncoder

    te = TransactionEncoder()
    df = pd.DataFrame(te.fit(BASKETS).transform(BASKETS), columns=te.columns_)
    theirs = mlx.apriori(df, min_support=0.4, use_colnames=True)
    ours = association_rules(theirs, "lift", 1.0, n_baskets=5)
    assert key(ours) == key(association_rules(apriori(BASKETS, min_support=0.4), "lift", 1.0))


# ---------------------------------------------------------------- bad input


def test_bad_input():
    fi = apriori(BASKETS, min_count=2)
    with pytest.raises(ValueError, match="unknown metric"):
        association_rules(fi, "interest", 1.0)
    with pytest.raises(ValueError, match="consequents"):
        association_rules(fi, consequents="many")
    with pytest.raises(ValueError, match="fisher=True"):
        association_rules(fi, alpha=0.05)
    with pytest.raises(ValueError, match="finite"):
        association_rules(fi, "lift", float("nan"))
    with pytest.raises(SchemaError, match="missing from the itemsets"):
        association_rules(fi[fi["length"] > 1])
    no_n = fi.copy()
    no_n.attrs = {}
    with pytest.raises(SchemaError, match="n_baskets"):
        association_rules(no_n)
    with pytest.raises(SchemaError, match="itemset"):
        association_rules(pd.DataFrame({"x": [1]}), n_baskets=3)
    with pytest.raises(TypeError):
        association_rules([frozenset("a")])
    empty = association_rules(apriori([["a"], ["b"]], min_count=1))
    assert len(empty) == 0 and "lift" in empty.columns


# ---------------------------------------------------------------- properties

baskets_st = st.lists(st.sets(st.integers(0, 7), max_size=6), min_size=1, max_size=30)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=20, deadline=None)
@given(baskets_st, st.integers(1, 4))
def test_property_metrics_match_mlxtend(baskets, min_count):
    mlx = pytest.importorskip("mlxtend.frequent_patterns")
    items = sorted({x for b in baskets for x in b})
    if not items:
        return
    onehot = pd.DataFrame({i: [i in b for b in baskets] for i in items})
    n = len(baskets)
    ours_fi = apriori(onehot, min_count=min_count)
    if (ours_fi["length"] < 2).all():
        return
    ours = association_rules(ours_fi, "support", 0.0)
    theirs_fi = mlx.apriori(onehot, min_support=min_count / n - 1e-12, use_colnames=True)
    theirs = mlx.association_rules(theirs_fi, n, metric="support", min_threshold=0.0)
    assert key(ours) == key(theirs)
    merged = theirs.merge(ours, on=["antecedents", "consequents"], suffixes=("_mlx", ""))
    pairs = {
        "antecedent support": "antecedent_support",
        "consequent support": "consequent_support",
        "support": "support",
        "confidence": "confidence",
        "lift": "lift",
        "leverage": "leverage",
        "conviction": "conviction",
        "zhangs_metric": "zhangs_metric",
        "jaccard": "jaccard",
        "certainty": "certainty",
        "kulczynski": "kulczynski",
    }
    # a consequent in every basket: conviction and certainty are 0/0, NaN as in arules
    # (mlxtend gives inf and 0); everything else must agree with mlxtend
    everywhere = merged["consequent_count"].to_numpy() == n
    for theirs_col, ours_col in pairs.items():
        left = merged[theirs_col + ("_mlx" if theirs_col == ours_col else "")].to_numpy(float)
        right = merged[ours_col].to_numpy(float)
        if ours_col in ("conviction", "certainty"):
            assert np.isnan(right[everywhere]).all(), ours_col
            left, right = left[~everywhere], right[~everywhere]
        np.testing.assert_allclose(left, right, rtol=1e-9, atol=1e-12, err_msg=ours_col)


@settings(max_examples=30, deadline=None)
@given(baskets_st, st.integers(1, 4))
def test_property_closed_and_maximal_by_definition(baskets, min_count):
    fi = apriori([sorted(b) for b in baskets], min_count=min_count)
    counts = dict(zip(fi["itemset"], fi["count"]))
    closed = set(closed_itemsets(fi)["itemset"])
    maximal = set(maximal_itemsets(fi)["itemset"])
    for s, c in counts.items():
        supersets = [t for t in counts if s < t]
        assert (s in maximal) == (not supersets)
        assert (s in closed) == all(counts[t] < c for t in supersets)
    assert maximal <= closed


# ---------------------------------------------------------------- public data


def read_groceries() -> list[list[str]]:
    path = shared_dataset("groceries") / "groceries.csv"
    with open(path, encoding="utf-8") as fh:
        return [line.rstrip("\n").split(",") for line in fh]


@pytest.mark.public_data
def test_groceries_golden_rules():
    tx = read_groceries()
    fi = apriori(tx, min_support=0.01)
    assert len(fi) == 333
    rules = association_rules(fi, "confidence", 0.2)
    assert len(rules) == 234
    assert len(association_rules(fi, "confidence", 0.2, consequents="single")) == 231
    top = rules.sort_values("lift", ascending=False).iloc[0]
    assert top["antecedents"] == fs("citrus fruit", "other vegetables")
    assert top["consequents"] == fs("root vegetables")
    assert top["count"] == 102
    assert top["confidence"] == pytest.approx(0.359155, abs=1e-6)
    assert top["lift"] == pytest.approx(3.295045, abs=1e-6)
    rules5 = association_rules(apriori(tx, min_support=0.005), "confidence", 0.2)
    assert len(rules5) == 893
    boundary = rules5[
        (rules5.antecedents == fs("sausage", "other vegetables"))
        & (rules5.consequents == fs("shopping bags"))
    ]
    assert boundary[["count", "antecedent_count"]].to_numpy().tolist() == [[53, 265]]
