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
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from crmine.churn import ChurnClassifier, _auc, churn_labels, make_churn_dataset
from crmine.evaluation import churn_report
from crmine.exceptions import DataWarning, SchemaError
from crmine.features import TransactionFeatures

# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _one_thread():
    """OpenMP/BLAS oversubscription on a shared 2-core runner makes HGB 40x slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def _log(rows):
    """rows: (customer, order, timestamp, amount)."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": [r[1] for r in rows],
            "timestamp": pd.to_datetime([r[2] for r in rows]),
            "amount": [float(r[3]) for r in rows],
        }
    )


TINY = _log(
    [
        ("a", "o1", "2024-01-02 10:00", 10),
        ("a", "o2", "2024-01-20 10:00", 30),
        ("a", "o3", "2024-02-10 09:00", 5),  # after cutoff, inside horizon -> a active
        ("b", "o4", "2024-01-05 12:00", 7),
        ("b", "o5", "2024-03-05 00:00", 9),  # exactly at cutoff + 35 d: outside -> b churned
        ("c", "o6", "2024-01-31 23:59", 4),
        ("c", "C7", "2024-02-03 08:00", -4),  # a return only -> c churned
        ("d", "o8", "2024-02-01 00:00", 3),  # exactly at the cutoff: label window, not features
        ("d", "o9", "2024-03-20 00:00", 3),
    ]
)


def _mixed(n=400, seed=0):
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, n).astype(float)
    contract = rng.choice(["month", "one year", "two year"], n, p=[0.5, 0.3, 0.2])
    charges = rng.normal(70, 20, n)
    logit = -0.5 - 0.05 * (tenure - 30) + 1.5 * (contract == "month") + 0.01 * (charges - 70)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame(
        {
            "tenure": tenure,
            "contract": contract,
            "charges": charges,
            "noise": rng.normal(size=n),
            "paperless": rng.random(n) < 0.5,
        }
    )
    X.loc[rng.random(n) < 0.05, "charges"] = np.nan
    X.loc[rng.random(n) < 0.05, "contract"] = None
    return X, y


# --------------------------------------------------------------------------- churn_labels


def test_churn_labels_hand_computed():
    X, y, groups = churn_labels(TINY, cutoff="2024-02-01", horizon=33, end="2024-04-01")
    # customers with a purchase strictly before the cutoff: a, b, c (d starts at the cutoff)
    assert y.index.tolist() == ["a", "b", "c"]
    # window [2024-02-01, 2024-03-05): a buys o3; b's o5 is at the window end (excluded);
    # c only returns
    assert y.to_dict() == {"a": 0, "b": 1, "c": 1}
    assert y.name == "churned"
    assert groups.tolist() == ["a", "b", "c"]
    assert X["frequency"].to_dict() == {"a": 2, "b": 1, "c": 1}
    assert X["monetary_total"].to_dict() == {"a": 40.0, "b": 7.0, "c": 4.0}
    # recency in calendar days from the cutoff date
    assert X["recency_days"].to_dict() == {"a": 12, "b": 27, "c": 1}
    # absolute dates are dropped by default, kept on request
    assert "first_purchase" not in X.columns
    X2, _, _ = churn_labels(TINY, "2024-02-01", 33, end="2024-04-01", keep_dates=True)
    assert "first_purchase" in X2.columns


def test_churn_labels_horizon_boundary_and_active_days():
    # a 34-day window [02-01, 03-06) now holds b's order of 03-05 00:00
    _, y, _ = churn_labels(TINY, "2024-02-01", 34, end="2024-04-01")
    assert y.to_dict() == {"a": 0, "b": 0, "c": 1}
    X, y, _ = churn_labels(TINY, "2024-02-01", 34, end="2024-04-01", active_days=20)
    assert y.index.tolist() == ["a", "c"]
    assert (X["recency_days"] <= 20).all()


def test_no_leakage_rows_after_cutoff_never_change_features():
    cut = pd.Timestamp("2024-02-01")
    X1, _, _ = churn_labels(TINY, cut, 30, end="2024-04-01")
    # rewrite everything at or after the cutoff: huge amounts, new customers, new orders
    late = TINY.loc[TINY["timestamp"] >= cut].copy()
    late["amount"] = late["amount"] * 1000
    extra = _log([("a", "x1", "2024-02-02", 1e6), ("z", "x2", "2024-02-05", 1.0)])
    changed = pd.concat([TINY.loc[TINY["timestamp"] < cut], late, extra], ignore_index=True)
    X2, y2, _ = churn_labels(changed, cut, 30, end="2024-04-01")
    pd.testing.assert_frame_equal(X1, X2)
    assert "z" not in y2.index


def test_no_leakage_on_make_retail():
    from crmine import datasets as crmine_datasets

    retail = crmine_datasets.make_retail(150, random_state=3)
    log = retail.transactions
    cut = retail.start + pd.Timedelta(days=400)
    X1, y1, _ = churn_labels(log, cut, 90)
    X2, _, _ = churn_labels(log.loc[log["timestamp"] < cut], cut, 90, end=retail.end)
    pd.testing.assert_frame_equal(X1, X2)
    # label by brute force
    window = log[(log["timestamp"] >= cut) & (log["timestamp"] < cut + pd.Timedelta(days=90))]
    buyers = set(window.loc[window["quantity"] * window["price"] >= 0, "customer_id"])
    expected = [0 if c in buyers else 1 for c in y1.index]
    assert y1.tolist() == expected


def test_churn_labels_bad_input():
    with pytest.raises(SchemaError, match="ends after the end of the data"):
        churn_labels(TINY, "2024-03-10", 30)
    with pytest.raises(SchemaError, match="no customer has a purchase before"):
        churn_labels(TINY, "2023-06-01", 30)
    with pytest.raises(ValueError, match="horizon"):
        churn_labels(TINY, "2024-02-01", 0)
    with pytest.raises(TypeError, match="horizon"):
        churn_labels(TINY, "2024-02-01", 30.5)
    with pytest.raises(ValueError, match="whole number of days"):
        churn_labels(TINY, "2024-02-01", "36h")
    with pytest.raises(TypeError, match="horizon is required"):
        churn_labels(TINY, "2024-02-01")
    with pytest.raises(ValueError, match="active_days"):
        churn_labels(TINY, "2024-02-01", 30, active_days=-1)
    with pytest.raises(SchemaError):
        churn_labels(TINY.drop(columns=["customer_id"]), "2024-02-01", 30)
    with pytest.raises(TypeError, match="features"):
        churn_labels(TINY, "2024-02-01", 30, transaction_features="rfm")
    with pytest.warns(FutureWarning, match="transaction_features"):
        churn_labels(TINY, "2024-02-01", 30, features=TransactionFeatures())
    before = TINY.copy()
    churn_labels(TINY, "2024-02-01", 30)
    pd.testing.assert_frame_equal(TINY, before)  # caller's frame untouched


def test_make_churn_dataset_groups_and_index():
    X, y, groups = make_churn_dataset(
        TINY, ["2024-01-15", "2024-02-01"], horizon=30, end="2024-04-01"
    )
    assert X.index.names == ["cutoff", "customer_id"]
    assert y.index.equals(X.index)
    # 2024-01-15: a, b ; 2024-02-01: a, b, c
    assert groups.tolist() == ["a", "b", "a", "b", "c"]
    # a buys 01-20 -> active in the first snapshot; b buys nothing until 03-05 -> churned
    assert y.tolist() == [0, 1, 0, 1, 1]
    for tr, te in GroupKFold(n_splits=2).split(X, y, groups):
        assert not set(groups[tr]) & set(groups[te])
    with pytest.raises(ValueError, match="distinct"):
        make_churn_dataset(TINY, ["2024-02-01", "2024-02-01"], horizon=30)
    with pytest.raises(ValueError, match="non-empty"):
        make_churn_dataset(TINY, "2024-02-01", horizon=30)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 119), st.floats(-5, 50).map(round)),
        min_size=1,
        max_size=40,
    ),
    st.integers(10, 80),
    st.integers(1, 30),
)
def test_churn_labels_property_matches_brute_force(rows, cut_day, horizon):
    start = pd.Timestamp("2024-01-01")
    log = pd.DataFrame(
        {
            "customer_id": [f"c{r[0]}" for r in rows],
            "order_id": [f"o{i}" for i in range(len(rows))],
            "timestamp": [start + pd.Timedelta(days=r[1], hours=9) for r in rows],
            "amount": [float(r[2]) for r in rows],
        }
    )
    cut = start + pd.Timedelta(days=cut_day)
    before = log[(log["timestamp"] < cut) & (log["amount"] >= 0)]
    # returns kept as their own lines: the brute force below counts purchase lines
    kw = {
        "end": start + pd.Timedelta(days=200),
        "transaction_features": TransactionFeatures(returns="keep"),
    }
    if before.empty:
        with pytest.raises(SchemaError):
            churn_labels(log, cut, horizon, **kw)
        return
    X, y, _ = churn_labels(log, cut, horizon, **kw)
    assert sorted(y.index) == sorted(before["customer_id"].unique())
    win = log[
        (log["timestamp"] >= cut)
        & (log["timestamp"] < cut + pd.Timedelta(days=horizon))
        & (log["amount"] >= 0)
    ]
    for cust, label in y.items():
        assert label == int(cust not in set(win["customer_id"]))
        assert X.loc[cust, "frequency"] == (before["customer_id"] == cust).sum()


# --------------------------------------------------------------------------- classifier


def test_logistic_matches_hand_built_sklearn_pipeline():
    X, y = _mixed()
    clf = ChurnClassifier(importance_holdout=None, leakage_threshold=None).fit(X, y)
    num = ["tenure", "charges", "noise", "paperless"]
    Xr = X.assign(
        paperless=X["paperless"].astype(float),
        contract=X["contract"].astype(object).where(X["contract"].notna(), "missing"),
    )
    ref = make_pipeline(
        ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(
                        SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                    ),
                    num,
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore"), ["contract"]),
            ]
        ),
        LogisticRegression(max_iter=1000),
    ).fit(Xr, y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(Xr), atol=1e-6)
    assert clf.numeric_features_ == ["tenure", "charges", "noise", "paperless"]
    assert clf.categorical_features_ == ["contract"]
    assert list(clf.classes_) == [0, 1]


def test_string_labels_positive_class_is_larger_label():
    X, y = _mixed()
    labels = np.where(y == 1, "Yes", "No")
    clf = ChurnClassifier(importance_holdout=None, random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["No", "Yes"]
    p = clf.predict_proba(X)[:, 1]
    assert roc_auc_score(y, p) > 0.75
    assert set(clf.predict(X)) <= {"No", "Yes"}
    assert np.all(np.isfinite(clf.decision_function(X)))


def test_permutation_importances_find_planted_signal():
    X, y = _mixed(n=1500, seed=1)
    clf = ChurnClassifier(random_state=0, importance_holdout=0.25).fit(X, y)
    imp = clf.feature_importances_
    assert list(imp.index) == list(X.columns)
    assert imp["tenure"] == imp.max()
    assert imp["contract"] > imp["noise"]
    assert abs(imp["noise"]) < 0.02
    assert (clf.feature_importances_std_ >= 0).all()
    # same seed -> same importances
    imp2 = ChurnClassifier(random_state=0, importance_holdout=0.25).fit(X, y).feature_importances_
    pd.testing.assert_series_equal(imp, imp2)


def test_leakage_warning():
    X, y = _mixed(n=500, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        ChurnClassifier(importance_holdout=None).fit(X, y)  # no leak: no warning
    leaky = X.assign(days_since_cancel=np.where(y == 1, 3.0, np.nan))  # known only after churn
    with pytest.warns(DataWarning, match="days_since_cancel"):
        clf = ChurnClassifier(importance_holdout=None).fit(leaky, y)
    assert clf.single_feature_auc_["days_since_cancel"] == pytest.approx(1.0)
    leaky_cat = X.assign(status=np.where(y == 1, "closed", "open"))
    with pytest.warns(DataWarning, match="status"):
        ChurnClassifier(importance_holdout=None).fit(leaky_cat, y)
    # identifiers are flagged as such (and dropped), not as leakage
    ids = X.assign(customer=[f"id{i}" for i in range(len(X))])
    with pytest.warns(DataWarning, match="identifier"):
        clf = ChurnClassifier(importance_holdout=None).fit(ids, y)
    assert clf.dropped_features_ == ["customer"] and "customer" not in clf.single_feature_auc_


def test_unseen_categories_and_missing_at_predict():
    X, y = _mixed()
    clf = ChurnClassifier(importance_holdout=None).fit(X, y)
    new = X.head(3).copy()
    new["contract"] = ["weekly", None, "month"]
    new.loc[new.index[0], "tenure"] = np.nan
    p = clf.predict_proba(new)
    assert p.shape == (3, 2) and np.all(np.isfinite(p))
    # the unseen level is encoded as all zeros: same as the reference encoder
    enc = OneHotEncoder(handle_unknown="ignore").fit(X[["contract"]].fillna("missing"))
    assert enc.transform(pd.DataFrame({"contract": ["weekly"]})).sum() == 0


def test_bad_input():
    X, y = _mixed(n=100)
    with pytest.raises(ValueError, match="only one class"):
        ChurnClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="0 sample"):
        ChurnClassifier().fit(X.iloc[:0], y[:0])
    with pytest.raises(ValueError, match="binary"):
        ChurnClassifier().fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match="NaN"):
        ChurnClassifier().fit(X, np.where(np.arange(len(X)) == 0, np.nan, y))
    with pytest.warns(DataWarning, match="'signup' holds dates"):
        clf = ChurnClassifier().fit(X.assign(signup=pd.Timestamp("2024-01-01")), y)
    assert clf.dropped_features_ == ["signup"]
    with pytest.raises(ValueError, match="infinity in column 'charges'"):
        ChurnClassifier().fit(X.assign(charges=np.inf), y)
    with pytest.raises(ValueError, match="'model' parameter"):
        ChurnClassifier(model="svm").fit(X, y)
    with pytest.raises(ValueError, match="'calibration' parameter"):
        ChurnClassifier(calibration="platt").fit(X, y)
    clf = ChurnClassifier(importance_holdout=None).fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X.rename(columns={"tenure": "months"}))
    with pytest.raises(ValueError, match="missing:\n- noise"):
        clf.predict(X.drop(columns=["noise"]))
    with pytest.raises(ValueError, match="0 sample"):
        clf.predict(X.iloc[:0])
    # caller's frame is not mutated
    X0 = X.copy()
    ChurnClassifier(importance_holdout=None).fit(X, y).predict(X)
    pd.testing.assert_frame_equal(X, X0)


def test_all_nan_column_warns_and_fits():
    X, y = _mixed(n=200)
    X = X.assign(empty=np.nan, empty_cat=pd.Series([None] * len(X), dtype=object))
    with pytest.warns(DataWarning, match="entirely missing"):
        clf = ChurnClassifier(random_state=0, importance_holdout=0.25).fit(X, y)
    assert clf.feature_importances_["empty"] == 0.0
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ChurnClassifier().predict_proba(pd.DataFrame({"a": [1.0]}))


@pytest.mark.parametrize("model", ["gradient_boosting", "random_forest", GaussianNB()])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_models_and_class_weight(model, class_weight):
    X, y = _mixed(n=600, seed=4)
    clf = ChurnClassifier(
        model=model, class_weight=class_weight, importance_holdout=None, random_state=0
    )
    clf.fit(X.iloc[:400], y[:400])
    p = clf.predict_proba(X.iloc[400:])[:, 1]
    assert roc_auc_score(y[400:], p) > 0.7


def test_balanced_class_weight_raises_predicted_churn_rate():
    X, y = _mixed(n=800, seed=5)
    y = np.where(np.random.default_rng(0).random(len(y)) < 0.5, 0, y)  # rarer churn
    plain = ChurnClassifier(importance_holdout=None).fit(X, y).predict(X).mean()
    bal = ChurnClassifier(importance_holdout=None, class_weight="balanced").fit(X, y)
    assert bal.predict(X).mean() > plain
    assert bal.estimator_.class_weight == "balanced"


def test_calibration_option():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.metrics import brier_score_loss

    X, y = _mixed(n=1200, seed=6)
    X = X.assign(tenure2=X["tenure"] + np.random.default_rng(0).normal(0, 1, len(X)))
    kw = dict(model=GaussianNB(), importance_holdout=None, leakage_threshold=None)
    raw = ChurnClassifier(**kw).fit(X.iloc[:800], y[:800])
    cal = ChurnClassifier(**kw, calibration="sigmoid").fit(X.iloc[:800], y[:800])
    assert isinstance(cal.estimator_, CalibratedClassifierCV)
    p_raw = raw.predict_proba(X.iloc[800:])[:, 1]
    p_cal = cal.predict_proba(X.iloc[800:])
    np.testing.assert_allclose(p_cal.sum(axis=1), 1.0)
    # naive Bayes with a duplicated feature is over-confident; calibration helps
    assert brier_score_loss(y[800:], p_cal[:, 1]) < brier_score_loss(y[800:], p_raw)


def test_pickle_clone_and_groups():
    X, y = _mixed(n=300)
    groups = np.arange(len(X)) // 3
    clf = ChurnClassifier(random_state=0, importance_holdout=0.25).fit(X, y, groups=groups)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X))
    c2 = clone(clf)
    assert c2.get_params() == clf.get_params() and not hasattr(c2, "estimator_")
    with pytest.raises(ValueError, match="groups"):
        ChurnClassifier().fit(X, y, groups=groups[:10])


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, 1), min_size=4, max_size=60).filter(lambda v: 0 < sum(v) < len(v)),
    st.integers(0, 10_000),
)
def test_fast_auc_equals_sklearn(y, seed):
    y = np.array(y)
    s = np.round(np.random.default_rng(seed).normal(size=len(y)), 1)
    assert _auc(y, s) == pytest.approx(roc_auc_score(y, s))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(30, 120))
def test_probabilities_property(seed, n):
    X, y = _mixed(n=n, seed=seed)
    if y.min() == y.max():
        return
    clf = ChurnClassifier(importance_holdout=None, leakage_threshold=None).fit(X, y)
    p = clf.predict_proba(X)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    # row order does not change a customer's score
    perm = np.random.default_rng(seed).permutation(n)
    p2 = clf.predict_proba(X.iloc[perm])
    np.testing.assert_allclose(p2, p[perm])


@parametrize_with_checks(
    [ChurnClassifier(random_state=0, importance_holdout=None)],
    expected_failed_checks=lambda est: {
        "check_sample_weight_equivalence_on_dense_data": (
            "sample_weight is used by the model only; the median imputer and the "
            "scaler of the internal preprocessing are fitted unweighted."
        ),
    },
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        check(estimator)


# --------------------------------------------------------------------------- planted truth


def test_make_retail_planted_dropouts_ranked_high():
    from crmine import datasets
    retail = datasets.make_retail(800, random_state=0)
    # Lapsed customers stop buying for good between days 220 and 330; at day 365 some
    # look like slow (occasional) buyers.  Out-of-fold churn scores at the cutoff must
    # rank the customers who truly dropped out before it (planted truth, not the label).
    cut = retail.start + pd.Timedelta(days=365)
    X, y, _ = churn_labels(retail.transactions, cut, horizon=180)
    p = cross_val_predict(
        ChurnClassifier(random_state=0, importance_holdout=None),
        X,
        y,
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
        method="predict_proba",
    )[:, 1]
    truth = (retail.customers.loc[X.index, "true_dropout_time"] < cut).to_numpy()
    assert 0.1 < truth.mean() < 0.6
    assert roc_auc_score(truth, p) >= 0.8


# --------------------------------------------------------------------------- public data


@pytest.mark.public_data
def test_telco_target():
    from crmine.datasets import load_telco_churn

    path = shared_dataset("telco_churn") / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    df = load_telco_churn(path)
    assert df["TotalCharges"].isna().sum() == 11  # blanks -> missing, no row dropped
    assert len(df) == 7043
    y = df["churn"].to_numpy()
    X = df.drop(columns=["churn"])
    reports = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # no leakage/identifier warning
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
            clf = ChurnClassifier(random_state=0).fit(X.iloc[tr], y[tr])
            reports.append(churn_report(y[te], clf.predict_proba(X.iloc[te])[:, 1]))
    mean = pd.DataFrame(reports).mean()
    assert mean["roc_auc"] >= 0.84
    assert mean["pr_auc"] >= 0.64
    assert mean["top_decile_lift"] >= 2.75
    assert mean["roc_auc"] < 0.87  # above this would signal leakage on this data
    imp = clf.permutation_importance(X.iloc[te], y[te], random_state=0)
    assert imp.table.index[0] in {"tenure", "Contract"}


def test_nullable_and_categorical_dtypes():
    X, y = _mixed(n=300, seed=7)
    Xn = X.assign(
        tenure=X["tenure"].astype("Int64").mask(X.index % 17 == 0),
        contract=X["contract"].astype("category"),
        paperless=X["paperless"].astype("boolean"),
    )
    clf = ChurnClassifier(importance_holdout=None).fit(Xn, y)
    assert clf.numeric_features_ == ["tenure", "charges", "noise", "paperless"]
    assert clf.categorical_features_ == ["contract"]
    ref = ChurnClassifier(importance_holdout=None).fit(
        X.assign(tenure=Xn["tenure"].astype(float)), y
    )
    np.testing.assert_allclose(
        clf.predict_proba(Xn), ref.predict_proba(X.assign(tenure=Xn["tenure"].astype(float)))
    )
    with pytest.raises(SchemaError, match="'tenure' was numeric in fit"):
        clf.predict(Xn.assign(tenure=Xn["tenure"].astype(object).where(X.index > 0, "n/a")))


def test_churn_labels_timezone_aware_single_customer_and_duplicates():
    aware = TINY.assign(timestamp=TINY["timestamp"].dt.tz_localize("Europe/London"))
    X1, y1, _ = churn_labels(TINY, "2024-02-01", 33, end="2024-04-01")
    X2, y2, _ = churn_labels(aware, "2024-02-01", 33, end="2024-04-01")  # naive cutoff localised
    pd.testing.assert_series_equal(y1, y2)
    pd.testing.assert_frame_equal(X1, X2)
    one = TINY[TINY["customer_id"] == "a"]
    _, y, _ = churn_labels(one, "2024-02-01", 30, end="2024-04-01")
    assert y.to_dict() == {"a": 0}
    doubled = pd.concat([TINY, TINY], ignore_index=True)
    X3, y3, _ = churn_labels(doubled, "2024-02-01", 33, end="2024-04-01")
    pd.testing.assert_series_equal(y1, y3)
    assert X3["frequency"].equals(X1["frequency"])  # distinct orders


@pytest.mark.public_data
@pytest.mark.slow
def test_online_retail_churn_runs_and_ranks():
    from sklearn.model_selection import train_test_split

    from crmine.datasets import load_online_retail
    from crmine.schema import clean_transactions

    path = shared_dataset("online_retail") / "online_retail.parquet"
    pytest.importorskip("pyarrow")
    log, _ = clean_transactions(load_online_retail(path))
    X, y, groups = churn_labels(log, "2011-09-01", 90)
    cut = pd.Timestamp("2011-09-01")
    t = log["timestamp"]
    before = set(log.loc[t < cut, "customer_id"])
    after = set(log.loc[(t >= cut) & (t < cut + pd.Timedelta(days=90)), "customer_id"])
    assert set(groups) == before and len(X) == len(before)
    assert y.sum() == len(before - after)  # churners counted directly with pandas
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    clf = ChurnClassifier(random_state=0, importance_holdout=None).fit(Xtr, ytr)
    rep = churn_report(yte, clf.predict_proba(Xte)[:, 1])
    assert 0.70 <= rep["roc_auc"] < 0.80  # measured 0.74 under 5-fold CV


def test_plot_importances_of_fitted_classifier():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from crmine.plotting import plot_feature_importances

    X, y = _mixed(n=400)
    clf = ChurnClassifier(random_state=0, importance_holdout=0.25).fit(X, y)
    ax = plot_feature_importances(clf, top=3)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == clf.feature_importances_.abs().idxmax() and len(labels) == 3
    plt.close(ax.figure)


# --------------------------------------------------------------------------- issue 16.1


def _raw_telco_like(n=600, seed=0):
    """A raw frame as pd.read_csv gives it: numbers as text with blanks, an id column."""
    X, y = _mixed(n=n, seed=seed)
    total = (X["tenure"] * X["charges"].fillna(70)).round(2).astype(str)
    total[X["tenure"] == 0] = " "
    return X.assign(total=total, customer_id=[f"{i:04d}-ABCD" for i in range(n)]), y


def test_numeric_text_coerced_with_blank_count_and_identifier_dropped():
    X, y = _raw_telco_like()
    blanks = int((X["total"] == " ").sum())
    assert blanks > 0
    with pytest.warns(DataWarning) as record:
        clf = ChurnClassifier(random_state=0).fit(X, y)
    messages = [str(w.message) for w in record]
    assert any("'total' holds numbers as text" in m and f"{blanks} blank" in m for m in messages)
    assert any("'customer_id'" in m and "identifier" in m for m in messages)
    assert clf.coerced_features_ == ["total"] and "total" in clf.numeric_features_
    assert clf.dropped_features_ == ["customer_id"]
    # the id is ignored: same model as without the column
    ref = ChurnClassifier(random_state=0).fit(
        X.drop(columns="customer_id").assign(total=pd.to_numeric(X["total"], errors="coerce")), y
    )
    np.testing.assert_allclose(
        clf.predict_proba(X),
        ref.predict_proba(
            X.drop(columns="customer_id").assign(total=pd.to_numeric(X["total"], errors="coerce"))
        ),
        atol=1e-10,
    )


def test_one_hot_is_sparse_for_linear_models_dense_for_boosting():
    import scipy.sparse as sp

    X, y = _mixed(n=300)
    clf = ChurnClassifier(random_state=0).fit(X, y)
    assert sp.issparse(clf._transform(X))
    hgb = ChurnClassifier(model="gradient_boosting", random_state=0).fit(X, y)
    assert not sp.issparse(hgb._transform(X))


def test_importances_not_in_fit_and_linear_shortcut_is_exact():
    from crmine.churn._importance import permutation_drops

    X, y = _mixed(n=1200, seed=3)
    clf = ChurnClassifier(random_state=0).fit(X.iloc[:800], y[:800])
    assert not hasattr(clf, "feature_importances_")  # nothing computed in fit
    Z = clf._transform(X.iloc[800:])
    blocks = clf._blocks(clf.preprocessor_)

    class Generic:  # hides coef_: the predict_proba path on the same permutations
        def __init__(self, inner):
            self.inner = inner

        def predict_proba(self, A):
            return self.inner.predict_proba(A)

    base_l, d_l = permutation_drops(clf.estimator_, Z, y[800:], blocks, 1, 4, 7)
    base_g, d_g = permutation_drops(Generic(clf.estimator_), Z, y[800:], blocks, 1, 4, 7)
    assert base_l == pytest.approx(base_g, abs=1e-12)
    np.testing.assert_allclose(d_l, d_g, atol=1e-9)
    imp = clf.permutation_importance(X.iloc[800:], y[800:], random_state=0)
    assert imp.table.index[0] == "tenure" and imp.baseline_auc == pytest.approx(base_l)
    assert set(imp.table.index) == set(X.columns)
    with pytest.raises(SchemaError, match="one class"):
        clf.permutation_importance(X.iloc[800:], np.zeros(400, dtype=int))
    with pytest.raises(SchemaError, match="not seen in fit"):
        clf.permutation_importance(X.iloc[800:], np.full(400, 3))


def test_polars_input_by_name_and_probability_series():
    pl = pytest.importorskip("polars")
    X, y = _mixed(n=300)
    X.index = pd.Index([f"c{i}" for i in range(len(X))], name="customer_id")
    ref = ChurnClassifier(random_state=0).fit(X, y)
    clf = ChurnClassifier(random_state=0).fit(pl.from_pandas(X.reset_index(drop=True)), y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    s = ref.churn_probability(X)
    assert isinstance(s, pd.Series) and s.index.equals(X.index) and s.name == "churn_probability"


def test_features_selects_the_input_columns():
    X, y = _mixed(n=300)
    clf = ChurnClassifier(features=["tenure", "contract"], random_state=0).fit(X, y)
    assert clf.numeric_features_ == ["tenure"] and clf.categorical_features_ == ["contract"]
    ref = ChurnClassifier(random_state=0).fit(X[["tenure", "contract"]], y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X[["tenure", "contract"]]))
    assert clf.n_features_in_ == X.shape[1]  # the table seen in fit
    with pytest.raises(SchemaError, match="'tenor' not found"):
        ChurnClassifier(features=["tenor"]).fit(X, y)
