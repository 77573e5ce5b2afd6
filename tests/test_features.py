from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from crmine import (
    TransactionAggregates,
    TransactionFeatures,
    basket_matrix,
    clean_transactions,
    rfm_table,
)
from crmine.datasets import make_retail
from crmine.exceptions import SchemaError
from crmine.schema import TransactionSchema


def hand_log() -> pd.DataFrame:
    rows = [
        # customer, order, timestamp, item, category, quantity, price
        ("a", "o1", "2024-01-01 10:00", "x", "c1", 2, 5.0),
        ("a", "o1", "2024-01-01 10:00", "y", "c2", 1, 10.0),
        ("a", "o2", "2024-01-11 09:00", "x", "c1", 1, 5.0),
        ("a", "o3", "2024-01-11 18:00", "z", "c1", 1, 30.0),
        ("a", "C9", "2024-01-15 12:00", "z", "c1", -1, 30.0),
        ("b", "o4", "2024-01-20 12:00", "x", "c1", 4, 5.0),
        ("a", "o5", "2024-02-05 12:00", "y", "c2", 9, 10.0),  # after the cutoff
    ]
    log = pd.DataFrame(
        rows,
        columns=["customer_id", "order_id", "timestamp", "item", "category", "quantity", "price"],
    )
    log["timestamp"] = pd.to_datetime(log["timestamp"])
    return log


def test_known_answers_by_hand():
    est = TransactionFeatures(
        cutoff="2024-02-01", windows=(30, 90), trend_window=15, returns="keep"
    )
    t = est.fit_transform(hand_log())
    assert list(t.index) == ["a", "b"]
    a, b = t.loc["a"], t.loc["b"]
    assert a["recency_days"] == 21 and b["recency_days"] == 12
    assert a["frequency"] == 3 and b["frequency"] == 1
    assert a["monetary_total"] == 55.0 and b["monetary_total"] == 20.0
    assert a["monetary_mean"] == pytest.approx(55 / 3)
    assert a["tenure_days"] == 31 and b["tenure_days"] == 12
    assert a["first_purchase"] == pd.Timestamp("2024-01-01 10:00")
    assert a["last_purchase"] == pd.Timestamp("2024-01-11 18:00")
    assert a["interpurchase_mean_days"] == 10.0
    assert np.isnan(a["interpurchase_std_days"])
    assert np.isnan(b["interpurchase_mean_days"])
    assert a["items_per_order"] == pytest.approx(5 / 3)
    assert b["items_per_order"] == 4.0
    assert a["distinct_items"] == 3 and b["distinct_items"] == 1
    assert a["orders_30d"] == 2 and a["spend_30d"] == 35.0
    assert a["orders_90d"] == 3 and a["spend_90d"] == 55.0
    assert a["spend_trend"] == -1.0 and b["spend_trend"] == 1.0
    assert a["return_value"] == 30.0 and a["return_rate"] == pytest.approx(30 / 55)
    assert a["share_c1"] == pytest.approx(45 / 55) and a["share_c2"] == pytest.approx(10 / 55)
    assert b["share_c1"] == 1.0
    assert a["repeat_frequency"] == 1 and b["repeat_frequency"] == 0
    assert a["btyd_recency"] == 10.0 and a["btyd_T"] == 31.0
    assert a["btyd_monetary_mean"] == 35.0 and np.isnan(b["btyd_monetary_mean"])
    assert list(t.columns) == list(est.get_feature_names_out())


def test_returns_net_by_default_cancel_the_order_they_undo():
    # a's C9 returns the z of o3: o3 is no order, its 30.0 no spend
    est = TransactionFeatures(cutoff="2024-02-01", windows=("30D", "90D"), trend_window="15D")
    t = est.fit_transform(hand_log())
    a = t.loc["a"]
    assert a["frequency"] == 2 and a["monetary_total"] == 25.0
    assert a["last_purchase"] == pd.Timestamp("2024-01-11 09:00")
    assert a["distinct_items"] == 2 and a["items_per_order"] == pytest.approx(4 / 2)
    assert a["orders_30d"] == 1 and a["spend_30d"] == 5.0
    # the return is still described as logged
    assert a["return_value"] == 30.0 and a["return_rate"] == pytest.approx(30 / 55)
    assert a["share_c1"] == pytest.approx(15 / 25)
    assert a["btyd_monetary_mean"] == 5.0
    assert "orders_30d" in t.columns  # "30D" is 30 days
    # a partial return keeps the rest of the line
    log = hand_log()
    log.loc[4, "quantity"] = -1
    log.loc[4, "item"] = "x"  # returns 1 of o2's x (LIFO: the latest x)
    t2 = TransactionFeatures(cutoff="2024-02-01", include=["rfm", "basket"]).fit_transform(log)
    assert t2.loc["a", "frequency"] == 2 and t2.loc["a", "monetary_total"] == 50.0
    assert t2.loc["a", "items_per_order"] == pytest.approx(4 / 2)


def test_days_frequency_net_monetary_and_weeks():
    est = TransactionFeatures(
        cutoff="2024-02-01", frequency="days", monetary="net", time_unit="W", returns="keep"
    )
    t = est.fit_transform(hand_log())
    assert t.loc["a", "frequency"] == 2
    assert t.loc["a", "monetary_total"] == 25.0
    assert t.loc["a", "monetary_mean"] == 12.5
    assert t.loc["a", "btyd_recency"] == pytest.approx(10 / 7)
    assert t.loc["a", "btyd_T"] == pytest.approx(31 / 7)


def test_default_cutoff_is_day_after_last_transaction():
    log = hand_log()
    est = TransactionFeatures().fit(log)
    assert est.cutoff_ == pd.Timestamp("2024-02-06")
    assert est.transform(log).loc["a", "recency_days"] == 1


def test_future_rows_change_nothing():
    log = hand_log()
    est = TransactionFeatures(cutoff="2024-01-25").fit(log)
    base = est.transform(log)
    future = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "order_id": ["f1", "f2", "f3"],
            "timestamp": pd.to_datetime(
                ["2024-01-25 00:00", "2024-03-01 00:00", "2025-01-01 00:00"]
            ),
            "item": ["w", "x", "new"],
            "category": ["c9", "c1", "c9"],
            "quantity": [1, 100, 3],
            "price": [1.0, 2.0, 3.0],
        }
    )
    more = pd.concat([log, future], ignore_index=True)
    pd.testing.assert_frame_equal(est.transform(more), base)
    # fitting on the longer log with the same cutoff learns the same vocabulary
    pd.testing.assert_frame_equal(
        TransactionFeatures(cutoff="2024-01-25").fit(more).transform(more), base
    )


def test_input_not_mutated_and_string_times():
    log = hand_log()
    log["timestamp"] = log["timestamp"].astype(str)
    before = log.copy(deep=True)
    TransactionFeatures().fit_transform(log)
    pd.testing.assert_frame_equal(log, before)


def test_timezone_aware_recency_uses_local_days():
    log = hand_log()
    log["timestamp"] = log["timestamp"].dt.tz_localize("America/New_York")
    t = TransactionFeatures(cutoff="2024-02-01").fit_transform(log)
    assert t.loc["a", "recency_days"] == 21
    assert str(t["first_purchase"].dt.tz) == "America/New_York"


def test_sklearn_api_clone_pickle_params():
    est = TransactionFeatures(windows=(7,), include=("rfm", "windows"))
    assert clone(est).get_params() == est.get_params()
    fitted = est.fit(hand_log())
    again = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(again.transform(hand_log()), fitted.transform(hand_log()))
    assert list(fitted.get_feature_names_out()) == [
        "recency_days", "frequency", "monetary_total", "monetary_mean", "orders_7d", "spend_7d"
    ]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"frequency": "visits"}, "'frequency' parameter .* must be"),
        ({"monetary": "profit"}, "'monetary' parameter .* must be"),
        ({"returns": "drop"}, "'returns' parameter .* must be"),
        ({"windows": (30, -1)}, "windows must be positive"),
        ({"windows": ("30D", "1h")}, "not a whole number of days"),
        ({"windows": (30, "30D")}, "repeated"),
        ({"include": ("rfm", "magic")}, "unknown feature group"),
        ({"time_unit": "M"}, "'time_unit' parameter .* must be"),
        ({"cutoff": pd.NaT}, r"cutoff=NaT is missing \(NaT\)"),
        ({"cutoff": "NaT"}, r"cutoff='NaT' is missing \(NaT\)"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        TransactionFeatures(**params).fit(hand_log())


def test_transform_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TransactionFeatures().transform(hand_log())


def test_bad_logs_raise_schema_errors():
    log = hand_log()
    with pytest.raises(SchemaError, match="missing column"):
        TransactionFeatures().fit(log.drop(columns="customer_id"))
    with pytest.raises(SchemaError, match="empty"):
        TransactionFeatures().fit(log.iloc[:0])
    with pytest.raises(SchemaError, match="no category column"):
        TransactionFeatures(include=("rfm", "category")).fit(log.drop(columns="category"))
    with pytest.raises(ValueError, match="timezone-aware"):
        TransactionFeatures(cutoff=pd.Timestamp("2024-02-01", tz="UTC")).fit(log)


def test_single_customer_and_duplicated_rows():
    log = hand_log()
    one = log[log["customer_id"] == "b"]
    t = TransactionFeatures(cutoff="2024-02-01").fit_transform(one)
    assert len(t) == 1 and t.loc["b", "monetary_total"] == 20.0
    doubled = pd.concat([one, one])
    t2 = TransactionFeatures(cutoff="2024-02-01").fit_transform(doubled)
    # duplicated lines double the value but not the number of orders
    assert t2.loc["b", "frequency"] == 1 and t2.loc["b", "monetary_total"] == 40.0


def test_customers_with_only_returns_are_left_out():
    log = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "order_id": ["a", "Cb"],
            "timestamp": ["2024-01-01", "2024-01-02"],
            "amount": [5.0, -3.0],
        }
    )
    t = TransactionFeatures(monetary="net").fit_transform(log)
    assert list(t.index) == [1]


# ------------------------------------------------------------- peer and planted
def test_rfm_matches_plain_pandas_on_generated_log():
    data = make_retail(300, random_state=3)
    clean, _ = clean_transactions(data.transactions)
    cutoff = pd.Timestamp("2024-06-01")
    ours = rfm_table(clean, cutoff=cutoff)
    before = clean[clean["timestamp"] < cutoff]
    g = before.groupby("customer_id")
    peer = pd.DataFrame(
        {
            "recency_days": (cutoff - g["timestamp"].max().dt.normalize()).dt.days,
            "frequency": g["order_id"].nunique(),
            "monetary_total": g["amount"].sum(),
        }
    )
    pd.testing.assert_frame_equal(ours, peer, check_dtype=False)


def test_monetary_totals_add_up_to_clean_revenue():
    data = make_retail(200, random_state=5)
    clean, rep = clean_transactions(data.transactions)
    t = TransactionFeatures().fit_transform(clean)
    assert t["monetary_total"].sum() == pytest.approx(rep.value_out)
    assert t["frequency"].sum() == rep.orders_out
    shares = t.filter(like="share_").sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)


log_rows = st.lists(
    st.tuples(
        st.integers(1, 6),  # customer
        st.integers(1, 12),  # order (shared per customer via key below)
        st.integers(0, 90),  # day
        st.integers(0, 23),  # hour
        st.sampled_from(["x", "y", "z"]),
        st.integers(1, 4),
        st.sampled_from([1.0, 2.5, 10.0]),
    ),
    min_size=1,
    max_size=40,
)


def _frame(rows) -> pd.DataFrame:
    log = pd.DataFrame(
        rows, columns=["customer_id", "order", "day", "hour", "item", "quantity", "price"]
    )
    log["order_id"] = log["customer_id"].astype(str) + "-" + log.pop("order").astype(str)
    log["timestamp"] = (
        pd.Timestamp("2024-01-01")
        + pd.to_timedelta(log.pop("day"), unit="D")
        + pd.to_timedelta(log.pop("hour"), unit="h")
    )
    return log


@settings(max_examples=30, deadline=None)
@given(log_rows, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(rows, rnd):
    log = _frame(rows)
    shuffled = log.sample(frac=1.0, random_state=rnd.randint(0, 10**6))
    est = TransactionFeatures(cutoff="2024-03-15")
    a = est.fit(log).transform(log)
    b = est.fit(shuffled).transform(shuffled)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(log_rows)
def test_splitting_customers_across_frames_changes_nothing(rows):
    log = _frame(rows)
    est = TransactionFeatures(cutoff="2024-05-01")
    whole = est.fit_transform(log)
    odd = log[log["customer_id"] % 2 == 1]
    even = log[log["customer_id"] % 2 == 0]
    parts = [est.transform(p) for p in (odd, even) if len(p)]
    joined = pd.concat(parts).sort_index()
    pd.testing.assert_frame_equal(joined, whole, check_exact=False, rtol=1e-9)


# ------------------------------------------------------------------ basket matrix
def test_basket_matrix_matches_crosstab_and_skips_returns():
    log = hand_log()
    bm = basket_matrix(log, cutoff="2024-02-01")
    dense = pd.crosstab(log["order_id"], log["item"]).astype(bool)
    dense = dense.drop(index=["C9", "o5"])
    got = pd.DataFrame(bm.matrix.toarray(), index=bm.orders, columns=bm.items)
    pd.testing.assert_frame_equal(
        got.sort_index(), dense.sort_index(), check_names=False, check_dtype=False
    )
    assert bm.matrix.dtype == bool
    cats = basket_matrix(log, schema=TransactionSchema(item="category"))
    assert list(cats.items) == ["c1", "c2"]


def test_basket_matrix_needs_items():
    with pytest.raises(SchemaError, match="'item'"):
        basket_matrix(hand_log().drop(columns="item"))


# ------------------------------------------------------------ aggregates joiner
def test_transaction_aggregates_in_a_pipeline():
    data = make_retail(200, random_state=2)
    X = data.customers[["age"]].iloc[::-1]
    y = data.customers["true_alive"].iloc[::-1].astype(int)
    agg = TransactionAggregates(
        transactions=data.transactions, features=["recency_days", "frequency"], fill_value=0.0
    )
    out = agg.fit_transform(X)
    assert list(out.index) == list(X.index)
    assert list(out.columns) == ["age", "recency_days", "frequency"]
    table = TransactionFeatures().fit_transform(data.transactions)
    np.testing.assert_array_equal(out["frequency"], table.loc[X.index, "frequency"])
    pipe = make_pipeline(agg, LogisticRegression(max_iter=1000)).fit(X, y)
    assert pipe.score(X, y) > 0.8  # recency separates the planted lapsed customers
    with pytest.raises(ValueError, match="already has column"):
        TransactionAggregates(transactions=data.transactions, features=["frequency"]).fit(out)


# ------------------------------------------------------------------ real data
@pytest.mark.public_data
def test_online_retail_golden():
    from crmine.datasets import load_online_retail

    log = load_online_retail(shared_dataset("online_retail") / "online_retail.parquet")
    clean, _ = clean_transactions(log, returns="drop")  # the textbook figures
    t = TransactionFeatures(cutoff="2011-12-10").fit_transform(clean)
    assert len(t) == 4_338
    assert t["frequency"].sum() == 18_532
    assert t["monetary_total"].sum() == pytest.approx(8_911_407.904, abs=1e-3)
    assert t["recency_days"].min() == 1


def test_order_id_shared_by_two_customers_counts_per_customer():
    log = pd.DataFrame(
        {
            "customer_id": [1, 2, 1],
            "order_id": [7, 7, 8],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "amount": [1.0, 2.0, 4.0],
        }
    )
    t = TransactionFeatures(include=("rfm",)).fit_transform(log)
    assert t["frequency"].tolist() == [2, 1]
    assert t["monetary_total"].tolist() == [5.0, 2.0]


def test_only_returns_before_cutoff_gives_an_empty_table():
    log = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "order_id": ["C1", "2"],
            "timestamp": ["2024-01-01", "2024-03-01"],
            "amount": [-5.0, 8.0],
        }
    )
    t = TransactionFeatures(cutoff="2024-02-01").fit_transform(log)
    assert len(t) == 0 and "recency_days" in t.columns


def test_money_columns_are_float_even_when_empty():
    log = hand_log()
    log = log[log["quantity"] > 0]  # no returns at all
    t = TransactionFeatures(
        cutoff="2024-02-01", windows=(1,), include=("rfm", "windows", "returns")
    ).fit_transform(log)
    for col in ("monetary_total", "spend_1d", "return_value", "return_rate"):
        assert t[col].dtype == np.float64, col
    assert (t["return_value"] == 0).all() and (t["spend_1d"] == 0).all()


@settings(max_examples=30, deadline=None)
@given(
    log_rows,
    st.lists(st.integers(-3, 0), min_size=1, max_size=5),
)
def test_monetary_totals_add_up_property(rows, negative_qty):
    log = _frame(rows)
    # plant some returns and zero lines that cleaning must remove and count
    bad = log.iloc[: len(negative_qty)].copy()
    bad["quantity"] = negative_qty[: len(bad)]
    log = pd.concat([log, bad], ignore_index=True)
    clean, rep = clean_transactions(log)
    if clean.empty:  # every purchase was returned
        assert rep.value_out == 0 and rep.purchases_undone > 0
        return
    t = TransactionFeatures(include=("rfm",)).fit_transform(clean)
    assert t["monetary_total"].sum() == pytest.approx(rep.value_out)
    assert t["frequency"].sum() == clean["order_id"].nunique()


@pytest.mark.public_data
def test_online_retail_netting_in_features_equals_netting_in_cleaning():
    from crmine.datasets import load_online_retail

    log = load_online_retail(shared_dataset("online_retail") / "online_retail.parquet")
    kept, _ = clean_transactions(log, returns="keep")  # return lines left to the features
    netted, rep = clean_transactions(log)  # the default: netted while cleaning
    a = TransactionFeatures(cutoff="2011-12-10").fit_transform(kept)
    b = TransactionFeatures(cutoff="2011-12-10").fit_transform(netted)
    pd.testing.assert_series_equal(a["monetary_total"], b["monetary_total"])
    assert a["frequency"].sum() == b["frequency"].sum() == rep.orders_out
    # 16446's 80,995-unit order was cancelled 12 minutes later: 2.90 left, not the top customer
    assert a.loc[16446, "frequency"] == 1
    assert a.loc[16446, "monetary_total"] == pytest.approx(2.9)
    assert a.loc[16446, "return_value"] == pytest.approx(168_469.6)
    assert 12346 not in a.index  # their only order was cancelled
    assert a["monetary_total"].idxmax() == 14646


def test_transaction_aggregates_when_every_purchase_was_returned():
    log = pd.DataFrame({"customer_id": [1, 1], "order_id": [1, 2],
                        "timestamp": ["2024-01-01", "2024-01-02"], "item": ["x", "x"],
                        "quantity": [1, -1], "price": [2.0, 2.0]})
    X = pd.DataFrame({"age": [30]}, index=pd.Index([1], name="customer_id"))
    out = TransactionAggregates(transactions=log, fill_value=0.0).fit_transform(X)
    assert out["frequency"].tolist() == [0.0] and out["monetary_total"].tolist() == [0.0]
    first = TransactionAggregates(transactions=log.assign(quantity=[2, -1]),
                                  features=["first_purchase"]).fit_transform(X)
    assert first["first_purchase"].tolist() == [pd.Timestamp("2024-01-01")]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]), st.integers(0, 20),
            st.integers(-4, 6).filter(lambda q: q != 0), st.sampled_from([1.0, 2.5, 4.0]),
        ),
        min_size=1, max_size=30,
    )
)
def test_netting_in_features_equals_netting_in_cleaning_property(rows):
    log = pd.DataFrame(rows, columns=["customer_id", "item", "day", "quantity", "price"])
    log["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(log.pop("day"), unit="D")
    log["order_id"] = np.arange(len(log)) // 2  # some orders hold two lines
    log["order_id"] = log["customer_id"] + log["order_id"].astype(str)
    cutoff = "2024-02-01"
    direct = TransactionFeatures(cutoff=cutoff, include=["rfm", "basket"]).fit_transform(log)
    clean, rep = clean_transactions(log)
    if clean.empty:
        assert direct.empty
        return
    via_clean = TransactionFeatures(cutoff=cutoff, include=["rfm", "basket"]).fit_transform(clean)
    pd.testing.assert_frame_equal(direct, via_clean, check_dtype=False)
    assert direct["monetary_total"].sum() == pytest.approx(rep.value_out)
