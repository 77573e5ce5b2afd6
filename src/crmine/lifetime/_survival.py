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

__all__ = ["SurvivalCLV", "inactivity_churn_table"]

logger = logging.getLogger(__name__)

_MODELS = ("weibull", "lognormal", "loglogistic", "cox", "kaplan_meier")
_NONPARAMETRIC = ("cox", "kaplan_meier")


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
    for col in (recency_col, tenure_col):
        if col not in customers.columns:
            raise SchemaError(
                f"customer table has no column {col!r}; build it with "
                "crmine.features.TransactionFeatures or pass recency_col/tenure_col."
            )
        if not pd.api.types.is_numeric_dtype(customers[col].dtype):
            raise SchemaError(f"column {col!r} must be numeric (days), got {customers[col].dtype}.")
    rec = customers[recency_col].to_numpy(dtype=float)
    ten = customers[tenure_col].to_numpy(dtype=float)
    if not (np.isfinite(rec).all() and np.isfinite(ten).all()):
        raise SchemaError(f"{recency_col!r} and {tenure_col!r} must be finite; impute them first.")
    if (rec < 0).any() or (rec > ten + 1e-9).any():
        raise SchemaError(
            f"need 0 <= {recency_col} <= {tenure_col}; found recency "
            f"{rec[(rec < 0) | (rec > ten + 1e-9)][0]!r}."
        )
    churned = rec > days
    out = customers.copy()
    out["duration_days"] = np.where(churned, ten - rec, ten).astype(customers[tenure_col].dtype)
    out["churned"] = churned.astype(np.int64)
    return out


class SurvivalCLV(BaseEstimator):
    r"""Customer lifetime value from a survival model of the customer's lifetime.

    Fits a lifelines survival model of the time to churn, then, for each
    current customer of tenure :math:`t_0`, uses the survival conditional on
    having survived so far, :math:`S(t_0+u)/S(t_0)`, to compute

    * the restricted mean remaining lifetime
      :math:`\int_0^h S(t_0+u)/S(t_0)\,du` up to a horizon :math:`h`;
    * the discounted CLV
      :math:`\sum_{k=1}^{K} m \, S(t_0+kL)/S(t_0) \, (1+d)^{-k}`: a margin
      :math:`m` per period of length :math:`L` paid at the end of each period
      the customer is still there, discounted at rate :math:`d` per period,
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
    >>> clv = SurvivalCLV(model="weibull").fit(df, "tenure", "churned", ["annual_plan"])
    >>> bool(clv.concordance_ > 0.6)
    True
    >>> value = clv.predict_clv(df.head(3), margin=20.0, horizon=24, discount_rate=0.01)
    >>> value.shape
    (3,)
    """

    _parameter_constraints: dict = {
        "model": [StrOptions(set(_MODELS))],
        "penalizer": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, *, model: str = "weibull", penalizer: float = 0.0) -> None:
        self.model = model
        self.penalizer = penalizer

    # ------------------------------------------------------------------ encoding
    def _encode(self, X: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        cols = {}
        if fitting:
            self._levels = {}
        for c in self.covariates_:
            s = X[c]
            if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
                vals = s.astype(float)
                if not np.isfinite(vals.to_numpy()).all():
                    raise SchemaError(
                        f"covariate {c!r} has missing or infinite values; impute them first."
                    )
                cols[c] = vals.to_numpy()
            else:
                if s.isna().any():
                    raise SchemaError(
                        f"covariate {c!r} has {int(s.isna().sum())} missing value(s); impute them."
                    )
                sv = s.astype(str)
                if fitting:
                    levels = sorted(pd.unique(sv))
                    if len(levels) < 2:
                        raise SchemaError(
                            f"covariate {c!r} has a single level {levels!r}; drop it."
                        )
                    self._levels[c] = levels
                levels = self._levels[c]
                unknown = set(pd.unique(sv)) - set(levels)
                if unknown:
                    raise SchemaError(
                        f"covariate {c!r} has level(s) {sorted(unknown)[:5]} not seen in fit; "
                        f"known levels: {levels}."
                    )
                for lev in levels[1:]:
                    cols[f"{c}={lev}"] = (sv == lev).to_numpy(dtype=float)
        return pd.DataFrame(cols, index=X.index)

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        customers: pd.DataFrame,
        duration_col: str,
        event_col: str,
        covariates: Sequence[str] | None = None,
    ) -> SurvivalCLV:
        """Fit the survival model.

        Parameters
        ----------
        customers : pandas.DataFrame
            One row per customer.
        duration_col : str
            Observed lifetime so far (churn time for churners, tenure for the
            others), > 0 for parametric models; zeros are replaced by half the
            smallest positive duration with a warning.
        event_col : str
            1/True when the customer churned, 0/False when censored.
        covariates : sequence of str, optional
            Columns to use as covariates; non-numeric ones are one-hot encoded
            (first level dropped).

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
        >>> m = SurvivalCLV().fit(df, "months", "churned")
        >>> round(float(m.fitter_.rho_), 1)   # Weibull shape of exponential lifetimes
        1.0
        """
        import lifelines

        self._validate_params()
        pen = float(self.penalizer)
        if not isinstance(customers, pd.DataFrame):
            raise TypeError(
                f"customers must be a pandas DataFrame, got {type(customers).__name__}."
            )
        if len(customers) == 0:
            raise SchemaError("customers is empty: nothing to fit.")
        covariates = [] if covariates is None else list(covariates)
        for col in [duration_col, event_col, *covariates]:
            if col not in customers.columns:
                raise SchemaError(
                    f"customer table has no column {col!r}; available: "
                    f"{list(customers.columns)[:12]}."
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

    @staticmethod
    def _durations(X: pd.DataFrame, col: str) -> np.ndarray:
        s = X[col]
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            raise SchemaError(
                f"column {col!r} must hold numeric durations, got dtype {s.dtype}; convert it "
                "with pd.to_numeric."
            )
        d = s.to_numpy(dtype=float, na_value=np.nan)
        if not np.isfinite(d).all():
            raise SchemaError(f"column {col!r} has missing or infinite durations; drop or impute.")
        if (d < 0).any():
            raise SchemaError(
                f"column {col!r} has negative durations (e.g. {d[d < 0][0]!r}, "
                f"{int((d < 0).sum())} row(s)); durations are time since the start of the "
                "relationship and must be >= 0."
            )
        return d

    @staticmethod
    def _events(X: pd.DataFrame, col: str) -> np.ndarray:
        s = X[col]
        if not (pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype)):
            raise SchemaError(
                f"column {col!r} must be 0/1 or boolean, got dtype {s.dtype} (e.g. "
                f"{s.iloc[0]!r}); map it, e.g. df[{col!r}].eq('Yes').astype(int)."
            )
        e = s.to_numpy(dtype=float, na_value=np.nan)
        if not np.isin(e, (0.0, 1.0)).all():
            raise SchemaError(f"column {col!r} must hold only 0 and 1 (or booleans).")
        return e.astype(int)

    # ------------------------------------------------------------------ prediction core
    def _tenure(self, X: pd.DataFrame, current_tenure: Any) -> np.ndarray:
        if current_tenure is None:
            if self.duration_col_ in X.columns:
                t0 = self._durations(X, self.duration_col_)
            else:
                t0 = np.zeros(len(X))
        elif isinstance(current_tenure, str):
            if current_tenure not in X.columns:
                raise SchemaError(f"customer table has no column {current_tenure!r}.")
            t0 = self._durations(X, current_tenure)
        else:
            t0 = np.broadcast_to(np.asarray(current_tenure, dtype=float), (len(X),)).copy()
            if not np.isfinite(t0).all() or (t0 < 0).any():
                raise SchemaError("current_tenure must be finite and >= 0.")
        return t0

    def _check_X(self, X: Any) -> pd.DataFrame:
        check_fitted(self, "fitter_")
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
        >>> m = SurvivalCLV().fit(df, "months", "churned")
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
        >>> m = SurvivalCLV().fit(df, "t", "e")
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
        X: pd.DataFrame,
        *,
        margin: Any,
        horizon: float,
        period_length: float = 1.0,
        discount_rate: float = 0.0,
        current_tenure: Any = None,
    ) -> pd.Series:
        """Discounted CLV: margin per period times conditional survival, discounted.

        ``CLV = sum_{k=1..K} margin * S(t0 + k L) / S(t0) / (1 + d)^k`` with
        ``L = period_length`` and ``K = ceil(horizon / L)``: each period's
        margin is earned at its end if the customer is still there.

        Parameters
        ----------
        X : pandas.DataFrame
            Customers.
        margin : float, str or array-like
            Expected margin per period: a constant, a column of ``X`` (e.g.
            ``"MonthlyCharges"`` times a margin rate) or one value per customer.
        horizon : float
            Length of the forecast, in the duration unit.
        period_length : float, default=1.0
            Length of one billing / discounting period, in the duration unit.
        discount_rate : float, default=0.0
            Discount rate per period.
        current_tenure : str, array-like or float, optional
            See :meth:`predict_survival_function`.

        Returns
        -------
        pandas.Series
            CLV per customer.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from crmine.lifetime import SurvivalCLV
        >>> rng = np.random.default_rng(0)
        >>> life = rng.exponential(12.0, 500)
        >>> df = pd.DataFrame({"months": np.minimum(life, 24.0) + 0.01,
        ...                    "churned": (life < 24.0).astype(int)})
        >>> m = SurvivalCLV().fit(df, "months", "churned")
        >>> new = pd.DataFrame(index=["new customer"])
        >>> clv = m.predict_clv(new, margin=30.0, horizon=12, period_length=1.0,
        ...                     discount_rate=0.01, current_tenure=0.0)
        >>> bool(0 < clv.iloc[0] < 12 * 30.0)
        True
        """
        X = self._check_X(X)
        h = check_nonneg_float(horizon, "horizon", positive=True)
        L = check_nonneg_float(period_length, "period_length", positive=True)
        d = check_nonneg_float(discount_rate, "discount_rate")
        if isinstance(margin, str):
            if margin not in X.columns:
                raise SchemaError(f"customer table has no margin column {margin!r}.")
            m = X[margin].to_numpy(dtype=float, na_value=np.nan)
        else:
            m = np.broadcast_to(np.asarray(margin, dtype=float), (len(X),)).astype(float)
        if not np.isfinite(m).all():
            raise SchemaError("margin has missing or infinite values; impute them first.")
        K = int(np.ceil(h / L - 1e-9))
        u = np.arange(1, K + 1) * L
        s = self._conditional_survival(X, self._tenure(X, current_tenure), u)
        disc = (1.0 + d) ** -np.arange(1, K + 1)
        return pd.Series(m * (s @ disc), index=X.index, name="clv")

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
        >>> m = SurvivalCLV().fit(df, "months", "churned")
        >>> m.score(df)   # no covariates: every customer gets the same risk
        0.5
        """
        from lifelines.utils import concordance_index

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
