"""scikit-learn side of oxlearn-bench cases that the shared kit (../shared/bench) does not list.

Runs one case in this process as the kit's worker would, printing the kit's JSON row:

    target/bench-venv/bin/python scripts/sklearn_extra_cases.py --worker 'StandardScaler(nan-1m-20)' \
        --data target/bench-data --threads 2 --reps 5

Cases: StandardScaler(nan-1m-20) (issue 4's StandardScaler size, 1M x 20; the 10% NaN are ignored
in fit and kept in transform by both sides); StandardScaler(copy=False) (the same data, transformed
in place: each repetition transforms a fresh copy of X, the copy untimed); KMeans(elkan) (the
kit's KMeans case with algorithm="elkan").
"""

import os
import sys
from pathlib import Path

KIT = Path(os.environ.get("KIT", Path(__file__).resolve().parents[2] / "shared" / "bench"))


def main():
    threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "2"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads  # before numpy is imported
    sys.path.insert(0, str(KIT))
    import sklearn_bench as sb

    def standard_scaler_1m(D, threads):
        from sklearn.preprocessing import StandardScaler

        return sb.transformer(StandardScaler(), "nan-1m-20", D)

    sb.CASES["StandardScaler(nan-1m-20)"] = standard_scaler_1m

    def kmeans_elkan(D, threads):
        # The kit's KMeans case (clf-200k-50, n_clusters=8, n_init=1, random_state=0) with
        # algorithm="elkan".
        c = sb.c_kmeans(D, threads)
        c.est.set_params(algorithm="elkan")
        return c

    sb.CASES["KMeans(elkan)"] = kmeans_elkan

    def standard_scaler_inplace(D, threads):
        from sklearn.preprocessing import StandardScaler

        return sb.transformer(StandardScaler(copy=False), "nan-1m-20", D)

    sb.CASES["StandardScaler(copy=False)"] = standard_scaler_inplace
    plain_timing = sb.time_estimator

    def time_in_place(c, reps):
        """copy=False: each repetition transforms a fresh copy of X in place (the copy untimed)."""
        if getattr(c.est, "copy", True):
            return plain_timing(c, reps)
        import gc
        import time

        import numpy as np
        from sklearn.base import clone

        fit_t, fit_c, pred_t, pred_c, score, info = [], [], [], [], None, {}
        for r in range(reps):
            est = clone(c.est)
            gc.collect()
            t, cpu = time.perf_counter(), time.process_time()
            est.fit(c.X)
            fit_t.append(time.perf_counter() - t)
            fit_c.append(time.process_time() - cpu)
            x = np.array(c.X, dtype=np.float64, order="C", copy=True)
            t, cpu = time.perf_counter(), time.process_time()
            out = est.transform(x)
            pred_t.append(time.perf_counter() - t)
            pred_c.append(time.process_time() - cpu)
            assert out is x or np.shares_memory(out, x), "transform copied"
            if r == 0:
                score, info = c.score(est, out, c), c.extra(est, out)
            del est, out, x
        return fit_t, fit_c, pred_t, pred_c, score, info

    sb.time_estimator = time_in_place
    if "--worker" not in sys.argv:
        sys.exit("run one case with --worker NAME (see the docstring)")
    sb.main()


if __name__ == "__main__":
    main()
