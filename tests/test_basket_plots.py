"""Smoke and content tests of the basket plots."""

from __future__ import annotations

import numpy as np
import pytest

from crmine.basket import apriori, association_rules

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

BASKETS = [["beer", "diapers"], ["beer", "diapers", "chips"], ["chips"], ["milk", "chips"]] * 3


@pytest.fixture
def rules():
    return association_rules(apriori(BASKETS, min_support=0.2), "lift", 0.0)


def test_rules_scatter_and_top_rules(rules):
    import matplotlib.pyplot as plt

    from crmine.plotting import plot_rules_scatter, plot_top_rules

    ax = plot_rules_scatter(rules, annotate=2)
    assert len(ax.collections[0].get_offsets()) == len(rules)
    assert ax.get_xlabel() == "support" and ax.get_ylabel() == "confidence"
    fig, ax2 = plt.subplots()
    assert plot_top_rules(rules, n=3, ax=ax2) is ax2
    labels = [t.get_text() for t in ax2.get_yticklabels()]
    assert len(labels) == 3
    # the highest-lift rule is drawn last (top bar)
    assert "beer" in labels[-1] and "diapers" in labels[-1]
    plt.close("all")


def test_cooccurrence_values():
    import matplotlib.pyplot as plt

    from crmine.plotting import plot_item_cooccurrence

    ax = plot_item_cooccurrence(BASKETS, items=["beer", "diapers", "milk"], measure="lift")
    values = ax.images[0].get_array()
    # beer & diapers: 6 of 12 baskets each, together 6: lift 12*6/(6*6) = 2
    assert values[0, 1] == pytest.approx(2.0)
    assert np.ma.is_masked(values[0, 0]) or np.isnan(values[0, 0])
    with pytest.raises(ValueError, match="not in the baskets"):
        plot_item_cooccurrence(BASKETS, items=["caviar"])
    with pytest.raises(ValueError, match="measure"):
        plot_item_cooccurrence(BASKETS, measure="chi2")
    plt.close("all")
