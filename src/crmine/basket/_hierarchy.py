"""Item hierarchies: baskets lifted to category level (arules ``aggregate``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from crmine.basket._input import Baskets, as_baskets
from crmine.exceptions import InputTypeError, SchemaError
from crmine.schema import TransactionSchema

__all__ = ["aggregate_items", "drop_hierarchy_rules"]


def _as_mapping(mapping: Any, level: str | None) -> pd.Series:
    if isinstance(mapping, pd.DataFrame):
        if level is None:
            if mapping.shape[1] != 1:
                raise SchemaError(
                    f"the hierarchy table has columns {list(mapping.columns)}; pass level=... "
                    "naming the category column to use (e.g. level='level2')."
                )
            level = mapping.columns[0]
        if level not in mapping.columns:
            raise SchemaError(
                f"level {level!r} is not a column of the hierarchy table "
                f"(columns: {list(mapping.columns)}); pass one of them."
            )
        series = mapping[level]
    elif isinstance(mapping, pd.Series):
        series = mapping
    elif isinstance(mapping, Mapping):
        series = pd.Series(dict(mapping), dtype=object)
    else:
        raise InputTypeError(
            "mapping must be a dict or Series (item -> category) or a DataFrame indexed by item, "
            f"got {type(mapping).__name__}."
        )
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()].unique().tolist()[:3]
        raise SchemaError(f"items {dup} appear more than once in the hierarchy; keep one row each.")
    if series.isna().any():
        bad = series.index[series.isna()].tolist()[:3]
        raise SchemaError(f"items {bad} have no category (NaN) in the hierarchy; fill them.")
    return series


def aggregate_items(
    data: Any,
    mapping: Any,
    *,
    level: str | None = None,
    keep_items: bool = False,
    prefix: str = "",
    schema: TransactionSchema | None = None,
    items: Sequence[Any] | None = None,
) -> Baskets:
    """Replace items by their category (or add the categories) in every basket.

    A basket holds a category when it holds at least one item of it, so the
    category baskets can be mined with :func:`apriori` for category-level
    rules (the Groceries data has a 169 -> 55 -> 10 hierarchy).  Computed as
    one sparse product; no dense table is built.

    Parameters
    ----------
    data : DataFrame, list of baskets, scipy sparse matrix or Baskets
        Baskets at item level (see :func:`as_baskets`).
    mapping : dict, Series or DataFrame
        Item -> category.  A DataFrame is indexed by item and ``level`` names
        the category column.
    level : str, optional
        Column of a hierarchy DataFrame to use.
    keep_items : bool, default=False
        Keep the items and add the categories as extra items (multi-level
        baskets, arules ``addAggregate``); use :func:`drop_hierarchy_rules`
        to remove the trivial item -> own-category rules afterwards.
    prefix : str, default=""
        Prepended to category labels (e.g. ``"cat:"``), needed when a category
        label equals an item label and ``keep_items=True``.
    schema, items
        Passed to :func:`as_baskets` (columns of a long log; labels of a
        sparse matrix).

    Returns
    -------
    Baskets
        Category-level (or multi-level) baskets.

    Raises
    ------
    SchemaError
        An item without category, or a label clash with ``keep_items``.

    Examples
    --------
    >>> b = aggregate_items(
    ...     [["beer", "cola"], ["diapers"]],
    ...     {"beer": "drinks", "cola": "drinks", "diapers": "baby"},
    ... )
    >>> list(b.items), b.matrix.toarray().tolist()
    (['baby', 'drinks'], [[False, True], [True, False]])
    """
    series = _as_mapping(mapping, level)
    baskets = as_baskets(data, schema=schema, items=items)
    cat_of = series.reindex(baskets.items)
    missing = cat_of.isna().to_numpy()
    if missing.any():
        bad = baskets.items[missing]
        raise SchemaError(
            f"{len(bad)} item(s) have no category in the mapping, e.g. {bad[:3].tolist()}; "
            "add them to the mapping (no basket line is dropped silently)."
        )
    codes, cats = pd.factorize(cat_of.to_numpy(), sort=True)
    cats = pd.Index([f"{prefix}{c}" for c in cats]) if prefix else pd.Index(cats)
    n_items = len(baskets.items)
    to_cat = sp.csr_matrix(
        (np.ones(n_items, dtype=np.int32), (np.arange(n_items), codes)),
        shape=(n_items, len(cats)),
    )
    cat_matrix = (baskets.matrix.astype(np.int32) @ to_cat).astype(bool).tocsr()
    if not keep_items:
        return Baskets(cat_matrix, baskets.orders, cats)
    clash = baskets.items.intersection(cats)
    if len(clash):
        raise SchemaError(
            f"category labels {clash[:3].tolist()} are also item labels; pass prefix='cat:' "
            "(or another prefix) to keep them apart."
        )
    both = sp.hstack([baskets.matrix, cat_matrix], format="csr").astype(bool)
    return Baskets(both, baskets.orders, baskets.items.append(cats))


def drop_hierarchy_rules(
    rules: pd.DataFrame, mapping: Any, *, level: str | None = None, prefix: str = ""
) -> pd.DataFrame:
    """Remove rules that relate an item to its own category (multi-level mining).

    ``{whole milk} -> {milk products}`` holds with confidence 1 by
    construction when categories are added to the baskets; such rules, and
    rules whose antecedent holds both an item and its category, carry no
    information.

    Parameters
    ----------
    rules : pandas.DataFrame
        Output of :func:`association_rules` on multi-level baskets.
    mapping, level, prefix
        As given to :func:`aggregate_items`.

    Returns
    -------
    pandas.DataFrame
        The remaining rules (attrs kept).

    Examples
    --------
    >>> import pandas as pd
    >>> rules = pd.DataFrame({"antecedents": [frozenset({"beer"}), frozenset({"beer"})],
    ...                       "consequents": [frozenset({"drinks"}), frozenset({"baby"})]})
    >>> drop_hierarchy_rules(rules, {"beer": "drinks"})["consequents"].tolist()
    [frozenset({'baby'})]
    """
    if not isinstance(rules, pd.DataFrame):
        raise InputTypeError(
            f"rules must be the DataFrame returned by association_rules(), got "
            f"{type(rules).__name__}. Fix: pass association_rules(...)."
        )
    missing = [c for c in ("antecedents", "consequents") if c not in rules.columns]
    if missing:
        raise SchemaError(
            f"the rules table has no column(s) {missing} (columns: {list(rules.columns)[:8]}); "
            "pass the table returned by crmine.basket.association_rules()."
        )
    series = _as_mapping(mapping, level)
    parent = {k: f"{prefix}{v}" for k, v in series.items()}

    def trivial(a: frozenset, c: frozenset) -> bool:
        whole = a | c
        return any(parent.get(x) in whole for x in whole)

    keep = [not trivial(a, c) for a, c in zip(rules["antecedents"], rules["consequents"])]
    out = rules[np.asarray(keep, dtype=bool)].reset_index(drop=True)
    out.attrs.update(rules.attrs)
    return out
