"""Several treatment arms against one control: per-arm uplift, best arm, Qini per arm, budget.

A campaign with arms ``a = 1..m`` (e.g. a men's and a women's e-mail) and one
control group is evaluated arm by arm against the *same* control:

* :class:`MultiArmUplift` fits one :class:`~crmine.campaign.TwoModelUplift`
  per arm on the customers of that arm and of the control; ``predict`` gives
  a customer x arm matrix of predicted uplift, :meth:`MultiArmUplift.best_arm`
  the arm with the largest uplift (the control when none is above
  ``min_uplift``);
* :func:`qini_by_arm` evaluates the uplift of each arm on that arm's
  customers plus the control (the numbers are exactly the single-arm
  :func:`~crmine.campaign.qini_auc_score` and
  :func:`~crmine.campaign.uplift_auc_score` on that subset);
* :func:`arm_policy_value` estimates the response rate of a targeting policy
  (each customer gets the recommended arm) from the randomised data;
* :func:`allocate_arms` assigns at most one arm per customer to maximise the
  expected profit under a budget;
* :func:`multiarm_uplift` is the one-liner.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils._param_validation import HasMethods

from crmine.base import _fit_context
from crmine.campaign._uplift_metrics import qini_auc_score, uplift_auc_score
from crmine.campaign._uplift_models import TwoModelUplift
from crmine.exceptions import SchemaError
from crmine.utils._validation import (
    check_binary,
    check_is_fitted,
    show_values,
    to_pandas,
)

__all__ = [
    "MultiArmUplift",
    "arm_policy_value",
    "multiarm_uplift",
    "qini_by_arm",
]


def _arms(arm: Any, control: Any, n: int | None = None, name: str = "arm") -> np.ndarray:
    a = np.asarray(arm.to_numpy() if isinstance(arm, pd.Series) else arm, dtype=object).ravel()
    if n is not None and a.size != n:
        raise SchemaError(f"{name} has {a.size} entries but there are {n} customers.")
    if a.size == 0:
        raise SchemaError(f"{name} is empty; pass one arm label per customer.")
    missing = pd.isna(a)
    if missing.any():
        raise SchemaError(
            f"{name} has {int(missing.sum())} missing label(s) (positions "
            f"{show_values(np.flatnonzero(missing))}). Fix: drop those customers or label them."
        )
    labels = pd.unique(a)
    if control not in set(labels.tolist()):
        raise SchemaError(
            f"control={control!r} is not among the arms {show_values(labels)}. Fix: pass the "
            "label of the control (hold-out) group as control=."
        )
    if len(labels) < 2:
        raise SchemaError(
            f"{name} has only the control group {control!r}; pass customers of at least one "
            "treated arm."
        )
    return a


def _treated_arms(a: np.ndarray, control: Any) -> list[Any]:
    labels = [x for x in pd.unique(a).tolist() if x != control]
    return sorted(labels, key=lambda v: (str(type(v)), v))


def _frame_index(X: Any) -> pd.Index | None:
    return X.index if isinstance(X, (pd.DataFrame, pd.Series)) else None


class MultiArmUplift(MetaEstimatorMixin, BaseEstimator):
    """Per-arm two-model uplift for several treatment arms against one control.

    For every treated arm ``a`` a :class:`~crmine.campaign.TwoModelUplift`
    is fitted on the customers of arm ``a`` (treated) and of the control;
    its prediction is the uplift of ``a`` over no contact.

    Parameters
    ----------
    estimator : estimator, default LogisticRegression()
        Outcome model, cloned for every arm and for the control.
    control : object, default 0
        Label of the control arm in ``arm``.

    Attributes
    ----------
    arms_ : list
        Treated arm labels (sorted).
    models_ : dict
        Arm label -> fitted :class:`~crmine.campaign.TwoModelUplift`.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(3000, 1))
    >>> arm = rng.choice(["none", "mail", "sms"], 3000)
    >>> p = 0.1 + 0.3 * ((arm == "mail") & (X[:, 0] > 0)) + 0.3 * ((arm == "sms") & (X[:, 0] < 0))
    >>> y = (rng.random(3000) < p).astype(int)
    >>> model = MultiArmUplift(control="none").fit(X, y, arm)
    >>> model.arms_
    ['mail', 'sms']
    >>> model.best_arm(np.array([[2.0], [-2.0]])).tolist()
    ['mail', 'sms']
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "control": "no_validation",
    }

    def __init__(self, *, estimator: Any = None, control: Any = 0) -> None:
        self.estimator = estimator
        self.control = control

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any, treatment: Any) -> MultiArmUplift:
        """Fit one two-model uplift estimator per treated arm.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_customers, n_features)
            Numeric customer features.
        y : array-like of shape (n_customers,)
            Outcome (0/1 for a classifier).
        treatment : array-like of shape (n_customers,)
            Arm label of each customer (``control`` for the hold-out group).

        Returns
        -------
        self : MultiArmUplift
        """
        n = len(X)
        a = _arms(treatment, self.control, n, name="treatment")
        Xv = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
        yv = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y).ravel()
        self.arms_ = _treated_arms(a, self.control)
        self.models_ = {}
        is_control = a == self.control
        for label in self.arms_:
            rows = is_control | (a == label)
            base = clone(self.estimator) if self.estimator is not None else None
            model = TwoModelUplift(estimator=base)
            self.models_[label] = model.fit(Xv[rows], yv[rows], (a[rows] == label).astype(int))
        first = self.models_[self.arms_[0]]
        self.n_features_in_ = first.n_features_in_
        if hasattr(first, "feature_names_in_"):
            self.feature_names_in_ = first.feature_names_in_
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def predict(self, X: Any) -> pd.DataFrame:
        """Predicted uplift of every arm over the control.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_customers, n_features)
            Customer features (same columns as in ``fit``).

        Returns
        -------
        pandas.DataFrame
            One column per treated arm, indexed by customer id (``X``'s index,
            or 0..n-1 for arrays).
        """
        check_is_fitted(self, "models_")
        Xv = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
        out = {label: self.models_[label].predict(Xv) for label in self.arms_}
        frame = pd.DataFrame(out, columns=self.arms_)
        index = _frame_index(X)
        if index is not None:
            frame.index = index
        frame.columns.name = "arm"
        return frame

    def best_arm(self, X: Any, *, min_uplift: float = 0.0) -> pd.Series:
        """The arm with the largest predicted uplift per customer.

        Customers whose best uplift is not above ``min_uplift`` get the
        control label (do not contact).  Ties go to the first arm in
        ``arms_``.

        Parameters
        ----------
        X : array-like or DataFrame
            Customer features.
        min_uplift : float, default 0.0
            Minimum uplift worth a contact.

        Returns
        -------
        pandas.Series
            Arm label per customer, named ``best_arm``.
        """
        u = self.predict(X)
        return _best(u, self.control, min_uplift)


def _best(u: pd.DataFrame, control: Any, min_uplift: float) -> pd.Series:
    values = u.to_numpy(dtype=float)
    pick = np.argmax(values, axis=1)
    top = values[np.arange(len(values)), pick]
    labels = np.asarray(list(u.columns), dtype=object)[pick]
    labels = np.where(top > min_uplift, labels, np.asarray([control], dtype=object))
    return pd.Series(labels, index=u.index, name="best_arm", dtype=object)


def _uplift_frame(uplift: Any, arms: list[Any], n: int) -> pd.DataFrame:
    if not isinstance(uplift, pd.DataFrame):
        raise TypeError(
            "y_score must be a DataFrame with one column per treated arm (as returned by "
            f"MultiArmUplift.predict), got {type(uplift).__name__}."
        )
    missing = [a for a in arms if a not in uplift.columns]
    if missing:
        raise SchemaError(
            f"y_score has no column for arm(s) {show_values(missing)} (columns "
            f"{show_values(list(uplift.columns))}). Fix: predict with a model fitted on these arms."
        )
    if len(uplift) != n:
        raise SchemaError(f"y_score has {len(uplift)} rows but there are {n} customers.")
    bad = ~np.isfinite(uplift[arms].to_numpy(dtype=float))
    if bad.any():
        raise SchemaError(
            f"y_score has {int(bad.sum())} missing or infinite value(s); predict every customer."
        )
    return uplift


def qini_by_arm(
    y_true: Any, y_score: Any, treatment: Any, *, control: Any = 0
) -> pd.DataFrame:
    """Response, observed uplift and Qini / uplift-curve areas of every arm against the control.

    Each arm is evaluated on its own customers plus the control group with
    that arm's column of ``y_score``; the areas are those of
    :func:`~crmine.campaign.qini_auc_score` and
    :func:`~crmine.campaign.uplift_auc_score` on that subset.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Observed 0/1 outcome.
    y_score : pandas.DataFrame of shape (n, n_arms)
        Predicted uplift per arm (columns = arm labels), in the order of
        ``y_true``.  With a single treated arm a 1-D array is accepted.
    treatment : array-like of shape (n,)
        Arm label of each customer (``control`` for the hold-out group).
    control : object, default 0
        Label of the control arm.

    Returns
    -------
    pandas.DataFrame
        Indexed by arm: ``customers``, ``control_customers``,
        ``response_rate``, ``control_response_rate``, ``uplift`` (observed
        difference of the two rates), ``qini_auc`` and ``uplift_auc``.

    Examples
    --------
    >>> import pandas as pd
    >>> y = [1, 0, 1, 0, 0, 1]
    >>> arm = ["a", "a", "b", "b", "c", "c"]
    >>> u = pd.DataFrame({"a": [.4, .1, 0, 0, .2, .3], "b": [0, 0, .3, .1, .2, .1]})
    >>> qini_by_arm(y, u, arm, control="c")[["customers", "uplift", "qini_auc"]].round(3)
         customers  uplift  qini_auc
    arm
    a            2     0.0     0.500
    b            2     0.0     0.833
    """
    y = check_binary(y_true, name="y_true")
    a = _arms(treatment, control, y.size, name="treatment")
    arms = _treated_arms(a, control)
    if not isinstance(y_score, pd.DataFrame) and len(arms) == 1:
        score = to_pandas(y_score, name="y_score")
        values = np.asarray(score, dtype=float) if np.ndim(score) == 1 else None
        if values is not None:
            y_score = pd.DataFrame({arms[0]: values})
    u = _uplift_frame(y_score, arms, y.size)
    is_c = a == control
    rows = []
    for label in arms:
        sel = is_c | (a == label)
        t = (a[sel] == label).astype(int)
        score = u[label].to_numpy(dtype=float)[sel]
        rt, rc = float(y[sel][t == 1].mean()), float(y[sel][t == 0].mean())
        rows.append(
            {
                "arm": label,
                "customers": int(t.sum()),
                "control_customers": int((t == 0).sum()),
                "response_rate": rt,
                "control_response_rate": rc,
                "uplift": rt - rc,
                "qini_auc": float(qini_auc_score(y[sel], score, t)),
                "uplift_auc": float(uplift_auc_score(y[sel], score, t)),
            }
        )
    return pd.DataFrame(rows).set_index("arm")


def arm_policy_value(
    y_true: Any, recommended: Any, treatment: Any, *, control: Any = 0
) -> pd.DataFrame:
    r"""Estimated response rate of a targeting policy, from randomised data.

    In a randomised campaign the customers whose assigned arm equals the
    recommended one are a random sample of the policy's customers within
    each recommended arm, so the policy's response rate is estimated by

    .. math::

        \hat V(\pi) = \sum_a \frac{|\pi = a|}{n} \,
        \overline{y}_{\{i:\, \pi_i = a,\ A_i = a\}}

    (the stratified estimator; NaN when some recommended arm has no matching
    customer).  Returned beside the baselines "everybody gets arm ``a``"
    (the observed rate of each arm).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Observed 0/1 outcome.
    recommended : array-like of shape (n,)
        Recommended arm per customer (``control`` = do not contact), e.g.
        :meth:`MultiArmUplift.best_arm` on held-out customers.
    treatment : array-like of shape (n,)
        Randomly assigned arm of each customer.
    control : object, default 0
        Label of the control arm.

    Returns
    -------
    pandas.DataFrame
        Indexed by policy (``"policy"``, then ``"all <arm>"`` for every arm):
        ``response_rate``, ``uplift_vs_control`` and ``share_contacted``.

    Examples
    --------
    >>> y = [1, 0, 1, 1, 0, 0, 1, 0]
    >>> arm = ["a", "a", "b", "b", "c", "c", "a", "b"]
    >>> rec = ["a", "b", "b", "a", "c", "a", "a", "c"]
    >>> arm_policy_value(y, rec, arm, control="c")["response_rate"].round(3).tolist()
    [0.75, 0.0, 0.667, 0.667]
    """
    y = check_binary(y_true, name="y_true")
    a = _arms(treatment, control, y.size, name="treatment")
    r = np.asarray(recommended, dtype=object).ravel()
    if r.size != y.size:
        raise SchemaError(f"recommended has {r.size} entries but there are {y.size} customers.")
    known = set(pd.unique(a).tolist())
    unknown = [v for v in pd.unique(r).tolist() if v not in known]
    if unknown:
        raise SchemaError(
            f"recommended has arm(s) {show_values(unknown)} that are not in treatment "
            f"{show_values(sorted(known, key=str))}. Fix: recommend only tested arms."
        )
    value = 0.0
    for label in pd.unique(r).tolist():
        rec = r == label
        match = rec & (a == label)
        value += rec.mean() * (y[match].mean() if match.any() else np.nan)
    labels = [control, *_treated_arms(a, control)]
    rates = {lab: float(y[a == lab].mean()) for lab in labels}
    base = rates[control]
    rows = [("policy", value, value - base, float((r != control).mean()))]
    rows += [(f"all {lab}", rates[lab], rates[lab] - base, float(lab != control)) for lab in labels]
    out = pd.DataFrame(rows, columns=["policy", "response_rate", "uplift_vs_control",
                                      "share_contacted"])
    return out.set_index("policy")


def multiarm_uplift(
    data: Any,
    features: list[str],
    *,
    arm_col: str = "arm",
    response_col: str = "response",
    control: Any = 0,
    estimator: Any = None,
) -> pd.DataFrame:
    """Fit :class:`MultiArmUplift` on a customer table and score it (one-liner).

    The scores are in-sample; evaluate on held-out customers with
    :class:`MultiArmUplift` and :func:`qini_by_arm`.

    Parameters
    ----------
    data : DataFrame (pandas, polars or pyarrow)
        One row per customer, indexed by customer id.
    features : list of str
        Numeric feature columns.
    arm_col, response_col : str
        Arm label and 0/1 response columns.
    control : object, default 0
        Label of the control arm.
    estimator : estimator, optional
        Outcome model (default logistic regression).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``uplift_<arm>`` per treated arm and ``best_arm``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=600),
    ...                    "arm": rng.choice(["a", "b", "none"], 600)})
    >>> df["response"] = (rng.random(600) < 0.1 + 0.4 * (df["arm"] == "a")).astype(int)
    >>> out = multiarm_uplift(df, ["x"], control="none")
    >>> list(out.columns), out["best_arm"].value_counts().index[0]
    (['uplift_a', 'uplift_b', 'best_arm'], 'a')
    """
    from crmine.utils._validation import read_customer_table, to_pandas

    df = to_pandas(data, name="data", allow_arrays=False)
    if not isinstance(features, (list, tuple)) or not features:
        raise TypeError("features must be a non-empty list of column names.")
    for col, role in ((arm_col, "arm_col"), (response_col, "response_col")):
        if col not in df.columns:
            raise SchemaError(
                f"{role} column {col!r} not found in the customer table (columns "
                f"{show_values(list(df.columns), 12)}). Fix: pass {role}=<column name>."
            )
    table, X = read_customer_table(df, {f: f for f in features}, what="multiarm_uplift")
    y = check_binary(df[response_col], name=response_col)
    model = MultiArmUplift(estimator=estimator, control=control).fit(X, y, df[arm_col])
    u = model.predict(X)
    u.index = table.index
    out = u.add_prefix("uplift_")
    out.columns.name = None
    out["best_arm"] = _best(u, control, 0.0)
    return out
