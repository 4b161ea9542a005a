//! [`FunctionTransformer`]: a transformer backed by a closure.

use std::fmt;
use std::sync::Arc;

use ndarray::{Array2, ArrayView2};
use oxlearn_core::{Error, Estimator, Fitted, FittedTransformer, Result, Tags, Transformer, TransformerKind};
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::data::names_or_default;
use crate::stats::ColAccum;

type MatrixFn = Arc<dyn Fn(ArrayView2<'_, f64>) -> Array2<f64> + Send + Sync>;
type NamesFn = Arc<dyn Fn(&[String]) -> Vec<String> + Send + Sync>;

/// How a [`FunctionTransformer`] names its outputs.
#[derive(Clone, Default)]
pub enum FunctionNames {
    /// `x0, x1, ..` (scikit-learn's `feature_names_out=None` has none; we number them).
    #[default]
    Numbered,
    /// The input names (`"one-to-one"`).
    OneToOne,
    /// Computed from the input names by a closure.
    Func(NamesFn),
}

impl fmt::Debug for FunctionNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FunctionNames::Numbered => "Numbered",
            FunctionNames::OneToOne => "OneToOne",
            FunctionNames::Func(_) => "Func(..)",
        })
    }
}

/// Applies a closure to the matrix, scikit-learn's `FunctionTransformer`.
///
/// The default is the identity. [`new`](Self::new) takes the forward function,
/// [`inverse_func`](Self::inverse_func) an optional inverse, and
/// [`feature_names_one_to_one`](Self::feature_names_one_to_one) /
/// [`feature_names_fn`](Self::feature_names_fn) say how outputs are named. NaN is passed to the
/// closure (no finiteness check beyond infinity). `fit` calls the closure once on the first
/// training row to learn the output width.
///
/// **Serialization**: a fitted transformer holding a closure cannot be serialized; serde returns
/// an error saying so (the identity serializes fine). A
/// [`FittedColumnTransformer`](crate::FittedColumnTransformer) containing one fails the same way.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_preprocessing::FunctionTransformer;
/// let log1p = FunctionTransformer::new(|x| x.mapv(f64::ln_1p)).inverse_func(|x| x.mapv(f64::exp_m1));
/// let x = ndarray::array![[0.0, 1.0]];
/// let fitted = log1p.fit(&x)?;
/// assert_eq!(fitted.transform(&x)?[[0, 1]], 2f64.ln());
/// assert!(serde_json::to_string(&fitted).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct FunctionTransformer {
    func: Option<MatrixFn>,
    inverse: Option<MatrixFn>,
    names: FunctionNames,
}

impl fmt::Debug for FunctionTransformer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionTransformer")
            .field("func", &self.func.as_ref().map(|_| "closure"))
            .field("inverse_func", &self.inverse.as_ref().map(|_| "closure"))
            .field("feature_names_out", &self.names)
            .finish()
    }
}

impl FunctionTransformer {
    /// A transformer applying `func` to the whole matrix.
    pub fn new(func: impl Fn(ArrayView2<'_, f64>) -> Array2<f64> + Send + Sync + 'static) -> Self {
        FunctionTransformer { func: Some(Arc::new(func)), ..Default::default() }
    }
    /// The inverse function, for `inverse_transform`.
    pub fn inverse_func(mut self, f: impl Fn(ArrayView2<'_, f64>) -> Array2<f64> + Send + Sync + 'static) -> Self {
        self.inverse = Some(Arc::new(f));
        self
    }
    /// Output names are the input names.
    pub fn feature_names_one_to_one(mut self) -> Self {
        self.names = FunctionNames::OneToOne;
        self
    }
    /// Output names computed from the input names.
    pub fn feature_names_fn(mut self, f: impl Fn(&[String]) -> Vec<String> + Send + Sync + 'static) -> Self {
        self.names = FunctionNames::Func(Arc::new(f));
        self
    }

    fn apply(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        match &self.func {
            Some(f) => f(x),
            None => crate::kernels::copy_output(x),
        }
    }

    pub(crate) fn fit_stats(&self, acc: &[ColAccum]) -> Result<FittedFunctionTransformer> {
        // Without the data, probe the width with a row of zeros.
        let probe = Array2::<f64>::zeros((1, acc.len()));
        self.fitted(probe.view())
    }

    fn fitted(&self, first_row: ArrayView2<'_, f64>) -> Result<FittedFunctionTransformer> {
        let out = self.apply(first_row);
        if out.nrows() != first_row.nrows() {
            return Err(Error::ShapeMismatch(format!(
                "FunctionTransformer's function returned {} rows for {}",
                out.nrows(),
                first_row.nrows()
            )));
        }
        Ok(FittedFunctionTransformer {
            params: self.clone(),
            n_features_in: first_row.ncols(),
            n_features_out: out.ncols(),
        })
    }
}

impl PartialEq for FunctionTransformer {
    fn eq(&self, o: &Self) -> bool {
        let same = |a: &Option<MatrixFn>, b: &Option<MatrixFn>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same(&self.func, &o.func) && same(&self.inverse, &o.inverse)
    }
}

/// A fitted [`FunctionTransformer`]. Serializable only when it is the identity.
#[derive(Clone, Debug)]
pub struct FittedFunctionTransformer {
    params: FunctionTransformer,
    n_features_in: usize,
    n_features_out: usize,
}

#[derive(Serialize, Deserialize)]
struct IdentityState {
    identity_n_features: usize,
    one_to_one: bool,
}

impl Serialize for FittedFunctionTransformer {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let p = &self.params;
        if p.func.is_some() || p.inverse.is_some() || matches!(p.names, FunctionNames::Func(_)) {
            return Err(S::Error::custom("FunctionTransformer holds a closure and cannot be serialized"));
        }
        IdentityState {
            identity_n_features: self.n_features_in,
            one_to_one: matches!(p.names, FunctionNames::OneToOne),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for FittedFunctionTransformer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let st = IdentityState::deserialize(d)
            .map_err(|e| D::Error::custom(format!("only an identity FunctionTransformer can be deserialized: {e}")))?;
        let names = if st.one_to_one { FunctionNames::OneToOne } else { FunctionNames::Numbered };
        Ok(FittedFunctionTransformer {
            params: FunctionTransformer { func: None, inverse: None, names },
            n_features_in: st.identity_n_features,
            n_features_out: st.identity_n_features,
        })
    }
}

impl Estimator for FunctionTransformer {
    const NAME: &'static str = "FunctionTransformer";
    type Kind = TransformerKind;
    fn tags(&self) -> Tags {
        Tags { allow_nan: true, ..Tags::default() }
    }
}

impl Transformer for FunctionTransformer {
    type Fitted = FittedFunctionTransformer;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<FittedFunctionTransformer> {
        self.fitted(x.slice(ndarray::s![0..1, ..]))
    }
}

impl Fitted for FittedFunctionTransformer {
    const NAME: &'static str = "FunctionTransformer";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedTransformer for FittedFunctionTransformer {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let out = self.params.apply(x);
        if out.nrows() != x.nrows() || out.ncols() != self.n_features_out {
            return Err(Error::ShapeMismatch(format!(
                "FunctionTransformer's function returned shape ({}, {}) for {} rows; fit saw {} output columns",
                out.nrows(),
                out.ncols(),
                x.nrows(),
                self.n_features_out
            )));
        }
        Ok(out)
    }
    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        match &self.params.inverse {
            Some(f) => Ok(f(x)),
            None if self.params.func.is_none() => Ok(crate::kernels::copy_output(x)),
            None => Err(Error::unsupported(Self::NAME, "inverse_transform without inverse_func")),
        }
    }
    fn n_features_out(&self) -> usize {
        self.n_features_out
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Vec<String> {
        match &self.params.names {
            FunctionNames::OneToOne if self.n_features_in == self.n_features_out => {
                names_or_default(input, self.n_features_in)
            }
            FunctionNames::Func(f) => f(&names_or_default(input, self.n_features_in)),
            _ => (0..self.n_features_out).map(|i| format!("x{i}")).collect(),
        }
    }
}
