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
   when ``n_clusters="auto"``.  On large tables k is chosen on a random sample
   of ``scan_size`` customers and only the chosen k is refitted on everyone,
   starting from the sample's centroids.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.utils import check_random_state

from crmine.base import Interval, StrOptions, _fit_context, on_customers
from crmine.exceptions import DataWarning, SchemaError
from crmine.segmentation._naming import describe_segments
from crmine.segmentation._selection import (
    choose_k,
    k_candidates,
    k_range_values,
    order_by_size,
    scan_k,
)
from crmine.segmentation._transform import SkewScaler, _n_distinct_at_least, feature_columns
from crmine.utils._validation import (
    check_is_fitted,
    customer_frame,
    read_customer_table,
    validate_data,
)

__all__ = ["DEFAULT_FEATURES", "CustomerSegmenter"]

logger = logging.getLogger(__name__)

#: Feature columns used when ``features=None`` and the table has all of them.
DEFAULT_FEATURES: tuple[str, ...] = ("recency_days", "frequency", "monetary_total")

# above this many customers ``algorithm="auto"`` switches to MiniBatchKMeans
_MINIBATCH_THRESHOLD = 100_000


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
        :class:`~sklearn.cluster.MiniBatchKMeans`; ``"auto"`` uses k-means
        (mini-batches only for a scan of more than 100,000 customers, i.e.
        ``scan_size=None`` on a very large table).
    n_init : int, default=3
        Number of k-means++ initialisations per k tried; the best is kept.
        The refit of the chosen k on all customers starts from the scan's
        centroids (one initialisation).
    max_iter : int, default=300
        Maximum number of k-means iterations (passes over the data for the
        mini-batch algorithm).
    batch_size : int, default=4096
        Mini-batch size of ``MiniBatchKMeans``.
    scan_size : int or None, default=20000
        When there are more customers, k is chosen on a random sample of this
        many (the scores of ``selection_scores_`` are the sample's) and only
        the chosen k is refitted on all customers, starting from the sample's
        centroids; the bootstrap of ``stability_`` also resamples the scan
        sample.  ``None`` scans all customers.
    sample_size : int, default=3000
        Silhouette scores are computed on a random sample of this many
        customers of the scan (the same sample for every k; the silhouette is
        quadratic in n), and bootstrap refits for ``stability_`` draw this
        many customers at most.
    n_bootstrap : int, default=10
        Number of bootstrap refits for ``stability_``; 0 skips it.
    random_state : int, RandomState instance or None, default=None
        Seeds every k-means fit, the silhouette sample and the bootstrap.  The
        same integer gives the same labels.

    Attributes
    ----------
    labels_ : ndarray of shape (n_customers,)
        Segment of each customer, ``0 .. n_clusters_-1`` (in input order;
        :meth:`fit_predict` and :meth:`predict` return them as a Series on the
        customer index for table input), numbered by
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
        (on a sample of ``sample_size`` customers when there are more; all
        scores on the scan sample of ``scan_size`` customers when there are
        more),
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

    **Names.**  A segment's medians of ``recency_days``, ``monetary_total``
    (or ``frequency``) and ``tenure_days`` are compared with the population
    tertiles: ``"<status>, <value>"`` such as ``"active, high value"``,
    ``"lapsing, mid value"``, ``"new, low value"`` or ``"lost, low value"``
    (the rules are in the user guide, "Profiles, centres and names").

    **Stability.**  For each of ``n_bootstrap`` rounds, ``min(m, sample_size)``
    customers are drawn with replacement from the ``m`` customers of the scan
    (all customers when there are at most ``scan_size``), k-means (same k,
    same settings) is refitted on them and every scanned customer is assigned
    to the nearest refitted centroid; ``stability_`` is the mean adjusted Rand
    index of these assignments against ``labels_`` on the scanned customers
    (1 = identical partition, about 0 = chance).

    **Speed.**  The default costs about one k-means run per k on at most
    ``scan_size`` customers plus one warm-started run on all of them:
    ``benchmarks/bench_segmentation.py`` prints it beside a hand-written
    "KMeans for k=3..8 + silhouette" loop at 100,000 and 1,000,000 customers.

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
        "scan_size": [Interval(Integral, 2, None, closed="left"), None],
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
        n_init: int = 3,
        max_iter: int = 300,
        batch_size: int = 4096,
        scan_size: int | None = 20_000,
        sample_size: int = 3000,
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
        self.scan_size = scan_size
        self.sample_size = sample_size
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    # ------------------------------------------------------------------ input
    def _check_X(self, X: Any, *, fitting: bool) -> tuple[np.ndarray, pd.Index | None]:
        """The clustered features as a float matrix, and the customer index (None for arrays).

        Tables (pandas, polars, pyarrow) are read by column name through
        :func:`crmine.utils._validation.read_customer_table`; arrays by
        position (scikit-learn's ``validate_data``).
        """
        X = customer_frame(X, name="X")
        if isinstance(X, pd.Series):
            X = X.to_frame()
        by_name = isinstance(X, pd.DataFrame) and (fitting or self._columns is not None)
        if not by_name:
            if self.features is not None and fitting:
                raise SchemaError(
                    f"features={list(self.features)!r} names columns, but X is a "
                    f"{type(X).__name__} without column names. Pass the customer table as a "
                    "pandas/polars/pyarrow table, or set features=None to use every column."
                )
            arr = validate_data(
                self, X, reset=fitting, dtype=[np.float64, np.float32], ensure_min_samples=1
            )
            if fitting:
                self._columns = None
                self.features_ = [f"x{j}" for j in range(arr.shape[1])]
            index = X.index if isinstance(X, pd.DataFrame) else None
            return np.asarray(arr, dtype=np.float64), index
        features = feature_columns(X, self.features, DEFAULT_FEATURES) if fitting else self._columns
        _, arr = read_customer_table(
            X, {c: c for c in features}, estimator=self, reset=fitting, what="CustomerSegmenter"
        )
        if fitting:
            self._columns = features
            self.features_ = [str(c) for c in features]
        return arr, X.index

    # ------------------------------------------------- preprocessing, k-means
    def _fit_preprocess(self, X: np.ndarray) -> np.ndarray:
        self._pre = SkewScaler(self.skew, self.scaling)
        return self._pre.fit_transform(X)

    def _preprocess(self, X: np.ndarray) -> np.ndarray:
        return self._pre.transform(X)

    def _inverse_preprocess(self, Z: np.ndarray) -> np.ndarray:
        return self._pre.inverse_transform(Z)

    def _make_kmeans(
        self, k: int, seed: int, n: int, init: np.ndarray | None = None
    ) -> KMeans | MiniBatchKMeans:
        use_minibatch = self.algorithm == "minibatch" or (
            self.algorithm == "auto" and init is None and n > _MINIBATCH_THRESHOLD
        )
        start: Any = "k-means++" if init is None else init
        n_init = self.n_init if init is None else 1
        if use_minibatch:
            return MiniBatchKMeans(
                n_clusters=k,
                init=start,
                n_init=n_init,
                max_iter=self.max_iter,
                batch_size=self.batch_size,
                random_state=seed,
            )
        return KMeans(
            n_clusters=k, init=start, n_init=n_init, max_iter=self.max_iter, random_state=seed
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> CustomerSegmenter:
        """Fit k-means (choosing k when ``n_clusters="auto"``) and describe the segments.

        Parameters
        ----------
        X : table or array-like of shape (n_customers, n_features)
            Customer table (one row per customer; pandas, polars or pyarrow,
            read by column name).
        y : None
            Ignored.

        Returns
        -------
        self : CustomerSegmenter
            The fitted segmenter.
        """
        X = customer_frame(X, name="X")
        Xarr, _ = self._check_X(X, fitting=True)
        n = Xarr.shape[0]
        if n < 2:
            raise SchemaError(
                f"CustomerSegmenter needs at least 2 customers, got n_samples={n}. "
                "Segment a table with more customers."
            )
        rng = check_random_state(self.random_state)
        k_values = k_range_values(self.k_range) if self.n_clusters == "auto" else []
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
            ks = k_candidates(k_values, n_distinct, self.k_range)
        else:
            k = int(self.n_clusters)
            if k > n_distinct:
                raise SchemaError(
                    f"n_clusters={k} is more than the {n_distinct} distinct customers "
                    f"(n_samples={n}). Pass n_clusters <= {n_distinct} or more customers."
                )
            ks = [k]

        Z = self._fit_preprocess(Xarr)
        # choose k on a sample (S = Z[scan]); silhouettes on one sub-sample of it for every k
        scan = None
        if self.scan_size is not None and n > self.scan_size:
            scan = np.sort(rng.choice(n, self.scan_size, replace=False))
        S = Z if scan is None else Z[scan]
        table, models = scan_k(S, ks, self._make_kmeans, rng, self.sample_size)
        if self.n_clusters == "auto":
            k, reason, notes = choose_k(table, self.criterion, self.tol)
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
        if scan is not None:  # refit the chosen k on everyone, from the scan's centroids
            seed = int(rng.randint(np.iinfo(np.int32).max))
            km = self._make_kmeans(k, seed, n, init=km.cluster_centers_).fit(Z)
        order, remap = order_by_size(km.labels_, k)
        self._kmeans = km
        self._remap = remap
        self._order = order
        self.labels_ = remap[km.labels_].astype(np.int32)
        self.n_clusters_ = int(k)
        self.inertia_ = float(km.inertia_)
        self.n_iter_ = int(km.n_iter_)
        self._centers_model = km.cluster_centers_[order]
        self.cluster_centers_ = self._inverse_preprocess(self._centers_model)

        self.profiles_, self.population_medians_, self.names_ = describe_segments(
            X, Xarr, self.labels_, self.n_clusters_, self._columns, self.features_
        )
        labels = self.labels_ if scan is None else self.labels_[scan]
        self._bootstrap(S, labels, rng)
        return self

    def _bootstrap(self, S: np.ndarray, labels: np.ndarray, rng: np.random.RandomState) -> None:
        """Refit on resamples of the scanned customers ``S``; ARI against ``labels`` on ``S``."""
        m = len(S)
        scores = []
        for _ in range(self.n_bootstrap):
            idx = rng.randint(0, m, size=min(m, self.sample_size))
            sub = S[idx]
            if len(np.unique(sub, axis=0)) < self.n_clusters_:
                continue
            seed = int(rng.randint(np.iinfo(np.int32).max))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                km = self._make_kmeans(self.n_clusters_, seed, len(sub)).fit(sub)
            scores.append(adjusted_rand_score(labels, km.predict(S)))
        self.stability_scores_ = np.asarray(scores, dtype=float)
        self.stability_ = float(np.mean(scores)) if scores else float("nan")

    # ------------------------------------------------------------- inference
    def predict(self, X: Any) -> np.ndarray:
        """Assign customers to the nearest segment.

        Parameters
        ----------
        X : table or array-like of shape (n_customers, n_features)
            Customer table with the fitted feature columns.

        Returns
        -------
        labels : pandas.Series or ndarray of shape (n_customers,)
            Segment of each customer (same numbering as ``labels_``): a
            Series named ``segment`` on the customer index for table input,
            an array for array input.

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
        Xarr, index = self._check_X(X, fitting=False)
        labels = self._remap[self._kmeans.predict(self._preprocess(Xarr))].astype(np.int32)
        return on_customers(labels, index, "segment")

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
        Z = self._preprocess(self._check_X(X, fitting=False)[0])
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
        labels : pandas.Series or ndarray of shape (n_customers,)
            ``labels_`` as a Series named ``segment`` on the customer index
            for table input, as an array for array input.

        Examples
        --------
        >>> import numpy as np
        >>> from crmine.segmentation import CustomerSegmenter
        >>> X = np.array([[1.0, 1], [1.2, 1.1], [50, 60], [52, 61], [51, 58]])
        >>> CustomerSegmenter(n_clusters=2, n_bootstrap=0, random_state=0).fit_predict(X)
        array([1, 1, 0, 0, 0], dtype=int32)
        """
        X = customer_frame(X, name="X")
        self.fit(X)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return on_customers(self.labels_, index, "segment")

    @property
    def _n_features_out(self) -> int:
        return self.n_clusters_

    def _model_space(self, X: Any) -> np.ndarray:
        """Features of ``X`` after the skew transform and scaling (used by the plots)."""
        check_is_fitted(self, "labels_")
        return self._preprocess(self._check_X(X, fitting=False)[0])
