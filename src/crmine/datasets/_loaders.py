"""Loaders for the public data sets used to test and demonstrate crmine.

None of the files ships with crmine; each docstring says where the public file
comes from.  Every loader returns crmine's column names so that the result
goes straight into :class:`~crmine.features.TransactionFeatures` and friends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError

__all__ = [
    "load_online_retail",
    "load_cdnow",
    "load_groceries",
    "load_groceries_hierarchy",
    "load_fimi",
    "load_hillstrom",
    "load_telco_churn",
]

PathLike = str | Path

ONLINE_RETAIL_COLUMNS = {
    "InvoiceNo": "order_id",
    "StockCode": "item",
    "Description": "description",
    "Quantity": "quantity",
    "InvoiceDate": "timestamp",
    "UnitPrice": "price",
    "CustomerID": "customer_id",
    "Country": "country",
}


def _file(path: PathLike, *, what: str, source: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(
            f"{what} file not found at {str(p)!r}. It is not shipped with crmine; "
            f"download it from {source} and pass its path."
        )
    return p


def load_online_retail(path: PathLike) -> pd.DataFrame:
    """Load the UCI Online Retail log (UK gift retailer, 2010-12 to 2011-12).

    Source: UCI Machine Learning Repository, dataset 352 "Online Retail"
    (Chen, Sain & Guo 2012), CC BY 4.0: ``Online Retail.xlsx``.  CSV
    (optionally gzipped), Parquet and Excel copies with the UCI column names are
    accepted.

    Parameters
    ----------
    path : str or Path
        ``.xlsx``, ``.csv``, ``.csv.gz`` or ``.parquet`` file.

    Returns
    -------
    pandas.DataFrame
        Columns ``order_id`` (str; a leading "C" marks a cancellation),
        ``item`` (StockCode), ``description``, ``quantity``, ``timestamp``,
        ``price``, ``customer_id`` (nullable integer; 135,080 rows have none),
        ``country``.  Nothing is dropped: clean it with
        :func:`crmine.clean_transactions`, which by default nets the 9,288
        cancellation lines against the orders they cancel (e.g. customer
        16446's 80,995-unit order, cancelled 12 minutes later);
        ``returns="drop"`` gives the textbook 4,338 customers and
        8,911,407.90 revenue.

    Examples
    --------
    >>> from crmine.datasets import load_online_retail
    >>> log = load_online_retail("online_retail.parquet")  # doctest: +SKIP
    >>> len(log)  # doctest: +SKIP
    541909
    """
    p = _file(path, what="Online Retail", source="the UCI repository (dataset 352)")
    name = p.name.lower()
    if name.endswith(".parquet"):
        raw = pd.read_parquet(p)
    elif name.endswith((".xlsx", ".xls")):
        raw = pd.read_excel(p, dtype={"InvoiceNo": str, "StockCode": str})
    else:
        raw = pd.read_csv(
            p, dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "Country": str},
            encoding_errors="replace",
        )
    missing = [c for c in ONLINE_RETAIL_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaError(
            f"{str(p)!r} does not look like Online Retail: missing column(s) {missing}."
        )
    df = raw[list(ONLINE_RETAIL_COLUMNS)].rename(columns=ONLINE_RETAIL_COLUMNS)
    df["order_id"] = df["order_id"].astype(str)
    df["item"] = df["item"].astype(str)
    if "description" in df and (df["description"] == "Unknown").any() and name.endswith(
        ".parquet"
    ):
        # the public parquet copy replaced missing descriptions by "Unknown"
        df["description"] = df["description"].mask(df["description"] == "Unknown")
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    df["customer_id"] = pd.array(
        pd.to_numeric(df["customer_id"]).round(), dtype="Int64"
    )
    return df


def load_cdnow(path: PathLike, kind: str | None = None) -> pd.DataFrame:
    """Load the CDNOW 1997 cohort (Fader & Hardie) as a transaction log.

    Source: Bruce Hardie's data sets page (``CDNOW_master.txt``, 23,570
    customers; ``CDNOW_sample.txt``, the 2,357-customer sample of Fader, Hardie
    & Lee 2005).  Both are whitespace separated; the sample has an extra
    sample-id column.

    Parameters
    ----------
    path : str or Path
        ``CDNOW_master.txt`` or ``CDNOW_sample.txt``.
    kind : {"master", "sample"}, optional
        File layout; guessed from the number of columns when omitted.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (int), ``order_id`` (one per line), ``timestamp``,
        ``quantity`` (CDs) and ``amount`` (dollars).  Same-day purchases are
        not merged here (the BTYD features merge them).

    Examples
    --------
    >>> from crmine.datasets import load_cdnow
    >>> log = load_cdnow("CDNOW_sample.txt")  # doctest: +SKIP
    >>> log["customer_id"].nunique()  # doctest: +SKIP
    2357
    """
    p = _file(path, what="CDNOW", source="brucehardie.com/datasets")
    raw = pd.read_csv(p, sep=r"\s+", header=None, dtype=str)
    if raw.iloc[0, 0] == "customer_id":
        raw = raw.iloc[1:]
    if kind is None:
        kind = "sample" if raw.shape[1] == 5 else "master"
    if kind == "sample":
        raw = raw.iloc[:, [0, 2, 3, 4]]
    elif kind != "master":
        raise ValueError(f"kind must be 'master' or 'sample', got {kind!r}.")
    raw.columns = ["customer_id", "date", "quantity", "amount"]
    df = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype(int).to_numpy(),
            "timestamp": pd.to_datetime(raw["date"], format="%Y%m%d").to_numpy(),
            "quantity": raw["quantity"].astype(int).to_numpy(),
            "amount": raw["amount"].astype(float).to_numpy(),
        }
    )
    df.insert(1, "order_id", np.arange(1, len(df) + 1))
    return df


def _read_baskets(p: Path, sep: str | None) -> list[list[str]]:
    baskets = []
    with p.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            items = line.split(sep) if sep is not None else line.split()
            baskets.append(items)
    return baskets


def load_groceries(path: PathLike) -> list[list[str]]:
    """Load the Groceries baskets (arules; one month of a grocery outlet).

    Source: the R package arules (Hahsler, Hornik & Reutterer), data set
    ``Groceries``: 9,835 baskets over 169 item labels, one basket per line,
    items separated by commas.  Two labels carry a trailing space exactly as
    in arules (``"cream cheese "``, ``"roll products "``); lines are split
    without stripping so there are 169 items, not 171.

    Parameters
    ----------
    path : str or Path
        ``groceries.csv``.

    Returns
    -------
    list of list of str
        One list of item labels per basket.

    Examples
    --------
    >>> from crmine.datasets import load_groceries
    >>> baskets = load_groceries("groceries.csv")  # doctest: +SKIP
    >>> len(baskets), len({i for b in baskets for i in b})  # doctest: +SKIP
    (9835, 169)
    """
    p = _file(path, what="Groceries", source="the R package arules (data Groceries)")
    return _read_baskets(p, ",")


def load_groceries_hierarchy(path: PathLike) -> pd.DataFrame:
    """Load the Groceries item hierarchy (169 items -> 55 -> 10 categories).

    Parameters
    ----------
    path : str or Path
        ``groceries_item_hierarchy.csv`` with columns ``item``, ``level2``,
        ``level1``.

    Returns
    -------
    pandas.DataFrame
        Indexed by item label, columns ``level2`` and ``level1``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "groceries_item_hierarchy.csv"
    >>> lines = ["item,level2,level1", "whole milk,milk,fresh products"]
    >>> _ = f.write_text(chr(10).join(lines))
    >>> load_groceries_hierarchy(f).loc["whole milk", "level1"]
    'fresh products'
    """
    p = _file(path, what="Groceries hierarchy", source="the R package arules")
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    return df.set_index("item")[["level2", "level1"]]


def load_fimi(path: PathLike) -> list[list[int]]:
    """Load a FIMI repository ``.dat`` file (one basket of integer items per line).

    Source: the Frequent Itemset Mining Implementations repository
    (fimi.uantwerpen.be/data): ``retail.dat`` (Brijs et al., Belgian
    supermarket, 88,162 baskets), ``T10I4D100K.dat`` (IBM Quest synthetic).

    Parameters
    ----------
    path : str or Path
        The ``.dat`` file.

    Returns
    -------
    list of list of int
        One list of item ids per basket.

    Examples
    --------
    >>> from crmine.datasets import load_fimi
    >>> baskets = load_fimi("retail.dat")  # doctest: +SKIP
    >>> len(baskets)  # doctest: +SKIP
    88162
    """
    p = _file(path, what="FIMI", source="fimi.uantwerpen.be/data")
    return [[int(x) for x in b] for b in _read_baskets(p, None)]


def load_hillstrom(path: PathLike) -> pd.DataFrame:
    """Load the Hillstrom (MineThatData, 2008) e-mail campaign data.

    Source: Kevin Hillstrom's MineThatData blog, "E-Mail Analytics And Data
    Mining Challenge" (64,000 customers randomised to Mens E-Mail, Womens
    E-Mail or No E-Mail; outcomes over two weeks).

    Parameters
    ----------
    path : str or Path
        The challenge CSV.

    Returns
    -------
    pandas.DataFrame
        The original columns (``recency``, ``history_segment``, ``history``,
        ``mens``, ``womens``, ``zip_code``, ``newbie``, ``channel``,
        ``segment``, ``visit``, ``conversion``, ``spend``), with a
        ``customer_id`` index 0..63,999 in file order.

    Examples
    --------
    >>> from crmine.datasets import load_hillstrom
    >>> df = load_hillstrom("hillstrom.csv")  # doctest: +SKIP
    >>> df["segment"].value_counts().sort_index().tolist()  # doctest: +SKIP
    [21307, 21387, 21306]
    """
    p = _file(path, what="Hillstrom", source="the MineThatData blog (2008)")
    df = pd.read_csv(p)
    df.index = pd.RangeIndex(len(df), name="customer_id")
    return df


def load_telco_churn(path: PathLike) -> pd.DataFrame:
    """Load the IBM Telco customer churn data (7,043 customers).

    Source: IBM sample data sets, ``WA_Fn-UseC_-Telco-Customer-Churn.csv``
    (Apache-2.0).  ``TotalCharges`` is blank for the 11 customers with tenure
    0; those blanks become missing values (NaN) — no row is dropped.
    ``Churn`` becomes 0/1 in ``churn``.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customerID``; the original columns with ``TotalCharges``
        numeric and ``Churn`` replaced by an integer ``churn`` column.

    Examples
    --------
    >>> from crmine.datasets import load_telco_churn
    >>> df = load_telco_churn("telco.csv")  # doctest: +SKIP
    >>> int(df["churn"].sum())  # doctest: +SKIP
    1869
    """
    p = _file(path, what="Telco churn", source="IBM's sample data sets")
    df = pd.read_csv(p, dtype={"customerID": str})
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"].replace(r"^\s*$", np.nan, regex=True))
    df["churn"] = (df.pop("Churn") == "Yes").astype(int)
    return df.set_index("customerID")
