"""Command-line interface: ``crmine report`` and one verb per analysis.

``crmine report [LOG] --out report.html`` writes the whole analysis as one
self-contained HTML page; ``crmine rfm|tiers|segments|rules|churn|clv|
campaign|scores [LOG] --out FILE`` writes one table (CSV, Parquet, JSON or
Excel by the extension of ``--out``; CSV on standard output with ``--out -``).
Every verb reads the same inputs: CSV and other delimited text (separator,
encoding and decimal comma sniffed; ``--sep``/``--encoding``/``--decimal``
override), Parquet, Excel, DuckDB or SQLite files and database URLs
(``--table``), CDNOW text and one-basket-per-line files such as Groceries.
The output path and the columns are checked before any analysis runs (all
missing columns in one message); progress goes to stderr (``--quiet``
silences it).  Bad input exits with status 2 and one message, without a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Sequence
from types import SimpleNamespace

__all__ = ["main", "build_parser"]

_ROLE_HELP = {
    "customer": "customer id column (default: recognised layout or 'customer_id')",
    "order": "order / invoice id column (default 'order_id'; the same column as --customer "
    "is allowed; without one, one order per customer and time)",
    "time": "timestamp column, or two joined by a comma: --time Date,Time (default 'timestamp')",
    "item": "item / product column (default 'item')",
    "quantity": "quantity column (default 'quantity')",
    "price": "unit price column (default 'price')",
    "amount": "line value column, instead of quantity x price (default 'amount')",
    "category": "product category column (default 'category')",
}


def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "log",
        nargs="?",
        default=None,
        metavar="LOG",
        help="transaction log: file (.csv/.tsv/.txt, .parquet, .xlsx, .duckdb, .db) or database "
        "URL (duckdb:///f.duckdb, sqlite:///f.db); default: the built-in synthetic log",
    )
    read = p.add_argument_group("reading the log")
    read.add_argument(
        "--sep", default=None, help="field separator of a text file (default: sniffed)"
    )
    read.add_argument(
        "--encoding",
        default=None,
        help="text encoding (default: sniffed; e.g. utf-8, utf-16, gbk, latin-1)",
    )
    read.add_argument(
        "--decimal",
        default=None,
        choices=(".", ","),
        help="decimal mark of a text file (default: sniffed)",
    )
    read.add_argument(
        "--table",
        default=None,
        metavar="NAME",
        help="table of a database, or sheet of an Excel file",
    )
    read.add_argument(
        "--baskets",
        action="store_true",
        help="the file holds one basket per line (items separated by --sep), "
        "like Groceries (default: detected)",
    )
    cols = p.add_argument_group("column names")
    for role, text in _ROLE_HELP.items():
        cols.add_argument(f"--{role}", metavar="COL", default=None, help=text)
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument(
        "--n-customers",
        type=int,
        default=2000,
        metavar="N",
        help="number of customers of the built-in log (only without LOG; default 2000)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crmine`` command.

    Returns
    -------
    argparse.ArgumentParser
        Parser with the ``report`` sub-command and one sub-command per analysis.

    Examples
    --------
    >>> from crmine.cli import build_parser
    >>> args = build_parser().parse_args(["report", "log.csv", "--customer", "CustomerID"])
    >>> args.log, args.customer, args.out
    ('log.csv', 'CustomerID', 'report.html')
    >>> build_parser().parse_args(["scores", "log.csv", "--out", "s.parquet"]).out
    's.parquet'
    """
    from crmine import __version__
    from crmine.cli._verbs import VERBS

    parser = argparse.ArgumentParser(
        prog="crmine",
        description="crmine: customer data mining from transaction logs.",
    )
    parser.add_argument("--version", action="version", version=f"crmine {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    rep = sub.add_parser(
        "report",
        help="analyse a transaction log and write an HTML report",
        description=(
            "Analyse a transaction log and write one self-contained HTML page: data quality, "
            "customer overview and concentration, RFM segments, value pyramid, k-means "
            "segments, association rules, churn risk, lifetime value and campaign response. "
            "Without LOG the built-in synthetic log (crmine.datasets.make_retail) is used. "
            "Columns are recognised for crmine's default names and the UCI Online Retail "
            "layout; name others with the flags below."
        ),
    )
    _input_options(rep)
    rep.add_argument("--out", "-o", default="report.html", metavar="FILE", help="output HTML file")
    rep.add_argument(
        "--campaign",
        metavar="FILE",
        default=None,
        help="campaign file: one row per customer with customer id, treatment (0/1) and "
        "response (0/1), optionally revenue",
    )
    rep.add_argument(
        "--sections",
        metavar="KEYS",
        default=None,
        help="comma-separated subset of sections to include: data-quality, overview, rfm, "
        "pyramid, segments, basket, churn, lifetime, campaign (default: all)",
    )
    rep.add_argument(
        "--stamp",
        action="store_true",
        help="write the generation time in the page (the page is then not reproducible)",
    )
    for verb, (_, text) in VERBS.items():
        p = sub.add_parser(verb, help=text, description=f"{text[0].upper()}{text[1:]}.")
        _input_options(p)
        p.add_argument(
            "--out",
            "-o",
            default="-",
            metavar="FILE",
            help="output table: .csv, .parquet, .json or .xlsx; '-' (default) writes CSV to "
            "standard output",
        )
        if verb in ("churn", "clv", "scores"):
            p.add_argument(
                "--horizon",
                default="90D" if verb == "churn" else "365D",
                metavar="SPAN",
                help="window with unit, e.g. 90D or 52W (default "
                f"{'90D' if verb == 'churn' else '365D'})",
            )
        if verb == "rules":
            p.add_argument(
                "--min-support",
                type=float,
                default=0.01,
                metavar="S",
                help="minimum share of orders of an itemset (default 0.01)",
            )
            p.add_argument(
                "--min-confidence",
                type=float,
                default=0.2,
                metavar="C",
                help="minimum confidence of a rule (default 0.2)",
            )
            p.add_argument(
                "--max-len", type=int, default=3, metavar="K", help="largest itemset (default 3)"
            )
            p.add_argument(
                "--keep-non-products",
                action="store_true",
                help="keep postage, fees and vouchers (left out by default)",
            )
        if verb == "campaign":
            p.add_argument(
                "--campaign",
                metavar="FILE",
                default=None,
                required=True,
                help="campaign file: customer id, treatment (0/1), response (0/1)",
            )
    return parser


def _error(command: str, message: str) -> int:
    print(f"crmine {command}: error: {message}", file=sys.stderr)
    return 2


def _check_args(args: argparse.Namespace) -> str | None:
    if args.n_customers < 1:
        return f"--n-customers must be a positive integer, got {args.n_customers}."
    for name in ("min_support", "min_confidence"):
        value = getattr(args, name, None)
        if value is not None and not 0 < value <= 1:
            return f"--{name.replace('_', '-')} must be in (0, 1], got {value}."
    if getattr(args, "max_len", 2) < 1:
        return f"--max-len must be at least 1, got {args.max_len}."
    if args.sep is not None:
        args.sep = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(args.sep, args.sep)
        if len(args.sep) != 1:
            return f"--sep must be one character (or 'tab'), got {args.sep!r}."
    if args.encoding is not None:
        import codecs

        try:
            codecs.lookup(args.encoding)
        except LookupError:
            return f"unknown --encoding {args.encoding!r}. Fix: e.g. utf-8, utf-16, gbk, latin-1."
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmine`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 for bad input or usage.

    Examples
    --------
    >>> from crmine.cli import main
    >>> main(["report", "--n-customers", "300", "--quiet", "--out", "r.html"])  # doctest: +SKIP
    wrote r.html
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command
    if command is None:
        parser.print_help(sys.stderr)
        return 2
    problem = _check_args(args)
    if problem:
        return _error(command, problem)

    started = time.perf_counter()
    with warnings.catch_warnings():
        seen: set[str] = set()

        def show(message, category, filename, lineno, file=None, line=None):
            # one readable line per warning, without the file and source line of Python's format
            text = f"crmine {command}: warning: {message}"
            if text not in seen:
                seen.add(text)
                print(text, file=sys.stderr, flush=True)

        warnings.showwarning = show
        return _run(args, command, parser, started)


def _run(
    args: argparse.Namespace, command: str, parser: argparse.ArgumentParser, started: float
) -> int:
    from crmine.cli._output import OutputError, check_output, write_table
    from crmine.cli._verbs import NEEDS_MONEY, VERBS
    from crmine.exceptions import CrmineError
    from crmine.report import (
        SECTION_KEYS,
        InputFileError,
        ReadOptions,
        build_report,
        load_log,
        prepare_log,
    )
    from crmine.report._prepare import NO_MONEY, map_log

    def say(message: str) -> None:
        if not args.quiet:
            print(
                f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True
            )

    columns = {role: getattr(args, role) for role in _ROLE_HELP}
    options = ReadOptions(
        sep=args.sep,
        encoding=args.encoding,
        decimal=args.decimal,
        table=args.table,
        format="baskets" if args.baskets else None,
    )
    try:
        campaign = getattr(args, "campaign", None)
        if campaign is not None and "://" not in campaign and not os.path.isfile(campaign):
            raise FileNotFoundError(
                f"campaign file not found: {campaign!r}. Fix: check the path given to --campaign."
            )
        if args.log is not None and "://" not in args.log and not os.path.exists(args.log):
            raise FileNotFoundError(
                f"transaction log file not found: {args.log!r}. Fix: check the path."
            )
        if command == "report":
            check_output(args.out, kinds={".html": "html", ".htm": "html"})
            sections = None
            if args.sections is not None:
                sections = [k.strip() for k in args.sections.split(",") if k.strip()]
                unknown = [k for k in sections if k not in SECTION_KEYS]
                if unknown or not sections:
                    return _error(
                        command,
                        f"unknown section(s) {unknown} in --sections; choose among "
                        f"{', '.join(SECTION_KEYS)}.",
                    )
            report = build_report(
                args.log,
                columns=columns,
                campaign=args.campaign,
                random_state=args.seed,
                n_customers=args.n_customers,
                sections=sections,
                progress=None if args.quiet else say,
                stamp=args.stamp,
                read_options=options,
            )
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(report.html)
            print(f"wrote {args.out}")
            return 0

        fmt = check_output(args.out)
        func = VERBS[command][0]
        if command == "campaign":
            prep = SimpleNamespace()
        else:
            say("reading the log")
            raw, source, _ = load_log(
                args.log, options=options, n_customers=args.n_customers, random_state=args.seed
            )
            if command == "scores":
                _, log, labels = map_log(raw, columns)
                prep = SimpleNamespace(log=log, item_labels=labels)
                from crmine.report import has_money

                if not has_money(log):
                    return _error(command, f"{NO_MONEY}.")
            else:
                prep = prepare_log(raw, columns=columns, source=source, progress=say)
                if command in NEEDS_MONEY and not prep.has_money:
                    return _error(command, f"{NO_MONEY}.")
        table = func(prep, args, say)
        write_table(table, args.out, fmt)
        say(f"done: {len(table):,} rows")
        if args.out != "-":
            print(f"wrote {args.out}")
        return 0
    except BrokenPipeError:  # e.g. `crmine rfm | head`: the reader stopped, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except FileNotFoundError as exc:
        return _error(command, str(exc))
    except (InputFileError, OutputError, CrmineError) as exc:
        return _error(command, str(exc))
    except OSError as exc:
        return _error(command, f"cannot write {args.out!r}: {exc.strerror or exc}.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
