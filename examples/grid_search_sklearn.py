"""scikit-learn side of `cargo run --release --example grid_search -- --bench [rows] [parquet]`:
the same grids, the same folds (StratifiedKFold(3), unshuffled) and the same data slice,
GridSearchCV(n_jobs=-1) limited to 2 cores. Prints `../shared/bench` JSON lines on stdout (the
same keys, `case` and `data` as the Rust side, so `compare.py` joins them) and readable lines on
stderr.

Run: OMP_NUM_THREADS=2 taskset -c 0,1 target/bench-venv/bin/python examples/grid_search_sklearn.py [rows] [parquet]
"""
import json
import os
import sys
import time
from pathlib import Path

import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold


def peak_rss_mb():
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def line(case, data, fit_s, score, extra):
    print(json.dumps({
        "suite": "sklearn", "case": case, "data": data, "threads": 2, "fit_s": fit_s, "predict_s": None,
        "score": score, "metric": "cv_accuracy" if score is not None else None, "reps": 1,
        "peak_rss_mb": peak_rss_mb(), "extra": extra,
    }), flush=True)


rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
path = sys.argv[2] if len(sys.argv) > 2 else "target/bench-data/clf-200k-50.parquet"
data = f"{Path(path).stem}[:{rows}]"
try:  # polars where installed (the bench venv), else pandas with pyarrow
    import polars as pl

    df = pl.read_parquet(path).head(rows)
    X, y = df.drop("target").to_numpy(), df["target"].to_numpy()
except ImportError:
    import pandas as pd

    df = pd.read_parquet(path).head(rows)
    X, y = df.drop(columns="target").to_numpy(), df["target"].to_numpy()
print(f"data {path}[:{rows}]: {X.shape}", file=sys.stderr)
print(json.dumps({
    "suite": "sklearn", "case": "env", "data": None, "threads": 2, "fit_s": None, "predict_s": None,
    "score": None, "metric": None, "reps": 1, "peak_rss_mb": None,
    "extra": {"packages": {"scikit-learn": sklearn.__version__}, "loadavg": list(os.getloadavg())},
}), flush=True)
cv = StratifiedKFold(3)
grids = [
    ("GridSearchCV-RandomForest", RandomForestClassifier(n_estimators=50, random_state=0),
     {"max_depth": [8, None], "min_samples_leaf": [1, 5]}),
    ("GridSearchCV-LogisticRegression", LogisticRegression(max_iter=1000), {"C": [0.01, 0.1, 1.0, 10.0]}),
]
for case, est, grid in grids:
    t = time.perf_counter()
    r = GridSearchCV(est, grid, cv=cv, n_jobs=-1).fit(X, y)
    seconds = time.perf_counter() - t
    n_cand = len(r.cv_results_["params"])
    print(f"{case} ({n_cand} candidates x 3 folds): {seconds:.2f}s best {r.best_params_} {r.best_score_:.4f}",
          file=sys.stderr)
    line(case, data, seconds, float(r.best_score_), {
        "n_rows": int(X.shape[0]), "candidates": n_cand, "folds": 3,
        "best_params": {k: (v.item() if hasattr(v, "item") else v) for k, v in r.best_params_.items()},
        "mean_test_scores": [float(v) for v in r.cv_results_["mean_test_score"]],
    })
