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
  one (quantity < 0, or amount < 0 when there is no quantity).  An order counts
  when it has at least one purchase line.
* **Recency** is counted in calendar days: ``cutoff date - date of the last
  purchase`` (a purchase on the day before the cutoff has recency 1).  Tenure
  is ``cutoff date - date of the first purchase``.
* **Frequency** is the number of distinct orders (``frequency="orders"``) or
  of distinct purchase days (``frequency="days"``).
* **Monetary** value sums purchase lines (``monetary="gross"``) or purchases
  minus returns (``"net"``).
* The buy-till-you-die summary follows Fader, Hardie & Lee (2005): purchases on
  the same day are merged, ``repeat_frequency`` = purchase days - 1,
  ``btyd_recency`` = last - first purchase day, ``btyd_T`` = cutoff date -
  first purchase day, both in ``time_unit``; ``btyd_monetary_mean`` is the mean
  gross spend per repeat purchase day (the first day excluded), as the
  Gamma-Gamma model needs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from crmine.exceptions import SchemaError
from crmine.schema import (
    TransactionSchema,
    prepare_log,
    resolve_schema,
    transaction_amount,
)

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
_NS_PER_DAY = 86_400 * 10**9
_TIME_UNITS = {"D": 1.0, "W": 7.0}


def _wall_ns(times: pd.Series) -> tuple[np.ndarray, Any]:
    """Timestamps as int64 nanoseconds of local wall time, and their timezone."""
    tz = getattr(times.dt, "tz", None)
    if tz is not None:
        times = times.dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view("int64"), tz


def _from_wall_ns(ns: np.ndarray, tz: Any) -> pd.DatetimeIndex:
    out = pd.DatetimeIndex(ns.astype("datetime64[ns]"))
    return out.tz_localize(tz) if tz is not None else out


def _bincount(
    codes: np.ndarray, weights: np.ndarray | None = None, minlength: int = 0
) -> np.ndarray:
    """``np.bincount`` whose weighted result is float even for empty input."""
    out = np.bincount(codes, weights=weights, minlength=minlength)
    return out.astype(float) if weights is not None else out


def _group_min(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, codes, values)
    return out


def _group_max(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, codes, values)
    return out


def _check_choice(name: str, value: object, choices: Iterable[object]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")


class TransactionFeatures(TransformerMixin, BaseEstimator):
    """Summarise a transaction log into a point-in-time customer table.

    Parameters
    ----------
    schema : TransactionSchema, optional
        Column roles of the log; the default schema when omitted.
    cutoff : str or pandas.Timestamp, optional
        Snapshot time: only rows strictly before it are used.  Default:
        midnight of the day after the last transaction seen by ``fit``.
    frequency : {"orders", "days"}, default "orders"
        Count distinct orders or distinct purchase days.
    monetary : {"gross", "net"}, default "gross"
        Sum purchases only, or purchases minus returns.
    windows : sequence of int, default (30, 90, 365)
        Trailing windows in days for ``orders_<w>d`` and ``spend_<w>d``.
    trend_window : int, default 90
        ``spend_trend = (S1 - S0) / (S1 + S0)`` where ``S1`` is the spend in
        the last ``trend_window`` days before the cutoff and ``S0`` the spend
        in the ``trend_window`` days before those; in [-1, 1], 0 when both are 0.
    time_unit : {"D", "W"}, default "D"
        Unit of ``btyd_recency`` and ``btyd_T`` (days or weeks).
    include : sequence of str, optional
        Feature groups to compute, a subset of :data:`FEATURE_GROUPS`
        (default: all that the log supports).

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
    """

    def __init__(
        self,
        *,
        schema: TransactionSchema | None = None,
        cutoff: str | pd.Timestamp | None = None,
        frequency: Literal["orders", "days"] = "orders",
        monetary: Literal["gross", "net"] = "gross",
        windows: Sequence[int] = (30, 90, 365),
        trend_window: int = 90,
        time_unit: Literal["D", "W"] = "D",
        include: Sequence[str] | None = None,
    ) -> None:
        self.schema = schema
        self.cutoff = cutoff
        self.frequency = frequency
        self.monetary = monetary
        self.windows = windows
        self.trend_window = trend_window
        self.time_unit = time_unit
        self.include = include

    # ------------------------------------------------------------------ fit
    def _validate_params(self) -> None:
        _check_choice("frequency", self.frequency, ("orders", "days"))
        _check_choice("monetary", self.monetary, ("gross", "net"))
        _check_choice("time_unit", self.time_unit, tuple(_TIME_UNITS))
        for w in self.windows:
            if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w <= 0:
                raise ValueError(f"windows must be positive integers (days), got {w!r}.")
        if isinstance(self.trend_window, bool) or not isinstance(
            self.trend_window, (int, np.integer)
        ) or self.trend_window <= 0:
            raise ValueError(f"trend_window must be a positive integer, got {self.trend_window!r}.")
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
        X : pandas.DataFrame
            Transaction log.
        y : ignored

        Returns
        -------
        self : TransactionFeatures
        """
        from crmine.utils._engines import find_engine

        engine = find_engine(X)
        if engine is not None:
            return engine.fit(self, X)
        self._validate_params()
        schema = resolve_schema(self.schema)
        return self._fit(prepare_log(X, schema), schema)

    def fit_transform(self, X: pd.DataFrame, y: object = None, **fit_params: Any) -> pd.DataFrame:
        """Fit on ``X`` and return its customer table (validates the log once).

        Parameters
        ----------
        X : pandas.DataFrame
            Transaction log.
        y : ignored
        **fit_params : ignored

        Returns
        -------
        pandas.DataFrame
            The customer table, as :meth:`transform` returns it.
        """
        from crmine.utils._engines import find_engine

        engine = find_engine(X)
        if engine is not None:
            return engine.fit_transform(self, X)
        self._validate_params()
        schema = resolve_schema(self.schema)
        log = prepare_log(X, schema)
        cache: dict[str, Any] = {}
        self._fit(log, schema, cache)
        return _compute(log, schema, self, cache)

    def _fit(
        self, log: pd.DataFrame, schema: TransactionSchema, cache: dict[str, Any] | None = None
    ) -> TransactionFeatures:
        times = log[schema.time]
        tz = getattr(times.dt, "tz", None)
        if self.cutoff is None:
            cutoff = times.max().normalize() + pd.Timedelta(days=1)
        else:
            cutoff = _localize(pd.Timestamp(self.cutoff), tz, "cutoff")
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
            if not (amount[before] < 0).any():
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
            for w in self.windows:
                names += [f"orders_{w}d", f"spend_{w}d"]
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
        X : pandas.DataFrame
            Transaction log (may include rows after the cutoff: they are ignored).

        Returns
        -------
        pandas.DataFrame
            One row per customer with at least one purchase line before the
            cutoff, indexed by customer id (sorted), columns
            ``get_feature_names_out()``.
        """
        from crmine.utils._engines import find_engine

        engine = find_engine(X)
        if engine is not None:
            return engine.transform(self, X)
        check_is_fitted(self, "cutoff_")
        schema = resolve_schema(self.schema)
        log = prepare_log(X, schema)
        return _compute(log, schema, self)


def _localize(ts: pd.Timestamp, tz: Any, name: str) -> pd.Timestamp:
    if tz is not None and ts.tzinfo is None:
        return ts.tz_localize(tz)
    if tz is None and ts.tzinfo is not None:
        raise ValueError(
            f"{name}={ts!r} is timezone-aware but the log's timestamps are naive. "
            "Fix: pass a naive timestamp."
        )
    return ts


def _compute(
    log: pd.DataFrame,
    schema: TransactionSchema,
    est: TransactionFeatures,
    cache: dict[str, Any] | None = None,
) -> pd.DataFrame:
    inc = est.include_
    names = list(est.feature_names_out_)
    times = log[schema.time]
    tz = getattr(times.dt, "tz", None)
    cutoff = _localize(est.cutoff_, tz, "cutoff")
    t_ns, _ = _wall_ns(times)
    cutoff_ns = int((cutoff.tz_localize(None) if tz is not None else cutoff).value)
    keep = t_ns < cutoff_ns
    amount_all = transaction_amount(log, schema)
    cat_codes = cat_uniques = None
    if cache and "category" in cache and "category" in inc:
        cat_codes, cat_uniques = cache["category"]
        cat_codes = cat_codes[keep]
    if not keep.all():
        log = log.loc[keep]
        t_ns = t_ns[keep]
        amount_all = amount_all[keep]
    cust_col = log[schema.customer]
    index_name = schema.customer
    is_return = amount_all < 0
    purchase = ~is_return
    if not purchase.any():  # also an empty log before the cutoff
        logger.info("no purchase lines before the cutoff: the customer table is empty")
        return pd.DataFrame(columns=names, index=pd.Index([], name=index_name))
    codes, uniques = pd.factorize(cust_col, sort=True)
    if (codes < 0).any():
        raise SchemaError(
            f"column {schema.customer!r} has missing customer ids. "
            "Fix: clean_transactions(...) drops and counts them."
        )
    n_cust_all = len(uniques)
    cutoff_day = cutoff_ns // _NS_PER_DAY

    # ---- purchase lines -> orders
    pc = codes[purchase]
    pt = t_ns[purchase]
    pa = amount_all[purchase]
    ord_idx, _ = pd.factorize(log[schema.order].to_numpy()[purchase])
    n_ord = int(ord_idx.max(initial=-1)) + 1
    ord_cust = np.empty(n_ord, dtype=np.int64)
    ord_cust[ord_idx] = pc
    if not np.array_equal(ord_cust[ord_idx], pc):
        # some order id is shared by several customers: count (customer, order) pairs
        okey = pc.astype(np.int64) * n_ord + ord_idx
        ord_idx, _ = pd.factorize(okey)
        n_ord = int(ord_idx.max(initial=-1)) + 1
        ord_cust = np.empty(n_ord, dtype=np.int64)
        ord_cust[ord_idx] = pc
    ord_time = _group_min(ord_idx, pt, n_ord)
    ord_amt = _bincount(ord_idx, weights=pa, minlength=n_ord)

    # customers with at least one purchase
    n_orders = _bincount(ord_cust, minlength=n_cust_all)
    has_purchase = n_orders > 0
    if not has_purchase.all():
        logger.info(
            "%d customer(s) have only return lines before the cutoff and are not in the table",
            int((~has_purchase).sum()),
        )
    gross = _bincount(ord_cust, weights=ord_amt, minlength=n_cust_all)
    ret_val = _bincount(codes[is_return], weights=-amount_all[is_return], minlength=n_cust_all)
    first_ns = _group_min(ord_cust, ord_time, n_cust_all)
    last_ns = _group_max(ord_cust, ord_time, n_cust_all)
    first_day = first_ns // _NS_PER_DAY
    last_day = last_ns // _NS_PER_DAY

    # distinct (customer, day) pairs
    ord_day = ord_time // _NS_PER_DAY
    min_day = int(ord_day.min())
    span = int(ord_day.max()) - min_day + 1
    dkey = ord_cust * span + (ord_day - min_day)
    ukey, day_idx = np.unique(dkey, return_inverse=True)
    day_cust = ukey // span
    day_num = ukey % span + min_day
    n_days = _bincount(day_cust, minlength=n_cust_all)

    cols: dict[str, np.ndarray] = {}
    freq = n_orders if est.frequency == "orders" else n_days
    monetary = gross if est.monetary == "gross" else gross - ret_val
    with np.errstate(divide="ignore", invalid="ignore"):
        if "rfm" in inc:
            cols["recency_days"] = cutoff_day - last_day
            cols["frequency"] = freq
            cols["monetary_total"] = monetary
            cols["monetary_mean"] = monetary / freq
        if "tenure" in inc:
            cols["tenure_days"] = cutoff_day - first_day
        if "interpurchase" in inc:
            same = day_cust[1:] == day_cust[:-1]
            gaps = np.diff(day_num)[same].astype(float)
            gcust = day_cust[1:][same]
            n_gaps = _bincount(gcust, minlength=n_cust_all)
            s1 = _bincount(gcust, weights=gaps, minlength=n_cust_all)
            mean = np.where(n_gaps > 0, s1 / n_gaps, np.nan)
            dev = gaps - mean[gcust]
            s2 = _bincount(gcust, weights=dev * dev, minlength=n_cust_all)
            cols["interpurchase_mean_days"] = mean
            cols["interpurchase_std_days"] = np.where(
                n_gaps > 1, np.sqrt(s2 / np.maximum(n_gaps - 1, 1)), np.nan
            )
        if "basket" in inc:
            if schema.has(log, "quantity"):
                units = log[schema.quantity].to_numpy(dtype=float)[purchase]
            else:
                units = np.ones(len(pc))
            cols["items_per_order"] = _bincount(pc, weights=units, minlength=n_cust_all) / (
                n_orders
            )
            item_values = log[schema.item].to_numpy()
            if (
                item_values.dtype.kind in "iu"
                and len(item_values)
                and 0 <= item_values.min()
                and item_values.max() < 2**31
            ):
                icodes = item_values[purchase].astype(np.int64)  # small ints are their own codes
            else:
                icodes, _ = pd.factorize(item_values[purchase])
            width = int(icodes.max(initial=0)) + 2
            ikey = np.sort(pc.astype(np.int64) * width + (icodes + 1))
            first = np.ones(len(ikey), dtype=bool)
            first[1:] = ikey[1:] != ikey[:-1]
            cols["distinct_items"] = _bincount(ikey[first] // width, minlength=n_cust_all)
        if "windows" in inc:
            for w in est.windows:
                inw = ord_time >= cutoff_ns - int(w) * _NS_PER_DAY
                cols[f"orders_{w}d"] = _bincount(ord_cust[inw], minlength=n_cust_all)
                cols[f"spend_{w}d"] = _bincount(
                    ord_cust[inw], weights=ord_amt[inw], minlength=n_cust_all
                )
        if "trend" in inc:
            tw = int(est.trend_window) * _NS_PER_DAY
            recent = ord_time >= cutoff_ns - tw
            prior = (ord_time >= cutoff_ns - 2 * tw) & ~recent
            s1 = _bincount(ord_cust[recent], weights=ord_amt[recent], minlength=n_cust_all)
            s0 = _bincount(ord_cust[prior], weights=ord_amt[prior], minlength=n_cust_all)
            tot = s1 + s0
            cols["spend_trend"] = np.where(tot > 0, (s1 - s0) / np.where(tot > 0, tot, 1), 0.0)
        if "returns" in inc:
            cols["return_value"] = ret_val
            cols["return_rate"] = np.where(gross > 0, ret_val / np.where(gross > 0, gross, 1), 0.0)
        if "category" in inc:
            vocab = pd.Index(est.categories_)
            if cat_codes is None:
                cat_codes, cat_uniques = pd.factorize(log[schema.category])
            lookup = np.append(vocab.get_indexer(cat_uniques), -1)  # code -1 (NaN) -> -1
            ccodes = lookup[cat_codes[purchase]]
            known = ccodes >= 0
            k = len(vocab)
            if k:
                flat = _bincount(
                    pc[known] * k + ccodes[known], weights=pa[known], minlength=n_cust_all * k
                ).reshape(n_cust_all, k)
                shares = flat / np.where(gross > 0, gross, 1)[:, None]
                for j, c in enumerate(vocab):
                    cols[f"share_{c}"] = shares[:, j]
        if "btyd" in inc:
            unit = _TIME_UNITS[est.time_unit]
            rep = n_days - 1
            cols["repeat_frequency"] = rep
            cols["btyd_recency"] = (last_day - first_day) / unit
            cols["btyd_T"] = (cutoff_day - first_day) / unit
            day_amt = _bincount(day_idx, weights=ord_amt, minlength=len(ukey))
            first_day_amt = _bincount(
                day_cust, weights=np.where(day_num == first_day[day_cust], day_amt, 0.0),
                minlength=n_cust_all,
            )
            cols["btyd_monetary_mean"] = np.where(
                rep > 0, (gross - first_day_amt) / np.maximum(rep, 1), np.nan
            )

    index = pd.Index(uniques[has_purchase], name=index_name)
    data: dict[str, Any] = {}
    for name in names:
        if name == "first_purchase":
            data[name] = _from_wall_ns(first_ns[has_purchase], tz)
        elif name == "last_purchase":
            data[name] = _from_wall_ns(last_ns[has_purchase], tz)
        else:
            data[name] = cols[name][has_purchase]
    return pd.DataFrame(data, index=index, columns=names)


def rfm_table(
    log: pd.DataFrame,
    *,
    schema: TransactionSchema | None = None,
    cutoff: str | pd.Timestamp | None = None,
    frequency: Literal["orders", "days"] = "orders",
    monetary: Literal["gross", "net"] = "gross",
) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer, in one call.

    Parameters
    ----------
    log : pandas.DataFrame
        Transaction log.
    schema : TransactionSchema, optional
        Column roles.
    cutoff : str or Timestamp, optional
        Snapshot time (default: the day after the last transaction).
    frequency : {"orders", "days"}, default "orders"
    monetary : {"gross", "net"}, default "gross"

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
    from crmine.utils._engines import find_engine

    engine = find_engine(log)
    if engine is not None:
        return engine.rfm_table(
            log, schema=schema, cutoff=cutoff, frequency=frequency, monetary=monetary
        )
    est = TransactionFeatures(
        schema=schema, cutoff=cutoff, frequency=frequency, monetary=monetary, include=("rfm",)
    )
    table = est.fit_transform(log)
    return table[["recency_days", "frequency", "monetary_total"]]


class BasketMatrix(NamedTuple):
    """A sparse order x item incidence matrix with its labels.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix of bool
        ``matrix[i, j]`` is True when order ``orders[i]`` contains ``items[j]``.
    orders : pandas.Index
        Order ids (rows), in order of first appearance.
    items : pandas.Index
        Item labels (columns), sorted.
    """

    matrix: sparse.csr_matrix
    orders: pd.Index
    items: pd.Index


def basket_matrix(
    log: pd.DataFrame,
    *,
    schema: TransactionSchema | None = None,
    item: str | None = None,
    cutoff: str | pd.Timestamp | None = None,
) -> BasketMatrix:
    """Sparse order x item matrix of the purchase lines of a log.

    Return lines (negative value) are left out.  No dense table is ever built.

    Parameters
    ----------
    log : pandas.DataFrame
        Transaction log.
    schema : TransactionSchema, optional
        Column roles.
    item : str, optional
        Column to use as the item (e.g. ``"category"`` for category-level
        baskets); default the schema's item column.
    cutoff : str or Timestamp, optional
        Use only rows strictly before it.

    Returns
    -------
    BasketMatrix

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
    schema = resolve_schema(schema)
    if item is not None:
        schema = schema.replace(item=item)
    df = prepare_log(log, schema, require_item=True)
    amount = transaction_amount(df, schema)
    keep = amount >= 0
    if cutoff is not None:
        tz = getattr(df[schema.time].dt, "tz", None)
        keep &= (df[schema.time] < _localize(pd.Timestamp(cutoff), tz, "cutoff")).to_numpy()
    items_col = df[schema.item].to_numpy()[keep]
    if pd.isna(items_col).any():
        raise SchemaError(
            f"column {schema.item!r} has {int(pd.isna(items_col).sum())} missing item(s). "
            "Fix: drop or label them before building baskets."
        )
    ocodes, orders = pd.factorize(df[schema.order].to_numpy()[keep])
    icodes, items = pd.factorize(items_col, sort=True)
    mat = sparse.csr_matrix(
        (np.ones(len(ocodes), dtype=np.int8), (ocodes, icodes)),
        shape=(len(orders), len(items)),
    )
    mat.sum_duplicates()
    mat.data[:] = 1
    mat = mat.astype(bool)
    return BasketMatrix(mat, pd.Index(orders, name=schema.order), pd.Index(items, name=schema.item))


class TransactionAggregates(TransformerMixin, BaseEstimator):
    """Add per-customer transaction aggregates to a customer table (AggJoiner style).

    The transactions are a parameter; ``X`` is a customer table whose rows are
    kept, in order, with the aggregate columns appended.  Use it inside a
    scikit-learn ``Pipeline`` over customer tables.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Transaction log.
    schema : TransactionSchema, optional
        Column roles of the log.
    cutoff : str or Timestamp, optional
        Snapshot time (see :class:`TransactionFeatures`).
    features : sequence of str, optional
        Columns of the :class:`TransactionFeatures` table to add (default
        recency, frequency and monetary total).
    key : str, optional
        Column of ``X`` holding the customer id; default the index of ``X``.
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

    def __init__(
        self,
        transactions: pd.DataFrame | None = None,
        *,
        schema: TransactionSchema | None = None,
        cutoff: str | pd.Timestamp | None = None,
        features: Sequence[str] | None = None,
        key: str | None = None,
        fill_value: float = np.nan,
    ) -> None:
        self.transactions = transactions
        self.schema = schema
        self.cutoff = cutoff
        self.features = features
        self.key = key
        self.fill_value = fill_value

    def fit(self, X: pd.DataFrame, y: object = None) -> TransactionAggregates:
        """Compute the aggregates from ``transactions``.

        Parameters
        ----------
        X : pandas.DataFrame
            Customer table (only checked here).
        y : ignored

        Returns
        -------
        self : TransactionAggregates
        """
        if self.transactions is None:
            raise ValueError(
                "TransactionAggregates needs transactions=<log DataFrame>. "
                "Fix: TransactionAggregates(transactions=log)."
            )
        self._check_X(X)
        feats = list(self.features) if self.features is not None else [
            "recency_days", "frequency", "monetary_total"
        ]
        summarizer = TransactionFeatures(schema=self.schema, cutoff=self.cutoff)
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
        return self

    def _check_X(self, X: object) -> None:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                f"X must be a pandas DataFrame (a customer table), got {type(X).__name__}."
            )
        if self.key is not None and self.key not in X.columns:
            raise SchemaError(
                f"key column {self.key!r} is not in X (columns {list(X.columns)[:10]}). "
                "Fix: key=None to use the index, or name the id column."
            )

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Append the aggregates to ``X``, keeping its rows and order.

        Parameters
        ----------
        X : pandas.DataFrame
            Customer table.

        Returns
        -------
        pandas.DataFrame
        """
        check_is_fitted(self, "table_")
        self._check_X(X)
        ids = X.index if self.key is None else pd.Index(X[self.key])
        pos = self.table_.index.get_indexer(ids)
        out = X.copy()
        for col in self.table_.columns:
            values = self.table_[col].to_numpy()
            if np.issubdtype(values.dtype, np.number):
                values = values.astype(float)
                filled = np.where(pos >= 0, values[np.maximum(pos, 0)], self.fill_value)
            else:
                filled = np.where(pos >= 0, values[np.maximum(pos, 0)], pd.NaT)
            out[col] = filled
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Columns of the output: those of ``X`` followed by the aggregates."""
        check_is_fitted(self, "table_")
        return np.asarray(
            list(self.feature_names_in_) + list(self.table_.columns), dtype=object
        )
