"""Batch scoring of a fitted single-node model over a Spark customer table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import NotFittedError, SchemaError
from crmine.spark._common import require_pyspark

__all__ = ["score_customers"]

_METHODS = ("auto", "predict_proba", "predict", "decision_function")


def score_customers(
    model: Any,
    table: Any,
    *,
    features: Sequence[str] | None = None,
    method: str = "auto",
    output_col: str = "score",
    positive_class: Any = None,
) -> Any:
    """Score every row of a Spark customer table with a fitted in-memory model.

    The model (a :class:`crmine.churn.ChurnClassifier`, any scikit-learn
    estimator or pipeline, anything with ``predict``/``predict_proba``) is
    shipped to the executors once per task with the function closure and
    applied to Arrow batches of the table with ``mapInPandas``; nothing but
    the model travels from the driver, and the scores stay in Spark.

    Parameters
    ----------
    model : fitted estimator
        Fitted on a pandas customer table (e.g. the collected output of
        :func:`crmine.spark.customer_features`).
    table : pyspark.sql.DataFrame
        Customer table with the model's feature columns.
    features : sequence of str, optional
        Columns passed to the model, in order.  Default: the model's
        ``feature_names_in_``.
    method : {"auto", "predict_proba", "predict", "decision_function"}, default "auto"
        ``"auto"`` uses ``predict_proba`` when the model has it, else ``predict``.
        ``predict_proba`` gives the probability of ``positive_class``.
    output_col : str, default "score"
        Name of the new column.
    positive_class : label, optional
        Class whose probability ``predict_proba`` returns; default the last of
        ``model.classes_`` (the positive class of a binary model).

    Returns
    -------
    pyspark.sql.DataFrame
        ``table`` with ``output_col`` appended (double; the label type of the
        model for ``predict`` with string classes).

    Examples
    --------
    >>> from crmine.spark import score_customers
    >>> scored = score_customers(churn_model, spark_table)  # doctest: +SKIP
    """
    require_pyspark()
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}.")
    if method == "auto":
        method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    if not hasattr(model, method):
        raise TypeError(f"{type(model).__name__} has no method {method!r}; choose another method.")
    if features is None:
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            raise NotFittedError(
                f"{type(model).__name__} has no feature_names_in_ (not fitted, or fitted on a "
                "NumPy array). Fix: pass features=[...] naming the columns in training order."
            )
        features = [str(c) for c in names]
    features = list(features)
    missing = [c for c in features if c not in table.columns]
    if missing:
        raise SchemaError(
            f"the Spark customer table lacks the model's feature column(s) {missing}. "
            f"Columns present: {list(table.columns)[:12]}. Fix: compute them first "
            "(crmine.spark.customer_features) or pass features=[...]."
        )
    if output_col in table.columns:
        raise ValueError(
            f"the table already has a column {output_col!r}. Fix: output_col='<new name>'."
        )
    col = -1
    out_type: Any = DoubleType()
    if method == "predict_proba":
        classes = list(getattr(model, "classes_", []))
        if positive_class is not None:
            if positive_class not in classes:
                raise ValueError(
                    f"positive_class={positive_class!r} is not among the model's classes {classes}."
                )
            col = classes.index(positive_class)
    elif method == "predict":
        classes = getattr(model, "classes_", None)
        if classes is not None and not np.issubdtype(np.asarray(classes).dtype, np.number):
            out_type = StringType()
    schema = StructType([*table.schema.fields, StructField(output_col, out_type, True)])
    string_out = isinstance(out_type, StringType)

    def _score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        fn = getattr(model, method)
        for pdf in batches:
            if len(pdf) == 0:
                yield pdf.assign(**{output_col: pd.Series([], dtype=object)})
                continue
            out = np.asarray(fn(pdf[features]))
            if out.ndim == 2:
                out = out[:, col]
            values = out.astype(str) if string_out else out.astype(float)
            yield pdf.assign(**{output_col: values})

    return table.mapInPandas(_score, schema)
