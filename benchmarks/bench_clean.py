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
time.  CPU seconds are ``time.process_time``, the best of ``--repeat`` rounds
in which every contender runs once in turn (so a busy moment of the shared
machine falls on all of them; small data sets get 5x the rounds).  Memory is
measured in separate runs: the peak of Python allocations (tracemalloc) and
the peak resident set above the resident set at the start of the call (Linux
``VmHWM``, reset through ``/proc/self/clear_refs``).
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


def _vm(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _trim() -> None:
    gc.collect()
    try:  # hand freed heap memory back, so the start is not inflated
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_rss(fn, log) -> float:
    """Peak resident set above the start of the call, MB (nan where Linux's VmHWM is absent)."""
    _trim()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident set
    except OSError:
        return float("nan")
    start = _vm("VmRSS")
    out = fn(log)
    peak = _vm("VmHWM")
    del out
    return float("nan") if start is None or peak is None else peak - start


def peak_traced(fn, log) -> float:
    _trim()
    tracemalloc.start()
    out = fn(log)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del out
    return peak / 2**20


def cpu_times(fns: dict, log, repeat: int) -> dict[str, float]:
    """Best CPU seconds of each function over ``repeat`` rounds, the functions in turn."""
    best = dict.fromkeys(fns, np.inf)
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            t0 = time.process_time()
            out = fn(log)
            best[name] = min(best[name], time.process_time() - t0)
            del out
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-online-retail", action="store_true")
    args = ap.parse_args()

    datasets: list[tuple[str, pd.DataFrame]] = []
    if ONLINE_RETAIL.is_file() and not args.skip_online_retail:
        from crmine.datasets import load_online_retail

        raw = load_online_retail(ONLINE_RETAIL).rename(columns={"order_id": "invoice"})
        datasets.append(("Online Retail", raw))
    datasets.append((f"generated {args.rows:,} rows", synthetic_log(args.rows)))

    fns = {"pandas": pandas_filter, "drop": crmine_drop, "cheap": crmine_cheap,
           "net": crmine_net}
    rows = []
    for name, log in datasets:
        ref = pandas_filter(log)
        clean_d, rep_d = crmine_drop(log)
        same = (
            len(ref) == len(clean_d)
            and ref.index.equals(clean_d.index)
            and np.allclose(ref["amount"].to_numpy(), clean_d["amount"].to_numpy())
        )
        ref = clean_d = None
        rep_n = crmine_net(log)[1]
        repeat = args.repeat * (5 if len(log) < 2_000_000 else 1)
        t = cpu_times(fns, log, repeat)
        traced = {k: peak_traced(fn, log) for k, fn in fns.items()}
        rss = {k: peak_rss(fn, log) for k, fn in fns.items()}
        row = {"data": name, "rows": len(log), "rounds": repeat}
        for k, label in (("pandas", "pandas filter"), ("drop", "crmine drop"),
                         ("cheap", "crmine cheap"), ("net", "crmine net")):
            row[f"{label} CPU s"] = round(t[k], 3 if t[k] < 1 else 2)
            if k != "pandas":
                row[f"{k} / pandas"] = round(t[k] / t["pandas"], 2)
        row["same rows as pandas"] = same
        for k, label in (("pandas", "pandas"), ("drop", "crmine drop"),
                         ("cheap", "crmine cheap"), ("net", "crmine net")):
            row[f"{label} peak MB (traced / RSS)"] = f"{traced[k]:,.0f} / {rss[k]:,.0f}"
        row["drop / pandas peak (traced)"] = round(traced["drop"] / traced["pandas"], 2)
        row["rows out (drop / net)"] = f"{rep_d.rows_out:,} / {rep_n.rows_out:,}"
        row["value out (drop / net)"] = f"{rep_d.value_out:,.0f} / {rep_n.value_out:,.0f}"
        row["returns matched / unmatched"] = (
            f"{rep_n.returns_matched:,} / {rep_n.returns_unmatched:,}"
        )
        rows.append(row)
    table = pd.DataFrame(rows).set_index("data").T
    with pd.option_context("display.width", 160, "display.max_columns", 10):
        print(table.to_string())


if __name__ == "__main__":
    main()
