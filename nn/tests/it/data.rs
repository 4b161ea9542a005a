//! The embedded reference datasets (the CSVs of `datasets/data/`) and their fixed 5-fold
//! assignments (copied from `../shared/reference/`).

use ndarray::{Array1, Array2};

/// A dataset: features and the last CSV column as target.
pub struct Dataset {
    pub x: Array2<f64>,
    pub y: Array1<f64>,
    pub folds: Vec<usize>,
}

fn parse(csv: &str, folds: &str) -> Dataset {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for line in csv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        rows.push(line.split(',').map(|v| v.trim().parse::<f64>().expect("numeric csv")).collect());
    }
    let m = rows[0].len() - 1;
    let x = Array2::from_shape_fn((rows.len(), m), |(i, j)| rows[i][j]);
    let y = rows.iter().map(|r| r[m]).collect();
    let folds: Vec<usize> =
        folds.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.trim().parse().expect("fold")).collect();
    assert_eq!(folds.len(), rows.len());
    Dataset { x, y, folds }
}

macro_rules! dataset {
    ($fn:ident, $name:literal) => {
        pub fn $fn() -> Dataset {
            parse(
                include_str!(concat!("../../../datasets/data/", $name, ".csv")),
                include_str!(concat!("data/", $name, ".folds.csv")),
            )
        }
    };
}
dataset!(iris, "iris");
dataset!(wine, "wine");
dataset!(breast_cancer, "breast_cancer");
dataset!(digits, "digits");
dataset!(diabetes, "diabetes");

impl Dataset {
    /// `(x_train, y_train, x_test, y_test)` for fold `k`.
    pub fn split(&self, k: usize) -> (Array2<f64>, Array1<f64>, Array2<f64>, Array1<f64>) {
        let train: Vec<usize> = (0..self.folds.len()).filter(|&i| self.folds[i] != k).collect();
        let test: Vec<usize> = (0..self.folds.len()).filter(|&i| self.folds[i] == k).collect();
        let take = |idx: &[usize]| (self.x.select(ndarray::Axis(0), idx), self.y.select(ndarray::Axis(0), idx));
        let (xa, ya) = take(&train);
        let (xb, yb) = take(&test);
        (xa, ya, xb, yb)
    }

    /// The target as integer class labels.
    pub fn labels(y: &Array1<f64>) -> Array1<i64> {
        y.mapv(|v| v as i64)
    }
}

/// scikit-learn's `StandardScaler` fitted on `train` (population std; constant columns scaled
/// by 1), applied to both matrices.
pub fn standardize(train: &Array2<f64>, test: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
    let mean = train.mean_axis(ndarray::Axis(0)).expect("rows");
    let std = train.std_axis(ndarray::Axis(0), 0.0).mapv(|s| if s > 0.0 { s } else { 1.0 });
    ((train - &mean) / &std, (test - &mean) / &std)
}
