"""Benchmark: the default CustomerSegmenter() beside a hand-written k-means loop.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_segmentation.py            # 100k and 1M
    python benchmarks/bench_segmentation.py --sizes 200000 --threads 2

The customer table is RFM-like: five planted groups drawn as Gaussian blobs in
log1p space and exponentiated (positive, right-skewed recency / frequency /
monetary), so both sides can be scored against the truth.

- **hand-written loop** -- what a data scientist writes: log1p + z-scores,
  then for k = 3..8 ``KMeans(k, random_state=0)`` (scikit-learn's default
  ``n_init``) on all rows and ``silhouette_score(..., sample_size=5000)``;
  the k with the best silhouette is kept.
- **CustomerSegmenter()** -- the default: the same transform, k = 3..8 scanned
  on a 20,000-customer sample (three k-means++ starts each, one 3,000-point
  silhouette sample for every k), the chosen k refitted on everyone from the
  sample's centroids, plus profiles, names and 10 bootstrap refits for the
  stability score (on the sample).

CPU seconds (``time.process_time``) and the tracemalloc peak (Python and NumPy
allocations, the input table excluded) are printed side by side, with the
chosen k, the adjusted Rand index against the planted groups and between the
two partitions.  k-means uses OpenMP; on a shared machine spinning threads
can slow it by an order of magnitude, so the default is one thread.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from crmine.segmentation import CustomerSegmenter

CENTERS = np.log1p(
    np.array(
        [
            [5, 20, 3000],
            [300, 1, 30],
            [60, 5, 400],
            [15, 1, 40],
            [150, 10, 1500],
        ],
        dtype=float,
    )
)
RFM = ["recency_days", "frequency", "monetary_total"]


def make_table(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    Z, y = make_blobs(n_samples=n, centers=CENTERS, cluster_std=0.35, random_state=seed)
    X = np.expm1(Z)
    table = pd.DataFrame(X, columns=RFM)
    table["frequency"] = np.maximum(1.0, np.round(table["frequency"]))
    return table, y


def measure(fn):
    """Run ``fn`` once: (result, CPU seconds, peak traced MiB)."""
    tracemalloc.start()
    c0 = time.process_time()
    out = fn()
    cpu = time.process_time() - c0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, cpu, peak / 2**20


def hand_written_loop(table: pd.DataFrame) -> tuple[int, np.ndarray]:
    Z = np.log1p(table[RFM].to_numpy(dtype=float))
    Z = (Z - Z.mean(axis=0)) / Z.std(axis=0)
    best = (-np.inf, 0, None)
    for k in range(3, 9):
        km = KMeans(n_clusters=k, random_state=0).fit(Z)
        s = silhouette_score(Z, km.labels_, sample_size=5000, random_state=0)
        if s > best[0]:
            best = (s, k, km.labels_)
    return best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--threads", type=int, default=1, help="OpenMP/BLAS threads")
    args = parser.parse_args()
    rows = []
    with threadpool_limits(args.threads):
        for n in args.sizes:
            table, truth = make_table(n)
            (k_hw, lab_hw), cpu_hw, mem_hw = measure(lambda table=table: hand_written_loop(table))
            seg, cpu_cr, mem_cr = measure(
                lambda table=table: CustomerSegmenter(random_state=0).fit(table)
            )
            rows.append(
                {
                    "customers": n,
                    "loop CPU s": cpu_hw,
                    "crmine CPU s": cpu_cr,
                    "ratio": cpu_cr / cpu_hw,
                    "loop peak MiB": mem_hw,
                    "crmine peak MiB": mem_cr,
                    "loop k": k_hw,
                    "crmine k": seg.n_clusters_,
                    "loop ARI vs planted": adjusted_rand_score(truth, lab_hw),
                    "crmine ARI vs planted": adjusted_rand_score(truth, seg.labels_),
                    "ARI loop vs crmine": adjusted_rand_score(lab_hw, seg.labels_),
                    "crmine stability": seg.stability_,
                }
            )
    result = pd.DataFrame(rows).set_index("customers")
    print(f"threads={args.threads}; target: crmine CPU within 2x of the loop")
    print(result.T.to_string(float_format=lambda v: f"{v:,.3f}"))


if __name__ == "__main__":
    main()
