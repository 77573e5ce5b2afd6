"""Report sections: data quality and the customer overview."""

from __future__ import annotations

from crmine.report._context import (
    ReportContext,
    SectionSkipped,
    require_money,
)
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

# ----------------------------------------------------------------------------- 1 data quality


def data_quality(ctx: ReportContext, sec: Section) -> None:
    """Cleaning report: what was dropped and why, rows and value in and out."""
    rep = ctx.cleaning
    sec.blocks.append(
        Text(
            "Every row of the log is accounted for: the table lists each cleaning rule, the "
            "rows it applies to (each row under the first rule that applies), their value "
            "and what was done with them."
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
            ]
            + (
                [
                    (
                        "Value in (returns count negative) / kept",
                        f"{money(rep.value_in)} / {money(rep.value_out)}",
                    )
                ]
                if ctx.has_money
                else [("Value", "no money column: every line counts once")]
            )
        )
    )
    reasons = rep.reasons.copy()
    sec.highlight = (
        f"{rep.rows_out:,} of {rep.rows_in:,} rows kept after cleaning "
        f"({pct(rep.rows_out / rep.rows_in)}): {rep.customers_out:,} customers, "
        f"{rep.orders_out:,} orders"
        + (f", {money(rep.value_out)} of revenue." if ctx.has_money else ".")
    )
    reasons["share_of_rows"] = reasons["rows"] / max(rep.rows_in, 1)
    reasons.index = [str(r).replace("_", " ").capitalize() for r in reasons.index]
    reasons.index.name = "Reason"
    sec.blocks.append(
        Table(
            reasons[
                ["rows", "share_of_rows", "value", "action"]
                if ctx.has_money
                else ["rows", "share_of_rows", "action"]
            ],
            caption="Rows per cleaning reason",
            formats={"value": money, "share_of_rows": pct},
        )
    )


# ----------------------------------------------------------------------------- 2 overview


def overview(ctx: ReportContext, sec: Section) -> None:
    """Customer overview: headline numbers, monthly revenue, Lorenz curve."""
    from crmine.plotting import plot_lorenz_curve
    from crmine.value import gini, pareto_table

    require_money(ctx)
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
    from crmine.plotting._report import plot_revenue_by_month

    fig = new_figure(9.0, 3.4)
    plot_revenue_by_month(
        ctx.clean["timestamp"], ctx.clean["amount"], cutoff=ctx.end, ax=fig.add_subplot()
    )
    sec.blocks.append(figure_block(fig, "Bar chart of revenue per month, partial months hatched"))

    values = c["monetary_total"].clip(lower=0).to_numpy(dtype=float)
    if values.sum() <= 0:
        raise SectionSkipped("no customer has a positive spend, so concentration is undefined")
    table, g = pareto_table(values), gini(values)
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
    fig = new_figure(5.5, 4.6)
    plot_lorenz_curve(values, ax=fig.add_subplot(), mark=0.2)
    sec.blocks.append(figure_block(fig, "Lorenz curve of revenue across customers"))
