"""Benchmark crmine.lifetime against the published estimates and `lifetimes`.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_lifetime.py [--repeat 3]

Fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma on the CDNOW sample (2,357
customers) and master (23,570 customers) cohorts with the FHL protocol (39-week
calibration, weeks), BG/BB on the donations data and sBG on the Fader-Hardie (2007)
cohorts, and prints CPU time (``time.process_time``, best of ``--repeat``), peak
Python memory (tracemalloc) of one fit, parameters and log-likelihood beside the
`lifetimes` package (``pip install lifetimes --no-build-isolation``).  It also times
``holdout_report`` when holdout lengths differ per customer against the per-customer
loop it replaced.

`lifetimes` (unmaintained) does not install with pandas 3.  When it is not importable
here, set ``LIFETIMES_PYTHON`` to an interpreter of a throwaway venv that has it (e.g.
``python -m venv /tmp/lt && /tmp/lt/bin/pip install lifetimes "pandas<3"``); the
benchmark then runs the same fits there in a subprocess on identical input arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from crmine.datasets import load_cdnow
from crmine.lifetime import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
    calibration_holdout_split,
    holdout_report,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
DATA = SHARED / "cdnow"
PUBLISHED = {
    "MBG/NBD": "(no published CDNOW fit; lifetimes is the reference)",
    "BG/NBD": "r=0.243 alpha=4.414 a=0.793 b=2.426 LL=-9582.4",
    "Pareto/NBD": "r=0.553 alpha=10.578 s=0.606 beta=11.669 LL=-9595.0",
    "Gamma-Gamma": "p=6.25 q=3.74 gamma=15.44",
}

LIFETIMES_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
import pandas as pd
warnings.filterwarnings("ignore")
import lifetimes
d = np.load(sys.argv[1])
out = {}
repeat = int(sys.argv[2])
for name, cls, args in [
    ("BG/NBD", lifetimes.BetaGeoFitter, (d["x"], d["tx"], d["T"])),
    ("MBG/NBD", lifetimes.ModifiedBetaGeoFitter, (d["x"], d["tx"], d["T"])),
    ("Pareto/NBD", lifetimes.ParetoNBDFitter, (d["x"], d["tx"], d["T"])),
    ("Gamma-Gamma", lifetimes.GammaGammaFitter,
     (d["x"][(d["x"] > 0) & (d["z"] > 0)], d["z"][(d["x"] > 0) & (d["z"] > 0)])),
]:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        m = cls().fit(*args)
        times.append(time.process_time() - t)
    # lifetimes stores the mean negative log-likelihood per customer
    ll = -float(m._negative_log_likelihood_) * len(args[0])
    out[name] = {"time": min(times), "params": {k: float(v) for k, v in m.params_.items()},
                 "ll": ll}
out["version"] = lifetimes.__version__
print(json.dumps(out))
"""


def _fmt_params(params: dict) -> str:
    return " ".join(f"{k}={v:.3f}" for k, v in params.items())


def _timed(fn, repeat: int):
    """(result, best CPU seconds, peak MiB of one call under tracemalloc)."""
    times = []
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        times.append(time.process_time() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, min(times), peak


def _crmine_fits(table, repeat: int) -> dict:
    res = {}
    for name, cls in [
        ("BG/NBD", BetaGeoModel),
        ("MBG/NBD", ModifiedBetaGeoModel),
        ("Pareto/NBD", ParetoNBDModel),
    ]:
        m, cpu, peak = _timed(lambda cls=cls: cls().fit(table), repeat)
        res[name] = {
            "time": cpu,
            "peak": peak,
            "params": m.params_.to_dict(),
            "ll": m.log_likelihood_,
            "model": m,
        }
    spenders = _positive_spend(table)
    g, cpu, peak = _timed(lambda: GammaGammaModel().fit(spenders), repeat)
    res["Gamma-Gamma"] = {
        "time": cpu,
        "peak": peak,
        "params": g.params_.to_dict(),
        "ll": g.log_likelihood_,
    }
    return res


def _positive_spend(table):
    """Gamma-Gamma needs positive spend: drop repeat buyers whose repeat purchases cost $0."""
    bad = (table["repeat_frequency"] > 0) & ~(table["btyd_monetary_mean"] > 0)
    if bad.any():
        print(f"(Gamma-Gamma: {int(bad.sum())} repeat buyer(s) with $0 mean spend left out)")
    return table.loc[~bad]


def _lifetimes_fits(table, repeat: int) -> tuple[dict | None, str]:
    x = table["repeat_frequency"].to_numpy(float)
    arrays = {
        "x": x,
        "tx": table["btyd_recency"].to_numpy(float),
        "T": table["btyd_T"].to_numpy(float),
        "z": np.nan_to_num(table["btyd_monetary_mean"].to_numpy(float)),
    }
    # same customers as crmine's Gamma-Gamma fit
    arrays["z"] = np.where((arrays["x"] > 0) & (arrays["z"] <= 0), np.nan, arrays["z"])
    python = os.environ.get("LIFETIMES_PYTHON")
    try:
        import lifetimes  # noqa: F401

        python = sys.executable
    except Exception as exc:  # ImportError, or its breakage on pandas 3 / setuptools
        if not python:
            return None, f"lifetimes not importable here ({type(exc).__name__}: {exc})"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cdnow.npz"
        np.savez(path, **arrays)
        script = Path(tmp) / "run_lifetimes.py"
        script.write_text(LIFETIMES_SCRIPT)
        proc = subprocess.run(
            [python, str(script), str(path), str(repeat)], capture_output=True, text=True
        )
    if proc.returncode != 0:
        return None, f"lifetimes failed: {proc.stderr.strip().splitlines()[-1:]}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out, f"lifetimes {out.pop('version')} via {python}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best of)")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"CDNOW data not found at {DATA}")
    warnings.simplefilter("ignore")
    for kind, fname in [("sample", "CDNOW_sample.txt"), ("master", "CDNOW_master.txt")]:
        log = load_cdnow(DATA / fname, kind=kind)
        t = time.perf_counter()
        table = calibration_holdout_split(log, "1997-09-30", "1998-06-30", time_unit="W")
        t_split = time.perf_counter() - t
        ours = _crmine_fits(table, args.repeat)
        peer, peer_note = _lifetimes_fits(table, args.repeat)
        print(f"\n=== CDNOW {kind}: {len(table):,} customers, {len(log):,} log rows ===")
        print(f"calibration_holdout_split: {t_split:.2f} s; peer: {peer_note}")
        header = (
            f"{'model':<12} {'lib':<10} {'cpu s':>8} {'peak MiB':>9} {'log-lik':>12}  parameters"
        )
        print(header)
        print("-" * len(header) + "-" * 40)
        for name in ("BG/NBD", "MBG/NBD", "Pareto/NBD", "Gamma-Gamma"):
            o = ours[name]
            print(
                f"{name:<12} {'crmine':<10} {o['time']:>8.3f} {o['peak']:>9.1f} {o['ll']:>12.2f}  "
                f"{_fmt_params(o['params'])}"
            )
            if peer is not None:
                p = peer[name]
                if name != "Gamma-Gamma":
                    # lifetimes rescales time internally, so its stored objective is not the
                    # log-likelihood: evaluate crmine's likelihood at lifetimes' estimates
                    ref = type(o["model"])()
                    ref.params_ = pd.Series(p["params"])
                    p["ll"] = float(ref.score_samples(table).sum())
                print(
                    f"{'':<12} {'lifetimes':<10} {p['time']:>8.3f} {'':>9} {p['ll']:>12.2f}  "
                    f"{_fmt_params(p['params'])}"
                )
            if kind == "sample":
                print(f"{'':<12} {'published':<10} {'':>8} {'':>9} {'':>12}  {PUBLISHED[name]}")
        for name in ("BG/NBD", "Pareto/NBD"):
            rep = holdout_report(ours[name]["model"], table)
            print(
                f"holdout {name}: actual {rep['actual_total']:.0f}, predicted "
                f"{rep['predicted_total']:.0f} ({rep['total_error_pct']:+.1f} %), "
                f"RMSE {rep['rmse']:.3f}, corr {rep['correlation']:.3f}, MAE {rep['mae']:.3f} "
                f"(zero forecast MAE {rep['mae_zero_forecast']:.3f})"
            )

        if kind == "master":
            _holdout_timing(ours["BG/NBD"]["model"], table)
    _discrete_models(args.repeat)


def _holdout_timing(model, table) -> None:
    """holdout_report with one holdout length per customer vs the old per-customer loop."""
    data = table.copy()
    rng = np.random.default_rng(0)
    data["holdout_duration"] = rng.uniform(13.0, 39.0, len(data))  # lengths differ
    t = time.process_time()
    loop = np.array(
        [
            float(np.asarray(model.predict_purchases(data.iloc[[i]], t=d))[0])
            for i, d in enumerate(data["holdout_duration"].to_numpy())
        ]
    )
    t_loop = time.process_time() - t
    t = time.process_time()
    rep = holdout_report(model, data)
    t_vec = time.process_time() - t
    same = np.allclose(rep.table["predicted"].to_numpy(), loop, rtol=1e-12)
    print(
        f"holdout_report, {len(data):,} customers with different holdout lengths: "
        f"per-customer loop (before) {t_loop:.2f} s CPU, vectorised (now) {t_vec:.3f} s CPU; "
        f"same predictions: {same}"
    )


def _discrete_models(repeat: int) -> None:
    print("\n=== BG/BB: donations (Fader, Hardie & Shang 2010), 11,104 donors ===")
    path = SHARED / "donations_bgbb" / "donations.csv"
    if path.exists():
        d = pd.read_csv(path)
        args = (d["frequency"], d["recency"], d["periods"])
        m, cpu, peak = _timed(
            lambda: BetaGeoBetaBinomModel().fit(*args, weights=d["weights"]), repeat
        )
        print(
            f"crmine     {cpu:.3f} s CPU, {peak:.1f} MiB  {_fmt_params(m.params_.to_dict())}"
            f"  LL={m.log_likelihood_:.2f}"
        )
        try:
            import lifetimes

            f, cpu, _ = _timed(
                lambda: lifetimes.BetaGeoBetaBinomFitter().fit(*args, d["weights"]), repeat
            )
            print(f"lifetimes  {cpu:.3f} s CPU           {_fmt_params(f.params_.to_dict())}")
        except ImportError:
            print("lifetimes  not installed")
        print("published  alpha=1.204 beta=0.750 gamma=0.657 delta=2.783 LL=-33225.58")
    print("\n=== sBG: Fader & Hardie (2007) cohorts, years 0-7 ===")
    for name, surv, pub in [
        ("regular", [1000, 631, 468, 382, 326, 289, 262, 241], "alpha=0.704 beta=1.182"),
        ("high end", [1000, 869, 743, 653, 593, 551, 517, 491], "alpha=0.668 beta=3.806"),
    ]:
        m, cpu, _ = _timed(lambda surv=surv: ShiftedBetaGeometricModel().fit(surv), repeat)
        print(
            f"{name:<9} crmine {cpu:.4f} s CPU  {_fmt_params(m.params_.to_dict())}"
            f"   published {pub}   (no sBG in lifetimes)"
        )


if __name__ == "__main__":
    main()
