"""Benchmark: the whole ``crmine report`` on UCI Online Retail (541,909 rows).

Target: under 60 s on a 2-core machine.  Prints the time of every step and
the status of every section.  First, the two per-row loops that issue 16.4
removed are timed before/after on the same data tiled to ``--rows`` rows
(CPU time and peak memory, outputs compared): ids made text in
``normalise_log`` (``map(lambda v: str(v))`` per row before, once per distinct
value now) and revenue per month in the overview (``to_period("M").astype(str)``
per row before, ``datetime64[M]`` + ``bincount`` now).

    OMP_NUM_THREADS=1 python benchmarks/bench_report.py [path/to/online_retail.parquet]
        [--out FILE] [--rows 5000000] [--no-report]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "datasets" / "online_retail" / "online_retail.parquet"


def _measure(func):
    tracemalloc.start()
    c0 = time.process_time()
    out = func()
    cpu = time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out, cpu, peak


def per_row_loops(path: Path, rows: int) -> None:
    """Before/after of the two per-row loops of issue 16.4, outputs compared."""
    import numpy as np
    import pandas as pd

    from crmine.report._io import _as_labels

    raw = pd.read_parquet(path, columns=["InvoiceNo", "InvoiceDate", "Quantity", "UnitPrice"])
    reps = max(1, rows // len(raw))
    raw = pd.concat([raw] * reps, ignore_index=True)
    ids = raw["InvoiceNo"].astype(object)
    if not pd.api.types.is_object_dtype(ids):
        ids = ids.astype(object)
    print(f"per-row loops on {len(raw):,} rows (Online Retail x {reps})")
    print(f"{'step':<34}{'CPU s':>8}{'peak MB':>9}  same output")
    before, c_b, m_b = _measure(lambda: ids.map(lambda v: v if pd.isna(v) else str(v)))
    after, c_a, m_a = _measure(lambda: _as_labels(ids))
    same = bool((before.fillna("<NA>") == after.fillna("<NA>")).all())
    print(f"{'ids as text, before (map per row)':<34}{c_b:>8.2f}{m_b:>9.0f}")
    print(f"{'ids as text, after (per distinct)':<34}{c_a:>8.2f}{m_a:>9.0f}  {same}")

    times = pd.to_datetime(raw["InvoiceDate"])
    amount = (raw["Quantity"] * raw["UnitPrice"]).to_numpy(dtype=float)

    def month_before():
        return pd.Series(amount).groupby(times.dt.to_period("M").astype(str), sort=True).sum()

    def month_after():
        months = times.to_numpy().astype("datetime64[M]")
        uniq, inverse = np.unique(months, return_inverse=True)
        return uniq, np.bincount(inverse.ravel(), weights=amount)

    old, c_b, m_b = _measure(month_before)
    (uniq, new), c_a, m_a = _measure(month_after)
    same = np.allclose(old.to_numpy(), new) and list(old.index) == [str(m)[:7] for m in uniq]
    print(f"{'revenue per month, before':<34}{c_b:>8.2f}{m_b:>9.0f}")
    print(f"{'revenue per month, after':<34}{c_a:>8.2f}{m_a:>9.0f}  {same}")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--out", default=None, help="also write the HTML page here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the loop benchmark")
    parser.add_argument("--no-report", action="store_true", help="only the per-row loops")
    args = parser.parse_args()
    path = Path(args.path)
    if not path.is_file():
        print(f"Online Retail not found at {path}; skipping the benchmark.")
        return 0
    per_row_loops(path, args.rows)
    if args.no_report:
        return 0

    t0 = time.perf_counter()
    from crmine.report import build_report

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    c1 = time.process_time()
    report = build_report(path, random_state=args.seed)
    total = time.perf_counter() - t1
    cpu = time.process_time() - c1
    if args.out:
        Path(args.out).write_text(report.html, encoding="utf-8")

    status = {s.key: ("ok" if s.status == "ok" else "skipped") for s in report.sections}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"crmine report on {path.name} ({os.cpu_count()} CPUs visible, load average {load:.1f})")
    print(f"{'step':<16}{'seconds':>10}  status")
    print(f"{'import':<16}{t_import:>10.2f}")
    for step, secs in report.timings.items():
        print(f"{step:<16}{secs:>10.2f}  {status.get(step, '')}")
    print(f"{'total':<16}{total:>10.2f}  target < 60 s: {'met' if total < 60 else 'NOT met'}")
    print(f"{'total CPU':<16}{cpu:>10.2f}  (process time of the main process)")
    for title, reason in report.skipped.items():
        print(f"skipped {title}: {reason}")
    print(f"HTML size: {len(report.html) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
