"""Benchmark crmine.value against the usual pandas RFM recipe.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_value.py`` (add ``--large`` for 10^6
customers).

For each table size it measures CPU time (``time.process_time``, best of the repeats) and
peak Python memory (``tracemalloc``) of

- crmine ``RFMScorer().fit_transform`` (scores + code + segment),
- the same on a polars table with ``customer_id`` as its first column (read by name; the
  scores must equal the pandas ones),
- the pandas recipe ``pd.qcut(x.rank(method="first"), 5, labels=False) + 1`` per column
  (scores only), and whether the two agree,
- naive ``pd.qcut`` on the raw values (fails on ties),
- ``ValueTierClassifier().fit(X).predict(X)`` and ``gini`` + ``top_share``,

and prints a side-by-side table.  On UCI Online Retail (when present) it does the same on the
4,338 real customers.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from crmine.exceptions import DataWarning
from crmine.value import RFMScorer, ValueTierClassifier, gini, top_share

ONLINE_RETAIL = (
    Path(__file__).resolve().parents[2] / "shared/datasets/online_retail/online_retail.parquet"
)


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    freq = rng.geometric(0.35, n)  # heavy ties: about a third bought once
    return pd.DataFrame(
        {
            "recency_days": rng.integers(0, 730, n),
            "frequency": freq,
            "monetary_total": np.round(freq * rng.lognormal(3.5, 1.0, n), 2),
        },
        index=pd.Index(rng.permutation(n) + 10_000, name="customer_id"),
    )


def online_retail() -> pd.DataFrame | None:
    if not ONLINE_RETAIL.exists():
        return None
    raw = pd.read_parquet(
        ONLINE_RETAIL, columns=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
    )
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].astype(str).str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    d = raw.loc[keep].assign(amount=lambda x: x["Quantity"] * x["UnitPrice"])
    cutoff = d["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
    g = d.groupby(d["CustomerID"].astype("int64"))
    return pd.DataFrame(
        {
            "recency_days": (cutoff - g["InvoiceDate"].max()).dt.days,
            "frequency": g["InvoiceNo"].nunique(),
            "monetary_total": g["amount"].sum(),
        }
    )


def timed(func, repeat: int = 3):
    """Best CPU time over ``repeat`` runs, the output and the peak traced memory (MB)."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.process_time()
        out = func()
        best = min(best, time.process_time() - t0)
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, out, peak


def pandas_recipe(X: pd.DataFrame) -> pd.DataFrame:
    Xs = X.sort_index()
    return pd.DataFrame(
        {
            col: pd.qcut(key.rank(method="first"), 5, labels=False) + 1
            for col, key in (
                ("r_score", -Xs["recency_days"]),
                ("f_score", Xs["frequency"]),
                ("m_score", Xs["monetary_total"]),
            )
        }
    ).loc[X.index]


def naive_qcut_ok(X: pd.DataFrame) -> str:
    try:
        pd.qcut(X["frequency"], 5, labels=False)
    except ValueError:
        return "fails (ties)"
    return "ok"


def row(name: str, X: pd.DataFrame) -> dict:
    repeat = 1 if len(X) > 200_000 else 3
    t_crmine, scored, m_crmine = timed(lambda: RFMScorer().fit_transform(X), repeat)
    t_pandas, recipe, m_pandas = timed(lambda: pandas_recipe(X), repeat)
    same = all(
        np.array_equal(scored[c].to_numpy(), recipe[c].to_numpy())
        for c in ("r_score", "f_score", "m_score")
    )
    polars_cols = {}
    try:
        import polars as pl

        P = pl.from_pandas(X.rename_axis("customer_id").reset_index())  # id column first
        t_pl, scored_pl, _ = timed(lambda: RFMScorer().fit_transform(P), repeat)
        same_pl = all(
            np.array_equal(scored_pl.loc[X.index, c].to_numpy(), scored[c].to_numpy())
            for c in ("r_score", "f_score", "m_score")
        )
        polars_cols = {"crmine RFM polars s": round(t_pl, 3), "polars same": same_pl}
    except ImportError:  # pragma: no cover - polars is optional
        pass
    t_tiers, _, _ = timed(lambda: ValueTierClassifier().fit(X).predict(X), repeat)
    m = X["monetary_total"].clip(lower=0)
    t_conc, (g, s), _ = timed(lambda: (gini(m), top_share(m, 0.01)), repeat)
    return {
        "data": name,
        "customers": len(X),
        "crmine RFM s": round(t_crmine, 3),
        "crmine MB": round(m_crmine, 1),
        "pandas qcut(rank) s": round(t_pandas, 3),
        "pandas MB": round(m_pandas, 1),
        "same scores": same,
        **polars_cols,
        "naive qcut": naive_qcut_ok(X),
        "tiers fit+predict s": round(t_tiers, 3),
        "gini+top1% s": round(t_conc, 3),
        "gini": round(g, 3),
        "top 1% share": round(s, 4),
    }


def main() -> None:
    sizes = [10_000, 100_000] + ([1_000_000] if "--large" in sys.argv else [])
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        retail = online_retail()
        if retail is not None:
            rows.append(row("Online Retail", retail))
        for n in sizes:
            rows.append(row("synthetic", synthetic(n)))
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
