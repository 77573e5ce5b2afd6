"""Tests of crmine.campaign response evaluation (rates, intervals, tests, SRM)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crmine.campaign import (
    holm_adjust,
    newcombe_interval,
    response_summary,
    sample_ratio_mismatch,
    wilson_interval,
)
from crmine.datasets import load_hillstrom
from crmine.exceptions import CrmineError, DataWarning, SchemaError


def _frame(counts: dict[str, tuple[int, int]], value: dict[str, list[float]] | None = None):
    """Build a campaign frame from {arm: (customers, responders)}."""
    arms, resp = [], []
    for arm, (n, x) in counts.items():
        arms += [arm] * n
        resp += [1] * x + [0] * (n - x)
    df = pd.DataFrame({"arm": arms, "resp": resp})
    if value is not None:
        df["rev"] = np.concatenate([value[a] for a in counts])
    return df


# ---------------------------------------------------------------- known answers


def test_wilson_hand_computed():
    # x=8, n=10, z=1.959964: centre (8 + z^2/2)/(10 + z^2) = 0.716740,
    # half-width z/(10+z^2)*sqrt(10*.8*.2 + z^2/4) = 0.226578
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.716740 - 0.226578, abs=1e-5)
    assert high == pytest.approx(0.716740 + 0.226578, abs=1e-5)
    # 0 successes: lower bound 0, upper z^2/(n+z^2)
    low, high = wilson_interval(0, 20)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(1.959964**2 / (20 + 1.959964**2), abs=1e-6)


def test_newcombe_published_examples():
    # Newcombe (1998), Stat. Med. 17:873-890, Table II, method 10
    assert newcombe_interval(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert newcombe_interval(9, 10, 3, 10) == pytest.approx((0.1705, 0.8090), abs=1e-4)
    assert newcombe_interval(5, 56, 0, 29) == pytest.approx((-0.0381, 0.1926), abs=1e-4)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(56, 70, 48, 80), (3, 40, 1, 45), (120, 1000, 95, 1010)]
)
def test_intervals_match_statsmodels(x1, n1, x2, n2):
    sm = pytest.importorskip("statsmodels.stats.proportion")
    for x, n in ((x1, n1), (x2, n2)):
        np.testing.assert_allclose(
            wilson_interval(x, n, 0.1), sm.proportion_confint(x, n, alpha=0.1, method="wilson")
        )
    np.testing.assert_allclose(
        newcombe_interval(x1, n1, x2, n2),
        sm.confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff"),
    )
    table = response_summary(
        _frame({"t": (n1, x1), "c": (n2, x2)}), "arm", "resp", control="c", test="z"
    ).table
    low, high = sm.confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio")
    assert table.loc["t", "lift_rel_low"] == pytest.approx(low - 1)
    assert table.loc["t", "lift_rel_high"] == pytest.approx(high - 1)


def test_summary_hand_computed_two_arms():
    df = _frame({"mail": (100, 30), "none": (100, 20)})
    before = df.copy()
    s = response_summary(df, "arm", "resp", control="none")
    pd.testing.assert_frame_equal(df, before)  # caller's frame untouched
    t = s.table
    assert list(t.index) == ["none", "mail"]
    assert t.loc["mail", "response_rate"] == 0.3
    assert t.loc["mail", "lift_abs"] == pytest.approx(0.1)
    assert t.loc["mail", "lift_rel"] == pytest.approx(0.5)
    # pooled p = .25, se = sqrt(.25*.75*(2/100)) = .0612372, z = 1.632993
    assert t.loc["mail", "test"] == "z"
    assert t.loc["mail", "p_value"] == pytest.approx(2 * stats.norm.sf(1.632993), rel=1e-5)
    # identical to Pearson chi-square without continuity correction
    chi2 = stats.chi2_contingency([[30, 70], [20, 80]], correction=False)
    assert t.loc["mail", "p_value"] == pytest.approx(chi2[1])
    assert t.loc["mail", "incremental_responders"] == pytest.approx(10.0)
    low, high = newcombe_interval(30, 100, 20, 100)
    assert t.loc["mail", "incremental_responders_low"] == pytest.approx(100 * low)
    assert t.loc["mail", "incremental_responders_high"] == pytest.approx(100 * high)
    assert np.isnan(t.loc["none", "lift_abs"])
    assert s.srm is not None and s.srm.statistic == 0.0


def test_fisher_rule_for_small_counts():
    # expected responders in the 2x2 table: 20 * 4 / 40 = 2 < 5 -> Fisher
    df = _frame({"t": (20, 4), "c": (20, 0)})
    t = response_summary(df, "arm", "resp", control="c").table
    assert t.loc["t", "test"] == "fisher"
    assert t.loc["t", "p_value"] == pytest.approx(stats.fisher_exact([[4, 16], [0, 20]])[1])
    # forcing z gives the z test
    tz = response_summary(df, "arm", "resp", control="c", test="z").table
    assert tz.loc["t", "test"] == "z"


def test_welch_revenue_matches_scipy():
    rng = np.random.default_rng(1)
    rev = {"t": rng.gamma(2.0, 5.0, 60).tolist(), "c": rng.gamma(2.0, 4.0, 80).tolist()}
    df = _frame({"t": (60, 20), "c": (80, 15)}, value=rev)
    t = response_summary(df, "arm", "resp", control="c", value_col="rev").table
    a, b = np.array(rev["t"]), np.array(rev["c"])
    res = stats.ttest_ind(a, b, equal_var=False)
    assert t.loc["t", "revenue_p_value"] == pytest.approx(res.pvalue)
    assert t.loc["t", "revenue_diff"] == pytest.approx(a.mean() - b.mean())
    # Welch-Satterthwaite interval by hand
    va, vb = a.var(ddof=1) / 60, b.var(ddof=1) / 80
    dof = (va + vb) ** 2 / (va**2 / 59 + vb**2 / 79)
    half = stats.t.ppf(0.975, dof) * np.sqrt(va + vb)
    assert t.loc["t", "revenue_diff_low"] == pytest.approx(a.mean() - b.mean() - half)
    assert t.loc["t", "revenue_diff_high"] == pytest.approx(a.mean() - b.mean() + half)
    assert t.loc["t", "incremental_revenue"] == pytest.approx(60 * (a.mean() - b.mean()))
    assert t.loc["c", "revenue"] == pytest.approx(b.sum())


def test_holm_hand_and_statsmodels():
    # sorted .01,.03,.04 -> .03, .06, max(.06,.04) = .06
    np.testing.assert_allclose(holm_adjust([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    p = np.array([0.001, 0.2, 0.04, 0.5, np.nan])
    multi = pytest.importorskip("statsmodels.stats.multitest")
    expected = multi.multipletests(p[:4], method="holm")[1]
    np.testing.assert_allclose(holm_adjust(p)[:4], expected)
    assert np.isnan(holm_adjust(p)[4])


def test_three_arms_use_holm():
    df = _frame({"a": (500, 80), "b": (500, 70), "c": (500, 50)})
    t = response_summary(df, "arm", "resp", control="c").table
    raw = t.loc[["a", "b"], "p_value"].to_numpy()
    np.testing.assert_allclose(t.loc[["a", "b"], "p_value_holm"], holm_adjust(raw))
    assert t.loc["a", "p_value_holm"] == pytest.approx(min(1, 2 * raw.min()))


def test_sample_ratio_mismatch_hand_computed():
    # (5100-5000)^2/5000 * 2 = 4.0, chi2(1) tail 0.0455
    srm = sample_ratio_mismatch({"A": 5100, "B": 4900})
    assert srm.statistic == pytest.approx(4.0)
    assert srm.p_value == pytest.approx(stats.chi2.sf(4.0, 1))
    assert not srm.mismatch
    # a planned 80/20 split observed as 80/20 -> no mismatch
    srm = sample_ratio_mismatch({"A": 800, "B": 200}, {"A": 0.8, "B": 0.2})
    assert srm.statistic == pytest.approx(0.0)
    srm = sample_ratio_mismatch({"A": 6000, "B": 4000})
    assert srm.mismatch


def test_summary_warns_on_sample_ratio_mismatch():
    df = _frame({"t": (700, 70), "c": (300, 30)})
    with pytest.warns(DataWarning, match="sample ratio mismatch"):
        response_summary(df, "arm", "resp", control="c")
    s = response_summary(df, "arm", "resp", control="c", planned_split={"t": 0.7, "c": 0.3})
    assert not s.srm.mismatch


def test_binary_arms_default_control_and_bool_response():
    df = pd.DataFrame(
        {"treatment": [0, 0, 1, 1, 1, 0], "y": [True, False, True, True, False, False]}
    )
    t = response_summary(df, "treatment", "y").table
    assert list(t.index) == [0, 1]
    assert t.loc[1, "lift_abs"] == pytest.approx(2 / 3 - 1 / 3)


# ---------------------------------------------------------------- Hillstrom


@pytest.mark.public_data
def test_hillstrom_rates_reproduced():
    path = shared_dataset("hillstrom")
    df = load_hillstrom(next(path.glob("*.csv")))
    visit = response_summary(df, "segment", "visit", control="No E-Mail", value_col="spend")
    conv = response_summary(df, "segment", "conversion", control="No E-Mail")
    expected_visit = {"Mens E-Mail": 0.1828, "Womens E-Mail": 0.1514, "No E-Mail": 0.1062}
    expected_conv = {"Mens E-Mail": 0.0125, "Womens E-Mail": 0.0088, "No E-Mail": 0.0057}
    for arm, rate in expected_visit.items():
        assert round(visit.table.loc[arm, "response_rate"], 4) == rate
    for arm, rate in expected_conv.items():
        assert round(conv.table.loc[arm, "response_rate"], 4) == rate
    # arm sizes from SOURCE.md, equal planned split -> no SRM
    assert visit.table["customers"].to_dict() == {
        "No E-Mail": 21306,
        "Mens E-Mail": 21307,
        "Womens E-Mail": 21387,
    }
    assert not visit.srm.mismatch
    assert visit.table.loc[["Mens E-Mail", "Womens E-Mail"], "significant"].all()


# ---------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    n1=st.integers(5, 300),
    n2=st.integers(5, 300),
    f1=st.floats(0, 1),
    f2=st.floats(0, 1),
)
def test_swapping_arms_negates_lift(n1, n2, f1, f2):
    x1, x2 = round(n1 * f1), round(n2 * f2)
    df = _frame({"a": (n1, x1), "b": (n2, x2)})
    ab = response_summary(df, "arm", "resp", control="b", planned_split={"a": n1, "b": n2}).table
    ba = response_summary(df, "arm", "resp", control="a", planned_split={"a": n1, "b": n2}).table
    assert ab.loc["a", "lift_abs"] == pytest.approx(-ba.loc["b", "lift_abs"])
    assert ab.loc["a", "lift_abs_low"] == pytest.approx(-ba.loc["b", "lift_abs_high"])
    assert ab.loc["a", "lift_abs_high"] == pytest.approx(-ba.loc["b", "lift_abs_low"])
    assert ab.loc["a", "p_value"] == pytest.approx(ba.loc["b", "p_value"])
    # the interval contains the point estimate and stays in [-1, 1]
    assert -1 <= ab.loc["a", "lift_abs_low"] <= ab.loc["a", "lift_abs"] + 1e-12
    assert ab.loc["a", "lift_abs"] <= ab.loc["a", "lift_abs_high"] + 1e-12 <= 1 + 1e-9
    assert 0 <= ab.loc["a", "p_value"] <= 1


@settings(max_examples=40, deadline=None)
@given(x=st.integers(0, 200), extra=st.integers(0, 200), a=st.sampled_from([0.01, 0.05, 0.2]))
def test_wilson_contains_estimate(x, extra, a):
    n = x + extra
    if n == 0:
        return
    low, high = wilson_interval(x, n, a)
    assert 0 <= low <= x / n + 1e-12 and x / n - 1e-12 <= high <= 1


# ---------------------------------------------------------------- bad input


def test_missing_control_arm():
    df = _frame({"t": (10, 2), "c": (10, 1)})
    with pytest.raises(SchemaError, match="control arm 'ctrl' not found"):
        response_summary(df, "arm", "resp", control="ctrl")
    with pytest.raises(SchemaError, match="control is required"):
        response_summary(df, "arm", "resp")


def test_arm_with_no_customers():
    df = _frame({"t": (10, 2), "c": (10, 1)})
    df["arm"] = pd.Categorical(df["arm"], categories=["t", "c", "t2"])
    with pytest.raises(SchemaError, match="t2.*no customers"):
        response_summary(df, "arm", "resp", control="c")
    df = _frame({"t": (10, 2), "c": (10, 1)})
    with pytest.raises(SchemaError, match="t2.*no customers"):
        response_summary(df, "arm", "resp", control="c", planned_split={"t": 1, "c": 1, "t2": 1})


def test_response_not_binary():
    df = _frame({"t": (10, 2), "c": (10, 1)})
    df.loc[0, "resp"] = 2
    with pytest.raises(SchemaError, match="response column 'resp' must be binary.*2"):
        response_summary(df, "arm", "resp", control="c")
    df["resp"] = df["resp"].astype(float)
    df.loc[0, "resp"] = np.nan
    with pytest.raises(SchemaError, match="'resp' has 1 missing value"):
        response_summary(df, "arm", "resp", control="c")
    df["resp"] = "yes"
    with pytest.raises(SchemaError, match="must be binary.*'yes'"):
        response_summary(df, "arm", "resp", control="c")


def test_treatment_all_one_value():
    df = _frame({"t": (10, 2)})
    with pytest.raises(SchemaError, match="single arm"):
        response_summary(df, "arm", "resp", control="t")


def test_other_bad_inputs():
    df = _frame({"t": (10, 2), "c": (10, 1)})
    with pytest.raises(SchemaError, match="'respx'"):
        response_summary(df, "arm", "respx", control="c")
    with pytest.raises(SchemaError, match="empty"):
        response_summary(df.iloc[:0], "arm", "resp", control="c")
    with pytest.raises(ValueError, match="alpha"):
        response_summary(df, "arm", "resp", control="c", alpha=1.5)
    bad = df.copy()
    bad.loc[3, "arm"] = None
    with pytest.raises(SchemaError, match="missing arm labels"):
        response_summary(bad, "arm", "resp", control="c")
    rev = df.assign(rev=1.0)
    rev.loc[2, "rev"] = np.inf
    with pytest.raises(SchemaError, match="'rev'.*infinite"):
        response_summary(rev, "arm", "resp", control="c", value_col="rev")
    with pytest.raises(SchemaError, match="not in planned_split"):
        sample_ratio_mismatch({"a": 3, "b": 4}, {"a": 1})


# ---------------------------------------------------------------- issue 13/14: inputs, results


def test_polars_and_pyarrow_tables_are_read_by_name():
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    df = _frame({"t": (200, 40), "c": (200, 25)}, {"t": [2.0] * 200, "c": [1.0] * 200})
    expected = response_summary(df, "arm", "resp", control="c", value_col="rev").table
    # columns in another order than the pandas frame: read by name, never by position
    shuffled = df[["rev", "resp", "arm"]]
    for table in (pl.from_pandas(shuffled), pa.Table.from_pandas(shuffled)):
        got = response_summary(table, "arm", "resp", control="c", value_col="rev").table
        pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("df", "kwargs", "match"),
    [
        (_frame({"t": (10, 2), "c": (10, 1)}).iloc[:0], {}, "empty"),
        (_frame({"t": (10, 2), "c": (10, 1)}), {"arm_col": "group", "response_col": "y"},
         "arm column 'group', response column 'y' not found"),
        (_frame({"t": (10, 2), "c": (10, 1)}).assign(rev="12,50"), {"value_col": "rev"},
         "decimal comma"),
        (_frame({"t": (10, 2), "c": (10, 1)}).assign(rev=np.inf), {"value_col": "rev"},
         "infinite"),
        (_frame({"t": (10, 2)}), {}, "single arm"),
        (_frame({"t": (10, 2), "c": (10, 1)}), {"control": "x"}, "control arm 'x' not found"),
        (_frame({"t": (10, 2), "c": (10, 1)}), {"alpha": 5}, "alpha=5"),
        (_frame({"t": (10, 2), "c": (10, 1)}), {"alpha": np.nan}, "alpha=nan"),
        (_frame({"t": (10, 2), "c": (10, 1)}), {"test": "t"}, "test='t'"),
        (_frame({"t": (10, 2), "c": (10, 1)}), {"srm_alpha": 0}, "srm_alpha=0"),
    ],
)
def test_response_summary_bad_input(df, kwargs, match):
    args = {"arm_col": "arm", "response_col": "resp", "control": "c", **kwargs}
    with pytest.raises(SchemaError, match=match):
        response_summary(df, **args)


def test_response_summary_refuses_arrays_and_lazy_frames():
    with pytest.raises(SchemaError, match="table"):
        response_summary([[1, 0]], "arm", "resp", control="c")
    pl = pytest.importorskip("polars")
    with pytest.raises(CrmineError, match=r"collect\(\)"):
        response_summary(pl.from_pandas(_frame({"t": (5, 1)})).lazy(), "arm", "resp")


def test_boolean_and_categorical_inputs():
    df = _frame({"t": (30, 9), "c": (30, 3)})
    base = response_summary(df, "arm", "resp", control="c").table
    as_bool = df.assign(resp=df["resp"].astype(bool), arm=df["arm"].astype("category"))
    got = response_summary(as_bool, "arm", "resp", control="c").table
    pd.testing.assert_frame_equal(got, base, check_index_type=False)


def test_results_are_crmine_results_with_one_line_repr():
    from crmine.base import Result

    s = response_summary(_frame({"t": (100, 30), "c": (100, 20)}), "arm", "resp", control="c")
    assert isinstance(s, Result) and isinstance(s.srm, Result)
    text = repr(s)
    assert "\n" not in text and text.startswith("ResponseSummary(control='c'")
    assert "lift_abs=0.1" in text and "table=2x" in text
    assert "<table" in s._repr_html_()
    srm = sample_ratio_mismatch({"A": 5100, "B": 4900})
    assert srm.table["observed"].tolist() == [5100, 4900]
    assert srm.observed.tolist() == [5100, 4900] and srm.expected.tolist() == [5000.0, 5000.0]


def test_holm_is_r_p_adjust_and_nan_safe():
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") -> 0.05 0.08 0.09 0.09 0.09
    np.testing.assert_allclose(
        holm_adjust([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05, 0.08, 0.09, 0.09, 0.09]
    )
    # R: p.adjust(c(0.01, NA, 0.04), "holm") -> 0.02 NA 0.04 (m = 2 non-missing)
    out = holm_adjust([0.01, np.nan, 0.04])
    assert out[0] == pytest.approx(0.02) and np.isnan(out[1]) and out[2] == pytest.approx(0.04)
    with pytest.raises(SchemaError, match=r"\[0, 1\]"):
        holm_adjust([0.5, 1.5])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: wilson_interval(11, 10), "0 <= successes <= trials"),
        (lambda: wilson_interval(-1, 10), "0 <= successes <= trials"),
        (lambda: wilson_interval(np.nan, 10), "0 <= successes <= trials"),
        (lambda: wilson_interval(2.5, 10), "whole counts"),
        (lambda: wilson_interval(2, 10, alpha=1.5), "alpha=1.5"),
        (lambda: newcombe_interval(1, 0, 1, 10), "n1=0"),
        (lambda: sample_ratio_mismatch({"A": -5, "B": 10}), "counts >= 0"),
        (lambda: sample_ratio_mismatch({"A": 5, "B": 10}, alpha=2), "alpha=2"),
        (lambda: sample_ratio_mismatch({"A": 5, "B": 0}), "no customers"),
    ],
)
def test_interval_and_srm_bad_values(call, match):
    with pytest.raises(SchemaError, match=match):
        call()


def test_no_mutation_and_no_output(capsys):
    df = _frame({"t": (50, 12), "c": (50, 5)}, {"t": [1.0] * 50, "c": [0.5] * 50})
    before = df.copy()
    response_summary(df, "arm", "resp", control="c", value_col="rev")
    pd.testing.assert_frame_equal(df, before)
    assert capsys.readouterr() == ("", "")


def test_one_class_and_zero_control_responders_are_documented_results():
    # nobody responded anywhere: rates 0, lift 0, p-value 1, relative lift undefined (NaN)
    none = response_summary(_frame({"t": (50, 0), "c": (50, 0)}), "arm", "resp", control="c")
    row = none.table.loc["t"]
    assert row["response_rate"] == 0 and row["lift_abs"] == 0 and row["p_value"] == 1.0
    assert np.isnan(row["lift_rel"]) and not row["significant"]
    # responders only in the treated arm: the relative lift is NaN, never inf
    some = response_summary(_frame({"t": (50, 10), "c": (50, 0)}), "arm", "resp", control="c")
    values = some.table.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(values).any()
    assert np.isnan(some.table.loc["t", "lift_rel"]) and some.table.loc["t", "lift_abs"] == 0.2


def test_value_column_that_overflows_is_refused():
    df = _frame({"t": (10, 2), "c": (10, 1)}).assign(rev=[1e308] * 20)
    with pytest.raises(SchemaError, match="overflows float64"):
        response_summary(df, "arm", "resp", control="c", value_col="rev")


def test_arm_labels_that_print_alike_are_refused():
    df = _frame({"t": (10, 2), "c": (10, 1)}).assign(arm=[1, "1"] * 10)
    with pytest.raises(SchemaError, match="print alike"):
        response_summary(df, "arm", "resp", control=1)
