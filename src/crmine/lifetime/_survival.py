"""Survival-based customer lifetime value on top of lifelines."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy.integrate import trapezoid
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from crmine.exceptions import DataWarning, SchemaError
from crmine.lifetime._common import check_fitted, check_nonneg_float
from crmine.lifetime._survival_data import SurvivalDataMixin
from crmine.utils._validation import check_money, check_rate, to_pandas

__all__ = ["SurvivalCLV"]

logger = logging.getLogger(__name__)

_EXTRA_HINT = 'pip install "crmine[survival]"'


def import_lifelines() -> Any:
    """Import lifelines (an optional dependency) or say which extra installs it."""
    try:
        import lifelines
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "SurvivalCLV and the Kaplan-Meier plots need lifelines, which is not installed. "
            f"Fix: {_EXTRA_HINT} (lifelines pins pandas<3, so it is an optional extra)."
        ) from exc
    return lifelines


_MODELS = ("weibull", "lognormal", "loglogistic", "cox", "kaplan_meier")
_NONPARAMETRIC = ("cox", "kaplan_meier")


class SurvivalCLV(SurvivalDataMixin, BaseEstimator):
    r"""Customer lifetime value from a survival model of the customer's lifetime.

    Fits a lifelines survival model of the time to churn, then, for each
    current customer of tenure :math:`t_0`, uses the survival conditional on
    having survived so far, :math:`S(t_0+u)/S(t_0)`, to compute

    * the restricted mean remaining lifetime
      :math:`\int_0^h S(t_0+u)/S(t_0)\,du` up to a horizon :math:`h`;
    * the discounted CLV
      :math:`\sum_{k=1}^{K} m v \, S(t_0+kL)/S(t_0) \, (1+d)^{-k}`: a value
      :math:`v` per period (``value_per_period``, times the margin rate
      :math:`m`) of length :math:`L` paid at the end of each period the
      customer is still there, discounted at rate :math:`d` per period,
      over :math:`K = \lceil h/L \rceil` periods.

    Suited to contractual settings (subscriptions, telecom).  For retail logs
    define churn with :func:`inactivity_churn_table` (and read its caveats).

    Parameters
    ----------
    model : {"weibull", "lognormal", "loglogistic", "cox", "kaplan_meier"}, default="weibull"
        Parametric AFT models (with covariates) or univariate fits (without),
        Cox proportional hazards (needs covariates) or Kaplan-Meier (no
        covariates).  Cox and Kaplan-Meier cannot extrapolate past the longest
        observed duration: a :class:`~crmine.exceptions.DataWarning` is raised
        when a horizon reaches beyond it (survival is then held at its last value).
    penalizer : float, default=0.0
        L2 penalty passed to lifelines regression fitters.

    Attributes
    ----------
    fitter_ : lifelines fitter
        The fitted lifelines object.
    summary_ : pandas.DataFrame
        Coefficient table (parametric and Cox) or survival table (Kaplan-Meier).
    concordance_ : float
        Harrell's concordance index on the training data (0.5 without covariates).
    max_duration_ : float
        Longest observed duration.
    duration_col_, event_col_ : str
        Column names used in ``fit``.
    covariates_ : list of str
        Input covariate columns.
    feature_names_ : list of str
        Model columns after one-hot encoding categorical covariates.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from crmine.lifetime import SurvivalCLV
    >>> rng = np.random.default_rng(0)
    >>> plan = rng.integers(0, 2, 400)
    >>> life = rng.weibull(1.2, 400) * np.where(plan == 1, 40.0, 15.0)
    >>> df = pd.DataFrame({"tenure": np.minimum(life, 36.0).round(2) + 0.01,
    ...                    "churned": (life < 36.0).astype(int), "annual_plan": plan})
    >>> clv = SurvivalCLV(model="weibull", duration_col="tenure", event_col="churned",
    ...                   features=["annual_plan"]).fit(df)
    >>> bool(clv.concordance_ > 0.6)
    True
    >>> value = clv.predict_clv(df.head(3), value_per_period=20.0, margin=0.4, horizon=24,
    ...                         discount_rate=0.01)
    >>> value.shape
    (3,)
    """

    _parameter_constraints: dict = {
        "model": [StrOptions(set(_MODELS))],
        "penalizer": [Interval(Real, 0, None, closed="left")],
        "duration_col": [str],
        "event_col": [str],
        "features": ["array-like", None],
    }

    def __init__(
        self,
        *,
        model: str = "weibull",
        penalizer: float = 0.0,
        duration_col: str = "duration_days",
        event_col: str = "churned",
        features: Sequence[str] | None = None,
    ) -> None:
        self.model = model
        self.penalizer = penalizer
        self.duration_col = duration_col
        self.event_col = event_col
        self.features = features

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        X: Any,
        y: Any = None,
        duration_col: str | None = None,
        event_col: str | None = None,
        covariates: Sequence[str] | None = None,
    ) -> SurvivalCLV:
        """Fit the survival model.

        Parameters
        ----------
        X : pandas.DataFrame (or polars / pyarrow table)
            One row per customer, with the columns ``duration_col`` (observed
            lifetime so far: churn time for churners, tenure for the others;
            zeros are replaced by half the smallest positive duration, with a
            warning, for parametric models), ``event_col`` (1/True when the
            customer churned, 0/False when censored) and the ``features``
            (covariates; non-numeric ones are one-hot encoded, first level
            dropped).
        y : None
            Ignored (the outcome is read from ``X`` by column name).
        duration_col, event_col, covariates : str, str, list of str, optional
            Deprecated (lifelines' ``fit(df, duration_col, event_col)`` order):
            set ``SurvivalCLV(duration_col=..., event_col=..., features=...)``.

        Returns
        -------
        self
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from crmine.lifetime import SurvivalCLV
        >>> rng = np.random.default_rng(0)
        >>> life = rng.exponential(12.0, 500)
        >>> df = pd.DataFrame({"months": np.minimum(life, 24.0) + 0.01,
        ...                    "churned": (life < 24.0).astype(int)})
        >>> m = SurvivalCLV(duration_col="months").fit(df)
        >>> round(float(m.fitter_.rho_), 1)   # Weibull shape of exponential lifetimes
        1.0
        """
        lifelines = import_lifelines()
        self._validate_params()
        if isinstance(y, str):  # lifelines order fit(df, duration_col, event_col, covariates)
            duration_col, event_col, covariates, y = y, duration_col, event_col, None
        if y is not None:
            raise TypeError(
                "SurvivalCLV.fit reads the duration and event from X by column name; y must be "
                "None. Fix: SurvivalCLV(duration_col=..., event_col=...).fit(X)."
            )
        old = {"duration_col": duration_col, "event_col": event_col, "covariates": covariates}
        given = [k for k, v in old.items() if v is not None]
        if given:
            warnings.warn(
                f"SurvivalCLV.fit({', '.join(given)}=...) is deprecated; pass them to the "
                "constructor: SurvivalCLV(duration_col=..., event_col=..., features=...).",
                FutureWarning,
                stacklevel=2,
            )
        duration_col = duration_col if duration_col is not None else self.duration_col
        event_col = event_col if event_col is not None else self.event_col
        if covariates is None:
            covariates = self.features
        pen = float(self.penalizer)
        customers = to_pandas(X, name="X", allow_arrays=False)
        if not isinstance(customers, pd.DataFrame):
            raise TypeError(
                f"X must be a table of customers, got {type(X).__name__}. Fix: pass a DataFrame."
            )
        if len(customers) == 0:
            raise SchemaError(
                "SurvivalCLV got an empty customer table (0 rows); pass at least one customer."
            )
        covariates = [] if covariates is None else list(covariates)
        missing = [c for c in [duration_col, event_col, *covariates] if c not in customers]
        if missing:
            raise SchemaError(
                f"SurvivalCLV: column(s) {missing} not found in the customer table (columns: "
                f"{list(customers.columns)[:12]}). Fix: pass duration_col=, event_col=, "
                "features= with the table's names (crmine.lifetime.inactivity_churn_table "
                "writes 'duration_days' and 'churned')."
            )
        if customers.index.has_duplicates:
            dup = customers.index[customers.index.duplicated()].unique().tolist()[:5]
            raise SchemaError(
                f"SurvivalCLV: duplicated customer ids {dup} in the index; a customer table has "
                "one row per customer. Fix: aggregate or drop them."
            )
        if self.model == "kaplan_meier" and covariates:
            raise ValueError(
                "model='kaplan_meier' takes no covariates; use 'cox' or a parametric model."
            )
        if self.model == "cox" and not covariates:
            raise ValueError("model='cox' needs covariates; use 'kaplan_meier' without them.")
        durations = self._durations(customers, duration_col)
        events = self._events(customers, event_col)
        if events.sum() == 0:
            raise SchemaError(
                f"no churn event in column {event_col!r}: the model is not identified."
            )
        self.duration_col_ = duration_col
        self.event_col_ = event_col
        self.covariates_ = covariates
        if self.model not in _NONPARAMETRIC and (durations <= 0).any():
            n0 = int((durations <= 0).sum())
            pos = durations[durations > 0]
            if pos.size == 0:
                raise SchemaError(f"all durations in {duration_col!r} are 0.")
            eps = pos.min() / 2.0
            warnings.warn(
                f"{n0} duration(s) in {duration_col!r} are 0; parametric models need positive "
                f"durations, so they are set to {eps:g} (half the smallest positive duration).",
                DataWarning,
                stacklevel=2,
            )
            durations = np.where(durations <= 0, eps, durations)
        self.max_duration_ = float(durations.max())
        Z = self._encode(customers, fitting=True)
        self.feature_names_ = list(Z.columns)
        data = Z.assign(_duration=durations, _event=events)
        if self.model == "kaplan_meier":
            fitter = lifelines.KaplanMeierFitter().fit(durations, events)
            summary = fitter.survival_function_.join(fitter.confidence_interval_)
        elif not covariates:
            cls = {
                "weibull": lifelines.WeibullFitter,
                "lognormal": lifelines.LogNormalFitter,
                "loglogistic": lifelines.LogLogisticFitter,
            }[self.model]
            fitter = cls().fit(durations, events)
            summary = fitter.summary
        else:
            cls = {
                "weibull": lifelines.WeibullAFTFitter,
                "lognormal": lifelines.LogNormalAFTFitter,
                "loglogistic": lifelines.LogLogisticAFTFitter,
                "cox": lifelines.CoxPHFitter,
            }[self.model]
            try:
                fitter = cls(penalizer=pen).fit(data, duration_col="_duration", event_col="_event")
            except lifelines.exceptions.ConvergenceError as exc:
                raise SchemaError(
                    f"lifelines could not fit model={self.model!r} on covariates "
                    f"{self.feature_names_}: {str(exc).splitlines()[0][:200]} Usually two "
                    "covariates carry the same information (e.g. a 'No internet service' level "
                    "in several columns); drop one of them or set penalizer > 0."
                ) from exc
            summary = fitter.summary
        self.fitter_ = fitter
        self.summary_ = summary
        if covariates:
            self.concordance_ = float(fitter.concordance_index_)
        else:
            self.concordance_ = 0.5
        return self

    # ------------------------------------------------------------------ prediction core
    def _check_X(self, X: Any) -> pd.DataFrame:
        check_fitted(self, "fitter_")
        X = to_pandas(X, name="X", allow_arrays=False)
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}.")
        missing = [c for c in self.covariates_ if c not in X.columns]
        if missing:
            raise SchemaError(f"customer table has no covariate column {missing[0]!r}.")
        return X

    def _warn_horizon(self, t_end: float) -> None:
        if self.model in _NONPARAMETRIC and t_end > self.max_duration_ + 1e-12:
            warnings.warn(
                f"model={self.model!r} cannot extrapolate past the longest observed duration "
                f"({self.max_duration_:g}); the horizon reaches {t_end:g}, so survival is held "
                "at its last value there (optimistic). Use a parametric model or a shorter "
                "horizon.",
                DataWarning,
                stacklevel=3,
            )

    def _conditional_survival(self, X: pd.DataFrame, t0: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Matrix (n_customers, len(u)) of S(t0 + u) / S(t0)."""
        self._warn_horizon(float(np.max(t0) + np.max(u)) if len(t0) else 0.0)
        fitter = self.fitter_
        if not self.covariates_:
            grid = (t0[:, None] + u[None, :]).ravel()
            s_all = np.asarray(fitter.survival_function_at_times(np.r_[t0, grid]), dtype=float)
            s0 = s_all[: len(t0)]
            s = s_all[len(t0) :].reshape(len(t0), len(u))
        else:
            Z = self._encode(X, fitting=False)
            Z.index = pd.RangeIndex(len(Z))
            s = np.asarray(
                fitter.predict_survival_function(Z, times=u, conditional_after=t0), dtype=float
            ).T
            return np.clip(np.nan_to_num(s, nan=0.0), 0.0, 1.0)
        # a customer at tenure 0 has not yet had the chance to churn: condition on S(0-) = 1,
        # not on S(0), which Kaplan-Meier puts below 1 when churn events sit at duration 0
        s0 = np.where(t0 > 0, s0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(s0[:, None] > 0, s / s0[:, None], 0.0)
        return np.clip(out, 0.0, 1.0)

    # ------------------------------------------------------------------ public predictions
    def predict_survival_function(
        self, X: pd.DataFrame, times: Any, *, current_tenure: Any = None
    ) -> pd.DataFrame:
        """Survival over the next ``times``, conditional on the current tenure.

        Parameters
        ----------
        X : pandas.DataFrame
            Customers (with the covariate columns).
        times : array-like
            Times ahead (from now), in the duration unit.
        current_tenure : str, array-like or float, optional
            Time each customer has already survived: a column name, values, or
            by default the ``duration_col`` of ``fit`` when ``X`` has it (0
            otherwise, i.e. new customers).

        Returns
        -------
        pandas.DataFrame
            Customers as rows (index of ``X``), ``times`` as columns, values
            :math:`S(t_0+u)/S(t_0)`.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from crmine.lifetime import SurvivalCLV
        >>> rng = np.random.default_rng(0)
        >>> life = rng.exponential(12.0, 500)
        >>> df = pd.DataFrame({"months": np.minimum(life, 24.0) + 0.01,
        ...                    "churned": (life < 24.0).astype(int)})
        >>> m = SurvivalCLV(duration_col="months").fit(df)
        >>> sf = m.predict_survival_function(df.head(2), [0.0, 6.0, 12.0], current_tenure=0.0)
        >>> sf.shape
        (2, 3)
        """
        X = self._check_X(X)
        u = np.atleast_1d(np.asarray(times, dtype=float))
        if not np.isfinite(u).all() or (u < 0).any():
            raise ValueError("times must be finite and >= 0.")
        t0 = self._tenure(X, current_tenure)
        s = self._conditional_survival(X, t0, u)
        return pd.DataFrame(s, index=X.index, columns=pd.Index(u, name="time"))

    def predict_remaining_lifetime(
        self, X: pd.DataFrame, horizon: float, *, current_tenure: Any = None, n_points: int = 1001
    ) -> pd.Series:
        r"""Restricted mean remaining lifetime :math:`\int_0^h S(t_0+u)/S(t_0)\,du`.

        Parameters
        ----------
        X : pandas.DataFrame
            Customers.
        horizon : float
            Upper limit ``h`` of the integral (required: the unrestricted mean
            is not identified for Kaplan-Meier and often infinite-tailed).
        current_tenure : str, array-like or float, optional
            See :meth:`predict_survival_function`.
        n_points : int, default=1001
            Grid points of the trapezoidal rule.

        Returns
        -------
        pandas.Series
            Expected remaining lifetime within the horizon, in duration units.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from crmine.lifetime import SurvivalCLV
        >>> rng = np.random.default_rng(1)
        >>> life = rng.exponential(10.0, 2000)
        >>> df = pd.DataFrame({"t": np.minimum(life, 30.0), "e": (life < 30.0).astype(int)})
        >>> m = SurvivalCLV(duration_col="t", event_col="e").fit(df)
        >>> rmst = m.predict_remaining_lifetime(df.head(1), horizon=5.0, current_tenure=0.0)
        >>> round(float(rmst.iloc[0]), 1)   # 10 * (1 - exp(-0.5)) = 3.93
        3.9
        """
        X = self._check_X(X)
        h = check_nonneg_float(horizon, "horizon", positive=True)
        u = np.linspace(0.0, h, int(n_points))
        s = self._conditional_survival(X, self._tenure(X, current_tenure), u)
        return pd.Series(trapezoid(s, u, axis=1), index=X.index, name="remaining_lifetime")

    def predict_clv(
        self,
        X: Any,
        *,
        value_per_period: Any = None,
        horizon: float,
        period_length: float = 1.0,
        discount_rate: float = 0.0,
        margin: float = 1.0,
        current_tenure: Any = None,
    ) -> pd.Series:
        """Discounted CLV: value per period times conditional survival, discounted.

        ``CLV = sum_{k=1..K} margin * v * S(t0 + k L) / S(t0) / (1 + d)^k`` with
        ``v = value_per_period``, ``L = period_length`` and ``K = ceil(horizon / L)``:
        each period's value is earned at its end if the customer is still there.

        Parameters
        ----------
        X : pandas.DataFrame
            Customers.
        value_per_period : float, str or array-like
            Money a customer brings per period (e.g. the monthly charge): a
            constant, a column of ``X`` (e.g. ``"MonthlyCharges"``) or one value
            per customer.
        horizon : float
            Length of the forecast, in the duration unit.
        period_length : float, default=1.0
            Length of one billing / discounting period, in the duration unit.
        discount_rate : float, default=0.0
            Discount rate per period, in [0, 1].
        margin : float, default=1.0
            Profit margin, a rate in [0, 1] applied to ``value_per_period``.
        current_tenure : str, array-like or float, optional
            See :meth:`predict_survival_function`.

        Returns
        -------
        pandas.Series
            CLV per customer (named ``clv``, on the index of ``X``).

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from crmine.lifetime import SurvivalCLV
        >>> rng = np.random.default_rng(0)
        >>> life = rng.exponential(12.0, 500)
        >>> df = pd.DataFrame({"months": np.minimum(life, 24.0) + 0.01,
        ...                    "churned": (life < 24.0).astype(int)})
        >>> m = SurvivalCLV(duration_col="months").fit(df)
        >>> new = pd.DataFrame(index=["new customer"])
        >>> clv = m.predict_clv(new, value_per_period=30.0, horizon=12, margin=0.3,
        ...                     discount_rate=0.01, current_tenure=0.0)
        >>> bool(0 < clv.iloc[0] < 12 * 30.0 * 0.3)
        True
        """
        X = self._check_X(X)
        if value_per_period is None:
            raise TypeError(
                "SurvivalCLV.predict_clv needs value_per_period= (money per period, e.g. the "
                "monthly charge); margin= is now a profit rate in [0, 1] as everywhere in "
                "crmine. Fix: predict_clv(X, value_per_period=<money per period>, margin=0.3)."
            )
        h = check_nonneg_float(horizon, "horizon", positive=True)
        L = check_nonneg_float(period_length, "period_length", positive=True)
        d = check_rate(discount_rate, name="discount_rate")
        rate = check_rate(margin, name="margin")
        if isinstance(value_per_period, str):
            if value_per_period not in X.columns:
                raise SchemaError(
                    f"value_per_period column {value_per_period!r} not found in X (columns: "
                    f"{list(X.columns)[:12]}). Fix: pass a column name of X or a number."
                )
            m = X[value_per_period].to_numpy(dtype=float, na_value=np.nan)
        elif np.ndim(value_per_period) == 0:
            m = np.full(len(X), check_money(value_per_period, name="value_per_period"))
        else:
            m = np.asarray(to_pandas(value_per_period, name="value_per_period"), dtype=float)
            if m.shape != (len(X),):
                raise SchemaError(
                    f"value_per_period has shape {m.shape}; pass one value per customer "
                    f"({len(X)}) or a number."
                )
        bad = ~np.isfinite(m) | (m < 0)
        if bad.any():
            raise SchemaError(
                f"value_per_period has {int(bad.sum())} missing, infinite or negative value(s) "
                f"(customers {X.index[bad].tolist()[:5]}). Fix: fill or drop them."
            )
        K = int(np.ceil(h / L - 1e-9))
        u = np.arange(1, K + 1) * L
        s = self._conditional_survival(X, self._tenure(X, current_tenure), u)
        disc = (1.0 + d) ** -np.arange(1, K + 1)
        return pd.Series(rate * m * (s @ disc), index=X.index, name="clv")

    def score(self, X: pd.DataFrame, y: Any = None) -> float:
        """Harrell's concordance index of the model's risk ranking on ``X``.

        Parameters
        ----------
        X : pandas.DataFrame
            Customers with the duration and event columns of ``fit``.
        y : ignored

        Returns
        -------
        float
            Concordance in [0, 1] (0.5 = random, 1 = perfect ranking).

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from crmine.lifetime import SurvivalCLV
        >>> rng = np.random.default_rng(0)
        >>> life = rng.exponential(12.0, 500)
        >>> df = pd.DataFrame({"months": np.minimum(life, 24.0) + 0.01,
        ...                    "churned": (life < 24.0).astype(int)})
        >>> m = SurvivalCLV(duration_col="months").fit(df)
        >>> m.score(df)   # no covariates: every customer gets the same risk
        0.5
        """
        concordance_index = import_lifelines().utils.concordance_index

        X = self._check_X(X)
        durations = self._durations(X, self.duration_col_)
        events = self._events(X, self.event_col_)
        if not self.covariates_:
            return 0.5
        Z = self._encode(X, fitting=False)
        if self.model == "cox":
            score = -np.asarray(self.fitter_.predict_partial_hazard(Z), dtype=float).ravel()
        else:
            score = np.asarray(self.fitter_.predict_median(Z), dtype=float).ravel()
        return float(concordance_index(durations, score, events))
