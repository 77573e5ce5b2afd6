"""Which items are not products (postage, fees, vouchers, manual adjustments).

Cross-sell suggestions and next best offers must never propose "POSTAGE" or
"BANK CHARGES": :func:`non_product_items` finds such items by their code
(Online Retail's ``POST``, ``DOT``, ``M``, ``BANK CHARGES``, ``AMAZONFEE``,
``gift_0001_10``, ...) or by their description (``postage``, ``carriage``,
``fee``, ``gift voucher``, ``discount``, ``manual``, ``samples``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["NON_PRODUCT_CODES", "NON_PRODUCT_WORDS", "non_product_items"]

#: Item codes that are not products (case-insensitive, whole code).
NON_PRODUCT_CODES: tuple[str, ...] = (
    "POST",
    "DOT",
    "M",
    "D",
    "S",
    "B",
    "C2",
    "CRUK",
    "BANK CHARGES",
    "AMAZONFEE",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
)
#: What a whole description says for a non-product (a product may *contain* such a word:
#: "FRENCH CARRIAGE LANTERN" is a lantern, "Next Day Carriage" is a delivery charge).
NON_PRODUCT_WORDS: tuple[str, ...] = (
    "postage",
    "carriage",
    "shipping",
    "delivery",
    "delivery charges?",
    "bank charges?",
    "amazon fee",
    "fee",
    "fees",
    "discount",
    "manual",
    "samples?",
    "adjust bad debt",
    "commission",
)
_CODE = re.compile(
    r"^(?:" + "|".join(re.escape(c) for c in NON_PRODUCT_CODES) + r"|gift_\d+_\d+)$",
    re.IGNORECASE,
)
# a whole label: at most two leading words ("DOTCOM POSTAGE", "Next Day Carriage",
# "CRUK Commission"), or any label that names a gift voucher / gift card
_LABEL = re.compile(
    r"^\W*(?:\w+\s+){0,2}(?:" + "|".join(NON_PRODUCT_WORDS) + r")\W*$"
    r"|\bgift\s*(?:voucher|card)\b",
    re.IGNORECASE,
)


def non_product_items(items: Iterable[Any], labels: pd.Series | None = None) -> list[Any]:
    """The items of ``items`` that are not products.

    Parameters
    ----------
    items : iterable
        Item ids (codes).
    labels : pandas.Series, optional
        Readable label (description) per item id, indexed by the id as text.

    Returns
    -------
    list
        The non-product items, in the order given.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.report._items import non_product_items
    >>> labels = pd.Series({"85123A": "WHITE HANGING HEART", "X1": "Dotcom postage",
    ...                     "23099": "FRENCH CARRIAGE LANTERN", "G": "Gift Voucher £10.00"})
    >>> non_product_items(["POST", "85123A", "X1", "23099", "G", "gift_0001_20", "beer"], labels)
    ['POST', 'X1', 'G', 'gift_0001_20']
    """
    out = []
    for item in items:
        text = str(item).strip()
        label = ""
        if labels is not None:
            lab = labels.get(text)
            label = "" if lab is None or pd.isna(lab) else str(lab)
        if _CODE.match(text) or _LABEL.search(label) or (not label and _LABEL.search(text)):
            out.append(item)
    return out
