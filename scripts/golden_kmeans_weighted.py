"""Golden values for weighted KMeans (scikit-learn's `fit(X, sample_weight=w)`).

Writes algorithms/tests/it/data/kmeans_weighted_golden.json: for raw iris (the embedded
dataset's CSV in ../shared/reference), three weight vectors (integers, fractions, some zeros),
seeds 0 and 1, n_init=1, algorithms lloyd and elkan: the centres, labels, inertia and n_iter of
scikit-learn's KMeans(n_clusters=3, init="k-means++", random_state=seed).

Run from the repository root: python3 scripts/golden_kmeans_weighted.py
"""

import json
import pathlib

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import KMeans

root = pathlib.Path(__file__).resolve().parent.parent
df = pd.read_csv(root.parent / "shared" / "reference" / "iris.csv")
X = df.iloc[:, :4].to_numpy(dtype=np.float64)
n = X.shape[0]
weights = {
    "integers": np.array([1 + (i % 3) for i in range(n)], dtype=np.float64),
    "fractions": np.array([0.5 + ((i * 7) % 10) / 10 for i in range(n)], dtype=np.float64),
    "zeros": np.array([0.0 if i % 5 == 0 else 1.0 + (i % 2) for i in range(n)], dtype=np.float64),
}
cases = []
for wname, w in weights.items():
    for seed in (0, 1):
        for algorithm in ("lloyd", "elkan"):
            km = KMeans(n_clusters=3, init="k-means++", n_init=1, random_state=seed, algorithm=algorithm)
            km.fit(X, sample_weight=w)
            cases.append(
                {
                    "weights": wname,
                    "seed": seed,
                    "algorithm": algorithm,
                    "centers": km.cluster_centers_.tolist(),
                    "labels": km.labels_.tolist(),
                    "inertia": float(km.inertia_),
                    "n_iter": int(km.n_iter_),
                }
            )
out = {"sklearn": sklearn.__version__, "weights": {k: v.tolist() for k, v in weights.items()}, "cases": cases}
path = root / "algorithms" / "tests" / "it" / "data" / "kmeans_weighted_golden.json"
path.write_text(json.dumps(out))
print(f"wrote {path} ({len(cases)} cases)")
