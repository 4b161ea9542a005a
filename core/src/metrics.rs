//! Metrics with scikit-learn's definitions: classification, ranking (ROC), probabilistic,
//! regression and clustering scores.
//!
//! Every function takes ndarray views, checks its input (lengths, emptiness, finiteness, the
//! classes it needs) and returns an [`Error`] instead of panicking. Names, argument
//! order and results follow `sklearn.metrics` (scikit-learn 1.9); the golden tests compare each
//! function with scikit-learn to 1e-9.
//!
//! | scikit-learn | oxlearn |
//! |---|---|
//! | `accuracy_score(y_true, y_pred)` | [`accuracy_score`] |
//! | `balanced_accuracy_score(y_true, y_pred)` | [`balanced_accuracy_score`] |
//! | `precision_score(y_true, y_pred, average=..., pos_label=...)` | [`precision_score`] with [`Average`] |
//! | `recall_score`, `f1_score` | [`recall_score`], [`f1_score`] |
//! | `precision_recall_fscore_support(y_true, y_pred, average=None)` | [`precision_recall_fscore_support`] |
//! | `confusion_matrix(y_true, y_pred, labels=...)` | [`confusion_matrix`] |
//! | `roc_curve(y_true, y_score, pos_label=...)` | [`roc_curve`] |
//! | `roc_auc_score(y_true, y_score)` (binary) | [`roc_auc_score`] |
//! | `roc_auc_score(y_true, y_proba, multi_class="ovr", average=...)` | [`roc_auc_score_ovr`] |
//! | `auc(x, y)` | [`auc`] |
//! | `log_loss(y_true, y_proba, labels=...)` | [`log_loss`] |
//! | `r2_score`, `mean_squared_error`, `root_mean_squared_error` | [`r2_score`], [`mean_squared_error`], [`root_mean_squared_error`] |
//! | `mean_absolute_error`, `median_absolute_error`, `explained_variance_score` | [`mean_absolute_error`], [`median_absolute_error`], [`explained_variance_score`] |
//! | `adjusted_rand_score(labels_true, labels_pred)` | [`adjusted_rand_score`] |
//! | `silhouette_score(X, labels)` (euclidean) | [`silhouette_score`] |
//!
//! Where scikit-learn's default `zero_division="warn"` applies (a precision with no predicted
//! sample, a recall with no true sample), the score is 0.0 and a `tracing` warning is emitted,
//! as scikit-learn emits an `UndefinedMetricWarning`. Where scikit-learn returns NaN with a
//! warning because a score is undefined (ROC AUC with one class), oxlearn returns an error.
//!
//! Non-finite values in any real-valued input are reported as [`Error::NonFinite`] naming the
//! argument (`input: Input::Arg("y_pred")`), or `Input::X` for the feature matrix of
//! [`silhouette_score`].
//!
//! ```
//! use ndarray::array;
//! use oxlearn_core::metrics::{Average, f1_score, roc_auc_score};
//!
//! let y_true = array!["cat", "dog", "dog", "cat", "bird"];
//! let y_pred = array!["cat", "dog", "cat", "cat", "bird"];
//! let f1 = f1_score(y_true.view(), y_pred.view(), Average::Macro)?;
//! assert!((f1 - 0.8222222222222223).abs() < 1e-12);
//!
//! let y = array![0, 0, 1, 1];
//! let score = array![0.1, 0.4, 0.35, 0.8];
//! assert_eq!(roc_auc_score(y.view(), score.view())?, 0.75);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod classification;
mod clustering;
mod ranking;
mod regression;

use std::collections::BTreeMap;

use ndarray::{ArrayView1, ArrayView2};

use crate::error::{Error, Input, Result};
use crate::validate::check_lengths;

pub use classification::{
    Average, ConfusionMatrix, PrecisionRecallFscore, accuracy_score, balanced_accuracy_score, confusion_matrix,
    f1_score, log_loss, precision_recall_fscore_support, precision_score, recall_score,
};
pub use clustering::{adjusted_rand_score, silhouette_score};
pub use ranking::{RocCurve, auc, roc_auc_score, roc_auc_score_ovr, roc_curve};
pub use regression::{
    explained_variance_score, mean_absolute_error, mean_squared_error, median_absolute_error, r2_score,
    root_mean_squared_error,
};

/// Checks that `y_true` and the second input have the same, non-zero length.
fn check_pair(metric: &str, n_true: usize, other: &'static str, n_other: usize) -> Result<()> {
    check_lengths(metric, n_true, other, n_other)?;
    check_nonempty(metric, "y_true", n_true)
}

/// Rejects an input with no samples.
fn check_nonempty(metric: &str, what: &'static str, n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::EmptyInput { estimator: metric.to_string(), what, rows: 0, cols: 1, min_rows: 1 });
    }
    Ok(())
}

/// Finds the first non-finite value of a real-valued metric input.
fn check_finite_1d(name: &'static str, y: ArrayView1<'_, f64>) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        Some(row) => {
            Err(Error::NonFinite { input: Input::Arg(name), row, column: None, column_name: None, value: y[row] })
        }
        None => Ok(()),
    }
}

/// Finds the first non-finite value (row-major order) of a matrix of scores or probabilities.
fn check_finite_2d(name: &'static str, y: ArrayView2<'_, f64>) -> Result<()> {
    for (row, values) in y.outer_iter().enumerate() {
        if let Some(col) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                input: Input::Arg(name),
                row,
                column: Some(col),
                column_name: None,
                value: values[col],
            });
        }
    }
    Ok(())
}

/// Sorted distinct labels of one or more label arrays (`sklearn.utils.multiclass.unique_labels`),
/// with a map from label to its index in that order.
struct LabelIndex<'a, L> {
    labels: Vec<&'a L>,
    index: BTreeMap<&'a L, usize>,
}

impl<'a, L: Ord> LabelIndex<'a, L> {
    fn new(arrays: &[ArrayView1<'a, L>]) -> Self {
        let mut index: BTreeMap<&'a L, usize> = BTreeMap::new();
        for &array in arrays {
            for label in array {
                index.entry(label).or_insert(0);
            }
        }
        for (i, v) in index.values_mut().enumerate() {
            *v = i;
        }
        let labels = index.keys().copied().collect();
        LabelIndex { labels, index }
    }

    fn len(&self) -> usize {
        self.labels.len()
    }

    /// The index of a label known to be present.
    fn of(&self, label: &L) -> usize {
        *self.index.get(label).expect("label index built from these arrays")
    }
}
