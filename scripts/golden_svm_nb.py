"""Golden files for oxlearn's SVM and naive Bayes tests (scikit-learn 1.9.1).

Writes, under algorithms/tests/it/data/:
  svm_nb_oof.csv   per-row out-of-fold predictions on the fixed 5-fold splits of iris, wine,
                   breast_cancer, digits, every model behind a StandardScaler fitted on the
                   training folds: GaussianNB(), SVC(kernel='rbf', C=1, gamma='scale')
  svm_exact.json   fitted attributes of small problems on standardized data, for exact
                   comparison: SVC rbf on iris (3 classes) and breast_cancer (2 classes), SVR
                   rbf on diabetes (first 200 rows, standardized X and y)

Run from the repository root: python3 scripts/golden_svm_nb.py
"""
import json
import os

import numpy as np
import pandas as pd
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

DATA = "datasets/data"
FOLDS = "algorithms/tests/it/data"
OUT = "algorithms/tests/it/data"


def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    x = df.drop(columns=["target"]).to_numpy(dtype=float)
    y = df["target"].to_numpy()
    folds = pd.read_csv(os.path.join(FOLDS, f"{name}.folds.csv"))["fold"].to_numpy()
    return x, y, folds


rows = []
for name in ["iris", "wine", "breast_cancer", "digits"]:
    x, y, folds = load(name)
    gnb = np.zeros(len(y), dtype=int)
    svc = np.zeros(len(y), dtype=int)
    for k in range(5):
        tr, te = folds != k, folds == k
        sc = StandardScaler().fit(x[tr])
        xtr, xte = sc.transform(x[tr]), sc.transform(x[te])
        gnb[te] = GaussianNB().fit(xtr, y[tr]).predict(xte)
        svc[te] = SVC().fit(xtr, y[tr]).predict(xte)
    for i in range(len(y)):
        rows.append((name, i, int(gnb[i]), int(svc[i])))
pd.DataFrame(rows, columns=["dataset", "row", "gnb", "svc"]).to_csv(os.path.join(OUT, "svm_nb_oof.csv"), index=False)

exact = {}
for name in ["iris", "breast_cancer"]:
    x, y, _ = load(name)
    xs = StandardScaler().fit_transform(x)
    m = SVC().fit(xs, y)
    exact[f"svc_{name}"] = {
        "support": m.support_.tolist(),
        "n_support": m.n_support_.tolist(),
        "intercept": m.intercept_.tolist(),
        "dual_coef": m.dual_coef_.tolist(),
        "decision_first10": m.decision_function(xs[:10]).tolist(),
        "gamma": m._gamma,
    }
x, y, _ = load("diabetes")
x, y = x[:200], y[:200]
xs = StandardScaler().fit_transform(x)
ys = (y - y.mean()) / y.std()
m = SVR().fit(xs, ys)
exact["svr_diabetes200"] = {
    "support": m.support_.tolist(),
    "intercept": m.intercept_.tolist(),
    "dual_coef": m.dual_coef_.ravel().tolist(),
    "predict_first10": m.predict(xs[:10]).tolist(),
}
with open(os.path.join(OUT, "svm_exact.json"), "w") as f:
    json.dump(exact, f)
print("wrote", OUT)
