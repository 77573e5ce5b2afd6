"""scikit-learn compatible estimator bases that do not import scikit-learn.

Light import
------------
:class:`BaseEstimator` and :class:`TransformerMixin` are scikit-learn
compatible (``get_params``/``set_params``, ``clone``, ``Pipeline``,
``__sklearn_tags__``, the estimator checks) without importing scikit-learn, so
that ``import crmine.basket`` or ``TransactionFeatures`` does not load its 90
modules (about a second).  scikit-learn is imported only when it is already
loaded or needed: a parameter that breaks its constraint (the error is then
scikit-learn's own ``InvalidParameterError`` with its own message), the tags,
or a caller that reads ``_parameter_constraints`` once scikit-learn is loaded
(the estimator checks).

``Interval``, ``StrOptions``, ``Options`` and ``HasMethods`` build
scikit-learn's constraint objects when scikit-learn is loaded (always the case
for an estimator that subclasses ``sklearn.base.BaseEstimator``: its base was
imported before its class body ran) and light stand-ins with the same
arguments otherwise; a stand-in turns into scikit-learn's object on demand.
A value is accepted without scikit-learn only when the stand-in is sure it
satisfies the constraint; in every other case scikit-learn decides.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = [
    "BaseEstimator",
    "HasMethods",
    "Integral",
    "Interval",
    "Options",
    "Real",
    "StrOptions",
    "TransformerMixin",
    "_fit_context",
    "invalid_parameter",
]

_SK_PARAMS = "sklearn.utils._param_validation"


def _sklearn_loaded() -> bool:
    return _SK_PARAMS in sys.modules


# --------------------------------------------------------------------------- constraints


class _LightConstraint:
    """A constraint declared before scikit-learn is loaded (see the module docstring)."""

    _sklearn_name = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if _sklearn_loaded():  # the real object: nothing to convert later
            return getattr(sys.modules[_SK_PARAMS], cls._sklearn_name)(*args, **kwargs)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args = args
        self._kwargs = kwargs

    def to_sklearn(self) -> Any:
        """scikit-learn's constraint object with the same arguments."""
        from sklearn.utils import _param_validation

        return getattr(_param_validation, self._sklearn_name)(*self._args, **self._kwargs)

    def light_ok(self, value: Any) -> bool:  # pragma: no cover - overridden
        """True only when ``value`` surely satisfies the constraint."""
        return False

    def __repr__(self) -> str:
        args = [repr(a) for a in self._args] + [f"{k}={v!r}" for k, v in self._kwargs.items()]
        return f"{self._sklearn_name}({', '.join(args)})"


class Interval(_LightConstraint):
    """scikit-learn's ``Interval(type, left, right, *, closed)`` constraint.

    Examples
    --------
    >>> from numbers import Integral
    >>> c = Interval(Integral, 1, None, closed="left")
    >>> str(c.to_sklearn() if hasattr(c, "to_sklearn") else c)
    'an int in the range [1, inf)'
    """

    _sklearn_name = "Interval"

    def __init__(self, type: Any, left: Any, right: Any, *, closed: str) -> None:
        super().__init__(type, left, right, closed=closed)
        self.type, self.left, self.right, self.closed = type, left, right, closed

    def light_ok(self, value: Any) -> bool:
        if self.type not in (Integral, Real) or not isinstance(value, self.type):
            return False
        if isinstance(value, bool) and self.type is not Integral:
            return False
        if not isinstance(value, (int, float, np.integer, np.floating)):
            return False
        if not isinstance(value, Integral) and np.isnan(value):
            return False
        low = -np.inf if self.left is None else self.left
        high = np.inf if self.right is None else self.right
        above = value >= low if self.closed in ("left", "both") else value > low
        below = value <= high if self.closed in ("right", "both") else value < high
        return bool(above and below)


class Options(_LightConstraint):
    """scikit-learn's ``Options(type, options)`` constraint.

    Examples
    --------
    >>> validate_parameters({"k": [Options(int, {1, 2})]}, {"k": 2}, "Toy")
    """

    _sklearn_name = "Options"

    def __init__(self, type: Any, options: Any, *, deprecated: Any = None) -> None:
        if deprecated is None:
            super().__init__(type, options)
        else:
            super().__init__(type, options, deprecated=deprecated)
        self.type, self.options = type, options

    def light_ok(self, value: Any) -> bool:
        try:
            return isinstance(value, self.type) and value in self.options
        except TypeError:  # an unhashable value: let scikit-learn say so
            return False


class StrOptions(Options):
    """scikit-learn's ``StrOptions(options)`` constraint.

    Examples
    --------
    >>> validate_parameters({"f": [StrOptions({"orders", "days"})]}, {"f": "days"}, "Toy")
    """

    _sklearn_name = "StrOptions"

    def __init__(self, options: Any, *, deprecated: Any = None) -> None:
        _LightConstraint.__init__(
            self, options, **({} if deprecated is None else {"deprecated": deprecated})
        )
        self.type, self.options = str, options


class HasMethods(_LightConstraint):
    """scikit-learn's ``HasMethods(methods)`` constraint.

    Examples
    --------
    >>> validate_parameters({"model": [HasMethods(["fit"]), None]}, {"model": None}, "Toy")
    """

    _sklearn_name = "HasMethods"

    def __init__(self, methods: Any) -> None:
        super().__init__(methods)
        self.methods = [methods] if isinstance(methods, str) else methods

    def light_ok(self, value: Any) -> bool:
        return all(callable(getattr(value, m, None)) for m in self.methods)


def invalid_parameter(message: str) -> ValueError:
    """scikit-learn's ``InvalidParameterError`` with ``message`` (imported only when needed).

    ``raise invalid_parameter(message)`` raises an instance of
    ``sklearn.utils._param_validation.InvalidParameterError`` (a ``ValueError``
    and a ``TypeError``), the error of every declared constraint.

    Examples
    --------
    >>> try:
    ...     raise invalid_parameter("min_count must be >= 1.")
    ... except ValueError as exc:
    ...     type(exc).__name__
    'InvalidParameterError'
    """
    from sklearn.utils._param_validation import InvalidParameterError

    return InvalidParameterError(message)


def _to_sklearn(constraint: Any) -> Any:
    return constraint.to_sklearn() if isinstance(constraint, _LightConstraint) else constraint


def _surely_satisfied(constraint: Any, value: Any) -> bool:
    """True only when ``value`` satisfies ``constraint`` for certain (else scikit-learn decides)."""
    if isinstance(constraint, _LightConstraint):
        return constraint.light_ok(value)
    if constraint is None:
        return value is None
    if constraint is callable:
        return callable(value)
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    if isinstance(constraint, str):
        if constraint == "boolean":
            return isinstance(value, (bool, np.bool_))
        return False
    if _sklearn_loaded() and hasattr(constraint, "is_satisfied_by"):  # scikit-learn's own
        return bool(constraint.is_satisfied_by(value))
    return False


def validate_parameters(constraints: Any, params: dict[str, Any], caller_name: str) -> None:
    """Check ``params`` against scikit-learn style ``constraints``.

    Values that surely satisfy one of their constraints pass without
    scikit-learn; otherwise scikit-learn's ``validate_parameter_constraints``
    decides, raising its ``InvalidParameterError`` with its own message.

    Examples
    --------
    >>> validate_parameters({"n_bins": [Interval(Integral, 2, None, closed="left")]},
    ...                     {"n_bins": 5}, "RFMScorer")
    >>> validate_parameters({"n_bins": [Interval(Integral, 2, None, closed="left")]},
    ...                     {"n_bins": 1}, "RFMScorer")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sklearn...InvalidParameterError: The 'n_bins' parameter of RFMScorer must be ... Got 1 instead.
    """
    surely = True
    for name, value in params.items():
        if name not in constraints or constraints[name] == "no_validation":
            continue
        if not any(_surely_satisfied(c, value) for c in constraints[name]):
            surely = False
            break
    if surely:
        return
    from sklearn.utils._param_validation import validate_parameter_constraints

    validate_parameter_constraints(
        _sklearn_constraints(constraints), params, caller_name=caller_name
    )


def _sklearn_constraints(constraints: Any) -> Any:
    if not isinstance(constraints, dict):
        return constraints
    return {
        k: v if isinstance(v, str) else [_to_sklearn(c) for c in v] for k, v in constraints.items()
    }


class _DeclaredConstraints:
    """Class attribute holding ``_parameter_constraints``.

    Before scikit-learn is loaded it gives the declared (possibly light)
    constraints; afterwards scikit-learn's objects, so that scikit-learn's
    estimator checks, which build and inspect them, see their own classes.
    """

    def __init__(self, declared: dict[str, Any]) -> None:
        self.declared = declared
        self._converted: dict[str, Any] | None = None

    def __get__(self, instance: Any, owner: Any) -> dict[str, Any]:
        if not _sklearn_loaded():
            return self.declared
        if self._converted is None:
            self._converted = _sklearn_constraints(self.declared)
        return self._converted


def _fit_context(*, prefer_skip_nested_validation: bool) -> Callable[[Any], Any]:
    """scikit-learn's ``_fit_context`` decorator, without importing scikit-learn.

    When scikit-learn is loaded (its configuration, nested validation and
    callbacks may be in use) the decorated ``fit`` runs inside scikit-learn's
    own ``_fit_context``; otherwise it validates the parameters and fits (no
    scikit-learn configuration can have been set).

    Examples
    --------
    >>> class Toy(BaseEstimator):
    ...     _parameter_constraints = {"k": [Interval(Integral, 1, None, closed="left")]}
    ...     def __init__(self, *, k=1):
    ...         self.k = k
    ...     @_fit_context(prefer_skip_nested_validation=True)
    ...     def fit(self, X=None, y=None):
    ...         self.k_ = self.k
    ...         return self
    >>> Toy(k=3).fit().k_
    3
    """

    def decorator(fit_method: Any) -> Any:
        sk_wrapped: list[Any] = []

        @functools.wraps(fit_method)
        def wrapper(estimator: Any, *args: Any, **kwargs: Any) -> Any:
            if "sklearn.base" in sys.modules:
                if not sk_wrapped:
                    from sklearn.base import _fit_context as _sk_fit_context

                    sk_wrapped.append(
                        _sk_fit_context(
                            prefer_skip_nested_validation=prefer_skip_nested_validation
                        )(fit_method)
                    )
                return sk_wrapped[0](estimator, *args, **kwargs)
            estimator._validate_params()
            return fit_method(estimator, *args, **kwargs)

        return wrapper

    return decorator


# --------------------------------------------------------------------------- estimators


def _is_scalar_nan(x: Any) -> bool:
    return isinstance(x, (float, np.floating)) and bool(np.isnan(x))


class BaseEstimator:
    """scikit-learn compatible estimator base that does not import scikit-learn.

    It provides what ``sklearn.base.BaseEstimator`` provides to crmine's
    estimators: ``get_params``/``set_params`` from the keyword arguments of
    ``__init__`` (so ``clone``, grid search and pipelines work), a repr of the
    parameters that differ from their defaults, ``__sklearn_tags__`` and
    ``_validate_params`` against the declared ``_parameter_constraints``.

    Examples
    --------
    >>> class Toy(BaseEstimator):
    ...     def __init__(self, *, k=1, name="a"):
    ...         self.k = k
    ...         self.name = name
    >>> Toy(k=2)
    Toy(k=2)
    >>> Toy().set_params(name="b").get_params()
    {'k': 1, 'name': 'b'}
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("_parameter_constraints")
        if isinstance(declared, dict):
            cls._parameter_constraints = _DeclaredConstraints(declared)  # type: ignore[assignment]

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        params = [
            p
            for p in inspect.signature(init).parameters.values()
            if p.name != "self" and p.kind != p.VAR_KEYWORD
        ]
        for p in params:
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(
                    "scikit-learn estimators should always specify their parameters in the "
                    f"signature of their __init__ (no varargs). {cls} with constructor "
                    f"{inspect.signature(init)} doesn't follow this convention."
                )
        return sorted(p.name for p in params)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default True
            Also return the parameters of contained estimators (``name__param``).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out: dict[str, Any] = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params: Any) -> Any:
        """Set the parameters of this estimator (``name__param`` for contained ones).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            key, delim, sub_key = key.partition("__")
            if key not in valid:
                local_valid = self._get_param_names()
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {self}. "
                    f"Valid parameters are: {local_valid!r}."
                )
            if delim:
                nested.setdefault(key, {})[sub_key] = value
            else:
                setattr(self, key, value)
                valid[key] = value
        for key, sub_params in nested.items():
            valid[key].set_params(**sub_params)
        return self

    def _validate_params(self) -> None:
        validate_parameters(
            type(self)._parameter_constraints,  # type: ignore[attr-defined]
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )

    _parameter_constraints: dict[str, Any] = {}

    def __repr__(self) -> str:
        try:
            init = inspect.signature(type(self).__init__).parameters
        except (TypeError, ValueError):  # pragma: no cover - C-level __init__
            init = {}  # type: ignore[assignment]
        parts = []
        for key, value in self.get_params(deep=False).items():
            default = init[key].default if key in init else inspect.Parameter.empty
            if repr(value) == repr(default) or (_is_scalar_nan(value) and _is_scalar_nan(default)):
                continue
            parts.append(f"{key}={value!r}")
        name = type(self).__name__
        text = f"{name}({', '.join(parts)})"
        if len(text) <= 78:
            return text
        indent = " " * (len(name) + 1)
        lines, line = [], ""
        for i, part in enumerate(parts):
            part += "," if i < len(parts) - 1 else ")"
            if line and len(indent) + len(line) + 1 + len(part) > 78:
                lines.append(line)
                line = part
            else:
                line = f"{line} {part}" if line else part
        lines.append(line)
        return f"{name}(" + f"\n{indent}".join(lines)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import Tags, TargetTags

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            regressor_tags=None,
            classifier_tags=None,
        )


class TransformerMixin:
    """scikit-learn compatible transformer mixin that does not import scikit-learn.

    Adds ``fit_transform`` and the transformer tag; put it before
    :class:`BaseEstimator` in the bases.

    Examples
    --------
    >>> class Double(TransformerMixin, BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def transform(self, X):
    ...         return [2 * x for x in X]
    >>> Double().fit_transform([1, 2])
    [2, 4]
    """

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit to ``X`` (and ``y``), then transform ``X``.

        Parameters
        ----------
        X : table or array-like
            Input.
        y : array-like, optional
            Target, passed to ``fit`` when given.
        **fit_params : dict
            Passed to ``fit``.

        Returns
        -------
        X_new : table or array-like
            ``self.fit(X, ...).transform(X)``.
        """
        if y is None:
            return self.fit(X, **fit_params).transform(X)  # type: ignore[attr-defined]
        return self.fit(X, y, **fit_params).transform(X)  # type: ignore[attr-defined]

    def set_output(self, *, transform: str | None = None) -> Any:
        """Choose the output container; crmine's transformers return pandas already.

        Parameters
        ----------
        transform : {"default", "pandas"} or None
            ``"default"``, ``"pandas"`` and ``None`` keep the pandas output
            (``Pipeline.set_output`` calls this on every step).

        Returns
        -------
        self : estimator instance

        Raises
        ------
        ValueError
            For any other container (e.g. ``"polars"``): convert the pandas
            result yourself (``polars.from_pandas``).
        """
        if transform not in (None, "default", "pandas"):
            raise ValueError(
                f"{type(self).__name__} returns a pandas DataFrame; set_output(transform="
                f"{transform!r}) is not supported. Fix: use 'pandas' or 'default' and convert "
                "the result (e.g. polars.from_pandas)."
            )
        return self

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.transformer_tags = TransformerTags()
        return tags
