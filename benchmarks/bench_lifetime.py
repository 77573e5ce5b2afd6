"""Benchmark crmine.lifetime against the published CDNOW estimates and `lifetimes`.

Usage::

    .venv/bin/python benchmarks/bench_lifetime.py [--repeat 3]

Fits BG/NBD, Pareto/NBD and Gamma-Gamma on the CDNOW sample (2,357 customers) and
master (23,570 customers) cohorts with the FHL protocol (39-week calibration, weeks)
and prints time, parameters and log-likelihood beside the `lifetimes` package.

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
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from crmine.datasets import load_cdnow
from crmine.lifetime import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    calibration_holdout_split,
    holdout_report,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "cdnow"
PUBLISHED = {
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
    ("Pareto/NBD", lifetimes.ParetoNBDFitter, (d["x"], d["tx"], d["T"])),
    ("Gamma-Gamma", lifetimes.GammaGammaFitter,
     (d["x"][(d["x"] > 0) & (d["z"] > 0)], d["z"][(d["x"] > 0) & (d["z"] > 0)])),
]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        m = cls().fit(*args)
        times.append(time.perf_counter() - t)
    # lifetimes stores the mean negative log-likelihood per customer
    ll = -float(m._negative_log_likelihood_) * len(args[0])
    out[name] = {"time": min(times), "params": {k: float(v) for k, v in m.params_.items()},
                 "ll": ll}
out["version"] = lifetimes.__version__
print(json.dumps(out))
"""


def _fmt_params(params: dict) -> str:
    return " ".join(f"{k}={v:.3f}" for k, v in params.items())


def _crmine_fits(table, repeat: int) -> dict:
    res = {}
    for name, cls in [("BG/NBD", BetaGeoModel), ("Pareto/NBD", ParetoNBDModel)]:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            m = cls().fit(table)
            times.append(time.perf_counter() - t)
        res[name] = {
            "time": min(times),
            "params": m.params_.to_dict(),
            "ll": m.log_likelihood_,
            "model": m,
        }
    times = []
    spenders = _positive_spend(table)
    for _ in range(repeat):
        t = time.perf_counter()
        g = GammaGammaModel().fit(spenders)
        times.append(time.perf_counter() - t)
    res["Gamma-Gamma"] = {
        "time": min(times),
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
        header = f"{'model':<12} {'lib':<10} {'time s':>8} {'log-lik':>12}  parameters"
        print(header)
        print("-" * len(header) + "-" * 40)
        for name in ("BG/NBD", "Pareto/NBD", "Gamma-Gamma"):
            o = ours[name]
            print(
                f"{name:<12} {'crmine':<10} {o['time']:>8.3f} {o['ll']:>12.2f}  "
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
                    f"{'':<12} {'lifetimes':<10} {p['time']:>8.3f} {p['ll']:>12.2f}  "
                    f"{_fmt_params(p['params'])}"
                )
            if kind == "sample":
                print(f"{'':<12} {'published':<10} {'':>8} {'':>12}  {PUBLISHED[name]}")
        for name in ("BG/NBD", "Pareto/NBD"):
            rep = holdout_report(ours[name]["model"], table)
            print(
                f"holdout {name}: actual {rep['actual_total']:.0f}, predicted "
                f"{rep['predicted_total']:.0f} ({rep['total_error_pct']:+.1f} %), "
                f"RMSE {rep['rmse']:.3f}, corr {rep['correlation']:.3f}, MAE {rep['mae']:.3f} "
                f"(zero forecast MAE {rep['mae_zero_forecast']:.3f})"
            )


if __name__ == "__main__":
    main()
