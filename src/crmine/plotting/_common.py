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
