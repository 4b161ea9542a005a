//! The toy datasets scikit-learn ships (iris, wine, breast cancer, digits, diabetes), compiled
//! into the binary, and the [`Dataset`] type that holds them.

use std::sync::OnceLock;

use ndarray::{Array1, Array2};
use oxlearn_core::{Error, Result};
use polars::prelude::{Column, DataFrame, NamedFrom, Series};

/// A feature matrix with its target and names: what scikit-learn's `load_*` functions return as a
/// `Bunch`.
///
/// `T` is the target's element type: `i64` class labels for a classification dataset, `f64` for
/// a regression dataset. Row `i` of `x` is the sample whose target is `y[i]`.
///
/// ```
/// let iris = oxlearn_datasets::iris();
/// assert_eq!(iris.x.dim(), (150, 4));
/// assert_eq!(iris.target_names, ["setosa", "versicolor", "virginica"]);
/// let df = iris.to_frame()?; // 4 feature columns and "target"
/// assert_eq!(df.shape(), (150, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<T> {
    /// Features, one row per sample (standard, row-major layout).
    pub x: Array2<f64>,
    /// Target of each sample.
    pub y: Array1<T>,
    /// Name of each column of `x`.
    pub feature_names: Vec<String>,
    /// Name of each class, indexed by the class label (`target_names[y[i]]`); empty for a
    /// regression dataset.
    pub target_names: Vec<String>,
}

/// A target element type [`Dataset::to_frame`] can turn into a polars column: `i64` and `f64`.
pub trait TargetElement: Clone {
    /// Builds the target column named `name`.
    fn target_column(name: &str, y: &Array1<Self>) -> Column;
}

impl TargetElement for i64 {
    fn target_column(name: &str, y: &Array1<Self>) -> Column {
        Series::new(name.into(), y.iter().copied().collect::<Vec<_>>()).into()
    }
}

impl TargetElement for f64 {
    fn target_column(name: &str, y: &Array1<Self>) -> Column {
        Series::new(name.into(), y.iter().copied().collect::<Vec<_>>()).into()
    }
}

impl<T> Dataset<T> {
    /// Number of samples (rows of `x`).
    pub fn n_samples(&self) -> usize {
        self.x.nrows()
    }

    /// Number of features (columns of `x`).
    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }
}

impl<T: TargetElement> Dataset<T> {
    /// The dataset as a polars DataFrame: one `f64` column per feature, named after
    /// `feature_names`, then the target in a column named `"target"` (`i64` or `f64`), as
    /// scikit-learn's `as_frame=True`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the fields disagree (hand-built datasets only): `y` or
    /// `feature_names` of the wrong length, or a duplicate column name.
    pub fn to_frame(&self) -> Result<DataFrame> {
        let (rows, cols) = self.x.dim();
        if self.feature_names.len() != cols {
            return Err(Error::ShapeMismatch(format!(
                "dataset has {cols} feature columns but {} feature names",
                self.feature_names.len()
            )));
        }
        if self.y.len() != rows {
            return Err(Error::ShapeMismatch(format!("dataset has {rows} rows in x but {} targets", self.y.len())));
        }
        let mut columns: Vec<Column> = self
            .feature_names
            .iter()
            .zip(self.x.columns())
            .map(|(name, col)| Series::new(name.as_str().into(), col.to_vec()).into())
            .collect();
        columns.push(T::target_column("target", &self.y));
        DataFrame::new(rows, columns).map_err(|e| Error::ShapeMismatch(e.to_string()))
    }
}

/// A CSV compiled into the binary: header names, feature matrix, raw target values.
struct Parsed {
    names: Vec<String>,
    x: Array2<f64>,
    target: Vec<f64>,
}

/// Parses one of the embedded CSVs (numbers only, header row, target last). The files are part of
/// the crate and checked by the tests, so a malformed one is a bug, not a user error.
fn parse(name: &str, text: &str) -> Parsed {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().unwrap_or_else(|| panic!("embedded {name}.csv has no header"));
    let mut names: Vec<String> = header.split(',').map(|s| s.trim().to_string()).collect();
    let target_name = names.pop();
    assert_eq!(target_name.as_deref(), Some("target"), "embedded {name}.csv: last column must be target");
    let width = names.len();
    let mut values = Vec::new();
    let mut target = Vec::new();
    for (row, line) in lines.enumerate() {
        let mut fields = line.split(',');
        for col in 0..=width {
            let field = fields.next().unwrap_or_else(|| panic!("embedded {name}.csv: row {row} is short"));
            let v: f64 = field
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("embedded {name}.csv: bad number {field:?} at row {row}, column {col}"));
            if col < width { values.push(v) } else { target.push(v) }
        }
        assert!(fields.next().is_none(), "embedded {name}.csv: row {row} is long");
    }
    let x = Array2::from_shape_vec((target.len(), width), values).expect("rows have the header's width");
    Parsed { names, x, target }
}

fn classification(name: &str, text: &str, target_names: &[&str]) -> Dataset<i64> {
    let p = parse(name, text);
    let y = p
        .target
        .iter()
        .map(|&t| {
            assert!(t.fract() == 0.0 && t >= 0.0, "embedded {name}.csv: class label {t} is not an integer");
            t as i64
        })
        .collect();
    Dataset { x: p.x, y, feature_names: p.names, target_names: target_names.iter().map(|s| s.to_string()).collect() }
}

fn regression(name: &str, text: &str) -> Dataset<f64> {
    let p = parse(name, text);
    Dataset { x: p.x, y: Array1::from(p.target), feature_names: p.names, target_names: Vec::new() }
}

/// The iris dataset (scikit-learn's `load_iris`): 150 samples, 4 features (sepal and petal
/// length and width in cm), 3 classes of 50: `setosa`, `versicolor`, `virginica`.
pub fn iris() -> Dataset<i64> {
    static CELL: OnceLock<Dataset<i64>> = OnceLock::new();
    CELL.get_or_init(|| {
        classification("iris", include_str!("../data/iris.csv"), &["setosa", "versicolor", "virginica"])
    })
    .clone()
}

/// The wine recognition dataset (scikit-learn's `load_wine`): 178 samples, 13 chemical
/// measurements, 3 classes (`class_0` 59, `class_1` 71, `class_2` 48).
pub fn wine() -> Dataset<i64> {
    static CELL: OnceLock<Dataset<i64>> = OnceLock::new();
    CELL.get_or_init(|| classification("wine", include_str!("../data/wine.csv"), &["class_0", "class_1", "class_2"]))
        .clone()
}

/// The breast cancer Wisconsin (diagnostic) dataset (scikit-learn's `load_breast_cancer`): 569
/// samples, 30 features, 2 classes: `malignant` (label 0, 212 samples) and `benign` (label 1,
/// 357 samples).
pub fn breast_cancer() -> Dataset<i64> {
    static CELL: OnceLock<Dataset<i64>> = OnceLock::new();
    CELL.get_or_init(|| {
        classification("breast_cancer", include_str!("../data/breast_cancer.csv"), &["malignant", "benign"])
    })
    .clone()
}

/// The optical handwritten digits dataset (scikit-learn's `load_digits`): 1797 images of 8x8
/// pixels with values 0..=16 (64 features, `pixel_<row>_<col>`), 10 classes `"0"`..`"9"`.
pub fn digits() -> Dataset<i64> {
    static CELL: OnceLock<Dataset<i64>> = OnceLock::new();
    CELL.get_or_init(|| {
        classification(
            "digits",
            include_str!("../data/digits.csv"),
            &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        )
    })
    .clone()
}

/// The diabetes regression dataset (scikit-learn's `load_diabetes(scaled=False)`): 442
/// samples, 10 features in their original units (age, sex, bmi, bp, s1..s6), and a continuous
/// target (disease progression one year after baseline, 25..346). `target_names` is empty.
///
/// scikit-learn's default `scaled=True` centers each feature and scales it to unit Euclidean
/// norm; here the raw values are kept, so scale them in your pipeline.
pub fn diabetes() -> Dataset<f64> {
    static CELL: OnceLock<Dataset<f64>> = OnceLock::new();
    CELL.get_or_init(|| regression("diabetes", include_str!("../data/diabetes.csv"))).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_rows() {
        let p = parse("t", "a,b,target\n1,2.5,0\n3,4,1\n");
        assert_eq!(p.names, ["a", "b"]);
        assert_eq!(p.x, ndarray::array![[1.0, 2.5], [3.0, 4.0]]);
        assert_eq!(p.target, [0.0, 1.0]);
    }

    #[test]
    fn to_frame_rejects_inconsistent_fields() {
        let mut d = iris();
        d.feature_names.pop();
        let e = d.to_frame().unwrap_err();
        assert!(e.to_string().contains("4 feature columns but 3 feature names"), "{e}");
    }
}
