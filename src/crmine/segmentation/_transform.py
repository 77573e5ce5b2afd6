"""The skew transform and scaling of the segmenter, and a cheap count of distinct rows."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import PowerTransformer, RobustScaler, StandardScaler

from crmine.exceptions import SchemaError


def feature_columns(
    X: pd.DataFrame, features: Sequence[Any] | None, default: Sequence[str]
) -> list[Any]:
    """The clustered columns: ``features``, else ``default`` when all present, else all."""
    if features is not None:
        cols = list(features)
    elif all(c in X.columns for c in default):
        cols = list(default)
    else:
        cols = list(X.columns)
    if not cols:
        raise SchemaError("features is empty: name at least one numeric column of X.")
    if len(set(cols)) != len(cols):
        raise SchemaError(f"features={cols!r} names a column twice; list each once.")
    return cols


def _signed_log1p(x: np.ndarray) -> np.ndarray:
    out = np.abs(np.asarray(x, dtype=float))
    np.log1p(out, out=out)
    return np.copysign(out, x, out=out)


def _signed_expm1(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.expm1(np.abs(x))


def _n_distinct_at_least(X: np.ndarray, needed: int) -> int:
    """Number of distinct rows of X, exact whenever it is below ``needed``.

    Counting distinct rows sorts the whole table; the first rows usually show
    enough distinct customers already, so the full count is only made when
    they do not.
    """
    head = len(np.unique(X[:2048], axis=0))
    if head >= needed or len(X) <= 2048:
        return head
    return len(np.unique(X, axis=0))


class SkewScaler:
    """Signed log1p or Yeo-Johnson, then standard or robust scaling (each optional).

    Examples
    --------
    >>> import numpy as np
    >>> SkewScaler("log1p", None).fit_transform(np.array([[0.0], [np.e - 1]])).ravel().tolist()
    [0.0, 1.0]
    """

    def __init__(self, skew: str | None, scaling: str | None) -> None:
        self.skew = skew
        self.scaling = scaling

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """Fit the skew transform and the scaler on X; return X in model space."""
        if self.skew == "yeo-johnson":
            self._power = PowerTransformer(method="yeo-johnson", standardize=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                Z = self._power.fit_transform(X)
        else:
            self._power = None
            Z = _signed_log1p(X) if self.skew == "log1p" else X.copy()
        if self.scaling == "standard":
            self._scaler = StandardScaler()
        elif self.scaling == "robust":
            self._scaler = RobustScaler()
        else:
            self._scaler = None
        if self._scaler is not None:
            Z = self._scaler.fit_transform(Z)
        return Z

    def transform(self, X: np.ndarray) -> np.ndarray:
        """X in model space."""
        if self.skew == "yeo-johnson":
            Z = self._power.transform(X)
        elif self.skew == "log1p":
            Z = _signed_log1p(X)
        else:
            Z = X
        if self._scaler is not None:
            Z = self._scaler.transform(Z)
        return Z

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Model space back to the units of the features."""
        if self._scaler is not None:
            Z = self._scaler.inverse_transform(Z)
        if self.skew == "yeo-johnson":
            return self._power.inverse_transform(Z)
        if self.skew == "log1p":
            return _signed_expm1(Z)
        return np.array(Z, dtype=float)
