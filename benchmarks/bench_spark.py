"""crmine's pandas path beside its Spark path (local[2]) on generated logs.

Usage::

    python benchmarks/bench_spark.py                       # 200k and 2M rows
    python benchmarks/bench_spark.py --sizes 2e6,2e7       # add the 20M-row log
    python benchmarks/bench_spark.py --skip-baskets

For every size a log is generated (vectorised NumPy, returns and cancellations
included) and written to Parquet; both paths read the same file.  Steps timed:

* ``load``: read the Parquet file (pandas: into memory; Spark: the lazy scan is
  timed when an action first runs, so it is included in ``clean``);
* ``clean``: :func:`crmine.clean_transactions` with its report
  (``returns="drop"`` on both paths, as in the numbers measured before netting);
* ``features``: :class:`crmine.TransactionFeatures` on the clean log, the
  customer table brought back to the driver as pandas (``to_customer_table``);
* ``baskets``: frequent itemsets at 1% support (pandas: ``basket_matrix`` +
  Apriori; Spark: MLlib FP-growth converted to crmine's itemset table).

The Spark session is ``local[2]`` (the benchmark machine has 2 cores) with
``spark.sql.shuffle.partitions=8``; its start-up time is printed separately.
The crossover is the smallest size at which the Spark column is faster.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd


def generate(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """A retail-like log of ``n_rows`` lines (about 3 lines per order)."""
    rng = np.random.default_rng(seed)
    n_orders = max(1, n_rows // 3)
    n_customers = max(1, n_rows // 60)
    n_items = 2000
    order_cust = rng.integers(0, n_customers, n_orders)
    start = np.datetime64("2022-01-01T00:00:00", "s").astype(np.int64)
    span = 730 * 86400
    order_time = start + rng.integers(0, span, n_orders)
    lines = rng.integers(1, 6, n_orders)
    scale = n_rows / lines.sum()
    lines = np.maximum(1, np.round(lines * scale)).astype(int)
    order_idx = np.repeat(np.arange(n_orders), lines)[:n_rows]
    n = len(order_idx)
    item = np.minimum(rng.zipf(1.3, n), n_items) - 1
    price = np.round(0.5 + (item % 97) * 0.37, 2)
    quantity = rng.integers(1, 4, n)
    cancel = rng.random(n_orders) < 0.02
    quantity = np.where(cancel[order_idx], -quantity, quantity)
    order_name = np.where(cancel, "C", "") + np.arange(n_orders).astype(str)
    return pd.DataFrame(
        {
            "customer_id": order_cust[order_idx].astype(np.int64),
            "order_id": order_name[order_idx],
            "timestamp": (order_time[order_idx] + rng.integers(0, 120, n))
            .astype("datetime64[s]")
            .astype("datetime64[ns]"),
            "item": np.char.add("sku", item.astype(str)),
            "quantity": quantity.astype(np.int64),
            "price": price,
        }
    )


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def run_pandas(path: str, baskets: bool) -> dict[str, float]:
    from crmine import TransactionFeatures, clean_transactions
    from crmine.basket import apriori
    from crmine.features import basket_matrix

    times: dict[str, float] = {}
    log, times["load"] = timed(pd.read_parquet, path)
    # the textbook rule on both paths (comparable with the numbers measured before)
    (clean, _report), times["clean"] = timed(clean_transactions, log, returns="drop")
    table, times["features"] = timed(TransactionFeatures().fit_transform, clean)
    times["customers"] = len(table)
    if baskets:
        t0 = time.perf_counter()
        fi = apriori(basket_matrix(clean), min_support=0.01)
        times["baskets"] = time.perf_counter() - t0
        times["itemsets"] = len(fi)
    return times


def run_spark(spark, path: str, baskets: bool) -> dict[str, float]:
    from crmine import TransactionFeatures, clean_transactions
    from crmine.spark import fpgrowth, to_customer_table

    times: dict[str, float] = {}
    log, times["load"] = timed(spark.read.parquet, path)
    t0 = time.perf_counter()
    clean, _report = clean_transactions(log, returns="drop")
    clean = clean.cache()
    clean.count()  # materialise the clean log, as the pandas path holds it in memory
    times["clean"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    table = to_customer_table(TransactionFeatures().fit_transform(clean))
    times["features"] = time.perf_counter() - t0
    times["customers"] = len(table)
    if baskets:
        fi, times["baskets"] = timed(fpgrowth, clean, min_support=0.01)
        times["itemsets"] = len(fi)
    clean.unpersist()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2e5,2e6", help="comma-separated row counts")
    parser.add_argument("--skip-baskets", action="store_true")
    parser.add_argument(
        "--skip-pandas-above",
        type=float,
        default=3e7,
        help="do not run the pandas path above this many rows",
    )
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    baskets = not args.skip_baskets

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("crmine-bench")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("CRMINE_SPARK_MEMORY", "3g"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - t0
    print(f"Spark {spark.version} local[2] session start-up: {startup:.1f} s")

    steps = ["load", "clean", "features"] + (["baskets"] if baskets else [])
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                log, gen_s = timed(generate, n)
                path = os.path.join(tmp, f"log_{n}.parquet")
                log.to_parquet(
                    path, index=False, coerce_timestamps="us", allow_truncated_timestamps=True
                )
                del log
                print(f"\n{n:,} rows generated and written in {gen_s:.1f} s")
                pd_times = run_pandas(path, baskets) if n <= args.skip_pandas_above else {}
                sp_times = run_spark(spark, path, baskets)
                for step in steps:
                    p, s = pd_times.get(step, np.nan), sp_times.get(step, np.nan)
                    rows.append((n, step, p, s))
                    print(
                        f"  {step:<9} pandas {p:8.2f} s   spark {s:8.2f} s   "
                        f"spark/pandas {s / p if p else np.nan:6.2f}"
                    )
                p_tot = sum(pd_times.get(s, np.nan) for s in steps)
                s_tot = sum(sp_times.get(s, np.nan) for s in steps)
                rows.append((n, "total", p_tot, s_tot))
                print(
                    f"  {'total':<9} pandas {p_tot:8.2f} s   spark {s_tot:8.2f} s   "
                    f"customers {sp_times['customers']:,}"
                )
    finally:
        spark.stop()

    table = pd.DataFrame(rows, columns=["rows", "step", "pandas_s", "spark_local2_s"])
    table["spark/pandas"] = table["spark_local2_s"] / table["pandas_s"]
    print("\n" + table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    totals = table[table["step"] == "total"]
    faster = totals[totals["spark_local2_s"] < totals["pandas_s"]]
    if len(faster):
        print(f"\ncrossover: Spark local[2] is faster from {int(faster['rows'].min()):,} rows")
    else:
        print(
            f"\ncrossover: none up to {max(sizes):,} rows; pandas is faster at every size run "
            "(Spark pays off when the log does not fit one machine's memory or a cluster "
            "has many more cores)"
        )


if __name__ == "__main__":
    main()
