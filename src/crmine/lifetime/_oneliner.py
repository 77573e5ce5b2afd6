"""The lifetime-value one-liner: transaction model + spend model -> one table per customer."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from crmine.exceptions import SchemaError
from crmine.lifetime._bgnbd import BetaGeoModel
from crmine.lifetime._common import FREQUENCY_COL, MONETARY_COL, RECENCY_COL, T_COL
from crmine.lifetime._gamma_gamma import GammaGammaModel
from crmine.lifetime._pareto import ParetoNBDModel
from crmine.utils._validation import check_money, check_rate, horizon_in_units, to_pandas

__all__ = ["fit_clv"]

_MODELS = {"bgnbd": BetaGeoModel, "pareto": ParetoNBDModel}


def fit_clv(
    customers: Any,
    *,
    horizon: float | str,
    time_unit: Literal["D", "W"] = "D",
    model: Literal["bgnbd", "pareto"] = "bgnbd",
    monetary_value: float | None = None,
    period_length: float = 1.0,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    penalizer: float = 0.0,
    frequency_col: str = FREQUENCY_COL,
    recency_col: str = RECENCY_COL,
    T_col: str = T_COL,
    monetary_col: str = MONETARY_COL,
) -> pd.DataFrame:
    """Fit BG/NBD (or Pareto/NBD) and Gamma-Gamma and value every customer.

    Parameters
    ----------
    customers : DataFrame (pandas, polars or pyarrow)
        Customer table indexed by customer id with the BTYD summary columns
        (as written by :class:`crmine.TransactionFeatures` or
        :func:`calibration_holdout_split`), in one time unit.
    horizon : float or str
        Forecast window: a number in the table's ``time_unit``, or a string with
        its unit (``"365D"``, ``"52W"``), converted.
    time_unit : {"D", "W"}, default="D"
        The unit of the table's recency and T columns (``TransactionFeatures``'
        ``time_unit``; days by default).
    model : {"bgnbd", "pareto"}, default="bgnbd"
        The transaction model.
    monetary_value : float, optional
        A fixed spend per purchase instead of a Gamma-Gamma fit (then
        ``monetary_col`` is not needed).
    period_length, discount_rate : float
        Discounting period (in the time unit) and rate per period.
    margin : float, default=1.0
        Profit margin, a rate in [0, 1].
    penalizer : float, default=0.0
        L2 penalty of both fits.
    frequency_col, recency_col, T_col, monetary_col : str
        Column names of the customer table.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``expected_purchases`` (over ``horizon``),
        ``proba_alive``, ``expected_spend`` (per purchase) and ``clv``
        (discounted, times ``margin``).  ``attrs`` holds the fitted models
        (``"transaction_model"``, ``"spend_model"``).

    Raises
    ------
    SchemaError
        Missing or invalid columns; a Gamma-Gamma fit with an infinite mean
        spend (``q <= 1``), where a CLV would be meaningless.

    Examples
    --------
    >>> from crmine.lifetime import fit_clv, simulate_btyd
    >>> table = simulate_btyd(500, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       random_state=0)
    >>> out = fit_clv(table, horizon=52.0, time_unit="W", monetary_value=20.0)
    >>> list(out.columns)
    ['expected_purchases', 'proba_alive', 'expected_spend', 'clv']
    >>> same = fit_clv(table, horizon="364D", time_unit="W", monetary_value=20.0)
    >>> bool((same["clv"] == out["clv"]).all())
    True
    """
    if model not in _MODELS:
        raise SchemaError(f"model must be 'bgnbd' or 'pareto', got {model!r}. Fix: model='bgnbd'.")
    check_rate(margin, name="margin")
    horizon = horizon_in_units(horizon, time_unit)
    customers = to_pandas(customers, name="customers", allow_arrays=False)
    tm = _MODELS[model](
        penalizer=penalizer, frequency_col=frequency_col, recency_col=recency_col, T_col=T_col,
        time_unit=time_unit,
    ).fit(customers)
    if monetary_value is None:
        sm: Any = GammaGammaModel(
            penalizer=penalizer, frequency_col=frequency_col, monetary_col=monetary_col
        ).fit(customers)
        spend = sm.predict_spend(customers)
        value: Any = sm
    else:
        sm = None
        value = check_money(monetary_value, name="monetary_value")
        spend = pd.Series(value, index=customers.index, name="expected_spend")
    clv = tm.predict_clv(
        customers,
        monetary_value=value,
        horizon=horizon,
        period_length=period_length,
        discount_rate=discount_rate,
        margin=margin,
    )
    out = pd.DataFrame(
        {
            "expected_purchases": tm.predict_purchases(customers, t=horizon),
            "proba_alive": tm.predict_proba_alive(customers),
            "expected_spend": spend,
            "clv": clv,
        },
        index=customers.index,
    )
    out.attrs["transaction_model"] = tm
    out.attrs["spend_model"] = sm
    return out
