"""Uplift models: scikit-learn meta-estimators that predict the treatment effect."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from crmine.exceptions import DataWarning, SchemaError

__all__ = ["ClassTransformationUplift", "TwoModelUplift"]

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - scikit-learn < 1.6

    def _validate_data(est, X, y=None, reset=True, **kw):  # type: ignore[no-redef]
        if y is None:
            return est._validate_data(X, reset=reset, **kw)
        return est._validate_data(X, y, reset=reset, **kw)


def _check_treatment(treatment: Any, n: int) -> np.ndarray:
    if treatment is None:
        raise SchemaError(
            "treatment is required: call fit(X, y, treatment) with a 0/1 vector "
            "(1 = treated, 0 = control)."
        )
    t = np.asarray(treatment).ravel()
    if t.size != n:
        raise SchemaError(f"treatment has {t.size} entries but X has {n} rows.")
    if t.dtype == bool:
        t = t.astype(np.int64)
    if not np.issubdtype(t.dtype, np.number) or np.isnan(t.astype(float)).any():
        raise SchemaError(
            f"treatment must be numeric 0/1 without missing values, got dtype {t.dtype}."
        )
    bad = t[(t != 0) & (t != 1)]
    if bad.size:
        raise SchemaError(
            f"treatment must contain only 0/1, found {bad.size} other value(s) such as "
            f"{bad[0]!r}; encode treated customers as 1 and controls as 0."
        )
    if n == 1:
        raise SchemaError(
            "n_samples=1: an uplift model needs treated (1) and control (0) customers."
        )
    if t.min() == t.max():
        raise SchemaError(
            f"treatment is {int(t[0])} for every customer; an uplift model needs both treated "
            "(1) and control (0) customers."
        )
    return t.astype(np.int64)


def _check_binary_y(y: np.ndarray) -> np.ndarray:
    bad = y[(y != 0) & (y != 1)]
    if bad.size:
        raise SchemaError(
            f"y must contain only 0/1 for a classifier, found {bad.size} other value(s) such "
            f"as {bad[0]!r}; binarise the response or use a regressor."
        )
    return y.astype(np.int64)


def _fit_or_constant(est: Any, X: np.ndarray, y: np.ndarray, what: str) -> Any:
    """Fit ``est``; a classifier facing a single class becomes a constant model."""
    if is_classifier(est) and np.unique(y).size < 2:
        warnings.warn(
            f"{what} contains only y={y[0]!r}; a constant model predicts it (probability "
            f"{float(y[0] == 1):.0f}). Collect more data for a useful model.",
            DataWarning,
            stacklevel=3,
        )
        return DummyClassifier(strategy="prior").fit(X, y)
    return est.fit(X, y)


def _positive_proba(est: Any, X: np.ndarray) -> np.ndarray:
    proba = est.predict_proba(X)
    classes = list(est.classes_)
    if 1 not in classes:
        return np.zeros(X.shape[0])
    return proba[:, classes.index(1)]


class TwoModelUplift(MetaEstimatorMixin, BaseEstimator):
    r"""Two-model (T-learner) uplift: one outcome model per arm.

    Fits :math:`\mu_1(x) = E[Y \mid X=x, T=1]` on the treated and
    :math:`\mu_0(x) = E[Y \mid X=x, T=0]` on the controls; the predicted
    uplift is :math:`\hat\tau(x) = \hat\mu_1(x) - \hat\mu_0(x)`.  With a
    classifier the outcome is the probability of ``y == 1`` (``y`` must be
    0/1); with a regressor it is the predicted value (e.g. revenue).  Same
    predictions as scikit-uplift's ``TwoModels(method="vanilla")``.

    Parameters
    ----------
    estimator : estimator, default LogisticRegression()
        Outcome model (cloned) for the treated arm, and for the control arm
        unless ``control_estimator`` is given.
    control_estimator : estimator, optional
        Separate outcome model for the control arm.

    Attributes
    ----------
    estimator_treated_ : estimator
        Model fitted on the treated customers.
    estimator_control_ : estimator
        Model fitted on the control customers.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> t = rng.integers(0, 2, 2000)
    >>> y = (rng.random(2000) < 0.2 + 0.3 * t * (X[:, 0] > 0)).astype(int)
    >>> model = TwoModelUplift().fit(X, y, t)
    >>> u = model.predict(np.array([[2.0, 0.0], [-2.0, 0.0]]))
    >>> bool(u[0] > 0.2 > abs(u[1]))
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "control_estimator": [HasMethods(["fit", "predict"]), None],
    }

    def __init__(self, estimator: Any = None, *, control_estimator: Any = None) -> None:
        self.estimator = estimator
        self.control_estimator = control_estimator

    def _outcome(self, est: Any, X: np.ndarray) -> np.ndarray:
        if is_classifier(est):
            return _positive_proba(est, X)
        return np.asarray(est.predict(X), dtype=float)

    def fit(self, X: Any, y: Any, treatment: Any) -> TwoModelUplift:
        """Fit one outcome model per arm.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Customer features.
        y : array-like of shape (n_samples,)
            Outcome (0/1 for a classifier, numeric for a regressor).
        treatment : array-like of shape (n_samples,)
            1 = treated, 0 = control.

        Returns
        -------
        self : TwoModelUplift
            The fitted model.
        """
        self._validate_params()
        X, y = _validate_data(self, X, y, y_numeric=True)
        t = _check_treatment(treatment, X.shape[0])
        treated = clone(self.estimator if self.estimator is not None else LogisticRegression())
        base_c = self.control_estimator if self.control_estimator is not None else treated
        control = clone(base_c)
        for est in (treated, control):
            if is_classifier(est):
                y = _check_binary_y(y)
        self.estimator_treated_ = _fit_or_constant(treated, X[t == 1], y[t == 1], "the treated arm")
        self.estimator_control_ = _fit_or_constant(control, X[t == 0], y[t == 0], "the control arm")
        return self

    def predict_outcomes(self, X: Any) -> np.ndarray:
        """Predicted outcome under control and under treatment.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Customer features.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Column 0: outcome if not treated, column 1: outcome if treated.
        """
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return np.column_stack(
            [
                self._outcome(self.estimator_control_, X),
                self._outcome(self.estimator_treated_, X),
            ]
        )

    def predict(self, X: Any) -> np.ndarray:
        """Predicted uplift ``outcome if treated - outcome if not treated``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Customer features.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted uplift.
        """
        out = self.predict_outcomes(X)
        return out[:, 1] - out[:, 0]


class ClassTransformationUplift(MetaEstimatorMixin, BaseEstimator):
    r"""Class-transformation uplift (Jaskowski & Jaroszewicz 2012).

    A single classifier learns the transformed target
    :math:`Z = Y T + (1 - Y)(1 - T)` (1 for treated responders and control
    non-responders).  When half of the customers are treated,
    :math:`\tau(x) = 2 P(Z = 1 \mid x) - 1`, which ``predict`` returns.  A
    :class:`~crmine.exceptions.DataWarning` is emitted when the treated share
    is outside [0.45, 0.55], where this identity no longer holds.  ``y`` must
    be 0/1.  Same predictions as scikit-uplift's ``ClassTransformation``.

    Parameters
    ----------
    estimator : classifier, default LogisticRegression()
        Probabilistic classifier (cloned) for :math:`Z`.

    Attributes
    ----------
    estimator_ : classifier
        Fitted classifier of the transformed target.
    treatment_share_ : float
        Share of treated customers in the training data.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> t = rng.integers(0, 2, 2000)
    >>> y = (rng.random(2000) < 0.2 + 0.3 * t * (X[:, 0] > 0)).astype(int)
    >>> model = ClassTransformationUplift().fit(X, y, t)
    >>> u = model.predict(np.array([[2.0, 0.0], [-2.0, 0.0]]))
    >>> bool(u[0] > u[1])
    True
    """

    _parameter_constraints: dict = {"estimator": [HasMethods(["fit", "predict_proba"]), None]}

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any, treatment: Any) -> ClassTransformationUplift:
        """Fit the classifier of the transformed target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Customer features.
        y : array-like of shape (n_samples,)
            Binary outcome (0/1).
        treatment : array-like of shape (n_samples,)
            1 = treated, 0 = control.

        Returns
        -------
        self : ClassTransformationUplift
            The fitted model.
        """
        self._validate_params()
        X, y = _validate_data(self, X, y, y_numeric=True)
        t = _check_treatment(treatment, X.shape[0])
        y = _check_binary_y(y)
        est = clone(self.estimator if self.estimator is not None else LogisticRegression())
        if not hasattr(est, "predict_proba"):
            raise TypeError(
                f"estimator {type(est).__name__} has no predict_proba; ClassTransformationUplift "
                "needs a probabilistic classifier."
            )
        self.treatment_share_ = float(t.mean())
        if abs(self.treatment_share_ - 0.5) > 0.05:
            warnings.warn(
                f"treated share is {self.treatment_share_:.3f}; the class transformation "
                "uplift = 2 P(Z=1) - 1 assumes a 50/50 split. Rebalance the arms or use "
                "TwoModelUplift.",
                DataWarning,
                stacklevel=2,
            )
        z = (y == t).astype(np.int64)
        self.estimator_ = _fit_or_constant(est, X, z, "the transformed target Z")
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted uplift ``2 P(Z = 1 | x) - 1``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Customer features.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted uplift in [-1, 1].
        """
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return 2.0 * _positive_proba(self.estimator_, X) - 1.0
