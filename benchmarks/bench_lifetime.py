"""Benchmark crmine.lifetime against published fits, `lifetimes`, `btyd` and pymc-marketing.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_lifetime.py [--repeat 3]
        [--pymc-python /tmp/pymc/bin/python] [--btyd-python /tmp/btyd/bin/python]
    OMP_NUM_THREADS=1 python benchmarks/bench_lifetime.py --sbg-coverage 1000

Fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma on the CDNOW sample (2,357
customers) and master (23,570 customers) cohorts with the FHL protocol (39-week
calibration, weeks), BG/BB on the donations data (11,104 donors) and sBG on the
Fader-Hardie (2007) cohorts.  Every fit of every library runs in a fresh process on
identical input arrays, and one table per data set prints, per model and library:

* ``1st s``: CPU seconds of the first fit (``getrusage`` of the process and its
  children: pymc-marketing compiles its log-likelihood with g++ in child processes,
  once per environment: with an empty cache, ``PYTENSOR_FLAGS=base_compiledir=<new
  dir>``, its first MBG/NBD fit on the sample took 13.5 s CPU, 1.4 s with a warm one);
* ``best s``: CPU seconds, best of ``--repeat`` fits (compiled code cached);
* ``peak MiB``: peak RSS of the process (``VmHWM``, imports included) and ``+MiB``
  its rise over the RSS after imports and data loading;
* ``log-lik``: crmine's log-likelihood evaluated at that library's estimates (the
  peers store differently scaled objectives) and ``max rel`` the largest relative
  difference of its parameters from crmine's.

Peers, each optional, each in its own interpreter:

* `lifetimes` (unmaintained; does not install with pandas 3): imported here when it
  can be, else ``LIFETIMES_PYTHON`` names a venv's interpreter that has it
  (``python -m venv /tmp/lt && /tmp/lt/bin/pip install lifetimes "pandas<3"``).
* `btyd` 0.1a1 (a lifetimes fork) pins autograd 1.4, which does not import on Python
  3.11, and its aesara needs numpy < 1.26::

      python -m venv /tmp/btyd && /tmp/btyd/bin/pip install btyd
      /tmp/btyd/bin/pip install "autograd>=1.5" && /tmp/btyd/bin/pip install --no-deps lifetimes
      /tmp/btyd/bin/pip install "numpy==1.25.2" "pandas<2.2" "scipy<1.12" "matplotlib<3.9" \
          "xarray<2023.12" "arviz<0.17" "xarray-einstats<0.7"

* pymc-marketing (``python -m venv /tmp/pymc && /tmp/pymc/bin/pip install
  pymc-marketing``; too heavy for the test extra): ``fit_method="map"`` with
  ``HalfFlat`` priors on every parameter, so its MAP is the maximum-likelihood fit.
  BG/BB gets one row per donor (no weights there); sBG one row per customer with
  ``T = periods + 1`` (its censoring convention).

Measured 2026-11-29 (pymc-marketing 0.19.2, lifetimes 0.11.3, btyd 0.1a1): see
``docs/reproductions/mbgnbd.md`` and the lead's note for the numbers.  The benchmark
also times ``holdout_report`` when holdout lengths differ per customer against the
per-customer loop it replaced.
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
    BetaGeoBetaBinomModel,
    BetaGeoModel,
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

RUNNER = r"""
'''One fit of one model by one library, in a fresh process: JSON with CPU time and peak RSS.

argv: lib model data.npz repeat.  lib in crmine | lifetimes | btyd | pymc.
'''
import json, resource, sys, time, warnings

warnings.filterwarnings("ignore")
import logging
logging.disable(logging.WARNING)
import numpy as np
import pandas as pd

lib, model, path, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = dict(np.load(path))


def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime  # pytensor compiles in g++ children


def status_mib(field):
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over fork and exec, so a
    # child would report at least the benchmark's own peak
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) for x in f if x.startswith(field)) / 1024


def gg_mask():
    return (d["x"] > 0) & (d["z"] > 0)


def sbg_customers():
    '''sBG cohort as one row per customer: period of churn, or K + 1 for the still active.'''
    s = d["survivors"]
    k = len(s) - 1
    churned = -np.diff(s).astype(int)
    return np.concatenate([np.repeat(np.arange(1, k + 1), churned), np.full(int(s[-1]), k + 1)]), k


if lib == "crmine":
    import crmine
    from crmine.lifetime import (BetaGeoBetaBinomModel, BetaGeoModel, GammaGammaModel,
                                 ModifiedBetaGeoModel, ParetoNBDModel, ShiftedBetaGeometricModel)
    version = crmine.__version__
    classes = {"BG/NBD": BetaGeoModel, "MBG/NBD": ModifiedBetaGeoModel,
               "Pareto/NBD": ParetoNBDModel}
    if model in classes:
        fit = lambda: classes[model]().fit(d["x"], d["tx"], d["T"])  # noqa: E731
    elif model == "Gamma-Gamma":
        fit = lambda: GammaGammaModel().fit(d["x"][gg_mask()], d["z"][gg_mask()])  # noqa: E731
    elif model == "BG/BB":
        def fit():
            return BetaGeoBetaBinomModel().fit(d["frequency"], d["recency"], d["periods"],
                                               weights=d["weights"])
    else:
        fit = lambda: ShiftedBetaGeometricModel().fit(d["survivors"])  # noqa: E731
    params = lambda m: m.params_.to_dict()  # noqa: E731
elif lib in ("lifetimes", "btyd"):
    peer = __import__(lib)
    version = getattr(peer, "__version__", "?")
    classes = {"BG/NBD": "BetaGeoFitter", "MBG/NBD": "ModifiedBetaGeoFitter",
               "Pareto/NBD": "ParetoNBDFitter", "Gamma-Gamma": "GammaGammaFitter",
               "BG/BB": "BetaGeoBetaBinomFitter"}
    if model not in classes:
        print(json.dumps({"missing": f"no {model} in {lib}"}))
        sys.exit(0)
    cls = getattr(peer, classes[model])
    if model == "Gamma-Gamma":
        args = (d["x"][gg_mask()], d["z"][gg_mask()])
    elif model == "BG/BB":
        args = (d["frequency"], d["recency"], d["periods"], d["weights"])
    else:
        args = (d["x"], d["tx"], d["T"])
    fit = lambda: cls().fit(*args)  # noqa: E731
    params = lambda m: {("gamma" if k == "v" else k): float(v)  # noqa: E731
                        for k, v in m.params_.items()}
else:  # pymc-marketing, MAP with flat priors on the positive half-line
    import pymc_marketing
    import pymc_marketing.clv as clv
    from pymc_extras.prior import Prior
    version = pymc_marketing.__version__
    flat = lambda *names, **kw: {k: Prior("HalfFlat", **kw) for k in names}  # noqa: E731
    if model in ("BG/NBD", "MBG/NBD", "Pareto/NBD"):
        data = pd.DataFrame({"customer_id": np.arange(len(d["x"])), "frequency": d["x"],
                             "recency": d["tx"], "T": d["T"]})
        cls, cfg = {"BG/NBD": (clv.BetaGeoModel, flat("r", "alpha", "a", "b")),
                    "MBG/NBD": (clv.ModifiedBetaGeoModel, flat("r", "alpha", "a", "b")),
                    "Pareto/NBD": (clv.ParetoNBDModel, flat("r", "alpha", "s", "beta"))}[model]
    elif model == "Gamma-Gamma":
        m_ = gg_mask()
        data = pd.DataFrame({"customer_id": np.arange(int(m_.sum())), "frequency": d["x"][m_],
                             "monetary_value": d["z"][m_]})
        cls, cfg = clv.GammaGammaModel, flat("p", "q", "v")
    elif model == "BG/BB":
        # no weights in pymc-marketing: one row per donor
        w = d["weights"].astype(int)
        data = pd.DataFrame({"customer_id": np.arange(int(w.sum())),
                             "frequency": np.repeat(d["frequency"], w),
                             "recency": np.repeat(d["recency"], w),
                             "T": np.repeat(d["periods"], w)})
        cls, cfg = clv.BetaGeoBetaBinomModel, flat("alpha", "beta", "gamma", "delta")
    else:
        rec, k = sbg_customers()
        data = pd.DataFrame({"customer_id": np.arange(len(rec)), "recency": rec, "T": k + 1,
                             "cohort": "c"})
        cls, cfg = clv.ShiftedBetaGeoModel, flat("alpha", "beta", dims="cohort")

    def fit():
        m = cls(data, model_config=cfg)
        m.fit(fit_method="map", progressbar=False)
        return m

    def params(m):
        post = m.fit_result  # fit_summary() rounds to 3 decimals
        out = {k: float(post[k].values.ravel()[0]) for k in cfg}
        return {("gamma" if k == "v" and model == "Gamma-Gamma" else k): v for k, v in out.items()}

base = status_mib("VmRSS")
times = []
for i in range(max(repeat, 1)):
    t = cpu()
    m = fit()
    times.append(cpu() - t)
peak = status_mib("VmHWM")
print(json.dumps({"first": times[0], "best": min(times), "peak": peak, "base": base,
                  "params": params(m), "version": version}))
"""


def _fmt_params(params: dict) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in params.items())


PEERS = ("crmine", "lifetimes", "btyd", "pymc")
LABEL = {"crmine": "crmine", "lifetimes": "lifetimes", "btyd": "btyd", "pymc": "pymc-mkt"}


def _interpreters(args) -> dict:
    """Interpreter per library (None: not available, with the reason in ``notes``)."""
    pythons = {"crmine": sys.executable, "btyd": args.btyd_python, "pymc": args.pymc_python}
    try:
        import lifetimes  # noqa: F401

        pythons["lifetimes"] = sys.executable
    except Exception:  # ImportError, or its breakage on pandas 3 / setuptools
        pythons["lifetimes"] = os.environ.get("LIFETIMES_PYTHON")
    return pythons


def _run_peers(arrays: dict, models: list[str], pythons: dict, repeat: int) -> dict:
    """{model: {lib: result dict or {'error': ...}}}, each fit in a fresh process."""
    out: dict = {m: {} for m in models}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        np.savez(data, **arrays)
        runner = Path(tmp) / "runner.py"
        runner.write_text(RUNNER)
        for model in models:
            for lib in PEERS:
                python = pythons.get(lib)
                if not python:
                    continue
                proc = subprocess.run(
                    [python, str(runner), lib, model, str(data), str(repeat)],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "OMP_NUM_THREADS": "1"},
                )
                if proc.returncode != 0:
                    tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
                    out[model][lib] = {"error": tail[0][:120]}
                    continue
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                if "missing" not in res:
                    out[model][lib] = res
    return out


def _print_table(title: str, results: dict, loglik, published: dict) -> None:
    """One table: per model, one row per library, then the published values."""
    print(f"\n=== {title} ===")
    header = (
        f"{'model':<12} {'lib':<10} {'1st s':>7} {'best s':>8} {'peak MiB':>9} {'+MiB':>6} "
        f"{'log-lik':>12} {'max rel':>8}  parameters"
    )
    print(header)
    print("-" * (len(header) + 40))
    for model, by_lib in results.items():
        ref = by_lib.get("crmine", {}).get("params")
        first = True
        for lib in PEERS:
            if lib not in by_lib:
                continue
            r = by_lib[lib]
            name = model if first else ""
            first = False
            if "error" in r:
                print(f"{name:<12} {LABEL[lib]:<10} failed: {r['error']}")
                continue
            params = r["params"]
            ll = loglik(model, params)
            rel = (
                max(abs(params[k] / ref[k] - 1.0) for k in ref)
                if ref and set(ref) == set(params)
                else float("nan")
            )
            print(
                f"{name:<12} {LABEL[lib]:<10} {r['first']:>7.3f} {r['best']:>8.3f} "
                f"{r['peak']:>9.0f} {r['peak'] - r['base']:>6.0f} {ll:>12.3f} {rel:>8.1e}  "
                f"{_fmt_params(params)}"
            )
        if model in published:
            print(f"{'':<12} {'published':<10} {'':>52}  {published[model]}")
    versions = {
        LABEL[lib]: r["version"] for m in results.values() for lib, r in m.items() if "version" in r
    }
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))


def _btyd_loglik(table):
    """crmine's log-likelihood of the CDNOW table at any library's estimates."""
    from crmine.lifetime._gamma_gamma import _gg_loglik

    classes = {
        "BG/NBD": BetaGeoModel,
        "MBG/NBD": ModifiedBetaGeoModel,
        "Pareto/NBD": ParetoNBDModel,
    }
    spenders = _positive_spend(table)
    spenders = spenders[spenders["repeat_frequency"] > 0]

    def loglik(model: str, params: dict) -> float:
        if model == "Gamma-Gamma":
            prm = np.array([params["p"], params["q"], params["gamma"]])
            x = spenders["repeat_frequency"].to_numpy(float)
            z = spenders["btyd_monetary_mean"].to_numpy(float)
            return float(np.sum(_gg_loglik(prm, x, z)))
        m = classes[model]()
        m.params_ = pd.Series(params)[list(m._param_names)]
        return float(np.sum(m.score_samples(table)))

    return loglik


def _cdnow_arrays(table) -> dict:
    x = table["repeat_frequency"].to_numpy(float)
    z = np.nan_to_num(table["btyd_monetary_mean"].to_numpy(float))
    return {
        "x": x,
        "tx": table["btyd_recency"].to_numpy(float),
        "T": table["btyd_T"].to_numpy(float),
        # the same customers as crmine's Gamma-Gamma fit (repeat buyers with positive spend)
        "z": np.where((x > 0) & (z <= 0), np.nan, z),
    }


def _positive_spend(table):
    """Gamma-Gamma needs positive spend: drop repeat buyers whose repeat purchases cost $0."""
    bad = (table["repeat_frequency"] > 0) & ~(table["btyd_monetary_mean"] > 0)
    return table.loc[~bad]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best of)")
    parser.add_argument("--pymc-python", help="interpreter of a venv with pymc-marketing")
    parser.add_argument("--btyd-python", help="interpreter of a venv with btyd")
    parser.add_argument("--skip-master", action="store_true", help="CDNOW sample only")
    parser.add_argument(
        "--sbg-coverage",
        type=int,
        metavar="N",
        help="only measure the coverage of the sBG 95%% intervals over N simulated cohorts",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # boundary fits are expected in the simulated cohorts
    if args.sbg_coverage:
        _sbg_coverage(args.sbg_coverage)
        return
    if not DATA.is_dir():
        sys.exit(f"CDNOW data not found at {DATA}")
    pythons = _interpreters(args)
    missing = [LABEL[k] for k in PEERS if not pythons.get(k)]
    if missing:
        print(f"not run (no interpreter given or importable): {', '.join(missing)}")
    kinds = [("sample", "CDNOW_sample.txt")] + ([] if args.skip_master else [
        ("master", "CDNOW_master.txt")
    ])
    for kind, fname in kinds:
        log = load_cdnow(DATA / fname, kind=kind)
        t = time.process_time()
        table = calibration_holdout_split(log, "1997-09-30", "1998-06-30", time_unit="W")
        t_split = time.process_time() - t
        n_zero = int(((table["repeat_frequency"] > 0) & ~(table["btyd_monetary_mean"] > 0)).sum())
        results = _run_peers(
            _cdnow_arrays(table), ["BG/NBD", "MBG/NBD", "Pareto/NBD", "Gamma-Gamma"], pythons,
            args.repeat,
        )
        _print_table(
            f"CDNOW {kind}: {len(table):,} customers, {len(log):,} log rows "
            f"(calibration_holdout_split {t_split:.2f} s CPU; Gamma-Gamma without {n_zero} "
            "repeat buyer(s) of $0 mean spend)",
            results,
            _btyd_loglik(table),
            PUBLISHED if kind == "sample" else {},
        )
        for name, cls in (("BG/NBD", BetaGeoModel), ("Pareto/NBD", ParetoNBDModel)):
            model = cls().fit(table)
            rep = holdout_report(model, table)
            print(
                f"holdout {name}: actual {rep['actual_total']:.0f}, predicted "
                f"{rep['predicted_total']:.0f} ({rep['total_error_pct']:+.1f} %), "
                f"RMSE {rep['rmse']:.3f}, corr {rep['correlation']:.3f}, MAE {rep['mae']:.3f} "
                f"(zero forecast MAE {rep['mae_zero_forecast']:.3f})"
            )
            if kind == "master" and name == "BG/NBD":
                _holdout_timing(model, table)
    _discrete_models(pythons, args.repeat)


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


def _discrete_models(pythons: dict, repeat: int) -> None:
    path = SHARED / "donations_bgbb" / "donations.csv"
    if path.exists():
        d = pd.read_csv(path)
        arrays = {
            k: d[k].to_numpy(float) for k in ("frequency", "recency", "periods", "weights")
        }

        def loglik(model: str, params: dict) -> float:
            m = BetaGeoBetaBinomModel()
            m.params_ = pd.Series(params)[list(m._param_names)]
            ll = m.score_samples(arrays["frequency"], arrays["recency"], arrays["periods"])
            return float(np.dot(arrays["weights"], ll))

        _print_table(
            f"BG/BB: donations (Fader, Hardie & Shang 2010), {int(d['weights'].sum()):,} donors",
            _run_peers(arrays, ["BG/BB"], pythons, repeat),
            loglik,
            {"BG/BB": "alpha=1.204 beta=0.750 gamma=0.657 delta=2.783 LL=-33225.58"},
        )
    else:
        print(f"\n(donations data not found at {path}: BG/BB skipped)")
    for name, surv, pub in [
        ("regular", [1000, 631, 468, 382, 326, 289, 262, 241], "alpha=0.704 beta=1.182"),
        ("high end", [1000, 869, 743, 653, 593, 551, 517, 491], "alpha=0.668 beta=3.806"),
    ]:
        s = np.asarray(surv, dtype=float)
        churned, active = -np.diff(s), np.zeros(len(s) - 1)
        active[-1] = s[-1]

        def loglik(model: str, params: dict, churned=churned, active=active) -> float:
            prm = np.array([params["alpha"], params["beta"]])
            return ShiftedBetaGeometricModel._loglik(prm, churned, active)

        _print_table(
            f"sBG: Fader & Hardie (2007) {name} cohort, years 0-7 (no sBG in lifetimes/btyd)",
            _run_peers({"survivors": s}, ["sBG"], pythons, repeat),
            loglik,
            {"sBG": pub},
        )


def _sbg_coverage(reps: int) -> None:
    """Coverage of the sBG 95 % intervals (Wald natural/log scale, profile) by simulation."""
    from crmine.lifetime import simulate_sbg

    cases = [(0.2, 5.0, 500, 5), (0.3, 3.0, 1000, 7), (0.5, 1.0, 200, 7), (0.34, 3.5, 20000, 10),
             (0.7, 1.2, 1000, 7)]
    print(f"sBG 95 % interval coverage, {reps} simulated cohorts per row (seeds 0..{reps - 1}); "
          f"binomial s.e. of a coverage of 0.95: {np.sqrt(0.95 * 0.05 / reps):.4f}")
    print(f"{'alpha':>5} {'beta':>5} {'cohort':>6} {'periods':>7}  {'Wald natural':>13} "
          f"{'Wald log':>13} {'profile':>13}  profile upper bound = inf")
    for alpha, beta, n, k in cases:
        truth = np.array([alpha, beta])
        hit = {"natural": np.zeros(2), "log": np.zeros(2), "profile": np.zeros(2)}
        unbounded = np.zeros(2)
        for seed in range(reps):
            m = ShiftedBetaGeometricModel().fit(
                simulate_sbg(n, alpha, beta, n_periods=k, random_state=seed)
            )
            w = m.summary(interval="wald").table
            p = m.summary(interval="profile").table
            est, se = w["estimate"].to_numpy(), w["std_error"].to_numpy()
            hit["natural"] += np.abs(est - truth) <= 1.959964 * se
            hit["log"] += (w["lower_95"].to_numpy() <= truth) & (truth <= w["upper_95"].to_numpy())
            hit["profile"] += (p["lower_95"].to_numpy() <= truth) & (
                truth <= p["upper_95"].to_numpy()
            )
            unbounded += ~np.isfinite(p["upper_95"].to_numpy())
        cells = "".join(
            f" {v[0] / reps:>6.3f}/{v[1] / reps:<6.3f}" for v in hit.values()
        )
        print(f"{alpha:>5} {beta:>5} {n:>6} {k:>7} {cells}  {unbounded.astype(int).tolist()}")
    print("(each cell: coverage of alpha / of beta; nominal 0.95)")


if __name__ == "__main__":
    main()
