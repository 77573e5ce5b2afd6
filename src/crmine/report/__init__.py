"""The whole crmine analysis of one transaction log as a self-contained HTML page.

:func:`build_report` reads and cleans a log, builds the customer table and
runs one section per analysis: data quality, customer overview and
concentration, RFM segments, the value pyramid, k-means segments, association
rules and cross-sell, churn risk, lifetime value and (with a campaign file)
campaign response and uplift.  A section whose analysis module is not
installed, or whose preconditions do not hold (e.g. a history too short for
churn), is shown as "skipped" with the reason; every other error propagates.
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
from crmine.report._html import Section, Text, render_page
from crmine.report._io import (
    InputFileError,
    normalise_log,
    read_campaign,
    read_table,
    recognise_layout,
)
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
    "recognise_layout",
    "normalise_log",
    "read_campaign",
]

logger = logging.getLogger(__name__)

#: Title of every section, in page order.
SECTION_TITLES: tuple[str, ...] = tuple(title for _, title, _, _ in SECTIONS)
#: Key of every section (its HTML anchor), in page order.
SECTION_KEYS: tuple[str, ...] = tuple(key for key, _, _, _ in SECTIONS)

#: Optional third-party packages whose absence skips a section instead of failing.
_OPTIONAL_DEPENDENCIES = ("lifelines", "matplotlib")


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
    """

    html: str
    sections: list[Section]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def skipped(self) -> dict[str, str]:
        """Title -> reason of the skipped sections."""
        return {s.title: s.reason for s in self.sections if s.status != "ok"}


def _is_missing_module(exc: ImportError) -> bool:
    """Whether an ImportError means "analysis module or optional package not installed"."""
    name = getattr(exc, "name", None) or ""
    return name.startswith("crmine.") or name.split(".")[0] in _OPTIONAL_DEPENDENCIES


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
            if not _is_missing_module(exc):
                raise
            sec.status, sec.blocks = "skipped", []
            sec.reason = f"the module {exc.name} is not available in this installation"
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
    random_state: int = 0,
    n_customers: int = 2000,
    sections: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    stamp: bool = False,
) -> Report:
    """Analyse a transaction log and build the HTML report.

    Parameters
    ----------
    log : str, Path, DataFrame or None
        A CSV, Parquet, Excel or CDNOW text file, or a DataFrame.  ``None``
        uses :func:`crmine.datasets.make_retail` (with its campaign).
    columns : mapping, optional
        Role -> column name (roles: ``customer``, ``order``, ``time``,
        ``item``, ``quantity``, ``price``, ``amount``, ``category``); overrides
        the recognised layout.
    campaign : str, Path, DataFrame or None
        Campaign table: one row per customer with arm and response (see
        :func:`read_campaign`).  Without it the campaign section is skipped,
        except for the built-in log.
    random_state : int, default 0
        Seed of the synthetic log and of every random step.
    n_customers : int, default 2000
        Size of the built-in log (used only when ``log`` is None).
    sections : sequence of str, optional
        Keys of the sections to include (default: all of :data:`SECTION_KEYS`:
        ``data-quality``, ``overview``, ``rfm``, ``pyramid``, ``segments``,
        ``basket``, ``churn``, ``lifetime``, ``campaign``).
    progress : callable, optional
        Called with a short message before and after each step.
    stamp : bool, default False
        Write the generation time in the footer (makes the page
        non-reproducible).

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
        The log lacks a required column or holds invalid values.

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
    from crmine.features import TransactionFeatures
    from crmine.schema import clean_transactions

    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
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
    campaign_df = None
    campaign_source = ""
    if log is None:
        from crmine.datasets import make_retail

        data = make_retail(n_customers, random_state=random_state)
        raw = data.transactions
        source = f"built-in make_retail(n_customers={n_customers}, random_state={random_state})"
        if campaign is None:
            campaign_df = read_campaign(
                data.campaign[["customer_id", "treatment", "response", "revenue"]]
            )
            campaign_source = "the randomised campaign of the built-in data set"
    elif isinstance(log, pd.DataFrame):
        raw, source = log, "DataFrame"
    else:
        raw, source = read_table(log), Path(log).name
    if campaign is not None:
        campaign_df = read_campaign(campaign, customer=(columns or {}).get("customer"))
        campaign_source = "DataFrame" if isinstance(campaign, pd.DataFrame) else Path(campaign).name
    layout, mapping = recognise_layout(raw.columns, columns)
    if layout == "crmine" and raw.attrs.get("crmine_layout"):
        layout = raw.attrs["crmine_layout"]
    normal, item_labels = normalise_log(raw, mapping)
    timings["read"] = time.perf_counter() - t0

    say(f"[2/{n_steps}] cleaning {len(normal):,} rows")
    t0 = time.perf_counter()
    clean, cleaning = clean_transactions(normal)
    if len(clean) == 0:
        raise SchemaError(
            f"no row is left after cleaning ({cleaning.rows_in:,} rows in): "
            + "; ".join(f"{r}: {int(n):,}" for r, n in cleaning.reasons["rows"].items() if n)
            + ". Fix: check the customer, quantity and price columns."
        )
    timings["clean"] = time.perf_counter() - t0

    say(f"[3/{n_steps}] building the customer table")
    t0 = time.perf_counter()
    features = TransactionFeatures()
    customers = features.fit_transform(clean)
    timings["features"] = time.perf_counter() - t0

    ctx = ReportContext(
        log=normal,
        source=source,
        layout=layout,
        random_state=random_state,
        campaign=campaign_df,
        campaign_source=campaign_source,
        item_labels=item_labels,
        clean=clean,
        cleaning=cleaning,
        customers=customers,
        start=clean["timestamp"].min(),
        end=features.cutoff_,
    )
    done: list[Section] = []
    # The sections run many small model fits: OpenMP thread start-up then costs more than
    # it saves, and on a busy machine it costs a lot, so OpenMP runs on one thread here
    # (restored on exit).
    # Figures use matplotlib's default style whatever the caller's rcParams say (the page is
    # then the same in every session); the caller's settings are restored on exit.
    with threadpool_limits(limits=1, user_api="openmp"), matplotlib.style.context("default"):
        for i, (key, title, func, _) in enumerate(chosen, start=4):
            say(f"[{i}/{n_steps}] {title}")
            sec = _run_section(ctx, key, title, func)
            timings[key] = sec.seconds
            status = "done" if sec.status == "ok" else f"skipped: {sec.reason}"
            say(f"        {status} ({sec.seconds:.1f} s)")
            done.append(sec)

    footer = f"Generated by crmine {__version__} (random_state={random_state})."
    if stamp:
        footer += f" {time.strftime('%Y-%m-%d %H:%M:%S %Z')}."
    html = render_page(
        done,
        title=f"crmine report: {source}",
        subtitle=(
            f"{cleaning.rows_in:,} rows, {len(customers):,} customers, "
            f"{ctx.start.date()} to {clean['timestamp'].max().date()}"
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
