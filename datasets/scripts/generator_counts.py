"""Writes tests/data/generator_counts.csv: per-class sample counts of scikit-learn's generators.

With flip_y=0 the class sizes of make_classification depend only on the parameters, not on the
random stream, so oxlearn's generators must reproduce them exactly. Run from datasets/:
    python3 scripts/generator_counts.py
"""

import csv

import numpy as np
from sklearn.datasets import make_blobs, make_circles, make_classification, make_moons

rows = []


def record(generator, params, y):
    counts = np.bincount(y).tolist()
    rows.append({"generator": generator, "params": params, "counts": " ".join(map(str, counts))})


for n_samples, n_classes, n_per, weights in [
    (100, 2, 2, None),
    (101, 3, 1, None),
    (1000, 2, 2, [0.1]),
    (1000, 2, 1, [0.1, 0.9]),
    (101, 2, 2, [0.3, 0.7]),
    (997, 4, 2, [0.1, 0.2, 0.3]),
    (50, 3, 2, [0.05, 0.05, 0.05]),
    (203, 5, 1, None),
]:
    X, y = make_classification(
        n_samples=n_samples, n_features=6, n_informative=4, n_redundant=1,
        n_classes=n_classes, n_clusters_per_class=n_per, weights=weights,
        flip_y=0.0, random_state=0,
    )
    w = "none" if weights is None else "/".join(map(str, weights))
    record("classification", f"{n_samples};{n_classes};{n_per};{w}", y)

for n_samples, centers in [(100, 3), (101, 4), (7, 3), (1000, 6)]:
    X, y = make_blobs(n_samples=n_samples, centers=centers, random_state=0)
    record("blobs", f"{n_samples};{centers}", y)

for n_samples in [1, 2, 99, 100]:
    record("moons", f"{n_samples}", make_moons(n_samples=n_samples, random_state=0)[1])
    record("circles", f"{n_samples}", make_circles(n_samples=n_samples, random_state=0)[1])

with open("tests/data/generator_counts.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["generator", "params", "counts"])
    w.writeheader()
    w.writerows(rows)
