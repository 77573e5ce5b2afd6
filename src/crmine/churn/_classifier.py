"""ChurnClassifier: a churn model for raw, mixed-type customer tables.

A scikit-learn classifier that takes a raw customer table (numbers, text
numbers with blanks, strings/categories, booleans, missing values),
preprocesses it internally (sparse one-hot encoding, identifiers dropped) and
fits a logistic regression (default), histogram gradient boosting, a random
forest or any scikit-learn classifier.  It handles class imbalance, optional
probability calibration, warns when one feature alone predicts the label
almost perfectly (a leakage suspicion) and computes permutation importances
only when asked (:meth:`ChurnClassifier.permutation_importance`, or
``importance_holdout=``), exactly and cheaply for linear models.
"""

from __future__ import annotations

import logging
import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier

from crmine.base import HasMethods, Interval, StrOptions, _fit_context, on_customers
from crmine.churn._importance import (
    PermutationImportance,
    _single_feature_auc,
    holdout_importances,
    permutation_drops,
)
from crmine.churn._table import (
    check_labels,
    column_or_1d_checked,
    make_preprocessor,
    prepare,
    read_frame,
    split_columns,
)
from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._validation import check_is_fitted, customer_frame, show_values, to_pandas

__all__ = ["ChurnClassifier", "PermutationImportance"]

logger = logging.getLogger(__name__)

_MODELS = ("logistic", "gradient_boosting", "random_forest")


class ChurnClassifier(ClassifierMixin, BaseEstimator):
    """Churn classifier for raw, mixed-type customer tables.

    ``fit`` splits the columns of ``X`` into numeric (numbers and booleans)
    and categorical (strings, ``category``, objects) and builds an internal
    :class:`~sklearn.compose.ColumnTransformer`:

    - text columns holding numbers (e.g. Telco's ``TotalCharges``, with blank
      cells for new customers) are read as numbers; the blanks become missing
      values and a :class:`~crmine.exceptions.DataWarning` names the column
      and counts them;
    - categorical columns with more distinct values than half the rows (at
      least 20 rows) look like identifiers, and date columns do not carry
      over from one cutoff to the next: both are dropped with a
      ``DataWarning`` (``dropped_features_``), so the table of
      :class:`~crmine.features.TransactionFeatures` can be passed as it is;
    - numeric: median imputation with missing-value indicator columns, then
      standardisation;
    - categorical: missing values become the category ``"missing"``, then
      sparse one-hot encoding with ``handle_unknown="ignore"`` (a category
      first seen at predict time is encoded as all zeros).  The encoded
      matrix stays sparse for models that accept it (logistic regression,
      random forest) and is dense otherwise.

    The encoded matrix goes to ``model``.  The label is binary; the positive
    class (churn) is ``classes_[1]``, i.e. the larger label in sorted order
    (1, ``True``, ``"Yes"`` against ``"No"``).

    Parameters
    ----------
    features : list of str or None, default=None
        Columns of the customer table the model uses; ``None`` uses every
        column (identifiers and dates excepted, see above).
    model : {"logistic", "gradient_boosting", "random_forest"} or classifier, default="logistic"
        ``"logistic"``: :class:`~sklearn.linear_model.LogisticRegression`
        (L2, ``C=1``, ``max_iter=1000``); ``"gradient_boosting"``:
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`;
        ``"random_forest"``: :class:`~sklearn.ensemble.RandomForestClassifier`
        (200 trees, ``min_samples_leaf=10``).  Any unfitted scikit-learn
        classifier with ``predict_proba`` is cloned and used as is.
    class_weight : {"balanced"}, dict or None, default=None
        Class imbalance handling.  Passed to the model's ``class_weight``
        parameter when it has one, otherwise turned into ``sample_weight``
        (:func:`sklearn.utils.class_weight.compute_sample_weight`).  ``None``
        keeps the predicted probabilities on the scale of the observed churn
        rate (recommended when the probabilities are used as such, e.g. with
        :func:`crmine.evaluation.profit_curve`); ``"balanced"`` raises recall
        at the 0.5 threshold.  Ranking metrics (ROC AUC, lift) barely change.
    calibration : {"sigmoid", "isotonic"} or None, default=None
        Wrap the model in :class:`~sklearn.calibration.CalibratedClassifierCV`
        (3-fold) to calibrate the probabilities.
    importance_holdout : float in (0, 1) or None, default=None
        Compute permutation importances during ``fit``: this fraction of the
        rows is held out (stratified; by ``groups`` when given), a copy of the
        pipeline is fitted on the other rows, each raw column is permuted
        ``n_repeats`` times in the held-out rows and the mean drop of ROC AUC
        is reported; the final model is then refitted on all rows.  ``None``
        (default) fits once; importances are then computed on request on your
        own held-out customers with :meth:`permutation_importance`.
    n_repeats : int, default=5
        Permutations per column for the importances.
    leakage_threshold : float in (0.5, 1] or None, default=0.99
        Warn (:class:`~crmine.exceptions.DataWarning`) when one column alone
        reaches this ROC AUC on the training data (categorical columns are
        target-encoded out of fold).  ``None`` disables the check.
    random_state : int, RandomState instance or None, default=None
        Seeds the model, the importance hold-out split and the permutations.

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (2,)
        Class labels; ``classes_[1]`` is the churn class.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : numpy.ndarray of str
        Input column names (only when ``X`` is a DataFrame with string names).
    numeric_features_ : list of str
        Columns treated as numeric (numeric-looking text included).
    categorical_features_ : list of str
        Columns treated as categorical.
    coerced_features_ : list of str
        Text columns read as numbers (blank cells = missing).
    dropped_features_ : list of str
        Identifier-like and date columns ignored by the model (each with a
        ``DataWarning`` in ``fit``).
    preprocessor_ : sklearn.compose.ColumnTransformer
        Fitted preprocessing step.
    estimator_ : classifier
        Fitted model (a ``CalibratedClassifierCV`` when ``calibration`` is set).
    feature_importances_ : pandas.Series
        Mean drop of held-out ROC AUC when the column is permuted, indexed by
        input column (only when ``importance_holdout`` is not ``None``; see
        :meth:`permutation_importance` otherwise).
    feature_importances_std_ : pandas.Series
        Standard deviation of the drop over the ``n_repeats`` permutations.
    importance_baseline_auc_ : float
        ROC AUC on the held-out rows before any permutation (not set when the
        data are too small to hold rows out; the importances are then ``nan``).
    single_feature_auc_ : pandas.Series
        ROC AUC of each column alone (>= 0.5) used by the leakage check
        (only when ``leakage_threshold`` is not ``None``).

    See Also
    --------
    churn_labels : labels and features from a transaction log.
    churn_scores : the one-liner (out-of-fold churn probabilities per customer).
    churn_rules : readable rules beside the probability model.
    crmine.evaluation.churn_report : ROC AUC, PR AUC, Brier, lift and KS.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.churn import ChurnClassifier
    >>> X = pd.DataFrame({
    ...     "tenure": [1, 2, 30, 40, 3, 50, 2, 45],
    ...     "contract": ["month", "month", "year", "year", "month", "year", None, "year"],
    ... })
    >>> y = [1, 1, 0, 0, 1, 0, 1, 0]
    >>> clf = ChurnClassifier(random_state=0).fit(X, y)
    >>> clf.predict(pd.DataFrame({"tenure": [2, 60], "contract": ["month", "weekly"]})).tolist()
    [1, 0]
    >>> clf.categorical_features_
    ['contract']
    >>> clf.churn_probability(X.head(2)).round(2).tolist()
    [0.85, 0.85]
    """

    _parameter_constraints: dict = {
        "features": [list, tuple, None],
        "model": [StrOptions(set(_MODELS)), HasMethods(["fit", "predict_proba"])],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "calibration": [StrOptions({"sigmoid", "isotonic"}), None],
        "importance_holdout": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "leakage_threshold": [Interval(numbers.Real, 0.5, 1, closed="right"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        features: list[str] | None = None,
        model: str | Any = "logistic",
        class_weight: str | dict | None = None,
        calibration: str | None = None,
        importance_holdout: float | None = None,
        n_repeats: int = 5,
        leakage_threshold: float | None = 0.99,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.features = features
        self.model = model
        self.class_weight = class_weight
        self.calibration = calibration
        self.importance_holdout = importance_holdout
        self.n_repeats = n_repeats
        self.leakage_threshold = leakage_threshold
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        return tags

    # -------------------------------------------------------------- building
    def _make_model(self) -> Any:
        m = self.model
        rs = self.random_state
        if not isinstance(m, str):
            return clone(m)
        if m == "logistic":
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(max_iter=1000)
        if m == "gradient_boosting":
            from sklearn.ensemble import HistGradientBoostingClassifier

            return HistGradientBoostingClassifier(random_state=rs)
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=200, min_samples_leaf=10, random_state=rs)

    def _fit_pipeline(
        self, df: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> tuple[Any, Any]:
        from sklearn.utils import get_tags
        from sklearn.utils.class_weight import compute_sample_weight

        est = self._make_model()
        pre = make_preprocessor(
            self.numeric_features_,
            self.categorical_features_,
            sparse=bool(get_tags(est).input_tags.sparse),
        )
        Z = pre.fit_transform(df)
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if self.class_weight is not None:
            if "class_weight" in est.get_params():
                est.set_params(class_weight=self.class_weight)
            else:
                cw = compute_sample_weight(self.class_weight, y)
                sw = cw if sw is None else sw * cw
        if self.calibration is not None:
            from sklearn.calibration import CalibratedClassifierCV

            est = CalibratedClassifierCV(est, method=self.calibration, cv=3)
        if sw is None:
            est.fit(Z, y)
        else:
            try:
                est.fit(Z, y, sample_weight=sw)
            except TypeError as exc:
                raise TypeError(
                    f"model {type(est).__name__} does not accept sample_weight, needed for "
                    "class_weight/sample_weight; pick a model with a class_weight parameter "
                    "or set class_weight=None."
                ) from exc
        return pre, est

    def _blocks(self, pre: Any) -> list[np.ndarray]:
        """Return, for each input column, the indices of its encoded columns."""
        blocks: dict[str, list[int]] = {c: [] for c in self._columns}
        if self.numeric_features_:
            sl = pre.output_indices_["num"]
            num = list(self.numeric_features_)
            imp = pre.named_transformers_["num"].named_steps["impute"]
            for i, c in enumerate(num):
                blocks[c].append(sl.start + i)
            if imp.indicator_ is not None:
                for k, f in enumerate(imp.indicator_.features_):
                    blocks[num[f]].append(sl.start + len(num) + k)
        if self.categorical_features_:
            start = pre.output_indices_["cat"].start
            enc = pre.named_transformers_["cat"]
            for c, cats in zip(self.categorical_features_, enc.categories_):
                blocks[c].extend(range(start, start + len(cats)))
                start += len(cats)
        return [np.asarray(blocks[c], dtype=int) for c in self._columns]

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        groups: Any = None,
    ) -> ChurnClassifier:
        """Fit the preprocessing and the model on a customer table.

        Parameters
        ----------
        X : pandas/polars/pyarrow table or array-like of shape (n_customers, n_features)
            Customer table; numeric, boolean and categorical (string, object,
            ``category``) columns, missing values allowed.  Date columns are
            rejected (turn them into durations first).
        y : array-like of shape (n_customers,)
            Binary churn label; ``classes_[1]`` (the larger label) is churn.
        sample_weight : array-like of shape (n_customers,), optional
            Row weights, multiplied with the class weights.
        groups : array-like of shape (n_customers,), optional
            Group (customer) of each row, e.g. from :func:`make_churn_dataset`;
            the importance hold-out then keeps every group on one side.

        Returns
        -------
        ChurnClassifier
            The fitted estimator.
        """
        from sklearn.utils import check_random_state

        if not isinstance(self.model, str) and not is_classifier(self.model):
            raise TypeError(
                f"model must be one of {list(_MODELS)} or a scikit-learn classifier; got "
                f"{type(self.model).__name__}. Pass e.g. model=LogisticRegression()."
            )
        df = read_frame(self, X, fit=True)
        y_arr = check_labels(y, df)
        self.classes_ = np.unique(y_arr)
        y01 = (y_arr == self.classes_[1]).astype(np.int64)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=float)
            if sample_weight.shape != (len(df),):
                raise ValueError(
                    f"sample_weight has shape {sample_weight.shape}; expected ({len(df)},)."
                )
        if groups is not None:
            groups = np.asarray(to_pandas(groups, name="groups"))
            if groups.shape != (len(df),):
                raise ValueError(
                    f"groups has shape {groups.shape}; expected ({len(df)},): one group per row "
                    "of X."
                )
        rng = check_random_state(self.random_state)
        (
            self.numeric_features_,
            self.categorical_features_,
            self.coerced_features_,
            self.dropped_features_,
        ) = split_columns(df if self.features is None else self._selected(df))
        used = self.numeric_features_ + self.categorical_features_
        if not used:
            raise SchemaError(
                "every column of X looks like an identifier "
                f"({show_values(self.dropped_features_)}); pass the customer features "
                "(numbers, categories with repeated values)."
            )
        empty = [c for c in used if df[c].isna().all()]
        if empty:
            warnings.warn(
                f"column(s) {empty} are entirely missing and carry no information (they are "
                "kept as constants); drop them or fix the data source.",
                DataWarning,
                stacklevel=3,
            )
        data = prepare(self, df)

        for stale in (
            "single_feature_auc_",
            "feature_importances_",
            "feature_importances_std_",
            "importance_baseline_auc_",
        ):
            if hasattr(self, stale):
                delattr(self, stale)
        if self.leakage_threshold is not None:
            self._check_leakage(data, y01, int(rng.randint(np.iinfo(np.int32).max)))
        if self.importance_holdout is not None:
            holdout_importances(self, data, y_arr, y01, sample_weight, groups, rng)
        self.preprocessor_, self.estimator_ = self._fit_pipeline(data, y_arr, sample_weight)
        return self

    def _selected(self, df: pd.DataFrame) -> pd.DataFrame:
        names = [str(c) for c in self.features]
        missing = [c for c in names if c not in df.columns]
        if missing or not names or len(set(names)) != len(names):
            what = f"columns {show_values(missing)} not found" if missing else "empty or repeated"
            raise SchemaError(
                f"features={names!r}: {what} (columns of X: {show_values(list(df.columns), 12)})."
                " Fix: name each column of X the model should use once."
            )
        return df[names]

    def _check_leakage(self, data: pd.DataFrame, y01: np.ndarray, seed: int) -> None:
        numeric = set(self.numeric_features_)
        aucs = {c: _single_feature_auc(data[c], y01, c in numeric, seed) for c in data.columns}
        self.single_feature_auc_ = pd.Series(aucs, name="single_feature_auc", dtype=float)
        leaky = self.single_feature_auc_[self.single_feature_auc_ >= self.leakage_threshold]
        if len(leaky) and len(data) >= 20:
            desc = ", ".join(f"{c!r} (ROC AUC {a:.3f})" for c, a in leaky.items())
            warnings.warn(
                f"possible target leakage: {desc} alone predict(s) the churn label almost "
                "perfectly. Check that the column is known before the cutoff (not "
                "recorded after the customer left); drop it if not.",
                DataWarning,
                stacklevel=4,
            )

    def permutation_importance(
        self,
        X: Any,
        y: Any,
        *,
        n_repeats: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> PermutationImportance:
        """Permutation importance of each input column on held-out customers.

        Each column of ``X`` is shuffled ``n_repeats`` times and the drop of
        ROC AUC against ``y`` is recorded.  For a (non-calibrated) linear
        model the shuffled scores come from the decision function in closed
        form (exact, one mat-vec per column); other models are re-scored on
        one buffer in which only the shuffled column's encoding changes.

        Parameters
        ----------
        X : table of shape (n_customers, n_features)
            Held-out customers (not used in ``fit``), same columns as in ``fit``.
        y : array-like of shape (n_customers,)
            Their churn labels (both classes present).
        n_repeats : int, optional
            Shuffles per column; default the estimator's ``n_repeats``.
        random_state : int, RandomState instance or None, default=None
            Seeds the shuffles.

        Returns
        -------
        PermutationImportance
            ``.table`` with ``importance`` and ``importance_std`` per input
            column (largest first), ``baseline_auc``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"tenure": rng.integers(0, 72, 400), "noise": rng.normal(size=400)})
        >>> y = (rng.random(400) < 1 / (1 + np.exp(0.1 * (X["tenure"] - 30)))).astype(int)
        >>> clf = ChurnClassifier(random_state=0).fit(X[:300], y[:300])
        >>> imp = clf.permutation_importance(X[300:], y[300:], random_state=0)
        >>> imp.table.index[0]
        'tenure'
        """
        from sklearn.utils import check_random_state

        check_is_fitted(self, "estimator_")
        n_rep = int(self.n_repeats if n_repeats is None else n_repeats)
        if n_rep < 1:
            raise ValueError(f"n_repeats must be >= 1; got {n_repeats!r}.")
        Z = self._transform(X)
        y_arr = column_or_1d_checked(y, Z.shape[0])
        unknown = ~np.isin(y_arr, self.classes_)
        if unknown.any():
            raise SchemaError(
                f"y has labels {show_values(pd.unique(y_arr[unknown]))} not seen in fit "
                f"(classes_ = {show_values(self.classes_)}). Pass labels of the same kind."
            )
        y01 = (y_arr == self.classes_[1]).astype(np.int64)
        if y01.min() == y01.max():
            raise SchemaError(
                f"y has only one class among {len(y01)} customers; the ROC AUC and hence "
                "the importances need both churners and non-churners."
            )
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        pos = list(self.estimator_.classes_).index(self.classes_[1])
        base, drops = permutation_drops(
            self.estimator_, Z, y01, self._blocks(self.preprocessor_), pos, n_rep, seed
        )
        table = pd.DataFrame(
            {"importance": drops.mean(1), "importance_std": drops.std(1)},
            index=pd.Index(self._columns, name="feature"),
        ).sort_values("importance", ascending=False, kind="stable")
        return PermutationImportance(table=table, baseline_auc=float(base), n_repeats=n_rep)

    # -------------------------------------------------------------- predict
    def _transform(self, X: Any) -> Any:
        check_is_fitted(self, "estimator_")
        return self.preprocessor_.transform(prepare(self, read_frame(self, X, fit=False)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities; column 1 is the churn probability.

        Parameters
        ----------
        X : table or array-like of shape (n_customers, n_features)
            Same columns as in ``fit``.  Unseen categories are encoded as all
            zeros; missing values are imputed as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_customers, 2)
            Probabilities of ``classes_[0]`` and ``classes_[1]``.
        """
        Z = self._transform(X)
        proba = self.estimator_.predict_proba(Z)
        order = [list(self.estimator_.classes_).index(c) for c in self.classes_]
        return proba[:, order]

    def churn_probability(self, X: Any) -> Any:
        """Churn probability per customer, a Series on the customer index.

        Parameters
        ----------
        X : table of shape (n_customers, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        pandas.Series
            ``churn_probability`` indexed like ``X`` (a numpy array for
            array input).
        """
        index = X.index if isinstance(X, pd.DataFrame) else None
        p = self.predict_proba(X)[:, 1]
        if index is None and not isinstance(X, np.ndarray):
            converted = customer_frame(X, name="X")
            index = converted.index if isinstance(converted, pd.DataFrame) else None
        return on_customers(p, index, "churn_probability")

    def predict(self, X: Any) -> np.ndarray:
        """Predict the class (churn = ``classes_[1]`` when its probability exceeds 0.5).

        Parameters
        ----------
        X : table or array-like of shape (n_customers, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_customers,)
            Predicted labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[(proba[:, 1] > 0.5).astype(int)]

    def decision_function(self, X: Any) -> np.ndarray:
        """Return the churn score: the log-odds of ``classes_[1]``.

        Parameters
        ----------
        X : table or array-like of shape (n_customers, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_customers,)
            ``log(p / (1 - p))`` with ``p`` the churn probability (clipped).
        """
        p = np.clip(self.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
        return np.log(p / (1 - p))
