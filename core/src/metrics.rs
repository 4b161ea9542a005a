//! Metrics with scikit-learn's definitions.

use ndarray::ArrayView1;

use crate::error::{Error, Result};
use crate::validate::check_lengths;

/// Fraction of labels predicted exactly.
pub fn accuracy_score<L: PartialEq>(y_true: ArrayView1<'_, L>, y_pred: ArrayView1<'_, L>) -> Result<f64> {
    check_lengths("accuracy_score", y_true.len(), "y_pred", y_pred.len())?;
    if y_true.is_empty() {
        return Err(Error::InvalidInput("accuracy_score got empty input".into()));
    }
    let hits = y_true.iter().zip(y_pred.iter()).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / y_true.len() as f64)
}

/// Coefficient of determination R^2 (1.0 when predictions are perfect; 0.0 for a constant
/// `y_true` predicted imperfectly, as scikit-learn's `force_finite`).
pub fn r2_score(y_true: ArrayView1<'_, f64>, y_pred: ArrayView1<'_, f64>) -> Result<f64> {
    check_lengths("r2_score", y_true.len(), "y_pred", y_pred.len())?;
    if y_true.is_empty() {
        return Err(Error::InvalidInput("r2_score got empty input".into()));
    }
    let mean = y_true.mean().unwrap_or(0.0);
    let ss_res: f64 = y_true.iter().zip(y_pred.iter()).map(|(t, p)| (t - p).powi(2)).sum();
    let ss_tot: f64 = y_true.iter().map(|t| (t - mean).powi(2)).sum();
    Ok(if ss_tot == 0.0 {
        if ss_res == 0.0 { 1.0 } else { 0.0 }
    } else {
        1.0 - ss_res / ss_tot
    })
}
