"""Point-in-time customer features from a transaction log.

:class:`TransactionFeatures` is the first stage of every crmine analysis: it
summarises a long transaction log (one row per line item) into a customer
table (one row per customer, indexed by customer id).  Because it changes the
number of rows it is a *summarizer*: it follows the scikit-learn API (``fit``,
``transform``, ``fit_transform``, ``get_params``, ``get_feature_names_out``)
but it is not meant to sit inside a ``Pipeline`` that also carries ``y``.  To
add the same aggregates to an existing customer table inside a pipeline, use
:class:`TransactionAggregates`.

Definitions (all documented parameters, nothing hidden):

* The **cutoff** is the point in time of the snapshot.  Only rows with
  ``timestamp < cutoff`` are used; the default cutoff is midnight of the day
  after the last transaction.
* A **purchase line** has a non-negative value; a **return line** a negative
  one (quantity < 0, or amount < 0 when there is no quantity).  By default
  (``returns="net"``) each return line first undoes the earlier purchases of
  the same customer and item, latest first (:func:`crmine.schema.match_returns`):
  a cancelled order is no order and its value no spend.  An order counts when
  it has at least one purchase line left.
* **Recency** is counted in calendar days: ``cutoff date - date of the last
  purchase`` (a purchase on the day before the cutoff has recency 1).  Tenure
  is ``cutoff date - date of the first purchase``.
* **Frequency** is the number of distinct orders (``frequency="orders"``) or
  of distinct purchase days (``frequency="days"``).
* **Monetary** value sums purchase lines (``monetary="gross"``) or purchases
  minus the returns left after netting (``"net"``).
* The buy-till-you-die summary follows Fader, Hardie & Lee (2005): purchases on
  the same day are merged, ``repeat_frequency`` = purchase days - 1,
  ``btyd_recency`` = last - first purchase day, ``btyd_T`` = cutoff date -
  first purchase day, both in ``time_unit``; ``btyd_monetary_mean`` is the mean
  gross spend per repeat purchase day (the first day excluded), as the
  Gamma-Gamma model needs.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from crmine._aggregates import TransactionAggregates
from crmine._customer_table import (
    TIME_UNITS,
    bincount,
    compute,
    fit_cutoff,
)
from crmine.base import BaseEstimator, Integral, Interval, StrOptions, TransformerMixin
from crmine.basket._input import Baskets
from crmine.exceptions import SchemaError
from crmine.schema import (
    TransactionSchema,
    engine_for,
    prepare_log,
    resolve_schema,
    transaction_amount,
)
from crmine.utils._engines import pandas_on_polars
from crmine.utils._validation import check_is_fitted, purchase_mask

__all__ = [
    "FEATURE_GROUPS",
    "TransactionFeatures",
    "TransactionAggregates",
    "rfm_table",
    "basket_matrix",
    "BasketMatrix",
]

logger = logging.getLogger(__name__)

FEATURE_GROUPS = (
    "rfm",
    "tenure",
    "interpurchase",
    "basket",
    "windows",
    "trend",
    "returns",
    "category",
    "btyd",
)
_TIME_UNITS = TIME_UNITS  # read by the Spark adapter
_bincount = bincount
_compute = compute


class TransactionFeatures(TransformerMixin, BaseEstimator):
    """Summarise a transaction log into a point-in-time customer table.

    Parameters
    ----------
    schema : TransactionSchema or mapping, optional
        Column roles of the log; the default schema when omitted.
    columns : mapping, optional
        The same roles as ``{role: column}`` (instead of ``schema``).
    cutoff : str or pandas.Timestamp, optional
        Snapshot time: only rows strictly before it are used.  Default:
        midnight (local time) of the day after the last transaction seen by
        ``fit``.  ``NaT`` is refused.
    frequency : {"orders", "days"}, default "orders"
        Count distinct orders or distinct purchase days.
    monetary : {"gross", "net"}, default "gross"
        Sum purchase lines only, or purchases minus the returns that are left
        (with ``returns="net"``: the returns without an earlier purchase).
    returns : {"net", "keep"}, default "net"
        ``"net"`` matches every return line to the earlier purchases of the
        same customer and item it undoes (latest first, by quantity; see
        :func:`crmine.schema.match_returns`) before anything is counted, so a
        cancelled order is no order and its value no spend.  ``"keep"`` counts
        purchase and return lines as logged (the behaviour before 0.3).
        ``return_value`` and ``return_rate`` always describe the returns as
        logged.
    windows : sequence of int or str, default (30, 90, 365)
        Trailing windows for ``orders_<days>d`` and ``spend_<days>d``: whole
        days (``30``) or a duration with its unit (``"30D"``, ``"12W"``).
    trend_window : int or str, default 90
        ``spend_trend = (S1 - S0) / (S1 + S0)`` where ``S1`` is the spend in
        the last ``trend_window`` days before the cutoff and ``S0`` the spend
        in the ``trend_window`` days before those; in [-1, 1], 0 when both are 0.
    time_unit : {"D", "W"}, default "D"
        Unit of ``btyd_recency`` and ``btyd_T`` (days or weeks).
    include : sequence of str, optional
        Feature groups to compute, a subset of :data:`FEATURE_GROUPS`
        (default: all that the log supports).
    engine : {"auto", "pandas", "polars"}, default "auto"
        Where a pandas log is summarised.  ``"pandas"``: crmine's NumPy path;
        ``"polars"``: the schema's columns are handed to polars (installed
        with ``pip install 'crmine[engines]'``) and the heavy group-bys run
        there; ``"auto"``: polars for a log of at least
        :data:`crmine.utils._engines.POLARS_MIN_ROWS` (2,000,000) rows when
        polars is installed and the columns convert without a change of
        meaning (timestamps already parsed, numbers or text), else pandas.
        Both give the same table (integers and timestamps identical, money
        to 1e-12 relative; pinned by the equivalence suite).  Other inputs
        (polars, Arrow, DuckDB, Parquet, Spark) always run on their engine.

    Attributes
    ----------
    cutoff_ : pandas.Timestamp
        The snapshot time used by ``transform``.
    categories_ : list
        Category vocabulary (from rows before the cutoff) for ``share_<cat>``.
    include_ : tuple of str
        Feature groups computed.
    feature_names_out_ : numpy.ndarray of str
        Output columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import TransactionFeatures
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "order_id": [1, 2, 3],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-05"]),
    ...     "amount": [10.0, 30.0, 5.0],
    ... })
    >>> table = TransactionFeatures().fit_transform(log)
    >>> table[["recency_days", "frequency", "monetary_total", "tenure_days"]]
                 recency_days  frequency  monetary_total  tenure_days
    customer_id
    a                       1          2            40.0            8
    b                       4          1             5.0            4

    A cancelled order is no order (``returns="net"``, the default):

    >>> log = pd.DataFrame({
    ...     "customer_id": [1, 1, 1], "order_id": ["A", "B", "C-A"],
    ...     "timestamp": ["2024-01-01 10:00", "2024-01-02", "2024-01-01 10:12"],
    ...     "item": ["x", "y", "x"], "quantity": [80_995, 1, -80_995],
    ...     "price": [2.08, 3.0, 2.08]})
    >>> TransactionFeatures(include=["rfm"]).fit_transform(log)[["frequency", "monetary_total"]]
                 frequency  monetary_total
    customer_id
    1                    1             3.0
    """

    _parameter_constraints: dict = {
        "schema": [TransactionSchema, Mapping, None],
        "columns": [Mapping, None],
        "cutoff": [str, pd.Timestamp, datetime.datetime, datetime.date, None],
        "frequency": [StrOptions({"orders", "days"})],
        "monetary": [StrOptions({"gross", "net"})],
        "returns": [StrOptions({"net", "keep"})],
        "windows": [list, tuple],
        "trend_window": [Interval(Integral, 1, None, closed="left"), str, pd.Timedelta],
        "time_unit": [StrOptions(set(_TIME_UNITS))],
        "include": [list, tuple, None],
        "engine": [StrOptions({"auto", "pandas", "polars"})],
    }

    def __init__(
        self,
        *,
        schema: TransactionSchema | Mapping[str, Any] | None = None,
        columns: Mapping[str, Any] | None = None,
        cutoff: str | pd.Timestamp | None = None,
        frequency: Literal["orders", "days"] = "orders",
        monetary: Literal["gross", "net"] = "gross",
        returns: Literal["net", "keep"] = "net",
        windows: Sequence[int | str] = (30, 90, 365),
        trend_window: int | str = 90,
        time_unit: Literal["D", "W"] = "D",
        include: Sequence[str] | None = None,
        engine: Literal["auto", "pandas", "polars"] = "auto",
    ) -> None:
        self.schema = schema
        self.columns = columns
        self.cutoff = cutoff
        self.frequency = frequency
        self.monetary = monetary
        self.returns = returns
        self.windows = windows
        self.trend_window = trend_window
        self.time_unit = time_unit
        self.include = include
        self.engine = engine

    # ------------------------------------------------------------------ fit
    def _schema(self) -> TransactionSchema:
        return resolve_schema(self.schema, self.columns)

    def _route(self, X: Any) -> tuple[Any, Any]:
        """The engine adapter for ``X`` (``None``: the pandas path) and the log it reads.

        A pandas log goes to the polars engine with ``engine="polars"``, or with
        ``"auto"`` when it is large and polars is installed (see ``engine``).
        """
        engine = engine_for(X, self.returns)
        if engine is None and self.engine != "pandas":
            self._validate_params()
            native = pandas_on_polars(X, self.engine, self._schema())
            if native is not None:
                return engine_for(native, self.returns), native
        return engine, X

    def _window_days(self) -> list[int]:
        return [_days(w, "windows") for w in self.windows]

    def _trend_days(self) -> int:
        return _days(self.trend_window, "trend_window")

    def _validate_params(self) -> None:
        super()._validate_params()
        days = self._window_days()
        if len(set(days)) != len(days):
            raise ValueError(
                f"windows has repeated durations {list(self.windows)} (as days: {days}). "
                "Fix: give each window once."
            )
        self._trend_days()
        if self.include is not None:
            unknown = [g for g in self.include if g not in FEATURE_GROUPS]
            if unknown:
                raise ValueError(
                    f"include has unknown feature group(s) {unknown}; choose from {FEATURE_GROUPS}."
                )

    def fit(self, X: pd.DataFrame, y: object = None) -> TransactionFeatures:
        """Learn the cutoff, the feature groups and the category vocabulary.

        Parameters
        ----------
        X : pandas.DataFrame, polars or pyarrow table
            Transaction log.
        y : ignored

        Returns
        -------
        self : TransactionFeatures
        """
        engine, X = self._route(X)
        if engine is not None:
            return engine.fit(self, X)
        self._validate_params()
        schema = self._schema()
        return self._fit(prepare_log(X, schema), schema)

    def fit_transform(self, X: pd.DataFrame, y: object = None, **fit_params: Any) -> pd.DataFrame:
        """Fit on ``X`` and return its customer table (validates the log once).

        Parameters
        ----------
        X : pandas.DataFrame, polars or pyarrow table
            Transaction log.
        y : ignored
        **fit_params : ignored

        Returns
        -------
        pandas.DataFrame
            The customer table, as :meth:`transform` returns it.
        """
        engine, X = self._route(X)
        if engine is not None:
            return engine.fit_transform(self, X)
        self._validate_params()
        schema = self._schema()
        log = prepare_log(X, schema)
        cache: dict[str, Any] = {}
        self._fit(log, schema, cache)
        return _compute(log, schema, self, cache)

    def _fit(
        self, log: pd.DataFrame, schema: TransactionSchema, cache: dict[str, Any] | None = None
    ) -> TransactionFeatures:
        times = log[schema.time]
        cutoff = fit_cutoff(self.cutoff, times)
        self.cutoff_ = cutoff
        before = (times < cutoff).to_numpy()
        include = list(self.include) if self.include is not None else list(FEATURE_GROUPS)
        if "basket" in include and not schema.has(log, "item") and self.include is None:
            include.remove("basket")
        if "category" in include and not schema.has(log, "category"):
            if self.include is not None:
                raise SchemaError(
                    f"include asks for 'category' features but the log has no category column "
                    f"({schema.category!r}). Fix: set TransactionSchema(category=...) or drop "
                    "'category' from include."
                )
            include.remove("category")
        if "basket" in include and not schema.has(log, "item"):
            raise SchemaError(
                f"include asks for 'basket' features but the log has no item column "
                f"({schema.item!r}). Fix: set TransactionSchema(item=...) or drop 'basket'."
            )
        if "returns" in include and self.include is None and self.monetary == "gross":
            amount = transaction_amount(log, schema)
            if purchase_mask(amount[before]).all():
                include.remove("returns")
        self.include_ = tuple(g for g in FEATURE_GROUPS if g in include)
        if "category" in self.include_:
            codes, uniques = pd.factorize(log[schema.category], use_na_sentinel=True)
            if cache is not None:  # fit_transform: reuse the codes in _compute
                cache["category"] = (codes, uniques)
            seen = np.flatnonzero(_bincount(codes[before & (codes >= 0)], minlength=len(uniques)))
            self.categories_ = sorted(uniques[seen], key=str)
        else:
            self.categories_ = []
        self.feature_names_out_ = np.asarray(self._names(), dtype=object)
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def _names(self) -> list[str]:
        inc = self.include_
        names: list[str] = []
        if "rfm" in inc:
            names += ["recency_days", "frequency", "monetary_total", "monetary_mean"]
        if "tenure" in inc:
            names += ["tenure_days", "first_purchase", "last_purchase"]
        if "interpurchase" in inc:
            names += ["interpurchase_mean_days", "interpurchase_std_days"]
        if "basket" in inc:
            names += ["items_per_order", "distinct_items"]
        if "windows" in inc:
            for days in self._window_days():
                names += [f"orders_{days}d", f"spend_{days}d"]
        if "trend" in inc:
            names += ["spend_trend"]
        if "returns" in inc:
            names += ["return_value", "return_rate"]
        if "category" in inc:
            names += [f"share_{c}" for c in self.categories_]
        if "btyd" in inc:
            names += ["repeat_frequency", "btyd_recency", "btyd_T", "btyd_monetary_mean"]
        return names

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the customer-table columns.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        numpy.ndarray of str
        """
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    # ------------------------------------------------------------ transform
    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Compute the customer table from the rows before ``cutoff_``.

        Parameters
        ----------
        X : pandas.DataFrame, polars or pyarrow table
            Transaction log (may include rows after the cutoff: they are ignored).

        Returns
        -------
        pandas.DataFrame
            One row per customer with at least one purchase line before the
            cutoff, indexed by customer id (sorted), columns
            ``get_feature_names_out()``.
        """
        engine, X = self._route(X)
        if engine is not None:
            return engine.transform(self, X)
        check_is_fitted(self, "cutoff_")
        schema = self._schema()
        log = prepare_log(X, schema)
        return _compute(log, schema, self)


def _days(value: Any, name: str) -> int:
    """A window as whole days: an int (days) or a duration with a unit ("30D", "12W")."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a positive number of days or a duration, got {value!r}.")
    if isinstance(value, (int, np.integer)):
        days = int(value)
    else:
        try:
            delta = pd.Timedelta(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"{name} must be whole days (30) or a duration with its unit ('30D', '12W'), "
                f"got {value!r}."
            ) from exc
        if pd.isna(delta) or delta % pd.Timedelta(days=1) != pd.Timedelta(0):
            raise ValueError(
                f"{name}={value!r} is not a whole number of days. Fix: '30D' or '12W'."
            )
        days = int(delta / pd.Timedelta(days=1))
    if days <= 0:
        raise ValueError(f"{name} must be positive (days), got {value!r}.")
    return days


def rfm_table(
    log: pd.DataFrame,
    *,
    schema: TransactionSchema | Mapping[str, Any] | None = None,
    columns: Mapping[str, Any] | None = None,
    cutoff: str | pd.Timestamp | None = None,
    frequency: Literal["orders", "days"] = "orders",
    monetary: Literal["gross", "net"] = "gross",
    returns: Literal["net", "keep"] = "net",
    engine: Literal["auto", "pandas", "polars"] = "auto",
) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer, in one call.

    Parameters
    ----------
    log : pandas.DataFrame, polars or pyarrow table
        Transaction log.
    schema : TransactionSchema or mapping, optional
        Column roles.
    columns : mapping, optional
        The roles as ``{role: column}`` (instead of ``schema``).
    cutoff : str or Timestamp, optional
        Snapshot time (default: the day after the last transaction).
    frequency : {"orders", "days"}, default "orders"
    monetary : {"gross", "net"}, default "gross"
    returns : {"net", "keep"}, default "net"
        Net returns against the purchases they undo first (see
        :class:`TransactionFeatures`).
    engine : {"auto", "pandas", "polars"}, default "auto"
        Where a pandas log is summarised (see :class:`TransactionFeatures`).

    Returns
    -------
    pandas.DataFrame
        Columns ``recency_days``, ``frequency``, ``monetary_total``, indexed by
        customer id.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import rfm_table
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2], "order_id": ["x", "y", "z"],
    ...                     "timestamp": ["2024-03-01", "2024-03-09", "2024-02-01"],
    ...                     "amount": [20.0, 10.0, 99.0]})
    >>> rfm_table(log, cutoff="2024-03-10")
                 recency_days  frequency  monetary_total
    customer_id
    1                       1          2            30.0
    2                      38          1            99.0
    """
    adapter = engine_for(log, returns)
    if adapter is not None:
        return adapter.rfm_table(
            log, schema=resolve_schema(schema, columns), cutoff=cutoff, frequency=frequency,
            monetary=monetary, returns=returns,
        )
    est = TransactionFeatures(
        schema=schema, columns=columns, cutoff=cutoff, frequency=frequency, monetary=monetary,
        returns=returns, include=("rfm",), engine=engine,
    )
    table = est.fit_transform(log)
    return table[["recency_days", "frequency", "monetary_total"]]


BasketMatrix = Baskets  # one basket container: crmine.basket.Baskets


def basket_matrix(
    log: pd.DataFrame,
    *,
    schema: TransactionSchema | None = None,
    cutoff: str | pd.Timestamp | None = None,
) -> Baskets:
    """Sparse order x item matrix of the purchase lines of a log.

    The same builder as :func:`crmine.basket.as_baskets` (one basket
    container, :class:`crmine.basket.Baskets`): return lines (negative line
    value) are left out and counted in a ``DataWarning``.

    Parameters
    ----------
    log : DataFrame
        Transaction log (pandas, polars or pyarrow).
    schema : TransactionSchema, optional
        Column roles (``order``, ``item``; ``TransactionSchema(item="category")``
        for category-level baskets).
    cutoff : str or Timestamp, optional
        Use only rows strictly before it.

    Returns
    -------
    Baskets

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import basket_matrix
    >>> log = pd.DataFrame({"customer_id": [1, 1, 1, 2], "order_id": [10, 10, 11, 12],
    ...                     "timestamp": ["2024-01-01"] * 4,
    ...                     "item": ["beer", "diapers", "beer", "milk"],
    ...                     "amount": [3.0, 9.0, 3.0, 1.0]})
    >>> bm = basket_matrix(log)
    >>> list(bm.items), bm.matrix.toarray().astype(int).tolist()
    (['beer', 'diapers', 'milk'], [[1, 1, 0], [1, 0, 0], [0, 0, 1]])
    """
    from crmine.basket._input import as_baskets

    return as_baskets(log, schema=resolve_schema(schema), cutoff=cutoff)
