"""k-means over very large Spark customer tables with MLlib."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from crmine.exceptions import SchemaError
from crmine.spark._common import check_numeric, require_pyspark

__all__ = ["SparkKMeans"]

_DEFAULT = ("recency_days", "frequency", "monetary_total")
_VEC = "__crmine_features"
_SCALED = "__crmine_scaled"


class SparkKMeans(BaseEstimator):
    """k-means segmentation of a Spark customer table with MLlib.

    The features are transformed as in :class:`crmine.segmentation.CustomerSegmenter`
    (signed ``log1p``, then standardised) and clustered with MLlib's
    :class:`pyspark.ml.clustering.KMeans` (``k-means||`` initialisation).  Use
    it when the customer table itself is too large to collect; otherwise
    collect it and use ``CustomerSegmenter``, which also chooses k and names
    the segments.

    Parameters
    ----------
    n_clusters : int, default 5
        Number of segments.
    features : sequence of str, optional
        Numeric columns to cluster on (default recency, frequency, monetary).
    skew : {"log1p", None}, default "log1p"
        Signed ``log1p`` (``sign(x) * log(1 + |x|)``) before scaling, or none.
    scaling : {"standard", None}, default "standard"
        Centre and divide by the standard deviation, or keep the values.
    max_iter : int, default 50
        Maximum k-means iterations.
    tol : float, default 1e-4
        Convergence tolerance of MLlib's k-means.
    output_col : str, default "segment"
        Column added by :meth:`predict`.
    random_state : int, RandomState, Generator or None, default None
        Seed of the initialisation (a generator draws one); None uses seed 0,
        so that a Spark fit is reproducible by default.

    Notes
    -----
    The scaled input is persisted (``DataFrame.persist``) for the duration of
    ``fit``, since k-means passes over it once per iteration, and released
    afterwards.

    Attributes
    ----------
    model_ : pyspark.ml.PipelineModel
        The fitted assembler, scaler and k-means.
    cluster_centers_ : numpy.ndarray of shape (n_clusters, n_features)
        Centres in the transformed (log, scaled) space.
    profiles_ : pandas.DataFrame
        Size and mean of each raw feature per segment.
    feature_names_in_ : numpy.ndarray of str

    Examples
    --------
    >>> from crmine.spark import SparkKMeans
    >>> km = SparkKMeans(n_clusters=4, random_state=0).fit(spark_table)  # doctest: +SKIP
    >>> km.predict(spark_table).groupBy("segment").count().show()  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        n_clusters: int = 5,
        features: Sequence[str] | None = None,
        skew: str | None = "log1p",
        scaling: str | None = "standard",
        max_iter: int = 50,
        tol: float = 1e-4,
        output_col: str = "segment",
        random_state: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.features = features
        self.skew = skew
        self.scaling = scaling
        self.max_iter = max_iter
        self.tol = tol
        self.output_col = output_col
        self.random_state = random_state

    def _columns(self, table: Any) -> list[str]:
        feats = list(self.features) if self.features is not None else list(_DEFAULT)
        missing = [c for c in feats if c not in table.columns]
        if missing:
            raise SchemaError(
                f"the customer table lacks feature column(s) {missing}; columns present: "
                f"{list(table.columns)[:12]}. Fix: features=[...] naming numeric columns."
            )
        for c in feats:
            check_numeric(table, c)
        return feats

    def _input(self, table: Any, feats: list[str]) -> Any:
        F = require_pyspark()
        cols = []
        for c in feats:
            x = F.col(c).cast("double")
            if self.skew == "log1p":
                x = F.signum(x) * F.log1p(F.abs(x))
            cols.append(x.alias(f"__crmine_x{len(cols)}"))
        return table.select("*", *cols)

    def fit(self, X: Any, y: object = None) -> SparkKMeans:
        """Fit the scaler and k-means on a Spark customer table.

        Parameters
        ----------
        X : pyspark.sql.DataFrame
            Customer table.
        y : ignored

        Returns
        -------
        self : SparkKMeans
        """
        F = require_pyspark()
        from pyspark.ml import Pipeline
        from pyspark.ml.clustering import KMeans
        from pyspark.ml.feature import StandardScaler, VectorAssembler

        if isinstance(self.n_clusters, bool) or int(self.n_clusters) < 2:
            raise ValueError(f"n_clusters must be an integer >= 2, got {self.n_clusters!r}.")
        if self.skew not in ("log1p", None):
            raise ValueError(f"skew must be 'log1p' or None, got {self.skew!r}.")
        if self.scaling not in ("standard", None):
            raise ValueError(f"scaling must be 'standard' or None, got {self.scaling!r}.")
        feats = self._columns(X)
        data = self._input(X, feats)
        xcols = [f"__crmine_x{i}" for i in range(len(feats))]
        nulls = data.agg(
            *[F.sum((F.col(c).isNull() | F.isnan(c)).cast("long")).alias(c) for c in xcols],
            F.count(F.lit(1)).alias("n"),
        ).collect()[0]
        bad = [feats[i] for i, c in enumerate(xcols) if nulls[c]]
        if bad:
            raise SchemaError(
                f"feature column(s) {bad} have missing or NaN values (e.g. interpurchase "
                "gaps of one-time buyers). Fix: fill them (fillna) or choose other features."
            )
        if nulls["n"] < int(self.n_clusters):
            raise ValueError(
                f"n_clusters={self.n_clusters} is more than the {nulls['n']} customers."
            )
        stages: list[Any] = [VectorAssembler(inputCols=xcols, outputCol=_VEC)]
        vec = _VEC
        if self.scaling == "standard":
            stages.append(
                StandardScaler(inputCol=_VEC, outputCol=_SCALED, withMean=True, withStd=True)
            )
            vec = _SCALED
        stages.append(
            KMeans(
                k=int(self.n_clusters),
                featuresCol=vec,
                predictionCol=self.output_col,
                maxIter=int(self.max_iter),
                tol=float(self.tol),
                seed=_seed(self.random_state),
            )
        )
        # k-means passes over its input once per iteration (and the scaler once more):
        # compute the transformed table once and keep it cached for the duration of fit
        data = data.select(*feats, *xcols).persist()
        try:
            self.model_ = Pipeline(stages=stages).fit(data)
            self.cluster_centers_ = np.asarray(self.model_.stages[-1].clusterCenters())
            self.feature_names_in_ = np.asarray(feats, dtype=object)
            labelled = self.model_.transform(data)
            prof = (
                labelled.groupBy(self.output_col)
                .agg(F.count(F.lit(1)).alias("size"), *[F.avg(c).alias(c) for c in feats])
                .toPandas()
                .set_index(self.output_col)
                .sort_index()
            )
        finally:
            data.unpersist()
        prof.attrs.clear()  # Spark Connect leaves its metrics object there
        self.profiles_ = prof
        return self

    def predict(self, X: Any) -> Any:
        """Add the segment of every customer as ``output_col``.

        Parameters
        ----------
        X : pyspark.sql.DataFrame
            Customer table with the feature columns.

        Returns
        -------
        pyspark.sql.DataFrame
            ``X`` with an integer ``output_col``.
        """
        check_is_fitted(self, "model_")
        feats = list(self.feature_names_in_)
        self._columns(X)
        out = self.model_.transform(self._input(X, feats))
        return out.select(*X.columns, out[self.output_col].cast("int").alias(self.output_col))

    def fit_predict(self, X: Any, y: object = None) -> Any:
        """Fit and return the segments (see :meth:`predict`)."""
        return self.fit(X).predict(X)

    @property
    def sizes_(self) -> pd.Series:
        """Number of customers per segment."""
        check_is_fitted(self, "profiles_")
        return self.profiles_["size"]


def _seed(random_state: Any) -> int:
    """A Spark seed from ``random_state`` (None -> a fixed default, as MLlib's own)."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    return int(random_state)
