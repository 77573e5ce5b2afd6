"""Boundary fits and edge cases of the lifetime models (issue 14): finite answers or clear errors.

Oracles: 50-digit mpmath evaluations of the published formulas, lifelines on the same data.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmine.exceptions import ConvergenceWarning, DataWarning
from crmine.lifetime import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    calibration_holdout_split,
    holdout_report,
    simulate_btyd,
)

mp = pytest.importorskip("mpmath")


def _bgnbd_mp(r, alpha, a, b, x, t_x, T, t, dps=50, b_shift=0):
    """FHL (2005) eq. 10 (conditional expectation) in 50-digit arithmetic."""
    with mp.workdps(dps):
        r, alpha, a, b, x, t_x, T, t = (mp.mpf(v) for v in (r, alpha, a, b, x, t_x, T, t))
        b = b + mp.mpf(b_shift)
        z = t / (alpha + T + t)
        bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * mp.hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        alive = (
            1
            if x == 0
            else 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
        )
        return float((a + b + x - 1) / (a - 1) * bracket * alive)


def _pareto_alive_mp(r, alpha, s, beta, x, t_x, T):
    """Pareto/NBD P(alive) from the dropout-time integral, in 30-digit arithmetic."""
    with mp.workdps(30):
        r, alpha, s, beta = (mp.mpf(v) for v in (r, alpha, s, beta))

        def f(u):
            return ((alpha + T) / (alpha + u)) ** (r + x) * ((beta + T) / (beta + u)) ** s / (
                beta + u
            )

        ratio = s * mp.quad(f, [t_x, T]) if T > t_x else 0
        return float(1 / (1 + ratio))


# ----------------------------------------------------------------------------- BG/NBD


def test_bgnbd_a_plus_b_one_without_repeat_purchases():
    # c = a + b + x - 1 = 0: the hypergeometric function has a pole that the factor c cancels
    m = BetaGeoModel()
    m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.4, "b": 0.6})
    got = m.predict_purchases([0, 2], [0.0, 30.0], [39.0, 39.0], t=39.0)
    assert np.isfinite(got).all()
    assert got[0] == pytest.approx(0.184268, abs=1e-6)  # published mpmath value (issue 14)
    ref = _bgnbd_mp(0.243, 4.414, 0.4, 0.6, 0, 0, 39, 39, b_shift="1e-30")
    assert got[0] == pytest.approx(ref, rel=1e-12)
    assert got[1] == pytest.approx(_bgnbd_mp(0.243, 4.414, 0.4, 0.6, 2, 30, 39, 39), rel=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        (0.7385, 26.71, 3.327e10, 2.079e11),  # the apparel boundary fit
        (0.7385, 26.71, 3.327e4, 2.079e5),
        (0.243, 4.414, 2e6, 1e12),  # dropout -> 0: the NBD limit
    ],
)
def test_bgnbd_no_dropout_boundary_is_finite_and_exact(params):
    m = BetaGeoModel()
    m.params_ = pd.Series(dict(zip(("r", "alpha", "a", "b"), params)))
    rows = [(0, 0.0, 39.0), (2, 30.0, 38.0), (20, 35.0, 39.0)]
    x, tx, T = (np.array(v, dtype=float) for v in zip(*rows))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning either
        got = m.predict_purchases(x, tx, T, t=52.0)
        clv = m.predict_clv(x, tx, T, monetary_value=10.0, horizon=52.0, discount_rate=0.01)
        new = m.expected_purchases([10.0, 52.0])
    assert np.isfinite(got).all() and np.isfinite(clv).all() and np.isfinite(new).all()
    ref = [_bgnbd_mp(*params, xi, ti, Ti, 52.0) for xi, ti, Ti in rows]
    np.testing.assert_allclose(got, ref, rtol=1e-6)


@pytest.mark.public_data
def test_apparel_bgnbd_boundary_fit_predicts_finite_values():
    from crmine import TransactionSchema

    path = shared_dataset("apparel_clvtools") / "apparel_trans.csv"
    log = pd.read_csv(path, parse_dates=["Date"])
    log["order"] = np.arange(len(log))
    schema = TransactionSchema(
        customer="Id", order="order", time="Date", amount="Price", item=None, quantity=None,
        price=None, category=None,
    )
    data = calibration_holdout_split(log, "2005-10-08", "2010-12-20", schema=schema, time_unit="W")
    assert len(data) == 600
    with pytest.warns(ConvergenceWarning, match="boundary fit"):
        m = BetaGeoModel().fit(data)
    r, alpha, a, b = m.params_
    assert a > 1e6 and b > 1e6  # the degenerate fit the issue reports (a, b ~ 1e8-1e10)
    t = float(data["holdout_duration"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        pred = m.predict_purchases(data, t=t)
        clv = m.predict_clv(data, monetary_value=50.0, horizon=52.0)
    assert np.isfinite(pred).all() and np.isfinite(clv).all() and (pred > 0).all()
    # a + b ~ 1e11: the dropout probability is a point mass p (variance ~1e-12), where
    # E[Y(t) | alive] = (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p exactly
    alive = m.predict_proba_alive(data)
    for cid in data.index[:3]:
        row = data.loc[cid]
        x, T = row.repeat_frequency, row.btyd_T
        p = a / (a + b + x)
        ref = (1 - ((alpha + T) / (alpha + T + p * t)) ** (r + x)) / p * alive.loc[cid]
        assert pred.loc[cid] == pytest.approx(ref, rel=1e-8)


# ----------------------------------------------------------------------------- Pareto/NBD


@pytest.mark.parametrize("s", [1e3, 1e4, 1e6])
def test_pareto_large_s_beta_proba_alive_finite_and_exact(s):
    m = ParetoNBDModel()
    params = (0.55, 10.6, s, 12.0 * s)
    m.params_ = pd.Series(dict(zip(("r", "alpha", "s", "beta"), params)))
    rows = [(0, 0.0, 39.0), (1, 5.0, 39.0), (5, 30.0, 39.0), (20, 35.0, 39.0)]
    x, tx, T = (np.array(v, dtype=float) for v in zip(*rows))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alive = m.predict_proba_alive(x, tx, T)
        pred = m.predict_purchases(x, tx, T, t=39.0)
        ll = m.score_samples(x, tx, T)
    assert np.isfinite(alive).all() and np.isfinite(pred).all() and np.isfinite(ll).all()
    ref = [_pareto_alive_mp(*params, *row) for row in rows]
    np.testing.assert_allclose(alive, ref, rtol=1e-8)


def test_pareto_moderate_s_hypergeometric_matches_quadrature():
    params = (0.55, 10.6, 0.6, 11.7)
    m = ParetoNBDModel()
    m.params_ = pd.Series(dict(zip(("r", "alpha", "s", "beta"), params)))
    rows = [(0, 0.0, 39.0), (3, 20.0, 30.0), (12, 38.0, 39.0)]
    x, tx, T = (np.array(v, dtype=float) for v in zip(*rows))
    ref = [_pareto_alive_mp(*params, *row) for row in rows]
    np.testing.assert_allclose(m.predict_proba_alive(x, tx, T), ref, rtol=1e-10)


@pytest.mark.parametrize("cls", [BetaGeoModel, ParetoNBDModel])
@pytest.mark.parametrize("row", [([3], [10.0], [20.0]), ([1], [5.0], [10.0])])
def test_fit_on_one_customer_warns(cls, row):
    with pytest.warns(ConvergenceWarning, match="only 1 customer"):
        cls().fit(*row)


# ----------------------------------------------------------------------------- Gamma-Gamma


def _heavy_tailed_spend(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 4, n)
    nu = rng.gamma(0.6, 1 / 20.0, n)  # q = 0.6 < 1: infinite mean spend
    z = rng.gamma(2.0 * x, 1 / (nu * x))
    return x, z


def test_gamma_gamma_infinite_mean_is_flagged_never_negative():
    x, z = _heavy_tailed_spend()
    with pytest.warns(DataWarning, match="infinite"):
        gg = GammaGammaModel().fit(x, z)
    assert gg.params_["q"] <= 1
    assert gg.mean_spend_finite_ is False
    assert gg.mean_spend() == float("inf")
    with pytest.warns(DataWarning, match="infinite"):
        spend = gg.predict_spend(np.r_[0, x[:5]], np.r_[0.0, z[:5]])
    assert (spend > 0).all()  # never negative (the issue saw -482.5 for one-time buyers)
    assert spend[0] == np.inf


def test_gamma_gamma_finite_mean_flag():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 6, 800)
    nu = rng.gamma(4.0, 1 / 15.0, 800)
    gg = GammaGammaModel().fit(x, rng.gamma(6.0 * x, 1 / (nu * x)))
    assert gg.mean_spend_finite_ is True


# ----------------------------------------------------------------------------- holdout


def test_holdout_report_with_differing_durations_is_vectorised():
    data = simulate_btyd(3000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, random_state=3)
    data["holdout_duration"] = np.random.default_rng(0).uniform(10.0, 60.0, len(data))
    m = BetaGeoModel().fit(data)
    start = time.process_time()
    rep = holdout_report(m, data)
    elapsed = time.process_time() - start
    loop = sum(
        float(m.predict_purchases(data.iloc[[i]], t=d).iloc[0])
        for i, d in enumerate(data["holdout_duration"].to_numpy()[:300])
    )
    vec = m.predict_purchases(data.iloc[:300], t=data["holdout_duration"].to_numpy()[:300])
    assert float(vec.sum()) == pytest.approx(loop, rel=1e-12)
    assert rep.predicted_total == pytest.approx(
        float(m.predict_purchases(data, t=data["holdout_duration"].to_numpy()).sum())
    )
    assert elapsed < 5.0  # a loop per customer took ~12 s on 23,570 customers


def test_predict_purchases_rejects_bad_horizon_vector():
    m = BetaGeoModel()
    m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    from crmine.exceptions import SchemaError

    with pytest.raises(SchemaError, match="one horizon"):
        m.predict_purchases([0, 1], [0.0, 2.0], [5.0, 5.0], t=[1.0, 2.0, 3.0])
    with pytest.raises(SchemaError, match="one horizon"):
        m.predict_purchases([0, 1], [0.0, 2.0], [5.0, 5.0], t=[1.0, -2.0])


# ----------------------------------------------------------------------------- Kaplan-Meier


@pytest.mark.public_data
def test_kaplan_meier_new_customer_not_conditioned_on_duration_zero():
    lifelines = pytest.importorskip("lifelines")
    from lifelines.utils import restricted_mean_survival_time

    from crmine import TransactionFeatures
    from crmine.datasets import load_cdnow
    from crmine.lifetime import SurvivalCLV, inactivity_churn_table

    log = load_cdnow(shared_dataset("cdnow") / "CDNOW_master.txt")
    customers = TransactionFeatures().fit(log).transform(log)
    table = inactivity_churn_table(customers, inactivity_days=180)
    table["months"] = table["duration_days"] / 30.4375
    assert int((table["months"] == 0).sum()) == 12054  # one-time buyers churned at once
    km = SurvivalCLV(model="kaplan_meier").fit(table, duration_col="months", event_col="churned")
    ours = km.predict_remaining_lifetime(table.head(1), horizon=12.0, current_tenure=0.0)
    kmf = lifelines.KaplanMeierFitter().fit(table["months"], table["churned"])
    ref = restricted_mean_survival_time(kmf, t=12.0)
    assert ref == pytest.approx(3.95, abs=0.01)
    assert float(ours.iloc[0]) == pytest.approx(ref, rel=1e-4)  # was 8.09 (divided by S(0))
