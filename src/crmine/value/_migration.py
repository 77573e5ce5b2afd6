"""Tier and segment migration between two periods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmine.base import Result
from crmine.exceptions import SchemaError
from crmine.utils._validation import to_pandas

__all__ = ["TierMigration", "tier_migration"]


@dataclass(frozen=True, repr=False)
class TierMigration(Result):
    """Result of :func:`tier_migration`.

    Attributes
    ----------
    table : DataFrame
        The transition matrix of customer counts; rows = tier before (plus
        ``"new"``), columns = tier after (plus ``"lost"``).  Also available
        as :attr:`matrix`.
    summary : Series
        ``customers_before``, ``customers_after``, ``stayed``, ``upgraded``,
        ``downgraded``, ``changed``, ``lost``, ``new`` and ``retention_rate``
        (share of the customers before that are still present after).
        ``upgraded``/``downgraded`` are NaN when the levels have no order.
    moves : DataFrame
        Per customer: ``before``, ``after`` and ``change`` (``"stayed"``,
        ``"upgrade"``, ``"downgrade"``, ``"changed"``, ``"lost"``, ``"new"``).
    levels : list
        Tier or segment levels, best first when ordered.
    ordered : bool
        Whether upgrades and downgrades are defined.

    Examples
    --------
    >>> import pandas as pd
    >>> m = tier_migration(pd.Series({"a": "VIP", "b": "small"}),
    ...                    pd.Series({"a": "small", "c": "small"}), order=["VIP", "small"])
    >>> m  # doctest: +NORMALIZE_WHITESPACE
    TierMigration(customers_before=2, customers_after=2, stayed=0, upgraded=0,
                  downgraded=1, lost=1, new=1, retention_rate=0.5, table=3x3)
    """

    summary: pd.Series
    moves: pd.DataFrame
    levels: list
    ordered: bool

    @property
    def matrix(self) -> pd.DataFrame:
        """The transition matrix (the same object as :attr:`table`)."""
        return self.table

    def _headline(self) -> dict[str, Any]:
        s = self.summary
        keys = ("customers_before", "customers_after", "stayed", "upgraded", "downgraded",
                "lost", "new", "retention_rate")
        out: dict[str, Any] = {}
        for k in keys:
            v = float(s[k])
            if np.isnan(v):
                continue
            out[k] = v if k == "retention_rate" else int(v)
        return out

    def rates(self) -> pd.DataFrame:
        """Row-normalised matrix: where the customers of each tier went.

        Returns
        -------
        DataFrame
            ``matrix`` divided by its row sums (rows without customers are NaN).

        Examples
        --------
        >>> import pandas as pd
        >>> m = tier_migration(pd.Series({"a": "x", "b": "x"}), pd.Series({"a": "x"}))
        >>> m.rates().loc["x"].tolist()
        [0.5, 0.5]
        """
        sums = self.matrix.sum(axis=1)
        return self.matrix.div(sums.where(sums > 0), axis=0)


def _labels_series(s: Any, name: str) -> pd.Series:
    if type(s).__name__ == "LazyFrame":
        raise SchemaError(f"tier_migration: {name} is a polars LazyFrame; pass a Series.")
    s = to_pandas(s, name=name)
    if isinstance(s, pd.DataFrame) and s.shape[1] == 1:
        s = s.iloc[:, 0]
    if not isinstance(s, pd.Series):
        raise SchemaError(
            f"tier_migration: {name} must be a Series of labels indexed by customer id "
            f"(e.g. ValueTierClassifier.predict(customers)); got {type(s).__name__}."
        )
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()].unique()[:5].tolist()
        raise SchemaError(
            f"tier_migration: {name} has duplicated customer ids {dup}; pass one label per "
            "customer."
        )
    if s.isna().any():
        miss = s.index[s.isna()][:5].tolist()
        raise SchemaError(
            f"tier_migration: {name} has {int(s.isna().sum())} missing labels (customers "
            f"{miss}); drop them - customers absent in a period are simply left out and "
            "counted as lost or new."
        )
    return s


def tier_migration(
    before: pd.Series,
    after: pd.Series,
    *,
    order: Sequence[Any] | None = None,
) -> TierMigration:
    """Transition matrix of tiers or segments between two periods.

    Parameters
    ----------
    before, after : Series
        Label per customer (index = customer id) in the earlier and the later
        period, e.g. ``ValueTierClassifier.predict`` of each period's table.
        Customers only in ``before`` are *lost*, only in ``after`` are *new*.
    order : sequence or None, default=None
        Levels from best to worst; defines upgrades and downgrades.  ``None``
        takes the order of an ordered categorical (its highest category is
        best); otherwise moves are only "changed".

    Returns
    -------
    TierMigration
        Transition matrix (``.table``), summary counts and per-customer moves.

    Examples
    --------
    >>> import pandas as pd
    >>> order = ["VIP", "major", "small"]
    >>> q1 = pd.Series({"a": "VIP", "b": "major", "c": "small", "d": "small"})
    >>> q2 = pd.Series({"a": "major", "b": "major", "c": "VIP", "e": "small"})
    >>> m = tier_migration(q1, q2, order=order)
    >>> m.matrix
    after   VIP  major  small  lost
    before
    VIP       0      1      0     0
    major     0      1      0     0
    small     1      0      0     1
    new       0      0      1     0
    >>> m.summary[["stayed", "upgraded", "downgraded", "lost", "new"]].tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    before = _labels_series(before, "before")
    after = _labels_series(after, "after")
    if order is not None:
        levels = list(order)
        ordered = True
    else:
        cats = [s.dtype for s in (before, after) if isinstance(s.dtype, pd.CategoricalDtype)]
        if (
            cats
            and all(c.ordered for c in cats)
            and len(cats) == 2
            and list(cats[0].categories) != list(cats[1].categories)
        ):
            raise SchemaError(
                "tier_migration: before and after are ordered categoricals with different "
                "categories; pass order=[best, ..., worst]."
            )
        if len(cats) == 2 and all(c.ordered for c in cats):
            levels = list(cats[0].categories)[::-1]
            ordered = True
        else:
            seen = list(pd.unique(pd.concat([before.astype(object), after.astype(object)])))
            levels = list(cats[0].categories) if cats else []
            levels += [v for v in seen if v not in levels]
            ordered = False
    if len(set(levels)) != len(levels) or {"new", "lost"} & set(levels):
        raise SchemaError(
            f"tier_migration: order={levels!r} must be distinct levels other than 'new' and "
            "'lost' (those name the customers entering and leaving)."
        )
    for name, s in (("before", before), ("after", after)):
        unknown = sorted(set(s.astype(object)) - set(levels), key=str)
        if unknown:
            raise SchemaError(
                f"tier_migration: {name} has labels {unknown} that are not in order="
                f"{levels!r}; add them to order."
            )
    rank = {lab: i for i, lab in enumerate(levels)}  # 0 = best
    ids = before.index.union(after.index, sort=False)
    b = before.astype(object).reindex(ids)
    a = after.astype(object).reindex(ids)
    change = np.full(len(ids), "stayed", dtype=object)
    in_b, in_a = b.notna().to_numpy(), a.notna().to_numpy()
    change[in_b & ~in_a] = "lost"
    change[~in_b & in_a] = "new"
    both = in_b & in_a
    rb = np.array([rank.get(v, -1) for v in b.to_numpy()])
    ra = np.array([rank.get(v, -1) for v in a.to_numpy()])
    if ordered:
        change[both & (ra < rb)] = "upgrade"
        change[both & (ra > rb)] = "downgrade"
    else:
        change[both & (ra != rb)] = "changed"
    moves = pd.DataFrame({"before": b, "after": a, "change": change}, index=ids)

    rows = [*levels, "new"]
    cols = [*levels, "lost"]
    matrix = pd.DataFrame(0, index=pd.Index(rows, name="before"), columns=cols, dtype=np.int64)
    matrix.columns.name = "after"
    row_lab = b.fillna("new").to_numpy()
    col_lab = a.fillna("lost").to_numpy()
    counts = (
        pd.Series(1, index=pd.MultiIndex.from_arrays([row_lab, col_lab]))
        .groupby(level=[0, 1])
        .sum()
    )
    for (r, c), cnt in counts.items():
        matrix.loc[r, c] = int(cnt)

    vc = pd.Series(change).value_counts()
    n_before, n_after = int(in_b.sum()), int(in_a.sum())
    summary = pd.Series(
        {
            "customers_before": n_before,
            "customers_after": n_after,
            "stayed": int(vc.get("stayed", 0)),
            "upgraded": int(vc.get("upgrade", 0)) if ordered else np.nan,
            "downgraded": int(vc.get("downgrade", 0)) if ordered else np.nan,
            "changed": int(vc.get("upgrade", 0) + vc.get("downgrade", 0) + vc.get("changed", 0)),
            "lost": int(vc.get("lost", 0)),
            "new": int(vc.get("new", 0)),
            "retention_rate": (n_before - int(vc.get("lost", 0))) / n_before
            if n_before
            else np.nan,
        },
        dtype=float,
        name="migration",
    )
    return TierMigration(
        table=matrix, summary=summary, moves=moves, levels=levels, ordered=ordered
    )
