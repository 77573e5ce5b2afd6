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


# ----------------------------------------------------------------------------- ModelCheck.plot
BGBB = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def _checks():
    from crmine.lifetime import (
        BetaGeoBetaBinomModel,
        GammaGammaModel,
        ShiftedBetaGeometricModel,
        check_model,
    )

    cont = simulate_btyd(800, PARAMS, holdout=39.0, random_state=2,
                         spend={"p": 6.0, "q": 4.0, "gamma": 15.0})
    disc = simulate_btyd(1500, BGBB, model="bgbb", T=6, holdout=5, random_state=0)
    return {
        "bgnbd": check_model(BetaGeoModel().fit(cont), cont),
        "bgbb": check_model(BetaGeoBetaBinomModel().fit(disc), disc),
        "spend": check_model(GammaGammaModel().fit(cont), cont),
        "sbg": check_model(ShiftedBetaGeometricModel().fit(REGULAR[:8]), REGULAR),
    }


def test_every_model_check_draws_every_kind(tmp_path):
    checks = _checks()
    assert checks["bgnbd"].kinds == ("frequency", "alive")
    assert checks["bgbb"].kinds == ("frequency", "alive", "tracking")
    assert checks["spend"].kinds == ("spend",)
    assert checks["sbg"].kinds == ("survival", "retention")
    labels = {
        ("bgnbd", "frequency"): ("repeat purchases in calibration", "mean purchases in holdout"),
        ("bgbb", "frequency"): ("repeat transactions in calibration",
                                "mean transactions in holdout"),
        ("bgbb", "alive"): ("recency (opportunity of the last transaction)", "repeat frequency"),
        ("bgbb", "tracking"): ("opportunity", "repeat transactions"),
        ("spend", "spend"): ("repeat purchases in calibration",
                             "mean spend per holdout transaction"),
        ("sbg", "survival"): ("period", "share of the cohort still active"),
        ("sbg", "retention"): ("period", "retention rate"),
    }
    for name, check in checks.items():
        for kind in check.kinds:
            fig, ax = plt.subplots()
            assert check.plot(kind, ax=ax) is ax
            if (name, kind) in labels:
                assert (ax.get_xlabel(), ax.get_ylabel()) == labels[(name, kind)]
            if kind == "alive":
                assert len(ax.images) == 1
            else:  # actual and model lines, drawn from the check's table
                assert len(ax.lines) >= 2
                assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "actual"
            fig.savefig(tmp_path / f"{name}_{kind}.png")
            plt.close(fig)
    with pytest.raises(Exception, match="kind must be one of"):
        checks["sbg"].plot("frequency")


def test_check_plots_show_the_tables_numbers():
    checks = _checks()
    fig, ax = plt.subplots()
    t = checks["bgbb"].tracking
    checks["bgbb"].plot("tracking", ax=ax)  # per opportunity (FHS 2010 plot annual counts)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), t["actual"])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), t["expected"])
    plt.close(fig)
    fig, ax = plt.subplots()
    checks["bgbb"].plot("alive", ax=ax)
    img = ax.images[0].get_array()
    assert img.shape == (7, 7) and img.mask[3, 2] and not img.mask[2, 3]  # x > t_x masked
    assert ax.images[0].get_extent() == [-0.5, 6.5, -0.5, 6.5]  # cells centred on integers
    plt.close(fig)
    fig, ax = plt.subplots()
    s = checks["sbg"].table
    checks["sbg"].plot("survival", ax=ax)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), s["predicted_survival"])
    assert ax.lines[2].get_xdata()[0] == pytest.approx(7.5)  # end of calibration after year 7
    plt.close(fig)
    fig, ax = plt.subplots()
    checks["spend"].plot(ax=ax)  # the default kind is the first one
    assert ax.get_xticklabels()[-1].get_text() == f"{checks['spend'].table.index[-1]}+"
    plt.close(fig)


def test_tracking_marks_the_end_of_calibration():
    from crmine.plotting import plot_tracking

    t = pd.DataFrame({"actual": [1.0, 2.0, 1.0], "expected": [1.5, 1.5, 1.0],
                      "actual_cumulative": [1.0, 3.0, 4.0],
                      "expected_cumulative": [1.5, 3.0, 4.0],
                      "holdout": [False, False, True]},
                     index=pd.Index([1.0, 2.0, 3.0], name="period_end_W"))
    fig, ax = plt.subplots()
    plot_tracking(t, ax=ax)
    assert ax.lines[2].get_xdata()[0] == 2.0  # calibration ends with the week ending at 2
    plt.close(fig)
    fig, ax = plt.subplots()
    plot_tracking(t.rename_axis("opportunity"), cumulative=False, ax=ax)
    assert ax.lines[2].get_xdata()[0] == 2.5  # between opportunity 2 and 3
    assert ax.get_ylabel() == "repeat transactions"
    plt.close(fig)


def test_probability_alive_matrix_of_bgbb_and_covariate_models(ax):
    from crmine.lifetime import BetaGeoBetaBinomModel

    bb = BetaGeoBetaBinomModel()
    bb.params_ = pd.Series({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    plot_probability_alive_matrix(bb, T=6, ax=ax)  # was: a SchemaError (fractional recency)
    img = ax.images[0].get_array()
    assert img.shape == (7, 7) and img.mask[2, 1] and not img.mask[1, 2]
    assert img[6, 6] == pytest.approx(8.783 / 9.44)  # (delta + n)/(gamma + delta + n)
    z = pd.DataFrame({"g": np.repeat([0.0, 1.0], 500)})
    t = simulate_btyd(1000, {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}, covariates=z,
                      coefficients={"trans_g": 0.7}, random_state=0)
    m = BetaGeoModel(features=["g"]).fit(t)
    fig, ax2 = plt.subplots()
    plot_probability_alive_matrix(m, covariates={"g": 1.0}, max_frequency=5, ax=ax2)
    assert ax2.images[0].get_array().shape == (6, 50)
    plt.close(fig)
