//! The one validator every `fit`, `predict` and `transform` goes through.

use ndarray::{ArrayView1, ArrayView2};

use crate::error::{Error, Input, Result};
use crate::estimator::Tags;

/// Checks a training matrix: at least `tags.min_samples` rows and one column, finite values
/// (NaN allowed only where `tags.allow_nan`; left to the estimator where
/// `tags.finite_checked_in_fit`), and `y_len` equal to the number of rows.
pub fn check_fit(estimator: &str, tags: &Tags, x: ArrayView2<'_, f64>, y_len: Option<usize>) -> Result<()> {
    if let Some(len) = y_len {
        check_lengths(estimator, x.nrows(), "y", len)?;
    }
    let min_rows = tags.min_samples.max(1);
    if x.nrows() < min_rows || x.ncols() == 0 {
        return Err(Error::EmptyInput {
            estimator: estimator.to_string(),
            what: "X",
            rows: x.nrows(),
            cols: x.ncols(),
            min_rows,
        });
    }
    if tags.finite_checked_in_fit {
        return Ok(());
    }
    check_finite(x, tags.allow_nan)
}

/// Checks a matrix for prediction against the fitted width.
pub fn check_predict(estimator: &str, n_features_in: usize, allow_nan: bool, x: ArrayView2<'_, f64>) -> Result<()> {
    check_predict_shape(estimator, n_features_in, x)?;
    check_finite(x, allow_nan)
}

/// The shape half of [`check_predict`]: as wide as the training data and not empty; values are
/// not looked at. For fitted models that fuse the finiteness check into their prediction (a
/// non-finite row always yields a non-finite output there, and then they call [`check_finite`]
/// to report the exact error), so the data is read once instead of twice.
pub fn check_predict_shape(estimator: &str, n_features_in: usize, x: ArrayView2<'_, f64>) -> Result<()> {
    if x.ncols() != n_features_in {
        return Err(Error::FeatureMismatch {
            estimator: estimator.to_string(),
            expected: n_features_in,
            got: x.ncols(),
        });
    }
    if x.nrows() == 0 {
        return Err(Error::EmptyInput {
            estimator: estimator.to_string(),
            what: "X",
            rows: 0,
            cols: x.ncols(),
            min_rows: 1,
        });
    }
    Ok(())
}

/// Checks that two inputs have the same number of rows.
pub fn check_lengths(estimator: &str, x_rows: usize, other: &'static str, other_rows: usize) -> Result<()> {
    if x_rows != other_rows {
        return Err(Error::LengthMismatch { estimator: estimator.to_string(), x_rows, other, other_rows });
    }
    Ok(())
}

/// Finds the first non-finite value of `x` (row-major order), skipping NaN where allowed.
pub fn check_finite(x: ArrayView2<'_, f64>, allow_nan: bool) -> Result<()> {
    // Fast path: one vectorised pass without branches (several independent accumulators, in
    // parallel over fixed blocks for large inputs); the exact position is searched only on failure.
    let fast = match x.as_slice_memory_order() {
        Some(s) => all_finite(s, allow_nan),
        None => x.outer_iter().all(|row| match row.as_slice() {
            Some(s) => all_finite(s, allow_nan),
            None => row.iter().all(|v| v.is_finite() || allow_nan && v.is_nan()),
        }),
    };
    if fast {
        return Ok(());
    }
    for (i, row) in x.outer_iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if !(v.is_finite() || allow_nan && v.is_nan()) {
                return Err(Error::NonFinite { input: Input::X, row: i, column: Some(j), column_name: None, value: v });
            }
        }
    }
    Ok(())
}

/// Elements per parallel block of [`all_finite`] (fixed: the answer never depends on threads).
const FINITE_BLOCK: usize = 1 << 16;

/// Whether every value of `s` is finite (or NaN, when `allow_nan`).
pub fn all_finite(s: &[f64], allow_nan: bool) -> bool {
    if s.len() >= 4 * FINITE_BLOCK && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        return s.par_chunks(FINITE_BLOCK).all(|c| all_finite_seq(c, allow_nan));
    }
    all_finite_seq(s, allow_nan)
}

/// The sequential kernel of [`all_finite`]: eight independent accumulators, no branches, so the
/// loop runs at memory speed. Without NaN: `Σ v·0` is `0` exactly when every `v` is finite. With
/// NaN allowed: `max |v|` (NaN ignored by `f64::max`) is finite exactly when no `v` is infinite.
fn all_finite_seq(s: &[f64], allow_nan: bool) -> bool {
    const L: usize = 8;
    let chunks = s.chunks_exact(L);
    let rem = chunks.remainder();
    if allow_nan {
        let mut acc = [0.0f64; L];
        for c in chunks {
            for k in 0..L {
                acc[k] = acc[k].max(c[k].abs());
            }
        }
        let m = rem.iter().fold(acc.iter().fold(0.0f64, |m, &v| m.max(v)), |m, v| m.max(v.abs()));
        m != f64::INFINITY
    } else {
        let mut acc = [0.0f64; L];
        for c in chunks {
            for k in 0..L {
                acc[k] += c[k] * 0.0;
            }
        }
        let t = rem.iter().fold(acc.iter().sum::<f64>(), |a, v| a + v * 0.0);
        t == 0.0
    }
}

/// Checks that a real-valued target is finite.
pub fn check_target(y: ArrayView1<'_, f64>) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(Error::NonFinite { input: Input::Y, row, column: None, column_name: None, value: y[row] }),
        None => Ok(()),
    }
}

/// Checks sample weights: right length, finite, non-negative, not all zero.
pub fn check_sample_weight(estimator: &str, n_rows: usize, w: ArrayView1<'_, f64>) -> Result<()> {
    check_lengths(estimator, n_rows, "sample_weight", w.len())?;
    if let Some(row) = w.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            input: Input::SampleWeight,
            row,
            column: None,
            column_name: None,
            value: w[row],
        });
    }
    if let Some(row) = w.iter().position(|&v| v < 0.0) {
        return Err(Error::InvalidInput(format!(
            "{estimator}: sample_weight must be non-negative, got {} at row {row}",
            w[row]
        )));
    }
    if w.sum() <= 0.0 {
        return Err(Error::InvalidInput(format!(
            "{estimator}: sample_weight must not be all zero ({} weights sum to 0)",
            w.len()
        )));
    }
    Ok(())
}

/// Rejects a parameter outside `[lo, hi]`, naming it and its value.
pub fn check_range(name: &str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if value.is_nan() || value < lo || value > hi {
        return Err(Error::invalid_param(name, format!("must be in [{lo}, {hi}], got {value}")));
    }
    Ok(())
}

/// Rejects a parameter that is not strictly positive and finite.
pub fn check_positive(name: &str, value: f64) -> Result<()> {
    if !(value > 0.0 && value.is_finite()) {
        return Err(Error::invalid_param(name, format!("must be a positive finite number, got {value}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn finds_non_finite_with_position() {
        let x = array![[1.0, 2.0], [3.0, f64::NAN]];
        let err = check_finite(x.view(), false).unwrap_err();
        assert!(matches!(err, Error::NonFinite { row: 1, column: Some(1), .. }), "{err}");
        assert!(check_finite(x.view(), true).is_ok());
        let x = array![[1.0, f64::INFINITY]];
        assert!(check_finite(x.view(), true).is_err());
    }

    #[test]
    fn fast_path_agrees_with_the_scan() {
        // Every position of a long row (chunked kernel and remainder), every kind of bad value,
        // contiguous and transposed layouts, and the parallel blocks.
        for len in [1usize, 7, 8, 9, 63, 64, 65, 1000] {
            for pos in [0, len / 2, len - 1] {
                for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let mut x = ndarray::Array2::<f64>::from_elem((2, len), 1e300);
                    x[[1, pos]] = bad;
                    let err = check_finite(x.view(), false).unwrap_err();
                    assert!(matches!(err, Error::NonFinite { row: 1, column: Some(c), .. } if c == pos), "{err}");
                    assert_eq!(check_finite(x.view(), true).is_ok(), bad.is_nan());
                    assert!(check_finite(x.t(), false).is_err());
                }
            }
        }
        let mut big = ndarray::Array2::<f64>::from_elem((4 * FINITE_BLOCK / 8 + 3, 8), -2.5);
        assert!(check_finite(big.view(), false).is_ok());
        let last = big.nrows() - 1;
        big[[last, 7]] = f64::NAN;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let err = pool.install(|| check_finite(big.view(), false)).unwrap_err();
        assert!(matches!(err, Error::NonFinite { column: Some(7), .. }), "{err}");
        assert!(pool.install(|| check_finite(big.view(), true)).is_ok());
        assert!(check_predict_shape("Ridge", 8, big.view()).is_ok());
    }

    #[test]
    fn width_and_emptiness() {
        let x = array![[1.0, 2.0, 3.0]];
        let err = check_predict("Ridge", 4, false, x.view()).unwrap_err();
        assert_eq!(err.to_string(), "X has 3 features, but Ridge was fitted with 4");
        let empty = ndarray::Array2::<f64>::zeros((0, 3));
        assert!(matches!(check_fit("Ridge", &Tags::default(), empty.view(), None), Err(Error::EmptyInput { .. })));
        let err = check_fit("Ridge", &Tags::default(), x.view(), Some(2)).unwrap_err();
        assert!(matches!(err, Error::LengthMismatch { x_rows: 1, other_rows: 2, .. }));
    }
}
