"""The sections of ``crmine report``: one function per analysis.

Each function takes the shared :class:`ReportContext` and a
:class:`~crmine.report._html.Section` to fill with text, tables and figures.
A section whose preconditions do not hold raises :class:`SectionSkipped` with
the reason shown in the page; crmine's own precondition errors
(:class:`~crmine.exceptions.SchemaError`) and a missing analysis module are
turned into "skipped" by the runner in :mod:`crmine.report`.  Any other
exception is a bug and propagates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import CrmineError
from crmine.report._html import (
    Figure,
    KeyValues,
    Section,
    Table,
    Text,
    figure_png,
    money,
    new_figure,
    pct,
)

__all__ = ["ReportContext", "SectionSkipped", "SECTIONS"]

#: Days of the churn label window (and the minimum history before its cutoff).
CHURN_HORIZON_DAYS = 90
#: Forecast horizon of the lifetime-value section, in days.
CLV_HORIZON_DAYS = 365
_PALETTE = (
    "#2f6690",
    "#d1495b",
    "#edae49",
    "#66a182",
    "#8d6a9f",
    "#00798c",
    "#e07a5f",
    "#3d405b",
    "#81b29a",
    "#f2cc8f",
)


class SectionSkipped(CrmineError):
    """A section's preconditions do not hold; the message says why."""


@dataclass
class ReportContext:
    """Everything the sections share: the log, its cleaning and the customer table."""

    log: pd.DataFrame
    source: str
    layout: str
    random_state: int
    campaign: pd.DataFrame | None = None
    campaign_source: str = ""
    item_labels: pd.Series | None = None
    clean: pd.DataFrame | None = None
    cleaning: Any = None
    customers: pd.DataFrame | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def label(self, item: Any) -> str:
        """Readable name of an item (its description when the log has one)."""
        if self.item_labels is not None:
            lab = self.item_labels.get(str(item))
            if lab is not None and str(lab):
                return f"{lab} ({item})"
        return str(item)

    def itemset(self, items: Any) -> str:
        """Readable, sorted list of an itemset's items."""
        return ", ".join(self.label(i) for i in sorted(items, key=str))


def _no_datetime(frame: pd.DataFrame) -> pd.DataFrame:
    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c].dtype)]
    return frame.drop(columns=dates)


def _aligned_ids(left: pd.Index, right: pd.Series) -> tuple[pd.Index, pd.Series]:
    """Make customer ids comparable when one side is numeric and the other text."""
    if pd.api.types.is_numeric_dtype(left.dtype) == pd.api.types.is_numeric_dtype(right.dtype):
        return left, right
    return left.astype(str), right.astype(str)


# ----------------------------------------------------------------------------- 1 data quality


def data_quality(ctx: ReportContext, sec: Section) -> None:
    """Cleaning report: what was dropped and why, rows and value in and out."""
    rep = ctx.cleaning
    sec.blocks.append(
        Text(
            "Every row of the log is accounted for: rows without a customer, cancellations "
            "and returns, zero quantities and non-positive prices are removed before the "
            "analysis (each row under the first reason that applies); exact duplicate rows "
            "are counted but kept."
        )
    )
    sec.blocks.append(
        KeyValues(
            [
                ("Source", ctx.source),
                ("Layout recognised", ctx.layout),
                ("First transaction", ctx.start),
                ("Last transaction", ctx.clean["timestamp"].max()),
                ("Rows in / kept", f"{rep.rows_in:,} / {rep.rows_out:,}"),
                ("Rows dropped", f"{rep.rows_dropped:,} ({pct(rep.rows_dropped / rep.rows_in)})"),
                ("Customers in / kept", f"{rep.customers_in:,} / {rep.customers_out:,}"),
                ("Orders in / kept", f"{rep.orders_in:,} / {rep.orders_out:,}"),
                (
                    "Value in (returns count negative) / kept",
                    f"{money(rep.value_in)} / {money(rep.value_out)}",
                ),
            ]
        )
    )
    reasons = rep.reasons.copy()
    sec.highlight = (
        f"{rep.rows_out:,} of {rep.rows_in:,} rows kept after cleaning "
        f"({pct(rep.rows_out / rep.rows_in)}): {rep.customers_out:,} customers, "
        f"{rep.orders_out:,} orders, {money(rep.value_out)} of revenue."
    )
    reasons["share_of_rows"] = reasons["rows"] / max(rep.rows_in, 1)
    sec.blocks.append(
        Table(
            reasons[["rows", "share_of_rows", "value", "action"]],
            caption="Rows per cleaning reason",
            formats={"value": money, "share_of_rows": pct},
        )
    )


# ----------------------------------------------------------------------------- 2 overview


def _concentration(values: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Pareto table, Lorenz curve and Gini, from crmine.value when available."""
    try:
        from crmine.value import gini, lorenz_curve, pareto_table
    except ImportError:  # crmine.value not installed yet: same formulas inline
        arr = np.sort(np.asarray(values, dtype=float))
        n = arr.size
        cum = np.concatenate([[0.0], np.cumsum(arr)]) / arr.sum()
        lorenz = pd.DataFrame({"customer_share": np.arange(n + 1) / n, "value_share": cum})
        i = np.arange(1, n + 1)
        g = float(((2 * i - n - 1) * arr).sum() / (n * arr.sum()))
        desc = arr[::-1].cumsum()
        rows = []
        for top in (0.01, 0.05, 0.1, 0.2, 0.5):
            k = int(min(n, max(1, math.floor(top * n + 0.5))))
            rows.append((k, float(desc[k - 1]), float(desc[k - 1] / desc[-1])))
        table = pd.DataFrame(
            rows,
            index=pd.Index([0.01, 0.05, 0.1, 0.2, 0.5], name="top"),
            columns=["customers", "value", "value_share"],
        )
        return table, lorenz, g
    return pareto_table(values), lorenz_curve(values), gini(values)


def overview(ctx: ReportContext, sec: Section) -> None:
    """Customer overview: headline numbers, monthly revenue, Lorenz curve."""
    c = ctx.customers
    revenue = float(c["monetary_total"].sum())
    orders = int(c["frequency"].sum())
    sec.blocks.append(
        KeyValues(
            [
                ("Customers", len(c)),
                ("Orders", orders),
                ("Revenue", money(revenue)),
                ("Orders per customer (mean)", float(c["frequency"].mean())),
                ("Average order value", money(revenue / orders if orders else float("nan"))),
                (
                    "Revenue per customer (mean / median)",
                    f"{money(c['monetary_total'].mean())} / {money(c['monetary_total'].median())}",
                ),
                ("One-time buyers", pct(float((c["frequency"] == 1).mean()))),
                ("Days since last purchase (median)", float(c["recency_days"].median())),
                ("Snapshot date (cutoff)", ctx.end),
            ]
        )
    )
    # monthly revenue
    times = ctx.clean["timestamp"]
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_localize(None)
    monthly = ctx.clean["amount"].groupby(times.dt.to_period("M").astype(str), sort=True).sum()
    fig = new_figure(7.5, 3.0)
    ax = fig.add_subplot()
    ax.bar(range(len(monthly)), monthly.to_numpy(), color=_PALETTE[0])
    step = max(1, len(monthly) // 12)
    ax.set_xticks(range(0, len(monthly), step))
    ax.set_xticklabels(list(monthly.index[::step]), rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("revenue")
    ax.set_title("Revenue per month (clean log)")
    sec.blocks.append(Figure(figure_png(fig), "Bar chart of revenue per month"))

    values = c["monetary_total"].clip(lower=0).to_numpy(dtype=float)
    if values.sum() <= 0:
        raise SectionSkipped("no customer has a positive spend, so concentration is undefined")
    table, lorenz, g = _concentration(values)
    top20 = float(table["value_share"].iloc[(table.index.to_numpy() == 0.2).argmax()])
    sec.blocks.append(
        Text(
            f"Concentration: the top 20% of customers bring {pct(top20)} of the revenue; "
            f"the Gini coefficient of spend across customers is {g:.3f} (0 = everyone spends "
            "the same, 1 = one customer spends everything)."
        )
    )
    sec.highlight = (
        f"The top 20% of customers bring {pct(top20)} of the revenue (Gini {g:.2f}); "
        f"{pct(float((c['frequency'] == 1).mean()))} of the customers bought only once."
    )
    shown = table.copy()
    shown.index = [pct(t) for t in shown.index]
    shown.index.name = "top customers"
    sec.blocks.append(
        Table(
            shown,
            caption="Share of revenue held by the top customers",
            formats={"value": money, "value_share": pct},
        )
    )
    fig = new_figure(4.6, 4.0)
    ax = fig.add_subplot()
    ax.plot(lorenz["customer_share"], lorenz["value_share"], color=_PALETTE[1], label="Lorenz")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="equality")
    ax.set_xlabel("share of customers (smallest first)")
    ax.set_ylabel("share of revenue")
    ax.set_title(f"Lorenz curve (Gini {g:.2f})")
    ax.legend(loc="upper left")
    sec.blocks.append(Figure(figure_png(fig), "Lorenz curve of revenue across customers"))


# ----------------------------------------------------------------------------- 3 RFM


def rfm(ctx: ReportContext, sec: Section) -> None:
    """RFM scores (quintiles) and the named R x F segments."""
    from crmine.value import RFMScorer

    c = ctx.customers
    if len(c) < 5:
        raise SectionSkipped(f"RFM quintiles need at least 5 customers, the log has {len(c)}")
    scorer = RFMScorer().fit(c)
    summary = scorer.segment_summary(c)
    summary = summary.loc[summary["customers"] > 0]
    ctx.extras["rfm"] = scorer.transform(c)
    best = summary["revenue_share"].idxmax()
    sec.highlight = (
        f"RFM: the {pct(summary.loc[best, 'customer_share'])} of customers in the segment "
        f"'{best}' bring {pct(summary.loc[best, 'revenue_share'])} of the revenue."
    )
    sec.blocks.append(
        Text(
            "Recency, frequency and monetary value are each scored 1-5 by quintile (5 = best; "
            "ties broken by customer id) and the recency x frequency grid is named with the "
            "standard segment map."
        )
    )
    cols = [
        "customers",
        "customer_share",
        "revenue",
        "revenue_share",
        "recency_mean",
        "frequency_mean",
        "monetary_mean",
    ]
    sec.blocks.append(
        Table(
            summary[cols],
            caption="RFM segments",
            formats={
                "customer_share": pct,
                "revenue_share": pct,
                "revenue": money,
                "monetary_mean": money,
            },
        )
    )
    fig = new_figure(7.0, 0.6 + 0.35 * len(summary))
    ax = fig.add_subplot()
    y = np.arange(len(summary))
    ax.barh(y - 0.2, summary["customer_share"], height=0.4, color=_PALETTE[0], label="customers")
    ax.barh(y + 0.2, summary["revenue_share"], height=0.4, color=_PALETTE[2], label="revenue")
    ax.set_yticks(y)
    ax.set_yticklabels([str(s) for s in summary.index], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share")
    ax.legend(loc="lower right")
    ax.set_title("Share of customers and of revenue per RFM segment")
    sec.blocks.append(Figure(figure_png(fig), "Customer and revenue share per RFM segment"))


# ----------------------------------------------------------------------------- 4 pyramid


def pyramid(ctx: ReportContext, sec: Section) -> None:
    """Value pyramid VIP > major > ordinary > small with the action per tier."""
    from crmine.value import ValueTierClassifier

    c = ctx.customers
    clf = ValueTierClassifier().fit(c)
    summary = clf.summary_
    sec.blocks.append(
        Text(
            "Customers ranked by total spend: the top 1% are VIP, the next 4% major, the next "
            "15% ordinary and the remaining 80% small (ties at a boundary go to the higher "
            "tier). Each tier gets its own treatment."
        )
    )
    top2 = summary.iloc[:2]
    sec.highlight = (
        f"Value pyramid: the {' and '.join(str(t) for t in top2.index)} tiers "
        f"({pct(top2['customer_share'].sum())} of customers) hold "
        f"{pct(top2['value_share'].sum())} of the value."
    )
    cols = [
        col
        for col in (
            "customers",
            "customer_share",
            "value",
            "value_share",
            "value_mean",
            "threshold",
            "loss_making",
            "action",
        )
        if col in summary.columns
    ]
    sec.blocks.append(
        Table(
            summary[cols],
            caption="Customer pyramid (threshold = spend needed to enter the tier)",
            formats={
                "customer_share": pct,
                "value_share": pct,
                "value": money,
                "value_mean": money,
                "threshold": money,
            },
        )
    )
    fig = new_figure(6.0, 3.2)
    ax = fig.add_subplot()
    labels = [str(t) for t in summary.index]
    shares = summary["customer_share"].to_numpy(dtype=float)
    widths = np.maximum(shares, 0.06)
    y = np.arange(len(labels))
    ax.barh(y, widths, left=-widths / 2, color=[_PALETTE[i % 10] for i in range(len(labels))])
    for yi, (lab, cs, vs) in enumerate(zip(labels, shares, summary["value_share"])):
        ax.text(
            0,
            yi,
            f"{lab}: {pct(cs)} of customers, {pct(vs)} of value",
            ha="center",
            va="center",
            fontsize=8,
            color="black",
            bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1},
        )
    ax.set_xlim(-0.5, 0.5)
    ax.set_yticks([])
    ax.set_xticks([])
    ax.invert_yaxis()
    ax.set_title("Value pyramid (bar width = share of customers)")
    sec.blocks.append(Figure(figure_png(fig), "Value pyramid"))


# ----------------------------------------------------------------------------- 5 segments


def segments(ctx: ReportContext, sec: Section) -> None:
    """k-means segments on log-scaled R, F, M with the choice of k, profiles and names."""
    from crmine.segmentation import CustomerSegmenter

    c = _no_datetime(ctx.customers)
    if len(c) < 20:
        raise SectionSkipped(f"k-means segments need at least 20 customers, the log has {len(c)}")
    seg = CustomerSegmenter(random_state=ctx.random_state, n_bootstrap=5).fit(c)
    prof = seg.profiles_
    reason = seg.selection_reason_.strip()
    reason = reason if reason.endswith(".") else reason + "."
    largest = prof["share"].idxmax()
    sec.highlight = (
        f"{seg.n_clusters_} k-means segments; the largest is '{seg.names_.loc[largest]}' "
        f"({pct(prof.loc[largest, 'share'])} of customers)."
    )
    sec.blocks.append(
        Text(
            "Customers are clustered with k-means on log-transformed, standardised recency, "
            f"frequency and monetary value. Choice of k: {reason} Stability under "
            f"bootstrap resampling (adjusted Rand index, 1 = identical): {seg.stability_:.2f}."
        )
    )
    sec.blocks.append(
        Table(
            prof, caption="Segment profiles (medians)", formats={"share": pct, "revenue_share": pct}
        )
    )
    scores = seg.selection_scores_
    sec.blocks.append(Table(scores, caption="Choice of the number of segments"))
    fig = new_figure(6.4, 4.0)
    ax = fig.add_subplot()
    n = len(c)
    rng = np.random.default_rng(ctx.random_state)
    idx = np.sort(rng.choice(n, size=min(n, 3000), replace=False))
    labels = seg.labels_[idx]
    f = c["frequency"].to_numpy(dtype=float)[idx]
    m = c["monetary_total"].to_numpy(dtype=float)[idx]
    jitter = rng.uniform(-0.25, 0.25, size=idx.size)
    for k in range(seg.n_clusters_):
        sel = labels == k
        ax.scatter(
            f[sel] + jitter[sel],
            np.maximum(m[sel], 0.01),
            s=6,
            alpha=0.6,
            color=_PALETTE[k % 10],
            label=f"{k}: {seg.names_.iloc[k]}",
        )
    ax.set_xscale("symlog")
    ax.set_yscale("log")
    ax.set_xlabel("orders")
    ax.set_ylabel("total spend")
    ax.legend(fontsize=7, markerscale=2, loc="lower right")
    ax.set_title("Customers by segment")
    sec.blocks.append(Figure(figure_png(fig), "Scatter plot of customers coloured by segment"))


# ----------------------------------------------------------------------------- 6 baskets


def baskets(ctx: ReportContext, sec: Section) -> None:
    """Frequent itemsets, the strongest association rules and cross-sell suggestions."""
    from crmine.basket import Apriori, BasketRecommender, as_baskets, association_rules

    if "item" not in ctx.clean.columns:
        raise SectionSkipped("the log has no item column (name it with --item COLUMN)")
    b = as_baskets(ctx.clean, order_col="order_id", item_col="item")
    n = b.matrix.shape[0]
    multi = int((np.diff(b.matrix.indptr) >= 2).sum())
    if n < 20 or multi < 10:
        raise SectionSkipped(
            f"association rules need baskets with several items; the log has {n:,} orders, "
            f"{multi:,} of them with two or more distinct items"
        )
    min_support = 0.01
    min_count = max(5, math.ceil(min_support * n))
    miner = Apriori(min_count=min_count, max_len=3).fit(b)
    fi = miner.frequent_itemsets_
    if (fi["length"] >= 2).sum() == 0:
        raise SectionSkipped(
            f"no pair of items appears together in at least {min_count:,} of the {n:,} orders "
            f"({pct(min_count / n)}), so there is no rule to report"
        )
    rules = association_rules(fi, "confidence", 0.2, consequents="single")
    rules = rules.loc[rules["lift"] > 1]
    sec.blocks.append(
        Text(
            f"{n:,} orders over {len(b.items):,} items. Itemsets bought together in at least "
            f"{min_count:,} orders ({pct(min_count / n)}) are mined with Apriori; rules "
            "A -> B with confidence >= 20% and lift > 1 are ranked by lift (lift = how many "
            "times more often B is bought with A than on average)."
        )
    )
    if len(rules) == 0:
        sec.blocks.append(Text("No rule reaches confidence 20% with lift above 1.", "note"))
    else:
        ranked = rules.sort_values(["lift", "confidence", "count"], ascending=False, kind="stable")
        # A -> B and B -> A have the same lift: show each itemset once, best direction first
        itemsets = [a | c for a, c in zip(ranked["antecedents"], ranked["consequents"])]
        top = ranked.loc[~pd.Series(itemsets, index=ranked.index).duplicated()].head(15)
        r0 = top.iloc[0]
        sec.highlight = (
            f"Strongest association: baskets with {ctx.itemset(r0['antecedents'])} also hold "
            f"{ctx.itemset(r0['consequents'])} in {pct(r0['confidence'])} of cases "
            f"(lift {r0['lift']:.1f})."
        )
        shown = pd.DataFrame(
            {
                "if the basket has": [ctx.itemset(a) for a in top["antecedents"]],
                "it also has": [ctx.itemset(c) for c in top["consequents"]],
                "orders": top["count"].to_numpy(),
                "support": top["support"].to_numpy(),
                "confidence": top["confidence"].to_numpy(),
                "lift": top["lift"].to_numpy(),
            }
        )
        sec.blocks.append(
            Table(
                shown,
                caption="Top association rules by lift",
                index=False,
                formats={"support": pct, "confidence": pct},
            )
        )
        fig = new_figure(5.6, 3.8)
        ax = fig.add_subplot()
        sc = ax.scatter(
            rules["support"], rules["confidence"], c=rules["lift"], s=12, cmap="viridis"
        )
        fig.colorbar(sc, ax=ax, label="lift")
        ax.set_xlabel("support")
        ax.set_ylabel("confidence")
        ax.set_title(f"{len(rules):,} rules")
        sec.blocks.append(Figure(figure_png(fig), "Support and confidence of the rules"))
    rec = BasketRecommender(
        min_count=min_count, max_len=3, min_confidence=0.1, fallback="none"
    ).fit(b)
    rows = []
    for item in rec.item_counts_.index[:8]:
        recs = rec.recommend([item], k=3)
        if len(recs):
            rows.append(
                (
                    ctx.label(item),
                    "; ".join(
                        f"{ctx.label(r.item)} ({pct(r.confidence)})"
                        for r in recs.itertuples(index=False)
                    ),
                )
            )
    if rows:
        sec.blocks.append(
            Table(
                pd.DataFrame(rows, columns=["customer buys", "suggest (confidence)"]),
                caption="Cross-sell suggestions for the most popular items",
                index=False,
            )
        )
    else:
        sec.blocks.append(Text("No cross-sell rule for the most popular items.", "note"))


# ----------------------------------------------------------------------------- 7 churn


def churn(ctx: ReportContext, sec: Section) -> None:
    """Churn model trained at end - 90 days and today's risk of the valuable customers."""
    from sklearn.model_selection import train_test_split

    from crmine.churn import ChurnClassifier, churn_labels
    from crmine.evaluation import churn_report, cumulative_gains_curve, gains_table

    h = CHURN_HORIZON_DAYS
    cutoff = ctx.end - pd.Timedelta(days=h)
    history = (cutoff - ctx.start.normalize()).days
    span = (ctx.end - ctx.start.normalize()).days
    if history < h:
        raise SectionSkipped(
            f"the log covers {span} days; churn risk needs at least {2 * h}: {h} days of "
            f"history before the training cutoff (last day - {h} days) and the {h}-day window "
            "after it in which churn is observed"
        )
    ds = churn_labels(ctx.clean, cutoff=cutoff, horizon_days=h, end=ctx.end)
    y = ds.y
    counts = y.value_counts()
    if len(counts) < 2 or counts.min() < 10:
        raise SectionSkipped(
            f"at the training cutoff {cutoff.date()} there are {int(y.sum())} churners and "
            f"{int((y == 0).sum())} retained customers; at least 10 of each are needed"
        )
    X = ds.X
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=ctx.random_state
    )
    model = ChurnClassifier(
        random_state=ctx.random_state, importance_holdout=0.25, n_repeats=3
    ).fit(Xtr, ytr)
    p = model.predict_proba(Xte)[:, 1]
    rep = churn_report(yte, p)
    sec.blocks.append(
        Text(
            f"A customer churns when they make no purchase in the {h} days after a cutoff. "
            f"The model (logistic regression on the customer features) is trained with "
            f"features computed strictly before {cutoff.date()} and labels from the "
            f"{h} days after it ({pct(y.mean())} churned); it is evaluated on a 30% hold-out "
            "of customers, then refitted on all of them and applied to today's features."
        )
    )
    sec.blocks.append(
        KeyValues(
            [
                ("Customers labelled", len(y)),
                ("Churn rate", pct(y.mean())),
                ("ROC AUC (hold-out)", float(rep["roc_auc"])),
                ("PR AUC (hold-out)", float(rep["pr_auc"])),
                ("Top-decile lift (hold-out)", float(rep["top_decile_lift"])),
                ("KS statistic (hold-out)", float(rep["ks"])),
                ("Brier score (hold-out)", float(rep["brier"])),
            ]
        )
    )
    n_bins = 10 if len(yte) >= 10 else len(yte)
    gains = gains_table(yte, p, n_bins=n_bins).set_index("bin")
    sec.blocks.append(
        Table(
            gains[["customers", "positives", "rate", "cum_capture", "lift", "cum_lift"]],
            caption="Gains table on the hold-out (bin 1 = highest risk)",
            formats={"rate": pct, "cum_capture": pct},
        )
    )
    if hasattr(model, "feature_importances_"):
        imp = model.feature_importances_.sort_values(ascending=False, kind="stable").head(8)
        sec.blocks.append(
            Table(
                imp.to_frame("AUC drop when permuted"),
                caption="Most important features (permutation importance)",
            )
        )
    frac, cap = cumulative_gains_curve(yte, p)
    fig = new_figure(4.6, 3.8)
    ax = fig.add_subplot()
    ax.plot(frac, cap, color=_PALETTE[1], label="model")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="random")
    ax.set_xlabel("share of customers contacted (highest risk first)")
    ax.set_ylabel("share of churners reached")
    ax.set_title("Cumulative gains (hold-out)")
    ax.legend(loc="lower right")
    sec.blocks.append(Figure(figure_png(fig), "Cumulative gains curve of the churn model"))

    sec.highlight = (
        f"Churn: {pct(y.mean())} of the customers who had bought before {cutoff.date()} "
        f"did not buy in the following {h} days; the churn model ranks them with ROC AUC "
        f"{rep['roc_auc']:.2f} on held-out customers."
    )
    final = ChurnClassifier(
        random_state=ctx.random_state, importance_holdout=None, leakage_threshold=None
    ).fit(X, y)
    now = _no_datetime(ctx.customers).reindex(columns=X.columns, fill_value=0.0)
    risk = pd.Series(final.predict_proba(now)[:, 1], index=now.index, name="churn_risk")
    ctx.extras["churn_risk"] = risk
    value_col = "spend_365d" if "spend_365d" in now.columns else "monetary_total"
    table = pd.DataFrame(
        {
            "churn_risk": risk,
            value_col: now[value_col],
            "revenue_at_risk": risk * now[value_col],
            "recency_days": now["recency_days"],
            "frequency": now["frequency"],
        }
    )
    top = table.sort_values(["revenue_at_risk", "churn_risk"], ascending=False, kind="stable").head(
        20
    )
    sec.blocks.append(
        Table(
            top,
            caption=f"Valuable customers most at risk today (revenue at risk = risk x {value_col})",
            formats={"churn_risk": pct, value_col: money, "revenue_at_risk": money},
        )
    )


# ----------------------------------------------------------------------------- 8 CLV


def lifetime(ctx: ReportContext, sec: Section) -> None:
    """BG/NBD + Gamma-Gamma lifetime value over the next 12 months."""
    from crmine.lifetime import BetaGeoModel, GammaGammaModel

    c = ctx.customers
    needed = ("repeat_frequency", "btyd_recency", "btyd_T", "btyd_monetary_mean")
    missing = [col for col in needed if col not in c.columns]
    if missing:
        raise SectionSkipped(f"the customer table lacks {missing} needed by BG/NBD")
    repeaters = int((c["repeat_frequency"] > 0).sum())
    if repeaters < 10:
        raise SectionSkipped(
            f"only {repeaters} customers bought on more than one day; BG/NBD and Gamma-Gamma "
            "need repeat purchases to estimate anything"
        )
    bg = BetaGeoModel(penalizer=0.001).fit(c)
    gg = GammaGammaModel(penalizer=0.001).fit(c)
    alive = bg.predict_proba_alive(c)
    purchases = bg.predict_purchases(c, t=CLV_HORIZON_DAYS)
    spend = gg.predict_spend(c)
    clv = bg.predict_clv(
        c, monetary_value=gg, horizon=CLV_HORIZON_DAYS, period_length=30.0, discount_rate=0.01
    )
    table = pd.DataFrame(
        {
            "clv_12m": np.asarray(clv, dtype=float),
            "p_alive": np.asarray(alive, dtype=float),
            "expected_purchases_12m": np.asarray(purchases, dtype=float),
            "expected_spend_per_purchase": np.asarray(spend, dtype=float),
            "past_spend": c["monetary_total"].to_numpy(dtype=float),
            "purchase_days": c["repeat_frequency"].to_numpy(dtype=float) + 1,
        },
        index=c.index,
    )
    ctx.extras["clv"] = table["clv_12m"]
    total = float(table["clv_12m"].sum())
    ordered = np.sort(table["clv_12m"].to_numpy())[::-1]
    k = max(1, int(round(0.1 * len(ordered))))
    sec.blocks.append(
        Text(
            "BG/NBD (Fader, Hardie & Lee 2005) models repeat purchasing and dropout from each "
            "customer's number of repeat purchase days, the time of the last one and the "
            "observation time (in days); Gamma-Gamma models the spend per purchase. The "
            f"12-month value is discounted at 1% per 30 days. Expected value of the next 12 "
            f"months: {money(total)}; the top 10% of customers hold "
            f"{pct(ordered[:k].sum() / total if total else float('nan'))} of it."
        )
    )
    if gg.frequency_spend_corr_ > 0.3:
        sec.blocks.append(
            Text(
                f"The correlation between purchase frequency and spend per purchase is "
                f"{gg.frequency_spend_corr_:.2f}; Gamma-Gamma assumes the two are independent, "
                "so the spend part of the lifetime value is only approximate.",
                "note",
            )
        )
    _clv_holdout(ctx, sec)
    sec.highlight = (
        f"Expected value of the next 12 months: {money(total)}; the top 10% of customers hold "
        f"{pct(ordered[:k].sum() / total if total else float('nan'))} of it."
    )
    params = pd.concat(
        [
            bg.params_.rename("estimate").to_frame().assign(model="BG/NBD"),
            gg.params_.rename("estimate").to_frame().assign(model="Gamma-Gamma"),
        ]
    )
    params.index.name = "parameter"
    sec.blocks.append(Table(params[["model", "estimate"]], caption="Model parameters"))
    top = table.sort_values(["clv_12m"], ascending=False, kind="stable").head(20)
    sec.blocks.append(
        Table(
            top,
            caption="Most valuable customers (expected value of the next 12 months)",
            formats={
                "clv_12m": money,
                "p_alive": pct,
                "expected_spend_per_purchase": money,
                "past_spend": money,
            },
        )
    )
    fig = new_figure(6.0, 3.4)
    ax = fig.add_subplot()
    vals = table["clv_12m"].to_numpy()
    ax.hist(vals, bins=40, color=_PALETTE[3])
    ax.set_yscale("log")
    ax.set_xlabel("expected value of the next 12 months")
    ax.set_ylabel("customers (log scale)")
    ax.set_title("Distribution of customer lifetime value")
    sec.blocks.append(Figure(figure_png(fig), "Histogram of customer lifetime value"))


def _clv_holdout(ctx: ReportContext, sec: Section) -> None:
    """Refit BG/NBD without the last 90 days and compare its forecast with them."""
    from crmine.lifetime import BetaGeoModel, calibration_holdout_split, holdout_report

    h = CHURN_HORIZON_DAYS
    observation_end = (ctx.end - pd.Timedelta(days=1)).normalize()
    calibration_end = observation_end - pd.Timedelta(days=h)
    if (calibration_end - ctx.start.normalize()).days < h:
        sec.blocks.append(
            Text(
                f"No holdout check: the log is too short to keep its last {h} days aside "
                f"with {h} days of history before them.",
                "note",
            )
        )
        return
    cal = calibration_holdout_split(ctx.clean, calibration_end, observation_end)
    if int((cal["repeat_frequency"] > 0).sum()) < 10:
        sec.blocks.append(Text("No holdout check: too few repeat buyers before it.", "note"))
        return
    rep = holdout_report(BetaGeoModel(penalizer=0.001).fit(cal), cal)
    sec.blocks.append(
        Text(
            f"Holdout check: fitted on the data up to {calibration_end.date()}, the model "
            f"forecasts {rep['predicted_total']:,.0f} purchase days in the last {h} days of the "
            f"log against {rep['actual_total']:,.0f} observed ({rep['total_error_pct']:+.1f}%); "
            f"customer-level correlation {rep['correlation']:.2f}, mean absolute error "
            f"{rep['mae']:.2f} (forecasting zero for everyone: {rep['mae_zero_forecast']:.2f})."
        )
    )


# ----------------------------------------------------------------------------- 9 campaign


def campaign(ctx: ReportContext, sec: Section) -> None:
    """Campaign response per arm, significance, and an uplift model on customer features."""
    if ctx.campaign is None:
        raise SectionSkipped("no campaign file given (pass --campaign FILE)")
    from crmine.campaign import response_summary

    camp = ctx.campaign
    has_rev = "revenue" in camp.columns
    summ = response_summary(
        camp, "treatment", "response", control=0, value_col="revenue" if has_rev else None
    )
    tab = summ.table
    sec.blocks.append(
        Text(
            f"Campaign file: {ctx.campaign_source}. {len(camp):,} customers, "
            f"{int(camp['treatment'].sum()):,} treated and {int((camp['treatment'] == 0).sum()):,}"
            " in the control group. Response rates with 95% Wilson intervals; the lift is "
            "the difference to the control group (Newcombe interval) with a two-proportion "
            "test (Fisher's exact test for small counts)."
        )
    )
    cols = [
        col
        for col in (
            "customers",
            "responders",
            "response_rate",
            "response_rate_low",
            "response_rate_high",
            "lift_abs",
            "lift_abs_low",
            "lift_abs_high",
            "p_value",
            "significant",
            "incremental_responders",
            "revenue_per_customer",
            "incremental_revenue",
        )
        if col in tab.columns
    ]
    shown = tab[cols].copy()
    shown.index = ["control" if a == 0 else "treated" for a in shown.index]
    shown.index.name = "arm"
    rates = (
        "response_rate",
        "response_rate_low",
        "response_rate_high",
        "lift_abs",
        "lift_abs_low",
        "lift_abs_high",
    )
    sec.blocks.append(
        Table(
            shown,
            caption="Response per arm",
            formats={
                **{r: pct for r in rates},
                "revenue_per_customer": money,
                "incremental_revenue": money,
            },
        )
    )
    if len(tab) == 2:
        treated = tab.iloc[1]
        control = tab.iloc[0]
        sec.highlight = (
            f"Campaign: response {pct(treated['response_rate'])} treated against "
            f"{pct(control['response_rate'])} in the control group (difference "
            f"{100 * treated['lift_abs']:+.1f} points, p = {treated['p_value']:.2g})."
        )
    if summ.srm is not None and summ.srm.mismatch:
        sec.blocks.append(
            Text(
                f"Sample ratio mismatch: the arm sizes differ from a 50/50 split "
                f"(p = {summ.srm.p_value:.2g}); check the randomisation.",
                "note",
            )
        )
    fig = new_figure(4.6, 3.2)
    ax = fig.add_subplot()
    r = tab["response_rate"].to_numpy(dtype=float)
    lo = r - tab["response_rate_low"].to_numpy(dtype=float)
    hi = tab["response_rate_high"].to_numpy(dtype=float) - r
    ax.bar([0, 1][: len(r)], r, yerr=[lo, hi], capsize=6, color=[_PALETTE[0], _PALETTE[1]])
    ax.set_xticks([0, 1][: len(r)])
    ax.set_xticklabels(list(shown.index))
    ax.set_ylabel("response rate")
    ax.set_title("Response rate per arm (95% interval)")
    sec.blocks.append(Figure(figure_png(fig), "Response rate per arm"))
    _uplift(ctx, sec, camp)


def _uplift(ctx: ReportContext, sec: Section, camp: pd.DataFrame) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from crmine.campaign import TwoModelUplift, qini_auc_score, qini_curve, uplift_by_percentile

    feats = [
        f
        for f in ("recency_days", "frequency", "monetary_total", "tenure_days")
        if f in ctx.customers.columns
    ]
    ids, camp_ids = _aligned_ids(ctx.customers.index, camp["customer_id"])
    table = ctx.customers[feats].set_axis(ids, axis=0)
    joined = camp.assign(_id=camp_ids.to_numpy()).join(table, on="_id", how="inner")
    arms = joined.groupby("treatment")["response"].agg(["size", "sum"])
    if len(joined) < 200 or len(arms) < 2 or int(arms["sum"].min()) < 10:
        sec.blocks.append(
            Text(
                f"Uplift model skipped: {len(joined):,} campaign customers are in the log; at "
                "least 200 with 10 responders per arm are needed.",
                "note",
            )
        )
        return
    strata = joined["treatment"] * 2 + joined["response"]
    tr, te = train_test_split(joined, test_size=0.5, stratify=strata, random_state=ctx.random_state)
    base = make_pipeline(
        FunctionTransformer(lambda x: np.log1p(np.clip(x, 0, None))),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )
    model = TwoModelUplift(base).fit(
        tr[feats].to_numpy(float), tr["response"].to_numpy(), tr["treatment"].to_numpy()
    )
    u = model.predict(te[feats].to_numpy(float))
    yte, tte = te["response"].to_numpy(), te["treatment"].to_numpy()
    q = qini_auc_score(yte, u, tte)
    sec.blocks.append(
        Text(
            "Who responds because of the campaign? A two-model uplift estimator (one "
            f"logistic regression per arm on {', '.join(feats)} taken from the log) is trained "
            f"on half of the campaign customers and evaluated on the other half: normalised "
            f"Qini coefficient {q:.3f} (0 = random targeting, 1 = perfect). The features come "
            "from the whole log: for an honest model the log should end at the campaign date."
        )
    )
    by = uplift_by_percentile(yte, u, tte, bins=5)
    sec.blocks.append(
        Table(
            by,
            caption="Observed uplift per quintile of predicted uplift (hold-out)",
            formats={"response_rate_treatment": pct, "response_rate_control": pct, "uplift": pct},
        )
    )
    x, qv = qini_curve(yte, u, tte)
    fig = new_figure(4.6, 3.6)
    ax = fig.add_subplot()
    ax.plot(x, qv, color=_PALETTE[1], label="uplift model")
    ax.plot([0, x[-1]], [0, qv[-1]], color="grey", linestyle="--", linewidth=1, label="random")
    ax.set_xlabel("customers targeted")
    ax.set_ylabel("incremental responders")
    ax.set_title("Qini curve (hold-out)")
    ax.legend(loc="lower right")
    sec.blocks.append(Figure(figure_png(fig), "Qini curve of the uplift model"))


#: (key, title, function, analysis modules it needs), in page order.
SECTIONS: tuple[tuple[str, str, Any, tuple[str, ...]], ...] = (
    ("data-quality", "Data quality", data_quality, ()),
    ("overview", "Customer overview and concentration", overview, ()),
    ("rfm", "RFM segments", rfm, ("crmine.value",)),
    ("pyramid", "Value pyramid", pyramid, ("crmine.value",)),
    ("segments", "Customer segments (k-means)", segments, ("crmine.segmentation",)),
    ("basket", "Association rules and cross-sell", baskets, ("crmine.basket",)),
    ("churn", "Churn risk", churn, ("crmine.churn", "crmine.evaluation")),
    ("lifetime", "Lifetime value", lifetime, ("crmine.lifetime",)),
    ("campaign", "Campaign response", campaign, ("crmine.campaign",)),
)
