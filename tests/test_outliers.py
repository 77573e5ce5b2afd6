"""Tests of crmine.outliers: hand-computed, planted outliers, property, bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from crmine.exceptions import SchemaError
from crmine.outliers import (
    OutlierCustomers,
    drop_outliers,
    outlier_customers,
    robust_z,
)


def _regular(n_customers=12, n_orders=3, base=20.0):
    rows = [
        (c, f"{c}-{k}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=3 * k + c % 3),
         base + c + k)
        for c in range(n_customers)
        for k in range(n_orders)
    ]
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "amount"])


@pytest.fixture
def log():
    df = _regular()
    extra = [
        # 50: wholesale -- every order large
        *[(50, f"50-{k}", pd.Timestamp("2024-01-02") + pd.Timedelta(days=4 * k), 3000.0)
          for k in range(3)],
        # 60: one huge order among normal ones
        (60, "60-0", pd.Timestamp("2024-01-01"), 22.0),
        (60, "60-1", pd.Timestamp("2024-01-05"), 25.0),
        (60, "60-2", pd.Timestamp("2024-01-09"), 9000.0),
        # 70: eight orders a minute apart
        *[(70, f"70-{k}", pd.Timestamp("2024-01-03 10:00") + pd.Timedelta(minutes=k), 21.0)
          for k in range(8)],
    ]
    return pd.concat([df, pd.DataFrame(extra, columns=df.columns)], ignore_index=True)


# ----------------------------------------------------------------------------- known answers


def test_robust_z_hand_computed():
    # median 3, MAD 1: z = 0.6745 * (x - 3)
    np.testing.assert_allclose(robust_z([1, 2, 3, 4, 100]), 0.6745 * np.array([-2, -1, 0, 1, 97]))
    # MAD 0 -> mean absolute deviation: median 1, mean |x - 1| = 2 / 5
    expected = np.array([0, 0, 0, 0, 2]) / (1.253314 * 0.4)
    np.testing.assert_allclose(robust_z([1, 1, 1, 1, 3]), expected)
    assert (robust_z([5, 5, 5]) == 0).all()


def test_reasons_hand_built(log):
    flags = outlier_customers(log)
    assert flags.index.name == "customer_id"
    assert flags.loc[50, "reasons"] == "wholesale"
    assert flags.loc[60, "reasons"] == "huge_order"
    assert flags.loc[70, "reasons"] == "rapid_orders"
    assert flags.loc[70, "rapid_orders"] == 7
    assert set(flags.index[flags["is_outlier"]]) == {50, 60, 70}
    assert (flags.loc[flags["is_outlier"], "reasons"] != "").all()
    assert (flags.loc[~flags["is_outlier"], "reasons"] == "").all()
    assert flags.loc[60, "max_order_value"] == 9000.0
    assert flags.loc[60, "median_order_value"] == 25.0


def test_segment_spend_needs_segments(log):
    seg = pd.Series("a", index=pd.Index(sorted(log["customer_id"].unique()), name="customer_id"))
    seg.loc[[50, 60]] = "b"  # big spenders together: not outside their segment
    flags = outlier_customers(log, segments=seg)
    assert not flags.loc[[50, 60], "segment_spend"].any()
    assert flags["z_segment_spend"].notna().all()
    assert outlier_customers(log)["z_segment_spend"].isna().all()
    one = outlier_customers(log, segments=pd.Series("a", index=seg.index))
    assert one.loc[[50, 60], "segment_spend"].all()  # among small spenders they stand out
    assert "segment_spend" in one.loc[50, "reasons"]


def test_fit_reference_applies_to_a_new_log(log):
    est = OutlierCustomers().fit(_regular(30))
    flags = est.transform(log)
    assert flags.loc[50, "wholesale"] and flags.loc[60, "huge_order"]
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        OutlierCustomers().transform(log)


def test_drop_outliers_for_a_log_and_a_table(log):
    flags = outlier_customers(log)
    kept = drop_outliers(log, flags)
    assert set(kept["customer_id"]) == set(log["customer_id"]) - {50, 60, 70}
    table = flags[["orders"]]
    assert set(drop_outliers(table, flags).index) == set(table.index) - {50, 60, 70}


# ----------------------------------------------------------------------------- planted truth


def test_planted_outliers_in_make_retail():
    from crmine.datasets import make_retail

    data = make_retail(n_customers=800, random_state=5, n_outliers=9)
    truth = data.customers["true_outlier"].dropna()
    flags = outlier_customers(data.transactions)
    found = flags.loc[flags["is_outlier"], "reasons"]
    assert set(found.index) == set(truth.index)  # all nine, and nobody else
    for cid, kind in truth.items():
        assert kind in found.loc[cid].split("; ")
    iso = outlier_customers(data.transactions, method="isolation_forest", random_state=0)
    assert iso.loc[truth.index, "is_outlier"].all()
    assert iso["isolation_score"].notna().all()
    again = outlier_customers(data.transactions, method="isolation_forest", random_state=0)
    pd.testing.assert_frame_equal(iso, again)


def test_filter_before_btyd():
    from crmine.datasets import make_retail

    data = make_retail(n_customers=400, random_state=2, n_outliers=6)
    flags = outlier_customers(data.transactions)
    kept = drop_outliers(data.transactions, flags)
    assert kept["customer_id"].nunique() == data.transactions["customer_id"].nunique() - 6


# ----------------------------------------------------------------------------- properties


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-10**6, 10**6).map(float), min_size=1, max_size=40),
       st.floats(0.1, 100), st.floats(-100, 100))
def test_robust_z_is_affine_invariant(values, scale, shift):
    x = np.asarray(values)
    z = robust_z(x)
    z2 = robust_z(scale * x + shift)
    np.testing.assert_allclose(z, z2, atol=1e-6 * (1 + np.abs(z).max()))


@settings(max_examples=20, deadline=None)
@given(st.floats(1.0, 1000.0))
def test_flags_do_not_depend_on_currency(rate):
    log = _regular(15)
    log.loc[log["customer_id"] == 3, "amount"] *= 500
    a = outlier_customers(log)
    b = outlier_customers(log.assign(amount=log["amount"] * rate))
    # log1p is not exactly scale-free near 0; spends here are >= 20 so the flags agree
    if rate >= 1:
        assert a.loc[a["is_outlier"]].index.tolist() == b.loc[b["is_outlier"]].index.tolist()


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs(log):
    with pytest.raises(SchemaError, match="empty"):
        outlier_customers(log.iloc[:0])
    with pytest.raises(SchemaError):
        outlier_customers(log.drop(columns="amount"))
    bad = log.copy()
    bad.loc[0, "amount"] = np.nan
    with pytest.raises(SchemaError, match="amount"):
        outlier_customers(bad)
    with pytest.raises(SchemaError, match="cutoff"):
        outlier_customers(log, cutoff="2020-01-01")
    with pytest.raises(ValueError, match="cutoff"):
        outlier_customers(log, cutoff="never")
    with pytest.raises(ValueError):
        OutlierCustomers(threshold=-1).fit(log)
    with pytest.raises(ValueError):
        OutlierCustomers(method="zscore").fit(log)
    with pytest.raises(ValueError, match="min_gap"):
        OutlierCustomers(min_gap="soon").fit(log)
    with pytest.raises(SchemaError, match="no label"):
        outlier_customers(log, segments=pd.Series({0: "a"}))
    with pytest.raises(TypeError, match="segments"):
        outlier_customers(log, segments=["a"] * 3)
    with pytest.raises(SchemaError, match="is_outlier"):
        drop_outliers(log, pd.DataFrame({"x": [1]}))
    from crmine import TransactionSchema

    with pytest.raises(SchemaError, match="customer column"):
        drop_outliers(log, outlier_customers(log), schema=TransactionSchema(customer="cust"))
    mixed = log.astype({"timestamp": object})
    mixed.loc[0, "timestamp"] = pd.Timestamp("2024-01-01", tz="UTC")
    with pytest.raises(SchemaError, match="timezone"):
        outlier_customers(mixed)


def test_inputs_that_work(log):
    before = log.copy()
    base = outlier_customers(log)
    pd.testing.assert_frame_equal(log, before)
    one = outlier_customers(log[log["customer_id"] == 60])
    # one customer: the reference is their own orders, and 9000 is far above 22 and 25
    assert len(one) == 1 and one.loc[60, "reasons"] == "huge_order"
    neg = log.copy()
    neg.loc[0, "amount"] = -5.0  # a return line: not a purchase
    assert outlier_customers(neg).loc[0, "orders"] == 2
    as_str = outlier_customers(log.astype({"customer_id": str}))
    assert as_str.loc["50", "reasons"] == "wholesale"
    as_cat = outlier_customers(log.astype({"customer_id": "category"}))
    assert as_cat["is_outlier"].sum() == 3
    aware = log.assign(timestamp=log["timestamp"].dt.tz_localize("UTC"))
    pd.testing.assert_frame_equal(outlier_customers(aware), base)
    est = OutlierCustomers(method="isolation_forest", random_state=1)
    assert clone(est).get_params() == est.get_params()
    est.fit(log)
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(est)).transform(log), est.flags_)
    pl = pytest.importorskip("polars")
    pd.testing.assert_frame_equal(outlier_customers(pl.from_pandas(log)), base)


def test_plot(log):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmine.plotting import plot_outlier_reasons

    fig, ax = plt.subplots()
    assert plot_outlier_reasons(outlier_customers(log), ax=ax) is ax
    plt.close("all")


def test_report_sections_dynamics():
    """The four report sections run on a synthetic log with a three-arm campaign."""
    from crmine import TransactionFeatures, clean_transactions
    from crmine.datasets import make_retail
    from crmine.report._context import ReportContext
    from crmine.report._html import Figure, Section
    from crmine.report._sections_dynamics import DYNAMICS_SECTIONS

    data = make_retail(n_customers=800, random_state=0, sequence=("coffee", "cake"),
                       n_outliers=6)
    clean, rep = clean_transactions(data.transactions)
    customers = TransactionFeatures().fit_transform(clean)
    camp = data.campaign.copy()
    pick = np.random.default_rng(0).choice(["mail", "sms"], len(camp))
    camp["arm"] = [p if t == 1 else 0 for p, t in zip(pick, camp["treatment"])]
    ctx = ReportContext(
        log=data.transactions, source="synthetic", layout="default", random_state=0,
        campaign=camp, clean=clean, cleaning=rep, customers=customers,
        start=clean["timestamp"].min(), end=pd.Timestamp(data.end),
    )
    highlights = {}
    for key, title, func in DYNAMICS_SECTIONS:
        sec = Section(key=key, title=title)
        func(ctx, sec)
        assert any(isinstance(b, Figure) for b in sec.blocks), key
        highlights[key] = sec.highlight
    assert "coffee" in highlights["sequences"] and "cake" in highlights["sequences"]
    assert highlights["outliers"].startswith("6 outlier customers")
    from crmine.report._context import SectionSkipped

    ctx.campaign = data.campaign  # a single treatment arm
    with pytest.raises(SectionSkipped, match="single treatment arm"):
        DYNAMICS_SECTIONS[3][2](ctx, Section(key="multi-arm", title="t"))
