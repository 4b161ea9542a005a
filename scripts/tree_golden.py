#!/usr/bin/env python3
"""Golden trees from scikit-learn for oxlearn-algorithms' tree tests.

Fits shallow trees (whose splits have no ties, so any correct CART finds the same ones) on the
embedded datasets and writes their structure, thresholds, leaf values and feature importances to
algorithms/tests/it/data/tree_golden.json.

Also writes algorithms/tests/it/data/tree_seed_scores.json: the 5-fold R^2 (fixed folds,
StandardScaler on the training folds, as ../shared/reference/reference_scores.md) of a fully
grown DecisionTreeRegressor on diabetes for random_state 0..99. A fully grown tree's R^2 there
moves with the seed (its many tied splits are broken by the random feature order), so a
different implementation can only be compared with scikit-learn's distribution over seeds.

Usage (from the repository root): python3 scripts/tree_golden.py
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("breast_cancer", "classifier", dict(criterion="gini", max_depth=2)),
    ("breast_cancer", "classifier", dict(criterion="entropy", max_leaf_nodes=5)),
    ("wine", "classifier", dict(criterion="entropy", max_depth=3)),
    ("wine", "classifier", dict(criterion="gini", max_depth=2)),
    ("digits", "classifier", dict(criterion="gini", max_depth=3)),
    ("diabetes", "regressor", dict(criterion="squared_error", max_depth=3)),
    ("diabetes", "regressor", dict(criterion="squared_error", max_depth=4, min_samples_leaf=20)),
    ("diabetes", "regressor", dict(criterion="squared_error", max_leaf_nodes=8)),
]


def signature(est):
    t = est.tree_
    return (t.feature.tolist(), np.round(t.threshold, 6).tolist(), t.children_left.tolist())

out = []
for name, kind, params in CASES:
    df = pd.read_csv(ROOT / "datasets" / "data" / f"{name}.csv")
    x = df.drop(columns="target").to_numpy(dtype=np.float64)
    y = df["target"].to_numpy()
    est = (DecisionTreeClassifier if kind == "classifier" else DecisionTreeRegressor)(random_state=0, **params)
    est.fit(x, y)
    # Keep only trees without ties between features: the same tree for every random_state.
    for seed in range(1, 20):
        other = type(est)(random_state=seed, **params).fit(x, y)
        if signature(other) != signature(est):
            print(f"skipped {name} {params}: tied splits (random_state {seed} differs)")
            break
    else:
        seed = None
    if seed is not None:
        continue
    t = est.tree_
    out.append({
        "dataset": name,
        "kind": kind,
        "params": params,
        "children_left": t.children_left.tolist(),
        "children_right": t.children_right.tolist(),
        "feature": t.feature.tolist(),
        "threshold": t.threshold.tolist(),
        "impurity": t.impurity.tolist(),
        "n_node_samples": t.n_node_samples.tolist(),
        "value": [v[0].tolist() for v in t.value],
        "feature_importances": est.feature_importances_.tolist(),
        "depth": int(est.get_depth()),
        "n_leaves": int(est.get_n_leaves()),
    })
path = ROOT / "algorithms" / "tests" / "it" / "data" / "tree_golden.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")


def seed_scores(n_seeds=100):
    from sklearn.preprocessing import StandardScaler
    from sklearn.metrics import r2_score

    df = pd.read_csv(ROOT / "datasets" / "data" / "diabetes.csv")
    x = df.drop(columns="target").to_numpy(dtype=np.float64)
    y = df["target"].to_numpy(dtype=np.float64)
    folds = pd.read_csv(ROOT / "algorithms" / "tests" / "it" / "data" / "diabetes.folds.csv")["fold"].to_numpy()
    means = []
    for seed in range(n_seeds):
        scores = []
        for k in range(5):
            tr, te = folds != k, folds == k
            scaler = StandardScaler().fit(x[tr])
            est = DecisionTreeRegressor(random_state=seed).fit(scaler.transform(x[tr]), y[tr])
            scores.append(r2_score(y[te], est.predict(scaler.transform(x[te]))))
        means.append(float(np.mean(scores)))
    means = np.array(means)
    return {
        "dataset": "diabetes",
        "model": "DecisionTreeRegressor()",
        "cv": "fixed 5 folds, StandardScaler on the training folds, mean R^2 per random_state",
        "random_states": n_seeds,
        "mean": float(means.mean()),
        "std": float(means.std()),
        "min": float(means.min()),
        "max": float(means.max()),
        "per_seed": [round(v, 6) for v in means.tolist()],
    }


path = ROOT / "algorithms" / "tests" / "it" / "data" / "tree_seed_scores.json"
path.write_text(json.dumps(seed_scores(), indent=1) + "\n")
print(f"wrote {path}")
