"""Issue 14 for crmine.value: tables are read by name, hostile input ends in a clear answer.

Every entry point of crmine.value gets polars and pyarrow tables (read by
column name, never by position), and the bad-input matrix (empty and
header-only tables, NaN/inf, text in numbers, negative and zero money, one
customer, ties, duplicated ids, string and categorical ids, bad parameter
values).  Each call ends in a documented result or a crmine error that names
the column or parameter, the value and the fix.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmine.exceptions import CrmineError, DataWarning, SchemaError
from crmine.value import (
    RFMScorer,
    ValueTierClassifier,
    gini,
    pareto_table,
    score_rfm,
    segment_summary,
    tier_migration,
    top_share,
    value_tiers,
)

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")


def customers(n: int = 20, ids=None) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ids = ids if ids is not None else np.arange(1000, 1000 + n)
    return pd.DataFrame(
        {
            "recency_days": rng.integers(0, 300, n),
            "frequency": rng.integers(1, 12, n),
            "monetary_total": np.round(rng.gamma(2.0, 150.0, n), 2),
        },
        index=pd.Index(ids, name="customer_id"),
    )


def as_polars(X: pd.DataFrame):
    return pl.from_pandas(X.reset_index())


def as_arrow(X: pd.DataFrame):
    return pa.Table.from_pandas(X.reset_index(), preserve_index=False)


# ----------------------------------------------------------------------------- by name
@pytest.mark.parametrize("convert", [as_polars, as_arrow], ids=["polars", "pyarrow"])
def test_rfm_reads_polars_and_arrow_by_name_not_position(convert):
    # customer_id comes first: read by position it was scored as the recency
    X = customers()
    expected = score_rfm(X)
    got = score_rfm(convert(X))
    pd.testing.assert_frame_equal(got, expected)
    fitted = RFMScorer().fit(convert(X))
    pd.testing.assert_frame_equal(fitted.transform(X), expected)
    pd.testing.assert_frame_equal(
        fitted.segment_summary(convert(X)), RFMScorer().fit(X).segment_summary(X)
    )


@pytest.mark.parametrize("convert", [as_polars, as_arrow], ids=["polars", "pyarrow"])
def test_tiers_rank_by_value_not_by_id(convert):
    X = customers(200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        expected = ValueTierClassifier().fit(X).predict(X)
        got = ValueTierClassifier().fit(convert(X)).predict(convert(X))
        table = value_tiers(convert(X))
    pd.testing.assert_series_equal(got, expected)
    top = X["monetary_total"].idxmax()
    assert got[top] == "VIP"
    assert table.loc[top, "tier"] == "VIP" and table.index.name == "customer_id"


def test_columns_in_another_order_and_extra_columns():
    X = customers()
    shuffled = X[["monetary_total", "frequency", "recency_days"]].assign(extra="x")
    pd.testing.assert_frame_equal(
        score_rfm(shuffled)[["r_score", "f_score", "m_score"]],
        score_rfm(X)[["r_score", "f_score", "m_score"]],
    )


def test_segment_summary_and_migration_take_polars():
    X = customers()
    scored = score_rfm(X)
    pd.testing.assert_frame_equal(
        segment_summary(pl.from_pandas(scored.reset_index())).sort_index(),
        segment_summary(scored.reset_index(drop=True)).sort_index(),
    )
    before = pl.Series("tier", ["VIP", "small"])
    m = tier_migration(before, pd.Series(["small", "small"]), order=["VIP", "small"])
    assert m.summary["downgraded"] == 1


def test_paths_are_refused_with_the_fix():
    for call in (lambda: RFMScorer().fit("customers.csv"),
                 lambda: ValueTierClassifier().fit("customers.csv"),
                 lambda: score_rfm("customers.csv"), lambda: value_tiers("customers.csv")):
        with pytest.raises(SchemaError, match="read_csv"):
            call()


def test_lazy_frame_and_bare_lists_are_refused_with_the_fix():
    with pytest.raises(CrmineError, match=r"collect\(\)"):
        RFMScorer().fit(as_polars(customers()).lazy())
    with pytest.raises(SchemaError, match="customer table"):
        score_rfm([[1, 2, 3]])
    with pytest.raises(SchemaError, match="customer table"):
        value_tiers(np.ones((3, 1)))


# ----------------------------------------------------------------------------- bad input
def _header_only() -> pd.DataFrame:
    return customers().iloc[:0]


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (_header_only(), "empty"),
        (customers().assign(monetary_total=np.nan), "monetary column 'monetary_total' has 20"),
        (customers().assign(recency_days=np.inf), "recency column 'recency_days'"),
        (customers().assign(monetary_total="12,50"), "decimal comma"),
        (customers().assign(frequency="N/A"), "frequency column 'frequency'"),
        (customers().drop(columns=["frequency", "monetary_total"]), "frequency column.*monetary"),
        (customers(ids=[1] * 20), "duplicated"),
        (pd.concat({"a": customers()}, axis=1), "MultiIndex"),
        (customers().assign(recency_days=-1), "Negative values"),
    ],
    ids=["header-only", "nan", "inf", "decimal-comma", "na-text", "missing-two", "dup-ids",
         "multiindex", "negative-recency"],
)
def test_rfm_bad_tables_end_in_schema_errors(X, match):
    with pytest.raises(SchemaError, match=match):
        RFMScorer().fit(X)


@pytest.mark.parametrize(
    ("X", "params", "match"),
    [
        (_header_only(), {}, "empty"),
        (customers().assign(monetary_total=np.nan), {}, "value column 'monetary_total'"),
        (customers().assign(monetary_total="1.234,50"), {}, "not numeric"),
        (customers(ids=["a"] * 20), {}, "duplicated"),
        (customers().assign(monetary_total=0.0), {"method": "pareto"}, "no positive values"),
        (customers().assign(monetary_total=-5.0), {"method": "pareto"}, "no positive values"),
        (customers(), {"shares": (0.5, np.nan, 0.25, 0.25)}, "positive"),
        (customers(), {"method": "thresholds", "thresholds": (np.nan, 2, 1)}, "finite"),
    ],
)
def test_tiers_bad_tables_and_values(X, params, match):
    with pytest.raises(SchemaError, match=match):
        ValueTierClassifier(**params).fit(X)


@pytest.mark.parametrize(
    ("est", "param"),
    [
        (RFMScorer(n_bins=0), "n_bins"),
        (RFMScorer(n_bins="5"), "n_bins"),
        (RFMScorer(recency_col=0), "recency_col"),
        (RFMScorer(segment_map="mine"), "segment_map"),
        (ValueTierClassifier(method="abc"), "method"),
        (ValueTierClassifier(value_col=None), "value_col"),
        (ValueTierClassifier(labels="gold"), "labels"),
    ],
)
def test_bad_parameter_values_name_the_parameter(est, param):
    with pytest.raises(ValueError, match=param):
        est.fit(customers())


def test_zero_and_negative_money_are_documented_results():
    X = customers(10).assign(monetary_total=[-50.0, 0, 0, 0, 10, 20, 30, 40, 50, 60])
    out = score_rfm(X)
    assert out["m_score"].loc[X.index[0]] == 1  # net refunds rank lowest
    tiers = value_tiers(X, shares=(0.1, 0.2, 0.3, 0.4))
    assert tiers["tier"].iloc[-1] == "VIP" and tiers["loss_making"].isna().all()


def test_one_customer():
    X = customers(1)
    assert score_rfm(X)[["r_score", "f_score", "m_score"]].iloc[0].tolist() == [1, 1, 1]
    with pytest.warns(DataWarning, match="empty"):
        tiers = value_tiers(X)
    assert tiers["tier"].tolist() == ["small"]
    assert top_share(X["monetary_total"]) == 1.0 and gini(X["monetary_total"]) == 0.0


@pytest.mark.parametrize(
    "ids",
    [
        pd.Index([f"c{i}" for i in range(20)][::-1], name="customer_id"),
        pd.CategoricalIndex([f"c{i:02d}" for i in range(20)][::-1], name="customer_id"),
        pd.Index([f"c{i:02d}" for i in range(20)], dtype="string", name="customer_id"),
    ],
    ids=["str", "categorical", "string-dtype"],
)
def test_string_and_categorical_ids_break_ties_by_id(ids):
    X = pd.DataFrame(
        {"recency_days": 5, "frequency": 1, "monetary_total": 10.0}, index=ids
    )
    with pytest.warns(DataWarning, match="constant"):
        out = score_rfm(X)
    order = np.argsort(np.asarray(ids.astype(str)), kind="stable")
    # all tied: scores follow the customer ids, not the row order
    assert out["f_score"].to_numpy()[order].tolist() == sorted(out["f_score"])
    assert out.index.equals(ids)


def test_concentration_bad_values():
    for bad, match in [
        (pd.Series([], dtype=float), "empty"),
        (pd.Series([1.0, np.nan]), "missing or infinite"),
        (pd.Series([1.0, -2.0]), "negative"),
        (pd.Series([0.0, 0.0]), "sum to 0"),
        (pd.Series(["12,50", "3"]), "numeric"),
    ]:
        with pytest.raises(SchemaError, match=match):
            gini(bad)
    for bad in (0, "0.2", np.nan, True, 1.5):
        with pytest.raises(SchemaError, match="top"):
            top_share([1, 2], top=bad)
    with pytest.raises(SchemaError, match="top"):
        pareto_table([1, 2], tops=[1.5])
    assert gini(pl.Series([0.0, 0.0, 0.0, 4.0])) == 0.75


def test_no_mutation_no_output(capsys):
    X = customers()
    before = X.copy()
    score_rfm(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        value_tiers(X)
    pd.testing.assert_frame_equal(X, before)
    assert capsys.readouterr() == ("", "")


def test_errors_are_crmine_errors():
    with pytest.raises(CrmineError):
        RFMScorer().fit(_header_only())


def test_sums_that_overflow_are_refused_not_nan():
    X = customers(4).assign(monetary_total=[1e308, 1e308, 1.0, 2.0])
    with pytest.raises(SchemaError, match="overflow"):
        ValueTierClassifier().fit(X)
    with pytest.raises(SchemaError, match="overflow"):
        gini(X["monetary_total"])
    with pytest.raises(SchemaError, match="overflow"):
        segment_summary(score_rfm(X))


def test_pandas_extension_dtypes():
    X = customers(30)
    pd.testing.assert_frame_equal(
        score_rfm(X.convert_dtypes(dtype_backend="pyarrow"))[["r_score", "f_score", "m_score"]],
        score_rfm(X)[["r_score", "f_score", "m_score"]],
    )
    nullable = X.astype({"frequency": "Int64"})
    nullable.loc[nullable.index[0], "frequency"] = pd.NA
    with pytest.raises(SchemaError, match="frequency column 'frequency' has 1 missing"):
        score_rfm(nullable)


def test_segment_grid_bad_n_bins():
    from crmine.value import segment_grid

    for bad in (1, "5", (5,), 2.5, True):
        with pytest.raises(SchemaError, match="n_bins"):
            segment_grid({"all": ((1, 2), (1, 2))}, n_bins=bad)
    assert segment_grid({"all": ((1, 3), (1, 2))}, n_bins=(3, 2)).shape == (3, 2)


# ----------------------------------------------------------------------------- hostile sweep
def _hostile_inputs() -> dict[str, object]:
    base = customers(40)
    return {
        "empty": base.iloc[:0],
        "header_only": pd.DataFrame(columns=base.columns),
        "all_nan": base.assign(monetary_total=np.nan),
        "text": base.astype(str),
        "na_text": base.assign(frequency="N/A"),
        "one": base.head(1),
        "dup_ids": pd.concat([base, base.head(2)]),
        "mixed_ids": base.set_axis(pd.Index([1, "1", *range(2, 40)], name="customer_id")),
        "none_id": base.set_axis(pd.Index([None, *range(1, 40)], name="customer_id")),
        "multiindex_cols": pd.concat({"a": base}, axis=1),
        "negative": base.assign(monetary_total=-1.0),
        "zero": base.assign(monetary_total=0.0),
        "dup_columns": pd.concat([base, base[["frequency"]]], axis=1),
        "int_columns": base.set_axis([0, 1, 2], axis=1),
        "series": base["monetary_total"],
        "none": None,
        "dict": {"recency_days": [1]},
        "path": "customers.csv",
        "lazy": as_polars(base).lazy(),
        "datetime": base.assign(monetary_total=pd.Timestamp("2024-01-01")),
        "huge": base.assign(monetary_total=1e308),
    }


ENTRY_POINTS = {
    "score_rfm": score_rfm,
    "value_tiers": value_tiers,
    "RFMScorer.fit_transform": lambda X: RFMScorer().fit_transform(X),
    "ValueTierClassifier.fit_predict": lambda X: ValueTierClassifier().fit_predict(X),
    "pareto tiers": lambda X: ValueTierClassifier(method="pareto").fit(X),
    "segment_summary": segment_summary,
    "gini": gini,
    "top_share": top_share,
    "pareto_table": pareto_table,
    "tier_migration": lambda X: tier_migration(X, X),
}


@pytest.mark.parametrize("case", sorted(_hostile_inputs()))
@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_hostile_sweep_ends_in_a_result_or_a_crmine_error(name, case, capsys):
    from sklearn.utils._param_validation import InvalidParameterError

    data = _hostile_inputs()[case]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = ENTRY_POINTS[name](data)
    except (CrmineError, InvalidParameterError) as exc:
        assert len(str(exc)) > 30, f"{name}({case}): terse error {exc}"
        return
    except Exception as exc:  # the point of the test
        pytest.fail(f"{name}({case}) raised an unclear {type(exc).__name__}: {exc}")
    finally:
        assert capsys.readouterr() == ("", "")
    if isinstance(result, (pd.DataFrame, pd.Series)):
        numeric = (
            result.select_dtypes("number")
            if isinstance(result, pd.DataFrame)
            else (result if pd.api.types.is_numeric_dtype(result) else result.iloc[:0])
        )
        assert not np.isinf(numeric.to_numpy(dtype=float)).any()
    elif isinstance(result, float):
        assert np.isfinite(result)


def test_ids_that_print_alike_are_refused():
    X = customers(4).set_axis(pd.Index([1, "1", 2, 3], name="customer_id"))
    with pytest.raises(SchemaError, match="print alike"):
        score_rfm(X)
    with pytest.raises(SchemaError, match="print alike"):
        value_tiers(X)
    # mixed types that print apart are fine
    ok = customers(4).set_axis(pd.Index([1, "a", 2, 3], name="customer_id"))
    assert len(score_rfm(ok)) == 4
