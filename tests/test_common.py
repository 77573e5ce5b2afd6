"""Checks shared by every public estimator and function of crmine.

The test discovers the public names from ``crmine.__all__`` and the ``__all__``
of every public subpackage, so a new estimator or function is covered without
editing this file:

* the vocabulary of ``DESIGN.md`` ("One vocabulary"), checked on signatures;
* scikit-learn's construction checks, clone and pickle for every estimator;
* for every estimator with a common fitting case (``FIT_CASES``; a new estimator
  without one fails ``test_every_estimator_has_a_fit_case``): pickle round
  trip of the fitted model, no mutation of the caller's data, nothing printed,
  same seed same result, polars and pyarrow input giving the pandas result;
* the bad-input matrix over every public function whose first argument is a
  transaction log or a customer table: each call ends in a documented result
  or in a crmine exception (a ``ValueError``/``TypeError`` subclass from
  ``crmine.exceptions``, or scikit-learn's ``InvalidParameterError``), never
  in a bare ``KeyError``/``IndexError``/numpy internals error, never in a
  silent NaN, never with output on stdout/stderr.

Expected failures are listed once, in ``EXPECTED_FAILURES``, each with its reason.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import io
import pickle
import pkgutil
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import InvalidParameterError

import crmine
import crmine.base
from crmine.exceptions import CrmineError

# ---------------------------------------------------------------------------------- discovery

# modules whose public names are plumbing or need a service; they get the vocabulary
# checks but not the data matrix
_NO_DATA = {"crmine.cli", "crmine.report", "crmine.spark", "crmine.engines", "crmine.plotting"}
_SKIP_MODULES = {"crmine.base", "crmine.utils", "crmine.exceptions"}


def _public_modules() -> list[str]:
    names = ["crmine"]
    for info in pkgutil.iter_modules(crmine.__path__):
        if not info.name.startswith("_"):
            names.append(f"crmine.{info.name}")
    return [n for n in names if n not in _SKIP_MODULES]


IMPORT_ERRORS: dict[str, str] = {}
_OPTIONAL = {"crmine.spark", "crmine.engines"}


def _discover() -> dict[str, tuple[str, Any]]:
    """Public name -> (module where it is public, object); first module wins."""
    found: dict[str, tuple[str, Any]] = {}
    seen: set[int] = set()
    for modname in _public_modules():
        try:
            module = importlib.import_module(modname)
        except ImportError as exc:
            if modname not in _OPTIONAL:
                IMPORT_ERRORS[modname] = repr(exc)
            continue
        for name in getattr(module, "__all__", []):
            if name.startswith("_"):
                continue
            try:
                obj = getattr(module, name, None)
            except Exception as exc:
                IMPORT_ERRORS[f"{modname}.{name}"] = repr(exc)
                continue
            if obj is None or id(obj) in seen or inspect.ismodule(obj):
                continue
            seen.add(id(obj))
            found[name] = (modname, obj)
    return found


PUBLIC = _discover()
ESTIMATORS = {
    n: obj
    for n, (m, obj) in PUBLIC.items()
    if inspect.isclass(obj)
    and issubclass(obj, (BaseEstimator, crmine.base.BaseEstimator))
    and m not in _NO_DATA
}
FUNCTIONS = {
    n: obj
    for n, (m, obj) in PUBLIC.items()
    if inspect.isfunction(obj) and m not in _NO_DATA
}
CALLABLES = {
    n: obj for n, (m, obj) in PUBLIC.items() if inspect.isfunction(obj) or inspect.isclass(obj)
}

# Expected failures, listed once: test id fragment -> reason.
EXPECTED_FAILURES: dict[str, str] = {}


def _xfail_if_expected(request: pytest.FixtureRequest) -> None:
    for key, reason in EXPECTED_FAILURES.items():
        if key in request.node.name:
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


def test_public_names_import() -> None:
    assert not IMPORT_ERRORS, IMPORT_ERRORS


def test_discovery_finds_the_library() -> None:
    # a sanity floor: discovery that finds nothing would make every check vacuous
    assert len(ESTIMATORS) >= 10, sorted(ESTIMATORS)
    assert len(FUNCTIONS) >= 30, sorted(FUNCTIONS)
    for name in ("TransactionFeatures", "RFMScorer", "CustomerSegmenter", "ChurnClassifier"):
        assert name in ESTIMATORS


# ---------------------------------------------------------------------------------- vocabulary

# parameter names that the vocabulary replaces: old -> the one way
FORBIDDEN_PARAMETERS = {
    "order_col": "a role in schema=TransactionSchema(order=...)",
    "item_col": "a role in schema=TransactionSchema(item=...)",
    "customer_col": "a role in schema=TransactionSchema(customer=...)",
    "time_col": "a role in schema=TransactionSchema(time=...)",
    "amount_col": "a role in schema=TransactionSchema(amount=...)",
    "key": "a role in schema= or <role>_col=",
    "bins": "n_bins",
    "seed": "random_state",
    "rng": "random_state",
    "score": "y_score",
    "scores": "y_score",
    "uplift": "y_score (uplift metrics take y_true, y_score, treatment)",
    "contact_cost": "cost_per_contact",
    "value_per_positive": "value_per_response",
    "horizon_days": "horizon (with a unit, e.g. horizon='90D')",
}


def _signature(obj: Any) -> inspect.Signature | None:
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        return inspect.signature(target)
    except (TypeError, ValueError):
        return None


def _method_signatures(name: str, obj: Any) -> list[tuple[str, inspect.Signature]]:
    out = []
    sig = _signature(obj)
    if sig is not None:
        out.append((name, sig))
    if inspect.isclass(obj):
        for meth in ("fit", "predict", "transform", "fit_transform", "score", "predict_proba"):
            fn = obj.__dict__.get(meth)
            if fn is not None and callable(fn):
                with contextlib.suppress(TypeError, ValueError):
                    out.append((f"{name}.{meth}", inspect.signature(fn)))
    return out


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_vocabulary_parameter_names(name: str, request: pytest.FixtureRequest) -> None:
    _xfail_if_expected(request)
    problems = []
    for where, sig in _method_signatures(name, CALLABLES[name]):
        params = list(sig.parameters)
        for p in params:
            if p in FORBIDDEN_PARAMETERS:
                problems.append(f"{where}({p}=...): use {FORBIDDEN_PARAMETERS[p]}")
            if p.endswith("_column"):
                problems.append(f"{where}({p}=...): customer-table columns are <role>_col=")
        if "y_true" in params and "y_score" in params:
            if params.index("y_true") > params.index("y_score"):
                problems.append(f"{where}: (y_true, y_score) in that order")
            if "treatment" in params and params.index("treatment") != params.index("y_score") + 1:
                problems.append(f"{where}: uplift metrics take treatment third")
        rs = sig.parameters.get("random_state")
        if rs is not None and rs.default is not inspect.Parameter.empty and rs.default is not None:
            problems.append(f"{where}: random_state defaults to None, not {rs.default!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimator_init_is_keyword_only(name: str, request: pytest.FixtureRequest) -> None:
    _xfail_if_expected(request)
    sig = inspect.signature(ESTIMATORS[name].__init__)
    positional = [
        p.name
        for p in list(sig.parameters.values())[1:]
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert not positional, f"{name}.__init__ takes {positional} positionally; use *, ..."


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_public_names_have_numpydoc_with_examples(name: str) -> None:
    doc = inspect.getdoc(CALLABLES[name]) or ""
    assert doc.strip(), f"{name} has no docstring"
    if inspect.isclass(CALLABLES[name]) and issubclass(CALLABLES[name], BaseException):
        return
    assert "Examples" in doc, f"{name}'s docstring has no Examples section"


def test_top_level_names_are_typed() -> None:
    # `crmine.X` must not be `Any` for type checkers: __init__.py imports every lazy
    # name under TYPE_CHECKING
    source = inspect.getsource(crmine)
    block = source.split("if TYPE_CHECKING:", 1)
    assert len(block) == 2, "crmine/__init__.py has no `if TYPE_CHECKING:` block"
    missing = [n for n in crmine._LAZY if f" {n}" not in block[1] and f"{n}," not in block[1]]
    assert not missing, f"not imported under TYPE_CHECKING: {missing}"


# ---------------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    from crmine.datasets import make_retail

    return make_retail(n_customers=80, random_state=0).transactions


@pytest.fixture(scope="module")
def customers(log: pd.DataFrame) -> pd.DataFrame:
    table = crmine.TransactionFeatures().fit_transform(log)
    return table


def _labels(customers: pd.DataFrame) -> pd.Series:
    y = (customers["recency_days"] > customers["recency_days"].median()).astype(int)
    return y.rename("churned")


def _extra(customers: pd.DataFrame) -> pd.DataFrame:
    """A customer table with one column of its own (to which aggregates are added)."""
    return pd.DataFrame({"extra": np.arange(len(customers))}, index=customers.index)


def _treatment(customers: pd.DataFrame) -> np.ndarray:
    return (np.arange(len(customers)) % 2).astype(int)


# name -> function(log, customers) returning (estimator, fit args, fit kwargs, output fn)
FitCase = Callable[[pd.DataFrame, pd.DataFrame], tuple[Any, tuple, dict, Callable[[Any], Any]]]


def _customer_case(make: Callable[[], Any], method: str = "transform") -> FitCase:
    def case(log: pd.DataFrame, customers: pd.DataFrame):
        est = make()
        return est, (customers,), {}, lambda fitted, X=customers: getattr(fitted, method)(X)

    return case


def _btyd_case(name: str) -> FitCase:
    def case(log: pd.DataFrame, customers: pd.DataFrame):
        est = getattr(crmine, name)()
        args = (customers,)
        return est, args, {}, lambda fitted: fitted.params_

    return case


def _features_case(log: pd.DataFrame, c: pd.DataFrame):
    return crmine.TransactionFeatures(), (log,), {}, lambda fitted: fitted.transform(log)


def _aggregates_case(log: pd.DataFrame, c: pd.DataFrame):
    X = _extra(c)
    est = crmine.TransactionAggregates(transactions=log)
    return est, (X,), {}, lambda fitted: fitted.transform(X)


def _churn_case(log: pd.DataFrame, c: pd.DataFrame):
    X = c.drop(columns=["recency_days"])
    est = crmine.ChurnClassifier(random_state=0)
    return est, (X, _labels(c)), {}, lambda fitted: fitted.predict_proba(X)


def _uplift_case(name: str) -> FitCase:
    def case(log: pd.DataFrame, c: pd.DataFrame):
        X = c[["frequency", "monetary_total"]]
        est = getattr(crmine, name)()
        return est, (X, _labels(c), _treatment(c)), {}, lambda fitted: fitted.predict(X)

    return case


def _rules_case(log: pd.DataFrame, c: pd.DataFrame):
    X = c[["frequency", "monetary_total", "tenure_days"]]
    est = crmine.ChurnRules(random_state=0)
    return est, (X, _labels(c)), {}, lambda fitted: fitted.apply(X)


def _multiarm_case(log: pd.DataFrame, c: pd.DataFrame):
    X = c[["frequency", "monetary_total"]]
    arms = np.arange(len(c)) % 3
    est = crmine.MultiArmUplift()
    return est, (X, _labels(c), arms), {}, lambda fitted: fitted.predict(X)


def _log_case(make: Callable[[], Any], output: Callable[[Any], Any]) -> FitCase:
    def case(log: pd.DataFrame, c: pd.DataFrame):
        return make(), (log,), {}, output

    return case


def _bgbb_case(log: pd.DataFrame, c: pd.DataFrame):
    from crmine.lifetime import simulate_btyd

    params = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78}
    data = simulate_btyd(200, params, model="bgbb", T=6, random_state=0)
    return crmine.BetaGeoBetaBinomModel(), (data,), {}, lambda fitted: fitted.params_


def _gamma_gamma_case(log: pd.DataFrame, c: pd.DataFrame):
    repeat = c[c["repeat_frequency"] > 0]
    return crmine.GammaGammaModel(), (repeat,), {}, lambda fitted: fitted.params_


def _apriori_case(log: pd.DataFrame, c: pd.DataFrame):
    est = crmine.Apriori(min_support=0.05)
    return est, (log,), {}, lambda fitted: fitted.frequent_itemsets_


def _recommender_case(log: pd.DataFrame, c: pd.DataFrame):
    return crmine.BasketRecommender(), (log,), {}, lambda fitted: fitted.rules_


FIT_CASES: dict[str, FitCase] = {
    "TransactionFeatures": _features_case,
    "TransactionAggregates": _aggregates_case,
    "RFMScorer": _customer_case(lambda: crmine.RFMScorer()),
    "ValueTierClassifier": _customer_case(lambda: crmine.ValueTierClassifier(), "predict"),
    "CustomerSegmenter": _customer_case(
        lambda: crmine.CustomerSegmenter(n_clusters=3, random_state=0), "predict"
    ),
    "ChurnClassifier": _churn_case,
    "ChurnRules": _rules_case,
    "TwoModelUplift": _uplift_case("TwoModelUplift"),
    "ClassTransformationUplift": _uplift_case("ClassTransformationUplift"),
    "Apriori": _apriori_case,
    "BasketRecommender": _recommender_case,
    "MultiArmUplift": _multiarm_case,
    "SequenceMiner": _log_case(
        lambda: crmine.SequenceMiner(min_support=0.05, max_len=2), lambda f: f.patterns_
    ),
    "NextPurchaseRecommender": _log_case(
        lambda: crmine.NextPurchaseRecommender(), lambda f: f.recommend_customers(k=3)
    ),
    "OutlierCustomers": _log_case(lambda: crmine.OutlierCustomers(), lambda f: f.flags_),
    "BetaGeoModel": _btyd_case("BetaGeoModel"),
    "ParetoNBDModel": _btyd_case("ParetoNBDModel"),
    "ModifiedBetaGeoModel": _btyd_case("ModifiedBetaGeoModel"),
    "BetaGeoBetaBinomModel": _bgbb_case,
    "GammaGammaModel": _gamma_gamma_case,
}


def _fit(est: Any, args: tuple, kwargs: dict) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args, **kwargs)


def _same(a: Any, b: Any) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_dtype=False)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif hasattr(a, "table") and hasattr(b, "table"):
        _same(a.table, b.table)
    else:
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        if a_arr.dtype.kind in "fc" or b_arr.dtype.kind in "fc":
            np.testing.assert_array_equal(a_arr, b_arr)  # NaN == NaN here
        else:
            assert a_arr.tolist() == b_arr.tolist()


def test_every_estimator_has_a_fit_case() -> None:
    missing = sorted(set(ESTIMATORS) - set(FIT_CASES) - set(NO_FIT_CASE))
    assert not missing, (
        f"public estimators without a common fitting case: {missing}; add one to FIT_CASES "
        "(or to NO_FIT_CASE with the reason)"
    )


# estimators that cannot be fitted on the common data, with the reason
NO_FIT_CASE: dict[str, str] = {
    "ShiftedBetaGeometricModel": "fits a cohort's survivor counts, not a customer table; "
    "covered in tests/test_lifetime_models.py",
    "SurvivalCLV": "needs lifelines (the survival extra); covered in test_lifetime_survival.py",
}


# scikit-learn's full estimator checks run where each estimator's configuration lives (its
# module's test file, with its expected failures listed there); every other estimator says why
SKLEARN_CHECKED = {
    "RFMScorer": "test_value_sklearn.py",
    "ValueTierClassifier": "test_value_sklearn.py",
    "CustomerSegmenter": "test_segmentation.py",
    "ChurnClassifier": "test_churn.py",
    "TwoModelUplift": "test_campaign_uplift.py",
    "ClassTransformationUplift": "test_campaign_uplift.py",
}
_LOG = "fitted on a transaction log (named roles), not on a numeric X"
_BTYD = "fitted on BTYD summaries with the field's signature fit(frequency, recency, T)"
NOT_SKLEARN_CHECKED = {
    "TransactionFeatures": _LOG,
    "Apriori": _LOG,
    "BasketRecommender": _LOG,
    "SequenceMiner": _LOG,
    "NextPurchaseRecommender": _LOG,
    "OutlierCustomers": _LOG,
    "TransactionAggregates": "X must be indexed by the customer ids of its transactions",
    "BetaGeoModel": _BTYD,
    "ParetoNBDModel": _BTYD,
    "ModifiedBetaGeoModel": _BTYD,
    "BetaGeoBetaBinomModel": _BTYD,
    "GammaGammaModel": _BTYD,
    "ShiftedBetaGeometricModel": "fitted on a cohort's survivor counts",
    "SurvivalCLV": "reads duration and event columns by name; needs the survival extra",
    "ChurnRules": "writes rules over named columns; array input is refused on purpose",
    "MultiArmUplift": "fit(X, y, treatment) with several arms; the checks pass no treatment",
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_every_estimator_runs_sklearn_checks_or_says_why(name: str) -> None:
    from pathlib import Path

    assert (name in SKLEARN_CHECKED) != (name in NOT_SKLEARN_CHECKED), (
        f"{name}: list it in SKLEARN_CHECKED (the test file running parametrize_with_checks on "
        "it) or in NOT_SKLEARN_CHECKED with the reason"
    )
    if name in SKLEARN_CHECKED:
        text = (Path(__file__).parent / SKLEARN_CHECKED[name]).read_text(encoding="utf-8")
        block = text.split("@parametrize_with_checks(", 1)
        assert len(block) == 2 and f"{name}(" in block[1].split("def test_", 1)[0] or (
            "_Checked" in block[1].split("def test_", 1)[0] and name in text
        ), f"{SKLEARN_CHECKED[name]} does not run parametrize_with_checks on {name}"


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimator_clone_and_construction(name: str, request: pytest.FixtureRequest) -> None:
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    _xfail_if_expected(request)
    est = ESTIMATORS[name]()
    check_no_attributes_set_in_init(name, est)
    check_parameters_default_constructible(name, est)
    check_get_params_invariance(name, est)
    check_set_params(name, est)
    assert clone(est).get_params() == est.get_params()
    pickle.loads(pickle.dumps(est))


def _case(name: str, log: pd.DataFrame, customers: pd.DataFrame):
    if name not in FIT_CASES:
        pytest.skip(f"{name}: {NO_FIT_CASE.get(name, 'no common fitting case')}")
    return FIT_CASES[name](log, customers)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_fitted_estimator_pickles_and_is_deterministic(
    name: str, log: pd.DataFrame, customers: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    _xfail_if_expected(request)
    est, args, kwargs, output = _case(name, log, customers)
    fitted = _fit(est, args, kwargs)
    first = output(fitted)
    restored = pickle.loads(pickle.dumps(fitted))
    _same(first, output(restored))
    if "random_state" in est.get_params():
        est2, args2, kwargs2, output2 = _case(name, log, customers)
        est2.set_params(random_state=0)
        est3 = clone(est2)
        _same(output2(_fit(est2, args2, kwargs2)), output2(_fit(est3, args2, kwargs2)))


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimator_does_not_mutate_or_print(
    name: str,
    log: pd.DataFrame,
    customers: pd.DataFrame,
    capfd: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    _xfail_if_expected(request)
    est, args, kwargs, output = _case(name, log, customers)
    before = [copy.deepcopy(a) for a in args]
    capfd.readouterr()
    fitted = _fit(est, args, kwargs)
    output(fitted)
    out, err = capfd.readouterr()
    assert out == "" and err == "", f"{name} printed: {out!r} {err!r}"
    for a, b in zip(args, before):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        elif isinstance(a, (pd.Series, np.ndarray)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _as_polars(obj: Any) -> Any:
    pl = pytest.importorskip("polars")
    if isinstance(obj, pd.DataFrame):
        return pl.from_pandas(obj.reset_index() if obj.index.name else obj)
    if isinstance(obj, pd.Series):
        return pl.from_pandas(obj.reset_index(drop=True))
    return obj


def _as_arrow(obj: Any) -> Any:
    pa = pytest.importorskip("pyarrow")
    if isinstance(obj, pd.DataFrame):
        flat = obj.reset_index() if obj.index.name else obj
        return pa.Table.from_pandas(flat, preserve_index=False)
    return obj


@pytest.mark.parametrize("engine", ["polars", "pyarrow"])
@pytest.mark.parametrize("name", ["TransactionFeatures", "Apriori", "BasketRecommender"])
def test_log_estimators_read_polars_and_arrow_by_name(
    name: str, engine: str, log: pd.DataFrame, customers: pd.DataFrame,
    request: pytest.FixtureRequest,
) -> None:
    """A polars/pyarrow log gives the pandas result (columns are read by name)."""
    _xfail_if_expected(request)
    convert = _as_polars if engine == "polars" else _as_arrow
    est, args, kwargs, output = FIT_CASES[name](log, customers)
    expected = output(_fit(clone(est), args, kwargs))
    other = _fit(clone(est), (convert(log),), kwargs)
    got = output(other)
    if hasattr(got, "to_pandas") and not isinstance(got, pd.DataFrame):
        got = got.to_pandas()
    _same(expected, got)


@pytest.mark.parametrize("engine", ["polars", "pyarrow"])
@pytest.mark.parametrize("name", ["RFMScorer", "ValueTierClassifier", "CustomerSegmenter"])
def test_customer_estimators_read_polars_and_arrow_by_name(
    name: str, engine: str, log: pd.DataFrame, customers: pd.DataFrame,
    request: pytest.FixtureRequest,
) -> None:
    """A customer table as polars/pyarrow (id as a column) is never read by position."""
    _xfail_if_expected(request)
    convert = _as_polars if engine == "polars" else _as_arrow
    # the id column comes first, as a user's export would have it
    est, _, _, _ = FIT_CASES[name](log, customers)
    expected = est.fit(customers).predict(customers) if hasattr(est, "predict") else (
        est.fit(customers).transform(customers))
    table = convert(customers)
    est2 = clone(est).fit(table)
    got = est2.predict(table) if hasattr(est2, "predict") else est2.transform(table)
    _same(expected, got)


# ---------------------------------------------------------------------------------- bad input

ACCEPTED_ERRORS = (CrmineError, InvalidParameterError)


def _bad_logs(log: pd.DataFrame) -> dict[str, pd.DataFrame | Any]:
    small = log.head(200).copy()
    one = small[small["customer_id"] == small["customer_id"].iloc[0]].copy()
    nan_price = small.copy()
    nan_price.loc[nan_price.index[:3], "price"] = np.nan
    inf_price = small.copy()
    inf_price.loc[inf_price.index[:3], "price"] = np.inf
    negative = small.copy()
    negative.loc[negative.index[:3], "price"] = -negative.loc[negative.index[:3], "price"]
    zero = small.copy()
    zero["price"] = 0.0
    mixed_tz = small.copy()
    ts = list(mixed_tz["timestamp"])
    ts[0] = pd.Timestamp(ts[0]).tz_localize("UTC")
    mixed_tz["timestamp"] = pd.Series(ts, index=mixed_tz.index, dtype=object)
    text_money = small.copy()
    text_money["price"] = text_money["price"].map(lambda v: f"{v:.2f}".replace(".", ","))
    string_ids = small.copy()
    string_ids["customer_id"] = string_ids["customer_id"].astype(str)
    cat_ids = small.copy()
    cat_ids["customer_id"] = cat_ids["customer_id"].astype("category")
    return {
        "empty": small.iloc[:0],
        "header_only": pd.DataFrame(columns=small.columns),
        "missing_column": small.drop(columns=["customer_id", "order_id", "item"]),
        "nan_money": nan_price,
        "inf_money": inf_price,
        "negative_money": negative,
        "zero_money": zero,
        "one_customer": one,
        "duplicated_rows": pd.concat([small, small.head(5)]),
        "mixed_naive_aware": mixed_tz,
        "decimal_comma_text": text_money,
        "string_ids": string_ids,
        "categorical_ids": cat_ids,
        "not_a_table": small.to_numpy(),
    }


def _bad_tables(customers: pd.DataFrame) -> dict[str, Any]:
    t = customers.copy()
    numeric = t.select_dtypes("number").columns
    # float first: pandas 3 refuses to put NaN/inf into an integer column
    nan = t.astype(dict.fromkeys(numeric, "float64"))
    nan.loc[nan.index[:3], numeric] = np.nan
    inf = t.astype(dict.fromkeys(numeric, "float64"))
    inf.loc[inf.index[:3], numeric] = np.inf
    dup = pd.concat([t, t.head(3)])
    cat_index = t.copy()
    cat_index.index = pd.CategoricalIndex(cat_index.index.astype(str), name=t.index.name)
    return {
        "empty": t.iloc[:0],
        "missing_column": t[[]],
        "nan": nan,
        "inf": inf,
        "one_customer": t.head(1),
        "duplicated_ids": dup,
        "categorical_ids": cat_index,
        "negative_money": t.assign(monetary_total=-t["monetary_total"]),
        "not_a_table": "customers.csv",
    }


# extra required arguments of public functions taking a log or a customer table
REQUIRED_ARGS: dict[str, dict[str, Any]] = {
    "next_purchase_evaluation": {"cutoff": "2024-06-01"},
    "fit_clv": {"horizon": 12},
    "inactivity_churn_table": {"inactivity_days": 90},
    "churn_labels": {"cutoff": "2024-06-01", "horizon": "90D"},
    "make_churn_dataset": {"cutoffs": ["2024-06-01"], "horizon": "90D"},
    "calibration_holdout_split": {
        "calibration_end": "2024-06-01",
        "observation_end": "2024-12-01",
    },
}

LOG_FIRST = {"log", "transactions"}
TABLE_FIRST = {"customers", "X"}


def _entry_points(first: set[str]) -> list[str]:
    names = []
    for name, fn in FUNCTIONS.items():
        sig = _signature(fn)
        if sig is None or not sig.parameters:
            continue
        if next(iter(sig.parameters)) in first:
            names.append(name)
    return sorted(names)


LOG_FUNCTIONS = _entry_points(LOG_FIRST)
TABLE_FUNCTIONS = _entry_points(TABLE_FIRST)


def _call(fn: Callable, data: Any, name: str, capfd: pytest.CaptureFixture[str]) -> Any:
    capfd.readouterr()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(data, **REQUIRED_ARGS.get(name, {}))
    except ACCEPTED_ERRORS as exc:
        msg = str(exc)
        assert len(msg) > 30, f"{name}: error without an explanation: {msg!r}"
        result = exc
    except Exception as exc:
        pytest.fail(f"{name} raised an unclear {type(exc).__name__}: {exc}")
    out, err = capfd.readouterr()
    assert out == "" and err == "", f"{name} printed: {out[:200]!r} {err[:200]!r}"
    return result


def _no_silent_nan(result: Any, name: str, case: str) -> None:
    frames = []
    if isinstance(result, tuple):
        frames = [r for r in result if isinstance(r, (pd.DataFrame, pd.Series))]
    elif isinstance(result, (pd.DataFrame, pd.Series)):
        frames = [result]
    for f in frames:
        numeric = f.select_dtypes("number") if isinstance(f, pd.DataFrame) else (
            f if pd.api.types.is_numeric_dtype(f) else None)
        if numeric is None or numeric.size == 0:
            continue
        values = numeric.to_numpy(dtype=float)
        assert not np.isinf(values).any(), f"{name}({case}) returned infinite values"


MUST_RAISE_LOG = {"missing_column", "mixed_naive_aware", "not_a_table", "decimal_comma_text"}
# log functions that never read the time or money columns, with the reason
TIME_FREE = {
    "basket_matrix": "baskets need orders and items only; timestamps are read only with cutoff=",
    "as_baskets": "baskets need orders and items only",
    "recommend_products": "recommendations need orders and items only",
}
MONEY_FREE = TIME_FREE


@pytest.mark.parametrize("case", sorted(_bad_logs(pd.DataFrame({
    "customer_id": [1], "order_id": [1], "timestamp": [pd.Timestamp("2024-01-01")],
    "item": ["a"], "category": ["x"], "quantity": [1], "price": [1.0]}))))
@pytest.mark.parametrize("name", LOG_FUNCTIONS)
def test_bad_log_matrix(
    name: str,
    case: str,
    log: pd.DataFrame,
    capfd: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    _xfail_if_expected(request)
    data = _bad_logs(log)[case]
    before = data.copy(deep=True) if isinstance(data, pd.DataFrame) else data
    result = _call(FUNCTIONS[name], data, name, capfd)
    exempt = (case == "mixed_naive_aware" and name in TIME_FREE) or (
        case == "decimal_comma_text" and name in MONEY_FREE
    )
    if case in MUST_RAISE_LOG and not exempt:
        assert isinstance(result, ACCEPTED_ERRORS), f"{name}({case}) did not refuse the input"
        if case == "missing_column":
            assert any(c in str(result) for c in ("customer_id", "order_id", "item")), (
                f"{name}: error does not name the missing column: {result}"
            )
    else:
        _no_silent_nan(result, name, case)
    if isinstance(data, pd.DataFrame):
        pd.testing.assert_frame_equal(data, before)


MUST_RAISE_TABLE = {"missing_column", "nan", "inf", "duplicated_ids", "not_a_table"}


@pytest.mark.parametrize("case", ["empty", "missing_column", "nan", "inf", "one_customer",
                                  "duplicated_ids", "categorical_ids", "negative_money",
                                  "not_a_table"])
@pytest.mark.parametrize("name", TABLE_FUNCTIONS)
def test_bad_customer_table_matrix(
    name: str,
    case: str,
    customers: pd.DataFrame,
    capfd: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    _xfail_if_expected(request)
    data = _bad_tables(customers)[case]
    before = data.copy(deep=True) if isinstance(data, pd.DataFrame) else data
    result = _call(FUNCTIONS[name], data, name, capfd)
    if case in MUST_RAISE_TABLE:
        assert isinstance(result, ACCEPTED_ERRORS), f"{name}({case}) did not refuse the input"
    else:
        _no_silent_nan(result, name, case)
    if isinstance(data, pd.DataFrame):
        pd.testing.assert_frame_equal(data, before)


# metric-shaped functions whose second argument is not a score
NOT_SCORE_METRICS = {"arm_policy_value": "second argument is the recommended arm, not a score"}
METRIC_FUNCTIONS = sorted(
    n for n, fn in FUNCTIONS.items()
    if _signature(fn) is not None and list(_signature(fn).parameters)[:1] == ["y_true"]
    and n not in NOT_SCORE_METRICS
)


@pytest.mark.parametrize("case", ["nan_score", "labels_0_2", "one_class", "length_mismatch",
                                  "text_labels", "polars"])
@pytest.mark.parametrize("name", METRIC_FUNCTIONS)
def test_bad_metric_input_matrix(
    name: str, case: str, capfd: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    _xfail_if_expected(request)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = rng.random(200)
    t = np.arange(200) % 2
    params = list(_signature(FUNCTIONS[name]).parameters)
    needs_score = len(params) > 1 and params[1] in {"y_score", "uplift", "score"}
    needs_treatment = "treatment" in params[:3]
    if case in {"nan_score", "length_mismatch"} and not needs_score:
        pytest.skip(f"{name} takes no y_score")
    if case == "nan_score":
        s = s.copy()
        s[3] = np.nan
    elif case == "labels_0_2":
        y = y * 2
    elif case == "one_class":
        y = np.zeros(200, dtype=int)
    elif case == "length_mismatch":
        s = s[:150]
    elif case == "text_labels":
        y = np.where(y == 1, "yes", "no")
    elif case == "polars":
        pl = pytest.importorskip("polars")
        y = pl.Series("y", y)
    args: list[Any] = [y]
    if needs_score:
        args.append(s)
    if needs_treatment:
        args.append(t)
    fn = FUNCTIONS[name]
    required = {
        p.name: {"cost_per_contact": 1.0, "value_per_response": 10.0}.get(p.name, 1.0)
        for p in list(_signature(fn).parameters.values())[len(args):]
        if p.default is inspect.Parameter.empty and p.kind == p.KEYWORD_ONLY
    }
    if "random_state" in _signature(fn).parameters:
        required["random_state"] = 0
    capfd.readouterr()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **required)
    except ACCEPTED_ERRORS:
        result = None
    except Exception as exc:
        pytest.fail(f"{name}({case}) raised an unclear {type(exc).__name__}: {exc}")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    if case in {"nan_score", "labels_0_2", "length_mismatch", "text_labels"}:
        assert result is None, f"{name}({case}) accepted invalid input and returned {result!r}"
    if case == "polars" and result is not None:
        expected = fn(np.asarray(y), *args[1:], **required)
        _same(expected if not hasattr(expected, "table") else expected.table,
              result if not hasattr(result, "table") else result.table)


def _io_buffer() -> io.StringIO:  # pragma: no cover - kept for symmetry with capfd
    return io.StringIO()
