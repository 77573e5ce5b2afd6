"""One-liner of the segmentation: a DataFrame indexed by customer id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmine.segmentation._segmenter import CustomerSegmenter
from crmine.utils._validation import customer_frame

__all__ = ["segment_customers"]


def segment_customers(
    customers: pd.DataFrame,
    *,
    n_clusters: int | str = "auto",
    features: Sequence[str] | None = None,
    random_state: int | np.random.RandomState | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Segment a customer table in one call.

    Parameters
    ----------
    customers : table
        Customer table, one row per customer (index = customer id); pandas,
        polars or pyarrow.
    n_clusters : int or "auto", default="auto"
        Number of segments, or ``"auto"`` (see :class:`CustomerSegmenter`).
    features : list of str or None, default=None
        Feature columns; ``None`` uses recency, frequency and monetary value.
    random_state : int, RandomState instance or None, default=None
        Seed of every random step (pass an int for reproducible segments).
    **params
        Other :class:`CustomerSegmenter` parameters.

    Returns
    -------
    DataFrame
        Indexed like ``customers`` (by customer id) with columns ``segment``
        (int label) and ``segment_name``.

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
    >>> seg = segment_customers(customers, n_clusters=3, n_bootstrap=0, random_state=0)
    >>> seg["segment_name"].tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['active, high value', 'active, high value', 'lost, low value', 'lost, low value',
     'lapsing, mid value', 'lapsing, mid value']
    """
    customers = customer_frame(customers, name="customers", allow_arrays=False)
    seg = CustomerSegmenter(
        n_clusters=n_clusters, features=features, random_state=random_state, **params
    ).fit(customers)
    return pd.DataFrame(
        {"segment": seg.labels_, "segment_name": seg.names_.to_numpy()[seg.labels_]},
        index=customers.index,
    )
