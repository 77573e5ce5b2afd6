"""Figures that only the report draws: revenue per month, shares per segment.

Every function takes ``ax=`` and returns it, like the rest of
:mod:`crmine.plotting`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.plotting._common import get_axes, thousands_formatter

__all__ = ["plot_revenue_by_month", "plot_segment_shares"]


def plot_revenue_by_month(
    times: Any,
    amounts: Any,
    *,
    cutoff: Any = None,
    ax: Any = None,
) -> Any:
    """Bar chart of revenue per calendar month, partial months marked.

    The first and last months are "partial" when the log starts after the
    1st or ends (``cutoff``, exclusive) before the end of the month: they are
    drawn hatched and lighter and labelled, so that a short last month is not
    read as a slump.

    Parameters
    ----------
    times : array-like of datetime
        Transaction timestamps.
    amounts : array-like of float
        Line values.
    cutoff : timestamp, optional
        End of the observation (exclusive); default: midnight after the last
        timestamp.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting._report import plot_revenue_by_month
    >>> t = pd.to_datetime(["2024-01-01", "2024-02-10", "2024-03-05"])
    >>> ax = plot_revenue_by_month(t, [10.0, 20.0, 5.0])
    >>> [p.get_hatch() is not None for p in ax.patches]  # March is partial
    [False, False, True]
    """
    ax = get_axes(ax, (9.0, 3.4))
    t = pd.DatetimeIndex(pd.to_datetime(times))
    if t.tz is not None:
        t = t.tz_localize(None)
    values = np.asarray(amounts, dtype=float)
    months = t.to_numpy().astype("datetime64[M]")  # one C pass, no Python call per row
    uniq, inverse = np.unique(months, return_inverse=True)
    revenue = np.bincount(inverse.ravel(), weights=values, minlength=uniq.size)
    first = t.min()
    end = pd.Timestamp(cutoff) if cutoff is not None else t.max().normalize() + pd.Timedelta(days=1)
    if end.tzinfo is not None:
        end = end.tz_localize(None)
    partial = np.zeros(uniq.size, dtype=bool)
    partial[0] |= first.normalize() > pd.Timestamp(uniq[0])
    month_end = pd.Timestamp(uniq[-1]) + pd.offsets.MonthBegin(1)
    partial[-1] |= end < month_end
    labels = [pd.Timestamp(m).strftime("%b %Y") for m in uniq]
    x = np.arange(uniq.size)
    for i in x:
        ax.bar(
            i,
            revenue[i],
            color="#2f6690",
            alpha=0.45 if partial[i] else 1.0,
            hatch="//" if partial[i] else None,
            edgecolor="#2f6690",
            linewidth=0.5,
        )
    step = max(1, int(np.ceil(uniq.size / 12)))
    ax.set_xticks(x[::step], labels[::step], rotation=0 if uniq.size <= 12 else 30, ha="center")
    if uniq.size > 12:
        for lab in ax.get_xticklabels():
            lab.set_horizontalalignment("right")
    ax.yaxis.set_major_formatter(thousands_formatter())
    ax.set_ylabel("revenue")
    title = "Revenue per month"
    if partial.any():
        title += " (hatched: partial month, not comparable)"
    ax.set_title(title)
    ax.set_xlim(-0.6, uniq.size - 0.4)
    return ax


def plot_segment_shares(summary: pd.DataFrame, *, ax: Any = None) -> Any:
    """Share of customers and of revenue per segment, side by side.

    Parameters
    ----------
    summary : pandas.DataFrame
        Index = segment, columns ``customer_share`` and ``revenue_share``
        (as in :meth:`crmine.value.RFMScorer.segment_summary`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.plotting._report import plot_segment_shares
    >>> s = pd.DataFrame({"customer_share": [0.2, 0.8], "revenue_share": [0.6, 0.4]},
    ...                  index=["champions", "others"])
    >>> len(plot_segment_shares(s).patches)
    4
    """
    from matplotlib.ticker import PercentFormatter

    ax = get_axes(ax, (9.0, 0.8 + 0.34 * len(summary)))
    y = np.arange(len(summary))
    ax.barh(y - 0.2, summary["customer_share"], height=0.4, color="#2f6690", label="customers")
    ax.barh(y + 0.2, summary["revenue_share"], height=0.4, color="#edae49", label="revenue")
    ax.set_yticks(y, [str(s) for s in summary.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_xlabel("share of all customers / of all revenue")
    ax.legend(loc="lower right")
    ax.set_title("Share of customers and of revenue per segment")
    return ax
