//! Regression metrics: R^2, explained variance and the mean squared, absolute and median
//! absolute errors.

use ndarray::ArrayView1;

use super::{check_finite_1d, check_pair};
use crate::error::{Error, Result};

/// Checks a pair of real-valued targets: same non-zero length, finite values.
fn check_regression(metric: &str, y_true: ArrayView1<'_, f64>, y_pred: ArrayView1<'_, f64>) -> Result<()> {
    check_pair(metric, y_true.len(), "y_pred", y_pred.len())?;
    check_finite_1d("y_true", y_true)?;
    check_finite_1d("y_pred", y_pred)
}

fn mean(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    values.sum::<f64>() / n as f64
}

/// Coefficient of determination `1 - SS_res / SS_tot`: scikit-learn's `r2_score(y_true, y_pred)`.
///
/// Perfect predictions score 1.0; a constant `y_true` predicted imperfectly scores 0.0
/// (scikit-learn's `force_finite=True`).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`];
/// [`Error::InvalidInput`] for a single sample, where R^2 is not defined (scikit-learn returns NaN
/// with a warning).
pub fn r2_score(y_true: ArrayView1<'_, f64>, y_pred: ArrayView1<'_, f64>) -> Result<f64> {
    check_regression("r2_score", y_true, y_pred)?;
    let n = y_true.len();
    if n < 2 {
        return Err(Error::InvalidInput("r2_score is not well-defined with less than two samples, got 1".into()));
    }
    let y_mean = mean(y_true.iter().copied(), n);
    let ss_res: f64 = y_true.iter().zip(y_pred.iter()).map(|(t, p)| (t - p).powi(2)).sum();
    let ss_tot: f64 = y_true.iter().map(|t| (t - y_mean).powi(2)).sum();
    Ok(finite_ratio_score(ss_res, ss_tot))
}

/// Explained variance `1 - Var(y_true - y_pred) / Var(y_true)`: scikit-learn's
/// `explained_variance_score(y_true, y_pred)`. Unlike R^2 it ignores a constant bias of the
/// predictions. Same conventions as [`r2_score`] for a constant `y_true` (`force_finite=True`).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`].
pub fn explained_variance_score(y_true: ArrayView1<'_, f64>, y_pred: ArrayView1<'_, f64>) -> Result<f64> {
    check_regression("explained_variance_score", y_true, y_pred)?;
    let n = y_true.len();
    let diff_mean = mean(y_true.iter().zip(y_pred.iter()).map(|(t, p)| t - p), n);
    let numerator = mean(y_true.iter().zip(y_pred.iter()).map(|(t, p)| (t - p - diff_mean).powi(2)), n);
    let y_mean = mean(y_true.iter().copied(), n);
    let denominator = mean(y_true.iter().map(|t| (t - y_mean).powi(2)), n);
    Ok(finite_ratio_score(numerator, denominator))
}

/// `1 - numerator / denominator` with scikit-learn's `force_finite` conventions: 1.0 when the
/// numerator is zero, 0.0 when only the denominator is.
fn finite_ratio_score(numerator: f64, denominator: f64) -> f64 {
    if numerator == 0.0 {
        1.0
    } else if denominator == 0.0 {
        0.0
    } else {
        1.0 - numerator / denominator
    }
}

/// Mean squared error: scikit-learn's `mean_squared_error(y_true, y_pred)`.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`].
pub fn mean_squared_error(y_true: ArrayView1<'_, f64>, y_pred: ArrayView1<'_, f64>) -> Result<f64> {
    check_regression("mean_squared_error", y_true, y_pred)?;
    Ok(mean(y_true.iter().zip(y_pred.iter()).map(|(t, p)| (t - p).powi(2)), y_true.len()))
}

/// Root mean squared error: scikit-learn's `root_mean_squared_error(y_true, y_pred)`.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`].
pub fn root_mean_squared_error(y_true: ArrayView1<'_, f64>, y_pred: ArrayView1<'_, f64>) -> Result<f64> {
    check_regression("root_mean_squared_error", y_true, y_pred)?;
    Ok(mean(y_true.iter().zip(y_pred.iter()).map(|(t, p)| (t - p).powi(2)), y_true.len()).sqrt())
}

/// Mean absolute error: scikit-learn's `mean_absolute_error(y_true, y_pred)`.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`].
pub fn mean_absolute_error(y_true: ArrayView1<'_, f64>, y_pred: ArrayView1<'_, f64>) -> Result<f64> {
    check_regression("mean_absolute_error", y_true, y_pred)?;
    Ok(mean(y_true.iter().zip(y_pred.iter()).map(|(t, p)| (t - p).abs()), y_true.len()))
}

/// Median absolute error (robust to outliers): scikit-learn's
/// `median_absolute_error(y_true, y_pred)`. With an even number of samples, the mean of the two
/// middle errors (`numpy.median`).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::EmptyInput`], [`Error::NonFinite`].
pub fn median_absolute_error(y_true: ArrayView1<'_, f64>, y_pred: ArrayView1<'_, f64>) -> Result<f64> {
    check_regression("median_absolute_error", y_true, y_pred)?;
    let mut errors: Vec<f64> = y_true.iter().zip(y_pred.iter()).map(|(t, p)| (t - p).abs()).collect();
    errors.sort_by(f64::total_cmp);
    let n = errors.len();
    Ok(if n % 2 == 1 { errors[n / 2] } else { (errors[n / 2 - 1] + errors[n / 2]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn by_hand() {
        let t = array![3.0, -0.5, 2.0, 7.0];
        let p = array![2.5, 0.0, 2.0, 8.0];
        assert_eq!(mean_squared_error(t.view(), p.view()).unwrap(), 0.375);
        assert_eq!(root_mean_squared_error(t.view(), p.view()).unwrap(), 0.375f64.sqrt());
        assert_eq!(mean_absolute_error(t.view(), p.view()).unwrap(), 0.5);
        assert_eq!(median_absolute_error(t.view(), p.view()).unwrap(), 0.5);
        assert!((r2_score(t.view(), p.view()).unwrap() - 0.9486081370449679).abs() < 1e-15);
        assert!((explained_variance_score(t.view(), p.view()).unwrap() - 0.9571734475374732).abs() < 1e-15);
    }

    #[test]
    fn constant_target_conventions() {
        let t = array![2.0, 2.0, 2.0];
        assert_eq!(r2_score(t.view(), t.view()).unwrap(), 1.0);
        assert_eq!(r2_score(t.view(), array![1.0, 2.0, 3.0].view()).unwrap(), 0.0);
        assert_eq!(explained_variance_score(t.view(), array![3.0, 3.0, 3.0].view()).unwrap(), 1.0);
        assert_eq!(explained_variance_score(t.view(), array![1.0, 2.0, 3.0].view()).unwrap(), 0.0);
    }

    #[test]
    fn errors() {
        let t = array![1.0, f64::NAN];
        let p = array![1.0, 2.0];
        assert!(matches!(
            r2_score(t.view(), p.view()),
            Err(Error::NonFinite { row: 1, input: crate::error::Input::Arg("y_true"), .. })
        ));
        let e = mean_squared_error(p.view(), t.view()).unwrap_err();
        assert!(matches!(e, Error::NonFinite { row: 1, input: crate::error::Input::Arg("y_pred"), .. }));
        assert!(e.to_string().contains("y_pred"), "{e}");
        assert!(matches!(mean_absolute_error(p.view(), array![1.0].view()), Err(Error::LengthMismatch { .. })));
        let empty = ndarray::Array1::<f64>::zeros(0);
        assert!(matches!(median_absolute_error(empty.view(), empty.view()), Err(Error::EmptyInput { .. })));
        assert!(matches!(r2_score(p.slice(ndarray::s![..1]), p.slice(ndarray::s![..1])), Err(Error::InvalidInput(_))));
    }
}
