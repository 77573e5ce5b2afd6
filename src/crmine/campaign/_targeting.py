"""Targeting under a budget: the most profitable contact depth."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.evaluation import profit_curve
from crmine.exceptions import SchemaError

__all__ = ["CampaignProfit", "campaign_profit"]


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
    responders : int
        Responders among them.
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
    responders: int
    cost: float
    revenue: float
    profit: float
    min_score: float
    budget: float | None
    budget_binding: bool


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
    if budget is not None:
        try:
            b = float(budget)
        except (TypeError, ValueError):
            raise SchemaError(f"budget must be a number >= 0 or None, got {budget!r}.") from None
        if math.isnan(b) or b < 0:
            raise SchemaError(f"budget must be a number >= 0 or None, got {budget!r}.")
        budget = b
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
    profit = curve["profit"].to_numpy()
    best_all = int(np.argmax(profit))
    best = int(np.argmax(np.where(within, profit, -np.inf)))
    row = curve.iloc[best]
    return CampaignProfit(
        curve=curve,
        contacted=int(row["contacted"]),
        depth=float(row["depth"]),
        responders=int(row["responders"]),
        cost=float(row["cost"]),
        revenue=float(row["revenue"]),
        profit=float(row["profit"]),
        min_score=float(row["min_score"]),
        budget=budget,
        budget_binding=bool(not within[best_all]),
    )
