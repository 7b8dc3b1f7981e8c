//! A checkpoint: everything a run needs to go on exactly where it stopped, in one safetensors
//! file. Tensors: the weights (state_dict names), Adam's state per parameter, the history of
//! losses; metadata: the settings and the position in the run. The batch order needs no
//! generator state: epoch e always draws its order from the seed and e (data::epoch_seed).

use crate::config::TrainConfig;
use crate::output::atomic_write;
use crate::weights::first_line;
use anyhow::{anyhow, bail, Context, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::Path;
use tch::{Device, Kind, Tensor};

pub const FORMAT: &str = "vanilla-rnn checkpoint v1";

/// Where a run stands, and what it has done so far.
#[derive(Debug)]
pub struct Checkpoint {
    pub settings: TrainConfig,
    /// data::fingerprint of the series trained on.
    pub series: String,
    /// Epochs completed.
    pub epoch: usize,
    /// Batches done in epoch `epoch + 1` (0 at an epoch boundary).
    pub batch: usize,
    /// Sum of those batches' losses (the epoch's train loss is its mean).
    pub epoch_loss: f64,
    pub elapsed: f64,
    /// (name, weight), in state_dict order.
    pub params: Vec<(String, Tensor)>,
    /// Per parameter: (step, exp_avg, exp_avg_sq).
    pub adam: Vec<(f32, Tensor, Tensor)>,
    /// metrics.csv rows: epoch, train_loss, test_loss, seconds.
    pub metrics: Vec<[f64; 4]>,
    /// steps.csv rows: epoch and loss of every optimizer step.
    pub steps: Vec<(u32, f64)>,
}

fn view<'a>(t: &Tensor, bytes: &'a mut Vec<u8>) -> Result<TensorView<'a>> {
    let t = t.to_device(Device::Cpu).contiguous();
    let (dtype, size) = match t.kind() {
        Kind::Float => (Dtype::F32, 4),
        Kind::Double => (Dtype::F64, 8),
        Kind::Int64 => (Dtype::I64, 8),
        k => bail!("cannot checkpoint a tensor of kind {k:?}"),
    };
    bytes.resize(t.numel() * size, 0);
    t.f_copy_data_u8(bytes, t.numel()).map_err(|e| anyhow!(first_line(e)))?;
    let shape = t.size().iter().map(|&d| d as usize).collect();
    TensorView::new(dtype, shape, bytes).map_err(|e| anyhow!("{e:?}"))
}

impl Checkpoint {
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut named: Vec<(String, Tensor)> = self.params.iter().map(|(n, t)| (n.clone(), t.shallow_clone())).collect();
        for ((name, _), (step, m, v)) in self.params.iter().zip(self.adam.iter()) {
            named.push((format!("adam.step.{name}"), Tensor::from_slice(&[*step])));
            named.push((format!("adam.exp_avg.{name}"), m.shallow_clone()));
            named.push((format!("adam.exp_avg_sq.{name}"), v.shallow_clone()));
        }
        let flat: Vec<f64> = self.metrics.iter().flatten().copied().collect();
        named.push(("history.metrics".into(), Tensor::from_slice(&flat).view([self.metrics.len() as i64, 4])));
        named.push(("history.step_epoch".into(), Tensor::from_slice(&self.steps.iter().map(|s| s.0 as i64).collect::<Vec<_>>())));
        named.push(("history.step_loss".into(), Tensor::from_slice(&self.steps.iter().map(|s| s.1).collect::<Vec<_>>())));
        let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); named.len()];
        let mut views = Vec::with_capacity(named.len());
        for ((name, t), buf) in named.iter().zip(buffers.iter_mut()) {
            views.push((name.clone(), view(t, buf)?));
        }
        let meta: HashMap<String, String> = [
            ("format".to_string(), FORMAT.to_string()),
            ("settings".to_string(), serde_json::to_string(&self.settings)?),
            ("series".to_string(), self.series.clone()),
            ("epoch".to_string(), self.epoch.to_string()),
            ("batch".to_string(), self.batch.to_string()),
            // f64s as bits: exact, whatever a JSON reader does with decimals
            ("epoch_loss_bits".to_string(), self.epoch_loss.to_bits().to_string()),
            ("elapsed_bits".to_string(), self.elapsed.to_bits().to_string()),
        ]
        .into_iter()
        .collect();
        atomic_write(path, |tmp| safetensors::tensor::serialize_to_file(views, &Some(meta), tmp).map_err(|e| anyhow!("{e:?}")))
    }

    pub fn load(path: &Path) -> Result<Checkpoint> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read checkpoint {}", path.display()))?;
        let bad = |what: &str| anyhow!("{}: not a usable vanilla-rnn checkpoint ({what})", path.display());
        let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(&format!("{e:?}")))?;
        let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(&format!("{e:?}")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let get = |k: &str| meta.get(k).ok_or_else(|| bad(&format!("no {k}")));
        if get("format")? != FORMAT {
            return Err(bad("unknown format"));
        }
        let settings: TrainConfig = serde_json::from_str(get("settings")?).map_err(|e: serde_json::Error| bad(&e.to_string()))?;
        let num = |k: &str| -> Result<u64> { get(k)?.parse::<u64>().map_err(|_| bad(k)) };
        let tensor = |name: &str| -> Result<Tensor> {
            let v = st.tensor(name).map_err(|_| bad(&format!("no tensor {name}")))?;
            let kind = match v.dtype() {
                Dtype::F32 => Kind::Float,
                Dtype::F64 => Kind::Double,
                Dtype::I64 => Kind::Int64,
                d => return Err(bad(&format!("{name} has dtype {d:?}"))),
            };
            let shape: Vec<i64> = v.shape().iter().map(|&d| d as i64).collect();
            Tensor::f_from_data_size(v.data(), &shape, kind).map_err(|e| bad(&first_line(e)))
        };
        let mut params = Vec::new();
        let mut adam = Vec::new();
        for name in crate::model::PARAM_NAMES {
            params.push((name.to_string(), tensor(name)?));
            let step =
                f32::try_from(tensor(&format!("adam.step.{name}"))?.view([-1]).get(0)).map_err(|e: tch::TchError| bad(&e.to_string()))?;
            adam.push((step, tensor(&format!("adam.exp_avg.{name}"))?, tensor(&format!("adam.exp_avg_sq.{name}"))?));
        }
        let metrics_flat: Vec<f64> =
            Vec::try_from(tensor("history.metrics")?.view([-1])).map_err(|e: tch::TchError| bad(&e.to_string()))?;
        let metrics = metrics_flat.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
        let step_epoch: Vec<i64> = Vec::try_from(tensor("history.step_epoch")?).map_err(|e: tch::TchError| bad(&e.to_string()))?;
        let step_loss: Vec<f64> = Vec::try_from(tensor("history.step_loss")?).map_err(|e: tch::TchError| bad(&e.to_string()))?;
        if step_epoch.len() != step_loss.len() {
            return Err(bad("step history lengths differ"));
        }
        Ok(Checkpoint {
            settings,
            series: get("series")?.clone(),
            epoch: num("epoch")? as usize,
            batch: num("batch")? as usize,
            epoch_loss: f64::from_bits(num("epoch_loss_bits")?),
            elapsed: f64::from_bits(num("elapsed_bits")?),
            params,
            adam,
            metrics,
            steps: step_epoch.into_iter().map(|e| e as u32).zip(step_loss).collect(),
        })
    }
}
