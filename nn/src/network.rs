//! A multi-layer perceptron resident in a [`Backend`]: its parameters, gradients, optimizer
//! state and minibatch workspace, and the training step written as the algorithm.

use std::ops::Range;

use oxlearn_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::backend::{Activation, AdamStep, Backend, ReplaySpec, SgdStep, Trans};

/// Parameters (or gradients) on the host: `(coefs, intercepts)`, each row-major f32.
pub type HostParams = (Vec<Vec<f32>>, Vec<Vec<f32>>);

/// The output layer and its loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputLoss {
    /// Softmax over `k >= 3` outputs with cross-entropy (multiclass classification).
    SoftmaxCrossEntropy,
    /// One logistic output with binary cross-entropy (two classes, as scikit-learn).
    LogisticCrossEntropy,
    /// Identity outputs with squared error / 2 (regression).
    SquaredError,
}

/// Where a minibatch's targets live: class indices or real values.
#[derive(Debug)]
pub enum Targets<B: Backend> {
    /// Class indices, one per sample.
    Classes(B::Idx),
    /// Real targets, `n_outputs` per sample (row-major).
    Values(B::Buf),
}

/// The training data, uploaded once per fit.
#[derive(Debug)]
pub struct DeviceData<B: Backend> {
    /// Features, `n x n_features`, row-major.
    pub x: B::Buf,
    /// Targets.
    pub y: Targets<B>,
    /// Number of samples.
    pub n: usize,
}

/// The optimizer and its state, resident in the backend.
#[derive(Debug)]
pub enum Optimizer<B: Backend> {
    /// Adam: first and second moments per parameter tensor, and the step count.
    Adam {
        /// First moments (weights then biases of each layer, as [`Network::param_lens`]).
        m: Vec<B::Buf>,
        /// Second moments.
        v: Vec<B::Buf>,
        /// Steps taken.
        t: u64,
        /// The scalars: learning_rate_init, beta_1, beta_2, epsilon.
        lr_init: f64,
        /// Decay of the first moment.
        beta_1: f64,
        /// Decay of the second moment.
        beta_2: f64,
        /// Added to `sqrt(v)`.
        epsilon: f64,
    },
    /// SGD with momentum: a velocity per parameter tensor.
    Sgd {
        /// Velocities.
        velocity: Vec<B::Buf>,
        /// The current learning rate (schedules change it between epochs).
        lr: f64,
        /// Momentum.
        momentum: f64,
        /// Nesterov's momentum.
        nesterov: bool,
    },
}

impl<B: Backend> Optimizer<B> {
    /// Adam's step count `t` (0 for SGD, which has none).
    pub fn steps(&self) -> u64 {
        match self {
            Optimizer::Adam { t, .. } => *t,
            Optimizer::Sgd { .. } => 0,
        }
    }

    /// Sets Adam's step count (no-op for SGD).
    fn set_steps(&mut self, steps: u64) {
        if let Optimizer::Adam { t, .. } = self {
            *t = steps;
        }
    }

    /// Counts `n` more Adam steps (no-op for SGD).
    fn add_steps(&mut self, n: u64) {
        if let Optimizer::Adam { t, .. } = self {
            *t += n;
        }
    }
}

/// An MLP whose parameters, gradients and minibatch workspace live in a backend.
///
/// `W[l]` is `units[l] x units[l + 1]` (scikit-learn's `coefs_[l]`), `b[l]` has `units[l + 1]`
/// values. The workspace holds the activations `A[0..=L]` and the deltas of one minibatch of up
/// to `max_batch` rows; nothing is allocated after [`Network::new`].
#[derive(Debug)]
pub struct Network<B: Backend> {
    backend: B,
    units: Vec<usize>,
    activation: Activation,
    output: OutputLoss,
    alpha: f32,
    max_batch: usize,
    w: Vec<B::Buf>,
    b: Vec<B::Buf>,
    gw: Vec<B::Buf>,
    gb: Vec<B::Buf>,
    /// `a[0]` is the gathered input batch; `a[l + 1] = act(a[l] W[l] + b[l])`.
    a: Vec<B::Buf>,
    /// `delta[l]` is the loss gradient with respect to the pre-activation of layer `l + 1`.
    delta: Vec<B::Buf>,
    batch_labels: B::Idx,
    batch_values: B::Buf,
    loss: B::Buf,
}

impl<B: Backend> Network<B> {
    /// Uploads the parameters (`coefs[l]` row-major, `intercepts[l]`) and allocates the
    /// workspace for minibatches of up to `max_batch` rows.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        backend: B,
        units: &[usize],
        activation: Activation,
        output: OutputLoss,
        alpha: f64,
        coefs: &[Vec<f32>],
        intercepts: &[Vec<f32>],
        max_batch: usize,
    ) -> Result<Self> {
        let layers = units.len() - 1;
        assert!(coefs.len() == layers && intercepts.len() == layers, "one weight matrix and bias per layer");
        let max_batch = max_batch.max(1);
        let mut w = Vec::with_capacity(layers);
        let mut b = Vec::with_capacity(layers);
        let mut gw = Vec::with_capacity(layers);
        let mut gb = Vec::with_capacity(layers);
        let mut delta = Vec::with_capacity(layers);
        for l in 0..layers {
            assert_eq!(coefs[l].len(), units[l] * units[l + 1], "coefs[{l}] shape");
            assert_eq!(intercepts[l].len(), units[l + 1], "intercepts[{l}] shape");
            w.push(backend.upload(&coefs[l])?);
            b.push(backend.upload(&intercepts[l])?);
            gw.push(backend.zeros(coefs[l].len())?);
            gb.push(backend.zeros(units[l + 1])?);
            delta.push(backend.zeros(max_batch * units[l + 1])?);
        }
        let a = units.iter().map(|&u| backend.zeros(max_batch * u)).collect::<Result<Vec<_>>>()?;
        let n_out = units[layers];
        Ok(Network {
            batch_labels: backend.upload_idx(&vec![0; max_batch])?,
            batch_values: backend.zeros(max_batch * n_out)?,
            loss: backend.zeros(1)?,
            backend,
            units: units.to_vec(),
            activation,
            output,
            alpha: alpha as f32,
            max_batch,
            w,
            b,
            gw,
            gb,
            a,
            delta,
        })
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Layer widths, input first.
    pub fn units(&self) -> &[usize] {
        &self.units
    }

    /// The largest minibatch the workspace holds.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    fn layers(&self) -> usize {
        self.units.len() - 1
    }

    /// Uploads the training data (once per fit).
    pub fn upload_data(&self, x: &[f32], y: HostTargets<'_>) -> Result<DeviceData<B>> {
        let n = x.len() / self.units[0];
        // The data may be larger than one device buffer: the backends split it if they must.
        let y = match y {
            HostTargets::Classes(c) => Targets::Classes(self.backend.upload_data_idx(c)?),
            HostTargets::Values(v) => Targets::Values(self.backend.upload_data(v)?),
        };
        Ok(DeviceData { x: self.backend.upload_data(x)?, y, n })
    }

    /// A fresh optimizer state (zero moments / velocities).
    pub fn adam(&self, lr_init: f64, beta_1: f64, beta_2: f64, epsilon: f64) -> Result<Optimizer<B>> {
        Ok(Optimizer::Adam {
            m: self.zeros_like_params()?,
            v: self.zeros_like_params()?,
            t: 0,
            lr_init,
            beta_1,
            beta_2,
            epsilon,
        })
    }

    /// A fresh SGD state (zero velocities).
    pub fn sgd(&self, lr: f64, momentum: f64, nesterov: bool) -> Result<Optimizer<B>> {
        Ok(Optimizer::Sgd { velocity: self.zeros_like_params()?, lr, momentum, nesterov })
    }

    fn zeros_like_params(&self) -> Result<Vec<B::Buf>> {
        self.param_lens().into_iter().map(|len| self.backend.zeros(len)).collect()
    }

    /// Lengths of the parameter tensors in optimizer order: `W[0], .., W[L-1], b[0], .., b[L-1]`
    /// (scikit-learn's `coefs_ + intercepts_`).
    pub fn param_lens(&self) -> Vec<usize> {
        let layers = self.layers();
        (0..layers).map(|l| self.units[l] * self.units[l + 1]).chain((0..layers).map(|l| self.units[l + 1])).collect()
    }

    // ----------------------------------------------------------------------------------------
    // One training step, as the algorithm reads.
    // ----------------------------------------------------------------------------------------

    /// One minibatch step over the samples `order[range]`: gather, forward pass, loss, gradient
    /// reset, backward pass, optimizer step. The batch's loss (summed over its samples, plus
    /// the L2 term `alpha / 2 ||W||^2`) is added to the loss accumulator.
    pub fn train_step(&mut self, data: &DeviceData<B>, order: &B::Idx, range: Range<usize>, opt: &mut Optimizer<B>) {
        let n = range.len();
        self.gather(data, order, range);
        self.forward(n);
        self.loss_and_output_delta(n);
        self.reset_gradients(n);
        self.backward(n);
        self.optimizer_step(opt);
    }

    /// One epoch over `order[..n_train]` in minibatches of `batch` rows (the last one may be
    /// shorter): [`Network::train_step`] for each, in order.
    ///
    /// On a backend that can replay a recorded step (CUDA graphs, see
    /// [`Backend::begin_recording`]), the first full batch runs eagerly (it also warms up
    /// lazily loaded kernels), the step is then recorded once and replayed for the other full
    /// batches, and a short last batch runs eagerly: the same kernels with the same arguments,
    /// launched as one unit per step instead of one host call per kernel. The recording is
    /// made per call, so the buffers it refers to are exactly the ones borrowed here.
    pub fn train_epoch(
        &mut self,
        data: &DeviceData<B>,
        order: &B::Idx,
        n_train: usize,
        batch: usize,
        opt: &mut Optimizer<B>,
    ) -> Result<()> {
        let batch = batch.clamp(1, self.max_batch);
        let full = n_train / batch;
        let mut start = 0;
        // Recording costs about as much as a few eager steps: only worth it for longer epochs.
        if full >= 8 {
            self.train_step(data, order, 0..batch, opt);
            start = batch;
            if self.record_step(data, order, batch, opt)? {
                self.backend.seek_replay(start, opt.steps())?;
                for _ in 1..full {
                    self.backend.replay()?;
                    opt.add_steps(1);
                }
                start = full * batch;
            }
        }
        while start < n_train {
            let end = (start + batch).min(n_train);
            self.train_step(data, order, start..end, opt);
            start = end;
        }
        Ok(())
    }

    /// Records one full-batch step for replay; `false` when the backend does not replay or
    /// the recording failed (then the caller runs eagerly; the failure is logged).
    fn record_step(
        &mut self,
        data: &DeviceData<B>,
        order: &B::Idx,
        batch: usize,
        opt: &mut Optimizer<B>,
    ) -> Result<bool> {
        let adam = match opt {
            Optimizer::Adam { lr_init, beta_1, beta_2, .. } => Some((*lr_init, *beta_1, *beta_2)),
            Optimizer::Sgd { .. } => None,
        };
        if !self.backend.begin_recording(ReplaySpec { batch, adam })? {
            return Ok(false);
        }
        // The range's start is ignored while recording (the replay cursor replaces it), and so
        // is Adam's rate; nothing runs, so the step count is put back.
        let steps = opt.steps();
        self.train_step(data, order, 0..batch, opt);
        opt.set_steps(steps);
        match self.backend.end_recording() {
            Ok(()) => Ok(true),
            Err(e) => {
                tracing::warn!(target: "oxlearn_nn", error = %e, "step recording failed; training eagerly");
                Ok(false)
            }
        }
    }

    /// Computes the batch's loss and gradients without updating the parameters (the step
    /// above without its last line); for gradient checks.
    pub fn compute_gradients(&mut self, data: &DeviceData<B>, order: &B::Idx, range: Range<usize>) {
        let n = range.len();
        self.gather(data, order, range);
        self.forward(n);
        self.loss_and_output_delta(n);
        self.reset_gradients(n);
        self.backward(n);
    }

    /// Copies the minibatch rows (and targets) into the workspace: the only per-step data
    /// movement is the index range.
    fn gather(&mut self, data: &DeviceData<B>, order: &B::Idx, range: Range<usize>) {
        let be = &self.backend;
        be.gather_rows(&data.x, self.units[0], order, range.clone(), &mut self.a[0]);
        match &data.y {
            Targets::Classes(y) => be.gather_idx(y, order, range, &mut self.batch_labels),
            Targets::Values(y) => {
                be.gather_rows(y, self.units[self.units.len() - 1], order, range, &mut self.batch_values)
            }
        }
    }

    /// `A[l + 1] = act(A[l] W[l] + b[l])`; the last layer stays linear (its output
    /// non-linearity is fused into the loss).
    pub fn forward(&mut self, n: usize) {
        let layers = self.layers();
        for l in 0..layers {
            let (inp, out) = (self.units[l], self.units[l + 1]);
            let act = if l + 1 == layers { Activation::Identity } else { self.activation };
            let (lo, hi) = self.a.split_at_mut(l + 1);
            self.backend.gemm(n, out, inp, 1.0, &lo[l], Trans::No, &self.w[l], Trans::No, 0.0, &mut hi[0]);
            self.backend.bias_act(&mut hi[0], n, out, &self.b[l], act);
        }
    }

    /// The loss of the batch and the output delta `(prediction - target) / n`, then the L2
    /// term `alpha / 2 * sum ||W||^2` (scikit-learn's loss times the batch size).
    fn loss_and_output_delta(&mut self, n: usize) {
        let last = self.layers();
        let n_out = self.units[last];
        let scale = 1.0 / n as f32;
        let (out, delta) = (&self.a[last], &mut self.delta[last - 1]);
        match self.output {
            OutputLoss::SoftmaxCrossEntropy => {
                self.backend.softmax_xent(out, &self.batch_labels, n, n_out, scale, delta, &mut self.loss)
            }
            OutputLoss::LogisticCrossEntropy => {
                self.backend.logistic_xent(out, &self.batch_labels, n, scale, delta, &mut self.loss)
            }
            OutputLoss::SquaredError => {
                self.backend.squared_error(out, &self.batch_values, n, n_out, scale, delta, &mut self.loss)
            }
        }
        if self.alpha > 0.0 {
            for (l, w) in self.w.iter().enumerate() {
                self.backend.sum_squares(w, self.units[l] * self.units[l + 1], 0.5 * self.alpha, &mut self.loss);
            }
        }
    }

    /// Resets each weight gradient to its L2 part, `(alpha / n) W`; the backward pass
    /// accumulates the data part on top. Without an L2 term there is nothing to reset: the
    /// backward pass then overwrites the weight gradients (GEMM with `beta = 0`), one kernel
    /// fewer per layer. Bias gradients are always overwritten by the backward pass.
    fn reset_gradients(&mut self, n: usize) {
        let scale = self.alpha / n as f32;
        if scale > 0.0 {
            for l in 0..self.layers() {
                let len = self.units[l] * self.units[l + 1];
                self.backend.scale_copy(&self.w[l], scale, &mut self.gw[l], len);
            }
        }
    }

    /// From the output delta down: `gW[l] += A[l]^T delta[l]` (`=` without an L2 term),
    /// `gb[l] = colsum(delta[l])`, `delta[l - 1] = (delta[l] W[l]^T) * act'(A[l])`.
    fn backward(&mut self, n: usize) {
        let accumulate = if self.alpha / n as f32 > 0.0 { 1.0 } else { 0.0 };
        for l in (0..self.layers()).rev() {
            let (inp, out) = (self.units[l], self.units[l + 1]);
            self.backend.gemm(
                inp,
                out,
                n,
                1.0,
                &self.a[l],
                Trans::Yes,
                &self.delta[l],
                Trans::No,
                accumulate,
                &mut self.gw[l],
            );
            self.backend.col_sums(&self.delta[l], n, out, 1.0, &mut self.gb[l]);
            if l > 0 {
                let (lo, hi) = self.delta.split_at_mut(l);
                self.backend.gemm(n, inp, out, 1.0, &hi[0], Trans::No, &self.w[l], Trans::Yes, 0.0, &mut lo[l - 1]);
                self.backend.act_backward(&self.a[l], &mut lo[l - 1], n * inp, self.activation);
            }
        }
    }

    /// The fused Adam or SGD update of every parameter tensor.
    fn optimizer_step(&mut self, opt: &mut Optimizer<B>) {
        let layers = self.layers();
        match opt {
            Optimizer::Adam { m, v, t, lr_init, beta_1, beta_2, epsilon } => {
                *t += 1;
                let tt = *t as i32;
                let lr = *lr_init * (1.0 - beta_2.powi(tt)).sqrt() / (1.0 - beta_1.powi(tt));
                let step = AdamStep {
                    lr: lr as f32,
                    beta_1: *beta_1 as f32,
                    beta_2: *beta_2 as f32,
                    epsilon: *epsilon as f32,
                };
                for l in 0..layers {
                    let len = self.units[l] * self.units[l + 1];
                    self.backend.adam(&mut self.w[l], &self.gw[l], &mut m[l], &mut v[l], len, step);
                    self.backend.adam(
                        &mut self.b[l],
                        &self.gb[l],
                        &mut m[layers + l],
                        &mut v[layers + l],
                        self.units[l + 1],
                        step,
                    );
                }
            }
            Optimizer::Sgd { velocity, lr, momentum, nesterov } => {
                let step = SgdStep { lr: *lr as f32, momentum: *momentum as f32, nesterov: *nesterov };
                for l in 0..layers {
                    let len = self.units[l] * self.units[l + 1];
                    self.backend.sgd(&mut self.w[l], &self.gw[l], &mut velocity[l], len, step);
                    self.backend.sgd(&mut self.b[l], &self.gb[l], &mut velocity[layers + l], self.units[l + 1], step);
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Host-side access: per epoch and at the end of the fit.
    // ----------------------------------------------------------------------------------------

    /// Sets the loss accumulator to zero (start of an epoch).
    pub fn reset_loss(&mut self) {
        self.backend.fill(&mut self.loss, 1, 0.0);
    }

    /// Reads the loss accumulator.
    pub fn read_loss(&self) -> Result<f64> {
        self.backend.read_scalar(&self.loss)
    }

    /// Runs the forward pass over `order[range]` (at most `max_batch` rows) and copies the
    /// network's raw outputs (logits for classifiers) to `out`.
    pub fn predict_raw(
        &mut self,
        data: &DeviceData<B>,
        order: &B::Idx,
        range: Range<usize>,
        out: &mut [f32],
    ) -> Result<()> {
        let n = range.len();
        self.backend.gather_rows(&data.x, self.units[0], order, range, &mut self.a[0]);
        self.forward(n);
        let last = self.layers();
        self.backend.download(&self.a[last], &mut out[..n * self.units[last]])
    }

    /// Downloads the parameters: `(coefs, intercepts)`.
    pub fn read_params(&self) -> Result<HostParams> {
        self.download_all(&self.w, &self.b)
    }

    /// Downloads the last computed gradients: `(coef_grads, intercept_grads)`.
    pub fn read_gradients(&self) -> Result<HostParams> {
        self.download_all(&self.gw, &self.gb)
    }

    fn download_all(&self, w: &[B::Buf], b: &[B::Buf]) -> Result<HostParams> {
        let layers = self.layers();
        let mut coefs = Vec::with_capacity(layers);
        let mut intercepts = Vec::with_capacity(layers);
        for l in 0..layers {
            let mut c = vec![0.0; self.units[l] * self.units[l + 1]];
            self.backend.download(&w[l], &mut c)?;
            let mut i = vec![0.0; self.units[l + 1]];
            self.backend.download(&b[l], &mut i)?;
            coefs.push(c);
            intercepts.push(i);
        }
        Ok((coefs, intercepts))
    }

    /// Overwrites the parameters from the host (restoring the best epoch's weights).
    pub fn write_params(&mut self, coefs: &[Vec<f32>], intercepts: &[Vec<f32>]) -> Result<()> {
        for l in 0..self.layers() {
            self.backend.write(&mut self.w[l], &coefs[l])?;
            self.backend.write(&mut self.b[l], &intercepts[l])?;
        }
        Ok(())
    }
}

/// A fitted network's forward pass on a backend, for prediction: the weights are uploaded once,
/// the inputs go through in batches of at most [`Predictor::batch`] rows (sized so that every
/// activation buffer fits the backend's [`Backend::max_buffer_len`]).
#[derive(Debug)]
pub struct Predictor<B: Backend> {
    backend: B,
    units: Vec<usize>,
    activation: Activation,
    batch: usize,
    w: Vec<B::Buf>,
    b: Vec<B::Buf>,
    a: Vec<B::Buf>,
}

impl<B: Backend> Predictor<B> {
    /// Uploads the parameters (`coefs[l]` row-major, `intercepts[l]`) and allocates the
    /// activations for batches of `min(max_rows, max_buffer_len / widest layer)` rows. A
    /// layer wider than the backend's buffer limit is an [`Error::InvalidInput`].
    pub fn new(
        backend: B,
        units: &[usize],
        activation: Activation,
        coefs: &[Vec<f32>],
        intercepts: &[Vec<f32>],
        max_rows: usize,
    ) -> Result<Self> {
        let layers = units.len() - 1;
        assert!(coefs.len() == layers && intercepts.len() == layers, "one weight matrix and bias per layer");
        let widest = units.iter().copied().max().unwrap_or(1).max(1);
        let limit = backend.max_buffer_len();
        if widest > limit {
            return Err(Error::InvalidInput(format!(
                "device {}: a layer of {widest} units does not fit one device buffer of at most {limit} values",
                backend.device()
            )));
        }
        let batch = max_rows.min(limit / widest).max(1);
        let mut w = Vec::with_capacity(layers);
        let mut b = Vec::with_capacity(layers);
        for l in 0..layers {
            assert_eq!(coefs[l].len(), units[l] * units[l + 1], "coefs[{l}] shape");
            assert_eq!(intercepts[l].len(), units[l + 1], "intercepts[{l}] shape");
            w.push(backend.upload(&coefs[l])?);
            b.push(backend.upload(&intercepts[l])?);
        }
        let a = units.iter().map(|&u| backend.zeros(batch * u)).collect::<Result<Vec<_>>>()?;
        Ok(Predictor { backend, units: units.to_vec(), activation, batch, w, b, a })
    }

    /// The most rows one [`Predictor::forward`] call takes.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The raw outputs (logits for classifiers: the output non-linearity is the caller's) of
    /// the rows `x` (`rows x units[0]`, row-major, `rows <= batch()`), written to `out`
    /// (`rows x n_out`).
    ///
    /// The products always run over all `batch()` rows (the rows past `x` are padding whose
    /// outputs are dropped): a GPU library picks its GEMM kernel, and so the order of each
    /// dot product's additions, by the matrix shape, and a fixed shape makes every row's
    /// result the same whatever else is in its batch (scikit-learn's batch invariance).
    pub fn forward(&mut self, x: &[f32], out: &mut [f32]) -> Result<()> {
        self.start(x)?;
        self.finish(out)
    }

    /// The first half of [`Predictor::forward`]: sends `x` and starts the forward pass without
    /// waiting for it (the host can prepare the next batch meanwhile); [`Predictor::finish`]
    /// waits and brings the outputs back.
    pub fn start(&mut self, x: &[f32]) -> Result<()> {
        let rows = x.len() / self.units[0].max(1);
        assert!(rows <= self.batch, "{rows} rows exceed the prediction batch of {}", self.batch);
        let layers = self.units.len() - 1;
        self.backend.write(&mut self.a[0], x)?;
        for l in 0..layers {
            let (inp, width) = (self.units[l], self.units[l + 1]);
            let act = if l + 1 == layers { Activation::Identity } else { self.activation };
            let (lo, hi) = self.a.split_at_mut(l + 1);
            let m = self.batch;
            self.backend.gemm(m, width, inp, 1.0, &lo[l], Trans::No, &self.w[l], Trans::No, 0.0, &mut hi[0]);
            self.backend.bias_act(&mut hi[0], m, width, &self.b[l], act);
        }
        self.backend.submit();
        Ok(())
    }

    /// Waits for the pass [`Predictor::start`] began and writes the raw outputs of its rows
    /// (`out.len() / n_out` of them, at most [`Predictor::batch`]) to `out`.
    pub fn finish(&mut self, out: &mut [f32]) -> Result<()> {
        let layers = self.units.len() - 1;
        let n_out = self.units[layers];
        let rows = (out.len() / n_out.max(1)).min(self.batch);
        self.backend.download(&self.a[layers], &mut out[..rows * n_out])
    }
}

/// Host-side targets handed to [`Network::upload_data`].
#[derive(Debug, Clone, Copy)]
pub enum HostTargets<'a> {
    /// Class indices.
    Classes(&'a [u32]),
    /// Real values, row-major.
    Values(&'a [f32]),
}

impl<B: Backend> Optimizer<B> {
    /// Downloads the state for a fitted model (warm start, `partial_fit`, serde).
    pub fn save(&self, backend: &B, lens: &[usize]) -> Result<OptimizerState> {
        let download = |bufs: &[B::Buf]| -> Result<Vec<Vec<f32>>> {
            bufs.iter()
                .zip(lens)
                .map(|(b, &len)| {
                    let mut host = vec![0.0; len];
                    backend.download(b, &mut host)?;
                    Ok(host)
                })
                .collect()
        };
        Ok(match self {
            Optimizer::Adam { m, v, t, .. } => OptimizerState::Adam { t: *t, m: download(m)?, v: download(v)? },
            Optimizer::Sgd { velocity, lr, .. } => OptimizerState::Sgd { lr: *lr, velocity: download(velocity)? },
        })
    }
}

/// An optimizer's state on the host, kept by fitted models so that `partial_fit` continues where
/// the last call stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OptimizerState {
    /// Adam's step count and moments.
    Adam {
        /// Steps taken.
        t: u64,
        /// First moments.
        m: Vec<Vec<f32>>,
        /// Second moments.
        v: Vec<Vec<f32>>,
    },
    /// SGD's current learning rate and velocities.
    Sgd {
        /// Current learning rate.
        lr: f64,
        /// Velocities.
        velocity: Vec<Vec<f32>>,
    },
}
