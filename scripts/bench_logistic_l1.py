"""scikit-learn's side of the L1 / elastic-net LogisticRegression benchmark on the kit's
clf-200k-50 (used as the kit uses it: raw features, no standardization).

  flock /tmp/bench.lock target/bench-venv/bin/python scripts/bench_logistic_l1.py \
      --solver saga --C 1.0 [--l1-ratio 1.0] [--reps 3] [--tol 1e-4] [--max-iter 1000]
  target/bench-venv/bin/python scripts/bench_logistic_l1.py --export   # raw f64 X / y for Rust

Prints one JSON line per run: wall times of fit (all reps, median), process CPU time of the fits,
n_iter_, the number of zero coefficients, and the objective
F = 1/n Σ log-loss + 1/(C n) (r ‖w‖₁ + (1 - r)/2 ‖w‖²) of the fitted model (intercept
unpenalised: scikit-learn's objective for saga; liblinear minimises a different one, with the
intercept penalised through intercept_scaling=1, so its F here is not its own optimum).
Threads: --threads (default 2) via threadpoolctl; saga and liblinear are single-threaded anyway.
--export writes target/bench-data/clf-200k-50.x.f64 / .y.f64 (little-endian, row-major) for
algorithms/examples/logistic_l1.rs.
"""
import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np

DATA = "target/bench-data/clf-200k-50"


def load():
    meta = json.load(open(DATA + ".json"))
    try:
        import polars as pl

        df = pl.read_parquet(DATA + ".parquet")
        x = np.ascontiguousarray(df.select(meta["features"]).to_numpy().astype(np.float64))
        y = df[meta["target"]].to_numpy().astype(np.int64)
    except ImportError:
        import pandas as pd

        df = pd.read_parquet(DATA + ".parquet")
        x = np.ascontiguousarray(df[meta["features"]].to_numpy(dtype=np.float64))
        y = df[meta["target"]].to_numpy().astype(np.int64)
    return x, y


def objective(x, y, coef, intercept, c, r):
    z = x @ coef.ravel() + intercept[0]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    w = coef.ravel()
    return loss + (r * np.abs(w).sum() + 0.5 * (1 - r) * w @ w) / (c * len(y))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--solver", default="saga", choices=["saga", "liblinear"])
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--l1-ratio", type=float, default=1.0)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export", action="store_true")
    a = ap.parse_args()
    x, y = load()
    if a.export:
        x.astype("<f8").tofile(DATA + ".x.f64")
        y.astype("<f8").tofile(DATA + ".y.f64")
        print(f"wrote {DATA}.x.f64 / .y.f64: {x.shape}")
        return
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits
    import sklearn

    warnings.filterwarnings("ignore")
    times, cpus = [], []
    with threadpool_limits(a.threads):
        for _ in range(a.reps):
            if a.solver == "liblinear":
                # liblinear takes the deprecated spelling only for L1 (l1_ratio=1 is accepted too
                # in 1.8+, but penalty= keeps it explicit); elastic net is not available there.
                m = LogisticRegression(solver="liblinear", l1_ratio=a.l1_ratio, C=a.C, tol=a.tol, max_iter=a.max_iter)
            else:
                m = LogisticRegression(solver="saga", l1_ratio=a.l1_ratio, C=a.C, tol=a.tol, max_iter=a.max_iter)
            t0, c0 = time.perf_counter(), time.process_time()
            m.fit(x, y)
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    print(json.dumps({
        "suite": "sklearn", "solver": a.solver, "C": a.C, "l1_ratio": a.l1_ratio, "tol": a.tol,
        "threads": a.threads, "fit_s": statistics.median(times), "fit_all_s": times,
        "fit_cpu_s": statistics.median(cpus), "n_iter": int(np.max(m.n_iter_)),
        "zeros": int((m.coef_ == 0).sum()), "objective": objective(x, y, m.coef_, m.intercept_, a.C, a.l1_ratio),
        "train_accuracy": float(m.score(x, y)), "loadavg": os.getloadavg(), "sklearn": sklearn.__version__,
    }))


if __name__ == "__main__":
    main()
