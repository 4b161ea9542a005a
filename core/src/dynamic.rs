//! The object-safe layer: [`DynEstimator`] and [`DynFitted`], blanket-implemented for every typed
//! estimator, so that pipelines and searches hold heterogeneous boxed steps.
//!
//! Each typed estimator names its kind (`type Kind = RegressorKind;`) and gets the dynamic layer
//! for free; nobody writes two impls. Classifiers enter the dynamic layer with the run-time label
//! type [`Label`].

use std::any::Any;
use std::fmt::Debug;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::estimator::{
    Classifier, Clusterer, Estimator, Fitted, FittedClassifier, FittedClusterer, FittedRegressor, FittedTransformer,
    Regressor, Tags, Transformer,
};
use crate::labels::Label;
use crate::params::ParamValue;

/// The four kinds of estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EstimatorKind {
    /// Class labels out.
    Classifier,
    /// Real values out.
    Regressor,
    /// A matrix out.
    Transformer,
    /// Cluster labels out.
    Clusterer,
}

/// A target handed to the dynamic layer.
#[derive(Debug, Clone, Copy)]
pub enum TargetView<'a> {
    /// Class labels (classifiers).
    Labels(ArrayView1<'a, Label>),
    /// Real values (regressors).
    Values(ArrayView1<'a, f64>),
    /// No target (transformers, clusterers).
    None,
}

impl TargetView<'_> {
    /// Number of entries (0 for `None`).
    pub fn len(&self) -> usize {
        match self {
            TargetView::Labels(y) => y.len(),
            TargetView::Values(y) => y.len(),
            TargetView::None => 0,
        }
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a dynamic `predict` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Predicted class labels.
    Labels(Array1<Label>),
    /// Predicted values.
    Values(Array1<f64>),
    /// A transformed matrix.
    Matrix(Array2<f64>),
    /// Cluster assignments (-1 for noise).
    Clusters(Array1<i64>),
}

impl Output {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Output::Labels(v) => v.len(),
            Output::Values(v) => v.len(),
            Output::Matrix(m) => m.nrows(),
            Output::Clusters(v) => v.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An unfitted estimator behind a pointer.
pub trait DynEstimator: Debug + Send + Sync {
    /// The estimator's name.
    fn name(&self) -> &'static str;
    /// Its kind.
    fn kind(&self) -> EstimatorKind;
    /// Its tags.
    fn tags(&self) -> Tags;
    /// Sets a hyper-parameter by name.
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()>;
    /// Validates and fits.
    fn fit_dyn(&self, x: ArrayView2<'_, f64>, y: TargetView<'_>) -> Result<Box<dyn DynFitted>>;
    /// Validates and fits with one weight per sample (the typed `fit_weighted`, scikit-learn's
    /// `fit(X, y, sample_weight=w)`); [`Error::Unsupported`] for estimators without it
    /// ([`Tags::sample_weight`] says which have it).
    fn fit_weighted_dyn(
        &self,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn DynFitted>>;
    /// Fits and transforms in one call (transformers only), as the typed `fit_transform`.
    fn fit_transform_dyn(&self, x: ArrayView2<'_, f64>, y: TargetView<'_>)
    -> Result<(Box<dyn DynFitted>, Array2<f64>)>;
    /// Rebuilds a fitted model of this estimator's type from [`DynFitted::state`].
    fn load_fitted(&self, state: serde_json::Value) -> Result<Box<dyn DynFitted>>;
    /// A boxed copy (unfitted).
    fn clone_box(&self) -> Box<dyn DynEstimator>;
    /// For downcasting to the typed estimator.
    fn as_any(&self) -> &dyn Any;
}

impl Clone for Box<dyn DynEstimator> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A fitted model behind a pointer.
pub trait DynFitted: Debug + Send + Sync {
    /// The estimator's name.
    fn name(&self) -> &'static str;
    /// Its kind.
    fn kind(&self) -> EstimatorKind;
    /// Number of features seen in fit.
    fn n_features_in(&self) -> usize;
    /// Predicts (classifiers, regressors, clusterers) or transforms (transformers).
    fn predict_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Output>;
    /// Transforms (transformers only).
    fn transform_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;
    /// Class probabilities (probabilistic classifiers only).
    fn predict_proba_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;
    /// Decision scores (classifiers that have them).
    fn decision_function_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;
    /// The fitted classes (classifiers only).
    fn classes(&self) -> Option<Vec<Label>>;
    /// Output feature names of a transformer.
    fn feature_names_out(&self, input: Option<&[String]>) -> Result<Vec<String>>;
    /// Cluster labels of the training samples (clusterers only).
    fn labels_dyn(&self) -> Option<Array1<i64>> {
        None
    }
    /// Number of clusters found (clusterers only).
    fn n_clusters_dyn(&self) -> Option<usize> {
        None
    }
    /// The fitted state, serialized with serde (for model files). Non-finite numbers are kept
    /// as the strings `"NaN"`, `"inf"`, `"-inf"` (see [`serde_f64`](crate::serde_f64)).
    fn state(&self) -> Result<serde_json::Value>;
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn DynFitted>;
    /// For downcasting to the typed fitted model.
    fn as_any(&self) -> &dyn Any;
}

impl Clone for Box<dyn DynFitted> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Routes an estimator of one kind into the dynamic layer (see [`Estimator::Kind`]).
pub trait KindDispatch<E: ?Sized> {
    /// The kind.
    const KIND: EstimatorKind;
    /// Fits through the typed `fit`.
    fn fit_dyn(estimator: &E, x: ArrayView2<'_, f64>, y: TargetView<'_>) -> Result<Box<dyn DynFitted>>;
    /// Fits through the typed `fit_weighted` (classifiers, regressors and clusterers; the
    /// default says the kind has no weighted fit).
    fn fit_weighted_dyn(
        estimator: &E,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn DynFitted>>
    where
        E: Estimator,
    {
        let _ = (estimator, x, y, sample_weight);
        Err(Error::unsupported(E::NAME, "sample_weight"))
    }
    /// Fits and transforms through the typed `fit_transform` (transformers only).
    fn fit_transform_dyn(
        estimator: &E,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
    ) -> Result<(Box<dyn DynFitted>, Array2<f64>)>
    where
        E: Estimator,
    {
        let _ = (estimator, x, y);
        Err(Error::unsupported(E::NAME, "fit_transform"))
    }
    /// Deserializes the typed fitted model.
    fn load(state: serde_json::Value) -> Result<Box<dyn DynFitted>>;
}

/// Marker: the estimator implements [`Classifier`].
#[derive(Debug)]
pub struct ClassifierKind;
/// Marker: the estimator implements [`Regressor`].
#[derive(Debug)]
pub struct RegressorKind;
/// Marker: the estimator implements [`Transformer`].
#[derive(Debug)]
pub struct TransformerKind;
/// Marker: the estimator implements [`Clusterer`].
#[derive(Debug)]
pub struct ClustererKind;

fn wrong_target(name: &str, wanted: &str) -> Error {
    Error::InvalidInput(format!("{name} needs {wanted}"))
}

/// Fitted states go through [`serde_f64`](crate::serde_f64), so NaN and infinities survive.
fn load_state<F: Fitted>(state: serde_json::Value) -> Result<F> {
    crate::serde_f64::from_value(state).map_err(|e| Error::Format(format!("{} state: {e}", F::NAME)))
}

fn save_state<F: Fitted>(f: &F) -> Result<serde_json::Value> {
    crate::serde_f64::to_value(f).map_err(|e| Error::Format(format!("{} state: {e}", F::NAME)))
}

/// Boxed fitted classifier.
#[derive(Debug, Clone)]
pub struct DynClassifier<F>(pub F);
/// Boxed fitted regressor.
#[derive(Debug, Clone)]
pub struct DynRegressor<F>(pub F);
/// Boxed fitted transformer.
#[derive(Debug, Clone)]
pub struct DynTransformer<F>(pub F);
/// Boxed fitted clusterer.
#[derive(Debug, Clone)]
pub struct DynClusterer<F>(pub F);

impl<E: Classifier> KindDispatch<E> for ClassifierKind {
    const KIND: EstimatorKind = EstimatorKind::Classifier;
    fn fit_dyn(e: &E, x: ArrayView2<'_, f64>, y: TargetView<'_>) -> Result<Box<dyn DynFitted>> {
        match y {
            TargetView::Labels(y) => Ok(Box::new(DynClassifier(e.fit(x, y)?))),
            _ => Err(wrong_target(E::NAME, "class labels as y")),
        }
    }
    fn fit_weighted_dyn(
        e: &E,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn DynFitted>> {
        match y {
            TargetView::Labels(y) => Ok(Box::new(DynClassifier(e.fit_weighted(x, y, sample_weight)?))),
            _ => Err(wrong_target(E::NAME, "class labels as y")),
        }
    }
    fn load(state: serde_json::Value) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(DynClassifier(load_state::<E::Fitted<Label>>(state)?)))
    }
}

impl<E: Regressor> KindDispatch<E> for RegressorKind {
    const KIND: EstimatorKind = EstimatorKind::Regressor;
    fn fit_dyn(e: &E, x: ArrayView2<'_, f64>, y: TargetView<'_>) -> Result<Box<dyn DynFitted>> {
        match y {
            TargetView::Values(y) => Ok(Box::new(DynRegressor(e.fit(x, y)?))),
            _ => Err(wrong_target(E::NAME, "real-valued y")),
        }
    }
    fn fit_weighted_dyn(
        e: &E,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn DynFitted>> {
        match y {
            TargetView::Values(y) => Ok(Box::new(DynRegressor(e.fit_weighted(x, y, sample_weight)?))),
            _ => Err(wrong_target(E::NAME, "real-valued y")),
        }
    }
    fn load(state: serde_json::Value) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(DynRegressor(load_state::<E::Fitted>(state)?)))
    }
}

impl<E: Transformer> KindDispatch<E> for TransformerKind {
    const KIND: EstimatorKind = EstimatorKind::Transformer;
    fn fit_dyn(e: &E, x: ArrayView2<'_, f64>, _y: TargetView<'_>) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(DynTransformer(e.fit(x)?)))
    }
    fn fit_transform_dyn(
        e: &E,
        x: ArrayView2<'_, f64>,
        _y: TargetView<'_>,
    ) -> Result<(Box<dyn DynFitted>, Array2<f64>)> {
        let (fitted, out) = e.fit_transform(x)?;
        Ok((Box::new(DynTransformer(fitted)), out))
    }
    fn load(state: serde_json::Value) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(DynTransformer(load_state::<E::Fitted>(state)?)))
    }
}

impl<E: Clusterer> KindDispatch<E> for ClustererKind {
    const KIND: EstimatorKind = EstimatorKind::Clusterer;
    fn fit_dyn(e: &E, x: ArrayView2<'_, f64>, _y: TargetView<'_>) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(DynClusterer(e.fit(x)?)))
    }
    fn fit_weighted_dyn(
        e: &E,
        x: ArrayView2<'_, f64>,
        _y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(DynClusterer(e.fit_weighted(x, sample_weight)?)))
    }
    fn load(state: serde_json::Value) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(DynClusterer(load_state::<E::Fitted>(state)?)))
    }
}

impl<E: Estimator> DynEstimator for E {
    fn name(&self) -> &'static str {
        E::NAME
    }
    fn kind(&self) -> EstimatorKind {
        <E::Kind as KindDispatch<E>>::KIND
    }
    fn tags(&self) -> Tags {
        Estimator::tags(self)
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        Estimator::set_param(self, name, value)
    }
    fn fit_dyn(&self, x: ArrayView2<'_, f64>, y: TargetView<'_>) -> Result<Box<dyn DynFitted>> {
        <E::Kind as KindDispatch<E>>::fit_dyn(self, x, y)
    }
    fn fit_weighted_dyn(
        &self,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn DynFitted>> {
        <E::Kind as KindDispatch<E>>::fit_weighted_dyn(self, x, y, sample_weight)
    }
    fn fit_transform_dyn(
        &self,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
    ) -> Result<(Box<dyn DynFitted>, Array2<f64>)> {
        <E::Kind as KindDispatch<E>>::fit_transform_dyn(self, x, y)
    }
    fn load_fitted(&self, state: serde_json::Value) -> Result<Box<dyn DynFitted>> {
        <E::Kind as KindDispatch<E>>::load(state)
    }
    fn clone_box(&self) -> Box<dyn DynEstimator> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

macro_rules! common_dyn {
    ($kind:ident) => {
        fn name(&self) -> &'static str {
            F::NAME
        }
        fn kind(&self) -> EstimatorKind {
            EstimatorKind::$kind
        }
        fn n_features_in(&self) -> usize {
            self.0.n_features_in()
        }
        fn state(&self) -> Result<serde_json::Value> {
            save_state(&self.0)
        }
        fn clone_box(&self) -> Box<dyn DynFitted> {
            Box::new(self.clone())
        }
        fn as_any(&self) -> &dyn Any {
            &self.0
        }
    };
}

impl<F: FittedClassifier<Label>> DynFitted for DynClassifier<F> {
    common_dyn!(Classifier);
    fn predict_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Output> {
        Ok(Output::Labels(self.0.predict(x)?))
    }
    fn transform_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "transform"))
    }
    fn predict_proba_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.0.predict_proba(x)
    }
    fn decision_function_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.0.decision_function(x)
    }
    fn classes(&self) -> Option<Vec<Label>> {
        Some(self.0.classes().to_vec())
    }
    fn feature_names_out(&self, _input: Option<&[String]>) -> Result<Vec<String>> {
        Err(Error::unsupported(F::NAME, "feature_names_out"))
    }
}

impl<F: FittedRegressor> DynFitted for DynRegressor<F> {
    common_dyn!(Regressor);
    fn predict_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Output> {
        Ok(Output::Values(self.0.predict(x)?))
    }
    fn transform_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "transform"))
    }
    fn predict_proba_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "predict_proba"))
    }
    fn decision_function_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "decision_function"))
    }
    fn classes(&self) -> Option<Vec<Label>> {
        None
    }
    fn feature_names_out(&self, _input: Option<&[String]>) -> Result<Vec<String>> {
        Err(Error::unsupported(F::NAME, "feature_names_out"))
    }
}

impl<F: FittedTransformer> DynFitted for DynTransformer<F> {
    common_dyn!(Transformer);
    fn predict_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Output> {
        Ok(Output::Matrix(self.0.transform(x)?))
    }
    fn transform_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.0.transform(x)
    }
    fn predict_proba_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "predict_proba"))
    }
    fn decision_function_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "decision_function"))
    }
    fn classes(&self) -> Option<Vec<Label>> {
        None
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Result<Vec<String>> {
        Ok(self.0.feature_names_out(input))
    }
}

impl<F: FittedClusterer> DynFitted for DynClusterer<F> {
    common_dyn!(Clusterer);
    fn labels_dyn(&self) -> Option<Array1<i64>> {
        Some(self.0.labels().to_owned())
    }
    fn n_clusters_dyn(&self) -> Option<usize> {
        Some(self.0.n_clusters())
    }
    fn predict_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Output> {
        Ok(Output::Clusters(self.0.predict(x)?))
    }
    fn transform_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "transform"))
    }
    fn predict_proba_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "predict_proba"))
    }
    fn decision_function_dyn(&self, _x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Err(Error::unsupported(F::NAME, "decision_function"))
    }
    fn classes(&self) -> Option<Vec<Label>> {
        None
    }
    fn feature_names_out(&self, _input: Option<&[String]>) -> Result<Vec<String>> {
        Err(Error::unsupported(F::NAME, "feature_names_out"))
    }
}
