"""Command-line interface: ``crmine report``.

``crmine report [LOG] --out report.html`` analyses a transaction log (CSV,
Parquet, Excel or CDNOW text file; without LOG the built-in synthetic log)
and writes one self-contained HTML page.  Progress goes to stderr (``--quiet``
silences it); stdout only receives the final ``wrote <file>`` line.  Bad
input exits with status 2 and one message, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser"]

_ROLE_HELP = {
    "customer": "customer id column (default: recognised layout or 'customer_id')",
    "order": "order / invoice id column (default 'order_id')",
    "time": "timestamp column (default 'timestamp')",
    "item": "item / product column (default 'item')",
    "quantity": "quantity column (default 'quantity')",
    "price": "unit price column (default 'price')",
    "amount": "line value column, instead of quantity x price (default 'amount')",
    "category": "product category column (default 'category')",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crmine`` command.

    Returns
    -------
    argparse.ArgumentParser
        Parser with the ``report`` sub-command.

    Examples
    --------
    >>> from crmine.cli import build_parser
    >>> args = build_parser().parse_args(["report", "log.csv", "--customer", "CustomerID"])
    >>> args.log, args.customer, args.out
    ('log.csv', 'CustomerID', 'report.html')
    """
    parser = argparse.ArgumentParser(
        prog="crmine",
        description="crmine: customer data mining from transaction logs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    rep = sub.add_parser(
        "report",
        help="analyse a transaction log and write an HTML report",
        description=(
            "Analyse a transaction log (CSV, Parquet, Excel or CDNOW .txt) and write one "
            "self-contained HTML page: data quality, customer overview and concentration, "
            "RFM segments, value pyramid, k-means segments, association rules, churn risk, "
            "lifetime value and campaign response. Without LOG the built-in synthetic log "
            "(crmine.datasets.make_retail) is used. Columns are recognised for crmine's "
            "default names and the UCI Online Retail layout; name others with the flags below."
        ),
    )
    rep.add_argument(
        "log", nargs="?", default=None, metavar="LOG", help="transaction log file (optional)"
    )
    rep.add_argument("--out", "-o", default="report.html", metavar="FILE", help="output HTML file")
    cols = rep.add_argument_group("column names")
    for role, text in _ROLE_HELP.items():
        cols.add_argument(f"--{role}", metavar="COL", default=None, help=text)
    rep.add_argument(
        "--campaign",
        metavar="FILE",
        default=None,
        help="campaign file: one row per customer with customer id, treatment (0/1) and "
        "response (0/1), optionally revenue",
    )
    rep.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    rep.add_argument(
        "--n-customers",
        type=int,
        default=2000,
        metavar="N",
        help="number of customers of the built-in log (only without LOG; default 2000)",
    )
    rep.add_argument(
        "--sections",
        metavar="KEYS",
        default=None,
        help="comma-separated subset of sections to include: data-quality, overview, rfm, "
        "pyramid, segments, basket, churn, lifetime, campaign (default: all)",
    )
    rep.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    rep.add_argument(
        "--stamp",
        action="store_true",
        help="write the generation time in the page (the page is then not reproducible)",
    )
    return parser


def _error(message: str) -> int:
    print(f"crmine report: error: {message}", file=sys.stderr)
    return 2


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
    if args.command != "report":
        parser.print_help(sys.stderr)
        return 2
    if args.n_customers < 1:
        return _error(f"--n-customers must be a positive integer, got {args.n_customers}.")

    from crmine.exceptions import SchemaError
    from crmine.report import SECTION_KEYS, InputFileError, build_report

    columns = {role: getattr(args, role) for role in _ROLE_HELP}
    sections = None
    if args.sections is not None:
        sections = [k.strip() for k in args.sections.split(",") if k.strip()]
        unknown = [k for k in sections if k not in SECTION_KEYS]
        if unknown or not sections:
            return _error(
                f"unknown section(s) {unknown} in --sections; choose among "
                f"{', '.join(SECTION_KEYS)}."
            )

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        report = build_report(
            args.log,
            columns=columns,
            campaign=args.campaign,
            random_state=args.seed,
            n_customers=args.n_customers,
            sections=sections,
            progress=None if args.quiet else progress,
            stamp=args.stamp,
        )
    except FileNotFoundError as exc:
        return _error(str(exc))
    except (SchemaError, InputFileError) as exc:
        return _error(str(exc))
    try:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(report.html)
    except OSError as exc:
        return _error(f"cannot write {args.out!r}: {exc.strerror or exc}.")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
