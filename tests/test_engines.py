"""One equivalence suite: the same logs through every installed local engine.

Each engine (polars DataFrame and LazyFrame, Arrow table, DuckDB relation,
Parquet files in several files and row groups) must give the pandas path's
customer table, RFM table, cleaning report and basket matrix: identical
integers and timestamps, money to 1e-12 relative.  The logs hold planted
segments and returns (``make_retail``), customers spread over files and row
groups, string ids, and an aware time zone with rows around midnight and both
DST changes.  Engines that are not installed are skipped.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from crmine import (
    TransactionFeatures,
    TransactionSchema,
    basket_matrix,
    clean_transactions,
    rfm_table,
)
from crmine.datasets import make_retail
from crmine.exceptions import SchemaError

pl = pytest.importorskip("polars")

ENGINES = ["polars", "lazy", "arrow", "duckdb", "parquet"]


def _native(log: pd.DataFrame, engine: str, tmp_path) -> object:
    if engine == "polars":
        return pl.from_pandas(log)
    if engine == "lazy":
        return pl.from_pandas(log).lazy()
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(log, preserve_index=False)
    if engine == "arrow":
        return table
    if engine == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
        tz = getattr(log["timestamp"].dt, "tz", None)
        if tz is not None:  # TIMESTAMPTZ is an instant: DuckDB shows it in the session zone
            con.execute(f"SET TimeZone = '{tz}'")
        return con.from_arrow(table)
    if engine == "parquet":
        import pyarrow.parquet as pq

        # three files, rows dealt round-robin: every customer spans files and row groups
        folder = tmp_path / f"log{len(list(tmp_path.glob('log*')))}"
        folder.mkdir()
        for k in range(3):
            part = log.iloc[k::3]
            pq.write_table(pa.Table.from_pandas(part, preserve_index=False),
                           folder / f"part-{k}.parquet", row_group_size=500)
        return str(folder / "*.parquet")
    raise AssertionError(engine)


def assert_same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Identical integers, timestamps and index; floats to 1e-12 relative."""
    assert list(got.columns) == list(want.columns)
    assert got.index.name == want.index.name
    np.testing.assert_array_equal(got.index.to_numpy(), want.index.to_numpy())
    for col in want.columns:
        g, w = got[col], want[col]
        assert g.dtype == w.dtype, (col, g.dtype, w.dtype)
        if w.dtype.kind in "iumM" or isinstance(w.dtype, pd.DatetimeTZDtype):
            np.testing.assert_array_equal(g.to_numpy(), w.to_numpy(), err_msg=col)
        else:
            np.testing.assert_allclose(g.to_numpy(), w.to_numpy(), rtol=1e-12, atol=0,
                                       err_msg=col)


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return make_retail(300, random_state=3).transactions


@pytest.fixture(scope="module")
def tz_log() -> pd.DataFrame:
    """String ids, Europe/London wall time, rows at 23:59:59 / 00:00 and over both DST changes."""
    log = make_retail(120, n_days=400, start="2023-11-01", random_state=4).transactions
    log = log.assign(customer_id="c" + log["customer_id"].astype(str).str.zfill(4))
    ts = log["timestamp"]
    # push a third of the rows to one second before midnight, a third to midnight
    sec = ts.dt.normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    pick = np.arange(len(log)) % 3
    ts = ts.where(pick != 0, sec).where(pick != 1, ts.dt.normalize())
    log["timestamp"] = ts.dt.tz_localize("Europe/London", nonexistent="shift_forward",
                                         ambiguous=False)
    extra = pd.DataFrame({
        "customer_id": ["c9999"] * 4,
        "order_id": ["D1", "D2", "D3", "D4"],
        "timestamp": pd.to_datetime([
            "2024-03-31 00:30:00", "2024-03-31 03:30:00", "2024-10-27 01:30:00",
            "2024-10-27 23:59:59",
        ]).tz_localize("Europe/London", ambiguous=True),
        "item": ["P001"] * 4,
        "category": ["home"] * 4,
        "quantity": [1, 2, 1, 3],
        "price": [9.99, 9.99, 1.0, 0.5],
    })
    return pd.concat([log, extra[log.columns]], ignore_index=True)


PARAMS = [
    {},
    {"frequency": "days", "monetary": "net", "time_unit": "W"},
    {"cutoff": "2024-06-15", "windows": (7, 60), "returns": "keep", "monetary": "net"},
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("which", ["planted", "tz_log"])
@pytest.mark.parametrize("params", PARAMS, ids=["default", "days-net-weeks", "cutoff-keep"])
def test_customer_table_equals_pandas(engine, which, params, request, tmp_path):
    log = request.getfixturevalue(which)
    want_est = TransactionFeatures(**params)
    want = want_est.fit_transform(log)
    est = TransactionFeatures(**params)
    got = est.fit_transform(_native(log, engine, tmp_path))
    assert est.cutoff_ == want_est.cutoff_
    assert est.include_ == want_est.include_
    assert est.categories_ == want_est.categories_
    assert_same_table(got, want)


@pytest.mark.parametrize("engine", ["parquet", "duckdb", "lazy"])
def test_customer_partitions_give_the_same_table(engine, tz_log, tmp_path, monkeypatch):
    """A scanned log is processed in customer partitions (bounded memory): same table."""
    from crmine.engines import _features

    want = TransactionFeatures().fit_transform(tz_log)
    monkeypatch.setenv("CRMINE_PARTITION_ROWS", str(len(tz_log) // 3))
    seen = []
    original = _features._table
    monkeypatch.setattr(_features, "_table", lambda *a: seen.append(1) or original(*a))
    assert_same_table(TransactionFeatures().fit_transform(_native(tz_log, engine, tmp_path)),
                      want)
    assert len(seen) >= 3


def _spilled(monkeypatch, spill) -> list:
    """Record the plan of every part the partitioned path computes a table from."""
    from crmine.engines import _features

    plans: list = []
    original = _features._table
    monkeypatch.setenv("CRMINE_TMPDIR", str(spill))
    monkeypatch.setattr(_features, "_table",
                        lambda est, lines, lf, sch: plans.append(lf.explain())
                        or original(est, lines, lf, sch))
    return plans


@pytest.mark.parametrize("engine", ["parquet", "duckdb", "lazy"])
@pytest.mark.parametrize("which", ["planted", "tz_log", "int_log"])
@pytest.mark.parametrize("params", PARAMS, ids=["default", "days-net-weeks", "cutoff-keep"])
def test_forced_partitions_equal_the_unpartitioned_table(engine, which, params, request,
                                                         tmp_path, monkeypatch):
    """One pass writes the customer partitions to temporary Parquet files; each part is
    read from its own file only; the table is the unpartitioned one; nothing is left."""
    log = request.getfixturevalue(which)
    source = _native(log, engine, tmp_path)
    monkeypatch.delenv("CRMINE_PARTITION_ROWS", raising=False)
    want = TransactionFeatures(**params).fit_transform(source)  # small log: one part
    spill = tmp_path / "spill"
    spill.mkdir()
    plans = _spilled(monkeypatch, spill)
    monkeypatch.setenv("CRMINE_PARTITION_ROWS", str(len(log) // 4))
    got = TransactionFeatures(**params).fit_transform(_native(log, engine, tmp_path))
    assert_same_table(got, want)
    assert 2 <= len(plans) <= 5  # 5 parts of len // 4 rows (a part may hold no customer)
    for plan in plans:
        assert str(spill) in plan
        assert str(tmp_path / "log") not in plan  # not the source files
    assert list(spill.iterdir()) == []


@pytest.mark.parametrize("which", ["planted", "tz_log"])
def test_partitions_without_partition_sink_reread_the_log(which, request, tmp_path, monkeypatch):
    """A polars without ``PartitionBy`` falls back to one filtered read of the log per part."""
    import polars as pl

    log = request.getfixturevalue(which)
    monkeypatch.delenv("CRMINE_PARTITION_ROWS", raising=False)
    want = TransactionFeatures().fit_transform(_native(log, "parquet", tmp_path))
    spill = tmp_path / "spill"
    spill.mkdir()
    plans = _spilled(monkeypatch, spill)
    monkeypatch.delattr(pl, "PartitionBy")
    monkeypatch.setenv("CRMINE_PARTITION_ROWS", str(len(log) // 4))
    got = TransactionFeatures().fit_transform(_native(log, "parquet", tmp_path))
    assert_same_table(got, want)
    assert len(plans) == 5  # every part reads the source log, none the spill folder
    assert all(str(tmp_path / "log") in plan and str(spill) not in plan for plan in plans)


def test_partitions_are_deleted_on_error(planted, tmp_path, monkeypatch):
    from crmine.engines import _features

    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setenv("CRMINE_TMPDIR", str(spill))
    monkeypatch.setenv("CRMINE_PARTITION_ROWS", str(len(planted) // 3))
    calls: list = []
    original = _features._table

    def fail_second(*a):
        calls.append(1)
        if len(calls) == 2:
            assert len(list(spill.iterdir())) == 1  # the partitions are on disk meanwhile
            raise MemoryError("planted")
        return original(*a)

    monkeypatch.setattr(_features, "_table", fail_second)
    with pytest.raises(MemoryError, match="planted"):
        TransactionFeatures().fit_transform(_native(planted, "parquet", tmp_path))
    assert len(calls) == 2
    assert list(spill.iterdir()) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_fit_on_engine_transform_on_engine_and_rfm(engine, planted, tmp_path):
    native = _native(planted, engine, tmp_path)
    est = TransactionFeatures(cutoff="2024-03-01").fit(native)
    assert_same_table(est.transform(native),
                      TransactionFeatures(cutoff="2024-03-01").fit_transform(planted))
    assert_same_table(rfm_table(native, frequency="days"), rfm_table(planted, frequency="days"))


def _report_tuple(r):
    return (r.rows_in, r.rows_out, r.customers_in, r.customers_out, r.orders_in, r.orders_out,
            r.returns, r.returns_matched, r.returns_unmatched, r.purchases_undone)


def _report_money(r):
    return [r.value_in, r.value_out, r.quantity_matched, r.value_matched,
            r.quantity_unmatched, r.value_unmatched]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kwargs", [
    {},
    {"returns": "drop", "cancellation_prefix": None},
    {"returns": "keep", "duplicates": "drop", "start": "2023-06-01", "end": "2024-09-01"},
], ids=["default-net", "drop", "keep-returns-drop-dups-range"])
def test_clean_report_equals_pandas(engine, kwargs, planted, tmp_path):
    log = pd.concat([planted, planted.iloc[:40]], ignore_index=True)  # 40 exact duplicates
    log["customer_id"] = log["customer_id"].astype(float)
    log.loc[3:7, "customer_id"] = np.nan
    log.loc[50:60, "price"] = 0.0
    want, want_rep = clean_transactions(log, **kwargs)
    got, rep = clean_transactions(_native(log, engine, tmp_path), **kwargs)
    assert _report_tuple(rep) == _report_tuple(want_rep)
    pd.testing.assert_series_equal(rep.reasons["rows"], want_rep.reasons["rows"])
    assert (rep.reasons["action"] == want_rep.reasons["action"]).all()
    np.testing.assert_allclose(rep.reasons["value"], want_rep.reasons["value"], rtol=1e-12)
    np.testing.assert_allclose(_report_money(rep), _report_money(want_rep), rtol=1e-12)
    if not kwargs:
        assert rep.returns_matched > 0 and rep.purchases_undone > 0  # netting exercised
    if hasattr(got, "collect"):
        got = got.collect()
    got = got.to_pandas() if not isinstance(got, pd.DataFrame) else got
    if engine == "parquet":  # files were dealt round-robin: compare as multisets
        key = ["order_id", "item", "timestamp", "quantity", "price", "customer_id"]
        got = got.sort_values(key, kind="stable").reset_index(drop=True)
        want = want.sort_values(key, kind="stable")
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_dtype=False)
    # the clean log goes on to features on the same engine
    if engine in ("polars", "lazy", "arrow"):
        clean_native, _ = clean_transactions(_native(log, engine, tmp_path), **kwargs)
        assert_same_table(TransactionFeatures().fit_transform(clean_native),
                          TransactionFeatures().fit_transform(want))


def test_cheap_cleaning_mode_skips_duplicates(planted):
    log = pd.concat([planted, planted.iloc[:40]], ignore_index=True)
    _, full = clean_transactions(pl.from_pandas(log))
    clean, cheap = clean_transactions(pl.from_pandas(log), duplicates="ignore")
    assert full.reasons.loc["exact_duplicate", "rows"] == 40
    assert cheap.reasons.loc["exact_duplicate", "rows"] == 0
    assert cheap.reasons.loc["exact_duplicate", "action"] == "not checked"
    assert _report_tuple(cheap) == _report_tuple(full)  # duplicates are kept either way


@pytest.mark.parametrize("engine", ["polars", "arrow", "parquet"])
def test_basket_matrix_equals_pandas(engine, planted, tmp_path):
    from crmine.engines._adapter import basket_matrix as engine_basket_matrix
    from crmine.exceptions import DataWarning

    with pytest.warns(DataWarning, match="return line"):
        want = basket_matrix(planted, cutoff="2024-01-01")
    with pytest.warns(DataWarning, match="return line"):
        got = engine_basket_matrix(_native(planted, engine, tmp_path), cutoff="2024-01-01")
    assert got.items.equals(want.items)
    if engine == "parquet":  # order of first appearance differs across files
        got_rows = dict(zip(got.orders, map(tuple, got.matrix.tolil().rows)))
        want_rows = dict(zip(want.orders, map(tuple, want.matrix.tolil().rows)))
        assert got_rows == want_rows
    else:
        assert got.orders.equals(want.orders)
        assert (got.matrix != want.matrix).nnz == 0


def test_known_answer_on_a_tiny_polars_log():
    log = pl.DataFrame({
        "customer_id": ["a", "a", "a", "b"],
        "order_id": [1, 2, 3, 4],
        "timestamp": ["2024-01-01 23:59:59", "2024-01-08 00:00:00", "2024-01-09 10:00:00",
                      "2024-01-05 12:00:00"],
        "amount": [10.0, 30.0, -5.0, 5.0],
    })
    table = TransactionFeatures(monetary="net").fit_transform(log)
    # cutoff = 2024-01-10 00:00; a: last purchase 01-08 -> recency 2, tenure 9
    assert table.loc["a", ["recency_days", "frequency", "tenure_days"]].tolist() == [2, 2, 9]
    assert table.loc["a", "monetary_total"] == 35.0
    assert table.loc["a", "return_value"] == 5.0
    assert table.loc["b", "recency_days"] == 5


# ---------------------------------------------------------------- bad input


def _bad(**cols):
    base = {"customer_id": [1, 2], "order_id": ["A", "B"],
            "timestamp": ["2024-01-01", "2024-01-02"], "amount": [1.0, 2.0]}
    base.update(cols)
    return pl.DataFrame(base, strict=False)


@pytest.mark.parametrize(("log", "match"), [
    (_bad().drop("order_id"), "missing column.*'order_id'.*Fix"),
    (_bad().head(0), "empty"),
    (_bad(amount=[1.0, float("nan")]), "'amount' has 1 missing"),
    (_bad(amount=[1.0, float("inf")]), "'amount' has 1 infinite"),
    (_bad(amount=["1,0", "2"]), "'amount' must be numeric"),
    (_bad(timestamp=["2024-01-01", "yesterday"]), "'timestamp' has 1 value.*not timestamps"),
    (_bad(customer_id=[1, None]), "'customer_id' has 1 missing id"),
    (_bad(order_id=["A", None]), "'order_id' has 1 missing"),
])
def test_bad_input_names_column_value_and_fix(log, match):
    with pytest.raises(SchemaError, match=match):
        TransactionFeatures().fit_transform(log)


def test_bad_input_in_cleaning_and_paths(tmp_path):
    with pytest.raises(SchemaError, match="empty"):
        clean_transactions(_bad().head(0))
    with pytest.raises(SchemaError, match="'amount' has 1 missing"):
        clean_transactions(_bad(amount=[1.0, None]))
    with pytest.raises(ValueError, match="duplicates must be"):
        clean_transactions(_bad(), duplicates="maybe")
    with pytest.raises(SchemaError, match="no Parquet file matches"):
        rfm_table(str(tmp_path / "nothing" / "*.parquet"))
    with pytest.raises(ValueError, match="timezone-aware"):
        TransactionFeatures(cutoff=pd.Timestamp("2024-01-05", tz="UTC")).fit(_bad())


def test_missing_customers_are_dropped_and_counted_by_cleaning():
    log = _bad(customer_id=[1, None])
    clean, report = clean_transactions(log)
    assert report.reasons.loc["missing_customer", "rows"] == 1
    assert TransactionFeatures().fit_transform(clean).index.tolist() == [1]


def test_pandas_only_use_imports_no_engine():
    code = (
        "import sys, pandas as pd\n"
        "import crmine\n"
        "from crmine.utils._engines import find_engine, registered_engines\n"
        "assert find_engine(pd.DataFrame({'a': [1]})) is None\n"
        "assert find_engine('not a parquet path.csv') is None\n"
        "assert {'polars', 'arrow', 'duckdb', 'parquet', 'spark'} <= set(registered_engines())\n"
        "bad = [m for m in ('polars', 'duckdb', 'pyspark', 'crmine.engines') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- public data


@pytest.mark.public_data
def test_online_retail_golden_figures_from_the_parquet_file():
    from conftest import shared_dataset

    path = shared_dataset("online_retail") / "online_retail.parquet"
    if not path.exists():
        pytest.skip(f"{path} not present")
    schema = TransactionSchema(customer="CustomerID", order="InvoiceNo", time="InvoiceDate",
                               item="StockCode", quantity="Quantity", price="UnitPrice")
    # the textbook rule gives the published figures
    clean, report = clean_transactions(str(path), schema=schema, returns="drop")  # lazy scan
    assert report.rows_in == 541_909
    assert report.rows_out == 397_884
    assert report.customers_out == 4_338
    assert report.value_out == pytest.approx(8_911_407.904, rel=1e-12)
    rfm = rfm_table(clean, schema=schema)
    assert len(rfm) == 4_338
    assert rfm["monetary_total"].sum() == pytest.approx(8_911_407.904, rel=1e-12)
    raw = pd.read_parquet(path)
    want_clean, want_report = clean_transactions(raw, schema=schema, returns="drop")
    assert report.reasons["rows"].tolist() == want_report.reasons["rows"].tolist()
    assert_same_table(rfm, rfm_table(want_clean, schema=schema))
    # the default netting of returns, from the file, equals the pandas path
    net_clean, net = clean_transactions(str(path), schema=schema)
    want_net_clean, want_net = clean_transactions(raw, schema=schema)
    assert _report_tuple(net) == _report_tuple(want_net)
    np.testing.assert_allclose(_report_money(net), _report_money(want_net), rtol=1e-12)
    assert_same_table(TransactionFeatures(schema=schema).fit_transform(net_clean),
                      TransactionFeatures(schema=schema).fit_transform(want_net_clean))


@pytest.fixture(scope="module")
def int_log(planted) -> pd.DataFrame:
    """Integer item and order ids, order ids reused by other customers, 24 categories."""
    log = planted.copy()
    log["item"] = pd.factorize(log["item"])[0].astype(np.int64) * 7 - 50  # negative ids too
    log["order_id"] = log["order_id"].str.lstrip("C").astype(np.int64) % 97  # shared ids
    log["category"] = log["category"] + (log.index % 3).astype(str).str.zfill(1) \
        + np.where(log.index % 2 == 0, "a", "b")
    return log


@pytest.mark.parametrize("engine", ["polars", "lazy", "parquet"])
@pytest.mark.parametrize("params", [{}, {"returns": "keep"}], ids=["net", "keep"])
def test_integer_ids_shared_orders_and_many_categories(engine, params, int_log, tmp_path):
    """The integer-key paths (distinct items, orders) and the wide category group-by."""
    assert int_log["category"].nunique() > 16
    want = TransactionFeatures(**params).fit_transform(int_log)
    got = TransactionFeatures(**params).fit_transform(_native(int_log, engine, tmp_path))
    assert_same_table(got, want)
    # orders are (customer, order) pairs: far more than the 97 order ids
    assert want["frequency"].sum() > 97


def test_distinct_items_known_answer_with_integer_ids():
    log = pl.DataFrame({
        "customer_id": [5, 5, 5, 5, 9, 9],
        "order_id": [1, 1, 2, 3, 1, 4],  # order 1 is used by customers 5 and 9
        "timestamp": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03",
                      "2024-01-01", "2024-01-05"],
        "item": [-3, 7, 7, 8, 7, None],
        "quantity": [1, 2, 1, -1, 1, 1],
        "price": [1.0, 1.0, 1.0, 1.0, 2.0, 2.0],
    })
    table = TransactionFeatures(include=["rfm", "basket"]).fit_transform(log)
    # customer 5: items -3, 7 (8 is only a return with no purchase) -> 2; orders 1, 2
    # customer 9: item 7 and a missing item -> 2; orders 1 and 4 (order 1 shared with 5)
    assert table["distinct_items"].tolist() == [2, 2]
    assert table["frequency"].tolist() == [2, 2]


# ---------------------------------------------------------------- polars behind pandas


@pytest.mark.parametrize("which", ["planted", "tz_log"])
@pytest.mark.parametrize("params", PARAMS[:2], ids=["default", "days-net-weeks"])
def test_pandas_log_on_the_polars_engine(which, params, request):
    log = request.getfixturevalue(which)
    before = log.copy()
    want = TransactionFeatures(engine="pandas", **params).fit_transform(log)
    est = TransactionFeatures(engine="polars", **params)
    assert_same_table(est.fit_transform(log), want)
    assert_same_table(est.transform(log), want)
    assert_same_table(rfm_table(log, engine="polars"), rfm_table(log, engine="pandas"))
    pd.testing.assert_frame_equal(log, before)  # the caller's frame is untouched


def test_auto_engine_switches_on_size_and_safe_columns(planted, monkeypatch):
    from crmine.engines import _adapter
    from crmine.utils import _engines

    calls = []
    original = _adapter.fit_transform
    monkeypatch.setattr(_adapter, "fit_transform",
                        lambda *a: calls.append(1) or original(*a))
    want = TransactionFeatures(engine="pandas").fit_transform(planted)
    TransactionFeatures().fit_transform(planted)  # small: pandas
    assert calls == []
    monkeypatch.setattr(_engines, "POLARS_MIN_ROWS", 100)
    assert_same_table(TransactionFeatures().fit_transform(planted), want)
    assert calls == [1]
    # text timestamps are parsed differently by the engines: auto stays on pandas
    text = planted.assign(timestamp=planted["timestamp"].astype(str))
    assert_same_table(TransactionFeatures().fit_transform(text), want)
    assert calls == [1]
    with pytest.raises(ValueError, match="engine"):
        TransactionFeatures(engine="spark").fit_transform(planted)


def test_pandas_only_install_keeps_working_with_engine_auto():
    code = (
        "import sys\n"
        "sys.modules['polars'] = None  # polars blocked: a pandas-only install\n"
        "import pandas as pd, pytest\n"
        "from crmine import TransactionFeatures\n"
        "from crmine.utils import _engines\n"
        "_engines.POLARS_MIN_ROWS = 0\n"
        "log = pd.DataFrame({'customer_id': [1, 1, 2], 'order_id': [1, 2, 3],\n"
        "    'timestamp': pd.to_datetime(['2024-01-01', '2024-01-03', '2024-01-02']),\n"
        "    'amount': [5.0, 7.0, 1.0]})\n"
        "t = TransactionFeatures().fit_transform(log)\n"
        "assert t['frequency'].tolist() == [2, 1], t\n"
        "with pytest.raises(ImportError, match='pip install'):\n"
        "    TransactionFeatures(engine='polars').fit_transform(log)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exact_duplicates_by_row_hash_equal_pandas(planted):
    """Only rows equal in every column count; near-duplicates (one column off) do not."""
    dup = planted.iloc[5:25]
    near = planted.iloc[30:50].assign(price=planted["price"].iloc[30:50] + 0.01)
    also = planted.iloc[60:70].assign(item="other")
    log = pd.concat([planted, dup, near, also, dup.iloc[:3]], ignore_index=True)
    _, want = clean_transactions(log, returns="keep")
    _, got = clean_transactions(pl.from_pandas(log), returns="keep")
    assert got.reasons.loc["exact_duplicate", "rows"] == want.reasons.loc[
        "exact_duplicate", "rows"] == 23 + int(planted.duplicated().sum())
    pd.testing.assert_series_equal(got.reasons["rows"], want.reasons["rows"])
