"""Association rules from frequent itemsets, and itemset filters.

The interest measures, exact thresholds and the Fisher test live in
:mod:`crmine.basket._measures`; the multiple-testing correction is crmine's
one :func:`crmine.utils._stats.p_adjust` (R's ``p.adjust``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from crmine.basket._itemset_array import ItemsetArray, _sort_key
from crmine.basket._itemsets import exact_fraction
from crmine.basket._keys import _lookup, _row_keys
from crmine.basket._measures import _RATIONAL, RULE_METRICS, fisher_pvalues
from crmine.basket._measures import ALIASES as _ALIASES
from crmine.basket._measures import meets as _meets
from crmine.basket._measures import metric_value as _metric_value
from crmine.exceptions import InputTypeError, SchemaError
from crmine.utils._stats import p_adjust

__all__ = [
    "RULE_METRICS",
    "association_rules",
    "closed_itemsets",
    "fisher_pvalues",
    "maximal_itemsets",
    "p_adjust",
]


class _ItemsetIndex:
    """Integer-coded, level-sorted view of an itemset table for fast subset lookups."""

    def __init__(self, itemsets: pd.DataFrame, n_baskets: int | None) -> None:
        if not isinstance(itemsets, pd.DataFrame):
            raise InputTypeError(
                f"itemsets must be the DataFrame returned by apriori(), got "
                f"{type(itemsets).__name__}."
            )
        col = next((c for c in ("itemset", "itemsets") if c in itemsets.columns), None)
        if col is None:
            raise SchemaError(
                f"no 'itemset' column in the itemsets table (columns: {list(itemsets.columns)}); "
                "pass the table returned by crmine.basket.apriori()."
            )
        if n_baskets is None:
            n_baskets = itemsets.attrs.get("n_baskets")
        if n_baskets is None:
            raise SchemaError(
                "the number of baskets is unknown: the itemsets table has no "
                ".attrs['n_baskets']; pass n_baskets=... (mlxtend's num_itemsets)."
            )
        self.n = int(n_baskets)
        if "count" in itemsets.columns:
            counts = itemsets["count"].to_numpy(dtype=np.int64)
        elif "support" in itemsets.columns:
            counts = np.rint(itemsets["support"].to_numpy(dtype=np.float64) * self.n).astype(
                np.int64
            )
        else:
            raise SchemaError(
                "the itemsets table needs a 'count' or a 'support' column; pass the table "
                "returned by crmine.basket.apriori()."
            )
        self.labels, by_len = _coded_rows(itemsets[col])
        self.code = {lab: i for i, lab in enumerate(self.labels.tolist())}
        self.levels: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        for k, (positions, rows) in sorted(by_len.items()):
            if k == 0:
                continue
            order = np.lexsort(rows.T[::-1])
            rows = rows[order]
            pos_arr = positions[order]
            keys = _row_keys(rows, len(self.labels))
            self.levels[k] = (rows, counts[pos_arr], pos_arr, keys)

    def position(self, rows: np.ndarray) -> np.ndarray:
        k = rows.shape[1]
        if k not in self.levels:
            return np.full(len(rows), -1, dtype=np.int64)
        return _lookup(self.levels[k][3], _row_keys(rows, len(self.labels)))

    def count(self, rows: np.ndarray) -> np.ndarray:
        pos = self.position(rows)
        if (pos < 0).any():
            missing = frozenset(self.labels[rows[np.flatnonzero(pos < 0)[0]]].tolist())
            raise SchemaError(
                f"itemset {set(missing)!r} is missing from the itemsets table, but a superset "
                "is present; rules need every subset of every itemset. Pass the full table "
                "returned by apriori() (filter the rules, not the itemsets)."
            )
        return self.levels[rows.shape[1]][1][pos]

    def codes_of(self, items: Iterable[Any] | None) -> np.ndarray | None:
        if items is None:
            return None
        if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
            items = [items]
        return np.array(sorted({self.code[x] for x in items if x in self.code}), dtype=np.int32)


def _coded_rows(column: pd.Series) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Sorted item labels, and per itemset length: positions and rows of sorted codes."""
    arr = column.array
    if isinstance(arr, ItemsetArray) and not arr.isna().any():
        # codes already: rename them to the ranks of the sorted labels, no frozensets
        used = np.unique(arr._codes)
        used_labels = arr._items[used].tolist()
        labels = sorted(used_labels, key=_sort_key)
        rank = {lab: i for i, lab in enumerate(labels)}
        new_code = np.full(len(arr._items), -1, dtype=np.int32)
        new_code[used] = [rank[x] for x in used_labels]
        codes, starts, lengths = new_code[arr._codes], arr._offsets[:-1], arr.lengths()
        by_len = {}
        for k in np.unique(lengths).tolist():
            positions = np.flatnonzero(lengths == k)
            rows = codes[starts[positions, None] + np.arange(k)]
            rows.sort(axis=1)
            by_len[k] = (positions.astype(np.int64), rows)
    else:
        sets = [frozenset(s) for s in column]
        labels = sorted({x for s in sets for x in s}, key=_sort_key)
        rank = {lab: i for i, lab in enumerate(labels)}
        grouped: dict[int, list[int]] = {}
        for pos, s in enumerate(sets):
            grouped.setdefault(len(s), []).append(pos)
        by_len = {
            k: (
                np.asarray(positions, dtype=np.int64),
                np.array(
                    [sorted(rank[x] for x in sets[p]) for p in positions], dtype=np.int32
                ).reshape(len(positions), k),
            )
            for k, positions in grouped.items()
        }
    out = np.empty(len(labels), dtype=object)
    out[:] = labels
    return out, by_len


def _bits(mask: int, k: int) -> list[int]:
    return [i for i in range(k) if mask >> i & 1]


def association_rules(
    itemsets: pd.DataFrame,
    metric: str = "confidence",
    min_threshold: float = 0.8,
    *,
    consequents: str = "any",
    n_baskets: int | None = None,
    must_contain: Iterable[Any] | None = None,
    must_not_contain: Iterable[Any] | None = None,
    consequent_items: Iterable[Any] | None = None,
    prune_redundant: bool = False,
    improvement: bool = False,
    min_len: int = 2,
    fisher: bool = False,
    correction: str = "none",
    alpha: float | None = None,
) -> pd.DataFrame:
    """Association rules ``antecedents -> consequents`` from frequent itemsets.

    Parameters
    ----------
    itemsets : pandas.DataFrame
        Frequent itemsets from :func:`apriori` (columns ``itemset`` and
        ``count``, ``.attrs["n_baskets"]``).  mlxtend tables (``itemsets``,
        ``support``) work with ``n_baskets`` given.  Every subset of every
        itemset must be present (as Apriori guarantees).
    metric : str, default="confidence"
        Measure to threshold, one of :data:`RULE_METRICS`.
    min_threshold : float, default=0.8
        Keep rules with ``metric >= min_threshold``.  Rational measures are
        compared exactly (``0.2`` means 1/5), cosine through its square.
    consequents : {"any", "single"}, default="any"
        ``"any"``: every split of an itemset into two non-empty parts
        (mlxtend's rule shape); ``"single"``: one-item consequents only
        (arules' shape).
    n_baskets : int, optional
        Number of baskets; read from ``itemsets.attrs["n_baskets"]`` by default.
    must_contain : iterable, optional
        Items that every rule must contain (on either side).
    must_not_contain : iterable, optional
        Items that no rule may contain.
    consequent_items : iterable, optional
        Items allowed in consequents (e.g. the products to cross-sell).
    prune_redundant : bool, default=False
        Drop redundant rules: ``A -> C`` is redundant when some rule
        ``A' -> C`` with a non-empty ``A'`` strictly inside ``A`` has a
        confidence at least as high (compared exactly).
    improvement : bool, default=False
        Add ``improvement`` (Bayardo et al. 1999, arules' ``improvement``):
        ``conf(A -> C)`` minus the best confidence of ``A' -> C`` over every
        proper subset ``A'`` of ``A``, the empty set included (whose
        confidence is the support of ``C``).  Computed from the itemset
        counts, so it does not depend on which rules pass the threshold.
    min_len : {1, 2, ...}, default=2
        Fewest items in a rule (antecedent and consequent together), as
        arules' ``minlen``.  ``min_len=1`` adds the rules ``{} -> C`` with an
        empty antecedent (confidence = support of ``C``, lift 1).
    fisher : bool, default=False
        Add ``fisher_p``: the one-sided Fisher exact test p-value of a positive
        association (see :func:`fisher_pvalues`) and ``fisher_p_adjusted``.
    correction : {"none", "bonferroni", "holm", "fdr_bh"}, default="none"
        Multiple-testing correction of ``fisher_p``, over the ``m`` rules that
        pass the threshold, the constraints and redundancy pruning (the
        family of rules reported), as in arules' ``is.significant``.
    alpha : float, optional
        If given (requires ``fisher=True``), keep only rules with
        ``fisher_p_adjusted <= alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per rule: ``antecedents``, ``consequents`` (frozensets),
        ``antecedent_count``, ``consequent_count``, ``count``,
        ``antecedent_support``, ``consequent_support``, ``support``,
        ``confidence``, ``lift``, ``leverage``, ``conviction``,
        ``zhangs_metric``, ``jaccard``, ``certainty``, ``kulczynski``,
        ``all_confidence``, ``cosine``, ``imbalance_ratio``, ``chi_squared``
        (and the improvement and Fisher columns).  ``.attrs["n_baskets"]``
        is kept.

    Notes
    -----
    With ``n`` baskets, counts ``a`` (antecedent), ``c`` (consequent) and
    ``ac`` (both): support ``ac/n``, confidence ``ac/a``, lift ``n ac/(a c)``,
    leverage ``ac/n - a c/n^2``, conviction ``(1 - c/n) / (1 - ac/a)``,
    Zhang's metric ``leverage / max(s(AC)(1 - s(A)), s(A)(s(C) - s(AC)))``,
    Jaccard ``ac/(a + c - ac)``, certainty ``(conf - s(C))/(1 - s(C))``,
    Kulczynski ``(ac/a + ac/c)/2``, all-confidence ``ac/max(a, c)``, cosine
    ``ac/sqrt(a c)``, imbalance ratio ``|a - c|/(a + c - ac)``, chi-squared
    ``n (n ac - a c)^2 / (a (n - a) c (n - c))`` (Pearson's statistic of the
    2 x 2 table, 1 degree of freedom, no continuity correction; arules'
    ``chiSquared``).

    Undefined values are as in arules: ``x/0`` is ``inf`` and ``0/0`` is
    NaN.  So a rule with confidence 1 has conviction ``inf`` (it never
    fails), but a rule whose consequent is in *every* basket (lift exactly
    1, no information) has conviction and certainty NaN, which never passes
    a threshold and sorts last (``sort_values`` puts NaN at the end).

    Examples
    --------
    >>> from crmine.basket import apriori
    >>> baskets = [["beer", "diapers"], ["beer", "diapers"], ["beer"], ["milk"]]
    >>> fi = apriori(baskets, min_support=0.25)
    >>> rules = association_rules(fi, "confidence", 0.6)
    >>> for r in rules.itertuples():
    ...     print(sorted(r.antecedents), "->", sorted(r.consequents), r.confidence, r.lift)
    ['beer'] -> ['diapers'] 0.666... 1.333...
    ['diapers'] -> ['beer'] 1.0 1.333...
    """
    metric = _ALIASES.get(metric, metric)
    if metric not in _RATIONAL:
        raise ValueError(f"unknown metric {metric!r}; choose one of {list(RULE_METRICS)}.")
    if consequents not in ("any", "single"):
        raise ValueError(f"consequents must be 'any' or 'single', got {consequents!r}.")
    if correction not in ("none", "bonferroni", "holm", "fdr_bh"):
        raise ValueError(
            f"unknown correction {correction!r}; use 'none', 'bonferroni', 'holm' or 'fdr_bh'."
        )
    if alpha is not None and not fisher:
        raise ValueError("alpha filters on the Fisher p-value: pass fisher=True as well.")
    exact_fraction(min_threshold)  # validates finiteness
    if isinstance(min_len, bool) or not isinstance(min_len, (int, np.integer)) or min_len < 1:
        raise ValueError(f"min_len must be an integer >= 1, got {min_len!r}. Fix: min_len=2.")
    index = _ItemsetIndex(itemsets, n_baskets)
    n = index.n
    must = index.codes_of(must_contain)
    if must_contain is not None and must is not None:
        wanted = set(must_contain) if not isinstance(must_contain, str) else {must_contain}
        if len(must) < len(wanted):  # an item that is in no itemset: no rule can hold it
            return _empty_rules(n, fisher, improvement)
    forbid = index.codes_of(must_not_contain)
    allowed_cons = index.codes_of(consequent_items)

    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("ant", "cons", "a", "c", "ac")}
    ant_rows: list[np.ndarray] = []  # code blocks into index.labels, one row per rule
    cons_rows: list[np.ndarray] = []
    imp_parts: list[np.ndarray] = []
    first = 0 if min_len <= 1 else 1  # mask 0 = empty antecedent
    for k, (rows, counts, _, _) in index.levels.items():
        if k < min_len or (k == 1 and first == 1):
            continue
        ok = np.ones(len(rows), dtype=bool)
        if forbid is not None and len(forbid):
            ok &= ~np.isin(rows, forbid).any(axis=1)
        if must is not None and len(must):
            ok &= np.isin(rows, must).sum(axis=1) == len(must)
        rows_k, counts_k = rows[ok], counts[ok]
        if len(rows_k) == 0:
            continue
        full = (1 << k) - 1
        masks = [
            m for m in range(first, full) if consequents == "any" or bin(m).count("1") == k - 1
        ]
        for mask in masks:
            acols, ccols = _bits(mask, k), _bits(full ^ mask, k)
            cons = rows_k[:, ccols]
            sel = np.ones(len(rows_k), dtype=bool)
            if allowed_cons is not None:
                sel &= np.isin(cons, allowed_cons).all(axis=1)
            if not sel.any():
                continue
            ant = rows_k[sel][:, acols]
            cons = cons[sel]
            a = index.count(ant) if acols else np.full(len(ant), n, dtype=np.int64)
            c = index.count(cons)
            ac = counts_k[sel]
            keep = _meets(metric, n, a, c, ac, min_threshold)
            if prune_redundant and len(acols) >= 2 and keep.any():
                keep &= ~_redundant(index, rows_k[sel], mask, full ^ mask, k, a, ac)
            if not keep.any():
                continue
            ant_rows.append(ant[keep])
            cons_rows.append(cons[keep])
            parts["a"].append(a[keep])
            parts["c"].append(c[keep])
            parts["ac"].append(ac[keep])
            if improvement:
                best = _best_sub_confidence(index, rows_k[sel][keep], mask, full ^ mask, k, n)
                imp_parts.append(ac[keep] / a[keep] - best)
    if not ant_rows:
        return _empty_rules(n, fisher, improvement)
    a = np.concatenate(parts["a"])
    c = np.concatenate(parts["c"])
    ac = np.concatenate(parts["ac"])
    extra: dict[str, np.ndarray] = {}  # in the frame from the start: no column inserts
    if improvement:
        extra["improvement"] = np.concatenate(imp_parts)
    if fisher:
        p = fisher_pvalues(n, a, c, ac)
        extra["fisher_p"] = p
        extra["fisher_p_adjusted"] = p_adjust(p, correction)
    out = _rules_frame(n, ant_rows, cons_rows, a, c, ac, index.labels, extra)
    if fisher:
        if alpha is not None:
            out = out[out["fisher_p_adjusted"].to_numpy() <= alpha].reset_index(drop=True)
    out.attrs["n_baskets"] = n
    out.attrs["correction"] = correction
    return out


def _best_sub_confidence(
    index: _ItemsetIndex, rows: np.ndarray, mask: int, cmask: int, k: int, n: int
) -> np.ndarray:
    """Best confidence of ``A' -> C`` over the proper subsets ``A'`` of ``A`` (empty included).

    NaN for a rule with an empty antecedent (it has no proper sub-rule).
    """
    if mask == 0:
        return np.full(len(rows), np.nan)
    best = index.count(rows[:, _bits(cmask, k)]) / float(n)  # the empty antecedent
    sub = (mask - 1) & mask
    while sub:
        a2 = index.count(rows[:, _bits(sub, k)])
        ac2 = index.count(rows[:, _bits(sub | cmask, k)])
        np.maximum(best, ac2 / a2, out=best)
        sub = (sub - 1) & mask
    return best


def _redundant(
    index: _ItemsetIndex,
    rows: np.ndarray,
    mask: int,
    cmask: int,
    k: int,
    a: np.ndarray,
    ac: np.ndarray,
) -> np.ndarray:
    """Rules whose confidence does not beat a rule with a smaller non-empty antecedent."""
    red = np.zeros(len(rows), dtype=bool)
    sub = (mask - 1) & mask
    while sub:
        a2 = index.count(rows[:, _bits(sub, k)])
        ac2 = index.count(rows[:, _bits(sub | cmask, k)])
        # conf <= conf2  <=>  ac * a2 <= ac2 * a   (exact, in Python ints if large)
        lhs = ac.astype(object) * a2.astype(object)
        rhs = ac2.astype(object) * a.astype(object)
        red |= np.asarray(lhs <= rhs, dtype=bool)
        sub = (sub - 1) & mask
    return red


_RULE_COLUMNS = [
    "antecedents",
    "consequents",
    "antecedent_count",
    "consequent_count",
    "count",
    "antecedent_support",
    "consequent_support",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "zhangs_metric",
    "jaccard",
    "certainty",
    "kulczynski",
    "all_confidence",
    "cosine",
    "imbalance_ratio",
    "chi_squared",
]


def _rules_frame(
    n: int,
    ant_rows: list[np.ndarray],
    cons_rows: list[np.ndarray],
    a: np.ndarray,
    c: np.ndarray,
    ac: np.ndarray,
    labels: np.ndarray,
    extra: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    data: dict[str, Any] = {
        "antecedents": ItemsetArray._from_blocks(ant_rows, labels),
        "consequents": ItemsetArray._from_blocks(cons_rows, labels),
        "antecedent_count": a.astype(np.int64),
        "consequent_count": c.astype(np.int64),
        "count": ac.astype(np.int64),
    }
    af, cf, acf = (x.astype(np.float64) for x in (a, c, ac))
    for name in _RULE_COLUMNS[5:]:
        data[name] = _metric_value(name, float(n), af, cf, acf)
    data.update(extra or {})
    out = pd.DataFrame(data, copy=False)
    out.attrs["n_baskets"] = n
    return out


def _empty_rules(n: int, fisher: bool, improvement: bool = False) -> pd.DataFrame:
    empty = np.empty(0, np.int64)
    out = _rules_frame(n, [], [], empty, empty, empty, np.empty(0, dtype=object))
    if improvement:
        out["improvement"] = np.empty(0)
    if fisher:
        out["fisher_p"] = np.empty(0)
        out["fisher_p_adjusted"] = np.empty(0)
    return out


def _superset_flags(itemsets: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Per itemset: has a frequent immediate superset / one with the same count."""
    n = itemsets.attrs.get("n_baskets") if isinstance(itemsets, pd.DataFrame) else None
    index = _ItemsetIndex(itemsets, n if n is not None else 1)
    has_super = np.zeros(len(itemsets), dtype=bool)
    has_equal = np.zeros(len(itemsets), dtype=bool)
    for k, (rows, counts, _, _) in index.levels.items():
        if k - 1 not in index.levels:
            continue
        _, sub_counts, sub_pos, _ = index.levels[k - 1]
        for drop in range(k):
            pos = index.position(np.delete(rows, drop, axis=1))
            found = pos >= 0
            has_super[sub_pos[pos[found]]] = True
            eq = found.copy()
            eq[found] = sub_counts[pos[found]] == counts[found]
            has_equal[sub_pos[pos[eq]]] = True
    return has_super, has_equal


def closed_itemsets(itemsets: pd.DataFrame) -> pd.DataFrame:
    """Keep the closed itemsets: no proper superset occurs in as many baskets.

    Parameters
    ----------
    itemsets : pandas.DataFrame
        The full table of frequent itemsets from :func:`apriori`.

    Returns
    -------
    pandas.DataFrame
        The closed rows, in the input order (attrs kept).

    Examples
    --------
    >>> from crmine.basket import apriori
    >>> fi = apriori([["a", "b"], ["a", "b"], ["a"]], min_support=0.5)
    >>> [sorted(s) for s in closed_itemsets(fi)["itemset"]]
    [['a'], ['a', 'b']]
    """
    _, has_equal = _superset_flags(itemsets)
    out = itemsets[~has_equal]
    out.attrs.update(itemsets.attrs)
    return out


def maximal_itemsets(itemsets: pd.DataFrame) -> pd.DataFrame:
    """Keep the maximal itemsets: no proper superset is frequent.

    Parameters
    ----------
    itemsets : pandas.DataFrame
        The full table of frequent itemsets from :func:`apriori`.

    Returns
    -------
    pandas.DataFrame
        The maximal rows, in the input order (attrs kept).

    Examples
    --------
    >>> from crmine.basket import apriori
    >>> fi = apriori([["a", "b"], ["a", "b"], ["a", "c"]], min_support=0.3)
    >>> [sorted(s) for s in maximal_itemsets(fi)["itemset"]]
    [['a', 'b'], ['a', 'c']]
    """
    has_super, _ = _superset_flags(itemsets)
    out = itemsets[~has_super]
    out.attrs.update(itemsets.attrs)
    return out
