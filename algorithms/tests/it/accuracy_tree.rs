//! Trees and forests against scikit-learn's reference scores: fixed 5 folds behind a
//! StandardScaler, mean accuracy within 1.5 points (R^2 within 0.02). Seed 0 everywhere except
//! the single regression tree, whose score depends on its seed far more than 0.02 and is
//! compared over 100 seeds; these bars are met by the algorithm, not by a tuned seed.

use oxlearn_algorithms::{
    DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreesClassifier, RandomForestClassifier, RandomForestRegressor,
};
use oxlearn_core::prelude::*;

use crate::common::{cv_scores, load, mean};

fn classifier_mean(
    name: &str,
    fit_score: impl Fn(&ndarray::Array2<f64>, &ndarray::Array1<i64>, &ndarray::Array2<f64>, &ndarray::Array1<i64>) -> f64,
) -> f64 {
    let data = load(name);
    let scores =
        cv_scores(&data, |xtr, ytr, xte, yte| fit_score(xtr, &ytr.mapv(|v| v as i64), xte, &yte.mapv(|v| v as i64)));
    mean(&scores)
}

fn close(what: &str, got: f64, reference: f64, tol: f64) {
    println!("{what}: {got:.4} (scikit-learn {reference:.4})");
    assert!((got - reference).abs() <= tol, "{what}: {got:.4} vs scikit-learn {reference:.4} (tolerance {tol})");
}

const TREE: [(&str, f64); 4] = [("iris", 0.9333), ("wine", 0.9273), ("breast_cancer", 0.9262), ("digits", 0.8603)];
const FOREST: [(&str, f64); 4] = [("iris", 0.9400), ("wine", 0.9719), ("breast_cancer", 0.9649), ("digits", 0.9750)];

#[test]
fn decision_tree_classifier_accuracy() {
    for (name, reference) in TREE {
        let got = classifier_mean(name, |x, y, xt, yt| {
            DecisionTreeClassifier::default().seed(0).fit(x, y).unwrap().score(xt, yt).unwrap()
        });
        close(&format!("DecisionTreeClassifier {name}"), got, reference, 0.015);
    }
}

#[test]
fn random_forest_classifier_accuracy() {
    for (name, reference) in FOREST {
        let got = classifier_mean(name, |x, y, xt, yt| {
            RandomForestClassifier::default().seed(0).fit(x, y).unwrap().score(xt, yt).unwrap()
        });
        close(&format!("RandomForestClassifier {name}"), got, reference, 0.015);
    }
}

#[test]
fn extra_trees_classifier_accuracy() {
    // No reference row: extra-trees should do at least as well as a random forest, less 1.5 points.
    for (name, forest) in FOREST {
        let got = classifier_mean(name, |x, y, xt, yt| {
            ExtraTreesClassifier::default().seed(0).fit(x, y).unwrap().score(xt, yt).unwrap()
        });
        println!("ExtraTreesClassifier {name}: {got:.4} (random forest reference {forest:.4})");
        assert!(got >= forest - 0.015, "ExtraTreesClassifier {name}: {got:.4}");
    }
}

#[test]
fn decision_tree_regressor_r2() {
    // A fully grown regression tree on diabetes has hundreds of small nodes whose split feature is
    // a tie broken by the random feature order, so its R^2 moves with the seed: over
    // random_state 0..99 scikit-learn's 5-fold mean is -0.186 (std 0.029, range -0.250..-0.106),
    // and the reference table's -0.144 is random_state 0, a lucky draw. A different random
    // generator can only be compared with that distribution: our mean over seeds 0..99 must be
    // within 0.02 of scikit-learn's (the standard error of each mean is about 0.003), and seed 0
    // must fall inside scikit-learn's range. Golden numbers: scripts/tree_golden.py.
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("data/tree_seed_scores.json")).expect("seed scores json");
    let field = |k: &str| golden[k].as_f64().expect("a number");
    let seeds = golden["random_states"].as_u64().expect("a count");
    let data = load("diabetes");
    let per_seed: Vec<f64> = (0..seeds)
        .map(|seed| {
            mean(&cv_scores(&data, |x, y, xt, yt| {
                DecisionTreeRegressor::default().seed(seed).fit(x, y).unwrap().score(xt, yt).unwrap()
            }))
        })
        .collect();
    close("DecisionTreeRegressor diabetes, mean over seeds", mean(&per_seed), field("mean"), 0.02);
    let seed0 = per_seed[0];
    println!("seed 0: {seed0:.4} (scikit-learn's range {:.4}..{:.4})", field("min"), field("max"));
    assert!((field("min")..=field("max")).contains(&seed0), "seed 0 gives {seed0:.4}");
}

#[test]
fn random_forest_regressor_r2() {
    let data = load("diabetes");
    let forest = mean(&cv_scores(&data, |x, y, xt, yt| {
        RandomForestRegressor::default().seed(0).fit(x, y).unwrap().score(xt, yt).unwrap()
    }));
    close("RandomForestRegressor diabetes", forest, 0.4180, 0.02);
}
