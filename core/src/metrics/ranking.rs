//! Ranking metrics on continuous scores: the ROC curve, the area under a curve and ROC AUC
//! (binary and one-vs-rest).

use std::fmt::Debug;

use ndarray::{Array1, ArrayView1, ArrayView2};

use super::{Average, LabelIndex, check_finite_1d, check_finite_2d, check_pair};
use crate::error::{Error, Result};

/// A receiver operating characteristic curve, as returned by [`roc_curve`].
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// False positive rate at each threshold (increasing, from 0 to 1).
    pub fpr: Array1<f64>,
    /// True positive rate at each threshold (increasing, from 0 to 1).
    pub tpr: Array1<f64>,
    /// Decreasing thresholds: a sample is predicted positive when its score is `>=` the threshold.
    /// The first is `+inf` (nothing predicted positive), so the curve starts at `(0, 0)`.
    pub thresholds: Array1<f64>,
}

/// ROC curve of a binary decision: scikit-learn's `roc_curve(y_true, y_score, pos_label=...)`
/// with its defaults (`drop_intermediate=True`: thresholds whose point lies on a straight segment
/// between its neighbours are dropped; they do not change the area).
///
/// `pos_label = None` takes the greater of the two classes of `y_true` as positive (scikit-learn
/// does so for `{0, 1}` and `{-1, 1}` labels); `y_true` must then hold exactly two classes. With an
/// explicit `pos_label`, every other label is negative (so `y_true` may hold more classes). If
/// `y_true` has no negative (positive) sample, `fpr` (`tpr`) is all NaN with a `tracing` warning,
/// as in scikit-learn.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`] for NaN or infinite
/// scores; [`Error::InvalidInput`] when `pos_label` is `None` and `y_true` does not hold exactly
/// two classes.
///
/// ```
/// use ndarray::array;
/// use oxlearn_core::metrics::roc_curve;
///
/// let y = array![1, 1, 2, 2];
/// let scores = array![0.1, 0.4, 0.35, 0.8];
/// let roc = roc_curve(y.view(), scores.view(), Some(&2))?;
/// assert_eq!(roc.fpr, array![0.0, 0.0, 0.5, 0.5, 1.0]);
/// assert_eq!(roc.tpr, array![0.0, 0.5, 0.5, 1.0, 1.0]);
/// assert_eq!(roc.thresholds, array![f64::INFINITY, 0.8, 0.4, 0.35, 0.1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn roc_curve<L: Ord + Debug>(
    y_true: ArrayView1<'_, L>,
    y_score: ArrayView1<'_, f64>,
    pos_label: Option<&L>,
) -> Result<RocCurve> {
    let metric = "roc_curve";
    check_pair(metric, y_true.len(), "y_score", y_score.len())?;
    check_finite_1d("y_score", y_score)?;
    let positive: Vec<bool> = match pos_label {
        Some(pos) => y_true.iter().map(|l| l == pos).collect(),
        None => {
            let index = LabelIndex::new(&[y_true]);
            if index.len() != 2 {
                return Err(Error::InvalidInput(format!(
                    "{metric}: y_true takes values in {:?} and pos_label is not given; it must hold exactly two classes",
                    index.labels
                )));
            }
            let pos = index.labels[1];
            y_true.iter().map(|l| l == pos).collect()
        }
    };
    Ok(curve(metric, &positive, y_score))
}

/// Area under the ROC curve of a binary decision: scikit-learn's `roc_auc_score(y_true, y_score)`
/// for binary `y_true`. The positive class is the greater of the two labels (scikit-learn's
/// `label_binarize` order), so `y_score` must grow with the likelihood of that class (e.g. the
/// second column of `predict_proba`).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`];
/// [`Error::InvalidInput`] unless `y_true` holds exactly two classes (scikit-learn returns NaN
/// with a warning for one class, and asks for `multi_class` for more than two).
pub fn roc_auc_score<L: Ord + Debug>(y_true: ArrayView1<'_, L>, y_score: ArrayView1<'_, f64>) -> Result<f64> {
    let metric = "roc_auc_score";
    check_pair(metric, y_true.len(), "y_score", y_score.len())?;
    check_finite_1d("y_score", y_score)?;
    let index = LabelIndex::new(&[y_true]);
    match index.len() {
        2 => {}
        1 => {
            return Err(Error::InvalidInput(format!(
                "{metric}: only one class ({:?}) is present in y_true; roc auc is not defined in that case",
                index.labels[0]
            )));
        }
        n => {
            return Err(Error::InvalidInput(format!(
                "{metric}: y_true holds {n} classes; use roc_auc_score_ovr with one column of scores per class"
            )));
        }
    }
    let pos = index.labels[1];
    let positive: Vec<bool> = y_true.iter().map(|l| l == pos).collect();
    Ok(binary_auc(metric, &positive, y_score))
}

/// One-vs-rest ROC AUC of multiclass probabilities: scikit-learn's
/// `roc_auc_score(y_true, y_proba, multi_class="ovr", average=...)`.
///
/// `y_proba` has one column per class of `y_true`, in sorted class order (as `predict_proba`),
/// and its rows sum to one. Each class's AUC is that of "this class against the rest" scored by
/// its column; [`Average::Macro`] takes their mean, [`Average::Weighted`] weighs them by class
/// prevalence, [`Average::Micro`] pools every (sample, class) pair into one binary problem. With
/// two classes, every average gives the binary AUC of the second column, scikit-learn's
/// `roc_auc_score(y_true, y_proba[:, 1])` (scikit-learn itself rejects a 2-column `y_proba` for
/// binary `y_true`). Unlike scikit-learn there is no `labels` argument: the classes are those
/// of `y_true`, all of which must be present.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`];
/// [`Error::InvalidParam`] (`average`) for [`Average::Binary`]; [`Error::ShapeMismatch`] when the
/// number of columns differs from the number of classes; [`Error::InvalidInput`] for one class or
/// rows that do not sum to one (scikit-learn's `np.allclose`).
///
/// ```
/// use ndarray::array;
/// use oxlearn_core::metrics::{Average, roc_auc_score_ovr};
///
/// let y = array!["a", "b", "c", "a"];
/// let proba = array![[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]];
/// assert_eq!(roc_auc_score_ovr(y.view(), proba.view(), Average::Macro)?, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn roc_auc_score_ovr<L: Ord + Debug>(
    y_true: ArrayView1<'_, L>,
    y_proba: ArrayView2<'_, f64>,
    average: Average<L>,
) -> Result<f64> {
    let metric = "roc_auc_score_ovr";
    if let Average::Binary { .. } = average {
        return Err(Error::invalid_param(
            "average",
            "binary is not a one-vs-rest average; use Micro, Macro or Weighted (or roc_auc_score for binary scores)",
        ));
    }
    check_pair(metric, y_true.len(), "y_proba", y_proba.nrows())?;
    check_finite_2d("y_proba", y_proba)?;
    let index = LabelIndex::new(&[y_true]);
    let k = index.len();
    if k < 2 {
        return Err(Error::InvalidInput(format!(
            "{metric}: only one class ({:?}) is present in y_true; roc auc is not defined in that case",
            index.labels[0]
        )));
    }
    if y_proba.ncols() != k {
        return Err(Error::ShapeMismatch(format!(
            "{metric}: y_true holds {k} classes but y_proba has {} columns",
            y_proba.ncols()
        )));
    }
    if let Some(row) = y_proba.outer_iter().position(|r| {
        let sum = r.sum();
        (sum - 1.0).abs() > 1e-8 + 1e-5 * sum.abs()
    }) {
        return Err(Error::InvalidInput(format!(
            "{metric}: y_proba must hold probabilities that sum to one over classes; row {row} sums to {}",
            y_proba.row(row).sum()
        )));
    }
    let class: Vec<usize> = y_true.iter().map(|l| index.of(l)).collect();
    if k == 2 {
        let positive: Vec<bool> = class.iter().map(|&c| c == 1).collect();
        return Ok(binary_auc(metric, &positive, y_proba.column(1)));
    }
    if let Average::Micro = average {
        let positive: Vec<bool> = class.iter().flat_map(|&c| (0..k).map(move |j| j == c)).collect();
        // Row-major order, as `numpy.ravel` (the order of tied pairs does not change the area).
        let scores: Array1<f64> = y_proba.iter().copied().collect();
        return Ok(binary_auc(metric, &positive, scores.view()));
    }
    let mut support = vec![0usize; k];
    for &c in &class {
        support[c] += 1;
    }
    let aucs: Vec<f64> = (0..k)
        .map(|j| {
            let positive: Vec<bool> = class.iter().map(|&c| c == j).collect();
            binary_auc(metric, &positive, y_proba.column(j))
        })
        .collect();
    Ok(match average {
        Average::Weighted => {
            let total: f64 = support.iter().map(|&s| s as f64).sum();
            aucs.iter().zip(&support).map(|(a, &s)| a * s as f64).sum::<f64>() / total
        }
        _ => aucs.iter().sum::<f64>() / k as f64,
    })
}

/// Area under a curve by the trapezoidal rule: scikit-learn's `auc(x, y)`. `x` must be
/// monotonic (increasing or decreasing).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::NonFinite`]; [`Error::InvalidInput`] for fewer than two
/// points or an `x` that is neither increasing nor decreasing.
pub fn auc(x: ArrayView1<'_, f64>, y: ArrayView1<'_, f64>) -> Result<f64> {
    crate::validate::check_lengths("auc", x.len(), "y", y.len())?;
    check_finite_1d("x", x)?;
    check_finite_1d("y", y)?;
    if x.len() < 2 {
        return Err(Error::InvalidInput(format!(
            "auc needs at least 2 points to compute an area under curve, got {}",
            x.len()
        )));
    }
    let dx: Vec<f64> = x.windows(2).into_iter().map(|w| w[1] - w[0]).collect();
    let direction = if dx.iter().any(|&d| d < 0.0) {
        if dx.iter().all(|&d| d <= 0.0) {
            -1.0
        } else {
            return Err(Error::InvalidInput("auc: x is neither increasing nor decreasing".into()));
        }
    } else {
        1.0
    };
    Ok(direction * trapezoid(x, y))
}

/// `numpy.trapezoid(y, x)`.
fn trapezoid(x: ArrayView1<'_, f64>, y: ArrayView1<'_, f64>) -> f64 {
    (1..x.len()).map(|i| (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0).sum()
}

/// AUC of the (dropped-intermediate) ROC curve, as scikit-learn's `_binary_roc_auc_score`. The
/// caller guarantees both classes are present.
fn binary_auc(metric: &str, positive: &[bool], y_score: ArrayView1<'_, f64>) -> f64 {
    let roc = curve(metric, positive, y_score);
    trapezoid(roc.fpr.view(), roc.tpr.view())
}

/// The ROC curve of boolean targets (scikit-learn's `confusion_matrix_at_thresholds` followed by
/// `roc_curve`'s `drop_intermediate` and normalisation).
fn curve(metric: &str, positive: &[bool], y_score: ArrayView1<'_, f64>) -> RocCurve {
    let n = positive.len();
    // Sort by decreasing score (ties in any order: they share one threshold).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| y_score[b].total_cmp(&y_score[a]));
    let sorted: Vec<f64> = order.iter().map(|&i| y_score[i]).collect();
    // The last index of each run of equal scores, then the end of the curve.
    let mut fps = Vec::new();
    let mut tps = Vec::new();
    let mut thresholds = Vec::new();
    let mut tp = 0.0;
    for (i, &idx) in order.iter().enumerate() {
        if positive[idx] {
            tp += 1.0;
        }
        if i + 1 == n || sorted[i] != sorted[i + 1] {
            tps.push(tp);
            fps.push((i + 1) as f64 - tp);
            thresholds.push(sorted[i]);
        }
    }
    // Drop the points collinear with their neighbours (a zero second difference in both).
    if fps.len() > 2 {
        let last = fps.len() - 1;
        let keep: Vec<usize> = (0..=last)
            .filter(|&i| {
                i == 0
                    || i == last
                    || fps[i - 1] - 2.0 * fps[i] + fps[i + 1] != 0.0
                    || tps[i - 1] - 2.0 * tps[i] + tps[i + 1] != 0.0
            })
            .collect();
        fps = keep.iter().map(|&i| fps[i]).collect();
        tps = keep.iter().map(|&i| tps[i]).collect();
        thresholds = keep.iter().map(|&i| thresholds[i]).collect();
    }
    fps.insert(0, 0.0);
    tps.insert(0, 0.0);
    thresholds.insert(0, f64::INFINITY);
    let rate = |counts: Vec<f64>, what: &str| -> Array1<f64> {
        let total = *counts.last().expect("at least the starting point");
        if total <= 0.0 {
            tracing::warn!(metric, "no {what} samples in y_true; the {what} rate is undefined (NaN)");
            Array1::from_elem(counts.len(), f64::NAN)
        } else {
            counts.into_iter().map(|c| c / total).collect()
        }
    };
    RocCurve { fpr: rate(fps, "negative"), tpr: rate(tps, "positive"), thresholds: Array1::from(thresholds) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn sklearn_docstring_example() {
        let y = array![1, 1, 2, 2];
        let scores = array![0.1, 0.4, 0.35, 0.8];
        let roc = roc_curve(y.view(), scores.view(), None).unwrap();
        assert_eq!(roc.fpr, array![0.0, 0.0, 0.5, 0.5, 1.0]);
        assert_eq!(roc_auc_score(y.view(), scores.view()).unwrap(), 0.75);
        assert_eq!(auc(roc.fpr.view(), roc.tpr.view()).unwrap(), 0.75);
    }

    #[test]
    fn ties_share_a_threshold() {
        let y = array![0, 1, 0, 1];
        let scores = array![0.5, 0.5, 0.5, 0.5];
        let roc = roc_curve(y.view(), scores.view(), None).unwrap();
        assert_eq!(roc.thresholds, array![f64::INFINITY, 0.5]);
        assert_eq!(roc_auc_score(y.view(), scores.view()).unwrap(), 0.5);
    }

    #[test]
    fn errors_and_undefined_rates() {
        let y = array![1, 1, 1];
        let s = array![0.2, 0.3, 0.4];
        assert!(matches!(roc_auc_score(y.view(), s.view()), Err(Error::InvalidInput(_))));
        assert!(matches!(roc_curve(y.view(), s.view(), None), Err(Error::InvalidInput(_))));
        let roc = roc_curve(y.view(), s.view(), Some(&1)).unwrap();
        assert!(roc.fpr.iter().all(|v| v.is_nan()));
        let nan = array![0.2, f64::NAN, 0.4];
        assert!(matches!(roc_auc_score(y.view(), nan.view()), Err(Error::NonFinite { row: 1, .. })));
        let short = array![0.2];
        assert!(matches!(roc_curve(y.view(), short.view(), None), Err(Error::LengthMismatch { .. })));
        let proba = array![[0.5, 0.6], [0.5, 0.5], [0.5, 0.5]];
        let y = array![0, 1, 0];
        assert!(matches!(roc_auc_score_ovr(y.view(), proba.view(), Average::Macro), Err(Error::InvalidInput(_))));
        assert!(matches!(
            roc_auc_score_ovr(y.view(), proba.view(), Average::binary(1)),
            Err(Error::InvalidParam { .. })
        ));
        assert!(matches!(auc(array![0.0, 1.0, 0.5].view(), array![0.0, 1.0, 1.0].view()), Err(Error::InvalidInput(_))));
        assert_eq!(auc(array![1.0, 0.0].view(), array![1.0, 1.0].view()).unwrap(), 1.0);
    }
}
