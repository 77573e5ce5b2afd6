"""Tests of crmine.campaign._multiarm: several treatment arms against one control."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from crmine.campaign import (
    TwoModelUplift,
    qini_auc_score,
    response_summary,
    uplift_auc_score,
)
from crmine.campaign._multiarm import (
    MultiArmUplift,
    arm_policy_value,
    multiarm_uplift,
    qini_by_arm,
)
from crmine.campaign._multiarm_budget import ArmAllocation, allocate_arms
from crmine.exceptions import SchemaError


def _planted(n=4000, seed=0):
    """Arm 'mail' helps x > 0, arm 'sms' helps x < 0, control 'none'."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    arm = rng.choice(np.array(["none", "mail", "sms"], dtype=object), n)
    p = 0.1 + 0.3 * ((arm == "mail") & (x > 0)) + 0.3 * ((arm == "sms") & (x < 0))
    y = (rng.random(n) < p).astype(int)
    X = pd.DataFrame({"x": x, "noise": rng.normal(size=n)},
                     index=pd.Index(np.arange(n) + 100, name="customer_id"))
    return X, y, arm


# ----------------------------------------------------------------------------- known answers


def test_per_arm_models_equal_two_model_on_subsets():
    X, y, arm = _planted(1500)
    model = MultiArmUplift(control="none").fit(X, y, arm)
    assert model.arms_ == ["mail", "sms"]
    u = model.predict(X)
    assert list(u.columns) == ["mail", "sms"] and (u.index == X.index).all()
    for label in ("mail", "sms"):
        rows = (arm == "none") | (arm == label)
        single = TwoModelUplift().fit(X.to_numpy()[rows], y[rows], (arm[rows] == label).astype(int))
        np.testing.assert_allclose(u[label].to_numpy(), single.predict(X.to_numpy()))


def test_qini_by_arm_equals_single_arm_functions():
    X, y, arm = _planted(1500, seed=2)
    u = MultiArmUplift(control="none").fit(X, y, arm).predict(X)
    table = qini_by_arm(y, u, arm, control="none")
    for label in ("mail", "sms"):
        rows = (arm == "none") | (arm == label)
        t = (arm[rows] == label).astype(int)
        assert table.loc[label, "qini_auc"] == pytest.approx(
            qini_auc_score(y[rows], u[label].to_numpy()[rows], t)
        )
        assert table.loc[label, "uplift_auc"] == pytest.approx(
            uplift_auc_score(y[rows], u[label].to_numpy()[rows], t)
        )
        assert table.loc[label, "uplift"] == pytest.approx(
            y[arm == label].mean() - y[arm == "none"].mean()
        )
        assert table.loc[label, "customers"] == (arm == label).sum()


def test_allocation_hand_example_and_brute_force():
    u = pd.DataFrame({"mail": [0.10, 0.02, 0.05], "sms": [0.04, 0.08, 0.01]})
    res = allocate_arms(u, {"mail": 1.0, "sms": 0.5}, 20.0, control="none")
    assert isinstance(res, ArmAllocation)
    assert res.table["arm"].tolist() == ["mail", "sms", "none"]
    assert res.expected_profit == pytest.approx(2.1)
    per = res.per_arm()
    assert per.loc["mail", "customers"] == 1 and per.loc["none", "cost"] == 0
    tight = allocate_arms(u, {"mail": 1.0, "sms": 0.5}, 20.0, budget=1.0, control="none")
    assert tight.cost <= 1.0 and tight.expected_profit == pytest.approx(1.4)


def _brute(u, c, v, budget):
    best = 0.0
    n, m = u.shape
    for choice in itertools.product(range(m + 1), repeat=n):
        cost = sum(c[a - 1] for a in choice if a)
        if budget is not None and cost > budget + 1e-9:
            continue
        best = max(best, sum(v * u[i, a - 1] - c[a - 1] for i, a in enumerate(choice) if a))
    return best


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-0.2, 0.5), st.floats(-0.2, 0.5)), min_size=1, max_size=5),
    st.floats(0.1, 3.0),
    st.floats(0.1, 3.0),
    st.one_of(st.none(), st.floats(0.0, 8.0)),
)
def test_allocation_properties(rows, c1, c2, budget):
    u = pd.DataFrame(rows, columns=["a", "b"])
    res = allocate_arms(u, {"a": c1, "b": c2}, 10.0, budget=budget)
    best = _brute(u.to_numpy(), [c1, c2], 10.0, budget)
    if budget is None:
        assert res.expected_profit == pytest.approx(best, abs=1e-9)
    else:
        assert res.cost <= budget + 1e-9
        assert res.expected_profit <= best + 1e-9
    assert (res.table["expected_profit"] >= -1e-12).all()


def test_policy_value_hand_example():
    y = [1, 0, 1, 1, 0, 0, 1, 0]
    arm = ["a", "a", "b", "b", "c", "c", "a", "b"]
    rec = ["a", "b", "b", "a", "c", "a", "a", "c"]
    out = arm_policy_value(y, rec, arm, control="c")
    assert out.loc["policy", "response_rate"] == pytest.approx(0.75)
    assert out.loc["policy", "share_contacted"] == pytest.approx(0.75)
    assert out.loc["all a", "uplift_vs_control"] == pytest.approx(2 / 3)


# ----------------------------------------------------------------------------- planted truth


def test_planted_best_arm_and_policy():
    X, y, arm = _planted(6000, seed=1)
    train = np.arange(len(y)) % 2 == 0
    model = MultiArmUplift(control="none").fit(X[train], y[train], arm[train])
    best = model.best_arm(X[~train])
    truth = np.where(X[~train]["x"] > 0, "mail", "sms")
    assert (best.to_numpy() == truth).mean() > 0.9
    table = qini_by_arm(y[~train], model.predict(X[~train]), arm[~train], control="none")
    assert (table["qini_auc"] > 0.2).all()
    value = arm_policy_value(y[~train], best, arm[~train], control="none")
    # the policy (each customer the arm that helps them) beats every single arm
    assert value.loc["policy", "response_rate"] > value.loc["all mail", "response_rate"] + 0.05
    assert value.loc["policy", "response_rate"] > value.loc["all sms", "response_rate"] + 0.05


def test_one_liner_and_sklearn_protocol():
    X, y, arm = _planted(1200, seed=4)
    df = X.assign(arm=arm, response=y)
    out = multiarm_uplift(df, ["x", "noise"], control="none")
    assert list(out.columns) == ["uplift_mail", "uplift_sms", "best_arm"]
    assert (out.index == X.index).all()
    model = MultiArmUplift(estimator=LogisticRegression(C=0.5), control="none")
    assert clone(model).get_params()["control"] == "none"
    model.fit(X, y, arm)
    again = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(again.predict(X), model.predict(X))
    pl = pytest.importorskip("polars")
    out_pl = multiarm_uplift(pl.from_pandas(df.reset_index()), ["x", "noise"], control="none")
    np.testing.assert_allclose(out_pl["uplift_mail"].to_numpy(), out["uplift_mail"].to_numpy())


# ----------------------------------------------------------------------------- public data


@pytest.mark.public_data
def test_hillstrom_two_email_arms():
    from conftest import shared_dataset

    from crmine.datasets import load_hillstrom

    folder = shared_dataset("hillstrom")
    df = load_hillstrom(next(folder.glob("*.csv")))
    X = pd.get_dummies(
        df[["recency", "history", "mens", "womens", "newbie", "zip_code", "channel"]],
        columns=["zip_code", "channel"], dtype=float,
    )
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y, arm = df["visit"].to_numpy(), df["segment"].to_numpy(dtype=object)
    rng = np.random.default_rng(0)
    train = rng.random(len(df)) < 0.5
    base = make_pipeline(StandardScaler(), LogisticRegression())
    model = MultiArmUplift(estimator=base, control="No E-Mail").fit(X[train], y[train], arm[train])
    u = model.predict(X[~train])
    table = qini_by_arm(y[~train], u, arm[~train], control="No E-Mail")
    summary = response_summary(df.loc[~train], "segment", "visit", control="No E-Mail").table
    for label in ("Mens E-Mail", "Womens E-Mail"):
        assert table.loc[label, "uplift"] == pytest.approx(summary.loc[label, "lift_abs"])
        rows = ~train & ((arm == "No E-Mail") | (arm == label))
        single = TwoModelUplift(estimator=base).fit(
            X.to_numpy()[train & ((arm == "No E-Mail") | (arm == label))],
            y[train & ((arm == "No E-Mail") | (arm == label))],
            (arm[train & ((arm == "No E-Mail") | (arm == label))] == label).astype(int),
        )
        q = qini_auc_score(y[rows], single.predict(X.to_numpy()[rows]), (arm[rows] == label))
        # the same fits, up to lbfgs's tolerance on differently laid-out arrays
        assert table.loc[label, "qini_auc"] == pytest.approx(q, rel=1e-3)
    # published rates: visits 18.3% (men's), 15.1% (women's), 10.6% (no e-mail)
    assert table.loc["Mens E-Mail", "uplift"] == pytest.approx(0.0766, abs=0.01)
    assert table.loc["Womens E-Mail", "uplift"] == pytest.approx(0.0452, abs=0.01)
    alloc = allocate_arms(u, 0.1, 2.0, budget=1000.0, control="No E-Mail")
    assert alloc.cost <= 1000.0 and alloc.contacted > 0
    assert set(alloc.table["arm"]) <= {"Mens E-Mail", "Womens E-Mail", "No E-Mail"}


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs():
    X, y, arm = _planted(300)
    with pytest.raises(SchemaError, match="control"):
        MultiArmUplift(control="holdout").fit(X, y, arm)
    with pytest.raises(SchemaError, match="only the control"):
        MultiArmUplift(control="none").fit(X, y, np.full(len(y), "none", dtype=object))
    bad_arm = arm.copy()
    bad_arm[3] = None
    with pytest.raises(SchemaError, match="missing"):
        MultiArmUplift(control="none").fit(X, y, bad_arm)
    with pytest.raises(SchemaError, match="entries"):
        MultiArmUplift(control="none").fit(X, y, arm[:-1])
    Xn = X.copy()
    Xn.iloc[0, 0] = np.nan
    with pytest.raises(ValueError):
        MultiArmUplift(control="none").fit(Xn, y, arm)
    with pytest.raises(SchemaError, match="binary"):
        qini_by_arm(y * 2, pd.DataFrame({"mail": y, "sms": y}), arm, control="none")
    with pytest.raises(SchemaError, match="no column"):
        qini_by_arm(y, pd.DataFrame({"mail": y}), arm, control="none")
    with pytest.raises(TypeError):
        qini_by_arm(y, y, arm, control="none")
    u = pd.DataFrame({"a": [0.1, 0.2]})
    with pytest.raises(SchemaError, match="cost_per_contact"):
        allocate_arms(u, -1.0, 5.0)
    with pytest.raises(SchemaError, match="no cost"):
        allocate_arms(u, {"b": 1.0}, 5.0)
    with pytest.raises(SchemaError, match="budget"):
        allocate_arms(u, 1.0, 5.0, budget=-3)
    with pytest.raises(SchemaError, match="non-empty"):
        allocate_arms(u.iloc[:0], 1.0, 5.0)
    with pytest.raises(SchemaError, match="infinite"):
        allocate_arms(pd.DataFrame({"a": [np.inf]}), 1.0, 5.0)
    with pytest.raises(SchemaError, match="not in treatment"):
        arm_policy_value(y, np.full(len(y), "fax", dtype=object), arm, control="none")
    df = X.assign(arm=arm, response=y)
    with pytest.raises(SchemaError, match="arm_col"):
        multiarm_uplift(df.drop(columns="arm"), ["x"], control="none")
    with pytest.raises(SchemaError, match="missing"):
        multiarm_uplift(df.assign(x=np.nan), ["x"], control="none")
    before = df.copy()
    multiarm_uplift(df, ["x"], control="none")
    pd.testing.assert_frame_equal(df, before)


def test_qini_by_arm_matches_scikit_uplift():
    sklift = pytest.importorskip("sklift.metrics")
    X, y, arm = _planted(1500, seed=7)
    u = MultiArmUplift(control="none").fit(X, y, arm).predict(X)
    table = qini_by_arm(y, u, arm, control="none")
    for label in ("mail", "sms"):
        rows = (arm == "none") | (arm == label)
        t = (arm[rows] == label).astype(int)
        score = u[label].to_numpy()[rows]
        assert table.loc[label, "qini_auc"] == pytest.approx(
            sklift.qini_auc_score(y[rows], score, t)
        )
        assert table.loc[label, "uplift_auc"] == pytest.approx(
            sklift.uplift_auc_score(y[rows], score, t)
        )
