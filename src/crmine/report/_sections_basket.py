"""Report section: association rules and cross-sell."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crmine.report._context import (
    ReportContext,
    SectionSkipped,
)
from crmine.report._html import (
    Section,
    Table,
    Text,
    figure_block,
    new_figure,
    pct,
)

# ----------------------------------------------------------------------------- 6 baskets


#: Minimum support of the itemsets (share of orders) and the floor on their count.
MIN_SUPPORT = 0.01
MIN_COUNT = 5
#: Minimum confidence of every rule and cross-sell suggestion shown.
MIN_CONFIDENCE = 0.2


def baskets(ctx: ReportContext, sec: Section) -> None:
    """Frequent itemsets, the strongest association rules and cross-sell suggestions."""
    from crmine.basket import Apriori, BasketRecommender, as_baskets, association_rules
    from crmine.plotting import plot_rules_scatter
    from crmine.report._items import non_product_items

    if "item" not in ctx.clean.columns:
        raise SectionSkipped("the log has no item column (name it with --item COLUMN)")
    log = ctx.clean[["order_id", "item"]]
    excluded = non_product_items(pd.unique(log["item"]), ctx.item_labels)
    if excluded:
        log = log.loc[~log["item"].isin(excluded)]
    b = as_baskets(log)
    n = b.matrix.shape[0]
    multi = int((np.diff(b.matrix.indptr) >= 2).sum())
    if n < 20 or multi < 10:
        raise SectionSkipped(
            f"association rules need baskets with several items; the log has {n:,} orders, "
            f"{multi:,} of them with two or more distinct items"
        )
    min_count = max(MIN_COUNT, math.ceil(MIN_SUPPORT * n))
    miner = Apriori(min_count=min_count, max_len=3).fit(b)
    fi = miner.frequent_itemsets_
    if (fi["length"] >= 2).sum() == 0:
        raise SectionSkipped(
            f"no pair of items appears together in at least {min_count:,} of the {n:,} orders "
            f"({pct(min_count / n)}), so there is no rule to report"
        )
    rules = association_rules(fi, "confidence", MIN_CONFIDENCE, consequents="single")
    rules = rules.loc[(rules["lift"] > 1) & (rules["confidence"] >= MIN_CONFIDENCE)]
    text = (
        f"{n:,} orders over {len(b.items):,} items. Itemsets bought together in at least "
        f"{min_count:,} orders ({pct(min_count / n)}) are mined with Apriori; rules "
        f"A -> B with confidence of at least {pct(MIN_CONFIDENCE)} and lift above 1 are ranked "
        "by lift (lift = how many times more often B is bought with A than on average)."
    )
    if excluded:
        shown = ", ".join(ctx.label(i) for i in sorted(excluded, key=str)[:8])
        more = f" and {len(excluded) - 8} more" if len(excluded) > 8 else ""
        text += (
            f" {len(excluded):,} items that are not products (postage, fees, vouchers, manual "
            f"adjustments: {shown}{more}) are left out."
        )
    sec.blocks.append(Text(text))
    if len(rules) == 0:
        sec.blocks.append(
            Text(f"No rule reaches confidence {pct(MIN_CONFIDENCE)} with lift above 1.", "note")
        )
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
        shown_rules = pd.DataFrame(
            {
                "If the basket has": [ctx.itemset(a) for a in top["antecedents"]],
                "It also has": [ctx.itemset(c) for c in top["consequents"]],
                "Orders": top["count"].to_numpy(),
                "Support": top["support"].to_numpy(),
                "Confidence": top["confidence"].to_numpy(),
                "Lift": top["lift"].to_numpy(dtype=float),
            }
        )
        sec.blocks.append(
            Table(
                shown_rules,
                caption="Top association rules by lift",
                index=False,
                formats={"Support": pct, "Confidence": pct},
            )
        )
        fig = new_figure(8.0, 4.6)
        plot_rules_scatter(rules, annotate=0, ax=fig.add_subplot())
        sec.blocks.append(figure_block(fig, "Support and confidence of the rules"))
    rec = BasketRecommender(
        min_count=min_count, max_len=3, min_confidence=MIN_CONFIDENCE, fallback="none"
    ).fit(b)
    rows = []
    for item in rec.item_counts_.index[:8]:
        recs = rec.recommend([item], k=3)
        recs = recs.loc[recs["confidence"] >= MIN_CONFIDENCE] if len(recs) else recs
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
                pd.DataFrame(rows, columns=["Customer buys", "Suggest (confidence)"]),
                caption=(
                    "Cross-sell suggestions for the most popular items (confidence at least "
                    f"{pct(MIN_CONFIDENCE)})"
                ),
                index=False,
            )
        )
    else:
        sec.blocks.append(
            Text(
                f"No cross-sell suggestion reaches confidence {pct(MIN_CONFIDENCE)} for the "
                "most popular items.",
                "note",
            )
        )
