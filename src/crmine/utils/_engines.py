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


#: ``engine="auto"``: a pandas log of at least this many rows runs on polars when polars
#: is installed.  Measured with ``benchmarks/bench_engines.py --pandas`` (CPU time of the
#: full table, conversion included): even at 2M rows, polars ahead from there on.
POLARS_MIN_ROWS = 2_000_000
ENGINES = ("auto", "pandas", "polars")


def _safe_for_polars(log: object, columns: list[str], time_col: str) -> bool:
    """Columns that convert to polars without a change of meaning.

    The time column must already hold timestamps (text is parsed differently
    by pandas and polars), and every other column plain numbers or text.
    """
    import pandas as pd

    frame = log  # a pandas DataFrame (checked by the caller)
    for col in columns:
        dtype = frame[col].dtype  # type: ignore[index]
        if col == time_col:
            if not (pd.api.types.is_datetime64_any_dtype(dtype)):
                return False
        elif not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
                  or pd.api.types.is_string_dtype(dtype)):
            return False
    return True


def pandas_on_polars(log: object, engine: str, schema: object) -> object | None:
    """A polars frame of the schema's columns of a pandas log, or ``None`` (stay on pandas).

    ``engine="pandas"`` keeps pandas; ``"polars"`` converts (polars required);
    ``"auto"`` converts a log of at least :data:`POLARS_MIN_ROWS` rows when
    polars is installed and every role column converts without a change of
    meaning (timestamps already parsed, numbers or text).  Non-pandas input
    returns ``None`` (it has its own engine).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine import TransactionSchema
    >>> log = pd.DataFrame({"customer_id": [1], "order_id": [1],
    ...                     "timestamp": pd.to_datetime(["2024-01-01"]), "amount": [2.0]})
    >>> pandas_on_polars(log, "auto", TransactionSchema()) is None  # small: stays on pandas
    True
    >>> type(pandas_on_polars(log, "polars", TransactionSchema())).__name__
    'DataFrame'
    """
    import pandas as pd

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if engine == "pandas" or not isinstance(log, pd.DataFrame):
        return None
    roles = ("customer", "order", "time", "item", "quantity", "price", "amount", "category")
    columns = [c for c in dict.fromkeys(getattr(schema, r) for r in roles)
               if c is not None and c in log.columns]
    if engine == "auto":
        if len(log) < POLARS_MIN_ROWS or importlib.util.find_spec("polars") is None:
            return None
        if not _safe_for_polars(log, columns, schema.time):  # type: ignore[attr-defined]
            return None
    try:
        import polars as pl
    except ImportError as exc:
        raise ImportError(
            "engine='polars' needs polars. Fix: pip install 'crmine[engines]' "
            "(or pip install polars), or use engine='pandas'."
        ) from exc
    if engine == "polars":
        return pl.from_pandas(log[columns])
    try:  # "auto": a column pyarrow cannot type (mixed objects) keeps the pandas path
        return pl.from_pandas(log[columns])
    except Exception:  # any conversion failure means: stay on pandas
        return None
