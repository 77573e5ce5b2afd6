"""Where the ``crmine`` verbs write: checked before any work, safe for spreadsheets."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd

from crmine.exceptions import CrmineError

__all__ = ["OutputError", "check_output", "write_table", "TABLE_FORMATS"]

#: Extension -> format of the tables the verbs write.
TABLE_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".xlsx": "excel",
}


class OutputError(CrmineError, ValueError):
    """The output path cannot be written; the message says why and what to do."""


def check_output(path: str, *, kinds: dict[str, str] | None = None) -> str:
    """Check that ``path`` can be written, before any analysis runs.

    Parameters
    ----------
    path : str
        Output file, or ``"-"`` for standard output (CSV).
    kinds : dict, optional
        Allowed extensions -> format (default :data:`TABLE_FORMATS`).

    Returns
    -------
    str
        The format (``"csv"``, ``"parquet"``, ``"json"``, ``"excel"``,
        ``"html"``).

    Raises
    ------
    OutputError
        Unknown extension, a directory, a missing or read-only folder, or a
        writer package that is not installed.

    Examples
    --------
    >>> from crmine.cli._output import check_output
    >>> check_output("-")
    'csv'
    >>> check_output("report.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmine.cli._output.OutputError: cannot write 'report.txt': unknown output type '.txt'...
    """
    kinds = TABLE_FORMATS if kinds is None else kinds
    if path == "-":
        return "csv"
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"cannot write {path!r}: it is a directory. Fix: give a file name.")
    fmt = kinds.get(p.suffix.lower())
    if fmt is None:
        raise OutputError(
            f"cannot write {path!r}: unknown output type {p.suffix or '(none)'!r}. Fix: end "
            f"--out with one of {', '.join(sorted(kinds))}."
        )
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(
            f"cannot write {path!r}: the folder {str(folder)!r} does not exist. Fix: create it "
            "or choose another --out."
        )
    if not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise OutputError(
            f"cannot write {path!r}: permission denied. Fix: choose a writable --out."
        )
    needs = {"parquet": "pyarrow", "excel": "openpyxl"}.get(fmt)
    if needs is not None:
        import importlib.util

        if importlib.util.find_spec(needs) is None:
            extra = "parquet" if fmt == "parquet" else "excel"
            raise OutputError(
                f"cannot write {path!r}: {fmt} output needs {needs}. Fix: pip install "
                f"'crmine[{extra}]', or write .csv or .json."
            )
    return fmt


def write_table(table: pd.DataFrame, path: str, fmt: str) -> None:
    """Write a result table with its index as the first column(s).

    CSV and Excel output go through
    :func:`crmine.scorecard.safe_for_spreadsheet` (no cell can run as a
    formula); Parquet keeps the dtypes; JSON is a list of records.
    """
    from crmine.scorecard import safe_for_spreadsheet

    flat = table.reset_index() if table.index.name is not None or table.index.nlevels > 1 else table
    if fmt == "csv":
        safe = safe_for_spreadsheet(flat)
        if path == "-":
            safe.to_csv(sys.stdout, index=False, lineterminator="\n")
        else:
            safe.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "excel":
        safe_for_spreadsheet(flat).to_excel(path, index=False)
    elif fmt == "parquet":
        out = flat.copy()
        for col in out.columns:  # sets (itemsets) as sorted lists
            if len(out) and isinstance(out[col].iloc[0], frozenset):  # object or "itemset"
                out[col] = [sorted(map(str, v)) for v in out[col]]
        out.to_parquet(path, index=False)
    elif fmt == "json":
        text = flat.to_json(orient="records", date_format="iso", force_ascii=False, indent=1)
        Path(path).write_text(json.dumps(json.loads(text), ensure_ascii=False, indent=1) + "\n")
    elif fmt == "html":
        raise ValueError("HTML is written by the report, not by write_table")
