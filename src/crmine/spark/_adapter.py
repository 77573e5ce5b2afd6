"""The Spark engine adapter (registered in :mod:`crmine.utils._engines`).

Maps the core's row-level entry points to the Spark implementations; the core
reaches it through :func:`crmine.utils._engines.find_engine` and never imports
it by name.
"""

from __future__ import annotations

from typing import Any


def clean_transactions(log: Any, schema: Any = None, **kwargs: Any) -> Any:
    from crmine.spark._clean import clean_transactions_spark

    return clean_transactions_spark(log, schema, **kwargs)


def fit(features: Any, log: Any) -> Any:
    from crmine.spark._features import fit_spark

    return fit_spark(features, log)


def transform(features: Any, log: Any) -> Any:
    from crmine.spark._features import transform_spark

    return transform_spark(features, log)


def fit_transform(features: Any, log: Any) -> Any:
    from crmine.spark._features import fit_transform_spark

    return fit_transform_spark(features, log)


def rfm_table(log: Any, **kwargs: Any) -> Any:  # ``returns`` passed on when the core gives it
    from crmine.spark._features import rfm_table_spark

    return rfm_table_spark(log, **kwargs)


def churn_labels(log: Any, *args: Any, **kwargs: Any) -> Any:
    from crmine.spark._churn import churn_labels_spark

    return churn_labels_spark(log, *args, **kwargs)


def calibration_holdout_split(log: Any, *args: Any, **kwargs: Any) -> Any:
    from crmine.spark._lifetime import calibration_holdout_split_spark

    return calibration_holdout_split_spark(log, *args, **kwargs)
