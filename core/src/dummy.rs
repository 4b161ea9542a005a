//! Baseline estimators that ignore the features: [`DummyClassifier`] and [`DummyRegressor`],
//! with scikit-learn's strategies and semantics.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::dynamic::{ClassifierKind, RegressorKind};
use crate::error::{Error, Result};
use crate::estimator::{
    ClassLabel, Classifier, Estimator, Fitted, FittedClassifier, FittedRegressor, ProbabilisticClassifier, Regressor,
    Tags,
};
use crate::labels::EncodedLabels;
use crate::params::ParamValue;

/// How [`DummyClassifier`] predicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum DummyClassifierStrategy {
    /// Always the most frequent class; `predict_proba` is one-hot on it.
    MostFrequent,
    /// Always the most frequent class; `predict_proba` is the class prior (scikit-learn's default).
    #[default]
    Prior,
    /// Random classes drawn from the prior; `predict_proba` is one-hot on the draw.
    Stratified,
    /// Uniformly random classes; `predict_proba` is uniform.
    Uniform,
    /// Always the class at this index of the sorted classes (set with [`DummyClassifier::constant`]).
    Constant(usize),
}

/// A classifier that ignores `X`: scikit-learn's `DummyClassifier`.
///
/// Hyper-parameters: `strategy` (default [`DummyClassifierStrategy::Prior`]), `seed`
/// (for `Stratified` and `Uniform`, default `None`).
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_core::dummy::DummyClassifier;
/// let x = ndarray::Array2::<f64>::zeros((4, 2));
/// let y = ndarray::array!["a", "b", "b", "b"].mapv(String::from);
/// let model = DummyClassifier::default().fit(&x, &y)?;
/// assert_eq!(model.predict(&x)?.to_vec(), vec!["b"; 4]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DummyClassifier {
    strategy: DummyClassifierStrategy,
    seed: Option<u64>,
}

impl DummyClassifier {
    /// Sets the strategy.
    pub fn strategy(mut self, strategy: DummyClassifierStrategy) -> Self {
        self.strategy = strategy;
        self
    }
    /// Always predicts the class at index `class_index` of the sorted classes.
    pub fn constant(mut self, class_index: usize) -> Self {
        self.strategy = DummyClassifierStrategy::Constant(class_index);
        self
    }
    /// Sets the seed of the random strategies.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

/// A fitted [`DummyClassifier`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedDummyClassifier<L> {
    classes: Vec<L>,
    class_prior: Array1<f64>,
    strategy: DummyClassifierStrategy,
    seed: Option<u64>,
    n_features_in: usize,
}

impl<L> FittedDummyClassifier<L> {
    /// Frequency of each class in the training data.
    pub fn class_prior(&self) -> ArrayView1<'_, f64> {
        self.class_prior.view()
    }

    fn most_frequent(&self) -> usize {
        // First maximum, as numpy's argmax.
        let mut best = 0;
        for (i, &p) in self.class_prior.iter().enumerate() {
            if p > self.class_prior[best] {
                best = i;
            }
        }
        best
    }

    fn rng(&self) -> Xoshiro256PlusPlus {
        match self.seed {
            Some(s) => Xoshiro256PlusPlus::seed_from_u64(s),
            None => Xoshiro256PlusPlus::from_entropy(),
        }
    }

    fn draw_stratified(&self, n: usize) -> Array1<usize> {
        let mut rng = self.rng();
        let cumulative: Vec<f64> = self
            .class_prior
            .iter()
            .scan(0.0, |acc, p| {
                *acc += p;
                Some(*acc)
            })
            .collect();
        Array1::from_shape_fn(n, |_| {
            let u: f64 = rng.r#gen::<f64>() * cumulative[cumulative.len() - 1];
            cumulative.iter().position(|&c| u < c).unwrap_or(cumulative.len() - 1)
        })
    }
}

impl Estimator for DummyClassifier {
    const NAME: &'static str = "DummyClassifier";
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        Tags {
            allow_nan: true,
            poor_score: true,
            min_classes: 1,
            non_deterministic: matches!(
                self.strategy,
                DummyClassifierStrategy::Stratified | DummyClassifierStrategy::Uniform
            ),
            // Random strategies draw per call, so row-by-row differs from a batch.
            batch_invariant: !matches!(
                self.strategy,
                DummyClassifierStrategy::Stratified | DummyClassifierStrategy::Uniform
            ),
            ..Tags::default()
        }
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "strategy" => {
                self.strategy = match value.as_str(name)? {
                    "most_frequent" => DummyClassifierStrategy::MostFrequent,
                    "prior" => DummyClassifierStrategy::Prior,
                    "stratified" => DummyClassifierStrategy::Stratified,
                    "uniform" => DummyClassifierStrategy::Uniform,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown strategy {other:?}")));
                    }
                }
            }
            "random_state" | "seed" => self.seed = value.as_opt_usize(name)?.map(|s| s as u64),
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

impl Classifier for DummyClassifier {
    type Fitted<L: ClassLabel> = FittedDummyClassifier<L>;

    fn fit_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
    ) -> Result<FittedDummyClassifier<L>> {
        if let DummyClassifierStrategy::Constant(c) = self.strategy
            && c >= y.n_classes()
        {
            return Err(Error::invalid_param(
                "constant",
                format!("class index {c} is out of range: y has {} classes", y.n_classes()),
            ));
        }
        let n = y.y.len() as f64;
        let class_prior = Array1::from_iter(y.counts().into_iter().map(|c| c as f64 / n));
        Ok(FittedDummyClassifier {
            classes: y.classes,
            class_prior,
            strategy: self.strategy.clone(),
            seed: self.seed,
            n_features_in: x.ncols(),
        })
    }
}

impl<L: ClassLabel> Fitted for FittedDummyClassifier<L> {
    const NAME: &'static str = "DummyClassifier";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl<L: ClassLabel> FittedClassifier<L> for FittedDummyClassifier<L> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let n = x.nrows();
        let k = self.classes.len();
        Ok(match self.strategy {
            DummyClassifierStrategy::MostFrequent | DummyClassifierStrategy::Prior => {
                Array1::from_elem(n, self.most_frequent())
            }
            DummyClassifierStrategy::Constant(c) => Array1::from_elem(n, c),
            DummyClassifierStrategy::Stratified => self.draw_stratified(n),
            DummyClassifierStrategy::Uniform => {
                let mut rng = self.rng();
                Array1::from_shape_fn(n, |_| rng.gen_range(0..k))
            }
        })
    }

    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let n = x.nrows();
        let k = self.classes.len();
        let one_hot = |idx: &Array1<usize>| {
            let mut p = Array2::zeros((n, k));
            for (i, &c) in idx.iter().enumerate() {
                p[[i, c]] = 1.0;
            }
            p
        };
        Ok(match self.strategy {
            DummyClassifierStrategy::Prior => {
                self.class_prior.view().insert_axis(Axis(0)).broadcast((n, k)).expect("prior broadcasts").to_owned()
            }
            DummyClassifierStrategy::Uniform => Array2::from_elem((n, k), 1.0 / k as f64),
            DummyClassifierStrategy::MostFrequent
            | DummyClassifierStrategy::Constant(_)
            | DummyClassifierStrategy::Stratified => one_hot(&self.predict_indices(x)?),
        })
    }
}

impl<L: ClassLabel> ProbabilisticClassifier<L> for FittedDummyClassifier<L> {}

/// How [`DummyRegressor`] predicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum DummyRegressorStrategy {
    /// The training mean (scikit-learn's default).
    #[default]
    Mean,
    /// The training median.
    Median,
    /// A quantile of the training targets, in `[0, 1]` (linear interpolation, as numpy).
    Quantile(f64),
    /// A constant given by the user.
    Constant(f64),
}

/// A regressor that ignores `X`: scikit-learn's `DummyRegressor`.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_core::dummy::{DummyRegressor, DummyRegressorStrategy};
/// let x = ndarray::Array2::<f64>::zeros((3, 1));
/// let y = ndarray::array![1.0, 2.0, 10.0];
/// let model = DummyRegressor::default().strategy(DummyRegressorStrategy::Median).fit(&x, &y)?;
/// assert_eq!(model.predict(&x)?.to_vec(), vec![2.0; 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DummyRegressor {
    strategy: DummyRegressorStrategy,
}

impl DummyRegressor {
    /// Sets the strategy.
    pub fn strategy(mut self, strategy: DummyRegressorStrategy) -> Self {
        self.strategy = strategy;
        self
    }
}

/// A fitted [`DummyRegressor`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedDummyRegressor {
    constant: f64,
    n_features_in: usize,
}

impl FittedDummyRegressor {
    /// The value every prediction takes.
    pub fn constant(&self) -> f64 {
        self.constant
    }
}

/// The `q`-quantile of `values` with linear interpolation (numpy's default method).
pub fn quantile(values: ArrayView1<'_, f64>, q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

impl Estimator for DummyRegressor {
    const NAME: &'static str = "DummyRegressor";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        Tags { allow_nan: true, poor_score: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        match self.strategy {
            DummyRegressorStrategy::Quantile(q) => crate::validate::check_range("quantile", q, 0.0, 1.0),
            DummyRegressorStrategy::Constant(c) if !c.is_finite() => {
                Err(Error::invalid_param("constant", format!("must be finite, got {c}")))
            }
            _ => Ok(()),
        }
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "strategy" => {
                self.strategy = match value.as_str(name)? {
                    "mean" => DummyRegressorStrategy::Mean,
                    "median" => DummyRegressorStrategy::Median,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown strategy {other:?}")));
                    }
                }
            }
            "quantile" => self.strategy = DummyRegressorStrategy::Quantile(value.as_f64(name)?),
            "constant" => self.strategy = DummyRegressorStrategy::Constant(value.as_f64(name)?),
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

impl Regressor for DummyRegressor {
    type Fitted = FittedDummyRegressor;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedDummyRegressor> {
        let constant = match self.strategy {
            DummyRegressorStrategy::Mean => y.mean().unwrap_or(0.0),
            DummyRegressorStrategy::Median => quantile(y, 0.5),
            DummyRegressorStrategy::Quantile(q) => quantile(y, q),
            DummyRegressorStrategy::Constant(c) => c,
        };
        Ok(FittedDummyRegressor { constant, n_features_in: x.ncols() })
    }
}

impl Fitted for FittedDummyRegressor {
    const NAME: &'static str = "DummyRegressor";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedRegressor for FittedDummyRegressor {
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        Ok(Array1::from_elem(x.nrows(), self.constant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn sklearn_semantics() {
        let x = Array2::<f64>::zeros((5, 2));
        let y = array![2, 1, 2, 3, 2];
        let prior = DummyClassifier::default().fit(&x, &y).unwrap();
        assert_eq!(prior.classes(), &[1, 2, 3]);
        assert_eq!(prior.predict(&x).unwrap(), array![2, 2, 2, 2, 2]);
        assert_eq!(prior.predict_proba(&x).unwrap().row(0).to_vec(), vec![0.2, 0.6, 0.2]);
        let mf = DummyClassifier::default().strategy(DummyClassifierStrategy::MostFrequent).fit(&x, &y).unwrap();
        assert_eq!(mf.predict_proba(&x).unwrap().row(0).to_vec(), vec![0.0, 1.0, 0.0]);
        let c = DummyClassifier::default().constant(2).fit(&x, &y).unwrap();
        assert_eq!(c.predict(&x).unwrap()[0], 3);
        assert!(matches!(DummyClassifier::default().constant(5).fit(&x, &y), Err(Error::InvalidParam { .. })));
        let u = DummyClassifier::default().strategy(DummyClassifierStrategy::Uniform).seed(0).fit(&x, &y).unwrap();
        assert_eq!(u.predict_proba(&x).unwrap()[[0, 0]], 1.0 / 3.0);

        let yr = array![1.0, 2.0, 3.0, 4.0, 10.0];
        let mean = DummyRegressor::default().fit(&x, &yr).unwrap();
        assert_eq!(mean.constant(), 4.0);
        let q = DummyRegressor::default().strategy(DummyRegressorStrategy::Quantile(0.25)).fit(&x, &yr).unwrap();
        assert_eq!(q.constant(), 2.0);
        assert!(DummyRegressor::default().strategy(DummyRegressorStrategy::Quantile(1.5)).fit(&x, &yr).is_err());
    }
}
