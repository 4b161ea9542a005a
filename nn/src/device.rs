//! Where an MLP trains: the [`Device`] enum and how `Auto` resolves.

use std::fmt;

use oxlearn_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// The hardware an MLP trains on.
///
/// `Cpu` is always available. `Wgpu` and `Cuda` name backends that a later version of this crate
/// adds behind cargo features; asking for them in this version is an
/// [`Error::Unsupported`] naming the missing backend. `Auto` picks the best backend built in and
/// present: in this version, always the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// The CPU backend: f32 kernels, GEMM from the `gemm` crate, rayon threads.
    Cpu,
    /// A GPU through wgpu (Vulkan, Metal, DX12, GL). Not built in this version.
    Wgpu,
    /// An NVIDIA GPU through CUDA. Not built in this version.
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
            Device::Cuda => "cuda",
            Device::Auto => "auto",
        }
    }

    /// Parses the spelling of [`as_str`](Self::as_str).
    pub fn parse(name: &str) -> Result<Device> {
        match name {
            "cpu" => Ok(Device::Cpu),
            "wgpu" => Ok(Device::Wgpu),
            "cuda" => Ok(Device::Cuda),
            "auto" => Ok(Device::Auto),
            other => Err(Error::invalid_param(
                "device",
                format!(
                    "unknown device {other:?}; expected \"cpu\", \"wgpu\", \"cuda\" or \"auto\""
                ),
            )),
        }
    }

    /// The concrete device a fit runs on: `Auto` resolves to the best backend built in (the CPU
    /// in this version); a backend that is not built in is an [`Error::Unsupported`].
    pub fn resolve(self, estimator: &'static str) -> Result<Device> {
        match self {
            Device::Cpu | Device::Auto => Ok(Device::Cpu),
            Device::Wgpu => Err(Error::Unsupported {
                estimator: estimator.to_string(),
                operation: "device wgpu: the wgpu backend is not built in this version of oxlearn-nn",
            }),
            Device::Cuda => Err(Error::Unsupported {
                estimator: estimator.to_string(),
                operation: "device cuda: the CUDA backend is not built in this version of oxlearn-nn",
            }),
        }
    }
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
    fn auto_falls_back_to_cpu_and_gpus_are_typed_errors() {
        assert_eq!(Device::Auto.resolve("MlpClassifier").unwrap(), Device::Cpu);
        assert_eq!(Device::Cpu.resolve("MlpClassifier").unwrap(), Device::Cpu);
        let err = Device::Cuda.resolve("MlpClassifier").unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }));
        assert!(
            err.to_string().contains("not built in this version"),
            "{err}"
        );
        assert!(Device::Wgpu.resolve("MlpRegressor").is_err());
        assert_eq!(Device::parse("cuda").unwrap(), Device::Cuda);
        assert!(Device::parse("tpu").is_err());
        assert_eq!(Device::Auto.to_string(), "auto");
    }
}
