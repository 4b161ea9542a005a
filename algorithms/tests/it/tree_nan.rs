//! Missing values (NaN) in trees and forests: scikit-learn 1.9's trees grown on data with NaN
//! (structure, learnt sides, predictions on rows with more NaN), NaN at predict for features that
//! had none at training, forests' scores against scikit-learn's, every predict path, thread-count
//! independence, serde, and `±inf` still rejected. Golden values: scripts/golden_tree_nan.py.

use ndarray::{Array1, Array2};
use oxlearn_algorithms::{
    DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreesClassifier, ExtraTreesRegressor,
    FittedDecisionTreeClassifier, RandomForestClassifier, RandomForestRegressor, Splitter, Tree, TreeBackend,
    TreeCriterion,
};
use oxlearn_core::prelude::*;
use oxlearn_core::{Error, Input};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::Value;

use crate::common::{RefData, load};

fn golden() -> Value {
    serde_json::from_str(include_str!("data/tree_nan_golden.json")).expect("golden json")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

/// A dataset with NaN at the golden file's cells.
fn with_nan(mut x: Array2<f64>, cells: &Value) -> Array2<f64> {
    for c in cells.as_array().expect("cells") {
        x[[c[0].as_u64().unwrap() as usize, c[1].as_u64().unwrap() as usize]] = f64::NAN;
    }
    x
}

/// The data of a golden case: an embedded dataset with NaN, or the script's synthetic rows.
fn case_data(g: &Value) -> (Array2<f64>, Array1<f64>) {
    if g["x"].is_array() {
        let rows = g["x"].as_array().unwrap();
        let m = rows[0].as_array().unwrap().len();
        let x = Array2::from_shape_fn((rows.len(), m), |(i, j)| rows[i][j].as_f64().unwrap_or(f64::NAN));
        (x, Array1::from(floats(&g["y"])))
    } else {
        let RefData { x, y, .. } = load(g["dataset"].as_str().unwrap());
        (with_nan(x, &g["nan_cells"]), y)
    }
}

/// Walks scikit-learn's tree (node `s`) and ours (node `o`) together; `map[s] = o`.
fn same_tree(g: &Value, s: usize, tree: &Tree, o: usize, path: &str, map: &mut [usize]) {
    map[s] = o;
    let at = |key: &str| g[key][s].clone();
    assert_eq!(tree.n_node_samples(o) as f64, at("n_node_samples").as_f64().unwrap(), "samples at {path}");
    let w = at("weighted_n_node_samples").as_f64().unwrap();
    assert!((tree.weighted_n_node_samples(o) - w).abs() < 1e-9 * (1.0 + w), "weight at {path}");
    let imp = at("impurity").as_f64().unwrap();
    assert!(
        (tree.impurity(o) - imp).abs() < 1e-9 * (1.0 + imp.abs()),
        "impurity at {path}: {} vs {imp}",
        tree.impurity(o)
    );
    let value = floats(&at("value"));
    for (a, b) in tree.value(o).iter().zip(&value) {
        assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "value at {path}: {:?} vs {value:?}", tree.value(o));
    }
    let left = at("children_left").as_i64().unwrap();
    match tree.split(o) {
        None => assert_eq!(left, -1, "ours is a leaf at {path}, scikit-learn's is not"),
        Some((f, t)) => {
            assert!(left >= 0, "scikit-learn's is a leaf at {path}, ours is not");
            assert_eq!(f as u64, at("feature").as_u64().unwrap(), "feature at {path}");
            // `null`: scikit-learn's +inf, the split of the missing samples alone.
            let st = at("threshold").as_f64().unwrap_or(f64::INFINITY);
            if st.is_infinite() {
                assert_eq!(t, f64::INFINITY, "threshold at {path}");
            } else {
                assert!((t - st).abs() < 1e-5 * (1.0 + t.abs()), "threshold at {path}: {t} vs {st}");
            }
            assert_eq!(
                tree.missing_go_to_left(o),
                at("missing_go_to_left").as_bool().unwrap(),
                "missing_go_to_left at {path}"
            );
            let (l, r) = tree.children(o).unwrap();
            same_tree(g, left as usize, tree, l, &format!("{path}L"), map);
            same_tree(g, at("children_right").as_u64().unwrap() as usize, tree, r, &format!("{path}R"), map);
        }
    }
}

#[test]
fn same_trees_and_predictions_as_scikit_learn() {
    let golden = golden();
    let cases = golden["trees"].as_array().unwrap();
    assert!(cases.len() >= 10);
    let mut missing_only = 0;
    for g in cases {
        let (x, y) = case_data(g);
        let p = &g["params"];
        let name = format!("{} {}", g["dataset"], p);
        let depth = p["max_depth"].as_u64().map(|d| d as usize);
        let leaves = p["max_leaf_nodes"].as_u64().map(|d| d as usize);
        let min_leaf = p["min_samples_leaf"].as_u64().unwrap_or(1) as usize;
        let w = g["weights"].is_array().then(|| Array1::from(floats(&g["weights"])));
        let probe = with_nan(x.clone(), &g["probe_nan_cells"]);
        let (tree, importances, leaves_of_probe, pred) = if g["kind"] == "classifier" {
            let criterion = if p["criterion"] == "entropy" { TreeCriterion::Entropy } else { TreeCriterion::Gini };
            let est = DecisionTreeClassifier::default()
                .criterion(criterion)
                .max_depth(depth)
                .max_leaf_nodes(leaves)
                .min_samples_leaf(min_leaf)
                .seed(0);
            let labels = y.mapv(|v| v as i64);
            let m = match &w {
                None => est.fit(&x, &labels).unwrap(),
                Some(w) => est.fit_weighted(&x, &labels, w).unwrap(),
            };
            let proba = m.predict_proba(&probe).unwrap();
            (m.tree().clone(), m.feature_importances().to_vec(), m.apply(&probe).unwrap(), proba)
        } else {
            let est = DecisionTreeRegressor::default()
                .max_depth(depth)
                .max_leaf_nodes(leaves)
                .min_samples_leaf(min_leaf)
                .seed(0);
            let m = match &w {
                None => est.fit(&x, &y).unwrap(),
                Some(w) => est.fit_weighted(&x, &y, w).unwrap(),
            };
            let pred = m.predict(&probe).unwrap().insert_axis(ndarray::Axis(1));
            (m.tree().clone(), m.feature_importances().to_vec(), m.apply(&probe).unwrap(), pred)
        };
        let mut map = vec![usize::MAX; g["feature"].as_array().unwrap().len()];
        same_tree(g, 0, &tree, 0, &name, &mut map);
        missing_only += (0..tree.node_count()).filter(|&i| tree.split(i).is_some_and(|(_, t)| t.is_infinite())).count();
        for (a, b) in importances.iter().zip(floats(&g["feature_importances"])) {
            assert!((a - b).abs() < 1e-6, "{name}: importances {importances:?}");
        }
        // Rows with NaN also in the columns that had none at training.
        for (r, (leaf, want)) in leaves_of_probe.iter().zip(g["probe_leaves"].as_array().unwrap()).enumerate() {
            assert_eq!(*leaf, map[want.as_u64().unwrap() as usize], "{name}: leaf of probe row {r}");
        }
        for (r, (got, want)) in pred.outer_iter().zip(g["probe_prediction"].as_array().unwrap()).enumerate() {
            let want = if want.is_array() { floats(want) } else { vec![want.as_f64().unwrap()] };
            for (a, b) in got.iter().zip(&want) {
                assert!(
                    (a - b).abs() < 1e-9 * (1.0 + b.abs()),
                    "{name}: prediction of probe row {r}: {got} vs {want:?}"
                );
            }
        }
    }
    assert!(missing_only >= 3, "the goldens exercise the split of the missing samples alone");
}

/// The leaf scikit-learn sends an all-NaN row to in a tree grown without NaN: the child with more
/// training samples at every node, ties to the right.
fn larger_child_leaf(tree: &Tree) -> usize {
    let mut i = 0;
    while let Some((l, r)) = tree.children(i) {
        assert_eq!(tree.missing_go_to_left(i), tree.n_node_samples(l) > tree.n_node_samples(r));
        i = if tree.n_node_samples(l) > tree.n_node_samples(r) { l } else { r };
    }
    i
}

#[test]
fn nan_at_predict_follows_the_larger_child_without_nan_in_training() {
    let data = load("wine");
    let m = DecisionTreeClassifier::default().seed(0).fit(&data.x, &data.labels()).unwrap();
    let tree = m.tree();
    let nan_rows = Array2::from_elem((3, data.x.ncols()), f64::NAN);
    let want = larger_child_leaf(tree);
    assert_eq!(m.apply(&nan_rows).unwrap().to_vec(), vec![want; 3]);
    assert_eq!(tree.apply_row(nan_rows.row(0)), want);
    // A NaN in one column only: the finite values route as before, the NaN by the node's side.
    let mut x = data.x.clone();
    let d = x.ncols();
    for r in 0..x.nrows() {
        x[[r, r % d]] = f64::NAN;
    }
    let leaves = m.apply(&x).unwrap();
    for (r, row) in x.outer_iter().enumerate() {
        let mut i = 0;
        while let Some((l, rr)) = tree.children(i) {
            let (f, t) = tree.split(i).unwrap();
            let v = row[f];
            let left = if v.is_nan() { tree.missing_go_to_left(i) } else { (v as f32) as f64 <= t };
            i = if left { l } else { rr };
        }
        assert_eq!(leaves[r], i, "row {r}");
    }
    let reg = DecisionTreeRegressor::default().max_depth(4).seed(0).fit(&data.x, &data.y).unwrap();
    let want = reg.tree().value(larger_child_leaf(reg.tree()))[0];
    assert_eq!(reg.predict(&nan_rows).unwrap().to_vec(), vec![want; 3]);
}

/// Noisy blobs with about `rate` of the entries of the first `nan_cols` columns missing.
fn blobs_with_nan(n: usize, m: usize, nan_cols: usize, rate: f64, seed: u64) -> (Array2<f64>, Array1<i64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let y: Array1<i64> = (0..n).map(|i| (i % 3) as i64).collect();
    let x = Array2::from_shape_fn((n, m), |(i, j)| {
        if j < nan_cols && rng.r#gen::<f64>() < rate {
            return f64::NAN;
        }
        let centre = if j < 3 && y[i] as usize == j { 1.0 } else { 0.0 };
        centre + rng.r#gen::<f64>() * 1.5
    });
    (x, y)
}

#[test]
fn every_predict_path_routes_nan_alike() {
    let (x, y) = blobs_with_nan(700, 6, 4, 0.2, 1);
    let yr = y.mapv(|v| v as f64);
    for splitter in [Splitter::Best, Splitter::Random] {
        let m = DecisionTreeClassifier::default().splitter(splitter).seed(3).fit(&x, &y).unwrap();
        let leaves = m.apply(&x).unwrap();
        for (r, row) in x.outer_iter().enumerate() {
            assert_eq!(leaves[r], m.tree().apply_row(row), "{splitter:?}: row {r}");
        }
        // The blocked walk (with and without NaN in a block) and row by row agree.
        let one_by_one: Vec<usize> =
            x.outer_iter().map(|row| m.apply(row.insert_axis(ndarray::Axis(0))).unwrap()[0]).collect();
        assert_eq!(leaves.to_vec(), one_by_one);
        let proba = m.predict_proba(&x).unwrap();
        let pred = m.predict(&x).unwrap();
        for r in 0..x.nrows() {
            assert_eq!(proba.row(r).to_vec(), m.tree().value(leaves[r]).to_vec());
            let best = (0..3).fold(0, |b, k| if proba[[r, k]] > proba[[r, b]] { k } else { b });
            assert_eq!(pred[r], best as i64);
        }
        assert!(m.score(&x, &y).unwrap() > 0.99, "a fully grown tree fits its training data");
    }
    // Forests: the mean of their trees' leaves, NaN routed by each tree.
    let forest = RandomForestClassifier::default().n_estimators(7).seed(2).fit(&x, &y).unwrap();
    let proba = forest.predict_proba(&x).unwrap();
    for r in (0..x.nrows()).step_by(37) {
        let mut mean = [0.0; 3];
        for t in forest.estimators() {
            let leaf = t.apply_row(x.row(r));
            mean.iter_mut().zip(t.value(leaf)).for_each(|(m, v)| *m += v / 7.0);
        }
        for k in 0..3 {
            assert!((proba[[r, k]] - mean[k]).abs() < 1e-12, "row {r}");
        }
    }
    let forest = ExtraTreesRegressor::default().n_estimators(5).seed(2).fit(&x, &yr).unwrap();
    let pred = forest.predict(&x).unwrap();
    for r in (0..x.nrows()).step_by(41) {
        let mean: f64 = forest.estimators().iter().map(|t| t.value(t.apply_row(x.row(r)))[0]).sum::<f64>() / 5.0;
        assert!((pred[r] - mean).abs() < 1e-12);
    }
}

#[test]
fn forests_with_nan_score_as_scikit_learn() {
    let golden = golden();
    for g in golden["forests"].as_array().unwrap() {
        let RefData { x, y, folds } = load(g["dataset"].as_str().unwrap());
        let x = with_nan(x, &g["nan_cells"]);
        let model = g["model"].as_str().unwrap();
        let n_estimators = g["params"]["n_estimators"].as_u64().unwrap() as usize;
        let mut means = Vec::new();
        for seed in 0..3u64 {
            let mut scores = Vec::new();
            for k in 0..5 {
                let tr: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != k).collect();
                let te: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == k).collect();
                let (xtr, xte) = (x.select(ndarray::Axis(0), &tr), x.select(ndarray::Axis(0), &te));
                let (ytr, yte) = (y.select(ndarray::Axis(0), &tr), y.select(ndarray::Axis(0), &te));
                let (ltr, lte) = (ytr.mapv(|v| v as i64), yte.mapv(|v| v as i64));
                scores.push(match model {
                    "RandomForestClassifier" => RandomForestClassifier::default()
                        .n_estimators(n_estimators)
                        .seed(seed)
                        .fit(&xtr, &ltr)
                        .unwrap()
                        .score(&xte, &lte)
                        .unwrap(),
                    "ExtraTreesClassifier" => ExtraTreesClassifier::default()
                        .n_estimators(n_estimators)
                        .seed(seed)
                        .fit(&xtr, &ltr)
                        .unwrap()
                        .score(&xte, &lte)
                        .unwrap(),
                    "RandomForestRegressor" => RandomForestRegressor::default()
                        .n_estimators(n_estimators)
                        .max_features(g["params"]["max_features"].as_f64().unwrap())
                        .seed(seed)
                        .fit(&xtr, &ytr)
                        .unwrap()
                        .score(&xte, &yte)
                        .unwrap(),
                    "ExtraTreesRegressor" => ExtraTreesRegressor::default()
                        .n_estimators(n_estimators)
                        .seed(seed)
                        .fit(&xtr, &ytr)
                        .unwrap()
                        .score(&xte, &yte)
                        .unwrap(),
                    other => panic!("unknown model {other}"),
                });
            }
            means.push(scores.iter().sum::<f64>() / 5.0);
        }
        let mean = means.iter().sum::<f64>() / means.len() as f64;
        let (lo, hi) = (g["min"].as_f64().unwrap(), g["max"].as_f64().unwrap());
        // Other random streams than scikit-learn's: the mean over seeds must fall near its range.
        let slack = 0.02;
        assert!(
            mean >= lo - slack && mean <= hi + slack,
            "{model} on {}: {mean:.4} (seeds {means:?}) vs scikit-learn {lo:.4}..{hi:.4}",
            g["dataset"]
        );
    }
}

#[test]
fn forests_with_nan_do_not_depend_on_thread_count() {
    let (x, y) = blobs_with_nan(500, 6, 6, 0.25, 4);
    let yr = y.mapv(|v| v as f64) + x.column(5).mapv(|v| if v.is_nan() { 2.0 } else { v });
    let a = RandomForestClassifier::default().n_estimators(12).seed(7).n_jobs(1).fit(&x, &y).unwrap();
    let b = RandomForestClassifier::default().n_estimators(12).seed(7).n_jobs(2).fit(&x, &y).unwrap();
    assert_eq!(a.predict_proba(&x).unwrap(), b.predict_proba(&x).unwrap());
    assert_eq!(a.feature_importances(), b.feature_importances());
    let fit = |jobs| ExtraTreesRegressor::default().n_estimators(8).seed(7).n_jobs(jobs).fit(&x, &yr).unwrap();
    assert_eq!(fit(1).predict(&x).unwrap(), fit(2).predict(&x).unwrap());
    let fit = |jobs| {
        RandomForestRegressor::default().n_estimators(8).oob_score(true).seed(7).n_jobs(jobs).fit(&x, &yr).unwrap()
    };
    let (c, d) = (fit(1), fit(2));
    assert_eq!(c.predict(&x).unwrap(), d.predict(&x).unwrap());
    assert_eq!(c.oob_score(), d.oob_score());
    // Refitting is bit-identical.
    let e = RandomForestClassifier::default().n_estimators(12).seed(7).n_jobs(2).fit(&x, &y).unwrap();
    assert_eq!(b.predict_proba(&x).unwrap(), e.predict_proba(&x).unwrap());
}

#[test]
fn infinity_is_still_an_error_and_linfa_rejects_nan() {
    let (mut x, y) = blobs_with_nan(60, 3, 2, 0.2, 5);
    let yr = y.mapv(|v| v as f64);
    let clf = DecisionTreeClassifier::default().seed(0).fit(&x, &y).unwrap();
    let reg = DecisionTreeRegressor::default().seed(0).fit(&x, &yr).unwrap();
    let rf = RandomForestClassifier::default().n_estimators(3).seed(0).fit(&x, &y).unwrap();
    let et = ExtraTreesRegressor::default().n_estimators(3).seed(0).fit(&x, &yr).unwrap();
    let mut bad = x.clone();
    bad[[4, 2]] = f64::NEG_INFINITY;
    let non_finite =
        |r: Result<(), Error>| matches!(r, Err(Error::NonFinite { input: Input::X, row: 4, column: Some(2), .. }));
    assert!(non_finite(clf.predict(&bad).map(|_| ())));
    assert!(non_finite(reg.predict(&bad).map(|_| ())));
    assert!(non_finite(rf.predict_proba(&bad).map(|_| ())));
    assert!(non_finite(et.predict(&bad).map(|_| ())));
    assert!(non_finite(clf.apply(&bad).map(|_| ())));
    x[[4, 2]] = f64::INFINITY;
    assert!(non_finite(DecisionTreeClassifier::default().fit(&x, &y).map(|_| ())));
    assert!(non_finite(RandomForestRegressor::default().n_estimators(2).fit(&x, &yr).map(|_| ())));
    assert!(non_finite(ExtraTreesClassifier::default().n_estimators(2).fit(&x, &y).map(|_| ())));
    // linfa-trees has no rule for NaN: the linfa backend keeps rejecting it.
    let mut x = x.mapv(|v| if v.is_finite() { v } else { 0.0 });
    let linfa = DecisionTreeClassifier::default().backend(TreeBackend::Linfa);
    assert!(!linfa.tags().allow_nan);
    let fitted = linfa.fit(&x, &y).unwrap();
    x[[4, 2]] = f64::NAN;
    assert!(non_finite(linfa.fit(&x, &y).map(|_| ())));
    assert!(non_finite(fitted.predict(&x).map(|_| ())));
}

#[test]
fn serde_keeps_the_missing_sides_and_the_missing_only_split() {
    let golden = golden();
    let g = golden["trees"].as_array().unwrap().iter().find(|g| g["dataset"] == "synthetic0").expect("synthetic0");
    let (x, y) = case_data(g);
    let m = DecisionTreeClassifier::default().max_depth(3).seed(0).fit(&x, &y.mapv(|v| v as i64)).unwrap();
    assert!((0..m.tree().node_count()).any(|i| m.tree().split(i).is_some_and(|(_, t)| t == f64::INFINITY)));
    let json = serde_json::to_string(&m).unwrap();
    let back: FittedDecisionTreeClassifier<i64> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.tree(), m.tree());
    assert_eq!(back.predict_proba(&x).unwrap(), m.predict_proba(&x).unwrap());
    // A model saved before missing values were supported (no `missing_go_to_left`) still loads.
    let mut v: Value = serde_json::from_str(&json).unwrap();
    for node in v["tree"]["nodes"].as_array_mut().unwrap() {
        node.as_object_mut().unwrap().remove("missing_go_to_left");
    }
    let old: FittedDecisionTreeClassifier<i64> = serde_json::from_value(v).unwrap();
    let finite = x.mapv(|v| if v.is_nan() { 0.0 } else { v });
    assert_eq!(old.predict(&finite).unwrap(), m.predict(&finite).unwrap());
}
