"""Returns and cancellations matched to the purchases they undo (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine import clean_transactions
from crmine.schema import match_returns


def lines(rows):
    """rows: (customer, item, day, quantity, price)."""
    df = pd.DataFrame(rows, columns=["customer", "item", "day", "quantity", "price"])
    df["time"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df.pop("day"), unit="D")
    df["amount"] = df["quantity"] * df["price"]
    return df


def test_partial_return_undoes_part_of_the_purchase():
    adj = match_returns(lines([(1, "x", 0, 5, 2.0), (1, "x", 1, -2, 2.0)]))
    assert adj["matched_quantity"].tolist() == [2.0, 2.0]
    assert adj["matched_value"].tolist() == [4.0, 4.0]
    assert adj["unmatched_quantity"].tolist() == [0.0, 0.0]


def test_lifo_latest_purchase_first_and_at_its_own_price():
    # purchases of 2 @ 1.0 (day 0), 3 @ 4.0 (day 1); a return of 4 on day 2 undoes the
    # 3 of day 1 (LIFO) and 1 of day 0
    adj = match_returns(
        lines([(1, "x", 0, 2, 1.0), (1, "x", 1, 3, 4.0), (1, "x", 2, -4, 9.0)])
    )
    assert adj["matched_quantity"].tolist() == [1.0, 3.0, 4.0]
    assert adj["matched_value"].tolist()[:2] == [1.0, 12.0]  # the purchases' own prices


def test_interleaved_returns_use_only_earlier_purchases():
    # P 5 (d0), P 3 (d1), R 4 (d2), P 2 (d3), R 4 (d4):
    # R1 takes 3 of d1 and 1 of d0 (d0 keeps 4); R2 takes 2 of d3 and 2 of d0 (d0 keeps 2)
    adj = match_returns(
        lines([(1, "x", 0, 5, 1.0), (1, "x", 1, 3, 1.0), (1, "x", 2, -4, 1.0),
               (1, "x", 3, 2, 1.0), (1, "x", 4, -4, 1.0)])
    )
    assert adj["matched_quantity"].tolist() == [3.0, 3.0, 4.0, 2.0, 4.0]


def test_return_before_any_purchase_is_unmatched():
    adj = match_returns(lines([(1, "x", 0, -2, 3.0), (1, "x", 1, 5, 3.0)]))
    assert adj["matched_quantity"].tolist() == [0.0, 0.0]
    assert adj["unmatched_quantity"].tolist() == [2.0, 0.0]
    assert adj["unmatched_value"].tolist() == [6.0, 0.0]


def test_returns_match_only_the_same_customer_and_item():
    adj = match_returns(
        lines([(1, "x", 0, 5, 1.0), (2, "x", 0, 5, 1.0), (1, "y", 0, 5, 1.0),
               (1, "x", 1, -7, 1.0)])
    )
    assert adj["matched_quantity"].tolist() == [5.0, 0.0, 0.0, 5.0]
    assert adj["unmatched_quantity"].tolist() == [0.0, 0.0, 0.0, 2.0]


def test_same_day_purchase_counts_as_earlier_and_row_order_is_irrelevant():
    rows = [(1, "x", 0, -1, 2.0), (1, "x", 0, 3, 2.0)]
    adj = match_returns(lines(rows))
    assert adj["matched_quantity"].tolist() == [1.0, 1.0]
    shuffled = lines(rows[::-1])
    assert match_returns(shuffled)["matched_quantity"].tolist() == [1.0, 1.0]


def test_match_by_value_without_quantity():
    df = lines([(1, "x", 0, 1, 30.0), (1, "x", 1, -1, 12.5)]).drop(columns="quantity")
    adj = match_returns(df, quantity=None)
    assert adj["matched_value"].tolist() == [12.5, 12.5]


def test_match_returns_names_missing_columns():
    with pytest.raises(ValueError, match=r"\['item'\] not found"):
        match_returns(lines([(1, "x", 0, 1, 1.0)]).drop(columns="item"))


def order_log():
    return pd.DataFrame(
        {
            "customer_id": [7, 7, 7, 7, 8],
            "order_id": ["A1", "A1", "C1", "A2", "C9"],
            "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00",
                                         "2024-01-01 10:12", "2024-02-01 00:00",
                                         "2024-02-02 00:00"]),
            "item": ["big", "small", "big", "small", "z"],
            "quantity": [80_995, 2, -80_995, 4, -1],
            "price": [2.08, 1.0, 2.08, 1.0, 5.0],
        }
    )


def test_a_cancelled_order_disappears_and_is_counted():
    clean, rep = clean_transactions(order_log())
    assert clean["item"].tolist() == ["small", "small"]
    assert rep.table.loc["returned_purchase", "rows"] == 1
    assert rep.table.loc["returned_purchase", "value"] == pytest.approx(80_995 * 2.08)
    assert rep.returns_matched == 1 and rep.purchases_undone == 1
    assert rep.quantity_matched == 80_995
    assert rep.value_matched == pytest.approx(80_995 * 2.08)
    # customer 8's return has no purchase: unmatched, dropped, counted
    assert rep.returns_unmatched == 1 and rep.value_unmatched == pytest.approx(5.0)
    assert rep.customers_out == 1
    assert "returns netted" in str(rep) and "returns_matched=1" in repr(rep)


def test_partly_returned_line_keeps_the_rest_with_integer_quantity():
    log = order_log()
    log.loc[2, "quantity"] = -995
    clean, rep = clean_transactions(log)
    big = clean[clean["item"] == "big"]
    assert big["quantity"].tolist() == [80_000]
    assert big["amount"].tolist() == pytest.approx([80_000 * 2.08])
    assert clean["quantity"].dtype == log["quantity"].dtype
    assert rep.table.loc["partly_returned", "action"] == "reduced"
    assert rep.table.loc["partly_returned", "value"] == pytest.approx(995 * 2.08)
    assert rep.value_out == pytest.approx((clean["quantity"] * clean["price"]).sum())


def test_textbook_option_keeps_the_cancelled_purchase():
    clean, rep = clean_transactions(order_log(), returns="drop")
    assert clean["item"].tolist() == ["big", "small", "small"]
    assert rep.returns_matched == 0 and "returned_purchase" not in rep.table.index


def test_amount_only_log_is_netted_by_value():
    log = pd.DataFrame({"customer_id": [1, 1, 1], "order_id": [1, 2, 3],
                        "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
                        "item": ["x", "x", "x"], "amount": [10.0, 20.0, -25.0]})
    clean, rep = clean_transactions(log)
    assert clean["amount"].tolist() == [5.0]
    assert rep.value_out == 5.0 and rep.value_matched == 25.0


def test_returns_after_end_do_not_undo_earlier_purchases():
    clean, _ = clean_transactions(order_log(), end="2024-01-01 10:05")
    assert clean["item"].tolist() == ["big", "small"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2]), st.sampled_from(["x", "y"]), st.integers(0, 5),
            st.integers(-4, 6).filter(lambda q: q != 0), st.sampled_from([1.0, 2.5]),
        ),
        min_size=1, max_size=25,
    )
)
def test_net_revenue_is_purchases_minus_matched_returns(rows):
    df = lines(rows)
    adj = match_returns(df)
    purchase = df["quantity"] > 0
    # never undo more than was bought, never match more than was returned
    assert (adj["matched_quantity"] <= df["quantity"].abs() + 1e-9).all()
    # per (customer, item): matched units on both sides agree
    g = df.assign(m=adj["matched_quantity"], p=purchase).groupby(["customer", "item", "p"])["m"]
    sides = g.sum().unstack("p", fill_value=0.0)
    if True in sides and False in sides:
        np.testing.assert_allclose(sides[True], sides[False])
    # the clean log's revenue per customer = purchases - matched returns (at purchase prices)
    log = df.rename(columns={"customer": "customer_id", "time": "timestamp"})
    log["order_id"] = np.arange(len(log))
    clean, rep = clean_transactions(log.drop(columns="amount"))
    got = clean.groupby("customer_id")["amount"].sum()
    expected = (df["amount"] - adj["matched_value"]).where(purchase).groupby(
        df["customer"]).sum()
    expected = expected[expected > 0]
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, check_index_type=False
    )
    assert rep.value_out == pytest.approx(got.sum())


@pytest.mark.public_data
def test_online_retail_cancelled_orders_no_longer_make_top_customers():
    from crmine.datasets import load_online_retail

    log = load_online_retail(shared_dataset("online_retail") / "online_retail.parquet")
    clean, rep = clean_transactions(log)
    revenue = clean.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    # 16446's 80,995-unit order and 12346's 74,215-unit order were cancelled minutes later
    assert 16446 not in revenue.index[:50] and 12346 not in revenue.index
    assert revenue.get(16446, 0.0) < 100
    assert rep.returns_matched > 7_000 and rep.purchases_undone > 7_000
    assert rep.value_out == pytest.approx(clean["amount"].sum())
    textbook, rep_drop = clean_transactions(log, returns="drop")
    assert rep_drop.customers_out == 4_338
    assert rep.value_out < rep_drop.value_out - 400_000


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2, 3]), st.sampled_from(["x", "y"]), st.integers(0, 6),
            st.integers(-5, 6).filter(lambda q: q != 0), st.just(1.0),
        ),
        min_size=1, max_size=40,
    )
)
def test_whole_and_fractional_quantities_take_paths_that_agree(rows):
    df = lines(rows)
    whole = match_returns(df)  # whole numbers: the exact numpy path
    half = match_returns(df.assign(quantity=df["quantity"] * 0.5))  # pandas' grouped path
    np.testing.assert_allclose(half["matched_quantity"] * 2, whole["matched_quantity"])
    np.testing.assert_allclose(half["unmatched_quantity"] * 2, whole["unmatched_quantity"])


def test_without_an_item_column_returns_are_matched_by_value():
    # a return worth 1.0 must not undo one unit of the 100.0 item
    log = pd.DataFrame({"customer_id": [1, 1, 1], "order_id": ["A", "B", "C"],
                        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
                        "quantity": [1, 2, -1], "price": [100.0, 1.0, 1.0]})
    clean, rep = clean_transactions(log)
    assert clean["amount"].tolist() == [100.0, 1.0]
    assert clean["quantity"].tolist() == [1, 1]
    assert rep.value_matched == 1.0 and rep.quantity_matched == 1.0
    from crmine import TransactionFeatures

    t = TransactionFeatures(include=["rfm"]).fit_transform(log)
    assert t.loc[1, "monetary_total"] == 101.0 and t.loc[1, "frequency"] == 2


@pytest.mark.parametrize(
    ("dtype", "want_dtype"),
    [("int32", "int32"), ("Int64", "int64"), ("float32", "float64"), ("int64", "int64")],
)
def test_partly_returned_quantity_keeps_a_whole_number_dtype(dtype, want_dtype):
    # by hand: 5 then 4 units of x; a return of 2 undoes 2 of the 4 (LIFO) -> 5, 2
    log = pd.DataFrame({
        "customer_id": [1, 1, 1, 2],
        "order_id": ["A", "B", "C1", "D"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
        "item": ["x", "x", "x", "y"],
        "quantity": pd.array([5, 4, -2, 7]).astype(dtype),
        "price": [1.0, 1.0, 1.0, 3.0],
    })
    clean, rep = clean_transactions(log)
    assert clean["quantity"].dtype == want_dtype
    assert clean["quantity"].tolist() == [5, 2, 7]
    assert clean["amount"].tolist() == [5.0, 2.0, 21.0]
    assert rep.table.loc["partly_returned", "rows"] == 1
    # without an item column returns are matched by value, here 2.0 of B's 4.0 at 1.0 each:
    # still whole; a return of 1.5 units of value leaves 2.5 units: float64
    log2 = log.drop(columns="item").assign(price=[1.0, 1.0, 0.75, 3.0])
    clean2, _ = clean_transactions(log2)
    assert clean2["quantity"].dtype == "float64"
    assert clean2["quantity"].tolist() == [5.0, 2.5, 7.0]
