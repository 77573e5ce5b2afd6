"""What the report sections share: the context, the "skipped" signal, constants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crmine.exceptions import CrmineError

__all__ = [
    "ReportContext",
    "SectionSkipped",
    "require_money",
    "no_datetime",
    "aligned_ids",
    "PALETTE",
]

#: Days of the churn label window (and the minimum history before its cutoff).
CHURN_HORIZON_DAYS = 90
#: Forecast horizon of the lifetime-value section, in days.
CLV_HORIZON_DAYS = 365
PALETTE = (
    "#2f6690",
    "#d1495b",
    "#edae49",
    "#66a182",
    "#8d6a9f",
    "#00798c",
    "#e07a5f",
    "#3d405b",
    "#81b29a",
    "#f2cc8f",
)


class SectionSkipped(CrmineError):
    """A section's preconditions do not hold; the message says why."""


@dataclass
class ReportContext:
    """Everything the sections share: the log, its cleaning and the customer table."""

    log: pd.DataFrame
    source: str
    layout: str
    random_state: int
    campaign: pd.DataFrame | None = None
    campaign_source: str = ""
    item_labels: pd.Series | None = None
    clean: pd.DataFrame | None = None
    cleaning: Any = None
    customers: pd.DataFrame | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    has_money: bool = True
    extras: dict[str, Any] = field(default_factory=dict)

    def label(self, item: Any) -> str:
        """Readable name of an item (its description when the log has one)."""
        if self.item_labels is not None:
            lab = self.item_labels.get(str(item))
            if lab is not None and str(lab):
                return f"{lab} ({item})"
        return str(item)

    def itemset(self, items: Any) -> str:
        """Readable, sorted list of an itemset's items."""
        return ", ".join(self.label(i) for i in sorted(items, key=str))


def no_datetime(frame: pd.DataFrame) -> pd.DataFrame:
    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c].dtype)]
    return frame.drop(columns=dates)


def aligned_ids(left: pd.Index, right: pd.Series) -> tuple[pd.Index, pd.Series]:
    """Make customer ids comparable when one side is numeric and the other text."""
    if pd.api.types.is_numeric_dtype(left.dtype) == pd.api.types.is_numeric_dtype(right.dtype):
        return left, right
    return left.astype(str), right.astype(str)


def require_money(ctx: ReportContext) -> None:
    """Skip the calling section when the log has no line values."""
    if not ctx.has_money:
        from crmine.report._prepare import NO_MONEY

        raise SectionSkipped(NO_MONEY)
