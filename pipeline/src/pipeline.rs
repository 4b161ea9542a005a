//! The dynamic [`Pipeline`]: named steps (a leading [`ColumnTransformer`] over a polars
//! DataFrame, then boxed estimators), fitted into a [`FittedPipeline`].

use std::any::Any;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use oxlearn_core::estimator::Tags;
use oxlearn_core::metrics::{accuracy_score, r2_score};
use oxlearn_core::{
    DynEstimator, DynFitted, Error, Estimator, EstimatorKind, Label, Output, ParamValue, Result, TargetView, serde_f64,
};
use oxlearn_preprocessing::{ColumnTransformer, FittedColumnTransformer};
use polars::prelude::{DataFrame, NamedFrom, Series};

use crate::target::Target;

/// One unfitted step of a [`Pipeline`].
#[derive(Debug, Clone)]
pub enum PipeStep {
    /// A [`ColumnTransformer`] over the input DataFrame (first step only).
    Frame(ColumnTransformer),
    /// Any estimator through the dynamic layer.
    Estimator(Box<dyn DynEstimator>),
}

/// One fitted step of a [`FittedPipeline`].
#[derive(Debug, Clone)]
pub enum FittedPipeStep {
    /// A fitted [`ColumnTransformer`].
    Frame(FittedColumnTransformer),
    /// A fitted estimator.
    Estimator(Box<dyn DynFitted>),
}

/// Marker types that let [`Pipeline::step`] take an estimator, a [`ColumnTransformer`] or a
/// boxed estimator without wrapping.
pub mod marker {
    /// A typed estimator.
    #[derive(Debug)]
    pub struct Typed;
    /// A column transformer.
    #[derive(Debug)]
    pub struct Frame;
    /// A boxed estimator or a nested pipeline.
    #[derive(Debug)]
    pub struct Boxed;
}

/// Anything [`Pipeline::step`] accepts.
pub trait IntoStep<M> {
    /// The step.
    fn into_step(self) -> PipeStep;
}

/// A [`ColumnTransformer`] (itself an estimator over `x0, x1, ..` columns) becomes a frame step,
/// every other estimator a boxed one.
impl<E: Estimator> IntoStep<marker::Typed> for E {
    fn into_step(self) -> PipeStep {
        let any: Box<dyn Any> = Box::new(self);
        match any.downcast::<ColumnTransformer>() {
            Ok(ct) => PipeStep::Frame(*ct),
            Err(any) => PipeStep::Estimator(Box::new(*any.downcast::<E>().expect("the value is an E"))),
        }
    }
}
impl IntoStep<marker::Boxed> for Box<dyn DynEstimator> {
    fn into_step(self) -> PipeStep {
        PipeStep::Estimator(self)
    }
}
impl IntoStep<marker::Boxed> for Pipeline {
    fn into_step(self) -> PipeStep {
        PipeStep::Estimator(Box::new(self))
    }
}

/// A chain of named steps, scikit-learn's `Pipeline`: every step but the last transforms, the
/// last one decides what the pipeline is (classifier, regressor, transformer, clusterer).
///
/// The first step may be a [`ColumnTransformer`]; such a pipeline is fitted from a polars
/// DataFrame with [`fit_frame`](Self::fit_frame) (string labels in, string labels out). Any
/// other pipeline also fits from ndarray through the [`DynEstimator`] layer
/// ([`fit_dyn`](DynEstimator::fit_dyn)), or from a frame of numeric columns.
///
/// Hyper-parameters of the steps are addressed as `<step>__<param>` (`"model__max_depth"`); those
/// of a leading [`ColumnTransformer`] and of its parts' transformers as scikit-learn addresses
/// them: `"prep__remainder"`, `"prep__num__with_mean"` (every transformer of the part's chain
/// that has the parameter), `"prep__num__standardscaler__with_mean"` (one transformer of the
/// chain, by its lowercase type name), so searches can tune the preprocessing too.
///
/// ```
/// use oxlearn_core::dummy::DummyClassifier;
/// use oxlearn_pipeline::Pipeline;
/// use oxlearn_preprocessing::{ColumnTransformer, Columns, SimpleImputer, StandardScaler};
/// use polars::prelude::*;
///
/// let df = df!("age" => [Some(30.0), None, Some(50.0), Some(41.0)],
///              "churned" => ["no", "yes", "no", "no"])?;
/// let prep = ColumnTransformer::new()
///     .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::numeric());
/// let pipe = Pipeline::new().step("prep", prep).step("model", DummyClassifier::default());
/// let fitted = pipe.fit_frame(&df, "churned")?;
/// let predicted = fitted.predict_frame(&df)?;
/// assert_eq!(predicted.str()?.get(0), Some("no"));
/// assert_eq!(fitted.feature_names_out(), ["num__age"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    steps: Vec<(String, PipeStep)>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Pipeline::default()
    }

    /// Appends a named step.
    pub fn step<M>(mut self, name: impl Into<String>, step: impl IntoStep<M>) -> Self {
        self.steps.push((name.into(), step.into_step()));
        self
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[(String, PipeStep)] {
        &self.steps
    }

    /// The named step.
    pub fn named_step(&self, name: &str) -> Option<&PipeStep> {
        self.steps.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    /// The kind of the last step (a transformer for a column transformer or an empty pipeline).
    pub fn kind(&self) -> EstimatorKind {
        match self.steps.last() {
            Some((_, PipeStep::Estimator(e))) => e.kind(),
            _ => EstimatorKind::Transformer,
        }
    }

    /// True when the first step is a [`ColumnTransformer`].
    pub fn starts_with_frame(&self) -> bool {
        matches!(self.steps.first(), Some((_, PipeStep::Frame(_))))
    }

    fn check(&self) -> Result<()> {
        if self.steps.is_empty() {
            return Err(Error::invalid_param("steps", "the pipeline has no steps"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, (name, step)) in self.steps.iter().enumerate() {
            if name.is_empty() || name.contains("__") {
                return Err(Error::invalid_param(
                    "steps",
                    format!("invalid step name {name:?} (empty or containing \"__\")"),
                ));
            }
            if !seen.insert(name.as_str()) {
                return Err(Error::invalid_param("steps", format!("step name {name:?} is used twice")));
            }
            match step {
                PipeStep::Frame(_) if i > 0 => {
                    return Err(Error::invalid_param(
                        "steps",
                        format!("step {name:?}: a ColumnTransformer can only be the first step"),
                    ));
                }
                PipeStep::Estimator(e) if i + 1 < self.steps.len() && e.kind() != EstimatorKind::Transformer => {
                    return Err(Error::invalid_param(
                        "steps",
                        format!(
                            "step {name:?} ({}) is not a transformer, but only the last step may be \
                             a {:?}",
                            e.name(),
                            e.kind()
                        ),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Fits the estimator steps on a matrix, starting at `start`; `sample_weight` goes to the
    /// last step only.
    fn fit_from(
        &self,
        start: usize,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<Vec<(String, FittedPipeStep)>> {
        let mut fitted = Vec::with_capacity(self.steps.len());
        let mut current: Option<Array2<f64>> = None;
        let last = self.steps.len() - 1;
        for (i, (name, step)) in self.steps.iter().enumerate().skip(start) {
            // On a matrix, a ColumnTransformer works as any transformer (columns `x0, x1, ..`).
            let e: &dyn DynEstimator = match step {
                PipeStep::Estimator(e) => &**e,
                PipeStep::Frame(ct) => ct,
            };
            let input = match &current {
                Some(m) => m.view(),
                None => x.view(),
            };
            tracing::debug!(step = name.as_str(), estimator = e.name(), "pipeline step");
            if i == last {
                let f = match sample_weight {
                    Some(w) => e.fit_weighted_dyn(input, y, w)?,
                    None => e.fit_dyn(input, y)?,
                };
                fitted.push((name.clone(), FittedPipeStep::Estimator(f)));
            } else {
                let (f, out) = e.fit_transform_dyn(input, y).or_else(|err| match err {
                    Error::Unsupported { .. } => {
                        let f = e.fit_dyn(input, y)?;
                        let out = f.transform_dyn(input)?;
                        Ok((f, out))
                    }
                    other => Err(other),
                })?;
                fitted.push((name.clone(), FittedPipeStep::Estimator(f)));
                current = Some(out);
            }
        }
        Ok(fitted)
    }

    /// Fits from a matrix and a target (a pipeline without a [`ColumnTransformer`]).
    pub fn fit_xy(&self, x: ArrayView2<'_, f64>, y: TargetView<'_>) -> Result<FittedPipeline> {
        self.check()?;
        let steps = self.fit_from(0, x, y, None)?;
        Ok(FittedPipeline { steps, kind: self.kind(), target: None, feature_names_in: None })
    }

    /// [`fit_xy`](Self::fit_xy) with one weight per sample for the last step, scikit-learn's
    /// `pipe.fit(X, y, model__sample_weight=w)`: the transformers before it fit unweighted.
    ///
    /// # Errors
    /// `Unsupported` when the last step has no weighted fit ([`Tags::sample_weight`]), the
    /// weights' own errors (length, finite, non-negative, not all zero), and every step's.
    pub fn fit_xy_weighted(
        &self,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedPipeline> {
        self.check()?;
        let steps = self.fit_from(0, x, y, Some(sample_weight))?;
        Ok(FittedPipeline { steps, kind: self.kind(), target: None, feature_names_in: None })
    }

    /// Fits from a DataFrame: `target` is the column to predict (class labels for a classifier,
    /// numbers for a regressor, ignored by transformers and clusterers); every other column is
    /// a feature. With a leading [`ColumnTransformer`] the features may be strings and hold
    /// nulls; otherwise they must be numeric without nulls.
    ///
    /// # Errors
    /// `InvalidInput` when `target` is not a column or cannot be read as the last step needs,
    /// and every step's own errors.
    pub fn fit_frame(&self, df: &DataFrame, target: &str) -> Result<FittedPipeline> {
        self.fit_frame_with(df, target, None)
    }

    /// [`fit_frame`](Self::fit_frame) with one weight per row for the last step (see
    /// [`fit_xy_weighted`](Self::fit_xy_weighted)).
    pub fn fit_frame_weighted(
        &self,
        df: &DataFrame,
        target: &str,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedPipeline> {
        self.fit_frame_with(df, target, Some(sample_weight))
    }

    fn fit_frame_with(
        &self,
        df: &DataFrame,
        target: &str,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<FittedPipeline> {
        self.check()?;
        let y = Target::from_frame(df, target, self.kind())?;
        let features = drop_column(df, target)?;
        let mut fitted = self.fit_frame_target_with(&features, y.view(), sample_weight)?;
        fitted.target = Some(target.to_string());
        Ok(fitted)
    }

    /// Fits from a DataFrame of features and a separate target.
    pub fn fit_frame_target(&self, df: &DataFrame, y: TargetView<'_>) -> Result<FittedPipeline> {
        self.fit_frame_target_with(df, y, None)
    }

    /// Fits from features and a target, `sample_weight` (if any) for the last step.
    pub(crate) fn fit_frame_target_with(
        &self,
        df: &DataFrame,
        y: TargetView<'_>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<FittedPipeline> {
        self.check()?;
        let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        let steps = match &self.steps[0].1 {
            PipeStep::Frame(ct) => {
                let (fct, x) = ct.fit_transform_frame(df)?;
                let mut steps = vec![(self.steps[0].0.clone(), FittedPipeStep::Frame(fct))];
                if self.steps.len() > 1 {
                    steps.extend(self.fit_from(1, x.view(), y, sample_weight)?);
                } else if sample_weight.is_some() {
                    return Err(Error::unsupported("ColumnTransformer", "sample_weight"));
                }
                steps
            }
            PipeStep::Estimator(_) => {
                let x = oxlearn_datasets::frame_to_array(df)?;
                self.fit_from(0, x.view(), y, sample_weight)?
            }
        };
        Ok(FittedPipeline { steps, kind: self.kind(), target: None, feature_names_in: Some(names) })
    }
}

/// `df` without column `name` (an error naming the columns when it is not there).
pub(crate) fn drop_column(df: &DataFrame, name: &str) -> Result<DataFrame> {
    if df.column(name).is_err() {
        let cols: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        return Err(Error::InvalidInput(format!("the frame has no target column {name:?}; its columns are {cols:?}")));
    }
    df.drop(name).map_err(|e| Error::InvalidInput(format!("cannot drop column {name:?}: {e}")))
}

impl DynEstimator for Pipeline {
    fn name(&self) -> &'static str {
        "Pipeline"
    }
    fn kind(&self) -> EstimatorKind {
        Pipeline::kind(self)
    }
    fn tags(&self) -> Tags {
        match self.steps.last() {
            Some((_, PipeStep::Estimator(e))) => {
                let mut tags = e.tags();
                // A leading imputer may accept NaN the model does not; be conservative.
                if let Some((_, PipeStep::Estimator(first))) = self.steps.first() {
                    tags.allow_nan = first.tags().allow_nan;
                }
                tags
            }
            _ => Tags::default(),
        }
    }
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        let Some((step, rest)) = name.split_once("__") else {
            // An unprefixed `n_jobs` goes to every step that has one.
            if name == "n_jobs" {
                for (_, s) in &mut self.steps {
                    if let PipeStep::Estimator(e) = s {
                        let _ = e.set_param(name, value);
                    }
                }
                return Ok(());
            }
            return Err(Error::invalid_param(name, "pipeline parameters are addressed as <step>__<param>"));
        };
        let Some((_, s)) = self.steps.iter_mut().find(|(n, _)| n == step) else {
            let names: Vec<&str> = self.steps.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Error::invalid_param(
                name,
                format!("the pipeline has no step {step:?}; its steps are {names:?}"),
            ));
        };
        match s {
            PipeStep::Estimator(e) => e.set_param(rest, value),
            // `prep__num__with_mean`, `prep__remainder`, `prep__cat__onehotencoder__drop`.
            PipeStep::Frame(ct) => ct.set_param(rest, value).map_err(|e| match e {
                Error::InvalidParam { reason, .. } => Error::invalid_param(name, reason),
                other => other,
            }),
        }
    }
    fn fit_dyn(&self, x: ArrayView2<'_, f64>, y: TargetView<'_>) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(self.fit_xy(x, y)?))
    }
    fn fit_weighted_dyn(
        &self,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn DynFitted>> {
        Ok(Box::new(self.fit_xy_weighted(x, y, sample_weight)?))
    }
    fn fit_transform_dyn(
        &self,
        x: ArrayView2<'_, f64>,
        y: TargetView<'_>,
    ) -> Result<(Box<dyn DynFitted>, Array2<f64>)> {
        let fitted = self.fit_xy(x, y)?;
        let out = fitted.transform_dyn(x)?;
        Ok((Box::new(fitted), out))
    }
    fn load_fitted(&self, state: serde_json::Value) -> Result<Box<dyn DynFitted>> {
        let load = |type_name: &str, i: usize, state: serde_json::Value| match self.steps.get(i).map(|(_, s)| s) {
            Some(PipeStep::Estimator(e)) if e.name() == type_name => e.load_fitted(state),
            _ => Err(Error::Format(format!(
                "pipeline state step {i} is a {type_name}, which this pipeline does not hold there"
            ))),
        };
        Ok(Box::new(FittedPipeline::from_state(state, &load)?))
    }
    fn clone_box(&self) -> Box<dyn DynEstimator> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A fitted [`Pipeline`].
#[derive(Debug, Clone)]
pub struct FittedPipeline {
    steps: Vec<(String, FittedPipeStep)>,
    kind: EstimatorKind,
    target: Option<String>,
    feature_names_in: Option<Vec<String>>,
}

impl FittedPipeline {
    /// The fitted steps, in order.
    pub fn steps(&self) -> &[(String, FittedPipeStep)] {
        &self.steps
    }

    /// The fitted estimator of the named step (`None` for a column transformer or a wrong name).
    pub fn named_step(&self, name: &str) -> Option<&dyn DynFitted> {
        self.steps.iter().find_map(|(n, s)| match s {
            FittedPipeStep::Estimator(f) if n == name => Some(&**f),
            _ => None,
        })
    }

    /// The fitted step as its typed fitted model (`FittedRidge`, `FittedLogisticRegression<Label>`).
    pub fn named_step_as<T: 'static>(&self, name: &str) -> Option<&T> {
        self.named_step(name)?.as_any().downcast_ref::<T>()
    }

    /// The fitted column transformer of the named step.
    pub fn named_frame_step(&self, name: &str) -> Option<&FittedColumnTransformer> {
        self.steps.iter().find_map(|(n, s)| match s {
            FittedPipeStep::Frame(f) if n == name => Some(f),
            _ => None,
        })
    }

    /// What the pipeline is (its last step's kind).
    pub fn kind(&self) -> EstimatorKind {
        self.kind
    }

    /// The target column it was fitted to predict (frame fits).
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// Sets the target column name (the model was fitted on a frame without it).
    pub(crate) fn set_target(&mut self, target: &str) {
        self.target = Some(target.to_string());
    }

    /// The DataFrame columns seen in fit (frame fits).
    pub fn feature_names_in(&self) -> Option<&[String]> {
        self.feature_names_in.as_deref()
    }

    /// The classes of the final classifier.
    pub fn classes(&self) -> Option<Vec<Label>> {
        match self.steps.last() {
            Some((_, FittedPipeStep::Estimator(f))) => f.classes(),
            _ => None,
        }
    }

    /// The names of the features entering the last step (its outputs when it is a transformer):
    /// `num__age`, `cat__plan_basic`, ...
    pub fn feature_names_out(&self) -> Vec<String> {
        let mut names: Option<Vec<String>> = self.feature_names_in.clone();
        let n = self.steps.len();
        for (i, (_, s)) in self.steps.iter().enumerate() {
            let is_last = i + 1 == n;
            match s {
                FittedPipeStep::Frame(ct) => names = Some(ct.feature_names_out().to_vec()),
                FittedPipeStep::Estimator(f) => {
                    if is_last && f.kind() != EstimatorKind::Transformer {
                        break;
                    }
                    names = f.feature_names_out(names.as_deref()).ok();
                }
            }
        }
        names.unwrap_or_else(|| {
            let width = match self.steps.first() {
                Some((_, FittedPipeStep::Estimator(f))) => f.n_features_in(),
                _ => 0,
            };
            (0..width).map(|i| format!("x{i}")).collect()
        })
    }

    /// Runs every step but the last on a matrix (estimator steps from `start`).
    fn through(&self, start: usize, x: ArrayView2<'_, f64>) -> Result<Option<Array2<f64>>> {
        let mut current: Option<Array2<f64>> = None;
        for (name, s) in &self.steps[start..self.steps.len() - 1] {
            let FittedPipeStep::Estimator(f) = s else {
                return Err(Error::InvalidInput(format!(
                    "step {name:?} is a ColumnTransformer, which needs a DataFrame; use predict_frame"
                )));
            };
            let input = match &current {
                Some(m) => m.view(),
                None => x.view(),
            };
            current = Some(f.transform_dyn(input)?);
        }
        Ok(current)
    }

    /// The matrix entering the last step, from a frame, and the index of the last step.
    fn frame_to_last(&self, df: &DataFrame) -> Result<Array2<f64>> {
        match &self.steps[0].1 {
            FittedPipeStep::Frame(ct) => {
                let x = ct.transform_frame(df)?;
                if self.steps.len() == 1 {
                    return Ok(x);
                }
                Ok(self.through(1, x.view())?.unwrap_or(x))
            }
            FittedPipeStep::Estimator(_) => {
                let features = match (&self.target, &self.feature_names_in) {
                    (_, Some(names)) => df
                        .select(names.iter().map(String::as_str))
                        .map_err(|e| Error::InvalidInput(format!("the frame lacks columns seen in fit: {e}")))?,
                    _ => df.clone(),
                };
                let x = oxlearn_datasets::frame_to_array(&features)?;
                Ok(self.through(0, x.view())?.unwrap_or(x))
            }
        }
    }

    fn last(&self) -> Option<&dyn DynFitted> {
        match self.steps.last() {
            Some((_, FittedPipeStep::Estimator(f))) => Some(&**f),
            _ => None,
        }
    }

    /// Predictions for a frame (class labels, values, cluster ids; a matrix for a pipeline of
    /// transformers).
    pub fn predict_frame_output(&self, df: &DataFrame) -> Result<Output> {
        if self.steps.len() == 1
            && let FittedPipeStep::Frame(ct) = &self.steps[0].1
        {
            return Ok(Output::Matrix(ct.transform_frame(df)?));
        }
        let x = self.frame_to_last(df)?;
        match self.last() {
            Some(f) => f.predict_dyn(x.view()),
            None => Ok(Output::Matrix(x)),
        }
    }

    /// Predictions for a frame as a polars Series named after the target: string labels out
    /// when string labels went in.
    pub fn predict_frame(&self, df: &DataFrame) -> Result<Series> {
        let name = self.target.as_deref().unwrap_or("prediction");
        output_to_series(name, self.predict_frame_output(df)?)
    }

    /// Class probabilities for a frame, one column per [`classes`](Self::classes) entry.
    pub fn predict_proba_frame(&self, df: &DataFrame) -> Result<Array2<f64>> {
        let x = self.frame_to_last(df)?;
        self.last().ok_or_else(|| Error::unsupported("Pipeline", "predict_proba"))?.predict_proba_dyn(x.view())
    }

    /// Transforms a frame through every step (a pipeline of transformers).
    pub fn transform_frame(&self, df: &DataFrame) -> Result<Array2<f64>> {
        match self.predict_frame_output(df)? {
            Output::Matrix(m) => Ok(m),
            _ => Err(Error::unsupported("Pipeline", "transform")),
        }
    }

    /// Accuracy (classifier) or R^2 (regressor) on a frame holding the target column.
    pub fn score_frame(&self, df: &DataFrame) -> Result<f64> {
        let target = self
            .target
            .as_deref()
            .ok_or_else(|| Error::InvalidInput("score_frame needs a pipeline fitted with fit_frame".into()))?;
        let y = Target::from_frame(df, target, self.kind)?;
        let pred = self.predict_frame_output(df)?;
        score_default(&y, &pred)
    }

    /// The pipeline's state as JSON; `type_name` of each step is what a registry loads.
    fn state_json(&self) -> Result<serde_json::Value> {
        let mut steps = Vec::with_capacity(self.steps.len());
        for (name, s) in &self.steps {
            let (ty, state) = match s {
                FittedPipeStep::Frame(ct) => (
                    "ColumnTransformer",
                    serde_f64::to_value(ct).map_err(|e| Error::Format(format!("ColumnTransformer state: {e}")))?,
                ),
                FittedPipeStep::Estimator(f) => (f.name(), f.state()?),
            };
            steps.push(serde_json::json!({"name": name, "type": ty, "state": state}));
        }
        Ok(serde_json::json!({
            "steps": steps,
            "kind": self.kind,
            "target": self.target,
            "feature_names_in": self.feature_names_in,
        }))
    }

    /// Rebuilds a fitted pipeline from its state; `load(type, index, state)` rebuilds each
    /// estimator step (a registry lookup for model files).
    #[allow(clippy::type_complexity)]
    pub fn from_state(
        state: serde_json::Value,
        load: &dyn Fn(&str, usize, serde_json::Value) -> Result<Box<dyn DynFitted>>,
    ) -> Result<FittedPipeline> {
        #[derive(serde::Deserialize)]
        struct StepState {
            name: String,
            #[serde(rename = "type")]
            ty: String,
            state: serde_json::Value,
        }
        #[derive(serde::Deserialize)]
        struct State {
            steps: Vec<StepState>,
            kind: EstimatorKind,
            target: Option<String>,
            feature_names_in: Option<Vec<String>>,
        }
        let s: State = serde_json::from_value(state).map_err(|e| Error::Format(format!("Pipeline state: {e}")))?;
        if s.steps.is_empty() {
            return Err(Error::Format("Pipeline state has no steps".into()));
        }
        let mut steps = Vec::with_capacity(s.steps.len());
        for (i, st) in s.steps.into_iter().enumerate() {
            let step = if st.ty == "ColumnTransformer" {
                if i > 0 {
                    return Err(Error::Format("Pipeline state has a ColumnTransformer after the first step".into()));
                }
                FittedPipeStep::Frame(
                    serde_f64::from_value(st.state)
                        .map_err(|e| Error::Format(format!("ColumnTransformer state: {e}")))?,
                )
            } else {
                FittedPipeStep::Estimator(load(&st.ty, i, st.state)?)
            };
            steps.push((st.name, step));
        }
        let last_kind = match steps.last() {
            Some((_, FittedPipeStep::Estimator(f))) => f.kind(),
            _ => EstimatorKind::Transformer,
        };
        if last_kind != s.kind {
            return Err(Error::Format(format!(
                "Pipeline state says {:?} but its last step is a {last_kind:?}",
                s.kind
            )));
        }
        Ok(FittedPipeline { steps, kind: s.kind, target: s.target, feature_names_in: s.feature_names_in })
    }
}

/// The default score of an estimator: accuracy for classifiers, R^2 for regressors.
pub(crate) fn score_default(y: &Target, pred: &Output) -> Result<f64> {
    match (y, pred) {
        (Target::Labels(y), Output::Labels(p)) => accuracy_score(y.view(), p.view()),
        (Target::Values(y), Output::Values(p)) => r2_score(y.view(), p.view()),
        _ => Err(Error::InvalidInput("score needs a classifier with labels or a regressor with values".into())),
    }
}

/// Predictions as a polars Series: string labels as strings, integer labels and clusters as
/// `i64`, values as `f64`.
pub fn output_to_series(name: &str, out: Output) -> Result<Series> {
    Ok(match out {
        Output::Labels(l) => {
            if l.iter().all(|v| matches!(v, Label::Int(_))) {
                let v: Vec<i64> = l
                    .iter()
                    .map(|v| match v {
                        Label::Int(i) => *i,
                        Label::Str(_) => unreachable!("checked above"),
                    })
                    .collect();
                Series::new(name.into(), v)
            } else {
                let v: Vec<String> = l.iter().map(ToString::to_string).collect();
                Series::new(name.into(), v)
            }
        }
        Output::Values(v) => Series::new(name.into(), v.to_vec()),
        Output::Clusters(v) => Series::new(name.into(), v.to_vec()),
        Output::Matrix(m) => {
            return Err(Error::InvalidInput(format!(
                "a {}x{} matrix is not one column; use transform_frame",
                m.nrows(),
                m.ncols()
            )));
        }
    })
}

impl DynFitted for FittedPipeline {
    fn name(&self) -> &'static str {
        "Pipeline"
    }
    fn kind(&self) -> EstimatorKind {
        self.kind
    }
    fn n_features_in(&self) -> usize {
        match &self.steps[0].1 {
            FittedPipeStep::Frame(ct) => ct.feature_names_in().len(),
            FittedPipeStep::Estimator(f) => f.n_features_in(),
        }
    }
    fn predict_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Output> {
        let inner = self.through(0, x)?;
        let input = match &inner {
            Some(m) => m.view(),
            None => x.view(),
        };
        match self.last() {
            Some(f) => f.predict_dyn(input),
            None => Err(Error::unsupported("Pipeline", "predict")),
        }
    }
    fn transform_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let inner = self.through(0, x)?;
        let input = match &inner {
            Some(m) => m.view(),
            None => x.view(),
        };
        match self.last() {
            Some(f) => f.transform_dyn(input),
            None => Err(Error::unsupported("Pipeline", "transform")),
        }
    }
    fn predict_proba_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let inner = self.through(0, x)?;
        let input = match &inner {
            Some(m) => m.view(),
            None => x.view(),
        };
        match self.last() {
            Some(f) => f.predict_proba_dyn(input),
            None => Err(Error::unsupported("Pipeline", "predict_proba")),
        }
    }
    fn decision_function_dyn(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let inner = self.through(0, x)?;
        let input = match &inner {
            Some(m) => m.view(),
            None => x.view(),
        };
        match self.last() {
            Some(f) => f.decision_function_dyn(input),
            None => Err(Error::unsupported("Pipeline", "decision_function")),
        }
    }
    fn classes(&self) -> Option<Vec<Label>> {
        FittedPipeline::classes(self)
    }
    fn feature_names_out(&self, input: Option<&[String]>) -> Result<Vec<String>> {
        let mut names = input.map(<[String]>::to_vec);
        for (i, (_, s)) in self.steps.iter().enumerate() {
            let is_last = i + 1 == self.steps.len();
            match s {
                FittedPipeStep::Estimator(f) if is_last && f.kind() != EstimatorKind::Transformer => break,
                FittedPipeStep::Frame(ct) => names = Some(ct.feature_names_out().to_vec()),
                FittedPipeStep::Estimator(f) => names = Some(f.feature_names_out(names.as_deref())?),
            }
        }
        Ok(names.unwrap_or_default())
    }
    fn labels_dyn(&self) -> Option<Array1<i64>> {
        self.last()?.labels_dyn()
    }
    fn n_clusters_dyn(&self) -> Option<usize> {
        self.last()?.n_clusters_dyn()
    }
    fn state(&self) -> Result<serde_json::Value> {
        self.state_json()
    }
    fn clone_box(&self) -> Box<dyn DynFitted> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
