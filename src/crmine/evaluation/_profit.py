"""Profit at a contact depth: the one profit optimiser of crmine.

Contacting the ``k`` customers with the highest scores costs
``k * cost_per_contact`` and earns ``value_per_response`` per positive reached
(a responder of a campaign, a churner saved by a retention offer).
:func:`profit_curve` tabulates it for every ``k``; :func:`best_contact_depth`
returns the most profitable depth within an optional budget.  The campaign
helpers (:func:`crmine.campaign.campaign_profit`,
:func:`crmine.campaign.incremental_profit`) use the same optimiser
(:func:`_optimum`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.evaluation._ranking import _check_y_score, _descending_order
from crmine.exceptions import SchemaError
from crmine.utils._validation import check_money

__all__ = ["ContactDepth", "best_contact_depth", "profit_curve"]


@dataclass(frozen=True, repr=False)
class ContactDepth(Result):
    """The most profitable contact depth (see :func:`best_contact_depth`).

    Attributes
    ----------
    table : pandas.DataFrame
        The profit curve: one row per number of contacts ``k = 0 .. n`` with
        ``depth``, ``contacted``, ``positives`` (``incremental_responders``
        for :func:`crmine.campaign.incremental_profit`), ``cost``,
        ``revenue``, ``profit``, ``min_score`` and ``within_budget``.
    contacted : int
        Optimal number of customers to contact (the top ``contacted`` scores).
    depth : float
        ``contacted / n``.
    positives : int or float
        Positives among them (estimated incremental responders for uplift).
    cost, revenue, profit : float
        Contact cost, value of the positives and their difference at the optimum.
    min_score : float
        Lowest score contacted (NaN when nobody should be contacted): contact
        customers with ``y_score >= min_score``, up to ties.
    budget : float or None
        The budget the optimum respects.
    budget_binding : bool
        True when the unconstrained optimum costs more than ``budget``.

    Examples
    --------
    >>> best = best_contact_depth(
    ...     [1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], cost_per_contact=1, value_per_response=3
    ... )
    >>> best
    ContactDepth(contacted=3, depth=0.75, profit=3, budget_binding=False, table=5x8)
    """

    contacted: int
    depth: float
    positives: int | float
    cost: float
    revenue: float
    profit: float
    min_score: float
    budget: float | None
    budget_binding: bool

    def _headline(self) -> dict[str, Any]:
        return {
            "contacted": self.contacted,
            "depth": self.depth,
            "profit": self.profit,
            "budget_binding": self.budget_binding,
        }

    @property
    def curve(self) -> pd.DataFrame:
        """The profit curve (same as ``table``)."""
        return self.table

    @property
    def responders(self) -> int | float:
        """Positives contacted (the campaign name of ``positives``)."""
        return self.positives


def _check_budget(budget: Any) -> float | None:
    if budget is None:
        return None
    if isinstance(budget, (bool, np.bool_)) or not isinstance(budget, (int, float, np.number)):
        raise SchemaError(f"budget must be a number >= 0 or None, got {budget!r}.")
    b = float(budget)
    if math.isnan(b) or b < 0:
        raise SchemaError(f"budget must be a number >= 0 or None, got {budget!r}.")
    return b


def _optimum(curve: pd.DataFrame, budget: float | None, positives_col: str) -> ContactDepth:
    """The row of ``curve`` with the highest profit within the budget (ties: fewest contacts)."""
    within = curve["within_budget"].to_numpy()
    profit = curve["profit"].to_numpy()
    best_all = int(np.argmax(profit))  # first maximum = smallest depth
    best = int(np.argmax(np.where(within, profit, -np.inf)))
    return ContactDepth(
        table=curve,
        contacted=int(curve["contacted"].to_numpy()[best]),
        depth=float(curve["depth"].to_numpy()[best]),
        positives=curve[positives_col].to_numpy()[best].item(),
        cost=float(curve["cost"].to_numpy()[best]),
        revenue=float(curve["revenue"].to_numpy()[best]),
        profit=float(profit[best]),
        min_score=float(curve["min_score"].to_numpy()[best]),
        budget=budget,
        budget_binding=bool(not within[best_all]),
    )


def profit_curve(
    y_true: Any,
    y_score: Any,
    *,
    cost_per_contact: float,
    value_per_response: float,
    budget: float | None = None,
) -> pd.DataFrame:
    r"""Profit of contacting the top ``k`` customers by score, for every ``k``.

    .. math::

        \mathrm{profit}(k) = v \cdot \mathrm{positives}(k) - c \cdot k

    where ``positives(k)`` counts positives among the ``k`` highest scores
    (ties broken stably by input order), ``v = value_per_response`` and
    ``c = cost_per_contact``.  For churn, ``value_per_response`` is the value
    saved per churner reached (retention value times the success rate of the
    offer); for campaigns, the margin per response.  ``y_true`` are observed
    outcomes (a hold-out or a past campaign), so this is the *realised*
    profit of the ranking.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome, 1 = positive.
    y_score : array-like of shape (n_customers,)
        Finite score, higher = contact first.
    cost_per_contact : float
        Cost of contacting one customer (>= 0).
    value_per_response : float
        Value gained per positive contacted (>= 0).
    budget : float, optional
        Maximum total contact cost; marks the rows in ``within_budget``.

    Returns
    -------
    pandas.DataFrame
        ``n + 1`` rows (``k = 0 .. n``) with ``depth`` (``k / n``),
        ``contacted`` (``k``), ``positives``, ``cost``, ``revenue``,
        ``profit``, ``min_score`` (score of the ``k``-th customer, NaN for
        ``k = 0``) and ``within_budget``.

    See Also
    --------
    best_contact_depth : the row with the highest profit.

    Examples
    --------
    >>> from crmine.evaluation import profit_curve
    >>> pc = profit_curve(
    ...     [1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], cost_per_contact=1, value_per_response=3
    ... )
    >>> pc[["contacted", "positives", "profit"]]
       contacted  positives  profit
    0          0          0     0.0
    1          1          1     2.0
    2          2          1     1.0
    3          3          2     3.0
    4          4          2     2.0
    """
    y, s = _check_y_score(y_true, y_score, require_positive=False)
    cost = check_money(cost_per_contact, name="cost_per_contact")
    value = check_money(value_per_response, name="value_per_response")
    b = _check_budget(budget)
    n = len(y)
    order = _descending_order(s)
    k = np.arange(n + 1, dtype=np.int64)
    positives = np.concatenate(([0], np.cumsum(y[order]))).astype(np.int64)
    spend = k * cost
    return pd.DataFrame(
        {
            "depth": k / n,
            "contacted": k,
            "positives": positives,
            "cost": spend,
            "revenue": positives * value,
            "profit": positives * value - spend,
            "min_score": np.concatenate(([np.nan], s[order])),
            "within_budget": np.ones(n + 1, dtype=bool) if b is None else spend <= b + 1e-9,
        }
    )


def best_contact_depth(
    y_true: Any,
    y_score: Any,
    *,
    cost_per_contact: float,
    value_per_response: float,
    budget: float | None = None,
) -> ContactDepth:
    """Most profitable number of customers to contact, within an optional budget.

    The profit of every depth is :func:`profit_curve`; the optimum maximises
    it among the depths whose cost is within ``budget``.  Ties go to the
    smallest depth (contact fewer customers for the same profit) and
    contacting nobody (profit 0) is a valid answer.

    Parameters
    ----------
    y_true : array-like of shape (n_customers,)
        Binary outcome, 1 = positive.
    y_score : array-like of shape (n_customers,)
        Finite score, higher = contact first.
    cost_per_contact : float
        Cost of contacting one customer (>= 0).
    value_per_response : float
        Value gained per positive contacted (>= 0).
    budget : float, optional
        Maximum total contact cost; ``None`` means no limit.

    Returns
    -------
    ContactDepth
        ``contacted``, ``depth``, ``positives``, ``cost``, ``revenue``,
        ``profit``, ``min_score``, ``budget``, ``budget_binding`` and the
        curve as ``.table``.

    Examples
    --------
    >>> from crmine.evaluation import best_contact_depth
    >>> best = best_contact_depth(
    ...     [1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], cost_per_contact=1, value_per_response=3
    ... )
    >>> best.contacted, best.profit
    (3, 3.0)
    >>> best_contact_depth(
    ...     [1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], cost_per_contact=1, value_per_response=3,
    ...     budget=2,
    ... ).contacted
    1
    """
    curve = profit_curve(
        y_true,
        y_score,
        cost_per_contact=cost_per_contact,
        value_per_response=value_per_response,
        budget=budget,
    )
    return _optimum(curve, _check_budget(budget), "positives")
