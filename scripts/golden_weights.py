"""Golden values for sample_weight and class_weight (algorithms/tests/it/weights.rs).

Small seeded problems, the inputs stored with the results, fitted by scikit-learn:
  reg:   LinearRegression, Ridge(alpha=1), Lasso(alpha=0.05), ElasticNet(alpha=0.05) with
         sample_weight (coef_, intercept_), DecisionTreeRegressor(max_depth=3) with
         sample_weight (predictions on X), SVR (rbf) with sample_weight (predictions on X);
  bin / multi (imbalanced): LogisticRegression with class_weight="balanced" and, separately,
         with sample_weight (coef_, intercept_); GaussianNB with sample_weight (theta_, var_,
         class_prior_); DecisionTreeClassifier(max_depth=3) with class_weight="balanced" and,
         separately, with sample_weight (predict_proba on X); SVC (rbf, decision_function_shape
         "ovo") with class_weight="balanced" and with sample_weight (decision values on X);
         LinearSVC with class_weight="balanced" and with sample_weight (coef_, intercept_).
Weights of the tree cases are positive (scikit-learn keeps zero-weight samples as threshold
candidates, oxlearn drops them). Run from the repository root (scikit-learn 1.9.1):
  python3 scripts/golden_weights.py
"""

import json

import numpy as np
import sklearn
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

OUT = "algorithms/tests/it/data/weights_golden.json"
rng = np.random.default_rng(20261126)


def lst(a):
    return np.asarray(a, dtype=float).tolist()


def regression():
    n, p = 40, 3
    x = rng.normal(size=(n, p))
    y = x @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.5 * rng.normal(size=n)
    w = rng.uniform(0.0, 3.0, size=n)
    w[[3, 17]] = 0.0
    wt = rng.uniform(0.2, 3.0, size=n)
    out = {"x": lst(x), "y": lst(y), "w": lst(w), "w_tree": lst(wt)}
    models = {
        "linear": LinearRegression(),
        "ridge": Ridge(alpha=1.0),
        "lasso": Lasso(alpha=0.05, tol=1e-12, max_iter=100000),
        "enet": ElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-12, max_iter=100000),
    }
    for name, m in models.items():
        m.fit(x, y, sample_weight=w)
        out[name] = {"coef": lst(m.coef_), "intercept": float(m.intercept_)}
    t = DecisionTreeRegressor(max_depth=3, random_state=0).fit(x, y, sample_weight=wt)
    out["tree_pred"] = lst(t.predict(x))
    m = SVR(tol=1e-10).fit(x, y, sample_weight=w)
    out["svr_pred"] = lst(m.predict(x))
    return out


def classification(sizes):
    k = len(sizes)
    centers = rng.normal(scale=1.5, size=(k, 2))
    x = np.vstack([centers[c] + rng.normal(size=(m, 2)) for c, m in enumerate(sizes)])
    y = np.concatenate([np.full(m, c) for c, m in enumerate(sizes)])
    n = len(y)
    w = rng.uniform(0.0, 3.0, size=n)
    w[[1, 5]] = 0.0
    wt = rng.uniform(0.2, 3.0, size=n)
    out = {"x": lst(x), "y": y.tolist(), "w": lst(w), "w_tree": lst(wt)}
    lr = dict(tol=1e-12, max_iter=100000)
    m = LogisticRegression(class_weight="balanced", **lr).fit(x, y)
    out["logreg_balanced"] = {"coef": lst(m.coef_), "intercept": lst(m.intercept_)}
    m = LogisticRegression(**lr).fit(x, y, sample_weight=w)
    out["logreg_weighted"] = {"coef": lst(m.coef_), "intercept": lst(m.intercept_)}
    m = GaussianNB().fit(x, y, sample_weight=w)
    out["nb_weighted"] = {"theta": lst(m.theta_), "var": lst(m.var_), "class_prior": lst(m.class_prior_)}
    t = DecisionTreeClassifier(max_depth=3, class_weight="balanced", random_state=0).fit(x, y)
    out["tree_balanced_proba"] = lst(t.predict_proba(x))
    t = DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, y, sample_weight=wt)
    out["tree_weighted_proba"] = lst(t.predict_proba(x))
    svc = dict(kernel="rbf", tol=1e-10, decision_function_shape="ovo")
    m = SVC(class_weight="balanced", **svc).fit(x, y)
    out["svc_balanced_dec"] = lst(m.decision_function(x).reshape(len(y), -1))
    m = SVC(**svc).fit(x, y, sample_weight=w)
    out["svc_weighted_dec"] = lst(m.decision_function(x).reshape(len(y), -1))
    lsvc = dict(tol=1e-12, max_iter=100000, dual=False)
    m = LinearSVC(class_weight="balanced", **lsvc).fit(x, y)
    out["linear_svc_balanced"] = {"coef": lst(m.coef_), "intercept": lst(m.intercept_)}
    m = LinearSVC(**lsvc).fit(x, y, sample_weight=w)
    out["linear_svc_weighted"] = {"coef": lst(m.coef_), "intercept": lst(m.intercept_)}
    return out


golden = {
    "sklearn_version": sklearn.__version__,
    "reg": regression(),
    "bin": classification([48, 12]),
    "multi": classification([50, 20, 8]),
}
with open(OUT, "w") as f:
    json.dump(golden, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {OUT}")
