//! StandardScaler: removes the mean and scales to unit variance, column by column.

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use oxlearn_core::{
    Error, Estimator, Fitted, FittedTransformer, ParamValue, Result, Tags, Transformer,
    TransformerKind,
};
use serde::{Deserialize, Serialize};

/// Standardizes features: `(x - mean) / std`, scikit-learn's `StandardScaler`.
///
/// Hyper-parameters: `with_mean` (default `true`), `with_std` (default `true`). NaN values are
/// ignored when fitting and kept as NaN when transforming, as scikit-learn does. Columns with zero
/// variance are scaled by 1.
///
/// Fitted accessors: [`mean`](FittedStandardScaler::mean), [`scale`](FittedStandardScaler::scale),
/// [`var`](FittedStandardScaler::var), [`n_samples_seen`](FittedStandardScaler::n_samples_seen).
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::StandardScaler;
/// let x = ndarray::array![[0.0, 10.0], [2.0, 30.0]];
/// let scaler = StandardScaler::default().fit(&x)?;
/// assert_eq!(scaler.transform(&x)?, ndarray::array![[-1.0, -1.0], [1.0, 1.0]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StandardScaler {
    with_mean: bool,
    with_std: bool,
}

impl Default for StandardScaler {
    fn default() -> Self {
        StandardScaler { with_mean: true, with_std: true }
    }
}

impl StandardScaler {
    /// Whether to centre the data (default `true`).
    pub fn with_mean(mut self, v: bool) -> Self {
        self.with_mean = v;
        self
    }
    /// Whether to scale to unit variance (default `true`).
    pub fn with_std(mut self, v: bool) -> Self {
        self.with_std = v;
        self
    }
}

/// A fitted [`StandardScaler`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedStandardScaler {
    mean: Array1<f64>,
    var: Option<Array1<f64>>,
    scale: Option<Array1<f64>>,
    with_mean: bool,
    n_samples_seen: Array1<usize>,
    n_features_in: usize,
}

impl FittedStandardScaler {
    /// Per-feature mean of the training data (reported even when `with_mean` is false, as
    /// scikit-learn's `mean_` when `with_std` is true).
    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }
    /// Per-feature population variance (`None` without `with_std`).
    pub fn var(&self) -> Option<&Array1<f64>> {
        self.var.as_ref()
    }
    /// Per-feature scale (`None` without `with_std`).
    pub fn scale(&self) -> Option<&Array1<f64>> {
        self.scale.as_ref()
    }
    /// Non-NaN samples seen per feature.
    pub fn n_samples_seen(&self) -> &Array1<usize> {
        &self.n_samples_seen
    }
}

impl Estimator for StandardScaler {
    const NAME: &'static str = "StandardScaler";
    type Kind = TransformerKind;

    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "with_mean" => self.with_mean = value.as_bool(name)?,
            "with_std" => self.with_std = value.as_bool(name)?,
            _ => return Err(Error::invalid_param(name, format!("StandardScaler has no parameter {name:?}"))),
        }
        Ok(())
    }
}

impl Transformer for StandardScaler {
    type Fitted = FittedStandardScaler;

    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedStandardScaler> {
        let m = x.ncols();
        let mut count = Array1::<usize>::zeros(m);
        let mut mean = Array1::<f64>::zeros(m);
        let mut m2 = Array1::<f64>::zeros(m);
        // Two passes per column (mean, then centred sum of squares): accurate, as numpy.
        for row in x.axis_iter(Axis(0)) {
            Zip::from(&mut mean).and(&mut count).and(&row).for_each(|s, c, &v| {
                if !v.is_nan() {
                    *s += v;
                    *c += 1;
                }
            });
        }
        Zip::from(&mut mean).and(&count).for_each(|s, &c| *s = if c > 0 { *s / c as f64 } else { f64::NAN });
        for row in x.axis_iter(Axis(0)) {
            Zip::from(&mut m2).and(&mean).and(&row).for_each(|q, &mu, &v| {
                if !v.is_nan() {
                    *q += (v - mu) * (v - mu);
                }
            });
        }
        let var = Zip::from(&m2).and(&count).map_collect(|&q, &c| if c > 0 { q / c as f64 } else { f64::NAN });
        let scale = var.mapv(|v| {
            let s = v.sqrt();
            // Constant columns (and those whose variance is rounding noise) keep their scale of 1.
            if s.is_nan() || s < 10.0 * f64::EPSILON { 1.0 } else { s }
        });
        Ok(FittedStandardScaler {
            mean,
            var: self.with_std.then_some(var),
            scale: self.with_std.then_some(scale),
            with_mean: self.with_mean,
            n_samples_seen: count,
            n_features_in: m,
        })
    }
}

impl Fitted for FittedStandardScaler {
    const NAME: &'static str = "StandardScaler";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedTransformer for FittedStandardScaler {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut out = x.to_owned();
        if self.with_mean {
            out -= &self.mean.view().insert_axis(Axis(0));
        }
        if let Some(scale) = &self.scale {
            out /= &scale.view().insert_axis(Axis(0));
        }
        Ok(out)
    }

    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut out = x.to_owned();
        if let Some(scale) = &self.scale {
            out *= &scale.view().insert_axis(Axis(0));
        }
        if self.with_mean {
            out += &self.mean.view().insert_axis(Axis(0));
        }
        Ok(out)
    }

    fn n_features_out(&self) -> usize {
        self.n_features_in
    }
}
