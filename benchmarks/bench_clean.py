"""clean_transactions (with its full report) vs the bare pandas filter, CPU time and peak memory.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_clean.py [--rows 10000000] [--skip-online-retail]

Prints one side-by-side table.  For each data set:

* ``pandas filter``: the textbook cleaning most notebooks write,
  ``log[customer.notna() & ~order.astype(str).str.startswith("C") & (quantity > 0)
  & (price > 0)]`` plus the line value, and nothing else (no report);
* ``crmine drop``: ``clean_transactions(log, returns="drop")``, the same rule
  with the full report (rows and value per reason, distinct customers and
  orders in and out, exact duplicates counted); its clean log is compared
  with the pandas filter's, row for row;
* ``crmine cheap``: ``returns="drop", duplicates="ignore"``: the same without
  comparing rows for exact duplicates (the one costly rule; the report row
  says "not checked");
* ``crmine net``: ``clean_transactions(log)``, the default, which also matches
  every return to the purchases it undoes (LIFO per customer and item).

Target (issue 16.3): ``crmine drop`` within 1.3x of the pandas filter's CPU
time.  CPU seconds are ``time.process_time`` (best of ``--repeat``); peak
memory is measured by tracemalloc in a separate run.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
ONLINE_RETAIL = REPO.parent / "shared" / "datasets" / "online_retail" / "online_retail.parquet"


def synthetic_log(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """An Online-Retail-like log: text invoices ("C..." cancellations), missing customers,
    free lines, repeated scans."""
    rng = np.random.default_rng(seed)
    n_orders = max(n_rows // 20, 1)
    n_customers = max(n_orders // 5, 1)
    order_cust = rng.integers(10_000, 10_000 + n_customers, n_orders).astype(float)
    order_cust[rng.random(n_orders) < 0.25] = np.nan  # guest checkouts
    order_time = pd.Timestamp("2010-12-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 373 * 86_400, n_orders)), unit="s"
    )
    cancelled = rng.random(n_orders) < 0.02
    invoice = np.char.add(np.where(cancelled, "C", ""), (536_365 + np.arange(n_orders)).astype(str))
    lines = np.sort(rng.integers(0, n_orders, n_rows))
    qty = rng.integers(1, 13, n_rows)
    qty = np.where(cancelled[lines], -qty, qty)
    price = np.round(rng.lognormal(1.0, 0.8, n_rows), 2)
    price[rng.random(n_rows) < 0.001] = 0.0
    log = pd.DataFrame(
        {
            "invoice": pd.array(invoice[lines], dtype=object),
            "item": rng.integers(0, 4_000, n_rows).astype(str).astype(object),
            "quantity": qty,
            "timestamp": order_time[lines],
            "price": price,
            "customer_id": order_cust[lines],
        }
    )
    dup = rng.random(n_rows) < 0.01  # repeated scans: copy the previous row
    idx = np.arange(n_rows)
    idx[1:][dup[1:]] = idx[:-1][dup[1:]]
    return log.iloc[idx].reset_index(drop=True)


SCHEMA = {"customer": "customer_id", "order": "invoice", "time": "timestamp",
          "item": "item", "quantity": "quantity", "price": "price"}


def pandas_filter(log: pd.DataFrame) -> pd.DataFrame:
    ok = (
        log["customer_id"].notna()
        & ~log["invoice"].astype(str).str.startswith("C")
        & (log["quantity"] > 0)
        & (log["price"] > 0)
    )
    out = log[ok]
    return out.assign(amount=out["quantity"] * out["price"])


def crmine_drop(log: pd.DataFrame):
    from crmine import clean_transactions

    return clean_transactions(log, columns=SCHEMA, returns="drop")


def crmine_cheap(log: pd.DataFrame):
    from crmine import clean_transactions

    return clean_transactions(log, columns=SCHEMA, returns="drop", duplicates="ignore")


def crmine_net(log: pd.DataFrame):
    from crmine import clean_transactions

    return clean_transactions(log, columns=SCHEMA)


def measure(fn, log, repeat: int) -> tuple[float, float, object]:
    best = np.inf
    out = None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0 = time.process_time()
        out = fn(log)
        best = min(best, time.process_time() - t0)
    out = None
    gc.collect()
    tracemalloc.start()
    out = fn(log)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-online-retail", action="store_true")
    args = ap.parse_args()

    datasets: list[tuple[str, pd.DataFrame]] = []
    if ONLINE_RETAIL.is_file() and not args.skip_online_retail:
        from crmine.datasets import load_online_retail

        raw = load_online_retail(ONLINE_RETAIL).rename(columns={"order_id": "invoice"})
        datasets.append(("Online Retail", raw))
    datasets.append((f"generated {args.rows:,} rows", synthetic_log(args.rows)))

    rows = []
    for name, log in datasets:
        t_p, m_p, ref = measure(pandas_filter, log, args.repeat)
        t_d, m_d, (clean_d, rep_d) = measure(crmine_drop, log, args.repeat)
        same = (
            len(ref) == len(clean_d)
            and ref.index.equals(clean_d.index)
            and np.allclose(ref["amount"].to_numpy(), clean_d["amount"].to_numpy())
        )
        ref = clean_d = None
        t_c, m_c, _ = measure(crmine_cheap, log, args.repeat)
        t_n, m_n, (clean_n, rep_n) = measure(crmine_net, log, args.repeat)
        rows.append(
            {
                "data": name,
                "rows": len(log),
                "pandas filter CPU s": round(t_p, 2),
                "crmine drop CPU s": round(t_d, 2),
                "drop / pandas": round(t_d / t_p, 2),
                "crmine cheap CPU s": round(t_c, 2),
                "cheap / pandas": round(t_c / t_p, 2),
                "crmine net CPU s": round(t_n, 2),
                "net / pandas": round(t_n / t_p, 2),
                "same rows as pandas": same,
                "pandas peak MB": round(m_p),
                "crmine drop peak MB": round(m_d),
                "crmine cheap peak MB": round(m_c),
                "crmine net peak MB": round(m_n),
                "rows out (drop / net)": f"{rep_d.rows_out:,} / {rep_n.rows_out:,}",
                "value out (drop / net)": f"{rep_d.value_out:,.0f} / {rep_n.value_out:,.0f}",
                "returns matched / unmatched": f"{rep_n.returns_matched:,} / "
                f"{rep_n.returns_unmatched:,}",
            }
        )
        del clean_n
    table = pd.DataFrame(rows).set_index("data").T
    with pd.option_context("display.width", 160, "display.max_columns", 10):
        print(table.to_string())


if __name__ == "__main__":
    main()
