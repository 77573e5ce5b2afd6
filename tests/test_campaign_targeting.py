"""Tests of crmine.campaign targeting (profit and budget)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine.campaign import campaign_profit
from crmine.exceptions import SchemaError


def test_profit_hand_computed():
    score = [0.9, 0.8, 0.7, 0.6, 0.1]
    y = [1, 0, 1, 1, 0]
    # profit(k) = 5 * responders(k) - 2 * k: k=0..5 -> 0, 3, 1, 4, 7, 5
    res = campaign_profit(y, score, cost_per_contact=2.0, value_per_response=5.0)
    assert res.curve["profit"].tolist() == [0, 3, 1, 4, 7, 5]
    assert res.contacted == 4 and res.profit == 7.0 and res.responders == 3
    assert res.depth == pytest.approx(0.8)
    assert res.cost == 8.0 and res.revenue == 15.0
    assert res.min_score == 0.6
    assert not res.budget_binding
    # budget 6 allows at most 3 contacts -> best is k=3 (profit 4)
    res = campaign_profit(y, score, cost_per_contact=2.0, value_per_response=5.0, budget=6.0)
    assert res.contacted == 3 and res.profit == 4.0 and res.budget_binding
    assert res.curve["within_budget"].tolist() == [True, True, True, True, False, False]
    # when contacting is never worth it, contact nobody
    res = campaign_profit(y, score, cost_per_contact=10.0, value_per_response=5.0)
    assert res.contacted == 0 and res.profit == 0.0 and np.isnan(res.min_score)


def test_scores_are_not_mutated_and_order_matters():
    score = np.array([0.1, 0.9, 0.5])
    y = np.array([0, 1, 1])
    res = campaign_profit(y, score, cost_per_contact=1.0, value_per_response=3.0)
    assert score.tolist() == [0.1, 0.9, 0.5]
    assert res.curve["positives"].tolist() == [0, 1, 2, 2]


def test_old_argument_order_is_read_with_a_future_warning():
    score = [0.9, 0.8, 0.7, 0.6, 0.1]
    y = [1, 0, 1, 1, 0]
    with pytest.warns(FutureWarning, match="old argument order"):
        with pytest.warns(FutureWarning, match="money by keyword"):
            old = campaign_profit(score, y, 2.0, 5.0)
    new = campaign_profit(y, score, cost_per_contact=2.0, value_per_response=5.0)
    assert (old.contacted, old.profit) == (new.contacted, new.profit) == (4, 7.0)
    from crmine.campaign import incremental_profit

    with pytest.warns(FutureWarning, match="old argument order"):
        old = incremental_profit(
            [0.4, 0.3, 0.2, 0.1],
            [1, 0, 0, 1],
            [1, 0, 1, 0],
            cost_per_contact=0.2,
            value_per_response=1.0,
        )
    assert old.contacted == 2


@settings(max_examples=40, deadline=None)
@given(
    y=st.lists(st.integers(0, 1), min_size=1, max_size=60),
    cost=st.floats(0, 5),
    value=st.floats(0, 20),
    budget=st.one_of(st.none(), st.floats(0, 100)),
)
def test_optimum_is_best_within_budget(y, cost, value, budget):
    rng = np.random.default_rng(len(y))
    score = rng.random(len(y))
    res = campaign_profit(y, score, cost_per_contact=cost, value_per_response=value, budget=budget)
    allowed = res.curve[res.curve["within_budget"]]
    assert res.profit == pytest.approx(allowed["profit"].max())
    assert res.profit >= 0  # contacting nobody is always allowed
    if budget is not None:
        assert res.cost <= budget + 1e-6


def test_bad_inputs():
    with pytest.raises(SchemaError, match="budget"):
        campaign_profit([1, 0], [0.2, 0.1], cost_per_contact=1.0, value_per_response=2.0, budget=-1)
    with pytest.raises(SchemaError):
        campaign_profit([1, 2], [0.2, 0.1], cost_per_contact=1.0, value_per_response=2.0)
    with pytest.raises(SchemaError):
        campaign_profit([1, 0], [0.2, 0.1], cost_per_contact=-1.0, value_per_response=2.0)
    with pytest.raises(SchemaError):
        campaign_profit([1, 0], [0.2, np.nan], cost_per_contact=1.0, value_per_response=2.0)


def test_incremental_profit_hand_computed():
    from crmine.campaign import incremental_profit

    # uplift curve of the 4-customer example: [0, 1, 2, 1.5, 0] incremental responders;
    # profit(k) = 1.0 * curve - 0.2 * k = [0, 0.8, 1.6, 0.9, -0.8]
    res = incremental_profit(
        [1, 0, 0, 1],
        [0.4, 0.3, 0.2, 0.1],
        [1, 0, 1, 0],
        cost_per_contact=0.2,
        value_per_response=1.0,
    )
    np.testing.assert_allclose(res.curve["profit"], [0, 0.8, 1.6, 0.9, -0.8])
    assert res.contacted == 2 and res.responders == pytest.approx(2.0)
    assert res.min_score == 0.3
    # budget 0.3 allows one contact only
    res = incremental_profit(
        [1, 0, 0, 1],
        [0.4, 0.3, 0.2, 0.1],
        [1, 0, 1, 0],
        cost_per_contact=0.2,
        value_per_response=1.0,
        budget=0.3,
    )
    assert res.contacted == 1 and res.profit == pytest.approx(0.8) and res.budget_binding
    with pytest.raises(SchemaError, match="cost_per_contact"):
        incremental_profit(
            [1, 0], [0.4, 0.3], [1, 0], cost_per_contact=-1.0, value_per_response=1.0
        )
