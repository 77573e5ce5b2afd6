"""Targeting under a budget: the most profitable contact depth."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.campaign._uplift_metrics import uplift_curve
from crmine.evaluation import profit_curve
from crmine.exceptions import SchemaError

__all__ = ["CampaignProfit", "campaign_profit", "incremental_profit"]


@dataclass(frozen=True)
class CampaignProfit:
    """Most profitable contact depth found by :func:`campaign_profit`.

    Attributes
    ----------
    curve : pandas.DataFrame
        One row per number of contacts ``k = 0 .. n`` with ``depth``,
        ``contacted``, ``responders``, ``cost``, ``revenue``, ``profit``,
        ``min_score`` and ``within_budget``.
    contacted : int
        Optimal number of customers to contact (the top ``contacted`` scores).
    depth : float
        ``contacted / n``.
    responders : int or float
        Responders among them (estimated incremental responders for
        :func:`incremental_profit`).
    cost, revenue, profit : float
        Contact cost, response value and their difference at the optimum.
    min_score : float
        Lowest score contacted (NaN when nobody should be contacted).
    budget : float or None
        The budget the optimum respects.
    budget_binding : bool
        True when the unconstrained optimum costs more than ``budget``.
    """

    curve: pd.DataFrame
    contacted: int
    depth: float
    responders: int | float
    cost: float
    revenue: float
    profit: float
    min_score: float
    budget: float | None
    budget_binding: bool


def _check_budget(budget: Any) -> float | None:
    if budget is None:
        return None
    try:
        b = float(budget)
    except (TypeError, ValueError):
        raise SchemaError(f"budget must be a number >= 0 or None, got {budget!r}.") from None
    if math.isnan(b) or b < 0:
        raise SchemaError(f"budget must be a number >= 0 or None, got {budget!r}.")
    return b


def _check_cost(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SchemaError(f"{name} must be a finite number >= 0, got {value!r}.") from None
    if not np.isfinite(v) or v < 0:
        raise SchemaError(f"{name} must be a finite number >= 0, got {value!r}.")
    return v


def _optimum(curve: pd.DataFrame, budget: float | None, responders_col: str) -> CampaignProfit:
    within = curve["within_budget"].to_numpy()
    profit = curve["profit"].to_numpy()
    best_all = int(np.argmax(profit))  # first maximum = smallest depth
    best = int(np.argmax(np.where(within, profit, -np.inf)))
    row = curve.iloc[best]
    return CampaignProfit(
        curve=curve,
        contacted=int(row["contacted"]),
        depth=float(row["depth"]),
        responders=curve[responders_col].to_numpy()[best].item(),
        cost=float(row["cost"]),
        revenue=float(row["revenue"]),
        profit=float(row["profit"]),
        min_score=float(row["min_score"]),
        budget=budget,
        budget_binding=bool(not within[best_all]),
    )


def campaign_profit(
    score: Any,
    y: Any,
    cost_per_contact: float,
    value_per_response: float,
    budget: float | None = None,
) -> CampaignProfit:
    r"""Profit of contacting the top ``k`` customers, and the best ``k`` under a budget.

    Customers are contacted in descending ``score`` order (ties broken by
    input order, as in :func:`crmine.evaluation.profit_curve`), and

    .. math::

        \mathrm{profit}(k) = v \cdot \mathrm{responders}(k) - c \cdot k,
        \qquad \mathrm{cost}(k) = c \cdot k \le B

    with ``v = value_per_response``, ``c = cost_per_contact`` and budget
    ``B``.  The optimal depth maximises the profit among the depths within the
    budget; ties go to the smallest depth, and contacting nobody (profit 0)
    is allowed.  ``y`` are observed responses (a holdout or a past campaign),
    so this is the *realised* profit of the ranking, not an expectation.

    Parameters
    ----------
    score : array-like of shape (n,)
        Response score, higher = contact first.
    y : array-like of shape (n,)
        Observed 0/1 responses.
    cost_per_contact : float
        Cost of one contact (>= 0).
    value_per_response : float
        Margin of one response (>= 0).
    budget : float, optional
        Maximum total contact cost; ``None`` means no limit.

    Returns
    -------
    CampaignProfit

    Raises
    ------
    SchemaError
        Bad scores or responses (see :func:`crmine.evaluation.profit_curve`),
        negative costs or a negative budget.

    Examples
    --------
    >>> res = campaign_profit([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0], 1.0, 3.0)
    >>> res.contacted, res.profit
    (3, 3.0)
    >>> res = campaign_profit([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0], 1.0, 3.0, budget=2.0)
    >>> res.contacted, res.profit, res.budget_binding
    (1, 2.0, True)
    """
    pc = profit_curve(
        y, score, contact_cost=cost_per_contact, value_per_positive=value_per_response
    )
    budget = _check_budget(budget)
    cost = pc["contacted"].to_numpy() * float(cost_per_contact)
    revenue = pc["positives"].to_numpy() * float(value_per_response)
    within = np.ones(len(pc), dtype=bool) if budget is None else cost <= budget + 1e-9
    curve = pd.DataFrame(
        {
            "depth": pc["depth"].to_numpy(),
            "contacted": pc["contacted"].to_numpy(),
            "responders": pc["positives"].to_numpy(),
            "cost": cost,
            "revenue": revenue,
            "profit": pc["profit"].to_numpy(dtype=float),
            "min_score": pc["min_score"].to_numpy(),
            "within_budget": within,
        }
    )
    return _optimum(curve, budget, "responders")


def incremental_profit(
    uplift: Any,
    y: Any,
    treatment: Any,
    cost_per_contact: float,
    value_per_response: float,
    budget: float | None = None,
) -> CampaignProfit:
    r"""Incremental profit of contacting the top ``k`` by predicted uplift.

    A response model contacts the customers most likely to respond, many of
    whom would have responded anyway.  With an uplift model and a randomised
    test set, the responders *caused* by contacting the top ``k`` customers
    are estimated by the uplift curve (:func:`crmine.campaign.uplift_curve`)

    .. math::

        \Delta(k) = \left(\frac{Y_T(k)}{N_T(k)} - \frac{Y_C(k)}{N_C(k)}\right) k,
        \qquad
        \mathrm{profit}(k) = v\,\Delta(k) - c\,k,\quad c\,k \le B,

    evaluated where the predicted uplift changes (tied customers are
    contacted together).  The optimum is chosen as in
    :func:`campaign_profit`; contacting nobody is allowed.

    Parameters
    ----------
    uplift : array-like of shape (n,)
        Predicted uplift, higher = contact first.
    y : array-like of shape (n,)
        Observed 0/1 responses of a randomised test set.
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    cost_per_contact : float
        Cost of one contact (>= 0).
    value_per_response : float
        Margin of one incremental response (>= 0).
    budget : float, optional
        Maximum total contact cost; ``None`` means no limit.

    Returns
    -------
    CampaignProfit
        ``responders`` (and the curve's ``incremental_responders`` column)
        hold the estimated *incremental* responders.

    Examples
    --------
    >>> res = incremental_profit([0.4, 0.3, 0.2, 0.1], [1, 0, 0, 1], [1, 0, 1, 0], 0.2, 1.0)
    >>> res.contacted, round(res.responders, 2), round(res.profit, 2)
    (2, 2.0, 1.6)
    """
    cost_c = _check_cost("cost_per_contact", cost_per_contact)
    value = _check_cost("value_per_response", value_per_response)
    budget = _check_budget(budget)
    x, incr = uplift_curve(y, uplift, treatment)
    u = np.asarray(uplift, dtype=float).ravel()
    sorted_u = np.sort(u)[::-1]
    min_score = np.r_[np.nan, sorted_u[x[1:] - 1]] if x[0] == 0 else sorted_u[x - 1]
    cost = x * cost_c
    within = np.ones(x.size, dtype=bool) if budget is None else cost <= budget + 1e-9
    curve = pd.DataFrame(
        {
            "depth": x / u.size,
            "contacted": x,
            "incremental_responders": incr,
            "cost": cost,
            "revenue": incr * value,
            "profit": incr * value - cost,
            "min_score": min_score,
            "within_budget": within,
        }
    )
    return _optimum(curve, budget, "incremental_responders")
