"""API, bad-input and calibration-split tests of the BTYD models (crmine.lifetime)."""

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

from crmine.exceptions import ConvergenceWarning, NotFittedError, SchemaError
from crmine.lifetime import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    calibration_holdout_split,
    holdout_report,
    simulate_btyd,
)

BG_PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD_PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GG_PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _fitted(cls, params):
    m = cls()
    m.params_ = pd.Series(params, dtype=float)
    return m


# --------------------------------------------------------------------------- API behaviour
def test_fit_inputs_equivalent_and_series_output():
    df = simulate_btyd(300, BG_PUBLISHED, random_state=1)
    a = BetaGeoModel().fit(df)
    b = BetaGeoModel().fit(df["repeat_frequency"], df["btyd_recency"], df["btyd_T"])
    c = BetaGeoModel().fit(df[["repeat_frequency", "btyd_recency", "btyd_T"]].to_numpy())
    pd.testing.assert_series_equal(a.params_, b.params_)
    pd.testing.assert_series_equal(a.params_, c.params_)
    out = a.predict_proba_alive(df)
    assert isinstance(out, pd.Series) and out.index.equals(df.index)


def test_weights_equal_duplicated_rows():
    df = simulate_btyd(200, BG_PUBLISHED, random_state=4)
    doubled = pd.concat([df, df], ignore_index=True)
    a = BetaGeoModel().fit(doubled)
    b = BetaGeoModel().fit(df, weights=np.full(len(df), 2.0))
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-6)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_)


def test_clone_pickle_and_not_fitted():
    m = BetaGeoModel(penalizer=0.01)
    assert clone(m).get_params() == {
        "penalizer": 0.01,
        "max_iter": 2000,
        "frequency_col": "repeat_frequency",
        "recency_col": "btyd_recency",
        "T_col": "btyd_T",
        "time_unit": None,
        "features": None,
    }
    with pytest.raises(NotFittedError):
        m.predict_proba_alive([1], [1.0], [2.0])
    df = simulate_btyd(200, BG_PUBLISHED, random_state=0)
    m.fit(df)
    m2 = pickle.loads(pickle.dumps(m))
    pd.testing.assert_series_equal(m.params_, m2.params_)


def test_does_not_mutate_input():
    df = simulate_btyd(100, BG_PUBLISHED, random_state=0)
    before = df.copy()
    BetaGeoModel().fit(df).predict_clv(df, monetary_value=10.0, horizon=10.0)
    pd.testing.assert_frame_equal(df, before)


def test_gamma_gamma_from_table_and_clv():
    df = simulate_btyd(500, BG_PUBLISHED, random_state=0)
    rng = np.random.default_rng(0)
    df["btyd_monetary_mean"] = np.where(
        df["repeat_frequency"] > 0, rng.gamma(5.0, 6.0, len(df)), np.nan
    )
    gg = GammaGammaModel().fit(df)
    bg = BetaGeoModel().fit(df)
    clv = bg.predict_clv(df, monetary_value=gg, horizon=52.0, period_length=4.0, discount_rate=0.01)
    manual = bg.predict_clv(
        df,
        monetary_value=gg.predict_spend(df).to_numpy(),
        horizon=52.0,
        period_length=4.0,
        discount_rate=0.01,
    )
    pd.testing.assert_series_equal(clv, manual)
    assert (clv >= 0).all()


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [BetaGeoModel, ParetoNBDModel])
def test_zero_frequency_for_all(cls):
    with pytest.raises(SchemaError, match="no customer made a repeat purchase"):
        cls().fit([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0])


@pytest.mark.parametrize(
    ("x", "tx", "T", "match"),
    [
        ([1, 2], [5.0, 12.0], [10.0, 10.0], "must not exceed"),
        ([1, -1], [5.0, 1.0], [10.0, 10.0], "non-negative whole"),
        ([1, 2], [-1.0, 1.0], [10.0, 10.0], "must be >= 0"),
        ([1, 2], [1.0, 1.0], [10.0, 0.0], "must be > 0"),
        ([1, 2], [1.0, np.nan], [10.0, 10.0], "missing or infinite"),
        ([1, 2], [1.0, 2.0], [10.0, np.inf], "missing or infinite"),
        ([0, 2], [3.0, 2.0], [10.0, 10.0], "0 repeat purchases"),
        ([1.5, 2], [3.0, 2.0], [10.0, 10.0], "whole numbers"),
        ([1, 2], [1.0], [10.0, 10.0], "same length"),
        ([], [], [], "empty"),
    ],
)
def test_bad_arrays(x, tx, T, match):
    with pytest.raises(SchemaError, match=match):
        BetaGeoModel().fit(x, tx, T)


def test_missing_column_and_wrong_dtype():
    df = pd.DataFrame({"repeat_frequency": [1, 2], "btyd_recency": [1.0, 2.0]})
    with pytest.raises(SchemaError, match="btyd_T"):
        BetaGeoModel().fit(df)
    df["btyd_T"] = ["a", "b"]
    with pytest.raises(SchemaError, match="numeric"):
        BetaGeoModel().fit(df)


def test_bad_hyperparameters():
    df = simulate_btyd(50, BG_PUBLISHED, random_state=0)
    with pytest.raises(ValueError, match="penalizer"):
        BetaGeoModel(penalizer=-1).fit(df)
    with pytest.raises(ValueError, match="max_iter"):
        ParetoNBDModel(max_iter=0).fit(df)
    m = BetaGeoModel().fit(df)
    with pytest.raises(ValueError, match="discount_rate"):
        m.predict_clv(df, monetary_value=1.0, horizon=10.0, discount_rate=-0.1)
    with pytest.raises(ValueError, match="horizon"):
        m.predict_clv(df, monetary_value=1.0, horizon=0.0)


def test_gamma_gamma_falls_back_to_monetary_mean_with_warning():
    from crmine.exceptions import DataWarning

    table = pd.DataFrame(
        {"repeat_frequency": [1, 2, 3, 1, 4, 2], "monetary_mean": [20.0, 35, 18, 50, 22, 41]}
    )
    with pytest.warns(DataWarning, match="per repeat purchase"):
        gg = GammaGammaModel().fit(table)
    assert gg.n_customers_ == 6


def test_gamma_gamma_bad_input():
    with pytest.raises(SchemaError, match="> 0"):
        GammaGammaModel().fit([1, 2, 3], [10.0, 0.0, 5.0])
    with pytest.raises(SchemaError, match="at least 2"):
        GammaGammaModel().fit([0, 0, 3], [0.0, 0.0, 5.0])
    with pytest.raises(SchemaError, match="btyd_monetary_mean"):
        GammaGammaModel().fit(pd.DataFrame({"repeat_frequency": [1, 2]}))


def test_single_customer_is_a_boundary_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="boundary"):
            ParetoNBDModel().fit([3], [10.0], [20.0])


def test_boundary_warning_when_nobody_drops_out():
    # pure Poisson buyers observed long: no dropout signal -> dropout driven to zero
    rng = np.random.default_rng(0)
    n = 3000
    T = np.full(n, 100.0)
    lam = rng.gamma(5.0, 1 / 20.0, n)
    times = [np.sort(rng.uniform(0, 100, rng.poisson(rate * 100))) for rate in lam]
    x = np.array([len(t) for t in times], dtype=float)
    tx = np.array([t[-1] if len(t) else 0.0 for t in times])
    with pytest.warns(ConvergenceWarning, match="boundary fit"):
        ParetoNBDModel().fit(x, tx, T)


def test_calibration_split_bad_dates():
    log = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "order_id": [1, 2],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "amount": [1.0, 2.0],
        }
    )
    with pytest.raises(ValueError, match="after calibration_end"):
        calibration_holdout_split(log, "2024-01-10", "2024-01-05")
    with pytest.raises(SchemaError, match="no purchase"):
        calibration_holdout_split(log, "2023-01-10", "2024-01-05")
    with pytest.raises(ValueError, match="time_unit"):
        calibration_holdout_split(log, "2024-01-10", "2024-03-05", time_unit="M")


@pytest.mark.public_data
def test_online_retail_boundary_fit_warns():
    from crmine import TransactionFeatures
    from crmine.datasets import load_online_retail

    path = shared_dataset("online_retail") / "online_retail.parquet"
    if not path.exists():
        pytest.skip("online_retail.parquet absent")
    pytest.importorskip("pyarrow")
    log = load_online_retail(path)
    log = log[log["customer_id"].notna()]
    table = TransactionFeatures(include=("btyd",), time_unit="W").fit_transform(log)
    table = table[table["btyd_T"] > 0]
    # the dropout process is not identified on this wholesale-heavy year of data
    with pytest.warns(ConvergenceWarning, match="mean dropout rate s/beta"):
        pn = ParetoNBDModel().fit(table)
    assert pn.params_["s"] / pn.params_["beta"] * table["btyd_T"].max() < 1e-3
    with pytest.warns(ConvergenceWarning, match="mean dropout probability"):
        BetaGeoModel().fit(table)


def _tiny_log(tz=None):
    ts = pd.to_datetime(
        [
            "2024-01-01 10:00",
            "2024-01-01 18:00",
            "2024-01-08 09:00",
            "2024-01-20 09:00",
            "2024-01-05 09:00",
            "2024-01-09 09:00",
            "2024-01-25 09:00",
        ]
    )
    if tz is not None:
        ts = ts.tz_localize(tz)
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3, 2],
            "order_id": [1, 2, 3, 4, 5, 6, 7],
            "timestamp": ts,
            "amount": [10.0, 5.0, 20.0, 15.0, 7.0, 3.0, -7.0],
        }
    )


@pytest.mark.parametrize("tz", [None, "Europe/Paris"])
def test_calibration_split_by_hand(tz):
    log = _tiny_log(tz)
    before = log.copy()
    with pytest.warns(Warning, match="first purchase on calibration_end"):
        s = calibration_holdout_split(log, "2024-01-09", "2024-01-31")
    pd.testing.assert_frame_equal(log, before)
    # customer 1: days 01-01 (two orders merged) and 01-08 in calibration; 01-20 in holdout
    assert s.loc[1, "repeat_frequency"] == 1
    assert s.loc[1, "btyd_recency"] == 7.0 and s.loc[1, "btyd_T"] == 8.0
    assert s.loc[1, "btyd_monetary_mean"] == 20.0
    assert s.loc[1, "holdout_frequency"] == 1 and s.loc[1, "holdout_monetary"] == 15.0
    # customer 2: one purchase; the holdout line is a return, not a purchase
    assert s.loc[2, "repeat_frequency"] == 0 and s.loc[2, "btyd_T"] == 4.0
    assert s.loc[2, "holdout_frequency"] == 0
    # customer 3 first bought on calibration_end (T = 0): dropped, counted
    assert 3 not in s.index and s.attrs["n_dropped_T0"] == 1
    assert (s["holdout_duration"] == 22.0).all()


def test_generated_transaction_log_recovers_published_params():
    # a transaction log drawn from the published CDNOW BG/NBD population (time in days:
    # alpha * 7), summarised by TransactionFeatures in weeks: the published values come back
    from crmine import TransactionFeatures, make_retail

    data = make_retail(
        6000,
        population="bgnbd",
        bgnbd_params=dict(BG_PUBLISHED, alpha=BG_PUBLISHED["alpha"] * 7),
        random_state=1,
    )
    table = TransactionFeatures(cutoff=data.end, time_unit="W", include=("btyd",)).fit_transform(
        data.transactions
    )
    m = BetaGeoModel().fit(table)
    for k, tol in {"r": 0.15, "alpha": 0.15, "a": 0.25, "b": 0.25}.items():
        assert m.params_[k] == pytest.approx(BG_PUBLISHED[k], rel=tol), k


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 60), st.floats(0.0, 100.0)),
        min_size=1,
        max_size=40,
    )
)
def test_calibration_split_properties(rows):
    start = pd.Timestamp("2024-01-01")
    log = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": np.arange(len(rows)),
            "timestamp": [start + pd.Timedelta(days=r[1], hours=7) for r in rows],
            "amount": [r[2] for r in rows],
        }
    )
    cal_end = start + pd.Timedelta(days=29)
    first_days = log.groupby("customer_id")["timestamp"].min().dt.normalize()
    cohort = first_days[first_days <= cal_end]
    if cohort.empty:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = calibration_holdout_split(log, cal_end, start + pd.Timedelta(days=59))
    kept = cohort[cohort < cal_end]
    assert set(s.index) == set(kept.index)
    day = log["timestamp"].dt.normalize()
    days = log.assign(day=day)[["customer_id", "day"]].drop_duplicates()
    days = days[days["customer_id"].isin(kept.index)]
    n_days = days[days["day"] <= cal_end]["customer_id"].value_counts()
    assert (s["repeat_frequency"] == n_days.loc[s.index] - 1).all()
    assert ((s["btyd_recency"] >= 0) & (s["btyd_recency"] <= s["btyd_T"])).all()
    obs_end = start + pd.Timedelta(days=59)
    in_hold = (days["day"] > cal_end) & (days["day"] <= obs_end)
    assert s["holdout_frequency"].sum() == int(in_hold.sum())


@settings(max_examples=25, deadline=None)
@given(x=st.integers(0, 30), frac=st.floats(0.0, 1.0), t1=st.floats(0.0, 100), t2=st.floats(0, 100))
def test_expected_purchases_grow_with_horizon(x, frac, t1, t2):
    lo, hi = sorted((t1, t2))
    tx = frac * 39.0 if x > 0 else 0.0
    for m in (_fitted(BetaGeoModel, BG_PUBLISHED), _fitted(ParetoNBDModel, PNBD_PUBLISHED)):
        a = m.predict_purchases([x], [tx], [39.0], t=lo)[0]
        b = m.predict_purchases([x], [tx], [39.0], t=hi)[0]
        assert 0 <= a <= b + 1e-12


# --------------------------------------------------------------------------- one vocabulary
def _renamed(df):
    return df.rename(columns={"repeat_frequency": "f", "btyd_recency": "r", "btyd_T": "age"})


@pytest.mark.parametrize("cls", [BetaGeoModel, ParetoNBDModel])
def test_role_columns_and_customer_index(cls):
    if cls is BetaGeoModel:
        df = simulate_btyd(300, BG_PUBLISHED, random_state=5)
    else:
        df = simulate_btyd(300, PNBD_PUBLISHED, model="pareto", random_state=5)
    df.index = pd.Index([f"c{i}" for i in range(len(df))], name="customer_id")
    ref = cls().fit(df)
    m = cls(frequency_col="f", recency_col="r", T_col="age").fit(_renamed(df))
    np.testing.assert_allclose(m.params_, ref.params_, rtol=1e-8)
    assert m.n_features_in_ == df.shape[1]
    alive = m.predict_proba_alive(_renamed(df))
    assert isinstance(alive, pd.Series) and alive.index.equals(df.index)
    clv = m.predict_clv(_renamed(df), monetary_value=10.0, horizon=10.0, margin=0.3)
    assert clv.index.equals(df.index) and clv.name == "clv"
    with pytest.raises(SchemaError, match=r"frequency column 'repeat_frequency'.* not found"):
        cls().fit(_renamed(df))


@pytest.mark.parametrize("kind", ["polars", "pyarrow"])
def test_polars_and_pyarrow_tables_are_read_by_name(kind):
    df = simulate_btyd(300, BG_PUBLISHED, random_state=6)
    # put the columns in an order where reading by position would be wrong
    cols = ["btyd_T", "alive", "btyd_recency", "repeat_frequency"]
    if kind == "polars":
        pl = pytest.importorskip("polars")
        table = pl.from_pandas(df[cols])
    else:
        pa = pytest.importorskip("pyarrow")
        table = pa.Table.from_pandas(df[cols], preserve_index=False)
    ref = BetaGeoModel().fit(df)
    m = BetaGeoModel().fit(table)
    np.testing.assert_allclose(m.params_, ref.params_, rtol=1e-8)
    np.testing.assert_allclose(
        np.asarray(m.predict_purchases(table, t=10.0)), ref.predict_purchases(df, t=10.0)
    )


def test_margin_and_discount_are_rates_money_is_checked():
    m = _fitted(BetaGeoModel, BG_PUBLISHED)
    with pytest.raises(SchemaError, match="margin is a rate"):
        m.predict_clv([1], [2.0], [10.0], monetary_value=5.0, horizon=5.0, margin=30)
    with pytest.raises(SchemaError, match="discount_rate is a rate"):
        m.predict_clv([1], [2.0], [10.0], monetary_value=5.0, horizon=5.0, discount_rate=2)
    with pytest.raises(SchemaError, match="monetary_value must be"):
        m.predict_clv([1], [2.0], [10.0], monetary_value=-5.0, horizon=5.0)
    a = m.predict_clv([1], [2.0], [10.0], monetary_value=5.0, horizon=5.0, margin=0.2)
    b = m.predict_clv([1], [2.0], [10.0], monetary_value=5.0, horizon=5.0)
    assert a[0] == pytest.approx(0.2 * b[0])


def test_gamma_gamma_role_columns():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 6, 400)
    nu = rng.gamma(4.0, 1 / 15.0, 400)
    z = np.where(x > 0, rng.gamma(6.0 * np.maximum(x, 1), 1 / (nu * np.maximum(x, 1))), np.nan)
    df = pd.DataFrame({"n": x, "avg": z}, index=pd.Index(range(100, 500), name="id"))
    gg = GammaGammaModel(frequency_col="n", monetary_col="avg").fit(df)
    ref = GammaGammaModel().fit(x, np.nan_to_num(z))
    np.testing.assert_allclose(gg.params_, ref.params_, rtol=1e-8)
    spend = gg.predict_spend(df)
    assert spend.index.equals(df.index) and (spend > 0).all()


def test_fit_clv_one_liner():
    from crmine.lifetime import fit_clv

    df = simulate_btyd(800, BG_PUBLISHED, random_state=7)
    rng = np.random.default_rng(0)
    df["btyd_monetary_mean"] = np.where(
        df["repeat_frequency"] > 0, rng.gamma(6.0, 5.0, len(df)), np.nan
    )
    out = fit_clv(df, horizon=39.0, margin=0.5)
    assert list(out.columns) == ["expected_purchases", "proba_alive", "expected_spend", "clv"]
    assert out.index.equals(df.index)
    bg = out.attrs["transaction_model"]
    gg = out.attrs["spend_model"]
    np.testing.assert_allclose(out["expected_purchases"], bg.predict_purchases(df, t=39.0))
    np.testing.assert_allclose(
        out["clv"], 0.5 * bg.predict_purchases(df, t=39.0) * gg.predict_spend(df)
    )
    fixed = fit_clv(df, horizon=39.0, monetary_value=10.0, model="pareto")
    assert (fixed["expected_spend"] == 10.0).all()


def test_holdout_report_is_a_result_with_dict_access():
    from crmine.lifetime import HoldoutReport

    df = simulate_btyd(500, BG_PUBLISHED, holdout=39.0, random_state=8)
    df["holdout_duration"] = 39.0
    m = BetaGeoModel().fit(df)
    rep = holdout_report(m, df)
    assert isinstance(rep, HoldoutReport)
    assert rep["predicted_total"] == rep.predicted_total
    assert rep.table.index.equals(df.index)
    assert rep.actual_total == df["holdout_frequency"].sum()
    assert "HoldoutReport(n_customers=500" in repr(rep)
    assert rep.to_series()["mae"] == rep.mae


def test_lifelines_missing_names_the_extra(monkeypatch):
    import sys

    from crmine.lifetime import SurvivalCLV

    monkeypatch.setitem(sys.modules, "lifelines", None)
    df = pd.DataFrame({"duration_days": [1.0, 2.0, 3.0], "churned": [1, 0, 1]})
    with pytest.raises(ImportError, match=r"crmine\[survival\]"):
        SurvivalCLV().fit(df)


def test_btyd_models_do_not_import_lifelines():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['lifelines'] = None\n"
        "from crmine.lifetime import BetaGeoModel, ParetoNBDModel, GammaGammaModel, simulate_btyd\n"
        "t = simulate_btyd(200, {'r': 0.25, 'alpha': 4.0, 'a': 0.8, 'b': 2.5}, random_state=0)\n"
        "BetaGeoModel().fit(t).predict_clv(t, monetary_value=1.0, horizon=5.0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fit_clv_bad_input():
    from crmine.lifetime import fit_clv

    df = simulate_btyd(300, BG_PUBLISHED, random_state=9)
    with pytest.raises(SchemaError, match="monetary column 'btyd_monetary_mean'.* not found"):
        fit_clv(df, horizon=10.0)
    with pytest.raises(SchemaError, match="margin is a rate"):
        fit_clv(df, horizon=10.0, monetary_value=5.0, margin=25)
    with pytest.raises(SchemaError, match="model must be"):
        fit_clv(df, horizon=10.0, monetary_value=5.0, model="lifetimes")
    with pytest.raises(SchemaError, match="T column 'btyd_T'.* not found"):
        fit_clv(df.drop(columns="btyd_T"), horizon=10.0, monetary_value=5.0)
    # a spend model with an infinite mean never turns into a CLV
    rng = np.random.default_rng(0)
    x = df["repeat_frequency"].to_numpy()
    nu = rng.gamma(0.6, 1 / 20.0, len(df))
    heavy = df.assign(
        btyd_monetary_mean=np.where(
            x > 0, rng.gamma(2.0 * np.maximum(x, 1), 1 / (nu * np.maximum(x, 1))), np.nan
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SchemaError, match="mean_spend_finite_ is False"):
            fit_clv(heavy, horizon=10.0)


def test_fit_clv_horizon_has_a_unit():
    from crmine.exceptions import SchemaError
    from crmine.lifetime import fit_clv, simulate_btyd

    table = simulate_btyd(300, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}, random_state=1)
    weeks = fit_clv(table, horizon=13, time_unit="W", monetary_value=10.0)
    days = fit_clv(table, horizon="91D",
                   time_unit="W", monetary_value=10.0)
    pd.testing.assert_frame_equal(weeks, days)
    # a month has no fixed length: refused, never read as minutes
    with pytest.raises(SchemaError, match="365D"):
        fit_clv(table, horizon="12M", time_unit="W", monetary_value=10.0)
    with pytest.raises(SchemaError, match="time_unit"):
        fit_clv(table, horizon=12, time_unit="M", monetary_value=10.0)
