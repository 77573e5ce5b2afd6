"""Time-invariant covariates in BG/NBD and Pareto/NBD (as in CLVTools) with LR tests."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmine.exceptions import SchemaError
from crmine.lifetime import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    simulate_btyd,
)
from crmine.lifetime._covariates import _ll_and_dlogp, customer_params

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


# --------------------------------------------------------------------------- continuous covariates
def _continuous(model, params, coefs, n=4000, seed=0, loc=5.0, scale=2.0):
    """A binary g and a continuous c ~ N(loc, scale) (not centred: tests the back-transform)."""
    rng = np.random.default_rng(seed)
    z = pd.DataFrame({"g": rng.integers(0, 2, n).astype(float), "c": rng.normal(loc, scale, n)})
    return simulate_btyd(
        n, params, model=model, T=52.0, covariates=z, coefficients=coefs, random_state=seed
    )


CONT = {"trans_g": 0.6, "trans_c": 0.15, "life_g": -0.3, "life_c": 0.1}


@pytest.mark.parametrize(
    "cls, model, params", [(BetaGeoModel, "bgnbd", BG), (ParetoNBDModel, "pareto", PNBD)]
)
def test_planted_continuous_covariates_are_recovered(cls, model, params):
    # every customer has a distinct covariate row (4000 patterns; the old limit was 64)
    data = _continuous(model, params, CONT)
    m = cls(features=["g", "c"]).fit(data)
    se = m.standard_errors_
    for name, truth in CONT.items():
        assert abs(m.coefficients_[name] - truth) < 4 * se[name], (name, m.coefficients_[name])
    for name, truth in params.items():  # base parameters (at z = 0) within 4 standard errors
        assert abs(m.params_[name] - truth) < 4 * se[name], (name, m.params_[name])
    assert m.lr_test_["p_value"] < 1e-6
    assert list(m.covariate_scaling_.index) == ["g", "c"]


def test_covariate_scale_changes_only_the_coefficient():
    # a covariate in thousands (first-order value) and the same covariate standardised:
    # the same fit, coefficients in the ratio of the scales, the same predictions
    data = _continuous("bgnbd", BG, CONT, n=2000, seed=3)
    big = data.assign(c=data["c"] * 1000.0 + 250.0)
    a = BetaGeoModel(features=["g", "c"]).fit(data)
    b = BetaGeoModel(features=["g", "c"]).fit(big)
    assert b.log_likelihood_ == pytest.approx(a.log_likelihood_, abs=1e-6)
    np.testing.assert_allclose(b.coefficients_["trans_c"] * 1000.0, a.coefficients_["trans_c"],
                               rtol=1e-4)
    np.testing.assert_allclose(b.standard_errors_["trans_c"] * 1000.0,
                               a.standard_errors_["trans_c"], rtol=1e-3)
    np.testing.assert_allclose(b.predict_purchases(big, t=10.0), a.predict_purchases(data, t=10.0),
                               rtol=1e-5)


@pytest.mark.parametrize(
    "cls, model, params",
    [
        (BetaGeoModel, "bgnbd", BG),
        (ModifiedBetaGeoModel, "mbgnbd", BG),
        (ParetoNBDModel, "pareto", PNBD),
    ],
)
def test_each_customer_is_the_scalar_model_with_their_own_parameters(cls, model, params):
    data = _continuous(model, params, CONT, n=1500, seed=1)
    m = cls(features=["g", "c"]).fit(data)
    r, alpha = m.params_.iloc[0], m.params_["alpha"]
    for i in (0, 7, 42):
        row = data.iloc[[i]]
        z = row[["g", "c"]].to_numpy()[0]
        gt = m.coefficients_[["trans_g", "trans_c"]].to_numpy() @ z
        gl = m.coefficients_[["life_g", "life_c"]].to_numpy() @ z
        own = dict(m.params_)
        own["alpha"] = alpha * np.exp(-gt)  # CLVTools' links, written out by hand
        if cls is ParetoNBDModel:
            own["beta"] = m.params_["beta"] * np.exp(-gl)
        else:
            own["a"] = m.params_["a"] * np.exp(gl)
            own["b"] = m.params_["b"] * np.exp(gl)
        assert own[m.params_.index[0]] == r
        one = cls()
        one.params_ = pd.Series(own)
        np.testing.assert_allclose(m.predict_proba_alive(row), one.predict_proba_alive(row),
                                   rtol=1e-9)
        np.testing.assert_allclose(m.predict_purchases(row, t=20.0),
                                   one.predict_purchases(row, t=20.0), rtol=1e-9)
        np.testing.assert_allclose(m.score_samples(row), one.score_samples(row), rtol=1e-9)
    assert m.score_samples(data).sum() == pytest.approx(m.log_likelihood_, rel=1e-9)


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_per_customer_gradient_matches_finite_differences(cls):
    model = cls(features=["g", "c"])
    params = PNBD if cls is ParetoNBDModel else BG
    data = _continuous("pareto" if cls is ParetoNBDModel else "bgnbd", params, CONT, n=200)
    Z = data[["g", "c"]].to_numpy()
    xs = (data["repeat_frequency"].to_numpy(), data["btyd_recency"].to_numpy(),
          data["btyd_T"].to_numpy())
    base = np.array(list(params.values()))
    coef = np.array([0.3, -0.1, 0.2, 0.05])
    P = customer_params(model, base, coef, Z)
    _, G = _ll_and_dlogp(model, P, xs, True)
    h = 1e-4
    for j in range(len(P)):
        up = list(P)
        up[j] = P[j] * np.exp(h)
        down = list(P)
        down[j] = P[j] * np.exp(-h)
        fd = (_ll_and_dlogp(model, up, xs, False)[0] - _ll_and_dlogp(model, down, xs, False)[0])
        np.testing.assert_allclose(G[j], fd / (2 * h), rtol=1e-5, atol=1e-6)


def test_summary_lists_the_coefficients_and_counts_them_in_aic():
    data = _planted("bgnbd", BG, 0.7, n=1500)
    m = BetaGeoModel(features=["g"]).fit(data)
    s = m.summary()
    assert list(s.table.index) == ["r", "alpha", "a", "b", "trans_g", "life_g"]
    row = s.table.loc["trans_g"]
    assert row["lower_95"] == pytest.approx(row["estimate"] - 1.959964 * row["std_error"])
    assert s.aic == pytest.approx(2 * 6 - 2 * m.log_likelihood_)


def test_simulate_btyd_covariate_input_is_checked():
    z = pd.DataFrame({"g": [0.0, 1.0]})
    with pytest.raises(ValueError, match="one row per customer"):
        simulate_btyd(3, BG, covariates=z)
    with pytest.raises(ValueError, match="name no covariate"):
        simulate_btyd(2, BG, covariates=z, coefficients={"trans_h": 1.0})
    with pytest.raises(ValueError, match="needs covariates"):
        simulate_btyd(2, BG, coefficients={"trans_g": 1.0})


# --------------------------------------------------------------------------- intervals
def test_interval_coverage_with_planted_covariate_effects():
    """Intervals draw the coefficients too: ~90% of them hold the true-parameter prediction.

    The truth is the conditional expectation computed with the planted parameters
    and coefficients (what the interval is for: parameter uncertainty); 30 data
    sets simulated with those effects, three probe customers each (one with a
    covariate 2.5 standard deviations out, where the coefficients matter most).
    """
    coefs = {"trans_g": 0.7, "trans_c": 0.3, "life_g": -0.4, "life_c": 0.3}
    probes = pd.DataFrame(
        {
            "repeat_frequency": [0.0, 3.0, 6.0],
            "btyd_recency": [0.0, 30.0, 50.0],
            "btyd_T": [52.0] * 3,
            "g": [1.0, 0.0, 1.0],
            "c": [2.5, -2.0, 0.0],
        }
    )
    truth_model = BetaGeoModel(features=["g", "c"])
    truth_model.params_ = pd.Series(BG, dtype=float)
    truth_model.coefficients_ = pd.Series(coefs)[["trans_g", "trans_c", "life_g", "life_c"]]
    truth = truth_model.predict_purchases(probes, t=26.0).to_numpy()
    covered = []
    for rep in range(30):
        rng = np.random.default_rng(rep)
        z = pd.DataFrame({"g": rng.integers(0, 2, 1500).astype(float), "c": rng.normal(size=1500)})
        data = simulate_btyd(1500, BG, T=52.0, covariates=z, coefficients=coefs, random_state=rep)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = BetaGeoModel(features=["g", "c"]).fit(data)
        iv = m.predict_interval(probes, t=26.0, random_state=rep)
        assert "covariate coefficients jointly" in iv.attrs["method"]
        covered.append(((iv["lower"] <= truth) & (truth <= iv["upper"])).to_numpy())
    rate = float(np.mean(covered))
    assert 0.8 <= rate <= 0.97, rate  # nominal 0.9; 90 correlated Bernoulli draws
