"""Churn labels from transaction history, without leakage.

:func:`churn_labels` builds one snapshot: the customer table of
:class:`crmine.features.TransactionFeatures` computed from the rows strictly
before ``cutoff``, and the label ``churned = 1`` when the customer makes **no
purchase** in the ``horizon`` after it.  Only customers with at least one
purchase before the cutoff are labelled.  :func:`make_churn_dataset` stacks
several snapshots (more training rows) and returns the customer ids as
``groups`` so that a ``GroupKFold`` never puts the same customer in both train
and test.
"""

from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from crmine.base import Result
from crmine.exceptions import SchemaError
from crmine.utils._validation import purchase_mask

__all__ = ["ChurnDataset", "churn_labels", "make_churn_dataset"]

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class ChurnDataset(Result):
    """Churn features, labels and groups returned by :func:`churn_labels`.

    A :class:`crmine.base.Result` whose ``table`` is the feature table; it
    unpacks like a tuple, ``X, y, groups = churn_labels(...)``.

    Attributes
    ----------
    table : pandas.DataFrame
        Customer table at the cutoff (features from rows strictly before it).
        Indexed by customer id for one snapshot; by ``(cutoff, customer id)``
        for :func:`make_churn_dataset`.  Also available as ``X``.
    y : pandas.Series
        ``churned``: 1 = no purchase in the horizon after the cutoff, same index.
    groups : numpy.ndarray
        Customer id of each row, for ``GroupKFold``-style splits.

    Examples
    --------
    >>> import pandas as pd
    >>> ds = ChurnDataset(
    ...     table=pd.DataFrame({"frequency": [1, 2]}, index=["a", "b"]),
    ...     y=pd.Series([0, 1], index=["a", "b"], name="churned"),
    ...     groups=pd.Index(["a", "b"]).to_numpy(),
    ... )
    >>> ds
    ChurnDataset(n_customers=2, churn_rate=0.5, table=2x1)
    >>> X, y, groups = ds
    """

    y: pd.Series
    groups: np.ndarray

    @property
    def X(self) -> pd.DataFrame:
        """The feature table (same object as ``table``)."""
        return self.table

    @property
    def n_customers(self) -> int:
        """Number of labelled rows."""
        return len(self.y)

    @property
    def churn_rate(self) -> float:
        """Share of churners."""
        return float(self.y.mean()) if len(self.y) else float("nan")

    def _headline(self) -> dict[str, Any]:
        return {"n_customers": self.n_customers, "churn_rate": self.churn_rate}

    def __iter__(self) -> Iterator[Any]:
        return iter((self.table, self.y, self.groups))

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> Any:
        return (self.table, self.y, self.groups)[i]


def _horizon_days(horizon: Any, time_unit: str, horizon_days: Any) -> int:
    """Return the label window in whole days from ``horizon``/``time_unit``.

    ``horizon_days=`` is the deprecated spelling (FutureWarning).
    """
    if horizon_days is not None:
        warnings.warn(
            "churn_labels(horizon_days=...) is deprecated; pass horizon=<days> (or horizon='90D').",
            FutureWarning,
            stacklevel=3,
        )
        if horizon is not None:
            raise TypeError("pass horizon= only (horizon_days= is its deprecated spelling).")
        horizon = horizon_days
    if horizon is None:
        raise TypeError("horizon is required: the label window, e.g. horizon=90 or '90D'.")
    if isinstance(horizon, bool) or (
        isinstance(horizon, numbers.Real) and not isinstance(horizon, numbers.Integral)
    ):
        raise TypeError(f"horizon must be a positive number of days or '90D'; got {horizon!r}.")
    if isinstance(horizon, numbers.Integral):
        try:
            td = pd.Timedelta(int(horizon), unit=time_unit)
        except (TypeError, ValueError):
            raise ValueError(
                f"time_unit={time_unit!r} is not a pandas time unit; use 'D' (days) or 'W'."
            ) from None
    else:
        try:
            td = pd.Timedelta(horizon)
        except (TypeError, ValueError):
            raise TypeError(
                f"horizon must be a positive number of days, a string such as '90D' or a "
                f"Timedelta; got {horizon!r}."
            ) from None
    days = td / pd.Timedelta(days=1)
    if days <= 0 or days != int(days):
        raise ValueError(
            f"horizon must be a positive whole number of days; got {horizon!r} ({td}). "
            "Pass e.g. horizon=90 or horizon='12W'."
        )
    return int(days)


def _as_features(features: Any, schema: Any, cutoff: pd.Timestamp) -> Any:
    from crmine.features import TransactionFeatures

    if features is None:
        return TransactionFeatures(schema=schema, cutoff=cutoff)
    if not isinstance(features, TransactionFeatures):
        raise TypeError(
            "transaction_features must be an (unfitted) crmine.TransactionFeatures used as a "
            f"template; got {type(features).__name__}. Pass e.g. "
            "transaction_features=TransactionFeatures(windows=(30, 90))."
        )
    params = {"cutoff": cutoff}
    if schema is not None:
        params["schema"] = schema
    return clone(features).set_params(**params)


def label_setup(
    horizon: Any,
    time_unit: str,
    cutoff: Any,
    active_days: Any,
    transaction_features: Any,
    schema: Any,
    horizon_days: Any = None,
) -> tuple[int, pd.Timestamp, Any]:
    """Checks and the feature template shared by every engine's ``churn_labels``.

    Returns the label window in whole days, the cutoff as given (a Timestamp)
    and the unfitted :class:`~crmine.features.TransactionFeatures` template.
    """
    days = _horizon_days(horizon, time_unit, horizon_days)
    if active_days is not None and (
        isinstance(active_days, bool)
        or not isinstance(active_days, numbers.Integral)
        or active_days <= 0
    ):
        raise ValueError(f"active_days must be a positive integer or None; got {active_days!r}.")
    try:
        cutoff_ts = pd.Timestamp(cutoff)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cutoff={cutoff!r} is not a valid timestamp: {exc}") from None
    return days, cutoff_ts, _as_features(transaction_features, schema, cutoff_ts)


def churn_labels(
    log: pd.DataFrame,
    cutoff: str | pd.Timestamp,
    horizon: int | str | pd.Timedelta | None = None,
    *,
    time_unit: str = "D",
    schema: Any = None,
    transaction_features: Any = None,
    active_days: int | None = None,
    end: str | pd.Timestamp | None = None,
    keep_dates: bool = False,
    **deprecated: Any,
) -> ChurnDataset:
    """Build churn features and labels for one snapshot, without leakage.

    - **Features**: :class:`crmine.features.TransactionFeatures` with
      ``cutoff=cutoff``, computed from the rows with ``timestamp < cutoff``
      only.
    - **Population**: customers with at least one purchase before the cutoff
      (optionally: within the last ``active_days`` days).
    - **Label**: ``churned = 1`` when the customer makes no purchase in the
      horizon after the cutoff, ``cutoff <= timestamp < cutoff + horizon``
      -- the window that starts where the feature window ends, so a
      transaction is never in both and never in neither (with midnight
      cutoffs this is the ``horizon`` calendar days from the cutoff
      date: the interval "(cutoff, cutoff + horizon]" counted in days).  A
      purchase is a line with a non-negative value, as in
      :class:`~crmine.features.TransactionFeatures`; returns alone do not
      count as activity.

    Parameters
    ----------
    log : pandas.DataFrame
        Transaction log (see :class:`crmine.schema.TransactionSchema`).
    cutoff : str or pandas.Timestamp
        Snapshot time.
    horizon : int, str or pandas.Timedelta
        Length of the label window: a number of ``time_unit`` (default days),
        or a string/Timedelta such as ``"90D"`` or ``"12W"``; a positive
        whole number of days.
    time_unit : str, default="D"
        Unit of an integer ``horizon`` (``"D"`` days, ``"W"`` weeks).
    schema : TransactionSchema, optional
        Column roles of the log.
    transaction_features : TransactionFeatures, optional
        Template whose parameters (windows, frequency, returns, ...) are used;
        it is cloned and its ``cutoff`` replaced.  (``features=`` is its
        deprecated spelling: ``features=`` names input columns in crmine.)
    active_days : int, optional
        Only label customers whose last purchase is at most ``active_days``
        days before the cutoff (``recency_days <= active_days``); ``None``
        (default) labels every customer with a purchase before the cutoff.
    end : str or pandas.Timestamp, optional
        End of the observation period (exclusive).  Default: midnight after
        the last transaction of the log.  The label window must end by then,
        otherwise a :class:`~crmine.exceptions.SchemaError` is raised (the
        labels would call customers churned for lack of data).
    keep_dates : bool, default=False
        Keep the ``first_purchase`` / ``last_purchase`` date columns.  They are
        dropped by default: they repeat ``tenure_days`` / ``recency_days`` as
        absolute dates, which do not carry over from one cutoff to another,
        and :class:`ChurnClassifier` rejects date columns.
    **deprecated
        ``horizon_days=`` is the deprecated spelling of ``horizon`` (in
        days); it warns (FutureWarning).

    Returns
    -------
    ChurnDataset
        Unpacks as ``(X, y, groups)``: features indexed by customer id, the
        ``churned`` label (int 0/1) and the customer ids.

    Raises
    ------
    crmine.exceptions.SchemaError
        Invalid log, label window beyond the end of the data, or no customer
        with a purchase before the cutoff.

    See Also
    --------
    make_churn_dataset : several snapshots stacked.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.churn import churn_labels
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "c"],
    ...     "order_id": [1, 2, 3, 4, 5],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-05", "2024-02-20", "2024-01-10", "2024-01-25", "2024-03-30"]
    ...     ),
    ...     "amount": [10.0, 20.0, 5.0, 5.0, 8.0],
    ... })
    >>> X, y, groups = churn_labels(log, cutoff="2024-02-01", horizon=30)
    >>> y.to_dict()  # c only starts after the cutoff: not labelled
    {'a': 0, 'b': 1}
    >>> X["frequency"].to_dict()  # a's February order is not a feature
    {'a': 1, 'b': 2}
    """
    from crmine.schema import prepare_log, resolve_schema, transaction_amount

    unknown = sorted(set(deprecated) - {"horizon_days", "features"})
    if unknown:
        raise TypeError(f"churn_labels() got unexpected keyword argument(s) {unknown}.")
    if "features" in deprecated:
        warnings.warn(
            "churn_labels(features=TransactionFeatures(...)) is deprecated; pass "
            "transaction_features=TransactionFeatures(...) (features= names input columns).",
            FutureWarning,
            stacklevel=2,
        )
        if transaction_features is not None:
            raise TypeError("pass transaction_features= only (features= is its old spelling).")
        transaction_features = deprecated["features"]
    from crmine.utils._engines import find_engine

    horizon_days, cutoff_ts, tf = label_setup(
        horizon, time_unit, cutoff, active_days, transaction_features, schema,
        deprecated.get("horizon_days"),
    )
    engine = find_engine(log)
    if engine is not None:  # polars, Arrow, DuckDB, Parquet or Spark: same definitions there
        return engine.churn_labels(
            log, cutoff, horizon_days, schema=schema, transaction_features=tf,
            active_days=active_days, end=end, keep_dates=keep_dates,
        )
    sch = resolve_schema(tf.schema)
    prepared = prepare_log(log, sch)
    tf.fit(prepared)
    cutoff_ts = tf.cutoff_  # localised like the log
    times = prepared[sch.time]
    horizon_end = cutoff_ts + pd.Timedelta(days=int(horizon_days))
    if end is None:
        end_ts = times.max().normalize() + pd.Timedelta(days=1)
    else:
        end_ts = pd.Timestamp(end)
        if end_ts.tzinfo is None and cutoff_ts.tzinfo is not None:
            end_ts = end_ts.tz_localize(cutoff_ts.tzinfo)
    if horizon_end > end_ts:
        raise SchemaError(
            f"the label window [{cutoff_ts}, {horizon_end}) ends after the end of the data "
            f"({end_ts}); customers would be labelled churned for lack of data. Use an "
            f"earlier cutoff (at most {end_ts - pd.Timedelta(days=int(horizon_days))}) or a "
            "shorter horizon, or pass end= if the log is known to run longer."
        )
    bought = purchase_mask(transaction_amount(prepared, sch))
    has_purchase_before = bool(((times < cutoff_ts).to_numpy() & bought).any())
    X = tf.transform(prepared) if has_purchase_before else pd.DataFrame()
    if len(X) == 0:
        raise SchemaError(
            f"no customer has a purchase before cutoff={cutoff_ts} (column {sch.time!r} "
            f"starts at {times.min()}); choose a later cutoff."
        )
    if active_days is not None:
        X = X.loc[X["recency_days"] <= active_days]
        if len(X) == 0:
            raise SchemaError(
                f"no customer bought in the {active_days} days before cutoff={cutoff_ts}; "
                "increase active_days or move the cutoff."
            )
    in_window = ((times >= cutoff_ts) & (times < horizon_end)).to_numpy() & bought
    buyers = pd.Index(prepared.loc[in_window, sch.customer].unique())
    y = pd.Series((~X.index.isin(buyers)).astype(np.int64), index=X.index, name="churned")
    if not keep_dates:
        dates = [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c].dtype)]
        X = X.drop(columns=dates)
    logger.info(
        "churn_labels: cutoff %s, horizon %d days: %d customers, %d churned (%.1f%%)",
        cutoff_ts,
        horizon_days,
        len(y),
        int(y.sum()),
        100.0 * float(y.mean()),
    )
    return ChurnDataset(table=X, y=y, groups=X.index.to_numpy())


def make_churn_dataset(
    log: pd.DataFrame,
    cutoffs: Sequence[str | pd.Timestamp],
    horizon: int | str | pd.Timedelta | None = None,
    **kwargs: Any,
) -> ChurnDataset:
    """Stack churn snapshots at several cutoffs into one training set.

    Each snapshot is :func:`churn_labels` at one cutoff.  The same customer
    appears once per snapshot, so split by ``groups`` (e.g.
    :class:`sklearn.model_selection.GroupKFold`) to keep every customer on one
    side of a train/test split.  Snapshots whose label windows overlap later
    feature windows are fine for training; for an honest *out-of-time*
    estimate, test on a cutoff later than ``max(cutoffs) + horizon``.

    Parameters
    ----------
    log : pandas.DataFrame
        Transaction log.
    cutoffs : sequence of str or pandas.Timestamp
        Snapshot times (distinct).
    horizon : int, str or pandas.Timedelta
        Label window (see :func:`churn_labels`).
    **kwargs
        Passed to :func:`churn_labels` (``time_unit``, ``schema``,
        ``transaction_features``, ``active_days``, ``end``, ``keep_dates``).

    Returns
    -------
    ChurnDataset
        ``X`` and ``y`` indexed by ``(cutoff, customer id)``; ``groups`` =
        customer ids.  Feature columns missing in one snapshot (e.g. a
        ``share_<category>`` of a category not yet sold) are filled with 0
        for the share columns and left missing otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.churn import make_churn_dataset
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "a"],
    ...     "order_id": [1, 2, 3, 4, 5],
    ...     "timestamp": pd.to_datetime(
    ...         ["2024-01-05", "2024-02-20", "2024-01-10", "2024-01-25", "2024-03-30"]
    ...     ),
    ...     "amount": [10.0, 20.0, 5.0, 5.0, 8.0],
    ... })
    >>> X, y, groups = make_churn_dataset(log, ["2024-02-01", "2024-03-01"], horizon=30)
    >>> y.tolist(), groups.tolist()
    ([0, 1, 0, 1], ['a', 'b', 'a', 'b'])
    >>> X.index.names
    FrozenList(['cutoff', 'customer_id'])
    """
    if isinstance(cutoffs, (str, pd.Timestamp)) or not len(cutoffs):
        raise ValueError(
            f"cutoffs must be a non-empty list of timestamps; got {cutoffs!r}. "
            "Pass e.g. cutoffs=['2024-01-01', '2024-04-01']."
        )
    stamps = [pd.Timestamp(c) for c in cutoffs]
    if len(set(stamps)) != len(stamps):
        raise ValueError(f"cutoffs must be distinct; got {list(cutoffs)!r}.")
    xs, ys = [], []
    for c in stamps:
        X, y, _ = churn_labels(log, c, horizon, **kwargs)
        key = pd.Index([c] * len(X), name="cutoff")
        idx = pd.MultiIndex.from_arrays([key, X.index], names=["cutoff", X.index.name])
        xs.append(X.set_axis(idx, axis=0))
        ys.append(y.set_axis(idx, axis=0))
    X_all = pd.concat(xs, axis=0)
    share = [c for c in X_all.columns if str(c).startswith("share_")]
    if share:
        X_all[share] = X_all[share].fillna(0.0)
    y_all = pd.concat(ys, axis=0).rename("churned")
    groups = X_all.index.get_level_values(1).to_numpy()
    return ChurnDataset(table=X_all, y=y_all, groups=groups)
