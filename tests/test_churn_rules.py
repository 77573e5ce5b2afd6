"""Tests of crmine.churn readable rules (ChurnRules, churn_rules) and the churn_scores one-liner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from crmine.churn import ChurnRuleList, ChurnRules, churn_rules, churn_scores
from crmine.exceptions import DataWarning, SchemaError


def _planted(n=3000, seed=0):
    """Churn is 80 % when recency_days > 120 and frequency <= 2, else 10 %."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "recency_days": rng.integers(0, 365, n),
            "frequency": rng.integers(1, 10, n),
            "monetary_total": rng.gamma(2.0, 100.0, n),
        },
        index=pd.Index([f"c{i:05d}" for i in range(n)], name="customer_id"),
    )
    risky = (X["recency_days"] > 120) & (X["frequency"] <= 2)
    y = pd.Series((rng.random(n) < np.where(risky, 0.8, 0.1)).astype(int), index=X.index)
    return X, y, risky


# ------------------------------------------------------------------ known answer


def test_hand_computed_rules_on_a_tiny_table():
    # one feature, a depth-1 tree: the split is the midpoint 5.5 between 5 and 6
    X = pd.DataFrame({"recency_days": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]})
    y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 0]  # Gini: 5.5 leaves a pure left side
    est = ChurnRules(max_depth=1, min_samples_leaf=2, holdout=None, random_state=0).fit(X, y)
    table = est.rules_.table
    assert table["rule"].tolist() == ["recency_days > 5", "recency_days <= 5"]
    assert table["customers"].tolist() == [5, 5]
    assert table["churners"].tolist() == [4, 0]
    np.testing.assert_allclose(table["support"], [0.5, 0.5])
    np.testing.assert_allclose(table["churn_rate"], [0.8, 0.0])
    np.testing.assert_allclose(table["lift"], [0.8 / 0.4, 0.0])
    assert est.rules_.evaluated_on == "training customers"
    assert est.rules_.n_customers == 10 and est.rules_.churn_rate == 0.4
    assert est.apply(X).tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    text = est.rules_.to_text().splitlines()
    assert text[0] == "IF recency_days > 5 THEN 80% churn (5 customers, lift 2.00)"
    # a non-integer feature keeps the tree's threshold
    Xf = X.assign(recency_days=X["recency_days"] + 0.25)
    est = ChurnRules(max_depth=1, min_samples_leaf=2, holdout=None, random_state=0).fit(Xf, y)
    assert est.rules_.table["rule"].tolist() == ["recency_days > 5.75", "recency_days <= 5.75"]


def test_rule_text_is_the_rule_applied():
    # the tree splits b at -1.17312 (midpoint of -1.1732 and -1.17304); shown to 4 digits,
    # "b > -1.173" would leave out a customer with b = -1.17301 whom the tree sends right
    X = pd.DataFrame({"b": [-2.0, -1.5, -1.1732, -1.17304, -1.0, 0.0]})
    y = np.array([0, 0, 0, 1, 1, 1])
    est = ChurnRules(max_depth=1, min_samples_leaf=1, holdout=None, random_state=0).fit(X, y)
    texts = est.rules_.table["rule"].tolist()
    assert sorted(texts) == ["b <= -1.1731", "b > -1.1731"]
    new = pd.DataFrame({"b": [-1.17301, -1.17309, -1.1731, -1.17311, -1.17313]})
    ids = est.apply(new)
    for rule_id, text in est.rules_.table["rule"].items():
        assert np.array_equal(new.eval(text).to_numpy(), (ids == rule_id).to_numpy()), text
    # the training customers are split as the tree split them
    assert est.rules_.table.set_index("rule").loc["b > -1.1731", "customers"] == 3


# ------------------------------------------------------------------ planted truth


def test_planted_rule_recovered_on_held_out_customers():
    X, y, risky = _planted()
    rules = churn_rules(X.assign(churned=y), max_depth=2, random_state=0)
    assert isinstance(rules, ChurnRuleList)
    top = rules.table.iloc[0]
    assert top["rule"] == "recency_days > 120 and frequency <= 2"
    assert top["churn_rate"] == pytest.approx(0.8, abs=0.06)
    assert top["lift"] > 2.5
    assert rules.evaluated_on == "held-out customers"
    assert rules.n_customers == 900  # 30 % of 3000
    # the rule's held-out support matches the planted share of risky customers
    assert top["support"] == pytest.approx(risky.mean(), abs=0.03)


def test_rules_on_make_retail_rank_recency_first():
    from crmine.churn import churn_labels
    from crmine.datasets import make_retail

    retail = make_retail(800, random_state=0)
    cut = retail.start + pd.Timedelta(days=365)
    X, y, _ = churn_labels(retail.transactions, cut, horizon=180)
    with pytest.warns(DataWarning, match="interpurchase_mean_days"):  # NaN for one-off buyers
        rules = churn_rules(X, y, max_depth=2, random_state=0)
    top, bottom = rules.table.iloc[0], rules.table.iloc[-1]
    assert "recency_days >" in top["rule"]  # the long-inactive customers churn most
    assert top["lift"] > 1.3 and bottom["churn_rate"] < top["churn_rate"]


# ------------------------------------------------------------------ properties


@settings(max_examples=25, deadline=None)
@given(
    st.integers(60, 400),
    st.integers(1, 4),
    st.integers(0, 10_000),
    st.sampled_from([None, 0.3]),
)
@example(n=271, depth=2, seed=1180, holdout=0.3)  # a held-out b between -1.17312 and -1.173
def test_rules_partition_the_customers(n, depth, seed, holdout):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.integers(0, 50, n), "b": rng.normal(size=n)})
    y = (rng.random(n) < 0.3 + 0.4 * (X["a"] > 25)).astype(int)
    if y.min() == y.max():
        return
    est = ChurnRules(max_depth=depth, min_samples_leaf=5, holdout=holdout, random_state=seed)
    try:
        est.fit(X, y)
    except SchemaError:  # too few churners to hold any out
        assert holdout is not None
        return
    t = est.rules_.table
    # supports sum to the evaluated customers, churners to their churners
    assert t["customers"].sum() == est.rules_.n_customers
    assert t["support"].sum() == pytest.approx(1.0)
    assert t["train_customers"].sum() == n - (est.rules_.n_customers if holdout else 0)
    # every customer matches exactly one rule, the one its text describes
    ids = est.apply(X)
    for rule_id, text in t["rule"].items():
        mask = np.ones(n, dtype=bool) if text == "all customers" else X.eval(text).to_numpy()
        assert np.array_equal(mask, (ids == rule_id).to_numpy()), text


# ------------------------------------------------------------------ bad input


def test_bad_input():
    X, y, _ = _planted(300)
    with pytest.raises(SchemaError, match="churn column 'churned' not found"):
        churn_rules(X)
    with pytest.raises(SchemaError, match="must be binary"):
        churn_rules(X, y * 2)
    with pytest.raises(SchemaError, match="one class"):
        churn_rules(X, np.zeros(len(X), dtype=int))
    nan = X.copy()
    nan.iloc[0, 0] = np.nan
    with pytest.raises(SchemaError, match="recency_days.*missing"):
        churn_rules(nan, y, features=["recency_days", "frequency"])
    with pytest.warns(DataWarning, match="'recency_days' have missing values"):
        rules = churn_rules(nan, y, random_state=0)
    assert not rules.table["rule"].str.contains("recency_days").any()
    with pytest.raises(SchemaError, match="feature column.*'freq' not found"):
        churn_rules(X, y, features=["freq"])
    with pytest.raises(SchemaError, match="300 rows"):
        churn_rules(X, y[:10])
    with pytest.raises(SchemaError, match="duplicated"):
        churn_rules(pd.concat([X, X.head(2)]), pd.concat([y, y.head(2)]))
    with pytest.raises(SchemaError, match="too few customers"):
        churn_rules(X.head(3), [0, 1, 1])
    with pytest.raises(ValueError, match="max_depth"):
        ChurnRules(max_depth=0).fit(X, y)
    with pytest.raises(TypeError):
        churn_rules(X.to_numpy(), y)
    before = X.copy()
    churn_rules(X, y, random_state=0)
    pd.testing.assert_frame_equal(X, before)


def test_polars_input_read_by_name_and_same_seed_same_rules():
    pl = pytest.importorskip("polars")
    X, y, _ = _planted(600, seed=3)
    a = churn_rules(X.assign(churned=y), random_state=5)
    b = churn_rules(pl.from_pandas(X.assign(churned=y)), random_state=5)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_plot_churn_rules():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from crmine.plotting import plot_churn_rules

    X, y, _ = _planted(800)
    rules = churn_rules(X, y, max_depth=2, random_state=0)
    fig, ax = plt.subplots()
    assert plot_churn_rules(rules, ax=ax) is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ticks = list(ax.get_yticks())
    top = labels[int(np.argmax(ticks))]
    assert top == rules.table["rule"].iloc[0]  # highest churn rate on top
    assert rules.plot(ax=ax) is ax
    plt.close(fig)


# ------------------------------------------------------------------ churn_scores


def test_churn_scores_out_of_fold_and_on_new_customers():
    X, y, risky = _planted(1200, seed=2)
    scores = churn_scores(X.assign(churned=y), random_state=0)
    assert scores.index.equals(X.index)
    assert list(scores.columns) == ["churn_probability", "risk_bin"]
    assert roc_auc_score(y, scores["churn_probability"]) > 0.7
    assert sorted(scores["risk_bin"].unique()) == list(range(1, 11))
    top = scores["risk_bin"] == 1
    assert scores.loc[top, "churn_probability"].min() >= scores.loc[~top, "churn_probability"].max()
    # same seed, same scores
    again = churn_scores(X.assign(churned=y), random_state=0)
    pd.testing.assert_frame_equal(scores, again)
    new = X.head(5).rename(index=lambda i: f"new-{i}")
    out = churn_scores(X, y, new_customers=new, random_state=0, n_bins=5)
    assert (
        list(out.index) == list(new.index)
        and out["risk_bin"].tolist() == sorted(out["risk_bin"])
        or set(out["risk_bin"]) == set(range(1, 6))
    )


def test_churn_scores_bad_input():
    X, y, _ = _planted(200)
    with pytest.raises(SchemaError, match="churn column 'churned' not found"):
        churn_scores(X)
    with pytest.raises(SchemaError, match="at least cv=5"):
        churn_scores(X.head(6), y.head(6))
    with pytest.raises(SchemaError, match="n_bins"):
        churn_scores(X, y, n_bins=0)
    with pytest.raises(SchemaError, match="must be binary"):
        churn_scores(X, y.astype(str))
