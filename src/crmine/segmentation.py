"""K-means customer segmentation with an explained choice of k.

:class:`CustomerSegmenter` groups the rows of a customer table (one row per
customer, e.g. the output of :class:`crmine.features.TransactionFeatures`)
with scikit-learn's :class:`~sklearn.cluster.KMeans` or
:class:`~sklearn.cluster.MiniBatchKMeans`, after a skew transform and a
scaling step.  Beyond the labels it reports *why* a number of segments was
chosen (``selection_scores_``), what each segment looks like in the units of
the business (``profiles_``, ``cluster_centers_``), a readable name for each
segment (``names_``) and how reproducible the segmentation is under
resampling (``stability_``).

:func:`segment_customers` is the one-line entry point.

The pipeline, for a customer table ``X`` with feature columns ``x_j``:

1. skew transform ``t(x) = sign(x) * log1p(|x|)`` (``skew="log1p"``; equal to
   ``log1p`` for non-negative values and odd-symmetric for negative ones, so a
   negative net monetary value stays negative and ordered), or a fitted
   Yeo-Johnson power transform, or nothing;
2. scaling (``"standard"``: z-scores, ``"robust"``: median / IQR, or nothing);
3. k-means on the result, for a fixed ``k`` or for every ``k`` in ``k_range``
   when ``n_clusters="auto"``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.preprocessing import PowerTransformer, RobustScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from crmine.exceptions import DataWarning, SchemaError

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - scikit-learn < 1.6

    def _sk_validate_data(estimator: Any, X: Any, **kwargs: Any) -> Any:
        return estimator._validate_data(X, **kwargs)


__all__ = ["CustomerSegmenter", "segment_customers", "DEFAULT_FEATURES"]

logger = logging.getLogger(__name__)

#: Feature columns used when ``features=None`` and the table has all of them.
DEFAULT_FEATURES: tuple[str, ...] = ("recency_days", "frequency", "monetary_total")

# column roles used for profiles and names (looked up by name in the table)
_RECENCY = "recency_days"
_FREQUENCY = "frequency"
_MONETARY = "monetary_total"
_TENURE = "tenure_days"
_ROLE_COLUMNS = (_RECENCY, _FREQUENCY, _MONETARY, _TENURE)

# above this many customers ``algorithm="auto"`` switches to MiniBatchKMeans
_MINIBATCH_THRESHOLD = 100_000


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


def _kneedle(ks: np.ndarray, inertia: np.ndarray) -> int | None:
    """Index of the knee of a decreasing convex curve, or None when there is none.

    Both axes are rescaled to [0, 1]; the knee is the point farthest above the
    chord from the first to the last point, i.e. the maximum of
    ``D = (1 - x_n) - y_n`` (Satopaa et al. 2011, "Kneedle").
    """
    if len(ks) < 3:
        return None
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    span = inertia.max() - inertia.min()
    if not np.isfinite(span) or span <= 0:
        return None
    y = (inertia - inertia.min()) / span
    diff = (1.0 - x) - y
    best = int(np.argmax(diff))
    if diff[best] <= 1e-9 or best in (0, len(ks) - 1):
        return None
    return best


class CustomerSegmenter(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Segment customers with k-means, choose k, profile and name the segments.

    Parameters
    ----------
    features : list of str or None, default=None
        Columns of the customer table to cluster on.  ``None`` uses
        ``("recency_days", "frequency", "monetary_total")`` when ``X`` is a
        DataFrame holding all three, and otherwise *every* column of ``X``
        (which must then be numeric); a NumPy array always uses all its
        columns.  Extra columns of a DataFrame are ignored by the clustering
        but ``recency_days``, ``frequency``, ``monetary_total`` and
        ``tenure_days`` are used for ``profiles_`` and ``names_`` when present.
    skew : {"log1p", "yeo-johnson"} or None, default="log1p"
        Transform applied to every feature before scaling.  ``"log1p"`` is the
        *signed* ``log1p``: ``sign(x) * log(1 + |x|)``.  It equals ``log1p``
        on non-negative values and keeps negative values (e.g. a negative net
        ``monetary_total`` after returns) negative and in order instead of
        producing NaN.  ``"yeo-johnson"`` fits a power transform per feature
        (:class:`~sklearn.preprocessing.PowerTransformer`); ``None`` keeps raw
        values.
    scaling : {"standard", "robust"} or None, default="standard"
        ``"standard"`` divides by the standard deviation after centring on the
        mean; ``"robust"`` uses the median and inter-quartile range.
    n_clusters : int or "auto", default="auto"
        Number of segments, or ``"auto"`` to choose it over ``k_range`` with
        ``criterion`` (see Notes).
    k_range : tuple of (int, int), default=(3, 8)
        Smallest and largest k (both inclusive) tried by ``"auto"``.  It starts
        at 3 on purpose: on real RFM data the silhouette nearly always peaks at
        k=2 (buyers versus one-off customers), which is rarely actionable.
        Pass ``(2, 10)`` to allow it.
    criterion : {"silhouette", "calinski_harabasz", "elbow"}, default="silhouette"
        How ``"auto"`` picks k (see Notes).
    tol : float, default=0.02
        Parsimony tolerance of ``"auto"``: the smallest k whose silhouette is
        at least ``best - tol`` (``"silhouette"``), or whose Calinski-Harabasz
        index is at least ``(1 - tol) * best`` (``"calinski_harabasz"``), is
        chosen.  ``tol=0`` picks the best k.  Not used by ``"elbow"``.
    algorithm : {"auto", "kmeans", "minibatch"}, default="auto"
        ``"kmeans"`` uses :class:`~sklearn.cluster.KMeans`, ``"minibatch"``
        :class:`~sklearn.cluster.MiniBatchKMeans`; ``"auto"`` uses mini-batches
        above 100,000 customers.
    n_init : int, default=10
        Number of k-means++ initialisations per fit; the best is kept.
    max_iter : int, default=300
        Maximum number of k-means iterations (passes over the data for the
        mini-batch algorithm).
    batch_size : int, default=4096
        Mini-batch size of ``MiniBatchKMeans``.
    sample_size : int, default=5000
        Silhouette scores are computed on a random sample of this many
        customers when there are more (the silhouette is quadratic in n), and
        bootstrap refits for ``stability_`` draw this many customers at most.
    n_bootstrap : int, default=10
        Number of bootstrap refits for ``stability_``; 0 skips it.
    random_state : int, RandomState instance or None, default=None
        Seeds every k-means fit, the silhouette sample and the bootstrap.  The
        same integer gives the same labels.

    Attributes
    ----------
    labels_ : ndarray of shape (n_customers,)
        Segment of each customer, ``0 .. n_clusters_-1``, numbered by
        decreasing segment size (segment 0 is the largest; equal sizes are
        ordered by their first customer in ``X``).
    n_clusters_ : int
        Number of segments used.
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
        k-means centroids mapped back through the inverse scaling and skew
        transform, so in the units of the features.  With ``skew="log1p"`` a
        centroid is a geometric-mean-like value, not an arithmetic mean; see
        ``profiles_`` for medians.
    features_ : list of str
        Names of the clustered features.
    selection_scores_ : DataFrame
        One row per k tried (index ``k``) with ``inertia``, ``silhouette``
        (on a sample of ``sample_size`` customers when there are more),
        ``calinski_harabasz``, ``davies_bouldin``, ``chosen`` (bool) and
        ``note`` (why the row was or was not chosen).
    selection_reason_ : str
        One sentence explaining the chosen k.
    profiles_ : DataFrame
        One row per segment: ``name``, ``size``, ``share`` (of customers), the
        median of every feature and of every role column present
        (``recency_days``, ``frequency``, ``monetary_total``, ``tenure_days``),
        and ``revenue_share`` (share of the total ``monetary_total``; only when
        that column is present).
    population_medians_ : Series
        Median of the same columns over all customers.
    names_ : Series
        Readable name of each segment (index = segment label); see Notes.
    stability_ : float
        Mean adjusted Rand index between ``labels_`` and the labels given by
        k-means refitted on bootstrap samples (NaN when ``n_bootstrap=0``).
        1 means the same partition every time; values near 0 (it can be
        slightly negative) mean the segments are no better than chance.
    stability_scores_ : ndarray of shape (n_rounds,)
        The individual adjusted Rand indices (a round whose bootstrap sample
        has fewer distinct customers than ``n_clusters_`` is skipped, so
        ``n_rounds <= n_bootstrap``).
    inertia_ : float
        Sum of squared distances to the closest centroid, in the scaled space.
    n_iter_ : int
        Iterations run by the retained k-means fit.
    n_features_in_ : int
        Number of clustered features.
    feature_names_in_ : ndarray of str
        The clustered feature names (DataFrame input only).

    See Also
    --------
    segment_customers : One-line version returning a label and a name per customer.
    crmine.features.TransactionFeatures : Builds the customer table.

    Notes
    -----
    **Choice of k** (``n_clusters="auto"``).  k-means is fitted for every k in
    ``k_range``; the four scores of each k are in ``selection_scores_``.

    - ``"silhouette"``: the best mean silhouette ``s*`` is found and the
      *smallest* k with ``s(k) >= s* - tol`` is chosen.  Silhouette scores
      differ by a few hundredths between neighbouring k on real data, so the
      tolerance buys a simpler segmentation at no real cost.
    - ``"calinski_harabasz"``: the same rule with the relative tolerance
      ``CH(k) >= (1 - tol) * CH*``.
    - ``"elbow"``: Kneedle on the inertia curve: k and inertia are rescaled to
      [0, 1] and the k farthest below the chord joining the first and last
      point, ``argmax((1 - k_n) - inertia_n)``, is chosen; when the curve has
      no interior knee the smallest k is used and the note says so.

    The silhouette nearly always prefers k=2 on real RFM tables, which is why
    the default ``k_range`` starts at 3.  To let the data decide freely pass
    ``k_range=(2, 10), tol=0``; to force a number pass an integer.

    **Names.**  A segment's medians are compared with the population tertiles
    (33rd and 67th percentiles) of the same column:

    - value (``monetary_total``): above the 90th percentile ``"top value"``,
      above the 67th ``"high value"``, below the 33rd ``"low value"``, else
      ``"mid value"``;
    - status (``recency_days``): at most the 33rd percentile ``"active"``,
      above the 67th ``"lost"``, else ``"lapsing"``;  when ``tenure_days`` is
      present and the segment median tenure is at most its 33rd percentile the
      status is ``"new"`` instead (short tenure implies a recent purchase);
    - the name is ``"<status>, <value>"``, e.g. ``"active, high value"``,
      ``"lapsing, mid value"``, ``"new, low value"``, ``"lost, low value"``.
      Without ``monetary_total`` the value part uses ``frequency``
      (``"high/mid/low frequency"``); without any role column (e.g. NumPy
      input) the name lists ``"high"``/``"low"`` for up to three features
      (``"high x0, low x2"``), or ``"typical"``.
    - When two segments get the same name they are told apart by a suffix
      ``" (1)"``, ``" (2)"``... in label order.

    **Stability.**  For each of ``n_bootstrap`` rounds, ``min(n, sample_size)``
    customers are drawn with replacement, k-means (same k, same settings and
    algorithm as the main fit) is refitted on them and every customer is
    assigned to the nearest refitted centroid; ``stability_`` is the mean
    adjusted Rand index of these assignments against ``labels_`` (1 = identical
    partition, about 0 = chance).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.segmentation import CustomerSegmenter
    >>> customers = pd.DataFrame(
    ...     {
    ...         "recency_days": [3, 5, 4, 200, 220, 210, 40, 45, 50],
    ...         "frequency": [30, 25, 28, 1, 1, 2, 6, 5, 7],
    ...         "monetary_total": [3000.0, 2500, 2800, 20, 25, 30, 400, 380, 420],
    ...     },
    ...     index=pd.Index(list("abcdefghi"), name="customer_id"),
    ... )
    >>> seg = CustomerSegmenter(n_clusters=3, n_bootstrap=0, random_state=0).fit(customers)
    >>> seg.labels_
    array([0, 0, 0, 1, 1, 1, 2, 2, 2], dtype=int32)
    >>> seg.names_.tolist()
    ['active, high value', 'lost, low value', 'lapsing, mid value']
    >>> seg.profiles_[["size", "share", "revenue_share"]].round(3)
             size  share  revenue_share
    segment
    0           3  0.333          0.867
    1           3  0.333          0.008
    2           3  0.333          0.125
    """

    _parameter_constraints: dict = {
        "features": [None, list, tuple],
        "skew": [StrOptions({"log1p", "yeo-johnson"}), None],
        "scaling": [StrOptions({"standard", "robust"}), None],
        "n_clusters": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "k_range": [tuple, list],
        "criterion": [StrOptions({"silhouette", "calinski_harabasz", "elbow"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "algorithm": [StrOptions({"auto", "kmeans", "minibatch"})],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "sample_size": [Interval(Integral, 2, None, closed="left")],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        features: Sequence[str] | None = None,
        skew: str | None = "log1p",
        scaling: str | None = "standard",
        n_clusters: int | str = "auto",
        k_range: tuple[int, int] = (3, 8),
        criterion: str = "silhouette",
        tol: float = 0.02,
        algorithm: str = "auto",
        n_init: int = 10,
        max_iter: int = 300,
        batch_size: int = 4096,
        sample_size: int = 5000,
        n_bootstrap: int = 10,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.features = features
        self.skew = skew
        self.scaling = scaling
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.criterion = criterion
        self.tol = tol
        self.algorithm = algorithm
        self.n_init = n_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.sample_size = sample_size
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    # ------------------------------------------------------------------ input
    def _select(self, X: Any, *, fitting: bool) -> Any:
        """Pick the feature columns of a DataFrame (checked), pass arrays through."""
        if not isinstance(X, pd.DataFrame) or (not fitting and self._columns is None):
            # arrays, and any input of a segmenter fitted on an array: by position
            if self.features is not None and fitting:
                raise SchemaError(
                    f"features={list(self.features)!r} names columns, but X is a "
                    f"{type(X).__name__} without column names. Pass the customer table as a "
                    "pandas DataFrame, or set features=None to use every column of the array."
                )
            return X
        if fitting:
            if self.features is not None:
                features = list(self.features)
            elif all(c in X.columns for c in DEFAULT_FEATURES):
                features = list(DEFAULT_FEATURES)
            else:
                features = list(X.columns)
        else:
            features = list(self._columns)
        if not features:
            raise SchemaError("features is empty: name at least one numeric column of X.")
        missing = [c for c in features if c not in X.columns]
        if missing:
            raise SchemaError(
                f"column(s) {missing!r} not found in the customer table (columns: "
                f"{list(X.columns)[:20]!r}). Build the table with "
                "crmine.features.TransactionFeatures or pass features=[...] naming existing "
                "columns."
            )
        if len(set(features)) != len(features):
            raise SchemaError(f"features={features!r} names a column twice; list each once.")
        sub = X[features]
        for col in features:
            series = sub[col]
            if not pd.api.types.is_numeric_dtype(series):
                bad = series.head(3).tolist()
                raise SchemaError(
                    f"column {col!r} has dtype {series.dtype} (e.g. {bad!r}); clustering needs "
                    "numeric features. Convert it with pd.to_numeric or drop it from features."
                )
            values = series.to_numpy(dtype=float, na_value=np.nan)
            bad_mask = ~np.isfinite(values)
            if bad_mask.any():
                ids = X.index[bad_mask][:3].tolist()
                raise SchemaError(
                    f"column {col!r} has {int(bad_mask.sum())} NaN or inf value(s) (customers "
                    f"{ids!r}...). Fill them (e.g. fillna(0) for counts and spend) or drop those "
                    "customers before segmenting; crmine never drops rows silently."
                )
        return sub

    def _check_X(self, X: Any, *, fitting: bool) -> np.ndarray:
        sub = self._select(X, fitting=fitting)
        if fitting:
            self._columns = list(sub.columns) if isinstance(sub, pd.DataFrame) else None
            self.features_ = (
                [str(c) for c in sub.columns]
                if isinstance(sub, pd.DataFrame)
                else None  # filled in after validation
            )
        if isinstance(sub, pd.DataFrame) and any(
            pd.api.types.is_bool_dtype(sub[c]) for c in sub.columns
        ):
            sub = sub.astype(float)
        arr = _sk_validate_data(
            self,
            sub,
            reset=fitting,
            dtype=[np.float64, np.float32],
            ensure_min_samples=1,
        )
        if fitting and self.features_ is None:
            self.features_ = [f"x{j}" for j in range(arr.shape[1])]
        return np.asarray(arr, dtype=np.float64)

    # -------------------------------------------------------- preprocessing
    def _fit_preprocess(self, X: np.ndarray) -> np.ndarray:
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

    def _preprocess(self, X: np.ndarray) -> np.ndarray:
        if self.skew == "yeo-johnson":
            Z = self._power.transform(X)
        elif self.skew == "log1p":
            Z = _signed_log1p(X)
        else:
            Z = X
        if self._scaler is not None:
            Z = self._scaler.transform(Z)
        return Z

    def _inverse_preprocess(self, Z: np.ndarray) -> np.ndarray:
        if self._scaler is not None:
            Z = self._scaler.inverse_transform(Z)
        if self.skew == "yeo-johnson":
            return self._power.inverse_transform(Z)
        if self.skew == "log1p":
            return _signed_expm1(Z)
        return np.array(Z, dtype=float)

    # --------------------------------------------------------------- k-means
    def _make_kmeans(self, k: int, seed: int, n: int) -> KMeans | MiniBatchKMeans:
        use_minibatch = self.algorithm == "minibatch" or (
            self.algorithm == "auto" and n > _MINIBATCH_THRESHOLD
        )
        if use_minibatch:
            return MiniBatchKMeans(
                n_clusters=k,
                n_init=self.n_init,
                max_iter=self.max_iter,
                batch_size=self.batch_size,
                random_state=seed,
            )
        return KMeans(n_clusters=k, n_init=self.n_init, max_iter=self.max_iter, random_state=seed)

    def _scores(self, Z: np.ndarray, labels: np.ndarray, k: int, seed: int) -> dict[str, float]:
        n_labels = len(np.unique(labels))
        out = {"silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan}
        if 2 <= n_labels <= len(Z) - 1:
            sample = self.sample_size if len(Z) > self.sample_size else None
            try:
                # distances in chunks of at most 64 MiB instead of one sample x sample block
                with config_context(working_memory=64):
                    out["silhouette"] = float(
                        silhouette_score(Z, labels, sample_size=sample, random_state=seed)
                    )
            except ValueError:  # the sample happened to hold one label only
                pass
            out["calinski_harabasz"] = float(calinski_harabasz_score(Z, labels))
            out["davies_bouldin"] = float(davies_bouldin_score(Z, labels))
        return out

    def _k_range_values(self) -> list[int]:
        k_range = self.k_range
        if (
            len(k_range) != 2
            or not all(isinstance(k, Integral) and not isinstance(k, bool) for k in k_range)
            or k_range[0] < 2
            or k_range[1] < k_range[0]
        ):
            raise ValueError(
                f"k_range must be a pair (k_min, k_max) of integers with 2 <= k_min <= k_max, "
                f"got {k_range!r}. Example: k_range=(3, 8)."
            )
        return list(range(int(k_range[0]), int(k_range[1]) + 1))

    def _k_candidates(self, ks: list[int], n_distinct: int) -> list[int]:
        k_range = self.k_range
        feasible = [k for k in ks if k <= n_distinct - 1]
        if not feasible:
            raise SchemaError(
                f"n_samples={n_distinct} distinct customers are too few to choose k in "
                f"k_range={tuple(k_range)!r} (each k needs at least k + 1 distinct customers). "
                "Pass more customers, a smaller k_range, or an integer n_clusters."
            )
        if len(feasible) < len(ks):
            warnings.warn(
                f"only {n_distinct} distinct customers: k_range={tuple(k_range)!r} is cut to "
                f"k <= {feasible[-1]}.",
                DataWarning,
                stacklevel=3,
            )
        return feasible

    def _choose(self, table: pd.DataFrame) -> tuple[int, str, dict[int, str]]:
        ks = table.index.to_numpy()
        notes: dict[int, str] = {}
        if self.criterion == "elbow":
            idx = _kneedle(ks.astype(float), table["inertia"].to_numpy(dtype=float))
            if idx is None:
                k = int(ks[0])
                reason = (
                    f"elbow: the inertia curve over k={ks[0]}..{ks[-1]} has no interior knee "
                    f"(Kneedle), so the smallest k={k} is used"
                )
            else:
                k = int(ks[idx])
                reason = (
                    f"elbow: Kneedle knee of the inertia curve over k={ks[0]}..{ks[-1]} is at k={k}"
                )
            notes[k] = "knee of the inertia curve" if idx is not None else "no knee; smallest k"
            return k, reason, notes
        col = self.criterion
        scores = table[col].to_numpy(dtype=float)
        if not np.isfinite(scores).any():
            k = int(ks[0])
            return (
                k,
                f"{col} could not be computed for any k; the smallest k={k} is used",
                {k: "no score; smallest k"},
            )
        best_i = int(np.nanargmax(scores))
        best = scores[best_i]
        if col == "silhouette":
            threshold = best - self.tol
            rule = f"silhouette >= best - tol = {best:.4f} - {self.tol:g}"
        else:
            threshold = best * (1.0 - self.tol)
            rule = f"calinski_harabasz >= (1 - tol) * best = (1 - {self.tol:g}) * {best:.4g}"
        ok = np.flatnonzero(np.nan_to_num(scores, nan=-np.inf) >= threshold)
        k = int(ks[ok[0]])
        for i in ok:
            notes[int(ks[i])] = "within tolerance of the best"
        notes[int(ks[best_i])] = f"best {col}"
        reason = (
            f"{col}: best {best:.4g} at k={int(ks[best_i])}; the smallest k with {rule} is k={k}"
        )
        if k != int(ks[best_i]):
            notes[k] = "chosen: smallest k within tolerance of the best"
        return k, reason, notes

    # ------------------------------------------------------------------- fit
    def fit(self, X: Any, y: Any = None) -> CustomerSegmenter:
        """Fit k-means (choosing k when ``n_clusters="auto"``) and describe the segments.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table (one row per customer).
        y : None
            Ignored.

        Returns
        -------
        self : CustomerSegmenter
            The fitted segmenter.
        """
        self._validate_params()
        Xarr = self._check_X(X, fitting=True)
        n = Xarr.shape[0]
        if n < 2:
            raise SchemaError(
                f"CustomerSegmenter needs at least 2 customers, got n_samples={n}. "
                "Segment a table with more customers."
            )
        rng = check_random_state(self.random_state)
        k_values = self._k_range_values() if self.n_clusters == "auto" else []
        needed = k_values[-1] + 1 if self.n_clusters == "auto" else int(self.n_clusters)
        n_distinct = _n_distinct_at_least(Xarr, needed)
        constant = [f for f, s in zip(self.features_, np.ptp(Xarr, axis=0)) if s == 0]
        if constant and len(constant) < Xarr.shape[1]:
            warnings.warn(
                f"feature(s) {constant!r} are constant; they carry no information and do not "
                "influence the segments. Drop them from features.",
                DataWarning,
                stacklevel=2,
            )
        if self.n_clusters == "auto":
            ks = self._k_candidates(k_values, n_distinct)
        else:
            k = int(self.n_clusters)
            if k > n_distinct:
                raise SchemaError(
                    f"n_clusters={k} is more than the {n_distinct} distinct customers "
                    f"(n_samples={n}). Pass n_clusters <= {n_distinct} or more customers."
                )
            ks = [k]

        Z = self._fit_preprocess(Xarr)
        rows = []
        models = {}
        for k in ks:
            seed = int(rng.randint(np.iinfo(np.int32).max))
            km = self._make_kmeans(k, seed, n).fit(Z)
            models[k] = km
            rows.append(
                {"k": k, "inertia": float(km.inertia_), **self._scores(Z, km.labels_, k, seed)}
            )
        table = pd.DataFrame(rows).set_index("k")
        if self.n_clusters == "auto":
            k, reason, notes = self._choose(table)
        else:
            k = ks[0]
            reason = f"n_clusters={k} was fixed by the user"
            notes = {k: "fixed by the user"}
        table["chosen"] = table.index == k
        table["note"] = [notes.get(int(kk), "") for kk in table.index]
        self.selection_scores_ = table
        self.selection_reason_ = reason
        logger.info("CustomerSegmenter: k=%d (%s)", k, reason)

        km = models[k]
        # number segments by decreasing size; ties by the row of their first customer
        counts = np.bincount(km.labels_, minlength=k)
        first_row = np.full(k, n)
        uniq, first = np.unique(km.labels_, return_index=True)
        first_row[uniq] = first
        order = np.lexsort((first_row, -counts))
        remap = np.empty(k, dtype=np.int32)
        remap[order] = np.arange(k, dtype=np.int32)
        self._kmeans = km
        self._remap = remap
        self._order = order
        self.labels_ = remap[km.labels_].astype(np.int32)
        self.n_clusters_ = int(k)
        self.inertia_ = float(km.inertia_)
        self.n_iter_ = int(km.n_iter_)
        self._centers_model = km.cluster_centers_[order]
        self.cluster_centers_ = self._inverse_preprocess(self._centers_model)

        self._describe(X, Xarr)
        self._bootstrap(Z, rng)
        return self

    def _bootstrap(self, Z: np.ndarray, rng: np.random.RandomState) -> None:
        n = len(Z)
        scores = []
        for _ in range(self.n_bootstrap):
            idx = rng.randint(0, n, size=min(n, self.sample_size))
            sub = Z[idx]
            if len(np.unique(sub, axis=0)) < self.n_clusters_:
                continue
            seed = int(rng.randint(np.iinfo(np.int32).max))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                km = self._make_kmeans(self.n_clusters_, seed, n).fit(sub)
            scores.append(adjusted_rand_score(self.labels_, km.predict(Z)))
        self.stability_scores_ = np.asarray(scores, dtype=float)
        self.stability_ = float(np.mean(scores)) if scores else float("nan")

    # --------------------------------------------------------------- profiles
    def _describe(self, X: Any, Xarr: np.ndarray) -> None:
        if isinstance(X, pd.DataFrame):
            cols = list(self._columns)
            for c in _ROLE_COLUMNS:
                if (
                    c not in cols
                    and c in X.columns
                    and pd.api.types.is_numeric_dtype(X[c])
                    and not pd.api.types.is_bool_dtype(X[c])
                ):
                    cols.append(c)
            data = pd.DataFrame(
                {str(c): X[c].to_numpy(dtype=float, na_value=np.nan) for c in cols},
                index=X.index,
            )
        else:
            data = pd.DataFrame(Xarr, columns=self.features_)
        labels = pd.Series(self.labels_, index=data.index, name="segment")
        grouped = data.groupby(labels.to_numpy())
        medians = grouped.median().reindex(range(self.n_clusters_))
        size = labels.value_counts().reindex(range(self.n_clusters_), fill_value=0)
        prof = pd.DataFrame(
            {"size": size.to_numpy(), "share": size.to_numpy() / len(labels)},
            index=pd.RangeIndex(self.n_clusters_, name="segment"),
        )
        for c in data.columns:
            prof[c] = medians[c].to_numpy()
        if _MONETARY in data.columns:
            total = data[_MONETARY].sum()
            rev = grouped[_MONETARY].sum().reindex(range(self.n_clusters_), fill_value=0.0)
            prof["revenue_share"] = rev.to_numpy() / total if total != 0 else np.nan
        self.population_medians_ = data.median()
        names = _name_segments(prof, data)
        prof.insert(0, "name", names)
        self.profiles_ = prof
        self.names_ = pd.Series(names, index=prof.index, name="name")

    # ------------------------------------------------------------- inference
    def predict(self, X: Any) -> np.ndarray:
        """Assign customers to the nearest segment.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table with the fitted feature columns.

        Returns
        -------
        labels : ndarray of shape (n_customers,)
            Segment of each customer (same numbering as ``labels_``).

        Examples
        --------
        >>> import numpy as np
        >>> from crmine.segmentation import CustomerSegmenter
        >>> X = np.array([[1.0, 1], [1.2, 1.1], [50, 60], [52, 61], [51, 58]])
        >>> seg = CustomerSegmenter(n_clusters=2, n_bootstrap=0, random_state=0).fit(X)
        >>> seg.predict(np.array([[55.0, 59], [0.9, 1.0]]))
        array([0, 1], dtype=int32)
        """
        check_is_fitted(self, "labels_")
        Z = self._preprocess(self._check_X(X, fitting=False))
        return self._remap[self._kmeans.predict(Z)].astype(np.int32)

    def transform(self, X: Any) -> np.ndarray:
        """Distance of each customer to each segment centroid.

        Distances are Euclidean, measured after the skew transform and scaling
        (the space in which k-means was fitted); column ``j`` is segment ``j``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table with the fitted feature columns.

        Returns
        -------
        distances : ndarray of shape (n_customers, n_clusters_)
            Distances to the centroids.

        Examples
        --------
        >>> import numpy as np
        >>> from crmine.segmentation import CustomerSegmenter
        >>> X = np.array([[1.0, 1], [1.2, 1.1], [50, 60], [52, 61], [51, 58]])
        >>> seg = CustomerSegmenter(n_clusters=2, n_bootstrap=0, random_state=0).fit(X)
        >>> seg.transform(X).argmin(axis=1)
        array([1, 1, 0, 0, 0])
        """
        check_is_fitted(self, "labels_")
        Z = self._preprocess(self._check_X(X, fitting=False))
        return self._kmeans.transform(Z)[:, self._order]

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit and return ``labels_``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table.
        y : None
            Ignored.

        Returns
        -------
        labels : ndarray of shape (n_customers,)
            Segment of each customer.

        Examples
        --------
        >>> import numpy as np
        >>> from crmine.segmentation import CustomerSegmenter
        >>> X = np.array([[1.0, 1], [1.2, 1.1], [50, 60], [52, 61], [51, 58]])
        >>> CustomerSegmenter(n_clusters=2, n_bootstrap=0, random_state=0).fit_predict(X)
        array([1, 1, 0, 0, 0], dtype=int32)
        """
        return self.fit(X).labels_

    @property
    def _n_features_out(self) -> int:
        return self.n_clusters_

    def _model_space(self, X: Any) -> np.ndarray:
        """Features of ``X`` after the skew transform and scaling (used by the plots)."""
        check_is_fitted(self, "labels_")
        return self._preprocess(self._check_X(X, fitting=False))


def _tertile_level(value: float, q1: float, q2: float) -> int:
    """Return -1 / 0 / +1 for below the 33rd, middle, above the 67th percentile."""
    if value > q2:
        return 1
    if value < q1:
        return -1
    return 0


def _name_segments(prof: pd.DataFrame, data: pd.DataFrame) -> list[str]:
    q = data.quantile([1 / 3, 2 / 3])
    top = data.quantile(0.9)
    names = []
    for _, row in prof.iterrows():
        parts: list[str] = []
        if _RECENCY in data.columns:
            r = row[_RECENCY]
            q1, q2 = q[_RECENCY]
            status = "active" if r <= q1 else ("lost" if r > q2 else "lapsing")
            if _TENURE in data.columns and row[_TENURE] <= q[_TENURE].iloc[0]:
                status = "new"
            parts.append(status)
        if _MONETARY in data.columns:
            lvl = _tertile_level(row[_MONETARY], *q[_MONETARY])
            if lvl == 1 and row[_MONETARY] > top[_MONETARY]:
                lvl = 2
            parts.append({2: "top value", 1: "high value", 0: "mid value", -1: "low value"}[lvl])
        elif _FREQUENCY in data.columns:
            lvl = _tertile_level(row[_FREQUENCY], *q[_FREQUENCY])
            parts.append({1: "high frequency", 0: "mid frequency", -1: "low frequency"}[lvl])
        if not parts:
            for col in list(data.columns)[:3]:
                lvl = _tertile_level(row[col], *q[col])
                if lvl:
                    parts.append(f"{'high' if lvl > 0 else 'low'} {col}")
            if not parts:
                parts.append("typical")
        names.append(", ".join(parts))
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            out.append(f"{name} ({seen[name]})")
        else:
            out.append(name)
    return out


def segment_customers(
    customers: pd.DataFrame,
    *,
    n_clusters: int | str = "auto",
    features: Sequence[str] | None = None,
    random_state: int | None = 0,
    **params: Any,
) -> pd.DataFrame:
    """Segment a customer table in one call.

    Parameters
    ----------
    customers : DataFrame
        Customer table, one row per customer (index = customer id).
    n_clusters : int or "auto", default="auto"
        Number of segments, or ``"auto"`` (see :class:`CustomerSegmenter`).
    features : list of str or None, default=None
        Feature columns; ``None`` uses recency, frequency and monetary value.
    random_state : int or None, default=0
        Seed of every random step.
    **params
        Other :class:`CustomerSegmenter` parameters.

    Returns
    -------
    DataFrame
        Indexed like ``customers`` with columns ``segment`` (int label) and
        ``segment_name``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.segmentation import segment_customers
    >>> customers = pd.DataFrame(
    ...     {
    ...         "recency_days": [3, 5, 200, 220, 40, 45],
    ...         "frequency": [30, 25, 1, 1, 6, 5],
    ...         "monetary_total": [3000.0, 2500, 20, 25, 400, 380],
    ...     }
    ... )
    >>> segment_customers(customers, n_clusters=3, n_bootstrap=0)["segment_name"].tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['active, high value', 'active, high value', 'lost, low value', 'lost, low value',
     'lapsing, mid value', 'lapsing, mid value']
    """
    seg = CustomerSegmenter(
        n_clusters=n_clusters, features=features, random_state=random_state, **params
    ).fit(customers)
    return pd.DataFrame(
        {"segment": seg.labels_, "segment_name": seg.names_.to_numpy()[seg.labels_]},
        index=customers.index,
    )
