"""BG/BB, sBG, MBG/NBD, standard errors, intervals and model comparison (issue 18)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln

from crmine.exceptions import SchemaError
from crmine.lifetime import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ShiftedBetaGeometricModel,
    compare_models,
    simulate_btyd,
)

# Fader & Hardie (2007), "How to project customer retention", Table 1: % of each cohort of
# 1,000 customers still active at the start of years 0..12 (the models use years 0..7).
REGULAR = [100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.3, 20.7, 19.4, 18.3, 17.3]
HIGH_END = [100.0, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8, 44.5, 42.7, 40.9, 39.4]


# ----------------------------------------------------------------------------- sBG
@pytest.mark.parametrize("series, alpha, beta", [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)])
def test_sbg_reproduces_fader_hardie_2007(series, alpha, beta):
    m = ShiftedBetaGeometricModel().fit(np.array(series[:8]) * 10)  # 1,000 customers
    assert m.params_["alpha"] == pytest.approx(alpha, abs=5e-4)
    assert m.params_["beta"] == pytest.approx(beta, abs=5e-4)
    # the paper's point: the projection of years 8-12 from 7 years of data is close
    proj = 100 * m.predict_survival(np.arange(8, 13)).to_numpy()
    np.testing.assert_allclose(proj, series[8:], atol=2.0)


def test_sbg_survival_and_retention_by_hand():
    m = ShiftedBetaGeometricModel()
    m.params_ = pd.Series({"alpha": 0.704, "beta": 1.182})
    a, b = 0.704, 1.182
    # S(1) = beta / (alpha + beta); r_t = S(t) / S(t - 1)
    assert m.predict_survival([1]).iloc[0] == pytest.approx(b / (a + b))
    s = m.predict_survival(np.arange(0, 6)).to_numpy()
    np.testing.assert_allclose(m.predict_retention_rate(np.arange(1, 6)), s[1:] / s[:-1])
    # DERL = sum_t S(n + t) / S(n) / (1 + d)^(t - 1) for a customer after n renewals
    d, n = 0.1, 3
    t = np.arange(1, 3000)
    surv = np.exp(betaln(a, b + n + t) - betaln(a, b + n))
    derl = np.sum(surv / (1 + d) ** (t - 1))
    assert m.predict_residual_lifetime([n], discount_rate=d).iloc[0] == pytest.approx(derl)


def test_sbg_customer_table_equals_cohort_counts():
    survivors = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    churned = -np.diff(survivors)
    dur = np.concatenate([np.repeat(np.arange(1, 8), churned), np.full(241, 7)])
    ev = np.concatenate([np.ones(churned.sum()), np.zeros(241)])
    table = pd.DataFrame({"duration_periods": dur, "churned": ev})
    a = ShiftedBetaGeometricModel().fit(survivors)
    b = ShiftedBetaGeometricModel().fit(table)
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-6)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_)


def test_sbg_bad_input():
    with pytest.raises(SchemaError, match="never increase"):
        ShiftedBetaGeometricModel().fit([100, 80, 90])
    with pytest.raises(SchemaError, match="at least 2"):
        ShiftedBetaGeometricModel().fit([100])
    with pytest.raises(SchemaError, match="nobody churned"):
        ShiftedBetaGeometricModel().fit([100, 100, 100])
    m = ShiftedBetaGeometricModel().fit(REGULAR[:8])
    with pytest.raises(SchemaError, match="discount_rate must be > 0"):
        m.predict_residual_lifetime([1], discount_rate=0.0)


# ----------------------------------------------------------------------------- BG/BB
@pytest.fixture(scope="module")
def donations():
    return pd.read_csv(shared_dataset("donations_bgbb") / "donations.csv")


@pytest.mark.public_data
def test_bgbb_reproduces_published_donations_fit(donations):
    d = donations
    m = BetaGeoBetaBinomModel().fit(d.frequency, d.recency, d.periods, weights=d.weights)
    published = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    for k, v in published.items():
        assert m.params_[k] == pytest.approx(v, abs=5e-4)
    assert m.log_likelihood_ == pytest.approx(-33225.58, abs=0.01)
    assert m.n_customers_ == 11104
    assert (m.summary().table["std_error"] > 0).all()


@pytest.mark.public_data
def test_bgbb_against_lifetimes(donations):
    lifetimes = pytest.importorskip("lifetimes")
    d = donations
    m = BetaGeoBetaBinomModel().fit(d.frequency, d.recency, d.periods, weights=d.weights)
    f = lifetimes.BetaGeoBetaBinomFitter().fit(d.frequency, d.recency, d.periods, d.weights)
    np.testing.assert_allclose(m.params_.to_numpy(), f.params_.to_numpy(), rtol=1e-3)
    f.params_ = pd.Series(m.params_.to_numpy(), index=f.params_.index)
    np.testing.assert_allclose(
        m.predict_proba_alive(d.frequency, d.recency, d.periods),
        f.conditional_probability_alive(1, d.frequency, d.recency, d.periods),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        m.predict_purchases(d.frequency, d.recency, d.periods, t=5),
        f.conditional_expected_number_of_purchases_up_to_time(5, d.frequency, d.recency, d.periods),
        rtol=1e-10,
    )


def test_bgbb_fit_and_predictions_match_lifetimes_on_simulated_donors():
    # no shared data needed: 3,000 donors over 8 opportunities (T differs: two cohorts)
    lifetimes = pytest.importorskip("lifetimes")
    truth = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
    sim = simulate_btyd(3000, truth, model="bgbb", T=np.repeat([8.0, 5.0], 1500), random_state=3)
    x, t_x, n = (sim[c].to_numpy() for c in ("repeat_frequency", "btyd_recency", "btyd_T"))
    m = BetaGeoBetaBinomModel().fit(x, t_x, n)
    f = lifetimes.BetaGeoBetaBinomFitter().fit(x, t_x, n)
    np.testing.assert_allclose(m.params_.to_numpy(), f.params_.to_numpy(), rtol=2e-3)
    f.params_ = pd.Series(m.params_.to_numpy(), index=f.params_.index)
    np.testing.assert_allclose(
        m.predict_proba_alive(x, t_x, n), f.conditional_probability_alive(1, x, t_x, n),
        rtol=1e-10,
    )
    for horizon in (1, 4):
        np.testing.assert_allclose(
            m.predict_purchases(x, t_x, n, t=horizon),
            f.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, n),
            rtol=1e-10,
        )
    # the holdout the simulator drew: model-based expectation near the realised mean
    holdout = simulate_btyd(3000, truth, model="bgbb", T=8.0, holdout=4.0, random_state=5)
    pred = m.predict_purchases(holdout, t=4.0)
    assert float(np.mean(pred)) == pytest.approx(holdout["holdout_frequency"].mean(), rel=0.08)


def test_sbg_and_bgbb_predictions_match_pymc_marketing():
    """pymc-marketing (MAP, HalfFlat priors) as a second oracle, when installed.

    Not in the test extra (pymc and pytensor are heavy); run it in a venv that has it.
    """
    pytest.importorskip("pymc_marketing")
    clv = pytest.importorskip("pymc_marketing.clv")
    prior = pytest.importorskip("pymc_extras.prior")
    flat = {k: prior.Prior("HalfFlat", dims="cohort") for k in ("alpha", "beta")}
    surv = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    # one row per customer; pymc-marketing censors at T = periods + 1
    rec = np.concatenate([np.repeat(np.arange(1, 8), -np.diff(surv)), np.full(241, 8)])
    data = pd.DataFrame({"customer_id": np.arange(1000), "recency": rec, "T": 8, "cohort": "r"})
    pm = clv.ShiftedBetaGeoModel(data, model_config=flat)
    pm.fit(fit_method="map", progressbar=False)
    ours = ShiftedBetaGeometricModel().fit(surv)
    theirs = [float(pm.fit_result[k].values.ravel()[0]) for k in ("alpha", "beta")]
    np.testing.assert_allclose(theirs, ours.params_.to_numpy(), rtol=1e-4)
    ours.params_ = pd.Series(theirs, index=["alpha", "beta"])
    q = pd.DataFrame({"customer_id": np.arange(12), "T": np.arange(1, 13), "cohort": "r"})
    t = np.arange(1, 13)
    np.testing.assert_allclose(
        ours.predict_survival(t), pm.expected_probability_alive(q, future_t=0).values.ravel(),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        ours.predict_retention_rate(t), pm.expected_retention_rate(q, future_t=0).values.ravel(),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        ours.predict_residual_lifetime(t - 1, discount_rate=0.1),
        pm.expected_residual_lifetime(q, discount_rate=0.1).values.ravel(),
        rtol=1e-10,
    )
    sim = simulate_btyd(
        1500, {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}, model="bgbb", T=6.0,
        random_state=0,
    )
    x, t_x, n = (sim[c].to_numpy() for c in ("repeat_frequency", "btyd_recency", "btyd_T"))
    bdata = pd.DataFrame(  # whole opportunities as integers (pytensor compiles for int64)
        {"customer_id": np.arange(len(x)), "frequency": x, "recency": t_x, "T": n}
    ).astype(int)
    names = ("alpha", "beta", "gamma", "delta")
    pb = clv.BetaGeoBetaBinomModel(bdata, model_config={k: prior.Prior("HalfFlat") for k in names})
    pb.fit(fit_method="map", progressbar=False)
    mb = BetaGeoBetaBinomModel().fit(x, t_x, n)
    theirs = [float(pb.fit_result[k].values.ravel()[0]) for k in names]
    np.testing.assert_allclose(theirs, mb.params_.to_numpy(), rtol=2e-3)
    mb.params_ = pd.Series(theirs, index=list(names))
    np.testing.assert_allclose(
        mb.predict_proba_alive(x, t_x, n),  # alive at the next opportunity
        pb.expected_probability_alive(future_t=1).values.ravel(),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        mb.predict_purchases(x, t_x, n, t=5),
        pb.expected_purchases(future_t=5).values.ravel(),
        rtol=1e-10,
    )


def test_bgbb_refuses_continuous_time():
    with pytest.raises(SchemaError, match="whole numbers"):
        BetaGeoBetaBinomModel().fit([1, 2], [1.5, 3.0], [6, 6])
    with pytest.raises(SchemaError, match="frequency <= recency"):
        BetaGeoBetaBinomModel().fit([3, 2], [2, 3], [6, 6])


def test_bgbb_new_customer_expectation_by_simulation():
    m = BetaGeoBetaBinomModel()
    m.params_ = pd.Series({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    rng = np.random.default_rng(0)
    n = 200_000
    p = rng.beta(1.204, 0.750, n)
    theta = rng.beta(0.657, 2.783, n)
    alive = np.ones(n, bool)
    total = np.zeros(n)
    for _ in range(6):
        alive &= rng.random(n) >= theta
        total += alive & (rng.random(n) < p)
    assert m.expected_purchases(6)[0] == pytest.approx(total.mean(), rel=0.01)


# ----------------------------------------------------------------------------- MBG/NBD
@pytest.mark.public_data
def test_mbgnbd_against_lifetimes_on_cdnow():
    lifetimes = pytest.importorskip("lifetimes")
    d = pd.read_csv(shared_dataset("cdnow") / "cdnow_customers_summary_with_transactions.csv")
    m = ModifiedBetaGeoModel().fit(d.x, d.t_x, d["T"])
    f = lifetimes.ModifiedBetaGeoFitter().fit(d.x, d.t_x, d["T"])
    np.testing.assert_allclose(m.params_.to_numpy(), f.params_.to_numpy(), rtol=2e-3)
    f.params_ = pd.Series(m.params_.to_numpy(), index=f.params_.index)
    np.testing.assert_allclose(
        m.predict_purchases(d.x, d.t_x, d["T"], t=39.0),
        f.conditional_expected_number_of_purchases_up_to_time(39.0, d.x, d.t_x, d["T"]),
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        m.predict_proba_alive(d.x, d.t_x, d["T"]),
        f.conditional_probability_alive(d.x, d.t_x, d["T"]),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        m.expected_purchases([13.0, 39.0]),
        f.expected_number_of_purchases_up_to_time(np.array([13.0, 39.0])),
        rtol=1e-10,
    )


@pytest.mark.public_data
def test_mbgnbd_standard_errors_match_lifetimes_on_cdnow():
    lifetimes = pytest.importorskip("lifetimes")
    d = pd.read_csv(shared_dataset("cdnow") / "cdnow_customers_summary_with_transactions.csv")
    m = ModifiedBetaGeoModel().fit(d.x, d.t_x, d["T"])
    f = lifetimes.ModifiedBetaGeoFitter().fit(d.x, d.t_x, d["T"])
    np.testing.assert_allclose(
        m.summary().table["std_error"].to_numpy(), f.summary["se(coef)"].to_numpy(), rtol=1e-4
    )


@pytest.mark.public_data
def test_mbgnbd_page_numbers_from_the_raw_cdnow_log():
    """docs/reproductions/mbgnbd.md: MBG/NBD beside BG/NBD on the FHL protocol.

    The estimates are those of lifetimes, btyd and pymc-marketing (MAP, flat priors) on the
    same arrays (benchmarks/bench_lifetime.py); the predictions equal lifetimes' (test above).
    """
    from crmine.datasets import load_cdnow
    from crmine.lifetime import calibration_holdout_split, holdout_report

    log = load_cdnow(shared_dataset("cdnow") / "CDNOW_sample.txt")
    data = calibration_holdout_split(log, "1997-09-30", "1998-06-30", time_unit="W")
    mbg = ModifiedBetaGeoModel().fit(data)
    bg = BetaGeoModel().fit(data)
    expected = {"r": 0.524843, "alpha": 6.18309, "a": 0.891360, "b": 1.614003}
    for k, v in expected.items():
        assert mbg.params_[k] == pytest.approx(v, rel=2e-5)
    assert mbg.log_likelihood_ == pytest.approx(-9582.136, abs=1e-3)
    # BG/NBD keeps every customer without repeat purchase alive; MBG/NBD does not
    zero = data["repeat_frequency"].to_numpy() == 0
    assert zero.sum() == 1411
    assert np.all(np.asarray(bg.predict_proba_alive(data))[zero] == 1.0)
    assert float(np.mean(np.asarray(mbg.predict_proba_alive(data))[zero])) == pytest.approx(
        0.409, abs=5e-4
    )
    rep = holdout_report(mbg, data)
    assert rep["actual_total"] == 1882
    assert rep["predicted_total"] == pytest.approx(1577, abs=0.5)
    assert rep["mae"] == pytest.approx(0.765, abs=5e-4)


@pytest.mark.public_data
def test_standard_errors_match_lifetimes_on_cdnow():
    lifetimes = pytest.importorskip("lifetimes")
    d = pd.read_csv(shared_dataset("cdnow") / "cdnow_customers_summary_with_transactions.csv")
    m = BetaGeoModel().fit(d.x, d.t_x, d["T"])
    f = lifetimes.BetaGeoFitter().fit(d.x, d.t_x, d["T"])
    np.testing.assert_allclose(
        m.summary().table["std_error"].to_numpy(), f.summary["se(coef)"].to_numpy(), rtol=1e-3
    )


# ----------------------------------------------------------------------------- uncertainty
def test_standard_errors_shrink_like_one_over_sqrt_n():
    params = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    small = BetaGeoModel().fit(simulate_btyd(1000, params, random_state=1))
    large = BetaGeoModel().fit(simulate_btyd(16000, params, random_state=1))
    ratio = small.standard_errors_ / large.standard_errors_
    np.testing.assert_allclose(ratio, 4.0, rtol=0.35)


def test_parameter_intervals_cover_the_truth():
    params = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    hits = 0
    for seed in range(8):
        s = BetaGeoModel().fit(simulate_btyd(3000, params, random_state=seed)).summary().table
        hits += int(
            ((s["lower_95"] <= pd.Series(params)) & (pd.Series(params) <= s["upper_95"])).sum()
        )
    assert hits >= 28  # 32 intervals at 95 %


def test_predict_interval_contains_estimate_and_states_method():
    table = simulate_btyd(2000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, random_state=2)
    m = BetaGeoModel().fit(table)
    for what, kw in (
        ("purchases", {"t": 20.0}),
        ("proba_alive", {}),
        ("clv", {"monetary_value": 10.0, "horizon": 20.0}),
    ):
        iv = m.predict_interval(table.head(50), what=what, random_state=0, n_draws=100, **kw)
        assert iv.index.equals(table.index[:50])
        assert (iv["lower"] <= iv["estimate"] + 1e-12).all()
        assert (iv["estimate"] <= iv["upper"] + 1e-12).all()
        assert "parametric bootstrap" in iv.attrs["method"]
    a = m.predict_interval(table.head(5), t=20.0, random_state=3)
    b = m.predict_interval(table.head(5), t=20.0, random_state=3)
    pd.testing.assert_frame_equal(a, b)


def test_predict_interval_refuses_boundary_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = BetaGeoModel().fit([3], [10.0], [20.0])
    with pytest.raises(SchemaError, match="singular"):
        m.predict_interval([1], [2.0], [5.0], t=5.0)


# ----------------------------------------------------------------------------- recovery
@settings(max_examples=4, deadline=None)
@given(
    r=st.floats(0.2, 1.5),
    alpha=st.floats(2.0, 15.0),
    a=st.floats(0.3, 2.0),
    b=st.floats(1.0, 6.0),
    seed=st.integers(0, 10_000),
)
def test_bgnbd_recovers_simulated_parameters_within_their_intervals(r, alpha, a, b, seed):
    truth = pd.Series({"r": r, "alpha": alpha, "a": a, "b": b})
    table = simulate_btyd(4000, truth.to_dict(), T=52.0, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = BetaGeoModel().fit(table).summary(level=0.999).table
    if not np.isfinite(s["std_error"]).all():
        return  # a boundary fit on this draw: no interval to check
    assert ((s["lower_99.9"] <= truth) & (truth <= s["upper_99.9"])).all()


# ----------------------------------------------------------------------------- comparison
def test_compare_models_table():
    table = simulate_btyd(
        2000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, holdout=39.0, random_state=4
    )
    table["holdout_duration"] = 39.0
    bg = BetaGeoModel().fit(table)
    mbg = ModifiedBetaGeoModel().fit(table)
    cmp = compare_models({"BG/NBD": bg, "MBG/NBD": mbg}, table)
    t = cmp.table
    assert t.loc["BG/NBD", "log_likelihood"] == pytest.approx(bg.log_likelihood_)
    assert t.loc["BG/NBD", "bic"] == pytest.approx(4 * np.log(2000) - 2 * bg.log_likelihood_)
    assert cmp.best_bic == "BG/NBD"  # the data are BG/NBD
    assert {"holdout_rmse", "holdout_mae"} <= set(t.columns)
    with pytest.raises(SchemaError, match="non-empty mapping"):
        compare_models({})


@settings(max_examples=3, deadline=None)
@given(
    a=st.floats(0.5, 2.0),
    b=st.floats(1.5, 5.0),
    g=st.floats(0.4, 1.5),
    d=st.floats(1.5, 5.0),
    seed=st.integers(0, 10_000),
)
def test_bgbb_recovers_simulated_parameters(a, b, g, d, seed):
    truth = pd.Series({"alpha": a, "beta": b, "gamma": g, "delta": d})
    sim = simulate_btyd(8000, truth.to_dict(), model="bgbb", T=8.0, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = BetaGeoBetaBinomModel().fit(sim)
    _assert_truth_in_likelihood_region(m, truth, sim)


@settings(max_examples=3, deadline=None)
@given(
    r=st.floats(0.3, 1.5),
    alpha=st.floats(2.0, 10.0),
    a=st.floats(0.5, 2.0),
    b=st.floats(1.5, 5.0),
    seed=st.integers(0, 10_000),
)
def test_mbgnbd_recovers_simulated_parameters(r, alpha, a, b, seed):
    truth = pd.Series({"r": r, "alpha": alpha, "a": a, "b": b})
    sim = simulate_btyd(6000, truth.to_dict(), model="mbgnbd", T=52.0, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ModifiedBetaGeoModel().fit(sim)
    _assert_truth_in_likelihood_region(m, truth, sim)


def _assert_truth_in_likelihood_region(model, truth: pd.Series, data) -> None:
    """The planted parameters lie in the fit's 99.99 % joint likelihood-ratio region.

    A joint check: per-parameter 99.9 % intervals of four parameters miss the truth in
    about 0.4 % of draws, which hypothesis finds (BG/BB, seed 3000: LR 15.8 on 4 df,
    p = 0.003; over 300 seeds the log-scale z-scores have sd 0.97-1.05, none beyond 3.29).
    """
    from scipy.stats import chi2

    at_truth = type(model)()
    at_truth.params_ = truth[list(model.params_.index)]
    lr = 2.0 * (model.log_likelihood_ - float(np.sum(at_truth.score_samples(data))))
    assert -1e-6 <= lr <= chi2.ppf(0.9999, len(truth)), lr


@settings(max_examples=5, deadline=None)
@given(alpha=st.floats(0.3, 3.0), beta=st.floats(0.5, 6.0), seed=st.integers(0, 10_000))
def test_sbg_recovers_simulated_parameters(alpha, beta, seed):
    from crmine.lifetime import simulate_sbg

    truth = pd.Series({"alpha": alpha, "beta": beta})
    survivors = simulate_sbg(20_000, alpha, beta, n_periods=10, random_state=seed)
    # 99.99 %: five draws per run must not fail by chance (coverage itself is measured below)
    s = ShiftedBetaGeometricModel().fit(survivors).summary(level=0.9999).table
    assert ((s["lower_99.99"] <= truth) & (truth <= s["upper_99.99"])).all()


@pytest.mark.public_data
def test_gamma_gamma_standard_errors_match_lifetimes_on_cdnow():
    lifetimes = pytest.importorskip("lifetimes")
    from crmine.lifetime import GammaGammaModel

    d = pd.read_csv(shared_dataset("cdnow") / "cdnow_customers_summary_with_transactions.csv")
    d = d[d.x > 0]
    ours = GammaGammaModel().fit(d.x, d.zbar).summary().table
    ref = lifetimes.GammaGammaFitter().fit(d.x, d.zbar).summary
    np.testing.assert_allclose(ours["std_error"], ref["se(coef)"], rtol=1e-4)


def test_sbg_profile_interval_holds_its_coverage_where_wald_undercovers():
    """Planted small cohort with small alpha: 400 cohorts of 500 customers over 5 periods.

    Measured over 1,000 cohorts: profile 95.8 % / 95.9 %, log-scale Wald 89.6 % / 90.3 %.
    The profile coverage must lie within 3 binomial standard errors of 95 %.
    """
    from crmine.lifetime import simulate_sbg

    truth = np.array([0.2, 5.0])
    reps = 400
    profile = np.zeros(2)
    wald = np.zeros(2)
    for seed in range(reps):
        cohort = simulate_sbg(500, *truth, n_periods=5, random_state=seed)
        m = ShiftedBetaGeometricModel().fit(cohort)
        p = m.summary().table
        w = m.summary(interval="wald").table
        assert p.attrs["interval"] == "profile likelihood"
        profile += (p["lower_95"].to_numpy() <= truth) & (truth <= p["upper_95"].to_numpy())
        wald += (w["lower_95"].to_numpy() <= truth) & (truth <= w["upper_95"].to_numpy())
    tolerance = 3 * np.sqrt(0.95 * 0.05 / reps)
    np.testing.assert_array_less(np.abs(profile / reps - 0.95), tolerance)
    assert (wald / reps < 0.93).all()  # why the profile interval is the default


def test_sbg_profile_bounds_are_where_the_likelihood_ratio_is_the_chi2_quantile():
    from scipy.optimize import minimize
    from scipy.stats import chi2

    survivors = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    m = ShiftedBetaGeometricModel().fit(survivors)
    churned, active = -np.diff(survivors).astype(float), np.r_[np.zeros(6), 241.0]
    t = m.summary(level=0.9).table
    for i, name in enumerate(["alpha", "beta"]):
        for bound in (t.loc[name, "lower_90"], t.loc[name, "upper_90"]):
            # independent profile: Nelder-Mead over the other parameter, by hand
            def negll(other, i=i, bound=bound):
                ab = [bound, np.exp(other[0])] if i == 0 else [np.exp(other[0]), bound]
                a, b = ab
                tt = np.arange(1, 8)
                lp = betaln(a + 1, b + tt - 1) - betaln(a, b)
                ls = betaln(a, b + tt) - betaln(a, b)
                return -(churned @ lp + active @ ls)

            z0 = np.log(m.params_.iloc[1 - i])
            prof = minimize(negll, [z0], method="Nelder-Mead", options={"xatol": 1e-10,
                                                                      "fatol": 1e-12}).fun
            lr = 2 * (m.log_likelihood_ + prof)
            assert lr == pytest.approx(chi2.ppf(0.9, 1), abs=1e-5)
    # the Wald table is the log-scale interval of the observed information
    w = m.summary(interval="wald").table
    se_log = np.sqrt(np.diag(m.log_params_covariance_))
    np.testing.assert_allclose(w["upper_95"], m.params_ * np.exp(1.959964 * se_log), rtol=1e-6)
    with pytest.raises(SchemaError, match="interval must be"):
        m.summary(interval="bootstrap")


def test_sbg_profile_interval_is_open_when_the_data_cannot_bound_it():
    # two periods of nearly constant churn: heterogeneity (1/(alpha+beta)) is not identified,
    # the likelihood stays flat towards alpha, beta -> inf: the upper bound is infinite, not a
    # confident finite number
    m = ShiftedBetaGeometricModel().fit([1000, 900, 810])
    t = m.summary().table
    assert np.isinf(t["upper_95"]).all()
    assert (t["lower_95"] > 0).all()
