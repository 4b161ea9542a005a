//! Scalers and the row normalizer: [`StandardScaler`], [`MinMaxScaler`], [`MaxAbsScaler`],
//! [`RobustScaler`] and [`Normalizer`].
//!
//! Every scaler is fitted from per-column statistics computed in parallel over
//! columns and in fixed row chunks, and transforms in parallel over fixed row chunks, so results
//! are bit-identical whatever the thread count. NaN values are ignored when fitting and kept when
//! transforming, as in scikit-learn.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1, AsArray, Ix2, Zip};
use oxlearn_core::{
    Error, Estimator, Fitted, FittedTransformer, ParamValue, Result, Tags, Transformer, TransformerKind,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::array_to_cols;
use crate::stats::{ColAccum, Needs, accumulate, percentile_linear};

pub(crate) use crate::kernels::TRANSFORM_CHUNK;
use crate::kernels::{
    checked_num_accums, fused_transform, is_inf, map_row_chunks, map_row_chunks_inplace, matrix_cat_counts,
    matrix_num_stats, num_accums, rows_rev, with_avx2,
};

/// Copies `x` into a fresh (huge-page) output and applies `f` to each row, in parallel over
/// fixed row chunks: each chunk is copied, then transformed while it is in cache.
pub(crate) fn map_rows(x: ArrayView2<'_, f64>, f: impl Fn(ArrayViewMut1<'_, f64>) + Sync) -> Array2<f64> {
    let m = x.ncols();
    map_row_chunks(x, m, |xs, os| {
        for (xr, or) in rows_rev(xs, m, os, m) {
            or.copy_from_slice(xr);
            f(ArrayViewMut1::from(or));
        }
        true
    })
    .0
}

/// Applies `f` to each row of `x` in place, in parallel over fixed row chunks (the same per-row
/// operation as [`map_rows`], so the same bits). A non-standard layout is made row-major first.
pub(crate) fn map_rows_inplace(x: &mut Array2<f64>, f: impl Fn(ArrayViewMut1<'_, f64>) + Sync) {
    map_row_chunks_inplace(x, |c, m| {
        for row in c.chunks_exact_mut(m) {
            f(ArrayViewMut1::from(row));
        }
    });
}

/// The in-place transform of a row-wise transformer: the full validator first (so an error
/// leaves `x` untouched), then `f` on each row.
fn inplace_rows<F: Fitted>(fitted: &F, x: &mut Array2<f64>, f: impl Fn(ArrayViewMut1<'_, f64>) + Sync) -> Result<()> {
    fitted.check_x(x.view())?;
    map_rows_inplace(x, f);
    Ok(())
}

/// Statistics of a validated matrix, for the `fit_checked` of column-statistics transformers.
pub(crate) fn matrix_accums(x: ArrayView2<'_, f64>, needs: Needs) -> Vec<ColAccum> {
    if needs == Needs::default()
        && let Some((stats, _)) = matrix_num_stats(x)
    {
        return num_accums(stats);
    }
    if needs == (Needs { quantiles: false, categories: true })
        && let Some((acc, _)) = matrix_cat_counts(x)
    {
        return acc;
    }
    accumulate(&array_to_cols(x), needs, 0, None)
}

/// scikit-learn's `_handle_zeros_in_scale`: scales below `10 * eps` become 1.
fn handle_zeros(s: f64) -> f64 {
    if s.is_nan() || s < 10.0 * f64::EPSILON { 1.0 } else { s }
}

fn no_param(estimator: &str, name: &str) -> Error {
    Error::invalid_param(name, format!("{estimator} has no parameter {name:?}"))
}

// ---------------------------------------------------------------------------------------------
// StandardScaler

/// Standardizes features: `(x - mean) / std`, scikit-learn's `StandardScaler`.
///
/// Hyper-parameters: `with_mean` (default `true`), `with_std` (default `true`). NaN values are
/// ignored when fitting and kept as NaN when transforming, as scikit-learn does. Constant columns
/// are scaled by 1.
///
/// Fitted accessors: [`mean`](FittedStandardScaler::mean), [`scale`](FittedStandardScaler::scale),
/// [`var`](FittedStandardScaler::var), [`n_samples_seen`](FittedStandardScaler::n_samples_seen).
/// Errors: the shared validation errors (empty input, infinity, width mismatch).
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

    pub(crate) fn needs(&self) -> Needs {
        Needs::default()
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum]) -> Result<FittedStandardScaler> {
        let mean: Array1<f64> = acc.iter().map(|a| a.num.mean()).collect();
        let var: Array1<f64> = acc.iter().map(|a| a.num.var()).collect();
        let count: Array1<usize> = acc.iter().map(|a| a.num.n as usize).collect();
        // scikit-learn's `_is_constant_feature`: variance within rounding noise of zero.
        let scale = Zip::from(&var).and(&mean).and(&count).map_collect(|&v, &m, &n| {
            let eps = f64::EPSILON;
            let n = n as f64;
            let bound = n * eps * v + (n * m * eps).powi(2);
            if v.is_nan() || v <= bound { 1.0 } else { v.sqrt() }
        });
        Ok(FittedStandardScaler {
            mean,
            var: self.with_std.then_some(var),
            scale: self.with_std.then_some(scale),
            with_mean: self.with_mean,
            n_samples_seen: count,
            n_features_in: acc.len(),
        })
    }
}

/// A fitted [`StandardScaler`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedStandardScaler {
    #[serde(with = "crate::serde_f64::arr1")]
    mean: Array1<f64>,
    #[serde(with = "crate::serde_f64::opt_arr1")]
    var: Option<Array1<f64>>,
    #[serde(with = "crate::serde_f64::opt_arr1")]
    scale: Option<Array1<f64>>,
    with_mean: bool,
    n_samples_seen: Array1<usize>,
    n_features_in: usize,
}

impl FittedStandardScaler {
    /// Per-feature mean of the training data (NaN for a column without values).
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
    pub(crate) fn with_mean_flag(&self) -> bool {
        self.with_mean
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
            _ => return Err(no_param(Self::NAME, name)),
        }
        Ok(())
    }
}

impl Transformer for StandardScaler {
    type Fitted = FittedStandardScaler;

    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedStandardScaler> {
        self.fit_stats(&matrix_accums(x, self.needs()))
    }

    /// Validates and fits in one sweep over `x` (the validator's finiteness pass is fused with
    /// the statistics; its exact errors are kept).
    fn fit<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<FittedStandardScaler> {
        let x: ArrayView2<'a, f64> = x.into();
        let _span = tracing::debug_span!("fit", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        self.fit_stats(&checked_num_accums(Self::NAME, &self.tags(), x)?)
    }
}

impl FittedStandardScaler {
    /// `(x - mean) / scale` into a new matrix (mean 0 without `with_mean`, scale 1 without
    /// `with_std`: both exact no-ops), flagging infinities.
    fn kernel(&self, x: ArrayView2<'_, f64>) -> (Array2<f64>, bool) {
        let m = self.n_features_in;
        let (mean, scale) = self.mean_scale();
        map_row_chunks(x, m, |xs, os| {
            with_avx2(|| {
                let mut inf = false;
                for (xr, or) in rows_rev(xs, m, os, m) {
                    for (((o, &v), &mu), &s) in or.iter_mut().zip(xr).zip(&mean).zip(&scale) {
                        *o = (v - mu) / s;
                        inf |= is_inf(v);
                    }
                }
                !inf
            })
        })
    }

    /// The subtracted mean and the divisor (0 and 1 where switched off: exact no-ops).
    fn mean_scale(&self) -> (Vec<f64>, Vec<f64>) {
        let m = self.n_features_in;
        let mean: Vec<f64> = if self.with_mean { self.mean.to_vec() } else { vec![0.0; m] };
        let scale: Vec<f64> = self.scale.as_ref().map_or_else(|| vec![1.0; m], |s| s.to_vec());
        (mean, scale)
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
        Ok(self.kernel(x).0)
    }

    /// Validates and transforms in one sweep (the finiteness check is fused with the kernel).
    fn transform<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
        fused_transform(self, x, |x| Ok(self.kernel(x)))
    }

    /// scikit-learn's `StandardScaler(copy=False)`: validates `x` (one read-only pass), then
    /// `(x - mean) / scale` in `x`'s own buffer with the transform's kernel (the same bits).
    fn transform_inplace(&self, x: &mut Array2<f64>) -> Result<()> {
        self.check_x(x.view())?;
        let (mean, scale) = self.mean_scale();
        map_row_chunks_inplace(x, |c, m| {
            with_avx2(|| {
                for row in c.chunks_exact_mut(m) {
                    for ((v, &mu), &s) in row.iter_mut().zip(&mean).zip(&scale) {
                        *v = (*v - mu) / s;
                    }
                }
            })
        });
        Ok(())
    }

    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mean = self.with_mean.then_some(&self.mean);
        let scale = self.scale.as_ref();
        Ok(map_rows(x, |mut row| {
            if let Some(s) = scale {
                row *= s;
            }
            if let Some(m) = mean {
                row += m;
            }
        }))
    }

    fn n_features_out(&self) -> usize {
        self.n_features_in
    }
}

// ---------------------------------------------------------------------------------------------
// MinMaxScaler

/// Scales each feature to a given range, scikit-learn's `MinMaxScaler`:
/// `x * scale + min` with `scale = (hi - lo) / (data_max - data_min)`.
///
/// Hyper-parameters: `feature_range` (default `(0.0, 1.0)`; `lo < hi` is required), `clip`
/// (default `false`: clip transformed values to the range). NaN is ignored in fit and kept in
/// transform. Constant columns get a scale of `hi - lo`.
///
/// Fitted accessors: `data_min`, `data_max`, `data_range`, `scale`, `min`.
/// Errors: `InvalidParam` for an empty or reversed range; the shared validation errors.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::MinMaxScaler;
/// let x = ndarray::array![[0.0], [5.0], [10.0]];
/// let fitted = MinMaxScaler::default().feature_range(-1.0, 1.0).fit(&x)?;
/// assert_eq!(fitted.transform(&x)?, ndarray::array![[-1.0], [0.0], [1.0]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxScaler {
    feature_range: (f64, f64),
    clip: bool,
}

impl Default for MinMaxScaler {
    fn default() -> Self {
        MinMaxScaler { feature_range: (0.0, 1.0), clip: false }
    }
}

impl MinMaxScaler {
    /// The target range `(lo, hi)` (default `(0.0, 1.0)`).
    pub fn feature_range(mut self, lo: f64, hi: f64) -> Self {
        self.feature_range = (lo, hi);
        self
    }
    /// Clip transformed values to the range (default `false`).
    pub fn clip(mut self, v: bool) -> Self {
        self.clip = v;
        self
    }

    pub(crate) fn needs(&self) -> Needs {
        Needs::default()
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum]) -> Result<FittedMinMaxScaler> {
        let (lo, hi) = self.feature_range;
        let data_min: Array1<f64> = acc.iter().map(|a| if a.num.n == 0 { f64::NAN } else { a.num.min }).collect();
        let data_max: Array1<f64> = acc.iter().map(|a| if a.num.n == 0 { f64::NAN } else { a.num.max }).collect();
        let data_range = &data_max - &data_min;
        let scale = data_range.mapv(|r| (hi - lo) / handle_zeros(r));
        let min = lo - &data_min * &scale;
        Ok(FittedMinMaxScaler {
            data_min,
            data_max,
            data_range,
            scale,
            min,
            feature_range: self.feature_range,
            clip: self.clip,
        })
    }
}

/// A fitted [`MinMaxScaler`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedMinMaxScaler {
    #[serde(with = "crate::serde_f64::arr1")]
    data_min: Array1<f64>,
    #[serde(with = "crate::serde_f64::arr1")]
    data_max: Array1<f64>,
    #[serde(with = "crate::serde_f64::arr1")]
    data_range: Array1<f64>,
    #[serde(with = "crate::serde_f64::arr1")]
    scale: Array1<f64>,
    #[serde(with = "crate::serde_f64::arr1")]
    min: Array1<f64>,
    feature_range: (f64, f64),
    clip: bool,
}

impl FittedMinMaxScaler {
    /// Per-feature minimum seen in fit.
    pub fn data_min(&self) -> &Array1<f64> {
        &self.data_min
    }
    /// Per-feature maximum seen in fit.
    pub fn data_max(&self) -> &Array1<f64> {
        &self.data_max
    }
    /// Per-feature `data_max - data_min`.
    pub fn data_range(&self) -> &Array1<f64> {
        &self.data_range
    }
    /// Per-feature multiplier.
    pub fn scale(&self) -> &Array1<f64> {
        &self.scale
    }
    /// Per-feature offset.
    pub fn min(&self) -> &Array1<f64> {
        &self.min
    }
}

impl Estimator for MinMaxScaler {
    const NAME: &'static str = "MinMaxScaler";
    type Kind = TransformerKind;

    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        let (lo, hi) = self.feature_range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::invalid_param(
                "feature_range",
                format!("minimum of desired feature range must be smaller than maximum, got ({lo}, {hi})"),
            ));
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "clip" => self.clip = value.as_bool(name)?,
            "feature_range_min" => self.feature_range.0 = value.as_f64(name)?,
            "feature_range_max" => self.feature_range.1 = value.as_f64(name)?,
            _ => return Err(no_param(Self::NAME, name)),
        }
        Ok(())
    }
}

impl Transformer for MinMaxScaler {
    type Fitted = FittedMinMaxScaler;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedMinMaxScaler> {
        self.fit_stats(&matrix_accums(x, self.needs()))
    }
}

impl Fitted for FittedMinMaxScaler {
    const NAME: &'static str = "MinMaxScaler";
    fn n_features_in(&self) -> usize {
        self.scale.len()
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedMinMaxScaler {
    fn scale_row(&self, mut row: ArrayViewMut1<'_, f64>) {
        let (lo, hi) = self.feature_range;
        row *= &self.scale;
        row += &self.min;
        if self.clip {
            row.mapv_inplace(|v| if v.is_nan() { v } else { v.clamp(lo, hi) });
        }
    }
}

impl FittedTransformer for FittedMinMaxScaler {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Ok(map_rows(x, |row| self.scale_row(row)))
    }

    /// scikit-learn's `MinMaxScaler(copy=False)`: validated first, then scaled in `x`'s buffer.
    fn transform_inplace(&self, x: &mut Array2<f64>) -> Result<()> {
        inplace_rows(self, x, |row| self.scale_row(row))
    }

    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Ok(map_rows(x, |mut row| {
            row -= &self.min;
            row /= &self.scale;
        }))
    }

    fn n_features_out(&self) -> usize {
        self.scale.len()
    }
}

// ---------------------------------------------------------------------------------------------
// MaxAbsScaler

/// Scales each feature by its maximum absolute value, scikit-learn's `MaxAbsScaler`.
///
/// No hyper-parameters. NaN is ignored in fit and kept in transform; all-zero columns are
/// scaled by 1. Fitted accessors: `max_abs`, `scale`.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::MaxAbsScaler;
/// let x = ndarray::array![[-4.0], [2.0]];
/// let fitted = MaxAbsScaler::default().fit(&x)?;
/// assert_eq!(fitted.transform(&x)?, ndarray::array![[-1.0], [0.5]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaxAbsScaler {}

impl MaxAbsScaler {
    pub(crate) fn needs(&self) -> Needs {
        Needs::default()
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum]) -> Result<FittedMaxAbsScaler> {
        let max_abs: Array1<f64> = acc.iter().map(|a| if a.num.n == 0 { f64::NAN } else { a.num.max_abs() }).collect();
        let scale = max_abs.mapv(handle_zeros);
        Ok(FittedMaxAbsScaler { max_abs, scale })
    }
}

/// A fitted [`MaxAbsScaler`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedMaxAbsScaler {
    #[serde(with = "crate::serde_f64::arr1")]
    max_abs: Array1<f64>,
    scale: Array1<f64>,
}

impl FittedMaxAbsScaler {
    /// Per-feature maximum absolute value.
    pub fn max_abs(&self) -> &Array1<f64> {
        &self.max_abs
    }
    /// Per-feature divisor.
    pub fn scale(&self) -> &Array1<f64> {
        &self.scale
    }
}

impl Estimator for MaxAbsScaler {
    const NAME: &'static str = "MaxAbsScaler";
    type Kind = TransformerKind;
    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }
}

impl Transformer for MaxAbsScaler {
    type Fitted = FittedMaxAbsScaler;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedMaxAbsScaler> {
        self.fit_stats(&matrix_accums(x, self.needs()))
    }
}

impl Fitted for FittedMaxAbsScaler {
    const NAME: &'static str = "MaxAbsScaler";
    fn n_features_in(&self) -> usize {
        self.scale.len()
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedTransformer for FittedMaxAbsScaler {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Ok(map_rows(x, |mut row| row /= &self.scale))
    }
    /// scikit-learn's `MaxAbsScaler(copy=False)`: validated first, then scaled in `x`'s buffer.
    fn transform_inplace(&self, x: &mut Array2<f64>) -> Result<()> {
        inplace_rows(self, x, |mut row| row /= &self.scale)
    }
    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Ok(map_rows(x, |mut row| row *= &self.scale))
    }
    fn n_features_out(&self) -> usize {
        self.scale.len()
    }
}

// ---------------------------------------------------------------------------------------------
// RobustScaler

/// Scales with statistics robust to outliers, scikit-learn's `RobustScaler`:
/// `(x - median) / (q_hi - q_lo)`.
///
/// Hyper-parameters: `with_centering` (default `true`), `with_scaling` (default `true`),
/// `quantile_range` (default `(25.0, 75.0)`, `0 <= lo < hi <= 100`), `unit_variance` (default
/// `false`: divide the scale by the normal distribution's interquantile range, so normal data
/// ends with variance 1). Percentiles are numpy's linear interpolation; NaN is ignored. In a
/// streaming fit the quantiles are approximate (see [`crate::job`]).
///
/// Fitted accessors: `center`, `scale`.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::RobustScaler;
/// let x = ndarray::array![[1.0], [2.0], [3.0], [4.0], [100.0]];
/// let fitted = RobustScaler::default().fit(&x)?;
/// assert_eq!(fitted.center()[0], 3.0);
/// assert_eq!(fitted.scale()[0], 2.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RobustScaler {
    with_centering: bool,
    with_scaling: bool,
    quantile_range: (f64, f64),
    unit_variance: bool,
}

impl Default for RobustScaler {
    fn default() -> Self {
        RobustScaler { with_centering: true, with_scaling: true, quantile_range: (25.0, 75.0), unit_variance: false }
    }
}

impl RobustScaler {
    /// Centre on the median (default `true`).
    pub fn with_centering(mut self, v: bool) -> Self {
        self.with_centering = v;
        self
    }
    /// Scale by the interquantile range (default `true`).
    pub fn with_scaling(mut self, v: bool) -> Self {
        self.with_scaling = v;
        self
    }
    /// The quantiles, in percent (default `(25.0, 75.0)`).
    pub fn quantile_range(mut self, lo: f64, hi: f64) -> Self {
        self.quantile_range = (lo, hi);
        self
    }
    /// Scale so that normal data has unit variance (default `false`).
    pub fn unit_variance(mut self, v: bool) -> Self {
        self.unit_variance = v;
        self
    }

    pub(crate) fn needs(&self) -> Needs {
        Needs { quantiles: true, categories: false }
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum]) -> Result<FittedRobustScaler> {
        let (lo, hi) = self.quantile_range;
        let sorted: Vec<Vec<f64>> =
            acc.par_iter().map(|a| a.sketch.as_ref().map(|s| s.sorted()).unwrap_or_default()).collect();
        let center =
            self.with_centering.then(|| sorted.iter().map(|s| percentile_linear(s, 50.0)).collect::<Array1<f64>>());
        let scale = self.with_scaling.then(|| {
            let adjust = if self.unit_variance { norm_ppf(hi / 100.0) - norm_ppf(lo / 100.0) } else { 1.0 };
            sorted
                .iter()
                .map(|s| handle_zeros(percentile_linear(s, hi) - percentile_linear(s, lo)) / adjust)
                .collect::<Array1<f64>>()
        });
        Ok(FittedRobustScaler { center, scale, n_features_in: acc.len() })
    }
}

/// The standard normal quantile function (Acklam's rational approximation, refined by one
/// Newton step; relative error below 1e-12 in the range used here).
pub(crate) fn norm_ppf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let x = if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - 0.02425 {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Newton step on Phi(x) - p, with Phi from a high-precision erfc.
    let e = 0.5 * erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Complementary error function (W. J. Cody's rational approximations, ~1e-16 relative).
fn erfc(x: f64) -> f64 {
    // Numerical Recipes' erfc via Chebyshev fit (fractional error < 1.2e-7) is too coarse; use the
    // continued expansion through `erf` series for |x| < 2 and an asymptotic continued fraction
    // otherwise, which is accurate to ~1e-15 in double precision.
    let ax = x.abs();
    let r = if ax < 2.0 {
        // Taylor series of erf.
        let mut sum = ax;
        let mut term = ax;
        let x2 = ax * ax;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= -x2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // Lentz's continued fraction for erfc.
        let x2 = ax * ax;
        let mut f = ax;
        let mut c = ax;
        let mut d = 0.0;
        for k in 1..200 {
            let a = k as f64 / 2.0;
            d = ax + a * d;
            d = 1.0 / d;
            c = ax + a / c;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x2).exp() / f / std::f64::consts::PI.sqrt()
    };
    if x < 0.0 { 2.0 - r } else { r }
}

/// A fitted [`RobustScaler`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedRobustScaler {
    #[serde(with = "crate::serde_f64::opt_arr1")]
    center: Option<Array1<f64>>,
    scale: Option<Array1<f64>>,
    n_features_in: usize,
}

impl FittedRobustScaler {
    /// Per-feature median (zeros without centering).
    pub fn center(&self) -> Array1<f64> {
        self.center.clone().unwrap_or_else(|| Array1::zeros(self.n_features_in))
    }
    /// Per-feature interquantile range (ones without scaling).
    pub fn scale(&self) -> Array1<f64> {
        self.scale.clone().unwrap_or_else(|| Array1::ones(self.n_features_in))
    }
}

impl Estimator for RobustScaler {
    const NAME: &'static str = "RobustScaler";
    type Kind = TransformerKind;
    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }
    fn check_params(&self) -> Result<()> {
        let (lo, hi) = self.quantile_range;
        if !(0.0 <= lo && lo < hi && hi <= 100.0) {
            return Err(Error::invalid_param("quantile_range", format!("needs 0 <= lo < hi <= 100, got ({lo}, {hi})")));
        }
        Ok(())
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "with_centering" => self.with_centering = value.as_bool(name)?,
            "with_scaling" => self.with_scaling = value.as_bool(name)?,
            "unit_variance" => self.unit_variance = value.as_bool(name)?,
            "quantile_range_min" => self.quantile_range.0 = value.as_f64(name)?,
            "quantile_range_max" => self.quantile_range.1 = value.as_f64(name)?,
            _ => return Err(no_param(Self::NAME, name)),
        }
        Ok(())
    }
}

impl Transformer for RobustScaler {
    type Fitted = FittedRobustScaler;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedRobustScaler> {
        self.fit_stats(&matrix_accums(x, self.needs()))
    }
}

impl Fitted for FittedRobustScaler {
    const NAME: &'static str = "RobustScaler";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedRobustScaler {
    fn scale_row(&self, mut row: ArrayViewMut1<'_, f64>) {
        if let Some(c) = &self.center {
            row -= c;
        }
        if let Some(s) = &self.scale {
            row /= s;
        }
    }
}

impl FittedTransformer for FittedRobustScaler {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Ok(map_rows(x, |row| self.scale_row(row)))
    }
    /// scikit-learn's `RobustScaler(copy=False)`: validated first, then scaled in `x`'s buffer.
    fn transform_inplace(&self, x: &mut Array2<f64>) -> Result<()> {
        inplace_rows(self, x, |row| self.scale_row(row))
    }
    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Ok(map_rows(x, |mut row| {
            if let Some(s) = &self.scale {
                row *= s;
            }
            if let Some(c) = &self.center {
                row += c;
            }
        }))
    }
    fn n_features_out(&self) -> usize {
        self.n_features_in
    }
}

// ---------------------------------------------------------------------------------------------
// Normalizer

/// The norm [`Normalizer`] divides each row by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Norm {
    /// Sum of absolute values.
    L1,
    /// Euclidean norm (scikit-learn's default).
    #[default]
    L2,
    /// Largest absolute value.
    Max,
}

impl Norm {
    fn parse(s: &str) -> Result<Norm> {
        match s {
            "l1" => Ok(Norm::L1),
            "l2" => Ok(Norm::L2),
            "max" => Ok(Norm::Max),
            other => Err(Error::invalid_param("norm", format!("must be \"l1\", \"l2\" or \"max\", got {other:?}"))),
        }
    }
}

/// Scales each row to unit norm, scikit-learn's `Normalizer`. Rows of norm zero are left alone.
///
/// Hyper-parameters: `norm` (default [`Norm::L2`]). Stateless: `fit` only records the width.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::{Norm, Normalizer};
/// let x = ndarray::array![[3.0, 4.0], [0.0, 0.0]];
/// let fitted = Normalizer::default().fit(&x)?;
/// assert_eq!(fitted.transform(&x)?, ndarray::array![[0.6, 0.8], [0.0, 0.0]]);
/// let l1 = Normalizer::default().norm(Norm::L1).fit(&x)?.transform(&x)?;
/// assert_eq!(l1[[0, 0]], 3.0 / 7.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Normalizer {
    norm: Norm,
}

impl Normalizer {
    /// The norm (default [`Norm::L2`]).
    pub fn norm(mut self, norm: Norm) -> Self {
        self.norm = norm;
        self
    }

    pub(crate) fn needs(&self) -> Needs {
        Needs::default()
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum]) -> Result<FittedNormalizer> {
        Ok(FittedNormalizer { norm: self.norm, n_features_in: acc.len() })
    }
}

/// A fitted [`Normalizer`] (it holds no statistics).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedNormalizer {
    norm: Norm,
    n_features_in: usize,
}

impl Estimator for Normalizer {
    const NAME: &'static str = "Normalizer";
    type Kind = TransformerKind;
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "norm" => self.norm = Norm::parse(value.as_str(name)?)?,
            _ => return Err(no_param(Self::NAME, name)),
        }
        Ok(())
    }
}

impl Transformer for Normalizer {
    type Fitted = FittedNormalizer;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedNormalizer> {
        Ok(FittedNormalizer { norm: self.norm, n_features_in: x.ncols() })
    }
}

impl Fitted for FittedNormalizer {
    const NAME: &'static str = "Normalizer";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
}

impl FittedNormalizer {
    fn normalize_row(&self, mut row: ArrayViewMut1<'_, f64>) {
        let n = match self.norm {
            Norm::L1 => row.iter().map(|v| v.abs()).sum::<f64>(),
            Norm::L2 => row.iter().map(|v| v * v).sum::<f64>().sqrt(),
            Norm::Max => row.iter().fold(0.0f64, |m, v| m.max(v.abs())),
        };
        if n != 0.0 {
            row /= n;
        }
    }
}

impl FittedTransformer for FittedNormalizer {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Ok(map_rows(x, |row| self.normalize_row(row)))
    }
    /// scikit-learn's `Normalizer(copy=False)`: validated first, then each row divided in place.
    fn transform_inplace(&self, x: &mut Array2<f64>) -> Result<()> {
        inplace_rows(self, x, |row| self.normalize_row(row))
    }
    fn n_features_out(&self) -> usize {
        self.n_features_in
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles() {
        assert!((norm_ppf(0.75) - norm_ppf(0.25) - 1.3489795003921634).abs() < 1e-13);
        assert!((norm_ppf(0.975) - 1.959963984540054).abs() < 1e-13);
        assert!((norm_ppf(0.01) + 2.3263478740408408).abs() < 1e-12);
    }
}
