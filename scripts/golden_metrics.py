"""Generate the golden values of oxlearn-core's metrics from scikit-learn.

Writes core/tests/it/golden/metrics_{classification,ranking,log_loss,regression,clustering}.json,
read by core/tests/it/metrics_golden.rs. Run from the repository root:

    python3 scripts/golden_metrics.py

Made with scikit-learn 1.9.1 and numpy 2.4. Floats are written with repr (exact round trip);
the +inf first threshold of a ROC curve is written as null. Warnings (zero_division,
UndefinedMetricWarning) are expected: they are scikit-learn's default "warn" behaviour.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn import metrics

OUT = Path(__file__).resolve().parent.parent / "core" / "tests" / "it" / "golden"
AVERAGES = ["micro", "macro", "weighted"]


def labels_list(a):
    """Labels as JSON values (ints or strings)."""
    return [x.item() if isinstance(x, np.generic) else x for x in np.asarray(a).tolist()]


def floats(a):
    return [None if np.isinf(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


def matrix(a):
    return [floats(row) for row in np.asarray(a, dtype=float)]


def noisy_predictions(rng, y_true, classes, accuracy, p=None):
    """y_true with a fraction of labels replaced by random classes."""
    y_pred = y_true.copy()
    flip = rng.random(len(y_true)) > accuracy
    y_pred[flip] = rng.choice(classes, size=flip.sum(), p=p)
    return y_pred


def classification_cases(rng):
    cases = []
    # Balanced binary, integer labels.
    y = rng.integers(0, 2, 40)
    cases.append(("binary_int", y, noisy_predictions(rng, y, [0, 1], 0.7), 1))
    # Imbalanced binary, string labels: 10% spam, predictions favour "ham".
    y = np.where(rng.random(60) < 0.1, "spam", "ham")
    cases.append(("binary_str_imbalanced", y, noisy_predictions(rng, y, ["ham", "spam"], 0.8, [0.9, 0.1]), "spam"))
    # Binary where the positive class is never predicted (precision 0/0 -> 0).
    y = np.array([0, 1, 0, 0, 1, 0, 0, 0])
    cases.append(("binary_never_predicted", y, np.zeros(8, dtype=int), 1))
    # Binary with labels {-1, 1}.
    y = rng.choice([-1, 1], 30)
    cases.append(("binary_minus_one", y, noisy_predictions(rng, y, [-1, 1], 0.6), 1))
    # Multiclass strings.
    y = rng.choice(["bird", "cat", "dog"], 60)
    cases.append(("multiclass_str", y, noisy_predictions(rng, y, ["bird", "cat", "dog"], 0.6), None))
    # Multiclass where y_pred holds a class absent from y_true (recall 0/0, balanced accuracy skip).
    y = rng.integers(0, 3, 50)
    cases.append(("multiclass_extra_pred_class", y, noisy_predictions(rng, y, [0, 1, 2, 3], 0.6), None))
    # Imbalanced multiclass, one class never predicted.
    y = rng.choice(["a", "b", "c", "d"], 80, p=[0.6, 0.25, 0.1, 0.05])
    cases.append(("multiclass_imbalanced", y, noisy_predictions(rng, y, ["a", "b", "c"], 0.7, [0.7, 0.2, 0.1]), None))

    out = []
    for name, y_true, y_pred, pos_label in cases:
        case = {"name": name, "y_true": labels_list(y_true), "y_pred": labels_list(y_pred)}
        case["accuracy"] = metrics.accuracy_score(y_true, y_pred)
        case["balanced_accuracy"] = metrics.balanced_accuracy_score(y_true, y_pred)
        for avg in AVERAGES:
            case[f"precision_{avg}"] = metrics.precision_score(y_true, y_pred, average=avg)
            case[f"recall_{avg}"] = metrics.recall_score(y_true, y_pred, average=avg)
            case[f"f1_{avg}"] = metrics.f1_score(y_true, y_pred, average=avg)
        if pos_label is not None:
            case["pos_label"] = labels_list([pos_label])[0]
            case["precision_binary"] = metrics.precision_score(y_true, y_pred, pos_label=pos_label)
            case["recall_binary"] = metrics.recall_score(y_true, y_pred, pos_label=pos_label)
            case["f1_binary"] = metrics.f1_score(y_true, y_pred, pos_label=pos_label)
        p, r, f, s = metrics.precision_recall_fscore_support(y_true, y_pred, average=None)
        labels = np.unique(np.concatenate([y_true, y_pred]))
        case["labels"] = labels_list(labels)
        case["per_class"] = {"precision": floats(p), "recall": floats(r), "f1": floats(f), "support": s.tolist()}
        case["confusion_matrix"] = metrics.confusion_matrix(y_true, y_pred).tolist()
        # Confusion matrix restricted to (and ordered by) the labels in reverse order, first two only.
        subset = labels[::-1][:2]
        case["cm_labels"] = labels_list(subset)
        case["cm_subset"] = metrics.confusion_matrix(y_true, y_pred, labels=subset).tolist()
        out.append(case)
    return out


def ranking_cases(rng):
    cases = []
    y = rng.integers(0, 2, 40)
    cases.append(("binary_int_no_ties", y, rng.normal(size=40) + y, None))
    y = rng.choice(["neg", "pos"], 50)
    # Heavy ties: scores rounded to one decimal.
    cases.append(("binary_str_ties", y, np.round(rng.random(50) * 0.6 + 0.4 * (y == "pos"), 1), None))
    y = (rng.random(60) < 0.1).astype(int)
    cases.append(("imbalanced_ties", y, np.round(rng.normal(size=60) + 1.5 * y, 0), None))
    y = rng.choice([-1, 1], 30)
    cases.append(("minus_one", y, rng.normal(size=30) - 0.5 * y, None))
    # Explicit pos_label on a multiclass y_true (every other class is negative).
    y = rng.choice(["a", "b", "c"], 45)
    cases.append(("multiclass_pos_label", y, rng.normal(size=45) + (y == "b"), "b"))
    # Explicit pos_label that is the smaller label.
    y = rng.integers(0, 2, 35)
    cases.append(("pos_label_zero", y, np.round(rng.random(35) + 0.5 * (y == 0), 1), 0))

    out = []
    for name, y_true, score, pos_label in cases:
        case = {"name": name, "y_true": labels_list(y_true), "y_score": floats(score)}
        if pos_label is None:
            fpr, tpr, thr = metrics.roc_curve(y_true, score, pos_label=np.unique(y_true)[1])
            case["roc_auc"] = metrics.roc_auc_score(y_true, score)
        else:
            case["pos_label"] = labels_list([pos_label])[0]
            fpr, tpr, thr = metrics.roc_curve(y_true, score, pos_label=pos_label)
        case["fpr"], case["tpr"], case["thresholds"] = floats(fpr), floats(tpr), floats(thr)
        out.append(case)

    ovr = []
    for name, classes, n, p, ties in [
        ("ovr_three_str", ["x", "y", "z"], 60, None, False),
        ("ovr_four_imbalanced_ties", [0, 1, 2, 3], 80, [0.5, 0.3, 0.15, 0.05], True),
        ("ovr_two_classes", ["no", "yes"], 30, None, False),
    ]:
        y = rng.choice(classes, n, p=p)
        k = len(classes)
        onehot = (np.asarray(y)[:, None] == np.asarray(classes)[None, :]).astype(float)
        logits = rng.integers(0, 3, (n, k)).astype(float) + onehot if ties else rng.normal(size=(n, k)) + 1.5 * onehot
        proba = np.exp(logits)
        proba /= proba.sum(axis=1, keepdims=True)
        case = {"name": name, "y_true": labels_list(y), "y_proba": matrix(proba)}
        for avg in ["macro", "weighted", "micro"]:
            if k == 2:
                case[f"auc_{avg}"] = metrics.roc_auc_score(y, proba[:, 1])
            else:
                case[f"auc_{avg}"] = metrics.roc_auc_score(y, proba, multi_class="ovr", average=avg)
        ovr.append(case)
    return {"binary": out, "ovr": ovr}


def log_loss_cases(rng):
    out = []

    def add(name, y_true, proba, labels=None):
        case = {"name": name, "y_true": labels_list(y_true), "y_proba": matrix(proba)}
        if labels is not None:
            case["labels"] = labels_list(labels)
        case["log_loss"] = metrics.log_loss(y_true, proba, labels=labels)
        out.append(case)

    y = rng.integers(0, 2, 40)
    p1 = np.clip(0.3 + 0.4 * y + rng.normal(scale=0.2, size=40), 0, 1)
    add("binary_two_columns", y, np.column_stack([1 - p1, p1]))
    add("binary_one_column", y, p1[:, None])
    # Exact zeros and ones: clipped to [eps, 1 - eps].
    y = np.array(["ham", "spam", "spam", "ham", "spam"])
    add("clipped", y, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.2, 0.8]]))
    # Multiclass strings with softmax probabilities.
    y = rng.choice(["a", "b", "c"], 50)
    logits = rng.normal(size=(50, 3)) + (y[:, None] == np.array(["a", "b", "c"])[None, :])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    add("multiclass_str", y, proba)
    # y_true misses class "c": the labels argument names all three.
    mask = y != "c"
    add("labels_argument", y[mask], proba[mask], labels=["a", "b", "c"])
    # Rows that do not sum to one: scikit-learn 1.9 warns and does not renormalise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        add("unnormalised", y[:10], proba[:10] * 0.8)
    return out


def regression_cases(rng):
    cases = [
        ("random", rng.normal(size=50) * 3, None),
        ("outliers", rng.normal(size=41), "outliers"),
        ("constant_true", np.full(12, 2.5), None),
        ("perfect", rng.normal(size=20), "perfect"),
        ("biased", rng.normal(size=30) * 10 + 100, "biased"),
    ]
    out = []
    for name, y_true, kind in cases:
        if kind == "perfect":
            y_pred = y_true.copy()
        elif kind == "biased":
            y_pred = y_true + 3.0 + rng.normal(scale=0.5, size=len(y_true))
        else:
            y_pred = y_true + rng.normal(scale=0.8, size=len(y_true))
        if kind == "outliers":
            y_pred[::10] += 25.0
        out.append({
            "name": name,
            "y_true": floats(y_true),
            "y_pred": floats(y_pred),
            "r2": metrics.r2_score(y_true, y_pred),
            "mse": metrics.mean_squared_error(y_true, y_pred),
            "rmse": metrics.root_mean_squared_error(y_true, y_pred),
            "mae": metrics.mean_absolute_error(y_true, y_pred),
            "median_ae": metrics.median_absolute_error(y_true, y_pred),
            "explained_variance": metrics.explained_variance_score(y_true, y_pred),
        })
    return out


def clustering_cases(rng):
    ari = []
    for name, a, b in [
        ("random", rng.integers(0, 3, 60), rng.integers(0, 4, 60)),
        ("permuted_names", np.repeat(["x", "y", "z"], 10), np.repeat([2, 0, 1], 10)),
        ("close", np.repeat([0, 1, 2], 15), None),
        ("one_cluster_vs_singletons", np.zeros(8, dtype=int), np.arange(8)),
        ("both_one_cluster", np.zeros(5, dtype=int), np.zeros(5, dtype=int)),
    ]:
        if b is None:
            b = a.copy()
            b[rng.choice(len(a), 8, replace=False)] = rng.integers(0, 3, 8)
        ari.append({"name": name, "labels_true": labels_list(a), "labels_pred": labels_list(b),
                    "ari": metrics.adjusted_rand_score(a, b)})

    sil = []
    # Three blobs in 2-D.
    centers = np.array([[0.0, 0.0], [4.0, 4.0], [-4.0, 5.0]])
    labels = rng.integers(0, 3, 60)
    x = centers[labels] + rng.normal(size=(60, 2))
    sil.append(("blobs_2d", x, labels))
    # Five overlapping clusters in 4-D with string labels and a singleton cluster.
    names = np.array(["a", "b", "c", "d"])
    labels = names[rng.integers(0, 4, 45)]
    x = rng.normal(size=(46, 4))
    x[:45] += 1.5 * (labels[:, None] == names[None, :])
    labels = np.append(labels, "solo")
    sil.append(("overlapping_4d_singleton", x, labels))
    # Random labels (score near 0 or negative).
    x = rng.normal(size=(30, 3))
    sil.append(("random_labels", x, rng.integers(0, 2, 30)))
    silhouette = [{"name": n, "x": matrix(x), "labels": labels_list(l), "silhouette": metrics.silhouette_score(x, l)}
                  for n, x, l in sil]
    return {"ari": ari, "silhouette": silhouette}


def main():
    assert sklearn.__version__ == "1.9.1", sklearn.__version__
    warnings.simplefilter("ignore", category=metrics._classification.UndefinedMetricWarning)
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20260126)
    files = {
        "metrics_classification.json": classification_cases(rng),
        "metrics_ranking.json": ranking_cases(rng),
        "metrics_log_loss.json": log_loss_cases(rng),
        "metrics_regression.json": regression_cases(rng),
        "metrics_clustering.json": clustering_cases(rng),
    }
    for name, data in files.items():
        doc = {"sklearn_version": sklearn.__version__, "generator": "scripts/golden_metrics.py", "cases": data}
        (OUT / name).write_text(json.dumps(doc, allow_nan=False, separators=(",", ":")) + "\n")
        print(f"wrote {OUT / name} ({(OUT / name).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
