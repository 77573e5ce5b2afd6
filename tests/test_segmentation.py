"""Tests of crmine.segmentation (CustomerSegmenter, segment_customers)."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from crmine.exceptions import DataWarning, SchemaError
from crmine.segmentation import CustomerSegmenter, segment_customers

RFM = ["recency_days", "frequency", "monetary_total"]
# same location as tests/conftest.py's shared_dataset(): <repo>/../shared/datasets
SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def _one_thread():
    """k-means' OpenMP threads spin badly on a shared 2-core machine: use one thread."""
    with threadpool_limits(1):
        yield


def rfm_blobs(n=1500, k=4, random_state=0, with_tenure=False):
    """RFM-like customer table: blobs in log space, exponentiated to skewed positives.

    The planted centres are far apart in log1p space, so the log1p+standard
    pipeline should recover them exactly up to a relabelling.
    """
    centers = np.array(
        [
            [np.log1p(5), np.log1p(20), np.log1p(3000)],  # active, frequent, high value
            [np.log1p(300), np.log1p(1), np.log1p(30)],  # lost one-off low value
            [np.log1p(60), np.log1p(5), np.log1p(400)],  # lapsing mid
            [np.log1p(15), np.log1p(1), np.log1p(40)],  # new-ish low value
            [np.log1p(150), np.log1p(10), np.log1p(1500)],
        ]
    )[:k]
    Z, y = make_blobs(n_samples=n, centers=centers, cluster_std=0.25, random_state=random_state)
    X = np.expm1(Z)
    df = pd.DataFrame(X, columns=RFM)
    df["frequency"] = np.maximum(1, np.round(df["frequency"])).astype(int)
    df.index = pd.Index([f"c{i:05d}" for i in range(n)], name="customer_id")
    if with_tenure:
        rng = np.random.default_rng(random_state)
        tenure = df["recency_days"] + rng.uniform(0, 400, n)
        tenure[y == 3] = df["recency_days"][y == 3] + rng.uniform(0, 5, (y == 3).sum())
        df["tenure_days"] = tenure
    return df, y


# ---------------------------------------------------------------- sklearn API
@parametrize_with_checks(
    [
        CustomerSegmenter(n_clusters=3, n_bootstrap=2, n_init=2, random_state=0),
        CustomerSegmenter(k_range=(2, 4), n_bootstrap=1, n_init=1, random_state=0),
    ],
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_clone_pickle_pipeline():
    X, _ = rfm_blobs(300, 3)
    seg = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=1)
    fitted = clone(seg).fit(X)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.labels_)
    pipe = make_pipeline(CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=1))
    np.testing.assert_array_equal(pipe.fit(X).predict(X), fitted.labels_)


# ------------------------------------------------------------- known answers
def test_known_answer_tiny_table():
    """Nine hand-made customers in three obvious groups; every number is hand-computed."""
    customers = pd.DataFrame(
        {
            "recency_days": [3, 5, 4, 200, 220, 210, 40, 45, 50, 42],
            "frequency": [30, 25, 28, 1, 1, 2, 6, 5, 7, 6],
            "monetary_total": [3000.0, 2500, 2800, 20, 25, 30, 400, 380, 420, 400],
        },
        index=pd.Index(list("abcdefghij"), name="customer_id"),
    )
    seg = CustomerSegmenter(n_clusters=3, n_bootstrap=5, random_state=0).fit(customers)
    # largest group (4 mid customers) is segment 0, then by first appearance
    np.testing.assert_array_equal(seg.labels_, [1, 1, 1, 2, 2, 2, 0, 0, 0, 0])
    prof = seg.profiles_
    assert prof["size"].tolist() == [4, 3, 3]
    np.testing.assert_allclose(prof["share"], [0.4, 0.3, 0.3])
    total = 3000 + 2500 + 2800 + 20 + 25 + 30 + 400 + 380 + 420 + 400
    np.testing.assert_allclose(
        prof["revenue_share"], [1600 / total, 8300 / total, 75 / total], rtol=1e-12
    )
    assert prof.loc[0, "recency_days"] == 43.5  # median of 40, 42, 45, 50
    assert prof.loc[1, "monetary_total"] == 2800
    assert prof.loc[2, "frequency"] == 1
    # population tertiles (linear interpolation): recency 40 and 50, monetary 380 and 420
    assert seg.names_.tolist() == ["lapsing, mid value", "active, high value", "lost, low value"]
    # centroid of the "lost" group in original units = expm1(mean(log1p(x)))
    lost = customers.iloc[3:6].to_numpy(dtype=float)
    np.testing.assert_allclose(
        seg.cluster_centers_[2], np.expm1(np.log1p(lost).mean(axis=0)), rtol=1e-9
    )
    assert seg.stability_ == pytest.approx(1.0)
    assert seg.selection_scores_.index.tolist() == [3]
    assert bool(seg.selection_scores_.loc[3, "chosen"])


def test_scores_match_sklearn_on_same_partition():
    X, _ = rfm_blobs(600, 4)
    seg = CustomerSegmenter(n_clusters=4, n_bootstrap=0, random_state=0, sample_size=10_000)
    seg.fit(X)
    Z = StandardScalerLog(X)
    km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(Z)
    assert adjusted_rand_score(km.labels_, seg.labels_) == 1.0
    row = seg.selection_scores_.loc[4]
    assert row["silhouette"] == pytest.approx(silhouette_score(Z, seg.labels_))
    assert row["inertia"] == pytest.approx(km.inertia_, rel=1e-6)


def StandardScalerLog(X):
    Z = np.log1p(X[RFM].to_numpy(dtype=float))
    return (Z - Z.mean(axis=0)) / Z.std(axis=0)


def test_transform_is_distance_to_centroids():
    X, _ = rfm_blobs(400, 3)
    seg = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0).fit(X)
    D = seg.transform(X)
    assert D.shape == (400, 3)
    np.testing.assert_array_equal(D.argmin(axis=1), seg.labels_)
    Z = StandardScalerLog(X)
    centers_model = (np.log1p(seg.cluster_centers_) - np.log1p(X[RFM]).mean().to_numpy()) / (
        np.log1p(X[RFM]).std(ddof=0).to_numpy()
    )
    expected = np.linalg.norm(Z[:, None, :] - centers_model[None, :, :], axis=2)
    np.testing.assert_allclose(D, expected, rtol=1e-6, atol=1e-9)


def test_signed_log1p_handles_negative_monetary():
    X, _ = rfm_blobs(300, 3)
    X = X.copy()
    X.iloc[:5, 2] = -X.iloc[:5, 2] / 100  # net monetary negative after returns
    seg = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0).fit(X)
    assert np.isfinite(seg.cluster_centers_).all()
    assert np.isfinite(seg.transform(X)).all()


def test_does_not_mutate_input():
    X, _ = rfm_blobs(300, 3)
    before = X.copy()
    CustomerSegmenter(n_clusters=3, n_bootstrap=2, random_state=0).fit(X)
    pd.testing.assert_frame_equal(X, before)


def test_extra_columns_ignored_and_profiled():
    X, _ = rfm_blobs(400, 4, with_tenure=True)
    X = X.assign(region="north", other=1.0)
    seg = CustomerSegmenter(n_clusters=4, n_bootstrap=0, random_state=0).fit(X)
    assert seg.features_ == RFM
    # scikit-learn's convention (the shared reader): every column of the table seen in fit
    assert seg.n_features_in_ == X.shape[1] and list(seg.feature_names_in_) == list(X.columns)
    assert "tenure_days" in seg.profiles_.columns
    assert "other" not in seg.profiles_.columns
    # predict on a table with the columns in another order and extras
    np.testing.assert_array_equal(seg.predict(X[["other", *RFM[::-1]]]), seg.labels_)


# ------------------------------------------------------- planted ground truth
@pytest.mark.parametrize("k", [3, 4, 5])
def test_planted_rfm_blobs_recovered(k):
    X, y = rfm_blobs(1500, k, random_state=k)
    seg = CustomerSegmenter(n_clusters=k, n_bootstrap=5, random_state=0).fit(X)
    assert adjusted_rand_score(y, seg.labels_) >= 0.95
    assert seg.stability_ >= 0.9


def test_auto_finds_planted_k_with_each_criterion():
    X, y = rfm_blobs(1000, 5, random_state=3)
    for criterion in ["silhouette", "calinski_harabasz", "elbow"]:
        seg = CustomerSegmenter(
            criterion=criterion, k_range=(2, 8), tol=0.0, n_init=3, n_bootstrap=0, random_state=0
        ).fit(X)
        if criterion == "elbow":
            # Kneedle on raw inertia is biased towards the end of the steepest drop: here
            # the inertia falls 2022 -> 966 -> 355 -> 159 -> 144, and k=4 lies farthest
            # from the chord ((1 - 2/6) - 0.126 = 0.541 against 0.477 for k=5).
            assert seg.n_clusters_ == 4, seg.selection_scores_
            assert "knee" in seg.selection_scores_.loc[4, "note"]
            continue
        assert seg.n_clusters_ == 5, (criterion, seg.selection_scores_)
        table = seg.selection_scores_
        assert table.index.tolist() == list(range(2, 9))
        assert table["chosen"].sum() == 1
        assert table.loc[5, "chosen"]
        assert set(table.columns) >= {
            "inertia",
            "silhouette",
            "calinski_harabasz",
            "davies_bouldin",
            "chosen",
            "note",
        }
        assert "k=5" in seg.selection_reason_


def test_auto_tolerance_picks_smallest_k_within_tol():
    X, _ = rfm_blobs(800, 5, random_state=1)
    seg = CustomerSegmenter(k_range=(2, 7), tol=0.0, n_init=3, n_bootstrap=0, random_state=0)
    seg.fit(X)
    sil = seg.selection_scores_["silhouette"]
    assert seg.n_clusters_ == sil.idxmax()
    # a huge tolerance admits every k: the smallest one is chosen
    seg2 = clone(seg).set_params(tol=2.0).fit(X)
    assert seg2.n_clusters_ == 2
    # a tolerance just above the gap between the best and the k=4 score admits 4 but not 3
    tol = sil.max() - sil.loc[4] + 1e-9
    if sil.loc[3] < sil.max() - tol and sil.loc[2] < sil.max() - tol:
        seg3 = clone(seg).set_params(tol=tol).fit(X)
        assert seg3.n_clusters_ == 4


def test_kneedle_on_hand_curve():
    from crmine.segmentation import _kneedle

    ks = np.arange(1, 8, dtype=float)
    inertia = np.array([100.0, 40, 12, 10, 9, 8, 7])  # knee at k=3
    assert ks[_kneedle(ks, inertia)] == 3
    assert _kneedle(ks, np.linspace(100, 10, 7)) is None  # a straight line has no knee


def test_silhouette_on_sample_for_large_n():
    X, _ = rfm_blobs(3000, 3)
    seg = CustomerSegmenter(n_clusters=3, sample_size=500, n_bootstrap=0, random_state=0).fit(X)
    Z = StandardScalerLog(X)
    full = silhouette_score(Z, seg.labels_)
    assert seg.selection_scores_.loc[3, "silhouette"] == pytest.approx(full, abs=0.05)


def test_same_seed_same_labels():
    X, _ = rfm_blobs(500, 4)
    a = CustomerSegmenter(k_range=(3, 5), n_init=3, n_bootstrap=3, random_state=7).fit(X)
    b = CustomerSegmenter(k_range=(3, 5), n_init=3, n_bootstrap=3, random_state=7).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    pd.testing.assert_frame_equal(a.selection_scores_, b.selection_scores_)
    assert a.stability_ == b.stability_


def test_minibatch_matches_kmeans_on_separated_data():
    X, y = rfm_blobs(3000, 4)
    seg = CustomerSegmenter(
        n_clusters=4, algorithm="minibatch", batch_size=256, n_bootstrap=0, random_state=0
    ).fit(X)
    assert adjusted_rand_score(y, seg.labels_) >= 0.95


def test_names_rule_with_tenure():
    X, y = rfm_blobs(1200, 4, with_tenure=True)
    seg = CustomerSegmenter(n_clusters=4, n_bootstrap=0, random_state=0).fit(X)
    # map each planted blob to its segment by majority
    seg_of = {b: np.bincount(seg.labels_[y == b]).argmax() for b in range(4)}
    names = seg.names_
    assert names[seg_of[0]] == "active, high value"
    assert names[seg_of[1]] == "lost, low value"
    assert names[seg_of[3]] == "new, low value"
    assert names[seg_of[2]].endswith("mid value")


def test_duplicate_names_get_suffix():
    from crmine.segmentation import _name_segments

    data = pd.DataFrame({"monetary_total": [1.0, 2, 3, 4, 5, 6]})
    # tertiles 2.667 and 4.333, 90th percentile 5.5
    prof = pd.DataFrame({"monetary_total": [5.0, 4.5, 1.0, 5.6, 3.0]})
    assert _name_segments(prof, data) == [
        "high value (1)",
        "high value (2)",
        "low value",
        "top value",
        "mid value",
    ]


def test_segment_customers_one_liner():
    X, y = rfm_blobs(600, 3)
    out = segment_customers(X, n_clusters=3, n_bootstrap=0)
    assert out.index.equals(X.index)
    assert list(out.columns) == ["segment", "segment_name"]
    assert adjusted_rand_score(y, out["segment"]) >= 0.95
    assert out["segment_name"].nunique() == 3


# ------------------------------------------------------------- property tests
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(12, 80),
    k=st.integers(2, 4),
    seed=st.integers(0, 10_000),
    scale=st.floats(0.5, 1e4),
)
def test_properties(n, k, seed, scale):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.gamma(1.0, scale, size=(n, 3)), columns=RFM)
    seg = CustomerSegmenter(n_clusters=k, n_init=1, n_bootstrap=2, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seg.fit(X)
    labels = seg.labels_
    assert labels.shape == (n,)
    assert set(np.unique(labels)) == set(range(k))
    sizes = np.bincount(labels)
    assert (np.diff(sizes) <= 0).all()  # numbered by decreasing size
    prof = seg.profiles_
    assert prof["size"].sum() == n
    assert prof["share"].sum() == pytest.approx(1.0)
    assert prof["revenue_share"].sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(seg.predict(X), labels)
    np.testing.assert_array_equal(seg.transform(X).argmin(axis=1), labels)
    assert -1 <= seg.stability_ <= 1 + 1e-9
    # invariance: scaling monetary by a constant under standard scaling without skew
    seg2 = clone(seg).set_params(skew=None)
    seg3 = clone(seg).set_params(skew=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        l2 = seg2.fit(X).labels_
        l3 = seg3.fit(X.assign(monetary_total=X["monetary_total"] * 100)).labels_
    np.testing.assert_array_equal(l2, l3)


@settings(max_examples=25, deadline=None)
@given(perm_seed=st.integers(0, 1000))
def test_row_order_does_not_change_partition(perm_seed):
    X, y = rfm_blobs(150, 3, random_state=2)
    perm = np.random.default_rng(perm_seed).permutation(len(X))
    a = CustomerSegmenter(n_clusters=3, n_init=2, n_bootstrap=0, random_state=0).fit(X)
    b = CustomerSegmenter(n_clusters=3, n_init=2, n_bootstrap=0, random_state=0)
    b.fit(X.iloc[perm])
    assert adjusted_rand_score(a.labels_[perm], b.labels_) == 1.0


# ----------------------------------------------------------------- bad input
def test_fewer_customers_than_k():
    X, _ = rfm_blobs(30, 3)
    with pytest.raises(SchemaError, match="n_clusters=5 is more than the 4 distinct"):
        CustomerSegmenter(n_clusters=5).fit(X.iloc[:4])
    with pytest.raises(SchemaError, match="too few to choose k"):
        CustomerSegmenter(k_range=(3, 8)).fit(X.iloc[:3])
    with pytest.warns(DataWarning, match="cut to k <= 5"):
        CustomerSegmenter(k_range=(3, 8), n_bootstrap=0).fit(X.iloc[:6])


def test_single_customer():
    X, _ = rfm_blobs(30, 3)
    with pytest.raises(SchemaError, match="n_samples=1"):
        CustomerSegmenter(n_clusters=1).fit(X.iloc[:1])


def test_empty_table():
    X, _ = rfm_blobs(30, 3)
    with pytest.raises(SchemaError, match="empty customer table"):
        CustomerSegmenter(n_clusters=2).fit(X.iloc[:0])
    with pytest.raises(ValueError, match="0 sample"):
        CustomerSegmenter(n_clusters=2).fit(X.to_numpy()[:0])


def test_nan_and_inf_named():
    X, _ = rfm_blobs(30, 3)
    X = X.copy()
    X.iloc[4, 2] = np.nan
    with pytest.raises(SchemaError, match=r"'monetary_total' has 1 missing or inf.*c00004"):
        CustomerSegmenter(n_clusters=2).fit(X)
    X.iloc[4, 2] = np.inf
    with pytest.raises(SchemaError, match="monetary_total"):
        CustomerSegmenter(n_clusters=2).fit(X)


def test_missing_column_and_wrong_dtype():
    X, _ = rfm_blobs(30, 3)
    with pytest.raises(SchemaError, match=r"tenure_days column 'tenure_days' not found"):
        CustomerSegmenter(features=["recency_days", "tenure_days"]).fit(X)
    bad = X.assign(frequency=X["frequency"].astype(str))
    with pytest.raises(SchemaError, match="column 'frequency' has dtype"):
        CustomerSegmenter(n_clusters=2).fit(bad)
    with pytest.raises(SchemaError, match="without column names"):
        CustomerSegmenter(features=RFM).fit(X.to_numpy())


def test_constant_column_warns():
    X, y = rfm_blobs(300, 3)
    X = X.assign(frequency=4)
    with pytest.warns(DataWarning, match="'frequency'.*constant"):
        seg = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0).fit(X)
    assert adjusted_rand_score(y, seg.labels_) >= 0.9


def test_all_identical_customers():
    X = pd.DataFrame({c: [5.0] * 10 for c in RFM})
    with pytest.raises(SchemaError, match="1 distinct customers"):
        CustomerSegmenter(n_clusters=2).fit(X)


def test_bad_params():
    X, _ = rfm_blobs(60, 3)
    with pytest.raises(ValueError, match="k_range"):
        CustomerSegmenter(k_range=(1, 5)).fit(X)
    with pytest.raises(ValueError, match="k_range"):
        CustomerSegmenter(k_range=(6, 3)).fit(X)
    with pytest.raises(ValueError, match="criterion"):
        CustomerSegmenter(criterion="gap").fit(X)
    with pytest.raises(ValueError, match="n_clusters"):
        CustomerSegmenter(n_clusters=0).fit(X)


def test_unfitted():
    X, _ = rfm_blobs(30, 3)
    with pytest.raises(AttributeError, match="not fitted"):
        CustomerSegmenter().predict(X)


def test_duplicated_rows_are_kept_duplicated_ids_refused():
    X, _ = rfm_blobs(100, 3)
    X2 = pd.concat([X, X.iloc[:10]])
    with pytest.raises(SchemaError, match="duplicated values 'c00000'"):
        CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0).fit(X2)
    X2.index = pd.RangeIndex(110)  # ten customers with identical features: all kept
    seg = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0).fit(X2)
    assert len(seg.labels_) == 110
    assert seg.profiles_["size"].sum() == 110


# ------------------------------------------------- planted truth in make_retail
@pytest.fixture(scope="module")
def retail_customers():
    from crmine.datasets import make_retail
    from crmine.features import TransactionFeatures

    data = make_retail(n_customers=2000, random_state=0)
    customers = TransactionFeatures().fit_transform(data.transactions)
    truth = data.customers["segment"].reindex(customers.index)
    assert truth.notna().all()
    return customers, truth


def test_make_retail_planted_segments_recovered(retail_customers):
    customers, truth = retail_customers
    k = truth.nunique()
    assert k == 5
    with threadpool_limits(1):
        seg = CustomerSegmenter(n_clusters=k, n_bootstrap=3, random_state=0).fit(customers)
    assert seg.features_ == RFM  # the default features
    assert adjusted_rand_score(truth, seg.labels_) >= 0.8
    # the readable names follow the planted story for the clear-cut segments
    named = pd.Series(seg.names_.to_numpy()[seg.labels_], index=customers.index)
    majority = named.groupby(truth).agg(lambda s: s.value_counts().index[0])
    assert majority["champions"] == "active, top value"
    assert majority["new"].startswith("new")
    assert majority["lapsed"].startswith("lost")
    assert seg.stability_ >= 0.8


# ------------------------------------------------------------- Online Retail
@pytest.fixture(scope="module")
def online_retail_customers():
    path = SHARED_DATASETS / "online_retail" / "online_retail.parquet"
    if not path.is_file():
        pytest.skip(f"public data set not present at {path}")
    pytest.importorskip("pyarrow")
    from crmine.datasets import load_online_retail
    from crmine.features import TransactionFeatures
    from crmine.schema import clean_transactions

    clean, _ = clean_transactions(load_online_retail(path), returns="drop")  # textbook rule
    customers = TransactionFeatures(cutoff="2011-12-10").fit_transform(clean)
    # standard cleaning facts from shared/datasets/online_retail/SOURCE.md
    assert len(customers) == 4338
    assert customers["monetary_total"].sum() == pytest.approx(8_911_407.904)
    return customers


def _matched_shares(ref, other, ref_labels, other_labels):
    """Align the segments of two fits by maximum overlap (Hungarian) and return both profiles."""
    from scipy.optimize import linear_sum_assignment

    table = pd.crosstab(ref_labels, other_labels).to_numpy()
    rows, cols = linear_sum_assignment(-table)
    return ref.iloc[rows], other.iloc[cols]


@pytest.mark.public_data
def test_online_retail_k5_stable_across_seeds(online_retail_customers):
    """Sizes and revenue shares of the five segments agree within 0.02 across seeds.

    The tolerance is two percentage points of customers / of revenue: measured
    spreads over seeds 0-4 are below one point, so 0.02 leaves room for BLAS
    and platform differences while catching a segmentation that flips.
    """
    customers = online_retail_customers
    fits = []
    with threadpool_limits(1):
        for seed in (0, 1, 2):
            seg = CustomerSegmenter(n_clusters=5, n_bootstrap=0, random_state=seed)
            fits.append(seg.fit(customers))
    ref = fits[0]
    for other in fits[1:]:
        a, b = _matched_shares(ref.profiles_, other.profiles_, ref.labels_, other.labels_)
        np.testing.assert_allclose(a["share"].to_numpy(), b["share"].to_numpy(), atol=0.02)
        np.testing.assert_allclose(
            a["revenue_share"].to_numpy(), b["revenue_share"].to_numpy(), atol=0.02
        )
        assert adjusted_rand_score(ref.labels_, other.labels_) >= 0.8
    # revenue is concentrated: the top segment is a minority of customers with most revenue
    prof = ref.profiles_
    top = prof["revenue_share"].idxmax()
    assert prof.loc[top, "share"] < 0.15 and prof.loc[top, "revenue_share"] > 0.4


@pytest.mark.public_data
def test_online_retail_silhouette_prefers_two(online_retail_customers):
    """The documented caveat: left free, silhouette picks k=2 on real RFM data."""
    with threadpool_limits(1):
        free = CustomerSegmenter(k_range=(2, 6), tol=0.0, n_init=3, n_bootstrap=0, random_state=0)
        free.fit(online_retail_customers)
    assert free.n_clusters_ == 2
    assert free.selection_scores_["silhouette"].idxmax() == 2


# --------------------------------------------------------------------- plots
def test_plots_draw_and_return_axes():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from crmine import plotting

    X, _ = rfm_blobs(400, 4, with_tenure=True)
    seg = CustomerSegmenter(k_range=(3, 5), n_init=2, n_bootstrap=0, random_state=0).fit(X)
    fig, axes = plt.subplots(2, 2)
    try:
        ax = plotting.plot_selection_curves(seg, ax=axes[0, 0])
        assert ax is axes[0, 0]
        assert len(ax.lines) == 5  # four metrics + the chosen-k line
        assert ax.lines[-1].get_xdata()[0] == seg.n_clusters_
        ax = plotting.plot_snake(seg, ax=axes[0, 1])
        assert len(ax.lines) == seg.n_clusters_ + 1  # one per segment + the zero line
        np.testing.assert_allclose(ax.lines[0].get_ydata(), seg._centers_model[0])
        ax = plotting.plot_segments_2d(seg, X, ax=axes[1, 0], sample_size=100)
        offsets = sum(len(c.get_offsets()) for c in ax.collections)
        assert offsets == 100 + seg.n_clusters_
        ax = plotting.plot_profile_heatmap(seg, ax=axes[1, 1])
        assert [t.get_text() for t in ax.get_xticklabels()][-1] == "revenue share"
        with pytest.raises(ValueError, match="unknown metric"):
            plotting.plot_selection_curves(seg, metrics=["gap"])
    finally:
        plt.close("all")
    with pytest.raises(AttributeError, match="not fitted"):
        plotting.plot_snake(CustomerSegmenter())


# ------------------------------------------------------ other transform options
def test_raw_centres_are_group_means():
    """skew=None, scaling=None: plain k-means, centres are the arithmetic group means."""
    X = pd.DataFrame({"a": [0.0, 1, 2, 100, 101, 102, 103], "b": [0.0, 0, 3, 50, 50, 52, 52]})
    seg = CustomerSegmenter(skew=None, scaling=None, n_clusters=2, n_bootstrap=0, random_state=0)
    seg.fit(X)
    np.testing.assert_array_equal(seg.labels_, [1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(seg.cluster_centers_, [[101.5, 51.0], [1.0, 1.0]])
    assert seg.inertia_ == pytest.approx((2 + 6) + (2 * 1.5**2 + 2 * 0.5**2) + 4 * 1.0)
    new = pd.DataFrame({"a": [1.0], "b": [1.0]})
    np.testing.assert_allclose(seg.transform(new), [[np.hypot(100.5, 50), 0.0]])


@pytest.mark.parametrize("skew", ["yeo-johnson", None])
@pytest.mark.parametrize("scaling", ["robust", "standard"])
def test_other_transforms_match_sklearn_pipeline(skew, scaling):
    from sklearn.preprocessing import PowerTransformer, RobustScaler, StandardScaler

    X, y = rfm_blobs(600, 3, random_state=5)
    seg = CustomerSegmenter(
        skew=skew, scaling=scaling, n_clusters=3, n_bootstrap=0, random_state=0
    ).fit(X)
    Z = X[RFM].to_numpy(dtype=float)
    if skew == "yeo-johnson":
        Z = PowerTransformer(standardize=False).fit_transform(Z)
    Z = (RobustScaler() if scaling == "robust" else StandardScaler()).fit_transform(Z)
    km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(Z)
    assert adjusted_rand_score(km.labels_, seg.labels_) == 1.0
    # transform() is the distance in that same space
    np.testing.assert_allclose(
        np.sort(seg.transform(X), axis=1), np.sort(km.transform(Z), axis=1), rtol=1e-6, atol=1e-8
    )
    # centres map back into the range of the data
    lo, hi = X[RFM].min().to_numpy(), X[RFM].max().to_numpy()
    assert ((seg.cluster_centers_ >= lo) & (seg.cluster_centers_ <= hi)).all()
    if skew is None:
        assert adjusted_rand_score(y, seg.labels_) >= 0.5
    else:
        assert adjusted_rand_score(y, seg.labels_) >= 0.95


# ------------------------------------------------- large-table path (issue 16.2)
def test_scan_sample_then_refit_recovers_planted_blobs():
    """Above scan_size, k is chosen on a sample and only the chosen k is refitted on everyone."""
    X, y = rfm_blobs(4000, 4)
    seg = CustomerSegmenter(scan_size=800, sample_size=300, n_bootstrap=3, random_state=0).fit(X)
    assert seg.n_clusters_ == 4
    assert adjusted_rand_score(y, seg.labels_) == 1.0  # every customer, not only the sample
    assert len(seg.labels_) == 4000 and seg.profiles_["size"].sum() == 4000
    assert seg.stability_ >= 0.95 and len(seg.stability_scores_) == 3
    # the refit starts from the scan's centroids: same partition as a full k-means
    Z = StandardScalerLog(X)
    full = KMeans(n_clusters=4, n_init=3, random_state=0).fit(Z)
    assert adjusted_rand_score(full.labels_, seg.labels_) == 1.0
    assert seg.inertia_ == pytest.approx(full.inertia_, rel=1e-6)
    # same seed, same result on the sampled path
    again = CustomerSegmenter(scan_size=800, sample_size=300, n_bootstrap=3, random_state=0)
    np.testing.assert_array_equal(again.fit(X).labels_, seg.labels_)
    assert again.stability_ == seg.stability_


def test_predict_returns_series_on_the_customer_index():
    X, _ = rfm_blobs(300, 3)
    seg = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0)
    fp = seg.fit_predict(X)
    assert isinstance(fp, pd.Series) and fp.index.equals(X.index) and fp.name == "segment"
    np.testing.assert_array_equal(fp.to_numpy(), seg.labels_)
    pred = seg.predict(X.iloc[::-1])
    assert pred.index.equals(X.index[::-1])
    np.testing.assert_array_equal(pred.to_numpy(), seg.labels_[::-1])
    assert isinstance(seg.predict(X[RFM].to_numpy()), np.ndarray)  # by position for arrays


@pytest.mark.parametrize("kind", ["polars", "pyarrow"])
def test_polars_and_pyarrow_tables_read_by_name(kind):
    X, _ = rfm_blobs(300, 3)
    shuffled = X[["monetary_total", "recency_days", "frequency"]]  # other column order
    if kind == "polars":
        pl = pytest.importorskip("polars")
        table = pl.from_pandas(shuffled.reset_index(drop=True))
    else:
        pa = pytest.importorskip("pyarrow")
        table = pa.Table.from_pandas(shuffled.reset_index(drop=True), preserve_index=False)
    ref = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0).fit(X)
    seg = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0).fit(table)
    np.testing.assert_array_equal(seg.labels_, ref.labels_)
    out = segment_customers(table, n_clusters=3, n_bootstrap=0, random_state=0)
    assert list(out.columns) == ["segment", "segment_name"] and len(out) == 300
