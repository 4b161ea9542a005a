//! The statically typed pipeline: [`Chain`] of a transformer and any estimator, built with
//! [`Then::then_fit`] or the [`chain!`](crate::chain!) macro. No dynamic dispatch: the chain is
//! itself a typed estimator of its last step's kind (a `Chain<StandardScaler, Ridge>` is a
//! `Regressor`), with the same semantics as the dynamic [`Pipeline`](crate::Pipeline).
//!
//! ```
//! use oxlearn_core::prelude::*;
//! use oxlearn_core::dummy::DummyRegressor;
//! use oxlearn_pipeline::chain;
//! use oxlearn_preprocessing::{MinMaxScaler, StandardScaler};
//!
//! let x = ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]];
//! let y = ndarray::array![1.0, 2.0, 3.0];
//! let model = chain!(StandardScaler::default(), MinMaxScaler::default(), DummyRegressor::default());
//! let fitted = model.fit(&x, &y)?;
//! assert_eq!(fitted.predict(&x)?.to_vec(), vec![2.0; 3]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::any::Any;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use oxlearn_core::estimator::Tags;
use oxlearn_core::{
    ClassLabel, Classifier, Clusterer, DynFitted, EncodedLabels, Error, Estimator, EstimatorKind, Fitted,
    FittedClassifier, FittedClusterer, FittedRegressor, FittedTransformer, KindDispatch, Label, Output, ParamValue,
    ProbabilisticClassifier, Regressor, Result, TargetView, Transformer,
};
use serde::{Deserialize, Serialize};

/// A transformer followed by an estimator. Parameters are addressed as `first__<name>` and
/// `second__<name>`.
#[derive(Debug, Clone, Default)]
pub struct Chain<A, B> {
    /// The transformer.
    pub first: A,
    /// What sees its output.
    pub second: B,
}

impl<A, B> Chain<A, B> {
    /// `first`, then `second`.
    pub fn new(first: A, second: B) -> Self {
        Chain { first, second }
    }
}

/// Builds a [`Chain`]: `chain!(a, b, c)` is `Chain::new(Chain::new(a, b), c)`.
#[macro_export]
macro_rules! chain {
    ($a:expr, $b:expr $(,)?) => { $crate::chain::Chain::new($a, $b) };
    ($a:expr, $b:expr, $($rest:expr),+ $(,)?) => { $crate::chain!($crate::chain::Chain::new($a, $b), $($rest),+) };
}

/// `.then_fit(next)` on every transformer (the preprocessing transformers' own `.then` builds a
/// column-level step for the `ColumnTransformer`).
pub trait Then: Transformer + Sized {
    /// This transformer, then `next`.
    fn then_fit<B: Estimator>(self, next: B) -> Chain<Self, B> {
        Chain::new(self, next)
    }
}
impl<T: Transformer> Then for T {}

/// The dynamic-layer kind of a chain: its last step's.
#[derive(Debug)]
pub struct ChainKind;

/// A fitted [`Chain`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedChain<FA, FB> {
    /// The fitted transformer.
    pub first: FA,
    /// The fitted last step.
    pub second: FB,
}

impl<A: Transformer, B: Estimator> Estimator for Chain<A, B> {
    const NAME: &'static str = "Chain";
    type Kind = ChainKind;

    fn tags(&self) -> Tags {
        let mut tags = self.second.tags();
        tags.allow_nan = self.first.tags().allow_nan;
        tags
    }
    fn check_params(&self) -> Result<()> {
        self.first.check_params()?;
        self.second.check_params()
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name.split_once("__") {
            Some(("first", rest)) => self.first.set_param(rest, value),
            Some(("second", rest)) => self.second.set_param(rest, value),
            _ if name == "n_jobs" => {
                let a = self.first.set_param(name, value);
                let b = self.second.set_param(name, value);
                a.or(b)
            }
            _ => Err(Error::invalid_param(name, "chain parameters are addressed as first__<name> or second__<name>")),
        }
    }
}

/// The boxed form of a fitted chain in the dynamic layer.
#[derive(Debug, Clone)]
pub struct DynChain<FA> {
    first: FA,
    second: Box<dyn DynFitted>,
}

impl<A: Transformer, B: Estimator> KindDispatch<Chain<A, B>> for ChainKind {
    const KIND: EstimatorKind = <B::Kind as KindDispatch<B>>::KIND;

    fn fit_dyn(e: &Chain<A, B>, x: ArrayView2<'_, f64>, y: TargetView<'_>) -> Result<Box<dyn DynFitted>> {
        let (first, xt) = e.first.fit_transform(x)?;
        let second = <B::Kind as KindDispatch<B>>::fit_dyn(&e.second, xt.view(), y)?;
        Ok(Box::new(DynChain { first, second }))
    }
    fn fit_weighted_dyn(
        e: &Chain<A, B>,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn DynFitted>> {
        let (first, xt) = e.first.fit_transform(x)?;
        let second = <B::Kind as KindDispatch<B>>::fit_weighted_dyn(&e.second, xt.view(), y, sample_weight)?;
        Ok(Box::new(DynChain { first, second }))
    }
    fn fit_transform_dyn(
        e: &Chain<A, B>,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
    ) -> Result<(Box<dyn DynFitted>, Array2<f64>)> {
        let fitted = Self::fit_dyn(e, x, y)?;
        let out = fitted.transform_dyn(x)?;
        Ok((fitted, out))
    }
    fn load(state: serde_json::Value) -> Result<Box<dyn DynFitted>> {
        #[derive(Deserialize)]
        struct S<FA> {
            first: FA,
            second: serde_json::Value,
        }
        let s: S<A::Fitted> =
            oxlearn_core::serde_f64::from_value(state).map_err(|e| Error::Format(format!("Chain state: {e}")))?;
        Ok(Box::new(DynChain { first: s.first, second: <B::Kind as KindDispatch<B>>::load(s.second)? }))
    }
}

impl<FA: FittedTransformer> DynChain<FA> {
    fn inner(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.first.transform(x)
    }
}

impl<FA: FittedTransformer> DynFitted for DynChain<FA> {
    fn name(&self) -> &'static str {
        "Chain"
    }
    fn kind(&self) -> EstimatorKind {
        self.second.kind()
    }
    fn n_features_in(&self) -> usize {
        self.first.n_features_in()
    }
    fn predict_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Output> {
        self.second.predict_dyn(self.inner(x)?.view())
    }
    fn transform_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.second.transform_dyn(self.inner(x)?.view())
    }
    fn predict_proba_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.second.predict_proba_dyn(self.inner(x)?.view())
    }
    fn decision_function_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.second.decision_function_dyn(self.inner(x)?.view())
    }
    fn classes(&self) -> Option<Vec<Label>> {
        self.second.classes()
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Result<Vec<String>> {
        let mid = self.first.feature_names_out(input);
        self.second.feature_names_out(Some(&mid))
    }
    fn labels_dyn(&self) -> Option<Array1<i64>> {
        self.second.labels_dyn()
    }
    fn n_clusters_dyn(&self) -> Option<usize> {
        self.second.n_clusters_dyn()
    }
    fn state(&self) -> Result<serde_json::Value> {
        let first =
            oxlearn_core::serde_f64::to_value(&self.first).map_err(|e| Error::Format(format!("Chain state: {e}")))?;
        Ok(serde_json::json!({"first": first, "second": self.second.state()?}))
    }
    fn clone_box(&self) -> Box<dyn DynFitted> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<FA: FittedTransformer, FB: Fitted> Fitted for FittedChain<FA, FB> {
    const NAME: &'static str = "Chain";
    fn n_features_in(&self) -> usize {
        self.first.n_features_in()
    }
    fn allow_nan(&self) -> bool {
        self.first.allow_nan()
    }
}

impl<A: Transformer, B: Regressor> Regressor for Chain<A, B> {
    type Fitted = FittedChain<A::Fitted, B::Fitted>;
    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<Self::Fitted> {
        let (first, xt) = self.first.fit_transform(x)?;
        Ok(FittedChain { first, second: self.second.fit(xt.view(), y)? })
    }
    /// The transformer fits unweighted; the weights go to the regressor.
    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Self::Fitted> {
        let (first, xt) = self.first.fit_transform(x)?;
        Ok(FittedChain { first, second: self.second.fit_weighted(xt.view(), y, sample_weight)? })
    }
}

impl<FA: FittedTransformer, FB: FittedRegressor> FittedRegressor for FittedChain<FA, FB> {
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        self.second.predict(self.first.transform_checked(x)?.view())
    }
}

impl<A: Transformer, B: Classifier> Classifier for Chain<A, B> {
    type Fitted<L: ClassLabel> = FittedChain<A::Fitted, B::Fitted<L>>;
    fn fit_checked<L: ClassLabel>(&self, x: ArrayView2<'_, f64>, y: EncodedLabels<L>) -> Result<Self::Fitted<L>> {
        let (first, xt) = self.first.fit_transform(x)?;
        Ok(FittedChain { first, second: self.second.fit_checked(xt.view(), y)? })
    }
    /// The transformer fits unweighted; the weights go to the classifier.
    fn fit_weighted_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Self::Fitted<L>> {
        let (first, xt) = self.first.fit_transform(x)?;
        Ok(FittedChain { first, second: self.second.fit_weighted_checked(xt.view(), y, sample_weight)? })
    }
}

impl<L: ClassLabel, FA: FittedTransformer, FB: FittedClassifier<L>> FittedClassifier<L> for FittedChain<FA, FB> {
    fn classes(&self) -> &[L] {
        self.second.classes()
    }
    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let xt = self.first.transform_checked(x)?;
        self.second.predict_indices(self.second.check_x(xt.view())?)
    }
    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.second.predict_proba(self.first.transform_checked(x)?.view())
    }
    fn decision_function_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.second.decision_function(self.first.transform_checked(x)?.view())
    }
}

impl<L: ClassLabel, FA: FittedTransformer, FB: ProbabilisticClassifier<L>> ProbabilisticClassifier<L>
    for FittedChain<FA, FB>
{
}

impl<A: Transformer, B: Transformer> Transformer for Chain<A, B> {
    type Fitted = FittedChain<A::Fitted, B::Fitted>;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<Self::Fitted> {
        let (first, xt) = self.first.fit_transform(x)?;
        Ok(FittedChain { first, second: self.second.fit(xt.view())? })
    }
}

impl<FA: FittedTransformer, FB: FittedTransformer> FittedTransformer for FittedChain<FA, FB> {
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.second.transform(self.first.transform_checked(x)?.view())
    }
    fn n_features_out(&self) -> usize {
        self.second.n_features_out()
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Vec<String> {
        let mid = self.first.feature_names_out(input);
        self.second.feature_names_out(Some(&mid))
    }
}

impl<A: Transformer, B: Clusterer> Clusterer for Chain<A, B> {
    type Fitted = FittedChain<A::Fitted, B::Fitted>;
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<Self::Fitted> {
        let (first, xt) = self.first.fit_transform(x)?;
        Ok(FittedChain { first, second: self.second.fit(xt.view())? })
    }
}

impl<FA: FittedTransformer, FB: FittedClusterer> FittedClusterer for FittedChain<FA, FB> {
    fn labels(&self) -> ArrayView1<'_, i64> {
        self.second.labels()
    }
    fn n_clusters(&self) -> usize {
        self.second.n_clusters()
    }
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<i64>> {
        self.second.predict(self.first.transform_checked(x)?.view())
    }
}
