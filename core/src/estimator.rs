//! The estimator contract: hyper-parameter structs, typestate fitting and the four kinds of
//! estimator (classifier, regressor, transformer, clusterer).
//!
//! An estimator is a plain params struct (`Clone + Debug + Default`, builder setters that never
//! fail). `fit(&self, ..)` validates its input with the shared [`validate`]
//! functions and returns a *new* fitted type, so predicting with an unfitted model does not
//! compile:
//!
//! ```compile_fail
//! use oxlearn_core::prelude::*;
//! use oxlearn_core::dummy::DummyRegressor;
//! let model = DummyRegressor::default();
//! let x = ndarray::array![[1.0], [2.0]];
//! model.predict(&x); // error: `predict` exists only on the fitted type
//! ```
//!
//! Implementors write the `*_checked` methods, which receive input that already passed the
//! validator; users call the provided `fit` / `predict` / `transform` / `score`, which validate
//! first. No algorithm hand-rolls its own shape or finiteness checks.

use std::fmt::Debug;
use std::hash::Hash;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, AsArray, Ix1, Ix2};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::dynamic::KindDispatch;
use crate::error::{Error, Result};
use crate::labels::EncodedLabels;
use crate::params::ParamValue;
use crate::validate;

/// A type usable as a class label: integers, strings, booleans, or [`Label`](crate::Label).
///
/// Classifiers never assume labels are `0..k`: they keep the sorted distinct labels seen in
/// `fit` (`classes()`) and map predictions back to them.
pub trait ClassLabel: Clone + Eq + Ord + Hash + Debug + Send + Sync + 'static + Serialize + DeserializeOwned {}

impl<T> ClassLabel for T where T: Clone + Eq + Ord + Hash + Debug + Send + Sync + 'static + Serialize + DeserializeOwned {}

/// Properties of an estimator that drive validation and the conformance checks
/// (scikit-learn's estimator tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tags {
    /// NaN in `X` is accepted (imputers, scalers that ignore NaN, trees with missing-value
    /// support). Infinity is never accepted.
    pub allow_nan: bool,
    /// The fitted result depends on a random seed (so determinism is checked with a fixed seed).
    pub non_deterministic: bool,
    /// The estimator is not expected to fit the easy reference problems well (dummies).
    pub poor_score: bool,
    /// The least number of samples `fit` accepts.
    pub min_samples: usize,
    /// The least number of distinct classes a classifier accepts.
    pub min_classes: usize,
    /// Predicting one row at a time gives the same result as a whole batch (false for
    /// estimators whose predictions depend on the batch, which should be rare).
    pub batch_invariant: bool,
    /// `fit_weighted` (scikit-learn's `fit(X, y, sample_weight=w)`) is implemented; without it
    /// `fit_weighted` returns [`Error::Unsupported`].
    pub sample_weight: bool,
    /// `fit_checked` checks that `X` is finite itself, fused into its own first pass over `X`
    /// (a copy, a norm), and returns the error [`validate::check_finite`] gives; the validator
    /// then checks only the shape of `X` at fit, so the data is read once instead of twice. The
    /// fit-side twin of overriding [`Fitted::check_x`] on the predict side.
    pub finite_checked_in_fit: bool,
}

impl Default for Tags {
    fn default() -> Self {
        Tags {
            allow_nan: false,
            non_deterministic: false,
            poor_score: false,
            min_samples: 1,
            min_classes: 2,
            batch_invariant: true,
            sample_weight: false,
            finite_checked_in_fit: false,
        }
    }
}

/// What every estimator (unfitted params struct) provides.
///
/// The associated `Kind` routes the estimator into the object-safe
/// [`DynEstimator`](crate::DynEstimator) layer: it is [`ClassifierKind`](crate::ClassifierKind),
/// [`RegressorKind`](crate::RegressorKind), [`TransformerKind`](crate::TransformerKind) or
/// [`ClustererKind`](crate::ClustererKind), matching the kind trait the estimator implements.
pub trait Estimator: Clone + Debug + Default + Send + Sync + 'static {
    /// The scikit-learn-style class name ("Ridge"), used in error messages.
    const NAME: &'static str;
    /// Which kind trait this estimator implements.
    type Kind: KindDispatch<Self>;

    /// Tags for validation and the conformance checks.
    fn tags(&self) -> Tags {
        Tags::default()
    }

    /// Rejects absurd hyper-parameters with [`Error::InvalidParam`]; called by `fit` before
    /// anything else. Setters never fail, so this is where ranges are enforced.
    fn check_params(&self) -> Result<()> {
        Ok(())
    }

    /// Sets a hyper-parameter by its scikit-learn name (for searches over boxed pipelines).
    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        let _ = value;
        Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)))
    }
}

/// What every fitted model provides.
pub trait Fitted: Debug + Clone + Send + Sync + 'static + Serialize + DeserializeOwned {
    /// The estimator's name ("Ridge").
    const NAME: &'static str;

    /// Number of features seen in `fit`.
    fn n_features_in(&self) -> usize;

    /// Whether `predict` / `transform` accept NaN in `X`.
    fn allow_nan(&self) -> bool {
        false
    }

    /// Validates a matrix for prediction: not empty, finite (unless NaN is allowed), and as wide
    /// as the training data.
    fn check_x<'a>(&self, x: ArrayView2<'a, f64>) -> Result<ArrayView2<'a, f64>> {
        validate::check_predict(Self::NAME, self.n_features_in(), self.allow_nan(), x)?;
        Ok(x)
    }
}

/// A supervised estimator whose targets are class labels.
pub trait Classifier: Estimator {
    /// The fitted model, generic over the label type.
    type Fitted<L: ClassLabel>: FittedClassifier<L>;

    /// Fits on validated input; `y` is already encoded as indices into its sorted classes.
    fn fit_checked<L: ClassLabel>(&self, x: ArrayView2<'_, f64>, y: EncodedLabels<L>) -> Result<Self::Fitted<L>>;

    /// Validates `x` and `y`, encodes the labels and fits.
    fn fit<'a, 'b, L: ClassLabel>(
        &self,
        x: impl AsArray<'a, f64, Ix2>,
        y: impl AsArray<'b, L, Ix1>,
    ) -> Result<Self::Fitted<L>> {
        let (x, y) = (x.into(), y.into());
        let _span = tracing::debug_span!("fit", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        let tags = self.tags();
        validate::check_fit(Self::NAME, &tags, x, Some(y.len()))?;
        let encoded = EncodedLabels::encode(y);
        if encoded.n_classes() < tags.min_classes {
            return Err(Error::InvalidInput(format!(
                "{} needs samples of at least {} classes, but y has {} class(es)",
                Self::NAME,
                tags.min_classes,
                encoded.n_classes()
            )));
        }
        self.fit_checked(x, encoded)
    }

    /// Fits on validated input and validated sample weights (finite, non-negative, not all zero,
    /// one per row). The default returns [`Error::Unsupported`]; estimators that override it
    /// also set [`Tags::sample_weight`].
    fn fit_weighted_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Self::Fitted<L>> {
        let _ = (x, y, sample_weight);
        Err(Error::unsupported(Self::NAME, "sample_weight"))
    }

    /// Fits with one weight per sample, scikit-learn's `fit(X, y, sample_weight=w)`: a sample of
    /// weight 2 counts as two copies of it, weight 0 as none. Validates `x`, `y` and the weights
    /// (same length, finite, non-negative, not all zero) as [`fit`](Self::fit) does; `fit` is
    /// the unweighted fit, unchanged.
    fn fit_weighted<'a, 'b, 'c, L: ClassLabel>(
        &self,
        x: impl AsArray<'a, f64, Ix2>,
        y: impl AsArray<'b, L, Ix1>,
        sample_weight: impl AsArray<'c, f64, Ix1>,
    ) -> Result<Self::Fitted<L>> {
        let (x, y, w) = (x.into(), y.into(), sample_weight.into());
        let _span =
            tracing::debug_span!("fit_weighted", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        let tags = self.tags();
        validate::check_fit(Self::NAME, &tags, x, Some(y.len()))?;
        validate::check_sample_weight(Self::NAME, x.nrows(), w)?;
        let encoded = EncodedLabels::encode(y);
        if encoded.n_classes() < tags.min_classes {
            return Err(Error::InvalidInput(format!(
                "{} needs samples of at least {} classes, but y has {} class(es)",
                Self::NAME,
                tags.min_classes,
                encoded.n_classes()
            )));
        }
        self.fit_weighted_checked(x, encoded, w)
    }
}

/// A fitted classifier.
pub trait FittedClassifier<L: ClassLabel>: Fitted {
    /// The sorted distinct labels seen in `fit`; columns of `predict_proba` follow this order.
    fn classes(&self) -> &[L];

    /// Predicted class indices (into [`classes`](Self::classes)) for validated input.
    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>>;

    /// Class probabilities for validated input; `Unsupported` unless the model has them.
    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let _ = x;
        Err(Error::unsupported(Self::NAME, "predict_proba"))
    }

    /// Decision scores for validated input (one column for two classes, as scikit-learn).
    fn decision_function_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let _ = x;
        Err(Error::unsupported(Self::NAME, "decision_function"))
    }

    /// Predicted labels.
    fn predict<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array1<L>> {
        let x = self.check_x(x.into())?;
        let classes = self.classes();
        Ok(self.predict_indices(x)?.mapv(|i| classes[i].clone()))
    }

    /// Class probabilities, one column per entry of [`classes`](Self::classes); rows sum to 1.
    fn predict_proba<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
        let x = self.check_x(x.into())?;
        self.predict_proba_checked(x)
    }

    /// Confidence scores (shape `(n, 1)` for two classes, `(n, k)` otherwise).
    fn decision_function<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
        let x = self.check_x(x.into())?;
        self.decision_function_checked(x)
    }

    /// Mean accuracy on `(x, y)`.
    fn score<'a, 'b>(&self, x: impl AsArray<'a, f64, Ix2>, y: impl AsArray<'b, L, Ix1>) -> Result<f64> {
        let (x, y): (ArrayView2<'a, f64>, ArrayView1<'b, L>) = (x.into(), y.into());
        validate::check_lengths(Self::NAME, x.nrows(), "y", y.len())?;
        let pred = self.predict(x)?;
        crate::metrics::accuracy_score(y, pred.view())
    }
}

/// A classifier whose fitted model always has `predict_proba` (a compile-time promise on top of
/// [`FittedClassifier`]).
pub trait ProbabilisticClassifier<L: ClassLabel>: FittedClassifier<L> {}

/// A supervised estimator with real-valued targets.
pub trait Regressor: Estimator {
    /// The fitted model.
    type Fitted: FittedRegressor;

    /// Fits on validated input.
    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<Self::Fitted>;

    /// Validates `x` and `y` (finite, same length) and fits.
    fn fit<'a, 'b>(&self, x: impl AsArray<'a, f64, Ix2>, y: impl AsArray<'b, f64, Ix1>) -> Result<Self::Fitted> {
        let (x, y) = (x.into(), y.into());
        let _span = tracing::debug_span!("fit", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        validate::check_fit(Self::NAME, &self.tags(), x, Some(y.len()))?;
        validate::check_target(y)?;
        self.fit_checked(x, y)
    }

    /// Fits on validated input and validated sample weights (finite, non-negative, not all zero,
    /// one per row). The default returns [`Error::Unsupported`]; estimators that override it
    /// also set [`Tags::sample_weight`].
    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Self::Fitted> {
        let _ = (x, y, sample_weight);
        Err(Error::unsupported(Self::NAME, "sample_weight"))
    }

    /// Fits with one weight per sample, scikit-learn's `fit(X, y, sample_weight=w)`: a sample of
    /// weight 2 counts as two copies of it, weight 0 as none. Validates `x`, `y` and the weights
    /// (same length, finite, non-negative, not all zero) as [`fit`](Self::fit) does; `fit` is
    /// the unweighted fit, unchanged.
    fn fit_weighted<'a, 'b, 'c>(
        &self,
        x: impl AsArray<'a, f64, Ix2>,
        y: impl AsArray<'b, f64, Ix1>,
        sample_weight: impl AsArray<'c, f64, Ix1>,
    ) -> Result<Self::Fitted> {
        let (x, y, w) = (x.into(), y.into(), sample_weight.into());
        let _span =
            tracing::debug_span!("fit_weighted", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        validate::check_fit(Self::NAME, &self.tags(), x, Some(y.len()))?;
        validate::check_target(y)?;
        validate::check_sample_weight(Self::NAME, x.nrows(), w)?;
        self.fit_weighted_checked(x, y, w)
    }
}

/// A fitted regressor.
pub trait FittedRegressor: Fitted {
    /// Predictions for validated input.
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>>;

    /// Predictions.
    fn predict<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array1<f64>> {
        let x = self.check_x(x.into())?;
        self.predict_checked(x)
    }

    /// Coefficient of determination R^2 on `(x, y)`.
    fn score<'a, 'b>(&self, x: impl AsArray<'a, f64, Ix2>, y: impl AsArray<'b, f64, Ix1>) -> Result<f64> {
        let (x, y): (ArrayView2<'a, f64>, ArrayView1<'b, f64>) = (x.into(), y.into());
        validate::check_lengths(Self::NAME, x.nrows(), "y", y.len())?;
        let pred = self.predict(x)?;
        crate::metrics::r2_score(y, pred.view())
    }
}

/// An unsupervised estimator that maps `X` to a new matrix (scalers, encoders, PCA).
pub trait Transformer: Estimator {
    /// The fitted transformer.
    type Fitted: FittedTransformer;

    /// Fits on validated input.
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<Self::Fitted>;

    /// Validates `x` and fits.
    fn fit<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Self::Fitted> {
        let x = x.into();
        let _span = tracing::debug_span!("fit", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        validate::check_fit(Self::NAME, &self.tags(), x, None)?;
        self.fit_checked(x)
    }

    /// Fits, then transforms the same data. Equal to `fit(x)?.transform(x)`.
    fn fit_transform<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<(Self::Fitted, Array2<f64>)> {
        let x = x.into();
        let fitted = self.fit(x)?;
        let out = fitted.transform_checked(x)?;
        Ok((fitted, out))
    }
}

/// A fitted transformer.
pub trait FittedTransformer: Fitted {
    /// Transforms validated input.
    fn transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;

    /// Maps transformed data back; `Unsupported` where there is no inverse.
    fn inverse_transform_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let _ = x;
        Err(Error::unsupported(Self::NAME, "inverse_transform"))
    }

    /// Number of output columns.
    fn n_features_out(&self) -> usize;

    /// Output feature names, given the input names (`x0, x1, ..` when there are none).
    fn feature_names_out(&self, input: Option<&[String]>) -> Vec<String> {
        match input {
            Some(names) if names.len() == self.n_features_out() => names.to_vec(),
            _ => (0..self.n_features_out()).map(|i| format!("x{i}")).collect(),
        }
    }

    /// Transforms `x`.
    fn transform<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
        let x = self.check_x(x.into())?;
        self.transform_checked(x)
    }

    /// Maps transformed data back to the input space.
    fn inverse_transform<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array2<f64>> {
        let x: ArrayView2<'a, f64> = x.into();
        validate::check_predict(Self::NAME, self.n_features_out(), self.allow_nan(), x)?;
        self.inverse_transform_checked(x)
    }

    /// Transforms owned data in place, scikit-learn's `copy=False`: on success `x` holds what
    /// [`transform`](Self::transform) returns (bit for bit). On error `x` is left untouched
    /// (input is validated before anything is written).
    ///
    /// The default transforms and replaces `x` with the result (whose width may differ from the
    /// input's); transformers with an element-wise kernel (the scalers) override it to write
    /// into `x`'s own buffer without allocating an output.
    fn transform_inplace(&self, x: &mut Array2<f64>) -> Result<()> {
        let out = self.transform(x.view())?;
        *x = out;
        Ok(())
    }
}

/// An unsupervised estimator that groups samples into clusters.
pub trait Clusterer: Estimator {
    /// The fitted model.
    type Fitted: FittedClusterer;

    /// Fits on validated input.
    fn fit_checked(&self, x: ArrayView2<'_, f64>) -> Result<Self::Fitted>;

    /// Validates `x` and fits.
    fn fit<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Self::Fitted> {
        let x = x.into();
        let _span = tracing::debug_span!("fit", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        validate::check_fit(Self::NAME, &self.tags(), x, None)?;
        self.fit_checked(x)
    }

    /// Fits on validated input and validated sample weights (finite, non-negative, not all zero,
    /// one per row). The default returns [`Error::Unsupported`]; estimators that override it
    /// also set [`Tags::sample_weight`].
    fn fit_weighted_checked(&self, x: ArrayView2<'_, f64>, sample_weight: ArrayView1<'_, f64>) -> Result<Self::Fitted> {
        let _ = (x, sample_weight);
        Err(Error::unsupported(Self::NAME, "sample_weight"))
    }

    /// Fits with one weight per sample, scikit-learn's `fit(X, sample_weight=w)`: a sample of
    /// weight 2 counts as two copies of it, weight 0 as none. Validates `x` and the weights as
    /// [`fit`](Self::fit) validates `x`; `fit` is the unweighted fit, unchanged.
    fn fit_weighted<'a, 'c>(
        &self,
        x: impl AsArray<'a, f64, Ix2>,
        sample_weight: impl AsArray<'c, f64, Ix1>,
    ) -> Result<Self::Fitted> {
        let (x, w) = (x.into(), sample_weight.into());
        let _span =
            tracing::debug_span!("fit_weighted", estimator = Self::NAME, rows = x.nrows(), cols = x.ncols()).entered();
        self.check_params()?;
        validate::check_fit(Self::NAME, &self.tags(), x, None)?;
        validate::check_sample_weight(Self::NAME, x.nrows(), w)?;
        self.fit_weighted_checked(x, w)
    }
}

/// A fitted clusterer.
pub trait FittedClusterer: Fitted {
    /// Cluster label of each training sample, in `0..n_clusters`, or -1 for noise (DBSCAN).
    fn labels(&self) -> ArrayView1<'_, i64>;

    /// Number of clusters found (noise excluded).
    fn n_clusters(&self) -> usize;

    /// Cluster of each new sample, for validated input; `Unsupported` for clusterers without
    /// an inductive rule (DBSCAN, as in scikit-learn).
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<i64>> {
        let _ = x;
        Err(Error::unsupported(Self::NAME, "predict"))
    }

    /// Cluster of each new sample.
    fn predict<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array1<i64>> {
        let x = self.check_x(x.into())?;
        self.predict_checked(x)
    }
}
