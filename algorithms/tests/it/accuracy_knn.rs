//! KNN against scikit-learn on the reference datasets: fixed 5 folds behind a StandardScaler,
//! mean accuracy within 1.5 points of scikit-learn's and the same out-of-fold predictions on at
//! least 99% of rows (golden file from `scripts/golden_knn_cluster.py`).

use ndarray::{Array1, Axis};
use oxlearn_algorithms::{KNeighborsClassifier, KNeighborsRegressor, KnnAlgorithm, KnnWeights};
use oxlearn_core::prelude::*;

use crate::common::{load, mean, split};

pub fn golden() -> serde_json::Value {
    serde_json::from_str(include_str!("data/knn_cluster_golden.json")).expect("golden json")
}

pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

/// Out-of-fold predictions and per-fold scores of `model` behind a StandardScaler.
fn oof_classifier(name: &str, model: &KNeighborsClassifier) -> (Vec<i64>, Vec<f64>) {
    let data = load(name);
    let mut pred = vec![0i64; data.x.nrows()];
    let scores = crate::common::cv_scores(&data, |xtr, ytr, xte, yte| {
        let ytr = ytr.mapv(|v| v as i64);
        let fitted = model.fit(xtr, &ytr).expect("knn fits");
        let p = fitted.predict(xte).expect("knn predicts");
        let yte = yte.mapv(|v| v as i64);
        p.iter().zip(yte.iter()).filter(|(a, b)| a == b).count() as f64 / yte.len() as f64
    });
    // Second pass to collect the predictions in row order.
    for k in 0..5 {
        let (train, test) = split(&data.folds, k);
        let xtr = data.x.select(Axis(0), &train);
        let xte = data.x.select(Axis(0), &test);
        let scaler = oxlearn_preprocessing::StandardScaler::default().fit(&xtr).expect("scaler");
        let (xtr, xte) = (scaler.transform(&xtr).expect("scaled"), scaler.transform(&xte).expect("scaled"));
        let ytr: Array1<i64> = data.labels().select(Axis(0), &train);
        let p = model.fit(&xtr, &ytr).expect("knn fits").predict(&xte).expect("knn predicts");
        for (i, &row) in test.iter().enumerate() {
            pred[row] = p[i];
        }
    }
    (pred, scores)
}

fn check_classifier(name: &str, variant: &str, model: KNeighborsClassifier) {
    let g = golden();
    let case = &g["knn"][format!("{name}/{variant}")];
    let want: Vec<i64> = case["pred"].as_array().expect("pred").iter().map(|v| v.as_i64().expect("int")).collect();
    let sk_mean = mean(&floats(&case["fold_scores"]));
    let (pred, scores) = oof_classifier(name, &model);
    let agree = pred.iter().zip(&want).filter(|(a, b)| a == b).count() as f64 / want.len() as f64;
    let ours = mean(&scores);
    assert!(
        agree >= 0.99,
        "{name}/{variant}: {:.2}% of out-of-fold predictions agree with scikit-learn",
        agree * 100.0
    );
    assert!((ours - sk_mean).abs() <= 0.015, "{name}/{variant}: accuracy {ours:.4} vs scikit-learn {sk_mean:.4}");
}

#[test]
fn knn5_iris() {
    check_classifier("iris", "uniform", KNeighborsClassifier::default());
    check_classifier("iris", "uniform", KNeighborsClassifier::default().algorithm(KnnAlgorithm::Brute));
    check_classifier("iris", "distance", KNeighborsClassifier::default().weights(KnnWeights::Distance));
    check_classifier("iris", "manhattan", KNeighborsClassifier::default().p(1.0));
}

#[test]
fn knn5_wine() {
    check_classifier("wine", "uniform", KNeighborsClassifier::default());
    check_classifier("wine", "uniform", KNeighborsClassifier::default().algorithm(KnnAlgorithm::Brute));
    check_classifier("wine", "distance", KNeighborsClassifier::default().weights(KnnWeights::Distance));
    check_classifier("wine", "manhattan", KNeighborsClassifier::default().p(1.0));
}

#[test]
fn knn5_breast_cancer() {
    check_classifier("breast_cancer", "uniform", KNeighborsClassifier::default());
    check_classifier("breast_cancer", "uniform", KNeighborsClassifier::default().algorithm(KnnAlgorithm::KdTree));
    check_classifier("breast_cancer", "distance", KNeighborsClassifier::default().weights(KnnWeights::Distance));
    check_classifier("breast_cancer", "manhattan", KNeighborsClassifier::default().p(1.0));
}

#[test]
fn knn5_digits() {
    check_classifier("digits", "uniform", KNeighborsClassifier::default());
}

#[test]
fn knn5_regressor_diabetes() {
    let g = golden();
    let data = load("diabetes");
    for (variant, model) in [
        ("uniform", KNeighborsRegressor::default()),
        ("distance", KNeighborsRegressor::default().weights(KnnWeights::Distance)),
    ] {
        let case = &g["knn_regressor"][format!("diabetes/{variant}")];
        let want = floats(&case["pred"]);
        let mut close = 0;
        for k in 0..5 {
            let (train, test) = split(&data.folds, k);
            let xtr = data.x.select(Axis(0), &train);
            let xte = data.x.select(Axis(0), &test);
            let scaler = oxlearn_preprocessing::StandardScaler::default().fit(&xtr).expect("scaler");
            let (xtr, xte) = (scaler.transform(&xtr).expect("scaled"), scaler.transform(&xte).expect("scaled"));
            let p = model.fit(&xtr, &data.y.select(Axis(0), &train)).expect("fits").predict(&xte).expect("predicts");
            close += test
                .iter()
                .enumerate()
                .filter(|&(i, &row)| (p[i] - want[row]).abs() <= 1e-9 * want[row].abs().max(1.0))
                .count();
        }
        let frac = close as f64 / want.len() as f64;
        assert!(frac >= 0.99, "diabetes/{variant}: {:.2}% of predictions match scikit-learn", frac * 100.0);
    }
}
