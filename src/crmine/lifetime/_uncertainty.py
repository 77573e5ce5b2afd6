"""Parameter uncertainty of the BTYD models: standard errors and prediction intervals."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.lifetime._common import FitSummary, fit_summary
from crmine.utils._validation import check_rate

__all__ = ["ParameterUncertaintyMixin"]


class ParameterUncertaintyMixin:
    """``summary`` (observed information) and ``predict_interval`` (parametric bootstrap)."""

    def summary(self, level: float = 0.95) -> FitSummary:
        """Parameter estimates with standard errors and confidence intervals.

        Standard errors come from the observed information (the numerical
        Hessian of the log-likelihood at the optimum, in log-parameters) by the
        delta method; intervals are symmetric on the log scale, so they stay
        positive.  A boundary fit (flat likelihood) gives NaN errors.

        Parameters
        ----------
        level : float, default=0.95
            Confidence level of the intervals.

        Returns
        -------
        FitSummary
            ``.table``: one row per parameter with ``estimate``, ``std_error``,
            ``lower_95``, ``upper_95``; fields ``log_likelihood``,
            ``n_customers``, ``aic``, ``bic``.

        Examples
        --------
        >>> from crmine.lifetime import BetaGeoModel, simulate_btyd
        >>> table = simulate_btyd(2000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
        ...                       random_state=0)
        >>> s = BetaGeoModel().fit(table).summary()
        >>> list(s.table.columns)
        ['estimate', 'std_error', 'lower_95', 'upper_95']
        >>> bool((s.table["lower_95"] < s.table["estimate"]).all())
        True
        """
        self._check_fitted()
        level = check_rate(level, name="level")
        cov = getattr(self, "log_params_covariance_", None)
        out = fit_summary(
            self, None if cov is None else cov.to_numpy(), level, getattr(self, "n_customers_", 0)
        )
        coef = getattr(self, "coefficients_", None)
        if not getattr(self, "features", None) or coef is None:
            return out
        # covariate coefficients: Wald intervals on their own (linear) scale
        from scipy.stats import norm

        se = self.standard_errors_.reindex(coef.index).to_numpy()
        q = norm.ppf(0.5 + level / 2.0)
        pct = f"{100 * level:g}"
        rows = pd.DataFrame(
            {
                "estimate": coef.to_numpy(),
                "std_error": se,
                f"lower_{pct}": coef.to_numpy() - q * se,
                f"upper_{pct}": coef.to_numpy() + q * se,
            },
            index=pd.Index(list(coef.index), name="parameter"),
        )
        k = len(self.params_) + len(coef)
        n = out.n_customers
        return dataclasses.replace(
            out,
            table=pd.concat([out.table, rows]),
            aic=2 * k - 2 * out.log_likelihood,
            bic=k * np.log(n) - 2 * out.log_likelihood if n else float("nan"),
        )

    def predict_interval(
        self,
        frequency: Any,
        recency: Any = None,
        T: Any = None,
        *,
        what: str = "purchases",
        t: float | None = None,
        level: float = 0.9,
        n_draws: int = 200,
        random_state: Any = None,
        **clv_kwargs: Any,
    ) -> pd.DataFrame:
        """Customer-level predictions with intervals from parameter uncertainty.

        Method: parametric bootstrap of the parameters -- ``n_draws`` draws of
        the log-parameters from their asymptotic normal distribution (the
        estimate and the inverse observed information, see :meth:`summary`);
        for a model with covariates (``features=``) the whole vector -- the
        log base parameters and all coefficients -- is drawn jointly from
        ``covariance_all_``, so the uncertainty of the covariate effects widens
        the intervals too;
        the prediction is recomputed for each draw and the interval is given
        by the draws' quantiles.  It covers the uncertainty of the estimated
        population, not the Poisson noise of a customer's future purchases.

        Parameters
        ----------
        frequency, recency, T : array-like or customer table
            As in :meth:`fit`.
        what : {"purchases", "proba_alive", "clv"}, default="purchases"
            The prediction.
        t : float, optional
            Horizon of ``"purchases"``.
        level : float, default=0.9
            Coverage of the interval.
        n_draws : int, default=200
            Number of parameter draws.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws.
        **clv_kwargs
            Arguments of :meth:`predict_clv` for ``what="clv"``.

        Returns
        -------
        pandas.DataFrame
            ``estimate``, ``lower``, ``upper`` per customer (customer index for
            table input); ``attrs["method"]`` states the method.

        Examples
        --------
        >>> from crmine.lifetime import BetaGeoModel, simulate_btyd
        >>> table = simulate_btyd(2000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
        ...                       random_state=0)
        >>> m = BetaGeoModel().fit(table)
        >>> iv = m.predict_interval(table.head(3), t=10.0, random_state=0)
        >>> bool(((iv["lower"] <= iv["estimate"]) & (iv["estimate"] <= iv["upper"])).all())
        True
        """
        from sklearn.utils import check_random_state

        self._check_fitted()
        level = check_rate(level, name="level")
        if what not in {"purchases", "proba_alive", "clv"}:
            raise SchemaError(f"what must be 'purchases', 'proba_alive' or 'clv', got {what!r}.")
        if what == "purchases" and t is None:
            raise SchemaError("what='purchases' needs the horizon t=<number>.")

        def predict(model: Any) -> np.ndarray:
            if what == "purchases":
                out = model.predict_purchases(frequency, recency, T, t=t)
            elif what == "proba_alive":
                out = model.predict_proba_alive(frequency, recency, T)
            else:
                out = model.predict_clv(frequency, recency, T, **clv_kwargs)
            return np.asarray(out, dtype=float)

        with_cov = bool(self.features)
        if with_cov:
            cov = self.covariance_all_.to_numpy()
            center = np.concatenate(
                [np.log(self.params_.to_numpy()), self.coefficients_.to_numpy()]
            )
        else:
            cov = self.log_params_covariance_.to_numpy()
            center = np.log(self.params_.to_numpy())
        if not np.isfinite(cov).all():
            raise SchemaError(
                f"{type(self).__name__}: the observed information is singular (a boundary "
                "fit), so parameter uncertainty is not defined. Fix: refit with penalizer > 0 "
                "or on more data."
            )
        rng = check_random_state(random_state)
        z = rng.multivariate_normal(center, cov, size=int(n_draws))
        p = len(self.params_)
        draw = copy.copy(self)
        sims = []
        for zi in z:
            draw.params_ = pd.Series(np.exp(zi[:p]), index=self.params_.index, name="estimate")
            if with_cov:
                draw.coefficients_ = pd.Series(
                    zi[p:], index=self.coefficients_.index, name="estimate"
                )
            sims.append(predict(draw))
        sims_arr = np.vstack(sims)
        estimate = predict(self)
        lo, hi = np.quantile(sims_arr, [0.5 - level / 2.0, 0.5 + level / 2.0], axis=0)
        _, _, _, index = self._rft(frequency, recency, T)
        out = pd.DataFrame({"estimate": estimate, "lower": lo, "upper": hi}, index=index)
        drawn = (
            "the log-parameters and the covariate coefficients jointly"
            if with_cov
            else "the log-parameters"
        )
        out.attrs["method"] = (
            f"parametric bootstrap: {int(n_draws)} draws of {drawn} from their asymptotic "
            f"normal (inverse observed information), {100 * level:g}% quantiles"
        )
        return out
