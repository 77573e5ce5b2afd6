"""Helpers shared by the plotting submodules."""

from __future__ import annotations

from typing import Any


def get_axes(ax: Any = None, figsize: tuple[float, float] = (6.0, 4.5)) -> Any:
    """Return ``ax``, or the axes of a new figure of ``figsize`` when ``ax`` is None.

    matplotlib is imported only here, when a figure is actually drawn.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def thousands_formatter() -> Any:
    """Axis formatter with thousands separators and no offset/scientific notation.

    Examples
    --------
    >>> from crmine.plotting._common import thousands_formatter
    >>> thousands_formatter()(1234567.0)
    '1,234,567'
    """
    from matplotlib.ticker import FuncFormatter

    def fmt(value: float, pos: Any = None) -> str:
        if abs(value) >= 100 or value == round(value):
            return f"{value:,.0f}"
        return f"{value:,.2f}"

    return FuncFormatter(fmt)


def tick_labels_overlap(ax: Any) -> list[tuple[str, str]]:
    """Pairs of visible tick labels of ``ax`` whose boxes overlap once drawn.

    Used by the tests (and usable by anyone) to check that a figure is
    readable: labels that touch cannot be read.

    Parameters
    ----------
    ax : matplotlib Axes

    Returns
    -------
    list of (str, str)
        The overlapping label pairs (empty when the figure is readable).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from crmine.plotting._common import tick_labels_overlap
    >>> fig, ax = plt.subplots(figsize=(2, 2))
    >>> _ = ax.set_xticks(range(20), [f"label {i}" for i in range(20)])
    >>> len(tick_labels_overlap(ax)) > 0
    True
    >>> plt.close(fig)
    """
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pairs = []
    for axis in (ax.xaxis, ax.yaxis):
        labels = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in labels]
        for i in range(len(boxes) - 1):
            for j in range(i + 1, len(boxes)):
                if boxes[i].overlaps(boxes[j]):
                    pairs.append((labels[i].get_text(), labels[j].get_text()))
    return pairs
