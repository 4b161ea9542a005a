//! The [`Backend`] trait: the matrix kernels one training step is made of, over buffers that
//! live in the backend's memory.
//!
//! The trait is written for devices whose memory the host cannot touch (wgpu, CUDA), and the CPU
//! backend follows the same rules:
//!
//! - buffers are opaque handles ([`Backend::Buf`] for f32 values, [`Backend::Idx`] for u32
//!   indices) with no host view; data crosses the boundary only through [`Backend::upload`],
//!   [`Backend::write`], [`Backend::write_idx`], [`Backend::download`] and
//!   [`Backend::read_scalar`], which a fit calls before and after training, once per epoch
//!   (the shuffled order, the epoch loss, a validation pass), never per step;
//! - every per-step kernel takes handles and sizes only. Buffers are allocated for the largest
//!   minibatch and kernels are told how many rows are live, so the training loop allocates
//!   nothing;
//! - the loss is accumulated in a device scalar and read once per epoch, so a GPU step never
//!   waits for the host.
//!
//! Matrices are row-major. Shapes are internal invariants: a kernel called with buffers too
//! small for the sizes it is given may panic (CPU) or fault (GPU); the network code in
//! [`crate::network`] sizes everything once.

pub mod cpu;
#[cfg(feature = "cuda")]
pub mod cuda;
pub mod wgpu;

use std::fmt::Debug;
use std::ops::Range;

use oxlearn_core::Result;
use serde::{Deserialize, Serialize};

use crate::device::Device;

/// A hidden-layer activation function (scikit-learn's `activation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `f(x) = x`.
    Identity,
    /// `f(x) = 1 / (1 + exp(-x))`.
    Logistic,
    /// `f(x) = tanh(x)`.
    Tanh,
    /// `f(x) = max(0, x)` (the default).
    #[default]
    Relu,
}

impl Activation {
    /// The scikit-learn spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Logistic => "logistic",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
        }
    }

    /// `f(z)`.
    #[inline(always)]
    pub fn apply(self, z: f32) -> f32 {
        match self {
            Activation::Identity => z,
            Activation::Logistic => logistic(z),
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
        }
    }

    /// `f'(z)` written in terms of the activation `a = f(z)`, as scikit-learn's derivatives are
    /// (ReLU: `a > 0`; logistic: `a (1 - a)`; tanh: `1 - a^2`).
    #[inline(always)]
    pub fn derivative_from_output(self, a: f32) -> f32 {
        match self {
            Activation::Identity => 1.0,
            Activation::Logistic => a * (1.0 - a),
            Activation::Tanh => 1.0 - a * a,
            Activation::Relu => {
                if a > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// The numerically safe logistic function.
#[inline(always)]
pub fn logistic(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Whether a GEMM operand is read transposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trans {
    /// Use the matrix as stored.
    No,
    /// Use its transpose.
    Yes,
}

/// The scalars of one fused Adam update (scikit-learn's `AdamOptimizer`): with the step's
/// bias-corrected rate `lr = lr_init * sqrt(1 - beta_2^t) / (1 - beta_1^t)`,
/// `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`, `p -= lr m / (sqrt(v) + eps)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    /// The bias-corrected learning rate of this step.
    pub lr: f32,
    /// Decay of the first moment.
    pub beta_1: f32,
    /// Decay of the second moment.
    pub beta_2: f32,
    /// Added to `sqrt(v)`.
    pub epsilon: f32,
}

/// The scalars of one fused SGD update (scikit-learn's `SGDOptimizer`):
/// `vel = momentum vel - lr g`; `p += vel` (classical) or `p += momentum vel - lr g` (Nesterov).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdStep {
    /// The learning rate of this step.
    pub lr: f32,
    /// Momentum in `[0, 1]`.
    pub momentum: f32,
    /// Nesterov's momentum.
    pub nesterov: bool,
}

/// What a replayed training step reads from the device instead of from its arguments (see
/// [`Backend::begin_recording`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplaySpec {
    /// Rows per replayed step: each replay gathers `order[cursor..cursor + batch]`, then
    /// advances the cursor by `batch`.
    pub batch: usize,
    /// Adam's schedule `(lr_init, beta_1, beta_2)`: each replay increments the step count `t`
    /// and updates with `lr_init * sqrt(1 - beta_2^t) / (1 - beta_1^t)` (the value
    /// [`AdamStep::lr`] carries on the eager path). `None`: the optimizer's scalars are
    /// recorded as given (SGD, whose rate only changes between epochs).
    pub adam: Option<(f64, f64, f64)>,
}

/// The matrix kernels of backpropagation, over device-resident buffers.
///
/// One implementation per device; the network and training loop in this crate are written once
/// against this trait. See the [module docs](self) for the memory rules.
pub trait Backend: Debug + Send + Sync {
    /// A buffer of f32 values in the backend's memory.
    type Buf: Debug + Send + Sync;
    /// A buffer of u32 indices (minibatch orders, class labels) in the backend's memory.
    type Idx: Debug + Send + Sync;

    /// The device this backend computes on.
    fn device(&self) -> Device;

    // ----- memory: setup, once per epoch, teardown -----

    /// A zeroed buffer of `len` values.
    fn zeros(&self, len: usize) -> Result<Self::Buf>;
    /// A buffer holding `host`.
    fn upload(&self, host: &[f32]) -> Result<Self::Buf>;
    /// Overwrites the first `host.len()` values of `dst`.
    fn write(&self, dst: &mut Self::Buf, host: &[f32]) -> Result<()>;
    /// Copies the first `host.len()` values of `src` to the host.
    fn download(&self, src: &Self::Buf, host: &mut [f32]) -> Result<()>;
    /// Reads value 0 of `src` (the loss accumulator), widened to f64.
    fn read_scalar(&self, src: &Self::Buf) -> Result<f64>;
    /// A buffer holding the indices `host`.
    fn upload_idx(&self, host: &[u32]) -> Result<Self::Idx>;
    /// Overwrites the first `host.len()` indices of `dst` (the shuffled order, once per epoch).
    fn write_idx(&self, dst: &mut Self::Idx, host: &[u32]) -> Result<()>;
    /// The most values one buffer may hold: [`Backend::zeros`] and [`Backend::upload`] fail
    /// beyond it (wgpu: the adapter's largest storage binding), so a caller sizes its batches
    /// by it. Unbounded by default.
    fn max_buffer_len(&self) -> usize {
        usize::MAX
    }
    /// Uploads training data that only the source side of [`Backend::gather_rows`] reads
    /// (and [`Backend::write`] / [`Backend::download`]); a backend may split it over several
    /// device buffers to stay within [`Backend::max_buffer_len`]. By default [`Backend::upload`].
    fn upload_data(&self, host: &[f32]) -> Result<Self::Buf> {
        self.upload(host)
    }
    /// The same for index data that only the source side of [`Backend::gather_idx`] reads.
    fn upload_data_idx(&self, host: &[u32]) -> Result<Self::Idx> {
        self.upload_idx(host)
    }

    // ----- kernels: the per-step API (handles and sizes only) -----

    /// Sets the first `len` values of `dst` to `value`.
    fn fill(&self, dst: &mut Self::Buf, len: usize, value: f32);
    /// `dst[..len] = alpha * src[..len]`.
    fn scale_copy(&self, src: &Self::Buf, alpha: f32, dst: &mut Self::Buf, len: usize);
    /// The minibatch gather: row `i` of `dst` (`cols` wide) becomes row `order[range.start + i]`
    /// of `src`, for `i < range.len()`.
    fn gather_rows(&self, src: &Self::Buf, cols: usize, order: &Self::Idx, range: Range<usize>, dst: &mut Self::Buf);
    /// The same gather for index data (class labels): `dst[i] = src[order[range.start + i]]`.
    fn gather_idx(&self, src: &Self::Idx, order: &Self::Idx, range: Range<usize>, dst: &mut Self::Idx);
    /// `C = alpha op(A) op(B) + beta C`, where `op(A)` is `m x k`, `op(B)` is `k x n` and `C` is
    /// `m x n`, all row-major and packed. With `beta = 0`, `C` is not read.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        &self,
        m: usize,
        n: usize,
        k: usize,
        alpha: f32,
        a: &Self::Buf,
        ta: Trans,
        b: &Self::Buf,
        tb: Trans,
        beta: f32,
        c: &mut Self::Buf,
    );
    /// The fused forward epilogue: `z[r, c] = act(z[r, c] + bias[c])` over `rows x cols`.
    fn bias_act(&self, z: &mut Self::Buf, rows: usize, cols: usize, bias: &Self::Buf, act: Activation);
    /// The activation backward: `delta[i] *= act'(a[i])` over `len` values, where `a` holds
    /// the layer's activations (the derivative is written in terms of them).
    fn act_backward(&self, a: &Self::Buf, delta: &mut Self::Buf, len: usize, act: Activation);
    /// Fused softmax + cross-entropy: for logits `z` (`rows x cols`) and class indices `labels`,
    /// `loss[0] += sum_r -log softmax(z_r)[label_r]` and `grad = scale (softmax(z) - onehot)`.
    #[allow(clippy::too_many_arguments)]
    fn softmax_xent(
        &self,
        z: &Self::Buf,
        labels: &Self::Idx,
        rows: usize,
        cols: usize,
        scale: f32,
        grad: &mut Self::Buf,
        loss: &mut Self::Buf,
    );
    /// Fused logistic + binary cross-entropy for one output column (two classes, as
    /// scikit-learn): `loss[0] += sum_r -[y log p + (1 - y) log(1 - p)]`, `grad = scale (p - y)`
    /// with `p = logistic(z)`.
    fn logistic_xent(
        &self,
        z: &Self::Buf,
        labels: &Self::Idx,
        rows: usize,
        scale: f32,
        grad: &mut Self::Buf,
        loss: &mut Self::Buf,
    );
    /// Squared error: `loss[0] += sum (pred - target)^2 / (2 cols)` (scikit-learn's
    /// `squared_loss` times the rows) and `grad = scale (pred - target)` over `rows x cols`.
    #[allow(clippy::too_many_arguments)]
    fn squared_error(
        &self,
        pred: &Self::Buf,
        target: &Self::Buf,
        rows: usize,
        cols: usize,
        scale: f32,
        grad: &mut Self::Buf,
        loss: &mut Self::Buf,
    );
    /// Bias gradients: `out[c] = alpha * sum_r m[r, c]` over `rows x cols`.
    fn col_sums(&self, m: &Self::Buf, rows: usize, cols: usize, alpha: f32, out: &mut Self::Buf);
    /// The L2 term: `loss[0] += scale * sum x[i]^2` over `len` values.
    fn sum_squares(&self, x: &Self::Buf, len: usize, scale: f32, loss: &mut Self::Buf);
    /// One fused Adam update of `len` parameters.
    fn adam(
        &self,
        param: &mut Self::Buf,
        grad: &Self::Buf,
        m: &mut Self::Buf,
        v: &mut Self::Buf,
        len: usize,
        step: AdamStep,
    );
    /// One fused SGD (momentum / Nesterov) update of `len` parameters.
    fn sgd(&self, param: &mut Self::Buf, grad: &Self::Buf, velocity: &mut Self::Buf, len: usize, step: SgdStep);
    /// Waits for queued work (a no-op on the CPU).
    fn synchronize(&self) -> Result<()> {
        Ok(())
    }
    /// Starts the work recorded so far without waiting for it, so the host can prepare the
    /// next batch meanwhile: a backend that collects kernels before sending them (wgpu)
    /// submits them; the others (CPU, and CUDA, whose launches already run asynchronously) do
    /// nothing.
    fn submit(&self) {}

    // ----------------------------------------------------------------------------------------
    // Step replay (CUDA graphs): record one training step's kernels once, launch them as one
    // unit per step. Optional: the defaults say "not supported" and the network runs eagerly.
    // ----------------------------------------------------------------------------------------

    /// Starts recording the kernels of one training step instead of running them, and returns
    /// `true`; `false` (the default) when this backend cannot replay, and nothing changes.
    ///
    /// While recording, [`Backend::gather_rows`] and [`Backend::gather_idx`] take their first
    /// row from the replay cursor instead of `range.start` (the range's length still counts),
    /// and, when `spec.adam` is set, [`Backend::adam`] takes its rate from the replay's step
    /// count instead of [`AdamStep::lr`]. Every buffer the recorded calls touch must stay alive
    /// and in place for as long as the recording is replayed.
    fn begin_recording(&self, spec: ReplaySpec) -> Result<bool> {
        let _ = spec;
        Ok(false)
    }

    /// Ends the recording that [`Backend::begin_recording`] started and prepares its replay
    /// (replacing an earlier recording). On an error nothing is recorded and the backend runs
    /// eagerly as before.
    fn end_recording(&self) -> Result<()> {
        Ok(())
    }

    /// Sets the replay cursor (the first row, in the order buffer, of the next replayed batch)
    /// and the number of Adam steps taken so far.
    fn seek_replay(&self, cursor: usize, t: u64) -> Result<()> {
        let _ = (cursor, t);
        Ok(())
    }

    /// Runs the recorded step once (then `cursor += batch`, `t += 1`).
    fn replay(&self) -> Result<()> {
        Err(oxlearn_core::Error::Unsupported {
            estimator: "oxlearn-nn".to_string(),
            operation: "step replay on a backend that records none",
        })
    }
}
