"""Golden numbers on the public UCI Online Retail data (skipped when the file is absent).

Standard cleaning (see ../shared/datasets/online_retail/SOURCE.md): drop rows without
CustomerID, invoices starting with "C", non-positive quantity or price -> 397,884 rows,
4,338 customers, revenue 8,911,407.904.  Aggregated here with plain pandas so that the test
does not depend on crmine's own feature code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmine.value import RFMScorer, ValueTierClassifier, pareto_table, top_share

pytestmark = pytest.mark.public_data


@pytest.fixture(scope="module")
def rfm():
    pytest.importorskip("pyarrow")
    path = shared_dataset("online_retail") / "online_retail.parquet"
    if not path.exists():
        pytest.skip(f"{path} not present")
    raw = pd.read_parquet(
        path, columns=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
    )
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].astype(str).str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    d = raw.loc[keep].assign(
        customer_id=lambda x: x["CustomerID"].astype("int64"),
        amount=lambda x: x["Quantity"] * x["UnitPrice"],
    )
    cutoff = d["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
    g = d.groupby("customer_id")
    return pd.DataFrame(
        {
            "recency_days": (cutoff - g["InvoiceDate"].max()).dt.days,
            "frequency": g["InvoiceNo"].nunique(),
            "monetary_total": g["amount"].sum(),
        }
    )


def test_top_1_percent_hold_31_8_percent_of_revenue(rfm):
    m = rfm["monetary_total"]
    assert len(m) == 4338
    assert m.sum() == pytest.approx(8_911_407.904, rel=1e-9)
    assert top_share(m, 0.01) == pytest.approx(0.318, abs=0.001)
    # the pyramid's VIP tier is that same top 1% (43 customers, no tie at the cut)
    clf = ValueTierClassifier().fit(rfm)
    assert clf.summary_.loc["VIP", "customers"] == 43
    assert clf.summary_.loc["VIP", "value_share"] == pytest.approx(0.318, abs=0.001)
    assert pareto_table(m, tops=[0.2]).loc[0.2, "value_share"] > 0.7


def test_rfm_scores_equal_the_pandas_recipe_despite_heavy_ties(rfm):
    # a third of the customers bought once: pd.qcut on raw frequencies fails
    assert (rfm["frequency"] == 1).mean() > 0.3
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(rfm["frequency"], 5)
    out = RFMScorer().fit_transform(rfm)
    Xs = rfm.sort_index()
    for col, key in (
        ("r_score", -Xs["recency_days"]),
        ("f_score", Xs["frequency"]),
        ("m_score", Xs["monetary_total"]),
    ):
        expected = pd.qcut(key.rank(method="first"), 5, labels=False) + 1
        np.testing.assert_array_equal(out[col].to_numpy(), expected.loc[rfm.index].to_numpy())
    # quantile groups of (almost) equal size
    counts = out["f_score"].value_counts()
    assert counts.max() - counts.min() <= 1
    summary = RFMScorer().fit(rfm).segment_summary(rfm)
    assert summary["customers"].sum() == 4338
    assert summary["revenue_share"].sum() == pytest.approx(1.0)


def test_edges_learned_on_one_half_score_the_other_half(rfm):
    # two random halves of the same customers: edges learned on one give the other half
    # roughly equal score groups, monotone in value, clipped beyond the learned range
    half = rfm.sample(frac=0.5, random_state=1)
    other = rfm.drop(half.index)
    out = RFMScorer().fit(half).transform(other)
    for col in ("r_score", "f_score", "m_score"):
        shares = out[col].value_counts(normalize=True).reindex(range(1, 6), fill_value=0)
        assert shares.between(0.15, 0.25).all(), (col, shares.tolist())
    g = out.groupby("monetary_total")["m_score"]
    assert (g.min().to_numpy()[1:] >= g.max().to_numpy()[:-1]).all()
    above = other["monetary_total"] > half["monetary_total"].max()
    assert (out.loc[above, "m_score"] == 5).all()
