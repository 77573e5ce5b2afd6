"""Time-invariant covariates in BG/NBD and Pareto/NBD (as in CLVTools) with LR tests."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmine.exceptions import SchemaError
from crmine.lifetime import BetaGeoModel, ParetoNBDModel, simulate_btyd

BG = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}
PNBD = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}


def _planted(model, params, effect, n=3000, seed=0):
    """Two groups; group g = 1 buys exp(effect) times as often (alpha / exp(effect))."""
    g0 = simulate_btyd(n, params, model=model, T=52.0, random_state=seed)
    p1 = dict(params, alpha=params["alpha"] * np.exp(-effect))
    g1 = simulate_btyd(n, p1, model=model, T=52.0, random_state=seed + 1)
    return pd.concat([g0.assign(g=0.0), g1.assign(g=1.0)], ignore_index=True)


@pytest.mark.parametrize(
    "cls, model, params", [(BetaGeoModel, "bgnbd", BG), (ParetoNBDModel, "pareto", PNBD)]
)
def test_planted_purchase_effect_is_recovered_and_significant(cls, model, params):
    data = _planted(model, params, 0.7)
    m = cls(features=["g"]).fit(data)
    se = m.standard_errors_
    assert abs(m.coefficients_["trans_g"] - 0.7) < 4 * se["trans_g"]
    assert abs(m.coefficients_["life_g"]) < 4 * se["life_g"]
    assert m.lr_test_["df"] == 2
    assert m.lr_test_["p_value"] < 1e-10
    assert m.log_likelihood_ >= m.lr_test_["log_likelihood_without"]
    # group 1 is predicted to buy more, customer by customer with the same history
    twins = pd.DataFrame(
        {
            "repeat_frequency": [2.0, 2.0],
            "btyd_recency": [51.0, 51.0],
            "btyd_T": [52.0] * 2,
            "g": [0.0, 1.0],
        }
    )
    pred = m.predict_purchases(twins, t=26.0)
    assert pred.iloc[1] > pred.iloc[0]


@pytest.mark.parametrize(
    "cls, model, params", [(BetaGeoModel, "bgnbd", BG), (ParetoNBDModel, "pareto", PNBD)]
)
def test_no_effect_gives_no_significant_lr_test(cls, model, params):
    m = cls(features=["g"]).fit(_planted(model, params, 0.0, seed=5))
    assert m.lr_test_["p_value"] > 0.01


def test_grouped_predictions_equal_the_scalar_model_of_each_group():
    data = _planted("bgnbd", BG, 0.7)
    m = BetaGeoModel(features=["g"]).fit(data)
    r, alpha, a, b = m.params_
    gt, gl = m.coefficients_["trans_g"], m.coefficients_["life_g"]
    one = BetaGeoModel()
    one.params_ = pd.Series(
        {"r": r, "alpha": alpha * np.exp(-gt), "a": a * np.exp(gl), "b": b * np.exp(gl)}
    )
    g1 = data[data["g"] == 1.0]
    np.testing.assert_allclose(m.predict_proba_alive(g1), one.predict_proba_alive(g1))
    np.testing.assert_allclose(
        m.predict_clv(g1, monetary_value=10.0, horizon=13.0),
        one.predict_clv(g1, monetary_value=10.0, horizon=13.0),
    )
    assert m.score_samples(data).sum() == pytest.approx(m.log_likelihood_)


def test_covariates_need_a_table_and_refuse_constant_or_collinear_columns():
    data = _planted("bgnbd", BG, 0.0, n=300)
    with pytest.raises(SchemaError, match="customer table by name"):
        BetaGeoModel(features=["g"]).fit(
            data["repeat_frequency"], data["btyd_recency"], data["btyd_T"]
        )
    with pytest.raises(SchemaError, match="not found"):
        BetaGeoModel(features=["nope"]).fit(data)
    with pytest.raises(SchemaError, match="'const' is constant"):
        BetaGeoModel(features=["g", "const"]).fit(data.assign(const=3.0))
    twin = data.assign(h=1.0 - data["g"], u=2.0 * data["g"] + 5.0)
    with pytest.raises(SchemaError, match="'g' is .*linear combination of \\['h'\\]"):
        BetaGeoModel(features=["g", "h"]).fit(twin)
    with pytest.raises(SchemaError, match="linear combination"):
        ParetoNBDModel(features=["u", "g"]).fit(twin)
    with pytest.raises(SchemaError, match="more than once"):
        BetaGeoModel(features=["g", "g"]).fit(data)


@pytest.mark.public_data
def test_apparel_static_covariates():
    from crmine import TransactionSchema
    from crmine.lifetime import calibration_holdout_split

    folder = shared_dataset("apparel_clvtools")
    log = pd.read_csv(folder / "apparel_trans.csv", parse_dates=["Date"])
    log["order"] = np.arange(len(log))
    cov = pd.read_csv(folder / "apparel_static_cov.csv").set_index("Id")
    schema = TransactionSchema(
        customer="Id",
        order="order",
        time="Date",
        amount="Price",
        item=None,
        quantity=None,
        price=None,
        category=None,
    )
    data = calibration_holdout_split(
        log, "2005-12-31", "2010-12-20", schema=schema, time_unit="W"
    ).join(cov)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = BetaGeoModel(features=["Gender", "Channel"]).fit(data)
    assert set(m.coefficients_.index) == {
        "trans_Gender",
        "trans_Channel",
        "life_Gender",
        "life_Channel",
    }
    assert m.lr_test_["df"] == 4 and 0 <= m.lr_test_["p_value"] <= 1
    pred = m.predict_purchases(data, t=52.0)
    assert np.isfinite(pred).all() and pred.index.equals(data.index)


def test_covariates_on_a_boundary_fit_are_refused():
    # pure Poisson buyers: no dropout signal, the model without covariates is degenerate
    rng = np.random.default_rng(0)
    n = 2000
    lam = rng.gamma(5.0, 1 / 20.0, n)
    times = [np.sort(rng.uniform(0, 100, rng.poisson(rate * 100))) for rate in lam]
    data = pd.DataFrame(
        {
            "repeat_frequency": [float(len(t)) for t in times],
            "btyd_recency": [t[-1] if len(t) else 0.0 for t in times],
            "btyd_T": 100.0,
            "g": rng.integers(0, 2, n).astype(float),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SchemaError, match="already a boundary fit"):
            ParetoNBDModel(features=["g"]).fit(data)
