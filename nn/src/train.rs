//! The stochastic training loop with scikit-learn's semantics: Glorot initialisation, epochs of
//! shuffled minibatches, `tol` / `n_iter_no_change`, early stopping on a held-out split,
//! learning-rate schedules, warm starts and `partial_fit`.

use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2};
use oxlearn_core::{Callback, Error, Progress, Result};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::backend::cpu::CpuBackend;
use crate::backend::wgpu::{AdapterChoice, WgpuBackend};
use crate::backend::{Activation, Backend};
use crate::device::Device;
use crate::network::{HostParams, HostTargets, Network, Optimizer, OptimizerState, OutputLoss};
use crate::params::{LearningRate, MlpConfig, Solver};

/// Everything a fitted MLP keeps: the weights, the training history and the optimizer state
/// (for `partial_fit` and warm starts).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MlpState {
    pub config: MlpConfig,
    pub units: Vec<usize>,
    pub output: OutputLoss,
    pub coefs: Vec<Array2<f64>>,
    pub intercepts: Vec<Array1<f64>>,
    pub loss_curve: Vec<f64>,
    pub best_loss: Option<f64>,
    pub validation_scores: Option<Vec<f64>>,
    pub best_validation_score: Option<f64>,
    pub n_iter: usize,
    pub t: u64,
    pub no_improvement_count: usize,
    pub converged: bool,
    pub device: Device,
    pub optimizer: Option<OptimizerState>,
}

/// Training targets on the host.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Y<'a> {
    /// Class indices (`n_classes` distinct values).
    Classes(&'a [usize], usize),
    /// Real values (one output).
    Values(ndarray::ArrayView1<'a, f64>),
}

/// How a fit starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// New weights (scikit-learn's `fit`).
    Fresh,
    /// The previous weights, a new optimizer (`fit` with `warm_start=True`).
    Warm,
    /// The previous weights and optimizer, one epoch (`partial_fit`).
    Partial,
}

fn rng_for(seed: Option<u64>) -> Xoshiro256PlusPlus {
    match seed {
        Some(s) => Xoshiro256PlusPlus::seed_from_u64(s),
        None => Xoshiro256PlusPlus::from_entropy(),
    }
}

/// Glorot uniform initialisation as scikit-learn: `U(-b, b)` with `b = sqrt(f / (fan_in +
/// fan_out))`, `f = 2` for the logistic activation and 6 otherwise; weights then biases, layer
/// by layer.
fn init_params(
    units: &[usize],
    activation: Activation,
    rng: &mut Xoshiro256PlusPlus,
) -> (Vec<Array2<f64>>, Vec<Array1<f64>>) {
    let factor = if activation == Activation::Logistic { 2.0 } else { 6.0 };
    let mut coefs = Vec::new();
    let mut intercepts = Vec::new();
    for w in units.windows(2) {
        let (fan_in, fan_out) = (w[0], w[1]);
        let bound = (factor / (fan_in + fan_out) as f64).sqrt();
        // Stored as f32 values so the fitted f64 weights equal what the f32 kernels use.
        let mut draw = || f64::from(rng.gen_range(-bound..bound) as f32);
        coefs.push(Array2::from_shape_fn((fan_in, fan_out), |_| draw()));
        intercepts.push(Array1::from_shape_fn(fan_out, |_| draw()));
    }
    (coefs, intercepts)
}

/// A new, untrained state.
pub(crate) fn new_state(
    config: &MlpConfig,
    n_features: usize,
    y: Y<'_>,
    device: Device,
) -> (MlpState, Xoshiro256PlusPlus) {
    let (n_out, output) = match y {
        Y::Classes(_, 2) => (1, OutputLoss::LogisticCrossEntropy),
        Y::Classes(_, k) => (k, OutputLoss::SoftmaxCrossEntropy),
        Y::Values(_) => (1, OutputLoss::SquaredError),
    };
    let units: Vec<usize> = std::iter::once(n_features)
        .chain(config.hidden_layer_sizes.iter().copied())
        .chain(std::iter::once(n_out))
        .collect();
    let mut rng = rng_for(config.seed);
    let (coefs, intercepts) = init_params(&units, config.activation, &mut rng);
    let state = MlpState {
        config: config.clone(),
        units,
        output,
        coefs,
        intercepts,
        loss_curve: Vec::new(),
        best_loss: None,
        validation_scores: None,
        best_validation_score: None,
        n_iter: 0,
        t: 0,
        no_improvement_count: 0,
        converged: false,
        device,
        optimizer: None,
    };
    (state, rng)
}

/// Splits `0..n` into (train, validation) for early stopping, stratified for classifiers (as
/// scikit-learn's `train_test_split(..., stratify=y)`); the validation part has
/// `ceil(fraction n)` samples.
fn split(
    estimator: &str,
    n: usize,
    fraction: f64,
    y: Y<'_>,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<(Vec<u32>, Vec<u32>)> {
    let n_val = (fraction * n as f64).ceil() as usize;
    if n_val < 2 || n_val >= n {
        return Err(Error::InvalidInput(format!(
            "{estimator}: the validation set is too small or too large: validation_fraction={fraction} of {n} samples gives {n_val} validation samples (at least 2 and fewer than {n} needed); increase validation_fraction or the size of the data"
        )));
    }
    let mut val = Vec::with_capacity(n_val);
    match y {
        Y::Classes(classes, k) => {
            let mut by_class: Vec<Vec<u32>> = vec![Vec::new(); k];
            for (i, &c) in classes.iter().enumerate() {
                by_class[c].push(i as u32);
            }
            // Proportional allocation, the remainder to the largest fractional parts.
            let exact: Vec<f64> = by_class.iter().map(|c| n_val as f64 * c.len() as f64 / n as f64).collect();
            let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| {
                (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b))
            });
            let mut left = n_val - take.iter().sum::<usize>();
            for &c in order.iter().cycle().take(k * 2) {
                if left == 0 {
                    break;
                }
                if take[c] < by_class[c].len() {
                    take[c] += 1;
                    left -= 1;
                }
            }
            for (members, t) in by_class.iter_mut().zip(&take) {
                members.shuffle(rng);
                val.extend_from_slice(&members[..*t]);
            }
        }
        Y::Values(_) => {
            let mut all: Vec<u32> = (0..n as u32).collect();
            all.shuffle(rng);
            val.extend_from_slice(&all[..n_val]);
        }
    }
    let mut is_val = vec![false; n];
    for &i in &val {
        is_val[i as usize] = true;
    }
    let train = (0..n as u32).filter(|&i| !is_val[i as usize]).collect();
    Ok((train, val))
}

/// Trains `state` on `(x, y)` on the configured device (the CPU backend with `threads`
/// threads, or a GPU backend).
#[allow(clippy::too_many_arguments)]
pub(crate) fn train(
    estimator: &'static str,
    state: &mut MlpState,
    mut rng: Xoshiro256PlusPlus,
    x: ArrayView2<'_, f64>,
    y: Y<'_>,
    mode: Mode,
    callback: &Callback,
    threads: usize,
) -> Result<()> {
    // Resolving is cheap after the first call (the GPU contexts are cached per process).
    match state.config.device.resolve(estimator)? {
        device @ (Device::Wgpu | Device::WgpuAny) => {
            let choice = if device == Device::Wgpu { AdapterChoice::Hardware } else { AdapterChoice::Any };
            let backend = WgpuBackend::new(choice)?;
            state.device = device;
            train_on(backend, estimator, state, &mut rng, x, y, mode, callback)
        }
        #[cfg(feature = "cuda")]
        Device::Cuda => {
            let backend = crate::backend::cuda::CudaBackend::new()?;
            state.device = Device::Cuda;
            train_on(backend, estimator, state, &mut rng, x, y, mode, callback)
        }
        _ => {
            let backend = CpuBackend::new(threads);
            state.device = backend.device();
            train_on(backend, estimator, state, &mut rng, x, y, mode, callback)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn train_on<B: Backend>(
    backend: B,
    estimator: &'static str,
    state: &mut MlpState,
    rng: &mut Xoshiro256PlusPlus,
    x: ArrayView2<'_, f64>,
    y: Y<'_>,
    mode: Mode,
    callback: &Callback,
) -> Result<()> {
    let started = Instant::now();
    let cfg = state.config.clone();
    let n = x.nrows();
    let n_out = *state.units.last().expect("at least two layers");

    // Early stopping holds out a validation split (drawn after the initial weights, as
    // scikit-learn does).
    let (train_idx, val_idx) = if cfg.early_stopping {
        if mode == Mode::Partial {
            return Err(Error::invalid_param("early_stopping", "partial_fit does not support early_stopping=true"));
        }
        let (t, v) = split(estimator, n, cfg.validation_fraction, y, rng)?;
        (t, Some(v))
    } else {
        ((0..n as u32).collect::<Vec<_>>(), None)
    };
    let n_train = train_idx.len();
    let batch = match cfg.batch_size {
        None => n_train.min(200),
        Some(b) => b.clamp(1, n_train),
    };

    // Upload the data and the parameters once.
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let (coefs32, intercepts32) = to_f32(&state.coefs, &state.intercepts);
    let mut net =
        Network::new(backend, &state.units, cfg.activation, state.output, cfg.alpha, &coefs32, &intercepts32, batch)?;
    let labels: Vec<u32>;
    let values: Vec<f32>;
    let host_y = match y {
        Y::Classes(c, _) => {
            labels = c.iter().map(|&c| c as u32).collect();
            HostTargets::Classes(&labels)
        }
        Y::Values(v) => {
            values = v.iter().map(|&v| v as f32).collect();
            HostTargets::Values(&values)
        }
    };
    let data = net.upload_data(&x32, host_y)?;
    let mut order = train_idx;
    let mut order_buf = net.backend().upload_idx(&order)?;
    let mut val = match &val_idx {
        Some(v) => Some((net.backend().upload_idx(v)?, v.clone(), vec![0.0f32; batch * n_out])),
        None => None,
    };

    let mut opt = match (&state.optimizer, mode) {
        (Some(saved), Mode::Partial) => restore_optimizer(&net, &cfg, saved)?,
        _ => fresh_optimizer(&net, &cfg)?,
    };

    if cfg.early_stopping {
        state.validation_scores.get_or_insert_with(Vec::new);
        state.best_loss = None;
    } else {
        state.validation_scores = None;
        state.best_validation_score = None;
    }
    // The best weights so far (early stopping), kept on the host and refreshed once per epoch.
    let mut best: Option<HostParams> = cfg.early_stopping.then(|| (coefs32.clone(), intercepts32.clone()));

    state.n_iter = 0;
    state.converged = false;
    let max_iter = if mode == Mode::Partial { 1 } else { cfg.max_iter };
    for _ in 0..max_iter {
        if cfg.shuffle {
            order.shuffle(rng);
            net.backend().write_idx(&mut order_buf, &order)?;
        }

        // One epoch: only index ranges cross to the backend inside this loop.
        net.reset_loss();
        net.train_epoch(&data, &order_buf, n_train, batch, &mut opt)?;
        let loss = net.read_loss()? / n_train as f64;

        state.n_iter += 1;
        state.t += n_train as u64;
        state.loss_curve.push(loss);

        // Track improvement (scikit-learn's `_update_no_improvement_count`).
        let mut metrics: Vec<(&'static str, f64)> = Vec::new();
        if let Some((val_buf, val_rows, out)) = &mut val {
            let score = validation_score(&mut net, &data, val_buf, val_rows, out, y)?;
            metrics.push(("validation_score", score));
            let scores = state.validation_scores.get_or_insert_with(Vec::new);
            scores.push(score);
            let best_score = state.best_validation_score.unwrap_or(f64::NEG_INFINITY);
            if score < best_score + cfg.tol {
                state.no_improvement_count += 1;
            } else {
                state.no_improvement_count = 0;
            }
            if score > best_score {
                state.best_validation_score = Some(score);
                if let Some((bc, bi)) = best.as_mut() {
                    let (c, i) = net.read_params()?;
                    *bc = c;
                    *bi = i;
                }
            }
        } else {
            let best_loss = state.best_loss.unwrap_or(f64::INFINITY);
            if loss > best_loss - cfg.tol {
                state.no_improvement_count += 1;
            } else {
                state.no_improvement_count = 0;
            }
            if loss < best_loss {
                state.best_loss = Some(loss);
            }
        }

        // Learning-rate schedule at the end of the epoch (`iteration_ends`).
        if let Optimizer::Sgd { lr, .. } = &mut opt
            && cfg.learning_rate == LearningRate::InvScaling
        {
            *lr = cfg.learning_rate_init / ((state.t + 1) as f64).powf(cfg.power_t);
        }

        let stop_requested = callback.report(&Progress {
            estimator,
            iteration: state.loss_curve.len(),
            total: Some(max_iter),
            loss: Some(loss),
            metrics: &metrics,
            elapsed: started.elapsed(),
        });
        if stop_requested {
            break;
        }

        if state.no_improvement_count > cfg.n_iter_no_change {
            // `trigger_stopping`: the adaptive SGD schedule divides the rate by 5 and goes on.
            match &mut opt {
                Optimizer::Sgd { lr, .. } if cfg.learning_rate == LearningRate::Adaptive && *lr > 1e-6 => {
                    *lr /= 5.0;
                    state.no_improvement_count = 0;
                }
                _ => {
                    state.converged = true;
                    break;
                }
            }
        }
    }

    // Bring the weights home: the best epoch's under early stopping, else the last.
    let (coefs, intercepts) = match best {
        Some(b) => b,
        None => net.read_params()?,
    };
    if coefs.iter().chain(&intercepts).any(|p| p.iter().any(|v| !v.is_finite())) {
        return Err(Error::Numerical {
            estimator: estimator.to_string(),
            reason: "the solver produced non-finite weights; the input may contain large values and need scaling"
                .into(),
        });
    }
    let (c64, i64) = to_f64(&state.units, &coefs, &intercepts);
    state.coefs = c64;
    state.intercepts = i64;
    state.optimizer = Some(opt.save(net.backend(), &net.param_lens())?);
    Ok(())
}

fn fresh_optimizer<B: Backend>(net: &Network<B>, cfg: &MlpConfig) -> Result<Optimizer<B>> {
    match cfg.solver {
        Solver::Adam => net.adam(cfg.learning_rate_init, cfg.beta_1, cfg.beta_2, cfg.epsilon),
        Solver::Sgd => net.sgd(cfg.learning_rate_init, cfg.momentum, cfg.nesterovs_momentum),
    }
}

fn restore_optimizer<B: Backend>(net: &Network<B>, cfg: &MlpConfig, saved: &OptimizerState) -> Result<Optimizer<B>> {
    let be = net.backend();
    let upload = |v: &[Vec<f32>]| v.iter().map(|h| be.upload(h)).collect::<Result<Vec<_>>>();
    Ok(match (saved, cfg.solver) {
        (OptimizerState::Adam { t, m, v }, Solver::Adam) => Optimizer::Adam {
            m: upload(m)?,
            v: upload(v)?,
            t: *t,
            lr_init: cfg.learning_rate_init,
            beta_1: cfg.beta_1,
            beta_2: cfg.beta_2,
            epsilon: cfg.epsilon,
        },
        (OptimizerState::Sgd { lr, velocity }, Solver::Sgd) => Optimizer::Sgd {
            velocity: upload(velocity)?,
            lr: *lr,
            momentum: cfg.momentum,
            nesterov: cfg.nesterovs_momentum,
        },
        _ => fresh_optimizer(net, cfg)?,
    })
}

/// Accuracy (classifiers) or R^2 (regressors) of the current weights on the validation rows.
fn validation_score<B: Backend>(
    net: &mut Network<B>,
    data: &crate::network::DeviceData<B>,
    val_buf: &B::Idx,
    val_rows: &[u32],
    out: &mut [f32],
    y: Y<'_>,
) -> Result<f64> {
    let chunk = net.max_batch();
    let n_out = *net.units().last().expect("layers");
    let n = val_rows.len();
    let mut correct = 0usize;
    let (mut ss_res, mut preds) = (0.0f64, Vec::new());
    let mut start = 0;
    while start < n {
        let end = (start + chunk).min(n);
        net.predict_raw(data, val_buf, start..end, out)?;
        for (r, &row) in val_rows[start..end].iter().enumerate() {
            let o = &out[r * n_out..(r + 1) * n_out];
            match y {
                Y::Classes(c, _) => {
                    let pred = if n_out == 1 { usize::from(o[0] > 0.0) } else { argmax_f32(o) };
                    correct += usize::from(pred == c[row as usize]);
                }
                Y::Values(v) => {
                    let p = f64::from(o[0]);
                    ss_res += (v[row as usize] - p).powi(2);
                    preds.push(p);
                }
            }
        }
        start = end;
    }
    Ok(match y {
        Y::Classes(..) => correct as f64 / n as f64,
        Y::Values(v) => {
            if preds.iter().any(|p| !p.is_finite()) {
                return Ok(f64::NAN);
            }
            let mean = val_rows.iter().map(|&r| v[r as usize]).sum::<f64>() / n as f64;
            let ss_tot: f64 = val_rows.iter().map(|&r| (v[r as usize] - mean).powi(2)).sum();
            if ss_tot > 0.0 {
                1.0 - ss_res / ss_tot
            } else if ss_res == 0.0 {
                1.0
            } else {
                0.0
            }
        }
    })
}

fn argmax_f32(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

fn to_f32(coefs: &[Array2<f64>], intercepts: &[Array1<f64>]) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    (
        coefs.iter().map(|c| c.iter().map(|&v| v as f32).collect()).collect(),
        intercepts.iter().map(|i| i.iter().map(|&v| v as f32).collect()).collect(),
    )
}

fn to_f64(units: &[usize], coefs: &[Vec<f32>], intercepts: &[Vec<f32>]) -> (Vec<Array2<f64>>, Vec<Array1<f64>>) {
    let c = coefs
        .iter()
        .enumerate()
        .map(|(l, c)| {
            Array2::from_shape_vec((units[l], units[l + 1]), c.iter().map(|&v| f64::from(v)).collect())
                .expect("coef shape")
        })
        .collect();
    let i = intercepts.iter().map(|i| i.iter().map(|&v| f64::from(v)).collect()).collect();
    (c, i)
}
