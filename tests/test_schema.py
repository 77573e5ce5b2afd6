from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st

from crmine import TransactionSchema, clean_transactions, validate_transactions
from crmine.exceptions import SchemaError


def tiny_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, None, 2, 3, 3, 3],
            "order_id": ["A1", "A1", "A2", "A3", "C4", "A5", "A6", "A6"],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-01 10:00",
                    "2024-01-01 10:00",
                    "2024-01-02 11:00",
                    "2024-01-03 12:00",
                    "2024-01-04 09:00",
                    "2024-01-05 08:00",
                    "2024-02-10 08:00",
                    "2024-02-10 08:00",
                ]
            ),
            "item": ["x", "y", "x", "z", "x", "y", "x", "x"],
            "quantity": [2, 1, 3, 1, -1, 0, 1, 1],
            "price": [5.0, 10.0, 5.0, 7.0, 5.0, 3.0, 4.0, 4.0],
        }
    )


def test_clean_known_answer():
    log = tiny_log()
    clean, rep = clean_transactions(log, end="2024-02-01", returns="drop")
    # hand count: row 3 missing customer (7.0); rows 6, 7 after end (8.0);
    # row 4 cancellation (-5.0); row 5 zero quantity (0.0); rows 6/7 duplicates but
    # already counted as outside the range
    assert rep.reasons.loc["missing_customer", "rows"] == 1
    assert rep.reasons.loc["missing_customer", "value"] == 7.0
    assert rep.reasons.loc["outside_date_range", "rows"] == 2
    assert rep.reasons.loc["outside_date_range", "value"] == 8.0
    assert rep.reasons.loc["cancellation_or_return", "rows"] == 1
    assert rep.reasons.loc["cancellation_or_return", "value"] == -5.0
    assert rep.reasons.loc["non_positive_quantity", "rows"] == 1
    assert rep.reasons.loc["exact_duplicate", "rows"] == 0
    assert rep.rows_in == 8 and rep.rows_out == 3
    assert rep.value_in == pytest.approx(10 + 10 + 15 + 7 - 5 + 0 + 4 + 4)
    assert rep.value_out == pytest.approx(35.0)
    assert clean["order_id"].tolist() == ["A1", "A1", "A2"]
    assert clean["amount"].tolist() == [10.0, 10.0, 15.0]
    assert rep.customers_out == 2 and rep.orders_out == 2
    assert "dropped" in str(rep)


def test_clean_duplicates_and_returns_keep():
    log = tiny_log()
    clean, rep = clean_transactions(log, returns="keep", duplicates="drop")
    assert rep.reasons.loc["exact_duplicate", "rows"] == 1
    assert rep.reasons.loc["exact_duplicate", "action"] == "dropped"
    assert rep.reasons.loc["cancellation_or_return", "action"] == "kept"
    assert "C4" in set(clean["order_id"])
    # the dropped rows add up
    dropped = rep.reasons.loc[rep.reasons["action"] == "dropped", "rows"].sum()
    assert dropped == rep.rows_in - rep.rows_out


def test_clean_does_not_mutate_input():
    log = tiny_log()
    log["timestamp"] = log["timestamp"].astype(str)
    before = log.copy(deep=True)
    clean_transactions(log)
    pd.testing.assert_frame_equal(log, before)


def test_amount_column_used_when_present():
    log = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "order_id": [1, 2],
            "timestamp": ["2024-01-01", "2024-01-02"],
            "amount": [12.5, -3.0],
        }
    )
    clean, rep = clean_transactions(log)
    assert rep.reasons.loc["cancellation_or_return", "rows"] == 1
    assert clean["amount"].tolist() == [12.5]


def test_custom_schema_names():
    log = pd.DataFrame(
        {
            "CustomerID": [7],
            "InvoiceNo": ["536365"],
            "InvoiceDate": ["2010-12-01 08:26"],
            "Quantity": [6],
            "UnitPrice": [2.55],
        }
    )
    schema = TransactionSchema(
        customer="CustomerID", order="InvoiceNo", time="InvoiceDate",
        quantity="Quantity", price="UnitPrice",
    )
    clean, rep = clean_transactions(log, schema)
    assert rep.value_out == pytest.approx(15.3)


# ------------------------------------------------------------------- bad input
def base_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "order_id": ["a", "b", "c"],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "amount": [1.0, 2.0, 3.0],
        }
    )


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        validate_transactions([1, 2, 3])  # type: ignore[arg-type]


def test_empty_frame():
    with pytest.raises(SchemaError, match="empty"):
        validate_transactions(base_log().iloc[:0])


def test_missing_column_named():
    with pytest.raises(SchemaError, match=r"'order_id' \(order\).*TransactionSchema"):
        validate_transactions(base_log().drop(columns="order_id"))


def test_no_value_columns():
    with pytest.raises(SchemaError, match="quantity.*price"):
        validate_transactions(base_log().drop(columns="amount"))


def test_bad_timestamps_listed():
    log = base_log()
    log["timestamp"] = ["2024-01-01", "not a date", "yesterday"]
    with pytest.raises(SchemaError, match=r"'timestamp' has 2 value\(s\).*'not a date'"):
        validate_transactions(log)


def test_non_numeric_amount_listed():
    log = base_log()
    log["amount"] = ["1.0", "£2", "3,5"]
    with pytest.raises(SchemaError, match=r"'amount' must be numeric.*'£2'"):
        validate_transactions(log)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_inf_amount(bad):
    log = base_log()
    log.loc[1, "amount"] = bad
    with pytest.raises(SchemaError, match="'amount' has 1"):
        validate_transactions(log)


def test_missing_customer_ids_in_validate_but_counted_in_clean():
    log = base_log()
    log["customer_id"] = [1, None, 3]
    with pytest.raises(SchemaError, match="missing id"):
        validate_transactions(log)
    clean, rep = clean_transactions(log)
    assert rep.reasons.loc["missing_customer", "rows"] == 1
    assert len(clean) == 2


def test_mixed_naive_and_aware_timestamps():
    log = base_log()
    log["timestamp"] = [
        pd.Timestamp("2024-01-01 10:00"),
        pd.Timestamp("2024-01-02 10:00", tz="UTC"),
        pd.Timestamp("2024-01-03 10:00"),
    ]
    with pytest.raises(SchemaError, match="mixes 1 timezone-aware"):
        validate_transactions(log)


def test_mixed_id_types():
    log = base_log()
    log["customer_id"] = pd.Series([1, "1", 2], dtype=object)
    with pytest.raises(SchemaError, match="mixes id types"):
        validate_transactions(log)


def test_negative_and_zero_amounts_are_counted_not_silent():
    log = base_log()
    log["amount"] = [0.0, -2.0, 3.0]
    clean, rep = clean_transactions(log)
    assert rep.reasons.loc["cancellation_or_return", "rows"] == 1
    assert rep.reasons.loc["non_positive_price", "rows"] == 1
    assert rep.rows_out == 1


def test_single_customer():
    log = base_log()
    log["customer_id"] = 1
    clean, rep = clean_transactions(log)
    assert rep.customers_out == 1 and rep.rows_out == 3


def test_timezone_aware_log_is_accepted():
    log = base_log()
    log["timestamp"] = pd.to_datetime(log["timestamp"]).dt.tz_localize("Europe/London")
    clean, _ = clean_transactions(log, start="2024-01-02")
    assert len(clean) == 2


# ------------------------------------------------------------------ properties
@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2, 3, None]),
            st.sampled_from(["A", "B", "C1", "D"]),
            st.integers(0, 40),
            st.integers(-3, 5),
            st.sampled_from([0.0, 1.5, 2.0]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["net", "drop", "keep"]),
    st.sampled_from(["drop", "keep"]),
)
def test_report_accounts_for_every_row_and_value(rows, returns, duplicates):
    log = pd.DataFrame(rows, columns=["customer_id", "order_id", "day", "quantity", "price"])
    log["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(log.pop("day"), unit="D")
    clean, rep = clean_transactions(
        log, returns=returns, duplicates=duplicates, end="2024-02-01"
    )
    dropped = rep.reasons[rep.reasons["action"] == "dropped"]
    assert dropped["rows"].sum() == rep.rows_in - rep.rows_out == len(log) - len(clean)
    removed = rep.reasons.loc[rep.reasons["action"] != "kept", "value"].sum()
    assert removed == pytest.approx(rep.value_in - rep.value_out, abs=1e-9)
    assert rep.value_out == pytest.approx((clean["quantity"] * clean["price"]).sum())
    assert clean["customer_id"].notna().all()
    if returns != "keep":
        assert (clean["quantity"] > 0).all()


# ------------------------------------------------------------------ real data
@pytest.mark.public_data
def test_online_retail_standard_cleaning():
    from crmine.datasets import load_online_retail

    path = shared_dataset("online_retail") / "online_retail.parquet"
    log = load_online_retail(path)
    assert len(log) == 541_909
    clean, rep = clean_transactions(log, returns="drop")  # the textbook rule
    assert rep.rows_out == 397_884
    assert rep.customers_out == 4_338
    assert rep.orders_out == 18_532
    assert rep.value_out == pytest.approx(8_911_407.904, abs=1e-3)
    assert rep.reasons.loc["missing_customer", "rows"] == 135_080


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1.0, 2.0, None]), st.sampled_from(["a", "b", None]),
            st.integers(0, 2), st.sampled_from([0.5, -0.0, 0.0, float("nan")]),
            st.sampled_from(["x", "y"]),
        ),
        min_size=1, max_size=40,
    )
)
def test_exact_duplicates_are_exactly_pandas_duplicated(rows):
    from crmine.schema._duplicates import _duplicated

    log = pd.DataFrame(rows, columns=["customer_id", "order_id", "q", "price", "note"])
    log["timestamp"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(log["q"], "D")
    codes = {"order_id": pd.factorize(log["order_id"])[0]}
    np.testing.assert_array_equal(_duplicated(log, codes), log.duplicated().to_numpy())


def test_exact_duplicates_on_a_large_log_use_the_partitioned_tables():
    from crmine.schema._duplicates import _duplicated

    rng = np.random.default_rng(0)
    n = 200_000
    log = pd.DataFrame({"a": rng.integers(0, 50_000, n), "b": rng.integers(0, 3, n),
                        "c": rng.choice(["x", "y", "z"], n)})
    np.testing.assert_array_equal(_duplicated(log, {}), log.duplicated().to_numpy())


def test_cheap_mode_does_not_compare_rows():
    log = pd.concat([tiny_log(), tiny_log().iloc[:2]], ignore_index=True)
    _, full = clean_transactions(log, returns="drop")
    clean, cheap = clean_transactions(log, returns="drop", duplicates="ignore")
    assert full.table.loc["exact_duplicate", "rows"] == 3
    assert cheap.table.loc["exact_duplicate", "rows"] == 0
    assert cheap.table.loc["exact_duplicate", "action"] == "not checked"
    assert cheap.rows_out == full.rows_out and cheap.value_out == full.value_out


def test_exact_duplicates_when_numbers_alone_do_not_tell_rows_apart():
    from crmine.schema._duplicates import _duplicated

    rng = np.random.default_rng(1)
    n = 50_000
    log = pd.DataFrame({"order": rng.integers(0, 50, n), "q": 1, "price": 2.5,
                        "item": rng.choice([f"i{k}" for k in range(300)], n),
                        "note": rng.choice(["a", "b", None], n)})
    want = log.duplicated().to_numpy()
    np.testing.assert_array_equal(_duplicated(log, {}, ("item",)), want)
    np.testing.assert_array_equal(_duplicated(log, {}), want)


def test_exact_duplicates_with_orders_stored_together():
    from crmine.schema._duplicates import _duplicated

    rng = np.random.default_rng(2)
    n = 150_000
    order = np.sort(rng.integers(0, 9_000, n))  # lines of one order are contiguous
    log = pd.DataFrame({"order": order, "q": rng.integers(1, 3, n), "item": rng.integers(0, 40, n)})
    codes = pd.factorize(log["order"])[0]
    want = log.duplicated().to_numpy()
    np.testing.assert_array_equal(_duplicated(log, {"order": codes}, block=codes), want)
    shuffled = log.sample(frac=1.0, random_state=0).reset_index(drop=True)  # not contiguous
    codes = pd.factorize(shuffled["order"])[0]
    np.testing.assert_array_equal(_duplicated(shuffled, {}, block=codes),
                                  shuffled.duplicated().to_numpy())


_EXOTIC = {  # column -> values drawn per row; pairs that float64 or str() would merge
    "big": ("Int64", [2**60, 2**60 + 1, None]),
    "nfloat": ("Float64", [0.5, None, -0.0, 0.0]),
    "obj": (object, [1, 1.0, "1", None, float("nan"), True]),
    "cat": ("category", ["u", "v", None]),
    "when": ("datetime64[ns]", [pd.Timestamp("2024-01-01"), pd.NaT]),
    "u64": ("uint64", [2**64 - 1, 2**63, 0]),
    "flag": (bool, [True, False]),
    "span": ("timedelta64[ns]", [pd.Timedelta(0), pd.Timedelta("1D"), pd.NaT]),
    "text": ("string", ["a", "b", None]),
}


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_exact_duplicates_on_exotic_dtypes_are_exactly_pandas_duplicated(data):
    from crmine.schema._duplicates import _duplicated

    n = data.draw(st.integers(1, 60))
    cols = data.draw(st.lists(st.sampled_from(sorted(_EXOTIC)), min_size=1, max_size=4,
                              unique=True))
    frame = {"order": data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))}
    for c in cols:
        dtype, choices = _EXOTIC[c]
        picks = data.draw(st.lists(st.integers(0, len(choices) - 1), min_size=n, max_size=n))
        frame[c] = pd.Series([choices[i] for i in picks], dtype=dtype)
    log = pd.DataFrame(frame)
    want = log.duplicated().to_numpy()
    codes = pd.factorize(log["order"])[0]
    np.testing.assert_array_equal(_duplicated(log, {}), want)
    np.testing.assert_array_equal(_duplicated(log, {"order": codes}, block=codes), want)


def test_exact_duplicates_never_merge_integers_float64_cannot_tell_apart():
    from crmine.schema._duplicates import _duplicated

    n = 100_000  # large enough for the partitioned tables
    base = 2**60
    log = pd.DataFrame({"order": np.arange(n) // 10,
                        "id": pd.array(base + np.arange(n) % 2, dtype="Int64")})
    # rows 0 and 1 hold 2**60 and 2**60 + 1 (the same float64): not duplicates;
    # by hand, each order of 10 lines has 5 of each value: 8 repeats per order
    got = _duplicated(log, {"order": log["order"].to_numpy()}, block=log["order"].to_numpy())
    assert got.sum() == 8 * (n // 10)
    np.testing.assert_array_equal(got, log.duplicated().to_numpy())


def test_cancellation_prefix_on_mixed_order_ids():
    # numbers and text among the order ids: the prefix is tested on their text form
    log = pd.DataFrame({
        "customer_id": [1, 1, 2, 2],
        "order_id": pd.array([536365, "C536366", "536367", "A1"], dtype=object),
        "timestamp": pd.to_datetime(["2024-01-01"] * 4),
        "quantity": [1, 1, 1, 1],
        "price": [2.0, 3.0, 4.0, 5.0],
    })
    with pytest.raises(SchemaError, match="mixes id types"):
        clean_transactions(log, returns="drop")
    log["order_id"] = log["order_id"].astype(str)
    clean, rep = clean_transactions(log, returns="drop")
    assert clean["order_id"].tolist() == ["536365", "536367", "A1"]
    assert rep.table.loc["cancellation_or_return", "rows"] == 1
    assert rep.table.loc["cancellation_or_return", "value"] == 3.0
    clean, rep = clean_transactions(log, returns="drop", cancellation_prefix="A")
    assert clean["order_id"].tolist() == ["536365", "C536366", "536367"]
    assert rep.orders_out == 3 and rep.customers_out == 2
    # numbers stored as objects: their text form "536365" starts with "5"
    log["order_id"] = pd.array([536365, 536366, 536367, 6], dtype=object)
    clean, rep = clean_transactions(log, returns="drop", cancellation_prefix="5")
    assert clean["order_id"].tolist() == [6]
    assert rep.table.loc["cancellation_or_return", "rows"] == 3


def test_exact_duplicates_of_a_single_column_follow_pandas():
    from crmine.schema._duplicates import _duplicated

    # one column: pandas compares values (None and NaN differ), not factorised codes
    log = pd.DataFrame({"a": pd.array([None, np.nan, None, "x", np.nan], dtype=object)})
    np.testing.assert_array_equal(_duplicated(log, {}), log.duplicated().to_numpy())
    if log["a"].iloc[0] is None:  # pandas 2 keeps None; pandas 3 stores it as NaN
        np.testing.assert_array_equal(_duplicated(log, {}), [False, False, True, False, True])
    else:
        np.testing.assert_array_equal(_duplicated(log, {}), [False, True, True, False, True])
