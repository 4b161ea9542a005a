//! scikit-learn's MLP scores on the embedded datasets (../shared/reference/reference_scores.md):
//! MLP (64,) with max_iter 300 and seed 0 behind a standard scaler fitted on the training folds,
//! on the same 5 folds.

use ndarray::Array1;
use oxlearn_core::prelude::*;
use oxlearn_nn::{MlpClassifier, MlpRegressor};

use crate::data::{self, Dataset, standardize};

fn classifier_cv(d: &Dataset) -> (f64, Vec<f64>) {
    let mut scores = Vec::new();
    for k in 0..5 {
        let (xa, ya, xb, yb) = d.split(k);
        let (xa, xb) = standardize(&xa, &xb);
        let model = MlpClassifier::default()
            .hidden_layer_sizes([64])
            .max_iter(300)
            .seed(0)
            .fit(&xa, &Dataset::labels(&ya))
            .unwrap();
        scores.push(model.score(&xb, &Dataset::labels(&yb)).unwrap());
    }
    (scores.iter().sum::<f64>() / 5.0, scores)
}

fn assert_close_to_sklearn(name: &str, d: Dataset, sklearn: f64) {
    let (mean, folds) = classifier_cv(&d);
    eprintln!("{name}: mean accuracy {mean:.4} (scikit-learn {sklearn}), folds {folds:?}");
    assert!(
        mean >= sklearn - 0.015,
        "{name}: mean accuracy {mean:.4} (folds {folds:?}) is more than 1.5 points below scikit-learn's {sklearn}"
    );
}

#[test]
fn iris_matches_sklearn() {
    assert_close_to_sklearn("iris", data::iris(), 0.9467);
}

#[test]
fn wine_matches_sklearn() {
    assert_close_to_sklearn("wine", data::wine(), 0.9717);
}

#[test]
fn breast_cancer_matches_sklearn() {
    assert_close_to_sklearn("breast_cancer", data::breast_cancer(), 0.9754);
}

#[test]
fn digits_matches_sklearn() {
    assert_close_to_sklearn("digits", data::digits(), 0.9716);
}

/// The `MLP_scaled_y` row: the target standardized on the training folds (scikit-learn's
/// `TransformedTargetRegressor(StandardScaler)`).
#[test]
fn diabetes_scaled_target_matches_sklearn() {
    let d = data::diabetes();
    let mut scores = Vec::new();
    for k in 0..5 {
        let (xa, ya, xb, yb) = d.split(k);
        let (xa, xb) = standardize(&xa, &xb);
        let mean = ya.mean().unwrap();
        let std = ya.std(0.0);
        let ys: Array1<f64> = ya.mapv(|v| (v - mean) / std);
        let model = MlpRegressor::default().hidden_layer_sizes([64]).max_iter(300).seed(0).fit(&xa, &ys).unwrap();
        let pred = model.predict(&xb).unwrap().mapv(|v| v * std + mean);
        scores.push(oxlearn_core::metrics::r2_score(yb.view(), pred.view()).unwrap());
    }
    let mean = scores.iter().sum::<f64>() / 5.0;
    eprintln!("diabetes (scaled y): mean R^2 {mean:.4} (scikit-learn 0.4483), folds {scores:?}");
    assert!(
        mean >= 0.4483 - 0.03,
        "diabetes: mean R^2 {mean:.4} (folds {scores:?}) is more than 0.03 below scikit-learn's 0.4483"
    );
}
