"""The mixins every customer-level estimator and result builds on.

* :class:`CustomerEstimatorMixin` -- for estimators whose input is a customer
  table (one row per customer, index = customer id): results per customer come
  back as a ``pandas.Series``/``DataFrame`` on the customer index
  (:meth:`CustomerEstimatorMixin._on_customers`), never as a bare array when
  the input had an index.
* :class:`Result` -- the base of every result object that carries metadata:
  a frozen dataclass with a ``.table`` DataFrame, a one-line ``__repr__`` with
  the headline numbers and ``_repr_html_`` for notebooks.

Parameter validation is declared: estimators list ``_parameter_constraints``
in scikit-learn's constraint language (``Interval``, ``StrOptions``,
``Options``, ``HasMethods``, types, ``None``, ``"boolean"``, ...) and wrap
``fit`` in ``@_fit_context(prefer_skip_nested_validation=True)``.  "Not
fitted" is :func:`crmine.utils._validation.check_is_fitted` (scikit-learn's
semantics and message).

The scikit-learn compatible :class:`BaseEstimator` and :class:`TransformerMixin`
and the constraint types live in :mod:`crmine._estimator` (they import
scikit-learn only when needed; see there) and are re-exported here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from crmine._estimator import (  # noqa: F401  (re-exported)
    BaseEstimator,
    HasMethods,
    Integral,
    Interval,
    Options,
    Real,
    StrOptions,
    TransformerMixin,
    _fit_context,
    invalid_parameter,
)

__all__ = [
    "BaseEstimator",
    "CustomerEstimatorMixin",
    "Result",
    "TransformerMixin",
    "on_customers",
]
# also importable from here, for declared parameter constraints:
# HasMethods, Integral, Interval, Options, Real, StrOptions, _fit_context,
# invalid_parameter (raises scikit-learn's InvalidParameterError)


def on_customers(values: Any, index: pd.Index | None, name: str | None = None) -> Any:
    """Put per-customer values on the customer index.

    1-D values become a ``Series`` named ``name``; 2-D values a ``DataFrame``
    (``name`` is then a list of column names or ``None``).  Without an index
    (array input) the values are returned as a numpy array.

    Examples
    --------
    >>> import pandas as pd
    >>> on_customers([0.1, 0.7], pd.Index(["a", "b"], name="customer_id"), "churn_score")
    customer_id
    a    0.1
    b    0.7
    Name: churn_score, dtype: float64
    """
    arr = np.asarray(values)
    if index is None:
        return arr
    if arr.ndim == 1:
        return pd.Series(arr, index=index, name=name)
    return pd.DataFrame(arr, index=index, columns=name)


class CustomerEstimatorMixin:
    """Mixin for estimators fitted on a customer table.

    Subclasses read their input with
    :func:`crmine.utils._validation.read_customer_table` (which records
    ``n_features_in_``/``feature_names_in_``) and return per-customer results
    through :meth:`_on_customers`.
    """

    @staticmethod
    def _on_customers(values: Any, index: pd.Index | None, name: Any = None) -> Any:
        return on_customers(values, index, name)


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True, repr=False)
class Result:
    """Base of crmine's result objects: a frozen dataclass with a ``.table``.

    Subclasses are ``@dataclass(frozen=True, repr=False)`` with a ``table``
    field and may override :meth:`_headline` (a mapping of the few numbers
    worth a glance).  ``repr`` is one line; notebooks show the headline and
    the table.

    Examples
    --------
    >>> import pandas as pd
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, repr=False)
    ... class Toy(Result):
    ...     total: float = 0.0
    >>> Toy(table=pd.DataFrame({"a": [1, 2]}), total=3.5)
    Toy(total=3.5, table=2x1)
    """

    table: pd.DataFrame

    def _headline(self) -> dict[str, Any]:
        """Headline numbers: by default every scalar field."""
        out = {}
        for f in fields(self):
            if f.name == "table":
                continue
            value = getattr(self, f.name)
            if value is None or isinstance(value, (int, float, str, bool, np.number)):
                out[f.name] = value
        return out

    def __repr__(self) -> str:
        parts = [f"{k}={_fmt(v)}" for k, v in self._headline().items()]
        shape = getattr(self.table, "shape", None)
        if shape is not None:
            parts.append(f"table={shape[0]}x{shape[1]}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _repr_html_(self) -> str:
        head = ", ".join(
            f"<b>{html.escape(k)}</b> {html.escape(_fmt(v))}" for k, v in self._headline().items()
        )
        table = self.table.to_html(max_rows=20) if hasattr(self.table, "to_html") else ""
        return f"<div><p>{html.escape(type(self).__name__)}: {head}</p>{table}</div>"
