"""Golden values for LogisticRegression with l1_ratio > 0 (L1 / elastic net), scikit-learn 1.9.

Writes algorithms/tests/data/logistic_l1_golden.json: for each case, the dataset (standardized
with StandardScaler on all rows, as the Rust test does), C, l1_ratio, whether sample weights
w_i = 0.5 + 0.5 * (i % 4) are used, and scikit-learn's coef_ / intercept_ from solver="saga" at
tol=1e-12 (max_iter large; n_iter_ recorded so a non-converged reference is visible), and the
objective 1/S Σ w_i loss_i + 1/(C S) (r ‖W‖₁ + (1 - r)/2 ‖W‖²) (S = Σ w_i) at that solution.
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
    # Exactly collinear columns (a column appended that is the sum of the first two standardized
    # ones), as make_classification's redundant features: the L1 term alone decides along the
    # null space of X.
    ("breast_cancer+redundant", 1.0, 1.0, False),
]


def load(name):
    base = name.removesuffix("+redundant")
    df = pd.read_csv(f"datasets/data/{base}.csv")
    x = df.iloc[:, :-1].to_numpy(dtype=float)
    y = df.iloc[:, -1].to_numpy().astype(int)
    x = StandardScaler().fit_transform(x)
    if name.endswith("+redundant"):
        x = np.column_stack([x, x[:, 0] + x[:, 1]])
    return x, y


def w_or_1(w, n):
    return np.ones(n) if w is None else w


out = {"sklearn": sklearn.__version__, "cases": []}
for name, c, r, weighted in CASES:
    x, y = load(name)
    w = 0.5 + 0.5 * (np.arange(len(y)) % 4) if weighted else None
    m = LogisticRegression(C=c, l1_ratio=r, solver="saga", tol=1e-12, max_iter=2_000_000, random_state=0)
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
    z = x @ m.coef_.T + m.intercept_
    if z.shape[1] == 1:
        loss = np.mean(w_or_1(w, len(y)) * (np.logaddexp(0, z[:, 0]) - y * z[:, 0])) / np.mean(w_or_1(w, len(y)))
    else:
        lse = np.logaddexp.reduce(z, axis=1)
        loss = np.sum(w_or_1(w, len(y)) * (lse - z[np.arange(len(y)), y])) / np.sum(w_or_1(w, len(y)))
    coef = m.coef_.ravel()
    s_w = np.sum(w_or_1(w, len(y)))
    out["cases"][-1]["objective"] = float(loss + (r * np.abs(coef).sum() + 0.5 * (1 - r) * coef @ coef) / (c * s_w))
    print(name, c, r, weighted, "objective", out["cases"][-1]["objective"], "n_iter", int(np.max(m.n_iter_)), "zeros", int((m.coef_ == 0).sum()), "of", m.coef_.size)

with open("algorithms/tests/data/logistic_l1_golden.json", "w") as f:
    json.dump(out, f, indent=1)
