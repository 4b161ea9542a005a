//! Shared test helpers: the embedded reference datasets with scikit-learn's fixed 5-fold
//! assignments, and a cross-validation loop that puts every model behind a StandardScaler fitted
//! on the training folds only (as `../shared/reference/reference_scores.md` was made).
#![allow(dead_code)]

use ndarray::{Array1, Array2, Axis};
use oxlearn_core::prelude::*;
use oxlearn_preprocessing::StandardScaler;

/// A reference dataset: features, target (class index or value), and fold of each row.
pub struct RefData {
    pub x: Array2<f64>,
    pub y: Array1<f64>,
    pub folds: Vec<usize>,
}

impl RefData {
    /// Class labels as integers (classification datasets).
    pub fn labels(&self) -> Array1<i64> {
        self.y.mapv(|v| v as i64)
    }
}

fn parse_csv(text: &str) -> Vec<Vec<f64>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse::<f64>().expect("numeric csv")).collect())
        .collect()
}

/// Loads `name` (iris, wine, breast_cancer, digits, diabetes) with its folds.
pub fn load(name: &str) -> RefData {
    let (data, folds) = match name {
        "iris" => (include_str!("../../../datasets/data/iris.csv"), include_str!("data/iris.folds.csv")),
        "wine" => (include_str!("../../../datasets/data/wine.csv"), include_str!("data/wine.folds.csv")),
        "breast_cancer" => {
            (include_str!("../../../datasets/data/breast_cancer.csv"), include_str!("data/breast_cancer.folds.csv"))
        }
        "digits" => (include_str!("../../../datasets/data/digits.csv"), include_str!("data/digits.folds.csv")),
        "diabetes" => (include_str!("../../../datasets/data/diabetes.csv"), include_str!("data/diabetes.folds.csv")),
        other => panic!("unknown dataset {other}"),
    };
    let rows = parse_csv(data);
    let n = rows.len();
    let m = rows[0].len() - 1;
    let x = Array2::from_shape_fn((n, m), |(i, j)| rows[i][j]);
    let y = Array1::from_shape_fn(n, |i| rows[i][m]);
    let folds: Vec<usize> =
        folds.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.trim().parse().expect("fold index")).collect();
    assert_eq!(folds.len(), n);
    RefData { x, y, folds }
}

/// Train/test indices of fold `k`.
pub fn split(folds: &[usize], k: usize) -> (Vec<usize>, Vec<usize>) {
    let train = (0..folds.len()).filter(|&i| folds[i] != k).collect();
    let test = (0..folds.len()).filter(|&i| folds[i] == k).collect();
    (train, test)
}

/// Per-fold scores of `fit_score(x_train, y_train, x_test, y_test)` with X standardized on the
/// training folds.
pub fn cv_scores(
    data: &RefData,
    mut fit_score: impl FnMut(&Array2<f64>, &Array1<f64>, &Array2<f64>, &Array1<f64>) -> f64,
) -> Vec<f64> {
    (0..5)
        .map(|k| {
            let (train, test) = split(&data.folds, k);
            let xtr = data.x.select(Axis(0), &train);
            let xte = data.x.select(Axis(0), &test);
            let scaler = StandardScaler::default().fit(&xtr).expect("scaler fits");
            let xtr = scaler.transform(&xtr).expect("scaler transforms");
            let xte = scaler.transform(&xte).expect("scaler transforms");
            fit_score(&xtr, &data.y.select(Axis(0), &train), &xte, &data.y.select(Axis(0), &test))
        })
        .collect()
}

/// Mean of a slice.
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}
