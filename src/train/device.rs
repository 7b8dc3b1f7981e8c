//! Where a run trains. libtorch's CUDA half (libtorch_cuda, and the CUDA libraries it brings) is
//! not linked: it would cost every run some 300 MB of memory and a quarter of a second of loading,
//! CPU runs included. `--device cuda` or `auto` loads it, from the folder the binary finds
//! libtorch in, before anything asks libtorch about CUDA (which remembers the first answer).

use super::settings::DeviceArg;
use anyhow::{bail, Result};
use tch::Device;

pub fn resolve_device(arg: DeviceArg) -> Result<Device> {
    if arg != DeviceArg::Cpu && !load_cuda() {
        return match arg {
            DeviceArg::Cuda => bail!("--device cuda: this libtorch has no CUDA (libtorch_cuda could not be loaded; use --device cpu)"),
            _ => Ok(Device::Cpu),
        };
    }
    match arg {
        DeviceArg::Cpu => Ok(Device::Cpu),
        DeviceArg::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        DeviceArg::Cuda => bail!("--device cuda: no CUDA GPU is available to libtorch here (use --device cpu or auto)"),
        DeviceArg::Auto => Ok(Device::cuda_if_available()),
    }
}

/// Loads libtorch_cuda (once), so that libtorch registers its CUDA backend; whether it did.
pub fn load_cuda() -> bool {
    static LOADED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *LOADED.get_or_init(|| {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: dlopen of a library by name, kept loaded for the life of the process.
            let handle = unsafe { libc::dlopen(c"libtorch_cuda.so".as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
            !handle.is_null() && tch::utils::has_cudart()
        }
        #[cfg(not(target_os = "linux"))]
        false
    })
}
