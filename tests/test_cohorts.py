"""Tests of crmine.cohorts: hand-computed, planted, property, public data, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmine.cohorts import COHORT_METRICS, CohortTable, cohort_table, customer_cohorts
from crmine.datasets import make_retail
from crmine.exceptions import SchemaError


def _log(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "amount"])
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    return df


@pytest.fixture
def tiny():
    return _log(
        [
            (1, "a", "2024-01-05", 10.0),
            (1, "b", "2024-02-01", 20.0),
            (2, "c", "2024-01-20", 30.0),
            (2, "d", "2024-03-03", 40.0),
            (2, "d", "2024-03-03", 5.0),
            (3, "e", "2024-02-14", 50.0),
        ]
    )


# ----------------------------------------------------------------------------- known answers


def test_hand_computed_table(tiny):
    res = cohort_table(tiny)
    assert isinstance(res, CohortTable)
    t = res.table
    assert list(t.index.names) == ["cohort", "period_index"]
    assert t.loc[("2024-01", 0), "customers"] == 2
    assert t.loc[("2024-01", 1), "active_customers"] == 1
    assert t.loc[("2024-01", 2), "revenue"] == 45.0
    assert t.loc[("2024-01", 2), "orders"] == 1
    assert t.loc[("2024-01", 2), "period"] == "2024-03"
    np.testing.assert_allclose(
        res.matrix("revenue_per_customer").loc["2024-01"].to_numpy(), [20.0, 10.0, 22.5]
    )
    np.testing.assert_allclose(
        res.matrix("cumulative_revenue_per_customer").loc["2024-01"].to_numpy(),
        [20.0, 30.0, 52.5],
    )
    # cells after the cutoff do not exist
    assert np.isnan(res.matrix("retention").loc["2024-02", 2])
    assert res.n_cohorts == 2 and res.n_customers == 3
    # default cutoff 2024-03-04: March is partial, and so is every cell in March
    assert res.last_period_partial
    assert bool(t.loc[("2024-01", 2), "partial"]) and bool(t.loc[("2024-02", 1), "partial"])
    assert not t.loc[("2024-01", 1), "partial"]
    assert "n_cohorts=2" in repr(res)


def test_complete_last_period_not_partial(tiny):
    res = cohort_table(tiny, cutoff="2024-04-01")
    assert not res.last_period_partial
    assert not res.table["partial"].any()


def test_cutoff_is_point_in_time(tiny):
    res = cohort_table(tiny, cutoff="2024-02-01")
    # the order on 2024-02-01 is at the cutoff: excluded; customer 3 not yet acquired
    assert res.n_customers == 2
    assert res.table["revenue"].sum() == 40.0
    assert list(res.matrix("retention").columns) == [0]


def test_returns_keep_nets_revenue_but_not_activity():
    log = _log(
        [
            (1, "a", "2024-01-05", 10.0),
            (1, "Cb", "2024-02-03", -4.0),
            (2, "c", "2024-01-07", 8.0),
        ]
    )
    kept = cohort_table(log, returns="keep")
    assert kept.table.loc[("2024-01", 1), "revenue"] == -4.0
    assert kept.table.loc[("2024-01", 1), "active_customers"] == 0
    dropped = cohort_table(log, returns="drop")
    assert dropped.table["revenue"].sum() == 18.0


def test_weekly_periods_and_customer_cohorts(tiny):
    res = cohort_table(tiny, period="W")
    assert res.period == "W"
    assert res.table.groupby(level="cohort")["customers"].first().sum() == 3
    per = customer_cohorts(tiny)
    assert per.index.name == "customer_id"
    assert per.loc[2, "cohort"] == "2024-01"
    assert per.loc[3, "periods_since_acquisition"] == 1
    assert per.loc[1, "first_purchase"] == pd.Timestamp("2024-01-05")


def test_quantity_price_log_and_schema():
    from crmine import TransactionSchema

    log = pd.DataFrame(
        {
            "cust": ["x", "x", "y"],
            "inv": ["1", "2", "3"],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-03"]),
            "qty": [2, 1, 3],
            "unit": [1.5, 4.0, 1.0],
        }
    )
    schema = TransactionSchema(customer="cust", order="inv", time="when", quantity="qty",
                               price="unit")
    res = cohort_table(log, schema)
    assert res.table.loc[("2024-01", 0), "revenue"] == 6.0
    assert res.table.loc[("2024-01", 1), "revenue"] == 4.0
    assert customer_cohorts(log, schema).index.name == "cust"


# ----------------------------------------------------------------------------- planted truth


def test_planted_segments_make_retail():
    from crmine.datasets import make_retail

    data = make_retail(n_customers=600, random_state=3)
    tx, seg = data.transactions, data.customers["segment"]
    res = cohort_table(tx, returns="keep")
    assert res.n_customers == tx["customer_id"].nunique()
    # lapsed customers stop for good by day 250 (about month 8): nobody is retained after
    lapsed = tx[tx["customer_id"].isin(seg.index[seg == "lapsed"])]
    late = cohort_table(lapsed).table
    cal = pd.PeriodIndex(late["period"], freq="M")
    assert late.loc[cal > pd.Period("2023-09", "M"), "active_customers"].sum() == 0
    # champions buy every week: retained almost every complete month
    champs = tx[tx["customer_id"].isin(seg.index[seg == "champions"])]
    ct = cohort_table(champs).table
    complete = ct[(~ct["partial"]) & (ct.index.get_level_values("period_index") > 0)]
    assert (complete["active_customers"].sum() / complete["customers"].sum()) > 0.9
    # "new" customers are acquired in the last 60 days
    new_ids = seg.index[seg == "new"]
    per = customer_cohorts(tx)
    assert (per.loc[per.index.isin(new_ids), "periods_since_acquisition"] <= 2).all()


# ----------------------------------------------------------------------------- properties


@st.composite
def small_logs(draw):
    n = draw(st.integers(1, 25))
    cust = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    day = draw(st.lists(st.integers(0, 200), min_size=n, max_size=n))
    amt = draw(st.lists(st.floats(0.5, 100, allow_nan=False), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": cust,
            "order_id": [f"o{i}" for i in range(n)],
            "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta(day, unit="D"),
            "amount": amt,
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_logs(), st.integers(1, 230))
def test_properties(log, cut_day):
    res = cohort_table(log)
    t = res.table
    sizes = t.groupby(level="cohort")["customers"].first()
    assert sizes.sum() == log["customer_id"].nunique()
    assert ((t["retention"] >= 0) & (t["retention"] <= 1)).all()
    assert (t.xs(0, level="period_index")["retention"] == 1).all()
    last = t.groupby(level="cohort")["cumulative_revenue_per_customer"].last()
    np.testing.assert_allclose((last * sizes).sum(), log["amount"].sum(), rtol=1e-9)
    # point in time: complete cells before an earlier cutoff do not change
    cutoff = pd.Timestamp("2023-01-01") + pd.Timedelta(days=cut_day)
    if (log["timestamp"] < cutoff).any() and cutoff <= res.cutoff:
        early = cohort_table(log, cutoff=cutoff).table
        done = early[~early["partial"]]
        cols = ["customers", "active_customers", "revenue", "orders"]
        pd.testing.assert_frame_equal(done[cols], t.loc[done.index, cols])


# ----------------------------------------------------------------------------- public data


@pytest.mark.public_data
def test_online_retail_matches_plain_pandas():
    from conftest import shared_dataset

    from crmine.datasets import load_online_retail

    path = shared_dataset("online_retail") / "online_retail.parquet"
    log = load_online_retail(path)
    res = cohort_table(log, returns="drop")  # the plain filter below drops return lines only
    d = log.dropna(subset=["customer_id"])
    d = d[~d["order_id"].str.startswith("C") & (d["quantity"] > 0) & (d["price"] > 0)]
    d = d.assign(amount=d["quantity"] * d["price"], month=d["timestamp"].dt.to_period("M"))
    first = d.groupby("customer_id")["timestamp"].min().dt.to_period("M")
    d = d.assign(cohort=d["customer_id"].map(first).astype("int64"))
    d = d.assign(k=d["month"].astype("int64") - d["cohort"])
    size = first.astype("int64").value_counts().sort_index()
    active = d.groupby(["cohort", "k"])["customer_id"].nunique().unstack()
    revenue = d.groupby(["cohort", "k"])["amount"].sum().unstack()
    np.testing.assert_allclose(
        res.matrix("retention").to_numpy(), active.div(size, axis=0).to_numpy(), equal_nan=True
    )
    np.testing.assert_allclose(
        res.matrix("revenue").to_numpy(), revenue.to_numpy(), rtol=1e-9, equal_nan=True
    )
    assert res.n_customers == 4338 and res.n_cohorts == 13
    assert res.last_period_partial  # the log ends on 2011-12-09


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs(tiny):
    with pytest.raises(SchemaError, match="empty"):
        cohort_table(tiny.iloc[:0])
    with pytest.raises(SchemaError, match="timestamp"):
        cohort_table(tiny.drop(columns="timestamp"))
    bad = tiny.astype({"amount": float})
    bad.loc[0, "amount"] = np.nan
    with pytest.raises(SchemaError, match="amount"):
        cohort_table(bad)
    bad = tiny.copy()
    bad.loc[0, "amount"] = np.inf
    with pytest.raises(SchemaError, match="infinite"):
        cohort_table(bad)
    with pytest.raises(ValueError, match="period"):
        cohort_table(tiny, period="fortnight")
    with pytest.raises(ValueError, match="returns"):
        cohort_table(tiny, returns="gross")
    with pytest.raises(ValueError, match="cutoff"):
        cohort_table(tiny, cutoff="not a date")
    with pytest.raises(SchemaError, match="purchase"):
        cohort_table(tiny, cutoff="2023-01-01")
    with pytest.raises(SchemaError, match="naive"):
        cohort_table(tiny, cutoff=pd.Timestamp("2024-02-01", tz="UTC"))
    with pytest.raises(ValueError, match="metric"):
        cohort_table(tiny).matrix("nope")
    neg = tiny.copy()
    neg["amount"] = -neg["amount"]
    with pytest.raises(SchemaError):
        cohort_table(neg)  # every line is a return: nothing left
    mixed = tiny.astype({"timestamp": object})
    mixed.loc[0, "timestamp"] = pd.Timestamp("2024-01-05", tz="UTC")
    with pytest.raises(SchemaError, match="timezone"):
        cohort_table(mixed)


def test_inputs_that_work(tiny):
    before = tiny.copy()
    base = cohort_table(tiny).table
    pd.testing.assert_frame_equal(tiny, before)  # not mutated
    one = cohort_table(tiny[tiny["customer_id"] == 1])
    assert one.n_customers == 1
    dup = cohort_table(pd.concat([tiny, tiny.iloc[[0]]]))  # duplicated rows are kept
    assert dup.table.loc[("2024-01", 0), "revenue"] == 50.0
    as_str = cohort_table(tiny.astype({"customer_id": str})).table
    pd.testing.assert_frame_equal(as_str, base)
    as_cat = cohort_table(tiny.astype({"customer_id": "category"})).table
    pd.testing.assert_frame_equal(as_cat, base)
    aware = tiny.assign(timestamp=tiny["timestamp"].dt.tz_localize("Europe/London"))
    res = cohort_table(aware, cutoff="2024-03-04")
    pd.testing.assert_frame_equal(res.table, base)
    assert res.cutoff.tzinfo is not None
    pytest.importorskip("polars")
    import polars as pl
    import pyarrow as pa

    pd.testing.assert_frame_equal(cohort_table(pl.from_pandas(tiny)).table, base)
    pd.testing.assert_frame_equal(cohort_table(pa.Table.from_pandas(tiny)).table, base)
    assert set(COHORT_METRICS) <= set(base.columns)


def test_plots(tiny):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmine.plotting import plot_cohort_heatmap, plot_retention_curves

    res = cohort_table(tiny)
    fig, ax = plt.subplots()
    assert plot_cohort_heatmap(res, metric="revenue", ax=ax) is ax
    assert plot_retention_curves(res, ax=ax) is ax
    plt.close("all")


@pytest.mark.parametrize("engine", ["polars", "lazy", "arrow", "duckdb", "parquet"])
def test_cohorts_on_every_local_engine_equal_pandas(engine, tmp_path):
    """Cleaning runs on the engine; the cohort numbers are the pandas path's, exactly."""
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    log = make_retail(n_customers=150, random_state=0).transactions
    # a zone with a DST change and lines around midnight
    log = log.assign(timestamp=log["timestamp"].dt.tz_localize("Europe/London",
                                                               nonexistent="shift_forward",
                                                               ambiguous=False))
    if engine == "polars":
        native = pl.from_pandas(log)
    elif engine == "lazy":
        native = pl.from_pandas(log).lazy()
    elif engine == "arrow":
        native = pa.Table.from_pandas(log, preserve_index=False)
    elif engine == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
        con.execute("SET TimeZone = 'Europe/London'")
        native = con.from_arrow(pa.Table.from_pandas(log, preserve_index=False))
    else:
        native = str(tmp_path / "log.parquet")
        log.to_parquet(native)
    for returns in ("net", "drop"):
        want = cohort_table(log, returns=returns, cutoff="2024-10-01")
        got = cohort_table(native, returns=returns, cutoff="2024-10-01")
        pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_frame_equal(customer_cohorts(native), customer_cohorts(log))
