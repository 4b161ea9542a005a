//! The hyper-parameters shared by [`MlpClassifier`](crate::MlpClassifier) and
//! [`MlpRegressor`](crate::MlpRegressor), with scikit-learn's names and defaults.

use oxlearn_core::validate::{check_positive, check_range};
use oxlearn_core::{Error, ParamValue, Result};
use serde::{Deserialize, Serialize};

use crate::backend::Activation;
use crate::device::Device;

/// The optimizer (scikit-learn's `solver`; `lbfgs` is not provided).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Solver {
    /// Adam (the default).
    #[default]
    Adam,
    /// Stochastic gradient descent with momentum (Nesterov's by default).
    Sgd,
}

/// The learning-rate schedule of the SGD solver (Adam ignores it, as in scikit-learn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LearningRate {
    /// `learning_rate_init` throughout (the default).
    #[default]
    Constant,
    /// `learning_rate_init / (t + 1)^power_t` after each epoch, `t` = samples seen so far.
    InvScaling,
    /// Divided by 5 whenever `n_iter_no_change` epochs fail to improve by `tol`; stops when it
    /// falls below 1e-6.
    Adaptive,
}

/// The hyper-parameters of an MLP, stored by the fitted model (everything but the callback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Width of each hidden layer (default `[100]`).
    pub hidden_layer_sizes: Vec<usize>,
    /// Hidden activation (default ReLU).
    pub activation: Activation,
    /// Optimizer (default Adam).
    pub solver: Solver,
    /// L2 penalty (default 1e-4).
    pub alpha: f64,
    /// Minibatch size; `None` is scikit-learn's `"auto"`, `min(200, n_samples)`.
    pub batch_size: Option<usize>,
    /// SGD learning-rate schedule (default constant).
    pub learning_rate: LearningRate,
    /// Initial learning rate (default 1e-3).
    pub learning_rate_init: f64,
    /// Exponent of the inverse-scaling schedule (default 0.5).
    pub power_t: f64,
    /// Maximum number of epochs (default 200).
    pub max_iter: usize,
    /// Shuffle the samples every epoch (default true).
    pub shuffle: bool,
    /// Seed of the initialisation, shuffling and validation split (default `None`: random).
    pub seed: Option<u64>,
    /// Improvement threshold of the loss or validation score (default 1e-4).
    pub tol: f64,
    /// SGD momentum in `[0, 1]` (default 0.9).
    pub momentum: f64,
    /// Nesterov's momentum for SGD (default true).
    pub nesterovs_momentum: bool,
    /// Hold out `validation_fraction` of the data and stop on its score (default false).
    pub early_stopping: bool,
    /// Held-out share for early stopping, in `(0, 1)` (default 0.1).
    pub validation_fraction: f64,
    /// Adam's first-moment decay, in `[0, 1)` (default 0.9).
    pub beta_1: f64,
    /// Adam's second-moment decay, in `[0, 1)` (default 0.999).
    pub beta_2: f64,
    /// Adam's epsilon (default 1e-8).
    pub epsilon: f64,
    /// Epochs without improvement before stopping (default 10).
    pub n_iter_no_change: usize,
    /// Where to train (default [`Device::Auto`]).
    pub device: Device,
    /// Threads for the CPU backend (default `None`: the current rayon pool).
    pub n_jobs: Option<usize>,
}

impl Default for MlpConfig {
    fn default() -> Self {
        MlpConfig {
            hidden_layer_sizes: vec![100],
            activation: Activation::Relu,
            solver: Solver::Adam,
            alpha: 1e-4,
            batch_size: None,
            learning_rate: LearningRate::Constant,
            learning_rate_init: 1e-3,
            power_t: 0.5,
            max_iter: 200,
            shuffle: true,
            seed: None,
            tol: 1e-4,
            momentum: 0.9,
            nesterovs_momentum: true,
            early_stopping: false,
            validation_fraction: 0.1,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
            n_iter_no_change: 10,
            device: Device::Auto,
            n_jobs: None,
        }
    }
}

impl MlpConfig {
    /// Rejects values scikit-learn's parameter validation rejects.
    pub fn check(&self) -> Result<()> {
        if self.hidden_layer_sizes.contains(&0) {
            return Err(Error::invalid_param(
                "hidden_layer_sizes",
                format!("every layer needs at least 1 unit, got {:?}", self.hidden_layer_sizes),
            ));
        }
        if !(self.alpha >= 0.0 && self.alpha.is_finite()) {
            return Err(Error::invalid_param(
                "alpha",
                format!("must be a non-negative finite number, got {}", self.alpha),
            ));
        }
        if self.batch_size == Some(0) {
            return Err(Error::invalid_param("batch_size", "must be at least 1 (or auto), got 0"));
        }
        check_positive("learning_rate_init", self.learning_rate_init)?;
        if !(self.power_t >= 0.0 && self.power_t.is_finite()) {
            return Err(Error::invalid_param(
                "power_t",
                format!("must be a non-negative finite number, got {}", self.power_t),
            ));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid_param("max_iter", "must be at least 1, got 0"));
        }
        if self.tol.is_nan() || self.tol < 0.0 {
            return Err(Error::invalid_param("tol", format!("must be non-negative, got {}", self.tol)));
        }
        check_range("momentum", self.momentum, 0.0, 1.0)?;
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(Error::invalid_param(
                "validation_fraction",
                format!("must be in (0, 1), got {}", self.validation_fraction),
            ));
        }
        for (name, v) in [("beta_1", self.beta_1), ("beta_2", self.beta_2)] {
            if !(0.0..1.0).contains(&v) {
                return Err(Error::invalid_param(name, format!("must be in [0, 1), got {v}")));
            }
        }
        check_positive("epsilon", self.epsilon)?;
        if self.n_iter_no_change == 0 {
            return Err(Error::invalid_param("n_iter_no_change", "must be at least 1, got 0"));
        }
        if self.n_jobs == Some(0) {
            return Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0"));
        }
        Ok(())
    }

    /// Sets a hyper-parameter by its scikit-learn name.
    pub fn set(&mut self, estimator: &str, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "hidden_layer_sizes" => {
                self.hidden_layer_sizes = match value {
                    ParamValue::IntList(v) => v
                        .iter()
                        .map(|&u| {
                            usize::try_from(u).map_err(|_| {
                                Error::invalid_param(name, format!("layer sizes must be non-negative, got {u}"))
                            })
                        })
                        .collect::<Result<_>>()?,
                    other => vec![other.as_usize(name)?],
                }
            }
            "activation" => {
                self.activation = match value.as_str(name)? {
                    "identity" => Activation::Identity,
                    "logistic" => Activation::Logistic,
                    "tanh" => Activation::Tanh,
                    "relu" => Activation::Relu,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown activation {other:?}")));
                    }
                }
            }
            "solver" => {
                self.solver = match value.as_str(name)? {
                    "adam" => Solver::Adam,
                    "sgd" => Solver::Sgd,
                    other => {
                        return Err(Error::invalid_param(
                            name,
                            format!("unknown or unsupported solver {other:?} (adam and sgd are available)"),
                        ));
                    }
                }
            }
            "alpha" => self.alpha = value.as_f64(name)?,
            "batch_size" => {
                self.batch_size = match value {
                    ParamValue::Str(s) if s == "auto" => None,
                    other => other.as_opt_usize(name)?,
                }
            }
            "learning_rate" => {
                self.learning_rate = match value.as_str(name)? {
                    "constant" => LearningRate::Constant,
                    "invscaling" => LearningRate::InvScaling,
                    "adaptive" => LearningRate::Adaptive,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown learning_rate {other:?}")));
                    }
                }
            }
            "learning_rate_init" => self.learning_rate_init = value.as_f64(name)?,
            "power_t" => self.power_t = value.as_f64(name)?,
            "max_iter" => self.max_iter = value.as_usize(name)?,
            "shuffle" => self.shuffle = value.as_bool(name)?,
            "random_state" | "seed" => self.seed = value.as_opt_usize(name)?.map(|s| s as u64),
            "tol" => self.tol = value.as_f64(name)?,
            "momentum" => self.momentum = value.as_f64(name)?,
            "nesterovs_momentum" => self.nesterovs_momentum = value.as_bool(name)?,
            "early_stopping" => self.early_stopping = value.as_bool(name)?,
            "validation_fraction" => self.validation_fraction = value.as_f64(name)?,
            "beta_1" => self.beta_1 = value.as_f64(name)?,
            "beta_2" => self.beta_2 = value.as_f64(name)?,
            "epsilon" => self.epsilon = value.as_f64(name)?,
            "n_iter_no_change" => self.n_iter_no_change = value.as_usize(name)?,
            "device" => self.device = Device::parse(value.as_str(name)?)?,
            "n_jobs" => self.n_jobs = value.as_opt_usize(name)?,
            _ => {
                return Err(Error::invalid_param(name, format!("{estimator} has no parameter {name:?}")));
            }
        }
        Ok(())
    }
}

/// Builder setters shared by the two MLP estimators (which hold `config` and `callback`).
macro_rules! mlp_setters {
    ($ty:ident) => {
        impl $ty {
            /// Width of each hidden layer (default `[100]`).
            pub fn hidden_layer_sizes(mut self, sizes: impl AsRef<[usize]>) -> Self {
                self.config.hidden_layer_sizes = sizes.as_ref().to_vec();
                self
            }
            /// Hidden activation (default [`Activation::Relu`](crate::Activation::Relu)).
            pub fn activation(mut self, v: crate::Activation) -> Self {
                self.config.activation = v;
                self
            }
            /// Optimizer (default [`Solver::Adam`](crate::Solver::Adam)).
            pub fn solver(mut self, v: crate::Solver) -> Self {
                self.config.solver = v;
                self
            }
            /// L2 penalty, `>= 0` (default 1e-4).
            pub fn alpha(mut self, v: f64) -> Self {
                self.config.alpha = v;
                self
            }
            /// Minibatch size (default auto: `min(200, n_samples)`); larger values are clipped to
            /// the number of samples.
            pub fn batch_size(mut self, v: usize) -> Self {
                self.config.batch_size = Some(v);
                self
            }
            /// Back to the automatic minibatch size.
            pub fn batch_size_auto(mut self) -> Self {
                self.config.batch_size = None;
                self
            }
            /// SGD learning-rate schedule (default constant).
            pub fn learning_rate(mut self, v: crate::LearningRate) -> Self {
                self.config.learning_rate = v;
                self
            }
            /// Initial learning rate, `> 0` (default 1e-3).
            pub fn learning_rate_init(mut self, v: f64) -> Self {
                self.config.learning_rate_init = v;
                self
            }
            /// Exponent of the inverse-scaling schedule (default 0.5).
            pub fn power_t(mut self, v: f64) -> Self {
                self.config.power_t = v;
                self
            }
            /// Maximum number of epochs, `>= 1` (default 200).
            pub fn max_iter(mut self, v: usize) -> Self {
                self.config.max_iter = v;
                self
            }
            /// Shuffle every epoch (default true).
            pub fn shuffle(mut self, v: bool) -> Self {
                self.config.shuffle = v;
                self
            }
            /// Seed of initialisation, shuffling and the validation split (default random).
            pub fn seed(mut self, v: u64) -> Self {
                self.config.seed = Some(v);
                self
            }
            /// Improvement threshold, `>= 0` (default 1e-4).
            pub fn tol(mut self, v: f64) -> Self {
                self.config.tol = v;
                self
            }
            /// SGD momentum in `[0, 1]` (default 0.9).
            pub fn momentum(mut self, v: f64) -> Self {
                self.config.momentum = v;
                self
            }
            /// Nesterov's momentum for SGD (default true).
            pub fn nesterovs_momentum(mut self, v: bool) -> Self {
                self.config.nesterovs_momentum = v;
                self
            }
            /// Stop on a held-out validation score (default false).
            pub fn early_stopping(mut self, v: bool) -> Self {
                self.config.early_stopping = v;
                self
            }
            /// Held-out share for early stopping, in `(0, 1)` (default 0.1).
            pub fn validation_fraction(mut self, v: f64) -> Self {
                self.config.validation_fraction = v;
                self
            }
            /// Adam's first-moment decay (default 0.9).
            pub fn beta_1(mut self, v: f64) -> Self {
                self.config.beta_1 = v;
                self
            }
            /// Adam's second-moment decay (default 0.999).
            pub fn beta_2(mut self, v: f64) -> Self {
                self.config.beta_2 = v;
                self
            }
            /// Adam's epsilon (default 1e-8).
            pub fn epsilon(mut self, v: f64) -> Self {
                self.config.epsilon = v;
                self
            }
            /// Epochs without improvement before stopping, `>= 1` (default 10).
            pub fn n_iter_no_change(mut self, v: usize) -> Self {
                self.config.n_iter_no_change = v;
                self
            }
            /// Where to train (default [`Device::Auto`](crate::Device::Auto)).
            pub fn device(mut self, v: crate::Device) -> Self {
                self.config.device = v;
                self
            }
            /// Threads of the CPU backend (default: the current rayon pool).
            pub fn n_jobs(mut self, v: usize) -> Self {
                self.config.n_jobs = Some(v);
                self
            }
            /// Watches each epoch and may stop the fit.
            pub fn callback(mut self, v: oxlearn_core::Callback) -> Self {
                self.callback = v;
                self
            }
            /// The hyper-parameters.
            pub fn config(&self) -> &crate::MlpConfig {
                &self.config
            }
        }
    };
}
pub(crate) use mlp_setters;
