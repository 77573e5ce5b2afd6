"""Reading tables from files and databases for ``crmine report`` and the other verbs.

:func:`read_table` reads delimited text (separator, encoding and decimal mark
sniffed: UTF-8 with or without BOM, UTF-16, GBK, latin-1; ``,`` ``;`` tab
``|``; decimal comma), Parquet, Excel, DuckDB database files, ``sqlite:///``
and other database URLs, CDNOW's whitespace-separated text and
one-basket-per-line files such as Groceries.  Every failure raises
:class:`InputFileError` (or :class:`FileNotFoundError`) with a message that
says what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import CrmineError

__all__ = ["InputFileError", "ReadOptions", "read_table", "sniff_text", "baskets_to_log"]

_SAMPLE_BYTES = 1 << 16
_SEPARATORS = (",", ";", "\t", "|")
_TEXT_EXT = (".csv", ".tsv", ".txt", ".dat", ".tab", "")
_DB_EXT = (".duckdb", ".ddb", ".db", ".sqlite", ".sqlite3")
_URL = re.compile(r"^[a-z][a-z0-9+]*://", re.IGNORECASE)
# "1.234,56", "12,5", "-3,0": numbers written with a decimal comma (dots group thousands)
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+\s*$")
_PLAIN_INT = re.compile(r"^\s*[-+]?\d+\s*$")


class InputFileError(CrmineError, ValueError):
    """A file cannot be read as a table (unknown format, corrupt or wrong content)."""


@dataclass(frozen=True)
class ReadOptions:
    r"""How to read a table; ``None`` means "find out from the file".

    Attributes
    ----------
    sep : str, optional
        Field separator of a text file (``","``, ``";"``, ``"\t"``, ...).
    encoding : str, optional
        Text encoding (``"utf-8"``, ``"utf-16"``, ``"gbk"``, ``"latin-1"``, ...).
    decimal : str, optional
        Decimal mark of a text file (``"."`` or ``","``).
    table : str, optional
        Table of a database file or URL, or sheet of an Excel file.
    format : str, optional
        ``"table"`` (one row per line item) or ``"baskets"`` (one basket per
        line, items separated by ``sep``: the Groceries layout).

    Examples
    --------
    >>> from crmine.report import ReadOptions
    >>> ReadOptions(sep=";", decimal=",").encoding is None  # still sniffed
    True
    """

    sep: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    table: str | None = None
    format: str | None = None


# ----------------------------------------------------------------------------- text sniffing


def _decodes(sample: bytes, encoding: str) -> str | None:
    """The sample decoded strictly (a multi-byte character cut at the end is allowed)."""
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _sniff_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample and sample.count(b"\x00") > len(sample) // 4:  # UTF-16 without BOM
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    if _decodes(sample, "utf-8") is not None:
        return "utf-8"
    # Chinese text: GB2312's two bytes are both >= 0xA1, while a latin-1 accented letter is
    # followed by plain ASCII ("Bière"), which GBK would misread as one Chinese character
    gb = _decodes(sample, "gb2312")
    if gb is not None and any("\u4e00" <= ch <= "\u9fff" for ch in gb):
        # a few latin-1 letter pairs ("ää") are valid GB2312 too; Chinese text seen as latin-1
        # is full of symbols (¶ © ¥ »), accented Western text is letters only
        latin = sample.decode("latin-1")
        wide = [ch for ch in latin if ord(ch) > 127]
        if sum(ch.isalpha() for ch in wide) < 0.95 * len(wide):
            return "gb18030"
    return "cp1252" if _decodes(sample, "cp1252") is not None else "latin-1"


def _field_counts(lines: list[str], sep: str) -> list[int]:
    return [len(row) for row in csv.reader(lines, delimiter=sep)]


def sniff_text(sample: bytes, *, sep: str | None = None, encoding: str | None = None) -> dict:
    r"""Guess encoding, separator and layout of delimited text from its first bytes.

    Parameters
    ----------
    sample : bytes
        The first bytes of the file.
    sep, encoding : str, optional
        Known separator / encoding (not guessed then).

    Returns
    -------
    dict
        ``encoding``, ``sep`` and ``format`` (``"table"`` when every line has
        the same number of fields, ``"baskets"`` when the counts vary, as in
        one-basket-per-line files).

    Examples
    --------
    >>> from crmine.report._read import sniff_text
    >>> sniff_text("a;b;c\n1;2,5;x\n".encode("utf-8-sig"))
    {'encoding': 'utf-8-sig', 'sep': ';', 'format': 'table'}
    >>> sniff_text(b"milk,bread\nbeer\nbeer,diapers,chips\n")["format"]
    'baskets'
    """
    enc = encoding or _sniff_encoding(sample)
    text = _decodes(sample, enc)
    if text is None:
        text = sample.decode(enc, errors="replace")
    lines = [ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip()]
    if len(sample) >= _SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    lines = lines[:200]
    if sep is None:
        best, best_fields = ",", 0
        for cand in _SEPARATORS:
            counts = _field_counts(lines, cand) if lines else []
            if counts and min(counts) > 1 and len(set(counts)) == 1 and counts[0] > best_fields:
                best, best_fields = cand, counts[0]
        if best_fields == 0:  # no separator splits every line alike
            for cand in _SEPARATORS:
                counts = _field_counts(lines, cand) if lines else []
                if counts and max(counts) > 1:
                    return {"encoding": enc, "sep": cand, "format": "baskets"}
        sep = best
    counts = _field_counts(lines, sep) if lines else [0]
    fmt = "table" if len(set(counts)) <= 1 else "baskets"
    return {"encoding": enc, "sep": sep, "format": fmt}


def _decimal_comma_columns(df: pd.DataFrame) -> list[str]:
    cols = []
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        vals = s.dropna().astype(str)
        if len(vals) == 0:
            continue
        uniq = pd.Series(vals.unique())
        has_comma = uniq.str.match(_DECIMAL_COMMA)
        if has_comma.any() and bool((has_comma | uniq.str.match(_PLAIN_INT)).all()):
            cols.append(col)
    return cols


def _to_float_comma(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip().str.replace(".", "", regex=False)
    return pd.to_numeric(text.str.replace(",", ".", regex=False), errors="raise").astype(float)


def baskets_to_log(lines: list[list[str]]) -> pd.DataFrame:
    """Turn baskets (lists of items) into a log with one row per item.

    Parameters
    ----------
    lines : list of list of str
        One list of items per basket.

    Returns
    -------
    pandas.DataFrame
        Columns ``order_id`` (1-based basket number) and ``item``.

    Examples
    --------
    >>> from crmine.report._read import baskets_to_log
    >>> baskets_to_log([["milk", "bread"], ["beer"]]).values.tolist()
    [[1, 'milk'], [1, 'bread'], [2, 'beer']]
    """
    sizes = np.fromiter((len(b) for b in lines), dtype=np.int64, count=len(lines))
    items = [str(i).strip() for b in lines for i in b]
    order = np.repeat(np.arange(1, len(lines) + 1, dtype=np.int64), sizes)
    log = pd.DataFrame({"order_id": order, "item": items})
    return log.loc[log["item"] != ""].reset_index(drop=True)


def _open_binary(p: Path, comp: str | None) -> Any:
    if comp is None:
        return p.open("rb")
    import bz2
    import gzip
    import lzma

    return {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}[comp](p, "rb")


def _read_text(p: Path, opts: ReadOptions, what: str) -> pd.DataFrame:
    comp = _compression(p)
    if comp in ("zip", "zstd"):  # let pandas decompress; no sniffing
        return pd.read_csv(
            p,
            sep=opts.sep or ",",
            encoding=opts.encoding,
            decimal=opts.decimal or ".",
            low_memory=False,
        )
    with _open_binary(p, comp) as fh:
        sample = fh.read(_SAMPLE_BYTES)
    if not sample.strip():
        raise InputFileError(f"{what} {str(p)!r} is empty. Fix: check the file.")
    sniffed = sniff_text(sample, sep=opts.sep, encoding=opts.encoding)
    fmt = opts.format or sniffed["format"]
    enc, sep = sniffed["encoding"], sniffed["sep"]
    if fmt == "baskets":
        with _open_binary(p, comp) as fh:
            text = io.TextIOWrapper(fh, encoding=enc, errors="strict", newline="")
            rows = [row for row in csv.reader(text, delimiter=sep) if any(c.strip() for c in row)]
        log = baskets_to_log(rows)
        log.attrs["crmine_layout"] = "baskets"
        return log
    decimal = opts.decimal or "."
    df = pd.read_csv(
        p,
        sep=sep,
        encoding=enc,
        decimal=decimal,
        thousands="." if decimal == "," else None,
        low_memory=False,
        compression=comp,
    )
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    if opts.decimal is None and sep != ",":
        for col in _decimal_comma_columns(df):
            df[col] = _to_float_comma(df[col])
    return df


def _compression(p: Path) -> str | None:
    name = p.name.lower()
    for ext, comp in ((".gz", "gzip"), (".bz2", "bz2"), (".xz", "xz"), (".zip", "zip")):
        if name.endswith(ext):
            return comp
    return "zstd" if name.endswith(".zst") else None


def _suffix(p: Path) -> str:
    name = p.name.lower()
    for comp in (".gz", ".bz2", ".zip", ".xz", ".zst"):
        if name.endswith(comp):
            name = name[: -len(comp)]
    return Path(name).suffix


def _looks_like_cdnow(p: Path) -> bool:
    try:
        with p.open("rb") as fh:
            first = fh.readline(4096).decode("ascii", errors="strict").split()
            if first[:1] == ["customer_id"]:  # copies with a header line
                first = fh.readline(4096).decode("ascii", errors="strict").split()
    except (OSError, UnicodeDecodeError):
        return False
    return len(first) in (4, 5) and all(re.fullmatch(r"[0-9.]+", tok) for tok in first)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_duckdb(target: str, table: str | None, what: str) -> pd.DataFrame:
    try:
        import duckdb
    except ImportError as exc:
        raise InputFileError(
            f"cannot read {what} {target!r}: reading DuckDB databases needs the duckdb "
            "package. Fix: pip install duckdb."
        ) from exc
    con = duckdb.connect(target, read_only=True)
    try:
        tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        name = _choose_table(tables, table, target, what)
        return con.execute(f"SELECT * FROM {_quote_ident(name)}").df()
    finally:
        con.close()


def _read_sqlite(target: str, table: str | None, what: str) -> pd.DataFrame:
    import sqlite3

    con = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")
        ]
        name = _choose_table(tables, table, target, what)
        return pd.read_sql_query(f"SELECT * FROM {_quote_ident(name)}", con)
    finally:
        con.close()


def _choose_table(tables: list[str], table: str | None, target: str, what: str) -> str:
    if table is not None:
        if table not in tables:
            raise InputFileError(
                f"{what} database {target!r} has no table {table!r}; tables: {tables[:20]}. "
                "Fix: pass --table with one of them."
            )
        return table
    if len(tables) != 1:
        raise InputFileError(
            f"{what} database {target!r} holds {len(tables)} tables {tables[:20]}. "
            "Fix: name one with --table NAME."
        )
    return tables[0]


def _read_url(url: str, table: str | None, what: str) -> pd.DataFrame:
    scheme = url.split("://", 1)[0].lower()
    rest = url.split("://", 1)[1]
    if scheme == "duckdb":
        return _read_duckdb(rest[1:] if rest.startswith("/") else rest, table, what)
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else rest
        if not Path(path).is_file():
            raise FileNotFoundError(f"{what} database not found: {path!r}. Fix: check the URL.")
        return _read_sqlite(path, table, what)
    if table is None:
        raise InputFileError(
            f"reading {what} from {scheme!r} URL needs a table. Fix: pass --table NAME."
        )
    try:
        import sqlalchemy
    except ImportError as exc:
        raise InputFileError(
            f"cannot read {what} from a {scheme!r} database URL: that needs SQLAlchemy and the "
            "database's driver. Fix: pip install sqlalchemy <driver>, or export the table to "
            "Parquet/CSV (duckdb:/// and sqlite:/// URLs work without them)."
        ) from exc
    engine = sqlalchemy.create_engine(url)
    try:
        return pd.read_sql_table(table, engine)
    finally:
        engine.dispose()


def read_table(
    path: str | Path,
    *,
    what: str = "transaction log",
    options: ReadOptions | None = None,
) -> pd.DataFrame:
    r"""Read a table from a file or a database.

    Parameters
    ----------
    path : str or Path
        A delimited text file (``.csv``, ``.tsv``, ``.txt``, also compressed
        ``.csv.gz``; separator, encoding and decimal mark are sniffed),
        ``.parquet``/``.pq``, ``.xlsx``/``.xls``, a DuckDB (``.duckdb``) or
        SQLite (``.db``/``.sqlite``) database file, a database URL
        (``duckdb:///file.duckdb``, ``sqlite:///file.db``, or any SQLAlchemy
        URL when SQLAlchemy is installed), a CDNOW ``.txt`` file, or a
        one-basket-per-line file such as Groceries (returned as a log with
        ``order_id`` and ``item``).
    what : str, default "transaction log"
        Name of the file's role, used in error messages.
    options : ReadOptions, optional
        Separator, encoding, decimal mark, table/sheet and format when they
        should not be guessed.

    Returns
    -------
    pandas.DataFrame
        The table as read.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    InputFileError
        A directory, an unreadable or empty file, a header without rows, an
        unknown format, or content that does not parse.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from crmine.report import read_table
    >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = tmp.write_text("customer;amount\n1;12,50\n2;3,00\n", encoding="utf-8-sig")
    >>> read_table(tmp).to_dict("list")
    {'customer': [1, 2], 'amount': [12.5, 3.0]}
    """
    opts = options or ReadOptions()
    text = str(path)
    if isinstance(path, str) and _URL.match(text):
        return _checked(_read_url(text, opts.table, what), text, what)
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} file not found: {text!r}. Fix: check the path.")
    if p.is_dir():
        raise InputFileError(
            f"{what} path {text!r} is a directory, not a file. Fix: give one file inside it."
        )
    ext = _suffix(p)
    try:
        with p.open("rb") as fh:
            magic = fh.read(16)
    except OSError as exc:
        raise InputFileError(
            f"cannot open {what} {text!r}: {exc.strerror or exc}. Fix: check the file's "
            "permissions."
        ) from exc
    try:
        if ext in (".parquet", ".pq") or magic.startswith(b"PAR1"):
            df = pd.read_parquet(p)
        elif ext in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(p, sheet_name=opts.table or 0)
        elif ext in _DB_EXT or magic.startswith(b"SQLite format 3"):
            if magic.startswith(b"SQLite format 3"):
                df = _read_sqlite(str(p), opts.table, what)
            else:
                df = _read_duckdb(str(p), opts.table, what)
        elif ext in (".txt", ".dat") and opts.sep is None and _looks_like_cdnow(p):
            from crmine.datasets import load_cdnow

            df = load_cdnow(p)
            df.attrs["crmine_layout"] = "cdnow"
        elif ext in _TEXT_EXT or opts.sep is not None:
            df = _read_text(p, opts, what)
        else:
            raise InputFileError(
                f"cannot read {what} {text!r}: unknown file type {ext!r}. Fix: give a .csv, "
                ".tsv, .txt, .parquet, .xlsx or .duckdb file, or pass --sep for delimited text."
            )
    except (InputFileError, FileNotFoundError):
        raise
    except ImportError as exc:
        raise InputFileError(
            f"cannot read {what} {text!r}: the reader for {ext!r} files needs an optional "
            f"package ({exc}). Fix: pip install 'crmine[parquet]' or 'crmine[excel]'."
        ) from exc
    except UnicodeError as exc:
        raise InputFileError(
            f"cannot decode {what} {text!r} ({exc.reason} at byte {exc.start}). Fix: pass "
            "--encoding (e.g. utf-8, utf-16, gbk, latin-1)."
        ) from exc
    except (ValueError, OSError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(
            f"cannot read {what} {text!r} as a {ext.lstrip('.').upper() or 'text'} file: {msg}. "
            "Fix: check that the file is not corrupt and that its extension matches its "
            "content (or pass --sep / --encoding)."
        ) from exc
    except Exception as exc:  # duckdb / driver errors have their own classes
        if type(exc).__module__.split(".")[0] not in ("duckdb", "sqlite3", "sqlalchemy"):
            raise
        raise InputFileError(
            f"cannot read {what} {text!r}: {exc}. Fix: check the database."
        ) from exc
    return _checked(df, text, what)


def _checked(df: pd.DataFrame, text: str, what: str) -> pd.DataFrame:
    if df.shape[1] == 0:
        raise InputFileError(f"{what} {text!r} has no columns. Fix: check the file.")
    if len(df) == 0:
        raise InputFileError(
            f"{what} {text!r} has a header ({[str(c) for c in df.columns[:8]]}) but no data "
            "rows. Fix: check that the export finished."
        )
    return df
