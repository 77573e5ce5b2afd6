"""Benchmark: the whole ``crmine report`` on UCI Online Retail (541,909 rows).

Target: under 60 s on a 2-core machine.  Prints the time of every step and
the status of every section.

    .venv/bin/python benchmarks/bench_report.py [path/to/online_retail.parquet] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "datasets" / "online_retail" / "online_retail.parquet"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--out", default=None, help="also write the HTML page here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = Path(args.path)
    if not path.is_file():
        print(f"Online Retail not found at {path}; skipping the benchmark.")
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
