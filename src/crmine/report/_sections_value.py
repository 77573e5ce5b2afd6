"""Report sections: RFM segments, the value pyramid, k-means segments."""

from __future__ import annotations

import pandas as pd

from crmine.report._context import (
    ReportContext,
    SectionSkipped,
    no_datetime,
    require_money,
)
from crmine.report._html import (
    Section,
    Table,
    Text,
    figure_block,
    money,
    new_figure,
    pct,
)

# ----------------------------------------------------------------------------- 3 RFM


def rfm(ctx: ReportContext, sec: Section) -> None:
    """RFM scores (quintiles) and the named R x F segments."""
    from crmine.plotting._report import plot_segment_shares
    from crmine.value import RFMScorer

    require_money(ctx)
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
    fig = new_figure(9.0, 0.9 + 0.34 * len(summary))
    plot_segment_shares(summary, ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Customer and revenue share per RFM segment"))


# ----------------------------------------------------------------------------- 4 pyramid


def pyramid(ctx: ReportContext, sec: Section) -> None:
    """Value pyramid VIP > major > ordinary > small with the action per tier."""
    from crmine.plotting import plot_customer_pyramid
    from crmine.value import ValueTierClassifier

    require_money(ctx)
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
    loss = (
        pd.to_numeric(summary.get("loss_making"), errors="coerce")
        if "loss_making" in cols
        else None
    )
    if loss is not None and not bool((loss.fillna(0) != 0).any()):
        cols.remove("loss_making")  # no cost data: "0 loss-making" would be a claim
        sec.blocks.append(
            Text("Costs are unknown (the log has no cost data), so no tier is judged on profit.")
        )
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
    fig = new_figure(8.0, 4.2)
    plot_customer_pyramid(summary, ax=fig.add_subplot(), to_scale=True)
    sec.blocks.append(
        figure_block(fig, "Value pyramid drawn to scale: band area = share of customers")
    )


# ----------------------------------------------------------------------------- 5 segments


def segments(ctx: ReportContext, sec: Section) -> None:
    """k-means segments on log-scaled R, F, M with the choice of k, profiles and names."""
    from crmine.plotting import plot_segments_2d
    from crmine.segmentation import CustomerSegmenter

    require_money(ctx)
    c = no_datetime(ctx.customers)
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
    fig = new_figure(8.0, 5.0)
    plot_segments_2d(seg, c, ax=fig.add_subplot(), sample_size=3000, random_state=ctx.random_state)
    sec.blocks.append(figure_block(fig, "Customers on two principal axes, coloured by segment"))
