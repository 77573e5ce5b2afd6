"""Transaction aggregates appended to a customer table: :class:`TransactionAggregates`."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import BaseEstimator, TransformerMixin
from crmine.schema import TransactionSchema
from crmine.utils._validation import check_is_fitted, to_pandas

__all__ = ["TransactionAggregates"]


class TransactionAggregates(TransformerMixin, BaseEstimator):
    """Add per-customer transaction aggregates to a customer table (AggJoiner style).

    The transactions are a parameter; ``X`` is a customer table indexed by
    customer id (``X.set_index("<id column>")`` first if the id is a column)
    whose rows are kept, in order, with the aggregate columns appended.  Use it inside a
    scikit-learn ``Pipeline`` over customer tables.

    Parameters
    ----------
    transactions : pandas.DataFrame, polars or pyarrow table
        Transaction log.
    schema : TransactionSchema or mapping, optional
        Column roles of the log.
    columns : mapping, optional
        The roles as ``{role: column}`` (instead of ``schema``).
    cutoff : str or Timestamp, optional
        Snapshot time (see :class:`TransactionFeatures`).
    features : sequence of str, optional
        Columns of the :class:`TransactionFeatures` table to add (default
        recency, frequency and monetary total).
    fill_value : float, default nan
        Value for customers of ``X`` without any purchase before the cutoff.

    Attributes
    ----------
    table_ : pandas.DataFrame
        The aggregates per customer learned in ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import TransactionAggregates
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2], "order_id": [1, 2, 3],
    ...                     "timestamp": ["2024-01-01", "2024-01-05", "2024-01-02"],
    ...                     "amount": [5.0, 7.0, 1.0]})
    >>> X = pd.DataFrame({"age": [30, 41, 25]}, index=pd.Index([2, 1, 3], name="customer_id"))
    >>> TransactionAggregates(transactions=log, features=["frequency"]).fit_transform(X)
                 age  frequency
    customer_id
    2             30        1.0
    1             41        2.0
    3             25        NaN
    """

    _parameter_constraints: dict = {
        "transactions": [object, None],
        "schema": [TransactionSchema, Mapping, None],
        "columns": [Mapping, None],
        "cutoff": [str, pd.Timestamp, datetime.datetime, datetime.date, None],
        "features": [list, tuple, None],
        "fill_value": [Real],
    }

    def __init__(
        self,
        *,
        transactions: pd.DataFrame | None = None,
        schema: TransactionSchema | Mapping[str, Any] | None = None,
        columns: Mapping[str, Any] | None = None,
        cutoff: str | pd.Timestamp | None = None,
        features: Sequence[str] | None = None,
        fill_value: float = np.nan,
    ) -> None:
        self.transactions = transactions
        self.schema = schema
        self.columns = columns
        self.cutoff = cutoff
        self.features = features
        self.fill_value = fill_value

    def fit(self, X: pd.DataFrame, y: object = None) -> TransactionAggregates:
        """Compute the aggregates from ``transactions``.

        Parameters
        ----------
        X : pandas.DataFrame, polars or pyarrow table
            Customer table (only checked here).
        y : ignored

        Returns
        -------
        self : TransactionAggregates
        """
        self._validate_params()
        if self.transactions is None:
            raise ValueError(
                "TransactionAggregates needs transactions=<log DataFrame>. "
                "Fix: TransactionAggregates(transactions=log)."
            )
        X = self._check_X(X)
        feats = list(self.features) if self.features is not None else [
            "recency_days", "frequency", "monetary_total"
        ]
        from crmine.features import TransactionFeatures

        summarizer = TransactionFeatures(
            schema=self.schema, columns=self.columns, cutoff=self.cutoff
        )
        table = summarizer.fit_transform(self.transactions)
        unknown = [f for f in feats if f not in table.columns]
        if unknown:
            raise ValueError(
                f"features {unknown} are not produced by TransactionFeatures; available: "
                f"{list(table.columns)}."
            )
        clash = [f for f in feats if f in X.columns]
        if clash:
            raise ValueError(
                f"X already has column(s) {clash}. Fix: drop them or choose other features."
            )
        self.table_ = table[feats]
        self.cutoff_ = summarizer.cutoff_
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def _check_X(self, X: object) -> pd.DataFrame:
        X = to_pandas(X, name="X", allow_arrays=True)
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                f"X must be a customer table (pandas, polars or pyarrow), got "
                f"{type(X).__name__}. Fix: pd.DataFrame(X, index=<customer ids>)."
            )
        return X

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Append the aggregates to ``X``, keeping its rows and order.

        Parameters
        ----------
        X : pandas.DataFrame, polars or pyarrow table
            Customer table.

        Returns
        -------
        pandas.DataFrame
        """
        check_is_fitted(self, "table_")
        X = self._check_X(X)
        ids = X.index
        pos = self.table_.index.get_indexer(ids)
        out = X.copy()
        for col in self.table_.columns:
            # pandas' take with -1 = missing fills customers without purchases
            values = pd.Series(self.table_[col].to_numpy()).take(np.maximum(pos, 0)) if len(
                self.table_) else pd.Series(np.full(len(pos), np.nan))
            values = values.to_numpy()
            if np.issubdtype(values.dtype, np.number):
                out[col] = np.where(pos >= 0, values.astype(float), self.fill_value)
            else:
                out[col] = pd.Series(values, index=X.index).where(pos >= 0)
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Columns of the output: those of ``X`` followed by the aggregates."""
        check_is_fitted(self, "table_")
        return np.asarray(
            list(self.feature_names_in_) + list(self.table_.columns), dtype=object
        )
