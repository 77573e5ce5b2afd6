"""RFM scoring and the R x F segment map."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from crmine.exceptions import DataWarning, SchemaError
from crmine.value._common import check_fitted, customer_order, select_columns

__all__ = [
    "DEFAULT_SEGMENT_MAP",
    "RFMScorer",
    "score_rfm",
    "segment_grid",
    "segment_summary",
]

logger = logging.getLogger(__name__)

_ROLES = ("recency", "frequency", "monetary")

#: The 10-segment map on the 5 x 5 grid of recency score (R) and frequency
#: score (F).  Each segment is a rectangle ``((r_low, r_high), (f_low, f_high))``
#: with inclusive bounds; together they cover all 25 cells exactly once.
DEFAULT_SEGMENT_MAP: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "Champions": ((5, 5), (4, 5)),
    "Loyal Customers": ((3, 4), (4, 5)),
    "Potential Loyalists": ((4, 5), (2, 3)),
    "New Customers": ((5, 5), (1, 1)),
    "Promising": ((4, 4), (1, 1)),
    "Need Attention": ((3, 3), (3, 3)),
    "About to Sleep": ((3, 3), (1, 2)),
    "At Risk": ((1, 2), (3, 4)),
    "Can't Lose Them": ((1, 2), (5, 5)),
    "Hibernating": ((1, 2), (1, 2)),
}


# --------------------------------------------------------------------------- segment map
def _as_range(spec: Any, bins: int, segment: str, axis: str) -> tuple[int, int]:
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        lo = hi = int(spec)
    else:
        try:
            lo, hi = (int(v) for v in spec)
        except (TypeError, ValueError):
            raise SchemaError(
                f"segment map: segment {segment!r} has {axis} range {spec!r}; give an integer "
                f"score or an inclusive pair (low, high), e.g. (4, 5)."
            ) from None
    if not 1 <= lo <= hi <= bins:
        raise SchemaError(
            f"segment map: segment {segment!r} has {axis} range ({lo}, {hi}); scores run "
            f"from 1 to {bins}, so use 1 <= low <= high <= {bins}."
        )
    return lo, hi


def _rectangles(spec: Any) -> list[Any]:
    """Return the rectangles of a segment: one tuple, or a list of them."""
    if isinstance(spec, list):
        return spec
    return [spec]


def segment_grid(
    segment_map: Mapping[str, Any] | pd.DataFrame | None = None,
    *,
    r_bins: int = 5,
    f_bins: int = 5,
) -> pd.DataFrame:
    """Validate a segment map as a partition of the R x F grid and return the grid.

    Parameters
    ----------
    segment_map : dict, DataFrame or None
        ``None`` means :data:`DEFAULT_SEGMENT_MAP`.  A dict maps each segment
        name to a rectangle, a tuple ``((r_low, r_high), (f_low, f_high))`` of
        inclusive score bounds (an integer stands for a single score), or to a
        *list* of such tuples when the segment is not one rectangle.  A
        DataFrame is taken as the grid itself: index = R scores, columns = F
        scores, cells = segment names.
    r_bins, f_bins : int, default=5
        Number of recency and frequency scores.

    Returns
    -------
    DataFrame
        Index ``r_score`` from ``r_bins`` down to 1, columns ``f_score`` from 1
        to ``f_bins``, each cell the name of its segment.

    Raises
    ------
    SchemaError
        If a cell is not covered by any segment, or by more than one; the
        message lists the uncovered and the overlapping cells.

    Examples
    --------
    >>> grid = segment_grid()
    >>> grid.loc[5, 5], grid.loc[1, 1]
    ('Champions', 'Hibernating')
    >>> segment_grid({"all": ((1, 5), (1, 4))})
    Traceback (most recent call last):
    ...
    crmine.exceptions.SchemaError: segment map is not a partition ... (R, F): (1, 5), ...
    """
    if segment_map is None:
        segment_map = DEFAULT_SEGMENT_MAP
    r_scores = list(range(r_bins, 0, -1))
    f_scores = list(range(1, f_bins + 1))
    if isinstance(segment_map, pd.DataFrame):
        grid = segment_map.copy()
        expected_r, expected_f = set(range(1, r_bins + 1)), set(f_scores)
        if set(grid.index) != expected_r or set(grid.columns) != expected_f:
            raise SchemaError(
                "segment map grid must have index = R scores 1.."
                f"{r_bins} and columns = F scores 1..{f_bins}; got index {list(grid.index)} "
                f"and columns {list(grid.columns)}."
            )
        grid = grid.loc[r_scores, f_scores]
        missing = [(r, f) for r in r_scores for f in f_scores if pd.isna(grid.loc[r, f])]
        if missing:
            cells = ", ".join(f"({r}, {f})" for r, f in missing)
            raise SchemaError(
                f"segment map is not a partition of the {r_bins} x {f_bins} grid: "
                f"uncovered cells (R, F): {cells}. Give every cell a segment name."
            )
    else:
        if not isinstance(segment_map, Mapping) or len(segment_map) == 0:
            raise SchemaError(
                "segment map must be a non-empty dict {name: ((r_low, r_high), (f_low, f_high))} "
                f"or a grid DataFrame; got {type(segment_map).__name__}."
            )
        owners: dict[tuple[int, int], list[str]] = {(r, f): [] for r in r_scores for f in f_scores}
        for name, spec in segment_map.items():
            for rect in _rectangles(spec):
                try:
                    r_spec, f_spec = rect
                except (TypeError, ValueError):
                    raise SchemaError(
                        f"segment map: segment {name!r} must be ((r_low, r_high), "
                        f"(f_low, f_high)) or a list of such rectangles; got {rect!r}."
                    ) from None
                r_lo, r_hi = _as_range(r_spec, r_bins, name, "R")
                f_lo, f_hi = _as_range(f_spec, f_bins, name, "F")
                for r in range(r_lo, r_hi + 1):
                    for f in range(f_lo, f_hi + 1):
                        if name not in owners[(r, f)]:
                            owners[(r, f)].append(name)
        uncovered = [cell for cell, o in owners.items() if not o]
        overlapping = {cell: o for cell, o in owners.items() if len(o) > 1}
        if uncovered or overlapping:
            parts = []
            if uncovered:
                cells = ", ".join(f"({r}, {f})" for r, f in sorted(uncovered))
                parts.append(f"uncovered cells (R, F): {cells}")
            if overlapping:
                cells = ", ".join(
                    f"({r}, {f}) in {' and '.join(map(repr, o))}"
                    for (r, f), o in sorted(overlapping.items())
                )
                parts.append(f"overlapping cells: {cells}")
            raise SchemaError(
                f"segment map is not a partition of the {r_bins} x {f_bins} R x F grid: "
                + "; ".join(parts)
                + ". Every cell must belong to exactly one segment."
            )
        grid = pd.DataFrame(
            [[owners[(r, f)][0] for f in f_scores] for r in r_scores],
            index=r_scores,
            columns=f_scores,
        )
    grid.index.name = "r_score"
    grid.columns.name = "f_score"
    return grid


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
    arr = np.asarray(edges, dtype=np.float64).ravel()
    if arr.size != bins - 1 or not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise SchemaError(
            f"RFMScorer: edges[{role!r}] = {list(np.asarray(edges).ravel())} must be "
            f"{bins - 1} strictly increasing finite values (the inner bin edges for "
            f"bins={bins}), e.g. edges={{{role!r}: {list(range(1, bins))}}}."
        )
    return arr


# --------------------------------------------------------------------------- estimator
class RFMScorer(TransformerMixin, BaseEstimator):
    """Score customers on recency, frequency and monetary value and name their segment.

    Each of R, F and M is cut into ``bins`` scores (1 = worst, ``bins`` =
    best; for recency, *recent* is best).  By default the cuts are quantiles
    learned in :meth:`fit`: customers are ranked with ties broken by
    customer id (``rank(method="first")`` after sorting by id), and the ranks
    are cut into ``bins`` groups of equal size (sizes differ by at most one)
    exactly as ``pd.qcut(ranks, bins)`` does: the customer with 1-based rank
    ``r`` among ``n`` scores ``max(1, ceil((r - 1) * bins / (n - 1)))``.
    Heavy ties - e.g. most customers bought once - therefore never fail and
    are split deterministically.  Fixed value edges can be given instead.

    The segment is looked up on the R x F grid in a segment map that is
    validated as a partition of the grid (see :func:`segment_grid`).

    Parameters
    ----------
    recency, frequency, monetary : str or int
        Columns of the customer table holding days since last purchase, number
        of purchases and money spent (defaults ``"recency_days"``,
        ``"frequency"``, ``"monetary_total"``).  A string selects a DataFrame
        column by name, an integer by position.  For a NumPy array, integers
        are positions and string names fall back to positions 0, 1 and 2.
        ``monetary=None`` scores R and F only (no ``m_score``; ``rfm_code`` has
        two digits).
    bins : int, default=5
        Number of scores per dimension.
    edges : dict or None, default=None
        Fixed inner edges per dimension, e.g. ``{"frequency": [1, 2, 4, 8]}``
        (``bins - 1`` increasing values; bins are right-closed, so frequency 1
        is score 1 and frequency 2 is score 2).  Recency edges are in days and
        are reversed: recency at or below the first edge gets the top score.
        Dimensions not in the dict use learned quantiles.
    segment_map : "default", dict, DataFrame or None, default="default"
        ``"default"`` is :data:`DEFAULT_SEGMENT_MAP` (needs ``bins=5``); a dict
        or grid DataFrame is validated with :func:`segment_grid`; ``None``
        leaves the ``segment`` column out.

    Attributes
    ----------
    edges_ : dict of str to ndarray
        Inner value edges per dimension (``bins - 1`` values, ascending).  For
        quantile scoring these are the largest training value of each score
        1..bins-1 (for recency: the smallest days of each score below the top
        one); a value can repeat when ties span several scores.
    segment_grid_ : DataFrame or None
        The validated R x F segment grid.
    segments_ : list of str
        Segment names in map order.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` seen in fit (DataFrames with string columns only).

    Notes
    -----
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

    **Output.** For a DataFrame, :meth:`transform` returns a copy with the
    columns ``r_score``, ``f_score``, ``m_score``, ``rfm_code`` (e.g. ``"545"``,
    scores joined with ``"-"`` when ``bins > 9``), ``rfm_score`` (R + F + M)
    and ``segment`` appended.  For an array it returns a float array with the
    numeric columns ``r_score, f_score, m_score, rfm_score`` (without
    ``m_score`` when ``monetary=None``).

    Recency and frequency must not be negative (a negative recency means a
    purchase after the cutoff).  Monetary may be negative (net spend after
    returns) and is ranked like any other value.

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
        "recency": [str, Interval(Integral, 0, None, closed="left")],
        "frequency": [str, Interval(Integral, 0, None, closed="left")],
        "monetary": [str, Interval(Integral, 0, None, closed="left"), None],
        "bins": [Interval(Integral, 2, None, closed="left")],
        "edges": [dict, None],
        "segment_map": [StrOptions({"default"}), dict, pd.DataFrame, None],
    }

    def __init__(
        self,
        *,
        recency: str | int = "recency_days",
        frequency: str | int = "frequency",
        monetary: str | int | None = "monetary_total",
        bins: int = 5,
        edges: dict[str, Sequence[float]] | None = None,
        segment_map: str | Mapping[str, Any] | pd.DataFrame | None = "default",
    ) -> None:
        self.recency = recency
        self.frequency = frequency
        self.monetary = monetary
        self.bins = bins
        self.edges = edges
        self.segment_map = segment_map

    # -- helpers -----------------------------------------------------------------
    def _columns(self) -> dict[str, str | int]:
        cols: dict[str, str | int] = {"recency": self.recency, "frequency": self.frequency}
        if self.monetary is not None:
            cols["monetary"] = self.monetary
        return cols

    def _read(self, X: Any, *, reset: bool) -> tuple[np.ndarray, pd.Index | None]:
        values, ids = select_columns(
            self,
            X,
            self._columns(),
            reset=reset,
            default_positions={"recency": 0, "frequency": 1, "monetary": 2},
        )
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
        return values, ids

    def _score(self, values: np.ndarray, ids: pd.Index | None) -> np.ndarray:
        order = customer_order(ids, values.shape[0])
        scores = np.empty(values.shape, dtype=np.int64)
        for k, role in enumerate(self._columns()):
            v = values[:, k]
            if role in self._fixed_edges:
                s = _edge_scores(v, self._fixed_edges[role])
                scores[:, k] = self.bins + 1 - s if role == "recency" else s
            else:
                key = -v if role == "recency" else v
                scores[:, k] = _quantile_scores(
                    key, order, self._reference[role], self._n_train, self.bins
                )
        return scores

    # -- API -----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> RFMScorer:
        """Learn the score edges from a customer table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table (index = customer id) or numeric array.
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
            fixed[role] = _check_edges(role, e, self.bins)
        if isinstance(self.segment_map, str):  # "default"
            if self.bins != 5:
                raise SchemaError(
                    f"RFMScorer: the default segment map is defined on the 5 x 5 R x F grid, "
                    f"but bins={self.bins}. Pass bins=5, a segment_map for a {self.bins} x "
                    f"{self.bins} grid, or segment_map=None."
                )
            grid = segment_grid(None)
        elif self.segment_map is None:
            grid = None
        else:
            grid = segment_grid(self.segment_map, r_bins=self.bins, f_bins=self.bins)

        values, ids = self._read(X, reset=True)
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
            last = [k_ * (n - 1) // self.bins for k_ in range(1, self.bins)]
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
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer table of this or another period, or numeric array.

        Returns
        -------
        DataFrame or ndarray
            For a DataFrame: a copy with ``r_score``, ``f_score``, ``m_score``,
            ``rfm_code``, ``rfm_score`` and ``segment`` added.  For an array:
            float array of ``r_score, f_score, m_score, rfm_score``.
        """
        check_fitted(self, "edges_")
        values, ids = self._read(X, reset=False)
        scores = self._score(values, ids)
        total = scores.sum(axis=1)
        if not isinstance(X, pd.DataFrame):
            return np.column_stack([scores, total]).astype(np.float64)
        out = X.copy()
        out["r_score"] = scores[:, 0]
        out["f_score"] = scores[:, 1]
        if self.monetary is not None:
            out["m_score"] = scores[:, 2]
        if self.bins <= 9:
            code = scores @ (10 ** np.arange(scores.shape[1] - 1, -1, -1))
            out["rfm_code"] = code.astype(str).astype(object)
        else:
            text = [pd.Series(scores[:, k]).astype(str) for k in range(scores.shape[1])]
            out["rfm_code"] = text[0].str.cat(text[1:], sep="-").to_numpy()
        out["rfm_score"] = total
        if self.segment_grid_ is not None:
            grid = self.segment_grid_.to_numpy()  # rows: r = bins..1, cols: f = 1..bins
            labels = grid[self.bins - scores[:, 0], scores[:, 1] - 1]
            out["segment"] = pd.Categorical(labels, categories=self.segments_)
        return out

    def segment_summary(self, X: pd.DataFrame) -> pd.DataFrame:
        """Summarise the segments of a customer table (see :func:`segment_summary`).

        Parameters
        ----------
        X : DataFrame
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
        >>> RFMScorer(bins=2, segment_map={"best": ((2, 2), (1, 2)),
        ...                                "rest": ((1, 1), (1, 2))}
        ...           ).fit(X).segment_summary(X)["revenue_share"].tolist()
        [0.8, 0.2]
        """
        check_fitted(self, "edges_")
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                "segment_summary needs a customer table DataFrame (it reports revenue and "
                f"order values by column); got {type(X).__name__}."
            )
        if self.monetary is None:
            raise SchemaError(
                "RFMScorer was fitted with monetary=None; segment_summary reports revenue, so "
                "pass monetary=<spend column>."
            )
        if self.segment_grid_ is None:
            raise SchemaError(
                "RFMScorer was fitted with segment_map=None, so there are no segments to "
                "summarise; pass segment_map='default' or a map."
            )
        scored = self.transform(X)
        return segment_summary(
            scored,
            recency=_col_label(X, self.recency),
            frequency=_col_label(X, self.frequency),
            monetary=_col_label(X, self.monetary),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _more_tags(self) -> dict[str, bool]:  # scikit-learn < 1.6
        return {"requires_positive_X": True}


def _col_label(X: pd.DataFrame, col: str | int) -> Any:
    if isinstance(col, (int, np.integer)) and not isinstance(col, bool):
        return X.columns[int(col)]
    return col


# --------------------------------------------------------------------------- summary
def segment_summary(
    scored: pd.DataFrame,
    *,
    segment: str = "segment",
    recency: str = "recency_days",
    frequency: str = "frequency",
    monetary: str = "monetary_total",
) -> pd.DataFrame:
    """Summarise each segment: customers, shares, mean R/F/M, average order value.

    Parameters
    ----------
    scored : DataFrame
        Output of :meth:`RFMScorer.transform` (any table with a segment column
        and the three R/F/M columns).
    segment, recency, frequency, monetary : str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by segment (categorical order kept; empty segments shown with
        zero customers) with columns ``customers``, ``customer_share``,
        ``revenue``, ``revenue_share``, ``recency_mean``, ``frequency_mean``,
        ``monetary_mean`` and ``avg_order_value`` (segment revenue / segment
        orders), plus ``r_score_mean``, ``f_score_mean``, ``m_score_mean`` when
        the scores are present.

    Examples
    --------
    >>> import pandas as pd
    >>> scored = pd.DataFrame({"segment": ["A", "A", "B"], "recency_days": [1, 3, 9],
    ...                        "frequency": [2, 2, 1], "monetary_total": [50.0, 30.0, 20.0]})
    >>> segment_summary(scored)[["customers", "revenue_share", "avg_order_value"]]
             customers  revenue_share  avg_order_value
    segment
    A                2            0.8             20.0
    B                1            0.2             20.0
    """
    missing = [c for c in (segment, recency, frequency, monetary) if c not in scored.columns]
    if missing:
        raise SchemaError(
            f"segment_summary: columns {missing} not found (columns: {list(scored.columns)}); "
            "pass the output of RFMScorer.transform or name the columns."
        )
    seg = scored[segment]
    if not isinstance(seg.dtype, pd.CategoricalDtype):
        seg = seg.astype("category")
    cats = list(seg.cat.categories)
    groups = scored.groupby(seg, observed=False, sort=True)
    n = len(scored)
    total = float(scored[monetary].sum())
    out = pd.DataFrame(index=pd.Index(cats, name=segment))
    out["customers"] = groups.size().reindex(cats, fill_value=0).astype("int64")
    out["customer_share"] = out["customers"] / n if n else np.nan
    revenue = groups[monetary].sum().reindex(cats, fill_value=0.0).astype(float)
    orders = groups[frequency].sum().reindex(cats, fill_value=0).astype(float)
    out["revenue"] = revenue
    out["revenue_share"] = revenue / total if total != 0 else np.nan
    out["recency_mean"] = groups[recency].mean().reindex(cats)
    out["frequency_mean"] = groups[frequency].mean().reindex(cats)
    out["monetary_mean"] = groups[monetary].mean().reindex(cats)
    out["avg_order_value"] = (revenue / orders.where(orders > 0)).astype(float)
    for col in ("r_score", "f_score", "m_score"):
        if col in scored.columns:
            out[f"{col}_mean"] = groups[col].mean().reindex(cats)
    return out


def score_rfm(customers: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """One-line RFM scoring: ``RFMScorer(**params).fit_transform(customers)``.

    Parameters
    ----------
    customers : DataFrame
        Customer table (index = customer id) with recency, frequency and
        monetary columns.
    **params
        Parameters of :class:`RFMScorer`.

    Returns
    -------
    DataFrame
        The table with scores, ``rfm_code`` and ``segment`` added.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"recency_days": [3, 30], "frequency": [5, 1],
    ...                   "monetary_total": [250.0, 10.0]})
    >>> score_rfm(t, bins=2, segment_map=None)["rfm_code"].tolist()
    ['222', '111']
    """
    return RFMScorer(**params).fit_transform(customers)
