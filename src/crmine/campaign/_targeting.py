"""Targeting under a budget: the most profitable contact depth (response and uplift).

Both helpers use crmine's one profit optimiser,
:func:`crmine.evaluation.best_contact_depth` (its ``_optimum``):
:func:`campaign_profit` is a thin wrapper for response scores,
:func:`incremental_profit` feeds it the uplift curve.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from crmine.campaign._uplift_metrics import uplift_curve
from crmine.evaluation._profit import ContactDepth, _check_budget, _optimum, best_contact_depth
from crmine.exceptions import SchemaError
from crmine.utils._validation import check_binary, check_money

__all__ = ["CampaignProfit", "campaign_profit", "incremental_profit"]

#: The result of :func:`campaign_profit` / :func:`incremental_profit` (one class).
CampaignProfit = ContactDepth


def _is_binary(values: Any) -> bool:
    try:
        check_binary(values)
    except (SchemaError, TypeError, ValueError):
        return False
    return True


def _legacy_order(first: Any, second: Any, func: str, new: str) -> bool:
    """True when a call uses the old ``(score, y, ...)`` order: warn once and swap."""
    if _is_binary(first) or not _is_binary(second):
        return False
    warnings.warn(
        f"{func}(score, y, ...) is the old argument order; the outcome comes first now: "
        f"{new}. The call was read in the old order.",
        FutureWarning,
        stacklevel=4,
    )
    return True


def _money_by_keyword(n_data: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Read the old positional ``cost, value, budget`` (after ``n_data`` arguments), warning."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > n_data:
                names = ("cost_per_contact", "value_per_response", "budget")
                extra = args[n_data:]
                if len(extra) > len(names):
                    raise TypeError(f"{fn.__name__}() takes {n_data} data arguments and money.")
                warnings.warn(
                    f"{fn.__name__}: pass the money by keyword "
                    f"({', '.join(f'{n}=...' for n in names[: len(extra)])}); positional money "
                    "is the old calling convention.",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs.update(zip(names, extra))
                args = args[:n_data]
            return fn(*args, **kwargs)

        return wrapper

    return decorate


@_money_by_keyword(2)
def campaign_profit(
    y_true: Any,
    y_score: Any,
    *,
    cost_per_contact: float,
    value_per_response: float,
    budget: float | None = None,
) -> ContactDepth:
    r"""Profit of contacting the top ``k`` customers, and the best ``k`` under a budget.

    A thin wrapper of :func:`crmine.evaluation.best_contact_depth` (the one
    profit optimiser): customers are contacted in descending ``y_score``
    order (ties broken by input order) and

    .. math::

        \mathrm{profit}(k) = v \cdot \mathrm{responders}(k) - c \cdot k,
        \qquad \mathrm{cost}(k) = c \cdot k \le B

    with ``v = value_per_response``, ``c = cost_per_contact`` and budget
    ``B``; ties go to the smallest depth, and contacting nobody (profit 0) is
    allowed.  ``y_true`` are observed responses (a hold-out or a past
    campaign), so this is the *realised* profit of the ranking.

    The old calling convention ``campaign_profit(score, y, cost, value)`` is
    still read, with a ``FutureWarning``: money given by position, and the
    order ``(score, y)`` when ``y_true`` is not binary but ``y_score`` is.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Observed 0/1 responses.
    y_score : array-like of shape (n,)
        Response score, higher = contact first.
    cost_per_contact : float
        Cost of one contact (>= 0).
    value_per_response : float
        Margin of one response (>= 0).
    budget : float, optional
        Maximum total contact cost; ``None`` means no limit.

    Returns
    -------
    ContactDepth
        (also importable as ``CampaignProfit``) with ``contacted``,
        ``depth``, ``responders`` (= ``positives``), ``cost``, ``revenue``,
        ``profit``, ``min_score``, ``budget``, ``budget_binding`` and the
        curve (``.table``, also ``.curve``).

    Raises
    ------
    SchemaError
        Bad scores or responses, negative money or a negative budget.

    Examples
    --------
    >>> money = {"cost_per_contact": 1.0, "value_per_response": 3.0}
    >>> res = campaign_profit([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], **money)
    >>> res.contacted, res.profit
    (3, 3.0)
    >>> res = campaign_profit([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], **money, budget=2.0)
    >>> res.contacted, res.profit, res.budget_binding
    (1, 2.0, True)
    """
    if _legacy_order(
        y_true, y_score, "campaign_profit", "campaign_profit(y_true, y_score, cost, value)"
    ):
        y_true, y_score = y_score, y_true
    return best_contact_depth(
        y_true,
        y_score,
        cost_per_contact=cost_per_contact,
        value_per_response=value_per_response,
        budget=budget,
    )


@_money_by_keyword(3)
def incremental_profit(
    y_true: Any,
    y_score: Any,
    treatment: Any,
    *,
    cost_per_contact: float,
    value_per_response: float,
    budget: float | None = None,
) -> ContactDepth:
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
    :func:`campaign_profit`; contacting nobody is allowed.  The old calling
    convention ``(uplift, y, treatment, cost, value)`` is still read, with a
    ``FutureWarning``, when ``y_true`` is not binary but ``y_score`` is.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Observed 0/1 responses of a randomised test set.
    y_score : array-like of shape (n,)
        Predicted uplift, higher = contact first.
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
    ContactDepth
        ``positives``/``responders`` (and the curve's
        ``incremental_responders`` column) hold the estimated *incremental*
        responders.

    Examples
    --------
    >>> res = incremental_profit(
    ...     [1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0],
    ...     cost_per_contact=0.2, value_per_response=1.0,
    ... )
    >>> res.contacted, round(res.responders, 2), round(res.profit, 2)
    (2, 2.0, 1.6)
    """
    if _legacy_order(
        y_true,
        y_score,
        "incremental_profit",
        "incremental_profit(y_true, uplift, treatment, cost, value)",
    ):
        y_true, y_score = y_score, y_true
    cost_c = check_money(cost_per_contact, name="cost_per_contact")
    value = check_money(value_per_response, name="value_per_response")
    budget = _check_budget(budget)
    x, incr = uplift_curve(y_true, y_score, treatment)
    u = np.asarray(y_score, dtype=float).ravel()
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
