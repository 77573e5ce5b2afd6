"""Tests of crmine.scorecard: the customer scorecard and spreadsheet-safe export."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmine
from crmine.datasets import make_retail
from crmine.exceptions import DataWarning, SchemaError
from crmine.scorecard import SCORECARD_COLUMNS, customer_scorecard, safe_for_spreadsheet


@pytest.fixture(scope="module")
def retail():
    return make_retail(400, random_state=11)


@pytest.fixture(scope="module")
def card(retail):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # nothing is missing on this log
        return customer_scorecard(retail.transactions, random_state=0)


def _customers(log):
    clean, _ = crmine.clean_transactions(log)
    return crmine.TransactionFeatures().fit_transform(clean)


def test_exported_from_the_package():
    assert "customer_scorecard" in crmine.__all__
    assert crmine.customer_scorecard is customer_scorecard


def test_one_row_per_customer_every_column_documented(card, retail):
    assert card.index.name == "customer_id"
    assert card.index.is_unique
    assert set(card.index) == set(_customers(retail.transactions).index)
    assert card.columns.tolist() == list(SCORECARD_COLUMNS)
    for col in ("rfm_segment", "value_tier", "segment", "next_best_offer"):
        assert card[col].notna().mean() > 0.95, col
    assert card[["churn_risk", "p_alive"]].stack().between(0, 1).all()
    assert np.isfinite(card["clv"]).all() and (card["clv"] >= 0).all()
    assert (card["expected_purchases"] >= 0).all()
    assert set(card["offer_basis"].dropna()) <= {"rule", "popular"}


def test_every_column_is_documented_in_the_docstring():
    for col in SCORECARD_COLUMNS:
        assert SCORECARD_COLUMNS[col]
    assert "SCORECARD_COLUMNS" in customer_scorecard.__doc__


def test_columns_agree_with_the_estimators(card, retail):
    customers = _customers(retail.transactions)
    rfm = crmine.RFMScorer().fit(customers).transform(customers)
    assert (card["rfm_segment"] == rfm["segment"].astype(str).reindex(card.index)).all()
    tiers = crmine.ValueTierClassifier().fit(customers).predict(customers).astype(str)
    assert (card["value_tier"] == tiers.reindex(card.index)).all()
    # tiers follow the pyramid shares: the VIP tier is about 1% of the customers
    assert card["value_tier"].value_counts(normalize=True)["VIP"] <= 0.02


def test_planted_truth(card, retail):
    truth = retail.customers.reindex(card.index)
    # customers that the generator marks as gone have a low P(alive) and a high churn risk
    gone = ~truth["true_alive"].astype(bool)
    assert card.loc[gone, "p_alive"].mean() < card.loc[~gone, "p_alive"].mean() - 0.2
    assert card.loc[gone, "churn_risk"].mean() > card.loc[~gone, "churn_risk"].mean() + 0.2
    # expected purchases rank like the true future purchases
    rho = card["expected_purchases"].rank().corr(truth["true_future_orders_365d"].rank())
    assert rho > 0.5
    # the planted beer -> diapers rule: beer buyers without diapers are offered diapers
    log = retail.transactions
    beer = set(log.loc[log["item"] == "beer", "customer_id"])
    diapers = set(log.loc[log["item"] == "diapers", "customer_id"])
    targets = sorted(beer - diapers)
    if targets:
        offered = card.loc[targets]
        assert (offered["next_best_offer"] == "diapers").mean() > 0.5
        assert (offered.loc[offered["offer_basis"] == "rule", "offer_confidence"] >= 0.2).all()


def test_offer_is_never_bought_before_and_never_a_non_product(retail):
    log = retail.transactions.copy()
    postage = log.drop_duplicates("order_id").assign(item="POST", quantity=1, price=5.0)
    log = pd.concat([log, postage], ignore_index=True)
    card = customer_scorecard(log, random_state=0)
    assert not (card["next_best_offer"] == "POST").any()
    clean, _ = crmine.clean_transactions(log)  # returned items may be offered again
    owned = clean.groupby("customer_id")["item"].agg(set)
    for cid, offer in card["next_best_offer"].dropna().items():
        assert offer not in owned[cid]
    # an explicit list works too
    card2 = customer_scorecard(retail.transactions, random_state=0, exclude_items=["diapers"])
    assert not (card2["next_best_offer"] == "diapers").any()


def test_same_seed_same_scorecard(card, retail):
    again = customer_scorecard(retail.transactions, random_state=0)
    pd.testing.assert_frame_equal(card, again)


def test_does_not_mutate_the_log(retail):
    log = retail.transactions.head(3000).copy()
    before = log.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        customer_scorecard(log, random_state=0)
    pd.testing.assert_frame_equal(log, before)


def test_short_history_leaves_churn_empty_with_a_warning(retail):
    log = retail.transactions
    short = log.loc[log["timestamp"] < log["timestamp"].min() + pd.Timedelta(days=100)]
    with pytest.warns(DataWarning, match="churn_risk"):
        card = customer_scorecard(short, random_state=0)
    assert card["churn_risk"].isna().all()
    assert card["rfm_segment"].notna().all()


def test_polars_input_gives_the_same_scorecard(card, retail):
    pl = pytest.importorskip("polars")
    got = customer_scorecard(pl.from_pandas(retail.transactions), random_state=0)
    pd.testing.assert_frame_equal(got, card)


@pytest.mark.parametrize("horizon", [0, -5, "soon", "0D", True])
def test_bad_horizon(retail, horizon):
    with pytest.raises(SchemaError, match="horizon"):
        customer_scorecard(retail.transactions.head(500), horizon=horizon)


def test_missing_column_is_named(retail):
    with pytest.raises(SchemaError, match="customer_id"):
        customer_scorecard(retail.transactions.drop(columns="customer_id"))


# ----------------------------------------------------------------------------- export


def test_safe_for_spreadsheet_known_answers():
    df = pd.DataFrame(
        {
            "text": ["=1+1", "+33 6", "-x", "@SUM(A1)", "\tTAB", "\rCR", "plain", None],
            "num": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        },
        index=pd.Index(["=id", "b", "c", "d", "e", "f", "g", "h"], name="id"),
    )
    before = df.copy()
    safe = safe_for_spreadsheet(df)
    assert safe["text"].tolist()[:7] == [
        "'=1+1",
        "'+33 6",
        "'-x",
        "'@SUM(A1)",
        "'\tTAB",
        "'\rCR",
        "plain",
    ]
    assert pd.isna(safe["text"].iloc[7])
    assert safe["num"].tolist() == df["num"].tolist()  # numbers stay numbers
    assert safe.index[0] == "'=id"
    pd.testing.assert_frame_equal(df, before)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=8))
def test_no_exported_text_cell_can_start_a_formula(texts):
    safe = safe_for_spreadsheet(pd.DataFrame({"t": texts}))
    for original, cell in zip(texts, safe["t"]):
        assert not str(cell).startswith(("=", "+", "-", "@", "\t", "\r"))
        assert str(cell).lstrip("'") == original.lstrip("'") or str(cell) == "'" + original
