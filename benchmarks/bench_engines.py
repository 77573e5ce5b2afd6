"""crmine's local engines beside the bare polars / DuckDB group-by, one table.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_engines.py              # 10M in memory, 30M Parquet
    OMP_NUM_THREADS=1 python benchmarks/bench_engines.py --big 1e8    # + a 100M-row Parquet log
    OMP_NUM_THREADS=1 python benchmarks/bench_engines.py --sizes 1e6 --scan 3e6 --pandas
    # 200M rows: generate two files (one command each), then run on the directory
    python benchmarks/bench_engines.py --big 2e8 --part 0/2 --dir /tmp/b
    python benchmarks/bench_engines.py --big 2e8 --part 1/2 --dir /tmp/b
    OMP_NUM_THREADS=1 python benchmarks/bench_engines.py --sizes "" --scan "" --big 2e8 --dir /tmp/b

A log is generated chunk by chunk (vectorised NumPy, 4 lines per order, 2%
returns, 8 categories, ``--days`` of history) into ``--dir`` as Parquet (row
groups of 1M rows; never in the repository; deleted at the end unless
``--keep``).  Every step runs in a fresh subprocess, which reports its CPU time
(``time.process_time``: user + system of all its threads, the data loading
excluded) and its peak RSS (``ru_maxrss``, the loaded frame included), and a
checksum of its output (customers, sum of frequency, sum of monetary) that
must agree across the engines of one size.

Steps, on the in-memory size (``--sizes``; the frame read with polars first):

* ``polars R/F/M``: the bare ``group_by(customer).agg(max(time),
  n_unique(order), sum(amount))`` -- the reference of the issue's 1.5x target;
* ``polars, the same group-bys by hand``: the yardstick of the work the full
  table needs (:func:`same_work`: orders with the category spend, distinct
  items, orders to customers with windows and trend, purchase days sorted per
  customer), without validation or netting;
* ``crmine full table (polars)``: ``TransactionFeatures().fit_transform``
  on the polars frame: all 34 columns, validation and netting included;
* ``crmine rfm_table (polars)``; with ``--pandas`` the full table of the same
  log as a pandas frame, on the pandas path (``engine="pandas"``) and on polars
  (``engine="polars"``, the conversion included);
* ``polars filter`` (the bare cleaning filter), the yardstick
  ``polars filter + the report's counts`` (:func:`filter_report`: rows per
  reason, values, distinct customers and orders in and out, exact duplicates)
  beside ``crmine clean (polars)`` (the full report, returns netted, exact
  duplicates counted) and its cheap mode (``duplicates="ignore"``);

and on the Parquet sizes (``--scan``, ``--big``; nothing loaded first):

* ``DuckDB R/F/M (parquet)``: the same bare group-by in SQL on the file;
* ``crmine full table (parquet)``: ``TransactionFeatures().fit_transform(path)``,
  polars' streaming engine on the lazy scan; over 10M rows one pass writes
  customer partitions of 10M rows to temporary Parquet files (under
  ``CRMINE_TMPDIR`` or ``tempfile.gettempdir()``, counted in the step's CPU
  time) and each part is computed from its own file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

CHUNK = 5_000_000


def generate(path: str, n_rows: int, days: int, seed: int = 0, *,
             n_customers: int | None = None, order0: int = 0) -> None:
    """Write a retail-like log of ``n_rows`` lines to ``path`` chunk by chunk."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_customers = n_customers or max(1, n_rows // 40)
    start = np.datetime64("2022-01-01T00:00:00", "s").astype(np.int64)
    writer = None
    done = 0
    cats = pa.array([f"cat{k}" for k in range(8)])
    while done < n_rows:
        n = min(CHUNK, n_rows - done)
        n_orders = -(-n // 4)
        order = np.repeat(np.arange(order0, order0 + n_orders), 4)[:n]
        cust = rng.integers(0, n_customers, n_orders)[order - order0]
        t = (start + rng.integers(0, days * 86400, n_orders))[order - order0]
        item = rng.integers(0, 5000, n).astype(np.int32)
        qty = rng.integers(1, 5, n)
        ret = rng.random(n) < 0.02
        qty = np.where(ret, -qty, qty)
        price = np.round(0.5 + (item % 97) * 0.37, 2)
        table = pa.table({
            "customer_id": cust.astype(np.int64),
            "order_id": order.astype(np.int64),
            "timestamp": pa.array(t.astype("datetime64[s]").astype("datetime64[us]")),
            "item": item,
            "category": pa.DictionaryArray.from_arrays(pa.array(item % 8, pa.int32()), cats),
            "quantity": qty.astype(np.int64),
            "price": price,
        })
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
        done += n
        order0 += n_orders
    assert writer is not None
    writer.close()


# --------------------------------------------------------------------------- steps


def _checksum(table) -> list:
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        table = table.to_pandas()
    freq = "frequency" if "frequency" in table else table.columns[1]
    mon = "monetary_total" if "monetary_total" in table else table.columns[2]
    return [int(len(table)), int(table[freq].sum()), round(float(table[mon].sum()), 2)]


def same_work(df):
    """The yardstick of the full table: the same group-bys written by hand in polars.

    What a polars user writes for the same columns, without validation, returns
    netting or the pandas table: purchase lines -> (customer, order) with the
    category spend, distinct items per customer, orders -> customers with the
    windows and the trend, purchase days sorted per customer for the gaps and
    the first day's spend.
    """
    import polars as pl

    day_ns = 86_400 * 10**9
    cats = sorted(df.get_column("category").unique().to_list())
    lf = df.lazy().with_columns(
        (pl.col("quantity") * pl.col("price")).alias("amount"),
        pl.col("timestamp").dt.epoch("ns").alias("t"),
    ).filter(pl.col("amount") >= 0)
    cutoff = (df.get_column("timestamp").max().date().toordinal() - 719_162 + 1) * day_ns
    orders = lf.group_by("customer_id", "order_id").agg(
        pl.col("t").min(), pl.col("amount").sum(), pl.col("quantity").sum(),
        *[pl.when(pl.col("category") == c).then(pl.col("amount")).otherwise(0.0).sum()
          .alias(f"k{j}") for j, c in enumerate(cats)],
    )
    items = lf.group_by("customer_id").agg(pl.col("item").n_unique().alias("n_items"))
    t, a = pl.col("t"), pl.col("amount")
    windows = []
    for days in (30, 90, 365):
        inw = t >= cutoff - days * day_ns
        windows += [inw.sum().alias(f"o{days}"),
                    pl.when(inw).then(a).otherwise(0.0).sum().alias(f"s{days}")]
    recent, prior = t >= cutoff - 90 * day_ns, t >= cutoff - 180 * day_ns
    cust = orders.group_by("customer_id").agg(
        pl.len().alias("n_orders"), a.sum().alias("gross"), t.min().alias("first"),
        t.max().alias("last"), pl.col("quantity").sum().alias("units"), *windows,
        pl.when(recent).then(a).otherwise(0.0).sum().alias("s1"),
        pl.when(prior & ~recent).then(a).otherwise(0.0).sum().alias("s0"),
        *[pl.col(f"k{j}").sum() for j in range(len(cats))],
    )
    d = pl.col("d")
    days = (
        orders.group_by("customer_id", (t // day_ns).alias("d")).agg(a.sum().alias("da"))
        .sort("customer_id", "d")
        .group_by("customer_id", maintain_order=True)
        .agg(pl.len().alias("n_days"), pl.col("da").first().alias("first_day_amt"),
             (d.diff() ** 2).sum().alias("gap_sq"))
    )
    cust, items, days = pl.collect_all([cust, items, days])
    return cust.join(items, on="customer_id").join(days, on="customer_id")


def filter_report(df):
    """The yardstick of cleaning: the filter and the report's counts written by hand."""
    import polars as pl

    cust, qty, price = pl.col("customer_id"), pl.col("quantity"), pl.col("price")
    keep = cust.is_not_null() & (qty > 0) & (price > 0)
    amount = qty * price
    counts = df.select(
        cust.is_null().sum().alias("missing_customer"),
        (qty < 0).sum().alias("returns"), (qty == 0).sum().alias("zero_quantity"),
        (price <= 0).sum().alias("free"),
        amount.sum().alias("value_in"), amount.filter(keep).sum().alias("value_out"),
        cust.n_unique().alias("customers_in"), cust.filter(keep).n_unique().alias("customers_out"),
        pl.col("order_id").n_unique().alias("orders_in"),
        pl.col("order_id").filter(keep).n_unique().alias("orders_out"),
        pl.struct(df.columns).is_duplicated().sum().alias("duplicates"),
    )
    return df.filter(keep), counts


def child(step: str, path: str) -> dict:
    """Run one step in this (fresh) process; return its measurements."""
    import polars as pl

    from crmine import TransactionFeatures, clean_transactions, rfm_table

    load_cpu = 0.0
    df = None
    if not step.endswith("parquet"):
        t0 = time.process_time()
        if "pandas" in step:
            import pandas as pd

            df = pd.read_parquet(path)
            df["category"] = df["category"].astype(str)
        else:
            df = pl.read_parquet(path).with_columns(pl.col("category").cast(pl.String))
        load_cpu = time.process_time() - t0
    t0, w0 = time.process_time(), time.perf_counter()
    check: list | dict
    if step == "polars_rfm":
        out = (
            df.lazy()
            .with_columns((pl.col("quantity") * pl.col("price")).alias("amount"))
            .group_by("customer_id")
            .agg(pl.col("order_id").n_unique().alias("frequency"),
                 pl.col("amount").sum().alias("monetary"), pl.col("timestamp").max())
            .collect()
        )
        check = ["bare: all lines", out.height]
    elif step == "polars_same_work":
        out = same_work(df)
        check = ["same work", out.height, int(out["n_orders"].sum())]
    elif step in ("crmine_full_polars", "crmine_full_parquet"):
        check = _checksum(TransactionFeatures().fit_transform(path if df is None else df))
    elif step == "crmine_full_pandas":
        check = _checksum(TransactionFeatures(engine="pandas").fit_transform(df))
    elif step == "crmine_full_pandas_on_polars":
        check = _checksum(TransactionFeatures(engine="polars").fit_transform(df))
    elif step == "crmine_rfm_polars":
        check = _checksum(rfm_table(df))
    elif step == "polars_filter":
        out = df.filter(pl.col("customer_id").is_not_null() & (pl.col("quantity") > 0)
                        & (pl.col("price") > 0))
        check = ["rows out", out.height]
    elif step == "polars_filter_report":
        out, counts = filter_report(df)
        check = ["rows out", out.height]
    elif step in ("crmine_clean_polars", "crmine_clean_cheap_polars"):
        dup = "ignore" if "cheap" in step else "keep"
        clean, report = clean_transactions(df, cancellation_prefix=None, duplicates=dup)
        check = ["rows out", report.rows_out]
    elif step == "duckdb_rfm_parquet":
        import duckdb

        out = duckdb.sql(
            f"select customer_id, count(distinct order_id) f, sum(quantity * price) m, "
            f"max(timestamp) r from read_parquet('{path}') group by customer_id"
        ).fetchall()
        check = ["bare: all lines", len(out)]
    else:
        raise ValueError(step)
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    return {"step": step, "cpu": cpu, "wall": wall, "rss": rss, "load_cpu": load_cpu,
            "check": check}


def run(step: str, path: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", step, "--path", path],
        capture_output=True, text=True, env=env, timeout=900,
    )
    if proc.returncode:
        return {"step": step, "error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


LABELS = {
    "polars_rfm": "polars R/F/M group-by (bare)",
    "polars_same_work": "polars, the same group-bys by hand (yardstick)",
    "crmine_full_polars": "crmine full table (polars frame)",
    "crmine_rfm_polars": "crmine rfm_table (polars frame)",
    "crmine_full_pandas": "crmine full table (pandas frame, engine='pandas')",
    "crmine_full_pandas_on_polars": "crmine full table (pandas frame, engine='polars')",
    "polars_filter": "polars cleaning filter (bare)",
    "polars_filter_report": "polars filter + the report's counts by hand (yardstick)",
    "crmine_clean_polars": "crmine clean + full report (polars)",
    "crmine_clean_cheap_polars": "crmine clean, cheap mode (polars)",
    "duckdb_rfm_parquet": "DuckDB R/F/M group-by on Parquet (bare)",
    "crmine_full_parquet": "crmine full table from Parquet path",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e7", help="in-memory sizes, comma separated")
    ap.add_argument("--scan", default="3e7", help="Parquet sizes, comma separated ('' = none)")
    ap.add_argument("--big", default="", help="one more Parquet size (e.g. 2e8)")
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--pandas", action="store_true", help="also time the pandas path")
    ap.add_argument("--dir", default="/tmp/crmine_bench_engines")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--part", default="",
                    help="generate only part K/P of the --big log (a directory of P files, "
                    "one command per part) and exit, e.g. --big 2e8 --part 0/2")
    ap.add_argument("--child")
    ap.add_argument("--path")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.path)))
        return
    os.makedirs(args.dir, exist_ok=True)
    if args.part:  # one file of a multi-file log, so that each command stays short
        k, p = (int(x) for x in args.part.split("/"))
        n = int(float(args.big))
        folder = os.path.join(args.dir, f"log_{n}")
        os.makedirs(folder, exist_ok=True)
        t0 = time.perf_counter()
        generate(os.path.join(folder, f"part-{k}.parquet"), n // p, args.days, seed=k,
                 n_customers=n // 40, order0=k * (n // p))
        print(f"part {k}/{p} of {n:,} rows in {time.perf_counter() - t0:.0f} s")
        return
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    scans = [int(float(s)) for s in args.scan.split(",") if s]
    if args.big:
        scans.append(int(float(args.big)))
    plan = []
    for n in sizes:
        steps = ["polars_rfm", "polars_same_work", "crmine_full_polars", "crmine_rfm_polars"]
        steps += ["crmine_full_pandas", "crmine_full_pandas_on_polars"] if args.pandas else []
        steps += ["polars_filter", "polars_filter_report", "crmine_clean_polars",
                  "crmine_clean_cheap_polars"]
        plan.append((n, steps))
    for n in scans:
        plan.append((n, ["duckdb_rfm_parquet", "crmine_full_parquet"]))
    print(f"# {os.cpu_count()} cores; OMP_NUM_THREADS=1; CPU = process_time of the step "
          "(loading excluded), RSS = peak of the step's process")
    print("| rows | step | CPU s | wall s | peak RSS GiB | vs bare | vs yardstick | "
          "output check |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    try:
        for n, steps in plan:
            path = os.path.join(args.dir, f"log_{n}.parquet")
            if os.path.isdir(os.path.join(args.dir, f"log_{n}")):  # generated with --part
                path = os.path.join(args.dir, f"log_{n}", "*.parquet")
            elif not os.path.exists(path):
                t0 = time.perf_counter()
                generate(path, n, args.days)
                gb = os.path.getsize(path) / 2**30
                print(f"| {n:,} | (generate {gb:.2f} GiB Parquet) | | "
                      f"{time.perf_counter() - t0:.1f} | | | |", flush=True)
            base: dict[str, float] = {}
            yard: dict[str, float] = {}
            for step in steps:
                res = run(step, path)
                if "error" in res:
                    print(f"| {n:,} | {LABELS[step]} | error: {res['error']} | | | | | |",
                          flush=True)
                    continue
                kind = "clean" if ("clean" in step or "filter" in step) else "table"
                if "bare" in LABELS[step]:
                    base[kind] = res["cpu"]
                if "yardstick" in LABELS[step]:
                    yard[kind] = res["cpu"]
                ratio = f"{res['cpu'] / base[kind]:.2f}x" if kind in base else ""
                vs_yard = (f"{res['cpu'] / yard[kind]:.2f}x"
                           if kind in yard and "yardstick" not in LABELS[step] else "")
                print(f"| {n:,} | {LABELS[step]} | {res['cpu']:.2f} | {res['wall']:.2f} | "
                      f"{res['rss']:.2f} | {ratio} | {vs_yard} | {res['check']} |",
                      flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
