"""The local engine adapter (polars, Arrow, DuckDB, Parquet).

The core reaches it through :func:`crmine.utils._engines.find_engine` and never
imports it by name.
"""

from __future__ import annotations

from typing import Any

from crmine.engines._features import fit, fit_transform, rfm_table, transform

__all__ = [
    "basket_matrix",
    "calibration_holdout_split",
    "churn_labels",
    "clean_transactions",
    "fit",
    "fit_transform",
    "rfm_table",
    "transform",
]


def clean_transactions(log: Any, schema: Any = None, **kwargs: Any) -> Any:
    from crmine.engines._clean import clean_transactions_lazy

    return clean_transactions_lazy(log, schema, **kwargs)


def basket_matrix(log: Any, **kwargs: Any) -> Any:
    from crmine.engines._basket import basket_matrix_lazy

    return basket_matrix_lazy(log, **kwargs)


def churn_labels(log: Any, *args: Any, **kwargs: Any) -> Any:
    from crmine.engines._churn import churn_labels_lazy

    return churn_labels_lazy(log, *args, **kwargs)


def calibration_holdout_split(log: Any, *args: Any, **kwargs: Any) -> Any:
    from crmine.engines._lifetime import calibration_holdout_split_lazy

    return calibration_holdout_split_lazy(log, *args, **kwargs)
