"""crmine's local engines: polars, Arrow, DuckDB and Parquet input, run on polars.

The core's row-level entry points (:func:`crmine.clean_transactions`,
:class:`crmine.TransactionFeatures`, :func:`crmine.rfm_table`) accept, besides
a pandas DataFrame,

* a ``polars.DataFrame`` or ``polars.LazyFrame``,
* a ``pyarrow.Table`` (wrapped without a copy),
* a DuckDB relation (streamed into polars in record batches),
* a path, glob or directory of Parquet files (scanned lazily, only the
  schema's columns are read: a log larger than memory works).

They are executed by polars' streaming engine with the definitions of the
pandas path, and return the same pandas customer table (index = customer id).
The adapter registers itself in :mod:`crmine.utils._engines` with detectors
that never import polars, pyarrow or duckdb, so a pandas-only install is not
affected.  See the user guide "From a laptop to a cluster" for which engine to
use at which size.
"""

from __future__ import annotations

from crmine.engines._frame import as_lazy

__all__ = ["as_lazy"]
