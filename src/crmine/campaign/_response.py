"""Campaign response: rates, lift, intervals, significance and sample-ratio checks."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crmine.base import Result
from crmine.campaign._significance import (
    SampleRatioMismatch,
    _z,
    holm_adjust,
    newcombe_interval,
    sample_ratio_mismatch,
    wilson_interval,
)
from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._validation import _numeric_values, check_binary, show_values, to_pandas

__all__ = ["ResponseSummary", "response_summary"]

logger = logging.getLogger(__name__)

#: Fisher's exact test replaces the z test when the smallest expected cell count
#: of the 2 x 2 table (arm vs control, responded vs not) is below this value.
FISHER_MIN_EXPECTED = 5.0

TEST_RULE = (
    "two-sided pooled two-proportion z test (p-value identical to Pearson's chi-square "
    "without continuity correction); Fisher's exact test instead when the smallest expected "
    f"cell count of the 2x2 table is below {FISHER_MIN_EXPECTED:g} (Cochran's rule)"
)


@dataclass(frozen=True, repr=False)
class ResponseSummary(Result):
    """Per-arm campaign results returned by :func:`response_summary`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per arm (control first), see :func:`response_summary` for the
        columns.
    srm : SampleRatioMismatch or None
        Sample-ratio-mismatch check against the planned split.
    control : object
        Label of the control arm.
    alpha : float
        One minus the coverage of every interval.
    test_rule : str
        How the response p-values were computed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["mail"] * 100 + ["none"] * 100,
    ...                    "resp": [1] * 30 + [0] * 70 + [1] * 20 + [0] * 80})
    >>> response_summary(df, "arm", "resp", control="none")  # doctest: +NORMALIZE_WHITESPACE
    ResponseSummary(control='none', arms=2, lift_abs=0.1, p_value=0.1025,
                    srm_mismatch=False, table=2x18)
    """

    srm: SampleRatioMismatch | None = None
    control: Any = None
    alpha: float = 0.05
    test_rule: str = field(default=TEST_RULE)

    def _headline(self) -> dict[str, Any]:
        out: dict[str, Any] = {"control": self.control, "arms": len(self.table)}
        treated = self.table.drop(index=self.control, errors="ignore")
        if len(treated) == 1:
            row = treated.iloc[0]
            out["lift_abs"] = float(row["lift_abs"])
            out["p_value"] = float(row["p_value"])
        else:
            out["significant_arms"] = int(treated["significant"].sum())
        if self.srm is not None:
            out["srm_mismatch"] = self.srm.mismatch
        return out


def _fisher_needed(x1: int, n1: int, x2: int, n2: int) -> bool:
    n = n1 + n2
    x = x1 + x2
    expected = np.array([n1 * x, n1 * (n - x), n2 * x, n2 * (n - x)], dtype=float) / n
    return bool(expected.min() < FISHER_MIN_EXPECTED)


def _two_proportion_p(x1: int, n1: int, x2: int, n2: int, test: str) -> tuple[str, float]:
    use_fisher = test == "fisher" or (test == "auto" and _fisher_needed(x1, n1, x2, n2))
    if use_fisher:
        res = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])
        return "fisher", float(res[1])
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return "z", 1.0
    zstat = (x1 / n1 - x2 / n2) / se
    return "z", float(2 * stats.norm.sf(abs(zstat)))


def _katz_ratio_interval(x1: int, n1: int, x2: int, n2: int, alpha: float) -> tuple[float, float]:
    if x1 == 0 or x2 == 0:
        return np.nan, np.nan
    rr = (x1 / n1) / (x2 / n2)
    se = np.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = _z(alpha)
    return float(rr * np.exp(-z * se)), float(rr * np.exp(z * se))


def _welch(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[float, float, float, float]:
    """Difference of means a - b, Welch CI and p-value."""
    diff = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return diff, np.nan, np.nan, np.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff, (1.0 if diff == 0 else 0.0)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    t = stats.t.ppf(1 - alpha / 2, dof)
    p = 2 * stats.t.sf(abs(diff / se), dof)
    return diff, float(diff - t * se), float(diff + t * se), float(p)


def _mean_interval(v: np.ndarray, alpha: float) -> tuple[float, float]:
    if v.size < 2:
        return np.nan, np.nan
    se = v.std(ddof=1) / np.sqrt(v.size)
    t = stats.t.ppf(1 - alpha / 2, v.size - 1)
    m = v.mean()
    return float(m - t * se), float(m + t * se)


def _arm_order(arms: pd.Series, control: Any) -> list[Any]:
    if isinstance(arms.dtype, pd.CategoricalDtype):
        levels = list(arms.cat.categories)
    else:
        levels = sorted(pd.unique(arms), key=lambda v: (str(type(v)), v))
    return [control] + [a for a in levels if a != control]


def response_summary(
    df: pd.DataFrame,
    arm_col: str,
    response_col: str,
    control: Any = None,
    value_col: str | None = None,
    alpha: float = 0.05,
    *,
    test: str = "auto",
    planned_split: Mapping[Any, float] | None = None,
    srm_alpha: float = 0.001,
) -> ResponseSummary:
    r"""Summarise a randomised campaign: response, lift and significance per arm.

    For every arm :math:`a` with :math:`n_a` customers and :math:`x_a`
    responders, compared with the control arm :math:`c`:

    - response rate :math:`\hat p_a = x_a / n_a` with a Wilson score interval
      (:func:`wilson_interval`);
    - absolute lift :math:`\hat p_a - \hat p_c` with Newcombe's hybrid-score
      interval (:func:`newcombe_interval`);
    - relative lift :math:`\hat p_a / \hat p_c - 1` with the Katz log
      risk-ratio interval :math:`\exp(\ln RR \pm z \sqrt{1/x_a - 1/n_a + 1/x_c - 1/n_c})
      - 1` (NaN when an arm has no responders);
    - p-value of :math:`H_0: p_a = p_c`: two-sided pooled two-proportion z
      test (identical to Pearson's chi-square without continuity correction),
      or Fisher's exact test when the smallest expected cell count of the 2x2
      table is below 5 (``test="auto"``, Cochran's rule);
    - with more than one treated arm, Holm-adjusted p-values
      (``p_value_holm``); intervals are per comparison (not adjusted);
    - incremental responders :math:`n_a (\hat p_a - \hat p_c)`: responders
      the campaign created in arm :math:`a` (interval = Newcombe bounds times
      :math:`n_a`);
    - with ``value_col``: revenue per customer with a t interval, the
      difference of means with Welch's interval and p-value, and the
      incremental revenue :math:`n_a (\bar v_a - \bar v_c)`.

    A sample-ratio-mismatch check (:func:`sample_ratio_mismatch`) compares the
    arm sizes with ``planned_split``; a mismatch emits a
    :class:`~crmine.exceptions.DataWarning`.

    Parameters
    ----------
    df : pandas.DataFrame or polars/pyarrow table
        One row per customer, columns read by name.  Not modified.
    arm_col : str
        Column with the arm (treatment group) of each customer.
    response_col : str
        Column with the 0/1 (or boolean) response.
    control : object, optional
        Label of the control arm.  Required unless the arms are exactly
        ``{0, 1}`` (then 0 is the control).
    value_col : str, optional
        Numeric column with the revenue (or any value) per customer.
    alpha : float, default 0.05
        One minus the coverage of every interval; also the threshold of the
        ``significant`` column (applied to the Holm-adjusted p-value).
    test : {"auto", "z", "fisher"}, default "auto"
        Test of the response rates; ``"auto"`` applies the rule above.
    planned_split : mapping, optional
        Planned share per arm for the sample-ratio check; ``None`` means an
        equal split.
    srm_alpha : float, default 0.001
        Threshold of the sample-ratio-mismatch flag.

    Returns
    -------
    ResponseSummary
        ``.table`` is indexed by arm (control first) with columns
        ``customers``, ``responders``, ``response_rate``,
        ``response_rate_low``, ``response_rate_high``, ``lift_abs``,
        ``lift_abs_low``, ``lift_abs_high``, ``lift_rel``, ``lift_rel_low``,
        ``lift_rel_high``, ``test``, ``p_value``, ``p_value_holm``,
        ``significant``, ``incremental_responders``,
        ``incremental_responders_low``, ``incremental_responders_high`` and,
        with ``value_col``, ``revenue``, ``revenue_per_customer``,
        ``revenue_per_customer_low``, ``revenue_per_customer_high``,
        ``revenue_diff``, ``revenue_diff_low``, ``revenue_diff_high``,
        ``revenue_p_value``, ``revenue_p_value_holm``,
        ``incremental_revenue``, ``incremental_revenue_low``,
        ``incremental_revenue_high``.  The control row has NaN comparisons.
        ``lift_rel`` and its interval are NaN when the control arm has no
        responders (a relative lift of a zero rate is undefined; ``lift_abs``
        still says how much the arm gained), and the Katz interval is NaN when
        either arm has none.

    Raises
    ------
    SchemaError
        Missing column, response not 0/1, missing values, a single arm, a
        missing control arm or an arm without customers.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["mail"] * 100 + ["none"] * 100,
    ...                    "resp": [1] * 30 + [0] * 70 + [1] * 20 + [0] * 80})
    >>> s = response_summary(df, "arm", "resp", control="none")
    >>> s.table[["customers", "responders", "response_rate", "lift_abs"]]
          customers  responders  response_rate  lift_abs
    arm
    none        100          20            0.2       NaN
    mail        100          30            0.3       0.1
    >>> round(float(s.table.loc["mail", "p_value"]), 4)
    0.1025
    """
    if type(df).__name__ == "LazyFrame":
        raise SchemaError("response_summary: df is a polars LazyFrame; pass df.collect().")
    df = to_pandas(df, name="df")
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(
            f"df must be a table with one row per customer, got {type(df).__name__}. Fix: pass "
            "a pandas/polars/pyarrow table with the arm and response columns."
        )
    _z(alpha)
    if not 0 < srm_alpha < 1:
        raise SchemaError(f"srm_alpha={srm_alpha!r} must be in (0, 1), e.g. 0.001.")
    if test not in ("auto", "z", "fisher"):
        raise SchemaError(f"test={test!r} is not a test; use 'auto', 'z' or 'fisher'.")
    roles = {"arm": arm_col, "response": response_col}
    if value_col is not None:
        roles["value"] = value_col
    missing = [(role, col) for role, col in roles.items() if col not in df.columns]
    if missing:
        names = ", ".join(f"{role} column {col!r}" for role, col in missing)
        fixes = ", ".join(f"{role}_col=<column name>" for role, _ in missing)
        raise SchemaError(
            f"response_summary: {names} not found (columns: {show_values(list(df.columns), 12)})."
            f" Fix: pass {fixes}."
        )
    if df.empty:
        raise SchemaError(
            "response_summary got an empty campaign table (0 rows); it needs one row per "
            "customer with the arm and the response."
        )
    arms = df[arm_col]
    if arms.isna().any():
        raise SchemaError(
            f"arm column {arm_col!r} has {int(arms.isna().sum())} missing arm labels; assign "
            "every customer to an arm or drop those rows before the analysis."
        )
    y = check_binary(df[response_col], name=f"response column {response_col!r}")
    values = None
    if value_col is not None:
        values = _numeric_values(df[value_col], value_col, "value", "response_summary")
        if not np.isfinite(values).all():
            n_bad = int((~np.isfinite(values)).sum())
            raise SchemaError(
                f"response_summary: value column {value_col!r} has {n_bad} missing or infinite "
                "values; fill non-buyers with 0 and fix the others."
            )
        with np.errstate(over="ignore", invalid="ignore"):
            spread = float(np.sum(np.square(values - values.mean())))
        if not np.isfinite(values.sum()) or not np.isfinite(spread):
            raise SchemaError(
                f"response_summary: value column {value_col!r} overflows float64 (largest "
                f"value {np.max(np.abs(values)):.3g}); its sums and variances would be inf. "
                "Fix: rescale it (e.g. to thousands) or remove the corrupt values."
            )

    observed_levels = set(pd.unique(arms))
    as_text = pd.Series([str(a) for a in observed_levels])
    if as_text.duplicated().any():
        clash = sorted(observed_levels, key=str)
        raise SchemaError(
            f"arm column {arm_col!r} has labels that print alike but differ in type "
            f"({', '.join(repr(a) for a in clash[:6])}); they would be reported as separate "
            f"arms. Fix: use one type, e.g. df[{arm_col!r}].astype(str)."
        )
    if isinstance(arms.dtype, pd.CategoricalDtype):
        empty = [c for c in arms.cat.categories if c not in observed_levels]
        if empty:
            raise SchemaError(
                f"arm(s) {empty!r} of column {arm_col!r} have no customers; remove the unused "
                "categories (Series.cat.remove_unused_categories()) or check the assignment."
            )
    if len(observed_levels) < 2:
        raise SchemaError(
            f"column {arm_col!r} has a single arm {next(iter(observed_levels))!r}; a campaign "
            "evaluation needs a control arm and at least one treated arm."
        )
    if control is None:
        if observed_levels == {0, 1}:
            control = 0
        else:
            raise SchemaError(
                f"control is required: column {arm_col!r} has arms "
                f"{sorted(map(str, observed_levels))!r}; pass control=<label of the control arm>."
            )
    if control not in observed_levels:
        raise SchemaError(
            f"control arm {control!r} not found in column {arm_col!r} (arms: "
            f"{sorted(map(str, observed_levels))!r}); pass the label of the control arm."
        )

    order = _arm_order(arms, control)
    arm_values = arms.to_numpy()
    masks = {a: arm_values == a for a in order}
    n = {a: int(masks[a].sum()) for a in order}
    x = {a: int(y[masks[a]].sum()) for a in order}
    xc, nc = x[control], n[control]
    pc = xc / nc

    rows = []
    for a in order:
        p = x[a] / n[a]
        lo, hi = wilson_interval(x[a], n[a], alpha)
        row: dict[str, Any] = {
            "customers": n[a],
            "responders": x[a],
            "response_rate": p,
            "response_rate_low": lo,
            "response_rate_high": hi,
        }
        if a == control:
            row.update(
                lift_abs=np.nan,
                lift_abs_low=np.nan,
                lift_abs_high=np.nan,
                lift_rel=np.nan,
                lift_rel_low=np.nan,
                lift_rel_high=np.nan,
                test=None,
                p_value=np.nan,
                incremental_responders=np.nan,
                incremental_responders_low=np.nan,
                incremental_responders_high=np.nan,
            )
        else:
            dlo, dhi = newcombe_interval(x[a], n[a], xc, nc, alpha)
            rlo, rhi = _katz_ratio_interval(x[a], n[a], xc, nc, alpha)
            name, pval = _two_proportion_p(x[a], n[a], xc, nc, test)
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = p / pc - 1 if pc > 0 else np.nan  # undefined without control responders
            row.update(
                lift_abs=p - pc,
                lift_abs_low=dlo,
                lift_abs_high=dhi,
                lift_rel=rel,
                lift_rel_low=rlo - 1,
                lift_rel_high=rhi - 1,
                test=name,
                p_value=pval,
                incremental_responders=n[a] * (p - pc),
                incremental_responders_low=n[a] * dlo,
                incremental_responders_high=n[a] * dhi,
            )
        if values is not None:
            va, vc = values[masks[a]], values[masks[control]]
            mlo, mhi = _mean_interval(va, alpha)
            row.update(
                revenue=float(va.sum()),
                revenue_per_customer=float(va.mean()),
                revenue_per_customer_low=mlo,
                revenue_per_customer_high=mhi,
            )
            if a == control:
                row.update(
                    revenue_diff=np.nan,
                    revenue_diff_low=np.nan,
                    revenue_diff_high=np.nan,
                    revenue_p_value=np.nan,
                    incremental_revenue=np.nan,
                    incremental_revenue_low=np.nan,
                    incremental_revenue_high=np.nan,
                )
            else:
                diff, lo_, hi_, pv = _welch(va, vc, alpha)
                row.update(
                    revenue_diff=diff,
                    revenue_diff_low=lo_,
                    revenue_diff_high=hi_,
                    revenue_p_value=pv,
                    incremental_revenue=n[a] * diff,
                    incremental_revenue_low=n[a] * lo_,
                    incremental_revenue_high=n[a] * hi_,
                )
        rows.append(row)

    table = pd.DataFrame(rows, index=pd.Index(order, name=arm_col))
    table.insert(
        table.columns.get_loc("p_value") + 1, "p_value_holm", holm_adjust(table["p_value"])
    )
    table.insert(
        table.columns.get_loc("p_value_holm") + 1,
        "significant",
        (table["p_value_holm"] < alpha).where(table.index != control, other=False),
    )
    table["significant"] = table["significant"].astype(bool)
    if values is not None:
        table.insert(
            table.columns.get_loc("revenue_p_value") + 1,
            "revenue_p_value_holm",
            holm_adjust(table["revenue_p_value"]),
        )

    srm = sample_ratio_mismatch(pd.Series(n), planned_split, alpha=srm_alpha)
    if srm.mismatch:
        warnings.warn(
            f"sample ratio mismatch in column {arm_col!r}: observed {dict(srm.observed)} vs "
            f"expected {dict(srm.expected.round(1))} (chi2={srm.statistic:.2f}, "
            f"p={srm.p_value:.2g}); the randomisation may be broken, check the assignment "
            "before trusting the lift.",
            DataWarning,
            stacklevel=2,
        )
    logger.debug("response_summary: %d arms, control=%r", len(order), control)
    return ResponseSummary(table=table, srm=srm, control=control, alpha=alpha)
