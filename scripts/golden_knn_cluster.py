"""Golden values for oxlearn's neighbors, clustering and PCA tests (scikit-learn 1.9.1).

Writes algorithms/tests/it/data/knn_cluster_golden.json from the embedded dataset CSVs
(datasets/data/<name>.csv) and the fixed folds (algorithms/tests/it/data/<name>.folds.csv):

- knn: out-of-fold predictions of KNeighborsClassifier variants behind a StandardScaler fitted
  on the training folds, per-fold accuracies; the same for KNeighborsRegressor on diabetes.
- kmeans: KMeans(3, n_init=10, random_state=0) on raw iris: inertia, sizes, ARI vs species.
- dbscan: DBSCAN labels on standardized iris and wine.
- pca: PCA() on iris and digits: explained variance (ratio), singular values, components
  (first 12 rows for digits), noise variance, mean.

Run from the repository root: python3 scripts/golden_knn_cluster.py
"""

import json
import os

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import DBSCAN, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "datasets", "data")
FOLDS = os.path.join(ROOT, "algorithms", "tests", "it", "data")


def load(name):
    df = pd.read_csv(os.path.join(DATA, f"{name}.csv"))
    x = df.iloc[:, :-1].to_numpy(dtype=np.float64)
    y = df.iloc[:, -1].to_numpy()
    folds = pd.read_csv(os.path.join(FOLDS, f"{name}.folds.csv"))["fold"].to_numpy()
    return x, y, folds


def oof(make, x, y, folds):
    pred = np.empty(len(y), dtype=np.float64)
    scores = []
    for k in range(5):
        tr, te = folds != k, folds == k
        sc = StandardScaler().fit(x[tr])
        model = make().fit(sc.transform(x[tr]), y[tr])
        p = model.predict(sc.transform(x[te]))
        pred[te] = p
        scores.append(float(model.score(sc.transform(x[te]), y[te])))
    return pred, scores


def main():
    out = {"sklearn": sklearn.__version__, "knn": {}, "knn_regressor": {}, "kmeans": {}, "dbscan": {}, "pca": {}}
    variants = {
        "uniform": dict(n_neighbors=5),
        "distance": dict(n_neighbors=5, weights="distance"),
        "manhattan": dict(n_neighbors=5, p=1),
    }
    for name in ["iris", "wine", "breast_cancer", "digits"]:
        x, y, folds = load(name)
        for vname, kw in variants.items():
            if vname != "uniform" and name == "digits":
                continue
            pred, scores = oof(lambda: KNeighborsClassifier(**kw), x, y.astype(int), folds)
            out["knn"][f"{name}/{vname}"] = {"pred": pred.astype(int).tolist(), "fold_scores": scores}
    x, y, folds = load("diabetes")
    for vname, kw in [("uniform", dict(n_neighbors=5)), ("distance", dict(n_neighbors=5, weights="distance"))]:
        pred, scores = oof(lambda: KNeighborsRegressor(**kw), x, y.astype(float), folds)
        out["knn_regressor"][f"diabetes/{vname}"] = {"pred": pred.tolist(), "fold_scores": scores}

    x, y, _ = load("iris")
    km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(x)
    out["kmeans"]["iris"] = {
        "inertia": float(km.inertia_),
        "sizes": sorted(np.bincount(km.labels_).tolist()),
        "ari": float(adjusted_rand_score(y, km.labels_)),
        "centers": sorted(km.cluster_centers_.tolist()),
    }
    for name, eps in [("iris", 0.8), ("wine", 2.0)]:
        x, _, _ = load(name)
        xs = StandardScaler().fit_transform(x)
        db = DBSCAN(eps=eps, min_samples=5).fit(xs)
        out["dbscan"][name] = {"eps": eps, "labels": db.labels_.tolist(), "core": db.core_sample_indices_.tolist()}

    for name, rows in [("iris", None), ("digits", 12)]:
        x, _, _ = load(name)
        p = PCA().fit(x)
        comps = p.components_ if rows is None else p.components_[:rows]
        out["pca"][name] = {
            "solver": p._fit_svd_solver,
            "explained_variance": p.explained_variance_.tolist(),
            "explained_variance_ratio": p.explained_variance_ratio_.tolist(),
            "singular_values": p.singular_values_.tolist(),
            "components": comps.tolist(),
            "noise_variance": float(p.noise_variance_),
            "mean": p.mean_.tolist(),
        }
        p2 = PCA(n_components=2).fit(x)
        out["pca"][name]["n2_noise_variance"] = float(p2.noise_variance_)
        p95 = PCA(n_components=0.95).fit(x)
        out["pca"][name]["n95_n_components"] = int(p95.n_components_)

    path = os.path.join(FOLDS, "knn_cluster_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
