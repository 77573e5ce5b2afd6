"""Uplift models: scikit-learn meta-estimators that predict the treatment effect."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from crmine.base import CustomerEstimatorMixin, HasMethods, _fit_context, on_customers
from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._validation import (
    check_binary,
    check_is_fitted,
    check_treatment,
    customer_frame,
    to_pandas,
    validate_data,
)

__all__ = ["ClassTransformationUplift", "TwoModelUplift", "uplift_scores"]


def _features(X: Any) -> tuple[Any, pd.Index | None]:
    """``X`` with polars/pyarrow converted by name, and its customer index (tables only)."""
    X = customer_frame(X, name="X")
    index = X.index if isinstance(X, pd.DataFrame) else None
    return X, index

def _outcome_vector(y: Any) -> Any:
    if y is None:
        raise SchemaError(
            "y is required: call fit(X, y, treatment) with the observed outcome per customer "
            "(0/1 response, or a numeric value with a regressor)."
        )
    return to_pandas(y, name="y")


def _treatment(treatment: Any, n: int) -> np.ndarray:
    if treatment is None:
        raise SchemaError(
            "treatment is required: call fit(X, y, treatment) with a 0/1 vector "
            "(1 = treated, 0 = control)."
        )
    if n == 1:
        raise SchemaError(
            "n_samples=1: an uplift model needs treated (1) and control (0) customers; "
            "pass the campaign's customers."
        )
    return check_treatment(treatment, name="treatment", n=n).astype(np.int64)


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


class TwoModelUplift(CustomerEstimatorMixin, MetaEstimatorMixin, BaseEstimator):
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

    def __init__(self, *, estimator: Any = None, control_estimator: Any = None) -> None:
        self.estimator = estimator
        self.control_estimator = control_estimator

    def _outcome(self, est: Any, X: np.ndarray) -> np.ndarray:
        if is_classifier(est):
            return _positive_proba(est, X)
        return np.asarray(est.predict(X), dtype=float)

    @_fit_context(prefer_skip_nested_validation=False)
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
        X, _ = _features(X)
        X, y = validate_data(self, X, _outcome_vector(y), y_numeric=True)
        t = _treatment(treatment, X.shape[0])
        treated = clone(self.estimator if self.estimator is not None else LogisticRegression())
        base_c = self.control_estimator if self.control_estimator is not None else treated
        control = clone(base_c)
        if is_classifier(treated) or is_classifier(control):
            y = check_binary(y, name="y").astype(np.int64)
        self.estimator_treated_ = _fit_or_constant(treated, X[t == 1], y[t == 1], "the treated arm")
        self.estimator_control_ = _fit_or_constant(control, X[t == 0], y[t == 0], "the control arm")
        return self

    def _outcomes(self, X: Any) -> tuple[np.ndarray, pd.Index | None]:
        check_is_fitted(self)
        X, index = _features(X)
        Xv = validate_data(self, X, reset=False)
        out = np.column_stack(
            [
                self._outcome(self.estimator_control_, Xv),
                self._outcome(self.estimator_treated_, Xv),
            ]
        )
        return out, index

    def predict_outcomes(self, X: Any) -> pd.DataFrame | np.ndarray:
        """Predicted outcome under control and under treatment.

        Parameters
        ----------
        X : array-like or table of shape (n_samples, n_features)
            Customer features.

        Returns
        -------
        DataFrame or ndarray of shape (n_samples, 2)
            ``outcome_control`` (if not treated) and ``outcome_treated`` (if
            treated); a DataFrame on the customer index for a table, an array
            for an array.
        """
        out, index = self._outcomes(X)
        return on_customers(out, index, ["outcome_control", "outcome_treated"])

    def predict(self, X: Any) -> pd.Series | np.ndarray:
        """Predicted uplift ``outcome if treated - outcome if not treated``.

        Parameters
        ----------
        X : array-like or table of shape (n_samples, n_features)
            Customer features.

        Returns
        -------
        Series or ndarray of shape (n_samples,)
            Predicted uplift: a Series ``uplift`` on the customer index for a
            table, an array for an array.
        """
        out, index = self._outcomes(X)
        return on_customers(out[:, 1] - out[:, 0], index, "uplift")


class ClassTransformationUplift(CustomerEstimatorMixin, MetaEstimatorMixin, BaseEstimator):
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

    def __init__(self, *, estimator: Any = None) -> None:
        self.estimator = estimator

    @_fit_context(prefer_skip_nested_validation=False)
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
        X, _ = _features(X)
        X, y = validate_data(self, X, _outcome_vector(y), y_numeric=True)
        t = _treatment(treatment, X.shape[0])
        y = check_binary(y, name="y").astype(np.int64)
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

    def predict(self, X: Any) -> pd.Series | np.ndarray:
        """Predicted uplift ``2 P(Z = 1 | x) - 1``.

        Parameters
        ----------
        X : array-like or table of shape (n_samples, n_features)
            Customer features.

        Returns
        -------
        Series or ndarray of shape (n_samples,)
            Predicted uplift in [-1, 1]: a Series ``uplift`` on the customer
            index for a table, an array for an array.
        """
        check_is_fitted(self)
        X, index = _features(X)
        Xv = validate_data(self, X, reset=False)
        return on_customers(2.0 * _positive_proba(self.estimator_, Xv) - 1.0, index, "uplift")


_MODELS = {"two_model": TwoModelUplift, "class_transformation": ClassTransformationUplift}


def uplift_scores(
    customers: Any,
    *,
    features: list[str] | None = None,
    response_col: str = "response",
    treatment_col: str = "treatment",
    model: str = "two_model",
    estimator: Any = None,
) -> pd.DataFrame:
    """One-line uplift model: fit on a randomised campaign, score every customer.

    Fits :class:`TwoModelUplift` (``model="two_model"``) or
    :class:`ClassTransformationUplift` (``"class_transformation"``) on the
    customers of a randomised campaign and returns the predicted uplift of
    each of them.  To score customers outside the campaign, fit the model
    class and call its ``predict``.

    Parameters
    ----------
    customers : DataFrame or polars/pyarrow table
        One row per customer (index, or ``customer_id`` column, = customer
        id) with the feature columns, the 0/1 response and the 0/1 treatment.
    features : list of str or None, default=None
        Input columns of the model; ``None`` takes every numeric column except
        the response and the treatment.
    response_col, treatment_col : str
        Columns with the observed response (0/1) and the treatment flag
        (1 = treated, 0 = control).
    model : {"two_model", "class_transformation"}, default="two_model"
        The uplift model.
    estimator : estimator or None, default=None
        Outcome model (``LogisticRegression()`` when ``None``).

    Returns
    -------
    DataFrame
        Indexed by customer id with ``uplift`` (and, for the two-model
        approach, ``outcome_control`` and ``outcome_treated``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> t = rng.integers(0, 2, 2000)
    >>> y = (rng.random(2000) < 0.2 + 0.3 * t * (x > 0)).astype(int)
    >>> camp = pd.DataFrame({"x": x, "response": y, "treatment": t},
    ...                     index=pd.Index(range(2000), name="customer_id"))
    >>> scores = uplift_scores(camp, features=["x"])
    >>> list(scores.columns), scores.index.name
    (['uplift', 'outcome_control', 'outcome_treated'], 'customer_id')
    >>> u = scores["uplift"]
    >>> bool(u[camp["x"] > 1].mean() > u[camp["x"] < -1].mean())
    True
    """
    if model not in _MODELS:
        raise SchemaError(
            f"uplift_scores: model={model!r} is not a model; use 'two_model' or "
            "'class_transformation'."
        )
    if type(customers).__name__ == "LazyFrame":
        raise SchemaError("uplift_scores: customers is a polars LazyFrame; pass .collect().")
    frame = customer_frame(customers, name="customers")
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(
            f"uplift_scores reads a table by column name and got {type(customers).__name__}; "
            "pass a pandas/polars/pyarrow table."
        )
    if not isinstance(customers, pd.DataFrame) and "customer_id" in frame.columns:
        frame = frame.set_index("customer_id")
    missing = [
        f"{role} column {col!r}"
        for role, col in (("response", response_col), ("treatment", treatment_col))
        if col not in frame.columns
    ]
    if features is None:
        features = [
            c
            for c in frame.columns
            if c not in (response_col, treatment_col)
            and pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])
        ]
        if not features:
            raise SchemaError(
                "uplift_scores: no numeric feature column besides the response and the "
                "treatment; pass features=[...]."
            )
    else:
        features = list(features)
        missing += [f"feature column {c!r}" for c in features if c not in frame.columns]
        leak = [c for c in features if c in (response_col, treatment_col)]
        if leak:
            raise SchemaError(
                f"uplift_scores: features {leak} include the response or the treatment column; "
                "a model that sees them predicts nothing about other customers. Fix: leave "
                "them out of features=."
            )
    if missing:
        raise SchemaError(
            f"uplift_scores: {', '.join(missing)} not found (columns: "
            f"{list(frame.columns)[:12]}). Fix: pass response_col=, treatment_col= or "
            "features= with existing column names."
        )
    if frame.empty:
        raise SchemaError("uplift_scores got an empty table; pass the campaign's customers.")
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise SchemaError(
            f"uplift_scores: duplicated customer ids {dup}; pass one row per customer."
        )
    X = frame[features]
    est = _MODELS[model](estimator=estimator)
    est.fit(X, frame[response_col], frame[treatment_col])
    if model == "two_model":
        out = est.predict_outcomes(X)
        out.insert(0, "uplift", out["outcome_treated"] - out["outcome_control"])
        return out
    return est.predict(X).to_frame()
