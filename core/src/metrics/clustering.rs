//! Clustering metrics: the adjusted Rand index (against reference labels) and the silhouette
//! coefficient (from the data alone).

use std::collections::BTreeMap;

use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;

use super::{LabelIndex, check_nonempty};
use crate::error::{Error, Result};
use crate::validate::{check_finite, check_lengths};

/// Rand index adjusted for chance: scikit-learn's `adjusted_rand_score(labels_true, labels_pred)`.
///
/// 1.0 for identical partitions (whatever the label names), about 0.0 for random labelling,
/// negative for worse than chance. The two labellings may use different label types (e.g. string
/// classes against `usize` cluster indices). Pair counts are exact integers, as in scikit-learn.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`].
///
/// ```
/// use ndarray::array;
/// use oxlearn_core::metrics::adjusted_rand_score;
///
/// let truth = array!["a", "a", "b", "b"];
/// let clusters = array![1usize, 1, 0, 0];
/// assert_eq!(adjusted_rand_score(truth.view(), clusters.view())?, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn adjusted_rand_score<A: Ord, B: Ord>(
    labels_true: ArrayView1<'_, A>,
    labels_pred: ArrayView1<'_, B>,
) -> Result<f64> {
    let metric = "adjusted_rand_score";
    check_lengths(metric, labels_true.len(), "labels_pred", labels_pred.len())?;
    check_nonempty(metric, "labels_true", labels_true.len())?;
    let rows = LabelIndex::new(&[labels_true]);
    let cols = LabelIndex::new(&[labels_pred]);
    // Sparse contingency table: (true class, predicted cluster) -> count.
    let mut contingency: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    let mut row_sums = vec![0u64; rows.len()];
    let mut col_sums = vec![0u64; cols.len()];
    for (t, p) in labels_true.iter().zip(labels_pred.iter()) {
        let (i, j) = (rows.of(t), cols.of(p));
        *contingency.entry((i, j)).or_insert(0) += 1;
        row_sums[i] += 1;
        col_sums[j] += 1;
    }
    // scikit-learn's `pair_confusion_matrix` (ordered pairs), in exact integers.
    let n = labels_true.len() as i128;
    let sum_squares: i128 = contingency.values().map(|&c| i128::from(c) * i128::from(c)).sum();
    let tp = sum_squares - n;
    let fp =
        contingency.iter().map(|(&(_, j), &c)| i128::from(c) * i128::from(col_sums[j])).sum::<i128>() - sum_squares;
    let fn_ =
        contingency.iter().map(|(&(i, _), &c)| i128::from(c) * i128::from(row_sums[i])).sum::<i128>() - sum_squares;
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let numerator = tp * tn - fn_ * fp;
    let denominator = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
    Ok(2.0 * numerator as f64 / denominator as f64)
}

/// Mean silhouette coefficient with the euclidean distance: scikit-learn's
/// `silhouette_score(X, labels)` (with `metric="euclidean"` and no `sample_size`).
///
/// For each sample, `a` is its mean distance to the other members of its cluster and `b` the
/// least mean distance to the members of another cluster; its coefficient is
/// `(b - a) / max(a, b)`, 0 for a sample alone in its cluster. The result is the mean over
/// samples, in `[-1, 1]`. Distances are computed as differences (not through the dot-product
/// expansion scikit-learn uses), so they are exact to rounding. Cost `O(n^2 d)` time, `O(n k)`
/// memory, spread over the rayon pool; the result does not depend on the thread count.
///
/// # Errors
/// [`Error::LengthMismatch`] when `labels` and the rows of `x` differ, [`Error::EmptyInput`],
/// [`Error::NonFinite`] for NaN or infinite features; [`Error::InvalidInput`] unless the number
/// of distinct labels is between 2 and `n_samples - 1`.
///
/// ```
/// use ndarray::array;
/// use oxlearn_core::metrics::silhouette_score;
///
/// let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
/// let s = silhouette_score(x.view(), array![0, 0, 1, 1].view())?;
/// assert!(s > 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn silhouette_score<L: Ord + Sync>(x: ArrayView2<'_, f64>, labels: ArrayView1<'_, L>) -> Result<f64> {
    let metric = "silhouette_score";
    check_lengths(metric, x.nrows(), "labels", labels.len())?;
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::EmptyInput {
            estimator: metric.into(),
            what: "X",
            rows: x.nrows(),
            cols: x.ncols(),
            min_rows: 3,
        });
    }
    check_finite(x, false)?;
    let index = LabelIndex::new(&[labels]);
    let (n, k) = (x.nrows(), index.len());
    if k < 2 || k > n - 1 {
        return Err(Error::InvalidInput(format!(
            "{metric}: number of labels is {k}; valid values are 2 to n_samples - 1 = {} (inclusive)",
            n.saturating_sub(1)
        )));
    }
    let cluster: Vec<usize> = labels.iter().map(|l| index.of(l)).collect();
    let mut size = vec![0usize; k];
    for &c in &cluster {
        size[c] += 1;
    }
    let coefficients: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            let xi = x.row(i);
            let mut sums = vec![0.0f64; k];
            for (j, xj) in x.outer_iter().enumerate() {
                if j != i {
                    let d2: f64 = xi.iter().zip(xj.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
                    sums[cluster[j]] += d2.sqrt();
                }
            }
            let own = cluster[i];
            if size[own] == 1 {
                return 0.0;
            }
            let a = sums[own] / (size[own] - 1) as f64;
            let b = (0..k).filter(|&c| c != own).map(|c| sums[c] / size[c] as f64).fold(f64::INFINITY, f64::min);
            let s = (b - a) / a.max(b);
            if s.is_nan() { 0.0 } else { s }
        })
        .collect();
    Ok(coefficients.iter().sum::<f64>() / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ari_special_cases() {
        let a = array![0, 0, 1, 1];
        assert_eq!(adjusted_rand_score(a.view(), array!["x", "x", "y", "y"].view()).unwrap(), 1.0);
        // sklearn: adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) == 0.5714285714285714.
        let b = array![0, 0, 1, 2];
        assert!((adjusted_rand_score(b.view(), a.view()).unwrap() - 0.5714285714285714).abs() < 1e-15);
        // All singletons against one cluster: 0.
        let one = array![0, 0, 0, 0];
        let singletons = array![0, 1, 2, 3];
        assert_eq!(adjusted_rand_score(one.view(), singletons.view()).unwrap(), 0.0);
        assert_eq!(adjusted_rand_score(one.view(), one.view()).unwrap(), 1.0);
        assert!(matches!(
            adjusted_rand_score(a.view(), one.slice(ndarray::s![..3])),
            Err(Error::LengthMismatch { .. })
        ));
    }

    #[test]
    fn silhouette_errors_and_singletons() {
        let x = array![[0.0], [1.0], [5.0]];
        assert!(matches!(silhouette_score(x.view(), array![0, 0, 0].view()), Err(Error::InvalidInput(_))));
        assert!(matches!(silhouette_score(x.view(), array![0, 1, 2].view()), Err(Error::InvalidInput(_))));
        assert!(matches!(silhouette_score(x.view(), array![0, 1].view()), Err(Error::LengthMismatch { .. })));
        let nan = array![[0.0], [f64::NAN], [5.0]];
        assert!(matches!(silhouette_score(nan.view(), array![0, 0, 1].view()), Err(Error::NonFinite { .. })));
        // Sample 2 is alone: coefficient 0; samples 0 and 1: a = 1, b = 5 and 4.
        let s = silhouette_score(x.view(), array![0, 0, 1].view()).unwrap();
        assert!((s - ((1.0 - 1.0 / 5.0) + (1.0 - 1.0 / 4.0)) / 3.0).abs() < 1e-15);
    }
}
