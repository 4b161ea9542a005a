//! Where an MLP trains: the [`Device`] enum and how `Auto` resolves.

use std::fmt;

use oxlearn_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// The hardware an MLP trains on.
///
/// - `Cpu`: always available.
/// - `Wgpu`: a hardware GPU adapter through wgpu (Vulkan, Metal, DX12, GL): discrete first,
///   then integrated. Software rasterizers (Mesa's lavapipe / llvmpipe) are never picked; with
///   no hardware adapter this is an [`Error::Unsupported`].
/// - `WgpuAny`: any wgpu adapter, software rasterizers included (hardware still preferred).
///   This is how a user (or the CI test suite, on lavapipe) names a software adapter
///   explicitly; it is slow (well under 1 GFLOP/s on lavapipe).
/// - `Cuda`: an NVIDIA GPU through CUDA (cargo feature `cuda`; the driver is loaded at run
///   time). Without the feature, or without a driver, an [`Error::Unsupported`].
/// - `Auto` (the default): CUDA when built in and a GPU is present, else a hardware wgpu
///   adapter, else the CPU. Never a software adapter.
///
/// The fitted model's `device()` says which concrete device trained it. Prediction runs on the
/// configured device when it resolves (a GPU: f32 batches) and on the CPU in f64 otherwise, so
/// a model trained on a GPU predicts anywhere; `set_predict_device` on the fitted model
/// overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// The CPU backend: f32 kernels, GEMM from the `gemm` crate, rayon threads.
    Cpu,
    /// A hardware GPU through wgpu (Vulkan, Metal, DX12, GL); never a software adapter.
    Wgpu,
    /// Any wgpu adapter, software ones (lavapipe, llvmpipe) included; hardware preferred.
    #[serde(rename = "wgpu-any")]
    WgpuAny,
    /// An NVIDIA GPU through CUDA (cargo feature `cuda`).
    Cuda,
    /// CUDA if built and present, else a GPU through wgpu, else the CPU (the default).
    #[default]
    Auto,
}

impl Device {
    /// The scikit-learn-style spelling ("cpu", "wgpu", "cuda", "auto").
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Wgpu => "wgpu",
            Device::WgpuAny => "wgpu-any",
            Device::Cuda => "cuda",
            Device::Auto => "auto",
        }
    }

    /// Parses the spelling of [`as_str`](Self::as_str).
    pub fn parse(name: &str) -> Result<Device> {
        match name {
            "cpu" => Ok(Device::Cpu),
            "wgpu" => Ok(Device::Wgpu),
            "wgpu-any" => Ok(Device::WgpuAny),
            "cuda" => Ok(Device::Cuda),
            "auto" => Ok(Device::Auto),
            other => Err(Error::invalid_param(
                "device",
                format!("unknown device {other:?}; expected \"cpu\", \"wgpu\", \"wgpu-any\", \"cuda\" or \"auto\""),
            )),
        }
    }

    /// The concrete device a fit runs on: `Auto` resolves to CUDA (when built in and a GPU is
    /// present), else a hardware wgpu adapter, else the CPU; a named device that is not built in
    /// or not present is an [`Error::Unsupported`] saying why. Opening a GPU (adapter lookup,
    /// kernel compilation) happens once per process; later calls are cheap.
    pub fn resolve(self, estimator: &'static str) -> Result<Device> {
        let named = |e: Error| match e {
            Error::Unsupported { operation, .. } => Error::Unsupported { estimator: estimator.to_string(), operation },
            other => other,
        };
        match self {
            Device::Cpu => Ok(Device::Cpu),
            Device::Wgpu => {
                crate::backend::wgpu::WgpuContext::get(crate::backend::wgpu::AdapterChoice::Hardware).map_err(named)?;
                Ok(Device::Wgpu)
            }
            Device::WgpuAny => {
                crate::backend::wgpu::WgpuContext::get(crate::backend::wgpu::AdapterChoice::Any).map_err(named)?;
                Ok(Device::WgpuAny)
            }
            Device::Cuda => {
                cuda_available().map_err(named)?;
                Ok(Device::Cuda)
            }
            Device::Auto => {
                if cuda_available().is_ok() {
                    Ok(Device::Cuda)
                } else if crate::backend::wgpu::WgpuContext::get(crate::backend::wgpu::AdapterChoice::Hardware).is_ok()
                {
                    Ok(Device::Wgpu)
                } else {
                    Ok(Device::Cpu)
                }
            }
        }
    }
}

#[cfg(feature = "cuda")]
fn cuda_available() -> Result<()> {
    crate::backend::cuda::CudaContext::get().map(|_| ())
}

#[cfg(not(feature = "cuda"))]
fn cuda_available() -> Result<()> {
    Err(Error::Unsupported {
        estimator: String::new(),
        operation: "device cuda: the CUDA backend is not built in this version of oxlearn-nn (enable the cargo feature `cuda`)",
    })
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_never_fails_and_missing_gpus_are_typed_errors() {
        // Auto resolves to something on every machine; the CPU always works.
        let auto = Device::Auto.resolve("MlpClassifier").unwrap();
        assert!(matches!(auto, Device::Cpu | Device::Wgpu | Device::Cuda));
        assert_eq!(Device::Cpu.resolve("MlpClassifier").unwrap(), Device::Cpu);
        #[cfg(not(feature = "cuda"))]
        {
            let err = Device::Cuda.resolve("MlpClassifier").unwrap_err();
            assert!(matches!(err, Error::Unsupported { .. }));
            assert!(err.to_string().contains("not built in this version"), "{err}");
        }
        assert_eq!(Device::parse("cuda").unwrap(), Device::Cuda);
        assert_eq!(Device::parse("wgpu-any").unwrap(), Device::WgpuAny);
        assert_eq!(Device::WgpuAny.to_string(), "wgpu-any");
        assert!(Device::parse("tpu").is_err());
        assert_eq!(Device::Auto.to_string(), "auto");
    }
}
