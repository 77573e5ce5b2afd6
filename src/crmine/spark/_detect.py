"""Recognise Spark DataFrames without importing pyspark."""

from __future__ import annotations

import sys

__all__ = ["is_spark_dataframe"]


def is_spark_dataframe(obj: object) -> bool:
    """Whether ``obj`` is a PySpark DataFrame (classic or Spark Connect).

    The check never imports pyspark: a Spark DataFrame can only exist when
    pyspark has already been imported, so the test looks at
    ``sys.modules`` and at the module of the object's class
    (``pyspark.sql.dataframe``, ``pyspark.sql.classic.dataframe``,
    ``pyspark.sql.connect.dataframe``).  Only the class name ``DataFrame``
    counts; Spark's pandas API (``pyspark.pandas.DataFrame``) is a different
    object and is not accepted.

    Parameters
    ----------
    obj : object
        Anything.

    Returns
    -------
    bool

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.spark import is_spark_dataframe
    >>> is_spark_dataframe(pd.DataFrame({"a": [1]}))
    False
    """
    if "pyspark" not in sys.modules:
        return False
    for cls in type(obj).__mro__:
        module = getattr(cls, "__module__", "") or ""
        if (
            cls.__name__ == "DataFrame"
            and module.startswith("pyspark.sql")
            and not module.startswith("pyspark.sql.pandas")
        ):
            return True
    return False
