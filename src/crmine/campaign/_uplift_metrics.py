"""Uplift evaluation: uplift and Qini curves, their normalised areas, uplift at k.

The definitions follow scikit-uplift 0.5 (``sklift.metrics``) exactly, so the
numbers are identical on the same score vectors; the normalisation of every
area is stated in its docstring because peer libraries disagree (causalml's
Qini uses fractions of the population and a different baseline, so its numbers
differ from scikit-uplift's by a factor of up to about three on the same
scores).

Notation used throughout: customers are sorted by *descending* predicted
uplift (ties: a stable sort of the reversed order, exactly as scikit-uplift,
and all customers sharing a score enter the curve together).  After the first
``k`` customers, :math:`N_T(k), N_C(k)` are the treated / control customers
and :math:`Y_T(k), Y_C(k)` their responders.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import auc

from crmine.exceptions import DataWarning, SchemaError

__all__ = [
    "QiniInterval",
    "perfect_qini_curve",
    "perfect_uplift_curve",
    "qini_auc_confint",
    "qini_auc_score",
    "qini_curve",
    "random_qini_band",
    "uplift_at_k",
    "uplift_auc_score",
    "uplift_by_percentile",
    "uplift_curve",
]


def _check_binary(name: str, v: np.ndarray) -> np.ndarray:
    if v.dtype == bool:
        return v.astype(np.int64)
    if not np.issubdtype(v.dtype, np.number):
        raise SchemaError(
            f"{name} must be numeric 0/1, got dtype {v.dtype} (e.g. {v[0]!r}); encode it as 0/1."
        )
    if np.isnan(v.astype(float)).any():
        raise SchemaError(f"{name} has {int(np.isnan(v.astype(float)).sum())} missing values.")
    bad = v[(v != 0) & (v != 1)]
    if bad.size:
        raise SchemaError(
            f"{name} must contain only 0/1, found {bad.size} other value(s) such as {bad[0]!r}; "
            "binarise it first."
        )
    return v.astype(np.int64)


def _check_inputs(
    y_true: Any, uplift: Any | None, treatment: Any
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    y = np.asarray(y_true).ravel()
    t = np.asarray(treatment).ravel()
    if y.size == 0:
        raise SchemaError("y_true is empty; uplift metrics need customers.")
    if y.shape != t.shape:
        raise SchemaError(f"y_true ({y.size}) and treatment ({t.size}) must have the same length.")
    y = _check_binary("y_true", y)
    t = _check_binary("treatment", t)
    if t.min() == t.max():
        raise SchemaError(
            f"treatment is {t[0]} for every customer; uplift metrics need both treated (1) "
            "and control (0) customers."
        )
    u = None
    if uplift is not None:
        u = np.asarray(uplift, dtype=float).ravel()
        if u.shape != y.shape:
            raise SchemaError(f"uplift ({u.size}) and y_true ({y.size}) must have the same length.")
        if not np.isfinite(u).all():
            raise SchemaError(
                f"uplift has {int((~np.isfinite(u)).sum())} missing or infinite scores; "
                "every customer needs a finite predicted uplift."
            )
    return y, u, t


def _cumulative(y: np.ndarray, u: np.ndarray, t: np.ndarray):
    order = np.argsort(u, kind="mergesort")[::-1]
    y, u, t = y[order], u[order], t[order]
    y_trmnt = np.where(t == 1, y, 0)
    y_ctrl = np.where(t == 0, y, 0)
    thresholds = np.r_[np.where(np.diff(u))[0], u.size - 1]
    n_trmnt = np.cumsum(t, dtype=np.float64)[thresholds]
    r_trmnt = np.cumsum(y_trmnt, dtype=np.float64)[thresholds]
    r_ctrl = np.cumsum(y_ctrl, dtype=np.float64)[thresholds]
    n_all = thresholds + 1
    n_ctrl = n_all - n_trmnt
    return n_all, n_trmnt, n_ctrl, r_trmnt, r_ctrl


def _start_at_origin(x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size == 0 or v[0] != 0 or x[0] != 0:
        x, v = np.r_[0, x], np.r_[0, v]
    return x, v


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b != 0)


def uplift_curve(y_true: Any, uplift: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Uplift curve: incremental responders if the top ``k`` were treated.

    .. math::

        \mathrm{uplift}(k) = \left(\frac{Y_T(k)}{N_T(k)} - \frac{Y_C(k)}{N_C(k)}\right) k

    (a ratio with an empty group counts as 0), evaluated at every distinct
    score and starting at ``(0, 0)``.  Identical to
    ``sklift.metrics.uplift_curve``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    uplift : array-like of shape (n,)
        Predicted uplift (higher = target first).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.

    Returns
    -------
    x : ndarray
        Number of customers targeted ``k``.
    y : ndarray
        Curve value at ``k`` (in responders).

    Examples
    --------
    >>> x, v = uplift_curve([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0])
    >>> x.tolist(), v.tolist()
    ([0, 1, 2, 3, 4], [0.0, 1.0, 2.0, 1.5, 0.0])
    """
    y, u, t = _check_inputs(y_true, uplift, treatment)
    n_all, n_t, n_c, r_t, r_c = _cumulative(y, u, t)
    values = (_div(r_t, n_t) - _div(r_c, n_c)) * n_all
    return _start_at_origin(n_all, values)


def qini_curve(y_true: Any, uplift: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Qini curve (Radcliffe 2007): incremental responders among the top ``k``.

    .. math::

        Q(k) = Y_T(k) - Y_C(k) \frac{N_T(k)}{N_C(k)}

    (the second term is 0 while :math:`N_C(k) = 0`), evaluated at every
    distinct score and starting at ``(0, 0)``; the x axis is the *number* of
    customers and the y axis is in *responders* (not fractions).  Identical to
    ``sklift.metrics.qini_curve``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    uplift : array-like of shape (n,)
        Predicted uplift (higher = target first).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.

    Returns
    -------
    x : ndarray
        Number of customers targeted ``k``.
    y : ndarray
        Qini value at ``k`` (in responders).

    Examples
    --------
    >>> x, q = qini_curve([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0])
    >>> x.tolist(), q.tolist()
    ([0, 1, 2, 3, 4], [0.0, 1.0, 1.0, 1.0, 0.0])
    """
    y, u, t = _check_inputs(y_true, uplift, treatment)
    n_all, n_t, n_c, r_t, r_c = _cumulative(y, u, t)
    values = r_t - r_c * _div(n_t, n_c)
    return _start_at_origin(n_all, values)


def perfect_uplift_curve(y_true: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
    """Uplift curve of the best possible ranking (scikit-uplift's definition).

    Treated responders and control non-responders first, then the others;
    the order of the middle groups depends on whether control responders
    outnumber treated non-responders (``sklift.metrics.perfect_uplift_curve``).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.

    Returns
    -------
    x, y : ndarray
        Points of the curve, as :func:`uplift_curve`.

    Examples
    --------
    >>> x, v = perfect_uplift_curve([1, 0, 0, 1], [1, 0, 1, 0])
    >>> v.tolist()
    [0.0, 1.0, 2.0, 1.5, 0.0]
    """
    y, _, t = _check_inputs(y_true, None, treatment)
    cr_num = np.sum((y == 1) & (t == 0))
    tn_num = np.sum((y == 0) & (t == 1))
    summand = y if cr_num > tn_num else t
    return uplift_curve(y, 2 * (y == t) + summand, t)


def perfect_qini_curve(
    y_true: Any, treatment: Any, negative_effect: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Qini curve of the best possible ranking (scikit-uplift's definition).

    With ``negative_effect=True`` the ideal model ranks treated responders
    first and control responders last (score ``y*t - y*(1-t)``), so the curve
    rises then falls; with ``False`` it rises at once to the overall
    incremental responders and stays flat.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    negative_effect : bool, default True
        Whether the ideal curve may contain customers hurt by the treatment.

    Returns
    -------
    x, y : ndarray
        Points of the curve, as :func:`qini_curve`.

    Examples
    --------
    >>> x, q = perfect_qini_curve([1, 0, 0, 1], [1, 0, 1, 0])
    >>> x.tolist(), q.tolist()
    ([0, 1, 3, 4], [0.0, 1.0, 1.0, 0.0])
    """
    if not isinstance(negative_effect, bool):
        raise TypeError(f"negative_effect must be a bool, got {type(negative_effect).__name__}.")
    y, _, t = _check_inputs(y_true, None, treatment)
    if negative_effect:
        return qini_curve(y, y * t - y * (1 - t), t)
    ratio = y[t == 1].sum() - (t == 1).sum() * y[t == 0].sum() / (t == 0).sum()
    return np.array([0, ratio, y.size]), np.array([0, ratio, ratio])


def _normalised_area(actual, perfect) -> float:
    x_a, y_a = actual
    x_p, y_p = perfect
    base = auc(np.array([0, x_p[-1]]), np.array([0, y_p[-1]]))
    denom = auc(x_p, y_p) - base
    if denom == 0:
        warnings.warn(
            "the perfect curve has the same area as random targeting; the normalised "
            "score is undefined (NaN).",
            DataWarning,
            stacklevel=3,
        )
        return float("nan")
    return float((auc(x_a, y_a) - base) / denom)


def qini_auc_score(y_true: Any, uplift: Any, treatment: Any, negative_effect: bool = True) -> float:
    r"""Normalised area under the Qini curve (Qini coefficient, scikit-uplift's).

    Normalisation: with :math:`A(\cdot)` the trapezoidal area under a curve
    in the (customers, responders) plane and the random-targeting baseline the
    straight line from ``(0, 0)`` to the end point of the perfect curve,

    .. math::

        \frac{A(\text{model}) - A(\text{random})}{A(\text{perfect}) - A(\text{random})}

    where "perfect" is :func:`perfect_qini_curve` with ``negative_effect``.
    1 is a perfect ranking, about 0 random targeting, negative worse than
    random.  Identical to ``sklift.metrics.qini_auc_score``.  (causalml's
    ``qini_score`` divides areas by the population and subtracts a different
    baseline, so the two numbers are not comparable.)

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    uplift : array-like of shape (n,)
        Predicted uplift (higher = target first).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    negative_effect : bool, default True
        Passed to :func:`perfect_qini_curve`.

    Returns
    -------
    float
        Qini coefficient.

    Examples
    --------
    >>> y, t = [1, 0, 0, 1], [1, 0, 1, 0]
    >>> qini_auc_score(y, [0.4, 0.3, 0.2, 0.1], t)
    1.0
    >>> qini_auc_score(y, [0.1, 0.2, 0.3, 0.4], t)
    -0.5
    """
    if not isinstance(negative_effect, bool):
        raise TypeError(f"negative_effect must be a bool, got {type(negative_effect).__name__}.")
    y, u, t = _check_inputs(y_true, uplift, treatment)
    return _normalised_area(qini_curve(y, u, t), perfect_qini_curve(y, t, negative_effect))


def uplift_auc_score(y_true: Any, uplift: Any, treatment: Any) -> float:
    r"""Normalised area under the uplift curve (scikit-uplift's definition).

    Normalisation: as :func:`qini_auc_score` but with :func:`uplift_curve`
    and :func:`perfect_uplift_curve`,

    .. math::

        \frac{A(\text{model}) - A(\text{random})}{A(\text{perfect}) - A(\text{random})}

    with the random baseline the straight line from ``(0, 0)`` to the end of
    the perfect uplift curve.  Identical to ``sklift.metrics.uplift_auc_score``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    uplift : array-like of shape (n,)
        Predicted uplift (higher = target first).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.

    Returns
    -------
    float
        Normalised area under the uplift curve.

    Examples
    --------
    >>> uplift_auc_score([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0])
    1.0
    >>> round(uplift_auc_score([1, 0, 0, 1], [0.4, 0.2, 0.3, 0.1], [1, 0, 1, 0]), 4)
    0.7778
    """
    y, u, t = _check_inputs(y_true, uplift, treatment)
    return _normalised_area(uplift_curve(y, u, t), perfect_uplift_curve(y, t))


def _k_size(k: Any, n: int) -> tuple[str, float | int]:
    kind = np.asarray(k).dtype.kind
    if kind not in ("i", "f") or isinstance(k, bool):
        raise ValueError(f"k must be an int (customers) or a float in (0, 1), got {k!r}.")
    if (kind == "i" and not 0 < k < n) or (kind == "f" and not 0 < k < 1):
        raise ValueError(
            f"k={k!r} must be a positive int smaller than the number of customers ({n}) or a "
            "float in (0, 1)."
        )
    return kind, k


def uplift_at_k(
    y_true: Any, uplift: Any, treatment: Any, strategy: str = "overall", k: float | int = 0.3
) -> float:
    r"""Observed uplift among the customers with the top ``k`` predicted uplift.

    Response rate of the treated minus response rate of the controls among

    - ``strategy="overall"``: the first ``k`` customers of the whole sample
      sorted by descending predicted uplift (``int(k * n)`` when ``k`` is a
      fraction);
    - ``strategy="by_group"``: the first ``int(k * n_T)`` treated and the
      first ``int(k * n_C)`` control customers, each group sorted separately
      (``k`` of each when ``k`` is an int).

    No normalisation: the result is a difference of proportions.  Identical
    to ``sklift.metrics.uplift_at_k`` (NaN with a warning when a group has
    nobody in the top ``k``).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    uplift : array-like of shape (n,)
        Predicted uplift.
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    strategy : {"overall", "by_group"}, default "overall"
        How the top ``k`` is taken.
    k : float or int, default 0.3
        Fraction in (0, 1) or number of customers.

    Returns
    -------
    float
        Uplift in the top ``k``.

    Examples
    --------
    >>> uplift_at_k([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0], k=0.5)
    1.0
    """
    y, u, t = _check_inputs(y_true, uplift, treatment)
    if strategy not in ("overall", "by_group"):
        raise ValueError(f"strategy must be 'overall' or 'by_group', got {strategy!r}.")
    n = y.size
    kind, k = _k_size(k, n)
    order = np.argsort(u, kind="mergesort")[::-1]
    ys, ts = y[order], t[order]
    if strategy == "overall":
        size = int(n * k) if kind == "f" else int(k)
        top_y, top_t = ys[:size], ts[:size]
        yt, yc = top_y[top_t == 1], top_y[top_t == 0]
    else:
        n_c = int((t == 0).sum() * k) if kind == "f" else int(k)
        n_t = int((t == 1).sum() * k) if kind == "f" else int(k)
        if n_c > (t == 0).sum() or n_t > (t == 1).sum():
            raise ValueError(
                f"k={k!r} is larger than the control ({(t == 0).sum()}) or treated "
                f"({(t == 1).sum()}) group."
            )
        yt, yc = ys[ts == 1][:n_t], ys[ts == 0][:n_c]
    if yt.size == 0 or yc.size == 0:
        warnings.warn(
            f"no {'treated' if yt.size == 0 else 'control'} customer in the top k={k!r}; "
            "uplift_at_k is NaN. Increase k.",
            DataWarning,
            stacklevel=2,
        )
        return float("nan")
    return float(yt.mean() - yc.mean())


def uplift_by_percentile(
    y_true: Any,
    uplift: Any,
    treatment: Any,
    strategy: str = "overall",
    bins: int = 10,
    std: bool = False,
    total: bool = False,
) -> pd.DataFrame:
    r"""Response rates and observed uplift per percentile bin of predicted uplift.

    Customers sorted by descending predicted uplift are split into ``bins``
    groups with :func:`numpy.array_split` (``strategy="overall"``; the first
    ``n % bins`` bins hold one more customer) or each arm is split separately
    (``"by_group"``).  Per bin: treated and control sizes, response rates and
    ``uplift = rate_treatment - rate_control`` (no normalisation); with
    ``std=True`` the binomial standard errors
    :math:`\sqrt{p(1-p)/n}` and :math:`\sqrt{se_T^2 + se_C^2}`.  Same layout
    and numbers as ``sklift.metrics.uplift_by_percentile``
    (``string_percentiles=True``); ``total=True`` appends a ``"total"`` row
    (whose std entries are, as in scikit-uplift, the sums of the bin entries).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    uplift : array-like of shape (n,)
        Predicted uplift.
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    strategy : {"overall", "by_group"}, default "overall"
        How customers are binned.
    bins : int, default 10
        Number of bins (must be smaller than the number of customers).
    std : bool, default False
        Add ``std_treatment``, ``std_control`` and ``std_uplift``.
    total : bool, default False
        Append a ``"total"`` row.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``percentile`` (``"0-10"``, ``"10-20"``, ...) with columns
        ``n_treatment``, ``n_control``, ``response_rate_treatment``,
        ``response_rate_control``, ``uplift`` (and the ``std_*`` columns).

    Examples
    --------
    >>> t = uplift_by_percentile([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0], bins=2)
    >>> t[["n_treatment", "n_control", "uplift"]]
                n_treatment  n_control  uplift
    percentile
    0-50                  1          1     1.0
    50-100                1          1    -1.0
    """
    y, u, t = _check_inputs(y_true, uplift, treatment)
    if strategy not in ("overall", "by_group"):
        raise ValueError(f"strategy must be 'overall' or 'by_group', got {strategy!r}.")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins <= 0:
        raise ValueError(f"bins must be a positive int, got {bins!r}.")
    if bins >= y.size:
        raise ValueError(f"bins={bins} must be smaller than the number of customers ({y.size}).")

    def rates(group: int, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(u, kind="mergesort")[::-1]
        ys, ts = y[order], t[order]
        if strategy == "overall":
            parts = [
                yb[tb == group]
                for yb, tb in zip(np.array_split(ys, n_bins), np.array_split(ts, n_bins))
            ]
        else:
            parts = np.array_split(ys[ts == group], n_bins)
        size = np.array([p.size for p in parts])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rate = np.array([p.mean() if p.size else np.nan for p in parts])
        return rate, size

    rt, nt = rates(1, bins)
    rc, nc = rates(0, bins)
    edges = [round(p * 100 / bins) for p in range(1, bins + 1)]
    labels = [f"0-{edges[0]}"] + [f"{edges[i]}-{edges[i + 1]}" for i in range(bins - 1)]
    table = pd.DataFrame(
        {
            "n_treatment": nt.astype(np.int64),
            "n_control": nc.astype(np.int64),
            "response_rate_treatment": rt,
            "response_rate_control": rc,
            "uplift": rt - rc,
        },
        index=pd.Index(labels, name="percentile"),
    )
    var_t = rt * (1 - rt) / nt
    var_c = rc * (1 - rc) / nc
    if total:
        rt1, nt1 = rates(1, 1)
        rc1, nc1 = rates(0, 1)
        table.loc["total"] = [nt1[0], nc1[0], rt1[0], rc1[0], rt1[0] - rc1[0]]
        table = table.astype({"n_treatment": np.int64, "n_control": np.int64})
    if std:
        sd_t, sd_c, sd_u = np.sqrt(var_t), np.sqrt(var_c), np.sqrt(var_t + var_c)
        if total:
            sd_t, sd_c, sd_u = (np.append(a, a.sum()) for a in (sd_t, sd_c, sd_u))
        table["std_treatment"] = sd_t
        table["std_control"] = sd_c
        table["std_uplift"] = sd_u
    return table


@dataclass(frozen=True)
class QiniInterval:
    """Bootstrap or permutation interval of a Qini coefficient.

    Attributes
    ----------
    estimate : float
        Qini coefficient on the full sample (NaN for a random band).
    low, high : float
        Interval bounds (percentiles ``alpha/2`` and ``1 - alpha/2``).
    alpha : float
        One minus the coverage.
    samples : numpy.ndarray
        The resampled Qini coefficients.
    """

    estimate: float
    low: float
    high: float
    alpha: float
    samples: np.ndarray


def qini_auc_confint(
    y_true: Any,
    uplift: Any,
    treatment: Any,
    *,
    n_bootstrap: int = 200,
    alpha: float = 0.05,
    negative_effect: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> QiniInterval:
    """Bootstrap percentile interval of :func:`qini_auc_score`.

    Customers are resampled with replacement *within each arm* (so both arms
    keep their sizes) ``n_bootstrap`` times; the interval holds the
    ``alpha/2`` and ``1 - alpha/2`` percentiles of the resampled coefficients.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    uplift : array-like of shape (n,)
        Predicted uplift.
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    n_bootstrap : int, default 200
        Number of bootstrap samples.
    alpha : float, default 0.05
        One minus the coverage.
    negative_effect : bool, default True
        Passed to :func:`qini_auc_score`.
    random_state : int, Generator or None
        Seed of the resampling.

    Returns
    -------
    QiniInterval

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = rng.integers(0, 2, 400)
    >>> u = rng.random(400)
    >>> y = (rng.random(400) < 0.1 + 0.3 * t * u).astype(int)
    >>> ci = qini_auc_confint(y, u, t, n_bootstrap=50, random_state=0)
    >>> bool(ci.low < ci.estimate < ci.high)
    True
    """
    y, u, t = _check_inputs(y_true, uplift, treatment)
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be >= 1, got {n_bootstrap!r}.")
    rng = np.random.default_rng(random_state)
    est = qini_auc_score(y, u, t, negative_effect)
    idx_t, idx_c = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    samples = np.empty(n_bootstrap)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for b in range(n_bootstrap):
            idx = np.r_[rng.choice(idx_t, idx_t.size), rng.choice(idx_c, idx_c.size)]
            samples[b] = qini_auc_score(y[idx], u[idx], t[idx], negative_effect)
    low, high = np.nanpercentile(samples, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return QiniInterval(float(est), float(low), float(high), alpha, samples)


def random_qini_band(
    y_true: Any,
    treatment: Any,
    *,
    n_permutations: int = 200,
    alpha: float = 0.05,
    negative_effect: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> QiniInterval:
    """Qini coefficients of random targeting: the band a useful model must beat.

    Scores are drawn as random permutations of the customers (equivalently,
    any model's scores permuted across customers) ``n_permutations`` times;
    the band holds the ``alpha/2`` and ``1 - alpha/2`` percentiles of their
    Qini coefficients.  A model whose Qini coefficient is above ``high`` is
    better than random targeting at level ``alpha/2`` (one-sided).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary outcome (0/1).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    n_permutations : int, default 200
        Number of random rankings.
    alpha : float, default 0.05
        One minus the coverage of the band.
    negative_effect : bool, default True
        Passed to :func:`qini_auc_score`.
    random_state : int, Generator or None
        Seed of the permutations.

    Returns
    -------
    QiniInterval
        ``estimate`` is NaN; ``low``/``high`` bound the random band.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = rng.integers(0, 2, 400)
    >>> y = (rng.random(400) < 0.2).astype(int)
    >>> band = random_qini_band(y, t, n_permutations=50, random_state=0)
    >>> bool(band.low < 0 < band.high)
    True
    """
    y, _, t = _check_inputs(y_true, None, treatment)
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, got {n_permutations!r}.")
    rng = np.random.default_rng(random_state)
    samples = np.empty(n_permutations)
    base = np.arange(y.size, dtype=float)
    for b in range(n_permutations):
        samples[b] = qini_auc_score(y, rng.permutation(base), t, negative_effect)
    low, high = np.percentile(samples, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return QiniInterval(float("nan"), float(low), float(high), alpha, samples)
