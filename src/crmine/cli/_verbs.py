"""The analyses behind the ``crmine`` verbs: each returns one table.

Every verb reads the same inputs (see :func:`crmine.report.read_table`), maps
the columns, cleans the log and builds the customer table
(:func:`crmine.report.prepare_log`), then runs one analysis.  Tables of
customers are indexed by customer id.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from crmine.exceptions import SchemaError

__all__ = ["VERBS", "NEEDS_MONEY"]

Say = Callable[[str], None]

#: Verbs that need line values (amount, or quantity and price).
NEEDS_MONEY = frozenset({"rfm", "tiers", "segments", "churn", "clv", "scores"})


def _dates_dropped(customers: pd.DataFrame) -> pd.DataFrame:
    dates = [c for c in customers.columns if pd.api.types.is_datetime64_any_dtype(customers[c])]
    return customers.drop(columns=dates)


def verb_rfm(prep: Any, args: argparse.Namespace, say: Say) -> pd.DataFrame:
    """RFM scores and segment per customer."""
    from crmine.value import score_rfm

    say("scoring recency, frequency and monetary value")
    return score_rfm(prep.customers)


def verb_tiers(prep: Any, args: argparse.Namespace, say: Say) -> pd.DataFrame:
    """Value tier per customer."""
    from crmine.value import value_tiers

    say("ranking customers into value tiers")
    out = value_tiers(prep.customers)
    return out.to_frame() if isinstance(out, pd.Series) else out


def verb_segments(prep: Any, args: argparse.Namespace, say: Say) -> pd.DataFrame:
    """k-means segment (number and name) per customer."""
    from crmine.segmentation import segment_customers

    say("clustering customers with k-means (choosing k)")
    customers = _dates_dropped(prep.customers)
    if len(customers) < 20:
        raise SchemaError(
            f"k-means segments need at least 20 customers; the log has {len(customers)}. "
            "Fix: use a longer log."
        )
    return segment_customers(customers, random_state=args.seed)


def verb_rules(prep: Any, args: argparse.Namespace, say: Say) -> pd.DataFrame:
    """Association rules between items, non-products left out."""
    from crmine.basket import apriori, association_rules
    from crmine.report._items import non_product_items

    log = prep.clean[["order_id", "item"]] if "item" in prep.clean.columns else None
    if log is None:
        raise SchemaError("rules need an item column. Fix: name it with --item COLUMN.")
    if not args.keep_non_products:
        excluded = non_product_items(pd.unique(log["item"]), prep.item_labels)
        if excluded:
            say(f"leaving out {len(excluded)} non-product items (postage, fees, vouchers)")
            log = log.loc[~log["item"].isin(excluded)]
    n_orders = int(log["order_id"].nunique())
    min_count = max(1, math.ceil(args.min_support * n_orders))
    say(f"mining itemsets in {n_orders:,} orders (support >= {args.min_support:g})")
    itemsets = apriori(log, min_count=min_count, max_len=args.max_len)
    if len(itemsets) == 0 or (itemsets["length"] >= 2).sum() == 0:
        raise SchemaError(
            f"no pair of items is bought together in at least {min_count:,} of the "
            f"{n_orders:,} orders. Fix: lower --min-support."
        )
    rules = association_rules(itemsets, "confidence", args.min_confidence)
    rules = rules.sort_values(["lift", "confidence"], ascending=False, kind="stable")
    out = rules.reset_index(drop=True)
    for col in ("antecedents", "consequents"):
        out[col] = [", ".join(sorted(map(str, s))) for s in out[col]]
    out.index.name = "rule"
    return out


def verb_churn(prep: Any, args: argparse.Namespace, say: Say) -> pd.DataFrame:
    """Churn risk per customer from a model trained one horizon before the cutoff."""
    from crmine.schema import TransactionSchema
    from crmine.scorecard import _churn_column, _days

    days = _days(args.horizon, "--horizon")
    say(f"training the churn model ({days}-day horizon)")
    risk, why = _churn_column(
        prep.clean,
        prep.customers,
        schema=TransactionSchema(),
        start=prep.start,
        end=prep.end,
        horizon_days=days,
        random_state=args.seed,
    )
    if risk is None:
        raise SchemaError(f"no churn model: {why}. Fix: use a longer log or a shorter --horizon.")
    c = prep.customers
    return pd.DataFrame(
        {
            "churn_risk": risk,
            "recency_days": c["recency_days"],
            "frequency": c["frequency"],
            "monetary_total": c["monetary_total"],
        },
        index=c.index,
    )


def verb_clv(prep: Any, args: argparse.Namespace, say: Say) -> pd.DataFrame:
    """P(alive), expected purchases and lifetime value per customer."""
    from crmine.scorecard import _days, _lifetime_columns

    days = _days(args.horizon, "--horizon")
    say(f"fitting BG/NBD and Gamma-Gamma ({days}-day horizon)")
    cols, why = _lifetime_columns(prep.customers, days)
    if why:
        raise SchemaError(f"no lifetime model: {why}. Fix: use a longer log.")
    return pd.DataFrame(cols, index=prep.customers.index)


def verb_campaign(prep: Any, args: argparse.Namespace, say: Say) -> pd.DataFrame:
    """Response per arm with intervals and tests."""
    from crmine.campaign import response_summary
    from crmine.report import read_campaign

    if args.campaign is None:
        raise SchemaError("campaign needs --campaign FILE (one row per customer: arm, response).")
    camp = read_campaign(args.campaign, customer=args.customer)
    say(f"comparing {len(camp):,} customers across arms")
    value = "revenue" if "revenue" in camp.columns else None
    table = response_summary(camp, "treatment", "response", control=0, value_col=value).table
    table.index = ["control" if a == 0 else "treated" for a in table.index]
    table.index.name = "arm"
    return table


def verb_scores(prep: Any, args: argparse.Namespace, say: Say) -> pd.DataFrame:
    """The customer scorecard."""
    from crmine.scorecard import customer_scorecard

    say("computing every score (RFM, tiers, segments, churn, CLV, offers)")
    return customer_scorecard(
        prep.log,
        horizon=args.horizon,
        item_labels=prep.item_labels,
        random_state=args.seed,
    )


#: verb -> (function, one-line help)
VERBS: dict[str, tuple[Callable[..., pd.DataFrame], str]] = {
    "rfm": (verb_rfm, "RFM scores and segment per customer"),
    "tiers": (verb_tiers, "value tier (VIP, major, ordinary, small) per customer"),
    "segments": (verb_segments, "k-means segment number and name per customer"),
    "rules": (verb_rules, "association rules between items (cross-sell)"),
    "churn": (verb_churn, "churn risk per customer"),
    "clv": (verb_clv, "P(alive), expected purchases and lifetime value per customer"),
    "campaign": (verb_campaign, "campaign response per arm (needs --campaign FILE)"),
    "scores": (verb_scores, "the customer scorecard: every score in one row per customer"),
}
