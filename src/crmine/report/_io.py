"""Reading transaction logs and campaign files for ``crmine report``.

:func:`read_table` reads CSV (optionally compressed), Parquet and Excel files
and CDNOW's whitespace-separated text files.  :func:`recognise_layout` maps
the columns of a known layout (crmine's defaults, UCI Online Retail, CDNOW) to
crmine's roles, and :func:`normalise_log` renames them to crmine's default
column names so that every analysis can use the default schema.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from crmine.exceptions import CrmineError, SchemaError

__all__ = [
    "ROLES",
    "InputFileError",
    "read_table",
    "recognise_layout",
    "normalise_log",
    "read_campaign",
]

#: Roles of a transaction log, in the order of :class:`crmine.schema.TransactionSchema`.
ROLES: tuple[str, ...] = (
    "customer",
    "order",
    "time",
    "item",
    "quantity",
    "price",
    "amount",
    "category",
)

#: crmine's default column name of each role.
DEFAULT_COLUMNS: dict[str, str] = {
    "customer": "customer_id",
    "order": "order_id",
    "time": "timestamp",
    "item": "item",
    "quantity": "quantity",
    "price": "price",
    "amount": "amount",
    "category": "category",
}

#: Known layouts: name -> role -> column.
LAYOUTS: dict[str, dict[str, str]] = {
    "online_retail": {
        "customer": "CustomerID",
        "order": "InvoiceNo",
        "time": "InvoiceDate",
        "item": "StockCode",
        "quantity": "Quantity",
        "price": "UnitPrice",
    },
    # the 2019 re-issue of Online Retail (Online Retail II) uses these names
    "online_retail_ii": {
        "customer": "Customer ID",
        "order": "Invoice",
        "time": "InvoiceDate",
        "item": "StockCode",
        "quantity": "Quantity",
        "price": "Price",
    },
}

_LABEL_COLUMNS = ("Description", "description")


class InputFileError(CrmineError, ValueError):
    """A file cannot be read as a table (unknown format, corrupt or wrong content)."""


def _suffixes(path: Path) -> str:
    name = path.name.lower()
    for comp in (".gz", ".bz2", ".zip", ".xz", ".zst"):
        if name.endswith(comp):
            name = name[: -len(comp)]
    return Path(name).suffix


def _looks_like_cdnow(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            first = fh.readline(4096).decode("ascii", errors="strict").split()
            if first[:1] == ["customer_id"]:  # copies with a header line
                first = fh.readline(4096).decode("ascii", errors="strict").split()
    except (OSError, UnicodeDecodeError):
        return False
    return len(first) in (4, 5) and all(re.fullmatch(r"[0-9.]+", tok) for tok in first)


def read_table(path: str | Path, *, what: str = "transaction log") -> pd.DataFrame:
    """Read a CSV, Parquet, Excel or CDNOW text file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (also ``.csv.gz`` and other pandas compressions), ``.tsv``,
        ``.parquet``/``.pq``, ``.xlsx``/``.xls``, or a CDNOW ``.txt`` file
        (whitespace separated, no header, 4 or 5 numeric columns).
    what : str, default "transaction log"
        Name of the file's role, used in error messages.

    Returns
    -------
    pandas.DataFrame
        The table as read (CDNOW files come back with crmine's column names).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    InputFileError
        Unknown extension, or the file cannot be parsed in its format.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from crmine.report import read_table
    >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> pd.DataFrame({"customer_id": [1], "order_id": ["A"]}).to_csv(tmp, index=False)
    >>> read_table(tmp).columns.tolist()
    ['customer_id', 'order_id']
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} file not found: {str(p)!r}. Fix: check the path.")
    if p.is_dir():
        raise InputFileError(f"{what} path {str(p)!r} is a directory, not a file.")
    ext = _suffixes(p)
    try:
        if ext in (".csv", ".tsv"):
            sep = "\t" if ext == ".tsv" else ","
            df = pd.read_csv(p, sep=sep, encoding_errors="replace", low_memory=False)
        elif ext in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        elif ext in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(p)
        elif ext in (".txt", ".dat") and _looks_like_cdnow(p):
            from crmine.datasets import load_cdnow

            df = load_cdnow(p)
            df.attrs["crmine_layout"] = "cdnow"
        else:
            raise InputFileError(
                f"cannot read {what} {str(p)!r}: unknown file type {ext or '(none)'!r}. "
                "Fix: give a .csv, .csv.gz, .parquet or .xlsx file (or CDNOW's .txt)."
            )
    except InputFileError:
        raise
    except ImportError as exc:
        raise InputFileError(
            f"cannot read {what} {str(p)!r}: the reader for {ext!r} files needs an optional "
            f"package ({exc}). Fix: pip install 'crmine[parquet]' or 'crmine[excel]'."
        ) from exc
    except (ValueError, OSError, UnicodeError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        # pyarrow's ArrowInvalid and pandas' EmptyDataError are ValueErrors
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(
            f"cannot read {what} {str(p)!r} as a {ext.lstrip('.').upper()} file: {msg}. "
            "Fix: check that the file is not corrupt and that its extension matches its content."
        ) from exc
    if df.shape[1] == 0 or len(df) == 0:
        raise InputFileError(
            f"{what} {str(p)!r} has no data ({len(df)} rows, {df.shape[1]} columns). "
            "Fix: check the file."
        )
    return df


def recognise_layout(
    columns: pd.Index | list[str], overrides: Mapping[str, str | None] | None = None
) -> tuple[str, dict[str, str]]:
    """Map the columns of a log to crmine's roles.

    Known layouts are crmine's defaults (``customer_id``, ``order_id``,
    ``timestamp``, ...), UCI Online Retail (``InvoiceNo``, ``StockCode``,
    ``Quantity``, ``InvoiceDate``, ``UnitPrice``, ``CustomerID``) and Online
    Retail II; columns given in ``overrides`` win.  Roles whose column is
    absent are left out (validation reports the missing required ones).

    Parameters
    ----------
    columns : sequence of str
        Column names of the log.
    overrides : mapping, optional
        Role -> column given by the user (``None`` values are ignored).

    Returns
    -------
    layout : str
        ``"crmine"``, ``"online_retail"``, ``"online_retail_ii"`` or ``"custom"``.
    mapping : dict
        Role -> column name present in ``columns`` (or given by the user).

    Examples
    --------
    >>> from crmine.report import recognise_layout
    >>> cols = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
    ...         "UnitPrice", "CustomerID", "Country"]
    >>> layout, mapping = recognise_layout(cols)
    >>> layout, mapping["customer"], mapping["price"]
    ('online_retail', 'CustomerID', 'UnitPrice')
    """
    cols = [str(c) for c in columns]
    present = set(cols)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(overrides) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; roles are {list(ROLES)}.")
    layout = "custom"
    base: dict[str, str] = {}
    for name, spec in LAYOUTS.items():
        if all(col in present for col in spec.values()):
            layout, base = name, dict(spec)
            break
    else:
        defaults = {r: c for r, c in DEFAULT_COLUMNS.items() if c in present}
        if all(r in defaults for r in ("customer", "order", "time")):
            layout = "crmine"
        base = defaults
    if overrides:
        if layout != "custom" and any(base.get(r) != c for r, c in overrides.items()):
            layout = "custom"
        base.update(overrides)
    return layout, {r: base[r] for r in ROLES if r in base}


def normalise_log(
    raw: pd.DataFrame, mapping: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Rename the mapped columns to crmine's default names.

    Required roles missing from ``raw`` raise a :class:`SchemaError` naming
    the column and the command-line flag that sets it.  Unmapped columns that
    would collide with a default name are renamed ``<name>_original``.  The
    input is not modified.

    Parameters
    ----------
    raw : pandas.DataFrame
        The log as read.
    mapping : mapping
        Role -> column (see :func:`recognise_layout`).

    Returns
    -------
    log : pandas.DataFrame
        The log with crmine's column names.
    item_labels : pandas.Series or None
        Readable item label per item id (the most frequent ``Description`` of
        each item) when the log has such a column, else ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.report import normalise_log
    >>> raw = pd.DataFrame({"cust": [1], "inv": ["A"], "day": ["2024-01-01"], "sales": [9.5]})
    >>> log, _ = normalise_log(raw, {"customer": "cust", "order": "inv", "time": "day",
    ...                              "amount": "sales"})
    >>> log.columns.tolist()
    ['customer_id', 'order_id', 'timestamp', 'amount']
    """
    required = ("customer", "order", "time")
    for role in required:
        if role not in mapping:
            raise SchemaError(
                f"the log has no {role} column: none of the known layouts matches its columns "
                f"{[str(c) for c in raw.columns[:12]]}. Fix: name it with --{role} COLUMN "
                f"(or rename the column to {DEFAULT_COLUMNS[role]!r})."
            )
    for role, col in mapping.items():
        if col not in raw.columns:
            raise SchemaError(
                f"column {col!r} (given for the {role} role) is not in the log; columns "
                f"present: {[str(c) for c in raw.columns[:12]]}. Fix: pass --{role} with one "
                "of them."
            )
    if "amount" not in mapping and not ("quantity" in mapping and "price" in mapping):
        raise SchemaError(
            "the log has no amount column and not both quantity and price columns; columns "
            f"present: {[str(c) for c in raw.columns[:12]]}. Fix: pass --amount COLUMN, or "
            "--quantity COLUMN and --price COLUMN."
        )
    rename = {col: DEFAULT_COLUMNS[role] for role, col in mapping.items()}
    targets = set(rename.values())
    clash = {c: f"{c}_original" for c in raw.columns if c in targets and c not in rename}
    log = raw.rename(columns={**clash, **rename})
    item_labels = None
    if "item" in mapping:
        label_col = next((c for c in _LABEL_COLUMNS if c in raw.columns), None)
        if label_col is not None and label_col != mapping["item"]:
            pairs = pd.DataFrame(
                {"item": raw[mapping["item"]].astype(str), "label": raw[label_col]}
            ).dropna()
            if len(pairs):
                counts = pairs.groupby(["item", "label"], sort=True).size().reset_index(name="n")
                counts = counts.sort_values(["item", "n"], ascending=[True, False], kind="stable")
                item_labels = counts.drop_duplicates("item").set_index("item")["label"]
                item_labels = item_labels.astype(str).str.strip()
    # ids are labels: Excel and CSV readers mix numbers and text in one column
    # (Online Retail's invoice 536365 next to C536379), which would count 1 and "1" apart
    for col in ("order_id", "item", "customer_id"):
        if col in log.columns and not (
            pd.api.types.is_numeric_dtype(log[col])
            or pd.api.types.is_string_dtype(log[col])
            and not pd.api.types.is_object_dtype(log[col])
        ):
            log[col] = log[col].map(lambda v: v if pd.isna(v) else str(v))
    if "item" in log.columns:
        log["item"] = log["item"].astype(str)
    if "customer_id" in log.columns and pd.api.types.is_float_dtype(log["customer_id"]):
        ids = log["customer_id"]
        whole = ids.dropna()
        if len(whole) and bool((whole == whole.round()).all()):
            log["customer_id"] = pd.array(ids.round(), dtype="Int64")
    return log, item_labels


_ARM_NAMES = ("treatment", "treated", "group", "arm", "variant")
_RESPONSE_NAMES = ("response", "responded", "conversion", "converted", "outcome")
_REVENUE_NAMES = ("revenue", "spend", "value", "amount")


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def read_campaign(source: str | Path | pd.DataFrame, customer: str | None = None) -> pd.DataFrame:
    """Read a campaign file: one row per customer with arm and response.

    The columns are recognised by name (case-insensitive): the customer id
    (``customer`` if given, else ``customer_id`` or ``CustomerID``), the arm
    (``treatment``, ``treated``, ``group``, ``arm`` or ``variant``; 0/1 or
    labels with the control called ``control``), the response (``response``,
    ``responded``, ``conversion``, ``converted`` or ``outcome``; 0/1) and
    optionally the revenue (``revenue``, ``spend``, ``value`` or ``amount``).

    Parameters
    ----------
    source : str, Path or DataFrame
        Campaign file (CSV, Parquet, Excel) or table.
    customer : str, optional
        Name of the customer id column.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``treatment`` (0/1), ``response`` (0/1) and
        ``revenue`` when present.

    Raises
    ------
    SchemaError
        A needed column is missing or holds values other than 0/1.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.report import read_campaign
    >>> df = pd.DataFrame({"CustomerID": [1, 2], "Group": ["control", "mail"],
    ...                    "Converted": [0, 1]})
    >>> read_campaign(df).to_dict("list")
    {'customer_id': [1, 2], 'treatment': [0, 1], 'response': [0, 1]}
    """
    raw = source if isinstance(source, pd.DataFrame) else read_table(source, what="campaign")
    cols = [str(c) for c in raw.columns]
    raw = raw.set_axis(cols, axis=1)
    cust = customer if customer in cols else _pick(cols, ("customer_id", "customerid", "customer"))
    arm = _pick(cols, _ARM_NAMES)
    resp = _pick(cols, _RESPONSE_NAMES)
    missing = [
        f"{role} ({', '.join(names)})"
        for role, col, names in (
            ("customer id", cust, (customer or "customer_id", "CustomerID")),
            ("arm", arm, _ARM_NAMES),
            ("response", resp, _RESPONSE_NAMES),
        )
        if col is None
    ]
    if missing:
        raise SchemaError(
            f"the campaign file has no column for: {'; '.join(missing)}. Columns present: "
            f"{cols[:12]}. Fix: rename the columns to one of the names listed."
        )
    out = pd.DataFrame({"customer_id": raw[cust].to_numpy()})
    arms = raw[arm]
    if pd.api.types.is_bool_dtype(arms) or pd.api.types.is_numeric_dtype(arms):
        values = pd.to_numeric(arms)
        bad = ~values.isin([0, 1])
        if bad.any():
            raise SchemaError(
                f"campaign column {arm!r} must be 0 (control) or 1 (treated); found "
                f"{sorted(map(str, values[bad].unique()))[:5]}. Fix: recode it."
            )
        out["treatment"] = values.astype("int64").to_numpy()
    else:
        labels = arms.astype(str).str.strip().str.lower()
        uniq = sorted(labels.unique())
        if "control" not in uniq or len(uniq) != 2:
            raise SchemaError(
                f"campaign column {arm!r} must hold two arms, one of them 'control'; found "
                f"{uniq[:5]}. Fix: recode it as 0 (control) / 1 (treated)."
            )
        out["treatment"] = (labels != "control").astype("int64").to_numpy()
    resp_values = pd.to_numeric(raw[resp], errors="coerce")
    bad = ~resp_values.isin([0, 1])
    if bad.any():
        raise SchemaError(
            f"campaign column {resp!r} must be 0/1; found {int(bad.sum())} other value(s) "
            f"(e.g. {[str(v) for v in raw[resp][bad].unique()[:5]]}). Fix: recode or drop them."
        )
    out["response"] = resp_values.astype("int64").to_numpy()
    rev = _pick(cols, _REVENUE_NAMES)
    if rev is not None:
        values = pd.to_numeric(raw[rev], errors="coerce")
        if values.isna().any():
            raise SchemaError(
                f"campaign column {rev!r} must be numeric without gaps; found "
                f"{int(values.isna().sum())} missing or non-numeric value(s). Fix: fill them."
            )
        out["revenue"] = values.astype(float).to_numpy()
    if out["customer_id"].isna().any():
        raise SchemaError(
            f"campaign column {cust!r} has {int(out['customer_id'].isna().sum())} missing "
            "customer id(s). Fix: drop those rows."
        )
    return out
