"""Golden out-of-fold predictions of scikit-learn's linear models on the reference datasets.

Writes, for the fixed 5-fold splits (every model behind a StandardScaler fitted on the training
folds only, as reference_scores.md):
  algorithms/tests/it/data/linear_logreg_<name>.oof.csv  predicted class per row
      (LogisticRegression(C=1, max_iter=1000), solver lbfgs) and, for the binary problem,
      the decision function;
  algorithms/tests/it/data/linear_diabetes.oof.csv  predictions per row of LinearRegression(),
      Ridge(1.0), Lasso(0.1), ElasticNet(0.1, l1_ratio=0.5).
Run from the repository root: python3 scripts/golden_linear.py (scikit-learn 1.9.1).
"""

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

DATA = "datasets/data"
OUT = "algorithms/tests/it/data"


def load(name):
    df = pd.read_csv(f"{DATA}/{name}.csv")
    folds = pd.read_csv(f"{OUT}/{name}.folds.csv")["fold"].to_numpy()
    x = df.drop(columns="target").to_numpy(dtype=float)
    y = df["target"].to_numpy()
    return x, y, folds


def oof(name, make, column):
    x, y, folds = load(name)
    out = {}
    for k in range(5):
        train, test = folds != k, folds == k
        scaler = StandardScaler().fit(x[train])
        model = make().fit(scaler.transform(x[train]), y[train])
        xt = scaler.transform(x[test])
        for key, fn in column(model).items():
            out.setdefault(key, np.zeros(len(y), dtype=float))[test] = fn(xt)
    return out


def main():
    print("scikit-learn", sklearn.__version__)
    for name in ["iris", "wine", "breast_cancer", "digits"]:
        cols = oof(
            name,
            lambda: LogisticRegression(C=1.0, max_iter=1000),
            lambda m: {"pred": m.predict, **({"decision": m.decision_function} if len(m.classes_) == 2 else {})},
        )
        df = pd.DataFrame({"pred": cols["pred"].astype(int)})
        if "decision" in cols:
            df["decision"] = cols["decision"]
        df.to_csv(f"{OUT}/linear_logreg_{name}.oof.csv", index=False, float_format="%.17g")
    models = {
        "linear_regression": LinearRegression,
        "ridge": lambda: Ridge(alpha=1.0),
        "lasso": lambda: Lasso(alpha=0.1),
        "elastic_net": lambda: ElasticNet(alpha=0.1, l1_ratio=0.5),
    }
    df = pd.DataFrame({key: oof("diabetes", make, lambda m: {"p": m.predict})["p"] for key, make in models.items()})
    df.to_csv(f"{OUT}/linear_diabetes.oof.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
