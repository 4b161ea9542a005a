#!/usr/bin/env python3
"""Golden values from scikit-learn 1.9 for oxlearn-algorithms' tests of missing values (NaN) in
trees and forests (algorithms/tests/it/tree_nan.rs).

NaN is injected with a fixed seed into some columns of the embedded datasets (the other columns
keep every value). For each case the script fits a shallow scikit-learn tree and keeps it only if
its structure is the same for random_state 0..19 (no ties between features, so any correct
implementation of scikit-learn's rules grows the same tree); it writes the tree (children,
features, thresholds with `null` for +inf, missing_go_to_left, impurities, sample counts, values)
and its predictions on "probe" rows: the training rows with extra NaN injected, also into the
columns that had none at training (those NaN go to the child with more training samples).

For forests, whose randomness differs from oxlearn's, it writes the mean 5-fold score (fixed
folds) over random_state 0..4, with its spread.

Usage (from the repository root): python3 scripts/golden_tree_nan.py
Writes algorithms/tests/it/data/tree_nan_golden.json.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "algorithms" / "tests" / "it" / "data"


def load(name):
    df = pd.read_csv(ROOT / "datasets" / "data" / f"{name}.csv")
    x = df.drop(columns="target").to_numpy(dtype=np.float64)
    y = df["target"].to_numpy()
    folds = pd.read_csv(DATA / f"{name}.folds.csv")["fold"].to_numpy()
    return x, y, folds


def mask(shape, columns, rate, seed):
    """Boolean mask: `rate` of the entries of `columns` set, drawn with numpy seed `seed`."""
    rng = np.random.default_rng(seed)
    m = np.zeros(shape, dtype=bool)
    for c in columns:
        m[:, c] = rng.random(shape[0]) < rate
    return m


def informative_mask(y, shape, columns, rate, seed):
    """As `mask`, but rows of the first class are three times as likely to be missing (so that
    "missing or not" is itself a good split)."""
    rng = np.random.default_rng(seed)
    m = np.zeros(shape, dtype=bool)
    first = y == np.unique(y)[0] if len(np.unique(y)) < 10 else y > np.median(y)
    for c in columns:
        m[:, c] = rng.random(shape[0]) < rate * np.where(first, 3.0, 1.0)
    return m


def cells(m):
    """The (row, column) pairs of a mask, row-major."""
    return [[int(r), int(c)] for r, c in zip(*np.nonzero(m))]


def signature(est):
    t = est.tree_
    return (
        t.feature.tolist(),
        np.round(t.threshold, 6).tolist(),
        t.children_left.tolist(),
        t.missing_go_to_left.tolist(),
    )


def finite_or_none(v):
    return [None if np.isinf(a) else float(a) for a in v]


# (dataset, kind, NaN columns, NaN rate, informative NaN, parameters, weighted)
TREE_CASES = [
    ("breast_cancer", "classifier", [0, 7, 20, 22, 27], 0.15, False, dict(criterion="gini", max_depth=3), False),
    ("breast_cancer", "classifier", [7, 20, 21, 27], 0.2, False, dict(criterion="entropy", max_leaf_nodes=6), False),
    ("breast_cancer", "classifier", [0, 7, 20, 22, 27], 0.15, False,
     dict(criterion="gini", max_depth=3, min_samples_leaf=15), True),
    ("breast_cancer", "classifier", [1, 7, 20, 22, 27], 0.15, True, dict(criterion="gini", max_depth=4), False),
    ("breast_cancer", "classifier", [1, 7, 20, 22], 0.15, True, dict(criterion="entropy", max_depth=3), False),
    ("wine", "classifier", [0, 6, 9, 12], 0.15, False, dict(criterion="gini", max_depth=3), False),
    ("wine", "classifier", [6, 9, 12], 0.2, True, dict(criterion="entropy", max_depth=3), False),
    ("iris", "classifier", [2, 3], 0.15, False, dict(criterion="gini", max_depth=2), False),
    ("iris", "classifier", [2, 3], 0.15, True, dict(criterion="gini", max_depth=3), False),
    ("diabetes", "regressor", [2, 8], 0.15, False, dict(criterion="squared_error", max_depth=3), False),
    ("diabetes", "regressor", [2, 3, 8], 0.2, False,
     dict(criterion="squared_error", max_depth=4, min_samples_leaf=20), False),
    ("diabetes", "regressor", [2, 8], 0.15, True, dict(criterion="squared_error", max_leaf_nodes=8), True),
    ("diabetes", "regressor", [2, 3, 8], 0.15, True, dict(criterion="squared_error", max_depth=3), False),
]


def synthetic(kind, seed):
    """Small data where "missing or not" is the best split: column 1 is missing mostly for one
    class (classifier) or adds 3 to the target when missing (regressor), and is otherwise
    constant (classifier: a feature that is constant but for its NaN is not constant in 1.9)."""
    rng = np.random.default_rng(seed)
    n = 90
    x = rng.normal(size=(n, 3)).round(3)
    if kind == "classifier":
        y = rng.integers(0, 2, size=n)
        x[:, 0] += 0.7 * y
        x[:, 1] = 1.0
        x[(y == 1) & (rng.random(n) < 0.75), 1] = np.nan
        x[(y == 0) & (rng.random(n) < 0.05), 1] = np.nan
    else:
        x[rng.random(n) < 0.3, 1] = np.nan
        y = (2.0 * x[:, 0] + 3.0 * np.isnan(x[:, 1]) + 0.3 * rng.normal(size=n)).round(3)
    x[rng.random(n) < 0.15, 2] = np.nan
    return x, y


SYNTHETIC_CASES = [
    ("classifier", 7, dict(criterion="gini", max_depth=3), False),
    ("classifier", 7, dict(criterion="entropy", max_depth=3, min_samples_leaf=3), True),
    ("regressor", 9, dict(criterion="squared_error", max_depth=3), False),
]

trees = []
for j, (kind, seed, params, weighted) in enumerate(SYNTHETIC_CASES):
    TREE_CASES.append((f"synthetic{j}", kind, None, None, None, params, weighted))

for i, (name, kind, columns, rate, informative, params, weighted) in enumerate(TREE_CASES):
    if name.startswith("synthetic"):
        x, y = synthetic(kind, SYNTHETIC_CASES[int(name[9:])][1])
        m = np.isnan(x)
    else:
        x, y, _ = load(name)
        m = (informative_mask(y, x.shape, columns, rate, i) if informative else mask(x.shape, columns, rate, i))
        x = x.copy()
        x[m] = np.nan
    w = np.random.default_rng(100 + i).integers(1, 4, size=len(y)).astype(np.float64) if weighted else None
    cls = DecisionTreeClassifier if kind == "classifier" else DecisionTreeRegressor
    est = cls(random_state=0, **params).fit(x, y, sample_weight=w)
    tied = any(
        signature(cls(random_state=s, **params).fit(x, y, sample_weight=w)) != signature(est) for s in range(1, 20)
    )
    if tied:
        print(f"skipped {name} {params}: tied splits")
        continue
    # Probe rows: the training rows with 10% more NaN in every column (seeded).
    extra = mask(x.shape, range(x.shape[1]), 0.1, seed=1000 + i)
    probe = x.copy()
    probe[extra] = np.nan
    t = est.tree_
    pred = est.predict_proba(probe) if kind == "classifier" else est.predict(probe)
    trees.append({
        "dataset": name,
        "kind": kind,
        "params": params,
        "nan_cells": cells(m),
        "x": [[None if np.isnan(v) else float(v) for v in row] for row in x] if name.startswith("synthetic") else None,
        "y": y.tolist() if name.startswith("synthetic") else None,
        "weights": None if w is None else w.tolist(),
        "probe_nan_cells": cells(extra),
        "probe_prediction": pred.tolist(),
        "probe_leaves": est.apply(probe).tolist(),
        "children_left": t.children_left.tolist(),
        "children_right": t.children_right.tolist(),
        "feature": t.feature.tolist(),
        "threshold": finite_or_none(t.threshold),
        "missing_go_to_left": [bool(v) for v in t.missing_go_to_left],
        "impurity": t.impurity.tolist(),
        "n_node_samples": t.n_node_samples.tolist(),
        "weighted_n_node_samples": t.weighted_n_node_samples.tolist(),
        "value": [v[0].tolist() for v in t.value],
        "feature_importances": est.feature_importances_.tolist(),
    })
    n_inf = int(np.isinf(t.threshold).sum())
    inner = t.children_left >= 0
    n_left = int((t.missing_go_to_left & inner).sum())
    print(f"kept {name} {params} weighted={weighted}: {t.node_count} nodes, {n_inf} missing-only splits, "
          f"{n_left} of {int(inner.sum())} send NaN left")

FOREST_CASES = [
    ("wine", "RandomForestClassifier", [0, 6, 9, 12], 0.2, dict(n_estimators=50)),
    ("breast_cancer", "RandomForestClassifier", [0, 7, 20, 22, 27], 0.2, dict(n_estimators=50)),
    ("wine", "ExtraTreesClassifier", [0, 6, 9, 12], 0.2, dict(n_estimators=50)),
    ("diabetes", "RandomForestRegressor", [2, 3, 8], 0.2, dict(n_estimators=50, max_features=0.5)),
    ("diabetes", "ExtraTreesRegressor", [2, 3, 8], 0.2, dict(n_estimators=50)),
]
CLASSES = {
    "RandomForestClassifier": RandomForestClassifier,
    "ExtraTreesClassifier": ExtraTreesClassifier,
    "RandomForestRegressor": RandomForestRegressor,
    "ExtraTreesRegressor": ExtraTreesRegressor,
}
forests = []
for i, (name, model, columns, rate, params) in enumerate(FOREST_CASES):
    x, y, folds = load(name)
    m = mask(x.shape, columns, rate, seed=50 + i)
    x = x.copy()
    x[m] = np.nan
    score = accuracy_score if model.endswith("Classifier") else r2_score
    means = []
    for seed in range(5):
        scores = []
        for k in range(5):
            tr, te = folds != k, folds == k
            est = CLASSES[model](random_state=seed, **params).fit(x[tr], y[tr])
            scores.append(score(y[te], est.predict(x[te])))
        means.append(float(np.mean(scores)))
    forests.append({
        "dataset": name,
        "model": model,
        "params": params,
        "nan_cells": cells(m),
        "cv": "fixed 5 folds, mean score per random_state 0..4",
        "mean": float(np.mean(means)),
        "min": float(np.min(means)),
        "max": float(np.max(means)),
    })
    print(f"{model} on {name}: {np.mean(means):.4f} ({np.min(means):.4f}..{np.max(means):.4f})")

path = DATA / "tree_nan_golden.json"
path.write_text(json.dumps({"trees": trees, "forests": forests}) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes)")
