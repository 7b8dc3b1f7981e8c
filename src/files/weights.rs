//! Weights that travel: safetensors with PyTorch's state_dict names, the libtorch archive
//! (`.ot`, read in Python by `torch.jit.load`), and PyTorch's own `torch.save(state_dict)` `.pt`.

use super::atomic::atomic_write;
use crate::first_line;
use crate::model::PARAM_NAMES;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;
use std::path::Path;
use tch::{Kind, Tensor};

/// Reads the four named tensors of a weights file, whatever its format (by extension).
pub fn read_named(path: &Path) -> Result<HashMap<String, Tensor>> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read weights file {}", path.display()))?;
    if !meta.is_file() {
        bail!("weights file {} is not a regular file", path.display());
    }
    // The readers load the whole file; refuse what no model of ours could need.
    const MAX_BYTES: u64 = 4 << 30;
    if meta.len() > MAX_BYTES {
        bail!("weights file {} is {} bytes, over the 4 GiB this tool reads", path.display(), meta.len());
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let named = match ext.as_str() {
        "safetensors" => {
            Tensor::read_safetensors(path).map_err(|e| anyhow!("{}: not a valid safetensors file: {}", path.display(), first_line(e)))?
        }
        "pt" | "pth" | "bin" => {
            if !starts_with(path, b"PK\x03\x04")? {
                bail!("{}: not a PyTorch zip archive (expected what torch.save(model.state_dict(), path) writes)", path.display());
            }
            Tensor::loadz_multi(path)
                .map_err(|e| anyhow!("{}: cannot load as a torch.save state_dict: {}", path.display(), first_line(e)))?
        }
        "ot" => {
            if !starts_with(path, b"PK\x03\x04")? {
                bail!("{}: not a libtorch archive (.ot files are zip archives)", path.display());
            }
            Tensor::load_multi(path).map_err(|e| anyhow!("{}: cannot load as a libtorch archive: {}", path.display(), first_line(e)))?
        }
        _ => bail!("{}: unknown weights format; use .safetensors, .pt (torch.save of a state_dict) or .ot", path.display()),
    };
    Ok(named.into_iter().collect())
}

fn starts_with(path: &Path, magic: &[u8]) -> Result<bool> {
    use std::io::Read;
    let mut head = vec![0u8; magic.len()];
    let mut f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let n = f.read(&mut head).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(n == magic.len() && head == magic)
}

/// The four tensors of a weights file, in state_dict order, checked for names and dtype (their
/// shapes: `sizes_of`, or `RNN::copy_parameters`).
pub fn read_params(path: &Path) -> Result<Vec<(String, Tensor)>> {
    let mut named = read_named(path)?;
    let mut out = Vec::new();
    for name in PARAM_NAMES {
        let t = named.remove(name).ok_or_else(|| {
            let mut found: Vec<_> = named.keys().cloned().collect();
            found.sort();
            anyhow!(
                "{}: missing tensor {name} (found: {})",
                path.display(),
                if found.is_empty() { "none".into() } else { found.join(", ") }
            )
        })?;
        if t.kind() != Kind::Float {
            bail!("{}: tensor {name} has dtype {:?}; expected float32", path.display(), t.kind());
        }
        out.push((name.to_string(), t));
    }
    Ok(out)
}

/// The model's sizes, read off its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Features in, and out: the model predicts the next point of the series.
    pub features: i64,
    pub hidden: i64,
}

/// The sizes a weights file's tensors agree on, or an error naming the tensor that does not fit.
pub fn sizes_of(path: &Path, params: &[(String, Tensor)]) -> Result<Sizes> {
    let w = params[0].1.size();
    if w.len() != 2 || w[1] <= w[0] {
        bail!("{}: get_ht.weight has shape {:?}; expected [hidden, hidden + input]", path.display(), w);
    }
    let (hidden, input) = (w[0], w[1] - w[0]);
    let output = params[2].1.size().first().copied().unwrap_or(0);
    let expect = [vec![hidden, hidden + input], vec![hidden], vec![output, hidden + input], vec![output]];
    for ((name, t), want) in params.iter().zip(expect.iter()) {
        if &t.size() != want {
            bail!("{}: tensor {name} has shape {:?}; expected {:?}", path.display(), t.size(), want);
        }
    }
    if output != input {
        bail!("{}: the model maps {input} features to {output}; a next-step predictor needs them equal", path.display());
    }
    Ok(Sizes { features: input, hidden })
}

/// The parameters (state_dict order) with their names, on the CPU.
fn cpu_params(params: &[Tensor]) -> Vec<(&'static str, Tensor)> {
    PARAM_NAMES.iter().zip(params).map(|(n, t)| (*n, t.detach().to_device(tch::Device::Cpu).contiguous())).collect()
}

/// The parameters `params`, in state_dict order, as safetensors.
pub fn save_safetensors(params: &[Tensor], path: &Path) -> Result<()> {
    let params = cpu_params(params);
    atomic_write(path, |tmp| Tensor::write_safetensors(&params, tmp).map_err(|e| anyhow!(first_line(e))))
}

/// The libtorch archive (`torch::save` of named tensors); tch stores `.` as `|` in names.
pub fn save_ot(params: &[Tensor], path: &Path) -> Result<()> {
    let params = cpu_params(params);
    atomic_write(path, |tmp| Tensor::save_multi(&params, tmp).map_err(|e| anyhow!(first_line(e))))
}
