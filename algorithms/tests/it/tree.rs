//! Trees and forests: scikit-learn golden trees, linfa-trees as an oracle, parameter semantics,
//! thread-count independence, out-of-bag scores.

use ndarray::{Array1, Array2, Axis};
use oxlearn_algorithms::tree::SampleCount;
use oxlearn_algorithms::{
    DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreesClassifier, ExtraTreesRegressor, MaxFeatures,
    RandomForestClassifier, RandomForestRegressor, Tree, TreeBackend, TreeCriterion,
};
use oxlearn_core::prelude::*;
use oxlearn_core::{ParamValue, ProbabilisticClassifier};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::Value;

use crate::common::load;

/// Two noisy Gaussian blobs in `m` dimensions, continuous values (no ties).
fn blobs(n: usize, m: usize, seed: u64) -> (Array2<f64>, Array1<i64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let y: Array1<i64> = (0..n).map(|i| (i % 2) as i64).collect();
    let x = Array2::from_shape_fn((n, m), |(i, j)| {
        let centre = if y[i] == 1 && j < 2 { 1.0 } else { 0.0 };
        centre + rng.r#gen::<f64>() * 1.5
    });
    (x, y)
}

fn golden() -> Vec<Value> {
    serde_json::from_str(include_str!("data/tree_golden.json")).expect("golden json")
}

fn list(v: &Value, key: &str) -> Vec<f64> {
    v[key].as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

/// Walks scikit-learn's tree (node `s`) and ours (node `o`) together.
fn same_tree(g: &Value, s: usize, tree: &Tree, o: usize, path: &str) {
    let left = list(g, "children_left");
    let right = list(g, "children_right");
    let feature = list(g, "feature");
    let threshold = list(g, "threshold");
    let impurity = list(g, "impurity");
    let n_samples = list(g, "n_node_samples");
    let value: Vec<Vec<f64>> = g["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
        .collect();
    assert_eq!(tree.n_node_samples(o) as f64, n_samples[s], "samples at {path}");
    assert!(
        (tree.impurity(o) - impurity[s]).abs() < 1e-9 * (1.0 + impurity[s].abs()),
        "impurity at {path}: {} vs {}",
        tree.impurity(o),
        impurity[s]
    );
    for (a, b) in tree.value(o).iter().zip(&value[s]) {
        assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "value at {path}: {:?} vs {:?}", tree.value(o), value[s]);
    }
    match tree.split(o) {
        None => assert_eq!(left[s], -1.0, "ours is a leaf at {path}, scikit-learn's is not"),
        Some((f, t)) => {
            assert!(left[s] >= 0.0, "scikit-learn's is a leaf at {path}, ours is not");
            assert_eq!(f as f64, feature[s], "feature at {path}");
            // scikit-learn splits float32 copies of X: thresholds agree to float32 precision.
            assert!((t - threshold[s]).abs() < 1e-5 * (1.0 + t.abs()), "threshold at {path}: {t} vs {}", threshold[s]);
            let (l, r) = tree.children(o).unwrap();
            same_tree(g, left[s] as usize, tree, l, &format!("{path}L"));
            same_tree(g, right[s] as usize, tree, r, &format!("{path}R"));
        }
    }
}

#[test]
fn same_trees_as_scikit_learn() {
    for g in golden() {
        let data = load(g["dataset"].as_str().unwrap());
        let p = &g["params"];
        let depth = p["max_depth"].as_u64().map(|d| d as usize);
        let leaves = p["max_leaf_nodes"].as_u64().map(|d| d as usize);
        let min_leaf = p["min_samples_leaf"].as_u64().unwrap_or(1) as usize;
        let (tree, importances, got_depth, got_leaves) = if g["kind"] == "classifier" {
            let criterion = if p["criterion"] == "entropy" { TreeCriterion::Entropy } else { TreeCriterion::Gini };
            let m = DecisionTreeClassifier::default()
                .criterion(criterion)
                .max_depth(depth)
                .max_leaf_nodes(leaves)
                .min_samples_leaf(min_leaf)
                .seed(0)
                .fit(&data.x, &data.labels())
                .unwrap();
            (m.tree().clone(), m.feature_importances().to_vec(), m.get_depth(), m.get_n_leaves())
        } else {
            let m = DecisionTreeRegressor::default()
                .max_depth(depth)
                .max_leaf_nodes(leaves)
                .min_samples_leaf(min_leaf)
                .seed(0)
                .fit(&data.x, &data.y)
                .unwrap();
            (m.tree().clone(), m.feature_importances().to_vec(), m.get_depth(), m.get_n_leaves())
        };
        let name = format!("{} {}", g["dataset"], g["params"]);
        same_tree(&g, 0, &tree, 0, &name);
        assert_eq!(got_depth as u64, g["depth"].as_u64().unwrap(), "{name}");
        assert_eq!(got_leaves as u64, g["n_leaves"].as_u64().unwrap(), "{name}");
        for (a, b) in importances.iter().zip(list(&g, "feature_importances")) {
            assert!((a - b).abs() < 1e-6, "{name}: importances {importances:?}");
        }
    }
}

#[test]
fn linfa_backend_matches_linfa_and_native() {
    use linfa::prelude::*;
    let (x, y) = blobs(120, 4, 3);
    let (xt, _) = blobs(200, 4, 4);
    // The backend reproduces linfa's own predictions.
    let backend = DecisionTreeClassifier::default().backend(TreeBackend::Linfa).fit(&x, &y).unwrap();
    let targets: Array1<usize> = y.mapv(|v| v as usize);
    let oracle = linfa_trees::DecisionTree::params().fit(&linfa::Dataset::new(x.clone(), targets)).unwrap();
    let expected: Array1<usize> = oracle.predict(&xt);
    assert_eq!(backend.predict(&xt).unwrap().mapv(|v| v as usize), expected);
    assert_eq!(backend.predict(&x).unwrap(), y);
    let proba = backend.predict_proba(&xt).unwrap();
    assert!(proba.rows().into_iter().all(|r| (r.sum() - 1.0).abs() < 1e-12));

    // Same trees as our CART where no two features tie: one feature grown in full, or a few
    // features with a depth limit and large leaves (deep nodes of a few samples tie between
    // features, which linfa breaks by index and we by the seeded feature order).
    let x1 = x.slice(ndarray::s![.., 0..1]).to_owned();
    let xt1 = xt.slice(ndarray::s![.., 0..1]).to_owned();
    let native = DecisionTreeClassifier::default().seed(0).fit(&x1, &y).unwrap();
    let backend = DecisionTreeClassifier::default().backend(TreeBackend::Linfa).fit(&x1, &y).unwrap();
    assert_eq!(native.predict(&xt1).unwrap(), backend.predict(&xt1).unwrap());
    assert_eq!(native.get_depth(), backend.get_depth());
    for criterion in [TreeCriterion::Gini, TreeCriterion::Entropy] {
        let params = DecisionTreeClassifier::default().criterion(criterion).max_depth(3).min_samples_leaf(8);
        let native = params.clone().seed(0).fit(&x, &y).unwrap();
        let backend = params.backend(TreeBackend::Linfa).fit(&x, &y).unwrap();
        // (Importances differ where linfa pruned sibling leaves of the same class.)
        assert_eq!(native.predict(&xt).unwrap(), backend.predict(&xt).unwrap(), "{criterion:?}");
        assert_eq!(
            native.predict_proba(&x).unwrap().column(1).iter().map(|&p| p > 0.5).collect::<Vec<_>>(),
            backend.predict(&x).unwrap().iter().map(|&c| c == 1).collect::<Vec<_>>()
        );
    }
}

#[test]
fn parameters_shape_the_tree() {
    let (x, y) = blobs(300, 5, 1);
    let full = DecisionTreeClassifier::default().seed(0).fit(&x, &y).unwrap();
    assert_eq!(full.score(&x, &y).unwrap(), 1.0);
    let shallow = DecisionTreeClassifier::default().max_depth(2).seed(0).fit(&x, &y).unwrap();
    assert_eq!(shallow.get_depth(), 2);
    assert!(shallow.get_n_leaves() <= 4);
    let leafy = DecisionTreeClassifier::default().min_samples_leaf(10).seed(0).fit(&x, &y).unwrap();
    let t = leafy.tree();
    assert!((0..t.node_count()).filter(|&i| t.is_leaf(i)).all(|i| t.n_node_samples(i) >= 10));
    let frac = DecisionTreeClassifier::default().min_samples_leaf(0.05).seed(0).fit(&x, &y).unwrap();
    let t = frac.tree();
    assert!((0..t.node_count()).filter(|&i| t.is_leaf(i)).all(|i| t.n_node_samples(i) >= 15));
    let best_first = DecisionTreeClassifier::default().max_leaf_nodes(7).seed(0).fit(&x, &y).unwrap();
    assert_eq!(best_first.get_n_leaves(), 7);
    let split =
        DecisionTreeClassifier::default().min_samples_split(SampleCount::Count(50)).seed(0).fit(&x, &y).unwrap();
    let t = split.tree();
    assert!((0..t.node_count()).filter(|&i| !t.is_leaf(i)).all(|i| t.n_node_samples(i) >= 50));
    let decrease = DecisionTreeClassifier::default().min_impurity_decrease(0.01).seed(0).fit(&x, &y).unwrap();
    assert!(decrease.get_n_leaves() < full.get_n_leaves());
    let imp = full.feature_importances();
    assert!((imp.sum() - 1.0).abs() < 1e-12);
    // The informative features (0 and 1) carry most of the importance.
    assert!(imp[0] + imp[1] > 0.5, "{imp:?}");
    assert_eq!(
        DecisionTreeClassifier::default().max_features(MaxFeatures::Sqrt).seed(0).fit(&x, &y).unwrap().max_features(),
        2
    );
    assert_eq!(
        DecisionTreeClassifier::default().max_features(MaxFeatures::Log2).seed(0).fit(&x, &y).unwrap().max_features(),
        2
    );
    assert_eq!(DecisionTreeClassifier::default().max_features(0.5).seed(0).fit(&x, &y).unwrap().max_features(), 2);
    // apply() returns leaves.
    let leaves = full.apply(&x).unwrap();
    assert!(leaves.iter().all(|&l| full.tree().is_leaf(l)));
    // set_param by scikit-learn names.
    let mut est = DecisionTreeClassifier::default();
    est.set_param("max_depth", &ParamValue::Int(3)).unwrap();
    est.set_param("criterion", &"entropy".into()).unwrap();
    est.set_param("max_features", &"sqrt".into()).unwrap();
    est.set_param("min_samples_leaf", &ParamValue::Float(0.1)).unwrap();
    assert_eq!(
        est,
        DecisionTreeClassifier::default()
            .max_depth(3)
            .criterion(TreeCriterion::Entropy)
            .max_features(MaxFeatures::Sqrt)
            .min_samples_leaf(0.1)
    );
    assert!(est.set_param("criterion", &"mae".into()).is_err());
    assert!(est.set_param("n_estimators", &ParamValue::Int(3)).is_err());
}

#[test]
fn zero_variance_and_constant_target() {
    let x = Array2::from_elem((10, 3), 1.0);
    let y = Array1::from_shape_fn(10, |i| (i % 2) as i64);
    let m = DecisionTreeClassifier::default().seed(0).fit(&x, &y).unwrap();
    assert_eq!(m.get_n_leaves(), 1);
    assert_eq!(m.predict_proba(&x).unwrap().row(0).to_vec(), vec![0.5, 0.5]);
    assert_eq!(m.feature_importances().to_vec(), vec![0.0; 3]);
    let yr = Array1::from_elem(10, 2.5);
    let xr = Array2::from_shape_fn((10, 2), |(i, j)| (i * (j + 1)) as f64);
    let r = DecisionTreeRegressor::default().seed(0).fit(&xr, &yr).unwrap();
    assert_eq!(r.get_n_leaves(), 1);
    assert_eq!(r.predict(&xr).unwrap()[3], 2.5);
}

#[test]
fn forests_do_not_depend_on_thread_count() {
    let (x, y) = blobs(400, 6, 5);
    let fit = |jobs| RandomForestClassifier::default().n_estimators(16).seed(7).n_jobs(jobs).fit(&x, &y).unwrap();
    let (a, b) = (fit(1), fit(2));
    assert_eq!(a.predict_proba(&x).unwrap(), b.predict_proba(&x).unwrap());
    assert_eq!(a.feature_importances(), b.feature_importances());
    let yr = x.column(0).mapv(|v| 3.0 * v) + x.column(1);
    let fit = |jobs| ExtraTreesRegressor::default().n_estimators(8).seed(7).n_jobs(jobs).fit(&x, &yr).unwrap();
    assert_eq!(fit(1).predict(&x).unwrap(), fit(2).predict(&x).unwrap());
    // Another seed, another forest.
    let c = RandomForestClassifier::default().n_estimators(16).seed(8).n_jobs(1).fit(&x, &y).unwrap();
    assert_ne!(a.predict_proba(&x).unwrap(), c.predict_proba(&x).unwrap());
}

#[test]
fn out_of_bag_scores() {
    let (x, y) = blobs(600, 5, 9);
    let (xt, yt) = blobs(600, 5, 10);
    let rf = RandomForestClassifier::default().n_estimators(50).oob_score(true).seed(0).fit(&x, &y).unwrap();
    let oob = rf.oob_score().unwrap();
    let test = rf.score(&xt, &yt).unwrap();
    assert!((oob - test).abs() < 0.06, "oob {oob} vs held out {test}");
    assert_eq!(rf.oob_decision_function().unwrap().dim(), (600, 2));
    assert_eq!(rf.estimators().len(), 50);
    let yr = x.column(0).mapv(|v| 3.0 * v) + x.column(1);
    let ytr = xt.column(0).mapv(|v| 3.0 * v) + xt.column(1);
    let rr = RandomForestRegressor::default().n_estimators(50).oob_score(true).seed(0).fit(&x, &yr).unwrap();
    let (oob, test) = (rr.oob_score().unwrap(), rr.score(&xt, &ytr).unwrap());
    assert!(oob > 0.8 && (oob - test).abs() < 0.06, "oob {oob} vs held out {test}");
    assert!(RandomForestClassifier::default().seed(0).fit(&x, &y).unwrap().oob_score().is_none());
}

#[test]
fn forest_probabilities_average_the_trees() {
    let (x, y) = blobs(200, 4, 11);
    let rf = RandomForestClassifier::default()
        .n_estimators(5)
        .max_samples(SampleCount::Fraction(0.5))
        .seed(3)
        .fit(&x, &y)
        .unwrap();
    let proba = rf.predict_proba(&x).unwrap();
    let manual = rf.estimators().iter().fold(Array2::<f64>::zeros((200, 2)), |mut acc, t| {
        for (i, row) in x.axis_iter(Axis(0)).enumerate() {
            let leaf = t.apply_row(row);
            for (a, v) in acc.row_mut(i).iter_mut().zip(t.value(leaf)) {
                *a += v / 5.0;
            }
        }
        acc
    });
    assert!(proba.iter().zip(&manual).all(|(a, b)| (a - b).abs() < 1e-12));
    assert!((rf.feature_importances().sum() - 1.0).abs() < 1e-12);
    // Half-size bootstrap samples.
    assert!(rf.estimators().iter().all(|t| t.weighted_n_node_samples(0) == 100.0));
    let et = ExtraTreesClassifier::default().n_estimators(10).seed(0).fit(&x, &y).unwrap();
    assert!(et.score(&x, &y).unwrap() == 1.0);
    fn probabilistic<L: oxlearn_core::ClassLabel, T: ProbabilisticClassifier<L>>(_: &T) {}
    probabilistic(&et);
}

#[test]
fn forests_report_each_tree_and_can_stop() {
    use std::ops::ControlFlow;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use oxlearn_core::{Callback, Progress};

    let (x, y) = blobs(200, 4, 11);
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let callback = Callback::new(move |p: &Progress<'_>| {
        assert_eq!((p.estimator, p.total), ("RandomForestClassifier", Some(12)));
        counter.fetch_add(1, Ordering::Relaxed);
        ControlFlow::Continue(())
    });
    let forest = RandomForestClassifier::default().n_estimators(12).seed(0).callback(callback).fit(&x, &y).unwrap();
    assert_eq!((seen.load(Ordering::Relaxed), forest.estimators().len()), (12, 12));
    // Stopping after the third finished tree on one thread keeps exactly three trees.
    let stop = Callback::new(
        |p: &Progress<'_>| if p.iteration >= 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) },
    );
    let cut = RandomForestRegressor::default().n_estimators(12).seed(0).n_jobs(1).callback(stop);
    let forest = cut.fit(&x, &y.mapv(|v| v as f64)).unwrap();
    assert_eq!(forest.estimators().len(), 3);
}

#[test]
fn halfway_samples_go_left_as_in_scikit_learn() {
    // Trees compare f32 values with thresholds at f32 midpoints (scikit-learn's float32 trees):
    // a test value exactly halfway between two training values goes left, even after a scaling
    // whose f64 rounding would put the f64 midpoint a hair below it.
    let x = ndarray::array![[1.0], [3.0]];
    let y = ndarray::array![10.0, 20.0];
    let tree = DecisionTreeRegressor::default().fit(&x, &y).unwrap();
    assert_eq!(tree.tree().split(0), Some((0, 2.0)));
    assert_eq!(
        tree.predict(&ndarray::array![[2.0], [2.0000001], [2.000001]]).unwrap().to_vec(),
        vec![10.0, 10.0, 20.0]
    );
    let (a, b) = (0.1f64, 0.7f64);
    let xs = ndarray::array![[a], [b]];
    let mid = a / 2.0 + b / 2.0;
    let tree = DecisionTreeRegressor::default().fit(&xs, &y).unwrap();
    let (_, threshold) = tree.tree().split(0).unwrap();
    assert_eq!(threshold, f64::from(a as f32) / 2.0 + f64::from(b as f32) / 2.0);
    assert_eq!(
        tree.predict(&ndarray::array![[mid]]).unwrap()[0],
        if f64::from(mid as f32) <= threshold { 10.0 } else { 20.0 }
    );
}
