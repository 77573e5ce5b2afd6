"""Benchmark: CustomerSegmenter on 1M customers, MiniBatchKMeans beside plain KMeans.

Usage::

    python benchmarks/bench_segmentation.py            # 1,000,000 customers, k=5
    python benchmarks/bench_segmentation.py --n 200000 --threads 2

The customer table is RFM-like: five planted groups drawn as Gaussian blobs in
log1p space and exponentiated (positive, right-skewed recency / frequency /
monetary), so both algorithms can be scored against the truth.  Each row of the
table is one ``CustomerSegmenter(n_clusters=k, algorithm=...)`` fit (skew
transform, scaling, k-means with ``n_init`` starts, scores, profiles and names;
no bootstrap) or, for reference, one fit of the bare scikit-learn estimator on
the already-scaled matrix, for each seed: MiniBatchKMeans' early stopping makes
its run time vary a lot from seed to seed, so medians and maxima are printed.
Peak memory is the tracemalloc peak of Python and NumPy allocations during the
fit (the input table itself excluded).  The segmenter's fixed cost over the bare
estimator is mostly the silhouette on a 5,000-customer sample.

k-means uses OpenMP; on a shared machine spinning threads can slow it by an
order of magnitude, so the default is one thread (``--threads`` to change).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
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


def make_table(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    Z, y = make_blobs(n_samples=n, centers=CENTERS, cluster_std=0.35, random_state=seed)
    X = np.expm1(Z)
    table = pd.DataFrame(X, columns=["recency_days", "frequency", "monetary_total"])
    table["frequency"] = np.maximum(1.0, np.round(table["frequency"]))
    return table, y


def measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, elapsed, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of customers")
    parser.add_argument("--k", type=int, default=5, help="number of segments")
    parser.add_argument("--n-init", type=int, default=3, help="k-means starts per fit")
    parser.add_argument("--threads", type=int, default=1, help="OpenMP/BLAS threads")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="random states")
    args = parser.parse_args()

    table, truth = make_table(args.n)
    print(
        f"{args.n:,} customers x 3 features, k={args.k}, n_init={args.n_init}, "
        f"threads={args.threads}; input table {table.memory_usage().sum() / 2**20:.0f} MiB"
    )
    rows = []
    labels = {}
    Z = None
    with threadpool_limits(args.threads):
        for algorithm in ("kmeans", "minibatch"):
            for seed in args.seeds:
                seg = CustomerSegmenter(
                    n_clusters=args.k,
                    algorithm=algorithm,
                    n_init=args.n_init,
                    n_bootstrap=0,
                    random_state=seed,
                )
                fitted, seconds, peak = measure(lambda seg=seg: seg.fit(table))
                labels[algorithm, seed] = fitted.labels_
                rows.append(
                    {
                        "what": f"CustomerSegmenter(algorithm={algorithm!r})",
                        "seed": seed,
                        "fit s": seconds,
                        "peak MiB": peak,
                        "inertia": fitted.inertia_,
                        "ARI vs planted": adjusted_rand_score(truth, fitted.labels_),
                    }
                )
                if Z is None:
                    Z = fitted._preprocess(table.to_numpy(dtype=float))
        # the bare estimators on the preprocessed matrix, for reference
        for seed in args.seeds:
            for name, est in (
                (
                    "sklearn KMeans",
                    KMeans(n_clusters=args.k, n_init=args.n_init, random_state=seed),
                ),
                (
                    "sklearn MiniBatchKMeans",
                    MiniBatchKMeans(
                        n_clusters=args.k, n_init=args.n_init, batch_size=4096, random_state=seed
                    ),
                ),
            ):
                km, seconds, peak = measure(lambda est=est: est.fit(Z))
                rows.append(
                    {
                        "what": f"{name} on the scaled matrix",
                        "seed": seed,
                        "fit s": seconds,
                        "peak MiB": peak,
                        "inertia": km.inertia_,
                        "ARI vs planted": adjusted_rand_score(truth, km.labels_),
                    }
                )
    result = pd.DataFrame(rows)
    print(result.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    summary = result.groupby("what", sort=False)[["fit s", "peak MiB", "ARI vs planted"]].agg(
        ["median", "max"]
    )
    print("\nover seeds:")
    print(summary.to_string(float_format=lambda v: f"{v:,.3f}"))
    for seed in args.seeds:
        agree = adjusted_rand_score(labels["kmeans", seed], labels["minibatch", seed])
        print(f"seed {seed}: ARI between the KMeans and MiniBatchKMeans segmentations {agree:.4f}")


if __name__ == "__main__":
    main()
