"""The whole crmine analysis of one transaction log as a self-contained HTML page.

:func:`build_report` reads and cleans a log, builds the customer table and
runs one section per analysis: data quality, customer overview and
concentration, RFM segments, the value pyramid, k-means segments, association
rules and cross-sell, churn risk, lifetime value and (with a campaign file)
campaign response and uplift.  A section whose preconditions do not hold
(e.g. a history too short for churn, a log without money) or that needs an
optional extra that is not installed (``crmine[survival]``) is shown as
"skipped" with the reason; every other error propagates.
:func:`write_report` writes the page; the ``crmine report`` command
(:mod:`crmine.cli`) wraps both.

The page is deterministic for a given input and ``random_state``: it holds no
generation time unless ``stamp=True``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from crmine.exceptions import SchemaError
from crmine.report._html import REPORT_STYLE, Section, Text, render_page
from crmine.report._io import (
    has_money,
    missing_columns,
    normalise_log,
    read_campaign,
    recognise_layout,
)
from crmine.report._prepare import PreparedLog, load_log, prepare_log
from crmine.report._read import InputFileError, ReadOptions, read_table
from crmine.report._sections import SECTIONS, ReportContext, SectionSkipped

__all__ = [
    "Report",
    "InputFileError",
    "SectionSkipped",
    "SECTION_KEYS",
    "SECTION_TITLES",
    "build_report",
    "write_report",
    "read_table",
    "ReadOptions",
    "recognise_layout",
    "normalise_log",
    "missing_columns",
    "has_money",
    "read_campaign",
    "PreparedLog",
    "load_log",
    "prepare_log",
]

logger = logging.getLogger(__name__)

#: Title of every section, in page order.
SECTION_TITLES: tuple[str, ...] = tuple(title for _, title, _ in SECTIONS)
#: Key of every section (its HTML anchor), in page order.
SECTION_KEYS: tuple[str, ...] = tuple(key for key, _, _ in SECTIONS)

#: Optional third-party packages whose absence skips a section, with the extra that installs them.
_OPTIONAL_EXTRAS = {"lifelines": "survival"}


@dataclass
class Report:
    """A built report.

    Attributes
    ----------
    html : str
        The complete HTML document.
    sections : list of Section
        Every section with its ``status`` (``"ok"`` or ``"skipped"``),
        ``reason`` and ``seconds``.
    timings : dict of str to float
        Seconds per step, preparation steps (``read``, ``clean``,
        ``features``) included.

    Examples
    --------
    >>> from crmine.report import build_report
    >>> report = build_report(n_customers=60, random_state=0, sections=["data-quality"])
    >>> report.html.startswith("<!DOCTYPE html>"), list(report.skipped)
    (True, [])
    """

    html: str
    sections: list[Section]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def skipped(self) -> dict[str, str]:
        """Title -> reason of the skipped sections."""
        return {s.title: s.reason for s in self.sections if s.status != "ok"}


def _run_section(
    ctx: ReportContext, key: str, title: str, func: Callable[[ReportContext, Section], None]
) -> Section:
    sec = Section(key=key, title=title)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        try:
            func(ctx, sec)
        except SectionSkipped as exc:
            sec.status, sec.reason, sec.blocks = "skipped", str(exc), []
        except SchemaError as exc:  # crmine's documented precondition errors
            sec.status, sec.reason, sec.blocks = "skipped", str(exc), []
        except ImportError as exc:
            package = (getattr(exc, "name", None) or "").split(".")[0]
            if package not in _OPTIONAL_EXTRAS:
                raise
            sec.status, sec.blocks = "skipped", []
            sec.reason = (
                f"needs the optional package {package}: pip install "
                f"'crmine[{_OPTIONAL_EXTRAS[package]}]'"
            )
    notes: list[str] = []
    for w in caught:
        if issubclass(w.category, UserWarning):
            text = f"{w.category.__name__}: {w.message}"
            if text not in notes:
                notes.append(text)
        else:  # not ours to swallow: pass it on
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    if sec.status == "ok":
        sec.blocks.extend(Text(n, "note") for n in notes)
    sec.seconds = time.perf_counter() - t0
    return sec


def build_report(
    log: str | Path | pd.DataFrame | None = None,
    *,
    columns: Mapping[str, str | None] | None = None,
    campaign: str | Path | pd.DataFrame | None = None,
    random_state: int | None = None,
    n_customers: int = 2000,
    sections: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    stamp: bool = False,
    read_options: ReadOptions | None = None,
) -> Report:
    """Analyse a transaction log and build the HTML report.

    Parameters
    ----------
    log : str, Path, DataFrame or None
        A file or database URL (see :func:`read_table`), a DataFrame (polars
        and pyarrow tables are converted), or ``None`` for
        :func:`crmine.datasets.make_retail` (with its campaign).
    columns : mapping, optional
        Role -> column name (roles: ``customer``, ``order``, ``time``,
        ``item``, ``quantity``, ``price``, ``amount``, ``category``); overrides
        the recognised layout.  One column may fill two roles; ``time`` may
        join columns (``"Date,Time"``).
    campaign : str, Path, DataFrame or None
        Campaign table: one row per customer with arm and response (see
        :func:`read_campaign`).  Without it the campaign section is skipped,
        except for the built-in log.
    random_state : int or None, default None
        Seed of the synthetic log and of every random step; give an int for a
        reproducible page (the command line passes ``--seed``, default 0).
    n_customers : int, default 2000
        Size of the built-in log (used only when ``log`` is None).
    sections : sequence of str, optional
        Keys of the sections to include (default: all of :data:`SECTION_KEYS`).
    progress : callable, optional
        Called with a short message before and after each step.
    stamp : bool, default False
        Write the generation time in the footer (makes the page
        non-reproducible).
    read_options : ReadOptions, optional
        Separator, encoding, decimal mark or table of the log file.

    Returns
    -------
    Report
        The HTML text, the sections with their status and the timings.

    Raises
    ------
    FileNotFoundError
        ``log`` or ``campaign`` does not exist.
    InputFileError
        A file cannot be read.
    crmine.exceptions.SchemaError
        The log lacks required columns (all listed at once) or holds invalid
        values.

    Examples
    --------
    >>> from crmine.report import build_report
    >>> report = build_report(n_customers=200)  # doctest: +SKIP
    >>> report.skipped  # doctest: +SKIP
    {}
    """
    import matplotlib.style
    from threadpoolctl import threadpool_limits

    from crmine import __version__

    say = progress or (lambda msg: None)
    if sections is None:
        chosen = list(SECTIONS)
    else:
        unknown = sorted(set(sections) - set(SECTION_KEYS))
        if unknown:
            raise ValueError(f"unknown section(s) {unknown}; choose among {list(SECTION_KEYS)}.")
        chosen = [s for s in SECTIONS if s[0] in set(sections)]
    n_steps = len(chosen) + 3

    say(f"[1/{n_steps}] reading the log")
    t0 = time.perf_counter()
    raw, source, builtin = load_log(
        log, options=read_options, n_customers=n_customers, random_state=random_state
    )
    campaign_df = None
    campaign_source = ""
    if campaign is not None:
        campaign_df = read_campaign(campaign, customer=(columns or {}).get("customer"))
        campaign_source = "DataFrame" if isinstance(campaign, pd.DataFrame) else Path(campaign).name
    elif builtin is not None:
        campaign_df = read_campaign(
            builtin.campaign[["customer_id", "treatment", "response", "revenue"]]
        )
        campaign_source = "the randomised campaign of the built-in data set"
    read_seconds = time.perf_counter() - t0

    counter = iter(range(2, 4))
    prep = prepare_log(
        raw,
        columns=columns,
        source=source,
        progress=lambda msg: say(f"[{next(counter, 3)}/{n_steps}] {msg}"),
    )
    timings: dict[str, float] = {"read": read_seconds + prep.timings.pop("map"), **prep.timings}

    ctx = ReportContext(
        log=prep.log,
        source=source,
        layout=prep.layout,
        random_state=random_state,
        campaign=campaign_df,
        campaign_source=campaign_source,
        item_labels=prep.item_labels,
        clean=prep.clean,
        cleaning=prep.cleaning,
        customers=prep.customers,
        start=prep.start,
        end=prep.end,
        has_money=prep.has_money,
    )
    done: list[Section] = []
    # The sections run many small model fits: OpenMP thread start-up then costs more than
    # it saves, and on a busy machine it costs a lot, so OpenMP runs on one thread here
    # (restored on exit).
    # Figures use crmine's report style whatever the caller's rcParams say (the page is
    # then the same in every session); the caller's settings are restored on exit.
    with (
        threadpool_limits(limits=1, user_api="openmp"),
        matplotlib.style.context(["default", REPORT_STYLE]),
    ):
        for i, (key, title, func) in enumerate(chosen, start=4):
            say(f"[{i}/{n_steps}] {title}")
            sec = _run_section(ctx, key, title, func)
            timings[key] = sec.seconds
            status = "done" if sec.status == "ok" else f"skipped: {sec.reason}"
            say(f"        {status} ({sec.seconds:.1f} s)")
            done.append(sec)

    footer = f"Generated by crmine {__version__} (random_state={random_state})."
    if stamp:
        footer += f" {time.strftime('%Y-%m-%d %H:%M:%S %Z')}."
    last = prep.clean["timestamp"].max()
    html = render_page(
        done,
        title=f"crmine report: {source}",
        subtitle=(
            f"{prep.cleaning.rows_in:,} rows, {len(prep.customers):,} customers, "
            f"{prep.start.date()} to {last.date()}"
        ),
        footer=footer,
    )
    return Report(html=html, sections=done, timings=timings)


def write_report(path: str | Path, log: Any = None, **kwargs: Any) -> Report:
    """Build the report (see :func:`build_report`) and write it as UTF-8 HTML.

    Parameters
    ----------
    path : str or Path
        Output file.
    log : str, Path, DataFrame or None
        The transaction log (``None``: the built-in one).
    **kwargs
        Passed to :func:`build_report`.

    Returns
    -------
    Report
        The built report.

    Examples
    --------
    >>> from crmine.report import write_report
    >>> write_report("report.html", n_customers=200)  # doctest: +SKIP
    """
    report = build_report(log, **kwargs)
    Path(path).write_text(report.html, encoding="utf-8")
    return report
