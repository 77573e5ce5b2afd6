"""Planted-ground-truth tests of crmine.campaign on make_retail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression

from crmine.campaign import (
    ClassTransformationUplift,
    TwoModelUplift,
    campaign_profit,
    incremental_profit,
    qini_auc_score,
    random_qini_band,
    response_summary,
)
from crmine.datasets import make_retail


@pytest.fixture(scope="module")
def retail():
    data = make_retail(n_customers=8000, random_state=0)
    c = data.campaign.set_index("customer_id").join(
        data.customers[["age", "gender", "region", "channel"]]
    )
    X = pd.get_dummies(c[["age", "gender", "region", "channel"]], dtype=float)
    return c, X.to_numpy()


def test_response_summary_covers_planted_effect(retail):
    c, _ = retail
    s = response_summary(c, "treatment", "response", control=0, value_col="revenue")
    t = s.table
    treated = c[c["treatment"] == 1]
    # planted average effect on the treated and its incremental responders
    true_ate = treated["true_uplift"].mean()
    assert t.loc[1, "lift_abs_low"] < true_ate < t.loc[1, "lift_abs_high"]
    assert (
        t.loc[1, "incremental_responders_low"]
        < treated["true_uplift"].sum()
        < t.loc[1, "incremental_responders_high"]
    )
    assert t.loc[1, "significant"]
    assert not s.srm.mismatch  # randomised 50/50 by construction
    # the planted control rate is inside the Wilson interval of the control arm
    p0 = c.loc[c["treatment"] == 0, "true_p_control"].mean()
    assert t.loc[0, "response_rate_low"] < p0 < t.loc[0, "response_rate_high"]


@pytest.mark.parametrize(
    ("model", "min_share"),
    [
        (TwoModelUplift(estimator=LogisticRegression(max_iter=1000)), 0.7),
        (ClassTransformationUplift(), 0.4),
    ],
)
def test_planted_uplift_recovered(retail, model, min_share):
    c, X = retail
    u = model.fit(X, c["response"].to_numpy(), c["treatment"].to_numpy()).predict(X)
    tau = c["true_uplift"].to_numpy()
    top = u >= np.quantile(u, 0.9)
    # the top decile by the model holds the customers with the largest true uplift:
    # planted uplift >= 0.15 (age < 35) for 22% of customers overall
    assert (tau[top] >= 0.15).mean() >= min_share
    assert tau[top].mean() >= np.quantile(tau, 0.9) - 0.01
    assert tau[top].mean() > 1.8 * tau.mean()
    assert stats.spearmanr(u, tau).statistic > 0.6


def test_true_uplift_qini_beats_random_band(retail):
    c, _ = retail
    y, t = c["response"].to_numpy(), c["treatment"].to_numpy()
    band = random_qini_band(y, t, n_permutations=50, random_state=0)
    assert qini_auc_score(y, c["true_uplift"].to_numpy(), t) > band.high


def test_profit_prefers_planted_responders(retail):
    c, _ = retail
    treated = c[c["treatment"] == 1]
    y = treated["response"].to_numpy()
    # ranking by the planted response probability earns more than a random ranking
    money = {"cost_per_contact": 1.0, "value_per_response": 20.0}
    good = campaign_profit(y, treated["true_p_treated"].to_numpy(), **money)
    rnd = campaign_profit(y, np.random.default_rng(0).random(len(y)), **money)
    assert good.profit > rnd.profit


def test_incremental_profit_prefers_planted_uplift(retail):
    c, _ = retail
    y, t = c["response"].to_numpy(), c["treatment"].to_numpy()
    tau = c["true_uplift"].to_numpy()
    # contact cost 2, response worth 20: only customers with uplift > 0.1 pay off
    money = {"cost_per_contact": 2.0, "value_per_response": 20.0}
    good = incremental_profit(y, tau, t, **money)
    rnd = incremental_profit(y, np.random.default_rng(0).random(len(y)), t, **money)
    assert good.profit > rnd.profit
    assert good.profit > 0
    # the optimum contacts mostly the planted high-uplift customers (uplift >= 0.11)
    assert 0.1 < good.depth < 0.6


def test_uplift_scores_one_liner_recovers_planted_uplift(retail):
    from crmine.campaign import uplift_scores

    c, X = retail
    table = pd.DataFrame(X, index=c.index).add_prefix("x").assign(
        response=c["response"], treatment=c["treatment"]
    )
    scores = uplift_scores(table, estimator=LogisticRegression(max_iter=1000))
    assert scores.index.equals(c.index) and scores.index.name == "customer_id"
    tau = c["true_uplift"]
    top = scores["uplift"] >= scores["uplift"].quantile(0.9)
    assert (tau[top] >= 0.15).mean() >= 0.7
    assert stats.spearmanr(scores["uplift"], tau).statistic > 0.6
