//! [`SimpleImputer`]: fills missing values (NaN in matrices, null or NaN in DataFrames) per
//! column with the mean, median, most frequent value or a constant, for numeric and string columns.

use ndarray::{Array2, ArrayView2, AsArray, Ix2};
use oxlearn_core::{
    Error, Estimator, Fitted, FittedTransformer, ParamValue, Result, Tags, Transformer, TransformerKind,
};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Col, array_to_cols, cols_to_array, default_names, names_or_default};
use crate::kernels::{checked_num_accums, fused_transform, is_inf, map_row_chunks, rows_rev};
use crate::scaler::matrix_accums;
use crate::stats::{CatCounts, ColAccum, Needs};

/// How [`SimpleImputer`] computes the fill value of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ImputeStrategy {
    /// Mean of the column (numeric columns only; scikit-learn's default).
    #[default]
    Mean,
    /// Median of the column (numeric columns only; approximate in a streaming fit).
    Median,
    /// Most frequent value (the smallest among ties, as scikit-learn); numbers and strings.
    MostFrequent,
    /// A constant, `fill_value`.
    Constant,
}

impl ImputeStrategy {
    fn name(self) -> &'static str {
        match self {
            ImputeStrategy::Mean => "mean",
            ImputeStrategy::Median => "median",
            ImputeStrategy::MostFrequent => "most_frequent",
            ImputeStrategy::Constant => "constant",
        }
    }
}

/// A constant fill value: a number or a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FillValue {
    /// For numeric columns.
    Num(f64),
    /// For string columns.
    Str(String),
}

impl From<f64> for FillValue {
    fn from(v: f64) -> Self {
        FillValue::Num(v)
    }
}
impl From<&str> for FillValue {
    fn from(v: &str) -> Self {
        FillValue::Str(v.to_string())
    }
}
impl From<String> for FillValue {
    fn from(v: String) -> Self {
        FillValue::Str(v)
    }
}

/// Replaces missing values column by column, scikit-learn's `SimpleImputer`.
///
/// Hyper-parameters: `strategy` (default [`ImputeStrategy::Mean`]; constructors
/// [`mean`](Self::mean), [`median`](Self::median), [`most_frequent`](Self::most_frequent),
/// [`constant`](Self::constant)), `fill_value` (for `Constant`; default 0 for numeric columns and
/// `"missing_value"` for string columns), `add_indicator` (default `false`: append a 0/1 column
/// `missingindicator_<name>` for every column that had missing values in fit),
/// `keep_empty_features` (default `false`: columns with no value at all in fit are dropped,
/// except with `Constant`).
///
/// Missing values are NaN in a matrix and null (or NaN) in a DataFrame. String columns accept
/// `MostFrequent` and `Constant`; `Mean` / `Median` on a string column is an error naming it.
///
/// Fitted accessors: [`statistics`](FittedSimpleImputer::statistics),
/// [`indicator_features`](FittedSimpleImputer::indicator_features).
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::SimpleImputer;
/// let x = ndarray::array![[1.0, f64::NAN], [3.0, 4.0], [f64::NAN, 6.0]];
/// let fitted = SimpleImputer::mean().add_indicator(true).fit(&x)?;
/// let out = fitted.transform(&x)?;
/// assert_eq!(out.row(2).to_vec(), vec![2.0, 6.0, 1.0, 0.0]);
/// assert_eq!(fitted.feature_names_out(None), ["x0", "x1", "missingindicator_x0", "missingindicator_x1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimpleImputer {
    strategy: ImputeStrategy,
    fill_value: Option<FillValue>,
    add_indicator: bool,
    keep_empty_features: bool,
}

impl SimpleImputer {
    /// Fills with the column mean.
    pub fn mean() -> Self {
        SimpleImputer::default()
    }
    /// Fills with the column median.
    pub fn median() -> Self {
        SimpleImputer::default().strategy(ImputeStrategy::Median)
    }
    /// Fills with the most frequent value.
    pub fn most_frequent() -> Self {
        SimpleImputer::default().strategy(ImputeStrategy::MostFrequent)
    }
    /// Fills with a constant.
    pub fn constant(fill_value: impl Into<FillValue>) -> Self {
        SimpleImputer::default().strategy(ImputeStrategy::Constant).fill_value(fill_value)
    }
    /// Sets the strategy.
    pub fn strategy(mut self, s: ImputeStrategy) -> Self {
        self.strategy = s;
        self
    }
    /// Sets the constant fill value.
    pub fn fill_value(mut self, v: impl Into<FillValue>) -> Self {
        self.fill_value = Some(v.into());
        self
    }
    /// Appends missing-value indicator columns (default `false`).
    pub fn add_indicator(mut self, v: bool) -> Self {
        self.add_indicator = v;
        self
    }
    /// Keeps columns with no value in fit (default `false`).
    pub fn keep_empty_features(mut self, v: bool) -> Self {
        self.keep_empty_features = v;
        self
    }

    pub(crate) fn needs(&self) -> Needs {
        match self.strategy {
            ImputeStrategy::Median => Needs { quantiles: true, categories: false },
            ImputeStrategy::MostFrequent => Needs { quantiles: false, categories: true },
            _ => Needs::default(),
        }
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum], names: &[String]) -> Result<FittedSimpleImputer> {
        let stats: Vec<Fill> = acc
            .par_iter()
            .zip(names)
            .map(|(a, name)| -> Result<Fill> {
                let empty = a.num.n == 0;
                if empty && self.strategy != ImputeStrategy::Constant && !self.keep_empty_features {
                    return Ok(Fill::Dropped);
                }
                let needs_number = matches!(self.strategy, ImputeStrategy::Mean | ImputeStrategy::Median);
                if a.is_str && needs_number {
                    return Err(Error::InvalidInput(format!(
                        "SimpleImputer cannot use strategy {:?} on string column {name:?}; use most_frequent or constant",
                        self.strategy.name()
                    )));
                }
                Ok(match self.strategy {
                    ImputeStrategy::Mean => Fill::Num(if empty { 0.0 } else { a.num.mean() }),
                    ImputeStrategy::Median => {
                        let median = a.sketch.as_ref().map_or(f64::NAN, |s| s.percentile_linear(50.0));
                        Fill::Num(if empty { 0.0 } else { median })
                    }
                    ImputeStrategy::MostFrequent => match &a.cats {
                        // BTreeMap order: the first maximum is the smallest value among ties.
                        Some(CatCounts::Str(m)) if a.is_str => {
                            let best = m.iter().fold(None::<(&String, u64)>, |b, (k, &c)| match b {
                                Some((_, bc)) if bc >= c => b,
                                _ => Some((k, c)),
                            });
                            best.map_or(Fill::Str(String::new()), |(k, _)| Fill::Str(k.clone()))
                        }
                        Some(CatCounts::Num(m)) if !a.is_str => {
                            let best = m.iter().fold(None::<(f64, u64)>, |b, (k, &c)| match b {
                                Some((_, bc)) if bc >= c => b,
                                _ => Some((k.0, c)),
                            });
                            Fill::Num(best.map_or(0.0, |(k, _)| k))
                        }
                        _ if a.is_str => Fill::Str(String::new()),
                        _ => Fill::Num(0.0),
                    },
                    ImputeStrategy::Constant => match (&self.fill_value, a.is_str) {
                        (None, false) => Fill::Num(0.0),
                        (None, true) => Fill::Str("missing_value".into()),
                        (Some(FillValue::Num(v)), false) => Fill::Num(*v),
                        (Some(FillValue::Str(s)), true) => Fill::Str(s.clone()),
                        (Some(FillValue::Num(v)), true) => Fill::Str(v.to_string()),
                        (Some(FillValue::Str(s)), false) => {
                            return Err(Error::InvalidInput(format!(
                                "SimpleImputer fill_value {s:?} is a string, but column {name:?} is numeric"
                            )));
                        }
                    },
                })
            })
            .collect::<Result<_>>()?;
        let indicator = if self.add_indicator {
            acc.iter().enumerate().filter(|(_, a)| a.num.n_missing > 0).map(|(j, _)| j).collect()
        } else {
            Vec::new()
        };
        Ok(FittedSimpleImputer { statistics: stats, indicator, strategy: self.strategy })
    }
}

/// The fill value of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Fill {
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
    /// The column had no value in fit and is dropped from the output.
    Dropped,
}

/// A fitted [`SimpleImputer`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedSimpleImputer {
    statistics: Vec<Fill>,
    indicator: Vec<usize>,
    strategy: ImputeStrategy,
}

impl FittedSimpleImputer {
    /// The fill value of each input column.
    pub fn statistics(&self) -> &[Fill] {
        &self.statistics
    }
    /// Input columns that get a missing-value indicator.
    pub fn indicator_features(&self) -> &[usize] {
        &self.indicator
    }

    pub(crate) fn n_out(&self) -> usize {
        self.statistics.iter().filter(|f| !matches!(f, Fill::Dropped)).count() + self.indicator.len()
    }

    pub(crate) fn names_out(&self, input: &[String]) -> Vec<String> {
        let mut out: Vec<String> = self
            .statistics
            .iter()
            .zip(input)
            .filter(|(f, _)| !matches!(f, Fill::Dropped))
            .map(|(_, n)| n.clone())
            .collect();
        out.extend(self.indicator.iter().map(|&j| format!("missingindicator_{}", input[j])));
        out
    }

    /// The fills of a plain imputation (no indicator, no dropped column, each fill of its
    /// column's type), for a consumer that imputes on the fly; `None` otherwise.
    pub(crate) fn plain_fills(&self, cols: &[Col]) -> Option<&[Fill]> {
        let plain = self.indicator.is_empty()
            && cols.len() == self.statistics.len()
            && cols.iter().zip(&self.statistics).all(|(c, f)| {
                matches!((c, f), (Col::Num { .. }, Fill::Num(_)) | (Col::Str(_) | Col::Cat(_), Fill::Str(_)))
            });
        plain.then_some(&self.statistics)
    }

    /// [`transform_cols`](Self::transform_cols) on owned columns: numeric columns are imputed in
    /// place (no new buffer), anything else as there.
    pub(crate) fn transform_cols_owned(&self, cols: Vec<Col>, names: &[String]) -> Result<Vec<Col>> {
        let in_place = self.indicator.is_empty()
            && cols.len() == self.statistics.len()
            && cols.iter().zip(&self.statistics).all(|(c, f)| matches!((c, f), (Col::Num { .. }, Fill::Num(_))));
        if !in_place {
            return self.transform_cols(&cols, names);
        }
        Ok(cols
            .into_par_iter()
            .zip(&self.statistics)
            .map(|(c, fill)| match (c, fill) {
                (Col::Num { mut v, int }, &Fill::Num(f)) => {
                    v.iter_mut().for_each(|x| *x = if x.is_nan() { f } else { *x });
                    Col::Num { v, int: int && f.fract() == 0.0 }
                }
                _ => unreachable!("checked above"),
            })
            .collect())
    }

    pub(crate) fn transform_cols(&self, cols: &[Col], names: &[String]) -> Result<Vec<Col>> {
        let imputed: Vec<Option<Col>> = cols
            .par_iter()
            .zip(&self.statistics)
            .zip(names)
            .map(|((c, fill), name)| -> Result<Option<Col>> {
                Ok(match (c, fill) {
                    (_, Fill::Dropped) => None,
                    (Col::Num { v, int }, Fill::Num(f)) => Some(Col::Num {
                        v: v.iter().map(|&x| if x.is_nan() { *f } else { x }).collect(),
                        int: *int && f.fract() == 0.0,
                    }),
                    (Col::Str(s), Fill::Str(f)) => {
                        Some(Col::Str(s.iter().map(|o| Some(o.unwrap_or(f.as_str()))).collect::<StringChunked>()))
                    }
                    // A categorical column stays categorical when the mapping has the fill
                    // (always so for most_frequent), else it becomes the strings, filled.
                    (Col::Cat(c), Fill::Str(f)) => Some(match c.code_of(f) {
                        Some(code) => Col::Cat(c.fill_null(code)?),
                        None => Col::Str(
                            c.to_strings().iter().map(|o| Some(o.unwrap_or(f.as_str()))).collect::<StringChunked>(),
                        ),
                    }),
                    // An all-null string column can reach here read as numbers.
                    (Col::Num { v, .. }, Fill::Str(f)) if v.iter().all(|x| x.is_nan()) => {
                        Some(Col::Str(StringChunked::full(name.as_str().into(), f, v.len())))
                    }
                    (c, _) => {
                        return Err(Error::InvalidInput(format!(
                            "SimpleImputer was fitted on a {} column {name:?} but got a {} column",
                            if c.is_str() { "numeric" } else { "string" },
                            if c.is_str() { "string" } else { "numeric" }
                        )));
                    }
                })
            })
            .collect::<Result<_>>()?;
        let mut out: Vec<Col> = imputed.into_iter().flatten().collect();
        for &j in &self.indicator {
            let v = match &cols[j] {
                Col::Num { v, .. } => v.iter().map(|x| f64::from(u8::from(x.is_nan()))).collect(),
                Col::Str(s) => s.iter().map(|x| if x.is_none() { 1.0 } else { 0.0 }).collect(),
                Col::Cat(c) => c.missing_indicator(),
            };
            out.push(Col::Num { v, int: true });
        }
        Ok(out)
    }
}

impl Estimator for SimpleImputer {
    const NAME: &'static str = "SimpleImputer";
    type Kind = TransformerKind;

    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        if let Some(FillValue::Num(v)) = self.fill_value
            && !v.is_finite()
        {
            return Err(Error::invalid_param("fill_value", format!("must be finite, got {v}")));
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "strategy" => {
                self.strategy = match value.as_str(name)? {
                    "mean" => ImputeStrategy::Mean,
                    "median" => ImputeStrategy::Median,
                    "most_frequent" => ImputeStrategy::MostFrequent,
                    "constant" => ImputeStrategy::Constant,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown strategy {other:?}")));
                    }
                }
            }
            "fill_value" => {
                self.fill_value = match value {
                    ParamValue::Str(s) => Some(FillValue::Str(s.clone())),
                    ParamValue::None => None,
                    v => Some(FillValue::Num(v.as_f64(name)?)),
                }
            }
            "add_indicator" => self.add_indicator = value.as_bool(name)?,
            "keep_empty_features" => self.keep_empty_features = value.as_bool(name)?,
            _ => {
                return Err(Error::invalid_param(name, format!("SimpleImputer has no parameter {name:?}")));
            }
        }
        Ok(())
    }
}

impl Transformer for SimpleImputer {
    type Fitted = FittedSimpleImputer;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedSimpleImputer> {
        self.fit_stats(&matrix_accums(x, self.needs()), &default_names(x.ncols()))
    }

    /// Validates and fits; except for the median, in one sweep over `x` (the
    /// validator's finiteness pass is fused with the statistics; its exact errors are kept).
    fn fit<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<FittedSimpleImputer> {
        let x: ArrayView2<'a, f64> = x.into();
        let _span = tracing::debug_span!("fit", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        if self.needs() == (Needs { quantiles: false, categories: true }) {
            let acc = crate::kernels::checked_cat_accums(Self::NAME, &self.tags(), x)?;
            return self.fit_stats(&acc, &default_names(x.ncols()));
        }
        if self.needs() != Needs::default() {
            oxlearn_core::validate::check_fit(Self::NAME, &self.tags(), x, None)?;
            return self.fit_checked(x);
        }
        self.fit_stats(&checked_num_accums(Self::NAME, &self.tags(), x)?, &default_names(x.ncols()))
    }
}

impl FittedSimpleImputer {
    /// Imputes a matrix straight into the output: kept columns with NaN replaced, then the
    /// indicator columns; flags infinities. `None` when a fill value is a string (fitted on
    /// frames only).
    fn kernel(&self, x: ArrayView2<'_, f64>) -> Option<(Array2<f64>, bool)> {
        let m = self.statistics.len();
        let mut keep = Vec::with_capacity(m);
        let mut fill = Vec::with_capacity(m);
        for (j, f) in self.statistics.iter().enumerate() {
            match f {
                Fill::Num(v) => {
                    keep.push(j);
                    fill.push(*v);
                }
                Fill::Dropped => {}
                Fill::Str(_) => return None,
            }
        }
        let ind = &self.indicator;
        let m_out = keep.len() + ind.len();
        let dense = keep.len() == m && ind.is_empty();
        Some(map_row_chunks(x, m_out, |xs, os| {
            crate::kernels::with_avx2(|| self.impute_rows(xs, os, &keep, &fill, dense))
        }))
    }

    /// The rows of one chunk of [`kernel`](Self::kernel); false when a value is infinite.
    #[inline(always)]
    fn impute_rows(&self, xs: &[f64], os: &mut [f64], keep: &[usize], fill: &[f64], dense: bool) -> bool {
        let (m, ind) = (self.statistics.len(), &self.indicator);
        let m_out = keep.len() + ind.len();
        {
            let mut inf = false;
            for (xr, or) in rows_rev(xs, m, os, m_out) {
                if dense {
                    for ((o, &v), &f) in or.iter_mut().zip(xr).zip(fill) {
                        *o = if v.is_nan() { f } else { v };
                        inf |= is_inf(v);
                    }
                } else {
                    let (head, tail) = or.split_at_mut(keep.len());
                    for ((o, &j), &f) in head.iter_mut().zip(keep).zip(fill) {
                        let v = xr[j];
                        *o = if v.is_nan() { f } else { v };
                    }
                    for (o, &j) in tail.iter_mut().zip(ind) {
                        *o = f64::from(u8::from(xr[j].is_nan()));
                    }
                    inf |= xr.iter().any(|&v| is_inf(v));
                }
            }
            !inf
        }
    }
}

impl Fitted for FittedSimpleImputer {
    const NAME: &'static str = "SimpleImputer";
    fn n_features_in(&self) -> usize {
        self.statistics.len()
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedTransformer for FittedSimpleImputer {
    /// Validates and transforms in one sweep (the finiteness check is fused with the kernel).
    fn transform<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
        fused_transform(self, x, |x| match self.kernel(x) {
            Some(r) => Ok(r),
            None => {
                self.check_x(x)?;
                Ok((self.transform_checked(x)?, true))
            }
        })
    }
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if let Some((out, _)) = self.kernel(x) {
            return Ok(out);
        }
        let names = default_names(x.ncols());
        let out = self.transform_cols(&array_to_cols(x), &names)?;
        if out.is_empty() {
            return Ok(Array2::zeros((x.nrows(), 0)));
        }
        cols_to_array(Self::NAME, &out, &names)
    }
    fn n_features_out(&self) -> usize {
        self.n_out()
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Vec<String> {
        self.names_out(&names_or_default(input, self.statistics.len()))
    }
}
