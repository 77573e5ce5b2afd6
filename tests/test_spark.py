"""The Spark path of crmine against its pandas path on the same data.

A local[2] session with two shuffle partitions, input frames of at least two
partitions in which customers span partitions, and a session time zone
(Asia/Tokyo) far from UTC so that a date taken in UTC instead of wall-clock
time would show.  Skipped without pyspark or without a Java runtime.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("the Spark tests need a Java runtime (java on PATH)", allow_module_level=True)

from crmine import TransactionFeatures, clean_transactions, rfm_table
from crmine.basket import apriori, association_rules
from crmine.datasets import make_retail
from crmine.exceptions import SchemaError
from crmine.features import basket_matrix
from crmine.spark import (
    SparkKMeans,
    customer_features,
    fpgrowth,
    is_spark_dataframe,
    rfm_table_spark,
    score_customers,
    to_customer_table,
)

pytestmark = pytest.mark.spark

TZ = "Asia/Tokyo"


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # the Python workers (mapInPandas) must run this interpreter, which has sklearn
    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("crmine-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", TZ)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    """make_retail log with late-evening and just-after-midnight timestamps added."""
    tx = make_retail(n_customers=120, random_state=3).transactions.copy()
    rng = np.random.default_rng(0)
    orders = tx["order_id"].unique()
    late = set(rng.choice(orders, size=len(orders) // 4, replace=False))
    early = set(rng.choice(sorted(set(orders) - late), size=len(orders) // 8, replace=False))
    day = tx["timestamp"].dt.normalize()
    shift = np.where(
        tx["order_id"].isin(late),
        pd.Timedelta(hours=23, minutes=47).value,
        np.where(tx["order_id"].isin(early), pd.Timedelta(minutes=13).value, -1),
    )
    tx["timestamp"] = tx["timestamp"].where(shift < 0, day + pd.to_timedelta(shift, unit="ns"))
    # a second line of some orders a few minutes later: the order time is its first line
    extra = tx.iloc[::37].copy()
    extra["timestamp"] = extra["timestamp"] + pd.Timedelta(minutes=9)
    extra["item"] = "gift card"
    return pd.concat([tx, extra], ignore_index=True)


@pytest.fixture(scope="module")
def slog(spark, log):
    sdf = spark.createDataFrame(log).repartition(3).cache()
    assert sdf.rdd.getNumPartitions() >= 2
    return sdf


def _collect_table(sdf, schema=None) -> pd.DataFrame:
    return to_customer_table(sdf, schema)


# counts and calendar-day differences: integers on both paths
_INTEGER_FEATURES = {
    "recency_days",
    "frequency",
    "tenure_days",
    "distinct_items",
    "repeat_frequency",
}


def _assert_same_table(spark_pdf: pd.DataFrame, pandas_pdf: pd.DataFrame) -> None:
    assert list(spark_pdf.columns) == list(pandas_pdf.columns)
    assert list(spark_pdf.index) == list(pandas_pdf.index)
    assert spark_pdf.index.name == pandas_pdf.index.name
    for col in pandas_pdf.columns:
        a, b = spark_pdf[col], pandas_pdf[col]
        if pd.api.types.is_datetime64_any_dtype(b):
            assert (
                a.to_numpy(dtype="datetime64[ns]") == b.to_numpy(dtype="datetime64[ns]")
            ).all(), col
        elif col in _INTEGER_FEATURES or col.startswith("orders_"):
            assert pd.api.types.is_integer_dtype(a), (col, a.dtype)
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy(), err_msg=col)
        else:
            np.testing.assert_allclose(
                a.to_numpy(dtype=float),
                b.to_numpy(dtype=float),
                rtol=1e-9,
                atol=1e-9,
                equal_nan=True,
                err_msg=col,
            )


# ----------------------------------------------------------------------------- detection


def test_detection(slog, log):
    assert is_spark_dataframe(slog)
    assert not is_spark_dataframe(log)
    assert not is_spark_dataframe([1, 2])

    class DataFrame:  # what a Spark Connect frame looks like from its class
        pass

    DataFrame.__module__ = "pyspark.sql.connect.dataframe"
    assert is_spark_dataframe(DataFrame())


def test_import_crmine_does_not_import_pyspark():
    code = (
        "import sys, crmine, crmine.spark, crmine.features, crmine.schema\n"
        "assert 'pyspark' not in sys.modules, 'pyspark imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_input_spans_partitions(slog):
    from pyspark.sql import functions as F

    spread = (
        slog.withColumn("part", F.spark_partition_id())
        .groupBy("customer_id")
        .agg(F.countDistinct("part").alias("p"))
        .filter("p > 1")
        .count()
    )
    assert spread > 0


# ----------------------------------------------------------------------------- features


def test_recency_is_calendar_days_known_answer(spark):
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "order_id": [1, 2, 3, 4],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-02 08:00",
                    "2024-01-09 23:30",
                    "2024-01-09 00:05",
                    "2023-12-31 23:59",
                ]
            ),
            "amount": [10.0, 30.0, 5.0, 7.0],
        }
    )
    sdf = spark.createDataFrame(log).repartition(2)
    table = customer_features(sdf, cutoff="2024-01-10", to_pandas=True)
    # hand-computed: cutoff date 2024-01-10 minus the purchase dates
    assert table["recency_days"].to_dict() == {"a": 1, "b": 1, "c": 10}
    assert table["tenure_days"].to_dict() == {"a": 8, "b": 1, "c": 10}
    assert table["btyd_T"].to_dict() == {"a": 8.0, "b": 1.0, "c": 10.0}
    assert table["btyd_recency"].to_dict() == {"a": 7.0, "b": 0.0, "c": 0.0}
    assert table["frequency"].to_dict() == {"a": 2, "b": 1, "c": 1}
    assert table["interpurchase_mean_days"]["a"] == 7.0
    # the default cutoff: midnight after the last transaction's wall-clock date
    est = TransactionFeatures().fit(sdf)
    assert est.cutoff_ == pd.Timestamp("2024-01-10")


def test_features_equal_pandas_all_groups(slog, log):
    # the Spark path counts returns as logged (returns="keep"); netting is local-only
    pandas_est = TransactionFeatures(returns="keep")
    expected = pandas_est.fit_transform(log)
    spark_est = TransactionFeatures(returns="keep")
    got = spark_est.fit_transform(slog)
    assert is_spark_dataframe(got)
    assert spark_est.cutoff_ == pandas_est.cutoff_
    assert spark_est.include_ == pandas_est.include_
    assert set(spark_est.include_) >= {
        "rfm",
        "tenure",
        "interpurchase",
        "basket",
        "windows",
        "trend",
        "returns",
        "category",
        "btyd",
    }
    assert spark_est.categories_ == pandas_est.categories_
    _assert_same_table(_collect_table(got), expected)


def test_features_net_returns_equal_pandas(slog, log):
    """The default returns="net": returned groups netted by crmine's pandas rule."""
    want = TransactionFeatures().fit_transform(log)
    assert want["return_value"].sum() > 0
    est = TransactionFeatures()
    got = _collect_table(est.fit_transform(slog))
    _assert_same_table(got, want)
    got = rfm_table_spark(slog, monetary="net", to_pandas=True)
    _assert_same_table(got, rfm_table(log, monetary="net"))


def test_churn_labels_equal_pandas(slog, log):
    from crmine.churn import churn_labels
    from crmine.spark._adapter import churn_labels as spark_churn_labels

    kwargs = dict(cutoff="2023-10-01", horizon=60, active_days=200)
    want = churn_labels(log, **kwargs)
    got = spark_churn_labels(slog, **kwargs)
    assert 0 < want.y.sum() < len(want.y)
    pd.testing.assert_series_equal(got.y, want.y, check_index_type=False)
    _assert_same_table(got.table, want.table)
    with pytest.raises(SchemaError, match="label window"):
        spark_churn_labels(slog, cutoff="2030-01-01", horizon=30)


def test_calibration_holdout_split_equals_pandas(slog, log):
    import warnings

    from crmine.lifetime import calibration_holdout_split
    from crmine.spark._adapter import calibration_holdout_split as spark_split

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DataWarning for T = 0 customers, on both sides
        want = calibration_holdout_split(log, "2023-06-30", "2023-12-31", time_unit="W")
        got = spark_split(slog, "2023-06-30", "2023-12-31", time_unit="W")
    assert want["holdout_frequency"].sum() > 0
    _assert_same_table(got, want)
    assert got.attrs == want.attrs


def test_features_equal_pandas_other_definitions(slog, log):
    params = dict(
        cutoff="2023-10-15 13:30",
        frequency="days",
        monetary="net",
        windows=(7, 60),
        trend_window=45,
        time_unit="W",
        returns="keep",
    )
    expected = TransactionFeatures(**params).fit(log).transform(log)
    est = TransactionFeatures(**params).fit(slog)
    got = _collect_table(est.transform(slog))
    # purchases on the cutoff day before 13:30 are before the cutoff, on its date: recency 0
    assert (got["recency_days"] == 0).any()
    _assert_same_table(got, expected)


def test_rfm_table_dispatch(slog, log):
    got = rfm_table(slog.filter("quantity >= 0"), cutoff="2023-08-01")
    assert is_spark_dataframe(got)
    want = rfm_table(log[log["quantity"] >= 0], cutoff="2023-08-01")
    _assert_same_table(_collect_table(got), want)

    got = rfm_table_spark(slog, cutoff="2023-08-01", returns="keep", to_pandas=True)
    _assert_same_table(got, rfm_table(log, cutoff="2023-08-01", returns="keep"))


def test_features_bad_input(spark):
    log = pd.DataFrame(
        {
            "customer_id": pd.array([1, None], dtype="Int64"),
            "order_id": [1, 2],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "amount": [1.0, 2.0],
        }
    )
    sdf = spark.createDataFrame(log)
    with pytest.raises(SchemaError, match="customer_id"):
        TransactionFeatures().fit(sdf)
    with pytest.raises(SchemaError, match="missing column"):
        TransactionFeatures().fit(sdf.drop("order_id"))
    text = sdf.withColumn("amount", sdf["amount"].cast("string"))
    with pytest.raises(SchemaError, match="must be numeric"):
        TransactionFeatures().fit(text)
    with pytest.raises(ValueError, match="frequency"):
        TransactionFeatures(frequency="weeks").fit(sdf)


# ----------------------------------------------------------------------------- cleaning


def test_clean_report_equal_pandas(spark, log):
    dirty = log.copy()
    dirty["customer_id"] = dirty["customer_id"].astype("Int64")
    dirty.loc[dirty.index[::97], "customer_id"] = pd.NA
    dirty.loc[dirty.index[5::89], "price"] = 0.0
    dirty.loc[dirty.index[7::113], "quantity"] = 0
    dirty = pd.concat([dirty, dirty.iloc[::50]], ignore_index=True)  # exact duplicates
    sdf = spark.createDataFrame(dirty).repartition(3)
    kwargs = dict(start="2023-02-01", end="2023-11-30 12:00", duplicates="drop")
    kwargs["returns"] = "drop"  # the textbook rule (netting is local-only)
    clean_p, rep_p = clean_transactions(dirty, **kwargs)
    clean_s, rep_s = clean_transactions(sdf, **kwargs)
    for name in ("rows_in", "rows_out", "customers_in", "customers_out", "orders_in", "orders_out"):
        assert getattr(rep_s, name) == getattr(rep_p, name), name
    assert rep_p.reasons["rows"].gt(0).all()  # every reason is exercised
    pd.testing.assert_series_equal(rep_s.reasons["rows"], rep_p.reasons["rows"])
    pd.testing.assert_series_equal(rep_s.reasons["action"], rep_p.reasons["action"])
    np.testing.assert_allclose(rep_s.reasons["value"], rep_p.reasons["value"], rtol=1e-9)
    np.testing.assert_allclose(
        [rep_s.value_in, rep_s.value_out], [rep_p.value_in, rep_p.value_out], rtol=1e-9
    )
    kept = clean_s.select("order_id", "item", "amount").toPandas()
    expected = clean_p[["order_id", "item", "amount"]]
    assert sorted(map(tuple, kept.to_numpy().tolist())) == sorted(
        map(tuple, expected.to_numpy().tolist())
    )
    assert "amount" in clean_s.columns
    # and returns kept: the features then net them exactly as pandas does
    _, rep_keep_p = clean_transactions(dirty, returns="keep")
    _, rep_keep_s = clean_transactions(sdf, returns="keep")
    assert rep_keep_s.rows_out == rep_keep_p.rows_out
    assert rep_keep_s.reasons.loc["cancellation_or_return", "action"] == "kept"


def test_clean_net_returns_equal_pandas(spark, log):
    """The default returns="net": the report and the clean log of the pandas path."""
    dirty = pd.concat([log, log.iloc[::50]], ignore_index=True)  # exact duplicates
    sdf = spark.createDataFrame(dirty).repartition(3)
    for kwargs in ({}, {"duplicates": "drop"}):
        clean_p, rep_p = clean_transactions(dirty, **kwargs)
        clean_s, rep_s = clean_transactions(sdf, **kwargs)
        assert rep_p.returns_matched > 0 and rep_p.purchases_undone > 0
        for name in ("rows_in", "rows_out", "customers_in", "customers_out", "orders_in",
                     "orders_out", "returns_matched", "returns_unmatched", "purchases_undone"):
            assert getattr(rep_s, name) == getattr(rep_p, name), name
        pd.testing.assert_series_equal(rep_s.table["rows"], rep_p.table["rows"])
        pd.testing.assert_series_equal(rep_s.table["action"], rep_p.table["action"])
        np.testing.assert_allclose(rep_s.table["value"], rep_p.table["value"], rtol=1e-9)
        for name in ("value_in", "value_out", "quantity_matched", "value_matched",
                     "quantity_unmatched", "value_unmatched"):
            assert getattr(rep_s, name) == pytest.approx(getattr(rep_p, name), rel=1e-9), name
        cols = ["order_id", "item", "quantity", "amount"]
        got = sorted(map(tuple, clean_s.select(*cols).toPandas().to_numpy().tolist()))
        assert got == sorted(map(tuple, clean_p[cols].to_numpy().tolist()))


def test_clean_bad_input(spark):
    sdf = spark.createDataFrame(
        pd.DataFrame(
            {
                "customer_id": [1, 2],
                "order_id": ["a", "b"],
                "timestamp": ["2024-01-01", "soon"],
                "amount": [1.0, 2.0],
            }
        )
    )
    with pytest.raises(SchemaError, match="not timestamps"):
        clean_transactions(sdf, returns="drop")
    with pytest.raises(ValueError, match="returns"):
        clean_transactions(sdf, returns="maybe")


# ----------------------------------------------------------------------------- baskets


def _as_pairs(itemsets: pd.DataFrame) -> dict[frozenset, int]:
    return dict(zip(itemsets["itemset"], itemsets["count"].astype(int)))


def test_fpgrowth_equals_apriori_and_rules(slog, log):
    expected = apriori(basket_matrix(log), min_support=0.02)
    got = fpgrowth(slog, min_support=0.02)
    assert got.attrs["n_baskets"] == expected.attrs["n_baskets"]
    assert got.attrs["min_count"] == expected.attrs["min_count"]
    assert _as_pairs(got) == _as_pairs(expected)
    assert (expected["length"] >= 2).any()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))

    rules_p = association_rules(expected, "confidence", 0.1)
    rules_s = association_rules(got, "confidence", 0.1)
    assert len(rules_p) > 0
    key = ["antecedents", "consequents"]
    pd.testing.assert_frame_equal(
        rules_s.sort_values(key, key=lambda s: s.map(sorted).map(str)).reset_index(drop=True),
        rules_p.sort_values(key, key=lambda s: s.map(sorted).map(str)).reset_index(drop=True),
    )


def test_fpgrowth_exact_threshold_and_max_len(spark):
    # 0.2 of 5 baskets is exactly 1 basket... of 10 baskets exactly 2: a count of 2 is kept
    baskets = [["a", "b"], ["a", "b"], ["a"], ["c"], ["c"], ["d"], ["e"], ["f"], ["g"], ["h"]]
    rows = [(i, x, 1.0) for i, b in enumerate(baskets) for x in b]
    sdf = spark.createDataFrame(rows, ["order_id", "item", "amount"])
    got = _as_pairs(fpgrowth(sdf, min_support=0.2))
    assert got == {frozenset("a"): 3, frozenset("b"): 2, frozenset("c"): 2, frozenset("ab"): 2}
    assert _as_pairs(fpgrowth(sdf, min_count=2, max_len=1)) == {
        frozenset("a"): 3,
        frozenset("b"): 2,
        frozenset("c"): 2,
    }


# ----------------------------------------------------------------------------- k-means, scoring


def test_spark_kmeans_recovers_planted_clusters(spark):
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(1)
    centres = np.array([[2.0, 1.0, 20.0], [60.0, 8.0, 900.0], [300.0, 2.0, 80.0]])
    truth = np.repeat([0, 1, 2], 40)
    values = centres[truth] * rng.uniform(0.9, 1.1, size=(len(truth), 3))
    table = pd.DataFrame(values, columns=["recency_days", "frequency", "monetary_total"])
    table.insert(0, "customer_id", np.arange(len(truth)))
    km = SparkKMeans(n_clusters=3, random_state=0).fit(spark.createDataFrame(table))
    labels = km.predict(spark.createDataFrame(table)).toPandas().sort_values("customer_id")
    assert adjusted_rand_score(truth, labels["segment"]) == 1.0
    assert sorted(km.sizes_.tolist()) == [40, 40, 40]
    with pytest.raises(SchemaError, match="tenure_days"):
        SparkKMeans(features=["tenure_days"]).fit(spark.createDataFrame(table))


def test_score_customers_equals_local_predictions(slog, log):
    from sklearn.linear_model import LogisticRegression

    table = TransactionFeatures(include=("rfm", "tenure"), returns="keep").fit_transform(log)
    feats = ["recency_days", "frequency", "monetary_total", "tenure_days"]
    y = (table["recency_days"] < table["recency_days"].median()).astype(int)
    model = LogisticRegression(max_iter=1000).fit(table[feats], y)
    spark_table = TransactionFeatures(include=("rfm", "tenure"), returns="keep").fit_transform(slog)
    scored = to_customer_table(score_customers(model, spark_table.repartition(2)))
    expected = model.predict_proba(table[feats])[:, 1]
    np.testing.assert_allclose(scored["score"].to_numpy(), expected, rtol=1e-12)
    labels = to_customer_table(score_customers(model, spark_table, method="predict"))
    np.testing.assert_array_equal(labels["score"].to_numpy(), model.predict(table[feats]))
    with pytest.raises(SchemaError, match="tenure_days"):
        score_customers(model, spark_table.drop("tenure_days"))


# ----------------------------------------------------------------------------- property


# few examples and no shrinking: every example runs several Spark jobs
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),  # customer
            st.integers(0, 8),  # order
            st.integers(0, 40 * 24 * 60 - 1),  # minute within 40 days
            st.sampled_from([-3.0, 1.5, 2.0, 10.0]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_property_features_equal_pandas(spark, rows):
    log = pd.DataFrame(rows, columns=["customer_id", "order", "minute", "amount"])
    log["order_id"] = log["customer_id"] * 100 + log["order"]
    log["timestamp"] = pd.Timestamp("2024-03-01") + pd.to_timedelta(log["minute"], unit="min")
    log = log[["customer_id", "order_id", "timestamp", "amount"]]
    if not (log["amount"] > 0).any():
        return
    params = dict(
        include=("rfm", "tenure", "interpurchase", "windows", "trend", "returns", "btyd"),
        windows=(3, 20),
        trend_window=10,
        returns="keep",
    )
    expected = TransactionFeatures(**params).fit_transform(log)
    got = customer_features(spark.createDataFrame(log).repartition(2), to_pandas=True, **params)
    _assert_same_table(got, expected)


# ----------------------------------------------------------------------------- fixes of issue 15


def test_clean_cheap_mode_skips_duplicates_and_keeps_the_rest(spark, log):
    dirty = pd.concat([log, log.iloc[:30]], ignore_index=True)  # 30+ exact duplicates
    sdf = spark.createDataFrame(dirty).repartition(3)
    _, want = clean_transactions(dirty, returns="drop")
    _, full = clean_transactions(sdf, returns="drop")
    clean, cheap = clean_transactions(sdf, returns="drop", duplicates="ignore")
    assert full.reasons.loc["exact_duplicate", "rows"] == want.reasons.loc[
        "exact_duplicate", "rows"
    ] >= 30
    assert cheap.reasons.loc["exact_duplicate", "rows"] == 0
    assert cheap.reasons.loc["exact_duplicate", "action"] == "not checked"
    for name in ("rows_in", "rows_out", "customers_out", "orders_out"):
        assert getattr(cheap, name) == getattr(want, name), name
    assert clean.count() == want.rows_out
    with pytest.raises(ValueError, match="duplicates must be"):
        clean_transactions(sdf, returns="drop", duplicates="sometimes")


def test_to_customer_table_drops_connect_metrics_from_attrs(tmp_path):
    class ConnectLikeFrame:  # Spark Connect's toPandas leaves observed metrics in .attrs
        def toPandas(self):
            pdf = pd.DataFrame({"customer_id": [2, 1], "frequency": [3, 1]})
            pdf.attrs["metrics"] = [object()]
            return pdf

    table = to_customer_table(ConnectLikeFrame())
    assert table.attrs == {}
    assert table.index.tolist() == [1, 2]
    table.to_parquet(tmp_path / "customers.parquet")  # failed with the metrics object


def test_spark_kmeans_default_seed_is_reproducible_and_input_released(spark):
    rng = np.random.default_rng(2)
    table = pd.DataFrame(rng.normal(size=(60, 3)) + np.repeat([[0, 0, 0], [6, 6, 6]], 30, 0),
                         columns=["recency_days", "frequency", "monetary_total"])
    table.insert(0, "customer_id", np.arange(60))
    sdf = spark.createDataFrame(table)
    cached_before = set(spark.sparkContext._jsc.getPersistentRDDs().keySet())
    a = SparkKMeans(n_clusters=2, skew=None).fit(sdf)
    b = SparkKMeans(n_clusters=2, skew=None).fit(sdf)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert sorted(a.sizes_.tolist()) == [30, 30]
    # the input cached for the iterations was released again
    assert set(spark.sparkContext._jsc.getPersistentRDDs().keySet()) == cached_before


CONNECT_SCRIPT = r"""
import os, sys
import numpy as np
from pyspark.sql import SparkSession
spark = SparkSession.builder.remote("local[2]").config(
    "spark.sql.shuffle.partitions", "2").getOrCreate()
from crmine import TransactionFeatures, clean_transactions, make_retail
from crmine.spark import customer_features
log = make_retail(60, random_state=1).transactions
sdf = spark.createDataFrame(log)
assert type(sdf).__module__.startswith("pyspark.sql.connect"), type(sdf)
clean, report = clean_transactions(sdf, returns="drop", duplicates="ignore")
want_clean, want = clean_transactions(log, returns="drop")
assert report.rows_out == want.rows_out
table = customer_features(clean, to_pandas=True, returns="keep")
table.to_parquet(sys.argv[1])
ref = TransactionFeatures(returns="keep").fit_transform(want_clean)
np.testing.assert_allclose(table[ref.columns].select_dtypes("number").to_numpy(float),
                           ref.select_dtypes("number").to_numpy(float), rtol=1e-9,
                           equal_nan=True)
spark.stop()
"""


@pytest.mark.slow
def test_spark_connect_local_server(tmp_path):
    pytest.importorskip("grpc", reason="the Spark Connect client needs pyspark[connect]")
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    out = tmp_path / "customers.parquet"
    proc = subprocess.run([sys.executable, "-c", CONNECT_SCRIPT, str(out)], env=env,
                          capture_output=True, text=True, timeout=480)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert pd.read_parquet(out).shape[0] == 60


def test_cohort_table_equals_pandas(slog, log):
    """Cohorts of a Spark log: cleaning (with netting) on Spark, the same numbers as pandas."""
    from crmine.cohorts import cohort_table, customer_cohorts

    for returns in ("net", "drop"):
        want = cohort_table(log, returns=returns, cutoff="2024-06-01")
        got = cohort_table(slog, returns=returns, cutoff="2024-06-01")
        pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_frame_equal(
        customer_cohorts(slog).sort_index(), customer_cohorts(log), check_index_type=False
    )
