"""Survival data from a non-contractual customer table by an inactivity rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.lifetime._common import check_nonneg_float
from crmine.utils._validation import read_customer_table, to_pandas

__all__ = ["inactivity_churn_table"]


def inactivity_churn_table(
    customers: pd.DataFrame,
    *,
    inactivity_days: float,
    recency_col: str = "recency_days",
    tenure_col: str = "tenure_days",
) -> pd.DataFrame:
    """Turn a non-contractual customer table into survival data by an inactivity rule.

    In retail nobody cancels: a customer is declared churned when their last
    purchase is more than ``inactivity_days`` before the cutoff.  Churned
    customers get ``duration_days`` = first to last purchase (the churn is
    dated at the last purchase) and ``churned = 1``; the others are
    right-censored at their tenure (first purchase to cutoff), ``churned = 0``.

    Known biases of this definition (state them with any result):

    * misclassification: a slow buyer with a natural gap longer than the
      threshold counts as churned, a customer who left recently as alive;
    * customers whose tenure is shorter than ``inactivity_days`` can never be
      churned, so young cohorts look more loyal;
    * churned durations stop at the last purchase while censored ones run to
      the cutoff, so lifetimes of churners are understated by up to the
      threshold; short thresholds inflate churn, long ones delay it.

    The buy-till-you-die models (:class:`BetaGeoModel`,
    :class:`ParetoNBDModel`) avoid the threshold altogether.

    Parameters
    ----------
    customers : pandas.DataFrame
        Customer table with recency and tenure columns in days (from
        :class:`crmine.features.TransactionFeatures`).
    inactivity_days : float
        Inactivity threshold in days (> 0).
    recency_col, tenure_col : str
        Columns holding days since the last purchase and since the first one.

    Returns
    -------
    pandas.DataFrame
        A copy of ``customers`` with columns ``duration_days`` and ``churned``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.lifetime import inactivity_churn_table
    >>> table = pd.DataFrame({"recency_days": [10, 200], "tenure_days": [300, 400]},
    ...                      index=pd.Index(["a", "b"], name="customer_id"))
    >>> inactivity_churn_table(table, inactivity_days=90)[["duration_days", "churned"]]
                 duration_days  churned
    customer_id
    a                      300        0
    b                      200        1
    """
    days = check_nonneg_float(inactivity_days, "inactivity_days", positive=True)
    customers = to_pandas(customers, name="customers", allow_arrays=False)
    table, _ = read_customer_table(
        customers,
        {"recency": recency_col, "tenure": tenure_col},
        what="inactivity_churn_table",
    )
    rec = table["recency"].to_numpy()
    ten = table["tenure"].to_numpy()
    if (rec < 0).any() or (rec > ten + 1e-9).any():
        raise SchemaError(
            f"need 0 <= {recency_col} <= {tenure_col}; found recency "
            f"{rec[(rec < 0) | (rec > ten + 1e-9)][0]!r}. Fix: both are in days, recency since "
            "the last purchase and tenure since the first one (crmine.TransactionFeatures)."
        )
    churned = rec > days
    out = customers.copy()
    out["duration_days"] = np.where(churned, ten - rec, ten).astype(customers[tenure_col].dtype)
    out["churned"] = churned.astype(np.int64)
    return out
