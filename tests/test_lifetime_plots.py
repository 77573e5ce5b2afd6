"""Smoke and content tests of the lifetime plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from crmine.lifetime import BetaGeoModel, simulate_btyd  # noqa: E402
from crmine.plotting import (  # noqa: E402
    plot_calibration_holdout,
    plot_clv_distribution,
    plot_probability_alive_matrix,
    plot_survival_by_segment,
)

PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _model():
    m = BetaGeoModel()
    m.params_ = pd.Series(PARAMS)
    return m


def test_probability_alive_matrix(ax):
    out = plot_probability_alive_matrix(_model(), T=39.0, max_frequency=10, ax=ax)
    assert out is ax
    img = ax.images[0].get_array()
    assert img.shape == (11, 50)
    assert np.all((img >= 0) & (img <= 1))
    assert np.allclose(img[0], 1.0)  # no repeat purchase -> alive under BG/NBD
    assert img[5, -1] > img[5, 0]  # recent buyers more likely alive


def test_calibration_holdout(ax):
    data = simulate_btyd(500, PARAMS, T=39.0, holdout=39.0, random_state=0)
    data["holdout_duration"] = 39.0
    m = BetaGeoModel().fit(data)
    plot_calibration_holdout(m, data, ax=ax)
    assert len(ax.lines) == 2
    assert ax.get_xticklabels()[-1].get_text() == "7+"


def test_survival_by_segment(ax):
    pytest.importorskip("lifelines")  # the survival extra
    df = pd.DataFrame(
        {"t": [1, 3, 4, 6, 2, 8, 5, 7], "e": [1, 1, 0, 1, 1, 0, 1, 1], "plan": list("aaaabbbb")}
    )
    plot_survival_by_segment(df, "t", "e", "plan", ax=ax, ci=False)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a (n=4)", "b (n=4)"]


def test_clv_distribution(ax):
    plot_clv_distribution(np.array([1.0, 2.0, 3.0, 100.0]), bins=5, ax=ax)
    assert len(ax.patches) == 5
    plot_clv_distribution([0.0, 1.0, 10.0, 100.0], log_scale=True, bins=4, ax=ax)
