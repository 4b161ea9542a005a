//! The estimators: [`MlpClassifier`] and [`MlpRegressor`], their fitted models, warm starts and
//! `partial_fit`.

use gemm::Parallelism;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, AsArray, Axis, Ix1, Ix2, s};
use oxlearn_core::parallel::{effective_n_jobs, with_n_jobs};
use oxlearn_core::validate::{check_fit, check_lengths, check_target};
use oxlearn_core::{
    Callback, ClassLabel, Classifier, ClassifierKind, EncodedLabels, Error, Estimator, Fitted, FittedClassifier,
    FittedRegressor, ParamValue, ProbabilisticClassifier, Regressor, RegressorKind, Result, Tags,
};
use serde::{Deserialize, Serialize};

use crate::backend::cpu::dgemm;
use crate::backend::wgpu::{AdapterChoice, WgpuBackend};
use crate::backend::{Activation, Backend};
use crate::device::Device;
use crate::network::{OutputLoss, Predictor};
use crate::params::{MlpConfig, mlp_setters};
use crate::train::{self, MlpState, Mode, Y};

/// A multi-layer perceptron classifier trained by backpropagation: scikit-learn's
/// `MLPClassifier` (solvers `adam` and `sgd`).
///
/// Hidden layers use `activation`; the output is a softmax over the classes (one logistic unit
/// for two classes, as scikit-learn) trained with cross-entropy plus `alpha / 2 ||W||^2`. Compute
/// is f32 on the chosen [`Device`]. `predict` and `predict_proba` run where
/// [`FittedMlpClassifier::predict_device`] says: on the CPU in f64, or on a GPU (the configured
/// device when it is present) in f32 batches.
///
/// Hyper-parameters (scikit-learn's names and defaults): `hidden_layer_sizes` `[100]`,
/// `activation` relu, `solver` adam, `alpha` 1e-4, `batch_size` auto (`min(200, n)`),
/// `learning_rate` constant (SGD only), `learning_rate_init` 1e-3, `power_t` 0.5, `max_iter`
/// 200 (epochs), `shuffle` true, `seed` (`random_state`) none, `tol` 1e-4, `momentum` 0.9,
/// `nesterovs_momentum` true, `early_stopping` false, `validation_fraction` 0.1, `beta_1` 0.9,
/// `beta_2` 0.999, `epsilon` 1e-8, `n_iter_no_change` 10; plus `device` ([`Device::Auto`]),
/// `n_jobs` (CPU threads) and `callback` (sees every epoch, may stop the fit).
///
/// scikit-learn's `warm_start=True` is [`MlpClassifier::fit_warm`]; `partial_fit` is
/// [`MlpClassifier::partial_fit`] for the first call and
/// [`FittedMlpClassifier::partial_fit`] afterwards.
///
/// Fitted accessors: `classes()`, `coefs()`, `intercepts()`, `loss_curve()`, `loss()`,
/// `best_loss()`, `validation_scores()`, `best_validation_score()`, `n_iter()`, `t()`,
/// `converged()`, `device()`, `n_layers()`, `n_outputs()`, `out_activation()`.
///
/// Errors: [`Error::InvalidParam`] for out-of-range hyper-parameters, [`Error::Unsupported`] for
/// a device whose backend is not built, [`Error::InvalidInput`] for fewer than two classes or a
/// validation split that is too small, [`Error::Numerical`] if the weights diverge. Reaching
/// `max_iter` is not an error: `converged()` is then false.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_nn::{Device, MlpClassifier};
///
/// let x = ndarray::array![[0.0, 0.0], [0.1, 0.2], [1.0, 1.0], [0.9, 1.1], [0.0, 1.0], [0.2, 0.9]];
/// let y = ndarray::array!["a", "a", "b", "b", "c", "c"].mapv(String::from);
/// let model = MlpClassifier::default()
///     .hidden_layer_sizes([16])
///     .learning_rate_init(0.05)
///     .max_iter(300)
///     .device(Device::Cpu)
///     .seed(0)
///     .fit(&x, &y)?;
/// assert_eq!(model.device(), Device::Cpu);
/// assert_eq!(model.predict(&x)?.to_vec(), y.to_vec());
/// let proba = model.predict_proba(&x)?; // columns follow model.classes()
/// assert!((proba.row(0).sum() - 1.0).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MlpClassifier {
    config: MlpConfig,
    callback: Callback,
}

/// A multi-layer perceptron regressor trained by backpropagation: scikit-learn's
/// `MLPRegressor` (squared-error loss, solvers `adam` and `sgd`).
///
/// The output layer is linear; the loss is `mean (y - f(x))^2 / 2 + alpha / 2 ||W||^2 / n`,
/// as scikit-learn. Hyper-parameters, accessors and errors are those of [`MlpClassifier`]
/// (without `classes()`); scikit-learn's `warm_start=True` is [`MlpRegressor::fit_warm`], its
/// `partial_fit` is [`MlpRegressor::partial_fit`] / [`FittedMlpRegressor::partial_fit`].
/// Standardize the target when it is large: as in scikit-learn, the network's initial outputs
/// are near zero.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_nn::MlpRegressor;
///
/// let x = ndarray::Array2::from_shape_fn((64, 2), |(i, j)| ((i * 7 + j * 3) % 16) as f64 / 8.0 - 1.0);
/// let y = x.column(0).mapv(|v| 2.0 * v) - &x.column(1);
/// let model = MlpRegressor::default().hidden_layer_sizes([32]).learning_rate_init(0.01).max_iter(400).seed(0).fit(&x, &y)?;
/// assert!(model.score(&x, &y)? > 0.95);
/// assert!(model.loss_curve().len() <= 400);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MlpRegressor {
    config: MlpConfig,
    callback: Callback,
}

mlp_setters!(MlpClassifier);
mlp_setters!(MlpRegressor);

fn mlp_tags() -> Tags {
    Tags { non_deterministic: true, ..Tags::default() }
}

/// Runs a training call inside a pool of `n_jobs` threads on the resolved device.
fn run_training(
    estimator: &'static str,
    state: &mut MlpState,
    rng: rand_xoshiro::Xoshiro256PlusPlus,
    x: ArrayView2<'_, f64>,
    y: Y<'_>,
    mode: Mode,
    callback: &Callback,
) -> Result<()> {
    state.config.device.resolve(estimator)?;
    let n_jobs = state.config.n_jobs;
    let threads = effective_n_jobs(n_jobs);
    with_n_jobs(n_jobs, || train::train(estimator, state, rng, x, y, mode, callback, threads))?
}

fn check_architecture(estimator: &str, state: &MlpState, config: &MlpConfig, n_features: usize) -> Result<()> {
    let expected: Vec<usize> = std::iter::once(n_features).chain(config.hidden_layer_sizes.iter().copied()).collect();
    if state.units[..state.units.len() - 1] != expected[..] {
        return Err(Error::invalid_param(
            "hidden_layer_sizes",
            format!(
                "{estimator}: a warm start needs the previous architecture {:?} (input width first), got {:?}",
                &state.units[..state.units.len() - 1],
                expected
            ),
        ));
    }
    Ok(())
}

impl Estimator for MlpClassifier {
    const NAME: &'static str = "MlpClassifier";
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        mlp_tags()
    }

    fn check_params(&self) -> Result<()> {
        self.config.check()
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        self.config.set(Self::NAME, name, value)
    }
}

impl Classifier for MlpClassifier {
    type Fitted<L: ClassLabel> = FittedMlpClassifier<L>;

    fn fit_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
    ) -> Result<FittedMlpClassifier<L>> {
        self.config.device.resolve(Self::NAME)?;
        let k = y.n_classes();
        let labels = y.y.to_vec();
        let (mut state, rng) = train::new_state(&self.config, x.ncols(), Y::Classes(&labels, k), Device::Cpu);
        run_training(Self::NAME, &mut state, rng, x, Y::Classes(&labels, k), Mode::Fresh, &self.callback)?;
        Ok(FittedMlpClassifier { classes: y.classes, state, callback: self.callback.clone(), predict_device: None })
    }
}

impl MlpClassifier {
    /// scikit-learn's `fit` with `warm_start=True`: trains again from `previous`'s weights with
    /// these hyper-parameters (a fresh optimizer; the loss curve and `t` continue). `y` must hold
    /// the same classes and the hidden layers must match.
    pub fn fit_warm<'a, 'b, L: ClassLabel>(
        &self,
        previous: &FittedMlpClassifier<L>,
        x: impl AsArray<'a, f64, Ix2>,
        y: impl AsArray<'b, L, Ix1>,
    ) -> Result<FittedMlpClassifier<L>> {
        let (x, y): (ArrayView2<'a, f64>, ArrayView1<'b, L>) = (x.into(), y.into());
        self.check_params()?;
        check_fit(Self::NAME, &self.tags(), x, Some(y.len()))?;
        previous.check_x(x)?;
        let encoded = EncodedLabels::encode(y);
        if encoded.classes != previous.classes {
            return Err(Error::InvalidInput(format!(
                "{}: a warm start needs y to have the same {} classes as the previous fit, got {} classes",
                Self::NAME,
                previous.classes.len(),
                encoded.n_classes()
            )));
        }
        check_architecture(Self::NAME, &previous.state, &self.config, x.ncols())?;
        let mut state = previous.state.clone();
        state.config = self.config.clone();
        state.optimizer = None;
        let labels = encoded.y.to_vec();
        let rng = seeded(&self.config);
        run_training(
            Self::NAME,
            &mut state,
            rng,
            x,
            Y::Classes(&labels, previous.classes.len()),
            Mode::Warm,
            &self.callback,
        )?;
        Ok(FittedMlpClassifier {
            classes: previous.classes.clone(),
            state,
            callback: self.callback.clone(),
            predict_device: None,
        })
    }

    /// scikit-learn's first `partial_fit(X, y, classes)`: creates the model for `classes` (all
    /// the labels that will ever be seen) and trains one epoch on `(x, y)`. Continue with
    /// [`FittedMlpClassifier::partial_fit`].
    pub fn partial_fit<'a, 'b, L: ClassLabel>(
        &self,
        x: impl AsArray<'a, f64, Ix2>,
        y: impl AsArray<'b, L, Ix1>,
        classes: &[L],
    ) -> Result<FittedMlpClassifier<L>> {
        let (x, y): (ArrayView2<'a, f64>, ArrayView1<'b, L>) = (x.into(), y.into());
        self.check_params()?;
        check_fit(Self::NAME, &self.tags(), x, Some(y.len()))?;
        let mut classes = classes.to_vec();
        classes.sort();
        classes.dedup();
        if classes.len() < 2 {
            return Err(Error::InvalidInput(format!("{} needs at least 2 classes, got {}", Self::NAME, classes.len())));
        }
        let labels = encode_with(&classes, y)?;
        let (mut state, rng) =
            train::new_state(&self.config, x.ncols(), Y::Classes(&labels, classes.len()), Device::Cpu);
        run_training(
            Self::NAME,
            &mut state,
            rng,
            x,
            Y::Classes(&labels, classes.len()),
            Mode::Partial,
            &self.callback,
        )?;
        Ok(FittedMlpClassifier { classes, state, callback: self.callback.clone(), predict_device: None })
    }
}

fn seeded(config: &MlpConfig) -> rand_xoshiro::Xoshiro256PlusPlus {
    use rand::SeedableRng;
    match config.seed {
        Some(s) => rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(s),
        None => rand_xoshiro::Xoshiro256PlusPlus::from_entropy(),
    }
}

fn encode_with<L: ClassLabel>(classes: &[L], y: ArrayView1<'_, L>) -> Result<Vec<usize>> {
    y.iter()
        .map(|l| {
            classes
                .binary_search(l)
                .map_err(|_| Error::UnknownLabel { label: format!("{l:?}"), n_classes: classes.len() })
        })
        .collect()
}

/// A fitted [`MlpClassifier`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedMlpClassifier<L> {
    classes: Vec<L>,
    state: MlpState,
    #[serde(skip)]
    callback: Callback,
    #[serde(skip)]
    predict_device: Option<Device>,
}

/// A fitted [`MlpRegressor`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedMlpRegressor {
    state: MlpState,
    #[serde(skip)]
    callback: Callback,
    #[serde(skip)]
    predict_device: Option<Device>,
}

/// Accessors shared by the fitted MLPs.
macro_rules! fitted_accessors {
    ($ty:ty $(, $g:ident)?) => {
        impl$(<$g: ClassLabel>)? $ty {
            /// Weight matrices, `coefs()[l]` of shape `(units[l], units[l + 1])` (scikit-learn's
            /// `coefs_`).
            pub fn coefs(&self) -> &[Array2<f64>] {
                &self.state.coefs
            }
            /// Bias vectors (scikit-learn's `intercepts_`).
            pub fn intercepts(&self) -> &[Array1<f64>] {
                &self.state.intercepts
            }
            /// Training loss after each epoch, over all fits and `partial_fit` calls
            /// (scikit-learn's `loss_curve_`).
            pub fn loss_curve(&self) -> &[f64] {
                &self.state.loss_curve
            }
            /// The last epoch's loss (scikit-learn's `loss_`).
            pub fn loss(&self) -> Option<f64> {
                self.state.loss_curve.last().copied()
            }
            /// The smallest training loss (`None` under early stopping, as scikit-learn's
            /// `best_loss_`).
            pub fn best_loss(&self) -> Option<f64> {
                self.state.best_loss
            }
            /// Validation score after each epoch under early stopping (accuracy or R^2).
            pub fn validation_scores(&self) -> Option<&[f64]> {
                self.state.validation_scores.as_deref()
            }
            /// The best validation score under early stopping.
            pub fn best_validation_score(&self) -> Option<f64> {
                self.state.best_validation_score
            }
            /// Epochs run by the last fit (scikit-learn's `n_iter_`).
            pub fn n_iter(&self) -> usize {
                self.state.n_iter
            }
            /// Training samples seen over all fits (scikit-learn's `t_`).
            pub fn t(&self) -> u64 {
                self.state.t
            }
            /// Whether the last fit stopped on `tol` / `n_iter_no_change` rather than
            /// `max_iter` or a callback.
            pub fn converged(&self) -> bool {
                self.state.converged
            }
            /// The device the model was trained on.
            pub fn device(&self) -> Device {
                self.state.device
            }
            /// The device `predict` / `predict_proba` run on: the one set by
            /// [`set_predict_device`](Self::set_predict_device), else the configured `device`
            /// when it resolves here (a GPU: f32 forward passes in batches), else the CPU (f64).
            /// A model trained on a GPU and loaded where there is none thus predicts on the CPU.
            pub fn predict_device(&self) -> Device {
                predict_device(&self.state, self.predict_device).unwrap_or(Device::Cpu)
            }
            /// Chooses where `predict` / `predict_proba` run, whatever device trained the model
            /// (not saved with it): `Device::Cpu` for the f64 CPU pass, a GPU for f32 forward
            /// passes there (probabilities within about 1e-5 of the CPU's for inputs of unit
            /// scale), `Device::Auto` for the best one present. A GPU named here that is absent
            /// makes `predict` an [`Error::Unsupported`].
            pub fn set_predict_device(&mut self, device: Device) {
                self.predict_device = Some(device);
            }
            /// Number of layers, input and output included (scikit-learn's `n_layers_`).
            pub fn n_layers(&self) -> usize {
                self.state.units.len()
            }
            /// Number of output units (scikit-learn's `n_outputs_`).
            pub fn n_outputs(&self) -> usize {
                *self.state.units.last().expect("layers")
            }
            /// The output activation: "softmax", "logistic" or "identity" (`out_activation_`).
            pub fn out_activation(&self) -> &'static str {
                match self.state.output {
                    OutputLoss::SoftmaxCrossEntropy => "softmax",
                    OutputLoss::LogisticCrossEntropy => "logistic",
                    OutputLoss::SquaredError => "identity",
                }
            }
            /// The hyper-parameters of the last fit.
            pub fn config(&self) -> &MlpConfig {
                &self.state.config
            }
        }
    };
}
fitted_accessors!(FittedMlpClassifier<L>, L);
fitted_accessors!(FittedMlpRegressor);

impl<L: ClassLabel> FittedMlpClassifier<L> {
    /// scikit-learn's later `partial_fit` calls: one more epoch on `(x, y)`, continuing the
    /// optimizer's state. Labels must be among [`classes`](FittedClassifier::classes).
    pub fn partial_fit<'a, 'b>(&mut self, x: impl AsArray<'a, f64, Ix2>, y: impl AsArray<'b, L, Ix1>) -> Result<()> {
        let (x, y): (ArrayView2<'a, f64>, ArrayView1<'b, L>) = (x.into(), y.into());
        let x = self.check_x(x)?;
        check_lengths(Self::NAME, x.nrows(), "y", y.len())?;
        let labels = encode_with(&self.classes, y)?;
        let rng = seeded(&self.state.config);
        let mut state = self.state.clone();
        run_training(
            Self::NAME,
            &mut state,
            rng,
            x,
            Y::Classes(&labels, self.classes.len()),
            Mode::Partial,
            &self.callback,
        )?;
        self.state = state;
        Ok(())
    }
}

impl<L: ClassLabel> Fitted for FittedMlpClassifier<L> {
    const NAME: &'static str = "MlpClassifier";
    fn n_features_in(&self) -> usize {
        self.state.units[0]
    }
}

impl<L: ClassLabel> FittedClassifier<L> for FittedMlpClassifier<L> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let out = forward(&self.state, self.predict_device, x)?;
        Ok(if out.ncols() == 1 {
            out.column(0).mapv(|p| usize::from(p > 0.5))
        } else {
            out.rows().into_iter().map(|r| argmax(r.as_slice().expect("row-major"))).collect()
        })
    }

    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let out = forward(&self.state, self.predict_device, x)?;
        if out.ncols() == 1 {
            let p = out.column(0);
            let mut proba = Array2::zeros((out.nrows(), 2));
            proba.column_mut(0).assign(&p.mapv(|v| 1.0 - v));
            proba.column_mut(1).assign(&p);
            Ok(proba)
        } else {
            Ok(out)
        }
    }
}

impl<L: ClassLabel> ProbabilisticClassifier<L> for FittedMlpClassifier<L> {}

impl Estimator for MlpRegressor {
    const NAME: &'static str = "MlpRegressor";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        mlp_tags()
    }

    fn check_params(&self) -> Result<()> {
        self.config.check()
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        self.config.set(Self::NAME, name, value)
    }
}

impl Regressor for MlpRegressor {
    type Fitted = FittedMlpRegressor;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedMlpRegressor> {
        self.config.device.resolve(Self::NAME)?;
        let (mut state, rng) = train::new_state(&self.config, x.ncols(), Y::Values(y), Device::Cpu);
        run_training(Self::NAME, &mut state, rng, x, Y::Values(y), Mode::Fresh, &self.callback)?;
        Ok(FittedMlpRegressor { state, callback: self.callback.clone(), predict_device: None })
    }
}

impl MlpRegressor {
    /// scikit-learn's `fit` with `warm_start=True`: trains again from `previous`'s weights (a
    /// fresh optimizer; the loss curve and `t` continue). The hidden layers must match.
    pub fn fit_warm<'a, 'b>(
        &self,
        previous: &FittedMlpRegressor,
        x: impl AsArray<'a, f64, Ix2>,
        y: impl AsArray<'b, f64, Ix1>,
    ) -> Result<FittedMlpRegressor> {
        let (x, y): (ArrayView2<'a, f64>, ArrayView1<'b, f64>) = (x.into(), y.into());
        self.check_params()?;
        check_fit(Self::NAME, &self.tags(), x, Some(y.len()))?;
        check_target(y)?;
        previous.check_x(x)?;
        check_architecture(Self::NAME, &previous.state, &self.config, x.ncols())?;
        let mut state = previous.state.clone();
        state.config = self.config.clone();
        state.optimizer = None;
        run_training(Self::NAME, &mut state, seeded(&self.config), x, Y::Values(y), Mode::Warm, &self.callback)?;
        Ok(FittedMlpRegressor { state, callback: self.callback.clone(), predict_device: None })
    }

    /// scikit-learn's first `partial_fit`: creates the model and trains one epoch. Continue with
    /// [`FittedMlpRegressor::partial_fit`].
    pub fn partial_fit<'a, 'b>(
        &self,
        x: impl AsArray<'a, f64, Ix2>,
        y: impl AsArray<'b, f64, Ix1>,
    ) -> Result<FittedMlpRegressor> {
        let (x, y): (ArrayView2<'a, f64>, ArrayView1<'b, f64>) = (x.into(), y.into());
        self.check_params()?;
        check_fit(Self::NAME, &self.tags(), x, Some(y.len()))?;
        check_target(y)?;
        let (mut state, rng) = train::new_state(&self.config, x.ncols(), Y::Values(y), Device::Cpu);
        run_training(Self::NAME, &mut state, rng, x, Y::Values(y), Mode::Partial, &self.callback)?;
        Ok(FittedMlpRegressor { state, callback: self.callback.clone(), predict_device: None })
    }
}

impl FittedMlpRegressor {
    /// scikit-learn's later `partial_fit` calls: one more epoch on `(x, y)`, continuing the
    /// optimizer's state.
    pub fn partial_fit<'a, 'b>(&mut self, x: impl AsArray<'a, f64, Ix2>, y: impl AsArray<'b, f64, Ix1>) -> Result<()> {
        let (x, y): (ArrayView2<'a, f64>, ArrayView1<'b, f64>) = (x.into(), y.into());
        let x = self.check_x(x)?;
        check_lengths(Self::NAME, x.nrows(), "y", y.len())?;
        check_target(y)?;
        let rng = seeded(&self.state.config);
        let mut state = self.state.clone();
        run_training(Self::NAME, &mut state, rng, x, Y::Values(y), Mode::Partial, &self.callback)?;
        self.state = state;
        Ok(())
    }
}

impl Fitted for FittedMlpRegressor {
    const NAME: &'static str = "MlpRegressor";
    fn n_features_in(&self) -> usize {
        self.state.units[0]
    }
}

impl FittedRegressor for FittedMlpRegressor {
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        Ok(forward(&self.state, self.predict_device, x)?.column(0).to_owned())
    }
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Rows per block of the CPU prediction pass (bounds its memory).
const PREDICT_BLOCK: usize = 4096;
/// Rows per batch of a GPU prediction pass (the backend's buffer limit may lower it). Every
/// batch is computed at this height, padded (see [`Predictor::forward`]), so a row's
/// prediction never depends on how many rows came with it.
const PREDICT_GPU_ROWS: usize = 8192;

/// Where a prediction runs: the explicit choice (which must resolve), else the configured
/// device if it resolves to a GPU here, else the CPU.
fn predict_device(state: &MlpState, explicit: Option<Device>) -> Result<Device> {
    const WHO: &str = "MlpClassifier / MlpRegressor predict";
    match explicit {
        Some(device) => device.resolve(WHO),
        None => Ok(state.config.device.resolve(WHO).unwrap_or(Device::Cpu)),
    }
}

/// The network's outputs (probabilities for classifiers) in f64: on the CPU in f64, or on a GPU
/// in f32 batches (see [`predict_device`]).
fn forward(state: &MlpState, explicit: Option<Device>, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    match predict_device(state, explicit)? {
        device @ (Device::Wgpu | Device::WgpuAny) => {
            let choice = if device == Device::Wgpu { AdapterChoice::Hardware } else { AdapterChoice::Any };
            forward_on(WgpuBackend::new(choice)?, state, x)
        }
        #[cfg(feature = "cuda")]
        Device::Cuda => forward_on(crate::backend::cuda::CudaBackend::new()?, state, x),
        _ => forward_f64(state, x),
    }
}

/// The f32 forward pass on a backend: weights uploaded once, rows converted and sent batch by
/// batch, logits brought back and finished (softmax / logistic) in f64 on the host. The host
/// converts the next batch (row blocks in parallel, `n_jobs`) while the device computes the
/// current one.
fn forward_on<B: Backend>(backend: B, state: &MlpState, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    with_n_jobs(state.config.n_jobs, || forward_batches(backend, state, x))?
}

/// Converts rows `start..start + rows` of `x` to f32, row-major, into `dst` (row blocks in
/// parallel).
fn convert_rows(x: ArrayView2<'_, f64>, start: usize, rows: usize, dst: &mut [f32]) {
    use rayon::prelude::*;
    const BLOCK: usize = 256;
    let d = x.ncols();
    dst[..rows * d].par_chunks_mut(BLOCK * d.max(1)).enumerate().for_each(|(b, chunk)| {
        let r0 = start + b * BLOCK;
        for (i, row) in chunk.chunks_mut(d.max(1)).enumerate() {
            for (dst, &v) in row.iter_mut().zip(x.row(r0 + i).iter()) {
                *dst = v as f32;
            }
        }
    });
}

fn forward_batches<B: Backend>(backend: B, state: &MlpState, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    let coefs: Vec<Vec<f32>> = state.coefs.iter().map(|c| c.iter().map(|&v| v as f32).collect()).collect();
    let intercepts: Vec<Vec<f32>> = state.intercepts.iter().map(|i| i.iter().map(|&v| v as f32).collect()).collect();
    let mut net =
        Predictor::new(backend, &state.units, state.config.activation, &coefs, &intercepts, PREDICT_GPU_ROWS)?;
    let (d, n_out) = (state.units[0], *state.units.last().expect("layers"));
    let batch = net.batch();
    let mut out = Array2::zeros((x.nrows(), n_out));
    let n = x.nrows();
    // Two host batches: the next one is converted while the device still reads the current one.
    let mut xb = [vec![0.0f32; batch * d], vec![0.0f32; if n > batch { batch * d } else { 0 }]];
    let mut ob = vec![0.0f32; batch * n_out];
    if n > 0 {
        convert_rows(x, 0, batch.min(n), &mut xb[0]);
    }
    for (i, start) in (0..n).step_by(batch).enumerate() {
        let end = (start + batch).min(n);
        let rows = end - start;
        net.start(&xb[i % 2][..rows * d])?;
        if end < n {
            convert_rows(x, end, batch.min(n - end), &mut xb[(i + 1) % 2]);
        }
        net.finish(&mut ob[..rows * n_out])?;
        let mut block = out.slice_mut(s![start..end, ..]);
        for (dst, &v) in block.iter_mut().zip(&ob[..rows * n_out]) {
            *dst = f64::from(v);
        }
        finish_outputs(state.output, block);
    }
    Ok(out)
}

/// The output non-linearity, in place: softmax per row, the logistic function, or nothing.
fn finish_outputs(output: OutputLoss, mut a: ndarray::ArrayViewMut2<'_, f64>) {
    match output {
        OutputLoss::SoftmaxCrossEntropy => {
            for mut row in a.axis_iter_mut(Axis(0)) {
                let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                row.mapv_inplace(|v| (v - max).exp());
                let sum = row.sum();
                row /= sum;
            }
        }
        OutputLoss::LogisticCrossEntropy => a.mapv_inplace(|v| 1.0 / (1.0 + (-v).exp())),
        OutputLoss::SquaredError => {}
    }
}

/// The network's outputs (probabilities for classifiers) in f64 on the CPU, block by block:
/// blocks of [`PREDICT_BLOCK`] rows run in parallel, each block's GEMMs on one thread (a single
/// block parallelises inside its GEMMs instead). The gemm crate splits work over output rows and
/// columns, never over the inner dimension, so every row's result is the same whichever way it is
/// computed.
fn forward_f64(state: &MlpState, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    use rayon::prelude::*;
    let n_jobs = state.config.n_jobs;
    let threads = effective_n_jobs(n_jobs);
    with_n_jobs(n_jobs, || {
        let n_out = *state.units.last().expect("layers");
        let mut out = Array2::zeros((x.nrows(), n_out));
        let coefs: Vec<_> = state.coefs.iter().map(|c| c.as_standard_layout()).collect();
        let single_block = x.nrows() <= PREDICT_BLOCK;
        let block = |(b, o): (usize, &mut [f64])| {
            let start = b * PREDICT_BLOCK;
            let rows = o.len() / n_out;
            let mut a = x.slice(s![start..start + rows, ..]).as_standard_layout().into_owned();
            for (l, coef) in coefs.iter().enumerate() {
                let (inp, width) = (state.units[l], state.units[l + 1]);
                let mut z = Array2::<f64>::zeros((rows, width));
                let par = if single_block && threads > 1 && rows * inp * width >= 1 << 18 {
                    Parallelism::Rayon(threads)
                } else {
                    Parallelism::None
                };
                dgemm(
                    rows,
                    width,
                    inp,
                    a.as_slice().expect("standard layout"),
                    coef.as_slice().expect("standard layout"),
                    z.as_slice_mut().expect("standard layout"),
                    par,
                );
                z += &state.intercepts[l];
                if l + 1 < coefs.len() {
                    let act = state.config.activation;
                    z.mapv_inplace(|v| activate_f64(act, v));
                }
                a = z;
            }
            finish_outputs(state.output, a.view_mut());
            o.copy_from_slice(a.as_slice().expect("standard layout"));
        };
        let flat = out.as_slice_mut().expect("fresh standard layout");
        if n_out > 0 {
            flat.par_chunks_mut(PREDICT_BLOCK * n_out).enumerate().for_each(block);
        }
        out
    })
}

fn activate_f64(act: Activation, v: f64) -> f64 {
    match act {
        Activation::Identity => v,
        Activation::Logistic => 1.0 / (1.0 + (-v).exp()),
        Activation::Tanh => v.tanh(),
        Activation::Relu => v.max(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cpu::CpuBackend;
    use rand::{Rng, SeedableRng};

    /// The batched f32 pass (two host buffers alternating, the next batch converted while the
    /// current one runs) gives every row the f64 pass's outputs, across batch boundaries and a
    /// short last batch, whatever the thread count.
    #[test]
    fn batched_forward_matches_f64_pass() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let n = 2 * PREDICT_GPU_ROWS + 77;
        let x = Array2::from_shape_fn((n, 5), |_| rng.gen_range(-1.0..1.0));
        let y: Array1<i64> = (0..200).map(|i| i % 3).collect();
        let model = MlpClassifier::default()
            .hidden_layer_sizes(vec![7])
            .max_iter(3)
            .seed(0)
            .device(Device::Cpu)
            .fit(x.slice(s![..200, ..]), &y)
            .unwrap();
        let want = forward_f64(&model.state, x.view()).unwrap();
        for n_jobs in [1, 2] {
            let mut state = model.state.clone();
            state.config.n_jobs = Some(n_jobs);
            let got = forward_on(CpuBackend::new(1), &state, x.view()).unwrap();
            assert_eq!(got.dim(), want.dim());
            let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(worst < 1e-5, "largest difference {worst} with n_jobs {n_jobs}");
        }
    }
}
