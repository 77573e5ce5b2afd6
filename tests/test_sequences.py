"""Tests of crmine.sequences: hand-computed, brute-force oracle, planted sequence, bad input."""

from __future__ import annotations

import itertools
import pickle

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from crmine.exceptions import SchemaError
from crmine.sequences import (
    NextPurchaseRecommender,
    SequenceMiner,
    next_purchase_evaluation,
    sequence_rules,
    sequential_patterns,
)


def _log(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "item"])
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    return df


@pytest.fixture
def tiny():
    # customer 1: {A,B} -> {C} -> {A} ; customer 2: {A} -> (20 days) {C} ; customer 3: {C} -> {A}
    return _log(
        [
            (1, "o1", "2024-01-01", "A"),
            (1, "o1", "2024-01-01", "B"),
            (1, "o2", "2024-01-03", "C"),
            (1, "o3", "2024-01-04", "A"),
            (2, "o4", "2024-01-01", "A"),
            (2, "o5", "2024-01-21", "C"),
            (3, "o6", "2024-01-02", "C"),
            (3, "o7", "2024-01-05", "A"),
        ]
    )


# ----------------------------------------------------------------------------- known answers


def test_hand_computed_patterns(tiny):
    p = sequential_patterns(tiny, min_count=1, max_len=3, max_gap_orders=None)
    counts = dict(zip(p["pattern"], p["count"]))
    assert counts[("A",)] == 3 and counts[("B",)] == 1 and counts[("C",)] == 3
    assert counts[("A", "C")] == 2  # customers 1 and 2
    assert counts[("C", "A")] == 2  # customers 1 and 3
    assert counts[("A", "C", "A")] == 1 and counts[("B", "C", "A")] == 1
    assert ("A", "A") in counts and counts[("A", "A")] == 1
    conf = dict(zip(p["pattern"], p["confidence"]))
    assert conf[("A", "C")] == pytest.approx(2 / 3)
    lift = dict(zip(p["pattern"], p["lift"]))
    assert lift[("A", "C")] == pytest.approx((2 / 3) / (3 / 3))
    # within 7 days: customer 2's C comes 20 days later
    p7 = sequential_patterns(tiny, min_count=1, max_len=2, max_gap_orders=None, max_gap_days=7)
    assert dict(zip(p7["pattern"], p7["count"]))[("A", "C")] == 1


def test_hand_computed_rules(tiny):
    r = sequence_rules(tiny, min_count=1, min_orders=1, max_gap_orders=1)
    r = r.set_index(["antecedent", "consequent"])
    # windows (next order): o1->{C}, o2->{A}, o4->{C}, o6->{A}: 4 windows; C in 2, A in 2
    assert r.loc[("A", "C"), "orders"] == 2  # o1 and o4 (o3 has no next order)
    assert r.loc[("A", "C"), "hits"] == 2
    assert r.loc[("A", "C"), "confidence"] == 1.0
    assert r.loc[("A", "C"), "baseline"] == 0.5
    assert r.loc[("A", "C"), "lift"] == 2.0
    assert r.loc[("A", "C"), "customers"] == 2
    assert r.loc[("B", "C"), "orders"] == 1
    assert r.loc[("C", "A"), "support"] == pytest.approx(2 / 3)
    r7 = sequence_rules(tiny, min_count=1, min_orders=1, max_gap_orders=None, max_gap_days=7)
    r7 = r7.set_index(["antecedent", "consequent"])
    assert r7.loc[("A", "C"), "hits"] == 1  # o4 -> o5 is 20 days


def test_cutoff_is_point_in_time(tiny):
    m = SequenceMiner(min_count=1, cutoff="2024-01-04").fit(tiny)
    assert m.n_customers_ == 3
    counts = dict(zip(m.patterns_["pattern"], m.patterns_["count"]))
    assert ("C", "A") not in counts  # both C -> A steps happen on/after Jan 4
    assert m.cutoff_ == pd.Timestamp("2024-01-04")


# ----------------------------------------------------------------------------- oracle


def _brute_patterns(seqs, max_len, k, d):
    """Every supported pattern and its customer count, by enumerating order positions."""
    found: dict[tuple, set] = {}
    for c, (baskets, days) in seqs.items():
        for m in range(1, max_len + 1):
            for pos in itertools.combinations(range(len(baskets)), m):
                gaps_ok = all(
                    (k is None or pos[i + 1] - pos[i] <= k)
                    and (d is None or days[pos[i + 1]] - days[pos[i]] <= d)
                    for i in range(m - 1)
                )
                if not gaps_ok:
                    continue
                for combo in itertools.product(*(sorted(baskets[p]) for p in pos)):
                    found.setdefault(combo, set()).add(c)
    return {p: len(cs) for p, cs in found.items()}


def _brute_rules(seqs, k, d):
    hits, orders, cust = {}, {}, {}
    for c, (baskets, days) in seqs.items():
        for i, basket in enumerate(baskets):
            window = [
                j for j in range(i + 1, len(baskets))
                if (k is None or j - i <= k) and (d is None or days[j] - days[i] <= d)
            ]
            if not window:
                continue
            later = set().union(*(baskets[j] for j in window))
            for a in basket:
                orders[a] = orders.get(a, 0) + 1
                for b in later:
                    hits[(a, b)] = hits.get((a, b), 0) + 1
                    cust.setdefault((a, b), set()).add(c)
    return hits, orders, {p: len(s) for p, s in cust.items()}


@st.composite
def random_logs(draw):
    n_orders = draw(st.integers(1, 14))
    rows = []
    for o in range(n_orders):
        c = draw(st.integers(0, 3))
        day = draw(st.integers(0, 30))
        items = draw(st.sets(st.sampled_from("abcd"), min_size=1, max_size=3))
        rows += [(c, f"o{o:02d}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=day), i)
                 for i in sorted(items)]
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "item"])


def _sequences(log):
    seqs = {}
    orders = log.groupby("order_id").agg(
        c=("customer_id", "first"), t=("timestamp", "first"), items=("item", set)
    ).reset_index().sort_values(["c", "t", "order_id"])
    for c, g in orders.groupby("c"):
        days = ((g["t"] - pd.Timestamp("2024-01-01")).dt.days).tolist()
        seqs[c] = (g["items"].tolist(), days)
    return seqs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_logs(), st.sampled_from([None, 1, 2]), st.sampled_from([None, 5.0]),
       st.integers(1, 2))
def test_matches_brute_force(log, k, d, min_count):
    seqs = _sequences(log)
    miner = SequenceMiner(min_count=min_count, max_len=3, max_gap_orders=k, max_gap_days=d,
                          min_orders=1).fit(log)
    truth = {p: c for p, c in _brute_patterns(seqs, 3, k, d).items() if c >= min_count}
    # patterns whose every prefix is frequent (prefix growth) -- with these sizes all are
    got = dict(zip(miner.patterns_["pattern"], miner.patterns_["count"]))
    assert got == truth
    hits, orders, cust = _brute_rules(seqs, k, d)
    rules = miner.rules_.set_index(["antecedent", "consequent"])
    expected = {p for p, n in cust.items() if n >= min_count}
    assert set(rules.index) == expected
    for (a, b) in expected:
        assert rules.loc[(a, b), "hits"] == hits[(a, b)]
        assert rules.loc[(a, b), "orders"] == orders[a]
        assert rules.loc[(a, b), "customers"] == cust[(a, b)]


# ----------------------------------------------------------------------------- planted truth


def test_planted_sequence_is_the_top_rule():
    from crmine.datasets import make_retail

    data = make_retail(n_customers=400, random_state=1, sequence=("coffee", "cake"))
    miner = SequenceMiner(min_support=0.05, max_len=2).fit(data.transactions)
    top = miner.top_rules(1).iloc[0]
    assert (top["antecedent"], top["consequent"]) == ("coffee", "cake")
    assert top["confidence"] == pytest.approx(0.5, abs=0.06)  # planted probability 0.5
    assert top["lift"] > 2 * miner.top_rules(2).iloc[1]["lift"]
    # without the plant there is no such rule
    plain = SequenceMiner(min_support=0.05, max_len=2).fit(
        make_retail(n_customers=400, random_state=1).transactions
    )
    r = plain.rules_.set_index(["antecedent", "consequent"])
    assert r.loc[("coffee", "cake"), "lift"] < 1.5


def test_recommender_uses_planted_sequence():
    from crmine.datasets import make_retail

    data = make_retail(n_customers=300, random_state=2, sequence=("coffee", "cake"))
    rec = NextPurchaseRecommender(min_support=0.02).fit(data.transactions)
    out = rec.recommend([["bread"], ["coffee", "tea"]], k=3)
    assert out.iloc[0]["item"] == "cake" and out.iloc[0]["source"] == "rule"
    per = rec.recommend_customers(k=2)
    assert per.index.name == "customer_id" and (per.groupby(level=0).size() == 2).all()
    table = next_purchase_evaluation(
        data.transactions, "2024-10-01", k=3, recommender=NextPurchaseRecommender(min_support=0.02)
    )
    assert list(table.index) == ["sequence", "association", "repeat_last", "popular"]
    # make_retail draws baskets by popularity: apart from the plant there is nothing to learn,
    # so the sequence recommender is about as good as popularity, and better than association
    assert table.loc["sequence", "hit_rate"] >= table.loc["popular", "hit_rate"] - 0.05
    assert table.loc["sequence", "hit_rate"] > table.loc["association", "hit_rate"]
    assert (table["customers"] > 100).all()
    again = next_purchase_evaluation(
        data.transactions, "2024-10-01", k=3, recommender=NextPurchaseRecommender(min_support=0.02)
    )
    pd.testing.assert_frame_equal(table, again)


def test_sklearn_protocol(tiny):
    m = SequenceMiner(min_count=1, max_len=2)
    assert clone(m).get_params() == m.get_params()
    m.fit(tiny)
    again = pickle.loads(pickle.dumps(m))
    pd.testing.assert_frame_equal(again.patterns_, m.patterns_)
    rec = NextPurchaseRecommender(min_count=1, min_orders=1).fit(tiny)
    pd.testing.assert_frame_equal(
        pickle.loads(pickle.dumps(rec)).recommend([["A"]], k=2), rec.recommend([["A"]], k=2)
    )


# ----------------------------------------------------------------------------- public data


@pytest.mark.public_data
def test_online_retail_rules_and_hit_rate():
    from conftest import shared_dataset

    from crmine.datasets import load_online_retail

    log = load_online_retail(shared_dataset("online_retail") / "online_retail.parquet")
    log = log[log["timestamp"] >= "2011-06-01"]
    rules = sequence_rules(log, min_support=0.02, cutoff="2011-10-01")
    assert len(rules) > 10 and (rules["lift"] > 0).all()
    assert ((rules["confidence"] >= 0) & (rules["confidence"] <= 1)).all()


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs(tiny):
    with pytest.raises(SchemaError, match="item"):
        sequential_patterns(tiny.drop(columns="item"))
    with pytest.raises(SchemaError, match="empty"):
        sequential_patterns(tiny.iloc[:0])
    with pytest.raises(SchemaError):
        sequential_patterns(tiny.drop(columns="timestamp"))
    with pytest.raises(SchemaError, match="purchase"):
        sequential_patterns(tiny, cutoff="2020-01-01")
    with pytest.raises(ValueError, match="cutoff"):
        sequential_patterns(tiny, cutoff="soon")
    with pytest.raises(SchemaError, match="naive"):
        sequential_patterns(tiny, cutoff=pd.Timestamp("2024-02-01", tz="UTC"))
    with pytest.raises(ValueError):
        SequenceMiner(min_support=1.5).fit(tiny)
    with pytest.raises(ValueError):
        SequenceMiner(max_gap_orders=0).fit(tiny)
    with pytest.raises(ValueError, match="min_support or min_count"):
        SequenceMiner(min_support=None).fit(tiny)
    missing = tiny.astype({"item": object})
    missing.loc[0, "item"] = None
    with pytest.raises(SchemaError, match="item"):
        sequential_patterns(missing)
    mixed = tiny.astype({"timestamp": object})
    mixed.loc[0, "timestamp"] = pd.Timestamp("2024-01-01", tz="UTC")
    with pytest.raises(SchemaError, match="timezone"):
        sequential_patterns(mixed)
    with pytest.raises(SchemaError, match="no customer ordered"):
        next_purchase_evaluation(tiny, "2024-03-01")
    with pytest.raises(ValueError, match="k must"):
        next_purchase_evaluation(tiny, "2024-01-03", k=0)
    rec = NextPurchaseRecommender(min_count=1).fit(tiny)
    with pytest.raises(TypeError, match="list of baskets"):
        rec.recommend("A")
    with pytest.raises(SchemaError, match="no order before"):
        rec.recommend_customers([99])


def test_inputs_that_work(tiny):
    before = tiny.copy()
    base = sequential_patterns(tiny, min_count=1)
    pd.testing.assert_frame_equal(tiny, before)
    one = sequential_patterns(tiny[tiny["customer_id"] == 1], min_count=1)
    assert (one["count"] == 1).all()
    dup = sequential_patterns(pd.concat([tiny, tiny.iloc[[0]]]), min_count=1)
    pd.testing.assert_frame_equal(dup, base)
    as_str = sequential_patterns(tiny.astype({"customer_id": str}), min_count=1)
    pd.testing.assert_frame_equal(as_str, base)
    as_cat = sequential_patterns(tiny.astype({"customer_id": "category"}), min_count=1)
    pd.testing.assert_frame_equal(as_cat, base)
    aware = tiny.assign(timestamp=tiny["timestamp"].dt.tz_localize("UTC"))
    pd.testing.assert_frame_equal(sequential_patterns(aware, min_count=1), base)
    money = tiny.assign(quantity=1, price=2.0)
    money.loc[money["order_id"] == "o2", "quantity"] = -1  # a return is not a purchase
    no_c = sequential_patterns(money, min_count=1)
    assert ("A", "C") in set(no_c["pattern"])  # customer 2 still buys C
    assert dict(zip(no_c["pattern"], no_c["count"]))[("A", "C")] == 1
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    pd.testing.assert_frame_equal(sequential_patterns(pl.from_pandas(tiny), min_count=1), base)
    pd.testing.assert_frame_equal(
        sequential_patterns(pa.Table.from_pandas(tiny), min_count=1), base
    )


def test_plot(tiny):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmine.plotting import plot_sequence_rules

    rules = sequence_rules(tiny, min_count=1, min_orders=1)
    fig, ax = plt.subplots()
    assert plot_sequence_rules(rules, ax=ax) is ax
    plt.close("all")


def test_make_retail_default_output_unchanged():
    """The planted sequence/outlier options must not change the default output."""
    import hashlib

    from crmine.datasets import make_retail

    data = make_retail(n_customers=500, random_state=0)
    h = hashlib.sha256()
    for name in ("transactions", "customers", "products", "campaign"):
        h.update(getattr(data, name).to_csv().encode())  # text: the same on pandas 2 and 3
    h.update(str((data.start, data.end, data.campaign_date)).encode())
    # the output before the options existed (checked against a hash taken before the change)
    assert h.hexdigest() == "7b5b9e0bff0b67bf282e5f73eec09c1c742f1827837121b3e53a0a4d623b3fa5"
    planted = make_retail(n_customers=500, random_state=0, sequence=("coffee", "cake"))
    pd.testing.assert_frame_equal(planted.customers, data.customers)
    pd.testing.assert_frame_equal(planted.campaign, data.campaign)
    assert len(planted.transactions) > len(data.transactions)
    with pytest.raises(ValueError, match="catalog"):
        make_retail(n_customers=50, sequence=("coffee", "caviar"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from("abcde"), min_size=1, max_size=7), min_size=1,
                max_size=8),
       st.integers(1, 3))
def test_matches_prefixspan(sequences, min_count):
    """Peer library: PrefixSpan (package prefixspan) on one-item orders, no gap limit."""
    prefixspan = pytest.importorskip("prefixspan")
    rows = [
        (c, f"c{c}o{j}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=j), item)
        for c, seq in enumerate(sequences)
        for j, item in enumerate(seq)
    ]
    log = pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "item"])
    ours = sequential_patterns(log, min_count=min_count, max_len=3, max_gap_orders=None)
    ps = prefixspan.PrefixSpan(sequences)
    ps.maxlen = 3
    theirs = {tuple(p): n for n, p in ps.frequent(min_count)}
    assert dict(zip(ours["pattern"], ours["count"])) == theirs
