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


def _data_loglik(model: Any, family: str, data: Any) -> float:
    """The model's log-likelihood of ``data`` (to confirm it was fitted on it)."""
    if family == "spend":
        from crmine.lifetime._gamma_gamma import _gg_loglik

        x, z, _ = model._arrays(data, None)
        mask = x > 0
        return float(np.sum(_gg_loglik(model.params_.to_numpy(), x[mask], z[mask])))
    return float(np.sum(np.asarray(model.score_samples(data), dtype=float)))


def _check_same_data(models: Mapping[str, Any], family: str, data: Any) -> None:
    """Refuse models that were not fitted on the same customers (and on ``data``, if given)."""
    from crmine.lifetime._checking_kinds import survivors_of

    names = list(models)
    if family == "retention":
        fitted = {name: getattr(m, "_churned_active", None) for name, m in models.items()}
        if any(v is None for v in fitted.values()):
            raise SchemaError(
                "an sBG model with parameters set by hand has no data to compare on. Fix: fit "
                "every model with .fit(survivors)."
            )
        ref = fitted[names[0]]
        for name in names[1:]:
            other = fitted[name]
            if not all(a.shape == b.shape and np.allclose(a, b) for a, b in zip(ref, other)):
                raise SchemaError(
                    f"{name!r} and {names[0]!r} were fitted on different survivor counts; "
                    "information criteria compare models of the same data only. Fix: fit both "
                    "on the same cohort and periods."
                )
        if data is not None:
            for model in models.values():
                survivors_of(model, data)
        return
    n = {name: int(getattr(m, "n_customers_", 0)) for name, m in models.items()}
    if len(set(n.values())) > 1:
        raise SchemaError(
            f"the models were fitted on different numbers of customers ({n}); information "
            "criteria compare models of the same data only. Fix: fit every model on the same "
            "customer table."
        )
    if data is None:
        t_typ = {name: getattr(m, "T_typical_", None) for name, m in models.items()}
        if len({v for v in t_typ.values() if v is not None}) > 1:
            raise SchemaError(
                f"the models were fitted on different observation lengths (T_typical_ {t_typ}); "
                "information criteria compare models of the same data only."
            )
        return
    for name, model in models.items():
        ll = _data_loglik(model, family, data)
        if not np.isclose(ll, float(model.log_likelihood_), rtol=1e-6, atol=1e-6):
            raise SchemaError(
                f"{name!r} was not fitted on data: its log-likelihood of data is {ll:.6g}, its "
                f"fitted log-likelihood {float(model.log_likelihood_):.6g} (different customers, "
                "columns, or a fit with weights=). Fix: fit it on data, or compare without "
                "data= (the holdout columns then drop out)."
            )


def compare_models(models: Mapping[str, Any], data: Any = None) -> ModelComparison:
    """Compare fitted lifetime models of the same data in one table.

    Any mix of models of one kind works: continuous-time transaction models
    (BG/NBD, MBG/NBD, Pareto/NBD, with or without covariates), BG/BB models,
    Gamma-Gamma models, or sBG models.  Mixes of kinds are refused (their
    likelihoods are of different data: a BG/BB likelihood counts whole
    opportunities, a BG/NBD one continuous time), and so are models fitted on
    different data: different numbers of customers always; with ``data``,
    any model whose log-likelihood of ``data`` is not its fitted one; sBG
    models whose survivor counts differ.

    Parameters
    ----------
    models : mapping of str to fitted model
        E.g. ``{"BG/NBD": bg, "Pareto/NBD": pnbd, "MBG/NBD": mbg}``.
    data : pandas.DataFrame or array-like, optional
        What :func:`check_model` takes for these models: a
        :func:`calibration_holdout_split` (or :func:`simulate_btyd`) table for
        transaction and spend models, the survivor counts of all periods for
        sBG.  Adds the holdout errors of :func:`check_model`:
        ``holdout_mae`` and ``holdout_total_error_pct`` always,
        ``holdout_rmse`` and ``holdout_correlation`` for transaction and
        spend models.

    Returns
    -------
    ModelComparison
        ``.table`` indexed by model name, sorted by BIC, with ``n_params``
        (covariate coefficients included), ``n_customers``,
        ``log_likelihood``, ``aic``, ``bic`` and the holdout columns.

    Examples
    --------
    >>> from crmine.lifetime import (BetaGeoModel, ModifiedBetaGeoModel, compare_models,
    ...                              simulate_btyd)
    >>> table = simulate_btyd(1000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                       holdout=39.0, random_state=0)
    >>> cmp = compare_models({"BG/NBD": BetaGeoModel().fit(table),
    ...                       "MBG/NBD": ModifiedBetaGeoModel().fit(table)}, table)
    >>> list(cmp.table.columns[:4])
    ['n_params', 'n_customers', 'log_likelihood', 'aic']
    """
    from crmine.lifetime._checking import FAMILIES, model_family
    from crmine.lifetime._checking_kinds import _check_retention, _check_spend

    if not isinstance(models, Mapping) or not models:
        raise SchemaError(
            "models must be a non-empty mapping {name: fitted model}. Fix: "
            "compare_models({'BG/NBD': bg, 'Pareto/NBD': pnbd})."
        )
    families = {name: model_family(m) for name, m in models.items()}
    for model in models.values():
        check_fitted(model)
    kinds = sorted(set(families.values()))
    if len(kinds) > 1:
        by_kind = "; ".join(
            f"{FAMILIES[k]}: {[n for n, f in families.items() if f == k]}" for k in kinds
        )
        raise SchemaError(
            f"these models are not comparable ({by_kind}): their likelihoods are of different "
            "data, so log-likelihood, AIC and BIC cannot rank them. Fix: compare models of "
            "one kind."
        )
    family = kinds[0]
    _check_same_data(models, family, data)
    rows = {}
    for name, model in models.items():
        k = len(model.params_) + len(getattr(model, "coefficients_", ()))
        n = int(getattr(model, "n_customers_", 0))
        ll = float(model.log_likelihood_)
        row = {
            "n_params": k,
            "n_customers": n,
            "log_likelihood": ll,
            "aic": 2 * k - 2 * ll,
            "bic": k * np.log(n) - 2 * ll if n else float("nan"),
        }
        if data is not None:
            if family == "retention":
                chk = _check_retention(model, data)
                row.update(
                    holdout_mae=chk.holdout_mae,
                    holdout_total_error_pct=chk.holdout_total_error_pct,
                )
            else:
                rep = (
                    _check_spend(model, data, 7).holdout
                    if family == "spend"
                    else holdout_report(model, data)
                )
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
