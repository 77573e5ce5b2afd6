"""The R x F segment map: named segments on the grid of recency and frequency scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.utils._validation import is_dataframe_like, to_pandas

__all__ = ["DEFAULT_SEGMENT_MAP", "segment_grid", "segment_summary"]


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


def _bins_pair(n_bins: Any) -> tuple[int, int]:
    pair = n_bins if isinstance(n_bins, (tuple, list)) else (n_bins, n_bins)
    ok = len(pair) == 2 and all(
        isinstance(b, (int, np.integer)) and not isinstance(b, bool) and b >= 2 for b in pair
    )
    if not ok:
        raise SchemaError(
            f"segment_grid: n_bins={n_bins!r} must be an integer >= 2 (or a pair of them for "
            "R and F), e.g. n_bins=5."
        )
    return int(pair[0]), int(pair[1])


def segment_grid(
    segment_map: Mapping[str, Any] | pd.DataFrame | None = None,
    *,
    n_bins: int | tuple[int, int] = 5,
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
    n_bins : int or (int, int), default=5
        Number of scores per axis; a pair gives the recency and the frequency
        number separately.

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
    r_bins, f_bins = _bins_pair(n_bins)
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


# --------------------------------------------------------------------------- summary
def segment_summary(
    scored: Any,
    *,
    segment_col: str = "segment",
    recency_col: str = "recency_days",
    frequency_col: str = "frequency",
    monetary_col: str = "monetary_total",
) -> pd.DataFrame:
    """Summarise each segment: customers, shares, mean R/F/M, average order value.

    Parameters
    ----------
    scored : DataFrame
        Output of :meth:`RFMScorer.transform` (any table with a segment column
        and the three R/F/M columns; polars and pyarrow tables are read by
        name).
    segment_col, recency_col, frequency_col, monetary_col : str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by segment (categorical order kept; empty segments shown with
        zero customers) with columns ``customers``, ``customer_share``,
        ``revenue``, ``revenue_share``, ``recency_mean``, ``frequency_mean``,
        ``monetary_mean`` and ``avg_order_value`` (segment revenue / segment
        orders), plus ``r_score_mean``, ``f_score_mean``, ``m_score_mean`` when
        the scores are present.  ``revenue_share`` is NaN when the total
        revenue is 0 (shares of nothing are undefined).

    Raises
    ------
    SchemaError
        A missing column (all named at once), an empty table, a non-numeric or
        missing R/F/M value, a missing segment label.

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
    if not is_dataframe_like(scored) and not isinstance(scored, pd.Series):
        raise SchemaError(
            f"segment_summary: scored is {type(scored).__name__}, not a table. Fix: pass the "
            "output of RFMScorer.transform (a pandas, polars or pyarrow table)."
        )
    scored = to_pandas(scored, name="scored")
    if not isinstance(scored, pd.DataFrame):  # a Series
        scored = scored.to_frame()
    roles = {"recency": recency_col, "frequency": frequency_col, "monetary": monetary_col}
    missing = [
        f"{role} column {col!r}"
        for role, col in {"segment": segment_col, **roles}.items()
        if col not in scored.columns
    ]
    if missing:
        raise SchemaError(
            f"segment_summary: {', '.join(missing)} not found (columns: "
            f"{list(scored.columns)}); pass the output of RFMScorer.transform or name the "
            "columns with segment_col=, recency_col=, frequency_col=, monetary_col=."
        )
    if scored.empty:
        raise SchemaError("segment_summary got an empty table; pass at least one customer.")
    seg = scored[segment_col]
    if seg.isna().any():
        raise SchemaError(
            f"segment_summary: segment column {segment_col!r} has {int(seg.isna().sum())} "
            "missing labels; score every customer (RFMScorer.transform) or drop them."
        )
    values = {}
    for role, col in roles.items():
        v = pd.to_numeric(scored[col], errors="coerce").astype("float64")
        bad = ~np.isfinite(v.to_numpy())
        if bad.any():
            raise SchemaError(
                f"segment_summary: {role} column {col!r} has {int(bad.sum())} missing, "
                f"infinite or non-numeric value(s) (e.g. {scored[col][bad].iloc[0]!r}); fix "
                "or drop those customers."
            )
        values[col] = v
    if not isinstance(seg.dtype, pd.CategoricalDtype):
        seg = seg.astype("category")
    cats = list(seg.cat.categories)
    data = pd.DataFrame(values, index=scored.index)
    for col in ("r_score", "f_score", "m_score"):
        if col in scored.columns:
            data[col] = scored[col]
    groups = data.groupby(seg.to_numpy(), observed=False, sort=True)
    n = len(scored)
    with np.errstate(over="ignore"):
        total = float(data[monetary_col].to_numpy().sum())
    if not np.isfinite(total):
        raise SchemaError(
            f"segment_summary: monetary column {monetary_col!r} sums to {total} (float64 "
            "overflow); rescale it (e.g. to thousands) or remove the corrupt values."
        )
    out = pd.DataFrame(index=pd.Index(cats, name=segment_col))
    out["customers"] = groups.size().reindex(cats, fill_value=0).astype("int64")
    out["customer_share"] = out["customers"] / n
    revenue = groups[monetary_col].sum().reindex(cats, fill_value=0.0).astype(float)
    orders = groups[frequency_col].sum().reindex(cats, fill_value=0).astype(float)
    out["revenue"] = revenue
    out["revenue_share"] = revenue / total if total != 0 else np.nan
    out["recency_mean"] = groups[recency_col].mean().reindex(cats)
    out["frequency_mean"] = groups[frequency_col].mean().reindex(cats)
    out["monetary_mean"] = groups[monetary_col].mean().reindex(cats)
    out["avg_order_value"] = (revenue / orders.where(orders > 0)).astype(float)
    for col in ("r_score", "f_score", "m_score"):
        if col in data.columns:
            out[f"{col}_mean"] = groups[col].mean().reindex(cats)
    return out
