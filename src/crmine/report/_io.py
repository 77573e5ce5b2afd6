"""Reading transaction logs and campaign files for ``crmine report``.

:func:`read_table` reads CSV (optionally compressed), Parquet and Excel files
and CDNOW's whitespace-separated text files.  :func:`recognise_layout` maps
the columns of a known layout (crmine's defaults, UCI Online Retail, CDNOW) to
crmine's roles, and :func:`normalise_log` renames them to crmine's default
column names so that every analysis can use the default schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError
from crmine.report._read import InputFileError, ReadOptions, read_table

__all__ = [
    "ROLES",
    "InputFileError",
    "ReadOptions",
    "read_table",
    "recognise_layout",
    "normalise_log",
    "missing_columns",
    "has_money",
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


def _as_labels(s: pd.Series) -> pd.Series:
    """Ids as text, converted once per distinct value (no Python call per row)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    labels = np.asarray([str(u) for u in uniques] + [None], dtype=object)
    return pd.Series(labels[codes], index=s.index, name=s.name)


def _time_column(raw: pd.DataFrame, spec: str) -> pd.Series:
    """The time column, or several columns (``"Date,Time"``) joined by a space."""
    parts = [c.strip() for c in spec.split(",")]
    if len(parts) == 1:
        return raw[parts[0]]
    out = raw[parts[0]].astype("string")
    for col in parts[1:]:
        out = out + " " + raw[col].astype("string")
    return out.rename(spec)


def missing_columns(raw_columns: pd.Index | list[str], mapping: Mapping[str, str]) -> list[str]:
    """Every problem with a role mapping, all at once (empty list: the mapping is usable).

    Parameters
    ----------
    raw_columns : sequence of str
        Column names of the log.
    mapping : mapping
        Role -> column (a time role may join columns: ``"Date,Time"``).

    Returns
    -------
    list of str
        One sentence per missing role or absent column, each naming the flag
        that fixes it.

    Examples
    --------
    >>> from crmine.report import missing_columns
    >>> for problem in missing_columns(["cust", "day"], {"customer": "cust", "time": "Day"}):
    ...     print(problem)
    column 'Day' (time role) is not in the log: pass --time with one of ['cust', 'day']
    """
    cols = [str(c) for c in raw_columns]
    present = set(cols)
    shown = cols[:12]
    problems = []
    for role in ("customer", "time"):
        if role not in mapping:
            problems.append(
                f"no {role} column (none of the known layouts matches): pass --{role} COLUMN "
                f"with one of {shown} (or rename a column to {DEFAULT_COLUMNS[role]!r})"
            )
    for role, spec in mapping.items():
        for col in [c.strip() for c in str(spec).split(",")] if role == "time" else [spec]:
            if col not in present:
                problems.append(
                    f"column {col!r} ({role} role) is not in the log: pass --{role} with one "
                    f"of {shown}"
                )
    return problems


def normalise_log(
    raw: pd.DataFrame, mapping: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Give the mapped columns crmine's default names.

    One column may fill two roles (``customer`` and ``order`` both
    ``"Transaction"`` for a log of anonymous baskets); a log without an
    order column gets one order per customer and time; the time role may
    join several columns (``"Date,Time"``).  Every missing role or absent
    column is reported at once in one :class:`SchemaError`, naming the
    command-line flag that fixes it.  A log without money columns (no
    ``amount``, nor ``quantity`` and ``price``) is returned without them:
    the caller decides which analyses still apply.  Unmapped columns that
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
    >>> raw = pd.DataFrame({"Transaction": [1, 1], "Date": ["2024-01-01"] * 2,
    ...                     "Time": ["09:58", "09:58"], "Item": ["Bread", "Tea"]})
    >>> log, _ = normalise_log(raw, {"customer": "Transaction", "order": "Transaction",
    ...                              "time": "Date,Time", "item": "Item"})
    >>> log.columns.tolist()
    ['customer_id', 'order_id', 'timestamp', 'item']
    >>> str(log["timestamp"].iloc[0])
    '2024-01-01 09:58'
    """
    problems = missing_columns(raw.columns, mapping)
    if problems:
        raise SchemaError(
            f"the log cannot be read as a transaction log ({len(problems)} problem"
            f"{'s' if len(problems) > 1 else ''}): " + "; ".join(problems) + "."
        )
    columns: dict[str, pd.Series] = {}
    for role in ROLES:
        if role in mapping:
            col = _time_column(raw, mapping[role]) if role == "time" else raw[mapping[role]]
            columns[DEFAULT_COLUMNS[role]] = col
    used = {c.strip() for role, spec in mapping.items() for c in str(spec).split(",")}
    for col in raw.columns:
        if col in used:
            continue
        name = f"{col}_original" if col in columns else col
        columns[name] = raw[col]
    log = pd.DataFrame(columns, index=raw.index)
    if "order" not in mapping:
        # one order per customer and timestamp (logs such as CLVTools' apparel data)
        keys = pd.MultiIndex.from_arrays([log["customer_id"], log["timestamp"]])
        log.insert(1, "order_id", pd.factorize(keys)[0] + 1)
    item_labels = None
    if "item" in mapping:
        label_col = next((c for c in _LABEL_COLUMNS if c in raw.columns), None)
        if label_col is not None and label_col != mapping["item"]:
            pairs = pd.DataFrame(
                {"item": _as_labels(raw[mapping["item"]]), "label": raw[label_col]}
            ).dropna()
            if len(pairs):
                counts = pairs.groupby(["item", "label"], sort=True).size().reset_index(name="n")
                counts = counts.sort_values(["item", "n"], ascending=[True, False], kind="stable")
                item_labels = counts.drop_duplicates("item").set_index("item")["label"]
                item_labels = item_labels.astype(str).str.strip()
    # ids are labels: Excel and CSV readers mix numbers and text in one column
    # (Online Retail's invoice 536365 next to C536379), which would count 1 and "1" apart
    for col in ("order_id", "customer_id"):
        if col in log.columns and pd.api.types.is_object_dtype(log[col]):
            log[col] = _as_labels(log[col])
    if "item" in log.columns:
        log["item"] = _as_labels(log["item"]).fillna("")
    if "customer_id" in log.columns and pd.api.types.is_float_dtype(log["customer_id"]):
        ids = log["customer_id"]
        whole = ids.dropna()
        if len(whole) and bool((whole == whole.round()).all()):
            log["customer_id"] = pd.array(ids.round(), dtype="Int64")
    return log, item_labels


def has_money(log: pd.DataFrame) -> bool:
    """Whether a normalised log has line values (``amount`` or ``quantity`` and ``price``).

    Parameters
    ----------
    log : pandas.DataFrame
        A log with crmine's column names (see :func:`normalise_log`).

    Returns
    -------
    bool

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.report import has_money
    >>> has_money(pd.DataFrame(columns=["customer_id", "quantity", "price"]))
    True
    >>> has_money(pd.DataFrame(columns=["customer_id", "item"]))
    False
    """
    return "amount" in log.columns or {"quantity", "price"} <= set(log.columns)


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
