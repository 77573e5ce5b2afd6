"""Model checking through one API: tracking table, frequency table, P(alive) matrix, plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmine.exceptions import SchemaError
from crmine.lifetime import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModelCheck,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
    calibration_holdout_split,
    check_model,
    compare_models,
    holdout_report,
    proba_alive_matrix,
    simulate_btyd,
    tracking_table,
)

PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _fitted(params=PARAMS):
    m = BetaGeoModel()
    m.params_ = pd.Series(params)
    return m


def _log():
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 3],
            "order_id": [1, 2, 3, 4, 5, 6],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-10", "2024-02-05", "2024-01-08", "2024-01-08", "2024-01-20"]
            ),
            "amount": [5.0, 7.0, 3.0, 4.0, 1.0, 2.0],
        }
    )


def test_tracking_table_by_hand():
    m = _fitted()
    t = tracking_table(m, _log(), "2024-01-14", "2024-02-11", time_unit="W")
    # cohort: customers 1 (first 01-01) and 2 (first 01-08); 3 starts after calibration
    # repeat purchase days: customer 1 on 01-10 (week 2) and 02-05 (week 6); customer 2 none
    assert t["actual"].tolist() == [0, 1, 0, 0, 0, 1]
    assert t["holdout"].tolist() == [False, False, True, True, True, True]
    # expected: E[X(tau - s - 1 day)] summed over the two customers, in weeks
    ends = np.arange(1, 7) * 7.0
    exp = sum(
        np.asarray(m.expected_purchases(np.clip(ends - (s + 1.0), 0, None) / 7.0))
        for s in (0.0, 7.0)
    )
    np.testing.assert_allclose(t["expected_cumulative"], exp)


def test_proba_alive_matrix_matches_predictions_and_defaults_to_data_T():
    table = simulate_btyd(2000, PARAMS, T=20.0, random_state=0)
    m = BetaGeoModel().fit(table)
    assert m.T_typical_ == pytest.approx(20.0)
    mat = proba_alive_matrix(m, max_frequency=5, n_recency=6)
    assert mat.columns.max() == pytest.approx(20.0)  # not CDNOW's 39
    assert mat.loc[3, 8.0] == pytest.approx(float(m.predict_proba_alive([3], [8.0], [20.0])[0]))
    assert (mat.loc[0] == 1.0).all()
    with pytest.raises(SchemaError, match="positive"):
        proba_alive_matrix(m, T=-1.0)


def test_check_model_one_result():
    table = simulate_btyd(1500, PARAMS, holdout=39.0, random_state=1)
    table["holdout_duration"] = 39.0
    m = ParetoNBDModel().fit(
        simulate_btyd(
            1500, {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}, model="pareto", random_state=1
        )
    )
    check = check_model(m, table)
    assert isinstance(check, ModelCheck)
    assert check.tracking is None and check.alive_matrix is not None
    assert check.holdout.mae == check.holdout_mae
    assert check.table["n_customers"].sum() == len(table)
    with pytest.raises(SchemaError, match="calibration_holdout_split"):
        check_model(m, table, log=_log())


@pytest.mark.public_data
def test_cdnow_tracking_totals_equal_the_calibration_table():
    from crmine.datasets import load_cdnow

    log = load_cdnow(shared_dataset("cdnow") / "CDNOW_sample.txt")
    data = calibration_holdout_split(log, "1997-09-30", "1998-06-30", time_unit="W")
    check = check_model(BetaGeoModel().fit(data), data, log=log)
    t = check.tracking
    assert len(t) == 78
    assert t.loc[~t["holdout"], "actual"].sum() == data["repeat_frequency"].sum() == 2457
    assert t.loc[t["holdout"], "actual"].sum() == data["holdout_frequency"].sum() == 1882
    # FHL (2005, Figure 2): the model tracks the cumulative curve within a few percent
    week39 = t.loc[39.0]
    assert week39["expected_cumulative"] == pytest.approx(week39["actual_cumulative"], rel=0.03)


def test_check_model_plots():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmine.datasets import load_cdnow  # noqa: F401  (import check only)

    table = simulate_btyd(800, PARAMS, holdout=39.0, random_state=2)
    table["holdout_duration"] = 39.0
    check = check_model(BetaGeoModel().fit(table), table)
    for kind in ("frequency", "alive"):
        fig, ax = plt.subplots()
        assert check.plot(kind, ax=ax) is ax
        plt.close(fig)
    with pytest.raises(SchemaError, match="log="):
        check.plot("tracking")
    from crmine.plotting import plot_tracking

    t = tracking_table(_fitted(), _log(), "2024-01-14", "2024-02-11")
    fig, ax = plt.subplots()
    assert plot_tracking(t, ax=ax) is ax
    plt.close(fig)


# ----------------------------------------------------------------------------- every model
BGBB = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
DONATIONS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def _bgbb(params=DONATIONS):
    m = BetaGeoBetaBinomModel()
    m.params_ = pd.Series(params)
    return m


def test_simulator_writes_the_holdout_length_the_checks_read():
    t = simulate_btyd(50, PARAMS, holdout=12.0, random_state=0)
    assert (t["holdout_duration"] == 12.0).all()
    assert "holdout_duration" not in simulate_btyd(50, PARAMS, random_state=0).columns
    with pytest.raises(ValueError, match="whole numbers"):
        simulate_btyd(10, BGBB, model="bgbb", T=6.0, holdout=2.5)


def test_bgbb_issue_reproduction_works_without_extra_columns():
    # the call of issue 18 (it raised a SchemaError from a non-integer recency grid)
    t = simulate_btyd(2000, BGBB, model="bgbb", T=6.0, random_state=0, holdout=5.0)
    m = BetaGeoBetaBinomModel().fit(t)
    check = check_model(m, t)
    assert check.family == "discrete"
    assert check.kinds == ("frequency", "alive", "tracking")
    assert check.table["n_customers"].sum() == 2000
    mat = check.alive_matrix
    assert list(mat.columns) == list(range(7)) and list(mat.index) == list(range(7))
    # histories that cannot exist are NaN: x > t_x, or a recency without a transaction
    assert np.isnan(mat.loc[3, 2]) and np.isnan(mat.loc[0, 4]) and np.isnan(mat.loc[1, 0])
    assert mat.loc[2, 5] == pytest.approx(float(m.predict_proba_alive([2], [5], [6])[0]))
    assert np.isfinite(mat.to_numpy()).sum() == 1 + 6 * 7 // 2
    # the holdout error is the HoldoutReport's (per customer over the 5 held-out opportunities)
    pred = m.predict_purchases(t, t=5.0).to_numpy()
    assert check.holdout_mae == pytest.approx(np.mean(np.abs(pred - t["holdout_frequency"])))


def test_bgbb_alive_matrix_by_hand():
    # x = t_x = n: no "died after t_x" terms, so P(alive at n + 1) = (delta + n)/(gamma + delta + n)
    mat = proba_alive_matrix(_bgbb(), T=6)
    assert mat.loc[6, 6] == pytest.approx((2.783 + 6) / (0.657 + 2.783 + 6), rel=1e-12)
    # x = 0, n = 6 by the FHS (2010) likelihood: alive term over the whole likelihood
    from scipy.special import betaln

    a, b, g, d = DONATIONS.values()
    alive = np.exp(betaln(a, b + 6) - betaln(a, b) + betaln(g, d + 6) - betaln(g, d))
    died = sum(
        np.exp(betaln(a, b + i) - betaln(a, b) + betaln(g + 1, d + i) - betaln(g, d))
        for i in range(6)
    )
    assert mat.loc[0, 0] == pytest.approx(alive / (alive + died) * (d + 6) / (g + d + 6))
    with pytest.raises(SchemaError, match="whole number"):
        proba_alive_matrix(_bgbb(), T=5.5)


def test_bgbb_conditional_expectations_match_lifetimes():
    lifetimes = pytest.importorskip("lifetimes")
    t = simulate_btyd(3000, BGBB, model="bgbb", T=6, random_state=3, holdout=4)
    m = BetaGeoBetaBinomModel().fit(t)
    f = lifetimes.BetaGeoBetaBinomFitter()
    f.params_ = pd.Series(m.params_.to_numpy(), index=["alpha", "beta", "gamma", "delta"])
    peer = f.conditional_expected_number_of_purchases_up_to_time(
        4, t["repeat_frequency"], t["btyd_recency"], t["btyd_T"]
    )
    check = check_model(m, t, max_frequency=4)
    grp = np.minimum(t["repeat_frequency"], 4).astype(int)
    np.testing.assert_allclose(
        check.table["predicted_mean"], pd.Series(np.asarray(peer)).groupby(grp.to_numpy()).mean(),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        check.table["actual_mean"], t["holdout_frequency"].groupby(grp).mean(), rtol=1e-12
    )


def test_bgbb_planted_truth_tracks_the_simulated_cohort():
    t = simulate_btyd(20000, BGBB, model="bgbb", T=6, random_state=5, holdout=5)
    m = BetaGeoBetaBinomModel().fit(t)
    check = check_model(m, t)
    tr = check.tracking
    assert len(tr) == 11 and tr["holdout"].sum() == 5
    assert tr.loc[~tr["holdout"], "actual"].sum() == t["repeat_frequency"].sum()
    assert tr.loc[tr["holdout"], "actual"].sum() == t["holdout_frequency"].sum()
    # expected at opportunity k: N alpha/(alpha+beta) B(gamma, delta+k)/B(gamma, delta)
    from scipy.special import betaln

    a, b, g, d = m.params_.to_numpy()
    k = np.arange(1, 12)
    hand = 20000 * a / (a + b) * np.exp(betaln(g, d + k) - betaln(g, d))
    np.testing.assert_allclose(tr["expected"], hand, rtol=1e-10)
    # a correct model tracks its own data: every opportunity within 5 %, holdout total 3 %
    np.testing.assert_allclose(tr["actual"], tr["expected"], rtol=0.05)
    assert abs(check.holdout_total_error_pct) < 3.0
    np.testing.assert_allclose(
        check.table["actual_mean"], check.table["predicted_mean"], rtol=0.1, atol=0.02
    )


def test_bgbb_tracking_refuses_totals_of_other_customers():
    t = simulate_btyd(500, BGBB, model="bgbb", T=6, random_state=1, holdout=3)
    m = BetaGeoBetaBinomModel().fit(t)
    with pytest.raises(SchemaError, match="different customers"):
        check_model(m, t.iloc[:200])  # a subset keeps the whole cohort's attrs
    sub = t.iloc[:200].copy()
    sub.attrs = {}
    assert check_model(m, sub).tracking is None
    with pytest.raises(SchemaError, match="no tracking table"):
        check_model(m, sub).plot("tracking")
    with pytest.raises(SchemaError, match="calibration alone"):
        check_model(m, t, log=[1.0, 2.0])


def test_bgbb_calibration_check_by_hand():
    # one opportunity: P(X(1) = 1) = E[p (1 - theta)] = alpha/(alpha+beta) delta/(gamma+delta)
    m = _bgbb({"alpha": 2.0, "beta": 3.0, "gamma": 1.0, "delta": 4.0})
    data = pd.DataFrame({"repeat_frequency": [0, 1, 1, 0], "btyd_recency": [0, 1, 1, 0],
                         "btyd_T": [1, 1, 1, 1]})
    check = check_model(m, data)
    assert check.kinds == ("calibration", "alive")
    assert check.table["actual"].tolist() == [2.0, 2.0]
    assert check.table.loc[1, "expected"] == pytest.approx(4 * 2 / 5 * 4 / 5)
    assert check.table["expected"].sum() == pytest.approx(4.0)
    # its mean is the model's E[X(n)] on six opportunities too
    from crmine.lifetime._checking_kinds import _bgbb_pmf

    pmf = _bgbb_pmf(_bgbb(), 6)
    assert pmf.sum() == pytest.approx(1.0, rel=1e-12)
    assert np.dot(np.arange(7), pmf) == pytest.approx(float(_bgbb().expected_purchases(6)[0]))


@pytest.mark.public_data
def test_donations_calibration_check():
    d = pd.read_csv(shared_dataset("donations_bgbb") / "donations.csv")
    m = BetaGeoBetaBinomModel(
        frequency_col="frequency", recency_col="recency", T_col="periods"
    ).fit(d, weights=d["weights"])
    check = check_model(m, d, weights="weights")
    t = check.table
    # actual donors by number of repeat donations 1996-2001, counted from the file
    assert t["actual"].tolist() == [3464, 1823, 1430, 1085, 1036, 1063, 1203]
    assert t["expected"].sum() == pytest.approx(11104)
    np.testing.assert_allclose(t["expected"], t["actual"], rtol=0.06)  # FHS 2010: close fit
    pa = m.predict_proba_alive(d["frequency"], d["recency"], d["periods"])
    mat = check.alive_matrix
    np.testing.assert_allclose(
        [mat.loc[x, r] for x, r in zip(d["frequency"], d["recency"])], pa, rtol=1e-12
    )
    with pytest.raises(SchemaError, match="different customers"):
        check_model(m, d, weights="weights", log=[5000.0] * 6)


def _spend_data(n=4000, seed=0):
    return simulate_btyd(n, {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}, holdout=39.0,
                         spend={"p": 6.0, "q": 4.0, "gamma": 15.0}, random_state=seed)


def test_gamma_gamma_spend_check_by_hand():
    gg = GammaGammaModel()
    gg.params_ = pd.Series({"p": 6.0, "q": 4.0, "gamma": 15.0})
    gg.mean_spend_finite_ = True
    data = pd.DataFrame(
        {"repeat_frequency": [0, 2, 2, 1], "btyd_monetary_mean": [np.nan, 30.0, 10.0, 20.0],
         "holdout_frequency": [1, 2, 0, 1], "holdout_monetary": [40.0, 50.0, 0.0, 10.0]}
    )
    check = check_model(gg, data)
    assert check.family == "spend" and check.kinds == ("spend",)
    # E[Z | x, zbar] = p (gamma + x zbar) / (p x + q - 1)
    e0, e2, e1 = 6 * 15 / 3, 6 * (15 + 60) / 15, 6 * (15 + 20) / 9
    assert check.n_excluded == 1  # customer 2 bought nothing in the holdout
    assert check.table["n_customers"].tolist() == [1, 1, 1]
    np.testing.assert_allclose(check.table["predicted_mean"], [e0, e1, e2])
    np.testing.assert_allclose(check.table["actual_mean"], [40.0, 10.0, 25.0])
    assert check.holdout_mae == pytest.approx((abs(e0 - 40) + abs(e2 - 25) + abs(e1 - 10)) / 3)
    total_p = e0 * 1 + e2 * 2 + e1 * 1
    assert check.holdout_total_error_pct == pytest.approx(100 * (total_p - 100.0) / 100.0)
    with pytest.raises(SchemaError, match="holdout_monetary"):
        check_model(gg, data.drop(columns="holdout_monetary"))


def test_gamma_gamma_spend_check_planted_truth():
    data = _spend_data()
    gg = GammaGammaModel().fit(data)
    check = check_model(gg, data, max_frequency=5)
    assert abs(check.holdout_total_error_pct) < 5.0
    np.testing.assert_allclose(check.table["actual_mean"], check.table["predicted_mean"],
                               rtol=0.1)
    assert check.n_excluded == int((data["holdout_frequency"] == 0).sum())


def test_sbg_check_projects_the_published_cohort():
    # Fader & Hardie (2007), regular cohort, years 0-12; fitted on years 0-7
    actual = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
    m = ShiftedBetaGeometricModel().fit(actual[:8])
    check = check_model(m, actual)
    t = check.table
    assert check.family == "retention" and t["holdout"].sum() == 5
    a, b = m.params_.to_numpy()
    # S(t) = S(t-1) (beta + t - 1)/(alpha + beta + t - 1), S(0) = 1
    s = np.cumprod([1.0] + [(b + k - 1) / (a + b + k - 1) for k in range(1, 13)])
    np.testing.assert_allclose(t["predicted_survival"], s, rtol=1e-10)
    np.testing.assert_allclose(t["predicted"], 1000 * s, rtol=1e-10)
    np.testing.assert_allclose(t["actual_retention"].iloc[1:], np.array(actual[1:]) /
                               np.array(actual[:-1]))
    hold = np.arange(8, 13)
    assert check.holdout_mae == pytest.approx(np.mean(np.abs(1000 * s[hold] -
                                                             np.array(actual)[hold])))
    # the paper's point: the sBG projection misses year 12 by under 1 point of the cohort
    assert abs(t.loc[12, "predicted_survival"] - 0.173) < 0.01
    with pytest.raises(SchemaError, match="not the ones the model was fitted on"):
        check_model(m, [1000, 869, 743, 653, 593, 551, 517, 491, 468])
    with pytest.raises(SchemaError, match="survivor counts"):
        check_model(m, pd.DataFrame({"duration_periods": [1, 2], "churned": [1, 0]}))


# ----------------------------------------------------------------------------- comparison
def test_compare_models_refuses_mixes_and_other_data():
    t = simulate_btyd(1500, PARAMS, holdout=39.0, random_state=7)
    bg = BetaGeoModel().fit(t)
    pnbd = ParetoNBDModel().fit(t)
    bb_data = simulate_btyd(1500, BGBB, model="bgbb", T=6, holdout=2, random_state=7)
    bb = BetaGeoBetaBinomModel().fit(bb_data)
    with pytest.raises(SchemaError, match="not comparable"):
        compare_models({"BG/NBD": bg, "BG/BB": bb})
    with pytest.raises(SchemaError, match="not comparable"):
        compare_models({"sBG": ShiftedBetaGeometricModel().fit([100, 60, 45]), "BG/BB": bb})
    other = BetaGeoModel().fit(simulate_btyd(1500, PARAMS, holdout=39.0, random_state=8))
    with pytest.raises(SchemaError, match="not fitted on data"):
        compare_models({"BG/NBD": bg, "other": other}, t)
    with pytest.raises(SchemaError, match="different numbers of customers"):
        compare_models({"BG/NBD": bg, "small": BetaGeoModel().fit(t.iloc[:1000])})
    # same data: BIC by hand, holdout columns from holdout_report
    cmp = compare_models({"BG/NBD": bg, "Pareto/NBD": pnbd}, t)
    assert cmp.table.loc["Pareto/NBD", "bic"] == pytest.approx(
        4 * np.log(1500) - 2 * pnbd.log_likelihood_
    )
    assert cmp.table.loc["BG/NBD", "holdout_mae"] == pytest.approx(
        holdout_report(bg, t).mae
    )


def test_compare_models_discrete_spend_and_retention():
    bb_data = simulate_btyd(3000, BGBB, model="bgbb", T=6, holdout=4, random_state=2)
    bb = BetaGeoBetaBinomModel().fit(bb_data)
    cmp = compare_models({"BG/BB": bb}, bb_data)
    assert cmp.table.loc["BG/BB", "holdout_mae"] == pytest.approx(check_model(bb, bb_data)
                                                                  .holdout_mae)
    data = _spend_data(2000, seed=1)
    gg = GammaGammaModel().fit(data)
    gg_pen = GammaGammaModel(penalizer=1e-4).fit(data)
    cmp = compare_models({"GG": gg, "GG pen": gg_pen}, data)
    assert cmp.best_bic == "GG"  # the penalised fit has a lower likelihood, same n_params
    assert cmp.table.loc["GG", "n_customers"] == int((data["repeat_frequency"] > 0).sum())
    actual = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
    sbg = ShiftedBetaGeometricModel().fit(actual[:8])
    cmp = compare_models({"sBG": sbg}, actual)
    assert cmp.table.loc["sBG", "holdout_mae"] == pytest.approx(check_model(sbg, actual)
                                                                .holdout_mae)
    assert cmp.table.loc["sBG", "log_likelihood"] == pytest.approx(sbg.log_likelihood_)
    with pytest.raises(SchemaError, match="different survivor counts"):
        compare_models({"a": sbg, "b": ShiftedBetaGeometricModel().fit(actual[:6])})


def test_compare_models_counts_covariate_coefficients():
    z = pd.DataFrame({"g": np.repeat([0.0, 1.0], 1000)})
    t = simulate_btyd(2000, {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}, covariates=z,
                      coefficients={"trans_g": np.log(2.0)}, holdout=20.0, random_state=0)
    plain = BetaGeoModel().fit(t)
    cov = BetaGeoModel(features=["g"]).fit(t)
    cmp = compare_models({"plain": plain, "covariates": cov}, t)
    assert cmp.table.loc["covariates", "n_params"] == 4 + len(cov.coefficients_)
    assert cmp.best_bic == "covariates"  # the planted effect is found


def test_checks_refuse_what_they_cannot_check():
    hand = ShiftedBetaGeometricModel()
    hand.params_ = pd.Series({"alpha": 0.704, "beta": 1.182})
    hand.n_periods_ = 7
    with pytest.raises(SchemaError, match="set by hand"):
        check_model(hand, [1000, 631, 468, 382, 326, 289, 262, 241, 223])
    with pytest.raises(SchemaError, match="set by hand"):
        compare_models({"a": hand, "b": hand})
    with pytest.raises(SchemaError, match="not a crmine lifetime model"):
        check_model(object(), pd.DataFrame())
    t = simulate_btyd(300, PARAMS, holdout=10.0, random_state=0)
    with pytest.raises(SchemaError, match="BG/BB patterns only"):
        check_model(BetaGeoModel().fit(t), t, weights=np.ones(300))
    regular = [1000, 631, 468, 382, 326, 289, 262, 241, 223]
    sbg = ShiftedBetaGeometricModel().fit(regular[:8])
    with pytest.raises(SchemaError, match="BG/BB patterns only"):
        check_model(sbg, regular, weights=np.ones(9))
    with pytest.raises(SchemaError, match="without log="):
        check_model(sbg, regular, log=[1.0])
    # BG/BB default grid: the model's typical number of opportunities, a whole number
    bb = simulate_btyd(400, BGBB, model="bgbb", T=np.repeat([4.0, 5.0], 200), random_state=0)
    m = BetaGeoBetaBinomModel().fit(bb)
    assert list(proba_alive_matrix(m).columns) == list(range(int(round(m.T_typical_)) + 1))


def test_check_model_of_a_covariate_model():
    z = pd.DataFrame({"g": np.repeat([0.0, 1.0], 1000)})
    t = simulate_btyd(2000, {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}, covariates=z,
                      coefficients={"trans_g": np.log(2.0)}, holdout=20.0, random_state=0)
    m = BetaGeoModel(features=["g"]).fit(t)
    check = check_model(m, t)
    mat = check.alive_matrix
    assert mat.attrs["covariates"] == {"g": 0.5}
    row = pd.DataFrame({"repeat_frequency": [3.0], "btyd_recency": [mat.columns[5]],
                        "btyd_T": [mat.columns[-1]], "g": [0.5]})
    assert mat.loc[3, mat.columns[5]] == pytest.approx(float(m.predict_proba_alive(row).iloc[0]))
    with pytest.raises(SchemaError, match="covariates="):
        proba_alive_matrix(m)
    with pytest.raises(SchemaError, match="covariates all 0"):
        tracking_table(m, _log(), "2024-01-14", "2024-02-11")
