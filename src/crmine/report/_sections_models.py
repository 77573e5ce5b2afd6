"""Report sections: churn risk, lifetime value, campaign response and uplift."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.report._context import (
    CHURN_HORIZON_DAYS,
    CLV_HORIZON_DAYS,
    ReportContext,
    SectionSkipped,
    aligned_ids,
    no_datetime,
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

# ----------------------------------------------------------------------------- 7 churn


def churn(ctx: ReportContext, sec: Section) -> None:
    """Churn model trained at end - 90 days and today's risk of the valuable customers."""
    from sklearn.model_selection import train_test_split

    from crmine.churn import ChurnClassifier, churn_labels
    from crmine.evaluation import churn_report, gains_table
    from crmine.plotting import plot_cumulative_gains

    require_money(ctx)
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
    ds = churn_labels(ctx.clean, cutoff=cutoff, horizon=h, end=ctx.end)
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
    fig = new_figure(6.0, 4.4)
    plot_cumulative_gains(yte, p, ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Cumulative gains curve of the churn model"))
    _churn_rules_block(sec, X, y, ctx.random_state)

    sec.highlight = (
        f"Churn: {pct(y.mean())} of the customers who had bought before {cutoff.date()} "
        f"did not buy in the following {h} days; the churn model ranks them with ROC AUC "
        f"{rep['roc_auc']:.2f} on held-out customers."
    )
    final = ChurnClassifier(
        random_state=ctx.random_state, importance_holdout=None, leakage_threshold=None
    ).fit(X, y)
    now = no_datetime(ctx.customers).reindex(columns=X.columns, fill_value=0.0)
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


def _churn_rules_block(sec: Section, X: pd.DataFrame, y: pd.Series, random_state: Any) -> None:
    """Readable IF-THEN churn rules (a shallow tree), measured on held-out customers."""
    from crmine.churn import churn_rules

    readable = [
        c for c in ("recency_days", "frequency", "monetary_total", "tenure_days") if c in X.columns
    ]
    if len(y) < 50 or not readable:
        return
    rules = churn_rules(X, y, features=readable, max_depth=2, random_state=random_state)
    table = rules.table.set_index("rule")[["customers", "support", "churn_rate", "lift"]]
    sec.blocks.append(
        Text(
            "The same labels as IF-THEN rules a marketer can read (a decision tree of depth 2 "
            "on recency, frequency, spend and tenure), each measured on customers held out "
            f"from the rules' fit ({rules.n_customers} customers, churn rate "
            f"{pct(rules.churn_rate)}); lift = the rule's churn rate / the overall rate."
        )
    )
    sec.blocks.append(
        Table(
            table.sort_values("churn_rate", ascending=False, kind="stable"),
            caption="Readable churn rules (held-out customers)",
            formats={"support": pct, "churn_rate": pct},
        )
    )


# ----------------------------------------------------------------------------- 8 CLV


def lifetime(ctx: ReportContext, sec: Section) -> None:
    """BG/NBD + Gamma-Gamma lifetime value over the next 12 months."""
    from crmine.lifetime import BetaGeoModel, GammaGammaModel
    from crmine.plotting import plot_clv_distribution

    require_money(ctx)
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
    if getattr(gg, "mean_spend_finite_", True) is False:
        _purchases_only(ctx, sec, bg, gg, alive, purchases)
        return
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
    fig = new_figure(8.0, 3.8)
    plot_clv_distribution(table["clv_12m"], log_scale=True, ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Histogram of customer lifetime value"))


def _purchases_only(
    ctx: ReportContext, sec: Section, bg: Any, gg: Any, alive: Any, purchases: Any
) -> None:
    """BG/NBD without a money figure: the spend model has an infinite mean (q <= 1)."""
    c = ctx.customers
    q = float(gg.params_.get("q", float("nan")))
    sec.blocks.append(
        Text(
            f"No lifetime value in money: the Gamma-Gamma spend model fitted q = {q:.3f} <= 1, "
            "so the expected spend per purchase of customers with few purchases is infinite "
            "and any CLV total would be dominated by the tail. Shown instead: the BG/NBD "
            "probability that each customer is still active and the purchase days expected "
            "in the next 12 months. Fix: check the spend column for outliers.",
            "note",
        )
    )
    table = pd.DataFrame(
        {
            "p_alive": np.asarray(alive, dtype=float),
            "expected_purchases_12m": np.asarray(purchases, dtype=float),
            "past_spend": c["monetary_total"].to_numpy(dtype=float),
            "purchase_days": c["repeat_frequency"].to_numpy(dtype=float) + 1,
        },
        index=c.index,
    )
    total = float(table["expected_purchases_12m"].sum())
    sec.highlight = (
        f"BG/NBD expects {total:,.0f} purchase days in the next 12 months; "
        f"{pct(float((table['p_alive'] >= 0.5).mean()))} of the customers are more likely "
        "active than not (no CLV in money: the spend model has an infinite mean)."
    )
    _clv_holdout(ctx, sec)
    params = bg.params_.rename("estimate").to_frame().assign(model="BG/NBD")
    params.index.name = "parameter"
    sec.blocks.append(Table(params[["model", "estimate"]], caption="Model parameters"))
    top = table.sort_values("expected_purchases_12m", ascending=False, kind="stable").head(20)
    sec.blocks.append(
        Table(
            top,
            caption="Customers expected to buy most often in the next 12 months",
            formats={"p_alive": pct, "past_spend": money},
        )
    )


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
    from crmine.plotting import plot_arm_comparison

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
    arms = ["control" if a == 0 else "treated" for a in tab.index]

    def interval(low: str, high: str) -> list[str]:
        if low not in tab.columns or high not in tab.columns:
            return [""] * len(tab)
        return [
            "" if pd.isna(lo) or pd.isna(hi) else f"{pct(lo)} to {pct(hi)}"
            for lo, hi in zip(tab[low], tab[high])
        ]

    shown = pd.DataFrame(
        {
            "Customers": tab["customers"].to_numpy(),
            "Responders": tab["responders"].to_numpy(),
            "Response rate": tab["response_rate"].to_numpy(),
            "95% interval": interval("response_rate_low", "response_rate_high"),
            "Lift (points)": tab["lift_abs"].to_numpy() if "lift_abs" in tab else np.nan,
            "Lift, 95% interval": interval("lift_abs_low", "lift_abs_high"),
            "p-value": tab["p_value"].to_numpy() if "p_value" in tab else np.nan,
        },
        index=pd.Index(arms, name="Arm"),
    )
    for col, label in (
        ("incremental_responders", "Incremental responders"),
        ("revenue_per_customer", "Revenue per customer"),
        ("incremental_revenue", "Incremental revenue"),
    ):
        if col in tab.columns:
            shown[label] = tab[col].to_numpy()
    sec.blocks.append(
        Table(
            shown,
            caption="Response per arm (intervals at 95%)",
            formats={
                "Response rate": pct,
                "Lift (points)": lambda v: "" if pd.isna(v) else f"{100 * v:+.1f}",
                "p-value": lambda v: "" if pd.isna(v) else f"{v:.3g}",
                "Revenue per customer": money,
                "Incremental revenue": money,
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
    fig = new_figure(6.0, 3.8)
    plot_arm_comparison(tab.set_axis(arms, axis=0), ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Response rate per arm with 95% intervals"))
    _uplift(ctx, sec, camp)


def _uplift(ctx: ReportContext, sec: Section, camp: pd.DataFrame) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from crmine.campaign import TwoModelUplift, qini_auc_score, uplift_by_percentile
    from crmine.plotting import plot_qini_curve

    feats = [
        f
        for f in ("recency_days", "frequency", "monetary_total", "tenure_days")
        if f in ctx.customers.columns
    ]
    ids, camp_ids = aligned_ids(ctx.customers.index, camp["customer_id"])
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
    model = TwoModelUplift(estimator=base).fit(
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
    by = uplift_by_percentile(yte, u, tte, n_bins=5)
    sec.blocks.append(
        Table(
            by,
            caption="Observed uplift per quintile of predicted uplift (hold-out)",
            formats={"response_rate_treatment": pct, "response_rate_control": pct, "uplift": pct},
        )
    )
    if q < 0:
        sec.blocks.append(
            Text(
                f"The Qini coefficient is negative ({q:.3f}): on the held-out customers the "
                "model ranks worse than random targeting, so its scores should not be used to "
                "choose whom to contact. This happens when the campaign effect barely depends on "
                "the features used, or when the hold-out is small.",
                "note",
            )
        )
    fig = new_figure(6.0, 4.4)
    plot_qini_curve(yte, u, tte, ax=fig.add_subplot())
    sec.blocks.append(figure_block(fig, "Qini curve of the uplift model"))
