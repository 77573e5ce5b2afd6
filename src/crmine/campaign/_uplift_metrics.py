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
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import auc

from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._checks import one_column
from crmine.utils._validation import check_binary, check_treatment, to_pandas

__all__ = [
    "perfect_qini_curve",
    "perfect_uplift_curve",
    "qini_auc_score",
    "qini_curve",
    "uplift_at_k",
    "uplift_auc_score",
    "uplift_by_percentile",
    "uplift_curve",
]


def _one_dimensional(values: Any, name: str) -> Any:
    """``values`` as a 1-D array-like; a one-column table is its column."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise SchemaError(
            f"{name} is the text {values!r}, not one value per customer. Fix: pass an array or "
            "a column (e.g. df['response'])."
        )
    values = one_column(values, name=name)
    if isinstance(values, pd.Series):
        return values
    arr = np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        return arr.ravel()
    if arr.ndim != 1:
        raise SchemaError(
            f"{name} must be one value per customer (1-D), got shape {arr.shape}. Fix: pass "
            "a 1-D array or a single column."
        )
    return arr


def _check_inputs(
    y_true: Any, y_score: Any | None, treatment: Any
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The one check of ``(y_true, y_score, treatment)`` for every uplift metric."""
    y_true, y_score, treatment = (
        _one_dimensional(v, name)
        for v, name in ((y_true, "y_true"), (y_score, "y_score"), (treatment, "treatment"))
    )
    y = check_binary(y_true, name="y_true")
    if y.size == 0:
        raise SchemaError("y_true is empty; uplift metrics need customers.")
    t = check_treatment(treatment, name="treatment", n=y.size)
    u = None
    if y_score is not None:
        raw = to_pandas(y_score, name="y_score")
        try:
            u = np.asarray(raw, dtype=float).ravel()
        except (TypeError, ValueError):
            raise SchemaError(
                "y_score must be numbers (the predicted uplift), got values such as "
                f"{list(np.asarray(raw, dtype=object).ravel()[:3])!r}. Fix: pass "
                "model.predict(X)."
            ) from None
        if u.shape != y.shape:
            raise SchemaError(
                f"y_score has {u.size} values but y_true has {y.size}; pass one predicted "
                "uplift per customer, in the same order."
            )
        if not np.isfinite(u).all():
            raise SchemaError(
                f"y_score has {int((~np.isfinite(u)).sum())} missing or infinite scores; "
                "every customer needs a finite predicted uplift."
            )
    return y.astype(np.int64), u, t.astype(np.int64)


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


def uplift_curve(y_true: Any, y_score: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
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
    y_score : array-like of shape (n,)
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
    y, u, t = _check_inputs(y_true, y_score, treatment)
    n_all, n_t, n_c, r_t, r_c = _cumulative(y, u, t)
    values = (_div(r_t, n_t) - _div(r_c, n_c)) * n_all
    return _start_at_origin(n_all, values)


def qini_curve(y_true: Any, y_score: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
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
    y_score : array-like of shape (n,)
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
    y, u, t = _check_inputs(y_true, y_score, treatment)
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
        raise TypeError(f"negative_effect must be True or False, got {negative_effect!r}.")
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


def qini_auc_score(
    y_true: Any, y_score: Any, treatment: Any, *, negative_effect: bool = True
) -> float:
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
    y_score : array-like of shape (n,)
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
        raise TypeError(f"negative_effect must be True or False, got {negative_effect!r}.")
    y, u, t = _check_inputs(y_true, y_score, treatment)
    return _normalised_area(qini_curve(y, u, t), perfect_qini_curve(y, t, negative_effect))


def uplift_auc_score(y_true: Any, y_score: Any, treatment: Any) -> float:
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
    y_score : array-like of shape (n,)
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
    y, u, t = _check_inputs(y_true, y_score, treatment)
    return _normalised_area(uplift_curve(y, u, t), perfect_uplift_curve(y, t))


def _k_size(k: Any, n: int) -> tuple[str, float | int]:
    kind = np.asarray(k).dtype.kind
    if kind not in ("i", "f") or isinstance(k, bool):
        raise SchemaError(f"k must be an int (customers) or a float in (0, 1), got {k!r}.")
    if (kind == "i" and not 0 < k < n) or (kind == "f" and not 0 < k < 1):
        raise SchemaError(
            f"k={k!r} must be a positive int smaller than the number of customers ({n}) or a "
            "float in (0, 1)."
        )
    return kind, k


def uplift_at_k(
    y_true: Any,
    y_score: Any,
    treatment: Any,
    *,
    strategy: str = "overall",
    k: float | int = 0.3,
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
    y_score : array-like of shape (n,)
        Predicted uplift (higher = target first).
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
    y, u, t = _check_inputs(y_true, y_score, treatment)
    if strategy not in ("overall", "by_group"):
        raise SchemaError(f"strategy={strategy!r} is not a strategy; use 'overall' or 'by_group'.")
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
            raise SchemaError(
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
    y_score: Any,
    treatment: Any,
    *,
    strategy: str = "overall",
    n_bins: int = 10,
    std: bool = False,
    total: bool = False,
) -> pd.DataFrame:
    r"""Response rates and observed uplift per percentile bin of predicted uplift.

    Customers sorted by descending predicted uplift are split into ``n_bins``
    groups with :func:`numpy.array_split` (``strategy="overall"``; the first
    ``n % n_bins`` bins hold one more customer) or each arm is split separately
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
    y_score : array-like of shape (n,)
        Predicted uplift (higher = target first).
    treatment : array-like of shape (n,)
        1 = treated, 0 = control.
    strategy : {"overall", "by_group"}, default "overall"
        How customers are binned.
    n_bins : int, default 10
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
    >>> t = uplift_by_percentile([1, 0, 0, 1], [0.4, 0.3, 0.2, 0.1], [1, 0, 1, 0], n_bins=2)
    >>> t[["n_treatment", "n_control", "uplift"]]
                n_treatment  n_control  uplift
    percentile
    0-50                  1          1     1.0
    50-100                1          1    -1.0
    """
    y, u, t = _check_inputs(y_true, y_score, treatment)
    if strategy not in ("overall", "by_group"):
        raise SchemaError(f"strategy={strategy!r} is not a strategy; use 'overall' or 'by_group'.")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins <= 0:
        raise SchemaError(f"n_bins must be a positive int, got {n_bins!r}; e.g. n_bins=10.")
    if n_bins >= y.size:
        raise SchemaError(
            f"n_bins={n_bins} must be smaller than the number of customers ({y.size}); pass "
            "fewer bins."
        )
    bins = int(n_bins)

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
