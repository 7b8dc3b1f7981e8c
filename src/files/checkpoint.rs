//! A checkpoint: everything a run needs to go on exactly where it stopped, in one safetensors
//! file. Tensors: the weights (state_dict names), Adam's state per parameter, the weights of the
//! best validation epoch (`best.` and the state_dict name, with --val-fraction), the history of
//! losses; metadata: the settings and the position in the run. The batch order needs no
//! generator state: epoch e always draws its order from the seed and e (data::epoch_seed).

use super::atomic::atomic_write;
use crate::exact::optim::AdamState;
use crate::first_line;
use crate::model::PARAM_NAMES;
use crate::train::settings::Settings;
use crate::train::{EpochMetrics, Position, StepLoss, TrainState};
use anyhow::{anyhow, bail, Context, Result};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::Path;
use tch::{Device, Kind, Tensor};

pub const FORMAT: &str = "vanilla-rnn checkpoint v1";

/// history.metrics' columns: epoch, train loss, test loss, seconds, validation loss (checkpoints
/// before 0.3 have the first four).
const METRICS_WIDTH: usize = 5;

/// A run's settings, the series it trains on, and where it stands.
pub struct Checkpoint {
    pub settings: Settings,
    /// data::fingerprint of the series trained on.
    pub series: String,
    pub state: TrainState,
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
        let st = &self.state;
        let mut named: Vec<(String, Tensor)> =
            PARAM_NAMES.iter().zip(&st.params).map(|(n, t)| (n.to_string(), t.shallow_clone())).collect();
        for (name, adam) in PARAM_NAMES.iter().zip(&st.adam) {
            named.push((format!("adam.step.{name}"), Tensor::from_slice(&[adam.step])));
            named.push((format!("adam.exp_avg.{name}"), adam.exp_avg.shallow_clone()));
            named.push((format!("adam.exp_avg_sq.{name}"), adam.exp_avg_sq.shallow_clone()));
        }
        for (name, p) in PARAM_NAMES.iter().zip(st.best.iter().flatten()) {
            named.push((format!("best.{name}"), p.shallow_clone()));
        }
        let flat: Vec<f64> = st.metrics.iter().flat_map(|m| [m.epoch as f64, m.train_loss, m.test_loss, m.seconds, m.val_loss]).collect();
        named.push(("history.metrics".into(), Tensor::from_slice(&flat).view([st.metrics.len() as i64, METRICS_WIDTH as i64])));
        named.push(("history.step_epoch".into(), Tensor::from_slice(&st.steps.iter().map(|s| s.epoch as i64).collect::<Vec<_>>())));
        named.push(("history.step_loss".into(), Tensor::from_slice(&st.steps.iter().map(|s| s.loss).collect::<Vec<_>>())));
        let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); named.len()];
        let mut views = Vec::with_capacity(named.len());
        for ((name, t), buf) in named.iter().zip(buffers.iter_mut()) {
            views.push((name.clone(), view(t, buf)?));
        }
        let meta: HashMap<String, String> = [
            ("format".to_string(), FORMAT.to_string()),
            ("settings".to_string(), serde_json::to_string(&self.settings)?),
            ("series".to_string(), self.series.clone()),
            ("epoch".to_string(), st.position.epoch.to_string()),
            ("batch".to_string(), st.position.batch.to_string()),
            // f64s as bits: exact, whatever a JSON reader does with decimals
            ("epoch_loss_bits".to_string(), st.position.epoch_loss.to_bits().to_string()),
            ("elapsed_bits".to_string(), st.elapsed.to_bits().to_string()),
        ]
        .into_iter()
        .collect();
        atomic_write(path, |tmp| safetensors::tensor::serialize_to_file(views, &Some(meta), tmp).map_err(|e| anyhow!("{e:?}")))
    }

    /// Reads a checkpoint, checking every tensor's dtype and shape against the format: a refused
    /// file gets one line naming the tensor or field. (The weights' shapes are checked against
    /// the model, and Adam's moments against the weights, when the run is restored.)
    pub fn load(path: &Path) -> Result<Checkpoint> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read checkpoint {}", path.display()))?;
        let bad = |what: &str| Reader::refusal(path, what);
        let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(&format!("{e:?}")))?;
        let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(&format!("{e:?}")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let get = |k: &str| meta.get(k).ok_or_else(|| bad(&format!("no {k}")));
        if get("format")? != FORMAT {
            return Err(bad("unknown format"));
        }
        let settings: Settings = serde_json::from_str(get("settings")?).map_err(|e: serde_json::Error| bad(&format!("settings: {e}")))?;
        settings.validate().map_err(|e| bad(&e))?;
        let num = |k: &str| -> Result<u64> { get(k)?.parse::<u64>().map_err(|_| bad(&format!("{k} is not a whole number"))) };
        let r = Reader { st, path };
        let mut params = Vec::new();
        let mut adam = Vec::new();
        for name in PARAM_NAMES {
            let dims = if name.ends_with("weight") { 2 } else { 1 };
            let param = r.tensor(name, Dtype::F32, dims, None)?;
            let step_name = format!("adam.step.{name}");
            let step = r.values(&step_name, Dtype::F32, Some(1))?[0] as f32;
            let [exp_avg, exp_avg_sq] = ["exp_avg", "exp_avg_sq"].map(|m| {
                let moment = format!("adam.{m}.{name}");
                let t = r.tensor(&moment, Dtype::F32, dims, None)?;
                if t.size() != param.size() {
                    return Err(r.bad(&format!("{moment} has shape {:?}, its parameter {name} {:?}", t.size(), param.size())));
                }
                Ok(t)
            });
            adam.push(AdamState { step, exp_avg: exp_avg?, exp_avg_sq: exp_avg_sq? });
            params.push(param);
        }
        let best = r.best(&params)?;
        let (metrics, steps) = (r.metrics()?, r.steps()?);
        let position =
            Position { epoch: num("epoch")? as usize, batch: num("batch")? as usize, epoch_loss: f64::from_bits(num("epoch_loss_bits")?) };
        let state = TrainState { params, adam, position, metrics, steps, elapsed: f64::from_bits(num("elapsed_bits")?), best };
        Ok(Checkpoint { settings, series: get("series")?.clone(), state })
    }
}

/// The tensors of a checkpoint being read, each checked against the format.
struct Reader<'a> {
    st: SafeTensors<'a>,
    path: &'a Path,
}

impl Reader<'_> {
    /// The one line that refuses the checkpoint at `path`, saying `what` is wrong.
    fn refusal(path: &Path, what: &str) -> anyhow::Error {
        anyhow!("{}: not a usable vanilla-rnn checkpoint ({what})", path.display())
    }

    fn bad(&self, what: &str) -> anyhow::Error {
        Reader::refusal(self.path, what)
    }

    /// A tensor of the format's dtype, with `dims` dimensions (and `width` in the last, when given).
    fn tensor(&self, name: &str, dtype: Dtype, dims: usize, width: Option<usize>) -> Result<Tensor> {
        let v = self.st.tensor(name).map_err(|_| self.bad(&format!("no tensor {name}")))?;
        if v.dtype() != dtype {
            return Err(self.bad(&format!("{name} has dtype {:?}, expected {dtype:?}", v.dtype())));
        }
        if v.shape().len() != dims || width.is_some_and(|w| v.shape().last() != Some(&w)) {
            return Err(self.bad(&format!("{name} has shape {:?}", v.shape())));
        }
        let kind = match dtype {
            Dtype::F32 => Kind::Float,
            Dtype::F64 => Kind::Double,
            _ => Kind::Int64,
        };
        let shape: Vec<i64> = v.shape().iter().map(|&d| d as i64).collect();
        Tensor::f_from_data_size(v.data(), &shape, kind).map_err(|e| self.bad(&first_line(e)))
    }

    /// The values of a one-dimensional tensor (or with `width`, a [n, width] one, row by row).
    fn values(&self, name: &str, dtype: Dtype, width: Option<usize>) -> Result<Vec<f64>> {
        let t = self.tensor(name, dtype, if width.is_some_and(|w| w > 1) { 2 } else { 1 }, width)?;
        Vec::<f64>::try_from(t.to_kind(Kind::Double).view([-1])).map_err(|e| self.bad(&format!("{name}: {}", first_line(e))))
    }

    /// history.metrics: [epochs, 5] rows of epoch (1, 2, ...), train loss, test loss, seconds,
    /// validation loss ([epochs, 4] before 0.3: no validation).
    fn metrics(&self) -> Result<Vec<EpochMetrics>> {
        let width = match self.st.tensor("history.metrics").map(|v| v.shape().to_vec()) {
            Ok(shape) if shape.len() == 2 && shape[1] == 4 => 4,
            _ => METRICS_WIDTH,
        };
        let flat = self.values("history.metrics", Dtype::F64, Some(width))?;
        let mut metrics = Vec::with_capacity(flat.len() / width);
        for (i, c) in flat.chunks(width).enumerate() {
            if c[0] != (i + 1) as f64 {
                return Err(self.bad(&format!("history.metrics row {} is epoch {}, expected {}", i + 1, c[0], i + 1)));
            }
            let val_loss = c.get(4).copied().unwrap_or(f64::NAN);
            metrics.push(EpochMetrics { epoch: i + 1, train_loss: c[1], val_loss, test_loss: c[2], seconds: c[3] });
        }
        Ok(metrics)
    }

    /// The best validation epoch's weights, when the checkpoint has them: all four, each shaped
    /// like its parameter.
    fn best(&self, params: &[Tensor]) -> Result<Option<Vec<Tensor>>> {
        let names: Vec<String> = PARAM_NAMES.iter().map(|n| format!("best.{n}")).collect();
        if names.iter().all(|n| self.st.tensor(n).is_err()) {
            return Ok(None);
        }
        let mut best = Vec::with_capacity(names.len());
        for (name, p) in names.iter().zip(params) {
            let t = self.tensor(name, Dtype::F32, p.dim(), None)?;
            if t.size() != p.size() {
                return Err(self.bad(&format!("{name} has shape {:?}, its parameter {:?}", t.size(), p.size())));
            }
            best.push(t);
        }
        Ok(Some(best))
    }

    /// history.step_epoch and history.step_loss: the epoch and loss of every step.
    fn steps(&self) -> Result<Vec<StepLoss>> {
        let epochs = self.values("history.step_epoch", Dtype::I64, None)?;
        let losses = self.values("history.step_loss", Dtype::F64, None)?;
        if epochs.len() != losses.len() {
            return Err(self.bad("step history lengths differ"));
        }
        let mut steps = Vec::with_capacity(epochs.len());
        for (epoch, loss) in epochs.into_iter().zip(losses) {
            if epoch < 1.0 {
                return Err(self.bad(&format!("history.step_epoch holds epoch {epoch}")));
            }
            steps.push(StepLoss { epoch: epoch as usize, loss });
        }
        Ok(steps)
    }
}
