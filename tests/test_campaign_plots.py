"""Smoke tests of the campaign figures (matplotlib, Agg backend)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.campaign import campaign_profit, response_summary

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from crmine import plotting  # noqa: E402


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n = 600
    t = rng.integers(0, 2, n)
    u = rng.random(n)
    y = (rng.random(n) < 0.1 + 0.2 * t * u).astype(int)
    return y, u, t


def test_all_plots_draw_on_given_axes(data):
    y, u, t = data
    df = pd.DataFrame({"arm": np.where(t == 1, "mail", "none"), "y": y, "rev": 10.0 * y})
    summary = response_summary(df, "arm", "y", control="none", value_col="rev")
    fig, axes = plt.subplots(2, 4)
    axes = axes.ravel()
    assert plotting.plot_arm_comparison(summary, ax=axes[0]) is axes[0]
    assert plotting.plot_arm_comparison(summary.table, metric="lift_abs", ax=axes[1]) is axes[1]
    assert plotting.plot_response_gains(y, u, ax=axes[2]) is axes[2]
    assert plotting.plot_response_gains(y, u, kind="lift", ax=axes[3]) is axes[3]
    assert plotting.plot_qini_curve(y, u, t, ax=axes[4]) is axes[4]
    assert plotting.plot_uplift_curve(y, u, t, perfect=False, ax=axes[5]) is axes[5]
    assert plotting.plot_uplift_by_percentile(y, u, t, ax=axes[6]) is axes[6]
    res = campaign_profit(y, u, cost_per_contact=1.0, value_per_response=8.0, budget=100.0)
    assert plotting.plot_campaign_profit(res, ax=axes[7]) is axes[7]
    assert len(axes[4].lines) == 3  # model, perfect, random
    plt.close(fig)


def test_plot_bad_arguments(data):
    y, u, t = data
    df = pd.DataFrame({"arm": np.where(t == 1, "mail", "none"), "y": y})
    summary = response_summary(df, "arm", "y", control="none")
    with pytest.raises(ValueError, match="revenue_per_customer"):
        plotting.plot_arm_comparison(summary, metric="revenue_per_customer")
    with pytest.raises(ValueError, match="kind"):
        plotting.plot_response_gains(y, u, kind="roc")
    ax = plotting.plot_qini_curve(y, u, t)  # makes its own figure
    plt.close(ax.figure)


def test_plots_use_the_metric_vocabulary(data):
    import inspect

    y, u, t = data
    for f in (plotting.plot_qini_curve, plotting.plot_uplift_curve,
              plotting.plot_uplift_by_percentile):
        assert list(inspect.signature(f).parameters)[:3] == ["y_true", "y_score", "treatment"]
    ax = plotting.plot_uplift_by_percentile(y_true=y, y_score=u, treatment=t, n_bins=5)
    assert len(ax.patches) == 5
    plt.close(ax.figure)
