"""scikit-learn side of `cargo run --release --example grid_search -- --bench [rows]`:
the same grids, folds and data slice, GridSearchCV(n_jobs=-1) limited to 2 cores.

Run: OMP_NUM_THREADS=2 taskset -c 0,1 target/bench-venv/bin/python examples/grid_search_sklearn.py [rows]
"""
import sys
import time

import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
df = pd.read_parquet("target/bench-data/clf-200k-50.parquet").head(rows)
X, y = df.drop(columns="target").to_numpy(), df["target"].to_numpy()
print(f"data clf-200k-50[:{rows}]: {X.shape}")
cv = StratifiedKFold(3)
t = time.perf_counter()
rf = GridSearchCV(RandomForestClassifier(n_estimators=50, random_state=0),
                  {"max_depth": [8, None], "min_samples_leaf": [1, 5]}, cv=cv, n_jobs=-1).fit(X, y)
print(f"GridSearchCV RandomForest: {time.perf_counter() - t:.2f}s best {rf.best_params_} {rf.best_score_:.4f}")
t = time.perf_counter()
lr = GridSearchCV(LogisticRegression(max_iter=1000), {"C": [0.01, 0.1, 1.0, 10.0]}, cv=cv, n_jobs=-1).fit(X, y)
print(f"GridSearchCV LogisticRegression: {time.perf_counter() - t:.2f}s best {lr.best_params_} {lr.best_score_:.4f}")
