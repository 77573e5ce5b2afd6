"""TransactionFeatures vs the bare pandas R/F/M groupby, time and peak memory.

Usage::

    python benchmarks/bench_features.py [--rows 10000000] [--skip-online-retail]

Prints one side-by-side table: for each data set, the time and the peak
memory (tracemalloc, measured in a separate run so that tracing does not slow
the timing) of

* ``pandas R/F/M``: ``groupby(customer).agg(max timestamp, nunique order, sum amount)``,
  the straightforward code most notebooks use (three columns only);
* ``crmine rfm_table``: the same three columns through crmine;
* ``crmine TransactionFeatures``: the full customer table (20+ columns).

Targets (issue 2): the full table in at most 2x the time of the bare groupby,
peak memory under 3x the input frame; ``import crmine`` adds < 0.3 s over
importing pandas and scikit-learn.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
ONLINE_RETAIL = REPO.parent / "shared" / "datasets" / "online_retail" / "online_retail.parquet"


def synthetic_log(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """A fast, large generated log (~10 lines per order, ~50 orders per customer)."""
    rng = np.random.default_rng(seed)
    n_orders = n_rows // 10
    n_customers = max(n_orders // 50, 1)
    order_cust = rng.integers(0, n_customers, n_orders)
    order_time = pd.Timestamp("2022-01-01") + pd.to_timedelta(
        rng.integers(0, 730 * 86_400, n_orders), unit="s"
    )
    lines = rng.integers(0, n_orders, n_rows)
    lines.sort()
    return pd.DataFrame(
        {
            "customer_id": order_cust[lines],
            "order_id": lines,
            "timestamp": order_time[lines],
            "item": rng.integers(0, 5_000, n_rows),
            "quantity": rng.integers(1, 5, n_rows),
            "price": np.round(rng.lognormal(1.0, 0.8, n_rows), 2),
            "category": rng.integers(0, 12, n_rows).astype(str).astype(object),
        }
    )


def pandas_rfm(log: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    before = log[log["timestamp"] < cutoff]
    amount = before["quantity"] * before["price"]
    g = before.assign(amount=amount).groupby("customer_id")
    out = g.agg(last=("timestamp", "max"), frequency=("order_id", "nunique"),
                monetary_total=("amount", "sum"))
    out["recency_days"] = (cutoff - out.pop("last").dt.normalize()).dt.days
    return out


def crmine_rfm(log: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    from crmine import rfm_table

    return rfm_table(log, cutoff=cutoff)


def crmine_full(log: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    from crmine import TransactionFeatures

    return TransactionFeatures(cutoff=cutoff).fit_transform(log)


def measure(fn, log, cutoff, repeat: int = 2) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn(log, cutoff)
        times.append(time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    fn(log, cutoff)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 2**20


def import_overhead() -> tuple[float, float]:
    """Seconds that ``import crmine`` and ``from crmine import TransactionFeatures`` add
    in a fresh interpreter that has already imported pandas and scikit-learn (best of 5)."""
    code = (
        "import time, pandas, sklearn.base; t0 = time.perf_counter(); import crmine; "
        "t1 = time.perf_counter(); from crmine import TransactionFeatures; "
        "t2 = time.perf_counter(); print(t1 - t0, t2 - t0)"
    )
    best = np.array([np.inf, np.inf])
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        best = np.minimum(best, np.array(out.stdout.split(), dtype=float))
    return float(best[0]), float(best[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--skip-online-retail", action="store_true")
    args = ap.parse_args()

    datasets: list[tuple[str, pd.DataFrame, pd.Timestamp]] = []
    if ONLINE_RETAIL.is_file() and not args.skip_online_retail:
        from crmine import clean_transactions
        from crmine.datasets import load_online_retail

        clean, _ = clean_transactions(load_online_retail(ONLINE_RETAIL))
        clean = clean.rename(columns={"description": "category"})[
            ["customer_id", "order_id", "timestamp", "item", "quantity", "price"]
        ]
        datasets.append(("Online Retail (clean)", clean, pd.Timestamp("2011-12-10")))
    log = synthetic_log(args.rows)
    datasets.append((f"generated {args.rows:,} rows", log, pd.Timestamp("2024-01-01")))

    rows = []
    for name, frame, cutoff in datasets:
        size_mb = frame.memory_usage(deep=True).sum() / 2**20
        t_p, m_p = measure(pandas_rfm, frame, cutoff)
        t_r, m_r = measure(crmine_rfm, frame, cutoff)
        t_f, m_f = measure(crmine_full, frame, cutoff)
        rows.append(
            {
                "data": name,
                "rows": len(frame),
                "input MB": round(size_mb, 1),
                "pandas R/F/M s": round(t_p, 2),
                "crmine rfm_table s": round(t_r, 2),
                "crmine full table s": round(t_f, 2),
                "full / pandas": round(t_f / t_p, 2),
                "pandas peak MB": round(m_p, 1),
                "crmine full peak MB": round(m_f, 1),
                "full peak / input": round(m_f / size_mb, 2),
            }
        )
    table = pd.DataFrame(rows).set_index("data").T
    with pd.option_context("display.width", 160, "display.max_columns", 10):
        print(table.to_string())
    bare, with_features = import_overhead()
    print(
        f"\nover pandas + scikit-learn: `import crmine` adds {bare:.4f} s, "
        f"`from crmine import TransactionFeatures` {with_features:.3f} s (target < 0.3)"
    )


if __name__ == "__main__":
    main()
