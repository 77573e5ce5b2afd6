r"""Outlier customers: who does not belong in a retail model, and why.

A few customers distort every per-customer model: resellers ordering at
wholesale scale, a single enormous order, bursts of orders minutes apart
(scripts, split invoices, test accounts), spend far outside their segment.
:class:`OutlierCustomers` (one-liner :func:`outlier_customers`) flags them
with the **reason**, from the cleaned log before ``cutoff``
(:func:`crmine.clean_transactions`, purchase lines only):

* ``wholesale``: the customer's *median* order value is far above the
  customers' typical median order value (robust z-score of its log above
  ``threshold``);
* ``huge_order``: the customer's *largest* order is far above the orders of
  all customers (robust z-score of its log against every order above
  ``threshold``) **and** at least ``huge_ratio`` times the median of the
  customer's other orders (or it is their only order) -- one order, not a
  wholesale habit;
* ``rapid_orders``: at least ``min_rapid`` orders placed less than
  ``min_gap`` after the customer's previous order (implausible
  inter-purchase times);
* ``segment_spend`` (only with ``segments=``): total spend far outside the
  customer's segment (absolute robust z-score of log spend within the
  segment above ``threshold``).

Robust z-scores use the median and the median absolute deviation,
:math:`z = 0.6745 (x - \tilde x) / \mathrm{MAD}` (Iglewicz and Hoaglin; 3.5
is their cut-off), with the mean absolute deviation
(:math:`1.2533\,\mathrm{MeanAD}`) when the MAD is 0.  With
``method="isolation_forest"`` scikit-learn's ``IsolationForest`` on the same
features decides instead, and the reasons above explain each flag
(``isolation_forest`` when none applies).  :func:`drop_outliers` removes the
flagged customers from a log or a customer table, e.g. before fitting a
BG/NBD model.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from crmine.base import Interval, StrOptions, _fit_context
from crmine.exceptions import SchemaError
from crmine.schema import (
    TransactionSchema,
    clean_transactions,
    resolve_schema,
    transaction_amount,
)
from crmine.utils._validation import (
    check_is_fitted,
    default_cutoff,
    purchase_mask,
    show_values,
    to_pandas,
)

__all__ = ["REASONS", "OutlierCustomers", "drop_outliers", "outlier_customers", "robust_z"]

#: Reasons a customer can be flagged for, in column order.
REASONS = ("wholesale", "huge_order", "rapid_orders", "segment_spend", "isolation_forest")


def robust_z(values: Any, center: float | None = None, scale: float | None = None) -> np.ndarray:
    """Robust z-scores ``0.6745 (x - median) / MAD`` (mean absolute deviation if MAD is 0).

    Parameters
    ----------
    values : array-like
        The values (finite).
    center, scale : float, optional
        Reference median and MAD-based scale (``MAD / 0.6745``); computed
        from ``values`` when omitted.

    Returns
    -------
    numpy.ndarray
        0 everywhere when all values are equal.

    Examples
    --------
    >>> robust_z([1.0, 2.0, 3.0, 4.0, 100.0]).round(2).tolist()
    [-1.35, -0.67, 0.0, 0.67, 65.43]
    """
    x = np.asarray(values, dtype=float)
    if center is None or scale is None:
        center, scale = _center_scale(x)
    if scale == 0:
        return np.zeros_like(x)
    return (x - center) / scale


def _center_scale(x: np.ndarray) -> tuple[float, float]:
    if x.size == 0:
        return 0.0, 0.0
    med = float(np.median(x))
    mad = float(np.median(np.abs(x - med)))
    if mad > 0:
        return med, mad / 0.6745
    mean_ad = float(np.mean(np.abs(x - med)))
    return med, 1.253314 * mean_ad


def _orders(log: Any, schema: TransactionSchema | None, cutoff: Any) -> tuple[pd.DataFrame, str]:
    schema = resolve_schema(schema)
    log = to_pandas(log, name="log", allow_arrays=False)
    if not isinstance(log, pd.DataFrame):
        raise TypeError(f"log must be a transaction log DataFrame, got {type(log).__name__}.")
    clean, _ = clean_transactions(log, schema)
    amount = transaction_amount(clean, schema) if len(clean) else np.zeros(0)
    clean = clean.loc[purchase_mask(amount)]
    amount = amount[purchase_mask(amount)]
    times = clean[schema.time]
    if len(clean) == 0:
        raise SchemaError(
            "no purchase line is left after cleaning; outlier flags need purchases."
        )
    if cutoff is None:
        cut = default_cutoff(times)
    else:
        try:
            cut = pd.Timestamp(cutoff)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"cutoff={cutoff!r} is not a timestamp. Fix: '2011-12-01'.") from exc
        tz = getattr(times.dt, "tz", None)
        if tz is not None and cut.tzinfo is None:
            cut = cut.tz_localize(tz)
        elif tz is None and cut.tzinfo is not None:
            raise SchemaError(
                f"cutoff={cutoff!r} is timezone-aware but the log's timestamps are naive. "
                "Fix: pass a naive cutoff."
            )
    before = (times < cut).to_numpy()
    if not before.any():
        raise SchemaError(f"no purchase line before cutoff={cut}; check cutoff=.")
    lines = pd.DataFrame(
        {
            "customer": clean[schema.customer].to_numpy()[before],
            "order": clean[schema.order].astype(str).to_numpy()[before],
            "time": times.to_numpy()[before],
            "value": amount[before],
        }
    )
    orders = lines.groupby(["customer", "order"], sort=False).agg(
        time=("time", "min"), value=("value", "sum")
    ).reset_index()
    orders = orders.sort_values(["customer", "time", "order"], kind="stable", ignore_index=True)
    return orders, schema.customer


def _features(orders: pd.DataFrame, min_gap: pd.Timedelta) -> pd.DataFrame:
    g = orders.groupby("customer", sort=True)
    feats = pd.DataFrame(
        {
            "orders": g.size(),
            "monetary_total": g["value"].sum(),
            "median_order_value": g["value"].median(),
            "max_order_value": g["value"].max(),
        }
    )
    # median of the other orders (NaN for one-order customers)
    idx_max = g["value"].idxmax()
    others = orders.drop(index=idx_max.to_numpy()).groupby("customer")["value"].median()
    feats["median_other_orders"] = others.reindex(feats.index)
    same = orders["customer"].to_numpy()[1:] == orders["customer"].to_numpy()[:-1]
    gaps = np.diff(orders["time"].to_numpy()).astype("timedelta64[ns]")
    rapid = same & (gaps < np.timedelta64(min_gap.value, "ns"))
    feats["rapid_orders"] = (
        pd.Series(rapid.astype(np.int64), index=orders["customer"].to_numpy()[1:])
        .groupby(level=0)
        .sum()
        .reindex(feats.index, fill_value=0)
        .astype(np.int64)
    )
    return feats


class OutlierCustomers(BaseEstimator):
    """Flag outlier customers of a transaction log, with the reason.

    See :mod:`crmine.outliers` for the rules.  ``fit`` learns the reference
    distribution (medians and robust scales, and the isolation forest) from a
    log and flags its customers (``flags_``); ``transform`` flags the
    customers of another log (e.g. a later period) against that reference.

    Parameters
    ----------
    threshold : float, default 3.5
        Robust z-score above which a value is extreme.
    huge_ratio : float, default 10.0
        A huge order must be at least this many times the customer's other
        orders (median).
    min_gap : str or Timedelta, default "10min"
        Orders closer than this to the previous one are rapid.
    min_rapid : int, default 5
        Rapid orders needed for the ``rapid_orders`` flag.
    method : {"mad", "isolation_forest"}, default "mad"
        Which decides ``is_outlier``: the rules, or an isolation forest.
    contamination : "auto" or float, default "auto"
        Passed to ``IsolationForest``.
    schema : TransactionSchema, optional
        Column roles of the log.
    cutoff : str or Timestamp, optional
        Only rows strictly before it.
    random_state : int, RandomState, Generator or None, default None
        Seed of the isolation forest.

    Attributes
    ----------
    flags_ : pandas.DataFrame
        The flags of the fitted log's customers (see :meth:`transform`).
    reference_ : pandas.DataFrame
        Median and scale of each log-feature.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(c, f"{c}-{k}", f"2024-01-{k + 1:02d}", 20.0 + c + k)
    ...         for c in range(12) for k in range(3)]
    >>> rows.append((99, "99-0", "2024-01-05", 20000.0))  # one enormous order
    >>> log = pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "amount"])
    >>> flags = OutlierCustomers().fit(log).flags_
    >>> flags.loc[flags["is_outlier"], "reasons"]
    customer_id
    99    wholesale; huge_order
    Name: reasons, dtype: object
    """

    _parameter_constraints: dict = {
        "threshold": [Interval(Real, 0, None, closed="neither")],
        "huge_ratio": [Interval(Real, 1, None, closed="left")],
        "min_gap": [str, pd.Timedelta],
        "min_rapid": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"mad", "isolation_forest"})],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "schema": [TransactionSchema, None],
        "cutoff": "no_validation",
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        threshold: float = 3.5,
        huge_ratio: float = 10.0,
        min_gap: str | pd.Timedelta = "10min",
        min_rapid: int = 5,
        method: str = "mad",
        contamination: str | float = "auto",
        schema: TransactionSchema | None = None,
        cutoff: Any = None,
        random_state: Any = None,
    ) -> None:
        self.threshold = threshold
        self.huge_ratio = huge_ratio
        self.min_gap = min_gap
        self.min_rapid = min_rapid
        self.method = method
        self.contamination = contamination
        self.schema = schema
        self.cutoff = cutoff
        self.random_state = random_state

    def _gap(self) -> pd.Timedelta:
        try:
            gap = pd.Timedelta(self.min_gap)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"min_gap={self.min_gap!r} is not a duration. Fix: '10min'.") from exc
        if gap <= pd.Timedelta(0):
            raise ValueError(f"min_gap must be positive, got {self.min_gap!r}.")
        return gap

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None, *, segments: Any = None) -> OutlierCustomers:
        """Learn the reference distribution from a log and flag its customers.

        Parameters
        ----------
        X : DataFrame (pandas, polars or pyarrow)
            Transaction log.
        y : None
            Ignored.
        segments : pandas.Series, optional
            Segment label per customer id (e.g. from
            :func:`crmine.segment_customers` or RFM); enables ``segment_spend``.

        Returns
        -------
        self : OutlierCustomers
        """
        orders, name = _orders(X, self.schema, self.cutoff)
        feats = _features(orders, self._gap())
        logs = {
            "median_order_value": np.log1p(feats["median_order_value"].to_numpy()),
            "order_value": np.log1p(orders["value"].to_numpy()),
        }
        self.reference_ = pd.DataFrame(
            [_center_scale(v) for v in logs.values()],
            index=list(logs),
            columns=["median", "scale"],
        )
        if self.method == "isolation_forest":
            from sklearn.ensemble import IsolationForest

            self._forest = IsolationForest(
                contamination=self.contamination, random_state=self.random_state
            ).fit(self._matrix(feats))
        self.flags_ = self._flag(feats, segments, name)
        return self

    @staticmethod
    def _matrix(feats: pd.DataFrame) -> np.ndarray:
        cols = ["orders", "monetary_total", "median_order_value", "max_order_value",
                "rapid_orders"]
        return np.log1p(feats[cols].to_numpy(dtype=float))

    def transform(self, X: Any, *, segments: Any = None) -> pd.DataFrame:
        """Flag the customers of a log against the fitted reference.

        Parameters
        ----------
        X : DataFrame (pandas, polars or pyarrow)
            Transaction log (``cutoff`` applies).
        segments : pandas.Series, optional
            Segment label per customer id.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer id: ``orders``, ``monetary_total``,
            ``median_order_value``, ``max_order_value``, ``rapid_orders``,
            ``z_wholesale``, ``z_huge_order``, ``z_segment_spend`` (NaN
            without segments), ``isolation_score`` (higher = more anomalous;
            NaN with ``method="mad"``), one boolean column per reason,
            ``is_outlier`` and ``reasons`` (the reasons joined by "; ").
        """
        check_is_fitted(self, "reference_")
        orders, name = _orders(X, self.schema, self.cutoff)
        return self._flag(_features(orders, self._gap()), segments, name)

    def _flag(self, feats: pd.DataFrame, segments: Any, name: str) -> pd.DataFrame:
        ref = self.reference_
        out = feats.drop(columns="median_other_orders").copy()
        out["z_wholesale"] = robust_z(
            np.log1p(feats["median_order_value"].to_numpy()), *ref.loc["median_order_value"]
        )
        out["z_huge_order"] = robust_z(
            np.log1p(feats["max_order_value"].to_numpy()), *ref.loc["order_value"]
        )
        out["z_segment_spend"] = np.nan
        if segments is not None:
            seg = _segments(segments, feats.index)
            spend = np.log1p(feats["monetary_total"])
            out["z_segment_spend"] = spend.groupby(seg.to_numpy()).transform(
                lambda s: pd.Series(robust_z(s.to_numpy()), index=s.index)
            )
        other = feats["median_other_orders"]
        out["wholesale"] = out["z_wholesale"] > self.threshold
        out["huge_order"] = (out["z_huge_order"] > self.threshold) & (
            other.isna() | (feats["max_order_value"] >= self.huge_ratio * other)
        ).to_numpy()
        out["rapid_orders_flag"] = feats["rapid_orders"] >= self.min_rapid
        out["segment_spend"] = out["z_segment_spend"].abs() > self.threshold
        rules = out[["wholesale", "huge_order", "rapid_orders_flag", "segment_spend"]]
        if self.method == "isolation_forest":
            X = self._matrix(feats)
            out["isolation_score"] = -self._forest.score_samples(X)
            out["isolation_forest"] = self._forest.predict(X) == -1
            out["is_outlier"] = out["isolation_forest"]
        else:
            out["isolation_score"] = np.nan
            out["isolation_forest"] = False
            out["is_outlier"] = rules.any(axis=1)
        names = ["wholesale", "huge_order", "rapid_orders", "segment_spend"]
        flags = rules.to_numpy()
        text = []
        for i, row in enumerate(flags):
            why = [n for n, f in zip(names, row) if f]
            if not why and out["isolation_forest"].iat[i]:
                why = ["isolation_forest"]
            text.append("; ".join(why) if out["is_outlier"].iat[i] else "")
        out["reasons"] = pd.Series(text, index=out.index, dtype=object)
        out.index.name = name
        return out


def _segments(segments: Any, index: pd.Index) -> pd.Series:
    seg = to_pandas(segments, name="segments")
    if isinstance(seg, pd.DataFrame):
        if seg.shape[1] != 1:
            raise SchemaError(
                "segments must be one label per customer (a Series indexed by customer id), "
                f"got a table with columns {show_values(list(seg.columns))}."
            )
        seg = seg.iloc[:, 0]
    if not isinstance(seg, pd.Series):
        raise TypeError(
            "segments must be a pandas Series of labels indexed by customer id, got "
            f"{type(segments).__name__}."
        )
    aligned = seg.reindex(index)
    missing = aligned.isna()
    if missing.any():
        raise SchemaError(
            f"segments has no label for {int(missing.sum())} customer(s) of the log (e.g. "
            f"{show_values(index[missing.to_numpy()])}). Fix: label every customer, e.g. "
            "segments.reindex(ids, fill_value='unknown')."
        )
    return aligned


def outlier_customers(
    log: Any,
    schema: TransactionSchema | None = None,
    *,
    segments: Any = None,
    threshold: float = 3.5,
    method: str = "mad",
    cutoff: Any = None,
    random_state: Any = None,
) -> pd.DataFrame:
    """Outlier flags with reasons per customer (one-liner for :class:`OutlierCustomers`).

    Returns
    -------
    pandas.DataFrame
        ``OutlierCustomers(...).fit(log, segments=segments).flags_``.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(c, f"{c}-{k}", f"2024-01-{k + 1:02d}", 10.0 + c) for c in range(10)
    ...         for k in range(2)]
    >>> rows += [(77, f"77-{k}", pd.Timestamp("2024-01-03 10:00") + pd.Timedelta(minutes=k),
    ...           12.0) for k in range(8)]
    >>> log = pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "amount"])
    >>> flags = outlier_customers(log)
    >>> int(flags.loc[77, "rapid_orders"]), flags.loc[77, "reasons"]
    (7, 'rapid_orders')
    """
    est = OutlierCustomers(
        threshold=threshold, method=method, schema=schema, cutoff=cutoff,
        random_state=random_state,
    )
    return est.fit(log, segments=segments).flags_


def drop_outliers(
    data: Any, flags: pd.DataFrame, *, schema: TransactionSchema | None = None
) -> Any:
    """Remove the flagged customers from a transaction log or a customer table.

    Parameters
    ----------
    data : DataFrame (pandas, polars or pyarrow)
        A transaction log (with the customer column of ``schema``) or, when
        that column is absent, a customer table indexed by customer id.
    flags : pandas.DataFrame
        Output of :func:`outlier_customers` (its ``is_outlier`` column).
    schema : TransactionSchema, optional
        Column roles of a log; its ``customer`` column is used.

    Returns
    -------
    pandas.DataFrame
        A new frame without the outlier customers' rows.

    Examples
    --------
    >>> import pandas as pd
    >>> flags = pd.DataFrame({"is_outlier": [False, True]}, index=[1, 2])
    >>> log = pd.DataFrame({"customer_id": [1, 2, 1], "amount": [5.0, 900.0, 7.0]})
    >>> drop_outliers(log, flags)["amount"].tolist()
    [5.0, 7.0]
    """
    data = to_pandas(data, name="data", allow_arrays=False)
    if not isinstance(flags, pd.DataFrame) or "is_outlier" not in flags.columns:
        raise SchemaError(
            "flags must be the DataFrame of outlier_customers(...) with an 'is_outlier' column."
        )
    bad = flags.index[flags["is_outlier"].to_numpy(dtype=bool)]
    col = resolve_schema(schema).customer
    if col in data.columns:
        return data.loc[~data[col].isin(bad)]
    if schema is not None:
        raise SchemaError(
            f"customer column {col!r} not found (columns "
            f"{show_values(list(data.columns), 12)}). Fix: "
            "schema=TransactionSchema(customer=<column name>)."
        )
    return data.loc[~data.index.isin(bad)]
