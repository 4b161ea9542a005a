"""Golden values for LogisticRegression with l1_ratio > 0 (L1 / elastic net), scikit-learn 1.9.

Writes algorithms/tests/data/logistic_l1_golden.json: for each case, the dataset (standardized
with StandardScaler on all rows, as the Rust test does), C, l1_ratio, whether sample weights
w_i = 0.5 + 0.5 * (i % 4) are used, and scikit-learn's coef_ / intercept_ from solver="saga" at
tol=1e-12 (max_iter large; n_iter_ recorded so a non-converged reference is visible).
Run from the repository root: python3 scripts/golden_logistic_l1.py
"""
import json
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")

CASES = [
    ("breast_cancer", 0.1, 1.0, False),
    ("breast_cancer", 1.0, 1.0, False),
    ("breast_cancer", 1.0, 0.5, False),
    ("breast_cancer", 0.5, 1.0, True),
    ("wine", 0.5, 1.0, False),
    ("wine", 0.1, 0.5, False),
    ("wine", 0.5, 1.0, True),
    ("iris", 1.0, 1.0, False),
]


def load(name):
    df = pd.read_csv(f"datasets/data/{name}.csv")
    x = df.iloc[:, :-1].to_numpy(dtype=float)
    y = df.iloc[:, -1].to_numpy().astype(int)
    return StandardScaler().fit_transform(x), y


out = {"sklearn": sklearn.__version__, "cases": []}
for name, c, r, weighted in CASES:
    x, y = load(name)
    w = 0.5 + 0.5 * (np.arange(len(y)) % 4) if weighted else None
    m = LogisticRegression(C=c, l1_ratio=r, solver="saga", tol=1e-12, max_iter=2_000_000)
    m.fit(x, y, sample_weight=w)
    out["cases"].append(
        {
            "dataset": name,
            "C": c,
            "l1_ratio": r,
            "weighted": weighted,
            "n_iter": int(np.max(m.n_iter_)),
            "coef": m.coef_.tolist(),
            "intercept": m.intercept_.tolist(),
        }
    )
    print(name, c, r, weighted, "n_iter", int(np.max(m.n_iter_)), "zeros", int((m.coef_ == 0).sum()), "of", m.coef_.size)

with open("algorithms/tests/data/logistic_l1_golden.json", "w") as f:
    json.dump(out, f, indent=1)
