//! Column-level steps: [`Step`] (an unfitted transformer or a chain built with `.then(..)`) and
//! [`FittedStep`], which fit on and transform a set of [`Col`]umns (numbers or strings, with
//! missing values). This is the layer the [`ColumnTransformer`](crate::ColumnTransformer) and
//! the streaming [`FeatureJob`](crate::FeatureJob) drive.
//!
//! Matrix transformers (scalers, [`Normalizer`], [`PolynomialFeatures`], [`KBinsDiscretizer`],
//! [`FunctionTransformer`]) take numeric columns; imputers and encoders also take string columns.

use oxlearn_core::{Error, Estimator, Fitted, FittedTransformer, Input, Result, Transformer};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Col, array_into_cols, cols_to_array};
use crate::encode::{FittedOneHotEncoder, FittedOrdinalEncoder, OneHotEncoder, OrdinalEncoder};
use crate::function::{FittedFunctionTransformer, FunctionTransformer};
use crate::impute::{FittedSimpleImputer, SimpleImputer};
use crate::kbins::{FittedKBinsDiscretizer, KBinsDiscretizer};
use crate::poly::{FittedPolynomialFeatures, PolynomialFeatures};
use crate::scaler::{
    FittedMaxAbsScaler, FittedMinMaxScaler, FittedNormalizer, FittedRobustScaler, FittedStandardScaler, MaxAbsScaler,
    MinMaxScaler, Normalizer, RobustScaler, StandardScaler,
};
use crate::stats::{ColAccum, Needs, accumulate};

/// An unfitted column-level step: one transformer, or a chain of them applied in order.
///
/// Every transformer of this crate converts into a `Step` (`.into()`), and each has a `then`
/// method that starts a chain:
///
/// ```
/// use oxlearn_preprocessing::{SimpleImputer, StandardScaler, Step};
/// let step: Step = SimpleImputer::median().then(StandardScaler::default());
/// assert_eq!(step.len(), 2);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Step {
    /// [`StandardScaler`].
    StandardScaler(StandardScaler),
    /// [`MinMaxScaler`].
    MinMaxScaler(MinMaxScaler),
    /// [`MaxAbsScaler`].
    MaxAbsScaler(MaxAbsScaler),
    /// [`RobustScaler`].
    RobustScaler(RobustScaler),
    /// [`Normalizer`].
    Normalizer(Normalizer),
    /// [`SimpleImputer`].
    SimpleImputer(SimpleImputer),
    /// [`OneHotEncoder`].
    OneHotEncoder(OneHotEncoder),
    /// [`OrdinalEncoder`].
    OrdinalEncoder(OrdinalEncoder),
    /// [`PolynomialFeatures`].
    PolynomialFeatures(PolynomialFeatures),
    /// [`KBinsDiscretizer`].
    KBinsDiscretizer(KBinsDiscretizer),
    /// [`FunctionTransformer`].
    FunctionTransformer(FunctionTransformer),
    /// Steps applied in order.
    Chain(Vec<Step>),
}

/// A fitted [`Step`]. Serializable, except a chain holding a [`FunctionTransformer`] (a
/// closure), whose serialization fails with an error.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FittedStep {
    /// Fitted [`StandardScaler`].
    StandardScaler(FittedStandardScaler),
    /// Fitted [`MinMaxScaler`].
    MinMaxScaler(FittedMinMaxScaler),
    /// Fitted [`MaxAbsScaler`].
    MaxAbsScaler(FittedMaxAbsScaler),
    /// Fitted [`RobustScaler`].
    RobustScaler(FittedRobustScaler),
    /// Fitted [`Normalizer`].
    Normalizer(FittedNormalizer),
    /// Fitted [`SimpleImputer`].
    SimpleImputer(FittedSimpleImputer),
    /// Fitted [`OneHotEncoder`].
    OneHotEncoder(FittedOneHotEncoder),
    /// Fitted [`OrdinalEncoder`].
    OrdinalEncoder(FittedOrdinalEncoder),
    /// Fitted [`PolynomialFeatures`].
    PolynomialFeatures(FittedPolynomialFeatures),
    /// Fitted [`KBinsDiscretizer`].
    KBinsDiscretizer(FittedKBinsDiscretizer),
    /// Fitted [`FunctionTransformer`] (cannot be serialized).
    FunctionTransformer(FittedFunctionTransformer),
    /// Fitted steps applied in order.
    Chain(Vec<FittedStep>),
}

macro_rules! step_impls {
    ($($v:ident),*) => {
        $(
            impl From<$v> for Step {
                fn from(t: $v) -> Step { Step::$v(t) }
            }
            impl $v {
                /// Starts a chain: this transformer, then `next`.
                pub fn then(self, next: impl Into<Step>) -> Step {
                    Step::from(self).then(next)
                }
            }
        )*
    };
}
step_impls!(
    StandardScaler,
    MinMaxScaler,
    MaxAbsScaler,
    RobustScaler,
    Normalizer,
    SimpleImputer,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    KBinsDiscretizer,
    FunctionTransformer
);

/// Checks columns for a fit or transform: at least one row (for fit), no infinity, and no NaN
/// unless allowed, naming the column.
pub(crate) fn check_cols(
    estimator: &str,
    cols: &[Col],
    names: &[String],
    allow_nan: bool,
    fitting: bool,
) -> Result<()> {
    let rows = cols.first().map_or(0, Col::len);
    if fitting && (rows == 0 || cols.is_empty()) {
        return Err(Error::EmptyInput { estimator: estimator.into(), what: "X", rows, cols: cols.len(), min_rows: 1 });
    }
    for (j, c) in cols.iter().enumerate() {
        if let Col::Num { v, .. } = c
            && let Some(row) = v.iter().position(|x| !(x.is_finite() || allow_nan && x.is_nan()))
        {
            return Err(Error::NonFinite {
                input: Input::X,
                row,
                column: Some(j),
                column_name: names.get(j).cloned(),
                value: v[row],
            });
        }
    }
    Ok(())
}

/// Validates the columns for a matrix transformer (numeric, finite as its tags demand).
fn check_matrix_fit<T: Transformer>(t: &T, cols: &[Col], names: &[String]) -> Result<()> {
    t.check_params()?;
    if let Some(j) = cols.iter().position(Col::is_str) {
        return Err(Error::InvalidInput(format!(
            "{} needs numeric columns, but column {:?} holds strings; encode it first",
            T::NAME,
            names.get(j).map_or("?", String::as_str)
        )));
    }
    check_cols(T::NAME, cols, names, t.tags().allow_nan, true)
}

fn check_column_fit<T: Estimator>(t: &T, cols: &[Col], names: &[String]) -> Result<()> {
    t.check_params()?;
    check_cols(T::NAME, cols, names, true, true)
}

fn matrix_transform<F: FittedTransformer>(f: &F, cols: Vec<Col>, names: &[String]) -> Result<Vec<Col>> {
    let x = cols_to_array(F::NAME, &cols, names)?;
    drop(cols);
    if x.ncols() != f.n_features_in() {
        return Err(Error::FeatureMismatch { estimator: F::NAME.into(), expected: f.n_features_in(), got: x.ncols() });
    }
    if !f.allow_nan() {
        oxlearn_core::validate::check_finite(x.view(), false).map_err(|e| match e {
            Error::NonFinite { input, row, column, value, .. } => {
                Error::NonFinite { input, row, column, column_name: column.and_then(|j| names.get(j).cloned()), value }
            }
            e => e,
        })?;
    } else {
        oxlearn_core::validate::check_finite(x.view(), true)?;
    }
    Ok(array_into_cols(f.transform_checked(x.view())?))
}

impl Step {
    /// Appends `next` to this step (flattening chains).
    pub fn then(self, next: impl Into<Step>) -> Step {
        let mut v = match self {
            Step::Chain(v) => v,
            s => vec![s],
        };
        match next.into() {
            Step::Chain(w) => v.extend(w),
            s => v.push(s),
        }
        Step::Chain(v)
    }

    /// Number of transformers in the step (1 unless a chain).
    pub fn len(&self) -> usize {
        self.leaves().len()
    }

    /// True for an empty chain.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The transformers, chains flattened.
    pub fn leaves(&self) -> Vec<&Step> {
        match self {
            Step::Chain(v) => v.iter().flat_map(Step::leaves).collect(),
            s => vec![s],
        }
    }

    /// The scikit-learn name of a single transformer ("Chain" for a chain).
    pub fn name(&self) -> &'static str {
        match self {
            Step::StandardScaler(_) => StandardScaler::NAME,
            Step::MinMaxScaler(_) => MinMaxScaler::NAME,
            Step::MaxAbsScaler(_) => MaxAbsScaler::NAME,
            Step::RobustScaler(_) => RobustScaler::NAME,
            Step::Normalizer(_) => Normalizer::NAME,
            Step::SimpleImputer(_) => SimpleImputer::NAME,
            Step::OneHotEncoder(_) => OneHotEncoder::NAME,
            Step::OrdinalEncoder(_) => OrdinalEncoder::NAME,
            Step::PolynomialFeatures(_) => PolynomialFeatures::NAME,
            Step::KBinsDiscretizer(_) => KBinsDiscretizer::NAME,
            Step::FunctionTransformer(_) => FunctionTransformer::NAME,
            Step::Chain(_) => "Chain",
        }
    }

    /// What a single transformer's fit needs from the column statistics.
    pub(crate) fn needs(&self) -> Needs {
        match self {
            Step::StandardScaler(t) => t.needs(),
            Step::MinMaxScaler(t) => t.needs(),
            Step::MaxAbsScaler(t) => t.needs(),
            Step::RobustScaler(t) => t.needs(),
            Step::Normalizer(t) => t.needs(),
            Step::SimpleImputer(t) => t.needs(),
            Step::OneHotEncoder(t) => t.needs(),
            Step::OrdinalEncoder(t) => t.needs(),
            Step::PolynomialFeatures(_) | Step::FunctionTransformer(_) => Needs::default(),
            Step::KBinsDiscretizer(t) => t.needs(),
            Step::Chain(_) => Needs::default(),
        }
    }

    /// Validates the input of a single transformer's fit (types, finiteness, parameters).
    pub(crate) fn check_fit(&self, cols: &[Col], names: &[String]) -> Result<()> {
        match self {
            Step::StandardScaler(t) => check_matrix_fit(t, cols, names),
            Step::MinMaxScaler(t) => check_matrix_fit(t, cols, names),
            Step::MaxAbsScaler(t) => check_matrix_fit(t, cols, names),
            Step::RobustScaler(t) => check_matrix_fit(t, cols, names),
            Step::Normalizer(t) => check_matrix_fit(t, cols, names),
            Step::PolynomialFeatures(t) => check_matrix_fit(t, cols, names),
            Step::KBinsDiscretizer(t) => check_matrix_fit(t, cols, names),
            Step::FunctionTransformer(t) => check_matrix_fit(t, cols, names),
            Step::SimpleImputer(t) => check_column_fit(t, cols, names),
            Step::OneHotEncoder(t) => check_column_fit(t, cols, names),
            Step::OrdinalEncoder(t) => check_column_fit(t, cols, names),
            Step::Chain(_) => Ok(()),
        }
    }

    /// Fits a single transformer from column statistics.
    pub(crate) fn fit_accums(&self, acc: &[ColAccum], names: &[String]) -> Result<FittedStep> {
        Ok(match self {
            Step::StandardScaler(t) => FittedStep::StandardScaler(t.fit_stats(acc)?),
            Step::MinMaxScaler(t) => FittedStep::MinMaxScaler(t.fit_stats(acc)?),
            Step::MaxAbsScaler(t) => FittedStep::MaxAbsScaler(t.fit_stats(acc)?),
            Step::RobustScaler(t) => FittedStep::RobustScaler(t.fit_stats(acc)?),
            Step::Normalizer(t) => FittedStep::Normalizer(t.fit_stats(acc)?),
            Step::SimpleImputer(t) => FittedStep::SimpleImputer(t.fit_stats(acc, names)?),
            Step::OneHotEncoder(t) => FittedStep::OneHotEncoder(t.fit_stats(acc, names)?),
            Step::OrdinalEncoder(t) => FittedStep::OrdinalEncoder(t.fit_stats(acc, names)?),
            Step::PolynomialFeatures(t) => FittedStep::PolynomialFeatures(t.fit_stats(acc)?),
            Step::KBinsDiscretizer(t) => FittedStep::KBinsDiscretizer(t.fit_stats(acc)?),
            Step::FunctionTransformer(t) => FittedStep::FunctionTransformer(t.fit_stats(acc)?),
            Step::Chain(_) => return Err(Error::Other("internal: fit_accums on a chain".into())),
        })
    }

    /// Fits on the columns (transforming them only between the steps of a chain) and returns the
    /// fitted step with its output names.
    pub fn fit_cols(&self, cols: Vec<Col>, names: Vec<String>) -> Result<(FittedStep, Vec<String>)> {
        match self {
            Step::Chain(steps) => {
                let (mut cols, mut names) = (cols, names);
                let mut fitted = Vec::with_capacity(steps.len());
                let n = steps.len();
                // An imputer before a final one-hot encoder: the encoder is fitted from the
                // imputer's counts plus the fills (no imputed copy of the columns).
                if let [.., imp @ Step::SimpleImputer(_), enc @ Step::OneHotEncoder(_)] = &steps[..] {
                    for s in &steps[..n - 2] {
                        let (f, c, nm) = s.fit_transform_cols(cols, names)?;
                        fitted.push(f);
                        cols = c;
                        names = nm;
                    }
                    if let Some((f_imp, f_enc, out)) = fit_imputer_then_one_hot(imp, enc, &cols, &names)? {
                        fitted.push(f_imp);
                        fitted.push(f_enc);
                        return Ok((FittedStep::Chain(fitted), out));
                    }
                    for s in &steps[n - 2..n - 1] {
                        let (f, c, nm) = s.fit_transform_cols(cols, names)?;
                        fitted.push(f);
                        cols = c;
                        names = nm;
                    }
                    let (f, out) = enc.fit_cols(cols, names)?;
                    fitted.push(f);
                    return Ok((FittedStep::Chain(fitted), out));
                }
                for (k, s) in steps.iter().enumerate() {
                    if k + 1 == steps.len() {
                        let (f, n) = s.fit_cols(cols, names)?;
                        fitted.push(f);
                        return Ok((FittedStep::Chain(fitted), n));
                    }
                    let (f, c, n) = s.fit_transform_cols(cols, names)?;
                    fitted.push(f);
                    cols = c;
                    names = n;
                }
                Ok((FittedStep::Chain(fitted), names))
            }
            leaf => {
                leaf.check_fit(&cols, &names)?;
                let acc = accumulate(&cols, leaf.needs(), 0, None);
                let fitted = leaf.fit_accums(&acc, &names)?;
                let out_names = fitted.names_out(&names);
                Ok((fitted, out_names))
            }
        }
    }

    /// Fits on the columns and returns the fitted step with the transformed columns and their names.
    pub fn fit_transform_cols(
        &self,
        cols: Vec<Col>,
        names: Vec<String>,
    ) -> Result<(FittedStep, Vec<Col>, Vec<String>)> {
        match self {
            Step::Chain(steps) => {
                let (mut cols, mut names) = (cols, names);
                let mut fitted = Vec::with_capacity(steps.len());
                for s in steps {
                    let (f, c, n) = s.fit_transform_cols(cols, names)?;
                    fitted.push(f);
                    cols = c;
                    names = n;
                }
                Ok((FittedStep::Chain(fitted), cols, names))
            }
            leaf => {
                leaf.check_fit(&cols, &names)?;
                let acc = accumulate(&cols, leaf.needs(), 0, None);
                let fitted = leaf.fit_accums(&acc, &names)?;
                let out_names = fitted.names_out(&names);
                let out = fitted.transform_cols(cols, &names)?;
                Ok((fitted, out, out_names))
            }
        }
    }
}

/// Fits an imputer and the one-hot encoder after it from one pass of column statistics: the
/// encoder's category counts are the imputer's plus each column's fill value once per missing
/// value, which is what counting the imputed columns gives. `None` (nothing fitted) when the
/// imputation is not plain (an indicator, a dropped column, a NaN fill): the caller then
/// imputes and fits in turn.
fn fit_imputer_then_one_hot(
    imp: &Step,
    enc: &Step,
    cols: &[Col],
    names: &[String],
) -> Result<Option<(FittedStep, FittedStep, Vec<String>)>> {
    use crate::impute::Fill;
    use crate::stats::{CatCounts, OrdF64};
    imp.check_fit(cols, names)?;
    let needs = Needs { categories: true, ..imp.needs() };
    let acc = accumulate(cols, needs, 0, None);
    let f_imp = imp.fit_accums(&acc, names)?;
    let FittedStep::SimpleImputer(fi) = &f_imp else { unreachable!("an imputer step fits an imputer") };
    let Some(fills) = fi.plain_fills(cols) else { return Ok(None) };
    if fills.iter().any(|f| matches!(f, Fill::Num(v) if v.is_nan())) {
        return Ok(None);
    }
    let imp_names = f_imp.names_out(names);
    // The imputed columns hold no NaN and no infinity (the imputer's check), so the encoder's
    // own check reads the same on the columns before imputation.
    enc.check_fit(cols, &imp_names)?;
    let acc_enc: Vec<ColAccum> = acc
        .into_iter()
        .zip(fills)
        .map(|(mut a, fill)| {
            let missing = a.num.n_missing;
            a.num = crate::stats::NumStats { n: a.num.n + missing, n_missing: 0, ..a.num };
            a.sketch = None;
            match (&mut a.cats, fill) {
                (Some(CatCounts::Str(m)), Fill::Str(f)) if missing > 0 => *m.entry(f.clone()).or_insert(0) += missing,
                (Some(CatCounts::Num(m)), &Fill::Num(f)) => {
                    a.int = a.int && f.fract() == 0.0;
                    if missing > 0 {
                        *m.entry(OrdF64(if f == 0.0 { 0.0 } else { f })).or_insert(0) += missing;
                    }
                }
                _ => {}
            }
            a
        })
        .collect();
    let f_enc = enc.fit_accums(&acc_enc, &imp_names)?;
    let out = f_enc.names_out(&imp_names);
    Ok(Some((f_imp, f_enc, out)))
}

/// The output of a fitted step as the [`ColumnTransformer`](crate::ColumnTransformer) assembles
/// it: numeric columns, or the compact codes of a trailing one-hot encoder (the output column of
/// each row of each input column, `NO_OUTPUT` for none), written straight into the dense or
/// sparse result without materializing the 0/1 columns.
#[derive(Debug)]
pub(crate) enum Block {
    Cols(Vec<Col>),
    Hot { width: usize, codes: Vec<Vec<u32>> },
}

impl Block {
    /// Number of output columns.
    pub(crate) fn width(&self) -> usize {
        match self {
            Block::Cols(c) => c.len(),
            Block::Hot { width, .. } => *width,
        }
    }
}

/// A standard scaler over owned numeric columns, in place and column by column (no matrix round
/// trip); an infinity or a string column goes through the matrix path for its exact error.
fn scale_cols(f: &FittedStandardScaler, cols: Vec<Col>, names: &[String]) -> Result<Vec<Col>> {
    let finite_nums = cols.len() == f.n_features_in()
        && cols.par_iter().all(|c| matches!(c, Col::Num { v, .. } if !v.iter().any(|&x| crate::kernels::is_inf(x))));
    if !finite_nums {
        // The validator's error (or the string-column error) through the matrix path.
        return matrix_transform(f, cols, names);
    }
    let scale = f.scale();
    let with_mean = f.with_mean_flag();
    Ok(cols
        .into_par_iter()
        .enumerate()
        .map(|(j, c)| {
            let Col::Num { mut v, .. } = c else { unreachable!("checked above") };
            let mu = if with_mean { f.mean()[j] } else { 0.0 };
            let s = scale.map_or(1.0, |s| s[j]);
            v.iter_mut().for_each(|x| *x = (*x - mu) / s);
            Col::num(v)
        })
        .collect())
}

impl FittedStep {
    /// Transforms columns into a [`Block`]: a trailing one-hot encoder gives its codes.
    pub(crate) fn transform_block(&self, cols: Vec<Col>, names: &[String]) -> Result<Block> {
        match self {
            FittedStep::OneHotEncoder(f) => {
                check_cols("OneHotEncoder", &cols, names, true, false)?;
                Ok(Block::Hot { width: f.n_out(), codes: f.hot_codes(&cols, names, None)? })
            }
            FittedStep::Chain(steps) if !steps.is_empty() => {
                let mut cols = cols;
                let mut names = names.to_vec();
                let n = steps.len();
                // An imputer right before a final one-hot encoder: the encoder imputes on the fly
                // (no imputed copy of the columns).
                let fuse = matches!(&steps[..], [.., FittedStep::SimpleImputer(_), FittedStep::OneHotEncoder(_)]);
                let head = if fuse { n - 2 } else { n - 1 };
                for s in &steps[..head] {
                    let next_names = s.names_out(&names);
                    cols = s.transform_cols(cols, &names)?;
                    names = next_names;
                }
                if let (true, FittedStep::SimpleImputer(imp), FittedStep::OneHotEncoder(enc)) =
                    (fuse, &steps[head], &steps[n - 1])
                {
                    check_cols("SimpleImputer", &cols, &names, true, false)?;
                    if let Some(fills) = imp.plain_fills(&cols) {
                        return Ok(Block::Hot {
                            width: enc.n_out(),
                            codes: enc.hot_codes(&cols, &names, Some(fills))?,
                        });
                    }
                    let next_names = steps[head].names_out(&names);
                    cols = steps[head].transform_cols(cols, &names)?;
                    names = next_names;
                }
                steps[n - 1].transform_block(cols, &names)
            }
            other => Ok(Block::Cols(other.transform_cols(cols, names)?)),
        }
    }

    /// Transforms columns (named `names`).
    pub fn transform_cols(&self, cols: Vec<Col>, names: &[String]) -> Result<Vec<Col>> {
        match self {
            FittedStep::StandardScaler(f) => scale_cols(f, cols, names),
            FittedStep::MinMaxScaler(f) => matrix_transform(f, cols, names),
            FittedStep::MaxAbsScaler(f) => matrix_transform(f, cols, names),
            FittedStep::RobustScaler(f) => matrix_transform(f, cols, names),
            FittedStep::Normalizer(f) => matrix_transform(f, cols, names),
            FittedStep::PolynomialFeatures(f) => matrix_transform(f, cols, names),
            FittedStep::KBinsDiscretizer(f) => matrix_transform(f, cols, names),
            FittedStep::FunctionTransformer(f) => matrix_transform(f, cols, names),
            FittedStep::SimpleImputer(f) => {
                check_cols("SimpleImputer", &cols, names, true, false)?;
                f.transform_cols_owned(cols, names)
            }
            FittedStep::OneHotEncoder(f) => {
                check_cols("OneHotEncoder", &cols, names, true, false)?;
                f.transform_cols(&cols, names)
            }
            FittedStep::OrdinalEncoder(f) => {
                check_cols("OrdinalEncoder", &cols, names, true, false)?;
                f.transform_cols(&cols, names)
            }
            FittedStep::Chain(steps) => {
                let mut cols = cols;
                let mut names = names.to_vec();
                for s in steps {
                    let next_names = s.names_out(&names);
                    cols = s.transform_cols(cols, &names)?;
                    names = next_names;
                }
                Ok(cols)
            }
        }
    }

    /// Output column names, given the input names.
    pub fn names_out(&self, input: &[String]) -> Vec<String> {
        let input = Some(input);
        match self {
            FittedStep::StandardScaler(f) => f.feature_names_out(input),
            FittedStep::MinMaxScaler(f) => f.feature_names_out(input),
            FittedStep::MaxAbsScaler(f) => f.feature_names_out(input),
            FittedStep::RobustScaler(f) => f.feature_names_out(input),
            FittedStep::Normalizer(f) => f.feature_names_out(input),
            FittedStep::SimpleImputer(f) => f.feature_names_out(input),
            FittedStep::OneHotEncoder(f) => f.feature_names_out(input),
            FittedStep::OrdinalEncoder(f) => f.feature_names_out(input),
            FittedStep::PolynomialFeatures(f) => f.feature_names_out(input),
            FittedStep::KBinsDiscretizer(f) => f.feature_names_out(input),
            FittedStep::FunctionTransformer(f) => f.feature_names_out(input),
            FittedStep::Chain(steps) => {
                let mut names = input.map(<[String]>::to_vec).unwrap_or_default();
                for s in steps {
                    names = s.names_out(&names);
                }
                names
            }
        }
    }
}
