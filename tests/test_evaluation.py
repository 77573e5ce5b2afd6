from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from crmine.evaluation import (
    ContactDepth,
    best_contact_depth,
    churn_report,
    cumulative_gains_curve,
    gains_table,
    ks_statistic,
    lift_curve,
    profit_curve,
    top_decile_lift,
)
from crmine.exceptions import DataWarning, SchemaError

# --------------------------------------------------------------------------- known answers


def test_gains_table_hand_computed():
    # 12 customers, 4 positives, 4 bins of 3 customers.
    # scores (desc):   .95 .90 .85 | .80 .70 .60 | .50 .40 .30 | .20 .10 .05
    # outcome:          1   1   0  |  1   0   0  |  0   0   1  |  0   0   0
    score = [0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50, 0.40, 0.30, 0.20, 0.10, 0.05]
    y = [1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0]
    # shuffle the input: the table must not depend on the input order (no ties)
    perm = np.array([5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6])
    t = gains_table(np.array(y)[perm], np.array(score)[perm], n_bins=4)
    assert list(t.columns) == [
        "bin",
        "customers",
        "positives",
        "rate",
        "cum_customers",
        "cum_positives",
        "cum_capture",
        "lift",
        "cum_lift",
        "min_score",
        "max_score",
    ]
    assert t["bin"].tolist() == [1, 2, 3, 4]
    assert t["customers"].tolist() == [3, 3, 3, 3]
    assert t["positives"].tolist() == [2, 1, 1, 0]
    np.testing.assert_allclose(t["rate"], [2 / 3, 1 / 3, 1 / 3, 0])
    assert t["cum_customers"].tolist() == [3, 6, 9, 12]
    assert t["cum_positives"].tolist() == [2, 3, 4, 4]
    np.testing.assert_allclose(t["cum_capture"], [0.5, 0.75, 1.0, 1.0])
    # overall rate = 4/12 = 1/3
    np.testing.assert_allclose(t["lift"], [2.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(t["cum_lift"], [2.0, 1.5, 4 / 9 * 3, 1.0])
    np.testing.assert_allclose(t["min_score"], [0.85, 0.60, 0.30, 0.05])
    np.testing.assert_allclose(t["max_score"], [0.95, 0.80, 0.50, 0.20])


def test_gains_table_uneven_bins_and_ties():
    # 7 customers in 3 bins -> sizes 3, 2, 2 (first n % n_bins bins get one more)
    # all scores tie -> input order decides
    y = [1, 1, 1, 0, 0, 0, 0]
    t = gains_table(y, np.zeros(7), n_bins=3)
    assert t["customers"].tolist() == [3, 2, 2]
    assert t["positives"].tolist() == [3, 0, 0]
    t2 = gains_table(y[::-1], np.zeros(7), n_bins=3)
    assert t2["positives"].tolist() == [0, 1, 2]


def test_curves_hand_computed():
    y = [0, 1, 0, 1, 1]
    s = [0.1, 0.9, 0.5, 0.3, 0.8]
    # order: .9(1) .8(1) .5(0) .3(1) .1(0)
    x, g = cumulative_gains_curve(y, s)
    np.testing.assert_allclose(x, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(g, [0, 1 / 3, 2 / 3, 2 / 3, 1, 1])
    x, lift = lift_curve(y, s)
    np.testing.assert_allclose(x, [0.2, 0.4, 0.6, 0.8, 1.0])
    # overall rate .6: cum rates 1, 1, 2/3, 3/4, 3/5
    np.testing.assert_allclose(lift, np.array([1, 1, 2 / 3, 3 / 4, 3 / 5]) / 0.6)


def test_top_decile_lift_hand_computed():
    # 20 customers: top decile = 2 customers, 1 positive; overall 4/20
    y = np.zeros(20, dtype=int)
    y[[0, 5, 7, 19]] = 1
    s = -np.arange(20.0)
    assert top_decile_lift(y, s) == pytest.approx((1 / 2) / (4 / 20))


def test_profit_hand_computed():
    y = [0, 1, 1, 0, 0, 1]
    s = [0.2, 0.9, 0.6, 0.7, 0.1, 0.3]
    # order: .9(1) .7(0) .6(1) .3(1) .2(0) .1(0)
    pc = profit_curve(y, s, cost_per_contact=2.0, value_per_response=5.0)
    assert pc["contacted"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert pc["positives"].tolist() == [0, 1, 1, 2, 3, 3, 3]
    np.testing.assert_allclose(pc["profit"], [0, 3, 1, 4, 7, 5, 3])
    np.testing.assert_allclose(pc["depth"], np.arange(7) / 6)
    best = best_contact_depth(y, s, cost_per_contact=2.0, value_per_response=5.0)
    assert isinstance(best, ContactDepth)
    assert (best.contacted, best.positives, best.profit) == (4, 3, 7.0)
    assert best.min_score == pytest.approx(0.3)
    assert best.table["cost"].tolist() == [0, 2, 4, 6, 8, 10, 12]
    assert (
        repr(best)
        == "ContactDepth(contacted=4, depth=0.6667, profit=7, budget_binding=False, table=7x8)"
    )
    # contacting is never worth it -> nobody
    none = best_contact_depth(y, s, cost_per_contact=10.0, value_per_response=1.0)
    assert none.contacted == 0 and none.profit == 0.0 and np.isnan(none.min_score)
    # a budget of 6 allows three contacts: profit 4 at k=3, and the budget binds
    capped = best_contact_depth(y, s, cost_per_contact=2.0, value_per_response=5.0, budget=6)
    assert (capped.contacted, capped.profit, capped.budget_binding) == (3, 4.0, True)


def test_one_profit_optimiser_campaign_profit_is_a_wrapper():
    from crmine.campaign import campaign_profit

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    s = rng.random(200)
    a = best_contact_depth(y, s, cost_per_contact=1.0, value_per_response=2.5, budget=60)
    b = campaign_profit(y, s, cost_per_contact=1.0, value_per_response=2.5, budget=60)
    assert type(a) is type(b)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert (a.contacted, a.profit) == (b.contacted, b.profit)


def test_ks_against_scipy_and_hand():
    assert ks_statistic([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]) == pytest.approx(0.5)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = rng.normal(size=500) + y * 0.8
    s = np.round(s, 1)  # with ties
    ref = ks_2samp(s[y == 1], s[y == 0]).statistic
    assert ks_statistic(y, s) == pytest.approx(ref)


def test_churn_report_matches_sklearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.25, 300), 0, 1)
    r = churn_report(pd.Series(y), pd.Series(p))
    assert r["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert r["pr_auc"] == pytest.approx(average_precision_score(y, p))
    assert r["brier"] == pytest.approx(brier_score_loss(y, p))
    assert r["top_decile_lift"] == pytest.approx(top_decile_lift(y, p))
    assert r["ks"] == pytest.approx(ks_2samp(p[y == 1], p[y == 0]).statistic)
    assert r["n"] == 300
    assert r["positive_rate"] == pytest.approx(y.mean())


def test_churn_report_non_probability_warns():
    with pytest.warns(DataWarning, match="not a probability"):
        r = churn_report([0, 1, 0, 1], [-1.0, 2.0, 0.0, 3.0])
    assert np.isnan(r["brier"]) and r["roc_auc"] == 1.0


def test_bool_and_float_labels_accepted():
    t1 = gains_table([True, False, True, False], [4, 3, 2, 1], n_bins=2)
    t2 = gains_table([1.0, 0.0, 1.0, 0.0], [4, 3, 2, 1], n_bins=2)
    pd.testing.assert_frame_equal(t1, t2)


def test_inputs_not_mutated():
    y = pd.Series([1, 0, 1, 0, 1])
    s = pd.Series([0.5, 0.4, 0.3, 0.2, 0.1])
    y0, s0 = y.copy(), s.copy()
    gains_table(y, s, n_bins=2)
    profit_curve(y, s, cost_per_contact=1, value_per_response=2)
    pd.testing.assert_series_equal(y, y0)
    pd.testing.assert_series_equal(s, s0)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([0, 1, 1], [0.1, 0.2], "same length"),
        ([], [], "empty"),
        ([0, 1, 2], [0.1, 0.2, 0.3], "binary"),
        (["Yes", "No", "Yes"], [0.1, 0.2, 0.3], "binary"),
        ([0, 1, 1], [0.1, np.nan, 0.3], "finite"),
        ([0, 1, 1], [0.1, np.inf, 0.3], "finite"),
        ([0, 1, 1], ["a", "b", "c"], "numeric"),
        ([0, 0, 0], [0.1, 0.2, 0.3], "no positive"),
        ([[0, 1], [1, 0]], [0.1, 0.2], "one-dimensional"),
    ],
)
def test_gains_bad_input(y, s, match):
    with pytest.raises(SchemaError, match=match):
        gains_table(y, s, n_bins=2)


def test_single_class_rejected_where_required():
    with pytest.raises(SchemaError, match="only one class"):
        ks_statistic([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(SchemaError, match="only one class"):
        churn_report([0, 0, 0], [0.1, 0.2, 0.3])
    # profit works without positives
    assert profit_curve([0, 0], [0.1, 0.2], cost_per_contact=1, value_per_response=1)[
        "profit"
    ].tolist() == [0.0, -1.0, -2.0]


def test_bad_bins_and_money():
    with pytest.raises(SchemaError, match="n_bins=5 exceeds"):
        gains_table([0, 1, 1], [1, 2, 3], n_bins=5)
    with pytest.raises(SchemaError, match="n_bins"):
        gains_table([0, 1, 1], [1, 2, 3], n_bins=0)
    with pytest.raises(SchemaError, match="cost_per_contact"):
        profit_curve([0, 1], [1, 2], cost_per_contact=-1, value_per_response=1)
    with pytest.raises(SchemaError, match="value_per_response"):
        profit_curve([0, 1], [1, 2], cost_per_contact=1, value_per_response="x")
    with pytest.raises(SchemaError, match="budget"):
        best_contact_depth([0, 1], [1, 2], cost_per_contact=1, value_per_response=1, budget=-2)
    # the one binary check: text labels, other numbers and missing values are refused
    with pytest.raises(SchemaError, match="y_true must be binary"):
        gains_table(["yes", "no"], [1, 2], n_bins=2)
    with pytest.raises(SchemaError, match="missing"):
        gains_table([1, None], [1, 2], n_bins=2)
    with pytest.raises(SchemaError, match="same length"):
        ks_statistic([0, 1, 1], [0.2, 0.3])


# --------------------------------------------------------------------------- properties

labels_scores = st.integers(min_value=2, max_value=80).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda v: 0 < sum(v) < n),
        st.lists(
            st.floats(-5, 5, allow_nan=False).map(lambda x: round(x, 1)), min_size=n, max_size=n
        ),
        st.integers(1, n),
    )
)


@settings(max_examples=50, deadline=None)
@given(labels_scores)
def test_gains_table_properties(data):
    y, s, n_bins = data
    y = np.array(y)
    s = np.array(s)
    t = gains_table(y, s, n_bins=n_bins)
    assert len(t) == n_bins
    assert t["customers"].sum() == len(y)
    assert t["customers"].max() - t["customers"].min() <= 1
    assert t["positives"].sum() == y.sum()
    assert t["cum_capture"].iloc[-1] == pytest.approx(1.0)
    assert np.all(np.diff(t["cum_capture"]) >= -1e-12)
    assert t["cum_lift"].iloc[-1] == pytest.approx(1.0)
    # bins are ordered by score
    assert np.all(t["min_score"].to_numpy()[:-1] >= t["max_score"].to_numpy()[1:])
    # bin lifts average (weighted by size) to 1
    assert np.average(t["lift"], weights=t["customers"]) == pytest.approx(1.0)
    # gains curve agrees with the table at bin boundaries
    x, g = cumulative_gains_curve(y, s)
    np.testing.assert_allclose(g[t["cum_customers"].to_numpy()], t["cum_capture"])
    assert g[0] == 0 and x[0] == 0 and g[-1] == pytest.approx(1.0)
    # KS within [0, 1] and equal to scipy's two-sample statistic
    assert ks_statistic(y, s) == pytest.approx(ks_2samp(s[y == 1], s[y == 0]).statistic)
    # the best profit is at least the profit of every depth and of contacting nobody
    pc = profit_curve(y, s, cost_per_contact=1.0, value_per_response=3.0)
    best = best_contact_depth(y, s, cost_per_contact=1.0, value_per_response=3.0)
    assert best.profit == pytest.approx(pc["profit"].max()) and best.profit >= 0


@settings(max_examples=30, deadline=None)
@given(labels_scores)
def test_perfect_score_captures_all_first(data):
    y, _, _ = data
    y = np.array(y)
    x, g = cumulative_gains_curve(y, y.astype(float))
    k = int(y.sum())
    assert g[k] == pytest.approx(1.0)
    assert ks_statistic(y, y.astype(float)) == pytest.approx(1.0)


# --------------------------------------------------------------------------- plots


def test_plots_draw_expected_data():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from crmine.plotting import (
        plot_calibration,
        plot_cumulative_gains,
        plot_feature_importances,
        plot_lift_by_decile,
        plot_roc_curve,
    )

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, 200), 0, 1)
    fig, axes = plt.subplots(2, 3)
    ax = plot_roc_curve(y, p, ax=axes[0, 0])
    assert ax is axes[0, 0]
    assert f"{roc_auc_score(y, p):.3f}" in ax.get_legend().get_texts()[0].get_text()
    ax = plot_cumulative_gains(y, p, ax=axes[0, 1])
    x, g = cumulative_gains_curve(y, p)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), g)
    ax = plot_lift_by_decile(y, p, ax=axes[0, 2])
    heights = [b.get_height() for b in ax.patches]
    np.testing.assert_allclose(heights, gains_table(y, p)["lift"])
    plot_calibration(y, p, ax=axes[1, 0])
    with pytest.raises(SchemaError, match="probabilities"):
        plot_calibration(y, p * 3, ax=axes[1, 0])
    ax = plot_feature_importances(pd.Series({"a": 0.1, "b": -0.3, "c": 0.2}), ax=axes[1, 1])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c", "b"]
    plt.close(fig)
