"""Matplotlib figures for every crmine analysis.

Every function takes an optional ``ax=`` (a new figure is made when it is
``None``) and returns the ``Axes`` it drew on.  matplotlib is imported only
when this package is used.  The functions live in one private submodule per
analysis (``_value``, ``_segmentation``, ``_basket``, ``_evaluation``,
``_lifetime``, ``_campaign``, ``_dynamics``) and are all reachable from here.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("_value", "_segmentation", "_basket", "_evaluation", "_lifetime", "_campaign",
               "_dynamics")


def _public_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for sub in _SUBMODULES:
        try:
            mod = importlib.import_module(f"{__name__}.{sub}")
        except ModuleNotFoundError as exc:  # submodule not written yet
            if exc.name != f"{__name__}.{sub}":
                raise
            continue
        for name in getattr(mod, "__all__", ()):
            names[name] = sub
    return names


def __getattr__(name: str) -> Any:
    sub = _public_names().get(name)
    if sub is None:
        raise AttributeError(f"module 'crmine.plotting' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{sub}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_public_names()))
