"""Ranking helpers of the churn classifier: fast AUC, one-column AUC, permutation importance.

Permutation importance is the drop of held-out ROC AUC when one input column
is shuffled.  Two exact paths:

- **linear models** (a scikit-learn linear classifier with one ``coef_`` row,
  not calibrated): the decision function is ``Z @ w + b``, so shuffling the
  block of encoded columns of one input column changes it by
  ``d[perm] - d`` with ``d = Z[:, block] @ w[block]``.  The AUC depends only
  on the ranking, which the (monotone) probability shares with the decision
  function, so the importances are those of ``predict_proba`` -- at the cost
  of one sparse mat-vec per column instead of ``n_repeats`` predictions;
- **any other model**: one buffer of the held-out matrix; only the block of
  the permuted column is overwritten (and restored) for each repeat.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.exceptions import DataWarning


def _auc(y01: np.ndarray, score: np.ndarray) -> float:
    """Return the ROC AUC by the Mann-Whitney count over distinct scores (ties count one half).

    Equal to :func:`sklearn.metrics.roc_auc_score` but without its input
    checks, which dominate the cost of the many calls made by the leakage
    check and the permutation importances: one sort of the scores and two
    bincounts.

    Examples
    --------
    >>> import numpy as np
    >>> _auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    values, inverse = np.unique(score, return_inverse=True)
    total = np.bincount(inverse, minlength=len(values))
    pos = np.bincount(inverse, weights=y01, minlength=len(values))
    neg = total - pos
    below = np.cumsum(neg) - neg  # negatives scored strictly lower
    return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))


def _single_feature_auc(x: pd.Series, y: np.ndarray, numeric: bool, random_state: int) -> float:
    """Return the best ROC AUC one feature alone reaches (>= 0.5), missing values included.

    Numeric features are scored as they are, with missing values placed once
    below and once above all others (the better of the two counts, so that
    "missing only for churners" is caught).  Categorical features are
    target-encoded out of fold (5 folds), so identifiers do not look
    predictive.
    """
    if numeric:
        v = x.to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(v)
        if miss.all():
            return 0.5
        lo, hi = np.nanmin(v), np.nanmax(v)
        best = 0.5
        fills = (lo - 1.0, hi + 1.0) if miss.any() else (lo,)
        for fill in fills:
            w = np.where(miss, fill, v)
            if np.ptp(w) == 0:
                continue
            auc = _auc(y, w)
            best = max(best, auc, 1.0 - auc)
        return float(best)
    codes = pd.factorize(x if x.dtype == object else x.astype("object"), use_na_sentinel=False)[0]
    n_codes = int(codes.max()) + 1
    rng = np.random.default_rng(random_state)
    fold = rng.integers(0, 5, len(codes))
    enc = np.empty(len(codes))
    prior = float(y.mean())
    for f in range(5):
        train = fold != f
        cnt = np.bincount(codes[train], minlength=n_codes)
        pos = np.bincount(codes[train], weights=y[train], minlength=n_codes)
        means = np.where(cnt > 0, pos / np.maximum(cnt, 1), prior)
        enc[~train] = means[codes[~train]]
    if np.ptp(enc) == 0:
        return 0.5
    auc = _auc(y, enc)
    return float(max(auc, 1.0 - auc))


def _linear_weights(est: Any) -> tuple[np.ndarray, float] | None:
    """``(w, b)`` of a fitted binary linear classifier, or None for any other model."""
    module = type(est).__module__ or ""
    coef = getattr(est, "coef_", None)
    if not module.startswith("sklearn.linear_model") or coef is None:
        return None
    coef = np.asarray(coef, dtype=float)
    if coef.ndim != 2 or coef.shape[0] != 1:
        return None
    return coef[0], float(np.ravel(getattr(est, "intercept_", [0.0]))[0])


def permutation_drops(
    est: Any,
    Z: Any,
    y01: np.ndarray,
    blocks: list[np.ndarray],
    pos: int,
    n_repeats: int,
    seed: int,
) -> tuple[float, np.ndarray]:
    """Baseline AUC and the ``(n_columns, n_repeats)`` AUC drops of permuting each block.

    ``Z`` is the encoded held-out matrix (dense or sparse), ``blocks[j]`` the
    encoded columns of input column ``j`` and ``pos`` the index of the churn
    class in ``est.classes_``.  The same ``seed`` gives the same permutations
    on both paths.
    """
    n = Z.shape[0]
    prng = np.random.default_rng(seed)
    perms = [prng.permutation(n) for _ in range(n_repeats)]
    drops = np.zeros((len(blocks), n_repeats))
    linear = _linear_weights(est)
    if linear is not None:
        w, b = linear
        sign = 1.0 if pos == 1 else -1.0
        dec = sign * (np.asarray(Z @ w).ravel() + b)
        base = _auc(y01, dec)
        for j, cols in enumerate(blocks):
            if len(cols) == 0:
                continue
            d = sign * np.asarray(Z[:, cols] @ w[cols]).ravel()
            if not np.any(d):
                continue
            for r, perm in enumerate(perms):
                drops[j, r] = base - _auc(y01, dec - d + d[perm])
        return base, drops
    dense = Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z)
    base = _auc(y01, est.predict_proba(dense)[:, pos])
    buf = dense.copy()
    for j, cols in enumerate(blocks):
        if len(cols) == 0:
            continue
        block = dense[:, cols]
        for r, perm in enumerate(perms):
            buf[:, cols] = block[perm]
            drops[j, r] = base - _auc(y01, est.predict_proba(buf)[:, pos])
        buf[:, cols] = block
    return base, drops


@dataclass(frozen=True, repr=False)
class PermutationImportance(Result):
    """Permutation importances of a fitted :class:`ChurnClassifier` on held-out customers.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by input column: ``importance`` (mean drop of ROC AUC when the
        column is shuffled) and ``importance_std`` (over the repeats), largest
        first.
    baseline_auc : float
        ROC AUC of the held-out customers before any shuffling.
    n_repeats : int
        Shuffles per column.

    Examples
    --------
    >>> import pandas as pd
    >>> PermutationImportance(
    ...     table=pd.DataFrame({"importance": [0.2], "importance_std": [0.01]}, index=["tenure"]),
    ...     baseline_auc=0.8,
    ...     n_repeats=5,
    ... )
    PermutationImportance(baseline_auc=0.8, n_repeats=5, table=1x2)
    """

    baseline_auc: float
    n_repeats: int

    @property
    def importances(self) -> pd.Series:
        """The ``importance`` column."""
        return self.table["importance"]


def holdout_importances(
    clf: Any,
    data: pd.DataFrame,
    y_arr: np.ndarray,
    y01: np.ndarray,
    sample_weight: np.ndarray | None,
    groups: Any,
    rng: np.random.RandomState,
) -> None:
    """Importances on a hold-out of the training rows (``importance_holdout``), set on ``clf``."""
    from sklearn.model_selection import GroupShuffleSplit, StratifiedShuffleSplit

    seed = int(rng.randint(np.iinfo(np.int32).max))
    n = len(data)
    train = test = None
    try:
        if groups is not None:
            splitter = GroupShuffleSplit(1, test_size=clf.importance_holdout, random_state=seed)
            train, test = next(splitter.split(data, y01, groups))
        else:
            splitter = StratifiedShuffleSplit(
                1, test_size=clf.importance_holdout, random_state=seed
            )
            train, test = next(splitter.split(data, y01))
    except ValueError:
        pass
    if (
        train is None
        or len(np.unique(y01[train])) < 2
        or len(np.unique(y01[test])) < 2
        or (clf.calibration is not None and np.bincount(y01[train]).min() < 3)
    ):
        warnings.warn(
            f"too few customers ({n}, {int(y01.sum())} churners) to hold out rows for "
            "permutation importances; feature_importances_ is nan. Set "
            "importance_holdout=None to skip them.",
            DataWarning,
            stacklevel=4,
        )
        nan_imp = pd.Series(np.nan, index=clf._columns, dtype=float)
        clf.feature_importances_ = nan_imp.rename("importance")
        clf.feature_importances_std_ = nan_imp.rename("importance_std")
        return
    sw = None if sample_weight is None else sample_weight[train]
    pre, est = clf._fit_pipeline(data.iloc[train], y_arr[train], sw)
    Z = pre.transform(data.iloc[test])
    pos = list(est.classes_).index(clf.classes_[1])
    base, drops = permutation_drops(
        est, Z, y01[test], clf._blocks(pre), pos, int(clf.n_repeats), seed
    )
    clf.feature_importances_ = pd.Series(drops.mean(1), index=clf._columns, name="importance")
    clf.feature_importances_std_ = pd.Series(
        drops.std(1), index=clf._columns, name="importance_std"
    )
    clf.importance_baseline_auc_ = float(base)
