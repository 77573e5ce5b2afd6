"""ValueTierClassifier (the customer pyramid) and tier migration."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from crmine.exceptions import DataWarning, SchemaError
from crmine.value import (
    TIER_ACTIONS,
    TierMigration,
    ValueTierClassifier,
    tier_migration,
    value_tiers,
)


def spend(values, ids=None):
    ids = ids if ids is not None else [f"c{i:03d}" for i in range(len(values))]
    return pd.DataFrame(
        {"monetary_total": np.asarray(values, dtype=float)},
        index=pd.Index(ids, name="customer_id"),
    )


# ----------------------------------------------------------------------------- pyramid
def test_default_pyramid_1_4_15_80():
    X = spend(np.arange(100, 0, -1))  # c000 = 100, ..., c099 = 1
    clf = ValueTierClassifier().fit(X)
    assert clf.labels_ == ["VIP", "major", "ordinary", "small"]
    assert clf.thresholds_.tolist() == [100.0, 96.0, 81.0]
    s = clf.summary_
    assert s["customers"].tolist() == [1, 4, 15, 80]
    assert s["customer_share"].tolist() == [0.01, 0.04, 0.15, 0.80]
    total = 100 * 101 / 2
    assert s.loc["VIP", "value_share"] == pytest.approx(100 / total)
    assert s.loc["major", "value"] == 99 + 98 + 97 + 96
    assert s.loc["ordinary", "value_min"] == 81 and s.loc["ordinary", "value_max"] == 95
    assert s.loc["small", "value_mean"] == pytest.approx(40.5)
    assert s["value_share"].sum() == pytest.approx(1.0)
    tiers = clf.predict(X)
    assert tiers.index.equals(X.index) and tiers.name == "tier"
    assert tiers.loc["c000"] == "VIP" and tiers.loc["c004"] == "major"
    assert tiers.loc["c005"] == "ordinary" and tiers.loc["c020"] == "small"


def test_preset_1_19_30_50_and_metal_labels():
    X = spend(np.arange(100, 0, -1))
    clf = ValueTierClassifier(shares="1-19-30-50", labels="metal").fit(X)
    assert clf.labels_ == ["platinum", "gold", "iron", "lead"]
    assert clf.thresholds_.tolist() == [100.0, 81.0, 51.0]
    assert clf.summary_["customers"].tolist() == [1, 19, 30, 50]
    # actions follow the tier position
    assert clf.actions_["platinum"] == TIER_ACTIONS["VIP"]
    assert clf.actions_["lead"].startswith("Costs unknown")


def test_actions_text():
    clf = ValueTierClassifier().fit(spend(range(1, 101)))
    a = clf.actions_
    assert "business, finances and staff" in a["VIP"]
    assert "loyalty" in a["major"] and "contribute more" in a["major"]
    assert "move up a tier" in a["ordinary"]
    assert "Costs unknown" in a["small"] and "cost_col" in a["small"]
    assert clf.summary_["action"].tolist() == a.tolist()
    with_costs = ValueTierClassifier(cost_col="c").fit(spend(range(1, 101)).assign(c=1.0))
    assert "profitable" in with_costs.actions_["small"]
    custom = ValueTierClassifier(actions=["w", "x", "y", "z"]).fit(spend(range(1, 101)))
    assert custom.actions_.tolist() == ["w", "x", "y", "z"]


def test_ties_at_a_boundary_go_to_the_higher_tier():
    X = spend([10, 10, 10, 5, 5, 1, 1, 1, 1, 1])
    with pytest.warns(DataWarning, match="empty"):
        clf = ValueTierClassifier(shares=(0.1, 0.2, 0.3, 0.4)).fit(X)
    # cut after ranks 1, 3 and 6: values 10, 10 and 1
    assert clf.thresholds_.tolist() == [10.0, 10.0, 1.0]
    assert clf.summary_["customers"].tolist() == [3, 0, 7, 0]
    assert set(clf.predict(X)[X["monetary_total"] == 5]) == {"ordinary"}


# ----------------------------------------------------------------------------- pareto
def test_pareto_by_cumulative_value_share():
    # total 100; value held by the customers ranked above: 0, .5, .7, .82, .90, .96
    X = spend([50, 20, 12, 8, 6, 4])
    clf = ValueTierClassifier(method="pareto").fit(X)
    assert clf.thresholds_.tolist() == [50.0, 12.0, 6.0]
    assert clf.predict(X).tolist() == ["VIP", "major", "major", "ordinary", "ordinary", "small"]
    assert clf.summary_["value_share"].tolist() == pytest.approx([0.5, 0.32, 0.14, 0.04])


def test_pareto_ignores_loss_makers_in_shares():
    X = spend([60, 40, 0, -30])
    clf = ValueTierClassifier(method="pareto", shares=(0.6, 0.4), labels=("A", "B")).fit(X)
    assert clf.predict(X).tolist() == ["A", "B", "B", "B"]
    with pytest.raises(SchemaError, match="no positive values"):
        ValueTierClassifier(method="pareto").fit(spend([0, -1, -2]))


# ----------------------------------------------------------------------------- thresholds
def test_explicit_thresholds_lower_bound_inclusive():
    X = spend([10000, 9999.99, 2000, 500, 499, 0])
    clf = ValueTierClassifier(method="thresholds", thresholds=(10000, 2000, 500)).fit(X)
    assert clf.predict(X).tolist() == ["VIP", "major", "major", "ordinary", "small", "small"]
    assert clf.thresholds_.tolist() == [10000.0, 2000.0, 500.0]
    one = value_tiers(X, method="thresholds", thresholds=(10000, 2000, 500))
    pd.testing.assert_series_equal(one["tier"], clf.predict(X))
    pd.testing.assert_frame_equal(one, clf.tier_table(X))


# ----------------------------------------------------------------------------- other periods
def test_thresholds_learned_in_fit_apply_to_another_period():
    clf = ValueTierClassifier().fit(spend(np.arange(100, 0, -1)))
    new = spend([1e6, 100, 97, 81, 80.5, 0.5, -20], ids=list("abcdefg"))
    assert clf.predict(new).tolist() == [
        "VIP",
        "VIP",
        "major",
        "ordinary",
        "small",
        "small",
        "small",
    ]
    table = clf.tier_table(new)
    assert table["loss_making"].isna().all()  # no cost data: unknown, not "False"
    assert table.loc["a", "action"] == TIER_ACTIONS["VIP"]


def test_predicted_tiers_are_ordered_categoricals():
    X = spend(np.arange(100, 0, -1))
    tiers = ValueTierClassifier().fit_predict(X)
    assert tiers.cat.ordered
    assert list(tiers.cat.categories) == ["small", "ordinary", "major", "VIP"]
    assert (tiers >= "major").sum() == 5
    assert tiers.max() == "VIP"


def test_array_input_reads_documented_column_order():
    # arrays (scikit-learn's checks) are read by the documented order: value first
    X = np.column_stack([np.arange(100, 0, -1), np.zeros(100)])
    labels = ValueTierClassifier().fit_predict(X)
    assert isinstance(labels, np.ndarray)
    assert labels[0] == "VIP" and (labels == "small").sum() == 80


def test_without_costs_loss_making_is_unknown_and_nobody_is_cut():
    # issue 14: the tiers advised "let go of the loss-makers" with loss_making always 0
    X = spend([100, 50, 0, -5, 10, 3, 2, 1, 0.5, -1])
    clf = ValueTierClassifier(shares=(0.1, 0.2, 0.3, 0.4)).fit(X)
    assert clf.summary_["loss_making"].isna().all()
    assert clf.tier_table(X)["loss_making"].isna().all()
    small = clf.actions_["small"]
    assert "Costs unknown" in small and "let go" not in small
    assert "let go" not in " ".join(clf.summary_["action"])


def test_with_costs_loss_makers_are_counted_and_the_cut_is_advised():
    X = spend([100, 50, 20, 10, 10, 3, 2, 1, 0.5, 0]).assign(
        cost=[10.0, 10, 10, 12, 1, 1, 5, 1, 1, 2]
    )
    clf = ValueTierClassifier(cost_col="cost", shares=(0.1, 0.2, 0.3, 0.4)).fit(X)
    # loss-makers: value below cost -> customers 3 (10 < 12), 6 (2 < 5), 8 (0.5 < 1), 9 (0 < 2)
    assert clf.summary_["loss_making"].tolist() == [0, 0, 1, 3]
    assert clf.summary_["profit"].tolist() == [90.0, 50.0, 9.0, -5.5]
    table = clf.tier_table(X)
    assert table["loss_making"].sum() == 4 and table["loss_making"].dtype == "boolean"
    assert clf.actions_["small"] == TIER_ACTIONS["small"]
    with pytest.raises(SchemaError, match="cost column 'cost' has 1 negative"):
        ValueTierClassifier(cost_col="cost").fit(X.assign(cost=[-1.0] + [1.0] * 9))
    with pytest.raises(SchemaError, match="cost column 'c' not found"):
        ValueTierClassifier(cost_col="c").fit(X)


# ----------------------------------------------------------------------------- bad input
def test_fewer_customers_than_tiers_warns_and_leaves_tiers_empty():
    X = spend([30, 20, 10])
    with pytest.warns(DataWarning, match=r"\['VIP', 'major'\] are empty"):
        clf = ValueTierClassifier().fit(X)
    assert clf.thresholds_.tolist() == [np.inf, np.inf, 30.0]
    assert clf.summary_["customers"].tolist() == [0, 0, 1, 2]
    assert clf.predict(spend([1e9], ids=["z"])).tolist() == ["ordinary"]


def test_constant_values_warn():
    with pytest.warns(DataWarning, match="constant"):
        clf = ValueTierClassifier().fit(spend([7.0] * 200))
    assert clf.summary_["customers"].sum() == 200


def test_single_customer():
    with pytest.warns(DataWarning):
        clf = ValueTierClassifier().fit(spend([42.0]))
    assert clf.summary_["customers"].sum() == 1


@pytest.mark.parametrize(
    ("X", "params", "match"),
    [
        (spend([1.0, np.nan]), {}, "missing or infinite"),
        (spend([1.0, np.inf]), {}, "missing or infinite"),
        (spend([1.0, 2.0]).rename(columns={"monetary_total": "m"}), {}, "not found"),
        (spend([1.0, 2.0]).astype(str), {}, "not numeric"),
        (spend([1.0, 2.0]).iloc[:0], {}, "empty"),
        (spend([1.0, 2.0], ids=["a", "a"]), {}, "duplicated"),
        (spend([1.0, 2.0]), {"shares": (0.5, 0.3, 0.1, 0.05)}, "sum to 1"),
        (spend([1.0, 2.0]), {"shares": (0.5, 0.5)}, "must be 4 positive"),
        (spend([1.0, 2.0]), {"labels": ("a", "a")}, "distinct"),
        (spend([1.0, 2.0]), {"method": "thresholds"}, "needs thresholds"),
        (spend([1.0, 2.0]), {"method": "thresholds", "thresholds": (1, 2, 3)}, "decreasing"),
        (spend([1.0, 2.0]), {"actions": ["x"]}, "one action text per tier"),
    ],
)
def test_bad_input(X, params, match):
    with pytest.raises(SchemaError, match=match):
        ValueTierClassifier(**params).fit(X)


def test_not_fitted_clone_pickle():
    X = spend(np.arange(100, 0, -1))
    with pytest.raises(NotFittedError):
        ValueTierClassifier().predict(X)
    clf = clone(ValueTierClassifier(shares="1-19-30-50")).fit(X)
    again = pickle.loads(pickle.dumps(clf))
    pd.testing.assert_series_equal(again.predict(X), clf.predict(X))
    pd.testing.assert_frame_equal(again.summary_, clf.summary_)


def test_does_not_mutate_input():
    X = spend([5.0, 1.0, 3.0])
    before = X.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ValueTierClassifier().fit(X).tier_table(X)
    pd.testing.assert_frame_equal(X, before)


# ----------------------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-100, 1e5, allow_nan=False), min_size=1, max_size=80),
    st.sampled_from(["pyramid", "pareto"]),
    st.randoms(use_true_random=False),
)
def test_tier_properties(values, method, rnd):
    X = spend(values)
    if method == "pareto" and not (X["monetary_total"] > 0).any():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        clf = ValueTierClassifier(method=method).fit(X)
        tiers = clf.predict(X)
        perm = list(range(len(X)))
        rnd.shuffle(perm)
        again = ValueTierClassifier(method=method).fit(X.iloc[perm]).predict(X.iloc[perm])
    s = clf.summary_
    assert s["customers"].sum() == len(X)
    assert s["customer_share"].sum() == pytest.approx(1.0)
    if X["monetary_total"].sum() > 0:
        assert s["value_share"].sum() == pytest.approx(1.0)
    # monotone: a customer worth more is never in a lower tier
    code = tiers.cat.codes.to_numpy()  # 0 = small ... 3 = VIP
    v = X["monetary_total"].to_numpy()
    order = np.argsort(v, kind="stable")
    g = pd.Series(code[order]).groupby(v[order])
    assert (g.min().to_numpy()[1:] >= g.max().to_numpy()[:-1]).all()
    # equal values, equal tier
    assert (g.nunique() == 1).all()
    # row order does not matter
    pd.testing.assert_series_equal(again.loc[tiers.index], tiers)
    # thresholds are non-increasing
    thr = clf.thresholds_.to_numpy()
    assert (thr[1:] <= thr[:-1]).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=100, max_size=300, unique=True))
def test_pyramid_counts_exact_without_ties(values):
    clf = ValueTierClassifier().fit(spend(values))
    n = len(values)
    ends = [int(np.floor(c * n + 0.5)) for c in (0.01, 0.05, 0.20)]
    expected = np.diff([0, *ends, n]).tolist()
    assert clf.summary_["customers"].tolist() == expected


# ----------------------------------------------------------------------------- migration
def test_migration_counts_and_identities():
    order = ["VIP", "major", "ordinary", "small"]
    before = pd.Series(
        {"a": "VIP", "b": "VIP", "c": "major", "d": "ordinary", "e": "small", "f": "small"}
    )
    after = pd.Series({"a": "VIP", "b": "major", "c": "VIP", "d": "small", "g": "major"})
    m = tier_migration(before, after, order=order)
    assert isinstance(m, TierMigration) and m.ordered
    assert m.table.loc["VIP", "VIP"] == 1 and m.table.loc["VIP", "major"] == 1
    assert m.table.loc["major", "VIP"] == 1 and m.table.loc["ordinary", "small"] == 1
    assert m.table.loc["small", "lost"] == 2 and m.table.loc["new", "major"] == 1
    assert m.table.to_numpy().sum() == 7
    s = m.summary
    assert (s["stayed"], s["upgraded"], s["downgraded"]) == (1, 1, 2)
    assert (s["lost"], s["new"]) == (2, 1)
    assert s["stayed"] + s["upgraded"] + s["downgraded"] + s["lost"] == s["customers_before"]
    assert s["stayed"] + s["upgraded"] + s["downgraded"] + s["new"] == s["customers_after"]
    assert s["retention_rate"] == pytest.approx(4 / 6)
    assert m.moves.loc["c", "change"] == "upgrade" and m.moves.loc["g", "change"] == "new"
    rates = m.rates()
    assert rates.loc["VIP"].tolist() == [0.5, 0.5, 0, 0, 0]
    assert np.isnan(rates.loc["new"]).sum() == 0


def test_migration_from_predicted_tiers_uses_categorical_order():
    clf = ValueTierClassifier(shares=(0.25, 0.25, 0.25, 0.25)).fit(spend([4, 3, 2, 1]))
    q1 = clf.predict(spend([4, 3, 2, 1], ids=list("abcd")))
    q2 = clf.predict(spend([1, 3, 4, 2], ids=list("abcd")))
    m = tier_migration(q1, q2)
    assert m.levels == ["VIP", "major", "ordinary", "small"]
    assert (m.summary["upgraded"], m.summary["downgraded"], m.summary["stayed"]) == (2, 1, 1)


def test_migration_unordered_segments():
    m = tier_migration(pd.Series({"a": "x", "b": "y"}), pd.Series({"a": "y", "b": "y"}))
    assert not m.ordered
    assert m.summary["changed"] == 1 and np.isnan(m.summary["upgraded"])
    assert m.moves.loc["a", "change"] == "changed"


def test_migration_bad_input():
    s = pd.Series({"a": "VIP"})
    with pytest.raises(SchemaError, match="Series"):
        tier_migration({"a": "VIP"}, s)
    with pytest.raises(SchemaError, match="missing labels"):
        tier_migration(pd.Series({"a": None, "b": "VIP"}), s)
    with pytest.raises(SchemaError, match="duplicated"):
        tier_migration(pd.Series(["VIP", "VIP"], index=["a", "a"]), s)
    with pytest.raises(SchemaError, match="not in order"):
        tier_migration(s, pd.Series({"a": "gold"}), order=["VIP", "small"])


def test_any_value_column_by_name():
    X = pd.DataFrame(
        {"monetary_total": [1.0, 2.0, 3.0, 4.0], "margin": [40.0, 30.0, 20.0, -10.0]},
        index=list("abcd"),
    )
    clf = ValueTierClassifier(value_col="margin", shares=(0.25, 0.25, 0.25, 0.25)).fit(X)
    assert clf.predict(X).tolist() == ["VIP", "major", "ordinary", "small"]
    with pytest.raises(SchemaError, match="'clv' not found"):
        ValueTierClassifier(value_col="clv").fit(X)
