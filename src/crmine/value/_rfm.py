"""RFM scoring: recency, frequency and monetary scores and the R x F segment."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from crmine.base import CustomerEstimatorMixin, Integral, Interval, StrOptions, _fit_context
from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._validation import check_is_fitted, is_dataframe_like
from crmine.value._common import customer_frame, customer_order, read_customers
from crmine.value._segments import DEFAULT_SEGMENT_MAP, segment_grid, segment_summary

__all__ = ["RFMScorer", "score_rfm"]

logger = logging.getLogger(__name__)

_ROLES = ("recency", "frequency", "monetary")


# --------------------------------------------------------------------------- scoring helpers
def _quantile_reference(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    uniq, counts = np.unique(values, return_counts=True)
    before = np.cumsum(counts) - counts
    return uniq, before, counts


def _quantile_scores(
    values: np.ndarray, order: np.ndarray, reference: tuple, n_ref: int, bins: int
) -> np.ndarray:
    """Score ``values`` (larger = higher score) against the training distribution.

    A customer's score is the quantile bin of its position among the training
    customers.  Customers whose value equals a training value are spread over
    that value's training positions in customer-id order (``order``), which on
    the training data itself is exactly ``rank(method="first")`` by id.
    """
    uniq, before, counts = reference
    idx = np.searchsorted(uniq, values, side="left")
    inside = idx < len(uniq)
    safe = np.minimum(idx, len(uniq) - 1)
    equal = inside & (uniq[safe] == values)
    below = np.where(inside, before[safe], n_ref)  # training values strictly smaller
    position = below.astype(np.int64)
    if equal.any():
        # j = index of the customer among the customers with the same value (id order),
        # m = number of customers with that value
        by_value = order[np.argsort(values[order], kind="stable")]
        v_sorted = values[by_value]
        starts = np.flatnonzero(np.r_[True, v_sorted[1:] != v_sorted[:-1]])
        sizes = np.diff(np.r_[starts, v_sorted.size])
        run_start = np.repeat(starts, sizes)
        j_all = np.empty(values.size, dtype=np.int64)
        m_all = np.empty(values.size, dtype=np.int64)
        j_all[by_value] = np.arange(values.size) - run_start
        m_all[by_value] = np.repeat(sizes, sizes)
        e = counts[safe]
        spread = (j_all * e) // m_all
        position = np.where(equal, position + spread, position)
    position = np.clip(position, 0, n_ref - 1)
    return _position_score(position, n_ref, bins)


def _position_score(position: np.ndarray, n: int, bins: int) -> np.ndarray:
    """Score of 0-based rank position ``p`` among ``n``: ``max(1, ceil(p * bins / (n - 1)))``.

    This is exactly ``pd.qcut(rank, bins)`` on the ranks ``1..n`` (quantile
    edges ``1 + k (n - 1) / bins``, right-closed), computed in integers.
    """
    if n == 1:
        return np.ones_like(position)
    return np.maximum(1, -((-position * bins) // (n - 1)))


def _edge_scores(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bins ``(e[k-1], e[k]]`` on ascending values: 1 + number of edges below."""
    return np.searchsorted(edges, values, side="left") + 1


def _check_edges(role: str, edges: Any, bins: int) -> np.ndarray:
    try:
        arr = np.asarray(edges, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if arr.size != bins - 1 or not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise SchemaError(
            f"RFMScorer: edges[{role!r}] = {edges!r} must be {bins - 1} strictly increasing "
            f"finite numbers (the inner bin edges for n_bins={bins}), e.g. "
            f"edges={{{role!r}: {list(range(1, bins))}}}."
        )
    return arr


# --------------------------------------------------------------------------- estimator
class RFMScorer(CustomerEstimatorMixin, TransformerMixin, BaseEstimator):
    """Score customers on recency, frequency and monetary value and name their segment.

    Each of R, F and M is cut into ``n_bins`` scores (1 = worst, ``n_bins`` =
    best; for recency, *recent* is best).  By default the cuts are quantiles
    learned in :meth:`fit`: customers are ranked with ties broken by
    customer id (``rank(method="first")`` after sorting by id), and the ranks
    are cut into ``n_bins`` groups of equal size (sizes differ by at most one)
    exactly as ``pd.qcut(ranks, n_bins)`` does: the customer with 1-based
    rank ``r`` among ``n`` scores ``max(1, ceil((r - 1) * n_bins / (n - 1)))``.
    Heavy ties - e.g. most customers bought once - therefore never fail and
    are split deterministically.  Fixed value edges can be given instead.

    The segment is looked up on the R x F grid in a segment map that is
    validated as a partition of the grid (see :func:`segment_grid`).

    Parameters
    ----------
    recency_col, frequency_col, monetary_col : str
        Columns of the customer table holding days since last purchase, number
        of purchases and money spent (defaults ``"recency_days"``,
        ``"frequency"``, ``"monetary_total"``, the names
        :class:`~crmine.features.TransactionFeatures` writes).  Columns are
        read by name only.  ``monetary_col=None`` scores R and F only (no
        ``m_score``; ``rfm_code`` has two digits).
    n_bins : int, default=5
        Number of scores per dimension.
    edges : dict or None, default=None
        Fixed inner edges per dimension, e.g. ``{"frequency": [1, 2, 4, 8]}``
        (``n_bins - 1`` increasing values; bins are right-closed, so frequency
        1 is score 1 and frequency 2 is score 2).  Recency edges are in days
        and are reversed: recency at or below the first edge gets the top
        score.  Dimensions not in the dict use learned quantiles.
    segment_map : "default", dict, DataFrame or None, default="default"
        ``"default"`` is :data:`DEFAULT_SEGMENT_MAP` (needs ``n_bins=5``); a
        dict or grid DataFrame is validated with :func:`segment_grid`;
        ``None`` leaves the ``segment`` column out.

    Attributes
    ----------
    edges_ : dict of str to ndarray
        Inner value edges per dimension (``n_bins - 1`` values, ascending).
        For quantile scoring these are the largest training value of each
        score 1..n_bins-1 (for recency: the smallest days of each score below
        the top one); a value can repeat when ties span several scores.
    segment_grid_ : DataFrame or None
        The validated R x F segment grid.
    segments_ : list of str
        Segment names in map order.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` seen in fit (tables with string columns only).

    Notes
    -----
    **Input.** A customer table: a pandas DataFrame indexed by customer id,
    or a polars/pyarrow table whose ``customer_id`` column becomes the id.
    Columns are always read by name.  A bare numeric array (what
    scikit-learn's estimator checks pass) is read by the documented order:
    column 0 = recency, 1 = frequency, 2 = monetary.

    **Scoring another period.** Quantile scores place each new customer among
    the *training* customers: the score is that of the training position the
    value would take.  A value between two training values gets the score of
    the next larger training value; a value above the training maximum gets
    the top score and one below the minimum gets score 1 (scores are clipped,
    never extrapolated).  New customers whose value equals a training value
    that spans several scores are spread over those scores in the training
    proportions, in customer-id order.  On the training table itself this
    reproduces the rank scores exactly, so ``fit_transform(X)`` equals
    ``fit(X).transform(X)``.

    **Output.** For a table, :meth:`transform` returns a pandas copy indexed
    by customer id with the columns ``r_score``, ``f_score``, ``m_score``,
    ``rfm_code`` (e.g. ``"545"``, scores joined with ``"-"`` when
    ``n_bins > 9``), ``rfm_score`` (R + F + M) and ``segment`` appended.  For
    an array it returns a float array with the numeric columns ``r_score,
    f_score, m_score, rfm_score`` (without ``m_score`` when
    ``monetary_col=None``).

    Recency and frequency must not be negative (a negative recency means a
    purchase after the cutoff).  Monetary may be negative (net spend after
    returns) and is ranked like any other value.  A single customer gets
    score 1 everywhere (there is nobody to compare with).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.value import RFMScorer
    >>> customers = pd.DataFrame(
    ...     {"recency_days": [5, 40, 200, 10, 90],
    ...      "frequency": [12, 3, 1, 8, 1],
    ...      "monetary_total": [900.0, 150.0, 20.0, 640.0, 35.0]},
    ...     index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"))
    >>> scored = RFMScorer().fit_transform(customers)
    >>> scored[["r_score", "f_score", "m_score", "rfm_code", "segment"]]
                 r_score  f_score  m_score rfm_code              segment
    customer_id
    a                  5        5        5      555            Champions
    b                  3        3        3      333       Need Attention
    c                  1        1        1      111          Hibernating
    d                  4        4        4      444      Loyal Customers
    e                  2        2        2      222          Hibernating
    """

    _parameter_constraints: dict = {
        "recency_col": [str],
        "frequency_col": [str],
        "monetary_col": [str, None],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "edges": [dict, None],
        "segment_map": [StrOptions({"default"}), dict, pd.DataFrame, None],
    }

    def __init__(
        self,
        *,
        recency_col: str = "recency_days",
        frequency_col: str = "frequency",
        monetary_col: str | None = "monetary_total",
        n_bins: int = 5,
        edges: dict[str, Sequence[float]] | None = None,
        segment_map: str | Mapping[str, Any] | pd.DataFrame | None = "default",
    ) -> None:
        self.recency_col = recency_col
        self.frequency_col = frequency_col
        self.monetary_col = monetary_col
        self.n_bins = n_bins
        self.edges = edges
        self.segment_map = segment_map

    # -- helpers -----------------------------------------------------------------
    def _columns(self) -> dict[str, str]:
        cols = {"recency": self.recency_col, "frequency": self.frequency_col}
        if self.monetary_col is not None:
            cols["monetary"] = self.monetary_col
        return cols

    def _read(
        self, X: Any, *, reset: bool
    ) -> tuple[pd.DataFrame | None, np.ndarray, pd.Index | None]:
        frame, values, ids = read_customers(self, X, self._columns(), reset=reset)
        for k, role in enumerate(("recency", "frequency")):
            negative = values[:, k] < 0
            if negative.any():
                col = self._columns()[role]
                where = (
                    f"customers {list(ids[negative][:5])}"
                    if ids is not None
                    else f"rows {np.flatnonzero(negative)[:5].tolist()}"
                )
                raise SchemaError(
                    f"Negative values in data passed to {type(self).__name__}: {role} column "
                    f"{col!r} has {int(negative.sum())} negative values (min "
                    f"{values[negative, k].min():g}, {where}). Recency and frequency cannot "
                    "be negative; a negative recency means a purchase after the cutoff - "
                    "recompute the customer table with transactions strictly before it."
                )
        return frame, values, ids

    def _score(self, values: np.ndarray, ids: pd.Index | None) -> np.ndarray:
        order = customer_order(ids, values.shape[0])
        scores = np.empty(values.shape, dtype=np.int64)
        for k, role in enumerate(self._columns()):
            v = values[:, k]
            if role in self._fixed_edges:
                s = _edge_scores(v, self._fixed_edges[role])
                scores[:, k] = self.n_bins + 1 - s if role == "recency" else s
            else:
                key = -v if role == "recency" else v
                scores[:, k] = _quantile_scores(
                    key, order, self._reference[role], self._n_train, self.n_bins
                )
        return scores

    def _grid(self) -> pd.DataFrame | None:
        if isinstance(self.segment_map, str):  # "default"
            if self.n_bins != 5:
                raise SchemaError(
                    f"RFMScorer: the default segment map is defined on the 5 x 5 R x F grid, "
                    f"but n_bins={self.n_bins}. Pass n_bins=5, a segment_map for a "
                    f"{self.n_bins} x {self.n_bins} grid, or segment_map=None."
                )
            return segment_grid(None)
        if self.segment_map is None:
            return None
        return segment_grid(self.segment_map, n_bins=self.n_bins)

    # -- API -----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> RFMScorer:
        """Learn the score edges from a customer table.

        Parameters
        ----------
        X : DataFrame, polars/pyarrow table or array-like of shape (n_customers, n_features)
            Customer table (index = customer id), read by column name.
        y : None
            Ignored.

        Returns
        -------
        self : RFMScorer
            The fitted scorer.
        """
        fixed: dict[str, np.ndarray] = {}
        for role, e in (self.edges or {}).items():
            if role not in _ROLES:
                raise SchemaError(
                    f"RFMScorer: edges has key {role!r}; use 'recency', 'frequency' or 'monetary'."
                )
            fixed[role] = _check_edges(role, e, self.n_bins)
        grid = self._grid()
        _, values, _ = self._read(X, reset=True)
        n = values.shape[0]
        self._fixed_edges = fixed
        self._n_train = n
        self._reference = {}
        self.edges_ = {}
        for k, role in enumerate(self._columns()):
            v = values[:, k]
            if role in fixed:
                self.edges_[role] = fixed[role].copy()
                continue
            key = -v if role == "recency" else v
            self._reference[role] = _quantile_reference(key)
            if np.all(v == v[0]) and n > 1:
                warnings.warn(
                    f"RFMScorer: {role} column {self._columns()[role]!r} is constant "
                    f"({v[0]:g}) for all {n} customers; its scores only reflect customer-id "
                    "order. Use fixed edges for this dimension or drop it from the analysis.",
                    DataWarning,
                    stacklevel=3,
                )
            sorted_key = np.sort(key)
            last = [k_ * (n - 1) // self.n_bins for k_ in range(1, self.n_bins)]
            edges = sorted_key[last]
            self.edges_[role] = -edges[::-1] if role == "recency" else edges
            nxt = np.minimum(np.add(last, 1), n - 1)
            split = sorted_key[last][(sorted_key[last] == sorted_key[nxt]) & (n > 1)]
            if split.size:
                logger.info(
                    "RFMScorer: %s values %s span several scores; tied customers were split "
                    "by customer id",
                    role,
                    np.unique(-split if role == "recency" else split).tolist(),
                )
        self.segment_grid_ = grid
        if grid is None:
            self.segments_ = []
        elif isinstance(self.segment_map, pd.DataFrame):
            self.segments_ = list(pd.unique(grid.to_numpy().ravel()))
        elif isinstance(self.segment_map, str):
            self.segments_ = list(DEFAULT_SEGMENT_MAP)
        else:
            self.segments_ = list(self.segment_map)
        return self

    def transform(self, X: Any) -> pd.DataFrame | np.ndarray:
        """Score customers with the learned edges.

        Parameters
        ----------
        X : DataFrame, polars/pyarrow table or array-like of shape (n_customers, n_features)
            Customer table of this or another period.

        Returns
        -------
        DataFrame or ndarray
            For a table: a pandas copy indexed by customer id with ``r_score``,
            ``f_score``, ``m_score``, ``rfm_code``, ``rfm_score`` and
            ``segment`` added.  For an array: float array of ``r_score,
            f_score, m_score, rfm_score``.
        """
        check_is_fitted(self, "edges_")
        frame, values, ids = self._read(X, reset=False)
        scores = self._score(values, ids)
        total = scores.sum(axis=1)
        if frame is None:
            return np.column_stack([scores, total]).astype(np.float64)
        out = frame.copy()
        out["r_score"] = scores[:, 0]
        out["f_score"] = scores[:, 1]
        if self.monetary_col is not None:
            out["m_score"] = scores[:, 2]
        if self.n_bins <= 9:
            code = scores @ (10 ** np.arange(scores.shape[1] - 1, -1, -1))
            out["rfm_code"] = code.astype(str).astype(object)
        else:
            text = [pd.Series(scores[:, k]).astype(str) for k in range(scores.shape[1])]
            out["rfm_code"] = text[0].str.cat(text[1:], sep="-").to_numpy()
        out["rfm_score"] = total
        if self.segment_grid_ is not None:
            grid = self.segment_grid_.to_numpy()  # rows: r = n_bins..1, cols: f = 1..n_bins
            labels = grid[self.n_bins - scores[:, 0], scores[:, 1] - 1]
            out["segment"] = pd.Categorical(labels, categories=self.segments_)
        return out

    def segment_summary(self, X: Any) -> pd.DataFrame:
        """Summarise the segments of a customer table (see :func:`segment_summary`).

        Parameters
        ----------
        X : DataFrame or polars/pyarrow table
            Customer table to score and summarise.

        Returns
        -------
        DataFrame
            One row per segment, in map order.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"recency_days": [1, 50], "frequency": [4, 1],
        ...                   "monetary_total": [400.0, 100.0]})
        >>> RFMScorer(n_bins=2, segment_map={"best": ((2, 2), (1, 2)),
        ...                                  "rest": ((1, 1), (1, 2))}
        ...           ).fit(X).segment_summary(X)["revenue_share"].tolist()
        [0.8, 0.2]
        """
        check_is_fitted(self, "edges_")
        if self.monetary_col is None:
            raise SchemaError(
                "RFMScorer was fitted with monetary_col=None; segment_summary reports revenue, "
                "so pass monetary_col=<spend column>."
            )
        if self.segment_grid_ is None:
            raise SchemaError(
                "RFMScorer was fitted with segment_map=None, so there are no segments to "
                "summarise; pass segment_map='default' or a map."
            )
        scored = self.transform(X)
        if not isinstance(scored, pd.DataFrame):
            raise SchemaError(
                "segment_summary needs a customer table (pandas, polars or pyarrow) - it "
                f"reports revenue and order values by column; got {type(X).__name__}."
            )
        return segment_summary(
            scored,
            recency_col=self.recency_col,
            frequency_col=self.frequency_col,
            monetary_col=self.monetary_col,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


def score_rfm(customers: Any, **params: Any) -> pd.DataFrame:
    """One-line RFM scoring: ``RFMScorer(**params).fit_transform(customers)``.

    Parameters
    ----------
    customers : DataFrame or polars/pyarrow table
        Customer table (index or ``customer_id`` column = customer id) with
        recency, frequency and monetary columns.
    **params
        Parameters of :class:`RFMScorer`.

    Returns
    -------
    DataFrame
        Indexed by customer id: the table with ``r_score``, ``f_score``,
        ``m_score``, ``rfm_code``, ``rfm_score`` and ``segment`` added.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"recency_days": [3, 30], "frequency": [5, 1],
    ...                   "monetary_total": [250.0, 10.0]}, index=["a", "b"])
    >>> score_rfm(t, n_bins=2, segment_map=None)["rfm_code"].to_dict()
    {'a': '222', 'b': '111'}
    """
    if not is_dataframe_like(customers):
        customer_frame(customers, name="customers")  # a path: say "read it first"
        raise SchemaError(
            "score_rfm reads a customer table by column name and got "
            f"{type(customers).__name__}; pass a pandas/polars/pyarrow table (or use "
            "RFMScorer for arrays)."
        )
    return RFMScorer(**params).fit_transform(customers)
