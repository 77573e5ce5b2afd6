"""Model comparison: log-likelihood, information criteria and holdout error in one table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.exceptions import SchemaError
from crmine.lifetime._common import check_fitted
from crmine.lifetime._validation import holdout_report

__all__ = ["ModelComparison", "compare_models"]


@dataclass(frozen=True, repr=False)
class ModelComparison(Result):
    """One row per model: ``n_params``, ``log_likelihood``, ``aic``, ``bic`` and holdout errors.

    ``best_bic`` names the model with the lowest BIC (information criteria
    compare models fitted on the same customers only).

    Examples
    --------
    >>> import pandas as pd
    >>> ModelComparison(table=pd.DataFrame({"bic": [10.0]}, index=["BG/NBD"]),
    ...                 best_bic="BG/NBD", n_models=1)
    ModelComparison(best_bic='BG/NBD', n_models=1, table=1x1)
    """

    best_bic: str = ""
    n_models: int = 0


def compare_models(models: Mapping[str, Any], data: pd.DataFrame | None = None) -> ModelComparison:
    """Compare fitted lifetime models in one table.

    Parameters
    ----------
    models : mapping of str to fitted model
        E.g. ``{"BG/NBD": bg, "Pareto/NBD": pnbd, "MBG/NBD": mbg}``, fitted on
        the same customers.
    data : pandas.DataFrame, optional
        Output of :func:`calibration_holdout_split`: adds the holdout
        ``rmse``, ``mae``, ``correlation`` and ``total_error_pct`` of each
        transaction model.

    Returns
    -------
    ModelComparison
        ``.table`` indexed by model name, sorted by BIC.

    Examples
    --------
    >>> from crmine.lifetime import (BetaGeoModel, ModifiedBetaGeoModel, compare_models,
    ...                              simulate_btyd)
    >>> table = simulate_btyd(1000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       holdout=39.0, random_state=0)
    >>> table["holdout_duration"] = 39.0
    >>> cmp = compare_models({"BG/NBD": BetaGeoModel().fit(table),
    ...                       "MBG/NBD": ModifiedBetaGeoModel().fit(table)}, table)
    >>> list(cmp.table.columns[:4])
    ['n_params', 'n_customers', 'log_likelihood', 'aic']
    """
    if not isinstance(models, Mapping) or not models:
        raise SchemaError(
            "models must be a non-empty mapping {name: fitted model}. Fix: "
            "compare_models({'BG/NBD': bg, 'Pareto/NBD': pnbd})."
        )
    rows = {}
    for name, model in models.items():
        check_fitted(model)
        k = len(model.params_)
        n = int(getattr(model, "n_customers_", 0))
        ll = float(model.log_likelihood_)
        row = {
            "n_params": k,
            "n_customers": n,
            "log_likelihood": ll,
            "aic": 2 * k - 2 * ll,
            "bic": k * np.log(n) - 2 * ll if n else float("nan"),
        }
        if data is not None and hasattr(model, "predict_purchases"):
            rep = holdout_report(model, data)
            row.update(
                holdout_rmse=rep.rmse,
                holdout_mae=rep.mae,
                holdout_correlation=rep.correlation,
                holdout_total_error_pct=rep.total_error_pct,
            )
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index").sort_values("bic", kind="stable")
    table.index.name = "model"
    return ModelComparison(table=table, best_bic=str(table.index[0]), n_models=len(table))
