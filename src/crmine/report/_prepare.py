"""The steps every ``crmine`` command shares: read, map columns, clean, summarise.

:func:`load_log` reads a log (a file, a database, a DataFrame or the built-in
synthetic data) and :func:`prepare_log` maps its columns to crmine's roles,
cleans it and builds the customer table.  The report and every verb of the
command line start from the same :class:`PreparedLog`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from crmine.exceptions import SchemaError
from crmine.report._io import has_money, normalise_log, recognise_layout
from crmine.report._read import ReadOptions, read_table

__all__ = ["PreparedLog", "load_log", "map_log", "prepare_log", "NO_MONEY"]

#: The sentence shown where an analysis needs line values the log does not have.
NO_MONEY = "the log has no money column (name one with --amount COLUMN, or --quantity and --price)"


@dataclass
class PreparedLog:
    """A log read, mapped to crmine's roles, cleaned and summarised per customer.

    Attributes
    ----------
    source, layout : str
        Where the log came from and which column layout was recognised.
    log : pandas.DataFrame
        The log with crmine's column names, before cleaning.
    clean : pandas.DataFrame
        The cleaned log.
    cleaning : crmine.schema.CleaningReport
        What cleaning dropped and why.
    customers : pandas.DataFrame
        The customer table of :class:`crmine.features.TransactionFeatures`.
    has_money : bool
        Whether the log has line values; without them every line counts 1 and
        the analyses of money are not run.
    item_labels : pandas.Series or None
        Readable label per item id.
    start, end : pandas.Timestamp
        First transaction and the cutoff (midnight after the last one).
    timings : dict
        Seconds per step.

    Examples
    --------
    >>> from crmine.datasets import make_retail
    >>> from crmine.report import prepare_log
    >>> prep = prepare_log(make_retail(40, random_state=0).transactions)
    >>> prep.customers.index.name, prep.has_money
    ('customer_id', True)
    """

    source: str
    layout: str
    log: pd.DataFrame
    clean: pd.DataFrame
    cleaning: Any
    customers: pd.DataFrame
    has_money: bool
    item_labels: pd.Series | None
    start: pd.Timestamp
    end: pd.Timestamp
    timings: dict[str, float] = field(default_factory=dict)


def load_log(
    log: str | Path | pd.DataFrame | None,
    *,
    options: ReadOptions | None = None,
    n_customers: int = 2000,
    random_state: int | None = None,
) -> tuple[pd.DataFrame, str, Any]:
    """Read a log; ``None`` gives the built-in synthetic log.

    Parameters
    ----------
    log : str, Path, DataFrame or None
        File, database URL, table, or ``None``.
    options : ReadOptions, optional
        How to read a file (separator, encoding, decimal mark, table).
    n_customers : int, default 2000
        Size of the built-in log.
    random_state : int or None, default None
        Seed of the built-in log.

    Returns
    -------
    raw : pandas.DataFrame
        The table as read.
    source : str
        A short description of where it came from.
    builtin : crmine.datasets.RetailData or None
        The synthetic data set when ``log`` is ``None`` (it carries a campaign).

    Examples
    --------
    >>> from crmine.report._prepare import load_log
    >>> raw, source, _ = load_log(None, n_customers=50, random_state=0)
    >>> source
    'built-in make_retail(n_customers=50, random_state=0)'
    """
    if log is None:
        from crmine.datasets import make_retail

        data = make_retail(n_customers, random_state=random_state)
        source = f"built-in make_retail(n_customers={n_customers}, random_state={random_state})"
        return data.transactions, source, data
    if isinstance(log, pd.DataFrame):
        return log, "DataFrame", None
    from crmine.utils._validation import is_dataframe_like, to_pandas

    if is_dataframe_like(log):
        return to_pandas(log, name="log"), type(log).__name__, None
    name = str(log) if "://" in str(log) else Path(log).name
    return read_table(log, options=options), name, None


def map_log(
    raw: pd.DataFrame, columns: Mapping[str, str | None] | None = None
) -> tuple[str, pd.DataFrame, pd.Series | None]:
    """Recognise the layout and give the columns crmine's names (no cleaning).

    Parameters
    ----------
    raw : pandas.DataFrame
        The log as read.
    columns : mapping, optional
        Role -> column given by the user.

    Returns
    -------
    layout : str
        The recognised layout.
    log : pandas.DataFrame
        The log with crmine's column names (see :func:`normalise_log`).
    item_labels : pandas.Series or None
        Readable label per item id.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.report._prepare import map_log
    >>> raw = pd.DataFrame({"order_id": [1, 1, 2], "item": ["milk", "bread", "beer"]})
    >>> raw.attrs["crmine_layout"] = "baskets"
    >>> layout, log, _ = map_log(raw)
    >>> layout, log.columns.tolist()
    ('baskets', ['customer_id', 'order_id', 'timestamp', 'item'])
    """
    layout, mapping = recognise_layout(raw.columns, columns)
    if raw.attrs.get("crmine_layout") and layout == "crmine":
        layout = raw.attrs["crmine_layout"]
    if raw.attrs.get("crmine_layout") == "baskets" and "customer" not in mapping:
        # one basket per line: each basket is its own customer, all on one day
        mapping = {"customer": "order_id", "order": "order_id", "item": "item", **mapping}
        raw = raw.assign(timestamp=pd.Timestamp("2000-01-01"))
        mapping.setdefault("time", "timestamp")
        layout = "baskets"
    log, item_labels = normalise_log(raw, mapping)
    return layout, log, item_labels


def prepare_log(
    raw: pd.DataFrame,
    *,
    columns: Mapping[str, str | None] | None = None,
    source: str = "DataFrame",
    progress: Callable[[str], None] | None = None,
) -> PreparedLog:
    """Map columns to roles, clean the log and build the customer table.

    Parameters
    ----------
    raw : pandas.DataFrame
        The log as read.
    columns : mapping, optional
        Role -> column given by the user (overrides the recognised layout).
    source : str, default "DataFrame"
        Shown in messages and in the report.
    progress : callable, optional
        Called with a short message before each step.

    Returns
    -------
    PreparedLog

    Raises
    ------
    crmine.exceptions.SchemaError
        Missing columns (all listed at once), invalid values, or nothing
        left after cleaning.

    Examples
    --------
    >>> from crmine.datasets import make_retail
    >>> from crmine.report._prepare import prepare_log
    >>> prep = prepare_log(make_retail(60, random_state=1).transactions)
    >>> prep.layout, prep.has_money, len(prep.customers) > 0
    ('crmine', True, True)
    """
    from crmine.features import TransactionFeatures
    from crmine.schema import clean_transactions

    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    layout, normal, item_labels = map_log(raw, columns)
    money = has_money(normal)
    work = normal if money else normal.assign(amount=1.0)
    timings["map"] = time.perf_counter() - t0

    say(f"cleaning {len(normal):,} rows")
    t0 = time.perf_counter()
    clean, cleaning = clean_transactions(work)
    if len(clean) == 0:
        raise SchemaError(
            f"no row is left after cleaning ({cleaning.rows_in:,} rows in): "
            + "; ".join(f"{r}: {int(n):,}" for r, n in cleaning.reasons["rows"].items() if n)
            + ". Fix: check the customer, quantity and price columns."
        )
    timings["clean"] = time.perf_counter() - t0

    say(f"building the customer table ({cleaning.customers_out:,} customers)")
    t0 = time.perf_counter()
    features = TransactionFeatures()
    customers = features.fit_transform(clean)
    timings["features"] = time.perf_counter() - t0
    return PreparedLog(
        source=source,
        layout=layout,
        log=normal,
        clean=clean,
        cleaning=cleaning,
        customers=customers,
        has_money=money,
        item_labels=item_labels,
        start=clean["timestamp"].min(),
        end=features.cutoff_,
        timings=timings,
    )
