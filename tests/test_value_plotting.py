"""Value plots: each takes ax=, draws on it and returns it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from crmine import plotting  # noqa: E402
from crmine.value import RFMScorer, ValueTierClassifier, tier_migration  # noqa: E402


@pytest.fixture
def customers():
    rng = np.random.default_rng(0)
    n = 300
    return pd.DataFrame(
        {
            "recency_days": rng.integers(0, 365, n),
            "frequency": rng.poisson(2, n) + 1,
            "monetary_total": rng.lognormal(4, 1.2, n),
        },
        index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"),
    )


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_rfm_heatmap_counts_customers(customers):
    scored = RFMScorer().fit_transform(customers)
    fig, ax = plt.subplots()
    out = plotting.plot_rfm_heatmap(scored, ax=ax)
    assert out is ax
    data = ax.images[0].get_array()
    assert data.shape == (5, 5) and data.sum() == len(customers)
    # top row of the image is R = 5; the cell (R=5, F=5) counts those customers
    expected = ((scored["r_score"] == 5) & (scored["f_score"] == 5)).sum()
    assert data[0, 4] == expected
    texts = {t.get_text() for t in ax.texts}
    assert "Champions" in texts and "Hibernating" in texts
    ax2 = plotting.plot_rfm_heatmap(scored, value_col="monetary_total", show_segments=False)
    assert ax2.images[0].get_array().shape == (5, 5)


def test_customer_pyramid(customers):
    clf = ValueTierClassifier().fit(customers)
    fig, ax = plt.subplots()
    assert plotting.plot_customer_pyramid(clf, ax=ax) is ax
    assert len(ax.patches) == 4
    assert any(t.get_text().startswith("VIP\n1.0% of customers") for t in ax.texts)
    assert plotting.plot_customer_pyramid(clf.summary_) is not None


def test_lorenz_curve(customers):
    fig, ax = plt.subplots()
    assert plotting.plot_lorenz_curve(customers["monetary_total"], ax=ax, mark=0.2) is ax
    x, y = ax.lines[0].get_data()
    assert x[0] == 0 and x[-1] == 1 and y[-1] == pytest.approx(1.0)


def test_migration_heatmap(customers):
    clf = ValueTierClassifier().fit(customers)
    later = customers.iloc[:250].assign(monetary_total=lambda d: d["monetary_total"] * 1.1)
    m = tier_migration(clf.predict(customers), clf.predict(later))
    fig, ax = plt.subplots()
    assert plotting.plot_migration_heatmap(m, ax=ax) is ax
    assert ax.images[0].get_array().shape == m.matrix.shape
    ax2 = plotting.plot_migration_heatmap(m.matrix, normalize=True)
    assert np.nanmax(ax2.images[0].get_array()) <= 1.0


def test_bad_input():
    with pytest.raises(ValueError, match="r_score"):
        plotting.plot_rfm_heatmap(pd.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="customer_share"):
        plotting.plot_customer_pyramid(pd.DataFrame({"x": [1]}))
