//! Classification metrics on predicted labels (accuracy, precision, recall, F1, confusion matrix)
//! and on predicted probabilities (log loss).

use std::fmt::Debug;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::{LabelIndex, check_finite_2d, check_pair};
use crate::error::{Error, Result};

/// How [`precision_score`], [`recall_score`] and [`f1_score`] combine the classes: scikit-learn's
/// `average` argument (with `pos_label` inside the binary case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Average<L> {
    /// `average="binary"`: the score of the class `pos_label` only. The labels of `y_true` and
    /// `y_pred` together may hold at most two classes; `pos_label` must be one of them (unless
    /// only one class is present).
    Binary {
        /// The positive class (scikit-learn's default is `1`).
        pos_label: L,
    },
    /// `average="micro"`: counts true positives, false positives and false negatives over all
    /// classes. For single-label multiclass data, micro precision, recall and F1 all equal the
    /// accuracy.
    Micro,
    /// `average="macro"`: the unweighted mean of the per-class scores.
    Macro,
    /// `average="weighted"`: the mean of the per-class scores weighted by each class's support
    /// (number of true samples).
    Weighted,
}

impl<L> Average<L> {
    /// `Average::Binary { pos_label }`.
    pub fn binary(pos_label: L) -> Self {
        Average::Binary { pos_label }
    }
}

/// Fraction of labels predicted exactly: scikit-learn's `accuracy_score(y_true, y_pred)`.
///
/// # Errors
/// [`Error::LengthMismatch`] when the lengths differ, [`Error::EmptyInput`] for empty input.
pub fn accuracy_score<L: PartialEq>(y_true: ArrayView1<'_, L>, y_pred: ArrayView1<'_, L>) -> Result<f64> {
    check_pair("accuracy_score", y_true.len(), "y_pred", y_pred.len())?;
    let hits = y_true.iter().zip(y_pred.iter()).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / y_true.len() as f64)
}

/// Mean of the recalls of the classes present in `y_true`: scikit-learn's
/// `balanced_accuracy_score(y_true, y_pred)` (with `adjusted=False`). Classes that appear only in
/// `y_pred` are ignored, as scikit-learn does (with a warning).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`].
pub fn balanced_accuracy_score<L: Ord>(y_true: ArrayView1<'_, L>, y_pred: ArrayView1<'_, L>) -> Result<f64> {
    let counts = Counts::new("balanced_accuracy_score", y_true.reborrow(), y_pred.reborrow())?;
    if counts.pred.iter().zip(&counts.truth).any(|(&p, &t)| p > 0 && t == 0) {
        tracing::warn!(metric = "balanced_accuracy_score", "y_pred contains classes not in y_true");
    }
    let recalls: Vec<f64> = (0..counts.tp.len())
        .filter(|&k| counts.truth[k] > 0)
        .map(|k| counts.tp[k] as f64 / counts.truth[k] as f64)
        .collect();
    Ok(recalls.iter().sum::<f64>() / recalls.len() as f64)
}

/// Precision `tp / (tp + fp)`: scikit-learn's `precision_score(y_true, y_pred, average=...,
/// pos_label=...)`. A class with no predicted sample scores 0.0 (scikit-learn's default
/// `zero_division="warn"`), with a `tracing` warning.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`]; [`Error::InvalidInput`] for
/// [`Average::Binary`] on more than two classes; [`Error::InvalidParam`] (`pos_label`) when
/// `pos_label` is not among two present classes.
///
/// ```
/// use ndarray::array;
/// use oxlearn_core::metrics::{Average, precision_score};
///
/// let y_true = array!["spam", "ham", "spam", "ham"];
/// let y_pred = array!["spam", "spam", "spam", "ham"];
/// let p = precision_score(y_true.view(), y_pred.view(), Average::binary("spam"))?;
/// assert!((p - 2.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn precision_score<L: Ord + Debug>(
    y_true: ArrayView1<'_, L>,
    y_pred: ArrayView1<'_, L>,
    average: Average<L>,
) -> Result<f64> {
    Ok(averaged("precision_score", y_true, y_pred, &average)?.0)
}

/// Recall `tp / (tp + fn)`: scikit-learn's `recall_score(y_true, y_pred, average=...,
/// pos_label=...)`. A class with no true sample scores 0.0 (`zero_division="warn"`), with a
/// `tracing` warning.
///
/// # Errors
/// As [`precision_score`].
pub fn recall_score<L: Ord + Debug>(
    y_true: ArrayView1<'_, L>,
    y_pred: ArrayView1<'_, L>,
    average: Average<L>,
) -> Result<f64> {
    Ok(averaged("recall_score", y_true, y_pred, &average)?.1)
}

/// F1 score `2 tp / (2 tp + fp + fn)`, the harmonic mean of precision and recall: scikit-learn's
/// `f1_score(y_true, y_pred, average=..., pos_label=...)`. A class with neither true nor
/// predicted samples scores 0.0 (`zero_division="warn"`).
///
/// # Errors
/// As [`precision_score`].
pub fn f1_score<L: Ord + Debug>(
    y_true: ArrayView1<'_, L>,
    y_pred: ArrayView1<'_, L>,
    average: Average<L>,
) -> Result<f64> {
    Ok(averaged("f1_score", y_true, y_pred, &average)?.2)
}

/// Per-class precision, recall, F1 and support, as returned by [`precision_recall_fscore_support`].
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRecallFscore<L> {
    /// The sorted labels of `y_true` and `y_pred` together; the arrays below follow this order.
    pub labels: Vec<L>,
    /// Precision of each class.
    pub precision: Array1<f64>,
    /// Recall of each class.
    pub recall: Array1<f64>,
    /// F1 score of each class.
    pub f1: Array1<f64>,
    /// Number of true samples of each class.
    pub support: Array1<usize>,
}

/// Per-class precision, recall, F1 and support: scikit-learn's
/// `precision_recall_fscore_support(y_true, y_pred, average=None)` (with `beta=1`).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`].
pub fn precision_recall_fscore_support<L: Ord + Clone>(
    y_true: ArrayView1<'_, L>,
    y_pred: ArrayView1<'_, L>,
) -> Result<PrecisionRecallFscore<L>> {
    let metric = "precision_recall_fscore_support";
    let counts = Counts::new(metric, y_true.reborrow(), y_pred.reborrow())?;
    let k = counts.tp.len();
    let (mut precision, mut recall, mut f1) = (Array1::zeros(k), Array1::zeros(k), Array1::zeros(k));
    for c in 0..k {
        let (tp, pred, truth) = (counts.tp[c], counts.pred[c], counts.truth[c]);
        precision[c] = divide(metric, tp, pred, "precision", "predicted");
        recall[c] = divide(metric, tp, truth, "recall", "true");
        f1[c] = divide(metric, 2 * tp, truth + pred, "f-score", "true nor predicted");
    }
    Ok(PrecisionRecallFscore {
        labels: counts.labels.into_iter().cloned().collect(),
        precision,
        recall,
        f1,
        support: Array1::from(counts.truth),
    })
}

/// A confusion matrix with its labels, as returned by [`confusion_matrix`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix<L> {
    /// The labels indexing both axes.
    pub labels: Vec<L>,
    /// `matrix[[i, j]]` counts the samples of true class `labels[i]` predicted as `labels[j]`.
    pub matrix: Array2<usize>,
}

/// Confusion matrix: scikit-learn's `confusion_matrix(y_true, y_pred, labels=labels)`.
///
/// With `labels = None` the axes are the sorted labels of `y_true` and `y_pred` together. With
/// `Some(labels)` the axes follow the given order and samples whose true or predicted label is
/// not listed are left out.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`]; [`Error::InvalidParam`] (`labels`) for an
/// empty or repeated label list, or one that holds no label of `y_true`.
///
/// ```
/// use ndarray::array;
/// use oxlearn_core::metrics::confusion_matrix;
///
/// let cm = confusion_matrix(array![2, 0, 2, 2, 0, 1].view(), array![0, 0, 2, 2, 0, 2].view(), None)?;
/// assert_eq!(cm.labels, vec![0, 1, 2]);
/// assert_eq!(cm.matrix, array![[2, 0, 0], [0, 0, 1], [1, 0, 2]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn confusion_matrix<L: Ord + Clone + Debug>(
    y_true: ArrayView1<'_, L>,
    y_pred: ArrayView1<'_, L>,
    labels: Option<&[L]>,
) -> Result<ConfusionMatrix<L>> {
    check_pair("confusion_matrix", y_true.len(), "y_pred", y_pred.len())?;
    let labels: Vec<L> = match labels {
        None => LabelIndex::new(&[y_true.reborrow(), y_pred.reborrow()]).labels.into_iter().cloned().collect(),
        Some(given) => {
            if given.is_empty() {
                return Err(Error::invalid_param("labels", "must hold at least one label, got none"));
            }
            let mut sorted: Vec<&L> = given.iter().collect();
            sorted.sort();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                return Err(Error::invalid_param("labels", format!("must be distinct, got {:?} twice", w[0])));
            }
            if !y_true.iter().any(|l| sorted.binary_search(&l).is_ok()) {
                return Err(Error::invalid_param(
                    "labels",
                    format!("at least one label must be in y_true, got {given:?}"),
                ));
            }
            given.to_vec()
        }
    };
    let index: std::collections::BTreeMap<&L, usize> = labels.iter().enumerate().map(|(i, l)| (l, i)).collect();
    let mut matrix = Array2::zeros((labels.len(), labels.len()));
    for (t, p) in y_true.iter().zip(y_pred.iter()) {
        if let (Some(&i), Some(&j)) = (index.get(t), index.get(p)) {
            matrix[[i, j]] += 1;
        }
    }
    Ok(ConfusionMatrix { labels, matrix })
}

/// Logarithmic (cross-entropy) loss of predicted probabilities: scikit-learn's
/// `log_loss(y_true, y_proba, labels=labels)`.
///
/// The columns of `y_proba` follow the sorted classes: those of `y_true`, or the sorted distinct
/// `labels` when given (which lets `y_true` miss some classes). A single column is the
/// probability of the greater of two classes (scikit-learn's 1-D `y_proba`). As scikit-learn 1.9
/// does, probabilities are clipped to `[eps, 1 - eps]` with `eps = f64::EPSILON` and are not
/// renormalised: rows that do not sum to one only draw a `tracing` warning. The loss is the mean
/// over samples of `-ln p[true class]`.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`] for NaN or infinite
/// probabilities; [`Error::InvalidInput`] for probabilities outside `[0, 1]` or fewer than two
/// classes; [`Error::ShapeMismatch`] when the number of columns differs from the number of
/// classes; [`Error::UnknownLabel`] when `y_true` holds a label missing from `labels`.
///
/// ```
/// use ndarray::array;
/// use oxlearn_core::metrics::log_loss;
///
/// let y_true = array!["spam", "ham", "ham", "spam"];
/// let y_proba = array![[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]];
/// let loss = log_loss(y_true.view(), y_proba.view(), None)?;
/// assert!((loss - 0.21616187468057912).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn log_loss<L: Ord + Clone + Debug>(
    y_true: ArrayView1<'_, L>,
    y_proba: ArrayView2<'_, f64>,
    labels: Option<&[L]>,
) -> Result<f64> {
    let metric = "log_loss";
    check_pair(metric, y_true.len(), "y_proba", y_proba.nrows())?;
    check_finite_2d("y_proba", y_proba)?;
    if y_proba.ncols() == 0 {
        return Err(Error::ShapeMismatch("log_loss got y_proba with 0 columns".into()));
    }
    let (lo, hi) = y_proba.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if hi > 1.0 {
        return Err(Error::InvalidInput(format!("log_loss: y_proba contains values greater than 1: {hi}")));
    }
    if lo < 0.0 {
        return Err(Error::InvalidInput(format!("log_loss: y_proba contains values lower than 0: {lo}")));
    }
    // The classes: sorted and distinct, from `labels` or from `y_true`.
    let classes: Vec<L> = match labels {
        Some(given) => {
            let mut classes = given.to_vec();
            classes.sort();
            classes.dedup();
            if classes.as_slice() != given {
                tracing::warn!(
                    metric,
                    "labels were not sorted and distinct; the columns of y_proba are taken to follow {classes:?}"
                );
            }
            if let Some(unknown) = y_true.iter().find(|l| classes.binary_search(l).is_err()) {
                return Err(Error::UnknownLabel { label: format!("{unknown:?}"), n_classes: classes.len() });
            }
            classes
        }
        None => LabelIndex::new(&[y_true]).labels.into_iter().cloned().collect(),
    };
    if classes.len() < 2 {
        return Err(Error::InvalidInput(match labels {
            None => format!(
                "log_loss: y_true contains only one label ({:?}); pass all expected labels through `labels`",
                classes[0]
            ),
            Some(_) => format!("log_loss: labels must hold at least two distinct labels, got {}", classes.len()),
        }));
    }
    let binary_column = y_proba.ncols() == 1;
    let width = if binary_column { 2 } else { y_proba.ncols() };
    if width != classes.len() {
        return Err(Error::ShapeMismatch(format!(
            "log_loss: y_true has {} classes but y_proba has {} columns{}",
            classes.len(),
            y_proba.ncols(),
            if labels.is_none() { "; pass all expected labels through `labels`" } else { "" }
        )));
    }
    let tolerance = f64::EPSILON.sqrt();
    let unnormalised = y_proba.outer_iter().any(|row| {
        let sum = if binary_column { 1.0 } else { row.sum() };
        (sum - 1.0).abs() > tolerance
    });
    if unnormalised {
        tracing::warn!(metric, "the y_proba rows do not sum to one; make sure to pass probabilities");
    }
    let eps = f64::EPSILON;
    let total: f64 = y_true
        .iter()
        .zip(y_proba.outer_iter())
        .map(|(label, row)| {
            let class = classes.binary_search(label).expect("every label of y_true is a class");
            let p = match (binary_column, class) {
                (true, 0) => 1.0 - row[0],
                (true, _) => row[0],
                (false, c) => row[c],
            };
            -p.clamp(eps, 1.0 - eps).ln()
        })
        .sum();
    Ok(total / y_true.len() as f64)
}

/// Per-class counts of true positives, predicted samples and true samples over the sorted labels
/// of `y_true` and `y_pred` together (scikit-learn's `multilabel_confusion_matrix`).
struct Counts<'a, L> {
    labels: Vec<&'a L>,
    tp: Vec<usize>,
    pred: Vec<usize>,
    truth: Vec<usize>,
}

impl<'a, L: Ord> Counts<'a, L> {
    fn new(metric: &str, y_true: ArrayView1<'a, L>, y_pred: ArrayView1<'a, L>) -> Result<Self> {
        check_pair(metric, y_true.len(), "y_pred", y_pred.len())?;
        let index = LabelIndex::new(&[y_true.reborrow(), y_pred.reborrow()]);
        let k = index.len();
        let (mut tp, mut pred, mut truth) = (vec![0; k], vec![0; k], vec![0; k]);
        for (t, p) in y_true.iter().zip(y_pred.iter()) {
            let (i, j) = (index.of(t), index.of(p));
            truth[i] += 1;
            pred[j] += 1;
            if i == j {
                tp[i] += 1;
            }
        }
        Ok(Counts { labels: index.labels, tp, pred, truth })
    }
}

/// `numerator / denominator`, or 0.0 with a warning when the denominator is zero (scikit-learn's
/// `_prf_divide` with `zero_division="warn"`).
fn divide(metric: &str, numerator: usize, denominator: usize, what: &str, of: &str) -> f64 {
    if denominator == 0 {
        tracing::warn!(metric, "{what} is ill-defined and being set to 0.0 for a label with no {of} samples");
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Precision, recall and F1 combined as `average` says (scikit-learn's
/// `precision_recall_fscore_support` with `beta=1`).
fn averaged<L: Ord + Debug>(
    metric: &str,
    y_true: ArrayView1<'_, L>,
    y_pred: ArrayView1<'_, L>,
    average: &Average<L>,
) -> Result<(f64, f64, f64)> {
    let counts = Counts::new(metric, y_true.reborrow(), y_pred.reborrow())?;
    let score = |tp: usize, pred: usize, truth: usize| {
        (
            divide(metric, tp, pred, "precision", "predicted"),
            divide(metric, tp, truth, "recall", "true"),
            divide(metric, 2 * tp, truth + pred, "f-score", "true nor predicted"),
        )
    };
    match average {
        Average::Binary { pos_label } => {
            if counts.labels.len() > 2 {
                return Err(Error::InvalidInput(format!(
                    "{metric}: the target is multiclass ({} labels: {:?}) but average is binary; use micro, macro or weighted",
                    counts.labels.len(),
                    counts.labels
                )));
            }
            match counts.labels.iter().position(|l| *l == pos_label) {
                Some(c) => Ok(score(counts.tp[c], counts.pred[c], counts.truth[c])),
                None if counts.labels.len() < 2 => Ok(score(0, 0, 0)),
                None => Err(Error::invalid_param(
                    "pos_label",
                    format!("{pos_label:?} is not a valid label; it should be one of {:?}", counts.labels),
                )),
            }
        }
        Average::Micro => {
            let tp = counts.tp.iter().sum();
            let pred = counts.pred.iter().sum();
            let truth = counts.truth.iter().sum();
            Ok(score(tp, pred, truth))
        }
        Average::Macro | Average::Weighted => {
            let k = counts.tp.len();
            let per_class: Vec<(f64, f64, f64)> =
                (0..k).map(|c| score(counts.tp[c], counts.pred[c], counts.truth[c])).collect();
            let weights: Vec<f64> = match average {
                Average::Weighted => counts.truth.iter().map(|&t| t as f64).collect(),
                _ => vec![1.0; k],
            };
            let total: f64 = weights.iter().sum();
            let mean = |f: fn(&(f64, f64, f64)) -> f64| {
                per_class.iter().zip(&weights).map(|(s, w)| f(s) * w).sum::<f64>() / total
            };
            Ok((mean(|s| s.0), mean(|s| s.1), mean(|s| s.2)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn precision_recall_f1_by_hand() {
        // Classes a, b, c: tp = [2, 0, 1], pred = [3, 1, 1], true = [2, 2, 1].
        let y_true = array!["a", "a", "b", "b", "c"];
        let y_pred = array!["a", "a", "a", "c", "c"];
        let (t, p) = (y_true.view(), y_pred.view());
        let macro_p = (2.0 / 3.0 + 0.0 + 0.5) / 3.0;
        assert!((precision_score(t, p, Average::Macro).unwrap() - macro_p).abs() < 1e-15);
        let weighted_r = (2.0 * 1.0 + 2.0 * 0.0 + 1.0 * 1.0) / 5.0;
        assert!((recall_score(t, p, Average::Weighted).unwrap() - weighted_r).abs() < 1e-15);
        assert_eq!(f1_score(t, p, Average::Micro).unwrap(), 0.6);
        assert_eq!(accuracy_score(t, p).unwrap(), 0.6);
        assert!((balanced_accuracy_score(t, p).unwrap() - 2.0 / 3.0).abs() < 1e-15);
        let per_class = precision_recall_fscore_support(t, p).unwrap();
        assert_eq!(per_class.labels, vec!["a", "b", "c"]);
        assert_eq!(per_class.support, array![2, 2, 1]);
        assert_eq!(per_class.f1[1], 0.0);
    }

    #[test]
    fn binary_average_rules() {
        let y_true = array![0, 1, 1, 0];
        let y_pred = array![0, 1, 0, 0];
        assert_eq!(precision_score(y_true.view(), y_pred.view(), Average::binary(1)).unwrap(), 1.0);
        assert_eq!(recall_score(y_true.view(), y_pred.view(), Average::binary(1)).unwrap(), 0.5);
        let err = precision_score(y_true.view(), y_pred.view(), Average::binary(2)).unwrap_err();
        assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "pos_label"), "{err}");
        // One class only: pos_label absent is allowed, the score is 0.
        let zeros = array![0, 0];
        assert_eq!(f1_score(zeros.view(), zeros.view(), Average::binary(1)).unwrap(), 0.0);
        let three = array![0, 1, 2];
        let err = f1_score(three.view(), three.view(), Average::binary(1)).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }

    #[test]
    fn input_errors() {
        let a = array![1, 2, 3];
        let b = array![1, 2];
        let err = f1_score(a.view(), b.view(), Average::Macro).unwrap_err();
        assert!(matches!(err, Error::LengthMismatch { x_rows: 3, other_rows: 2, .. }), "{err}");
        let empty = ndarray::Array1::<i32>::zeros(0);
        assert!(matches!(accuracy_score(empty.view(), empty.view()), Err(Error::EmptyInput { .. })));
        assert!(matches!(confusion_matrix(empty.view(), empty.view(), None), Err(Error::EmptyInput { .. })));
        let err = confusion_matrix(a.view(), a.view(), Some(&[7, 8])).unwrap_err();
        assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "labels"), "{err}");
        let err = confusion_matrix(a.view(), a.view(), Some(&[1, 1])).unwrap_err();
        assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "labels"), "{err}");
    }

    #[test]
    fn confusion_matrix_with_given_labels_keeps_their_order() {
        let y_true = array!["x", "y", "z", "x"];
        let y_pred = array!["y", "y", "x", "x"];
        let cm = confusion_matrix(y_true.view(), y_pred.view(), Some(&["y", "x"])).unwrap();
        assert_eq!(cm.labels, vec!["y", "x"]);
        assert_eq!(cm.matrix, array![[1, 0], [1, 1]]);
    }

    #[test]
    fn log_loss_checks_and_clips() {
        let y = array![0, 1];
        let perfect = array![[1.0, 0.0], [0.0, 1.0]];
        let loss = log_loss(y.view(), perfect.view(), None).unwrap();
        assert!((loss - -(1.0 - f64::EPSILON).ln()).abs() < 1e-30);
        let wrong = array![[0.0, 1.0], [1.0, 0.0]];
        assert!((log_loss(y.view(), wrong.view(), None).unwrap() - -f64::EPSILON.ln()).abs() < 1e-12);
        let column = array![[0.0], [1.0]];
        assert_eq!(log_loss(y.view(), column.view(), None).unwrap(), loss);
        let too_big = array![[1.5, 0.0], [0.0, 1.0]];
        assert!(matches!(log_loss(y.view(), too_big.view(), None), Err(Error::InvalidInput(_))));
        let nan = array![[f64::NAN, 0.0], [0.0, 1.0]];
        assert!(matches!(log_loss(y.view(), nan.view(), None), Err(Error::NonFinite { row: 0, .. })));
        let one_class = array![1, 1];
        assert!(matches!(log_loss(one_class.view(), perfect.view(), None), Err(Error::InvalidInput(_))));
        let three = array![[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]];
        assert!(matches!(log_loss(y.view(), three.view(), None), Err(Error::ShapeMismatch(_))));
        assert!(log_loss(y.view(), three.view(), Some(&[0, 1, 2])).is_ok());
        assert!(matches!(log_loss(y.view(), perfect.view(), Some(&[0, 2])), Err(Error::UnknownLabel { .. })));
    }
}
