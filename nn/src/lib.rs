//! # oxlearn-nn
//!
//! Multi-layer perceptrons trained by backpropagation, with scikit-learn's `MLPClassifier` /
//! `MLPRegressor` parameters and semantics: [`MlpClassifier`] and [`MlpRegressor`].
//!
//! Training runs over the [`Backend`](backend::Backend) trait: a small set of matrix kernels
//! (GEMM with transpose flags, fused bias + activation, activation backward, fused softmax +
//! cross-entropy, squared error, column sums, the L2 term, fused Adam and SGD updates) over
//! buffers that stay in the backend's memory for the whole fit; per step only minibatch index
//! ranges cross over. One step of [`Network::train_step`](network::Network::train_step) reads as
//! the algorithm: gather, forward pass, loss, gradient reset, backward pass, optimizer step.
//!
//! Three backends implement it: the CPU ([`CpuBackend`](backend::cpu::CpuBackend): f32 compute,
//! GEMM from the `gemm` crate, rayon threads bounded by `n_jobs`), wgpu
//! ([`WgpuBackend`](backend::wgpu::WgpuBackend): WGSL compute shaders on Vulkan / Metal / DX12 /
//! GL, always built) and CUDA (`backend::cuda::CudaBackend`: cuBLAS plus NVRTC-compiled
//! kernels, cargo feature `cuda`, driver loaded at run time). [`Device`] picks one:
//! [`Device::Auto`] takes CUDA, else a hardware wgpu adapter, else the CPU, and never a
//! software adapter; [`Device::WgpuAny`] names software adapters (lavapipe) explicitly. A
//! device that is not built in or not present is an
//! [`Error::Unsupported`](oxlearn_core::Error::Unsupported). Prediction runs on the configured
//! device when it is present (a GPU: f32 forward passes in batches, the weights uploaded once),
//! else on the CPU in f64, so a model trained on a GPU predicts anywhere after loading;
//! `set_predict_device` on a fitted model chooses explicitly.
//!
//! ```
//! use oxlearn_core::prelude::*;
//! use oxlearn_nn::{Activation, Device, MlpClassifier};
//!
//! let x = ndarray::Array2::from_shape_fn((40, 2), |(i, j)| ((i * 3 + j * 5) % 10) as f64 / 5.0 - 1.0);
//! let y: Vec<i64> = x.rows().into_iter().map(|r| i64::from(r[0] + r[1] > 0.0)).collect();
//! let mlp = MlpClassifier::default()
//!     .hidden_layer_sizes([32, 16])
//!     .activation(Activation::Tanh)
//!     .learning_rate_init(0.01)
//!     .max_iter(200)
//!     .device(Device::Auto)
//!     .seed(0)
//!     .fit(&x, &y)?;
//! println!("trained on {}, {} epochs, final loss {:?}", mlp.device(), mlp.n_iter(), mlp.loss());
//! assert!(mlp.score(&x, &y)? > 0.9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Cargo features: `cuda` (the CUDA backend; builds without a CUDA toolkit).

pub mod backend;
pub mod device;
pub mod mlp;
pub mod network;
pub mod params;
mod train;

pub use backend::Activation;
pub use device::Device;
pub use mlp::{FittedMlpClassifier, FittedMlpRegressor, MlpClassifier, MlpRegressor};
pub use params::{LearningRate, MlpConfig, Solver};
