"""Churn benchmark: crmine.ChurnClassifier against plain scikit-learn pipelines.

Prints side-by-side tables (no timed assertions):

1. Telco churn (IBM sample, ../shared/datasets/telco_churn): 5-fold stratified
   CV, mean ROC AUC / PR AUC / top-decile lift / Brier and seconds per fold,
   for the crmine models and a hand-built scikit-learn pipeline.
2. Online Retail (UCI, ../shared/datasets/online_retail): churn labels at the
   cutoff 2011-09-01 with a 90-day horizon; 5-fold CV at that cutoff and an
   out-of-time run (train at 2011-06-01, test at 2011-09-01).
3. make_retail: out-of-fold churn scores at day 365 against the planted
   dropouts (true_dropout_time < cutoff).
4. crmine.evaluation speed on 1,000,000 scores vs scikit-learn metrics.

0. Issue 16.1: ``ChurnClassifier()`` on the *raw* Telco frame (``pd.read_csv``:
   ``TotalCharges`` is text with blanks, ``customerID`` an identifier) beside
   scikit-learn's plain pipeline, per fold: CPU seconds, peak traced memory,
   ROC AUC; importances on request, and the linear decision-delta shortcut
   against the predict_proba path on the same permutations.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_churn.py``  (about a minute;
``--quick`` skips Online Retail, ``--raw`` runs section 0 only).
"""

from __future__ import annotations

import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from crmine.churn import ChurnClassifier, churn_labels
from crmine.evaluation import churn_report, gains_table, ks_statistic, top_decile_lift

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def _sklearn_baseline(X: pd.DataFrame):
    num = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    cat = [c for c in X.columns if c not in num]
    return make_pipeline(
        ColumnTransformer(
            [
                ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
                ("cat", OneHotEncoder(handle_unknown="ignore"), cat),
            ]
        ),
        LogisticRegression(max_iter=1000),
    )


def _cv(make, X, y, n_splits=5) -> dict:
    reports, wall, cpu = [], [], []
    for tr, te in StratifiedKFold(n_splits, shuffle=True, random_state=0).split(X, y):
        t0, c0 = time.perf_counter(), time.process_time()
        est = make(X.iloc[tr]).fit(X.iloc[tr], y[tr])
        p = est.predict_proba(X.iloc[te])[:, 1]
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        reports.append(churn_report(y[te], p))
    out = pd.DataFrame(reports).mean()[["roc_auc", "pr_auc", "top_decile_lift", "brier", "ks"]]
    out["s/fold wall"] = np.mean(wall)
    out["s/fold cpu"] = np.mean(cpu)
    return out.to_dict()


def _models():
    return {
        "crmine default (logistic)": lambda X: ChurnClassifier(random_state=0),
        "crmine gradient_boosting": lambda X: ChurnClassifier(
            model="gradient_boosting", random_state=0
        ),
        "crmine random_forest": lambda X: ChurnClassifier(model="random_forest", random_state=0),
        "crmine logistic balanced": lambda X: ChurnClassifier(
            class_weight="balanced", random_state=0
        ),
        "sklearn pipeline (impute+scale+OHE, LR)": _sklearn_baseline,
    }


def _measure(fn):
    """Run ``fn`` once: (result, CPU seconds, peak traced memory in MB)."""
    tracemalloc.start()
    c0 = time.process_time()
    out = fn()
    cpu = time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, cpu, peak


def bench_telco_raw() -> None:
    """Issue 16.1: ChurnClassifier() on the raw Telco frame beside sklearn's plain pipeline."""
    path = DATA / "telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    if not path.exists():
        print("telco_churn not present: skipped")
        return
    raw = pd.read_csv(path)  # TotalCharges is text with 11 blanks, customerID an identifier
    y = (raw["Churn"] == "Yes").to_numpy().astype(int)
    X = raw.drop(columns=["Churn"])
    rows = []
    folds = StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)
    for k, (tr, te) in enumerate(folds):
        Xtr, Xte = X.iloc[tr], X.iloc[te]

        def sk(Xtr=Xtr, Xte=Xte, tr=tr):
            est = _sklearn_baseline(Xtr).fit(Xtr, y[tr])
            return est.predict_proba(Xte)[:, 1]

        def cr(Xtr=Xtr, Xte=Xte, tr=tr):
            est = ChurnClassifier(random_state=0).fit(Xtr, y[tr])
            return est, est.predict_proba(Xte)[:, 1]

        p_sk, cpu_sk, mem_sk = _measure(sk)
        (est, p_cr), cpu_cr, mem_cr = _measure(cr)
        imp, cpu_imp, mem_imp = _measure(
            lambda est=est, te=te: est.permutation_importance(X.iloc[te], y[te], random_state=0)
        )
        rows.append(
            {
                "fold": k,
                "sklearn CPU s": cpu_sk,
                "crmine CPU s": cpu_cr,
                "ratio": cpu_cr / cpu_sk,
                "sklearn peak MB": mem_sk,
                "crmine peak MB": mem_cr,
                "sklearn AUC": roc_auc_score(y[te], p_sk),
                "crmine AUC": roc_auc_score(y[te], p_cr),
                "importances CPU s (on request)": cpu_imp,
                "importances peak MB": mem_imp,
                "top feature": imp.table.index[0],
            }
        )
    table = pd.DataFrame(rows).set_index("fold")
    print(f"\n## Raw Telco frame (pd.read_csv, {len(X)} customers): per fold, fit + predict")
    print("target: crmine CPU within 2x of the sklearn pipeline (importances only when asked)")
    print(table.round(3).to_string())
    print("mean:", table.drop(columns="top feature").mean().round(3).to_dict())

    # exactness of the linear shortcut: same permutations through predict_proba
    from crmine.churn._importance import permutation_drops

    tr, te = next(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    est = ChurnClassifier(random_state=0).fit(X.iloc[tr], y[tr])
    Z = est._transform(X.iloc[te])
    blocks = est._blocks(est.preprocessor_)
    (base_l, d_l), cpu_l, _ = _measure(
        lambda: permutation_drops(est.estimator_, Z, y[te], blocks, 1, 5, 0)
    )

    class _Generic:  # hides coef_ so that the generic (predict_proba) path runs
        def __init__(self, inner):
            self.inner = inner

        def predict_proba(self, A):
            return self.inner.predict_proba(A)

    (base_g, d_g), cpu_g, _ = _measure(
        lambda: permutation_drops(_Generic(est.estimator_), Z, y[te], blocks, 1, 5, 0)
    )
    print(
        f"linear decision-delta importances: {cpu_l:.3f} s CPU; one-buffer predict_proba "
        f"path: {cpu_g:.3f} s; max |difference| {np.max(np.abs(d_l - d_g)):.2e}, "
        f"baseline AUC {base_l:.4f} vs {base_g:.4f}"
    )


def bench_telco() -> None:
    from crmine.datasets import load_telco_churn

    path = DATA / "telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    if not path.exists():
        print("telco_churn not present: skipped")
        return
    df = load_telco_churn(path)
    y = df["churn"].to_numpy()
    X = df.drop(columns=["churn"])
    rows = {name: _cv(make, X, y) for name, make in _models().items()}
    print(f"\n## Telco churn (loader): 5-fold CV, {len(X)} customers, churn rate {y.mean():.3f}")
    print("targets: ROC AUC >= 0.84, PR AUC >= 0.64, top-decile lift >= 2.75, < 1 s per fold")
    print(pd.DataFrame(rows).T.round(3).to_string())


def bench_online_retail() -> None:
    from crmine.datasets import load_online_retail
    from crmine.schema import clean_transactions

    path = DATA / "online_retail" / "online_retail.parquet"
    if not path.exists():
        print("online_retail not present: skipped")
        return
    log, _ = clean_transactions(load_online_retail(path))
    X, y, _ = churn_labels(log, "2011-09-01", 90)
    Xtr, ytr, _ = churn_labels(log, "2011-06-01", 90)
    print(
        f"\n## Online Retail: cutoff 2011-09-01, 90-day horizon: {len(X)} customers, "
        f"churn rate {y.mean():.3f} (cleaned with clean_transactions defaults)"
    )
    rows = {}
    for name, make in list(_models().items())[:4]:
        cv = _cv(make, X, y.to_numpy())
        est = make(Xtr).fit(Xtr, ytr)
        p = est.predict_proba(X[Xtr.columns])[:, 1]
        rep = churn_report(y, p)
        cv["out-of-time ROC AUC"] = rep["roc_auc"]
        cv["out-of-time PR AUC"] = rep["pr_auc"]
        cv["out-of-time lift@10%"] = rep["top_decile_lift"]
        rows[name] = cv
    print(pd.DataFrame(rows).T.round(3).to_string())


def bench_make_retail() -> None:
    from crmine.datasets import make_retail

    rows = {}
    for seed in (0, 1, 2):
        retail = make_retail(2000, random_state=seed)
        cut = retail.start + pd.Timedelta(days=365)
        X, y, _ = churn_labels(retail.transactions, cut, horizon=180)
        p = cross_val_predict(
            ChurnClassifier(random_state=0, importance_holdout=None),
            X,
            y,
            cv=StratifiedKFold(5, shuffle=True, random_state=0),
            method="predict_proba",
        )[:, 1]
        truth = (retail.customers.loc[X.index, "true_dropout_time"] < cut).to_numpy()
        rows[f"seed {seed}"] = {
            "customers": len(X),
            "observed churn rate": y.mean(),
            "planted dropout rate": truth.mean(),
            "AUC vs planted dropout": roc_auc_score(truth, p),
            "AUC of recency alone": roc_auc_score(truth, X["recency_days"]),
        }
    print("\n## make_retail (2000 customers): out-of-fold scores at day 365 vs planted dropouts")
    print("target: AUC >= 0.8")
    print(pd.DataFrame(rows).T.round(3).to_string())


def bench_metrics() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    y = rng.integers(0, 2, n)
    s = rng.random(n) + 0.3 * y
    rows = {}
    for name, fn in {
        "crmine gains_table (10 bins)": lambda: gains_table(y, s),
        "crmine top_decile_lift": lambda: top_decile_lift(y, s),
        "crmine ks_statistic": lambda: ks_statistic(y, s),
        "crmine churn_report": lambda: churn_report(y, np.clip(s, 0, 1)),
        "sklearn roc_auc_score": lambda: roc_auc_score(y, s),
        "sklearn average_precision_score": lambda: average_precision_score(y, s),
    }.items():
        t0 = time.perf_counter()
        fn()
        rows[name] = {"seconds": time.perf_counter() - t0}
    print(f"\n## evaluation speed on {n:,} scores")
    print(pd.DataFrame(rows).T.round(3).to_string())


def main() -> None:
    warnings.simplefilter("ignore")
    with threadpool_limits(1):  # fair and stable timings on a shared machine
        bench_telco_raw()
        if "--raw" in sys.argv:
            return
        bench_telco()
        if "--quick" not in sys.argv:
            bench_online_retail()
        bench_make_retail()
        bench_metrics()


if __name__ == "__main__":
    main()
