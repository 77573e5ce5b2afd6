"""Engine adapters: row-level steps executed where the rows live.

The core modules never import an engine by name.  An engine adapter
registers a *detector* (a cheap function that recognises its table type
without importing the engine) and the dotted path of the module that
implements the row-level steps.  :func:`find_engine` returns that module for
an input, or ``None`` for pandas input (the core's own path).

An adapter module implements any of these functions (the ones it lacks fall
back to converting the input to pandas):

``clean_transactions(log, **kwargs)``, ``fit(features, log)``,
``transform(features, log)``, ``fit_transform(features, log)``,
``rfm_table(log, **kwargs)``, ``basket_matrix(log, **kwargs)``,
``churn_labels(log, **kwargs)``, ``calibration_holdout_split(log, **kwargs)``.

Registered here: ``spark`` (:mod:`crmine.spark`) and the local engines
``polars``, ``arrow``, ``duckdb`` and ``parquet`` (:mod:`crmine.engines`),
which all execute on polars' lazy engine.  Detectors look at
``sys.modules`` and at the class of the object, so a pandas-only install never
imports any of them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from types import ModuleType

__all__ = ["find_engine", "register_engine", "registered_engines"]

# name -> (detector, module path); detectors must not import the engine
_REGISTRY: dict[str, tuple[Callable[[object], bool], str]] = {}


def register_engine(name: str, detect: Callable[[object], bool], module: str) -> None:
    """Register an engine adapter.

    Parameters
    ----------
    name : str
        Engine name (``"spark"``, ``"duckdb"``, ...).
    detect : callable
        ``detect(obj) -> bool``; must be cheap and must not import the engine.
    module : str
        Dotted path of the adapter module, imported on first use.

    Examples
    --------
    >>> register_engine("toy", lambda obj: False, "crmine.utils._engines")
    >>> "toy" in registered_engines()
    True
    >>> _ = _REGISTRY.pop("toy")
    """
    _REGISTRY[name] = (detect, module)


def registered_engines() -> list[str]:
    """Names of the registered engine adapters.

    Examples
    --------
    >>> "spark" in registered_engines()
    True
    """
    return list(_REGISTRY)


def find_engine(obj: object) -> ModuleType | None:
    """The adapter module for ``obj``, or ``None`` when no adapter claims it.

    Examples
    --------
    >>> import pandas as pd
    >>> find_engine(pd.DataFrame()) is None
    True
    """
    for detect, module in _REGISTRY.values():
        if detect(obj):
            return importlib.import_module(module)
    return None


def _module_startswith(obj: object, prefix: str) -> bool:
    return any(
        (getattr(cls, "__module__", "") or "").startswith(prefix) for cls in type(obj).__mro__
    )


def _is_spark(obj: object) -> bool:
    if "pyspark" not in sys.modules:
        return False
    for cls in type(obj).__mro__:
        module = getattr(cls, "__module__", "") or ""
        if (
            cls.__name__ == "DataFrame"
            and module.startswith("pyspark.sql")
            and not module.startswith("pyspark.sql.pandas")
        ):
            return True
    return False


def _is_polars(obj: object) -> bool:
    if "polars" not in sys.modules:
        return False
    return type(obj).__name__ in ("DataFrame", "LazyFrame") and _module_startswith(obj, "polars")


def _is_arrow(obj: object) -> bool:
    if "pyarrow" not in sys.modules:
        return False
    if type(obj).__name__ not in ("Table", "RecordBatch") or not _module_startswith(obj, "pyarrow"):
        return False
    # without polars an Arrow table is read on the pandas path (converted by column name)
    return "polars" in sys.modules or importlib.util.find_spec("polars") is not None


def _is_duckdb(obj: object) -> bool:
    if "duckdb" not in sys.modules:
        return False
    return type(obj).__name__ == "DuckDBPyRelation" and _module_startswith(obj, "duckdb")


_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def _is_parquet_path(obj: object) -> bool:
    """A path, glob or directory of Parquet files (never opened here)."""
    if not isinstance(obj, (str, os.PathLike)):
        return False
    text = os.fspath(obj)
    if not isinstance(text, str):
        return False
    if text.lower().endswith(_PARQUET_SUFFIXES):
        return True
    return os.path.isdir(text)


register_engine("spark", _is_spark, "crmine.spark._adapter")
# polars is the single executor of the local engines: polars frames, Arrow tables,
# DuckDB relations (streamed into polars) and Parquet paths (scanned lazily)
register_engine("polars", _is_polars, "crmine.engines._adapter")
register_engine("arrow", _is_arrow, "crmine.engines._adapter")
register_engine("duckdb", _is_duckdb, "crmine.engines._adapter")
register_engine("parquet", _is_parquet_path, "crmine.engines._adapter")
