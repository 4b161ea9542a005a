//! Accuracy of SVC (rbf), LinearSVC and GaussianNB on the reference datasets with scikit-learn's
//! fixed 5-fold splits behind a StandardScaler, against `data/reference_scores.md`, plus
//! per-row agreement with scikit-learn's out-of-fold predictions (`data/svm_nb_oof.csv`).

use ndarray::{Array1, Axis};
use oxlearn_algorithms::{GaussianNB, LinearSVC, SVC};
use oxlearn_core::prelude::*;

use crate::common;

/// scikit-learn's mean accuracy of `model` on `dataset` from the reference table.
fn reference(dataset: &str, model: &str) -> f64 {
    include_str!("data/reference_scores.md")
        .lines()
        .find_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() > 4 && cells[1] == dataset && cells[2] == model)
                .then(|| cells[4].split_whitespace().next().unwrap().parse::<f64>().unwrap())
        })
        .unwrap_or_else(|| panic!("no reference for {dataset} {model}"))
}

/// Out-of-fold predictions of every row, and the mean fold accuracy.
fn oof(
    name: &str,
    fit_predict: impl Fn(&ndarray::Array2<f64>, &Array1<i64>, &ndarray::Array2<f64>) -> Array1<i64>,
) -> (Vec<i64>, f64) {
    let data = common::load(name);
    let labels = data.labels();
    let mut pred = vec![0i64; data.y.len()];
    let mut scores = Vec::new();
    for k in 0..5 {
        let (train, test) = common::split(&data.folds, k);
        let xtr = data.x.select(Axis(0), &train);
        let xte = data.x.select(Axis(0), &test);
        let scaler = oxlearn_preprocessing::StandardScaler::default().fit(&xtr).unwrap();
        let p = fit_predict(
            &scaler.transform(&xtr).unwrap(),
            &labels.select(Axis(0), &train),
            &scaler.transform(&xte).unwrap(),
        );
        let mut right = 0;
        for (&i, v) in test.iter().zip(p.iter()) {
            pred[i] = *v;
            right += usize::from(*v == labels[i]);
        }
        scores.push(right as f64 / test.len() as f64);
    }
    (pred, common::mean(&scores))
}

fn golden_oof(name: &str, column: usize) -> Vec<i64> {
    include_str!("data/svm_nb_oof.csv")
        .lines()
        .skip(1)
        .filter(|l| l.starts_with(&format!("{name},")))
        .map(|l| l.split(',').nth(column).unwrap().parse().unwrap())
        .collect()
}

fn agreement(a: &[i64], b: &[i64]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

#[test]
fn gaussian_nb_matches_sklearn_row_by_row() {
    for name in ["iris", "wine", "breast_cancer", "digits"] {
        let (pred, mean) =
            oof(name, |xtr, ytr, xte| GaussianNB::default().fit(xtr, ytr).unwrap().predict(xte).unwrap());
        let want = reference(name, "GaussianNB");
        assert!((mean - want).abs() <= 0.015, "{name}: {mean:.4} vs scikit-learn {want:.4}");
        let agree = agreement(&pred, &golden_oof(name, 2));
        assert!(agree >= 0.99, "{name}: {agree:.4} of rows agree with scikit-learn");
    }
}

#[test]
fn svc_rbf_matches_sklearn() {
    for name in ["iris", "wine", "breast_cancer", "digits"] {
        let (pred, mean) = oof(name, |xtr, ytr, xte| SVC::default().fit(xtr, ytr).unwrap().predict(xte).unwrap());
        let want = reference(name, "SVC_rbf");
        assert!((mean - want).abs() <= 0.015, "{name}: {mean:.4} vs scikit-learn {want:.4}");
        let agree = agreement(&pred, &golden_oof(name, 3));
        assert!(agree >= 0.99, "{name}: {agree:.4} of rows agree with scikit-learn");
    }
}

#[test]
fn linear_svc_matches_sklearn_accuracy() {
    for name in ["iris", "wine", "breast_cancer", "digits"] {
        let (_, mean) =
            oof(name, |xtr, ytr, xte| LinearSVC::default().seed(0).fit(xtr, ytr).unwrap().predict(xte).unwrap());
        let want = reference(name, "LinearSVC");
        assert!((mean - want).abs() <= 0.015, "{name}: {mean:.4} vs scikit-learn {want:.4}");
    }
}
