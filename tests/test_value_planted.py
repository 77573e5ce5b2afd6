"""Planted ground truth: crmine.datasets.make_retail -> TransactionFeatures -> value analysis.

make_retail plants five segments (see its docstring): ``champions`` (10%, buy every
~9 days, 3 extra units per line), ``loyal``, ``new`` (first purchase in the last 75
days), ``lapsed`` (stop buying for good between days 220 and 330 of a 730-day log)
and ``occasional``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmine.datasets import make_retail
from crmine.features import TransactionFeatures, rfm_table
from crmine.value import RFMScorer, ValueTierClassifier, gini, tier_migration


@pytest.fixture(scope="module")
def retail():
    data = make_retail(n_customers=600, random_state=7)
    customers = TransactionFeatures().fit_transform(data.transactions)
    truth = data.customers["segment"].reindex(customers.index)
    return data, customers, truth


def test_champions_fill_the_top_tiers(retail):
    _, customers, truth = retail
    clf = ValueTierClassifier().fit(customers)
    tiers = clf.predict(customers)
    top = truth[tiers.isin(["VIP", "major"])]
    # VIP + major = 5% of customers; planted champions are 10% and spend most
    assert len(top) == 30
    assert (top == "champions").mean() >= 0.9
    assert (truth[tiers == "VIP"] == "champions").all()
    # and nobody planted as new or occasional reaches them
    assert not top.isin(["new", "occasional"]).any()


def test_rfm_segments_recover_planted_segments(retail):
    _, customers, truth = retail
    scored = RFMScorer().fit_transform(customers)
    seg = scored["segment"].astype(str)
    champions = seg[truth == "champions"]
    assert champions.isin(["Champions", "Loyal Customers"]).mean() >= 0.9
    lapsed = scored[truth == "lapsed"]
    # stopped buying a year or more before the end -> the lowest recency scores
    assert (lapsed["r_score"] <= 2).mean() >= 0.95
    assert seg[truth == "lapsed"].isin(["Hibernating", "At Risk", "Can't Lose Them"]).mean() >= 0.95
    new = scored[truth == "new"]
    # recent first purchase, few orders
    assert (new["f_score"] <= 2).mean() >= 0.9
    assert (new["r_score"] >= 3).mean() >= 0.95
    # the Champions segment holds the largest revenue share
    summary = RFMScorer().fit(customers).segment_summary(customers)
    assert summary["revenue_share"].idxmax() == "Champions"


def test_rfm_table_and_features_agree(retail):
    data, customers, _ = retail
    rfm = rfm_table(data.transactions)
    a = RFMScorer().fit_transform(rfm)
    b = RFMScorer().fit_transform(customers)
    pd.testing.assert_series_equal(a["segment"], b["segment"].loc[a.index])


def test_value_is_concentrated_and_lapsed_customers_are_lost(retail):
    data, _, truth = retail
    log = data.transactions
    mid = data.start + (data.end - data.start) / 2
    first = TransactionFeatures(cutoff=mid).fit_transform(log)
    second = TransactionFeatures().fit_transform(log[log["timestamp"] >= mid])
    clf = ValueTierClassifier().fit(first)
    m = tier_migration(clf.predict(first), clf.predict(second))
    lost = m.moves.index[m.moves["change"] == "lost"]
    new = m.moves.index[m.moves["change"] == "new"]
    # planted lapsed customers stop buying before the second half of the log
    assert (truth.reindex(lost) == "lapsed").mean() >= 0.9
    assert (truth.reindex(new) == "new").mean() >= 0.9
    assert gini(first["monetary_total"]) > 0.4
