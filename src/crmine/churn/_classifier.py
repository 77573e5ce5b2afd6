"""Churn: labels from transaction history and a churn classifier for raw customer tables.

Two halves:

- **Labels without leakage** -- :func:`churn_labels` builds one snapshot: the
  customer table of :class:`crmine.features.TransactionFeatures` computed from
  the rows strictly before ``cutoff``, and the label ``churned = 1`` when the
  customer makes **no purchase in** ``(cutoff, cutoff + horizon]``.  Only
  customers with at least one purchase before the cutoff are labelled.
  :func:`make_churn_dataset` stacks several snapshots (more training rows) and
  returns the customer ids as ``groups`` so that a ``GroupKFold`` never puts
  the same customer in both train and test.
- **ChurnClassifier** -- a scikit-learn classifier that takes a raw, mixed-type
  customer table (numbers, strings/categories, booleans, missing values),
  preprocesses it internally and fits a logistic regression (default),
  histogram gradient boosting, a random forest or any scikit-learn classifier.
  It handles class imbalance, optional probability calibration, permutation
  importances on held-out data and warns when one feature alone predicts the
  label almost perfectly (a leakage suspicion).
"""

from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from crmine.exceptions import DataWarning, SchemaError

__all__ = ["ChurnClassifier", "churn_labels", "make_churn_dataset", "ChurnDataset"]

logger = logging.getLogger(__name__)

_MODELS = ("logistic", "gradient_boosting", "random_forest")


# ---------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------
class ChurnDataset(NamedTuple):
    """Churn features, labels and groups returned by :func:`churn_labels`.

    Attributes
    ----------
    X : pandas.DataFrame
        Customer table at the cutoff (features from rows strictly before it).
        Indexed by customer id for one snapshot; by ``(cutoff, customer id)``
        for :func:`make_churn_dataset`.
    y : pandas.Series
        ``churned``: 1 = no purchase in the horizon after the cutoff, same index.
    groups : numpy.ndarray
        Customer id of each row, for ``GroupKFold``-style splits.
    """

    X: pd.DataFrame
    y: pd.Series
    groups: np.ndarray


def _as_features(features: Any, schema: Any, cutoff: pd.Timestamp) -> Any:
    from crmine.features import TransactionFeatures

    if features is None:
        return TransactionFeatures(schema=schema, cutoff=cutoff)
    if not isinstance(features, TransactionFeatures):
        raise TypeError(
            "features must be an (unfitted) crmine.TransactionFeatures used as a template; got "
            f"{type(features).__name__}. Pass e.g. features=TransactionFeatures(windows=(30, 90))."
        )
    params = {"cutoff": cutoff}
    if schema is not None:
        params["schema"] = schema
    return clone(features).set_params(**params)


def churn_labels(
    log: pd.DataFrame,
    cutoff: str | pd.Timestamp,
    horizon_days: int,
    *,
    schema: Any = None,
    features: Any = None,
    active_days: int | None = None,
    end: str | pd.Timestamp | None = None,
    keep_dates: bool = False,
) -> ChurnDataset:
    """Build churn features and labels for one snapshot, without leakage.

    - **Features**: :class:`crmine.features.TransactionFeatures` with
      ``cutoff=cutoff``, computed from the rows with ``timestamp < cutoff``
      only.
    - **Population**: customers with at least one purchase before the cutoff
      (optionally: within the last ``active_days`` days).
    - **Label**: ``churned = 1`` when the customer makes no purchase in the
      horizon after the cutoff, ``cutoff <= timestamp < cutoff + horizon_days``
      -- the window that starts where the feature window ends, so a
      transaction is never in both and never in neither (with midnight
      cutoffs this is the ``horizon_days`` calendar days from the cutoff
      date: the interval "(cutoff, cutoff + horizon]" counted in days).  A
      purchase is a line with a non-negative value, as in
      :class:`~crmine.features.TransactionFeatures`; returns alone do not
      count as activity.

    Parameters
    ----------
    log : pandas.DataFrame
        Transaction log (see :class:`crmine.schema.TransactionSchema`).
    cutoff : str or pandas.Timestamp
        Snapshot time.
    horizon_days : int
        Length of the label window in days (> 0).
    schema : TransactionSchema, optional
        Column roles of the log.
    features : TransactionFeatures, optional
        Template whose parameters (windows, frequency, ...) are used; it is
        cloned and its ``cutoff`` replaced.
    active_days : int, optional
        Only label customers whose last purchase is at most ``active_days``
        days before the cutoff (``recency_days <= active_days``); ``None``
        (default) labels every customer with a purchase before the cutoff.
    end : str or pandas.Timestamp, optional
        End of the observation period (exclusive).  Default: midnight after
        the last transaction of the log.  The label window must end by then,
        otherwise a :class:`~crmine.exceptions.SchemaError` is raised (the
        labels would call customers churned for lack of data).
    keep_dates : bool, default=False
        Keep the ``first_purchase`` / ``last_purchase`` date columns.  They are
        dropped by default: they repeat ``tenure_days`` / ``recency_days`` as
        absolute dates, which do not carry over from one cutoff to another,
        and :class:`ChurnClassifier` rejects date columns.

    Returns
    -------
    ChurnDataset
        ``(X, y, groups)``: features indexed by customer id, the ``churned``
        label (int 0/1) and the customer ids.

    Raises
    ------
    crmine.exceptions.SchemaError
        Invalid log, label window beyond the end of the data, or no customer
        with a purchase before the cutoff.

    See Also
    --------
    make_churn_dataset : several snapshots stacked.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.churn import churn_labels
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "c"],
    ...     "order_id": [1, 2, 3, 4, 5],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-05", "2024-02-20", "2024-01-10", "2024-01-25", "2024-03-30"]
    ...     ),
    ...     "amount": [10.0, 20.0, 5.0, 5.0, 8.0],
    ... })
    >>> X, y, groups = churn_labels(log, cutoff="2024-02-01", horizon_days=30)
    >>> y.to_dict()  # c only starts after the cutoff: not labelled
    {'a': 0, 'b': 1}
    >>> X["frequency"].to_dict()  # a's February order is not a feature
    {'a': 1, 'b': 2}
    """
    from crmine.schema import prepare_log, resolve_schema, transaction_amount

    if isinstance(horizon_days, bool) or not isinstance(horizon_days, numbers.Integral):
        raise TypeError(f"horizon_days must be a positive integer; got {horizon_days!r}.")
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be a positive integer; got {horizon_days!r}.")
    if active_days is not None and (
        isinstance(active_days, bool)
        or not isinstance(active_days, numbers.Integral)
        or active_days <= 0
    ):
        raise ValueError(f"active_days must be a positive integer or None; got {active_days!r}.")
    try:
        cutoff_ts = pd.Timestamp(cutoff)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cutoff={cutoff!r} is not a valid timestamp: {exc}") from None
    tf = _as_features(features, schema, cutoff_ts)
    sch = resolve_schema(tf.schema)
    prepared = prepare_log(log, sch)
    tf.fit(prepared)
    cutoff_ts = tf.cutoff_  # localised like the log
    times = prepared[sch.time]
    horizon_end = cutoff_ts + pd.Timedelta(days=int(horizon_days))
    if end is None:
        end_ts = times.max().normalize() + pd.Timedelta(days=1)
    else:
        end_ts = pd.Timestamp(end)
        if end_ts.tzinfo is None and cutoff_ts.tzinfo is not None:
            end_ts = end_ts.tz_localize(cutoff_ts.tzinfo)
    if horizon_end > end_ts:
        raise SchemaError(
            f"the label window [{cutoff_ts}, {horizon_end}) ends after the end of the data "
            f"({end_ts}); customers would be labelled churned for lack of data. Use an "
            f"earlier cutoff (at most {end_ts - pd.Timedelta(days=int(horizon_days))}) or a "
            "shorter horizon_days, or pass end= if the log is known to run longer."
        )
    amount = transaction_amount(prepared, sch)
    has_purchase_before = bool(((times < cutoff_ts).to_numpy() & (amount >= 0)).any())
    X = tf.transform(prepared) if has_purchase_before else pd.DataFrame()
    if len(X) == 0:
        raise SchemaError(
            f"no customer has a purchase before cutoff={cutoff_ts} (column {sch.time!r} "
            f"starts at {times.min()}); choose a later cutoff."
        )
    if active_days is not None:
        X = X.loc[X["recency_days"] <= active_days]
        if len(X) == 0:
            raise SchemaError(
                f"no customer bought in the {active_days} days before cutoff={cutoff_ts}; "
                "increase active_days or move the cutoff."
            )
    in_window = ((times >= cutoff_ts) & (times < horizon_end)).to_numpy() & (amount >= 0)
    buyers = pd.Index(prepared.loc[in_window, sch.customer].unique())
    y = pd.Series((~X.index.isin(buyers)).astype(np.int64), index=X.index, name="churned")
    if not keep_dates:
        dates = [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c].dtype)]
        X = X.drop(columns=dates)
    logger.info(
        "churn_labels: cutoff %s, horizon %d days: %d customers, %d churned (%.1f%%)",
        cutoff_ts,
        horizon_days,
        len(y),
        int(y.sum()),
        100.0 * float(y.mean()),
    )
    return ChurnDataset(X=X, y=y, groups=X.index.to_numpy())


def make_churn_dataset(
    log: pd.DataFrame,
    cutoffs: Sequence[str | pd.Timestamp],
    horizon_days: int,
    **kwargs: Any,
) -> ChurnDataset:
    """Stack churn snapshots at several cutoffs into one training set.

    Each snapshot is :func:`churn_labels` at one cutoff.  The same customer
    appears once per snapshot, so split by ``groups`` (e.g.
    :class:`sklearn.model_selection.GroupKFold`) to keep every customer on one
    side of a train/test split.  Snapshots whose label windows overlap later
    feature windows are fine for training; for an honest *out-of-time*
    estimate, test on a cutoff later than ``max(cutoffs) + horizon_days``.

    Parameters
    ----------
    log : pandas.DataFrame
        Transaction log.
    cutoffs : sequence of str or pandas.Timestamp
        Snapshot times (distinct).
    horizon_days : int
        Label window in days.
    **kwargs
        Passed to :func:`churn_labels` (``schema``, ``features``,
        ``active_days``, ``end``, ``keep_dates``).

    Returns
    -------
    ChurnDataset
        ``X`` and ``y`` indexed by ``(cutoff, customer id)``; ``groups`` =
        customer ids.  Feature columns missing in one snapshot (e.g. a
        ``share_<category>`` of a category not yet sold) are filled with 0
        for the share columns and left missing otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.churn import make_churn_dataset
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "a"],
    ...     "order_id": [1, 2, 3, 4, 5],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-05", "2024-02-20", "2024-01-10", "2024-01-25", "2024-03-30"]
    ...     ),
    ...     "amount": [10.0, 20.0, 5.0, 5.0, 8.0],
    ... })
    >>> X, y, groups = make_churn_dataset(log, ["2024-02-01", "2024-03-01"], horizon_days=30)
    >>> y.tolist(), groups.tolist()
    ([0, 1, 0, 1], ['a', 'b', 'a', 'b'])
    >>> X.index.names
    FrozenList(['cutoff', 'customer_id'])
    """
    if isinstance(cutoffs, (str, pd.Timestamp)) or not len(cutoffs):
        raise ValueError(
            f"cutoffs must be a non-empty list of timestamps; got {cutoffs!r}. "
            "Pass e.g. cutoffs=['2024-01-01', '2024-04-01']."
        )
    stamps = [pd.Timestamp(c) for c in cutoffs]
    if len(set(stamps)) != len(stamps):
        raise ValueError(f"cutoffs must be distinct; got {list(cutoffs)!r}.")
    xs, ys = [], []
    for c in stamps:
        X, y, _ = churn_labels(log, c, horizon_days, **kwargs)
        key = pd.Index([c] * len(X), name="cutoff")
        idx = pd.MultiIndex.from_arrays([key, X.index], names=["cutoff", X.index.name])
        xs.append(X.set_axis(idx, axis=0))
        ys.append(y.set_axis(idx, axis=0))
    X_all = pd.concat(xs, axis=0)
    share = [c for c in X_all.columns if str(c).startswith("share_")]
    if share:
        X_all[share] = X_all[share].fillna(0.0)
    y_all = pd.concat(ys, axis=0).rename("churned")
    groups = X_all.index.get_level_values(1).to_numpy()
    return ChurnDataset(X=X_all, y=y_all, groups=groups)


# ---------------------------------------------------------------------------
# helpers for the classifier
# ---------------------------------------------------------------------------
def _is_numeric_col(col: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)) and (
        not isinstance(col.dtype, pd.CategoricalDtype)
    )


def _auc(y01: np.ndarray, score: np.ndarray) -> float:
    """Return the ROC AUC through the Mann-Whitney rank identity (ties count one half).

    Equal to :func:`sklearn.metrics.roc_auc_score` but without its input
    checks, which dominate the cost of the many calls made by the leakage
    check and the permutation importances.
    """
    from scipy.stats import rankdata

    n1 = int(y01.sum())
    n0 = len(y01) - n1
    ranks = rankdata(score)
    return float((ranks[y01 == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _single_feature_auc(x: pd.Series, y: np.ndarray, numeric: bool, random_state: int) -> float:
    """Return the best ROC AUC one feature alone reaches (>= 0.5), missing values included.

    Numeric features are scored as they are, with missing values placed once
    below and once above all others (the better of the two counts, so that
    "missing only for churners" is caught).  Categorical features are
    target-encoded out of fold (5 folds), so identifiers do not look
    predictive.
    """
    if numeric:
        v = x.to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(v)
        if miss.all():
            return 0.5
        lo, hi = np.nanmin(v), np.nanmax(v)
        best = 0.5
        for fill in (lo - 1.0, hi + 1.0):
            w = np.where(miss, fill, v)
            if np.ptp(w) == 0:
                continue
            auc = _auc(y, w)
            best = max(best, auc, 1.0 - auc)
        return float(best)
    codes = pd.factorize(x.astype("object"), use_na_sentinel=False)[0]
    n_codes = int(codes.max()) + 1
    rng = np.random.default_rng(random_state)
    fold = rng.integers(0, 5, len(codes))
    enc = np.empty(len(codes))
    prior = float(y.mean())
    for f in range(5):
        train = fold != f
        cnt = np.bincount(codes[train], minlength=n_codes)
        pos = np.bincount(codes[train], weights=y[train], minlength=n_codes)
        means = np.where(cnt > 0, pos / np.maximum(cnt, 1), prior)
        enc[~train] = means[codes[~train]]
    if np.ptp(enc) == 0:
        return 0.5
    auc = _auc(y, enc)
    return float(max(auc, 1.0 - auc))


class ChurnClassifier(ClassifierMixin, BaseEstimator):
    """Churn classifier for raw, mixed-type customer tables.

    ``fit`` splits the columns of ``X`` into numeric (numbers and booleans)
    and categorical (strings, ``category``, objects) and builds an internal
    :class:`~sklearn.compose.ColumnTransformer`:

    - numeric: median imputation with missing-value indicator columns, then
      standardisation;
    - categorical: missing values become the category ``"missing"``, then
      one-hot encoding with ``handle_unknown="ignore"`` (a category first seen
      at predict time is encoded as all zeros).

    The encoded matrix goes to ``model``.  The label is binary; the positive
    class (churn) is ``classes_[1]``, i.e. the larger label in sorted order
    (1, ``True``, ``"Yes"`` against ``"No"``).

    Parameters
    ----------
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
    importance_holdout : float in (0, 1) or None, default=0.25
        Fraction of the rows held out (stratified; by ``groups`` when given)
        to compute permutation importances: a copy of the pipeline is fitted
        on the other rows, each raw column is permuted ``n_repeats`` times in
        the held-out rows and the mean drop of ROC AUC is reported.  The final
        model is then refitted on all rows.  ``None`` skips importances (one
        fit instead of two).
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
        Columns treated as numeric.
    categorical_features_ : list of str
        Columns treated as categorical.
    preprocessor_ : sklearn.compose.ColumnTransformer
        Fitted preprocessing step.
    estimator_ : classifier
        Fitted model (a ``CalibratedClassifierCV`` when ``calibration`` is set).
    feature_importances_ : pandas.Series
        Mean drop of held-out ROC AUC when the column is permuted, indexed by
        input column (only when ``importance_holdout`` is not ``None``).
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
    >>> clf = ChurnClassifier(importance_holdout=None, random_state=0).fit(X, y)
    >>> clf.predict(pd.DataFrame({"tenure": [2, 60], "contract": ["month", "weekly"]})).tolist()
    [1, 0]
    >>> clf.categorical_features_
    ['contract']
    """

    _parameter_constraints: dict = {
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
        model: str | Any = "logistic",
        class_weight: str | dict | None = None,
        calibration: str | None = None,
        importance_holdout: float | None = 0.25,
        n_repeats: int = 5,
        leakage_threshold: float | None = 0.99,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.model = model
        self.class_weight = class_weight
        self.calibration = calibration
        self.importance_holdout = importance_holdout
        self.n_repeats = n_repeats
        self.leakage_threshold = leakage_threshold
        self.random_state = random_state

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        return tags

    def _more_tags(self) -> dict:  # scikit-learn < 1.6
        return {"allow_nan": True, "binary_only": True, "X_types": ["2darray", "string"]}

    # --------------------------------------------------------------- params
    def _validate_own_params(self) -> None:
        self._validate_params()
        if not isinstance(self.model, str) and not is_classifier(self.model):
            raise TypeError(
                f"model must be one of {list(_MODELS)} or a scikit-learn classifier; got "
                f"{type(self.model).__name__}. Pass e.g. model=LogisticRegression()."
            )

    # ------------------------------------------------------------ the data
    def _to_frame(self, X: Any, *, fit: bool) -> pd.DataFrame:
        """Return ``X`` as a DataFrame with string column names (never a view of the caller's)."""
        if isinstance(X, pd.DataFrame):
            df = X.copy()
            names = [str(c) for c in df.columns]
            named = all(isinstance(c, str) for c in df.columns)
            if len(set(names)) != len(names):
                raise SchemaError(
                    "X has duplicated column names "
                    f"{sorted({n for n in names if names.count(n) > 1})}; rename them."
                )
            df.columns = names
        else:
            if hasattr(X, "toarray") or hasattr(X, "tocsr"):
                raise TypeError(
                    "ChurnClassifier needs a dense array or DataFrame; got a sparse matrix. "
                    "Pass X.toarray() or a DataFrame."
                )
            arr = np.asarray(X)
            if arr.ndim == 1:
                raise ValueError(
                    "Expected a 2D array, got a 1D array instead. Reshape your data either "
                    "using array.reshape(-1, 1) if your data has a single feature or "
                    "array.reshape(1, -1) if it contains a single sample."
                )
            if arr.ndim != 2:
                raise ValueError(f"X must be 2-dimensional; got an array of shape {arr.shape}.")
            if np.iscomplexobj(arr):
                raise ValueError("Complex data not supported; pass real numbers.")
            df = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
            if arr.dtype == object:
                df = df.infer_objects()
            named = False
        if fit:
            if df.shape[1] == 0:
                raise ValueError(
                    f"0 feature(s) (shape={df.shape}) while a minimum of 1 is required."
                )
            if df.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={df.shape}) while a minimum of 1 is "
                    "required. X is empty: pass at least one customer per class."
                )
            self.n_features_in_ = df.shape[1]
            if named:
                self.feature_names_in_ = np.asarray(df.columns, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            self._columns = list(df.columns)
        else:
            if df.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={df.shape}) while a minimum of 1 is "
                    "required."
                )
            if df.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {df.shape[1]} features, but ChurnClassifier is expecting "
                    f"{self.n_features_in_} features as input."
                )
            if hasattr(self, "feature_names_in_"):
                if not named or list(df.columns) != list(self.feature_names_in_):
                    missing = [c for c in self.feature_names_in_ if c not in df.columns]
                    raise SchemaError(
                        "The feature names should match those that were passed during fit: "
                        f"missing {missing[:5]}, got {list(df.columns)[:10]}. Pass the same "
                        "columns in the same order as in fit."
                    )
            else:
                df.columns = self._columns
        for c in df.columns:
            col = df[c]
            if pd.api.types.is_datetime64_any_dtype(col.dtype) or isinstance(
                col.dtype, pd.PeriodDtype
            ):
                raise SchemaError(
                    f"column {c!r} holds dates ({col.dtype}); ChurnClassifier needs numbers or "
                    "categories. Turn dates into durations first, e.g. "
                    "(cutoff - X[col]).dt.days, or drop the column."
                )
            if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(
                col.dtype
            ):
                v = col.to_numpy(dtype=float, na_value=np.nan)
                if np.isinf(v).any():
                    raise ValueError(
                        f"Input X contains infinity in column {c!r} "
                        f"({int(np.isinf(v).sum())} value(s)); replace it with NaN (treated "
                        "as missing) or a finite value."
                    )
        return df

    def _prepare_categoricals(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a new frame with float64 numeric and string categorical columns.

        Nullable integers and booleans become float64 with NaN for missing;
        categorical values become strings, missing ones ``"missing"``.
        """
        cols: dict[str, Any] = {}
        for c in df.columns:
            col = df[c]
            if c in self.numeric_features_:
                try:
                    cols[c] = pd.to_numeric(col).to_numpy(dtype=float, na_value=np.nan)
                except (TypeError, ValueError):
                    bad = col[pd.to_numeric(col, errors="coerce").isna() & col.notna()]
                    raise SchemaError(
                        f"column {c!r} was numeric in fit but holds non-numeric values "
                        f"such as {bad.unique()[:3].tolist()}; pass numbers (NaN for missing)."
                    ) from None
            else:
                obj = col.astype("object")
                cols[c] = obj.where(obj.notna(), "missing").astype(str).astype("object")
        return pd.DataFrame(cols, index=df.index, columns=df.columns)

    def _check_y(self, y: Any, n: int) -> np.ndarray:
        from sklearn.utils.multiclass import type_of_target

        if y is None:
            raise ValueError(
                "requires y to be passed, but the target y is None. Pass the churn labels."
            )
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change the "
                "shape of y to (n_samples,), for example using ravel().",
                _data_conversion_warning(),
                stacklevel=3,
            )
            y_arr = y_arr.ravel()
        if y_arr.ndim != 1:
            raise ValueError(f"y must be one-dimensional; got shape {y_arr.shape}.")
        if len(y_arr) != n:
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: [{n}, {len(y_arr)}]"
            )
        if pd.isna(pd.Series(y_arr, dtype=object)).any():
            raise ValueError(
                "Input y contains NaN: every customer needs a churn label (drop or label them)."
            )
        kind = type_of_target(y_arr)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {kind!r}. ChurnClassifier needs a binary label, "
                "e.g. 0/1 or 'No'/'Yes'."
            )
        classes = np.unique(y_arr)
        if len(classes) < 2:
            raise ValueError(
                f"y contains only one class ({classes[0]!r}) in {n} customers; a churn model "
                "needs both churners and non-churners. Use a longer horizon or more customers."
            )
        if len(classes) > 2:
            raise ValueError(
                "Only binary classification is supported. ChurnClassifier is binary (churn "
                f"vs. stay); y has {len(classes)} classes {classes[:5].tolist()}. Encode the "
                "label as 0/1."
            )
        return y_arr

    # -------------------------------------------------------------- building
    def _make_model(self) -> Any:
        m = self.model
        rs = self.random_state
        if isinstance(m, str):
            if m == "logistic":
                from sklearn.linear_model import LogisticRegression

                est = LogisticRegression(max_iter=1000)
            elif m == "gradient_boosting":
                from sklearn.ensemble import HistGradientBoostingClassifier

                est = HistGradientBoostingClassifier(random_state=rs)
            else:
                from sklearn.ensemble import RandomForestClassifier

                est = RandomForestClassifier(n_estimators=200, min_samples_leaf=10, random_state=rs)
        else:
            est = clone(m)
        return est

    def _make_preprocessor(self) -> Any:
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        transformers = []
        if self.numeric_features_:
            transformers.append(
                (
                    "num",
                    Pipeline(
                        [
                            (
                                "impute",
                                SimpleImputer(
                                    strategy="median", add_indicator=True, keep_empty_features=True
                                ),
                            ),
                            ("scale", StandardScaler()),
                        ]
                    ),
                    list(self.numeric_features_),
                )
            )
        if self.categorical_features_:
            transformers.append(
                (
                    "cat",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64),
                    list(self.categorical_features_),
                )
            )
        return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)

    def _fit_pipeline(
        self, df: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> tuple[Any, Any, np.ndarray]:
        from sklearn.utils.class_weight import compute_sample_weight

        pre = self._make_preprocessor()
        Z = pre.fit_transform(df)
        est = self._make_model()
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
        return pre, est, Z

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
        X : pandas.DataFrame or array-like of shape (n_customers, n_features)
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

        self._validate_own_params()
        df = self._to_frame(X, fit=True)
        y_arr = self._check_y(y, len(df))
        self.classes_ = np.unique(y_arr)
        y01 = (y_arr == self.classes_[1]).astype(np.int64)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=float)
            if sample_weight.shape != (len(df),):
                raise ValueError(
                    f"sample_weight has shape {sample_weight.shape}; expected ({len(df)},)."
                )
        rng = check_random_state(self.random_state)

        self.numeric_features_ = [c for c in df.columns if _is_numeric_col(df[c])]
        self.categorical_features_ = [c for c in df.columns if c not in self.numeric_features_]
        empty = [c for c in df.columns if df[c].isna().all()]
        if empty:
            warnings.warn(
                f"column(s) {empty} are entirely missing and carry no information (they are "
                "kept as constants); drop them or fix the data source.",
                DataWarning,
                stacklevel=2,
            )
        for c in self.categorical_features_:
            n_levels = df[c].nunique()
            if len(df) >= 20 and n_levels > 0.5 * len(df):
                warnings.warn(
                    f"categorical column {c!r} has {n_levels} distinct values for {len(df)} "
                    "rows; it looks like an identifier and will not generalise. Drop it "
                    "(e.g. X.drop(columns=[...])).",
                    DataWarning,
                    stacklevel=2,
                )
        df = self._prepare_categoricals(df)

        # leakage check: one column alone predicting the label almost perfectly
        if self.leakage_threshold is not None:
            seed = int(rng.randint(np.iinfo(np.int32).max))
            aucs = {
                c: _single_feature_auc(df[c], y01, c in self.numeric_features_, seed)
                for c in df.columns
            }
            self.single_feature_auc_ = pd.Series(aucs, name="single_feature_auc", dtype=float)
            leaky = self.single_feature_auc_[self.single_feature_auc_ >= self.leakage_threshold]
            if len(leaky) and len(df) >= 20:
                desc = ", ".join(f"{c!r} (ROC AUC {a:.3f})" for c, a in leaky.items())
                warnings.warn(
                    f"possible target leakage: {desc} alone predict(s) the churn label almost "
                    "perfectly. Check that the column is known before the cutoff (not "
                    "recorded after the customer left); drop it if not.",
                    DataWarning,
                    stacklevel=2,
                )
        elif hasattr(self, "single_feature_auc_"):
            del self.single_feature_auc_

        # permutation importances on held-out rows
        for stale in (
            "feature_importances_",
            "feature_importances_std_",
            "importance_baseline_auc_",
        ):
            if hasattr(self, stale):
                delattr(self, stale)
        if self.importance_holdout is not None:
            self._fit_importances(df, y_arr, y01, sample_weight, groups, rng)

        self.preprocessor_, self.estimator_, _ = self._fit_pipeline(df, y_arr, sample_weight)
        return self

    def _fit_importances(
        self,
        df: pd.DataFrame,
        y_arr: np.ndarray,
        y01: np.ndarray,
        sample_weight: np.ndarray | None,
        groups: Any,
        rng: np.random.RandomState,
    ) -> None:
        from sklearn.model_selection import GroupShuffleSplit, StratifiedShuffleSplit

        seed = int(rng.randint(np.iinfo(np.int32).max))
        n = len(df)
        nan_imp = pd.Series(np.nan, index=self._columns, dtype=float)
        try:
            if groups is not None:
                groups = np.asarray(groups)
                if len(groups) != n:
                    raise ValueError(f"groups has {len(groups)} entries; expected {n}.")
                splitter = GroupShuffleSplit(
                    n_splits=1, test_size=self.importance_holdout, random_state=seed
                )
                train, test = next(splitter.split(df, y01, groups))
            else:
                splitter = StratifiedShuffleSplit(
                    n_splits=1, test_size=self.importance_holdout, random_state=seed
                )
                train, test = next(splitter.split(df, y01))
        except ValueError as exc:
            if groups is not None and "groups has" in str(exc):
                raise
            train = test = None
        if (
            train is None
            or len(np.unique(y01[train])) < 2
            or len(np.unique(y01[test])) < 2
            or (self.calibration is not None and np.bincount(y01[train]).min() < 3)
        ):
            warnings.warn(
                f"too few customers ({n}, {int(y01.sum())} churners) to hold out rows for "
                "permutation importances; feature_importances_ is nan. Set "
                "importance_holdout=None to skip them.",
                DataWarning,
                stacklevel=3,
            )
            self.feature_importances_ = nan_imp.rename("importance")
            self.feature_importances_std_ = nan_imp.rename("importance_std")
            return
        sw = None if sample_weight is None else sample_weight[train]
        pre, est, _ = self._fit_pipeline(df.iloc[train], y_arr[train], sw)
        Z = pre.transform(df.iloc[test])
        yt = y01[test]
        pos = list(est.classes_).index(self.classes_[1])
        base = _auc(yt, est.predict_proba(Z)[:, pos])
        prng = np.random.default_rng(seed)
        means, stds = [], []
        n_test, n_rep = len(test), int(self.n_repeats)
        for cols in self._blocks(pre):
            # all repeats of one column in one predict_proba call
            Zp = np.tile(Z, (n_rep, 1))
            for r in range(n_rep):
                perm = prng.permutation(n_test)
                Zp[r * n_test : (r + 1) * n_test, cols] = Z[perm][:, cols]
            proba = est.predict_proba(Zp)[:, pos]
            drops = [base - _auc(yt, proba[r * n_test : (r + 1) * n_test]) for r in range(n_rep)]
            means.append(float(np.mean(drops)))
            stds.append(float(np.std(drops)))
        self.feature_importances_ = pd.Series(means, index=self._columns, name="importance")
        self.feature_importances_std_ = pd.Series(stds, index=self._columns, name="importance_std")
        self.importance_baseline_auc_ = float(base)

    # -------------------------------------------------------------- predict
    def _transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        df = self._to_frame(X, fit=False)
        df = self._prepare_categoricals(df)
        return self.preprocessor_.transform(df)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities; column 1 is the churn probability.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_customers, n_features)
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

    def predict(self, X: Any) -> np.ndarray:
        """Predict the class (churn = ``classes_[1]`` when its probability exceeds 0.5).

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_customers, n_features)
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
        X : pandas.DataFrame or array-like of shape (n_customers, n_features)
            Same columns as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_customers,)
            ``log(p / (1 - p))`` with ``p`` the churn probability (clipped).
        """
        p = np.clip(self.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
        return np.log(p / (1 - p))


def _data_conversion_warning() -> type[Warning]:
    from sklearn.exceptions import DataConversionWarning

    return DataConversionWarning
