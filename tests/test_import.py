"""What importing and using crmine's light entry points loads (no scikit-learn).

``import crmine.basket``, ``TransactionFeatures`` and the one-liners build on
:mod:`crmine.base`, a scikit-learn compatible base that does not import
scikit-learn (about a second and 90 modules).  Each check runs in a fresh
interpreter, so the facts are about modules, not about timings; the
in-process tests check that everything still works with scikit-learn: clone,
get/set_params, repr (compared with scikit-learn's own repr of a twin class),
parameter errors (scikit-learn's class and message), check_is_fitted,
pipelines, tags and the constraint objects scikit-learn's checks inspect.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
import textwrap
from numbers import Integral, Real

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmine._estimator import BaseEstimator, Interval, Options, StrOptions, _surely_satisfied


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it sets ``out`` (a dict), returned here."""
    prog = textwrap.dedent(code) + textwrap.dedent(
        """
        import json, sys
        out["sklearn_modules"] = sorted(m for m in sys.modules if m.split(".")[0] == "sklearn")
        print(json.dumps(out, default=str))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", prog], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_basket_does_not_import_sklearn() -> None:
    out = _run("import crmine.basket\nout = {}")
    assert out["sklearn_modules"] == []


def test_import_schema_and_exceptions_do_not_import_sklearn() -> None:
    out = _run("import crmine, crmine.schema, crmine.exceptions, crmine.base\nout = {}")
    assert out["sklearn_modules"] == []


def test_baskets_one_liners_do_not_import_sklearn() -> None:
    out = _run(
        """
        from crmine.basket import apriori, association_rules
        baskets = [["beer", "diapers"], ["beer", "diapers", "milk"], ["beer"], ["milk"]]
        itemsets = apriori(baskets, min_support=0.5)
        rules = association_rules(itemsets, min_threshold=0.5)
        out = {"n_itemsets": len(itemsets), "rules": sorted(
            (sorted(a), sorted(c)) for a, c in zip(rules["antecedents"], rules["consequents"]))}
        """
    )
    # by hand: beer 3/4, diapers 2/4, milk 2/4, {beer, diapers} 2/4; confidence
    # beer->diapers 2/3, diapers->beer 2/2
    assert out["n_itemsets"] == 4
    assert out["rules"] == [[["beer"], ["diapers"]], [["diapers"], ["beer"]]]
    assert out["sklearn_modules"] == []


def test_estimators_fit_without_sklearn() -> None:
    out = _run(
        """
        from crmine.basket import Apriori, BasketRecommender
        baskets = [["beer", "diapers"], ["beer", "diapers", "milk"], ["beer"], ["milk"]]
        est = Apriori(min_count=2).fit(baskets)
        rec = BasketRecommender(min_count=2, min_confidence=0.5).fit(baskets)
        out = {"n": len(est.frequent_itemsets_), "repr": repr(est),
               "params": est.get_params(), "top": rec.recommend(["diapers"], k=1)["item"].tolist()}
        """
    )
    assert out["n"] == 4
    assert out["repr"] == "Apriori(min_count=2)"
    assert out["params"]["min_count"] == 2 and out["params"]["max_len"] is None
    assert out["top"] == ["beer"]
    assert out["sklearn_modules"] == []


def test_transaction_features_do_not_import_sklearn() -> None:
    out = _run(
        """
        import pandas as pd
        from crmine import TransactionFeatures, rfm_table
        log = pd.DataFrame({"customer_id": [1, 1, 2], "order_id": [1, 2, 3],
                            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05",
                                                         "2024-01-02"]),
                            "amount": [5.0, 7.0, 1.0]})
        table = TransactionFeatures().fit_transform(log)
        rfm = rfm_table(log)
        out = {"frequency": table["frequency"].tolist(), "monetary": rfm.iloc[:, -1].tolist()}
        """
    )
    assert out["frequency"] == [2, 1]
    assert out["sklearn_modules"] == []


_BAD_PARAMS = [
    (
        "Apriori(min_support=2.0)",
        "The 'min_support' parameter of Apriori must be a float in the range (0.0, 1.0] or "
        "None. Got 2.0 instead.",
    ),
    (
        "Apriori(max_len=0)",
        "The 'max_len' parameter of Apriori must be an int in the range [1, inf) or None. "
        "Got 0 instead.",
    ),
    (
        "BasketRecommender(fallback='random')",
        "The 'fallback' parameter of BasketRecommender must be a str among {",
    ),
    (
        "BasketRecommender(min_confidence=float('nan'))",
        "The 'min_confidence' parameter of BasketRecommender must be a float in the range "
        "[0.0, 1.0]. Got nan instead.",
    ),
]


@pytest.mark.parametrize(("construct", "message"), _BAD_PARAMS)
def test_bad_parameter_raises_sklearns_error_with_or_without_sklearn_loaded(
    construct: str, message: str
) -> None:
    from sklearn.utils._param_validation import InvalidParameterError

    from crmine.basket import Apriori, BasketRecommender  # noqa: F401 - used by eval

    baskets = [["a", "b"], ["a"]]
    with pytest.raises(InvalidParameterError) as here:
        eval(construct).fit(baskets)
    assert str(here.value).startswith(message)
    out = _run(
        f"""
        from crmine.basket import Apriori, BasketRecommender
        try:
            {construct}.fit([["a", "b"], ["a"]])
            out = {{"error": None}}
        except Exception as exc:
            out = {{"error": type(exc).__module__ + "." + type(exc).__name__, "msg": str(exc)}}
        """
    )
    assert out["error"] == "sklearn.utils._param_validation.InvalidParameterError"
    assert _set_order_free(out["msg"]) == _set_order_free(str(here.value))


def _set_order_free(message: str) -> str:
    """scikit-learn prints StrOptions in set order, which differs between interpreters."""
    return re.sub(r"\{([^}]*)\}", lambda m: str(sorted(m[1].split(", "))), message)


def test_bool_and_missing_thresholds_raise_sklearns_error() -> None:
    from sklearn.utils._param_validation import InvalidParameterError

    from crmine.basket import Apriori, apriori

    with pytest.raises(InvalidParameterError, match="min_count=True is a bool"):
        Apriori(min_count=True).fit([["a"]])
    with pytest.raises(InvalidParameterError, match="both None"):
        apriori([["a"]], min_support=None, min_count=None)


def test_constraints_are_sklearns_once_sklearn_is_loaded() -> None:
    # the classes are built before scikit-learn is imported; its checks then read
    # _parameter_constraints and must get objects make_constraint accepts
    out = _run(
        """
        from crmine.basket import Apriori, BasketRecommender
        before = type(Apriori._parameter_constraints["max_len"][0]).__module__
        from sklearn.utils._param_validation import make_constraint
        after = {name: [str(make_constraint(c)) for c in cs]
                 for est in (Apriori, BasketRecommender)
                 for name, cs in est._parameter_constraints.items()}
        out = {"before": before, "after": after}
        """
    )
    assert out["before"] == "crmine._estimator"
    assert out["after"]["max_len"] == ["an int in the range [2, inf)"]  # BasketRecommender's
    assert out["after"]["min_support"] == ["a float in the range (0.0, 1.0]", "None"]


def test_not_fitted_is_crmines_and_sklearns() -> None:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    from crmine.basket import Apriori, BasketRecommender
    from crmine.exceptions import CrmineError, NotFittedError

    assert issubclass(NotFittedError, (SklearnNotFittedError, CrmineError))
    with pytest.raises(SklearnNotFittedError) as info:
        BasketRecommender().recommend(["a"])
    assert isinstance(info.value, NotFittedError)
    assert str(info.value) == (
        "This BasketRecommender instance is not fitted yet. Call 'fit' with appropriate "
        "arguments before using this estimator."
    )
    from sklearn.utils.validation import check_is_fitted

    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(Apriori())
    check_is_fitted(Apriori(min_count=1).fit([["a"]]))
    assert pickle.loads(pickle.dumps(NotFittedError("x"))).args == ("x",)


def test_not_fitted_error_in_a_fresh_interpreter() -> None:
    out = _run(
        """
        from crmine.basket import Apriori
        try:
            from crmine.utils._validation import check_is_fitted
            check_is_fitted(Apriori(), "frequent_itemsets_")
            out = {"error": None}
        except Exception as exc:
            out = {"mro": [c.__module__ + "." + c.__name__ for c in type(exc).__mro__]}
        """
    )
    assert out["mro"][:3] == [
        "crmine.exceptions.NotFittedError",
        "crmine.exceptions.CrmineError",
        "sklearn.exceptions.NotFittedError",
    ]


def _sklearn_twin(cls: type) -> type:
    """A scikit-learn BaseEstimator with the same name and __init__ (the repr oracle)."""
    from sklearn.base import BaseEstimator as SklearnBaseEstimator

    return type(cls.__name__, (SklearnBaseEstimator,), {"__init__": cls.__init__})


_REPR_CASES = [
    ("Apriori", {}),
    ("Apriori", {"min_support": 0.05}),
    ("Apriori", {"min_support": None, "min_count": 3, "max_len": 2}),
    ("BasketRecommender", {"metric": "lift", "fallback": "none", "min_lift": 1.5}),
    (
        "TransactionFeatures",
        {
            "cutoff": "2024-01-01",
            "frequency": "days",
            "monetary": "net",
            "windows": ("30D", "90D", "365D"),
            "include": ["rfm", "trend"],
            "time_unit": "W",
        },
    ),
]


@pytest.mark.parametrize(("name", "params"), _REPR_CASES)
def test_repr_matches_sklearns(name: str, params: dict) -> None:
    import crmine

    cls = getattr(crmine, name)
    params = {k: v for k, v in params.items() if k in cls().get_params()}
    assert repr(cls(**params)) == repr(_sklearn_twin(cls)(**params))


def test_clone_params_and_pipeline_with_sklearn() -> None:
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import get_tags

    from crmine import Apriori, TransactionFeatures
    from crmine.datasets import make_retail

    est = TransactionFeatures(frequency="days", windows=("30D",))
    twin = _sklearn_twin(TransactionFeatures)(frequency="days", windows=("30D",))
    assert est.get_params() == twin.get_params()
    copy = clone(est)
    assert copy is not est and copy.get_params() == est.get_params()
    with pytest.raises(ValueError) as ours:
        est.set_params(no_such=1)
    with pytest.raises(ValueError) as theirs:
        twin.set_params(no_such=1)
    assert str(ours.value) == str(theirs.value).replace(repr(twin), repr(est))
    assert get_tags(est).transformer_tags is not None
    assert get_tags(Apriori()).transformer_tags is None

    log = make_retail(n_customers=40, random_state=0).transactions
    pipe = Pipeline(
        [("features", TransactionFeatures(include=["rfm"])), ("scale", StandardScaler())]
    ).set_output(transform="pandas")
    pipe.set_params(features__frequency="days")
    assert pipe.get_params()["features__frequency"] == "days"
    out = pipe.fit_transform(log)
    table = TransactionFeatures(include=["rfm"], frequency="days").fit_transform(log)
    expected = StandardScaler().fit_transform(table)
    np.testing.assert_allclose(out.to_numpy(), expected)
    assert list(out.index) == list(table.index)


def test_nested_validation_skipped_under_sklearn_config() -> None:
    import sklearn
    from sklearn.utils._param_validation import InvalidParameterError

    from crmine.basket import Apriori

    with pytest.raises(InvalidParameterError):
        Apriori(max_len=0).fit([["a", "b"]])
    with sklearn.config_context(skip_parameter_validation=True):
        # scikit-learn's switch is honoured: max_len=0 is not refused, it finds no itemset
        fitted = Apriori(max_len=0, min_count=1).fit([["a", "b"]])
    assert len(fitted.frequent_itemsets_) == 0


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([np.int64(2), np.float32(0.5), np.bool_(True), np.float64("nan")]),
    st.text(max_size=3),
    st.sampled_from(["orders", "days", "x", ("a",), [1]]),
)
_CONSTRAINT_ARGS = [
    ("Interval", (Integral, 1, None), {"closed": "left"}),
    ("Interval", (Integral, -2, 3), {"closed": "both"}),
    ("Interval", (Real, 0, 1), {"closed": "right"}),
    ("Interval", (Real, 0, None), {"closed": "neither"}),
    ("Interval", (Real, None, 0.5), {"closed": "left"}),
    ("StrOptions", ({"orders", "days"},), {}),
    ("Options", (int, {1, 2, 3}), {}),
]


@given(value=_values, which=st.sampled_from(range(len(_CONSTRAINT_ARGS))))
def test_light_constraints_never_accept_what_sklearn_refuses(value: object, which: int) -> None:
    from sklearn.utils import _param_validation as pv

    import crmine.base as cb

    name, args, kwargs = _CONSTRAINT_ARGS[which]
    light = object.__new__(getattr(cb, name))  # the stand-in built before sklearn loads
    light.__init__(*args, **kwargs)
    sk = getattr(pv, name)(*args, **kwargs)
    verdict = _surely_satisfied(light, value)
    if verdict:
        assert sk.is_satisfied_by(value), (name, args, value)
    # and exact on plain Python and NumPy numbers and strings (no needless detour)
    if not isinstance(value, (bool, np.bool_, tuple, list)):
        assert verdict == sk.is_satisfied_by(value), (name, args, value)
    assert str(light.to_sklearn()) == str(sk)


def test_factories_build_sklearns_objects_once_sklearn_is_loaded() -> None:
    from sklearn.utils import _param_validation as pv

    assert isinstance(Interval(Integral, 1, None, closed="left"), pv.Interval)
    assert isinstance(StrOptions({"a"}), pv.StrOptions)
    assert isinstance(Options(int, {1}), pv.Options)


def test_base_estimator_refuses_varargs_like_sklearn() -> None:
    class Bad(BaseEstimator):
        def __init__(self, *args: object) -> None:
            self.args = args

    with pytest.raises(RuntimeError, match="no varargs"):
        Bad().get_params()


def test_transaction_features_set_output_keeps_pandas() -> None:
    from crmine import TransactionFeatures

    est = TransactionFeatures()
    assert est.set_output(transform="pandas") is est
    with pytest.raises(ValueError, match="returns a pandas DataFrame"):
        est.set_output(transform="polars")


def test_bad_input_frame_not_mutated_by_light_fit() -> None:
    from crmine.basket import Apriori

    frame = pd.DataFrame({"order_id": [1, 1, 2], "item": ["a", "b", "a"]})
    before = frame.copy()
    Apriori(min_count=1).fit(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_every_estimator_declares_constraints_sklearn_can_read() -> None:
    # estimators still built on sklearn.base.BaseEstimator use crmine.base's Interval &c.;
    # sklearn's _validate_params and checks must get scikit-learn's own objects
    out = _run(
        """
        import inspect
        import crmine
        from sklearn.utils._param_validation import make_constraint
        bad = {}
        n = 0
        for name in crmine.__all__:
            try:
                obj = getattr(crmine, name)
            except ImportError:
                continue
            if not (inspect.isclass(obj) and hasattr(obj, "_parameter_constraints")):
                continue
            n += 1
            for param, cs in obj._parameter_constraints.items():
                if cs == "no_validation":
                    continue
                for c in cs:
                    try:
                        make_constraint(c)
                    except ValueError as exc:
                        bad[f"{name}.{param}"] = str(exc)
        out = {"bad": bad, "n": n}
        """
    )
    assert out["bad"] == {}
    assert out["n"] >= 15
