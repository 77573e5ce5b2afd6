"""Timestamps, numbers and ids that used to be read silently wrong (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine import TransactionFeatures, TransactionSchema, clean_transactions, validate_transactions
from crmine.exceptions import SchemaError


def log_with(**columns):
    base = {
        "customer_id": [1, 2, 1],
        "order_id": ["a", "b", "c"],
        "timestamp": ["2024-01-02", "2024-02-13", "2024-03-01"],
        "amount": [1.0, 2.0, 3.0],
    }
    base.update(columns)
    return pd.DataFrame(base)


# ------------------------------------------------------------------ timestamps
def test_integer_epochs_are_refused_with_the_fix():
    log = log_with(timestamp=[1_704_153_600, 1_707_782_400, 1_709_251_200])
    with pytest.raises(SchemaError, match=r"holds numbers .*epoch_unit='s'"):
        validate_transactions(log)


def test_integer_epochs_with_their_unit():
    log = log_with(timestamp=[1_704_153_600, 1_707_782_400, 1_709_251_200])
    clean, _ = clean_transactions(log, TransactionSchema(epoch_unit="s"))
    assert clean["timestamp"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-02", "2024-02-13", "2024-03-01"]
    ms = log.assign(timestamp=log["timestamp"] * 1000)
    t = TransactionFeatures(columns={"epoch_unit": "ms"}).fit_transform(ms)
    assert t.loc[1, "tenure_days"] == 60


def test_bad_epoch_unit_is_refused():
    with pytest.raises(ValueError, match="epoch_unit must be one of"):
        TransactionSchema(epoch_unit="seconds")


def test_day_first_dates_parsed_with_one_format_for_the_column():
    # per-value parsing read 01/02 as January 2 and 13/02 as February 13
    log = log_with(timestamp=["01/02/2024", "13/02/2024", "15/02/2024"])
    clean, _ = clean_transactions(log)
    assert clean["timestamp"].dt.month.tolist() == [2, 2, 2]


def test_ambiguous_day_first_column_is_refused_then_read_as_told():
    log = log_with(timestamp=["01/02/2024", "03/02/2024", "05/02/2024"])
    with pytest.raises(SchemaError, match=r"both day-first and month-first.*dayfirst=True"):
        validate_transactions(log)
    clean, _ = clean_transactions(log, columns={"dayfirst": True})
    assert clean["timestamp"].dt.month.tolist() == [2, 2, 2]
    clean, _ = clean_transactions(log, TransactionSchema(time_format="%m/%d/%Y"))
    assert clean["timestamp"].dt.month.tolist() == [1, 3, 5]


def test_mixed_formats_in_one_column_are_refused():
    log = log_with(timestamp=["2024-01-02", "13/02/2024", "2024-03-01"])
    with pytest.raises(SchemaError, match=r"1 value\(s\) that are not timestamps in one format"):
        validate_transactions(log)


def test_iso_dates_with_and_without_times_are_one_format():
    log = log_with(timestamp=["2024-01-02", "2024-02-13 10:30", "2024-03-01T08:00:00"])
    clean, _ = clean_transactions(log)
    assert clean["timestamp"].dt.hour.tolist() == [0, 10, 8]


@pytest.mark.parametrize(
    "values",
    [
        ["2024-01-02", "2300-01-01", "2024-03-01"],
        np.array(["2024-01-02", "2300-01-01", "2024-03-01"], dtype="datetime64[s]"),
    ],
)
def test_years_beyond_2262_are_refused_with_the_range(values):
    with pytest.raises(SchemaError, match=r"1677-09-22 \.\. 2262-04-11") as info:
        validate_transactions(log_with(timestamp=values))
    assert "2300-01-01" in str(info.value)


def test_year_1900_is_a_date_like_any_other():
    log = log_with(timestamp=["1900-01-01", "1900-01-02", "1900-01-03"])
    t = TransactionFeatures().fit_transform(log)
    assert t.loc[1, "tenure_days"] == 3


def test_other_datetime_units_are_read_as_they_are():
    log = log_with(timestamp=pd.to_datetime(["2024-01-02", "2024-02-13", "2024-03-01"])
                   .as_unit("s"))
    clean, _ = clean_transactions(log)
    pd.testing.assert_series_equal(clean["timestamp"], log["timestamp"])
    ref = TransactionFeatures(cutoff="2024-04-01").fit_transform(log_with())
    got = TransactionFeatures(cutoff="2024-04-01").fit_transform(log)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


def test_mixed_utc_offsets_in_text_are_refused():
    log = log_with(timestamp=["2024-01-02T10:00+01:00", "2024-02-13T10:00+02:00",
                              "2024-03-01T10:00+01:00"])
    with pytest.raises(SchemaError, match="mixes different UTC offsets.*utc=True"):
        validate_transactions(log)


def test_aware_and_naive_objects_mixed_are_refused():
    log = log_with(timestamp=[pd.Timestamp("2024-01-02"), pd.Timestamp("2024-02-13", tz="UTC"),
                              pd.Timestamp("2024-03-01")])
    with pytest.raises(SchemaError, match="mixes 1 timezone-aware timestamps"):
        validate_transactions(log)


def test_dst_ambiguous_purchases_keep_their_instants():
    # 01:30 happens twice in London on 2024-10-27; both purchases are real instants
    times = pd.to_datetime(["2024-10-27 00:30Z", "2024-10-27 01:30Z", "2024-10-26 12:00Z"],
                           utc=True).tz_convert("Europe/London")
    log = log_with(customer_id=[1, 1, 2], timestamp=times)
    t = TransactionFeatures(include=["rfm", "tenure"]).fit_transform(log)
    assert t.loc[1, "first_purchase"] == times[0] and t.loc[1, "last_purchase"] == times[1]
    assert TransactionFeatures().fit(log).cutoff_ == pd.Timestamp(
        "2024-10-28", tz="Europe/London")
    with pytest.raises(ValueError, match=r"not a unique local time.*aware timestamp"):
        TransactionFeatures(cutoff="2024-10-27 01:30").fit(log)
    with pytest.raises(ValueError, match=r"not a unique local time"):
        clean_transactions(log, end="2024-03-31 01:30")  # does not exist in London


def test_nat_bounds_are_refused():
    with pytest.raises(ValueError, match=r"start=NaT is missing"):
        clean_transactions(log_with(), start=pd.NaT)
    with pytest.raises(ValueError, match=r"cutoff=NaT is missing"):
        TransactionFeatures(cutoff=pd.NaT).fit(log_with())


# ------------------------------------------------------------------ numbers
def test_decimal_comma_money_names_the_fix():
    with pytest.raises(SchemaError, match=r"'amount' must be numeric.*'12,50'.*decimal=','"):
        validate_transactions(log_with(amount=["12,50", "3", "1,5"]))


def test_na_text_in_money_names_the_fix():
    with pytest.raises(SchemaError, match=r"'N/A'.*na_values"):
        validate_transactions(log_with(amount=["1.5", "N/A", "2"]))


def test_numeric_text_and_categorical_money_are_read_as_numbers():
    clean, rep = clean_transactions(log_with(amount=["1.5", "2", "3"]))
    assert rep.value_out == 6.5 and clean["amount"].dtype == np.float64
    cat = log_with(amount=pd.Categorical([1.0, 2.0, 1.0]))
    assert clean_transactions(cat)[1].value_out == 4.0


# ------------------------------------------------------------------ ids and dtypes
def test_ids_mixing_1_and_text_1_are_refused_naming_both():
    log = log_with(customer_id=pd.Series([1, "1", 2], dtype=object))
    with pytest.raises(SchemaError, match=r"mixes id types.*'1' appears both as a number"):
        validate_transactions(log)
    cat = log_with(customer_id=pd.Categorical([1, "1", 2]))
    with pytest.raises(SchemaError, match="mixes id types"):
        validate_transactions(cat)
    items = log_with(item=pd.Series([85123, "85123", "85123A"], dtype=object))
    with pytest.raises(SchemaError, match=r"column 'item' mixes id types.*print alike"):
        clean_transactions(items)


def reference_table():
    return TransactionFeatures(cutoff="2024-04-01").fit_transform(log_with())


@pytest.mark.parametrize(
    "convert",
    [
        lambda df: df.astype({"customer_id": "string", "order_id": "string",
                              "timestamp": "string"}),
        lambda df: df.astype({"customer_id": "category", "order_id": "category",
                              "timestamp": "category"}),
        lambda df: df.astype({"customer_id": "int64[pyarrow]", "order_id": "string[pyarrow]",
                              "amount": "double[pyarrow]"}),
        lambda df: df.assign(timestamp=pd.to_datetime(df["timestamp"]).astype(
            "timestamp[ns][pyarrow]")),
    ],
    ids=["StringDtype", "categorical", "pyarrow-numbers", "pyarrow-timestamps"],
)
def test_extension_dtypes_give_the_same_table(convert):
    log = convert(log_with())
    t = TransactionFeatures(cutoff="2024-04-01").fit_transform(log)
    ref = reference_table()
    assert [str(i) for i in t.index] == [str(i) for i in ref.index]
    pd.testing.assert_frame_equal(t.reset_index(drop=True), ref.reset_index(drop=True))
    clean, rep = clean_transactions(log)
    assert rep.rows_out == 3 and rep.value_out == 6.0


def test_pyarrow_and_polars_logs_are_read_by_name():
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    log = log_with()
    log["timestamp"] = pd.to_datetime(log["timestamp"])
    ref = TransactionFeatures(cutoff="2024-04-01", include=["rfm"]).fit_transform(log)
    shuffled = log[["amount", "timestamp", "order_id", "customer_id"]]
    for table in (pa.Table.from_pandas(shuffled, preserve_index=False),
                  pl.from_pandas(shuffled)):
        got = TransactionFeatures(cutoff="2024-04-01", include=["rfm"]).fit_transform(table)
        np.testing.assert_allclose(got.to_numpy(dtype=float), ref.to_numpy(dtype=float))


# ------------------------------------------------------------------ frame shapes
def test_empty_and_header_only_logs_are_refused():
    header_only = pd.read_csv(__import__("io").StringIO("customer_id,order_id,timestamp,amount\n"))
    for log in (log_with().iloc[:0], header_only):
        with pytest.raises(SchemaError, match=r"empty \(0 rows"):
            clean_transactions(log)
        with pytest.raises(SchemaError, match="empty"):
            TransactionFeatures().fit(log)


def test_multiindex_columns_are_refused_with_the_fix():
    log = log_with()
    log.columns = pd.MultiIndex.from_product([["x"], log.columns])
    with pytest.raises(SchemaError, match="MultiIndex columns.*'_'.join"):
        clean_transactions(log)


def test_duplicated_column_names_are_refused():
    log = pd.concat([log_with(), log_with()[["amount"]]], axis=1)
    with pytest.raises(SchemaError, match=r"several columns named \['amount'\]"):
        validate_transactions(log)
    # repeated names among the columns crmine does not read are left alone
    other = log_with().assign(note="a", extra="b").rename(columns={"extra": "note"})
    assert clean_transactions(other)[1].rows_out == 3


def test_duplicate_row_index_is_harmless():
    log = log_with()
    log.index = [0, 0, 0]
    clean, rep = clean_transactions(log)
    assert rep.rows_out == 3 and list(clean.index) == [0, 0, 0]
    t = TransactionFeatures(cutoff="2024-04-01").fit_transform(log)
    pd.testing.assert_frame_equal(t, reference_table())


def test_columns_mapping_and_schema_are_the_same_roles():
    log = log_with().rename(columns={"customer_id": "CustomerID", "timestamp": "InvoiceDate"})
    a = clean_transactions(log, columns={"customer": "CustomerID", "time": "InvoiceDate"})[1]
    b = clean_transactions(log, TransactionSchema(customer="CustomerID", time="InvoiceDate"))[1]
    assert a.table.equals(b.table)
    with pytest.raises(ValueError, match="unknown role"):
        clean_transactions(log, columns={"client": "CustomerID"})
    with pytest.raises(ValueError, match="not both"):
        clean_transactions(log, TransactionSchema(), columns={"customer": "CustomerID"})


def test_polars_log_with_returns_is_netted_like_pandas():
    pl = pytest.importorskip("polars")
    log = pd.DataFrame({
        "customer_id": [1, 1, 2], "order_id": ["A", "C1", "B"],
        "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:12", "2024-01-02 09:00"]),
        "item": ["x", "x", "y"], "quantity": [5, -5, 1], "price": [2.0, 2.0, 3.0],
    })
    ref_clean, ref_rep = clean_transactions(log)
    clean, rep = clean_transactions(pl.from_pandas(log))
    assert rep.rows_out == ref_rep.rows_out == 1 and rep.value_out == 3.0
    ref = TransactionFeatures(include=["rfm"]).fit_transform(log)
    got = TransactionFeatures(include=["rfm"]).fit_transform(pl.from_pandas(log))
    assert got["monetary_total"].tolist() == ref["monetary_total"].tolist() == [3.0]
