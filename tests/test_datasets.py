from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmine import TransactionFeatures, basket_matrix, clean_transactions
from crmine.datasets import (
    load_cdnow,
    load_fimi,
    load_groceries,
    load_groceries_hierarchy,
    load_hillstrom,
    load_telco_churn,
    make_retail,
)


@pytest.fixture(scope="module")
def retail():
    return make_retail(1500, random_state=11)


def test_same_seed_same_data_other_seed_other_data():
    a, b = make_retail(150, random_state=4), make_retail(150, random_state=4)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    pd.testing.assert_frame_equal(a.campaign, b.campaign)
    c = make_retail(150, random_state=5)
    assert not a.transactions.equals(c.transactions)


def test_log_shape_and_window(retail):
    tx = retail.transactions
    assert list(tx.columns) == [
        "customer_id", "order_id", "timestamp", "item", "category", "quantity", "price"
    ]
    assert tx["timestamp"].min() >= retail.start and tx["timestamp"].max() < retail.end
    assert set(tx["customer_id"]) == set(retail.customers.index)
    returns = tx[tx["quantity"] < 0]
    assert len(returns) > 0 and returns["order_id"].str.startswith("C").all()
    assert (tx.loc[tx["quantity"] > 0, "order_id"].str.match(r"^\d+$")).all()


def test_segment_shares(retail):
    shares = retail.customers["segment"].value_counts(normalize=True)
    assert shares["champions"] == pytest.approx(0.10, abs=0.002)
    assert shares["loyal"] == pytest.approx(0.25, abs=0.002)


def test_dropout_ground_truth_is_consistent_with_the_log(retail):
    cust = retail.customers
    clean, _ = clean_transactions(retail.transactions)
    last = clean.groupby("customer_id")["timestamp"].max()
    dead = cust[cust["true_dropout_time"].notna()]
    # nobody buys after dropping out (the dropout purchase is the last one)
    later = last.reindex(dead.index) > dead["true_dropout_time"] + pd.Timedelta(days=1)
    assert not later.any()
    assert (~cust.loc[cust["segment"] == "lapsed", "true_alive"]).all()
    assert cust.loc[cust["segment"] != "lapsed", "true_alive"].all()
    assert (cust.loc[~cust["true_alive"], "true_future_orders_365d"] == 0).all()
    # alive customers with higher true rates buy more in the future
    alive = cust[cust["true_alive"]]
    rho = alive["true_purchase_rate"].corr(alive["true_future_orders_365d"], method="spearman")
    assert rho > 0.6


def test_planted_segments_are_separable_in_rfm(retail):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import StandardScaler

    t = TransactionFeatures().fit_transform(retail.transactions)
    X = StandardScaler().fit_transform(np.log1p(t[["recency_days", "frequency", "monetary_total"]]))
    labels = KMeans(5, n_init=10, random_state=0).fit_predict(X)
    ari = adjusted_rand_score(retail.customers.loc[t.index, "segment"], labels)
    assert ari >= 0.8


def test_beer_and_diapers_lift_on_weekday_evenings(retail):
    tx = retail.transactions
    ts = tx["timestamp"]
    evening = tx[(ts.dt.day_of_week < 5) & (ts.dt.hour >= 17) & (ts.dt.hour < 22)]
    bm = basket_matrix(evening)
    m = bm.matrix.tocsc()
    n = m.shape[0]
    beer = m[:, bm.items.get_loc("beer")].toarray().ravel()
    diapers = m[:, bm.items.get_loc("diapers")].toarray().ravel()
    lift = (beer & diapers).sum() * n / (beer.sum() * diapers.sum())
    assert lift >= 2.0
    # elsewhere the two are (nearly) independent
    other = tx.drop(evening.index)
    bo = basket_matrix(other)
    mo = bo.matrix.tocsc()
    b2 = mo[:, bo.items.get_loc("beer")].toarray().ravel()
    d2 = mo[:, bo.items.get_loc("diapers")].toarray().ravel()
    lift_other = (b2 & d2).sum() * mo.shape[0] / (b2.sum() * d2.sum())
    assert lift_other < 1.5


def test_campaign_is_randomized_with_planted_uplift(retail):
    camp = retail.campaign
    assert camp["treatment"].mean() == pytest.approx(0.5, abs=0.01)
    young = retail.customers.loc[camp["customer_id"], "age"].to_numpy() < 35
    old = retail.customers.loc[camp["customer_id"], "age"].to_numpy() >= 55
    def effect(mask):
        t = camp[mask & (camp["treatment"] == 1)]["response"].mean()
        c = camp[mask & (camp["treatment"] == 0)]["response"].mean()
        return t - c
    assert effect(young) > effect(old) + 0.05
    np.testing.assert_allclose(
        camp["true_uplift"], camp["true_p_treated"] - camp["true_p_control"]
    )
    assert (camp.loc[camp["response"] == 0, "revenue"] == 0).all()


def test_bgnbd_population():
    data = make_retail(300, population="bgnbd", bgnbd_params={"r": 1.0, "alpha": 20.0},
                       random_state=0)
    cust = data.customers
    assert (cust["segment"] == "bgnbd").all()
    # gamma(r=1, rate=20) has mean 0.05 per day
    assert cust["true_purchase_rate"].mean() == pytest.approx(0.05, rel=0.2)
    assert cust["true_dropout_prob"].between(0, 1).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": 0}, "n_customers"),
        ({"n_days": 5}, "n_days"),
        ({"population": "mixture"}, "population"),
        ({"return_rate": 1.5}, "return_rate"),
        ({"population": "bgnbd", "bgnbd_params": {"r": -1.0}}, "positive"),
        ({"population": "bgnbd", "bgnbd_params": {"k": 1.0}}, "unknown keys"),
    ],
)
def test_make_retail_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_retail(**kwargs)


# ------------------------------------------------------------------ loaders
@pytest.mark.public_data
def test_load_groceries():
    folder = shared_dataset("groceries")
    baskets = load_groceries(folder / "groceries.csv")
    assert len(baskets) == 9_835
    items = {i for b in baskets for i in b}
    assert len(items) == 169
    assert "cream cheese " in items
    assert sum(len(b) for b in baskets) == 43_367
    hier = load_groceries_hierarchy(folder / "groceries_item_hierarchy.csv")
    assert len(hier) == 169 and hier["level2"].nunique() == 55 and hier["level1"].nunique() == 10
    assert items == set(hier.index)


@pytest.mark.public_data
def test_load_fimi():
    baskets = load_fimi(shared_dataset("fimi_retail") / "retail.dat")
    assert len(baskets) == 88_162
    assert len({i for b in baskets for i in b}) == 16_470


@pytest.mark.public_data
def test_load_cdnow():
    folder = shared_dataset("cdnow")
    master = load_cdnow(folder / "CDNOW_master.txt")
    assert len(master) == 69_659 and master["customer_id"].nunique() == 23_570
    assert master["quantity"].sum() == 167_881
    assert master["amount"].sum() == pytest.approx(2_500_315.63, abs=0.01)
    sample = load_cdnow(folder / "CDNOW_sample.txt")
    assert len(sample) == 6_919 and sample["customer_id"].nunique() == 2_357
    assert sample["amount"].sum() == pytest.approx(244_091.94, abs=0.01)


@pytest.mark.public_data
def test_load_hillstrom_and_telco():
    hill = load_hillstrom(
        next(shared_dataset("hillstrom").glob("*.csv"))
    )
    assert len(hill) == 64_000
    assert set(hill["segment"]) == {"Mens E-Mail", "Womens E-Mail", "No E-Mail"}
    telco = load_telco_churn(
        shared_dataset("telco_churn") / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    )
    assert len(telco) == 7_043
    assert telco["TotalCharges"].isna().sum() == 11
    assert set(telco["churn"]) == {0, 1}


def test_loaders_say_where_to_get_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="not shipped with crmine"):
        load_groceries(tmp_path / "nope.csv")


def test_shipped_sample_matches_the_generator():
    from conftest import REPO

    shipped = pd.read_csv(REPO / "datasets" / "retail_sample.csv", parse_dates=["timestamp"],
                          dtype={"order_id": str})
    fresh = make_retail(100, random_state=0).transactions
    pd.testing.assert_frame_equal(shipped, fresh, check_dtype=False)


@pytest.mark.public_data
def test_online_retail_csv_and_parquet_copies_agree():
    from crmine.datasets import load_online_retail

    folder = shared_dataset("online_retail")
    pq = load_online_retail(folder / "online_retail.parquet")
    csv = load_online_retail(folder / "online_retail.csv.gz")
    assert len(pq) == len(csv) == 541_909
    for col in ("order_id", "item", "quantity", "timestamp", "price", "customer_id", "country"):
        pd.testing.assert_series_equal(pq[col], csv[col], check_dtype=False, check_names=False)
    # the parquet copy's "Unknown" descriptions are put back to missing, as in the original
    assert pq["description"].isna().sum() == csv["description"].isna().sum() == 1_454
