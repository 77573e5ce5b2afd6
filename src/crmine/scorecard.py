"""The customer scorecard: one row per customer with every score a CRM tool needs.

:func:`customer_scorecard` runs crmine's analyses on a transaction log and
joins their per-customer results into one table indexed by customer id: RFM
segment, value tier, k-means segment (by name), churn risk, probability of
being alive, expected purchases, lifetime value and the next best offer.
:func:`safe_for_spreadsheet` makes any table safe to open in a spreadsheet
(formula injection), and :data:`SCORECARD_COLUMNS` documents every column.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import DataWarning

__all__ = ["SCORECARD_COLUMNS", "customer_scorecard", "safe_for_spreadsheet"]

logger = logging.getLogger(__name__)

#: Every column of the scorecard and what it means.
SCORECARD_COLUMNS: dict[str, str] = {
    "recency_days": "days from the customer's last purchase to the cutoff",
    "frequency": "number of orders before the cutoff",
    "monetary_total": "total spend before the cutoff",
    "rfm_code": "recency, frequency and monetary quintile scores (1-5, 5 = best), e.g. '545'",
    "rfm_segment": "named segment of the recency x frequency grid (e.g. 'Champions', 'At Risk')",
    "value_tier": "value pyramid tier by total spend: VIP (top 1%), major (next 4%), "
    "ordinary (next 15%), small (the rest)",
    "segment": "name of the customer's k-means segment on log-scaled recency, frequency and "
    "monetary value (e.g. 'active, high value')",
    "churn_risk": "probability of no purchase in the churn horizon after the cutoff (logistic "
    "model trained one horizon before the cutoff); empty when the history is too short",
    "p_alive": "BG/NBD probability that the customer is still active at the cutoff",
    "expected_purchases": "BG/NBD expected number of purchase days within the horizon",
    "clv": "expected value of the horizon: BG/NBD purchases x Gamma-Gamma spend per purchase, "
    "discounted at 1% per 30 days",
    "next_best_offer": "item to offer next: the consequent of the most confident association "
    "rule whose items the customer bought and whose consequent they did not, else the most "
    "popular item they have not bought (non-products such as postage are never offered)",
    "offer_confidence": "confidence of that rule (for a popular-item offer: the item's share "
    "of all orders)",
    "offer_basis": "'rule' or 'popular' (empty when the customer already bought every "
    "candidate item)",
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_for_spreadsheet(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` safe against formula injection in spreadsheets.

    Every text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading apostrophe, so that Excel, LibreOffice and
    Google Sheets show it as text instead of running it as a formula (OWASP
    "CSV injection").  Numbers, the index values and the column names are
    treated the same way when they are text; numeric cells are unchanged.

    Parameters
    ----------
    table : pandas.DataFrame
        Any table.

    Returns
    -------
    pandas.DataFrame
        The escaped copy (the input is not modified).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.scorecard import safe_for_spreadsheet
    >>> df = pd.DataFrame({"name": ["=1+2", "Ann", "-2+3"], "spend": [-1.5, 2, 3]})
    >>> safe_for_spreadsheet(df)["name"].tolist()
    ["'=1+2", 'Ann', "'-2+3"]
    >>> safe_for_spreadsheet(df)["spend"].tolist()
    [-1.5, 2.0, 3.0]
    """

    def fix(values: pd.Series | pd.Index) -> Any:
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            return values
        text = values.astype("string") if not isinstance(values, pd.Index) else values
        mask = pd.Series(text, dtype="string").str.startswith(_FORMULA_START).fillna(False)
        if not bool(mask.any()):
            return values
        out = pd.Series(values, dtype=object).copy()
        out[mask.to_numpy()] = "'" + out[mask.to_numpy()].astype(str)
        return (
            pd.Index(out, name=values.name)
            if isinstance(values, pd.Index)
            else out.set_axis(values.index)
        )

    out = table.copy()
    for col in out.columns:
        col_values = out[col]
        if isinstance(col_values.dtype, pd.CategoricalDtype):
            col_values = col_values.astype(object)
        out[col] = fix(col_values)
    out.index = fix(out.index)
    out.columns = fix(pd.Index([str(c) for c in out.columns]))
    return out


def _predict(method: Any, table: pd.DataFrame, **kwargs: Any) -> np.ndarray:
    return np.asarray(method(table, **kwargs), dtype=float)


def _lifetime_columns(
    customers: pd.DataFrame, horizon_days: float
) -> tuple[dict[str, np.ndarray], str | None]:
    """P(alive), expected purchases and CLV, or the reason they cannot be computed."""
    from crmine.lifetime import BetaGeoModel, GammaGammaModel

    repeaters = int((customers["repeat_frequency"] > 0).sum())
    if repeaters < 10:
        return {}, (
            f"only {repeaters} customers bought on more than one day; BG/NBD and Gamma-Gamma "
            "need at least 10 repeat buyers"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bg = BetaGeoModel(penalizer=0.001).fit(customers)
        gg = GammaGammaModel(penalizer=0.001).fit(customers)
        cols = {
            "p_alive": _predict(bg.predict_proba_alive, customers),
            "expected_purchases": _predict(bg.predict_purchases, customers, t=horizon_days),
        }
        if getattr(gg, "mean_spend_finite_", True) is False:
            q = float(gg.params_.get("q", float("nan")))
            return cols, (
                f"the Gamma-Gamma spend model has q = {q:.3f} <= 1 (infinite mean spend), so "
                "no CLV in money is given"
            )
        cols = {
            **cols,
            "clv": _predict(
                bg.predict_clv,
                customers,
                monetary_value=gg,
                horizon=horizon_days,
                period_length=30.0,
                discount_rate=0.01,
            ),
        }
    return cols, None


def _churn_column(
    clean: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    schema: Any,
    start: pd.Timestamp,
    end: pd.Timestamp,
    horizon_days: int,
    random_state: Any,
) -> tuple[np.ndarray | None, str | None]:
    """Today's churn risk from a model trained one horizon before the cutoff."""
    from crmine.churn import ChurnClassifier, churn_labels

    cutoff = end - pd.Timedelta(days=horizon_days)
    if (cutoff - start.normalize()).days < horizon_days:
        return None, (
            f"the log covers {(end - start.normalize()).days} days; churn risk needs at least "
            f"{2 * horizon_days} (history before the training cutoff and the window after it)"
        )
    ds = churn_labels(clean, cutoff=cutoff, horizon=horizon_days, end=end, schema=schema)
    y = ds.y
    counts = y.value_counts()
    if len(counts) < 2 or counts.min() < 10:
        return None, (
            f"at the training cutoff {cutoff.date()} there are {int(y.sum())} churners and "
            f"{int((y == 0).sum())} retained customers; at least 10 of each are needed"
        )
    model = ChurnClassifier(
        random_state=random_state, importance_holdout=None, leakage_threshold=None
    ).fit(ds.X, y)
    dates = [c for c in customers.columns if pd.api.types.is_datetime64_any_dtype(customers[c])]
    now = customers.drop(columns=dates).reindex(columns=ds.X.columns, fill_value=0.0)
    return model.predict_proba(now)[:, 1], None


def _next_best_offer(
    clean: pd.DataFrame,
    customer_index: pd.Index,
    *,
    customer_col: str,
    order_col: str,
    item_col: str,
    exclude: list[Any],
    min_support: float,
    min_confidence: float,
    max_rules: int = 5000,
    chunk: int = 4096,
) -> pd.DataFrame:
    """Best rule-based offer per customer, the most popular unbought item otherwise."""
    import scipy.sparse as sp

    from crmine.basket import Apriori, as_baskets, association_rules

    log = clean[[customer_col, order_col, item_col]]
    if exclude:
        log = log.loc[~log[item_col].isin(exclude)]
    empty = pd.DataFrame(
        {
            "next_best_offer": pd.Series(pd.NA, index=customer_index, dtype=object),
            "offer_confidence": np.nan,
            "offer_basis": pd.Series(pd.NA, index=customer_index, dtype=object),
        },
        index=customer_index,
    )
    if len(log) == 0:
        return empty
    baskets = as_baskets(log[[order_col, item_col]].set_axis(["order_id", "item"], axis=1))
    n_orders = baskets.matrix.shape[0]
    items = pd.Index(baskets.items)
    # owned items per customer (customer x item, binary)
    cust_codes = customer_index.get_indexer(log[customer_col])
    item_codes = items.get_indexer(log[item_col])
    keep = (cust_codes >= 0) & (item_codes >= 0)
    owned = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int32), (cust_codes[keep], item_codes[keep])),
        shape=(len(customer_index), len(items)),
    )
    owned.data[:] = 1
    order_share = np.asarray(baskets.matrix.sum(axis=0)).ravel() / max(n_orders, 1)
    offer = np.full(len(customer_index), -1, dtype=np.int64)
    conf = np.full(len(customer_index), np.nan)
    basis = np.full(len(customer_index), None, dtype=object)

    min_count = max(5, math.ceil(min_support * n_orders))
    rules = pd.DataFrame()
    if baskets.matrix.shape[0] >= 20:
        fi = Apriori(min_count=min_count, max_len=3).fit(baskets).frequent_itemsets_
        if (fi["length"] >= 2).any():
            rules = association_rules(fi, "confidence", min_confidence, consequents="single")
            rules = rules.loc[(rules["lift"] > 1) & (rules["confidence"] >= min_confidence)]
            rules = rules.sort_values(
                ["confidence", "lift", "count"], ascending=False, kind="stable"
            ).head(max_rules)
    if len(rules):
        n_r = len(rules)
        ante_rows = np.repeat(np.arange(n_r), [len(a) for a in rules["antecedents"]])
        ante_cols = items.get_indexer([i for a in rules["antecedents"] for i in sorted(a, key=str)])
        ante = sp.csr_matrix(
            (np.ones(ante_rows.size, dtype=np.int32), (ante_rows, ante_cols)),
            shape=(n_r, len(items)),
        )
        size = np.asarray(ante.sum(axis=1)).ravel()
        cons = items.get_indexer([next(iter(c)) for c in rules["consequents"]])
        confidence = rules["confidence"].to_numpy(dtype=float)
        for lo in range(0, len(customer_index), chunk):
            block = owned[lo : lo + chunk]
            hits = (block @ ante.T).toarray() == size
            ok = hits & ~block[:, cons].toarray().astype(bool)
            has = ok.any(axis=1)
            first = ok.argmax(axis=1)  # rules are sorted: the first hit is the best
            rows = np.flatnonzero(has) + lo
            offer[rows] = cons[first[has]]
            conf[rows] = confidence[first[has]]
            basis[rows] = "rule"
    popular = np.argsort(-order_share, kind="stable")[:200]
    todo = np.flatnonzero(offer < 0)
    if todo.size and popular.size:
        not_owned = ~owned[todo][:, popular].toarray().astype(bool)
        has = not_owned.any(axis=1)
        first = not_owned.argmax(axis=1)
        rows = todo[has]
        offer[rows] = popular[first[has]]
        conf[rows] = order_share[popular[first[has]]]
        basis[rows] = "popular"
    names = np.asarray(list(items) + [pd.NA], dtype=object)
    return pd.DataFrame(
        {"next_best_offer": names[offer], "offer_confidence": conf, "offer_basis": basis},
        index=customer_index,
    )


def customer_scorecard(
    log: Any,
    *,
    schema: Any = None,
    cutoff: Any = None,
    horizon: int | str = "365D",
    churn_horizon: int | str = "90D",
    exclude_items: Any = "auto",
    item_labels: pd.Series | None = None,
    min_support: float = 0.01,
    min_confidence: float = 0.2,
    random_state: Any = None,
) -> pd.DataFrame:
    """One row per customer with every score a CRM or e-mail tool needs.

    Cleans the log (:func:`crmine.schema.clean_transactions`), builds the
    customer table (:class:`crmine.features.TransactionFeatures`) and joins
    the RFM segment (:class:`crmine.value.RFMScorer`), the value tier
    (:class:`crmine.value.ValueTierClassifier`), the k-means segment by name
    (:class:`crmine.segmentation.CustomerSegmenter`), the churn risk
    (:class:`crmine.churn.ChurnClassifier`), P(alive), expected purchases
    and lifetime value (:class:`crmine.lifetime.BetaGeoModel` and
    :class:`crmine.lifetime.GammaGammaModel`) and the next best offer
    (association rules of :mod:`crmine.basket`).  The columns are documented
    in :data:`SCORECARD_COLUMNS`.  A score that cannot be computed (a history
    too short for churn, too few repeat buyers for BG/NBD, no item column)
    stays empty and a :class:`~crmine.exceptions.DataWarning` says why.

    Parameters
    ----------
    log : DataFrame
        Transaction log (pandas; polars and pyarrow tables are converted).
    schema : TransactionSchema, optional
        Column roles of the log (default: crmine's column names).
    cutoff : timestamp, optional
        Snapshot time (exclusive; default: midnight after the last row).
    horizon : int or str, default "365D"
        Window of ``expected_purchases`` and ``clv`` (days, or a string with
        unit ``"D"`` or ``"W"``).
    churn_horizon : int or str, default "90D"
        Window in which a customer without purchase counts as churned.
    exclude_items : "auto", list or None, default "auto"
        Items never offered: ``"auto"`` leaves out postage, fees, vouchers
        and manual adjustments (see :func:`crmine.report._items.non_product_items`).
    item_labels : pandas.Series, optional
        Description per item id (helps ``"auto"`` recognise non-products).
    min_support, min_confidence : float, default 0.01, 0.2
        Thresholds of the offer rules (share of orders, rule confidence).
    random_state : int, RandomState, Generator or None, default None
        Seed of k-means and of the churn model; the same seed gives the same
        scorecard.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id, columns :data:`SCORECARD_COLUMNS` in that
        order.

    Examples
    --------
    >>> from crmine.datasets import make_retail
    >>> from crmine.scorecard import customer_scorecard
    >>> log = make_retail(300, random_state=0).transactions
    >>> card = customer_scorecard(log, random_state=0)
    >>> card.shape[0] == log["customer_id"].nunique(), card.columns[:4].tolist()
    (True, ['recency_days', 'frequency', 'monetary_total', 'rfm_code'])
    """
    from crmine.exceptions import SchemaError
    from crmine.features import TransactionFeatures
    from crmine.report._items import non_product_items
    from crmine.schema import TransactionSchema, clean_transactions
    from crmine.segmentation import CustomerSegmenter
    from crmine.utils._validation import is_dataframe_like, to_pandas
    from crmine.value import RFMScorer, ValueTierClassifier

    if not isinstance(log, pd.DataFrame) and not is_dataframe_like(log):
        raise SchemaError(
            f"log must be a transaction log with named columns (pandas, polars or pyarrow), "
            f"got {type(log).__name__}. Fix: read the file first, e.g. pd.read_csv(path), or "
            "use `crmine scores FILE` on the command line."
        )
    log = to_pandas(log, name="log")
    schema = schema if schema is not None else TransactionSchema()
    horizon_days = _days(horizon, "horizon")
    churn_days = _days(churn_horizon, "churn_horizon")
    clean, _ = clean_transactions(log, schema)
    features = TransactionFeatures(schema=schema, cutoff=cutoff)
    customers = features.fit_transform(clean)
    out = customers[["recency_days", "frequency", "monetary_total"]].copy()
    notes: list[str] = []

    rfm = RFMScorer().fit(customers).transform(customers)
    out["rfm_code"] = rfm["rfm_code"].astype(str)
    out["rfm_segment"] = rfm["segment"].astype(str)
    out["value_tier"] = ValueTierClassifier().fit(customers).predict(customers).astype(str)
    dates = [c for c in customers.columns if pd.api.types.is_datetime64_any_dtype(customers[c])]
    if len(customers) >= 20:
        seg = CustomerSegmenter(random_state=random_state, n_bootstrap=0).fit(
            customers.drop(columns=dates)
        )
        out["segment"] = seg.names_.reindex(seg.labels_).to_numpy(dtype=object)
    else:
        out["segment"] = pd.Series(pd.NA, index=out.index, dtype=object)
        notes.append(f"segment: k-means needs at least 20 customers, the log has {len(out)}")

    time_col = schema.time
    start = pd.Timestamp(clean[time_col].min())
    end = features.cutoff_
    if start.tzinfo is not None and end.tzinfo is None:
        start = start.tz_localize(None)
    risk, why = _churn_column(
        clean,
        customers,
        schema=schema,
        start=start,
        end=end,
        horizon_days=churn_days,
        random_state=random_state,
    )
    out["churn_risk"] = np.nan if risk is None else risk
    if why:
        notes.append(f"churn_risk: {why}")
    life, why = _lifetime_columns(customers, horizon_days)
    for col in ("p_alive", "expected_purchases", "clv"):
        out[col] = life.get(col, np.nan)
    if why:
        missing = [c for c in ("p_alive", "expected_purchases", "clv") if c not in life]
        notes.append(f"{', '.join(missing)}: {why}")

    if schema.item in clean.columns:
        items = pd.unique(clean[schema.item])
        if isinstance(exclude_items, str) and exclude_items == "auto":
            exclude = non_product_items(items, item_labels)
        else:
            exclude = list(exclude_items or [])
        offers = _next_best_offer(
            clean,
            out.index,
            customer_col=schema.customer,
            order_col=schema.order,
            item_col=schema.item,
            exclude=exclude,
            min_support=min_support,
            min_confidence=min_confidence,
        )
        out = out.join(offers)
    else:
        out["next_best_offer"] = pd.Series(pd.NA, index=out.index, dtype=object)
        out["offer_confidence"] = np.nan
        out["offer_basis"] = pd.Series(pd.NA, index=out.index, dtype=object)
        notes.append(f"next_best_offer: the log has no item column {schema.item!r}")
    for note in notes:
        warnings.warn(
            f"customer_scorecard: {note}; the column is left empty.", DataWarning, stacklevel=2
        )
    return out[list(SCORECARD_COLUMNS)]


def _days(value: int | str, name: str) -> int:
    from crmine.exceptions import SchemaError

    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0:
        return int(value)
    if isinstance(value, str):
        try:
            td = pd.Timedelta(value)
        except ValueError:
            td = None
        if td is not None and td > pd.Timedelta(0):
            return max(1, int(round(td / pd.Timedelta(days=1))))
    raise SchemaError(
        f"{name} must be a positive number of days or a string with a unit such as '90D' or "
        f"'12W'; got {value!r}. Fix: pass e.g. {name}='90D'."
    )
