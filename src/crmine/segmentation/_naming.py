"""Profiles and readable names of customer segments.

Names compare a segment's medians with the population tertiles (33rd and 67th
percentiles): value (``monetary_total``) above the 90th percentile "top value", above
the 67th "high value", below the 33rd "low value", else "mid value"; status
(``recency_days``) at most the 33rd "active", above the 67th "lost", else "lapsing",
or "new" when the median ``tenure_days`` is at most its 33rd percentile.  Without
``monetary_total`` the value part uses ``frequency``; without any role column the
name lists "high"/"low" for up to three features, or "typical".  Equal names get
a suffix " (1)", " (2)"... in label order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

# column roles used for profiles and names (looked up by name in the table)
_RECENCY = "recency_days"
_FREQUENCY = "frequency"
_MONETARY = "monetary_total"
_TENURE = "tenure_days"
_ROLE_COLUMNS = (_RECENCY, _FREQUENCY, _MONETARY, _TENURE)


def describe_segments(
    X: Any,
    Xarr: np.ndarray,
    labels: np.ndarray,
    n_clusters: int,
    columns: list[str] | None,
    feature_names: list[str],
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Profiles (one row per segment), population medians and names of a segmentation.

    ``X`` is the customer table as given (pandas; role columns are looked up
    in it), ``Xarr`` the clustered features, ``columns`` their names in ``X``
    (``None`` for array input).
    """
    if isinstance(X, pd.DataFrame) and columns is not None:
        data = {str(c): Xarr[:, j] for j, c in enumerate(columns)}
        for c in _ROLE_COLUMNS:
            if (
                c not in data
                and c in X.columns
                and pd.api.types.is_numeric_dtype(X[c])
                and not pd.api.types.is_bool_dtype(X[c])
            ):
                data[c] = X[c].to_numpy(dtype=float, na_value=np.nan)
        data = pd.DataFrame(data, index=X.index)
    else:
        data = pd.DataFrame(Xarr, columns=feature_names)
    labels = pd.Series(labels, index=data.index, name="segment")
    grouped = data.groupby(labels.to_numpy())
    medians = grouped.median().reindex(range(n_clusters))
    size = labels.value_counts().reindex(range(n_clusters), fill_value=0)
    prof = pd.DataFrame(
        {"size": size.to_numpy(), "share": size.to_numpy() / len(labels)},
        index=pd.RangeIndex(n_clusters, name="segment"),
    )
    for c in data.columns:
        prof[c] = medians[c].to_numpy()
    if _MONETARY in data.columns:
        total = data[_MONETARY].sum()
        rev = grouped[_MONETARY].sum().reindex(range(n_clusters), fill_value=0.0)
        prof["revenue_share"] = rev.to_numpy() / total if total != 0 else np.nan
    names = _name_segments(prof, data)
    prof.insert(0, "name", names)
    return prof, data.median(), pd.Series(names, index=prof.index, name="name")


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
