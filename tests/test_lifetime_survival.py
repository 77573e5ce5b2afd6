"""Tests of SurvivalCLV and inactivity_churn_table (crmine.lifetime)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from crmine.exceptions import DataWarning, NotFittedError, SchemaError
from crmine.lifetime import SurvivalCLV, inactivity_churn_table

pytest.importorskip("lifelines")


def _exponential_frame(n=3000, scale=10.0, cens=30.0, seed=0):
    rng = np.random.default_rng(seed)
    life = rng.exponential(scale, n)
    return pd.DataFrame({"t": np.minimum(life, cens), "e": (life < cens).astype(int)})


def _two_plan_frame(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    plan = rng.integers(0, 2, n)
    scale = np.where(plan == 1, 40.0, 10.0)
    life = scale * rng.weibull(1.5, n)
    cens = rng.uniform(5, 60, n)
    return pd.DataFrame(
        {
            "tenure": np.minimum(life, cens),
            "churned": (life <= cens).astype(int),
            "plan": np.where(plan == 1, "annual", "monthly"),
            "fee": rng.uniform(20.0, 60.0, n),
        }
    )


# --------------------------------------------------------------------------- known answers
def test_memoryless_exponential_known_answers():
    # exponential lifetimes (Weibull with rho = 1): conditional survival does not depend on tenure,
    # RMST(h) = scale (1 - exp(-h/scale)), CLV = m sum_k exp(-k/scale) (1+d)^-k
    df = _exponential_frame(n=20000)
    m = SurvivalCLV(model="weibull", duration_col="t", event_col="e").fit(df)
    lam, rho = m.fitter_.lambda_, m.fitter_.rho_
    assert rho == pytest.approx(1.0, abs=0.03)
    assert lam == pytest.approx(10.0, rel=0.03)
    X = pd.DataFrame(index=[0, 1])
    sf = m.predict_survival_function(X, [0.0, 5.0], current_tenure=[0.0, 20.0])
    # closed form of the fitted Weibull
    for i, t0 in enumerate([0.0, 20.0]):
        expected = np.exp(-(((t0 + 5.0) / lam) ** rho) + (t0 / lam) ** rho)
        assert sf.iloc[i, 1] == pytest.approx(expected, rel=1e-10)
        assert sf.iloc[i, 0] == pytest.approx(1.0)
    rmst = m.predict_remaining_lifetime(X, horizon=5.0, current_tenure=0.0)
    assert rmst.iloc[0] == pytest.approx(10.0 * (1 - np.exp(-0.5)), rel=0.02)
    clv = m.predict_clv(
        X, value_per_period=10.0, horizon=12, discount_rate=0.01, current_tenure=0.0
    )
    k = np.arange(1, 13)
    hand = 10.0 * np.sum(np.exp(-((k / lam) ** rho)) / 1.01**k)
    assert clv.iloc[0] == pytest.approx(hand, rel=1e-10)


def test_kaplan_meier_rmst_matches_lifelines():
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    df = _exponential_frame(n=500, seed=3)
    m = SurvivalCLV(model="kaplan_meier", duration_col="t", event_col="e").fit(df)
    km = KaplanMeierFitter().fit(df["t"], df["e"])
    ref = restricted_mean_survival_time(km, t=8.0)
    ours = m.predict_remaining_lifetime(df.head(1), horizon=8.0, current_tenure=0.0, n_points=20001)
    assert ours.iloc[0] == pytest.approx(ref, rel=1e-3)
    # conditional KM survival = S(t0+u)/S(t0) read off the lifelines curve
    sf = m.predict_survival_function(df.head(1), [3.0], current_tenure=4.0)
    s = km.survival_function_at_times([4.0, 7.0]).to_numpy()
    assert sf.iloc[0, 0] == pytest.approx(s[1] / s[0])


@pytest.mark.parametrize("model", ["weibull", "lognormal", "loglogistic", "cox"])
def test_conditional_survival_matches_lifelines_unconditional_ratio(model):
    df = _two_plan_frame(800)
    m = SurvivalCLV(
        model=model, duration_col="tenure", event_col="churned", features=["plan", "fee"]
    ).fit(df)
    X = df.head(4)
    t0 = np.array([1.0, 3.5, 5.25, 8.125])
    u = np.array([2.0, 6.0])
    ours = m.predict_survival_function(X, u, current_tenure=t0).to_numpy()
    Z = m._encode(X, fitting=False)
    full = m.fitter_.predict_survival_function(Z, times=np.r_[t0, t0 + u[0], t0 + u[1]])
    for i in range(4):
        s = full.iloc[:, i]
        for j, uj in enumerate(u):
            assert ours[i, j] == pytest.approx(s.loc[t0[i] + uj] / s.loc[t0[i]], rel=1e-6)


# --------------------------------------------------------------------------- planted truth
def test_planted_plan_effect_and_clv_order():
    df = _two_plan_frame(3000, seed=1)
    m = SurvivalCLV(
        model="weibull", duration_col="tenure", event_col="churned", features=["plan"]
    ).fit(df)
    # true Weibull shape 1.5, annual plan lives 4x longer: log-scale coefficient log(4)
    coef = m.fitter_.params_.loc[("lambda_", "plan=monthly")]
    assert coef == pytest.approx(-np.log(4.0), abs=0.15)
    assert m.fitter_.params_.loc[("rho_", "Intercept")] == pytest.approx(np.log(1.5), abs=0.1)
    new = pd.DataFrame({"plan": ["annual", "monthly"]})
    clv = m.predict_clv(new, value_per_period=10.0, horizon=24, current_tenure=0.0)
    assert clv.iloc[0] > clv.iloc[1]
    assert m.concordance_ > 0.65


@pytest.mark.public_data
def test_telco_concordance_at_least_082():
    path = shared_dataset("telco_churn") / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    df = pd.read_csv(path)
    df["churned"] = df["Churn"].eq("Yes").astype(int)
    df = df[df["tenure"] > 0]  # 11 brand-new customers without any observed month
    rng = np.random.default_rng(0)
    train = rng.random(len(df)) < 0.7
    cov = ["Contract", "InternetService", "PaymentMethod", "MonthlyCharges"]
    m = SurvivalCLV(model="weibull", duration_col="tenure", event_col="churned", features=cov).fit(
        df[train]
    )
    assert m.concordance_ >= 0.82
    assert m.score(df[~train]) >= 0.82  # held-out customers
    active = df[~train & (df["churned"] == 0)].head(200)
    clv = m.predict_clv(active, value_per_period="MonthlyCharges", horizon=24, discount_rate=0.01)
    assert (clv > 0).all() and (clv <= active["MonthlyCharges"] * 24 + 1e-9).all()
    # two-year contracts are worth more than month-to-month at the same charge
    same = active.assign(MonthlyCharges=70.0, tenure=12)
    by_contract = (
        m.predict_clv(same, value_per_period=70.0, horizon=24).groupby(same["Contract"]).mean()
    )
    assert by_contract["Two year"] > by_contract["Month-to-month"]


# --------------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(
    d1=st.floats(0.0, 0.3),
    d2=st.floats(0.0, 0.3),
    t0=st.floats(0.0, 40.0),
    h=st.floats(1.0, 60.0),
)
def test_clv_falls_with_discount_and_rmst_bounded(fitted_weibull, d1, d2, t0, h):
    m = fitted_weibull
    X = pd.DataFrame({"plan": ["annual"]})
    lo, hi = sorted((d1, d2))
    c_lo = m.predict_clv(
        X, value_per_period=5.0, horizon=h, discount_rate=lo, current_tenure=t0
    ).iloc[0]
    c_hi = m.predict_clv(
        X, value_per_period=5.0, horizon=h, discount_rate=hi, current_tenure=t0
    ).iloc[0]
    assert c_hi <= c_lo + 1e-9
    r = m.predict_remaining_lifetime(X, horizon=h, current_tenure=t0, n_points=201).iloc[0]
    assert 0.0 <= r <= h + 1e-9
    s = m.predict_survival_function(X, [0.0, h / 2, h], current_tenure=t0).to_numpy()[0]
    assert np.all(np.diff(s) <= 1e-12) and np.all((s >= 0) & (s <= 1))


@pytest.fixture(scope="module")
def fitted_weibull():
    return SurvivalCLV(
        model="weibull", duration_col="tenure", event_col="churned", features=["plan"]
    ).fit(_two_plan_frame(600))


# --------------------------------------------------------------------------- warnings and API
def test_km_and_cox_warn_past_longest_duration():
    df = _two_plan_frame(400)
    km = SurvivalCLV(model="kaplan_meier", duration_col="tenure", event_col="churned").fit(df)
    with pytest.warns(DataWarning, match="cannot extrapolate"):
        km.predict_clv(df.head(2), value_per_period=1.0, horizon=km.max_duration_ + 5.0)
    cox = SurvivalCLV(
        model="cox", duration_col="tenure", event_col="churned", features=["plan"]
    ).fit(df)
    with pytest.warns(DataWarning, match="cannot extrapolate"):
        cox.predict_remaining_lifetime(df.head(2), horizon=200.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        SurvivalCLV(
            model="weibull", duration_col="tenure", event_col="churned", features=["plan"]
        ).fit(df).predict_clv(df.head(2), value_per_period=1.0, horizon=500.0)


def test_clone_pickle_not_fitted_and_no_mutation():
    df = _two_plan_frame(300)
    before = df.copy()
    m = SurvivalCLV(model="lognormal", penalizer=0.01)
    assert clone(m).get_params() == {
        "model": "lognormal",
        "penalizer": 0.01,
        "duration_col": "duration_days",
        "event_col": "churned",
        "features": None,
    }
    with pytest.raises(NotFittedError):
        m.predict_clv(df, value_per_period=1.0, horizon=3)
    m.set_params(duration_col="tenure", features=["plan", "fee"]).fit(df)
    m2 = pickle.loads(pickle.dumps(m))
    pd.testing.assert_series_equal(
        m.predict_clv(df.head(5), value_per_period=1.0, horizon=5),
        m2.predict_clv(df.head(5), value_per_period=1.0, horizon=5),
    )
    pd.testing.assert_frame_equal(df, before)
    assert isinstance(m.summary_, pd.DataFrame) and len(m.summary_) > 0


@pytest.mark.filterwarnings("ignore:An ill-conditioned matrix")
def test_collinear_covariates_give_a_clear_error():
    df = _two_plan_frame(300)
    df["plan_copy"] = df["plan"]
    with pytest.raises(SchemaError, match="drop one of them or set penalizer"):
        SurvivalCLV(
            model="cox", duration_col="tenure", event_col="churned", features=["plan", "plan_copy"]
        ).fit(df)


def test_zero_durations_warn_for_parametric():
    df = _two_plan_frame(300)
    df.loc[df.index[:3], "tenure"] = 0.0
    with pytest.warns(DataWarning, match="are 0"):
        SurvivalCLV(duration_col="tenure", event_col="churned").fit(df)


# --------------------------------------------------------------------------- bad input
def test_bad_inputs():
    df = _two_plan_frame(100)
    with pytest.raises(SchemaError, match="negative durations"):
        SurvivalCLV(duration_col="tenure").fit(df.assign(tenure=-df["tenure"]))
    with pytest.raises(SchemaError, match="'nope'.* not found"):
        SurvivalCLV(duration_col="nope", event_col="churned").fit(df)
    with pytest.raises(SchemaError, match="0/1 or boolean"):
        SurvivalCLV(duration_col="tenure").fit(
            df.assign(churned=np.where(df["churned"] == 1, "Yes", "No"))
        )
    with pytest.raises(SchemaError, match="only 0 and 1"):
        SurvivalCLV(duration_col="tenure", event_col="churned").fit(df.assign(churned=2))
    with pytest.raises(SchemaError, match="no churn event"):
        SurvivalCLV(duration_col="tenure", event_col="churned").fit(df.assign(churned=0))
    with pytest.raises(SchemaError, match="missing or infinite"):
        SurvivalCLV(duration_col="tenure", event_col="churned").fit(df.assign(tenure=np.nan))
    with pytest.raises(SchemaError, match="empty"):
        SurvivalCLV(duration_col="tenure").fit(df.iloc[:0])
    with pytest.raises(ValueError, match="'model' parameter"):
        SurvivalCLV(model="gompertz", duration_col="tenure", event_col="churned").fit(df)
    with pytest.raises(ValueError, match="needs covariates"):
        SurvivalCLV(model="cox", duration_col="tenure", event_col="churned").fit(df)
    with pytest.raises(ValueError, match="no covariates"):
        SurvivalCLV(model="kaplan_meier", duration_col="tenure", features=["plan"]).fit(df)
    m = SurvivalCLV(duration_col="tenure", event_col="churned", features=["plan"]).fit(df)
    with pytest.raises(SchemaError, match="not seen in fit"):
        m.predict_clv(pd.DataFrame({"plan": ["weekly"]}), value_per_period=1.0, horizon=3)
    with pytest.raises(ValueError, match="discount_rate"):
        m.predict_clv(df, value_per_period=1.0, horizon=3, discount_rate=-1)
    with pytest.raises(ValueError, match="period_length"):
        m.predict_clv(df, value_per_period=1.0, horizon=3, period_length=0)


def test_inactivity_churn_table():
    table = pd.DataFrame(
        {"recency_days": [5, 100, 400], "tenure_days": [50, 300, 500]},
        index=pd.Index([1, 2, 3], name="customer_id"),
    )
    out = inactivity_churn_table(table, inactivity_days=90)
    assert out["churned"].tolist() == [0, 1, 1]
    assert out["duration_days"].tolist() == [50, 200, 100]
    assert "churned" not in table.columns
    with pytest.raises(SchemaError, match="recency_days <= tenure_days"):
        inactivity_churn_table(table.assign(recency_days=[60, 1, 1]), inactivity_days=90)
    with pytest.raises(ValueError, match="inactivity_days"):
        inactivity_churn_table(table, inactivity_days=0)
    with pytest.raises(SchemaError, match="tenure column 'tenure_days' not found"):
        inactivity_churn_table(table.drop(columns="tenure_days"), inactivity_days=30)


def test_margin_is_a_rate_and_value_per_period_is_money():
    df = _two_plan_frame(300)
    m = SurvivalCLV(duration_col="tenure", features=["plan"]).fit(df)
    full = m.predict_clv(df.head(3), value_per_period=20.0, horizon=12)
    part = m.predict_clv(df.head(3), value_per_period=20.0, horizon=12, margin=0.25)
    np.testing.assert_allclose(part, 0.25 * full)
    with pytest.raises(SchemaError, match="margin is a rate"):
        m.predict_clv(df.head(3), value_per_period=20.0, horizon=12, margin=30.0)
    with pytest.raises(TypeError, match="value_per_period"):
        m.predict_clv(df.head(3), margin=0.3, horizon=12)


def test_deprecated_lifelines_style_fit_warns_and_still_works():
    df = _two_plan_frame(200)
    with pytest.warns(FutureWarning, match="deprecated"):
        old = SurvivalCLV().fit(df, "tenure", "churned", ["plan"])
    new = SurvivalCLV(duration_col="tenure", features=["plan"]).fit(df)
    pd.testing.assert_frame_equal(old.summary_, new.summary_)


def test_polars_input_read_by_name():
    pl = pytest.importorskip("polars")
    df = _two_plan_frame(200)
    m = SurvivalCLV(duration_col="tenure", features=["plan"]).fit(pl.from_pandas(df))
    ref = SurvivalCLV(duration_col="tenure", features=["plan"]).fit(df)
    pd.testing.assert_frame_equal(m.summary_, ref.summary_)
