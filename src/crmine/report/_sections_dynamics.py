"""Report sections on customer dynamics: cohorts, sequences, outliers, several arms.

Same contract as the other section modules: each function takes the shared
:class:`~crmine.report._context.ReportContext` and a
:class:`~crmine.report._html.Section`, fills it with text, tables and figures
(drawn only through :mod:`crmine.plotting`), and raises
:class:`~crmine.report._context.SectionSkipped` when its preconditions do not
hold.  ``ctx.clean`` is the cleaned log with the default column names
(``customer_id``, ``order_id``, ``timestamp``, ``item``, ``amount``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.report._context import ReportContext, SectionSkipped, aligned_ids, require_money
from crmine.report._html import (
    KeyValues,
    Section,
    Table,
    Text,
    figure_block,
    money,
    new_figure,
    pct,
)

__all__ = ["DYNAMICS_SECTIONS", "cohorts", "multi_arm", "outliers", "sequences"]

#: Cohorts shown in the report table (the most recent ones).
_MAX_COHORT_ROWS = 12


def cohorts(ctx: ReportContext, sec: Section) -> None:
    """Acquisition cohorts: retention and cumulative revenue per customer by month."""
    from crmine.cohorts import cohort_table
    from crmine.plotting import plot_cohort_heatmap

    require_money(ctx)
    log = ctx.clean[["customer_id", "order_id", "timestamp", "amount"]]
    res = cohort_table(log, cutoff=ctx.end, returns="keep")
    if res.n_cohorts < 2:
        raise SectionSkipped("the log covers a single month: there is no retention to show")
    ret = res.matrix("retention")
    value = res.matrix("cumulative_revenue_per_customer")
    partial = res.partial_mask().reindex(index=ret.index, columns=ret.columns, fill_value=False)
    complete_ret = ret.where(~partial)
    m1 = complete_ret[1].dropna() if 1 in complete_ret.columns else pd.Series(dtype=float)
    sizes = res.table.xs(0, level="period_index")["customers"]
    sec.blocks.append(
        Text(
            "Each customer belongs to the cohort of the month of their first purchase. "
            "Retention is the share of a cohort buying again in the n-th month after it; "
            "cumulative revenue per customer is the cohort's revenue to date divided by its "
            "size. Cells of the month that contains the cutoff are incomplete (hatched)."
        )
    )
    weighted_m1 = (
        float((m1 * sizes.reindex(m1.index)).sum() / sizes.reindex(m1.index).sum())
        if len(m1)
        else float("nan")
    )
    sec.blocks.append(
        KeyValues(
            [
                ("Cohorts (months)", res.n_cohorts),
                ("Customers acquired", res.n_customers),
                ("Month-1 retention (customer-weighted)", pct(weighted_m1)),
                ("Largest cohort", f"{sizes.idxmax()} ({int(sizes.max()):,} customers)"),
                ("Last month partial", "yes" if res.last_period_partial else "no"),
            ]
        )
    )
    if len(m1):
        sec.highlight = (
            f"{pct(weighted_m1)} of new customers buy again in the month after their first "
            f"purchase ({res.n_cohorts} monthly cohorts)."
        )
    shown = value.tail(_MAX_COHORT_ROWS)
    shown = shown.loc[:, [c for c in shown.columns if c <= 12]]
    shown.columns = [f"m{c}" for c in shown.columns]
    sec.blocks.append(
        Table(
            shown,
            caption="Cumulative revenue per customer by months since acquisition",
            formats={c: money for c in shown.columns},
        )
    )
    fig = new_figure(9.0, 1.2 + 0.3 * min(res.n_cohorts, 30))
    plot_cohort_heatmap(res, metric="retention", ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Heatmap of retention by cohort and month"))


def sequences(ctx: ReportContext, sec: Section) -> None:
    """What customers buy next: the strongest "A then B in the next order" rules."""
    from crmine.plotting import plot_sequence_rules
    from crmine.sequences import SequenceMiner

    if "item" not in ctx.clean.columns:
        raise SectionSkipped("the log has no item column")
    log = ctx.clean[["customer_id", "order_id", "timestamp", "item"]]
    repeat = log.groupby("customer_id")["order_id"].nunique()
    if int((repeat >= 2).sum()) < 20:
        raise SectionSkipped("fewer than 20 customers with two orders: no sequences to mine")
    miner = SequenceMiner(min_support=0.01, max_len=2, max_gap_orders=1, min_orders=20)
    miner.fit(log)
    rules = miner.rules_.loc[
        (miner.rules_["lift"] > 1) & (miner.rules_["antecedent"] != miner.rules_["consequent"])
    ]
    if rules.empty:
        raise SectionSkipped("no 'A then B' rule reaches 1% of customers with a lift above 1")
    top = rules.head(15).copy()
    top["antecedent"] = top["antecedent"].map(ctx.label)
    top["consequent"] = top["consequent"].map(ctx.label)
    best = top.iloc[0]
    sec.highlight = (
        f"Customers who buy {best['antecedent']} have {best['consequent']} in their next "
        f"order {pct(best['confidence'])} of the time, {best['lift']:.1f}x the usual rate."
    )
    sec.blocks.append(
        Text(
            "Rules 'A then B': of the orders containing A that the customer followed with "
            "another order, the share whose next order contains B (confidence), compared "
            "with the share of all next orders containing B (baseline); lift = confidence / "
            "baseline. Repeat purchases of the same item are left out here. Rules need 1% of "
            "the customers and 20 orders with A."
        )
    )
    sec.blocks.append(
        Table(
            top[
                [
                    "antecedent",
                    "consequent",
                    "orders",
                    "confidence",
                    "baseline",
                    "lift",
                    "customers",
                ]
            ].set_index(["antecedent", "consequent"]),
            caption="Strongest 'A then B in the next order' rules",
            formats={"confidence": pct, "baseline": pct},
        )
    )
    fig = new_figure(9.0, 0.8 + 0.3 * len(top))
    labels = {x: ctx.label(x) for x in set(rules["antecedent"]) | set(rules["consequent"])}
    plot_sequence_rules(rules.head(15), labels=labels, ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Bar chart of the strongest sequence rules by lift"))


def outliers(ctx: ReportContext, sec: Section) -> None:
    """Outlier customers with the reason, and their weight in the revenue."""
    from crmine.outliers import outlier_customers
    from crmine.plotting import plot_outlier_reasons

    require_money(ctx)
    log = ctx.clean[["customer_id", "order_id", "timestamp", "amount"]]
    flags = outlier_customers(log, cutoff=ctx.end)
    out = flags.loc[flags["is_outlier"]]
    total = float(flags["monetary_total"].sum())
    share = float(out["monetary_total"].sum()) / total if total > 0 else float("nan")
    sec.blocks.append(
        Text(
            "Customers who do not belong in a retail model: wholesale-scale orders (median "
            "order far above other customers'), one huge order (far above all orders and ten "
            "times the customer's others), five or more orders within ten minutes of the "
            "previous one. Extremes are robust z-scores above 3.5 (median and median absolute "
            "deviation of log values). Consider leaving them out of lifetime-value models "
            "(crmine.outliers.drop_outliers)."
        )
    )
    sec.blocks.append(
        KeyValues(
            [
                ("Customers flagged", f"{len(out):,} of {len(flags):,}"),
                ("Their share of revenue", pct(share)),
                *[
                    (f"- {reason}", int(out["reasons"].str.contains(reason).sum()))
                    for reason in ("wholesale", "huge_order", "rapid_orders")
                ],
            ]
        )
    )
    if out.empty:
        sec.highlight = "No outlier customer: no wholesale buyers, huge orders or order bursts."
        return
    sec.highlight = (
        f"{len(out):,} outlier customers ({pct(len(out) / len(flags))}) bring {pct(share)} of "
        "the revenue."
    )
    top = out.sort_values("monetary_total", ascending=False).head(15)
    sec.blocks.append(
        Table(
            top[
                [
                    "orders",
                    "monetary_total",
                    "median_order_value",
                    "max_order_value",
                    "rapid_orders",
                    "reasons",
                ]
            ],
            caption="Largest outlier customers",
            formats={
                "monetary_total": money,
                "median_order_value": money,
                "max_order_value": money,
            },
        )
    )
    fig = new_figure(6.5, 3.6)
    plot_outlier_reasons(flags, ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Outlier customers per reason"))


def _arm_column(camp: pd.DataFrame) -> tuple[str, object]:
    col = "arm" if "arm" in camp.columns else "treatment"
    if col not in camp.columns or "response" not in camp.columns:
        raise SectionSkipped("the campaign file has no arm/treatment and response columns")
    labels = pd.unique(camp[col]).tolist()
    if len(labels) < 3:
        raise SectionSkipped("the campaign has a single treatment arm (see 'Campaign response')")
    for control in (0, "0", "control", "Control", "none", "No E-Mail"):
        if control in labels:
            return col, control
    raise SectionSkipped(
        f"no control arm among {labels[:6]!r}; label the hold-out group 0 or 'control'"
    )


def multi_arm(ctx: ReportContext, sec: Section) -> None:
    """Several treatment arms: per-arm response and uplift, Qini per arm, best arm."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from crmine.campaign import MultiArmUplift, arm_policy_value, qini_by_arm
    from crmine.plotting import plot_arm_qini_curves

    if ctx.campaign is None:
        raise SectionSkipped("no campaign file was given")
    camp = ctx.campaign
    col, control = _arm_column(camp)
    feats = [
        f
        for f in ("recency_days", "frequency", "monetary_total", "tenure_days")
        if f in ctx.customers.columns
    ]
    ids, camp_ids = aligned_ids(ctx.customers.index, camp["customer_id"])
    table = ctx.customers[feats].set_axis(ids, axis=0)
    joined = camp.assign(_id=camp_ids.to_numpy()).join(table, on="_id", how="inner")
    counts = joined.groupby(col)["response"].agg(["size", "sum"])
    if len(joined) < 300 or int(counts["sum"].min()) < 10:
        raise SectionSkipped(
            f"{len(joined):,} campaign customers are in the log; at least 300 with 10 "
            "responders per arm are needed"
        )
    tr, te = train_test_split(
        joined, test_size=0.5, stratify=joined[col].astype(str), random_state=ctx.random_state
    )
    base = make_pipeline(
        FunctionTransformer(lambda x: np.log1p(np.clip(x, 0, None))),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )
    model = MultiArmUplift(estimator=base, control=control).fit(
        tr[feats].to_numpy(float), tr["response"].to_numpy(), tr[col].to_numpy(dtype=object)
    )
    u = model.predict(te[feats].to_numpy(float))
    y, arm = te["response"].to_numpy(), te[col].to_numpy(dtype=object)
    per_arm = qini_by_arm(y, u, arm, control=control)
    policy = arm_policy_value(y, model.best_arm(te[feats].to_numpy(float)), arm, control=control)
    best = per_arm["uplift"].idxmax()
    sec.highlight = (
        f"Best arm on average: {best} (+{pct(per_arm.loc[best, 'uplift'])} response); "
        f"targeting each customer's best arm: {pct(policy.loc['policy', 'response_rate'])}."
    )
    sec.blocks.append(
        Text(
            f"{len(model.arms_)} treatment arms against the control {control!r}. One "
            f"two-model uplift estimator per arm (logistic regressions on {', '.join(feats)}) "
            "is trained on half of the campaign customers; the other half evaluates each arm "
            "against the control (Qini coefficient: 0 = random, 1 = perfect) and the policy "
            "'each customer gets the arm with the largest predicted uplift, or nothing'."
        )
    )
    sec.blocks.append(
        Table(
            per_arm,
            caption="Response and uplift per arm (hold-out half)",
            formats={"response_rate": pct, "control_response_rate": pct, "uplift": pct},
        )
    )
    sec.blocks.append(
        Table(
            policy,
            caption="Response rate of targeting policies (hold-out half)",
            formats={"response_rate": pct, "uplift_vs_control": pct, "share_contacted": pct},
        )
    )
    fig = new_figure(6.5, 4.2)
    plot_arm_qini_curves(y, u, arm, control=control, ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Qini curve of each arm against the control"))


#: (key, title, function) to insert into ``crmine.report._sections.SECTIONS``.
DYNAMICS_SECTIONS = (
    ("cohorts", "Cohorts and retention", cohorts),
    ("sequences", "What customers buy next", sequences),
    ("outliers", "Outlier customers", outliers),
    ("multi-arm", "Several treatment arms", multi_arm),
)
