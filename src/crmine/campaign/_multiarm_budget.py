"""Budget allocation across several treatment arms (one arm at most per customer)."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.exceptions import SchemaError
from crmine.utils._validation import check_money, show_values

__all__ = ["ArmAllocation", "allocate_arms"]


@dataclass(frozen=True, repr=False)
class ArmAllocation(Result):
    """Assignment of at most one arm per customer (result of :func:`allocate_arms`).

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by customer id: ``arm`` (the ``control`` label = not
        contacted), ``expected_uplift``, ``cost`` and ``expected_profit``.
    contacted : int
        Customers given an arm.
    cost, expected_responders, expected_profit : float
        Totals of the assignment (expected incremental responders).
    budget : float or None
        The budget (None = unlimited).

    Examples
    --------
    >>> import pandas as pd
    >>> u = pd.DataFrame({"mail": [0.10, 0.02], "sms": [0.04, 0.08]})
    >>> res = allocate_arms(u, 1.0, 20.0, control="none")
    >>> res.contacted, round(res.expected_profit, 2)
    (2, 1.6)
    >>> res.per_arm()["customers"].to_dict()
    {'mail': 1, 'sms': 1}
    """

    contacted: int = 0
    cost: float = 0.0
    expected_responders: float = 0.0
    expected_profit: float = 0.0
    budget: float | None = None

    def per_arm(self) -> pd.DataFrame:
        """Customers, cost, expected responders and profit per arm."""
        g = self.table.groupby("arm", sort=True)
        return pd.DataFrame(
            {
                "customers": g.size(),
                "cost": g["cost"].sum(),
                "expected_responders": g["expected_uplift"].sum(),
                "expected_profit": g["expected_profit"].sum(),
            }
        )


def _arm_costs(cost_per_contact: Any, arms: list[Any]) -> np.ndarray:
    if isinstance(cost_per_contact, dict):
        missing = [a for a in arms if a not in cost_per_contact]
        if missing:
            raise SchemaError(
                f"cost_per_contact has no cost for arm(s) {show_values(missing)}. Fix: "
                "pass a cost for every arm or one number for all."
            )
        return np.array(
            [check_money(cost_per_contact[a], name=f"cost_per_contact[{a!r}]") for a in arms]
        )
    return np.full(len(arms), check_money(cost_per_contact, name="cost_per_contact"))


def _fill(
    pick: np.ndarray, on: np.ndarray, profit: np.ndarray, c: np.ndarray, budget: float
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy use of the budget left by the Lagrangian step (one customer change at a time)."""
    pick, on = pick.copy(), on.copy()
    rows = np.arange(len(pick))
    for _ in range(len(pick) * profit.shape[1]):
        cur_p = np.where(on, profit[rows, pick], 0.0)
        cur_c = np.where(on, c[pick], 0.0)
        left = budget - cur_c.sum()
        gain = profit - cur_p[:, None]
        extra = c[None, :] - cur_c[:, None]
        gain[(extra > left + 1e-9) | (gain <= 1e-12)] = -np.inf
        i, a = np.unravel_index(np.argmax(gain), gain.shape)
        if not np.isfinite(gain[i, a]):
            break
        pick[i], on[i] = a, True
    return pick, on


def allocate_arms(
    y_score: pd.DataFrame,
    cost_per_contact: float | dict[Any, float],
    value_per_response: float,
    budget: float | None = None,
    *,
    control: Any = 0,
) -> ArmAllocation:
    r"""Give each customer at most one arm to maximise the expected profit within a budget.

    The expected profit of giving arm ``a`` to customer ``i`` is
    :math:`v\,u_{ia} - c_a` (``v = value_per_response``, ``c_a`` the arm's
    ``cost_per_contact``, :math:`u_{ia}` the predicted uplift).  Without a
    budget every customer gets the arm of the largest positive profit (the
    exact optimum).  With a budget the Lagrangian relaxation is solved by
    bisection: each customer takes the arm maximising
    :math:`v\,u_{ia} - (1 + \lambda) c_a` (nobody when negative), with the
    smallest :math:`\lambda \ge 0` whose total cost fits; that assignment is
    optimal among all assignments that cost at most what it costs.  The rest
    of the budget is then filled greedily: while some change of one
    customer's arm (or a first contact) raises the profit and fits in the
    remaining budget, the one with the largest profit gain is made.  The
    problem is a multiple-choice knapsack (NP-hard in general); the
    relaxation's gap is at most the profit of the customers at the
    breakpoint, negligible for large lists.

    Parameters
    ----------
    y_score : pandas.DataFrame
        Predicted uplift, one column per arm (e.g. :meth:`MultiArmUplift.predict`),
        indexed by customer id.
    cost_per_contact : float or dict
        Cost of one contact, the same for all arms or per arm.
    value_per_response : float
        Margin of one incremental response.
    budget : float, optional
        Maximum total contact cost; ``None`` means no limit.
    control : object, default 0
        Label written for customers who get no arm.

    Returns
    -------
    ArmAllocation

    Examples
    --------
    >>> import pandas as pd
    >>> u = pd.DataFrame({"mail": [0.10, 0.02, 0.05], "sms": [0.04, 0.08, 0.01]},
    ...                  index=pd.Index([1, 2, 3], name="customer_id"))
    >>> res = allocate_arms(u, {"mail": 1.0, "sms": 0.5}, 20.0, control="none")
    >>> res.table["arm"].tolist()
    ['mail', 'sms', 'none']
    >>> res = allocate_arms(u, {"mail": 1.0, "sms": 0.5}, 20.0, budget=1.0, control="none")
    >>> res.table["arm"].tolist(), round(res.expected_profit, 2)
    (['sms', 'sms', 'none'], 1.4)
    """
    if not isinstance(y_score, pd.DataFrame) or y_score.shape[1] == 0 or len(y_score) == 0:
        raise SchemaError(
            "y_score must be a non-empty DataFrame of predicted uplift with one column per arm "
            "(customers as rows), e.g. MultiArmUplift.predict(X)."
        )
    arms = list(y_score.columns)
    u = y_score.to_numpy(dtype=float)
    if not np.isfinite(u).all():
        raise SchemaError(
            f"y_score has {int((~np.isfinite(u)).sum())} missing or infinite value(s); "
            "predict every customer."
        )
    c = _arm_costs(cost_per_contact, arms)
    v = check_money(value_per_response, name="value_per_response")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, Real):
            raise SchemaError(f"budget must be a number >= 0 or None, got {budget!r}.")
        budget = check_money(budget, name="budget")

    def choose(lam: float) -> tuple[np.ndarray, np.ndarray]:
        score = v * u - (1.0 + lam) * c
        pick = np.argmax(score, axis=1)
        best = score[np.arange(len(u)), pick]
        return pick, best > 0

    pick, on = choose(0.0)
    if budget is not None and c[pick[on]].sum() > budget + 1e-9:
        lo, hi = 0.0, 1.0
        while c[choose(hi)[0][choose(hi)[1]]].sum() > budget + 1e-9 and hi < 1e12:
            hi *= 2.0
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            p, o = choose(mid)
            if c[p[o]].sum() > budget + 1e-9:
                lo = mid
            else:
                hi = mid
        pick, on = choose(hi)
        pick, on = _fill(pick, on, v * u - c, c, budget)
    labels = np.asarray(arms, dtype=object)[pick]
    chosen_u = np.where(on, u[np.arange(len(u)), pick], 0.0)
    cost = np.where(on, c[pick], 0.0)
    table = pd.DataFrame(
        {
            "arm": np.where(on, labels, np.asarray([control], dtype=object)),
            "expected_uplift": chosen_u,
            "cost": cost,
            "expected_profit": v * chosen_u - cost,
        },
        index=y_score.index,
    )
    return ArmAllocation(
        table=table,
        contacted=int(on.sum()),
        cost=float(cost.sum()),
        expected_responders=float(chosen_u.sum()),
        expected_profit=float((v * chosen_u - cost).sum()),
        budget=budget,
    )
